-- Schema version 2: HQ accounts and roles, audit log, remote till commands.

-- Accounts: every person (HQ, store managers, cashiers, drivers) is a user.
-- `password_hash` is '' for people without a console password (cashiers);
-- an empty hash never verifies. `staff_id` is the stable UUID of a store
-- person in `StaffSet` ops; `pin_hash` the argon2id hash of their till PIN.
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN store TEXT REFERENCES stores(code);
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE users ADD COLUMN staff_id BLOB;
ALTER TABLE users ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_staff_id ON users (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX users_store ON users (store, username);
CREATE INDEX sessions_user ON sessions (user_id);

-- Stores on a map (later issues).
ALTER TABLE stores ADD COLUMN region TEXT;
ALTER TABLE stores ADD COLUMN lat REAL;
ALTER TABLE stores ADD COLUMN lon REAL;

-- Fleet: what the till last reported.
ALTER TABLE devices ADD COLUMN protocol_version INTEGER;
ALTER TABLE devices ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

-- The winning StaffSet op per (store, staff id): what a new till's snapshot
-- carries. Only the hub writes StaffSet, so the newest HLC wins.
CREATE TABLE staff_op (
    store       TEXT NOT NULL,
    staff_id    BLOB NOT NULL,
    cursor      INTEGER NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    PRIMARY KEY (store, staff_id)
) WITHOUT ROWID;

-- Every admin action: who, what, when.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    user_id  INTEGER,
    username TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (username, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Remote commands to tills: pending until delivered, done when the till acks.
CREATE TABLE till_commands (
    id              BLOB PRIMARY KEY,
    actor           BLOB NOT NULL REFERENCES devices(actor),
    kind            TEXT NOT NULL,
    message         TEXT,
    created_at_ms   INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    delivered_at_ms INTEGER,
    done_at_ms      INTEGER
) WITHOUT ROWID;
CREATE INDEX till_commands_actor ON till_commands (actor, created_at_ms);
