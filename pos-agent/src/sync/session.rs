//! One sync connection: Hello/Welcome, snapshot, pipelined push, downstream
//! apply, status, until done (`Once`) or until the connection fails (`Live`).
//!
//! The hub's clock in `Welcome` (`hub_time_ms`) is compared with the till's as it arrives and
//! the offset stored with the acknowledged seq (the time-deal clock guard,
//! [`crate::prices::record_hub_clock`]).
//!
//! Upstream resumes from the `acked_seq` in the hub's `Welcome` — never from
//! local memory — so a hub that lost a tail simply receives it again. Up to
//! [`MAX_IN_FLIGHT`] `Push` frames of at most `MAX_OPS_PER_FRAME` ops (and
//! [`MAX_PUSH_BYTES`]) are in flight; each `Ack` is persisted before more is
//! sent. Each downstream `Ops` batch is applied with its new cursor in one
//! transaction and only then acknowledged with `CursorAck`.
//!
//! A `Command` from head office is recorded and carried out idempotently
//! ([`crate::commands::receive`]); a `ForceSync` also pushes the whole outbox
//! at once (downstream is already live: the hub streams every op as it is
//! committed, and the till re-acknowledges its cursor). Right after, a
//! `Status` goes out with the ids of the commands carried out since the
//! previous one (`acked_commands`, persisted until sent) and the lock state.
//! Before a `sync --once` closes, it sends a Ping and waits for the Pong: the
//! hub answers in order, so the commands it sent after `Welcome` have been read
//! and carried out by then.
//!
//! `DeliveryEta` frames (live, not ops) are kept as they come, latest per shipment
//! ([`crate::logistics::record_eta`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sync_proto::wire::{
    self, CommandKind, CursorAck, ErrorCode, Frame, Hello, MAX_FRAME_BYTES, MAX_OPS_PER_FRAME,
    Ping, Push, SYNC_PATH, TillStatus, Welcome,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{MAX_IN_FLIGHT, MAX_PUSH_BYTES, POLL_INTERVAL, SyncDb, SyncOptions, SyncReport};
use crate::commands::{self, Received};
use crate::db::{self, Enrolment, keys};
use crate::error::{Result, TillError};
use crate::{apply, enrol};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type Sink = futures_util::stream::SplitSink<Ws, Message>;

/// How long a live connection may stay silent (the hub pings every 20 s).
const LIVE_SILENCE: Duration = Duration::from_secs(60);
/// Least time between two `Status` frames that only report a changed backlog.
const STATUS_EVERY: Duration = Duration::from_secs(2);

/// Keep the hub's ETA for a delivery to this store (latest per shipment). Not an op and not
/// acknowledged: a failure to store it is logged and the session goes on (the hub sends the
/// next estimate within 30 s and on every connect).
async fn keep_eta(db: &SyncDb, eta: sync_proto::wire::DeliveryEta) {
    let shipment = eta.shipment;
    match db
        .call(move |c| crate::logistics::record_eta(c, &eta))
        .await
    {
        Ok(stored) => tracing::debug!(%shipment, stored, "delivery ETA from the hub"),
        Err(e) => tracing::warn!(%shipment, error = %e, "delivery ETA not stored"),
    }
}

/// Whether the session ends when everything is exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `sync --once`.
    Once,
    /// `run`.
    Live,
}

