//! Writes the TypeScript types of every command's arguments and answers into
//! `ui/pos/src/api/types` (ts-rs), so the POS screens compile against the
//! shell's real shapes. Run by `cargo test`; `cargo xtask test` fails when
//! the committed files differ from what this writes.

use std::path::PathBuf;

use pos_agent::{
    CashMovement, CashMovementKind, CashierMessage, CategoryCount, ClockGuard, CouponQuote,
    ElsewhereStock, HoldState, LimitHoldView, LimitedStatus, Member, MemberSignUp, PendingOp,
    ProductHit, ReceiptFormat, ReturnPreview, ReturnReceipt, ReturnRequest, SaleQuote, SaleReceipt,
    SaleRequest, Settlement, Shift, ShiftSummary, SignUpOutcome, Staff, StockLevel, StoredReceipt,
    TenderRequest, TillStatus, VariantGrid, ZReport,
};
use ts_rs::TS;

use crate::chat::{AttachmentData, ChatChannel, PickedFile};
use crate::commands::{AppInfo, QuitCheck};
use crate::error::UiError;
use crate::link::LinkState;

/// `<workspace>/ui/pos/src/api/types`.
pub fn types_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/pos/src/api/types")
}

/// Export every type (with the types they contain) into `dir`.
pub fn export_all(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t as TS>::export_all_to(dir)?; )* };
    }
    export!(
        AppInfo,
        QuitCheck,
        UiError,
        LinkState,
        TillStatus,
        Staff,
        ProductHit,
        CategoryCount,
        VariantGrid,
        StockLevel,
        ElsewhereStock,
        SaleRequest,
        SaleQuote,
        ClockGuard,
        TenderRequest,
        Settlement,
        SaleReceipt,
        StoredReceipt,
        ReturnPreview,
        ReturnRequest,
        ReturnReceipt,
        Shift,
        ShiftSummary,
        CashMovement,
        CashMovementKind,
        ZReport,
        PendingOp,
        ReceiptFormat,
        Member,
        MemberSignUp,
        SignUpOutcome,
        CashierMessage,
        ChatChannel,
        pos_agent::chat::ChatMessageView,
        pos_agent::chat::TicketView,
        pos_agent::chat::AckOutcome,
        pos_agent::ChatSent,
        PickedFile,
        AttachmentData,
        LimitedStatus,
        LimitHoldView,
        HoldState,
        CouponQuote,
        pos_agent::OrderView,
        pos_agent::DeliveryView,
        pos_agent::ReceivingView,
        pos_agent::StockRequestLine,
        pos_agent::CountedLine,
    );
    Ok(())
}

#[test]
fn export_types() {
    let dir = types_dir();
    export_all(&dir).expect("TypeScript types written");
    for name in [
        "AppInfo",
        "SaleQuote",
        "UiError",
        "LinkState",
        "ZReport",
        "LimitedStatus",
        "LimitHoldView",
        "CouponQuote",
        "OrderView",
        "DeliveryView",
        "ReceivingView",
        "Lifecycle",
    ] {
        let file = dir.join(format!("{name}.ts"));
        let ts = std::fs::read_to_string(&file).expect("type file");
        assert!(
            ts.contains(&format!("export type {name}")),
            "{file:?}: {ts}"
        );
    }
}
