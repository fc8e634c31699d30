//! What the hub refuses when a till pushes limited-item and coupon ops
//! (`validate::check_till_op`): escrow moves and redemptions only in scope `broadcast`,
//! requests and holds only in the till's own store scope and about itself, quantities in
//! range, no transfer to itself, no mint without a reference, and never a definition or a
//! recall. Plus `check_limit_def`, what the hub checks before it writes a definition.

use sync_proto::escrow::{
    AllocationRule, CouponDiscount, CouponRedemption, CouponTerms, EscrowKind, EscrowMove,
    HoldStatus, LimitDef, LimitHold, LimitKey, MAX_ESCROW_QTY, MAX_HOLD_MINUTES, RecallReason,
    RightsRecall, RightsRequest,
};
use sync_proto::op::OpBody;
use sync_proto::validate::{MAX_AMOUNT, MAX_TEXT, OpRejection, check_limit_def, check_till_op};
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use uuid::Uuid;

const TILL: ActorId = ActorId(Uuid::from_bytes([3; 16]));
const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));

fn store(code: &str) -> StoreId {
    code.parse().expect("store code")
}

fn sku_key() -> LimitKey {
    "sku:JKT-014-NVY-S".parse().expect("key")
}

fn op(scope: Scope, body: OpBody) -> Op {
    Op {
        actor: TILL,
        seq: 7,
        hlc: Hlc {
            wall_ms: 1_000,
            counter: 0,
            actor: TILL,
        },
        scope,
        body,
    }
}

fn own() -> Scope {
    Scope::Store(store("GN01"))
}

fn check(op: &Op) -> Result<(), OpRejection> {
    check_till_op(op, TILL, &store("GN01"))
}

fn invalid(r: Result<(), OpRejection>) -> bool {
    matches!(r, Err(OpRejection::Invalid { .. }))
}

fn mv(kind: EscrowKind, qty: u64, total: u64, reference: Option<&str>) -> OpBody {
    OpBody::EscrowMove(EscrowMove {
        key: sku_key(),
        kind,
        qty,
        reference: reference.map(str::to_owned),
        total,
    })
}

fn request(till: ActorId, at: &str, qty: u64) -> OpBody {
    OpBody::RightsRequest(RightsRequest {
        id: Uuid::from_u128(1),
        key: sku_key(),
        till,
        store: store(at),
        qty,
    })
}

fn hold() -> LimitHold {
    LimitHold {
        id: Uuid::from_u128(2),
        key: sku_key(),
        till: TILL,
        store: store("GN01"),
        qty: 2,
        placed_at_ms: 1_000,
        expires_at_ms: 1_800_000,
        note: "Ms Kim".into(),
        status: HoldStatus::Held,
        sale: None,
    }
}

fn redemption() -> CouponRedemption {
    CouponRedemption {
        id: Uuid::from_u128(3),
        campaign: Uuid::from_u128(4),
        member: Uuid::from_u128(5),
        sale: Uuid::from_u128(6),
        till: TILL,
        store: store("GN01"),
        discount: 5_000,
        at_ms: 1_000,
    }
}

fn sku_def() -> LimitDef {
    LimitDef {
        key: sku_key(),
        label: "Collab jacket drop".into(),
        total: 100,
        rule: AllocationRule::Equal,
        hold_minutes: 30,
        starts_at_ms: Some(1_000),
        ends_at_ms: Some(2_000),
        coupon: None,
        active: true,
    }
}

fn coupon_def() -> LimitDef {
    LimitDef {
        key: LimitKey::Coupon(Uuid::from_u128(4)),
        label: "300 first-come coupons".into(),
        total: 300,
        rule: AllocationRule::Manual,
        hold_minutes: 0,
        starts_at_ms: None,
        ends_at_ms: None,
        coupon: Some(CouponTerms {
            code: "WELCOME-10".into(),
            discount: CouponDiscount::Percent(10),
            min_spend: 50_000,
        }),
        active: true,
    }
}

