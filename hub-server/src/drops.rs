//! Limited editions and first-come coupons at the hub (issue 7): the projection of escrow ops,
//! the strict checks of what tills push, drops (allocation, pull-back, end), the rebalancer,
//! the console's read models and the snapshot records.
//!
//! The model is `sync_proto::escrow`'s bounded counter: per key, grow-only entries
//! `minted[a]`, `given[a → b]`, `used[a]` merged with `MAX`, and
//! `rights(a) = minted[a] + Σ given[* → a] − Σ given[a → *] − used[a]`. The hub's single actor
//! mints a drop's total and is the pool; tills only give rights back to the hub.
//!
//! - **Projection** ([`apply_op`], called by the writer for every new op): entries upsert with
//!   `MAX` (tables `escrow_minted/given/used`), `limit_def` is last writer by HLC,
//!   `limit_hold` a max-register by status rank, requests, recalls and redemptions grow-only.
//! - **Strict checks** (ops pushed by a till, and the hub's own): an entry's `total` must
//!   continue the stored total by `qty`; a till may transfer only to the hub; after a use or a
//!   transfer the actor's rights stay ≥ 0. Otherwise the whole batch is refused
//!   (`ErrorCode::InvalidOp`, logged) and nothing of it is stored.
//! - **Stateless checks** of till ops ([`check_till_op`]): scope, ranges, who; the hub keeps
//!   its own so that it does not depend on the till-side validation's schedule.
//! - **Drops** ([`create_drop`], [`pull_back`], [`end_drop`]): HQ's actions as hub ops
//!   (`LimitDef`, `Mint`, hub → till `Transfer`s, `RightsRecall`s), inside a writer job.
//! - **Rebalancer** ([`rebalance`]): after a till's request or a transfer to the hub (end of
//!   the batch) and on a 1 s tick ([`run_ticker`]), serve open requests first-come from the
//!   pool; when the pool is short, recall half of their available rights from the connected
//!   tills holding the most (never a second recall to a till while one is open).
//! - **Read models** ([`summaries`], [`detail`]) and [`snapshot_records`] (escrow entries as
//!   their winning ops, limit definitions, the store's open holds, coupon redemptions).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::escrow::{
    AllocationRule, CouponDiscount, CouponRedemption, CouponTerms, EscrowKind, EscrowMove,
    HoldStatus, LimitDef, LimitHold, LimitKey, RecallReason, RightsRecall, RightsRequest,
};
use sync_proto::validate::MAX_AMOUNT;
use sync_proto::wire::ErrorCode;
use sync_proto::{ActorId, Op, OpBody, Scope, Sku, StoreId};
use uuid::Uuid;

use crate::writer::Apply;
use crate::{AppState, HubError, now_ms};

pub use sync_proto::escrow::{MAX_COUPON_CODE, MAX_HOLD_MINUTES};
/// How often the rebalancer looks at open requests and recalls.
pub const TICK: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// JSON shapes (REST, events, ts-rs)
// ---------------------------------------------------------------------------------------------

/// What a drop limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DropKind {
    /// Units of one SKU.
    Sku,
    /// Redemptions of a coupon campaign.
    Coupon,
}

/// How HQ splits a drop across stores.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DropRule {
    /// The same per store; the remainder to the first stores by code.
    Equal,
    /// In proportion to each store's past sales (all sales stored at the hub).
    WeightedBySales,
    /// As typed per store in `manual`.
    Manual,
}

impl From<DropRule> for AllocationRule {
    fn from(r: DropRule) -> Self {
        match r {
            DropRule::Equal => AllocationRule::Equal,
            DropRule::WeightedBySales => AllocationRule::WeightedBySales,
            DropRule::Manual => AllocationRule::Manual,
        }
    }
}

impl From<AllocationRule> for DropRule {
    fn from(r: AllocationRule) -> Self {
        match r {
            AllocationRule::Equal => DropRule::Equal,
            AllocationRule::WeightedBySales => DropRule::WeightedBySales,
            AllocationRule::Manual => DropRule::Manual,
        }
    }
}

/// A drop as the list and live events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropSummary {
    /// Limit key (`sku:<SKU>` or `coupon:<uuid>`).
    pub key: String,
    /// Name shown on tills and in the console.
    pub label: String,
    /// SKU drop or coupon campaign.
    pub kind: DropKind,
    /// The SKU of a SKU drop.
    pub sku: Option<String>,
    /// The code of a coupon campaign.
    pub code: Option<String>,
    /// Units made available in all (what the hub minted, plus units tills took back on returns).
    #[ts(type = "number")]
    pub total: u64,
    /// Units sold or coupons redeemed.
    #[ts(type = "number")]
    pub sold: u64,
    /// Units left (`total − sold`), wherever they are.
    #[ts(type = "number")]
    pub left: u64,
    /// Units in active holds for customers.
    #[ts(type = "number")]
    pub held: u64,
    /// Rights the hub holds (not at any till).
    #[ts(type = "number")]
    pub pool: u64,
    /// False once ended.
    pub active: bool,
    /// Allocation rule.
    pub rule: DropRule,
    /// Sales start (ms since epoch), if any.
    #[ts(type = "number | null")]
    pub starts_at_ms: Option<u64>,
    /// Sales end (exclusive), if any.
    #[ts(type = "number | null")]
    pub ends_at_ms: Option<u64>,
    /// Longest hold, minutes (0 = no holds).
    pub hold_minutes: u32,
}

/// One till of a store in a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropTill {
    /// Actor id.
    pub actor: String,
    /// Till number in its store, when it is an enrolled device.
    pub till_no: Option<u32>,
    /// Rights it holds as the hub knows.
    #[ts(type = "number")]
    pub rights: u64,
    /// Units it sold.
    #[ts(type = "number")]
    pub sold: u64,
    /// Units in its active holds.
    #[ts(type = "number")]
    pub held: u64,
    /// Connected now.
    pub online: bool,
}

/// One store in a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropStore {
    /// Store code.
    pub store: String,
    /// Store name.
    pub name: String,
    /// What the allocation rule gave the store.
    #[ts(type = "number")]
    pub target: u64,
    /// Rights its tills hold.
    #[ts(type = "number")]
    pub rights: u64,
    /// Units its tills sold.
    #[ts(type = "number")]
    pub sold: u64,
    /// Units in its tills' active holds.
    #[ts(type = "number")]
    pub held: u64,
    /// Rights the hub sent its tills that they have not acknowledged yet, plus rights asked
    /// back by open recalls.
    #[ts(type = "number")]
    pub in_flight: u64,
    /// Its tills' requests not answered yet.
    pub requests_open: u32,
    /// Its tills.
    pub tills: Vec<DropTill>,
}

