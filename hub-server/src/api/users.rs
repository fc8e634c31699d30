//! Accounts: `GET/POST /api/v1/users`, `PATCH /api/v1/users/{id}`.
//!
//! hq_admin manages everyone; a store manager manages the cashiers of their
//! own store; hq_staff may read the list but not change it. Passwords
//! (≥ 10 characters) and till PINs (4–8 digits) are stored as argon2id
//! hashes. Creating or changing a store manager or cashier writes a
//! `StaffSet` op to the store's scope in the same writer job (with the PIN
//! hash, so the store's tills unlock offline), and an audit entry.
//! Deactivating a user ends their sessions at once; a new password ends
//! every session of the account but the caller's own.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{Hq, forbidden};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::accounts::{Role, UserRow, list_users, read_user, write_staff_op};
use crate::audit::{self, actions};
use crate::auth::hash_password;
use crate::{AppState, HubError, now_ms};

/// An account as the console shows it (never its secrets).
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct User {
    /// Id.
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
    /// May log in / unlock tills.
    pub active: bool,
    /// A till PIN is set.
    pub has_pin: bool,
    /// Creation time (ms since epoch).
    #[ts(type = "number")]
    pub created_at_ms: u64,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> Self {
        User {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            store: u.store,
            active: u.active,
            has_pin: u.pin_hash.is_some(),
            created_at_ms: u.created_at_ms,
        }
    }
}

/// Filter of the user list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only this store's people.
    pub store: Option<String>,
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CreateUser {
    /// Login name: 3-64 characters a-z, 0-9, '.', '_', '-'.
    pub username: String,
    /// Shown name (1-100 characters).
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Store (required for store_manager and cashier, refused otherwise).
    #[ts(optional)]
    pub store: Option<String>,
    /// Password, at least 10 characters (required except for cashiers).
    #[ts(optional)]
    pub password: Option<String>,
    /// Till PIN, 4-8 digits (store roles only).
    #[ts(optional)]
    pub pin: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct UpdateUser {
    /// Shown name.
    #[ts(optional)]
    pub display_name: Option<String>,
    /// New password (≥ 10 characters).
    #[ts(optional)]
    pub password: Option<String>,
    /// New till PIN (4-8 digits).
    #[ts(optional)]
    pub pin: Option<String>,
    /// `false` deactivates: no login, sessions end, tills refuse the PIN.
    #[ts(optional)]
    pub active: Option<bool>,
    /// New store (store roles).
    #[ts(optional)]
    pub store: Option<String>,
    /// New role.
    #[ts(optional)]
    pub role: Option<Role>,
}

fn check_username(u: &str) -> Result<(), ApiError> {
    let ok = (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "username {u:?} must be 3-64 characters a-z, 0-9, '.', '_', '-'"
        )))
    }
}

fn check_display_name(n: &str) -> Result<String, ApiError> {
    let n = n.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(ApiError::invalid("display_name must be 1-100 characters"));
    }
    Ok(n.to_owned())
}

fn check_password(p: &str) -> Result<(), ApiError> {
    if p.chars().count() < 10 || p.len() > 1024 {
        return Err(ApiError::invalid(
            "password must be at least 10 characters (at most 1024 bytes)",
        ));
    }
    Ok(())
}

fn check_pin(p: &str) -> Result<(), ApiError> {
    if !(4..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("pin must be 4-8 digits"));
    }
    Ok(())
}

/// Is the store role / store combination right? Returns the store to keep.
fn check_store_for_role(role: Role, store: Option<String>) -> Result<Option<String>, ApiError> {
    match (role.is_store_role(), store) {
        (true, Some(s)) => {
            let s: sync_proto::LocationId = s
                .parse()
                .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
            Ok(Some(s.to_string()))
        }
        (true, None) => Err(ApiError::invalid(format!("a {role} needs a store"))),
        (false, Some(_)) => Err(ApiError::invalid(format!(
            "a {role} does not belong to a store: leave store out"
        ))),
        (false, None) => Ok(None),
    }
}

/// What a store manager may do to an account: only cashiers of their store.
fn manager_may_manage(hq: &Hq, role: Role, store: Option<&str>) -> Result<(), ApiError> {
    match hq.role {
        Role::HqAdmin => Ok(()),
        Role::StoreManager => {
            if role == Role::Cashier && store.is_some() && store == hq.store.as_deref() {
                Ok(())
            } else {
                Err(forbidden(
                    "a store manager manages only the cashiers of their own store",
                ))
            }
        }
        _ => Err(forbidden(format!("a {} may not manage accounts", hq.role))),
    }
}

fn require_store_exists(conn: &rusqlite::Connection, store: &str) -> Result<(), HubError> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM stores WHERE code = ?1")?
        .query_row([store], |r| r.get(0))
        .optional()?;
    match kind.as_deref() {
        Some("store") => Ok(()),
        Some(_) => Err(HubError::rejected(
            400,
            "invalid_input",
            format!("{store} is a warehouse, not a store"),
        )),
        None => Err(HubError::rejected(
            404,
            "unknown_store",
            format!("no store {store}"),
        )),
    }
}