/// The WebSocket URL of the hub at `hub_url` (`http://h:p` → `ws://h:p/sync/v1`).
pub fn sync_url(hub_url: &str) -> Result<String> {
    let base = hub_url.trim().trim_end_matches('/');
    let rest = if let Some(r) = base.strip_prefix("http://") {
        format!("ws://{r}")
    } else if let Some(r) = base.strip_prefix("https://") {
        format!("wss://{r}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_owned()
    } else if base.is_empty() {
        return Err(TillError::InvalidInput(
            "no hub URL: enrol the till or pass --hub http://HOST:PORT".into(),
        ));
    } else {
        return Err(TillError::InvalidInput(format!(
            "hub URL {hub_url:?} must start with http:// or https://"
        )));
    };
    Ok(format!("{rest}{SYNC_PATH}"))
}

struct Local {
    enrolment: Enrolment,
    last_seq: u64,
    cursor: u64,
}

fn load_local(conn: &mut rusqlite::Connection) -> Result<(Local, bool, bool)> {
    let enrolment = db::require_enrolment(conn)?;
    let needs = db::get_meta(conn, keys::NEEDS_ENROLMENT)?.as_deref() == Some("1");
    let carry = db::get_meta(conn, keys::CARRY_OVER_FROM)?.is_some_and(|v| !v.is_empty());
    Ok((
        Local {
            last_seq: db::last_seq(conn, enrolment.actor)?,
            cursor: db::get_meta_u64(conn, keys::CURSOR)?,
            enrolment,
        },
        needs,
        carry,
    ))
}

async fn connect(url: &str, credential: &str, timeout: Duration) -> Result<Ws> {
    let unreachable = |reason: String| TillError::HubUnreachable {
        url: url.to_owned(),
        reason,
    };
    let mut req = url
        .into_client_request()
        .map_err(|e| TillError::InvalidInput(format!("bad hub URL {url:?}: {e}")))?;
    let auth = HeaderValue::from_str(&format!("Bearer {credential}"))
        .map_err(|_| TillError::Corrupt("device credential is not valid header text".into()))?;
    req.headers_mut().insert("authorization", auth);
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES + 64 * 1024))
        .max_frame_size(Some(MAX_FRAME_BYTES + 64 * 1024));
    let connecting = tokio_tungstenite::connect_async_with_config(req, Some(config), true);
    match tokio::time::timeout(timeout, connecting).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            timeout.as_secs()
        ))),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .into_owned();
            let (code, message) = crate::enrol::parse_error_body(&body);
            if status == 401 || status == 403 {
                Err(TillError::Rejected {
                    code: ErrorCode::Unauthorized,
                    message: if message.is_empty() {
                        "the hub does not accept this till's credential (revoked?)".into()
                    } else {
                        message
                    },
                })
            } else {
                Err(TillError::Hub {
                    status,
                    code,
                    message,
                })
            }
        }
        Ok(Err(e)) => Err(unreachable(e.to_string())),
    }
}

async fn send(sink: &mut Sink, frame: &Frame) -> Result<()> {
    let bytes = wire::encode(frame).map_err(|e| TillError::Internal(e.to_string()))?;
    sink.send(Message::Binary(bytes.into()))
        .await
        .map_err(|e| TillError::Protocol(format!("connection lost while sending: {e}")))
}

/// The next protocol frame, `None` when the hub closed.
fn frame_of(
    msg: Option<std::result::Result<Message, tungstenite::Error>>,
) -> Result<Option<Frame>> {
    match msg {
        None | Some(Ok(Message::Close(_))) => Ok(None),
        Some(Err(e)) => Err(TillError::Protocol(format!("connection lost: {e}"))),
        Some(Ok(Message::Binary(b))) => wire::decode(&b)
            .map(Some)
            .map_err(|e| TillError::Protocol(format!("undecodable frame from the hub: {e}"))),
        Some(Ok(Message::Text(t))) => Err(TillError::Protocol(format!(
            "unexpected text message from the hub: {}",
            t.chars().take(200).collect::<String>()
        ))),
        // Pings are answered by tungstenite; nothing else to do.
        Some(Ok(_)) => Ok(Some(Frame::Pong(Ping { nonce: 0 }))),
    }
}

fn refusal(code: ErrorCode, message: String) -> TillError {
    match code {
        ErrorCode::TillRestored => TillError::TillRestored(message),
        _ => TillError::Rejected { code, message },
    }
}

async fn mark_restored(db: &SyncDb) -> Result<()> {
    db.call(|c| db::set_meta(c, keys::NEEDS_ENROLMENT, "1"))
        .await
}

/// The Ping a `sync --once` sends before closing, so that the commands the
/// hub sent after `Welcome` are read and carried out first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Barrier {
    NotSent,
    Sent(u64),
    Passed,
}

/// State of the upstream pipeline.
struct Upstream {
    acked: u64,
    next: u64,
    in_flight: VecDeque<u64>,
    /// Push nothing beyond this seq (`Once`: the last seq at start).
    limit: Option<u64>,
    /// Highest local seq seen.
    known_last: u64,
}

