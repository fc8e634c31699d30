//! HQ–store chat and notices: the records that travel as ops (DESIGN §6).
//!
//! Every store has two channels, both carried in its scope `store:<code>` so that its tills
//! and HQ receive them and no other store does:
//! - [`Channel::Store`]: the conversation between HQ and that store (all of its tills and HQ
//!   staff). Tills and HQ write [`ChatMessage`]s into it; a message can be a ticket
//!   ([`MessageKind::Ticket`], a request or complaint with a category and a status).
//! - [`Channel::Notices`]: HQ announcements addressed to that store. Only the hub writes
//!   them; an announcement sent to many stores is one message per store, all carrying the
//!   same announcement id ([`MessageKind::Announcement`]), so each store sees only its own
//!   and the hub can count acknowledgements per store.
//!
//! CRDTs (property-tested in `tests/chat_laws.rs` through [`ChatState`]):
//! - messages: a grow-only set keyed by the client-made UUIDv7 `id` (a resend never
//!   duplicates); the order is `(op HLC, id)`, the same on every screen;
//! - [`ChatRead`]: a max-register of the HLC read up to, per `(reader, channel)`; unread
//!   counts derive from it;
//! - [`TicketUpdate`]: a max-register over `open < in_progress < resolved` per ticket, so
//!   concurrent updates converge to the furthest status;
//! - [`AnnouncementAck`]: a grow-only set, one per `(announcement, store)` (the first wins).
//!
//! Attachments are not in the ops: a message carries [`AttachmentRef`]s (content hash, name,
//! type, size) and the bytes travel over HTTP to the hub's attachment store.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::ids::{ActorId, StoreId};

/// Longest message text, in bytes.
pub const MAX_MESSAGE_TEXT: usize = 4_000;
/// Longest announcement title, in bytes.
pub const MAX_TITLE: usize = 200;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 4;
/// Largest attachment, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// The file types a message may carry: photos and PDF notices.
pub const ALLOWED_ATTACHMENT_TYPES: &[&str] =
    &["image/jpeg", "image/png", "image/webp", "application/pdf"];

/// A conversation: a store's chat with HQ, or the notices HQ sends to that store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Channel {
    /// HQ ⇄ one store (`store:<code>`).
    Store(StoreId),
    /// HQ announcements to one store (`notices:<code>`).
    Notices(StoreId),
}

impl Channel {
    /// The store whose scope carries this channel.
    pub fn store(&self) -> &StoreId {
        match self {
            Channel::Store(s) | Channel::Notices(s) => s,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Store(s) => write!(f, "store:{s}"),
            Channel::Notices(s) => write!(f, "notices:{s}"),
        }
    }
}

/// A channel string that is not `store:<code>` or `notices:<code>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid channel {0:?} (expected store:<code> or notices:<code>)")]
pub struct ChannelError(pub String);

impl FromStr for Channel {
    type Err = ChannelError;
    fn from_str(s: &str) -> Result<Self, ChannelError> {
        let err = || ChannelError(s.to_owned());
        if let Some(code) = s.strip_prefix("store:") {
            code.parse().map(Channel::Store).map_err(|_| err())
        } else if let Some(code) = s.strip_prefix("notices:") {
            code.parse().map(Channel::Notices).map_err(|_| err())
        } else {
            Err(err())
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = ChannelError;
    fn try_from(s: String) -> Result<Self, ChannelError> {
        s.parse()
    }
}

impl From<Channel> for String {
    fn from(c: Channel) -> String {
        c.to_string()
    }
}

/// Which side wrote a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ChatSide {
    /// Someone at a till of the store.
    Store,
    /// Head office (a console user).
    Hq,
}

/// Who wrote a message, as shown next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatAuthor {
    /// Store or HQ.
    pub side: ChatSide,
    /// Login name of the person (store staff or HQ user), when known. A till with nobody
    /// signed in writes `None`.
    #[serde(default)]
    pub username: Option<String>,
    /// Name shown next to the message.
    pub display_name: String,
}

/// What a request or complaint is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketCategory {
    /// Stock: missing, wrong or damaged goods.
    Stock,
    /// A delivery: late, short, damaged.
    Delivery,
    /// The shop itself: lights, doors, fittings.
    Facilities,
    /// Tills, printers, network.
    It,
    /// A customer's complaint.
    Customer,
    /// Anything else.
    Other,
}

impl TicketCategory {
    /// Every category, in display order.
    pub const ALL: [TicketCategory; 6] = [
        TicketCategory::Stock,
        TicketCategory::Delivery,
        TicketCategory::Facilities,
        TicketCategory::It,
        TicketCategory::Customer,
        TicketCategory::Other,
    ];

