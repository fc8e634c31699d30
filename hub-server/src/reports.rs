//! Materialised reports, kept by the writer while it applies ops.
//!
//! The writer calls in here for every *new* op (a duplicate never reaches
//! these hooks), inside the job's savepoint, so the report tables commit or
//! roll back with the op log:
//!
//! - sales and returns are folded in memory per job ([`Fold`]) and written
//!   at the end of the job with one UPSERT per aggregate row
//!   (`sales_hour`, `sales_day_sku`, `sales_day_sku_chain`,
//!   `sales_day_cashier`, `member_stats`, `member_day`, `member_day_sku`);
//! - each stock move appends a row to `stock_moves` (its history);
//! - `MemberSet` and `PriceRule` ops are last-writer-wins registers by HLC
//!   (`member_field` + the flattened `members`, `price_rule`), keeping the
//!   log cursor of the winning op for the snapshot of new tills;
//! - a catalog field that won its register is copied to the flattened
//!   `product` row.
//!
//! Days are local business days in the hub's report offset
//! (meta `report_utc_offset_min`, see `db/v3_analytics.sql`); hours are UTC.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, ToSql, params};
use sync_proto::people::{MemberField, MemberSet};
use sync_proto::pricing::PriceRule;
use sync_proto::{ActorId, CatalogField, CatalogSet, Hlc, Op, ReturnRecord, SaleRecord};
use uuid::Uuid;

use crate::HubError;

/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The hub's report offset from UTC in minutes (stored once by the schema).
pub fn report_offset_min(conn: &Connection) -> Result<i32, HubError> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'report_utc_offset_min'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Local day number of `ms` for an offset in minutes.
pub fn day_of(ms: i64, offset_min: i32) -> i64 {
    (ms + i64::from(offset_min) * 60_000).div_euclid(DAY_MS)
}

#[derive(Default, Clone, Copy)]
struct HourAcc {
    sales: i64,
    returns: i64,
    items: i64,
    gross: i64,
    refunds: i64,
}

#[derive(Default, Clone, Copy)]
struct SkuAcc {
    qty: i64,
    revenue: i64,
    returned_qty: i64,
    refunds: i64,
}

#[derive(Default, Clone, Copy)]
struct CashierAcc {
    sales: i64,
    items: i64,
    revenue: i64,
}

#[derive(Clone, Copy)]
struct MemberAcc {
    purchases: i64,
    spent: i64,
    first: i64,
    last: i64,
}

#[derive(Default, Clone, Copy)]
struct MemberDayAcc {
    purchases: i64,
    spent: i64,
}

/// Report changes folded in memory: the writer keeps one per job (dropped if
/// the job rolls back) and one per transaction (the committed jobs' rows,
/// written once before COMMIT).
#[derive(Default)]
pub struct Fold {
    offset_min: i32,
    hours: HashMap<(i64, String), HourAcc>,
    skus: HashMap<(i64, String, String), SkuAcc>,
    cashiers: HashMap<(i64, String, String), CashierAcc>,
    members: HashMap<Uuid, MemberAcc>,
    member_days: HashMap<(i64, String, Uuid), MemberDayAcc>,
    member_skus: HashMap<(i64, String, Uuid, String), (i64, i64)>,
    /// HQ user on whose behalf this job makes hub ops (stock history label).
    pub hq_user: Option<String>,
}

impl Fold {
    /// An empty fold using the database's report offset.
    pub fn load(conn: &Connection) -> Result<Self, HubError> {
        Ok(Self {
            offset_min: report_offset_min(conn)?,
            ..Self::default()
        })
    }

    /// Forget everything folded (the job rolled back, or ended).
    pub fn clear(&mut self) {
        self.hours.clear();
        self.skus.clear();
        self.cashiers.clear();
        self.members.clear();
        self.member_days.clear();
        self.member_skus.clear();
        self.hq_user = None;
    }

    fn day(&self, ms: u64) -> i64 {
        day_of(ms.min(i64::MAX as u64) as i64, self.offset_min)
    }

