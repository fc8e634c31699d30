//! Driver GPS at the hub (issue 5): ingest, tracks, live positions, ETAs and geofence arrival.
//!
//! The pipeline of a batch of points ([`ingest`], from the driver page's JSON batches or the
//! OsmAnd/Traccar endpoint), under the driver's own lock:
//! 1. **Filter** — `sync_proto::gps::PositionFilter` per driver (invalid coordinates, future,
//!    too old, inaccurate, impossible jumps, duplicates of recent points; late points are
//!    checked against their neighbours in time and kept).
//! 2. **Store** — [`Tracks`] (`<data-dir>/tracks.db`, its own writer thread with group commit),
//!    `INSERT … ON CONFLICT DO NOTHING` by `(driver, ts_ms)`: the answer is sent only after the
//!    commit, and a resend stores nothing twice. If the commit fails the driver's in-memory
//!    state is dropped (rebuilt from the file on the next batch), so a point the filter saw but
//!    the file does not have is never mistaken for a duplicate.
//! 3. **Live** — the last point and an `EtaEstimator` per driver in memory (rebuilt lazily from
//!    tracks.db after a restart); the driver's active shipment ([`logistics::read::Plan`]) is
//!    reloaded when the writer reports a change to one of their shipments.
//! 4. **Fan-out** — stored points go to the consoles' `positions` events ([`Fanout`]).
//! 5. **ETA** — for each stop not yet reached, the distance along the remaining stops and the
//!    ETA at the smoothed speed ([`logistics::Live`] for the REST reads); the store's tills get
//!    `Frame::DeliveryEta` ([`TillEtas`]) when it moves by a minute or more, or every 30 s.
//! 6. **Geofence** — the first stored point inside a stop's radius marks the stop and its
//!    orders arrived (by `geofence`, at the point's time), once; the tills get the arrival.
//!
//! Also here: tracker devices ([`devices`]) and the retention task ([`run_retention`]).

pub mod devices;
pub mod fanout;
pub mod till_eta;
pub mod tracks;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sync_proto::gps::{
    BatchOutcome, EtaEstimator, FilterConfig, GpsPoint, PositionBatch, PositionFilter, Rejection,
    distance_m, inside_geofence,
};
use sync_proto::logistics::Lifecycle;
use sync_proto::wire::DeliveryEta;
use uuid::Uuid;

pub use fanout::Fanout;
pub use till_eta::TillEtas;
pub use tracks::Tracks;

use crate::logistics::read::{Plan, driver_plan, plan};
use crate::logistics::{self, StopEta};
use crate::metrics::ReasonLabel;
use crate::{AppState, HubError, now_ms};

/// A day in ms.
pub const DAY_MS: i64 = 86_400_000;
/// A driver whose last point is younger than this is online.
pub const ONLINE_MS: i64 = 120_000;
/// Recent points the filter remembers per driver.
pub const FILTER_WINDOW: usize = 64;
/// A till hears a new ETA when it moved by this much …
pub const ETA_MOVE_MS: i64 = 60_000;
/// … or when this long passed since the last one.
pub const ETA_REFRESH_MS: i64 = 30_000;
/// How often the retention runs.
pub const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// The ETA of one stop in a `positions` event.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct EtaJson {
    /// The stop's store.
    pub store: String,
    /// Expected arrival (ms since epoch), once a speed is known.
    #[ts(type = "number | null")]
    pub eta_ms: Option<i64>,
    /// Distance left along the route, metres.
    pub distance_m: Option<u32>,
}

/// One stored point of a driver, as the consoles receive it live.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LivePosition {
    /// The driver (username).
    pub driver: String,
    /// The shipment being driven, if any.
    pub shipment: Option<Uuid>,
    /// The point.
    #[schema(value_type = crate::api::gps::GpsPointSchema)]
    pub point: GpsPoint,
    /// ETAs of the stops still ahead (on the driver's newest point; empty on late points).
    pub eta: Vec<EtaJson>,
}

