//! The web front ends' tool chain: `cargo xtask setup` (Debian packages the
//! console's browser test and the POS desktop app need, and `tauri-driver`
//! for the desktop end-to-end test) and `cargo xtask ui` (npm packages and
//! the Vite builds: `ui/hq` and `ui/driver`, embedded by the hub, and
//! `ui/pos`, embedded by the desktop app).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;

/// Debian packages the tests need: Chromium for the console's
/// playwright-core (browsers are never downloaded), CJK fonts so Korean
/// renders in screenshots, and for the POS desktop app (Tauri 2 on
/// WebKitGTK) its build libraries, a virtual X server and WebKit's
/// WebDriver (driven through `tauri-driver` by tests/tests/pos_desktop.rs),
/// and libfaketime, which runs a real `pos-agent` with its clock moved
/// (hold expiry while offline, the time-deal clock guard in tests/tests/limited.rs).
const DEBIAN_PACKAGES: [&str; 10] = [
    "chromium",
    "fonts-noto-cjk",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "libfaketime",
];

/// Version of `tauri-driver` that `setup` installs (crates.io).
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// `ui/pos/` in the workspace.
pub fn pos_dir() -> PathBuf {
    process::workspace_root().join("ui").join("pos")
}

/// Where `setup` installs `tauri-driver`: `<target dir>/tools/bin`
/// (`CARGO_TARGET_DIR` when set, else the workspace's `target/`).
pub fn tauri_driver_path() -> PathBuf {
    process::target_dir()
        .join("tools")
        .join("bin")
        .join("tauri-driver")
}

/// Install `tauri-driver` with `cargo install --locked` into
/// `<target dir>/tools` unless it is there.
fn install_tauri_driver() -> Result<()> {
    let bin = tauri_driver_path();
    if bin.exists() {
        eprintln!("setup: {} present", bin.display());
        return Ok(());
    }
    let root = process::target_dir().join("tools");
    let root_s = root.to_string_lossy().into_owned();
    process::cargo(&[
        "install",
        "--locked",
        "tauri-driver",
        "--version",
        TAURI_DRIVER_VERSION,
        "--root",
        &root_s,
    ])?;
    if !bin.exists() {
        bail!(
            "cargo install tauri-driver did not produce {}",
            bin.display()
        );
    }
    Ok(())
}

/// Oldest Node.js that Vite 8 runs on.
const NODE_MIN: (u32, u32) = (20, 19);

/// `ui/hq/` in the workspace.
pub fn console_dir() -> PathBuf {
    process::workspace_root().join("ui").join("hq")
}

