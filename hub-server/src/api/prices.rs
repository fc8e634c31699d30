//! Scheduled prices and time-limited deals: `POST /api/v1/price-rules`,
//! `GET /api/v1/price-rules`, `POST /api/v1/price-rules/{id}/cancel`.
//!
//! A rule is a `PriceRule` op of the hub's actor in scope `catalog`, one per
//! SKU, so it reaches every till ahead of time and applies offline by the
//! till's clock; the `price_rule` table keeps the winning version of each
//! rule (LWW by HLC). Cancelling writes the rule again with
//! `cancelled = true`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use sync_proto::pricing::PriceRule;
use sync_proto::validate::{MAX_AMOUNT, MAX_TEXT};
use sync_proto::{OpBody, Scope, Sku};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::params::{page_limit, sku_param};
use crate::audit::{self, actions};
use crate::{AppState, HubError, now_ms};

/// Most SKUs one request may put on a rule.
pub const MAX_RULE_SKUS: usize = 5000;

/// A new scheduled price for some SKUs (or every SKU of a style).
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct PriceRuleInput {
    /// SKUs the price applies to (give this or `style`).
    pub skus: Option<Vec<String>>,
    /// Every SKU of this style (give this or `skus`).
    pub style: Option<String>,
    /// Price in minor units while the rule applies.
    #[ts(type = "number")]
    pub price: i64,
    /// Start (ms since epoch, inclusive).
    #[ts(type = "number")]
    pub valid_from_ms: u64,
    /// End (exclusive); absent = until replaced or cancelled.
    #[ts(type = "number | null")]
    pub valid_to_ms: Option<u64>,
    /// Shown on the till and the receipt ("Winter sale").
    pub label: String,
}

/// A price rule as the hub holds it.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export, rename = "PriceRule")]
#[schema(as = PriceRuleJson)]
pub struct PriceRuleJson {
    /// Rule id.
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Price while it applies.
    #[ts(type = "number")]
    pub price: i64,
    /// Start (inclusive).
    #[ts(type = "number")]
    pub valid_from_ms: u64,
    /// End (exclusive), if any.
    #[ts(type = "number | null")]
    pub valid_to_ms: Option<u64>,
    /// Label.
    pub label: String,
    /// Cancelled rules never apply.
    pub cancelled: bool,
    /// Whether it applies now.
    pub active_now: bool,
}

impl PriceRuleJson {
    fn from_rule(r: &PriceRule, now: u64) -> Self {
        Self {
            id: r.id.to_string(),
            sku: r.sku.to_string(),
            price: r.price,
            valid_from_ms: r.valid_from_ms,
            valid_to_ms: r.valid_to_ms,
            label: r.label.clone(),
            cancelled: r.cancelled,
            active_now: r.applies_at(now),
        }
    }
}

/// Columns of [`rule_from_row`].
pub const RULE_COLUMNS: &str = "id, sku, price, valid_from_ms, valid_to_ms, label, cancelled";

/// Read a `price_rule` row (columns [`RULE_COLUMNS`]).
pub fn rule_from_row(r: &Row<'_>) -> rusqlite::Result<Option<PriceRule>> {
    let id: Vec<u8> = r.get(0)?;
    let sku: String = r.get(1)?;
    let (Ok(id), Ok(sku)) = (Uuid::from_slice(&id), sku.parse::<Sku>()) else {
        return Ok(None);
    };
    Ok(Some(PriceRule {
        id,
        sku,
        price: r.get(2)?,
        valid_from_ms: r.get::<_, i64>(3)?.max(0) as u64,
        valid_to_ms: r.get::<_, Option<i64>>(4)?.map(|t| t.max(0) as u64),
        label: r.get(5)?,
        cancelled: r.get(6)?,
    }))
}

fn label(raw: &str) -> Result<String, ApiError> {
    let l = raw.trim();
    if l.is_empty() || l.len() > MAX_TEXT || l.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "label must be 1-{MAX_TEXT} bytes of printable text"
        )));
    }
    Ok(l.to_owned())
}

