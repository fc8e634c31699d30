//! HQ–store chat and notices (DESIGN §6): the projection of chat ops into the v4 tables,
//! and the reads the REST API ([`crate::api::chat`]) makes of them.
//!
//! [`apply_op`] is the writer's hook: it runs only for the four chat op kinds, only for new
//! ops, inside the writer's transaction, and implements the CRDTs of
//! `sync_proto::chat::ChatState` in SQL:
//! - messages: `INSERT … ON CONFLICT(id) DO NOTHING` (the first copy of an id stays; a
//!   resend never duplicates), placed by the HLC of the op that carried them;
//! - read positions: a max-register per `(reader, channel)`;
//! - tickets: a max-register over `open < in_progress < resolved`, only within the
//!   ticket's own channel (a till cannot move another store's ticket);
//! - acknowledgements: one per `(announcement, store)`, the earliest `(at_ms, by)` wins.
//!
//! Nothing here runs for sales or stock moves. The live events it returns are published by
//! the writer after `COMMIT`, for ops from tills and HQ alike.
//!
//! Order keys: a message's `order` is `WALL.COUNTER.ACTOR.ID` with fixed-width fields
//! (16 decimal digits, 10 decimal digits, 32 hex digits, 32 hex digits), so comparing the
//! strings compares `(HLC, id)`. Read positions and page bounds take the same keys.

use rusqlite::{Connection, OptionalExtension, Row, params};
use sync_proto::chat::{
    AnnouncementAck, AttachmentRef, Channel, ChatMessage, ChatRead, ChatSide, MessageKind, Reader,
    TicketStatus, TicketUpdate,
};
use sync_proto::{ActorId, Hlc, Op, OpBody};
use uuid::Uuid;

use crate::HubError;
use crate::api::chat::{
    AnnouncementAckEvent, AttachmentJson, ChatMessageJson, ChatMessageKind, ChatReadEvent,
    ChatSideJson, TicketJson, TicketStatusJson,
};
use crate::events::Event;

/// A malformed `order` key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid order key {0:?}: expected the `order` of a message (WALL.COUNTER.ACTOR[.ID])")]
pub struct OrderKeyError(pub String);

/// A position in a channel: the HLC of a message's op, and optionally its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The HLC.
    pub hlc: Hlc,
    /// The message id (the lowest id when absent).
    pub id: Option<Uuid>,
}

/// The sortable order key of a message.
pub fn order_key(hlc: &Hlc, id: &Uuid) -> String {
    format!("{}.{}", hlc_key(hlc), id.simple())
}

/// The HLC part of an order key.
pub fn hlc_key(hlc: &Hlc) -> String {
    format!(
        "{:016}.{:010}.{}",
        hlc.wall_ms,
        hlc.counter,
        hlc.actor.0.simple()
    )
}

/// Parse an order key (with or without its id part).
pub fn parse_order(key: &str) -> Result<Position, OrderKeyError> {
    let err = || OrderKeyError(key.chars().take(100).collect());
    let mut parts = key.split('.');
    let wall = parts.next().ok_or_else(err)?;
    let counter = parts.next().ok_or_else(err)?;
    let actor = parts.next().ok_or_else(err)?;
    let id = parts.next();
    if parts.next().is_some()
        || wall.is_empty()
        || wall.len() > 16
        || !wall.bytes().all(|b| b.is_ascii_digit())
        || counter.is_empty()
        || counter.len() > 10
        || !counter.bytes().all(|b| b.is_ascii_digit())
        || actor.len() != 32
    {
        return Err(err());
    }
    let wall_ms: u64 = wall.parse().map_err(|_| err())?;
    if wall_ms > i64::MAX as u64 {
        return Err(err());
    }
    let hlc = Hlc {
        wall_ms,
        counter: counter.parse().map_err(|_| err())?,
        actor: ActorId(Uuid::try_parse(actor).map_err(|_| err())?),
    };
    let id = match id {
        Some(id) if id.len() == 32 => Some(Uuid::try_parse(id).map_err(|_| err())?),
        Some(_) => return Err(err()),
        None => None,
    };
    Ok(Position { hlc, id })
}

/// How a reader is stored: `user:<username>` or `till:<actor>`.
pub fn reader_key(reader: &Reader) -> String {
    match reader {
        Reader::Till(actor) => format!("till:{actor}"),
        Reader::User(name) => format!("user:{name}"),
    }
}

