//! Property tests of the replenishment and delivery merge (`sync_proto::logistics`, issue 5).
//!
//! Random logs of a hub and two tills writing orders, status updates of orders and stops
//! (cancellations included), deliveries and receiving records:
//!
//! 1. every permutation, with any duplicates, folds to the same [`LogisticsState`], and
//!    [`ReplicaState`] folds the same ops into the same logistics state;
//! 2. the status register is the max over the lifecycle (`cancelled` on top, terminal), of
//!    two updates to the same state the earliest `at_ms` wins (then the lower `by`) — checked
//!    against an independent oracle; approved quantities follow the newest approval by HLC,
//!    deliveries the newest HLC, orders and receiving records their lowest HLC;
//! 3. the register only ever goes up while ops arrive, and nothing leaves `cancelled`;
//! 4. merging partial views is commutative, associative and idempotent, and merging views that
//!    together hold every op gives the full state — directly and through `ReplicaState`.

mod common;

use common::{delivery, replica_of, subset};
use std::collections::BTreeMap;

use proptest::prelude::*;
use sync_proto::logistics::{
    Delivery, Lifecycle, LogisticsState, OrderLine, OrderOrigin, ReceivedLine, ReceivingRecord,
    ReplenishmentOrder, StatusUpdate, Subject,
};
use sync_proto::{ActorId, Hlc, LocationId, Op, OpBody, Scope, Sku, StoreId};
use uuid::Uuid;

const STORES: [&str; 2] = ["GN01", "HD02"];
const SKUS: [&str; 3] = ["TSH-001-BLK-M", "TSH-001-WHT-L", "JKT-014-NVY-S"];
const NAMES: [&str; 3] = ["geofence", "kim", "lee"];
const ALL_STATES: [Lifecycle; 7] = [
    Lifecycle::Requested,
    Lifecycle::Approved,
    Lifecycle::Picked,
    Lifecycle::Dispatched,
    Lifecycle::Arrived,
    Lifecycle::Received,
    Lifecycle::Cancelled,
];

fn actor(n: usize) -> ActorId {
    ActorId(Uuid::from_u64_pair(0xB0, n as u64 + 1))
}

fn store(n: usize) -> StoreId {
    STORES[n % STORES.len()].parse().expect("store code")
}

fn sku(n: usize) -> Sku {
    SKUS[n % SKUS.len()].parse().expect("sku")
}

fn order_id(n: u8) -> Uuid {
    Uuid::from_u64_pair(0x0D, u64::from(n))
}

fn shipment_id(n: u8) -> Uuid {
    Uuid::from_u64_pair(0x5E, u64::from(n))
}

fn lines(qtys: &[u32]) -> Vec<OrderLine> {
    qtys.iter()
        .enumerate()
        .map(|(i, q)| OrderLine {
            sku: sku(i),
            qty: *q,
        })
        .collect()
}

/// What a subject index means: 0..4 orders, 4..8 stops (2 shipments × 2 stores).
fn subject(n: u8) -> Subject {
    if n < 4 {
        Subject::Order { id: order_id(n) }
    } else {
        Subject::Stop {
            shipment: shipment_id((n - 4) / 2),
            store: store(usize::from(n % 2)),
        }
    }
}

/// The store a subject concerns (orders 0 and 2 are GN01's, 1 and 3 HD02's).
fn store_of(n: u8) -> StoreId {
    store(usize::from(n % 2))
}

/// One thing a replica does, before it is turned into an op.
#[derive(Debug, Clone)]
enum Act {
    Order {
        n: u8,
        qtys: Vec<u32>,
        note: bool,
    },
    Status {
        subject: u8,
        state: usize,
        at_ms: i64,
        by: usize,
        approved: Option<Vec<u32>>,
    },
    Deliver {
        shipment: u8,
        store: usize,
        qtys: Vec<u32>,
        stop_no: u32,
    },
    Receive {
        n: u8,
        shipment: u8,
        counts: Vec<(u32, u32, u32)>,
    },
}

