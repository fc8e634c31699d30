//! Stores, enrolment and the till fleet: `POST/GET /api/v1/stores`,
//! `POST /api/v1/stores/{code}/enrolment-codes`, `POST /api/v1/enrol`,
//! `POST /api/v1/sync/known-records`, `POST /api/v1/tills/{actor}/revoke`
//! (the fleet view is in [`super::fleet`]).
//!
//! Creating stores, issuing enrolment codes and revoking tills are hq_admin
//! actions, each with an audit entry in the same writer job; a store
//! manager lists only their own store.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::enrol::{EnrolRequest, EnrolResponse};
use sync_proto::{ActorId, LocationId, PROTOCOL_VERSION};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{DeviceAuth, Hq};
use super::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::audit::{self, actions};
use crate::auth::{new_enrolment_code, normalise_enrolment_code, random_token, secret_hash};
use crate::fleet::{self, Till};
use crate::{AppState, HubError, now_ms};

/// A new store or warehouse.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateStore {
    /// Location code: 2-16 characters A-Z, 0-9, '-' (e.g. `GN01`); a store's at most 13 and
    /// not starting with `TR-` (in-transit locations are `TR-<store>`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// `store` or `warehouse`.
    pub kind: String,
    /// ISO 4217 currency of its prices (default `KRW`).
    pub currency: Option<String>,
    /// Region (e.g. `Seoul`), 1-64 characters.
    pub region: Option<String>,
    /// Latitude (WGS 84), -90..=90.
    pub lat: Option<f64>,
    /// Longitude (WGS 84), -180..=180.
    pub lon: Option<f64>,
}

/// A store or warehouse.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Store {
    /// Location code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// `store` or `warehouse`.
    pub kind: String,
    /// Currency.
    pub currency: String,
    /// Creation time (ms since epoch).
    #[ts(type = "number")]
    pub created_at_ms: u64,
    /// Tills enrolled so far (incl. revoked).
    pub tills: u32,
    /// Region.
    pub region: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
}

fn read_store(c: &rusqlite::Connection, code: &str) -> Result<Option<Store>, HubError> {
    Ok(c.prepare_cached(
        "SELECT code, name, kind, currency, created_at_ms, next_till_no - 1, region, lat, lon FROM stores WHERE code = ?1",
    )?
    .query_row([code], store_row)
    .optional()?)
}

fn store_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Store> {
    Ok(Store {
        code: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        currency: r.get(3)?,
        created_at_ms: r.get::<_, i64>(4)? as u64,
        tills: r.get(5)?,
        region: r.get(6)?,
        lat: r.get(7)?,
        lon: r.get(8)?,
    })
}

