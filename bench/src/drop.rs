//! Limited editions and first-come coupons (issue 7, the bounded counter): a drop of 100 units
//! hit by 10,000 concurrent purchase attempts across 200 tills with a third of them offline, a
//! 300-coupon campaign hit by 8,500 redemptions, and the till-side cost of selling a limited
//! item compared with an ordinary one.
//!
//! **The fleet** ([`Fleet`]): the real `hub-server` binary on loopback; 50 stores × 4 tills,
//! each till an in-process [`pos_agent::Till`] core on its own data directory, enrolled with
//! [`pos_agent::enrol()`] and bootstrapped with [`pos_agent::sync::sync_once`]. In-process
//! rather than 200 `pos-agent` processes because the attempts must hit the till core
//! concurrently and individually: a CLI process per attempt would add ~10 ms of process start
//! and schema check to each of 10,000 attempts and serialise them on 2 cores, so the
//! benchmark would measure process spawning, not the drop. The cores, the enrolment and the
//! sync client are the same code the CLI and the desktop app run; each till keeps its own
//! SQLite file and its own actor, so nothing is shared between tills but the hub.
//!
//! **Drop** ([`drop_and_coupons`]): HQ creates the drop over REST (`POST /api/v1/drops`, rule
//! `equal`); every till syncs once so it holds its allocation; then a third of the tills
//! (chosen by a seeded RNG) go offline — they do not sync again until the end — and the other
//! two thirds run the real sync loop ([`pos_agent::sync::run`]) so the hub sees them connected
//! and its rebalancer can serve their rights requests and recall from them. A pool of threads
//! fires the attempts (1-unit sales of the limited SKU) at tills picked by the same seeded RNG
//! and classifies each as sold or refused. At the end the online loops stop, every till syncs
//! until nothing is unacknowledged, and the hub is checked: exactly `total` sold, never more,
//! `pool + Σ rights + sold == total`, and its sales count equals the sales the tills made.
//!
//! "Refused while units remained" is measured two ways, per refused attempt:
//! - *till's view*: the refusal said "N left in other stores" with N > 0 (what the cashier
//!   read: units existed elsewhere as this till knew);
//! - *true remainder*: `total −` the sales committed at all tills so far (read right after the
//!   refusal) was > 0 — units were really still unsold somewhere (at another till, in transit,
//!   or in the hub's pool).
//!
//! **Coupons**: the same fleet, a 300-coupon campaign (rule `equal`), 8,500 redemptions by
//! distinct members (created at the hub before the tills enrolled, so every till knows them),
//! a different third of the tills offline; exactly 300 redeemed at the hub, no duplicates.
//!
//! **Sale latency** ([`sale_latency`]): one offline till core with the 20,000-SKU catalog of
//! [`crate::till`], given a drop's definition, rights and the counter entries of 200 tills by
//! hand-made hub ops, then 1-line sales alternating between the limited SKU and ordinary SKUs:
//! p50/p99 of [`pos_agent::Till::sell`] for each. No network is in the path by construction
//! (the till has no hub).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use pos_agent::{SaleItem, SaleReceipt, SaleRequest, Till, TillError};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use storelink_tests::{Hub, HubApi, wait_until};
use sync_proto::escrow::{AllocationRule, EscrowKind, EscrowMove, LimitDef, LimitKey};
use sync_proto::{ActorId, Hlc, Op, OpBody, Scope};
use uuid::Uuid;

use crate::Scale;
use crate::ingest::{import_catalog, seed_stores, skus};
use crate::report::{Report, median, ms};

/// Stores of the fleet.
const STORES: usize = 50;
/// Tills per store.
const TILLS_PER_STORE: usize = 4;
/// SKUs in the fleet's catalog (the limited SKU is the first, the coupon sale the second).
const FLEET_SKUS: usize = 50;
/// Units of the drop.
const UNITS: u64 = 100;
/// Purchase attempts on the drop.
const ATTEMPTS: u64 = 10_000;
/// Coupons of the campaign.
const COUPONS: u64 = 300;
/// Redemption attempts (one member each).
const REDEMPTIONS: u64 = 8_500;
/// The campaign's code.
const COUPON_CODE: &str = "BENCH-FIRST300";
/// Threads firing attempts.
const FIRING_THREADS: usize = 16;
/// Concurrent `sync_once` runs when the whole fleet syncs.
const SYNC_PARALLEL: usize = 16;
/// Seed of every random choice (which tills are offline, which till each attempt hits).
const SEED: u64 = 0x5107_E11D;
/// Sales of each kind in the latency benchmark.
const LATENCY_SALES: usize = 2_000;
/// Tills whose counter entries the latency benchmark's till knows (a 200-till drop).
const LATENCY_TILLS: u64 = 200;

