//! Runtime configuration of one hub instance ([`Settings`]): where its data lives, the admin
//! password of a new hub, timings, the map tiles and the GPS retention.
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
    /// Map tiles for the console's live map and the driver page (`{z}/{x}/{y}` template, e.g.
    /// an internal tile server). `None` or empty: no tiles; the map still draws tracks and stops.
    pub map_tile_url: Option<String>,
    /// Attribution shown under the tiles.
    pub map_attribution: Option<String>,
    /// Days of GPS tracks kept in full detail.
    pub gps_full_days: u32,
    /// Days of GPS tracks kept at all (downsampled to one point a minute after `gps_full_days`).
    pub gps_keep_days: u32,
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
            map_tile_url: None,
            map_attribution: None,
            gps_full_days: 7,
            gps_keep_days: 90,
        }
    }

    /// Path of the SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("hub.db")
    }

    /// Path of the GPS tracks database (its own file and writer, see `crate::gps`).
    pub fn tracks_path(&self) -> PathBuf {
        self.data_dir.join("tracks.db")
    }
}
