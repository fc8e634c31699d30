//! HQ's replenishment and delivery actions, each run inside a writer job: orders, approvals,
//! proposals from low-stock alerts, shipments (plan, pick, dispatch, cancel), arrivals and the
//! driver's start. What tills must learn is written as hub ops (orders, status updates,
//! deliveries, stock moves); the shipment plan itself is the hub's own table.
//!
//! Refusals are `HubError::Rejected` (4xx with a `snake_case` code): unknown things 404,
//! bad input 400, a state that does not allow the action 409.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};
use sync_proto::logistics::{
    Delivery, Lifecycle, MAX_ORDER_LINES, MAX_ORDER_QTY, OrderLine, OrderOrigin,
    ReplenishmentOrder, StatusUpdate, Subject, merge_lines,
};
use sync_proto::validate::{MAX_STOCK_DELTA, MAX_TEXT, check_order, check_order_lines};
use sync_proto::{LocationId, OpBody, Scope, Sku, StockReason, StoreId};
use uuid::Uuid;

use super::read::{
    effective_lines, order_status, parse_lines, shipment_head, stop_cargo, stop_rows, stop_state,
    uuid_of,
};
use crate::writer::Apply;
use crate::{HubError, now_ms};

/// Most orders on one shipment.
pub const MAX_SHIPMENT_ORDERS: usize = 500;
/// Longest vehicle plate / fleet number.
pub const MAX_VEHICLE: usize = 32;

fn rejected(status: u16, code: &'static str, message: impl Into<String>) -> HubError {
    HubError::rejected(status, code, message)
}

fn now() -> i64 {
    now_ms() as i64
}

/// A store (not a warehouse) that exists.
fn require_store(conn: &Connection, store: &StoreId) -> Result<(), HubError> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM stores WHERE code = ?1")?
        .query_row([store.as_str()], |r| r.get(0))
        .optional()?;
    match kind.as_deref() {
        Some("store") => Ok(()),
        Some(_) => Err(rejected(
            400,
            "not_a_store",
            format!("{store} is a warehouse, not a store"),
        )),
        None => Err(rejected(404, "unknown_store", format!("no store {store}"))),
    }
}

/// Every SKU is in the catalog.
fn require_skus(conn: &Connection, lines: &[OrderLine]) -> Result<(), HubError> {
    let mut st = conn.prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?;
    for l in lines {
        if !st.exists([l.sku.as_str()])? {
            return Err(rejected(
                400,
                "unknown_sku",
                format!("no product {}", l.sku),
            ));
        }
    }
    Ok(())
}

fn write_update(ap: &mut Apply<'_, '_>, u: StatusUpdate) -> Result<(), HubError> {
    ap.hub_op(Scope::Store(u.store.clone()), OpBody::StatusUpdate(u))?;
    Ok(())
}

fn write_status(
    ap: &mut Apply<'_, '_>,
    subject: Subject,
    store: &StoreId,
    status: Lifecycle,
    at_ms: i64,
    by: &str,
) -> Result<(), HubError> {
    write_update(
        ap,
        StatusUpdate {
            subject,
            store: store.clone(),
            status,
            at_ms,
            by: by.to_owned(),
            lines: None,
            note: None,
        },
    )
}

/// A new order for a store, placed by HQ.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The store that will receive it.
    pub store: StoreId,
    /// What to send.
    pub lines: Vec<OrderLine>,
    /// Free text.
    pub note: Option<String>,
}

/// Place an order for a store as the hub (`origin` says whether HQ typed it or the proposal
/// made it). Returns its id.
pub fn place_order(
    ap: &mut Apply<'_, '_>,
    o: NewOrder,
    origin: OrderOrigin,
    by: &str,
) -> Result<Uuid, HubError> {
    require_store(ap.conn, &o.store)?;
    require_skus(ap.conn, &o.lines)?;
    let order = ReplenishmentOrder {
        id: Uuid::now_v7(),
        store: o.store.clone(),
        lines: o.lines,
        origin,
        placed_by: by.to_owned(),
        placed_ms: now(),
        note: o.note,
    };
    check_order(0, &order, &o.store).map_err(|e| rejected(400, "invalid_input", e.to_string()))?;
    let id = order.id;
    ap.hub_op(Scope::Store(o.store), OpBody::ReplenishmentOrder(order))?;
    Ok(id)
}

