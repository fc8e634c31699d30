//! HQ–store chat and notices over REST (`/api/v1/chat/…`, DESIGN §6): the JSON types the
//! console uses (exported to TypeScript by ts-rs) and the handlers.
//!
//! Every write goes through the writer as an op of the hub's actor (`ChatMessage`,
//! `ChatRead`, `TicketUpdate`) in scope `store:<code>` of the channel's store, so the
//! store's tills receive it like any other op; the projection lives in [`crate::chat`].
//! Store managers see only their own store's two channels; cashiers and drivers have no
//! access (the [`Hq`] extractor refuses them).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use sync_proto::chat::{
    ALLOWED_ATTACHMENT_TYPES, AttachmentRef, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide,
    MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_MESSAGE_TEXT, MAX_TITLE, MessageKind, Reader,
    TicketCategory, TicketStatus, TicketUpdate,
};
use sync_proto::validate::check_chat_op;
use sync_proto::{Hlc, Op, OpBody, Scope, StoreId};

use super::auth::{Hq, forbidden, session_of};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit};
use crate::accounts::Role;
use crate::audit;
use crate::chat::{self as projection, Position, parse_order};
use crate::events::Event;
use crate::sync_ws::{Device, authenticate_device, bearer};
use crate::writer::Apply;
use crate::{AppState, HubError, now_ms};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Which of a store's two channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChatChannelKind {
    /// HQ ⇄ the store (`store:<code>`).
    Store,
    /// HQ announcements to the store (`notices:<code>`).
    Notices,
}

/// Which side wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "ChatSide")]
#[schema(as = ChatSide)]
pub enum ChatSideJson {
    /// Someone at the store (a till, or the store manager).
    Store,
    /// Head office.
    Hq,
}

/// What kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChatMessageKind {
    /// An ordinary message.
    Chat,
    /// A request or complaint with a category and a status.
    Ticket,
    /// One store's copy of an HQ announcement.
    Announcement,
}

/// Where a ticket stands (only moves forward).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "TicketStatus")]
#[schema(as = TicketStatus)]
pub enum TicketStatusJson {
    /// Raised, nobody has taken it yet.
    Open,
    /// Someone is on it.
    InProgress,
    /// Done.
    Resolved,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export, rename = "Attachment")]
#[schema(as = Attachment)]
pub struct AttachmentJson {
    /// SHA-256 of the bytes (64 lowercase hex digits): `GET /api/v1/chat/attachments/{sha256}`.
    pub sha256: String,
    /// File name.
    pub name: String,
    /// Media type (`image/jpeg`, `image/png`, `image/webp`, `application/pdf`).
    pub mime: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Whether the bytes have reached the hub (a till may send the message first).
    pub uploaded: bool,
}

/// One message, as every screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export, rename = "ChatMessage")]
#[schema(as = ChatMessage)]
pub struct ChatMessageJson {
    /// Message id (UUID, made by the writer).
    pub id: String,
    /// `store:<code>` or `notices:<code>`.
    pub channel: String,
    /// Sortable position in the channel (HLC of the op that carried it, then the id):
    /// compare as strings. Also what `after`, `before` and `up_to` take.
    pub order: String,
    /// Wall-clock part of that HLC (ms since epoch).
    #[ts(type = "number")]
    pub hlc_wall_ms: u64,
    /// Store or HQ.
    pub side: ChatSideJson,
    /// Login name of the author, when known.
    pub username: Option<String>,
    /// Name shown next to the message.
    pub display_name: String,
    /// The text (may be empty when there are attachments).
    pub text: String,
    /// Chat, ticket or announcement.
    pub kind: ChatMessageKind,
    /// Ticket category (`stock`, `delivery`, `facilities`, `it`, `customer`, `other`).
    pub category: Option<String>,
    /// Ticket status, for tickets.
    pub ticket_status: Option<TicketStatusJson>,
    /// Announcement id, for announcements.
    pub announcement: Option<String>,
    /// Announcement title, for announcements.
    pub title: Option<String>,
    /// Whether the announcement must be acknowledged (false for other kinds).
    pub requires_ack: bool,
    /// Attached files.
    pub attachments: Vec<AttachmentJson>,
    /// When it was written, by the writer's clock (ms since epoch).
    #[ts(type = "number")]
    pub written_at_ms: i64,
}

/// A channel in the console's list.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ChatChannelSummary {
    /// `store:<code>` or `notices:<code>`.
    pub channel: String,
    /// Store code.
    pub store: String,
    /// Store name.
    pub store_name: String,
    /// Chat or notices.
    pub kind: ChatChannelKind,
    /// The newest message, if any.
    pub last_message: Option<ChatMessageJson>,
    /// Messages the calling user has not read (not counting their own).
    pub unread: u32,
    /// Tickets of the channel not yet resolved.
    pub open_tickets: u32,
}

/// A page of messages, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ChatMessagePage {
    /// Messages in channel order (HLC, then id).
    pub messages: Vec<ChatMessageJson>,
}

/// Which messages of a channel.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatMessagesQuery {
    /// Only messages after this `order` key (ascending from there).
    pub after: Option<String>,
    /// Only messages before this `order` key (the newest of those).
    pub before: Option<String>,
    /// Page size (default 100, at most 500).
    pub limit: Option<u32>,
}

/// A message to write.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct PostChatMessage {
    /// Message id (UUID) made by the client, so a retry never writes twice; made by the hub
    /// when absent.
    #[ts(optional)]
    pub id: Option<String>,
    /// The text (at most 4,000 bytes; may be empty with attachments).
    pub text: String,
    /// Makes the message a ticket of this category.
    #[ts(optional)]
    pub ticket_category: Option<String>,
    /// SHA-256 of files uploaded with `POST /api/v1/chat/attachments` (at most 4).
    #[ts(optional)]
    pub attachments: Option<Vec<String>>,
}

/// Mark a channel read.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MarkChatRead {
    /// The `order` key of the last message read.
    pub up_to: String,
}

/// A search in the history.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatSearchQuery {
    /// Words to find (each matches words starting with it).
    pub q: Option<String>,
    /// Only this channel (a store manager's search is always within their store).
    pub channel: Option<String>,
    /// Most results (default 50, at most 200).
    pub limit: Option<u32>,
}

/// Who an announcement goes to: `{ "all": true }`, `{ "region": "Seoul" }` or
/// `{ "stores": ["GN01", "HD02"] }`. Stores only (never warehouses); stores created later
/// do not receive earlier announcements.
#[derive(Debug, Clone, Deserialize, ToSchema, ts_rs::TS)]
#[serde(untagged)]
#[ts(export)]
pub enum AnnouncementAudience {
    /// Every store.
    All {
        /// Must be true.
        all: bool,
    },
    /// The stores of a region (`stores.region`).
    Region {
        /// Region name.
        region: String,
    },
    /// A list of stores.
    Stores {
        /// Store codes.
        stores: Vec<String>,
    },
}

