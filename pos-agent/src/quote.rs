//! Pricing a sale request — the one code path shared by [`Till::quote_sale`]
//! (the cart screen, nothing committed) and [`Till::sell`] — and the
//! discount limit with store-manager approval.
//!
//! [`price_request`] looks every item up, prices it as at the moment of sale
//! (price rules, [`crate::prices`]), merges the same SKU scanned twice,
//! applies line and cart discounts ([`crate::discount`]) and says whether the
//! total discount is over the till's limit (`meta` key
//! [`keys::DISCOUNT_LIMIT_PCT`], default [`DEFAULT_DISCOUNT_LIMIT_PCT`] % of
//! the gross). Over the limit, a sale by someone who is not an active store
//! manager of this store needs the PIN of one ([`check_approval`]); `sell`
//! records who approved it in `discount_approvals` in the sale's transaction.
//!
//! A coupon (`SaleRequest.coupon_code`, [`crate::limited::check_coupon`]) comes off the total
//! after line and cart discounts, spread over the lines the same way, and does not count
//! towards the discount limit. The quote also carries the status of the cart's limited SKUs.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sync_proto::op::{Money, SaleLine};
use sync_proto::people::StaffRole;
use uuid::Uuid;

use crate::db::{self, keys};
use crate::discount::{self};
use crate::error::{Result, TillError};
use crate::limited::{self, CouponApplied, CouponQuote, LimitedStatus};
use crate::people;
use crate::prices;
use crate::sell;
use crate::till::{SaleRequest, Till, lookup_product};

/// Discount limit of a till that has no setting yet (percent of the gross).
pub const DEFAULT_DISCOUNT_LIMIT_PCT: u32 = 10;

/// Highest discount limit that can be set (100 %: no approval ever needed).
pub const MAX_DISCOUNT_LIMIT_PCT: u32 = 100;

/// What a sale would come to, for the cart screen (nothing is committed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SaleQuote {
    /// One per merged line, in request order.
    pub lines: Vec<QuotedLine>,
    /// Σ qty × unit price.
    #[ts(type = "number")]
    pub gross: Money,
    /// Σ line discounts (the cart discount and the coupon spread over the lines included).
    #[ts(type = "number")]
    pub discount: Money,
    /// What the customer pays.
    #[ts(type = "number")]
    pub total: Money,
    /// Currency of every amount.
    pub currency: String,
    /// The discount is over the limit and the cashier is not a store manager:
    /// `sell` needs a manager's `approver_pin`.
    pub needs_approval: bool,
    /// The till's discount limit (percent of the gross).
    pub discount_limit_pct: u32,
    /// The coupon of the sale (`SaleRequest.coupon_code`): its discount, or why `sell` would
    /// refuse it (then nothing is taken off here). A coupon is exempt from the discount limit.
    #[serde(default)]
    pub coupon: Option<CouponQuote>,
    /// The status of every limited SKU in the cart (a held SKU's `available` includes the
    /// units of the sale's hold).
    #[serde(default)]
    pub limited: Vec<LimitedStatus>,
}

/// One line of a [`SaleQuote`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QuotedLine {
    /// SKU.
    pub sku: String,
    /// The code as scanned (SKU or barcode; the first scan of a merged line).
    pub code: String,
    /// Product name.
    pub name: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price at the moment of sale.
    #[ts(type = "number")]
    pub unit_price: Money,
    /// Discount on the line (its own and its share of the cart discount).
    #[ts(type = "number")]
    pub discount: Money,
    /// qty × unit price − discount.
    #[ts(type = "number")]
    pub line_total: Money,
    /// Label of the price rule that set the price (`None` = catalog price).
    pub price_label: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
}

/// A priced request: the sale lines `sell` commits and the quote.
#[derive(Debug)]
pub(crate) struct Priced {
    /// The lines as they go into the sale record.
    pub lines: Vec<SaleLine>,
    /// Per line, the price rule label.
    pub labels: Vec<Option<String>>,
    /// The quote (same numbers).
    pub quote: SaleQuote,
    /// The member the sale is made to.
    pub member: Option<Uuid>,
    /// Total discount over the limit (approval needed unless the cashier is a manager).
    pub over_limit: bool,
    /// The discount the limit applies to (line and cart discounts; not the coupon).
    pub limit_discount: Money,
    /// The coupon taken off the lines.
    pub coupon: Option<CouponApplied>,
    /// Why the requested coupon was refused (`sell` refuses with it).
    pub coupon_refusal: Option<TillError>,
}

/// The till's discount limit in percent of the gross.
pub fn discount_limit_pct(conn: &Connection) -> Result<u32> {
    match db::get_meta(conn, keys::DISCOUNT_LIMIT_PCT)? {
        None => Ok(DEFAULT_DISCOUNT_LIMIT_PCT),
        Some(v) => v.parse().map_err(|_| {
            TillError::Corrupt(format!(
                "setting {} = {v:?} is not a number",
                keys::DISCOUNT_LIMIT_PCT
            ))
        }),
    }
}

