//! Limited editions, holds and first-come coupons at the till: the projection of the bounded
//! counter (escrow) ops and the till's own writes (issue 7, `sync_proto::escrow`).
//!
//! The model: every replica spends only **rights** it holds. This till's
//! `rights = minted[me] + Σ given[* → me] − Σ given[me → *] − used[me]`, and what it may still
//! sell, hold or give back is its **available** = rights − the units of its own active holds
//! (status `Held` and `expires_at_ms > now` by this till's clock). So it never oversells, even
//! offline: rights arriving late only make it refuse too early, never too late.
//!
//! Projection ([`apply_op`], called by [`crate::apply`], idempotent and order-insensitive):
//! - `EscrowMove` → `escrow_minted` / `escrow_given` / `escrow_used`, `MAX()` per entry; a
//!   transfer to this till whose reference is one of its requests marks the request answered;
//! - `LimitDef` → `limit_def` (last writer by HLC wins per key);
//! - `LimitHold` → `limit_hold`, a max-register over the status rank (held < released < sold);
//! - `RightsRequest`, `CouponRedemption` → insert-or-ignore by id;
//! - `RightsRecall` addressed to this till → answered **once**, inside the downstream apply
//!   transaction: the recall id goes into `recall_answered` and, if anything is available, a
//!   `Transfer` to the recalling actor of `min(qty, available)` (reference = recall id) is
//!   written through the outbox [`Writer`] in that same transaction.
//!
//! Writes (each through the outbox [`Writer`] in the caller's transaction and checked with the
//! hub's `check_till_op` before the commit):
//! - a sale of limited SKUs: every limited line must be on sale (active, inside its window,
//!   else [`TillError::LimitedNotOnSale`]) and within available (plus the units of the sale's
//!   hold, else [`TillError::LimitedUsedUp`]); each writes `EscrowMove { Use }` (reference =
//!   sale id), the hold becomes `Sold`;
//! - a coupon ([`check_coupon`]): a member, a campaign on now with that code, the minimum
//!   spend, no earlier redemption by that member as far as this till knows, one right left;
//!   writes `CouponRedemption` and `EscrowMove { Use }` on the campaign's key;
//! - holds ([`crate::Till::hold_limited`], [`crate::Till::release_hold`]); expiry needs no write;
//! - a rights request: automatically when a sale or hold leaves available ≤ low-water
//!   (`max(1, ⌈received / 10⌉)`) and no request of this till for that key is open (unanswered
//!   and younger than [`REQUEST_OPEN_MS`]), for `max(1, ⌈received / 4⌉)`; or by hand
//!   ([`crate::Till::request_rights`]);
//! - a return of limited units: `EscrowMove { Mint }` of that many for this till (reference =
//!   return id).
//!
//! "Left in other stores" = value − Σ rights of the tills of this store, as this till knows
//! them (its own actor and every till whose sales, holds, requests or redemptions for this
//! store it has seen).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::escrow::{
    self, AllocationRule, CouponRedemption, CouponTerms, EscrowKind, EscrowMove, HoldStatus,
    LimitDef, LimitHold, LimitKey, MAX_ESCROW_QTY, RightsRecall, RightsRequest,
};
use sync_proto::op::{Money, OpBody, ReturnRecord, SaleRecord};
use sync_proto::validate::{MAX_TEXT, check_till_op};
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use uuid::Uuid;

use crate::db::{self, Enrolment, keys};
use crate::error::{Result, TillError};
use crate::outbox::Writer;
use crate::till::{Till, lookup_product};

/// How long a rights request of this till counts as open while unanswered (2 min).
pub const REQUEST_OPEN_MS: u64 = 120_000;

/// A limited item or coupon campaign as this till sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LimitedStatus {
    /// The counter's key (`sku:<SKU>` or `coupon:<uuid>`).
    pub key: String,
    /// The limited SKU (`None` for a coupon campaign).
    pub sku: Option<String>,
    /// Name HQ gave the drop or campaign.
    pub label: String,
    /// HQ has not ended or cancelled it.
    pub active: bool,
    /// Active and inside its window now (by this till's clock).
    pub on_sale_now: bool,
    /// First moment it may be sold (ms since epoch), if any.
    #[ts(type = "number | null")]
    pub starts_at_ms: Option<u64>,
    /// Moment sales stop (exclusive), if any.
    #[ts(type = "number | null")]
    pub ends_at_ms: Option<u64>,
    /// Units this till may still sell or hold: rights − its active holds.
    #[ts(type = "number")]
    pub available: u64,
    /// This till's rights (held units included).
    #[ts(type = "number")]
    pub rights: u64,
    /// Units of this till's active holds.
    #[ts(type = "number")]
    pub held: u64,
    /// Rights of the tills of this store (as this till knows them).
    #[ts(type = "number")]
    pub store_left: u64,
    /// Units left anywhere else (other stores and HQ's pool).
    #[ts(type = "number")]
    pub elsewhere_left: u64,
    /// Units left in all (minted − used).
    #[ts(type = "number")]
    pub total_left: u64,
    /// Longest a cashier may hold units, in minutes (0 = no holds).
    pub hold_minutes: u32,
    /// This till has an unanswered request for more rights (younger than 2 min).
    pub request_open: bool,
}

/// Where a hold stands, as the till shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    /// Kept for the customer.
    Held,
    /// Given back by the cashier.
    Released,
    /// The customer bought the held units.
    Sold,
    /// Still `Held` but past its expiry on this till's clock: the units are free again.
    Expired,
}

/// A hold of this till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LimitHoldView {
    /// Hold id (pass it as `SaleRequest.hold` to sell the held units).
    pub id: String,
    /// The held SKU.
    pub sku: String,
    /// The drop's label.
    pub label: String,
    /// Units held.
    #[ts(type = "number")]
    pub qty: u64,
    /// For whom.
    pub note: String,
    /// When it was placed (till clock).
    #[ts(type = "number")]
    pub placed_at_ms: u64,
    /// When it lapses by itself (till clock).
    #[ts(type = "number")]
    pub expires_at_ms: u64,
    /// Where it stands now.
    pub status: HoldState,
}

