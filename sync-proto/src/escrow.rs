//! Limited editions and first-come coupons: the bounded counter (escrow) and its records.
//!
//! A drop ("100 pieces of the collaboration jacket across 50 stores") or a coupon campaign
//! ("300 first-come coupons") is a **bounded counter** keyed by a [`LimitKey`]: its value
//! (units left) must never go below zero, even while tills sell offline. Following Balegas et
//! al., "Extending Eventually Consistent Cloud Databases for Enforcing Numeric Invariants"
//! (2015) and AntidoteDB's bounded counter, every replica (a till, or the hub acting for HQ)
//! holds **rights** and may only spend rights it holds:
//!
//! - `minted[i]`: units replica `i` created in its own entry (the hub mints a drop's total;
//!   a till that takes back a returned limited unit mints that one unit for itself);
//! - `given[i → j]`: rights replica `i` transferred to replica `j`;
//! - `used[i]`: units replica `i` sold or redeemed.
//!
//! `rights(i) = minted[i] + Σ_j given[j → i] − Σ_j given[i → j] − used[i]` and
//! `value = Σ_i minted[i] − Σ_i used[i]`. Only replica `i` writes its own entries, and it
//! writes a transfer or a use only when its own `rights(i)` covers it; rights coming in can
//! only be late, never early, so every replica's rights stay ≥ 0 and so does the value.
//!
//! Each entry is a grow-only total. An [`EscrowMove`] carries the making actor's running total
//! of the entry it changes, so applying it is a `MAX()` merge (like the stock PN-counter's
//! `StockMove`): duplicates and reordering change nothing.
//!
//! Around the counter:
//! - [`LimitDef`] (hub, scope `catalog`, last writer by HLC wins per key): what is limited,
//!   how many, the drop's window, how long a cashier may hold units, coupon terms.
//! - [`RightsRequest`] (till → hub, scope of its store): "I am running low, send me N".
//! - [`RightsRecall`] (hub → one till, scope of its store): "give back N unused rights"; the
//!   till answers with a transfer to the hub whose `reference` is the recall id, once.
//! - [`LimitHold`] (till, scope of its store, max-register per hold id over [`HoldStatus`]):
//!   units a cashier keeps for a customer; they only reduce what *that* till may sell, and
//!   expire by that till's clock, so a hold is correct offline.
//! - [`CouponRedemption`] (till, scope `broadcast`, grow-only by id): one member used one
//!   coupon of a campaign on one sale.
//!
//! Every [`EscrowMove`] travels in scope `broadcast`, so every till knows how many units are
//! left elsewhere ("N left in other stores").
//!
//! [`EscrowState`] is the pure model of all of this (what a replica knows after applying a set
//! of ops; folded into [`crate::state::ReplicaState`]); the free functions ([`rights_of`],
//! [`next_total`], [`low_water`], [`request_qty`], [`hold_active`], [`coupon_discount`]) are
//! the arithmetic the till and the hub share, so both sides count the same way.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::ids::{ActorId, Sku, StoreId};
use crate::op::{Money, Op, OpBody};

/// The largest quantity in one escrow move, request, recall or hold.
pub const MAX_ESCROW_QTY: u64 = 1_000_000;

/// What a bounded counter counts: units of one limited SKU, or redemptions of one coupon
/// campaign. Written as `sku:<SKU>` or `coupon:<campaign uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LimitKey {
    /// A limited-edition product variant.
    Sku(Sku),
    /// A first-come coupon campaign.
    Coupon(Uuid),
}

impl fmt::Display for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitKey::Sku(s) => write!(f, "sku:{s}"),
            LimitKey::Coupon(c) => write!(f, "coupon:{c}"),
        }
    }
}

/// A limit key that is neither `sku:<SKU>` nor `coupon:<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid limit key {0:?}: expected sku:<SKU> or coupon:<uuid>")]
pub struct LimitKeyError(pub String);

impl FromStr for LimitKey {
    type Err = LimitKeyError;
    fn from_str(s: &str) -> Result<Self, LimitKeyError> {
        let bad = || LimitKeyError(s.to_owned());
        if let Some(sku) = s.strip_prefix("sku:") {
            return sku.parse().map(LimitKey::Sku).map_err(|_| bad());
        }
        if let Some(id) = s.strip_prefix("coupon:") {
            return Uuid::parse_str(id).map(LimitKey::Coupon).map_err(|_| bad());
        }
        Err(bad())
    }
}

