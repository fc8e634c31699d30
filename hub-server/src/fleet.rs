//! The till fleet: what the console shows of each till ([`Till`]) and the
//! remote commands HQ sends them ([`TillCommand`], table `till_commands`).
//!
//! A command is `pending` when stored, `delivered` once a `Command` frame
//! went out on the till's connection, and `done` when the till lists its id
//! in `Status.acked_commands`. The sync connection sends every command that
//! is not done right after `Welcome` (so a command issued while the till was
//! away, or delivered but not acked before a disconnect, goes out again) and
//! at once when one is issued while it is connected (a per-connection
//! notification in `LiveTills`). Tills carry out a command id once.

use std::str::FromStr;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::ActorId;
use sync_proto::wire::CommandKind;
use uuid::Uuid;

use crate::events::Event;
use crate::sync_ws::LiveTills;
use crate::{AppState, HubError, now_ms};

/// A till in the fleet view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Till {
    /// Actor id (UUID).
    pub actor: String,
    /// Store code.
    pub store: String,
    /// Till number in its store.
    pub till_no: u32,
    /// Software version.
    pub app_version: String,
    /// Sync protocol version of its last connection.
    pub protocol_version: Option<u16>,
    /// Connected now.
    pub online: bool,
    /// Last contact (ms since epoch); now when online.
    #[ts(type = "number | null")]
    pub last_seen_ms: Option<u64>,
    /// Ops not yet sent, from its last Status.
    #[ts(type = "number | null")]
    pub unsent_ops: Option<u64>,
    /// Its last error, from its last Status.
    pub last_error: Option<String>,
    /// Locked by HQ (as the till last reported).
    pub locked: bool,
    /// Credential revoked.
    pub revoked: bool,
    /// Enrolment time (ms since epoch).
    #[ts(type = "number")]
    pub enrolled_at_ms: u64,
    /// Commands not yet carried out.
    pub pending_commands: u32,
    /// Highest seq of the till stored at the hub.
    #[ts(type = "number")]
    pub acked_seq: u64,
    /// Last downstream cursor the till acknowledged.
    #[ts(type = "number")]
    pub cursor: u64,
}

/// What a command asks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TillCommandKind {
    /// Refuse sales until unlocked.
    Lock,
    /// Sell again.
    Unlock,
    /// Push and pull now.
    ForceSync,
    /// Show `message` to the cashier.
    ShowMessage,
}

impl TillCommandKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TillCommandKind::Lock => "lock",
            TillCommandKind::Unlock => "unlock",
            TillCommandKind::ForceSync => "force_sync",
            TillCommandKind::ShowMessage => "show_message",
        }
    }
}

impl FromStr for TillCommandKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            TillCommandKind::Lock,
            TillCommandKind::Unlock,
            TillCommandKind::ForceSync,
            TillCommandKind::ShowMessage,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown command kind {s:?}"))
    }
}

/// Progress of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CommandStatus {
    /// Stored, not yet sent to the till.
    Pending,
    /// Sent to the till, not yet acknowledged.
    Delivered,
    /// Carried out by the till.
    Done,
}

/// A remote command to a till.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct TillCommand {
    /// Command id (UUID).
    pub id: String,
    /// The till's actor.
    pub actor: String,
    /// The till's store.
    pub store: String,
    /// What to do.
    pub kind: TillCommandKind,
    /// The message of `show_message`.
    pub message: Option<String>,
    /// Issued (ms since epoch).
    #[ts(type = "number")]
    pub created_at_ms: u64,
    /// Who issued it.
    pub created_by: String,
    /// First sent to the till.
    #[ts(type = "number | null")]
    pub delivered_at_ms: Option<u64>,
    /// Acknowledged by the till.
    #[ts(type = "number | null")]
    pub done_at_ms: Option<u64>,
    /// `pending`, `delivered` or `done`.
    pub status: CommandStatus,
}

impl TillCommand {
    /// The frame body for the till.
    pub fn wire(&self) -> Option<sync_proto::wire::Command> {
        let id = Uuid::parse_str(&self.id).ok()?;
        let kind = match self.kind {
            TillCommandKind::Lock => CommandKind::Lock,
            TillCommandKind::Unlock => CommandKind::Unlock,
            TillCommandKind::ForceSync => CommandKind::ForceSync,
            TillCommandKind::ShowMessage => {
                CommandKind::ShowMessage(self.message.clone().unwrap_or_default())
            }
        };
        Some(sync_proto::wire::Command { id, kind })
    }
}