/// Run one connection. `welcomed` turns true once the hub accepted the till.
pub(crate) async fn run_session(
    db: &SyncDb,
    opts: &SyncOptions,
    mode: Mode,
    report: &mut SyncReport,
    welcomed: &mut bool,
) -> Result<()> {
    let (local, needs_enrolment, carry_over) = db.call(load_local).await?;
    if needs_enrolment {
        return Err(TillError::NeedsEnrolment);
    }
    let hub_url = opts
        .hub_url
        .clone()
        .unwrap_or_else(|| local.enrolment.hub_url.clone());
    if carry_over {
        report.carried_over += enrol::complete_carry_over_at(db, &hub_url).await?;
    }
    // Re-read: the carry-over may have added ops.
    let (local, _, _) = db.call(load_local).await?;
    let url = sync_url(&hub_url)?;
    let ws = connect(&url, &local.enrolment.credential, opts.timeout).await?;
    let (mut sink, mut stream) = ws.split();
    let actor = local.enrolment.actor;

    send(
        &mut sink,
        &Frame::Hello(Hello {
            actor,
            last_seq: local.last_seq,
            cursor: local.cursor,
            app_version: opts.app_version.clone(),
        }),
    )
    .await?;

    let welcome: Welcome = loop {
        let next = tokio::time::timeout(opts.timeout, stream.next())
            .await
            .map_err(|_| TillError::Protocol("the hub did not answer Hello".into()))?;
        match frame_of(next)? {
            None => {
                return Err(TillError::Protocol(
                    "the hub closed the connection after Hello".into(),
                ));
            }
            Some(Frame::Welcome(w)) => break w,
            Some(Frame::Error(e)) => {
                if e.code == ErrorCode::TillRestored {
                    mark_restored(db).await?;
                }
                return Err(refusal(e.code, e.message));
            }
            Some(Frame::Ping(p)) => send(&mut sink, &Frame::Pong(p)).await?,
            Some(Frame::Pong(_)) => {}
            Some(Frame::DeliveryEta(eta)) => keep_eta(db, eta).await,
            Some(other) => {
                return Err(TillError::Protocol(format!(
                    "expected Welcome, the hub sent {}",
                    other.kind()
                )));
            }
        }
    };
    *welcomed = true;
    if welcome.store != local.enrolment.store {
        tracing::warn!(hub = %welcome.store, local = %local.enrolment.store, "hub reports another store for this till");
    }
    let hub_acked = welcome.acked_seq;
    let hub_time_ms = welcome.hub_time_ms;
    let welcomed_at_ms = db::now_ms();
    if let Some(hub) = hub_time_ms {
        let offset = sync_proto::pricing::clock_offset_ms(welcomed_at_ms, hub);
        if sync_proto::pricing::deals_paused(Some(offset)) {
            tracing::warn!(
                offset_ms = offset,
                "this till's clock is off the hub's beyond the guard: time deals paused"
            );
        }
    }
    db.call(move |c| {
        let tx = db::write_tx(c)?;
        db::set_meta(&tx, keys::ACKED_SEQ, &hub_acked.to_string())?;
        db::set_meta(&tx, keys::LAST_SYNC_MS, &welcomed_at_ms.to_string())?;
        db::set_meta(&tx, keys::LAST_ERROR, "")?;
        crate::prices::record_hub_clock(&tx, hub_time_ms, welcomed_at_ms)?;
        tx.commit()?;
        Ok(())
    })
    .await?;
    tracing::info!(
        acked = hub_acked,
        last_seq = local.last_seq,
        head = welcome.head_cursor,
        snapshot = welcome.snapshot,
        "welcomed by hub"
    );
    report.acked_seq = hub_acked;
    if let Some(control) = &opts.control {
        let unsent = local.last_seq.saturating_sub(hub_acked);
        control.update(|s| {
            s.online = true;
            s.last_sync_ms = Some(db::now_ms());
            s.last_error = None;
            s.unsent_ops = unsent;
        });
    }

    let mut up = Upstream {
        acked: hub_acked,
        next: hub_acked + 1,
        in_flight: VecDeque::new(),
        limit: (mode == Mode::Once).then_some(local.last_seq),
        known_last: local.last_seq,
    };
    let mut snapshot_pending = welcome.snapshot;
    let mut cursor = local.cursor;
    let mut caught_up = !snapshot_pending && cursor >= welcome.head_cursor;
    let mut last_status: Option<(u64, Instant)> = None;
    let mut barrier = Barrier::NotSent;

    send_status(
        db,
        &mut sink,
        &opts.app_version,
        &up,
        &mut last_status,
        true,
    )
    .await?;
    fill_pipeline(db, &mut sink, &mut up, report, mode).await?;

    let silence = match mode {
        Mode::Once => opts.timeout,
        Mode::Live => LIVE_SILENCE,
    };
    let mut deadline = tokio::time::Instant::now() + silence;
    let mut poll = tokio::time::interval(POLL_INTERVAL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        if mode == Mode::Once
            && !snapshot_pending
            && caught_up
            && up.in_flight.is_empty()
            && up.acked >= up.limit.unwrap_or(0)
        {
            // Barrier before closing: the hub answers a Ping in order, after
            // the commands it sent on Hello, so none is left unread.
            match barrier {
                Barrier::NotSent => {
                    let nonce = rand::random::<u64>().max(1);
                    send(&mut sink, &Frame::Ping(Ping { nonce })).await?;
                    barrier = Barrier::Sent(nonce);
                }
                Barrier::Sent(_) => {}
                Barrier::Passed => {
                    report.cursor = cursor;
                    report.acked_seq = up.acked;
                    report.unsent_ops = up.known_last.saturating_sub(up.acked);
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
            }
        }
        tokio::select! {
            msg = stream.next() => {
                deadline = tokio::time::Instant::now() + silence;
                let Some(frame) = frame_of(msg)? else {
                    return match mode {
                        Mode::Live => Ok(()),
                        Mode::Once => Err(TillError::Protocol("the hub closed the connection before sync finished".into())),
                    };
                };
                match frame {
                    Frame::Ack(a) => {
                        if a.up_to_seq > up.acked {
                            up.acked = a.up_to_seq;
                            let acked = up.acked;
                            db.call(move |c| {
                                let tx = db::write_tx(c)?;
                                db::set_meta(&tx, keys::ACKED_SEQ, &acked.to_string())?;
                                db::set_meta(&tx, keys::LAST_SYNC_MS, &db::now_ms().to_string())?;
                                tx.commit()?;
                                Ok(())
                            }).await?;
                        }
                        while up.in_flight.front().is_some_and(|s| *s <= a.up_to_seq) {
                            up.in_flight.pop_front();
                        }
                        report.acked_seq = up.acked;
                        fill_pipeline(db, &mut sink, &mut up, report, mode).await?;
                        publish(opts, &up, true);
                        send_status(db, &mut sink, &opts.app_version, &up, &mut last_status, false).await?;
                    }
                    Frame::Snapshot(chunk) => {
                        let done = chunk.done;
                        let at = chunk.at_cursor;
                        db.call(move |c| apply::apply_snapshot_chunk(c, &chunk)).await?;
                        if done {
                            snapshot_pending = false;
                            cursor = at;
                            report.snapshot = true;
                            caught_up = caught_up || at >= welcome.head_cursor;
                            send(&mut sink, &Frame::CursorAck(CursorAck { cursor: at })).await?;
                        }
                    }
                    Frame::Ops(batch) => {
                        let to = batch.to_cursor;
                        let n = batch.ops.len() as u64;
                        let is_caught_up = batch.caught_up;
                        db.call(move |c| apply::apply_batch(c, &batch.ops, to)).await?;
                        cursor = to;
                        report.received_ops += n;
                        caught_up = is_caught_up || to >= welcome.head_cursor;
                        send(&mut sink, &Frame::CursorAck(CursorAck { cursor: to })).await?;
                    }
                    Frame::Ping(p) => send(&mut sink, &Frame::Pong(p)).await?,
                    Frame::Pong(p) => {
                        if barrier == Barrier::Sent(p.nonce) {
                            barrier = Barrier::Passed;
                        }
                    }
                    Frame::Command(cmd) => {
                        tracing::info!(id = %cmd.id, kind = ?cmd.kind, "command from the hub");
                        let received = db.call(move |c| commands::receive(c, &cmd)).await?;
                        if received == Received::New(CommandKind::ForceSync) {
                            let actor = actor_of(db).await?;
                            up.known_last = db.call(move |c| db::last_seq(c, actor)).await?;
                            if mode == Mode::Once {
                                up.limit = Some(up.known_last);
                            }
                            fill_pipeline(db, &mut sink, &mut up, report, mode).await?;
                            send(&mut sink, &Frame::CursorAck(CursorAck { cursor })).await?;
                        }
                        send_status(db, &mut sink, &opts.app_version, &up, &mut last_status, true).await?;
                    }
                    Frame::DeliveryEta(eta) => keep_eta(db, eta).await,
                    Frame::Error(e) => {
                        if e.code == ErrorCode::TillRestored {
                            mark_restored(db).await?;
                        }
                        return Err(refusal(e.code, e.message));
                    }
                    other => {
                        return Err(TillError::Protocol(format!("unexpected {} frame from the hub", other.kind())));
                    }
                }
            }
            _ = poll.tick(), if mode == Mode::Live => {
                fill_pipeline(db, &mut sink, &mut up, report, mode).await?;
                publish(opts, &up, false);
                send_status(db, &mut sink, &opts.app_version, &up, &mut last_status, false).await?;
            }
            _ = super::control::woken(opts.control.as_ref()) => {
                // The app asked for a sync now: push everything, re-acknowledge
                // the cursor and report, as for HQ's force-sync command.
                tracing::info!("sync requested by the app");
                let actor = actor_of(db).await?;
                up.known_last = db.call(move |c| db::last_seq(c, actor)).await?;
                if mode == Mode::Once {
                    up.limit = Some(up.known_last);
                }
                fill_pipeline(db, &mut sink, &mut up, report, mode).await?;
                send(&mut sink, &Frame::CursorAck(CursorAck { cursor })).await?;
                publish(opts, &up, false);
                send_status(db, &mut sink, &opts.app_version, &up, &mut last_status, true).await?;
            }
            _ = tokio::time::sleep_until(deadline) => {
                return Err(TillError::Protocol(format!(
                    "the hub sent nothing for {} s", silence.as_secs()
                )));
            }
        }
    }
}

/// Publish the backlog (and, after an `Ack`, the time of the exchange) to the app.
fn publish(opts: &SyncOptions, up: &Upstream, exchanged: bool) {
    if let Some(control) = &opts.control {
        let unsent = up.known_last.saturating_sub(up.acked);
        control.update(|s| {
            s.unsent_ops = unsent;
            if exchanged {
                s.last_sync_ms = Some(db::now_ms());
            }
        });
    }
}

/// Send `Push` frames until [`MAX_IN_FLIGHT`] are outstanding or the outbox
/// is exhausted.
async fn fill_pipeline(
    db: &SyncDb,
    sink: &mut Sink,
    up: &mut Upstream,
    report: &mut SyncReport,
    mode: Mode,
) -> Result<()> {
    if mode == Mode::Live || up.known_last == 0 {
        let actor = actor_of(db).await?;
        up.known_last = db.call(move |c| db::last_seq(c, actor)).await?;
    }
    while up.in_flight.len() < MAX_IN_FLIGHT {
        let limit = up.limit.unwrap_or(up.known_last).min(up.known_last);
        if up.next > limit {
            break;
        }
        let (from, actor) = (up.next, actor_of(db).await?);
        let ops = db
            .call(move |c| db::load_ops(c, actor, from, limit, MAX_OPS_PER_FRAME, MAX_PUSH_BYTES))
            .await?;
        let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
            return Err(TillError::Corrupt(format!(
                "outbox has no op {from} of {actor}"
            )));
        };
        if first.seq != from || last.seq != from + ops.len() as u64 - 1 {
            return Err(TillError::Corrupt(format!(
                "outbox has a gap after seq {from}"
            )));
        }
        let last_seq = last.seq;
        let n = ops.len() as u64;
        send(sink, &Frame::Push(Push { ops })).await?;
        tracing::debug!(from, to = last_seq, "pushed");
        report.pushed_ops += n;
        up.in_flight.push_back(last_seq);
        up.next = last_seq + 1;
    }
    Ok(())
}

