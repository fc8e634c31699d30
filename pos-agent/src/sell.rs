//! Pure selling logic: pricing lines from the till's catalog and settling the
//! payment (split tender, cash change). No database here — [`crate::Till::sell`]
//! looks the products up, calls these functions and commits the result.
//!
//! Payment rules (contract `sell --tender`):
//! - no tender given: card for the whole total;
//! - tenders with an amount are taken as given; at most one tender may omit its
//!   amount and it takes whatever is left (zero if nothing is);
//! - the tenders must cover the total ([`TillError::TenderShort`]);
//! - only cash can exceed what is due: the excess is change handed back
//!   (card/other above the total is [`TillError::TenderExcess`]). Recorded
//!   tender amounts are what was applied to the sale, so they add up to the
//!   total exactly (as `sync_proto::validate` requires).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sync_proto::op::{Money, SaleLine, Tender, TenderKind};
use sync_proto::validate::{MAX_AMOUNT, MAX_LINE_QTY, MAX_LINES};

use crate::discount::Discount;
use crate::error::{Result, TillError};

/// One item the cashier scanned: a SKU or barcode and a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SaleItem {
    /// SKU or barcode.
    pub code: String,
    /// How many (1..=10000).
    pub qty: u32,
    /// Discount on this item (on `qty × unit price`), if the cashier gave one.
    #[serde(default)]
    pub discount: Option<Discount>,
}

impl SaleItem {
    /// `code` × `qty`, no discount.
    pub fn new(code: impl Into<String>, qty: u32) -> Self {
        Self {
            code: code.into(),
            qty,
            discount: None,
        }
    }

    /// This item with a line discount.
    pub fn with_discount(mut self, discount: Discount) -> Self {
        self.discount = Some(discount);
        self
    }
}

impl FromStr for SaleItem {
    type Err = TillError;
    /// Parse `CODE` or `CODE:QTY` (the CLI form).
    fn from_str(s: &str) -> Result<Self> {
        let (code, qty) = match s.rsplit_once(':') {
            Some((code, qty)) => {
                let qty: u64 = qty.trim().parse().map_err(|_| {
                    TillError::InvalidInput(format!(
                        "{s:?}: quantity must be a whole number, e.g. {code}:2"
                    ))
                })?;
                (code, qty)
            }
            None => (s, 1),
        };
        let code = code.trim();
        if code.is_empty() {
            return Err(TillError::InvalidInput(format!(
                "{s:?}: missing SKU or barcode"
            )));
        }
        check_qty(code, qty)?;
        Ok(SaleItem::new(code, qty as u32))
    }
}

/// Refuse quantities outside 1..=[`MAX_LINE_QTY`].
pub fn check_qty(item: &str, qty: u64) -> Result<()> {
    if qty == 0 || qty > u64::from(MAX_LINE_QTY) {
        return Err(TillError::InvalidQuantity {
            item: item.to_owned(),
            qty,
        });
    }
    Ok(())
}

/// A payment the cashier took: a kind and an amount, or `None` for "the rest".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TenderRequest {
    /// Cash, card or other.
    pub kind: TenderKind,
    /// Amount handed over; `None` = whatever is left to pay.
    #[ts(type = "number | null")]
    pub amount: Option<Money>,
}

impl TenderRequest {
    /// A tender of `kind` taking the rest.
    pub fn rest(kind: TenderKind) -> Self {
        Self { kind, amount: None }
    }

    /// A tender of `kind` for `amount`.
    pub fn of(kind: TenderKind, amount: Money) -> Self {
        Self {
            kind,
            amount: Some(amount),
        }
    }
}

