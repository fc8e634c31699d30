//! HQ authentication and authorization: `POST /api/v1/auth/login`,
//! `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`, the session
//! extractors [`AnyUser`] (any role) and [`Hq`] (console roles only), the
//! role guards on [`Hq`], and the device-credential extractor [`DeviceAuth`].
//!
//! Sessions are random tokens; the database keeps their SHA-256. Valid
//! sessions are cached in memory so that hot read endpoints do not touch
//! SQLite for authentication; deactivating or changing a user drops their
//! cached sessions at once ([`SessionCache::forget_user`]).
//!
//! Default deny: [`Hq`] refuses cashiers and drivers with 403, so every
//! console endpoint that takes it is closed to them; handlers then narrow
//! with the guards (`require_hq_admin`, `require_store_access`, …).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiJson, ErrorBody};
use crate::accounts::{Role, UserRow, read_user_by_name};
use crate::audit::{self, actions};
use crate::auth::{SESSION_COOKIE, random_token, secret_hash, verify_password};
use crate::sync_ws::{Device, authenticate_device, bearer};
use crate::{AppState, HubError, now_ms};

const CACHE_MAX: usize = 10_000;

/// A valid session of an active user.
#[derive(Debug, Clone)]
pub struct Hq {
    /// User id.
    pub user_id: i64,
    /// User name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Store of a store role (`store_manager`, `cashier`).
    pub store: Option<String>,
    expires_at_ms: u64,
    token_hash: [u8; 32],
}

/// 403 `forbidden` with a reason.
pub fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

impl Hq {
    /// May use the console at all (not a cashier or driver). [`Hq`] already
    /// guarantees it; useful on an [`AnyUser`].
    pub fn require_console(&self) -> Result<(), ApiError> {
        match self.role {
            Role::HqAdmin | Role::HqStaff | Role::StoreManager => Ok(()),
            Role::Cashier | Role::Driver => Err(forbidden(format!(
                "a {} has no access to the HQ console",
                self.role
            ))),
        }
    }

    /// hq_admin only.
    pub fn require_hq_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::HqAdmin {
            Ok(())
        } else {
            Err(forbidden(format!(
                "only an hq_admin may do this (you are {})",
                self.role
            )))
        }
    }

    /// hq_admin or hq_staff (chain-wide HQ work: catalog, prices).
    pub fn require_hq(&self) -> Result<(), ApiError> {
        if self.role.is_hq() {
            Ok(())
        } else {
            Err(forbidden(format!(
                "only head office (hq_admin, hq_staff) may do this (you are {})",
                self.role
            )))
        }
    }

    /// hq_admin, hq_staff or store_manager (may change stock, send till
    /// commands); combine with [`Hq::require_store_access`].
    pub fn require_writer(&self) -> Result<(), ApiError> {
        self.require_console()
    }

    /// May see and act on `store` (HQ: every store; a store manager: their own).
    pub fn require_store_access(&self, store: &str) -> Result<(), ApiError> {
        if self.can_see_store(store) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "a store manager of {} may not access store {store}",
                self.store.as_deref().unwrap_or("no store")
            )))
        }
    }

    /// Does the role's scope include `store`?
    pub fn can_see_store(&self, store: &str) -> bool {
        match self.role {
            Role::HqAdmin | Role::HqStaff => true,
            Role::StoreManager => self.store.as_deref() == Some(store),
            Role::Cashier | Role::Driver => false,
        }
    }

    /// The store filter to apply to a read: HQ gets what it asked for; a
    /// store manager gets their own store, and 403 when asking for another.
    pub fn scope_store(&self, requested: Option<String>) -> Result<Option<String>, ApiError> {
        match self.role {
            Role::HqAdmin | Role::HqStaff => Ok(requested),
            _ => {
                let own = self
                    .store
                    .clone()
                    .ok_or_else(|| forbidden("this account belongs to no store"))?;
                match requested {
                    Some(r) if r != own => Err(forbidden(format!(
                        "a store manager of {own} may not read store {r}"
                    ))),
                    _ => Ok(Some(own)),
                }
            }
        }
    }

    /// SHA-256 of this session's token.
    pub(crate) fn token_hash(&self) -> [u8; 32] {
        self.token_hash
    }

    /// The stores this user may see; `None` = all of them.
    pub fn visible_stores(&self) -> Option<Vec<String>> {
        if self.role.is_hq() {
            None
        } else {
            Some(self.store.iter().cloned().collect())
        }
    }
}

