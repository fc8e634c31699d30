//! The role matrix on the console's data endpoints (catalog, prices,
//! inventory, reports, members): a store manager reads and changes only
//! their own store, never the catalog or prices; a driver reads nothing;
//! hq_staff works chain-wide. Plus the live `stock_alert` event when stock
//! goes negative, filtered to the manager's store.

mod common;

use common::*;
use serde_json::{Value, json};

async fn refused(who: &As<'_>, method: &str, path: &str, body: Value) {
    let (s, v) = match method {
        "GET" => who.get(path).await,
        "POST" => who.post(path, body).await,
        _ => who.patch(path, body).await,
    };
    assert_eq!((s, code(&v)), (403, "forbidden"), "{method} {path}: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_managers_see_and_change_only_their_store_and_drivers_nothing() {
    let hub = TestHub::start().await;
    hub.seed_products(TEE_AND_JEANS).await;
    for store in ["GN01", "HD02"] {
        hub.receive(store, "TSH-001", 10).await;
    }
    let mut gn = Till::open(&hub, "GN01").await;
    let mut hd = Till::open(&hub, "HD02").await;
    let now = hub_server::now_ms();
    let (_, ops) = gn.sale(&[("TSH-001", 1, 29_000)], Some("kim"), None, now);
    gn.push(ops).await;
    let (_, ops) = hd.sale(&[("TSH-001", 2, 29_000)], None, None, now);
    hd.push(ops).await;
    hub.ok(
        "members",
        json!({"phone": "010-2222-3333", "name": "Hongdae regular", "marketing_consent": false, "store": "HD02"}),
    )
    .await;

    let mgr = user_session(&hub, "park.manager", "store_manager", Some("GN01")).await;
    // Reads are scoped to GN01 without asking.
    let (s, v) = mgr.get("dashboard").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["store"], "GN01");
    assert_eq!(v["today"]["gross"], 29_000);
    let (_, v) = mgr.get("inventory/summary").await;
    assert_eq!(
        (v["store"].clone(), v["chain_total"].clone()),
        (json!("GN01"), json!(9))
    );
    let (_, v) = mgr.get("inventory/matrix").await;
    assert_eq!(v["total_stores"], 1);
    assert_eq!(v["stores"][0]["code"], "GN01");
    let (_, v) = mgr.get("inventory/alerts").await;
    assert!(
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["location"] == "GN01")
    );
    let (_, v) = mgr.get("stock/movements?sku=TSH-001").await;
    assert!(
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m["location"] == "GN01")
    );
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    let (_, v) = mgr.get("sales").await;
    assert_eq!(v["count"], 1);
    let (s, _, body) = {
        let r = hub
            .http
            .get(format!("{}/api/v1/sales/export.csv", hub.url))
            .bearer_auth(&mgr.token)
            .send()
            .await
            .expect("csv");
        (r.status().as_u16(), (), r.text().await.expect("text"))
    };
    assert_eq!(s, 200);
    assert_eq!(body.lines().count(), 2, "{body}");
    assert!(!body.contains("HD02"));
    let (_, v) = mgr.get("members").await;
    assert_eq!(v["total"], 0);
    let (s, v) = mgr.get("reports/sell-through").await;
    assert_eq!((s, v["store"].clone()), (200, json!("GN01")));
    let (s, _) = mgr.get("members/analytics").await;
    assert_eq!(s, 200);
    let (s, _) = mgr.get("products?q=TSH").await;
    assert_eq!(s, 200);
    let (s, _) = mgr.get("price-rules").await;
    assert_eq!(s, 200);

    // Another store: refused, read or write.
    for path in [
        "dashboard?store=HD02",
        "inventory/summary?store=HD02",
        "inventory/matrix?stores=HD02",
        "inventory/alerts?store=HD02",
        "stock/movements?sku=TSH-001&location=HD02",
        "sales?store=HD02",
        "sales/export.csv?store=HD02",
        "members?store=HD02",
        "members/analytics?store=HD02",
        "reports/sell-through?store=HD02",
    ] {
        refused(&mgr, "GET", path, Value::Null).await;
    }
    refused(
        &mgr,
        "POST",
        "stocktakes",
        json!({"location": "HD02", "counts": [{"sku": "TSH-001", "counted": 1}]}),
    )
    .await;
    refused(
        &mgr,
        "POST",
        "members",
        json!({"phone": "010-4444-5555", "name": "X", "marketing_consent": false, "store": "HD02"}),
    )
    .await;
    // Catalog and prices are head office's.
    refused(&mgr, "PATCH", "products/TSH-001", json!({"price": 1})).await;
    refused(
        &mgr,
        "POST",
        "price-rules",
        json!({"skus": ["TSH-001"], "price": 1, "valid_from_ms": now, "label": "x"}),
    )
    .await;
    refused(
        &mgr,
        "POST",
        "price-rules/0190a000-0000-7000-8000-000000000000/cancel",
        json!({}),
    )
    .await;

    // Their own store: stocktake and sign-ups (the home store is theirs).
    let (s, v) = mgr
        .post(
            "stocktakes",
            json!({"location": "GN01", "counts": [{"sku": "TSH-001", "counted": 8}]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["lines"][0]["delta"], -1);
    let (_, v) = mgr.get("stock/movements?sku=TSH-001").await;
    assert_eq!(v["items"][0]["actor_label"], "HQ park.manager");
    let (s, v) = mgr
        .post(
            "members",
            json!({"phone": "010-6666-7777", "name": "Gangnam walk-in", "marketing_consent": true}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["home_store"], "GN01");

    // hq_staff: chain-wide, catalog and prices allowed.
    let staff = user_session(&hub, "choi.staff", "hq_staff", None).await;
    let (s, v) = staff
        .patch("products/JNS-002", json!({"name": "Straight jeans 30"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = staff
        .post(
            "price-rules",
            json!({"skus": ["JNS-002"], "price": 49_000, "valid_from_ms": now, "label": "Staff deal"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = staff.get("inventory/matrix").await;
    assert_eq!(v["total_stores"], 3);

    // A driver reads none of it.
    let driver = user_session(&hub, "lee.driver", "driver", None).await;
    for path in [
        "products",
        "products/styles",
        "categories",
        "products/export.csv",
        "price-rules",
        "inventory/summary",
        "inventory/matrix",
        "inventory/alerts",
        "stock/movements?sku=TSH-001",
        "dashboard",
        "reports/sell-through",
        "sales/export.csv",
        "members",
        "members/analytics",
    ] {
        refused(&driver, "GET", path, Value::Null).await;
    }
    refused(
        &driver,
        "POST",
        "stocktakes",
        json!({"location": "GN01", "counts": [{"sku": "TSH-001", "counted": 1}]}),
    )
    .await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overselling_publishes_a_stock_alert_to_the_stores_manager() {
    let hub = TestHub::start().await;
    hub.seed_products(&[("TSH-001", 29_000, "TSH", "BLK", "M", "tops")])
        .await;
    for store in ["GN01", "HD02"] {
        hub.receive(store, "TSH-001", 5).await;
    }
    let mgr = user_session(&hub, "park.manager", "store_manager", Some("GN01")).await;
    let (mut admin_ws, _) = events(&hub, &hub.token).await;
    let (mut mgr_ws, _) = events(&hub, &mgr.token).await;
    let mut hd = Till::open(&hub, "HD02").await;
    let mut gn = Till::open(&hub, "GN01").await;
    let now = hub_server::now_ms();
    // HD02 goes low (5 → 2), GN01 negative (5 → -1).
    let (_, ops) = hd.sale(&[("TSH-001", 3, 29_000)], None, None, now);
    hd.push(ops).await;
    let (_, ops) = gn.sale(&[("TSH-001", 6, 29_000)], None, None, now);
    gn.push(ops).await;

    let low = event_until(&mut admin_ws, |e| e["type"] == "stock_alert").await;
    assert_eq!(
        low,
        json!({"type": "stock_alert", "location": "HD02", "sku": "TSH-001", "qty": 2, "level": "low"})
    );
    let neg = event_until(&mut admin_ws, |e| e["type"] == "stock_alert").await;
    assert_eq!(
        neg,
        json!({"type": "stock_alert", "location": "GN01", "sku": "TSH-001", "qty": -1, "level": "negative"})
    );
    // The manager of GN01 sees GN01's alert only.
    let first = event_until(&mut mgr_ws, |e| e["type"] == "stock_alert").await;
    assert_eq!(first["location"], "GN01");
    // Selling more of an already negative cell is no new alert.
    let (_, ops) = gn.sale(&[("TSH-001", 1, 29_000)], None, None, now);
    gn.push(ops).await;
    while let Some(e) =
        next_event_within(&mut admin_ws, std::time::Duration::from_millis(500)).await
    {
        assert_ne!(e["type"], "stock_alert", "{e}");
    }
    hub.stop().await;
}
