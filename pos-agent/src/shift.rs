//! Cash-drawer shifts and the Z report.
//!
//! A shift opens with a float (the cash in the drawer), collects the sales and
//! returns made at this till while it is open (`sales.shift_id` /
//! `returns.shift_id`, stamped inside the sale's or return's own
//! transaction), cash put in or taken out ([`CashMovement`]), and closes with
//! the cash counted: the [`ZReport`] says what the drawer should hold
//! (float + cash sales − cash refunds + cash in − cash out) and how far the
//! count is over or short. At most one shift is open per till (a unique
//! partial index).
//!
//! Shifts are local to the till and never synced: they are the book-keeping
//! of one physical drawer, the sales and returns in them already reach the
//! hub as records of their own, and a Z report must work — and reprint —
//! with the network down. (If head office later wants drawer totals, they can
//! travel as a record of the closed shift; nothing here would change.)
//! The core's `sell` does not require an open shift; the desktop app does.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::op::{Money, Tender, TenderKind};
use sync_proto::validate::MAX_AMOUNT;
use uuid::Uuid;

use crate::db;
use crate::error::{Result, TillError};
use crate::receipt::{format_money, format_time, line, rule};
use crate::till::Till;

/// A drawer shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Shift {
    /// Shift id (UUIDv7).
    pub id: Uuid,
    /// When it opened (ms since epoch).
    #[ts(type = "number")]
    pub opened_at_ms: u64,
    /// Who opened it (username).
    pub opened_by: String,
    /// Cash in the drawer at the start.
    #[ts(type = "number")]
    pub float: Money,
    /// When it closed, if it has.
    #[ts(type = "number | null")]
    pub closed_at_ms: Option<u64>,
    /// Who closed it.
    pub closed_by: Option<String>,
}

/// Cash put into or taken out of the drawer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CashMovementKind {
    /// Cash put in (change from the bank…).
    In,
    /// Cash taken out (banking, petty cash…).
    Out,
}

impl CashMovementKind {
    /// As stored: `in` or `out`.
    pub fn as_str(self) -> &'static str {
        match self {
            CashMovementKind::In => "in",
            CashMovementKind::Out => "out",
        }
    }
}

/// One cash movement of a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CashMovement {
    /// Movement id (UUIDv7).
    pub id: Uuid,
    /// When (ms since epoch).
    #[ts(type = "number")]
    pub at_ms: u64,
    /// In or out.
    pub kind: CashMovementKind,
    /// Amount (positive).
    #[ts(type = "number")]
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Who (username).
    pub by: String,
}

/// The running totals of a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ShiftSummary {
    /// The shift.
    pub shift: Shift,
    /// Sales made in it.
    #[ts(type = "number")]
    pub sales_count: u64,
    /// Returns taken in it.
    #[ts(type = "number")]
    pub returns_count: u64,
    /// Σ qty × unit price of the sales.
    #[ts(type = "number")]
    pub gross_sales: Money,
    /// Σ discounts of the sales.
    #[ts(type = "number")]
    pub discounts: Money,
    /// Σ sale totals (gross − discounts).
    #[ts(type = "number")]
    pub net_sales: Money,
    /// Σ refunds of the returns.
    #[ts(type = "number")]
    pub refunds: Money,
    /// Sales per tender kind (cash excluding change given).
    pub sales_by_tender: Vec<Tender>,
    /// Refunds per tender kind.
    pub refunds_by_tender: Vec<Tender>,
    /// Σ cash put in.
    #[ts(type = "number")]
    pub cash_in: Money,
    /// Σ cash taken out.
    #[ts(type = "number")]
    pub cash_out: Money,
    /// Every cash movement, oldest first.
    pub movements: Vec<CashMovement>,
    /// float + cash sales − cash refunds + cash in − cash out.
    #[ts(type = "number")]
    pub expected_cash: Money,
    /// First receipt number of the shift (sales and returns).
    pub first_receipt: Option<String>,
    /// Last receipt number of the shift.
    pub last_receipt: Option<String>,
}

/// The end-of-shift report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ZReport {
    /// The shift's totals.
    pub summary: ShiftSummary,
    /// Cash counted in the drawer at close.
    #[ts(type = "number")]
    pub counted_cash: Money,
    /// counted − expected (negative = short).
    #[ts(type = "number")]
    pub over_short: Money,
    /// Printable text.
    pub text: String,
}

/// Stamp a local sale with the open shift, if any (in the sale's transaction).
pub(crate) fn stamp_sale(conn: &Connection, sale_id: &Uuid) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sales SET shift_id = (SELECT id FROM shifts WHERE closed_at_ms IS NULL)
         WHERE id = ?1",
    )?
    .execute([sale_id.to_string()])?;
    Ok(())
}

