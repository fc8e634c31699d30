//! [`PosState`]: what the shell keeps while the app runs.
//!
//! - the till handle (one SQLite connection, behind a mutex: commands are
//!   short transactions, so they simply take turns);
//! - the [`Session`]: which staff member unlocked the till with their PIN and
//!   in which role. The shell sets the cashier of every sale from it — the
//!   screens never name the cashier — and checks manager-only actions against
//!   it; the core stays the source of truth for the data itself;
//! - the sync loop ([`crate::link`]) and the link state it publishes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pos_agent::{Staff, Till};
use sync_proto::people::StaffRole;

use crate::error::{UiError, UiResult};
use crate::link::LinkControl;

/// Who has unlocked the till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The staff member (from [`Till::unlock`]).
    pub staff: Staff,
    /// When they unlocked (ms since epoch).
    pub since_ms: u64,
}

impl Session {
    /// Whether the unlocked person is a store manager.
    pub fn is_manager(&self) -> bool {
        self.staff.role == StaffRole::StoreManager
    }
}

/// The app's managed state (one per app).
pub struct PosState {
    data_dir: PathBuf,
    till: Mutex<Till>,
    session: Mutex<Option<Session>>,
    /// The sync loop and its link state.
    pub link: LinkControl,
}

impl std::fmt::Debug for PosState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PosState")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl PosState {
    /// Open (creating if needed) the till in `data_dir`.
    pub fn open(data_dir: PathBuf) -> pos_agent::Result<Self> {
        let till = Till::open(&data_dir)?;
        Ok(Self {
            link: LinkControl::new(data_dir.clone()),
            data_dir,
            till: Mutex::new(till),
            session: Mutex::new(None),
        })
    }

    /// Whether the till is enrolled with a hub to sync with (an offline
    /// enrolment for tests and demos has no hub URL).
    pub fn enrolled_with_hub(&self) -> pos_agent::Result<bool> {
        let till = self
            .till
            .lock()
            .map_err(|_| pos_agent::TillError::Internal("till handle poisoned".into()))?;
        Ok(till.enrolment()?.is_some_and(|e| !e.hub_url.is_empty()))
    }

    /// The till's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The till handle (a poisoned lock means a command panicked: refuse
    /// rather than carry on with a half-done state).
    pub fn till(&self) -> UiResult<MutexGuard<'_, Till>> {
        self.till.lock().map_err(|_| {
            UiError::internal(
                "the till handle is unusable after an earlier failure; restart the app",
            )
        })
    }

    fn session_lock(&self) -> UiResult<MutexGuard<'_, Option<Session>>> {
        self.session.lock().map_err(|_| {
            UiError::internal("the session is unusable after an earlier failure; restart the app")
        })
    }

    /// The current session, if someone unlocked the till.
    pub fn session(&self) -> UiResult<Option<Session>> {
        Ok(self.session_lock()?.clone())
    }

    /// Start a session for `staff`.
    pub fn set_session(&self, staff: Staff) -> UiResult<()> {
        *self.session_lock()? = Some(Session {
            staff,
            since_ms: now_ms(),
        });
        Ok(())
    }

    /// End the session (lock screen).
    pub fn clear_session(&self) -> UiResult<()> {
        *self.session_lock()? = None;
        Ok(())
    }

    /// The unlocked staff member, or `not_unlocked`.
    pub fn require_staff(&self) -> UiResult<Session> {
        self.session()?.ok_or_else(UiError::not_unlocked)
    }

    /// The unlocked staff member if they are a store manager, else
    /// `not_unlocked` / `manager_only` (naming `what` they tried).
    pub fn require_manager(&self, what: &str) -> UiResult<Session> {
        let s = self.require_staff()?;
        if s.is_manager() {
            Ok(s)
        } else {
            Err(UiError::manager_only(what))
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
