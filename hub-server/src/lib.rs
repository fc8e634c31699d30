//! # hub-server — the Storelink hub
//!
//! The hub merges what every till pushes over the sync WebSocket
//! (`/sync/v1`) into the chain's stock, sales and catalog, fans new ops out
//! live to the other tills of the same store, and serves HQ a REST API
//! (`/api/v1`, OpenAPI at `/api/v1/openapi.json`), health checks and
//! Prometheus metrics.
//!
//! Code map:
//! - [`launch`]: opens the database, starts the writer, serves HTTP until shutdown.
//! - [`settings`]: the [`Settings`] of one hub.
//! - [`db`]: SQLite setup, schema migrations, the read pool.
//! - [`writer`]: the single writer thread with group commit; applying ops.
//! - [`feed`]: reading the downstream log and snapshots for tills.
//! - [`drops`]: limited editions and first-come coupons (escrow projection and strict
//!   checks, drops, rebalancer, read models, snapshot records).
//! - [`sync_ws`]: one task per till connection (auth, Hello/Welcome,
//!   snapshot, upstream validation and acks, downstream pump, ping).
//! - [`api`]: REST handlers, auth extractor, JSON errors, OpenAPI.
//! - [`auth`]: passwords, tokens, device credentials, enrolment codes.
//! - [`console`]: the HQ web console (`ui/hq/dist`, embedded) at `/`.
//! - [`driver_page`]: the drivers' mobile page (`ui/driver/dist`, embedded) at `/driver`.
//! - [`audit`]: the audit log of admin actions.
//! - [`views`]: in-memory materialised stock for fast reads.
//! - [`reports`]: report tables (sales by hour/day/SKU/cashier, stock history,
//!   members, price rules) kept by the writer on apply.
//! - [`metrics`]: the Prometheus registry of one hub.
//! - [`accounts`]: roles, users, login throttling, store staff (`StaffSet`).
//! - [`audit`]: the audit log of admin actions.
//! - [`fleet`]: the till fleet view and remote till commands.
//! - [`events`]: the live event bus behind `GET /api/v1/events`.
//! - [`logistics`]: replenishment orders, shipments, deliveries and receivings (projection,
//!   HQ actions, read models).
//! - [`gps`]: driver positions (filter, `tracks.db` with its own writer, live fan-out to
//!   consoles, ETAs to tills, geofence arrival, tracker devices, retention).
//! - [`msgpack`]: locating the ops inside a `Push` frame's bytes.
//!
//! Invariants: every change is an op in the log (HQ actions are ops of the
//! hub's own actor); only the writer thread writes; an `Ack` is sent only
//! after the transaction holding the ops has committed; applying an op
//! twice changes nothing.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod console;
pub mod db;
pub mod driver_page;
pub mod drops;
pub mod events;
pub mod feed;
pub mod fleet;
pub mod gps;
pub mod logistics;
pub mod metrics;
pub mod msgpack;
pub mod reports;
pub mod settings;
pub mod stock_history;
pub mod sync_ws;
pub mod views;
pub mod writer;

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use sync_proto::wire::ErrorCode;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use settings::Settings;

use crate::db::ReadPool;
use crate::metrics::Metrics;
use crate::sync_ws::LiveTills;
use crate::views::StockView;
use crate::writer::{Writer, WriterOutputs};

/// Errors of the hub library.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// Filesystem or socket failure.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Bad configuration or an unusable data directory.
    #[error("configuration error: {0}")]
    Config(String),
    /// A malformed identifier.
    #[error(transparent)]
    Id(#[from] sync_proto::IdError),
    /// A till's batch was refused (sent back as an Error frame).
    #[error("refused ({code:?}): {message}")]
    Refused {
        /// Wire error code.
        code: ErrorCode,
        /// Human-readable reason.
        message: String,
    },
    /// A client request that cannot be carried out (sent back as a 4xx).
    #[error("{message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// `snake_case` error code.
        code: &'static str,
        /// Human-readable reason.
        message: String,
    },
    /// The writer thread has stopped.
    #[error("the writer has stopped")]
    WriterGone,
    /// A bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl HubError {
    /// A 4xx rejection.
    pub fn rejected(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        HubError::Rejected {
            status,
            code,
            message: message.into(),
        }
    }
}

/// Ops decoded and waiting for the writer, at most (about three group commits).
const INGEST_BUDGET_OPS: usize = 150_000;

