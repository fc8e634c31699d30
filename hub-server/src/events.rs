//! Live events for consoles: the [`EventBus`] (a tokio broadcast channel in
//! `AppState`) and the [`Event`] JSON messages sent on `GET /api/v1/events`.
//!
//! Who publishes what:
//! - the writer publishes `sale` / `return` for records it stored, only after
//!   the transaction committed (`Apply::emit` queues, the writer sends after
//!   `COMMIT`, and drops the queue of a job that rolled back);
//! - sync connections publish `till` (online, offline, status) and `command`
//!   (delivered, done); the commands API publishes `command` (pending);
//! - inventory code publishes `stock_alert`;
//! - the writer publishes `chat_message`, `chat_read`, `ticket_update` and
//!   `announcement_ack` for chat ops it stored (from tills and HQ alike, after `COMMIT`);
//! - the writer publishes `drop` (a [`crate::drops::DropSummary`]) once per limit key changed
//!   by a commit (chain-wide totals: every console role sees them);
//! - the writer publishes `order` and `shipment` once per order / shipment a commit changed
//!   ([`crate::logistics::touched_events`]); shipments are for HQ roles only;
//! - `positions` (drivers' GPS points, coalesced) do not travel on this bus: the GPS pipeline
//!   serialises each batch once and shares the bytes ([`crate::gps::Fanout`]); HQ roles only.
//!
//! Each event names its store (`Event::store`), so the WebSocket filters by
//! the role's store and the client's subscription. A client that falls too
//! far behind gets one `lagged` message and should refetch.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::accounts::Role;
use crate::fleet::{Till, TillCommand};

/// Events buffered per subscriber before it is told it lagged.
pub const BUS_CAPACITY: usize = 4096;

/// A sale stored at the hub.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SaleEvent {
    /// Store code.
    pub store: String,
    /// Receipt number.
    pub receipt: String,
    /// Total (minor units).
    #[ts(type = "number")]
    pub total: i64,
    /// Currency.
    pub currency: String,
    /// When the till sold it (ms since epoch).
    #[ts(type = "number")]
    pub sold_at_ms: u64,
    /// Actor of the till.
    pub till: String,
    /// Cashier, when the till recorded one.
    pub cashier: Option<String>,
    /// Units sold (sum of line quantities).
    pub items: u32,
}

/// A return stored at the hub.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ReturnEvent {
    /// Store code.
    pub store: String,
    /// Receipt number of the return.
    pub receipt: String,
    /// Refunded (minor units).
    #[ts(type = "number")]
    pub total_refund: i64,
    /// Currency.
    pub currency: String,
    /// When (ms since epoch).
    #[ts(type = "number")]
    pub returned_at_ms: u64,
}

/// Level of a stock alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AlertLevel {
    /// At or below the low-stock threshold.
    Low,
    /// Below zero (sold offline beyond the till's view).
    Negative,
}

/// Stock at a location crossed a threshold.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StockAlert {
    /// Location code.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Quantity now.
    #[ts(type = "number")]
    pub qty: i64,
    /// Low or negative.
    pub level: AlertLevel,
}

/// A message of `GET /api/v1/events` (server → client), tagged by `type`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum Event {
    /// First message: who the connection belongs to.
    Hello {
        /// The user's role.
        role: Role,
        /// The user's store (store roles), else null.
        store: Option<String>,
    },
    /// A sale arrived.
    Sale(SaleEvent),
    /// A return arrived.
    Return(ReturnEvent),
    /// A till connected, disconnected or reported its status.
    Till(Till),
    /// A remote command was issued, delivered or carried out.
    Command(TillCommand),
    /// Stock crossed a threshold.
    StockAlert(StockAlert),
    /// A chat message, ticket or announcement copy was stored (from a till or HQ).
    ChatMessage {
        /// The message.
        message: crate::api::chat::ChatMessageJson,
    },
    /// A reader's position in a channel moved.
    ChatRead(crate::api::chat::ChatReadEvent),
    /// A ticket's status moved.
    TicketUpdate {
        /// The ticket as the inbox shows it.
        ticket: crate::api::chat::TicketJson,
    },
    /// A store acknowledged an announcement.
    AnnouncementAck(crate::api::chat::AnnouncementAckEvent),
    /// A drop (limited item or coupon campaign) changed: its new totals.
    Drop(crate::drops::DropSummary),
    /// A replenishment order changed.
    Order {
        /// The order now.
        order: crate::logistics::OrderJson,
    },
    /// A shipment, one of its stops or one of its orders changed (HQ roles only).
    Shipment {
        /// The shipment now.
        shipment: crate::logistics::ShipmentJson,
    },
    /// Drivers' new positions since the last message, in time order per driver (HQ roles
    /// only; sent at least every 50 ms while points arrive).
    Positions {
        /// The points.
        points: Vec<crate::gps::LivePosition>,
    },
    /// Events were dropped for this client: refetch what is shown.
    Lagged,
    /// A client message was refused.
    Error {
        /// `malformed` or `forbidden`.
        code: String,
        /// What was wrong.
        message: String,
    },
}

