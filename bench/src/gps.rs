//! Live driver GPS at the hub (issue 5, "Quality bar"): 5,000 simulated drivers sending one
//! position a second for a minute into one hub while 20 HQ consoles watch the live map, and a
//! phone that was offline for an hour flushing 3,600 points in one request.
//!
//! **The fleet** ([`fleet`]): the real `hub-server` binary on loopback. 5,000 `driver` accounts
//! are made through the users API (`POST /api/v1/users`) and each logs in through
//! `POST /api/v1/auth/login`, exactly as the driver page does — argon2id both times, so the
//! setup takes minutes; it is timed and reported, not part of the figures, and the hub's auth
//! is not bypassed. 20 consoles log in as HQ and hold the live event socket
//! (`/api/v1/events`). Then every driver, as its own task, sends one `PositionBatch` of one
//! point a second (what the driver page does online) to `POST /api/v1/driver/positions` for
//! 60 s, through one shared keep-alive connection pool; the drivers' seconds are spread evenly
//! over the second, so the hub sees a steady 5,000 requests/s. A driver's next point waits
//! for the answer to the previous one, as on the phone.
//!
//! Measured: every point stored (rows of `gps_point` in the hub's `tracks.db` at the end,
//! and the sum of the `stored` counts the hub answered — both must be 300,000, with no HTTP
//! error and nothing refused); the live fan-out latency, per console per point, from the
//! moment the point's request is handed to the HTTP client to the moment the console's
//! socket yields the `positions` event carrying it (p50/p99/max; target p99 ≤ 100 ms); the
//! ingest rate and the request latency; the hub's peak RSS and CPU time. Every console must
//! see every point exactly once.
//!
//! **The offline hour** ([`offline_hour`]): one driver posts 3,600 points (an hour at 1 Hz,
//! oldest first) in one request: all must be stored, and the driver's track
//! (`GET /api/v1/drivers/{username}/track`) must return them in time order; then the second
//! half of that batch is sent again together with 600 new points (the phone did not get the
//! answer and kept recording): exactly the 600 are stored, the 1,800 are duplicates, and the
//! track holds 4,200 points, each timestamp once. Request latencies are reported.
//!
//! The machine is shared (2 cores, other work running): the load generator, the 20 consoles
//! and the hub share the same two cores, so the figures are pessimistic; the CPU time of the
//! hub and of this process is reported next to them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use futures_util::stream;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use storelink_tests::{Hub, HubApi};
use sync_proto::gps::{BatchOutcome, GpsPoint, PositionBatch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Scale;
use crate::report::Report;

/// Drivers of the full benchmark.
const DRIVERS: usize = 5_000;
/// Seconds every driver drives.
const SECONDS: usize = 60;
/// Consoles watching the live map.
const CONSOLES: usize = 20;
/// Password of every bench driver (≥ 10 characters, as the hub requires).
const DRIVER_PASSWORD: &str = "bench-driver-password";
/// Concurrent account creations and logins (argon2id each; below the hub's 20 failed
/// logins per IP, which in-flight logins count against until they succeed).
const SETUP_CONCURRENCY: usize = 4;
/// Points of the offline hour.
const OFFLINE_POINTS: usize = 3_600;
/// New points sent with the resent half of the offline hour.
const OFFLINE_NEW: usize = 600;
/// The first seconds of the drive, when every driver's first batch makes the hub load that
/// driver's state (reported apart from the steady state as well).
const WARM_UP_S: usize = 5;

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn username(i: usize) -> String {
    format!("bench.drv{i:05}")
}

fn driver_index(name: &str) -> Option<usize> {
    name.strip_prefix("bench.drv")?.parse().ok()
}

/// A logged-in driver.
struct Driver {
    username: String,
    token: String,
}

/// An async HTTP client with a keep-alive pool.
fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1_024)
        .pool_idle_timeout(Duration::from_secs(120))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(120))
        .build()?)
}

