//! Sales: `GET /api/v1/sales?store=&cashier=&member=&from=&to=&limit=&offset=`.
//! A store manager sees only their own store's sales.
//!
//! `from` / `to` are RFC 3339 timestamps or epoch milliseconds, both
//! inclusive, on the till's `sold_at_ms` (returns: `returned_at_ms`).
//! `count` / `total_amount` / `returns_*` cover the whole filter; `sales`
//! is one page, newest first.

use std::sync::Arc;

use axum::extract::State;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use sync_proto::{Op, OpBody, SaleRecord};
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit};
use super::reports::days_from_civil;
use crate::AppState;

/// Filter and page of the sales list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// Store code.
    pub store: Option<String>,
    /// Cashier user name.
    pub cashier: Option<String>,
    /// Member: id (UUID) or phone number.
    pub member: Option<String>,
    /// From (inclusive): RFC 3339 or epoch ms.
    pub from: Option<String>,
    /// To (inclusive): RFC 3339 or epoch ms.
    pub to: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// One line of a sale.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SaleLineJson {
    /// SKU.
    pub sku: String,
    /// Name on the receipt.
    pub name: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price.
    #[ts(type = "number")]
    pub unit_price: i64,
    /// Line discount.
    #[ts(type = "number")]
    pub discount: i64,
    /// Line total.
    #[ts(type = "number")]
    pub line_total: i64,
}

/// One tender of a sale.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct TenderJson {
    /// `cash`, `card` or `other`.
    pub kind: String,
    /// Amount.
    #[ts(type = "number")]
    pub amount: i64,
}

/// A sale.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SaleJson {
    /// UUIDv7.
    pub id: String,
    /// Receipt number.
    pub receipt: String,
    /// Store code.
    pub store: String,
    /// Actor of the till.
    pub till: String,
    /// Till number (from the receipt).
    pub till_no: u32,
    /// Cashier.
    pub cashier: Option<String>,
    /// Member id.
    pub member: Option<String>,
    /// Total.
    #[ts(type = "number")]
    pub total: i64,
    /// Change given.
    #[ts(type = "number")]
    pub change_given: i64,
    /// Currency.
    pub currency: String,
    /// Time of sale at the till (ms).
    #[ts(type = "number")]
    pub sold_at_ms: u64,
    /// Lines.
    pub lines: Vec<SaleLineJson>,
    /// Tenders.
    pub tenders: Vec<TenderJson>,
}

/// Sales over a filter.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SalesReport {
    /// Sales matching the filter.
    #[ts(type = "number")]
    pub count: u64,
    /// Σ totals of those sales.
    #[ts(type = "number")]
    pub total_amount: i64,
    /// Returns matching the filter.
    #[ts(type = "number")]
    pub returns_count: u64,
    /// Σ refunds of those returns.
    #[ts(type = "number")]
    pub returns_amount: i64,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
    /// One page of sales, newest first.
    pub sales: Vec<SaleJson>,
}

impl From<SaleRecord> for SaleJson {
    fn from(s: SaleRecord) -> Self {
        SaleJson {
            id: s.id.to_string(),
            till_no: s.receipt.till_no(),
            receipt: s.receipt.to_string(),
            store: s.store.to_string(),
            till: s.till.to_string(),
            cashier: s.cashier,
            member: s.member.map(|m| m.to_string()),
            total: s.total,
            change_given: s.change_given,
            currency: s.currency,
            sold_at_ms: s.sold_at_ms,
            lines: s
                .lines
                .into_iter()
                .map(|l| SaleLineJson {
                    sku: l.sku.to_string(),
                    name: l.name,
                    qty: l.qty,
                    unit_price: l.unit_price,
                    discount: l.discount,
                    line_total: l.line_total,
                })
                .collect(),
            tenders: s
                .tenders
                .into_iter()
                .map(|t| TenderJson {
                    kind: t.kind.as_str().to_owned(),
                    amount: t.amount,
                })
                .collect(),
        }
    }
}

/// Parse epoch milliseconds or an RFC 3339 timestamp
/// (`2025-03-01T09:30:00Z`, `…+09:00`, fractional seconds, or a bare date).
pub fn parse_time(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| format!("{s:?} is out of range"));
    }
    let err = || {
        format!(
            "{s:?} is neither epoch milliseconds nor an RFC 3339 time like 2025-03-01T09:30:00Z"
        )
    };
    let num = |t: &str| -> Result<i64, String> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        t.parse().map_err(|_| err())
    };
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let (y, mo, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return Err(err());
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut ms = 0i64;
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
            return Err(err());
        }
        let (h, mi, se) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
        if h > 23 || mi > 59 || se > 60 {
            return Err(err());
        }
        secs += h * 3600 + mi * 60 + se;
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err());
            }
            let f = &frac[..digits.min(3)];
            ms = num(f)? * 10i64.pow(3 - f.len() as u32);
            rest = &frac[digits..];
        }
        match rest {
            "Z" | "z" => {}
            _ if rest.len() == 6
                && (rest.starts_with('+') || rest.starts_with('-'))
                && &rest[3..4] == ":" =>
            {
                let off = num(&rest[1..3])? * 3600 + num(&rest[4..6])? * 60;
                secs -= if rest.starts_with('+') { off } else { -off };
            }
            _ => return Err(err()),
        }
    }
    let total = secs * 1000 + ms;
    u64::try_from(total).map_err(|_| err())
}