impl TryFrom<String> for LimitKey {
    type Error = LimitKeyError;
    fn try_from(s: String) -> Result<Self, LimitKeyError> {
        s.parse()
    }
}

impl From<LimitKey> for String {
    fn from(k: LimitKey) -> String {
        k.to_string()
    }
}

/// Which entry of the making actor an [`EscrowMove`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "to")]
pub enum EscrowKind {
    /// New units in the actor's own entry (`minted[actor]`).
    Mint,
    /// Rights handed to another replica (`given[actor → to]`).
    Transfer(ActorId),
    /// Units sold or redeemed against the actor's own rights (`used[actor]`).
    Use,
}

/// One change of one actor's entry of a bounded counter (`OpBody::EscrowMove`, scope
/// `broadcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowMove {
    /// Which counter.
    pub key: LimitKey,
    /// Which entry of the op's actor.
    pub kind: EscrowKind,
    /// How much this move adds to that entry (1 ..= [`MAX_ESCROW_QTY`]).
    pub qty: u64,
    /// Why: the sale, return, request or recall id it belongs to.
    pub reference: Option<String>,
    /// The actor's running total of that entry after this move (includes `qty`).
    pub total: u64,
}

/// How HQ splits a drop's units across stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    /// The same number per store (the remainder to the first stores by code).
    Equal,
    /// In proportion to each store's past sales.
    WeightedBySales,
    /// As HQ typed them per store.
    Manual,
}

/// The discount a coupon gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponDiscount {
    /// Percent off the sale (1 ..= 100).
    Percent(u8),
    /// A fixed amount off the sale, in minor units.
    Amount(Money),
}

/// What a coupon campaign gives and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTerms {
    /// What the cashier types or scans (upper-case letters, digits and `-`).
    pub code: String,
    /// How much off.
    pub discount: CouponDiscount,
    /// The smallest sale total it applies to (minor units; 0 = any).
    pub min_spend: Money,
}

/// HQ's definition of a limited item or coupon campaign (`OpBody::LimitDef`, hub only,
/// scope `catalog`, last writer by HLC wins per key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDef {
    /// Which counter.
    pub key: LimitKey,
    /// Name shown on the till and in the console ("Collab jacket drop").
    pub label: String,
    /// Units HQ made available in all (what the hub minted).
    pub total: u64,
    /// How the hub split them across stores.
    pub rule: AllocationRule,
    /// Longest a cashier may hold units for a customer, in minutes; 0 = no holds.
    pub hold_minutes: u32,
    /// First moment units may be sold or redeemed (ms since epoch), if any.
    pub starts_at_ms: Option<u64>,
    /// Moment sales stop (exclusive), if any.
    pub ends_at_ms: Option<u64>,
    /// Set for a coupon campaign (`LimitKey::Coupon`).
    pub coupon: Option<CouponTerms>,
    /// False once HQ ended or cancelled it: tills stop selling against their rights.
    pub active: bool,
}

/// A till asks the hub for more rights (`OpBody::RightsRequest`, scope of its store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequest {
    /// Request id (UUIDv7, made by the till); the hub's answering transfer references it.
    pub id: Uuid,
    /// Which counter.
    pub key: LimitKey,
    /// The asking till (= the op's actor).
    pub till: ActorId,
    /// Its store.
    pub store: StoreId,
    /// How many it would like.
    pub qty: u64,
}

/// Why the hub asks a till for rights back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecallReason {
    /// Another till or store needs them.
    Rebalance,
    /// HQ pulls rights back (before a drop ends, or to re-allocate).
    PullBack,
}

/// The hub asks one till to give unused rights back (`OpBody::RightsRecall`, hub only,
/// scope of that till's store). The till answers once, with a transfer to the hub whose
/// `reference` is this id, of `min(qty, what it can spare)`; rights held for customers stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRecall {
    /// Recall id (UUIDv7, made by the hub).
    pub id: Uuid,
    /// Which counter.
    pub key: LimitKey,
    /// The till asked.
    pub till: ActorId,
    /// How many; `None` = every unused right.
    pub qty: Option<u64>,
    /// Why.
    pub reason: RecallReason,
}

