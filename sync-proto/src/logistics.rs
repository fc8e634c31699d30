//! Replenishment and deliveries: from a store's request to stock on its shelf (issue 5).
//!
//! The flow, and the op that records each step:
//!
//! 1. **Request** — a store manager at a till (or HQ, proposing from low-stock alerts) places a
//!    [`ReplenishmentOrder`] (grow-only by id, scope of the store). A till writes it offline like
//!    a sale; it reaches HQ when the till next syncs.
//! 2. **Approve / pick** — HQ approves, possibly changing quantities, and the warehouse picks:
//!    [`StatusUpdate`]s of the order (`approved` carries the approved lines).
//! 3. **Dispatch** — HQ groups approved orders of a route into a shipment, assigns a driver and a
//!    vehicle and dispatches it. The hub writes one [`Delivery`] per stop (scope of that store:
//!    what is on the truck for it) and the stock moves: warehouse −qty, the store's in-transit
//!    location ([`LocationId::in_transit_to`]) +qty.
//! 4. **Drive / track** — GPS positions are not ops (see [`crate::gps`]); the hub keeps them and
//!    tells the destination's tills the ETA with [`crate::wire::Frame::DeliveryEta`].
//! 5. **Arrive** — the geofence or the driver's button: the hub writes `arrived` for the stop
//!    and its orders.
//! 6. **Receive** — the store counts what came and confirms at a till: one [`ReceivingRecord`]
//!    (grow-only by id), stock moves in-transit −shipped and store +received good units, and
//!    `received` for the stop and its orders.
//!
//! Status is a **max-register** over the ordered [`Lifecycle`] per [`Subject`] (an order or one
//! stop of a shipment): concurrent updates from a till, the driver and HQ converge to the
//! furthest state; of two updates to the same state the earliest `at_ms` (then the lower
//! actor) wins, so "arrived at 10:42" is the first arrival. `cancelled` is the top: terminal.
//!
//! [`LogisticsState`] is the pure model of all of this; both SQL stores follow it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::ids::{LocationId, Sku, StoreId};
use crate::op::{Op, OpBody};

/// Most lines on one order, delivery or receiving record.
pub const MAX_ORDER_LINES: usize = 500;
/// Largest quantity on one order line.
pub const MAX_ORDER_QTY: u32 = 100_000;
/// Geofence radius when the store has none configured, in metres.
pub const DEFAULT_GEOFENCE_M: f64 = 150.0;
/// Longest store code whose in-transit location `TR-<store>` is a whole location code (16
/// characters at most); a longer code would be cut and could share one with another store.
pub const MAX_TRANSIT_STORE_CODE: usize = 13;

/// Where an order or a stop stands. The derived order is the lifecycle; `Cancelled` is a
/// terminal branch and ranks above everything, so a cancellation always wins the merge.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Lifecycle {
    /// Asked for by a store (or proposed by HQ).
    Requested,
    /// HQ agreed (with the quantities in the approving update).
    Approved,
    /// The warehouse has picked it.
    Picked,
    /// On a truck.
    Dispatched,
    /// The truck is at the store.
    Arrived,
    /// The store counted it in.
    Received,
    /// Will not happen (terminal).
    Cancelled,
}

impl Lifecycle {
    /// The state as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Requested => "requested",
            Lifecycle::Approved => "approved",
            Lifecycle::Picked => "picked",
            Lifecycle::Dispatched => "dispatched",
            Lifecycle::Arrived => "arrived",
            Lifecycle::Received => "received",
            Lifecycle::Cancelled => "cancelled",
        }
    }

    /// Position in the lifecycle (0 = requested … 6 = cancelled); the max-register's order.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// Parse what [`Lifecycle::as_str`] wrote.
    pub fn parse(s: &str) -> Option<Lifecycle> {
        Some(match s {
            "requested" => Lifecycle::Requested,
            "approved" => Lifecycle::Approved,
            "picked" => Lifecycle::Picked,
            "dispatched" => Lifecycle::Dispatched,
            "arrived" => Lifecycle::Arrived,
            "received" => Lifecycle::Received,
            "cancelled" => Lifecycle::Cancelled,
            _ => return None,
        })
    }

    /// True once nothing can move it any more (received or cancelled).
    pub fn is_final(self) -> bool {
        matches!(self, Lifecycle::Received | Lifecycle::Cancelled)
    }
}

/// Who started an order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OrderOrigin {
    /// A store manager at a till.
    Store,
    /// HQ, from the low-stock alerts.
    HqProposal,
}

/// One SKU and how many.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct OrderLine {
    /// What.
    pub sku: Sku,
    /// How many (1 ..= [`MAX_ORDER_QTY`]).
    pub qty: u32,
}

