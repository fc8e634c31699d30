//! `kill -9` the hub again and again while a till pushes a large offline
//! backlog; after the last restart nothing is lost and nothing counted twice.

use std::process::Stdio;
use std::time::Duration;

use storelink_tests::{PRODUCTS, START_STOCK, SmallChain, wait_until};

const TEE: &str = PRODUCTS[0].0;
const SALES: i64 = 2_000;

#[test]
fn hub_killed_mid_push_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let mut chain = SmallChain::start()?;
    chain.api.adjust_stock("GN01", TEE, SALES)?;
    let till = chain.till("t1", "GN01")?;

    chain.hub.kill9();
    till.sell(&[TEE, "--repeat", &SALES.to_string()])?;
    chain.hub.restart()?;

    let mut daemon = till.command(&["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let mut partial_counts = Vec::new();
    for delay_ms in [30u64, 80, 150, 60, 250] {
        std::thread::sleep(Duration::from_millis(delay_ms));
        chain.hub.kill9();
        chain.hub.restart()?;
        partial_counts.push(chain.api.sales_summary(None)?.0);
    }
    eprintln!("sales at the hub after each kill -9: {partial_counts:?}");

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