/// Valid sessions by token hash.
///
/// `generation` counts removals. A request that read a session from the
/// database caches it only if nothing was removed since it started reading
/// ([`SessionCache::put_if`]): otherwise a deactivation committed between
/// that read and the insert would leave the old session cached until it
/// expires.
#[derive(Default)]
pub struct SessionCache {
    map: RwLock<HashMap<[u8; 32], Hq>>,
    generation: std::sync::atomic::AtomicU64,
}

impl SessionCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Hq> {
        self.map.read().get(hash).cloned()
    }

    /// Take before reading a session from the database; pass to `put_if`.
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn bump(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Cache `hq` unless a session was removed since `seen` was taken.
    fn put_if(&self, seen: u64, hash: [u8; 32], hq: Hq) {
        let mut map = self.map.write();
        if self.generation() != seen {
            return;
        }
        if map.len() >= CACHE_MAX {
            let now = now_ms();
            map.retain(|_, s| s.expires_at_ms > now);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(hash, hq);
    }

    fn remove(&self, hash: &[u8; 32]) {
        let mut map = self.map.write();
        self.bump();
        map.remove(hash);
    }

    /// Drop every cached session of a user (deactivated or changed): the
    /// next request reads the database again.
    pub fn forget_user(&self, user_id: i64) {
        let mut map = self.map.write();
        self.bump();
        map.retain(|_, s| s.user_id != user_id);
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

/// The session of a request (bearer token or cookie), any role.
pub async fn session_of(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Hq, ApiError> {
    let token = bearer(headers)
        .or_else(|| session_cookie(headers))
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
    let seen = state.sessions.generation();
    let found = state
        .reads
        .read(move |c| {
            Ok(c.prepare_cached(
                "SELECT u.id, u.username, u.role, u.store, s.expires_at_ms
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND u.active = 1",
            )?
            .query_row([hash.as_slice()], |r| {
                let role: String = r.get(2)?;
                Ok(Hq {
                    user_id: r.get(0)?,
                    username: r.get(1)?,
                    // An unknown stored role gets no console access.
                    role: role.parse().unwrap_or(Role::Cashier),
                    store: r.get(3)?,
                    expires_at_ms: r.get::<_, i64>(4)? as u64,
                    token_hash: hash,
                })
            })
            .optional()?)
        })
        .await?;
    match found {
        Some(hq) if hq.expires_at_ms > now => {
            state.sessions.put_if(seen, hash, hq.clone());
            Ok(hq)
        }
        Some(_) => Err(ApiError::unauthorized(
            "the session has expired; log in again",
        )),
        None => Err(ApiError::unauthorized("unknown session token")),
    }
}

/// Did a browser send this request from a page of another origin?
///
/// `Sec-Fetch-Site` (set by the browser, not by page scripts) decides when
/// present: only `same-origin` and `none` (typed URL, bookmark) pass, so a
/// sibling subdomain — same *site*, where SameSite=Strict cookies still
/// travel — is refused too. Without it, an `Origin` must name this host.
/// Non-browser clients send neither and pass.
pub fn from_another_origin(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return false;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let authority = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    match (authority, host) {
        (Some(a), Some(h)) => !a.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// Middleware: a browser request from another origin may not change
/// anything. SameSite=Strict keeps the cookie off cross-site requests, and
/// JSON bodies need a preflight, but some endpoints take no body or CSV
/// (revoke, cancel, enrolment codes, import, logout), and a sibling
/// subdomain is the same site. Requests with an `Authorization` header
/// carry no ambient credential and are left alone.
pub async fn refuse_cross_origin_writes(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let headers = req.headers();
    if !safe
        && !headers.contains_key(axum::http::header::AUTHORIZATION)
        && from_another_origin(headers)
    {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "cross-origin write refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "requests from another origin may not change anything; use the console served by this hub",
        )
        .into_response();
    }
    next.run(req).await
}

/// Any logged-in active user, whatever the role (`/auth/me`, `/auth/logout`).
pub struct AnyUser(pub Hq);

impl FromRequestParts<Arc<AppState>> for AnyUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        session_of(state, &parts.headers).await.map(AnyUser)
    }
}

impl FromRequestParts<Arc<AppState>> for Hq {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let hq = session_of(state, &parts.headers).await?;
        hq.require_console()?;
        Ok(hq)
    }
}

/// The client's IP address (the TCP peer; proxies' headers are not trusted).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
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

/// The logged-in user.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Me {
    /// User id.
    #[ts(type = "number")]
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Store of a store role, else null.
    pub store: Option<String>,
}

impl From<UserRow> for Me {
    fn from(u: UserRow) -> Self {
        Me {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            store: u.store,
        }
    }
}

/// Login request.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LoginRequest {
    /// User name (`admin` on a fresh hub).
    pub username: String,
    /// Password.
    pub password: String,
}

