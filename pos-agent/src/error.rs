//! The errors of the till core, worded for the person at the till.
//!
//! Every fallible function of the library returns [`TillError`]. Domain
//! refusals (unknown SKU, short payment, over-return…) carry what the cashier
//! needs to fix the situation; infrastructure failures (database, hub) say
//! what failed. The CLI maps [`TillError::exit_code`] to its process exit code.

use sync_proto::op::Money;
use sync_proto::wire::ErrorCode;

/// Result alias of the till core.
pub type Result<T, E = TillError> = std::result::Result<T, E>;

/// Everything that can go wrong at a till.
#[derive(Debug, thiserror::Error)]
pub enum TillError {
    /// Neither a SKU nor a barcode of the till's catalog.
    #[error("no product with SKU or barcode {0:?} in this till's catalog")]
    UnknownSku(String),
    /// The product exists but is switched off in the catalog.
    #[error("{0} is not for sale (inactive in the catalog)")]
    NotForSale(String),
    /// The product has no price yet (catalog incomplete).
    #[error("{0} has no price in this till's catalog yet; sync the till and try again")]
    NoPrice(String),
    /// A quantity outside 1..=10000.
    #[error("quantity {qty} for {item} is out of range: use 1 to {max}", max = sync_proto::validate::MAX_LINE_QTY)]
    InvalidQuantity {
        /// The SKU or barcode.
        item: String,
        /// The quantity asked for.
        qty: u64,
    },
    /// A sale without items.
    #[error("nothing to sell: add at least one item")]
    EmptySale,
    /// A sale entered later (from the paper fallback book) with a time that is
    /// in the future or too long ago.
    #[error(
        "a sale entered later must have happened in the last {max_days} days, not in the future (got {sold_at_ms} ms, now {now_ms} ms)"
    )]
    SoldAtOutOfRange {
        /// The time given.
        sold_at_ms: u64,
        /// The till's clock.
        now_ms: u64,
        /// How far back a late entry may go.
        max_days: u64,
    },
    /// A sale with more lines than the hub accepts.
    #[error("too many lines on one sale ({0}); split it into several sales")]
    TooManyLines(usize),
    /// The tenders do not cover the total.
    #[error("payment is short by {short}: total due {due}, tendered {paid}", short = due - paid)]
    TenderShort {
        /// Total due.
        due: Money,
        /// Total tendered.
        paid: Money,
    },
    /// Card/other tenders exceed the total (only cash gives change).
    #[error("card and other payments exceed the amount due by {0}; only cash can give change")]
    TenderExcess(Money),
    /// The tender list cannot be understood.
    #[error("invalid payment: {0}")]
    InvalidTender(String),
    /// More returned than what is still returnable on the receipt.
    #[error(
        "cannot return {requested} x {sku}: only {returnable} still returnable on this receipt"
    )]
    OverReturn {
        /// The SKU.
        sku: String,
        /// Quantity asked to return.
        requested: u64,
        /// Quantity still returnable.
        returnable: u64,
    },
    /// The SKU is not on the receipt.
    #[error("{sku} is not on receipt {receipt}")]
    NotOnReceipt {
        /// The SKU.
        sku: String,
        /// The receipt.
        receipt: String,
    },
    /// Everything on the receipt has already been returned.
    #[error("everything on receipt {0} has already been returned")]
    NothingToReturn(String),
    /// A return may only be made against a sale, not against another return.
    #[error("receipt {0} is a return; returns are made against the original sale receipt")]
    NotASale(String),
    /// No sale or return with this receipt number at this till.
    #[error("no receipt {0} at this till (a sale from another till shows up here after sync)")]
    ReceiptNotFound(String),
    /// Head office has locked the till (remote `Lock` command).
    #[error("this till is locked by head office; ask HQ to unlock it")]
    Locked,
    /// No active staff member has this PIN.
    #[error("wrong PIN: no active staff member of this store has it")]
    WrongPin,
    /// The PIN belongs to a person who has been deactivated.
    #[error("{0} is no longer active at this store; ask the store manager or HQ")]
    StaffInactive(String),
    /// No staff PIN has reached this till yet.
    #[error("no staff PINs have reached this till yet; sync the till with the hub and try again")]
    NoStaff,
    /// No member with this phone number at this till.
    #[error(
        "no member with phone {0} at this till; sign them up first: pos-agent member add --phone {0} --name NAME"
    )]
    UnknownMember(String),
    /// The discount is over the till's limit and needs a store manager's PIN.
    #[error(
        "a discount of {discount} over the {limit_pct}% limit needs a store manager's approval"
    )]
    ApprovalRequired {
        /// The till's discount limit (percent of the gross).
        limit_pct: u32,
        /// The sale's total discount.
        discount: Money,
    },
    /// The approving PIN is wrong or not a store manager's.
    #[error("discount approval refused: {0}")]
    ApprovalRefused(String),
    /// A shift is already open at this till.
    #[error("a shift is already open at this till; close it first")]
    ShiftAlreadyOpen,
    /// The action needs an open shift.
    #[error("no shift is open at this till: open one first (pos-agent shift open --float AMOUNT)")]
    NoOpenShift,
    /// No shift with this id at this till.
    #[error("no shift {0} at this till")]
    UnknownShift(String),
    /// No active product of this style in the catalog.
    #[error("no products of style {0:?} in this till's catalog")]
    UnknownStyle(String),
    /// A limited item that HQ has not put on sale now (ended, cancelled, or outside its window).
    #[error("limited item {label} ({sku}) is not on sale now")]
    LimitedNotOnSale {
        /// The SKU.
        sku: String,
        /// The drop's label.
        label: String,
    },
    /// More units of a limited item than this till may sell.
    #[error("{}", limited_used_up_message(*available, *elsewhere))]
    LimitedUsedUp {
        /// The SKU.
        sku: String,
        /// The drop's label.
        label: String,
        /// Units this till may still sell.
        available: u64,
        /// Units left in other stores (and HQ's pool), as this till knows.
        elsewhere: u64,
    },
    /// The drop allows no holds (`hold_minutes` = 0).
    #[error("{0}: holding units for a customer is not allowed for this drop")]
    HoldsNotAllowed(String),
    /// No hold of this till with this id that is still held.
    #[error("no hold {0} is held at this till (unknown, released or already sold)")]
    HoldUnknown(String),
    /// A coupon needs a member on the sale.
    #[error("a coupon needs a member: attach the member's phone number to the sale first")]
    CouponNeedsMember,
    /// No coupon campaign with this code.
    #[error("no coupon campaign with code {0} at this till")]
    CouponUnknown(String),
    /// The campaign is ended or outside its window.
    #[error("coupon {0} cannot be used now (the campaign has ended or not started)")]
    CouponNotOnNow(String),
    /// The sale is below the campaign's minimum spend.
    #[error("coupon {code} needs a sale of at least {min_spend} (this sale: {total})")]
    CouponMinSpend {
        /// The code.
        code: String,
        /// The campaign's minimum spend.
        min_spend: Money,
        /// The sale's total before the coupon.
        total: Money,
    },
    /// The member already used a coupon of this campaign (as far as this till knows).
    #[error("this member has already used coupon {0}")]
    CouponAlreadyUsed(String),
    /// This till has no coupon of the campaign left.
    #[error("coupon {code}: this till's coupons are used up; {elsewhere} left in other stores")]
    CouponsUsedUp {
        /// The code.
        code: String,
        /// Coupons left in other stores (and HQ's pool), as this till knows.
        elsewhere: u64,
    },
    /// A chat action was refused ([`crate::chat`]).
    #[error(transparent)]
    Chat(#[from] crate::chat::ChatError),
    /// A replenishment or receiving action was refused ([`crate::logistics`]).
    #[error(transparent)]
    Logistics(#[from] crate::logistics::LogisticsError),
    /// Malformed input (SKU, receipt number, quantity syntax…).
    #[error("{0}")]
    InvalidInput(String),
    /// The till has never been enrolled.
    #[error("this till is not enrolled: run `pos-agent enrol --hub URL --code CODE` first")]
    NotEnrolled,
    /// The hub refused this till as restored from an old copy; it must enrol again.
    #[error(
        "this till must be enrolled again (the hub saw it restored from an old copy): run `pos-agent enrol --hub URL --code CODE`"
    )]
    NeedsEnrolment,
    /// The hub just said this till was restored from an old copy.
    #[error(
        "the hub refused this till: {0} (enrol again with a new code: pos-agent enrol --hub URL --code CODE)"
    )]
    TillRestored(String),
    /// The hub cannot be reached.
    #[error("cannot reach the hub at {url}: {reason}")]
    HubUnreachable {
        /// The URL tried.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The hub answered an HTTP request with an error.
    #[error("the hub refused the request ({status} {code}): {message}")]
    Hub {
        /// HTTP status.
        status: u16,
        /// The hub's error code.
        code: String,
        /// The hub's message.
        message: String,
    },
    /// The hub refused something on the sync connection.
    #[error("the hub refused sync ({code:?}): {message}")]
    Rejected {
        /// The error frame's code.
        code: ErrorCode,
        /// The error frame's message.
        message: String,
    },
    /// The sync conversation went wrong (unexpected frame, closed, timeout).
    #[error("sync failed: {0}")]
    Protocol(String),
    /// Stored data cannot be read back (corrupt or from a newer version).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The local database failed.
    #[error("till database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// A file system error.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// A bug or a failed background task.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The cashier's sentence for [`TillError::LimitedUsedUp`].
pub fn limited_used_up_message(available: u64, elsewhere: u64) -> String {
    if available == 0 {
        format!("limited item: this till's allocation is used up; {elsewhere} left in other stores")
    } else {
        format!(
            "limited item: only {available} left at this till; {elsewhere} left in other stores"
        )
    }
}

impl TillError {
    /// The process exit code the CLI uses for this error: 2 when the hub is
    /// unreachable, 3 when the till must enrol again, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            TillError::HubUnreachable { .. } => 2,
            TillError::TillRestored(_) | TillError::NeedsEnrolment => 3,
            _ => 1,
        }
    }

    /// Whether the failure is the network's or the hub's, i.e. worth retrying.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TillError::HubUnreachable { .. } | TillError::Protocol(_)
        ) || matches!(
            self,
            TillError::Rejected {
                code: ErrorCode::Internal,
                ..
            }
        )
    }
}

impl From<sync_proto::IdError> for TillError {
    fn from(e: sync_proto::IdError) -> Self {
        TillError::InvalidInput(e.to_string())
    }
}
