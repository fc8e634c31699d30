//! The hub's schema and its migrations, versioned by `PRAGMA user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the database from version `i` to
//! `i + 1` inside one transaction; a database newer than this build is
//! refused rather than misread.
//!
//! Tables:
//! - `meta`: the hub's own actor, its op seq and HLC (so a restart never goes back).
//! - `users`, `sessions`: HQ accounts (argon2id) and session tokens (sha256).
//! - `stores`, `enrolment_codes`, `devices`: locations, one-time codes, tills.
//! - `op_log`: every op, `cursor` = downstream log position, `UNIQUE(actor, seq)`;
//!   actors and scopes are numbered (`actors`, `scopes`) so that the log's
//!   indexes compare small integers.
//! - `stock_counter`: one PN-counter entry per `(location, sku, actor)`, merged with `MAX`.
//! - `stock`: materialised quantity per `(location, sku)`, updated on apply.
//! - `catalog_field`: LWW register per `(sku, field)` with the winning HLC.
//! - `sales`, `returns`: grow-only records keyed by UUIDv7 — the columns
//!   reports filter and sum on, plus the `cursor` of the op that carries the
//!   whole record (lines, tenders) in the log, which is never rewritten.
//! - v4 (`v4_chat.sql`): the chat projection (`chat_message` + FTS5 `chat_fts`,
//!   `chat_read`, `chat_ticket`, `announcement*`, `chat_attachment*`).
//! - v5 (`v5_escrow.sql`): limited editions and coupons.
//! - v6 (`v6_logistics.sql`): replenishment and deliveries (`repl_order`, `logi_status`,
//!   `order_approved`, `delivery`, `receiving`, `shipment*`), `stores.geofence_m`,
//!   `tracker_device`. Driver tracks live in their own file (`crate::gps`).

use rusqlite::Connection;

use crate::HubError;

/// Schema migrations, in order. Never edit a released entry; append.
pub const MIGRATIONS: &[&str] = &[
    V1_SYNC_SPINE,
    V2_ACCOUNTS,
    V3_ANALYTICS,
    V4_CHAT,
    V5_ESCROW,
    V6_LOGISTICS,
];

/// Version 1: the sync spine.
const V1_SYNC_SPINE: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE stores (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('store', 'warehouse')),
    currency      TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    next_till_no  INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE TABLE enrolment_codes (
    code_hash     BLOB PRIMARY KEY,
    store         TEXT NOT NULL REFERENCES stores(code),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER,
    used_by       BLOB
) WITHOUT ROWID;

CREATE TABLE devices (
    actor           BLOB PRIMARY KEY,
    store           TEXT NOT NULL REFERENCES stores(code),
    till_no         INTEGER NOT NULL,
    credential_hash BLOB NOT NULL UNIQUE,
    app_version     TEXT NOT NULL,
    enrolled_at_ms  INTEGER NOT NULL,
    last_seen_ms    INTEGER,
    acked_seq       INTEGER NOT NULL DEFAULT 0,
    cursor          INTEGER NOT NULL DEFAULT 0,
    backlog         INTEGER,
    last_error      TEXT,
    revoked         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (store, till_no)
) WITHOUT ROWID;

CREATE TABLE actors (
    no    INTEGER PRIMARY KEY,
    actor BLOB NOT NULL UNIQUE
);

CREATE TABLE scopes (
    no    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL UNIQUE
);

CREATE TABLE op_log (
    cursor   INTEGER PRIMARY KEY,
    actor_no INTEGER NOT NULL REFERENCES actors(no),
    seq      INTEGER NOT NULL,
    scope_no INTEGER NOT NULL REFERENCES scopes(no),
    body     BLOB NOT NULL,
    UNIQUE (actor_no, seq)
);
CREATE INDEX op_log_scope ON op_log (scope_no, cursor, actor_no);

CREATE TABLE stock_counter (
    location  TEXT NOT NULL,
    sku       TEXT NOT NULL,
    actor     BLOB NOT NULL,
    inc_total INTEGER NOT NULL,
    dec_total INTEGER NOT NULL,
    PRIMARY KEY (location, sku, actor)
) WITHOUT ROWID;

CREATE TABLE stock (
    location TEXT NOT NULL,
    sku      TEXT NOT NULL,
    qty      INTEGER NOT NULL,
    PRIMARY KEY (location, sku)
) WITHOUT ROWID;
CREATE INDEX stock_sku ON stock (sku);

CREATE TABLE catalog_field (
    sku         TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    hlc_actor   BLOB NOT NULL,
    PRIMARY KEY (sku, field)
) WITHOUT ROWID;

CREATE TABLE sales (
    id         BLOB PRIMARY KEY,
    receipt    TEXT NOT NULL,
    store      TEXT NOT NULL,
    till       BLOB NOT NULL,
    total      INTEGER NOT NULL,
    currency   TEXT NOT NULL,
    sold_at_ms INTEGER NOT NULL,
    cursor     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sales_store_time ON sales (store, sold_at_ms);

CREATE TABLE returns (
    id             BLOB PRIMARY KEY,
    receipt        TEXT NOT NULL,
    original_sale  BLOB NOT NULL,
    store          TEXT NOT NULL,
    till           BLOB NOT NULL,
    total_refund   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    returned_at_ms INTEGER NOT NULL,
    cursor         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX returns_store_time ON returns (store, returned_at_ms);
"#;

/// Version 2: HQ accounts and roles, audit log, remote till commands.
const V2_ACCOUNTS: &str = include_str!("v2_accounts.sql");

/// Version 3: reports, stock movements, members, price rules.
const V3_ANALYTICS: &str = include_str!("v3_analytics.sql");

/// Version 4: chat messages, read positions, tickets, announcements, attachments.
const V4_CHAT: &str = include_str!("v4_chat.sql");

/// Version 5: limited editions and coupons (escrow entries, limit definitions, drop plans,
/// rights requests and recalls, holds, coupon redemptions).
const V5_ESCROW: &str = include_str!("v5_escrow.sql");

/// Version 6: replenishment orders, the logistics status register, deliveries, receivings,
/// shipments and their stops, store geofences, tracker devices (GPS tracks: `tracks.db`).
const V6_LOGISTICS: &str = include_str!("v6_logistics.sql");

/// Bring the database to the latest schema version.
pub fn migrate(conn: &Connection) -> Result<(), HubError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(HubError::Config(format!(
            "database schema version {version} is newer than this hub-server ({latest}); upgrade the binary"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_are_idempotent() {
        let conn = Connection::open_in_memory().expect("open");
        migrate(&conn).expect("first");
        migrate(&conn).expect("second");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
    }
}