fn known_order(
    conn: &Connection,
    id: &Uuid,
) -> Result<(StoreId, Vec<OrderLine>, Lifecycle), HubError> {
    let (store, lines) = effective_lines(conn, id)?
        .ok_or_else(|| rejected(404, "unknown_order", format!("no order {id}")))?;
    let status = order_status(conn, id)?.unwrap_or(Lifecycle::Requested);
    Ok((store.parse()?, lines, status))
}

/// The live shipment carrying an order, if any.
fn shipment_of_order(conn: &Connection, id: &Uuid) -> Result<Option<Uuid>, HubError> {
    let s: Option<Vec<u8>> = conn
        .prepare_cached("SELECT shipment FROM shipment_order WHERE order_id = ?1 AND active = 1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    s.as_deref().map(uuid_of).transpose()
}

/// Approve an order, with changed quantities if given (else the current ones). Allowed while
/// it is requested or approved (a second approval replaces the quantities).
pub fn approve(
    ap: &mut Apply<'_, '_>,
    id: &Uuid,
    lines: Option<Vec<OrderLine>>,
    by: &str,
) -> Result<(), HubError> {
    let (store, current, status) = known_order(ap.conn, id)?;
    match status {
        Lifecycle::Cancelled => {
            return Err(rejected(
                409,
                "order_cancelled",
                format!("order {id} was cancelled"),
            ));
        }
        s if s > Lifecycle::Approved => {
            return Err(rejected(
                409,
                "order_in_progress",
                format!("order {id} is already {}", s.as_str()),
            ));
        }
        _ => {}
    }
    let lines = lines.unwrap_or(current);
    check_order_lines(0, "approval", &lines)
        .map_err(|e| rejected(400, "invalid_input", e.to_string()))?;
    require_skus(ap.conn, &lines)?;
    write_update(
        ap,
        StatusUpdate {
            subject: Subject::Order { id: *id },
            store,
            status: Lifecycle::Approved,
            at_ms: now(),
            by: by.to_owned(),
            lines: Some(lines),
            note: None,
        },
    )
}

/// Cancel an order before it leaves the warehouse (and while it is on no shipment).
/// Cancelling a cancelled order changes nothing.
pub fn cancel_order(
    ap: &mut Apply<'_, '_>,
    id: &Uuid,
    note: Option<String>,
    by: &str,
) -> Result<(), HubError> {
    let (store, _, status) = known_order(ap.conn, id)?;
    if status == Lifecycle::Cancelled {
        return Ok(());
    }
    if status >= Lifecycle::Dispatched {
        return Err(rejected(
            409,
            "order_dispatched",
            format!("order {id} is already {}", status.as_str()),
        ));
    }
    if let Some(s) = shipment_of_order(ap.conn, id)? {
        return Err(rejected(
            409,
            "order_on_shipment",
            format!("order {id} is on shipment {s}: cancel the shipment first"),
        ));
    }
    if note.as_ref().is_some_and(|n| n.len() > MAX_TEXT) {
        return Err(rejected(
            400,
            "invalid_input",
            format!("note longer than {MAX_TEXT} bytes"),
        ));
    }
    write_update(
        ap,
        StatusUpdate {
            subject: Subject::Order { id: *id },
            store,
            status: Lifecycle::Cancelled,
            at_ms: now(),
            by: by.to_owned(),
            lines: None,
            note,
        },
    )
}

/// Units per SKU already asked for by a store's open orders (neither received nor cancelled).
fn open_quantities(conn: &Connection, store: &str) -> Result<HashMap<String, i64>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT COALESCE(a.lines, o.lines) FROM repl_order o
         LEFT JOIN order_approved a ON a.id = o.id
         LEFT JOIN logi_status s ON s.kind = 'order' AND s.ref = o.id AND s.store = o.store
         WHERE o.store = ?1 AND COALESCE(s.status, 'requested') NOT IN ('received', 'cancelled')",
    )?;
    let mut out: HashMap<String, i64> = HashMap::new();
    let rows = st.query_map([store], |r| r.get::<_, String>(0))?;
    for json in rows {
        for l in parse_lines(&json?)? {
            *out.entry(l.sku.to_string()).or_default() += i64::from(l.qty);
        }
    }
    Ok(out)
}

