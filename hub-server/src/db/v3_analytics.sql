-- Schema version 3: materialised reports (sales by hour/SKU/cashier), stock movements,
-- members and scheduled price rules.
--
-- Every table here is written by the writer thread while it applies ops (crate::reports), in
-- the same transaction as the op log, so reads never scan the log. Sales aggregates are folded
-- per writer job and written with one UPSERT per row.
--
-- "day" columns are local business days: floor((ms + offset) / 86400000) with the offset in
-- meta 'report_utc_offset_min' (set once here; the rows are only meaningful with it).
-- "hour" columns are UTC hours: floor(ms / 3600000).

INSERT INTO meta (key, value) VALUES ('report_utc_offset_min', '540')
    ON CONFLICT (key) DO NOTHING;

-- Who sold and to whom, on the sales row (filters of GET /sales).
ALTER TABLE sales ADD COLUMN cashier TEXT;
ALTER TABLE sales ADD COLUMN member BLOB;
CREATE INDEX sales_time ON sales (sold_at_ms);
CREATE INDEX sales_member ON sales (member, sold_at_ms) WHERE member IS NOT NULL;
CREATE INDEX returns_time ON returns (returned_at_ms);

-- Current product per SKU, flattened from catalog_field (the winning values).
CREATE TABLE product (
    sku      TEXT PRIMARY KEY,
    name     TEXT,
    price    INTEGER,
    barcode  TEXT,
    style    TEXT,
    colour   TEXT,
    size     TEXT,
    category TEXT,
    active   INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX product_style ON product (style, sku);
CREATE INDEX product_category ON product (category, sku);
INSERT INTO product (sku, name, price, barcode, style, colour, size, category, active)
SELECT sku,
       MAX(CASE WHEN field = 'name' THEN json_extract(value, '$.name') END),
       MAX(CASE WHEN field = 'price' THEN json_extract(value, '$.price') END),
       MAX(CASE WHEN field = 'barcode' THEN json_extract(value, '$.barcode') END),
       MAX(CASE WHEN field = 'style' THEN json_extract(value, '$.style') END),
       MAX(CASE WHEN field = 'colour' THEN json_extract(value, '$.colour') END),
       MAX(CASE WHEN field = 'size' THEN json_extract(value, '$.size') END),
       MAX(CASE WHEN field = 'category' THEN json_extract(value, '$.category') END),
       COALESCE(MAX(CASE WHEN field = 'active' THEN json_extract(value, '$.active') END), 1)
FROM catalog_field GROUP BY sku;

-- Sales and returns per store per UTC hour (amounts in minor units; net = gross - refunds).
CREATE TABLE sales_hour (
    hour    INTEGER NOT NULL,
    store   TEXT NOT NULL,
    sales   INTEGER NOT NULL,
    returns INTEGER NOT NULL,
    items   INTEGER NOT NULL,
    gross   INTEGER NOT NULL,
    refunds INTEGER NOT NULL,
    PRIMARY KEY (hour, store)
) WITHOUT ROWID;

-- Quantity and revenue per local day, store and SKU; returns netted on the day they happen.
CREATE TABLE sales_day_sku (
    day          INTEGER NOT NULL,
    store        TEXT NOT NULL,
    sku          TEXT NOT NULL,
    qty          INTEGER NOT NULL,
    revenue      INTEGER NOT NULL,
    returned_qty INTEGER NOT NULL,
    refunds      INTEGER NOT NULL,
    PRIMARY KEY (day, store, sku)
) WITHOUT ROWID;

-- The same, summed over the chain (top products without reading every store's rows).
CREATE TABLE sales_day_sku_chain (
    day          INTEGER NOT NULL,
    sku          TEXT NOT NULL,
    qty          INTEGER NOT NULL,
    revenue      INTEGER NOT NULL,
    returned_qty INTEGER NOT NULL,
    refunds      INTEGER NOT NULL,
    PRIMARY KEY (day, sku)
) WITHOUT ROWID;

-- Sales per local day, store and cashier ('' = no cashier logged in). Returns carry no
-- cashier in the protocol, so this is what each cashier sold.
CREATE TABLE sales_day_cashier (
    day     INTEGER NOT NULL,
    store   TEXT NOT NULL,
    cashier TEXT NOT NULL,
    sales   INTEGER NOT NULL,
    items   INTEGER NOT NULL,
    revenue INTEGER NOT NULL,
    PRIMARY KEY (day, store, cashier)
) WITHOUT ROWID;

-- History of stock movements (read by hub_server::stock_history).
CREATE TABLE sku_numbers (
    no  INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE
);
-- One 3-integer entry per stock move, pointing at its op in the log (which holds the delta,
-- reason, reference and actor): history reads decode those ops. location_no is the scope
-- number of `store:<location>`; a location's whole history reads the log by scope instead.
CREATE TABLE stock_move_index (
    location_no INTEGER NOT NULL,
    sku_no      INTEGER NOT NULL,
    cursor      INTEGER NOT NULL,
    PRIMARY KEY (location_no, sku_no, cursor)
) WITHOUT ROWID;
-- Which HQ user made the hub's own stock moves (the hub's ops share one actor).
CREATE TABLE stock_move_hq_user (
    cursor  INTEGER PRIMARY KEY,
    hq_user TEXT NOT NULL
);

-- Members: one LWW register per (member, field) with the winning op's HLC and log cursor
-- (the snapshot sends that op to new tills) ...
CREATE TABLE member_field (
    member      BLOB NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    hlc_actor   BLOB NOT NULL,
    cursor      INTEGER NOT NULL,
    PRIMARY KEY (member, field)
) WITHOUT ROWID;

-- ... and the winning values flattened for queries.
CREATE TABLE members (
    member            BLOB PRIMARY KEY,
    phone             TEXT,
    name              TEXT,
    birth_year        INTEGER,
    home_store        TEXT,
    signed_up_at_ms   INTEGER,
    marketing_consent INTEGER
) WITHOUT ROWID;
CREATE INDEX members_phone ON members (phone);
CREATE INDEX members_signup ON members (signed_up_at_ms);
CREATE INDEX members_store ON members (home_store, signed_up_at_ms);

-- Purchases per member (all time) ...
CREATE TABLE member_stats (
    member         BLOB PRIMARY KEY,
    purchases      INTEGER NOT NULL,
    spent          INTEGER NOT NULL,
    first_at_ms    INTEGER NOT NULL,
    last_at_ms     INTEGER NOT NULL
) WITHOUT ROWID;

-- ... per local day and store (repeat rate) ...
CREATE TABLE member_day (
    day       INTEGER NOT NULL,
    store     TEXT NOT NULL,
    member    BLOB NOT NULL,
    purchases INTEGER NOT NULL,
    spent     INTEGER NOT NULL,
    PRIMARY KEY (day, store, member)
) WITHOUT ROWID;

-- ... and per local day, store, member and SKU (age band x category).
CREATE TABLE member_day_sku (
    day     INTEGER NOT NULL,
    store   TEXT NOT NULL,
    member  BLOB NOT NULL,
    sku     TEXT NOT NULL,
    qty     INTEGER NOT NULL,
    revenue INTEGER NOT NULL,
    PRIMARY KEY (day, store, member, sku)
) WITHOUT ROWID;

-- Scheduled prices: one LWW register per rule id, with the winning op's HLC and cursor.
CREATE TABLE price_rule (
    id            BLOB PRIMARY KEY,
    sku           TEXT NOT NULL,
    price         INTEGER NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_to_ms   INTEGER,
    label         TEXT NOT NULL,
    cancelled     INTEGER NOT NULL,
    hlc_wall      INTEGER NOT NULL,
    hlc_counter   INTEGER NOT NULL,
    hlc_actor     BLOB NOT NULL,
    cursor        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX price_rule_sku ON price_rule (sku, valid_from_ms);
