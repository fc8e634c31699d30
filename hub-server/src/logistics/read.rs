//! Read models of replenishment and deliveries: orders, shipments with their stops, receivings,
//! store locations, a driver's route plan (for the GPS pipeline) and the snapshot records of a
//! new till. Everything here only reads; callers pass a read connection (or the writer's,
//! inside a job, to see the job's own changes).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension, Row, params};
use sync_proto::logistics::{
    DEFAULT_GEOFENCE_M, Lifecycle, OrderLine, OrderOrigin, ReceivedLine, merge_lines,
};
use sync_proto::{Op, StoreId};
use uuid::Uuid;

use super::{
    LineJson, Live, OrderJson, ReceivingJson, ReceivingLineJson, ShipmentJson, StopJson,
    StoreLocation,
};
use crate::HubError;

/// How far back a new till's snapshot carries finished orders and deliveries.
const SNAPSHOT_HISTORY_MS: i64 = 30 * 86_400_000;

pub(crate) fn uuid_of(bytes: &[u8]) -> Result<Uuid, HubError> {
    Uuid::from_slice(bytes).map_err(|e| HubError::Internal(format!("corrupt id: {e}")))
}

pub(crate) fn parse_lines(json: &str) -> Result<Vec<OrderLine>, HubError> {
    serde_json::from_str(json).map_err(|e| HubError::Internal(format!("corrupt order lines: {e}")))
}

fn line_json(lines: &[OrderLine]) -> Vec<LineJson> {
    lines
        .iter()
        .map(|l| LineJson {
            sku: l.sku.to_string(),
            qty: l.qty,
        })
        .collect()
}

fn status_of(s: Option<String>) -> Result<Option<Lifecycle>, HubError> {
    match s {
        None => Ok(None),
        Some(s) => Lifecycle::parse(&s)
            .map(Some)
            .ok_or_else(|| HubError::Internal(format!("corrupt status {s:?}"))),
    }
}

/// Product names of some SKUs (those the catalog knows).
fn names(conn: &Connection, skus: &BTreeSet<String>) -> Result<BTreeMap<String, String>, HubError> {
    let mut st = conn.prepare_cached("SELECT name FROM product WHERE sku = ?1")?;
    let mut out = BTreeMap::new();
    for sku in skus {
        let name: Option<Option<String>> = st.query_row([sku], |r| r.get(0)).optional()?;
        if let Some(Some(n)) = name {
            out.insert(sku.clone(), n);
        }
    }
    Ok(out)
}

const ORDER_SELECT: &str = "
    SELECT o.id, o.store, COALESCE(st.name, o.store), o.origin, o.placed_by, o.placed_ms, o.note,
           o.lines, a.lines, s.status, s.at_ms, s.by, so.shipment
    FROM repl_order o
    LEFT JOIN stores st ON st.code = o.store
    LEFT JOIN order_approved a ON a.id = o.id
    LEFT JOIN logi_status s ON s.kind = 'order' AND s.ref = o.id AND s.store = o.store
    LEFT JOIN shipment_order so ON so.order_id = o.id AND so.active = 1";

fn order_row(conn: &Connection, r: &Row<'_>) -> Result<OrderJson, HubError> {
    let id: Vec<u8> = r.get(0)?;
    let origin: String = r.get(3)?;
    let placed_by: String = r.get(4)?;
    let placed_ms: i64 = r.get(5)?;
    let lines = parse_lines(&r.get::<_, String>(7)?)?;
    let approved = r
        .get::<_, Option<String>>(8)?
        .map(|j| parse_lines(&j))
        .transpose()?;
    let status = status_of(r.get(9)?)?;
    let shipment: Option<Vec<u8>> = r.get(12)?;
    let skus: BTreeSet<String> = lines
        .iter()
        .chain(approved.iter().flatten())
        .map(|l| l.sku.to_string())
        .collect();
    Ok(OrderJson {
        id: uuid_of(&id)?,
        store: r.get(1)?,
        store_name: r.get(2)?,
        origin: if origin == "hq_proposal" {
            OrderOrigin::HqProposal
        } else {
            OrderOrigin::Store
        },
        note: r.get(6)?,
        lines: line_json(&lines),
        approved_lines: approved.as_deref().map(line_json),
        status: status.unwrap_or(Lifecycle::Requested),
        status_at_ms: r.get::<_, Option<i64>>(10)?.unwrap_or(placed_ms),
        status_by: r
            .get::<_, Option<String>>(11)?
            .unwrap_or_else(|| placed_by.clone()),
        placed_by,
        placed_ms,
        shipment: shipment.as_deref().map(uuid_of).transpose()?,
        name_of_skus: names(conn, &skus)?,
    })
}

