//! The chat screen's commands: the store's conversation with head office, HQ's notices
//! (acknowledged with a staff PIN) and the store's requests (tickets).
//!
//! Thin like [`crate::commands`]: each command checks that someone has unlocked the till,
//! calls the [`pos_agent::Till`] chat methods and maps refusals to a [`UiError`] code. The
//! author of everything written is the unlocked staff member, never a name from the screen.
//!
//! Files: a webview cannot hand over a path, so the screen sends each picked file as
//! `{ name, bytes }` (`bytes` a base64 string, optionally a `data:` URL, or an array of
//! numbers). The core checks them exactly as it checks `pos-agent chat send --attach`
//! files (type by extension and magic bytes, at most 10 MiB, at most 4 per message) and
//! keeps them in the till's attachment store until the next sync uploads them.
//!
//! Codes of chat refusals (besides the shell's `not_unlocked` and the core's, such as
//! `wrong_pin`): `attachment_refused`, `message_refused`, `unknown_announcement`,
//! `ack_not_required`, `unknown_ticket`, `empty_search`, `unknown_attachment`,
//! `not_uploaded_yet`, `notices_read_only`, `invalid_input`.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use pos_agent::chat::files::{self, NamedBytes};
use pos_agent::chat::{AckOutcome, ChatError, ChatMessageView, TicketView};
use pos_agent::{ChannelKind, ChatSend, ChatSent, TillError};
use serde::{Deserialize, Serialize};
use sync_proto::chat::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, TicketCategory, TicketStatus};
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{UiError, UiResult, code_of};
use crate::state::PosState;

/// Messages a page holds unless the screen asks for fewer.
pub const DEFAULT_PAGE: u32 = 100;
/// Most messages of one page.
pub const MAX_PAGE: u32 = 500;
/// Folder (inside the data directory) where saved attachments go.
pub const SAVED_DIR: &str = "downloads";

/// One of the store's two channels as the chat screen's tabs show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChatChannel {
    /// `store` (the conversation with HQ) or `notices` (HQ's announcements).
    #[ts(type = "\"store\" | \"notices\"")]
    pub kind: ChannelKind,
    /// `store:<code>` or `notices:<code>`.
    pub channel: String,
    /// Messages after this till's read position, not written here.
    #[ts(type = "number")]
    pub unread: u64,
    /// Order key of the newest message (changes when anything new arrives), if any.
    pub latest: Option<String>,
    /// Store chat: the store's requests not resolved yet; notices: 0.
    #[ts(type = "number")]
    pub open_tickets: u64,
    /// Notices: announcements asking for acknowledgement that nobody here has
    /// acknowledged yet; store chat: 0.
    #[ts(type = "number")]
    pub pending_acks: u64,
}

/// The bytes of a picked file: base64 (a bare string or a `data:` URL) or numbers.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(untagged)]
pub enum FileBytes {
    /// Base64 text, or a `data:<type>;base64,<text>` URL as `FileReader` makes it.
    Base64(String),
    /// The bytes as an array of numbers 0–255.
    Raw(Vec<u8>),
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileBytes::Base64(s) => write!(f, "Base64({} chars)", s.len()),
            FileBytes::Raw(b) => write!(f, "Raw({} bytes)", b.len()),
        }
    }
}

/// A file the cashier picked to attach.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct PickedFile {
    /// Its name (the extension says the type: .jpg, .jpeg, .png, .webp, .pdf).
    pub name: String,
    /// Its contents.
    pub bytes: FileBytes,
}

/// An attachment's bytes for showing (photos) or opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AttachmentData {
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// File name.
    pub name: String,
    /// Media type.
    pub mime: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// `data:<mime>;base64,…` (the window's CSP allows `data:` images).
    pub data_url: String,
}

/// The stable code of a core error, finer for chat refusals than [`code_of`].
pub fn chat_code(e: &TillError) -> &'static str {
    match e {
        TillError::Chat(c) => match c {
            ChatError::Message(_) => "message_refused",
            ChatError::File { .. } => "attachment_refused",
            ChatError::UnknownAnnouncement(_) => "unknown_announcement",
            ChatError::AckNotRequired(_) => "ack_not_required",
            ChatError::UnknownTicket(_) => "unknown_ticket",
            ChatError::TicketBackwards { .. } => "ticket_backwards",
            ChatError::EmptySearch => "empty_search",
            ChatError::UnknownAttachment(_) => "unknown_attachment",
            ChatError::NotUploadedYet(_) => "not_uploaded_yet",
            ChatError::Refused(_) => "message_refused",
        },
        other => code_of(other),
    }
}