/// The coupon of a quoted sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CouponQuote {
    /// The code as typed (upper case, trimmed).
    pub code: String,
    /// The campaign's label (empty when the code is unknown).
    pub label: String,
    /// Money off the sale (0 when refused).
    #[ts(type = "number")]
    pub discount: Money,
    /// Why `sell` would refuse the coupon, if it would.
    pub refused: Option<String>,
}

/// A coupon that applies to a sale (what [`check_coupon`] found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponApplied {
    /// The campaign.
    pub campaign: Uuid,
    /// The code as typed (normalised).
    pub code: String,
    /// The campaign's label.
    pub label: String,
    /// Money off the sale.
    pub discount: Money,
    /// The member using it.
    pub member: Uuid,
}

/// A limit definition as stored.
#[derive(Debug, Clone)]
struct Def {
    key: LimitKey,
    sku: Option<String>,
    label: String,
    hold_minutes: u32,
    starts_at_ms: Option<u64>,
    ends_at_ms: Option<u64>,
    coupon: Option<CouponTerms>,
    active: bool,
}

impl Def {
    fn on_sale_at(&self, at_ms: u64) -> bool {
        self.active
            && self.starts_at_ms.is_none_or(|s| s <= at_ms)
            && self.ends_at_ms.is_none_or(|e| at_ms < e)
    }

    fn sku_or_key(&self) -> String {
        self.sku.clone().unwrap_or_else(|| self.key.to_string())
    }
}

fn to_i64(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

fn to_u64(v: i64) -> u64 {
    v.max(0) as u64
}

fn corrupt(what: &str) -> TillError {
    TillError::Corrupt(format!("unreadable limited-item row: {what}"))
}

/// Normalise a typed coupon code (trimmed, upper case).
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

const DEF_COLUMNS: &str = "key, sku, label, hold_minutes, starts_at_ms, ends_at_ms, coupon, active";

fn read_def(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Option<String>, Def0)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        Def0 {
            label: r.get(2)?,
            hold_minutes: r.get(3)?,
            starts_at_ms: r.get::<_, Option<i64>>(4)?.map(to_u64),
            ends_at_ms: r.get::<_, Option<i64>>(5)?.map(to_u64),
            coupon: r.get(6)?,
            active: r.get(7)?,
        },
    ))
}

struct Def0 {
    label: String,
    hold_minutes: u32,
    starts_at_ms: Option<u64>,
    ends_at_ms: Option<u64>,
    coupon: Option<String>,
    active: bool,
}

fn finish_def(row: (String, Option<String>, Def0)) -> Result<Def> {
    let (key, sku, d) = row;
    let key: LimitKey = key.parse().map_err(|_| corrupt("limit_def key"))?;
    let coupon = match d.coupon {
        None => None,
        Some(j) => Some(serde_json::from_str(&j).map_err(|_| corrupt("coupon terms"))?),
    };
    Ok(Def {
        key,
        sku,
        label: d.label,
        hold_minutes: d.hold_minutes,
        starts_at_ms: d.starts_at_ms,
        ends_at_ms: d.ends_at_ms,
        coupon,
        active: d.active,
    })
}

fn def_where(conn: &Connection, cond: &str, arg: &str) -> Result<Option<Def>> {
    let sql = format!("SELECT {DEF_COLUMNS} FROM limit_def WHERE {cond} LIMIT 1");
    conn.prepare_cached(&sql)?
        .query_row([arg], read_def)
        .optional()?
        .map(finish_def)
        .transpose()
}

/// The definition of the limited SKU `sku`, if it is one.
fn def_for_sku(conn: &Connection, sku: &str) -> Result<Option<Def>> {
    def_where(conn, "key = ?1", &format!("sku:{sku}"))
}

/// The active (else newest) campaign with this coupon code.
fn def_for_code(conn: &Connection, code: &str) -> Result<Option<Def>> {
    def_where(
        conn,
        "coupon_code = ?1 ORDER BY active DESC, hlc DESC",
        code,
    )
}

fn all_defs(conn: &Connection) -> Result<Vec<Def>> {
    let sql = format!("SELECT {DEF_COLUMNS} FROM limit_def ORDER BY key");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], read_def)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(finish_def(r?)?);
    }
    Ok(out)
}

/// The entries of one counter as this till knows them.
#[derive(Debug, Default)]
struct Counter {
    minted: HashMap<String, u64>,
    given: Vec<(String, String, u64)>,
    used: HashMap<String, u64>,
}

