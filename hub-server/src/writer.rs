//! The single writer: every change to the hub's database goes through one
//! thread that owns the only writing SQLite connection.
//!
//! Callers (sync connections, REST handlers) send a job over a channel and
//! await its answer. The writer takes the first job, drains everything else
//! already queued (up to [`Settings::max_ops_per_commit`] ops), and runs all of
//! them in ONE transaction — group commit: one fsync for many batches from
//! many tills. Each job runs inside its own savepoint, so a refused job
//! leaves nothing behind while the others commit. Only after `COMMIT`
//! returns does the writer answer the jobs (so an `Ack` is never sent for
//! something that could be lost), update the in-memory stock view, append
//! the new ops to the in-memory [`RecentLog`] and publish the new log head
//! on a `watch` channel, which wakes every connection's downstream pump.
//!
//! Applying ops is idempotent: the log has `UNIQUE(actor, seq)` and a
//! duplicate is skipped; stock counter entries merge with `MAX`; records are
//! `INSERT … ON CONFLICT DO NOTHING`; catalog fields change only for a newer
//! HLC. Replaying any prefix of the log again changes nothing. Limited-item
//! ops go to [`crate::drops`] (escrow entries merge with `MAX` too; a till's
//! moves are checked strictly), and a till batch that asked for rights or gave
//! some back ends with the rebalancer.
//!
//! Hot-path details: the statements are prepared once per group
//! transaction ([`Stmts`]); stock moves of one job are folded per
//! `(location, sku, actor)` in memory and written once at the end of the job.
//!
//! [`Settings::max_ops_per_commit`]: crate::Settings::max_ops_per_commit

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use bytes::Bytes;
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};
use sync_proto::state::{continues_totals, next_stock_totals};
use sync_proto::wire::ErrorCode;
use sync_proto::{
    ActorId, CatalogSet, Hlc, HlcClock, LocationId, Op, OpBody, ReturnRecord, SaleRecord, Scope,
    Sku, StockMove, StockReason,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::feed::{RecentLog, RecentOp, ScopeIds};
use crate::metrics::Metrics;
use crate::views::StockView;
use crate::{HubError, now_ms};

/// An op as submitted to the writer: decoded, plus its stored encoding.
#[derive(Debug, Clone)]
pub struct EncodedOp {
    /// The op.
    pub op: Op,
    /// `rmp_serde::to_vec_named(&op)`: what the log stores and tills receive.
    pub bytes: Bytes,
}

impl EncodedOp {
    /// Encode an op for the log.
    pub fn new(op: Op) -> Result<Self, HubError> {
        let bytes = rmp_serde::to_vec_named(&op)
            .map_err(|e| HubError::Internal(format!("encoding op: {e}")))?;
        Ok(Self {
            op,
            bytes: Bytes::from(bytes),
        })
    }
}

type Completion = Box<dyn FnOnce(Result<(), HubError>) + Send>;
type JobFn = Box<dyn FnOnce(&mut Apply<'_, '_>) -> (bool, Completion) + Send>;

enum Msg {
    Job { run: JobFn, weight: usize },
    Stop,
}

/// Handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
    alive: Arc<AtomicBool>,
    hub_actor: ActorId,
}

/// What the writer publishes after commits.
pub struct WriterOutputs {
    /// Log head (highest cursor), sent after every commit that moved it.
    pub head: watch::Sender<u64>,
    /// In-memory stock, updated after commit.
    pub stock: Arc<StockView>,
    /// Recently committed ops, for the downstream pumps.
    pub recent: Arc<RecentLog>,
    /// Scope interning shared with the pumps.
    pub scopes: Arc<ScopeIds>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Live events, published after commit.
    pub events: crate::events::EventBus,
    /// Connected tills (the rebalancer recalls rights only from these).
    pub live: Arc<crate::sync_ws::LiveTills>,
    /// Live logistics state (stop ETAs, the change generation the GPS pipeline follows).
    pub logistics: Arc<crate::logistics::Live>,
}

/// A number assigned inside the current transaction.
enum NewNo {
    Actor(ActorId),
    Scope(Scope),
    Sku(Sku),
}

/// A stock counter entry touched by the current job.
struct CounterAcc {
    old_inc: u64,
    old_dec: u64,
    inc: u64,
    dec: u64,
}

/// The writer's in-memory state, valid only together with committed data.
struct WriterState {
    hub_actor: ActorId,
    hub_clock: HlcClock,
    hub_seq: u64,
    hub_dirty: bool,
    /// Highest stored seq per till actor (authoritative: only the writer writes it).
    acked: HashMap<ActorId, u64>,
    /// Undo journal of `acked` within the current job.
    acked_undo: Vec<(ActorId, Option<u64>)>,
    /// Numbers of actors and scopes in the log.
    actor_nos: HashMap<ActorId, i64>,
    scope_nos: HashMap<Scope, (i64, u32)>,
    /// Numbers of SKUs in the stock-move history.
    sku_nos: HashMap<Sku, i64>,
    /// Numbers assigned in the current job (forgotten if it rolls back).
    new_nos: Vec<NewNo>,
    /// Stock counter entries changed by the current job, written at its end.
    counters: HashMap<(LocationId, Sku, ActorId), CounterAcc>,
    /// Stock changes of the current transaction, for the view.
    stock_deltas: Vec<(String, String, i64)>,
    /// Ops of the current transaction, for the recent log.
    recent: Vec<RecentOp>,
    /// Live events of the current transaction, published after COMMIT.
    events: Vec<crate::events::Event>,
    /// Anyone listening to live events (decided per group).
    events_wanted: bool,
    /// Connected tills.
    live: Arc<crate::sync_ws::LiveTills>,
    /// Limit keys changed in the current transaction (one `drop` event each at commit).
    drop_keys: Vec<String>,
    /// Limit keys the current job must rebalance (a till's request or give-back).
    rebalance_keys: Vec<String>,
    ops_new: u64,
    ops_dup: u64,
    /// Report rows of the current job (crate::reports).
    reports: crate::reports::Fold,
    /// Report rows of the jobs committed so far in this transaction, written
    /// once just before COMMIT: tills of one store sell the same SKUs, so a
    /// group of jobs shares most of its report rows.
    tx_reports: crate::reports::Fold,
    /// Orders and shipments changed in the current transaction (events at commit).
    logistics: crate::logistics::Touched,
}

