//! Browser end to end of the console's Drops page (issue 7): the real hub
//! serves the built console; `ui/hq/e2e/drops.e2e.mjs` drives Debian's
//! Chromium with playwright-core through creating a drop with a manual
//! per-store split, seeing it in the list and its detail, a sale on a real
//! headless till moving "left / total" live, a pull back that returns the
//! till's unused rights to the hub's pool, and ending the drop. Screenshots
//! and failure files go to `target/tmp/hq_drops/work/`.
//!
//! Needs `/usr/bin/chromium` and `ui/hq/node_modules` + `ui/hq/dist`:
//! `cargo xtask setup && cargo xtask ui` (both part of `cargo xtask test`).

use std::path::Path;
use std::time::Duration;

use storelink_tests::browser_e2e::run_console_script;

/// The whole scenario normally takes 20-40 s.
const E2E_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn console_drop_create_live_count_pull_back_and_end() -> anyhow::Result<()> {
    run_console_script(
        "e2e/drops.e2e.mjs",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("hq_drops"),
        E2E_TIMEOUT,
    )
}
