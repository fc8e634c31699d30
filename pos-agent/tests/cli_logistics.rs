//! The `pos-agent` replenishment and delivery commands (issue 5) on a till prepared offline
//! through the library with a hand-made delivery from the hub: `request-stock`, `orders`,
//! `cancel-order`, `deliveries`, `receive` — JSON shapes, refusals and exit codes, and the
//! ops they leave in the outbox (checked as the hub checks them).

use pos_agent::{CatalogItem, Till};
use sync_proto::logistics::{Delivery, OrderLine};
use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, LocationId, Op, Scope, StoreId};
use uuid::Uuid;

mod common;
use common::{fails, json, ok};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const TEE: &str = "TSH-0001-BLK-M";
const TEE_BARCODE: &str = "8801234567890";
const SOCKS: &str = "SCK-0003-WHT-F";
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

/// A till of GN01 with a tee (barcode too) and socks, and a truck on its way with 10 tees.
fn prepared_till() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 1).expect("open");
    till.seed_catalog(&[
        CatalogItem {
            sku: TEE.into(),
            name: "Tee".into(),
            price: Some(40_000),
            barcode: Some(TEE_BARCODE.into()),
            active: true,
            ..CatalogItem::default()
        },
        CatalogItem {
            sku: SOCKS.into(),
            name: "Socks".into(),
            price: Some(5_000),
            active: true,
            ..CatalogItem::default()
        },
    ])
    .expect("seed");
    let ops = [
        hub_op(
            1,
            OpBody::Delivery(Delivery {
                shipment: SHIPMENT,
                store: gn01(),
                orders: vec![Uuid::from_u128(0xA)],
                lines: vec![OrderLine {
                    sku: TEE.parse().expect("sku"),
                    qty: 10,
                }],
                from: "WH01".parse().expect("loc"),
                driver_name: "Park Driver".into(),
                vehicle: "12가3456".into(),
                stop_no: 1,
                stops_total: 2,
                dispatched_ms: 5_000,
            }),
        ),
        hub_op(
            2,
            OpBody::StockMove(StockMove {
                location: LocationId::in_transit_to(&gn01()),
                sku: TEE.parse().expect("sku"),
                delta: 10,
                reason: StockReason::TransferIn,
                reference: Some(SHIPMENT.to_string()),
                inc_total: 10,
                dec_total: 0,
            }),
        ),
    ];
    till.apply_downstream(&ops, 2).expect("apply");
    dir
}

#[test]
fn request_cancel_and_list_orders_from_the_cli() {
    let dir = prepared_till();
    let d = dir.path();
    let order = json(
        d,
        &[
            "request-stock",
            &format!("{TEE}=3"),
            &format!("{TEE_BARCODE}=2"),
            &format!("{SOCKS}=12"),
            "--note",
            "weekend",
            "--by",
            "Kim",
            "--json",
        ],
    );
    assert_eq!(order["status"], "requested");
    assert_eq!(order["origin"], "store");
    assert_eq!(order["placed_by"], "Kim");
    assert_eq!(order["note"], "weekend");
    assert_eq!(order["cancellable"], true);
    assert_eq!(order["lines"][0]["sku"], SOCKS);
    assert_eq!(order["lines"][1]["qty"], 5, "tee and its barcode summed");
    let id = order["id"].as_str().expect("id").to_owned();
    // Without --by the till itself asks; the plain output is the order id.
    let plain = ok(d, &["request-stock", &format!("{SOCKS}=1")]);
    let second = plain.trim().to_owned();
    assert!(Uuid::parse_str(&second).is_ok(), "{plain:?}");
    let orders = json(d, &["orders", "--json"]);
    assert_eq!(orders.as_array().map(Vec::len), Some(2));
    assert_eq!(orders[0]["id"], second.as_str());
    assert_eq!(orders[0]["placed_by"], "GN01 till 01");
    assert!(ok(d, &["orders"]).contains(&format!("{SOCKS}=12")));

    fails(
        d,
        &["request-stock", &format!("{TEE}=0")],
        "out of range: use 1 to 100000",
    );
    fails(d, &["request-stock", TEE], "expected SKU=QTY");
    fails(d, &["request-stock", "NOPE-9=1"], "NOPE-9");

    let cancelled = json(d, &["cancel-order", &id, "--by", "Kim", "--json"]);
    assert_eq!(cancelled["status"], "cancelled");
    fails(d, &["cancel-order", &id], "already cancelled");
    fails(d, &["cancel-order", "nope"], "is not an order id");

    // Three ops, all acceptable to the hub, in the store's scope.
    let till = Till::open(d).expect("open");
    let e = till.enrolment().expect("enr").expect("enrolled");
    let ops = till.outbox(1, 100).expect("outbox");
    let kinds: Vec<&str> = ops.iter().map(|o| o.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "replenishment_order",
            "replenishment_order",
            "status_update"
        ]
    );
    for op in &ops {
        check_till_op(op, e.actor, &e.store).expect("the hub accepts it");
        assert_eq!(op.scope, Scope::Store(gn01()));
    }
}

#[test]
fn deliveries_and_receiving_from_the_cli() {
    let dir = prepared_till();
    let d = dir.path();
    let shipment = SHIPMENT.to_string();
    let list = json(d, &["deliveries", "--json"]);
    assert_eq!(list[0]["shipment"], shipment.as_str());
    assert_eq!(list[0]["status"], "dispatched");
    assert_eq!(list[0]["received"], false);
    assert!(ok(d, &["deliveries"]).contains("stop 1/2 Park Driver"));

    fails(
        d,
        &["receive", &shipment, &format!("{TEE}=3/4")],
        "damaged 4 at most the received",
    );
    fails(
        d,
        &["receive", &shipment, &format!("{TEE}=x")],
        "SKU=QTY/DAMAGED",
    );
    fails(
        d,
        &["receive", &Uuid::from_u128(1).to_string()],
        "no delivery of shipment",
    );

    let r = json(
        d,
        &[
            "receive",
            &shipment,
            &format!("{TEE_BARCODE}=8/1"),
            &format!("{SOCKS}=2"),
            "--note",
            "box 3 wet",
            "--by",
            "Lee",
            "--json",
        ],
    );
    assert_eq!(r["received_by"], "Lee");
    assert_eq!(r["note"], "box 3 wet");
    assert_eq!(r["has_discrepancy"], true);
    assert_eq!(
        (
            r["shortage_units"].as_u64(),
            r["damaged_units"].as_u64(),
            r["extra_units"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(r["lines"][0]["sku"], TEE);
    assert_eq!(r["lines"][0]["good"], 7);
    assert_eq!(r["lines"][1]["sku"], SOCKS);
    assert_eq!(r["lines"][1]["expected"], 0);

    fails(
        d,
        &["receive", &shipment, &format!("{TEE}=10")],
        "already received",
    );
    let stock = json(d, &["stock", TEE, "--json"]);
    assert_eq!(stock[0]["qty"], 7);
    let list = json(d, &["deliveries", "--json"]);
    assert_eq!(list[0]["received"], true);
    assert_eq!(list[0]["status"], "received");
    assert_eq!(list[0]["receiving"]["received_by"], "Lee");
}
