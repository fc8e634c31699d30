//! What tills receive: the downstream log and bootstrap snapshots.
//!
//! - [`RecentLog`] keeps the most recently committed ops in memory (a ring
//!   appended by the writer after each commit), so live fan-out to tills
//!   that are near the head never touches SQLite.
//! - [`read_log`] (for tills further behind) reads, in one read transaction, the next ops after a
//!   cursor for a till's scopes (catalog, its store, broadcast), excluding
//!   the till's own ops. It queries each scope along the
//!   `op_log(scope_no, cursor, actor_no)` index and merges, so a till never scans
//!   other stores' traffic. `to_cursor` is the last log position examined.
//! - [`encode_ops_frame`] splices the ops' stored MessagePack bytes into an
//!   `Ops` frame without decoding them — byte-identical to
//!   `sync_proto::wire::encode` (tested), and much cheaper when one op fans
//!   out to many tills.
//! - [`read_snapshot`] reads current state (catalog fields with their
//!   winning HLC, the store's stock counter entries, and in `records` the
//!   winning ops of its store's staff, of every member and of live price
//!   rules; chat; limited items and coupons — `crate::drops::snapshot_records`; the store's
//!   in-transit counters and its orders, deliveries and receivings —
//!   `crate::logistics::snapshot_records`) in one read transaction — never the history — in chunks.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, params};
use sync_proto::state::{CatalogEntry, StockCounterRow};
use sync_proto::wire::{self, Frame, MAX_FRAME_BYTES, SnapshotChunk};
use sync_proto::{ActorId, Hlc, Scope, StoreId};
use uuid::Uuid;

use crate::HubError;

/// Most entries (catalog + stock) in one snapshot chunk.
pub const SNAPSHOT_CHUNK: usize = 2000;

/// Byte budget of the ops of one `Ops` frame: well under the frame limit,
/// to bound the memory of frames queued for slow tills.
const OPS_FRAME_BUDGET: usize = MAX_FRAME_BYTES / 4;

/// The scopes a till of `store` receives.
pub fn till_scopes(store: &StoreId) -> Vec<String> {
    vec![
        Scope::Catalog.to_string(),
        Scope::Store(store.clone()).to_string(),
        Scope::Broadcast.to_string(),
    ]
}

/// One read of the log for a till.
#[derive(Debug, Default)]
pub struct LogBatch {
    /// Log position of the last op examined (the till's next cursor).
    pub to_cursor: u64,
    /// The log head when read.
    pub head: u64,
    /// Stored op encodings, in log order.
    pub ops: Vec<Bytes>,
}

/// Small integer ids for scope strings, shared by the writer and the pumps.
#[derive(Default)]
pub struct ScopeIds {
    ids: Mutex<HashMap<String, u32>>,
}

impl ScopeIds {
    /// The id of `scope`, assigned on first use.
    pub fn id(&self, scope: &str) -> u32 {
        let mut ids = self.ids.lock();
        if let Some(id) = ids.get(scope) {
            return *id;
        }
        let id = ids.len() as u32;
        ids.insert(scope.to_owned(), id);
        id
    }
}

/// A committed op in the recent log.
#[derive(Debug, Clone)]
pub struct RecentOp {
    /// Its log position.
    pub cursor: u64,
    /// Its scope ([`ScopeIds`]).
    pub scope: u32,
    /// Who made it.
    pub actor: ActorId,
    /// Its stored encoding.
    pub bytes: Bytes,
}

struct Ring {
    ops: VecDeque<RecentOp>,
    bytes: usize,
}

/// The most recent committed ops, contiguous in cursor order, bounded in bytes.
pub struct RecentLog {
    ring: RwLock<Ring>,
    max_bytes: usize,
}

impl RecentLog {
    /// An empty ring holding at most about `max_bytes` of op encodings.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            ring: RwLock::new(Ring {
                ops: VecDeque::new(),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    /// Append ops just committed (in cursor order).
    pub fn append(&self, ops: Vec<RecentOp>) {
        let mut ring = self.ring.write();
        for op in ops {
            let contiguous = ring
                .ops
                .back()
                .is_none_or(|last| last.cursor + 1 == op.cursor);
            if !contiguous {
                ring.ops.clear();
                ring.bytes = 0;
            }
            ring.bytes += op.bytes.len();
            ring.ops.push_back(op);
        }
        while ring.bytes > self.max_bytes && ring.ops.len() > 1 {
            if let Some(old) = ring.ops.pop_front() {
                ring.bytes -= old.bytes.len();
            }
        }
    }

