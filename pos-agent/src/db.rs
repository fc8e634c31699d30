//! The till's SQLite database: opening, pragmas, schema migrations and the
//! small typed helpers every module shares (settings in `meta`, HLC text form,
//! op encoding, the outbox).
//!
//! One file `till.db` in the data directory, opened in WAL mode with
//! `synchronous=FULL` (money: a committed sale survives a power cut), a 5 s
//! busy timeout (several processes — the CLI, the sync daemon, the desktop
//! app — share it) and foreign keys on. The schema version is
//! `PRAGMA user_version`; [`MIGRATIONS`] are applied in order, each in its own
//! immediate transaction, so two processes opening a fresh file race safely.
//!
//! Tables:
//! - `meta(key, value)`: enrolment and sync settings ([`keys`]).
//! - `catalog`: one row per SKU, each field with the HLC of its winning write.
//! - `stock_counters(location, sku, actor, inc_total, dec_total)`: PN-counter
//!   entries, merged with `MAX()`.
//! - `ops(actor, seq, hlc, scope, kind, body)`: the till's own ops — the outbox.
//!   `body` is the whole [`Op`] encoded with rmp-serde.
//! - `sales`, `sale_lines`, `tenders`, `returns`, `return_lines`: records,
//!   local and received from the store's other tills. Since schema 2 a sale
//!   row keeps its member and each line the label of the price rule that set
//!   its price (local sales only; the label is not part of the synced record).
//! - `commands`: remote commands from HQ, one row per command id (idempotent),
//!   with when they were carried out and reported back ([`crate::commands`]).
//! - `staff`, `member_field`, `price_rule`: last-writer-wins records from the
//!   hub (and member sign-ups made here), each with the HLC of its winning write
//!   ([`crate::people`], [`crate::prices`]).
//! - Schema 3: `chat_message`, `chat_read`, `chat_ticket`, `chat_ack`,
//!   `chat_attachment`: HQ–store chat and notices ([`crate::chat`]).
//! - Schema 4: catalog search indexes ([`crate::catalog`]); `shifts`,
//!   `cash_movements` and `sales.shift_id` / `returns.shift_id`
//!   ([`crate::shift`]); `discount_approvals` ([`crate::quote`]);
//!   `elsewhere_stock` ([`crate::elsewhere`]). All local to the till, never synced.
//! - Schema 5: limited editions and coupons ([`crate::limited`]): the bounded counter's
//!   `escrow_minted`, `escrow_given`, `escrow_used` (`MAX()` merge), `limit_def` (LWW by HLC),
//!   `limit_hold` (max-register by status), `rights_request`, `recall_answered`,
//!   `coupon_redemption` and `escrow_till` (which store a till actor belongs to).
//! - Schema 6: replenishment and deliveries ([`crate::logistics`]): `repl_order`,
//!   `repl_approval`, `logi_status` (max-register per subject), `delivery`, `delivery_order`,
//!   `receiving` and `delivery_eta` (the hub's latest ETA per shipment, not an op).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sync_proto::{ActorId, Hlc, HlcClock, Op};

use crate::error::{Result, TillError};

/// File name of the till database inside the data directory.
pub const DB_FILE: &str = "till.db";

/// WAL size (pages of 4 KiB) at which a commit checkpoints by itself. Set
/// high so that sales almost never pay for a checkpoint: the
/// [`Checkpointer`] (run by the sync daemon) does it in the background, and
/// this cap only bounds the WAL (~40 MiB) when nothing else runs.
pub const WAL_AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// How often the [`Checkpointer`] folds the WAL back into the database.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