/// Create a store or warehouse.
#[utoipa::path(
    post, path = "/api/v1/stores", tag = "stores",
    request_body = CreateStore,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Created", body = Store),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an hq_admin", body = ErrorBody),
        (status = 409, description = "The code exists", body = ErrorBody),
    )
)]
pub async fn create_store(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateStore>,
) -> Result<(StatusCode, axum::Json<Store>), ApiError> {
    hq.require_hq_admin()?;
    let region = match req.region.map(|r| r.trim().to_owned()) {
        Some(r) if r.is_empty() || r.chars().count() > 64 => {
            return Err(ApiError::invalid("region must be 1-64 characters"));
        }
        other => other,
    };
    match (req.lat, req.lon) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(ApiError::invalid("lat must be -90..=90 and lon -180..=180"));
            }
        }
        (None, None) => {}
        _ => return Err(ApiError::invalid("give both lat and lon, or neither")),
    }
    let (lat, lon) = (req.lat, req.lon);
    let who = hq.clone();
    let code: LocationId = req
        .code
        .trim()
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name must be 1-100 characters"));
    }
    if req.kind != "store" && req.kind != "warehouse" {
        return Err(ApiError::invalid(format!(
            "kind {:?} is not one of \"store\", \"warehouse\"",
            req.kind
        )));
    }
    if code.is_in_transit() {
        return Err(ApiError::invalid(format!(
            "{code}: codes starting with TR- name the in-transit locations of deliveries"
        )));
    }
    if req.kind == "store" && !code.has_own_transit() {
        return Err(ApiError::invalid(format!(
            "a store code has at most {} characters (its deliveries travel in TR-<code>)",
            sync_proto::logistics::MAX_TRANSIT_STORE_CODE
        )));
    }
    let currency = req.currency.unwrap_or_else(|| "KRW".into());
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::invalid(format!(
            "currency {currency:?} is not an ISO 4217 code like \"KRW\""
        )));
    }
    let kind = req.kind;
    let store = state
        .writer
        .call(1, move |ap| {
            let n = ap.conn.execute(
                "INSERT INTO stores (code, name, kind, currency, created_at_ms, region, lat, lon)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (code) DO NOTHING",
                params![code.as_str(), name, kind, currency, now_ms() as i64, region, lat, lon],
            )?;
            if n == 0 {
                return Err(HubError::rejected(
                    409,
                    "store_exists",
                    format!("a location with code {code} exists"),
                ));
            }
            let store = read_store(ap.conn, code.as_str())?
                .ok_or_else(|| HubError::Internal("store vanished".into()))?;
            audit::record(
                ap.conn,
                &who,
                actions::STORE_CREATE,
                &store.code,
                serde_json::json!({"name": store.name, "kind": store.kind, "currency": store.currency, "region": store.region}),
            )?;
            Ok(store)
        })
        .await?;
    tracing::info!(user = %hq.username, store = %store.code, kind = %store.kind, "store created");
    Ok((StatusCode::CREATED, axum::Json(store)))
}

/// List stores and warehouses.
#[utoipa::path(
    get, path = "/api/v1/stores", tag = "stores",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "All locations", body = [Store]),
              (status = 401, description = "Not logged in", body = ErrorBody))
)]
pub async fn list_stores(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::Json<Vec<Store>>, ApiError> {
    let only = hq.scope_store(None)?;
    let stores = state
        .reads
        .read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT code, name, kind, currency, created_at_ms, next_till_no - 1, region, lat, lon
                 FROM stores WHERE (?1 IS NULL OR code = ?1) ORDER BY code",
            )?;
            let rows = stmt.query_map([only], store_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(axum::Json(stores))
}

/// Options of a new enrolment code.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateEnrolmentCode {
    /// Minutes until it expires (1..=10080, default 60).
    pub ttl_minutes: Option<u32>,
}

/// A one-time enrolment code.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct EnrolmentCode {
    /// The code to type on the till (shown once).
    pub code: String,
    /// The store the till will belong to.
    pub store: String,
    /// Expiry (ms since epoch).
    #[ts(type = "number")]
    pub expires_at_ms: u64,
}

/// Issue a one-time, expiring enrolment code for a store.
#[utoipa::path(
    post, path = "/api/v1/stores/{code}/enrolment-codes", tag = "stores",
    params(("code" = String, Path, description = "Store code")),
    request_body(content = CreateEnrolmentCode, description = "Optional; `{}` for defaults"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Issued", body = EnrolmentCode),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an hq_admin", body = ErrorBody),
        (status = 404, description = "No such store", body = ErrorBody),
    )
)]
pub async fn create_enrolment_code(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(code): ApiPath<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, axum::Json<EnrolmentCode>), ApiError> {
    hq.require_hq_admin()?;
    let body = body?;
    let req: CreateEnrolmentCode = if body.iter().all(u8::is_ascii_whitespace) {
        CreateEnrolmentCode::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_body", format!("invalid JSON body: {e}")))?
    };
    let ttl = req.ttl_minutes.unwrap_or(60);
    if !(1..=10_080).contains(&ttl) {
        return Err(ApiError::invalid("ttl_minutes must be 1..=10080"));
    }
    let store: LocationId = code
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let enrol_code = new_enrolment_code();
    let hash = secret_hash(&normalise_enrolment_code(&enrol_code));
    let now = now_ms();
    let expires = now + u64::from(ttl) * 60_000;
    let store2 = store.clone();
    let who = hq.clone();
    state
        .writer
        .call(1, move |ap| {
            if read_store(ap.conn, store2.as_str())?.is_none() {
                return Err(HubError::rejected(404, "unknown_store", format!("no store {store2}")));
            }
            ap.conn.execute(
                "INSERT INTO enrolment_codes (code_hash, store, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![hash.as_slice(), store2.as_str(), now as i64, expires as i64],
            )?;
            audit::record(
                ap.conn,
                &who,
                actions::ENROLMENT_CODE_CREATE,
                store2.as_str(),
                serde_json::json!({"ttl_minutes": ttl, "expires_at_ms": expires}),
            )?;
            Ok(())
        })
        .await?;
    tracing::info!(user = %hq.username, %store, ttl_minutes = ttl, "enrolment code issued");
    Ok((
        StatusCode::CREATED,
        axum::Json(EnrolmentCode {
            code: enrol_code,
            store: store.to_string(),
            expires_at_ms: expires,
        }),
    ))
}

