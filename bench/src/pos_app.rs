//! The real POS desktop app (`storelink-pos`, WebKitGTK under Xvfb, driven
//! through tauri-driver) with a 20,000-SKU till: how long the sell screen
//! takes to open and how long a scanned item takes to appear.
//!
//! The figures are taken inside the page, so WebDriver's own round trips are
//! not counted:
//! - **open**: from the PIN being submitted (`performance.mark("unlock-submit")`
//!   in the Lock screen) to the Sell screen's first render
//!   (`window.__posTimings.sellReady`), with an open shift, as a cashier
//!   starts their day; and from launching the process to the PIN pad being
//!   shown (wall clock, WebDriver session start included: an upper bound);
//! - **scan**: from Enter in the scan field (`scan-submit`) to the frame that
//!   paints the new cart line (`scan-rendered`), through the real IPC and
//!   the till core.
//!
//! Needs the desktop tools (`cargo xtask setup`); without them the rows say
//! so instead of a figure.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use argon2::password_hash::{PasswordHasher, SaltString};
use serde_json::{Value, json};
use storelink_tests::desktop::{PosWindow, TauriDriver, Xvfb, desktop_tools};
use sync_proto::{ActorId, Hlc, StaffRecord, StaffRole};
use uuid::Uuid;

use crate::Scale;
use crate::pos_screen::{CATALOG, barcode, seeded_till};
use crate::report::{Report, median};

const PIN: &str = "4826";
/// Scans per app run (a cart of this many lines).
const SCANS: usize = 60;
/// Time between two scans (a cashier scanning quickly).
const SCAN_GAP: Duration = Duration::from_millis(400);

