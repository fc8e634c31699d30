//! Driver tracks in their own SQLite file, `<data-dir>/tracks.db`, with their own writer
//! thread, so thousands of points a second never contend with the op writer.
//!
//! - [`Tracks::insert`] queues points and resolves once the transaction holding them has
//!   committed (group commit: the thread takes every queued batch into one transaction, one
//!   fsync for many drivers). `gps_point` is keyed by `(driver, ts_ms)` and written with
//!   `INSERT … ON CONFLICT DO NOTHING`, so a resent point is reported as not inserted and
//!   stored once.
//! - Reads ([`Tracks::last_points`], [`Tracks::track`]) go through their own read pool.
//! - Retention ([`Tracks::retain`], driven hourly by `crate::gps::run_retention`): per driver,
//!   points older than the keep period go; older than the full-detail period, only the first
//!   point of each minute stays (`sync_proto::gps::downsample`'s rule). Each driver is one job
//!   on the same thread, so ingest interleaves.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::gps::GpsPoint;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::HubError;
use crate::db::ReadPool;

/// Most points one group transaction takes.
const MAX_POINTS_PER_COMMIT: usize = 50_000;
/// Bucket of downsampled track points.
pub const DOWNSAMPLE_MS: i64 = 60_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS gps_point (
    driver      TEXT NOT NULL,
    ts_ms       INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    accuracy_m  REAL,
    speed_mps   REAL,
    heading_deg REAL,
    altitude_m  REAL,
    battery_pct REAL,
    shipment    BLOB,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (driver, ts_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS track_driver (
    driver TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS track_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// One point to store.
#[derive(Debug, Clone)]
pub struct TrackRow {
    /// The driver (username).
    pub driver: String,
    /// The point.
    pub point: GpsPoint,
    /// The shipment being driven, if any.
    pub shipment: Option<Uuid>,
    /// When the hub received it (ms since epoch).
    pub received_ms: i64,
}

/// What the retention did to one driver's track.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    /// Points past the keep period, deleted.
    pub expired: u64,
    /// Points thinned out of the downsampled period.
    pub thinned: u64,
}

enum Job {
    Insert {
        rows: Vec<TrackRow>,
        reply: oneshot::Sender<Result<Vec<bool>, HubError>>,
    },
    Retain {
        driver: String,
        downsample_from_ms: i64,
        full_before_ms: i64,
        keep_from_ms: i64,
        reply: oneshot::Sender<Result<Retained, HubError>>,
    },
    Marker {
        ms: i64,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    Stop,
}

/// The tracks database: its writer thread and read pool. Cheap to share (`Arc`).
pub struct Tracks {
    tx: mpsc::Sender<Job>,
    reads: ReadPool,
    join: parking_lot::Mutex<Option<JoinHandle<()>>>,
    checkpointer: parking_lot::Mutex<Option<crate::db::Checkpointer>>,
}

fn open_writer(path: &Path) -> Result<Connection, HubError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", crate::db::PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // An answer is sent only after COMMIT; FULL makes that commit survive a power cut.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 256 * 1024 * 1024)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", 1)?;
    Ok(conn)
}

impl Tracks {
    /// Open (or create) `tracks.db` at `path` and start its writer thread.
    pub fn open(path: PathBuf) -> Result<Tracks, HubError> {
        let conn = open_writer(&path)?;
        let (tx, rx) = mpsc::channel::<Job>(16_384);
        let join = std::thread::Builder::new()
            .name("hub-tracks".into())
            .spawn(move || run(conn, rx))
            .map_err(HubError::Io)?;
        let checkpointer = crate::db::Checkpointer::start(path.clone())?;
        Ok(Tracks {
            tx,
            reads: ReadPool::new(path),
            join: parking_lot::Mutex::new(Some(join)),
            checkpointer: parking_lot::Mutex::new(Some(checkpointer)),
        })
    }

    /// Store points; resolves after their commit with, per row, whether it was new.
    pub async fn insert(&self, rows: Vec<TrackRow>) -> Result<Vec<bool>, HubError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Insert { rows, reply })
            .await
            .map_err(|_| HubError::WriterGone)?;
        rx.await.map_err(|_| HubError::WriterGone)?
    }

    /// Apply the retention to one driver's track: delete before `keep_from_ms`, keep one
    /// point a minute in `[downsample_from_ms, full_before_ms)`.
    pub async fn retain(
        &self,
        driver: String,
        downsample_from_ms: i64,
        full_before_ms: i64,
        keep_from_ms: i64,
    ) -> Result<Retained, HubError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Retain {
                driver,
                downsample_from_ms,
                full_before_ms,
                keep_from_ms,
                reply,
            })
            .await
            .map_err(|_| HubError::WriterGone)?;
        rx.await.map_err(|_| HubError::WriterGone)?
    }

    /// Finish the queued work and stop the thread (and the checkpointer).
    pub async fn stop(&self) {
        let _ = self.tx.send(Job::Stop).await;
        let join = self.join.lock().take();
        let checkpointer = self.checkpointer.lock().take();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(j) = join {
                let _ = j.join();
            }
            if let Some(c) = checkpointer {
                c.stop();
            }
        })
        .await;
    }

    /// Every driver with a track.
    pub async fn drivers(&self) -> Result<Vec<String>, HubError> {
        self.reads
            .read(|c| {
                let mut st = c.prepare_cached("SELECT driver FROM track_driver ORDER BY driver")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// The `n` newest points of a driver, oldest first.
    pub async fn last_points(&self, driver: &str, n: usize) -> Result<Vec<GpsPoint>, HubError> {
        let driver = driver.to_owned();
        self.reads
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT ts_ms, lat, lon, accuracy_m, speed_mps, heading_deg, altitude_m, battery_pct
                     FROM gps_point WHERE driver = ?1 ORDER BY ts_ms DESC LIMIT ?2",
                )?;
                let rows = st.query_map(params![driver, n as i64], point_row)?;
                let mut out: Vec<GpsPoint> = rows.collect::<Result<_, _>>()?;
                out.reverse();
                Ok(out)
            })
            .await
    }

    /// A driver's points in `[from_ms, to_ms]` (of one shipment if given), in time order,
    /// thinned evenly in time to at most `max_points`.
    pub async fn track(
        &self,
        driver: &str,
        shipment: Option<Uuid>,
        from_ms: i64,
        to_ms: i64,
        max_points: usize,
    ) -> Result<Vec<GpsPoint>, HubError> {
        let driver = driver.to_owned();
        let points = self
            .reads
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT ts_ms, lat, lon, accuracy_m, speed_mps, heading_deg, altitude_m, battery_pct
                     FROM gps_point WHERE driver = ?1 AND ts_ms >= ?2 AND ts_ms <= ?3
                       AND (?4 IS NULL OR shipment = ?4)
                     ORDER BY ts_ms",
                )?;
                let rows = st.query_map(
                    params![driver, from_ms, to_ms, shipment.map(|s| s.as_bytes().to_vec())],
                    point_row,
                )?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        Ok(thin(points, max_points.max(2)))
    }
}