/// A new announcement.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CreateAnnouncement {
    /// Announcement id (UUID) made by the client, so a retry writes the same messages;
    /// made by the hub when absent.
    #[ts(optional)]
    pub id: Option<String>,
    /// Headline (1 to 200 bytes).
    pub title: String,
    /// Body (at most 4,000 bytes).
    pub text: String,
    /// Each store must acknowledge it.
    pub requires_ack: bool,
    /// Who receives it.
    pub audience: AnnouncementAudience,
    /// SHA-256 of uploaded files (at most 4).
    #[ts(optional)]
    pub attachments: Option<Vec<String>>,
}

/// An announcement with its counts.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AnnouncementSummary {
    /// Announcement id.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Body.
    pub text: String,
    /// Whether stores must acknowledge it.
    pub requires_ack: bool,
    /// Who sent it.
    pub sent_by: String,
    /// When (ms since epoch).
    #[ts(type = "number")]
    pub sent_at_ms: i64,
    /// Stores it was sent to.
    pub audience: u32,
    /// Stores that acknowledged it.
    pub acknowledged: u32,
    /// Stores where a till has read it.
    pub read: u32,
}

/// One store of an announcement.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AnnouncementStoreStatus {
    /// Store code.
    pub store: String,
    /// Store name.
    pub store_name: String,
    /// When a till of the store first read it (HLC wall time of the read, ms), if read; a
    /// store that acknowledged without a recorded read counts as read at the acknowledgement
    /// (as the summary's `read` count does).
    #[ts(type = "number | null")]
    pub read_at_hlc_ms: Option<u64>,
    /// Who acknowledged it, if someone did.
    pub acked_by: Option<String>,
    /// When (the till's clock, ms since epoch).
    #[ts(type = "number | null")]
    pub acked_at_ms: Option<i64>,
}

/// An announcement and where it stands in each store.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AnnouncementDetail {
    /// The announcement and its counts.
    pub summary: AnnouncementSummary,
    /// Every store it was sent to, by code.
    pub stores: Vec<AnnouncementStoreStatus>,
}

/// What a reminder did.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct RemindResult {
    /// Tills that were sent a `show_message` command.
    pub reminded: u32,
}

/// A ticket in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export, rename = "Ticket")]
#[schema(as = Ticket)]
pub struct TicketJson {
    /// Ticket id (the id of the message that raised it).
    pub id: String,
    /// Store code.
    pub store: String,
    /// Store name.
    pub store_name: String,
    /// Category.
    pub category: String,
    /// Status.
    pub status: TicketStatusJson,
    /// The message's text.
    pub text: String,
    /// Who raised it.
    pub display_name: String,
    /// When it was raised (ms since epoch).
    #[ts(type = "number")]
    pub written_at_ms: i64,
    /// Last status change (ms since epoch), if any.
    #[ts(type = "number | null")]
    pub updated_at_ms: Option<i64>,
    /// Who changed the status last, if anyone.
    pub updated_by: Option<String>,
}

/// Filter of the ticket inbox.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketsQuery {
    /// `open`, `in_progress` or `resolved`.
    pub status: Option<String>,
    /// Store code (a store manager: their own).
    pub store: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Most tickets (default 200, at most 1000).
    pub limit: Option<u32>,
}

/// A ticket's new status.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SetTicketStatus {
    /// `in_progress` or `resolved` (never backwards).
    pub status: TicketStatusJson,
}

/// `chat_read` event: a reader's position moved.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ChatReadEvent {
    /// The channel.
    pub channel: String,
    /// `user:<username>` or `till:<actor>`.
    pub reader: String,
    /// The `order` key read up to (HLC part).
    pub up_to: String,
}

/// `announcement_ack` event: a store acknowledged an announcement.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AnnouncementAckEvent {
    /// Announcement id.
    pub announcement: String,
    /// Store code.
    pub store: String,
    /// Who acknowledged it.
    pub by: String,
    /// When (the till's clock, ms since epoch).
    #[ts(type = "number")]
    pub at_ms: i64,
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

/// Audit action: an announcement was sent.
pub const AUDIT_ANNOUNCEMENT_SEND: &str = "announcement.send";
/// Audit action: stores that have not acknowledged an announcement were reminded.
pub const AUDIT_ANNOUNCEMENT_REMIND: &str = "announcement.remind";
/// Audit action: a ticket's status was changed from the console.
pub const AUDIT_TICKET_STATUS: &str = "ticket.status";

fn parse_channel(raw: &str) -> Result<Channel, ApiError> {
    raw.parse::<Channel>()
        .map_err(|e| ApiError::invalid(e.to_string()))
}

fn parse_uuid(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw.trim())
        .map_err(|_| ApiError::invalid(format!("{what} {raw:?} is not a UUID")))
}

fn parse_position(raw: &str) -> Result<Position, ApiError> {
    parse_order(raw).map_err(|e| ApiError::invalid(e.to_string()))
}

/// Is `sha` 64 lowercase hex digits?
fn valid_sha(sha: &str) -> bool {
    sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// May this user read and write `channel`? 403 before 404, so a store manager learns
/// nothing about other stores.
fn require_channel(hq: &Hq, channel: &Channel) -> Result<(), ApiError> {
    hq.require_store_access(channel.store().as_str())
}

/// The name of a store that has chat channels (a store, not a warehouse), or 404.
fn store_name(conn: &Connection, store: &str) -> Result<String, HubError> {
    conn.prepare_cached("SELECT name FROM stores WHERE code = ?1 AND kind = 'store'")?
        .query_row([store], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            HubError::rejected(
                404,
                "unknown_store",
                format!("no store {store} (chat channels belong to stores)"),
            )
        })
}

/// What a console user writes as: HQ roles as head office, a store manager as their store.
fn author(conn: &Connection, hq: &Hq) -> Result<ChatAuthor, HubError> {
    let display: Option<String> = conn
        .prepare_cached("SELECT display_name FROM users WHERE id = ?1")?
        .query_row([hq.user_id], |r| r.get(0))
        .optional()?;
    let display_name = display
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| hq.username.clone());
    Ok(ChatAuthor {
        side: if hq.role.is_hq() {
            ChatSide::Hq
        } else {
            ChatSide::Store
        },
        username: Some(hq.username.clone()),
        display_name: display_name.chars().take(MAX_TITLE / 4).collect(),
    })
}