/// `ui/driver/` in the workspace (the drivers' page the hub serves at `/driver`).
pub fn driver_dir() -> PathBuf {
    process::workspace_root().join("ui").join("driver")
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn sudo_works() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    eprintln!("$ {what}");
    let status = cmd.status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `cargo xtask setup`: install the missing Debian packages (as root or with
/// password-less sudo), and check Node.js.
pub fn setup() -> Result<()> {
    let has_dpkg = Command::new("dpkg-query").arg("--version").output().is_ok();
    if !has_dpkg {
        if Path::new("/usr/bin/chromium").exists() {
            eprintln!("setup: not a Debian system; /usr/bin/chromium is there, nothing to install");
        } else {
            bail!(
                "setup: not a Debian system (no dpkg). Install Chromium as /usr/bin/chromium and a CJK font \
                 (Noto Sans CJK) by hand; the browser test drives that binary"
            );
        }
    } else {
        let missing: Vec<&str> = DEBIAN_PACKAGES
            .into_iter()
            .filter(|p| !installed(p))
            .collect();
        if missing.is_empty() {
            eprintln!(
                "setup: Debian packages present: {}",
                DEBIAN_PACKAGES.join(", ")
            );
        } else {
            let prefix: Vec<&str> = if is_root() {
                vec![]
            } else if sudo_works() {
                vec!["sudo", "-n"]
            } else {
                bail!(
                    "setup: missing Debian packages {missing:?}; run as root or with sudo:\n    \
                     sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
                    missing.join(" ")
                );
            };
            let apt = |args: &[&str]| {
                let mut all: Vec<&str> = prefix.clone();
                all.push("apt-get");
                all.extend_from_slice(args);
                let (first, rest) = all.split_first().expect("non-empty command");
                let mut cmd = Command::new(first);
                cmd.args(rest).env("DEBIAN_FRONTEND", "noninteractive");
                (cmd, all.join(" "))
            };
            let (mut update, what) = apt(&["update", "-q"]);
            run(&mut update, &what)?;
            let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
            args.extend(missing.iter().copied());
            let (mut install, what) = apt(&args);
            run(&mut install, &what)?;
        }
    }
    install_tauri_driver()?;
    check_node()?;
    Ok(())
}

/// Node.js is there and new enough for Vite.
fn check_node() -> Result<()> {
    let out = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| {
            anyhow::anyhow!(
                "Node.js is not installed; the console needs Node.js {}.{}+ and npm",
                NODE_MIN.0,
                NODE_MIN.1
            )
        })?;
    let v = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches('v')
        .to_owned();
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < NODE_MIN {
        bail!(
            "Node.js {v} is too old for the console's build (Vite 8 needs {}.{}+)",
            NODE_MIN.0,
            NODE_MIN.1
        );
    }
    eprintln!("setup: Node.js {v}");
    Ok(())
}

fn npm(dir: &Path, args: &[&str]) -> Result<()> {
    let mut cmd = Command::new("npm");
    cmd.args(args).current_dir(dir);
    let name = dir
        .strip_prefix(process::workspace_root())
        .unwrap_or(dir)
        .display()
        .to_string();
    run(&mut cmd, &format!("npm {} (in {name})", args.join(" ")))
}

/// `node_modules` is missing or older than `package-lock.json`.
fn node_modules_stale(dir: &Path) -> bool {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(dir.join("node_modules").join(".package-lock.json")),
        modified(dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

/// `cargo xtask ui`: every front end ([`build_console`], [`build_driver`],
/// [`build_pos`]).
pub fn build() -> Result<()> {
    build_console()?;
    build_driver()?;
    build_pos()
}

/// The HQ console: `npm ci` when needed, then the production build into
/// `ui/hq/dist` (no network after `npm ci`).
pub fn build_console() -> Result<()> {
    build_dir(&console_dir())
}

/// The driver page into `ui/driver/dist`, which the hub embeds and serves at
/// `/driver` (it imports the console's generated API types and REST client).
pub fn build_driver() -> Result<()> {
    build_dir(&driver_dir())
}

/// The POS screens into `ui/pos/dist`, which the desktop app
/// (`pos-agent/desktop`) embeds: it must be built before cargo builds the
/// workspace.
pub fn build_pos() -> Result<()> {
    let dir = pos_dir();
    if !dir.join("package.json").exists() {
        bail!(
            "ui/pos/package.json is missing: the POS desktop app embeds the screens of ui/pos \
             (built into ui/pos/dist), so they must be in the checkout"
        );
    }
    build_dir(&dir)
}

fn build_dir(dir: &Path) -> Result<()> {
    if node_modules_stale(dir) {
        npm(dir, &["ci", "--no-audit", "--no-fund"])?;
    } else {
        eprintln!(
            "ui: {}: node_modules is current with package-lock.json",
            dir.display()
        );
    }
    if dist_current(dir) {
        eprintln!(
            "ui: {}: dist is newer than every source file; not rebuilt",
            dir.display()
        );
        return Ok(());
    }
    npm(dir, &["run", "build"])?;
    eprintln!("ui: built {}", dir.join("dist").display());
    Ok(())
}

/// The newest modification time of any file under `path` (or of `path`).
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// Whether `dist/index.html` is newer than the console's sources and
/// configuration. Rebuilding only then keeps the hub from recompiling (it
/// embeds `dist`) when nothing in the console changed.
fn dist_current(dir: &Path) -> bool {
    let Some(built) = std::fs::metadata(dir.join("dist").join("index.html"))
        .and_then(|m| m.modified())
        .ok()
    else {
        return false;
    };
    let inputs = [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ];
    // The front ends also import ui/shared, and the driver page the
    // console's generated API types and REST client (ui/hq/src/api).
    let shared = [dir.join("../shared"), dir.join("../hq/src/api")];
    inputs
        .iter()
        .map(|i| dir.join(i))
        .chain(shared)
        .filter_map(|p| newest(&p))
        .all(|t| t <= built)
}

/// The front ends' unit tests (vitest): the console's, the driver page's and
/// the POS screens'.
pub fn unit_tests() -> Result<()> {
    npm(&console_dir(), &["test"])?;
    npm(&driver_dir(), &["test"])?;
    npm(&pos_dir(), &["test"])
}

/// The TypeScript types the console and the POS screens import are
/// generated from the Rust API types by `cargo test` (ts-rs; the desktop
/// crate's `export_types` test writes `ui/pos/src/api/types`). Fail when the
/// committed ones differ, so a Rust change never ships with a front end
/// compiled against stale types.
pub fn check_generated_types() -> Result<()> {
    let root = process::workspace_root();
    if !root.join(".git").exists() {
        eprintln!("ui: not a git checkout; generated types not compared");
        return Ok(());
    }
    let out = Command::new("git")
        .current_dir(&root)
        .args([
            "status",
            "--porcelain",
            "--",
            "ui/hq/src/api/types",
            "ui/pos/src/api/types",
        ])
        .output()
        .context("running git status")?;
    let changed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !changed.trim().is_empty() {
        bail!(
            "the generated API types in ui/hq/src/api/types or ui/pos/src/api/types differ from \
             the committed ones (cargo test regenerates them from the Rust types): commit them\n{changed}"
        );
    }
    eprintln!("ui: generated API types are committed and current");
    Ok(())
}
