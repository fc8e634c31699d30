//! Property tests of the CRDT laws (DESIGN §2): applying ops and merging
//! replica states is commutative, associative and idempotent, and every
//! replica that has seen the same set of ops — in any order, with any
//! duplicates — shows the same stock, sales and catalog.

mod common;

use common::{delivery, subset};
use std::collections::BTreeMap;

use proptest::prelude::*;
use sync_proto::state::{ReplicaState, next_stock_totals};
use sync_proto::{
    ActorId, CatalogField, CatalogFieldKind, CatalogSet, Hlc, LocationId, MemberField, MemberSet,
    Op, OpBody, PriceRule, ReceiptNo, SaleLine, SaleRecord, Scope, Sku, StockMove, StockReason,
    Tender, TenderKind,
};
use uuid::Uuid;

const LOCATIONS: [&str; 2] = ["GN01", "HD02"];
const SKUS: [&str; 3] = ["TSH-001-BLK-M", "TSH-001-WHT-L", "JKT-014-NVY-S"];

fn actor(n: u8) -> ActorId {
    ActorId(Uuid::from_bytes([n + 1; 16]))
}

/// One thing an actor does, before it is turned into an op.
#[derive(Debug, Clone)]
enum Action {
    Move {
        loc: usize,
        sku: usize,
        delta: i64,
    },
    Sell {
        loc: usize,
        sku: usize,
        qty: u32,
    },
    SetPrice {
        sku: usize,
        price: i64,
        wall: u64,
    },
    SetMemberName {
        member: usize,
        name: u8,
        wall: u64,
    },
    SetPriceRule {
        rule: usize,
        price: i64,
        wall: u64,
        cancelled: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..LOCATIONS.len(), 0..SKUS.len(), -20i64..=20)
            .prop_filter("non-zero", |(_, _, d)| *d != 0)
            .prop_map(|(loc, sku, delta)| Action::Move { loc, sku, delta }),
        (0..LOCATIONS.len(), 0..SKUS.len(), 1u32..4).prop_map(|(loc, sku, qty)| Action::Sell {
            loc,
            sku,
            qty
        }),
        (0..SKUS.len(), 1_000i64..100_000, 0u64..50)
            .prop_map(|(sku, price, wall)| Action::SetPrice { sku, price, wall }),
        (0..3usize, any::<u8>(), 0u64..50)
            .prop_map(|(member, name, wall)| { Action::SetMemberName { member, name, wall } }),
        (0..3usize, 1_000i64..100_000, 0u64..50, any::<bool>()).prop_map(
            |(rule, price, wall, cancelled)| Action::SetPriceRule {
                rule,
                price,
                wall,
                cancelled
            }
        ),
    ]
}

/// Turn each actor's actions into its gapless op log, with running
/// PN-counter totals as a real replica would write them.
fn ops_of(actions: &[Vec<Action>]) -> Vec<Op> {
    let mut ops = Vec::new();
    for (a, list) in actions.iter().enumerate() {
        let me = actor(a as u8);
        let mut totals: BTreeMap<(usize, usize), (u64, u64)> = BTreeMap::new();
        let mut seq = 0u64;
        let mut push = |body: OpBody, scope: Scope, wall: u64, ops: &mut Vec<Op>| {
            seq += 1;
            ops.push(Op {
                actor: me,
                seq,
                hlc: Hlc {
                    wall_ms: wall,
                    counter: seq as u32,
                    actor: me,
                },
                scope,
                body,
            });
        };
        for (i, act) in list.iter().enumerate() {
            match act {
                Action::Move { .. } | Action::Sell { .. } => {
                    let (loc, sku, delta) = match act {
                        Action::Move { loc, sku, delta } => (loc, sku, *delta),
                        Action::Sell { loc, sku, qty } => (loc, sku, -i64::from(*qty)),
                        _ => unreachable!("matched above"),
                    };
                    let (inc, dec) = totals.get(&(*loc, *sku)).copied().unwrap_or((0, 0));
                    let (inc, dec) = next_stock_totals(inc, dec, delta);
                    totals.insert((*loc, *sku), (inc, dec));
                    let location: LocationId = LOCATIONS[*loc].parse().expect("loc");
                    if let Action::Sell { qty, .. } = act {
                        let price = 10_000;
                        let total = i64::from(*qty) * price;
                        push(
                            OpBody::Sale(SaleRecord {
                                id: Uuid::from_u64_pair(a as u64, i as u64),
                                receipt: ReceiptNo::new(&location, a as u32 + 1, i as u64 + 1),
                                store: location.clone(),
                                till: me,
                                cashier: None,
                                member: None,
                                lines: vec![SaleLine {
                                    sku: SKUS[*sku].parse().expect("sku"),
                                    name: "Tee".into(),
                                    qty: *qty,
                                    unit_price: price,
                                    discount: 0,
                                    line_total: total,
                                }],
                                tenders: vec![Tender {
                                    kind: TenderKind::Card,
                                    amount: total,
                                }],
                                total,
                                change_given: 0,
                                currency: "KRW".into(),
                                sold_at_ms: i as u64,
                            }),
                            Scope::Store(location.clone()),
                            i as u64,
                            &mut ops,
                        );
                    }
                    push(
                        OpBody::StockMove(StockMove {
                            location: location.clone(),
                            sku: SKUS[*sku].parse().expect("sku"),
                            delta,
                            reason: if delta < 0 {
                                StockReason::Sale
                            } else {
                                StockReason::Receipt
                            },
                            reference: None,
                            inc_total: inc,
                            dec_total: dec,
                        }),
                        Scope::Store(location),
                        i as u64,
                        &mut ops,
                    );
                }
                Action::SetPrice { sku, price, wall } => push(
                    OpBody::CatalogSet(CatalogSet {
                        sku: SKUS[*sku].parse().expect("sku"),
                        field: CatalogField::Price(*price),
                    }),
                    Scope::Catalog,
                    *wall,
                    &mut ops,
                ),
                Action::SetMemberName { member, name, wall } => push(
                    OpBody::MemberSet(MemberSet {
                        member: Uuid::from_u128(*member as u128 + 1),
                        field: MemberField::Name(format!("member {name}")),
                    }),
                    Scope::Broadcast,
                    *wall,
                    &mut ops,
                ),
                Action::SetPriceRule {
                    rule,
                    price,
                    wall,
                    cancelled,
                } => push(
                    OpBody::PriceRule(PriceRule {
                        id: Uuid::from_u128(*rule as u128 + 100),
                        sku: SKUS[*rule % SKUS.len()].parse().expect("sku"),
                        price: *price,
                        valid_from_ms: 10,
                        valid_to_ms: Some(40),
                        label: "deal".into(),
                        cancelled: *cancelled,
                    }),
                    Scope::Catalog,
                    *wall,
                    &mut ops,
                ),
            }
        }
    }
    ops
}

