//! HQ authentication: `POST /api/v1/auth/login`, the [`Hq`] extractor
//! (bearer token or session cookie) and the device-credential extractor
//! [`DeviceAuth`].
//!
//! Sessions are random tokens; the database keeps their SHA-256. Valid
//! sessions are cached in memory so that hot read endpoints do not touch
//! SQLite for authentication.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiJson};
use crate::auth::{SESSION_COOKIE, random_token, secret_hash, verify_password};
use crate::sync_ws::{Device, authenticate_device, bearer};
use crate::{AppState, HubError, now_ms};

const CACHE_MAX: usize = 10_000;

/// A valid session.
#[derive(Debug, Clone)]
pub struct Hq {
    /// User id.
    pub user_id: i64,
    /// User name.
    pub username: String,
    /// Role (`hq_admin`, …).
    pub role: String,
    expires_at_ms: u64,
}

/// Valid sessions by token hash.
#[derive(Default)]
pub struct SessionCache {
    map: RwLock<HashMap<[u8; 32], Hq>>,
}

impl SessionCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Hq> {
        self.map.read().get(hash).cloned()
    }

    fn put(&self, hash: [u8; 32], hq: Hq) {
        let mut map = self.map.write();
        if map.len() >= CACHE_MAX {
            let now = now_ms();
            map.retain(|_, s| s.expires_at_ms > now);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(hash, hq);
    }
}

fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<Arc<AppState>> for Hq {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .or_else(|| session_cookie(&parts.headers))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "log in first: send Authorization: Bearer <token> or the session cookie",
                )
            })?;
        let hash = secret_hash(token);
        let now = now_ms();
        if let Some(hq) = state.sessions.get(&hash)
            && hq.expires_at_ms > now
        {
            return Ok(hq);
        }
        let found = state
            .reads
            .read(move |c| {
                Ok(c.prepare_cached(
                    "SELECT u.id, u.username, u.role, s.expires_at_ms
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
                )?
                .query_row([hash.as_slice()], |r| {
                    Ok(Hq {
                        user_id: r.get(0)?,
                        username: r.get(1)?,
                        role: r.get(2)?,
                        expires_at_ms: r.get::<_, i64>(3)? as u64,
                    })
                })
                .optional()?)
            })
            .await?;
        match found {
            Some(hq) if hq.expires_at_ms > now => {
                state.sessions.put(hash, hq.clone());
                Ok(hq)
            }
            Some(_) => Err(ApiError::unauthorized(
                "the session has expired; log in again",
            )),
            None => Err(ApiError::unauthorized("unknown session token")),
        }
    }
}

/// A till authenticated by its device credential (`Authorization: Bearer`).
pub struct DeviceAuth(pub Device);

impl FromRequestParts<Arc<AppState>> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("a device credential is required"))?;
        match authenticate_device(state, credential).await? {
            Some(d) => Ok(DeviceAuth(d)),
            None => Err(ApiError::unauthorized(
                "unknown or revoked device credential",
            )),
        }
    }
}

/// Login request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// User name (`admin` on a fresh hub).
    pub username: String,
    /// Password.
    pub password: String,
}

/// Login answer; the token is also set as the `storelink_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token.
    pub token: String,
    /// User name.
    pub username: String,
    /// Role.
    pub role: String,
}

/// Log in with a user name and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; also sets the session cookie", body = LoginResponse),
        (status = 400, description = "Malformed request", body = super::error::ErrorBody),
        (status = 401, description = "Wrong user name or password", body = super::error::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    if req.username.is_empty() || req.username.len() > 128 || req.password.len() > 1024 {
        return Err(ApiError::invalid(
            "username must be 1-128 and password at most 1024 bytes",
        ));
    }
    let username = req.username.clone();
    let user = state
        .reads
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id, password_hash, role FROM users WHERE username = ?1",
                [username],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await?;
    let bad = || ApiError::unauthorized("invalid username or password");
    let Some((user_id, hash, role)) = user else {
        tracing::warn!(username = %req.username, "login with an unknown user name");
        return Err(bad());
    };
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| HubError::Internal(format!("password check failed: {e}")))?;
    if !ok {
        tracing::warn!(username = %req.username, "login with a wrong password");
        return Err(bad());
    }
    let token = random_token();
    let hash = secret_hash(&token);
    let now = now_ms();
    let expires = now + state.settings.session_ttl.as_millis() as u64;
    state
        .writer
        .call(1, move |ap| {
            ap.conn.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![hash.as_slice(), user_id, now as i64, expires as i64],
            )?;
            ap.conn.execute(
                "DELETE FROM sessions WHERE expires_at_ms < ?1",
                [now as i64],
            )?;
            Ok(())
        })
        .await?;
    state.sessions.put(
        hash,
        Hq {
            user_id,
            username: req.username.clone(),
            role: role.clone(),
            expires_at_ms: expires,
        },
    );
    tracing::info!(username = %req.username, "logged in");
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let mut resp = (
        StatusCode::OK,
        axum::Json(LoginResponse {
            token,
            username: req.username,
            role,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}