    /// The next ops after `from` for `scopes` not made by `exclude`, if the
    /// ring covers everything after `from`; `None` sends the caller to SQLite.
    pub fn read(
        &self,
        scopes: &[u32],
        exclude: &ActorId,
        from: u64,
        limit: usize,
    ) -> Option<LogBatch> {
        let ring = self.ring.read();
        let first = ring.ops.front()?.cursor;
        let head = ring.ops.back()?.cursor;
        if from + 1 < first || from >= head {
            return None;
        }
        let mut batch = LogBatch {
            to_cursor: from,
            head,
            ops: Vec::new(),
        };
        let mut bytes = 0usize;
        for op in ring.ops.range((from + 1 - first) as usize..) {
            if scopes.contains(&op.scope) && op.actor != *exclude {
                if batch.ops.len() >= limit
                    || (!batch.ops.is_empty() && bytes + op.bytes.len() > OPS_FRAME_BUDGET)
                {
                    break;
                }
                bytes += op.bytes.len();
                batch.ops.push(op.bytes.clone());
            }
            batch.to_cursor = op.cursor;
        }
        Some(batch)
    }
}

/// Read the next ops after `from` for `scopes`, not made by `exclude`.
pub fn read_log(
    conn: &mut Connection,
    scopes: &[String],
    exclude: &ActorId,
    from: u64,
    limit: usize,
) -> Result<LogBatch, HubError> {
    let tx = conn.transaction()?;
    let head: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(cursor), 0) FROM op_log")?
        .query_row([], |r| r.get(0))?;
    let head = head as u64;
    let mut bound = head;
    let mut rows: Vec<(u64, Vec<u8>)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT cursor, body FROM op_log
             WHERE scope_no = (SELECT no FROM scopes WHERE scope = ?1)
               AND cursor > ?2 AND cursor <= ?3
               AND actor_no IS NOT (SELECT no FROM actors WHERE actor = ?4)
             ORDER BY cursor LIMIT ?5",
        )?;
        for scope in scopes {
            let mut n = 0usize;
            let mut last = 0u64;
            let mut q = stmt.query(params![
                scope,
                from as i64,
                head as i64,
                exclude.0.as_bytes().as_slice(),
                limit as i64
            ])?;
            while let Some(r) = q.next()? {
                let c: i64 = r.get(0)?;
                last = c as u64;
                rows.push((last, r.get(1)?));
                n += 1;
            }
            if n >= limit {
                bound = bound.min(last);
            }
        }
    }
    tx.finish()?;
    rows.retain(|(c, _)| *c <= bound);
    rows.sort_unstable_by_key(|(c, _)| *c);
    let mut bytes = 0usize;
    let mut keep = rows.len();
    for (i, (_, body)) in rows.iter().enumerate() {
        if i >= limit || (i > 0 && bytes + body.len() > OPS_FRAME_BUDGET) {
            keep = i;
            break;
        }
        bytes += body.len();
    }
    if keep < rows.len() {
        rows.truncate(keep);
        if let Some((c, _)) = rows.last() {
            bound = *c;
        }
    }
    Ok(LogBatch {
        to_cursor: bound.max(from),
        head,
        ops: rows.into_iter().map(|(_, b)| Bytes::from(b)).collect(),
    })
}

