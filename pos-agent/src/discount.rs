//! Discounts: a line discount per scanned item and a cart discount over the
//! whole sale, turned into the `discount` of each [`SaleLine`] (pure, no IO).
//!
//! - A [`Discount`] is an amount off (minor units) or a percentage (1..=100).
//!   A percentage is rounded half up to whole minor units.
//! - A line discount applies to its item's gross (`qty × unit_price`); the
//!   same SKU scanned twice is one line whose discount is the sum.
//! - The cart discount is computed on the sale's net (gross − line discounts)
//!   and spread over the lines in proportion to each line's net, with the
//!   largest-remainder method, so the shares add up to the cart discount
//!   exactly and no line's share exceeds its net. Every line therefore keeps
//!   `line_total = qty × unit_price − discount ≥ 0`, as
//!   `sync_proto::validate::check_sale` requires: the synced record carries
//!   only per-line discounts, never a separate cart amount.
//! - A discount larger than what it applies to is refused
//!   ([`TillError::InvalidInput`]), never silently capped.

use serde::{Deserialize, Serialize};
use sync_proto::op::{Money, SaleLine};
use sync_proto::validate::MAX_AMOUNT;

use crate::error::{Result, TillError};

/// A discount the cashier gives: an amount off or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Discount {
    /// This many minor units off.
    Amount(#[ts(type = "number")] Money),
    /// This percentage off (1..=100).
    Percent(u32),
}

impl Discount {
    /// The discount in minor units on `base` (what it applies to). Refuses a
    /// negative amount, a percentage outside 1..=100 and an amount over `base`;
    /// `what` names the line or "the sale" in the message.
    pub fn amount_on(&self, base: Money, what: &str) -> Result<Money> {
        let off = match *self {
            Discount::Amount(a) => {
                if !(0..=MAX_AMOUNT).contains(&a) {
                    return Err(TillError::InvalidInput(format!(
                        "discount {a} on {what} is out of range"
                    )));
                }
                a
            }
            Discount::Percent(p) => {
                if !(1..=100).contains(&p) {
                    return Err(TillError::InvalidInput(format!(
                        "a percentage discount is 1 to 100, not {p} (on {what})"
                    )));
                }
                // Round half up; i128 so that no amount can overflow.
                ((i128::from(base.max(0)) * i128::from(p) + 50) / 100) as Money
            }
        };
        if off > base {
            return Err(TillError::InvalidInput(format!(
                "discount of {off} on {what} is more than its amount {base}"
            )));
        }
        Ok(off)
    }
}

