//! The audit log of admin actions — STUB (H2) with the signature H1
//! published in `/work/notes/contract.md` ("H1 API"). H1's `audit.rs` (which
//! writes the `audit_log` table) replaces this file at the merge; until then
//! entries go to the tracing log (target `audit`).

use crate::HubError;
use crate::api::auth::Hq;

/// Action names of the audit log (the contract's strings).
pub mod actions {
    /// A product was created.
    pub const PRODUCT_CREATE: &str = "product.create";
    /// A product was changed.
    pub const PRODUCT_UPDATE: &str = "product.update";
    /// Products were imported from CSV.
    pub const PRODUCT_IMPORT: &str = "product.import";
    /// Price rules were created.
    pub const PRICE_RULE_CREATE: &str = "price_rule.create";
    /// A price rule was cancelled.
    pub const PRICE_RULE_CANCEL: &str = "price_rule.cancel";
    /// Stock was adjusted.
    pub const STOCK_ADJUST: &str = "stock.adjust";
    /// A stocktake was recorded.
    pub const STOCKTAKE_CREATE: &str = "stocktake.create";
    /// A member was signed up.
    pub const MEMBER_CREATE: &str = "member.create";
}

/// Record an admin action by the logged-in user `who`, inside the writer
/// job of the action (`ap.conn`).
pub fn record(
    conn: &rusqlite::Connection,
    who: &Hq,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), HubError> {
    let _ = conn;
    tracing::info!(target: "audit", user = %who.username, action, target, %detail, "admin action");
    Ok(())
}
