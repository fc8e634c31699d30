//! `cargo xtask …`: the project's commands.
//!
//! - `cargo xtask test`  — what CI runs: fmt, clippy `-D warnings`, every
//!   unit, property and end-to-end test, and a short smoke run of the demo.
//! - `cargo xtask demo`  — the product on its embedded default (SQLite): a hub,
//!   a seeded chain of Seoul stores, and headless tills that sell, go offline
//!   and come back.
//! - `cargo xtask bench` — the load and speed figures, written to `BENCHMARKS.md`.
//! - `cargo xtask setup` — Debian packages the browser and desktop tests need
//!   (Chromium, CJK fonts, WebKitGTK and GTK dev files, Xvfb, WebKitWebDriver)
//!   and `tauri-driver`, installed when missing.
//! - `cargo xtask ui`    — the HQ console, the driver page and the POS screens:
//!   `npm ci` when stale, Vite builds (`ui/hq/dist`, `ui/driver/dist`,
//!   `ui/pos/dist`).
//! - `cargo xtask pos`   — the demo chain plus the POS desktop app enrolled to
//!   it (needs a display).
//! - `cargo xtask screenshots` — the console's and the driver page's pictures in `docs/screenshots/`,
//!   taken from a short run of the demo.

mod demo;
mod demo_chat;
mod demo_drops;
mod demo_logistics;
mod demo_people;
mod pos;
mod process;
mod screenshots;
mod ui;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "Storelink project commands")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run every check CI runs.
    Test {
        /// Skip fmt and clippy (tests only).
        #[arg(long)]
        quick: bool,
    },
    /// Start the hub with a seeded demo chain and simulated tills.
    Demo(demo::DemoArgs),
    /// Run the benchmarks and write BENCHMARKS.md.
    Bench {
        /// Run only benchmarks whose name contains this.
        #[arg(long)]
        only: Option<String>,
        /// Smaller workloads (for a quick look, not for BENCHMARKS.md).
        #[arg(long)]
        quick: bool,
    },
    /// Install the Debian packages and tools the browser and desktop tests need.
    Setup,
    /// Install the front ends' npm packages (when stale) and build them.
    Ui,
    /// Run the demo chain with the POS desktop app enrolled to it (needs a display).
    Pos(demo::DemoArgs),
    /// Run the demo briefly and write the console's screenshots to docs/screenshots.
    Screenshots,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Task::Test { quick } => test(quick),
        Task::Demo(args) => demo::run(args),
        Task::Bench { only, quick } => bench(only, quick),
        Task::Setup => ui::setup(),
        Task::Ui => ui::build(),
        Task::Pos(args) => pos::run(args),
        Task::Screenshots => screenshots::run(),
    }
}

fn test(quick: bool) -> Result<()> {
    // The front ends first: the hub embeds ui/hq/dist and ui/driver/dist, the desktop app
    // ui/pos/dist, and the browser and desktop tests (tests/tests/hq_console.rs,
    // hq_chat.rs, pos_desktop.rs, run by `cargo test` below) drive them.
    ui::setup()?;
    ui::build()?;
    ui::unit_tests()?;
    if !quick {
        process::cargo(&["fmt", "--all", "--", "--check"])?;
        process::cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])?;
    }
    process::cargo(&["build", "--workspace", "--bins"])?;
    process::cargo(&["test", "--workspace", "--no-fail-fast"])?;
    ui::check_generated_types()?;
    // The demo must keep working from a fresh clone: run it briefly.
    demo::run(demo::DemoArgs::smoke())?;
    println!("xtask test: all checks passed");
    Ok(())
}

fn bench(only: Option<String>, quick: bool) -> Result<()> {
    // The hub embeds ui/hq/dist and ui/driver/dist, the desktop app ui/pos/dist.
    ui::build()?;
    process::cargo(&[
        "build",
        "--release",
        "-p",
        "hub-server",
        "-p",
        "pos-agent",
        "-p",
        "storelink-bench",
        "-p",
        "storelink-pos",
    ])?;
    let mut args: Vec<String> = vec!["--write".into(), "BENCHMARKS.md".into()];
    if let Some(only) = only {
        args.push("--only".into());
        args.push(only);
    }
    if quick {
        args.push("--quick".into());
    }
    process::run_target_bin("release", "storelink-bench", &args)
}