/// A driver on the live map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LiveDriverJson {
    /// Username.
    pub driver: String,
    /// Display name.
    pub driver_name: String,
    /// The shipment being driven, if any.
    pub shipment: Option<Uuid>,
    /// Its vehicle.
    pub vehicle: Option<String>,
    /// The newest point.
    #[schema(value_type = Option<crate::api::gps::GpsPointSchema>)]
    pub last: Option<GpsPoint>,
    /// Smoothed recent speed, m/s.
    pub speed_mps: Option<f64>,
    /// The newest point is less than 2 minutes old.
    pub online: bool,
    /// The next stop not yet reached.
    pub next_stop: Option<String>,
    /// Its ETA (ms since epoch).
    #[ts(type = "number | null")]
    pub eta_ms: Option<i64>,
    /// Distance to it, metres.
    pub distance_m: Option<u32>,
}

/// GPS settings of a hub.
#[derive(Debug, Clone, Copy)]
pub struct GpsConfig {
    /// The position filter's limits.
    pub filter: FilterConfig,
    /// Days of full detail.
    pub full_days: u32,
    /// Days kept at all.
    pub keep_days: u32,
}

/// What was last sent to a stop's tills.
#[derive(Debug, Clone, Copy)]
struct Sent {
    eta_ms: Option<i64>,
    at_ms: i64,
}

/// One driver's live state.
#[derive(Default)]
struct DriverState {
    loaded: bool,
    name: String,
    filter: PositionFilter,
    eta: EtaEstimator,
    last: Option<GpsPoint>,
    plan: Option<Plan>,
    /// The driver generation the plan was loaded at (`None`: never).
    plan_gen: Option<u64>,
    /// The shipment the last batch named.
    asked: Option<Uuid>,
    /// Per stop store: what its tills last heard.
    sent: HashMap<String, Sent>,
}

type Cell = Arc<tokio::sync::Mutex<DriverState>>;

/// The GPS side of a hub.
pub struct Gps {
    /// The tracks database.
    pub tracks: Tracks,
    /// Live positions to consoles.
    pub fanout: Arc<Fanout>,
    /// Delivery ETAs to tills.
    pub tills: TillEtas,
    /// Tracker devices (OsmAnd/Traccar).
    pub devices: devices::Devices,
    drivers: parking_lot::Mutex<HashMap<String, Cell>>,
    config: GpsConfig,
}

impl Gps {
    /// Open `tracks.db` and start its writer.
    pub fn open(path: std::path::PathBuf, config: GpsConfig) -> Result<Gps, HubError> {
        Ok(Gps {
            tracks: Tracks::open(path)?,
            fanout: Arc::new(Fanout::default()),
            tills: TillEtas::default(),
            devices: devices::Devices::default(),
            drivers: parking_lot::Mutex::new(HashMap::new()),
            config,
        })
    }

    /// The settings.
    pub fn config(&self) -> &GpsConfig {
        &self.config
    }

    fn cell(&self, driver: &str) -> Cell {
        let mut drivers = self.drivers.lock();
        if let Some(c) = drivers.get(driver) {
            return c.clone();
        }
        drivers.entry(driver.to_owned()).or_default().clone()
    }

    fn existing(&self, driver: &str) -> Option<Cell> {
        self.drivers.lock().get(driver).cloned()
    }
}

/// A filter configuration that accepts every stored point (rebuilding from the file).
fn rebuild_config() -> FilterConfig {
    FilterConfig {
        max_accuracy_m: f64::INFINITY,
        max_speed_mps: f64::INFINITY,
        max_future_ms: i64::MAX / 4,
        jump_slack_m: f64::INFINITY,
    }
}

/// Rebuild a driver's state from the newest points in tracks.db.
async fn load(state: &AppState, driver: &str, st: &mut DriverState) -> Result<(), HubError> {
    let points = state.gps.tracks.last_points(driver, FILTER_WINDOW).await?;
    let mut fresh = DriverState {
        filter: PositionFilter::new(FILTER_WINDOW),
        ..DriverState::default()
    };
    let cfg = rebuild_config();
    for p in &points {
        let _ = fresh.filter.offer(p, p.ts_ms, 0, &cfg);
        fresh.eta.observe(p);
    }
    fresh.last = points.last().copied();
    let name_of = driver.to_owned();
    fresh.name = state
        .reads
        .read(move |c| {
            Ok(
                c.prepare_cached("SELECT display_name FROM users WHERE username = ?1")?
                    .query_row([&name_of], |r| r.get::<_, String>(0))
                    .ok(),
            )
        })
        .await?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| driver.to_owned());
    fresh.loaded = true;
    *st = fresh;
    Ok(())
}

