//! The OpenAPI document against what the hub really does (the faults a
//! schemathesis run found): query parameters are documented as query
//! parameters, every JSON-body endpoint documents the 413/415 it answers
//! before its handler runs, and `/metrics` its real content type.

mod common;

use common::*;
use serde_json::Value;

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            ops.push((path.clone(), method.clone(), op.clone()));
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_where_the_hub_reads_them() {
    let hub = TestHub::start().await;
    let (s, doc) = hub.get("openapi.json").await;
    assert_eq!(s, 200);
    let mut queries = 0;
    for (path, method, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().expect("name");
            match p["in"].as_str().expect("in") {
                "path" => assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path}: `{name}` is documented as a path parameter"
                ),
                "query" => {
                    queries += 1;
                    // Every query parameter of the hub is optional.
                    assert_ne!(p["required"], true, "{method} {path}: `{name}` required");
                }
                other => panic!("{method} {path}: `{name}` in {other}"),
            }
        }
    }
    assert!(queries > 50, "only {queries} query parameters documented");
    let movements = &doc["paths"]["/api/v1/stock/movements"]["get"]["parameters"];
    let names: Vec<&str> = movements
        .as_array()
        .expect("movements parameters")
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["sku", "location", "limit", "before"]);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_rejections_and_content_types_are_documented() {
    let hub = TestHub::start().await;
    let (_, doc) = hub.get("openapi.json").await;
    let mut json_bodies = 0;
    for (path, method, op) in operations(&doc) {
        let Some(body) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        assert!(op["responses"]["413"].is_object(), "{method} {path}: 413");
        if body.contains_key("application/json") {
            json_bodies += 1;
            assert!(op["responses"]["415"].is_object(), "{method} {path}: 415");
        }
    }
    assert!(json_bodies >= 10, "{json_bodies}");

    // And the hub answers them as documented, as JSON errors.
    let r = hub
        .http
        .post(hub.api("stores"))
        .bearer_auth(&hub.token)
        .body(r#"{"code":"GN01","name":"x","kind":"store"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    let body: Value = r.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "invalid_body");

    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    let documented: Vec<&String> = metrics.as_object().expect("content").keys().collect();
    let r = hub
        .http
        .get(format!("{}/metrics", hub.url))
        .send()
        .await
        .expect("metrics");
    let served = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(documented, [&served]);
    hub.stop().await;
}