#[test]
fn a_tills_own_escrow_ops_pass() {
    let ok = [
        op(Scope::Broadcast, mv(EscrowKind::Use, 2, 5, Some("sale-1"))),
        op(Scope::Broadcast, mv(EscrowKind::Use, 1, 1, None)),
        op(
            Scope::Broadcast,
            mv(EscrowKind::Transfer(HUB), 3, 3, Some("recall-1")),
        ),
        op(
            Scope::Broadcast,
            mv(EscrowKind::Mint, 1, 1, Some("return-1")),
        ),
        op(
            Scope::Broadcast,
            mv(
                EscrowKind::Use,
                MAX_ESCROW_QTY,
                MAX_ESCROW_QTY,
                Some("sale-2"),
            ),
        ),
        op(own(), request(TILL, "GN01", 5)),
        op(own(), OpBody::LimitHold(hold())),
        op(Scope::Broadcast, OpBody::CouponRedemption(redemption())),
    ];
    for o in &ok {
        assert_eq!(check(o), Ok(()), "{:?}", o.body);
    }
    let mut sold = hold();
    sold.status = HoldStatus::Sold;
    sold.sale = Some(Uuid::from_u128(8));
    assert_eq!(check(&op(own(), OpBody::LimitHold(sold))), Ok(()));
    let mut released = hold();
    released.status = HoldStatus::Released;
    assert_eq!(check(&op(own(), OpBody::LimitHold(released))), Ok(()));
}

#[test]
fn escrow_moves_travel_only_in_broadcast() {
    for scope in [
        own(),
        Scope::Store(store("HD02")),
        Scope::Catalog,
        Scope::Hq,
    ] {
        let r = check(&op(scope.clone(), mv(EscrowKind::Use, 1, 1, None)));
        assert!(invalid(r.clone()), "{scope}: {r:?}");
    }
}

#[test]
fn escrow_move_quantities_and_totals_must_make_sense() {
    let bad = [
        mv(EscrowKind::Use, 0, 0, None),
        mv(
            EscrowKind::Use,
            MAX_ESCROW_QTY + 1,
            MAX_ESCROW_QTY + 1,
            None,
        ),
        mv(EscrowKind::Use, 3, 2, None),
        mv(EscrowKind::Transfer(TILL), 1, 1, Some("recall-1")),
        mv(EscrowKind::Mint, 1, 1, None),
        mv(EscrowKind::Mint, 1, 1, Some("  ")),
        mv(EscrowKind::Use, 1, 1, Some(&"x".repeat(MAX_TEXT + 1))),
    ];
    for body in bad {
        let r = check(&op(Scope::Broadcast, body.clone()));
        assert!(invalid(r.clone()), "{body:?}: {r:?}");
    }
}

#[test]
fn escrow_moves_of_another_actor_are_forged() {
    let mut o = op(Scope::Broadcast, mv(EscrowKind::Use, 1, 1, None));
    o.actor = HUB;
    assert!(matches!(check(&o), Err(OpRejection::ForgedActor { .. })));
}

#[test]
fn requests_are_the_tills_own_in_its_own_store() {
    assert!(matches!(
        check(&op(own(), request(HUB, "GN01", 1))),
        Err(OpRejection::ForgedActor { .. })
    ));
    assert!(matches!(
        check(&op(own(), request(TILL, "HD02", 1))),
        Err(OpRejection::WrongStore {
            what: "rights request",
            ..
        })
    ));
    assert!(matches!(
        check(&op(Scope::Store(store("HD02")), request(TILL, "GN01", 1))),
        Err(OpRejection::WrongStore { what: "scope", .. })
    ));
    assert!(matches!(
        check(&op(Scope::Broadcast, request(TILL, "GN01", 1))),
        Err(OpRejection::WrongStore { what: "scope", .. })
    ));
    for qty in [0, MAX_ESCROW_QTY + 1] {
        assert!(invalid(check(&op(own(), request(TILL, "GN01", qty)))));
    }
}

#[test]
fn holds_are_the_tills_own_and_well_formed() {
    let refuse = |h: LimitHold| check(&op(own(), OpBody::LimitHold(h)));
    let mut h = hold();
    h.till = HUB;
    assert!(matches!(refuse(h), Err(OpRejection::ForgedActor { .. })));
    let mut h = hold();
    h.store = store("HD02");
    assert!(matches!(
        refuse(h),
        Err(OpRejection::WrongStore { what: "hold", .. })
    ));
    let mut h = hold();
    h.qty = 0;
    assert!(invalid(refuse(h)));
    let mut h = hold();
    h.qty = MAX_ESCROW_QTY + 1;
    assert!(invalid(refuse(h)));
    let mut h = hold();
    h.note = "n".repeat(MAX_TEXT + 1);
    assert!(invalid(refuse(h)));
    let mut h = hold();
    h.expires_at_ms = h.placed_at_ms;
    assert!(invalid(refuse(h)));
    let mut h = hold();
    h.sale = Some(Uuid::from_u128(8));
    assert!(invalid(refuse(h)), "a sale on a hold that is not sold");
    let mut h = hold();
    h.status = HoldStatus::Sold;
    assert!(invalid(refuse(h)), "a sold hold without its sale");
    assert!(matches!(
        check(&op(Scope::Broadcast, OpBody::LimitHold(hold()))),
        Err(OpRejection::WrongStore { what: "scope", .. })
    ));
}