/// A member who redeemed one campaign more than once (offline tills cannot see each other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DuplicateRedemption {
    /// Member id.
    pub member: String,
    /// Redemptions of this campaign.
    pub count: u32,
}

/// A drop with its per-store picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DropDetail {
    /// The totals.
    pub summary: DropSummary,
    /// Per store (a store manager sees only their own).
    pub stores: Vec<DropStore>,
    /// Recalls not answered yet.
    pub recalls_open: u32,
    /// Members who redeemed the campaign more than once.
    pub duplicate_redemptions: Vec<DuplicateRedemption>,
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn ab(a: &ActorId) -> &[u8] {
    a.0.as_bytes().as_slice()
}

fn actor_of(bytes: &[u8]) -> Option<ActorId> {
    Uuid::from_slice(bytes).ok().map(ActorId)
}

fn i(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

fn refused(code: ErrorCode, message: String) -> HubError {
    HubError::Refused { code, message }
}

fn status_rank(s: HoldStatus) -> i64 {
    match s {
        HoldStatus::Held => 0,
        HoldStatus::Released => 1,
        HoldStatus::Sold => 2,
    }
}

fn recall_reason(r: RecallReason) -> &'static str {
    match r {
        RecallReason::Rebalance => "rebalance",
        RecallReason::PullBack => "pull_back",
    }
}

/// The stored total of one entry of `actor` for `key`.
fn entry_total(
    conn: &Connection,
    key: &str,
    actor: &ActorId,
    kind: &EscrowKind,
) -> Result<u64, HubError> {
    let v: Option<i64> = match kind {
        EscrowKind::Mint => conn
            .prepare_cached("SELECT total FROM escrow_minted WHERE key = ?1 AND actor = ?2")?
            .query_row(params![key, ab(actor)], |r| r.get(0))
            .optional()?,
        EscrowKind::Use => conn
            .prepare_cached("SELECT total FROM escrow_used WHERE key = ?1 AND actor = ?2")?
            .query_row(params![key, ab(actor)], |r| r.get(0))
            .optional()?,
        EscrowKind::Transfer(to) => conn
            .prepare_cached(
                "SELECT total FROM escrow_given WHERE key = ?1 AND from_actor = ?2 AND to_actor = ?3",
            )?
            .query_row(params![key, ab(actor), ab(to)], |r| r.get(0))
            .optional()?,
    };
    Ok(u(v.unwrap_or(0)))
}

/// `rights(actor)` for `key` as stored (may be negative only in merged, never in checked, data).
pub fn rights(conn: &Connection, key: &str, actor: &ActorId) -> Result<i64, HubError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE((SELECT total FROM escrow_minted WHERE key = ?1 AND actor = ?2), 0)
                  + COALESCE((SELECT SUM(total) FROM escrow_given WHERE key = ?1 AND to_actor = ?2), 0)
                  - COALESCE((SELECT SUM(total) FROM escrow_given WHERE key = ?1 AND from_actor = ?2), 0)
                  - COALESCE((SELECT total FROM escrow_used WHERE key = ?1 AND actor = ?2), 0)",
        )?
        .query_row(params![key, ab(actor)], |r| r.get(0))?)
}

/// Every actor's entries of one key.
#[derive(Debug, Default)]
struct Ledger {
    minted: HashMap<ActorId, u64>,
    given_in: HashMap<ActorId, u64>,
    given_out: HashMap<ActorId, u64>,
    used: HashMap<ActorId, u64>,
}

impl Ledger {
    fn load(conn: &Connection, key: &str) -> Result<Self, HubError> {
        let mut l = Ledger::default();
        let read = |sql: &str, into: &mut HashMap<ActorId, u64>| -> Result<(), HubError> {
            let mut st = conn.prepare_cached(sql)?;
            let mut rows = st.query([key])?;
            while let Some(r) = rows.next()? {
                let a: Vec<u8> = r.get(0)?;
                if let Some(a) = actor_of(&a) {
                    *into.entry(a).or_default() += u(r.get(1)?);
                }
            }
            Ok(())
        };
        read(
            "SELECT actor, total FROM escrow_minted WHERE key = ?1",
            &mut l.minted,
        )?;
        read(
            "SELECT to_actor, SUM(total) FROM escrow_given WHERE key = ?1 GROUP BY to_actor",
            &mut l.given_in,
        )?;
        read(
            "SELECT from_actor, SUM(total) FROM escrow_given WHERE key = ?1 GROUP BY from_actor",
            &mut l.given_out,
        )?;
        read(
            "SELECT actor, total FROM escrow_used WHERE key = ?1",
            &mut l.used,
        )?;
        Ok(l)
    }

    fn get(m: &HashMap<ActorId, u64>, a: &ActorId) -> i128 {
        i128::from(m.get(a).copied().unwrap_or(0))
    }

    fn rights(&self, a: &ActorId) -> u64 {
        let r = Self::get(&self.minted, a) + Self::get(&self.given_in, a)
            - Self::get(&self.given_out, a)
            - Self::get(&self.used, a);
        r.clamp(0, i128::from(u64::MAX)) as u64
    }

    fn used(&self, a: &ActorId) -> u64 {
        self.used.get(a).copied().unwrap_or(0)
    }

    fn actors(&self) -> BTreeSet<ActorId> {
        self.minted
            .keys()
            .chain(self.given_in.keys())
            .chain(self.used.keys())
            .copied()
            .collect()
    }

    fn minted_total(&self) -> u64 {
        self.minted.values().sum()
    }

    fn used_total(&self) -> u64 {
        self.used.values().sum()
    }
}

/// Units in active holds (`Held`, not expired at `now`) per till.
fn held_by_till(conn: &Connection, key: &str, now: u64) -> Result<HashMap<ActorId, u64>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT till, SUM(qty) FROM limit_hold
         WHERE key = ?1 AND status = 0 AND expires_at_ms > ?2 GROUP BY till",
    )?;
    let mut rows = st.query(params![key, i(now)])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let a: Vec<u8> = r.get(0)?;
        if let Some(a) = actor_of(&a) {
            out.insert(a, u(r.get(1)?));
        }
    }
    Ok(out)
}

