//! The POS app's view of the hub, with a real hub process and the till core
//! in-process (as the desktop shell runs it): `SyncControl`'s link state goes
//! online after the hub's Welcome, counts unsent sales down to zero after the
//! acks, goes offline with the error when the hub dies, and `sync_now` brings
//! the till back at once instead of after its backoff sleep. The other
//! stores' stock comes from the hub while online and from the till's cache,
//! flagged offline, while the hub is down (`pos_agent::elsewhere`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pos_agent::{LinkState, SaleItem, SaleRequest, SyncControl, SyncOptions};
use storelink_tests::{PRODUCTS, START_STOCK, SmallChain, wait_until};

const TEE: &str = PRODUCTS[0].0;

/// Wait until the link state satisfies `want`.
fn link_until(
    control: &SyncControl,
    timeout: Duration,
    what: &str,
    want: impl Fn(&LinkState) -> bool,
) -> Result<LinkState> {
    let deadline = Instant::now() + timeout;
    loop {
        let link = control.link();
        if want(&link) {
            return Ok(link);
        }
        if Instant::now() > deadline {
            bail!("link never became {what} within {timeout:?}: {link:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn link_state_sync_now_and_stock_elsewhere_against_a_real_hub() -> Result<()> {
    let mut chain = SmallChain::start()?;
    let cli_till = chain.till("gn01-a", "GN01")?;
    let dir = cli_till.dir.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let control = SyncControl::new();
    let changes = control.subscribe();
    let opts = SyncOptions {
        control: Some(control.clone()),
        ..SyncOptions::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let loop_dir = dir.clone();
    let sync_loop = rt.spawn(async move {
        pos_agent::sync::run_with(&loop_dir, &opts, async {
            let _ = stopped.await;
        })
        .await
    });

    // Online after Welcome, nothing unsent.
    let link = link_until(&control, Duration::from_secs(20), "online", |l| l.online)?;
    assert_eq!(link.unsent_ops, 0);
    assert!(link.last_sync_ms.is_some());
    assert!(link.last_error.is_none());
    assert!(changes.has_changed()?, "subscribers are told");

    // A sale at the counter: unsent ops appear, then the acks bring them to zero.
    let mut till = pos_agent::Till::open(&dir)?;
    let sold = till.sell(&SaleRequest {
        items: vec![SaleItem::new(TEE, 1)],
        ..SaleRequest::default()
    })?;
    link_until(&control, Duration::from_secs(10), "acked", |l| {
        l.online && l.unsent_ops == 0 && till.status().map(|s| s.unsent_ops == 0).unwrap_or(false)
    })?;
    wait_until(Duration::from_secs(10), || {
        chain
            .api
            .sales_summary(Some("GN01"))
            .is_ok_and(|(n, total)| n == 1 && total == sold.sale.total)
    })
    .context("the hub holds the sale")?;

    // Other stores' stock, live from the hub (the own store's after the sale).
    wait_until(Duration::from_secs(10), || {
        chain
            .api
            .stock_at(TEE, "GN01")
            .is_ok_and(|q| q == START_STOCK - 1)
    })?;
    let live = rt.block_on(pos_agent::stock_elsewhere(
        &dir,
        TEE,
        Duration::from_secs(5),
    ))?;
    assert!(live.online);
    let qty = |e: &pos_agent::ElsewhereStock, store: &str| {
        e.stores.iter().find(|s| s.store == store).map(|s| s.qty)
    };
    assert_eq!(qty(&live, "GN01"), Some(START_STOCK - 1));
    assert_eq!(qty(&live, "HD02"), Some(START_STOCK));
    assert_eq!(
        live.stores.len(),
        2,
        "stores only, not the warehouse: {live:?}"
    );

    // The hub dies: offline with the error; the cache answers, flagged offline.
    chain.hub.kill9();
    let down = link_until(&control, Duration::from_secs(90), "offline", |l| !l.online)?;
    eprintln!("offline: {down:?}");
    let cached = rt.block_on(pos_agent::stock_elsewhere(
        &dir,
        TEE,
        Duration::from_secs(2),
    ))?;
    assert!(!cached.online);
    assert_eq!(cached.stores, live.stores);
    assert_eq!(cached.as_of_ms, live.as_of_ms);
    // Sales go on offline and are counted as unsent.
    till.sell(&SaleRequest {
        items: vec![SaleItem::new(TEE, 2)],
        ..SaleRequest::default()
    })?;
    let off = link_until(&control, Duration::from_secs(5), "with unsent ops", |l| {
        l.unsent_ops > 0 || till.status().map(|s| s.unsent_ops > 0).unwrap_or(false)
    })?;
    assert!(!off.online);
    assert!(
        control.link().last_error.is_some(),
        "the failure is shown: {:?}",
        control.link()
    );

    // Let the reconnect backoff grow (200 ms doubling to 10 s), then bring the
    // hub back and ask for a sync now: the till is online well before its
    // next scheduled attempt would have been (up to 10 s away).
    std::thread::sleep(Duration::from_secs(8));
    chain.hub.restart()?;
    let asked = Instant::now();
    control.sync_now();
    link_until(
        &control,
        Duration::from_secs(3),
        "online again after sync_now",
        |l| l.online,
    )?;
    eprintln!("back online {:?} after sync_now", asked.elapsed());
    link_until(&control, Duration::from_secs(10), "drained", |l| {
        l.unsent_ops == 0
    })?;
    wait_until(Duration::from_secs(10), || {
        chain
            .api
            .sales_summary(Some("GN01"))
            .is_ok_and(|(n, _)| n == 2)
    })
    .context("the offline sale reached the hub")?;

    // A live session also answers sync_now (push + status at once) and stays online.
    control.sync_now();
    std::thread::sleep(Duration::from_millis(300));
    assert!(control.link().online);

    let _ = stop.send(());
    rt.block_on(sync_loop)??;
    assert!(!control.link().online, "offline once the loop stopped");
    Ok(())
}
