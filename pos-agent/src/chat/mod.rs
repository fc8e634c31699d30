//! HQ–store chat and notices at the till (issue 6, DESIGN §6): the SQL projection of
//! [`sync_proto::chat`] and what a person at the till does with it.
//!
//! The till sees its own store's two channels: `store:<code>` (the conversation with HQ,
//! shared by all of the store's tills) and `notices:<code>` (HQ announcements). Both travel
//! in scope `store:<code>`, so they arrive with the rest of the store's ops.
//!
//! The tables (schema 3, [`crate::db`]) implement [`sync_proto::chat::ChatState`]:
//! - `chat_message`: a grow-only set by message id. Each row keeps the HLC of the op that
//!   carried it; the order everywhere is `(hlc, id)`, never arrival. Of two copies of one id
//!   the lower `(hlc, encoding)` wins (only a faulty writer makes two).
//! - `chat_read`: a max-register of the HLC read up to, per `(reader, channel)`.
//! - `chat_ticket`: a max-register over `open < in_progress < resolved` per ticket.
//! - `chat_ack`: one acknowledgement per `(announcement, store)`, the earliest `(at_ms, by)`.
//!
//! Writing ([`send`], [`mark_read`], [`acknowledge`], [`update_ticket`]) goes through the
//! outbox [`Writer`]: the rows and the op commit in ONE transaction, so a message typed
//! offline is kept (and later sent) even if the till is killed right after. Each op is
//! checked with the hub's own [`check_till_op`] before the commit. A message carries a
//! client-made UUIDv7; a resend with the same id stores nothing new, here or at the hub.
//!
//! History is bounded: at most [`history_limit`] messages per channel (default
//! [`DEFAULT_HISTORY_LIMIT`], meta key [`HISTORY_LIMIT_KEY`]); the oldest are pruned as new
//! ones arrive, but never an open ticket or an announcement this store has not acknowledged.
//!
//! Attachments: [`files`] checks and stores the bytes in the data directory, [`net`]
//! uploads pending files to the hub and downloads others on demand.

pub mod files;
pub mod net;
mod till_api;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::chat::{
    AnnouncementAck, AttachmentRef, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide,
    MessageKind, Reader, TicketCategory, TicketStatus, TicketUpdate,
};
use sync_proto::op::OpBody;
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, Op, StoreId};
use uuid::Uuid;

use crate::db::{self, Enrolment, keys};
use crate::error::{Result, TillError};
use crate::outbox::Writer;
use crate::people::Staff;

pub use till_api::{ChatSend, ChatSent};

/// Messages kept per channel unless configured otherwise.
pub const DEFAULT_HISTORY_LIMIT: usize = 2_000;
/// Meta key of the per-channel history limit.
pub const HISTORY_LIMIT_KEY: &str = "chat_history_limit";
/// Most results of a search.
pub const MAX_SEARCH_RESULTS: usize = 100;

/// Why a chat action was refused (worded for the person at the till).
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The message itself is malformed (empty, too long, bad attachment reference).
    #[error("{0}")]
    Message(#[from] sync_proto::chat::ChatError),
    /// A file given to attach cannot be attached.
    #[error("cannot attach {file}: {reason}")]
    File {
        /// The file as given.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No announcement with this id in this store's notices.
    #[error(
        "no announcement {0} in this store's notices (if HQ just sent it, sync the till and try again)"
    )]
    UnknownAnnouncement(String),
    /// The announcement does not ask for acknowledgement.
    #[error("announcement {0:?} does not ask for acknowledgement")]
    AckNotRequired(String),
    /// No ticket with this id in this store's chat.
    #[error("no ticket {0} in this store's chat")]
    UnknownTicket(String),
    /// A ticket's status only moves forward.
    #[error(
        "ticket {ticket} is already {current}; a ticket only moves forward (open → in_progress → resolved)"
    )]
    TicketBackwards {
        /// The ticket.
        ticket: Uuid,
        /// Its status now.
        current: &'static str,
    },
    /// Empty search text.
    #[error("search for what? give some text to look for")]
    EmptySearch,
    /// No message at this till references this attachment.
    #[error("no message at this till has an attachment with sha256 {0}")]
    UnknownAttachment(String),
    /// The hub does not have the file (yet).
    #[error("attachment {0} is not on the hub yet (its message arrived first); try again later")]
    NotUploadedYet(String),
    /// What the till would write is refused by the hub's own checks (a bug, or bad input
    /// that slipped through): nothing was written.
    #[error("refused: {0}")]
    Refused(String),
}