/// Run the three benchmarks.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    sale_latency(report, scale)?;
    drop_and_coupons(report, scale)
}

// -------------------------------------------------------------------------------------------
// Sale latency: limited vs ordinary
// -------------------------------------------------------------------------------------------

/// Hand-made ops of a hub (and of other tills) for the latency benchmark's offline till.
struct Feed {
    hub: ActorId,
    seq: u64,
    cursor: u64,
}

impl Feed {
    fn op(&mut self, actor: ActorId, seq: u64, scope: Scope, body: OpBody) -> Op {
        self.seq += 1;
        Op {
            actor,
            seq,
            hlc: Hlc {
                wall_ms: 1_000 + self.seq,
                counter: 0,
                actor,
            },
            scope,
            body,
        }
    }

    fn hub_op(&mut self, scope: Scope, body: OpBody) -> Op {
        let seq = self.seq + 1;
        self.op(self.hub, seq, scope, body)
    }
}

fn escrow(key: &LimitKey, kind: EscrowKind, qty: u64, total: u64) -> OpBody {
    OpBody::EscrowMove(EscrowMove {
        key: key.clone(),
        kind,
        qty,
        reference: None,
        total,
    })
}

/// Give `till` a drop of `sku`: the definition, the hub's mint, `rights` for this till, and
/// one unit given to and sold by each of `LATENCY_TILLS − 1` other tills (their entries are
/// what every till of a real drop knows, as escrow moves are broadcast).
fn give_drop(till: &mut Till, sku: &str, rights: u64) -> Result<()> {
    let me = till
        .enrolment()?
        .context("the latency till is enrolled offline")?
        .actor;
    let key = LimitKey::Sku(sku.parse()?);
    let mut feed = Feed {
        hub: ActorId(Uuid::now_v7()),
        seq: 0,
        cursor: 0,
    };
    let others = LATENCY_TILLS - 1;
    let mut ops = vec![
        feed.hub_op(
            Scope::Catalog,
            OpBody::LimitDef(LimitDef {
                key: key.clone(),
                label: "Bench collab jacket".into(),
                total: rights + others,
                rule: AllocationRule::Equal,
                hold_minutes: 0,
                starts_at_ms: None,
                ends_at_ms: None,
                coupon: None,
                active: true,
            }),
        ),
        feed.hub_op(
            Scope::Broadcast,
            escrow(&key, EscrowKind::Mint, rights + others, rights + others),
        ),
        feed.hub_op(
            Scope::Broadcast,
            escrow(&key, EscrowKind::Transfer(me), rights, rights),
        ),
    ];
    for _ in 0..others {
        let other = ActorId(Uuid::now_v7());
        ops.push(feed.hub_op(
            Scope::Broadcast,
            escrow(&key, EscrowKind::Transfer(other), 1, 1),
        ));
        ops.push(feed.op(
            other,
            1,
            Scope::Broadcast,
            escrow(&key, EscrowKind::Use, 1, 1),
        ));
    }
    feed.cursor += ops.len() as u64;
    till.apply_downstream(&ops, feed.cursor)?;
    Ok(())
}

fn one_line(code: String) -> SaleRequest {
    SaleRequest {
        items: vec![SaleItem::new(code, 1)],
        ..SaleRequest::default()
    }
}

