//! The `pos-agent` limited-item commands (issue 7) on a till prepared offline through the
//! library with hand-made hub ops: `limited`, `hold`, `holds`, `release-hold`,
//! `request-rights`, `sell --hold/--coupon` — JSON shapes, refusals and exit codes.

use pos_agent::{CatalogItem, Till};
use sync_proto::escrow::{
    AllocationRule, CouponDiscount, CouponTerms, EscrowKind, EscrowMove, LimitDef, LimitKey,
};
use sync_proto::op::OpBody;
use sync_proto::{ActorId, Hlc, Op, Scope};
use uuid::Uuid;

mod common;
use common::{fails, json};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const TEE: &str = "TSH-0001-BLK-M";

fn op(seq: u64, scope: Scope, body: OpBody) -> Op {
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

fn def(key: LimitKey, hold_minutes: u32, coupon: Option<CouponTerms>) -> LimitDef {
    LimitDef {
        key,
        label: "Drop".into(),
        total: 10,
        rule: AllocationRule::Equal,
        hold_minutes,
        starts_at_ms: None,
        ends_at_ms: None,
        coupon,
        active: true,
    }
}

fn moved(key: &LimitKey, kind: EscrowKind, qty: u64) -> OpBody {
    OpBody::EscrowMove(EscrowMove {
        key: key.clone(),
        kind,
        qty,
        reference: None,
        total: qty,
    })
}

/// A till with a limited tee (2 rights, 10 min holds) and a 10 % coupon (1 right).
fn prepared_till() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 3).expect("open");
    till.seed_catalog(&[CatalogItem {
        sku: TEE.into(),
        name: "Tee".into(),
        price: Some(40_000),
        active: true,
        ..CatalogItem::default()
    }])
    .expect("seed");
    let me = till.enrolment().expect("enr").expect("enrolled").actor;
    let tee = LimitKey::Sku(TEE.parse().expect("sku"));
    let coupon = LimitKey::Coupon(Uuid::from_u128(0xC0));
    let terms = CouponTerms {
        code: "SPRING".into(),
        discount: CouponDiscount::Percent(10),
        min_spend: 0,
    };
    let ops = [
        op(
            1,
            Scope::Catalog,
            OpBody::LimitDef(def(tee.clone(), 10, None)),
        ),
        op(2, Scope::Broadcast, moved(&tee, EscrowKind::Mint, 10)),
        op(
            3,
            Scope::Broadcast,
            moved(&tee, EscrowKind::Transfer(me), 2),
        ),
        op(
            4,
            Scope::Catalog,
            OpBody::LimitDef(def(coupon.clone(), 0, Some(terms))),
        ),
        op(5, Scope::Broadcast, moved(&coupon, EscrowKind::Mint, 10)),
        op(
            6,
            Scope::Broadcast,
            moved(&coupon, EscrowKind::Transfer(me), 1),
        ),
    ];
    till.apply_downstream(&ops, 6).expect("apply");
    dir
}

#[test]
fn limited_items_holds_and_coupons_from_the_cli() {
    let dir = prepared_till();
    let d = dir.path();
    let all = json(d, &["limited", "--json"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let tee = json(d, &["limited", TEE, "--json"]);
    assert_eq!(
        (tee["available"].as_u64(), tee["total_left"].as_u64()),
        (Some(2), Some(10))
    );

    let hold = json(d, &["hold", TEE, "1", "--note", "Ms Kim", "--json"]);
    assert_eq!(hold["status"], "held");
    assert_eq!(hold["note"], "Ms Kim");
    let id = hold["id"].as_str().expect("hold id").to_owned();
    let holds = json(d, &["holds", "--json"]);
    assert_eq!(holds[0]["id"], id.as_str());

    fails(
        d,
        &["sell", &format!("{TEE}:2")],
        "limited item: only 1 left at this till; 8 left in other stores",
    );
    let sale = json(d, &["sell", &format!("{TEE}:2"), "--hold", &id, "--json"]);
    assert_eq!(sale["lines"][0]["qty"], 2);
    assert_eq!(json(d, &["holds", "--json"])[0]["status"], "sold");
    fails(d, &["release-hold", &id], "no hold");
    fails(
        d,
        &["sell", TEE],
        "limited item: this till's allocation is used up; 8 left in other stores",
    );
    let asked = json(d, &["request-rights", TEE, "3", "--json"]);
    assert_eq!(asked["request_open"], true);

    // The coupon: a member is needed; 10 % off, once.
    fails(
        d,
        &["sell", "TSH-0001-BLK-M", "--coupon", "SPRING"],
        "needs a member",
    );
    json(
        d,
        &[
            "member",
            "add",
            "--phone",
            "010-1234-5678",
            "--name",
            "Kim",
            "--json",
        ],
    );
    let mut till = Till::open(d).expect("open");
    let key = LimitKey::Sku(TEE.parse().expect("sku"));
    let me = till.enrolment().expect("enr").expect("enrolled").actor;
    let more = op(
        7,
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key,
            kind: EscrowKind::Transfer(me),
            qty: 3,
            reference: None,
            total: 5,
        }),
    );
    till.apply_downstream(&[more], 7).expect("apply");
    drop(till);
    let sold = json(
        d,
        &[
            "sell",
            TEE,
            "--member",
            "010-1234-5678",
            "--coupon",
            "spring",
            "--json",
        ],
    );
    assert_eq!(sold["total"], 36_000);
    fails(
        d,
        &[
            "sell",
            TEE,
            "--member",
            "010-1234-5678",
            "--coupon",
            "SPRING",
        ],
        "already used",
    );
}
