//! Replenishment and deliveries at the till (issue 5, `sync_proto::logistics`): the
//! projection of the logistics ops, the store's own writes, and what the screens show.
//!
//! Projection ([`apply_op`], called by [`crate::apply`]; idempotent and order-insensitive, the
//! relational form of `sync_proto::logistics::LogisticsState`):
//! - `ReplenishmentOrder` → `repl_order` (grow-only by id; of two copies the lower HLC wins);
//! - `StatusUpdate` → `logi_status`, a **max-register** per subject (`order:<id>` or
//!   `stop:<shipment>:<store>`) decided by [`status_wins`] exactly as the model does; the
//!   earliest `arrived` time seen is kept beside it (`arrived_ms`), so "arrived at 10:42"
//!   survives the later `received`; an `approved` update with quantities → `repl_approval`
//!   (the highest HLC wins);
//! - `Delivery` → `delivery` (last writer by HLC per `(shipment, store)`) and its orders in
//!   `delivery_order`;
//! - `Receiving` → `receiving` (grow-only by id, lower HLC wins).
//!
//! `Frame::DeliveryEta` is not an op: [`record_eta`] keeps the latest estimate per shipment
//! in `delivery_eta` (even for a shipment whose `Delivery` has not arrived yet).
//!
//! Writes (each one `BEGIN IMMEDIATE` transaction through the outbox [`Writer`], checked with
//! the hub's `check_till_op` before the commit, refused on a till HQ has locked):
//! - [`Till::request_stock`]: a `ReplenishmentOrder { origin: store }` (SKUs or barcodes of
//!   the catalog, 1 ..= [`MAX_ORDER_QTY`] each, the same SKU twice is summed);
//! - [`Till::cancel_order`]: `StatusUpdate { Order, cancelled }` while the order is still
//!   `requested` in this till's view;
//! - [`Till::receive_delivery`]: the `ReceivingRecord`, stock moves `TR-<store>` −expected per
//!   delivery line and store +good units (both reason receipt, reference = the shipment id),
//!   and `StatusUpdate received` for the stop and each of its orders. SKUs counted that are
//!   not on the delivery are extras (expected 0); delivery lines not counted were received 0
//!   (a shortage). A stop this store already received is refused.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::logistics::{
    Delivery, Lifecycle, MAX_ORDER_LINES, MAX_ORDER_QTY, OrderLine, OrderOrigin, ReceivedLine,
    ReceivingRecord, ReplenishmentOrder, StatusUpdate, Subject, merge_lines, status_wins,
};
use sync_proto::op::{OpBody, StockReason};
use sync_proto::validate::MAX_TEXT;
use sync_proto::wire::DeliveryEta;
use sync_proto::{Hlc, LocationId, Op, Sku, StoreId};
use uuid::Uuid;

use crate::db::{self, keys};
use crate::error::{Result, TillError};
use crate::outbox::Writer;
use crate::till::{Till, lookup_product};

/// Most orders and deliveries a list shows (newest first).
pub const MAX_LISTED: usize = 200;

/// Why a replenishment or receiving action was refused (worded for the person at the till).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogisticsError {
    /// A stock request without lines.
    #[error("nothing to request: add at least one SKU with a quantity")]
    EmptyRequest,
    /// A requested quantity outside 1 ..= [`MAX_ORDER_QTY`].
    #[error("quantity {qty} for {sku} is out of range: use 1 to {MAX_ORDER_QTY}")]
    QuantityOutOfRange {
        /// The SKU (or barcode as typed).
        sku: String,
        /// The quantity asked for.
        qty: u64,
    },
    /// A count outside 0 ..= [`MAX_ORDER_QTY`], or more damaged than received.
    #[error(
        "count for {sku} is out of range: received {received} must be 0 to {MAX_ORDER_QTY} and damaged {damaged} at most the received"
    )]
    CountOutOfRange {
        /// The SKU.
        sku: String,
        /// Units counted.
        received: u64,
        /// Of those, damaged.
        damaged: u64,
    },
    /// The same SKU counted on two lines.
    #[error("{0} is counted twice; give each SKU once with its total")]
    CountedTwice(String),
    /// More lines than one order or receiving may have.
    #[error("too many lines ({0}); at most {MAX_ORDER_LINES} SKUs at once")]
    TooManyLines(usize),
    /// No order with this id for this store at this till.
    #[error("no order {0} of this store at this till (sync the till and try again)")]
    UnknownOrder(String),
    /// The order has moved on: only a request nobody acted on can be cancelled here.
    #[error(
        "order {id} is already {status}; only a request head office has not acted on can be cancelled at the till"
    )]
    NotCancellable {
        /// The order.
        id: String,
        /// Where it stands.
        status: &'static str,
    },
    /// No delivery of this shipment to this store at this till.
    #[error("no delivery of shipment {0} to this store at this till (sync the till and try again)")]
    UnknownDelivery(String),
    /// The stop was already received at this store.
    #[error(
        "shipment {shipment} was already received at this store by {by}; it cannot be received twice"
    )]
    AlreadyReceived {
        /// The shipment.
        shipment: String,
        /// Who received it (or marked it received).
        by: String,
    },
    /// Head office cancelled the stop.
    #[error("the delivery of shipment {0} to this store was cancelled")]
    DeliveryCancelled(String),
}

