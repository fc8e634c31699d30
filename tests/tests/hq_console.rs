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

use std::path::Path;
use std::time::Duration;

use storelink_tests::browser_e2e::run_console_script;

/// The whole scenario normally takes 15-30 s.
const E2E_TIMEOUT: Duration = Duration::from_secs(240);

#[test]
fn console_login_enrol_live_sale_and_remote_lock() -> anyhow::Result<()> {
    // Kept after the run (target/tmp/hq_console): the hub log, the till and
    // failure.png of a failed run stay there to look at.
    run_console_script(
        "e2e/console.e2e.mjs",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("hq_console"),
        E2E_TIMEOUT,
    )
}
