//! Command tests on `tauri::test::mock_builder()`: the real commands, state
//! and till core, invoked through Tauri's IPC layer as the screens do (JSON
//! arguments in camelCase, `{ code, message }` errors), without a window.

use std::path::Path;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use pos_agent::{CatalogItem, Till};
use serde_json::{Value, json};
use sync_proto::people::{StaffRecord, StaffRole};
use sync_proto::{ActorId, Hlc};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use uuid::Uuid;

use crate::run_app;

#[test]
fn saved_receipts_stay_in_the_receipts_folder_unless_absolute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = crate::commands::receipt_path(dir.path(), "r.txt").expect("bare name");
    assert_eq!(p, dir.path().join("receipts").join("r.txt"));
    let abs = dir.path().join("elsewhere.txt");
    let kept = crate::commands::receipt_path(dir.path(), &abs.display().to_string()).expect("abs");
    assert_eq!(kept, abs);
    let e = crate::commands::receipt_path(dir.path(), "../x.txt").expect_err("parent dir");
    assert_eq!(e.code, "invalid_input");
    let e = crate::commands::receipt_path(dir.path(), " ").expect_err("empty");
    assert_eq!(e.code, "invalid_input");
}

const CASHIER_PIN: &str = "1234";
const MANAGER_PIN: &str = "9876";

/// A fast argon2id PHC hash (the verifier reads the parameters from it).
fn pin_hash(pin: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[9u8; 16]).expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn staff(n: u128, username: &str, role: StaffRole, pin: &str) -> StaffRecord {
    StaffRecord {
        id: Uuid::from_u128(n),
        username: username.into(),
        display_name: username.to_uppercase(),
        role,
        store: "GN01".parse().expect("store"),
        pin_hash: Some(pin_hash(pin)),
        active: true,
    }
}

/// An offline-enrolled till of store GN01 with two products and two staff.
fn seed_till(dir: &Path) {
    let mut till = Till::open_offline(dir, "GN01", 1).expect("open till");
    till.seed_catalog(&[
        CatalogItem {
            sku: "TSH-0001-BLK-M".into(),
            name: "Tee black M".into(),
            price: Some(39_000),
            barcode: Some("8801234567890".into()),
            style: Some("TSH-0001".into()),
            colour: Some("BLK".into()),
            size: Some("M".into()),
            category: Some("Tops".into()),
            active: true,
        },
        CatalogItem {
            sku: "OLD-0001".into(),
            name: "Retired".into(),
            price: Some(1_000),
            active: false,
            ..CatalogItem::default()
        },
    ])
    .expect("seed catalog");
    let hub = ActorId::new_random();
    let hlc = Hlc {
        wall_ms: 1_000,
        counter: 0,
        actor: hub,
    };
    for s in [
        staff(1, "kim", StaffRole::Cashier, CASHIER_PIN),
        staff(2, "park", StaffRole::StoreManager, MANAGER_PIN),
    ] {
        pos_agent::people::apply_staff(till.connection(), &s, &hlc).expect("staff");
    }
}

struct TestApp {
    dir: tempfile::TempDir,
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

impl TestApp {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        seed_till(dir.path());
        let app = run_app(
            mock_builder(),
            mock_context(noop_assets()),
            dir.path().to_path_buf(),
        )
        .expect("app builds");
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        Self {
            dir,
            _app: app,
            webview,
        }
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Invoke `cmd` with JSON `args`: Ok(value) or Err({code, message}).
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.webview, req)
            .map(|b| b.deserialize::<Value>().expect("json response"))
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} refused: {e}"))
    }

    fn err_code(&self, cmd: &str, args: Value) -> String {
        match self.invoke(cmd, args) {
            Ok(v) => panic!("{cmd} should have been refused, got {v}"),
            Err(e) => e["code"].as_str().unwrap_or("<no code>").to_owned(),
        }
    }
}

fn one_tee_cash(amount: i64) -> Value {
    json!({ "req": {
        "items": [{ "code": "8801234567890", "qty": 1 }],
        "tenders": [{ "kind": "cash", "amount": amount }],
        // The screens cannot choose the cashier: the shell overwrites it.
        "cashier": "someone-else",
    }})
}

