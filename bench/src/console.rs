//! The HQ console's heavy reads at chain scale: 1,000 stores × 2,000 SKUs.
//!
//! Seeding: stores over REST, the catalog by CSV import, real sales pushed
//! by raw devices in some stores (so the writer's report tables are built by
//! the real path); then, with the hub stopped, the bulk that no REST call
//! could seed in reasonable time is written straight into its SQLite file:
//! a stock row for every (store, SKU) — 2,000,000 cells, some low, some
//! negative — and report rows for every store and hour of today and of the
//! same weekday last week. The hub then restarts (loading the stock view)
//! and the API is measured sequentially from one client:
//!
//! - `GET /api/v1/inventory/matrix` — a 50 × 50 page at random offsets;
//! - the same with `only=negative` (a scan of every cell);
//! - `GET /api/v1/dashboard` — chain-wide and for one store.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use rand::Rng;
use rusqlite::params;
use storelink_tests::{Hub, HubApi};

use crate::Scale;
use crate::ingest::{device_backlogs, import_catalog, push_all, seed_stores, skus};
use crate::report::{Report, median};

const STORES: usize = 1_000;
const SKUS: usize = 2_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// The hub's report offset on a new database (+09:00).
const OFFSET_MS: i64 = 9 * HOUR_MS;

/// Medians and p99 (ms) of the matrix and dashboard API.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let shrink = scale.shrink.max(1) as usize;
    let (stores, sku_count) = (STORES / shrink, SKUS / shrink);
    let dir = tempfile::tempdir()?;
    let mut hub = Hub::start(dir.path())?;
    let api = HubApi::login(&hub)?;
    let codes = seed_stores(&api, stores)?;
    let skus = skus(sku_count);
    import_catalog(&api, &skus)?;
    // Real sales through the writer in up to 50 stores.
    let selling: Vec<String> = codes.iter().take(50).cloned().collect();
    let backlogs = device_backlogs(&hub, &api, &selling, 1, &skus, 50)?;
    push_all(&hub.url(), backlogs)?;
    hub.kill9();
    let seeded = Instant::now();
    bulk_seed(&dir.path().join("hub.db"), &codes, &skus)?;
    eprintln!(
        "[bench] console: bulk-seeded {} stock cells in {:.1} s",
        codes.len() * skus.len(),
        seeded.elapsed().as_secs_f64()
    );
    hub.restart()?;
    let api = HubApi::login(&hub)?;

    let n = if scale.shrink > 1 { 10 } else { 100 };
    let mut rng = rand::thread_rng();
    let mut cases: Vec<(&str, Vec<String>)> = Vec::new();
    cases.push((
        "matrix page 50 SKUs × 50 stores",
        (0..n)
            .map(|_| {
                format!(
                    "inventory/matrix?sku_offset={}&sku_limit=50&store_offset={}&store_limit=50",
                    rng.gen_range(0..sku_count.saturating_sub(50).max(1)),
                    rng.gen_range(0..stores.saturating_sub(50).max(1))
                )
            })
            .collect(),
    ));
    cases.push((
        "matrix only=negative (scans every cell)",
        (0..n)
            .map(|_| "inventory/matrix?only=negative&sku_limit=50&store_limit=50".to_owned())
            .collect(),
    ));
    cases.push((
        "dashboard, whole chain",
        (0..n).map(|_| "dashboard".to_owned()).collect(),
    ));
    cases.push((
        "dashboard, one store",
        (0..n)
            .map(|_| format!("dashboard?store={}", codes[rng.gen_range(0..codes.len())]))
            .collect(),
    ));
    for (name, paths) in cases {
        let mut times = Vec::with_capacity(paths.len());
        for p in &paths {
            let t = Instant::now();
            let v = api.get(p)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if p.starts_with("inventory") && v["total_stores"].as_u64() != Some(stores as u64) {
                bail!("matrix answered {} stores, not {stores}", v["total_stores"]);
            }
            if p.starts_with("dashboard") && v["today"]["sales"].as_i64().unwrap_or(0) <= 0 {
                bail!("dashboard without sales: {}", v["today"]);
            }
        }
        let p50 = median(times.clone());
        times.sort_by(f64::total_cmp);
        let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).clamp(1, times.len()) - 1];
        report.add(
            &format!("console API: {name}"),
            format!("p50 {p50:.1} ms, p99 {p99:.1} ms"),
            "page API p99 < 1 s",
            Some(p99 < 1000.0),
            "— (reads the in-memory stock view and the materialised report tables)".into(),
            format!(
                "{stores} stores × {sku_count} SKUs ({} stock cells), {n} sequential requests from one client",
                stores * sku_count
            ),
        );
    }
    Ok(())
}

