//! Sales reports against the real hub: the dashboard's numbers equal the
//! sales pushed by raw tills (returns netted, duplicates not counted twice),
//! sales filters and the CSV export, sell-through, and refusals of bad input.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_equals_the_sales_pushed_with_returns_netted() {
    let hub = TestHub::start().await;
    hub.seed_products(TEE_AND_JEANS).await;
    for store in ["GN01", "HD02"] {
        hub.receive(store, "TSH-001", 20).await;
    }
    let d = today() - 1; // yesterday: every hour of it is in the past
    let mut a = Till::open(&hub, "GN01").await;
    let mut b = Till::open(&hub, "HD02").await;

    let (s1, mut ops) = a.sale(&[("TSH-001", 2, TEE)], Some("kim"), None, at(d, 10, 5));
    let (_, more) = a.sale(&[("JNS-002", 1, JEANS)], Some("lee"), None, at(d, 14, 0));
    ops.extend(more);
    ops.extend(a.ret(&s1, &[("TSH-001", 1)], at(d, 15, 30)));
    let (_, more) = a.sale(&[("TSH-001", 1, TEE)], Some("kim"), None, at(d - 7, 11, 0));
    ops.extend(more);
    let first_push = ops.clone();
    a.push(ops).await;
    let (_, ops) = b.sale(&[("TSH-001", 3, TEE)], None, None, at(d, 10, 30));
    b.push(ops).await;
    // The same ops again (a till resending after a lost Ack) change nothing.
    send(&mut a.ws, &push(first_push)).await;
    let want = a.seq;
    recv_until(
        &mut a.ws,
        |f| matches!(f, sync_proto::wire::Frame::Ack(x) if x.up_to_seq == want),
    )
    .await;

    let (s, v) = hub.get(&format!("dashboard?date={}", date(d))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["date"], date(d));
    assert_eq!(v["last_week_date"], date(d - 7));
    assert_eq!(v["tz"], "+09:00");
    let gross = 2 * TEE + JEANS + 3 * TEE;
    assert_eq!(
        v["today"],
        json!({"sales": 3, "returns": 1, "items": 5, "gross": gross, "refunds": TEE, "net": gross - TEE})
    );
    assert_eq!(
        v["last_week"],
        json!({"sales": 1, "returns": 0, "items": 1, "gross": TEE, "refunds": 0, "net": TEE})
    );
    let hours = v["by_hour"].as_array().expect("hours");
    assert_eq!(hours.len(), 24);
    let hour = |h: usize| (hours[h]["today"].clone(), hours[h]["last_week"].clone());
    assert_eq!(hour(10), (json!(5 * TEE), json!(0)));
    assert_eq!(hour(11), (json!(0), json!(TEE)));
    assert_eq!(hour(14), (json!(JEANS), json!(0)));
    assert_eq!(hour(15), (json!(-TEE), json!(0)));
    let sum: i64 = hours.iter().map(|h| h["today"].as_i64().expect("n")).sum();
    assert_eq!(sum, gross - TEE);
    assert_eq!(
        v["by_store"],
        json!([
            {"store": "GN01", "name": "Gangnam", "sales": 2, "today": 2 * TEE + JEANS - TEE, "last_week": TEE},
            {"store": "HD02", "name": "Hongdae", "sales": 1, "today": 3 * TEE, "last_week": 0},
        ])
    );
    assert_eq!(
        v["top_products"],
        json!([
            {"sku": "TSH-001", "name": "TSH BLK M", "qty": 4, "revenue": 4 * TEE},
            {"sku": "JNS-002", "name": "JNS IND 30", "qty": 1, "revenue": JEANS},
        ])
    );
    assert_eq!(
        v["by_cashier"],
        json!([
            {"store": "HD02", "cashier": "", "sales": 1, "items": 3, "revenue": 3 * TEE},
            {"store": "GN01", "cashier": "lee", "sales": 1, "items": 1, "revenue": JEANS},
            {"store": "GN01", "cashier": "kim", "sales": 1, "items": 2, "revenue": 2 * TEE},
        ])
    );

    // The same day in UTC (the browser's zone): hours move, the day's sales stay.
    let (s, v) = hub.get(&format!("dashboard?date={}&tz=Z", date(d))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["tz"].clone(), v["business_tz"].clone()),
        (json!("+00:00"), json!("+09:00"))
    );
    assert_eq!(v["today"]["net"], gross - TEE);
    let hours = v["by_hour"].as_array().expect("hours");
    assert_eq!(hours[1]["today"], 5 * TEE);
    assert_eq!(hours[5]["today"], JEANS);
    assert_eq!(hours[6]["today"], -TEE);
    assert_eq!(hours[2]["last_week"], TEE);
    let (_, v) = hub
        .get(&format!("dashboard?date={}&tz=%2B05:30", date(d)))
        .await;
    assert_eq!(v["tz"], "+05:00");

    // One store.
    let (s, v) = hub
        .get(&format!(
            "dashboard?date={}&store=GN01&tz=%2B09:00",
            date(d)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["today"]["net"], 2 * TEE + JEANS - TEE);
    assert_eq!(v["top_products"][0]["sku"], "JNS-002");
    assert_eq!(
        v["top_products"][1],
        json!({"sku": "TSH-001", "name": "TSH BLK M", "qty": 1, "revenue": TEE})
    );
    assert_eq!(v["by_store"].as_array().map(Vec::len), Some(1));

    // Sales filters: cashier, store; the totals cover the whole filter.
    let (s, v) = hub.get("sales?cashier=kim").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["count"].clone(), v["total_amount"].clone()),
        (json!(2), json!(3 * TEE))
    );
    assert_eq!(v["sales"][0]["cashier"], "kim");
    let (_, v) = hub.get("sales?store=HD02").await;
    assert_eq!(v["count"], 1);

    // CSV export: every sale and return, amounts signed, parses.
    let (s, ct, body) = hub.get_text("sales/export.csv").await;
    assert_eq!(s, 200, "{body}");
    assert!(ct.starts_with("text/csv"), "{ct}");
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "kind", "id", "receipt", "store", "cashier", "member", "at", "at_ms", "amount",
            "currency"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 5);
    let total: i64 = rows
        .iter()
        .map(|r| r[8].parse::<i64>().expect("amount"))
        .sum();
    assert_eq!(total, gross + TEE - TEE);
    assert_eq!(rows.iter().filter(|r| &r[0] == "return").count(), 1);
    let (_, _, body) = hub
        .get_text(&format!("sales/export.csv?store=HD02&from={}", at(d, 0, 0)))
        .await;
    assert_eq!(body.lines().count(), 2, "{body}");

    // Sell-through over the week: TSH sold 2 + 3 − 1 + 1 = 5, on hand 40 − 5 = 35.
    let (s, v) = hub
        .get(&format!(
            "reports/sell-through?from={}&to={}",
            date(d - 7),
            date(d)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let tsh = v["styles"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["style"] == "TSH"))
        .expect("TSH row")
        .clone();
    assert_eq!(
        (tsh["sold"].clone(), tsh["on_hand"].clone()),
        (json!(5), json!(35))
    );
    assert!((tsh["sell_through"].as_f64().expect("ratio") - 5.0 / 40.0).abs() < 1e-9);
    let (_, v) = hub
        .get(&format!(
            "reports/sell-through?from={}&to={}&category=bottoms",
            date(d - 7),
            date(d)
        ))
        .await;
    assert_eq!(v["styles"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["styles"][0]["sold"], 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_queries_refuse_bad_input_with_json_errors() {
    let hub = TestHub::start().await;
    for (path, code) in [
        ("dashboard?tz=nine", "invalid_input"),
        ("dashboard?date=2026-02-30", "invalid_input"),
        ("dashboard?date=yesterday", "invalid_input"),
        ("dashboard?store=not%20a%20store", "invalid_input"),
        ("dashboard?top=0", "invalid_input"),
        (
            "reports/sell-through?from=2026-03-10&to=2026-03-01",
            "invalid_input",
        ),
        (
            "reports/sell-through?from=2020-01-01&to=2026-03-01",
            "invalid_input",
        ),
        ("sales?member=12ab", "invalid_input"),
        ("sales/export.csv?from=later", "invalid_input"),
        (
            "sales/export.csv?from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z",
            "invalid_input",
        ),
        ("dashboard?top=many", "invalid_query"),
    ] {
        assert_refused(hub.get(path).await, 400, code);
    }
    // Nothing sold: an empty dashboard, not an error.
    let (s, v) = hub.get("dashboard").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["today"]["net"], 0);
    assert_eq!(v["by_hour"].as_array().map(Vec::len), Some(24));
    hub.stop().await;
}
