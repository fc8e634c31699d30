//! Limited-item command tests on `tauri::test::mock_builder()` (the [`super::TestApp`]
//! harness): status, holds (place, list, sell held, release), the manager's rights request,
//! coupons through `quote_sale`/`sell` — and every refusal with its code and sentence.

use serde_json::{Value, json};
use sync_proto::escrow::{
    AllocationRule, CouponDiscount, CouponTerms, EscrowKind, EscrowMove, LimitDef, LimitKey,
};
use sync_proto::op::OpBody;
use sync_proto::{ActorId, Hlc, Op, Scope};
use tauri::Manager;
use uuid::Uuid;

use super::{CASHIER_PIN, MANAGER_PIN, TestApp};
use crate::state::PosState;

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const TEE: &str = "TSH-0001-BLK-M";

fn hub_op(seq: u64, scope: Scope, body: OpBody) -> Op {
    Op {
        actor: HUB,
        seq,
        hlc: Hlc {
            wall_ms: 1_000 + seq,
            counter: 0,
            actor: HUB,
        },
        scope,
        body,
    }
}

fn def(key: LimitKey, hold_minutes: u32, coupon: Option<CouponTerms>, active: bool) -> LimitDef {
    LimitDef {
        key,
        label: "Tee drop".into(),
        total: 50,
        rule: AllocationRule::Equal,
        hold_minutes,
        starts_at_ms: None,
        ends_at_ms: None,
        coupon,
        active,
    }
}

fn escrow(key: &LimitKey, kind: EscrowKind, qty: u64) -> OpBody {
    OpBody::EscrowMove(EscrowMove {
        key: key.clone(),
        kind,
        qty,
        reference: None,
        total: qty,
    })
}

/// Deliver hub ops to the app's till as a sync would.
fn deliver(t: &TestApp, ops: &[Op]) {
    let state = t._app.state::<PosState>();
    let mut till = state.till().expect("till");
    let cursor = till.status().expect("status").cursor + ops.len() as u64;
    till.apply_downstream(ops, cursor).expect("apply");
}

fn me(t: &TestApp) -> ActorId {
    let state = t._app.state::<PosState>();
    let till = state.till().expect("till");
    till.enrolment().expect("enr").expect("enrolled").actor
}

/// The tee becomes a drop of 50 (holds of 15 min) and this till gets 2 of them.
fn tee_drop(t: &TestApp) -> LimitKey {
    let key = LimitKey::Sku(TEE.parse().expect("sku"));
    let me = me(t);
    deliver(
        t,
        &[
            hub_op(
                1,
                Scope::Catalog,
                OpBody::LimitDef(def(key.clone(), 15, None, true)),
            ),
            hub_op(2, Scope::Broadcast, escrow(&key, EscrowKind::Mint, 50)),
            hub_op(
                3,
                Scope::Broadcast,
                escrow(&key, EscrowKind::Transfer(me), 2),
            ),
        ],
    );
    key
}

fn tee_sale(qty: u32, hold: Option<&str>) -> Value {
    json!({ "req": {
        "items": [{ "code": TEE, "qty": qty }],
        "tenders": [],
        "hold": hold,
    }})
}

#[test]
fn limited_status_holds_and_selling_a_hold() {
    let t = TestApp::new();
    assert_eq!(t.err_code("limited_items", json!({})), "not_unlocked");
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    assert_eq!(t.ok("limited_items", json!({})), json!([]));
    assert_eq!(t.ok("limited_status", json!({ "sku": TEE })), Value::Null);
    tee_drop(&t);
    let s = t.ok("limited_status", json!({ "sku": "8801234567890" }));
    assert_eq!(s["key"], format!("sku:{TEE}"));
    assert_eq!(
        (s["available"].clone(), s["total_left"].clone()),
        (json!(2), json!(50))
    );
    assert_eq!(s["elsewhere_left"], 48);
    assert_eq!(s["on_sale_now"], true);
    assert_eq!(
        t.ok("limited_items", json!({})).as_array().map(Vec::len),
        Some(1)
    );

    let hold = t.ok(
        "hold_limited",
        json!({ "sku": TEE, "qty": 1, "note": "Ms Kim 010-1234" }),
    );
    assert_eq!(hold["status"], "held");
    assert_eq!(hold["qty"], 1);
    let hold_id = hold["id"].as_str().expect("id").to_owned();
    assert_eq!(t.ok("holds", json!({}))[0]["id"], hold_id.as_str());
    assert_eq!(
        t.ok("limited_status", json!({ "sku": TEE }))["available"],
        1
    );
    assert_eq!(
        t.err_code("hold_limited", json!({ "sku": TEE, "qty": 5 })),
        "limited_used_up"
    );

    t.ok("open_shift", json!({ "float": 0 }));
    let refused = t
        .invoke("sell", tee_sale(2, None))
        .expect_err("one is held");
    assert_eq!(refused["code"], "limited_used_up");
    assert_eq!(
        refused["message"],
        "limited item: only 1 left at this till; 48 left in other stores"
    );
    let quote = t.ok("quote_sale", tee_sale(2, Some(&hold_id)));
    assert_eq!(quote["limited"][0]["available"], 2);
    let sold = t.ok("sell", tee_sale(2, Some(&hold_id)));
    assert_eq!(sold["sale"]["lines"][0]["qty"], 2);
    assert_eq!(t.ok("holds", json!({}))[0]["status"], "sold");
    assert_eq!(
        t.err_code("release_hold", json!({ "id": hold_id })),
        "hold_unknown"
    );
    let refused = t.invoke("sell", tee_sale(1, None)).expect_err("used up");
    assert_eq!(refused["code"], "limited_used_up");
    assert_eq!(
        refused["message"],
        "limited item: this till's allocation is used up; 48 left in other stores"
    );
}

