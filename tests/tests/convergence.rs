//! Two tills of one store and one of another sell while the hub is down,
//! reconnect, and every replica converges: each till's view of its store's
//! stock equals the hub's, and the hub's totals equal the sum of all sales.

use storelink_tests::{PRODUCTS, START_STOCK, SmallChain};

const TEE: &str = PRODUCTS[0].0;
const JEANS: &str = PRODUCTS[1].0;

#[test]
fn offline_sales_on_three_tills_converge_everywhere() -> anyhow::Result<()> {
    let mut chain = SmallChain::start()?;
    let a1 = chain.till("a1", "GN01")?;
    let a2 = chain.till("a2", "GN01")?;
    let b1 = chain.till("b1", "HD02")?;

    // Bootstrapped from the snapshot: catalog and store stock are there.
    assert_eq!(a1.stock(TEE)?, START_STOCK);
    assert_eq!(b1.stock(JEANS)?, START_STOCK);

    chain.hub.kill9();
    let mut receipts = Vec::new();
    receipts.extend(a1.sell(&[&format!("{TEE}:2"), "--repeat", "3"])?);
    receipts.extend(a2.sell(&[
        TEE,
        &format!("{JEANS}:1"),
        "--tender",
        "cash:100000",
        "--repeat",
        "2",
    ])?);
    receipts.extend(b1.sell(&[&format!("{TEE}:1"), "--repeat", "4"])?);
    assert_eq!(receipts.len(), 9);
    let unique: std::collections::BTreeSet<_> = receipts.iter().collect();
    assert_eq!(
        unique.len(),
        9,
        "receipt numbers are unique across tills: {receipts:?}"
    );

    // Offline, each till sees only its own sales.
    assert_eq!(a1.stock(TEE)?, START_STOCK - 6);
    assert_eq!(a2.stock(TEE)?, START_STOCK - 2);

    chain.hub.restart()?;
    for _ in 0..2 {
        for till in [&a1, &a2, &b1] {
            till.sync()?;
        }
    }

    let tee_gn = chain.api.stock_at(TEE, "GN01")?;
    assert_eq!(tee_gn, START_STOCK - 8);
    assert_eq!(a1.stock(TEE)?, tee_gn);
    assert_eq!(a2.stock(TEE)?, tee_gn);
    assert_eq!(a1.stock(JEANS)?, chain.api.stock_at(JEANS, "GN01")?);
    assert_eq!(chain.api.stock_at(JEANS, "GN01")?, START_STOCK - 2);
    assert_eq!(b1.stock(TEE)?, chain.api.stock_at(TEE, "HD02")?);
    assert_eq!(chain.api.stock_at(TEE, "HD02")?, START_STOCK - 4);
    assert_eq!(chain.api.chain_stock(TEE)?, 2 * START_STOCK - 12);

    let (count, total) = chain.api.sales_summary(None)?;
    let tee = PRODUCTS[0].2;
    let jeans = PRODUCTS[1].2;
    assert_eq!(count, 9);
    assert_eq!(total, 3 * 2 * tee + 2 * (tee + jeans) + 4 * tee);
    assert_eq!(chain.api.sales_summary(Some("GN01"))?.0, 5);
    assert_eq!(chain.api.sales_summary(Some("HD02"))?.0, 4);

    // A sale made on a2 is known to a1 after sync: a1 takes the return.
    let a2_receipt = &receipts[3];
    a1.ok(&["return", a2_receipt, TEE])?;
    for till in [&a1, &a2] {
        till.sync()?;
    }
    a1.sync()?;
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK - 7);
    assert_eq!(a2.stock(TEE)?, START_STOCK - 7);
    assert_eq!(a1.stock(TEE)?, START_STOCK - 7);

    // Syncing again changes nothing: no op counts twice.
    for till in [&a1, &a2, &b1] {
        till.sync()?;
    }
    assert_eq!(chain.api.sales_summary(None)?.0, 9);
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK - 7);
    Ok(())
}