/// Write stock cells and report rows straight into the stopped hub's database.
fn bulk_seed(db: &std::path::Path, stores: &[String], skus: &[sync_proto::Sku]) -> Result<()> {
    let mut conn = rusqlite::Connection::open(db).context("open the hub database")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let tx = conn.transaction()?;
    {
        let actor = uuid::Uuid::new_v4();
        let mut counter = tx.prepare(
            "INSERT INTO stock_counter (location, sku, actor, inc_total, dec_total)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?;
        let mut stock = tx.prepare(
            "INSERT INTO stock (location, sku, qty) VALUES (?1, ?2, ?3)
             ON CONFLICT (location, sku) DO UPDATE SET qty = qty + excluded.qty",
        )?;
        for (i, store) in stores.iter().enumerate() {
            for (j, sku) in skus.iter().enumerate() {
                // 0..=47 mostly; some cells low, about one in fifty negative.
                let qty = ((i * 7 + j * 13) % 50) as i64 - 2;
                let (inc, dec) = if qty >= 0 { (qty, 0) } else { (0, -qty) };
                counter.execute(params![
                    store,
                    sku.as_str(),
                    actor.as_bytes().as_slice(),
                    inc,
                    dec
                ])?;
                stock.execute(params![store, sku.as_str(), qty])?;
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64;
        let today = (now + OFFSET_MS).div_euclid(DAY_MS);
        let mut hour = tx.prepare(
            "INSERT INTO sales_hour (hour, store, sales, returns, items, gross, refunds)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, 0)
             ON CONFLICT (hour, store) DO UPDATE SET sales = sales + excluded.sales,
               items = items + excluded.items, gross = gross + excluded.gross",
        )?;
        let mut by_sku = tx.prepare(
            "INSERT INTO sales_day_sku (day, store, sku, qty, revenue, returned_qty, refunds)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)
             ON CONFLICT (day, store, sku) DO UPDATE SET qty = qty + excluded.qty,
               revenue = revenue + excluded.revenue",
        )?;
        let mut chain = tx.prepare(
            "INSERT INTO sales_day_sku_chain (day, sku, qty, revenue, returned_qty, refunds)
             VALUES (?1, ?2, ?3, ?4, 0, 0)
             ON CONFLICT (day, sku) DO UPDATE SET qty = qty + excluded.qty,
               revenue = revenue + excluded.revenue",
        )?;
        let mut cashier = tx.prepare(
            "INSERT INTO sales_day_cashier (day, store, cashier, sales, items, revenue)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )?;
        for day in [today, today - 7] {
            let h0 = (day * DAY_MS - OFFSET_MS).div_euclid(HOUR_MS);
            for (i, store) in stores.iter().enumerate() {
                for h in 0..24 {
                    let sales = ((i + h as usize) % 9 + 1) as i64;
                    hour.execute(params![h0 + h, store, sales, sales * 2, sales * 40_000])?;
                }
                // A hundred SKUs sold per store and day.
                for k in 0..100.min(skus.len()) {
                    let sku = &skus[(i * 17 + k * 7) % skus.len()];
                    by_sku.execute(params![day, store, sku.as_str(), 2, 40_000])?;
                }
                for c in 0..3 {
                    cashier.execute(params![day, store, format!("cashier{c}"), 20, 40, 800_000])?;
                }
            }
            for (j, sku) in skus.iter().enumerate() {
                chain.execute(params![
                    day,
                    sku.as_str(),
                    (j % 40) as i64,
                    (j % 40) as i64 * 20_000
                ])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