/// Job checkpoint, to undo in-memory effects of a job whose savepoint rolled back.
struct Mark {
    clock: HlcClock,
    hub_seq: u64,
    hub_dirty: bool,
    acked_undo: usize,
    new_nos: usize,
    stock_deltas: usize,
    recent: usize,
    events: usize,
    drop_keys: usize,
    ops_new: u64,
    ops_dup: u64,
}

impl WriterState {
    fn mark(&self) -> Mark {
        Mark {
            clock: self.hub_clock.clone(),
            hub_seq: self.hub_seq,
            hub_dirty: self.hub_dirty,
            acked_undo: self.acked_undo.len(),
            new_nos: self.new_nos.len(),
            stock_deltas: self.stock_deltas.len(),
            recent: self.recent.len(),
            events: self.events.len(),
            drop_keys: self.drop_keys.len(),
            ops_new: self.ops_new,
            ops_dup: self.ops_dup,
        }
    }

    fn undo(&mut self, m: Mark) {
        self.hub_clock = m.clock;
        self.hub_seq = m.hub_seq;
        self.hub_dirty = m.hub_dirty;
        while self.acked_undo.len() > m.acked_undo {
            if let Some((actor, old)) = self.acked_undo.pop() {
                match old {
                    Some(v) => self.acked.insert(actor, v),
                    None => self.acked.remove(&actor),
                };
            }
        }
        while self.new_nos.len() > m.new_nos {
            match self.new_nos.pop() {
                Some(NewNo::Actor(a)) => {
                    self.actor_nos.remove(&a);
                }
                Some(NewNo::Scope(s)) => {
                    self.scope_nos.remove(&s);
                }
                Some(NewNo::Sku(s)) => {
                    self.sku_nos.remove(&s);
                }
                None => {}
            }
        }
        self.counters.clear();
        self.reports.clear();
        self.stock_deltas.truncate(m.stock_deltas);
        self.recent.truncate(m.recent);
        self.events.truncate(m.events);
        self.drop_keys.truncate(m.drop_keys);
        self.rebalance_keys.clear();
        self.ops_new = m.ops_new;
        self.ops_dup = m.ops_dup;
    }

    fn forget_transaction(&mut self) {
        self.acked.clear();
        self.actor_nos.clear();
        self.scope_nos.clear();
        self.sku_nos.clear();
        self.new_nos.clear();
        self.acked_undo.clear();
        self.counters.clear();
        self.reports.clear();
        self.tx_reports.clear();
        self.stock_deltas.clear();
        self.recent.clear();
        self.events.clear();
        self.drop_keys.clear();
        self.rebalance_keys.clear();
        self.logistics.clear();
        self.ops_new = 0;
        self.ops_dup = 0;
    }
}

/// The hot statements, prepared once per group transaction.
pub struct Stmts<'c> {
    log_insert: CachedStatement<'c>,
    counter_get: CachedStatement<'c>,
    counter_put: CachedStatement<'c>,
    stock_put: CachedStatement<'c>,
    sale_insert: CachedStatement<'c>,
    catalog_put: CachedStatement<'c>,
    acked_get: CachedStatement<'c>,
    acked_set: CachedStatement<'c>,
}

impl<'c> Stmts<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            log_insert: conn.prepare_cached(
                "INSERT INTO op_log (actor_no, seq, scope_no, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (actor_no, seq) DO NOTHING",
            )?,
            counter_get: conn.prepare_cached(
                "SELECT inc_total, dec_total FROM stock_counter
                 WHERE location = ?1 AND sku = ?2 AND actor = ?3",
            )?,
            counter_put: conn.prepare_cached(
                "INSERT INTO stock_counter (location, sku, actor, inc_total, dec_total)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (location, sku, actor) DO UPDATE SET
                   inc_total = MAX(inc_total, excluded.inc_total),
                   dec_total = MAX(dec_total, excluded.dec_total)",
            )?,
            stock_put: conn.prepare_cached(
                "INSERT INTO stock (location, sku, qty) VALUES (?1, ?2, ?3)
                 ON CONFLICT (location, sku) DO UPDATE SET qty = qty + excluded.qty",
            )?,
            sale_insert: conn.prepare_cached(
                "INSERT INTO sales (id, receipt, store, till, total, currency, sold_at_ms, cursor, cashier, member)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
            )?,
            catalog_put: conn.prepare_cached(
                "INSERT INTO catalog_field (sku, field, value, hlc_wall, hlc_counter, hlc_actor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (sku, field) DO UPDATE SET
                   value = excluded.value, hlc_wall = excluded.hlc_wall,
                   hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor
                 WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
                     > (catalog_field.hlc_wall, catalog_field.hlc_counter, catalog_field.hlc_actor)",
            )?,
            acked_get: conn.prepare_cached("SELECT acked_seq FROM devices WHERE actor = ?1")?,
            acked_set: conn.prepare_cached("UPDATE devices SET acked_seq = ?2 WHERE actor = ?1")?,
        })
    }
}

/// The writer's view of the database inside one job (a savepoint of the
/// group transaction). Jobs write through [`Apply::conn`] and the op methods.
pub struct Apply<'a, 'c> {
    /// The connection, inside the job's savepoint.
    pub conn: &'c Connection,
    stmts: &'a mut Stmts<'c>,
    st: &'a mut WriterState,
    scopes: &'a ScopeIds,
}

