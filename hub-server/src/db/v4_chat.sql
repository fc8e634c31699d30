-- Schema version 4: HQ–store chat and notices (DESIGN §6).
--
-- Every table here is a projection of chat ops (crate::chat), written by the writer thread
-- in the same transaction as the op log; nothing here is the source of truth except the
-- attachment rows, which describe files in <data-dir>/attachments.
--
-- Order: a message's place is the HLC of the op that carried it (hlc_wall, hlc_counter,
-- hlc_actor), then its id; never the order of arrival.

-- Messages: grow-only, keyed by the client-made id (first copy wins). A rowid table so the
-- full-text index can refer to it.
CREATE TABLE chat_message (
    id            BLOB NOT NULL UNIQUE,
    channel       TEXT NOT NULL,
    store         TEXT NOT NULL,
    hlc_wall      INTEGER NOT NULL,
    hlc_counter   INTEGER NOT NULL,
    hlc_actor     BLOB NOT NULL,
    cursor        INTEGER NOT NULL,
    actor         BLOB NOT NULL,
    side          TEXT NOT NULL CHECK (side IN ('store', 'hq')),
    username      TEXT,
    display_name  TEXT NOT NULL,
    text          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('chat', 'ticket', 'announcement')),
    category      TEXT,
    announcement  BLOB,
    title         TEXT,
    requires_ack  INTEGER NOT NULL DEFAULT 0,
    attachments   TEXT NOT NULL DEFAULT '[]',
    written_at_ms INTEGER NOT NULL
);
CREATE INDEX chat_message_order ON chat_message (channel, hlc_wall, hlc_counter, hlc_actor, id);
CREATE INDEX chat_message_announcement ON chat_message (announcement) WHERE announcement IS NOT NULL;

-- Full-text search over the text (external content: the text is stored once).
CREATE VIRTUAL TABLE chat_fts USING fts5 (
    text,
    content = 'chat_message',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER chat_message_fts AFTER INSERT ON chat_message BEGIN
    INSERT INTO chat_fts (rowid, text) VALUES (new.rowid, new.text);
END;

-- Which messages reference which files (who may download them).
CREATE TABLE chat_message_attachment (
    sha256  TEXT NOT NULL,
    message BLOB NOT NULL,
    store   TEXT NOT NULL,
    PRIMARY KEY (sha256, message)
) WITHOUT ROWID;

-- Read positions: a max-register per (reader, channel). reader = 'user:<name>' | 'till:<actor>'.
-- cursor: the log position of the winning op (what a new till's snapshot carries); the same
-- in chat_ticket (the winning TicketUpdate, if any) and announcement_ack.
CREATE TABLE chat_read (
    reader      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    up_to_wall    INTEGER NOT NULL,
    up_to_counter INTEGER NOT NULL,
    up_to_actor   BLOB NOT NULL,
    cursor        INTEGER NOT NULL,
    PRIMARY KEY (reader, channel)
) WITHOUT ROWID;
CREATE INDEX chat_read_channel ON chat_read (channel);

-- Tickets: status is a max-register over open (0) < in_progress (1) < resolved (2). A row can
-- exist from an update before its message arrives; the inbox joins with chat_message.
CREATE TABLE chat_ticket (
    id            BLOB PRIMARY KEY,
    channel       TEXT NOT NULL,
    store         TEXT NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    updated_at_ms INTEGER,
    updated_by    TEXT,
    cursor        INTEGER
) WITHOUT ROWID;
CREATE INDEX chat_ticket_status ON chat_ticket (status, store);
CREATE INDEX chat_ticket_store ON chat_ticket (store, status);

-- Announcements (one row each; the per-store copies are chat_message rows in notices channels).
-- audience: the console's description ({"all":true} | {"region":…} | {"stores":[…]}).
CREATE TABLE announcement (
    id           BLOB PRIMARY KEY,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    requires_ack INTEGER NOT NULL,
    sent_by      TEXT NOT NULL,
    sent_at_ms   INTEGER NOT NULL,
    audience     TEXT
) WITHOUT ROWID;
CREATE INDEX announcement_sent ON announcement (sent_at_ms);

-- The stores an announcement was sent to, and when a till of the store first read it.
CREATE TABLE announcement_store (
    announcement  BLOB NOT NULL,
    store         TEXT NOT NULL,
    message       BLOB NOT NULL,
    read_at_hlc_ms INTEGER,
    PRIMARY KEY (announcement, store)
) WITHOUT ROWID;
CREATE INDEX announcement_store_store ON announcement_store (store);

-- Acknowledgements: one per (announcement, store); the earliest (at_ms, by) wins.
CREATE TABLE announcement_ack (
    announcement BLOB NOT NULL,
    store        TEXT NOT NULL,
    acked_by     TEXT NOT NULL,
    acked_at_ms  INTEGER NOT NULL,
    cursor       INTEGER NOT NULL,
    PRIMARY KEY (announcement, store)
) WITHOUT ROWID;
CREATE INDEX announcement_ack_store ON announcement_ack (store);

-- Uploaded files: bytes under <data-dir>/attachments/<sha[0..2]>/<sha>, written (tmp + fsync
-- + rename) before the row commits.
CREATE TABLE chat_attachment (
    sha256         TEXT PRIMARY KEY,
    mime           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    name           TEXT NOT NULL,
    uploaded_at_ms INTEGER NOT NULL,
    uploaded_by    TEXT NOT NULL
) WITHOUT ROWID;

-- Everyone who uploaded a file (they may download it even before a message references it).
-- who = 'user:<name>' | 'till:<actor>'.
CREATE TABLE chat_attachment_uploader (
    sha256 TEXT NOT NULL,
    who    TEXT NOT NULL,
    PRIMARY KEY (sha256, who)
) WITHOUT ROWID;