async fn hash_blocking(secret: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(secret) = secret else {
        return Ok(None);
    };
    let hash = tokio::task::spawn_blocking(move || hash_password(&secret))
        .await
        .map_err(|e| HubError::Internal(format!("hashing failed: {e}")))??;
    Ok(Some(hash))
}

/// List accounts (a store manager sees their store's people).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    params(UsersQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Accounts", body = [User]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store, or no console access", body = ErrorBody))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Result<axum::Json<Vec<User>>, ApiError> {
    let store = hq.scope_store(q.store.filter(|s| !s.is_empty()))?;
    let users = state
        .reads
        .read(move |c| list_users(c, store.as_deref()))
        .await?;
    Ok(axum::Json(users.into_iter().map(User::from).collect()))
}

/// Create an account.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    request_body = CreateUser,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Created", body = User),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not allowed to create this account", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody),
              (status = 409, description = "The user name exists", body = ErrorBody))
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<(StatusCode, axum::Json<User>), ApiError> {
    let store = check_store_for_role(req.role, req.store.filter(|s| !s.is_empty()))?;
    manager_may_manage(&hq, req.role, store.as_deref())?;
    check_username(&req.username)?;
    let display_name = check_display_name(&req.display_name)?;
    match &req.password {
        Some(p) => check_password(p)?,
        None if req.role != Role::Cashier => {
            return Err(ApiError::invalid(format!(
                "a {} needs a password (at least 10 characters)",
                req.role
            )));
        }
        None => {}
    }
    if let Some(pin) = &req.pin {
        if !req.role.is_store_role() {
            return Err(ApiError::invalid(
                "only store managers and cashiers have a till PIN",
            ));
        }
        check_pin(pin)?;
    }
    let password_hash = hash_blocking(req.password).await?.unwrap_or_default();
    let pin_hash = hash_blocking(req.pin).await?;
    let role = req.role;
    let username = req.username;
    let who = hq.clone();
    let user = state
        .writer
        .call(2, move |ap| {
            if let Some(s) = &store {
                require_store_exists(ap.conn, s)?;
            }
            let staff_id = role.is_store_role().then(Uuid::now_v7);
            let now = now_ms() as i64;
            let n = ap.conn.execute(
                "INSERT INTO users (username, password_hash, role, created_at_ms, display_name, store, active, pin_hash, staff_id, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?4) ON CONFLICT (username) DO NOTHING",
                params![
                    username,
                    password_hash,
                    role.as_str(),
                    now,
                    display_name,
                    store,
                    pin_hash,
                    staff_id.map(|u| u.as_bytes().to_vec())
                ],
            )?;
            if n == 0 {
                return Err(HubError::rejected(
                    409,
                    "user_exists",
                    format!("a user named {username} exists"),
                ));
            }
            let id = ap.conn.last_insert_rowid();
            let user = read_user(ap.conn, id)?
                .ok_or_else(|| HubError::Internal("user vanished".into()))?;
            if let Some(s) = &user.store
                && role.is_store_role()
            {
                write_staff_op(ap, &user, s, true)?;
            }
            audit::record(
                ap.conn,
                &who,
                actions::USER_CREATE,
                &user.username,
                serde_json::json!({
                    "id": user.id, "role": role, "store": user.store,
                    "password": if user.password_hash.is_empty() { "none" } else { "set" },
                    "pin": user.pin_hash.is_some(),
                }),
            )?;
            Ok(user)
        })
        .await?;
    tracing::info!(by = %hq.username, user = %user.username, role = %user.role, "user created");
    Ok((StatusCode::CREATED, axum::Json(User::from(user))))
}

