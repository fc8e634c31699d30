//! `cargo xtask screenshots`: the pictures of the HQ console and the driver page in
//! `docs/screenshots/`, taken from the demo chain.
//!
//! Runs the demo (`demo::run_with`) in its own data directory under the
//! target directory, with last week's history entered at the tills; once the
//! tills sell live, `ui/hq/e2e/screenshots.mjs` logs in with Debian's
//! Chromium (playwright-core), waits for live sales to reach the dashboard,
//! and writes `hq-dashboard.png`, `hq-inventory.png`, `hq-tills.png`,
//! `hq-members.png`, `hq-catalog.png`, `hq-chat.png`, `hq-notices.png`, `hq-drops.png`
//! and `hq-live-map.png` at 1440×900. For the live map, `ui/hq/e2e/logistics.scene.mjs`
//! puts three drivers on the road through the hub's REST API (store positions, orders,
//! shipments, dispatch, positions posted as the drivers); the demo hub has no tile server,
//! so the map is drawn on a plain background and the browser fetches nothing off the
//! machine. Then `ui/driver/e2e/screenshots.mjs` has head office dispatch a delivery to a
//! driver over REST and, on a phone-sized Chromium, drives it for a few seconds:
//! `driver-page.png` (390×844 at 2×) is the tracking screen. The demo then stops, and checks
//! as usual that the hub and every till agree on the sales.
//!
//! This is the only writer of `docs/screenshots/` (the browser test keeps its
//! screenshots in its own work directory).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{demo, process, ui};

/// Longest the demo sells before the screenshots must be done.
const MAX_DEMO_SECS: u64 = 240;

/// `cargo xtask screenshots`.
pub fn run() -> Result<()> {
    ui::setup()?;
    let chromium = PathBuf::from("/usr/bin/chromium");
    if !chromium.exists() {
        bail!("screenshots need /usr/bin/chromium; run `cargo xtask setup`");
    }
    let work = process::target_dir().join("screenshots");
    let out = process::workspace_root().join("docs").join("screenshots");
    std::fs::create_dir_all(&out)?;
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("wiping {work:?}"))?;
    }
    std::fs::create_dir_all(&work)?;
    let args = demo::DemoArgs::for_screenshots(work.join("demo"), MAX_DEMO_SECS);
    let password = args.admin_password().to_owned();
    let profile = work.join("chromium-profile");
    let out2 = out.clone();
    demo::run_with(
        args,
        Some(Box::new(move |url: &str| {
            shoot(url, &password, &chromium, &profile, &out2)
        })),
    )?;
    println!("screenshots written to {}", out.display());
    Ok(())
}

fn shoot(url: &str, password: &str, chromium: &Path, profile: &Path, out: &Path) -> Result<()> {
    shoot_console(url, password, chromium, profile, out)?;
    shoot_driver_page(
        url,
        password,
        chromium,
        &profile.with_extension("driver"),
        out,
    )
}

fn shoot_console(
    url: &str,
    password: &str,
    chromium: &Path,
    profile: &Path,
    out: &Path,
) -> Result<()> {
    let status = Command::new("node")
        .arg("e2e/screenshots.mjs")
        .current_dir(ui::console_dir())
        .env("HUB_URL", url)
        .env("ADMIN_PASSWORD", password)
        .env("CHROMIUM", chromium)
        .env("PROFILE_DIR", profile)
        .env("OUT_DIR", out)
        .status()
        .context("running node e2e/screenshots.mjs")?;
    if !status.success() {
        bail!("e2e/screenshots.mjs failed ({status})");
    }
    Ok(())
}

/// `driver-page.png`: the driver page's tracking screen on a phone.
fn shoot_driver_page(
    url: &str,
    password: &str,
    chromium: &Path,
    profile: &Path,
    out: &Path,
) -> Result<()> {
    let status = Command::new("node")
        .arg("e2e/screenshots.mjs")
        .current_dir(ui::driver_dir())
        .env("HUB_URL", url)
        .env("ADMIN_PASSWORD", password)
        .env("CHROMIUM", chromium)
        .env("PROFILE_DIR", profile)
        .env("OUT_DIR", out)
        .status()
        .context("running node e2e/screenshots.mjs in ui/driver")?;
    if !status.success() {
        bail!("ui/driver/e2e/screenshots.mjs failed ({status})");
    }
    Ok(())
}