fn status_rank(s: TicketStatus) -> i64 {
    match s {
        TicketStatus::Open => 0,
        TicketStatus::InProgress => 1,
        TicketStatus::Resolved => 2,
    }
}

fn status_from_rank(r: i64) -> TicketStatusJson {
    match r {
        0 => TicketStatusJson::Open,
        1 => TicketStatusJson::InProgress,
        _ => TicketStatusJson::Resolved,
    }
}

impl From<TicketStatusJson> for TicketStatus {
    fn from(s: TicketStatusJson) -> Self {
        match s {
            TicketStatusJson::Open => TicketStatus::Open,
            TicketStatusJson::InProgress => TicketStatus::InProgress,
            TicketStatusJson::Resolved => TicketStatus::Resolved,
        }
    }
}

impl From<TicketStatus> for TicketStatusJson {
    fn from(s: TicketStatus) -> Self {
        status_from_rank(status_rank(s))
    }
}

fn bytes(u: &Uuid) -> &[u8] {
    u.as_bytes().as_slice()
}

/// Fold a chat op into the chat tables (writer job, new ops only); returns the live events
/// to publish after commit (none unless `events_wanted`).
pub fn apply_op(
    conn: &Connection,
    op: &Op,
    cursor: u64,
    events_wanted: bool,
) -> Result<Vec<Event>, HubError> {
    let mut events = Vec::new();
    match &op.body {
        OpBody::ChatMessage(m) => {
            let new = insert_message(conn, op, m, cursor)?;
            if new
                && events_wanted
                && let Some(message) = read_message(conn, &m.id)?
            {
                events.push(Event::ChatMessage { message });
            }
        }
        OpBody::ChatRead(r) => {
            let moved = apply_read(conn, op, r, cursor)?;
            if moved && events_wanted {
                events.push(Event::ChatRead(ChatReadEvent {
                    channel: r.channel.to_string(),
                    reader: reader_key(&r.reader),
                    up_to: hlc_key(&r.up_to),
                }));
            }
        }
        OpBody::TicketUpdate(t) => {
            let moved = apply_ticket(conn, op, t, cursor)?;
            if moved
                && events_wanted
                && let Some(ticket) = read_ticket(conn, &t.ticket)?
            {
                events.push(Event::TicketUpdate { ticket });
            }
        }
        OpBody::AnnouncementAck(a) => {
            let won = apply_ack(conn, a, cursor)?;
            if won && events_wanted {
                events.push(Event::AnnouncementAck(AnnouncementAckEvent {
                    announcement: a.announcement.to_string(),
                    store: a.store.to_string(),
                    by: a.by.clone(),
                    at_ms: a.at_ms,
                }));
            }
        }
        _ => {}
    }
    Ok(events)
}