/// Reload the driver's plan when one of their shipments changed or the batch names another.
async fn refresh_plan(
    state: &AppState,
    driver: &str,
    asked: Option<Uuid>,
    st: &mut DriverState,
) -> Result<(), HubError> {
    let generation = state.logistics.driver_generation(driver);
    if st.plan_gen == Some(generation) && st.asked == asked {
        return Ok(());
    }
    let who = driver.to_owned();
    let fresh = state
        .reads
        .read(move |c| {
            let named = match asked {
                Some(id) => plan(c, &id)?.filter(|p| p.driver == who),
                None => None,
            };
            match named {
                Some(p) => Ok(Some(p)),
                None => driver_plan(c, &who),
            }
        })
        .await?;
    if let Some(old) = &st.plan
        && fresh.as_ref().is_none_or(|f| f.shipment != old.shipment)
    {
        for s in &old.stops {
            state.logistics.clear_eta(old.shipment, s.store.as_str());
        }
        st.sent.clear();
    }
    if let Some(p) = &fresh {
        for s in p.stops.iter().filter(|s| s.status >= Lifecycle::Arrived) {
            state.logistics.clear_eta(p.shipment, s.store.as_str());
            if s.status >= Lifecycle::Received {
                state.gps.tills.forget(&p.shipment, s.store.as_str());
            }
        }
    }
    st.plan = fresh;
    st.plan_gen = Some(generation);
    st.asked = asked;
    Ok(())
}

/// Take a batch of a driver's points through the whole pipeline. Answers after the accepted
/// points are committed to tracks.db.
pub async fn ingest(
    state: &AppState,
    driver: &str,
    batch: PositionBatch,
) -> Result<BatchOutcome, HubError> {
    let started = Instant::now();
    let gps = &state.gps;
    let cell = gps.cell(driver);
    let mut st = cell.lock().await;
    if !st.loaded {
        load(state, driver, &mut st).await?;
    }
    refresh_plan(state, driver, batch.shipment, &mut st).await?;
    let now = now_ms() as i64;
    let oldest = now - i64::from(gps.config.keep_days) * DAY_MS;
    let mut points = batch.points;
    points.sort_by_key(|p| p.ts_ms);
    let mut outcome = BatchOutcome::default();
    let mut accepted = Vec::with_capacity(points.len());
    for p in points {
        match st.filter.offer(&p, now, oldest, &gps.config.filter) {
            Ok(()) => accepted.push(p),
            Err(Rejection::Duplicate) => outcome.duplicates += 1,
            Err(r) => {
                *outcome.rejected.entry(r.as_str().to_owned()).or_default() += 1;
                state
                    .metrics
                    .gps_points_rejected
                    .get_or_create(&ReasonLabel {
                        reason: r.as_str().to_owned(),
                    })
                    .inc();
            }
        }
    }
    let shipment = st.plan.as_ref().map(|p| p.shipment);
    let mut stored = Vec::new();
    if !accepted.is_empty() {
        let rows = accepted
            .iter()
            .map(|p| tracks::TrackRow {
                driver: driver.to_owned(),
                point: *p,
                shipment,
                received_ms: now,
            })
            .collect();
        let flags = match gps.tracks.insert(rows).await {
            Ok(f) => f,
            Err(e) => {
                // The filter remembers points the file may not have: start over from the file.
                *st = DriverState::default();
                return Err(e);
            }
        };
        for (p, new) in accepted.into_iter().zip(flags) {
            if new {
                stored.push(p);
            } else {
                outcome.duplicates += 1;
            }
        }
    }
    outcome.stored = stored.len() as u32;
    state.metrics.gps_points_stored.inc_by(stored.len() as u64);
    state
        .metrics
        .gps_points_duplicate
        .inc_by(u64::from(outcome.duplicates));
    state
        .metrics
        .gps_commit_latency
        .observe(started.elapsed().as_secs_f64());
    if !stored.is_empty() {
        after_store(state, driver, &mut st, &stored, now).await;
    }
    outcome.newest_ts_ms = st.last.map(|p| p.ts_ms);
    Ok(outcome)
}