/// Which of the store's two channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The conversation with HQ (`store:<code>`).
    Store,
    /// HQ announcements (`notices:<code>`).
    Notices,
}

impl ChannelKind {
    /// This kind's channel of `store`.
    pub fn channel(self, store: &StoreId) -> Channel {
        match self {
            ChannelKind::Store => Channel::Store(store.clone()),
            ChannelKind::Notices => Channel::Notices(store.clone()),
        }
    }
}

/// An attachment of a message, with whether its bytes are on this till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AttachmentView {
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// File name.
    pub name: String,
    /// Media type.
    pub mime: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Where the bytes are here: `pending` (written here, not uploaded yet), `uploaded`,
    /// `cached` (downloaded), `refused` (the hub refused the upload), or `remote` (only on
    /// the hub: `chat attachment SHA --out FILE` fetches it).
    pub state: String,
}

/// A message as a screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChatMessageView {
    /// Message id (client-made UUIDv7).
    pub id: Uuid,
    /// `store:<code>` or `notices:<code>`.
    pub channel: String,
    /// Sortable position in the channel: the HLC of the op that carried it, then the id
    /// ([`order_key`], the same string the hub's API gives); compare as strings.
    pub order: String,
    /// Wall-clock part of that HLC (ms since epoch).
    #[ts(type = "number")]
    pub hlc_wall_ms: u64,
    /// Store or HQ.
    pub side: ChatSide,
    /// Login name of the author, when known.
    pub username: Option<String>,
    /// Name shown.
    pub display_name: String,
    /// The text.
    pub text: String,
    /// `chat`, `ticket` or `announcement`.
    pub kind: String,
    /// Ticket category.
    pub category: Option<TicketCategory>,
    /// Ticket status (tickets only).
    pub ticket_status: Option<TicketStatus>,
    /// Announcement id (announcements only).
    pub announcement: Option<Uuid>,
    /// Announcement title.
    pub title: Option<String>,
    /// The announcement asks the store to acknowledge it.
    pub requires_ack: bool,
    /// Who acknowledged it for this store, if anyone has.
    pub acked_by: Option<String>,
    /// When (the acknowledging till's clock).
    #[ts(type = "number | null")]
    pub acked_at_ms: Option<i64>,
    /// Attached files.
    pub attachments: Vec<AttachmentView>,
    /// When it was written (the writer's clock; shown, not used for order).
    #[ts(type = "number")]
    pub written_at_ms: i64,
    /// Written at this till.
    pub mine: bool,
    /// An HQ user has read the channel up to (at least) this message.
    pub seen_by_hq: bool,
}

/// Unread messages of one channel, for this till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChannelUnread {
    /// `store:<code>` or `notices:<code>`.
    pub channel: String,
    /// Which of the two.
    pub kind: ChannelKind,
    /// Messages after this till's read position, not written by this till.
    #[ts(type = "number")]
    pub unread: u64,
}

/// A ticket (a message of kind ticket) with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TicketView {
    /// The ticket (its message id).
    pub id: Uuid,
    /// Its channel.
    pub channel: String,
    /// Category.
    pub category: Option<TicketCategory>,
    /// Status now.
    pub status: TicketStatus,
    /// The message text.
    pub text: String,
    /// Who raised it.
    pub display_name: String,
    /// When it was raised.
    #[ts(type = "number")]
    pub written_at_ms: i64,
    /// Who last moved its status, if anyone.
    pub updated_by: Option<String>,
}

/// What an acknowledgement did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AckOutcome {
    /// The announcement.
    pub announcement: Uuid,
    /// Its title.
    pub title: String,
    /// Who acknowledged it (the first acknowledgement when it already was).
    pub by: String,
    /// When.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// `false` when the store had already acknowledged it (nothing written).
    pub created: bool,
    /// The op written (none when it already was acknowledged).
    #[serde(skip)]
    pub ops: Vec<Op>,
}

/// What a ticket update did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketChange {
    /// The ticket after the change.
    pub ticket: TicketView,
    /// `false` when it already had this status (nothing written).
    pub changed: bool,
    /// The op written.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

