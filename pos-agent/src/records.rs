//! Sale and return records in SQLite: insert (idempotent, grow-only set) and
//! load back as the protocol's [`SaleRecord`] / [`ReturnRecord`].
//!
//! Used both for the till's own records (`local = 1`) and for records of the
//! store's other tills received downstream (`local = 0`). Inserting a record
//! whose id is already there changes nothing (`ON CONFLICT DO NOTHING`), and
//! its lines and tenders are only written together with a new record.

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::op::{ReturnLine, ReturnRecord, SaleLine, SaleRecord, Tender, TenderKind};
use uuid::Uuid;

use crate::error::{Result, TillError};

fn corrupt(what: &str) -> TillError {
    TillError::Corrupt(format!("stored {what} is invalid"))
}

fn insert_tenders(conn: &Connection, record_id: &str, tenders: &[Tender]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tenders(record_id, idx, kind, amount) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    for (i, t) in tenders.iter().enumerate() {
        stmt.execute(params![record_id, i as i64, t.kind.as_str(), t.amount])?;
    }
    Ok(())
}

/// Insert a sale with its lines and tenders; `false` if it was already there.
pub fn insert_sale(conn: &Connection, s: &SaleRecord, local: bool) -> Result<bool> {
    insert_sale_labelled(conn, s, local, &[])
}

/// [`insert_sale`] keeping, per line, the label of the price rule that set
/// its price (`labels[i]` for line `i`; missing entries = catalog price).
pub fn insert_sale_labelled(
    conn: &Connection,
    s: &SaleRecord,
    local: bool,
    labels: &[Option<String>],
) -> Result<bool> {
    let id = s.id.to_string();
    let n = conn
        .prepare_cached(
            "INSERT INTO sales(id, receipt, store, till, cashier, total, change_given, currency, sold_at_ms, local, member)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            id,
            s.receipt.as_str(),
            s.store.as_str(),
            s.till.to_string(),
            s.cashier,
            s.total,
            s.change_given,
            s.currency,
            s.sold_at_ms as i64,
            local,
            s.member.map(|m| m.to_string())
        ])?;
    if n == 0 {
        return Ok(false);
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO sale_lines(sale_id, line_no, sku, name, qty, unit_price, discount, line_total, price_label)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (i, l) in s.lines.iter().enumerate() {
        stmt.execute(params![
            id,
            i as i64,
            l.sku.as_str(),
            l.name,
            l.qty,
            l.unit_price,
            l.discount,
            l.line_total,
            labels.get(i).cloned().flatten()
        ])?;
    }
    insert_tenders(conn, &id, &s.tenders)?;
    Ok(true)
}

/// Insert a return with its lines and refunds; `false` if it was already there.
pub fn insert_return(conn: &Connection, r: &ReturnRecord, local: bool) -> Result<bool> {
    let id = r.id.to_string();
    let n = conn
        .prepare_cached(
            "INSERT INTO returns(id, receipt, original_sale, original_receipt, store, till, total_refund, currency, returned_at_ms, local)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            id,
            r.receipt.as_str(),
            r.original_sale.to_string(),
            r.original_receipt.as_str(),
            r.store.as_str(),
            r.till.to_string(),
            r.total_refund,
            r.currency,
            r.returned_at_ms as i64,
            local
        ])?;
    if n == 0 {
        return Ok(false);
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO return_lines(return_id, line_no, sku, qty, refund) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, l) in r.lines.iter().enumerate() {
        stmt.execute(params![id, i as i64, l.sku.as_str(), l.qty, l.refund])?;
    }
    insert_tenders(conn, &id, &r.refunds)?;
    Ok(true)
}

fn load_tenders(conn: &Connection, record_id: &str) -> Result<Vec<Tender>> {
    let mut stmt =
        conn.prepare_cached("SELECT kind, amount FROM tenders WHERE record_id = ?1 ORDER BY idx")?;
    let rows = stmt.query_map([record_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, amount) = row?;
        let kind: TenderKind = kind.parse().map_err(|_| corrupt("tender kind"))?;
        out.push(Tender { kind, amount });
    }
    Ok(out)
}