    /// Fold a newly stored sale.
    pub fn sale(&mut self, s: &SaleRecord) {
        let at = s.sold_at_ms.min(i64::MAX as u64) as i64;
        let day = self.day(s.sold_at_ms);
        let store = s.store.as_str();
        let items: i64 = s.lines.iter().map(|l| i64::from(l.qty)).sum();
        let h = self
            .hours
            .entry((at.div_euclid(HOUR_MS), store.to_owned()))
            .or_default();
        h.sales += 1;
        h.items += items;
        h.gross += s.total;
        for l in &s.lines {
            let k = self
                .skus
                .entry((day, store.to_owned(), l.sku.as_str().to_owned()))
                .or_default();
            k.qty += i64::from(l.qty);
            k.revenue += l.line_total;
        }
        let c = self
            .cashiers
            .entry((day, store.to_owned(), s.cashier.clone().unwrap_or_default()))
            .or_default();
        c.sales += 1;
        c.items += items;
        c.revenue += s.total;
        if let Some(m) = s.member {
            let acc = self.members.entry(m).or_insert(MemberAcc {
                purchases: 0,
                spent: 0,
                first: at,
                last: at,
            });
            acc.purchases += 1;
            acc.spent += s.total;
            acc.first = acc.first.min(at);
            acc.last = acc.last.max(at);
            let d = self
                .member_days
                .entry((day, store.to_owned(), m))
                .or_default();
            d.purchases += 1;
            d.spent += s.total;
            for l in &s.lines {
                let e = self
                    .member_skus
                    .entry((day, store.to_owned(), m, l.sku.as_str().to_owned()))
                    .or_default();
                e.0 += i64::from(l.qty);
                e.1 += l.line_total;
            }
        }
    }

    /// Fold a newly stored return (netted on the day and hour it happened).
    pub fn ret(&mut self, r: &ReturnRecord) {
        let at = r.returned_at_ms.min(i64::MAX as u64) as i64;
        let day = self.day(r.returned_at_ms);
        let store = r.store.as_str();
        let h = self
            .hours
            .entry((at.div_euclid(HOUR_MS), store.to_owned()))
            .or_default();
        h.returns += 1;
        h.items -= r.lines.iter().map(|l| i64::from(l.qty)).sum::<i64>();
        h.refunds += r.total_refund;
        for l in &r.lines {
            let k = self
                .skus
                .entry((day, store.to_owned(), l.sku.as_str().to_owned()))
                .or_default();
            k.returned_qty += i64::from(l.qty);
            k.refunds += l.refund;
        }
    }

    /// Move everything `job` folded into this fold (a committed job's rows
    /// joining its transaction's); `job` is left empty.
    pub fn absorb(&mut self, job: &mut Fold) {
        for (k, a) in job.hours.drain() {
            let h = self.hours.entry(k).or_default();
            h.sales += a.sales;
            h.returns += a.returns;
            h.items += a.items;
            h.gross += a.gross;
            h.refunds += a.refunds;
        }
        for (k, a) in job.skus.drain() {
            let s = self.skus.entry(k).or_default();
            s.qty += a.qty;
            s.revenue += a.revenue;
            s.returned_qty += a.returned_qty;
            s.refunds += a.refunds;
        }
        for (k, a) in job.cashiers.drain() {
            let c = self.cashiers.entry(k).or_default();
            c.sales += a.sales;
            c.items += a.items;
            c.revenue += a.revenue;
        }
        for (k, a) in job.members.drain() {
            let m = self.members.entry(k).or_insert(MemberAcc {
                purchases: 0,
                spent: 0,
                first: a.first,
                last: a.last,
            });
            m.purchases += a.purchases;
            m.spent += a.spent;
            m.first = m.first.min(a.first);
            m.last = m.last.max(a.last);
        }
        for (k, a) in job.member_days.drain() {
            let d = self.member_days.entry(k).or_default();
            d.purchases += a.purchases;
            d.spent += a.spent;
        }
        for (k, (qty, revenue)) in job.member_skus.drain() {
            let e = self.member_skus.entry(k).or_default();
            e.0 += qty;
            e.1 += revenue;
        }
    }