/// One order.
pub fn order(conn: &Connection, id: &Uuid) -> Result<Option<OrderJson>, HubError> {
    let sql = format!("{ORDER_SELECT} WHERE o.id = ?1");
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query([id.as_bytes().as_slice()])?;
    match rows.next()? {
        Some(r) => Ok(Some(order_row(conn, r)?)),
        None => Ok(None),
    }
}

/// Orders, newest first: of one store, in one state, at most `limit`.
pub fn orders(
    conn: &Connection,
    store: Option<&str>,
    status: Option<Lifecycle>,
    limit: u32,
) -> Result<Vec<OrderJson>, HubError> {
    let sql = format!(
        "{ORDER_SELECT}
         WHERE (?1 IS NULL OR o.store = ?1) AND (?2 IS NULL OR COALESCE(s.status, 'requested') = ?2)
         ORDER BY o.placed_ms DESC, o.id DESC LIMIT ?3"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params![store, status.map(|s| s.as_str()), limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(order_row(conn, r)?);
    }
    Ok(out)
}

/// The lines that count for an order (the approval's, else what was asked), and its store.
pub(crate) fn effective_lines(
    conn: &Connection,
    id: &Uuid,
) -> Result<Option<(String, Vec<OrderLine>)>, HubError> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT o.store, COALESCE(a.lines, o.lines) FROM repl_order o
             LEFT JOIN order_approved a ON a.id = o.id WHERE o.id = ?1",
        )?
        .query_row([id.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(store, lines)| Ok((store, parse_lines(&lines)?)))
        .transpose()
}

/// The winning state of an order (requested when nobody moved it), if the order is known.
pub(crate) fn order_status(conn: &Connection, id: &Uuid) -> Result<Option<Lifecycle>, HubError> {
    let row: Option<Option<String>> = conn
        .prepare_cached(
            "SELECT s.status FROM repl_order o
             LEFT JOIN logi_status s ON s.kind = 'order' AND s.ref = o.id AND s.store = o.store
             WHERE o.id = ?1",
        )?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    match row {
        None => Ok(None),
        Some(s) => Ok(Some(status_of(s)?.unwrap_or(Lifecycle::Requested))),
    }
}

/// A store's geofence radius: its own, else the default.
fn radius(geofence_m: Option<f64>) -> f64 {
    geofence_m
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(DEFAULT_GEOFENCE_M)
}

/// A store's position and geofence (`None`: no such store).
pub fn store_location(conn: &Connection, store: &str) -> Result<Option<StoreLocation>, HubError> {
    Ok(conn
        .prepare_cached("SELECT lat, lon, geofence_m FROM stores WHERE code = ?1")?
        .query_row([store], |r| {
            Ok(StoreLocation {
                lat: r.get(0)?,
                lon: r.get(1)?,
                geofence_m: radius(r.get(2)?),
            })
        })
        .optional()?)
}

/// The header of a shipment.
#[derive(Debug, Clone)]
pub(crate) struct ShipmentHead {
    pub id: Uuid,
    pub created_ms: i64,
    pub created_by: String,
    pub from: String,
    pub driver: Option<String>,
    pub driver_name: Option<String>,
    pub vehicle: Option<String>,
    pub dispatched_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub cancelled_ms: Option<i64>,
}