/// Load a sale by id.
pub fn load_sale(conn: &Connection, id: &str) -> Result<Option<SaleRecord>> {
    let head = conn
        .prepare_cached(
            "SELECT receipt, store, till, cashier, total, change_given, currency, sold_at_ms, member
             FROM sales WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })
        .optional()?;
    let Some((receipt, store, till, cashier, total, change_given, currency, sold_at_ms, member)) =
        head
    else {
        return Ok(None);
    };
    let member = match member {
        None => None,
        Some(m) => Some(m.parse().map_err(|_| corrupt("sale member"))?),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT sku, name, qty, unit_price, discount, line_total FROM sale_lines
         WHERE sale_id = ?1 ORDER BY line_no",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in rows {
        let (sku, name, qty, unit_price, discount, line_total) = row?;
        lines.push(SaleLine {
            sku: sku.parse().map_err(|_| corrupt("sale line sku"))?,
            name,
            qty,
            unit_price,
            discount,
            line_total,
        });
    }
    Ok(Some(SaleRecord {
        id: id.parse().map_err(|_| corrupt("sale id"))?,
        receipt: receipt.parse().map_err(|_| corrupt("receipt number"))?,
        store: store.parse().map_err(|_| corrupt("store"))?,
        till: till.parse().map_err(|_| corrupt("till"))?,
        cashier,
        member,
        lines,
        tenders: load_tenders(conn, id)?,
        total,
        change_given,
        currency,
        sold_at_ms: sold_at_ms as u64,
    }))
}

/// The price-rule label of each line of a sale (`None` = catalog price or
/// not known here), in line order.
pub fn sale_price_labels(conn: &Connection, id: &str) -> Result<Vec<Option<String>>> {
    let mut stmt = conn
        .prepare_cached("SELECT price_label FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no")?;
    let labels = stmt
        .query_map([id], |r| r.get::<_, Option<String>>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(labels)
}

/// Load a return by id.
pub fn load_return(conn: &Connection, id: &str) -> Result<Option<ReturnRecord>> {
    let head = conn
        .prepare_cached(
            "SELECT receipt, original_sale, original_receipt, store, till, total_refund, currency, returned_at_ms
             FROM returns WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((receipt, original_sale, original_receipt, store, till, total_refund, currency, at)) =
        head
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT sku, qty, refund FROM return_lines WHERE return_id = ?1 ORDER BY line_no",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in rows {
        let (sku, qty, refund) = row?;
        lines.push(ReturnLine {
            sku: sku.parse().map_err(|_| corrupt("return line sku"))?,
            qty,
            refund,
        });
    }
    Ok(Some(ReturnRecord {
        id: id.parse().map_err(|_| corrupt("return id"))?,
        receipt: receipt.parse().map_err(|_| corrupt("receipt number"))?,
        original_sale: original_sale
            .parse()
            .map_err(|_| corrupt("original sale id"))?,
        original_receipt: original_receipt
            .parse()
            .map_err(|_| corrupt("receipt number"))?,
        store: store.parse().map_err(|_| corrupt("store"))?,
        till: till.parse().map_err(|_| corrupt("till"))?,
        lines,
        refunds: load_tenders(conn, id)?,
        total_refund,
        currency,
        returned_at_ms: at as u64,
    }))
}

/// Id of the sale with this receipt number (the till's own first, then the
/// latest: numbers are unique unless a restored till reused them).
pub fn sale_id_by_receipt(conn: &Connection, receipt: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM sales WHERE receipt = ?1 ORDER BY local DESC, sold_at_ms DESC LIMIT 1",
        )?
        .query_row([receipt], |r| r.get(0))
        .optional()?)
}

/// Id of the return with this receipt number.
pub fn return_id_by_receipt(conn: &Connection, receipt: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM returns WHERE receipt = ?1 ORDER BY local DESC, returned_at_ms DESC LIMIT 1",
        )?
        .query_row([receipt], |r| r.get(0))
        .optional()?)
}

/// Every return recorded against a sale.
pub fn returns_for_sale(conn: &Connection, sale_id: &Uuid) -> Result<Vec<ReturnRecord>> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM returns WHERE original_sale = ?1 ORDER BY returned_at_ms, id",
        )?
        .query_map([sale_id.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(r) = load_return(conn, &id)? {
            out.push(r);
        }
    }
    Ok(out)
}
