//! Limited editions and first-come coupons: `POST /api/v1/drops`, `GET /api/v1/drops`,
//! `GET /api/v1/drops/{key}`, `POST /api/v1/drops/{key}/pull-back`,
//! `POST /api/v1/drops/{key}/end`.
//!
//! Head office (hq_admin, hq_staff) creates, pulls back and ends drops; every action is a set of
//! hub ops (see [`crate::drops`]) written and audit-logged in one writer job. Store managers may
//! read: the list, and a drop's detail with only their own store's row.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sync_proto::Sku;
use sync_proto::escrow::{CouponDiscount, CouponTerms, LimitKey, MAX_ESCROW_QTY};
use sync_proto::validate::{MAX_AMOUNT, MAX_TEXT};
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::accounts::Role;
use crate::audit::{self, actions};
use crate::drops::{
    self, DropDetail, DropRule, DropSummary, DropTarget, MAX_HOLD_MINUTES, NewDrop,
};
use crate::{AppState, now_ms};

/// Coupon discount as typed: `{"percent": 10}` or `{"amount": 5000}`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DropCouponDiscount {
    /// Percent off the sale (1..=100).
    Percent(u8),
    /// Minor units off the sale.
    Amount(#[ts(type = "number")] i64),
}

/// A coupon campaign's terms.
#[derive(Debug, Clone, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropCouponInput {
    /// Code the cashier types (letters, digits, `-`; stored upper-case).
    pub code: String,
    /// How much off.
    pub discount: DropCouponDiscount,
    /// Smallest sale total it applies to (minor units; default 0).
    #[serde(default)]
    #[ts(type = "number")]
    pub min_spend: i64,
}

/// A new drop: a limited SKU (`sku`) or a first-come coupon campaign (`coupon`).
#[derive(Debug, Clone, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CreateDrop {
    /// Name on tills and in the console.
    pub label: String,
    /// The limited SKU (give this or `coupon`).
    #[serde(default)]
    #[ts(optional)]
    pub sku: Option<String>,
    /// The coupon campaign (give this or `sku`).
    #[serde(default)]
    #[ts(optional)]
    pub coupon: Option<DropCouponInput>,
    /// Units (or coupons) in all, 1..=1,000,000.
    #[ts(type = "number")]
    pub total: u64,
    /// How to split across stores.
    pub rule: DropRule,
    /// Per-store units for `manual` (must sum to `total`).
    #[serde(default)]
    #[ts(optional, type = "Record<string, number>")]
    pub manual: Option<BTreeMap<String, u64>>,
    /// Stores taking part (default: every store; ignored for `manual`).
    #[serde(default)]
    #[ts(optional)]
    pub stores: Option<Vec<String>>,
    /// Longest hold for a customer, minutes (0 = no holds).
    #[serde(default)]
    pub hold_minutes: u32,
    /// Sales start (ms since epoch).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub starts_at_ms: Option<u64>,
    /// Sales end (exclusive).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub ends_at_ms: Option<u64>,
}

/// Which stores to pull rights back from.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct PullBack {
    /// Stores (default: every store of the drop).
    #[serde(default)]
    #[ts(optional)]
    pub stores: Option<Vec<String>>,
}

/// What a pull-back or end did.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropAction {
    /// Recalls sent to tills.
    pub recalls: u32,
    /// The drop now.
    pub drop: DropDetail,
}

fn parse_key(raw: &str) -> Result<LimitKey, ApiError> {
    raw.parse::<LimitKey>()
        .map_err(|e| ApiError::invalid(e.to_string()))
}

fn check_stores(stores: &Option<Vec<String>>) -> Result<(), ApiError> {
    if let Some(s) = stores {
        if s.is_empty() || s.len() > 10_000 {
            return Err(ApiError::invalid("stores must list 1-10000 store codes"));
        }
        for code in s {
            code.parse::<sync_proto::StoreId>()
                .map_err(|e| ApiError::invalid(e.to_string()))?;
        }
    }
    Ok(())
}