    /// Write the folded rows (one UPSERT each) and start over.
    pub fn flush(&mut self, conn: &Connection) -> Result<(), HubError> {
        if !self.hours.is_empty() {
            let mut st = conn.prepare_cached(
                "INSERT INTO sales_hour (hour, store, sales, returns, items, gross, refunds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (hour, store) DO UPDATE SET
                   sales = sales + excluded.sales, returns = returns + excluded.returns,
                   items = items + excluded.items, gross = gross + excluded.gross,
                   refunds = refunds + excluded.refunds",
            )?;
            for ((hour, store), a) in self.hours.drain() {
                st.execute(params![
                    hour, store, a.sales, a.returns, a.items, a.gross, a.refunds
                ])?;
            }
        }
        if !self.skus.is_empty() {
            let mut chain: HashMap<(i64, String), SkuAcc> = HashMap::new();
            let mut st = conn.prepare_cached(
                "INSERT INTO sales_day_sku (day, store, sku, qty, revenue, returned_qty, refunds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (day, store, sku) DO UPDATE SET
                   qty = qty + excluded.qty, revenue = revenue + excluded.revenue,
                   returned_qty = returned_qty + excluded.returned_qty,
                   refunds = refunds + excluded.refunds",
            )?;
            for ((day, store, sku), a) in self.skus.drain() {
                st.execute(params![
                    day,
                    store,
                    sku,
                    a.qty,
                    a.revenue,
                    a.returned_qty,
                    a.refunds
                ])?;
                let c = chain.entry((day, sku)).or_default();
                c.qty += a.qty;
                c.revenue += a.revenue;
                c.returned_qty += a.returned_qty;
                c.refunds += a.refunds;
            }
            let mut st = conn.prepare_cached(
                "INSERT INTO sales_day_sku_chain (day, sku, qty, revenue, returned_qty, refunds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, sku) DO UPDATE SET
                   qty = qty + excluded.qty, revenue = revenue + excluded.revenue,
                   returned_qty = returned_qty + excluded.returned_qty,
                   refunds = refunds + excluded.refunds",
            )?;
            for ((day, sku), a) in chain {
                st.execute(params![
                    day,
                    sku,
                    a.qty,
                    a.revenue,
                    a.returned_qty,
                    a.refunds
                ])?;
            }
        }
        if !self.cashiers.is_empty() {
            let mut st = conn.prepare_cached(
                "INSERT INTO sales_day_cashier (day, store, cashier, sales, items, revenue)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, store, cashier) DO UPDATE SET
                   sales = sales + excluded.sales, items = items + excluded.items,
                   revenue = revenue + excluded.revenue",
            )?;
            for ((day, store, cashier), a) in self.cashiers.drain() {
                st.execute(params![day, store, cashier, a.sales, a.items, a.revenue])?;
            }
        }
        if !self.members.is_empty() {
            let mut st = conn.prepare_cached(
                "INSERT INTO member_stats (member, purchases, spent, first_at_ms, last_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (member) DO UPDATE SET
                   purchases = purchases + excluded.purchases, spent = spent + excluded.spent,
                   first_at_ms = MIN(first_at_ms, excluded.first_at_ms),
                   last_at_ms = MAX(last_at_ms, excluded.last_at_ms)",
            )?;
            for (m, a) in self.members.drain() {
                st.execute(params![
                    m.as_bytes().as_slice(),
                    a.purchases,
                    a.spent,
                    a.first,
                    a.last
                ])?;
            }
            let mut st = conn.prepare_cached(
                "INSERT INTO member_day (day, store, member, purchases, spent)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (day, store, member) DO UPDATE SET
                   purchases = purchases + excluded.purchases, spent = spent + excluded.spent",
            )?;
            for ((day, store, m), a) in self.member_days.drain() {
                st.execute(params![
                    day,
                    store,
                    m.as_bytes().as_slice(),
                    a.purchases,
                    a.spent
                ])?;
            }
            let mut st = conn.prepare_cached(
                "INSERT INTO member_day_sku (day, store, member, sku, qty, revenue)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, store, member, sku) DO UPDATE SET
                   qty = qty + excluded.qty, revenue = revenue + excluded.revenue",
            )?;
            for ((day, store, m, sku), (qty, revenue)) in self.member_skus.drain() {
                st.execute(params![
                    day,
                    store,
                    m.as_bytes().as_slice(),
                    sku,
                    qty,
                    revenue
                ])?;
            }
        }
        Ok(())
    }
}

fn actor_bytes(a: &ActorId) -> &[u8] {
    a.0.as_bytes().as_slice()
}

/// Index a new stock move for the history: three integers pointing at its op
/// in the log (`hq_user` labels HQ's own moves). Kept this small because it
/// runs for three of every four ops a till sends.
pub fn stock_move(
    conn: &Connection,
    location_no: i64,
    sku_no: i64,
    cursor: u64,
    hq_user: Option<&str>,
) -> Result<(), HubError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO stock_move_index (location_no, sku_no, cursor) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![location_no, sku_no, cursor as i64])?;
    if let Some(user) = hq_user {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO stock_move_hq_user (cursor, hq_user) VALUES (?1, ?2)",
        )?
        .execute(params![cursor as i64, user])?;
    }
    Ok(())
}