fn actor_text(b: &[u8]) -> String {
    Uuid::from_slice(b)
        .map(|u| u.to_string())
        .unwrap_or_default()
}

const COMMAND_COLUMNS: &str = "c.id, c.actor, d.store, c.kind, c.message, c.created_at_ms, c.created_by, c.delivered_at_ms, c.done_at_ms";

fn command_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TillCommand> {
    let id: Vec<u8> = r.get(0)?;
    let actor: Vec<u8> = r.get(1)?;
    let kind: String = r.get(3)?;
    let delivered: Option<i64> = r.get(7)?;
    let done: Option<i64> = r.get(8)?;
    Ok(TillCommand {
        id: actor_text(&id),
        actor: actor_text(&actor),
        store: r.get(2)?,
        kind: kind.parse().unwrap_or(TillCommandKind::ForceSync),
        message: r.get(4)?,
        created_at_ms: r.get::<_, i64>(5)? as u64,
        created_by: r.get(6)?,
        delivered_at_ms: delivered.map(|v| v as u64),
        done_at_ms: done.map(|v| v as u64),
        status: match (delivered, done) {
            (_, Some(_)) => CommandStatus::Done,
            (Some(_), None) => CommandStatus::Delivered,
            (None, None) => CommandStatus::Pending,
        },
    })
}

/// One command.
pub fn read_command(conn: &Connection, id: &Uuid) -> Result<Option<TillCommand>, HubError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COMMAND_COLUMNS} FROM till_commands c JOIN devices d ON d.actor = c.actor WHERE c.id = ?1"
        ))?
        .query_row([id.as_bytes().as_slice()], command_row)
        .optional()?)
}

/// Commands of a till, newest first (at most `limit`).
pub fn list_commands(
    conn: &Connection,
    actor: &ActorId,
    limit: u32,
) -> Result<Vec<TillCommand>, HubError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMAND_COLUMNS} FROM till_commands c JOIN devices d ON d.actor = c.actor
         WHERE c.actor = ?1 ORDER BY c.created_at_ms DESC, c.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![actor.0.as_bytes().as_slice(), limit], command_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Commands of a till not yet carried out, oldest first.
pub fn open_commands(conn: &Connection, actor: &ActorId) -> Result<Vec<TillCommand>, HubError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMAND_COLUMNS} FROM till_commands c JOIN devices d ON d.actor = c.actor
         WHERE c.actor = ?1 AND c.done_at_ms IS NULL ORDER BY c.created_at_ms, c.id"
    ))?;
    let rows = stmt.query_map([actor.0.as_bytes().as_slice()], command_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Store a new command (writer job). The till must exist and not be revoked.
pub fn insert_command(
    conn: &Connection,
    actor: &ActorId,
    kind: TillCommandKind,
    message: Option<String>,
    created_by: &str,
) -> Result<TillCommand, HubError> {
    let id = Uuid::now_v7();
    conn.prepare_cached(
        "INSERT INTO till_commands (id, actor, kind, message, created_at_ms, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id.as_bytes().as_slice(),
        actor.0.as_bytes().as_slice(),
        kind.as_str(),
        message,
        now_ms() as i64,
        created_by
    ])?;
    read_command(conn, &id)?.ok_or_else(|| HubError::Internal("command vanished".into()))
}

/// Mark commands sent (writer job); returns those that changed.
pub fn mark_delivered(
    conn: &Connection,
    actor: &ActorId,
    ids: &[Uuid],
) -> Result<Vec<TillCommand>, HubError> {
    update_commands(
        conn,
        actor,
        ids,
        "UPDATE till_commands SET delivered_at_ms = ?3
         WHERE id = ?1 AND actor = ?2 AND delivered_at_ms IS NULL",
    )
}

/// Run `update` (`?1` command id, `?2` actor, `?3` now) for each of `ids`;
/// returns the commands it changed. Only this till's own commands match:
/// another till's ids are ignored.
fn update_commands(
    conn: &Connection,
    actor: &ActorId,
    ids: &[Uuid],
    update: &str,
) -> Result<Vec<TillCommand>, HubError> {
    let now = now_ms() as i64;
    let mut changed = Vec::new();
    for id in ids {
        let n = conn.prepare_cached(update)?.execute(params![
            id.as_bytes().as_slice(),
            actor.0.as_bytes().as_slice(),
            now
        ])?;
        if n > 0
            && let Some(c) = read_command(conn, id)?
        {
            changed.push(c);
        }
    }
    Ok(changed)
}

