//! `hub-server`: the Storelink hub binary.
//!
//! `hub-server serve --data-dir D --listen ADDR [--admin-password P] [--map-tile-url URL]
//! [--map-attribution TEXT] [--gps-full-days 7] [--gps-keep-days 90]`
//! (password also from `STORELINK_ADMIN_PASSWORD`, the others from `STORELINK_MAP_TILE_URL`,
//! `STORELINK_MAP_ATTRIBUTION`, `STORELINK_GPS_FULL_DAYS`, `STORELINK_GPS_KEEP_DAYS`). The first stdout line is
//! `storelink hub listening on http://HOST:PORT`; on first start without a
//! password, `admin password: …` follows once. Logs go to stderr
//! (`RUST_LOG`, default `info`). SIGINT / SIGTERM shut down cleanly.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// mimalloc keeps and reuses large blocks (frame buffers, group-commit
/// batches) instead of mapping and zeroing fresh pages for each one, which
/// showed up as kernel page-clearing time under ingest load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hub-server",
    version,
    about = "Storelink hub: sync WebSocket, REST API, embedded SQLite"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync WebSocket and the REST API.
    Serve {
        /// Directory of the database (created if missing).
        #[arg(long, env = "STORELINK_DATA_DIR")]
        data_dir: PathBuf,
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Password of the `admin` account created on first start.
        #[arg(long, env = "STORELINK_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Map tile URL template for the live map (`https://tiles.example/{z}/{x}/{y}.png`);
        /// empty: no tiles (tracks and stops on a plain background).
        #[arg(long, env = "STORELINK_MAP_TILE_URL")]
        map_tile_url: Option<String>,
        /// Attribution text shown with the map tiles.
        #[arg(long, env = "STORELINK_MAP_ATTRIBUTION")]
        map_attribution: Option<String>,
        /// Days of driver GPS tracks kept in full detail.
        #[arg(long, env = "STORELINK_GPS_FULL_DAYS", default_value_t = 7)]
        gps_full_days: u32,
        /// Days of driver GPS tracks kept at all (one point a minute after the full days).
        #[arg(long, env = "STORELINK_GPS_KEEP_DAYS", default_value_t = 90)]
        gps_keep_days: u32,
    },
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            data_dir,
            listen,
            admin_password,
            map_tile_url,
            map_attribution,
            gps_full_days,
            gps_keep_days,
        } => {
            if gps_keep_days < gps_full_days {
                anyhow::bail!("--gps-keep-days must be at least --gps-full-days");
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let mut settings = hub_server::Settings::new(data_dir);
            settings.admin_password = admin_password;
            settings.announce = true;
            settings.map_tile_url = map_tile_url.filter(|u| !u.trim().is_empty());
            settings.map_attribution = map_attribution.filter(|a| !a.trim().is_empty());
            settings.gps_full_days = gps_full_days;
            settings.gps_keep_days = gps_keep_days;
            hub_server::launch(settings, listener, shutdown_signal())
                .await
                .context("hub failed")?;
        }
    }
    Ok(())
}
