//! `GET /api/v1/stock?sku=` under load from a loopback load generator
//! (64 concurrent keep-alive connections, random SKUs, 10 s).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use hdrhistogram::Histogram;
use rand::Rng;
use storelink_tests::{Hub, HubApi};

use crate::Scale;
use crate::ingest::{device_backlogs, import_catalog, push_all, seed_stores, skus};
use crate::report::{Report, median};

const CONNECTIONS: usize = 64;

/// Stock reads per second and their latency.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(dir.path())?;
    let api = HubApi::login(&hub)?;
    let skus = skus(200);
    import_catalog(&api, &skus)?;
    let stores = seed_stores(&api, 50)?;
    let backlogs = device_backlogs(&hub, &api, &stores, 1, &skus, 100)?;
    push_all(&hub.url(), backlogs)?;
    let token = login_token(&hub)?;

    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    let secs = if scale.shrink > 1 { 3 } else { 10 };
    for _ in 0..scale.runs {
        let (count, hist) = load(&hub.url(), &token, &skus, Duration::from_secs(secs))?;
        rates.push(count as f64 / secs as f64);
        p50s.push(hist.value_at_quantile(0.5) as f64 / 1000.0);
        p99s.push(hist.value_at_quantile(0.99) as f64 / 1000.0);
    }
    let (rate, p99) = (median(rates), median(p99s));
    report.add(
        "hub: stock read GET /api/v1/stock?sku=",
        format!("{rate:.0} req/s, p50 {:.2} ms, p99 {p99:.2} ms", median(p50s)),
        "≥ 30,000 req/s at p99 ≤ 10 ms",
        Some(rate >= 30_000.0 && p99 <= 10.0),
        "— (served from the in-memory stock view)".into(),
        format!(
            "{CONNECTIONS} keep-alive connections from a Rust (reqwest) load generator on the same 2 cores, random SKU of 200 with stock in 50 stores, bearer auth, {secs} s; median of {} runs",
            scale.runs
        ),
    );
    Ok(())
}

fn login_token(hub: &Hub) -> Result<String> {
    let v: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/login", hub.url()))
        .json(
            &serde_json::json!({"username": "admin", "password": storelink_tests::ADMIN_PASSWORD}),
        )
        .send()?
        .json()?;
    match v["token"].as_str() {
        Some(t) => Ok(t.to_owned()),
        None => bail!("no token: {v}"),
    }
}

fn load(
    url: &str,
    token: &str,
    skus: &[sync_proto::Sku],
    for_how_long: Duration,
) -> Result<(u64, Histogram<u64>)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            let client = client.clone();
            let stop = stop.clone();
            let urls: Vec<String> = skus
                .iter()
                .map(|s| format!("{url}/api/v1/stock?sku={s}"))
                .collect();
            let token = token.to_owned();
            tasks.push(tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new(3)?;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let u = &urls[rand::thread_rng().gen_range(0..urls.len())];
                    let t = Instant::now();
                    let resp = client.get(u).bearer_auth(&token).send().await?;
                    if !resp.status().is_success() {
                        bail!("stock read failed: {}", resp.status());
                    }
                    resp.bytes().await?;
                    hist.record(t.elapsed().as_micros() as u64)?;
                    n += 1;
                }
                anyhow::Ok((n, hist))
            }));
        }
        tokio::time::sleep(for_how_long).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Histogram::<u64>::new(3)?;
        let mut count = 0;
        for t in tasks {
            let (n, h) = t.await??;
            count += n;
            all.add(h)?;
        }
        Ok((count, all))
    })
}