/// Schedule a price for SKUs or a whole style (one rule per SKU).
#[utoipa::path(
    post, path = "/api/v1/price-rules", tag = "catalog",
    request_body = PriceRuleInput,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Rules stored; PriceRule ops sent to every till", body = [PriceRuleJson]),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not head office", body = ErrorBody),
        (status = 404, description = "Unknown SKU or style", body = ErrorBody),
    )
)]
pub async fn create_price_rules(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<PriceRuleInput>,
) -> Result<(StatusCode, axum::Json<Vec<PriceRuleJson>>), ApiError> {
    hq.require_hq()?;
    if !(0..=MAX_AMOUNT).contains(&req.price) {
        return Err(ApiError::invalid(format!(
            "price {} out of range 0..={MAX_AMOUNT}",
            req.price
        )));
    }
    if let Some(to) = req.valid_to_ms
        && to <= req.valid_from_ms
    {
        return Err(ApiError::invalid("valid_to_ms must be after valid_from_ms"));
    }
    if req.valid_from_ms > i64::MAX as u64 || req.valid_to_ms.is_some_and(|t| t > i64::MAX as u64) {
        return Err(ApiError::invalid("times must be ms since the epoch"));
    }
    let label = label(&req.label)?;
    enum Target {
        Skus(Vec<Sku>),
        Style(String),
    }
    let target = match (req.skus, req.style.filter(|s| !s.trim().is_empty())) {
        (Some(skus), None) => {
            if skus.is_empty() || skus.len() > MAX_RULE_SKUS {
                return Err(ApiError::invalid(format!(
                    "skus must list 1-{MAX_RULE_SKUS} SKUs"
                )));
            }
            let mut parsed = skus
                .iter()
                .map(|s| s.trim().parse::<Sku>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            parsed.sort();
            parsed.dedup();
            Target::Skus(parsed)
        }
        (None, Some(style)) => Target::Style(style.trim().to_owned()),
        _ => return Err(ApiError::invalid("give either skus or style")),
    };
    let (price, from, to) = (req.price, req.valid_from_ms, req.valid_to_ms);
    let weight = match &target {
        Target::Skus(s) => s.len(),
        Target::Style(_) => 100,
    };
    let hq2 = hq.clone();
    let rules = state
        .writer
        .call(weight, move |ap| {
            let skus: Vec<Sku> = match target {
                Target::Skus(skus) => {
                    let mut exists = ap
                        .conn
                        .prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?;
                    let missing: Vec<String> = skus
                        .iter()
                        .filter(|s| !exists.exists([s.as_str()]).unwrap_or(false))
                        .take(10)
                        .map(|s| s.to_string())
                        .collect();
                    if !missing.is_empty() {
                        return Err(HubError::rejected(
                            404,
                            "unknown_sku",
                            format!("no product {}", missing.join(", ")),
                        ));
                    }
                    skus
                }
                Target::Style(style) => {
                    let mut st = ap
                        .conn
                        .prepare_cached("SELECT sku FROM product WHERE style = ?1 ORDER BY sku")?;
                    let skus: Vec<String> = st
                        .query_map([&style], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    if skus.is_empty() {
                        return Err(HubError::rejected(
                            404,
                            "unknown_style",
                            format!("no product of style {style:?}"),
                        ));
                    }
                    skus.iter()
                        .map(|s| s.parse::<Sku>())
                        .collect::<Result<_, _>>()?
                }
            };
            let mut out = Vec::with_capacity(skus.len());
            for sku in skus {
                let rule = PriceRule {
                    id: Uuid::now_v7(),
                    sku,
                    price,
                    valid_from_ms: from,
                    valid_to_ms: to,
                    label: label.clone(),
                    cancelled: false,
                };
                ap.hub_op(Scope::Catalog, OpBody::PriceRule(rule.clone()))?;
                out.push(rule);
            }
            let targets: Vec<String> = out.iter().map(|r| r.sku.to_string()).collect();
            audit::record(ap.conn,
                &hq2,
                actions::PRICE_RULE_CREATE,
                &targets.join(","),
                serde_json::json!({"price": price, "valid_from_ms": from, "valid_to_ms": to, "label": label, "rules": out.len()}),
            )?;
            Ok(out)
        })
        .await?;
    let now = now_ms();
    tracing::info!(user = %hq.username, rules = rules.len(), "price rules stored");
    Ok((
        StatusCode::CREATED,
        axum::Json(
            rules
                .iter()
                .map(|r| PriceRuleJson::from_rule(r, now))
                .collect(),
        ),
    ))
}

/// Filter of the price-rule list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceRulesQuery {
    /// Only rules of this SKU.
    pub sku: Option<String>,
    /// Only rules that apply at this moment (ms since epoch).
    pub active_at: Option<u64>,
    /// Also list cancelled rules (default false).
    pub include_cancelled: Option<bool>,
    /// Page size (default 500, at most 5000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// List price rules, newest start first.
#[utoipa::path(
    get, path = "/api/v1/price-rules", tag = "catalog",
    params(PriceRulesQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Rules", body = [PriceRuleJson]),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_price_rules(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<PriceRulesQuery>,
) -> Result<axum::Json<Vec<PriceRuleJson>>, ApiError> {
    hq.require_console()?;
    let sku = sku_param(q.sku)?;
    let limit = page_limit(q.limit, 500, 5000)?;
    let offset = q.offset.unwrap_or(0);
    let at = q.active_at.map(|t| t.min(i64::MAX as u64) as i64);
    let with_cancelled = q.include_cancelled.unwrap_or(false);
    let rules = state
        .reads
        .read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {RULE_COLUMNS} FROM price_rule
                 WHERE (?1 IS NULL OR sku = ?1)
                   AND (?2 IS NULL OR (cancelled = 0 AND valid_from_ms <= ?2
                                       AND (valid_to_ms IS NULL OR valid_to_ms > ?2)))
                   AND (?3 OR cancelled = 0)
                 ORDER BY valid_from_ms DESC, id LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = st.query_map(params![sku, at, with_cancelled, limit, offset], |r| {
                rule_from_row(r)
            })?;
            let mut out = Vec::new();
            for r in rows {
                if let Some(r) = r? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await?;
    let now = now_ms();
    Ok(axum::Json(
        rules
            .iter()
            .map(|r| PriceRuleJson::from_rule(r, now))
            .collect(),
    ))
}

/// Cancel a price rule (tills stop applying it, offline too once synced).
#[utoipa::path(
    post, path = "/api/v1/price-rules/{id}/cancel", tag = "catalog",
    params(("id" = String, Path, description = "Rule id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Cancelled", body = PriceRuleJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such rule", body = ErrorBody),
              (status = 409, description = "Already cancelled", body = ErrorBody))
)]
pub async fn cancel_price_rule(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<PriceRuleJson>, ApiError> {
    hq.require_hq()?;
    let id: Uuid = id
        .parse()
        .map_err(|_| ApiError::invalid(format!("{id:?} is not a rule id (UUID)")))?;
    let hq2 = hq.clone();
    let rule = state
        .writer
        .call(1, move |ap| {
            let found = ap
                .conn
                .prepare_cached(&format!(
                    "SELECT {RULE_COLUMNS} FROM price_rule WHERE id = ?1"
                ))?
                .query_row([id.as_bytes().as_slice()], rule_from_row)
                .optional()?
                .flatten();
            let Some(mut rule) = found else {
                return Err(HubError::rejected(
                    404,
                    "unknown_price_rule",
                    format!("no price rule {id}"),
                ));
            };
            if rule.cancelled {
                return Err(HubError::rejected(
                    409,
                    "already_cancelled",
                    format!("price rule {id} is already cancelled"),
                ));
            }
            rule.cancelled = true;
            ap.hub_op(Scope::Catalog, OpBody::PriceRule(rule.clone()))?;
            audit::record(
                ap.conn,
                &hq2,
                actions::PRICE_RULE_CANCEL,
                &id.to_string(),
                serde_json::json!({"sku": rule.sku.as_str()}),
            )?;
            Ok(rule)
        })
        .await?;
    tracing::info!(user = %hq.username, %id, "price rule cancelled");
    Ok(axum::Json(PriceRuleJson::from_rule(&rule, now_ms())))
}
