//! The sync client: pushes the till's outbox to the hub and applies what the
//! hub sends down, over one WebSocket (`/sync/v1`, contract §"Sync conversation").
//!
//! - [`sync_once`]: connect, push everything, pull until caught up and every
//!   pushed op is acknowledged, carry out the commands the hub sent, close.
//!   The CLI's `sync --once`.
//! - [`run`]: stay connected; poll the outbox every [`POLL_INTERVAL`] for ops
//!   committed by any process on the same data directory; reconnect with
//!   jittered exponential backoff ([`backoff_delay`], 200 ms .. 10 s) until the
//!   shutdown future resolves. Stops (with an error) only when the hub says
//!   the till was restored (`TillRestored`) — that needs a new enrolment.
//!
//! A [`SyncControl`] in [`SyncOptions::control`] lets a long-running app
//! watch the [`LinkState`] and ask for a sync now ([`control`]).
//!
//! Both also upload the chat attachments written at the till ([`crate::chat::net`]):
//! `sync_once` before its session, `run` in a background task.
//!
//! The client owns its own SQLite connection and does all database work on
//! the blocking pool in short transactions, so a till selling in another
//! process or on another handle never waits for the network.

pub mod control;
mod session;

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use rusqlite::Connection;
use serde::Serialize;

use crate::db::{self, keys};
use crate::error::{Result, TillError};

pub use control::{LinkState, SyncControl};
pub use session::sync_url;

/// How often `run` looks for new ops in the outbox.
pub const POLL_INTERVAL: Duration = Duration::from_millis(75);
/// Most `Push` frames in flight before waiting for an `Ack`.
pub const MAX_IN_FLIGHT: usize = 8;
/// Upper bound of encoded op bytes in one `Push` frame (besides
/// `MAX_OPS_PER_FRAME`), well under the 4 MiB frame limit.
pub const MAX_PUSH_BYTES: usize = 1024 * 1024;
/// First reconnect delay.
pub const BACKOFF_MIN: Duration = Duration::from_millis(200);
/// Longest reconnect delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Options of a sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Hub URL to use instead of the enrolled one.
    pub hub_url: Option<String>,
    /// Software version reported to the hub.
    pub app_version: String,
    /// How long to wait for the hub to answer before giving up on a connection.
    pub timeout: Duration,
    /// Link state and "sync now" shared with the app, if it wants them.
    pub control: Option<SyncControl>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            hub_url: None,
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            timeout: Duration::from_secs(30),
            control: None,
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Ops sent in `Push` frames.
    pub pushed_ops: u64,
    /// Highest own seq acknowledged by the hub.
    pub acked_seq: u64,
    /// Ops received in `Ops` frames.
    pub received_ops: u64,
    /// A snapshot was received and applied.
    pub snapshot: bool,
    /// Downstream cursor after the sync.
    pub cursor: u64,
    /// Own ops not yet acknowledged.
    pub unsent_ops: u64,
    /// Records of an earlier actor re-issued after re-enrolment.
    pub carried_over: usize,
}

/// The sync client's own database connection, used on the blocking pool.
#[derive(Clone)]
pub(crate) struct SyncDb {
    conn: Arc<Mutex<Connection>>,
}

impl SyncDb {
    pub(crate) fn open(data_dir: &Path) -> Result<Self> {
        Ok(Self {
            conn: Arc::new(Mutex::new(db::open(data_dir)?)),
        })
    }

    /// Run `f` with the connection on the blocking pool.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| TillError::Internal("sync database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| TillError::Internal(format!("database task failed: {e}")))?
    }

    pub(crate) async fn set_last_error(&self, error: Option<String>) -> Result<()> {
        self.call(move |c| db::set_meta(c, keys::LAST_ERROR, error.as_deref().unwrap_or("")))
            .await
    }
}

/// Push everything, pull until caught up, close (the enrolled hub).
pub async fn sync_once(data_dir: &Path) -> Result<SyncReport> {
    sync_once_with(data_dir, &SyncOptions::default()).await
}

/// [`sync_once`] with options.
pub async fn sync_once_with(data_dir: &Path, opts: &SyncOptions) -> Result<SyncReport> {
    crate::install_crypto_provider();
    let db = SyncDb::open(data_dir)?;
    let mut report = SyncReport::default();
    let mut welcomed = false;
    // Files first, so that HQ rarely sees a message before its attachment.
    if let Err(e) = crate::chat::net::upload_pending(&db, data_dir, opts.hub_url.as_deref()).await {
        tracing::warn!(error = %e, "chat attachments not uploaded this time");
    }
    let result =
        session::run_session(&db, opts, session::Mode::Once, &mut report, &mut welcomed).await;
    session_ended(
        opts.control.as_ref(),
        result.as_ref().err().map(ToString::to_string),
    );
    match &result {
        Ok(()) => db.set_last_error(None).await?,
        Err(e) => {
            let _ = db.set_last_error(Some(e.to_string())).await;
        }
    }
    result.map(|()| report)
}

