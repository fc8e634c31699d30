//! Accounts: roles, users, login throttling and the store staff that tills
//! learn through `StaffSet` ops.
//!
//! - [`Role`]: the five roles of DESIGN §4 and what each may reach.
//! - [`LoginThrottle`]: failed logins per user name and per client IP in a
//!   sliding 15-minute window, in memory only (a restart forgets it, which
//!   is acceptable: it slows guessing, it does not replace strong passwords).
//! - [`UserRow`] / [`read_user`] / [`list_users`]: the `users` table.
//! - [`write_staff_op`]: the `StaffSet` op (scope `store:X`, hub actor) of a
//!   store person, written in the writer job that changes the person, so a
//!   store's tills can unlock with the PIN offline.
//! - [`apply_staff_set`] (writer hook) and [`snapshot_staff`] (snapshot
//!   hook): the winning `StaffSet` op per `(store, staff id)`, which a new
//!   till receives in `SnapshotChunk.records`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::str::FromStr;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::people::{StaffRecord, StaffRole};
use sync_proto::{Op, OpBody, Scope, StoreId};
use uuid::Uuid;

use crate::HubError;
use crate::writer::Apply;

/// Role of an account (DESIGN §4).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// Everything, including users, stores, enrolment codes, revoking tills and the audit log.
    HqAdmin,
    /// Reads everything; catalog, prices, stock adjustments, stocktakes, till commands.
    HqStaff,
    /// Reads and adjusts their own store only; commands to its tills; manages its cashiers.
    StoreManager,
    /// No console access: unlocks a till with a PIN.
    Cashier,
    /// No console endpoints; may log in (the driver page comes later).
    Driver,
}

