//! Tests of limited editions, holds and first-come coupons at the till (issue 7) against a
//! real SQLite file, with the hub's ops made by hand: selling up to the till's rights and the
//! exact refusal, holds that expire by the till's clock, selling a hold, recalls answered
//! exactly once, automatic rights requests, coupon rules, returns minting rights back — and
//! every op the till writes passes the hub's `check_till_op`.

use sync_proto::escrow::{
    AllocationRule, CouponDiscount, CouponTerms, EscrowKind, EscrowMove, HoldStatus, LimitDef,
    LimitKey, RecallReason, RightsRecall,
};
use sync_proto::op::OpBody;
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, Op, Scope};
use tempfile::TempDir;
use uuid::Uuid;

use crate::limited::{self, HoldState, REQUEST_OPEN_MS};
use crate::{CatalogItem, MemberSignUp, ReturnRequest, SaleItem, SaleRequest, Till, TillError};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const JACKET: &str = "JKT-0100-BLK-M";
const TEE: &str = "TSH-0001-BLK-M";
const CAMPAIGN: Uuid = Uuid::from_u128(0xC0);
const MEMBER_A: &str = "010-1111-2222";
const MEMBER_B: &str = "010-3333-4444";
const MEMBER_C: &str = "010-5555-6666";

/// A till of GN01 with a limited jacket and an ordinary tee, and a feed of hub ops.
struct Fixture {
    _dir: TempDir,
    till: Till,
    me: ActorId,
    hub_seq: u64,
    cursor: u64,
    given: u64,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut till = Till::open_offline(dir.path(), "GN01", 1).expect("open");
        till.seed_catalog(&[
            CatalogItem {
                sku: JACKET.into(),
                name: "Collab jacket".into(),
                price: Some(100_000),
                active: true,
                ..CatalogItem::default()
            },
            CatalogItem {
                sku: TEE.into(),
                name: "Tee".into(),
                price: Some(39_000),
                active: true,
                ..CatalogItem::default()
            },
        ])
        .expect("seed");
        let me = till.enrolment().expect("enr").expect("enrolled").actor;
        Fixture {
            _dir: dir,
            till,
            me,
            hub_seq: 0,
            cursor: 0,
            given: 0,
        }
    }

    fn hub_op(&mut self, scope: Scope, body: OpBody) -> Op {
        self.hub_seq += 1;
        Op {
            actor: HUB,
            seq: self.hub_seq,
            hlc: Hlc {
                wall_ms: 1_000 + self.hub_seq,
                counter: 0,
                actor: HUB,
            },
            scope,
            body,
        }
    }

    fn deliver(&mut self, ops: &[Op]) {
        self.cursor += ops.len() as u64;
        self.till
            .apply_downstream(ops, self.cursor)
            .expect("apply downstream");
    }

    fn def(key: LimitKey, hold_minutes: u32, coupon: Option<CouponTerms>) -> LimitDef {
        LimitDef {
            key,
            label: "Collab drop".into(),
            total: 100,
            rule: AllocationRule::Equal,
            hold_minutes,
            starts_at_ms: None,
            ends_at_ms: None,
            coupon,
            active: true,
        }
    }

    /// HQ defines `def`, mints 100 and gives this till `rights`.
    fn drop_with(&mut self, def: LimitDef, rights: u64) {
        let key = def.key.clone();
        let d = self.hub_op(Scope::Catalog, OpBody::LimitDef(def));
        let mint = self.hub_op(
            Scope::Broadcast,
            OpBody::EscrowMove(EscrowMove {
                key: key.clone(),
                kind: EscrowKind::Mint,
                qty: 100,
                reference: None,
                total: 100,
            }),
        );
        self.deliver(&[d, mint]);
        self.give(&key, rights, None);
    }

    /// The hub transfers `qty` more rights to this till.
    fn give(&mut self, key: &LimitKey, qty: u64, reference: Option<String>) -> Op {
        self.given += qty;
        let op = self.hub_op(
            Scope::Broadcast,
            OpBody::EscrowMove(EscrowMove {
                key: key.clone(),
                kind: EscrowKind::Transfer(self.me),
                qty,
                reference,
                total: self.given,
            }),
        );
        self.deliver(std::slice::from_ref(&op));
        op
    }

    fn jacket_drop(&mut self, rights: u64, hold_minutes: u32) {
        self.drop_with(Self::def(jacket_key(), hold_minutes, None), rights);
    }

    fn status(&self) -> limited::LimitedStatus {
        self.till
            .limited(JACKET)
            .expect("status")
            .expect("jacket is limited")
    }

    fn sell(&mut self, qty: u32) -> crate::Result<crate::SaleReceipt> {
        self.till.sell(&sale(JACKET, qty))
    }

    /// Every op in the outbox, checked as the hub checks them.
    fn outbox(&self) -> Vec<Op> {
        let e = self.till.enrolment().expect("enr").expect("enrolled");
        let ops = self.till.outbox(1, 10_000).expect("outbox");
        for op in &ops {
            check_till_op(op, e.actor, &e.store)
                .unwrap_or_else(|r| panic!("hub refuses {op:?}: {r}"));
        }
        ops
    }

    fn moves(&self, want: fn(&EscrowKind) -> bool) -> Vec<EscrowMove> {
        self.outbox()
            .into_iter()
            .filter_map(|op| match op.body {
                OpBody::EscrowMove(m) if want(&m.kind) => {
                    assert_eq!(op.scope, Scope::Broadcast, "escrow moves are chain-wide");
                    Some(m)
                }
                _ => None,
            })
            .collect()
    }

    fn requests(&self) -> Vec<sync_proto::escrow::RightsRequest> {
        self.outbox()
            .into_iter()
            .filter_map(|op| match op.body {
                OpBody::RightsRequest(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    fn member(&mut self, phone: &str) {
        self.till
            .sign_up_member(&MemberSignUp {
                phone: phone.into(),
                name: "Kim".into(),
                birth_year: None,
                marketing_consent: false,
            })
            .expect("member");
    }
}

fn jacket_key() -> LimitKey {
    LimitKey::Sku(JACKET.parse().expect("sku"))
}

fn sale(code: &str, qty: u32) -> SaleRequest {
    SaleRequest {
        items: vec![SaleItem::new(code, qty)],
        ..SaleRequest::default()
    }
}

fn sales_count(till: &Till) -> i64 {
    till.connection()
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn sells_up_to_its_rights_then_refuses_with_the_exact_message() {
    let mut f = Fixture::new();
    f.jacket_drop(3, 0);
    let s = f.status();
    assert_eq!((s.available, s.rights, s.total_left), (3, 3, 100));
    assert_eq!((s.store_left, s.elsewhere_left), (3, 97));
    assert!(s.on_sale_now);

    let sold = f.sell(2).expect("2 of 3");
    let uses = f.moves(|k| *k == EscrowKind::Use);
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].qty, uses[0].total), (2, 2));
    assert_eq!(uses[0].reference, Some(sold.sale.id.to_string()));
    assert_eq!(f.status().available, 1);

    let err = f.sell(2).expect_err("only 1 left");
    assert!(
        matches!(
            err,
            TillError::LimitedUsedUp {
                available: 1,
                elsewhere: 97,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "limited item: only 1 left at this till; 97 left in other stores"
    );
    assert_eq!(sales_count(&f.till), 1, "a refused sale commits nothing");

    f.sell(1).expect("the last one");
    let err = f.sell(1).expect_err("used up");
    assert_eq!(
        err.to_string(),
        "limited item: this till's allocation is used up; 97 left in other stores"
    );
    // Σ uses never exceeds what the till received; the running total continues.
    let uses = f.moves(|k| *k == EscrowKind::Use);
    assert_eq!(uses.iter().map(|m| m.total).collect::<Vec<_>>(), vec![2, 3]);
    let s = f.status();
    assert_eq!((s.available, s.rights, s.total_left), (0, 0, 97));
    // An ordinary item still sells.
    f.till.sell(&sale(TEE, 5)).expect("tee is not limited");
}

#[test]
fn a_drop_that_is_not_on_now_refuses_to_sell() {
    let mut f = Fixture::new();
    let mut def = Fixture::def(jacket_key(), 0, None);
    def.starts_at_ms = Some(crate::db::now_ms() + 3_600_000);
    f.drop_with(def.clone(), 5);
    assert!(!f.status().on_sale_now);
    let err = f.sell(1).expect_err("not started");
    assert!(matches!(err, TillError::LimitedNotOnSale { .. }), "{err:?}");

    // HQ ends it (newer HLC wins): still refused; an older def changes nothing.
    def.starts_at_ms = None;
    def.active = false;
    let ended = f.hub_op(Scope::Catalog, OpBody::LimitDef(def.clone()));
    let mut stale = f.hub_op(
        Scope::Catalog,
        OpBody::LimitDef(Fixture::def(jacket_key(), 0, None)),
    );
    stale.hlc.wall_ms = 1;
    f.deliver(&[ended, stale]);
    assert!(!f.status().active);
    assert!(matches!(f.sell(1), Err(TillError::LimitedNotOnSale { .. })));
    assert_eq!(sales_count(&f.till), 0);
}

#[test]
fn a_hold_reduces_available_and_expires_by_the_till_clock() {
    let mut f = Fixture::new();
    f.jacket_drop(5, 10);
    let h = f.till.hold_limited(JACKET, 2, "Ms Kim").expect("hold");
    assert_eq!(h.status, HoldState::Held);
    assert_eq!(h.expires_at_ms - h.placed_at_ms, 10 * 60_000);
    let s = f.status();
    assert_eq!((s.available, s.rights, s.held), (3, 5, 2));
    // The hold is a store-scoped op with the till's own identity.
    let holds: Vec<_> = f
        .outbox()
        .into_iter()
        .filter_map(|op| match op.body {
            OpBody::LimitHold(x) => Some((op.scope, x)),
            _ => None,
        })
        .collect();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].0, Scope::Store("GN01".parse().expect("store")));
    assert_eq!((holds[0].1.qty, holds[0].1.status), (2, HoldStatus::Held));

    // Selling what is not held: 3 fine, a 4th is refused.
    let err = f.sell(4).expect_err("2 of 5 are held");
    assert!(
        matches!(err, TillError::LimitedUsedUp { available: 3, .. }),
        "{err:?}"
    );
    // More than available cannot be held either.
    assert!(matches!(
        f.till.hold_limited(JACKET, 4, ""),
        Err(TillError::LimitedUsedUp { available: 3, .. })
    ));

    // After the hold time, on the till's clock, the units are free again — no write needed.
    let later = h.expires_at_ms;
    let ops_before = f.outbox().len();
    let s = limited::status_for_sku(f.till.connection(), JACKET, later)
        .expect("status")
        .expect("limited");
    assert_eq!((s.available, s.held), (5, 0));
    let listed = limited::holds_at(f.till.connection(), later).expect("holds");
    assert_eq!(listed[0].status, HoldState::Expired);
    assert_eq!(f.till.holds().expect("holds")[0].status, HoldState::Held);
    assert_eq!(f.outbox().len(), ops_before);
}

#[test]
fn holds_are_refused_when_the_drop_allows_none() {
    let mut f = Fixture::new();
    f.jacket_drop(5, 0);
    assert!(matches!(
        f.till.hold_limited(JACKET, 1, ""),
        Err(TillError::HoldsNotAllowed(_))
    ));
    assert!(matches!(
        f.till.hold_limited(TEE, 1, ""),
        Err(TillError::InvalidInput(_))
    ));
}

#[test]
fn selling_a_hold_spends_its_units_and_marks_it_sold() {
    let mut f = Fixture::new();
    f.jacket_drop(3, 30);
    let h = f
        .till
        .hold_limited(JACKET, 3, "Mr Lee")
        .expect("hold all 3");
    assert_eq!(f.status().available, 0);
    assert!(matches!(
        f.sell(1),
        Err(TillError::LimitedUsedUp { available: 0, .. })
    ));

    let hold_id: Uuid = h.id.parse().expect("uuid");
    let req = SaleRequest {
        hold: Some(hold_id),
        ..sale(JACKET, 3)
    };
    let quote = f.till.quote_sale(&req).expect("quote");
    assert_eq!(quote.limited.len(), 1);
    assert_eq!(
        quote.limited[0].available, 3,
        "the hold's units count for this cart"
    );
    let sold = f.till.sell(&req).expect("sell the held units");
    let s = f.status();
    assert_eq!((s.available, s.rights, s.held), (0, 0, 0));
    let listed = f.till.holds().expect("holds");
    assert_eq!(listed[0].status, HoldState::Sold);
    let sold_hold = f
        .outbox()
        .into_iter()
        .filter_map(|op| match op.body {
            OpBody::LimitHold(x) if x.status == HoldStatus::Sold => Some(x),
            _ => None,
        })
        .next()
        .expect("a Sold hold op");
    assert_eq!(sold_hold.sale, Some(sold.sale.id));
    // A sold hold cannot be sold or released again.
    assert!(matches!(f.till.sell(&req), Err(TillError::HoldUnknown(_))));
    assert!(matches!(
        f.till.release_hold(&h.id),
        Err(TillError::HoldUnknown(_))
    ));
}

#[test]
fn releasing_a_hold_frees_its_units() {
    let mut f = Fixture::new();
    f.jacket_drop(4, 30);
    let h = f.till.hold_limited(JACKET, 4, "").expect("hold");
    assert_eq!(f.status().available, 0);
    let released = f.till.release_hold(&h.id).expect("release");
    assert_eq!(released.status, HoldState::Released);
    assert_eq!(f.status().available, 4);
    assert!(matches!(
        f.till.release_hold(&h.id),
        Err(TillError::HoldUnknown(_))
    ));
    assert!(matches!(
        f.till.release_hold("nope"),
        Err(TillError::HoldUnknown(_))
    ));
    // A released hold never comes back as held, whatever the order of delivery.
    let held_again = f
        .outbox()
        .into_iter()
        .find(|op| matches!(&op.body, OpBody::LimitHold(x) if x.status == HoldStatus::Held))
        .expect("the held op");
    f.deliver(&[held_again]);
    assert_eq!(f.status().available, 4);
}

#[test]
fn a_recall_is_answered_exactly_once_even_if_applied_twice() {
    let mut f = Fixture::new();
    f.jacket_drop(5, 30);
    f.till.hold_limited(JACKET, 1, "kept").expect("hold");
    let store: sync_proto::StoreId = "GN01".parse().expect("store");
    // A rebalance asks for 2 of the 4 available: given once, however often it is delivered.
    let recall = RightsRecall {
        id: Uuid::from_u128(0xEC),
        key: jacket_key(),
        till: f.me,
        qty: Some(2),
        reason: RecallReason::Rebalance,
    };
    let op = f.hub_op(
        Scope::Store(store.clone()),
        OpBody::RightsRecall(recall.clone()),
    );
    f.deliver(std::slice::from_ref(&op));
    f.deliver(std::slice::from_ref(&op));
    f.deliver(std::slice::from_ref(&op));
    let transfers = f.moves(|k| matches!(k, EscrowKind::Transfer(_)));
    assert_eq!(transfers.len(), 1, "answered once: {transfers:?}");
    assert_eq!(
        transfers[0].kind,
        EscrowKind::Transfer(HUB),
        "back to the recalling hub"
    );
    assert_eq!((transfers[0].qty, transfers[0].total), (2, 2));
    assert_eq!(transfers[0].reference, Some(recall.id.to_string()));
    assert_eq!(f.status().available, 2);

    // A pull-back of everything: every unused right goes, the held unit stays.
    let pull = RightsRecall {
        id: Uuid::from_u128(0xED),
        qty: None,
        reason: RecallReason::PullBack,
        ..recall.clone()
    };
    let op = f.hub_op(Scope::Store(store.clone()), OpBody::RightsRecall(pull));
    f.deliver(&[op.clone(), op]);
    let transfers = f.moves(|k| matches!(k, EscrowKind::Transfer(_)));
    assert_eq!(transfers.len(), 2);
    assert_eq!((transfers[1].qty, transfers[1].total), (2, 4));
    let s = f.status();
    assert_eq!((s.available, s.rights, s.held), (0, 1, 1));

    // Nothing available: a recall is remembered but writes nothing, even when rights come
    // in later and it is delivered again.
    let empty = RightsRecall {
        id: Uuid::from_u128(0xEE),
        qty: Some(3),
        ..recall.clone()
    };
    let empty_op = f.hub_op(Scope::Store(store.clone()), OpBody::RightsRecall(empty));
    f.deliver(std::slice::from_ref(&empty_op));
    assert_eq!(f.moves(|k| matches!(k, EscrowKind::Transfer(_))).len(), 2);
    f.give(&jacket_key(), 10, None);
    f.deliver(&[empty_op]);
    assert_eq!(f.moves(|k| matches!(k, EscrowKind::Transfer(_))).len(), 2);
    assert_eq!(f.status().available, 10);

    // A recall addressed to another till is not this till's to answer.
    let other = RightsRecall {
        id: Uuid::from_u128(0xEF),
        till: ActorId(Uuid::from_u128(0x77)),
        qty: None,
        ..recall
    };
    let op = f.hub_op(Scope::Store(store), OpBody::RightsRecall(other));
    f.deliver(&[op]);
    assert_eq!(f.moves(|k| matches!(k, EscrowKind::Transfer(_))).len(), 2);
    assert_eq!(f.status().available, 10);
}

#[test]
fn a_request_is_written_at_low_water_and_not_repeated_while_open() {
    let mut f = Fixture::new();
    // Received 20: low-water max(1, ⌈20/10⌉) = 2, request max(1, ⌈20/4⌉) = 5.
    f.jacket_drop(20, 30);
    f.sell(17).expect("17");
    assert!(f.requests().is_empty(), "3 left is above low-water");
    assert!(!f.status().request_open);
    f.sell(1).expect("18th");
    let reqs = f.requests();
    assert_eq!(reqs.len(), 1, "2 left is at low-water");
    assert_eq!((reqs[0].qty, reqs[0].till), (5, f.me));
    assert_eq!(reqs[0].key, jacket_key());
    assert!(f.status().request_open);
    f.till.hold_limited(JACKET, 1, "").expect("hold");
    f.sell(1).expect("the last free one");
    assert_eq!(f.requests().len(), 1, "not repeated while open");
    // Open means younger than 2 minutes.
    let now = crate::db::now_ms();
    let later = limited::status_for_sku(f.till.connection(), JACKET, now + REQUEST_OPEN_MS + 1)
        .expect("status")
        .expect("limited");
    assert!(!later.request_open);

    // The hub answers with a transfer referencing the request: no longer open.
    f.give(&jacket_key(), 5, Some(reqs[0].id.to_string()));
    let s = f.status();
    assert!(!s.request_open);
    assert_eq!(s.available, 5);
    // Received 25: low-water 3; selling down to it asks again (⌈25/4⌉ = 7).
    f.sell(1).expect("one");
    assert_eq!(f.requests().len(), 1, "4 left is above low-water 3");
    f.sell(1).expect("another");
    let reqs = f.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].qty, 7);

    // By hand (store manager), even while one is open.
    let s = f.till.request_rights(JACKET, 4).expect("manual request");
    assert!(s.request_open);
    assert_eq!(f.requests().len(), 3);
    assert_eq!(f.requests()[2].qty, 4);
    assert!(matches!(
        f.till.request_rights(JACKET, 0),
        Err(TillError::InvalidQuantity { .. })
    ));
    assert!(matches!(
        f.till.request_rights(TEE, 1),
        Err(TillError::InvalidInput(_))
    ));
}

