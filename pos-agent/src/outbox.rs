//! The outbox writer: how a local change becomes ops, inside the same SQLite
//! transaction as the domain rows.
//!
//! The op log *is* the queue (DESIGN §2). A [`Writer`] is created on an open
//! write transaction; it reads the enrolment, the next seq of the till's actor
//! (`MAX(seq) + 1`, so seqs are gapless and survive restarts and concurrent
//! processes — the immediate transaction serialises writers) and the persisted
//! HLC. Each [`Writer::emit`] ticks the clock and inserts the op; each
//! [`Writer::stock_move`] also advances the till's own PN-counter row and
//! stamps the move with the new running totals
//! ([`sync_proto::state::next_stock_totals`]). [`Writer::finish`] persists the
//! clock. Nothing is visible until the caller commits; a failure anywhere
//! rolls the whole change back, ops included.

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::state::next_stock_totals;
use sync_proto::{HlcClock, LocationId, Op, ReceiptNo, Scope, Sku};

use crate::db::{self, Enrolment, keys};
use crate::error::{Result, TillError};

/// Emits ops of the till into the outbox within one transaction.
pub struct Writer<'t> {
    conn: &'t Connection,
    /// The till's enrolment as read inside the transaction.
    pub enrolment: Enrolment,
    clock: HlcClock,
    next_seq: u64,
    now_ms: u64,
    ops: Vec<Op>,
}

impl<'t> Writer<'t> {
    /// Start emitting on `conn`, which must be inside a write transaction.
    pub fn begin(conn: &'t Connection) -> Result<Self> {
        let enrolment = db::require_enrolment(conn)?;
        let clock = db::load_clock(conn, enrolment.actor)?;
        let next_seq = db::last_seq(conn, enrolment.actor)? + 1;
        Ok(Self {
            conn,
            enrolment,
            clock,
            next_seq,
            now_ms: db::now_ms(),
            ops: Vec::new(),
        })
    }

    /// Wall-clock time of this change.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Take the next receipt number of this till (same sequence for sales and returns).
    pub fn next_receipt(&mut self) -> Result<ReceiptNo> {
        let seq = db::get_meta_u64(self.conn, keys::NEXT_RECEIPT_SEQ)?.max(1);
        db::set_meta(self.conn, keys::NEXT_RECEIPT_SEQ, &(seq + 1).to_string())?;
        Ok(ReceiptNo::new(
            &self.enrolment.store,
            self.enrolment.till_no,
            seq,
        ))
    }

    /// Append an op with `body` to the outbox, scoped to the till's store.
    pub fn emit(&mut self, body: OpBody) -> Result<&Op> {
        let scope = Scope::Store(self.enrolment.store.clone());
        self.emit_to(scope, body)
    }

    /// Append an op with `body` and an explicit `scope` to the outbox
    /// (member fields go to `broadcast`).
    pub fn emit_to(&mut self, scope: Scope, body: OpBody) -> Result<&Op> {
        let op = Op {
            actor: self.enrolment.actor,
            seq: self.next_seq,
            hlc: self.clock.tick(self.now_ms),
            scope,
            body,
        };
        db::insert_op(self.conn, &op, self.now_ms)?;
        self.next_seq += 1;
        self.ops.push(op);
        self.ops
            .last()
            .ok_or_else(|| TillError::Internal("op vanished".into()))
    }

    /// Move stock of `sku` at the till's store by `delta`: update the till's
    /// own counter entry and emit the stock move with the running totals.
    pub fn stock_move(
        &mut self,
        sku: &Sku,
        delta: i64,
        reason: StockReason,
        reference: Option<String>,
    ) -> Result<()> {
        let location = self.enrolment.store.clone();
        self.stock_move_at(&location, sku, delta, reason, reference)
    }

    /// Move stock of `sku` at `location` (the store, or its in-transit location when a
    /// delivery is received) by `delta`, as [`Writer::stock_move`].
    pub fn stock_move_at(
        &mut self,
        location: &LocationId,
        sku: &Sku,
        delta: i64,
        reason: StockReason,
        reference: Option<String>,
    ) -> Result<()> {
        let location = location.clone();
        let actor = self.enrolment.actor.to_string();
        let prev: (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT inc_total, dec_total FROM stock_counters
                 WHERE location = ?1 AND sku = ?2 AND actor = ?3",
            )?
            .query_row(params![location.as_str(), sku.as_str(), actor], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or((0, 0));
        let (inc_total, dec_total) =
            next_stock_totals(prev.0.max(0) as u64, prev.1.max(0) as u64, delta);
        self.conn
            .prepare_cached(
                "INSERT INTO stock_counters(location, sku, actor, inc_total, dec_total)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(location, sku, actor) DO UPDATE SET
                     inc_total = excluded.inc_total, dec_total = excluded.dec_total",
            )?
            .execute(params![
                location.as_str(),
                sku.as_str(),
                actor,
                inc_total as i64,
                dec_total as i64
            ])?;
        self.emit(OpBody::StockMove(StockMove {
            location,
            sku: sku.clone(),
            delta,
            reason,
            reference,
            inc_total,
            dec_total,
        }))?;
        Ok(())
    }

    /// Persist the clock and hand back the ops emitted (still uncommitted).
    pub fn finish(self) -> Result<Vec<Op>> {
        db::save_clock(self.conn, &self.clock)?;
        Ok(self.ops)
    }
}
