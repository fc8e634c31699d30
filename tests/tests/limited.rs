//! Limited editions, holds, first-come coupons and the time-deal clock guard end to end
//! (issue 7), with the real `hub-server` binary and real `pos-agent` processes:
//!
//! - a drop split across stores sells exactly its units while one store is cut off, the
//!   hub moving rights from a till that has them to one that asks;
//! - `kill -9` of the hub and of a till while rights travel back to the pool loses and
//!   doubles none of them;
//! - a hold lapses on the till's own clock while it is offline;
//! - a coupon campaign redeems exactly its number, and a member who used it at two tills cut
//!   off from each other is reported to HQ;
//! - a till whose clock is ten minutes fast pauses time deals until its clock is right.
//!
//! Tills that are online run the `pos-agent run` daemon, as a till does in a store; a till
//! that is cut off simply has no daemon. A till's clock is moved with libfaketime
//! (`cargo xtask setup` installs it), which changes what the process reads from the system
//! clock and nothing else.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use storelink_tests::{HubApi, PRODUCTS, START_STOCK, SmallChain, Till, wait_until};

/// The limited item: the field jacket.
const JACKET: &str = PRODUCTS[2].0;
/// An ordinary item.
const TEE: &str = PRODUCTS[0].0;
/// Where Debian's libfaketime lives.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

fn drop_key(sku: &str) -> String {
    format!("sku:{sku}")
}

/// `drops/{key}` (under `/api/v1`) with the key's `:` escaped.
fn drop_path(key: &str) -> String {
    format!("drops/{}", key.replace(':', "%3A"))
}

fn create_drop(api: &HubApi, body: Value) -> Result<Value> {
    api.post("drops", body)
}

fn drop_detail(api: &HubApi, key: &str) -> Result<Value> {
    api.get(&drop_path(key))
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

/// Units the detail accounts for: the pool, every store's till rights and what was sold.
/// A drop never loses or makes units, so this is always its total.
fn accounted(detail: &Value) -> u64 {
    let rights: u64 = detail["stores"]
        .as_array()
        .map(|s| s.iter().map(|s| num(&s["rights"])).sum())
        .unwrap_or(0);
    num(&detail["summary"]["pool"]) + rights + num(&detail["summary"]["sold"])
}

/// A store's row of the detail.
fn store_row<'a>(detail: &'a Value, store: &str) -> &'a Value {
    detail["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["store"] == store))
        .unwrap_or(&Value::Null)
}

/// This till's status of a limited SKU (`pos-agent limited SKU --json`).
fn limited(till: &Till, sku: &str) -> Result<Value> {
    Ok(serde_json::from_str(
        &till.ok(&["limited", sku, "--json"])?,
    )?)
}

fn available(till: &Till, sku: &str) -> u64 {
    limited(till, sku)
        .map(|s| num(&s["available"]))
        .unwrap_or(0)
}