/// Where a hold stands; a max-register over `Held < Released < Sold` per hold id. Expiry is not
/// a status: a `Held` hold whose `expires_at_ms` has passed on its till's clock is over.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Kept for the customer until `expires_at_ms`.
    Held,
    /// Given back by the cashier before it expired.
    Released,
    /// The customer bought the held units.
    Sold,
}

/// Units a cashier keeps for a customer (`OpBody::LimitHold`, till only, scope of its store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitHold {
    /// Hold id (UUIDv7, made by the till).
    pub id: Uuid,
    /// Which counter.
    pub key: LimitKey,
    /// The till holding them (= the op's actor); only its own rights are held.
    pub till: ActorId,
    /// Its store.
    pub store: StoreId,
    /// How many units.
    pub qty: u64,
    /// When it was placed (till clock, ms since epoch).
    pub placed_at_ms: u64,
    /// When it lapses by itself (till clock).
    pub expires_at_ms: u64,
    /// For whom ("Ms Kim, 010-…"), free text.
    pub note: String,
    /// Where it stands.
    pub status: HoldStatus,
    /// The sale that bought the held units, once `Sold`.
    pub sale: Option<Uuid>,
}

/// One member used one coupon of a campaign on one sale (`OpBody::CouponRedemption`, till
/// only, scope `broadcast`, grow-only by id). The same sale's `EscrowMove { Use }` on
/// `LimitKey::Coupon(campaign)` spends the right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRedemption {
    /// Redemption id (UUIDv7, made by the till).
    pub id: Uuid,
    /// Which campaign.
    pub campaign: Uuid,
    /// The member who used it.
    pub member: Uuid,
    /// The sale it was used on.
    pub sale: Uuid,
    /// The till (= the op's actor).
    pub till: ActorId,
    /// Its store.
    pub store: StoreId,
    /// Money off the sale, minor units.
    pub discount: Money,
    /// When (till clock, ms since epoch).
    pub at_ms: u64,
}

/// Longest a cashier may hold units, in minutes (7 days).
pub const MAX_HOLD_MINUTES: u32 = 7 * 24 * 60;

/// Longest coupon code, in bytes.
pub const MAX_COUPON_CODE: usize = 32;

/// `rights = minted + received − given − used` of one actor, from its entries' totals
/// (`received` = Σ transfers to it, `given` = Σ transfers it made). Negative only if some
/// writer spent rights it did not hold — which a checked writer never does.
pub fn rights_of(minted: u64, received: u64, given: u64, used: u64) -> i64 {
    let r = i128::from(minted) + i128::from(received) - i128::from(given) - i128::from(used);
    r.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The running total an actor writes in its next [`EscrowMove`] on an entry whose stored
/// total is `stored`: `stored + qty`; `None` if that overflows.
pub fn next_total(stored: u64, qty: u64) -> Option<u64> {
    stored.checked_add(qty)
}

/// Does `m` continue an entry whose stored total was `stored` (`total = stored + qty`)?
pub fn continues_total(m: &EscrowMove, stored: u64) -> bool {
    next_total(stored, m.qty) == Some(m.total)
}

/// A till asks for more rights when its available units fall to this many or fewer:
/// `max(1, ceil(received / 10))`, where `received` = its own mints + Σ transfers to it.
pub fn low_water(received: u64) -> u64 {
    received.div_ceil(10).max(1)
}

/// How many units a till asks for in an automatic [`RightsRequest`]:
/// `max(1, ceil(received / 4))`.
pub fn request_qty(received: u64) -> u64 {
    received.div_ceil(4).max(1)
}

/// Whether a hold still keeps units at `now_ms` (by its till's clock): `Held` and not yet
/// expired (`expires_at_ms > now_ms`).
pub fn hold_active(hold: &LimitHold, now_ms: u64) -> bool {
    hold.status == HoldStatus::Held && hold.expires_at_ms > now_ms
}

/// Money off a sale of `total` (minor units) under a coupon's terms, or `None` when the sale
/// is below the campaign's minimum spend. A percentage is rounded down to whole minor units;
/// the discount never exceeds the total and is never negative.
pub fn coupon_discount(terms: &CouponTerms, total: Money) -> Option<Money> {
    if total < terms.min_spend {
        return None;
    }
    let total = total.max(0);
    let off = match terms.discount {
        CouponDiscount::Percent(p) => {
            let off = i128::from(total) * i128::from(p.min(100)) / 100;
            i64::try_from(off).unwrap_or(total)
        }
        CouponDiscount::Amount(a) => a.max(0),
    };
    Some(off.min(total))
}

/// One actor's entries of one bounded counter, as tills and the hub store and exchange them
/// (in snapshots): one grow-only total (`given` is one entry per receiver).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EscrowEntry {
    /// Which counter.
    pub key: LimitKey,
    /// Whose entries.
    pub actor: ActorId,
    /// Which entry.
    pub kind: EscrowKind,
    /// Its running total.
    pub total: u64,
}