/// Documentation shape of `sync_proto::enrol::EnrolRequest`.
#[derive(ToSchema)]
#[schema(as = EnrolRequest)]
#[allow(dead_code)]
pub struct EnrolRequestDoc {
    /// The one-time code.
    code: String,
    /// Till software version.
    app_version: String,
}

/// Documentation shape of `sync_proto::enrol::EnrolResponse`.
#[derive(ToSchema)]
#[schema(as = EnrolResponse)]
#[allow(dead_code)]
pub struct EnrolResponseDoc {
    /// The till's new actor id (UUID).
    actor: String,
    /// Device credential for `Authorization: Bearer` on `/sync/v1` (shown once).
    credential: String,
    /// Store code.
    store: String,
    /// Store name.
    store_name: String,
    /// Till number within the store, never reused.
    till_no: u32,
    /// Currency.
    currency: String,
    /// Sync protocol version.
    proto: u16,
}

/// Enrol a till with a one-time code (no user login: the code is the authorisation).
#[utoipa::path(
    post, path = "/api/v1/enrol", tag = "sync",
    request_body = EnrolRequestDoc,
    responses(
        (status = 200, description = "Enrolled", body = EnrolResponseDoc),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Unknown code", body = ErrorBody),
        (status = 410, description = "Code used or expired", body = ErrorBody),
    )
)]
pub async fn enrol(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<axum::Json<EnrolResponse>, ApiError> {
    if req.app_version.len() > 64 {
        return Err(ApiError::invalid("app_version is at most 64 characters"));
    }
    let code = normalise_enrolment_code(&req.code);
    if code.is_empty() || code.len() > 64 {
        return Err(ApiError::unauthorized("unknown enrolment code"));
    }
    let hash = secret_hash(&code);
    let credential = random_token();
    let cred_hash = secret_hash(&credential);
    let actor = ActorId::new_random();
    let app_version = req.app_version;
    let resp = state
        .writer
        .call(1, move |ap| {
            let now = now_ms();
            let row: Option<(String, i64, Option<i64>)> = ap
                .conn
                .query_row(
                    "SELECT store, expires_at_ms, used_at_ms FROM enrolment_codes WHERE code_hash = ?1",
                    [hash.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((store, expires, used)) = row else {
                return Err(HubError::rejected(401, "unknown_code", "unknown enrolment code"));
            };
            if used.is_some() {
                return Err(HubError::rejected(
                    410,
                    "code_used",
                    "this enrolment code has already been used; ask HQ for a new one",
                ));
            }
            if expires as u64 <= now {
                return Err(HubError::rejected(
                    410,
                    "code_expired",
                    "this enrolment code has expired; ask HQ for a new one",
                ));
            }
            let (name, currency, till_no): (String, String, u32) = ap.conn.query_row(
                "SELECT name, currency, next_till_no FROM stores WHERE code = ?1",
                [&store],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            ap.conn.execute(
                "INSERT INTO devices (actor, store, till_no, credential_hash, app_version, enrolled_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    actor.0.as_bytes().as_slice(),
                    store,
                    till_no,
                    cred_hash.as_slice(),
                    app_version,
                    now as i64
                ],
            )?;
            ap.conn.execute(
                "UPDATE stores SET next_till_no = next_till_no + 1 WHERE code = ?1",
                [&store],
            )?;
            ap.conn.execute(
                "UPDATE enrolment_codes SET used_at_ms = ?2, used_by = ?3 WHERE code_hash = ?1",
                params![hash.as_slice(), now as i64, actor.0.as_bytes().as_slice()],
            )?;
            Ok(EnrolResponse {
                actor,
                credential,
                store: store.parse()?,
                store_name: name,
                till_no,
                currency,
                proto: PROTOCOL_VERSION,
            })
        })
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "enrolment refused");
            return Err(e.into());
        }
    };
    tracing::info!(actor = %resp.actor, store = %resp.store, till_no = resp.till_no, "till enrolled");
    Ok(axum::Json(resp))
}

