//! Replenishment and delivery command tests on `tauri::test::mock_builder()` (the
//! [`super::TestApp`] harness): a manager requests stock and cancels, a cashier may not; the
//! orders list; deliveries with the hub's ETA; a cashier counts a delivery in (stock moves,
//! shortages and extras) and a second receive is refused — every refusal with its code.

use serde_json::json;
use sync_proto::logistics::{Delivery, OrderLine};
use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::wire::DeliveryEta;
use sync_proto::{ActorId, Hlc, LocationId, Op, Scope, StoreId};
use tauri::Manager;
use uuid::Uuid;

use super::{CASHIER_PIN, MANAGER_PIN, TestApp};
use crate::state::PosState;

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const TEE: &str = "TSH-0001-BLK-M";
const SHIPMENT: Uuid = Uuid::from_u128(0x5417);

fn gn01() -> StoreId {
    "GN01".parse().expect("store")
}

fn hub_op(seq: u64, body: OpBody) -> Op {
    Op {
        actor: HUB,
        seq,
        hlc: Hlc {
            wall_ms: 1_000 + seq,
            counter: 0,
            actor: HUB,
        },
        scope: Scope::Store(gn01()),
        body,
    }
}

/// The hub dispatched 5 tees to GN01 and says the truck is 10 minutes away.
fn truck_on_its_way(t: &TestApp) {
    let state = t._app.state::<PosState>();
    let mut till = state.till().expect("till");
    let cursor = till.status().expect("status").cursor + 2;
    till.apply_downstream(
        &[
            hub_op(
                1,
                OpBody::Delivery(Delivery {
                    shipment: SHIPMENT,
                    store: gn01(),
                    orders: vec![],
                    lines: vec![OrderLine {
                        sku: TEE.parse().expect("sku"),
                        qty: 5,
                    }],
                    from: "WH01".parse().expect("loc"),
                    driver_name: "Park Driver".into(),
                    vehicle: "12가3456".into(),
                    stop_no: 1,
                    stops_total: 1,
                    dispatched_ms: 5_000,
                }),
            ),
            hub_op(
                2,
                OpBody::StockMove(StockMove {
                    location: LocationId::in_transit_to(&gn01()),
                    sku: TEE.parse().expect("sku"),
                    delta: 5,
                    reason: StockReason::TransferIn,
                    reference: Some(SHIPMENT.to_string()),
                    inc_total: 5,
                    dec_total: 0,
                }),
            ),
        ],
        cursor,
    )
    .expect("apply");
    let now = i64::try_from(pos_agent::db::now_ms()).expect("now");
    till.record_delivery_eta(&DeliveryEta {
        shipment: SHIPMENT,
        store: gn01(),
        eta_ms: Some(now + 600_000),
        distance_m: Some(5_000),
        stops_before: 0,
        arrived_ms: None,
        driver_name: "Park Driver".into(),
        at_ms: now,
    })
    .expect("eta");
}

#[test]
fn a_manager_requests_stock_and_cancels_a_cashier_may_not() {
    let t = TestApp::new();
    let lines = json!({ "lines": [{ "sku": "8801234567890", "qty": 4 }], "note": "weekend" });
    assert_eq!(t.err_code("request_stock", lines.clone()), "not_unlocked");
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    assert_eq!(t.err_code("request_stock", lines.clone()), "manager_only");
    assert_eq!(t.ok("replenishment_orders", json!({})), json!([]));

    t.ok("unlock", json!({ "pin": MANAGER_PIN }));
    let order = t.ok("request_stock", lines);
    assert_eq!(order["status"], "requested");
    assert_eq!(order["placed_by"], "PARK", "the unlocked manager asks");
    assert_eq!(order["lines"][0]["sku"], TEE);
    assert_eq!(order["lines"][0]["qty"], 4);
    assert_eq!(order["lines"][0]["name"], "Tee black M");
    assert_eq!(
        t.err_code("request_stock", json!({ "lines": [] })),
        "empty_request"
    );
    assert_eq!(
        t.err_code(
            "request_stock",
            json!({ "lines": [{ "sku": TEE, "qty": 100_001 }] })
        ),
        "quantity_out_of_range"
    );
    assert_eq!(
        t.err_code(
            "request_stock",
            json!({ "lines": [{ "sku": "NOPE", "qty": 1 }] })
        ),
        "unknown_item"
    );
    let id = order["id"].as_str().expect("id").to_owned();
    let list = t.ok("replenishment_orders", json!({}));
    assert_eq!(list[0]["id"], id.as_str());

    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    assert_eq!(
        t.err_code("cancel_order", json!({ "id": id })),
        "manager_only"
    );
    t.ok("unlock", json!({ "pin": MANAGER_PIN }));
    let cancelled = t.ok("cancel_order", json!({ "id": id }));
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["status_by"], "PARK");
    assert_eq!(
        t.err_code("cancel_order", json!({ "id": id })),
        "order_not_cancellable"
    );
    assert_eq!(
        t.err_code(
            "cancel_order",
            json!({ "id": Uuid::from_u128(5).to_string() })
        ),
        "unknown_order"
    );
    let pending = t.ok("outbox_pending", json!({ "limit": 50 }));
    let kinds: Vec<&str> = pending
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|op| op["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"replenishment_order") && kinds.contains(&"status_update"),
        "{pending}"
    );
}

#[test]
fn deliveries_show_the_eta_and_a_cashier_receives_once() {
    let t = TestApp::new();
    assert_eq!(t.err_code("deliveries", json!({})), "not_unlocked");
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    assert_eq!(t.ok("deliveries", json!({})), json!([]));
    truck_on_its_way(&t);
    let list = t.ok("deliveries", json!({}));
    let d = &list[0];
    assert_eq!(d["shipment"], SHIPMENT.to_string());
    assert_eq!(d["status"], "dispatched");
    assert_eq!(d["received"], false);
    let now = i64::try_from(pos_agent::db::now_ms()).expect("now");
    let eta = d["eta_ms"].as_i64().expect("eta on the till's clock");
    assert!((now + 590_000..=now + 600_000).contains(&eta), "{d}");
    assert_eq!(d["lines"][0]["qty"], 5);

    let counted = json!({
        "shipment": SHIPMENT.to_string(),
        "counted": [
            { "sku": "8801234567890", "received": 4, "damaged": 1 },
            { "sku": "OLD-0001", "received": 1 },
        ],
        "note": "one torn",
    });
    assert_eq!(
        t.err_code(
            "receive_delivery",
            json!({ "shipment": SHIPMENT.to_string(), "counted": [{ "sku": TEE, "received": 1, "damaged": 2 }] })
        ),
        "count_out_of_range"
    );
    assert_eq!(
        t.err_code(
            "receive_delivery",
            json!({ "shipment": Uuid::from_u128(1).to_string(), "counted": [] })
        ),
        "unknown_delivery"
    );
    let r = t.ok("receive_delivery", counted.clone());
    assert_eq!(r["received_by"], "KIM");
    assert_eq!(r["note"], "one torn");
    assert_eq!(
        (
            r["shortage_units"].as_u64(),
            r["damaged_units"].as_u64(),
            r["extra_units"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(t.err_code("receive_delivery", counted), "already_received");
    let stock = t.ok("stock", json!({ "sku": TEE }));
    assert_eq!(stock[0]["qty"], 3, "4 counted, 1 damaged");
    let d = &t.ok("deliveries", json!({}))[0];
    assert_eq!(d["received"], true);
    assert_eq!(d["status"], "received");
    assert_eq!(d["eta_ms"], json!(null), "no ETA once received");
}
