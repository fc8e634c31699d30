//! Sale commit latency at the till: a three-line sale with its stock moves
//! and outbox entries in one SQLite transaction with fsync (WAL,
//! synchronous=FULL), through the same core the CLI and the desktop app use,
//! with a 20,000-SKU catalog.

use std::time::{Duration, Instant};

use anyhow::Result;
use hdrhistogram::Histogram;
use pos_agent::{CatalogItem, SaleItem, SaleRequest, TenderRequest, Till};
use sync_proto::TenderKind;

use crate::Scale;
use crate::report::{Report, median, ms};

/// SKUs in the catalog of the till-core benchmarks.
pub const CATALOG: usize = 20_000;
const SALES: usize = 2_000;

/// The benchmark catalog: `CATALOG` SKUs `BEN-00000-BLK-M`… with barcodes.
pub fn catalog() -> Vec<CatalogItem> {
    (0..CATALOG)
        .map(|i| CatalogItem {
            sku: format!("BEN-{i:05}-BLK-M"),
            name: format!("Bench item {i}"),
            price: Some(10_000 + (i % 50) as i64 * 1_000),
            barcode: Some(format!("880{i:010}")),
            style: None,
            colour: None,
            size: None,
            category: None,
            active: true,
        })
        .collect()
}

/// p50/p99 of `Till::sell` for a three-line sale with a split tender.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let items = catalog();
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    for _ in 0..scale.runs {
        let dir = tempfile::tempdir()?;
        let mut till = Till::open_offline(dir.path(), "GN01", 1)?;
        till.seed_catalog(&items)?;
        // As on a real till, the sync daemon checkpoints the WAL in the background.
        let _checkpointer = pos_agent::db::Checkpointer::start(dir.path())?;
        let mut hist = Histogram::<u64>::new(3)?;
        for i in 0..(SALES + 100) {
            let req = SaleRequest {
                items: vec![
                    SaleItem::new(format!("BEN-{:05}-BLK-M", (i * 7) % CATALOG), 1),
                    SaleItem::new(format!("880{:010}", (i * 13 + 1) % CATALOG), 2),
                    SaleItem::new(format!("BEN-{:05}-BLK-M", (i * 29 + 2) % CATALOG), 1),
                ],
                tenders: vec![
                    TenderRequest::of(TenderKind::Cash, 10_000),
                    TenderRequest::rest(TenderKind::Card),
                ],
                cashier: None,
                member_phone: None,
                sold_at_ms: None,
                cart_discount: None,
                approver_pin: None,
                hold: None,
                coupon_code: None,
            };
            let t = Instant::now();
            till.sell(&req)?;
            if i >= 100 {
                hist.record(t.elapsed().as_micros() as u64)?;
            }
        }
        p50s.push(hist.value_at_quantile(0.5) as f64);
        p99s.push(hist.value_at_quantile(0.99) as f64);
    }
    let us = |v: f64| ms(Duration::from_micros(v as u64));
    let p99 = median(p99s);
    report.add(
        "till: sale commit with fsync (3 lines, split tender)",
        format!("p50 {}, p99 {}", us(median(p50s)), us(p99)),
        "p99 ≤ 1 ms",
        Some(p99 <= 1_000.0),
        report.vs_commit(p99 / 1000.0),
        format!(
            "`Till::sell`: price lookup (SKU and barcode) in a {CATALOG}-SKU catalog, sale + lines + tenders + 3 stock moves + 4 outbox ops in one WAL transaction with synchronous=FULL, WAL checkpoints in the background as the sync daemon does; {SALES} sales after 100 warm-up; median of {} runs",
            scale.runs
        ),
    );
    Ok(())
}
