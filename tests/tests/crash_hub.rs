//! `kill -9` the hub while a till is pushing a large offline backlog — each
//! kill lands while the hub's sale count is rising, i.e. mid-ingest — and
//! after the last restart nothing is lost and nothing is counted twice.

use std::process::Stdio;
use std::time::{Duration, Instant};

use storelink_tests::{PRODUCTS, START_STOCK, SmallChain, wait_until};

const TEE: &str = PRODUCTS[0].0;
const SALES: i64 = 4_000;

#[test]
fn hub_killed_mid_push_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let mut chain = SmallChain::start()?;
    chain.api.adjust_stock("GN01", TEE, SALES)?;
    let till = chain.till("t1", "GN01")?;

    chain.hub.kill9();
    till.sell(&[TEE, "--repeat", &SALES.to_string()])?;
    chain.hub.restart()?;

    let mut daemon = till
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Kill the hub as soon as its count moves (ingest in progress), up to three times.
    let mut kills_mid_ingest = Vec::new();
    let mut last = chain.api.sales_summary(None)?.0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while kills_mid_ingest.len() < 3 && last < SALES && Instant::now() < deadline {
        let now = chain.api.sales_summary(None)?.0;
        if now > last && now < SALES {
            chain.hub.kill9();
            kills_mid_ingest.push(now);
            chain.hub.restart()?;
            last = chain.api.sales_summary(None)?.0;
        } else {
            last = now;
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    eprintln!("hub killed with -9 at these sale counts (of {SALES}): {kills_mid_ingest:?}");
    assert!(
        !kills_mid_ingest.is_empty(),
        "the test must kill the hub at least once while it ingests"
    );

    wait_until(Duration::from_secs(120), || {
        till.status().map(|s| s["unsent_ops"] == 0).unwrap_or(false)
    })?;
    let _ = daemon.kill();
    let _ = daemon.wait();

    let (count, total) = chain.api.sales_summary(Some("GN01"))?;
    assert_eq!(count, SALES, "every sale arrived exactly once");
    assert_eq!(total, SALES * PRODUCTS[0].2);
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK);
    let status = till.status()?;
    assert_eq!(status["acked_seq"], status["last_seq"]);
    Ok(())
}
