//! Stores, enrolment and the till fleet: `POST/GET /api/v1/stores`,
//! `POST /api/v1/stores/{code}/enrolment-codes`, `POST /api/v1/enrol`,
//! `POST /api/v1/sync/known-records`, `GET /api/v1/tills`,
//! `POST /api/v1/tills/{actor}/revoke`.

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
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::auth::{new_enrolment_code, normalise_enrolment_code, random_token, secret_hash};
use crate::{AppState, HubError, now_ms};

/// A new store or warehouse.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateStore {
    /// Location code: 2-16 characters A-Z, 0-9, '-' (e.g. `GN01`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// `store` or `warehouse`.
    pub kind: String,
    /// ISO 4217 currency of its prices (default `KRW`).
    pub currency: Option<String>,
}

/// A store or warehouse.
#[derive(Debug, Serialize, ToSchema)]
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
    pub created_at_ms: u64,
    /// Tills enrolled so far (incl. revoked).
    pub tills: u32,
}

fn read_store(c: &rusqlite::Connection, code: &str) -> Result<Option<Store>, HubError> {
    Ok(c.prepare_cached(
        "SELECT code, name, kind, currency, created_at_ms, next_till_no - 1 FROM stores WHERE code = ?1",
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
        (status = 409, description = "The code exists", body = ErrorBody),
    )
)]
pub async fn create_store(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateStore>,
) -> Result<(StatusCode, axum::Json<Store>), ApiError> {
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
                "INSERT INTO stores (code, name, kind, currency, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (code) DO NOTHING",
                params![code.as_str(), name, kind, currency, now_ms() as i64],
            )?;
            if n == 0 {
                return Err(HubError::rejected(
                    409,
                    "store_exists",
                    format!("a location with code {code} exists"),
                ));
            }
            read_store(ap.conn, code.as_str())?
                .ok_or_else(|| HubError::Internal("store vanished".into()))
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
    _hq: Hq,
) -> Result<axum::Json<Vec<Store>>, ApiError> {
    let stores = state
        .reads
        .read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT code, name, kind, currency, created_at_ms, next_till_no - 1 FROM stores ORDER BY code",
            )?;
            let rows = stmt.query_map([], store_row)?;
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
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentCode {
    /// The code to type on the till (shown once).
    pub code: String,
    /// The store the till will belong to.
    pub store: String,
    /// Expiry (ms since epoch).
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
        (status = 404, description = "No such store", body = ErrorBody),
    )
)]
pub async fn create_enrolment_code(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(code): ApiPath<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, axum::Json<EnrolmentCode>), ApiError> {
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

/// A till in the fleet view.
#[derive(Debug, Serialize, ToSchema)]
pub struct TillInfo {
    /// Actor id.
    pub actor: String,
    /// Store code.
    pub store: String,
    /// Till number.
    pub till_no: u32,
    /// Software version.
    pub app_version: String,
    /// Enrolment time (ms).
    pub enrolled_at_ms: u64,
    /// Last contact (ms); now when online.
    pub last_seen_ms: Option<u64>,
    /// Connected now.
    pub online: bool,
    /// Highest seq stored at the hub.
    pub acked_seq: u64,
    /// Last downstream cursor the till acknowledged.
    pub cursor: u64,
    /// Unsent ops from its last Status.
    pub backlog: Option<u64>,
    /// Last error from its Status.
    pub last_error: Option<String>,
    /// Credential revoked.
    pub revoked: bool,
}

/// Filter of the fleet view.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct TillsQuery {
    /// Only this store.
    pub store: Option<String>,
}

fn read_tills(
    c: &rusqlite::Connection,
    store: Option<&str>,
    actor: Option<&[u8]>,
) -> Result<Vec<TillInfo>, HubError> {
    let mut stmt = c.prepare_cached(
        "SELECT actor, store, till_no, app_version, enrolled_at_ms, last_seen_ms, acked_seq, cursor,
                backlog, last_error, revoked
         FROM devices WHERE (?1 IS NULL OR store = ?1) AND (?2 IS NULL OR actor = ?2)
         ORDER BY store, till_no",
    )?;
    let rows = stmt.query_map(params![store, actor], |r| {
        let actor: Vec<u8> = r.get(0)?;
        Ok(TillInfo {
            actor: Uuid::from_slice(&actor)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            store: r.get(1)?,
            till_no: r.get(2)?,
            app_version: r.get(3)?,
            enrolled_at_ms: r.get::<_, i64>(4)? as u64,
            last_seen_ms: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
            online: false,
            acked_seq: r.get::<_, i64>(6)? as u64,
            cursor: r.get::<_, i64>(7)? as u64,
            backlog: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
            last_error: r.get(9)?,
            revoked: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn merge_live(state: &AppState, tills: &mut [TillInfo]) {
    let live = state.live.snapshot();
    let now = now_ms();
    for t in tills {
        let Ok(actor) = t.actor.parse::<ActorId>() else {
            continue;
        };
        if let Some(l) = live.get(&actor) {
            t.online = true;
            t.last_seen_ms = Some(now);
            t.cursor = t.cursor.max(l.cursor);
            if l.backlog.is_some() {
                t.backlog = l.backlog;
                t.last_error = l.last_error.clone();
            }
            t.app_version = l.app_version.clone();
        }
    }
}

/// The till fleet: actor, store, last seen, backlog.
#[utoipa::path(
    get, path = "/api/v1/tills", tag = "tills",
    params(TillsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Tills", body = [TillInfo]),
              (status = 401, description = "Not logged in", body = ErrorBody))
)]
pub async fn list_tills(
    State(state): State<Arc<AppState>>,
    _hq: Hq,
    ApiQuery(q): ApiQuery<TillsQuery>,
) -> Result<axum::Json<Vec<TillInfo>>, ApiError> {
    let mut tills = state
        .reads
        .read(move |c| read_tills(c, q.store.as_deref(), None))
        .await?;
    merge_live(&state, &mut tills);
    Ok(axum::Json(tills))
}

/// Revoke a till's credential: it can no longer sync (401) and must enrol again.
#[utoipa::path(
    post, path = "/api/v1/tills/{actor}/revoke", tag = "tills",
    params(("actor" = String, Path, description = "Actor id of the till")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Revoked", body = TillInfo),
              (status = 400, description = "Not an actor id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 404, description = "No such till", body = ErrorBody))
)]
pub async fn revoke_till(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(actor): ApiPath<String>,
) -> Result<axum::Json<TillInfo>, ApiError> {
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
            read_tills(ap.conn, None, Some(actor.0.as_bytes().as_slice()))?
                .pop()
                .ok_or_else(|| HubError::Internal("till vanished".into()))
        })
        .await?;
    state.live.kick(&actor);
    tracing::warn!(user = %hq.username, %actor, "till credential revoked");
    Ok(axum::Json(till))
}
