//! [`UiError`]: what a rejected command hands to the POS screens.
//!
//! Every command returns `Result<T, UiError>`. The error serializes as
//! `{ code, message }`: `code` is a stable snake_case identifier the screens
//! branch on (`"unknown_item"`, `"tender_short"`, `"not_unlocked"` …), and
//! `message` is the core's sentence for the person at the till, shown as is.
//! Codes come from the [`TillError`] variant (one code per variant, mapped
//! exhaustively so a new core error cannot go unmapped) or from the shell's
//! own checks (session, role, shift, quit).

use pos_agent::TillError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A command's refusal, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message} ({code})")]
pub struct UiError {
    /// Stable machine-readable code (snake_case).
    pub code: String,
    /// The sentence to show to the cashier.
    pub message: String,
}

impl UiError {
    /// An error with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// No staff member has unlocked the till.
    pub fn not_unlocked() -> Self {
        Self::new(
            "not_unlocked",
            "the till is locked: unlock it with your PIN first",
        )
    }

    /// The unlocked staff member is not a store manager.
    pub fn manager_only(what: &str) -> Self {
        Self::new(
            "manager_only",
            format!("only a store manager can {what}; ask your manager to unlock the till"),
        )
    }

    /// A bug or a failed background task in the shell.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("internal", message)
    }
}

/// The stable code of a core error.
pub fn code_of(e: &TillError) -> &'static str {
    match e {
        TillError::UnknownSku(_) => "unknown_item",
        TillError::NotForSale(_) => "not_for_sale",
        TillError::NoPrice(_) => "no_price",
        TillError::InvalidQuantity { .. } => "invalid_quantity",
        TillError::EmptySale => "empty_sale",
        TillError::SoldAtOutOfRange { .. } => "sold_at_out_of_range",
        TillError::TooManyLines(_) => "too_many_lines",
        TillError::TenderShort { .. } => "tender_short",
        TillError::TenderExcess(_) => "tender_excess",
        TillError::InvalidTender(_) => "invalid_tender",
        TillError::OverReturn { .. } => "over_return",
        TillError::NotOnReceipt { .. } => "not_on_receipt",
        TillError::NothingToReturn(_) => "nothing_to_return",
        TillError::NotASale(_) => "not_a_sale",
        TillError::ReceiptNotFound(_) => "unknown_receipt",
        TillError::Locked => "locked",
        TillError::WrongPin => "wrong_pin",
        TillError::StaffInactive(_) => "staff_inactive",
        TillError::NoStaff => "no_staff",
        TillError::UnknownMember(_) => "unknown_member",
        TillError::ApprovalRequired { .. } => "approval_required",
        TillError::ApprovalRefused(_) => "approval_refused",
        TillError::ShiftAlreadyOpen => "shift_already_open",
        TillError::NoOpenShift => "no_open_shift",
        TillError::UnknownShift(_) => "unknown_shift",
        TillError::UnknownStyle(_) => "unknown_style",
        TillError::LimitedNotOnSale { .. } => "limited_not_on_sale",
        TillError::LimitedUsedUp { .. } => "limited_used_up",
        TillError::HoldsNotAllowed(_) => "holds_not_allowed",
        TillError::HoldUnknown(_) => "hold_unknown",
        TillError::CouponNeedsMember => "coupon_needs_member",
        TillError::CouponUnknown(_) => "coupon_unknown",
        TillError::CouponNotOnNow(_) => "coupon_not_on_now",
        TillError::CouponMinSpend { .. } => "coupon_min_spend",
        TillError::CouponAlreadyUsed(_) => "coupon_already_used",
        TillError::CouponsUsedUp { .. } => "coupons_used_up",
        TillError::Chat(_) => "chat",
        TillError::Logistics(e) => e.code(),
        TillError::InvalidInput(_) => "invalid_input",
        TillError::NotEnrolled => "not_enrolled",
        TillError::NeedsEnrolment => "needs_enrolment",
        TillError::TillRestored(_) => "till_restored",
        TillError::HubUnreachable { .. } => "hub_unreachable",
        TillError::Hub { .. } => "hub_refused",
        TillError::Rejected { .. } => "sync_rejected",
        TillError::Protocol(_) => "sync_failed",
        TillError::Corrupt(_) => "corrupt",
        TillError::Db(_) => "database",
        TillError::Io(_) => "file",
        TillError::Internal(_) => "internal",
    }
}

impl From<TillError> for UiError {
    fn from(e: TillError) -> Self {
        let code = code_of(&e);
        match code {
            // Worth a log line: not the cashier's doing.
            "database" | "file" | "corrupt" | "internal" => {
                tracing::error!(error = %e, code, "command failed")
            }
            _ => tracing::debug!(error = %e, code, "command refused"),
        }
        UiError::new(code, e.to_string())
    }
}

/// Result alias of the commands.
pub type UiResult<T> = Result<T, UiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn till_errors_keep_their_message_and_get_a_code() {
        let e: UiError = TillError::UnknownSku("999".into()).into();
        assert_eq!(e.code, "unknown_item");
        assert!(e.message.contains("999"), "{}", e.message);
        let short: UiError = TillError::TenderShort { due: 100, paid: 40 }.into();
        assert_eq!(short.code, "tender_short");
        assert!(short.message.contains("short by 60"), "{}", short.message);
    }

    #[test]
    fn limited_refusals_keep_the_exact_sentence() {
        let e: UiError = TillError::LimitedUsedUp {
            sku: "JKT-1".into(),
            label: "Drop".into(),
            available: 0,
            elsewhere: 12,
        }
        .into();
        assert_eq!(e.code, "limited_used_up");
        assert_eq!(
            e.message,
            "limited item: this till's allocation is used up; 12 left in other stores"
        );
        let e: UiError = TillError::CouponsUsedUp {
            code: "X".into(),
            elsewhere: 3,
        }
        .into();
        assert_eq!(e.code, "coupons_used_up");
    }

    #[test]
    fn logistics_refusals_get_their_own_code() {
        let e: UiError = TillError::Logistics(pos_agent::LogisticsError::AlreadyReceived {
            shipment: "S1".into(),
            by: "Lee".into(),
        })
        .into();
        assert_eq!(e.code, "already_received");
        assert_eq!(
            e.message,
            "shipment S1 was already received at this store by Lee; it cannot be received twice"
        );
        let e: UiError = TillError::Logistics(pos_agent::LogisticsError::EmptyRequest).into();
        assert_eq!(e.code, "empty_request");
    }

    #[test]
    fn serializes_as_code_and_message() {
        let json = serde_json::to_value(UiError::not_unlocked()).expect("serializes");
        assert_eq!(json["code"], "not_unlocked");
        assert!(json["message"].as_str().is_some_and(|m| m.contains("PIN")));
    }
}
