//! Inventory for the console: `GET /api/v1/inventory/summary`,
//! `GET /api/v1/inventory/matrix` (stores × SKUs, paginated and filtered on
//! the server), `GET /api/v1/inventory/alerts` (low and negative stock),
//! `POST /api/v1/stocktakes` and `GET /api/v1/stock/movements`.
//!
//! Quantities come from the in-memory [`crate::views::StockView`]; SQLite
//! is read only for the small lists of locations and products and for the
//! movement history. A cell is *negative* when its quantity is below zero
//! (sold offline beyond what the hub knew) and *low* when it is between 0
//! and the threshold (default 3); locations that never held the SKU are
//! neither.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::validate::{MAX_STOCK_DELTA, MAX_TEXT};
use sync_proto::{LocationId, Sku, StockReason};
use utoipa::ToSchema;

use super::auth::Hq;
use super::catalog::{PRODUCT_FILTER, ProductFilter};
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit, sku_param};
use super::stock::require_known_location;
use crate::audit::{self, actions};
use crate::{AppState, HubError};

/// Default low-stock threshold.
pub const DEFAULT_THRESHOLD: i64 = 3;

/// A store or warehouse.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LocationInfo {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `store` or `warehouse`.
    pub kind: String,
}

fn locations(c: &rusqlite::Connection) -> Result<Vec<LocationInfo>, HubError> {
    let mut st = c.prepare_cached("SELECT code, name, kind FROM stores ORDER BY code")?;
    let rows = st.query_map([], |r| {
        Ok(LocationInfo {
            code: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn threshold_param(t: Option<i64>) -> Result<i64, ApiError> {
    let t = t.unwrap_or(DEFAULT_THRESHOLD);
    if !(0..=1_000_000).contains(&t) {
        return Err(ApiError::invalid("threshold must be 0..=1000000"));
    }
    Ok(t)
}

/// Query of the summary.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// One location (a store manager always gets their own).
    pub store: Option<String>,
    /// Low-stock threshold (default 3).
    pub threshold: Option<i64>,
}

/// Stock at a glance.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct InventorySummary {
    /// Σ over the locations in view (deliveries in transit, `TR-<store>`, included).
    #[ts(type = "number")]
    pub chain_total: i64,
    /// Σ over stores.
    #[ts(type = "number")]
    pub stores_total: i64,
    /// Σ over warehouses.
    #[ts(type = "number")]
    pub warehouses_total: i64,
    /// SKUs with stock records in view.
    #[ts(type = "number")]
    pub skus: u64,
    /// Cells (location, SKU) below zero (in-transit locations never count).
    #[ts(type = "number")]
    pub negative_count: u64,
    /// Cells from 0 to the threshold.
    #[ts(type = "number")]
    pub low_count: u64,
    /// The threshold used.
    #[ts(type = "number")]
    pub threshold: i64,
    /// The location filter, if any.
    pub store: Option<String>,
}

/// Totals and alert counts over the chain or one location.
#[utoipa::path(
    get, path = "/api/v1/inventory/summary", tag = "stock",
    params(SummaryQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Summary", body = InventorySummary),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Location not visible to this user", body = ErrorBody))
)]
pub async fn summary(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<axum::Json<InventorySummary>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let threshold = threshold_param(q.threshold)?;
    let locs = state.reads.read(|c| locations(c)).await?;
    let kinds: HashMap<String, bool> = locs
        .into_iter()
        .map(|l| (l.code, l.kind == "warehouse"))
        .collect();
    let out = state.stock.read(|view| {
        let mut s = InventorySummary {
            chain_total: 0,
            stores_total: 0,
            warehouses_total: 0,
            skus: 0,
            negative_count: 0,
            low_count: 0,
            threshold,
            store: store.clone(),
        };
        for per_loc in view.values() {
            let mut seen = false;
            for (loc, &qty) in per_loc {
                if store.as_ref().is_some_and(|s| s != loc) {
                    continue;
                }
                seen = true;
                s.chain_total += qty;
                if loc.starts_with("TR-") {
                    // On a truck: in the chain, on no shelf, never low.
                    continue;
                }
                if kinds.get(loc).copied().unwrap_or(false) {
                    s.warehouses_total += qty;
                } else {
                    s.stores_total += qty;
                }
                if qty < 0 {
                    s.negative_count += 1;
                } else if qty <= threshold {
                    s.low_count += 1;
                }
            }
            s.skus += u64::from(seen);
        }
        s
    });
    Ok(axum::Json(out))
}

