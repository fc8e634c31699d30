//! Catch-up after being offline: one till with 10,000 offline sales, and a
//! storm of 200 tills with 1,000 offline sales each reconnecting at once.
//! Both use the real `pos-agent` binary (each till is its own process, as on
//! its own machine) against the real hub binary.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use storelink_tests::{Hub, HubApi, Till};

use crate::Scale;
use crate::ingest::{import_catalog, seed_stores, skus};
use crate::report::{Report, median};

/// Sell `sales` three-line sales on a till (one transaction each).
fn sell_offline(till: &Till, skus: &[sync_proto::Sku], sales: u64) -> Result<()> {
    let a = skus[0].to_string();
    let b = skus[1].to_string();
    let c = skus[2].to_string();
    till.ok(&["sell", &a, &b, &c, "--repeat", &sales.to_string()])?;
    Ok(())
}

/// One till that sold 10,000 times offline: time of `sync --once` until all acked.
pub fn offline_till(report: &mut Report, scale: Scale) -> Result<()> {
    let sales = 10_000 / scale.shrink;
    let mut times = Vec::new();
    for _ in 0..scale.runs {
        let dir = tempfile::tempdir()?;
        let hub = Hub::start(&dir.path().join("hub"))?;
        let api = HubApi::login(&hub)?;
        let skus = skus(200);
        import_catalog(&api, &skus)?;
        seed_stores(&api, 1)?;
        let till = Till::enrol(&dir.path().join("till"), &hub, &api, "B0001")?;
        till.sync()?;
        sell_offline(&till, &skus, sales)?;
        let t = Instant::now();
        till.sync()?;
        let took = t.elapsed();
        let status = till.status()?;
        if status["unsent_ops"] != 0 || api.sales_summary(None)?.0 as u64 != sales {
            bail!("not all acked: {status}");
        }
        times.push(took.as_secs_f64());
    }
    let secs = median(times);
    report.add(
        "till: 10,000 offline sales, reconnect until all acked",
        format!("{:.3} s", secs),
        "≤ 0.35 s",
        Some(secs <= 0.35),
        report.vs_bulk(sales as f64 * 4.0 / secs),
        format!(
            "{sales} three-line sales (40,000 ops) sold offline, then `pos-agent sync --once` timed end to end (process start, connect, push, acks, catch-up); median of {} runs",
            scale.runs
        ),
    );
    Ok(())
}

fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn run_all(tills: &[Till], args: &[&str]) -> Result<Duration> {
    let t = Instant::now();
    let children: Vec<Child> = tills
        .iter()
        .map(|till| {
            till.command(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect::<std::io::Result<_>>()?;
    for child in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("till failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    Ok(t.elapsed())
}

/// 200 tills × 1,000 offline sales reconnect at once.
pub fn reconnect_storm(report: &mut Report, scale: Scale) -> Result<()> {
    let tills_n = 200usize;
    let sales = 1_000 / scale.shrink;
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(&dir.path().join("hub"))?;
    let api = HubApi::login(&hub)?;
    let skus = skus(200);
    import_catalog(&api, &skus)?;
    let stores = seed_stores(&api, 50)?;
    let mut tills = Vec::new();
    for i in 0..tills_n {
        let till = Till::enrol(
            &dir.path().join(format!("till{i}")),
            &hub,
            &api,
            &stores[i % stores.len()],
        )?;
        tills.push(till);
    }
    run_all(&tills, &["sync", "--once"])?;
    eprintln!("storm: {tills_n} tills enrolled and bootstrapped; selling {sales} each offline…");
    for group in tills.chunks(8) {
        std::thread::scope(|s| -> Result<()> {
            let handles: Vec<_> = group
                .iter()
                .map(|t| s.spawn(|| sell_offline(t, &skus, sales)))
                .collect();
            for h in handles {
                h.join().map_err(|_| anyhow::anyhow!("seller panicked"))??;
            }
            Ok(())
        })?;
    }
    let acked = run_all(&tills, &["sync", "--once"])?;
    let (count, _) = api.sales_summary(None)?;
    if count as u64 != tills_n as u64 * sales {
        bail!(
            "hub holds {count} sales, expected {}",
            tills_n as u64 * sales
        );
    }
    // Second pass: each till pulls what its store's other tills pushed meanwhile.
    let converge = run_all(&tills, &["sync", "--once"])?;
    for (i, till) in tills.iter().enumerate().step_by(17) {
        let store = &stores[i % stores.len()];
        let sku = skus[0].to_string();
        let hub_qty = api.stock_at(&sku, store)?;
        let till_qty = till.stock(&sku)?;
        if hub_qty != till_qty {
            bail!("till {i} sees {till_qty} of {sku}, hub {hub_qty}");
        }
    }
    let rss = hub.pid().map(peak_rss_mib).unwrap_or(0.0);
    let total = acked + converge;
    report.add(
        "reconnect storm: 200 tills × 1,000 offline sales",
        format!(
            "all acked in {:.1} s, converged in {:.1} s, hub peak RSS {rss:.0} MiB",
            acked.as_secs_f64(),
            total.as_secs_f64()
        ),
        "≤ 30 s, RSS ≤ 1 GiB",
        Some(total.as_secs_f64() <= 30.0 && rss <= 1024.0),
        report.vs_bulk((tills_n as u64 * sales * 4) as f64 / acked.as_secs_f64()),
        format!(
            "{} sales ({} ops) in 50 stores × 4 tills; 200 `pos-agent sync --once` processes started at once, then a second pass so every till has its store-mates' sales; stock checked against the hub on a sample of tills; one run",
            tills_n as u64 * sales,
            tills_n as u64 * sales * 4
        ),
    );
    Ok(())
}