/// Sale / return ids a till asks about.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KnownRecordsRequest {
    /// Record ids (at most 10,000).
    pub ids: Vec<Uuid>,
}

/// The ids the hub already holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnownRecordsResponse {
    /// Known ids (sales or returns).
    pub known: Vec<Uuid>,
}

/// Which of these sale / return ids does the hub hold? (device credential)
#[utoipa::path(
    post, path = "/api/v1/sync/known-records", tag = "sync",
    request_body = KnownRecordsRequest,
    security(("device" = [])),
    responses(
        (status = 200, description = "Known ids", body = KnownRecordsResponse),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Unknown device", body = ErrorBody),
    )
)]
pub async fn known_records(
    State(state): State<Arc<AppState>>,
    DeviceAuth(_device): DeviceAuth,
    ApiJson(req): ApiJson<KnownRecordsRequest>,
) -> Result<axum::Json<KnownRecordsResponse>, ApiError> {
    if req.ids.len() > 10_000 {
        return Err(ApiError::invalid("at most 10000 ids per request"));
    }
    let known = state
        .reads
        .read(move |c| {
            let mut sale = c.prepare_cached("SELECT 1 FROM sales WHERE id = ?1")?;
            let mut ret = c.prepare_cached("SELECT 1 FROM returns WHERE id = ?1")?;
            let mut known = Vec::new();
            for id in req.ids {
                let b = id.as_bytes().as_slice();
                if sale.exists([b])? || ret.exists([b])? {
                    known.push(id);
                }
            }
            Ok(known)
        })
        .await?;
    Ok(axum::Json(KnownRecordsResponse { known }))
}

/// Revoke a till's credential: it can no longer sync (401) and must enrol again.
#[utoipa::path(
    post, path = "/api/v1/tills/{actor}/revoke", tag = "tills",
    params(("actor" = String, Path, description = "Actor id of the till")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Revoked", body = Till),
              (status = 400, description = "Not an actor id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not an hq_admin", body = ErrorBody),
              (status = 404, description = "No such till", body = ErrorBody))
)]
pub async fn revoke_till(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(actor): ApiPath<String>,
) -> Result<axum::Json<Till>, ApiError> {
    hq.require_hq_admin()?;
    let who = hq.clone();
    let actor: ActorId = actor
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let till = state
        .writer
        .call(1, move |ap| {
            let n = ap.conn.execute(
                "UPDATE devices SET revoked = 1 WHERE actor = ?1",
                [actor.0.as_bytes().as_slice()],
            )?;
            if n == 0 {
                return Err(HubError::rejected(
                    404,
                    "unknown_till",
                    format!("no till {actor}"),
                ));
            }
            let till = fleet::read_tills(ap.conn, None, Some(&actor))?
                .pop()
                .ok_or_else(|| HubError::Internal("till vanished".into()))?;
            audit::record(
                ap.conn,
                &who,
                actions::TILL_REVOKE,
                &till.actor,
                serde_json::json!({"store": till.store, "till_no": till.till_no}),
            )?;
            ap.emit(crate::events::Event::Till(till.clone()));
            Ok(till)
        })
        .await?;
    // Its connection closes at once; it must enrol again.
    state.live.kick(&actor);
    tracing::warn!(user = %hq.username, %actor, "till credential revoked");
    Ok(axum::Json(till))
}
