//! The audit log: every admin action with who, what and when.
//!
//! [`record`] is called inside the writer job of the action it describes,
//! so the entry commits — or rolls back — together with the action. The
//! log is append-only; `GET /api/v1/audit` (hq_admin) pages it newest first.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::api::auth::Hq;
use crate::{HubError, now_ms};

/// The action names (stable strings; the console filters on them).
pub mod actions {
    /// A login with a wrong password, unknown user or refused role.
    pub const LOGIN_FAILED: &str = "login.failed";
    /// A successful login.
    pub const LOGIN_OK: &str = "login.ok";
    /// A store or warehouse was created.
    pub const STORE_CREATE: &str = "store.create";
    /// An enrolment code was issued.
    pub const ENROLMENT_CODE_CREATE: &str = "enrolment_code.create";
    /// A till's credential was revoked.
    pub const TILL_REVOKE: &str = "till.revoke";
    /// A remote command was issued to a till.
    pub const TILL_COMMAND: &str = "till.command";
    /// A user was created.
    pub const USER_CREATE: &str = "user.create";
    /// A user was changed (name, password, PIN, role, store, active).
    pub const USER_UPDATE: &str = "user.update";
    /// A product was created.
    pub const PRODUCT_CREATE: &str = "product.create";
    /// A product was changed.
    pub const PRODUCT_UPDATE: &str = "product.update";
    /// A catalog CSV was imported.
    pub const PRODUCT_IMPORT: &str = "product.import";
    /// A price rule was created.
    pub const PRICE_RULE_CREATE: &str = "price_rule.create";
    /// A price rule was cancelled.
    pub const PRICE_RULE_CANCEL: &str = "price_rule.cancel";
    /// Stock was adjusted.
    pub const STOCK_ADJUST: &str = "stock.adjust";
    /// A stocktake was recorded.
    pub const STOCKTAKE_CREATE: &str = "stocktake.create";
    /// A member was created.
    pub const MEMBER_CREATE: &str = "member.create";
    /// A drop (limited item or coupon campaign) was created.
    pub const DROP_CREATE: &str = "drop.create";
    /// Rights of a drop were pulled back from tills.
    pub const DROP_PULL_BACK: &str = "drop.pull_back";
    /// A drop was ended.
    pub const DROP_END: &str = "drop.end";
    /// HQ placed a replenishment order for a store.
    pub const ORDER_CREATE: &str = "order.create";
    /// HQ proposed orders from the low-stock alerts.
    pub const ORDER_PROPOSE: &str = "order.propose";
    /// An order was approved.
    pub const ORDER_APPROVE: &str = "order.approve";
    /// An order was cancelled.
    pub const ORDER_CANCEL: &str = "order.cancel";
    /// A shipment was planned.
    pub const SHIPMENT_CREATE: &str = "shipment.create";
    /// A shipment was picked.
    pub const SHIPMENT_PICK: &str = "shipment.pick";
    /// A shipment was dispatched.
    pub const SHIPMENT_DISPATCH: &str = "shipment.dispatch";
    /// A shipment was cancelled before dispatch.
    pub const SHIPMENT_CANCEL: &str = "shipment.cancel";
    /// A stop was marked arrived by hand.
    pub const STOP_ARRIVE: &str = "shipment.arrive";
    /// A store's position or geofence changed.
    pub const STORE_LOCATION: &str = "store.location";
    /// A tracker device was registered.
    pub const DEVICE_REGISTER: &str = "device.register";
    /// A tracker device was deleted.
    pub const DEVICE_DELETE: &str = "device.delete";
}

/// Record an admin action by the logged-in user `who`. Call it inside the
/// writer job of the action (`ap.conn`), so both commit together.
pub fn record(
    conn: &Connection,
    who: &Hq,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), HubError> {
    record_as(
        conn,
        Some(who.user_id),
        &who.username,
        action,
        target,
        detail,
    )
}

/// Record an action of someone who may not be logged in (failed logins).
pub fn record_as(
    conn: &Connection,
    user_id: Option<i64>,
    username: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), HubError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, user_id, username, action, target, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now_ms() as i64,
        user_id,
        username,
        action,
        target,
        detail.to_string()
    ])?;
    tracing::info!(target: "audit", user = %username, %action, %target, "audit");
    Ok(())
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AuditEntry {
    /// Increasing id (page with `before`).
    #[ts(type = "number")]
    pub id: i64,
    /// When (ms since epoch).
    #[ts(type = "number")]
    pub at_ms: u64,
    /// Who.
    pub username: String,
    /// What (`user.create`, …).
    pub action: String,
    /// On what (user name, store code, till actor, SKU …).
    pub target: String,
    /// Details (JSON).
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// A page of the audit log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `null` at the end.
    #[ts(type = "number | null")]
    pub next_before: Option<i64>,
}

/// Filter of [`read_page`].
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Page size.
    pub limit: u32,
    /// Only ids below this.
    pub before: Option<i64>,
    /// Only this user name.
    pub user: Option<String>,
    /// Only this action.
    pub action: Option<String>,
}

/// A page of entries, newest first.
pub fn read_page(conn: &Connection, f: &AuditFilter) -> Result<AuditPage, HubError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at_ms, username, action, target, detail FROM audit_log
         WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR username = ?2) AND (?3 IS NULL OR action = ?3)
         ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![f.before, f.user, f.action, i64::from(f.limit) + 1],
        |r| {
            let detail: String = r.get(5)?;
            Ok(AuditEntry {
                id: r.get(0)?,
                at_ms: r.get::<_, i64>(1)? as u64,
                username: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            })
        },
    )?;
    let mut entries = rows.collect::<Result<Vec<_>, _>>()?;
    let more = entries.len() > f.limit as usize;
    entries.truncate(f.limit as usize);
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}
