//! Running one of the front ends' browser scripts (`ui/hq/e2e/*.e2e.mjs`,
//! `ui/driver/e2e/*.e2e.mjs`) against a real hub:
//! the checks that Debian's Chromium, `node`, `playwright-core` and the built console are
//! there (with what to run when they are not), the environment every script reads
//! (`HUB_URL`, `ADMIN_PASSWORD`, `POS_AGENT`, `WORK_DIR`, `SCREENSHOT_DIR`, `CHROMIUM`),
//! a time limit, and the hub log's last lines when the script fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::{ADMIN_PASSWORD, Hub, binaries};

/// The console's directory (`ui/hq`).
pub fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
        .join("ui")
        .join("hq")
}

/// The driver page's directory (`ui/driver`).
pub fn driver_dir() -> PathBuf {
    console_dir()
        .parent()
        .map(|ui| ui.join("driver"))
        .unwrap_or_else(|| PathBuf::from("../ui/driver"))
}

/// What the browser scripts of the front end in `console` (`ui/hq`, `ui/driver`) need, or
/// what to run to get it.
pub fn prerequisites(console: &Path) -> Result<PathBuf, String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "{} is missing: the console's browser tests drive Debian's Chromium. \
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
            "the front end is not built ({}): run `cargo xtask ui`.",
            console.join("dist").display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is not installed: the browser tests run with Node.js 20.19+".into());
    }
    Ok(chromium)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Start a hub in `dir/hub` (wiping `dir` first; it is kept afterwards to look at) and run
/// `node <script>` in `ui/hq` against it, with `dir/work` as the script's work directory.
/// Fails with the script's exit status and the hub log's last lines, or after `timeout`.
pub fn run_console_script(script: &str, dir: &Path, timeout: Duration) -> Result<()> {
    run_ui_script(&console_dir(), script, dir, timeout).map(|_| ())
}

/// [`run_console_script`] for any front end's directory (`app`: `ui/hq`, `ui/driver`), and
/// the hub, still running, for the test to check over REST what the script did.
pub fn run_ui_script(app: &Path, script: &str, dir: &Path, timeout: Duration) -> Result<Hub> {
    let chromium = match prerequisites(app) {
        Ok(c) => c,
        Err(why) => bail!("the browser test cannot run: {why}"),
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let hub = Hub::start(&dir.join("hub"))?;
    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(app)
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
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let hub_log = dir.join("hub").join("hub.log");
    match status {
        Some(s) if s.success() => Ok(hub),
        Some(s) => bail!(
            "{script} failed ({s}); its output above names the step. Files of the run: {}. \
             Last lines of the hub log:\n{}",
            dir.display(),
            tail(&hub_log, 30)
        ),
        None => bail!(
            "{script} did not finish within {timeout:?}. Last lines of the hub log:\n{}",
            tail(&hub_log, 30)
        ),
    }
}
