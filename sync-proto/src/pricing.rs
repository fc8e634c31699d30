//! Scheduled prices and time-limited deals.
//!
//! A [`PriceRule`] (`OpBody::PriceRule`, scope `catalog`, written only by the hub) says "SKU X
//! costs P from `valid_from_ms` until `valid_to_ms`". Rules are synced to every till ahead of
//! time and chosen at the moment of sale by the till's own clock, so a deal starts and ends on
//! time in a store that is offline. Each rule id is one last-writer-wins register (HLC order);
//! HQ cancels a rule by writing it again with `cancelled = true`.
//!
//! Which price applies ([`effective_price`]): among the rules for the SKU that are not cancelled
//! and whose window contains the time of sale, the one that started last wins (a deal inside a
//! season price overrides it); on a tie, the lower price. With no such rule, the catalog price.
//!
//! **Clock guard.** A deal chosen by the till's clock is only as right as that clock. So the
//! till picks deals by its *deal time* ([`deal_time`]: the later of its wall clock and the wall
//! part of its persisted HLC, so a clock set back after a deal ended does not reopen it), and
//! it remembers how far its clock was from the hub's at the last connection
//! ([`clock_offset_ms`], from `Welcome.hub_time_ms`). When that offset is larger than
//! [`CLOCK_GUARD_MS`] either way, time-deal rules are paused ([`deals_paused`]): the till sells
//! at the catalog price and says so, until a connection shows its clock is right again.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::Sku;
use crate::op::Money;

/// How far a till's clock may be from the hub's (either way) before time deals are paused
/// (5 minutes, the same bound [`crate::hlc::MAX_FORWARD_DRIFT_MS`] puts on remote clocks).
pub const CLOCK_GUARD_MS: u64 = 5 * 60 * 1000;

/// How far the till's clock is ahead of the hub's (negative = behind), from the hub's clock in
/// its `Welcome` and the till's clock when it arrived.
pub fn clock_offset_ms(till_ms: u64, hub_ms: u64) -> i64 {
    let d = i128::from(till_ms) - i128::from(hub_ms);
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Whether time deals are paused for a till whose clock is `offset_ms` off the hub's: more
/// than [`CLOCK_GUARD_MS`] either way. An unknown offset (never told by a hub) pauses nothing.
pub fn deals_paused(offset_ms: Option<i64>) -> bool {
    offset_ms.is_some_and(|o| o.unsigned_abs() > CLOCK_GUARD_MS)
}

/// The moment a till picks deals by: the later of its wall clock and the wall part of its
/// last hybrid logical timestamp (which never goes back), so setting the clock back does not
/// reopen a deal that has ended.
pub fn deal_time(wall_ms: u64, hlc_wall_ms: u64) -> u64 {
    wall_ms.max(hlc_wall_ms)
}

/// A scheduled price for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRule {
    /// Rule id (UUIDv7, made by the hub).
    pub id: Uuid,
    /// Which product variant.
    pub sku: Sku,
    /// Price in minor units while the rule applies.
    pub price: Money,
    /// First moment the rule applies (ms since epoch, inclusive).
    pub valid_from_ms: u64,
    /// Moment it stops applying (exclusive); `None` = until replaced.
    pub valid_to_ms: Option<u64>,
    /// Name shown on the till and the receipt ("Winter sale").
    pub label: String,
    /// A cancelled rule never applies.
    pub cancelled: bool,
}

impl PriceRule {
    /// Whether the rule applies at `at_ms`.
    pub fn applies_at(&self, at_ms: u64) -> bool {
        !self.cancelled
            && self.valid_from_ms <= at_ms
            && self.valid_to_ms.is_none_or(|to| at_ms < to)
    }
}

/// The rule that sets the price at `at_ms`, if any (see the module doc).
pub fn effective_rule<'a>(
    rules: impl IntoIterator<Item = &'a PriceRule>,
    at_ms: u64,
) -> Option<&'a PriceRule> {
    rules
        .into_iter()
        .filter(|r| r.applies_at(at_ms))
        .max_by(|a, b| {
            a.valid_from_ms
                .cmp(&b.valid_from_ms)
                .then(b.price.cmp(&a.price))
                .then(a.id.cmp(&b.id))
        })
}

/// The price of a SKU at `at_ms`: the effective rule's, else `catalog_price`.
pub fn effective_price<'a>(
    catalog_price: Money,
    rules: impl IntoIterator<Item = &'a PriceRule>,
    at_ms: u64,
) -> Money {
    effective_rule(rules, at_ms).map_or(catalog_price, |r| r.price)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(n: u128, price: Money, from: u64, to: Option<u64>) -> PriceRule {
        PriceRule {
            id: Uuid::from_u128(n),
            sku: "TS-001-BK-M".parse().expect("sku"),
            price,
            valid_from_ms: from,
            valid_to_ms: to,
            label: format!("rule {n}"),
            cancelled: false,
        }
    }

    #[test]
    fn a_deal_applies_only_inside_its_window() {
        let deal = rule(1, 29_000, 1_000, Some(2_000));
        assert_eq!(effective_price(39_000, [&deal], 999), 39_000);
        assert_eq!(effective_price(39_000, [&deal], 1_000), 29_000);
        assert_eq!(effective_price(39_000, [&deal], 1_999), 29_000);
        assert_eq!(effective_price(39_000, [&deal], 2_000), 39_000);
    }

    #[test]
    fn the_latest_started_rule_wins_and_ties_go_to_the_lower_price() {
        let season = rule(1, 35_000, 0, None);
        let deal = rule(2, 25_000, 500, Some(900));
        let rival = rule(3, 24_000, 500, Some(900));
        assert_eq!(effective_price(39_000, [&season, &deal], 600), 25_000);
        assert_eq!(effective_price(39_000, [&season, &deal], 950), 35_000);
        assert_eq!(
            effective_price(39_000, [&season, &deal, &rival], 600),
            24_000
        );
    }

    #[test]
    fn deals_pause_only_beyond_the_guard_either_way() {
        assert!(!deals_paused(None));
        assert!(!deals_paused(Some(0)));
        assert!(!deals_paused(Some(CLOCK_GUARD_MS as i64)));
        assert!(!deals_paused(Some(-(CLOCK_GUARD_MS as i64))));
        assert!(deals_paused(Some(CLOCK_GUARD_MS as i64 + 1)));
        assert!(deals_paused(Some(-(CLOCK_GUARD_MS as i64) - 1)));
        assert!(deals_paused(Some(i64::MIN)));
        assert_eq!(clock_offset_ms(10_000, 4_000), 6_000);
        assert_eq!(clock_offset_ms(4_000, 10_000), -6_000);
        assert_eq!(deal_time(5_000, 9_000), 9_000, "a clock set back");
        assert_eq!(deal_time(9_000, 5_000), 9_000);
    }

    #[test]
    fn a_cancelled_rule_never_applies() {
        let mut deal = rule(1, 29_000, 0, None);
        deal.cancelled = true;
        assert_eq!(effective_price(39_000, [&deal], 10), 39_000);
    }
}