/// Stay connected until `shutdown` resolves (the enrolled hub).
pub async fn run(data_dir: &Path, shutdown: impl Future<Output = ()>) -> Result<()> {
    run_with(data_dir, &SyncOptions::default(), shutdown).await
}

/// [`run`] with options.
pub async fn run_with(
    data_dir: &Path,
    opts: &SyncOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    crate::install_crypto_provider();
    let db = SyncDb::open(data_dir)?;
    // Keep WAL checkpoints off the sale path while the daemon runs.
    let _checkpointer = db::Checkpointer::start(data_dir)?;
    let _uploader = AbortOnDrop(tokio::spawn(crate::chat::net::upload_loop(
        db.clone(),
        data_dir.to_path_buf(),
        opts.hub_url.clone(),
    )));
    if let Some(control) = &opts.control {
        // Start from what the database knows (offline until welcomed).
        let status = db.call(|c| crate::till::status(c)).await?;
        control.update(|s| {
            s.online = false;
            s.last_sync_ms = status.last_sync_ms;
            s.last_error = status.last_error.clone();
            s.unsent_ops = status.unsent_ops;
        });
    }
    tokio::pin!(shutdown);
    let mut attempt: u32 = 0;
    loop {
        let mut report = SyncReport::default();
        let mut welcomed = false;
        let result = tokio::select! {
            _ = &mut shutdown => {
                session_ended(opts.control.as_ref(), None);
                return Ok(());
            }
            r = session::run_session(&db, opts, session::Mode::Live, &mut report, &mut welcomed) => r,
        };
        session_ended(
            opts.control.as_ref(),
            Some(match &result {
                Ok(()) => "the hub closed the sync connection".to_owned(),
                Err(e) => e.to_string(),
            }),
        );
        match result {
            Ok(()) => tracing::info!("hub closed the sync connection; reconnecting"),
            Err(
                e @ (TillError::TillRestored(_)
                | TillError::NeedsEnrolment
                | TillError::NotEnrolled),
            ) => {
                let _ = db.set_last_error(Some(e.to_string())).await;
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync connection failed");
                let _ = db.set_last_error(Some(e.to_string())).await;
            }
        }
        if welcomed {
            attempt = 0;
        }
        let delay = backoff_delay(attempt);
        attempt = attempt.saturating_add(1);
        tracing::debug!(?delay, attempt, "reconnecting after");
        tokio::select! {
            _ = &mut shutdown => {
                session_ended(opts.control.as_ref(), None);
                return Ok(());
            }
            _ = tokio::time::sleep(delay) => {}
            _ = control::woken(opts.control.as_ref()) => {
                tracing::info!("sync requested: reconnecting now");
                attempt = 0;
            }
        }
    }
}

/// Tell the app the session is over (offline), with why if it failed.
fn session_ended(control: Option<&SyncControl>, error: Option<String>) {
    if let Some(control) = control {
        control.update(|s| {
            s.online = false;
            if error.is_some() {
                s.last_error = error;
            }
        });
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The delay before reconnect attempt `attempt` (0-based): exponential from
/// [`BACKOFF_MIN`] doubling up to [`BACKOFF_MAX`], with "equal jitter"
/// (uniform in the upper half), so that a fleet of tills does not reconnect
/// in lockstep after a hub restart.
pub fn backoff_delay(attempt: u32) -> Duration {
    let min = BACKOFF_MIN.as_millis() as u64;
    let max = BACKOFF_MAX.as_millis() as u64;
    let ceiling = min.saturating_mul(1u64 << attempt.min(16)).min(max);
    let floor = (ceiling / 2).max(min.min(ceiling));
    Duration::from_millis(rand::thread_rng().gen_range(floor..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_jittered_and_is_capped() {
        for attempt in 0..40 {
            let d = backoff_delay(attempt);
            assert!(d >= BACKOFF_MIN, "{d:?}");
            assert!(d <= BACKOFF_MAX, "{d:?}");
        }
        assert!(backoff_delay(0) <= Duration::from_millis(200));
        assert!(backoff_delay(10) >= Duration::from_secs(5));
        let samples: std::collections::BTreeSet<_> = (0..20).map(|_| backoff_delay(5)).collect();
        assert!(samples.len() > 1, "jittered");
    }
}