/// The sortable order key of a message carried by an op stamped `hlc`:
/// `wall(16 digits).counter(10 digits).actor(32 hex).id(32 hex)`, the hub's format, so a
/// message has the same key on the till and in the console.
pub fn order_key(hlc: &Hlc, id: &Uuid) -> String {
    format!(
        "{:016}.{:010}.{}.{}",
        hlc.wall_ms,
        hlc.counter,
        hlc.actor.0.simple(),
        id.simple()
    )
}

fn kind_str(kind: &MessageKind) -> &'static str {
    match kind {
        MessageKind::Chat => "chat",
        MessageKind::Ticket { .. } => "ticket",
        MessageKind::Announcement { .. } => "announcement",
    }
}

fn side_str(side: ChatSide) -> &'static str {
    match side {
        ChatSide::Store => "store",
        ChatSide::Hq => "hq",
    }
}

fn rank(status: TicketStatus) -> i64 {
    match status {
        TicketStatus::Open => 0,
        TicketStatus::InProgress => 1,
        TicketStatus::Resolved => 2,
    }
}

fn status_of_rank(rank: i64) -> TicketStatus {
    match rank {
        i64::MIN..=0 => TicketStatus::Open,
        1 => TicketStatus::InProgress,
        _ => TicketStatus::Resolved,
    }
}

/// The text key of a reader in `chat_read`.
pub fn reader_key(reader: &Reader) -> String {
    match reader {
        Reader::Till(actor) => format!("till:{actor}"),
        Reader::User(name) => format!("user:{name}"),
    }
}

fn corrupt(what: &str) -> TillError {
    TillError::Corrupt(format!("stored chat {what} is invalid"))
}

fn encode(m: &ChatMessage) -> Result<Vec<u8>> {
    rmp_serde::to_vec(m).map_err(|e| TillError::Internal(format!("cannot encode message: {e}")))
}

fn current_actor(conn: &Connection) -> Result<Option<ActorId>> {
    Ok(db::get_meta(conn, keys::ACTOR)?.and_then(|a| a.parse().ok()))
}

/// The per-channel history limit in force.
pub fn history_limit(conn: &Connection) -> Result<usize> {
    Ok(db::get_meta(conn, HISTORY_LIMIT_KEY)?
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_HISTORY_LIMIT))
}

/// Set the per-channel history limit (at least 1); prunes every channel down to it.
pub fn set_history_limit(conn: &Connection, limit: usize) -> Result<()> {
    if limit == 0 {
        return Err(TillError::InvalidInput(
            "the chat history limit is at least 1 message per channel".into(),
        ));
    }
    db::set_meta(conn, HISTORY_LIMIT_KEY, &limit.to_string())?;
    let channels: Vec<String> = conn
        .prepare("SELECT DISTINCT channel FROM chat_message")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for c in channels {
        prune(conn, &c, limit)?;
    }
    Ok(())
}

/// Apply one chat op (downstream, a snapshot record, or this till's own op) in the
/// caller's transaction; `true` if it changed anything. Idempotent and order-free.
pub fn apply_op(conn: &Connection, op: &Op) -> Result<bool> {
    match &op.body {
        OpBody::ChatMessage(m) => {
            let local = current_actor(conn)? == Some(op.actor);
            let new = insert_message(conn, &op.hlc, op.actor, m, local)?;
            if new {
                prune(conn, &m.channel.to_string(), history_limit(conn)?)?;
            }
            Ok(new)
        }
        OpBody::ChatRead(r) => apply_read(conn, r),
        OpBody::TicketUpdate(t) => apply_ticket(conn, t, &op.hlc),
        OpBody::AnnouncementAck(a) => apply_ack(conn, a),
        _ => Ok(false),
    }
}