/// Keys of the `meta` table.
pub mod keys {
    /// This install's actor id (changes on re-enrolment).
    pub const ACTOR: &str = "actor";
    /// Store code.
    pub const STORE: &str = "store";
    /// Store display name.
    pub const STORE_NAME: &str = "store_name";
    /// Till number within the store.
    pub const TILL_NO: &str = "till_no";
    /// Hub base URL (`http://host:port`).
    pub const HUB_URL: &str = "hub_url";
    /// Device credential (bearer secret).
    pub const CREDENTIAL: &str = "credential";
    /// Store currency.
    pub const CURRENCY: &str = "currency";
    /// When the till enrolled (ms since epoch).
    pub const ENROLLED_AT_MS: &str = "enrolled_at_ms";
    /// Highest seq of the current actor the hub acknowledged.
    pub const ACKED_SEQ: &str = "acked_seq";
    /// Downstream log position committed locally.
    pub const CURSOR: &str = "cursor";
    /// Last successful exchange with the hub (ms since epoch).
    pub const LAST_SYNC_MS: &str = "last_sync_ms";
    /// Next receipt sequence number.
    pub const NEXT_RECEIPT_SEQ: &str = "next_receipt_seq";
    /// Last HLC issued or observed (`wall.counter`).
    pub const HLC_LAST: &str = "hlc_last";
    /// `1` when the hub refused the till as restored.
    pub const NEEDS_ENROLMENT: &str = "needs_enrolment";
    /// Last sync error, for status and the fleet view.
    pub const LAST_ERROR: &str = "last_error";
    /// Previous actor whose unacknowledged records must be carried over.
    pub const CARRY_OVER_FROM: &str = "carry_over_from";
    /// Seq of that actor after which records may be unknown to the hub.
    pub const CARRY_OVER_AFTER_SEQ: &str = "carry_over_after_seq";
    /// `1` while head office has locked the till (remote `Lock` command).
    pub const LOCKED: &str = "locked";
    /// Largest discount (percent of the gross) a cashier may give without a
    /// store manager's approval (default [`crate::quote::DEFAULT_DISCOUNT_LIMIT_PCT`]).
    pub const DISCOUNT_LIMIT_PCT: &str = "discount_limit_pct";
    /// How far this till's clock was ahead of the hub's at the last `Welcome` (ms, signed;
    /// absent = unknown): the time-deal clock guard (`crate::prices::clock_guard`).
    pub const HUB_CLOCK_OFFSET_MS: &str = "hub_clock_offset_ms";
}

/// The schema, one entry per version (`user_version` = index + 1).
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog (
    sku          TEXT PRIMARY KEY,
    name         TEXT,    name_hlc     TEXT,
    price        INTEGER, price_hlc    TEXT,
    barcode      TEXT,    barcode_hlc  TEXT,
    style        TEXT,    style_hlc    TEXT,
    colour       TEXT,    colour_hlc   TEXT,
    size         TEXT,    size_hlc     TEXT,
    category     TEXT,    category_hlc TEXT,
    active       INTEGER NOT NULL DEFAULT 1, active_hlc TEXT
);
CREATE INDEX catalog_barcode ON catalog(barcode) WHERE barcode IS NOT NULL;

CREATE TABLE stock_counters (
    location  TEXT NOT NULL,
    sku       TEXT NOT NULL,
    actor     TEXT NOT NULL,
    inc_total INTEGER NOT NULL,
    dec_total INTEGER NOT NULL,
    PRIMARY KEY (location, sku, actor)
) WITHOUT ROWID;

CREATE TABLE ops (
    actor      TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hlc        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (actor, seq)
) WITHOUT ROWID;

CREATE TABLE sales (
    id           TEXT PRIMARY KEY,
    receipt      TEXT NOT NULL,
    store        TEXT NOT NULL,
    till         TEXT NOT NULL,
    cashier      TEXT,
    total        INTEGER NOT NULL,
    change_given INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    sold_at_ms   INTEGER NOT NULL,
    local        INTEGER NOT NULL
);
-- Not UNIQUE: a record is keyed by its id (grow-only set); a till restored
-- from an old copy can reuse receipt numbers before it re-enrols, and no
-- replica may drop a record because of that.
CREATE INDEX sales_receipt ON sales(receipt);

