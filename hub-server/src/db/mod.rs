//! Embedded SQLite storage: connection setup, schema migrations and the
//! read-connection pool.
//!
//! One connection writes (owned by the writer thread, see
//! [`crate::writer`]); everything else reads through [`ReadPool`], whose
//! connections are `query_only`. WAL mode lets readers see the last committed
//! state while the writer works; the writer runs with `synchronous=FULL` so
//! that a commit — and therefore an `Ack` — survives a power cut.

pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use crate::HubError;

/// Most read connections (and concurrent reads): bounds memory and threads
/// however many tills catch up at once.
const POOL_MAX: usize = 8;

fn common_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -8_000)?; // 8 MB page cache per reader
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Page size of a new hub database. Each WAL frame is a page plus a 24-byte
/// header, so frames never line up with 4 KiB filesystem blocks and the
/// kernel zeroes the part of every fresh block a frame does not cover; with
/// 4 KiB pages that zeroing cost as much as the copy itself under ingest.
/// 16 KiB pages cut it to a quarter and suit an append-mostly op log.
pub const PAGE_SIZE: i64 = 16_384;

/// Open the writer's connection: create the file, switch to WAL, migrate.
pub fn open_writer(path: &Path) -> Result<Connection, HubError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", PAGE_SIZE)?; // takes effect on a new database only
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    common_pragmas(&conn)?;
    conn.pragma_update(None, "cache_size", -64_000)?; // the writer's working set
    // Checkpoints run on their own thread (Checkpointer), off the commit path.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 256 * 1024 * 1024)?;
    schema::migrate(&conn)?;
    Ok(conn)
}

/// Open a read-only connection (after [`open_writer`] created the schema).
pub fn open_reader(path: &Path) -> Result<Connection, HubError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    common_pragmas(&conn)?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

/// Moves WAL pages into the database file from a thread of its own, so that
/// the writer's commits never pay for checkpoints.
pub struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
    join: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    /// Start checkpointing the database at `path` every second.
    pub fn start(path: PathBuf) -> Result<Self, HubError> {
        let conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let join = std::thread::Builder::new()
            .name("hub-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Duration::from_millis(1000))
                {
                    // PASSIVE never takes the write lock: the writer is never
                    // blocked. Once everything is copied, the writer's next
                    // transaction starts the WAL over (journal_size_limit
                    // then trims the file).
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    }) {
                        Ok((log, done)) if log - done > 100_000 => {
                            tracing::debug!(log, done, "WAL checkpoint behind");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                    }
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(HubError::Io)?;
        Ok(Self { stop, join })
    }

    /// Stop (after a final checkpoint that truncates the WAL).
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.join.join();
    }
}

/// A small pool of read-only connections, used from blocking tasks.
#[derive(Clone)]
pub struct ReadPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: tokio::sync::Semaphore,
}

impl ReadPool {
    /// A pool on the database at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            inner: Arc::new(PoolInner {
                path,
                idle: Mutex::new(Vec::new()),
                permits: tokio::sync::Semaphore::new(POOL_MAX),
            }),
        }
    }

    /// Run `f` on a read connection in a blocking task.
    pub async fn read<R, F>(&self, f: F) -> Result<R, HubError>
    where
        F: FnOnce(&mut Connection) -> Result<R, HubError> + Send + 'static,
        R: Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| HubError::Internal("read pool closed".into()))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || pool.read_blocking(f))
            .await
            .map_err(|e| HubError::Internal(format!("read task failed: {e}")))?
    }

    /// Run `f` on a read connection on this thread.
    pub fn read_blocking<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, HubError>,
    ) -> Result<R, HubError> {
        let conn = self.inner.idle.lock().pop();
        let mut conn = match conn {
            Some(c) => c,
            None => open_reader(&self.inner.path)?,
        };
        let out = f(&mut conn);
        // A connection left inside a transaction by a failed closure is dropped.
        if conn.is_autocommit() {
            let mut idle = self.inner.idle.lock();
            if idle.len() < POOL_MAX {
                idle.push(conn);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_hub_database_uses_large_pages_and_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_writer(&dir.path().join("hub.db")).expect("open");
        let page: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page_size");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("journal_mode");
        assert_eq!(page, PAGE_SIZE);
        assert_eq!(mode, "wal");
    }
}