impl FromStr for TenderRequest {
    type Err = TillError;
    /// Parse `cash`, `card:15000`, `other:5000` (the CLI form).
    fn from_str(s: &str) -> Result<Self> {
        let (kind, amount) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let kind: TenderKind = kind.trim().parse().map_err(TillError::InvalidTender)?;
        let amount = match amount {
            None => None,
            Some(a) => {
                let v: Money = a.trim().replace(',', "").parse().map_err(|_| {
                    TillError::InvalidTender(format!(
                        "{s:?}: amount must be a whole number of minor units"
                    ))
                })?;
                if !(0..=MAX_AMOUNT).contains(&v) {
                    return Err(TillError::InvalidTender(format!(
                        "{s:?}: amount out of range"
                    )));
                }
                Some(v)
            }
        };
        Ok(TenderRequest { kind, amount })
    }
}

/// A catalog product as needed for pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    /// SKU.
    pub sku: sync_proto::Sku,
    /// Name printed on the receipt.
    pub name: String,
    /// Unit price from the local catalog.
    pub unit_price: Money,
}

/// Build sale lines: same SKU scanned twice becomes one line with the summed
/// quantity; line total = qty × unit price.
pub fn price_lines(items: &[(PricedProduct, u32)]) -> Result<(Vec<SaleLine>, Money)> {
    if items.is_empty() {
        return Err(TillError::EmptySale);
    }
    let mut lines: Vec<SaleLine> = Vec::with_capacity(items.len());
    for (product, qty) in items {
        match lines.iter_mut().find(|l| l.sku == product.sku) {
            Some(line) => {
                let q = u64::from(line.qty) + u64::from(*qty);
                check_qty(product.sku.as_str(), q)?;
                line.qty = q as u32;
            }
            None => {
                check_qty(product.sku.as_str(), u64::from(*qty))?;
                lines.push(SaleLine {
                    sku: product.sku.clone(),
                    name: product
                        .name
                        .chars()
                        .take(sync_proto::validate::MAX_TEXT / 4)
                        .collect(),
                    qty: *qty,
                    unit_price: product.unit_price,
                    discount: 0,
                    line_total: 0,
                });
            }
        }
    }
    if lines.len() > MAX_LINES {
        return Err(TillError::TooManyLines(lines.len()));
    }
    let mut total: Money = 0;
    for line in &mut lines {
        line.line_total = i64::from(line.qty)
            .checked_mul(line.unit_price)
            .and_then(|g| g.checked_sub(line.discount))
            .filter(|t| (0..=MAX_AMOUNT).contains(t))
            .ok_or_else(|| {
                TillError::InvalidInput(format!("amount of line {} is out of range", line.sku))
            })?;
        total = total
            .checked_add(line.line_total)
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| TillError::InvalidInput("sale total is out of range".into()))?;
    }
    Ok((lines, total))
}

/// The settled payment of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Settlement {
    /// Amounts applied to the sale, adding up to the total (less `remaining`).
    pub tenders: Vec<Tender>,
    /// Cash handed back.
    #[ts(type = "number")]
    pub change_due: Money,
    /// Still to pay ([`settle_preview`] only; always 0 from [`settle`]).
    #[ts(type = "number")]
    pub remaining: Money,
}

/// What the tenders entered so far come to, for the payment dialog: the same
/// rules as [`settle`] (so the same [`TillError::TenderExcess`] and
/// [`TillError::InvalidTender`] refusals), except that a shortfall is not an
/// error but `remaining > 0`, and no tender at all means nothing paid yet
/// (`remaining` = `total`; `sell` would take card for the whole total).
pub fn settle_preview(total: Money, tenders: &[TenderRequest]) -> Result<Settlement> {
    if !(0..=MAX_AMOUNT).contains(&total) {
        return Err(TillError::InvalidInput(format!(
            "total {total} is out of range"
        )));
    }
    if tenders.is_empty() {
        return Ok(Settlement {
            tenders: Vec::new(),
            change_due: 0,
            remaining: total,
        });
    }
    match settle(total, tenders) {
        Err(TillError::TenderShort { due, paid }) => Ok(Settlement {
            tenders: tenders
                .iter()
                .filter_map(|t| {
                    t.amount.filter(|a| *a > 0).map(|amount| Tender {
                        kind: t.kind,
                        amount,
                    })
                })
                .collect(),
            change_due: 0,
            remaining: due - paid,
        }),
        other => other,
    }
}