/// A store's request for stock from the warehouse (`OpBody::ReplenishmentOrder`, scope of the
/// store, grow-only by id). Tills write it with `origin: Store`; the hub with `HqProposal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplenishmentOrder {
    /// Order id (UUIDv7, made where it was placed).
    pub id: Uuid,
    /// The store that will receive it.
    pub store: StoreId,
    /// What was asked for (1 ..= [`MAX_ORDER_LINES`] lines, each SKU once).
    pub lines: Vec<OrderLine>,
    /// Who started it.
    pub origin: OrderOrigin,
    /// Who placed it (staff name at a till, username at HQ).
    pub placed_by: String,
    /// When (ms since epoch, the placing replica's clock).
    pub placed_ms: i64,
    /// Free text ("for the weekend promotion").
    pub note: Option<String>,
}

/// What a status update is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Subject {
    /// One replenishment order.
    Order {
        /// The order.
        id: Uuid,
    },
    /// One stop (one destination store) of a shipment.
    Stop {
        /// The shipment.
        shipment: Uuid,
        /// The store of that stop.
        store: StoreId,
    },
}

/// A move of an order or stop along the [`Lifecycle`] (`OpBody::StatusUpdate`, scope of the
/// store concerned; max-register per [`Subject`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// What moved.
    pub subject: Subject,
    /// The store concerned (the order's store, the stop's store); decides the scope.
    pub store: StoreId,
    /// The new state.
    pub status: Lifecycle,
    /// When it happened (ms since epoch, the writer's clock): the "arrived at" time.
    pub at_ms: i64,
    /// Who (staff name, HQ username, driver username, or `geofence`).
    pub by: String,
    /// For `approved` of an order: the approved quantities (HQ may change them).
    pub lines: Option<Vec<OrderLine>>,
    /// Free text (why cancelled, …).
    pub note: Option<String>,
}

/// What one truck brings to one store (`OpBody::Delivery`, hub only, scope of that store, last
/// writer by HLC wins per `(shipment, store)`). Written at dispatch; tills receive against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The shipment (one truck, one route).
    pub shipment: Uuid,
    /// The destination store.
    pub store: StoreId,
    /// The orders this stop fulfils.
    pub orders: Vec<Uuid>,
    /// What is on the truck for this store (summed over its orders, each SKU once).
    pub lines: Vec<OrderLine>,
    /// Where it comes from (the warehouse).
    pub from: LocationId,
    /// The driver's display name.
    pub driver_name: String,
    /// Plate or fleet number of the vehicle.
    pub vehicle: String,
    /// Position of this stop on the route (1-based) and how many stops there are.
    pub stop_no: u32,
    /// How many stops the route has.
    pub stops_total: u32,
    /// When it left the warehouse (ms since epoch).
    pub dispatched_ms: i64,
}

/// One line of what a store counted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReceivedLine {
    /// What.
    pub sku: Sku,
    /// How many the delivery said (0 for an extra the truck brought unannounced).
    pub expected: u32,
    /// How many arrived, counted (damaged included).
    pub received: u32,
    /// Of those, how many are damaged (not sellable; not added to the shelf).
    pub damaged: u32,
}

impl ReceivedLine {
    /// Units short (expected but did not come).
    pub fn shortage(&self) -> u32 {
        self.expected.saturating_sub(self.received)
    }

    /// Units that came without being expected.
    pub fn extra(&self) -> u32 {
        self.received.saturating_sub(self.expected)
    }

    /// Units that go on the shelf.
    pub fn good(&self) -> u32 {
        self.received.saturating_sub(self.damaged)
    }

    /// True when the line matches the delivery exactly.
    pub fn is_exact(&self) -> bool {
        self.expected == self.received && self.damaged == 0
    }
}

/// A store counted a delivery in (`OpBody::Receiving`, till only, scope of its store,
/// grow-only by id). Written in the same transaction as its stock moves: the store's in-transit
/// location −`expected` per line and the store +`good()` per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivingRecord {
    /// Record id (UUIDv7, made by the till).
    pub id: Uuid,
    /// The shipment received.
    pub shipment: Uuid,
    /// The receiving store.
    pub store: StoreId,
    /// Every line of the delivery plus extras (each SKU once).
    pub lines: Vec<ReceivedLine>,
    /// Who counted (staff name).
    pub received_by: String,
    /// When (ms since epoch, the till's clock).
    pub received_ms: i64,
    /// Free text ("box 3 wet").
    pub note: Option<String>,
}

impl ReceivingRecord {
    /// True when something did not match (shortage, damage or extra).
    pub fn has_discrepancy(&self) -> bool {
        self.lines.iter().any(|l| !l.is_exact())
    }
}

/// The status register of one subject: the winning update and the HLC of its op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The winning update.
    pub update: StatusUpdate,
    /// The HLC of the op that carried it.
    pub hlc: Hlc,
}