/// Give the seeded till a cashier who unlocks it with [`PIN`].
fn add_cashier(dir: &Path) -> Result<()> {
    let till = pos_agent::Till::open(dir)?;
    let salt = SaltString::encode_b64(&[11u8; 16]).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2::Argon2::default()
        .hash_password(PIN.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the PIN: {e}"))?
        .to_string();
    let record = StaffRecord {
        id: Uuid::now_v7(),
        username: "bench.cashier".into(),
        display_name: "Bench Cashier".into(),
        role: StaffRole::Cashier,
        store: "GN01".parse()?,
        pin_hash: Some(hash),
        active: true,
    };
    let hlc = Hlc {
        wall_ms: pos_agent::db::now_ms(),
        counter: 0,
        actor: ActorId::new_random(),
    };
    pos_agent::people::apply_staff(till.connection(), &record, &hlc)?;
    Ok(())
}

fn number(v: &Value, what: &str) -> Result<f64> {
    v.as_f64()
        .with_context(|| format!("{what} is not a number: {v}"))
}

/// What one app run measured, in ms.
struct AppRun {
    /// Launch → PIN pad (wall clock, WebDriver session included).
    launch_ms: f64,
    /// PIN submitted → Sell screen rendered (in the page).
    open_ms: f64,
    /// Each scan: Enter → the frame that paints the line.
    scans: Vec<f64>,
    /// Median Enter → the `scan` command answered (IPC + core).
    answered_p50: f64,
    /// Median Enter → the line in the DOM (Preact committed).
    committed_p50: f64,
    /// Median of a bare animation frame callback, with no work: the floor.
    frame_p50: f64,
}

/// One app run on the till in `dir`.
fn one_run(app: &Path, dir: &Path) -> Result<AppRun> {
    let tools = desktop_tools()?;
    let xvfb = Xvfb::start(&tools)?;
    let logs = tempfile::tempdir()?;
    let driver = TauriDriver::start(&tools, &xvfb.display, logs.path())?;
    let started = Instant::now();
    let window = PosWindow::launch(
        &driver,
        app,
        &["--data-dir".into(), dir.display().to_string()],
    )?;
    window.find("pin-input")?;
    let launch_ms = started.elapsed().as_secs_f64() * 1e3;

    window.type_into("pin-input", PIN)?;
    window.click("pin-submit")?;
    window.find("scan-input")?;
    window.wait_for(
        Duration::from_secs(20),
        "the Sell screen's ready mark",
        |w| {
            Ok(w.script(
                "return window.__posTimings && window.__posTimings.sellReady",
                json!([]),
            )?
            .is_number())
        },
    )?;
    let open = window.script(
        "const m = performance.getEntriesByName('unlock-submit'); \
         return m.length ? window.__posTimings.sellReady - m[m.length - 1].startTime : null;",
        json!([]),
    )?;
    let open_ms = number(&open, "PIN → Sell")?;

    // How long the webview takes to run a bare animation frame callback here
    // (no work at all): the floor under "painted", reported beside it.
    let mut frame = Vec::new();
    for _ in 0..20 {
        let v = window.invoke_js(
            "const [done] = arguments; const t = performance.now(); \
             requestAnimationFrame(() => done(performance.now() - t));",
            json!([]),
        )?;
        frame.push(number(&v, "bare frame")?);
    }
    frame.sort_by(f64::total_cmp);
    // Scan like a scanner: type, Enter, then leave the page alone until the
    // next scan. Nothing is asked over WebDriver while the page paints (every
    // WebDriver command runs on the page's main thread and delays its frames);
    // the marks are read once at the end, paired by order.
    window.script("performance.clearMarks();", json!([]))?;
    for i in 0..SCANS {
        let code = barcode((i * 7_919 + 13) % CATALOG);
        window.send_keys("scan-input", &format!("{code}\u{E007}"))?;
        std::thread::sleep(SCAN_GAP);
    }
    let marks = window.script(
        "const at = (n) => performance.getEntriesByName(n).map((e) => e.startTime); \
         return [at('scan-submit'), at('scan-answered'), at('scan-committed'), at('scan-rendered')];",
        json!([]),
    )?;
    let series = |k: usize| -> Result<Vec<f64>> {
        marks[k]
            .as_array()
            .context("marks")?
            .iter()
            .map(|v| number(v, "mark"))
            .collect()
    };
    let (submit, answered, dom, painted) = (series(0)?, series(1)?, series(2)?, series(3)?);
    if [&answered, &dom, &painted]
        .iter()
        .any(|m| m.len() != submit.len())
        || submit.len() != SCANS
    {
        bail!(
            "marks don't pair up: {} submits, {} answers, {} commits, {} paints",
            submit.len(),
            answered.len(),
            dom.len(),
            painted.len()
        );
    }
    let since = |m: &[f64]| -> Vec<f64> { m.iter().zip(&submit).map(|(t, s)| t - s).collect() };
    let scans = since(&painted);
    let mut ipc = since(&answered);
    let mut committed = since(&dom);
    if scans
        .iter()
        .any(|d| *d < 0.0 || *d >= SCAN_GAP.as_secs_f64() * 1e3)
    {
        bail!("a scan was not painted before the next one: {scans:?}");
    }
    let lines = window.find_all("cart-line")?.len();
    if lines != SCANS {
        bail!("the cart shows {lines} lines after {SCANS} distinct scans");
    }
    window.close()?;
    drop(driver);
    drop(xvfb);
    ipc.sort_by(f64::total_cmp);
    committed.sort_by(f64::total_cmp);
    Ok(AppRun {
        launch_ms,
        open_ms,
        scans,
        answered_p50: percentile(&ipc, 0.5),
        committed_p50: percentile(&committed, 0.5),
        frame_p50: percentile(&frame, 0.5),
    })
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The sell screen's opening and a scan in the real desktop app.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    if let Err(e) = desktop_tools() {
        let why = format!("not measured: {e}");
        report.add(
            "pos app: sell screen opens (real app)",
            why.clone(),
            "< 1 s",
            None,
            "—".into(),
            String::new(),
        );
        report.add(
            "pos app: scan to painted line (real app)",
            why,
            "< 50 ms",
            None,
            "—".into(),
            String::new(),
        );
        return Ok(());
    }
    let app = &storelink_tests::binaries().pos;
    let (mut launches, mut opens, mut scan_p50, mut scan_p99) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ipc_p50, mut committed_p50, mut frame_p50) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..scale.runs {
        let dir = tempfile::tempdir()?;
        seeded_till(dir.path())?;
        add_cashier(dir.path())?;
        let mut run = one_run(app, dir.path())?;
        ipc_p50.push(run.answered_p50);
        committed_p50.push(run.committed_p50);
        frame_p50.push(run.frame_p50);
        let scans = &mut run.scans;
        scans.sort_by(f64::total_cmp);
        launches.push(run.launch_ms);
        opens.push(run.open_ms);
        scan_p50.push(percentile(scans, 0.5));
        scan_p99.push(percentile(scans, 0.99));
    }
    let open = median(opens);
    report.add(
        "pos app: sell screen opens (real app, 20k SKUs)",
        format!(
            "PIN → Sell {open:.0} ms; launch → PIN pad {:.0} ms",
            median(launches)
        ),
        "< 1 s",
        Some(open < 1_000.0),
        "—".into(),
        format!(
            "`storelink-pos` (release build) in WebKitGTK under Xvfb via tauri-driver, a {CATALOG}-SKU till with an open shift; PIN → Sell measured in the page (mark at PIN submit → first Sell render); launch → PIN pad is wall clock including the WebDriver session start; median of {} runs",
            scale.runs
        ),
    );
    let p99 = median(scan_p99);
    report.add(
        "pos app: scan to painted line (real app, 20k SKUs)",
        format!(
            "p50 {:.1} ms, p99 {p99:.1} ms (command answered p50 {:.1} ms, line in the DOM p50 {:.1} ms; a bare frame callback takes {:.1} ms here)",
            median(scan_p50),
            median(ipc_p50),
            median(committed_p50),
            median(frame_p50)
        ),
        "< 50 ms",
        Some(p99 < 50.0),
        "—".into(),
        format!(
            "Enter in the scan field → the frame that paints the new cart line (performance marks in the page), through the real IPC, `Till::scan` and the cart re-price; {SCANS} distinct barcodes per run, median of {} runs",
            scale.runs
        ),
    );
    Ok(())
}