/// Change an account (name, password, PIN, role, store, active).
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Changed", body = User),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not allowed to change this account", body = ErrorBody),
              (status = 404, description = "No such user or store", body = ErrorBody),
              (status = 409, description = "Would leave no active hq_admin", body = ErrorBody))
)]
pub async fn update(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> Result<axum::Json<User>, ApiError> {
    if !matches!(hq.role, Role::HqAdmin | Role::StoreManager) {
        return Err(forbidden(format!("a {} may not manage accounts", hq.role)));
    }
    let display_name = req
        .display_name
        .as_deref()
        .map(check_display_name)
        .transpose()?;
    if let Some(p) = &req.password {
        check_password(p)?;
    }
    if let Some(p) = &req.pin {
        check_pin(p)?;
    }
    let new_store = match req.store.as_deref() {
        Some(s) => Some(
            s.parse::<sync_proto::LocationId>()
                .map_err(|e| ApiError::invalid(e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    let password_hash = hash_blocking(req.password).await?;
    let pin_hash = hash_blocking(req.pin).await?;
    let (new_role, active) = (req.role, req.active);
    let who = hq.clone();
    let user = state
        .writer
        .call(2, move |ap| {
            let old = read_user(ap.conn, id)?
                .ok_or_else(|| HubError::rejected(404, "unknown_user", format!("no user {id}")))?;
            let role = new_role.unwrap_or(old.role);
            let store = if role.is_store_role() {
                new_store.clone().or(old.store.clone())
            } else if new_store.is_some() {
                return Err(HubError::rejected(
                    400,
                    "invalid_input",
                    format!("a {role} does not belong to a store"),
                ));
            } else {
                None
            };
            if role.is_store_role() && store.is_none() {
                return Err(HubError::rejected(400, "invalid_input", format!("a {role} needs a store")));
            }
            let deny = |m: String| HubError::rejected(403, "forbidden", m);
            if who.role == Role::StoreManager {
                // Before and after: a cashier of the manager's own store.
                let own = who.store.as_deref();
                if old.role != Role::Cashier || old.store.as_deref() != own {
                    return Err(deny("a store manager manages only the cashiers of their own store".into()));
                }
                if role != Role::Cashier || store.as_deref() != own {
                    return Err(deny("a store manager may not move a cashier to another role or store".into()));
                }
            }
            if pin_hash.is_some() && !role.is_store_role() {
                return Err(HubError::rejected(400, "invalid_input", "only store managers and cashiers have a till PIN"));
            }
            if role != Role::Cashier && old.password_hash.is_empty() && password_hash.is_none() {
                return Err(HubError::rejected(400, "invalid_input", format!("a {role} needs a password")));
            }
            if let Some(s) = &store
                && store != old.store
            {
                require_store_exists(ap.conn, s)?;
            }
            let active = active.unwrap_or(old.active);
            if old.role == Role::HqAdmin && old.active && (role != Role::HqAdmin || !active) {
                let admins: i64 = ap.conn.query_row(
                    "SELECT COUNT(*) FROM users WHERE role = 'hq_admin' AND active = 1 AND id != ?1",
                    [id],
                    |r| r.get(0),
                )?;
                if admins == 0 {
                    return Err(HubError::rejected(409, "last_admin", "this is the last active hq_admin; make another one first"));
                }
            }
            let staff_id = old
                .staff_id
                .or_else(|| role.is_store_role().then(Uuid::now_v7));
            // A till PIN belongs to a store role: leaving one drops it, so the
            // person cannot unlock a till with it if they come back to a store.
            let kept_pin = if role.is_store_role() {
                pin_hash.clone().or(old.pin_hash.clone())
            } else {
                None
            };
            ap.conn.execute(
                "UPDATE users SET display_name = ?2, password_hash = ?3, pin_hash = ?4, active = ?5,
                   store = ?6, role = ?7, staff_id = ?8, updated_at_ms = ?9 WHERE id = ?1",
                params![
                    id,
                    display_name.clone().unwrap_or(old.display_name.clone()),
                    password_hash.clone().unwrap_or(old.password_hash.clone()),
                    kept_pin,
                    active,
                    store,
                    role.as_str(),
                    staff_id.map(|u| u.as_bytes().to_vec()),
                    now_ms() as i64
                ],
            )?;
            if !active {
                ap.conn.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
            } else if password_hash.is_some() {
                // A new password ends the account's other sessions (whoever
                // knew the old one is logged out), but not the caller's own.
                ap.conn.execute(
                    "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2",
                    params![id, who.token_hash().as_slice()],
                )?;
            }
            let user = read_user(ap.conn, id)?
                .ok_or_else(|| HubError::Internal("user vanished".into()))?;
            // The old store's tills forget a person who left it or its roles.
            if let Some(old_store) = &old.store
                && old.role.is_store_role()
                && (store.as_ref() != Some(old_store) || !role.is_store_role())
            {
                write_staff_op(ap, &user, old_store, false)?;
            }
            if let Some(s) = &store
                && role.is_store_role()
            {
                write_staff_op(ap, &user, s, true)?;
            }
            let mut changed = Vec::new();
            for (field, is) in [
                ("display_name", display_name.is_some()),
                ("password", password_hash.is_some()),
                ("pin", pin_hash.is_some()),
                ("active", active != old.active),
                ("store", store != old.store),
                ("role", role != old.role),
            ] {
                if is {
                    changed.push(field);
                }
            }
            audit::record(
                ap.conn,
                &who,
                actions::USER_UPDATE,
                &user.username,
                serde_json::json!({
                    "id": id, "changed": changed, "role": role, "store": user.store, "active": active,
                }),
            )?;
            Ok(user)
        })
        .await?;
    // Sessions (and the cache) follow the new role, store and active flag at once.
    state.sessions.forget_user(id);
    tracing::info!(by = %hq.username, user = %user.username, active = user.active, "user updated");
    Ok(axum::Json(User::from(user)))
}