/// The winning `LimitDef` of `key`, decoded from the op that carried it.
pub fn limit_def(conn: &Connection, key: &str) -> Result<Option<LimitDef>, HubError> {
    let body: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT l.body FROM limit_def d JOIN op_log l ON l.cursor = d.cursor WHERE d.key = ?1",
        )?
        .query_row([key], |r| r.get(0))
        .optional()?;
    let Some(body) = body else { return Ok(None) };
    match rmp_serde::from_slice::<Op>(&body) {
        Ok(Op {
            body: OpBody::LimitDef(d),
            ..
        }) => Ok(Some(d)),
        Ok(_) | Err(_) => {
            tracing::error!(%key, "the winning limit definition op is unreadable");
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stateless checks of till ops
// ---------------------------------------------------------------------------------------------

/// Fold a newly logged limited-item op (at `cursor`) into the projection. `strict`: the op
/// was pushed by a till or made by the hub, and must continue its entry and keep its
/// actor's rights ≥ 0 (else the job is refused and rolled back).
pub fn apply_op(
    ap: &mut Apply<'_, '_>,
    op: &Op,
    cursor: u64,
    strict: bool,
) -> Result<(), HubError> {
    match &op.body {
        OpBody::EscrowMove(m) => apply_move(ap, op, m, cursor, strict),
        OpBody::LimitDef(d) => apply_def(ap, op, d, cursor),
        OpBody::RightsRequest(r) => apply_request(ap, r, cursor),
        OpBody::RightsRecall(r) => apply_recall(ap, op, r, cursor),
        OpBody::LimitHold(h) => apply_hold(ap, h, cursor),
        OpBody::CouponRedemption(c) => apply_redemption(ap, c, cursor),
        _ => Ok(()),
    }
}

fn apply_move(
    ap: &mut Apply<'_, '_>,
    op: &Op,
    m: &EscrowMove,
    cursor: u64,
    strict: bool,
) -> Result<(), HubError> {
    let key = m.key.to_string();
    let hub = ap.hub_actor();
    let actor = op.actor;
    let stored = entry_total(ap.conn, &key, &actor, &m.kind)?;
    if strict {
        if m.qty == 0 || stored.checked_add(m.qty) != Some(m.total) {
            tracing::warn!(%actor, seq = op.seq, %key, total = m.total, stored, qty = m.qty, "escrow total does not continue");
            return Err(refused(
                ErrorCode::InvalidOp,
                format!(
                    "op {}: escrow total {} of {key} does not continue the stored {stored} by {}",
                    op.seq, m.total, m.qty
                ),
            ));
        }
        if let EscrowKind::Transfer(to) = &m.kind
            && actor != hub
            && *to != hub
        {
            tracing::warn!(%actor, seq = op.seq, %key, to = %to, "till transfer not to the hub");
            return Err(refused(
                ErrorCode::InvalidOp,
                format!(
                    "op {}: a till gives {key} rights back only to the hub, not to {to}",
                    op.seq
                ),
            ));
        }
    }
    let total = i(m.total);
    match &m.kind {
        EscrowKind::Mint => ap
            .conn
            .prepare_cached(
                "INSERT INTO escrow_minted (key, actor, total, cursor) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key, actor) DO UPDATE SET total = excluded.total, cursor = excluded.cursor
                 WHERE excluded.total > escrow_minted.total",
            )?
            .execute(params![key, ab(&actor), total, i(cursor)])?,
        EscrowKind::Use => ap
            .conn
            .prepare_cached(
                "INSERT INTO escrow_used (key, actor, total, cursor) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key, actor) DO UPDATE SET total = excluded.total, cursor = excluded.cursor
                 WHERE excluded.total > escrow_used.total",
            )?
            .execute(params![key, ab(&actor), total, i(cursor)])?,
        EscrowKind::Transfer(to) => {
            let n = ap
                .conn
                .prepare_cached(
                    "INSERT INTO escrow_given (key, from_actor, to_actor, total, cursor) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (key, from_actor, to_actor) DO UPDATE SET total = excluded.total, cursor = excluded.cursor
                     WHERE excluded.total > escrow_given.total",
                )?
                .execute(params![key, ab(&actor), ab(to), total, i(cursor)])?;
            if n > 0 && actor == hub {
                ap.conn
                    .prepare_cached(
                        "INSERT INTO escrow_hub_transfer (cursor, key, till, qty) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![i(cursor), key, ab(to), i(m.total - stored.min(m.total))])?;
            }
            n
        }
    };
    if strict && !matches!(m.kind, EscrowKind::Mint) {
        let left = rights(ap.conn, &key, &actor)?;
        if left < 0 {
            tracing::warn!(%actor, seq = op.seq, %key, rights = left, "escrow overspend refused");
            return Err(refused(
                ErrorCode::InvalidOp,
                format!(
                    "op {}: spends {} of {key} beyond its rights (it would hold {left}); the batch is refused",
                    op.seq, m.qty
                ),
            ));
        }
    }
    if actor != hub && m.kind == EscrowKind::Transfer(hub) {
        if let Some(recall) = m.reference.as_deref().and_then(|r| Uuid::parse_str(r).ok()) {
            ap.conn
                .prepare_cached(
                    "UPDATE rights_recall SET done_at_ms = COALESCE(done_at_ms, ?3), returned = returned + ?4
                     WHERE id = ?1 AND till = ?2",
                )?
                .execute(params![
                    recall.as_bytes().as_slice(),
                    ab(&actor),
                    i(now_ms()),
                    i(m.qty)
                ])?;
        }
        ap.want_rebalance(&key);
    }
    ap.touch_drop(&key);
    Ok(())
}

fn apply_def(ap: &mut Apply<'_, '_>, op: &Op, d: &LimitDef, cursor: u64) -> Result<(), HubError> {
    let key = d.key.to_string();
    let (sku, code) = match &d.key {
        LimitKey::Sku(s) => (Some(s.to_string()), None),
        LimitKey::Coupon(_) => (None, d.coupon.as_ref().map(|c| c.code.clone())),
    };
    let rule = match d.rule {
        AllocationRule::Equal => "equal",
        AllocationRule::WeightedBySales => "weighted_by_sales",
        AllocationRule::Manual => "manual",
    };
    ap.conn
        .prepare_cached(
            "INSERT INTO limit_def (key, label, sku, coupon_code, total, rule, hold_minutes, starts_at_ms,
                                    ends_at_ms, active, hlc_wall, hlc_counter, hlc_actor, cursor, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (key) DO UPDATE SET
               label = excluded.label, sku = excluded.sku, coupon_code = excluded.coupon_code,
               total = excluded.total, rule = excluded.rule, hold_minutes = excluded.hold_minutes,
               starts_at_ms = excluded.starts_at_ms, ends_at_ms = excluded.ends_at_ms,
               active = excluded.active, hlc_wall = excluded.hlc_wall,
               hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
               cursor = excluded.cursor
             WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
                 > (limit_def.hlc_wall, limit_def.hlc_counter, limit_def.hlc_actor)",
        )?
        .execute(params![
            key,
            d.label,
            sku,
            code,
            i(d.total),
            rule,
            d.hold_minutes,
            d.starts_at_ms.map(i),
            d.ends_at_ms.map(i),
            d.active,
            i(op.hlc.wall_ms),
            op.hlc.counter,
            ab(&op.hlc.actor),
            i(cursor),
            i(now_ms())
        ])?;
    ap.touch_drop(&key);
    Ok(())
}

fn apply_request(ap: &mut Apply<'_, '_>, r: &RightsRequest, cursor: u64) -> Result<(), HubError> {
    let key = r.key.to_string();
    let n = ap
        .conn
        .prepare_cached(
            "INSERT INTO rights_request (id, key, till, store, qty, cursor, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            r.id.as_bytes().as_slice(),
            key,
            ab(&r.till),
            r.store.as_str(),
            i(r.qty),
            i(cursor),
            i(now_ms())
        ])?;
    if n > 0 {
        // A newer request of the same till replaces its older open ones.
        ap.conn
            .prepare_cached(
                "UPDATE rights_request SET status = 2, answered_at_ms = ?4
                 WHERE key = ?1 AND till = ?2 AND status = 0 AND id != ?3",
            )?
            .execute(params![
                key,
                ab(&r.till),
                r.id.as_bytes().as_slice(),
                i(now_ms())
            ])?;
        ap.want_rebalance(&key);
        ap.touch_drop(&key);
    }
    Ok(())
}

fn apply_recall(
    ap: &mut Apply<'_, '_>,
    op: &Op,
    r: &RightsRecall,
    cursor: u64,
) -> Result<(), HubError> {
    let key = r.key.to_string();
    let store = match &op.scope {
        Scope::Store(s) => s.to_string(),
        _ => String::new(),
    };
    ap.conn
        .prepare_cached(
            "INSERT INTO rights_recall (id, key, till, store, qty, reason, cursor, issued_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            r.id.as_bytes().as_slice(),
            key,
            ab(&r.till),
            store,
            r.qty.map(i),
            recall_reason(r.reason),
            i(cursor),
            i(now_ms())
        ])?;
    ap.touch_drop(&key);
    Ok(())
}

fn apply_hold(ap: &mut Apply<'_, '_>, h: &LimitHold, cursor: u64) -> Result<(), HubError> {
    let key = h.key.to_string();
    ap.conn
        .prepare_cached(
            "INSERT INTO limit_hold (id, key, till, store, qty, placed_at_ms, expires_at_ms, status, sale, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, sale = excluded.sale,
                                            cursor = excluded.cursor
             WHERE excluded.status > limit_hold.status",
        )?
        .execute(params![
            h.id.as_bytes().as_slice(),
            key,
            ab(&h.till),
            h.store.as_str(),
            i(h.qty),
            i(h.placed_at_ms),
            i(h.expires_at_ms),
            status_rank(h.status),
            h.sale.as_ref().map(|s| s.as_bytes().to_vec()),
            i(cursor)
        ])?;
    ap.touch_drop(&key);
    Ok(())
}

fn apply_redemption(
    ap: &mut Apply<'_, '_>,
    c: &CouponRedemption,
    cursor: u64,
) -> Result<(), HubError> {
    let n = ap
        .conn
        .prepare_cached(
            "INSERT INTO coupon_redemption (id, campaign, member, sale, till, store, discount, at_ms, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            c.id.as_bytes().as_slice(),
            c.campaign.as_bytes().as_slice(),
            c.member.as_bytes().as_slice(),
            c.sale.as_bytes().as_slice(),
            ab(&c.till),
            c.store.as_str(),
            c.discount,
            i(c.at_ms),
            i(cursor)
        ])?;
    if n > 0 {
        ap.touch_drop(&LimitKey::Coupon(c.campaign).to_string());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// HQ actions (inside a writer job)
// ---------------------------------------------------------------------------------------------

/// What a drop limits, as HQ asked.
#[derive(Debug, Clone)]
pub enum DropTarget {
    /// A limited SKU.
    Sku(Sku),
    /// A coupon campaign with these terms (code already normalised).
    Coupon(CouponTerms),
}

/// A drop to create (already checked for shape by the REST layer).
#[derive(Debug, Clone)]
pub struct NewDrop {
    /// Name on tills.
    pub label: String,
    /// What is limited.
    pub target: DropTarget,
    /// Units in all.
    pub total: u64,
    /// Allocation rule.
    pub rule: DropRule,
    /// Per-store units for [`DropRule::Manual`].
    pub manual: BTreeMap<String, u64>,
    /// Stores taking part (`None`: every store, warehouses excluded).
    pub stores: Option<Vec<String>>,
    /// Longest hold, minutes.
    pub hold_minutes: u32,
    /// Sales start.
    pub starts_at_ms: Option<u64>,
    /// Sales end (exclusive).
    pub ends_at_ms: Option<u64>,
}

/// Split `total` in proportion to `weights` (largest remainder; ties to the earlier entry).
/// All-zero weights split equally.
pub fn largest_remainder(total: u64, weights: &[u128]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().sum();
    let (weights, sum): (Vec<u128>, u128) = if sum == 0 {
        (vec![1; weights.len()], weights.len() as u128)
    } else {
        (weights.to_vec(), sum)
    };
    let t = u128::from(total);
    let mut out: Vec<u64> = weights.iter().map(|w| (t * w / sum) as u64).collect();
    let given: u64 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest fractional part first; stable, so ties go to the earlier entry.
    order.sort_by(|a, b| ((t * weights[*b]) % sum).cmp(&((t * weights[*a]) % sum)));
    for idx in order.into_iter().take((total - given) as usize) {
        out[idx] += 1;
    }
    out
}

fn hub_move(
    ap: &mut Apply<'_, '_>,
    key: &LimitKey,
    kind: EscrowKind,
    qty: u64,
    reference: Option<String>,
) -> Result<Op, HubError> {
    let hub = ap.hub_actor();
    let stored = entry_total(ap.conn, &key.to_string(), &hub, &kind)?;
    ap.hub_op(
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key: key.clone(),
            kind,
            qty,
            reference,
            total: stored + qty,
        }),
    )
}

