//! Stock: `POST /api/v1/stock/adjustments` (an HQ stock move, as an op of the
//! hub's actor in the location's scope) and `GET /api/v1/stock` (per
//! location and chain total from the in-memory view, or a paged list).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sync_proto::validate::{MAX_STOCK_DELTA, MAX_TEXT};
use sync_proto::{LocationId, Sku, StockReason};
use utoipa::ToSchema;

use super::auth::{DeviceAuth, Hq};
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit};
use crate::audit::{self, actions};
use crate::{AppState, HubError};

/// A stock change made at HQ.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustmentInput {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Change (negative removes stock); non-zero, at most ±1,000,000.
    pub delta: i64,
    /// `receipt` (delta > 0), `adjustment` or `stocktake`.
    pub reason: String,
    /// Free text (at most 200 bytes), kept as the move's reference.
    pub note: Option<String>,
}

/// The adjustment as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adjustment {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Change.
    pub delta: i64,
    /// Reason.
    pub reason: String,
    /// Quantity at the location after the change.
    pub qty: i64,
    /// Seq of the hub op that carries it.
    pub seq: u64,
}

/// Adjust stock at a location (receipt, correction, stock count).
#[utoipa::path(
    post, path = "/api/v1/stock/adjustments", tag = "stock",
    request_body = AdjustmentInput,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Stored; op emitted to the location's tills", body = Adjustment),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Role or store not allowed", body = ErrorBody),
        (status = 404, description = "Unknown location", body = ErrorBody),
    )
)]
pub async fn create_adjustment(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<AdjustmentInput>,
) -> Result<(StatusCode, axum::Json<Adjustment>), ApiError> {
    let location: LocationId = req
        .location
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    hq.require_writer()?;
    hq.require_store_access(location.as_str())?;
    let sku: Sku = req
        .sku
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let reason = match req.reason.as_str() {
        "receipt" => StockReason::Receipt,
        "adjustment" => StockReason::Adjustment,
        "stocktake" => StockReason::Stocktake,
        other => {
            return Err(ApiError::invalid(format!(
                "reason {other:?} is not one of receipt, adjustment, stocktake"
            )));
        }
    };
    if req.delta == 0 || req.delta.abs() > MAX_STOCK_DELTA {
        return Err(ApiError::invalid(format!(
            "delta must be non-zero and at most ±{MAX_STOCK_DELTA}"
        )));
    }
    if reason == StockReason::Receipt && req.delta < 0 {
        return Err(ApiError::invalid(
            "a receipt adds stock: delta must be positive",
        ));
    }
    let note = req
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.len() > MAX_TEXT) {
        return Err(ApiError::invalid(format!(
            "note is longer than {MAX_TEXT} bytes"
        )));
    }
    let delta = req.delta;
    let (loc2, sku2) = (location.clone(), sku.clone());
    let hq2 = hq.clone();
    let (op, qty) = state
        .writer
        .call(1, move |ap| {
            require_known_location(ap.conn, &loc2)?;
            ap.set_hq_user(&hq2.username);
            audit::record(
                ap.conn,
                &hq2,
                actions::STOCK_ADJUST,
                &format!("{loc2}/{sku2}"),
                serde_json::json!({"delta": delta, "reason": reason.as_str()}),
            )?;
            ap.hub_stock_move(loc2, sku2, delta, reason, note)
        })
        .await?;
    tracing::info!(user = %hq.username, %location, %sku, delta, reason = reason.as_str(), "stock adjusted");
    Ok((
        StatusCode::CREATED,
        axum::Json(Adjustment {
            location: location.to_string(),
            sku: sku.to_string(),
            delta,
            reason: reason.as_str().to_owned(),
            qty,
            seq: op.seq,
        }),
    ))
}

/// 404 `unknown_location` unless `location` is a store or warehouse.
pub fn require_known_location(conn: &Connection, location: &LocationId) -> Result<(), HubError> {
    let known = conn
        .prepare_cached("SELECT 1 FROM stores WHERE code = ?1")?
        .exists([location.as_str()])?;
    if !known {
        return Err(HubError::rejected(
            404,
            "unknown_location",
            format!("no store or warehouse {location}"),
        ));
    }
    Ok(())
}

/// Filter of `GET /api/v1/stock`.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// One SKU: answer per location and chain total.
    pub sku: Option<String>,
    /// One location.
    pub location: Option<String>,
    /// Page size of the list without `sku` (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// Quantity at one location.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationQty {
    /// Location code.
    pub location: String,
    /// Quantity (may be negative: sold beyond what the hub knew).
    pub qty: i64,
}

/// Stock of one SKU.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkuStock {
    /// SKU.
    pub sku: String,
    /// Sum over every location (regardless of the location filter).
    pub chain_total: i64,
    /// Per location (filtered by `location` when given).
    pub locations: Vec<LocationQty>,
}