/// Query of the stock matrix.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// Comma-separated location codes (default: every location in view).
    pub stores: Option<String>,
    /// `store` or `warehouse`.
    pub kind: Option<String>,
    /// Products of this category.
    pub category: Option<String>,
    /// Products of this style.
    pub style: Option<String>,
    /// Search in SKU, name, barcode.
    pub q: Option<String>,
    /// Only SKUs with a `low` or `negative` cell among the selected locations.
    pub only: Option<String>,
    /// Low-stock threshold (default 3).
    pub threshold: Option<i64>,
    /// SKU rows to skip.
    pub sku_offset: Option<u32>,
    /// SKU rows (default 50, at most 500).
    pub sku_limit: Option<u32>,
    /// Location columns to skip.
    pub store_offset: Option<u32>,
    /// Location columns (default 50, at most 500).
    pub store_limit: Option<u32>,
}

/// A SKU row of the matrix.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MatrixSku {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: Option<String>,
    /// Style.
    pub style: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Category.
    pub category: Option<String>,
}

/// One page of the stores × SKUs matrix.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StockMatrix {
    /// Location columns of this page.
    pub stores: Vec<LocationInfo>,
    /// SKU rows of this page.
    pub skus: Vec<MatrixSku>,
    /// `qty[row][column]`: quantity of `skus[row]` at `stores[column]` (0 when none).
    #[ts(type = "Array<Array<number>>")]
    pub qty: Vec<Vec<i64>>,
    /// Per SKU row: Σ over every selected location (not only this page's columns).
    #[ts(type = "Array<number>")]
    pub sku_totals: Vec<i64>,
    /// SKUs matching the filters.
    #[ts(type = "number")]
    pub total_skus: u64,
    /// Locations matching the filters.
    #[ts(type = "number")]
    pub total_stores: u64,
}

/// Stock of SKUs (rows) at locations (columns), one page of each.
#[utoipa::path(
    get, path = "/api/v1/inventory/matrix", tag = "stock",
    params(MatrixQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "One page", body = StockMatrix),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Location not visible to this user", body = ErrorBody))
)]
pub async fn matrix(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<MatrixQuery>,
) -> Result<axum::Json<StockMatrix>, ApiError> {
    hq.require_console()?;
    let visible = hq.visible_stores();
    let wanted: Option<HashSet<String>> = match q.stores.filter(|s| !s.trim().is_empty()) {
        Some(list) => {
            let mut set = HashSet::new();
            for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                let code = code
                    .parse::<LocationId>()
                    .map_err(|e| ApiError::invalid(e.to_string()))?
                    .to_string();
                hq.require_store_access(&code)?;
                set.insert(code);
            }
            if set.len() > 5000 {
                return Err(ApiError::invalid("at most 5000 stores"));
            }
            Some(set)
        }
        None => None,
    };
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k @ ("store" | "warehouse")) => Some(k.to_owned()),
        Some(k) => {
            return Err(ApiError::invalid(format!(
                "kind {k:?} is not store or warehouse"
            )));
        }
    };
    let only = match q.only.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some("low") => Some(false),
        Some("negative") => Some(true),
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "only {o:?} is not low or negative"
            )));
        }
    };
    let threshold = threshold_param(q.threshold)?;
    let sku_limit = q.sku_limit.unwrap_or(50);
    let store_limit = q.store_limit.unwrap_or(50);
    if !(1..=500).contains(&sku_limit) || !(1..=500).contains(&store_limit) {
        return Err(ApiError::invalid(
            "sku_limit and store_limit must be 1..=500",
        ));
    }
    let (sku_offset, store_offset) = (
        q.sku_offset.unwrap_or(0) as usize,
        q.store_offset.unwrap_or(0) as usize,
    );
    let filter = ProductFilter::parse(None, q.q, q.category, q.style, None)?;
    let (locs, products) = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let locs = locations(&tx)?;
            let products: Vec<MatrixSku> = {
                let mut st = tx.prepare_cached(&format!(
                    "SELECT sku, name, style, colour, size, category FROM product
                     WHERE {PRODUCT_FILTER} ORDER BY sku"
                ))?;
                let rows = st.query_map(filter.params(), |r| {
                    Ok(MatrixSku {
                        sku: r.get(0)?,
                        name: r.get(1)?,
                        style: r.get(2)?,
                        colour: r.get(3)?,
                        size: r.get(4)?,
                        category: r.get(5)?,
                    })
                })?;
                rows.collect::<Result<_, _>>()?
            };
            tx.finish()?;
            Ok((locs, products))
        })
        .await?;
    let locs: Vec<LocationInfo> = locs
        .into_iter()
        .filter(|l| visible.as_ref().is_none_or(|v| v.contains(&l.code)))
        .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(&l.code)))
        .filter(|l| kind.as_ref().is_none_or(|k| k == &l.kind))
        .collect();
    let selected: HashSet<&str> = locs.iter().map(|l| l.code.as_str()).collect();
    let page_locs: Vec<LocationInfo> = locs
        .iter()
        .skip(store_offset)
        .take(store_limit as usize)
        .cloned()
        .collect();
    let out = state.stock.read(|view| {
        let flagged = |per_loc: &std::collections::BTreeMap<String, i64>| {
            per_loc.iter().any(|(loc, &qty)| {
                selected.contains(loc.as_str())
                    && match only {
                        Some(true) => qty < 0,
                        Some(false) => (0..=threshold).contains(&qty),
                        None => true,
                    }
            })
        };
        let rows: Vec<&MatrixSku> = match only {
            None => products.iter().collect(),
            Some(_) => products
                .iter()
                .filter(|p| view.get(&p.sku).is_some_and(flagged))
                .collect(),
        };
        let total_skus = rows.len() as u64;
        let page: Vec<MatrixSku> = rows
            .into_iter()
            .skip(sku_offset)
            .take(sku_limit as usize)
            .cloned()
            .collect();
        let mut qty = Vec::with_capacity(page.len());
        let mut sku_totals = Vec::with_capacity(page.len());
        for p in &page {
            let per_loc = view.get(&p.sku);
            qty.push(
                page_locs
                    .iter()
                    .map(|l| per_loc.and_then(|m| m.get(&l.code)).copied().unwrap_or(0))
                    .collect(),
            );
            sku_totals.push(per_loc.map_or(0, |m| {
                m.iter()
                    .filter(|(loc, _)| selected.contains(loc.as_str()))
                    .map(|(_, q)| *q)
                    .sum()
            }));
        }
        StockMatrix {
            stores: page_locs.clone(),
            skus: page,
            qty,
            sku_totals,
            total_skus,
            total_stores: locs.len() as u64,
        }
    });
    Ok(axum::Json(out))
}

