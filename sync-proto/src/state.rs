//! The CRDT merge model of DESIGN §2, in memory.
//!
//! [`ReplicaState`] is what any replica — a till or the hub — knows after
//! applying a set of ops:
//!
//! | data | CRDT |
//! |---|---|
//! | stock per `(location, sku)` | PN-counter, one entry per actor (`crdts::PNCounter`) |
//! | sales, returns | grow-only sets keyed by UUIDv7 |
//! | catalog fields | LWW register per `(sku, field)`, marker = HLC (`crdts::LWWReg`) |
//! | store staff, price rules | LWW register per id, marker = HLC |
//! | member fields | LWW register per `(member, field)`, marker = HLC |
//! | chat | see [`crate::chat::ChatState`] (grow-only messages, max-registers) |
//! | limited items, coupons | see [`crate::escrow::EscrowState`] (bounded counter: `MAX()` per entry; definitions LWW by HLC; holds max-register; requests, recalls, redemptions grow-only) |
//! | replenishment, deliveries | see [`crate::logistics::LogisticsState`] (orders, receivings grow-only; status max-register; deliveries LWW by HLC) |
//!
//! Applying an op and merging two states are commutative, associative and
//! idempotent (property-tested in `tests/merge_laws.rs`). The SQL stores of
//! the till and the hub implement the same rules relationally
//! (`MAX()` on counter rows, `ON CONFLICT DO NOTHING` on records, "newer HLC
//! wins" on catalog fields); this model is their specification.

use std::collections::BTreeMap;

use crdts::pncounter::{Dir, Op as PnOp};
use crdts::{CmRDT, CvRDT, Dot, LWWReg, PNCounter};
use num_traits::ToPrimitive;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::ChatState;
use crate::escrow::EscrowState;
use crate::hlc::Hlc;
use crate::ids::{ActorId, LocationId, Sku};
use crate::logistics::LogisticsState;
use crate::op::{CatalogField, CatalogFieldKind, Op, OpBody, ReturnRecord, SaleRecord, StockMove};
use crate::people::{MemberField, MemberFieldKind, StaffRecord};
use crate::pricing::PriceRule;

/// One actor's entry of the stock PN-counter at one `(location, sku)`: the
/// unit of stock state that tills and the hub store and exchange in snapshots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StockCounterRow {
    /// Where.
    pub location: LocationId,
    /// What.
    pub sku: Sku,
    /// Whose entry.
    pub actor: ActorId,
    /// Σ increments by that actor.
    pub inc_total: u64,
    /// Σ decrements by that actor.
    pub dec_total: u64,
}

/// One catalog field with the HLC of its winning write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// Which product variant.
    pub sku: Sku,
    /// The value.
    pub field: CatalogField,
    /// When it was written.
    pub hlc: Hlc,
}

/// Everything a replica knows, as CRDTs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicaState {
    stock: BTreeMap<(LocationId, Sku), PNCounter<ActorId>>,
    sales: BTreeMap<Uuid, SaleRecord>,
    returns: BTreeMap<Uuid, ReturnRecord>,
    catalog: BTreeMap<(Sku, CatalogFieldKind), LWWReg<CatalogField, Hlc>>,
    staff: BTreeMap<Uuid, LWWReg<StaffRecord, Hlc>>,
    members: BTreeMap<(Uuid, MemberFieldKind), LWWReg<MemberField, Hlc>>,
    price_rules: BTreeMap<Uuid, LWWReg<PriceRule, Hlc>>,
    chat: ChatState,
    escrow: EscrowState,
    logistics: LogisticsState,
}

/// Put `val` into the register at `key` if `marker` is newer (or it is new).
fn lww_put<K: Ord, V: Clone + PartialEq>(
    map: &mut BTreeMap<K, LWWReg<V, Hlc>>,
    key: K,
    val: V,
    marker: Hlc,
) {
    match map.get_mut(&key) {
        Some(reg) => reg.update(val, marker),
        None => {
            map.insert(key, LWWReg { val, marker });
        }
    }
}

/// Merge every register of `theirs` into `mine`.
fn lww_merge<K: Ord + Clone, V: Clone + PartialEq>(
    mine: &mut BTreeMap<K, LWWReg<V, Hlc>>,
    theirs: &BTreeMap<K, LWWReg<V, Hlc>>,
) {
    for (key, reg) in theirs {
        match mine.get_mut(key) {
            Some(m) => m.merge(reg.clone()),
            None => {
                mine.insert(key.clone(), reg.clone());
            }
        }
    }
}

impl ReplicaState {
    /// An empty replica.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold one op in. Applying the same op twice changes nothing.
    pub fn apply(&mut self, op: &Op) {
        match &op.body {
            OpBody::StockMove(m) => self.apply_stock_row(&StockCounterRow {
                location: m.location.clone(),
                sku: m.sku.clone(),
                actor: op.actor,
                inc_total: m.inc_total,
                dec_total: m.dec_total,
            }),
            OpBody::Sale(s) => {
                self.sales.entry(s.id).or_insert_with(|| s.clone());
            }
            OpBody::Return(r) => {
                self.returns.entry(r.id).or_insert_with(|| r.clone());
            }
            OpBody::CatalogSet(c) => self.apply_catalog(&CatalogEntry {
                sku: c.sku.clone(),
                field: c.field.clone(),
                hlc: op.hlc,
            }),
            OpBody::StaffSet(p) => lww_put(&mut self.staff, p.id, p.clone(), op.hlc),
            OpBody::MemberSet(m) => lww_put(
                &mut self.members,
                (m.member, m.field.kind()),
                m.field.clone(),
                op.hlc,
            ),
            OpBody::PriceRule(r) => lww_put(&mut self.price_rules, r.id, r.clone(), op.hlc),
            OpBody::ChatMessage(m) => self.chat.apply_message(op.hlc, m),
            OpBody::ChatRead(r) => self.chat.apply_read(r),
            OpBody::TicketUpdate(t) => self.chat.apply_ticket(t),
            OpBody::AnnouncementAck(a) => self.chat.apply_ack(a),
            OpBody::EscrowMove(_)
            | OpBody::LimitDef(_)
            | OpBody::RightsRequest(_)
            | OpBody::RightsRecall(_)
            | OpBody::LimitHold(_)
            | OpBody::CouponRedemption(_) => self.escrow.apply(op),
            OpBody::ReplenishmentOrder(_)
            | OpBody::StatusUpdate(_)
            | OpBody::Delivery(_)
            | OpBody::Receiving(_) => self.logistics.apply(op),
        }
    }

