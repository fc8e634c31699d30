//! Replenishment and deliveries at the hub (issue 5), end to end: orders from a till over the
//! real sync WebSocket and from HQ over REST, approval, shipments, pick, dispatch (stock
//! warehouse → in transit), the till's receiving (in transit → store, discrepancies, a second
//! count flagged), who may do what, and the status register converging when a till races HQ.

mod common;

use common::*;
use serde_json::json;
use sync_proto::logistics::{Lifecycle, LogisticsState, Subject};
use sync_proto::wire::ErrorCode;
use sync_proto::{OpBody, StockReason};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_from_the_till_to_the_shelf() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    driver(&hub, "park.driver", "Park Driver").await;
    let mut till = LogiTill::open(&hub, "GN01").await;

    // The store asks for stock at its till.
    let (gn_order, op) = till.order(&[("TSH-001", 10), ("JNS-002", 5)], "Manager Kim");
    till.push(vec![op]).await;
    let (s, list) = hub.get("replenishment/orders?store=GN01").await;
    assert_eq!(s, 200, "{list}");
    let o = &list[0];
    assert_eq!(o["id"], gn_order.to_string());
    assert_eq!(
        (&o["origin"], &o["status"], &o["placed_by"]),
        (&json!("store"), &json!("requested"), &json!("Manager Kim"))
    );
    assert_eq!(o["store_name"], "Gangnam");
    assert_eq!(o["name_of_skus"]["TSH-001"], "Oxford tee");

    // HQ places one for Hongdae, approves both (Gangnam's with fewer tees).
    let hd_order = approved_order(&hub, "HD02", &[("TSH-001", 4)]).await;
    let a = hub
        .ok(
            &format!("replenishment/orders/{gn_order}/approve"),
            json!({"lines": [{"sku": "TSH-001", "qty": 8}, {"sku": "JNS-002", "qty": 5}]}),
        )
        .await;
    assert_eq!(a["status"], "approved");
    assert_eq!(a["approved_lines"][0], json!({"sku": "TSH-001", "qty": 8}));
    assert_eq!(a["status_by"], "admin");

    // One truck, Hongdae first.
    let gn = gn_order.to_string();
    let s = hub
        .ok(
            "shipments",
            json!({"orders": [gn, hd_order], "stops_order": ["HD02", "GN01"]}),
        )
        .await;
    assert_eq!(s["status"], "approved", "{s}");
    assert_eq!(s["from"], "WH01");
    assert_eq!(stop(&s, "HD02")["stop_no"], 1);
    assert_eq!(stop(&s, "GN01")["stop_no"], 2);
    assert_eq!(
        stop(&s, "GN01")["lines"],
        json!([{"sku": "JNS-002", "qty": 5}, {"sku": "TSH-001", "qty": 8}])
    );
    let id = s["id"].as_str().expect("id").to_owned();
    let (_, o) = hub.get(&format!("replenishment/orders/{gn}")).await;
    assert_eq!(o["shipment"], id.as_str());
    let p = hub.ok(&format!("shipments/{id}/pick"), json!({})).await;
    assert_eq!(p["status"], "picked");
    let d = hub
        .ok(
            &format!("shipments/{id}/dispatch"),
            json!({"driver": "park.driver", "vehicle": "서울12가3456"}),
        )
        .await;
    assert_eq!(d["status"], "dispatched", "{d}");
    assert_eq!(d["driver_name"], "Park Driver");

    // Dispatch: warehouse down, in transit up.
    assert_eq!(hub.stock_at("TSH-001", "WH01").await, 100 - 8 - 4);
    assert_eq!(hub.stock_at("JNS-002", "WH01").await, 95);
    assert_eq!(hub.stock_at("TSH-001", "TR-GN01").await, 8);
    assert_eq!(hub.stock_at("JNS-002", "TR-GN01").await, 5);
    assert_eq!(hub.stock_at("TSH-001", "TR-HD02").await, 4);

    // The till learns its delivery (and the hub's in-transit move, in its store's scope).
    let delivery = till.delivery(&id).await;
    assert_eq!((delivery.stop_no, delivery.stops_total), (2, 2));
    assert_eq!(delivery.driver_name, "Park Driver");
    assert_eq!(delivery.orders, vec![gn_order]);
    till.downstream(|o| {
        matches!(&o.body, OpBody::StockMove(m) if m.location.as_str() == "TR-GN01"
            && m.reason == StockReason::TransferIn)
    })
    .await;

    // The store counts it in: one tee short, one damaged, two caps nobody announced.
    let (rec, ops) = till.receive(
        &delivery,
        &[("TSH-001", 7, 1), ("JNS-002", 5, 0), ("CAP-003", 2, 0)],
        "Manager Kim",
    );
    till.push(ops).await;
    assert_eq!(hub.stock_at("TSH-001", "TR-GN01").await, 0);
    assert_eq!(hub.stock_at("JNS-002", "TR-GN01").await, 0);
    assert_eq!(hub.stock_at("TSH-001", "GN01").await, 6);
    assert_eq!(hub.stock_at("JNS-002", "GN01").await, 5);
    assert_eq!(hub.stock_at("CAP-003", "GN01").await, 2);
    // An emptied truck is no low shelf.
    let (_, alerts) = hub.get("inventory/alerts").await;
    let items = alerts["items"].as_array().expect("items");
    assert!(items.iter().any(|a| a["location"] == "GN01"), "{alerts}");
    assert!(
        items
            .iter()
            .all(|a| !a["location"].as_str().unwrap_or("").starts_with("TR-")),
        "{alerts}"
    );

    let (s, list) = hub.get("receivings?discrepancies=true").await;
    assert_eq!(s, 200, "{list}");
    let r = &list.as_array().expect("list")[0];
    assert_eq!(r["id"], rec.id.to_string());
    assert_eq!(r["store"], "GN01");
    assert_eq!(r["has_discrepancy"], true);
    assert_eq!(r["duplicate"], false);
    assert_eq!(r["no_delivery"], false);
    let line = |sku: &str| {
        r["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["sku"] == sku))
            .cloned()
            .unwrap_or_else(|| panic!("{sku} in {r}"))
    };
    assert_eq!(
        line("TSH-001"),
        json!({"sku": "TSH-001", "expected": 8, "received": 7, "damaged": 1, "shortage": 1, "extra": 0})
    );
    assert_eq!(line("CAP-003")["extra"], 2);

    let (_, s) = hub.get(&format!("shipments/{id}")).await;
    assert_eq!(stop(&s, "GN01")["status"], "received");
    assert_eq!(stop(&s, "GN01")["receiving"]["id"], rec.id.to_string());
    assert!(stop(&s, "GN01")["received_ms"].is_i64());
    assert_eq!(stop(&s, "HD02")["status"], "dispatched");
    assert_eq!(s["status"], "dispatched", "the least advanced stop");
    let (_, o) = hub.get(&format!("replenishment/orders/{gn}")).await;
    assert_eq!(o["status"], "received");

    // A second count of the same stop (another till) is kept and flagged.
    let mut other = LogiTill::open(&hub, "GN01").await;
    let delivery2 = other.snapshot_records.iter().find_map(|o| match &o.body {
        OpBody::Delivery(d) if d.shipment.to_string() == id => Some(d.clone()),
        _ => None,
    });
    let delivery2 = delivery2.expect("a new till's snapshot carries the open delivery");
    assert!(
        other
            .snapshot_stock
            .iter()
            .any(|(l, s)| l == "TR-GN01" && s == "TSH-001"),
        "a new till's snapshot carries its in-transit counters"
    );
    let (_, ops) = other.receive(&delivery2, &[("TSH-001", 8, 0), ("JNS-002", 5, 0)], "Lee");
    other.push(ops).await;
    let (_, list) = hub.get("receivings?store=GN01").await;
    let list = list.as_array().expect("list").clone();
    assert_eq!(list.len(), 2);
    let dup: Vec<bool> = list.iter().map(|r| r["duplicate"] == true).collect();
    assert_eq!(dup.iter().filter(|d| **d).count(), 1, "{list:?}");
    let (_, flagged) = hub.get("receivings?discrepancies=true").await;
    assert_eq!(flagged.as_array().map(Vec::len), Some(2));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_come_from_low_stock_and_count_what_is_on_order() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    hub.receive("GN01", "TSH-001", 2).await; // low (≤ 3)
    hub.receive("GN01", "JNS-002", 30).await; // fine
    hub.receive("HD02", "TSH-001", 1).await; // low
    let mut till = LogiTill::open(&hub, "HD02").await;
    let (_, op) = till.order(&[("TSH-001", 4)], "Manager Choi");
    till.push(vec![op]).await;

    let (s, list) = hub
        .post("replenishment/proposals", json!({"target": 12}))
        .await;
    assert_eq!(s, 200, "{list}");
    let list = list.as_array().expect("list");
    let gn = list.iter().find(|o| o["store"] == "GN01").expect("GN01");
    assert_eq!(gn["origin"], "hq_proposal");
    assert_eq!(gn["lines"], json!([{"sku": "TSH-001", "qty": 10}]));
    // Hongdae: 12 − 1 on hand − 4 already asked for.
    let hd = list.iter().find(|o| o["store"] == "HD02").expect("HD02");
    assert_eq!(hd["lines"], json!([{"sku": "TSH-001", "qty": 7}]));
    // Nothing for the warehouse, and asking again proposes nothing new.
    assert_eq!(list.len(), 2, "{list:?}");
    let (_, again) = hub.post("replenishment/proposals", json!({})).await;
    assert_eq!(again, json!([]));
    // The till hears of HQ's order for its store.
    let hd_id: Uuid = hd["id"].as_str().expect("id").parse().expect("uuid");
    till.downstream(|o| matches!(&o.body, OpBody::ReplenishmentOrder(r) if r.id == hd_id))
        .await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_limit_who_sees_and_moves_deliveries() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    let mgr = user_session(&hub, "kim.manager", "store_manager", Some("GN01")).await;
    let staff = user_session(&hub, "choi.staff", "hq_staff", None).await;
    let park = driver(&hub, "park.driver", "Park").await;
    let lee = driver(&hub, "lee.driver", "Lee").await;
    let gn = approved_order(&hub, "GN01", &[("TSH-001", 3)]).await;
    let hd = approved_order(&hub, "HD02", &[("TSH-001", 3)]).await;
    let hd_only = dispatched(&hub, &[&hd], "lee.driver").await;
    let hd_only = hd_only["id"].as_str().expect("id").to_owned();

    // A store manager reads their own store only and may not approve, ship or dispatch.
    let (s, list) = mgr.get("replenishment/orders").await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|o| o["store"] == "GN01")
    );
    assert_refused(
        mgr.get("replenishment/orders?store=HD02").await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.get(&format!("replenishment/orders/{hd}")).await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.post(&format!("replenishment/orders/{gn}/approve"), json!({}))
            .await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.post("shipments", json!({"orders": [gn]})).await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.get(&format!("shipments/{hd_only}")).await,
        403,
        "forbidden",
    );
    let (s, ships) = mgr.get("shipments").await;
    assert_eq!((s, ships.clone()), (200, json!([])));
    // HQ staff may.
    let s = staff.post("shipments", json!({"orders": [gn]})).await;
    assert_eq!(s.0, 201, "{}", s.1);
    let both = s.1["id"].as_str().expect("id").to_owned();
    let (s, v) = staff
        .post(
            &format!("shipments/{both}/dispatch"),
            json!({"driver": "park.driver", "vehicle": "7"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_refused(
        mgr.post(
            &format!("shipments/{both}/dispatch"),
            json!({"driver": "park.driver", "vehicle": "7"}),
        )
        .await,
        403,
        "forbidden",
    );
    let (s, ships) = mgr.get("shipments").await;
    assert_eq!(s, 200);
    assert_eq!(ships.as_array().map(Vec::len), Some(1));
    // Dispatching to someone who is not a driver is refused.
    let other = approved_order(&hub, "GN01", &[("CAP-003", 1)]).await;
    let p = hub.ok("shipments", json!({"orders": [other]})).await;
    assert_refused(
        hub.post(
            &format!("shipments/{}/dispatch", p["id"].as_str().expect("id")),
            json!({"driver": "kim.manager", "vehicle": "7"}),
        )
        .await,
        400,
        "unknown_driver",
    );

    // A driver sees only their own shipments, and nothing of the console.
    let (s, today) = park.get("driver/today").await;
    assert_eq!(s, 200, "{today}");
    let mine: Vec<&str> = today["shipments"]
        .as_array()
        .expect("shipments")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(mine, vec![both.as_str()]);
    assert_eq!(today["driver_name"], "Park");
    assert_refused(park.get("replenishment/orders").await, 403, "forbidden");
    assert_refused(park.get("shipments").await, 403, "forbidden");
    assert_refused(park.get("drivers/live").await, 403, "forbidden");
    assert_refused(
        park.post(&format!("driver/shipments/{hd_only}/start"), json!({}))
            .await,
        404,
        "unknown_shipment",
    );
    assert_refused(
        park.post(&format!("shipments/{hd_only}/stops/HD02/arrive"), json!({}))
            .await,
        404,
        "unknown_shipment",
    );
    let (s, started) = park
        .post(&format!("driver/shipments/{both}/start"), json!({}))
        .await;
    assert_eq!(s, 200, "{started}");
    let t0 = started["started_ms"].as_i64().expect("started");
    let (_, again) = park
        .post(&format!("driver/shipments/{both}/start"), json!({}))
        .await;
    assert_eq!(
        again["started_ms"].as_i64(),
        Some(t0),
        "start is idempotent"
    );
    // HQ and store managers have no driver API.
    assert_refused(hub.get("driver/today").await, 403, "forbidden");
    assert_refused(mgr.get("driver/today").await, 403, "forbidden");
    let (s, _) = lee.get("driver/today").await;
    assert_eq!(s, 200);

    // A cashier has no console at all.
    create_user(
        &hub,
        json!({"username": "jo.cashier", "display_name": "Jo", "role": "cashier", "store": "GN01",
               "pin": "1234", "password": PASSWORD}),
    )
    .await;
    let (s, v, _) = login(&hub, "jo.cashier", PASSWORD).await;
    assert_error(s, &v, 403, "console_forbidden");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_register_converges_when_a_till_races_hq() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    driver(&hub, "park.driver", "Park").await;
    let mut till = LogiTill::open(&hub, "GN01").await;
    let mut watcher = LogiTill::open(&hub, "GN01").await;

    // The till cancels its order offline while HQ approves it: cancelled wins everywhere.
    let (order, op) = till.order(&[("TSH-001", 2)], "Kim");
    till.push(vec![op]).await;
    hub.ok(&format!("replenishment/orders/{order}/approve"), json!({}))
        .await;
    let cancel = till.status(
        Subject::Order { id: order },
        Lifecycle::Cancelled,
        hub_server::now_ms() as i64 - 60_000,
        "Kim",
    );
    till.push(vec![cancel]).await;
    let (_, o) = hub.get(&format!("replenishment/orders/{order}")).await;
    assert_eq!(o["status"], "cancelled");
    assert_refused(
        hub.post("shipments", json!({"orders": [order.to_string()]}))
            .await,
        409,
        "order_not_approved",
    );

    // A delivery the till receives while HQ marks it arrived late: received stays, and the
    // first arrival is what counts.
    let a = approved_order(&hub, "GN01", &[("TSH-001", 3)]).await;
    let s = dispatched(&hub, &[&a], "park.driver").await;
    let id = s["id"].as_str().expect("id").to_owned();
    let d = till.delivery(&id).await;
    let (_, mut ops) = till.receive(&d, &[("TSH-001", 3, 0)], "Kim");
    let early = hub_server::now_ms() as i64 - 120_000;
    let stop_subject = Subject::Stop {
        shipment: d.shipment,
        store: till.store(),
    };
    ops.insert(
        0,
        till.status(stop_subject.clone(), Lifecycle::Arrived, early, "Kim"),
    );
    // Renumber: the arrival goes first in seq order too.
    let base = ops.iter().map(|o| o.seq).min().expect("ops");
    let n = ops.len() as u64;
    for (i, o) in ops.iter_mut().enumerate() {
        o.seq = base + i as u64;
    }
    assert_eq!(till.seq, base + n - 1);
    till.push(ops).await;
    let (s, after) = hub
        .post(&format!("shipments/{id}/stops/GN01/arrive"), json!({}))
        .await;
    assert_eq!(s, 200, "{after}");
    let gn = stop(&after, "GN01");
    assert_eq!(gn["status"], "received");
    assert_eq!(gn["arrived_ms"].as_i64(), Some(early));
    assert_eq!(gn["arrived_by"], "Kim");
    assert_eq!(after["status"], "received");

    // Another till of the store folds everything it was sent into the same answer.
    let mut model = LogisticsState::default();
    let want_order = order;
    let want_stop = stop_subject.clone();
    let a_id: Uuid = a.parse().expect("uuid");
    // Read until the watcher has the cancelled order, the received stop and order.
    loop {
        let op = watcher
            .downstream(|o| {
                matches!(
                    o.body,
                    OpBody::ReplenishmentOrder(_)
                        | OpBody::StatusUpdate(_)
                        | OpBody::Delivery(_)
                        | OpBody::Receiving(_)
                )
            })
            .await;
        model.apply(&op);
        if model.status_of(&Subject::Order { id: want_order }) == Some(Lifecycle::Cancelled)
            && model.status_of(&want_stop) == Some(Lifecycle::Received)
            && model.status_of(&Subject::Order { id: a_id }) == Some(Lifecycle::Received)
        {
            break;
        }
    }
    let (_, o) = hub.get(&format!("replenishment/orders/{a}")).await;
    assert_eq!(o["status"], "received");
    let (_, c) = hub.get(&format!("replenishment/orders/{order}")).await;
    assert_eq!(c["status"], "cancelled");
    // The watcher's register of the stop ends where the hub's does.
    let arrived_first = model.status.get(&want_stop).map(|e| e.update.status);
    assert_eq!(arrived_first, Some(Lifecycle::Received));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_cannot_move_another_stores_order() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    let hd = approved_order(&hub, "HD02", &[("TSH-001", 3)]).await;
    let mut till = LogiTill::open(&hub, "GN01").await;
    // Claims the order is its store's (the scope and store are GN01's): forged.
    let forged = till.status(
        Subject::Order {
            id: hd.parse().expect("uuid"),
        },
        Lifecycle::Cancelled,
        hub_server::now_ms() as i64,
        "Kim",
    );
    send(&mut till.ws, &push(vec![forged])).await;
    assert_eq!(refusal(&mut till.ws).await, ErrorCode::InvalidOp);
    let (_, o) = hub.get(&format!("replenishment/orders/{hd}")).await;
    assert_eq!(o["status"], "approved");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipments_refuse_what_their_state_does_not_allow() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    driver(&hub, "park.driver", "Park").await;
    let requested = hub
        .ok(
            "replenishment/orders",
            json!({"store": "GN01", "lines": [{"sku": "TSH-001", "qty": 1}]}),
        )
        .await;
    let requested = requested["id"].as_str().expect("id").to_owned();
    assert_refused(
        hub.post("shipments", json!({"orders": [requested]})).await,
        409,
        "order_not_approved",
    );
    assert_refused(
        hub.post(
            "replenishment/orders",
            json!({"store": "GN01", "lines": [{"sku": "NOPE-1", "qty": 1}]}),
        )
        .await,
        400,
        "unknown_sku",
    );
    assert_refused(
        hub.post(
            "replenishment/orders",
            json!({"store": "WH01", "lines": [{"sku": "TSH-001", "qty": 1}]}),
        )
        .await,
        400,
        "not_a_store",
    );
    let a = approved_order(&hub, "GN01", &[("TSH-001", 2)]).await;
    let s = hub.ok("shipments", json!({"orders": [a]})).await;
    let id = s["id"].as_str().expect("id").to_owned();
    assert_refused(
        hub.post("shipments", json!({"orders": [a]})).await,
        409,
        "order_on_shipment",
    );
    assert_refused(
        hub.post(&format!("replenishment/orders/{a}/cancel"), json!({}))
            .await,
        409,
        "order_on_shipment",
    );
    // Cancelled before dispatch: the order can go on another shipment, no stock moved.
    let c = hub.ok(&format!("shipments/{id}/cancel"), json!({})).await;
    assert_eq!(c["status"], "cancelled");
    assert_refused(
        hub.post(
            &format!("shipments/{id}/dispatch"),
            json!({"driver": "park.driver", "vehicle": "7"}),
        )
        .await,
        409,
        "shipment_cancelled",
    );
    assert_eq!(hub.stock_at("TSH-001", "WH01").await, 100);
    let again = dispatched(&hub, &[&a], "park.driver").await;
    let again_id = again["id"].as_str().expect("id").to_owned();
    assert_refused(
        hub.post(&format!("shipments/{again_id}/cancel"), json!({}))
            .await,
        409,
        "already_dispatched",
    );
    assert_eq!(hub.stock_at("TSH-001", "WH01").await, 98);
    assert_refused(
        hub.post(
            &format!("shipments/{again_id}/stops/HD02/arrive"),
            json!({}),
        )
        .await,
        404,
        "unknown_stop",
    );
    hub.stop().await;
}
