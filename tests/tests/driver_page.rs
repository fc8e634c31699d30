//! Browser end to end of the driver page (issue 5, "Drive"): the real hub serves the built
//! page at `/driver`; `ui/driver/e2e/driver.e2e.mjs` sets up a dispatched shipment over REST
//! and drives a phone-sized Debian Chromium (playwright-core, geolocation emulation) through
//! login, Start, the Arrived button at stop 1, and a drive to stop 2 that is offline for part
//! of the way. Then this test checks at the hub, over REST, what the phone sent:
//! - the shipment's track is every emulated position, each once, in the order driven
//!   (including those measured offline and sent later in one batch);
//! - stop 2 was marked arrived by the geofence, at the time of the first position inside it;
//! - stop 1 was marked by the driver.
//!
//! Screenshots and failure files go to `target/tmp/driver_page/work/`.
//! Needs `/usr/bin/chromium` and `ui/driver/node_modules` + `ui/driver/dist`:
//! `cargo xtask setup && cargo xtask ui` (both part of `cargo xtask test`).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde::Deserialize;
use serde_json::Value;
use storelink_tests::HubApi;
use storelink_tests::browser_e2e::{driver_dir, run_ui_script};
use sync_proto::gps::{GpsPoint, inside_geofence};

/// The whole scenario normally takes 20-60 s.
const E2E_TIMEOUT: Duration = Duration::from_secs(300);
/// Two coordinates are the same point (they went through JSON and SQLite REAL unchanged).
const SAME_DEG: f64 = 1e-9;

/// A store of the scenario, as the script wrote it.
#[derive(Deserialize)]
struct ScenarioStore {
    code: String,
    lat: f64,
    lon: f64,
}

/// A position the script gave the phone.
#[derive(Deserialize)]
struct Emulated {
    lat: f64,
    lon: f64,
}

/// What `driver.e2e.mjs` did (`WORK_DIR/route.json`).
#[derive(Deserialize)]
struct Driven {
    shipment: String,
    driver: String,
    first: ScenarioStore,
    second: ScenarioStore,
    points: Vec<Emulated>,
    offline: [usize; 2],
}

/// The shipment's track at the hub.
#[derive(Deserialize)]
struct Track {
    driver: String,
    points: Vec<GpsPoint>,
}

fn stop<'a>(shipment: &'a Value, store: &str) -> Result<&'a Value> {
    shipment["stops"]
        .as_array()
        .and_then(|stops| stops.iter().find(|s| s["store"] == store))
        .with_context(|| format!("stop {store} in {shipment}"))
}

#[test]
fn driver_logs_in_drives_offline_and_back_and_the_hub_has_the_whole_track() -> Result<()> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("driver_page");
    let hub = run_ui_script(&driver_dir(), "e2e/driver.e2e.mjs", &dir, E2E_TIMEOUT)?;
    let driven: Driven = serde_json::from_str(
        &std::fs::read_to_string(dir.join("work").join("route.json"))
            .context("the script writes route.json when it passes")?,
    )?;
    let api = HubApi::login(&hub)?;

    // Every emulated position, once each, in the order driven.
    let track: Track = serde_json::from_value(api.get(&format!(
        "shipments/{}/track?max_points=50000",
        driven.shipment
    ))?)?;
    assert_eq!(track.driver, driven.driver);
    let got: Vec<(f64, f64)> = track.points.iter().map(|p| (p.lat, p.lon)).collect();
    let want: Vec<(f64, f64)> = driven.points.iter().map(|p| (p.lat, p.lon)).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "the hub's track has {} points, the phone was moved through {} (offline for points {:?}):\n{got:?}",
        got.len(),
        want.len(),
        driven.offline
    );
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        ensure!(
            (g.0 - w.0).abs() < SAME_DEG && (g.1 - w.1).abs() < SAME_DEG,
            "point {i}: the hub has {g:?}, the phone was at {w:?}"
        );
    }
    for pair in track.points.windows(2) {
        ensure!(
            pair[0].ts_ms < pair[1].ts_ms,
            "the track is in time order without repeated timestamps: {} then {}",
            pair[0].ts_ms,
            pair[1].ts_ms
        );
    }
    for p in &track.points {
        assert_eq!(p.accuracy_m, Some(8.0), "the accuracy the phone reported");
    }

    // Stop 2 arrived by the geofence, at the first position inside it; stop 1 by the driver.
    let shipment = api.get(&format!("shipments/{}", driven.shipment))?;
    let second = stop(&shipment, &driven.second.code)?;
    let radius = second["radius_m"].as_f64().context("radius_m")?;
    let first_inside = track
        .points
        .iter()
        .find(|p| inside_geofence(p, driven.second.lat, driven.second.lon, radius))
        .context("the route ends inside stop 2's geofence")?;
    assert_eq!(second["status"], "arrived", "stop 2: {second}");
    assert_eq!(second["arrived_by"], "geofence", "stop 2: {second}");
    assert_eq!(
        second["arrived_ms"].as_i64(),
        Some(first_inside.ts_ms),
        "arrived at the first position inside the geofence: {second}"
    );
    let first = stop(&shipment, &driven.first.code)?;
    assert_eq!(first["status"], "arrived", "stop 1: {first}");
    assert_eq!(
        first["arrived_by"],
        driven.driver.as_str(),
        "stop 1: {first}"
    );
    let first_at = first["arrived_ms"].as_i64().context("stop 1 arrived_ms")?;
    ensure!(
        first_at < first_inside.ts_ms,
        "stop 1 ({first}) was reached before stop 2 ({second})"
    );
    // The first stop has no geofence arrival: the route never came near it.
    ensure!(
        !track.points.iter().any(|p| inside_geofence(
            p,
            driven.first.lat,
            driven.first.lon,
            first["radius_m"].as_f64().unwrap_or(150.0)
        )),
        "the route must stay out of stop 1's geofence for the button to be what marked it"
    );
    Ok(())
}
