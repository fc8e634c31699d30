//! `cargo xtask pos`: the POS desktop app against the demo chain.
//!
//! Runs the demo (`demo::run_with`: hub, seeded Seoul chain, headless tills
//! selling) and, once it sells live, enrols a fresh desktop till to store
//! GN01 (`storelink-pos --data-dir demo-data/desktop --hub URL --code CODE`)
//! and opens its window. Closing the app ends the demo, which then checks
//! that the hub and every till agree. Needs a display: without `DISPLAY`
//! (or `WAYLAND_DISPLAY`) it says how to get one instead of failing later.

use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::demo::{self, Api, DemoArgs};
use crate::demo_people::STORE_PEOPLE;
use crate::process;

/// The store the desktop till is enrolled to.
const STORE: &str = "GN01";

/// Run it.
pub fn run(args: DemoArgs) -> Result<()> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !has_display {
        bail!(
            "cargo xtask pos opens the POS app's window, but there is no display \
             (DISPLAY/WAYLAND_DISPLAY unset). Run it in a desktop session, or under a \
             virtual one: `xvfb-run -a cargo xtask pos` (packages from `cargo xtask setup`). \
             For the headless demo use `cargo xtask demo`."
        );
    }
    let data = args
        .data_dir()
        .unwrap_or_else(|| process::workspace_root().join("demo-data"));
    let app_data = data.join("desktop");
    let password = args.admin_password().to_owned();
    let hook: demo::DemoHook = Box::new(move |url: &str| {
        let api = Api::login(url, &password)?;
        let code = api.post(&format!("stores/{STORE}/enrolment-codes"), json!({}))?;
        let code = code["code"].as_str().context("enrolment code")?.to_owned();
        println!();
        println!(
            "Storelink POS: till of {STORE}, data in {}",
            app_data.display()
        );
        for (suffix, name, role, pin) in STORE_PEOPLE {
            let user = format!("{}.{suffix}", STORE.to_lowercase());
            println!("  PIN {pin}  {user}, {name} ({role})");
        }
        println!("Close the app window to stop the demo.");
        let bin = process::target_bin("debug", "storelink-pos");
        let status = Command::new(&bin)
            .arg("--data-dir")
            .arg(&app_data)
            .args(["--hub", url, "--code", &code])
            .status()
            .with_context(|| format!("starting {}", bin.display()))?;
        if !status.success() {
            bail!("storelink-pos exited with {status}");
        }
        Ok(())
    });
    demo::run_with(args, Some(hook))
}