/// Live state, ETAs, geofence and fan-out of freshly stored points (time order).
async fn after_store(
    state: &AppState,
    driver: &str,
    st: &mut DriverState,
    stored: &[GpsPoint],
    now: i64,
) {
    for p in stored {
        st.eta.observe(p);
        if st.last.is_none_or(|l| p.ts_ms > l.ts_ms) {
            st.last = Some(*p);
        }
    }
    let arrivals = geofence(st, stored);
    let etas = stop_etas(st, now);
    publish_etas(state, st, &etas, now);
    for (store, at_ms) in arrivals {
        arrive_by_geofence(state, st, &store, at_ms).await;
    }
    if state.gps.fanout.wanted() {
        let newest = st.last.map(|p| p.ts_ms);
        let shipment = st.plan.as_ref().map(|p| p.shipment);
        let eta: Vec<EtaJson> = etas
            .iter()
            .map(|e| EtaJson {
                store: e.store.clone(),
                eta_ms: e.eta_ms,
                distance_m: e.distance_m,
            })
            .collect();
        let points = stored
            .iter()
            .map(|p| LivePosition {
                driver: driver.to_owned(),
                shipment,
                point: *p,
                eta: if Some(p.ts_ms) == newest {
                    eta.clone()
                } else {
                    Vec::new()
                },
            })
            .collect();
        state.gps.fanout.push(points);
    }
}

/// The first point inside the fence of each stop not yet reached: `(store, point time)`.
/// The stops are marked arrived in the plan at once, so this fires once.
fn geofence(st: &mut DriverState, stored: &[GpsPoint]) -> Vec<(String, i64)> {
    let Some(plan) = st.plan.as_mut() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in stored {
        for s in plan
            .stops
            .iter_mut()
            .filter(|s| s.status < Lifecycle::Arrived)
        {
            if let Some((lat, lon)) = s.at
                && inside_geofence(p, lat, lon, s.radius_m)
            {
                s.status = Lifecycle::Arrived;
                s.arrived_ms = Some(p.ts_ms);
                out.push((s.store.to_string(), p.ts_ms));
            }
        }
    }
    out
}

/// The ETA of one stop still ahead.
#[derive(Debug, Clone, PartialEq)]
struct AheadEta {
    store: String,
    eta_ms: Option<i64>,
    distance_m: Option<u32>,
    stops_before: u32,
}

/// Distances along the remaining stops from the newest point, and their ETAs. A stop whose
/// store has no position gets none (the chain continues from the stop before it).
fn stop_etas(st: &DriverState, now: i64) -> Vec<AheadEta> {
    let (Some(plan), Some(last)) = (&st.plan, &st.last) else {
        return Vec::new();
    };
    let mut at = (last.lat, last.lon);
    let mut along = 0.0;
    let mut out = Vec::new();
    for (i, s) in plan
        .stops
        .iter()
        .filter(|s| s.status < Lifecycle::Arrived)
        .enumerate()
    {
        let distance = s.at.map(|(lat, lon)| {
            along += distance_m(at.0, at.1, lat, lon);
            at = (lat, lon);
            along
        });
        out.push(AheadEta {
            store: s.store.to_string(),
            eta_ms: distance
                .and_then(|d| st.eta.eta_s(d))
                .map(|secs| now + (secs * 1000.0).round() as i64),
            distance_m: distance.map(|d| d.round().min(f64::from(u32::MAX)) as u32),
            stops_before: i as u32,
        });
    }
    out
}

/// Keep the ETAs for the REST reads, and tell each stop's tills when theirs moved by a minute
/// or more, or every 30 s.
fn publish_etas(state: &AppState, st: &mut DriverState, etas: &[AheadEta], now: i64) {
    let Some(plan) = &st.plan else {
        return;
    };
    for e in etas {
        state.logistics.set_eta(
            plan.shipment,
            &e.store,
            StopEta {
                eta_ms: e.eta_ms,
                distance_m: e.distance_m,
                at_ms: now,
            },
        );
        let due = match st.sent.get(&e.store) {
            None => true,
            Some(s) => {
                now - s.at_ms >= ETA_REFRESH_MS
                    || match (s.eta_ms, e.eta_ms) {
                        (Some(a), Some(b)) => (a - b).abs() >= ETA_MOVE_MS,
                        (None, None) => false,
                        _ => true,
                    }
            }
        };
        let Ok(store) = e.store.parse() else {
            continue;
        };
        if due {
            state.gps.tills.publish(DeliveryEta {
                shipment: plan.shipment,
                store,
                eta_ms: e.eta_ms,
                distance_m: e.distance_m,
                stops_before: e.stops_before,
                arrived_ms: None,
                driver_name: st.name.clone(),
                at_ms: now,
            });
            st.sent.insert(
                e.store.clone(),
                Sent {
                    eta_ms: e.eta_ms,
                    at_ms: now,
                },
            );
        }
    }
}

