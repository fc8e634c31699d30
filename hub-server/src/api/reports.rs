//! Sales reports from the materialised tables (never the op log):
//! `GET /api/v1/dashboard`, `GET /api/v1/reports/sell-through` and
//! `GET /api/v1/sales/export.csv`; plus the date, time-zone and CSV helpers
//! the other H2 handlers share.
//!
//! Sales per hour are kept per UTC hour, so the dashboard's totals, hours
//! and stores follow any whole-hour `tz` the console sends (the browser's);
//! per-day tables (SKUs, cashiers, members) are kept per *business day* in
//! the hub's report offset (`+09:00` on a new hub, see
//! `db/v3_analytics.sql`), and answer for the same calendar date.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiQuery, ErrorBody};
use super::params::{date_params, location_param, period};
use crate::reports::{DAY_MS, HOUR_MS, day_of, report_offset_min};
use crate::{AppState, HubError, now_ms};

/// A CSV download.
pub fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Day number of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parse `YYYY-MM-DD` to a day number.
pub fn parse_date(s: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::invalid(format!("{s:?} is not a date like 2026-11-21"));
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |t: &str| -> Result<i64, ApiError> {
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (y, m, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let day = days_from_civil(y, m, d);
    if civil_from_days(day) != (y, m as u32, d as u32) {
        return Err(bad());
    }
    Ok(day)
}

/// `+09:00` of an offset in minutes.
pub fn tz_text(offset_min: i32) -> String {
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 60, a % 60)
}

/// Parse `+09:00`, `-05:30` or `Z` to minutes.
pub fn parse_tz(s: &str) -> Result<i32, ApiError> {
    let bad = || ApiError::invalid(format!("tz {s:?} is not an offset like +09:00"));
    if s == "Z" || s == "z" {
        return Ok(0);
    }
    let b = s.as_bytes();
    if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return Err(bad());
    }
    let h: i32 = s[1..3].parse().map_err(|_| bad())?;
    let m: i32 = s[4..6].parse().map_err(|_| bad())?;
    if h > 14
        || m > 59
        || !s[1..3]
            .bytes()
            .chain(s[4..6].bytes())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let v = h * 60 + m;
    Ok(if b[0] == b'-' { -v } else { v })
}

/// The offset (minutes) the hourly figures use for a requested `tz`:
/// the hub's business offset when none is given; offsets that are not whole
/// hours are taken down to the hour (sales are kept per UTC hour).
pub fn hour_offset(business_min: i32, tz: Option<&str>) -> Result<i32, ApiError> {
    match tz.filter(|t| !t.is_empty()) {
        None => Ok(business_min.div_euclid(60) * 60),
        Some(tz) => Ok(parse_tz(tz)?.div_euclid(60) * 60),
    }
}

/// Today's day number in the report offset.
pub fn today(offset_min: i32) -> i64 {
    day_of(now_ms().min(i64::MAX as u64) as i64, offset_min)
}

/// Query of the dashboard.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Local day (default today).
    pub date: Option<String>,
    /// One store (a store manager always gets their own).
    pub store: Option<String>,
    /// UTC offset of the day and its hours, e.g. `+09:00` (default: the hub's
    /// business offset); taken down to a whole hour.
    pub tz: Option<String>,
    /// Rows of `top_products` (default 10, at most 100).
    pub top: Option<u32>,
}

/// Sales totals of one day (amounts in minor units).
#[derive(Debug, Default, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DayTotals {
    /// Sales.
    #[ts(type = "number")]
    pub sales: i64,
    /// Returns.
    #[ts(type = "number")]
    pub returns: i64,
    /// Items sold minus items returned.
    #[ts(type = "number")]
    pub items: i64,
    /// Σ sale totals.
    #[ts(type = "number")]
    pub gross: i64,
    /// Σ refunds.
    #[ts(type = "number")]
    pub refunds: i64,
    /// gross − refunds.
    #[ts(type = "number")]
    pub net: i64,
}

impl DayTotals {
    fn add(&mut self, sales: i64, returns: i64, items: i64, gross: i64, refunds: i64) {
        self.sales += sales;
        self.returns += returns;
        self.items += items;
        self.gross += gross;
        self.refunds += refunds;
        self.net += gross - refunds;
    }
}

/// Net sales of one local hour, today and the same weekday last week.
#[derive(Debug, Default, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct HourPoint {
    /// Local hour 0-23.
    pub hour: u32,
    /// Net today.
    #[ts(type = "number")]
    pub today: i64,
    /// Net the same weekday last week.
    #[ts(type = "number")]
    pub last_week: i64,
}

