//! `storelink-pos`: the till desktop app.
//!
//! ```text
//! storelink-pos [--data-dir DIR] [--hub URL --code CODE]
//! ```
//! The data directory comes from `--data-dir`, else `STORELINK_POS_DATA`,
//! else the OS app data directory (`$XDG_DATA_HOME/com.storelink.pos` on
//! Linux). `--hub`/`--code` enrol a fresh till before the window opens
//! (`cargo xtask pos` uses them); otherwise the setup screen asks.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use storelink_pos::{DATA_DIR_ENV, PosState, run_app};
use tauri::Manager;

#[derive(Parser)]
#[command(name = "storelink-pos", version, about = "Storelink POS till app")]
struct Args {
    /// The till's data directory.
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Hub URL to enrol with at start (with --code), when not enrolled yet.
    #[arg(long, requires = "code")]
    hub: Option<String>,
    /// One-time enrolment code (with --hub).
    #[arg(long, requires = "hub")]
    code: Option<String>,
}

fn default_data_dir() -> Result<PathBuf> {
    let base = dirs::data_dir().context("no data directory for this user; pass --data-dir")?;
    Ok(base.join("com.storelink.pos"))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,storelink_pos=info,pos_agent=info".into()),
        )
        .init();
    let args = Args::parse();
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    if let (Some(hub), Some(code)) = (&args.hub, &args.code) {
        enrol_at_start(&data_dir, hub, code)?;
    }
    tracing::info!(data_dir = %data_dir.display(), "starting Storelink POS");
    let app = run_app(
        tauri::Builder::default(),
        tauri::generate_context!(),
        data_dir,
    )?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            handle.state::<PosState>().link.stop();
        }
    });
    Ok(())
}

/// `--hub/--code`: enrol and download the catalog before the window opens
/// (skipped when the till is already enrolled).
fn enrol_at_start(data_dir: &std::path::Path, hub: &str, code: &str) -> Result<()> {
    let till = pos_agent::Till::open(data_dir)?;
    if till.enrolment()?.is_some() {
        tracing::info!("already enrolled; --hub/--code ignored");
        return Ok(());
    }
    drop(till);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let out = pos_agent::enrol(data_dir, hub, code).await?;
        tracing::info!(store = %out.store, till = out.till_no, "enrolled");
        pos_agent::sync::sync_once(data_dir).await?;
        anyhow::Ok(())
    })
}
