//! Attachment bytes over HTTP: upload of the files written at this till, download of the
//! others on demand. Both authenticate with the till's device credential (Bearer).
//!
//! - [`upload_pending`]: `POST /api/v1/chat/attachments?name=<name>` with the raw bytes and
//!   their `Content-Type`, for every `pending` file (oldest first). 2xx marks it uploaded
//!   (the hub stores by hash, so a repeat is harmless); 400/413/415 mark it `refused` with
//!   the hub's message (the till checked the same rules, so this is rare); anything else
//!   leaves it pending for the next round. The sync client calls it before each
//!   `sync --once` and every few seconds while `run` is up ([`upload_loop`]).
//! - [`download`]: `GET /api/v1/chat/attachments/{sha256}`, checks the hash and size, stores
//!   the bytes in the cache ([`super::files::store`]) and records them `cached`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sync_proto::chat::MAX_ATTACHMENT_BYTES;

use super::{ChatError, files};
use crate::db;
use crate::error::{Result, TillError};
use crate::sync::SyncDb;

/// How often `run` looks for files to upload.
pub const UPLOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The hub's attachment endpoint.
pub const ATTACHMENTS_PATH: &str = "/api/v1/chat/attachments";

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TillError::Internal(format!("HTTP client: {e}")))
}

fn base(hub_url: &str) -> Result<String> {
    let base = hub_url.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(TillError::InvalidInput(format!(
            "hub URL {hub_url:?} must start with http:// or https://"
        )));
    }
    Ok(base.to_owned())
}

/// Upload every pending file to the hub (`hub_url` or the enrolled one). Returns how many
/// were uploaded; stops at the first network failure (the rest stay pending).
pub(crate) async fn upload_pending(
    db: &SyncDb,
    data_dir: &Path,
    hub_url: Option<&str>,
) -> Result<usize> {
    let (pending, enrolment) = db
        .call(|c| Ok((files::pending(c)?, db::require_enrolment(c)?)))
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let base = base(hub_url.unwrap_or(&enrolment.hub_url))?;
    let http = client()?;
    let url = format!("{base}{ATTACHMENTS_PATH}");
    let mut uploaded = 0;
    for a in pending {
        let path = files::path_of(data_dir, &a.sha256);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) => {
                let reason = format!("file missing at the till: {e}");
                tracing::warn!(sha256 = %a.sha256, %reason, "attachment cannot be uploaded");
                let sha = a.sha256.clone();
                db.call(move |c| files::mark_refused(c, &sha, &reason))
                    .await?;
                continue;
            }
        };
        let resp = http
            .post(&url)
            .query(&[("name", a.name.as_str())])
            .bearer_auth(&enrolment.credential)
            .header(reqwest::header::CONTENT_TYPE, a.mime.as_str())
            .body(bytes)
            .send()
            .await
            .map_err(|e| TillError::HubUnreachable {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let status = resp.status();
        let sha = a.sha256.clone();
        if status.is_success() {
            db.call(move |c| files::mark_uploaded(c, &sha)).await?;
            tracing::info!(sha256 = %a.sha256, name = %a.name, "attachment uploaded");
            uploaded += 1;
        } else if matches!(status.as_u16(), 400 | 413 | 415) {
            let body = resp.text().await.unwrap_or_default();
            let (_, message) = crate::enrol::parse_error_body(&body);
            let reason = format!("{status}: {message}");
            tracing::warn!(sha256 = %a.sha256, %reason, "the hub refused an attachment");
            db.call(move |c| files::mark_refused(c, &sha, &reason))
                .await?;
        } else {
            let body = resp.text().await.unwrap_or_default();
            let (code, message) = crate::enrol::parse_error_body(&body);
            return Err(TillError::Hub {
                status: status.as_u16(),
                code,
                message,
            });
        }
    }
    Ok(uploaded)
}

/// Upload pending files every [`UPLOAD_INTERVAL`] until dropped (run by `sync::run`).
pub(crate) async fn upload_loop(db: SyncDb, data_dir: PathBuf, hub_url: Option<String>) {
    let mut failures: u32 = 0;
    loop {
        let delay = match upload_pending(&db, &data_dir, hub_url.as_deref()).await {
            Ok(_) => {
                failures = 0;
                UPLOAD_INTERVAL
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::debug!(error = %e, "attachment upload postponed");
                crate::sync::backoff_delay(failures).max(UPLOAD_INTERVAL)
            }
        };
        tokio::time::sleep(delay).await;
    }
}

/// Download an attachment from the hub into the till's cache; returns the cached file.
pub async fn download(data_dir: &Path, sha256: &str) -> Result<PathBuf> {
    crate::install_crypto_provider();
    let sha256 = sha256.trim().to_ascii_lowercase();
    let db = SyncDb::open(data_dir)?;
    let sha = sha256.clone();
    let (reference, enrolment) = db
        .call(move |c| Ok((files::referenced(c, &sha)?, db::require_enrolment(c)?)))
        .await?;
    let reference = reference.ok_or_else(|| ChatError::UnknownAttachment(sha256.clone()))?;
    let url = format!("{}{ATTACHMENTS_PATH}/{sha256}", base(&enrolment.hub_url)?);
    let unreachable = |reason: String| TillError::HubUnreachable {
        url: url.clone(),
        reason,
    };
    let resp = client()?
        .get(&url)
        .bearer_auth(&enrolment.credential)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let status = resp.status();
    if status.as_u16() == 404 {
        return Err(ChatError::NotUploadedYet(sha256).into());
    }
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        let (code, message) = crate::enrol::parse_error_body(&body);
        return Err(TillError::Hub {
            status: status.as_u16(),
            code,
            message,
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_ATTACHMENT_BYTES)
    {
        return Err(TillError::Protocol(format!(
            "the hub sent more than {MAX_ATTACHMENT_BYTES} bytes for attachment {sha256}"
        )));
    }
    let bytes = resp.bytes().await.map_err(|e| unreachable(e.to_string()))?;
    if bytes.len() as u64 > MAX_ATTACHMENT_BYTES || files::sha256_hex(&bytes) != sha256 {
        return Err(TillError::Protocol(format!(
            "the hub's bytes for attachment {sha256} do not match its hash"
        )));
    }
    let path = files::store(data_dir, &sha256, &bytes)?;
    db.call(move |c| files::record_cached(c, &reference))
        .await?;
    tracing::info!(%sha256, "attachment downloaded into the cache");
    Ok(path)
}
