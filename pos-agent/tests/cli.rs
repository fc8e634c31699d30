//! The `pos-agent` binary's contract (notes/contract.md) on a till prepared
//! offline through the library: output shapes and exit codes.

use std::path::Path;
use std::process::{Command, Output};

use pos_agent::{CatalogItem, Till};
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pos-agent"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run pos-agent")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(dir: &Path, args: &[&str], code: i32, needle: &str) {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr {stderr:?} lacks {needle:?}"
    );
}

fn prepared_till() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 3).expect("open");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_hub = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    pos_agent::db::set_meta(till.connection(), pos_agent::db::keys::HUB_URL, &dead_hub)
        .expect("hub");
    till.seed_catalog(&[
        CatalogItem {
            sku: "TSH-0001-BLK-M".into(),
            name: "Tee black M".into(),
            price: Some(39_000),
            barcode: Some("8801234567890".into()),
            active: true,
            ..CatalogItem::default()
        },
        CatalogItem {
            sku: "SCK-0003-WHT-F".into(),
            name: "Socks".into(),
            price: Some(5_000),
            active: true,
            ..CatalogItem::default()
        },
    ])
    .expect("seed");
    dir
}

#[test]
fn sell_stock_status_receipt_and_return() {
    let dir = prepared_till();
    let d = dir.path();
    let out = ok(d, &["sell", "TSH-0001-BLK-M:2", "SCK-0003-WHT-F"]);
    assert_eq!(out.trim(), "GN01-03-000001");
    let out = ok(
        d,
        &[
            "sell",
            "8801234567890",
            "--repeat",
            "3",
            "--tender",
            "cash:50000",
        ],
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["GN01-03-000002", "GN01-03-000003", "GN01-03-000004"]
    );
    let out = ok(
        d,
        &[
            "sell",
            "SCK-0003-WHT-F:4",
            "--tender",
            "cash:5000",
            "--tender",
            "card",
            "--json",
            "--cashier",
            "Lee",
        ],
    );
    let sale: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(sale["total"], 20_000);
    assert_eq!(sale["receipt"], "GN01-03-000005");
    assert_eq!(sale["tenders"][1]["kind"], "card");
    assert_eq!(sale["tenders"][1]["amount"], 15_000);

    let stock: Value =
        serde_json::from_str(&ok(d, &["stock", "TSH-0001-BLK-M", "--json"])).expect("json");
    assert_eq!(stock[0]["sku"], "TSH-0001-BLK-M");
    assert_eq!(stock[0]["qty"], -5);
    assert_eq!(stock[0]["name"], "Tee black M");
    let all: Value = serde_json::from_str(&ok(d, &["stock", "--json"])).expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(2));

    let status: Value = serde_json::from_str(&ok(d, &["status", "--json"])).expect("json");
    for key in [
        "actor",
        "store",
        "till_no",
        "hub",
        "last_seq",
        "acked_seq",
        "unsent_ops",
        "cursor",
        "last_sync_ms",
        "sales_count",
        "needs_enrolment",
    ] {
        assert!(status.get(key).is_some(), "status lacks {key}");
    }
    assert_eq!(status["sales_count"], 5);
    assert_eq!(status["unsent_ops"], 5 + 2 + 3 + 1);
    assert_eq!(status["needs_enrolment"], false);

    let ret = ok(d, &["return", "GN01-03-000001", "TSH-0001-BLK-M:1"]);
    assert_eq!(ret.trim(), "GN01-03-000006");
    fails(
        d,
        &["return", "GN01-03-000001", "TSH-0001-BLK-M:2"],
        1,
        "only 1 still returnable",
    );
    let ret: Value =
        serde_json::from_str(&ok(d, &["return", "GN01-03-000001", "--json"])).expect("json");
    assert_eq!(ret["total_refund"], 39_000 + 5_000);

    let text = ok(d, &["receipt", "GN01-03-000001"]);
    assert!(
        text.contains("GN01-03-000001") && text.contains("Code 128") && text.contains("TOTAL"),
        "{text}"
    );
    let text = ok(d, &["receipt", "GN01-03-000006"]);
    assert!(text.contains("RETURN"), "{text}");
    let json: Value =
        serde_json::from_str(&ok(d, &["receipt", "GN01-03-000001", "--json"])).expect("json");
    assert_eq!(json["type"], "sale");
    assert_eq!(json["returns"].as_array().map(Vec::len), Some(2));
}

#[test]
fn refusals_have_clear_messages_and_exit_codes() {
    let dir = prepared_till();
    let d = dir.path();
    fails(d, &["sell", "NOPE-1"], 1, "no product with SKU or barcode");
    fails(d, &["sell", "TSH-0001-BLK-M:0"], 1, "out of range");
    fails(d, &["sell", "TSH-0001-BLK-M:10001"], 1, "out of range");
    fails(
        d,
        &["sell", "TSH-0001-BLK-M", "--tender", "cash:1000"],
        1,
        "short",
    );
    fails(d, &["return", "GN01-03-000099"], 1, "no receipt");
    fails(d, &["receipt", "nonsense"], 1, "invalid receipt number");
    fails(d, &["sync", "--once"], 2, "cannot reach the hub");
    let status: Value = serde_json::from_str(&ok(d, &["status", "--json"])).expect("json");
    assert_eq!(status["sales_count"], 0);

    let fresh = tempfile::tempdir().expect("tempdir");
    fails(fresh.path(), &["sync", "--once"], 1, "not enrolled");
    fails(
        fresh.path(),
        &["enrol", "--hub", "http://127.0.0.1:1", "--code", "X"],
        2,
        "cannot reach the hub",
    );
}