/// The entries of one bounded counter (one [`LimitKey`]): every actor's grow-only totals,
/// merged by `MAX()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscrowCounter {
    minted: BTreeMap<ActorId, u64>,
    given: BTreeMap<(ActorId, ActorId), u64>,
    used: BTreeMap<ActorId, u64>,
}

fn max_into<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, total: u64) {
    let e = map.entry(key).or_insert(0);
    *e = (*e).max(total);
}

impl EscrowCounter {
    /// Fold one entry total in (`MAX()` merge).
    pub fn apply(&mut self, actor: ActorId, kind: EscrowKind, total: u64) {
        match kind {
            EscrowKind::Mint => max_into(&mut self.minted, actor, total),
            EscrowKind::Transfer(to) => max_into(&mut self.given, (actor, to), total),
            EscrowKind::Use => max_into(&mut self.used, actor, total),
        }
    }

    /// Merge another replica's entries of the same counter in.
    pub fn merge(&mut self, other: &EscrowCounter) {
        for (a, t) in &other.minted {
            max_into(&mut self.minted, *a, *t);
        }
        for (ab, t) in &other.given {
            max_into(&mut self.given, *ab, *t);
        }
        for (a, t) in &other.used {
            max_into(&mut self.used, *a, *t);
        }
    }

    /// The stored total of one entry of `actor` (0 when never written): what its next move
    /// continues (see [`next_total`]).
    pub fn entry(&self, actor: ActorId, kind: EscrowKind) -> u64 {
        match kind {
            EscrowKind::Mint => self.minted.get(&actor),
            EscrowKind::Transfer(to) => self.given.get(&(actor, to)),
            EscrowKind::Use => self.used.get(&actor),
        }
        .copied()
        .unwrap_or(0)
    }

    /// `minted[actor]`.
    pub fn minted(&self, actor: ActorId) -> u64 {
        self.entry(actor, EscrowKind::Mint)
    }

    /// `used[actor]`.
    pub fn used(&self, actor: ActorId) -> u64 {
        self.entry(actor, EscrowKind::Use)
    }

    /// `Σ given[* → actor]`: rights transferred to `actor`.
    pub fn received(&self, actor: ActorId) -> u64 {
        self.given
            .iter()
            .filter(|((_, to), _)| *to == actor)
            .fold(0u64, |s, (_, t)| s.saturating_add(*t))
    }

    /// `Σ given[actor → *]`: rights `actor` transferred away.
    pub fn given_away(&self, actor: ActorId) -> u64 {
        self.given
            .iter()
            .filter(|((from, _), _)| *from == actor)
            .fold(0u64, |s, (_, t)| s.saturating_add(*t))
    }

    /// `rights(actor) = minted + Σ received − Σ given − used` (see [`rights_of`]).
    pub fn rights(&self, actor: ActorId) -> i64 {
        rights_of(
            self.minted(actor),
            self.received(actor),
            self.given_away(actor),
            self.used(actor),
        )
    }

    /// `Σ minted`: every unit ever created.
    pub fn minted_total(&self) -> u64 {
        self.minted.values().fold(0u64, |s, t| s.saturating_add(*t))
    }

    /// `Σ used`: every unit sold or redeemed.
    pub fn used_total(&self) -> u64 {
        self.used.values().fold(0u64, |s, t| s.saturating_add(*t))
    }

    /// `value = Σ minted − Σ used`: units left in the whole chain.
    pub fn value(&self) -> i64 {
        rights_of(self.minted_total(), 0, 0, self.used_total())
    }

