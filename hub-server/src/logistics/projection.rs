//! The writer's hook for logistics ops: `sync_proto::logistics::LogisticsState` in SQL.
//!
//! Runs only for new ops (the log's `UNIQUE(actor, seq)` skips duplicates before this), inside
//! the writer's transaction. Every rule here is order-free, so replaying the log in any order
//! gives the same tables: orders keep their lowest-HLC copy, the status register keeps
//! `status_wins`' winner (and the earliest arrival beside it), approvals and deliveries keep
//! the highest HLC, receivings their lowest-HLC copy.

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::logistics::{
    Delivery, Lifecycle, OrderLine, OrderOrigin, ReceivingRecord, ReplenishmentOrder, StatusUpdate,
    Subject, status_wins,
};
use sync_proto::wire::ErrorCode;
use sync_proto::{ActorId, Hlc, Op, OpBody};
use uuid::Uuid;

use crate::HubError;
use crate::writer::Apply;

/// The HLC as three columns: `(wall, counter, actor)`.
pub(super) fn hlc_cols(h: &Hlc) -> (i64, u32, &[u8]) {
    (h.wall_ms as i64, h.counter, h.actor.0.as_bytes().as_slice())
}

/// An HLC read back from its three columns.
pub(super) fn hlc_of(wall: i64, counter: u32, actor: &[u8]) -> Result<Hlc, HubError> {
    let actor = Uuid::from_slice(actor)
        .map_err(|e| HubError::Internal(format!("corrupt HLC actor: {e}")))?;
    Ok(Hlc {
        wall_ms: wall.max(0) as u64,
        counter,
        actor: ActorId(actor),
    })
}

/// `store` / `hq_proposal`.
pub(super) fn origin_str(o: OrderOrigin) -> &'static str {
    match o {
        OrderOrigin::Store => "store",
        OrderOrigin::HqProposal => "hq_proposal",
    }
}

/// Lines as stored (JSON).
pub(super) fn lines_json<T: serde::Serialize>(lines: &[T]) -> Result<String, HubError> {
    serde_json::to_string(lines).map_err(|e| HubError::Internal(format!("encoding lines: {e}")))
}

fn forged(op: &Op, message: String) -> HubError {
    HubError::Refused {
        code: ErrorCode::InvalidOp,
        message: format!("op {}: {message}", op.seq),
    }
}

/// Fold one logistics op in. `strict` ops of a till (not the hub's own) get the checks that
/// need state first: a forged one refuses the batch.
pub fn apply_op(
    ap: &mut Apply<'_, '_>,
    op: &Op,
    cursor: u64,
    strict: bool,
) -> Result<(), HubError> {
    let from_till = strict && op.actor != ap.hub_actor();
    match &op.body {
        OpBody::ReplenishmentOrder(o) => {
            if from_till {
                check_till_order(ap.conn, op, o)?;
            }
            put_order(ap.conn, op, o, cursor)?;
            ap.logistics_touched().order(o.id);
        }
        OpBody::StatusUpdate(u) => {
            if from_till {
                check_till_status(ap.conn, op, u)?;
            }
            put_status(ap.conn, op, u, cursor)?;
            match &u.subject {
                Subject::Order { id } => ap.logistics_touched().order(*id),
                Subject::Stop { shipment, .. } => ap.logistics_touched().shipment(*shipment),
            }
        }
        OpBody::Delivery(d) => {
            put_delivery(ap.conn, op, d, cursor)?;
            ap.logistics_touched().shipment(d.shipment);
        }
        OpBody::Receiving(r) => {
            put_receiving(ap.conn, op, r, cursor)?;
            ap.logistics_touched().shipment(r.shipment);
        }
        _ => {}
    }
    Ok(())
}

