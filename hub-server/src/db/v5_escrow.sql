-- Schema version 5: limited editions and first-come coupons (issue 7, bounded counter).
--
-- Projections of escrow ops (crate::drops), written by the writer thread in the same
-- transaction as the op log. `cursor` is the log position of the op that set a row's current
-- value, so a new till's snapshot can carry the winning ops (never the history).
--
-- Keys are `LimitKey` strings (`sku:<SKU>`, `coupon:<uuid>`); actors are 16-byte UUIDs.

-- Counter entries: grow-only running totals, merged with MAX (like stock_counter).
CREATE TABLE escrow_minted (
    key    TEXT NOT NULL,
    actor  BLOB NOT NULL,
    total  INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    PRIMARY KEY (key, actor)
) WITHOUT ROWID;

CREATE TABLE escrow_given (
    key        TEXT NOT NULL,
    from_actor BLOB NOT NULL,
    to_actor   BLOB NOT NULL,
    total      INTEGER NOT NULL,
    cursor     INTEGER NOT NULL,
    PRIMARY KEY (key, from_actor, to_actor)
) WITHOUT ROWID;
CREATE INDEX escrow_given_to ON escrow_given (key, to_actor);

CREATE TABLE escrow_used (
    key    TEXT NOT NULL,
    actor  BLOB NOT NULL,
    total  INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    PRIMARY KEY (key, actor)
) WITHOUT ROWID;

-- Every transfer the hub made to a till, with its log position: what a till has not
-- cursor-acknowledged yet is "in flight" (DropStore.in_flight).
CREATE TABLE escrow_hub_transfer (
    cursor INTEGER PRIMARY KEY,
    key    TEXT NOT NULL,
    till   BLOB NOT NULL,
    qty    INTEGER NOT NULL
);
CREATE INDEX escrow_hub_transfer_key ON escrow_hub_transfer (key, till);

-- HQ's definitions: last writer by HLC wins per key.
CREATE TABLE limit_def (
    key           TEXT PRIMARY KEY,
    label         TEXT NOT NULL,
    sku           TEXT,
    coupon_code   TEXT,
    total         INTEGER NOT NULL,
    rule          TEXT NOT NULL,
    hold_minutes  INTEGER NOT NULL,
    starts_at_ms  INTEGER,
    ends_at_ms    INTEGER,
    active        INTEGER NOT NULL,
    hlc_wall      INTEGER NOT NULL,
    hlc_counter   INTEGER NOT NULL,
    hlc_actor     BLOB NOT NULL,
    cursor        INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX limit_def_code ON limit_def (coupon_code) WHERE coupon_code IS NOT NULL;
CREATE INDEX limit_def_sku ON limit_def (sku) WHERE sku IS NOT NULL;

-- The per-store plan of a drop (what HQ's rule gave each store).
CREATE TABLE drop_allocation (
    key    TEXT NOT NULL,
    store  TEXT NOT NULL,
    target INTEGER NOT NULL,
    PRIMARY KEY (key, store)
) WITHOUT ROWID;

-- Tills asking for rights. status: 0 open, 1 served (served_qty), 2 closed unserved
-- (superseded by a newer request of the same till, or the drop ended). recalled: the
-- rebalancer already recalled rights for it (once they are back, what the pool has is served).
CREATE TABLE rights_request (
    id             BLOB PRIMARY KEY,
    key            TEXT NOT NULL,
    till           BLOB NOT NULL,
    store          TEXT NOT NULL,
    qty            INTEGER NOT NULL,
    cursor         INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    status         INTEGER NOT NULL DEFAULT 0,
    served_qty     INTEGER NOT NULL DEFAULT 0,
    recalled       INTEGER NOT NULL DEFAULT 0,
    answered_at_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX rights_request_open ON rights_request (status, key, cursor);

-- The hub asking tills for rights back. Done when a transfer referencing it arrives
-- (returned = its qty) or when the till's acknowledged cursor passed `cursor`.
CREATE TABLE rights_recall (
    id           BLOB PRIMARY KEY,
    key          TEXT NOT NULL,
    till         BLOB NOT NULL,
    store        TEXT NOT NULL,
    qty          INTEGER,
    reason       TEXT NOT NULL,
    cursor       INTEGER NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    done_at_ms   INTEGER,
    returned     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX rights_recall_open ON rights_recall (done_at_ms, key, till);

-- Holds: a max-register per id over status rank held (0) < released (1) < sold (2).
CREATE TABLE limit_hold (
    id            BLOB PRIMARY KEY,
    key           TEXT NOT NULL,
    till          BLOB NOT NULL,
    store         TEXT NOT NULL,
    qty           INTEGER NOT NULL,
    placed_at_ms  INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    sale          BLOB,
    cursor        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX limit_hold_key ON limit_hold (key, status, till);

-- Coupon redemptions: grow-only by id (the first copy wins).
CREATE TABLE coupon_redemption (
    id       BLOB PRIMARY KEY,
    campaign BLOB NOT NULL,
    member   BLOB NOT NULL,
    sale     BLOB NOT NULL,
    till     BLOB NOT NULL,
    store    TEXT NOT NULL,
    discount INTEGER NOT NULL,
    at_ms    INTEGER NOT NULL,
    cursor   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX coupon_redemption_campaign ON coupon_redemption (campaign, member);