/// Whether `username` is an active store manager of `store` at this till.
pub fn is_store_manager(conn: &Connection, store: &str, username: &str) -> Result<bool> {
    Ok(people::staff_of_store(conn, store)?
        .iter()
        .any(|(s, _)| s.active && s.username == username && s.role == StaffRole::StoreManager))
}

/// Price `req` as at `at_ms` (see the module doc). Unknown codes are
/// [`TillError::UnknownSku`], inactive products [`TillError::NotForSale`].
pub(crate) fn price_request(conn: &Connection, req: &SaleRequest, at_ms: u64) -> Result<Priced> {
    if req.items.is_empty() {
        return Err(TillError::EmptySale);
    }
    let enrolment = db::require_enrolment(conn)?;
    let member = match &req.member_phone {
        None => None,
        Some(phone) => {
            let id = people::member_id(phone)?;
            if !people::member_exists(conn, &id)? {
                return Err(TillError::UnknownMember(phone.trim().to_owned()));
            }
            Some(id)
        }
    };
    let mut lines: Vec<SaleLine> = Vec::with_capacity(req.items.len());
    let mut quoted: Vec<QuotedLine> = Vec::with_capacity(req.items.len());
    for item in &req.items {
        sell::check_qty(&item.code, u64::from(item.qty))?;
        let product = lookup_product(conn, &item.code)?
            .ok_or_else(|| TillError::UnknownSku(item.code.trim().to_owned()))?;
        if !product.active {
            return Err(TillError::NotForSale(product.sku));
        }
        let price = prices::quote(conn, &product.sku, product.price, at_ms)?
            .ok_or_else(|| TillError::NoPrice(product.sku.clone()))?;
        let gross = i64::from(item.qty)
            .checked_mul(price.price)
            .ok_or_else(|| {
                TillError::InvalidInput(format!("amount of {} is out of range", product.sku))
            })?;
        let item_discount = match &item.discount {
            None => 0,
            Some(d) => d.amount_on(gross, &product.sku)?,
        };
        match lines.iter().position(|l| l.sku.as_str() == product.sku) {
            Some(i) => {
                let q = u64::from(lines[i].qty) + u64::from(item.qty);
                sell::check_qty(&product.sku, q)?;
                lines[i].qty = q as u32;
                lines[i].discount += item_discount;
                quoted[i].qty = q as u32;
            }
            None => {
                lines.push(SaleLine {
                    sku: product.sku.parse()?,
                    name: product
                        .name
                        .chars()
                        .take(sync_proto::validate::MAX_TEXT / 4)
                        .collect(),
                    qty: item.qty,
                    unit_price: price.price,
                    discount: item_discount,
                    line_total: 0,
                });
                quoted.push(QuotedLine {
                    sku: product.sku.clone(),
                    code: item.code.trim().to_owned(),
                    name: product.name.clone(),
                    qty: item.qty,
                    unit_price: price.price,
                    discount: 0,
                    line_total: 0,
                    price_label: price.label,
                    colour: product.colour.clone(),
                    size: product.size.clone(),
                });
            }
        }
    }
    if lines.len() > sync_proto::validate::MAX_LINES {
        return Err(TillError::TooManyLines(lines.len()));
    }
    let mut total = discount::apply_cart_discount(&mut lines, req.cart_discount.as_ref())?;
    let gross: Money = lines.iter().map(|l| i64::from(l.qty) * l.unit_price).sum();
    let limit_discount: Money = lines.iter().map(|l| l.discount).sum();
    let limit_pct = discount_limit_pct(conn)?.min(MAX_DISCOUNT_LIMIT_PCT);
    let over_limit = i128::from(limit_discount) * 100 > i128::from(gross) * i128::from(limit_pct);
    // The coupon comes off what is left, spread like the cart discount, outside the limit.
    let (coupon, coupon_refusal, coupon_quote) = match req.coupon_code.as_deref() {
        None => (None, None, None),
        Some(code) => match limited::check_coupon(conn, code, member, total, at_ms) {
            Ok(c) => {
                let nets: Vec<Money> = lines.iter().map(|l| l.line_total).collect();
                for (line, share) in lines.iter_mut().zip(discount::spread(c.discount, &nets)) {
                    line.discount += share;
                    line.line_total -= share;
                }
                total -= c.discount;
                let q = CouponQuote {
                    code: c.code.clone(),
                    label: c.label.clone(),
                    discount: c.discount,
                    refused: None,
                };
                (Some(c), None, Some(q))
            }
            Err(e @ (TillError::Db(_) | TillError::Corrupt(_) | TillError::NotEnrolled)) => {
                return Err(e);
            }
            Err(e) => {
                let q = CouponQuote {
                    code: limited::normalise_code(code),
                    label: limited::coupon_label(conn, code)?,
                    discount: 0,
                    refused: Some(e.to_string()),
                };
                (None, Some(e), Some(q))
            }
        },
    };
    let total_discount: Money = lines.iter().map(|l| l.discount).sum();
    for (q, l) in quoted.iter_mut().zip(&lines) {
        q.discount = l.discount;
        q.line_total = l.line_total;
    }
    let limited = limited_in_cart(conn, &lines, req.hold.as_ref())?;
    let cashier_is_manager = match &req.cashier {
        Some(c) => is_store_manager(conn, enrolment.store.as_str(), c)?,
        None => false,
    };
    let labels = quoted.iter().map(|q| q.price_label.clone()).collect();
    Ok(Priced {
        lines,
        labels,
        member,
        over_limit,
        limit_discount,
        coupon,
        coupon_refusal,
        quote: SaleQuote {
            lines: quoted,
            gross,
            discount: total_discount,
            total,
            currency: enrolment.currency,
            needs_approval: over_limit && !cashier_is_manager,
            discount_limit_pct: limit_pct,
            coupon: coupon_quote,
            limited,
        },
    })
}

