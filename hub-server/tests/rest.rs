//! The REST API in process: auth refusals, input validation (400 JSON),
//! enrolment codes, catalog import, stock, OpenAPI, health.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::enrol::EnrolRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_refuse_requests_without_a_valid_session() {
    let hub = TestHub::start().await;
    for path in ["stores", "tills", "stock?sku=TSH-001", "sales", "products"] {
        let r = hub
            .http
            .get(format!("{}/api/v1/{path}", hub.url))
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        assert_error(status, &r.json().await.expect("json"), 401, "unauthorized");
        let r = hub
            .http
            .get(format!("{}/api/v1/{path}", hub.url))
            .bearer_auth("made-up-token")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401);
    }
    let r = hub
        .http
        .post(format!("{}/api/v1/stores", hub.url))
        .json(&json!({"code": "GN01", "name": "x", "kind": "store"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);

    // Wrong password; then the session cookie works like the bearer token.
    let r = hub
        .http
        .post(format!("{}/api/v1/auth/login", hub.url))
        .json(&json!({"username": "admin", "password": "nope"}))
        .send()
        .await
        .expect("login");
    let status = r.status().as_u16();
    assert_error(
        status,
        &r.json().await.expect("json"),
        401,
        "bad_credentials",
    );
    let r = hub
        .http
        .post(format!("{}/api/v1/auth/login", hub.url))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("storelink_session="));
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["role"], "hq_admin");
    let pair = cookie.split(';').next().expect("pair");
    let r = hub
        .http
        .get(format!("{}/api/v1/stores", hub.url))
        .header("cookie", pair)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_a_400_json_error_never_a_5xx() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let cases: Vec<(&str, Value)> = vec![
        (
            "stores",
            json!({"code": "bad code", "name": "x", "kind": "store"}),
        ),
        (
            "stores",
            json!({"code": "ZZ01", "name": "x", "kind": "shop"}),
        ),
        (
            "stores",
            json!({"code": "ZZ01", "name": "", "kind": "store"}),
        ),
        (
            "stores",
            json!({"code": "ZZ01", "name": "x", "kind": "store", "currency": "won"}),
        ),
        ("stores", json!({"name": "missing code"})),
        (
            "products",
            json!({"sku": "has space", "name": "x", "price": 1}),
        ),
        ("products", json!({"sku": "OK-1", "name": "x", "price": -5})),
        (
            "products",
            json!({"sku": "OK-1", "name": "   ", "price": 5}),
        ),
        (
            "products",
            json!({"sku": "OK-1", "name": "x", "price": "cheap"}),
        ),
        (
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": 0, "reason": "receipt"}),
        ),
        (
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": -3, "reason": "receipt"}),
        ),
        (
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": 3, "reason": "gift"}),
        ),
        (
            "stock/adjustments",
            json!({"location": "gn", "sku": "TSH-001", "delta": 3, "reason": "adjustment"}),
        ),
        ("stores/GN01/enrolment-codes", json!({"ttl_minutes": 0})),
    ];
    for (path, body) in cases {
        let (s, v) = hub.post(path, body.clone()).await;
        assert_eq!(s, 400, "POST {path} {body} → {v}");
        assert!(v["error"]["code"].is_string(), "POST {path} {body} → {v}");
    }
    // Not JSON at all.
    let r = hub
        .http
        .post(format!("{}/api/v1/products", hub.url))
        .bearer_auth(&hub.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "invalid_body");
    // Unknown location / store: 404; duplicate store: 409.
    let (s, v) = hub
        .post(
            "stock/adjustments",
            json!({"location": "NO01", "sku": "TSH-001", "delta": 3, "reason": "adjustment"}),
        )
        .await;
    assert_error(s, &v, 404, "unknown_location");
    let (s, v) = hub.post("stores/NO01/enrolment-codes", json!({})).await;
    assert_error(s, &v, 404, "unknown_store");
    let (s, v) = hub
        .post(
            "stores",
            json!({"code": "GN01", "name": "again", "kind": "store"}),
        )
        .await;
    assert_error(s, &v, 409, "store_exists");
    // Bad queries.
    for q in [
        "stock?sku=not%20a%20sku",
        "stock?limit=0",
        "sales?from=yesterday",
        "sales?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z",
        "sales?limit=abc",
        "products?limit=5000",
    ] {
        let (s, v) = hub.get(q).await;
        assert_eq!(s, 400, "GET {q} → {v}");
        assert!(v["error"]["code"].is_string());
    }
    let (s, v) = hub.get("no/such/endpoint").await;
    assert_error(s, &v, 404, "not_found");
    let r = hub
        .http
        .delete(format!("{}/api/v1/stores", hub.url))
        .bearer_auth(&hub.token)
        .send()
        .await
        .expect("delete");
    let status = r.status().as_u16();
    assert_error(
        status,
        &r.json().await.expect("json"),
        405,
        "method_not_allowed",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_codes_are_one_time_and_till_numbers_are_never_reused() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let code = hub
        .ok("stores/GN01/enrolment-codes", json!({"ttl_minutes": 5}))
        .await;
    assert_eq!(code["store"], "GN01");
    assert!(code["expires_at_ms"].as_u64().expect("expiry") > hub_server::now_ms());
    let code = code["code"].as_str().expect("code").to_owned();
    let enrol = |code: String| {
        let http = hub.http.clone();
        let url = hub.url.clone();
        async move {
            let r = http
                .post(format!("{url}/api/v1/enrol"))
                .json(&EnrolRequest {
                    code,
                    app_version: "t".into(),
                })
                .send()
                .await
                .expect("enrol");
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.expect("json"))
        }
    };
    let (s, first) = enrol(code.to_lowercase()).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["till_no"], 1);
    assert_eq!(first["store"], "GN01");
    assert_eq!(first["currency"], "KRW");
    assert!(first["credential"].as_str().expect("credential").len() >= 40);
    let (s, v) = enrol(code).await;
    assert_error(s, &v, 410, "code_used");
    let (s, v) = enrol("AAAA-BBBB-CCCC".into()).await;
    assert_error(s, &v, 401, "unknown_code");
    // Revoke till 1: the next till is still number 2.
    let actor = first["actor"].as_str().expect("actor");
    hub.ok(&format!("tills/{actor}/revoke"), json!({})).await;
    let second = hub.enrol("GN01").await;
    assert_eq!(second.till_no, 2);
    // known-records with the device credential.
    let r = hub
        .http
        .post(format!("{}/api/v1/sync/known-records", hub.url))
        .bearer_auth(&second.credential)
        .json(&json!({"ids": [uuid::Uuid::now_v7()]}))
        .send()
        .await
        .expect("known");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["known"], json!([]));
    let r = hub
        .http
        .post(format!("{}/api/v1/sync/known-records", hub.url))
        .bearer_auth(&hub.token) // an HQ token is not a device credential
        .json(&json!({"ids": []}))
        .send()
        .await
        .expect("known");
    assert_eq!(r.status(), 401);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_import_stock_and_openapi() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let csv = "sku,name,price,barcode,style,colour,size,category\n\
               JKT-014-NVY-S,Field jacket navy S,129000,8800000000024,JKT-014,navy,S,outer\n\
               bad sku,Broken,1000,,,,,\n\
               JNS-104-IND-30,Slim jeans,not-a-price,,,,,\n\
               SCK-001,Socks,5000,,,,,\n";
    let r = hub
        .http
        .post(format!("{}/api/v1/products/import", hub.url))
        .bearer_auth(&hub.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["imported"], 2, "{v}");
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, vec![3, 4]);
    let (_, p) = hub.get("products?sku=JKT-014-NVY-S").await;
    assert_eq!(p["total"], 1);
    assert_eq!(p["items"][0]["price"], 129000);
    assert_eq!(p["items"][0]["colour"], "navy");
    assert_eq!(p["items"][0]["active"], true);
    let (_, p) = hub.get("products").await;
    assert_eq!(p["total"], 3);

    // Stock: per location and chain total.
    hub.receive("WH01", "TSH-001", 40).await;
    let adj = hub
        .ok(
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": -4, "reason": "stocktake", "note": "count"}),
        )
        .await;
    assert_eq!(adj["qty"], 96);
    let (_, s) = hub.get("stock?sku=TSH-001").await;
    assert_eq!(s["chain_total"], 96 + 100 + 40);
    assert_eq!(s["locations"].as_array().expect("locations").len(), 3);
    let (_, s) = hub.get("stock?sku=TSH-001&location=WH01").await;
    assert_eq!(s["locations"], json!([{"location": "WH01", "qty": 40}]));
    assert_eq!(s["chain_total"], 236);
    let (_, s) = hub.get("stock?location=GN01").await;
    assert_eq!(s["total"], 1);
    assert_eq!(s["items"][0]["qty"], 96);
    let (_, s) = hub.get("stock?sku=NEVER-SEEN").await;
    assert_eq!(s["chain_total"], 0);

    // OpenAPI lists every endpoint.
    let r = hub
        .http
        .get(format!("{}/api/v1/openapi.json", hub.url))
        .send()
        .await
        .expect("openapi");
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.expect("json");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/stores",
        "/api/v1/stores/{code}/enrolment-codes",
        "/api/v1/enrol",
        "/api/v1/products",
        "/api/v1/products/import",
        "/api/v1/stock/adjustments",
        "/api/v1/stock",
        "/api/v1/sales",
        "/api/v1/tills",
        "/api/v1/sync/known-records",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    for (path, want) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let r = hub
            .http
            .get(format!("{}{path}", hub.url))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.expect("text"), want);
    }
    hub.stop().await;
}