impl LogisticsError {
    /// A stable snake_case code per refusal (the desktop shell's error codes).
    pub fn code(&self) -> &'static str {
        match self {
            LogisticsError::EmptyRequest => "empty_request",
            LogisticsError::QuantityOutOfRange { .. } => "quantity_out_of_range",
            LogisticsError::CountOutOfRange { .. } => "count_out_of_range",
            LogisticsError::CountedTwice(_) => "counted_twice",
            LogisticsError::TooManyLines(_) => "too_many_order_lines",
            LogisticsError::UnknownOrder(_) => "unknown_order",
            LogisticsError::NotCancellable { .. } => "order_not_cancellable",
            LogisticsError::UnknownDelivery(_) => "unknown_delivery",
            LogisticsError::AlreadyReceived { .. } => "already_received",
            LogisticsError::DeliveryCancelled(_) => "delivery_cancelled",
        }
    }
}

/// One line of a stock request as typed or scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StockRequestLine {
    /// SKU or barcode of the catalog.
    pub sku: String,
    /// Units wanted (1 ..= 100,000).
    #[ts(type = "number")]
    pub qty: u64,
}

/// What the store counted of one SKU of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CountedLine {
    /// SKU or barcode.
    pub sku: String,
    /// Units that arrived, damaged included (0 ..= 100,000).
    #[ts(type = "number")]
    pub received: u64,
    /// Of those, damaged (not put on the shelf).
    #[serde(default)]
    #[ts(type = "number")]
    pub damaged: u64,
}

/// A SKU and a quantity, with the catalog's name when the till knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LineView {
    /// SKU.
    pub sku: String,
    /// Catalog name.
    pub name: Option<String>,
    /// Units.
    pub qty: u32,
}

/// A replenishment order of this store, as this till knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OrderView {
    /// Order id.
    pub id: String,
    /// The store it is for.
    pub store: String,
    /// Asked for by the store, or proposed by HQ.
    pub origin: OrderOrigin,
    /// Who placed it.
    pub placed_by: String,
    /// When (ms since epoch, the placing replica's clock).
    #[ts(type = "number")]
    pub placed_ms: i64,
    /// Free text.
    pub note: Option<String>,
    /// What was asked for.
    pub lines: Vec<LineView>,
    /// What HQ approved (it may change quantities), once it has.
    pub approved_lines: Option<Vec<LineView>>,
    /// Where it stands (`requested` until an update arrives).
    pub status: Lifecycle,
    /// When it reached that state.
    #[ts(type = "number | null")]
    pub status_at_ms: Option<i64>,
    /// Who moved it there.
    pub status_by: Option<String>,
    /// The shipment carrying it, once dispatched.
    pub shipment: Option<String>,
    /// This till may still cancel it (still `requested`).
    pub cancellable: bool,
}

/// One counted line of a receiving, with what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceivedLineView {
    /// SKU.
    pub sku: String,
    /// Catalog name.
    pub name: Option<String>,
    /// What the delivery said (0 = an extra).
    pub expected: u32,
    /// Counted, damaged included.
    pub received: u32,
    /// Damaged.
    pub damaged: u32,
    /// Expected but did not come.
    pub shortage: u32,
    /// Came without being expected.
    pub extra: u32,
    /// Put on the shelf (received − damaged).
    pub good: u32,
}

/// A receiving record (this till's or another till's of the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReceivingView {
    /// Record id.
    pub id: String,
    /// The shipment received.
    pub shipment: String,
    /// The store.
    pub store: String,
    /// Every line of the delivery plus extras.
    pub lines: Vec<ReceivedLineView>,
    /// Who counted.
    pub received_by: String,
    /// When (ms since epoch, the receiving till's clock).
    #[ts(type = "number")]
    pub received_ms: i64,
    /// Free text.
    pub note: Option<String>,
    /// Something did not match (shortage, damage or extra).
    pub has_discrepancy: bool,
    /// Units short over all lines.
    #[ts(type = "number")]
    pub shortage_units: u64,
    /// Units damaged over all lines.
    #[ts(type = "number")]
    pub damaged_units: u64,
    /// Units extra over all lines.
    #[ts(type = "number")]
    pub extra_units: u64,
}

/// A delivery to this store: what is on the truck, where the truck is, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DeliveryView {
    /// The shipment.
    pub shipment: String,
    /// This store.
    pub store: String,
    /// This store's stop on the route (1-based).
    pub stop_no: u32,
    /// Stops on the route.
    pub stops_total: u32,
    /// The driver.
    pub driver_name: String,
    /// Plate or fleet number.
    pub vehicle: String,
    /// Where it comes from (the warehouse).
    pub from: String,
    /// When it left (ms since epoch, hub clock).
    #[ts(type = "number")]
    pub dispatched_ms: i64,
    /// The orders it fulfils.
    pub orders: Vec<String>,
    /// What is on the truck for this store.
    pub lines: Vec<LineView>,
    /// Where the stop stands (`dispatched` until an update arrives).
    pub status: Lifecycle,
    /// When it reached that state.
    #[ts(type = "number | null")]
    pub status_at_ms: Option<i64>,
    /// Expected arrival on **this till's clock** (the hub's estimate shifted by the clock
    /// offset seen at the last connection), while the truck is on its way.
    #[ts(type = "number | null")]
    pub eta_ms: Option<i64>,
    /// Distance left in metres, if known.
    pub distance_m: Option<u32>,
    /// Stops still to be served before this one, if known.
    pub stops_before: Option<u32>,
    /// When the hub made the last estimate (till clock), if any came.
    #[ts(type = "number | null")]
    pub eta_at_ms: Option<i64>,
    /// When the truck arrived (the first arrival seen), once it has.
    #[ts(type = "number | null")]
    pub arrived_ms: Option<i64>,
    /// The store has counted it in.
    pub received: bool,
    /// The receiving record, once known here.
    pub receiving: Option<ReceivingView>,
}