impl Counter {
    fn load(conn: &Connection, key: &str) -> Result<Counter> {
        let mut c = Counter::default();
        for (table, map) in [
            ("escrow_minted", &mut c.minted),
            ("escrow_used", &mut c.used),
        ] {
            let sql = format!("SELECT actor, total FROM {table} WHERE key = ?1");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows =
                stmt.query_map([key], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (a, t) = row?;
                map.insert(a, to_u64(t));
            }
        }
        let mut stmt = conn.prepare_cached(
            "SELECT from_actor, to_actor, total FROM escrow_given WHERE key = ?1",
        )?;
        let rows = stmt.query_map([key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (f, t, n) = row?;
            c.given.push((f, t, to_u64(n)));
        }
        Ok(c)
    }

    /// Rights received in all: `minted[a] + Σ given[* → a]`.
    fn received(&self, a: &str) -> u64 {
        let minted = self.minted.get(a).copied().unwrap_or(0);
        let given_in: u64 = self
            .given
            .iter()
            .filter(|(_, to, _)| to == a)
            .map(|(_, _, n)| *n)
            .sum();
        minted.saturating_add(given_in)
    }

    /// `rights(a)`, never below 0 (a negative view can only come from a forged op).
    fn rights(&self, a: &str) -> u64 {
        let out: u64 = self
            .given
            .iter()
            .filter(|(from, _, _)| from == a)
            .map(|(_, _, n)| *n)
            .sum();
        let used = self.used.get(a).copied().unwrap_or(0);
        self.received(a).saturating_sub(out).saturating_sub(used)
    }

    /// `Σ minted − Σ used`.
    fn value(&self) -> u64 {
        let minted: u64 = self.minted.values().sum();
        let used: u64 = self.used.values().sum();
        minted.saturating_sub(used)
    }
}

/// Units of `till`'s holds on `key` that are active at `now_ms`.
fn held_by(conn: &Connection, key: &str, till: &str, now_ms: u64) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(qty), 0) FROM limit_hold
             WHERE key = ?1 AND till = ?2 AND rank = 0 AND expires_at_ms > ?3",
        )?
        .query_row(params![key, till, to_i64(now_ms)], |r| r.get(0))?;
    Ok(to_u64(n))
}

/// The till actors of `store` this till knows, itself included.
fn store_tills(conn: &Connection, store: &StoreId, me: &ActorId) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT actor FROM escrow_till WHERE store = ?1")?;
    let mut out: Vec<String> = stmt
        .query_map([store.as_str()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let me = me.to_string();
    if !out.contains(&me) {
        out.push(me);
    }
    Ok(out)
}

/// Remember that `till` belongs to `store`.
pub fn note_till(conn: &Connection, till: &ActorId, store: &StoreId) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO escrow_till(actor, store) VALUES (?1, ?2)
         ON CONFLICT(actor) DO UPDATE SET store = excluded.store WHERE store <> excluded.store",
    )?
    .execute(params![till.to_string(), store.as_str()])?;
    Ok(())
}

/// This till's view of one counter: its own entries only (read with indexed aggregates, so a
/// sale does not load every till's entries; [`Counter`] is loaded only for "left elsewhere").
struct View {
    /// `minted[me] + Σ given[* → me]`.
    received: u64,
    rights: u64,
    held: u64,
    available: u64,
}