    /// Every actor with an entry in this counter.
    pub fn actors(&self) -> BTreeSet<ActorId> {
        self.minted
            .keys()
            .chain(self.used.keys())
            .copied()
            .chain(self.given.keys().flat_map(|(a, b)| [*a, *b]))
            .collect()
    }

    /// Every entry as rows (for snapshots and comparisons), in a fixed order.
    pub fn entries<'a>(&'a self, key: &'a LimitKey) -> impl Iterator<Item = EscrowEntry> + 'a {
        let minted = self.minted.iter().map(|(a, t)| (*a, EscrowKind::Mint, *t));
        let given = self
            .given
            .iter()
            .map(|((a, b), t)| (*a, EscrowKind::Transfer(*b), *t));
        let used = self.used.iter().map(|(a, t)| (*a, EscrowKind::Use, *t));
        minted
            .chain(given)
            .chain(used)
            .map(move |(actor, kind, total)| EscrowEntry {
                key: key.clone(),
                actor,
                kind,
                total,
            })
    }
}

/// The order of two versions of one hold: status rank first (`Held < Released < Sold`), then
/// the remaining fields, so that even two conflicting writes of one id merge the same way
/// everywhere.
fn hold_order(a: &LimitHold, b: &LimitHold) -> Ordering {
    a.status
        .cmp(&b.status)
        .then_with(|| a.sale.cmp(&b.sale))
        .then_with(|| a.expires_at_ms.cmp(&b.expires_at_ms))
        .then_with(|| a.placed_at_ms.cmp(&b.placed_at_ms))
        .then_with(|| a.qty.cmp(&b.qty))
        .then_with(|| a.key.cmp(&b.key))
        .then_with(|| a.till.cmp(&b.till))
        .then_with(|| a.store.cmp(&b.store))
        .then_with(|| a.note.cmp(&b.note))
}

/// Insert `rec` under `id` into a map of records keyed by id. Ids are UUIDv7 made by one
/// writer, so two different records rarely share one (a hold's versions do); whichever
/// `keep_new(old, new)` prefers wins, and since that is a total order the merge stays
/// commutative even for a forged duplicate id.
fn grow_insert<T: Clone>(
    map: &mut BTreeMap<Uuid, T>,
    id: Uuid,
    rec: &T,
    keep_new: impl Fn(&T, &T) -> bool,
) {
    match map.get_mut(&id) {
        None => {
            map.insert(id, rec.clone());
        }
        Some(old) => {
            if keep_new(old, rec) {
                *old = rec.clone();
            }
        }
    }
}

/// Everything a replica knows about limited items and coupons: the bounded counters, the
/// definitions (last writer by HLC wins), holds (max-register per id), requests, recalls and
/// redemptions (grow-only by id). The pure model the till's and the hub's SQL stores follow;
/// applying and merging are commutative, associative and idempotent
/// (`tests/escrow_laws.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscrowState {
    counters: BTreeMap<LimitKey, EscrowCounter>,
    defs: BTreeMap<LimitKey, (Hlc, LimitDef)>,
    holds: BTreeMap<Uuid, LimitHold>,
    requests: BTreeMap<Uuid, RightsRequest>,
    recalls: BTreeMap<Uuid, RightsRecall>,
    redemptions: BTreeMap<Uuid, CouponRedemption>,
}

impl EscrowState {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold one op in; ops that are not about limited items are ignored. Applying the same op
    /// twice changes nothing.
    pub fn apply(&mut self, op: &Op) {
        match &op.body {
            OpBody::EscrowMove(m) => self.apply_move(op.actor, m),
            OpBody::LimitDef(d) => self.apply_def(d, op.hlc),
            OpBody::RightsRequest(r) => {
                grow_insert(&mut self.requests, r.id, r, |old, new| {
                    (&new.key, new.till, &new.store, new.qty)
                        < (&old.key, old.till, &old.store, old.qty)
                });
            }
            OpBody::RightsRecall(r) => {
                grow_insert(&mut self.recalls, r.id, r, |old, new| {
                    (&new.key, new.till, new.qty, reason_rank(new.reason))
                        < (&old.key, old.till, old.qty, reason_rank(old.reason))
                });
            }
            OpBody::LimitHold(h) => self.apply_hold(h),
            OpBody::CouponRedemption(r) => {
                grow_insert(&mut self.redemptions, r.id, r, |old, new| {
                    redemption_tuple(new) < redemption_tuple(old)
                });
            }
            _ => {}
        }
    }