#[test]
fn unlock_sell_status() {
    let t = TestApp::new();
    let info = t.ok("app_info", json!({}));
    assert_eq!(info["enrolled"], true);

    let staff = t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    assert_eq!(staff["username"], "kim");
    assert_eq!(t.ok("current_staff", json!({}))["username"], "kim");

    let hit = t.ok("scan", json!({ "code": "8801234567890" }));
    assert_eq!(hit["sku"], "TSH-0001-BLK-M");
    assert_eq!(hit["current_price"], 39_000);
    assert_eq!(hit["stock"], 0);

    // No sale outside a shift.
    assert_eq!(t.err_code("sell", one_tee_cash(50_000)), "no_open_shift");
    let shift = t.ok("open_shift", json!({ "float": 100_000 }));
    assert_eq!(shift["opened_by"], "kim");
    assert_eq!(
        t.err_code("open_shift", json!({ "float": 1 })),
        "shift_already_open"
    );

    let quote = t.ok("quote_sale", one_tee_cash(50_000));
    assert_eq!(quote["total"], 39_000);
    assert_eq!(quote["needs_approval"], false);
    let settle = t.ok(
        "settle_preview",
        json!({ "total": 39_000, "tenders": [{ "kind": "cash", "amount": 10_000 }] }),
    );
    assert_eq!(settle["remaining"], 29_000);

    let sold = t.ok("sell", one_tee_cash(50_000));
    let sale = &sold["sale"];
    assert_eq!(sale["total"], 39_000);
    assert_eq!(sale["change_given"], 11_000);
    assert_eq!(sale["cashier"], "kim", "cashier comes from the session");
    let receipt = sale["receipt"].as_str().expect("receipt no").to_owned();

    let status = t.ok("status", json!({}));
    assert_eq!(status["sales_count"], 1);
    assert!(status["unsent_ops"].as_u64().is_some_and(|n| n >= 2));

    let text = t.ok("receipt_text", json!({ "receipt": receipt }));
    assert!(
        text.as_str().is_some_and(|s| s.contains("Tee black M")),
        "{text}"
    );
    let stock = t.ok("stock", json!({ "sku": "TSH-0001-BLK-M" }));
    assert_eq!(stock[0]["qty"], -1);

    let saved = t.ok(
        "save_receipt",
        json!({ "receipt": receipt, "path": format!("receipt-{receipt}.txt"), "format": "text" }),
    );
    let saved = std::path::PathBuf::from(saved.as_str().expect("path"));
    assert!(
        saved.starts_with(t.data_dir().join("receipts")),
        "{saved:?}"
    );
    let text = std::fs::read_to_string(&saved).expect("receipt file");
    assert!(text.contains(&receipt), "{text}");

    let preview = t.ok("return_preview", json!({ "receipt": receipt }));
    assert_eq!(preview["lines"][0]["left"], 1);
    let ret = t.ok(
        "return_sale",
        json!({ "req": { "receipt": receipt, "items": [] } }),
    );
    assert_eq!(ret["return"]["lines"][0]["qty"], 1);

    let summary = t.ok("current_shift", json!({}));
    assert_eq!(summary["sales_count"], 1);
    assert_eq!(summary["returns_count"], 1);
    // Float 100,000 + 39,000 cash sale − 39,000 cash refund.
    assert_eq!(summary["expected_cash"], 100_000);
    let z = t.ok("close_shift", json!({ "countedCash": 99_000 }));
    assert_eq!(z["over_short"], -1_000);
    let shift_id = z["summary"]["shift"]["id"].as_str().expect("id").to_owned();
    let again = t.ok("z_report", json!({ "shiftId": shift_id }));
    assert_eq!(again["text"], z["text"]);
}