/// At most `max` points: one per equal time bucket over the span (first of each), and the
/// last point always (the truck's latest position).
fn thin(points: Vec<GpsPoint>, max: usize) -> Vec<GpsPoint> {
    if points.len() <= max {
        return points;
    }
    let (Some(first), Some(last)) = (points.first().copied(), points.last().copied()) else {
        return points;
    };
    let span = (last.ts_ms - first.ts_ms).max(1);
    let bucket = span / (max as i64 - 1) + 1;
    let shifted: Vec<GpsPoint> = points
        .iter()
        .map(|p| GpsPoint {
            ts_ms: p.ts_ms - first.ts_ms,
            ..*p
        })
        .collect();
    let mut out: Vec<GpsPoint> = sync_proto::gps::downsample(&shifted, bucket)
        .into_iter()
        .map(|p| GpsPoint {
            ts_ms: p.ts_ms + first.ts_ms,
            ..p
        })
        .collect();
    if out.last().is_some_and(|p| p.ts_ms != last.ts_ms) {
        if out.len() >= max {
            out.pop();
        }
        out.push(last);
    }
    out
}

fn point_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GpsPoint> {
    Ok(GpsPoint {
        ts_ms: r.get(0)?,
        lat: r.get(1)?,
        lon: r.get(2)?,
        accuracy_m: r.get(3)?,
        speed_mps: r.get(4)?,
        heading_deg: r.get(5)?,
        altitude_m: r.get(6)?,
        battery_pct: r.get(7)?,
    })
}

type InsertJob = (Vec<TrackRow>, oneshot::Sender<Result<Vec<bool>, HubError>>);

/// The jobs of one round of the writer thread.
#[derive(Default)]
struct Round {
    inserts: Vec<InsertJob>,
    others: Vec<Job>,
    points: usize,
}