/// Insert a message carried by an op stamped `hlc` (first copy wins; of two different
/// copies the lower `(hlc, encoding)`); `true` if the row is new or was replaced.
pub fn insert_message(
    conn: &Connection,
    hlc: &Hlc,
    op_actor: ActorId,
    m: &ChatMessage,
    local: bool,
) -> Result<bool> {
    let (category, announcement, title, requires_ack) = match &m.kind {
        MessageKind::Chat => (None, None, None, false),
        MessageKind::Ticket { category } => (Some(category.as_str()), None, None, false),
        MessageKind::Announcement {
            announcement,
            title,
            requires_ack,
        } => (
            None,
            Some(announcement.to_string()),
            Some(title.as_str()),
            *requires_ack,
        ),
    };
    let attachments = serde_json::to_string(&m.attachments)
        .map_err(|e| TillError::Internal(format!("cannot encode attachments: {e}")))?;
    let n = conn
        .prepare_cached(
            "INSERT INTO chat_message(id, channel, hlc, op_actor, side, username, display_name,
                 text, kind, category, announcement, title, requires_ack, attachments,
                 written_at_ms, local, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT(id) DO UPDATE SET
                 channel = excluded.channel, hlc = excluded.hlc, op_actor = excluded.op_actor,
                 side = excluded.side, username = excluded.username,
                 display_name = excluded.display_name, text = excluded.text,
                 kind = excluded.kind, category = excluded.category,
                 announcement = excluded.announcement, title = excluded.title,
                 requires_ack = excluded.requires_ack, attachments = excluded.attachments,
                 written_at_ms = excluded.written_at_ms,
                 local = excluded.local, body = excluded.body
             WHERE excluded.hlc < chat_message.hlc
                OR (excluded.hlc = chat_message.hlc AND excluded.body < chat_message.body)",
        )?
        .execute(params![
            m.id.to_string(),
            m.channel.to_string(),
            db::hlc_to_text(hlc),
            op_actor.to_string(),
            side_str(m.author.side),
            m.author.username,
            m.author.display_name,
            m.text,
            kind_str(&m.kind),
            category,
            announcement,
            title,
            requires_ack,
            attachments,
            m.written_at_ms,
            local,
            encode(m)?,
        ])?;
    Ok(n > 0)
}

fn apply_read(conn: &Connection, r: &ChatRead) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO chat_read(reader, channel, up_to) VALUES (?1, ?2, ?3)
             ON CONFLICT(reader, channel) DO UPDATE SET up_to = excluded.up_to
             WHERE excluded.up_to > chat_read.up_to",
        )?
        .execute(params![
            reader_key(&r.reader),
            r.channel.to_string(),
            db::hlc_to_text(&r.up_to)
        ])?;
    Ok(n > 0)
}

fn apply_ticket(conn: &Connection, t: &TicketUpdate, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO chat_ticket(id, channel, rank, updated_by, hlc) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET rank = excluded.rank,
                 updated_by = excluded.updated_by, hlc = excluded.hlc
             WHERE excluded.rank > chat_ticket.rank",
        )?
        .execute(params![
            t.ticket.to_string(),
            t.channel.to_string(),
            rank(t.status),
            t.by,
            db::hlc_to_text(hlc)
        ])?;
    Ok(n > 0)
}

fn apply_ack(conn: &Connection, a: &AnnouncementAck) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO chat_ack(announcement, store, by, at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(announcement, store) DO UPDATE SET by = excluded.by, at_ms = excluded.at_ms
             WHERE excluded.at_ms < chat_ack.at_ms
                OR (excluded.at_ms = chat_ack.at_ms AND excluded.by < chat_ack.by)",
        )?
        .execute(params![
            a.announcement.to_string(),
            a.store.as_str(),
            a.by,
            a.at_ms
        ])?;
    Ok(n > 0)
}

/// Keep at most `limit` messages in `channel`: delete the oldest, never an open (or
/// in-progress) ticket nor an announcement requiring acknowledgement that this store has
/// not acknowledged. Returns how many were deleted.
pub fn prune(conn: &Connection, channel: &str, limit: usize) -> Result<usize> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM chat_message WHERE channel = ?1")?
        .query_row([channel], |r| r.get(0))?;
    let excess = count.saturating_sub(limit.min(i64::MAX as usize) as i64);
    if excess <= 0 {
        return Ok(0);
    }
    let store = channel.split_once(':').map(|(_, s)| s).unwrap_or_default();
    let n = conn
        .prepare_cached(
            "DELETE FROM chat_message WHERE id IN (
                 SELECT m.id FROM chat_message m
                 WHERE m.channel = ?1
                   AND NOT (m.kind = 'ticket'
                            AND COALESCE((SELECT t.rank FROM chat_ticket t WHERE t.id = m.id), 0) < 2)
                   AND NOT (m.kind = 'announcement' AND m.requires_ack = 1
                            AND NOT EXISTS (SELECT 1 FROM chat_ack a
                                            WHERE a.announcement = m.announcement AND a.store = ?2))
                 ORDER BY m.hlc, m.id
                 LIMIT ?3)",
        )?
        .execute(params![channel, store, excess])?;
    if n > 0 {
        tracing::debug!(channel, pruned = n, "pruned old chat messages");
    }
    Ok(n)
}

