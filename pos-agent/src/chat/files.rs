//! Attachment files at the till: checks, content-addressed storage, upload state.
//!
//! A file given to `chat send --attach` (a path), or handed over by the desktop app as a
//! name and its bytes ([`NamedBytes`]), is checked before anything is written: a plain
//! file of 1 byte to [`MAX_ATTACHMENT_BYTES`] (the size is read from the metadata first,
//! so an oversized file is never read into memory), a type allowed by
//! [`ALLOWED_ATTACHMENT_TYPES`] judged by its extension, and bytes that really are of that
//! type (magic numbers: the hub sniffs them too and refuses a mismatch). The bytes are
//! stored under `<data-dir>/attachments/<sha[0..2]>/<sha256>` (written to a temporary
//! file, fsynced, renamed) before the message's transaction commits, and the
//! `chat_attachment` row saying "pending upload" commits with the message op. A crash
//! between the two leaves at worst an unreferenced file, never a message whose file is
//! missing.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use sync_proto::chat::{ALLOWED_ATTACHMENT_TYPES, AttachmentRef, MAX_ATTACHMENT_BYTES};

use super::ChatError;
use crate::db;
use crate::error::Result;

/// Directory (inside the data directory) of attachment files.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// The media type a file name's extension stands for, if it is an allowed one.
pub fn mime_for_name(name: &str) -> Option<&'static str> {
    let ext = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        "pdf" => Some("application/pdf"),
        _ => None,
    }
}

/// The allowed media type the bytes are, by their magic numbers.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn type_name(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "a JPEG photo",
        "image/png" => "a PNG image",
        "image/webp" => "a WebP image",
        _ => "a PDF",
    }
}

/// SHA-256 of `bytes`, 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A file to attach given as its name and bytes (what a desktop screen hands over: a
/// webview cannot name a path on disk).
#[derive(Clone, PartialEq, Eq)]
pub struct NamedBytes {
    /// The file's name as the person picked it (a bare name, no folders); its extension
    /// says the type.
    pub name: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for NamedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedBytes")
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn refused(file: &str, reason: String) -> ChatError {
    ChatError::File {
        file: file.to_owned(),
        reason,
    }
}

/// The allowed media type of a file called `name`, or the refusal naming `shown`.
fn type_of_name(shown: &str, name: &str) -> Result<&'static str> {
    Ok(mime_for_name(name).ok_or_else(|| {
        refused(
            shown,
            format!(
                "this type of file is not allowed; attach a photo (.jpg, .png, .webp) or a PDF ({})",
                ALLOWED_ATTACHMENT_TYPES.join(", ")
            ),
        )
    })?)
}

/// The checks every attachment passes once its bytes are read: not empty, at most
/// [`MAX_ATTACHMENT_BYTES`], contents of the type its name says.
fn check_bytes(
    shown: &str,
    name: String,
    mime: &'static str,
    bytes: &[u8],
) -> Result<AttachmentRef> {
    let limit_mib = MAX_ATTACHMENT_BYTES / (1024 * 1024);
    if bytes.is_empty() {
        return Err(refused(shown, "the file is empty".into()).into());
    }
    if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(refused(
            shown,
            format!(
                "it is {} bytes; attachments are at most {limit_mib} MiB",
                bytes.len()
            ),
        )
        .into());
    }
    if sniff(bytes) != Some(mime) {
        return Err(refused(
            shown,
            format!("its name says {} but its contents are not", type_name(mime)),
        )
        .into());
    }
    let a = AttachmentRef {
        sha256: sha256_hex(bytes),
        name,
        mime: mime.to_owned(),
        size: bytes.len() as u64,
    };
    sync_proto::chat::check_attachment(&a).map_err(ChatError::from)?;
    Ok(a)
}

/// Check a file to attach and read it: its reference and its bytes.
pub fn prepare(path: &Path) -> Result<(AttachmentRef, Vec<u8>)> {
    let shown = path.display().to_string();
    let bad = |reason: String| refused(&shown, reason);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| bad("not a file name".into()))?;
    let mime = type_of_name(&shown, &name)?;
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()).into());
    }
    let limit_mib = MAX_ATTACHMENT_BYTES / (1024 * 1024);
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(bad(format!(
            "it is {} bytes; attachments are at most {limit_mib} MiB",
            meta.len()
        ))
        .into());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .map_err(|e| bad(e.to_string()))?
        .take(MAX_ATTACHMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    let a = check_bytes(&shown, name, mime, &bytes)?;
    Ok((a, bytes))
}