/// A low-stock cell the proposal looks at: a store, a SKU and what it has now.
#[derive(Debug, Clone)]
pub struct LowStock {
    /// The store.
    pub store: StoreId,
    /// The SKU.
    pub sku: Sku,
    /// Units on hand (may be negative).
    pub on_hand: i64,
}

/// Propose orders from low-stock cells: per store one order (`origin: hq_proposal`) of
/// `target − on hand − already open` per SKU, where that is positive. Stores that are not
/// stores (warehouses, in-transit) and SKUs the catalog does not know are skipped. Returns the
/// new orders' ids.
pub fn propose(
    ap: &mut Apply<'_, '_>,
    cells: Vec<LowStock>,
    target: i64,
    by: &str,
) -> Result<Vec<Uuid>, HubError> {
    let mut per_store: BTreeMap<StoreId, Vec<(Sku, i64)>> = BTreeMap::new();
    for c in cells {
        per_store
            .entry(c.store)
            .or_default()
            .push((c.sku, c.on_hand));
    }
    let mut ids = Vec::new();
    for (store, cells) in per_store {
        if require_store(ap.conn, &store).is_err() {
            continue;
        }
        let open = open_quantities(ap.conn, store.as_str())?;
        let mut known = ap
            .conn
            .prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?;
        let mut lines = Vec::new();
        for (sku, on_hand) in cells {
            let qty = target - on_hand - open.get(sku.as_str()).copied().unwrap_or(0);
            if qty > 0 && known.exists([sku.as_str()])? {
                let qty = u32::try_from(qty.min(i64::from(MAX_ORDER_QTY))).unwrap_or(MAX_ORDER_QTY);
                lines.push(OrderLine { sku, qty });
            }
        }
        drop(known);
        lines.sort();
        for chunk in lines.chunks(MAX_ORDER_LINES) {
            let o = NewOrder {
                store: store.clone(),
                lines: chunk.to_vec(),
                note: Some("proposed from low-stock alerts".into()),
            };
            ids.push(place_order(ap, o, OrderOrigin::HqProposal, by)?);
        }
    }
    Ok(ids)
}

/// A new shipment: approved orders, optionally the route order of their stores and the
/// warehouse it leaves from (default: the first warehouse by code).
#[derive(Debug, Clone)]
pub struct NewShipment {
    /// Approved orders (one or more stores).
    pub orders: Vec<Uuid>,
    /// The stores in route order (must name each store of the orders once).
    pub stops_order: Option<Vec<StoreId>>,
    /// The warehouse.
    pub from: Option<LocationId>,
}

fn warehouse(conn: &Connection, from: Option<LocationId>) -> Result<LocationId, HubError> {
    match from {
        Some(code) => {
            let kind: Option<String> = conn
                .prepare_cached("SELECT kind FROM stores WHERE code = ?1")?
                .query_row([code.as_str()], |r| r.get(0))
                .optional()?;
            match kind.as_deref() {
                Some("warehouse") => Ok(code),
                Some(_) => Err(rejected(
                    400,
                    "not_a_warehouse",
                    format!("{code} is not a warehouse"),
                )),
                None => Err(rejected(
                    404,
                    "unknown_location",
                    format!("no warehouse {code}"),
                )),
            }
        }
        None => {
            let code: Option<String> = conn
                .prepare_cached(
                    "SELECT code FROM stores WHERE kind = 'warehouse' ORDER BY code LIMIT 1",
                )?
                .query_row([], |r| r.get(0))
                .optional()?;
            code.ok_or_else(|| {
                rejected(409, "no_warehouse", "the hub has no warehouse to ship from")
            })?
            .parse()
            .map_err(HubError::from)
        }
    }
}

