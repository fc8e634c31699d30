//! The sync loop of a running app and the link state the screens show.
//!
//! [`LinkControl::start`] spawns, on Tauri's tokio runtime,
//! 1. the core's long-running sync client (`pos_agent::sync::run_with`): stays
//!    connected, pushes every committed sale within [`pos_agent::sync::POLL_INTERVAL`],
//!    applies the hub's ops, reconnects with backoff when the hub is away;
//! 2. a monitor that reads the till's sync state every [`MONITOR_INTERVAL`] on
//!    its own connection and emits the event [`LINK_EVENT`] (payload
//!    [`LinkState`]) to the screens whenever it changes.
//!
//! Interim until the core's `SyncControl` (contract A6) lands: "online" is
//! derived from the stored sync state (the loop is running, the last attempt
//! left no error, and the hub has been reached), and "sync now" restarts the
//! loop, which reconnects at once and pushes everything unsent.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pos_agent::Till;
use pos_agent::sync::SyncOptions;
use serde::{Deserialize, Serialize};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::watch;
use ts_rs::TS;

/// Name of the event that carries [`LinkState`] to the screens.
pub const LINK_EVENT: &str = "link";

/// How often the monitor reads the sync state.
pub const MONITOR_INTERVAL: Duration = Duration::from_millis(400);

/// The till's connection to head office, as the status bar shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LinkState {
    /// Connected to the hub right now.
    pub online: bool,
    /// Last successful exchange with the hub (ms since epoch).
    #[ts(type = "number | null")]
    pub last_sync_ms: Option<u64>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// Ops (sales, returns, …) not yet acknowledged by the hub.
    #[ts(type = "number")]
    pub unsent_ops: u64,
}

/// A running sync loop and its monitor.
struct SyncTask {
    stop: watch::Sender<bool>,
    sync: JoinHandle<()>,
    monitor: JoinHandle<()>,
}

/// Starts, restarts and stops the sync loop; holds the latest link state.
pub struct LinkControl {
    data_dir: PathBuf,
    state: watch::Sender<LinkState>,
    running: Arc<AtomicBool>,
    task: Mutex<Option<SyncTask>>,
}

impl LinkControl {
    /// A control for the till in `data_dir` (nothing runs yet).
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            state: watch::Sender::new(LinkState::default()),
            running: Arc::new(AtomicBool::new(false)),
            task: Mutex::new(None),
        }
    }

    /// The latest link state.
    pub fn current(&self) -> LinkState {
        self.state.borrow().clone()
    }

    /// Whether a sync loop has been started (and not stopped).
    pub fn is_started(&self) -> bool {
        self.task.lock().map(|t| t.is_some()).unwrap_or(false)
    }

    /// Start the sync loop and the monitor (stopping a running one first).
    pub fn start<R: Runtime>(&self, app: &AppHandle<R>) {
        self.stop();
        let (stop_tx, stop_rx) = watch::channel(false);
        let data_dir = self.data_dir.clone();
        let running = self.running.clone();
        running.store(true, Ordering::SeqCst);
        let mut shutdown = stop_rx.clone();
        let sync = tauri::async_runtime::spawn(async move {
            let opts = SyncOptions {
                app_version: crate::APP_VERSION.to_owned(),
                ..SyncOptions::default()
            };
            let stopped = async move {
                let _ = shutdown.wait_for(|s| *s).await;
            };
            match pos_agent::sync::run_with(&data_dir, &opts, stopped).await {
                Ok(()) => tracing::info!("sync loop stopped"),
                // TillRestored / NeedsEnrolment: the monitor shows last_error.
                Err(e) => tracing::error!(error = %e, "sync loop ended"),
            }
            running.store(false, Ordering::SeqCst);
        });
        let monitor = tauri::async_runtime::spawn(monitor(
            app.clone(),
            self.data_dir.clone(),
            self.running.clone(),
            self.state.clone(),
            stop_rx,
        ));
        if let Ok(mut task) = self.task.lock() {
            *task = Some(SyncTask {
                stop: stop_tx,
                sync,
                monitor,
            });
        }
    }

    /// Stop the sync loop (gracefully: the core closes its connection).
    pub fn stop(&self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.stop.send(true);
            task.monitor.abort();
            // The sync task ends on its own at the stop signal; abort only
            // what is left of it (it never holds a transaction across awaits).
            drop(task.sync);
        }
    }

    /// Make the loop exchange with the hub now (interim: restart it, which
    /// reconnects without waiting out the backoff and pushes everything).
    pub fn sync_now<R: Runtime>(&self, app: &AppHandle<R>) {
        self.start(app);
    }
}

impl Drop for LinkControl {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Read the link state from the till's stored sync state.
pub fn read_link(till: &Till, running: bool) -> pos_agent::Result<LinkState> {
    let s = till.status()?;
    Ok(LinkState {
        online: running && s.last_error.is_none() && s.last_sync_ms.is_some(),
        last_sync_ms: s.last_sync_ms,
        last_error: s.last_error,
        unsent_ops: s.unsent_ops,
    })
}

async fn monitor<R: Runtime>(
    app: AppHandle<R>,
    data_dir: PathBuf,
    running: Arc<AtomicBool>,
    state: watch::Sender<LinkState>,
    mut stop: watch::Receiver<bool>,
) {
    let till = match Till::open(&data_dir) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "link monitor cannot open the till");
            return;
        }
    };
    loop {
        match read_link(&till, running.load(Ordering::SeqCst)) {
            Ok(link) => {
                let changed = state.send_if_modified(|cur| {
                    if *cur == link {
                        false
                    } else {
                        *cur = link.clone();
                        true
                    }
                });
                if changed {
                    tracing::debug!(?link, "link changed");
                    if let Err(e) = app.emit(LINK_EVENT, &link) {
                        tracing::warn!(error = %e, "link event not delivered");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "link state unreadable"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(MONITOR_INTERVAL) => {}
        }
    }
}
