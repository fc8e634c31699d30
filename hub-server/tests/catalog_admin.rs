//! Catalog administration against the real hub: search and filters, PATCH,
//! styles with variants, categories, CSV export that re-imports, and price
//! rules that reach a connected till downstream and a new till's snapshot,
//! set the current price, and can be cancelled; refusals of bad input.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::OpBody;

fn skus(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["sku"].as_str().expect("sku").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_search_patch_styles_categories_and_csv_round_trip() {
    let hub = TestHub::start().await;
    hub.seed_products(VARIANTS).await;

    let (s, v) = hub.get("products?q=blk").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(skus(&v), ["TSH-001-BLK-L", "TSH-001-BLK-M"]);
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["current_price"], 29_000);
    assert_eq!(v["items"][0]["price_label"], Value::Null);
    let (_, v) = hub.get("products?category=bottoms&limit=1&offset=1").await;
    assert_eq!(
        (skus(&v), v["total"].clone()),
        (vec!["JNS-001-IND-32".to_owned()], json!(2))
    );
    let (_, v) = hub.get("products?style=TSH-001&q=M").await;
    assert_eq!(skus(&v), ["TSH-001-BLK-M", "TSH-001-WHT-M"]);

    // PATCH changes only what is given and reaches the list.
    let (s, v) = hub
        .patch(
            "products/TSH-001-WHT-M",
            json!({"price": 25_000, "active": false}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["price"].clone(), v["active"].clone()),
        (json!(25_000), json!(false))
    );
    assert_eq!(v["name"], "TSH-001 WHT M");
    let (_, v) = hub.get("products?active=false").await;
    assert_eq!(skus(&v), ["TSH-001-WHT-M"]);
    let (s, v) = hub
        .patch(
            "products/TSH-001-WHT-M",
            json!({"barcode": "8800000000017", "name": "White tee M"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["barcode"], "8800000000017");
    let (_, v) = hub.get("products?q=88000000").await;
    assert_eq!(skus(&v), ["TSH-001-WHT-M"]);
    for (path, body, status, code) in [
        ("products/NOPE-1", json!({"price": 1}), 404, "unknown_sku"),
        ("products/TSH-001-BLK-M", json!({}), 400, "invalid_input"),
        (
            "products/TSH-001-BLK-M",
            json!({"price": -5}),
            400,
            "invalid_input",
        ),
        (
            "products/TSH-001-BLK-M",
            json!({"name": "  "}),
            400,
            "invalid_input",
        ),
        (
            "products/TSH-001-BLK-M",
            json!({"barcode": "12 34"}),
            400,
            "invalid_input",
        ),
        (
            "products/bad%20sku",
            json!({"price": 1}),
            400,
            "invalid_input",
        ),
        (
            "products/TSH-001-BLK-M",
            json!({"price": "cheap"}),
            400,
            "invalid_body",
        ),
    ] {
        assert_refused(hub.patch(path, body).await, status, code);
    }

    // Styles with their variants.
    let (s, v) = hub.get("products/styles").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 2);
    let tee = &v["items"][1];
    assert_eq!(tee["style"], "TSH-001");
    assert_eq!(tee["colours"], json!(["BLK", "WHT"]));
    assert_eq!(tee["sizes"], json!(["L", "M"]));
    assert_eq!(tee["variants"].as_array().map(Vec::len), Some(3));
    let (_, v) = hub.get("products/styles?category=bottoms").await;
    assert_eq!(v["items"][0]["sizes"], json!(["30", "32"]));
    let (s, v) = hub.get("categories").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!([{"category": "bottoms", "products": 2, "styles": 1},
               {"category": "tops", "products": 3, "styles": 1}])
    );

    // CSV export: the import's columns; importing it again changes nothing.
    let (s, ct, body) = hub.get_text("products/export.csv").await;
    assert_eq!(s, 200, "{body}");
    assert!(ct.starts_with("text/csv"));
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        rdr.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "sku", "name", "price", "barcode", "style", "colour", "size", "category", "active"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 5);
    let white = rows.iter().find(|r| &r[0] == "TSH-001-WHT-M").expect("row");
    assert_eq!(
        white.iter().collect::<Vec<_>>(),
        [
            "TSH-001-WHT-M",
            "White tee M",
            "25000",
            "8800000000017",
            "TSH-001",
            "WHT",
            "M",
            "tops",
            "false"
        ]
    );
    let r = hub
        .http
        .post(format!("{}/api/v1/products/import", hub.url))
        .bearer_auth(&hub.token)
        .header("content-type", "text/csv")
        .body(body.clone())
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (v["imported"].clone(), v["errors"].clone()),
        (json!(5), json!([]))
    );
    let (_, _, again) = hub.get_text("products/export.csv").await;
    assert_eq!(again, body);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_rules_reach_tills_set_the_current_price_and_cancel() {
    let hub = TestHub::start().await;
    hub.seed_products(VARIANTS).await;
    let mut till = Till::open(&hub, "GN01").await;
    assert!(till.snapshot_records.is_empty());
    let now = hub_server::now_ms();

    let (s, v) = hub
        .post(
            "price-rules",
            json!({"skus": ["TSH-001-BLK-M"], "price": 19_000, "valid_from_ms": now - 1000,
                   "valid_to_ms": now + 3_600_000, "label": "Flash deal"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let rule = v[0].clone();
    assert_eq!(
        (
            rule["sku"].clone(),
            rule["price"].clone(),
            rule["active_now"].clone()
        ),
        (json!("TSH-001-BLK-M"), json!(19_000), json!(true))
    );
    let id = rule["id"].as_str().expect("id").to_owned();
    // The connected till receives it downstream.
    let op = till
        .downstream(|op| matches!(op.body, OpBody::PriceRule(_)))
        .await;
    match op.body {
        OpBody::PriceRule(r) => {
            assert_eq!(
                (r.id.to_string(), r.price, r.label.as_str()),
                (id.clone(), 19_000, "Flash deal")
            );
            assert!(!r.cancelled);
        }
        _ => unreachable!(),
    }
    let (_, v) = hub.get("products?sku=TSH-001-BLK-M").await;
    assert_eq!(
        (
            v["items"][0]["price"].clone(),
            v["items"][0]["current_price"].clone(),
            v["items"][0]["price_label"].clone()
        ),
        (json!(29_000), json!(19_000), json!("Flash deal"))
    );

    // A whole style, starting tomorrow: one rule per variant, not in force yet.
    let tomorrow = now + 86_400_000;
    let (s, v) = hub
        .post(
            "price-rules",
            json!({"style": "JNS-001", "price": 49_000, "valid_from_ms": tomorrow, "label": "Denim week"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[0]["active_now"], false);
    let (_, v) = hub.get("products?style=JNS-001").await;
    assert_eq!(v["items"][0]["current_price"], 59_000);
    let (_, v) = hub
        .get(&format!("price-rules?active_at={}", tomorrow + 1))
        .await;
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    let (_, v) = hub.get("price-rules?sku=TSH-001-BLK-M").await;
    assert_eq!(v.as_array().map(Vec::len), Some(1));

    // A new till gets every live rule in its snapshot, as the rule's winning op.
    let newcomer = Till::open(&hub, "HD02").await;
    let mut in_snapshot: Vec<String> = newcomer
        .snapshot_records
        .iter()
        .filter_map(|op| match &op.body {
            OpBody::PriceRule(r) => Some(r.sku.to_string()),
            _ => None,
        })
        .collect();
    in_snapshot.sort();
    assert_eq!(
        in_snapshot,
        ["JNS-001-IND-30", "JNS-001-IND-32", "TSH-001-BLK-M"]
    );

    // Cancel: the till learns it, the price goes back, the snapshot drops it.
    let (s, v) = hub
        .post(&format!("price-rules/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["cancelled"].clone(), v["active_now"].clone()),
        (json!(true), json!(false))
    );
    let op = till
        .downstream(|op| matches!(&op.body, OpBody::PriceRule(r) if r.cancelled))
        .await;
    assert!(matches!(op.body, OpBody::PriceRule(r) if r.id.to_string() == id));
    let (_, v) = hub.get("products?sku=TSH-001-BLK-M").await;
    assert_eq!(v["items"][0]["current_price"], 29_000);
    let (_, v) = hub.get("price-rules?sku=TSH-001-BLK-M").await;
    assert_eq!(v, json!([]));
    let (_, v) = hub
        .get("price-rules?sku=TSH-001-BLK-M&include_cancelled=true")
        .await;
    assert_eq!(v[0]["cancelled"], true);
    let later = Till::open(&hub, "GN01").await;
    assert!(
        later
            .snapshot_records
            .iter()
            .all(|op| !matches!(&op.body, OpBody::PriceRule(r) if r.id.to_string() == id))
    );

    assert_refused(
        hub.post(&format!("price-rules/{id}/cancel"), json!({}))
            .await,
        409,
        "already_cancelled",
    );
    assert_refused(
        hub.post(
            "price-rules/0190a000-0000-7000-8000-000000000000/cancel",
            json!({}),
        )
        .await,
        404,
        "unknown_price_rule",
    );
    assert_refused(
        hub.post("price-rules/not-a-uuid/cancel", json!({})).await,
        400,
        "invalid_input",
    );
    let base =
        json!({"skus": ["TSH-001-BLK-M"], "price": 1000, "valid_from_ms": now, "label": "x"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, status, code) in [
        (with("style", json!("TSH-001")), 400, "invalid_input"),
        (with("skus", json!([])), 400, "invalid_input"),
        (with("skus", json!(["NOPE-1"])), 404, "unknown_sku"),
        (with("skus", json!(["bad sku"])), 400, "invalid_input"),
        (with("price", json!(-1)), 400, "invalid_input"),
        (with("label", json!("  ")), 400, "invalid_input"),
        (with("valid_to_ms", json!(now)), 400, "invalid_input"),
        (
            json!({"style": "NOPE", "price": 1, "valid_from_ms": now, "label": "x"}),
            404,
            "unknown_style",
        ),
        (
            json!({"price": 1, "valid_from_ms": now, "label": "x"}),
            400,
            "invalid_input",
        ),
        (with("valid_from_ms", json!(-5)), 400, "invalid_body"),
    ] {
        assert_refused(hub.post("price-rules", body).await, status, code);
    }
    assert_refused(hub.get("price-rules?limit=0").await, 400, "invalid_input");
    assert_refused(
        hub.get("price-rules?active_at=soon").await,
        400,
        "invalid_query",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_console_data_endpoint() {
    let hub = TestHub::start().await;
    let (s, doc) = hub.get("openapi.json").await;
    assert_eq!(s, 200);
    for (path, method) in [
        ("/api/v1/products", "get"),
        ("/api/v1/products/{sku}", "patch"),
        ("/api/v1/products/styles", "get"),
        ("/api/v1/products/export.csv", "get"),
        ("/api/v1/categories", "get"),
        ("/api/v1/price-rules", "post"),
        ("/api/v1/price-rules", "get"),
        ("/api/v1/price-rules/{id}/cancel", "post"),
        ("/api/v1/inventory/summary", "get"),
        ("/api/v1/inventory/matrix", "get"),
        ("/api/v1/inventory/alerts", "get"),
        ("/api/v1/stocktakes", "post"),
        ("/api/v1/stock/movements", "get"),
        ("/api/v1/dashboard", "get"),
        ("/api/v1/reports/sell-through", "get"),
        ("/api/v1/sales/export.csv", "get"),
        ("/api/v1/members", "get"),
        ("/api/v1/members", "post"),
        ("/api/v1/members/analytics", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
        assert!(
            op["responses"]["400"].is_object() || op["responses"]["401"].is_object(),
            "{method} {path}"
        );
    }
    for schema in [
        "Dashboard",
        "StockMatrix",
        "PriceRuleJson",
        "Member",
        "Stocktake",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    hub.stop().await;
}
