//! Role checks of the H2 console endpoints and the audit call they make.
//!
//! TEMPORARY SEAM (H2, issue 4): the role-aware `Hq` extractor with
//! `store`, `require_store_access`, `visible_stores` and `audit::record` are
//! built by H1 on another branch. Until that is merged, the H2 handlers call
//! the guard functions of [`HqAccess`] (named as in the contract) and
//! [`audit`] here; the lead replaces this file's bodies with H1's. Roles
//! (DESIGN §4): `hq_admin` and `hq_staff` see the whole chain;
//! `store_manager` sees and changes only its own store; `cashier` and
//! `driver` have no console access.

use serde_json::Value;

use super::auth::Hq;
use super::error::ApiError;
use crate::HubError;
use crate::writer::Apply;
use axum::http::StatusCode;

/// Which stores a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// Every store and warehouse.
    All,
    /// Only this store.
    Store(String),
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The guards the H2 handlers use (contract names).
pub trait HqAccess {
    /// Role name.
    fn role_name(&self) -> &str;
    /// The store of a store-bound role.
    fn own_store(&self) -> Option<String>;

    /// Any console role (HQ or a store manager).
    fn require_console(&self) -> Result<(), ApiError> {
        match self.role_name() {
            "hq_admin" | "hq_staff" => Ok(()),
            "store_manager" if self.own_store().is_some() => Ok(()),
            "store_manager" => Err(forbidden("this store manager has no store")),
            other => Err(forbidden(format!("the {other} role has no console access"))),
        }
    }

    /// HQ roles only (catalog, prices, chain-wide changes).
    fn require_hq(&self) -> Result<(), ApiError> {
        match self.role_name() {
            "hq_admin" | "hq_staff" => Ok(()),
            other => Err(forbidden(format!(
                "only head office (hq_admin, hq_staff) may do this, not {other}"
            ))),
        }
    }

    /// Stores the user may see.
    fn visible_stores(&self) -> Result<Visible, ApiError> {
        self.require_console()?;
        match self.own_store() {
            Some(s) if self.role_name() == "store_manager" => Ok(Visible::Store(s)),
            _ => Ok(Visible::All),
        }
    }

    /// Refuse a store the user may not see or change.
    fn require_store_access(&self, store: &str) -> Result<(), ApiError> {
        match self.visible_stores()? {
            Visible::All => Ok(()),
            Visible::Store(own) if own == store => Ok(()),
            Visible::Store(own) => Err(forbidden(format!(
                "a store manager of {own} cannot see or change {store}"
            ))),
        }
    }

    /// The store filter to apply: the requested one (checked), or the
    /// user's own store for a store manager who asked for none.
    fn store_filter(&self, requested: Option<String>) -> Result<Option<String>, ApiError> {
        match (self.visible_stores()?, requested) {
            (_, Some(s)) => {
                self.require_store_access(&s)?;
                Ok(Some(s))
            }
            (Visible::All, None) => Ok(None),
            (Visible::Store(own), None) => Ok(Some(own)),
        }
    }
}

impl HqAccess for Hq {
    fn role_name(&self) -> &str {
        &self.role
    }

    fn own_store(&self) -> Option<String> {
        // H1's `Hq` carries `store`; until then no session is store-bound.
        None
    }
}

/// Record an admin action in the audit log, inside the writer job that
/// makes the change. Shaped like H1's `audit::record`; until it is merged,
/// the entry goes to the log (target `audit`).
pub fn audit(
    ap: &mut Apply<'_, '_>,
    hq: &Hq,
    action: &'static str,
    target: &str,
    detail: Value,
) -> Result<(), HubError> {
    let _ = ap;
    tracing::info!(target: "audit", user = %hq.username, action, target, %detail, "admin action");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct User(&'static str, Option<&'static str>);

    impl HqAccess for User {
        fn role_name(&self) -> &str {
            self.0
        }
        fn own_store(&self) -> Option<String> {
            self.1.map(str::to_owned)
        }
    }

    #[test]
    fn store_managers_see_only_their_store_and_others_nothing() {
        let admin = User("hq_admin", None);
        assert_eq!(admin.visible_stores().expect("ok"), Visible::All);
        assert_eq!(admin.store_filter(None).expect("ok"), None);
        let mgr = User("store_manager", Some("GN01"));
        assert_eq!(mgr.store_filter(None).expect("ok"), Some("GN01".into()));
        assert!(mgr.require_store_access("GN01").is_ok());
        let e = mgr
            .store_filter(Some("HD02".into()))
            .expect_err("other store");
        assert_eq!((e.status.as_u16(), e.code), (403, "forbidden"));
        assert!(mgr.require_hq().is_err());
        for role in ["cashier", "driver"] {
            let u = User(role, Some("GN01"));
            assert_eq!(u.require_console().expect_err("no console").status, 403);
            assert!(u.visible_stores().is_err());
        }
        assert!(User("store_manager", None).require_console().is_err());
        assert!(User("hq_staff", None).require_hq().is_ok());
    }
}
