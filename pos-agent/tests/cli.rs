//! The `pos-agent` binary's contract (notes/contract.md) on a till prepared
//! offline through the library: output shapes and exit codes.

use std::path::Path;

use pos_agent::{CatalogItem, Till};
use serde_json::Value;

mod common;
use common::{ok, run};

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

/// A PHC argon2id hash with small parameters (fast in debug builds).
fn pin_hash(pin: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[3u8; 16]).expect("salt");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn give_staff(dir: &Path) {
    use sync_proto::op::OpBody;
    use sync_proto::people::{StaffRecord, StaffRole};
    let hub = sync_proto::ActorId(uuid::Uuid::from_bytes([9; 16]));
    let op = |seq: u64, username: &str, pin: &str, active: bool| sync_proto::Op {
        actor: hub,
        seq,
        hlc: sync_proto::Hlc {
            wall_ms: 1_000,
            counter: seq as u32,
            actor: hub,
        },
        scope: sync_proto::Scope::Store("GN01".parse().expect("store")),
        body: OpBody::StaffSet(StaffRecord {
            id: uuid::Uuid::from_u128(u128::from(seq)),
            username: username.into(),
            display_name: username.to_uppercase(),
            role: StaffRole::Cashier,
            store: "GN01".parse().expect("store"),
            pin_hash: Some(pin_hash(pin)),
            active,
        }),
    };
    Till::open(dir)
        .expect("open")
        .apply_downstream(
            &[op(1, "kim", "1234", true), op(2, "lee", "5678", false)],
            2,
        )
        .expect("staff");
}

#[test]
fn hq_lock_pin_member_and_messages_from_the_cli() {
    let dir = prepared_till();
    let d = dir.path();
    give_staff(d);

    // --pin: the cashier is the PIN's owner; wrong and inactive PINs are refused.
    let sale: Value = serde_json::from_str(&ok(
        d,
        &["sell", "TSH-0001-BLK-M", "--pin", "1234", "--json"],
    ))
    .expect("json");
    assert_eq!(sale["cashier"], "kim");
    fails(
        d,
        &["sell", "TSH-0001-BLK-M", "--pin", "0000"],
        1,
        "wrong PIN",
    );
    fails(
        d,
        &["sell", "TSH-0001-BLK-M", "--pin", "5678"],
        1,
        "no longer active",
    );

    // Members: sign up offline, find, attach to a sale; unknown phones refused.
    let added = ok(
        d,
        &[
            "member",
            "add",
            "--phone",
            "010-1234-5678",
            "--name",
            "Choi",
            "--birth-year",
            "1994",
            "--consent",
        ],
    );
    assert!(added.starts_with("signed up member 01012345678"), "{added}");
    let again = ok(
        d,
        &[
            "member",
            "add",
            "--phone",
            "01012345678",
            "--name",
            "Choi Y",
        ],
    );
    assert!(again.starts_with("updated member"), "{again}");
    let found: Value = serde_json::from_str(&ok(
        d,
        &["member", "find", "--phone", "010 1234 5678", "--json"],
    ))
    .expect("json");
    assert_eq!(found["name"], "Choi Y");
    assert_eq!(found["birth_year"], 1994);
    assert_eq!(found["home_store"], "GN01");
    fails(
        d,
        &["member", "find", "--phone", "010-0000-0000"],
        1,
        "member add",
    );
    let sale: Value = serde_json::from_str(&ok(
        d,
        &[
            "sell",
            "SCK-0003-WHT-F",
            "--member",
            "010-1234-5678",
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(sale["member"], found["id"]);
    fails(
        d,
        &["sell", "SCK-0003-WHT-F", "--member", "010-9999-0000"],
        1,
        "pos-agent member add --phone 010-9999-0000",
    );

    // HQ locks the till (the sync daemon would carry the command out).
    let receipt = sale["receipt"].as_str().expect("receipt").to_owned();
    let mut till = Till::open(d).expect("open");
    till.receive_command(&sync_proto::wire::Command {
        id: uuid::Uuid::now_v7(),
        kind: sync_proto::wire::CommandKind::Lock,
    })
    .expect("lock");
    till.receive_command(&sync_proto::wire::Command {
        id: uuid::Uuid::now_v7(),
        kind: sync_proto::wire::CommandKind::ShowMessage("Call HQ".into()),
    })
    .expect("message");
    let locked = "this till is locked by head office; ask HQ to unlock it";
    fails(d, &["sell", "TSH-0001-BLK-M"], 1, locked);
    fails(d, &["sell", "TSH-0001-BLK-M", "--pin", "1234"], 1, locked);
    fails(d, &["return", &receipt], 1, locked);
    let status: Value = serde_json::from_str(&ok(d, &["status", "--json"])).expect("json");
    assert_eq!(status["locked"], true);
    assert_eq!(status["unread_messages"][0]["text"], "Call HQ");
    let text = ok(d, &["status"]);
    assert!(text.contains("LOCKED by head office"), "{text}");
    assert!(text.contains("message from head office: Call HQ"), "{text}");
    let listed = ok(d, &["messages", "--mark-read"]);
    assert!(listed.contains("Call HQ"), "{listed}");
    assert_eq!(ok(d, &["messages"]).trim(), "no messages from head office");
    let status: Value = serde_json::from_str(&ok(d, &["status", "--json"])).expect("json");
    assert_eq!(status["unread_messages"].as_array().map(Vec::len), Some(0));

    till.receive_command(&sync_proto::wire::Command {
        id: uuid::Uuid::now_v7(),
        kind: sync_proto::wire::CommandKind::Unlock,
    })
    .expect("unlock");
    ok(d, &["sell", "TSH-0001-BLK-M"]);
}