#[test]
fn a_till_at_zero_asks_for_more_when_a_customer_is_refused() {
    let mut f = Fixture::new();
    // The drop reached this till, but the split gave it nothing (one of a store's tills).
    let d = f.hub_op(
        Scope::Catalog,
        OpBody::LimitDef(Fixture::def(jacket_key(), 30, None)),
    );
    let mint = f.hub_op(
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key: jacket_key(),
            kind: EscrowKind::Mint,
            qty: 100,
            reference: None,
            total: 100,
        }),
    );
    f.deliver(&[d, mint]);
    assert!(f.requests().is_empty());
    assert!(matches!(f.sell(1), Err(TillError::LimitedUsedUp { .. })));
    let asked = f.requests();
    assert_eq!(asked.len(), 1, "the refused customer made the till ask");
    assert_eq!((asked[0].qty, asked[0].till), (1, f.me));
    assert!(f.status().request_open);
    assert!(matches!(f.sell(1), Err(TillError::LimitedUsedUp { .. })));
    assert_eq!(
        f.requests().len(),
        1,
        "a refusal while a request is open does not ask again"
    );
    assert_eq!(
        sales_count(&f.till),
        0,
        "the refused sales left nothing behind"
    );
}

fn coupon_terms(percent: u8, min_spend: i64) -> CouponTerms {
    CouponTerms {
        code: "WELCOME20".into(),
        discount: CouponDiscount::Percent(percent),
        min_spend,
    }
}