/// Check a file given as a name and its bytes, with the same checks as [`prepare`]: a bare
/// file name (no folders), an allowed type by extension, 1 byte to
/// [`MAX_ATTACHMENT_BYTES`], contents of that type (magic numbers).
pub fn prepare_bytes(file: NamedBytes) -> Result<(AttachmentRef, Vec<u8>)> {
    let NamedBytes { name, bytes } = file;
    let bare = Path::new(&name)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == name);
    if !bare || name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return Err(refused(&name, "give a bare file name such as photo.jpg".into()).into());
    }
    let mime = type_of_name(&name, &name)?;
    let a = check_bytes(&name, name.clone(), mime, &bytes)?;
    Ok((a, bytes))
}

/// Where the bytes with this hash live in `data_dir`.
pub fn path_of(data_dir: &Path, sha256: &str) -> PathBuf {
    let prefix = sha256.get(0..2).unwrap_or("xx");
    data_dir.join(ATTACHMENTS_DIR).join(prefix).join(sha256)
}

/// Store `bytes` under their hash in `data_dir` durably (temporary file, fsync, rename,
/// fsync of the directory). Already there: nothing to do.
pub fn store(data_dir: &Path, sha256: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = path_of(data_dir, sha256);
    if path.is_file() && std::fs::metadata(&path)?.len() == bytes.len() as u64 {
        return Ok(path);
    }
    let dir = path
        .parent()
        .ok_or_else(|| crate::TillError::Internal("attachment path has no parent".into()))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{sha256}.{}.tmp", uuid::Uuid::now_v7()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// Record a file written here, to upload (keeps an existing row).
pub fn record_pending(conn: &Connection, a: &AttachmentRef) -> Result<()> {
    record(conn, a, "pending")
}

/// Record a file downloaded from the hub.
pub fn record_cached(conn: &Connection, a: &AttachmentRef) -> Result<()> {
    record(conn, a, "cached")
}

/// Record a file in `state` (keeps an existing row).
fn record(conn: &Connection, a: &AttachmentRef, state: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO chat_attachment(sha256, name, mime, size, state, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO NOTHING",
    )?
    .execute(params![
        a.sha256,
        a.name,
        a.mime,
        a.size as i64,
        state,
        db::now_ms() as i64
    ])?;
    Ok(())
}

/// The state of a file here (`pending`, `uploaded`, `cached`, `refused`), if it is here.
pub fn state_of(conn: &Connection, sha256: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT state FROM chat_attachment WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// Files written here and not uploaded yet, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<AttachmentRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, name, mime, size FROM chat_attachment
         WHERE state = 'pending' ORDER BY created_ms, sha256",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AttachmentRef {
            sha256: r.get(0)?,
            name: r.get(1)?,
            mime: r.get(2)?,
            size: r.get::<_, i64>(3)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The hub has the file.
pub fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE chat_attachment SET state = 'uploaded', uploaded_ms = ?2, error = NULL
         WHERE sha256 = ?1",
    )?
    .execute(params![sha256, db::now_ms() as i64])?;
    Ok(())
}

/// The hub refused the file for good (type, size): kept here, not retried.
pub fn mark_refused(conn: &Connection, sha256: &str, error: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE chat_attachment SET state = 'refused', error = ?2 WHERE sha256 = ?1",
    )?
    .execute(params![sha256, error])?;
    Ok(())
}

/// The attachment reference with this hash on a message at this till, if any.
pub fn referenced(conn: &Connection, sha256: &str) -> Result<Option<AttachmentRef>> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let sha256 = sha256.to_ascii_lowercase();
    let mut stmt = conn.prepare_cached(
        "SELECT attachments FROM chat_message WHERE attachments LIKE ?1 LIMIT 10",
    )?;
    let lists = stmt
        .query_map([format!("%{sha256}%")], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for list in lists {
        let refs: Vec<AttachmentRef> = serde_json::from_str(&list).unwrap_or_default();
        if let Some(a) = refs.into_iter().find(|a| a.sha256 == sha256) {
            return Ok(Some(a));
        }
    }
    Ok(None)
}