    /// Fold one move of `actor` in (`MAX()` of the entry's total).
    pub fn apply_move(&mut self, actor: ActorId, m: &EscrowMove) {
        self.counters
            .entry(m.key.clone())
            .or_default()
            .apply(actor, m.kind, m.total);
    }

    /// Fold one stored entry in (as from a snapshot).
    pub fn apply_entry(&mut self, e: &EscrowEntry) {
        self.counters
            .entry(e.key.clone())
            .or_default()
            .apply(e.actor, e.kind, e.total);
    }

    /// Fold a definition written at `hlc` in: the later HLC wins.
    pub fn apply_def(&mut self, def: &LimitDef, hlc: Hlc) {
        match self.defs.get_mut(&def.key) {
            Some((at, old)) if *at < hlc => {
                *at = hlc;
                *old = def.clone();
            }
            Some(_) => {}
            None => {
                self.defs.insert(def.key.clone(), (hlc, def.clone()));
            }
        }
    }

    /// Fold one version of a hold in: the higher status wins (see [`HoldStatus`]).
    pub fn apply_hold(&mut self, h: &LimitHold) {
        grow_insert(&mut self.holds, h.id, h, |old, new| {
            hold_order(new, old) == Ordering::Greater
        });
    }

    /// Merge another replica's whole state in.
    pub fn merge(&mut self, other: &EscrowState) {
        for (key, c) in &other.counters {
            self.counters.entry(key.clone()).or_default().merge(c);
        }
        for (hlc, def) in other.defs.values() {
            self.apply_def(def, *hlc);
        }
        for h in other.holds.values() {
            self.apply_hold(h);
        }
        for r in other.requests.values() {
            self.apply(&pseudo(OpBody::RightsRequest(r.clone())));
        }
        for r in other.recalls.values() {
            self.apply(&pseudo(OpBody::RightsRecall(r.clone())));
        }
        for r in other.redemptions.values() {
            self.apply(&pseudo(OpBody::CouponRedemption(r.clone())));
        }
    }

    /// The counter of `key`, if anything was seen about it.
    pub fn counter(&self, key: &LimitKey) -> Option<&EscrowCounter> {
        self.counters.get(key)
    }

    /// Every counter seen.
    pub fn counters(&self) -> impl Iterator<Item = (&LimitKey, &EscrowCounter)> {
        self.counters.iter()
    }

    /// `rights(actor)` on `key` (0 for an unknown counter).
    pub fn rights(&self, key: &LimitKey, actor: ActorId) -> i64 {
        self.counter(key).map_or(0, |c| c.rights(actor))
    }

    /// `value` of `key`: units left in the whole chain as this replica knows.
    pub fn value(&self, key: &LimitKey) -> i64 {
        self.counter(key).map_or(0, EscrowCounter::value)
    }

    /// `Σ used` on `key`.
    pub fn used_total(&self, key: &LimitKey) -> u64 {
        self.counter(key).map_or(0, EscrowCounter::used_total)
    }

    /// Units of `actor`'s own active holds on `key` at `now_ms` (see [`hold_active`]).
    pub fn held(&self, key: &LimitKey, actor: ActorId, now_ms: u64) -> u64 {
        self.holds
            .values()
            .filter(|h| &h.key == key && h.till == actor && hold_active(h, now_ms))
            .fold(0u64, |s, h| s.saturating_add(h.qty))
    }

    /// What `actor` may still sell, hold or give back on `key` at `now_ms`:
    /// `rights − Σ its active holds`, never below 0.
    pub fn available(&self, key: &LimitKey, actor: ActorId, now_ms: u64) -> u64 {
        let held = i128::from(self.held(key, actor, now_ms));
        let free = i128::from(self.rights(key, actor)) - held;
        u64::try_from(free.max(0)).unwrap_or(u64::MAX)
    }

