//! Replenishment and deliveries at the hub (issue 5): the projection of logistics ops, HQ's
//! actions (approve, propose, ship, pick, dispatch, arrive, cancel), the console's read models
//! and the snapshot records of a new till.
//!
//! The model is `sync_proto::logistics`:
//! - **Projection** ([`apply_op`], called by the writer for every new op): orders grow-only by
//!   id (`repl_order`), the status max-register per subject (`logi_status`, the rule of
//!   `sync_proto::logistics::status_wins`; the first arrival is kept beside it), the approved
//!   quantities by HLC (`order_approved`), deliveries last writer wins (`delivery`), receivings
//!   grow-only (`receiving`; a second receiving of one stop, or one for a stop without a
//!   delivery, is stored and flagged when read). Till ops get the hub-side checks that need
//!   state (an order id of another store, a status for another store's order): those are
//!   forged and refuse the batch; legitimate races (a till cancelling what HQ just approved)
//!   are folded like everything else.
//! - **Actions** ([`actions`]): HQ work as hub ops inside writer jobs; shipments are the
//!   hub's own planning (`shipment`, `shipment_stop`, `shipment_order`), what tills learn of
//!   them are the `Delivery` and status ops written at pick and dispatch. Dispatch moves stock
//!   warehouse → `TR-<store>` with the hub's own stock moves.
//! - **Reads** ([`read`]): [`OrderJson`], [`ShipmentJson`], [`ReceivingJson`] as the REST API
//!   and the live events give them, with the stop ETAs of [`Live`] (kept by `crate::gps`).
//! - **Events**: the writer collects the orders and shipments a transaction changed
//!   ([`Touched`]) and [`touched_events`] builds one `order` / `shipment` event each just
//!   before `COMMIT` (published after it).

pub mod actions;
mod projection;
pub mod read;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sync_proto::logistics::{Lifecycle, OrderOrigin};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::events::Event;

pub use projection::apply_op;
pub use read::{order, orders, receivings, shipment, shipments, snapshot_records, store_location};

// ---------------------------------------------------------------------------------------------
// JSON shapes (REST, events, ts-rs)
// ---------------------------------------------------------------------------------------------

/// One SKU and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct LineJson {
    /// SKU.
    pub sku: String,
    /// Units.
    pub qty: u32,
}

/// A replenishment order as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct OrderJson {
    /// Order id.
    pub id: Uuid,
    /// Store that will receive it.
    pub store: String,
    /// The store's name.
    pub store_name: String,
    /// `store` (a store manager at a till) or `hq_proposal`.
    #[schema(value_type = String)]
    pub origin: OrderOrigin,
    /// Who placed it.
    pub placed_by: String,
    /// When (ms since epoch).
    #[ts(type = "number")]
    pub placed_ms: i64,
    /// Free text.
    pub note: Option<String>,
    /// What was asked for.
    pub lines: Vec<LineJson>,
    /// What HQ approved, once it did.
    pub approved_lines: Option<Vec<LineJson>>,
    /// Where it stands.
    #[schema(value_type = String)]
    pub status: Lifecycle,
    /// When it got there (ms since epoch).
    #[ts(type = "number")]
    pub status_at_ms: i64,
    /// Who moved it there.
    pub status_by: String,
    /// The shipment carrying it, if any.
    pub shipment: Option<Uuid>,
    /// Product names of its SKUs.
    #[ts(type = "Record<string, string>")]
    pub name_of_skus: BTreeMap<String, String>,
}

/// One line of what a store counted in, with its discrepancies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ReceivingLineJson {
    /// SKU.
    pub sku: String,
    /// Units the delivery announced (0 for an extra).
    pub expected: u32,
    /// Units counted (damaged included).
    pub received: u32,
    /// Of those, damaged.
    pub damaged: u32,
    /// Expected but missing.
    pub shortage: u32,
    /// Came without being expected.
    pub extra: u32,
}

/// A store's count of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ReceivingJson {
    /// Record id.
    pub id: Uuid,
    /// The shipment received.
    pub shipment: Uuid,
    /// The receiving store.
    pub store: String,
    /// Its name.
    pub store_name: String,
    /// Who counted.
    pub received_by: String,
    /// When (ms since epoch, the till's clock).
    #[ts(type = "number")]
    pub received_ms: i64,
    /// Free text.
    pub note: Option<String>,
    /// Every line of the delivery plus extras.
    pub lines: Vec<ReceivingLineJson>,
    /// Something did not match (shortage, damage or extra).
    pub has_discrepancy: bool,
    /// Another receiving of the same stop came first: this one is a second count.
    pub duplicate: bool,
    /// The hub knows no delivery of this shipment to this store.
    pub no_delivery: bool,
}