fn with_coupon(code: &str, phone: Option<&str>, items: &[(&str, u32)]) -> SaleRequest {
    SaleRequest {
        items: items.iter().map(|(c, q)| SaleItem::new(*c, *q)).collect(),
        member_phone: phone.map(Into::into),
        coupon_code: Some(code.into()),
        ..SaleRequest::default()
    }
}

#[test]
fn coupons_need_a_member_a_live_code_the_min_spend_and_once_per_member() {
    let mut f = Fixture::new();
    let key = LimitKey::Coupon(CAMPAIGN);
    f.drop_with(
        Fixture::def(key.clone(), 0, Some(coupon_terms(20, 50_000))),
        2,
    );
    for p in [MEMBER_A, MEMBER_B, MEMBER_C] {
        f.member(p);
    }
    let two_tees = [(TEE, 2)];
    assert!(matches!(
        f.till.sell(&with_coupon("WELCOME20", None, &two_tees)),
        Err(TillError::CouponNeedsMember)
    ));
    assert!(matches!(
        f.till.sell(&with_coupon("NOPE", Some(MEMBER_A), &two_tees)),
        Err(TillError::CouponUnknown(_))
    ));
    let under = with_coupon("WELCOME20", Some(MEMBER_A), &[(TEE, 1)]);
    assert!(matches!(
        f.till.sell(&under),
        Err(TillError::CouponMinSpend {
            min_spend: 50_000,
            total: 39_000,
            ..
        })
    ));
    let q = f
        .till
        .quote_sale(&under)
        .expect("a refused coupon still quotes");
    let cq = q.coupon.expect("coupon quote");
    assert_eq!(cq.discount, 0);
    assert!(cq.refused.is_some_and(|r| r.contains("50000")));
    assert_eq!(q.total, 39_000);
    assert_eq!(sales_count(&f.till), 0);

    // 20 % off 78,000, typed in lower case; over the 10 % limit but a coupon needs no approval.
    let ok = with_coupon(" welcome20 ", Some(MEMBER_A), &two_tees);
    let q = f.till.quote_sale(&ok).expect("quote");
    assert_eq!(q.coupon.as_ref().map(|c| c.discount), Some(15_600));
    assert_eq!(q.coupon.as_ref().and_then(|c| c.refused.clone()), None);
    assert_eq!(q.total, 62_400);
    assert!(!q.needs_approval);
    let sold = f.till.sell(&ok).expect("coupon sale");
    assert_eq!(sold.sale.total, 62_400);
    assert_eq!(
        sold.sale.lines.iter().map(|l| l.discount).sum::<i64>(),
        15_600
    );
    let redemptions: Vec<_> = f
        .outbox()
        .into_iter()
        .filter_map(|op| match op.body {
            OpBody::CouponRedemption(r) => Some((op.scope, r)),
            _ => None,
        })
        .collect();
    assert_eq!(redemptions.len(), 1);
    assert_eq!(redemptions[0].0, Scope::Broadcast);
    let r = &redemptions[0].1;
    assert_eq!(
        (r.campaign, r.sale, r.discount),
        (CAMPAIGN, sold.sale.id, 15_600)
    );
    assert_eq!(Some(r.member), sold.sale.member);
    let uses = f.moves(|k| *k == EscrowKind::Use);
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].key.clone(), uses[0].qty), (key.clone(), 1));

    // Once per member.
    assert!(matches!(
        f.till
            .sell(&with_coupon("WELCOME20", Some(MEMBER_A), &two_tees)),
        Err(TillError::CouponAlreadyUsed(_))
    ));
    f.till
        .sell(&with_coupon("WELCOME20", Some(MEMBER_B), &two_tees))
        .expect("second member");
    // This till's two coupons are gone.
    let err = f
        .till
        .sell(&with_coupon("WELCOME20", Some(MEMBER_C), &two_tees))
        .expect_err("used up");
    assert!(
        matches!(err, TillError::CouponsUsedUp { elsewhere: 98, .. }),
        "{err:?}"
    );
    assert_eq!(sales_count(&f.till), 2);
}