/// Settle `total` with the cashier's tenders (see the module doc for the rules).
pub fn settle(total: Money, requests: &[TenderRequest]) -> Result<Settlement> {
    if requests.is_empty() {
        return Ok(Settlement {
            tenders: vec![Tender {
                kind: TenderKind::Card,
                amount: total,
            }],
            change_due: 0,
            remaining: 0,
        });
    }
    if requests.len() > 16 {
        return Err(TillError::InvalidTender(
            "at most 16 payments on one sale".into(),
        ));
    }
    let open = requests.iter().filter(|t| t.amount.is_none()).count();
    if open > 1 {
        return Err(TillError::InvalidTender(
            "give an amount for every payment but one (that one takes the rest)".into(),
        ));
    }
    let explicit: Money = requests.iter().filter_map(|t| t.amount).sum();
    let rest = (total - explicit).max(0);
    let mut handed: Vec<Tender> = requests
        .iter()
        .map(|t| Tender {
            kind: t.kind,
            amount: t.amount.unwrap_or(rest),
        })
        .collect();
    let paid: Money = handed.iter().map(|t| t.amount).sum();
    if paid < total {
        return Err(TillError::TenderShort { due: total, paid });
    }
    let excess = paid - total;
    let cash: Money = handed
        .iter()
        .filter(|t| t.kind == TenderKind::Cash)
        .map(|t| t.amount)
        .sum();
    if excess > cash {
        return Err(TillError::TenderExcess(excess - cash));
    }
    // Change comes out of the cash tenders, last first.
    let mut to_take = excess;
    for t in handed.iter_mut().rev() {
        if to_take == 0 {
            break;
        }
        if t.kind == TenderKind::Cash {
            let take = to_take.min(t.amount);
            t.amount -= take;
            to_take -= take;
        }
    }
    let mut tenders: Vec<Tender> = handed.iter().filter(|t| t.amount > 0).cloned().collect();
    if tenders.is_empty() {
        tenders.push(Tender {
            kind: requests[0].kind,
            amount: 0,
        });
    }
    Ok(Settlement {
        tenders,
        change_due: excess,
        remaining: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use TenderKind::*;

    fn product(sku: &str, price: Money) -> PricedProduct {
        PricedProduct {
            sku: sku.parse().expect("sku"),
            name: format!("{sku} name"),
            unit_price: price,
        }
    }

    #[test]
    fn lines_merge_same_sku_and_total() {
        let (lines, total) = price_lines(&[
            (product("A", 39_000), 1),
            (product("B", 12_000), 3),
            (product("A", 39_000), 2),
        ])
        .expect("price");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].qty, 3);
        assert_eq!(lines[0].line_total, 117_000);
        assert_eq!(lines[1].line_total, 36_000);
        assert_eq!(total, 153_000);
    }

    #[test]
    fn quantities_out_of_range_are_refused() {
        assert!(matches!(
            price_lines(&[(product("A", 1), 0)]),
            Err(TillError::InvalidQuantity { qty: 0, .. })
        ));
        assert!(matches!(
            price_lines(&[(product("A", 1), 6_000), (product("A", 1), 5_000)]),
            Err(TillError::InvalidQuantity { qty: 11_000, .. })
        ));
        assert!(matches!(price_lines(&[]), Err(TillError::EmptySale)));
        assert!("A:0".parse::<SaleItem>().is_err());
        assert!("A:10001".parse::<SaleItem>().is_err());
        assert!("A:x".parse::<SaleItem>().is_err());
        assert_eq!("A:10000".parse::<SaleItem>().expect("ok").qty, 10_000);
        assert_eq!("8801234567890".parse::<SaleItem>().expect("ok").qty, 1);
    }

    #[test]
    fn default_tender_is_card_for_the_total() {
        let s = settle(50_000, &[]).expect("settle");
        assert_eq!(
            s.tenders,
            vec![Tender {
                kind: Card,
                amount: 50_000
            }]
        );
        assert_eq!(s.change_due, 0);
    }

    #[test]
    fn split_tender_last_takes_the_rest() {
        let s = settle(
            50_000,
            &[TenderRequest::of(Cash, 20_000), TenderRequest::rest(Card)],
        )
        .expect("settle");
        assert_eq!(
            s.tenders,
            vec![
                Tender {
                    kind: Cash,
                    amount: 20_000
                },
                Tender {
                    kind: Card,
                    amount: 30_000
                }
            ]
        );
        assert_eq!(s.change_due, 0);
    }

    #[test]
    fn cash_over_gives_change() {
        let s = settle(37_000, &[TenderRequest::of(Cash, 50_000)]).expect("settle");
        assert_eq!(
            s.tenders,
            vec![Tender {
                kind: Cash,
                amount: 37_000
            }]
        );
        assert_eq!(s.change_due, 13_000);
        let s = settle(
            37_000,
            &[
                TenderRequest::of(Card, 30_000),
                TenderRequest::of(Cash, 10_000),
            ],
        )
        .expect("settle");
        assert_eq!(s.change_due, 3_000);
        assert_eq!(s.tenders.iter().map(|t| t.amount).sum::<Money>(), 37_000);
    }

    #[test]
    fn short_and_card_excess_are_refused() {
        assert!(matches!(
            settle(50_000, &[TenderRequest::of(Cash, 10_000)]),
            Err(TillError::TenderShort {
                due: 50_000,
                paid: 10_000
            })
        ));
        assert!(matches!(
            settle(50_000, &[TenderRequest::of(Card, 60_000)]),
            Err(TillError::TenderExcess(10_000))
        ));
        assert!(settle(1, &[TenderRequest::rest(Cash), TenderRequest::rest(Card)]).is_err());
    }

    #[test]
    fn tender_amounts_always_add_up_to_total() {
        for total in [0, 1, 999, 37_000] {
            for reqs in [
                vec![TenderRequest::rest(Cash)],
                vec![TenderRequest::of(Cash, 100_000)],
                vec![TenderRequest::of(Other, 500), TenderRequest::rest(Card)],
            ] {
                if let Ok(s) = settle(total, &reqs) {
                    assert_eq!(s.tenders.iter().map(|t| t.amount).sum::<Money>(), total);
                    assert!(!s.tenders.is_empty());
                }
            }
        }
    }

    #[test]
    fn preview_shows_what_is_still_to_pay() {
        let p = settle_preview(50_000, &[]).expect("preview");
        assert_eq!((p.remaining, p.change_due), (50_000, 0));
        let p = settle_preview(50_000, &[TenderRequest::of(Cash, 20_000)]).expect("preview");
        assert_eq!((p.remaining, p.change_due), (30_000, 0));
        assert_eq!(
            p.tenders,
            vec![Tender {
                kind: Cash,
                amount: 20_000
            }]
        );
        let p = settle_preview(
            50_000,
            &[
                TenderRequest::of(Card, 30_000),
                TenderRequest::of(Cash, 30_000),
            ],
        )
        .expect("preview");
        assert_eq!((p.remaining, p.change_due), (0, 10_000));
        assert_eq!(p.tenders.iter().map(|t| t.amount).sum::<Money>(), 50_000);
        let p = settle_preview(
            50_000,
            &[TenderRequest::of(Cash, 10_000), TenderRequest::rest(Card)],
        )
        .expect("preview");
        assert_eq!(p.remaining, 0);
        assert!(matches!(
            settle_preview(50_000, &[TenderRequest::of(Card, 60_000)]),
            Err(TillError::TenderExcess(10_000))
        ));
    }

    #[test]
    fn tender_parsing() {
        assert_eq!(
            "cash:5000".parse::<TenderRequest>().expect("ok"),
            TenderRequest::of(Cash, 5_000)
        );
        assert_eq!(
            "card".parse::<TenderRequest>().expect("ok"),
            TenderRequest::rest(Card)
        );
        assert!("bitcoin".parse::<TenderRequest>().is_err());
        assert!("cash:-5".parse::<TenderRequest>().is_err());
    }
}
