//! Collecting results and writing `BENCHMARKS.md`.

use std::time::Duration;

/// One line of the results table.
pub struct Row {
    /// What was measured.
    pub name: String,
    /// The measured figure (median), human-readable.
    pub result: String,
    /// The target from the issue.
    pub target: String,
    /// Met, missed, or n/a.
    pub verdict: &'static str,
    /// The same work measured against raw SQLite on this machine, this run.
    pub vs_sqlite: String,
    /// How it was measured.
    pub notes: String,
}

/// All results of one run.
pub struct Report {
    rows: Vec<Row>,
    quick: bool,
    /// Raw SQLite one-row commit p99 (ms), once measured.
    pub commit_p99_ms: Option<f64>,
    /// Raw SQLite bulk insert rate (rows/s), once measured.
    pub bulk_rows_per_s: Option<f64>,
}

impl Report {
    /// An empty report.
    pub fn new(quick: bool) -> Self {
        Self {
            rows: Vec::new(),
            quick,
            commit_p99_ms: None,
            bulk_rows_per_s: None,
        }
    }

    /// Add a result; prints it at once too.
    pub fn add(
        &mut self,
        name: &str,
        result: String,
        target: &str,
        met: Option<bool>,
        vs_sqlite: String,
        notes: String,
    ) {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "reference",
        };
        eprintln!("[bench] {name}: {result} (target {target}: {verdict}) — {notes}");
        self.rows.push(Row {
            name: name.to_owned(),
            result,
            target: target.to_owned(),
            verdict,
            vs_sqlite,
            notes,
        });
    }

    /// The Markdown page.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str("# Storelink benchmarks\n\n");
        md.push_str("Produced by `cargo xtask bench` (release build); do not edit by hand.\n");
        md.push_str("Figures are medians of the runs stated; the machine is shared and noisy, so compare ratios\n");
        md.push_str("to the raw SQLite reference measured in the same run rather than absolute numbers.\n\n");
        md.push_str(&format!("- machine: {}\n", machine()));
        md.push_str(&format!("- date: {}\n", date()));
        md.push_str(&format!(
            "- command: `cargo xtask bench`{}\n\n",
            if self.quick {
                " --quick (reduced workloads)"
            } else {
                ""
            }
        ));
        md.push_str("| benchmark | result | target | verdict | vs raw SQLite, same run | how |\n|---|---|---|---|---|---|\n");
        for r in &self.rows {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.name, r.result, r.target, r.verdict, r.vs_sqlite, r.notes
            ));
        }
        md
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cpu}, {cores} cores, {mem_gib:.0} GiB RAM, Linux")
}

fn date() -> String {
    std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

impl Report {
    /// `x` as a multiple of the raw one-row commit p99.
    pub fn vs_commit(&self, p99_ms: f64) -> String {
        match self.commit_p99_ms {
            Some(r) if r > 0.0 => format!("{:.1}× a one-row commit's p99 ({r:.3} ms)", p99_ms / r),
            _ => "—".into(),
        }
    }

    /// `ops_per_s` as a share of the raw bulk insert rate.
    pub fn vs_bulk(&self, ops_per_s: f64) -> String {
        match self.bulk_rows_per_s {
            Some(r) if r > 0.0 => format!(
                "{:.1}% of raw bulk inserts ({:.0} rows/s)",
                100.0 * ops_per_s / r,
                r
            ),
            _ => "—".into(),
        }
    }

    /// The raw bulk-insert time of the `rows` some work has to write.
    pub fn vs_rows(&self, rows: u64, what: &str) -> String {
        match self.bulk_rows_per_s {
            Some(r) if r > 0.0 => format!(
                "{what}: {rows} rows, which raw bulk inserts write in {:.2} s",
                rows as f64 / r
            ),
            _ => "—".into(),
        }
    }
}

/// Median of a list of values.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    if xs.is_empty() {
        return 0.0;
    }
    xs[xs.len() / 2]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