/// The stores of the orders in route order.
fn route(
    orders: &[(Uuid, StoreId)],
    wanted: Option<Vec<StoreId>>,
) -> Result<Vec<StoreId>, HubError> {
    let mut stores: Vec<StoreId> = Vec::new();
    for (_, s) in orders {
        if !stores.contains(s) {
            stores.push(s.clone());
        }
    }
    let Some(wanted) = wanted else {
        return Ok(stores);
    };
    let mut sorted_wanted = wanted.clone();
    sorted_wanted.sort();
    let mut sorted = stores.clone();
    sorted.sort();
    if sorted_wanted != sorted {
        return Err(rejected(
            400,
            "invalid_input",
            "stops_order must name each store of the orders exactly once",
        ));
    }
    Ok(wanted)
}

/// Plan a shipment of approved orders. Returns its id.
pub fn create_shipment(ap: &mut Apply<'_, '_>, s: NewShipment, by: &str) -> Result<Uuid, HubError> {
    if s.orders.is_empty() || s.orders.len() > MAX_SHIPMENT_ORDERS {
        return Err(rejected(
            400,
            "invalid_input",
            format!("a shipment carries 1 to {MAX_SHIPMENT_ORDERS} orders"),
        ));
    }
    let mut orders: Vec<(Uuid, StoreId)> = Vec::new();
    for id in &s.orders {
        if orders.iter().any(|(o, _)| o == id) {
            return Err(rejected(
                400,
                "invalid_input",
                format!("order {id} listed twice"),
            ));
        }
        let (store, _, status) = known_order(ap.conn, id)?;
        if !matches!(status, Lifecycle::Approved | Lifecycle::Picked) {
            return Err(rejected(
                409,
                "order_not_approved",
                format!("order {id} is {}, not approved", status.as_str()),
            ));
        }
        if let Some(other) = shipment_of_order(ap.conn, id)? {
            return Err(rejected(
                409,
                "order_on_shipment",
                format!("order {id} is already on shipment {other}"),
            ));
        }
        orders.push((*id, store));
    }
    let stops = route(&orders, s.stops_order)?;
    let from = warehouse(ap.conn, s.from)?;
    let id = Uuid::now_v7();
    let key = id.as_bytes().as_slice();
    ap.conn
        .prepare_cached(
            "INSERT INTO shipment (id, created_ms, created_by, from_location) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![key, now(), by, from.as_str()])?;
    for (i, store) in stops.iter().enumerate() {
        ap.conn
            .prepare_cached(
                "INSERT INTO shipment_stop (shipment, store, stop_no) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![key, store.as_str(), i as i64 + 1])?;
    }
    for (order, store) in &orders {
        ap.conn
            .prepare_cached(
                "INSERT INTO shipment_order (shipment, order_id, store, active) VALUES (?1, ?2, ?3, 1)",
            )?
            .execute(params![key, order.as_bytes().as_slice(), store.as_str()])?;
        ap.logistics_touched().order(*order);
    }
    ap.logistics_touched().shipment(id);
    Ok(id)
}

/// The orders on a shipment (active ones), with their stores.
fn shipment_orders(conn: &Connection, id: &Uuid) -> Result<Vec<(Uuid, StoreId)>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT order_id, store FROM shipment_order WHERE shipment = ?1 AND active = 1 ORDER BY order_id",
    )?;
    let rows = st
        .query_map([id.as_bytes().as_slice()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(o, s)| Ok((uuid_of(&o)?, s.parse()?)))
        .collect()
}

/// A shipment HQ may still change before it leaves.
fn planned_head(conn: &Connection, id: &Uuid) -> Result<super::read::ShipmentHead, HubError> {
    let head = shipment_head(conn, id)?
        .ok_or_else(|| rejected(404, "unknown_shipment", format!("no shipment {id}")))?;
    if head.cancelled_ms.is_some() {
        return Err(rejected(
            409,
            "shipment_cancelled",
            format!("shipment {id} was cancelled"),
        ));
    }
    if head.dispatched_ms.is_some() {
        return Err(rejected(
            409,
            "already_dispatched",
            format!("shipment {id} has left"),
        ));
    }
    Ok(head)
}

/// The warehouse has picked a shipment: its orders and stops are `picked`.
pub fn pick(ap: &mut Apply<'_, '_>, id: &Uuid, by: &str) -> Result<(), HubError> {
    let head = planned_head(ap.conn, id)?;
    let at = now();
    for (order, store) in shipment_orders(ap.conn, id)? {
        let status = order_status(ap.conn, &order)?.unwrap_or(Lifecycle::Requested);
        if status < Lifecycle::Picked {
            write_status(
                ap,
                Subject::Order { id: order },
                &store,
                Lifecycle::Picked,
                at,
                by,
            )?;
        }
    }
    for stop in stop_rows(ap.conn, id)? {
        if stop_state(&head, &stop) < Lifecycle::Picked {
            let store: StoreId = stop.store.parse()?;
            let subject = Subject::Stop {
                shipment: *id,
                store: store.clone(),
            };
            write_status(ap, subject, &store, Lifecycle::Picked, at, by)?;
        }
    }
    ap.logistics_touched().shipment(*id);
    Ok(())
}

/// The driver of a dispatch: an active driver account → its display name.
fn driver_name(conn: &Connection, driver: &str) -> Result<String, HubError> {
    let row: Option<(String, String, bool)> = conn
        .prepare_cached("SELECT display_name, role, active FROM users WHERE username = ?1")?
        .query_row([driver], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        Some((name, role, true)) if role == "driver" => Ok(if name.trim().is_empty() {
            driver.to_owned()
        } else {
            name
        }),
        _ => Err(rejected(
            400,
            "unknown_driver",
            format!("{driver:?} is not an active driver account"),
        )),
    }
}

/// Move `qty` units warehouse → the store's in-transit location (in steps the op allows).
fn move_to_transit(
    ap: &mut Apply<'_, '_>,
    from: &LocationId,
    store: &StoreId,
    sku: &Sku,
    qty: u32,
    reference: &str,
) -> Result<(), HubError> {
    let transit = LocationId::in_transit_to(store);
    let mut left = i64::from(qty);
    while left > 0 {
        let step = left.min(MAX_STOCK_DELTA);
        left -= step;
        ap.hub_stock_move(
            from.clone(),
            sku.clone(),
            -step,
            StockReason::TransferOut,
            Some(reference.to_owned()),
        )?;
        ap.hub_stock_move_in(
            Scope::Store(store.clone()),
            transit.clone(),
            sku.clone(),
            step,
            StockReason::TransferIn,
            Some(reference.to_owned()),
        )?;
    }
    Ok(())
}

/// One stop as it leaves: its store, orders and summed lines.
struct Leaving {
    store: StoreId,
    orders: Vec<Uuid>,
    lines: Vec<OrderLine>,
}

/// The stops that still have orders to carry (a till may have cancelled one meanwhile: that
/// order is let go, and a stop left without orders is dropped from the route).
fn leaving_stops(ap: &mut Apply<'_, '_>, id: &Uuid, by: &str) -> Result<Vec<Leaving>, HubError> {
    let orders = shipment_orders(ap.conn, id)?;
    let mut out = Vec::new();
    for stop in stop_rows(ap.conn, id)? {
        let store: StoreId = stop.store.parse()?;
        if !store.has_own_transit() {
            return Err(rejected(
                409,
                "no_transit_location",
                format!("store {store} has no in-transit location of its own (code too long)"),
            ));
        }
        let mut mine = Vec::new();
        let mut lines = Vec::new();
        for (order, _) in orders.iter().filter(|(_, s)| *s == store) {
            if order_status(ap.conn, order)? == Some(Lifecycle::Cancelled) {
                ap.conn
                    .prepare_cached("UPDATE shipment_order SET active = 0 WHERE shipment = ?1 AND order_id = ?2")?
                    .execute(params![id.as_bytes().as_slice(), order.as_bytes().as_slice()])?;
                tracing::warn!(shipment = %id, %order, "a cancelled order left the shipment at dispatch");
                continue;
            }
            if let Some((_, l)) = effective_lines(ap.conn, order)? {
                lines.extend(l);
            }
            mine.push(*order);
        }
        if mine.is_empty() {
            if stop.status.is_some() {
                let subject = Subject::Stop {
                    shipment: *id,
                    store: store.clone(),
                };
                write_status(ap, subject, &store, Lifecycle::Cancelled, now(), by)?;
            }
            ap.conn
                .prepare_cached("DELETE FROM shipment_stop WHERE shipment = ?1 AND store = ?2")?
                .execute(params![id.as_bytes().as_slice(), store.as_str()])?;
            continue;
        }
        out.push(Leaving {
            store,
            orders: mine,
            lines: merge_lines(&lines),
        });
    }
    Ok(out)
}

/// Dispatch a planned shipment with a driver and a vehicle: one `Delivery` per stop, the
/// orders and stops `dispatched`, and the stock moves warehouse → `TR-<store>`.
pub fn dispatch(
    ap: &mut Apply<'_, '_>,
    id: &Uuid,
    driver: &str,
    vehicle: &str,
    by: &str,
) -> Result<(), HubError> {
    let head = planned_head(ap.conn, id)?;
    let driver_name = driver_name(ap.conn, driver)?;
    let vehicle = vehicle.trim();
    if vehicle.is_empty()
        || vehicle.chars().count() > MAX_VEHICLE
        || vehicle.chars().any(char::is_control)
    {
        return Err(rejected(
            400,
            "invalid_input",
            format!("vehicle must be 1-{MAX_VEHICLE} printable characters"),
        ));
    }
    ap.set_hq_user(by);
    let from: LocationId = head.from.parse()?;
    let stops = leaving_stops(ap, id, by)?;
    if stops.is_empty() {
        return Err(rejected(
            409,
            "nothing_to_dispatch",
            format!("shipment {id} has no order left to carry"),
        ));
    }
    let at = now();
    let total = stops.len() as u32;
    let reference = id.to_string();
    for (i, stop) in stops.iter().enumerate() {
        let stop_no = i as u32 + 1;
        ap.conn
            .prepare_cached(
                "UPDATE shipment_stop SET stop_no = ?3 WHERE shipment = ?1 AND store = ?2",
            )?
            .execute(params![
                id.as_bytes().as_slice(),
                stop.store.as_str(),
                stop_no
            ])?;
        ap.hub_op(
            Scope::Store(stop.store.clone()),
            OpBody::Delivery(Delivery {
                shipment: *id,
                store: stop.store.clone(),
                orders: stop.orders.clone(),
                lines: stop.lines.clone(),
                from: from.clone(),
                driver_name: driver_name.clone(),
                vehicle: vehicle.to_owned(),
                stop_no,
                stops_total: total,
                dispatched_ms: at,
            }),
        )?;
        let subject = Subject::Stop {
            shipment: *id,
            store: stop.store.clone(),
        };
        write_status(ap, subject, &stop.store, Lifecycle::Dispatched, at, by)?;
        for order in &stop.orders {
            write_status(
                ap,
                Subject::Order { id: *order },
                &stop.store,
                Lifecycle::Dispatched,
                at,
                by,
            )?;
        }
        for line in &stop.lines {
            move_to_transit(ap, &from, &stop.store, &line.sku, line.qty, &reference)?;
        }
    }
    ap.conn
        .prepare_cached(
            "UPDATE shipment SET driver = ?2, vehicle = ?3, dispatched_ms = ?4 WHERE id = ?1",
        )?
        .execute(params![id.as_bytes().as_slice(), driver, vehicle, at])?;
    ap.logistics_touched().shipment(*id);
    Ok(())
}

/// Drop a shipment before it leaves: its orders stay approved (or picked) and can be shipped
/// again; stops that tills already saw picked are cancelled for them. Idempotent.
pub fn cancel_shipment(ap: &mut Apply<'_, '_>, id: &Uuid, by: &str) -> Result<(), HubError> {
    let head = shipment_head(ap.conn, id)?
        .ok_or_else(|| rejected(404, "unknown_shipment", format!("no shipment {id}")))?;
    if head.cancelled_ms.is_some() {
        return Ok(());
    }
    if head.dispatched_ms.is_some() {
        return Err(rejected(
            409,
            "already_dispatched",
            format!("shipment {id} has left; it cannot be cancelled"),
        ));
    }
    let at = now();
    for (order, _) in shipment_orders(ap.conn, id)? {
        ap.logistics_touched().order(order);
    }
    ap.conn
        .prepare_cached("UPDATE shipment SET cancelled_ms = ?2 WHERE id = ?1")?
        .execute(params![id.as_bytes().as_slice(), at])?;
    ap.conn
        .prepare_cached("UPDATE shipment_order SET active = 0 WHERE shipment = ?1")?
        .execute([id.as_bytes().as_slice()])?;
    for stop in stop_rows(ap.conn, id)? {
        if stop.status.is_some() {
            let store: StoreId = stop.store.parse()?;
            let subject = Subject::Stop {
                shipment: *id,
                store: store.clone(),
            };
            write_status(ap, subject, &store, Lifecycle::Cancelled, at, by)?;
        }
    }
    ap.logistics_touched().shipment(*id);
    Ok(())
}

/// The truck is at a stop (the driver's button, HQ, or the geofence at a point's time): the
/// stop and its orders become `arrived`, once. Returns false when it already had arrived.
pub fn arrive(
    ap: &mut Apply<'_, '_>,
    shipment: &Uuid,
    store: &StoreId,
    by: &str,
    at_ms: i64,
) -> Result<bool, HubError> {
    let head = shipment_head(ap.conn, shipment)?
        .ok_or_else(|| rejected(404, "unknown_shipment", format!("no shipment {shipment}")))?;
    if head.cancelled_ms.is_some() || head.dispatched_ms.is_none() {
        return Err(rejected(
            409,
            "not_dispatched",
            format!("shipment {shipment} is not on the road"),
        ));
    }
    let stop = stop_rows(ap.conn, shipment)?
        .into_iter()
        .find(|s| s.store == store.as_str())
        .ok_or_else(|| {
            rejected(
                404,
                "unknown_stop",
                format!("shipment {shipment} has no stop at {store}"),
            )
        })?;
    if stop_state(&head, &stop) >= Lifecycle::Arrived {
        return Ok(false);
    }
    let subject = Subject::Stop {
        shipment: *shipment,
        store: store.clone(),
    };
    write_status(ap, subject, store, Lifecycle::Arrived, at_ms, by)?;
    let (orders, _) = stop_cargo(ap.conn, shipment, store.as_str())?;
    for order in orders {
        let status = order_status(ap.conn, &order)?.unwrap_or(Lifecycle::Requested);
        if status < Lifecycle::Arrived {
            write_status(
                ap,
                Subject::Order { id: order },
                store,
                Lifecycle::Arrived,
                at_ms,
                by,
            )?;
        }
    }
    Ok(true)
}

/// The driver tapped Start on their dispatched shipment (the first tap's time is kept).
pub fn start(ap: &mut Apply<'_, '_>, shipment: &Uuid, driver: &str) -> Result<(), HubError> {
    let head = shipment_head(ap.conn, shipment)?
        .filter(|h| h.driver.as_deref() == Some(driver))
        .ok_or_else(|| {
            rejected(
                404,
                "unknown_shipment",
                format!("no shipment {shipment} of yours"),
            )
        })?;
    if head.cancelled_ms.is_some() || head.dispatched_ms.is_none() {
        return Err(rejected(
            409,
            "not_dispatched",
            format!("shipment {shipment} is not on the road"),
        ));
    }
    if head.started_ms.is_none() {
        ap.conn
            .prepare_cached(
                "UPDATE shipment SET started_ms = ?2 WHERE id = ?1 AND started_ms IS NULL",
            )?
            .execute(params![shipment.as_bytes().as_slice(), now()])?;
        ap.logistics_touched().shipment(*shipment);
    }
    Ok(())
}
