//! End to end: the real POS desktop app (`storelink-pos`) in a real WebKitGTK
//! window under Xvfb, driven through tauri-driver (WebDriver), against a
//! real hub.
//!
//! Needs Xvfb, WebKitWebDriver and tauri-driver: when one is missing the
//! test FAILS and says to run `cargo xtask setup` (it never skips quietly).
//! With `STORELINK_SCREENSHOTS=1` the sell screen is saved to
//! `docs/screenshots/pos-sell.png`.

use anyhow::{Context, Result};
use serde_json::json;
use storelink_tests::binaries;
use storelink_tests::desktop::{PosWindow, TauriDriver, Xvfb, desktop_tools};

/// The app starts in a real window, its screens load, and a command round
/// trip through the real IPC reaches the till core in the data directory
/// given on the command line.
#[test]
fn app_starts_in_a_real_window() -> Result<()> {
    let tools = desktop_tools()?;
    let bins = binaries();
    let work = tempfile::tempdir()?;
    let data = work.path().join("till");
    let xvfb = Xvfb::start(&tools)?;
    let driver = TauriDriver::start(&tools, &xvfb.display, work.path())?;
    let window = PosWindow::launch(
        &driver,
        &bins.pos,
        &["--data-dir".into(), data.display().to_string()],
    )?;
    let title = window.script("return document.title", json!([]))?;
    assert!(
        title.as_str().is_some_and(|t| t.contains("Storelink")),
        "page title {title}"
    );
    let info = window.invoke("app_info", json!({}))?;
    assert_eq!(info["enrolled"], false, "{info}");
    assert_eq!(info["data_dir"], data.display().to_string(), "{info}");
    assert!(
        data.join("till.db").exists(),
        "the app opened its till database"
    );
    // Refusals reach the page as { code, message }.
    let err = window
        .invoke("unlock", json!({ "pin": "0000" }))
        .expect_err("not enrolled");
    assert!(err.to_string().contains("not_enrolled"), "{err:#}");
    let shot = storelink_tests::target_dir().join("pos-desktop-start.png");
    window.screenshot(&shot)?;
    let png = std::fs::read(&shot).context("screenshot written")?;
    assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
    window.close()?;
    drop(driver);
    drop(xvfb);
    Ok(())
}