#[test]
fn a_redemption_seen_from_another_till_counts_and_an_ended_campaign_refuses() {
    let mut f = Fixture::new();
    let key = LimitKey::Coupon(CAMPAIGN);
    let mut def = Fixture::def(key, 0, Some(coupon_terms(10, 0)));
    def.coupon = Some(CouponTerms {
        discount: CouponDiscount::Amount(5_000),
        ..coupon_terms(10, 0)
    });
    f.drop_with(def.clone(), 5);
    f.member(MEMBER_A);
    let member = f
        .till
        .find_member(MEMBER_A)
        .expect("find")
        .expect("member")
        .id;
    let other_till = ActorId(Uuid::from_u128(0x55));
    let redemption = sync_proto::escrow::CouponRedemption {
        id: Uuid::from_u128(0xAA),
        campaign: CAMPAIGN,
        member,
        sale: Uuid::from_u128(0xAB),
        till: other_till,
        store: "HD02".parse().expect("store"),
        discount: 5_000,
        at_ms: 1,
    };
    let op = Op {
        actor: other_till,
        seq: 1,
        hlc: Hlc {
            wall_ms: 5,
            counter: 0,
            actor: other_till,
        },
        scope: Scope::Broadcast,
        body: OpBody::CouponRedemption(redemption),
    };
    f.deliver(&[op]);
    assert!(matches!(
        f.till
            .sell(&with_coupon("WELCOME20", Some(MEMBER_A), &[(TEE, 1)])),
        Err(TillError::CouponAlreadyUsed(_))
    ));
    def.active = false;
    let ended = f.hub_op(Scope::Catalog, OpBody::LimitDef(def));
    f.deliver(&[ended]);
    f.member(MEMBER_B);
    assert!(matches!(
        f.till
            .sell(&with_coupon("WELCOME20", Some(MEMBER_B), &[(TEE, 1)])),
        Err(TillError::CouponNotOnNow(_))
    ));
}