/// Spread `total` over weights `nets` in proportion (largest remainder; ties to
/// the earlier line). Requires `0 <= total <= Σ nets` and every net ≥ 0; then
/// the shares add up to `total` and each share is at most its net.
pub fn spread(total: Money, nets: &[Money]) -> Vec<Money> {
    let sum: i128 = nets.iter().map(|n| i128::from(*n)).sum();
    if sum <= 0 || total <= 0 {
        return vec![0; nets.len()];
    }
    let t = i128::from(total);
    let mut shares: Vec<Money> = Vec::with_capacity(nets.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(nets.len());
    for (i, n) in nets.iter().enumerate() {
        let exact = i128::from(*n) * t;
        shares.push((exact / sum) as Money);
        rems.push((exact % sum, i));
    }
    let mut left = total - shares.iter().sum::<Money>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rem, i) in rems {
        if left == 0 {
            break;
        }
        if rem > 0 {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
}

/// Apply the cart discount to priced `lines` (whose `discount` already holds
/// the line discounts) and recompute every `line_total`; returns the sale total.
pub fn apply_cart_discount(lines: &mut [SaleLine], cart: Option<&Discount>) -> Result<Money> {
    let mut nets: Vec<Money> = Vec::with_capacity(lines.len());
    for line in lines.iter() {
        let gross = i64::from(line.qty)
            .checked_mul(line.unit_price)
            .filter(|g| *g <= MAX_AMOUNT)
            .ok_or_else(|| {
                TillError::InvalidInput(format!("amount of line {} is out of range", line.sku))
            })?;
        if line.discount < 0 || line.discount > gross {
            return Err(TillError::InvalidInput(format!(
                "discount of {} on {} is more than the line's amount {gross}",
                line.discount, line.sku
            )));
        }
        nets.push(gross - line.discount);
    }
    let net_sum: Money = nets.iter().sum();
    if net_sum > MAX_AMOUNT {
        return Err(TillError::InvalidInput("sale total is out of range".into()));
    }
    if let Some(cart) = cart {
        let off = cart.amount_on(net_sum, "the sale")?;
        for (line, share) in lines.iter_mut().zip(spread(off, &nets)) {
            line.discount += share;
        }
    }
    let mut total: Money = 0;
    for line in lines.iter_mut() {
        line.line_total = i64::from(line.qty) * line.unit_price - line.discount;
        total += line.line_total;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sync_proto::op::{SaleRecord, Tender, TenderKind};
    use sync_proto::{ActorId, ReceiptNo, StoreId};

    fn line(sku: &str, qty: u32, unit_price: Money, discount: Money) -> SaleLine {
        SaleLine {
            sku: sku.parse().expect("sku"),
            name: sku.into(),
            qty,
            unit_price,
            discount,
            line_total: 0,
        }
    }

    #[test]
    fn percent_rounds_half_up_and_amount_is_checked() {
        assert_eq!(
            Discount::Percent(10).amount_on(39_900, "x").expect("ok"),
            3_990
        );
        assert_eq!(Discount::Percent(50).amount_on(3, "x").expect("ok"), 2);
        assert_eq!(Discount::Percent(100).amount_on(777, "x").expect("ok"), 777);
        assert!(Discount::Percent(0).amount_on(100, "x").is_err());
        assert!(Discount::Percent(101).amount_on(100, "x").is_err());
        assert!(Discount::Amount(101).amount_on(100, "x").is_err());
        assert!(Discount::Amount(-1).amount_on(100, "x").is_err());
        assert_eq!(Discount::Amount(100).amount_on(100, "x").expect("ok"), 100);
    }

    #[test]
    fn spread_is_proportional_with_largest_remainder() {
        assert_eq!(spread(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(spread(10, &[30_000, 10_000]), vec![8, 2]); // 7.5 → 8, 2.5 → 2 (tie to earlier)
        assert_eq!(spread(0, &[5, 5]), vec![0, 0]);
        assert_eq!(spread(7, &[0, 7]), vec![0, 7]);
    }

    #[test]
    fn serde_shape_is_tagged() {
        let j = serde_json::to_string(&Discount::Percent(15)).expect("json");
        assert_eq!(j, r#"{"kind":"percent","value":15}"#);
        let d: Discount = serde_json::from_str(r#"{"kind":"amount","value":5000}"#).expect("parse");
        assert_eq!(d, Discount::Amount(5_000));
    }

    #[test]
    fn cart_discount_larger_than_net_is_refused() {
        let mut lines = vec![line("A", 1, 1_000, 600)];
        assert!(apply_cart_discount(&mut lines, Some(&Discount::Amount(401))).is_err());
        let mut lines = vec![line("A", 1, 1_000, 600)];
        assert_eq!(
            apply_cart_discount(&mut lines, Some(&Discount::Amount(400))).expect("ok"),
            0
        );
    }

    proptest! {
        /// Σ line discounts == line discounts + the requested cart discount, and
        /// the sale passes the hub's validation.
        #[test]
        fn cart_spread_adds_up_and_validates(
            items in prop::collection::vec((1u32..50, 0i64..200_000, 0u32..=100), 1..20),
            cart_pct in 0u32..=100,
            cart_amount in 0i64..5_000_000,
            use_pct in any::<bool>(),
        ) {
            let mut lines: Vec<SaleLine> = items.iter().enumerate().map(|(i, (q, p, ld))| {
                let gross = i64::from(*q) * p;
                let d = if *ld == 0 { 0 } else { Discount::Percent(*ld).amount_on(gross, "l").expect("pct") };
                line(&format!("SKU-{i}"), *q, *p, d)
            }).collect();
            let line_disc: Money = lines.iter().map(|l| l.discount).sum();
            let net: Money = lines.iter().map(|l| i64::from(l.qty) * l.unit_price - l.discount).sum();
            let cart = if use_pct { (cart_pct > 0).then_some(Discount::Percent(cart_pct)) } else { Some(Discount::Amount(cart_amount)) };
            let requested = match cart {
                None => 0,
                Some(d) => match d.amount_on(net, "sale") { Ok(v) => v, Err(_) => { prop_assume!(false); 0 } },
            };
            let total = apply_cart_discount(&mut lines, cart.as_ref()).expect("applies");
            let all_disc: Money = lines.iter().map(|l| l.discount).sum();
            prop_assert_eq!(all_disc - line_disc, requested);
            prop_assert_eq!(total, net - requested);
            let store: StoreId = "GN01".parse().expect("store");
            let actor = ActorId::new_random();
            let sale = SaleRecord {
                id: uuid::Uuid::now_v7(),
                receipt: ReceiptNo::new(&store, 1, 1),
                store: store.clone(),
                till: actor,
                cashier: None,
                member: None,
                lines,
                tenders: vec![Tender { kind: TenderKind::Card, amount: total }],
                total,
                change_given: 0,
                currency: "KRW".into(),
                sold_at_ms: 1,
            };
            prop_assert!(sync_proto::validate::check_sale(1, &sale, actor, &store).is_ok());
        }
    }
}