impl Round {
    /// Take a job; true for `Stop`.
    fn take(&mut self, job: Job) -> bool {
        match job {
            Job::Insert { rows, reply } => {
                self.points += rows.len();
                self.inserts.push((rows, reply));
                false
            }
            Job::Stop => true,
            other => {
                self.others.push(other);
                false
            }
        }
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let mut known: HashSet<String> = HashSet::new();
    loop {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut round = Round::default();
        let mut stop = round.take(first);
        while !stop && round.points < MAX_POINTS_PER_COMMIT {
            match rx.try_recv() {
                Ok(job) => stop = round.take(job),
                Err(_) => break,
            }
        }
        if !round.inserts.is_empty() {
            commit_inserts(&conn, &mut known, round.inserts);
        }
        for job in round.others {
            run_other(&conn, job);
        }
        if stop {
            break;
        }
    }
    tracing::info!("tracks writer stopped");
}

fn run_other(conn: &Connection, job: Job) {
    match job {
        Job::Retain {
            driver,
            downsample_from_ms,
            full_before_ms,
            keep_from_ms,
            reply,
        } => {
            let r = retain(
                conn,
                &driver,
                downsample_from_ms,
                full_before_ms,
                keep_from_ms,
            );
            let _ = reply.send(r);
        }
        Job::Marker { ms, reply } => {
            let r = conn
                .execute(
                    "INSERT INTO track_meta (key, value) VALUES ('downsampled_until_ms', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [ms.to_string()],
                )
                .map(|_| ())
                .map_err(HubError::from);
            let _ = reply.send(r);
        }
        Job::Insert { .. } | Job::Stop => {}
    }
}

fn commit_inserts(conn: &Connection, known: &mut HashSet<String>, jobs: Vec<InsertJob>) {
    let started = Instant::now();
    let mut new_drivers: Vec<String> = Vec::new();
    let result = (|| -> Result<Vec<Vec<bool>>, HubError> {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(jobs.len());
        {
            let mut ins = conn.prepare_cached(
                "INSERT INTO gps_point (driver, ts_ms, lat, lon, accuracy_m, speed_mps, heading_deg,
                                        altitude_m, battery_pct, shipment, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (driver, ts_ms) DO NOTHING",
            )?;
            let mut drv =
                conn.prepare_cached("INSERT OR IGNORE INTO track_driver (driver) VALUES (?1)")?;
            for (rows, _) in &jobs {
                let mut flags = Vec::with_capacity(rows.len());
                for r in rows {
                    let p = &r.point;
                    let n = ins.execute(params![
                        r.driver,
                        p.ts_ms,
                        p.lat,
                        p.lon,
                        p.accuracy_m,
                        p.speed_mps,
                        p.heading_deg,
                        p.altitude_m,
                        p.battery_pct,
                        r.shipment.map(|s| s.as_bytes().to_vec()),
                        r.received_ms
                    ])?;
                    flags.push(n > 0);
                    if !known.contains(&r.driver) && !new_drivers.contains(&r.driver) {
                        drv.execute([&r.driver])?;
                        new_drivers.push(r.driver.clone());
                    }
                }
                out.push(flags);
            }
        }
        tx.commit()?;
        Ok(out)
    })();
    match result {
        Ok(flags) => {
            known.extend(new_drivers);
            for ((_, reply), f) in jobs.into_iter().zip(flags) {
                let _ = reply.send(Ok(f));
            }
            tracing::trace!(
                ms = started.elapsed().as_millis() as u64,
                "tracks committed"
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "tracks commit failed; every batch of the group is refused");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            for (_, reply) in jobs {
                let _ = reply.send(Err(HubError::Internal(format!(
                    "tracks commit failed: {e}"
                ))));
            }
        }
    }
}

/// The keys to drop so that only the first point of each [`DOWNSAMPLE_MS`] bucket stays.
fn thinned_keys(ts: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut bucket = None;
    for t in ts {
        let b = t.div_euclid(DOWNSAMPLE_MS);
        if bucket == Some(b) {
            out.push(*t);
        } else {
            bucket = Some(b);
        }
    }
    out
}

fn retain(
    conn: &Connection,
    driver: &str,
    downsample_from_ms: i64,
    full_before_ms: i64,
    keep_from_ms: i64,
) -> Result<Retained, HubError> {
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let expired = conn
        .prepare_cached("DELETE FROM gps_point WHERE driver = ?1 AND ts_ms < ?2")?
        .execute(params![driver, keep_from_ms])? as u64;
    // Whole buckets only: start at a bucket boundary so the first point of a bucket is seen.
    let from = downsample_from_ms
        .max(keep_from_ms)
        .div_euclid(DOWNSAMPLE_MS)
        * DOWNSAMPLE_MS;
    let to = full_before_ms.div_euclid(DOWNSAMPLE_MS) * DOWNSAMPLE_MS;
    let mut thinned = 0u64;
    if from < to {
        let ts: Vec<i64> = conn
            .prepare_cached(
                "SELECT ts_ms FROM gps_point WHERE driver = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms",
            )?
            .query_map(params![driver, from, to], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut del =
            conn.prepare_cached("DELETE FROM gps_point WHERE driver = ?1 AND ts_ms = ?2")?;
        for t in thinned_keys(&ts) {
            thinned += del.execute(params![driver, t])? as u64;
        }
    }
    let left: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM gps_point WHERE driver = ?1 LIMIT 1")?
        .query_row([driver], |r| r.get(0))
        .optional()?;
    if left.is_none() {
        conn.prepare_cached("DELETE FROM track_driver WHERE driver = ?1")?
            .execute([driver])?;
    }
    tx.commit()?;
    Ok(Retained { expired, thinned })
}

/// The marker of the retention (until where tracks are already downsampled).
pub fn downsampled_until(conn: &Connection) -> Result<Option<i64>, HubError> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM track_meta WHERE key = 'downsampled_until_ms'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|s| s.parse().ok()))
}