/// One row of the stock list.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockRow {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Quantity.
    pub qty: i64,
}

/// A page of stock rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockPage {
    /// Rows by location, SKU.
    pub items: Vec<StockRow>,
    /// Rows matching the filter.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// Either answer of `GET /api/v1/stock`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum StockAnswer {
    /// With `sku`.
    Sku(SkuStock),
    /// Without `sku`.
    Page(StockPage),
}

/// Stock per location and chain total of a SKU, or a paged list.
#[utoipa::path(
    get, path = "/api/v1/stock", tag = "stock",
    params(StockQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "With sku: SkuStock; without: StockPage", body = StockAnswer),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Role or store not allowed", body = ErrorBody))
)]
pub async fn get_stock(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> Result<axum::Json<StockAnswer>, ApiError> {
    let location = location_param(q.location)?;
    let location = hq.scope_store(location)?;
    if let Some(sku) = q.sku.filter(|s| !s.is_empty()) {
        let sku: Sku = sku
            .parse()
            .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
        // A store manager's chain total is their store's: other stores are not theirs to see.
        let all: Vec<_> = state
            .stock
            .get(sku.as_str())
            .into_iter()
            .filter(|(l, _)| hq.can_see_store(l))
            .collect();
        let chain_total = all.iter().map(|(_, q)| q).sum();
        let locations = all
            .into_iter()
            .filter(|(l, _)| location.as_ref().is_none_or(|want| want == l))
            .map(|(location, qty)| LocationQty { location, qty })
            .collect();
        return Ok(axum::Json(StockAnswer::Sku(SkuStock {
            sku: sku.to_string(),
            chain_total,
            locations,
        })));
    }
    let limit = page_limit(q.limit, 100, 1000)?;
    let offset = q.offset.unwrap_or(0);
    let page = state
        .reads
        .read(move |c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM stock WHERE (?1 IS NULL OR location = ?1)",
                [&location],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare_cached(
                "SELECT location, sku, qty FROM stock WHERE (?1 IS NULL OR location = ?1)
                 ORDER BY location, sku LIMIT ?2 OFFSET ?3",
            )?;
            let rows = stmt.query_map(params![location, limit, offset], |r| {
                Ok(StockRow {
                    location: r.get(0)?,
                    sku: r.get(1)?,
                    qty: r.get(2)?,
                })
            })?;
            Ok(StockPage {
                items: rows.collect::<Result<_, _>>()?,
                total: total as u64,
                limit,
                offset,
            })
        })
        .await?;
    Ok(axum::Json(StockAnswer::Page(page)))
}

/// Stock of one SKU at one store, as a till sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreQty {
    /// Store code.
    pub store: String,
    /// Store name.
    pub name: String,
    /// Quantity (may be negative).
    pub qty: i64,
}

/// A SKU's stock at every store of the chain, for a till.
#[derive(Debug, Serialize, ToSchema)]
pub struct TillSkuStock {
    /// SKU.
    pub sku: String,
    /// When the hub answered (ms since epoch): the view is current as of then.
    pub as_of_ms: u64,
    /// Every store (the asking till's own included), by code.
    pub stores: Vec<StoreQty>,
}

/// A SKU's stock at every store, for a till ("is it in stock elsewhere?").
/// Authenticated with the till's device credential.
#[utoipa::path(
    get, path = "/api/v1/till/stock/{sku}", tag = "stock",
    params(("sku" = String, Path, description = "SKU")),
    security(("bearer" = [])),
    responses((status = 200, description = "Stock per store", body = TillSkuStock),
              (status = 400, description = "Invalid SKU", body = ErrorBody),
              (status = 401, description = "No or unknown device credential", body = ErrorBody))
)]
pub async fn till_stock(
    State(state): State<Arc<AppState>>,
    DeviceAuth(device): DeviceAuth,
    axum::extract::Path(sku): axum::extract::Path<String>,
) -> Result<axum::Json<TillSkuStock>, ApiError> {
    let sku: Sku = sku
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let stores: Vec<(String, String)> = state
        .reads
        .read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT code, name FROM stores WHERE kind = 'store' ORDER BY code",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    let qty: std::collections::HashMap<String, i64> =
        state.stock.get(sku.as_str()).into_iter().collect();
    tracing::debug!(till = %device.actor, store = %device.store, sku = %sku, "stock elsewhere asked");
    Ok(axum::Json(TillSkuStock {
        sku: sku.to_string(),
        as_of_ms: crate::now_ms(),
        stores: stores
            .into_iter()
            .map(|(store, name)| StoreQty {
                qty: qty.get(&store).copied().unwrap_or(0),
                store,
                name,
            })
            .collect(),
    }))
}