/// True when `a` beats `b` in the status max-register: higher rank; on the same state the
/// earlier `at_ms`; then the lower `by`, then the lower HLC (a total order, so every replica
/// picks the same winner).
pub fn status_wins(a: &StatusUpdate, a_hlc: &Hlc, b: &StatusUpdate, b_hlc: &Hlc) -> bool {
    let key_a = (
        std::cmp::Reverse(a.status.rank()),
        a.at_ms,
        a.by.as_str(),
        a_hlc,
    );
    let key_b = (
        std::cmp::Reverse(b.status.rank()),
        b.at_ms,
        b.by.as_str(),
        b_hlc,
    );
    key_a < key_b
}

/// The pure model of replenishment and deliveries: what a replica knows after applying a set
/// of logistics ops, whatever their order and however many duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogisticsState {
    /// Orders by id (grow-only; of two copies of one id the lower HLC wins).
    pub orders: BTreeMap<Uuid, (ReplenishmentOrder, Hlc)>,
    /// Status per subject (max-register).
    pub status: BTreeMap<Subject, StatusEntry>,
    /// Approved quantities per order: the `approved` update with the highest HLC.
    pub approved_lines: BTreeMap<Uuid, (Vec<OrderLine>, Hlc)>,
    /// Deliveries per `(shipment, store)` (LWW by HLC).
    pub deliveries: BTreeMap<(Uuid, StoreId), (Delivery, Hlc)>,
    /// Receiving records by id (grow-only; lower HLC wins on a copy).
    pub receivings: BTreeMap<Uuid, (ReceivingRecord, Hlc)>,
}

impl LogisticsState {
    /// Fold one op in; ops of other kinds are ignored.
    pub fn apply(&mut self, op: &Op) {
        match &op.body {
            OpBody::ReplenishmentOrder(o) => keep_lowest(&mut self.orders, o.id, o, &op.hlc),
            OpBody::StatusUpdate(u) => self.apply_status(u, &op.hlc),
            OpBody::Delivery(d) => self.apply_delivery(d, &op.hlc),
            OpBody::Receiving(r) => keep_lowest(&mut self.receivings, r.id, r, &op.hlc),
            _ => {}
        }
    }

    fn apply_status(&mut self, u: &StatusUpdate, hlc: &Hlc) {
        if let (Subject::Order { id }, Lifecycle::Approved, Some(lines)) =
            (&u.subject, u.status, &u.lines)
        {
            self.apply_approved_lines(*id, lines, hlc);
        }
        self.apply_status_register(u, hlc);
    }

    fn apply_approved_lines(&mut self, id: Uuid, lines: &[OrderLine], hlc: &Hlc) {
        let newer = self
            .approved_lines
            .get(&id)
            .is_none_or(|(_, old)| hlc > old);
        if newer {
            self.approved_lines.insert(id, (lines.to_vec(), *hlc));
        }
    }

    fn apply_delivery(&mut self, d: &Delivery, hlc: &Hlc) {
        let key = (d.shipment, d.store.clone());
        let newer = self.deliveries.get(&key).is_none_or(|(_, old)| hlc > old);
        if newer {
            self.deliveries.insert(key, (d.clone(), *hlc));
        }
    }

    fn apply_status_register(&mut self, u: &StatusUpdate, hlc: &Hlc) {
        let wins = self
            .status
            .get(&u.subject)
            .is_none_or(|e| status_wins(u, hlc, &e.update, &e.hlc));
        if wins {
            self.status.insert(
                u.subject.clone(),
                StatusEntry {
                    update: u.clone(),
                    hlc: *hlc,
                },
            );
        }
    }

    /// Merge another replica's state in: every register and set by the same rule as
    /// [`LogisticsState::apply`], so merging is commutative, associative and idempotent
    /// (`tests/logistics_laws.rs`). Approved quantities merge on their own (the approval
    /// that carried them may have lost the status register to a later state).
    pub fn merge(&mut self, other: &LogisticsState) {
        for (id, (o, hlc)) in &other.orders {
            keep_lowest(&mut self.orders, *id, o, hlc);
        }
        for e in other.status.values() {
            self.apply_status_register(&e.update, &e.hlc);
        }
        for (id, (lines, hlc)) in &other.approved_lines {
            self.apply_approved_lines(*id, lines, hlc);
        }
        for (d, hlc) in other.deliveries.values() {
            self.apply_delivery(d, hlc);
        }
        for (id, (r, hlc)) in &other.receivings {
            keep_lowest(&mut self.receivings, *id, r, hlc);
        }
    }