const MESSAGE_COLUMNS: &str = "m.id, m.channel, m.hlc, m.side, m.username, m.display_name, m.text,
     m.kind, m.category, m.announcement, m.title, m.requires_ack, m.attachments,
     m.written_at_ms, m.local, m.op_actor,
     (SELECT t.rank FROM chat_ticket t WHERE t.id = m.id),
     a.by, a.at_ms";

const MESSAGE_FROM: &str = "FROM chat_message m
     LEFT JOIN chat_ack a ON a.announcement = m.announcement
         AND a.store = substr(m.channel, instr(m.channel, ':') + 1)";

struct Row {
    view: ChatMessageView,
    op_actor: String,
    /// `db::hlc_to_text` of the message's HLC.
    hlc: String,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Row, String, Option<String>, String)> {
    let hlc: String = r.get(2)?;
    let side: String = r.get(3)?;
    let kind: String = r.get(7)?;
    let category: Option<String> = r.get(8)?;
    let announcement: Option<String> = r.get(9)?;
    let attachments: String = r.get(12)?;
    let rank: Option<i64> = r.get(16)?;
    let view = ChatMessageView {
        id: Uuid::nil(),
        channel: r.get(1)?,
        order: String::new(),
        hlc_wall_ms: 0,
        side: if side == "hq" {
            ChatSide::Hq
        } else {
            ChatSide::Store
        },
        username: r.get(4)?,
        display_name: r.get(5)?,
        text: r.get(6)?,
        category: category.and_then(|c| c.parse().ok()),
        ticket_status: (kind == "ticket").then(|| status_of_rank(rank.unwrap_or(0))),
        kind,
        announcement: None,
        title: r.get(10)?,
        requires_ack: r.get(11)?,
        acked_by: r.get(17)?,
        acked_at_ms: r.get(18)?,
        attachments: Vec::new(),
        written_at_ms: r.get(13)?,
        mine: r.get(14)?,
        seen_by_hq: false,
    };
    let id: String = r.get(0)?;
    Ok((
        Row {
            view,
            op_actor: r.get(15)?,
            hlc,
        },
        id,
        announcement,
        attachments,
    ))
}

fn finish_rows(
    conn: &Connection,
    rows: Vec<(Row, String, Option<String>, String)>,
) -> Result<Vec<ChatMessageView>> {
    let actor = current_actor(conn)?.map(|a| a.to_string());
    let mut hq_read: std::collections::BTreeMap<String, Option<String>> = Default::default();
    let mut out = Vec::with_capacity(rows.len());
    for (row, id, announcement, attachments) in rows {
        let mut v = row.view;
        v.id = id.parse().map_err(|_| corrupt("message id"))?;
        v.announcement = match announcement {
            Some(a) => Some(a.parse().map_err(|_| corrupt("announcement id"))?),
            None => None,
        };
        let hlc = db::hlc_from_text(&row.hlc).ok_or_else(|| corrupt("message HLC"))?;
        v.hlc_wall_ms = hlc.wall_ms;
        v.order = order_key(&hlc, &v.id);
        v.mine = v.mine || actor.as_deref() == Some(row.op_actor.as_str());
        let refs: Vec<AttachmentRef> =
            serde_json::from_str(&attachments).map_err(|_| corrupt("attachments"))?;
        for a in refs {
            let state = files::state_of(conn, &a.sha256)?.unwrap_or_else(|| "remote".into());
            v.attachments.push(AttachmentView {
                sha256: a.sha256,
                name: a.name,
                mime: a.mime,
                size: a.size,
                state,
            });
        }
        if !hq_read.contains_key(&v.channel) {
            let up_to: Option<String> = conn
                .prepare_cached(
                    "SELECT MAX(up_to) FROM chat_read WHERE channel = ?1 AND reader LIKE 'user:%'",
                )?
                .query_row([&v.channel], |r| r.get(0))?;
            hq_read.insert(v.channel.clone(), up_to);
        }
        v.seen_by_hq = hq_read
            .get(&v.channel)
            .and_then(|u| u.as_deref())
            .is_some_and(|u| u >= row.hlc.as_str());
        out.push(v);
    }
    Ok(out)
}

