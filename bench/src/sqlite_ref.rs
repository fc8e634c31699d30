//! The physical reference: what SQLite itself does on this disk, measured in
//! the same run as everything else.

use std::time::Instant;

use anyhow::Result;
use hdrhistogram::Histogram;
use rusqlite::Connection;

use crate::Scale;
use crate::report::{Report, median};

fn open(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")?;
    Ok(conn)
}

/// One-row commits with fsync, and bulk inserts.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut p50s, mut p99s, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..scale.runs {
        let conn = open(&dir.path().join(format!("commit{run}.db")))?;
        let mut hist = Histogram::<u64>::new(3)?;
        for i in 0..2_000 {
            let t = Instant::now();
            conn.execute("INSERT INTO t (a, b) VALUES (?1, 'x')", [i])?;
            hist.record(t.elapsed().as_micros() as u64)?;
        }
        p50s.push(hist.value_at_quantile(0.5) as f64);
        p99s.push(hist.value_at_quantile(0.99) as f64);

        let mut conn = open(&dir.path().join(format!("bulk{run}.db")))?;
        let rows = 1_000_000 / scale.shrink;
        let t = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare("INSERT INTO t (a, b) VALUES (?1, 'GN01-TSH-001-BLK-M')")?;
            for i in 0..rows {
                stmt.execute([i as i64])?;
            }
        }
        tx.commit()?;
        rates.push(rows as f64 / t.elapsed().as_secs_f64());
    }
    let p99_ms = median(p99s) / 1000.0;
    let rate = median(rates);
    report.commit_p99_ms = Some(p99_ms);
    report.bulk_rows_per_s = Some(rate);
    report.add(
        "raw SQLite: one-row commit, WAL + synchronous=FULL",
        format!("p50 {:.3} ms, p99 {p99_ms:.3} ms", median(p50s) / 1000.0),
        "(reference)",
        None,
        "—".into(),
        format!("2,000 autocommit inserts, median of {} runs", scale.runs),
    );
    report.add(
        "raw SQLite: bulk insert in one transaction",
        format!("{rate:.0} rows/s"),
        "(reference)",
        None,
        "—".into(),
        format!(
            "{} rows, prepared statement, median of {} runs",
            1_000_000 / scale.shrink,
            scale.runs
        ),
    );
    Ok(())
}