// ---------------------------------------------------------------------------------------------
// Projection
// ---------------------------------------------------------------------------------------------

fn subject_key(s: &Subject) -> String {
    match s {
        Subject::Order { id } => format!("order:{id}"),
        Subject::Stop { shipment, store } => format!("stop:{shipment}:{store}"),
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| TillError::Internal(format!("cannot encode: {e}")))
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| TillError::Corrupt(format!("{what}: {e}")))
}

fn origin_str(o: OrderOrigin) -> &'static str {
    match o {
        OrderOrigin::Store => "store",
        OrderOrigin::HqProposal => "hq_proposal",
    }
}

fn parse_origin(s: &str) -> Result<OrderOrigin> {
    match s {
        "store" => Ok(OrderOrigin::Store),
        "hq_proposal" => Ok(OrderOrigin::HqProposal),
        other => Err(TillError::Corrupt(format!("order origin {other:?}"))),
    }
}

fn parse_status(s: &str) -> Result<Lifecycle> {
    Lifecycle::parse(s).ok_or_else(|| TillError::Corrupt(format!("status {s:?}")))
}

fn parse_hlc(s: &str) -> Result<Hlc> {
    db::hlc_from_text(s).ok_or_else(|| TillError::Corrupt(format!("HLC {s:?}")))
}

/// Store an order (grow-only by id; of two copies the lower HLC wins); `true` if it changed.
fn apply_order(conn: &Connection, o: &ReplenishmentOrder, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO repl_order(id, store, origin, placed_by, placed_ms, note, lines, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 store = excluded.store, origin = excluded.origin,
                 placed_by = excluded.placed_by, placed_ms = excluded.placed_ms,
                 note = excluded.note, lines = excluded.lines, hlc = excluded.hlc
             WHERE excluded.hlc < repl_order.hlc",
        )?
        .execute(params![
            o.id.to_string(),
            o.store.as_str(),
            origin_str(o.origin),
            o.placed_by,
            o.placed_ms,
            o.note,
            to_json(&o.lines)?,
            db::hlc_to_text(hlc),
        ])?;
    Ok(n > 0)
}

