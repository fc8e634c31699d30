//! A new till joining a chain with a 20,000-SKU catalog and a 1,000,000-op
//! history: enrol + first sync, timed end to end. The hub must serve a
//! snapshot of current state, not replay the history.

use std::time::Instant;

use anyhow::{Result, bail};
use storelink_tests::{Hub, HubApi, Till};

use crate::Scale;
use crate::ingest::{device_backlogs, import_catalog, push_all, seed_stores, skus};
use crate::report::Report;

/// Bootstrap time of a new till.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let catalog = 20_000 / scale.shrink as usize;
    let history_sales = 250_000 / scale.shrink; // × 4 ops = 1,000,000 ops
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(&dir.path().join("hub"))?;
    let api = HubApi::login(&hub)?;
    let skus = skus(catalog);
    let stores = seed_stores(&api, 100)?;
    let per_device = history_sales / stores.len() as u64;
    let backlogs = device_backlogs(&hub, &api, &stores, 1, &skus, per_device)?;
    let ops: u64 = backlogs.iter().map(|b| b.ops).sum();
    eprintln!("bootstrap: pushing a history of {ops} ops…");
    push_all(&hub.url(), backlogs)?;
    import_catalog(&api, &skus)?;

    let t = Instant::now();
    let till = Till::enrol(&dir.path().join("new-till"), &hub, &api, &stores[0])?;
    till.sync()?;
    let took = t.elapsed();

    // The till has the whole catalog and its store's stock.
    let last_sku = skus[catalog - 1].to_string();
    till.sell(&[&last_sku])?;
    let first = skus[0].to_string();
    let hub_qty = api.stock_at(&first, &stores[0])?;
    if till.stock(&first)? != hub_qty {
        bail!("bootstrapped stock differs from the hub");
    }
    report.add(
        "bootstrap of a new till",
        format!("{:.2} s", took.as_secs_f64()),
        "≤ 5 s",
        Some(took.as_secs_f64() <= 5.0),
        report.vs_rows(
            catalog as u64 * 8,
            "the snapshot's catalog (8 fields per SKU; the history is never replayed)",
        ),
        format!(
            "{catalog}-SKU catalog, {ops}-op history at the hub; `pos-agent enrol` + `sync --once` timed end to end (snapshot of current state + log tail); one run"
        ),
    );
    Ok(())
}