CREATE TABLE sale_lines (
    sale_id    TEXT NOT NULL REFERENCES sales(id),
    line_no    INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty        INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    line_total INTEGER NOT NULL,
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

-- Tenders of sales and refunds of returns (record_id is the sale or return id).
CREATE TABLE tenders (
    record_id TEXT NOT NULL,
    idx       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    amount    INTEGER NOT NULL,
    PRIMARY KEY (record_id, idx)
) WITHOUT ROWID;

CREATE TABLE returns (
    id               TEXT PRIMARY KEY,
    receipt          TEXT NOT NULL,
    original_sale    TEXT NOT NULL,
    original_receipt TEXT NOT NULL,
    store            TEXT NOT NULL,
    till             TEXT NOT NULL,
    total_refund     INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    returned_at_ms   INTEGER NOT NULL,
    local            INTEGER NOT NULL
);
CREATE INDEX returns_original_sale ON returns(original_sale);
CREATE INDEX returns_receipt ON returns(receipt);

CREATE TABLE return_lines (
    return_id TEXT NOT NULL REFERENCES returns(id),
    line_no   INTEGER NOT NULL,
    sku       TEXT NOT NULL,
    qty       INTEGER NOT NULL,
    refund    INTEGER NOT NULL,
    PRIMARY KEY (return_id, line_no)
) WITHOUT ROWID;
"#,
    r#"
ALTER TABLE sales ADD COLUMN member TEXT;
CREATE INDEX sales_member ON sales(member) WHERE member IS NOT NULL;
ALTER TABLE sale_lines ADD COLUMN price_label TEXT;

-- Remote commands from HQ; `id` makes a re-delivered command a no-op.
CREATE TABLE commands (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,   -- lock | unlock | force_sync | show_message
    message     TEXT,            -- show_message only
    received_ms INTEGER NOT NULL,
    done_ms     INTEGER,         -- carried out
    reported_ms INTEGER,         -- acknowledged in a Status frame (NULL = still to send)
    read_ms     INTEGER          -- show_message: the cashier has read it
);
CREATE INDEX commands_to_report ON commands(received_ms)
    WHERE done_ms IS NOT NULL AND reported_ms IS NULL;

-- Store staff (LWW per id by HLC), from the hub's StaffSet ops.
CREATE TABLE staff (
    id           TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    store        TEXT NOT NULL,
    pin_hash     TEXT,
    active       INTEGER NOT NULL,
    hlc          TEXT NOT NULL
);

-- Member fields (LWW per (member, field) by HLC); value = the MemberField as JSON.
CREATE TABLE member_field (
    member TEXT NOT NULL,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL,
    hlc    TEXT NOT NULL,
    PRIMARY KEY (member, field)
) WITHOUT ROWID;

-- Scheduled prices and deals (LWW per rule id by HLC).
CREATE TABLE price_rule (
    id            TEXT PRIMARY KEY,
    sku           TEXT NOT NULL,
    price         INTEGER NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_to_ms   INTEGER,
    label         TEXT NOT NULL,
    cancelled     INTEGER NOT NULL,
    hlc           TEXT NOT NULL
);
CREATE INDEX price_rule_sku ON price_rule(sku);
"#,
    r#"
-- Schema 3: HQ–store chat and notices (crate::chat). Messages are a grow-only set by id;
-- `hlc` is the text HLC of the op that carried the message (its place in the order).
CREATE TABLE chat_message (
    id            TEXT PRIMARY KEY,
    channel       TEXT NOT NULL,   -- store:<code> | notices:<code>
    hlc           TEXT NOT NULL,   -- db::hlc_to_text of the op's HLC
    op_actor      TEXT NOT NULL,   -- the replica that wrote the op
    side          TEXT NOT NULL,   -- store | hq
    username      TEXT,
    display_name  TEXT NOT NULL,
    text          TEXT NOT NULL,
    kind          TEXT NOT NULL,   -- chat | ticket | announcement
    category      TEXT,            -- ticket category
    announcement  TEXT,            -- announcement id
    title         TEXT,
    requires_ack  INTEGER NOT NULL DEFAULT 0,
    attachments   TEXT NOT NULL DEFAULT '[]',  -- JSON [AttachmentRef]
    written_at_ms INTEGER NOT NULL,
    local         INTEGER NOT NULL,            -- written at this till
    body          BLOB NOT NULL    -- rmp encoding of the message (tie-break of faulty copies)
);
CREATE INDEX chat_message_order ON chat_message(channel, hlc, id);
CREATE INDEX chat_message_announcement ON chat_message(announcement)
    WHERE announcement IS NOT NULL;

-- Read positions, a max-register per (reader, channel). reader = till:<actor> | user:<name>.
CREATE TABLE chat_read (
    reader  TEXT NOT NULL,
    channel TEXT NOT NULL,
    up_to   TEXT NOT NULL,         -- db::hlc_to_text
    PRIMARY KEY (reader, channel)
) WITHOUT ROWID;

-- Ticket statuses, a max-register per ticket (rank 0 open, 1 in_progress, 2 resolved).
CREATE TABLE chat_ticket (
    id         TEXT PRIMARY KEY,   -- the message that raised it
    channel    TEXT NOT NULL,
    rank       INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    hlc        TEXT NOT NULL
);

-- Acknowledgements, one per (announcement, store): the earliest (at_ms, by) wins.
CREATE TABLE chat_ack (
    announcement TEXT NOT NULL,
    store        TEXT NOT NULL,
    by           TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (announcement, store)
) WITHOUT ROWID;

-- Attachment files this till holds under <data-dir>/attachments/<sha[0..2]>/<sha>.
-- state: pending (written here, to upload), uploaded, cached (downloaded), refused (by the hub).
CREATE TABLE chat_attachment (
    sha256      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    uploaded_ms INTEGER,
    error       TEXT
);
CREATE INDEX chat_attachment_pending ON chat_attachment(created_ms) WHERE state = 'pending';
"#,
    r#"
-- Schema 4 (POS desktop app). Everything here is local to the till and never synced:
-- shifts, cash movements and discount approvals are the till drawer's own book-keeping
-- (the synced sale record already carries every line discount), and the other stores'
-- stock is only a cache of what the hub said.

-- Catalog search (crate::catalog): SKU prefix (case-insensitive), variants by style,
-- categories of sellable products.
CREATE INDEX catalog_sku_nocase ON catalog(sku COLLATE NOCASE);
CREATE INDEX catalog_style ON catalog(style) WHERE style IS NOT NULL;
CREATE INDEX catalog_category ON catalog(category, sku) WHERE active = 1;

-- Name/style substring search: a trigram full-text index (case-insensitive), one row per
-- catalog row with the same rowid, kept up to date by triggers. (catalog has no INTEGER
-- PRIMARY KEY, so a VACUUM could renumber its rowids: the till never runs VACUUM; if it
-- ever must, rebuild catalog_fts from catalog right after.)
CREATE VIRTUAL TABLE catalog_fts USING fts5(sku UNINDEXED, body, tokenize = 'trigram');
INSERT INTO catalog_fts(rowid, sku, body)
    SELECT rowid, sku, COALESCE(name, '') || ' ' || COALESCE(style, '') FROM catalog;
CREATE TRIGGER catalog_fts_insert AFTER INSERT ON catalog BEGIN
    INSERT INTO catalog_fts(rowid, sku, body)
    VALUES (new.rowid, new.sku, COALESCE(new.name, '') || ' ' || COALESCE(new.style, ''));
END;
CREATE TRIGGER catalog_fts_update AFTER UPDATE OF name, style ON catalog BEGIN
    UPDATE catalog_fts SET body = COALESCE(new.name, '') || ' ' || COALESCE(new.style, '')
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER catalog_fts_delete AFTER DELETE ON catalog BEGIN
    DELETE FROM catalog_fts WHERE rowid = old.rowid;
END;

-- Cash drawer shifts (crate::shift). At most one open shift (closed_at_ms IS NULL).
CREATE TABLE shifts (
    id           TEXT PRIMARY KEY,
    opened_at_ms INTEGER NOT NULL,
    opened_by    TEXT NOT NULL,
    float        INTEGER NOT NULL,
    closed_at_ms INTEGER,
    closed_by    TEXT,
    counted_cash INTEGER
);
CREATE UNIQUE INDEX shifts_one_open ON shifts((closed_at_ms IS NULL)) WHERE closed_at_ms IS NULL;
CREATE INDEX shifts_opened ON shifts(opened_at_ms);

CREATE TABLE cash_movements (
    id       TEXT PRIMARY KEY,
    shift_id TEXT NOT NULL REFERENCES shifts(id),
    at_ms    INTEGER NOT NULL,
    kind     TEXT NOT NULL,   -- in | out
    amount   INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    by_user  TEXT NOT NULL
);
CREATE INDEX cash_movements_shift ON cash_movements(shift_id, at_ms);

-- The shift a local sale or return was made in (NULL: no shift open, or received by sync).
ALTER TABLE sales ADD COLUMN shift_id TEXT;
CREATE INDEX sales_shift ON sales(shift_id) WHERE shift_id IS NOT NULL;
ALTER TABLE returns ADD COLUMN shift_id TEXT;
CREATE INDEX returns_shift ON returns(shift_id) WHERE shift_id IS NOT NULL;

-- Discounts over the till's limit and the store manager who approved them (crate::quote).
CREATE TABLE discount_approvals (
    sale_id   TEXT PRIMARY KEY REFERENCES sales(id),
    receipt   TEXT NOT NULL,
    approver  TEXT NOT NULL,
    cashier   TEXT,
    discount  INTEGER NOT NULL,
    gross     INTEGER NOT NULL,
    limit_pct INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL
);

-- Other stores' stock as last fetched from the hub (crate::elsewhere).
CREATE TABLE elsewhere_stock (
    sku           TEXT NOT NULL,
    store         TEXT NOT NULL,
    name          TEXT NOT NULL,
    qty           INTEGER NOT NULL,
    as_of_ms      INTEGER NOT NULL,
    fetched_at_ms INTEGER NOT NULL,
    PRIMARY KEY (sku, store)
) WITHOUT ROWID;
"#,
    r#"
-- Schema 5: limited editions and first-come coupons (crate::limited, issue 7).
-- The bounded counter per limit key: grow-only totals per entry, merged with MAX().
CREATE TABLE escrow_minted (
    key   TEXT NOT NULL,
    actor TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (key, actor)
) WITHOUT ROWID;
CREATE TABLE escrow_given (
    key        TEXT NOT NULL,
    from_actor TEXT NOT NULL,
    to_actor   TEXT NOT NULL,
    total      INTEGER NOT NULL,
    PRIMARY KEY (key, from_actor, to_actor)
) WITHOUT ROWID;
CREATE TABLE escrow_used (
    key   TEXT NOT NULL,
    actor TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (key, actor)
) WITHOUT ROWID;

-- HQ's definitions (last writer by HLC wins per key); `def_actor` = the hub that wrote it.
CREATE TABLE limit_def (
    key          TEXT PRIMARY KEY,
    sku          TEXT,             -- sku:<SKU> keys
    coupon_code  TEXT,             -- coupon:<uuid> keys (upper case)
    label        TEXT NOT NULL,
    total        INTEGER NOT NULL,
    rule         TEXT NOT NULL,
    hold_minutes INTEGER NOT NULL,
    starts_at_ms INTEGER,
    ends_at_ms   INTEGER,
    coupon       TEXT,             -- CouponTerms as JSON
    active       INTEGER NOT NULL,
    def_actor    TEXT NOT NULL,
    hlc          TEXT NOT NULL
);
CREATE INDEX limit_def_sku ON limit_def(sku) WHERE sku IS NOT NULL;
CREATE INDEX limit_def_code ON limit_def(coupon_code) WHERE coupon_code IS NOT NULL;

-- Holds (max-register per id over the status rank: 0 held, 1 released, 2 sold).
CREATE TABLE limit_hold (
    id            TEXT PRIMARY KEY,
    key           TEXT NOT NULL,
    till          TEXT NOT NULL,
    store         TEXT NOT NULL,
    qty           INTEGER NOT NULL,
    placed_at_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    note          TEXT NOT NULL,
    rank          INTEGER NOT NULL,
    sale          TEXT
);
CREATE INDEX limit_hold_till ON limit_hold(till, key, rank);

-- Rights requests of this store's tills; `answered` once a transfer referencing it arrived.
CREATE TABLE rights_request (
    id       TEXT PRIMARY KEY,
    key      TEXT NOT NULL,
    till     TEXT NOT NULL,
    store    TEXT NOT NULL,
    qty      INTEGER NOT NULL,
    at_ms    INTEGER NOT NULL,   -- written (own) or received (others), till clock
    answered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rights_request_till ON rights_request(till, key, answered);

-- Recalls addressed to this till that it has answered (once per recall id).
CREATE TABLE recall_answered (
    id    TEXT PRIMARY KEY,
    key   TEXT NOT NULL,
    given INTEGER NOT NULL,      -- rights transferred back (0 = nothing to spare)
    at_ms INTEGER NOT NULL
);

-- Coupon redemptions (grow-only by id), chain-wide.
CREATE TABLE coupon_redemption (
    id       TEXT PRIMARY KEY,
    campaign TEXT NOT NULL,
    member   TEXT NOT NULL,
    sale     TEXT NOT NULL,
    till     TEXT NOT NULL,
    store    TEXT NOT NULL,
    discount INTEGER NOT NULL,
    at_ms    INTEGER NOT NULL
);
CREATE INDEX coupon_redemption_member ON coupon_redemption(campaign, member);

-- Which store a till actor belongs to, as learned from its records (for "left in this store").
CREATE TABLE escrow_till (
    actor TEXT PRIMARY KEY,
    store TEXT NOT NULL
) WITHOUT ROWID;
"#,
    r#"
-- Schema 6: replenishment and deliveries (crate::logistics, issue 5).
-- Orders (grow-only by id; of two copies the lower HLC wins). Lines as JSON [{sku, qty}].
CREATE TABLE repl_order (
    id        TEXT PRIMARY KEY,
    store     TEXT NOT NULL,
    origin    TEXT NOT NULL,          -- store | hq_proposal
    placed_by TEXT NOT NULL,
    placed_ms INTEGER NOT NULL,
    note      TEXT,
    lines     TEXT NOT NULL,
    hlc       TEXT NOT NULL
);
CREATE INDEX repl_order_placed ON repl_order(store, placed_ms);

-- HQ's approved quantities per order (the approving update with the highest HLC).
CREATE TABLE repl_approval (
    order_id TEXT PRIMARY KEY,
    lines    TEXT NOT NULL,
    hlc      TEXT NOT NULL
);

-- Status max-register per subject (`order:<id>`, `stop:<shipment>:<store>`), the winner by
-- sync_proto::logistics::status_wins; `arrived_ms` = the earliest arrival seen (kept when a
-- later state wins).
CREATE TABLE logi_status (
    subject    TEXT PRIMARY KEY,
    store      TEXT NOT NULL,
    status     TEXT NOT NULL,
    rank       INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    by         TEXT NOT NULL,
    note       TEXT,
    hlc        TEXT NOT NULL,
    arrived_ms INTEGER
);

-- What a truck brings to this store (last writer by HLC per (shipment, store)).
CREATE TABLE delivery (
    shipment      TEXT NOT NULL,
    store         TEXT NOT NULL,
    orders        TEXT NOT NULL,      -- JSON [uuid]
    lines         TEXT NOT NULL,      -- JSON [{sku, qty}]
    from_loc      TEXT NOT NULL,
    driver_name   TEXT NOT NULL,
    vehicle       TEXT NOT NULL,
    stop_no       INTEGER NOT NULL,
    stops_total   INTEGER NOT NULL,
    dispatched_ms INTEGER NOT NULL,
    hlc           TEXT NOT NULL,
    PRIMARY KEY (shipment, store)
);
-- Which shipment carries an order (from the winning delivery's orders).
CREATE TABLE delivery_order (
    order_id TEXT NOT NULL,
    shipment TEXT NOT NULL,
    store    TEXT NOT NULL,
    PRIMARY KEY (order_id, shipment)
) WITHOUT ROWID;

-- Receiving records of this store's tills (grow-only by id; lower HLC wins).
CREATE TABLE receiving (
    id          TEXT PRIMARY KEY,
    shipment    TEXT NOT NULL,
    store       TEXT NOT NULL,
    lines       TEXT NOT NULL,        -- JSON [ReceivedLine]
    received_by TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    note        TEXT,
    hlc         TEXT NOT NULL
);
CREATE INDEX receiving_stop ON receiving(shipment, store);

-- The hub's latest ETA per shipment (Frame::DeliveryEta; not an op). Hub clock, except
-- `stored_ms` (this till's clock when it arrived).
CREATE TABLE delivery_eta (
    shipment     TEXT PRIMARY KEY,
    store        TEXT NOT NULL,
    eta_ms       INTEGER,
    distance_m   INTEGER,
    stops_before INTEGER NOT NULL,
    arrived_ms   INTEGER,
    driver_name  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    stored_ms    INTEGER NOT NULL
);
"#,
];

/// Open (creating if needed) the till database in `data_dir` and bring its
/// schema up to date.
pub fn open(data_dir: &Path) -> Result<Connection> {
    std::fs::create_dir_all(data_dir)?;
    open_file(&data_dir.join(DB_FILE))
}

/// Open a database file with the till's pragmas and migrations.
pub fn open_file(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "database is not in WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Copy committed WAL pages into the database without blocking readers or
/// writers (`PRAGMA wal_checkpoint(PASSIVE)`).
pub fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// A background thread with its own connection that checkpoints the WAL
/// every [`CHECKPOINT_INTERVAL`], so that sale commits do not. Stops when
/// dropped.
pub struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Start checkpointing the till database in `data_dir`.
    pub fn start(data_dir: &Path) -> Result<Checkpointer> {
        let conn = open(data_dir)?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                let tick = Duration::from_millis(100);
                let mut waited = Duration::ZERO;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    waited += tick;
                    if waited >= CHECKPOINT_INTERVAL {
                        waited = Duration::ZERO;
                        if let Err(e) = checkpoint(&conn) {
                            tracing::debug!(error = %e, "background checkpoint skipped");
                        }
                    }
                }
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let target = MIGRATIONS.len() as i64;
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > target {
        return Err(TillError::Corrupt(format!(
            "database schema version {current} is newer than this software ({target}); update pos-agent"
        )));
    }
    if current == target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

/// Start a write transaction that takes the write lock at once (so it never
/// fails half-way on a lock upgrade; waits up to the busy timeout).
pub fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Read one `meta` value.
pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Write one `meta` value.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Delete one `meta` value.
pub fn delete_meta(conn: &Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

/// Read a numeric `meta` value (0 when absent).
pub fn get_meta_u64(conn: &Connection, key: &str) -> Result<u64> {
    match get_meta(conn, key)? {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| TillError::Corrupt(format!("setting {key} = {v:?} is not a number"))),
    }
}

/// What enrolment stored: who this till is and where its hub is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Enrolment {
    /// Current actor id.
    pub actor: ActorId,
    /// Store code.
    pub store: sync_proto::StoreId,
    /// Store display name.
    pub store_name: String,
    /// Till number within the store.
    pub till_no: u32,
    /// Hub base URL.
    pub hub_url: String,
    /// Store currency.
    pub currency: String,
    /// Device credential.
    #[serde(skip)]
    pub credential: String,
}

/// Read the enrolment, or `None` if the till was never enrolled.
pub fn enrolment(conn: &Connection) -> Result<Option<Enrolment>> {
    let Some(actor) = get_meta(conn, keys::ACTOR)? else {
        return Ok(None);
    };
    let corrupt =
        |what: &str| TillError::Corrupt(format!("enrolment setting {what} is missing or invalid"));
    let actor: ActorId = actor.parse().map_err(|_| corrupt("actor"))?;
    let store = get_meta(conn, keys::STORE)?
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt("store"))?;
    let till_no = get_meta(conn, keys::TILL_NO)?
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt("till_no"))?;
    Ok(Some(Enrolment {
        actor,
        store,
        store_name: get_meta(conn, keys::STORE_NAME)?.unwrap_or_default(),
        till_no,
        hub_url: get_meta(conn, keys::HUB_URL)?.unwrap_or_default(),
        currency: get_meta(conn, keys::CURRENCY)?.unwrap_or_else(|| "KRW".to_owned()),
        credential: get_meta(conn, keys::CREDENTIAL)?.unwrap_or_default(),
    }))
}

/// Read the enrolment, failing with [`TillError::NotEnrolled`] if absent.
pub fn require_enrolment(conn: &Connection) -> Result<Enrolment> {
    enrolment(conn)?.ok_or(TillError::NotEnrolled)
}

/// The text form of an HLC stored in SQLite: fixed-width, so that comparing
/// the text (`<` in SQL) orders like [`Hlc`] itself.
pub fn hlc_to_text(h: &Hlc) -> String {
    format!("{:020}.{:010}.{}", h.wall_ms, h.counter, h.actor)
}

/// Parse [`hlc_to_text`]'s form.
pub fn hlc_from_text(s: &str) -> Option<Hlc> {
    let mut parts = s.splitn(3, '.');
    let wall_ms = parts.next()?.parse().ok()?;
    let counter = parts.next()?.parse().ok()?;
    let actor = parts.next()?.parse().ok()?;
    Some(Hlc {
        wall_ms,
        counter,
        actor,
    })
}

/// Load this till's clock (for `actor`) from the persisted last timestamp.
pub fn load_clock(conn: &Connection, actor: ActorId) -> Result<HlcClock> {
    let last = get_meta(conn, keys::HLC_LAST)?.and_then(|s| {
        let (w, c) = s.split_once('.')?;
        Some(Hlc {
            wall_ms: w.parse().ok()?,
            counter: c.parse().ok()?,
            actor,
        })
    });
    Ok(HlcClock::resume(actor, last))
}

/// Persist the clock's last timestamp (in the caller's transaction).
pub fn save_clock(conn: &Connection, clock: &HlcClock) -> Result<()> {
    let last = clock.last();
    set_meta(
        conn,
        keys::HLC_LAST,
        &format!("{}.{}", last.wall_ms, last.counter),
    )
}

/// Encode an op for the outbox.
pub fn encode_op(op: &Op) -> Result<Vec<u8>> {
    rmp_serde::to_vec_named(op).map_err(|e| TillError::Internal(format!("cannot encode op: {e}")))
}

/// Decode an op from the outbox.
pub fn decode_op(bytes: &[u8]) -> Result<Op> {
    rmp_serde::from_slice(bytes).map_err(|e| TillError::Corrupt(format!("outbox op: {e}")))
}

/// Append one op to the outbox (in the caller's transaction).
pub fn insert_op(conn: &Connection, op: &Op, now_ms: u64) -> Result<()> {
    let body = encode_op(op)?;
    conn.prepare_cached(
        "INSERT INTO ops(actor, seq, hlc, scope, kind, body, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        op.actor.to_string(),
        op.seq as i64,
        hlc_to_text(&op.hlc),
        op.scope.to_string(),
        op.body.kind(),
        body,
        now_ms as i64
    ])?;
    Ok(())
}