fn qtys() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(1u32..50, 1..=SKUS.len())
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        2 => (0..4u8, qtys(), any::<bool>()).prop_map(|(n, qtys, note)| Act::Order { n, qtys, note }),
        6 => (0..8u8, 0..ALL_STATES.len(), 0i64..12, 0..NAMES.len(), proptest::option::of(qtys()))
            .prop_map(|(subject, state, at_ms, by, approved)| Act::Status {
                subject, state, at_ms, by, approved
            }),
        2 => (0..2u8, 0..2usize, qtys(), 1u32..3)
            .prop_map(|(shipment, store, qtys, stop_no)| Act::Deliver { shipment, store, qtys, stop_no }),
        1 => (0..3u8, 0..2u8, prop::collection::vec((0u32..5, 0u32..5, 0u32..5), 1..=SKUS.len()))
            .prop_map(|(n, shipment, counts)| Act::Receive { n, shipment, counts }),
    ]
}

/// Three replicas (0 = the hub, 1 and 2 tills), each a list of actions, each action with the
/// wall clock of its HLC (small, so HLCs of different replicas interleave and tie on the wall).
fn acts() -> impl Strategy<Value = Vec<Vec<(Act, u64)>>> {
    prop::collection::vec(prop::collection::vec((act(), 0u64..30), 0..16), 1..4)
}

fn body_of(act: &Act, a: usize, seq: u64) -> (StoreId, OpBody) {
    match act {
        Act::Order { n, qtys, note } => (
            store_of(*n),
            OpBody::ReplenishmentOrder(ReplenishmentOrder {
                id: order_id(*n),
                store: store_of(*n),
                lines: lines(qtys),
                origin: if a == 0 {
                    OrderOrigin::HqProposal
                } else {
                    OrderOrigin::Store
                },
                placed_by: format!("replica {a}"),
                placed_ms: seq as i64,
                note: note.then(|| format!("note {a}-{seq}")),
            }),
        ),
        Act::Status {
            subject: s,
            state,
            at_ms,
            by,
            approved,
        } => {
            let status = ALL_STATES[*state];
            (
                store_of(*s),
                OpBody::StatusUpdate(StatusUpdate {
                    subject: subject(*s),
                    store: store_of(*s),
                    status,
                    at_ms: *at_ms,
                    by: NAMES[*by].into(),
                    lines: approved
                        .as_ref()
                        .filter(|_| status == Lifecycle::Approved)
                        .map(|q| lines(q)),
                    note: Some(format!("from {a} at {seq}")),
                }),
            )
        }
        Act::Deliver {
            shipment,
            store: st,
            qtys,
            stop_no,
        } => (
            store(*st),
            OpBody::Delivery(Delivery {
                shipment: shipment_id(*shipment),
                store: store(*st),
                orders: vec![order_id(*shipment * 2 + *st as u8)],
                lines: lines(qtys),
                from: "WH01".parse().expect("warehouse"),
                driver_name: format!("driver {seq}"),
                vehicle: "12가3456".into(),
                stop_no: *stop_no,
                stops_total: 2,
                dispatched_ms: seq as i64,
            }),
        ),
        Act::Receive {
            n,
            shipment,
            counts,
        } => (
            store(a),
            OpBody::Receiving(ReceivingRecord {
                id: Uuid::from_u64_pair(0x2C, u64::from(*n)),
                shipment: shipment_id(*shipment),
                store: store(a),
                lines: counts
                    .iter()
                    .enumerate()
                    .map(|(i, (expected, received, damaged))| ReceivedLine {
                        sku: sku(i),
                        expected: *expected,
                        received: *received,
                        damaged: (*damaged).min(*received),
                    })
                    .collect(),
                received_by: format!("staff {a}"),
                received_ms: seq as i64,
                note: None,
            }),
        ),
    }
}

/// Each replica's gapless log; every op has its own HLC (actor and counter differ).
fn ops_of(acts: &[Vec<(Act, u64)>]) -> Vec<Op> {
    let mut ops = Vec::new();
    for (a, list) in acts.iter().enumerate() {
        let me = actor(a);
        for (i, (act, wall)) in list.iter().enumerate() {
            let seq = i as u64 + 1;
            let (st, body) = body_of(act, a, seq);
            ops.push(Op {
                actor: me,
                seq,
                hlc: Hlc {
                    wall_ms: *wall,
                    counter: seq as u32,
                    actor: me,
                },
                scope: Scope::Store(st),
                body,
            });
        }
    }
    ops
}