/// The last `limit` messages of `channel` (all when `None`), oldest first, in `(HLC, id)`
/// order.
pub fn list(
    conn: &Connection,
    channel: &Channel,
    limit: Option<usize>,
) -> Result<Vec<ChatMessageView>> {
    list_before(conn, channel, None, limit)
}

/// The last `limit` messages of `channel` (all when `None`) that come before the message
/// `before` in `(HLC, id)` order (all of them when `None`), oldest first: the page above
/// what a screen shows. A `before` that is not in the channel gives an empty page.
pub fn list_before(
    conn: &Connection,
    channel: &Channel,
    before: Option<&Uuid>,
    limit: Option<usize>,
) -> Result<Vec<ChatMessageView>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM}
         WHERE m.channel = ?1
           AND (?3 IS NULL OR (m.hlc, m.id) <
                (SELECT b.hlc, b.id FROM chat_message b WHERE b.id = ?3 AND b.channel = ?1))
         ORDER BY m.hlc DESC, m.id DESC LIMIT ?2"
    );
    let limit = limit.map_or(-1, |l| l.min(i64::MAX as usize) as i64);
    let mut rows = conn
        .prepare_cached(&sql)?
        .query_map(
            params![channel.to_string(), limit, before.map(Uuid::to_string)],
            read_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.reverse();
    finish_rows(conn, rows)
}

/// One message by id.
pub fn message(conn: &Connection, id: &Uuid) -> Result<Option<ChatMessageView>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id = ?1");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([id.to_string()], read_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(finish_rows(conn, rows)?.into_iter().next())
}

/// Messages of the till's channels whose text or title contains `text` (case-insensitive
/// for ASCII), newest first, at most [`MAX_SEARCH_RESULTS`].
pub fn search(conn: &Connection, text: &str) -> Result<Vec<ChatMessageView>> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ChatError::EmptySearch.into());
    }
    let store = db::require_enrolment(conn)?.store;
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM}
         WHERE m.channel IN (?1, ?2)
           AND (m.text LIKE ?3 ESCAPE '\\' OR COALESCE(m.title, '') LIKE ?3 ESCAPE '\\')
         ORDER BY m.hlc DESC, m.id DESC LIMIT ?4"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(
            params![
                Channel::Store(store.clone()).to_string(),
                Channel::Notices(store).to_string(),
                pattern,
                MAX_SEARCH_RESULTS as i64
            ],
            read_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    finish_rows(conn, rows)
}

/// This till's read position in `channel`.
pub fn read_position(conn: &Connection, channel: &Channel) -> Result<Option<Hlc>> {
    let Some(actor) = current_actor(conn)? else {
        return Ok(None);
    };
    let text: Option<String> = conn
        .prepare_cached("SELECT up_to FROM chat_read WHERE reader = ?1 AND channel = ?2")?
        .query_row(
            params![reader_key(&Reader::Till(actor)), channel.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.and_then(|t| db::hlc_from_text(&t)))
}

/// Messages of `channel` after this till's read position that this till did not write.
pub fn unread(conn: &Connection, channel: &Channel) -> Result<u64> {
    let Some(actor) = current_actor(conn)? else {
        return Ok(0);
    };
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM chat_message m
             WHERE m.channel = ?1 AND m.local = 0 AND m.op_actor <> ?2
               AND m.hlc > COALESCE(
                   (SELECT up_to FROM chat_read WHERE reader = ?3 AND channel = ?1), '')",
        )?
        .query_row(
            params![
                channel.to_string(),
                actor.to_string(),
                reader_key(&Reader::Till(actor))
            ],
            |r| r.get(0),
        )?;
    Ok(n.max(0) as u64)
}

/// Unread counts of the till's two channels (empty before enrolment).
pub fn unread_counts(conn: &Connection) -> Result<Vec<ChannelUnread>> {
    let Some(enrolment) = db::enrolment(conn)? else {
        return Ok(Vec::new());
    };
    [ChannelKind::Store, ChannelKind::Notices]
        .into_iter()
        .map(|kind| {
            let channel = kind.channel(&enrolment.store);
            Ok(ChannelUnread {
                unread: unread(conn, &channel)?,
                channel: channel.to_string(),
                kind,
            })
        })
        .collect()
}