/// Record a till's `Status`: carried-out commands and its lock state
/// (writer job). Returns the commands that became done.
pub fn record_status(
    conn: &Connection,
    actor: &ActorId,
    acked: &[Uuid],
    locked: bool,
) -> Result<Vec<TillCommand>, HubError> {
    conn.prepare_cached("UPDATE devices SET locked = ?2 WHERE actor = ?1")?
        .execute(params![actor.0.as_bytes().as_slice(), locked])?;
    update_commands(
        conn,
        actor,
        acked,
        "UPDATE till_commands SET done_at_ms = ?3, delivered_at_ms = COALESCE(delivered_at_ms, ?3)
         WHERE id = ?1 AND actor = ?2 AND done_at_ms IS NULL",
    )
}

/// Tills, optionally of one store or one actor, by store and number.
pub fn read_tills(
    c: &Connection,
    store: Option<&str>,
    actor: Option<&ActorId>,
) -> Result<Vec<Till>, HubError> {
    let mut stmt = c.prepare_cached(
        "SELECT d.actor, d.store, d.till_no, d.app_version, d.enrolled_at_ms, d.last_seen_ms, d.acked_seq,
                d.cursor, d.backlog, d.last_error, d.revoked, d.locked, d.protocol_version,
                (SELECT COUNT(*) FROM till_commands c WHERE c.actor = d.actor AND c.done_at_ms IS NULL)
         FROM devices d WHERE (?1 IS NULL OR d.store = ?1) AND (?2 IS NULL OR d.actor = ?2)
         ORDER BY d.store, d.till_no",
    )?;
    let actor = actor.map(|a| a.0.as_bytes().to_vec());
    let rows = stmt.query_map(params![store, actor], |r| {
        let actor: Vec<u8> = r.get(0)?;
        Ok(Till {
            actor: actor_text(&actor),
            store: r.get(1)?,
            till_no: r.get(2)?,
            app_version: r.get(3)?,
            enrolled_at_ms: r.get::<_, i64>(4)? as u64,
            last_seen_ms: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
            online: false,
            acked_seq: r.get::<_, i64>(6)? as u64,
            cursor: r.get::<_, i64>(7)? as u64,
            unsent_ops: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
            last_error: r.get(9)?,
            revoked: r.get(10)?,
            locked: r.get(11)?,
            protocol_version: r.get(12)?,
            pending_commands: r.get(13)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Overlay what connected tills reported since the database was written.
pub fn merge_live(live: &LiveTills, tills: &mut [Till]) {
    let snapshot = live.snapshot();
    let now = now_ms();
    for t in tills {
        let Ok(actor) = t.actor.parse::<ActorId>() else {
            continue;
        };
        if let Some(l) = snapshot.get(&actor) {
            t.online = true;
            t.last_seen_ms = Some(now);
            t.cursor = t.cursor.max(l.cursor);
            if l.backlog.is_some() {
                t.unsent_ops = l.backlog;
                t.last_error = l.last_error.clone();
            }
            if let Some(locked) = l.locked {
                t.locked = locked;
            }
            t.app_version = l.app_version.clone();
            t.protocol_version = Some(l.protocol_version);
        }
    }
}

/// The protocol version in a frame's envelope (`{v, frame}`).
pub fn frame_version(bytes: &[u8]) -> Option<u16> {
    #[derive(Deserialize)]
    struct V {
        v: u16,
    }
    rmp_serde::from_slice::<V>(bytes).ok().map(|v| v.v)
}

/// Publish the current fleet row of `actor` as a `till` event (in the
/// background; reads the database). `online` overrides the live view (a
/// connection that is closing is still registered for a moment).
pub fn publish_till(state: &Arc<AppState>, actor: ActorId, online: Option<bool>) {
    if !state.events.has_subscribers() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let read = state
            .reads
            .read(move |c| read_tills(c, None, Some(&actor)))
            .await;
        match read {
            Ok(mut tills) => {
                merge_live(&state.live, &mut tills);
                if let Some(mut t) = tills.pop() {
                    if let Some(online) = online {
                        t.online = online;
                        if !online {
                            t.last_seen_ms = Some(now_ms());
                        }
                    }
                    state.events.publish(Event::Till(t));
                }
            }
            Err(e) => tracing::warn!(%actor, error = %e, "could not read a till for its event"),
        }
    });
}

/// Publish command events.
pub fn publish_commands(state: &AppState, commands: Vec<TillCommand>) {
    for c in commands {
        state.events.publish(Event::Command(c));
    }
}