/// p50/p99 of `Till::sell` for 1-line sales of a limited SKU (with rights) and of ordinary
/// SKUs, alternating on the same till core.
pub fn sale_latency(report: &mut Report, scale: Scale) -> Result<()> {
    let items = crate::till::catalog();
    let catalog = crate::till::CATALOG;
    let limited_sku = items
        .first()
        .map(|i| i.sku.clone())
        .context("empty catalog")?;
    let sales = (LATENCY_SALES / scale.shrink as usize).max(200);
    let rights = 10 * sales as u64;
    let (mut l50, mut l99, mut o50, mut o99) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..scale.runs {
        let dir = tempfile::tempdir()?;
        let mut till = Till::open_offline(dir.path(), "GN01", 1)?;
        till.seed_catalog(&items)?;
        give_drop(&mut till, &limited_sku, rights)?;
        let _checkpointer = pos_agent::db::Checkpointer::start(dir.path())?;
        let mut limited = Histogram::<u64>::new(3)?;
        let mut ordinary = Histogram::<u64>::new(3)?;
        let warm = 100;
        for i in 0..(sales + warm) {
            let code = format!("BEN-{:05}-BLK-M", 1 + (i * 7) % (catalog - 1));
            for (req, hist) in [
                (one_line(limited_sku.clone()), &mut limited),
                (one_line(code), &mut ordinary),
            ] {
                let t = Instant::now();
                till.sell(&req)?;
                if i >= warm {
                    hist.record(t.elapsed().as_micros() as u64)?;
                }
            }
        }
        // The work was done: every limited sale spent one right, and nothing else did.
        let status = till
            .limited(&limited_sku)?
            .context("the limited SKU lost its drop")?;
        let expected = rights - (sales + warm) as u64;
        if status.available != expected {
            bail!(
                "limited till holds {} rights after {} sales of {rights}, expected {expected}",
                status.available,
                sales + warm
            );
        }
        l50.push(limited.value_at_quantile(0.5) as f64);
        l99.push(limited.value_at_quantile(0.99) as f64);
        o50.push(ordinary.value_at_quantile(0.5) as f64);
        o99.push(ordinary.value_at_quantile(0.99) as f64);
    }
    let us = |v: f64| ms(Duration::from_micros(v as u64));
    let (lp99, op99) = (median(l99), median(o99));
    let ratio = if op99 > 0.0 { lp99 / op99 } else { 0.0 };
    report.add(
        "till: 1-line sale of a limited item vs an ordinary item",
        format!(
            "limited p50 {}, p99 {}; ordinary p50 {}, p99 {}; p99 ratio {ratio:.2}",
            us(median(l50)),
            us(lp99),
            us(median(o50)),
            us(op99)
        ),
        "same p99 (ratio ≤ 1.10), no network",
        Some(ratio <= 1.10),
        report.vs_commit(lp99 / 1000.0),
        format!(
            "`Till::sell` on one offline till core (no hub: no network in the path) with the {catalog}-SKU catalog of the sale benchmark; the limited SKU's drop known with the counter entries of {LATENCY_TILLS} tills; {sales} sales of each kind alternating after 100 warm-up each; a limited sale also checks window and rights and writes its `EscrowMove` in the same transaction; median of {} runs",
            scale.runs
        ),
    );
    Ok(())
}

// -------------------------------------------------------------------------------------------
// The fleet
// -------------------------------------------------------------------------------------------

/// One till of the fleet.
struct FleetTill {
    dir: PathBuf,
    core: Mutex<Till>,
}

/// A hub and its tills (fields drop in order: tills and runtime before the hub and the files).
struct Fleet {
    tills: Vec<FleetTill>,
    rt: tokio::runtime::Runtime,
    api: HubApi,
    _hub: Hub,
    root: tempfile::TempDir,
    skus: Vec<String>,
}

/// The phone number of bench member `i`.
fn phone(i: u64) -> String {
    format!("010{i:08}")
}

fn lock(t: &FleetTill) -> Result<std::sync::MutexGuard<'_, Till>> {
    t.core
        .lock()
        .map_err(|_| anyhow!("till core lock poisoned"))
}