/// Store a message; false when its id was already there (first copy wins).
fn insert_message(
    conn: &Connection,
    op: &Op,
    m: &ChatMessage,
    cursor: u64,
) -> Result<bool, HubError> {
    let store = m.channel.store().as_str();
    let (kind, category, announcement, title, requires_ack) = match &m.kind {
        MessageKind::Chat => ("chat", None, None, None, false),
        MessageKind::Ticket { category } => ("ticket", Some(category.as_str()), None, None, false),
        MessageKind::Announcement {
            announcement,
            title,
            requires_ack,
        } => (
            "announcement",
            None,
            Some(*announcement),
            Some(title.as_str()),
            *requires_ack,
        ),
    };
    let attachments = serde_json::to_string(&m.attachments)
        .map_err(|e| HubError::Internal(format!("encoding attachments: {e}")))?;
    let side = match m.author.side {
        ChatSide::Store => "store",
        ChatSide::Hq => "hq",
    };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO chat_message (id, channel, store, hlc_wall, hlc_counter, hlc_actor, cursor,
                 actor, side, username, display_name, text, kind, category, announcement, title,
                 requires_ack, attachments, written_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            bytes(&m.id),
            m.channel.to_string(),
            store,
            op.hlc.wall_ms as i64,
            op.hlc.counter,
            bytes(&op.hlc.actor.0),
            cursor as i64,
            bytes(&op.actor.0),
            side,
            m.author.username,
            m.author.display_name,
            m.text,
            kind,
            category,
            announcement.as_ref().map(bytes),
            title,
            requires_ack,
            attachments,
            m.written_at_ms
        ])?;
    if inserted == 0 {
        tracing::debug!(id = %m.id, "chat message already stored; the first copy stays");
        return Ok(false);
    }
    for a in &m.attachments {
        conn.prepare_cached(
            "INSERT INTO chat_message_attachment (sha256, message, store) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![a.sha256, bytes(&m.id), store])?;
    }
    match &m.kind {
        MessageKind::Ticket { .. } => {
            // A status row made by an update in another channel (forged) is reset.
            conn.prepare_cached(
                "INSERT INTO chat_ticket (id, channel, store, status) VALUES (?1, ?2, ?3, 0)
                 ON CONFLICT (id) DO UPDATE SET
                   status = CASE WHEN chat_ticket.channel = excluded.channel THEN chat_ticket.status ELSE 0 END,
                   updated_at_ms = CASE WHEN chat_ticket.channel = excluded.channel THEN chat_ticket.updated_at_ms END,
                   updated_by = CASE WHEN chat_ticket.channel = excluded.channel THEN chat_ticket.updated_by END,
                   cursor = CASE WHEN chat_ticket.channel = excluded.channel THEN chat_ticket.cursor END,
                   channel = excluded.channel, store = excluded.store",
            )?
            .execute(params![bytes(&m.id), m.channel.to_string(), store])?;
        }
        MessageKind::Announcement {
            announcement,
            title,
            requires_ack,
        } => {
            let sent_by = m
                .author
                .username
                .clone()
                .unwrap_or_else(|| m.author.display_name.clone());
            conn.prepare_cached(
                "INSERT INTO announcement (id, title, text, requires_ack, sent_by, sent_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                bytes(announcement),
                title,
                m.text,
                requires_ack,
                sent_by,
                m.written_at_ms
            ])?;
            conn.prepare_cached(
                "INSERT INTO announcement_store (announcement, store, message) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![bytes(announcement), store, bytes(&m.id)])?;
        }
        MessageKind::Chat => {}
    }
    Ok(true)
}

/// Move a read position forward; false when it was already there or further.
fn apply_read(conn: &Connection, op: &Op, r: &ChatRead, cursor: u64) -> Result<bool, HubError> {
    let reader = reader_key(&r.reader);
    let channel = r.channel.to_string();
    let moved =
        conn.prepare_cached(
            "INSERT INTO chat_read (reader, channel, up_to_wall, up_to_counter, up_to_actor, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (reader, channel) DO UPDATE SET
               up_to_wall = excluded.up_to_wall, up_to_counter = excluded.up_to_counter,
               up_to_actor = excluded.up_to_actor, cursor = excluded.cursor
             WHERE (excluded.up_to_wall, excluded.up_to_counter, excluded.up_to_actor)
                 > (chat_read.up_to_wall, chat_read.up_to_counter, chat_read.up_to_actor)",
        )?
        .execute(params![
            reader,
            channel,
            r.up_to.wall_ms as i64,
            r.up_to.counter,
            bytes(&r.up_to.actor.0),
            cursor as i64
        ])? > 0;
    if moved && let Channel::Notices(store) = &r.channel {
        // Read receipts of announcements count readers of the store: its tills and its
        // manager in the console, never HQ.
        let store_side = match &r.reader {
            Reader::Till(_) => true,
            Reader::User(name) => conn
                .prepare_cached("SELECT 1 FROM users WHERE username = ?1 AND store = ?2")?
                .exists(params![name, store.as_str()])?,
        };
        if store_side {
            conn.prepare_cached(
                "UPDATE announcement_store SET read_at_hlc_ms = ?5
                 WHERE store = ?1 AND read_at_hlc_ms IS NULL AND message IN (
                   SELECT id FROM chat_message WHERE channel = ?6
                     AND (hlc_wall, hlc_counter, hlc_actor) <= (?2, ?3, ?4))",
            )?
            .execute(params![
                store.as_str(),
                r.up_to.wall_ms as i64,
                r.up_to.counter,
                bytes(&r.up_to.actor.0),
                op.hlc.wall_ms as i64,
                channel
            ])?;
        }
    }
    Ok(moved)
}