/// A core error as the chat screen receives it.
fn ui(e: TillError) -> UiError {
    let code = chat_code(&e);
    if matches!(code, "database" | "file" | "corrupt" | "internal") {
        tracing::error!(error = %e, code, "chat command failed");
    } else {
        tracing::debug!(error = %e, code, "chat command refused");
    }
    UiError::new(code, e.to_string())
}

fn attachment_refused(name: &str, reason: impl std::fmt::Display) -> UiError {
    UiError::new(
        "attachment_refused",
        format!("cannot attach {name}: {reason}"),
    )
}

/// Longest base64 text a file of at most [`MAX_ATTACHMENT_BYTES`] can take, with room for
/// a `data:` prefix and line breaks.
fn max_base64_len() -> usize {
    (MAX_ATTACHMENT_BYTES as usize).div_ceil(3) * 4 + 4_096
}

/// Decode a picked file (size checked before decoding); the core checks the rest.
pub fn decode_file(file: PickedFile) -> UiResult<NamedBytes> {
    let limit_mib = MAX_ATTACHMENT_BYTES / (1024 * 1024);
    let too_big =
        |name: &str| attachment_refused(name, format!("attachments are at most {limit_mib} MiB"));
    let bytes = match file.bytes {
        FileBytes::Raw(b) => b,
        FileBytes::Base64(text) => {
            if text.len() > max_base64_len() {
                return Err(too_big(&file.name));
            }
            let body = match text.strip_prefix("data:") {
                Some(rest) => match rest.split_once(',') {
                    Some((meta, body)) if meta.ends_with(";base64") => body,
                    _ => {
                        return Err(attachment_refused(
                            &file.name,
                            "the file's data URL is not base64",
                        ));
                    }
                },
                None => text.as_str(),
            };
            let clean: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .map_err(|e| {
                    attachment_refused(&file.name, format!("its bytes are not base64 ({e})"))
                })?
        }
    };
    if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(too_big(&file.name));
    }
    Ok(NamedBytes {
        name: file.name,
        bytes,
    })
}

fn parse_id(what: &str, id: &str) -> UiResult<Uuid> {
    id.trim()
        .parse()
        .map_err(|_| UiError::new("invalid_input", format!("{id:?} is not a {what} id")))
}

/// Send `text` (and files) into the store's chat as the unlocked staff member.
fn send(
    state: &PosState,
    kind: ChannelKind,
    text: String,
    ticket: Option<TicketCategory>,
    attachments: Vec<PickedFile>,
    id: Option<String>,
) -> UiResult<ChatSent> {
    let session = state.require_staff()?;
    if kind == ChannelKind::Notices {
        return Err(UiError::new(
            "notices_read_only",
            "notices come from head office; write to head office in the store chat",
        ));
    }
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(UiError::new(
            "message_refused",
            format!(
                "{} attachments; at most {MAX_ATTACHMENTS} per message",
                attachments.len()
            ),
        ));
    }
    let id = id.as_deref().map(|i| parse_id("message", i)).transpose()?;
    let files = attachments
        .into_iter()
        .map(decode_file)
        .collect::<UiResult<Vec<_>>>()?;
    let req = ChatSend {
        text,
        ticket,
        attachments: Vec::new(),
        author: Some(session.staff.clone()),
        id,
    };
    let sent = state
        .till()?
        .send_chat_with_files(&req, files)
        .map_err(ui)?;
    tracing::info!(
        id = %sent.message.id,
        user = %session.staff.username,
        files = sent.message.attachments.len(),
        ticket = ticket.map(TicketCategory::as_str),
        created = sent.created,
        "chat message from the till"
    );
    Ok(sent)
}

