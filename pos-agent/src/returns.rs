//! Pure return logic: what is still returnable on a receipt, what each
//! returned unit refunds, and how the refund goes back.
//!
//! - Returnable quantity per SKU = sold − everything returned before against
//!   the same sale (by this till or, once synced, by the store's other tills).
//! - Refunds are the line totals paid, spread over the units so that partial
//!   returns never refund more than was paid in total: returning `k` more of
//!   `n` units after `r` refunds `⌊paid·(r+k)/n⌋ − ⌊paid·r/n⌋`; returning all of
//!   them refunds exactly what was paid.
//! - The money goes back on the sale's own tenders, last tender first, never
//!   more per kind than was paid with it minus earlier refunds.

use std::collections::BTreeMap;

use sync_proto::Sku;
use sync_proto::op::{Money, ReturnLine, ReturnRecord, SaleRecord, Tender, TenderKind};
use sync_proto::validate::MAX_LINES;

use crate::error::{Result, TillError};

/// A planned return: lines, refund tenders and total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPlan {
    /// What comes back and what each line refunds.
    pub lines: Vec<ReturnLine>,
    /// How the money goes back; adds up to `total_refund`.
    pub refunds: Vec<Tender>,
    /// Σ line refunds.
    pub total_refund: Money,
}

/// Per-SKU view of a sale after earlier returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Returnable {
    /// Units sold.
    pub sold: u64,
    /// Units already returned.
    pub returned: u64,
    /// Amount paid for all sold units.
    pub paid: Money,
}

impl Returnable {
    /// Units that may still come back.
    pub fn left(&self) -> u64 {
        self.sold.saturating_sub(self.returned)
    }
}

/// What is still returnable per SKU on `sale` given the `earlier` returns.
pub fn returnable(sale: &SaleRecord, earlier: &[ReturnRecord]) -> BTreeMap<Sku, Returnable> {
    let mut map: BTreeMap<Sku, Returnable> = BTreeMap::new();
    for line in &sale.lines {
        let e = map.entry(line.sku.clone()).or_default();
        e.sold += u64::from(line.qty);
        e.paid += line.line_total;
    }
    for ret in earlier.iter().filter(|r| r.original_sale == sale.id) {
        for line in &ret.lines {
            if let Some(e) = map.get_mut(&line.sku) {
                e.returned += u64::from(line.qty);
            }
        }
    }
    map
}

/// What returning `k` more units refunds (see the module doc).
pub fn refund_for(r: &Returnable, k: u64) -> Money {
    if r.sold == 0 {
        return 0;
    }
    let paid = i128::from(r.paid);
    let n = i128::from(r.sold);
    let before = paid * i128::from(r.returned) / n;
    let after = paid * i128::from(r.returned + k) / n;
    (after - before) as Money
}

/// Plan a return of `requested` (SKU, qty) against `sale`; empty = everything
/// still returnable.
pub fn plan_return(
    sale: &SaleRecord,
    earlier: &[ReturnRecord],
    requested: &[(Sku, u32)],
) -> Result<ReturnPlan> {
    let state = returnable(sale, earlier);
    let receipt = sale.receipt.to_string();
    let mut wanted: BTreeMap<Sku, u64> = BTreeMap::new();
    let mut order: Vec<Sku> = Vec::new();
    if requested.is_empty() {
        for line in &sale.lines {
            let left = state.get(&line.sku).map(Returnable::left).unwrap_or(0);
            if left > 0 && !wanted.contains_key(&line.sku) {
                wanted.insert(line.sku.clone(), left);
                order.push(line.sku.clone());
            }
        }
        if wanted.is_empty() {
            return Err(TillError::NothingToReturn(receipt));
        }
    } else {
        for (sku, qty) in requested {
            crate::sell::check_qty(sku.as_str(), u64::from(*qty))?;
            if !state.contains_key(sku) {
                return Err(TillError::NotOnReceipt {
                    sku: sku.to_string(),
                    receipt,
                });
            }
            let e = wanted.entry(sku.clone()).or_insert_with(|| {
                order.push(sku.clone());
                0
            });
            *e += u64::from(*qty);
        }
    }
    let mut lines = Vec::with_capacity(order.len());
    for sku in order {
        let qty = wanted.get(&sku).copied().unwrap_or(0);
        let r = state.get(&sku).copied().unwrap_or_default();
        if qty > r.left() {
            if r.left() == 0 && requested.is_empty() {
                continue;
            }
            return Err(TillError::OverReturn {
                sku: sku.to_string(),
                requested: qty,
                returnable: r.left(),
            });
        }
        crate::sell::check_qty(sku.as_str(), qty)?;
        lines.push(ReturnLine {
            refund: refund_for(&r, qty),
            sku,
            qty: qty as u32,
        });
    }
    if lines.len() > MAX_LINES {
        return Err(TillError::TooManyLines(lines.len()));
    }
    let total_refund: Money = lines.iter().map(|l| l.refund).sum();
    let refunds = allocate_refund(sale, earlier, total_refund);
    Ok(ReturnPlan {
        lines,
        refunds,
        total_refund,
    })
}