/// Stamp a local return with the open shift, if any (in the return's transaction).
pub(crate) fn stamp_return(conn: &Connection, return_id: &Uuid) -> Result<()> {
    conn.prepare_cached(
        "UPDATE returns SET shift_id = (SELECT id FROM shifts WHERE closed_at_ms IS NULL)
         WHERE id = ?1",
    )?
    .execute([return_id.to_string()])?;
    Ok(())
}

fn clean_name(by: &str, what: &str) -> Result<String> {
    let by = by.trim();
    if by.is_empty() || by.chars().count() > 64 {
        return Err(TillError::InvalidInput(format!(
            "{what}: give the username (1 to 64 characters)"
        )));
    }
    Ok(by.to_owned())
}

fn corrupt(what: &str) -> TillError {
    TillError::Corrupt(format!("stored {what} is invalid"))
}

const SHIFT_COLS: &str =
    "id, opened_at_ms, opened_by, float, closed_at_ms, closed_by, counted_cash";

fn shift_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Shift, Option<Money>, String)> {
    let id: String = r.get(0)?;
    Ok((
        Shift {
            id: Uuid::nil(),
            opened_at_ms: r.get::<_, i64>(1)?.max(0) as u64,
            opened_by: r.get(2)?,
            float: r.get(3)?,
            closed_at_ms: r.get::<_, Option<i64>>(4)?.map(|v| v.max(0) as u64),
            closed_by: r.get(5)?,
        },
        r.get(6)?,
        id,
    ))
}

fn finish_row(
    (mut shift, counted, id): (Shift, Option<Money>, String),
) -> Result<(Shift, Option<Money>)> {
    shift.id = id.parse().map_err(|_| corrupt("shift id"))?;
    Ok((shift, counted))
}

/// The open shift, with the cash counted (None while open).
fn open_shift_row(conn: &Connection) -> Result<Option<Shift>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE closed_at_ms IS NULL"
        ))?
        .query_row([], shift_row)
        .optional()?;
    Ok(match row {
        None => None,
        Some(r) => Some(finish_row(r)?.0),
    })
}

fn shift_by_id(conn: &Connection, id: &Uuid) -> Result<Option<(Shift, Option<Money>)>> {
    let row = conn
        .prepare_cached(&format!("SELECT {SHIFT_COLS} FROM shifts WHERE id = ?1"))?
        .query_row([id.to_string()], shift_row)
        .optional()?;
    row.map(finish_row).transpose()
}

fn by_tender(conn: &Connection, table: &str, shift: &str) -> Result<Vec<Tender>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.kind, SUM(t.amount) FROM tenders t JOIN {table} r ON r.id = t.record_id
         WHERE r.shift_id = ?1 GROUP BY t.kind"
    ))?;
    let rows = stmt.query_map([shift], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, amount) = row?;
        let kind: TenderKind = kind.parse().map_err(|_| corrupt("tender kind"))?;
        out.push(Tender { kind, amount });
    }
    // Always cash, card, other.
    out.sort_by_key(|t| t.kind);
    Ok(out)
}

fn movements(conn: &Connection, shift: &str) -> Result<Vec<CashMovement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, kind, amount, reason, by_user FROM cash_movements
         WHERE shift_id = ?1 ORDER BY at_ms, id",
    )?;
    let rows = stmt.query_map([shift], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at_ms, kind, amount, reason, by) = row?;
        out.push(CashMovement {
            id: id.parse().map_err(|_| corrupt("cash movement id"))?,
            at_ms: at_ms.max(0) as u64,
            kind: match kind.as_str() {
                "in" => CashMovementKind::In,
                "out" => CashMovementKind::Out,
                _ => return Err(corrupt("cash movement kind")),
            },
            amount,
            reason,
            by,
        });
    }
    Ok(out)
}

/// The totals of `shift` as stored now.
pub fn summary(conn: &Connection, shift: Shift) -> Result<ShiftSummary> {
    let id = shift.id.to_string();
    let (sales_count, net_sales): (i64, i64) = conn
        .prepare_cached("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales WHERE shift_id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (gross_sales, discounts): (i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(l.qty * l.unit_price), 0), COALESCE(SUM(l.discount), 0)
             FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.shift_id = ?1",
        )?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (returns_count, refunds): (i64, i64) = conn
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(total_refund), 0) FROM returns WHERE shift_id = ?1",
        )?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let sales_by_tender = by_tender(conn, "sales", &id)?;
    let refunds_by_tender = by_tender(conn, "returns", &id)?;
    let movements = movements(conn, &id)?;
    let sum_kind = |k: CashMovementKind| -> Money {
        movements
            .iter()
            .filter(|m| m.kind == k)
            .map(|m| m.amount)
            .sum()
    };
    let (cash_in, cash_out) = (
        sum_kind(CashMovementKind::In),
        sum_kind(CashMovementKind::Out),
    );
    let cash_of = |ts: &[Tender]| -> Money {
        ts.iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| t.amount)
            .sum()
    };
    let expected_cash =
        shift.float + cash_of(&sales_by_tender) - cash_of(&refunds_by_tender) + cash_in - cash_out;
    let (first_receipt, last_receipt): (Option<String>, Option<String>) = conn
        .prepare_cached(
            "SELECT MIN(receipt), MAX(receipt) FROM (
                 SELECT receipt FROM sales WHERE shift_id = ?1
                 UNION ALL SELECT receipt FROM returns WHERE shift_id = ?1)",
        )?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(ShiftSummary {
        shift,
        sales_count: sales_count as u64,
        returns_count: returns_count as u64,
        gross_sales,
        discounts,
        net_sales,
        refunds,
        sales_by_tender,
        refunds_by_tender,
        cash_in,
        cash_out,
        movements,
        expected_cash,
        first_receipt,
        last_receipt,
    })
}