/// A catalog field won its register: copy it to the flattened `product` row.
pub fn catalog_won(conn: &Connection, c: &CatalogSet) -> Result<(), HubError> {
    conn.prepare_cached("INSERT INTO product (sku) VALUES (?1) ON CONFLICT DO NOTHING")?
        .execute([c.sku.as_str()])?;
    let (column, value): (&str, &dyn ToSql) = match &c.field {
        CatalogField::Name(v) => ("name", v),
        CatalogField::Price(v) => ("price", v),
        CatalogField::Barcode(v) => ("barcode", v),
        CatalogField::Active(v) => ("active", v),
        CatalogField::Style(v) => ("style", v),
        CatalogField::Colour(v) => ("colour", v),
        CatalogField::Size(v) => ("size", v),
        CatalogField::Category(v) => ("category", v),
    };
    conn.prepare_cached(&format!("UPDATE product SET {column} = ?2 WHERE sku = ?1"))?
        .execute(params![c.sku.as_str(), value])?;
    Ok(())
}

/// Apply a member field (LWW per `(member, field)` by HLC).
pub fn member_set(
    conn: &Connection,
    hlc: &Hlc,
    m: &MemberSet,
    cursor: u64,
) -> Result<(), HubError> {
    let value = serde_json::to_string(&m.field)
        .map_err(|e| HubError::Internal(format!("encoding member field: {e}")))?;
    let member = m.member.as_bytes().as_slice();
    let won = conn
        .prepare_cached(
            "INSERT INTO member_field (member, field, value, hlc_wall, hlc_counter, hlc_actor, cursor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (member, field) DO UPDATE SET
               value = excluded.value, hlc_wall = excluded.hlc_wall,
               hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
               cursor = excluded.cursor
             WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
                 > (member_field.hlc_wall, member_field.hlc_counter, member_field.hlc_actor)",
        )?
        .execute(params![
            member,
            m.field.kind().as_str(),
            value,
            hlc.wall_ms.min(i64::MAX as u64) as i64,
            hlc.counter,
            actor_bytes(&hlc.actor),
            cursor as i64
        ])?;
    if won == 0 {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO members (member) VALUES (?1) ON CONFLICT DO NOTHING")?
        .execute([member])?;
    match &m.field {
        MemberField::Phone(v) => conn
            .prepare_cached("UPDATE members SET phone = ?2 WHERE member = ?1")?
            .execute(params![member, v])?,
        MemberField::Name(v) => conn
            .prepare_cached("UPDATE members SET name = ?2 WHERE member = ?1")?
            .execute(params![member, v])?,
        MemberField::BirthYear(v) => conn
            .prepare_cached("UPDATE members SET birth_year = ?2 WHERE member = ?1")?
            .execute(params![member, v])?,
        MemberField::HomeStore(v) => conn
            .prepare_cached("UPDATE members SET home_store = ?2 WHERE member = ?1")?
            .execute(params![member, v.as_str()])?,
        MemberField::SignedUpAtMs(v) => conn
            .prepare_cached("UPDATE members SET signed_up_at_ms = ?2 WHERE member = ?1")?
            .execute(params![member, (*v).min(i64::MAX as u64) as i64])?,
        MemberField::MarketingConsent(v) => conn
            .prepare_cached("UPDATE members SET marketing_consent = ?2 WHERE member = ?1")?
            .execute(params![member, v])?,
    };
    Ok(())
}

/// Apply a price rule (LWW per rule id by HLC).
pub fn price_rule(
    conn: &Connection,
    hlc: &Hlc,
    r: &PriceRule,
    cursor: u64,
) -> Result<(), HubError> {
    conn.prepare_cached(
        "INSERT INTO price_rule (id, sku, price, valid_from_ms, valid_to_ms, label, cancelled,
                                 hlc_wall, hlc_counter, hlc_actor, cursor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET
           sku = excluded.sku, price = excluded.price, valid_from_ms = excluded.valid_from_ms,
           valid_to_ms = excluded.valid_to_ms, label = excluded.label,
           cancelled = excluded.cancelled, hlc_wall = excluded.hlc_wall,
           hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
           cursor = excluded.cursor
         WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
             > (price_rule.hlc_wall, price_rule.hlc_counter, price_rule.hlc_actor)",
    )?
    .execute(params![
        r.id.as_bytes().as_slice(),
        r.sku.as_str(),
        r.price,
        r.valid_from_ms.min(i64::MAX as u64) as i64,
        r.valid_to_ms.map(|t| t.min(i64::MAX as u64) as i64),
        r.label,
        r.cancelled,
        hlc.wall_ms.min(i64::MAX as u64) as i64,
        hlc.counter,
        actor_bytes(&hlc.actor),
        cursor as i64
    ])?;
    Ok(())
}

/// A stock cell whose level just got worse (the live `stock_alert` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossedAlert {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Quantity now.
    pub qty: i64,
    /// Below zero (else low: 0 to the threshold).
    pub negative: bool,
}