#[test]
fn redemptions_are_broadcast_by_the_till_for_its_store() {
    let refuse = |scope: Scope, r: CouponRedemption| check(&op(scope, OpBody::CouponRedemption(r)));
    assert!(invalid(refuse(own(), redemption())));
    let mut r = redemption();
    r.till = HUB;
    assert!(matches!(
        refuse(Scope::Broadcast, r),
        Err(OpRejection::ForgedActor { .. })
    ));
    let mut r = redemption();
    r.store = store("HD02");
    assert!(matches!(
        refuse(Scope::Broadcast, r),
        Err(OpRejection::WrongStore {
            what: "coupon redemption",
            ..
        })
    ));
    for discount in [-1, MAX_AMOUNT + 1] {
        let mut r = redemption();
        r.discount = discount;
        assert!(invalid(refuse(Scope::Broadcast, r)), "{discount}");
    }
    let mut r = redemption();
    r.discount = 0;
    assert_eq!(refuse(Scope::Broadcast, r), Ok(()));
}

#[test]
fn a_till_never_defines_or_recalls() {
    let recall = OpBody::RightsRecall(RightsRecall {
        id: Uuid::from_u128(7),
        key: sku_key(),
        till: TILL,
        qty: None,
        reason: RecallReason::PullBack,
    });
    for scope in [Scope::Catalog, own(), Scope::Broadcast] {
        for body in [OpBody::LimitDef(sku_def()), recall.clone()] {
            assert!(
                matches!(
                    check(&op(scope.clone(), body)),
                    Err(OpRejection::NotAllowed { .. })
                ),
                "{scope}"
            );
        }
    }
}

#[test]
fn good_definitions_pass() {
    assert_eq!(check_limit_def(0, &sku_def()), Ok(()));
    assert_eq!(check_limit_def(0, &coupon_def()), Ok(()));
    let mut open = sku_def();
    open.starts_at_ms = None;
    open.ends_at_ms = None;
    open.total = MAX_ESCROW_QTY;
    open.hold_minutes = MAX_HOLD_MINUTES;
    assert_eq!(check_limit_def(0, &open), Ok(()));
    let mut amount = coupon_def();
    if let Some(t) = amount.coupon.as_mut() {
        t.discount = CouponDiscount::Amount(10_000);
        t.min_spend = 0;
    }
    assert_eq!(check_limit_def(0, &amount), Ok(()));
}

#[test]
fn bad_definitions_are_refused() {
    let mut bad: Vec<(&str, LimitDef)> = Vec::new();
    let mut d = sku_def();
    d.label = "  ".into();
    bad.push(("blank label", d));
    let mut d = sku_def();
    d.label = "x".repeat(MAX_TEXT + 1);
    bad.push(("long label", d));
    let mut d = sku_def();
    d.total = 0;
    bad.push(("total 0", d));
    let mut d = sku_def();
    d.total = MAX_ESCROW_QTY + 1;
    bad.push(("total too big", d));
    let mut d = sku_def();
    d.hold_minutes = MAX_HOLD_MINUTES + 1;
    bad.push(("hold too long", d));
    let mut d = sku_def();
    d.ends_at_ms = d.starts_at_ms;
    bad.push(("empty window", d));
    let mut d = sku_def();
    d.coupon = coupon_def().coupon;
    bad.push(("coupon terms on a SKU", d));
    let mut d = coupon_def();
    d.coupon = None;
    bad.push(("coupon key without terms", d));
    for (what, discount) in [
        ("percent 0", CouponDiscount::Percent(0)),
        ("percent 101", CouponDiscount::Percent(101)),
        ("amount 0", CouponDiscount::Amount(0)),
        ("amount too big", CouponDiscount::Amount(MAX_AMOUNT + 1)),
    ] {
        let mut d = coupon_def();
        if let Some(t) = d.coupon.as_mut() {
            t.discount = discount;
        }
        bad.push((what, d));
    }
    for (what, code) in [
        ("empty code", ""),
        ("lower-case code", "welcome"),
        ("code with space", "WELCOME 10"),
        ("long code", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    ] {
        let mut d = coupon_def();
        if let Some(t) = d.coupon.as_mut() {
            t.code = code.into();
        }
        bad.push((what, d));
    }
    let mut d = coupon_def();
    if let Some(t) = d.coupon.as_mut() {
        t.min_spend = -1;
    }
    bad.push(("negative min spend", d));
    for (what, d) in bad {
        assert!(
            matches!(check_limit_def(0, &d), Err(OpRejection::Invalid { .. })),
            "{what} must be refused"
        );
    }
}
