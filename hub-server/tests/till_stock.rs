//! `GET /api/v1/till/stock/{sku}`: a till asks for a SKU's stock at every
//! store with its device credential (real in-process hub).

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_sees_every_stores_stock_with_its_credential() {
    let hub = TestHub::start().await;
    hub.seed().await;
    hub.receive("HD02", "TSH-001", 5).await;
    hub.receive("WH01", "TSH-001", 1_000).await;
    let till = hub.enrol("GN01").await;
    let url = hub.api("till/stock/TSH-001");

    let r = hub
        .http
        .get(&url)
        .bearer_auth(&till.credential)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["sku"], "TSH-001");
    assert!(v["as_of_ms"].as_u64().expect("as_of_ms") > 1_600_000_000_000);
    let stores = v["stores"].as_array().expect("stores");
    // Both stores (own included), by code; the warehouse is not a store.
    let rows: Vec<(String, String, i64)> = stores
        .iter()
        .map(|s| {
            (
                s["store"].as_str().expect("store").to_owned(),
                s["name"].as_str().expect("name").to_owned(),
                s["qty"].as_i64().expect("qty"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("GN01".into(), "Gangnam".into(), 100),
            ("HD02".into(), "Hongdae".into(), 105),
        ]
    );

    // A SKU nobody stocks: every store at 0.
    let r = hub
        .http
        .get(hub.api("till/stock/NOPE-1"))
        .bearer_auth(&till.credential)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(
        v["stores"]
            .as_array()
            .expect("stores")
            .iter()
            .all(|s| s["qty"] == 0)
    );

    // No credential, a wrong one, or an HQ session token: 401.
    let r = hub.http.get(&url).send().await.expect("get");
    assert_eq!(r.status(), 401);
    let r = hub
        .http
        .get(&url)
        .bearer_auth("not-a-credential")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let r = hub
        .http
        .get(&url)
        .bearer_auth(&hub.token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);

    // An invalid SKU is a 400, not a crash.
    let r = hub
        .http
        .get(hub.api("till/stock/bad%20sku"))
        .bearer_auth(&till.credential)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
    hub.stop().await;
}
