//! A till restored from an old copy of its database is refused and told to
//! enrol again; after enrolling again, the sale it made in between arrives
//! and nothing it had already sent counts twice.

use storelink_tests::{PRODUCTS, START_STOCK, SmallChain, Till};

const TEE: &str = PRODUCTS[0].0;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

#[test]
fn restored_till_is_refused_then_re_enrols_without_loss() -> anyhow::Result<()> {
    let chain = SmallChain::start()?;
    let till = chain.till("t1", "GN01")?;
    till.sell(&[TEE, "--repeat", "2"])?;
    till.sync()?;

    let backup = chain.root.path().join("t1-backup");
    copy_dir(&till.dir, &backup)?;

    till.sell(&[TEE, "--repeat", "3"])?;
    till.sync()?;
    assert_eq!(chain.api.sales_summary(None)?.0, 5);

    std::fs::remove_dir_all(&till.dir)?;
    copy_dir(&backup, &till.dir)?;

    // The restored till still sells (selling never waits for the network)…
    let after_restore = till.sell(&[TEE])?;
    assert_eq!(after_restore.len(), 1);

    // …but the hub refuses its sync and says to enrol again.
    let out = till.run(&["sync", "--once"])?;
    assert_eq!(out.status.code(), Some(3), "exit code 3 = enrol again");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.to_lowercase().contains("enrol"),
        "tells the cashier to enrol: {said}"
    );
    assert_eq!(till.status()?["needs_enrolment"], true);
    assert_eq!(
        chain.api.sales_summary(None)?.0,
        5,
        "nothing from the restored copy was stored"
    );

    // Enrol again as a new actor: the sale made after the restore arrives once.
    let code = chain.api.enrolment_code("GN01")?;
    let till = Till::new(&till.dir);
    till.ok(&["enrol", "--hub", &chain.hub.url(), "--code", &code])?;
    till.sync()?;
    till.sync()?;
    let (count, total) = chain.api.sales_summary(None)?;
    assert_eq!(count, 6);
    assert_eq!(total, 6 * PRODUCTS[0].2);
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK - 6);
    assert_eq!(till.stock(TEE)?, START_STOCK - 6);
    assert_eq!(till.status()?["needs_enrolment"], false);
    Ok(())
}