/// The store of a known order.
pub(super) fn order_store(conn: &Connection, id: &Uuid) -> Result<Option<String>, HubError> {
    Ok(conn
        .prepare_cached("SELECT store FROM repl_order WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?)
}

/// An order id is made where the order is placed (UUIDv7): the same id for another store is
/// not a race, it is forged.
fn check_till_order(conn: &Connection, op: &Op, o: &ReplenishmentOrder) -> Result<(), HubError> {
    match order_store(conn, &o.id)? {
        Some(store) if store != o.store.as_str() => Err(forged(
            op,
            format!("order {} already belongs to store {store}", o.id),
        )),
        _ => Ok(()),
    }
}

/// A till may move its own store's orders and stops only. Racing HQ (cancelling an order HQ
/// has approved meanwhile) is legitimate and folded by the register; an order of another
/// store is forged.
fn check_till_status(conn: &Connection, op: &Op, u: &StatusUpdate) -> Result<(), HubError> {
    match &u.subject {
        Subject::Order { id } => match order_store(conn, id)? {
            Some(store) if store != u.store.as_str() => {
                return Err(forged(
                    op,
                    format!("order {id} belongs to store {store}, not {}", u.store),
                ));
            }
            Some(_) => {}
            None => tracing::warn!(actor = %op.actor, seq = op.seq, order = %id,
                "status for an order the hub does not know; stored, not shown"),
        },
        Subject::Stop { shipment, store } => {
            let known = conn
                .prepare_cached("SELECT 1 FROM shipment_stop WHERE shipment = ?1 AND store = ?2")?
                .exists(params![shipment.as_bytes().as_slice(), store.as_str()])?;
            if !known {
                tracing::warn!(actor = %op.actor, seq = op.seq, %shipment, %store,
                    "status for a stop the hub does not know; stored, not shown");
            }
        }
    }
    if u.status == Lifecycle::Cancelled
        && let Subject::Order { id } = &u.subject
    {
        let now = current_status(conn, "order", id, u.store.as_str())?;
        if now.is_some_and(|s| s > Lifecycle::Requested && s != Lifecycle::Cancelled) {
            tracing::warn!(actor = %op.actor, order = %id, status = ?now,
                "a till cancelled an order HQ had already moved on; the cancellation wins the register");
        }
    }
    Ok(())
}

/// The winning state of a subject, if any update is stored.
pub(super) fn current_status(
    conn: &Connection,
    kind: &str,
    reference: &Uuid,
    store: &str,
) -> Result<Option<Lifecycle>, HubError> {
    let s: Option<String> = conn
        .prepare_cached(
            "SELECT status FROM logi_status WHERE kind = ?1 AND ref = ?2 AND store = ?3",
        )?
        .query_row(params![kind, reference.as_bytes().as_slice(), store], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(s.as_deref().and_then(Lifecycle::parse))
}

fn put_order(
    conn: &Connection,
    op: &Op,
    o: &ReplenishmentOrder,
    cursor: u64,
) -> Result<(), HubError> {
    let (wall, counter, actor) = hlc_cols(&op.hlc);
    conn.prepare_cached(
        "INSERT INTO repl_order (id, store, origin, placed_by, placed_ms, note, lines,
                                 hlc_wall, hlc_counter, hlc_actor, cursor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET
           store = excluded.store, origin = excluded.origin, placed_by = excluded.placed_by,
           placed_ms = excluded.placed_ms, note = excluded.note, lines = excluded.lines,
           hlc_wall = excluded.hlc_wall, hlc_counter = excluded.hlc_counter,
           hlc_actor = excluded.hlc_actor, cursor = excluded.cursor
         WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
             < (repl_order.hlc_wall, repl_order.hlc_counter, repl_order.hlc_actor)",
    )?
    .execute(params![
        o.id.as_bytes().as_slice(),
        o.store.as_str(),
        origin_str(o.origin),
        o.placed_by,
        o.placed_ms,
        o.note,
        lines_json(&o.lines)?,
        wall,
        counter,
        actor,
        cursor as i64
    ])?;
    Ok(())
}

/// The stored register of one subject.
struct Register {
    update: StatusUpdate,
    hlc: Hlc,
    arrived: Option<(i64, String)>,
}

fn read_register(
    conn: &Connection,
    kind: &str,
    reference: &Uuid,
    u: &StatusUpdate,
    store: &str,
) -> Result<Option<Register>, HubError> {
    type Row = (
        String,
        i64,
        String,
        i64,
        u32,
        Vec<u8>,
        Option<i64>,
        Option<String>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT status, at_ms, by, hlc_wall, hlc_counter, hlc_actor, arrived_ms, arrived_by
             FROM logi_status WHERE kind = ?1 AND ref = ?2 AND store = ?3",
        )?
        .query_row(params![kind, reference.as_bytes().as_slice(), store], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .optional()?;
    let Some((status, at_ms, by, wall, counter, actor, arrived_ms, arrived_by)) = row else {
        return Ok(None);
    };
    let status = Lifecycle::parse(&status)
        .ok_or_else(|| HubError::Internal(format!("corrupt status {status:?} in logi_status")))?;
    Ok(Some(Register {
        update: StatusUpdate {
            subject: u.subject.clone(),
            store: u.store.clone(),
            status,
            at_ms,
            by,
            lines: None,
            note: None,
        },
        hlc: hlc_of(wall, counter, &actor)?,
        arrived: arrived_ms.zip(arrived_by),
    }))
}

/// The max-register per subject, the first arrival beside it, and the approved lines.
fn put_status(conn: &Connection, op: &Op, u: &StatusUpdate, cursor: u64) -> Result<(), HubError> {
    let (kind, reference, store) = match &u.subject {
        Subject::Order { id } => ("order", *id, u.store.as_str()),
        Subject::Stop { shipment, store } => ("stop", *shipment, store.as_str()),
    };
    let current = read_register(conn, kind, &reference, u, store)?;
    let mut arrived = current.as_ref().and_then(|c| c.arrived.clone());
    if u.status == Lifecycle::Arrived {
        let mine = (u.at_ms, u.by.clone());
        if arrived.as_ref().is_none_or(|a| mine < *a) {
            arrived = Some(mine);
        }
    }
    let wins = current
        .as_ref()
        .is_none_or(|c| status_wins(u, &op.hlc, &c.update, &c.hlc));
    let arrival_moved = current.as_ref().and_then(|c| c.arrived.as_ref()) != arrived.as_ref();
    let (arrived_ms, arrived_by) = arrived.unzip();
    if wins {
        let (wall, counter, actor) = hlc_cols(&op.hlc);
        conn.prepare_cached(
            "INSERT INTO logi_status (kind, ref, store, status, rank, at_ms, by, note,
                                      hlc_wall, hlc_counter, hlc_actor, cursor, arrived_ms, arrived_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (kind, ref, store) DO UPDATE SET
               status = excluded.status, rank = excluded.rank, at_ms = excluded.at_ms,
               by = excluded.by, note = excluded.note, hlc_wall = excluded.hlc_wall,
               hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
               cursor = excluded.cursor, arrived_ms = excluded.arrived_ms,
               arrived_by = excluded.arrived_by",
        )?
        .execute(params![
            kind,
            reference.as_bytes().as_slice(),
            store,
            u.status.as_str(),
            u.status.rank(),
            u.at_ms,
            u.by,
            u.note,
            wall,
            counter,
            actor,
            cursor as i64,
            arrived_ms,
            arrived_by
        ])?;
    } else if arrival_moved {
        conn.prepare_cached(
            "UPDATE logi_status SET arrived_ms = ?4, arrived_by = ?5
             WHERE kind = ?1 AND ref = ?2 AND store = ?3",
        )?
        .execute(params![
            kind,
            reference.as_bytes().as_slice(),
            store,
            arrived_ms,
            arrived_by
        ])?;
    }
    if let (Subject::Order { id }, Lifecycle::Approved, Some(lines)) =
        (&u.subject, u.status, &u.lines)
    {
        put_approval(conn, op, id, lines, cursor)?;
    }
    Ok(())
}

fn put_approval(
    conn: &Connection,
    op: &Op,
    id: &Uuid,
    lines: &[OrderLine],
    cursor: u64,
) -> Result<(), HubError> {
    let (wall, counter, actor) = hlc_cols(&op.hlc);
    conn.prepare_cached(
        "INSERT INTO order_approved (id, lines, hlc_wall, hlc_counter, hlc_actor, cursor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET
           lines = excluded.lines, hlc_wall = excluded.hlc_wall,
           hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
           cursor = excluded.cursor
         WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
             > (order_approved.hlc_wall, order_approved.hlc_counter, order_approved.hlc_actor)",
    )?
    .execute(params![
        id.as_bytes().as_slice(),
        lines_json(lines)?,
        wall,
        counter,
        actor,
        cursor as i64
    ])?;
    Ok(())
}

fn put_delivery(conn: &Connection, op: &Op, d: &Delivery, cursor: u64) -> Result<(), HubError> {
    let (wall, counter, actor) = hlc_cols(&op.hlc);
    let orders = serde_json::to_string(&d.orders)
        .map_err(|e| HubError::Internal(format!("encoding orders: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO delivery (shipment, store, orders, lines, from_location, driver_name, vehicle,
                               stop_no, stops_total, dispatched_ms, hlc_wall, hlc_counter,
                               hlc_actor, cursor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (shipment, store) DO UPDATE SET
           orders = excluded.orders, lines = excluded.lines,
           from_location = excluded.from_location, driver_name = excluded.driver_name,
           vehicle = excluded.vehicle, stop_no = excluded.stop_no,
           stops_total = excluded.stops_total, dispatched_ms = excluded.dispatched_ms,
           hlc_wall = excluded.hlc_wall, hlc_counter = excluded.hlc_counter,
           hlc_actor = excluded.hlc_actor, cursor = excluded.cursor
         WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
             > (delivery.hlc_wall, delivery.hlc_counter, delivery.hlc_actor)",
    )?
    .execute(params![
        d.shipment.as_bytes().as_slice(),
        d.store.as_str(),
        orders,
        lines_json(&d.lines)?,
        d.from.as_str(),
        d.driver_name,
        d.vehicle,
        d.stop_no,
        d.stops_total,
        d.dispatched_ms,
        wall,
        counter,
        actor,
        cursor as i64
    ])?;
    Ok(())
}

fn put_receiving(
    conn: &Connection,
    op: &Op,
    r: &ReceivingRecord,
    cursor: u64,
) -> Result<(), HubError> {
    let shipment = r.shipment.as_bytes().as_slice();
    let earlier: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM receiving WHERE shipment = ?1 AND store = ?2 AND id <> ?3",
        )?
        .query_row(
            params![shipment, r.store.as_str(), r.id.as_bytes().as_slice()],
            |row| row.get(0),
        )?;
    if earlier > 0 {
        tracing::warn!(receiving = %r.id, shipment = %r.shipment, store = %r.store,
            "a second receiving of one delivery stop: stored and flagged as a duplicate");
    }
    let delivered = conn
        .prepare_cached("SELECT 1 FROM delivery WHERE shipment = ?1 AND store = ?2")?
        .exists(params![shipment, r.store.as_str()])?;
    if !delivered {
        tracing::warn!(receiving = %r.id, shipment = %r.shipment, store = %r.store,
            "a receiving for a shipment with no delivery to this store: stored and flagged");
    }
    let (wall, counter, actor) = hlc_cols(&op.hlc);
    conn.prepare_cached(
        "INSERT INTO receiving (id, shipment, store, received_by, received_ms, note, lines,
                                has_discrepancy, hlc_wall, hlc_counter, hlc_actor, cursor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET
           shipment = excluded.shipment, store = excluded.store,
           received_by = excluded.received_by, received_ms = excluded.received_ms,
           note = excluded.note, lines = excluded.lines,
           has_discrepancy = excluded.has_discrepancy, hlc_wall = excluded.hlc_wall,
           hlc_counter = excluded.hlc_counter, hlc_actor = excluded.hlc_actor,
           cursor = excluded.cursor
         WHERE (excluded.hlc_wall, excluded.hlc_counter, excluded.hlc_actor)
             < (receiving.hlc_wall, receiving.hlc_counter, receiving.hlc_actor)",
    )?
    .execute(params![
        r.id.as_bytes().as_slice(),
        shipment,
        r.store.as_str(),
        r.received_by,
        r.received_ms,
        r.note,
        lines_json(&r.lines)?,
        r.has_discrepancy(),
        wall,
        counter,
        actor,
        cursor as i64
    ])?;
    Ok(())
}