fn new_drop(req: CreateDrop) -> Result<NewDrop, ApiError> {
    let label = req.label.trim();
    if label.is_empty() || label.len() > MAX_TEXT || label.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "label must be 1-{MAX_TEXT} bytes of printable text"
        )));
    }
    if !(1..=MAX_ESCROW_QTY).contains(&req.total) {
        return Err(ApiError::invalid(format!(
            "total {} out of range 1..={MAX_ESCROW_QTY}",
            req.total
        )));
    }
    if req.hold_minutes > MAX_HOLD_MINUTES {
        return Err(ApiError::invalid(format!(
            "hold_minutes at most {MAX_HOLD_MINUTES}"
        )));
    }
    if let (Some(s), Some(e)) = (req.starts_at_ms, req.ends_at_ms)
        && e <= s
    {
        return Err(ApiError::invalid("ends_at_ms must be after starts_at_ms"));
    }
    if [req.starts_at_ms, req.ends_at_ms]
        .iter()
        .flatten()
        .any(|t| *t > i64::MAX as u64)
    {
        return Err(ApiError::invalid("times must be ms since the epoch"));
    }
    check_stores(&req.stores)?;
    let target = match (req.sku, req.coupon) {
        (Some(sku), None) => DropTarget::Sku(
            sku.trim()
                .parse::<Sku>()
                .map_err(|e| ApiError::invalid(e.to_string()))?,
        ),
        (None, Some(c)) => {
            let code = drops::coupon_code(&c.code).ok_or_else(|| {
                ApiError::invalid(format!(
                    "coupon code must be 1-{} letters, digits or '-'",
                    drops::MAX_COUPON_CODE
                ))
            })?;
            let discount = match c.discount {
                DropCouponDiscount::Percent(p) => CouponDiscount::Percent(p),
                DropCouponDiscount::Amount(a) => CouponDiscount::Amount(a),
            };
            if !drops::discount_ok(&discount) {
                return Err(ApiError::invalid(format!(
                    "discount must be 1-100 percent or 1..={MAX_AMOUNT} minor units"
                )));
            }
            if !(0..=MAX_AMOUNT).contains(&c.min_spend) {
                return Err(ApiError::invalid(format!(
                    "min_spend out of range 0..={MAX_AMOUNT}"
                )));
            }
            DropTarget::Coupon(CouponTerms {
                code,
                discount,
                min_spend: c.min_spend,
            })
        }
        _ => return Err(ApiError::invalid("give either sku or coupon")),
    };
    let manual = match (req.rule, req.manual) {
        (DropRule::Manual, Some(m)) => {
            if m.is_empty() {
                return Err(ApiError::invalid("manual must give at least one store"));
            }
            check_stores(&Some(m.keys().cloned().collect()))?;
            m
        }
        (DropRule::Manual, None) => {
            return Err(ApiError::invalid(
                "rule manual needs manual: {STORE: units}",
            ));
        }
        (_, _) => BTreeMap::new(),
    };
    Ok(NewDrop {
        label: label.to_owned(),
        target,
        total: req.total,
        rule: req.rule,
        manual,
        stores: req.stores,
        hold_minutes: req.hold_minutes,
        starts_at_ms: req.starts_at_ms,
        ends_at_ms: req.ends_at_ms,
    })
}

async fn read_detail(state: &Arc<AppState>, key: String, hq: &Hq) -> Result<DropDetail, ApiError> {
    let connected = state
        .live
        .snapshot()
        .into_iter()
        .map(|(a, t)| (a, t.cursor))
        .collect::<std::collections::HashMap<_, _>>();
    let only = match hq.role {
        Role::HqAdmin | Role::HqStaff => None,
        _ => Some(hq.store.clone().unwrap_or_default()),
    };
    let k = key.clone();
    state
        .reads
        .read(move |c| drops::detail(c, &k, now_ms(), &connected, only.as_deref()))
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_drop", format!("no drop {key}")))
}

/// Create a drop: define it, mint its total, split it across stores and their tills.
#[utoipa::path(
    post, path = "/api/v1/drops", tag = "drops",
    request_body = CreateDrop,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Drop created; LimitDef, Mint and transfers sent to tills", body = DropDetail),
        (status = 400, description = "Invalid input, unknown SKU or store, manual sum ≠ total", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not head office", body = ErrorBody),
        (status = 409, description = "SKU already in an active drop, or coupon code taken", body = ErrorBody),
    )
)]
pub async fn create_drop(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateDrop>,
) -> Result<(StatusCode, axum::Json<DropDetail>), ApiError> {
    hq.require_hq()?;
    let d = new_drop(req)?;
    let hq2 = hq.clone();
    let key = state
        .writer
        .call(100, move |ap| {
            let detail = serde_json::json!({
                "label": d.label, "total": d.total, "rule": d.rule,
                "manual": d.manual, "stores": d.stores, "hold_minutes": d.hold_minutes,
                "starts_at_ms": d.starts_at_ms, "ends_at_ms": d.ends_at_ms,
                "coupon": match &d.target { DropTarget::Coupon(t) => Some(t.code.clone()), DropTarget::Sku(_) => None },
            });
            let key = drops::create_drop(ap, d)?;
            audit::record(ap.conn, &hq2, actions::DROP_CREATE, &key.to_string(), detail)?;
            Ok(key)
        })
        .await?;
    tracing::info!(user = %hq.username, %key, "drop created");
    let detail = read_detail(&state, key.to_string(), &hq).await?;
    Ok((StatusCode::CREATED, axum::Json(detail)))
}