fn view(conn: &Connection, key: &str, me: &ActorId, now_ms: u64) -> Result<View> {
    let me_s = me.to_string();
    let (minted, given_in, given_out, used): (i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT
                 COALESCE((SELECT total FROM escrow_minted WHERE key = ?1 AND actor = ?2), 0),
                 COALESCE((SELECT SUM(total) FROM escrow_given WHERE key = ?1 AND to_actor = ?2), 0),
                 COALESCE((SELECT SUM(total) FROM escrow_given WHERE key = ?1 AND from_actor = ?2), 0),
                 COALESCE((SELECT total FROM escrow_used WHERE key = ?1 AND actor = ?2), 0)",
        )?
        .query_row(params![key, me_s], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let received = to_u64(minted).saturating_add(to_u64(given_in));
    // Never below 0 (a negative view can only come from a forged op), as `Counter::rights`.
    let rights = received
        .saturating_sub(to_u64(given_out))
        .saturating_sub(to_u64(used));
    let held = held_by(conn, key, &me_s, now_ms)?;
    Ok(View {
        received,
        rights,
        held,
        available: rights.saturating_sub(held),
    })
}

/// Units left in this till's store and outside it: value − Σ rights of the store's tills.
fn elsewhere(conn: &Connection, key: &str, e: &Enrolment) -> Result<(u64, u64)> {
    let counter = Counter::load(conn, key)?;
    let store_left: u64 = store_tills(conn, &e.store, &e.actor)?
        .iter()
        .map(|a| counter.rights(a))
        .sum();
    Ok((store_left, counter.value().saturating_sub(store_left)))
}

fn request_open(conn: &Connection, key: &str, me: &ActorId, now_ms: u64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM rights_request
             WHERE key = ?1 AND till = ?2 AND answered = 0 AND at_ms > ?3 LIMIT 1",
        )?
        .query_row(
            params![
                key,
                me.to_string(),
                to_i64(now_ms.saturating_sub(REQUEST_OPEN_MS))
            ],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn status_of(conn: &Connection, def: &Def, e: &Enrolment, now_ms: u64) -> Result<LimitedStatus> {
    let key = def.key.to_string();
    let v = view(conn, &key, &e.actor, now_ms)?;
    let total_left = Counter::load(conn, &key)?.value();
    let (store_left, elsewhere_left) = elsewhere(conn, &key, e)?;
    Ok(LimitedStatus {
        sku: def.sku.clone(),
        label: def.label.clone(),
        active: def.active,
        on_sale_now: def.on_sale_at(now_ms),
        starts_at_ms: def.starts_at_ms,
        ends_at_ms: def.ends_at_ms,
        available: v.available,
        rights: v.rights,
        held: v.held,
        store_left,
        elsewhere_left,
        total_left,
        hold_minutes: def.hold_minutes,
        request_open: request_open(conn, &key, &e.actor, now_ms)?,
        key,
    })
}

/// The status of the limited SKU `sku` at `now_ms`, or `None` when it is not limited.
pub fn status_for_sku(conn: &Connection, sku: &str, now_ms: u64) -> Result<Option<LimitedStatus>> {
    match def_for_sku(conn, sku)? {
        None => Ok(None),
        Some(def) => {
            let e = db::require_enrolment(conn)?;
            Ok(Some(status_of(conn, &def, &e, now_ms)?))
        }
    }
}

/// Every limited item and coupon campaign this till knows, at `now_ms` (by key).
pub fn statuses(conn: &Connection, now_ms: u64) -> Result<Vec<LimitedStatus>> {
    let e = db::require_enrolment(conn)?;
    all_defs(conn)?
        .iter()
        .map(|d| status_of(conn, d, &e, now_ms))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Projection
// ---------------------------------------------------------------------------------------------

fn merge_entry(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<bool> {
    Ok(conn.prepare_cached(sql)?.execute(args)? > 0)
}

fn merge_move(conn: &Connection, actor: &ActorId, m: &EscrowMove) -> Result<bool> {
    let key = m.key.to_string();
    let actor = actor.to_string();
    let total = to_i64(m.total);
    match &m.kind {
        EscrowKind::Mint => merge_entry(
            conn,
            "INSERT INTO escrow_minted(key, actor, total) VALUES (?1, ?2, ?3)
             ON CONFLICT(key, actor) DO UPDATE SET total = excluded.total
             WHERE excluded.total > total",
            &[&key, &actor, &total],
        ),
        EscrowKind::Use => merge_entry(
            conn,
            "INSERT INTO escrow_used(key, actor, total) VALUES (?1, ?2, ?3)
             ON CONFLICT(key, actor) DO UPDATE SET total = excluded.total
             WHERE excluded.total > total",
            &[&key, &actor, &total],
        ),
        EscrowKind::Transfer(to) => merge_entry(
            conn,
            "INSERT INTO escrow_given(key, from_actor, to_actor, total) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(key, from_actor, to_actor) DO UPDATE SET total = excluded.total
             WHERE excluded.total > total",
            &[&key, &actor, &to.to_string(), &total],
        ),
    }
}

fn apply_def(conn: &Connection, d: &LimitDef, actor: &ActorId, hlc: &Hlc) -> Result<bool> {
    let (sku, code) = match &d.key {
        LimitKey::Sku(s) => (Some(s.to_string()), None),
        LimitKey::Coupon(_) => (None, d.coupon.as_ref().map(|c| normalise_code(&c.code))),
    };
    let coupon = d
        .coupon
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| TillError::Internal(format!("coupon terms: {e}")))?;
    let rule = match d.rule {
        AllocationRule::Equal => "equal",
        AllocationRule::WeightedBySales => "weighted_by_sales",
        AllocationRule::Manual => "manual",
    };
    let n = conn
        .prepare_cached(
            "INSERT INTO limit_def(key, sku, coupon_code, label, total, rule, hold_minutes,
                 starts_at_ms, ends_at_ms, coupon, active, def_actor, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(key) DO UPDATE SET sku = excluded.sku, coupon_code = excluded.coupon_code,
                 label = excluded.label, total = excluded.total, rule = excluded.rule,
                 hold_minutes = excluded.hold_minutes, starts_at_ms = excluded.starts_at_ms,
                 ends_at_ms = excluded.ends_at_ms, coupon = excluded.coupon,
                 active = excluded.active, def_actor = excluded.def_actor, hlc = excluded.hlc
             WHERE excluded.hlc > limit_def.hlc",
        )?
        .execute(params![
            d.key.to_string(),
            sku,
            code,
            d.label,
            to_i64(d.total),
            rule,
            d.hold_minutes,
            d.starts_at_ms.map(to_i64),
            d.ends_at_ms.map(to_i64),
            coupon,
            d.active,
            actor.to_string(),
            db::hlc_to_text(hlc),
        ])?;
    Ok(n > 0)
}

fn rank(s: HoldStatus) -> i64 {
    match s {
        HoldStatus::Held => 0,
        HoldStatus::Released => 1,
        HoldStatus::Sold => 2,
    }
}

fn apply_hold(conn: &Connection, h: &LimitHold) -> Result<bool> {
    note_till(conn, &h.till, &h.store)?;
    let n = conn
        .prepare_cached(
            "INSERT INTO limit_hold(id, key, till, store, qty, placed_at_ms, expires_at_ms, note,
                 rank, sale)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(id) DO UPDATE SET rank = excluded.rank,
                 sale = COALESCE(excluded.sale, limit_hold.sale)
             WHERE excluded.rank > limit_hold.rank",
        )?
        .execute(params![
            h.id.to_string(),
            h.key.to_string(),
            h.till.to_string(),
            h.store.as_str(),
            to_i64(h.qty),
            to_i64(h.placed_at_ms),
            to_i64(h.expires_at_ms),
            h.note,
            rank(h.status),
            h.sale.map(|s| s.to_string()),
        ])?;
    Ok(n > 0)
}

fn apply_request(conn: &Connection, r: &RightsRequest, at_ms: u64) -> Result<bool> {
    note_till(conn, &r.till, &r.store)?;
    let n = conn
        .prepare_cached(
            "INSERT INTO rights_request(id, key, till, store, qty, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![
            r.id.to_string(),
            r.key.to_string(),
            r.till.to_string(),
            r.store.as_str(),
            to_i64(r.qty),
            to_i64(at_ms),
        ])?;
    Ok(n > 0)
}

fn apply_redemption(conn: &Connection, c: &CouponRedemption) -> Result<bool> {
    note_till(conn, &c.till, &c.store)?;
    let n = conn
        .prepare_cached(
            "INSERT INTO coupon_redemption(id, campaign, member, sale, till, store, discount, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![
            c.id.to_string(),
            c.campaign.to_string(),
            c.member.to_string(),
            c.sale.to_string(),
            c.till.to_string(),
            c.store.as_str(),
            c.discount,
            to_i64(c.at_ms),
        ])?;
    Ok(n > 0)
}

fn current_actor(conn: &Connection) -> Result<Option<ActorId>> {
    Ok(db::get_meta(conn, keys::ACTOR)?.and_then(|a| a.parse().ok()))
}

