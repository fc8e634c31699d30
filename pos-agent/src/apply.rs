//! Applying what comes down from the hub: op batches and snapshot chunks.
//!
//! Every apply is idempotent and order-insensitive, the relational form of
//! `sync_proto::state`:
//! - stock counter entries are upserted with `MAX()` per `(location, sku, actor)`;
//! - sale and return records are inserted `ON CONFLICT DO NOTHING`;
//! - a catalog field is replaced only if the incoming HLC is newer than the
//!   stored one (text HLCs compare like HLCs, see [`crate::db::hlc_to_text`]);
//! - staff records, member fields and price rules likewise (last writer by
//!   HLC wins, [`crate::people`], [`crate::prices`]); a snapshot's `records`
//!   (the winning ops of those registers) go through the same [`apply_ops`];
//! - limited items and coupons go to [`crate::limited::apply_op`] (escrow entries `MAX()`,
//!   definitions by HLC, holds by status rank; a recall addressed to this till is answered
//!   once, its transfer written through the outbox in this same transaction);
//! - replenishment orders, status updates, deliveries and receiving records go to
//!   [`crate::logistics::apply_op`] (grow-only by id, status max-register, delivery by HLC).
//!
//! A batch and the new downstream cursor commit in ONE transaction, so a crash
//! between the two cannot skip or double anything; received HLCs advance the
//! till's clock ([`sync_proto::HlcClock::observe`]) so its next ops order after them.

use rusqlite::{Connection, params};
use sync_proto::op::{CatalogField, OpBody};
use sync_proto::state::{CatalogEntry, StockCounterRow};
use sync_proto::wire::SnapshotChunk;
use sync_proto::{Hlc, Op, Sku};

use crate::db::{self, keys};
use crate::error::Result;
use crate::{people, prices, records};

/// What an apply changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Ops looked at.
    pub ops: usize,
    /// Sale/return records that were new.
    pub new_records: usize,
    /// Stock counter rows that changed.
    pub counters_changed: usize,
    /// Catalog fields that changed.
    pub catalog_changed: usize,
    /// Staff records, member fields and price rules that changed.
    pub registers_changed: usize,
}

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

/// Merge one PN-counter entry (`MAX()` per total); `true` if it changed.
pub fn merge_counter(conn: &Connection, row: &StockCounterRow) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO stock_counters(location, sku, actor, inc_total, dec_total)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(location, sku, actor) DO UPDATE SET
                 inc_total = MAX(inc_total, excluded.inc_total),
                 dec_total = MAX(dec_total, excluded.dec_total)
             WHERE excluded.inc_total > inc_total OR excluded.dec_total > dec_total",
        )?
        .execute(params![
            row.location.as_str(),
            row.sku.as_str(),
            row.actor.to_string(),
            clamp(row.inc_total),
            clamp(row.dec_total)
        ])?;
    Ok(n > 0)
}

/// Set one catalog field if `hlc` is newer than the stored one; `true` if it changed.
pub fn apply_catalog_field(
    conn: &Connection,
    sku: &Sku,
    field: &CatalogField,
    hlc: &Hlc,
) -> Result<bool> {
    conn.prepare_cached("INSERT INTO catalog(sku) VALUES (?1) ON CONFLICT DO NOTHING")?
        .execute([sku.as_str()])?;
    let col = field.kind().as_str();
    let sql = format!(
        "UPDATE catalog SET {col} = ?1, {col}_hlc = ?2
         WHERE sku = ?3 AND ({col}_hlc IS NULL OR {col}_hlc < ?2)"
    );
    let hlc = db::hlc_to_text(hlc);
    let mut stmt = conn.prepare_cached(&sql)?;
    let n = match field {
        CatalogField::Name(v)
        | CatalogField::Style(v)
        | CatalogField::Colour(v)
        | CatalogField::Size(v)
        | CatalogField::Category(v) => stmt.execute(params![v, hlc, sku.as_str()])?,
        CatalogField::Price(v) => stmt.execute(params![v, hlc, sku.as_str()])?,
        CatalogField::Barcode(v) => stmt.execute(params![v, hlc, sku.as_str()])?,
        CatalogField::Active(v) => stmt.execute(params![v, hlc, sku.as_str()])?,
    };
    Ok(n > 0)
}