impl Fleet {
    /// Hub, catalog, stores, `members` members, and `stores × TILLS_PER_STORE` enrolled and
    /// bootstrapped tills.
    fn start(stores: usize, members: u64) -> Result<Fleet> {
        let root = tempfile::tempdir()?;
        let hub = Hub::start(&root.path().join("hub"))?;
        let api = HubApi::login(&hub)?;
        let skus = skus(FLEET_SKUS);
        import_catalog(&api, &skus)?;
        let codes = seed_stores(&api, stores)?;
        let t = Instant::now();
        let next = AtomicU64::new(0);
        std::thread::scope(|s| -> Result<()> {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| -> Result<()> {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= members {
                                return Ok(());
                            }
                            api.post(
                                "members",
                                json!({"phone": phone(i), "name": format!("Bench member {i}"),
                                       "marketing_consent": false}),
                            )?;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().map_err(|_| anyhow!("member creator panicked"))??;
            }
            Ok(())
        })?;
        eprintln!(
            "drop: {members} members created in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let t = Instant::now();
        let mut dirs = Vec::new();
        for store in &codes {
            for _ in 0..TILLS_PER_STORE {
                let dir = root.path().join(format!("till{:03}", dirs.len()));
                let code = api.enrolment_code(store)?;
                rt.block_on(pos_agent::enrol(&dir, &hub.url(), &code))?;
                dirs.push(dir);
            }
        }
        let mut fleet = Fleet {
            tills: Vec::new(),
            rt,
            api,
            _hub: hub,
            root,
            skus: skus.iter().map(ToString::to_string).collect(),
        };
        fleet.sync_dirs(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
        for dir in dirs {
            let core = Mutex::new(Till::open(&dir)?);
            fleet.tills.push(FleetTill { dir, core });
        }
        eprintln!(
            "drop: {} tills enrolled and bootstrapped in {:.1} s",
            fleet.tills.len(),
            t.elapsed().as_secs_f64()
        );
        Ok(fleet)
    }

    /// `sync_once` on these tills, `SYNC_PARALLEL` at a time; every one must succeed.
    fn sync_dirs(&self, dirs: &[&Path]) -> Result<()> {
        let results: Vec<pos_agent::Result<pos_agent::SyncReport>> = self.rt.block_on(
            futures_util::stream::iter(dirs.iter().map(|d| pos_agent::sync::sync_once(d)))
                .buffer_unordered(SYNC_PARALLEL)
                .collect(),
        );
        for r in results {
            r?;
        }
        Ok(())
    }

    /// Sync every till until none has an unacknowledged op (a recall answered in one round is
    /// pushed in the next); returns the rounds it took.
    fn converge(&self) -> Result<u32> {
        let dirs: Vec<&Path> = self.tills.iter().map(|t| t.dir.as_path()).collect();
        for round in 1..=6 {
            self.sync_dirs(&dirs)?;
            let mut unsent = 0;
            for t in &self.tills {
                unsent += lock(t)?.status()?.unsent_ops;
            }
            if unsent == 0 {
                return Ok(round);
            }
        }
        bail!("tills still hold unacknowledged ops after 6 sync rounds")
    }

    /// `GET /api/v1/drops/{key}` (the key's `:` URL-encoded).
    fn detail(&self, key: &str) -> Result<Value> {
        self.api
            .get(&format!("drops/{}", key.replacen(':', "%3A", 1)))
    }

    /// Rights requests and rebalancing recalls of `key`, read from the hub's database.
    fn rebalancing(&self, key: &str) -> Result<Rebalancing> {
        let conn = rusqlite::Connection::open_with_flags(
            self.root.path().join("hub").join("hub.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let (requests, served, served_units): (u64, u64, u64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(status = 1), 0), COALESCE(SUM(served_qty), 0)
             FROM rights_request WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let (recalls, recalled_units): (u64, u64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(returned), 0) FROM rights_recall
             WHERE key = ?1 AND reason = 'rebalance'",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Rebalancing {
            requests,
            served,
            served_units,
            recalls,
            recalled_units,
        })
    }

    /// Create a drop or campaign over REST and let every till sync its allocation in; returns
    /// the key. Checks that the tills together hold the whole total.
    fn create(&self, body: Value, total: u64) -> Result<String> {
        let detail = self.api.post("drops", body)?;
        let key = detail["summary"]["key"]
            .as_str()
            .context("drop key in the answer")?
            .to_owned();
        self.converge()?;
        let limit_key: LimitKey = key.parse()?;
        let mut held = 0;
        for t in &self.tills {
            let items = lock(t)?.limited_items()?;
            held += items
                .iter()
                .find(|s| s.key == key)
                .map_or(0, |s| s.available);
        }
        if held != total {
            bail!("the tills hold {held} rights of {limit_key} after allocation, not {total}");
        }
        Ok(key)
    }

    /// A seeded third of the tills marked offline.
    fn offline_third(&self, seed: u64) -> Vec<bool> {
        let mut idx: Vec<usize> = (0..self.tills.len()).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed));
        let mut offline = vec![false; self.tills.len()];
        for &i in idx.iter().take(self.tills.len() / 3) {
            offline[i] = true;
        }
        offline
    }