/// The stored winner of a subject's register, as an update and its HLC.
fn stored_status(conn: &Connection, subject: &Subject) -> Result<Option<(StatusUpdate, Hlc)>> {
    let row = conn
        .prepare_cached(
            "SELECT store, status, at_ms, by, note, hlc FROM logi_status WHERE subject = ?1",
        )?
        .query_row([subject_key(subject)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()?;
    let Some((store, status, at_ms, by, note, hlc)) = row else {
        return Ok(None);
    };
    let update = StatusUpdate {
        subject: subject.clone(),
        store: store
            .parse()
            .map_err(|_| TillError::Corrupt(format!("status store {store:?}")))?,
        status: parse_status(&status)?,
        at_ms,
        by,
        lines: None,
        note,
    };
    Ok(Some((update, parse_hlc(&hlc)?)))
}

/// Fold a status update into the subject's max-register ([`status_wins`], the model's rule),
/// the approved quantities and the earliest arrival; `true` if anything changed.
fn apply_status(conn: &Connection, u: &StatusUpdate, hlc: &Hlc) -> Result<bool> {
    let mut changed = false;
    let hlc_text = db::hlc_to_text(hlc);
    if let (Subject::Order { id }, Lifecycle::Approved, Some(lines)) =
        (&u.subject, u.status, &u.lines)
    {
        changed |= conn
            .prepare_cached(
                "INSERT INTO repl_approval(order_id, lines, hlc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(order_id) DO UPDATE SET lines = excluded.lines, hlc = excluded.hlc
                 WHERE excluded.hlc > repl_approval.hlc",
            )?
            .execute(params![id.to_string(), to_json(lines)?, hlc_text])?
            > 0;
    }
    let key = subject_key(&u.subject);
    let arrived = (u.status == Lifecycle::Arrived).then_some(u.at_ms);
    let wins = match stored_status(conn, &u.subject)? {
        None => true,
        Some((current, current_hlc)) => status_wins(u, hlc, &current, &current_hlc),
    };
    if wins {
        conn.prepare_cached(
            "INSERT INTO logi_status(subject, store, status, rank, at_ms, by, note, hlc, arrived_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(subject) DO UPDATE SET
                 store = excluded.store, status = excluded.status, rank = excluded.rank,
                 at_ms = excluded.at_ms, by = excluded.by, note = excluded.note,
                 hlc = excluded.hlc",
        )?
        .execute(params![
            key,
            u.store.as_str(),
            u.status.as_str(),
            i64::from(u.status.rank()),
            u.at_ms,
            u.by,
            u.note,
            hlc_text,
            arrived,
        ])?;
        changed = true;
    }
    if let Some(at) = arrived {
        changed |= conn
            .prepare_cached(
                "UPDATE logi_status SET arrived_ms = ?2
                 WHERE subject = ?1 AND (arrived_ms IS NULL OR arrived_ms > ?2)",
            )?
            .execute(params![key, at])?
            > 0;
    }
    Ok(changed)
}

/// Store a delivery (last writer by HLC per `(shipment, store)`); `true` if it changed.
fn apply_delivery(conn: &Connection, d: &Delivery, hlc: &Hlc) -> Result<bool> {
    let shipment = d.shipment.to_string();
    let n = conn
        .prepare_cached(
            "INSERT INTO delivery(shipment, store, orders, lines, from_loc, driver_name, vehicle,
                                  stop_no, stops_total, dispatched_ms, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(shipment, store) DO UPDATE SET
                 orders = excluded.orders, lines = excluded.lines, from_loc = excluded.from_loc,
                 driver_name = excluded.driver_name, vehicle = excluded.vehicle,
                 stop_no = excluded.stop_no, stops_total = excluded.stops_total,
                 dispatched_ms = excluded.dispatched_ms, hlc = excluded.hlc
             WHERE excluded.hlc > delivery.hlc",
        )?
        .execute(params![
            shipment,
            d.store.as_str(),
            to_json(&d.orders)?,
            to_json(&d.lines)?,
            d.from.as_str(),
            d.driver_name,
            d.vehicle,
            d.stop_no,
            d.stops_total,
            d.dispatched_ms,
            db::hlc_to_text(hlc),
        ])?;
    if n == 0 {
        return Ok(false);
    }
    conn.prepare_cached("DELETE FROM delivery_order WHERE shipment = ?1 AND store = ?2")?
        .execute(params![shipment, d.store.as_str()])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO delivery_order(order_id, shipment, store) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for order in &d.orders {
        insert.execute(params![order.to_string(), shipment, d.store.as_str()])?;
    }
    Ok(true)
}

/// Store a receiving record (grow-only by id; lower HLC wins); `true` if it changed.
fn apply_receiving(conn: &Connection, r: &ReceivingRecord, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO receiving(id, shipment, store, lines, received_by, received_ms, note, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 shipment = excluded.shipment, store = excluded.store, lines = excluded.lines,
                 received_by = excluded.received_by, received_ms = excluded.received_ms,
                 note = excluded.note, hlc = excluded.hlc
             WHERE excluded.hlc < receiving.hlc",
        )?
        .execute(params![
            r.id.to_string(),
            r.shipment.to_string(),
            r.store.as_str(),
            to_json(&r.lines)?,
            r.received_by,
            r.received_ms,
            r.note,
            db::hlc_to_text(hlc),
        ])?;
    Ok(n > 0)
}

/// Apply one received logistics op (in the caller's transaction); `true` if it changed
/// something. Other ops are ignored.
pub fn apply_op(conn: &Connection, op: &Op) -> Result<bool> {
    match &op.body {
        OpBody::ReplenishmentOrder(o) => apply_order(conn, o, &op.hlc),
        OpBody::StatusUpdate(u) => apply_status(conn, u, &op.hlc),
        OpBody::Delivery(d) => apply_delivery(conn, d, &op.hlc),
        OpBody::Receiving(r) => apply_receiving(conn, r, &op.hlc),
        _ => Ok(false),
    }
}

/// Keep the hub's latest estimate for a delivery to this store (`Frame::DeliveryEta`; in the
/// caller's transaction or on its own): one row per shipment, replaced by an estimate made at
/// the same time or later. A frame for another store is ignored (logged). `true` if stored.
pub fn record_eta(conn: &Connection, eta: &DeliveryEta) -> Result<bool> {
    let store = db::require_enrolment(conn)?.store;
    if eta.store != store {
        tracing::warn!(shipment = %eta.shipment, to = %eta.store, own = %store, "ETA for another store ignored");
        return Ok(false);
    }
    let n = conn
        .prepare_cached(
            "INSERT INTO delivery_eta(shipment, store, eta_ms, distance_m, stops_before,
                                      arrived_ms, driver_name, at_ms, stored_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(shipment) DO UPDATE SET
                 store = excluded.store, eta_ms = excluded.eta_ms,
                 distance_m = excluded.distance_m, stops_before = excluded.stops_before,
                 arrived_ms = excluded.arrived_ms, driver_name = excluded.driver_name,
                 at_ms = excluded.at_ms, stored_ms = excluded.stored_ms
             WHERE excluded.at_ms >= delivery_eta.at_ms",
        )?
        .execute(params![
            eta.shipment.to_string(),
            eta.store.as_str(),
            eta.eta_ms,
            eta.distance_m,
            eta.stops_before,
            eta.arrived_ms,
            eta.driver_name,
            eta.at_ms,
            to_i64(db::now_ms()),
        ])?;
    Ok(n > 0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

fn name_of(conn: &Connection, sku: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM catalog WHERE sku = ?1")?
        .query_row([sku], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

fn line_views(conn: &Connection, lines: &[OrderLine]) -> Result<Vec<LineView>> {
    lines
        .iter()
        .map(|l| {
            Ok(LineView {
                sku: l.sku.to_string(),
                name: name_of(conn, l.sku.as_str())?,
                qty: l.qty,
            })
        })
        .collect()
}

/// The view of a receiving record.
pub fn receiving_view(conn: &Connection, r: &ReceivingRecord) -> Result<ReceivingView> {
    let mut lines = Vec::with_capacity(r.lines.len());
    for l in &r.lines {
        lines.push(ReceivedLineView {
            sku: l.sku.to_string(),
            name: name_of(conn, l.sku.as_str())?,
            expected: l.expected,
            received: l.received,
            damaged: l.damaged,
            shortage: l.shortage(),
            extra: l.extra(),
            good: l.good(),
        });
    }
    let sum = |f: fn(&ReceivedLine) -> u32| r.lines.iter().map(|l| u64::from(f(l))).sum();
    Ok(ReceivingView {
        id: r.id.to_string(),
        shipment: r.shipment.to_string(),
        store: r.store.to_string(),
        lines,
        received_by: r.received_by.clone(),
        received_ms: r.received_ms,
        note: r.note.clone(),
        has_discrepancy: r.has_discrepancy(),
        shortage_units: sum(ReceivedLine::shortage),
        damaged_units: sum(|l| l.damaged),
        extra_units: sum(ReceivedLine::extra),
    })
}

/// The first receiving record of a stop known here (by HLC), if any.
fn receiving_of(
    conn: &Connection,
    shipment: &Uuid,
    store: &StoreId,
) -> Result<Option<ReceivingRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT id, lines, received_by, received_ms, note FROM receiving
             WHERE shipment = ?1 AND store = ?2 ORDER BY hlc LIMIT 1",
        )?
        .query_row(params![shipment.to_string(), store.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
    let Some((id, lines, received_by, received_ms, note)) = row else {
        return Ok(None);
    };
    Ok(Some(ReceivingRecord {
        id: Uuid::parse_str(&id).map_err(|_| TillError::Corrupt(format!("receiving {id:?}")))?,
        shipment: *shipment,
        store: store.clone(),
        lines: from_json("receiving lines", &lines)?,
        received_by,
        received_ms,
        note,
    }))
}

/// The delivery of `shipment` to `store`, if known here.
fn load_delivery(conn: &Connection, shipment: &Uuid, store: &StoreId) -> Result<Option<Delivery>> {
    let row = conn
        .prepare_cached(
            "SELECT orders, lines, from_loc, driver_name, vehicle, stop_no, stops_total,
                    dispatched_ms
             FROM delivery WHERE shipment = ?1 AND store = ?2",
        )?
        .query_row(params![shipment.to_string(), store.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, u32>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((orders, lines, from, driver_name, vehicle, stop_no, stops_total, dispatched_ms)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(Delivery {
        shipment: *shipment,
        store: store.clone(),
        orders: from_json("delivery orders", &orders)?,
        lines: from_json("delivery lines", &lines)?,
        from: from
            .parse()
            .map_err(|_| TillError::Corrupt(format!("delivery from {from:?}")))?,
        driver_name,
        vehicle,
        stop_no,
        stops_total,
        dispatched_ms,
    }))
}

/// Where an order stands here: its register, else `requested`.
fn order_status(conn: &Connection, id: &Uuid) -> Result<Option<StatusUpdate>> {
    Ok(stored_status(conn, &Subject::Order { id: *id })?.map(|(u, _)| u))
}

/// This store's orders, newest first (at most [`MAX_LISTED`]).
pub fn orders(conn: &Connection) -> Result<Vec<OrderView>> {
    let store = db::require_enrolment(conn)?.store;
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.store, o.origin, o.placed_by, o.placed_ms, o.note, o.lines, a.lines,
                (SELECT shipment FROM delivery_order d WHERE d.order_id = o.id
                 ORDER BY shipment LIMIT 1)
         FROM repl_order o LEFT JOIN repl_approval a ON a.order_id = o.id
         WHERE o.store = ?1 ORDER BY o.placed_ms DESC, o.id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![store.as_str(), MAX_LISTED as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, store, origin, placed_by, placed_ms, note, lines, approved, shipment) in rows {
        let uuid = Uuid::parse_str(&id).map_err(|_| TillError::Corrupt(format!("order {id:?}")))?;
        let lines: Vec<OrderLine> = from_json("order lines", &lines)?;
        let approved_lines = match approved {
            Some(a) => Some(line_views(
                conn,
                &from_json::<Vec<OrderLine>>("approval", &a)?,
            )?),
            None => None,
        };
        let status = order_status(conn, &uuid)?;
        let current = status.as_ref().map_or(Lifecycle::Requested, |u| u.status);
        out.push(OrderView {
            id,
            store,
            origin: parse_origin(&origin)?,
            placed_by,
            placed_ms,
            note,
            lines: line_views(conn, &lines)?,
            approved_lines,
            status: current,
            status_at_ms: status.as_ref().map(|u| u.at_ms),
            status_by: status.map(|u| u.by),
            shipment,
            cancellable: current == Lifecycle::Requested,
        });
    }
    Ok(out)
}

/// The hub's last estimate for a shipment: (eta, distance, stops before, made at, arrived).
type EtaRow = (Option<i64>, Option<u32>, u32, i64, Option<i64>);

fn eta_of(conn: &Connection, shipment: &str) -> Result<Option<EtaRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT eta_ms, distance_m, stops_before, at_ms, arrived_ms
             FROM delivery_eta WHERE shipment = ?1",
        )?
        .query_row([shipment], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?)
}

/// This store's deliveries: those still to receive first, then the newest (at most
/// [`MAX_LISTED`]). Hub times of the estimate are shifted onto this till's clock by the offset
/// seen at the last connection (`meta hub_clock_offset_ms`, till − hub).
pub fn deliveries(conn: &Connection) -> Result<Vec<DeliveryView>> {
    let store = db::require_enrolment(conn)?.store;
    let offset: i64 = db::get_meta(conn, keys::HUB_CLOCK_OFFSET_MS)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut stmt = conn.prepare_cached(
        "SELECT d.shipment FROM delivery d
         LEFT JOIN logi_status s ON s.subject = 'stop:' || d.shipment || ':' || d.store
         WHERE d.store = ?1
         ORDER BY COALESCE(s.rank, 3) >= 5, d.dispatched_ms DESC, d.shipment LIMIT ?2",
    )?;
    let shipments = stmt
        .query_map(params![store.as_str(), MAX_LISTED as i64], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(shipments.len());
    for s in shipments {
        let id = Uuid::parse_str(&s).map_err(|_| TillError::Corrupt(format!("shipment {s:?}")))?;
        let Some(d) = load_delivery(conn, &id, &store)? else {
            continue;
        };
        out.push(delivery_view(conn, &d, offset)?);
    }
    Ok(out)
}

fn delivery_view(conn: &Connection, d: &Delivery, offset: i64) -> Result<DeliveryView> {
    let subject = Subject::Stop {
        shipment: d.shipment,
        store: d.store.clone(),
    };
    let status = stored_status(conn, &subject)?.map(|(u, _)| u);
    let stored_arrival: Option<i64> = conn
        .prepare_cached("SELECT arrived_ms FROM logi_status WHERE subject = ?1")?
        .query_row([subject_key(&subject)], |r| r.get(0))
        .optional()?
        .flatten();
    let eta = eta_of(conn, &d.shipment.to_string())?;
    let receiving = receiving_of(conn, &d.shipment, &d.store)?;
    let current = status.as_ref().map_or(Lifecycle::Dispatched, |u| u.status);
    let on_the_way = current < Lifecycle::Arrived;
    Ok(DeliveryView {
        shipment: d.shipment.to_string(),
        store: d.store.to_string(),
        stop_no: d.stop_no,
        stops_total: d.stops_total,
        driver_name: d.driver_name.clone(),
        vehicle: d.vehicle.clone(),
        from: d.from.to_string(),
        dispatched_ms: d.dispatched_ms,
        orders: d.orders.iter().map(Uuid::to_string).collect(),
        lines: line_views(conn, &d.lines)?,
        status: current,
        status_at_ms: status.as_ref().map(|u| u.at_ms),
        eta_ms: eta
            .and_then(|e| e.0)
            .filter(|_| on_the_way)
            .map(|t| t.saturating_add(offset)),
        distance_m: eta.and_then(|e| e.1).filter(|_| on_the_way),
        stops_before: eta.map(|e| e.2).filter(|_| on_the_way),
        eta_at_ms: eta.map(|e| e.3.saturating_add(offset)),
        arrived_ms: stored_arrival.or_else(|| eta.and_then(|e| e.4)),
        received: current == Lifecycle::Received || receiving.is_some(),
        receiving: match &receiving {
            Some(r) => Some(receiving_view(conn, r)?),
            None => None,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

fn check_text(what: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > MAX_TEXT {
        return Err(TillError::InvalidInput(format!(
            "{what} must be 1 to {MAX_TEXT} bytes"
        )));
    }
    Ok(t.to_owned())
}

fn check_note(note: Option<&str>) -> Result<Option<String>> {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) if n.len() > MAX_TEXT => Err(TillError::InvalidInput(format!(
            "the note is longer than {MAX_TEXT} bytes"
        ))),
        Some(n) => Ok(Some(n.to_owned())),
    }
}

/// A SKU or barcode of the catalog → its SKU; `require` refuses codes the catalog lacks.
fn resolve_sku(conn: &Connection, code: &str, require: bool) -> Result<Sku> {
    match lookup_product(conn, code)? {
        Some(p) => Ok(p.sku.parse()?),
        None if require => Err(TillError::UnknownSku(code.trim().to_owned())),
        None => Ok(code.trim().parse()?),
    }
}

fn parse_id(what: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim())
        .map_err(|_| TillError::InvalidInput(format!("{:?} is not {what}", text.trim())))
}

/// Request lines → order lines: SKUs of the catalog, quantities in range, one line per SKU.
fn order_lines(conn: &Connection, lines: &[StockRequestLine]) -> Result<Vec<OrderLine>> {
    if lines.is_empty() {
        return Err(LogisticsError::EmptyRequest.into());
    }
    let mut asked = Vec::with_capacity(lines.len());
    for l in lines {
        let out_of_range = || LogisticsError::QuantityOutOfRange {
            sku: l.sku.trim().to_owned(),
            qty: l.qty,
        };
        if l.qty == 0 || l.qty > u64::from(MAX_ORDER_QTY) {
            return Err(out_of_range().into());
        }
        asked.push(OrderLine {
            sku: resolve_sku(conn, &l.sku, true)?,
            qty: u32::try_from(l.qty).map_err(|_| out_of_range())?,
        });
    }
    let merged = merge_lines(&asked);
    if let Some(l) = merged.iter().find(|l| l.qty > MAX_ORDER_QTY) {
        return Err(LogisticsError::QuantityOutOfRange {
            sku: l.sku.to_string(),
            qty: u64::from(l.qty),
        }
        .into());
    }
    if merged.len() > MAX_ORDER_LINES {
        return Err(LogisticsError::TooManyLines(merged.len()).into());
    }
    Ok(merged)
}

/// Counted lines → `(received, damaged)` per SKU, checked.
fn counts(conn: &Connection, counted: &[CountedLine]) -> Result<BTreeMap<Sku, (u32, u32)>> {
    let mut out = BTreeMap::new();
    for c in counted {
        let sku = resolve_sku(conn, &c.sku, false)?;
        let bad = || LogisticsError::CountOutOfRange {
            sku: sku.to_string(),
            received: c.received,
            damaged: c.damaged,
        };
        if c.received > u64::from(MAX_ORDER_QTY) || c.damaged > c.received {
            return Err(bad().into());
        }
        let received = u32::try_from(c.received).map_err(|_| bad())?;
        let damaged = u32::try_from(c.damaged).map_err(|_| bad())?;
        if out.insert(sku.clone(), (received, damaged)).is_some() {
            return Err(LogisticsError::CountedTwice(sku.to_string()).into());
        }
    }
    Ok(out)
}

/// The receiving lines: every delivery line with its count (0 when not counted), then the
/// extras (counted, not on the delivery, expected 0; an extra counted 0 is no line).
fn received_lines(
    delivery: &[OrderLine],
    mut counted: BTreeMap<Sku, (u32, u32)>,
) -> Result<Vec<ReceivedLine>> {
    let mut lines = Vec::with_capacity(delivery.len() + counted.len());
    for l in merge_lines(delivery) {
        let (received, damaged) = counted.remove(&l.sku).unwrap_or((0, 0));
        lines.push(ReceivedLine {
            sku: l.sku,
            expected: l.qty,
            received,
            damaged,
        });
    }
    for (sku, (received, damaged)) in counted {
        if received > 0 {
            lines.push(ReceivedLine {
                sku,
                expected: 0,
                received,
                damaged,
            });
        }
    }
    if lines.is_empty() {
        return Err(TillError::InvalidInput(
            "nothing to receive: the delivery has no lines and nothing was counted".into(),
        ));
    }
    if lines.len() > MAX_ORDER_LINES {
        return Err(LogisticsError::TooManyLines(lines.len()).into());
    }
    Ok(lines)
}

/// Emit a status update through `w` and fold it into this till's register.
fn write_status(
    conn: &Connection,
    w: &mut Writer<'_>,
    subject: Subject,
    status: Lifecycle,
    by: &str,
    note: Option<String>,
) -> Result<()> {
    let u = StatusUpdate {
        subject,
        store: w.enrolment.store.clone(),
        status,
        at_ms: to_i64(w.now_ms()),
        by: by.to_owned(),
        lines: None,
        note,
    };
    let hlc = w.emit(OpBody::StatusUpdate(u.clone()))?.hlc;
    apply_status(conn, &u, &hlc)?;
    Ok(())
}

/// Refuse a second receiving of a stop, or one HQ cancelled.
fn ensure_receivable(conn: &Connection, shipment: &Uuid, store: &StoreId) -> Result<()> {
    if let Some(r) = receiving_of(conn, shipment, store)? {
        return Err(LogisticsError::AlreadyReceived {
            shipment: shipment.to_string(),
            by: r.received_by,
        }
        .into());
    }
    let stop = Subject::Stop {
        shipment: *shipment,
        store: store.clone(),
    };
    match stored_status(conn, &stop)?.map(|(u, _)| u) {
        Some(u) if u.status == Lifecycle::Received => Err(LogisticsError::AlreadyReceived {
            shipment: shipment.to_string(),
            by: u.by,
        }
        .into()),
        Some(u) if u.status == Lifecycle::Cancelled => {
            Err(LogisticsError::DeliveryCancelled(shipment.to_string()).into())
        }
        _ => Ok(()),
    }
}

impl Till {
    /// A store manager asks the warehouse for stock: one `ReplenishmentOrder` (origin store)
    /// written offline like a sale; it reaches HQ with the next sync. `lines` are SKUs or
    /// barcodes of the catalog (the same SKU twice is summed), `by` who asks.
    pub fn request_stock(
        &mut self,
        lines: &[StockRequestLine],
        note: Option<&str>,
        by: &str,
    ) -> Result<OrderView> {
        crate::commands::ensure_unlocked(&self.conn)?;
        let by = check_text("who asks", by)?;
        let note = check_note(note)?;
        let lines = order_lines(&self.conn, lines)?;
        let tx = db::write_tx(&mut self.conn)?;
        crate::commands::ensure_unlocked(&tx)?;
        let mut w = Writer::begin(&tx)?;
        let order = ReplenishmentOrder {
            id: Uuid::now_v7(),
            store: w.enrolment.store.clone(),
            lines,
            origin: OrderOrigin::Store,
            placed_by: by,
            placed_ms: to_i64(w.now_ms()),
            note,
        };
        let hlc = w.emit(OpBody::ReplenishmentOrder(order.clone()))?.hlc;
        apply_order(&tx, &order, &hlc)?;
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        crate::limited::hub_check(&ops, &e)?;
        let view = orders(&tx)?
            .into_iter()
            .find(|o| o.id == order.id.to_string())
            .ok_or_else(|| TillError::Internal("order vanished".into()))?;
        tx.commit()?;
        tracing::info!(order = %order.id, lines = order.lines.len(), "stock requested");
        Ok(view)
    }

    /// This store's replenishment orders, newest first.
    pub fn orders(&self) -> Result<Vec<OrderView>> {
        orders(&self.conn)
    }

    /// Cancel an order of this store while it is still `requested` in this till's view
    /// ([`LogisticsError::NotCancellable`] once HQ has acted on it).
    pub fn cancel_order(&mut self, id: &str, by: &str) -> Result<OrderView> {
        crate::commands::ensure_unlocked(&self.conn)?;
        let id = parse_id("an order id", id)?;
        let by = check_text("who cancels", by)?;
        let tx = db::write_tx(&mut self.conn)?;
        crate::commands::ensure_unlocked(&tx)?;
        let store = db::require_enrolment(&tx)?.store;
        let known: Option<String> = tx
            .prepare_cached("SELECT store FROM repl_order WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        if known.as_deref() != Some(store.as_str()) {
            return Err(LogisticsError::UnknownOrder(id.to_string()).into());
        }
        if let Some(u) = order_status(&tx, &id)?
            && u.status != Lifecycle::Requested
        {
            return Err(LogisticsError::NotCancellable {
                id: id.to_string(),
                status: u.status.as_str(),
            }
            .into());
        }
        let mut w = Writer::begin(&tx)?;
        write_status(
            &tx,
            &mut w,
            Subject::Order { id },
            Lifecycle::Cancelled,
            &by,
            None,
        )?;
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        crate::limited::hub_check(&ops, &e)?;
        let view = orders(&tx)?
            .into_iter()
            .find(|o| o.id == id.to_string())
            .ok_or_else(|| TillError::Internal("order vanished".into()))?;
        tx.commit()?;
        tracing::info!(order = %id, "order cancelled at the till");
        Ok(view)
    }

    /// This store's deliveries (still to receive first), with the truck's last ETA.
    pub fn deliveries(&self) -> Result<Vec<DeliveryView>> {
        deliveries(&self.conn)
    }

    /// The store counted a delivery in: in ONE transaction the `ReceivingRecord`, the stock
    /// moves (`TR-<store>` −expected per delivery line and the store +good units, reason
    /// receipt, reference = the shipment id) and `received` for the stop and each of its
    /// orders. `counted` are SKUs or barcodes with what arrived (damaged included) and how
    /// many of those are damaged; SKUs not on the delivery are extras, delivery lines not
    /// counted were received 0. Refused for a stop already received here
    /// ([`LogisticsError::AlreadyReceived`]) and on a till HQ has locked.
    pub fn receive_delivery(
        &mut self,
        shipment: &str,
        counted: &[CountedLine],
        note: Option<&str>,
        by: &str,
    ) -> Result<ReceivingRecord> {
        crate::commands::ensure_unlocked(&self.conn)?;
        let shipment = parse_id("a shipment id", shipment)?;
        let by = check_text("who received", by)?;
        let note = check_note(note)?;
        let counted = counts(&self.conn, counted)?;
        let tx = db::write_tx(&mut self.conn)?;
        crate::commands::ensure_unlocked(&tx)?;
        let mut w = Writer::begin(&tx)?;
        let store = w.enrolment.store.clone();
        let delivery = load_delivery(&tx, &shipment, &store)?
            .ok_or_else(|| LogisticsError::UnknownDelivery(shipment.to_string()))?;
        ensure_receivable(&tx, &shipment, &store)?;
        let record = ReceivingRecord {
            id: Uuid::now_v7(),
            shipment,
            store: store.clone(),
            lines: received_lines(&delivery.lines, counted)?,
            received_by: by.clone(),
            received_ms: to_i64(w.now_ms()),
            note,
        };
        let hlc = w.emit(OpBody::Receiving(record.clone()))?.hlc;
        apply_receiving(&tx, &record, &hlc)?;
        let reference = Some(shipment.to_string());
        let transit = LocationId::in_transit_to(&store);
        for l in &record.lines {
            if l.expected > 0 {
                let delta = -i64::from(l.expected);
                w.stock_move_at(
                    &transit,
                    &l.sku,
                    delta,
                    StockReason::Receipt,
                    reference.clone(),
                )?;
            }
        }
        for l in &record.lines {
            if l.good() > 0 {
                let delta = i64::from(l.good());
                w.stock_move(&l.sku, delta, StockReason::Receipt, reference.clone())?;
            }
        }
        write_status(
            &tx,
            &mut w,
            Subject::Stop {
                shipment,
                store: store.clone(),
            },
            Lifecycle::Received,
            &by,
            None,
        )?;
        for order in &delivery.orders {
            let subject = Subject::Order { id: *order };
            write_status(&tx, &mut w, subject, Lifecycle::Received, &by, None)?;
        }
        let e = w.enrolment.clone();
        let ops = w.finish()?;
        crate::limited::hub_check(&ops, &e)?;
        tx.commit()?;
        tracing::info!(
            shipment = %shipment,
            receiving = %record.id,
            discrepancy = record.has_discrepancy(),
            "delivery received"
        );
        Ok(record)
    }

    /// The view of a receiving record (names, shortages, extras) for the screens.
    pub fn receiving_view(&self, r: &ReceivingRecord) -> Result<ReceivingView> {
        receiving_view(&self.conn, r)
    }

    /// Keep the hub's latest ETA for a delivery to this store (what the sync client does
    /// with `Frame::DeliveryEta`).
    pub fn record_delivery_eta(&self, eta: &DeliveryEta) -> Result<bool> {
        record_eta(&self.conn, eta)
    }
}