/// Apply ops (in the caller's transaction). Safe to repeat.
pub fn apply_ops(conn: &Connection, ops: &[Op]) -> Result<ApplyStats> {
    let mut stats = ApplyStats {
        ops: ops.len(),
        ..ApplyStats::default()
    };
    for op in ops {
        match &op.body {
            OpBody::StockMove(m) => {
                let row = StockCounterRow {
                    location: m.location.clone(),
                    sku: m.sku.clone(),
                    actor: op.actor,
                    inc_total: m.inc_total,
                    dec_total: m.dec_total,
                };
                stats.counters_changed += usize::from(merge_counter(conn, &row)?);
            }
            OpBody::Sale(s) => {
                crate::limited::note_till(conn, &s.till, &s.store)?;
                stats.new_records += usize::from(records::insert_sale(conn, s, false)?);
            }
            OpBody::Return(r) => {
                stats.new_records += usize::from(records::insert_return(conn, r, false)?);
            }
            OpBody::CatalogSet(c) => {
                stats.catalog_changed +=
                    usize::from(apply_catalog_field(conn, &c.sku, &c.field, &op.hlc)?);
            }
            OpBody::StaffSet(s) => {
                stats.registers_changed += usize::from(people::apply_staff(conn, s, &op.hlc)?);
            }
            OpBody::MemberSet(m) => {
                stats.registers_changed += usize::from(people::apply_member_set(conn, m, &op.hlc)?);
            }
            OpBody::PriceRule(r) => {
                stats.registers_changed += usize::from(prices::apply_price_rule(conn, r, &op.hlc)?);
            }
            OpBody::ChatMessage(_)
            | OpBody::ChatRead(_)
            | OpBody::TicketUpdate(_)
            | OpBody::AnnouncementAck(_) => {
                stats.new_records += usize::from(crate::chat::apply_op(conn, op)?);
            }
            // Limited items and coupons; a recall to this till is answered here, once.
            OpBody::EscrowMove(_)
            | OpBody::LimitDef(_)
            | OpBody::RightsRequest(_)
            | OpBody::RightsRecall(_)
            | OpBody::LimitHold(_)
            | OpBody::CouponRedemption(_) => {
                stats.registers_changed += usize::from(crate::limited::apply_op(conn, op)?);
            }
            // Replenishment and deliveries: orders and receivings grow-only by id, status a
            // max-register per subject, deliveries last writer by HLC.
            OpBody::ReplenishmentOrder(_) | OpBody::Receiving(_) => {
                stats.new_records += usize::from(crate::logistics::apply_op(conn, op)?);
            }
            OpBody::StatusUpdate(_) | OpBody::Delivery(_) => {
                stats.registers_changed += usize::from(crate::logistics::apply_op(conn, op)?);
            }
        }
    }
    observe_hlcs(conn, ops.iter().map(|o| &o.hlc))?;
    Ok(stats)
}

/// Let the till's clock observe received timestamps (in the caller's transaction).
pub fn observe_hlcs<'a>(conn: &Connection, hlcs: impl Iterator<Item = &'a Hlc>) -> Result<()> {
    let Some(actor) = db::get_meta(conn, keys::ACTOR)?.and_then(|a| a.parse().ok()) else {
        return Ok(());
    };
    let mut clock = db::load_clock(conn, actor)?;
    let before = clock.last();
    let now = db::now_ms();
    for h in hlcs {
        if let Err(drift) = clock.observe(h, now) {
            tracing::warn!(%drift, "ignoring a timestamp from a clock far ahead");
        }
    }
    if clock.last() != before {
        db::save_clock(conn, &clock)?;
    }
    Ok(())
}

/// Apply a downstream batch and move the cursor to `to_cursor`, in one transaction.
pub fn apply_batch(conn: &mut Connection, ops: &[Op], to_cursor: u64) -> Result<ApplyStats> {
    let tx = db::write_tx(conn)?;
    let stats = apply_ops(&tx, ops)?;
    db::set_meta(&tx, keys::CURSOR, &to_cursor.to_string())?;
    db::set_meta(&tx, keys::LAST_SYNC_MS, &db::now_ms().to_string())?;
    tx.commit()?;
    Ok(stats)
}

/// Apply snapshot entries (in the caller's transaction).
pub fn apply_snapshot_entries(
    conn: &Connection,
    catalog: &[CatalogEntry],
    stock: &[StockCounterRow],
) -> Result<ApplyStats> {
    let mut stats = ApplyStats::default();
    for e in catalog {
        stats.catalog_changed += usize::from(apply_catalog_field(conn, &e.sku, &e.field, &e.hlc)?);
    }
    for row in stock {
        stats.counters_changed += usize::from(merge_counter(conn, row)?);
    }
    observe_hlcs(conn, catalog.iter().map(|e| &e.hlc))?;
    Ok(stats)
}

/// Apply one snapshot chunk (catalog, stock and the `records` ops) in one
/// transaction; the last chunk (`done`) also sets the cursor to `at_cursor`.
pub fn apply_snapshot_chunk(conn: &mut Connection, chunk: &SnapshotChunk) -> Result<ApplyStats> {
    let tx = db::write_tx(conn)?;
    let mut stats = apply_snapshot_entries(&tx, &chunk.catalog, &chunk.stock)?;
    let records = apply_ops(&tx, &chunk.records)?;
    stats.ops += records.ops;
    stats.new_records += records.new_records;
    stats.counters_changed += records.counters_changed;
    stats.catalog_changed += records.catalog_changed;
    stats.registers_changed += records.registers_changed;
    if chunk.done {
        db::set_meta(&tx, keys::CURSOR, &chunk.at_cursor.to_string())?;
        db::set_meta(&tx, keys::LAST_SYNC_MS, &db::now_ms().to_string())?;
    }
    tx.commit()?;
    Ok(stats)
}