/// One store's day.
#[derive(Debug, Default, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StorePoint {
    /// Store code.
    pub store: String,
    /// Store name.
    pub name: Option<String>,
    /// Sales today.
    #[ts(type = "number")]
    pub sales: i64,
    /// Net today.
    #[ts(type = "number")]
    pub today: i64,
    /// Net the same weekday last week.
    #[ts(type = "number")]
    pub last_week: i64,
}

/// A best seller of the day (net of returns).
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct TopProduct {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: Option<String>,
    /// Units sold minus returned.
    #[ts(type = "number")]
    pub qty: i64,
    /// Revenue minus refunds.
    #[ts(type = "number")]
    pub revenue: i64,
}

/// What one cashier sold that day (returns carry no cashier).
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CashierPoint {
    /// Store code.
    pub store: String,
    /// Cashier user name (`""` when none was logged in).
    pub cashier: String,
    /// Sales.
    #[ts(type = "number")]
    pub sales: i64,
    /// Items.
    #[ts(type = "number")]
    pub items: i64,
    /// Revenue.
    #[ts(type = "number")]
    pub revenue: i64,
}

/// Today against the same weekday last week.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Dashboard {
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    /// The same weekday a week earlier.
    pub last_week_date: String,
    /// UTC offset of `date` and `by_hour` (whole hours).
    pub tz: String,
    /// Offset of the business days of `top_products` and `by_cashier`.
    pub business_tz: String,
    /// Store filter, if any.
    pub store: Option<String>,
    /// Totals of the day.
    pub today: DayTotals,
    /// Totals of the same weekday last week.
    pub last_week: DayTotals,
    /// 24 local hours.
    pub by_hour: Vec<HourPoint>,
    /// Stores with sales on either day, by net today (highest first).
    pub by_store: Vec<StorePoint>,
    /// Best sellers of the day by net revenue.
    pub top_products: Vec<TopProduct>,
    /// Cashiers of the day by revenue.
    pub by_cashier: Vec<CashierPoint>,
}

/// The sales dashboard: a day against the same weekday a week earlier.
#[utoipa::path(
    get, path = "/api/v1/dashboard", tag = "sales",
    params(DashboardQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Dashboard", body = Dashboard),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody))
)]
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<axum::Json<Dashboard>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let top = q.top.unwrap_or(10);
    if !(1..=100).contains(&top) {
        return Err(ApiError::invalid("top must be 1..=100"));
    }
    let date = q.date.filter(|d| !d.is_empty());
    let day_param = date.as_deref().map(parse_date).transpose()?;
    let tz = q.tz;
    let dash = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let business = report_offset_min(&tx)?;
            let offset = hour_offset(business, tz.as_deref()).map_err(api_to_hub)?;
            let day = day_param.unwrap_or_else(|| today(offset));
            let d = build_dashboard(&tx, offset, business, day, store, top)?;
            tx.finish()?;
            Ok(d)
        })
        .await?;
    Ok(axum::Json(dash))
}

/// Carry an [`ApiError`] through a read closure.
pub fn api_to_hub(e: ApiError) -> HubError {
    HubError::Rejected {
        status: e.status.as_u16(),
        code: e.code,
        message: e.message,
    }
}

fn first_hour(day: i64, offset_min: i32) -> i64 {
    (day * DAY_MS - i64::from(offset_min) * 60_000).div_euclid(HOUR_MS)
}