    /// The category as stored and typed (`stock`, `delivery`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TicketCategory::Stock => "stock",
            TicketCategory::Delivery => "delivery",
            TicketCategory::Facilities => "facilities",
            TicketCategory::It => "it",
            TicketCategory::Customer => "customer",
            TicketCategory::Other => "other",
        }
    }
}

impl FromStr for TicketCategory {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TicketCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown ticket category {s:?} (one of stock, delivery, facilities, it, customer, other)"
                )
            })
    }
}

/// Where a ticket stands. Ordered: a ticket only moves forward, and concurrent updates
/// converge to the furthest status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Raised, nobody has taken it yet.
    Open,
    /// Someone at HQ is on it.
    InProgress,
    /// Done.
    Resolved,
}

impl TicketStatus {
    /// The status as stored and typed (`open`, `in_progress`, `resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::InProgress => "in_progress",
            TicketStatus::Resolved => "resolved",
        }
    }
}

impl FromStr for TicketStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(TicketStatus::Open),
            "in_progress" => Ok(TicketStatus::InProgress),
            "resolved" => Ok(TicketStatus::Resolved),
            _ => Err(format!(
                "unknown ticket status {s:?} (one of open, in_progress, resolved)"
            )),
        }
    }
}

/// What kind of message this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageKind {
    /// An ordinary chat message.
    Chat,
    /// A request or complaint that HQ works through (status in [`TicketUpdate`]s; starts open).
    Ticket {
        /// What it is about.
        category: TicketCategory,
    },
    /// One store's copy of an HQ announcement (only in [`Channel::Notices`], only from the hub).
    Announcement {
        /// The announcement, the same for every store it was sent to.
        announcement: Uuid,
        /// Headline.
        title: String,
        /// Whether the store must acknowledge it ([`AnnouncementAck`]).
        requires_ack: bool,
    },
}

/// A file attached to a message; the bytes live in the hub's attachment store under
/// `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// File name as shown (no path).
    pub name: String,
    /// Media type, one of [`ALLOWED_ATTACHMENT_TYPES`].
    pub mime: String,
    /// Size in bytes, at most [`MAX_ATTACHMENT_BYTES`].
    pub size: u64,
}

/// One message (`OpBody::ChatMessage`, scope `store:<code>` of its channel's store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Client-made id (UUIDv7): the same message sent twice is stored once.
    pub id: Uuid,
    /// Where it was written.
    pub channel: Channel,
    /// Who wrote it.
    pub author: ChatAuthor,
    /// The text (may be empty when there are attachments).
    pub text: String,
    /// Chat, ticket or announcement.
    pub kind: MessageKind,
    /// Attached files.
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// When it was written, by the writer's clock (shown; ordering uses the op's HLC).
    pub written_at_ms: i64,
}

/// Whose read position this is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Reader {
    /// A till (its actor): the unread count on its chat button.
    Till(ActorId),
    /// An HQ console user (their login name).
    User(String),
}

/// "`reader` has read `channel` up to the message with op HLC `up_to`"
/// (`OpBody::ChatRead`, scope `store:<code>` of the channel's store). A max-register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRead {
    /// Which conversation.
    pub channel: Channel,
    /// Who read it.
    pub reader: Reader,
    /// HLC of the last message read.
    pub up_to: Hlc,
}

/// A ticket's new status (`OpBody::TicketUpdate`, scope of the ticket's store). A
/// max-register over [`TicketStatus`] per ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketUpdate {
    /// The ticket (the id of the message that raised it).
    pub ticket: Uuid,
    /// The channel it was raised in.
    pub channel: Channel,
    /// The new status.
    pub status: TicketStatus,
    /// Who changed it (login name or display name).
    pub by: String,
}

/// A store acknowledges an announcement (`OpBody::AnnouncementAck`, scope of that store).
/// Grow-only: one per `(announcement, store)`, the first one wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementAck {
    /// Which announcement.
    pub announcement: Uuid,
    /// The store that acknowledges.
    pub store: StoreId,
    /// Who acknowledged it (staff login name or display name).
    pub by: String,
    /// When, by the till's clock.
    pub at_ms: i64,
}

