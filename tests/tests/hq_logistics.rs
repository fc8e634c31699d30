//! Browser end to end of the console's logistics pages (issue 5): the real hub
//! serves the built console; `ui/hq/e2e/logistics.e2e.mjs` drives Debian's
//! Chromium with playwright-core through setting a store's position and
//! geofence, approving a real headless till's stock request with a changed
//! quantity, building a shipment, picking and dispatching it to a driver
//! account, then — on the Live map — positions the driver posts over HTTP
//! appearing live as a marker and a track with every point (a resend adds
//! nothing, a late point goes into its place), the stop turning arrived at the
//! geofence, and the till's receiving with a shortage and a damaged unit shown
//! on the Shipments page and its Discrepancies tab. The hub has no tile
//! server: the map is drawn on a plain background and the script fails if the
//! console asks for anything off the machine. Screenshots and failure files go
//! to `target/tmp/hq_logistics/work/`.
//!
//! Needs `/usr/bin/chromium` and `ui/hq/node_modules` + `ui/hq/dist`:
//! `cargo xtask setup && cargo xtask ui` (both part of `cargo xtask test`).

use std::path::Path;
use std::time::Duration;

use storelink_tests::browser_e2e::run_console_script;

/// The whole scenario normally takes 30-60 s.
const E2E_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn console_order_to_shipment_live_map_geofence_and_receiving() -> anyhow::Result<()> {
    run_console_script(
        "e2e/logistics.e2e.mjs",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("hq_logistics"),
        E2E_TIMEOUT,
    )
}