/// Check what the till is about to commit exactly as the hub will.
fn hub_check(ops: &[Op], e: &Enrolment) -> Result<()> {
    for op in ops {
        check_till_op(op, e.actor, &e.store).map_err(|r| ChatError::Refused(r.to_string()))?;
    }
    Ok(())
}

/// The author of a message written at this till: the staff member who gave their PIN, or
/// the till itself.
pub fn author(e: &Enrolment, staff: Option<&Staff>) -> ChatAuthor {
    match staff {
        Some(s) => ChatAuthor {
            side: ChatSide::Store,
            username: Some(s.username.clone()),
            display_name: s.display_name.clone(),
        },
        None => {
            let store = if e.store_name.trim().is_empty() {
                e.store.to_string()
            } else {
                e.store_name.clone()
            };
            ChatAuthor {
                side: ChatSide::Store,
                username: None,
                display_name: format!("{store} till {:02}", e.till_no),
            }
        }
    }
}

/// Write a message of this till (in the caller's write transaction): the op in the outbox
/// and the row, applied locally with the op's HLC. `attachments` must already be stored
/// ([`files::store`]); they are recorded as pending uploads.
pub fn write_message(
    conn: &Connection,
    message: ChatMessage,
    attachments: &[AttachmentRef],
) -> Result<(ChatMessage, Vec<Op>)> {
    sync_proto::chat::check_message(&message).map_err(ChatError::from)?;
    let mut w = Writer::begin(conn)?;
    let op = w.emit(OpBody::ChatMessage(message.clone()))?.clone();
    insert_message(conn, &op.hlc, op.actor, &message, true)?;
    for a in attachments {
        files::record_pending(conn, a)?;
    }
    let enrolment = w.enrolment.clone();
    let ops = w.finish()?;
    hub_check(&ops, &enrolment)?;
    prune(conn, &message.channel.to_string(), history_limit(conn)?)?;
    Ok((message, ops))
}

/// Mark `channel` read up to its newest message (in the caller's write transaction):
/// a `ChatRead` op with this till as reader, only if that moves the position forward.
/// Returns the new position, or `None` when there was nothing new.
pub fn mark_read(conn: &Connection, channel: &Channel) -> Result<Option<(Hlc, Vec<Op>)>> {
    let newest: Option<String> = conn
        .prepare_cached("SELECT MAX(hlc) FROM chat_message WHERE channel = ?1")?
        .query_row([channel.to_string()], |r| r.get(0))?;
    let Some(newest) = newest.and_then(|t| db::hlc_from_text(&t)) else {
        return Ok(None);
    };
    if read_position(conn, channel)?.is_some_and(|p| p >= newest) {
        return Ok(None);
    }
    let mut w = Writer::begin(conn)?;
    let read = ChatRead {
        channel: channel.clone(),
        reader: Reader::Till(w.enrolment.actor),
        up_to: newest,
    };
    w.emit(OpBody::ChatRead(read.clone()))?;
    apply_read(conn, &read)?;
    let enrolment = w.enrolment.clone();
    let ops = w.finish()?;
    hub_check(&ops, &enrolment)?;
    Ok(Some((newest, ops)))
}

/// The announcement (in this store's notices) with this announcement id or message id.
fn find_announcement(conn: &Connection, store: &StoreId, id: &str) -> Result<ChatMessageView> {
    let unknown = || ChatError::UnknownAnnouncement(id.trim().to_owned());
    let uuid: Uuid = id.trim().parse().map_err(|_| unknown())?;
    let channel = Channel::Notices(store.clone()).to_string();
    let msg_id: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM chat_message
             WHERE channel = ?1 AND kind = 'announcement' AND (announcement = ?2 OR id = ?2)
             ORDER BY hlc, id LIMIT 1",
        )?
        .query_row(params![channel, uuid.to_string()], |r| r.get(0))
        .optional()?;
    let msg_id: Uuid = msg_id
        .ok_or_else(unknown)?
        .parse()
        .map_err(|_| corrupt("id"))?;
    message(conn, &msg_id)?.ok_or_else(|| unknown().into())
}