/// Parse the `from` / `to` query values (inclusive; RFC 3339 or epoch ms).
pub fn time_range(
    from: Option<String>,
    to: Option<String>,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let time = |v: Option<String>, what: &str| -> Result<Option<i64>, ApiError> {
        v.filter(|s| !s.is_empty())
            .map(|s| {
                parse_time(&s)
                    .map(|t| t.min(i64::MAX as u64) as i64)
                    .map_err(|e| ApiError::invalid(format!("{what}: {e}")))
            })
            .transpose()
    };
    let from = time(from, "from")?;
    let to = time(to, "to")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid("from is after to"));
    }
    Ok((from, to))
}

/// Sales with totals over the filter and one page of detail.
#[utoipa::path(
    get, path = "/api/v1/sales", tag = "sales",
    params(SalesQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Sales", body = SalesReport),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Role or store not allowed", body = ErrorBody))
)]
pub async fn list_sales(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> Result<axum::Json<SalesReport>, ApiError> {
    let store = location_param(q.store)?;
    let store = hq.scope_store(store)?;
    let cashier = q.cashier.filter(|s| !s.is_empty());
    if cashier.as_ref().is_some_and(|c| c.len() > 128) {
        return Err(ApiError::invalid("cashier is at most 128 bytes"));
    }
    let member: Option<Vec<u8>> = match q.member.filter(|s| !s.trim().is_empty()) {
        Some(m) => {
            let id = match m.trim().parse::<uuid::Uuid>() {
                Ok(id) => id,
                Err(_) => sync_proto::people::member_id_for_phone(&m)
                    .map_err(|e| ApiError::invalid(format!("member: {e}")))?,
            };
            Some(id.as_bytes().to_vec())
        }
        None => None,
    };
    let (from, to) = time_range(q.from, q.to)?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let offset = q.offset.unwrap_or(0);
    let people = cashier.is_some() || member.is_some();
    let report = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let (count, total_amount): (i64, i64) = tx.query_row(
                "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales
                 WHERE (?1 IS NULL OR store = ?1) AND (?2 IS NULL OR sold_at_ms >= ?2)
                   AND (?3 IS NULL OR sold_at_ms <= ?3)
                   AND (?4 IS NULL OR cashier = ?4) AND (?5 IS NULL OR member = ?5)",
                params![store, from, to, cashier, member],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            // Returns carry no cashier or member: none match such a filter.
            let (returns_count, returns_amount): (i64, i64) = tx.query_row(
                "SELECT COUNT(*), COALESCE(SUM(total_refund), 0) FROM returns
                 WHERE (?1 IS NULL OR store = ?1) AND (?2 IS NULL OR returned_at_ms >= ?2)
                   AND (?3 IS NULL OR returned_at_ms <= ?3) AND NOT ?4",
                params![store, from, to, people],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut sales = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT s.id, s.cursor, l.body FROM sales s JOIN op_log l ON l.cursor = s.cursor
                     WHERE (?1 IS NULL OR s.store = ?1) AND (?2 IS NULL OR s.sold_at_ms >= ?2)
                       AND (?3 IS NULL OR s.sold_at_ms <= ?3)
                       AND (?4 IS NULL OR s.cashier = ?4) AND (?5 IS NULL OR s.member = ?5)
                     ORDER BY s.sold_at_ms DESC, s.id DESC LIMIT ?6 OFFSET ?7",
                )?;
                let mut rows =
                    stmt.query(params![store, from, to, cashier, member, limit, offset])?;
                while let Some(r) = rows.next()? {
                    let cursor: i64 = r.get(1)?;
                    let body: Vec<u8> = r.get(2)?;
                    // The log holds the whole record; the table only what reports filter on.
                    let sale = match rmp_serde::from_slice::<Op>(&body).map(|op| op.body) {
                        Ok(OpBody::Sale(s)) => s,
                        _ => {
                            tracing::error!(cursor, "sale row without a readable sale op");
                            continue;
                        }
                    };
                    sales.push(SaleJson::from(sale));
                }
            }
            tx.finish()?;
            Ok(SalesReport {
                count: count as u64,
                total_amount,
                returns_count: returns_count as u64,
                returns_amount,
                limit,
                offset,
                sales,
            })
        })
        .await?;
    Ok(axum::Json(report))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_parse_as_rfc3339_or_epoch_ms() {
        assert_eq!(parse_time("1700000000123"), Ok(1_700_000_000_123));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2024-02-29T12:00:00.5Z"), Ok(1_709_208_000_500));
        assert_eq!(
            parse_time("2024-02-29T21:00:00+09:00"),
            Ok(1_709_208_000_000)
        );
        assert_eq!(parse_time("2024-02-29"), Ok(1_709_164_800_000));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2024-13-01T00:00:00Z").is_err());
        assert!(parse_time("2024-01-01T00:00:00").is_err());
    }
}