/// Move a ticket's status forward within its own channel; false when it did not move.
fn apply_ticket(
    conn: &Connection,
    op: &Op,
    t: &TicketUpdate,
    cursor: u64,
) -> Result<bool, HubError> {
    let moved = conn
        .prepare_cached(
            "INSERT INTO chat_ticket (id, channel, store, status, updated_at_ms, updated_by, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
               status = excluded.status, updated_at_ms = excluded.updated_at_ms,
               updated_by = excluded.updated_by, cursor = excluded.cursor
             WHERE excluded.status > chat_ticket.status AND excluded.channel = chat_ticket.channel",
        )?
        .execute(params![
            bytes(&t.ticket),
            t.channel.to_string(),
            t.channel.store().as_str(),
            status_rank(t.status),
            op.hlc.wall_ms as i64,
            t.by,
            cursor as i64
        ])?;
    if moved == 0 {
        tracing::debug!(ticket = %t.ticket, "ticket update did not move the status");
    }
    Ok(moved > 0)
}

/// Record an acknowledgement; false when an earlier one stays.
fn apply_ack(conn: &Connection, a: &AnnouncementAck, cursor: u64) -> Result<bool, HubError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO announcement_ack (announcement, store, acked_by, acked_at_ms, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (announcement, store) DO UPDATE SET
               acked_by = excluded.acked_by, acked_at_ms = excluded.acked_at_ms,
               cursor = excluded.cursor
             WHERE (excluded.acked_at_ms, excluded.acked_by)
                 < (announcement_ack.acked_at_ms, announcement_ack.acked_by)",
        )?
        .execute(params![
            bytes(&a.announcement),
            a.store.as_str(),
            a.by,
            a.at_ms,
            cursor as i64
        ])?;
    Ok(n > 0)
}

/// Columns of [`message_from_row`] over `chat_message m LEFT JOIN chat_ticket t`.
pub const MESSAGE_COLUMNS: &str = "m.id, m.channel, m.hlc_wall, m.hlc_counter, m.hlc_actor, m.side,
    m.username, m.display_name, m.text, m.kind, m.category, t.status, m.announcement, m.title,
    m.requires_ack, m.attachments, m.written_at_ms";

/// The FROM clause that goes with [`MESSAGE_COLUMNS`].
pub const MESSAGE_FROM: &str = "chat_message m LEFT JOIN chat_ticket t ON t.id = m.id";

fn uuid_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    let b: Vec<u8> = r.get(i)?;
    Uuid::from_slice(&b).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, Box::new(e))
    })
}

/// Read a message row (columns [`MESSAGE_COLUMNS`]); `uploaded` is filled by
/// [`mark_uploaded`].
pub fn message_from_row(r: &Row<'_>) -> rusqlite::Result<ChatMessageJson> {
    let id = uuid_col(r, 0)?;
    let hlc = Hlc {
        wall_ms: r.get::<_, i64>(2)?.max(0) as u64,
        counter: r.get(3)?,
        actor: ActorId(uuid_col(r, 4)?),
    };
    let side: String = r.get(5)?;
    let kind: String = r.get(9)?;
    let status: Option<i64> = r.get(11)?;
    let announcement: Option<Vec<u8>> = r.get(12)?;
    let attachments: String = r.get(15)?;
    let kind = match kind.as_str() {
        "ticket" => ChatMessageKind::Ticket,
        "announcement" => ChatMessageKind::Announcement,
        _ => ChatMessageKind::Chat,
    };
    let refs: Vec<AttachmentRef> = serde_json::from_str(&attachments).unwrap_or_default();
    Ok(ChatMessageJson {
        id: id.to_string(),
        channel: r.get(1)?,
        order: order_key(&hlc, &id),
        hlc_wall_ms: hlc.wall_ms,
        side: if side == "hq" {
            ChatSideJson::Hq
        } else {
            ChatSideJson::Store
        },
        username: r.get(6)?,
        display_name: r.get(7)?,
        text: r.get(8)?,
        kind,
        category: r.get(10)?,
        ticket_status: match kind {
            ChatMessageKind::Ticket => Some(status_from_rank(status.unwrap_or(0))),
            _ => None,
        },
        announcement: announcement
            .and_then(|b| Uuid::from_slice(&b).ok())
            .map(|u| u.to_string()),
        title: r.get(13)?,
        requires_ack: r.get(14)?,
        attachments: refs
            .into_iter()
            .map(|a| AttachmentJson {
                sha256: a.sha256,
                name: a.name,
                mime: a.mime,
                size: a.size,
                uploaded: false,
            })
            .collect(),
        written_at_ms: r.get(16)?,
    })
}