/// Query of the alert list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// `low` or `negative` (default both).
    pub level: Option<String>,
    /// One location (a store manager always gets their own).
    pub store: Option<String>,
    /// Low-stock threshold (default 3).
    pub threshold: Option<i64>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A low or negative cell.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct InventoryAlert {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Product name.
    pub name: Option<String>,
    /// Quantity.
    #[ts(type = "number")]
    pub qty: i64,
    /// `low` or `negative`.
    pub level: String,
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AlertPage {
    /// Alerts, lowest quantity first.
    pub items: Vec<InventoryAlert>,
    /// Alerts matching the filter.
    #[ts(type = "number")]
    pub total: u64,
}

/// Low-stock and negative-stock cells.
#[utoipa::path(
    get, path = "/api/v1/inventory/alerts", tag = "stock",
    params(AlertsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Alerts", body = AlertPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Location not visible to this user", body = ErrorBody))
)]
pub async fn alerts(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<axum::Json<AlertPage>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some("low") => Some(false),
        Some("negative") => Some(true),
        Some(l) => {
            return Err(ApiError::invalid(format!(
                "level {l:?} is not low or negative"
            )));
        }
    };
    let threshold = threshold_param(q.threshold)?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let offset = q.offset.unwrap_or(0) as usize;
    let mut all: Vec<InventoryAlert> = state.stock.read(|view| {
        let mut out = Vec::new();
        for (sku, per_loc) in view {
            for (loc, &qty) in per_loc {
                if store.as_ref().is_some_and(|s| s != loc) || loc.starts_with("TR-") {
                    continue;
                }
                let negative = qty < 0;
                let low = (0..=threshold).contains(&qty);
                let keep = match level {
                    None => negative || low,
                    Some(true) => negative,
                    Some(false) => low,
                };
                if keep {
                    out.push(InventoryAlert {
                        location: loc.clone(),
                        sku: sku.clone(),
                        name: None,
                        qty,
                        level: if negative { "negative" } else { "low" }.to_owned(),
                    });
                }
            }
        }
        out
    });
    all.sort_by(|a, b| {
        a.qty
            .cmp(&b.qty)
            .then(a.location.cmp(&b.location))
            .then(a.sku.cmp(&b.sku))
    });
    let total = all.len() as u64;
    let mut items: Vec<InventoryAlert> =
        all.into_iter().skip(offset).take(limit as usize).collect();
    let skus: Vec<String> = items.iter().map(|a| a.sku.clone()).collect();
    let names = state
        .reads
        .read(move |c| {
            let mut st = c.prepare_cached("SELECT name FROM product WHERE sku = ?1")?;
            let mut out = HashMap::new();
            for s in skus {
                if let Some(n) = st
                    .query_map([&s], |r| r.get::<_, Option<String>>(0))?
                    .next()
                    .transpose()?
                    .flatten()
                {
                    out.insert(s, n);
                }
            }
            Ok(out)
        })
        .await?;
    for a in &mut items {
        a.name = names.get(&a.sku).cloned();
    }
    Ok(axum::Json(AlertPage { items, total }))
}