fn active_tills(conn: &Connection, store: &str) -> Result<Vec<ActorId>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT actor FROM devices WHERE store = ?1 AND revoked = 0 ORDER BY till_no",
    )?;
    let rows = st.query_map([store], |r| r.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(a) = actor_of(&r?) {
            out.push(a);
        }
    }
    Ok(out)
}

fn rejected(status: u16, code: &'static str, message: String) -> HubError {
    HubError::rejected(status, code, message)
}

/// Create a drop: `LimitDef` (catalog), the hub's `Mint` of the total, the per-store plan
/// (`drop_allocation`), and hub → till transfers splitting each store's target across its
/// active tills (largest remainder; a store without tills keeps its share in the pool).
pub fn create_drop(ap: &mut Apply<'_, '_>, d: NewDrop) -> Result<LimitKey, HubError> {
    let key = match &d.target {
        DropTarget::Sku(sku) => {
            let exists = ap
                .conn
                .prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?
                .exists([sku.as_str()])?;
            if !exists {
                return Err(rejected(400, "unknown_sku", format!("no product {sku}")));
            }
            let key = LimitKey::Sku(sku.clone());
            let active: bool = ap
                .conn
                .prepare_cached("SELECT 1 FROM limit_def WHERE key = ?1 AND active = 1")?
                .exists([key.to_string()])?;
            if active {
                return Err(rejected(
                    409,
                    "already_limited",
                    format!("{sku} is already a limited item of an active drop; end it first"),
                ));
            }
            key
        }
        DropTarget::Coupon(terms) => {
            let taken = ap
                .conn
                .prepare_cached("SELECT 1 FROM limit_def WHERE coupon_code = ?1")?
                .exists([terms.code.as_str()])?;
            if taken {
                return Err(rejected(
                    409,
                    "duplicate_coupon_code",
                    format!("a coupon campaign with code {} exists already", terms.code),
                ));
            }
            LimitKey::Coupon(Uuid::now_v7())
        }
    };
    // Stores taking part.
    let all: Vec<String> = {
        let mut st = ap
            .conn
            .prepare_cached("SELECT code FROM stores WHERE kind = 'store' ORDER BY code")?;
        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    let mut stores: Vec<String> = match (&d.rule, &d.stores) {
        (DropRule::Manual, _) => d.manual.keys().cloned().collect(),
        (_, Some(s)) => s.clone(),
        (_, None) => all.clone(),
    };
    stores.sort();
    stores.dedup();
    if let Some(unknown) = stores.iter().find(|s| !all.contains(s)) {
        return Err(rejected(
            400,
            "unknown_store",
            format!("no store {unknown} (warehouses do not sell drops)"),
        ));
    }
    if stores.is_empty() {
        return Err(rejected(
            400,
            "no_stores",
            "a drop needs at least one store".into(),
        ));
    }
    let targets: Vec<u64> = match d.rule {
        DropRule::Manual => {
            let sum: u64 = d.manual.values().fold(0u64, |a, b| a.saturating_add(*b));
            if sum != d.total {
                return Err(rejected(
                    400,
                    "manual_sum",
                    format!(
                        "the manual allocation sums to {sum}, not the total {}",
                        d.total
                    ),
                ));
            }
            stores
                .iter()
                .map(|s| d.manual.get(s).copied().unwrap_or(0))
                .collect()
        }
        DropRule::Equal => largest_remainder(d.total, &vec![1; stores.len()]),
        DropRule::WeightedBySales => {
            let mut st = ap
                .conn
                .prepare_cached("SELECT COALESCE(SUM(total), 0) FROM sales WHERE store = ?1")?;
            let mut w = Vec::with_capacity(stores.len());
            for s in &stores {
                let v: i64 = st.query_row([s], |r| r.get(0))?;
                w.push(v.max(0) as u128);
            }
            largest_remainder(d.total, &w)
        }
    };
    let def = LimitDef {
        key: key.clone(),
        label: d.label.clone(),
        total: d.total,
        rule: d.rule.into(),
        hold_minutes: d.hold_minutes,
        starts_at_ms: d.starts_at_ms,
        ends_at_ms: d.ends_at_ms,
        coupon: match &d.target {
            DropTarget::Coupon(t) => Some(t.clone()),
            DropTarget::Sku(_) => None,
        },
        active: true,
    };
    // The same rules every replica applies to a definition (sync-proto).
    sync_proto::validate::check_limit_def(0, &def)
        .map_err(|r| rejected(400, "invalid_input", r.to_string()))?;
    ap.hub_op(Scope::Catalog, OpBody::LimitDef(def))?;
    hub_move(ap, &key, EscrowKind::Mint, d.total, Some("drop".into()))?;
    let k = key.to_string();
    ap.conn
        .prepare_cached("DELETE FROM drop_allocation WHERE key = ?1")?
        .execute([&k])?;
    for (store, target) in stores.iter().zip(&targets) {
        ap.conn
            .prepare_cached("INSERT INTO drop_allocation (key, store, target) VALUES (?1, ?2, ?3)")?
            .execute(params![k, store, i(*target)])?;
        let tills = active_tills(ap.conn, store)?;
        let split = largest_remainder(*target, &vec![1; tills.len()]);
        for (till, qty) in tills.iter().zip(split) {
            if qty > 0 {
                hub_move(
                    ap,
                    &key,
                    EscrowKind::Transfer(*till),
                    qty,
                    Some("allocation".into()),
                )?;
            }
        }
    }
    tracing::info!(%key, total = d.total, stores = stores.len(), "drop created");
    Ok(key)
}

/// Ask every active till of `stores` (default: the drop's stores) for all its unused rights
/// (`RightsRecall`, reason `PullBack`); tills with an open pull-back recall are skipped.
/// Returns the number of recalls written.
pub fn pull_back(
    ap: &mut Apply<'_, '_>,
    key: &LimitKey,
    stores: Option<Vec<String>>,
) -> Result<u32, HubError> {
    let k = key.to_string();
    let stores: Vec<String> = match stores {
        Some(s) => s,
        None => {
            let mut st = ap.conn.prepare_cached(
                "SELECT store FROM drop_allocation WHERE key = ?1 ORDER BY store",
            )?;
            st.query_map([&k], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        }
    };
    let mut n = 0;
    for store in stores {
        let store_id: StoreId = store.parse()?;
        for till in active_tills(ap.conn, &store)? {
            let open = ap
                .conn
                .prepare_cached(
                    "SELECT 1 FROM rights_recall WHERE key = ?1 AND till = ?2 AND done_at_ms IS NULL
                     AND reason = 'pull_back'",
                )?
                .exists(params![k, ab(&till)])?;
            if open {
                continue;
            }
            ap.hub_op(
                Scope::Store(store_id.clone()),
                OpBody::RightsRecall(RightsRecall {
                    id: Uuid::now_v7(),
                    key: key.clone(),
                    till,
                    qty: None,
                    reason: RecallReason::PullBack,
                }),
            )?;
            n += 1;
        }
    }
    tracing::info!(%key, recalls = n, "drop pulled back");
    Ok(n)
}

/// End a drop: its `LimitDef` again with `active = false` (tills stop selling against their
/// rights), open requests closed, every till asked for its rights back.
pub fn end_drop(ap: &mut Apply<'_, '_>, key: &LimitKey) -> Result<u32, HubError> {
    let k = key.to_string();
    let Some(mut def) = limit_def(ap.conn, &k)? else {
        return Err(rejected(404, "unknown_drop", format!("no drop {k}")));
    };
    if !def.active {
        return Err(rejected(
            409,
            "already_ended",
            format!("drop {k} has ended already"),
        ));
    }
    def.active = false;
    ap.hub_op(Scope::Catalog, OpBody::LimitDef(def))?;
    ap.conn
        .prepare_cached(
            "UPDATE rights_request SET status = 2, answered_at_ms = ?2 WHERE key = ?1 AND status = 0",
        )?
        .execute(params![k, i(now_ms())])?;
    pull_back(ap, key, None)
}

// ---------------------------------------------------------------------------------------------
// Rebalancer
// ---------------------------------------------------------------------------------------------

/// Mark recalls done whose till has acknowledged a cursor at or past the recall's.
fn close_passed_recalls(
    ap: &mut Apply<'_, '_>,
    key: &str,
    connected: &HashMap<ActorId, u64>,
) -> Result<(), HubError> {
    let open: Vec<(Vec<u8>, Vec<u8>, i64, i64)> = {
        let mut st = ap.conn.prepare_cached(
            "SELECT r.id, r.till, r.cursor, COALESCE((SELECT d.cursor FROM devices d WHERE d.actor = r.till), 0)
             FROM rights_recall r WHERE r.key = ?1 AND r.done_at_ms IS NULL",
        )?;
        st.query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, till, recall_cursor, stored) in open {
        let Some(actor) = actor_of(&till) else {
            continue;
        };
        let acked = u(stored).max(connected.get(&actor).copied().unwrap_or(0));
        if acked >= u(recall_cursor) {
            ap.conn
                .prepare_cached("UPDATE rights_recall SET done_at_ms = ?2 WHERE id = ?1")?
                .execute(params![id, i(now_ms())])?;
            ap.touch_drop(key);
        }
    }
    Ok(())
}

/// Serve the open requests of `key` first-come from the pool; when the pool is short, recall
/// from the connected tills with the most available rights (half, rounded up; none from a
/// till with an open recall), once per request; rights that come back serve the waiting
/// requests on a later run, and once a request's recalls are all answered it gets what the
/// pool holds — or, when nothing came back, it may recall again on a later run. Later requests
/// wait behind the first.
pub fn rebalance(ap: &mut Apply<'_, '_>, key: &str) -> Result<(), HubError> {
    let Ok(limit_key) = key.parse::<LimitKey>() else {
        return Ok(());
    };
    let Some(def) = limit_def(ap.conn, key)? else {
        // No such drop (a till's mistake): nothing will ever serve these requests.
        ap.conn
            .prepare_cached(
                "UPDATE rights_request SET status = 2, answered_at_ms = ?2 WHERE key = ?1 AND status = 0",
            )?
            .execute(params![key, i(now_ms())])?;
        return Ok(());
    };
    let connected = ap.connected_tills();
    close_passed_recalls(ap, key, &connected)?;
    if !def.active {
        let n = ap
            .conn
            .prepare_cached(
                "UPDATE rights_request SET status = 2, answered_at_ms = ?2 WHERE key = ?1 AND status = 0",
            )?
            .execute(params![key, i(now_ms())])?;
        if n > 0 {
            ap.touch_drop(key);
        }
        return Ok(());
    }
    let hub = ap.hub_actor();
    let open: Vec<(Vec<u8>, Vec<u8>, i64, bool)> = {
        let mut st = ap.conn.prepare_cached(
            "SELECT id, till, qty, recalled FROM rights_request WHERE key = ?1 AND status = 0 ORDER BY cursor",
        )?;
        st.query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, till, qty, already_recalled) in open {
        let (Some(till), Ok(req_id)) = (actor_of(&till), Uuid::from_slice(&id)) else {
            continue;
        };
        let qty = u(qty);
        let pool = u(rights(ap.conn, key, &hub)?);
        if pool >= qty {
            serve(ap, &limit_key, &req_id, till, qty)?;
            continue;
        }
        // Short: what open recalls are expected to bring, then new recalls.
        let ledger = Ledger::load(ap.conn, key)?;
        let held = held_by_till(ap.conn, key, now_ms())?;
        let available = |a: &ActorId| {
            ledger
                .rights(a)
                .saturating_sub(held.get(a).copied().unwrap_or(0))
        };
        let open_recalls: Vec<(Vec<u8>, Option<i64>)> = {
            let mut st = ap.conn.prepare_cached(
                "SELECT till, qty FROM rights_recall WHERE key = ?1 AND done_at_ms IS NULL",
            )?;
            st.query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let recalled: BTreeSet<ActorId> = open_recalls
            .iter()
            .filter_map(|(t, _)| actor_of(t))
            .collect();
        let mut coming: u64 = open_recalls
            .iter()
            .filter_map(|(t, q)| {
                // A till that went away answers when it is back; do not wait for it.
                let a = actor_of(t).filter(|a| connected.contains_key(a))?;
                Some(q.map(u).unwrap_or(u64::MAX).min(available(&a)))
            })
            .sum();
        let short = qty - pool;
        if coming == 0 && already_recalled {
            // Its recalls are answered and the pool is still short: serve what there is.
            if pool > 0 {
                serve(ap, &limit_key, &req_id, till, pool)?;
                continue;
            }
            // Nothing came back (the recalled tills had sold meanwhile): recall again on a
            // later run from the tills that still hold rights. The till at zero will not ask
            // again by itself, and later requests wait behind this one.
            ap.conn
                .prepare_cached("UPDATE rights_request SET recalled = 0 WHERE id = ?1")?
                .execute([&id])?;
            break;
        }
        if coming < short && !already_recalled {
            let mut candidates: Vec<(u64, ActorId)> = connected
                .keys()
                .filter(|a| **a != till && **a != hub && !recalled.contains(a))
                .map(|a| (available(a), *a))
                .filter(|(av, _)| *av > 0)
                .collect();
            candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (av, actor) in candidates {
                if coming >= short {
                    break;
                }
                let ask = av.div_ceil(2);
                let store: Option<String> = ap
                    .conn
                    .prepare_cached("SELECT store FROM devices WHERE actor = ?1")?
                    .query_row([ab(&actor)], |r| r.get(0))
                    .optional()?;
                let Some(store) = store else { continue };
                ap.hub_op(
                    Scope::Store(store.parse()?),
                    OpBody::RightsRecall(RightsRecall {
                        id: Uuid::now_v7(),
                        key: limit_key.clone(),
                        till: actor,
                        qty: Some(ask),
                        reason: RecallReason::Rebalance,
                    }),
                )?;
                tracing::info!(%key, till = %actor, qty = ask, "rights recalled to serve a request");
                coming += ask;
            }
            ap.conn
                .prepare_cached("UPDATE rights_request SET recalled = 1 WHERE id = ?1")?
                .execute([&id])?;
        }
        if coming == 0 && pool > 0 {
            // Nothing more will come: give what the pool has.
            serve(ap, &limit_key, &req_id, till, pool)?;
            continue;
        }
        break; // first come, first served: later requests wait too
    }
    Ok(())
}

fn serve(
    ap: &mut Apply<'_, '_>,
    key: &LimitKey,
    request: &Uuid,
    till: ActorId,
    qty: u64,
) -> Result<(), HubError> {
    hub_move(
        ap,
        key,
        EscrowKind::Transfer(till),
        qty,
        Some(request.to_string()),
    )?;
    ap.conn
        .prepare_cached(
            "UPDATE rights_request SET status = 1, served_qty = ?2, answered_at_ms = ?3 WHERE id = ?1",
        )?
        .execute(params![request.as_bytes().as_slice(), i(qty), i(now_ms())])?;
    tracing::info!(%key, %till, qty, "rights request served");
    Ok(())
}

/// Keys the tick must rebalance: those with open requests, and those with an open recall whose
/// till has acknowledged the recall's cursor (`connected`: live acknowledged cursors).
pub fn keys_needing_work(
    conn: &Connection,
    connected: &HashMap<ActorId, u64>,
) -> Result<Vec<String>, HubError> {
    let mut keys: BTreeSet<String> = {
        let mut st =
            conn.prepare_cached("SELECT DISTINCT key FROM rights_request WHERE status = 0")?;
        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    let mut st = conn.prepare_cached(
        "SELECT r.key, r.till, r.cursor, COALESCE((SELECT d.cursor FROM devices d WHERE d.actor = r.till), 0)
         FROM rights_recall r WHERE r.done_at_ms IS NULL",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let till: Vec<u8> = r.get(1)?;
        let acked = actor_of(&till)
            .and_then(|a| connected.get(&a).copied())
            .unwrap_or(0)
            .max(u(r.get(3)?));
        if acked >= u(r.get(2)?) {
            keys.insert(r.get(0)?);
        }
    }
    Ok(keys.into_iter().collect())
}

/// The 1 s tick: rebalance every key with open requests or recalls, until the hub stops.
pub async fn run_ticker(state: Arc<AppState>) {
    let mut stopping = state.stopping.clone();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = async { let _ = stopping.wait_for(|s| *s).await; } => return,
            _ = tick.tick() => {}
        }
        let connected: HashMap<ActorId, u64> = state
            .live
            .snapshot()
            .into_iter()
            .map(|(a, t)| (a, t.cursor))
            .collect();
        let keys = match state
            .reads
            .read(move |c| keys_needing_work(c, &connected))
            .await
        {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "rebalancer could not read open requests");
                continue;
            }
        };
        if keys.is_empty() {
            continue;
        }
        let r = state
            .writer
            .call(1, move |ap| {
                for k in keys {
                    rebalance(ap, &k)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "rebalancer tick failed");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Read models
// ---------------------------------------------------------------------------------------------

fn summary_of(
    conn: &Connection,
    def: &LimitDef,
    hub: Option<&ActorId>,
    now: u64,
) -> Result<DropSummary, HubError> {
    let key = def.key.to_string();
    let ledger = Ledger::load(conn, &key)?;
    let held: u64 = held_by_till(conn, &key, now)?.values().sum();
    let total = ledger.minted_total();
    let sold = ledger.used_total();
    let pool = hub.map(|h| ledger.rights(h)).unwrap_or(0);
    let (kind, sku, code) = match &def.key {
        LimitKey::Sku(s) => (DropKind::Sku, Some(s.to_string()), None),
        LimitKey::Coupon(_) => (
            DropKind::Coupon,
            None,
            def.coupon.as_ref().map(|c| c.code.clone()),
        ),
    };
    Ok(DropSummary {
        key,
        label: def.label.clone(),
        kind,
        sku,
        code,
        total,
        sold,
        left: total.saturating_sub(sold),
        held,
        pool,
        active: def.active,
        rule: def.rule.into(),
        starts_at_ms: def.starts_at_ms,
        ends_at_ms: def.ends_at_ms,
        hold_minutes: def.hold_minutes,
    })
}

/// The hub's actor as stored in `meta`.
pub fn hub_actor(conn: &Connection) -> Result<Option<ActorId>, HubError> {
    let v: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'hub_actor'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(v.and_then(|s| s.parse().ok()))
}

/// The summary of one drop.
pub fn summary(conn: &Connection, key: &str, now: u64) -> Result<Option<DropSummary>, HubError> {
    let Some(def) = limit_def(conn, key)? else {
        return Ok(None);
    };
    let hub = hub_actor(conn)?;
    Ok(Some(summary_of(conn, &def, hub.as_ref(), now)?))
}

/// Every drop, active first, newest first.
pub fn summaries(conn: &Connection, now: u64) -> Result<Vec<DropSummary>, HubError> {
    let keys: Vec<String> = {
        let mut st = conn.prepare_cached(
            "SELECT key FROM limit_def ORDER BY active DESC, created_at_ms DESC, key",
        )?;
        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    let hub = hub_actor(conn)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(def) = limit_def(conn, &k)? {
            out.push(summary_of(conn, &def, hub.as_ref(), now)?);
        }
    }
    Ok(out)
}

/// The per-store picture of a drop. `connected`: connected tills and their acknowledged
/// cursors; `only_store`: a store manager's store.
pub fn detail(
    conn: &Connection,
    key: &str,
    now: u64,
    connected: &HashMap<ActorId, u64>,
    only_store: Option<&str>,
) -> Result<Option<DropDetail>, HubError> {
    let Some(def) = limit_def(conn, key)? else {
        return Ok(None);
    };
    let hub = hub_actor(conn)?;
    let summary = summary_of(conn, &def, hub.as_ref(), now)?;
    let ledger = Ledger::load(conn, key)?;
    let held = held_by_till(conn, key, now)?;
    // Stores: the plan's, plus any store whose tills hold entries.
    let mut plan: BTreeMap<String, u64> = BTreeMap::new();
    {
        let mut st =
            conn.prepare_cached("SELECT store, target FROM drop_allocation WHERE key = ?1")?;
        let mut rows = st.query([key])?;
        while let Some(r) = rows.next()? {
            plan.insert(r.get(0)?, u(r.get(1)?));
        }
    }
    // Devices of interest: every device of a plan store, and any device with entries.
    struct Dev {
        actor: ActorId,
        store: String,
        till_no: u32,
        cursor: u64,
        revoked: bool,
    }
    let mut devices: Vec<Dev> = Vec::new();
    {
        let mut st = conn.prepare_cached(
            "SELECT actor, store, till_no, cursor, revoked FROM devices ORDER BY store, till_no",
        )?;
        let mut rows = st.query([])?;
        let actors = ledger.actors();
        while let Some(r) = rows.next()? {
            let a: Vec<u8> = r.get(0)?;
            let Some(actor) = actor_of(&a) else { continue };
            let store: String = r.get(1)?;
            let revoked: bool = r.get(4)?;
            let in_plan = plan.contains_key(&store) && !revoked;
            if !in_plan && !actors.contains(&actor) {
                continue;
            }
            devices.push(Dev {
                actor,
                store,
                till_no: r.get(2)?,
                cursor: u(r.get(3)?),
                revoked,
            });
        }
    }
    for d in &devices {
        plan.entry(d.store.clone()).or_insert(0);
    }
    let mut stores = Vec::new();
    for (store, target) in plan {
        if only_store.is_some_and(|s| s != store) {
            continue;
        }
        let name: String = conn
            .prepare_cached("SELECT name FROM stores WHERE code = ?1")?
            .query_row([&store], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| store.clone());
        let mut ds = DropStore {
            store: store.clone(),
            name,
            target,
            rights: 0,
            sold: 0,
            held: 0,
            in_flight: 0,
            requests_open: 0,
            tills: Vec::new(),
        };
        for d in devices.iter().filter(|d| d.store == store) {
            let online = connected.contains_key(&d.actor);
            let acked = d.cursor.max(connected.get(&d.actor).copied().unwrap_or(0));
            let rights = ledger.rights(&d.actor);
            let sold = ledger.used(&d.actor);
            let h = held.get(&d.actor).copied().unwrap_or(0);
            let unacked: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(qty), 0) FROM escrow_hub_transfer
                     WHERE key = ?1 AND till = ?2 AND cursor > ?3",
                )?
                .query_row(params![key, ab(&d.actor), i(acked)], |r| r.get(0))?;
            let recalled: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(COALESCE(qty, ?3)), 0) FROM rights_recall
                     WHERE key = ?1 AND till = ?2 AND done_at_ms IS NULL",
                )?
                .query_row(params![key, ab(&d.actor), i(rights)], |r| r.get(0))?;
            ds.rights += rights;
            ds.sold += sold;
            ds.held += h;
            ds.in_flight += u(unacked) + u(recalled).min(rights);
            if !d.revoked || rights > 0 || sold > 0 {
                ds.tills.push(DropTill {
                    actor: d.actor.to_string(),
                    till_no: Some(d.till_no),
                    rights,
                    sold,
                    held: h,
                    online,
                });
            }
        }
        let open: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM rights_request WHERE key = ?1 AND store = ?2 AND status = 0",
            )?
            .query_row(params![key, store], |r| r.get(0))?;
        ds.requests_open = u(open) as u32;
        stores.push(ds);
    }
    let recalls_open: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM rights_recall WHERE key = ?1 AND done_at_ms IS NULL")?
        .query_row([key], |r| r.get(0))?;
    let mut duplicate_redemptions = Vec::new();
    if let LimitKey::Coupon(campaign) = &def.key {
        let mut st = conn.prepare_cached(
            "SELECT member, COUNT(*) FROM coupon_redemption WHERE campaign = ?1
             GROUP BY member HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC, member",
        )?;
        let mut rows = st.query([campaign.as_bytes().as_slice()])?;
        while let Some(r) = rows.next()? {
            let m: Vec<u8> = r.get(0)?;
            let Ok(member) = Uuid::from_slice(&m) else {
                continue;
            };
            duplicate_redemptions.push(DuplicateRedemption {
                member: member.to_string(),
                count: u(r.get(1)?) as u32,
            });
        }
    }
    Ok(Some(DropDetail {
        summary,
        stores,
        recalls_open: u(recalls_open) as u32,
        duplicate_redemptions,
    }))
}

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