#[test]
fn errors_carry_codes_and_messages() {
    let t = TestApp::new();
    // Nothing works before a PIN.
    assert_eq!(t.err_code("sell", one_tee_cash(50_000)), "not_unlocked");
    assert_eq!(t.err_code("scan", json!({ "code": "x" })), "not_unlocked");
    assert_eq!(t.err_code("unlock", json!({ "pin": "0000" })), "wrong_pin");

    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let unknown = t
        .invoke("scan", json!({ "code": "nope" }))
        .expect_err("unknown code");
    assert_eq!(unknown["code"], "unknown_item");
    assert!(
        unknown["message"]
            .as_str()
            .is_some_and(|m| m.contains("nope")),
        "{unknown}"
    );
    assert_eq!(
        t.err_code("scan", json!({ "code": "OLD-0001" })),
        "not_for_sale"
    );
    t.ok("open_shift", json!({ "float": 0 }));
    assert_eq!(t.err_code("sell", one_tee_cash(10_000)), "tender_short");
    assert_eq!(
        t.err_code("receipt", json!({ "receipt": "GN01-01-999999" })),
        "unknown_receipt"
    );
    // Lock screen ends the session.
    t.ok("lock_screen", json!({}));
    assert_eq!(t.ok("current_staff", json!({})), Value::Null);
    assert_eq!(t.err_code("sell", one_tee_cash(50_000)), "not_unlocked");
}

#[test]
fn manager_only_actions_refuse_cashiers() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let refused = t.invoke("sync_now", json!({})).expect_err("cashier");
    assert_eq!(refused["code"], "manager_only");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("manager")),
        "{refused}"
    );
    assert_eq!(t.err_code("outbox_pending", json!({})), "manager_only");
    assert_eq!(
        t.err_code("set_discount_limit_pct", json!({ "pct": 50 })),
        "manager_only"
    );
    t.ok("open_shift", json!({ "float": 50_000 }));
    assert_eq!(
        t.err_code(
            "cash_movement",
            json!({ "kind": "out", "amount": 1_000, "reason": "bank" })
        ),
        "manager_only"
    );
    let cash_in = t.ok(
        "cash_movement",
        json!({ "kind": "in", "amount": 5_000, "reason": "change" }),
    );
    assert_eq!(cash_in["by"], "kim");

    // A manager passes the role checks (this offline till has no hub, so the
    // loop just starts and retries).
    t.ok("unlock", json!({ "pin": MANAGER_PIN }));
    t.ok("sync_now", json!({}));
    t.ok("set_discount_limit_pct", json!({ "pct": 50 }));
    let out = t.ok(
        "cash_movement",
        json!({ "kind": "out", "amount": 1_000, "reason": "bank" }),
    );
    assert_eq!(out["by"], "park");
    // Shifts stay on the till; a sale is what waits for the hub.
    assert_eq!(t.ok("outbox_pending", json!({ "limit": 10 })), json!([]));
    let sold = t.ok("sell", one_tee_cash(39_000));
    assert_eq!(sold["sale"]["cashier"], "park");
    let pending = t.ok("outbox_pending", json!({ "limit": 10 }));
    assert!(
        pending
            .as_array()
            .is_some_and(|p| p.iter().any(|op| op["kind"] == "sale")),
        "{pending}"
    );
}

#[test]
fn big_discounts_need_a_manager_pin() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    t.ok("open_shift", json!({ "float": 0 }));
    let mut req = one_tee_cash(39_000);
    req["req"]["cart_discount"] = json!({ "kind": "percent", "value": 50 });
    req["req"]["tenders"] = json!([]);
    let quote = t.ok("quote_sale", req.clone());
    assert_eq!(quote["needs_approval"], true);
    let refused = t.invoke("sell", req.clone()).expect_err("over the limit");
    assert_eq!(refused["code"], "approval_required");
    req["req"]["approver_pin"] = json!(CASHIER_PIN);
    assert_eq!(t.err_code("sell", req.clone()), "approval_refused");
    req["req"]["approver_pin"] = json!(MANAGER_PIN);
    let sold = t.ok("sell", req);
    assert_eq!(sold["sale"]["total"], 19_500);
}

#[test]
fn quit_refuses_while_sales_are_unsent() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    t.ok("open_shift", json!({ "float": 0 }));
    t.ok("sell", one_tee_cash(39_000));
    let refused = t
        .invoke("quit", json!({ "force": false }))
        .expect_err("unsent");
    assert_eq!(refused["code"], "unsent_sales");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("not reached head office")),
        "{refused}"
    );
}

#[test]
fn enrol_is_refused_on_an_enrolled_till() {
    let t = TestApp::new();
    let refused = t
        .invoke(
            "enrol",
            json!({ "hubUrl": "http://127.0.0.1:9", "code": "x" }),
        )
        .expect_err("enrolled");
    assert_eq!(refused["code"], "already_enrolled");
}

mod chat;
mod limited;
mod logistics;
