//! Driver GPS at the hub (issue 5), end to end over HTTP and the WebSockets: the filter's
//! reasons, an offline hour in one batch (in order, idempotent, late points), the OsmAnd /
//! Traccar endpoint, the geofence arrival, delivery ETAs at a connected till, live positions
//! to HQ consoles (not to store managers) and acknowledged points surviving a restart.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use sync_proto::OpBody;
use sync_proto::logistics::{Lifecycle, Subject};

const DRIVER: &str = "park.driver";

fn now() -> i64 {
    hub_server::now_ms() as i64
}

fn point(ts_ms: i64, lat: f64, lon: f64) -> Value {
    json!({"ts_ms": ts_ms, "lat": lat, "lon": lon, "accuracy_m": 6.0,
           "speed_mps": null, "heading_deg": null, "altitude_m": null, "battery_pct": 80.0})
}

/// A drive north at 10 m/s from `lat0`, one point a second: the point of second `i`.
fn north(base: i64, lat0: f64, i: i64) -> Value {
    point(base + i * 1000, lat0 + i as f64 * 0.00009, 127.0276)
}

async fn positions(d: &As<'_>, shipment: Option<&str>, points: Vec<Value>) -> Value {
    let (s, v) = d
        .post(
            "driver/positions",
            json!({"shipment": shipment, "points": points}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn track(hub: &TestHub, driver: &str) -> Vec<i64> {
    let (s, v) = hub
        .get(&format!(
            "drivers/{driver}/track?from_ms=0&to_ms={}&max_points=50000",
            now() + 600_000
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    v["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["ts_ms"].as_i64().expect("ts"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_drops_bad_points_and_says_why() {
    let hub = TestHub::start().await;
    let d = driver(&hub, DRIVER, "Park").await;
    let base = now() - 600_000;
    let mut pts: Vec<Value> = (0..10).map(|i| north(base, 37.40, i)).collect();
    pts.push(point(base + 20_000, 95.0, 127.0)); // latitude out of range
    pts.push(point(base + 21_000, 0.0, 0.0)); // null island
    pts.push(point(now() + 600_000, 37.40, 127.0276)); // ten minutes ahead
    pts.push(point(now() - 100 * 86_400_000, 37.40, 127.0276)); // past the retention
    let mut vague = point(base + 22_000, 37.4009, 127.0276);
    vague["accuracy_m"] = json!(500.0);
    pts.push(vague);
    pts.push(point(base + 10_500, 38.5, 127.0276)); // 120 km in half a second
    pts.push(north(base, 37.40, 3)); // the same point twice
    let out = positions(&d, None, pts).await;
    assert_eq!(out["stored"], 10, "{out}");
    assert_eq!(out["duplicates"], 1, "{out}");
    assert_eq!(
        out["rejected"],
        json!({"invalid_coordinates": 2, "future_timestamp": 1, "too_old": 1,
               "inaccurate": 1, "impossible_jump": 1})
    );
    assert_eq!(out["newest_ts_ms"], base + 9_000);
    assert_eq!(track(&hub, DRIVER).await.len(), 10);
    let metrics = hub
        .http
        .get(format!("{}/metrics", hub.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("storelink_hub_gps_points_rejected_total{reason=\"impossible_jump\"} 1"),
        "{metrics}"
    );
    assert_refused(
        d.post("driver/positions", json!({"shipment": null, "points": []}))
            .await,
        400,
        "invalid_input",
    );
    let too_many: Vec<Value> = (0..10_001).map(|i| north(base, 37.40, i)).collect();
    assert_refused(
        d.post(
            "driver/positions",
            json!({"shipment": null, "points": too_many}),
        )
        .await,
        413,
        "too_many_points",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_hour_arrives_in_one_batch_once_and_late_points_fill_in() {
    let hub = TestHub::start().await;
    let d = driver(&hub, DRIVER, "Park").await;
    let base = now() - 3_700_000;
    let gap = 1800..1806;
    // Shuffled (a stride through the hour), six seconds missing in the middle.
    let mut hour: Vec<Value> = Vec::new();
    for k in 0..3600i64 {
        let i = (k * 1_237) % 3600;
        if !gap.contains(&i) {
            hour.push(north(base, 37.30, i));
        }
    }
    let out = positions(&d, None, hour.clone()).await;
    assert_eq!(out["stored"], 3594, "{out}");
    assert_eq!(out["rejected"], json!({}));
    assert_eq!(out["newest_ts_ms"], base + 3_599_000);
    let stored = track(&hub, DRIVER).await;
    assert_eq!(stored.len(), 3594);
    assert!(stored.windows(2).all(|w| w[0] < w[1]), "in time order");

    // The phone did not hear the answer and sends the hour again: nothing doubles.
    let again = positions(&d, None, hour).await;
    assert_eq!(again["stored"], 0, "{again}");
    assert_eq!(again["duplicates"], 3594);
    assert_eq!(track(&hub, DRIVER).await.len(), 3594);

    // The six missing seconds come late, out of order: stored in their place.
    let late: Vec<Value> = gap.clone().rev().map(|i| north(base, 37.30, i)).collect();
    let out = positions(&d, None, late).await;
    assert_eq!(out["stored"], 6, "{out}");
    let stored = track(&hub, DRIVER).await;
    assert_eq!(stored.len(), 3600);
    assert_eq!(stored[1800], base + 1_800_000);
    // A thinned track keeps its ends.
    let (_, thin) = hub
        .get(&format!(
            "drivers/{DRIVER}/track?from_ms={base}&to_ms={}&max_points=100",
            base + 3_600_000
        ))
        .await;
    let thin = thin["points"].as_array().expect("points");
    assert!(thin.len() <= 100 && thin.len() >= 50, "{}", thin.len());
    assert_eq!(thin[thin.len() - 1]["ts_ms"], base + 3_599_000);
    hub.stop().await;
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a whole second.
fn iso(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000);
    let s = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        hub_server::api::reports::date_text(day),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osmand_trackers_report_with_their_key() {
    let hub = TestHub::start().await;
    driver(&hub, DRIVER, "Park").await;
    let (s, dev) = hub
        .post(
            &format!("drivers/{DRIVER}/devices"),
            json!({"device_id": "truck-7"}),
        )
        .await;
    assert_eq!(s, 201, "{dev}");
    let key = dev["key"].as_str().expect("key").to_owned();
    let (_, list) = hub.get(&format!("drivers/{DRIVER}/devices")).await;
    assert_eq!(list[0]["device_id"], "truck-7");
    assert!(list[0].get("key").is_none(), "the key is shown once");

    let t_s = (now() - 120_000) / 1000 * 1000;
    let t_ms = now() - 60_000;
    let t_iso = (now() - 30_000) / 1000 * 1000;
    // Seconds, speed in knots, query string.
    let r = hub
        .http
        .get(format!(
            "{}/api/v1/gps/osmand?id=truck-7&lat=37.5&lon=127.01&timestamp={}&speed=10&bearing=90&altitude=31&accuracy=7&batt=66&key={key}",
            hub.url,
            t_s / 1000
        ))
        .send()
        .await
        .expect("osmand");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("text"), "OK");
    // Milliseconds, form body, at /osmand.
    let r = hub
        .http
        .post(format!("{}/osmand", hub.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "id=truck-7&lat=37.5005&lon=127.01&timestamp={t_ms}&key={key}"
        ))
        .send()
        .await
        .expect("osmand");
    assert_eq!(r.status(), 200);
    // ISO 8601, the key as the HTTP Basic password (Traccar Client), POST with a query.
    let r = hub
        .http
        .post(format!(
            "{}/api/v1/gps/osmand?id=truck-7&lat=37.501&lon=127.01&timestamp={}",
            hub.url,
            iso(t_iso)
        ))
        .basic_auth("truck-7", Some(&key))
        .send()
        .await
        .expect("osmand");
    assert_eq!(r.status(), 200);

    let (_, t) = hub
        .get(&format!("drivers/{DRIVER}/track?from_ms=0&to_ms={}", now()))
        .await;
    let pts = t["points"].as_array().expect("points");
    let ts: Vec<i64> = pts
        .iter()
        .map(|p| p["ts_ms"].as_i64().expect("ts"))
        .collect();
    assert_eq!(ts, vec![t_s, t_ms, t_iso]);
    let speed = pts[0]["speed_mps"].as_f64().expect("speed");
    assert!((speed - 5.144).abs() < 0.01, "{speed}");
    assert_eq!(pts[0]["heading_deg"], 90.0);
    assert_eq!(pts[0]["battery_pct"], 66.0);

    let status = |q: String| {
        let http = hub.http.clone();
        let url = format!("{}/api/v1/gps/osmand?{q}", hub.url);
        async move {
            http.get(url)
                .send()
                .await
                .expect("osmand")
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status("id=truck-7&lat=37.5&lon=127&key=wrong".into()).await,
        401
    );
    assert_eq!(
        status(format!("id=truck-8&lat=37.5&lon=127&key={key}")).await,
        401
    );
    assert_eq!(status("id=truck-7&lat=37.5&lon=127".into()).await, 401);
    assert_eq!(
        status(format!("id=truck-7&lat=north&lon=127&key={key}")).await,
        400
    );
    assert_eq!(status(format!("id=truck-7&lon=127&key={key}")).await, 400);
    assert_eq!(
        status(format!(
            "id=truck-7&lat=37.5&lon=127&timestamp=teatime&key={key}"
        ))
        .await,
        400
    );
    // Deleted: its key no longer works.
    let r = hub
        .http
        .delete(hub.api(&format!("drivers/{DRIVER}/devices/truck-7")))
        .bearer_auth(&hub.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    assert_eq!(
        status(format!("id=truck-7&lat=37.5&lon=127&key={key}")).await,
        401
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truck_approaching_a_store_is_seen_live_and_arrives_once() {
    let hub = TestHub::start().await;
    seed_logistics(&hub, 100).await;
    let d = driver(&hub, DRIVER, "Park Driver").await;
    let mgr = user_session(&hub, "kim.manager", "store_manager", Some("GN01")).await;
    let mut till = LogiTill::open(&hub, "GN01").await;
    let order = approved_order(&hub, "GN01", &[("TSH-001", 5)]).await;
    let s = dispatched(&hub, &[&order], DRIVER).await;
    let id = s["id"].as_str().expect("id").to_owned();
    let (st, _) = d
        .post(&format!("driver/shipments/{id}/start"), json!({}))
        .await;
    assert_eq!(st, 200);
    let (mut hq_events, _) = events(&hub, &hub.token).await;
    let (mut mgr_events, _) = events(&hub, &mgr.token).await;

    // Three kilometres south of Gangnam, heading north at 10 m/s.
    let base = now() - 330_000;
    let lat0 = GN01_AT.0 - 0.027;
    let first: Vec<Value> = (0..5).map(|i| north(base, lat0, i)).collect();
    let out = positions(&d, Some(&id), first).await;
    assert_eq!(out["stored"], 5, "{out}");

    // The console sees the driver move, with the ETA of the stop.
    let ev = event_until(&mut hq_events, |e| e["type"] == "positions").await;
    let p = ev["points"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["point"]["ts_ms"] == base + 4_000))
        .unwrap_or_else(|| panic!("the newest point in {ev}"));
    assert_eq!(p["driver"], DRIVER);
    assert_eq!(p["shipment"], id.as_str());
    assert_eq!(p["eta"][0]["store"], "GN01");
    let dist = p["eta"][0]["distance_m"].as_i64().expect("distance");
    assert!((2_500..3_100).contains(&dist), "{dist}");

    // The till of the store hears the ETA (≈ 5 min at 10 m/s).
    let eta = till.eta(|e| e.shipment.to_string() == id).await;
    assert_eq!(eta.store.as_str(), "GN01");
    assert_eq!(eta.stops_before, 0);
    assert_eq!(eta.arrived_ms, None);
    assert_eq!(eta.driver_name, "Park Driver");
    let mins = (eta.eta_ms.expect("eta") - eta.at_ms) / 60_000;
    assert!((3..=6).contains(&mins), "{mins} min");
    // A till that connects now gets the latest at once; the REST reads show it too.
    let late = LogiTill::open(&hub, "GN01").await;
    assert!(
        late.etas.iter().any(|e| e.shipment.to_string() == id),
        "ETA on connect"
    );
    let (_, now_s) = hub.get(&format!("shipments/{id}")).await;
    assert!(stop(&now_s, "GN01")["eta_ms"].is_i64(), "{now_s}");
    let (_, live) = hub.get("drivers/live").await;
    let me = live
        .as_array()
        .and_then(|l| l.iter().find(|x| x["driver"] == DRIVER))
        .cloned()
        .expect("driver in live");
    assert_eq!(me["next_stop"], "GN01");
    assert_eq!(me["shipment"], id.as_str());
    assert_eq!(me["vehicle"], "서울12가3456");
    assert!(
        me["eta_ms"].is_i64() && me["last"]["ts_ms"] == base + 4_000,
        "{me}"
    );

    // At the door: the first point inside the fence is the arrival, once.
    let t_in = base + 300_000;
    let at_door = vec![
        point(t_in, GN01_AT.0 - 0.0002, GN01_AT.1),
        point(t_in + 1_000, GN01_AT.0 - 0.0001, GN01_AT.1),
    ];
    positions(&d, Some(&id), at_door).await;
    let arrived = till.eta(|e| e.arrived_ms.is_some()).await;
    assert_eq!(arrived.arrived_ms, Some(t_in));
    let (_, s) = hub.get(&format!("shipments/{id}")).await;
    let gn = stop(&s, "GN01");
    assert_eq!(gn["status"], "arrived", "{s}");
    assert_eq!(gn["arrived_by"], "geofence");
    assert_eq!(gn["arrived_ms"], t_in);
    assert!(gn["eta_ms"].is_null());
    let (_, o) = hub.get(&format!("replenishment/orders/{order}")).await;
    assert_eq!(o["status"], "arrived");
    positions(
        &d,
        Some(&id),
        vec![point(t_in + 20_000, GN01_AT.0, GN01_AT.1)],
    )
    .await;
    let (_, live) = hub.get("drivers/live").await;
    let me = live
        .as_array()
        .and_then(|l| l.iter().find(|x| x["driver"] == DRIVER))
        .cloned()
        .expect("driver in live");
    assert_eq!(me["online"], true, "{me}");
    assert!(me["next_stop"].is_null(), "{me}");

    // Exactly one arrival reached the store (the till kept every downstream op): a later op of
    // its scope closes the count.
    let marker = approved_order(&hub, "GN01", &[("CAP-003", 1)]).await;
    let marker: uuid::Uuid = marker.parse().expect("uuid");
    till.downstream(|o| matches!(&o.body, OpBody::ReplenishmentOrder(r) if r.id == marker))
        .await;
    let shipment: uuid::Uuid = id.parse().expect("uuid");
    let stop_arrivals = till
        .backlog
        .iter()
        .filter(|o| {
            matches!(&o.body, OpBody::StatusUpdate(u) if u.status == Lifecycle::Arrived
                && matches!(&u.subject, Subject::Stop { shipment: s, .. } if *s == shipment))
        })
        .count();
    assert_eq!(stop_arrivals, 1, "one arrival of the stop reached its till");

    // Store managers get no positions.
    while let Some(e) = next_event_within(&mut mgr_events, Duration::from_millis(500)).await {
        assert_ne!(e["type"], "positions", "{e}");
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_points_survive_a_restart() {
    let hub = TestHub::start().await;
    let d = driver(&hub, DRIVER, "Park").await;
    let base = now() - 1_000_000;
    let pts: Vec<Value> = (0..500).map(|i| north(base, 37.40, i)).collect();
    let out = positions(&d, None, pts.clone()).await;
    assert_eq!(out["stored"], 500);
    drop(d);
    let dir = hub.stop_keeping_data().await;

    let hub = TestHub::start_in(dir).await;
    assert_eq!(track(&hub, DRIVER).await.len(), 500);
    let (s, v, _) = login(&hub, DRIVER, PASSWORD).await;
    assert_eq!(s, 200, "{v}");
    let d = As {
        hub: &hub,
        token: v["token"].as_str().expect("token").to_owned(),
    };
    // The driver's state is rebuilt from the file: a resend doubles nothing, the drive goes on.
    let again = positions(&d, None, pts).await;
    assert_eq!(
        (again["stored"].clone(), again["duplicates"].clone()),
        (json!(0), json!(500))
    );
    let next = positions(&d, None, vec![north(base, 37.40, 500)]).await;
    assert_eq!(next["stored"], 1, "{next}");
    assert_eq!(track(&hub, DRIVER).await.len(), 501);
    hub.stop().await;
}