/// One stop (destination store) of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StopJson {
    /// Store code.
    pub store: String,
    /// Store name.
    pub store_name: String,
    /// Position on the route (1-based).
    pub stop_no: u32,
    /// Where the store is, if known.
    pub lat: Option<f64>,
    /// Where the store is, if known.
    pub lon: Option<f64>,
    /// Geofence radius in metres.
    pub radius_m: f64,
    /// Where the stop stands.
    #[schema(value_type = String)]
    pub status: Lifecycle,
    /// When the truck arrived (ms since epoch).
    #[ts(type = "number | null")]
    pub arrived_ms: Option<i64>,
    /// Who marked the arrival (driver, HQ user, store staff or `geofence`).
    pub arrived_by: Option<String>,
    /// When the store confirmed receiving it.
    #[ts(type = "number | null")]
    pub received_ms: Option<i64>,
    /// The orders this stop fulfils.
    pub orders: Vec<Uuid>,
    /// What is (or will be) on the truck for this store.
    pub lines: Vec<LineJson>,
    /// Expected arrival (ms since epoch), while the truck is on its way.
    #[ts(type = "number | null")]
    pub eta_ms: Option<i64>,
    /// Distance left along the remaining stops, metres.
    pub distance_m: Option<u32>,
    /// The store's count, once it received.
    pub receiving: Option<ReceivingJson>,
}

/// A shipment: one truck, one route of stops.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ShipmentJson {
    /// Shipment id.
    pub id: Uuid,
    /// The least advanced of its stops (all received → received; cancelled before dispatch).
    #[schema(value_type = String)]
    pub status: Lifecycle,
    /// When HQ planned it.
    #[ts(type = "number")]
    pub created_ms: i64,
    /// Who planned it.
    pub created_by: String,
    /// Username of the driver, once dispatched.
    pub driver: Option<String>,
    /// The driver's display name.
    pub driver_name: Option<String>,
    /// Plate or fleet number.
    pub vehicle: Option<String>,
    /// When the driver tapped Start.
    #[ts(type = "number | null")]
    pub started_ms: Option<i64>,
    /// When it left the warehouse.
    #[ts(type = "number | null")]
    pub dispatched_ms: Option<i64>,
    /// When HQ cancelled it (before dispatch).
    #[ts(type = "number | null")]
    pub cancelled_ms: Option<i64>,
    /// The warehouse it leaves from.
    pub from: String,
    /// Its stops in route order.
    pub stops: Vec<StopJson>,
}

/// A store's position and geofence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StoreLocation {
    /// Latitude (WGS 84), if set.
    pub lat: Option<f64>,
    /// Longitude (WGS 84), if set.
    pub lon: Option<f64>,
    /// Geofence radius in metres (the default when the store has none).
    pub geofence_m: f64,
}

// ---------------------------------------------------------------------------------------------
// Live state shared with the GPS pipeline
// ---------------------------------------------------------------------------------------------

/// The ETA of one stop, as the GPS pipeline last computed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopEta {
    /// Expected arrival (ms since epoch), once a speed is known.
    pub eta_ms: Option<i64>,
    /// Distance left along the route (metres).
    pub distance_m: Option<u32>,
    /// When it was computed (ms since epoch).
    pub at_ms: i64,
}

/// Logistics state that is not in the database: the stop ETAs (written by `crate::gps`, read
/// by the read models) and change generations the writer bumps after every commit that
/// changed an order, a shipment or a stop — one chain-wide, one per driver whose shipment
/// changed (the GPS pipeline reloads a driver's route plan when theirs moved).
#[derive(Default)]
pub struct Live {
    generation: AtomicU64,
    drivers: RwLock<HashMap<String, u64>>,
    etas: RwLock<HashMap<(Uuid, String), StopEta>>,
}