/// The limited status of each limited SKU among `lines` now; the units of the sale's hold
/// (this till's, still held) count as available for its SKU.
fn limited_in_cart(
    conn: &Connection,
    lines: &[SaleLine],
    hold: Option<&Uuid>,
) -> Result<Vec<LimitedStatus>> {
    let now = db::now_ms();
    let held = match hold {
        None => Vec::new(),
        Some(id) => limited::holds_at(conn, now)?
            .into_iter()
            .filter(|h| h.id == id.to_string() && h.status == limited::HoldState::Held)
            .collect(),
    };
    let mut out = Vec::new();
    for line in lines {
        if let Some(mut st) = limited::status_for_sku(conn, line.sku.as_str(), now)? {
            if let Some(h) = held.iter().find(|h| h.sku == line.sku.as_str()) {
                st.available = st.available.saturating_add(h.qty);
            }
            out.push(st);
        }
    }
    Ok(out)
}

/// For a priced sale over the discount limit: the username that approves it
/// (the cashier when they are a store manager, else the manager whose PIN is
/// `approver_pin`). `None` when the sale is within the limit.
pub(crate) fn check_approval(
    conn: &Connection,
    priced: &Priced,
    req: &SaleRequest,
) -> Result<Option<String>> {
    if !priced.over_limit {
        return Ok(None);
    }
    if !priced.quote.needs_approval {
        return Ok(req.cashier.clone());
    }
    let Some(pin) = req.approver_pin.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Err(TillError::ApprovalRequired {
            limit_pct: priced.quote.discount_limit_pct,
            discount: priced.limit_discount,
        });
    };
    let store = db::require_enrolment(conn)?.store;
    let approver = match people::unlock(conn, store.as_str(), pin.trim()) {
        Ok(staff) => staff,
        Err(TillError::StaffInactive(who)) => {
            return Err(TillError::ApprovalRefused(format!(
                "{who} is no longer active at this store"
            )));
        }
        Err(TillError::WrongPin | TillError::NoStaff | TillError::InvalidInput(_)) => {
            return Err(TillError::ApprovalRefused(
                "no active store manager of this store has that PIN".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    if approver.role != StaffRole::StoreManager {
        tracing::warn!(who = %approver.username, "discount approval by a non-manager refused");
        return Err(TillError::ApprovalRefused(format!(
            "{} is not a store manager",
            approver.display_name
        )));
    }
    tracing::info!(approver = %approver.username, discount = priced.quote.discount, "discount over the limit approved");
    Ok(Some(approver.username))
}

/// Record an approved discount (in the sale's transaction).
pub(crate) fn record_approval(
    conn: &Connection,
    sale: &sync_proto::op::SaleRecord,
    approver: &str,
    quote: &SaleQuote,
    at_ms: u64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO discount_approvals(sale_id, receipt, approver, cashier, discount, gross, limit_pct, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        sale.id.to_string(),
        sale.receipt.as_str(),
        approver,
        sale.cashier,
        // The approval covers line and cart discounts; a coupon is outside the limit.
        quote.discount - quote.coupon.as_ref().map_or(0, |c| c.discount),
        quote.gross,
        quote.discount_limit_pct,
        at_ms as i64
    ])?;
    Ok(())
}

impl Till {
    /// Price a sale exactly as [`Till::sell`] would, without committing
    /// anything (no receipt number, seq or HLC used); tenders are not checked.
    pub fn quote_sale(&self, req: &SaleRequest) -> Result<SaleQuote> {
        let at_ms = match req.sold_at_ms {
            Some(t) => t,
            None => prices::deal_now(&self.conn)?,
        };
        Ok(price_request(&self.conn, req, at_ms)?.quote)
    }

    /// The till's discount limit (percent of the gross a cashier may give
    /// without a store manager's approval).
    pub fn discount_limit_pct(&self) -> Result<u32> {
        discount_limit_pct(&self.conn)
    }

    /// Set the till's discount limit (0..=100 percent of the gross).
    pub fn set_discount_limit_pct(&mut self, pct: u32) -> Result<()> {
        if pct > MAX_DISCOUNT_LIMIT_PCT {
            return Err(TillError::InvalidInput(format!(
                "the discount limit is a percentage from 0 to 100, not {pct}"
            )));
        }
        let tx = db::write_tx(&mut self.conn)?;
        db::set_meta(&tx, keys::DISCOUNT_LIMIT_PCT, &pct.to_string())?;
        tx.commit()?;
        tracing::info!(pct, "discount limit set");
        Ok(())
    }
}