/// One counted SKU.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StocktakeCount {
    /// SKU.
    pub sku: String,
    /// Units counted on the shelf.
    #[ts(type = "number")]
    pub counted: i64,
}

/// The result of a stock count at one location.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StocktakeInput {
    /// Location code.
    pub location: String,
    /// What was counted (1-5000 distinct SKUs).
    pub counts: Vec<StocktakeCount>,
    /// Free text kept with the moves (at most 200 bytes).
    pub note: Option<String>,
}

/// One line of a stocktake.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StocktakeLine {
    /// SKU.
    pub sku: String,
    /// Quantity the hub held before.
    #[ts(type = "number")]
    pub before: i64,
    /// Counted.
    #[ts(type = "number")]
    pub counted: i64,
    /// counted − before (a `stocktake` stock move when not 0).
    #[ts(type = "number")]
    pub delta: i64,
}

/// A stored stocktake.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Stocktake {
    /// Id, also the reference of its stock moves (`stocktake <id>`).
    pub id: String,
    /// Location.
    pub location: String,
    /// Lines in the order given.
    pub lines: Vec<StocktakeLine>,
    /// Stock moves made (lines with a difference).
    #[ts(type = "number")]
    pub moves: u64,
}

/// Record a stock count: each difference becomes a `stocktake` stock move.
#[utoipa::path(
    post, path = "/api/v1/stocktakes", tag = "stock",
    request_body = StocktakeInput,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Stored; moves sent to the location's tills", body = Stocktake),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Location not visible to this user", body = ErrorBody),
              (status = 404, description = "Unknown location or SKU", body = ErrorBody))
)]
pub async fn create_stocktake(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<StocktakeInput>,
) -> Result<(StatusCode, axum::Json<Stocktake>), ApiError> {
    let location: LocationId = req
        .location
        .trim()
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    hq.require_writer()?;
    hq.require_store_access(location.as_str())?;
    if req.counts.is_empty() || req.counts.len() > 5000 {
        return Err(ApiError::invalid("counts must list 1-5000 SKUs"));
    }
    let mut seen = HashSet::new();
    let mut counts = Vec::with_capacity(req.counts.len());
    for c in req.counts {
        let sku: Sku = c
            .sku
            .trim()
            .parse()
            .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
        if !(0..=MAX_STOCK_DELTA).contains(&c.counted) {
            return Err(ApiError::invalid(format!(
                "counted {} for {sku} is out of range 0..={MAX_STOCK_DELTA}",
                c.counted
            )));
        }
        if !seen.insert(sku.clone()) {
            return Err(ApiError::invalid(format!("{sku} is counted twice")));
        }
        counts.push((sku, c.counted));
    }
    let note = req
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.len() > MAX_TEXT || n.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(format!(
            "note must be at most {MAX_TEXT} bytes of printable text"
        )));
    }
    let id = uuid::Uuid::now_v7();
    let mut reference = format!("stocktake {id}");
    if let Some(n) = &note {
        reference.push_str(": ");
        reference.push_str(n);
    }
    if reference.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !reference.is_char_boundary(cut) {
            cut -= 1;
        }
        reference.truncate(cut);
    }
    let hq2 = hq.clone();
    let loc2 = location.clone();
    let weight = counts.len();
    let (lines, moves) = state
        .writer
        .call(weight, move |ap| {
            require_known_location(ap.conn, &loc2)?;
            {
                let mut exists = ap
                    .conn
                    .prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?;
                for (sku, _) in &counts {
                    if !exists.exists([sku.as_str()])? {
                        return Err(HubError::rejected(
                            404,
                            "unknown_sku",
                            format!("no product {sku}"),
                        ));
                    }
                }
            }
            ap.set_hq_user(&hq2.username);
            let mut lines = Vec::with_capacity(counts.len());
            let mut moves = 0u64;
            for (sku, counted) in counts {
                let before: i64 = ap
                    .conn
                    .prepare_cached("SELECT qty FROM stock WHERE location = ?1 AND sku = ?2")?
                    .query_row(params![loc2.as_str(), sku.as_str()], |r| r.get(0))
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(0),
                        e => Err(e),
                    })?;
                let delta = counted - before;
                if delta != 0 {
                    if delta.abs() > MAX_STOCK_DELTA {
                        return Err(HubError::rejected(
                            400,
                            "invalid_input",
                            format!(
                                "the difference for {sku} ({delta}) is beyond ±{MAX_STOCK_DELTA}"
                            ),
                        ));
                    }
                    ap.hub_stock_move(
                        loc2.clone(),
                        sku.clone(),
                        delta,
                        StockReason::Stocktake,
                        Some(reference.clone()),
                    )?;
                    moves += 1;
                }
                lines.push(StocktakeLine {
                    sku: sku.to_string(),
                    before,
                    counted,
                    delta,
                });
            }
            audit::record(
                ap.conn,
                &hq2,
                actions::STOCKTAKE_CREATE,
                loc2.as_str(),
                serde_json::json!({"id": id.to_string(), "lines": lines.len(), "moves": moves}),
            )?;
            Ok((lines, moves))
        })
        .await?;
    tracing::info!(user = %hq.username, %location, moves, "stocktake stored");
    Ok((
        StatusCode::CREATED,
        axum::Json(Stocktake {
            id: id.to_string(),
            location: location.to_string(),
            lines,
            moves,
        }),
    ))
}

