//! The demo chain's deliveries (issue 5), so the console's Replenishment, Shipments and Live map
//! pages, the driver page and the tills' delivery banner are alive on first start.
//!
//! - Every store and the warehouse get their real Seoul position and a 150 m geofence.
//! - `demo.driver` (a driver account) can log in on the driver page (`/driver`).
//! - A delivery runs on its own thread, round after round: a store manager asks for stock at a
//!   till (`request-stock`, synced by the till's daemon), HQ approves it, builds a shipment,
//!   picks and dispatches it to `demo.driver`, the simulated truck drives from the warehouse
//!   at one position a second (posted to the driver endpoint like the driver page does), the
//!   hub's geofence marks the store arrived, and the till counts the delivery in
//!   (`receive`), one unit short so HQ sees a discrepancy.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::demo::{Api, Product};
use crate::process;

/// The demo driver's username (password: the demo staff password).
pub const DRIVER: &str = "demo.driver";
/// The demo truck.
const VEHICLE: &str = "78라 1234";
/// Where the demo's warehouse and stores are (WGS 84).
const PLACES: [(&str, f64, f64); 11] = [
    ("WH01", 37.4846, 126.8965),
    ("GN01", 37.4979, 127.0276),
    ("HD02", 37.5563, 126.9236),
    ("MD03", 37.5636, 126.9827),
    ("JS04", 37.5133, 127.1001),
    ("SC05", 37.5551, 126.9368),
    ("YD06", 37.5219, 126.9245),
    ("KK07", 37.5404, 127.0692),
    ("IT08", 37.5345, 126.9946),
    ("SS09", 37.5446, 127.0557),
    ("MK10", 37.5268, 126.8750),
];
/// The truck's speed in the demo, m/s (a clear urban expressway).
const SPEED_MPS: f64 = 22.0;

/// Place the stores on the map and create the driver account.
pub fn seed(api: &Api, driver_password: &str) -> Result<()> {
    for (code, lat, lon) in PLACES {
        api.patch(
            &format!("stores/{code}/location"),
            json!({"lat": lat, "lon": lon, "geofence_m": 150}),
        )?;
    }
    api.post(
        "users",
        json!({"username": DRIVER, "display_name": "Choi Driver", "role": "driver",
               "password": driver_password}),
    )?;
    Ok(())
}

/// A till the delivery loop may ask and receive at.
pub struct DeliveryTill {
    /// Its name in the demo.
    pub name: &'static str,
    /// Its store.
    pub store: &'static str,
    /// Its data directory.
    pub dir: PathBuf,
}