/// `chat_channels`: the store chat and the notices with unread counts, the newest
/// message's order key (to notice new messages cheaply), open requests and notices
/// waiting for acknowledgement.
#[tauri::command]
pub fn chat_channels(state: State<'_, PosState>) -> UiResult<Vec<ChatChannel>> {
    state.require_staff()?;
    let till = state.till()?;
    let unread = till.chat_unread().map_err(ui)?;
    let mut out = Vec::with_capacity(2);
    for kind in [ChannelKind::Store, ChannelKind::Notices] {
        let Some(u) = unread.iter().find(|u| u.kind == kind) else {
            continue;
        };
        let latest = till
            .chat_messages(kind, Some(1))
            .map_err(ui)?
            .pop()
            .map(|m| m.order);
        let (open_tickets, pending_acks) = match kind {
            ChannelKind::Store => (
                till.chat_tickets()
                    .map_err(ui)?
                    .iter()
                    .filter(|t| t.status != TicketStatus::Resolved)
                    .count() as u64,
                0,
            ),
            ChannelKind::Notices => (
                0,
                till.chat_messages(kind, None)
                    .map_err(ui)?
                    .iter()
                    .filter(|m| m.requires_ack && m.acked_by.is_none())
                    .count() as u64,
            ),
        };
        out.push(ChatChannel {
            kind,
            channel: u.channel.clone(),
            unread: u.unread,
            latest,
            open_tickets,
            pending_acks,
        });
    }
    Ok(out)
}

/// `chat_messages`: up to `limit` (default 100, at most 500) messages of the store chat
/// or the notices before the message `before` (the newest when absent), oldest first in
/// HLC-then-id order.
#[tauri::command]
pub fn chat_messages(
    state: State<'_, PosState>,
    kind: ChannelKind,
    before: Option<String>,
    limit: Option<u32>,
) -> UiResult<Vec<ChatMessageView>> {
    state.require_staff()?;
    let before = before
        .as_deref()
        .filter(|b| !b.trim().is_empty())
        .map(|b| parse_id("message", b))
        .transpose()?;
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    state
        .till()?
        .chat_messages_before(kind, before.as_ref(), Some(limit))
        .map_err(ui)
}

/// `chat_send`: a message to head office in the store chat, as the unlocked staff member,
/// with picked files. `id` (a UUID the screen made) makes a retry store the message once.
#[tauri::command]
pub fn chat_send(
    state: State<'_, PosState>,
    kind: ChannelKind,
    text: String,
    attachments: Option<Vec<PickedFile>>,
    id: Option<String>,
) -> UiResult<ChatSent> {
    send(
        &state,
        kind,
        text,
        None,
        attachments.unwrap_or_default(),
        id,
    )
}

/// `chat_raise_ticket`: a request to head office (category + text, files optional) in
/// the store chat, as the unlocked staff member; it starts `open`.
#[tauri::command]
pub fn chat_raise_ticket(
    state: State<'_, PosState>,
    category: TicketCategory,
    text: String,
    attachments: Option<Vec<PickedFile>>,
    id: Option<String>,
) -> UiResult<ChatSent> {
    send(
        &state,
        ChannelKind::Store,
        text,
        Some(category),
        attachments.unwrap_or_default(),
        id,
    )
}

/// `chat_read`: the chat or notices have been seen up to the newest message; `false` when
/// there was nothing new.
#[tauri::command]
pub fn chat_read(state: State<'_, PosState>, kind: ChannelKind) -> UiResult<bool> {
    state.require_staff()?;
    Ok(state.till()?.mark_chat_read(kind).map_err(ui)?.is_some())
}

/// `chat_ack`: acknowledge an announcement for the store as the staff member whose PIN
/// this is (`wrong_pin` otherwise; nothing is written).
#[tauri::command]
pub fn chat_ack(
    state: State<'_, PosState>,
    announcement: String,
    pin: String,
) -> UiResult<AckOutcome> {
    let session = state.require_staff()?;
    let out = state
        .till()?
        .acknowledge_announcement(announcement.trim(), &pin)
        .map_err(ui)?;
    tracing::info!(
        announcement = %out.announcement,
        by = %out.by,
        unlocked = %session.staff.username,
        created = out.created,
        "announcement acknowledged"
    );
    Ok(out)
}

/// `chat_tickets`: the store's requests with their status, newest first.
#[tauri::command]
pub fn chat_tickets(state: State<'_, PosState>) -> UiResult<Vec<TicketView>> {
    state.require_staff()?;
    state.till()?.chat_tickets().map_err(ui)
}

/// `chat_search`: messages of the store chat and notices containing `text`, newest first.
#[tauri::command]
pub fn chat_search(state: State<'_, PosState>, text: String) -> UiResult<Vec<ChatMessageView>> {
    state.require_staff()?;
    state.till()?.search_chat(&text).map_err(ui)
}

