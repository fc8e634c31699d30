//! The till fleet over REST: `GET /api/v1/tills`, `POST/GET
//! /api/v1/tills/{actor}/commands`, and the audit log `GET /api/v1/audit`.
//!
//! A store manager sees and commands only their own store's tills. A new
//! command is stored (with its audit entry) by the writer, published as a
//! `command` event, and the till's connection — if it is connected — is
//! woken to send it at once; otherwise it goes out after the till's next
//! `Hello`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sync_proto::ActorId;
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit};
use crate::audit::{self, AuditFilter, AuditPage, actions};
use crate::events::Event;
use crate::fleet::{self, Till, TillCommand, TillCommandKind};
use crate::{AppState, HubError};

/// Filter of the fleet view.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TillsQuery {
    /// Only this store.
    pub store: Option<String>,
}

/// The till fleet: online, last seen, unsent ops, versions, lock, pending commands.
#[utoipa::path(
    get, path = "/api/v1/tills", tag = "tills",
    params(TillsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Tills", body = [Till]),
              (status = 400, description = "Invalid store code", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's tills", body = ErrorBody))
)]
pub async fn list_tills(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<TillsQuery>,
) -> Result<axum::Json<Vec<Till>>, ApiError> {
    let store = location_param(q.store)?;
    let store = hq.scope_store(store)?;
    let mut tills = state
        .reads
        .read(move |c| fleet::read_tills(c, store.as_deref(), None))
        .await?;
    fleet::merge_live(&state.live, &mut tills);
    Ok(axum::Json(tills))
}

/// A remote command to send.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CreateCommand {
    /// What to do.
    pub kind: TillCommandKind,
    /// The message of `show_message` (1-500 characters); refused for other kinds.
    #[ts(optional)]
    pub message: Option<String>,
}

fn parse_actor(actor: &str) -> Result<ActorId, ApiError> {
    actor
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))
}

/// The store of a till, or 404.
async fn till_store(state: &AppState, actor: ActorId) -> Result<(String, bool), ApiError> {
    let row = state
        .reads
        .read(move |c| Ok(fleet::read_tills(c, None, Some(&actor))?.pop()))
        .await?;
    row.map(|t| (t.store, t.revoked))
        .ok_or_else(|| ApiError::not_found("unknown_till", format!("no till {actor}")))
}

/// Send a remote command to a till: at once when connected, else on its next contact.
#[utoipa::path(
    post, path = "/api/v1/tills/{actor}/commands", tag = "tills",
    params(("actor" = String, Path, description = "Actor id of the till")),
    request_body = CreateCommand,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 202, description = "Accepted (pending until the till has it)", body = TillCommand),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's till", body = ErrorBody),
              (status = 404, description = "No such till", body = ErrorBody),
              (status = 409, description = "The till is revoked", body = ErrorBody))
)]
pub async fn create_command(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(actor): ApiPath<String>,
    ApiJson(req): ApiJson<CreateCommand>,
) -> Result<(StatusCode, axum::Json<TillCommand>), ApiError> {
    hq.require_writer()?;
    let actor = parse_actor(&actor)?;
    let message = match (req.kind, req.message) {
        (TillCommandKind::ShowMessage, Some(m)) => {
            let m = m.trim().to_owned();
            if m.is_empty() || m.chars().count() > 500 {
                return Err(ApiError::invalid("message must be 1-500 characters"));
            }
            Some(m)
        }
        (TillCommandKind::ShowMessage, None) => {
            return Err(ApiError::invalid("show_message needs a message"));
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid("only show_message takes a message"));
        }
        (_, None) => None,
    };
    let (store, _) = till_store(&state, actor).await?;
    hq.require_store_access(&store)?;
    let who = hq.clone();
    let kind = req.kind;
    let cmd = state
        .writer
        .call(1, move |ap| {
            let revoked: bool = ap.conn.query_row(
                "SELECT revoked FROM devices WHERE actor = ?1",
                [actor.0.as_bytes().as_slice()],
                |r| r.get(0),
            )?;
            if revoked {
                return Err(HubError::rejected(
                    409,
                    "till_revoked",
                    format!("till {actor} is revoked; it can no longer receive commands"),
                ));
            }
            let cmd = fleet::insert_command(ap.conn, &actor, kind, message, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::TILL_COMMAND,
                &cmd.actor,
                serde_json::json!({"id": cmd.id, "kind": kind, "message": cmd.message, "store": cmd.store}),
            )?;
            ap.emit(Event::Command(cmd.clone()));
            Ok(cmd)
        })
        .await?;
    state.live.notify(&actor);
    tracing::info!(user = %hq.username, %actor, kind = kind.as_str(), id = %cmd.id, "till command issued");
    Ok((StatusCode::ACCEPTED, axum::Json(cmd)))
}

/// Filter of the command list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommandsQuery {
    /// Most commands, newest first (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// A till's commands, newest first, with their progress.
#[utoipa::path(
    get, path = "/api/v1/tills/{actor}/commands", tag = "tills",
    params(("actor" = String, Path, description = "Actor id of the till"), CommandsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Commands", body = [TillCommand]),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's till", body = ErrorBody),
              (status = 404, description = "No such till", body = ErrorBody))
)]
pub async fn list_commands(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(actor): ApiPath<String>,
    ApiQuery(q): ApiQuery<CommandsQuery>,
) -> Result<axum::Json<Vec<TillCommand>>, ApiError> {
    let actor = parse_actor(&actor)?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let (store, _) = till_store(&state, actor).await?;
    hq.require_store_access(&store)?;
    let list = state
        .reads
        .read(move |c| fleet::list_commands(c, &actor, limit))
        .await?;
    Ok(axum::Json(list))
}

/// Filter and page of the audit log.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Only entries older than this id (`next_before` of the previous page).
    pub before: Option<i64>,
    /// Only this user name.
    pub user: Option<String>,
    /// Only this action (`user.create`, …).
    pub action: Option<String>,
}

/// The audit log, newest first (hq_admin).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "A page of entries", body = AuditPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not an hq_admin", body = ErrorBody))
)]
pub async fn list_audit(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    hq.require_hq_admin()?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let text = |v: Option<String>, what: &str| -> Result<Option<String>, ApiError> {
        match v.filter(|s| !s.is_empty()) {
            Some(s) if s.len() > 128 => Err(ApiError::invalid(format!(
                "{what} is at most 128 characters"
            ))),
            other => Ok(other),
        }
    };
    let filter = AuditFilter {
        limit,
        before: q.before,
        user: text(q.user, "user")?,
        action: text(q.action, "action")?,
    };
    let page = state
        .reads
        .read(move |c| audit::read_page(c, &filter))
        .await?;
    Ok(axum::Json(page))
}