impl Tracks {
    /// Until where the tracks are already downsampled (retention marker).
    pub async fn downsampled_until(&self) -> Result<Option<i64>, HubError> {
        self.reads.read(|c| downsampled_until(c)).await
    }

    /// Move the retention marker (after every driver was processed up to `ms`).
    pub async fn set_downsampled_until(&self, ms: i64) -> Result<(), HubError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Marker { ms, reply })
            .await
            .map_err(|_| HubError::WriterGone)?;
        rx.await.map_err(|_| HubError::WriterGone)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(ts_ms: i64) -> GpsPoint {
        GpsPoint {
            ts_ms,
            lat: 37.5,
            lon: 127.0,
            accuracy_m: Some(5.0),
            speed_mps: None,
            heading_deg: None,
            altitude_m: None,
            battery_pct: None,
        }
    }

    #[test]
    fn thinning_keeps_the_first_point_of_each_minute() {
        let ts: Vec<i64> = (0..180).map(|s| 1_800_000_000_000 + s * 1000).collect();
        let dropped = thinned_keys(&ts);
        assert_eq!(dropped.len(), 177);
        let kept: Vec<i64> = ts
            .iter()
            .filter(|t| !dropped.contains(t))
            .copied()
            .collect();
        assert_eq!(kept.len(), 3);
        assert!(kept.iter().all(|t| t % DOWNSAMPLE_MS == 0));
    }

    #[test]
    fn thin_bounds_the_count_and_keeps_the_ends() {
        let pts: Vec<GpsPoint> = (0..3600)
            .map(|s| pt(1_800_000_000_000 + s * 1000))
            .collect();
        let t = thin(pts.clone(), 100);
        assert!(t.len() <= 100, "{}", t.len());
        assert!(t.len() >= 50, "{}", t.len());
        assert_eq!(t.first().map(|p| p.ts_ms), pts.first().map(|p| p.ts_ms));
        assert_eq!(t.last().map(|p| p.ts_ms), pts.last().map(|p| p.ts_ms));
        assert!(t.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms));
        assert_eq!(thin(pts[..10].to_vec(), 100).len(), 10);
    }

    #[tokio::test]
    async fn points_are_stored_once_and_thinned_by_retention() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tracks = Tracks::open(dir.path().join("tracks.db")).expect("open");
        let t0 = 1_800_000_000_000i64;
        let rows: Vec<TrackRow> = (0..300)
            .map(|s| TrackRow {
                driver: "kim".into(),
                point: pt(t0 + s * 1000),
                shipment: None,
                received_ms: t0,
            })
            .collect();
        let first = tracks.insert(rows.clone()).await.expect("insert");
        assert!(first.iter().all(|n| *n));
        let again = tracks.insert(rows).await.expect("again");
        assert!(again.iter().all(|n| !*n));
        assert_eq!(
            tracks.drivers().await.expect("drivers"),
            vec!["kim".to_owned()]
        );
        // Full detail until t0 + 120 s, nothing kept before t0 + 10 s.
        let r = tracks
            .retain("kim".into(), t0, t0 + 120_000, t0 + 10_000)
            .await
            .expect("retain");
        assert_eq!(r.expired, 10);
        let left = tracks
            .track("kim", None, 0, i64::MAX, 10_000)
            .await
            .expect("track");
        // 10..60 s: first of the minute is 10 s (the bucket's first surviving point), 60..120: 60 s.
        let before_full: Vec<i64> = left
            .iter()
            .map(|p| p.ts_ms - t0)
            .filter(|t| *t < 120_000)
            .collect();
        assert_eq!(before_full, vec![10_000, 60_000]);
        assert_eq!(left.len(), 2 + 180);
        tracks.stop().await;
    }
}