    /// The current state of a subject; an order nobody updated is `requested` if known.
    pub fn status_of(&self, subject: &Subject) -> Option<Lifecycle> {
        if let Some(e) = self.status.get(subject) {
            return Some(e.update.status);
        }
        match subject {
            Subject::Order { id } if self.orders.contains_key(id) => Some(Lifecycle::Requested),
            Subject::Stop { shipment, store } => self
                .deliveries
                .contains_key(&(*shipment, store.clone()))
                .then_some(Lifecycle::Dispatched),
            _ => None,
        }
    }

    /// The quantities that count for an order: the latest approval's, else what was asked.
    pub fn order_lines(&self, id: &Uuid) -> Option<&[OrderLine]> {
        if let Some((lines, _)) = self.approved_lines.get(id) {
            return Some(lines);
        }
        self.orders.get(id).map(|(o, _)| o.lines.as_slice())
    }
}

fn keep_lowest<T: Clone>(map: &mut BTreeMap<Uuid, (T, Hlc)>, id: Uuid, record: &T, hlc: &Hlc) {
    let lower = map.get(&id).is_none_or(|(_, old)| hlc < old);
    if lower {
        map.insert(id, (record.clone(), *hlc));
    }
}

impl LocationId {
    /// The in-transit location of deliveries on their way to `store` (`TR-<store>`): dispatch
    /// moves stock warehouse → here, receiving here → the store.
    pub fn in_transit_to(store: &StoreId) -> LocationId {
        // `TR-` + a valid location code of at most 13 characters is a valid code; longer store
        // codes are cut (they do not occur: the hub hands out short codes).
        let code: String = format!("TR-{store}").chars().take(16).collect();
        code.parse().unwrap_or_else(|_| store.clone())
    }

    /// True when this store has an in-transit location of its own: a code of at most
    /// [`MAX_TRANSIT_STORE_CODE`] characters that is not itself an in-transit code. Only then
    /// may its tills take deliveries out of `TR-<store>`; the hub should give stores no other
    /// codes.
    pub fn has_own_transit(&self) -> bool {
        self.as_str().len() <= MAX_TRANSIT_STORE_CODE && !self.is_in_transit()
    }

    /// True for an in-transit location (`TR-…`).
    pub fn is_in_transit(&self) -> bool {
        self.as_str().starts_with("TR-")
    }
}

/// Sum lines by SKU (each SKU once, in SKU order); lines of 0 dropped.
pub fn merge_lines<'a>(lines: impl IntoIterator<Item = &'a OrderLine>) -> Vec<OrderLine> {
    let mut by_sku: BTreeMap<&Sku, u64> = BTreeMap::new();
    for l in lines {
        *by_sku.entry(&l.sku).or_default() += u64::from(l.qty);
    }
    by_sku
        .into_iter()
        .filter(|(_, q)| *q > 0)
        .map(|(sku, q)| OrderLine {
            sku: sku.clone(),
            qty: u32::try_from(q).unwrap_or(u32::MAX),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_ranks_in_order_with_cancelled_on_top() {
        use Lifecycle::*;
        let all = [
            Requested, Approved, Picked, Dispatched, Arrived, Received, Cancelled,
        ];
        for w in all.windows(2) {
            assert!(w[0].rank() < w[1].rank(), "{w:?}");
            assert!(w[0] < w[1]);
        }
        for s in all {
            assert_eq!(Lifecycle::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn in_transit_location_is_a_valid_code() {
        let gn: StoreId = "GN01".parse().expect("test value");
        let tr = LocationId::in_transit_to(&gn);
        assert_eq!(tr.as_str(), "TR-GN01");
        assert!(tr.is_in_transit());
        assert!(!gn.is_in_transit());
    }

    #[test]
    fn received_line_arithmetic() {
        let l = ReceivedLine {
            sku: "A".parse().expect("test value"),
            expected: 10,
            received: 8,
            damaged: 1,
        };
        assert_eq!((l.shortage(), l.extra(), l.good()), (2, 0, 7));
        assert!(!l.is_exact());
        let extra = ReceivedLine {
            expected: 0,
            received: 2,
            damaged: 0,
            ..l
        };
        assert_eq!((extra.shortage(), extra.extra(), extra.good()), (0, 2, 2));
    }

    #[test]
    fn merge_lines_sums_per_sku() {
        let a: Sku = "A".parse().expect("test value");
        let b: Sku = "B".parse().expect("test value");
        let merged = merge_lines(&[
            OrderLine {
                sku: b.clone(),
                qty: 2,
            },
            OrderLine {
                sku: a.clone(),
                qty: 1,
            },
            OrderLine {
                sku: b.clone(),
                qty: 3,
            },
        ]);
        assert_eq!(
            merged,
            vec![OrderLine { sku: a, qty: 1 }, OrderLine { sku: b, qty: 5 }]
        );
    }
}
