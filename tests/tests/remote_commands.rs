//! Remote till commands end to end, over real processes: HQ locks a till that
//! is running `pos-agent run`; the till refuses to sell, and stays locked
//! after a kill -9; an unlock issued while the till is down is delivered when
//! it comes back; a message from HQ reaches the cashier. The hub shows each
//! command's progress (pending → delivered → done).

use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use storelink_tests::{PRODUCTS, SmallChain, Till, wait_until};

const TEE: &str = PRODUCTS[0].0;

struct Daemon(Child);

impl Daemon {
    fn start(till: &Till) -> Result<Daemon> {
        let child = till
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start pos-agent run")?;
        Ok(Daemon(child))
    }

    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn actor_of(till: &Till) -> Result<String> {
    till.status()?["actor"]
        .as_str()
        .map(str::to_owned)
        .context("status --json names the actor")
}

fn command_status(chain: &SmallChain, actor: &str, id: &str) -> Result<String> {
    let list = chain.api.get(&format!("tills/{actor}/commands"))?;
    let found = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == id)
        .with_context(|| format!("command {id} listed: {list}"))?;
    Ok(found["status"].as_str().unwrap_or_default().to_owned())
}

fn send_command(chain: &SmallChain, actor: &str, body: Value) -> Result<String> {
    let cmd = chain.api.post(&format!("tills/{actor}/commands"), body)?;
    cmd["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("command has an id: {cmd}"))
}

fn wait_done(chain: &SmallChain, actor: &str, id: &str) -> Result<()> {
    wait_until(Duration::from_secs(20), || {
        command_status(chain, actor, id).is_ok_and(|s| s == "done")
    })
    .with_context(|| format!("command {id} done"))
}

#[test]
fn hq_locks_and_unlocks_a_till_and_messages_its_cashier() -> Result<()> {
    let chain = SmallChain::start()?;
    let till = chain.till("gn-1", "GN01")?;
    let actor = actor_of(&till)?;
    let mut daemon = Daemon::start(&till)?;
    till.sell(&[TEE])?;

    // Lock while the till is connected: delivered at once, carried out, acked.
    let lock = send_command(&chain, &actor, json!({"kind": "lock"}))?;
    wait_done(&chain, &actor, &lock)?;
    let refused = till.run(&["sell", TEE])?;
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a locked till refuses to sell"
    );
    let said = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(said.contains("locked"), "the cashier is told why: {said}");
    let tills = chain.api.get("tills")?;
    let row = tills
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["actor"] == actor.as_str())
        .context("till listed")?;
    assert_eq!(row["locked"], true, "the fleet view shows the lock: {row}");

    // The lock survives a crash of the till's daemon.
    daemon.kill9();
    let refused = till.run(&["sell", TEE])?;
    assert_eq!(refused.status.code(), Some(1), "still locked after kill -9");

    // Unlock and a message while the till is offline: pending until it is back.
    let unlock = send_command(&chain, &actor, json!({"kind": "unlock"}))?;
    let message = send_command(
        &chain,
        &actor,
        json!({"kind": "show_message", "message": "Count the safe before closing"}),
    )?;
    assert_eq!(command_status(&chain, &actor, &unlock)?, "pending");
    let _daemon = Daemon::start(&till)?;
    wait_done(&chain, &actor, &unlock)?;
    wait_done(&chain, &actor, &message)?;
    let receipts = till.sell(&[TEE])?;
    assert_eq!(receipts.len(), 1, "unlocked: sells again");
    let status = till.status()?;
    if !status.to_string().contains("Count the safe before closing") {
        bail!("the message from HQ is shown to the cashier: {status}");
    }

    // Exactly the two sales made while unlocked reach the hub.
    wait_until(Duration::from_secs(20), || {
        chain
            .api
            .sales_summary(Some("GN01"))
            .is_ok_and(|(count, _)| count == 2)
    })?;
    Ok(())
}