    /// Start the sync loop of the online tills, wait until the hub sees them all connected,
    /// fire `attempts` at seeded random tills (`request(i)` = attempt `i`'s sale) from
    /// `FIRING_THREADS` threads, stop the loops, and bring every till back until all is acked.
    fn fire(
        &self,
        key: &str,
        offline: &[bool],
        total: u64,
        attempts: u64,
        seed: u64,
        request: impl Fn(u64) -> SaleRequest + Sync,
    ) -> Result<Fired> {
        let online: Vec<usize> = (0..self.tills.len()).filter(|i| !offline[*i]).collect();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let loops: Vec<_> = online
            .iter()
            .map(|&i| {
                let dir = self.tills[i].dir.clone();
                let mut stop = stop_rx.clone();
                self.rt.spawn(async move {
                    pos_agent::sync::run(&dir, async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await
                })
            })
            .collect();
        let connected = || -> Result<usize> {
            let d = self.detail(key)?;
            Ok(d["stores"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["tills"].as_array().into_iter().flatten())
                .filter(|t| t["online"] == true)
                .count())
        };
        wait_until(Duration::from_secs(60), || {
            connected().is_ok_and(|n| n == online.len())
        })
        .with_context(|| format!("the hub never saw the {} online tills", online.len()))?;

        let mut rng = StdRng::seed_from_u64(seed);
        let targets: Vec<usize> = (0..attempts)
            .map(|_| rng.gen_range(0..self.tills.len()))
            .collect();
        let next = AtomicUsize::new(0);
        let sold = AtomicU64::new(0);
        let tally = Mutex::new(Fired::default());
        let t0 = Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let workers: Vec<_> = (0..FIRING_THREADS)
                .map(|_| {
                    s.spawn(|| -> Result<()> {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&till) = targets.get(i) else {
                                return Ok(());
                            };
                            let req = request(i as u64);
                            let r: pos_agent::Result<SaleReceipt> =
                                lock(&self.tills[till])?.sell(&req);
                            let mut f = tally.lock().map_err(|_| anyhow!("tally poisoned"))?;
                            match r {
                                Ok(_) => {
                                    let n = sold.fetch_add(1, Ordering::SeqCst) + 1;
                                    f.sold += 1;
                                    if offline[till] {
                                        f.sold_offline += 1;
                                    }
                                    if n == total {
                                        f.sold_out = Some((t0.elapsed(), i as u64 + 1));
                                    }
                                }
                                Err(
                                    TillError::LimitedUsedUp { elsewhere, .. }
                                    | TillError::CouponsUsedUp { elsewhere, .. },
                                ) => {
                                    f.refused += 1;
                                    if elsewhere > 0 {
                                        f.refused_view_left += 1;
                                    }
                                    if sold.load(Ordering::SeqCst) < total {
                                        f.refused_truly_left += 1;
                                    }
                                }
                                Err(TillError::CouponAlreadyUsed(_)) => f.refused_duplicate += 1,
                                Err(e) => {
                                    bail!("attempt {i} at till {till}: unexpected error: {e}")
                                }
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().map_err(|_| anyhow!("firing thread panicked"))??;
            }
            Ok(())
        })?;
        let mut fired = tally.into_inner().map_err(|_| anyhow!("tally poisoned"))?;
        fired.attempts = attempts;
        fired.wall = t0.elapsed();
        let _ = stop_tx.send(true);
        for l in loops {
            self.rt
                .block_on(l)
                .map_err(|e| anyhow!("sync loop task: {e}"))??;
        }
        let t = Instant::now();
        fired.rounds = self.converge()?;
        fired.converge = t.elapsed();
        Ok(fired)
    }
}

/// What the hub's rebalancer did for one key.
#[derive(Debug, Default)]
struct Rebalancing {
    requests: u64,
    served: u64,
    served_units: u64,
    recalls: u64,
    recalled_units: u64,
}

/// The outcome of firing attempts.
#[derive(Debug, Default)]
struct Fired {
    attempts: u64,
    sold: u64,
    sold_offline: u64,
    refused: u64,
    /// Refusals that said "N left in other stores" with N > 0.
    refused_view_left: u64,
    /// Refusals while the sales committed so far were fewer than the total.
    refused_truly_left: u64,
    /// Coupon refusals because this member had redeemed already (as the till knew).
    refused_duplicate: u64,
    /// When and after how many attempts the last unit sold.
    sold_out: Option<(Duration, u64)>,
    wall: Duration,
    rounds: u32,
    converge: Duration,
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// The hub's figures of a drop after the end, checked: `sold == expected_sold` (the tills'
/// count), never more than the total, `left == 0` when all sold, and
/// `pool + Σ store rights + sold == total`.
fn check_at_hub(fleet: &Fleet, key: &str, total: u64, fired: &Fired) -> Result<Value> {
    wait_until(Duration::from_secs(30), || {
        fleet
            .detail(key)
            .is_ok_and(|d| d["summary"]["sold"].as_u64() == Some(fired.sold))
    })
    .with_context(|| {
        format!(
            "the hub never counted the {} units the tills sold",
            fired.sold
        )
    })?;
    let d = fleet.detail(key)?;
    let s = &d["summary"];
    let num = |v: &Value, what: &str| v.as_u64().with_context(|| format!("drop {what}"));
    let (hub_total, sold, left, pool) = (
        num(&s["total"], "total")?,
        num(&s["sold"], "sold")?,
        num(&s["left"], "left")?,
        num(&s["pool"], "pool")?,
    );
    let rights: u64 = d["stores"]
        .as_array()
        .context("drop stores")?
        .iter()
        .map(|st| st["rights"].as_u64().unwrap_or(0))
        .sum();
    if hub_total != total {
        bail!("hub total {hub_total}, created {total}");
    }
    if sold > total {
        bail!("OVERSOLD: hub counts {sold} sold of {total}");
    }
    if sold == total && left != 0 {
        bail!("all {total} sold but the hub says {left} left");
    }
    if pool + rights + sold != total {
        bail!("pool {pool} + rights {rights} + sold {sold} != total {total}");
    }
    Ok(d)
}

/// The drop and the coupon campaign on one fleet.
pub fn drop_and_coupons(report: &mut Report, scale: Scale) -> Result<()> {
    let stores = (STORES / scale.shrink as usize).max(2);
    let attempts = ATTEMPTS / scale.shrink;
    let coupons = (COUPONS / scale.shrink).max(1);
    let redemptions = REDEMPTIONS / scale.shrink;
    let tills = stores * TILLS_PER_STORE;
    let t = Instant::now();
    let fleet = Fleet::start(stores, redemptions)?;
    let setup = t.elapsed();

    // --- The drop ---
    let sku = fleet.skus.first().context("catalog")?.clone();
    let key = fleet.create(
        json!({"label": "Bench collab jacket", "sku": sku, "total": UNITS, "rule": "equal",
               "hold_minutes": 0}),
        UNITS,
    )?;
    let offline = fleet.offline_third(SEED);
    let n_offline = offline.iter().filter(|o| **o).count();
    let fired = fleet.fire(&key, &offline, UNITS, attempts, SEED + 1, |_| {
        one_line(sku.clone())
    })?;
    eprintln!("drop: {fired:?}");
    let detail = check_at_hub(&fleet, &key, UNITS, &fired)?;
    let sold = detail["summary"]["sold"].as_u64().unwrap_or(0);
    let (hub_sales, _) = fleet.api.sales_summary(None)?;
    if hub_sales as u64 != fired.sold {
        bail!("hub holds {hub_sales} sales, the tills made {}", fired.sold);
    }
    let reb = fleet.rebalancing(&key)?;
    eprintln!("drop: rebalancing {reb:?}");
    let sold_out = fired.sold_out.map_or_else(
        || "never sold out".to_owned(),
        |(d, n)| format!("sold out after {n} attempts, {:.2} s", d.as_secs_f64()),
    );
    let oversold = sold.saturating_sub(UNITS);
    report.add(
        &format!("drop: {attempts} attempts for {UNITS} units, {tills} tills, ⅓ offline"),
        format!(
            "{sold} sold, {oversold} oversold, {} attempts; {sold_out}; all {} attempts in {:.2} s; hub converged in {:.1} s",
            fired.attempts,
            fired.attempts,
            fired.wall.as_secs_f64(),
            fired.converge.as_secs_f64()
        ),
        "exactly all units sold, 0 oversold",
        Some(sold == UNITS && oversold == 0),
        "—".into(),
        format!(
            "real hub binary; {tills} in-process till cores ({stores} stores × {TILLS_PER_STORE}), each its own SQLite file and actor; drop over REST (rule equal), allocation synced to every till, then {n_offline} seeded-random tills offline until the end and the rest on the real sync loop; {FIRING_THREADS} threads fire 1-unit sales at seeded-random tills; {} of the units sold at offline tills; at the end every till synced ({} rounds) and the hub checked: sold = the tills' count = the hub's sales count, pool + Σ rights + sold = total; one run (setup {:.0} s)",
            fired.sold_offline,
            fired.rounds,
            setup.as_secs_f64()
        ),
    );
    report.add(
        "drop: attempts refused while units remained",
        format!(
            "{:.1}% of attempts by the till's message (\"N left in other stores\", N > 0), {:.1}% by the true remainder; {} refused in all",
            pct(fired.refused_view_left, fired.attempts),
            pct(fired.refused_truly_left, fired.attempts),
            fired.refused
        ),
        "reference",
        None,
        "—".into(),
        format!(
            "till's view: the refusal's N > 0; true remainder: fewer than {UNITS} sales committed at all tills when the refusal came back; rebalancer: {} rights requests ({} served, {} units), {} recalls from connected tills ({} units given back)",
            reb.requests, reb.served, reb.served_units, reb.recalls, reb.recalled_units
        ),
    );

    // --- The coupon campaign ---
    let coupon_sku = fleet.skus.get(1).context("catalog")?.clone();
    let ckey = fleet.create(
        json!({"label": "Bench first-come coupon", "total": coupons, "rule": "equal",
               "coupon": {"code": COUPON_CODE, "discount": {"percent": 10}, "min_spend": 0}}),
        coupons,
    )?;
    let coffline = fleet.offline_third(SEED + 2);
    let cfired = fleet.fire(&ckey, &coffline, coupons, redemptions, SEED + 3, |i| {
        SaleRequest {
            items: vec![SaleItem::new(coupon_sku.clone(), 1)],
            member_phone: Some(phone(i)),
            coupon_code: Some(COUPON_CODE.into()),
            ..SaleRequest::default()
        }
    })?;
    eprintln!("coupons: {cfired:?}");
    let cdetail = check_at_hub(&fleet, &ckey, coupons, &cfired)?;
    let redeemed = cdetail["summary"]["sold"].as_u64().unwrap_or(0);
    let duplicates = cdetail["duplicate_redemptions"]
        .as_array()
        .map_or(0, Vec::len);
    let creb = fleet.rebalancing(&ckey)?;
    let over = redeemed.saturating_sub(coupons);
    report.add(
        &format!("coupons: {redemptions} redemptions of a {coupons}-coupon campaign"),
        format!(
            "{redeemed} redeemed, {over} over, {duplicates} duplicate members; {} refused ({:.1}% while coupons remained by the true remainder, {:.1}% by the till's message), {} refused as already used; {} attempts in {:.2} s",
            cfired.refused,
            pct(cfired.refused_truly_left, cfired.attempts),
            pct(cfired.refused_view_left, cfired.attempts),
            cfired.refused_duplicate,
            cfired.attempts,
            cfired.wall.as_secs_f64()
        ),
        "exactly all coupons redeemed, 0 over",
        Some(redeemed == coupons && over == 0 && duplicates == 0),
        "—".into(),
        format!(
            "same fleet; campaign over REST (rule equal, 10% off), allocation synced, another seeded third offline; each attempt a 1-line sale with the code and a distinct member (members created at the hub before enrolment); {} redeemed at offline tills; rebalancer: {} requests ({} served), {} recalls; checked at the hub after every till synced: redeemed = the tills' count, pool + Σ rights + redeemed = total, no duplicate member; one run",
            cfired.sold_offline, creb.requests, creb.served, creb.recalls
        ),
    );
    if sold != UNITS {
        eprintln!("drop: only {sold} of {UNITS} sold — see the rebalancing figures; not hiding it");
    }
    Ok(())
}