/// Query of the movement history.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementsQuery {
    /// SKU (give this, `location`, or both).
    pub sku: Option<String>,
    /// Location (a store manager always gets their own).
    pub location: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Only moves older than this cursor (the previous page's `next_before`).
    pub before: Option<i64>,
}

/// One stock movement.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StockMovement {
    /// Log position (newest first; page with `before`).
    #[ts(type = "number")]
    pub cursor: i64,
    /// When (the op's HLC wall clock, ms).
    #[ts(type = "number")]
    pub at_ms: i64,
    /// Location.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Change.
    #[ts(type = "number")]
    pub delta: i64,
    /// `sale`, `return`, `receipt`, `adjustment`, `transfer_out`, `transfer_in`, `stocktake`.
    pub reason: String,
    /// Receipt number, stocktake id, note…
    pub reference: Option<String>,
    /// Actor id.
    pub actor: String,
    /// `GN01 till 2`, `HQ admin`.
    pub actor_label: String,
}

/// A page of movements.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MovementPage {
    /// Movements, newest first.
    pub items: Vec<StockMovement>,
    /// `before` of the next page; null at the end.
    #[ts(type = "number | null")]
    pub next_before: Option<i64>,
}

/// History of stock movements of a SKU and/or location, with reasons.
#[utoipa::path(
    get, path = "/api/v1/stock/movements", tag = "stock",
    params(MovementsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Movements", body = MovementPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Location not visible to this user", body = ErrorBody))
)]
pub async fn movements(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<MovementsQuery>,
) -> Result<axum::Json<MovementPage>, ApiError> {
    let location = hq.scope_store(location_param(q.location)?)?;
    let sku = sku_param(q.sku)?;
    if sku.is_none() && location.is_none() {
        return Err(ApiError::invalid("give sku, location or both"));
    }
    let limit = page_limit(q.limit, 100, 1000)?;
    let before = q.before;
    let hub = state.writer.hub_actor();
    let page = state
        .reads
        .read(move |c| {
            let page = crate::stock_history::page(
                c,
                sku.as_deref(),
                location.as_deref(),
                before,
                limit as usize,
            )?;
            let mut till =
                c.prepare_cached("SELECT store, till_no FROM devices WHERE actor = ?1")?;
            let mut items = Vec::with_capacity(page.items.len());
            for m in page.items {
                let actor_label = if m.actor == hub {
                    match &m.hq_user {
                        Some(u) => format!("HQ {u}"),
                        None => "HQ".to_owned(),
                    }
                } else {
                    let found: Option<(String, i64)> = till
                        .query_row([m.actor.0.as_bytes().as_slice()], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .optional()
                        .map_err(HubError::from)?;
                    match found {
                        Some((s, n)) => format!("{s} till {n}"),
                        None => format!("till {}", &m.actor.0.simple().to_string()[..8]),
                    }
                };
                items.push(StockMovement {
                    cursor: m.cursor,
                    at_ms: m.at_ms,
                    location: m.stock_move.location.to_string(),
                    sku: m.stock_move.sku.to_string(),
                    delta: m.stock_move.delta,
                    reason: m.stock_move.reason.as_str().to_owned(),
                    reference: m.stock_move.reference,
                    actor: m.actor.to_string(),
                    actor_label,
                });
            }
            Ok(MovementPage {
                items,
                next_before: page.next_before,
            })
        })
        .await?;
    Ok(axum::Json(page))
}