pub(crate) fn shipment_head(
    conn: &Connection,
    id: &Uuid,
) -> Result<Option<ShipmentHead>, HubError> {
    Ok(conn
        .prepare_cached(
            "SELECT s.created_ms, s.created_by, s.from_location, s.driver, u.display_name,
                    s.vehicle, s.dispatched_ms, s.started_ms, s.cancelled_ms
             FROM shipment s LEFT JOIN users u ON u.username = s.driver WHERE s.id = ?1",
        )?
        .query_row([id.as_bytes().as_slice()], |r| {
            Ok(ShipmentHead {
                id: *id,
                created_ms: r.get(0)?,
                created_by: r.get(1)?,
                from: r.get(2)?,
                driver: r.get(3)?,
                driver_name: r.get(4)?,
                vehicle: r.get(5)?,
                dispatched_ms: r.get(6)?,
                started_ms: r.get(7)?,
                cancelled_ms: r.get(8)?,
            })
        })
        .optional()?)
}

/// One stop as planned and as it stands.
#[derive(Debug, Clone)]
pub(crate) struct StopRow {
    pub store: String,
    pub store_name: String,
    pub stop_no: u32,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: f64,
    /// The register's state (`None`: nobody moved the stop yet).
    pub status: Option<Lifecycle>,
    pub status_at_ms: Option<i64>,
    pub arrived_ms: Option<i64>,
    pub arrived_by: Option<String>,
}

pub(crate) fn stop_rows(conn: &Connection, shipment: &Uuid) -> Result<Vec<StopRow>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT ss.store, COALESCE(st.name, ss.store), ss.stop_no, st.lat, st.lon, st.geofence_m,
                ls.status, ls.at_ms, ls.arrived_ms, ls.arrived_by
         FROM shipment_stop ss
         LEFT JOIN stores st ON st.code = ss.store
         LEFT JOIN logi_status ls ON ls.kind = 'stop' AND ls.ref = ss.shipment AND ls.store = ss.store
         WHERE ss.shipment = ?1 ORDER BY ss.stop_no",
    )?;
    let mut rows = st.query([shipment.as_bytes().as_slice()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(StopRow {
            store: r.get(0)?,
            store_name: r.get(1)?,
            stop_no: r.get(2)?,
            lat: r.get(3)?,
            lon: r.get(4)?,
            radius_m: radius(r.get(5)?),
            status: status_of(r.get(6)?)?,
            status_at_ms: r.get(7)?,
            arrived_ms: r.get(8)?,
            arrived_by: r.get(9)?,
        });
    }
    Ok(out)
}

/// The state of a stop as shown: the register's, else what the shipment implies.
pub(crate) fn stop_state(head: &ShipmentHead, stop: &StopRow) -> Lifecycle {
    if head.cancelled_ms.is_some() {
        return Lifecycle::Cancelled;
    }
    match (stop.status, head.dispatched_ms) {
        (Some(s), _) => s,
        (None, Some(_)) => Lifecycle::Dispatched,
        (None, None) => Lifecycle::Approved,
    }
}