/// The limited-item records a new till of `store` needs, as their winning ops: every limit
/// definition, every escrow entry (the op carrying its current total), the store's open holds
/// and every coupon redemption.
pub fn snapshot_records(
    conn: &Connection,
    store: &str,
    mut each: impl FnMut(Op) -> Result<(), HubError>,
) -> Result<(), HubError> {
    for sql in [
        "SELECT l.cursor, l.body FROM limit_def d JOIN op_log l ON l.cursor = d.cursor ORDER BY d.cursor",
        "SELECT l.cursor, l.body FROM escrow_minted e JOIN op_log l ON l.cursor = e.cursor ORDER BY e.cursor",
        "SELECT l.cursor, l.body FROM escrow_given e JOIN op_log l ON l.cursor = e.cursor ORDER BY e.cursor",
        "SELECT l.cursor, l.body FROM escrow_used e JOIN op_log l ON l.cursor = e.cursor ORDER BY e.cursor",
        "SELECT l.cursor, l.body FROM limit_hold h JOIN op_log l ON l.cursor = h.cursor
         WHERE h.store = ?1 AND h.status = 0 ORDER BY h.cursor",
        "SELECT l.cursor, l.body FROM coupon_redemption c JOIN op_log l ON l.cursor = c.cursor ORDER BY c.cursor",
    ] {
        crate::reports::for_each_logged_op(conn, sql, &store, &mut each)?;
    }
    Ok(())
}