fn stderr(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Try to sell; Ok(()) when sold, Err(message) when the till refused.
fn try_sell(till: &Till, args: &[&str]) -> Result<std::result::Result<(), String>> {
    let mut all = vec!["sell"];
    all.extend_from_slice(args);
    let out = till.run(&all)?;
    Ok(if out.status.success() {
        Ok(())
    } else {
        Err(stderr(&out))
    })
}

/// The sync daemon of a till that is online.
struct Daemon(Child);

impl Daemon {
    fn start(till: &Till) -> Result<Daemon> {
        Ok(Daemon(
            till.command(&["run"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `pos-agent` command on `till` whose clock reads `offset` (libfaketime syntax, `+31m`).
fn at_clock(till: &Till, offset: &str, args: &[&str]) -> Result<Command> {
    if !Path::new(LIBFAKETIME).exists() {
        bail!(
            "{LIBFAKETIME} is missing: these tests move a till's clock with libfaketime; \
             run `cargo xtask setup` (Debian package libfaketime)"
        );
    }
    let mut cmd = till.command(args);
    cmd.env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", offset)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("FAKETIME_DONT_RESET", "1");
    Ok(cmd)
}

fn output_ok(mut cmd: Command) -> Result<String> {
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", stderr(&out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_drop_sells_exactly_its_units_while_a_store_is_cut_off() -> Result<()> {
    let chain = SmallChain::start()?;
    let g1 = chain.till("g1", "GN01")?;
    let g2 = chain.till("g2", "GN01")?;
    let h1 = chain.till("h1", "HD02")?;
    let created = create_drop(
        &chain.api,
        json!({"label": "Collab jacket", "sku": JACKET, "total": 6, "rule": "manual",
               "manual": {"GN01": 4, "HD02": 2}, "hold_minutes": 30}),
    )?;
    let key = drop_key(JACKET);
    assert_eq!(created["summary"]["key"], key, "{created}");
    for till in [&g1, &g2, &h1] {
        till.sync()?;
        assert_eq!(available(till, JACKET), 2, "each till got its share");
    }

    // Hongdae loses its line; Gangnam's tills stay online.
    let _d1 = Daemon::start(&g1)?;
    let _d2 = Daemon::start(&g2)?;
    for _ in 0..2 {
        try_sell(&h1, &[JACKET])?.map_err(anyhow::Error::msg)?;
    }
    let refused = try_sell(&h1, &[JACKET])?.expect_err("a third jacket at Hongdae is refused");
    assert!(
        refused.contains("limited item: this till's allocation is used up; 4 left in other stores"),
        "{refused}"
    );
    // Ordinary stock never blocks, even offline.
    try_sell(&h1, &[TEE])?.map_err(anyhow::Error::msg)?;

    // g1 sells until its share is used up; its request for more is served by the hub
    // recalling a unit from g2, which is online and has not sold yet.
    let mut g1_sold = 0;
    while try_sell(&g1, &[JACKET])?.is_ok() {
        g1_sold += 1;
    }
    assert!(g1_sold >= 2, "g1 sold its own two first");
    wait_until(Duration::from_secs(60), || available(&g1, JACKET) >= 1)
        .context("the hub recalled a unit from g2 and gave it to g1")?;
    let mut g2_sold = 0;
    wait_until(Duration::from_secs(60), || {
        for (till, sold) in [(&g1, &mut g1_sold), (&g2, &mut g2_sold)] {
            if matches!(try_sell(till, &[JACKET]), Ok(Ok(()))) {
                *sold += 1;
            }
        }
        g1_sold + g2_sold == 4
    })
    .context("Gangnam sells its four units between its two tills")?;
    assert!(
        g1_sold >= 3,
        "rights moved from g2 to g1 ({g1_sold} vs {g2_sold})"
    );
    for till in [&g1, &g2] {
        let refused = try_sell(till, &[JACKET])?.expect_err("Gangnam's units are gone");
        assert!(refused.contains("limited item"), "{refused}");
    }

    // Hongdae comes back: every unit is accounted for, none sold twice.
    h1.sync()?;
    wait_until(Duration::from_secs(30), || {
        drop_detail(&chain.api, &key)
            .map(|d| num(&d["summary"]["sold"]) == 6)
            .unwrap_or(false)
    })?;
    let detail = drop_detail(&chain.api, &key)?;
    assert_eq!(num(&detail["summary"]["left"]), 0, "{detail}");
    assert_eq!(accounted(&detail), 6, "{detail}");
    assert_eq!(num(&store_row(&detail, "GN01")["sold"]), 4, "{detail}");
    assert_eq!(num(&store_row(&detail, "HD02")["sold"]), 2, "{detail}");
    assert_eq!(chain.api.stock_at(JACKET, "GN01")?, START_STOCK - 4);
    assert_eq!(chain.api.stock_at(JACKET, "HD02")?, START_STOCK - 2);
    Ok(())
}

#[test]
fn rights_travelling_back_survive_kill9_of_hub_and_till() -> Result<()> {
    let mut chain = SmallChain::start()?;
    let g1 = chain.till("g1", "GN01")?;
    let h1 = chain.till("h1", "HD02")?;
    create_drop(
        &chain.api,
        json!({"label": "Collab jacket", "sku": JACKET, "total": 40, "rule": "manual",
               "manual": {"GN01": 20, "HD02": 20}, "hold_minutes": 0}),
    )?;
    let key = drop_key(JACKET);
    g1.sync()?;
    h1.sync()?;
    assert_eq!(available(&h1, JACKET), 20);

    // HQ pulls Hongdae's units back; the till answers while both sides are killed at
    // different instants.
    let pulled = chain.api.post(
        &format!("{}/pull-back", drop_path(&key)),
        json!({"stores": ["HD02"]}),
    )?;
    assert_eq!(num(&pulled["recalls"]), 1, "{pulled}");
    for round in 0..6u64 {
        try_sell(&g1, &[JACKET])?.map_err(anyhow::Error::msg)?;
        let mut sync = h1
            .command(&["sync", "--once"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut g1_sync = g1
            .command(&["sync", "--once"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        std::thread::sleep(Duration::from_millis(20 + round * 40));
        sync.kill()?;
        g1_sync.kill()?;
        chain.hub.kill9();
        sync.wait()?;
        g1_sync.wait()?;
        chain.hub.restart()?;
    }
    h1.sync()?;
    g1.sync()?;

    let detail = drop_detail(&chain.api, &key)?;
    assert_eq!(accounted(&detail), 40, "no right lost or doubled: {detail}");
    assert_eq!(num(&detail["summary"]["sold"]), 6, "{detail}");
    assert_eq!(
        num(&detail["summary"]["pool"]),
        20,
        "Hongdae's 20, once: {detail}"
    );
    assert_eq!(num(&store_row(&detail, "HD02")["rights"]), 0, "{detail}");
    assert_eq!(num(&store_row(&detail, "GN01")["rights"]), 14, "{detail}");
    let h1_view = limited(&h1, JACKET)?;
    assert_eq!(num(&h1_view["rights"]), 0, "{h1_view}");
    assert_eq!(available(&g1, JACKET), 14);
    // The recall was answered once: a second clean sync moves nothing more.
    h1.sync()?;
    assert_eq!(
        num(&drop_detail(&chain.api, &key)?["summary"]["pool"]),
        20,
        "a resend never counts twice"
    );
    Ok(())
}

#[test]
fn a_hold_lapses_on_the_tills_own_clock_while_it_is_offline() -> Result<()> {
    let chain = SmallChain::start()?;
    let g1 = chain.till("g1", "GN01")?;
    create_drop(
        &chain.api,
        json!({"label": "Collab jacket", "sku": JACKET, "total": 3, "rule": "manual",
               "manual": {"GN01": 3}, "hold_minutes": 30}),
    )?;
    g1.sync()?;
    let hold: Value =
        serde_json::from_str(&g1.ok(&["hold", JACKET, "3", "--note", "Ms Kim", "--json"])?)?;
    assert_eq!(hold["status"], "held", "{hold}");
    assert_eq!(available(&g1, JACKET), 0);
    let refused = try_sell(&g1, &[JACKET])?.expect_err("every unit is held");
    assert!(refused.contains("limited item"), "{refused}");

    // The till is offline from here on. Thirty-one minutes later by its own clock the hold
    // has lapsed and the units are for sale again, with no message from anywhere.
    let later: Value = serde_json::from_str(&output_ok(at_clock(
        &g1,
        "+31m",
        &["limited", JACKET, "--json"],
    )?)?)?;
    assert_eq!(num(&later["available"]), 3, "{later}");
    assert_eq!(num(&later["held"]), 0, "{later}");
    let holds: Value =
        serde_json::from_str(&output_ok(at_clock(&g1, "+31m", &["holds", "--json"])?)?)?;
    assert_eq!(holds[0]["status"], "expired", "{holds}");
    output_ok(at_clock(&g1, "+31m", &["sell", JACKET])?)?;
    let after: Value = serde_json::from_str(&output_ok(at_clock(
        &g1,
        "+31m",
        &["limited", JACKET, "--json"],
    )?)?)?;
    assert_eq!(num(&after["available"]), 2, "{after}");
    // Before the lapse, by the same till's clock, the hold still stands.
    let holds_now: Value = serde_json::from_str(&g1.ok(&["holds", "--json"])?)?;
    assert_eq!(holds_now[0]["status"], "held", "{holds_now}");
    Ok(())
}

#[test]
fn coupons_redeem_exactly_their_number_and_a_member_used_twice_offline_is_reported() -> Result<()> {
    let chain = SmallChain::start()?;
    let g1 = chain.till("g1", "GN01")?;
    let h1 = chain.till("h1", "HD02")?;
    let created = create_drop(
        &chain.api,
        json!({"label": "Welcome 10%", "coupon": {"code": "WELCOME10", "discount": {"percent": 10}},
               "total": 4, "rule": "manual", "manual": {"GN01": 2, "HD02": 2}, "hold_minutes": 0}),
    )?;
    let key = created["summary"]["key"]
        .as_str()
        .context("coupon key")?
        .to_owned();
    for (till, phones) in [
        (&g1, ["010-1000-0001", "010-1000-0002", "010-1000-0003"]),
        (&h1, ["010-1000-0001", "010-1000-0004", "010-1000-0005"]),
    ] {
        for phone in phones {
            till.ok(&["member", "add", "--phone", phone, "--name", "Kim"])?;
        }
        till.sync()?;
    }

    // Both stores cut off from each other; member 0001 shops at both.
    for phone in ["010-1000-0001", "010-1000-0002"] {
        try_sell(&g1, &[TEE, "--member", phone, "--coupon", "WELCOME10"])?
            .map_err(anyhow::Error::msg)?;
    }
    let used_up = try_sell(
        &g1,
        &[TEE, "--member", "010-1000-0003", "--coupon", "WELCOME10"],
    )?
    .expect_err("g1's two coupons are gone");
    assert!(used_up.to_lowercase().contains("coupon"), "{used_up}");
    let again = try_sell(
        &g1,
        &[TEE, "--member", "010-1000-0002", "--coupon", "welcome10"],
    )?
    .expect_err("one coupon per member");
    assert!(again.to_lowercase().contains("coupon"), "{again}");
    for phone in ["010-1000-0001", "010-1000-0004"] {
        try_sell(&h1, &[TEE, "--member", phone, "--coupon", "WELCOME10"])?
            .map_err(anyhow::Error::msg)?;
    }

    g1.sync()?;
    h1.sync()?;
    let detail = drop_detail(&chain.api, &key)?;
    assert_eq!(num(&detail["summary"]["sold"]), 4, "{detail}");
    assert_eq!(num(&detail["summary"]["left"]), 0, "{detail}");
    let dups = detail["duplicate_redemptions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(dups.len(), 1, "{detail}");
    assert_eq!(num(&dups[0]["count"]), 2, "{detail}");
    // The discount reached the hub: 4 tees at 10% off, one at full price was never sold.
    let (count, total) = chain.api.sales_summary(None)?;
    assert_eq!(count, 4);
    assert_eq!(total, 4 * (PRODUCTS[0].2 - PRODUCTS[0].2 / 10));
    Ok(())
}

#[test]
fn a_till_whose_clock_is_ten_minutes_fast_pauses_time_deals() -> Result<()> {
    let chain = SmallChain::start()?;
    let g1 = chain.till("g1", "GN01")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    chain.api.post(
        "price-rules",
        json!({"skus": [TEE], "price": 19_000, "valid_from_ms": now - 3_600_000,
               "valid_to_ms": now + 7_200_000, "label": "Flash deal"}),
    )?;
    g1.sync()?;
    let product: Value = serde_json::from_str(&g1.ok(&["product", TEE, "--json"])?)?;
    assert_eq!(product["current_price"], 19_000, "{product}");

    // The till's clock runs ten minutes fast: its next contact with the hub shows it, and
    // deals stop applying until the clock is right again.
    output_ok(at_clock(&g1, "+10m", &["sync", "--once"])?)?;
    let fast: Value = serde_json::from_str(&output_ok(at_clock(
        &g1,
        "+10m",
        &["product", TEE, "--json"],
    )?)?)?;
    assert_eq!(fast["current_price"], PRODUCTS[0].2, "deal paused: {fast}");
    g1.sync()?;
    let right: Value = serde_json::from_str(&g1.ok(&["product", TEE, "--json"])?)?;
    assert_eq!(
        right["current_price"], 19_000,
        "deal back once the clock is right: {right}"
    );
    Ok(())
}
