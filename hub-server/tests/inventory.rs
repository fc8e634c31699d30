//! Inventory against the real hub: summary, the stores × SKUs matrix with
//! pagination and filters, negative stock after offline overselling by two
//! tills, stocktakes (deltas, moves downstream, history with labels), and
//! refusals of bad input.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::{OpBody, StockReason};

fn col(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| {
            x.get("code")
                .or_else(|| x.get("sku"))
                .and_then(Value::as_str)
                .expect("code or sku")
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_pages_and_filters_and_summary_adds_up() {
    let hub = TestHub::start().await;
    hub.seed_products(VARIANTS).await;
    // GN01: 10 of each; HD02: 2 of the tees; WH01: 100 jeans 30.
    for (sku, ..) in VARIANTS {
        hub.receive("GN01", sku, 10).await;
    }
    for sku in ["TSH-001-BLK-M", "TSH-001-BLK-L", "TSH-001-WHT-M"] {
        hub.receive("HD02", sku, 2).await;
    }
    hub.receive("WH01", "JNS-001-IND-30", 100).await;

    let (s, v) = hub.get("inventory/summary").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"chain_total": 156, "stores_total": 56, "warehouses_total": 100, "skus": 5,
               "negative_count": 0, "low_count": 3, "threshold": 3, "store": null})
    );
    let (_, v) = hub.get("inventory/summary?store=HD02&threshold=1").await;
    assert_eq!(
        (v["chain_total"].clone(), v["low_count"].clone()),
        (json!(6), json!(0))
    );

    // Whole matrix: SKUs by code, locations by code.
    let (s, v) = hub.get("inventory/matrix").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(col(&v, "stores"), ["GN01", "HD02", "WH01"]);
    assert_eq!(
        col(&v, "skus"),
        [
            "JNS-001-IND-30",
            "JNS-001-IND-32",
            "TSH-001-BLK-L",
            "TSH-001-BLK-M",
            "TSH-001-WHT-M"
        ]
    );
    assert_eq!(v["qty"][0], json!([10, 0, 100]));
    assert_eq!(v["qty"][3], json!([10, 2, 0]));
    assert_eq!(v["sku_totals"], json!([110, 10, 12, 12, 12]));
    assert_eq!(
        (v["total_skus"].clone(), v["total_stores"].clone()),
        (json!(5), json!(3))
    );

    // Pages on both axes; totals cover every selected location, not only the page.
    let (_, v) = hub
        .get("inventory/matrix?sku_offset=2&sku_limit=2&store_offset=1&store_limit=1")
        .await;
    assert_eq!(col(&v, "stores"), ["HD02"]);
    assert_eq!(col(&v, "skus"), ["TSH-001-BLK-L", "TSH-001-BLK-M"]);
    assert_eq!(v["qty"], json!([[2], [2]]));
    assert_eq!(v["sku_totals"], json!([12, 12]));
    assert_eq!(
        (v["total_skus"].clone(), v["total_stores"].clone()),
        (json!(5), json!(3))
    );

    // Filters.
    let (_, v) = hub.get("inventory/matrix?kind=warehouse").await;
    assert_eq!(col(&v, "stores"), ["WH01"]);
    assert_eq!(v["sku_totals"], json!([100, 0, 0, 0, 0]));
    let (_, v) = hub
        .get("inventory/matrix?category=bottoms&stores=GN01,WH01")
        .await;
    assert_eq!(col(&v, "skus"), ["JNS-001-IND-30", "JNS-001-IND-32"]);
    assert_eq!(col(&v, "stores"), ["GN01", "WH01"]);
    let (_, v) = hub.get("inventory/matrix?style=TSH-001&q=WHT").await;
    assert_eq!(col(&v, "skus"), ["TSH-001-WHT-M"]);
    let (_, v) = hub.get("inventory/matrix?only=low").await;
    assert_eq!(
        col(&v, "skus"),
        ["TSH-001-BLK-L", "TSH-001-BLK-M", "TSH-001-WHT-M"]
    );
    let (_, v) = hub.get("inventory/matrix?only=low&stores=GN01").await;
    assert_eq!(v["total_skus"], 0);
    let (_, v) = hub.get("inventory/matrix?only=negative").await;
    assert_eq!(v["total_skus"], 0);

    let (s, v) = hub.get("inventory/alerts?level=low").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 3);
    assert_eq!(v["items"][0]["location"], "HD02");
    assert_eq!(v["items"][0]["level"], "low");
    assert_eq!(v["items"][0]["name"], "TSH-001 BLK L");

    for (path, code) in [
        ("inventory/matrix?only=empty", "invalid_input"),
        ("inventory/matrix?kind=shop", "invalid_input"),
        ("inventory/matrix?sku_limit=0", "invalid_input"),
        ("inventory/matrix?store_limit=501", "invalid_input"),
        ("inventory/matrix?stores=GN01,bad%20code", "invalid_input"),
        ("inventory/matrix?threshold=-1", "invalid_input"),
        ("inventory/alerts?level=high", "invalid_input"),
        ("inventory/alerts?limit=0", "invalid_input"),
        ("inventory/summary?store=%2F%2F", "invalid_input"),
        ("inventory/matrix?sku_offset=-3", "invalid_query"),
        ("stock/movements", "invalid_input"),
        (
            "stock/movements?sku=TSH-001-BLK-M&limit=5000",
            "invalid_input",
        ),
    ] {
        assert_refused(hub.get(path).await, 400, code);
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_overselling_shows_negative_and_a_stocktake_corrects_it_with_history() {
    let hub = TestHub::start().await;
    hub.seed_products(VARIANTS).await;
    let sku = "TSH-001-BLK-M";
    hub.receive("GN01", sku, 2).await;
    hub.receive("GN01", "JNS-001-IND-30", 4).await;
    // Two tills both saw 2 on the shelf and each sold 2 while offline.
    let mut t1 = Till::open(&hub, "GN01").await;
    let mut t2 = Till::open(&hub, "GN01").await;
    let now = hub_server::now_ms();
    let (_, ops) = t1.sale(&[(sku, 2, 29_000)], None, None, now);
    t1.push(ops).await;
    let (_, ops) = t2.sale(&[(sku, 2, 29_000)], None, None, now);
    t2.push(ops).await;
    assert_eq!(hub.stock_at(sku, "GN01").await, -2);

    let (s, v) = hub.get("inventory/alerts?level=negative").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"items": [{"location": "GN01", "sku": sku, "name": "TSH-001 BLK M", "qty": -2, "level": "negative"}],
               "total": 1})
    );
    let (_, v) = hub.get("inventory/summary").await;
    assert_eq!(v["negative_count"], 1);
    let (_, v) = hub.get("inventory/matrix?only=negative").await;
    assert_eq!(col(&v, "skus"), [sku]);
    assert_eq!(v["qty"], json!([[-2, 0, 0]]));

    // Stocktake: 5 tees found, jeans as expected (no move), a SKU never stocked counted 0.
    let (s, v) = hub
        .post(
            "stocktakes",
            json!({"location": "GN01", "note": "monthly count", "counts": [
                {"sku": sku, "counted": 5},
                {"sku": "JNS-001-IND-30", "counted": 4},
                {"sku": "JNS-001-IND-32", "counted": 0},
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["moves"], 1);
    assert_eq!(
        v["lines"],
        json!([
            {"sku": sku, "before": -2, "counted": 5, "delta": 7},
            {"sku": "JNS-001-IND-30", "before": 4, "counted": 4, "delta": 0},
            {"sku": "JNS-001-IND-32", "before": 0, "counted": 0, "delta": 0},
        ])
    );
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(hub.stock_at(sku, "GN01").await, 5);
    // The store's tills learn the correction.
    let op = t1
        .downstream(
            |op| matches!(&op.body, OpBody::StockMove(m) if m.reason == StockReason::Stocktake),
        )
        .await;
    match op.body {
        OpBody::StockMove(m) => {
            assert_eq!((m.delta, m.sku.as_str()), (7, sku));
            assert_eq!(m.reference, Some(format!("stocktake {id}: monthly count")));
        }
        _ => unreachable!(),
    }
    let (_, v) = hub.get("inventory/alerts?level=negative").await;
    assert_eq!(v["total"], 0);

    // History of the SKU at the store, newest first, with reasons and who.
    let (s, v) = hub
        .get(&format!("stock/movements?sku={sku}&location=GN01"))
        .await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().expect("items");
    let summary: Vec<(i64, &str, &str)> = items
        .iter()
        .map(|m| {
            (
                m["delta"].as_i64().expect("delta"),
                m["reason"].as_str().expect("reason"),
                m["actor_label"].as_str().expect("label"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (7, "stocktake", "HQ admin"),
            (-2, "sale", "GN01 till 2"),
            (-2, "sale", "GN01 till 1"),
            (2, "receipt", "HQ admin"),
        ]
    );
    assert_eq!(items[1]["reference"], "GN01-02-000001");
    assert_eq!(v["next_before"], Value::Null);
    // Paging.
    let (_, p1) = hub.get(&format!("stock/movements?sku={sku}&limit=3")).await;
    assert_eq!(p1["items"].as_array().map(Vec::len), Some(3));
    let before = p1["next_before"].as_i64().expect("next page");
    let (_, p2) = hub
        .get(&format!(
            "stock/movements?sku={sku}&limit=3&before={before}"
        ))
        .await;
    assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(p2["items"][0]["reason"], "receipt");
    let (_, v) = hub.get("stock/movements?location=GN01").await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(5));

    // Refusals.
    for (body, status, code) in [
        (
            json!({"location": "GN01", "counts": []}),
            400,
            "invalid_input",
        ),
        (
            json!({"location": "GN01", "counts": [{"sku": sku, "counted": -1}]}),
            400,
            "invalid_input",
        ),
        (
            json!({"location": "GN01", "counts": [{"sku": sku, "counted": 1}, {"sku": sku, "counted": 2}]}),
            400,
            "invalid_input",
        ),
        (
            json!({"location": "XX99", "counts": [{"sku": sku, "counted": 1}]}),
            404,
            "unknown_location",
        ),
        (
            json!({"location": "GN01", "counts": [{"sku": "NOPE-1", "counted": 1}]}),
            404,
            "unknown_sku",
        ),
        (
            json!({"location": "GN01", "counts": [{"sku": "bad sku", "counted": 1}]}),
            400,
            "invalid_input",
        ),
        (json!({"location": "GN01"}), 400, "invalid_body"),
    ] {
        assert_refused(hub.post("stocktakes", body).await, status, code);
    }
    // A refused stocktake moved nothing.
    assert_eq!(hub.stock_at(sku, "GN01").await, 5);
    hub.stop().await;
}