/// Every drop, active first, newest first.
#[utoipa::path(
    get, path = "/api/v1/drops", tag = "drops",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Drops", body = [DropSummary]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_drops(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::Json<Vec<DropSummary>>, ApiError> {
    hq.require_console()?;
    let list = state.reads.read(|c| drops::summaries(c, now_ms())).await?;
    Ok(axum::Json(list))
}

/// One drop per store and till (a store manager sees only their store's row).
#[utoipa::path(
    get, path = "/api/v1/drops/{key}", tag = "drops",
    params(("key" = String, Path, description = "Limit key: sku:<SKU> or coupon:<uuid>")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The drop", body = DropDetail),
              (status = 400, description = "Malformed key", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody),
              (status = 404, description = "No such drop", body = ErrorBody))
)]
pub async fn get_drop(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(key): ApiPath<String>,
) -> Result<axum::Json<DropDetail>, ApiError> {
    hq.require_console()?;
    let key = parse_key(&key)?;
    Ok(axum::Json(read_detail(&state, key.to_string(), &hq).await?))
}

/// Ask every till of some stores (default all of the drop's) for its unused rights back.
#[utoipa::path(
    post, path = "/api/v1/drops/{key}/pull-back", tag = "drops",
    params(("key" = String, Path, description = "Limit key")),
    request_body = PullBack,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Recalls sent", body = DropAction),
              (status = 400, description = "Malformed key or store", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such drop", body = ErrorBody))
)]
pub async fn pull_back(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<PullBack>,
) -> Result<axum::Json<DropAction>, ApiError> {
    hq.require_hq()?;
    let key = parse_key(&key)?;
    check_stores(&req.stores)?;
    let hq2 = hq.clone();
    let k = key.clone();
    let recalls = state
        .writer
        .call(10, move |ap| {
            if drops::limit_def(ap.conn, &k.to_string())?.is_none() {
                return Err(crate::HubError::rejected(
                    404,
                    "unknown_drop",
                    format!("no drop {k}"),
                ));
            }
            let stores = req.stores.clone();
            let n = drops::pull_back(ap, &k, req.stores)?;
            audit::record(
                ap.conn,
                &hq2,
                actions::DROP_PULL_BACK,
                &k.to_string(),
                serde_json::json!({"stores": stores, "recalls": n}),
            )?;
            Ok(n)
        })
        .await?;
    tracing::info!(user = %hq.username, %key, recalls, "drop pulled back");
    let drop = read_detail(&state, key.to_string(), &hq).await?;
    Ok(axum::Json(DropAction { recalls, drop }))
}

/// End a drop: tills stop selling against it, and every till is asked for its rights back.
#[utoipa::path(
    post, path = "/api/v1/drops/{key}/end", tag = "drops",
    params(("key" = String, Path, description = "Limit key")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Ended", body = DropAction),
              (status = 400, description = "Malformed key", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such drop", body = ErrorBody),
              (status = 409, description = "Already ended", body = ErrorBody))
)]
pub async fn end_drop(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(key): ApiPath<String>,
) -> Result<axum::Json<DropAction>, ApiError> {
    hq.require_hq()?;
    let key = parse_key(&key)?;
    let hq2 = hq.clone();
    let k = key.clone();
    let recalls = state
        .writer
        .call(10, move |ap| {
            let n = drops::end_drop(ap, &k)?;
            audit::record(
                ap.conn,
                &hq2,
                actions::DROP_END,
                &k.to_string(),
                serde_json::json!({"recalls": n}),
            )?;
            Ok(n)
        })
        .await?;
    tracing::info!(user = %hq.username, %key, recalls, "drop ended");
    let drop = read_detail(&state, key.to_string(), &hq).await?;
    Ok(axum::Json(DropAction { recalls, drop }))
}
