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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{ActorId, Sku, StoreId};
use crate::op::Money;

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
}