async fn actor_of(db: &SyncDb) -> Result<sync_proto::ActorId> {
    db.call(|c| Ok(db::require_enrolment(c)?.actor)).await
}

/// Send a `Status` frame if forced, or if the backlog changed (at most every
/// [`STATUS_EVERY`], except when it drops to zero). It carries the lock state
/// and the commands carried out but not yet acknowledged, which are marked
/// reported once the frame is sent.
async fn send_status(
    db: &SyncDb,
    sink: &mut Sink,
    app_version: &str,
    up: &Upstream,
    last: &mut Option<(u64, Instant)>,
    force: bool,
) -> Result<()> {
    let unsent = up.known_last.saturating_sub(up.acked);
    let due = match last {
        None => true,
        Some((prev, at)) => *prev != unsent && (unsent == 0 || at.elapsed() >= STATUS_EVERY),
    };
    if !force && !due {
        return Ok(());
    }
    let (last_error, locked, acked_commands) = db
        .call(|c| {
            Ok((
                db::get_meta(c, keys::LAST_ERROR)?.filter(|e| !e.is_empty()),
                commands::is_locked(c)?,
                commands::to_report(c)?,
            ))
        })
        .await?;
    let acked = acked_commands.clone();
    send(
        sink,
        &Frame::Status(TillStatus {
            unsent_ops: unsent,
            app_version: app_version.to_owned(),
            last_error,
            acked_commands,
            locked,
        }),
    )
    .await?;
    if !acked.is_empty() {
        tracing::info!(commands = acked.len(), "acknowledged commands to the hub");
        db.call(move |c| commands::mark_reported(c, &acked)).await?;
    }
    *last = Some((unsent, Instant::now()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_url_from_hub_url() {
        assert_eq!(
            sync_url("http://127.0.0.1:8080").expect("ok"),
            "ws://127.0.0.1:8080/sync/v1"
        );
        assert_eq!(
            sync_url("https://hub.example/").expect("ok"),
            "wss://hub.example/sync/v1"
        );
        assert!(sync_url("ftp://x").is_err());
        assert!(sync_url("").is_err());
    }
}