#[test]
fn returning_limited_units_mints_rights_back() {
    let mut f = Fixture::new();
    f.jacket_drop(2, 0);
    let sold = f
        .till
        .sell(&SaleRequest {
            items: vec![SaleItem::new(JACKET, 2), SaleItem::new(TEE, 1)],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(f.status().available, 0);
    let ret = f
        .till
        .return_sale(&ReturnRequest {
            receipt: sold.sale.receipt.to_string(),
            items: vec![SaleItem::new(JACKET, 1), SaleItem::new(TEE, 1)],
        })
        .expect("return");
    let mints = f.moves(|k| *k == EscrowKind::Mint);
    assert_eq!(mints.len(), 1, "only the limited line mints");
    assert_eq!((mints[0].qty, mints[0].total), (1, 1));
    assert_eq!(mints[0].reference, Some(ret.record.id.to_string()));
    let s = f.status();
    assert_eq!((s.available, s.rights, s.total_left), (1, 1, 99));
    f.sell(1).expect("the returned unit sells again");
}

#[test]
fn the_projection_is_idempotent_and_knows_what_is_left_in_this_store() {
    let mut f = Fixture::new();
    f.jacket_drop(4, 0);
    // Re-delivering the hub's transfer changes nothing (MAX merge).
    let again = f.hub_op(
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key: jacket_key(),
            kind: EscrowKind::Transfer(f.me),
            qty: 4,
            reference: None,
            total: 4,
        }),
    );
    f.deliver(&[again.clone(), again]);
    assert_eq!(f.status().rights, 4);
    // A store mate with 6 rights, known from its sale: 10 in this store, 90 elsewhere.
    let mate = ActorId(Uuid::from_u128(0x22));
    let mate_rights = f.hub_op(
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key: jacket_key(),
            kind: EscrowKind::Transfer(mate),
            qty: 6,
            reference: None,
            total: 6,
        }),
    );
    f.deliver(&[mate_rights]);
    assert_eq!(f.status().elsewhere_left, 96, "the mate is not known yet");
    let hold = sync_proto::escrow::LimitHold {
        id: Uuid::from_u128(0x33),
        key: jacket_key(),
        till: mate,
        store: "GN01".parse().expect("store"),
        qty: 1,
        placed_at_ms: 1,
        expires_at_ms: u64::MAX / 2,
        note: String::new(),
        status: HoldStatus::Held,
        sale: None,
    };
    let op = Op {
        actor: mate,
        seq: 1,
        hlc: Hlc {
            wall_ms: 9,
            counter: 0,
            actor: mate,
        },
        scope: Scope::Store("GN01".parse().expect("store")),
        body: OpBody::LimitHold(hold),
    };
    f.deliver(&[op]);
    let s = f.status();
    assert_eq!((s.store_left, s.elsewhere_left, s.available), (10, 90, 4));
    assert_eq!(f.till.limited_items().expect("items").len(), 1);
}

#[test]
fn a_coupon_does_not_count_towards_the_discount_limit() {
    let mut f = Fixture::new();
    let key = LimitKey::Coupon(CAMPAIGN);
    f.drop_with(Fixture::def(key, 0, Some(coupon_terms(50, 0))), 3);
    f.member(MEMBER_A);
    // 5 % cart discount (within the 10 % limit) + a 50 % coupon: no approval needed.
    let mut req = with_coupon("WELCOME20", Some(MEMBER_A), &[(TEE, 1)]);
    req.cart_discount = Some(crate::Discount::Percent(5));
    let q = f.till.quote_sale(&req).expect("quote");
    assert!(!q.needs_approval);
    assert_eq!(q.coupon.as_ref().map(|c| c.discount), Some(18_525));
    assert_eq!((q.discount, q.total), (1_950 + 18_525, 18_525));
    // 20 % cart discount: over the limit; the refusal names the cart discount only.
    req.cart_discount = Some(crate::Discount::Percent(20));
    let err = f.till.sell(&req).expect_err("needs approval");
    assert!(
        matches!(
            err,
            TillError::ApprovalRequired {
                discount: 7_800,
                ..
            }
        ),
        "{err:?}"
    );
}
