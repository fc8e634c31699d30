//! The op envelope and what an op can say.
//!
//! `Op { actor, seq, hlc, scope, body }`: `(actor, seq)` identifies it (seq is
//! 1, 2, 3 … per actor, gapless, assigned in the same transaction as the
//! domain change), `hlc` orders it, `scope` says who receives it, and `body`
//! is one of:
//!
//! - [`StockMove`]: a change of stock of one SKU at one location with its
//!   reason (sale, return, receipt, adjustment, transfer, stocktake). It carries
//!   the actor's running totals for that `(location, sku)` — the actor's entry
//!   of the PN-counter — so applying it is a `MAX()` merge and a duplicate or a
//!   reordering changes nothing.
//! - [`SaleRecord`] / [`ReturnRecord`]: immutable records keyed by UUIDv7
//!   (grow-only set). A return references the original sale.
//! - [`CatalogSet`]: one catalog field of one SKU, a last-writer-wins register
//!   stamped by the op's HLC.
//! - [`StaffRecord`], [`MemberSet`] (see [`crate::people`]) and [`PriceRule`]
//!   (see [`crate::pricing`]): store staff with PIN hashes, member fields and
//!   scheduled prices, all last-writer-wins by HLC.
//! - [`EscrowMove`], [`LimitDef`], [`RightsRequest`], [`RightsRecall`], [`LimitHold`] and
//!   [`CouponRedemption`] (see [`crate::escrow`]): limited editions and first-come coupons,
//!   a bounded counter whose rights tills spend offline.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::{AnnouncementAck, ChatMessage, ChatRead, TicketUpdate};
use crate::escrow::{
    CouponRedemption, EscrowMove, LimitDef, LimitHold, RightsRecall, RightsRequest,
};
use crate::hlc::Hlc;
use crate::ids::{ActorId, LocationId, ReceiptNo, Sku, StoreId};
use crate::logistics::{Delivery, ReceivingRecord, ReplenishmentOrder, StatusUpdate};
use crate::people::{MemberSet, StaffRecord};
use crate::pricing::PriceRule;

/// Who receives an op.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// Catalog changes: every store.
    Catalog,
    /// One location's data: its tills and HQ.
    Store(StoreId),
    /// HQ only.
    Hq,
    /// Everyone.
    Broadcast,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Catalog => f.write_str("catalog"),
            Scope::Store(s) => write!(f, "store:{s}"),
            Scope::Hq => f.write_str("hq"),
            Scope::Broadcast => f.write_str("broadcast"),
        }
    }
}

/// A scope string that is not one of `catalog`, `store:<code>`, `hq`, `broadcast`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope {0:?}")]
pub struct ScopeError(pub String);

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        match s {
            "catalog" => Ok(Scope::Catalog),
            "hq" => Ok(Scope::Hq),
            "broadcast" => Ok(Scope::Broadcast),
            _ => s
                .strip_prefix("store:")
                .and_then(|code| code.parse().ok())
                .map(Scope::Store)
                .ok_or_else(|| ScopeError(s.to_owned())),
        }
    }
}

impl TryFrom<String> for Scope {
    type Error = ScopeError;
    fn try_from(s: String) -> Result<Self, ScopeError> {
        s.parse()
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.to_string()
    }
}

/// One change anywhere in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The replica that made it.
    pub actor: ActorId,
    /// 1, 2, 3 … per actor, gapless.
    pub seq: u64,
    /// When, in hybrid logical time.
    pub hlc: Hlc,
    /// Who receives it.
    pub scope: Scope,
    /// What it says.
    pub body: OpBody,
}

/// What an op says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpBody {
    /// Stock of one SKU at one location changed.
    StockMove(StockMove),
    /// A completed sale.
    Sale(SaleRecord),
    /// A return against an earlier sale.
    Return(ReturnRecord),
    /// One catalog field of one SKU was set.
    CatalogSet(CatalogSet),
    /// A store person (manager or cashier) with their till PIN hash; hub only.
    StaffSet(StaffRecord),
    /// One field of a member; tills (sign-up at the counter) and the hub.
    MemberSet(MemberSet),
    /// A scheduled price or time-limited deal; hub only.
    PriceRule(PriceRule),
    /// A chat message, ticket or one store's copy of an announcement.
    ChatMessage(ChatMessage),
    /// A reader's position in a chat channel (max-register).
    ChatRead(ChatRead),
    /// A ticket's new status (max-register over the lifecycle).
    TicketUpdate(TicketUpdate),
    /// A store acknowledges an announcement.
    AnnouncementAck(AnnouncementAck),
    /// One actor's entry of a bounded counter changed (limited items, coupons).
    EscrowMove(EscrowMove),
    /// HQ's definition of a limited item or coupon campaign; hub only.
    LimitDef(LimitDef),
    /// A till asks the hub for more rights.
    RightsRequest(RightsRequest),
    /// The hub asks a till to give rights back; hub only.
    RightsRecall(RightsRecall),
    /// Limited units a cashier holds for a customer.
    LimitHold(LimitHold),
    /// A member used a first-come coupon on a sale.
    CouponRedemption(CouponRedemption),
    /// A store asks the warehouse for stock (or HQ proposes it).
    ReplenishmentOrder(ReplenishmentOrder),
    /// An order or a delivery stop moved along its lifecycle (max-register).
    StatusUpdate(StatusUpdate),
    /// What one truck brings to one store; hub only.
    Delivery(Delivery),
    /// A store counted a delivery in.
    Receiving(ReceivingRecord),
}