impl Live {
    /// Something changed (after a commit), touching these drivers' shipments.
    pub fn bump(&self, drivers: &[String]) {
        let g = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if !drivers.is_empty() {
            let mut map = self.drivers.write();
            for d in drivers {
                map.insert(d.clone(), g);
            }
        }
    }

    /// The chain-wide change counter.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The generation of the last change to one of `driver`'s shipments (0: none yet).
    pub fn driver_generation(&self, driver: &str) -> u64 {
        self.drivers.read().get(driver).copied().unwrap_or(0)
    }

    /// Record the ETA of a stop.
    pub fn set_eta(&self, shipment: Uuid, store: &str, eta: StopEta) {
        self.etas.write().insert((shipment, store.to_owned()), eta);
    }

    /// Forget the ETA of a stop (arrived, received, cancelled).
    pub fn clear_eta(&self, shipment: Uuid, store: &str) {
        self.etas.write().remove(&(shipment, store.to_owned()));
    }

    /// The ETA of a stop, if the truck is on its way.
    pub fn eta(&self, shipment: Uuid, store: &str) -> Option<StopEta> {
        self.etas.read().get(&(shipment, store.to_owned())).copied()
    }
}

/// Orders and shipments changed by the current writer transaction.
#[derive(Debug, Default)]
pub struct Touched {
    orders: BTreeSet<Uuid>,
    shipments: BTreeSet<Uuid>,
    drivers: Vec<String>,
    changed: bool,
}

impl Touched {
    /// An order changed.
    pub fn order(&mut self, id: Uuid) {
        self.orders.insert(id);
        self.changed = true;
    }

    /// A shipment (or one of its stops) changed.
    pub fn shipment(&mut self, id: Uuid) {
        self.shipments.insert(id);
        self.changed = true;
    }

    /// Did anything change since the last call, and whose shipments (drivers)?
    pub fn take_changed(&mut self) -> Option<Vec<String>> {
        std::mem::take(&mut self.changed).then(|| std::mem::take(&mut self.drivers))
    }

    /// Forget everything (a failed transaction).
    pub fn clear(&mut self) {
        self.orders.clear();
        self.shipments.clear();
        self.drivers.clear();
        self.changed = false;
    }
}

/// The live shipment of an order, if any.
fn shipment_of(conn: &Connection, order: &Uuid) -> rusqlite::Result<Option<Uuid>> {
    use rusqlite::OptionalExtension;
    let s: Option<Vec<u8>> = conn
        .prepare_cached("SELECT shipment FROM shipment_order WHERE order_id = ?1 AND active = 1")?
        .query_row([order.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    Ok(s.and_then(|b| Uuid::from_slice(&b).ok()))
}

/// The driver of a shipment, once dispatched.
fn driver_of(conn: &Connection, shipment: &Uuid) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT driver FROM shipment WHERE id = ?1")?
        .query_row([shipment.as_bytes().as_slice()], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Just before `COMMIT`: note the drivers whose shipments the transaction changed, and build
/// the `order` and `shipment` events (one each) when anyone listens. A failure is logged,
/// never fails the commit.
pub fn touched_events(
    conn: &Connection,
    touched: &mut Touched,
    wanted: bool,
    live: &Live,
    events: &mut Vec<Event>,
) {
    let orders = std::mem::take(&mut touched.orders);
    let mut shipments = std::mem::take(&mut touched.shipments);
    for id in &orders {
        match shipment_of(conn, id) {
            Ok(Some(s)) => {
                shipments.insert(s);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(%id, error = %e, "could not find an order's shipment"),
        }
    }
    for id in &shipments {
        match driver_of(conn, id) {
            Ok(Some(d)) if !touched.drivers.contains(&d) => touched.drivers.push(d),
            Ok(_) => {}
            Err(e) => tracing::warn!(%id, error = %e, "could not find a shipment's driver"),
        }
    }
    if !wanted {
        return;
    }
    for id in orders {
        match read::order(conn, &id) {
            Ok(Some(o)) => events.push(Event::Order { order: o }),
            Ok(None) => {}
            Err(e) => tracing::warn!(%id, error = %e, "could not build an order event"),
        }
    }
    for id in shipments {
        match read::shipment(conn, &id, live) {
            Ok(Some(s)) => events.push(Event::Shipment { shipment: s }),
            Ok(None) => {}
            Err(e) => tracing::warn!(%id, error = %e, "could not build a shipment event"),
        }
    }
}
