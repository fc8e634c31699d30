//! Property tests of the bounded counter (`sync_proto::escrow`, issue 7).
//!
//! 1. The CRDT laws: folding escrow ops (moves, definitions, holds, requests, recalls,
//!    redemptions) in any order with any duplicates gives the same state, and merging partial
//!    views is commutative, associative and idempotent — through [`EscrowState`] and through
//!    [`ReplicaState`], which folds the same ops.
//! 2. The invariant ("never oversell, even offline"): a hub and a few tills that spend only
//!    against their own view of their rights, with random transfers, uses, returns (mints),
//!    partitions, and duplicated and reordered delivery. After every step, and once everything
//!    is delivered, the value is ≥ 0, every actor's rights are ≥ 0 and Σ used ≤ Σ minted —
//!    checked both with the model and with an independent ledger of what each replica did.

mod common;

use common::{delivery, replica_of, subset};
use std::collections::BTreeMap;

use proptest::prelude::*;
use sync_proto::escrow::{
    CouponRedemption, EscrowKind, EscrowMove, EscrowState, HoldStatus, LimitDef, LimitHold,
    LimitKey, RecallReason, RightsRecall, RightsRequest, next_total,
};
use sync_proto::{ActorId, Hlc, Op, OpBody, Scope, StoreId};
use uuid::Uuid;

fn actor(n: usize) -> ActorId {
    ActorId(Uuid::from_u64_pair(0xA0, n as u64 + 1))
}

fn key(n: usize) -> LimitKey {
    match n % 2 {
        0 => "sku:JKT-014-NVY-S".parse().expect("sku key"),
        _ => LimitKey::Coupon(Uuid::from_u128(0xC0)),
    }
}

fn store() -> StoreId {
    "GN01".parse().expect("store")
}

// ---------------------------------------------------------------------------------------------
// 1. CRDT laws
// ---------------------------------------------------------------------------------------------

/// One thing an actor does, before it is turned into an op.
#[derive(Debug, Clone)]
enum Act {
    Move {
        key: usize,
        kind: u8,
        to: usize,
        qty: u64,
    },
    Def {
        key: usize,
        total: u64,
        active: bool,
        wall: u64,
    },
    Hold {
        n: u64,
        status: u8,
        qty: u64,
    },
    Request {
        key: usize,
        qty: u64,
    },
    Recall {
        key: usize,
        till: usize,
        qty: Option<u64>,
    },
    Redeem {
        member: u128,
    },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0..2usize, 0..3u8, 0..4usize, 1u64..6)
            .prop_map(|(key, kind, to, qty)| Act::Move { key, kind, to, qty }),
        1 => (0..2usize, 1u64..500, any::<bool>(), 0u64..40)
            .prop_map(|(key, total, active, wall)| Act::Def { key, total, active, wall }),
        2 => (0..3u64, 0..3u8, 1u64..4).prop_map(|(n, status, qty)| Act::Hold { n, status, qty }),
        1 => (0..2usize, 1u64..10).prop_map(|(key, qty)| Act::Request { key, qty }),
        1 => (0..2usize, 0..4usize, proptest::option::of(1u64..10))
            .prop_map(|(key, till, qty)| Act::Recall { key, till, qty }),
        1 => (0..3u128).prop_map(|member| Act::Redeem { member }),
    ]
}

fn acts() -> impl Strategy<Value = Vec<Vec<Act>>> {
    prop::collection::vec(prop::collection::vec(act(), 0..20), 1..4)
}

