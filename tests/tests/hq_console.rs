//! Browser end to end of the HQ console (issue 4): the real hub serves the
//! built console; `ui/hq/e2e/console.e2e.mjs` drives Debian's Chromium with
//! playwright-core through login, store creation, an enrolment code issued in
//! the UI, a headless till enrolled with it, a sale seen live on the
//! dashboard, and a remote lock that makes `pos-agent sell` refuse. Its
//! screenshots go to `target/tmp/hq_console/work/screenshots/` (the ones in
//! `docs/screenshots/` are made by `cargo xtask screenshots` from the demo).
//!
//! Needs `/usr/bin/chromium` and `ui/hq/node_modules` + `ui/hq/dist`:
//! `cargo xtask setup && cargo xtask ui` (both part of `cargo xtask test`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use storelink_tests::{ADMIN_PASSWORD, Hub, binaries};

/// The whole scenario normally takes 15-30 s.
const E2E_TIMEOUT: Duration = Duration::from_secs(240);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn prerequisites(console: &Path) -> Result<PathBuf, String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "{} is missing: the HQ console's browser test drives Debian's Chromium. \
             Run `cargo xtask setup` (installs chromium and fonts-noto-cjk with apt-get).",
            chromium.display()
        ));
    }
    if !console
        .join("node_modules")
        .join("playwright-core")
        .exists()
    {
        return Err(format!(
            "{} has no node_modules (playwright-core): run `cargo xtask setup` and then \
             `cargo xtask ui` (npm ci + build).",
            console.display()
        ));
    }
    if !console.join("dist").join("index.html").exists() {
        return Err(format!(
            "the console is not built ({}): run `cargo xtask ui`.",
            console.join("dist").display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is not installed: the browser test runs with Node.js 20.19+".into());
    }
    Ok(chromium)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn console_login_enrol_live_sale_and_remote_lock() -> anyhow::Result<()> {
    let root = workspace_root();
    let console = root.join("ui").join("hq");
    let chromium = match prerequisites(&console) {
        Ok(c) => c,
        Err(why) => panic!("HQ console browser test cannot run: {why}"),
    };
    // Kept after the run (target/tmp/hq_console): the hub log, the till and
    // failure.png of a failed run stay there to look at.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hq_console");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let hub = Hub::start(&dir.join("hub"))?;
    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;

    let mut child = Command::new("node")
        .arg("e2e/console.e2e.mjs")
        .current_dir(&console)
        .env("HUB_URL", hub.url())
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("POS_AGENT", &binaries().till)
        .env("WORK_DIR", &work)
        .env("SCREENSHOT_DIR", work.join("screenshots"))
        .env("CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > E2E_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let hub_log = dir.join("hub").join("hub.log");
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => panic!(
            "the console's browser test failed ({s}); its output above names the step. \
             Files of the run: {}. Last lines of the hub log:\n{}",
            dir.display(),
            tail(&hub_log, 30)
        ),
        None => panic!(
            "the console's browser test did not finish within {E2E_TIMEOUT:?}. Last lines of the hub log:\n{}",
            tail(&hub_log, 30)
        ),
    }
}