impl OpBody {
    /// A short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            OpBody::StockMove(_) => "stock_move",
            OpBody::Sale(_) => "sale",
            OpBody::Return(_) => "return",
            OpBody::CatalogSet(_) => "catalog_set",
            OpBody::StaffSet(_) => "staff_set",
            OpBody::MemberSet(_) => "member_set",
            OpBody::PriceRule(_) => "price_rule",
            OpBody::ChatMessage(_) => "chat_message",
            OpBody::ChatRead(_) => "chat_read",
            OpBody::TicketUpdate(_) => "ticket_update",
            OpBody::AnnouncementAck(_) => "announcement_ack",
            OpBody::EscrowMove(_) => "escrow_move",
            OpBody::LimitDef(_) => "limit_def",
            OpBody::RightsRequest(_) => "rights_request",
            OpBody::RightsRecall(_) => "rights_recall",
            OpBody::LimitHold(_) => "limit_hold",
            OpBody::CouponRedemption(_) => "coupon_redemption",
            OpBody::ReplenishmentOrder(_) => "replenishment_order",
            OpBody::StatusUpdate(_) => "status_update",
            OpBody::Delivery(_) => "delivery",
            OpBody::Receiving(_) => "receiving",
        }
    }
}

/// Why stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockReason {
    /// Sold to a customer.
    Sale,
    /// Brought back by a customer.
    Return,
    /// Goods received (delivery, purchase).
    Receipt,
    /// Manual correction (damage, loss, found).
    Adjustment,
    /// Sent to another location.
    TransferOut,
    /// Arrived from another location.
    TransferIn,
    /// Correction from a stock count.
    Stocktake,
}

impl StockReason {
    /// The reason as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Sale => "sale",
            StockReason::Return => "return",
            StockReason::Receipt => "receipt",
            StockReason::Adjustment => "adjustment",
            StockReason::TransferOut => "transfer_out",
            StockReason::TransferIn => "transfer_in",
            StockReason::Stocktake => "stocktake",
        }
    }
}

/// A change of stock of one SKU at one location, with the making actor's
/// running PN-counter entry after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMove {
    /// Where.
    pub location: LocationId,
    /// What.
    pub sku: Sku,
    /// How much: negative for stock leaving.
    pub delta: i64,
    /// Why.
    pub reason: StockReason,
    /// The sale, return, receipt or adjustment it belongs to.
    pub reference: Option<String>,
    /// Σ of this actor's increments at `(location, sku)`, including this one.
    pub inc_total: u64,
    /// Σ of this actor's decrements at `(location, sku)`, including this one.
    pub dec_total: u64,
}

/// Money in integer minor units of a currency (KRW has none: 39,000 won is 39000).
pub type Money = i64;

/// An ISO 4217 currency code, e.g. `KRW`.
pub type Currency = String;

/// How a customer paid.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    /// Notes and coins.
    Cash,
    /// Credit or debit card.
    Card,
    /// Voucher, gift card, mobile pay…
    Other,
}

impl TenderKind {
    /// The tender kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::Other => "other",
        }
    }
}

impl FromStr for TenderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cash" => Ok(TenderKind::Cash),
            "card" => Ok(TenderKind::Card),
            "other" => Ok(TenderKind::Other),
            _ => Err(format!("unknown tender {s:?}: use cash, card or other")),
        }
    }
}

/// One payment applied to a sale (or refunded on a return).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Tender {
    /// Cash, card or other.
    pub kind: TenderKind,
    /// Amount applied to the sale (cash: excluding change given).
    #[ts(type = "number")]
    pub amount: Money,
}

/// One line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SaleLine {
    /// What was sold.
    pub sku: Sku,
    /// Product name as printed on the receipt.
    pub name: String,
    /// How many (≥ 1).
    pub qty: u32,
    /// Unit price from the till's catalog at the time of sale.
    #[ts(type = "number")]
    pub unit_price: Money,
    /// Discount on the whole line (≥ 0).
    #[ts(type = "number")]
    pub discount: Money,
    /// `qty × unit_price − discount`.
    #[ts(type = "number")]
    pub line_total: Money,
}

