//! Replenishment and deliveries with a real hub and a real till process (issue 5): a store
//! manager requests stock while the hub is down; the request reaches HQ when the till syncs
//! again; HQ approves fewer, ships, picks and dispatches (warehouse → in transit); the till
//! learns its delivery and, once the driver is moving, the ETA (`Frame::DeliveryEta`); HQ marks
//! the arrival; the store counts the delivery in — with the receiving process `kill -9`ed
//! mid-flight and the sync daemon `kill -9`ed right after the hub took the receiving — and
//! the hub ends with exactly one receiving, stock moved once (in transit → store), a second
//! receive refused.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use storelink_tests::{Hub, PRODUCTS, START_STOCK, SmallChain, Till, wait_until};

const TEE: &str = PRODUCTS[0].0;
const JEANS: &str = PRODUCTS[1].0;
const DRIVER: &str = "park.driver";
const DRIVER_PASSWORD: &str = "driver-password-123";
/// Gangnam's position for the geofence and the ETA (a truck ~3 km north of it).
const GN01_AT: (f64, f64) = (37.4979, 127.0276);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn json_of(till: &Till, args: &[&str]) -> Result<Value> {
    Ok(serde_json::from_str(&till.ok(args)?)?)
}

/// A request with a bearer token outside `HubApi` (PATCH, or as the driver).
fn send(hub: &Hub, method: reqwest::Method, path: &str, token: &str, body: Value) -> Result<Value> {
    let resp = reqwest::blocking::Client::new()
        .request(method.clone(), format!("{}/api/v1/{path}", hub.url()))
        .bearer_auth(token)
        .json(&body)
        .send()?;
    if !resp.status().is_success() {
        bail!("{method} {path} → {}: {}", resp.status(), resp.text()?);
    }
    Ok(resp.json()?)
}

fn driver_token(hub: &Hub) -> Result<String> {
    let v: Value = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/login", hub.url()))
        .json(&json!({"username": DRIVER, "password": DRIVER_PASSWORD}))
        .send()?
        .json()?;
    Ok(v["token"].as_str().context("driver token")?.to_owned())
}

