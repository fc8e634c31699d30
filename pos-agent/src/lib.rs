//! # pos-agent — the Storelink till core
//!
//! Everything a till does, without a GUI: the headless `pos-agent` CLI and
//! the Tauri desktop app both sit on this library unchanged.
//!
//! - [`Till`]: open a data directory and sell, take returns, look up stock,
//!   receipts and status; unlock with a staff PIN, sign members up, read
//!   head office's messages. Every change commits the domain rows, the stock
//!   moves and the outbox ops in ONE SQLite transaction.
//! - [`enrol()`]: enrol with the hub (and re-enrol as a new actor after the
//!   hub refused a restored till, carrying unacknowledged records over).
//! - [`limited`]: limited editions, holds and first-come coupons (a bounded counter: the
//!   till sells only against rights it holds, so never oversells, even offline).
//! - [`logistics`]: replenishment and deliveries — request stock, follow orders and the
//!   truck's ETA, count a delivery in (stock in transit → the shelf) in one transaction.
//! - [`chat`]: HQ–store chat and notices (messages, tickets, announcements to
//!   acknowledge, read positions, attachments), written offline through the outbox.
//! - [`sync::sync_once`] / [`sync::run`]: the sync client (push the outbox,
//!   apply the hub's ops, reconnect with jittered backoff).
//!
//! Layout: [`db`] (SQLite, schema, settings), [`outbox`] (ops written with
//! the change), [`records`] (sales/returns rows), [`sell`] and [`returns`]
//! (pure pricing, tender and refund logic), [`apply`] (idempotent downstream
//! apply), [`commands`] (remote lock/unlock/force sync/messages), [`people`]
//! (staff PINs, members), [`prices`] (scheduled prices and deals), [`receipt`] (printable text, Code 128), [`sync`], [`enrol`](mod@enrol),
//! [`error`].
//!
//! For the POS desktop app: [`catalog`] (scan, search, variant grids,
//! categories), [`discount`] and [`quote`] (line/cart discounts, the discount
//! limit with manager approval, `quote_sale`), [`shift`] (drawer shifts, Z
//! report), [`elsewhere`] (other stores' stock via the hub, cached),
//! [`sync::SyncControl`] (link state, sync now), [`views`] (return preview, pending outbox, receipt files).
//!
//! ```no_run
//! use pos_agent::{SaleItem, SaleRequest, Till};
//! # fn main() -> pos_agent::Result<()> {
//! let mut till = Till::open("/var/lib/storelink/till")?;
//! let sold = till.sell(&SaleRequest {
//!     items: vec![SaleItem::new("TSH-0001-BLK-M", 2)],
//!     ..SaleRequest::default()
//! })?;
//! println!("{}", sold.sale.receipt);
//! # Ok(()) }
//! ```

pub mod apply;
pub mod catalog;
pub mod chat;
pub mod commands;
pub mod db;
pub mod discount;
pub mod elsewhere;
pub mod enrol;
pub mod error;
pub mod limited;
pub mod logistics;
pub mod outbox;
pub mod people;
pub mod prices;
pub mod quote;
pub mod receipt;
pub mod records;
pub mod returns;
pub mod sell;
pub mod shift;
pub mod sync;
mod till;
pub mod views;

pub use catalog::{CategoryCount, ProductHit, VariantGrid};
pub use chat::{ChannelKind, ChannelUnread, ChatSend, ChatSent};
pub use commands::CashierMessage;
pub use discount::Discount;
pub use elsewhere::{ElsewhereStock, StoreStock, stock_elsewhere};
pub use enrol::{EnrolOutcome, enrol};
pub use error::{Result, TillError};
pub use limited::{CouponQuote, HoldState, LimitHoldView, LimitedStatus};
pub use logistics::{
    CountedLine, DeliveryView, LineView, LogisticsError, OrderView, ReceivedLineView,
    ReceivingView, StockRequestLine,
};
pub use people::{Member, MemberSignUp, SignUpOutcome, Staff};
pub use prices::{ClockGuard, PriceQuote};
pub use quote::{QuotedLine, SaleQuote};
pub use sell::{SaleItem, Settlement, TenderRequest, settle_preview};
pub use shift::{CashMovement, CashMovementKind, Shift, ShiftSummary, ZReport};
pub use sync::{LinkState, SyncControl, SyncOptions, SyncReport};
pub use till::{
    CatalogItem, OfflineEnrolment, ProductInfo, ReturnReceipt, ReturnRequest, SaleReceipt,
    SaleRequest, StockLevel, StoredReceipt, Till, TillStatus,
};
pub use views::{PendingOp, ReceiptFormat, ReturnPreview, ReturnableLine};

/// The software version reported to the hub.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Install the process-wide rustls crypto provider (ring) once; harmless if
/// one is already installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_chat;
#[cfg(test)]
mod tests_hq;
#[cfg(test)]
mod tests_limited;
#[cfg(test)]
mod tests_logistics;
#[cfg(test)]
mod tests_pos;