/// Turn each actor's actions into its op log, with running totals as a writer makes them.
fn ops_of(acts: &[Vec<Act>]) -> Vec<Op> {
    let mut ops = Vec::new();
    for (a, list) in acts.iter().enumerate() {
        let me = actor(a);
        let mut totals: BTreeMap<(usize, u8, usize), u64> = BTreeMap::new();
        for (i, act) in list.iter().enumerate() {
            let seq = i as u64 + 1;
            let mut wall_ms = seq * 10;
            let (scope, body) = match act {
                Act::Move {
                    key: k,
                    kind,
                    to,
                    qty,
                } => {
                    let to = if *to == a { (a + 1) % 4 } else { *to };
                    let slot = (*k, *kind, if *kind == 1 { to } else { 0 });
                    let total = totals.entry(slot).or_insert(0);
                    *total += qty;
                    let kind = match kind {
                        0 => EscrowKind::Mint,
                        1 => EscrowKind::Transfer(actor(to)),
                        _ => EscrowKind::Use,
                    };
                    (
                        Scope::Broadcast,
                        OpBody::EscrowMove(EscrowMove {
                            key: key(*k),
                            kind,
                            qty: *qty,
                            reference: Some(format!("ref-{a}-{i}")),
                            total: *total,
                        }),
                    )
                }
                Act::Def {
                    key: k,
                    total,
                    active,
                    wall,
                } => {
                    wall_ms = *wall;
                    (
                        Scope::Catalog,
                        OpBody::LimitDef(LimitDef {
                            key: key(*k),
                            label: format!("drop {a}-{i}"),
                            total: *total,
                            rule: sync_proto::escrow::AllocationRule::Equal,
                            hold_minutes: 30,
                            starts_at_ms: None,
                            ends_at_ms: None,
                            coupon: None,
                            active: *active,
                        }),
                    )
                }
                Act::Hold { n, status, qty } => {
                    let status = match status {
                        0 => HoldStatus::Held,
                        1 => HoldStatus::Released,
                        _ => HoldStatus::Sold,
                    };
                    (
                        Scope::Store(store()),
                        OpBody::LimitHold(LimitHold {
                            id: Uuid::from_u64_pair(a as u64, *n),
                            key: key(0),
                            till: me,
                            store: store(),
                            qty: *qty,
                            placed_at_ms: 1_000,
                            expires_at_ms: 2_000,
                            note: format!("for {n}"),
                            status,
                            sale: (status == HoldStatus::Sold).then(|| Uuid::from_u128(*n as u128)),
                        }),
                    )
                }
                Act::Request { key: k, qty } => (
                    Scope::Store(store()),
                    OpBody::RightsRequest(RightsRequest {
                        id: Uuid::from_u64_pair(100 + a as u64, seq),
                        key: key(*k),
                        till: me,
                        store: store(),
                        qty: *qty,
                    }),
                ),
                Act::Recall { key: k, till, qty } => (
                    Scope::Store(store()),
                    OpBody::RightsRecall(RightsRecall {
                        id: Uuid::from_u64_pair(200 + a as u64, seq),
                        key: key(*k),
                        till: actor(*till),
                        qty: *qty,
                        reason: RecallReason::Rebalance,
                    }),
                ),
                Act::Redeem { member } => (
                    Scope::Broadcast,
                    OpBody::CouponRedemption(CouponRedemption {
                        id: Uuid::from_u64_pair(300 + a as u64, seq),
                        campaign: Uuid::from_u128(0xC0),
                        member: Uuid::from_u128(*member),
                        sale: Uuid::from_u64_pair(400 + a as u64, seq),
                        till: me,
                        store: store(),
                        discount: 1_000,
                        at_ms: 1_500,
                    }),
                ),
            };
            ops.push(Op {
                actor: me,
                seq,
                hlc: Hlc {
                    wall_ms,
                    counter: seq as u32,
                    actor: me,
                },
                scope,
                body,
            });
        }
    }
    ops
}