/// Bytes of op encodings kept in the in-memory recent log.
const RECENT_LOG_BYTES: usize = 64 * 1024 * 1024;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Everything the handlers and connection tasks share.
pub struct AppState {
    /// Configuration.
    pub settings: Settings,
    /// The single writer.
    pub writer: Writer,
    /// Read-only connections.
    pub reads: ReadPool,
    /// Log head after the last commit.
    pub head: watch::Receiver<u64>,
    /// In-memory stock per (location, sku).
    pub stock: Arc<StockView>,
    /// Recently committed ops (live fan-out without SQLite).
    pub recent: Arc<feed::RecentLog>,
    /// Scope ids of the recent log.
    pub scopes: Arc<feed::ScopeIds>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Connected tills.
    pub live: Arc<LiveTills>,
    /// Cache of valid HQ sessions.
    pub sessions: api::auth::SessionCache,
    /// Becomes true when the hub shuts down.
    pub stopping: watch::Receiver<bool>,
    /// Ops decoded and queued for the writer, across all connections: bounds
    /// memory when many tills push at once (a permit per op).
    pub ingest_budget: Arc<tokio::sync::Semaphore>,
    /// Live events for consoles.
    pub events: events::EventBus,
    /// Failed logins per user name and client IP.
    pub throttle: accounts::LoginThrottle,
    /// Live logistics state (stop ETAs, change generations), shared with the writer.
    pub logistics: Arc<logistics::Live>,
    /// Driver GPS: tracks, live state, fan-out, ETAs to tills, tracker devices.
    pub gps: gps::Gps,
}

/// Create the `admin` account on first start. Returns the generated
/// password when none was given.
fn bootstrap_admin(conn: &Connection, password: Option<&str>) -> Result<Option<String>, HubError> {
    let users: i64 = conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
    if users > 0 {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) if !p.is_empty() => (p.to_owned(), None),
        _ => {
            let p = auth::generate_password();
            (p.clone(), Some(p))
        }
    };
    let hash = auth::hash_password(&password)?;
    conn.execute(
        "INSERT INTO users (username, password_hash, role, created_at_ms, display_name) VALUES ('admin', ?1, ?2, ?3, 'Administrator')",
        rusqlite::params![hash, auth::ROLE_HQ_ADMIN, now_ms() as i64],
    )?;
    tracing::info!("created the admin account");
    Ok(generated)
}

/// Run a hub on `listener` until `shutdown` completes.
///
/// Opens (or creates) the database in `settings.data_dir`, creates the
/// `admin` account on first start, starts the writer thread, then serves
/// HTTP and WebSocket connections. On shutdown, connections are closed, the
/// writer finishes the queued work and stops.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        HubError::Config(format!(
            "cannot create data directory {}: {e}",
            settings.data_dir.display()
        ))
    })?;
    let db_path = settings.db_path();
    let conn = db::open_writer(&db_path)?;
    let generated = bootstrap_admin(&conn, settings.admin_password.as_deref())?;
    let stock = Arc::new(StockView::load(&conn)?);
    let metrics = Arc::new(Metrics::new());
    let (head_tx, head_rx) = watch::channel(0u64);
    let recent = Arc::new(feed::RecentLog::new(RECENT_LOG_BYTES));
    let scopes = Arc::new(feed::ScopeIds::default());
    let events = events::EventBus::default();
    let live = Arc::new(LiveTills::default());
    let logistics = Arc::new(logistics::Live::default());
    let gps = gps::Gps::open(
        settings.tracks_path(),
        gps::GpsConfig {
            filter: sync_proto::gps::FilterConfig::default(),
            full_days: settings.gps_full_days,
            keep_days: settings.gps_keep_days.max(settings.gps_full_days),
        },
    )?;
    let (writer, join) = Writer::start(
        conn,
        WriterOutputs {
            head: head_tx,
            stock: stock.clone(),
            recent: recent.clone(),
            scopes: scopes.clone(),
            metrics: metrics.clone(),
            events: events.clone(),
            live: live.clone(),
            logistics: logistics.clone(),
        },
        settings.max_ops_per_commit,
    )?;
    let checkpointer = db::Checkpointer::start(db_path.clone())?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let announce = settings.announce;
    let state = Arc::new(AppState {
        settings,
        writer: writer.clone(),
        reads: ReadPool::new(db_path),
        head: head_rx,
        stock,
        recent,
        scopes,
        metrics,
        live,
        sessions: api::auth::SessionCache::default(),
        stopping: stop_rx,
        ingest_budget: Arc::new(tokio::sync::Semaphore::new(INGEST_BUDGET_OPS)),
        events,
        throttle: accounts::LoginThrottle::default(),
        logistics,
        gps,
    });
    let rebalancer = tokio::spawn(drops::run_ticker(state.clone()));
    let fanout = tokio::spawn(
        state
            .gps
            .fanout
            .clone()
            .run(state.metrics.clone(), state.stopping.clone()),
    );
    let retention = tokio::spawn(gps::run_retention(state.clone()));
    let app = api::router(state.clone());
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    tracing::info!(%addr, hub_actor = %writer.hub_actor(), "storelink hub listening");
    if announce {
        let mut out = std::io::stdout().lock();
        writeln!(out, "storelink hub listening on http://{addr}")?;
        if let Some(p) = &generated {
            writeln!(out, "admin password: {p}")?;
        }
        out.flush()?;
    }
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    })
    .await;
    rebalancer.abort();
    fanout.abort();
    retention.abort();
    state.gps.tracks.stop().await;
    drop(state);
    writer.stop().await;
    let _ = tokio::task::spawn_blocking(move || {
        let _ = join.join();
        checkpointer.stop();
    })
    .await;
    tracing::info!("hub stopped");
    served.map_err(HubError::Io)
}