/// The hub's receivings of Gangnam.
fn receivings(chain: &SmallChain) -> Result<Vec<Value>> {
    Ok(chain
        .api
        .get("receivings?store=GN01")?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn received_here(till: &Till, shipment: &str) -> Result<bool> {
    let list = json_of(till, &["deliveries", "--json"])?;
    Ok(list
        .as_array()
        .and_then(|l| l.iter().find(|d| d["shipment"] == shipment))
        .is_some_and(|d| d["received"] == true))
}

#[test]
fn a_request_from_an_offline_till_comes_back_as_stock_on_its_shelf_once() -> Result<()> {
    let mut chain = SmallChain::start()?;
    for (sku, _, _) in PRODUCTS {
        chain.api.adjust_stock("WH01", sku, 50)?;
    }
    chain.api.post(
        "users",
        json!({"username": DRIVER, "display_name": "Park Driver", "role": "driver",
               "password": DRIVER_PASSWORD}),
    )?;
    send(
        &chain.hub,
        reqwest::Method::PATCH,
        "stores/GN01/location",
        chain.api.token(),
        json!({"lat": GN01_AT.0, "lon": GN01_AT.1, "geofence_m": 120.0}),
    )?;
    let till = chain.till("gn-till", "GN01")?;

    // 1. The hub is down; the store manager asks for stock anyway.
    chain.hub.kill9();
    let order = json_of(
        &till,
        &[
            "request-stock",
            &format!("{TEE}=12"),
            &format!("{JEANS}=4"),
            "--note",
            "weekend promotion",
            "--by",
            "Manager Kim",
            "--json",
        ],
    )?;
    let order_id = order["id"].as_str().context("order id")?.to_owned();
    assert_eq!(order["status"], "requested");
    let offline = till.run(&["sync", "--once"])?;
    assert_eq!(offline.status.code(), Some(2), "hub unreachable");
    assert_eq!(
        till.status()?["unsent_ops"],
        1,
        "the order waits in the outbox"
    );

    // 2. The hub is back: the next sync brings the order to HQ.
    chain.hub.restart()?;
    till.sync()?;
    let at_hq = chain.api.get(&format!("replenishment/orders/{order_id}"))?;
    assert_eq!(at_hq["origin"], "store");
    assert_eq!(at_hq["status"], "requested");
    assert_eq!(at_hq["placed_by"], "Manager Kim");
    assert_eq!(at_hq["note"], "weekend promotion");

    // 3. HQ approves fewer tees, ships, picks, dispatches with a driver.
    let approved = chain.api.post(
        &format!("replenishment/orders/{order_id}/approve"),
        json!({"lines": [{"sku": TEE, "qty": 10}, {"sku": JEANS, "qty": 4}]}),
    )?;
    assert_eq!(approved["status"], "approved");
    let shipment = chain.api.post("shipments", json!({"orders": [order_id]}))?["id"]
        .as_str()
        .context("shipment id")?
        .to_owned();
    chain
        .api
        .post(&format!("shipments/{shipment}/pick"), json!({}))?;
    chain.api.post(
        &format!("shipments/{shipment}/dispatch"),
        json!({"driver": DRIVER, "vehicle": "서울12가3456"}),
    )?;
    assert_eq!(chain.api.stock_at(TEE, "WH01")?, 40);
    assert_eq!(chain.api.stock_at(TEE, "TR-GN01")?, 10);

    // 4. The till learns its delivery and the approved quantities.
    till.sync()?;
    let d = json_of(&till, &["deliveries", "--json"])?[0].clone();
    assert_eq!(d["shipment"], shipment.as_str());
    assert_eq!(d["status"], "dispatched");
    assert_eq!(d["driver_name"], "Park Driver");
    let lines: Vec<(String, i64)> = d["lines"]
        .as_array()
        .context("lines")?
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap_or_default().to_owned(),
                l["qty"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert!(lines.contains(&(TEE.to_owned(), 10)), "{lines:?}");
    assert!(lines.contains(&(JEANS.to_owned(), 4)), "{lines:?}");
    let o = json_of(&till, &["orders", "--json"])?[0].clone();
    assert_eq!(o["status"], "dispatched");
    assert_eq!(o["shipment"], shipment.as_str());

    // 5. The driver starts and moves ~3 km north of the store: the till gets the ETA on its
    //    next connection (a live frame, not an op).
    let token = driver_token(&chain.hub)?;
    send(
        &chain.hub,
        reqwest::Method::POST,
        &format!("driver/shipments/{shipment}/start"),
        &token,
        json!({}),
    )?;
    let t = now_ms();
    let point = |ts: i64, lat: f64| {
        json!({"ts_ms": ts, "lat": lat, "lon": GN01_AT.1, "accuracy_m": 8.0, "speed_mps": 10.0,
               "heading_deg": 180.0, "altitude_m": null, "battery_pct": 80.0})
    };
    send(
        &chain.hub,
        reqwest::Method::POST,
        "driver/positions",
        &token,
        json!({"shipment": shipment, "points": [point(t - 2_000, 37.5251), point(t - 1_000, 37.5250)]}),
    )?;
    let before = now_ms();
    wait_until(Duration::from_secs(20), || {
        till.sync().is_ok()
            && json_of(&till, &["deliveries", "--json"])
                .map(|v| v[0]["eta_ms"].is_i64())
                .unwrap_or(false)
    })?;
    let d = json_of(&till, &["deliveries", "--json"])?[0].clone();
    let distance = d["distance_m"].as_i64().context("distance")?;
    assert!((2_500..=3_500).contains(&distance), "{d}");
    let eta = d["eta_ms"].as_i64().context("eta")?;
    // ~3 km at 10 m/s ≈ 5 minutes (the till shifts it onto its own clock, same machine here).
    assert!(
        eta > before + 3 * 60_000 && eta < before + 8 * 60_000,
        "eta in {} s: {d}",
        (eta - before) / 1000
    );

    // 6. HQ marks the arrival: the till shows it, no ETA any more.
    chain.api.post(
        &format!("shipments/{shipment}/stops/GN01/arrive"),
        json!({}),
    )?;
    till.sync()?;
    let d = json_of(&till, &["deliveries", "--json"])?[0].clone();
    assert_eq!(d["status"], "arrived");
    assert!(d["arrived_ms"].is_i64(), "{d}");
    assert!(d["eta_ms"].is_null(), "{d}");

    // 7. The store counts it in: 9 tees (1 damaged), 4 jeans. The receiving process is
    //    killed at growing delays until one committed (or it never got far enough).
    let counted = [
        "receive".to_owned(),
        shipment.clone(),
        format!("{TEE}=9/1"),
        format!("{JEANS}=4"),
        "--by".to_owned(),
        "Lee Clerk".to_owned(),
    ];
    let counted: Vec<&str> = counted.iter().map(String::as_str).collect();
    let mut kills = 0;
    for delay_ms in [1u64, 5, 15, 30, 60, 120] {
        let mut child = till
            .command(&counted)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill()?; // SIGKILL
        child.wait()?;
        kills += 1;
        if received_here(&till, &shipment)? {
            break;
        }
    }
    if !received_here(&till, &shipment)? {
        till.ok(&counted)?;
    }
    eprintln!("receiving committed after {kills} kill -9 attempt(s)");
    let again = till.run(&counted)?;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already received"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // 8. The sync daemon is killed as soon as the hub has taken the receiving (its ack may
    //    not have reached the till's file); a plain sync then finishes the job.
    let mut daemon = till
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    wait_until(Duration::from_secs(30), || {
        receivings(&chain).map(|r| !r.is_empty()).unwrap_or(false)
    })?;
    daemon.kill()?;
    daemon.wait()?;
    eprintln!(
        "daemon killed {} ms after start",
        started.elapsed().as_millis()
    );
    till.sync()?;
    assert_eq!(till.status()?["unsent_ops"], 0);

    // Exactly one receiving at HQ, stock moved once: in transit emptied, the shelf +good.
    let list = receivings(&chain)?;
    assert_eq!(list.len(), 1, "{list:?}");
    let r = &list[0];
    assert_eq!(r["duplicate"], false);
    assert_eq!(r["received_by"], "Lee Clerk");
    assert_eq!(r["has_discrepancy"], true);
    let tee = r["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["sku"] == TEE))
        .context("tee line")?;
    assert_eq!(
        (
            &tee["expected"],
            &tee["received"],
            &tee["damaged"],
            &tee["shortage"]
        ),
        (&json!(10), &json!(9), &json!(1), &json!(1))
    );
    assert_eq!(chain.api.stock_at(TEE, "TR-GN01")?, 0);
    assert_eq!(chain.api.stock_at(JEANS, "TR-GN01")?, 0);
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK + 8);
    assert_eq!(chain.api.stock_at(JEANS, "GN01")?, START_STOCK + 4);
    assert_eq!(chain.api.stock_at(TEE, "WH01")?, 40);
    let s = chain.api.get(&format!("shipments/{shipment}"))?;
    assert_eq!(s["status"], "received", "{s}");
    let o = chain.api.get(&format!("replenishment/orders/{order_id}"))?;
    assert_eq!(o["status"], "received");

    // The till agrees.
    assert_eq!(till.stock(TEE)?, START_STOCK + 8);
    let d = json_of(&till, &["deliveries", "--json"])?[0].clone();
    assert_eq!(d["status"], "received");
    assert_eq!(d["receiving"]["shortage_units"], 1);
    Ok(())
}
