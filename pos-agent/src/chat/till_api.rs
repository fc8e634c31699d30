//! The chat methods of [`Till`]: what the CLI and the desktop app call.
//!
//! Each write is one immediate transaction through [`super::write_message`] and friends;
//! reads go straight to the till's connection.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sync_proto::chat::{Channel, ChatMessage, MessageKind, TicketCategory, TicketStatus};
use sync_proto::{Hlc, Op};
use uuid::Uuid;

use super::{
    AckOutcome, ChannelKind, ChannelUnread, ChatError, ChatMessageView, TicketChange, TicketView,
    files,
};
use crate::db;
use crate::error::{Result, TillError};
use crate::people::Staff;
use crate::till::Till;

/// A message to send from the till into the store's channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSend {
    /// The text (may be empty when files are attached).
    pub text: String,
    /// Send it as a ticket (request or complaint) of this category.
    #[serde(default)]
    pub ticket: Option<TicketCategory>,
    /// Files to attach (photos or PDFs).
    #[serde(default)]
    pub attachments: Vec<PathBuf>,
    /// The staff member writing it (from their PIN); `None` = the till itself.
    #[serde(default)]
    pub author: Option<Staff>,
    /// The message id, for a client that retries (same id = same message, stored once);
    /// `None` = a new UUIDv7.
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// A message committed at the till (and in its outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ChatSent {
    /// The message as the till now shows it.
    pub message: ChatMessageView,
    /// `false` when a message with this id was already here (nothing written).
    pub created: bool,
    /// The op written to the outbox.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

impl Till {
    fn store_channel(&self, kind: ChannelKind) -> Result<Channel> {
        Ok(kind.channel(&db::require_enrolment(&self.conn)?.store))
    }

    /// The last `limit` messages (all when `None`) of the store's chat or notices, oldest
    /// first in `(HLC, id)` order.
    pub fn chat_messages(
        &self,
        kind: ChannelKind,
        limit: Option<usize>,
    ) -> Result<Vec<ChatMessageView>> {
        super::list(&self.conn, &self.store_channel(kind)?, limit)
    }

    /// The `limit` messages (all when `None`) of the store's chat or notices just before
    /// the message `before` (the newest when `None`), oldest first in `(HLC, id)` order: a
    /// screen's "older messages" page.
    pub fn chat_messages_before(
        &self,
        kind: ChannelKind,
        before: Option<&Uuid>,
        limit: Option<usize>,
    ) -> Result<Vec<ChatMessageView>> {
        super::list_before(&self.conn, &self.store_channel(kind)?, before, limit)
    }

    /// Send a message (or a ticket) into the store's chat, offline: the files are checked
    /// and stored in the data directory, then the message, its outbox op and the pending
    /// uploads commit in one transaction. Nothing is written when anything is refused.
    pub fn send_chat(&mut self, req: &ChatSend) -> Result<ChatSent> {
        self.send_chat_with_files(req, Vec::new())
    }

    /// [`Till::send_chat`] with more files given as names and bytes (the desktop app's
    /// picked files), attached after `req.attachments` and checked the same way (type by
    /// extension and contents, at most 10 MiB each, at most
    /// [`sync_proto::chat::MAX_ATTACHMENTS`] files in all).
    pub fn send_chat_with_files(
        &mut self,
        req: &ChatSend,
        files: Vec<files::NamedBytes>,
    ) -> Result<ChatSent> {
        if let Some(id) = req.id
            && let Some(existing) = super::message(&self.conn, &id)?
        {
            return Ok(ChatSent {
                message: existing,
                created: false,
                ops: Vec::new(),
            });
        }
        let enrolment = db::require_enrolment(&self.conn)?;
        let count = req.attachments.len() + files.len();
        if count > sync_proto::chat::MAX_ATTACHMENTS {
            return Err(
                ChatError::Message(sync_proto::chat::ChatError::Text(format!(
                    "{count} attachments; at most {} per message",
                    sync_proto::chat::MAX_ATTACHMENTS
                )))
                .into(),
            );
        }
        let mut refs = Vec::with_capacity(count);
        let mut contents = Vec::with_capacity(count);
        for path in &req.attachments {
            let (a, bytes) = files::prepare(path)?;
            refs.push(a);
            contents.push(bytes);
        }
        for file in files {
            let (a, bytes) = files::prepare_bytes(file)?;
            refs.push(a);
            contents.push(bytes);
        }
        let message = ChatMessage {
            id: req.id.unwrap_or_else(Uuid::now_v7),
            channel: Channel::Store(enrolment.store.clone()),
            author: super::author(&enrolment, req.author.as_ref()),
            text: req.text.trim_end().to_owned(),
            kind: match req.ticket {
                Some(category) => MessageKind::Ticket { category },
                None => MessageKind::Chat,
            },
            attachments: refs.clone(),
            written_at_ms: db::now_ms().min(i64::MAX as u64) as i64,
        };
        sync_proto::chat::check_message(&message).map_err(ChatError::from)?;
        for (a, bytes) in refs.iter().zip(&contents) {
            files::store(&self.data_dir, &a.sha256, bytes)?;
        }
        let tx = db::write_tx(&mut self.conn)?;
        let (message, ops) = super::write_message(&tx, message, &refs)?;
        tx.commit()?;
        tracing::info!(id = %message.id, channel = %message.channel, "chat message written");
        let view = super::message(&self.conn, &message.id)?
            .ok_or_else(|| TillError::Internal("written message vanished".into()))?;
        Ok(ChatSent {
            message: view,
            created: true,
            ops,
        })
    }