/// Why a chat record is malformed (checked on both sides: by the till before it writes,
/// by the hub on every op).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// Text too long, or nothing to send.
    #[error("{0}")]
    Text(String),
    /// An attachment is too big, of a forbidden type, or malformed.
    #[error("attachment {name:?}: {reason}")]
    Attachment {
        /// File name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// Check a message's own content (lengths, attachments); who may write it where is
/// [`crate::validate`]'s business.
pub fn check_message(m: &ChatMessage) -> Result<(), ChatError> {
    if m.text.len() > MAX_MESSAGE_TEXT {
        return Err(ChatError::Text(format!(
            "message is {} bytes; at most {MAX_MESSAGE_TEXT}",
            m.text.len()
        )));
    }
    if m.text.trim().is_empty() && m.attachments.is_empty() {
        return Err(ChatError::Text(
            "message is empty: write some text or attach a file".into(),
        ));
    }
    if m.author.display_name.trim().is_empty() || m.author.display_name.len() > MAX_TITLE {
        return Err(ChatError::Text(format!(
            "author name must be 1 to {MAX_TITLE} bytes"
        )));
    }
    if let MessageKind::Announcement { title, .. } = &m.kind
        && (title.trim().is_empty() || title.len() > MAX_TITLE)
    {
        return Err(ChatError::Text(format!(
            "announcement title must be 1 to {MAX_TITLE} bytes"
        )));
    }
    if m.attachments.len() > MAX_ATTACHMENTS {
        return Err(ChatError::Text(format!(
            "{} attachments; at most {MAX_ATTACHMENTS} per message",
            m.attachments.len()
        )));
    }
    m.attachments.iter().try_for_each(check_attachment)
}

/// Check one attachment reference: type allowed, size within the limit, hash well-formed,
/// a plain file name.
pub fn check_attachment(a: &AttachmentRef) -> Result<(), ChatError> {
    let bad = |reason: String| ChatError::Attachment {
        name: a.name.clone(),
        reason,
    };
    if !ALLOWED_ATTACHMENT_TYPES.contains(&a.mime.as_str()) {
        return Err(bad(format!(
            "type {} is not allowed (photos as JPEG, PNG or WebP, or a PDF)",
            a.mime
        )));
    }
    if a.size == 0 || a.size > MAX_ATTACHMENT_BYTES {
        return Err(bad(format!(
            "{} bytes; attachments are 1 byte to {} MiB",
            a.size,
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    if a.sha256.len() != 64
        || !a
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad("sha256 must be 64 lowercase hex digits".into()));
    }
    if a.name.trim().is_empty() || a.name.len() > MAX_TITLE || a.name.contains(['/', '\\', '\0']) {
        return Err(bad(format!(
            "file name must be 1 to {MAX_TITLE} bytes without a path"
        )));
    }
    Ok(())
}

/// A total order on two copies of one message id stamped with the same HLC (only a faulty
/// writer makes them): their encoding.
fn tie_break(m: &ChatMessage) -> Vec<u8> {
    rmp_serde::to_vec(m).unwrap_or_default()
}

/// A message with the HLC of the op that carried it (its place in the channel's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedMessage {
    /// The op's HLC.
    pub hlc: Hlc,
    /// The message.
    pub message: ChatMessage,
}

/// The chat of a replica, as CRDTs: the specification the SQL stores of the till and the
/// hub implement (`ON CONFLICT DO NOTHING` on messages and acks, `MAX` on read positions
/// and ticket statuses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatState {
    messages: BTreeMap<Uuid, PlacedMessage>,
    reads: BTreeMap<(Reader, Channel), Hlc>,
    tickets: BTreeMap<Uuid, TicketStatus>,
    acks: BTreeMap<(Uuid, StoreId), AnnouncementAck>,
}

impl ChatState {
    /// Apply a message carried by an op stamped `hlc`. A message id seen before keeps the
    /// first copy's place; of two different copies (only a faulty writer makes them) the one
    /// with the lower HLC (then the lower encoding) wins, so every replica keeps the same.
    pub fn apply_message(&mut self, hlc: Hlc, message: &ChatMessage) {
        let placed = PlacedMessage {
            hlc,
            message: message.clone(),
        };
        let keep_existing = self.messages.get(&message.id).is_some_and(|existing| {
            (existing.hlc, tie_break(&existing.message)) <= (hlc, tie_break(message))
        });
        if !keep_existing {
            self.messages.insert(message.id, placed);
        }
    }

    /// Apply a read position (keeps the furthest).
    pub fn apply_read(&mut self, read: &ChatRead) {
        let key = (read.reader.clone(), read.channel.clone());
        let slot = self.reads.entry(key).or_insert(read.up_to);
        if read.up_to > *slot {
            *slot = read.up_to;
        }
    }

    /// Apply a ticket status (keeps the furthest).
    pub fn apply_ticket(&mut self, update: &TicketUpdate) {
        let slot = self.tickets.entry(update.ticket).or_insert(update.status);
        if update.status > *slot {
            *slot = update.status;
        }
    }

    /// Apply an acknowledgement. The first one per `(announcement, store)` stays; of two
    /// concurrent ones the earlier `(at_ms, by)` wins, on every replica.
    pub fn apply_ack(&mut self, ack: &AnnouncementAck) {
        let key = (ack.announcement, ack.store.clone());
        match self.acks.get(&key) {
            Some(e) if (e.at_ms, &e.by) <= (ack.at_ms, &ack.by) => {}
            _ => {
                self.acks.insert(key, ack.clone());
            }
        }
    }

    /// Merge everything another replica knows.
    pub fn merge(&mut self, other: &ChatState) {
        for placed in other.messages.values() {
            self.apply_message(placed.hlc, &placed.message);
        }
        for ((reader, channel), up_to) in &other.reads {
            self.apply_read(&ChatRead {
                channel: channel.clone(),
                reader: reader.clone(),
                up_to: *up_to,
            });
        }
        for (ticket, status) in &other.tickets {
            let slot = self.tickets.entry(*ticket).or_insert(*status);
            if status > slot {
                *slot = *status;
            }
        }
        for ack in other.acks.values() {
            self.apply_ack(ack);
        }
    }

    /// A channel's messages in their stable order: `(HLC, id)`.
    pub fn channel(&self, channel: &Channel) -> Vec<&PlacedMessage> {
        let mut v: Vec<&PlacedMessage> = self
            .messages
            .values()
            .filter(|p| &p.message.channel == channel)
            .collect();
        v.sort_by_key(|p| (p.hlc, p.message.id));
        v
    }

    /// How many messages of `channel` that `reader` has not read, not counting their own
    /// (`own` says which messages a reader wrote).
    pub fn unread(
        &self,
        reader: &Reader,
        channel: &Channel,
        own: impl Fn(&PlacedMessage) -> bool,
    ) -> usize {
        let read = self.reads.get(&(reader.clone(), channel.clone()));
        self.channel(channel)
            .into_iter()
            .filter(|p| read.is_none_or(|r| p.hlc > *r) && !own(p))
            .count()
    }

    /// A reader's position in a channel.
    pub fn read_position(&self, reader: &Reader, channel: &Channel) -> Option<Hlc> {
        self.reads.get(&(reader.clone(), channel.clone())).copied()
    }

    /// A ticket's status (`Open` once raised, until an update moves it).
    pub fn ticket_status(&self, ticket: Uuid) -> Option<TicketStatus> {
        match self.tickets.get(&ticket) {
            Some(s) => Some(*s),
            None => self
                .messages
                .get(&ticket)
                .and_then(|p| match p.message.kind {
                    MessageKind::Ticket { .. } => Some(TicketStatus::Open),
                    _ => None,
                }),
        }
    }

    /// The stores that acknowledged an announcement.
    pub fn acknowledged_by(&self, announcement: Uuid) -> Vec<&AnnouncementAck> {
        self.acks
            .values()
            .filter(|a| a.announcement == announcement)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(code: &str) -> StoreId {
        code.parse().expect("store code")
    }

    fn attachment(mime: &str, size: u64) -> AttachmentRef {
        AttachmentRef {
            sha256: "a".repeat(64),
            name: "photo.jpg".into(),
            mime: mime.into(),
            size,
        }
    }

    #[test]
    fn channels_round_trip_as_strings() {
        for c in [
            Channel::Store(store("GN01")),
            Channel::Notices(store("GN01")),
        ] {
            let s = c.to_string();
            assert_eq!(s.parse::<Channel>().expect("parses"), c);
        }
        assert!("hq:GN01".parse::<Channel>().is_err());
        assert!("store:".parse::<Channel>().is_err());
    }

    #[test]
    fn attachments_are_checked() {
        assert!(check_attachment(&attachment("image/jpeg", 1000)).is_ok());
        let err = check_attachment(&attachment("application/x-msdownload", 10))
            .expect_err("forbidden type");
        assert!(err.to_string().contains("not allowed"), "{err}");
        let err = check_attachment(&attachment("image/png", MAX_ATTACHMENT_BYTES + 1))
            .expect_err("too big");
        assert!(err.to_string().contains("MiB"), "{err}");
        let mut a = attachment("image/png", 10);
        a.name = "../../etc/passwd".into();
        assert!(check_attachment(&a).is_err());
        a = attachment("image/png", 10);
        a.sha256 = "A".repeat(64);
        assert!(check_attachment(&a).is_err());
    }

    #[test]
    fn ticket_status_only_moves_forward() {
        assert!(TicketStatus::Open < TicketStatus::InProgress);
        assert!(TicketStatus::InProgress < TicketStatus::Resolved);
        assert_eq!("in_progress".parse(), Ok(TicketStatus::InProgress));
        assert!("closed".parse::<TicketStatus>().is_err());
    }
}