/// Acknowledge an announcement for this store (in the caller's write transaction), as
/// `by` (the staff member who gave their PIN). Already acknowledged: nothing is written
/// and the first acknowledgement is returned.
pub fn acknowledge(conn: &Connection, id: &str, by: &Staff) -> Result<AckOutcome> {
    let e = db::require_enrolment(conn)?;
    let m = find_announcement(conn, &e.store, id)?;
    let announcement = m
        .announcement
        .ok_or_else(|| ChatError::UnknownAnnouncement(id.to_owned()))?;
    let title = m.title.clone().unwrap_or_default();
    if !m.requires_ack {
        return Err(ChatError::AckNotRequired(title).into());
    }
    if let (Some(by), Some(at_ms)) = (m.acked_by, m.acked_at_ms) {
        return Ok(AckOutcome {
            announcement,
            title,
            by,
            at_ms,
            created: false,
            ops: Vec::new(),
        });
    }
    let mut w = Writer::begin(conn)?;
    let ack = AnnouncementAck {
        announcement,
        store: e.store.clone(),
        by: by.username.clone(),
        at_ms: w.now_ms().min(i64::MAX as u64) as i64,
    };
    w.emit(OpBody::AnnouncementAck(ack.clone()))?;
    apply_ack(conn, &ack)?;
    let ops = w.finish()?;
    hub_check(&ops, &e)?;
    tracing::info!(%announcement, by = %ack.by, "announcement acknowledged");
    Ok(AckOutcome {
        announcement,
        title,
        by: ack.by,
        at_ms: ack.at_ms,
        created: true,
        ops,
    })
}

/// The tickets of this store's channel, newest first.
pub fn tickets(conn: &Connection) -> Result<Vec<TicketView>> {
    let store = db::require_enrolment(conn)?.store;
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.channel, m.category, COALESCE(t.rank, 0), m.text, m.display_name,
                m.written_at_ms, t.updated_by
         FROM chat_message m LEFT JOIN chat_ticket t ON t.id = m.id
         WHERE m.channel = ?1 AND m.kind = 'ticket'
         ORDER BY m.hlc DESC, m.id DESC",
    )?;
    let rows = stmt.query_map([Channel::Store(store).to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, channel, category, rank, text, display_name, written_at_ms, updated_by) = row?;
        out.push(TicketView {
            id: id.parse().map_err(|_| corrupt("ticket id"))?,
            channel,
            category: category.and_then(|c| c.parse().ok()),
            status: status_of_rank(rank),
            text,
            display_name,
            written_at_ms,
            updated_by,
        });
    }
    Ok(out)
}

/// Move a ticket of this store forward to `status` (in the caller's write transaction),
/// as `by`. The same status again writes nothing; going backwards is refused.
pub fn update_ticket(
    conn: &Connection,
    id: &str,
    status: TicketStatus,
    by: &str,
) -> Result<TicketChange> {
    let unknown = || ChatError::UnknownTicket(id.trim().to_owned());
    let ticket_id: Uuid = id.trim().parse().map_err(|_| unknown())?;
    let find = |conn: &Connection| -> Result<Option<TicketView>> {
        Ok(tickets(conn)?.into_iter().find(|t| t.id == ticket_id))
    };
    let current = find(conn)?.ok_or_else(unknown)?;
    if current.status == status {
        return Ok(TicketChange {
            ticket: current,
            changed: false,
            ops: Vec::new(),
        });
    }
    if current.status > status {
        return Err(ChatError::TicketBackwards {
            ticket: ticket_id,
            current: current.status.as_str(),
        }
        .into());
    }
    let channel: Channel = current
        .channel
        .parse()
        .map_err(|_| corrupt("ticket channel"))?;
    let mut w = Writer::begin(conn)?;
    let update = TicketUpdate {
        ticket: ticket_id,
        channel,
        status,
        by: by.to_owned(),
    };
    let op = w.emit(OpBody::TicketUpdate(update.clone()))?.clone();
    apply_ticket(conn, &update, &op.hlc)?;
    let enrolment = w.enrolment.clone();
    let ops = w.finish()?;
    hub_check(&ops, &enrolment)?;
    let ticket = find(conn)?.ok_or_else(unknown)?;
    Ok(TicketChange {
        ticket,
        changed: true,
        ops,
    })
}
