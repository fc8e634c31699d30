//! End to end: the real POS desktop app (`storelink-pos`) in a real WebKitGTK
//! window under Xvfb, driven through tauri-driver (WebDriver), against a
//! real hub.
//!
//! Needs Xvfb, WebKitWebDriver and tauri-driver: when one is missing the
//! test FAILS and says to run `cargo xtask setup` (it never skips quietly).
//! With `STORELINK_SCREENSHOTS=1` the sell screen is saved to
//! `docs/screenshots/pos-sell.png`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;
use storelink_tests::desktop::{PosWindow, TauriDriver, UI_TIMEOUT, Xvfb, desktop_tools};
use storelink_tests::{Hub, HubApi, Till, binaries};

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

/// An EAN-13 barcode from 12 digits (with its check digit).
fn ean13(body12: &str) -> String {
    let sum: u32 = body12
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d } else { d * 3 })
        .sum();
    format!("{body12}{}", (10 - sum % 10) % 10)
}

const TEE: &str = "TSH-0001-BLK-M";
const CAP: &str = "CAP-0002-NAV-F";
const CASHIER_PIN: &str = "1111";
const WAIT_SYNC: Duration = Duration::from_secs(60);

/// The contract's path through the real app: enrol via the setup screen,
/// unlock with a PIN, open a shift, scan a barcode (typed + Enter, as a
/// scanner does), pay cash + card, see the receipt; the hub goes away, the
/// till keeps selling; the hub comes back and has every sale, and a second
/// (headless) till of the store sees the stock change.
#[test]
fn sell_online_and_offline_through_the_app() -> Result<()> {
    let tools = desktop_tools()?;
    let bins = binaries();
    let root = tempfile::tempdir()?;
    let mut hub = Hub::start(&root.path().join("hub"))?;
    let api = HubApi::login(&hub)?;
    api.create_store("GN01", "Gangnam", "store")?;
    let tee_code = ean13("880123400001");
    let cap_code = ean13("880123400002");
    api.post_csv(
        "products/import",
        format!(
            "sku,name,price,barcode,style,colour,size,category\n\
             {TEE},Oxford tee black M,39000,{tee_code},TSH-0001,Black,M,Tops\n\
             {CAP},Cap navy,25000,{cap_code},CAP-0002,Navy,F,Accessories\n"
        ),
    )?;
    for sku in [TEE, CAP] {
        api.adjust_stock("GN01", sku, 50)?;
    }
    api.post(
        "users",
        json!({ "username": "gn01.kim", "display_name": "Kim Minji", "role": "cashier",
                "store": "GN01", "pin": CASHIER_PIN }),
    )?;
    let other = Till::enrol(&root.path().join("other-till"), &hub, &api, "GN01")?;
    other.sync()?;
    assert_eq!(other.stock(TEE)?, 50);
    let code = api.enrolment_code("GN01")?;

    let xvfb = Xvfb::start(&tools)?;
    let driver = TauriDriver::start(&tools, &xvfb.display, root.path())?;
    let data = root.path().join("desktop-till");
    let w = PosWindow::launch(
        &driver,
        &bins.pos,
        &["--data-dir".into(), data.display().to_string()],
    )?;

    // Setup → (catalog downloaded) → Lock → Open shift → Sell.
    w.type_into("setup-hub", &hub.url())?;
    w.type_into("setup-code", &code)?;
    w.click("setup-submit")?;
    w.find_within("pin-input", WAIT_SYNC)?;
    w.type_into("pin-input", CASHIER_PIN)?;
    w.click("pin-submit")?;
    w.type_into("shift-float", "100000")?;
    w.click("shift-open")?;

    // Sale 1, online: scan + Enter, split tender 10,000 cash + card for the rest.
    w.send_keys("scan-input", &format!("{tee_code}\u{E007}"))?;
    w.wait_for(UI_TIMEOUT, "one cart line", |w| {
        Ok(w.find_all("cart-line")?.len() == 1)
    })?;
    w.wait_attr("cart-total", "data-estimated", "false")?;
    w.wait_attr("cart-total", "data-total", "39000")?;
    if std::env::var_os("STORELINK_SCREENSHOTS").is_some_and(|v| v == "1") {
        // The category tiles load on their own; let the window paint them
        // and the cart before the picture.
        w.find("category-grid")?;
        w.settle()?;
        let shot =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots/pos-sell.png");
        w.screenshot(&shot)?;
    }
    w.click("pay-button")?;
    w.type_into("tender-amount", "10000")?;
    w.click("tender-cash")?;
    w.click("tender-card")?;
    w.click("complete-sale")?;
    w.find("sale-done")?;
    let first = w
        .attr("receipt-no", "data-receipt")?
        .context("receipt number")?;
    let tenders = w.find_all("receipt-tender")?;
    assert_eq!(tenders.len(), 2, "cash + card on the receipt");
    w.wait_text("receipt-view", &first)?;
    w.wait_attr("status-online", "data-online", "true")?;
    w.wait_for(WAIT_SYNC, "sale 1 to reach the hub", |w| {
        Ok(w.attr("status-unsent", "data-count")?.as_deref() == Some("0"))
    })?;
    assert_eq!(api.sales_summary(Some("GN01"))?, (1, 39_000));

    // The hub goes away: the till keeps selling.
    hub.kill9();
    w.wait_attr("status-online", "data-online", "false")?;
    w.click("new-sale")?;
    w.send_keys("scan-input", &format!("{cap_code}\u{E007}"))?;
    w.send_keys("scan-input", &format!("{tee_code}\u{E007}"))?;
    w.wait_for(UI_TIMEOUT, "two cart lines", |w| {
        Ok(w.find_all("cart-line")?.len() == 2)
    })?;
    w.wait_attr("cart-total", "data-estimated", "false")?;
    w.wait_attr("cart-total", "data-total", "64000")?;
    w.click("pay-button")?;
    w.click("tender-cash")?;
    w.click("complete-sale")?;
    w.find("sale-done")?;
    let second = w
        .attr("receipt-no", "data-receipt")?
        .context("receipt number")?;
    assert_ne!(first, second);
    w.wait_for(UI_TIMEOUT, "the offline sale to count as unsent", |w| {
        Ok(w.attr("status-unsent", "data-count")?
            .and_then(|c| c.parse::<u64>().ok())
            .is_some_and(|c| c > 0))
    })?;

    // The hub comes back: everything arrives without anyone doing anything.
    hub.restart()?;
    w.wait_for(WAIT_SYNC, "the offline sale to reach the hub", |w| {
        Ok(w.attr("status-unsent", "data-count")?.as_deref() == Some("0"))
    })?;
    w.wait_attr("status-online", "data-online", "true")?;
    let api = HubApi::login(&hub)?;
    assert_eq!(api.sales_summary(Some("GN01"))?, (2, 39_000 + 64_000));
    assert_eq!(api.stock_at(TEE, "GN01")?, 48);
    assert_eq!(api.stock_at(CAP, "GN01")?, 49);

    // The other till of the store sees the stock the app sold.
    other.sync()?;
    assert_eq!(other.stock(TEE)?, 48);
    assert_eq!(other.stock(CAP)?, 49);
    w.close()?;
    Ok(())
}