/// The stored attachments named by their hashes (400 when one is not uploaded).
fn resolve_attachments(
    conn: &Connection,
    hashes: &[String],
) -> Result<Vec<AttachmentRef>, HubError> {
    let mut st =
        conn.prepare_cached("SELECT mime, size, name FROM chat_attachment WHERE sha256 = ?1")?;
    let mut out = Vec::with_capacity(hashes.len());
    for sha in hashes {
        let row: Option<(String, i64, String)> = st
            .query_row([sha], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((mime, size, name)) = row else {
            return Err(HubError::rejected(
                400,
                "attachment_not_uploaded",
                format!(
                    "attachment {sha} is not uploaded; POST it to /api/v1/chat/attachments first"
                ),
            ));
        };
        out.push(AttachmentRef {
            sha256: sha.clone(),
            name,
            mime,
            size: size.max(0) as u64,
        });
    }
    Ok(out)
}

/// Checked hashes of an `attachments` field.
fn attachment_hashes(list: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let list = list.unwrap_or_default();
    if list.len() > MAX_ATTACHMENTS {
        return Err(ApiError::invalid(format!(
            "{} attachments; at most {MAX_ATTACHMENTS} per message",
            list.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for sha in list {
        let sha = sha.trim().to_ascii_lowercase();
        if !valid_sha(&sha) {
            return Err(ApiError::invalid(
                "attachments are SHA-256 hashes (64 hex digits)",
            ));
        }
        if !out.contains(&sha) {
            out.push(sha);
        }
    }
    Ok(out)
}

/// Check a chat op the hub is about to write exactly as a till's would be checked
/// (`check_chat_op`), so HQ cannot store what tills would refuse.
fn check_hub_chat(scope: &Scope, body: &OpBody) -> Result<(), HubError> {
    let probe = Op {
        actor: sync_proto::ActorId(Uuid::nil()),
        seq: 1,
        hlc: Hlc {
            wall_ms: 0,
            counter: 0,
            actor: sync_proto::ActorId(Uuid::nil()),
        },
        scope: scope.clone(),
        body: body.clone(),
    };
    check_chat_op(&probe).map_err(|e| match e {
        sync_proto::validate::OpRejection::Invalid { reason, .. } => {
            HubError::rejected(400, "invalid_input", reason)
        }
        other => HubError::rejected(400, "invalid_input", other.to_string()),
    })
}

/// Write a chat op of the hub's actor (checked first).
fn write_chat(ap: &mut Apply<'_, '_>, store: &StoreId, body: OpBody) -> Result<Op, HubError> {
    let scope = Scope::Store(store.clone());
    check_hub_chat(&scope, &body)?;
    ap.hub_op(scope, body)
}

/// The channels the user may see, with their last message, unread count and open tickets.
#[utoipa::path(
    get, path = "/api/v1/chat/channels", tag = "chat",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Channels: every store's two for HQ, the own store's for a store manager", body = [ChatChannelSummary]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_channels(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::Json<Vec<ChatChannelSummary>>, ApiError> {
    let only = hq.scope_store(None)?;
    let username = hq.username.clone();
    let out = state
        .reads
        .read(move |c| {
            let stores: Vec<(String, String)> = c
                .prepare_cached(
                    "SELECT code, name FROM stores WHERE kind = 'store' AND (?1 IS NULL OR code = ?1) ORDER BY code",
                )?
                .query_map([only], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(stores.len() * 2);
            for (code, name) in stores {
                let Ok(store) = code.parse::<StoreId>() else {
                    tracing::error!(%code, "unreadable store code skipped in chat channels");
                    continue;
                };
                let open = projection::open_tickets(c, &code)?;
                for (channel, kind) in [
                    (Channel::Store(store.clone()), ChatChannelKind::Store),
                    (Channel::Notices(store.clone()), ChatChannelKind::Notices),
                ] {
                    out.push(ChatChannelSummary {
                        channel: channel.to_string(),
                        store: code.clone(),
                        store_name: name.clone(),
                        kind,
                        last_message: projection::last_message(c, &channel)?,
                        unread: projection::unread_for_user(c, &username, &channel)?,
                        open_tickets: if kind == ChatChannelKind::Store { open } else { 0 },
                    });
                }
            }
            Ok(out)
        })
        .await?;
    Ok(axum::Json(out))
}

/// A page of a channel's messages, oldest first, in (HLC, id) order.
#[utoipa::path(
    get, path = "/api/v1/chat/channels/{channel}/messages", tag = "chat",
    params(("channel" = String, Path, description = "`store:<code>` or `notices:<code>`"), ChatMessagesQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Messages", body = ChatMessagePage),
              (status = 400, description = "Malformed channel or order key", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's channel", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody))
)]
pub async fn list_messages(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(channel): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChatMessagesQuery>,
) -> Result<axum::Json<ChatMessagePage>, ApiError> {
    let channel = parse_channel(&channel)?;
    require_channel(&hq, &channel)?;
    let after = q
        .after
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_position)
        .transpose()?;
    let before = q
        .before
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_position)
        .transpose()?;
    let limit = page_limit(q.limit, 100, 500)?;
    let messages = state
        .reads
        .read(move |c| {
            store_name(c, channel.store().as_str())?;
            projection::read_messages(c, &channel, after, before, limit)
        })
        .await?;
    Ok(axum::Json(ChatMessagePage { messages }))
}

/// Write a message (or raise a ticket) in a store channel.
#[utoipa::path(
    post, path = "/api/v1/chat/channels/{channel}/messages", tag = "chat",
    params(("channel" = String, Path, description = "`store:<code>` (notices take announcements only)")),
    request_body = PostChatMessage,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Stored and sent to the store's tills", body = ChatMessageJson),
              (status = 200, description = "This id was already stored: the same message", body = ChatMessageJson),
              (status = 400, description = "Invalid input (text too long or empty, unknown category, attachment not uploaded, notices channel)", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's channel", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody),
              (status = 409, description = "The id belongs to another message", body = ErrorBody))
)]
pub async fn post_message(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(channel): ApiPath<String>,
    ApiJson(req): ApiJson<PostChatMessage>,
) -> Result<(StatusCode, axum::Json<ChatMessageJson>), ApiError> {
    let channel = parse_channel(&channel)?;
    require_channel(&hq, &channel)?;
    if matches!(channel, Channel::Notices(_)) {
        return Err(ApiError::bad_request(
            "announcements_only",
            "a notices channel takes announcements only: POST /api/v1/chat/announcements",
        ));
    }
    let id = match req.id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => parse_uuid(raw, "message id")?,
        None => Uuid::now_v7(),
    };
    if req.text.len() > MAX_MESSAGE_TEXT {
        return Err(ApiError::invalid(format!(
            "message is {} bytes; at most {MAX_MESSAGE_TEXT}",
            req.text.len()
        )));
    }
    let kind = match req.ticket_category.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => MessageKind::Ticket {
            category: c.parse::<TicketCategory>().map_err(ApiError::invalid)?,
        },
        None => MessageKind::Chat,
    };
    let hashes = attachment_hashes(req.attachments)?;
    let text = req.text;
    let who = hq.clone();
    let (message, created) = state
        .writer
        .call(1, move |ap| {
            let store = channel.store().clone();
            store_name(ap.conn, store.as_str())?;
            if let Some(existing) = projection::read_message(ap.conn, &id)? {
                if existing.channel == channel.to_string()
                    && existing.username.as_deref() == Some(who.username.as_str())
                {
                    return Ok((existing, false));
                }
                return Err(HubError::rejected(
                    409,
                    "id_conflict",
                    format!("message id {id} belongs to another message"),
                ));
            }
            let attachments = resolve_attachments(ap.conn, &hashes)?;
            let message = ChatMessage {
                id,
                channel: channel.clone(),
                author: author(ap.conn, &who)?,
                text,
                kind,
                attachments,
                written_at_ms: now_ms() as i64,
            };
            write_chat(ap, &store, OpBody::ChatMessage(message))?;
            let stored = projection::read_message(ap.conn, &id)?
                .ok_or_else(|| HubError::Internal("chat message vanished".into()))?;
            Ok((stored, true))
        })
        .await?;
    if created {
        tracing::info!(user = %hq.username, channel = %message.channel, id = %message.id, kind = ?message.kind, "chat message written");
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(message)))
}

