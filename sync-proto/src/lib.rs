//! # sync-proto — the language between Storelink tills and the hub
//!
//! Everything that happens anywhere in the chain is an [`Op`]: a sale, a
//! return, a stock adjustment, a catalog price change. An op is identified by
//! `(actor, seq)`, ordered by a hybrid logical clock ([`Hlc`]) and addressed to a
//! [`Scope`]. Tills and the hub exchange ops in [`wire::Frame`]s over a
//! WebSocket and fold them into their state with merges that are commutative,
//! associative and idempotent (see [`state`]), so that every replica that has
//! seen the same ops shows the same stock, sales and catalog — whatever the
//! order, however many duplicates.
//!
//! Layout:
//! - [`ids`]: actors, stores/locations, SKUs, receipt numbers.
//! - [`hlc`]: the hybrid logical clock.
//! - [`op`]: the op envelope and op bodies (stock moves, sales, returns, catalog fields).
//! - [`chat`]: HQ–store chat, tickets and announcements with acknowledgement.
//! - [`escrow`]: limited editions and first-come coupons (bounded counter, holds, requests).
//! - [`logistics`]: replenishment orders, deliveries, receiving and their lifecycle.
//! - [`gps`]: driver positions and the filter, geofence, ETA and downsampling arithmetic.
//! - [`people`]: store staff (PIN hashes for offline unlock) and members.
//! - [`pricing`]: scheduled prices and time-limited deals, applied offline.
//! - [`validate`]: what the hub checks on every op a till pushes.
//! - [`state`]: the CRDT merge model (PN-counters, LWW registers, grow-only sets).
//! - [`wire`]: frames, protocol version and the one encode/decode path.
//! - [`enrol`]: the REST bodies a till uses to enrol with the hub.
//!
//! This crate does no IO; both sides embed it.

pub mod chat;
pub mod enrol;
pub mod escrow;
pub mod gps;
pub mod hlc;
pub mod ids;
pub mod logistics;
pub mod op;
pub mod people;
pub mod pricing;
pub mod state;
pub mod validate;
pub mod wire;

pub use hlc::{Hlc, HlcClock};
pub use ids::{ActorId, IdError, LocationId, ReceiptNo, Sku, StoreId};
pub use op::{
    CatalogField, CatalogFieldKind, CatalogSet, Currency, Op, OpBody, ReturnLine, ReturnRecord,
    SaleLine, SaleRecord, Scope, StockMove, StockReason, Tender, TenderKind,
};
pub use people::{MemberField, MemberFieldKind, MemberSet, StaffRecord, StaffRole};
pub use pricing::PriceRule;
pub use wire::{Frame, PROTOCOL_VERSION};