/// A completed sale: immutable once made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SaleRecord {
    /// UUIDv7, made by the till.
    pub id: Uuid,
    /// The printed receipt number.
    pub receipt: ReceiptNo,
    /// The store it was sold in.
    pub store: StoreId,
    /// The till (actor) that sold it.
    pub till: ActorId,
    /// Cashier, when one was logged in.
    pub cashier: Option<String>,
    /// The member the sale was made to, if one was attached
    /// ([`crate::people::member_id_for_phone`]). Absent in records of older tills.
    #[serde(default)]
    pub member: Option<Uuid>,
    /// What was sold.
    pub lines: Vec<SaleLine>,
    /// How it was paid; the amounts add up to `total`.
    pub tenders: Vec<Tender>,
    /// Σ line totals.
    #[ts(type = "number")]
    pub total: Money,
    /// Cash handed back to the customer.
    #[ts(type = "number")]
    pub change_given: Money,
    /// Currency of every amount.
    pub currency: Currency,
    /// Wall-clock time of the sale at the till (ms since epoch).
    #[ts(type = "number")]
    pub sold_at_ms: u64,
}

/// One line of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReturnLine {
    /// What came back.
    pub sku: Sku,
    /// How many (≥ 1, at most what the original sale had left).
    pub qty: u32,
    /// Refunded for this line.
    #[ts(type = "number")]
    pub refund: Money,
}

/// A return against an earlier sale: a new record that references it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReturnRecord {
    /// UUIDv7, made by the till.
    pub id: Uuid,
    /// The return's own receipt number (same sequence as sales).
    pub receipt: ReceiptNo,
    /// The sale it returns against.
    pub original_sale: Uuid,
    /// That sale's receipt number.
    pub original_receipt: ReceiptNo,
    /// The store that took it back.
    pub store: StoreId,
    /// The till (actor) that took it back.
    pub till: ActorId,
    /// What came back.
    pub lines: Vec<ReturnLine>,
    /// How the money went back; adds up to `total_refund`.
    pub refunds: Vec<Tender>,
    /// Σ line refunds.
    #[ts(type = "number")]
    pub total_refund: Money,
    /// Currency of every amount.
    pub currency: Currency,
    /// Wall-clock time at the till (ms since epoch).
    #[ts(type = "number")]
    pub returned_at_ms: u64,
}

/// Which catalog field a [`CatalogField`] value sets (one LWW register each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogFieldKind {
    /// Display name.
    Name,
    /// Unit price.
    Price,
    /// Barcode (EAN-13 etc.).
    Barcode,
    /// Whether it can be sold.
    Active,
    /// Style / product group code.
    Style,
    /// Colour of the variant.
    Colour,
    /// Size of the variant.
    Size,
    /// Category.
    Category,
}

impl CatalogFieldKind {
    /// The field name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogFieldKind::Name => "name",
            CatalogFieldKind::Price => "price",
            CatalogFieldKind::Barcode => "barcode",
            CatalogFieldKind::Active => "active",
            CatalogFieldKind::Style => "style",
            CatalogFieldKind::Colour => "colour",
            CatalogFieldKind::Size => "size",
            CatalogFieldKind::Category => "category",
        }
    }
}

/// The value of one catalog field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogField {
    /// Display name.
    Name(String),
    /// Unit price in minor units.
    Price(Money),
    /// Barcode, or none.
    Barcode(Option<String>),
    /// Sellable or not.
    Active(bool),
    /// Style / product group code.
    Style(String),
    /// Colour.
    Colour(String),
    /// Size.
    Size(String),
    /// Category.
    Category(String),
}

impl CatalogField {
    /// Which register this value belongs to.
    pub fn kind(&self) -> CatalogFieldKind {
        match self {
            CatalogField::Name(_) => CatalogFieldKind::Name,
            CatalogField::Price(_) => CatalogFieldKind::Price,
            CatalogField::Barcode(_) => CatalogFieldKind::Barcode,
            CatalogField::Active(_) => CatalogFieldKind::Active,
            CatalogField::Style(_) => CatalogFieldKind::Style,
            CatalogField::Colour(_) => CatalogFieldKind::Colour,
            CatalogField::Size(_) => CatalogFieldKind::Size,
            CatalogField::Category(_) => CatalogFieldKind::Category,
        }
    }
}

/// Set one catalog field of one SKU (last writer by HLC wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogSet {
    /// Which product variant.
    pub sku: Sku,
    /// The new value.
    pub field: CatalogField,
}
