//! Role guards of the H2 console endpoints, with the names and signatures
//! H1 published for the role-aware `Hq` (see `/work/notes/contract.md`,
//! "H1 API").
//!
//! TEMPORARY SEAM (H2, issue 4): until H1's `Hq` (with `store` and these
//! guards as inherent methods) is merged, the H2 handlers call them through
//! the [`HqAccess`] trait here. At the merge, delete this file and the
//! `use super::access::HqAccess;` lines: the calls stay as they are. Roles
//! (DESIGN §4): `hq_admin` and `hq_staff` see the whole chain;
//! `store_manager` sees and changes only its own store; `cashier` and
//! `driver` have no console access.

use axum::http::StatusCode;

use super::auth::Hq;
use super::error::ApiError;

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The guards (H1's names), over a role and an optional store.
pub trait HqAccess {
    /// Role name.
    fn role_name(&self) -> &str;
    /// The store of a store-bound role.
    fn own_store(&self) -> Option<String>;

    /// Any console role (refuses cashier and driver).
    fn require_console(&self) -> Result<(), ApiError> {
        match self.role_name() {
            "hq_admin" | "hq_staff" => Ok(()),
            "store_manager" if self.own_store().is_some() => Ok(()),
            "store_manager" => Err(forbidden("this store manager has no store")),
            other => Err(forbidden(format!("the {other} role has no console access"))),
        }
    }

    /// Head office only (hq_admin, hq_staff): catalog and prices.
    fn require_hq(&self) -> Result<(), ApiError> {
        match self.role_name() {
            "hq_admin" | "hq_staff" => Ok(()),
            other => Err(forbidden(format!(
                "only head office (hq_admin, hq_staff) may do this, not {other}"
            ))),
        }
    }

    /// May change stock (hq_admin, hq_staff, store_manager).
    fn require_writer(&self) -> Result<(), ApiError> {
        self.require_console()
    }

    /// Stores the user sees: `None` = all.
    fn visible_stores(&self) -> Option<Vec<String>> {
        match (self.role_name(), self.own_store()) {
            ("hq_admin" | "hq_staff", _) => None,
            (_, Some(s)) => Some(vec![s]),
            (_, None) => Some(Vec::new()),
        }
    }

    /// Refuse a store the user may not see or change.
    fn require_store_access(&self, store: &str) -> Result<(), ApiError> {
        self.require_console()?;
        match self.visible_stores() {
            None => Ok(()),
            Some(own) if own.iter().any(|s| s == store) => Ok(()),
            Some(_) => Err(forbidden(format!(
                "this account cannot see or change {store}"
            ))),
        }
    }

    /// The store filter to apply: the requested one (checked), or the
    /// user's own store for a store manager who asked for none.
    fn scope_store(&self, requested: Option<String>) -> Result<Option<String>, ApiError> {
        self.require_console()?;
        match (self.visible_stores(), requested) {
            (_, Some(s)) => {
                self.require_store_access(&s)?;
                Ok(Some(s))
            }
            (None, None) => Ok(None),
            (Some(own), None) => Ok(own.into_iter().next()),
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
        assert_eq!(admin.visible_stores(), None);
        assert_eq!(admin.scope_store(None).expect("ok"), None);
        let mgr = User("store_manager", Some("GN01"));
        assert_eq!(mgr.scope_store(None).expect("ok"), Some("GN01".into()));
        assert!(mgr.require_store_access("GN01").is_ok());
        assert!(mgr.require_writer().is_ok());
        let e = mgr
            .scope_store(Some("HD02".into()))
            .expect_err("other store");
        assert_eq!((e.status.as_u16(), e.code), (403, "forbidden"));
        assert!(mgr.require_hq().is_err());
        for role in ["cashier", "driver"] {
            let u = User(role, Some("GN01"));
            assert_eq!(u.require_console().expect_err("no console").status, 403);
            assert!(u.scope_store(None).is_err());
            assert!(u.require_store_access("GN01").is_err());
        }
        assert!(User("store_manager", None).require_console().is_err());
        assert!(User("hq_staff", None).require_hq().is_ok());
    }
}