fn escrow_of<'a>(ops: impl IntoIterator<Item = &'a Op>) -> EscrowState {
    let mut s = EscrowState::new();
    for op in ops {
        s.apply(op);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any order, any duplicates: the same state as applying each op once in log order, and
    /// the counters equal an independent tally (last total per entry; rights and value by the
    /// formula of the model).
    #[test]
    fn escrow_interleavings_with_duplicates_converge(
        (ops, shuffled) in acts().prop_map(|a| ops_of(&a))
            .prop_flat_map(|ops| (Just(ops.clone()), delivery(ops)))
    ) {
        let state = escrow_of(&shuffled);
        prop_assert_eq!(&state, &escrow_of(&ops));
        let replica = replica_of(&shuffled);
        prop_assert_eq!(replica.escrow(), &state);

        // Independent tally: the highest total per (key, actor, entry).
        let mut last: BTreeMap<(LimitKey, ActorId, String), u64> = BTreeMap::new();
        for op in &ops {
            if let OpBody::EscrowMove(m) = &op.body {
                let e = last.entry((m.key.clone(), op.actor, format!("{:?}", m.kind))).or_default();
                *e = (*e).max(m.total);
            }
        }
        for k in [key(0), key(1)] {
            let mut value: i64 = 0;
            let transfer_to = |me: ActorId| format!("{:?}", EscrowKind::Transfer(me));
            for a in 0..4 {
                let me = actor(a);
                let get = |kind: EscrowKind| {
                    last.get(&(k.clone(), me, format!("{kind:?}"))).copied().unwrap_or(0) as i64
                };
                let received: i64 = (0..4)
                    .map(|from| {
                        last.get(&(k.clone(), actor(from), transfer_to(me)))
                            .copied()
                            .unwrap_or(0) as i64
                    })
                    .sum();
                let given: i64 = (0..4)
                    .map(|to| get(EscrowKind::Transfer(actor(to))))
                    .sum();
                let rights = get(EscrowKind::Mint) + received - given - get(EscrowKind::Use);
                prop_assert_eq!(state.rights(&k, me), rights, "rights of actor {}", a);
                value += get(EscrowKind::Mint) - get(EscrowKind::Use);
            }
            prop_assert_eq!(state.value(&k), value);
        }
    }

    /// Holds are max-registers over their status; definitions go to the newest HLC.
    #[test]
    fn holds_take_the_highest_status_and_defs_the_newest_hlc(
        shuffled in acts().prop_map(|a| ops_of(&a)).prop_flat_map(delivery)
    ) {
        let state = escrow_of(&shuffled);
        let mut best: BTreeMap<Uuid, HoldStatus> = BTreeMap::new();
        for op in &shuffled {
            if let OpBody::LimitHold(h) = &op.body {
                let e = best.entry(h.id).or_insert(h.status);
                *e = (*e).max(h.status);
            }
        }
        prop_assert_eq!(state.holds().count(), best.len());
        for (id, status) in best {
            prop_assert_eq!(state.hold(&id).map(|h| h.status), Some(status));
        }
        for k in [key(0), key(1)] {
            let newest = shuffled.iter()
                .filter_map(|op| match &op.body {
                    OpBody::LimitDef(d) if d.key == k => Some((op.hlc, d.clone())),
                    _ => None,
                })
                .max_by_key(|(hlc, _)| *hlc)
                .map(|(_, d)| d);
            prop_assert_eq!(state.def(&k), newest.as_ref());
        }
    }

    /// merge is commutative, associative and idempotent over partial views, and merging views
    /// that together hold every op gives the full state.
    #[test]
    fn escrow_merge_laws(
        ops in acts().prop_map(|a| ops_of(&a)),
        ma in prop::collection::vec(any::<bool>(), 1..8),
        mb in prop::collection::vec(any::<bool>(), 1..8),
        mc in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let a = escrow_of(&subset(&ops, &ma));
        let b = escrow_of(&subset(&ops, &mb));
        let c = escrow_of(&subset(&ops, &mc));

        let mut ab = a.clone(); ab.merge(&b);
        let mut ba = b.clone(); ba.merge(&a);
        prop_assert_eq!(&ab, &ba, "commutative");

        let mut ab_c = ab.clone(); ab_c.merge(&c);
        let mut bc = b.clone(); bc.merge(&c);
        let mut a_bc = a.clone(); a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc, "associative");

        let mut aa = a.clone(); aa.merge(&a);
        prop_assert_eq!(&aa, &a, "idempotent");

        let mut all = ab_c.clone(); all.merge(&escrow_of(&ops));
        prop_assert_eq!(&all, &escrow_of(&ops));

        // The same through the whole replica state.
        let ra = replica_of(&subset(&ops, &ma));
        let rb = replica_of(&subset(&ops, &mb));
        let mut rab = ra.clone(); rab.merge(&rb);
        let mut rba = rb.clone(); rba.merge(&ra);
        prop_assert_eq!(&rab, &rba, "replica merge commutative");
        prop_assert_eq!(rab.escrow(), &ab);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The invariant under offline spending
// ---------------------------------------------------------------------------------------------

/// One step of the simulation. Replica 0 is the hub, 1.. are tills.
#[derive(Debug, Clone)]
enum Step {
    /// The hub mints more units (a new allocation).
    HubMint { qty: u64 },
    /// The hub gives rights to a till (up to what it holds in its view).
    HubGive { till: usize, qty: u64 },
    /// A till sells (up to what it holds in its view).
    TillUse { till: usize, qty: u64 },
    /// A till gives rights back to the hub (a recall answer).
    TillGiveBack { till: usize, qty: u64 },
    /// A till takes back a returned unit and mints it for itself.
    TillMint { till: usize },
    /// One message in flight arrives (the `pick`-th deliverable one); with `dup` a copy stays
    /// in flight and arrives again later.
    Deliver { pick: usize, dup: bool },
    /// A replica drops off the network, or comes back.
    Partition { replica: usize },
}

fn step(tills: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (1u64..30).prop_map(|qty| Step::HubMint { qty }),
        3 => (1..=tills, 1u64..15).prop_map(|(till, qty)| Step::HubGive { till, qty }),
        4 => (1..=tills, 1u64..6).prop_map(|(till, qty)| Step::TillUse { till, qty }),
        2 => (1..=tills, 1u64..6).prop_map(|(till, qty)| Step::TillGiveBack { till, qty }),
        1 => (1..=tills).prop_map(|till| Step::TillMint { till }),
        8 => (any::<usize>(), any::<bool>()).prop_map(|(pick, dup)| Step::Deliver { pick, dup }),
        1 => (0..=tills).prop_map(|replica| Step::Partition { replica }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, u64, Vec<Step>)> {
    (2usize..5).prop_flat_map(|tills| {
        (
            Just(tills),
            10u64..80,
            prop::collection::vec(step(tills), 0..160),
        )
    })
}

/// An op on its way to one replica, with the versions its maker had seen (for causal delivery).
#[derive(Debug, Clone)]
struct Msg {
    op: Op,
    deps: BTreeMap<ActorId, u64>,
    to: usize,
}

/// What each replica really did, counted apart from the model.
#[derive(Debug, Default)]
struct Ledger {
    minted: BTreeMap<ActorId, u64>,
    given: BTreeMap<(ActorId, ActorId), u64>,
    used: BTreeMap<ActorId, u64>,
}

impl Ledger {
    fn rights(&self, a: ActorId) -> i64 {
        let get = |m: &BTreeMap<ActorId, u64>| m.get(&a).copied().unwrap_or(0) as i64;
        let received: u64 = self
            .given
            .iter()
            .filter(|((_, to), _)| *to == a)
            .map(|(_, q)| q)
            .sum();
        let given: u64 = self
            .given
            .iter()
            .filter(|((from, _), _)| *from == a)
            .map(|(_, q)| q)
            .sum();
        get(&self.minted) + received as i64 - given as i64 - get(&self.used)
    }
}

struct Sim {
    /// Apply an op only once what its maker had seen is applied (the hub's log order);
    /// otherwise apply whatever arrives, in any order.
    causal: bool,
    key: LimitKey,
    actors: Vec<ActorId>,
    views: Vec<EscrowState>,
    seen: Vec<BTreeMap<ActorId, u64>>,
    pending: Vec<Vec<(Op, BTreeMap<ActorId, u64>)>>,
    seqs: Vec<u64>,
    in_flight: Vec<Msg>,
    down: Vec<bool>,
    log: Vec<Op>,
    ledger: Ledger,
}

impl Sim {
    fn new(tills: usize, causal: bool) -> Self {
        let n = tills + 1;
        Sim {
            causal,
            key: key(0),
            actors: (0..n).map(actor).collect(),
            views: vec![EscrowState::new(); n],
            seen: vec![BTreeMap::new(); n],
            pending: vec![Vec::new(); n],
            seqs: vec![0; n],
            in_flight: Vec::new(),
            down: vec![false; n],
            log: Vec::new(),
            ledger: Ledger::default(),
        }
    }

    /// What replica `i` may still spend, by its own view only.
    fn own_rights(&self, i: usize) -> u64 {
        self.views[i].available(&self.key, self.actors[i], 0)
    }

    /// Replica `i` writes a move of `qty` on its own entry `kind`, continuing its stored total.
    fn write(&mut self, i: usize, kind: EscrowKind, qty: u64) {
        let me = self.actors[i];
        let stored = self.views[i]
            .counter(&self.key)
            .map_or(0, |c| c.entry(me, kind));
        let total = next_total(stored, qty).expect("small totals");
        self.seqs[i] += 1;
        let op = Op {
            actor: me,
            seq: self.seqs[i],
            hlc: Hlc {
                wall_ms: self.log.len() as u64,
                counter: 0,
                actor: me,
            },
            scope: Scope::Broadcast,
            body: OpBody::EscrowMove(EscrowMove {
                key: self.key.clone(),
                kind,
                qty,
                reference: Some(format!("r{}", self.log.len())),
                total,
            }),
        };
        let deps = self.seen[i].clone();
        self.views[i].apply(&op);
        self.seen[i].insert(me, op.seq);
        for to in 0..self.views.len() {
            if to != i {
                self.in_flight.push(Msg {
                    op: op.clone(),
                    deps: deps.clone(),
                    to,
                });
            }
        }
        match kind {
            EscrowKind::Mint => *self.ledger.minted.entry(me).or_default() += qty,
            EscrowKind::Transfer(to) => *self.ledger.given.entry((me, to)).or_default() += qty,
            EscrowKind::Use => *self.ledger.used.entry(me).or_default() += qty,
        }
        self.log.push(op);
    }

    /// Spend (use or transfer) at most `qty`, only against what `i` holds in its own view.
    fn spend(&mut self, i: usize, kind: EscrowKind, qty: u64) {
        let qty = qty.min(self.own_rights(i));
        if qty > 0 {
            self.write(i, kind, qty);
        }
    }

    fn ready(&self, j: usize, op: &Op, deps: &BTreeMap<ActorId, u64>) -> bool {
        let have = |a: &ActorId| self.seen[j].get(a).copied().unwrap_or(0);
        have(&op.actor) + 1 >= op.seq && deps.iter().all(|(a, s)| *a == op.actor || have(a) >= *s)
    }

    fn receive(&mut self, msg: Msg) {
        let j = msg.to;
        if !self.causal {
            self.views[j].apply(&msg.op);
            return;
        }
        self.pending[j].push((msg.op, msg.deps));
        while let Some(k) = (0..self.pending[j].len())
            .find(|k| self.ready(j, &self.pending[j][*k].0, &self.pending[j][*k].1))
        {
            let (op, _) = self.pending[j].remove(k);
            self.views[j].apply(&op);
            let s = self.seen[j].entry(op.actor).or_default();
            *s = (*s).max(op.seq);
        }
    }

    fn deliver(&mut self, pick: usize, dup: bool) {
        let open: Vec<usize> = (0..self.in_flight.len())
            .filter(|k| {
                let m = &self.in_flight[*k];
                let from = self
                    .actors
                    .iter()
                    .position(|a| *a == m.op.actor)
                    .unwrap_or(0);
                !self.down[m.to] && !self.down[from]
            })
            .collect();
        if open.is_empty() {
            return;
        }
        let k = open[pick % open.len()];
        let msg = if dup {
            self.in_flight[k].clone()
        } else {
            self.in_flight.remove(k)
        };
        self.receive(msg);
    }

    fn run(&mut self, s: &Step) {
        match *s {
            Step::HubMint { qty } => self.write(0, EscrowKind::Mint, qty),
            Step::HubGive { till, qty } => {
                let to = self.actors[till];
                self.spend(0, EscrowKind::Transfer(to), qty);
            }
            Step::TillUse { till, qty } => self.spend(till, EscrowKind::Use, qty),
            Step::TillGiveBack { till, qty } => {
                let hub = self.actors[0];
                self.spend(till, EscrowKind::Transfer(hub), qty);
            }
            Step::TillMint { till } => self.write(till, EscrowKind::Mint, 1),
            Step::Deliver { pick, dup } => self.deliver(pick, dup),
            Step::Partition { replica } => self.down[replica] = !self.down[replica],
        }
    }

    /// Heal every partition and deliver everything still in flight (duplicates included).
    fn settle(&mut self) {
        self.down.iter_mut().for_each(|d| *d = false);
        while !self.in_flight.is_empty() {
            let msg = self.in_flight.remove(self.in_flight.len() / 2);
            self.receive(msg);
        }
    }
}

/// The invariants of one view: every actor's rights ≥ 0, value ≥ 0, Σ used ≤ Σ minted.
fn check_view(view: &EscrowState, key: &LimitKey, actors: &[ActorId]) -> Result<(), String> {
    let Some(c) = view.counter(key) else {
        return Ok(());
    };
    for a in actors {
        if c.rights(*a) < 0 {
            return Err(format!("rights of {a} are {}", c.rights(*a)));
        }
    }
    if c.value() < 0 || c.used_total() > c.minted_total() {
        return Err(format!(
            "value {} (used {} of minted {})",
            c.value(),
            c.used_total(),
            c.minted_total()
        ));
    }
    Ok(())
}

/// After each step: the truth (the ledger) never oversells; each replica knows its own entries
/// exactly and its own rights are ≥ 0; with causal delivery every view keeps every invariant.
fn check_step(sim: &Sim) -> Result<(), TestCaseError> {
    let l = &sim.ledger;
    let minted: u64 = l.minted.values().sum();
    let used: u64 = l.used.values().sum();
    prop_assert!(used <= minted, "oversold: used {} of {}", used, minted);
    for (i, a) in sim.actors.iter().enumerate() {
        prop_assert!(
            l.rights(*a) >= 0,
            "true rights of replica {} are {}",
            i,
            l.rights(*a)
        );
        let own = sim.views[i].rights(&sim.key, *a);
        prop_assert!(own >= 0, "replica {} sees its own rights at {}", i, own);
        let c = sim.views[i].counter(&sim.key);
        let entry = |kind| c.map_or(0, |c| c.entry(*a, kind));
        prop_assert_eq!(
            entry(EscrowKind::Mint),
            l.minted.get(a).copied().unwrap_or(0)
        );
        prop_assert_eq!(entry(EscrowKind::Use), l.used.get(a).copied().unwrap_or(0));
        if sim.causal {
            check_view(&sim.views[i], &sim.key, &sim.actors)
                .map_err(|e| TestCaseError::fail(format!("replica {i}: {e}")))?;
        }
    }
    Ok(())
}

/// Once everything is delivered: every replica has the same state, equal to the whole log
/// applied once; the model's rights equal the ledger's; the invariants hold.
fn check_settled(sim: &Sim) -> Result<(), TestCaseError> {
    prop_assert!(
        sim.pending.iter().all(Vec::is_empty),
        "causal buffer drained"
    );
    let full = escrow_of(&sim.log);
    for (i, v) in sim.views.iter().enumerate() {
        prop_assert_eq!(v, &full, "replica {} converged", i);
    }
    for a in &sim.actors {
        prop_assert_eq!(full.rights(&sim.key, *a), sim.ledger.rights(*a));
    }
    let minted: u64 = sim.ledger.minted.values().sum();
    let used: u64 = sim.ledger.used.values().sum();
    prop_assert_eq!(full.used_total(&sim.key), used);
    prop_assert_eq!(full.value(&sim.key), minted as i64 - used as i64);
    check_view(&full, &sim.key, &sim.actors).map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Delivery in the hub's log order (causal), with duplicates, reordering of concurrent
    /// ops and partitions: every view, after every step, keeps value ≥ 0, rights ≥ 0 and
    /// Σ used ≤ Σ minted; everything converges.
    #[test]
    fn offline_spending_never_oversells_with_causal_delivery((tills, first, steps) in scenario()) {
        let mut sim = Sim::new(tills, true);
        sim.write(0, EscrowKind::Mint, first);
        for s in &steps {
            sim.run(s);
            check_step(&sim)?;
        }
        sim.settle();
        check_step(&sim)?;
        check_settled(&sim)?;
    }

    /// Delivery in any order at all (duplicates, reordering, partitions): no replica ever
    /// spends what it does not hold, the chain never oversells, and once everything is
    /// delivered every replica shows the same counter with every invariant.
    #[test]
    fn offline_spending_never_oversells_with_any_delivery((tills, first, steps) in scenario()) {
        let mut sim = Sim::new(tills, false);
        sim.write(0, EscrowKind::Mint, first);
        for s in &steps {
            sim.run(s);
            check_step(&sim)?;
        }
        sim.settle();
        check_step(&sim)?;
        check_settled(&sim)?;
    }
}