    /// Units left outside a group of replicas (`value − Σ rights(a)` for `a` in `mine`, never
    /// below 0): "N left in other stores" when `mine` are the tills of one's store.
    pub fn left_elsewhere(&self, key: &LimitKey, mine: &[ActorId]) -> u64 {
        let Some(c) = self.counter(key) else {
            return 0;
        };
        let own: i128 = mine
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|a| i128::from(c.rights(*a)))
            .sum();
        u64::try_from((i128::from(c.value()) - own).max(0)).unwrap_or(u64::MAX)
    }

    /// The current definition of `key`.
    pub fn def(&self, key: &LimitKey) -> Option<&LimitDef> {
        self.defs.get(key).map(|(_, d)| d)
    }

    /// Every definition, in key order.
    pub fn defs(&self) -> impl Iterator<Item = &LimitDef> {
        self.defs.values().map(|(_, d)| d)
    }

    /// One hold in its latest status.
    pub fn hold(&self, id: &Uuid) -> Option<&LimitHold> {
        self.holds.get(id)
    }

    /// Every hold seen.
    pub fn holds(&self) -> impl Iterator<Item = &LimitHold> {
        self.holds.values()
    }

    /// Every rights request seen.
    pub fn requests(&self) -> impl Iterator<Item = &RightsRequest> {
        self.requests.values()
    }

    /// Every recall seen.
    pub fn recalls(&self) -> impl Iterator<Item = &RightsRecall> {
        self.recalls.values()
    }

    /// Every coupon redemption seen.
    pub fn redemptions(&self) -> impl Iterator<Item = &CouponRedemption> {
        self.redemptions.values()
    }

    /// How many times `member` redeemed a coupon of `campaign`, as far as this replica knows.
    pub fn redemptions_of(&self, campaign: Uuid, member: Uuid) -> usize {
        self.redemptions
            .values()
            .filter(|r| r.campaign == campaign && r.member == member)
            .count()
    }
}

fn reason_rank(r: RecallReason) -> u8 {
    match r {
        RecallReason::Rebalance => 0,
        RecallReason::PullBack => 1,
    }
}

type RedemptionTuple<'a> = (Uuid, Uuid, Uuid, ActorId, &'a StoreId, Money, u64);

fn redemption_tuple(r: &CouponRedemption) -> RedemptionTuple<'_> {
    (
        r.campaign, r.member, r.sale, r.till, &r.store, r.discount, r.at_ms,
    )
}