fn logistics_of<'a>(ops: impl IntoIterator<Item = &'a Op>) -> LogisticsState {
    let mut s = LogisticsState::default();
    for op in ops {
        s.apply(op);
    }
    s
}

/// The oracle of the status register, written independently of `status_wins`: the highest
/// state; among those, the earliest `at_ms`; then the lowest `by`; then the lowest HLC.
fn expected_status(ops: &[Op]) -> BTreeMap<Subject, (StatusUpdate, Hlc)> {
    let mut by_subject: BTreeMap<Subject, Vec<(StatusUpdate, Hlc)>> = BTreeMap::new();
    for op in ops {
        if let OpBody::StatusUpdate(u) = &op.body {
            by_subject
                .entry(u.subject.clone())
                .or_default()
                .push((u.clone(), op.hlc));
        }
    }
    by_subject
        .into_iter()
        .filter_map(|(subject, updates)| {
            let top = updates.iter().map(|(u, _)| u.status).max()?;
            let best = updates
                .into_iter()
                .filter(|(u, _)| u.status == top)
                .min_by(|(a, ah), (b, bh)| {
                    (a.at_ms, a.by.as_str(), ah).cmp(&(b.at_ms, b.by.as_str(), bh))
                })?;
            Some((subject, best))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any order, any duplicates: the state of applying each op once in log order, and the
    /// replica state holds the same logistics.
    #[test]
    fn logistics_interleavings_with_duplicates_converge(
        (ops, shuffled) in acts().prop_map(|a| ops_of(&a))
            .prop_flat_map(|ops| (Just(ops.clone()), delivery(ops)))
    ) {
        let state = logistics_of(&shuffled);
        prop_assert_eq!(&state, &logistics_of(&ops));
        let mut reversed = shuffled.clone();
        reversed.reverse();
        prop_assert_eq!(&state, &logistics_of(&reversed));
        let replica = replica_of(&shuffled);
        prop_assert_eq!(replica.logistics(), &state);
    }

    /// The status register against the oracle, and every other register against its rule.
    #[test]
    fn registers_follow_their_rules(
        shuffled in acts().prop_map(|a| ops_of(&a)).prop_flat_map(delivery)
    ) {
        let state = logistics_of(&shuffled);

        let expected = expected_status(&shuffled);
        prop_assert_eq!(state.status.len(), expected.len());
        for (subject, (update, hlc)) in &expected {
            let entry = state.status.get(subject).expect("every updated subject has a register");
            prop_assert_eq!(&entry.update, update);
            prop_assert_eq!(&entry.hlc, hlc);
            prop_assert_eq!(state.status_of(subject), Some(update.status));
        }

        // Approved quantities: the approval carrying lines with the newest HLC.
        let mut approved: BTreeMap<Uuid, (Hlc, Vec<OrderLine>)> = BTreeMap::new();
        // Deliveries: newest HLC per (shipment, store); orders and receivings: lowest HLC.
        let mut deliveries: BTreeMap<(Uuid, StoreId), (Hlc, Delivery)> = BTreeMap::new();
        let mut orders: BTreeMap<Uuid, (Hlc, ReplenishmentOrder)> = BTreeMap::new();
        let mut receivings: BTreeMap<Uuid, (Hlc, ReceivingRecord)> = BTreeMap::new();
        for op in &shuffled {
            let h = op.hlc;
            match &op.body {
                OpBody::StatusUpdate(StatusUpdate {
                    subject: Subject::Order { id },
                    status: Lifecycle::Approved,
                    lines: Some(l),
                    ..
                }) => {
                    let e = approved.entry(*id).or_insert((h, l.clone()));
                    if h > e.0 { *e = (h, l.clone()); }
                }
                OpBody::Delivery(d) => {
                    let e = deliveries.entry((d.shipment, d.store.clone())).or_insert((h, d.clone()));
                    if h > e.0 { *e = (h, d.clone()); }
                }
                OpBody::ReplenishmentOrder(o) => {
                    let e = orders.entry(o.id).or_insert((h, o.clone()));
                    if h < e.0 { *e = (h, o.clone()); }
                }
                OpBody::Receiving(r) => {
                    let e = receivings.entry(r.id).or_insert((h, r.clone()));
                    if h < e.0 { *e = (h, r.clone()); }
                }
                _ => {}
            }
        }
        let got: BTreeMap<_, _> = state.approved_lines.iter()
            .map(|(id, (l, h))| (*id, (*h, l.clone()))).collect();
        prop_assert_eq!(got, approved.clone());
        let got: BTreeMap<_, _> = state.deliveries.iter()
            .map(|(k, (d, h))| (k.clone(), (*h, d.clone()))).collect();
        prop_assert_eq!(got, deliveries.clone());
        let got: BTreeMap<_, _> = state.orders.iter()
            .map(|(id, (o, h))| (*id, (*h, o.clone()))).collect();
        prop_assert_eq!(got, orders.clone());
        let got: BTreeMap<_, _> = state.receivings.iter()
            .map(|(id, (r, h))| (*id, (*h, r.clone()))).collect();
        prop_assert_eq!(got, receivings);

        // What nobody updated: an order is requested, a delivered stop dispatched, the
        // rest unknown; the counting lines are the approval's, else the order's.
        for n in 0..8u8 {
            let s = subject(n);
            if expected.contains_key(&s) { continue; }
            let want = match &s {
                Subject::Order { id } => orders.contains_key(id).then_some(Lifecycle::Requested),
                Subject::Stop { shipment, store } => deliveries
                    .contains_key(&(*shipment, store.clone()))
                    .then_some(Lifecycle::Dispatched),
            };
            prop_assert_eq!(state.status_of(&s), want);
        }
        for n in 0..4u8 {
            let id = order_id(n);
            let want = approved.get(&id).map(|(_, l)| l.clone())
                .or_else(|| orders.get(&id).map(|(_, o)| o.lines.clone()));
            prop_assert_eq!(state.order_lines(&id).map(<[OrderLine]>::to_vec), want);
        }
    }

    /// While ops arrive in any order the register of every subject only goes up the
    /// lifecycle, a subject that reached `cancelled` stays there, and on the same state the
    /// recorded time only gets earlier.
    #[test]
    fn the_status_register_only_moves_up_and_cancelled_is_terminal(
        shuffled in acts().prop_map(|a| ops_of(&a)).prop_flat_map(delivery)
    ) {
        let mut state = LogisticsState::default();
        for op in &shuffled {
            let before = state.status.clone();
            state.apply(op);
            for (subject, old) in &before {
                let new = &state.status[subject].update;
                prop_assert!(new.status >= old.update.status, "{:?} went down", subject);
                if old.update.status == Lifecycle::Cancelled {
                    prop_assert_eq!(new.status, Lifecycle::Cancelled);
                }
                if new.status == old.update.status {
                    prop_assert!(new.at_ms <= old.update.at_ms, "{:?} got later", subject);
                }
            }
        }
    }

    /// merge is commutative, associative and idempotent over partial views, and merging
    /// views that together hold every op gives the full state; the same through the replica.
    #[test]
    fn logistics_merge_laws(
        ops in acts().prop_map(|a| ops_of(&a)),
        ma in prop::collection::vec(any::<bool>(), 1..8),
        mb in prop::collection::vec(any::<bool>(), 1..8),
        mc in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let a = logistics_of(&subset(&ops, &ma));
        let b = logistics_of(&subset(&ops, &mb));
        let c = logistics_of(&subset(&ops, &mc));

        let mut ab = a.clone(); ab.merge(&b);
        let mut ba = b.clone(); ba.merge(&a);
        prop_assert_eq!(&ab, &ba, "commutative");

        let mut ab_c = ab.clone(); ab_c.merge(&c);
        let mut bc = b.clone(); bc.merge(&c);
        let mut a_bc = a.clone(); a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc, "associative");

        let mut aa = a.clone(); aa.merge(&a);
        prop_assert_eq!(&aa, &a, "idempotent");

        // Merging equals applying the union of the ops.
        let union: Vec<Op> = subset(&ops, &ma).into_iter().chain(subset(&ops, &mb)).collect();
        prop_assert_eq!(&ab, &logistics_of(&union));

        let mut all = ab_c.clone(); all.merge(&logistics_of(&ops));
        prop_assert_eq!(&all, &logistics_of(&ops));

        let ra = replica_of(&subset(&ops, &ma));
        let rb = replica_of(&subset(&ops, &mb));
        let mut rab = ra.clone(); rab.merge(&rb);
        let mut rba = rb.clone(); rba.merge(&ra);
        prop_assert_eq!(&rab, &rba, "replica merge commutative");
        prop_assert_eq!(rab.logistics(), &ab);
    }
}

/// The flow of the issue by hand: a store's request, HQ's approval with changed quantities, a
/// till's late "received" and the geofence's "arrived" racing, a second arrival that is later.
#[test]
fn a_delivery_flow_converges_to_received_with_the_first_arrival() {
    let hub = actor(0);
    let till = actor(1);
    let gn = store(0);
    let order = order_id(0);
    let ship = shipment_id(0);
    let stop = Subject::Stop {
        shipment: ship,
        store: gn.clone(),
    };
    let mk = |who: ActorId, wall: u64, body: OpBody| Op {
        actor: who,
        seq: wall,
        hlc: Hlc {
            wall_ms: wall,
            counter: 0,
            actor: who,
        },
        scope: Scope::Store(gn.clone()),
        body,
    };
    let status = |subject: Subject, status: Lifecycle, at_ms: i64, by: &str| {
        OpBody::StatusUpdate(StatusUpdate {
            subject,
            store: gn.clone(),
            status,
            at_ms,
            by: by.into(),
            lines: None,
            note: None,
        })
    };
    let mut approve = status(Subject::Order { id: order }, Lifecycle::Approved, 20, "hq");
    if let OpBody::StatusUpdate(u) = &mut approve {
        u.lines = Some(lines(&[4]));
    }
    let ops = vec![
        mk(
            till,
            10,
            OpBody::ReplenishmentOrder(ReplenishmentOrder {
                id: order,
                store: gn.clone(),
                lines: lines(&[5]),
                origin: OrderOrigin::Store,
                placed_by: "kim".into(),
                placed_ms: 10,
                note: None,
            }),
        ),
        mk(hub, 20, approve),
        mk(
            hub,
            50,
            status(stop.clone(), Lifecycle::Arrived, 1_042, "geofence"),
        ),
        mk(
            hub,
            51,
            status(stop.clone(), Lifecycle::Arrived, 1_050, "driver"),
        ),
        mk(
            till,
            60,
            status(stop.clone(), Lifecycle::Received, 1_100, "kim"),
        ),
        mk(
            till,
            61,
            status(
                Subject::Order { id: order },
                Lifecycle::Received,
                1_100,
                "kim",
            ),
        ),
    ];
    let forward = logistics_of(&ops);
    let backward = logistics_of(ops.iter().rev());
    assert_eq!(forward, backward);
    assert_eq!(forward.status_of(&stop), Some(Lifecycle::Received));
    assert_eq!(
        forward.order_lines(&order).map(<[OrderLine]>::to_vec),
        Some(lines(&[4])),
        "the approved quantity counts, not the requested"
    );
    // Without the receiving, the first arrival is the one kept, whichever came first.
    let arrivals = logistics_of(ops[2..4].iter().rev());
    let entry = arrivals.status.get(&stop).expect("arrived");
    assert_eq!(
        (entry.update.at_ms, entry.update.by.as_str()),
        (1_042, "geofence")
    );
    // A cancellation wins even over received (terminal), whichever order they come in.
    let mut with_cancel = ops.clone();
    with_cancel.insert(
        0,
        mk(
            hub,
            5,
            status(Subject::Order { id: order }, Lifecycle::Cancelled, 1, "hq"),
        ),
    );
    let s = logistics_of(&with_cancel);
    assert_eq!(
        s.status_of(&Subject::Order { id: order }),
        Some(Lifecycle::Cancelled)
    );
    assert_eq!(s, logistics_of(with_cancel.iter().rev()));
    // The in-transit location of a stop's store is never some other location.
    let tr = LocationId::in_transit_to(&gn);
    assert_ne!(tr, gn);
    assert_ne!(tr, LocationId::in_transit_to(&store(1)));
}