/// The geofence fired: write the arrival (once; a stop someone marked already stays as it
/// is) and tell the store's tills.
async fn arrive_by_geofence(state: &AppState, st: &mut DriverState, store: &str, at_ms: i64) {
    let Some(plan) = &st.plan else {
        return;
    };
    let shipment = plan.shipment;
    let Ok(store_id) = store.parse::<sync_proto::StoreId>() else {
        return;
    };
    let s2 = store_id.clone();
    let written = state
        .writer
        .call(4, move |ap| {
            logistics::actions::arrive(ap, &shipment, &s2, "geofence", at_ms)
        })
        .await;
    match written {
        Ok(true) => {
            tracing::info!(%shipment, %store, at_ms, "geofence arrival");
            announce_arrival(state, shipment, store_id, at_ms, &st.name);
        }
        // Someone marked it first (the driver's button, HQ, the store): already announced.
        Ok(false) => state.logistics.clear_eta(shipment, store),
        Err(e) => {
            tracing::warn!(%shipment, %store, error = %e, "could not record a geofence arrival; the next point tries again");
            if let Some(p) = st.plan.as_mut()
                && let Some(s) = p.stops.iter_mut().find(|s| s.store.as_str() == store)
            {
                s.status = Lifecycle::Dispatched;
                s.arrived_ms = None;
            }
        }
    }
}

/// A stop was reached (geofence, the driver's button, HQ): no more ETA for it, and its tills
/// hear the arrival.
pub fn announce_arrival(
    state: &AppState,
    shipment: Uuid,
    store: sync_proto::StoreId,
    at_ms: i64,
    driver_name: &str,
) {
    state.logistics.clear_eta(shipment, store.as_str());
    state.gps.tills.publish(DeliveryEta {
        shipment,
        store,
        eta_ms: None,
        distance_m: Some(0),
        stops_before: 0,
        arrived_ms: Some(at_ms),
        driver_name: driver_name.to_owned(),
        at_ms: now_ms() as i64,
    });
}