/// Compute the dashboard of `day` (reads only materialised tables): hours
/// in `offset_min` (whole hours), SKUs and cashiers of business day `day`.
pub fn build_dashboard(
    c: &rusqlite::Connection,
    offset_min: i32,
    business_min: i32,
    day: i64,
    store: Option<String>,
    top: u32,
) -> Result<Dashboard, HubError> {
    let last_week_day = day - 7;
    let mut today = DayTotals::default();
    let mut last_week = DayTotals::default();
    let mut by_hour: Vec<HourPoint> = (0..24)
        .map(|h| HourPoint {
            hour: h,
            ..HourPoint::default()
        })
        .collect();
    let mut by_store: HashMap<String, StorePoint> = HashMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT h.hour, h.store, h.sales, h.returns, h.items, h.gross, h.refunds, s.name
             FROM sales_hour h LEFT JOIN stores s ON s.code = h.store
             WHERE h.hour BETWEEN ?1 AND ?2 AND (?3 IS NULL OR h.store = ?3)",
        )?;
        for (which, d) in [(0, day), (1, last_week_day)] {
            let h0 = first_hour(d, offset_min);
            let mut rows = st.query(params![h0, h0 + 23, store])?;
            while let Some(r) = rows.next()? {
                let hour: i64 = r.get(0)?;
                let code: String = r.get(1)?;
                let (sales, returns, items, gross, refunds): (i64, i64, i64, i64, i64) =
                    (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
                let net = gross - refunds;
                let slot = (hour - h0).clamp(0, 23) as usize;
                let sp = by_store.entry(code.clone()).or_insert_with(|| StorePoint {
                    store: code,
                    name: None,
                    ..StorePoint::default()
                });
                if sp.name.is_none() {
                    sp.name = r.get(7)?;
                }
                if which == 0 {
                    today.add(sales, returns, items, gross, refunds);
                    by_hour[slot].today += net;
                    sp.today += net;
                    sp.sales += sales;
                } else {
                    last_week.add(sales, returns, items, gross, refunds);
                    by_hour[slot].last_week += net;
                    sp.last_week += net;
                }
            }
        }
    }
    let mut by_store: Vec<StorePoint> = by_store.into_values().collect();
    by_store.sort_by(|a, b| b.today.cmp(&a.today).then(a.store.cmp(&b.store)));
    let top_products = {
        let sql = if store.is_some() {
            "SELECT t.sku, p.name, SUM(t.qty - t.returned_qty), SUM(t.revenue - t.refunds) AS net
             FROM sales_day_sku t LEFT JOIN product p ON p.sku = t.sku
             WHERE t.day = ?1 AND t.store = ?2 GROUP BY t.sku
             ORDER BY net DESC, t.sku LIMIT ?3"
        } else {
            "SELECT t.sku, p.name, t.qty - t.returned_qty, t.revenue - t.refunds AS net
             FROM sales_day_sku_chain t LEFT JOIN product p ON p.sku = t.sku
             WHERE t.day = ?1 AND ?2 IS NULL ORDER BY net DESC, t.sku LIMIT ?3"
        };
        let mut st = c.prepare_cached(sql)?;
        let rows = st.query_map(params![day, store, top], |r| {
            Ok(TopProduct {
                sku: r.get(0)?,
                name: r.get(1)?,
                qty: r.get(2)?,
                revenue: r.get(3)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let by_cashier = {
        let mut st = c.prepare_cached(
            "SELECT store, cashier, sales, items, revenue FROM sales_day_cashier
             WHERE day = ?1 AND (?2 IS NULL OR store = ?2)
             ORDER BY revenue DESC, store, cashier LIMIT 200",
        )?;
        let rows = st.query_map(params![day, store], |r| {
            Ok(CashierPoint {
                store: r.get(0)?,
                cashier: r.get(1)?,
                sales: r.get(2)?,
                items: r.get(3)?,
                revenue: r.get(4)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    Ok(Dashboard {
        date: date_text(day),
        last_week_date: date_text(last_week_day),
        tz: tz_text(offset_min),
        business_tz: tz_text(business_min),
        store,
        today,
        last_week,
        by_hour,
        by_store,
        top_products,
        by_cashier,
    })
}

/// Query of the sell-through report.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellThroughQuery {
    /// First local day (default 27 days before `to`).
    pub from: Option<String>,
    /// Last local day, inclusive (default today).
    pub to: Option<String>,
    /// One store (sold there, on hand there).
    pub store: Option<String>,
    /// One category.
    pub category: Option<String>,
}

/// Sell-through of one style.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SellThroughRow {
    /// Style (`""` for products without one).
    pub style: String,
    /// Name of its first variant.
    pub name: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Units sold minus returned in the period.
    #[ts(type = "number")]
    pub sold: i64,
    /// Net revenue in the period.
    #[ts(type = "number")]
    pub revenue: i64,
    /// Units on hand now (negative counts as 0 in the ratio).
    #[ts(type = "number")]
    pub on_hand: i64,
    /// sold / (sold + on hand), 0 when both are 0.
    pub sell_through: f64,
}

/// The sell-through report.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SellThrough {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Store filter.
    pub store: Option<String>,
    /// Styles, highest sell-through first.
    pub styles: Vec<SellThroughRow>,
}

/// Name, category and SKUs of a style.
type StyleSkus = (Option<String>, Option<String>, Vec<String>);

/// Sell-through per style: sold in the period against what is on hand now.
#[utoipa::path(
    get, path = "/api/v1/reports/sell-through", tag = "sales",
    params(SellThroughQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Per style", body = SellThrough),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody))
)]
pub async fn sell_through(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<SellThroughQuery>,
) -> Result<axum::Json<SellThrough>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let (from, to) = date_params(q.from, q.to)?;
    let category = q.category.filter(|s| !s.is_empty());
    let stock = state.stock.clone();
    let out = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let offset = report_offset_min(&tx)?;
            let (from, to) = period(offset, from, to, 28)?;
            // Styles and their SKUs in the category.
            let mut styles: BTreeMap<String, StyleSkus> = BTreeMap::new();
            {
                let mut st = tx.prepare_cached(
                    "SELECT COALESCE(style, ''), sku, name, category FROM product
                     WHERE (?1 IS NULL OR category = ?1) ORDER BY sku",
                )?;
                let mut rows = st.query(params![category])?;
                while let Some(r) = rows.next()? {
                    let e = styles
                        .entry(r.get(0)?)
                        .or_insert_with(|| (None, None, Vec::new()));
                    if e.0.is_none() {
                        e.0 = r.get(2)?;
                        e.1 = r.get(3)?;
                    }
                    e.2.push(r.get(1)?);
                }
            }
            let mut sold: HashMap<String, (i64, i64)> = HashMap::new();
            {
                let sql = if store.is_some() {
                    "SELECT COALESCE(p.style, ''), SUM(t.qty - t.returned_qty), SUM(t.revenue - t.refunds)
                     FROM sales_day_sku t JOIN product p ON p.sku = t.sku
                     WHERE t.day BETWEEN ?1 AND ?2 AND t.store = ?3 AND (?4 IS NULL OR p.category = ?4)
                     GROUP BY 1"
                } else {
                    "SELECT COALESCE(p.style, ''), SUM(t.qty - t.returned_qty), SUM(t.revenue - t.refunds)
                     FROM sales_day_sku_chain t JOIN product p ON p.sku = t.sku
                     WHERE t.day BETWEEN ?1 AND ?2 AND ?3 IS NULL AND (?4 IS NULL OR p.category = ?4)
                     GROUP BY 1"
                };
                let mut st = tx.prepare_cached(sql)?;
                let mut rows = st.query(params![from, to, store, category])?;
                while let Some(r) = rows.next()? {
                    sold.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
                }
            }
            tx.finish()?;
            let mut rows: Vec<SellThroughRow> = stock.read(|view| {
                styles
                    .into_iter()
                    .map(|(style, (name, category, skus))| {
                        let on_hand: i64 = skus
                            .iter()
                            .filter_map(|s| view.get(s))
                            .flat_map(|per_loc| per_loc.iter())
                            .filter(|(loc, _)| store.as_ref().is_none_or(|s| s == *loc))
                            .map(|(_, q)| *q)
                            .sum();
                        let (sold, revenue) = sold.get(&style).copied().unwrap_or((0, 0));
                        let denom = sold.max(0) + on_hand.max(0);
                        let sell_through = if denom > 0 {
                            sold.max(0) as f64 / denom as f64
                        } else {
                            0.0
                        };
                        SellThroughRow {
                            style,
                            name,
                            category,
                            sold,
                            revenue,
                            on_hand,
                            sell_through,
                        }
                    })
                    .collect()
            });
            rows.sort_by(|a, b| {
                b.sell_through
                    .total_cmp(&a.sell_through)
                    .then(a.style.cmp(&b.style))
            });
            Ok(SellThrough {
                from: date_text(from),
                to: date_text(to),
                store,
                styles: rows,
            })
        })
        .await?;
    Ok(axum::Json(out))
}

/// Query of the sales CSV.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesExportQuery {
    /// From (inclusive): RFC 3339 or epoch ms.
    pub from: Option<String>,
    /// To (inclusive): RFC 3339 or epoch ms.
    pub to: Option<String>,
    /// One store (a store manager always gets their own).
    pub store: Option<String>,
}

/// Most rows of one sales export.
pub const MAX_EXPORT_ROWS: i64 = 500_000;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of epoch ms.
pub fn rfc3339(ms: i64) -> String {
    let day = ms.div_euclid(DAY_MS);
    let rest = ms.rem_euclid(DAY_MS);
    let (h, m, s, milli) = (
        rest / HOUR_MS,
        rest % HOUR_MS / 60_000,
        rest % 60_000 / 1000,
        rest % 1000,
    );
    format!("{}T{h:02}:{m:02}:{s:02}.{milli:03}Z", date_text(day))
}

/// Sales and returns as CSV, one row per record (returns have negative amounts).
#[utoipa::path(
    get, path = "/api/v1/sales/export.csv", tag = "sales",
    params(SalesExportQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "CSV: kind,id,receipt,store,cashier,member,at,at_ms,amount,currency", body = String, content_type = "text/csv"),
              (status = 400, description = "Invalid query or too many rows", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody))
)]
pub async fn export_sales(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<SalesExportQuery>,
) -> Result<Response, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let (from, to) = super::sales::time_range(q.from, q.to)?;
    let body = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let n: i64 = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM sales WHERE (?1 IS NULL OR store = ?1)
                           AND (?2 IS NULL OR sold_at_ms >= ?2) AND (?3 IS NULL OR sold_at_ms <= ?3))
                      + (SELECT COUNT(*) FROM returns WHERE (?1 IS NULL OR store = ?1)
                           AND (?2 IS NULL OR returned_at_ms >= ?2) AND (?3 IS NULL OR returned_at_ms <= ?3))",
                params![store, from, to],
                |r| r.get(0),
            )?;
            if n > MAX_EXPORT_ROWS {
                return Err(HubError::rejected(
                    400,
                    "too_many_rows",
                    format!("{n} rows match; export at most {MAX_EXPORT_ROWS} at a time (narrow from/to or pick a store)"),
                ));
            }
            let csv_err = |e: csv::Error| HubError::Internal(format!("writing CSV: {e}"));
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "kind", "id", "receipt", "store", "cashier", "member", "at", "at_ms", "amount",
                "currency",
            ])
            .map_err(csv_err)?;
            let mut st = tx.prepare_cached(
                "SELECT 'sale', id, receipt, store, cashier, member, sold_at_ms, total, currency
                 FROM sales WHERE (?1 IS NULL OR store = ?1)
                   AND (?2 IS NULL OR sold_at_ms >= ?2) AND (?3 IS NULL OR sold_at_ms <= ?3)
                 UNION ALL
                 SELECT 'return', id, receipt, store, NULL, NULL, returned_at_ms, -total_refund, currency
                 FROM returns WHERE (?1 IS NULL OR store = ?1)
                   AND (?2 IS NULL OR returned_at_ms >= ?2) AND (?3 IS NULL OR returned_at_ms <= ?3)
                 ORDER BY 7, 2",
            )?;
            let mut rows = st.query(params![store, from, to])?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(0)?;
                let id: Vec<u8> = r.get(1)?;
                let member: Option<Vec<u8>> = r.get(5)?;
                let at: i64 = r.get(6)?;
                let amount: i64 = r.get(7)?;
                let uuid = |b: &[u8]| {
                    uuid::Uuid::from_slice(b)
                        .map(|u| u.to_string())
                        .unwrap_or_default()
                };
                w.write_record([
                    kind,
                    uuid(&id),
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    member.as_deref().map(uuid).unwrap_or_default(),
                    rfc3339(at),
                    at.to_string(),
                    amount.to_string(),
                    r.get::<_, String>(8)?,
                ])
                .map_err(csv_err)?;
            }
            drop(rows);
            drop(st);
            tx.finish()?;
            w.into_inner()
                .map_err(|e| HubError::Internal(format!("writing CSV: {e}")))
        })
        .await?;
    Ok(csv_response("sales.csv", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_offsets_round_trip() {
        let d = parse_date("2026-11-21").expect("date");
        assert_eq!(date_text(d), "2026-11-21");
        assert_eq!(date_text(d - 7), "2026-11-14");
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("21/11/2026").is_err());
        assert_eq!(parse_tz("+09:00").expect("tz"), 540);
        assert_eq!(parse_tz("-05:30").expect("tz"), -330);
        assert_eq!(tz_text(-330), "-05:30");
        assert!(parse_tz("09:00").is_err());
        assert_eq!(hour_offset(540, None).expect("tz"), 540);
        assert_eq!(hour_offset(540, Some("+01:00")).expect("tz"), 60);
        assert_eq!(hour_offset(540, Some("+05:30")).expect("tz"), 300);
        assert_eq!(hour_offset(540, Some("-03:30")).expect("tz"), -240);
        assert!(hour_offset(540, Some("+9")).is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // Local midnight in +09:00 is 15:00 UTC the day before.
        assert_eq!(first_hour(1, 540) * HOUR_MS, DAY_MS - 9 * HOUR_MS);
    }
}