/// A string that is not a role.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: one of hq_admin, hq_staff, store_manager, cashier, driver")]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::HqAdmin,
        Role::HqStaff,
        Role::StoreManager,
        Role::Cashier,
        Role::Driver,
    ];

    /// The role as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::HqAdmin => "hq_admin",
            Role::HqStaff => "hq_staff",
            Role::StoreManager => "store_manager",
            Role::Cashier => "cashier",
            Role::Driver => "driver",
        }
    }

    /// Roles that belong to one store (and need `store`).
    pub fn is_store_role(self) -> bool {
        matches!(self, Role::StoreManager | Role::Cashier)
    }

    /// Chain-wide HQ roles.
    pub fn is_hq(self) -> bool {
        matches!(self, Role::HqAdmin | Role::HqStaff)
    }

    /// The till-side role of a store person.
    pub fn staff_role(self) -> Option<StaffRole> {
        match self {
            Role::StoreManager => Some(StaffRole::StoreManager),
            Role::Cashier => Some(StaffRole::Cashier),
            _ => None,
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Window of the login throttle.
pub const THROTTLE_WINDOW_MS: u64 = 15 * 60 * 1000;
/// Failures per user name within the window that block further attempts.
pub const MAX_FAILURES_PER_USER: usize = 5;
/// Failures per client IP within the window that block further attempts.
pub const MAX_FAILURES_PER_IP: usize = 20;
/// Most keys tracked (bounds memory under a spray of user names).
const THROTTLE_MAX_KEYS: usize = 100_000;

#[derive(Default)]
struct Failures {
    users: HashMap<String, VecDeque<u64>>,
    ips: HashMap<IpAddr, VecDeque<u64>>,
}

/// Failed logins per user name and per client IP (memory only).
#[derive(Default)]
pub struct LoginThrottle {
    inner: Mutex<Failures>,
}

fn prune(q: &mut VecDeque<u64>, now: u64) {
    while q.front().is_some_and(|t| t + THROTTLE_WINDOW_MS <= now) {
        q.pop_front();
    }
}

/// Seconds until the `max`-th most recent failure leaves the window, if blocked.
fn blocked_for(q: Option<&mut VecDeque<u64>>, max: usize, now: u64) -> Option<u64> {
    let q = q?;
    prune(q, now);
    if q.len() < max {
        return None;
    }
    // Allowed again once fewer than `max` failures remain in the window.
    let oldest_that_counts = q[q.len() - max];
    let until = oldest_that_counts + THROTTLE_WINDOW_MS;
    Some(until.saturating_sub(now).div_ceil(1000).max(1))
}

impl LoginThrottle {
    /// `Some(retry_after_s)` when `username` or `ip` may not try now.
    pub fn check(&self, username: &str, ip: Option<IpAddr>, now: u64) -> Option<u64> {
        let mut f = self.inner.lock();
        let by_user = blocked_for(f.users.get_mut(username), MAX_FAILURES_PER_USER, now);
        let by_ip = ip.and_then(|ip| blocked_for(f.ips.get_mut(&ip), MAX_FAILURES_PER_IP, now));
        by_user.max(by_ip)
    }

    /// Check and, when allowed, count this attempt as failed before the
    /// password is verified, in one step: concurrent guesses cannot all pass
    /// the check while the first ones are still hashing. A successful login
    /// takes it back ([`LoginThrottle::succeed`]). `Err(retry_after_s)` when
    /// blocked.
    pub fn begin(&self, username: &str, ip: Option<IpAddr>, now: u64) -> Result<(), u64> {
        let mut f = self.inner.lock();
        let by_user = blocked_for(f.users.get_mut(username), MAX_FAILURES_PER_USER, now);
        let by_ip = ip.and_then(|ip| blocked_for(f.ips.get_mut(&ip), MAX_FAILURES_PER_IP, now));
        if let Some(wait) = by_user.max(by_ip) {
            return Err(wait);
        }
        Self::record(&mut f, username, ip, now);
        Ok(())
    }

    /// Count a failed attempt.
    pub fn fail(&self, username: &str, ip: Option<IpAddr>, now: u64) {
        Self::record(&mut self.inner.lock(), username, ip, now);
    }

    fn record(f: &mut Failures, username: &str, ip: Option<IpAddr>, now: u64) {
        if f.users.len() >= THROTTLE_MAX_KEYS {
            f.users.retain(|_, q| {
                prune(q, now);
                !q.is_empty()
            });
        }
        if f.ips.len() >= THROTTLE_MAX_KEYS {
            f.ips.retain(|_, q| {
                prune(q, now);
                !q.is_empty()
            });
        }
        let q = f.users.entry(username.to_owned()).or_default();
        prune(q, now);
        q.push_back(now);
        if let Some(ip) = ip {
            let q = f.ips.entry(ip).or_default();
            prune(q, now);
            q.push_back(now);
        }
    }

    /// A successful login clears the user name's failures (not the IP's)
    /// and takes back the IP's attempt counted by [`LoginThrottle::begin`]
    /// at `begun`.
    pub fn succeed(&self, username: &str, ip: Option<IpAddr>, begun: u64) {
        let mut f = self.inner.lock();
        f.users.remove(username);
        if let Some(q) = ip.and_then(|ip| f.ips.get_mut(&ip))
            && let Some(i) = q.iter().rposition(|t| *t == begun)
        {
            q.remove(i);
        }
    }
}

/// A row of `users`.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Store of a store role.
    pub store: Option<String>,
    /// May log in / unlock tills.
    pub active: bool,
    /// argon2id hash of the password ('' when none).
    pub password_hash: String,
    /// argon2id hash of the till PIN.
    pub pin_hash: Option<String>,
    /// Stable id in `StaffSet` ops.
    pub staff_id: Option<Uuid>,
    /// Creation time.
    pub created_at_ms: u64,
}

const USER_COLUMNS: &str = "id, username, display_name, role, store, active, password_hash, pin_hash, staff_id, created_at_ms";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    let role: String = r.get(3)?;
    let staff: Option<Vec<u8>> = r.get(8)?;
    Ok(UserRow {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        // An unknown stored role gets no access at all.
        role: role.parse().unwrap_or(Role::Cashier),
        store: r.get(4)?,
        active: r.get(5)?,
        password_hash: r.get(6)?,
        pin_hash: r.get(7)?,
        staff_id: staff.and_then(|b| Uuid::from_slice(&b).ok()),
        created_at_ms: r.get::<_, i64>(9)? as u64,
    })
}

/// A user by id.
pub fn read_user(conn: &Connection, id: i64) -> Result<Option<UserRow>, HubError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], user_row)
        .optional()?)
}

/// A user by login name.
pub fn read_user_by_name(conn: &Connection, username: &str) -> Result<Option<UserRow>, HubError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?1"
        ))?
        .query_row([username], user_row)
        .optional()?)
}