/// Apply one received limited-item op (in the caller's transaction); `true` if it changed
/// something. A recall addressed to this till is answered here, once (see the module doc).
pub fn apply_op(conn: &Connection, op: &Op) -> Result<bool> {
    match &op.body {
        OpBody::EscrowMove(m) => {
            let changed = merge_move(conn, &op.actor, m)?;
            if let (EscrowKind::Transfer(to), Some(reference)) = (&m.kind, &m.reference)
                && current_actor(conn)?.as_ref() == Some(to)
                && let Ok(id) = Uuid::parse_str(reference)
            {
                conn.prepare_cached(
                    "UPDATE rights_request SET answered = 1
                     WHERE id = ?1 AND till = ?2 AND answered = 0",
                )?
                .execute(params![id.to_string(), to.to_string()])?;
            }
            Ok(changed)
        }
        OpBody::LimitDef(d) => apply_def(conn, d, &op.actor, &op.hlc),
        OpBody::LimitHold(h) => apply_hold(conn, h),
        OpBody::RightsRequest(r) => apply_request(conn, r, db::now_ms()),
        OpBody::CouponRedemption(c) => apply_redemption(conn, c),
        OpBody::RightsRecall(r) => {
            if let Scope::Store(store) = &op.scope {
                note_till(conn, &r.till, store)?;
            }
            answer_recall(conn, op.actor, r, db::now_ms())
        }
        _ => Ok(false),
    }
}