/// Where an attachment's bytes are on this till, fetching them from the hub when only the
/// hub has them; with its reference.
async fn local_file(
    state: &PosState,
    sha256: &str,
) -> UiResult<(sync_proto::chat::AttachmentRef, PathBuf)> {
    let sha256 = sha256.trim().to_ascii_lowercase();
    let (reference, path) = {
        let till = state.till()?;
        let path = till.chat_attachment_file(&sha256).map_err(ui)?;
        let reference = files::referenced(till.connection(), &sha256)
            .map_err(ui)?
            .ok_or_else(|| ui(ChatError::UnknownAttachment(sha256.clone()).into()))?;
        (reference, path)
    };
    let path = match path {
        Some(p) => p,
        None => pos_agent::chat::net::download(state.data_dir(), &sha256)
            .await
            .map_err(ui)?,
    };
    Ok((reference, path))
}

fn read_capped(path: &Path) -> UiResult<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ATTACHMENT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| ui(TillError::Io(e)))?;
    if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(UiError::internal(
            "a stored attachment is larger than attachments may be",
        ));
    }
    Ok(bytes)
}

/// `chat_attachment`: an attachment's bytes as a `data:` URL (downloaded from the hub
/// first when this till does not have them; `hub_unreachable` offline).
#[tauri::command]
pub async fn chat_attachment(
    state: State<'_, PosState>,
    sha256: String,
) -> UiResult<AttachmentData> {
    state.require_staff()?;
    let (reference, path) = local_file(&state, &sha256).await?;
    let bytes = read_capped(&path)?;
    let data_url = format!(
        "data:{};base64,{}",
        reference.mime,
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    Ok(AttachmentData {
        sha256: reference.sha256,
        name: reference.name,
        mime: reference.mime,
        size: bytes.len() as u64,
        data_url,
    })
}

/// A file name safe to create in the saved-attachments folder.
fn safe_name(name: &str) -> String {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("attachment");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.trim_matches('.').is_empty() {
        "attachment".into()
    } else {
        clean
    }
}

/// `chat_save_attachment`: copy an attachment (a PDF notice, a photo) into the till's
/// `downloads` folder under its own name (`name (2).pdf` when another file has it) and
/// return the path written, to open from there.
#[tauri::command]
pub async fn chat_save_attachment(state: State<'_, PosState>, sha256: String) -> UiResult<String> {
    state.require_staff()?;
    let (reference, path) = local_file(&state, &sha256).await?;
    let bytes = read_capped(&path)?;
    let dir = state.data_dir().join(SAVED_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| ui(TillError::Io(e)))?;
    let name = safe_name(&reference.name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    for n in 1..1_000u32 {
        let candidate = if n == 1 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        if candidate.exists() {
            if std::fs::read(&candidate).is_ok_and(|b| b == bytes) {
                return Ok(candidate.display().to_string());
            }
            continue;
        }
        std::fs::write(&candidate, &bytes).map_err(|e| ui(TillError::Io(e)))?;
        tracing::info!(path = %candidate.display(), "attachment saved");
        return Ok(candidate.display().to_string());
    }
    Err(UiError::new(
        "file",
        format!("too many files called {name} in {}", dir.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_data_urls_and_number_arrays_decode() {
        let png = b"\x89PNG\r\n\x1a\nxx".to_vec();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        for bytes in [
            FileBytes::Base64(b64.clone()),
            FileBytes::Base64(format!("data:image/png;base64,{b64}")),
            FileBytes::Raw(png.clone()),
        ] {
            let got = decode_file(PickedFile {
                name: "a.png".into(),
                bytes,
            })
            .expect("decodes");
            assert_eq!(got.bytes, png);
            assert_eq!(got.name, "a.png");
        }
        let bad = decode_file(PickedFile {
            name: "a.png".into(),
            bytes: FileBytes::Base64("not base64!!".into()),
        })
        .expect_err("refused");
        assert_eq!(bad.code, "attachment_refused");
        assert!(bad.message.contains("a.png"), "{}", bad.message);
        let huge = decode_file(PickedFile {
            name: "big.pdf".into(),
            bytes: FileBytes::Base64("A".repeat(max_base64_len() + 1)),
        })
        .expect_err("too big");
        assert!(huge.message.contains("10 MiB"), "{}", huge.message);
    }

    #[test]
    fn saved_names_stay_in_the_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a:b?.pdf"), "a_b_.pdf");
        assert_eq!(safe_name(".."), "attachment");
        assert_eq!(safe_name("주간 공지.pdf"), "주간 공지.pdf");
    }
}