/// An op envelope around a record, for folding records of a merged state through
/// [`EscrowState::apply`] (grow-only records do not look at the envelope).
fn pseudo(body: OpBody) -> Op {
    let actor = ActorId(Uuid::nil());
    Op {
        actor,
        seq: 0,
        hlc: Hlc {
            wall_ms: 0,
            counter: 0,
            actor,
        },
        scope: crate::op::Scope::Broadcast,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_keys_round_trip_and_refuse_garbage() {
        let sku: LimitKey = "sku:TS-001-BK-M".parse().expect("sku key");
        assert_eq!(sku.to_string(), "sku:TS-001-BK-M");
        let id = Uuid::from_u128(7);
        let coupon: LimitKey = format!("coupon:{id}").parse().expect("coupon key");
        assert_eq!(coupon, LimitKey::Coupon(id));
        for bad in ["", "sku:", "coupon:nope", "jacket", "SKU:TS-001"] {
            assert!(bad.parse::<LimitKey>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn rights_arithmetic_and_running_totals() {
        assert_eq!(rights_of(10, 5, 3, 4), 8);
        assert_eq!(rights_of(0, 2, 3, 0), -1, "an overspend shows as negative");
        assert_eq!(
            rights_of(u64::MAX, u64::MAX, 0, 0),
            i64::MAX,
            "clamped, no overflow"
        );
        assert_eq!(next_total(7, 3), Some(10));
        assert_eq!(next_total(u64::MAX, 1), None);
        let m = EscrowMove {
            key: "sku:TS-001-BK-M".parse().expect("key"),
            kind: EscrowKind::Use,
            qty: 3,
            reference: None,
            total: 10,
        };
        assert!(continues_total(&m, 7));
        assert!(!continues_total(&m, 6));
        assert!(!continues_total(&m, 10));
    }

    #[test]
    fn low_water_and_request_size_follow_what_a_till_received() {
        assert_eq!(low_water(0), 1);
        assert_eq!(low_water(9), 1);
        assert_eq!(low_water(10), 1);
        assert_eq!(low_water(11), 2);
        assert_eq!(low_water(100), 10);
        assert_eq!(request_qty(0), 1);
        assert_eq!(request_qty(4), 1);
        assert_eq!(request_qty(5), 2);
        assert_eq!(request_qty(10), 3);
        assert_eq!(request_qty(100), 25);
    }

    fn hold(status: HoldStatus, expires_at_ms: u64) -> LimitHold {
        LimitHold {
            id: Uuid::from_u128(1),
            key: "sku:TS-001-BK-M".parse().expect("key"),
            till: ActorId(Uuid::from_u128(2)),
            store: "GN01".parse().expect("store"),
            qty: 2,
            placed_at_ms: 1_000,
            expires_at_ms,
            note: String::new(),
            status,
            sale: None,
        }
    }

    #[test]
    fn a_hold_is_active_only_while_held_and_not_expired() {
        assert!(hold_active(&hold(HoldStatus::Held, 2_000), 1_999));
        assert!(!hold_active(&hold(HoldStatus::Held, 2_000), 2_000));
        assert!(!hold_active(&hold(HoldStatus::Released, 2_000), 1_500));
        assert!(!hold_active(&hold(HoldStatus::Sold, 2_000), 1_500));
    }

    #[test]
    fn coupon_discounts_respect_min_spend_and_never_exceed_the_total() {
        let terms = |discount, min_spend| CouponTerms {
            code: "WELCOME-10".into(),
            discount,
            min_spend,
        };
        let pct = terms(CouponDiscount::Percent(10), 50_000);
        assert_eq!(coupon_discount(&pct, 49_999), None);
        assert_eq!(coupon_discount(&pct, 50_000), Some(5_000));
        assert_eq!(coupon_discount(&pct, 50_009), Some(5_000), "rounded down");
        let all = terms(CouponDiscount::Percent(100), 0);
        assert_eq!(coupon_discount(&all, 12_345), Some(12_345));
        let amount = terms(CouponDiscount::Amount(10_000), 0);
        assert_eq!(coupon_discount(&amount, 30_000), Some(10_000));
        assert_eq!(
            coupon_discount(&amount, 7_000),
            Some(7_000),
            "capped at the total"
        );
    }

    #[test]
    fn the_counter_merges_by_max_and_counts_rights_and_value() {
        let key: LimitKey = "sku:TS-001-BK-M".parse().expect("key");
        let hub = ActorId(Uuid::from_u128(1));
        let till = ActorId(Uuid::from_u128(2));
        let mv = |kind, qty, total| EscrowMove {
            key: key.clone(),
            kind,
            qty,
            reference: None,
            total,
        };
        let mut s = EscrowState::new();
        s.apply_move(hub, &mv(EscrowKind::Mint, 100, 100));
        s.apply_move(hub, &mv(EscrowKind::Transfer(till), 10, 10));
        s.apply_move(hub, &mv(EscrowKind::Transfer(till), 5, 15));
        s.apply_move(hub, &mv(EscrowKind::Transfer(till), 10, 10)); // late duplicate
        s.apply_move(till, &mv(EscrowKind::Use, 4, 4));
        s.apply_move(till, &mv(EscrowKind::Transfer(hub), 1, 1));
        assert_eq!(s.rights(&key, hub), 100 - 15 + 1);
        assert_eq!(s.rights(&key, till), 15 - 4 - 1);
        assert_eq!(s.value(&key), 96);
        assert_eq!(s.used_total(&key), 4);
        assert_eq!(s.left_elsewhere(&key, &[till, till]), 86);
        let mut h = hold(HoldStatus::Held, 5_000);
        h.key = key.clone();
        h.till = till;
        s.apply_hold(&h);
        assert_eq!(s.available(&key, till, 4_999), 8);
        assert_eq!(s.available(&key, till, 5_000), 10, "expired by the clock");
        h.status = HoldStatus::Sold;
        h.sale = Some(Uuid::from_u128(9));
        s.apply_hold(&h);
        let mut back = h.clone();
        back.status = HoldStatus::Held;
        back.sale = None;
        s.apply_hold(&back);
        assert_eq!(s.hold(&h.id).map(|x| x.status), Some(HoldStatus::Sold));
        assert_eq!(s.available(&key, till, 1_000), 10);
    }
}