#[test]
fn release_request_and_refusal_codes() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let key = tee_drop(&t);
    let hold = t.ok("hold_limited", json!({ "sku": TEE, "qty": 2 }));
    assert_eq!(
        t.ok("limited_status", json!({ "sku": TEE }))["available"],
        0
    );
    let released = t.ok("release_hold", json!({ "id": hold["id"] }));
    assert_eq!(released["status"], "released");
    assert_eq!(
        t.ok("limited_status", json!({ "sku": TEE }))["available"],
        2
    );

    assert_eq!(
        t.err_code("request_rights", json!({ "sku": TEE, "qty": 3 })),
        "manager_only"
    );
    t.ok("unlock", json!({ "pin": MANAGER_PIN }));
    let s = t.ok("request_rights", json!({ "sku": TEE, "qty": 3 }));
    assert_eq!(s["request_open"], true);
    let pending = t.ok("outbox_pending", json!({ "limit": 50 }));
    assert!(
        pending
            .as_array()
            .is_some_and(|p| p.iter().any(|op| op["kind"] == "rights_request")),
        "{pending}"
    );

    // HQ ends the drop: no more holds or sales.
    deliver(
        &t,
        &[hub_op(
            4,
            Scope::Catalog,
            OpBody::LimitDef(def(key, 0, None, false)),
        )],
    );
    assert_eq!(
        t.err_code("hold_limited", json!({ "sku": TEE, "qty": 1 })),
        "limited_not_on_sale"
    );
    t.ok("open_shift", json!({ "float": 0 }));
    assert_eq!(t.err_code("sell", tee_sale(1, None)), "limited_not_on_sale");
}

#[test]
fn holds_not_allowed_and_coupon_codes() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let tee = LimitKey::Sku(TEE.parse().expect("sku"));
    let campaign = LimitKey::Coupon(Uuid::from_u128(0xC0));
    let me = me(&t);
    let terms = CouponTerms {
        code: "SPRING-5".into(),
        discount: CouponDiscount::Amount(5_000),
        min_spend: 50_000,
    };
    deliver(
        &t,
        &[
            hub_op(
                1,
                Scope::Catalog,
                OpBody::LimitDef(def(tee.clone(), 0, None, true)),
            ),
            hub_op(2, Scope::Broadcast, escrow(&tee, EscrowKind::Mint, 50)),
            hub_op(
                3,
                Scope::Broadcast,
                escrow(&tee, EscrowKind::Transfer(me), 5),
            ),
            hub_op(
                4,
                Scope::Catalog,
                OpBody::LimitDef(def(campaign.clone(), 0, Some(terms), true)),
            ),
            hub_op(5, Scope::Broadcast, escrow(&campaign, EscrowKind::Mint, 50)),
            hub_op(
                6,
                Scope::Broadcast,
                escrow(&campaign, EscrowKind::Transfer(me), 1),
            ),
        ],
    );
    assert_eq!(
        t.err_code("hold_limited", json!({ "sku": TEE, "qty": 1 })),
        "holds_not_allowed"
    );
    t.ok("open_shift", json!({ "float": 0 }));
    let coupon_sale = |code: &str, phone: Option<&str>| {
        json!({ "req": {
            "items": [{ "code": TEE, "qty": 2 }],
            "tenders": [],
            "member_phone": phone,
            "coupon_code": code,
        }})
    };
    assert_eq!(
        t.err_code("sell", coupon_sale("SPRING-5", None)),
        "coupon_needs_member"
    );
    t.ok(
        "sign_up_member",
        json!({ "req": { "phone": "010-2222-3333", "name": "Lee", "birth_year": null, "marketing_consent": false } }),
    );
    let member = Some("010-2222-3333");
    assert_eq!(
        t.err_code("sell", coupon_sale("NOPE", member)),
        "coupon_unknown"
    );
    let quote = t.ok("quote_sale", coupon_sale("spring-5", member));
    assert_eq!(quote["coupon"]["discount"], 5_000);
    assert_eq!(quote["coupon"]["refused"], Value::Null);
    assert_eq!(quote["total"], 73_000);
    let sold = t.ok("sell", coupon_sale("SPRING-5", member));
    assert_eq!(sold["sale"]["total"], 73_000);
    assert_eq!(
        t.err_code("sell", coupon_sale("SPRING-5", member)),
        "coupon_already_used"
    );
    let quote = t.ok("quote_sale", coupon_sale("SPRING-5", member));
    assert!(
        quote["coupon"]["refused"]
            .as_str()
            .is_some_and(|r| r.contains("already used"))
    );
    t.ok(
        "sign_up_member",
        json!({ "req": { "phone": "010-4444-5555", "name": "Park", "birth_year": null, "marketing_consent": false } }),
    );
    assert_eq!(
        t.err_code("sell", coupon_sale("SPRING-5", Some("010-4444-5555"))),
        "coupons_used_up"
    );
}