/// Users, optionally of one store, by name.
pub fn list_users(conn: &Connection, store: Option<&str>) -> Result<Vec<UserRow>, HubError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE (?1 IS NULL OR store = ?1) ORDER BY username"
    ))?;
    let rows = stmt.query_map([store], user_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Write the `StaffSet` op describing `user` at `store` (scope `store:X`,
/// hub actor). `active = false` tells the store's tills the person may no
/// longer unlock them (deactivated, moved to another store, or no longer a
/// store role). Call inside the writer job that changed the user.
pub fn write_staff_op(
    ap: &mut Apply<'_, '_>,
    user: &UserRow,
    store: &str,
    active: bool,
) -> Result<Op, HubError> {
    let staff_id = user
        .staff_id
        .ok_or_else(|| HubError::Internal(format!("user {} has no staff id", user.username)))?;
    let store: StoreId = store.parse()?;
    let role = user.role.staff_role().unwrap_or(StaffRole::Cashier);
    let record = StaffRecord {
        id: staff_id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        store: store.clone(),
        pin_hash: user.pin_hash.clone(),
        active: active && user.active && user.role.is_store_role(),
    };
    ap.hub_op(Scope::Store(store), OpBody::StaffSet(record))
}

/// Writer hook: remember the winning `StaffSet` op of `(store, staff id)`.
pub fn apply_staff_set(
    conn: &Connection,
    op: &Op,
    s: &StaffRecord,
    cursor: u64,
) -> Result<(), HubError> {
    conn.prepare_cached(
        "INSERT INTO staff_op (store, staff_id, cursor, hlc_wall, hlc_counter) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (store, staff_id) DO UPDATE SET
           cursor = excluded.cursor, hlc_wall = excluded.hlc_wall, hlc_counter = excluded.hlc_counter
         WHERE (excluded.hlc_wall, excluded.hlc_counter) > (staff_op.hlc_wall, staff_op.hlc_counter)",
    )?
    .execute(params![
        s.store.as_str(),
        s.id.as_bytes().as_slice(),
        cursor as i64,
        op.hlc.wall_ms as i64,
        op.hlc.counter
    ])?;
    Ok(())
}

/// Snapshot hook: the winning `StaffSet` ops of `store`'s people.
pub fn snapshot_staff(conn: &Connection, store: &StoreId) -> Result<Vec<Op>, HubError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.cursor, l.body FROM staff_op s JOIN op_log l ON l.cursor = s.cursor
         WHERE s.store = ?1 ORDER BY s.cursor",
    )?;
    let mut rows = stmt.query([store.as_str()])?;
    let mut ops = Vec::new();
    while let Some(r) = rows.next()? {
        let cursor: i64 = r.get(0)?;
        let body: Vec<u8> = r.get(1)?;
        match rmp_serde::from_slice::<Op>(&body) {
            Ok(op) => ops.push(op),
            Err(e) => {
                tracing::error!(cursor, error = %e, "unreadable staff op skipped in snapshot")
            }
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().expect("role"), r);
            assert_eq!(
                serde_json::to_value(r).expect("json"),
                serde_json::json!(r.as_str())
            );
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn throttle_blocks_after_five_failures_per_user_and_twenty_per_ip() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let now = 1_000_000;
        for i in 0..4 {
            t.fail("ann", Some(ip), now + i);
        }
        assert_eq!(t.check("ann", Some(ip), now + 10), None);
        t.fail("ann", Some(ip), now + 5);
        let wait = t.check("ann", Some(ip), now + 10).expect("blocked");
        assert!(wait > 890 && wait <= 900, "{wait}");
        // Another user from another IP is not affected.
        assert_eq!(t.check("bob", None, now + 10), None);
        // After the window the user may try again.
        assert_eq!(t.check("ann", None, now + 5 + THROTTLE_WINDOW_MS), None);
        // Twenty failures from one IP over many names block that IP.
        for i in 0..20u64 {
            t.fail(&format!("u{i}"), Some(ip), now + 100 + i);
        }
        assert!(t.check("zed", Some(ip), now + 200).is_some());
        assert_eq!(t.check("zed", None, now + 200), None);
        t.succeed("ann", None, now);
        assert_eq!(t.check("ann", None, now + 10), None);
    }

    #[test]
    fn begin_counts_the_attempt_before_the_password_is_checked() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.2".parse().expect("ip");
        let now = 5_000_000;
        // Five attempts in flight at once: the sixth is refused before any ends.
        for i in 0..5 {
            assert_eq!(t.begin("ann", Some(ip), now + i), Ok(()));
        }
        assert!(t.begin("ann", Some(ip), now + 5).is_err());
        // A success takes back its own attempt from the IP's count.
        assert_eq!(t.begin("bob", Some(ip), now + 6), Ok(()));
        t.succeed("bob", Some(ip), now + 6);
        assert_eq!(t.inner.lock().ips.get(&ip).map(VecDeque::len), Some(5));
    }
}
