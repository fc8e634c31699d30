//! `kill -9` a till while it sells (between committing sales and sending
//! them) and again while its sync daemon pushes: after restart every
//! committed sale reaches the hub, once.

use std::process::Stdio;
use std::time::Duration;

use storelink_tests::{PRODUCTS, START_STOCK, SmallChain, wait_until};

const TEE: &str = PRODUCTS[0].0;

#[test]
fn till_killed_after_commit_sends_each_sale_once() -> anyhow::Result<()> {
    let chain = SmallChain::start()?;
    chain.api.adjust_stock("GN01", TEE, 100_000)?;
    let till = chain.till("t1", "GN01")?;

    // A cashier selling as fast as the till can, killed at a random instant.
    let mut seller = till
        .command(&["sell", TEE, "--repeat", "1000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    wait_until(Duration::from_secs(30), || {
        till.status()
            .map(|s| s["sales_count"].as_i64().unwrap_or(0) >= 1_500)
            .unwrap_or(false)
    })?;
    seller.kill()?;
    seller.wait()?;
    let committed = till.status()?["sales_count"].as_i64().unwrap_or(0);
    assert!(committed >= 1_500);

    // The sync daemon is killed as soon as the hub has started taking its sales.
    let mut daemon = till
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    wait_until(Duration::from_secs(30), || {
        chain
            .api
            .sales_summary(Some("GN01"))
            .map(|(n, _)| n > 0)
            .unwrap_or(false)
    })?;
    daemon.kill()?;
    daemon.wait()?;
    let seen_before_restart = chain.api.sales_summary(Some("GN01"))?.0;
    eprintln!("{seen_before_restart} of {committed} sales at the hub when the daemon died");

    till.sync()?;
    let (count, total) = chain.api.sales_summary(Some("GN01"))?;
    assert_eq!(count, committed, "every committed sale arrived, once");
    assert_eq!(total, committed * PRODUCTS[0].2);
    assert_eq!(
        chain.api.stock_at(TEE, "GN01")?,
        START_STOCK + 100_000 - committed
    );
    assert_eq!(till.status()?["unsent_ops"], 0);
    assert_eq!(till.stock(TEE)?, START_STOCK + 100_000 - committed);
    Ok(())
}