/// The orders of a stop (the delivery's once dispatched, else the plan's) and its lines.
pub(crate) fn stop_cargo(
    conn: &Connection,
    shipment: &Uuid,
    store: &str,
) -> Result<(Vec<Uuid>, Vec<OrderLine>), HubError> {
    let delivered: Option<(String, String)> = conn
        .prepare_cached("SELECT orders, lines FROM delivery WHERE shipment = ?1 AND store = ?2")?
        .query_row(params![shipment.as_bytes().as_slice(), store], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((orders, lines)) = delivered {
        let orders: Vec<Uuid> = serde_json::from_str(&orders)
            .map_err(|e| HubError::Internal(format!("corrupt delivery orders: {e}")))?;
        return Ok((orders, parse_lines(&lines)?));
    }
    let mut st = conn.prepare_cached(
        "SELECT order_id FROM shipment_order WHERE shipment = ?1 AND store = ?2 ORDER BY order_id",
    )?;
    let ids = st
        .query_map(params![shipment.as_bytes().as_slice(), store], |r| {
            r.get::<_, Vec<u8>>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut orders = Vec::with_capacity(ids.len());
    let mut all = Vec::new();
    for id in ids {
        let id = uuid_of(&id)?;
        if let Some((_, lines)) = effective_lines(conn, &id)? {
            all.extend(lines);
        }
        orders.push(id);
    }
    Ok((orders, merge_lines(&all)))
}

const RECEIVING_SELECT: &str = "
    SELECT r.id, r.shipment, r.store, COALESCE(st.name, r.store), r.received_by, r.received_ms,
           r.note, r.lines, r.has_discrepancy,
           EXISTS (SELECT 1 FROM receiving r2 WHERE r2.shipment = r.shipment AND r2.store = r.store
                   AND (r2.received_ms < r.received_ms
                        OR (r2.received_ms = r.received_ms AND r2.id < r.id))) AS duplicate,
           NOT EXISTS (SELECT 1 FROM delivery d WHERE d.shipment = r.shipment AND d.store = r.store)
             AS no_delivery
    FROM receiving r LEFT JOIN stores st ON st.code = r.store";

fn receiving_row(r: &Row<'_>) -> Result<ReceivingJson, HubError> {
    let lines: Vec<ReceivedLine> = serde_json::from_str(&r.get::<_, String>(7)?)
        .map_err(|e| HubError::Internal(format!("corrupt receiving lines: {e}")))?;
    Ok(ReceivingJson {
        id: uuid_of(&r.get::<_, Vec<u8>>(0)?)?,
        shipment: uuid_of(&r.get::<_, Vec<u8>>(1)?)?,
        store: r.get(2)?,
        store_name: r.get(3)?,
        received_by: r.get(4)?,
        received_ms: r.get(5)?,
        note: r.get(6)?,
        lines: lines
            .iter()
            .map(|l| ReceivingLineJson {
                sku: l.sku.to_string(),
                expected: l.expected,
                received: l.received,
                damaged: l.damaged,
                shortage: l.shortage(),
                extra: l.extra(),
            })
            .collect(),
        has_discrepancy: r.get(8)?,
        duplicate: r.get(9)?,
        no_delivery: r.get(10)?,
    })
}

/// The first receiving of a stop (the one that counts).
fn stop_receiving(
    conn: &Connection,
    shipment: &Uuid,
    store: &str,
) -> Result<Option<ReceivingJson>, HubError> {
    let sql = format!(
        "{RECEIVING_SELECT} WHERE r.shipment = ?1 AND r.store = ?2
         ORDER BY r.received_ms, r.id LIMIT 1"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params![shipment.as_bytes().as_slice(), store])?;
    rows.next()?.map(receiving_row).transpose()
}

/// Receivings, newest first: of one store; only those with a discrepancy (shortage, damage,
/// extra, a second count, no delivery) when asked.
pub fn receivings(
    conn: &Connection,
    store: Option<&str>,
    discrepancies_only: bool,
    limit: u32,
) -> Result<Vec<ReceivingJson>, HubError> {
    let sql = format!(
        "SELECT * FROM ({RECEIVING_SELECT} WHERE (?1 IS NULL OR r.store = ?1))
         WHERE (?2 = 0 OR has_discrepancy = 1 OR duplicate OR no_delivery)
         ORDER BY received_ms DESC, id DESC LIMIT ?3"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params![store, discrepancies_only, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(receiving_row(r)?);
    }
    Ok(out)
}

/// The least advanced of the stops (cancelled stops aside); all cancelled → cancelled.
fn shipment_state(stops: &[StopJson], cancelled: bool) -> Lifecycle {
    if cancelled {
        return Lifecycle::Cancelled;
    }
    stops
        .iter()
        .map(|s| s.status)
        .filter(|s| *s != Lifecycle::Cancelled)
        .min()
        .unwrap_or(Lifecycle::Cancelled)
}

/// One shipment with its stops, their cargo, ETAs and receivings.
pub fn shipment(
    conn: &Connection,
    id: &Uuid,
    live: &Live,
) -> Result<Option<ShipmentJson>, HubError> {
    let Some(head) = shipment_head(conn, id)? else {
        return Ok(None);
    };
    let mut stops = Vec::new();
    for row in stop_rows(conn, id)? {
        let status = stop_state(&head, &row);
        let (orders, lines) = stop_cargo(conn, id, &row.store)?;
        let eta = (status < Lifecycle::Arrived)
            .then(|| live.eta(*id, &row.store))
            .flatten();
        stops.push(StopJson {
            receiving: stop_receiving(conn, id, &row.store)?,
            received_ms: (status == Lifecycle::Received)
                .then_some(row.status_at_ms)
                .flatten(),
            store: row.store,
            store_name: row.store_name,
            stop_no: row.stop_no,
            lat: row.lat,
            lon: row.lon,
            radius_m: row.radius_m,
            status,
            arrived_ms: row.arrived_ms,
            arrived_by: row.arrived_by,
            orders,
            lines: line_json(&lines),
            eta_ms: eta.and_then(|e| e.eta_ms),
            distance_m: eta.and_then(|e| e.distance_m),
        });
    }
    Ok(Some(ShipmentJson {
        id: head.id,
        status: shipment_state(&stops, head.cancelled_ms.is_some()),
        created_ms: head.created_ms,
        created_by: head.created_by,
        driver: head.driver,
        driver_name: head.driver_name,
        vehicle: head.vehicle,
        started_ms: head.started_ms,
        dispatched_ms: head.dispatched_ms,
        cancelled_ms: head.cancelled_ms,
        from: head.from,
        stops,
    }))
}

/// Which shipments a list shows.
#[derive(Debug, Clone, Default)]
pub struct ShipmentFilter {
    /// Only in this state.
    pub status: Option<Lifecycle>,
    /// Only created or dispatched in `[from_ms, to_ms)`.
    pub window_ms: Option<(i64, i64)>,
    /// Only with a stop at this store.
    pub store: Option<String>,
    /// Show only the stop of `store` (a store manager's view).
    pub only_that_stop: bool,
    /// Only of this driver (username), dispatched.
    pub driver: Option<String>,
    /// Only those not finished yet (some stop neither received nor cancelled).
    pub open_only: bool,
    /// At most this many (newest first).
    pub limit: u32,
}

/// Shipments, newest first.
pub fn shipments(
    conn: &Connection,
    f: &ShipmentFilter,
    live: &Live,
) -> Result<Vec<ShipmentJson>, HubError> {
    let (from, to) = f.window_ms.unzip();
    let mut st = conn.prepare_cached(
        "SELECT s.id FROM shipment s
         WHERE (?1 IS NULL OR (s.created_ms >= ?1 AND s.created_ms < ?2)
                           OR (s.dispatched_ms >= ?1 AND s.dispatched_ms < ?2))
           AND (?3 IS NULL OR EXISTS (SELECT 1 FROM shipment_stop ss
                                      WHERE ss.shipment = s.id AND ss.store = ?3))
           AND (?4 IS NULL OR (s.driver = ?4 AND s.dispatched_ms IS NOT NULL))
         ORDER BY s.created_ms DESC, s.id DESC LIMIT ?5",
    )?;
    // Status is computed from the stops: read a generous window, filter, then cut.
    let window = if f.status.is_some() || f.open_only {
        f.limit.saturating_mul(10).max(1000)
    } else {
        f.limit
    };
    let ids = st
        .query_map(params![from, to, f.store, f.driver, window], |r| {
            r.get::<_, Vec<u8>>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        let Some(mut s) = shipment(conn, &uuid_of(&id)?, live)? else {
            continue;
        };
        if f.status.is_some_and(|want| want != s.status) {
            continue;
        }
        if f.open_only && s.status.is_final() {
            continue;
        }
        if let (Some(store), true) = (&f.store, f.only_that_stop) {
            s.stops.retain(|st| &st.store == store);
        }
        out.push(s);
        if out.len() >= f.limit as usize {
            break;
        }
    }
    Ok(out)
}

/// One stop of a driver's route, for the GPS pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStop {
    /// Store code.
    pub store: StoreId,
    /// Position on the route.
    pub stop_no: u32,
    /// Where the store is, if known.
    pub at: Option<(f64, f64)>,
    /// Geofence radius in metres.
    pub radius_m: f64,
    /// Where the stop stands.
    pub status: Lifecycle,
    /// When the truck arrived, if it did.
    pub arrived_ms: Option<i64>,
}

/// A dispatched shipment as the GPS pipeline follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The shipment.
    pub shipment: Uuid,
    /// Its driver (username).
    pub driver: String,
    /// The driver's display name.
    pub driver_name: String,
    /// The vehicle.
    pub vehicle: Option<String>,
    /// Stops in route order.
    pub stops: Vec<PlanStop>,
}

/// The route of a dispatched shipment (`None`: unknown, not dispatched or cancelled).
pub fn plan(conn: &Connection, id: &Uuid) -> Result<Option<Plan>, HubError> {
    let Some(head) = shipment_head(conn, id)? else {
        return Ok(None);
    };
    let (Some(driver), Some(_)) = (head.driver.clone(), head.dispatched_ms) else {
        return Ok(None);
    };
    if head.cancelled_ms.is_some() {
        return Ok(None);
    }
    let mut stops = Vec::new();
    for row in stop_rows(conn, id)? {
        let status = stop_state(&head, &row);
        stops.push(PlanStop {
            store: row.store.parse()?,
            stop_no: row.stop_no,
            at: row.lat.zip(row.lon),
            radius_m: row.radius_m,
            status,
            arrived_ms: row.arrived_ms,
        });
    }
    Ok(Some(Plan {
        shipment: *id,
        driver_name: head.driver_name.clone().unwrap_or_else(|| driver.clone()),
        driver,
        vehicle: head.vehicle,
        stops,
    }))
}

/// The shipment a driver is on: the one they started most recently, else the most recently
/// dispatched, among those with a stop still to serve.
pub fn driver_plan(conn: &Connection, driver: &str) -> Result<Option<Plan>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM shipment WHERE driver = ?1 AND dispatched_ms IS NOT NULL
           AND cancelled_ms IS NULL
         ORDER BY COALESCE(started_ms, 0) DESC, dispatched_ms DESC LIMIT 20",
    )?;
    let ids = st
        .query_map([driver], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for id in ids {
        if let Some(p) = plan(conn, &uuid_of(&id)?)?
            && p.stops.iter().any(|s| s.status < Lifecycle::Arrived)
        {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The winning ops a new till of `store` needs: its recent and open orders with their status
/// and approval, its recent and open deliveries with their stop status, its recent receivings.
pub fn snapshot_records(
    conn: &Connection,
    store: &str,
    mut each: impl FnMut(Op) -> Result<(), HubError>,
) -> Result<(), HubError> {
    let since = crate::now_ms() as i64 - SNAPSHOT_HISTORY_MS;
    let open_orders = format!(
        "o.store = ?1 AND (o.placed_ms >= {since} OR NOT EXISTS (
            SELECT 1 FROM logi_status s WHERE s.kind = 'order' AND s.ref = o.id
              AND s.store = o.store AND s.status IN ('received', 'cancelled')))"
    );
    let open_stops = format!(
        "d.store = ?1 AND (d.dispatched_ms >= {since} OR NOT EXISTS (
            SELECT 1 FROM logi_status s WHERE s.kind = 'stop' AND s.ref = d.shipment
              AND s.store = d.store AND s.status IN ('received', 'cancelled')))"
    );
    let queries = [
        format!(
            "SELECT l.cursor, l.body FROM repl_order o JOIN op_log l ON l.cursor = o.cursor
             WHERE {open_orders} ORDER BY o.cursor"
        ),
        format!(
            "SELECT l.cursor, l.body FROM repl_order o JOIN order_approved a ON a.id = o.id
             JOIN op_log l ON l.cursor = a.cursor WHERE {open_orders} ORDER BY a.cursor"
        ),
        format!(
            "SELECT l.cursor, l.body FROM repl_order o JOIN logi_status s
               ON s.kind = 'order' AND s.ref = o.id AND s.store = o.store
             JOIN op_log l ON l.cursor = s.cursor WHERE {open_orders} ORDER BY s.cursor"
        ),
        format!(
            "SELECT l.cursor, l.body FROM delivery d JOIN op_log l ON l.cursor = d.cursor
             WHERE {open_stops} ORDER BY d.cursor"
        ),
        format!(
            "SELECT l.cursor, l.body FROM delivery d JOIN logi_status s
               ON s.kind = 'stop' AND s.ref = d.shipment AND s.store = d.store
             JOIN op_log l ON l.cursor = s.cursor WHERE {open_stops} ORDER BY s.cursor"
        ),
        format!(
            "SELECT l.cursor, l.body FROM receiving r JOIN op_log l ON l.cursor = r.cursor
             WHERE r.store = ?1 AND r.received_ms >= {since} ORDER BY r.cursor"
        ),
    ];
    for sql in &queries {
        crate::reports::for_each_logged_op(conn, sql, &store, &mut each)?;
    }
    Ok(())
}