/// Fill in which attachments' bytes have reached the hub.
pub fn mark_uploaded(conn: &Connection, messages: &mut [ChatMessageJson]) -> Result<(), HubError> {
    let mut st = conn.prepare_cached("SELECT 1 FROM chat_attachment WHERE sha256 = ?1")?;
    for m in messages {
        for a in &mut m.attachments {
            a.uploaded = st.exists([&a.sha256])?;
        }
    }
    Ok(())
}

/// One message by id.
pub fn read_message(conn: &Connection, id: &Uuid) -> Result<Option<ChatMessageJson>, HubError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?1"
        ))?
        .query_row([bytes(id)], message_from_row)
        .optional()?;
    Ok(match found {
        Some(m) => {
            let mut v = [m];
            mark_uploaded(conn, &mut v)?;
            let [m] = v;
            Some(m)
        }
        None => None,
    })
}

/// A page of a channel's messages, oldest first: the newest `limit` (before `before` when
/// given), or the first `limit` after `after`.
pub fn read_messages(
    conn: &Connection,
    channel: &Channel,
    after: Option<Position>,
    before: Option<Position>,
    limit: u32,
) -> Result<Vec<ChatMessageJson>, HubError> {
    // Positions compare as (wall, counter, actor, id). A key without its id stands for the
    // whole HLC: `after` it skips every message of that HLC (an id above any 16-byte id),
    // `before` it keeps none of them (an id below any).
    let bound = |p: Option<Position>, missing_id: Vec<u8>| {
        p.map(|p| {
            (
                p.hlc.wall_ms as i64,
                i64::from(p.hlc.counter),
                p.hlc.actor.0.as_bytes().to_vec(),
                p.id.map(|u| u.as_bytes().to_vec()).unwrap_or(missing_id),
            )
        })
    };
    let (a, b) = (bound(after, vec![0xff; 17]), bound(before, Vec::new()));
    let ascending = a.is_some();
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}
         WHERE m.channel = ?1
           AND (?2 IS NULL OR (m.hlc_wall, m.hlc_counter, m.hlc_actor, m.id) > (?2, ?3, ?4, ?5))
           AND (?6 IS NULL OR (m.hlc_wall, m.hlc_counter, m.hlc_actor, m.id) < (?6, ?7, ?8, ?9))
         ORDER BY m.hlc_wall {d}, m.hlc_counter {d}, m.hlc_actor {d}, m.id {d} LIMIT ?10",
        d = if ascending { "ASC" } else { "DESC" }
    );
    let mut st = conn.prepare_cached(&sql)?;
    let (a0, a1, a2, a3) = match &a {
        Some((w, c, x, i)) => (Some(*w), Some(*c), Some(x.clone()), Some(i.clone())),
        None => (None, None, None, None),
    };
    let (b0, b1, b2, b3) = match &b {
        Some((w, c, x, i)) => (Some(*w), Some(*c), Some(x.clone()), Some(i.clone())),
        None => (None, None, None, None),
    };
    let rows = st.query_map(
        params![channel.to_string(), a0, a1, a2, a3, b0, b1, b2, b3, limit],
        message_from_row,
    )?;
    let mut out = rows.collect::<Result<Vec<_>, _>>()?;
    if !ascending {
        out.reverse();
    }
    mark_uploaded(conn, &mut out)?;
    Ok(out)
}

/// Columns of [`ticket_from_row`].
const TICKET_SELECT: &str = "SELECT m.id, m.store, COALESCE(s.name, m.store), m.category, t.status,
       m.text, m.display_name, m.written_at_ms, t.updated_at_ms, t.updated_by
     FROM chat_ticket t JOIN chat_message m ON m.id = t.id AND m.channel = t.channel
     LEFT JOIN stores s ON s.code = m.store";

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<TicketJson> {
    Ok(TicketJson {
        id: uuid_col(r, 0)?.to_string(),
        store: r.get(1)?,
        store_name: r.get(2)?,
        category: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        status: status_from_rank(r.get(4)?),
        text: r.get(5)?,
        display_name: r.get(6)?,
        written_at_ms: r.get(7)?,
        updated_at_ms: r.get(8)?,
        updated_by: r.get(9)?,
    })
}