    /// Mark the store's chat or notices read up to the newest message (a `ChatRead` op,
    /// only when that moves forward). Returns the new position, `None` if nothing was new.
    pub fn mark_chat_read(&mut self, kind: ChannelKind) -> Result<Option<Hlc>> {
        let channel = self.store_channel(kind)?;
        let tx = db::write_tx(&mut self.conn)?;
        let out = super::mark_read(&tx, &channel)?;
        tx.commit()?;
        Ok(out.map(|(h, _)| h))
    }

    /// Unread messages per channel (the chat button's badge).
    pub fn chat_unread(&self) -> Result<Vec<ChannelUnread>> {
        super::unread_counts(&self.conn)
    }

    /// Acknowledge an announcement (by announcement id or message id) for the store, as the
    /// staff member whose PIN this is. A wrong PIN or an unknown announcement writes nothing.
    pub fn acknowledge_announcement(&mut self, id: &str, pin: &str) -> Result<AckOutcome> {
        let staff = self.unlock(pin)?;
        let tx = db::write_tx(&mut self.conn)?;
        let out = super::acknowledge(&tx, id, &staff)?;
        tx.commit()?;
        Ok(out)
    }

    /// Search the store's chat and notices (newest first).
    pub fn search_chat(&self, text: &str) -> Result<Vec<ChatMessageView>> {
        super::search(&self.conn, text)
    }

    /// The store's tickets, newest first.
    pub fn chat_tickets(&self) -> Result<Vec<TicketView>> {
        super::tickets(&self.conn)
    }

    /// Move a ticket of the store forward to `status`, as `by` (staff member) or the till.
    pub fn update_ticket(
        &mut self,
        id: &str,
        status: TicketStatus,
        by: Option<&Staff>,
    ) -> Result<TicketChange> {
        let enrolment = db::require_enrolment(&self.conn)?;
        let who = match by {
            Some(s) => s.username.clone(),
            None => super::author(&enrolment, None).display_name,
        };
        let tx = db::write_tx(&mut self.conn)?;
        let out = super::update_ticket(&tx, id, status, &who)?;
        tx.commit()?;
        Ok(out)
    }

    /// Keep at most `limit` messages per channel from now on (pruning at once).
    pub fn set_chat_history_limit(&mut self, limit: usize) -> Result<()> {
        let tx = db::write_tx(&mut self.conn)?;
        super::set_history_limit(&tx, limit)?;
        tx.commit()?;
        Ok(())
    }

    /// The local file of an attachment referenced by a message here, if its bytes are on
    /// this till (written here or downloaded before).
    pub fn chat_attachment_file(&self, sha256: &str) -> Result<Option<PathBuf>> {
        let sha256 = sha256.trim().to_ascii_lowercase();
        if files::referenced(&self.conn, &sha256)?.is_none() {
            return Err(ChatError::UnknownAttachment(sha256).into());
        }
        let path = files::path_of(&self.data_dir, &sha256);
        Ok(path.is_file().then_some(path))
    }

    /// Copy an attachment to `out`, downloading it from the hub into the till's cache first
    /// when it is not here. Returns its size.
    pub async fn save_chat_attachment(&self, sha256: &str, out: &Path) -> Result<u64> {
        let path = match self.chat_attachment_file(sha256)? {
            Some(p) => p,
            None => super::net::download(&self.data_dir, sha256).await?,
        };
        Ok(std::fs::copy(path, out)?)
    }
}