impl DeliveryTill {
    fn cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(process::target_bin("debug", "pos-agent"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "{}: pos-agent {}: {}",
                self.name,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// The delivery loop, running until `stop` is set.
pub fn start(
    api: Api,
    url: String,
    driver_password: String,
    tills: Vec<DeliveryTill>,
    products: &[Product],
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    let skus: Vec<String> = products.iter().take(30).map(|p| p.sku.clone()).collect();
    std::thread::spawn(move || {
        let mut round = 0usize;
        while !stop.load(Ordering::Relaxed) && !tills.is_empty() {
            let till = &tills[round % tills.len()];
            match deliver(&api, &url, &driver_password, till, &skus, round, &stop) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("🚚 delivery to {} stopped: {e:#}", till.store),
            }
            round += 1;
            sleep_unless(&stop, Duration::from_secs(10));
        }
    })
}

/// One round: request → approve → ship → pick → dispatch → drive → arrive → receive.
fn deliver(
    api: &Api,
    url: &str,
    driver_password: &str,
    till: &DeliveryTill,
    skus: &[String],
    round: usize,
    stop: &AtomicBool,
) -> Result<String> {
    let lines: Vec<(String, u32)> = (0..3)
        .map(|k| {
            (
                skus[(round * 7 + k * 5) % skus.len()].clone(),
                6 + 3 * k as u32,
            )
        })
        .collect();
    let mut args = vec!["request-stock".to_owned()];
    args.extend(lines.iter().map(|(s, q)| format!("{s}={q}")));
    args.extend(["--by".into(), "demo manager".into(), "--json".into()]);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let order: Value = serde_json::from_str(&till.cli(&arg_refs)?)?;
    let order_id = order["id"].as_str().context("order id")?.to_owned();
    println!(
        "📦 {} asked the warehouse for stock (order {order_id})",
        till.name
    );

    // The till's daemon pushes the order; HQ approves it once it is there.
    wait_for(stop, Duration::from_secs(60), || {
        Ok(api.get(&format!("replenishment/orders/{order_id}")).is_ok())
    })?;
    api.post(
        &format!("replenishment/orders/{order_id}/approve"),
        json!({}),
    )?;
    let shipment = api.post("shipments", json!({"orders": [order_id]}))?;
    let shipment_id = shipment["id"].as_str().context("shipment id")?.to_owned();
    api.post(&format!("shipments/{shipment_id}/pick"), json!({}))?;
    api.post(
        &format!("shipments/{shipment_id}/dispatch"),
        json!({"driver": DRIVER, "vehicle": VEHICLE}),
    )?;
    println!(
        "🚚 HQ dispatched shipment {shipment_id} to {} with {DRIVER} ({VEHICLE})",
        till.store
    );

    drive(url, driver_password, &shipment_id, till.store, stop)?;
    wait_for(stop, Duration::from_secs(60), || {
        let s = api.get(&format!("shipments/{shipment_id}"))?;
        Ok(s["stops"][0]["arrived_ms"].is_number())
    })?;
    // The till has the delivery once its daemon pulled it; count it in, one unit short.
    wait_for(stop, Duration::from_secs(60), || {
        Ok(till.cli(&["deliveries"])?.contains(&shipment_id))
    })?;
    let mut counted: Vec<String> = lines.iter().map(|(s, q)| format!("{s}={q}")).collect();
    if let Some((sku, qty)) = lines.first() {
        counted[0] = format!("{sku}={}", qty - 1);
    }
    let mut args = vec!["receive", shipment_id.as_str()];
    args.extend(counted.iter().map(String::as_str));
    args.extend(["--by", "demo manager", "--note", "one box was light"]);
    till.cli(&args)?;
    Ok(format!(
        "✅ {} received shipment {shipment_id} (one unit short: HQ sees it under Discrepancies)",
        till.name
    ))
}

/// The simulated truck: log in as the driver, Start, then post one position a second along a
/// straight road from the warehouse until inside the store's geofence.
fn drive(url: &str, password: &str, shipment: &str, store: &str, stop: &AtomicBool) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": DRIVER, "password": password}))
        .send()?
        .error_for_status()?
        .json()?;
    let token = login["token"].as_str().context("driver token")?;
    http.post(format!("{url}/api/v1/driver/shipments/{shipment}/start"))
        .bearer_auth(token)
        .send()?
        .error_for_status()?;
    let from = place("WH01")?;
    let to = place(store)?;
    let steps = (distance_m(from, to) / SPEED_MPS).ceil().max(1.0) as usize;
    for i in 1..=steps {
        if stop.load(Ordering::Relaxed) {
            bail!("the demo is stopping");
        }
        let t = i as f64 / steps as f64;
        let point = json!({
            "ts_ms": now_ms(),
            "lat": from.0 + (to.0 - from.0) * t,
            "lon": from.1 + (to.1 - from.1) * t,
            "accuracy_m": 8.0, "speed_mps": SPEED_MPS, "heading_deg": null,
            "altitude_m": null, "battery_pct": 80.0,
        });
        http.post(format!("{url}/api/v1/driver/positions"))
            .bearer_auth(token)
            .json(&json!({"shipment": shipment, "points": [point]}))
            .send()?
            .error_for_status()?;
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

fn place(code: &str) -> Result<(f64, f64)> {
    PLACES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, lat, lon)| (*lat, *lon))
        .with_context(|| format!("no demo position for {code}"))
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    sync_proto::gps::distance_m(a.0, a.1, b.0, b.1)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn wait_for(
    stop: &AtomicBool,
    limit: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if stop.load(Ordering::Relaxed) {
            bail!("the demo is stopping");
        }
        if done().unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("gave up after {} s", limit.as_secs())
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let deadline = std::time::Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
}