/// The printable Z report.
pub fn render_z_report(
    s: &ShiftSummary,
    counted_cash: Money,
    store: &str,
    till_no: u32,
    currency: &str,
) -> String {
    let m = |v: Money| format_money(v, currency);
    let mut out = String::new();
    line(&mut out, "Z REPORT", &format!("{store} till {till_no:02}"));
    out.push_str(&format!("shift {}\n", s.shift.id));
    out.push_str(&format!(
        "opened {} by {}\n",
        format_time(s.shift.opened_at_ms),
        s.shift.opened_by
    ));
    if let (Some(at), Some(by)) = (s.shift.closed_at_ms, &s.shift.closed_by) {
        out.push_str(&format!("closed {} by {by}\n", format_time(at)));
    }
    if let (Some(a), Some(b)) = (&s.first_receipt, &s.last_receipt) {
        out.push_str(&format!("receipts {a} .. {b}\n"));
    }
    rule(&mut out);
    line(
        &mut out,
        &format!("sales ({})", s.sales_count),
        &m(s.gross_sales),
    );
    line(&mut out, "discounts", &m(-s.discounts));
    line(&mut out, "net sales", &m(s.net_sales));
    for t in &s.sales_by_tender {
        line(&mut out, &format!("  {}", t.kind.as_str()), &m(t.amount));
    }
    line(
        &mut out,
        &format!("refunds ({})", s.returns_count),
        &m(-s.refunds),
    );
    for t in &s.refunds_by_tender {
        line(&mut out, &format!("  {}", t.kind.as_str()), &m(-t.amount));
    }
    rule(&mut out);
    line(&mut out, "float", &m(s.shift.float));
    for mv in &s.movements {
        let sign = if mv.kind == CashMovementKind::In {
            1
        } else {
            -1
        };
        line(
            &mut out,
            &format!("cash {} ({}, {})", mv.kind.as_str(), mv.reason, mv.by),
            &m(sign * mv.amount),
        );
    }
    line(&mut out, "expected cash", &m(s.expected_cash));
    line(&mut out, "counted cash", &m(counted_cash));
    let diff = counted_cash - s.expected_cash;
    let label = match diff.cmp(&0) {
        std::cmp::Ordering::Less => "SHORT",
        std::cmp::Ordering::Equal => "over/short",
        std::cmp::Ordering::Greater => "OVER",
    };
    line(&mut out, label, &m(diff));
    out
}

fn check_amount(what: &str, amount: Money, min: Money) -> Result<()> {
    if !(min..=MAX_AMOUNT).contains(&amount) {
        return Err(TillError::InvalidInput(format!(
            "{what} must be from {min} to {MAX_AMOUNT} minor units, not {amount}"
        )));
    }
    Ok(())
}

impl Till {
    /// Open a shift with `float` in the drawer. Refused while one is open
    /// ([`TillError::ShiftAlreadyOpen`]).
    pub fn open_shift(&mut self, by: &str, float: Money) -> Result<Shift> {
        let by = clean_name(by, "who opens the shift")?;
        check_amount("the float", float, 0)?;
        let tx = db::write_tx(&mut self.conn)?;
        db::require_enrolment(&tx)?;
        if open_shift_row(&tx)?.is_some() {
            return Err(TillError::ShiftAlreadyOpen);
        }
        let shift = Shift {
            id: Uuid::now_v7(),
            opened_at_ms: db::now_ms(),
            opened_by: by,
            float,
            closed_at_ms: None,
            closed_by: None,
        };
        tx.execute(
            "INSERT INTO shifts(id, opened_at_ms, opened_by, float) VALUES (?1, ?2, ?3, ?4)",
            params![
                shift.id.to_string(),
                shift.opened_at_ms as i64,
                shift.opened_by,
                shift.float
            ],
        )?;
        tx.commit()?;
        tracing::info!(shift = %shift.id, by = %shift.opened_by, float, "shift opened");
        Ok(shift)
    }