/// Answer a recall addressed to this till, once (see the module doc); `true` if it was new.
pub fn answer_recall(
    conn: &Connection,
    hub: ActorId,
    r: &RightsRecall,
    now_ms: u64,
) -> Result<bool> {
    let Some(e) = db::enrolment(conn)? else {
        return Ok(false);
    };
    if r.till != e.actor {
        return Ok(false);
    }
    let fresh = conn
        .prepare_cached(
            "INSERT INTO recall_answered(id, key, given, at_ms) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![r.id.to_string(), r.key.to_string(), to_i64(now_ms)])?
        > 0;
    if !fresh {
        tracing::debug!(recall = %r.id, "recall already answered");
        return Ok(false);
    }
    let key = r.key.to_string();
    let available = view(conn, &key, &e.actor, now_ms)?.available;
    let qty = r
        .qty
        .map_or(available, |q| q.min(available))
        .min(MAX_ESCROW_QTY);
    if qty == 0 {
        tracing::info!(recall = %r.id, key, "recall: nothing to give back");
        return Ok(true);
    }
    // The answer is written in the downstream transaction; if the hub's own check would
    // refuse it (a bug), drop the answer rather than stall the sync.
    conn.execute_batch("SAVEPOINT recall_answer")?;
    let written = (|| -> Result<()> {
        let mut w = Writer::begin(conn)?;
        escrow_move(
            conn,
            &mut w,
            &r.key,
            EscrowKind::Transfer(hub),
            qty,
            Some(r.id.to_string()),
        )?;
        let ops = w.finish()?;
        hub_check(&ops, &e)
    })();
    match written {
        Ok(()) => {
            conn.execute_batch("RELEASE recall_answer")?;
            conn.prepare_cached("UPDATE recall_answered SET given = ?2 WHERE id = ?1")?
                .execute(params![r.id.to_string(), to_i64(qty)])?;
            tracing::info!(recall = %r.id, key, qty, "recall answered: rights given back");
        }
        Err(err) => {
            conn.execute_batch("ROLLBACK TO recall_answer; RELEASE recall_answer")?;
            tracing::error!(recall = %r.id, error = %err, "recall not answered");
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

/// Refuse, as the hub will, any op this till is about to commit.
pub fn hub_check(ops: &[Op], e: &Enrolment) -> Result<()> {
    for op in ops {
        check_till_op(op, e.actor, &e.store)
            .map_err(|r| TillError::Internal(format!("the hub would refuse this change: {r}")))?;
    }
    Ok(())
}

/// Add `qty` to this till's own entry `kind` of `key`: the row and the `EscrowMove` (scope
/// broadcast) with the new running total.
fn escrow_move(
    conn: &Connection,
    w: &mut Writer<'_>,
    key: &LimitKey,
    kind: EscrowKind,
    qty: u64,
    reference: Option<String>,
) -> Result<()> {
    let me = w.enrolment.actor;
    let key_s = key.to_string();
    let (select, args): (&str, Vec<String>) = match &kind {
        EscrowKind::Mint => (
            "SELECT total FROM escrow_minted WHERE key = ?1 AND actor = ?2",
            vec![key_s.clone(), me.to_string()],
        ),
        EscrowKind::Use => (
            "SELECT total FROM escrow_used WHERE key = ?1 AND actor = ?2",
            vec![key_s.clone(), me.to_string()],
        ),
        EscrowKind::Transfer(to) => (
            "SELECT total FROM escrow_given WHERE key = ?1 AND from_actor = ?2 AND to_actor = ?3",
            vec![key_s.clone(), me.to_string(), to.to_string()],
        ),
    };
    let stored: i64 = conn
        .prepare_cached(select)?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let total = to_u64(stored)
        .checked_add(qty)
        .ok_or_else(|| TillError::Internal("escrow total overflows".into()))?;
    let m = EscrowMove {
        key: key.clone(),
        kind,
        qty,
        reference,
        total,
    };
    merge_move(conn, &me, &m)?;
    w.emit_to(Scope::Broadcast, OpBody::EscrowMove(m))?;
    Ok(())
}

/// Write a rights request of this till for `qty` of `key`.
fn write_request(conn: &Connection, w: &mut Writer<'_>, key: &LimitKey, qty: u64) -> Result<Uuid> {
    let r = RightsRequest {
        id: Uuid::now_v7(),
        key: key.clone(),
        till: w.enrolment.actor,
        store: w.enrolment.store.clone(),
        qty,
    };
    apply_request(conn, &r, w.now_ms())?;
    w.emit(OpBody::RightsRequest(r.clone()))?;
    tracing::info!(key = %key, qty, request = %r.id, "asked the hub for more rights");
    Ok(r.id)
}

/// After a sale or hold: ask for more rights when available is at or below the low-water mark
/// and no request of this till for `key` is open.
fn maybe_request(conn: &Connection, w: &mut Writer<'_>, key: &LimitKey) -> Result<Option<Uuid>> {
    let me = w.enrolment.actor;
    let now = w.now_ms();
    let key_s = key.to_string();
    let v = view(conn, &key_s, &me, now)?;
    let received = v.received;
    if v.available > escrow::low_water(received) || request_open(conn, &key_s, &me, now)? {
        return Ok(None);
    }
    write_request(conn, w, key, escrow::request_qty(received)).map(Some)
}

fn used_up(def: &Def, available: u64, elsewhere: u64) -> TillError {
    TillError::LimitedUsedUp {
        sku: def.sku_or_key(),
        label: def.label.clone(),
        available,
        elsewhere,
    }
}

/// A hold of this till that is still `Held`, as stored.
struct OwnHold {
    id: Uuid,
    key: String,
    qty: u64,
    placed_at_ms: u64,
    expires_at_ms: u64,
    note: String,
}

fn own_held(conn: &Connection, id: &Uuid, me: &ActorId) -> Result<OwnHold> {
    conn.prepare_cached(
        "SELECT key, qty, placed_at_ms, expires_at_ms, note FROM limit_hold
         WHERE id = ?1 AND till = ?2 AND rank = 0",
    )?
    .query_row(params![id.to_string(), me.to_string()], |r| {
        Ok(OwnHold {
            id: *id,
            key: r.get(0)?,
            qty: to_u64(r.get(1)?),
            placed_at_ms: to_u64(r.get(2)?),
            expires_at_ms: to_u64(r.get(3)?),
            note: r.get(4)?,
        })
    })
    .optional()?
    .ok_or_else(|| TillError::HoldUnknown(id.to_string()))
}

fn write_hold_status(
    conn: &Connection,
    w: &mut Writer<'_>,
    h: &OwnHold,
    status: HoldStatus,
    sale: Option<Uuid>,
) -> Result<()> {
    let key: LimitKey = h.key.parse().map_err(|_| corrupt("hold key"))?;
    let hold = LimitHold {
        id: h.id,
        key,
        till: w.enrolment.actor,
        store: w.enrolment.store.clone(),
        qty: h.qty,
        placed_at_ms: h.placed_at_ms,
        expires_at_ms: h.expires_at_ms,
        note: h.note.clone(),
        status,
        sale,
    };
    apply_hold(conn, &hold)?;
    w.emit(OpBody::LimitHold(hold))?;
    Ok(())
}

/// Inside a sale's transaction, after the sale op: check every limited line (and the hold and
/// coupon of the sale) against this till's rights and write the uses; `true` if anything was
/// written. `at_ms` is the moment of sale (window check).
pub(crate) fn spend_for_sale(
    conn: &Connection,
    w: &mut Writer<'_>,
    sale: &SaleRecord,
    hold: Option<Uuid>,
    coupon: Option<&CouponApplied>,
    at_ms: u64,
) -> Result<bool> {
    let me = w.enrolment.actor;
    let now = w.now_ms();
    let e = w.enrolment.clone();
    let hold = match hold {
        None => None,
        Some(id) => {
            let h = own_held(conn, &id, &me)?;
            if !sale.lines.iter().any(|l| format!("sku:{}", l.sku) == h.key) {
                return Err(TillError::InvalidInput(format!(
                    "hold {id} is for {}, which is not in this sale",
                    h.key.trim_start_matches("sku:")
                )));
            }
            Some(h)
        }
    };
    let mut touched: Vec<LimitKey> = Vec::new();
    for line in &sale.lines {
        let Some(def) = def_for_sku(conn, line.sku.as_str())? else {
            continue;
        };
        if !def.on_sale_at(at_ms) {
            return Err(TillError::LimitedNotOnSale {
                sku: line.sku.to_string(),
                label: def.label.clone(),
            });
        }
        let key = def.key.to_string();
        let v = view(conn, &key, &me, now)?;
        let from_hold = hold
            .as_ref()
            .filter(|h| h.key == key && h.expires_at_ms > now)
            .map_or(0, |h| h.qty);
        let may = v.available.saturating_add(from_hold);
        let qty = u64::from(line.qty);
        if qty > may {
            let (_, elsewhere) = elsewhere(conn, &key, &e)?;
            return Err(used_up(&def, may, elsewhere));
        }
        escrow_move(
            conn,
            w,
            &def.key,
            EscrowKind::Use,
            qty,
            Some(sale.id.to_string()),
        )?;
        touched.push(def.key);
    }
    if let Some(h) = &hold {
        write_hold_status(conn, w, h, HoldStatus::Sold, Some(sale.id))?;
    }
    if let Some(c) = coupon {
        let key = LimitKey::Coupon(c.campaign);
        if redeemed(conn, &c.campaign, &c.member)? {
            return Err(TillError::CouponAlreadyUsed(c.code.clone()));
        }
        let v = view(conn, &key.to_string(), &me, now)?;
        if v.available < 1 {
            let (_, elsewhere) = elsewhere(conn, &key.to_string(), &e)?;
            return Err(TillError::CouponsUsedUp {
                code: c.code.clone(),
                elsewhere,
            });
        }
        let r = CouponRedemption {
            id: Uuid::now_v7(),
            campaign: c.campaign,
            member: c.member,
            sale: sale.id,
            till: me,
            store: e.store.clone(),
            discount: c.discount,
            at_ms: now,
        };
        apply_redemption(conn, &r)?;
        w.emit_to(Scope::Broadcast, OpBody::CouponRedemption(r))?;
        escrow_move(conn, w, &key, EscrowKind::Use, 1, Some(sale.id.to_string()))?;
        touched.push(key);
    }
    for key in &touched {
        maybe_request(conn, w, key)?;
    }
    if !touched.is_empty() || hold.is_some() {
        note_till(conn, &me, &e.store)?;
    }
    Ok(!touched.is_empty() || hold.is_some())
}

/// Inside a return's transaction: mint back one right per returned unit of a limited SKU
/// (reference = return id); `true` if anything was written.
pub(crate) fn mint_returns(
    conn: &Connection,
    w: &mut Writer<'_>,
    r: &ReturnRecord,
) -> Result<bool> {
    let mut any = false;
    for line in &r.lines {
        if line.qty == 0 {
            continue;
        }
        if let Some(def) = def_for_sku(conn, line.sku.as_str())? {
            escrow_move(
                conn,
                w,
                &def.key,
                EscrowKind::Mint,
                u64::from(line.qty),
                Some(r.id.to_string()),
            )?;
            any = true;
        }
    }
    Ok(any)
}

fn redeemed(conn: &Connection, campaign: &Uuid, member: &Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM coupon_redemption WHERE campaign = ?1 AND member = ?2 LIMIT 1",
        )?
        .query_row(
            params![campaign.to_string(), member.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Check a coupon for a sale of `total` (after line and cart discounts) to `member` at
/// `at_ms`, in the contract's order: member, known code, on now, minimum spend, not used by
/// this member as far as this till knows, a right left at this till.
pub fn check_coupon(
    conn: &Connection,
    code: &str,
    member: Option<Uuid>,
    total: Money,
    at_ms: u64,
) -> Result<CouponApplied> {
    let code = normalise_code(code);
    let Some(member) = member else {
        return Err(TillError::CouponNeedsMember);
    };
    let def = def_for_code(conn, &code)?.ok_or_else(|| TillError::CouponUnknown(code.clone()))?;
    let (LimitKey::Coupon(campaign), Some(terms)) = (&def.key, &def.coupon) else {
        return Err(TillError::CouponUnknown(code));
    };
    if !def.on_sale_at(at_ms) {
        return Err(TillError::CouponNotOnNow(code));
    }
    if total < terms.min_spend {
        return Err(TillError::CouponMinSpend {
            code,
            min_spend: terms.min_spend,
            total,
        });
    }
    if redeemed(conn, campaign, &member)? {
        return Err(TillError::CouponAlreadyUsed(code));
    }
    let e = db::require_enrolment(conn)?;
    let v = view(conn, &def.key.to_string(), &e.actor, db::now_ms())?;
    if v.available < 1 {
        let (_, elsewhere) = elsewhere(conn, &def.key.to_string(), &e)?;
        return Err(TillError::CouponsUsedUp { code, elsewhere });
    }
    Ok(CouponApplied {
        campaign: *campaign,
        // The minimum spend was checked above, so this is the campaign's discount.
        discount: escrow::coupon_discount(terms, total).unwrap_or(0),
        label: def.label,
        code,
        member,
    })
}

/// The label of the campaign with this code, if any (for a refused coupon's quote).
pub fn coupon_label(conn: &Connection, code: &str) -> Result<String> {
    Ok(def_for_code(conn, &normalise_code(code))?
        .map(|d| d.label)
        .unwrap_or_default())
}

fn check_escrow_qty(item: &str, qty: u64) -> Result<()> {
    if qty == 0 || qty > MAX_ESCROW_QTY {
        return Err(TillError::InvalidQuantity {
            item: item.to_owned(),
            qty,
        });
    }
    Ok(())
}

fn resolve_sku(conn: &Connection, code: &str) -> Result<String> {
    Ok(match lookup_product(conn, code)? {
        Some(p) => p.sku,
        None => code.trim().to_owned(),
    })
}

fn limited_def(conn: &Connection, sku: &str) -> Result<Def> {
    def_for_sku(conn, sku)?
        .ok_or_else(|| TillError::InvalidInput(format!("{sku} is not a limited item")))
}

fn hold_view(conn: &Connection, id: &Uuid, now_ms: u64) -> Result<Option<LimitHoldView>> {
    conn.prepare_cached(&format!("{HOLD_SELECT} WHERE h.id = ?1"))?
        .query_row([id.to_string()], |r| read_hold(r, now_ms))
        .optional()
        .map_err(Into::into)
}

const HOLD_SELECT: &str =
    "SELECT h.id, h.key, COALESCE(d.label, ''), h.qty, h.note, h.placed_at_ms,
        h.expires_at_ms, h.rank
     FROM limit_hold h LEFT JOIN limit_def d ON d.key = h.key";

fn read_hold(r: &rusqlite::Row<'_>, now_ms: u64) -> rusqlite::Result<LimitHoldView> {
    let key: String = r.get(1)?;
    let expires_at_ms = to_u64(r.get(6)?);
    let status = match r.get::<_, i64>(7)? {
        0 if expires_at_ms > now_ms => HoldState::Held,
        0 => HoldState::Expired,
        1 => HoldState::Released,
        _ => HoldState::Sold,
    };
    Ok(LimitHoldView {
        id: r.get(0)?,
        sku: key.strip_prefix("sku:").unwrap_or(&key).to_owned(),
        label: r.get(2)?,
        qty: to_u64(r.get(3)?),
        note: r.get(4)?,
        placed_at_ms: to_u64(r.get(5)?),
        expires_at_ms,
        status,
    })
}

/// This till's holds at `now_ms`, newest first (at most 200).
pub fn holds_at(conn: &Connection, now_ms: u64) -> Result<Vec<LimitHoldView>> {
    let e = db::require_enrolment(conn)?;
    let mut stmt = conn.prepare_cached(&format!(
        "{HOLD_SELECT} WHERE h.till = ?1 ORDER BY h.placed_at_ms DESC, h.id DESC LIMIT 200"
    ))?;
    let rows = stmt.query_map([e.actor.to_string()], |r| read_hold(r, now_ms))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn parse_hold_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id.trim()).map_err(|_| TillError::HoldUnknown(id.trim().to_owned()))
}

impl Till {
    /// The limited status of `sku` (SKU or barcode) now, or `None` when it is not limited.
    pub fn limited(&self, sku: &str) -> Result<Option<LimitedStatus>> {
        let sku = resolve_sku(&self.conn, sku)?;
        status_for_sku(&self.conn, &sku, db::now_ms())
    }

    /// Every limited item and coupon campaign this till knows, now.
    pub fn limited_items(&self) -> Result<Vec<LimitedStatus>> {
        statuses(&self.conn, db::now_ms())
    }

    /// Hold `qty` units of the limited `sku` for a customer (`note`: for whom) for the drop's
    /// `hold_minutes`. Refused when the drop allows no holds ([`TillError::HoldsNotAllowed`]),
    /// is not on sale, or this till has fewer available.
    pub fn hold_limited(&mut self, sku: &str, qty: u64, note: &str) -> Result<LimitHoldView> {
        crate::commands::ensure_unlocked(&self.conn)?;
        let sku = resolve_sku(&self.conn, sku)?;
        check_escrow_qty(&sku, qty)?;
        let note: String = note.trim().chars().take(MAX_TEXT / 4).collect();
        let tx = db::write_tx(&mut self.conn)?;
        let def = limited_def(&tx, &sku)?;
        let mut w = Writer::begin(&tx)?;
        let now = w.now_ms();
        if !def.on_sale_at(now) {
            return Err(TillError::LimitedNotOnSale {
                sku,
                label: def.label,
            });
        }
        if def.hold_minutes == 0 {
            return Err(TillError::HoldsNotAllowed(def.label));
        }
        let me = w.enrolment.actor;
        let v = view(&tx, &def.key.to_string(), &me, now)?;
        if qty > v.available {
            let (_, elsewhere) = elsewhere(&tx, &def.key.to_string(), &w.enrolment)?;
            return Err(used_up(&def, v.available, elsewhere));
        }
        let hold = LimitHold {
            id: Uuid::now_v7(),
            key: def.key.clone(),
            till: me,
            store: w.enrolment.store.clone(),
            qty,
            placed_at_ms: now,
            expires_at_ms: now.saturating_add(u64::from(def.hold_minutes) * 60_000),
            note,
            status: HoldStatus::Held,
            sale: None,
        };
        apply_hold(&tx, &hold)?;
        w.emit(OpBody::LimitHold(hold.clone()))?;
        maybe_request(&tx, &mut w, &def.key)?;
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        hub_check(&ops, &e)?;
        let view = hold_view(&tx, &hold.id, now)?
            .ok_or_else(|| TillError::Internal("hold vanished".into()))?;
        tx.commit()?;
        tracing::info!(hold = %hold.id, sku, qty, "limited units held");
        Ok(view)
    }

    /// Give a hold of this till back before it expires (its units are available again).
    pub fn release_hold(&mut self, id: &str) -> Result<LimitHoldView> {
        let id = parse_hold_id(id)?;
        let tx = db::write_tx(&mut self.conn)?;
        let mut w = Writer::begin(&tx)?;
        let h = own_held(&tx, &id, &w.enrolment.actor)?;
        write_hold_status(&tx, &mut w, &h, HoldStatus::Released, None)?;
        let now = w.now_ms();
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        hub_check(&ops, &e)?;
        let view =
            hold_view(&tx, &id, now)?.ok_or_else(|| TillError::Internal("hold vanished".into()))?;
        tx.commit()?;
        tracing::info!(hold = %id, "hold released");
        Ok(view)
    }

    /// This till's holds (newest first), with their status now.
    pub fn holds(&self) -> Result<Vec<LimitHoldView>> {
        holds_at(&self.conn, db::now_ms())
    }

    /// After a sale refused for a used-up allocation of the limited `sku` or coupon `code`:
    /// ask the hub for more unless a request is already open. Best effort — the refusal
    /// stands either way, so a failure here is only logged.
    pub(crate) fn ask_after_refusal(&mut self, sku: Option<&str>, code: Option<&str>) {
        let asked = (|| -> Result<Option<Uuid>> {
            let tx = db::write_tx(&mut self.conn)?;
            let def = match (sku, code) {
                (Some(sku), _) => limited_def(&tx, sku)?,
                (None, Some(code)) => match def_for_code(&tx, &normalise_code(code))? {
                    Some(def) => def,
                    None => return Ok(None),
                },
                (None, None) => return Ok(None),
            };
            if !def.active {
                return Ok(None);
            }
            let mut w = Writer::begin(&tx)?;
            let asked = maybe_request(&tx, &mut w, &def.key)?;
            let e = w.enrolment.clone();
            let ops = w.finish()?;
            hub_check(&ops, &e)?;
            tx.commit()?;
            Ok(asked)
        })();
        if let Err(e) = asked {
            tracing::warn!(error = %e, "could not ask the hub for more rights after a refusal");
        }
    }

    /// A store manager asks the hub for `qty` more rights of the limited `sku` (the hub
    /// answers with a transfer); returns the item's status with `request_open`.
    pub fn request_rights(&mut self, sku: &str, qty: u64) -> Result<LimitedStatus> {
        let sku = resolve_sku(&self.conn, sku)?;
        check_escrow_qty(&sku, qty)?;
        let tx = db::write_tx(&mut self.conn)?;
        let def = limited_def(&tx, &sku)?;
        if !def.active {
            return Err(TillError::LimitedNotOnSale {
                sku,
                label: def.label,
            });
        }
        let mut w = Writer::begin(&tx)?;
        write_request(&tx, &mut w, &def.key, qty)?;
        let now = w.now_ms();
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        hub_check(&ops, &e)?;
        let status = status_of(&tx, &def, &e, now)?;
        tx.commit()?;
        Ok(status)
    }
}