fn level(qty: i64, threshold: i64) -> u8 {
    if qty < 0 {
        2
    } else if qty <= threshold {
        1
    } else {
        0
    }
}

/// Cells changed by `deltas` (already applied to `view`) that became low
/// (from above `threshold`) or negative. Called by the writer after a commit
/// to publish `stock_alert` events.
pub fn crossed_alerts(
    view: &crate::views::StockView,
    deltas: &[(String, String, i64)],
    threshold: i64,
) -> Vec<CrossedAlert> {
    if deltas.is_empty() {
        return Vec::new();
    }
    let mut net: HashMap<(&str, &str), i64> = HashMap::new();
    for (location, sku, d) in deltas {
        *net.entry((location.as_str(), sku.as_str())).or_default() += d;
    }
    view.read(|map| {
        let mut out: Vec<CrossedAlert> = net
            .into_iter()
            // Deliveries on the way (`TR-<store>`) are not a shelf that runs low.
            .filter(|((location, _), _)| !location.starts_with("TR-"))
            .filter_map(|((location, sku), d)| {
                let after = map.get(sku).and_then(|m| m.get(location)).copied()?;
                let (was, now) = (level(after - d, threshold), level(after, threshold));
                (now > was).then(|| CrossedAlert {
                    location: location.to_owned(),
                    sku: sku.to_owned(),
                    qty: after,
                    negative: now == 2,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.location, &a.sku).cmp(&(&b.location, &b.sku)));
        out
    })
}

/// Publish a `stock_alert` event for each cell of `deltas` that just became
/// low (at or below [`crate::api::inventory::DEFAULT_THRESHOLD`]) or negative.
pub fn publish_stock_alerts(
    view: &crate::views::StockView,
    deltas: &[(String, String, i64)],
    events: &crate::events::EventBus,
) {
    use crate::events::{AlertLevel, Event, StockAlert};
    for a in crossed_alerts(view, deltas, crate::api::inventory::DEFAULT_THRESHOLD) {
        events.publish(Event::StockAlert(StockAlert {
            location: a.location,
            sku: a.sku,
            qty: a.qty,
            level: if a.negative {
                AlertLevel::Negative
            } else {
                AlertLevel::Low
            },
        }));
    }
}

/// The winning ops of the LWW records every new till needs (all member
/// fields; price rules neither cancelled nor over by `now_ms`), in log
/// order, read on `conn` (the snapshot's read transaction).
pub fn snapshot_records(
    conn: &Connection,
    now_ms: u64,
    mut each: impl FnMut(Op) -> Result<(), HubError>,
) -> Result<(), HubError> {
    let now = now_ms.min(i64::MAX as u64) as i64;
    for sql in [
        "SELECT l.cursor, l.body FROM member_field m JOIN op_log l ON l.cursor = m.cursor
         ORDER BY m.cursor",
        "SELECT l.cursor, l.body FROM price_rule r JOIN op_log l ON l.cursor = r.cursor
         WHERE r.cancelled = 0 AND (r.valid_to_ms IS NULL OR r.valid_to_ms > ?1)
         ORDER BY r.cursor",
    ] {
        for_each_logged_op(conn, sql, &now, &mut each)?;
    }
    Ok(())
}

/// Run `sql` (selecting `cursor, body` from `op_log`, with `param` bound when it has a `?1`)
/// and hand each decoded op to `each`, in the query's order. An op that no longer decodes is
/// logged and skipped, so one bad row cannot stop a snapshot.
pub fn for_each_logged_op(
    conn: &Connection,
    sql: &str,
    param: &dyn rusqlite::ToSql,
    each: &mut dyn FnMut(Op) -> Result<(), HubError>,
) -> Result<(), HubError> {
    let mut st = conn.prepare(sql)?;
    let mut rows = if st.parameter_count() == 1 {
        st.query([param])?
    } else {
        st.query([])?
    };
    while let Some(r) = rows.next()? {
        let cursor: i64 = r.get(0)?;
        let body: Vec<u8> = r.get(1)?;
        match rmp_serde::from_slice::<Op>(&body) {
            Ok(op) => each(op)?,
            Err(e) => tracing::error!(cursor, error = %e, "unreadable op skipped in snapshot"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(store: &str, sku: &str, qty: u32, member: Option<Uuid>, at: u64) -> SaleRecord {
        let store: sync_proto::StoreId = store.parse().expect("store");
        SaleRecord {
            id: Uuid::now_v7(),
            receipt: sync_proto::ReceiptNo::new(&store, 1, at),
            store,
            till: ActorId(Uuid::from_u128(7)),
            cashier: Some("kim".into()),
            member,
            lines: vec![sync_proto::SaleLine {
                sku: sku.parse().expect("sku"),
                name: "Tee".into(),
                qty,
                unit_price: 1_000,
                discount: 0,
                line_total: i64::from(qty) * 1_000,
            }],
            tenders: vec![],
            total: i64::from(qty) * 1_000,
            change_given: 0,
            currency: "KRW".into(),
            sold_at_ms: at,
        }
    }

    #[test]
    fn committed_jobs_add_up_in_the_transaction_fold_and_rolled_back_ones_do_not() {
        let member = Uuid::from_u128(42);
        let mut tx = Fold::default();
        let mut job = Fold::default();
        job.sale(&sale("GN01", "TSH-1", 2, Some(member), 1_000));
        tx.absorb(&mut job);
        assert!(
            job.skus.is_empty() && job.hours.is_empty(),
            "the job fold is emptied"
        );
        job.sale(&sale("GN01", "TSH-1", 3, Some(member), 5_000));
        job.sale(&sale("HD02", "TSH-1", 1, None, 2_000));
        tx.absorb(&mut job);
        job.sale(&sale("GN01", "TSH-1", 100, Some(member), 3_000));
        job.clear(); // this job rolled back
        tx.absorb(&mut job);

        let day = tx.day(1_000);
        let gn = &tx.skus[&(day, "GN01".to_owned(), "TSH-1".to_owned())];
        assert_eq!((gn.qty, gn.revenue), (5, 5_000));
        let hd = &tx.skus[&(day, "HD02".to_owned(), "TSH-1".to_owned())];
        assert_eq!(hd.qty, 1);
        let m = &tx.members[&member];
        assert_eq!(
            (m.purchases, m.spent, m.first, m.last),
            (2, 5_000, 1_000, 5_000)
        );
        let c = &tx.cashiers[&(day, "GN01".to_owned(), "kim".to_owned())];
        assert_eq!((c.sales, c.items), (2, 5));
    }

    #[test]
    fn alerts_fire_when_a_cell_crosses_into_low_or_negative() {
        let view = crate::views::StockView::default();
        let d = |l: &str, s: &str, n: i64| (l.to_owned(), s.to_owned(), n);
        let first = [d("GN01", "A", 10), d("GN01", "B", 2), d("HD02", "A", 5)];
        view.apply(&first);
        // B went from 0 to 2: low before and after, no alert.
        assert_eq!(crossed_alerts(&view, &first, 3), vec![]);
        let second = [d("GN01", "A", -8), d("GN01", "B", -3), d("HD02", "A", -1)];
        view.apply(&second);
        let got = crossed_alerts(&view, &second, 3);
        assert_eq!(
            got,
            vec![
                CrossedAlert {
                    location: "GN01".into(),
                    sku: "A".into(),
                    qty: 2,
                    negative: false
                },
                CrossedAlert {
                    location: "GN01".into(),
                    sku: "B".into(),
                    qty: -1,
                    negative: true
                },
            ]
        );
    }

    #[test]
    fn local_days_follow_the_offset() {
        // 2026-11-20T15:30Z is 2026-11-21 00:30 in +09:00.
        let ms = 1_795_707_000_000i64;
        assert_eq!(day_of(ms, 0) + 1, day_of(ms, 540));
        assert_eq!(day_of(-1, 0), -1);
    }
}