/// Highest seq of `actor` in the outbox (0 when none).
pub fn last_seq(conn: &Connection, actor: ActorId) -> Result<u64> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT MAX(seq) FROM ops WHERE actor = ?1")?
        .query_row([actor.to_string()], |r| r.get(0))?;
    Ok(v.unwrap_or(0) as u64)
}

/// Ops of `actor` with `from <= seq <= to`, in order, at most `max_ops` and
/// about `max_bytes` of encoded bodies (always at least one op).
pub fn load_ops(
    conn: &Connection,
    actor: ActorId,
    from: u64,
    to: u64,
    max_ops: usize,
    max_bytes: usize,
) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM ops WHERE actor = ?1 AND seq >= ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4",
    )?;
    let mut rows = stmt.query(params![
        actor.to_string(),
        from as i64,
        to.min(i64::MAX as u64) as i64,
        max_ops as i64
    ])?;
    let mut ops = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.next()? {
        let body: Vec<u8> = row.get(0)?;
        bytes += body.len();
        if !ops.is_empty() && bytes > max_bytes {
            break;
        }
        ops.push(decode_op(&body)?);
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_text_orders_like_hlc() {
        let a = ActorId(uuid::Uuid::from_bytes([1; 16]));
        let b = ActorId(uuid::Uuid::from_bytes([0xfe; 16]));
        let hs = [
            Hlc {
                wall_ms: 5,
                counter: 9,
                actor: b,
            },
            Hlc {
                wall_ms: 10,
                counter: 0,
                actor: a,
            },
            Hlc {
                wall_ms: 10,
                counter: 0,
                actor: b,
            },
            Hlc {
                wall_ms: 10,
                counter: 2,
                actor: a,
            },
            Hlc {
                wall_ms: 1_700_000_000_000,
                counter: 0,
                actor: a,
            },
        ];
        for w in hs.windows(2) {
            assert!(w[0] < w[1]);
            assert!(hlc_to_text(&w[0]) < hlc_to_text(&w[1]));
        }
        for h in hs {
            assert_eq!(hlc_from_text(&hlc_to_text(&h)), Some(h));
        }
    }

    #[test]
    fn migrations_are_idempotent_and_pragmas_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(open(dir.path()).expect("first open"));
        let conn = open(dir.path()).expect("second open");
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("sync");
        assert_eq!(sync, 2, "synchronous=FULL");
    }
}