/// Login answer; the token is also set as the `storelink_session` cookie.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LoginResponse {
    /// Bearer token.
    pub token: String,
    /// The user.
    pub user: Me,
    /// User name (same as `user.username`).
    pub username: String,
    /// Role (same as `user.role`).
    pub role: Role,
}

/// A password hash nobody knows, checked for unknown user names.
fn dummy_hash() -> Option<&'static str> {
    static HASH: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::auth::hash_password(&random_token()).ok())
        .as_deref()
}

/// The 429 answer: the JSON error with `retry_after_s`, and `Retry-After`.
fn too_many_attempts(retry_after_s: u64) -> Response {
    let body = serde_json::json!({
        "error": {
            "code": "too_many_attempts",
            "message": format!("too many failed logins; try again in {retry_after_s} s"),
            "retry_after_s": retry_after_s,
        }
    });
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_s));
    resp
}

/// Write the audit entry of a failed login (the throttle counted it in
/// [`crate::accounts::LoginThrottle::begin`]).
async fn login_failed(
    state: &AppState,
    username: &str,
    user_id: Option<i64>,
    ip: Option<IpAddr>,
    reason: &'static str,
) {
    tracing::warn!(%username, ?ip, reason, "login refused");
    let name = username.to_owned();
    let ip_text = ip.map(|i| i.to_string());
    let written = state
        .writer
        .call(1, move |ap| {
            audit::record_as(
                ap.conn,
                user_id,
                &name,
                actions::LOGIN_FAILED,
                &name,
                serde_json::json!({"reason": reason, "ip": ip_text}),
            )
        })
        .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not write the audit entry of a failed login");
    }
}

/// Log in with a user name and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; also sets the session cookie", body = LoginResponse),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Wrong user name or password (`bad_credentials`)", body = ErrorBody),
        (status = 403, description = "Cashier (`console_forbidden`) or deactivated account (`account_disabled`)", body = ErrorBody),
        (status = 429, description = "Too many failed logins (`too_many_attempts`, `error.retry_after_s`, `Retry-After`)", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    if req.username.is_empty() || req.username.len() > 128 || req.password.len() > 1024 {
        return Err(ApiError::invalid(
            "username must be 1-128 and password at most 1024 bytes",
        ));
    }
    // The attempt counts as failed from here until the password verifies.
    let begun = now_ms();
    if let Err(wait) = state.throttle.begin(&req.username, ip, begun) {
        tracing::warn!(username = %req.username, ?ip, wait, "login throttled");
        return Ok(too_many_attempts(wait));
    }
    let username = req.username.clone();
    let user = state
        .reads
        .read(move |c| read_user_by_name(c, &username))
        .await?;
    let bad = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "invalid username or password",
        )
    };
    let Some(user) = user else {
        // Same work as a wrong password, so timing does not reveal which names exist.
        let password = req.password;
        let _ = tokio::task::spawn_blocking(move || {
            verify_password(&password, dummy_hash().unwrap_or_default())
        })
        .await;
        login_failed(&state, &req.username, None, ip, "unknown user").await;
        return Err(bad());
    };
    let password = req.password;
    // An account without a password (a cashier) costs the same hashing
    // time, so timing does not tell which names are cashiers.
    let (hash, usable) = match user.password_hash.as_str() {
        "" => (dummy_hash().unwrap_or_default().to_owned(), false),
        h => (h.to_owned(), true),
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash) && usable)
        .await
        .map_err(|e| HubError::Internal(format!("password check failed: {e}")))?;
    if !ok {
        login_failed(&state, &req.username, Some(user.id), ip, "wrong password").await;
        return Err(bad());
    }
    if !user.active {
        login_failed(&state, &req.username, Some(user.id), ip, "deactivated").await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is deactivated; ask head office",
        ));
    }
    if user.role == Role::Cashier {
        login_failed(&state, &req.username, Some(user.id), ip, "cashier").await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "console_forbidden",
            "cashiers unlock a till with their PIN; the HQ console is not for cashiers",
        ));
    }
    state.throttle.succeed(&req.username, ip, begun);
    let token = random_token();
    let hash = secret_hash(&token);
    let now = now_ms();
    let expires = now + state.settings.session_ttl.as_millis() as u64;
    let user_id = user.id;
    let name = user.username.clone();
    let ip_text = ip.map(|i| i.to_string());
    let seen = state.sessions.generation();
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
            audit::record_as(
                ap.conn,
                Some(user_id),
                &name,
                actions::LOGIN_OK,
                &name,
                serde_json::json!({"ip": ip_text}),
            )
        })
        .await?;
    state.sessions.put_if(
        seen,
        hash,
        Hq {
            user_id,
            username: user.username.clone(),
            role: user.role,
            store: user.store.clone(),
            expires_at_ms: expires,
            token_hash: hash,
        },
    );
    tracing::info!(username = %user.username, role = %user.role, "logged in");
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let (username, role) = (user.username.clone(), user.role);
    let mut resp = (
        StatusCode::OK,
        axum::Json(LoginResponse {
            token,
            username,
            role,
            user: Me::from(user),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}

/// End this session: the token stops working at once and the cookie is cleared.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared"),
        (status = 401, description = "Not logged in", body = ErrorBody),
    )
)]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    AnyUser(me): AnyUser,
) -> Result<Response, ApiError> {
    let hash = me.token_hash;
    state.sessions.remove(&hash);
    state
        .writer
        .call(1, move |ap| {
            ap.conn.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                [hash.as_slice()],
            )?;
            Ok(())
        })
        .await?;
    state.sessions.remove(&hash);
    tracing::info!(username = %me.username, "logged out");
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static(
            "storelink_session=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/",
        ),
    );
    Ok(resp)
}