    /// The open shift with its running totals, if one is open.
    pub fn current_shift(&self) -> Result<Option<ShiftSummary>> {
        match open_shift_row(&self.conn)? {
            None => Ok(None),
            Some(shift) => Ok(Some(summary(&self.conn, shift)?)),
        }
    }

    /// Put cash into or take it out of the drawer during the open shift.
    /// Taking out more than the drawer should hold is refused.
    pub fn cash_movement(
        &mut self,
        kind: CashMovementKind,
        amount: Money,
        reason: &str,
        by: &str,
    ) -> Result<CashMovement> {
        let by = clean_name(by, "who moves the cash")?;
        check_amount("a cash movement", amount, 1)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(TillError::InvalidInput(
                "give a reason for the cash movement (1 to 200 characters)".into(),
            ));
        }
        let tx = db::write_tx(&mut self.conn)?;
        let shift = open_shift_row(&tx)?.ok_or(TillError::NoOpenShift)?;
        let shift_id = shift.id;
        if kind == CashMovementKind::Out {
            let expected = summary(&tx, shift)?.expected_cash;
            if amount > expected {
                return Err(TillError::InvalidInput(format!(
                    "cannot take {amount} out of the drawer: it should only hold {expected}"
                )));
            }
        }
        let mv = CashMovement {
            id: Uuid::now_v7(),
            at_ms: db::now_ms(),
            kind,
            amount,
            reason: reason.to_owned(),
            by,
        };
        tx.execute(
            "INSERT INTO cash_movements(id, shift_id, at_ms, kind, amount, reason, by_user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                mv.id.to_string(),
                shift_id.to_string(),
                mv.at_ms as i64,
                kind.as_str(),
                amount,
                mv.reason,
                mv.by
            ],
        )?;
        tx.commit()?;
        tracing::info!(shift = %shift_id, kind = kind.as_str(), amount, by = %mv.by, "cash movement");
        Ok(mv)
    }

    /// Close the open shift with the cash counted; returns the Z report.
    pub fn close_shift(&mut self, by: &str, counted_cash: Money) -> Result<ZReport> {
        let by = clean_name(by, "who closes the shift")?;
        check_amount("the counted cash", counted_cash, 0)?;
        let tx = db::write_tx(&mut self.conn)?;
        let enrolment = db::require_enrolment(&tx)?;
        let mut shift = open_shift_row(&tx)?.ok_or(TillError::NoOpenShift)?;
        let now = db::now_ms();
        tx.execute(
            "UPDATE shifts SET closed_at_ms = ?2, closed_by = ?3, counted_cash = ?4 WHERE id = ?1",
            params![shift.id.to_string(), now as i64, by, counted_cash],
        )?;
        shift.closed_at_ms = Some(now);
        shift.closed_by = Some(by);
        let summary = summary(&tx, shift)?;
        tx.commit()?;
        let report = z_report_of(summary, counted_cash, &enrolment);
        tracing::info!(
            shift = %report.summary.shift.id,
            expected = report.summary.expected_cash,
            counted = counted_cash,
            over_short = report.over_short,
            "shift closed"
        );
        Ok(report)
    }

    /// The Z report of a closed shift again (reprint).
    pub fn z_report(&self, shift_id: &Uuid) -> Result<ZReport> {
        let enrolment = db::require_enrolment(&self.conn)?;
        let (shift, counted) = shift_by_id(&self.conn, shift_id)?
            .ok_or_else(|| TillError::UnknownShift(shift_id.to_string()))?;
        let Some(counted) = counted.filter(|_| shift.closed_at_ms.is_some()) else {
            return Err(TillError::InvalidInput(format!(
                "shift {shift_id} is still open: close it for its Z report (its running totals are in the current shift)"
            )));
        };
        Ok(z_report_of(
            summary(&self.conn, shift)?,
            counted,
            &enrolment,
        ))
    }

    /// The latest shifts, newest first (at most `limit`, up to 1000).
    pub fn shifts(&self, limit: usize) -> Result<Vec<Shift>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SHIFT_COLS} FROM shifts ORDER BY opened_at_ms DESC, id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit.min(1000) as i64], shift_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(finish_row(row?)?.0);
        }
        Ok(out)
    }
}

fn z_report_of(summary: ShiftSummary, counted_cash: Money, e: &db::Enrolment) -> ZReport {
    let text = render_z_report(
        &summary,
        counted_cash,
        e.store.as_str(),
        e.till_no,
        &e.currency,
    );
    ZReport {
        over_short: counted_cash - summary.expected_cash,
        counted_cash,
        summary,
        text,
    }
}