/// The pids of `storelink-pos` processes running on the till data directory `data`.
fn app_pids(data: &std::path::Path) -> Vec<u32> {
    let want = data.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<String> = raw
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            args.first().is_some_and(|a0| a0.ends_with("storelink-pos")) && args.contains(&want)
        })
        .collect()
}

/// A sale the screen showed as saved survives `kill -9` of the app at that
/// instant: after a restart the till still has it (same receipt), it is
/// still counted as unsent, and when the hub is back it arrives exactly once.
#[test]
fn a_sale_shown_as_saved_survives_kill_9_of_the_app() -> Result<()> {
    let tools = desktop_tools()?;
    let bins = binaries();
    let root = tempfile::tempdir()?;
    let (mut hub, tee_code) = one_store_hub(root.path())?;
    let xvfb = Xvfb::start(&tools)?;
    let driver = TauriDriver::start(&tools, &xvfb.display, root.path())?;
    let data = root.path().join("desktop-till");
    let args = vec!["--data-dir".to_string(), data.display().to_string()];
    let w = enrolled_app_at_sell(&driver, &hub, &data)?;

    // Offline, so the sale can only be on the till's disk.
    hub.kill9();
    w.wait_attr("status-online", "data-online", "false")?;
    w.send_keys("scan-input", &format!("{tee_code}\u{E007}"))?;
    w.wait_attr("cart-total", "data-total", "39000")?;
    w.click("pay-button")?;
    w.click("tender-card")?;
    w.click("complete-sale")?;
    w.find("sale-done")?;
    let receipt = w
        .attr("receipt-no", "data-receipt")?
        .context("receipt number")?;

    // kill -9 the app the moment it says "saved".
    let pids = app_pids(&data);
    assert!(!pids.is_empty(), "found the storelink-pos process");
    for pid in &pids {
        std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()?;
    }
    drop(w);
    let gone = std::time::Instant::now();
    while !app_pids(&data).is_empty() {
        assert!(gone.elapsed() < UI_TIMEOUT, "the app did not die");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Restart: the sale is there and still waiting to be sent.
    let w = PosWindow::launch(&driver, &bins.pos, &args)?;
    w.type_into("pin-input", CASHIER_PIN)?;
    w.click("pin-submit")?;
    w.find("scan-input")?;
    let stored = w.invoke("receipt", json!({ "receipt": receipt }))?;
    assert_eq!(stored["type"], "sale", "{stored}");
    assert_eq!(stored["sale"]["total"], 39_000, "{stored}");
    let status = w.invoke("status", json!({}))?;
    assert!(
        status["unsent_ops"].as_u64().is_some_and(|n| n > 0),
        "the sale is still unsent: {status}"
    );

    // The hub comes back: the sale arrives, once.
    hub.restart()?;
    w.wait_for(WAIT_SYNC, "the sale to reach the hub", |w| {
        Ok(w.invoke("status", json!({}))?["unsent_ops"].as_u64() == Some(0))
    })?;
    let api = HubApi::login(&hub)?;
    assert_eq!(api.sales_summary(Some("GN01"))?, (1, 39_000));
    assert_eq!(api.stock_at(TEE, "GN01")?, 49);
    w.close()?;
    Ok(())
}

/// A hub with Gangnam (GN01), the tee (50 in stock) and the cashier
/// `gn01.kim` with [`CASHIER_PIN`]; returns the hub and the tee's barcode.
fn one_store_hub(root: &std::path::Path) -> Result<(Hub, String)> {
    let hub = Hub::start(&root.join("hub"))?;
    let api = HubApi::login(&hub)?;
    api.create_store("GN01", "Gangnam", "store")?;
    let tee_code = ean13("880123400001");
    api.post_csv(
        "products/import",
        format!(
            "sku,name,price,barcode,style,colour,size,category\n\
             {TEE},Oxford tee black M,39000,{tee_code},TSH-0001,Black,M,Tops\n"
        ),
    )?;
    api.adjust_stock("GN01", TEE, 50)?;
    api.post(
        "users",
        json!({ "username": "gn01.kim", "display_name": "Kim Minji", "role": "cashier",
                "store": "GN01", "pin": CASHIER_PIN }),
    )?;
    Ok((hub, tee_code))
}

/// Launch the app on `data`, enrolled to GN01 from the command line, unlocked
/// by the cashier with a shift open: the Sell screen.
fn enrolled_app_at_sell(
    driver: &TauriDriver,
    hub: &Hub,
    data: &std::path::Path,
) -> Result<PosWindow> {
    let code = HubApi::login(hub)?.enrolment_code("GN01")?;
    let args = vec![
        "--data-dir".to_string(),
        data.display().to_string(),
        "--hub".into(),
        hub.url(),
        "--code".into(),
        code,
    ];
    let w = PosWindow::launch(driver, &binaries().pos, &args)?;
    w.find_within("pin-input", WAIT_SYNC)?;
    w.type_into("pin-input", CASHIER_PIN)?;
    w.click("pin-submit")?;
    w.type_into("shift-float", "100000")?;
    w.click("shift-open")?;
    w.find("scan-input")?;
    Ok(w)
}

/// Chat in the real app: HQ's message reaches the till's Chat screen while it
/// is open, the cashier answers from the composer, and HQ has the answer, once.
#[test]
fn chat_with_hq_from_the_app() -> Result<()> {
    let tools = desktop_tools()?;
    let root = tempfile::tempdir()?;
    let (hub, _) = one_store_hub(root.path())?;
    let api = HubApi::login(&hub)?;
    let xvfb = Xvfb::start(&tools)?;
    let driver = TauriDriver::start(&tools, &xvfb.display, root.path())?;
    let w = enrolled_app_at_sell(&driver, &hub, &root.path().join("desktop-till"))?;

    w.click("nav-chat")?;
    w.find("chat-screen")?;
    api.post(
        "chat/channels/store:GN01/messages",
        json!({ "text": "HQ: please count the black tees" }),
    )?;
    w.wait_for(WAIT_SYNC, "HQ's message on the till's screen", |w| {
        Ok(w.exists("chat-thread")? && w.text("chat-thread")?.contains("count the black tees"))
    })?;

    w.type_into("chat-input", "Counted: 48\u{E007}")?;
    w.wait_for(UI_TIMEOUT, "the cashier's message in the thread", |w| {
        Ok(w.find_all("chat-message")?.len() == 2)
    })?;
    w.wait_for(WAIT_SYNC, "the answer at the hub", |_| {
        let page = api.get("chat/channels/store:GN01/messages?limit=50")?;
        let texts: Vec<String> = page["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(texts.iter().filter(|t| *t == "Counted: 48").count() == 1)
    })?;
    let page = api.get("chat/channels/store:GN01/messages?limit=50")?;
    let mine = page["messages"]
        .as_array()
        .context("messages")?
        .iter()
        .find(|m| m["text"] == "Counted: 48")
        .context("the till's answer")?;
    assert_eq!(mine["side"], "store", "{mine}");
    assert_eq!(
        mine["display_name"], "Kim Minji",
        "the unlocked cashier wrote it: {mine}"
    );
    w.close()?;
    Ok(())
}

/// A limited item in the real app: the cart line shows what this till may still sell, the
/// sale spends it, and the next scan shows the allocation used up with Pay blocked, while
/// the hub counts exactly the one unit sold.
#[test]
fn a_limited_item_shows_its_allocation_and_is_refused_past_it() -> Result<()> {
    let tools = desktop_tools()?;
    let root = tempfile::tempdir()?;
    let (hub, tee_code) = one_store_hub(root.path())?;
    let api = HubApi::login(&hub)?;
    let xvfb = Xvfb::start(&tools)?;
    let driver = TauriDriver::start(&tools, &xvfb.display, root.path())?;
    let w = enrolled_app_at_sell(&driver, &hub, &root.path().join("desktop-till"))?;

    // HQ limits the tee to one unit, all of it at Gangnam (this till is its only one).
    api.post(
        "drops",
        json!({"label": "Collab tee", "sku": TEE, "total": 1, "rule": "manual",
               "manual": {"GN01": 1}, "hold_minutes": 30}),
    )?;
    w.wait_for(WAIT_SYNC, "the till's unit to arrive", |w| {
        let v = w.invoke("limited_status", json!({ "sku": TEE }))?;
        Ok(v["available"] == 1)
    })?;

    w.send_keys("scan-input", &format!("{tee_code}\u{E007}"))?;
    w.wait_attr("line-limited", "data-state", "ok")?;
    w.wait_attr("line-limited", "data-available", "1")?;
    w.wait_attr("cart-total", "data-estimated", "false")?;
    w.click("pay-button")?;
    w.click("tender-card")?;
    w.click("complete-sale")?;
    w.find("sale-done")?;

    w.click("new-sale")?;
    w.send_keys("scan-input", &format!("{tee_code}\u{E007}"))?;
    w.wait_attr("line-limited", "data-state", "used_up")?;
    w.find("limited-blocked")?;
    let pay_disabled = w.script(
        "return document.querySelector('[data-testid=\"pay-button\"]').disabled",
        json!({}),
    )?;
    assert_eq!(pay_disabled, true, "Pay is blocked past the allocation");
    w.wait_for(WAIT_SYNC, "the hub to count the one unit sold", |_| {
        let d = api.get(&format!("drops/sku%3A{TEE}"))?;
        Ok(d["summary"]["sold"] == 1 && d["summary"]["left"] == 0)
    })?;
    w.close()?;
    Ok(())
}
