//! Runtime configuration of one hub instance ([`Settings`]).
//!
//! The binary fills it from the command line (`hub-server serve …`); tests
//! build it directly and pass a listener bound to `127.0.0.1:0`.

use std::path::PathBuf;
use std::time::Duration;

/// Everything [`crate::launch`] needs besides the listener.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directory of the embedded SQLite database (`hub.db`), created if missing.
    pub data_dir: PathBuf,
    /// Password of the `admin` account created on first start. `None`: a
    /// random one is generated and reported once (see [`Settings::announce`]).
    pub admin_password: Option<String>,
    /// Print the contract's stdout lines (`storelink hub listening on …`,
    /// `admin password: …`). The binary sets it; in-process tests do not.
    pub announce: bool,
    /// Interval of hub → till keep-alive pings.
    pub ping_interval: Duration,
    /// Most ops the writer folds into one transaction (group commit bound).
    pub max_ops_per_commit: usize,
    /// Lifetime of an HQ session token.
    pub session_ttl: Duration,
}

impl Settings {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            admin_password: None,
            announce: false,
            ping_interval: Duration::from_secs(20),
            max_ops_per_commit: 50_000,
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }

    /// Path of the SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("hub.db")
    }
}
