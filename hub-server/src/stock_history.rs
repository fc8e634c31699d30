//! The history of a SKU's stock movements, read from the op log.
//!
//! Every stock move is an op in `op_log` (delta, reason, reference, actor). The writer keeps
//! only a compact index beside it — `stock_move_index (location_no, sku_no, cursor)`, three
//! integers per move — because stock moves are three of every four ops a till sends and a
//! wide history table cost more than half of the hub's ingest rate. Reading a page:
//!
//! - SKU at a location: one range of the index, newest first.
//! - SKU everywhere: the same range per location that holds the SKU, merged.
//! - everything at a location: the log's own `(scope_no, cursor)` index for `store:<location>`,
//!   keeping the stock moves (a bounded scan; the page says where to continue).
//!
//! The ops are then read by cursor and decoded.

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::{ActorId, Op, OpBody, StockMove};

use crate::HubError;

/// Most log rows one location-only page scans, per movement asked for.
const SCAN_PER_ITEM: usize = 50;

/// One stock movement as the log holds it.
#[derive(Debug, Clone)]
pub struct Movement {
    /// Log position.
    pub cursor: i64,
    /// The op's HLC wall clock (ms).
    pub at_ms: i64,
    /// Who made it.
    pub actor: ActorId,
    /// The move.
    pub stock_move: StockMove,
    /// The HQ user, for the hub's own moves.
    pub hq_user: Option<String>,
}

/// A page of movements, newest first, and where the next page starts.
#[derive(Debug, Default)]
pub struct Page {
    /// The movements.
    pub items: Vec<Movement>,
    /// `before` of the next page; `None` at the end.
    pub next_before: Option<i64>,
}

/// Movements of `sku` and/or at `location` with a cursor below `before`, at most `limit`.
pub fn page(
    c: &Connection,
    sku: Option<&str>,
    location: Option<&str>,
    before: Option<i64>,
    limit: usize,
) -> Result<Page, HubError> {
    let before = before.unwrap_or(i64::MAX);
    let location_no = match location {
        Some(l) => match scope_no(c, l)? {
            Some(no) => Some(no),
            None => return Ok(Page::default()),
        },
        None => None,
    };
    let sku_no = match sku {
        Some(s) => match sku_no(c, s)? {
            Some(no) => Some(no),
            None => return Ok(Page::default()),
        },
        None => None,
    };
    match (sku_no, location_no, location) {
        (Some(sku_no), Some(location_no), _) => {
            let cursors = index_range(c, location_no, sku_no, before, limit)?;
            finish(c, cursors, limit)
        }
        (Some(sku_no), None, _) => {
            let mut cursors = Vec::new();
            for location_no in locations_of(c, sku.unwrap_or_default())? {
                cursors.extend(index_range(c, location_no, sku_no, before, limit)?);
            }
            cursors.sort_unstable_by(|a, b| b.cmp(a));
            cursors.truncate(limit);
            finish(c, cursors, limit)
        }
        (None, Some(location_no), Some(location)) => {
            scan_location(c, location_no, location, before, limit)
        }
        _ => Ok(Page::default()),
    }
}

fn scope_no(c: &Connection, location: &str) -> Result<Option<i64>, HubError> {
    Ok(c.prepare_cached("SELECT no FROM scopes WHERE scope = ?1")?
        .query_row([format!("store:{location}")], |r| r.get(0))
        .optional()?)
}

fn sku_no(c: &Connection, sku: &str) -> Result<Option<i64>, HubError> {
    Ok(
        c.prepare_cached("SELECT no FROM sku_numbers WHERE sku = ?1")?
            .query_row([sku], |r| r.get(0))
            .optional()?,
    )
}

/// Scope numbers of the locations that ever held `sku` (they have a stock row).
fn locations_of(c: &Connection, sku: &str) -> Result<Vec<i64>, HubError> {
    let mut st = c.prepare_cached(
        "SELECT s.no FROM stock k JOIN scopes s ON s.scope = 'store:' || k.location
         WHERE k.sku = ?1",
    )?;
    let rows = st.query_map([sku], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<i64>, _>>()?)
}

fn index_range(
    c: &Connection,
    location_no: i64,
    sku_no: i64,
    before: i64,
    limit: usize,
) -> Result<Vec<i64>, HubError> {
    let mut st = c.prepare_cached(
        "SELECT cursor FROM stock_move_index
         WHERE location_no = ?1 AND sku_no = ?2 AND cursor < ?3
         ORDER BY cursor DESC LIMIT ?4",
    )?;
    let rows = st.query_map(params![location_no, sku_no, before, limit as i64], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<Result<Vec<i64>, _>>()?)
}

/// Read and decode the ops at `cursors` (newest first).
fn finish(c: &Connection, cursors: Vec<i64>, limit: usize) -> Result<Page, HubError> {
    let mut body = c.prepare_cached("SELECT body FROM op_log WHERE cursor = ?1")?;
    let mut items = Vec::with_capacity(cursors.len());
    for cursor in &cursors {
        let bytes: Option<Vec<u8>> = body.query_row([cursor], |r| r.get(0)).optional()?;
        if let Some(m) = bytes.and_then(|b| movement(c, *cursor, &b).transpose()) {
            items.push(m?);
        }
    }
    let next_before = (cursors.len() == limit)
        .then(|| cursors.last().copied())
        .flatten();
    Ok(Page { items, next_before })
}

/// Everything that moved at one location: the log of its scope, stock moves only.
fn scan_location(
    c: &Connection,
    location_no: i64,
    location: &str,
    before: i64,
    limit: usize,
) -> Result<Page, HubError> {
    let mut st = c.prepare_cached(
        "SELECT cursor, body FROM op_log WHERE scope_no = ?1 AND cursor < ?2
         ORDER BY cursor DESC LIMIT ?3",
    )?;
    let budget = limit.saturating_mul(SCAN_PER_ITEM);
    let mut rows = st.query(params![location_no, before, budget as i64])?;
    let mut items = Vec::new();
    let mut scanned = 0;
    let mut last = None;
    while let Some(row) = rows.next()? {
        let cursor: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        scanned += 1;
        last = Some(cursor);
        if let Some(m) = movement(c, cursor, &bytes)?
            && m.stock_move.location.as_str() == location
        {
            items.push(m);
            if items.len() == limit {
                break;
            }
        }
    }
    let next_before = if items.len() == limit || scanned == budget {
        last
    } else {
        None
    };
    Ok(Page { items, next_before })
}

/// The movement an op holds, if it is a stock move.
fn movement(c: &Connection, cursor: i64, bytes: &[u8]) -> Result<Option<Movement>, HubError> {
    let op: Op = match rmp_serde::from_slice(bytes) {
        Ok(op) => op,
        Err(e) => {
            tracing::warn!(cursor, error = %e, "op in the log does not decode");
            return Ok(None);
        }
    };
    let OpBody::StockMove(stock_move) = op.body else {
        return Ok(None);
    };
    let hq_user = c
        .prepare_cached("SELECT hq_user FROM stock_move_hq_user WHERE cursor = ?1")?
        .query_row([cursor], |r| r.get(0))
        .optional()?;
    Ok(Some(Movement {
        cursor,
        at_ms: op.hlc.wall_ms.min(i64::MAX as u64) as i64,
        actor: op.actor,
        stock_move,
        hq_user,
    }))
}
