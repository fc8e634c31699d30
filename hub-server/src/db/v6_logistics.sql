-- Schema version 6: replenishment, deliveries and driver GPS (issue 5).
--
-- Projections of logistics ops (crate::logistics), written by the writer thread in the same
-- transaction as the op log, and the hub's own shipment planning. `cursor` is the log position
-- of the op that set a row's current value, so a new till's snapshot can carry the winning ops.
-- Ids are 16-byte UUIDs; HLCs are (wall, counter, actor) like catalog_field.
--
-- GPS tracks are NOT here: they live in their own file `<data-dir>/tracks.db` (crate::gps).

-- Replenishment orders: grow-only by id; of two copies of one id the lower HLC wins.
CREATE TABLE repl_order (
    id          BLOB PRIMARY KEY,
    store       TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('store', 'hq_proposal')),
    placed_by   TEXT NOT NULL,
    placed_ms   INTEGER NOT NULL,
    note        TEXT,
    lines       TEXT NOT NULL,            -- JSON [{sku, qty}]
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    hlc_actor   BLOB NOT NULL,
    cursor      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX repl_order_store ON repl_order (store, placed_ms);
CREATE INDEX repl_order_placed ON repl_order (placed_ms);

-- The status max-register per subject (sync_proto::logistics::status_wins): kind 'order'
-- (ref = order id, store = the order's store) or 'stop' (ref = shipment id, store = the stop).
CREATE TABLE logi_status (
    kind        TEXT NOT NULL CHECK (kind IN ('order', 'stop')),
    ref         BLOB NOT NULL,
    store       TEXT NOT NULL,
    status      TEXT NOT NULL,
    rank        INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    by          TEXT NOT NULL,
    note        TEXT,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    hlc_actor   BLOB NOT NULL,
    cursor      INTEGER NOT NULL,
    -- The first arrival (earliest at_ms, then lower by): kept when a later state wins.
    arrived_ms  INTEGER,
    arrived_by  TEXT,
    PRIMARY KEY (kind, ref, store)
) WITHOUT ROWID;
CREATE INDEX logi_status_store ON logi_status (store, kind, rank);

-- Approved quantities per order: the `approved` update with the highest HLC.
CREATE TABLE order_approved (
    id          BLOB PRIMARY KEY,
    lines       TEXT NOT NULL,            -- JSON [{sku, qty}]
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    hlc_actor   BLOB NOT NULL,
    cursor      INTEGER NOT NULL
) WITHOUT ROWID;

-- What one truck brings to one store: last writer by HLC wins per (shipment, store).
CREATE TABLE delivery (
    shipment      BLOB NOT NULL,
    store         TEXT NOT NULL,
    orders        TEXT NOT NULL,          -- JSON [uuid]
    lines         TEXT NOT NULL,          -- JSON [{sku, qty}]
    from_location TEXT NOT NULL,
    driver_name   TEXT NOT NULL,
    vehicle       TEXT NOT NULL,
    stop_no       INTEGER NOT NULL,
    stops_total   INTEGER NOT NULL,
    dispatched_ms INTEGER NOT NULL,
    hlc_wall      INTEGER NOT NULL,
    hlc_counter   INTEGER NOT NULL,
    hlc_actor     BLOB NOT NULL,
    cursor        INTEGER NOT NULL,
    PRIMARY KEY (shipment, store)
) WITHOUT ROWID;
CREATE INDEX delivery_store ON delivery (store, dispatched_ms);

-- Receiving records: grow-only by id. A second receiving of one stop, or one without a
-- delivery to that store, is kept and flagged when read (crate::logistics).
CREATE TABLE receiving (
    id              BLOB PRIMARY KEY,
    shipment        BLOB NOT NULL,
    store           TEXT NOT NULL,
    received_by     TEXT NOT NULL,
    received_ms     INTEGER NOT NULL,
    note            TEXT,
    lines           TEXT NOT NULL,        -- JSON [{sku, expected, received, damaged}]
    has_discrepancy INTEGER NOT NULL,
    hlc_wall        INTEGER NOT NULL,
    hlc_counter     INTEGER NOT NULL,
    hlc_actor       BLOB NOT NULL,
    cursor          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX receiving_stop ON receiving (shipment, store, received_ms);
CREATE INDEX receiving_store ON receiving (store, received_ms);

-- HQ's shipment planning (hub only; what tills see of it are the Delivery and status ops).
CREATE TABLE shipment (
    id            BLOB PRIMARY KEY,
    created_ms    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    from_location TEXT NOT NULL,
    driver        TEXT,                   -- username of a driver account, set at dispatch
    vehicle       TEXT,
    dispatched_ms INTEGER,
    started_ms    INTEGER,                -- the driver tapped Start
    cancelled_ms  INTEGER
) WITHOUT ROWID;
CREATE INDEX shipment_created ON shipment (created_ms);
CREATE INDEX shipment_driver ON shipment (driver, dispatched_ms);

-- The stops of a shipment in route order.
CREATE TABLE shipment_stop (
    shipment BLOB NOT NULL,
    store    TEXT NOT NULL,
    stop_no  INTEGER NOT NULL,
    PRIMARY KEY (shipment, store)
) WITHOUT ROWID;
CREATE INDEX shipment_stop_store ON shipment_stop (store);

-- Which shipment carries an order: an order is on at most one live shipment (`active`); a
-- cancelled shipment lets go of its orders (kept with active = 0 as its history).
CREATE TABLE shipment_order (
    shipment BLOB NOT NULL,
    order_id BLOB NOT NULL,
    store    TEXT NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (shipment, order_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX shipment_order_active ON shipment_order (order_id) WHERE active = 1;

-- A store's geofence radius (its position is stores.lat / stores.lon).
ALTER TABLE stores ADD COLUMN geofence_m REAL;

-- OsmAnd/Traccar tracker devices of drivers: the key is shown once, stored as its SHA-256.
CREATE TABLE tracker_device (
    device_id  TEXT PRIMARY KEY,
    driver     TEXT NOT NULL,
    key_hash   BLOB NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tracker_device_driver ON tracker_device (driver);
