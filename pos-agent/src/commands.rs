//! Remote commands from head office (`Frame::Command`): lock, unlock, force
//! sync, show a message to the cashier.
//!
//! A command is carried out at most once per id: [`receive`] inserts it into
//! the `commands` table and carries out its database part (the `locked` meta
//! key, the stored message) in ONE transaction, so a command delivered twice —
//! the hub re-sends every command it has not seen acknowledged — changes
//! nothing the second time. What needs the network (force sync) is done by the
//! sync session right after.
//!
//! Acknowledgements are persisted too: a carried-out command stays "to report"
//! (`reported_ms IS NULL`) until a `Status` frame listing it in
//! `acked_commands` has been sent ([`to_report`], [`mark_reported`]). A
//! re-delivered command is marked "to report" again, because the hub only
//! re-sends what it has not seen acknowledged (the earlier `Status` was lost to
//! a disconnect). So an acknowledgement survives a crash or a dropped
//! connection and reaches the hub on the next contact.
//!
//! The lock is read from the database at sale time ([`is_locked`]), because
//! `pos-agent run` (which receives commands) and `pos-agent sell` are
//! different processes sharing the SQLite file.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::wire::{Command, CommandKind};
use uuid::Uuid;

use crate::db::{self, keys};
use crate::error::{Result, TillError};

/// Most command ids listed in one `Status` frame.
pub const MAX_ACKS_PER_STATUS: usize = 500;

/// Longest message kept for the cashier (longer ones are cut, on a char boundary).
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// What [`receive`] did with a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// First delivery: carried out (its database part committed).
    New(CommandKind),
    /// Already carried out earlier; only its acknowledgement is sent again.
    Duplicate,
}

/// A message from head office for the cashier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CashierMessage {
    /// The command id that carried it.
    pub id: Uuid,
    /// The text.
    pub text: String,
    /// When the till received it (ms since epoch).
    #[ts(type = "number")]
    pub received_ms: u64,
    /// When the cashier marked it read, if they did.
    #[ts(type = "number | null")]
    pub read_ms: Option<u64>,
}

fn kind_str(kind: &CommandKind) -> &'static str {
    match kind {
        CommandKind::Lock => "lock",
        CommandKind::Unlock => "unlock",
        CommandKind::ForceSync => "force_sync",
        CommandKind::ShowMessage(_) => "show_message",
    }
}

/// Record and carry out `cmd` in one transaction (idempotent by command id).
pub fn receive(conn: &mut Connection, cmd: &Command) -> Result<Received> {
    let tx = db::write_tx(conn)?;
    let received = receive_in(&tx, cmd)?;
    tx.commit()?;
    match &received {
        Received::New(kind) => {
            tracing::info!(id = %cmd.id, kind = kind_str(kind), "carried out a command from head office")
        }
        Received::Duplicate => {
            tracing::info!(id = %cmd.id, "command delivered again; acknowledging it again")
        }
    }
    Ok(received)
}

/// [`receive`] inside the caller's write transaction.
pub fn receive_in(conn: &Connection, cmd: &Command) -> Result<Received> {
    let now = db::now_ms() as i64;
    let id = cmd.id.to_string();
    let message = match &cmd.kind {
        CommandKind::ShowMessage(text) => Some(text.chars().take(MAX_MESSAGE_CHARS).collect()),
        _ => None::<String>,
    };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO commands(id, kind, message, received_ms, done_ms)
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![id, kind_str(&cmd.kind), message, now])?;
    if inserted == 0 {
        conn.prepare_cached("UPDATE commands SET reported_ms = NULL WHERE id = ?1")?
            .execute([&id])?;
        return Ok(Received::Duplicate);
    }
    match &cmd.kind {
        CommandKind::Lock => db::set_meta(conn, keys::LOCKED, "1")?,
        CommandKind::Unlock => db::set_meta(conn, keys::LOCKED, "0")?,
        // Stored above; the sync session pushes at once.
        CommandKind::ShowMessage(_) | CommandKind::ForceSync => {}
    }
    Ok(Received::New(cmd.kind.clone()))
}

/// Whether head office has locked this till.
pub fn is_locked(conn: &Connection) -> Result<bool> {
    Ok(db::get_meta(conn, keys::LOCKED)?.as_deref() == Some("1"))
}

/// Refuse with [`TillError::Locked`] when the till is locked.
pub fn ensure_unlocked(conn: &Connection) -> Result<()> {
    if is_locked(conn)? {
        return Err(TillError::Locked);
    }
    Ok(())
}

/// Ids of carried-out commands whose acknowledgement has not been sent yet
/// (oldest first, at most [`MAX_ACKS_PER_STATUS`]).
pub fn to_report(conn: &Connection) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM commands WHERE done_ms IS NOT NULL AND reported_ms IS NULL
         ORDER BY received_ms, id LIMIT ?1",
    )?;
    let ids = stmt
        .query_map([MAX_ACKS_PER_STATUS as i64], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|_| TillError::Corrupt(format!("stored command id {id:?}")))
        })
        .collect()
}

/// Note that a `Status` listing `ids` was sent.
pub fn mark_reported(conn: &mut Connection, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let tx = db::write_tx(conn)?;
    let now = db::now_ms() as i64;
    {
        let mut stmt = tx.prepare_cached("UPDATE commands SET reported_ms = ?1 WHERE id = ?2")?;
        for id in ids {
            stmt.execute(params![now, id.to_string()])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Messages from head office, newest first; only unread ones when `unread_only`.
pub fn messages(conn: &Connection, unread_only: bool) -> Result<Vec<CashierMessage>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, message, received_ms, read_ms FROM commands
         WHERE kind = 'show_message' AND (?1 = 0 OR read_ms IS NULL)
         ORDER BY received_ms DESC, id DESC",
    )?;
    let rows = stmt.query_map([unread_only], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text, received_ms, read_ms) = row?;
        out.push(CashierMessage {
            id: id
                .parse()
                .map_err(|_| TillError::Corrupt(format!("stored command id {id:?}")))?,
            text: text.unwrap_or_default(),
            received_ms: received_ms.max(0) as u64,
            read_ms: read_ms.map(|v| v.max(0) as u64),
        });
    }
    Ok(out)
}

/// Mark one message read; `false` if there is no unread message with that id.
pub fn mark_read(conn: &Connection, id: &Uuid) -> Result<bool> {
    let n = conn.execute(
        "UPDATE commands SET read_ms = ?1
         WHERE id = ?2 AND kind = 'show_message' AND read_ms IS NULL",
        params![db::now_ms() as i64, id.to_string()],
    )?;
    Ok(n > 0)
}

/// Mark every unread message read; how many were.
pub fn mark_all_read(conn: &Connection) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE commands SET read_ms = ?1 WHERE kind = 'show_message' AND read_ms IS NULL",
        [db::now_ms() as i64],
    )?)
}

/// When a command was carried out, if it was (for tests and tools).
pub fn done_at(conn: &Connection, id: &Uuid) -> Result<Option<u64>> {
    Ok(conn
        .prepare_cached("SELECT done_ms FROM commands WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(|v| v.max(0) as u64))
}
