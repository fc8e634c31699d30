//! The hub serves the HQ console at `/` and the driver page at `/driver` (or,
//! when one was not built, a page saying how to build it) without ever
//! shadowing its own routes: an unknown API path stays the API's JSON 404.

mod common;

use common::TestHub;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_serves_the_console_and_api_paths_stay_json() {
    let hub = TestHub::start().await;
    let root = hub
        .http
        .get(format!("{}/", hub.url))
        .send()
        .await
        .expect("GET /");
    let status = root.status().as_u16();
    let ctype = root.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    let cache = root.headers()["cache-control"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    let body = root.text().await.expect("body");
    assert_eq!(ctype, "text/html; charset=utf-8");
    assert_eq!(cache, "no-cache");
    if hub_server::console::is_built() {
        assert_eq!(status, 200);
        assert!(
            body.contains("<div id=\"app\">"),
            "the console's index.html: {body}"
        );
    } else {
        assert_eq!(status, 503);
        assert!(
            body.contains("cargo xtask ui"),
            "says how to build it: {body}"
        );
    }

    // A console route is the same page (the browser's router shows it).
    let deep = hub
        .http
        .get(format!("{}/inventory", hub.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(deep.status().as_u16(), status);
    assert_eq!(deep.text().await.expect("body"), body);

    // The API's own 404 is untouched.
    for path in ["/api/v1/nope", "/api/v2/anything", "/sync/nope"] {
        let r = hub
            .http
            .get(format!("{}{path}", hub.url))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status().as_u16(), 404, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json", "{path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "not_found", "{path}");
    }
    // The driver page at /driver (or, unbuilt, how to build it); /drivers… is not it.
    let driver = hub
        .http
        .get(format!("{}/driver", hub.url))
        .send()
        .await
        .expect("GET /driver");
    let driver_status = driver.status().as_u16();
    let driver_body = driver.text().await.expect("body");
    if hub_server::driver_page::is_built() {
        assert_eq!(driver_status, 200);
        assert!(
            driver_body.contains("/driver/assets/"),
            "the driver page's index.html: {driver_body}"
        );
    } else {
        assert_eq!(driver_status, 503);
        assert!(driver_body.contains("cargo xtask ui"), "{driver_body}");
    }
    assert_ne!(driver_body, body, "the driver page is not the console");
    let drivers = hub
        .http
        .get(format!("{}/drivers", hub.url))
        .send()
        .await
        .expect("GET /drivers");
    assert_eq!(drivers.status().as_u16(), status);
    assert_eq!(drivers.text().await.expect("body"), body);

    let health = hub
        .http
        .get(format!("{}/healthz", hub.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.text().await.expect("body"), "ok");
    hub.stop().await;
}
