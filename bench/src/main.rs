//! # Storelink benchmarks
//!
//! Run by `cargo xtask bench` (release build). Each benchmark starts what it
//! measures for real — the `hub-server` binary on loopback, `pos-agent`
//! processes or the till core — and reports medians; the results, the machine
//! and the command are written to `BENCHMARKS.md`. These are benchmarks, not
//! tests: nothing here fails because the machine is slow, but every run checks
//! that the work was really done (every op acked, every sale counted).
//!
//! - [`sqlite_ref`]: the physical reference — raw SQLite commit latency and bulk insert rate.
//! - [`till`]: sale commit latency at the till.
//! - [`ingest`]: hub ingest over real WebSockets from 100 concurrent tills.
//! - [`catchup`]: one till that sold 10,000 times offline, and a 200-till reconnect storm.
//! - [`stock_read`]: `GET /api/v1/stock?sku=` throughput and latency.
//! - [`bootstrap`]: a new till with a 20,000-SKU catalog and a 1,000,000-op history.
//! - [`pos_screen`]: the POS sell screen's data and a scan with a 20,000-SKU catalog.
//! - [`pos_app`]: the same in the real desktop app (WebKitGTK under Xvfb, tauri-driver).
//! - [`console`]: the HQ console's stock matrix and dashboard API at 1,000 stores × 2,000 SKUs.
//! - [`drop`]: limited editions and first-come coupons — 10,000 attempts on a 100-unit drop
//!   across 200 tills with a third offline, 8,500 redemptions of 300 coupons, and a limited
//!   item's sale latency at the till vs an ordinary one.
//! - [`gps`]: live driver GPS — 5,000 drivers at 1 Hz for a minute into one hub with 20 HQ
//!   consoles on the live map (every point stored, fan-out latency), and an hour of offline
//!   points (3,600) in one request, resent without duplicates.

mod bootstrap;
mod catchup;
mod chat;
mod console;
mod drop;
mod gps;
mod ingest;
mod pos_app;
mod pos_screen;
mod report;
mod sqlite_ref;
mod stock_read;
mod till;

use anyhow::Result;
use clap::Parser;

use report::Report;

#[derive(Parser)]
#[command(about = "Storelink benchmarks")]
struct Args {
    /// Write the report to this file (Markdown).
    #[arg(long)]
    write: Option<std::path::PathBuf>,
    /// Run only benchmarks whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Smaller workloads, one run each.
    #[arg(long)]
    quick: bool,
}

/// Workload sizes.
#[derive(Clone, Copy)]
pub struct Scale {
    /// Repetitions of cheap benchmarks (median reported).
    pub runs: usize,
    /// Divide big workloads by this.
    pub shrink: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let scale = if args.quick {
        Scale {
            runs: 1,
            shrink: 10,
        }
    } else {
        Scale { runs: 3, shrink: 1 }
    };
    let mut report = Report::new(args.quick);
    let wanted = |name: &str| args.only.as_deref().is_none_or(|o| name.contains(o));

    if wanted("sqlite") {
        sqlite_ref::run(&mut report, scale)?;
    }
    if wanted("sale") {
        till::run(&mut report, scale)?;
    }
    if wanted("ingest") {
        ingest::run(&mut report, scale)?;
    }
    if wanted("offline") {
        catchup::offline_till(&mut report, scale)?;
    }
    if wanted("storm") {
        catchup::reconnect_storm(&mut report, scale)?;
    }
    if wanted("stock") {
        stock_read::run(&mut report, scale)?;
    }
    if wanted("bootstrap") {
        bootstrap::run(&mut report, scale)?;
    }
    if wanted("pos") {
        pos_screen::run(&mut report, scale)?;
        pos_app::run(&mut report, scale)?;
    }
    if wanted("chat") {
        chat::run(&mut report, scale)?;
    }
    if wanted("console") {
        console::run(&mut report, scale)?;
    }
    if wanted("drop") {
        drop::run(&mut report, scale)?;
    }
    if wanted("gps") {
        gps::run(&mut report, scale)?;
    }

    let md = report.markdown();
    println!("{md}");
    if let Some(path) = args.write {
        if args.only.is_some() || args.quick {
            eprintln!("partial or quick run: not overwriting {}", path.display());
        } else {
            std::fs::write(&path, md)?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}