    /// Replenishment orders, deliveries, receiving records and their lifecycle.
    pub fn logistics(&self) -> &LogisticsState {
        &self.logistics
    }

    /// The chat: messages, read positions, tickets and acknowledgements.
    pub fn chat(&self) -> &ChatState {
        &self.chat
    }

    /// Limited items and coupons: bounded counters, definitions, holds, requests, recalls and
    /// redemptions.
    pub fn escrow(&self) -> &EscrowState {
        &self.escrow
    }

    /// Fold one actor's counter entry in (as from a snapshot).
    pub fn apply_stock_row(&mut self, row: &StockCounterRow) {
        let counter = self
            .stock
            .entry((row.location.clone(), row.sku.clone()))
            .or_default();
        counter.apply(PnOp {
            dot: Dot::new(row.actor, row.inc_total),
            dir: Dir::Pos,
        });
        counter.apply(PnOp {
            dot: Dot::new(row.actor, row.dec_total),
            dir: Dir::Neg,
        });
    }

    /// Fold one catalog field in (as from a snapshot): the later HLC wins.
    pub fn apply_catalog(&mut self, entry: &CatalogEntry) {
        lww_put(
            &mut self.catalog,
            (entry.sku.clone(), entry.field.kind()),
            entry.field.clone(),
            entry.hlc,
        );
    }

    /// Merge another replica's whole state in.
    pub fn merge(&mut self, other: &ReplicaState) {
        for (key, counter) in &other.stock {
            self.stock
                .entry(key.clone())
                .or_default()
                .merge(counter.clone());
        }
        for (id, sale) in &other.sales {
            self.sales.entry(*id).or_insert_with(|| sale.clone());
        }
        for (id, ret) in &other.returns {
            self.returns.entry(*id).or_insert_with(|| ret.clone());
        }
        lww_merge(&mut self.catalog, &other.catalog);
        lww_merge(&mut self.staff, &other.staff);
        lww_merge(&mut self.members, &other.members);
        lww_merge(&mut self.price_rules, &other.price_rules);
        self.chat.merge(&other.chat);
        self.escrow.merge(&other.escrow);
        self.logistics.merge(&other.logistics);
    }

    /// Stock of `sku` at `location`: Σ increments − Σ decrements over all actors.
    pub fn stock(&self, location: &LocationId, sku: &Sku) -> i64 {
        self.stock
            .get(&(location.clone(), sku.clone()))
            .and_then(|c| c.read().to_i64())
            .unwrap_or(0)
    }

    /// Stock of every `(location, sku)` seen.
    pub fn stock_levels(&self) -> BTreeMap<(LocationId, Sku), i64> {
        self.stock
            .iter()
            .map(|(k, c)| (k.clone(), c.read().to_i64().unwrap_or(0)))
            .collect()
    }

    /// Every sale seen.
    pub fn sales(&self) -> impl Iterator<Item = &SaleRecord> {
        self.sales.values()
    }

    /// Every return seen.
    pub fn returns(&self) -> impl Iterator<Item = &ReturnRecord> {
        self.returns.values()
    }

    /// The current value of one catalog field.
    pub fn catalog_field(&self, sku: &Sku, kind: CatalogFieldKind) -> Option<&CatalogField> {
        self.catalog.get(&(sku.clone(), kind)).map(|r| &r.val)
    }

    /// The current record of one store person.
    pub fn staff(&self, id: &Uuid) -> Option<&StaffRecord> {
        self.staff.get(id).map(|r| &r.val)
    }

    /// The current value of one member field.
    pub fn member_field(&self, member: &Uuid, kind: MemberFieldKind) -> Option<&MemberField> {
        self.members.get(&(*member, kind)).map(|r| &r.val)
    }

    /// Every scheduled price rule for `sku`, in its latest version.
    pub fn price_rules<'a>(&'a self, sku: &'a Sku) -> impl Iterator<Item = &'a PriceRule> + 'a {
        self.price_rules
            .values()
            .map(|r| &r.val)
            .filter(move |r| &r.sku == sku)
    }
}

/// Make the running totals of the next stock move of one actor at one
/// `(location, sku)`, given its previous totals. Used by every writer so
/// that the counter entry always continues where it was.
pub fn next_stock_totals(prev_inc: u64, prev_dec: u64, delta: i64) -> (u64, u64) {
    if delta >= 0 {
        (prev_inc + delta.unsigned_abs(), prev_dec)
    } else {
        (prev_inc, prev_dec + delta.unsigned_abs())
    }
}

/// Does `m` continue an actor's entry whose totals were `(prev_inc, prev_dec)`?
pub fn continues_totals(m: &StockMove, prev_inc: u64, prev_dec: u64) -> bool {
    next_stock_totals(prev_inc, prev_dec, m.delta) == (m.inc_total, m.dec_total)
}
