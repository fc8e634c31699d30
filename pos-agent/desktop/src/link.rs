//! The sync loop of a running app and the link state the screens show.
//!
//! [`LinkControl::start`] spawns, on Tauri's tokio runtime,
//! 1. the core's long-running sync client (`pos_agent::sync::run_with` with
//!    the app's [`SyncControl`]): stays connected, pushes every committed sale
//!    within [`pos_agent::sync::POLL_INTERVAL`], applies the hub's ops,
//!    reconnects with backoff when the hub is away, and publishes the
//!    [`LinkState`] (online after the hub's welcome, offline when the session
//!    ends, the last exchange, why it failed);
//! 2. a monitor that emits the event [`LINK_EVENT`] (payload [`LinkState`]) to
//!    the screens whenever the link changes. It also reads the unsent count
//!    from the till every [`MONITOR_INTERVAL`]: while the hub is away the loop
//!    sleeps in its backoff, but sales made meanwhile must still show up as
//!    unsent in the status bar.
//!
//! "Sync now" wakes the loop ([`SyncControl::sync_now`]): out of its backoff
//! sleep, or in a live session it pushes and reports at once.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pos_agent::Till;
use pos_agent::sync::SyncOptions;
pub use pos_agent::sync::{LinkState, SyncControl};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::watch;

/// Name of the event that carries [`LinkState`] to the screens.
pub const LINK_EVENT: &str = "link";

/// How often the monitor reads the unsent count.
pub const MONITOR_INTERVAL: Duration = Duration::from_millis(400);

/// A running sync loop and its monitor.
struct SyncTask {
    stop: watch::Sender<bool>,
    sync: JoinHandle<()>,
    monitor: JoinHandle<()>,
}

/// Starts and stops the sync loop; holds the app's [`SyncControl`] and the
/// latest link state as shown.
pub struct LinkControl {
    data_dir: PathBuf,
    control: SyncControl,
    shown: watch::Sender<LinkState>,
    task: Mutex<Option<SyncTask>>,
}

impl LinkControl {
    /// A control for the till in `data_dir` (nothing runs yet).
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            control: SyncControl::new(),
            shown: watch::Sender::new(LinkState::default()),
            task: Mutex::new(None),
        }
    }

    /// The latest link state.
    pub fn current(&self) -> LinkState {
        self.shown.borrow().clone()
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
        let mut shutdown = stop_rx.clone();
        let control = self.control.clone();
        let sync = tauri::async_runtime::spawn(async move {
            let opts = SyncOptions {
                app_version: crate::APP_VERSION.to_owned(),
                control: Some(control),
                ..SyncOptions::default()
            };
            let stopped = async move {
                let _ = shutdown.wait_for(|s| *s).await;
            };
            match pos_agent::sync::run_with(&data_dir, &opts, stopped).await {
                Ok(()) => tracing::info!("sync loop stopped"),
                // TillRestored / NeedsEnrolment: the link shows last_error.
                Err(e) => tracing::error!(error = %e, "sync loop ended"),
            }
        });
        let monitor = tauri::async_runtime::spawn(monitor(
            app.clone(),
            self.data_dir.clone(),
            self.control.clone(),
            self.shown.clone(),
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
            // The sync task ends on its own at the stop signal.
            drop(task.sync);
        }
    }

    /// Make the loop exchange with the hub now.
    pub fn sync_now(&self) {
        self.control.sync_now();
    }
}

impl Drop for LinkControl {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The link as shown: the loop's state, with the unsent count read from
/// the till (sales made while the loop waits to reconnect count too).
pub fn read_link(till: &Till, control: &SyncControl) -> pos_agent::Result<LinkState> {
    let mut link = control.link();
    let status = till.status()?;
    link.unsent_ops = status.unsent_ops;
    if link.last_sync_ms.is_none() {
        link.last_sync_ms = status.last_sync_ms;
    }
    if !link.online && link.last_error.is_none() {
        link.last_error = status.last_error;
    }
    Ok(link)
}

async fn monitor<R: Runtime>(
    app: AppHandle<R>,
    data_dir: PathBuf,
    control: SyncControl,
    shown: watch::Sender<LinkState>,
    mut stop: watch::Receiver<bool>,
) {
    let till = match Till::open(&data_dir) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "link monitor cannot open the till");
            return;
        }
    };
    let mut changes = control.subscribe();
    loop {
        match read_link(&till, &control) {
            Ok(link) => {
                let changed = shown.send_if_modified(|cur| {
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
            _ = changes.changed() => {}
            _ = tokio::time::sleep(MONITOR_INTERVAL) => {}
        }
    }
}
