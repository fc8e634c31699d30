//! Link state and "sync now" for a long-running app (the desktop shell).
//!
//! A [`SyncControl`] is shared between the app and the sync loop
//! ([`super::run_with`] with [`super::SyncOptions::control`]). The loop
//! publishes a [`LinkState`] — online after the hub's `Welcome`, offline when
//! the session ends or fails, the unsent ops after every `Ack` or new local
//! op, the last successful exchange — on a `tokio::sync::watch` channel that
//! the app can [`subscribe`](SyncControl::subscribe) to. [`SyncControl::sync_now`]
//! wakes the loop: out of its reconnect backoff sleep, or, in a live session,
//! pushes the outbox and sends a status at once (like HQ's force-sync command).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

/// The till's connection to the hub as the app shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LinkState {
    /// A sync session with the hub is up (welcomed).
    pub online: bool,
    /// Last successful exchange with the hub (ms since epoch).
    #[ts(type = "number | null")]
    pub last_sync_ms: Option<u64>,
    /// Why the last session failed, while offline.
    pub last_error: Option<String>,
    /// Own ops the hub has not acknowledged yet.
    #[ts(type = "number")]
    pub unsent_ops: u64,
}

struct Inner {
    state: watch::Sender<LinkState>,
    wake: Notify,
}

/// Shared handle between the app and the sync loop (cheap to clone).
#[derive(Clone)]
pub struct SyncControl {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SyncControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncControl")
            .field("link", &*self.inner.state.borrow())
            .finish()
    }
}

impl Default for SyncControl {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncControl {
    /// A control with an offline link state.
    pub fn new() -> Self {
        let (state, _) = watch::channel(LinkState::default());
        Self {
            inner: Arc::new(Inner {
                state,
                wake: Notify::new(),
            }),
        }
    }

    /// The current link state.
    pub fn link(&self) -> LinkState {
        self.inner.state.borrow().clone()
    }

    /// A receiver that sees every change of the link state.
    pub fn subscribe(&self) -> watch::Receiver<LinkState> {
        self.inner.state.subscribe()
    }

    /// Ask the sync loop to exchange with the hub now (reconnect at once if
    /// it is waiting to, push and report at once if connected). A request
    /// made while the loop is busy is kept until it next waits.
    pub fn sync_now(&self) {
        tracing::debug!("sync requested now");
        self.inner.wake.notify_one();
    }

    /// Wait for a [`sync_now`](Self::sync_now) request.
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Change the link state; subscribers are told only if it changed.
    pub(crate) fn update(&self, f: impl FnOnce(&mut LinkState)) {
        self.inner.state.send_if_modified(|s| {
            let before = s.clone();
            f(s);
            *s != before
        });
    }
}

/// Wait for a sync request on `control`, or forever without one.
pub(crate) async fn woken(control: Option<&SyncControl>) {
    match control {
        Some(c) => c.woken().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn updates_reach_subscribers_only_when_changed() {
        let c = SyncControl::new();
        let mut rx = c.subscribe();
        c.update(|s| s.online = false);
        assert!(!rx.has_changed().expect("open"));
        c.update(|s| {
            s.online = true;
            s.unsent_ops = 3;
        });
        assert!(rx.has_changed().expect("open"));
        assert_eq!(rx.borrow_and_update().unsent_ops, 3);
        assert!(c.link().online);
    }

    #[tokio::test]
    async fn sync_now_before_waiting_is_not_lost() {
        let c = SyncControl::new();
        c.sync_now();
        tokio::time::timeout(std::time::Duration::from_secs(1), woken(Some(&c)))
            .await
            .expect("woken by the stored request");
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), woken(Some(&c)))
                .await
                .is_err(),
            "one request wakes once"
        );
    }
}