/// One ticket (only once its message is here).
pub fn read_ticket(conn: &Connection, id: &Uuid) -> Result<Option<TicketJson>, HubError> {
    Ok(conn
        .prepare_cached(&format!(
            "{TICKET_SELECT} WHERE t.id = ?1 AND m.kind = 'ticket'"
        ))?
        .query_row([bytes(id)], ticket_from_row)
        .optional()?)
}

/// The ticket inbox: newest first, filtered.
pub fn read_tickets(
    conn: &Connection,
    status: Option<TicketStatus>,
    store: Option<&str>,
    category: Option<&str>,
    limit: u32,
) -> Result<Vec<TicketJson>, HubError> {
    let mut st = conn.prepare_cached(&format!(
        "{TICKET_SELECT} WHERE m.kind = 'ticket'
           AND (?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR t.store = ?2)
           AND (?3 IS NULL OR m.category = ?3)
         ORDER BY m.hlc_wall DESC, m.hlc_counter DESC, m.hlc_actor DESC, m.id DESC LIMIT ?4"
    ))?;
    let rows = st.query_map(
        params![status.map(status_rank), store, category, limit],
        ticket_from_row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// A reader's position in a channel.
pub fn read_position(
    conn: &Connection,
    reader: &Reader,
    channel: &Channel,
) -> Result<Option<Hlc>, HubError> {
    Ok(conn
        .prepare_cached(
            "SELECT up_to_wall, up_to_counter, up_to_actor FROM chat_read
             WHERE reader = ?1 AND channel = ?2",
        )?
        .query_row(params![reader_key(reader), channel.to_string()], |r| {
            Ok(Hlc {
                wall_ms: r.get::<_, i64>(0)?.max(0) as u64,
                counter: r.get(1)?,
                actor: ActorId(uuid_col(r, 2)?),
            })
        })
        .optional()?)
}

/// Messages of `channel` that HQ console user `username` has not read, not counting the
/// ones they wrote.
pub fn unread_for_user(
    conn: &Connection,
    username: &str,
    channel: &Channel,
) -> Result<u32, HubError> {
    let pos = read_position(conn, &Reader::User(username.to_owned()), channel)?;
    let (w, c, a) = match pos {
        Some(h) => (
            Some(h.wall_ms as i64),
            Some(h.counter),
            Some(h.actor.0.as_bytes().to_vec()),
        ),
        None => (None, None, None),
    };
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM chat_message
             WHERE channel = ?1
               AND (?2 IS NULL OR (hlc_wall, hlc_counter, hlc_actor) > (?2, ?3, ?4))
               AND (username IS NULL OR username <> ?5)",
        )?
        .query_row(params![channel.to_string(), w, c, a, username], |r| {
            r.get(0)
        })?;
    Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
}

/// The newest message of a channel.
pub fn last_message(
    conn: &Connection,
    channel: &Channel,
) -> Result<Option<ChatMessageJson>, HubError> {
    Ok(read_messages(conn, channel, None, None, 1)?.pop())
}

/// Tickets of a store not yet resolved (only those whose message is here).
pub fn open_tickets(conn: &Connection, store: &str) -> Result<u32, HubError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM chat_ticket t JOIN chat_message m ON m.id = t.id
             WHERE t.store = ?1 AND t.status < 2 AND m.kind = 'ticket'",
        )?
        .query_row([store], |r| r.get(0))?;
    Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
}

/// Most messages per channel a new till receives in its snapshot (older ones stay at the
/// hub; open tickets and announcements still to acknowledge come whatever their age).
pub const SNAPSHOT_MESSAGES_PER_CHANNEL: u32 = 2_000;