/// Every active driver account with their live state (from memory, else from the newest
/// stored point and their active shipment).
pub async fn live_drivers(state: &AppState) -> Result<Vec<LiveDriverJson>, HubError> {
    let accounts: Vec<(String, String)> = state
        .reads
        .read(|c| {
            let mut st = c.prepare_cached(
                "SELECT username, display_name FROM users WHERE role = 'driver' AND active = 1
                 ORDER BY username",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
    let now = now_ms() as i64;
    let mut out = Vec::with_capacity(accounts.len());
    for (driver, name) in accounts {
        let name = if name.trim().is_empty() {
            driver.clone()
        } else {
            name
        };
        let (plan, last, speed) = match state.gps.existing(&driver) {
            Some(cell) => {
                let st = cell.lock().await;
                if st.loaded {
                    (st.plan.clone(), st.last, st.eta.speed_mps)
                } else {
                    drop(st);
                    stored_view(state, &driver).await?
                }
            }
            None => stored_view(state, &driver).await?,
        };
        let next = plan
            .as_ref()
            .and_then(|p| p.stops.iter().find(|s| s.status < Lifecycle::Arrived));
        let eta = match (&plan, next) {
            (Some(p), Some(s)) => state.logistics.eta(p.shipment, s.store.as_str()),
            _ => None,
        };
        out.push(LiveDriverJson {
            online: last.is_some_and(|p| now - p.ts_ms < ONLINE_MS),
            driver,
            driver_name: name,
            shipment: plan.as_ref().map(|p| p.shipment),
            vehicle: plan.as_ref().and_then(|p| p.vehicle.clone()),
            last,
            speed_mps: speed,
            next_stop: next.map(|s| s.store.to_string()),
            eta_ms: eta.and_then(|e| e.eta_ms),
            distance_m: eta.and_then(|e| e.distance_m),
        });
    }
    Ok(out)
}

/// A driver not in memory: the newest stored point and the active shipment.
async fn stored_view(
    state: &AppState,
    driver: &str,
) -> Result<(Option<Plan>, Option<GpsPoint>, Option<f64>), HubError> {
    let last = state.gps.tracks.last_points(driver, 1).await?.pop();
    let who = driver.to_owned();
    let plan = state.reads.read(move |c| driver_plan(c, &who)).await?;
    Ok((plan, last, None))
}

/// One pass of the retention: per driver, delete what is older than the keep period and thin
/// what is older than the full-detail period to one point a minute. Returns the totals.
pub async fn retention_pass(state: &AppState, now: i64) -> Result<tracks::Retained, HubError> {
    let cfg = state.gps.config;
    let full_before = now - i64::from(cfg.full_days) * DAY_MS;
    let keep_from = now - i64::from(cfg.keep_days) * DAY_MS;
    let tracks = &state.gps.tracks;
    let from = tracks.downsampled_until().await?.unwrap_or(keep_from);
    let mut total = tracks::Retained::default();
    for driver in tracks.drivers().await? {
        let r = tracks.retain(driver, from, full_before, keep_from).await?;
        total.expired += r.expired;
        total.thinned += r.thinned;
    }
    tracks.set_downsampled_until(full_before).await?;
    Ok(total)
}

/// The hourly retention task (first pass a minute after start).
pub async fn run_retention(state: Arc<AppState>) {
    let mut stopping = state.stopping.clone();
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = stopping.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = RETENTION_EVERY;
        match retention_pass(&state, now_ms() as i64).await {
            Ok(r) => tracing::info!(
                expired = r.expired,
                thinned = r.thinned,
                "GPS retention pass"
            ),
            Err(e) => tracing::warn!(error = %e, "GPS retention pass failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logistics::read::PlanStop;

    fn pt(ts_ms: i64, lat: f64, lon: f64) -> GpsPoint {
        GpsPoint {
            ts_ms,
            lat,
            lon,
            accuracy_m: Some(5.0),
            speed_mps: Some(10.0),
            heading_deg: None,
            altitude_m: None,
            battery_pct: None,
        }
    }

    fn stop(store: &str, no: u32, at: Option<(f64, f64)>) -> PlanStop {
        PlanStop {
            store: store.parse().expect("store"),
            stop_no: no,
            at,
            radius_m: 150.0,
            status: Lifecycle::Dispatched,
            arrived_ms: None,
        }
    }

    fn state_with(stops: Vec<PlanStop>, last: GpsPoint) -> DriverState {
        let mut st = DriverState {
            plan: Some(Plan {
                shipment: Uuid::now_v7(),
                driver: "kim".into(),
                driver_name: "Kim".into(),
                vehicle: None,
                stops,
            }),
            ..DriverState::default()
        };
        st.eta.observe(&last);
        st.last = Some(last);
        st
    }

    #[test]
    fn etas_run_along_the_remaining_stops() {
        let a = (37.50, 127.00);
        let b = (37.51, 127.00); // ~1.1 km north of a
        let mut st = state_with(
            vec![
                stop("GN01", 1, Some(a)),
                stop("HD02", 2, None),
                stop("JS03", 3, Some(b)),
            ],
            pt(1_000, 37.49, 127.00),
        );
        let e = stop_etas(&st, 10_000);
        assert_eq!(e.len(), 3);
        let d1 = e[0].distance_m.expect("distance");
        assert!((1_050..1_170).contains(&d1), "{d1}");
        assert_eq!(e[1].distance_m, None);
        assert_eq!(e[1].eta_ms, None);
        let d3 = e[2].distance_m.expect("distance");
        assert!((2_100..2_340).contains(&d3), "{d3}");
        // 10 m/s: ~111 s to the first stop.
        let eta1 = e[0].eta_ms.expect("eta") - 10_000;
        assert!((105_000..117_000).contains(&eta1), "{eta1}");
        assert_eq!(
            e.iter().map(|x| x.stops_before).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        // Reaching the first stop: it is left out, the others count from it.
        let arrived = geofence(&mut st, &[pt(2_000, 37.5003, 127.0)]);
        assert_eq!(arrived, vec![("GN01".to_owned(), 2_000)]);
        assert!(geofence(&mut st, &[pt(3_000, 37.5001, 127.0)]).is_empty());
        let e = stop_etas(&st, 10_000);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].store, "HD02");
        assert_eq!(e[1].stops_before, 1);
    }
}