/// Normalise and check a coupon code: 1–[`MAX_COUPON_CODE`] upper-case letters, digits, `-`.
pub fn coupon_code(raw: &str) -> Option<String> {
    let c = raw.trim().to_ascii_uppercase();
    sync_proto::validate::is_coupon_code(&c).then_some(c)
}

/// Check a coupon discount's range.
pub fn discount_ok(d: &CouponDiscount) -> bool {
    match d {
        CouponDiscount::Percent(p) => (1..=100).contains(p),
        CouponDiscount::Amount(a) => (1..=MAX_AMOUNT).contains(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_gives_every_unit_and_ties_to_the_first() {
        assert_eq!(largest_remainder(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(2, &[1, 1, 1]), vec![1, 1, 0]);
        assert_eq!(largest_remainder(100, &[3, 1]), vec![75, 25]);
        // 7 by 1:2 → 2.33, 4.67 → 2 + 5.
        assert_eq!(largest_remainder(7, &[1, 2]), vec![2, 5]);
        assert_eq!(largest_remainder(5, &[0, 0]), vec![3, 2]);
        assert!(largest_remainder(5, &[]).is_empty());
        for (t, w) in [(97u64, vec![5u128, 9, 13, 1]), (1, vec![1, 1000])] {
            assert_eq!(largest_remainder(t, &w).iter().sum::<u64>(), t);
        }
    }

    #[test]
    fn coupon_codes_are_normalised_and_checked() {
        assert_eq!(coupon_code(" first-100 ").as_deref(), Some("FIRST-100"));
        assert!(coupon_code("").is_none());
        assert!(coupon_code("NO SPACES").is_none());
        assert!(coupon_code(&"A".repeat(33)).is_none());
    }
}