/// Who is logged in.
#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The user", body = Me),
        (status = 401, description = "Not logged in", body = ErrorBody),
    )
)]
pub async fn me(
    State(state): State<Arc<AppState>>,
    AnyUser(me): AnyUser,
) -> Result<axum::Json<Me>, ApiError> {
    let id = me.user_id;
    let user = state
        .reads
        .read(move |c| crate::accounts::read_user(c, id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    Ok(axum::Json(Me::from(user)))
}

/// A session for unit tests of guards.
#[cfg(test)]
pub(crate) fn test_hq(role: Role, store: Option<&str>) -> Hq {
    Hq {
        user_id: 1,
        username: "t".into(),
        role,
        store: store.map(str::to_owned),
        expires_at_ms: u64::MAX,
        token_hash: [0; 32],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_follow_the_role_matrix() {
        let admin = test_hq(Role::HqAdmin, None);
        let staff = test_hq(Role::HqStaff, None);
        let mgr = test_hq(Role::StoreManager, Some("GN01"));
        let driver = test_hq(Role::Driver, None);
        assert!(admin.require_hq_admin().is_ok());
        assert!(staff.require_hq_admin().is_err());
        assert!(staff.require_hq().is_ok());
        assert!(mgr.require_hq().is_err());
        assert!(mgr.require_store_access("GN01").is_ok());
        assert!(mgr.require_store_access("HD02").is_err());
        assert_eq!(mgr.scope_store(None).ok(), Some(Some("GN01".into())));
        assert!(mgr.scope_store(Some("HD02".into())).is_err());
        assert_eq!(staff.scope_store(None).ok(), Some(None));
        assert_eq!(mgr.visible_stores(), Some(vec!["GN01".to_owned()]));
        assert!(driver.require_console().is_err());
        assert!(!driver.can_see_store("GN01"));
    }

    #[test]
    fn a_session_read_before_a_deactivation_is_not_cached_after_it() {
        let cache = SessionCache::default();
        let mgr = test_hq(Role::StoreManager, Some("GN01"));
        // A request reads the session from the database…
        let seen = cache.generation();
        // …the user is deactivated and their sessions forgotten meanwhile…
        cache.forget_user(mgr.user_id);
        // …so the stale row it read must not land in the cache.
        cache.put_if(seen, [7; 32], mgr.clone());
        assert!(cache.get(&[7; 32]).is_none());
        let seen = cache.generation();
        cache.put_if(seen, [7; 32], mgr);
        assert!(cache.get(&[7; 32]).is_some());
    }
}