fn put_uint(out: &mut Vec<u8>, v: u64) {
    if v < 128 {
        out.push(v as u8);
    } else if v <= u64::from(u8::MAX) {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u64::from(u16::MAX) {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u64::from(u32::MAX) {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Only short field names are written here.
    debug_assert!(s.len() < 32);
    out.push(0xa0 | s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

fn put_array_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x90 | n as u8);
    } else if n <= usize::from(u16::MAX) {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// Encode `Frame::Ops` from stored op encodings, exactly as
/// `wire::encode` would (MessagePack, named fields, current version).
pub fn encode_ops_frame<B: AsRef<[u8]>>(
    from_cursor: u64,
    to_cursor: u64,
    caught_up: bool,
    ops: &[B],
) -> Vec<u8> {
    let body: usize = ops.iter().map(|o| o.as_ref().len()).sum();
    let mut out = Vec::with_capacity(body + 96);
    out.push(0x82); // envelope { v, frame }
    put_str(&mut out, "v");
    put_uint(&mut out, u64::from(wire::PROTOCOL_VERSION));
    put_str(&mut out, "frame");
    out.push(0x81); // { "Ops": … }
    put_str(&mut out, "Ops");
    out.push(0x84); // OpsBatch, four fields
    put_str(&mut out, "from_cursor");
    put_uint(&mut out, from_cursor);
    put_str(&mut out, "to_cursor");
    put_uint(&mut out, to_cursor);
    put_str(&mut out, "ops");
    put_array_len(&mut out, ops.len());
    for op in ops {
        out.extend_from_slice(op.as_ref());
    }
    put_str(&mut out, "caught_up");
    out.push(if caught_up { 0xc3 } else { 0xc2 });
    out
}

/// Read the bootstrap snapshot for a till of `store` and hand each encoded
/// `Snapshot` frame to `emit` (which may block for backpressure). Returns
/// the snapshot's `at_cursor`.
pub fn read_snapshot(
    conn: &mut Connection,
    store: &StoreId,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), HubError>,
) -> Result<u64, HubError> {
    let tx = conn.transaction()?;
    let at: i64 = tx.query_row("SELECT COALESCE(MAX(cursor), 0) FROM op_log", [], |r| {
        r.get(0)
    })?;
    let at_cursor = at as u64;
    let mut chunk = SnapshotChunk {
        at_cursor,
        catalog: Vec::new(),
        stock: Vec::new(),
        records: Vec::new(),
        done: false,
    };
    let mut flush = |chunk: &mut SnapshotChunk, done: bool| -> Result<(), HubError> {
        chunk.done = done;
        let bytes = wire::encode(&Frame::Snapshot(chunk.clone()))
            .map_err(|e| HubError::Internal(format!("encoding snapshot: {e}")))?;
        chunk.catalog.clear();
        chunk.stock.clear();
        chunk.records.clear();
        emit(bytes)
    };
    {
        let mut stmt = tx.prepare(
            "SELECT sku, value, hlc_wall, hlc_counter, hlc_actor FROM catalog_field ORDER BY sku, field",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let sku: String = r.get(0)?;
            let value: String = r.get(1)?;
            let actor: Vec<u8> = r.get(4)?;
            let (Ok(sku), Ok(field), Ok(actor)) = (
                sku.parse(),
                serde_json::from_str(&value),
                Uuid::from_slice(&actor),
            ) else {
                tracing::error!(%sku, "unreadable catalog row skipped in snapshot");
                continue;
            };
            let wall: i64 = r.get(2)?;
            chunk.catalog.push(CatalogEntry {
                sku,
                field,
                hlc: Hlc {
                    wall_ms: wall as u64,
                    counter: r.get(3)?,
                    actor: ActorId(actor),
                },
            });
            if chunk.catalog.len() + chunk.stock.len() >= SNAPSHOT_CHUNK {
                flush(&mut chunk, false)?;
            }
        }
    }
    // The store's own counters and those of its in-transit location (deliveries on the way).
    for location in [store.clone(), sync_proto::LocationId::in_transit_to(store)] {
        let mut stmt = tx.prepare(
            "SELECT sku, actor, inc_total, dec_total FROM stock_counter WHERE location = ?1 ORDER BY sku",
        )?;
        let mut rows = stmt.query([location.as_str()])?;
        while let Some(r) = rows.next()? {
            let sku: String = r.get(0)?;
            let actor: Vec<u8> = r.get(1)?;
            let (Ok(sku), Ok(actor)) = (sku.parse(), Uuid::from_slice(&actor)) else {
                tracing::error!(%sku, "unreadable stock row skipped in snapshot");
                continue;
            };
            let inc: i64 = r.get(2)?;
            let dec: i64 = r.get(3)?;
            chunk.stock.push(StockCounterRow {
                location: location.clone(),
                sku,
                actor: ActorId(actor),
                inc_total: inc as u64,
                dec_total: dec as u64,
            });
            if chunk.catalog.len() + chunk.stock.len() >= SNAPSHOT_CHUNK {
                flush(&mut chunk, false)?;
            }
        }
    }
    // Winning ops of the LWW records the till needs: its store's staff.
    chunk
        .records
        .extend(crate::accounts::snapshot_staff(&tx, store)?);
    // H2: members and price rules, as their winning ops.
    crate::reports::snapshot_records(&tx, crate::now_ms(), |op| {
        chunk.records.push(op);
        if chunk.catalog.len() + chunk.stock.len() + chunk.records.len() >= SNAPSHOT_CHUNK {
            flush(&mut chunk, false)?;
        }
        Ok(())
    })?;
    // Issue 6: the store's recent chat, open tickets, pending announcements, reads and acks.
    crate::chat::snapshot_records(&tx, store.as_str(), |op| {
        chunk.records.push(op);
        if chunk.catalog.len() + chunk.stock.len() + chunk.records.len() >= SNAPSHOT_CHUNK {
            flush(&mut chunk, false)?;
        }
        Ok(())
    })?;
    // Issue 7: limit definitions, escrow entries, the store's open holds, coupon redemptions.
    crate::drops::snapshot_records(&tx, store.as_str(), |op| {
        chunk.records.push(op);
        if chunk.catalog.len() + chunk.stock.len() + chunk.records.len() >= SNAPSHOT_CHUNK {
            flush(&mut chunk, false)?;
        }
        Ok(())
    })?;
    // Issue 5: the store's open and recent orders, deliveries and receivings with their status.
    crate::logistics::snapshot_records(&tx, store.as_str(), |op| {
        chunk.records.push(op);
        if chunk.catalog.len() + chunk.stock.len() + chunk.records.len() >= SNAPSHOT_CHUNK {
            flush(&mut chunk, false)?;
        }
        Ok(())
    })?;
    flush(&mut chunk, true)?;
    tx.finish()?;
    Ok(at_cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_proto::wire::OpsBatch;
    use sync_proto::{CatalogField, CatalogSet, Op, OpBody};

    fn op(seq: u64) -> Op {
        let a = ActorId(Uuid::from_bytes([3; 16]));
        Op {
            actor: a,
            seq,
            hlc: Hlc {
                wall_ms: 1_700_000_000_000 + seq,
                counter: 7,
                actor: a,
            },
            scope: Scope::Catalog,
            body: OpBody::CatalogSet(CatalogSet {
                sku: "TSH-1".parse().expect("sku"),
                field: CatalogField::Price(29_000),
            }),
        }
    }

    #[test]
    fn recent_log_filters_scopes_and_the_till_itself_and_knows_its_limits() {
        let me = ActorId(Uuid::from_bytes([1; 16]));
        let other = ActorId(Uuid::from_bytes([2; 16]));
        let log = RecentLog::new(10_000);
        let entry = |cursor: u64, scope: u32, actor: ActorId| RecentOp {
            cursor,
            scope,
            actor,
            bytes: Bytes::from(vec![cursor as u8; 10]),
        };
        assert!(
            log.read(&[0], &me, 0, 10).is_none(),
            "empty ring: use SQLite"
        );
        // cursors 5..=10: scope 0 is ours, scope 1 another store's.
        log.append(vec![
            entry(5, 0, other),
            entry(6, 1, other),
            entry(7, 0, me),
            entry(8, 0, other),
        ]);
        log.append(vec![entry(9, 1, other), entry(10, 0, other)]);
        let b = log.read(&[0], &me, 4, 10).expect("covered");
        assert_eq!(b.to_cursor, 10);
        assert_eq!(b.head, 10);
        let firsts: Vec<u8> = b.ops.iter().map(|o| o[0]).collect();
        assert_eq!(firsts, vec![5, 8, 10]);
        // A limit stops at the last op taken; the cursor covers what was examined.
        let b = log.read(&[0], &me, 4, 2).expect("covered");
        assert_eq!(b.ops.len(), 2);
        assert_eq!(b.to_cursor, 9);
        // Older than the ring, or already at its head: not answerable here.
        assert!(log.read(&[0], &me, 3, 10).is_none());
        assert!(log.read(&[0], &me, 10, 10).is_none());
        // A gap in cursors restarts the ring.
        log.append(vec![entry(20, 0, other)]);
        assert!(log.read(&[0], &me, 10, 10).is_none());
        assert_eq!(log.read(&[0], &me, 19, 10).expect("covered").ops.len(), 1);
    }

    #[test]
    fn spliced_ops_frames_equal_the_wire_encoding() {
        for (n, from, to) in [
            (0usize, 0u64, 0u64),
            (3, 5, 200),
            (20, 70_000, 5_000_000_000),
        ] {
            let ops: Vec<Op> = (1..=n as u64).map(op).collect();
            let stored: Vec<Vec<u8>> = ops
                .iter()
                .map(|o| rmp_serde::to_vec_named(o).expect("enc"))
                .collect();
            let frame = Frame::Ops(OpsBatch {
                from_cursor: from,
                to_cursor: to,
                ops,
                caught_up: n % 2 == 0,
            });
            let ours = encode_ops_frame(from, to, n % 2 == 0, &stored);
            assert_eq!(ours, wire::encode(&frame).expect("encode"));
            assert_eq!(wire::decode(&ours).expect("decode"), frame);
        }
    }
}