async fn check(resp: reqwest::Response, what: &str) -> Result<Value> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{what}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Create `n` driver accounts through the users API and log each in; returns them in order.
async fn make_drivers(
    http: &reqwest::Client,
    url: &str,
    admin: &str,
    range: std::ops::Range<usize>,
) -> Result<Vec<Driver>> {
    let created = stream::iter(range.clone())
        .map(|i| async move {
            let body = json!({
                "username": username(i),
                "display_name": format!("Bench Driver {i}"),
                "role": "driver",
                "password": DRIVER_PASSWORD,
            });
            let resp = http
                .post(format!("{url}/api/v1/users"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await?;
            check(resp, "create driver").await.map(|_| ())
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<Result<()>>>()
        .await;
    created.into_iter().collect::<Result<Vec<()>>>()?;
    let mut drivers: Vec<(usize, Driver)> = stream::iter(range)
        .map(|i| async move {
            let name = username(i);
            let resp = http
                .post(format!("{url}/api/v1/auth/login"))
                .json(&json!({"username": name, "password": DRIVER_PASSWORD}))
                .send()
                .await?;
            let v = check(resp, "driver login").await?;
            let token = v["token"]
                .as_str()
                .context("login answer without token")?
                .to_owned();
            Ok::<_, anyhow::Error>((
                i,
                Driver {
                    username: name,
                    token,
                },
            ))
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<Result<(usize, Driver)>>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    drivers.sort_by_key(|(i, _)| *i);
    Ok(drivers.into_iter().map(|(_, d)| d).collect())
}

/// A driver's route: a start somewhere in Seoul, a heading and a speed; one step a second.
struct Route {
    lat: f64,
    lon: f64,
    heading: f64,
    speed: f64,
}

impl Route {
    fn new(rng: &mut StdRng) -> Route {
        Route {
            lat: rng.gen_range(37.45..37.65),
            lon: rng.gen_range(126.85..127.15),
            heading: rng.gen_range(0.0..std::f64::consts::TAU),
            speed: rng.gen_range(6.0..16.0),
        }
    }

    /// Move on by `dt_s` seconds and return the point at `ts_ms`.
    fn step(&mut self, rng: &mut StdRng, ts_ms: i64, dt_s: f64) -> GpsPoint {
        self.heading += rng.gen_range(-0.05..0.05);
        self.speed = (self.speed + rng.gen_range(-0.5..0.5)).clamp(0.0, 20.0);
        let d = self.speed * dt_s;
        self.lat += d * self.heading.cos() / 111_195.0;
        self.lon += d * self.heading.sin() / (111_195.0 * self.lat.to_radians().cos());
        GpsPoint {
            ts_ms,
            lat: self.lat,
            lon: self.lon,
            accuracy_m: Some(rng.gen_range(4.0..15.0)),
            speed_mps: Some(self.speed),
            heading_deg: Some(self.heading.to_degrees().rem_euclid(360.0)),
            altitude_m: Some(30.0),
            battery_pct: Some(80.0),
        }
    }
}

/// What the drivers share: the schedule and the send instants of every point.
struct Plan {
    drivers: usize,
    seconds: usize,
    /// Wall clock (ms) of the schedule's start: point `k` of driver `i` has
    /// `ts_ms = t0_ms + offset(i) + 1000·k`.
    t0_ms: i64,
    /// The same start as an instant.
    t0: Instant,
    /// When each point's request was handed to the client (µs after `t0`, +1; 0 = not yet).
    sent_us: Vec<AtomicU64>,
}

impl Plan {
    fn offset_ms(&self, i: usize) -> i64 {
        (i * 1000 / self.drivers) as i64
    }

    fn slot(&self, i: usize, ts_ms: i64) -> Option<usize> {
        let k = (ts_ms - self.t0_ms - self.offset_ms(i)).checked_div(1000)?;
        let exact = self.t0_ms + self.offset_ms(i) + k * 1000 == ts_ms;
        (exact && i < self.drivers && (0..self.seconds as i64).contains(&k))
            .then(|| i * self.seconds + k as usize)
    }

    fn micros_since_t0(&self) -> u64 {
        self.t0.elapsed().as_micros() as u64
    }
}

/// What one driver saw.
#[derive(Default)]
struct DriverResult {
    stored: u64,
    duplicates: u64,
    rejected: u64,
    errors: u64,
    /// Points sent more than 500 ms after their second (the previous answer was slow).
    late: u64,
    latency_us: Option<Histogram<u64>>,
    /// The same after the warm-up.
    steady_us: Option<Histogram<u64>>,
}

async fn drive(
    http: reqwest::Client,
    url: String,
    index: usize,
    token: String,
    plan: Arc<Plan>,
) -> Result<DriverResult> {
    let mut rng = StdRng::seed_from_u64(index as u64);
    let mut route = Route::new(&mut rng);
    let mut out = DriverResult {
        latency_us: Some(Histogram::new(3)?),
        steady_us: Some(Histogram::new(3)?),
        ..DriverResult::default()
    };
    let endpoint = format!("{url}/api/v1/driver/positions");
    for k in 0..plan.seconds {
        let due_ms = plan.offset_ms(index) + k as i64 * 1000;
        let due = plan.t0 + Duration::from_millis(due_ms as u64);
        tokio::time::sleep_until(due.into()).await;
        if due.elapsed() > Duration::from_millis(500) {
            out.late += 1;
        }
        let point = route.step(&mut rng, plan.t0_ms + due_ms, 1.0);
        let batch = PositionBatch {
            shipment: None,
            points: vec![point],
        };
        let body = serde_json::to_vec(&batch)?;
        let started = Instant::now();
        plan.sent_us[index * plan.seconds + k].store(plan.micros_since_t0() + 1, Ordering::Relaxed);
        let resp = http
            .post(&endpoint)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let outcome = match resp {
            Ok(r) if r.status().is_success() => r.json::<BatchOutcome>().await.ok(),
            Ok(r) => {
                warn_first(&format!("driver {index}: {}", r.status()));
                None
            }
            Err(e) => {
                warn_first(&format!("driver {index}: {e}"));
                None
            }
        };
        let took = started.elapsed().as_micros() as u64;
        if let Some(h) = out.latency_us.as_mut() {
            h.record(took)?;
        }
        if k >= WARM_UP_S
            && let Some(h) = out.steady_us.as_mut()
        {
            h.record(took)?;
        }
        match outcome {
            Some(o) => {
                out.stored += u64::from(o.stored);
                out.duplicates += u64::from(o.duplicates);
                out.rejected += o.rejected.values().map(|n| u64::from(*n)).sum::<u64>();
            }
            None => out.errors += 1,
        }
    }
    Ok(out)
}

/// Print the first few failures (the bench reports on stderr like the others).
fn warn_first(msg: &str) {
    static SHOWN: AtomicU64 = AtomicU64::new(0);
    if SHOWN.fetch_add(1, Ordering::Relaxed) < 10 {
        eprintln!("[bench gps] {msg}");
    }
}

/// The `positions` event, as much of it as the console needs here.
#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    points: Vec<LivePoint<'a>>,
}

#[derive(Deserialize)]
struct LivePoint<'a> {
    #[serde(borrow)]
    driver: Cow<'a, str>,
    point: PointTs,
}

#[derive(Deserialize)]
struct PointTs {
    ts_ms: i64,
}

/// What one console saw.
struct ConsoleResult {
    latency_us: Histogram<u64>,
    /// After the warm-up.
    steady_us: Histogram<u64>,
    /// Per second of the drive.
    per_second_us: Vec<Histogram<u64>>,
    points: u64,
    duplicates: u64,
    foreign: u64,
    lagged: u64,
    events: u64,
}

async fn console(
    url: String,
    token: String,
    plan: Arc<Plan>,
    ready: tokio::sync::mpsc::Sender<()>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<ConsoleResult> {
    let ws_url = format!("{}/api/v1/events", url.replacen("http", "ws", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (_tx, mut rx) = ws.split();
    let expected = (plan.drivers * plan.seconds) as u64;
    let mut seen = vec![false; expected as usize];
    let mut out = ConsoleResult {
        latency_us: Histogram::new(3)?,
        steady_us: Histogram::new(3)?,
        per_second_us: (0..plan.seconds)
            .map(|_| Histogram::new(2))
            .collect::<Result<_, _>>()?,
        points: 0,
        duplicates: 0,
        foreign: 0,
        lagged: 0,
        events: 0,
    };
    let mut ready = Some(ready);
    while out.points < expected {
        let msg = tokio::select! {
            m = rx.next() => m,
            _ = stop.changed() => break,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            _ => bail!("event socket closed after {} points", out.points),
        };
        let now_us = plan.micros_since_t0();
        let ev: EventHead = serde_json::from_str(&text)?;
        match ev.kind.as_ref() {
            "hello" => {
                if let Some(r) = ready.take() {
                    let _ = r.send(()).await;
                }
            }
            "lagged" => out.lagged += 1,
            "positions" => {
                out.events += 1;
                for p in &ev.points {
                    let slot = driver_index(&p.driver).and_then(|i| plan.slot(i, p.point.ts_ms));
                    let Some(slot) = slot else {
                        out.foreign += 1;
                        continue;
                    };
                    if std::mem::replace(&mut seen[slot], true) {
                        out.duplicates += 1;
                        continue;
                    }
                    out.points += 1;
                    let sent = plan.sent_us[slot].load(Ordering::Relaxed);
                    if sent > 0 {
                        let took = now_us.saturating_sub(sent - 1).max(1);
                        let k = slot % plan.seconds;
                        out.latency_us.record(took)?;
                        out.per_second_us[k].record(took)?;
                        if k >= WARM_UP_S {
                            out.steady_us.record(took)?;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: &str) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_owned();
            let f: Vec<&str> = after.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .unwrap_or(0.0)
}

/// Seconds each thread of a process has spent waiting for a CPU while runnable (the
/// run-queue delay of `/proc/<pid>/task/<tid>/schedstat`), by thread id.
fn run_queue_waits(pid: &str) -> HashMap<String, f64> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return HashMap::new();
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| {
            let stat = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
            let ns: f64 = stat.split_whitespace().nth(1)?.parse().ok()?;
            Some((t.file_name().to_string_lossy().into_owned(), ns / 1e9))
        })
        .collect()
}

/// How long the threads of a process waited for a CPU since `before` (threads that ended in
/// between are not counted): how much a busy machine held it back.
fn run_queue_wait_since(pid: &str, before: &HashMap<String, f64>) -> f64 {
    run_queue_waits(pid)
        .iter()
        .map(|(tid, w)| w - before.get(tid).copied().unwrap_or(0.0))
        .sum()
}

fn status_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Rows of the track database (`<data-dir>/tracks.db`): all, and distinct drivers.
fn track_rows(data_dir: &Path) -> Result<(u64, u64)> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("tracks.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .context("open the hub's tracks.db")?;
    let rows: i64 = conn.query_row("SELECT COUNT(*) FROM gps_point", [], |r| r.get(0))?;
    let drivers: i64 = conn.query_row("SELECT COUNT(DISTINCT driver) FROM gps_point", [], |r| {
        r.get(0)
    })?;
    Ok((rows as u64, drivers as u64))
}

/// The upper bound (ms) of the bucket holding quantile `q` of a Prometheus histogram in the
/// hub's `/metrics` text (`None` if the histogram is absent or empty).
fn hub_quantile_ms(metrics: &str, name: &str, q: f64) -> Option<f64> {
    let prefix = format!("{name}_bucket{{le=\"");
    let buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, count) = rest.split_once("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect();
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, c)| *c >= q * total)
        .map(|(le, _)| le * 1000.0)
}

/// The hub's own view: time in `gps::ingest` per batch (driver lock, filter, commit, live
/// state) and the fan-out's wait before a flush.
async fn hub_view(http: &reqwest::Client, url: &str) -> String {
    let text = match http.get(format!("{url}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return "hub metrics unavailable".into(),
    };
    let show = |name: &str| {
        let fmt =
            |q| hub_quantile_ms(&text, name, q).map_or("?".to_owned(), |v| format!("≤ {v:.1} ms"));
        format!("p50 {}, p99 {}", fmt(0.5), fmt(0.99))
    };
    format!(
        "hub-side time per batch in the GPS pipeline {}; coalescing wait before a fan-out flush {}",
        show("storelink_hub_gps_commit_latency_seconds"),
        show("storelink_hub_gps_fanout_delay_seconds")
    )
}

fn percentile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The figures of one fleet run.
struct FleetRun {
    drivers: usize,
    seconds: usize,
    setup: Duration,
    drive: Duration,
    stored_answered: u64,
    duplicates_answered: u64,
    rejected: u64,
    errors: u64,
    late: u64,
    rows: u64,
    track_drivers: u64,
    request_us: Histogram<u64>,
    request_steady_us: Histogram<u64>,
    fanout_us: Histogram<u64>,
    fanout_steady_us: Histogram<u64>,
    /// p99 of the fan-out per second of the drive (ms).
    fanout_p99_per_second: Vec<f64>,
    console_points: Vec<u64>,
    console_duplicates: u64,
    console_foreign: u64,
    console_lagged: u64,
    console_events: u64,
    hub_peak_rss: f64,
    hub_view: String,
    hub_rss_drive: f64,
    hub_rss_end: f64,
    hub_cpu: f64,
    own_cpu: f64,
    hub_wait: f64,
    own_wait: f64,
    load_before: String,
    load_after: String,
}

fn fleet_run(drivers_n: usize, seconds: usize) -> Result<FleetRun> {
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(dir.path())?;
    let api = HubApi::login(&hub)?;
    let url = hub.url();
    let hub_pid = hub.pid().context("hub pid")?;
    let admin = api.token().to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let run = rt.block_on(async move {
        let http = http_client()?;
        let setup_started = Instant::now();
        let drivers = make_drivers(&http, &url, &admin, 0..drivers_n).await?;
        // Each console logs in on its own, as 20 people at HQ would.
        let mut console_tokens = Vec::new();
        for _ in 0..CONSOLES {
            let resp = http
                .post(format!("{url}/api/v1/auth/login"))
                .json(&json!({"username": "admin", "password": storelink_tests::ADMIN_PASSWORD}))
                .send()
                .await?;
            let v = check(resp, "console login").await?;
            console_tokens.push(v["token"].as_str().context("token")?.to_owned());
        }
        let setup = setup_started.elapsed();
        eprintln!(
            "[bench gps] {drivers_n} drivers created and logged in, {CONSOLES} consoles logged in: {:.1} s",
            setup.as_secs_f64()
        );

        // Start the schedule 2 s from now, so every task is waiting before the first second.
        let t0 = Instant::now() + Duration::from_secs(2);
        let plan = Arc::new(Plan {
            drivers: drivers_n,
            seconds,
            t0_ms: wall_ms() + 2_000,
            t0,
            sent_us: (0..drivers_n * seconds).map(|_| AtomicU64::new(0)).collect(),
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(CONSOLES);
        let consoles: Vec<_> = console_tokens
            .into_iter()
            .map(|t| {
                tokio::spawn(console(
                    url.clone(),
                    t,
                    plan.clone(),
                    ready_tx.clone(),
                    stop_rx.clone(),
                ))
            })
            .collect();
        drop(ready_tx);
        for _ in 0..CONSOLES {
            ready_rx.recv().await.context("a console never said hello")?;
        }
        if Instant::now() > t0 {
            bail!("setting up the consoles took longer than the 2 s lead");
        }
        let load_before = load_average();
        // The hub's RSS while the drivers drive (its peak includes the argon2 logins before).
        let rss_max_kib = Arc::new(AtomicU64::new(0));
        let sampler = {
            let rss_max_kib = rss_max_kib.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    let kib = (status_mib(hub_pid, "VmRSS") * 1024.0) as u64;
                    rss_max_kib.fetch_max(kib, Ordering::Relaxed);
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        let hub_cpu_before = cpu_seconds(&hub_pid.to_string());
        let hub_wait_before = run_queue_waits(&hub_pid.to_string());
        let own_wait_before = run_queue_waits("self");
        eprintln!("[bench gps] driving now: hub pid {hub_pid}");
        let own_cpu_before = cpu_seconds("self");
        let tasks: Vec<_> = drivers
            .into_iter()
            .enumerate()
            .map(|(i, d)| tokio::spawn(drive(http.clone(), url.clone(), i, d.token, plan.clone())))
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for t in tasks {
            results.push(t.await??);
        }
        let drive = t0.elapsed();
        // The last points' events: give the consoles up to 10 s more.
        let grace = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(grace);
        let all = futures_util::future::join_all(consoles);
        tokio::pin!(all);
        let console_results = tokio::select! {
            r = &mut all => r,
            _ = &mut grace => {
                let _ = stop_tx.send(true);
                all.await
            }
        };
        let hub_cpu = cpu_seconds(&hub_pid.to_string()) - hub_cpu_before;
        let hub_wait = run_queue_wait_since(&hub_pid.to_string(), &hub_wait_before);
        let own_wait = run_queue_wait_since("self", &own_wait_before);
        let hub_view = hub_view(&http, &url).await;
        let _ = stop_tx.send(true);
        sampler.await?;
        let hub_rss_drive = rss_max_kib.load(Ordering::Relaxed) as f64 / 1024.0;
        let own_cpu = cpu_seconds("self") - own_cpu_before;
        let load_after = load_average();

        let mut request_us = Histogram::<u64>::new(3)?;
        let mut request_steady_us = Histogram::<u64>::new(3)?;
        let (mut stored, mut dups, mut rejected, mut errors, mut late) = (0, 0, 0, 0, 0);
        for r in &results {
            stored += r.stored;
            dups += r.duplicates;
            rejected += r.rejected;
            errors += r.errors;
            late += r.late;
            if let Some(h) = &r.latency_us {
                request_us.add(h)?;
            }
            if let Some(h) = &r.steady_us {
                request_steady_us.add(h)?;
            }
        }
        let mut fanout_us = Histogram::<u64>::new(3)?;
        let mut fanout_steady_us = Histogram::<u64>::new(3)?;
        let mut per_second: Vec<Histogram<u64>> = (0..seconds)
            .map(|_| Histogram::new(2))
            .collect::<Result<_, _>>()?;
        let mut console_points = Vec::new();
        let (mut c_dup, mut c_foreign, mut c_lagged, mut c_events) = (0, 0, 0, 0);
        for c in console_results {
            let c = c??;
            fanout_us.add(&c.latency_us)?;
            fanout_steady_us.add(&c.steady_us)?;
            for (all, one) in per_second.iter_mut().zip(&c.per_second_us) {
                all.add(one)?;
            }
            console_points.push(c.points);
            c_dup += c.duplicates;
            c_foreign += c.foreign;
            c_lagged += c.lagged;
            c_events += c.events;
        }
        Ok::<_, anyhow::Error>(FleetRun {
            drivers: drivers_n,
            seconds,
            setup,
            drive,
            stored_answered: stored,
            duplicates_answered: dups,
            rejected,
            errors,
            late,
            rows: 0,
            track_drivers: 0,
            request_us,
            request_steady_us,
            fanout_us,
            fanout_steady_us,
            fanout_p99_per_second: per_second
                .iter()
                .map(|h| percentile_ms(h, 0.99))
                .collect(),
            console_points,
            console_duplicates: c_dup,
            console_foreign: c_foreign,
            console_lagged: c_lagged,
            console_events: c_events,
            hub_peak_rss: 0.0,
            hub_view,
            hub_rss_drive,
            hub_rss_end: 0.0,
            hub_cpu,
            own_cpu,
            hub_wait,
            own_wait,
            load_before,
            load_after,
        })
    })?;
    let (rows, track_drivers) = track_rows(dir.path())?;
    Ok(FleetRun {
        rows,
        track_drivers,
        hub_peak_rss: status_mib(hub_pid, "VmHWM"),
        hub_rss_end: status_mib(hub_pid, "VmRSS"),
        ..run
    })
}

/// 5,000 drivers at 1 Hz for a minute, 20 consoles on the live socket.
fn fleet(report: &mut Report, scale: Scale) -> Result<()> {
    let drivers = DRIVERS / scale.shrink as usize;
    let seconds = if scale.shrink > 1 { 20 } else { SECONDS };
    let r = fleet_run(drivers, seconds)?;
    let expected = (r.drivers * r.seconds) as u64;
    let every_point = r.rows == expected
        && r.stored_answered == expected
        && r.errors == 0
        && r.rejected == 0
        && r.track_drivers == r.drivers as u64;
    let min_console = r.console_points.iter().copied().min().unwrap_or(0);
    eprintln!(
        "[bench gps] fan-out p99 per second of the drive (ms): {}",
        r.fanout_p99_per_second
            .iter()
            .map(|v| format!("{v:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let consoles_complete = min_console == expected && r.console_duplicates == 0;
    eprintln!(
        "[bench gps] load average before {} after {}; hub CPU {:.1} s, bench CPU {:.1} s over {:.1} s; {} position events per console; {} late sends",
        r.load_before,
        r.load_after,
        r.hub_cpu,
        r.own_cpu,
        r.drive.as_secs_f64(),
        r.console_events / CONSOLES as u64,
        r.late,
    );
    report.add(
        &format!(
            "gps: {} drivers at 1 Hz for {} s into one hub — points stored",
            r.drivers, r.seconds
        ),
        format!(
            "{} of {expected} rows in tracks.db ({} drivers); answered stored {}, duplicates {}, refused {}, failed requests {}",
            r.rows, r.track_drivers, r.stored_answered, r.duplicates_answered, r.rejected, r.errors
        ),
        "every point stored",
        Some(every_point),
        "—".into(),
        format!(
            "one-point PositionBatch per driver per second to POST /api/v1/driver/positions over a shared keep-alive pool, seconds spread evenly; accounts made with the users API and logged in (argon2id) beforehand: {:.0} s of setup, not timed",
            r.setup.as_secs_f64()
        ),
    );
    report.add(
        &format!(
            "gps: live fan-out, point sent → {CONSOLES} HQ consoles ({} drivers)",
            r.drivers
        ),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (after the first {WARM_UP_S} s: p99 {:.1} ms, max {:.1} ms)",
            percentile_ms(&r.fanout_us, 0.50),
            percentile_ms(&r.fanout_us, 0.99),
            r.fanout_us.max() as f64 / 1000.0,
            percentile_ms(&r.fanout_steady_us, 0.99),
            r.fanout_steady_us.max() as f64 / 1000.0
        ),
        "p99 ≤ 100 ms",
        Some(consoles_complete && percentile_ms(&r.fanout_us, 0.99) <= 100.0),
        "—".into(),
        format!(
            "per console per point, from the request handed to the HTTP client to the console's `positions` event ({} samples); every console saw {} of {expected} points (fewest), {} duplicates, {} lagged notices, {} unknown",
            r.fanout_us.len(),
            min_console,
            r.console_duplicates,
            r.console_lagged,
            r.console_foreign
        ),
    );
    report.add(
        &format!("gps: position ingest ({} drivers × 1 Hz)", r.drivers),
        format!(
            "{:.0} points/s; request p50 {:.1} ms, p99 {:.1} ms (after the first {WARM_UP_S} s: p99 {:.1} ms); hub RSS ≤ {:.0} MiB while driving",
            r.rows as f64 / r.drive.as_secs_f64(),
            percentile_ms(&r.request_us, 0.50),
            percentile_ms(&r.request_us, 0.99),
            percentile_ms(&r.request_steady_us, 0.99),
            r.hub_rss_drive
        ),
        "—",
        None,
        "—".into(),
        format!(
            "{}; hub CPU {:.0} s (its threads waited {:.0} s for a CPU while runnable) and load generator + consoles CPU {:.0} s (waited {:.0} s) in {:.0} s on 2 shared cores (load average {} → {}); hub peak RSS {:.0} MiB (setup included: 4 argon2id hashes at a time), {:.0} MiB at the end; {} sends more than 500 ms late",
            r.hub_view,
            r.hub_cpu,
            r.hub_wait,
            r.own_cpu,
            r.own_wait,
            r.drive.as_secs_f64(),
            r.load_before,
            r.load_after,
            r.hub_peak_rss,
            r.hub_rss_end,
            r.late
        ),
    );
    Ok(())
}

/// An hour at 1 Hz, oldest first, ending a minute ago; `extra` more seconds after it.
fn offline_points(rng: &mut StdRng, end_ms: i64, n: usize, extra: usize) -> Vec<GpsPoint> {
    let mut route = Route::new(rng);
    let start = end_ms - n as i64 * 1000;
    (0..n + extra)
        .map(|k| route.step(rng, start + k as i64 * 1000, 1.0))
        .collect()
}

async fn post_batch(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    points: &[GpsPoint],
) -> Result<(BatchOutcome, Duration)> {
    let batch = PositionBatch {
        shipment: None,
        points: points.to_vec(),
    };
    let body = serde_json::to_vec(&batch)?;
    let t = Instant::now();
    let resp = http
        .post(format!("{url}/api/v1/driver/positions"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    let took = t.elapsed();
    if !status.is_success() {
        bail!("position batch of {}: {status} {text}", points.len());
    }
    Ok((serde_json::from_str(&text)?, took))
}

async fn track(http: &reqwest::Client, url: &str, admin: &str, driver: &str) -> Result<Vec<i64>> {
    let resp = http
        .get(format!(
            "{url}/api/v1/drivers/{driver}/track?from_ms=0&to_ms={}",
            wall_ms() + 3_600_000
        ))
        .bearer_auth(admin)
        .send()
        .await?;
    let v = check(resp, "driver track").await?;
    v["points"]
        .as_array()
        .context("track without points")?
        .iter()
        .map(|p| p["ts_ms"].as_i64().context("point without ts_ms"))
        .collect()
}

/// The offline hour: 3,600 points in one request, then half of them again with 600 new.
fn offline_hour(report: &mut Report, scale: Scale) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(dir.path())?;
    let api = HubApi::login(&hub)?;
    let url = hub.url();
    let admin = api.token().to_owned();
    let runs = scale.runs;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (first_ms, resend_ms, ok, detail) = rt.block_on(async move {
        let http = http_client()?;
        let drivers = make_drivers(&http, &url, &admin, 0..runs).await?;
        let mut first_ms = Vec::new();
        let mut resend_ms = Vec::new();
        let mut ok = true;
        let mut detail = String::new();
        for (r, d) in drivers.iter().enumerate() {
            let mut rng = StdRng::seed_from_u64(9_000 + r as u64);
            let end = wall_ms() - 60_000 - OFFLINE_NEW as i64 * 1000;
            let all = offline_points(&mut rng, end, OFFLINE_POINTS, OFFLINE_NEW);
            let hour = &all[..OFFLINE_POINTS];
            let (o1, t1) = post_batch(&http, &url, &d.token, hour).await?;
            let after_first = track(&http, &url, &admin, &d.username).await?;
            let resend = &all[OFFLINE_POINTS / 2..];
            let (o2, t2) = post_batch(&http, &url, &d.token, resend).await?;
            let after_resend = track(&http, &url, &admin, &d.username).await?;
            let sent_first: Vec<i64> = hour.iter().map(|p| p.ts_ms).collect();
            let sent_all: Vec<i64> = all.iter().map(|p| p.ts_ms).collect();
            let this_ok = o1.stored as usize == OFFLINE_POINTS
                && o1.duplicates == 0
                && after_first == sent_first
                && o2.stored as usize == OFFLINE_NEW
                && o2.duplicates as usize == OFFLINE_POINTS / 2
                && after_resend == sent_all
                && o2.newest_ts_ms == sent_all.last().copied();
            if !this_ok {
                eprintln!(
                    "[bench gps] offline hour run {r}: first {o1:?} (track {} points), resend {o2:?} (track {} points)",
                    after_first.len(),
                    after_resend.len()
                );
            }
            ok &= this_ok;
            detail = format!(
                "first: stored {}, duplicates {}, track {} points in order; resend of {} (1,800 old + 600 new): stored {}, duplicates {}, track {} points, each once",
                o1.stored,
                o1.duplicates,
                after_first.len(),
                resend.len(),
                o2.stored,
                o2.duplicates,
                after_resend.len()
            );
            first_ms.push(t1.as_secs_f64() * 1000.0);
            resend_ms.push(t2.as_secs_f64() * 1000.0);
        }
        Ok::<_, anyhow::Error>((first_ms, resend_ms, ok, detail))
    })?;
    let (rows, _) = track_rows(dir.path())?;
    let expected_rows = (runs * (OFFLINE_POINTS + OFFLINE_NEW)) as u64;
    report.add(
        "gps: an hour offline (3,600 points) in one request, then resent with 600 new",
        format!(
            "{:.0} ms for the 3,600, {:.0} ms for the resend of 2,400",
            crate::report::median(first_ms),
            crate::report::median(resend_ms)
        ),
        "accepted in one request, in order, no duplicates",
        Some(ok && rows == expected_rows),
        "—".into(),
        format!(
            "{detail}; {rows} rows in tracks.db for {runs} drivers (expected {expected_rows}); median of {runs} runs (one driver each)"
        ),
    );
    Ok(())
}

/// Both GPS benchmarks.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    offline_hour(report, scale)?;
    fleet(report, scale)
}