fn refused(code: ErrorCode, message: impl Into<String>) -> HubError {
    HubError::Refused {
        code,
        message: message.into(),
    }
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, HubError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), HubError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Load (or create on first start) the hub's own actor, seq and clock.
fn load_hub_identity(conn: &Connection) -> Result<(ActorId, u64, HlcClock), HubError> {
    let actor = match meta_get(conn, "hub_actor")? {
        Some(s) => s
            .parse::<ActorId>()
            .map_err(|e| HubError::Config(format!("corrupt hub_actor in meta: {e}")))?,
        None => {
            let a = ActorId::new_random();
            meta_set(conn, "hub_actor", &a.to_string())?;
            a
        }
    };
    let seq = meta_get(conn, "hub_seq")?
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    // The log is the truth for seq: never reuse one even if meta lags.
    let logged: Option<i64> = conn.query_row(
        "SELECT MAX(seq) FROM op_log WHERE actor_no = (SELECT no FROM actors WHERE actor = ?1)",
        [actor.0.as_bytes().as_slice()],
        |r| r.get(0),
    )?;
    let seq = seq.max(logged.unwrap_or(0) as u64);
    let last = meta_get(conn, "hub_hlc")?.and_then(|s| {
        let (w, c) = s.split_once(':')?;
        Some(Hlc {
            wall_ms: w.parse().ok()?,
            counter: c.parse().ok()?,
            actor,
        })
    });
    Ok((actor, seq, HlcClock::resume(actor, last)))
}

impl Writer {
    /// Start the writer thread on `conn` (already migrated).
    pub fn start(
        conn: Connection,
        outputs: WriterOutputs,
        max_ops_per_commit: usize,
    ) -> Result<(Writer, JoinHandle<()>), HubError> {
        let (hub_actor, hub_seq, hub_clock) = load_hub_identity(&conn)?;
        let head: i64 = conn.query_row("SELECT COALESCE(MAX(cursor), 0) FROM op_log", [], |r| {
            r.get(0)
        })?;
        outputs.head.send_replace(head as u64);
        let (tx, rx) = mpsc::channel::<Msg>(4096);
        let alive = Arc::new(AtomicBool::new(true));
        let state = WriterState {
            hub_actor,
            hub_clock,
            hub_seq,
            hub_dirty: false,
            acked: HashMap::new(),
            acked_undo: Vec::new(),
            actor_nos: HashMap::new(),
            scope_nos: HashMap::new(),
            sku_nos: HashMap::new(),
            new_nos: Vec::new(),
            counters: HashMap::new(),
            stock_deltas: Vec::new(),
            recent: Vec::new(),
            events: Vec::new(),
            events_wanted: false,
            live: outputs.live.clone(),
            drop_keys: Vec::new(),
            rebalance_keys: Vec::new(),
            ops_new: 0,
            ops_dup: 0,
            reports: crate::reports::Fold::load(&conn)?,
            tx_reports: crate::reports::Fold::load(&conn)?,
            logistics: crate::logistics::Touched::default(),
        };
        let alive2 = alive.clone();
        let handle = std::thread::Builder::new()
            .name("hub-writer".into())
            .spawn(move || {
                run(conn, rx, state, outputs, max_ops_per_commit.max(1));
                alive2.store(false, Ordering::SeqCst);
            })
            .map_err(HubError::Io)?;
        Ok((
            Writer {
                tx,
                alive,
                hub_actor,
            },
            handle,
        ))
    }

    /// The hub's own actor (author of HQ ops).
    pub fn hub_actor(&self) -> ActorId {
        self.hub_actor
    }

    /// Is the writer thread running?
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst) && !self.tx.is_closed()
    }

    /// Run `f` inside the next group transaction; the answer arrives after
    /// the commit. `weight` is roughly the number of ops (group-commit bound).
    pub async fn call<R, F>(&self, weight: usize, f: F) -> Result<R, HubError>
    where
        F: FnOnce(&mut Apply<'_, '_>) -> Result<R, HubError> + Send + 'static,
        R: Send + 'static,
    {
        let rx = self.submit(weight, f).await?;
        rx.await.map_err(|_| HubError::WriterGone)?
    }

    /// Queue `f` and return the receiver of its (post-commit) answer without
    /// waiting for it: lets a connection pipeline several batches.
    pub async fn submit<R, F>(
        &self,
        weight: usize,
        f: F,
    ) -> Result<oneshot::Receiver<Result<R, HubError>>, HubError>
    where
        F: FnOnce(&mut Apply<'_, '_>) -> Result<R, HubError> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let run: JobFn = Box::new(move |ap: &mut Apply<'_, '_>| {
            let result = f(ap).and_then(|r| ap.flush_counters().map(|()| r));
            let ok = result.is_ok();
            let done: Completion = Box::new(move |commit: Result<(), HubError>| {
                let _ = reply.send(commit.and(result));
            });
            (ok, done)
        });
        self.tx
            .send(Msg::Job { run, weight })
            .await
            .map_err(|_| HubError::WriterGone)?;
        Ok(rx)
    }

    /// Ask the writer to finish the queued jobs and stop.
    pub async fn stop(&self) {
        let _ = self.tx.send(Msg::Stop).await;
    }
}

fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    mut st: WriterState,
    out: WriterOutputs,
    max_ops: usize,
) {
    let mut stopping = false;
    let mut jobs: Vec<JobFn> = Vec::new();
    while !stopping {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut weight = 0usize;
        match first {
            Msg::Job { run, weight: w } => {
                jobs.push(run);
                weight += w;
            }
            Msg::Stop => break,
        }
        while weight < max_ops {
            match rx.try_recv() {
                Ok(Msg::Job { run, weight: w }) => {
                    jobs.push(run);
                    weight += w;
                }
                Ok(Msg::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        commit_group(&conn, &mut st, &out, &mut jobs);
    }
    tracing::info!("writer stopped");
}

fn commit_group(
    conn: &Connection,
    st: &mut WriterState,
    out: &WriterOutputs,
    jobs: &mut Vec<JobFn>,
) {
    let started = Instant::now();
    st.events_wanted = out.events.has_subscribers();
    let mut completions: Vec<Completion> = Vec::with_capacity(jobs.len());
    let result = (|| -> Result<(), HubError> {
        // IMMEDIATE: take the write lock up front (waiting via busy_timeout),
        // never fail later on a read-to-write upgrade.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmts = Stmts::prepare(conn)?;
            for job in jobs.drain(..) {
                let mark = st.mark();
                conn.execute_batch("SAVEPOINT job")?;
                let (ok, done) = {
                    let mut ap = Apply {
                        conn,
                        stmts: &mut stmts,
                        st,
                        scopes: &out.scopes,
                    };
                    job(&mut ap)
                };
                completions.push(done);
                if ok {
                    conn.execute_batch("RELEASE job")?;
                    st.tx_reports.absorb(&mut st.reports);
                } else {
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
                    st.undo(mark);
                }
                st.reports.clear(); // forget the job's HQ user
                st.rebalance_keys.clear();
            }
            st.tx_reports.flush(conn)?;
            // One `drop` event per limit key changed in this transaction.
            if st.events_wanted && !st.drop_keys.is_empty() {
                let mut keys = std::mem::take(&mut st.drop_keys);
                keys.sort();
                keys.dedup();
                let now = now_ms();
                for key in keys {
                    match crate::drops::summary(conn, &key, now) {
                        Ok(Some(s)) => st.events.push(crate::events::Event::Drop(s)),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(%key, error = %e, "could not build a drop event"),
                    }
                }
            }
            st.drop_keys.clear();
            // Orders and shipments changed in this transaction: their events, built once.
            crate::logistics::touched_events(
                conn,
                &mut st.logistics,
                st.events_wanted,
                &out.logistics,
                &mut st.events,
            );
        }
        if st.hub_dirty {
            meta_set(conn, "hub_seq", &st.hub_seq.to_string())?;
            let last = st.hub_clock.last();
            meta_set(
                conn,
                "hub_hlc",
                &format!("{}:{}", last.wall_ms, last.counter),
            )?;
        }
        tx.commit()?;
        Ok(())
    })();
    jobs.clear();
    let logistics_changed = st.logistics.take_changed();
    match result {
        Ok(()) => {
            if let Some(drivers) = logistics_changed {
                out.logistics.bump(&drivers);
            }
            st.hub_dirty = false;
            st.acked_undo.clear();
            st.new_nos.clear();
            out.stock.apply(&st.stock_deltas);
            if st.events_wanted {
                crate::reports::publish_stock_alerts(&out.stock, &st.stock_deltas, &out.events);
            }
            st.stock_deltas.clear();
            let ops = st.ops_new;
            out.metrics.ops_ingested.inc_by(st.ops_new);
            out.metrics.ops_duplicate.inc_by(st.ops_dup);
            st.ops_new = 0;
            st.ops_dup = 0;
            out.metrics.write_batches.inc();
            out.metrics
                .commit_latency
                .observe(started.elapsed().as_secs_f64());
            out.metrics.ops_per_commit.observe(ops as f64);
            if !st.recent.is_empty() {
                let head = st.recent.last().map(|r| r.cursor).unwrap_or(0);
                out.recent.append(std::mem::take(&mut st.recent));
                out.head.send_if_modified(|h| {
                    let changed = *h != head;
                    *h = head;
                    changed
                });
            }
            for event in st.events.drain(..) {
                out.events.publish(event);
            }
            for done in completions {
                done(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "group commit failed; every job of the group is refused");
            for done in completions {
                done(Err(HubError::Internal(format!("commit failed: {e}"))));
            }
            // Forget in-memory state that may describe the rolled-back transaction.
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            st.forget_transaction();
            if let Ok((_, seq, clock)) = load_hub_identity(conn) {
                st.hub_seq = seq;
                st.hub_clock = clock;
            }
            st.hub_dirty = false;
        }
    }
}

fn actor_bytes(a: &ActorId) -> &[u8] {
    a.0.as_bytes().as_slice()
}

impl Apply<'_, '_> {
    /// The hub's own actor.
    pub fn hub_actor(&self) -> ActorId {
        self.st.hub_actor
    }

    /// Publish a live event once this job's transaction has committed
    /// (never if it rolls back).
    pub fn emit(&mut self, event: crate::events::Event) {
        self.st.events.push(event);
    }

    /// Is anyone listening to live events (decided per group commit)?
    pub fn events_wanted(&self) -> bool {
        self.st.events_wanted
    }

    /// Orders and shipments this transaction changed (`order`/`shipment` events at commit).
    pub fn logistics_touched(&mut self) -> &mut crate::logistics::Touched {
        &mut self.st.logistics
    }

    /// Note that a limit key changed (a `drop` event goes out after commit).
    pub fn touch_drop(&mut self, key: &str) {
        if self.st.events_wanted && self.st.drop_keys.last().is_none_or(|k| k != key) {
            self.st.drop_keys.push(key.to_owned());
        }
    }

    /// Ask for `key` to be rebalanced at the end of the current till batch.
    pub fn want_rebalance(&mut self, key: &str) {
        if !self.st.rebalance_keys.iter().any(|k| k == key) {
            self.st.rebalance_keys.push(key.to_owned());
        }
    }

    /// The connected tills and the downstream cursor each has acknowledged.
    pub fn connected_tills(&self) -> HashMap<ActorId, u64> {
        self.st
            .live
            .snapshot()
            .into_iter()
            .map(|(a, t)| (a, t.cursor))
            .collect()
    }

    /// Name the HQ user on whose behalf this job's hub ops are made (stock history).
    pub fn set_hq_user(&mut self, username: &str) {
        self.st.reports.hq_user = Some(username.to_owned());
    }

    fn acked_seq(&mut self, actor: ActorId) -> Result<u64, HubError> {
        if let Some(v) = self.st.acked.get(&actor) {
            return Ok(*v);
        }
        let v: Option<i64> = self
            .stmts
            .acked_get
            .query_row([actor_bytes(&actor)], |r| r.get(0))
            .optional()?;
        let v = v.ok_or_else(|| refused(ErrorCode::Unauthorized, "unknown till"))? as u64;
        self.st.acked.insert(actor, v);
        Ok(v)
    }

    fn set_acked(&mut self, actor: ActorId, seq: u64) -> Result<(), HubError> {
        let old = self.st.acked.insert(actor, seq);
        self.st.acked_undo.push((actor, old));
        self.stmts
            .acked_set
            .execute(params![actor_bytes(&actor), seq as i64])?;
        Ok(())
    }

    /// Store a batch of ops pushed by till `actor` (already checked by
    /// `check_till_op`). Ops at or below the stored seq are duplicates and
    /// skipped; a gap refuses the whole batch. Returns the actor's new acked seq.
    pub fn apply_till_batch(
        &mut self,
        actor: ActorId,
        ops: Vec<EncodedOp>,
    ) -> Result<u64, HubError> {
        let mut acked = self.acked_seq(actor)?;
        let now = now_ms();
        let start = acked;
        let mut latest: Option<Hlc> = None;
        for e in ops {
            let op = &e.op;
            if op.actor != actor {
                return Err(refused(
                    ErrorCode::ForgedActor,
                    format!("op {} is not of this till", op.seq),
                ));
            }
            if op.seq <= acked {
                self.st.ops_dup += 1;
                continue;
            }
            if op.seq != acked + 1 {
                return Err(refused(
                    ErrorCode::SequenceGap,
                    format!(
                        "op seq {} does not follow {acked}: resend from {}",
                        op.seq,
                        acked + 1
                    ),
                ));
            }
            acked = op.seq;
            if latest.is_none_or(|l| op.hlc > l) {
                latest = Some(op.hlc);
            }
            self.apply_op(e, true)?;
        }
        if let Some(hlc) = latest {
            // Keep the hub's clock causally after what it has seen.
            if self.st.hub_clock.observe(&hlc, now).is_ok() {
                self.st.hub_dirty = true;
            }
        }
        if acked != start {
            self.set_acked(actor, acked)?;
        }
        // Limited items: serve requests and take back what tills gave (crate::drops).
        for key in std::mem::take(&mut self.st.rebalance_keys) {
            crate::drops::rebalance(self, &key)?;
        }
        Ok(acked)
    }

    /// Append an op to the log and fold it into the materialised state.
    /// `strict`: a stock move must continue its actor's stored totals (till
    /// ops); otherwise totals merge with `MAX` (replays, snapshots).
    /// Returns false for a duplicate `(actor, seq)`, which changes nothing.
    pub fn apply_op(&mut self, e: EncodedOp, strict: bool) -> Result<bool, HubError> {
        let op = &e.op;
        let actor_no = self.actor_no(&op.actor)?;
        let (scope_no, scope_id) = self.scope_no(&op.scope)?;
        let inserted = self.stmts.log_insert.execute(params![
            actor_no,
            op.seq as i64,
            scope_no,
            &e.bytes[..]
        ])?;
        if inserted == 0 {
            self.st.ops_dup += 1;
            return Ok(false);
        }
        let cursor = self.conn.last_insert_rowid() as u64;
        self.st.ops_new += 1;
        // Report hooks (crate::reports) run only for new ops and new records.
        match &op.body {
            OpBody::StockMove(m) => {
                self.apply_stock_move(op, m, strict)?;
                let (location_no, _) = self.scope_no(&Scope::Store(m.location.clone()))?;
                let sku_no = self.sku_no(&m.sku)?;
                let user = self.st.reports.hq_user.as_deref();
                crate::reports::stock_move(self.conn, location_no, sku_no, cursor, user)?;
            }
            OpBody::Sale(s) => {
                self.apply_sale(s, cursor)?;
                if self.conn.changes() > 0 {
                    self.st.reports.sale(s);
                }
            }
            OpBody::Return(r) => {
                self.apply_return(r, cursor)?;
                if self.conn.changes() > 0 {
                    self.st.reports.ret(r);
                }
            }
            OpBody::CatalogSet(c) => {
                if self.apply_catalog(&op.hlc, c)? {
                    crate::reports::catalog_won(self.conn, c)?;
                }
            }
            OpBody::MemberSet(m) => crate::reports::member_set(self.conn, &op.hlc, m, cursor)?,
            OpBody::PriceRule(r) => crate::reports::price_rule(self.conn, &op.hlc, r, cursor)?,
            OpBody::StaffSet(s) => crate::accounts::apply_staff_set(self.conn, op, s, cursor)?,
            OpBody::ChatMessage(_)
            | OpBody::ChatRead(_)
            | OpBody::TicketUpdate(_)
            | OpBody::AnnouncementAck(_) => {
                let wanted = self.st.events_wanted;
                let events = crate::chat::apply_op(self.conn, op, cursor, wanted)?;
                self.st.events.extend(events);
            }
            // Limited items and coupons (crate::drops): strict continuity and rights checks.
            OpBody::EscrowMove(_)
            | OpBody::LimitDef(_)
            | OpBody::RightsRequest(_)
            | OpBody::RightsRecall(_)
            | OpBody::LimitHold(_)
            | OpBody::CouponRedemption(_) => crate::drops::apply_op(self, op, cursor, strict)?,
            // Replenishment and deliveries (crate::logistics): orders grow-only, status
            // max-register, deliveries last writer wins, receivings grow-only.
            OpBody::ReplenishmentOrder(_)
            | OpBody::StatusUpdate(_)
            | OpBody::Delivery(_)
            | OpBody::Receiving(_) => crate::logistics::apply_op(self, op, cursor, strict)?,
        }
        self.st.recent.push(RecentOp {
            cursor,
            scope: scope_id,
            actor: op.actor,
            bytes: e.bytes,
        });
        Ok(true)
    }

    /// The number of an actor in the log, assigned on first use.
    fn actor_no(&mut self, actor: &ActorId) -> Result<i64, HubError> {
        if let Some(no) = self.st.actor_nos.get(actor) {
            return Ok(*no);
        }
        let bytes = actor_bytes(actor);
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT no FROM actors WHERE actor = ?1")?
            .query_row([bytes], |r| r.get(0))
            .optional()?;
        let no = match found {
            Some(no) => no,
            None => {
                self.conn
                    .prepare_cached("INSERT INTO actors (actor) VALUES (?1)")?
                    .execute([bytes])?;
                self.st.new_nos.push(NewNo::Actor(*actor));
                self.conn.last_insert_rowid()
            }
        };
        self.st.actor_nos.insert(*actor, no);
        Ok(no)
    }

    /// The number of a scope in the log (and its recent-log id).
    fn scope_no(&mut self, scope: &Scope) -> Result<(i64, u32), HubError> {
        if let Some(no) = self.st.scope_nos.get(scope) {
            return Ok(*no);
        }
        let text = scope.to_string();
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT no FROM scopes WHERE scope = ?1")?
            .query_row([&text], |r| r.get(0))
            .optional()?;
        let no = match found {
            Some(no) => no,
            None => {
                self.conn
                    .prepare_cached("INSERT INTO scopes (scope) VALUES (?1)")?
                    .execute([&text])?;
                self.st.new_nos.push(NewNo::Scope(scope.clone()));
                self.conn.last_insert_rowid()
            }
        };
        let ids = (no, self.scopes.id(&text));
        self.st.scope_nos.insert(scope.clone(), ids);
        Ok(ids)
    }

    /// The number of a SKU in the stock-move history, assigned on first use.
    fn sku_no(&mut self, sku: &Sku) -> Result<i64, HubError> {
        if let Some(no) = self.st.sku_nos.get(sku) {
            return Ok(*no);
        }
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT no FROM sku_numbers WHERE sku = ?1")?
            .query_row([sku.as_str()], |r| r.get(0))
            .optional()?;
        let no = match found {
            Some(no) => no,
            None => {
                self.conn
                    .prepare_cached("INSERT INTO sku_numbers (sku) VALUES (?1)")?
                    .execute([sku.as_str()])?;
                self.st.new_nos.push(NewNo::Sku(sku.clone()));
                self.conn.last_insert_rowid()
            }
        };
        self.st.sku_nos.insert(sku.clone(), no);
        Ok(no)
    }

    /// The actor's totals at `(location, sku)`, including this job's changes.
    fn totals(
        &mut self,
        location: &LocationId,
        sku: &Sku,
        actor: &ActorId,
    ) -> Result<(u64, u64), HubError> {
        let key = (location.clone(), sku.clone(), *actor);
        if let Some(c) = self.st.counters.get(&key) {
            return Ok((c.inc, c.dec));
        }
        let row: Option<(i64, i64)> = self
            .stmts
            .counter_get
            .query_row(
                params![location.as_str(), sku.as_str(), actor_bytes(actor)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (i, d) = row.unwrap_or((0, 0));
        let (i, d) = (i as u64, d as u64);
        self.st.counters.insert(
            key,
            CounterAcc {
                old_inc: i,
                old_dec: d,
                inc: i,
                dec: d,
            },
        );
        Ok((i, d))
    }

    fn apply_stock_move(&mut self, op: &Op, m: &StockMove, strict: bool) -> Result<(), HubError> {
        let (inc, dec) = self.totals(&m.location, &m.sku, &op.actor)?;
        if strict && !continues_totals(m, inc, dec) {
            return Err(refused(
                ErrorCode::InvalidOp,
                format!(
                    "op {}: stock totals {}/{} at {} {} do not continue the stored {inc}/{dec} by {}",
                    op.seq, m.inc_total, m.dec_total, m.location, m.sku, m.delta
                ),
            ));
        }
        let key = (m.location.clone(), m.sku.clone(), op.actor);
        if let Entry::Occupied(mut e) = self.st.counters.entry(key) {
            let c = e.get_mut();
            c.inc = c.inc.max(m.inc_total);
            c.dec = c.dec.max(m.dec_total);
        }
        Ok(())
    }

    /// Write the stock counter entries this job changed, and the stock they imply.
    fn flush_counters(&mut self) -> Result<(), HubError> {
        for ((location, sku, actor), c) in self.st.counters.drain() {
            if (c.inc, c.dec) == (c.old_inc, c.old_dec) {
                continue;
            }
            self.stmts.counter_put.execute(params![
                location.as_str(),
                sku.as_str(),
                actor_bytes(&actor),
                c.inc as i64,
                c.dec as i64
            ])?;
            let delta = (c.inc - c.old_inc) as i64 - (c.dec - c.old_dec) as i64;
            if delta != 0 {
                self.stmts
                    .stock_put
                    .execute(params![location.as_str(), sku.as_str(), delta])?;
                self.st
                    .stock_deltas
                    .push((String::from(location), String::from(sku), delta));
            }
        }
        Ok(())
    }

    fn apply_sale(&mut self, s: &SaleRecord, cursor: u64) -> Result<(), HubError> {
        let inserted = self.stmts.sale_insert.execute(params![
            s.id.as_bytes().as_slice(),
            s.receipt.as_str(),
            s.store.as_str(),
            actor_bytes(&s.till),
            s.total,
            s.currency,
            s.sold_at_ms as i64,
            cursor as i64,
            s.cashier,
            s.member.as_ref().map(|m| m.as_bytes().as_slice())
        ])?;
        if inserted > 0 && self.st.events_wanted {
            self.emit(crate::events::Event::Sale(crate::events::sale_event(s)));
        }
        Ok(())
    }

    fn apply_return(&mut self, r: &ReturnRecord, cursor: u64) -> Result<(), HubError> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO returns (id, receipt, original_sale, store, till, total_refund, currency, returned_at_ms, cursor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                r.id.as_bytes().as_slice(),
                r.receipt.as_str(),
                r.original_sale.as_bytes().as_slice(),
                r.store.as_str(),
                actor_bytes(&r.till),
                r.total_refund,
                r.currency,
                r.returned_at_ms as i64,
                cursor as i64
            ])?;
        if inserted > 0 && self.st.events_wanted {
            self.emit(crate::events::Event::Return(crate::events::return_event(r)));
        }
        Ok(())
    }

    /// Returns whether the value won its register.
    fn apply_catalog(&mut self, hlc: &Hlc, c: &CatalogSet) -> Result<bool, HubError> {
        let value = serde_json::to_string(&c.field)
            .map_err(|e| HubError::Internal(format!("encoding catalog field: {e}")))?;
        let won = self.stmts.catalog_put.execute(params![
            c.sku.as_str(),
            c.field.kind().as_str(),
            value,
            hlc.wall_ms as i64,
            hlc.counter,
            actor_bytes(&hlc.actor)
        ])?;
        Ok(won > 0)
    }

    /// Make, store and apply an op of the hub's own actor (HQ actions).
    pub fn hub_op(&mut self, scope: Scope, body: OpBody) -> Result<Op, HubError> {
        let seq = self.st.hub_seq + 1;
        let hlc = self.st.hub_clock.tick(now_ms());
        let op = Op {
            actor: self.st.hub_actor,
            seq,
            hlc,
            scope,
            body,
        };
        let e = EncodedOp::new(op)?;
        let op = e.op.clone();
        self.apply_op(e, true)?;
        self.st.hub_seq = seq;
        self.st.hub_dirty = true;
        Ok(op)
    }

    /// An HQ stock move at `location`: continues the hub actor's own counter
    /// entry. Returns the op and the location's new quantity.
    pub fn hub_stock_move(
        &mut self,
        location: LocationId,
        sku: Sku,
        delta: i64,
        reason: StockReason,
        reference: Option<String>,
    ) -> Result<(Op, i64), HubError> {
        let scope = Scope::Store(location.clone());
        self.hub_stock_move_in(scope, location, sku, delta, reason, reference)
    }

    /// [`Apply::hub_stock_move`] in another scope than the location's own: a store's
    /// in-transit location (`TR-<store>`) travels in `store:<store>`, so its tills see it.
    pub fn hub_stock_move_in(
        &mut self,
        scope: Scope,
        location: LocationId,
        sku: Sku,
        delta: i64,
        reason: StockReason,
        reference: Option<String>,
    ) -> Result<(Op, i64), HubError> {
        let hub = self.st.hub_actor;
        let (inc, dec) = self.totals(&location, &sku, &hub)?;
        let (inc_total, dec_total) = next_stock_totals(inc, dec, delta);
        let op = self.hub_op(
            scope,
            OpBody::StockMove(StockMove {
                location: location.clone(),
                sku: sku.clone(),
                delta,
                reason,
                reference,
                inc_total,
                dec_total,
            }),
        )?;
        self.flush_counters()?;
        let qty: i64 = self
            .conn
            .prepare_cached("SELECT qty FROM stock WHERE location = ?1 AND sku = ?2")?
            .query_row(params![location.as_str(), sku.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok((op, qty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_proto::{CatalogField, ReceiptNo, SaleLine, Tender, TenderKind};

    struct Fixture {
        _dir: tempfile::TempDir,
        writer: Writer,
        pool: crate::db::ReadPool,
        stock: Arc<StockView>,
        head: watch::Receiver<u64>,
        till: ActorId,
        store: LocationId,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hub.db");
        let conn = crate::db::open_writer(&path).expect("open");
        let till = ActorId::new_random();
        conn.execute(
            "INSERT INTO stores (code, name, kind, currency, created_at_ms) VALUES ('GN01', 'Gangnam', 'store', 'KRW', 0)",
            [],
        )
        .expect("store");
        conn.execute(
            "INSERT INTO devices (actor, store, till_no, credential_hash, app_version, enrolled_at_ms)
             VALUES (?1, 'GN01', 1, x'00', 'test', 0)",
            [till.0.as_bytes().as_slice()],
        )
        .expect("device");
        let stock = Arc::new(StockView::default());
        let (head_tx, head) = watch::channel(0);
        let (writer, _join) = Writer::start(
            conn,
            WriterOutputs {
                head: head_tx,
                stock: stock.clone(),
                recent: Arc::new(RecentLog::new(1 << 20)),
                scopes: Arc::new(ScopeIds::default()),
                metrics: Arc::new(Metrics::new()),
                events: crate::events::EventBus::default(),
                live: Arc::new(crate::sync_ws::LiveTills::default()),
                logistics: Arc::new(crate::logistics::Live::default()),
            },
            10_000,
        )
        .expect("writer");
        Fixture {
            _dir: dir,
            writer,
            pool: crate::db::ReadPool::new(path),
            stock,
            head,
            till,
            store: "GN01".parse().expect("store"),
        }
    }

    fn hlc(actor: ActorId, wall_ms: u64) -> Hlc {
        Hlc {
            wall_ms,
            counter: 0,
            actor,
        }
    }

    fn sale_ops(f: &Fixture, seq0: u64) -> Vec<EncodedOp> {
        let sku: Sku = "TSH-1".parse().expect("sku");
        let sale = SaleRecord {
            id: uuid::Uuid::now_v7(),
            receipt: ReceiptNo::new(&f.store, 1, seq0),
            store: f.store.clone(),
            till: f.till,
            cashier: None,
            member: None,
            lines: vec![SaleLine {
                sku: sku.clone(),
                name: "Tee".into(),
                qty: 2,
                unit_price: 100,
                discount: 0,
                line_total: 200,
            }],
            tenders: vec![Tender {
                kind: TenderKind::Card,
                amount: 200,
            }],
            total: 200,
            change_given: 0,
            currency: "KRW".into(),
            sold_at_ms: 1_000,
        };
        let dec_before = (seq0 - 1) / 2 * 2; // two units per earlier sale
        vec![
            EncodedOp::new(Op {
                actor: f.till,
                seq: seq0,
                hlc: hlc(f.till, 1_000 + seq0),
                scope: Scope::Store(f.store.clone()),
                body: OpBody::Sale(sale),
            })
            .expect("enc"),
            EncodedOp::new(Op {
                actor: f.till,
                seq: seq0 + 1,
                hlc: hlc(f.till, 1_001 + seq0),
                scope: Scope::Store(f.store.clone()),
                body: OpBody::StockMove(StockMove {
                    location: f.store.clone(),
                    sku,
                    delta: -2,
                    reason: StockReason::Sale,
                    reference: None,
                    inc_total: 0,
                    dec_total: dec_before + 2,
                }),
            })
            .expect("enc"),
        ]
    }

    async fn count(f: &Fixture, sql: &'static str) -> i64 {
        f.pool
            .read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .await
            .expect("count")
    }

    #[tokio::test]
    async fn reapplying_a_batch_is_idempotent_and_acks_again() {
        let f = fixture().await;
        let till = f.till;
        let ops = sale_ops(&f, 1);
        let o = ops.clone();
        let acked = f
            .writer
            .call(2, move |ap| ap.apply_till_batch(till, o))
            .await
            .expect("first");
        assert_eq!(acked, 2);
        let o = ops.clone();
        let again = f
            .writer
            .call(2, move |ap| ap.apply_till_batch(till, o))
            .await
            .expect("again");
        assert_eq!(again, 2);
        // Even bypassing the seq check, the log's UNIQUE(actor, seq) holds.
        let o = ops.clone();
        let fresh = f
            .writer
            .call(2, move |ap| {
                let mut n = 0;
                for e in o {
                    n += usize::from(ap.apply_op(e, false)?);
                }
                Ok(n)
            })
            .await
            .expect("raw");
        assert_eq!(fresh, 0);
        assert_eq!(count(&f, "SELECT COUNT(*) FROM op_log").await, 2);
        assert_eq!(count(&f, "SELECT COUNT(*) FROM sales").await, 1);
        assert_eq!(
            count(&f, "SELECT qty FROM stock WHERE sku = 'TSH-1'").await,
            -2
        );
        assert_eq!(f.stock.get("TSH-1"), vec![("GN01".to_owned(), -2)]);
        assert_eq!(*f.head.borrow(), 2);
    }

    #[tokio::test]
    async fn gaps_and_discontinuous_totals_are_refused_and_leave_nothing() {
        let f = fixture().await;
        let till = f.till;
        let ops = sale_ops(&f, 2); // seq 2: gap after 0
        let o = ops.clone();
        let err = f
            .writer
            .call(2, move |ap| ap.apply_till_batch(till, o))
            .await
            .expect_err("gap");
        assert!(matches!(
            err,
            HubError::Refused {
                code: ErrorCode::SequenceGap,
                ..
            }
        ));
        // Right seq but totals that skip units.
        let mut bad = sale_ops(&f, 1);
        if let OpBody::StockMove(m) = &mut bad[1].op.body {
            m.dec_total = 7;
        }
        let bad: Vec<EncodedOp> = bad
            .into_iter()
            .map(|e| EncodedOp::new(e.op).expect("enc"))
            .collect();
        let err = f
            .writer
            .call(2, move |ap| ap.apply_till_batch(till, bad))
            .await
            .expect_err("totals");
        assert!(matches!(
            err,
            HubError::Refused {
                code: ErrorCode::InvalidOp,
                ..
            }
        ));
        assert_eq!(count(&f, "SELECT COUNT(*) FROM op_log").await, 0);
        assert_eq!(count(&f, "SELECT COUNT(*) FROM sales").await, 0);
        assert_eq!(count(&f, "SELECT acked_seq FROM devices").await, 0);
        assert!(f.stock.get("TSH-1").is_empty());
        // The writer is still fine and the right batch goes through.
        let ok = sale_ops(&f, 1);
        let acked = f
            .writer
            .call(2, move |ap| ap.apply_till_batch(till, ok))
            .await
            .expect("ok");
        assert_eq!(acked, 2);
    }

    #[tokio::test]
    async fn counter_entries_merge_with_max() {
        let f = fixture().await;
        let other = ActorId::new_random();
        let store = f.store.clone();
        let mk = move |seq: u64, inc: u64, dec: u64| {
            EncodedOp::new(Op {
                actor: other,
                seq,
                hlc: hlc(other, seq),
                scope: Scope::Store(store.clone()),
                body: OpBody::StockMove(StockMove {
                    location: store.clone(),
                    sku: "JNS-2".parse().expect("sku"),
                    delta: 1,
                    reason: StockReason::Adjustment,
                    reference: None,
                    inc_total: inc,
                    dec_total: dec,
                }),
            })
            .expect("enc")
        };
        // Out of order: the later entry (10, 3) first, then the older (4, 1).
        let ops = vec![mk(2, 10, 3), mk(1, 4, 1)];
        f.writer
            .call(2, move |ap| {
                for e in ops {
                    ap.apply_op(e, false)?;
                }
                Ok(())
            })
            .await
            .expect("apply");
        assert_eq!(
            count(&f, "SELECT inc_total * 100 + dec_total FROM stock_counter").await,
            1003
        );
        assert_eq!(count(&f, "SELECT qty FROM stock").await, 7);
        assert_eq!(f.stock.get("JNS-2"), vec![("GN01".to_owned(), 7)]);
    }

    #[tokio::test]
    async fn catalog_fields_are_last_writer_wins_by_hlc() {
        let f = fixture().await;
        let a = ActorId::new_random();
        let mk = |seq: u64, wall: u64, price: i64| {
            EncodedOp::new(Op {
                actor: a,
                seq,
                hlc: hlc(a, wall),
                scope: Scope::Catalog,
                body: OpBody::CatalogSet(CatalogSet {
                    sku: "TSH-1".parse().expect("sku"),
                    field: CatalogField::Price(price),
                }),
            })
            .expect("enc")
        };
        // Newest (wall 300) arrives between two older ones.
        let ops = vec![mk(1, 200, 20), mk(3, 300, 30), mk(2, 100, 10)];
        f.writer
            .call(3, move |ap| {
                for e in ops {
                    ap.apply_op(e, false)?;
                }
                Ok(())
            })
            .await
            .expect("apply");
        let value: String = f
            .pool
            .read(|c| Ok(c.query_row("SELECT value FROM catalog_field", [], |r| r.get(0))?))
            .await
            .expect("value");
        assert_eq!(value, r#"{"price":30}"#);
    }

    #[tokio::test]
    async fn hub_ops_continue_their_own_seq_and_totals() {
        let f = fixture().await;
        let store = f.store.clone();
        let (op1, qty1) = {
            let store = store.clone();
            f.writer
                .call(1, move |ap| {
                    ap.hub_stock_move(store, "A-1".parse()?, 5, StockReason::Receipt, None)
                })
                .await
                .expect("first")
        };
        let (op2, qty2) = f
            .writer
            .call(1, move |ap| {
                ap.hub_stock_move(store, "A-1".parse()?, -2, StockReason::Adjustment, None)
            })
            .await
            .expect("second");
        assert_eq!((op1.seq, op2.seq), (1, 2));
        assert!(op2.hlc > op1.hlc);
        assert_eq!((qty1, qty2), (5, 3));
        match op2.body {
            OpBody::StockMove(m) => assert_eq!((m.inc_total, m.dec_total), (5, 2)),
            _ => panic!("not a stock move"),
        }
    }

    #[tokio::test]
    async fn concurrent_jobs_share_commits() {
        let f = fixture().await;
        let mut handles = Vec::new();
        for i in 0..200 {
            let w = f.writer.clone();
            handles.push(tokio::spawn(async move {
                w.call(1, move |ap| {
                    ap.conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, 'x')",
                        [format!("k{i}")],
                    )?;
                    Ok(())
                })
                .await
            }));
        }
        for h in handles {
            h.await.expect("join").expect("job");
        }
        assert_eq!(
            count(&f, "SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").await,
            200
        );
    }
}