/// The chat a new till of `store` needs, as the winning ops from the log (snapshot hook):
/// the newest messages of its two channels, its unresolved tickets and announcements it has
/// not acknowledged, every read position in those channels, ticket statuses and the store's
/// acknowledgements.
pub fn snapshot_records(
    conn: &Connection,
    store: &str,
    mut each: impl FnMut(Op) -> Result<(), HubError>,
) -> Result<(), HubError> {
    let channels = [format!("store:{store}"), format!("notices:{store}")];
    let mut cursors: Vec<i64> = Vec::new();
    for channel in &channels {
        let mut st = conn.prepare_cached(
            "SELECT cursor FROM chat_message WHERE channel = ?1
             ORDER BY hlc_wall DESC, hlc_counter DESC, hlc_actor DESC, id DESC LIMIT ?2",
        )?;
        for c in st.query_map(params![channel, SNAPSHOT_MESSAGES_PER_CHANNEL], |r| {
            r.get(0)
        })? {
            cursors.push(c?);
        }
        let mut st = conn.prepare_cached("SELECT cursor FROM chat_read WHERE channel = ?1")?;
        for c in st.query_map([channel], |r| r.get(0))? {
            cursors.push(c?);
        }
    }
    for sql in [
        // Unresolved tickets of any age, and their status ops.
        "SELECT m.cursor FROM chat_ticket t JOIN chat_message m ON m.id = t.id
         WHERE t.store = ?1 AND t.status < 2",
        "SELECT cursor FROM chat_ticket WHERE store = ?1 AND cursor IS NOT NULL",
        // Announcements still to acknowledge, and the store's acknowledgements.
        "SELECT m.cursor FROM announcement_store s JOIN chat_message m ON m.id = s.message
         LEFT JOIN announcement_ack k ON k.announcement = s.announcement AND k.store = s.store
         WHERE s.store = ?1 AND m.requires_ack = 1 AND k.store IS NULL",
        "SELECT cursor FROM announcement_ack WHERE store = ?1",
    ] {
        let mut st = conn.prepare_cached(sql)?;
        for c in st.query_map([store], |r| r.get(0))? {
            cursors.push(c?);
        }
    }
    cursors.sort_unstable();
    cursors.dedup();
    let mut body = conn.prepare_cached("SELECT body FROM op_log WHERE cursor = ?1")?;
    for cursor in cursors {
        let Some(bytes): Option<Vec<u8>> = body.query_row([cursor], |r| r.get(0)).optional()?
        else {
            continue;
        };
        match rmp_serde::from_slice::<Op>(&bytes) {
            Ok(op) => each(op)?,
            Err(e) => tracing::error!(cursor, error = %e, "unreadable chat op skipped in snapshot"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_sort_like_hlc_then_id_and_round_trip() {
        let a = ActorId(Uuid::from_bytes([1; 16]));
        let b = ActorId(Uuid::from_bytes([2; 16]));
        let h = |wall_ms, counter, actor| Hlc {
            wall_ms,
            counter,
            actor,
        };
        let id1 = Uuid::from_bytes([3; 16]);
        let id2 = Uuid::from_bytes([4; 16]);
        let keys = [
            (h(9, 5, b), id2),
            (h(10, 0, a), id1),
            (h(10, 0, b), id1),
            (h(10, 1, a), id1),
            (h(100, 0, a), id1),
            (h(100, 0, a), id2),
        ];
        let strings: Vec<String> = keys.iter().map(|(h, id)| order_key(h, id)).collect();
        let mut sorted = strings.clone();
        sorted.sort();
        assert_eq!(sorted, strings, "string order is (HLC, id) order");
        for ((hlc, id), s) in keys.iter().zip(&strings) {
            let p = parse_order(s).expect("parses");
            assert_eq!(p.hlc, *hlc);
            assert_eq!(p.id, Some(*id));
            assert_eq!(parse_order(&hlc_key(hlc)).expect("hlc only").id, None);
        }
        for bad in [
            "",
            "1.2",
            "x.0.00000000000000000000000000000000",
            "1.2.3",
            "1.2.0101010101010101010101010101010.x",
            "99999999999999999.0.01010101010101010101010101010101",
        ] {
            assert!(parse_order(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn readers_are_keyed_by_kind() {
        assert_eq!(reader_key(&Reader::User("kim".into())), "user:kim");
        let actor = ActorId(Uuid::from_bytes([7; 16]));
        assert_eq!(reader_key(&Reader::Till(actor)), format!("till:{actor}"));
    }
}