impl Event {
    /// The store (location) the event belongs to; `None` for connection messages and
    /// chain-wide events (`drop`).
    pub fn store(&self) -> Option<&str> {
        match self {
            Event::Sale(s) => Some(&s.store),
            Event::Return(r) => Some(&r.store),
            Event::Till(t) => Some(&t.store),
            Event::Command(c) => Some(&c.store),
            Event::StockAlert(a) => Some(&a.location),
            Event::ChatMessage { message } => channel_store(&message.channel),
            Event::ChatRead(r) => channel_store(&r.channel),
            Event::TicketUpdate { ticket } => Some(&ticket.store),
            Event::AnnouncementAck(a) => Some(&a.store),
            Event::Order { order } => Some(&order.store),
            Event::Drop(_)
            | Event::Shipment { .. }
            | Event::Positions { .. }
            | Event::Hello { .. }
            | Event::Lagged
            | Event::Error { .. } => None,
        }
    }

    /// Only head office (hq_admin, hq_staff) receives it: shipments span stores, positions
    /// are every driver's.
    pub fn hq_only(&self) -> bool {
        matches!(self, Event::Shipment { .. } | Event::Positions { .. })
    }
}

/// The store of a channel string (`store:GN01`, `notices:GN01` → `GN01`).
fn channel_store(channel: &str) -> Option<&str> {
    channel.split_once(':').map(|(_, store)| store)
}

/// The `sale` event of a stored sale.
pub fn sale_event(s: &sync_proto::SaleRecord) -> SaleEvent {
    SaleEvent {
        store: s.store.to_string(),
        receipt: s.receipt.to_string(),
        total: s.total,
        currency: s.currency.clone(),
        sold_at_ms: s.sold_at_ms,
        till: s.till.to_string(),
        cashier: s.cashier.clone(),
        items: s
            .lines
            .iter()
            .map(|l| l.qty)
            .fold(0u32, u32::saturating_add),
    }
}

/// The `return` event of a stored return.
pub fn return_event(r: &sync_proto::ReturnRecord) -> ReturnEvent {
    ReturnEvent {
        store: r.store.to_string(),
        receipt: r.receipt.to_string(),
        total_refund: r.total_refund,
        currency: r.currency.clone(),
        returned_at_ms: r.returned_at_ms,
    }
}

/// The broadcast channel of live events. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(BUS_CAPACITY)
    }
}

impl EventBus {
    /// A bus keeping `capacity` events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }

    /// Send an event to every subscriber (nothing happens without any).
    pub fn publish(&self, event: Event) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Arc::new(event));
        }
    }

    /// Is anyone listening? (Lets hot paths skip building events.)
    pub fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// A new subscription, starting now.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_by_type() {
        let e = Event::Sale(SaleEvent {
            store: "GN01".into(),
            receipt: "GN01-1-1".into(),
            total: 29_000,
            currency: "KRW".into(),
            sold_at_ms: 5,
            till: "t".into(),
            cashier: None,
            items: 1,
        });
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["type"], "sale");
        assert_eq!(v["store"], "GN01");
        assert_eq!(e.store(), Some("GN01"));
        let v = serde_json::to_value(Event::Lagged).expect("json");
        assert_eq!(v, serde_json::json!({"type": "lagged"}));
        let v = serde_json::to_value(Event::StockAlert(StockAlert {
            location: "GN01".into(),
            sku: "A".into(),
            qty: -1,
            level: AlertLevel::Negative,
        }))
        .expect("json");
        assert_eq!(v["type"], "stock_alert");
        assert_eq!(v["level"], "negative");
    }

    #[tokio::test]
    async fn subscribers_receive_published_events() {
        let bus = EventBus::new(2);
        bus.publish(Event::Lagged); // nobody listens: dropped
        let mut rx = bus.subscribe();
        assert!(bus.has_subscribers());
        bus.publish(Event::Lagged);
        assert!(matches!(*rx.recv().await.expect("event"), Event::Lagged));
    }
}