fn actions() -> impl Strategy<Value = Vec<Vec<Action>>> {
    prop::collection::vec(prop::collection::vec(action(), 0..25), 1..4)
}

fn state_of<'a>(ops: impl IntoIterator<Item = &'a Op>) -> ReplicaState {
    let mut s = ReplicaState::new();
    for op in ops {
        s.apply(op);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any order, any duplicates: the same state as applying each op once in log order.
    #[test]
    fn interleavings_with_duplicates_converge(
        (ops, shuffled) in actions().prop_map(|a| ops_of(&a)).prop_flat_map(|ops| (Just(ops.clone()), delivery(ops)))
    ) {
        prop_assert_eq!(state_of(&shuffled), state_of(&ops));
    }

    /// Stock equals the sum of every delta, whatever the order.
    #[test]
    fn stock_is_the_sum_of_deltas(
        shuffled in actions().prop_map(|a| ops_of(&a)).prop_flat_map(delivery)
    ) {
        let state = state_of(&shuffled);
        let mut expected: BTreeMap<(LocationId, Sku), i64> = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for op in &shuffled {
            if !seen.insert((op.actor, op.seq)) { continue; }
            if let OpBody::StockMove(m) = &op.body {
                *expected.entry((m.location.clone(), m.sku.clone())).or_default() += m.delta;
            }
        }
        for ((loc, sku), qty) in expected {
            prop_assert_eq!(state.stock(&loc, &sku), qty);
        }
    }

    /// merge is commutative, associative and idempotent over partial views.
    #[test]
    fn merge_laws(
        ops in actions().prop_map(|a| ops_of(&a)),
        ma in prop::collection::vec(any::<bool>(), 1..8),
        mb in prop::collection::vec(any::<bool>(), 1..8),
        mc in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let a = state_of(&subset(&ops, &ma));
        let b = state_of(&subset(&ops, &mb));
        let c = state_of(&subset(&ops, &mc));

        let mut ab = a.clone(); ab.merge(&b);
        let mut ba = b.clone(); ba.merge(&a);
        prop_assert_eq!(&ab, &ba, "commutative");

        let mut ab_c = ab.clone(); ab_c.merge(&c);
        let mut bc = b.clone(); bc.merge(&c);
        let mut a_bc = a.clone(); a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc, "associative");

        let mut aa = a.clone(); aa.merge(&a);
        prop_assert_eq!(&aa, &a, "idempotent");

        // Merging every partial view that together holds all ops gives the full state.
        let rest: Vec<Op> = ops.to_vec();
        let mut all = ab_c.clone(); all.merge(&state_of(&rest));
        prop_assert_eq!(all, state_of(&ops));
    }

    /// The catalog price is the one with the greatest HLC, whatever the order.
    #[test]
    fn catalog_last_writer_wins_by_hlc(
        shuffled in actions().prop_map(|a| ops_of(&a)).prop_flat_map(delivery)
    ) {
        let state = state_of(&shuffled);
        for sku in SKUS {
            let sku: Sku = sku.parse().expect("sku");
            let newest = shuffled.iter()
                .filter_map(|op| match &op.body {
                    OpBody::CatalogSet(c) if c.sku == sku => Some((op.hlc, c.field.clone())),
                    _ => None,
                })
                .max_by_key(|(hlc, _)| *hlc)
                .map(|(_, f)| f);
            prop_assert_eq!(state.catalog_field(&sku, CatalogFieldKind::Price), newest.as_ref());
        }
    }
}