/// Spread `amount` over the sale's tenders, last first, capped by what each
/// kind paid minus earlier refunds of that kind.
pub fn allocate_refund(sale: &SaleRecord, earlier: &[ReturnRecord], amount: Money) -> Vec<Tender> {
    let mut left_by_kind: BTreeMap<TenderKind, Money> = BTreeMap::new();
    for t in &sale.tenders {
        *left_by_kind.entry(t.kind).or_default() += t.amount;
    }
    for ret in earlier.iter().filter(|r| r.original_sale == sale.id) {
        for t in &ret.refunds {
            let e = left_by_kind.entry(t.kind).or_default();
            *e = (*e - t.amount).max(0);
        }
    }
    let mut kinds: Vec<TenderKind> = Vec::new();
    for t in sale.tenders.iter().rev() {
        if !kinds.contains(&t.kind) {
            kinds.push(t.kind);
        }
    }
    let mut out: Vec<Tender> = Vec::new();
    let mut rest = amount;
    for kind in &kinds {
        if rest == 0 {
            break;
        }
        let cap = left_by_kind.get(kind).copied().unwrap_or(0);
        let take = rest.min(cap);
        if take > 0 {
            out.push(Tender {
                kind: *kind,
                amount: take,
            });
            rest -= take;
        }
    }
    if rest > 0 || out.is_empty() {
        // Rounding leftovers (or a zero refund): back the way the sale was
        // mostly paid, else cash.
        let kind = kinds.first().copied().unwrap_or(TenderKind::Cash);
        match out.iter_mut().find(|t| t.kind == kind) {
            Some(t) => t.amount += rest,
            None => out.push(Tender { kind, amount: rest }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_proto::op::SaleLine;
    use sync_proto::{ActorId, ReceiptNo};
    use uuid::Uuid;

    fn sku(s: &str) -> Sku {
        s.parse().expect("sku")
    }

    fn sale() -> SaleRecord {
        let store = "GN01".parse().expect("store");
        SaleRecord {
            id: Uuid::from_bytes([1; 16]),
            receipt: ReceiptNo::new(&store, 1, 1),
            store,
            till: ActorId(Uuid::from_bytes([2; 16])),
            cashier: None,
            member: None,
            lines: vec![
                SaleLine {
                    sku: sku("A"),
                    name: "A".into(),
                    qty: 3,
                    unit_price: 10_000,
                    discount: 1,
                    line_total: 29_999,
                },
                SaleLine {
                    sku: sku("B"),
                    name: "B".into(),
                    qty: 1,
                    unit_price: 5_000,
                    discount: 0,
                    line_total: 5_000,
                },
            ],
            tenders: vec![
                Tender {
                    kind: TenderKind::Cash,
                    amount: 4_999,
                },
                Tender {
                    kind: TenderKind::Card,
                    amount: 30_000,
                },
            ],
            total: 34_999,
            change_given: 0,
            currency: "KRW".into(),
            sold_at_ms: 1,
        }
    }

    fn as_record(sale: &SaleRecord, plan: ReturnPlan, n: u8) -> ReturnRecord {
        ReturnRecord {
            id: Uuid::from_bytes([10 + n; 16]),
            receipt: ReceiptNo::new(&sale.store, 1, 10 + u64::from(n)),
            original_sale: sale.id,
            original_receipt: sale.receipt.clone(),
            store: sale.store.clone(),
            till: sale.till,
            lines: plan.lines,
            refunds: plan.refunds,
            total_refund: plan.total_refund,
            currency: "KRW".into(),
            returned_at_ms: 2,
        }
    }

    #[test]
    fn returning_everything_refunds_exactly_what_was_paid() {
        let s = sale();
        let plan = plan_return(&s, &[], &[]).expect("plan");
        assert_eq!(plan.total_refund, 34_999);
        assert_eq!(plan.refunds.iter().map(|t| t.amount).sum::<Money>(), 34_999);
        // Card (last tender) first, then cash.
        assert_eq!(
            plan.refunds[0],
            Tender {
                kind: TenderKind::Card,
                amount: 30_000
            }
        );
    }

    #[test]
    fn partial_returns_add_up_and_respect_earlier_returns() {
        let s = sale();
        let mut earlier = Vec::new();
        let mut refunded = 0;
        for n in 0..3 {
            let plan = plan_return(&s, &earlier, &[(sku("A"), 1)]).expect("plan");
            refunded += plan.total_refund;
            earlier.push(as_record(&s, plan, n));
        }
        assert_eq!(refunded, 29_999);
        assert!(matches!(
            plan_return(&s, &earlier, &[(sku("A"), 1)]),
            Err(TillError::OverReturn { returnable: 0, .. })
        ));
        // "Everything" now means only B.
        let plan = plan_return(&s, &earlier, &[]).expect("rest");
        assert_eq!(plan.lines.len(), 1);
        assert_eq!(plan.lines[0].sku, sku("B"));
        earlier.push(as_record(&s, plan, 9));
        assert!(matches!(
            plan_return(&s, &earlier, &[]),
            Err(TillError::NothingToReturn(_))
        ));
        // Refund per kind never exceeds what was paid with it.
        let mut by_kind: BTreeMap<TenderKind, Money> = BTreeMap::new();
        for r in &earlier {
            for t in &r.refunds {
                *by_kind.entry(t.kind).or_default() += t.amount;
            }
        }
        assert_eq!(by_kind.get(&TenderKind::Card), Some(&30_000));
        assert_eq!(by_kind.get(&TenderKind::Cash), Some(&4_999));
    }

    #[test]
    fn over_return_and_foreign_sku_refused() {
        let s = sale();
        assert!(matches!(
            plan_return(&s, &[], &[(sku("A"), 2), (sku("A"), 2)]),
            Err(TillError::OverReturn {
                requested: 4,
                returnable: 3,
                ..
            })
        ));
        assert!(matches!(
            plan_return(&s, &[], &[(sku("Z"), 1)]),
            Err(TillError::NotOnReceipt { .. })
        ));
        assert!(matches!(
            plan_return(&s, &[], &[(sku("A"), 0)]),
            Err(TillError::InvalidQuantity { .. })
        ));
    }
}