/// Mark a channel read up to a message (for the calling user).
#[utoipa::path(
    post, path = "/api/v1/chat/channels/{channel}/read", tag = "chat",
    params(("channel" = String, Path, description = "`store:<code>` or `notices:<code>`")),
    request_body = MarkChatRead,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Recorded (or already further)"),
              (status = 400, description = "Malformed channel or order key", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's channel", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody))
)]
pub async fn mark_read(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(channel): ApiPath<String>,
    ApiJson(req): ApiJson<MarkChatRead>,
) -> Result<StatusCode, ApiError> {
    let channel = parse_channel(&channel)?;
    require_channel(&hq, &channel)?;
    let up_to = parse_position(&req.up_to)?.hlc;
    let reader = Reader::User(hq.username.clone());
    state
        .writer
        .call(1, move |ap| {
            let store = channel.store().clone();
            store_name(ap.conn, store.as_str())?;
            let current = projection::read_position(ap.conn, &reader, &channel)?;
            if current.is_some_and(|c| c >= up_to) {
                return Ok(());
            }
            write_chat(
                ap,
                &store,
                OpBody::ChatRead(ChatRead {
                    channel,
                    reader,
                    up_to,
                }),
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An FTS5 query from what a person typed: every word quoted (so no syntax can fail) and
/// matched as a prefix (`재고` finds `재고가`).
fn fts_query(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split_whitespace()
        .take(16)
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Search messages (every word must match, as a word prefix); oldest first of the newest
/// matches.
#[utoipa::path(
    get, path = "/api/v1/chat/search", tag = "chat",
    params(ChatSearchQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Matching messages in (HLC, id) order", body = ChatMessagePage),
              (status = 400, description = "Empty or malformed query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's channel", body = ErrorBody))
)]
pub async fn search(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<ChatSearchQuery>,
) -> Result<axum::Json<ChatMessagePage>, ApiError> {
    let text = q.q.unwrap_or_default();
    if text.len() > 200 {
        return Err(ApiError::invalid("search text is at most 200 bytes"));
    }
    let Some(fts) = fts_query(&text) else {
        return Err(ApiError::invalid("give some words to search for (q)"));
    };
    let channel = q
        .channel
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_channel)
        .transpose()?;
    if let Some(c) = &channel {
        require_channel(&hq, c)?;
    }
    let store = hq.scope_store(None)?;
    let limit = page_limit(q.limit, 50, 200)?;
    let found = state
        .reads
        .read(move |c| {
            let sql = format!(
                "SELECT {} FROM chat_fts f JOIN chat_message m ON m.rowid = f.rowid
                   LEFT JOIN chat_ticket t ON t.id = m.id
                 WHERE chat_fts MATCH ?1 AND (?2 IS NULL OR m.channel = ?2) AND (?3 IS NULL OR m.store = ?3)
                 ORDER BY m.hlc_wall DESC, m.hlc_counter DESC, m.hlc_actor DESC, m.id DESC LIMIT ?4",
                projection::MESSAGE_COLUMNS
            );
            let run = || -> rusqlite::Result<Vec<ChatMessageJson>> {
                c.prepare_cached(&sql)?
                    .query_map(
                        params![fts, channel.map(|c| c.to_string()), store, limit],
                        projection::message_from_row,
                    )?
                    .collect()
            };
            match run() {
                Ok(mut v) => {
                    v.reverse();
                    projection::mark_uploaded(c, &mut v)?;
                    Ok(v)
                }
                Err(e) if e.to_string().contains("fts5") => Err(HubError::rejected(
                    400,
                    "invalid_search",
                    format!("cannot search for that: {e}"),
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok(axum::Json(ChatMessagePage { messages: found }))
}

/// The stores of an audience (stores only, never warehouses), checked.
fn audience_stores(
    conn: &Connection,
    audience: &AnnouncementAudience,
) -> Result<Vec<StoreId>, HubError> {
    let codes: Vec<String> = match audience {
        AnnouncementAudience::All { .. } => conn
            .prepare_cached("SELECT code FROM stores WHERE kind = 'store' ORDER BY code")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
        AnnouncementAudience::Region { region } => {
            let codes: Vec<String> = conn
                .prepare_cached(
                    "SELECT code FROM stores WHERE kind = 'store' AND region = ?1 ORDER BY code",
                )?
                .query_map([region], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if codes.is_empty() {
                return Err(HubError::rejected(
                    404,
                    "unknown_region",
                    format!("no store in region {region:?}"),
                ));
            }
            codes
        }
        AnnouncementAudience::Stores { stores } => {
            let mut kind = conn.prepare_cached("SELECT kind FROM stores WHERE code = ?1")?;
            for code in stores {
                match kind
                    .query_row([code], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    Some(k) if k == "store" => {}
                    Some(_) => {
                        return Err(HubError::rejected(
                            400,
                            "not_a_store",
                            format!("{code} is a warehouse; announcements go to stores"),
                        ));
                    }
                    None => {
                        return Err(HubError::rejected(
                            404,
                            "unknown_store",
                            format!("no store {code}"),
                        ));
                    }
                }
            }
            stores.clone()
        }
    };
    if codes.is_empty() {
        return Err(HubError::rejected(
            400,
            "empty_audience",
            "there is no store to send this to",
        ));
    }
    codes
        .iter()
        .map(|c| c.parse::<StoreId>().map_err(HubError::from))
        .collect()
}

/// Checked audience: `all` must be true, a region non-empty, a list of known-looking codes.
fn check_audience(a: AnnouncementAudience) -> Result<AnnouncementAudience, ApiError> {
    match a {
        AnnouncementAudience::All { all: true } => Ok(AnnouncementAudience::All { all: true }),
        AnnouncementAudience::All { all: false } => Err(ApiError::invalid(
            "audience: give {\"all\": true}, {\"region\": …} or {\"stores\": […]}",
        )),
        AnnouncementAudience::Region { region } => {
            let region = region.trim().to_owned();
            if region.is_empty() || region.len() > 64 {
                return Err(ApiError::invalid("audience region must be 1-64 characters"));
            }
            Ok(AnnouncementAudience::Region { region })
        }
        AnnouncementAudience::Stores { stores } => {
            if stores.is_empty() || stores.len() > 10_000 {
                return Err(ApiError::invalid(
                    "audience stores must list 1-10000 stores",
                ));
            }
            let mut codes = Vec::with_capacity(stores.len());
            for s in stores {
                let code = location_param(Some(s.trim().to_owned()))?
                    .ok_or_else(|| ApiError::invalid("empty store code in audience"))?;
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            Ok(AnnouncementAudience::Stores { stores: codes })
        }
    }
}

fn audience_json(a: &AnnouncementAudience) -> serde_json::Value {
    match a {
        AnnouncementAudience::All { .. } => serde_json::json!({"all": true}),
        AnnouncementAudience::Region { region } => serde_json::json!({"region": region}),
        AnnouncementAudience::Stores { stores } => serde_json::json!({"stores": stores}),
    }
}

const SUMMARY_SELECT: &str =
    "SELECT a.id, a.title, a.text, a.requires_ack, a.sent_by, a.sent_at_ms,
    (SELECT COUNT(*) FROM announcement_store s WHERE s.announcement = a.id),
    (SELECT COUNT(*) FROM announcement_store s JOIN announcement_ack k
        ON k.announcement = s.announcement AND k.store = s.store WHERE s.announcement = a.id),
    (SELECT COUNT(*) FROM announcement_store s LEFT JOIN announcement_ack k
        ON k.announcement = s.announcement AND k.store = s.store
      WHERE s.announcement = a.id AND (s.read_at_hlc_ms IS NOT NULL OR k.store IS NOT NULL))
  FROM announcement a";

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AnnouncementSummary> {
    let id: Vec<u8> = r.get(0)?;
    let count = |i: usize| -> rusqlite::Result<u32> {
        Ok(r.get::<_, i64>(i)?.clamp(0, i64::from(u32::MAX)) as u32)
    };
    Ok(AnnouncementSummary {
        id: Uuid::from_slice(&id)
            .map(|u| u.to_string())
            .unwrap_or_default(),
        title: r.get(1)?,
        text: r.get(2)?,
        requires_ack: r.get(3)?,
        sent_by: r.get(4)?,
        sent_at_ms: r.get(5)?,
        audience: count(6)?,
        acknowledged: count(7)?,
        read: count(8)?,
    })
}

fn read_summary(conn: &Connection, id: &Uuid) -> Result<Option<AnnouncementSummary>, HubError> {
    Ok(conn
        .prepare_cached(&format!("{SUMMARY_SELECT} WHERE a.id = ?1"))?
        .query_row([id.as_bytes().as_slice()], summary_from_row)
        .optional()?)
}

/// Send an announcement to stores: one message per store in its notices channel.
#[utoipa::path(
    post, path = "/api/v1/chat/announcements", tag = "chat",
    request_body = CreateAnnouncement,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Sent to every store of the audience", body = AnnouncementSummary),
              (status = 200, description = "This id was already sent: nothing new written", body = AnnouncementSummary),
              (status = 400, description = "Invalid input or empty audience", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "Unknown store or region", body = ErrorBody))
)]
pub async fn create_announcement(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateAnnouncement>,
) -> Result<(StatusCode, axum::Json<AnnouncementSummary>), ApiError> {
    hq.require_hq()?;
    let title = req.title.trim().to_owned();
    if title.is_empty() || title.len() > MAX_TITLE {
        return Err(ApiError::invalid(format!(
            "announcement title must be 1 to {MAX_TITLE} bytes"
        )));
    }
    if req.text.len() > MAX_MESSAGE_TEXT {
        return Err(ApiError::invalid(format!(
            "announcement is {} bytes; at most {MAX_MESSAGE_TEXT}",
            req.text.len()
        )));
    }
    let id = match req.id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => parse_uuid(raw, "announcement id")?,
        None => Uuid::now_v7(),
    };
    let audience = check_audience(req.audience)?;
    let hashes = attachment_hashes(req.attachments)?;
    let weight = match &audience {
        AnnouncementAudience::Stores { stores } => stores.len(),
        _ => 1000,
    };
    let (text, requires_ack, who) = (req.text, req.requires_ack, hq.clone());
    let (summary, created) = state
        .writer
        .call(weight, move |ap| {
            if let Some(existing) = read_summary(ap.conn, &id)? {
                return Ok((existing, false));
            }
            let stores = audience_stores(ap.conn, &audience)?;
            let attachments = resolve_attachments(ap.conn, &hashes)?;
            let mut author = author(ap.conn, &who)?;
            author.side = ChatSide::Hq;
            let now = now_ms() as i64;
            for store in &stores {
                let message = ChatMessage {
                    id: Uuid::new_v5(&id, store.as_str().as_bytes()),
                    channel: Channel::Notices(store.clone()),
                    author: author.clone(),
                    text: text.clone(),
                    kind: MessageKind::Announcement {
                        announcement: id,
                        title: title.clone(),
                        requires_ack,
                    },
                    attachments: attachments.clone(),
                    written_at_ms: now,
                };
                write_chat(ap, store, OpBody::ChatMessage(message))?;
            }
            let described = audience_json(&audience);
            ap.conn
                .prepare_cached("UPDATE announcement SET audience = ?2, sent_by = ?3 WHERE id = ?1")?
                .execute(params![id.as_bytes().as_slice(), described.to_string(), who.username])?;
            audit::record(
                ap.conn,
                &who,
                AUDIT_ANNOUNCEMENT_SEND,
                &id.to_string(),
                serde_json::json!({"title": title, "requires_ack": requires_ack, "audience": described, "stores": stores.len()}),
            )?;
            let summary = read_summary(ap.conn, &id)?
                .ok_or_else(|| HubError::Internal("announcement vanished".into()))?;
            Ok((summary, true))
        })
        .await?;
    if created {
        tracing::info!(user = %hq.username, id = %summary.id, stores = summary.audience, "announcement sent");
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(summary)))
}

/// Page size of the announcement list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementsQuery {
    /// Most announcements (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Announcements, newest first, with how many stores read and acknowledged them.
#[utoipa::path(
    get, path = "/api/v1/chat/announcements", tag = "chat",
    params(AnnouncementsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Announcements", body = [AnnouncementSummary]),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody))
)]
pub async fn list_announcements(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<AnnouncementsQuery>,
) -> Result<axum::Json<Vec<AnnouncementSummary>>, ApiError> {
    hq.require_hq()?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let list = state
        .reads
        .read(move |c| {
            Ok(c.prepare_cached(&format!(
                "{SUMMARY_SELECT} ORDER BY a.sent_at_ms DESC, a.id DESC LIMIT ?1"
            ))?
            .query_map([limit], summary_from_row)?
            .collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(axum::Json(list))
}

/// One announcement and where it stands in each store.
#[utoipa::path(
    get, path = "/api/v1/chat/announcements/{id}", tag = "chat",
    params(("id" = String, Path, description = "Announcement id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The announcement", body = AnnouncementDetail),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such announcement", body = ErrorBody))
)]
pub async fn get_announcement(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<AnnouncementDetail>, ApiError> {
    hq.require_hq()?;
    let id = parse_uuid(&id, "announcement id")?;
    let detail = state
        .reads
        .read(move |c| {
            let summary = read_summary(c, &id)?.ok_or_else(|| {
                HubError::rejected(404, "unknown_announcement", format!("no announcement {id}"))
            })?;
            let stores = c
                .prepare_cached(
                    "SELECT s.store, COALESCE(st.name, s.store), COALESCE(s.read_at_hlc_ms, k.acked_at_ms),
                            k.acked_by, k.acked_at_ms
                     FROM announcement_store s
                     LEFT JOIN stores st ON st.code = s.store
                     LEFT JOIN announcement_ack k ON k.announcement = s.announcement AND k.store = s.store
                     WHERE s.announcement = ?1 ORDER BY s.store",
                )?
                .query_map([id.as_bytes().as_slice()], |r| {
                    Ok(AnnouncementStoreStatus {
                        store: r.get(0)?,
                        store_name: r.get(1)?,
                        read_at_hlc_ms: r.get::<_, Option<i64>>(2)?.map(|v| v.max(0) as u64),
                        acked_by: r.get(3)?,
                        acked_at_ms: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(AnnouncementDetail { summary, stores })
        })
        .await?;
    Ok(axum::Json(detail))
}

/// Remind the stores that have not acknowledged: a `show_message` command to each of
/// their tills.
#[utoipa::path(
    post, path = "/api/v1/chat/announcements/{id}/remind", tag = "chat",
    params(("id" = String, Path, description = "Announcement id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Commands issued", body = RemindResult),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such announcement", body = ErrorBody),
              (status = 409, description = "The announcement needs no acknowledgement", body = ErrorBody))
)]
pub async fn remind(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<RemindResult>, ApiError> {
    hq.require_hq()?;
    let id = parse_uuid(&id, "announcement id")?;
    let who = hq.clone();
    let actors = state
        .writer
        .call(10, move |ap| {
            let summary = read_summary(ap.conn, &id)?.ok_or_else(|| {
                HubError::rejected(404, "unknown_announcement", format!("no announcement {id}"))
            })?;
            if !summary.requires_ack {
                return Err(HubError::rejected(
                    409,
                    "ack_not_required",
                    "this announcement does not ask for acknowledgement",
                ));
            }
            let tills: Vec<Vec<u8>> = ap
                .conn
                .prepare_cached(
                    "SELECT d.actor FROM announcement_store s
                     JOIN devices d ON d.store = s.store AND d.revoked = 0
                     LEFT JOIN announcement_ack k ON k.announcement = s.announcement AND k.store = s.store
                     WHERE s.announcement = ?1 AND k.store IS NULL ORDER BY d.store, d.till_no",
                )?
                .query_map([id.as_bytes().as_slice()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let message: String = format!("Please acknowledge the notice: {}", summary.title)
                .chars()
                .take(500)
                .collect();
            let mut actors = Vec::with_capacity(tills.len());
            for raw in tills {
                let Ok(actor) = Uuid::from_slice(&raw).map(sync_proto::ActorId) else {
                    tracing::error!("unreadable till actor skipped in a reminder");
                    continue;
                };
                let cmd = crate::fleet::insert_command(
                    ap.conn,
                    &actor,
                    crate::fleet::TillCommandKind::ShowMessage,
                    Some(message.clone()),
                    &who.username,
                )?;
                ap.emit(Event::Command(cmd));
                actors.push(actor);
            }
            audit::record(
                ap.conn,
                &who,
                AUDIT_ANNOUNCEMENT_REMIND,
                &id.to_string(),
                serde_json::json!({"tills": actors.len()}),
            )?;
            Ok(actors)
        })
        .await?;
    for actor in &actors {
        state.live.notify(actor);
    }
    tracing::info!(user = %hq.username, %id, tills = actors.len(), "announcement reminder sent");
    Ok(axum::Json(RemindResult {
        reminded: actors.len().min(u32::MAX as usize) as u32,
    }))
}

/// The ticket inbox, newest first.
#[utoipa::path(
    get, path = "/api/v1/chat/tickets", tag = "chat",
    params(TicketsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Tickets", body = [TicketJson]),
              (status = 400, description = "Invalid filter", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store", body = ErrorBody))
)]
pub async fn list_tickets(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> Result<axum::Json<Vec<TicketJson>>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<TicketStatus>().map_err(ApiError::invalid))
        .transpose()?;
    let category = q
        .category
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<TicketCategory>().map_err(ApiError::invalid))
        .transpose()?;
    let limit = page_limit(q.limit, 200, 1000)?;
    let tickets = state
        .reads
        .read(move |c| {
            projection::read_tickets(
                c,
                status,
                store.as_deref(),
                category.map(|c| c.as_str()),
                limit,
            )
        })
        .await?;
    Ok(axum::Json(tickets))
}

/// Move a ticket forward (`in_progress`, `resolved`).
#[utoipa::path(
    post, path = "/api/v1/chat/tickets/{id}/status", tag = "chat",
    params(("id" = String, Path, description = "Ticket id (the id of the message that raised it)")),
    request_body = SetTicketStatus,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The ticket (unchanged when already at that status)", body = TicketJson),
              (status = 400, description = "Malformed id or status", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's ticket", body = ErrorBody),
              (status = 404, description = "No such ticket", body = ErrorBody),
              (status = 409, description = "A ticket never goes back", body = ErrorBody))
)]
pub async fn set_ticket_status(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SetTicketStatus>,
) -> Result<axum::Json<TicketJson>, ApiError> {
    let id = parse_uuid(&id, "ticket id")?;
    let want: TicketStatus = req.status.into();
    let who = hq.clone();
    let ticket = state
        .writer
        .call(1, move |ap| {
            let ticket = projection::read_ticket(ap.conn, &id)?.ok_or_else(|| {
                HubError::rejected(404, "unknown_ticket", format!("no ticket {id}"))
            })?;
            if !who.can_see_store(&ticket.store) {
                return Err(HubError::rejected(
                    403,
                    "forbidden",
                    format!("a store manager of {} may not change a ticket of {}",
                        who.store.as_deref().unwrap_or("no store"), ticket.store),
                ));
            }
            let current: TicketStatus = ticket.status.into();
            if want < current {
                return Err(HubError::rejected(
                    409,
                    "ticket_backwards",
                    format!(
                        "ticket {id} is {}; a ticket only moves forward (open → in_progress → resolved)",
                        current.as_str()
                    ),
                ));
            }
            if want == current {
                return Ok(ticket);
            }
            let store: StoreId = ticket.store.parse()?;
            write_chat(
                ap,
                &store,
                OpBody::TicketUpdate(TicketUpdate {
                    ticket: id,
                    channel: Channel::Store(store.clone()),
                    status: want,
                    by: who.username.clone(),
                }),
            )?;
            audit::record(
                ap.conn,
                &who,
                AUDIT_TICKET_STATUS,
                &id.to_string(),
                serde_json::json!({"store": ticket.store, "from": current.as_str(), "to": want.as_str()}),
            )?;
            projection::read_ticket(ap.conn, &id)?
                .ok_or_else(|| HubError::Internal("ticket vanished".into()))
        })
        .await?;
    tracing::info!(user = %hq.username, %id, status = ?ticket.status, "ticket status set");
    Ok(axum::Json(ticket))
}

/// Who is uploading or downloading an attachment: a console user by session, or a till
/// by its device credential.
pub enum ChatClient {
    /// A console user (HQ roles or a store manager).
    User(Hq),
    /// A till.
    Till(Device),
}

impl ChatClient {
    /// How uploads are recorded: `user:<name>` or `till:<actor>`.
    fn key(&self) -> String {
        match self {
            ChatClient::User(hq) => format!("user:{}", hq.username),
            ChatClient::Till(d) => format!("till:{}", d.actor),
        }
    }

    /// The only store whose messages this client may see; `None` = every store.
    fn store(&self) -> Option<String> {
        match self {
            ChatClient::User(hq) if hq.role.is_hq() => None,
            ChatClient::User(hq) => Some(hq.store.clone().unwrap_or_default()),
            ChatClient::Till(d) => Some(d.store.to_string()),
        }
    }

    fn name(&self) -> String {
        match self {
            ChatClient::User(hq) => hq.username.clone(),
            ChatClient::Till(d) => format!("till {} of {}", d.till_no, d.store),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for ChatClient {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match session_of(state, &parts.headers).await {
            Ok(hq) => {
                if hq.role == Role::Cashier || hq.role == Role::Driver {
                    return Err(forbidden(format!(
                        "a {} has no access to chat attachments",
                        hq.role
                    )));
                }
                Ok(ChatClient::User(hq))
            }
            Err(session_error) => {
                let Some(credential) = bearer(&parts.headers) else {
                    return Err(session_error);
                };
                match authenticate_device(state, credential).await? {
                    Some(d) => Ok(ChatClient::Till(d)),
                    None => Err(ApiError::unauthorized(
                        "unknown session token or device credential",
                    )),
                }
            }
        }
    }
}

/// Where an attachment's bytes live.
fn attachment_path(data_dir: &std::path::Path, sha: &str) -> std::path::PathBuf {
    data_dir.join("attachments").join(&sha[..2]).join(sha)
}

/// Do the bytes start like `mime` says?
pub fn sniff_matches(mime: &str, data: &[u8]) -> bool {
    match mime {
        "image/jpeg" => data.starts_with(&[0xff, 0xd8, 0xff]),
        "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/webp" => data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP",
        "application/pdf" => data.starts_with(b"%PDF-"),
        _ => false,
    }
}

/// Write `data` to `path` so that it is either absent or complete: a temporary file in the
/// same directory, fsync, rename, fsync of the directory.
fn write_atomically(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("attachment path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() == data.len() as u64
    {
        return Ok(()); // content-addressed: already complete
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("attachment"),
        Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The `name` of an upload.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// File name as shown (no path; 1 to 200 bytes).
    pub name: Option<String>,
}

/// Upload a file for a message (raw body with its `Content-Type`). Idempotent by content.
#[utoipa::path(
    post, path = "/api/v1/chat/attachments", tag = "chat",
    params(UploadQuery),
    request_body(content = String, content_type = "application/octet-stream",
                 description = "The file's bytes, sent with its own Content-Type: image/jpeg, image/png, image/webp or application/pdf; at most 10 MiB"),
    security(("bearer" = []), ("cookie" = []), ("device" = [])),
    responses((status = 201, description = "Stored", body = AttachmentJson),
              (status = 200, description = "These bytes were already stored", body = AttachmentJson),
              (status = 400, description = "Empty body or bad name", body = ErrorBody),
              (status = 401, description = "No session or device credential", body = ErrorBody),
              (status = 403, description = "No chat access", body = ErrorBody),
              (status = 413, description = "Over 10 MiB", body = ErrorBody),
              (status = 415, description = "Type not allowed, or the bytes are not of that type", body = ErrorBody))
)]
pub async fn upload_attachment(
    State(state): State<Arc<AppState>>,
    client: ChatClient,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<AttachmentJson>), ApiError> {
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !ALLOWED_ATTACHMENT_TYPES.contains(&mime.as_str()) {
        tracing::warn!(who = %client.name(), %mime, "attachment type refused");
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            format!(
                "type {:?} is not allowed: send photos as JPEG, PNG or WebP, or a PDF, with that Content-Type",
                mime
            ),
        ));
    }
    let data = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            tracing::warn!(who = %client.name(), "attachment over the size limit refused");
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "attachments are at most {} MiB",
                    MAX_ATTACHMENT_BYTES / (1024 * 1024)
                ),
            )
        } else {
            ApiError::from(r)
        }
    })?;
    let name = q.name.unwrap_or_default().trim().to_owned();
    let sha = hex(&Sha256::digest(&data));
    let reference = AttachmentRef {
        sha256: sha.clone(),
        name,
        mime: mime.clone(),
        size: data.len() as u64,
    };
    sync_proto::chat::check_attachment(&reference).map_err(|e| {
        let status = if data.len() as u64 > MAX_ATTACHMENT_BYTES {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, "invalid_attachment", e.to_string())
    })?;
    if !sniff_matches(&mime, &data) {
        tracing::warn!(who = %client.name(), %mime, "attachment bytes do not match their type");
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_mismatch",
            format!("the file is not a {mime}: its bytes say otherwise"),
        ));
    }
    let path = attachment_path(&state.settings.data_dir, &sha);
    tokio::task::spawn_blocking(move || write_atomically(&path, &data))
        .await
        .map_err(|e| HubError::Internal(format!("attachment write failed: {e}")))?
        .map_err(HubError::Io)?;
    let who = client.key();
    let stored = state
        .writer
        .call(1, move |ap| {
            let new = ap
                .conn
                .prepare_cached(
                    "INSERT INTO chat_attachment (sha256, mime, size, name, uploaded_at_ms, uploaded_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sha256) DO NOTHING",
                )?
                .execute(params![
                    reference.sha256,
                    reference.mime,
                    reference.size as i64,
                    reference.name,
                    now_ms() as i64,
                    who
                ])?
                > 0;
            ap.conn
                .prepare_cached(
                    "INSERT INTO chat_attachment_uploader (sha256, who) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute(params![reference.sha256, who])?;
            let (mime, size, name): (String, i64, String) = ap.conn.query_row(
                "SELECT mime, size, name FROM chat_attachment WHERE sha256 = ?1",
                [&reference.sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok((
                AttachmentJson {
                    sha256: reference.sha256.clone(),
                    name,
                    mime,
                    size: size.max(0) as u64,
                    uploaded: true,
                },
                new,
            ))
        })
        .await?;
    let (attachment, new) = stored;
    if new {
        tracing::info!(who = %client.name(), sha256 = %attachment.sha256, size = attachment.size, "attachment stored");
    }
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(attachment)))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `filename="…"` (ASCII, quotes and controls replaced) and `filename*` (UTF-8).
fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Download an attachment: console users and tills that may see a message referencing it
/// (or that uploaded it).
#[utoipa::path(
    get, path = "/api/v1/chat/attachments/{sha256}", tag = "chat",
    params(("sha256" = String, Path, description = "SHA-256 of the file (64 lowercase hex digits)")),
    security(("bearer" = []), ("cookie" = []), ("device" = [])),
    responses((status = 200, description = "The bytes, with their Content-Type", body = String, content_type = "application/octet-stream"),
              (status = 400, description = "Malformed hash", body = ErrorBody),
              (status = 401, description = "No session or device credential", body = ErrorBody),
              (status = 403, description = "Only in messages of another store", body = ErrorBody),
              (status = 404, description = "Unknown, or not uploaded yet (`not_uploaded`)", body = ErrorBody))
)]
pub async fn get_attachment(
    State(state): State<Arc<AppState>>,
    client: ChatClient,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, ApiError> {
    if !valid_sha(&sha) {
        return Err(ApiError::invalid(
            "an attachment is named by its SHA-256 (64 lowercase hex digits)",
        ));
    }
    let (store, who) = (client.store(), client.key());
    let sha2 = sha.clone();
    let row = state
        .reads
        .read(move |c| {
            let sha = sha2;
            let visible = c
                .prepare_cached(
                    "SELECT 1 FROM chat_message_attachment WHERE sha256 = ?1 AND (?2 IS NULL OR store = ?2)",
                )?
                .exists(params![sha, store])?
                || c.prepare_cached(
                    "SELECT 1 FROM chat_attachment_uploader WHERE sha256 = ?1 AND who = ?2",
                )?
                .exists(params![sha, who])?;
            let stored: Option<(String, String)> = c
                .prepare_cached("SELECT mime, name FROM chat_attachment WHERE sha256 = ?1")?
                .query_row([&sha], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let referenced = c
                .prepare_cached("SELECT 1 FROM chat_message_attachment WHERE sha256 = ?1")?
                .exists([&sha])?;
            Ok((visible, stored, referenced))
        })
        .await?;
    let (mime, name) = match row {
        (true, Some(found), _) => found,
        (true, None, _) => {
            return Err(ApiError::not_found(
                "not_uploaded",
                "the message arrived before its file: not uploaded yet; try again later",
            ));
        }
        (false, stored, referenced) if stored.is_some() || referenced => {
            tracing::warn!(who = %client.name(), %sha, "attachment of another store refused");
            return Err(forbidden(
                "this attachment belongs to messages you may not see",
            ));
        }
        (false, _, _) => {
            return Err(ApiError::not_found(
                "unknown_attachment",
                format!("no attachment {sha}"),
            ));
        }
    };
    let path = attachment_path(&state.settings.data_dir, &sha);
    let data = tokio::fs::read(&path).await.map_err(|e| {
        tracing::error!(%sha, error = %e, "attachment row without its file");
        HubError::Io(e)
    })?;
    let disposition = if mime.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let mut resp = (StatusCode::OK, data).into_response();
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, k, v: String| {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set(h, CONTENT_TYPE, mime);
    set(
        h,
        CONTENT_DISPOSITION,
        content_disposition(disposition, &name),
    );
    set(h, X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    set(
        h,
        CACHE_CONTROL,
        "private, max-age=31536000, immutable".into(),
    );
    set(
        h,
        CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox".into(),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_quote_every_word() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(
            fts_query("damaged box").as_deref(),
            Some("\"damaged\"* \"box\"*")
        );
        assert_eq!(
            fts_query("\"AND OR(").as_deref(),
            Some("\"\"\"AND\"* \"OR(\"*")
        );
    }

    #[test]
    fn sniffing_knows_the_allowed_types() {
        assert!(sniff_matches("image/jpeg", &[0xff, 0xd8, 0xff, 0xe0]));
        assert!(!sniff_matches("image/jpeg", b"%PDF-1.7"));
        assert!(sniff_matches("image/png", b"\x89PNG\r\n\x1a\nrest"));
        assert!(sniff_matches("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!sniff_matches("image/webp", b"RIFF\0\0\0\0WAVE"));
        assert!(sniff_matches("application/pdf", b"%PDF-1.4"));
        assert!(!sniff_matches("application/x-msdownload", b"MZ"));
    }

    #[test]
    fn content_disposition_is_safe_for_any_name() {
        let d = content_disposition("attachment", "영수증 \"1\".pdf");
        assert!(d.starts_with("attachment; filename=\""), "{d}");
        assert!(!d[22..d.find("\";").unwrap_or(0)].contains('"'), "{d}");
        assert!(d.contains("filename*=UTF-8''%EC%98%81"), "{d}");
    }
}
