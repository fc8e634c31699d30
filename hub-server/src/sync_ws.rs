//! The sync WebSocket (`GET /sync/v1`): one task per till connection.
//!
//! 1. The upgrade request is authenticated with the device credential
//!    (`Authorization: Bearer …`); unknown or revoked → 401 before upgrading.
//! 2. The till says `Hello`; the hub checks its actor and that it is not
//!    behind what the hub holds (restored till), answers `Welcome`, and sends
//!    a snapshot of current state when the till has nothing yet.
//! 3. Upstream: each `Push` is checked (`check_till_op` and seq continuity)
//!    on this task, off the writer thread, then submitted to the writer;
//!    several batches may be in flight and their `Ack`s go out in order,
//!    each only once its transaction has committed.
//! 4. Downstream: a pump task per connection, woken by the writer's log
//!    head `watch`, reads the till's scopes after its cursor from a read
//!    connection and sends `Ops` frames (catch-up, then live).
//!
//! 5. Fleet ([`crate::fleet`]): remote commands not yet carried out are sent
//!    after `Welcome` and at once when HQ issues one (a per-connection
//!    notification); `Status.acked_commands` marks them done and
//!    `Status.locked` is recorded; `till` events go out on connect,
//!    disconnect and status.
//! 6. Deliveries ([`crate::gps::TillEtas`]): the latest `DeliveryEta` of each
//!    shipment on its way to the till's store after `Welcome`, then each new one
//!    as the GPS pipeline publishes it (live only, never logged).
//!
//! Anything refused — undecodable, oversize, wrong version, forged actor,
//! another store, a gap — gets an `Error` frame, a `warn!` log with the
//! actor and reason, a metric, and the connection is closed. Nothing of a
//! refused batch is stored; other connections never notice.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{FuturesOrdered, SplitStream};
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use rusqlite::{OptionalExtension, params};
use sync_proto::validate::{OpRejection, check_till_op};
use sync_proto::wire::{
    self, Ack, ErrorCode, ErrorFrame, Frame, Hello, MAX_FRAME_BYTES, MAX_OPS_PER_FRAME, Ping, Push,
    Welcome,
};
use sync_proto::{ActorId, StoreId};
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::Instrument;
use uuid::Uuid;

use crate::api::error::ApiError;
use crate::writer::EncodedOp;
use crate::{AppState, HubError, auth, feed, now_ms};

/// Batches of one connection waiting for their commit at once.
const MAX_IN_FLIGHT: usize = 16;
/// Time a till has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);
/// WebSocket message limit: a little above the frame limit, so that a frame
/// just over it still arrives and is answered with `FrameTooLarge`.
const WS_MESSAGE_LIMIT: usize = MAX_FRAME_BYTES + 256 * 1024;
/// Heartbeat of empty `Ops` frames that only move a quiet till's cursor.
const CURSOR_HEARTBEAT: Duration = Duration::from_secs(5);

/// A till authenticated by its device credential.
#[derive(Debug, Clone)]
pub struct Device {
    /// Its actor.
    pub actor: ActorId,
    /// Its store.
    pub store: StoreId,
    /// Its till number.
    pub till_no: u32,
}

/// Look up a device credential. `None` when unknown or revoked.
pub async fn authenticate_device(
    state: &AppState,
    credential: &str,
) -> Result<Option<Device>, HubError> {
    let hash = auth::secret_hash(credential);
    state
        .reads
        .read(move |c| {
            let row: Option<(Vec<u8>, String, u32, bool)> = c
                .prepare_cached(
                    "SELECT actor, store, till_no, revoked FROM devices WHERE credential_hash = ?1",
                )?
                .query_row([hash.as_slice()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            let Some((actor, store, till_no, revoked)) = row else {
                return Ok(None);
            };
            if revoked {
                return Ok(None);
            }
            let actor = Uuid::from_slice(&actor)
                .map_err(|e| HubError::Internal(format!("corrupt device actor: {e}")))?;
            Ok(Some(Device {
                actor: ActorId(actor),
                store: store.parse()?,
                till_no,
            }))
        })
        .await
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `GET /sync/v1`: authenticate the device, then upgrade.
pub async fn sync_handler(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Some(credential) = bearer(&headers) else {
        return ApiError::unauthorized("a device credential is required (Authorization: Bearer)")
            .into_response();
    };
    let device = match authenticate_device(&state, credential).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            tracing::warn!("sync connection with an unknown or revoked credential refused");
            return ApiError::unauthorized("unknown or revoked device credential").into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return ApiError::bad_request("not_websocket", rejection.body_text()).into_response();
        }
    };
    ws.max_message_size(WS_MESSAGE_LIMIT)
        .max_frame_size(WS_MESSAGE_LIMIT)
        .on_upgrade(move |socket| {
            let span = tracing::info_span!(
                "till",
                actor = %device.actor,
                store = %device.store,
                till = device.till_no
            );
            connection(state, device, socket).instrument(span)
        })
}

/// A refusal sent to the till before closing.
#[derive(Debug)]
struct Refusal {
    code: ErrorCode,
    message: String,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<HubError> for Refusal {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Refused { code, message } => Refusal { code, message },
            other => {
                tracing::error!(error = %other, "hub failure on a sync connection");
                Refusal::new(ErrorCode::Internal, "the hub failed; retry later")
            }
        }
    }
}

fn rejection_code(r: &OpRejection) -> ErrorCode {
    match r {
        OpRejection::ForgedActor { .. } => ErrorCode::ForgedActor,
        OpRejection::WrongStore { .. } => ErrorCode::WrongStore,
        OpRejection::NotAllowed { .. } | OpRejection::Invalid { .. } => ErrorCode::InvalidOp,
    }
}

fn encode(frame: &Frame) -> Result<Message, Refusal> {
    wire::encode(frame)
        .map(|b| Message::Binary(b.into()))
        .map_err(|e| {
            Refusal::new(
                ErrorCode::Internal,
                format!("could not encode a frame: {e}"),
            )
        })
}

/// Live state of connected tills, for `GET /api/v1/tills`.
#[derive(Default)]
pub struct LiveTills {
    inner: Mutex<HashMap<ActorId, LiveEntry>>,
    next_id: AtomicU64,
}

/// One connected till.
#[derive(Debug, Clone)]
pub struct LiveTill {
    conn_id: u64,
    /// Last cursor the till acknowledged.
    pub cursor: u64,
    /// Unsent ops from its last Status.
    pub backlog: Option<u64>,
    /// Its last error, from Status.
    pub last_error: Option<String>,
    /// Its software version.
    pub app_version: String,
    /// Lock state from its last Status (`None` before the first).
    pub locked: Option<bool>,
    /// Protocol version of its `Hello`.
    pub protocol_version: u16,
}

struct LiveEntry {
    till: LiveTill,
    kick: Option<oneshot::Sender<()>>,
    /// Wakes the connection to send newly issued commands.
    commands: Arc<Notify>,
}

impl LiveTills {
    fn register(
        &self,
        actor: ActorId,
        app_version: &str,
        cursor: u64,
        protocol_version: u16,
    ) -> (u64, oneshot::Receiver<()>, Arc<Notify>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (kick, kicked) = oneshot::channel();
        let commands = Arc::new(Notify::new());
        let entry = LiveEntry {
            till: LiveTill {
                conn_id: id,
                cursor,
                backlog: None,
                last_error: None,
                app_version: app_version.to_owned(),
                locked: None,
                protocol_version,
            },
            kick: Some(kick),
            commands: commands.clone(),
        };
        if let Some(mut old) = self.inner.lock().insert(actor, entry) {
            // The newest connection of an actor wins; the older one closes.
            if let Some(k) = old.kick.take() {
                let _ = k.send(());
            }
        }
        (id, kicked, commands)
    }

    /// Wake `actor`'s connection, if any, to send its pending commands.
    pub fn notify(&self, actor: &ActorId) {
        if let Some(e) = self.inner.lock().get(actor) {
            e.commands.notify_one();
        }
    }

    fn update(&self, actor: &ActorId, conn_id: u64, f: impl FnOnce(&mut LiveTill)) {
        if let Some(e) = self.inner.lock().get_mut(actor)
            && e.till.conn_id == conn_id
        {
            f(&mut e.till);
        }
    }

    fn unregister(&self, actor: &ActorId, conn_id: u64) {
        let mut map = self.inner.lock();
        if map.get(actor).is_some_and(|e| e.till.conn_id == conn_id) {
            map.remove(actor);
        }
    }

    /// Close the connection of `actor`, if any (revoked credential).
    pub fn kick(&self, actor: &ActorId) {
        if let Some(k) = self
            .inner
            .lock()
            .remove(actor)
            .and_then(|mut e| e.kick.take())
        {
            let _ = k.send(());
        }
    }

    /// The connected tills now.
    pub fn snapshot(&self) -> HashMap<ActorId, LiveTill> {
        self.inner
            .lock()
            .iter()
            .map(|(a, e)| (*a, e.till.clone()))
            .collect()
    }
}

/// Persist fleet info of a till, without waiting (best effort).
fn persist_till(
    state: &AppState,
    actor: ActorId,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<usize> + Send + 'static,
) {
    let writer = state.writer.clone();
    tokio::spawn(async move {
        if let Err(e) = writer.call(1, move |ap| Ok(f(ap.conn)?)).await {
            tracing::warn!(%actor, error = %e, "could not record till status");
        }
    });
}

async fn connection(state: Arc<AppState>, device: Device, socket: WebSocket) {
    let (sink, stream) = socket.split();
    // Small: a till that does not read holds at most a few frames in memory.
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(4);
    let sender = tokio::spawn(async move {
        let mut sink = sink;
        while let Some(msg) = out_rx.recv().await {
            let close = matches!(msg, Message::Close(_));
            if sink.send(msg).await.is_err() || close {
                break;
            }
        }
        let _ = sink.close().await;
    });
    state.metrics.connected_tills.inc();
    let mut conv = Conversation {
        state: state.clone(),
        device: device.clone(),
        out: out_tx.clone(),
        stream,
        next_seq: 1,
        conn_id: None,
        pump: None,
        cursor_acked: 0,
        sent_cursor: Arc::new(AtomicU64::new(0)),
        status_persisted: None,
        commands: None,
        sent_commands: HashSet::new(),
        proto: wire::PROTOCOL_VERSION,
    };
    let result = conv.run().await;
    if let Some(p) = conv.pump.take() {
        p.abort();
    }
    match result {
        Ok(()) => tracing::info!("till disconnected"),
        Err(r) => {
            state.metrics.refused(r.code);
            tracing::warn!(actor = %device.actor, store = %device.store, code = ?r.code, reason = %r.message, "sync connection refused");
            if let Ok(msg) = encode(&Frame::Error(ErrorFrame {
                code: r.code,
                message: r.message,
            })) {
                let _ = out_tx.send(msg).await;
            }
        }
    }
    let _ = out_tx.send(Message::Close(None)).await;
    drop(out_tx);
    drop(conv.out);
    let _ = tokio::time::timeout(Duration::from_secs(5), sender).await;
    state.metrics.connected_tills.dec();
    if let Some(id) = conv.conn_id {
        state.live.unregister(&device.actor, id);
        crate::fleet::publish_till(&state, device.actor, None);
        let cursor = conv.cursor_acked as i64;
        let actor = device.actor;
        persist_till(&state, actor, move |c| {
            c.execute(
                "UPDATE devices SET last_seen_ms = ?2, cursor = MAX(cursor, ?3) WHERE actor = ?1",
                params![actor.0.as_bytes().as_slice(), now_ms() as i64, cursor],
            )
        });
    }
}

type AckFuture = Pin<Box<dyn Future<Output = Result<u64, HubError>> + Send>>;

struct Conversation {
    state: Arc<AppState>,
    device: Device,
    out: mpsc::Sender<Message>,
    stream: SplitStream<WebSocket>,
    /// Next seq this connection expects from the till.
    next_seq: u64,
    conn_id: Option<u64>,
    pump: Option<tokio::task::AbortHandle>,
    cursor_acked: u64,
    /// Highest `to_cursor` sent downstream (written by the pump).
    sent_cursor: Arc<AtomicU64>,
    /// When a Status was last written to the database (at most once a second).
    status_persisted: Option<Instant>,
    /// Wakes this connection when HQ issues a command.
    commands: Option<Arc<Notify>>,
    /// Commands sent on this connection (each goes out once per connection).
    sent_commands: HashSet<Uuid>,
    /// Protocol version of the till's `Hello`.
    proto: u16,
}

impl Conversation {
    async fn send(&self, msg: Message) -> Result<(), Refusal> {
        self.out
            .send(msg)
            .await
            .map_err(|_| Refusal::new(ErrorCode::Internal, "connection closed"))
    }

    /// Next protocol frame and its bytes; `None` when the till closed.
    async fn recv(&mut self) -> Result<Option<(Frame, Bytes)>, Refusal> {
        loop {
            let Some(msg) = self.stream.next().await else {
                return Ok(None);
            };
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    let text = e.to_string();
                    if text.contains("too long") || text.contains("limit") {
                        return Err(Refusal::new(
                            ErrorCode::FrameTooLarge,
                            format!("message exceeds {MAX_FRAME_BYTES} bytes: {text}"),
                        ));
                    }
                    tracing::debug!(error = %text, "websocket error");
                    return Ok(None);
                }
            };
            match msg {
                Message::Binary(bytes) => {
                    return wire::decode(&bytes)
                        .map(|f| Some((f, bytes)))
                        .map_err(|e| Refusal::new(e.code(), e.to_string()));
                }
                Message::Text(_) => {
                    return Err(Refusal::new(
                        ErrorCode::Malformed,
                        "text frames are not part of the protocol: send binary frames",
                    ));
                }
                Message::Close(_) => return Ok(None),
                Message::Ping(_) | Message::Pong(_) => continue,
            }
        }
    }

    async fn run(&mut self) -> Result<(), Refusal> {
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, self.recv()).await {
            Err(_) => {
                return Err(Refusal::new(
                    ErrorCode::ProtocolViolation,
                    "no Hello within 30 s",
                ));
            }
            Ok(r) => match r? {
                None => return Ok(()),
                Some((Frame::Hello(h), raw)) => {
                    self.proto =
                        crate::fleet::frame_version(&raw).unwrap_or(wire::PROTOCOL_VERSION);
                    h
                }
                Some((other, _)) => {
                    return Err(Refusal::new(
                        ErrorCode::ProtocolViolation,
                        format!("expected Hello, got {}", other.kind()),
                    ));
                }
            },
        };
        let (start_cursor, kicked) = self.hello(hello).await?;
        let mut kicked = kicked;
        self.send_commands().await?;
        let (etas, mut eta_rx) = self.state.gps.tills.subscribe(self.device.store.as_str());
        for eta in etas {
            self.send(encode(&Frame::DeliveryEta(eta))?).await?;
        }
        let commands = self.commands.clone().unwrap_or_default();
        let pump_state = self.state.clone();
        let out = self.out.clone();
        let store = self.device.store.clone();
        let actor = self.device.actor;
        self.sent_cursor.store(start_cursor, Ordering::Relaxed);
        let sent = self.sent_cursor.clone();
        let mut pump_task =
            tokio::spawn(pump(pump_state, store, actor, start_cursor, out, sent).in_current_span());
        self.pump = Some(pump_task.abort_handle());
        let mut acks: FuturesOrdered<AckFuture> = FuturesOrdered::new();
        let mut ping = tokio::time::interval(self.state.settings.ping_interval);
        ping.tick().await;
        let mut nonce = 0u64;
        let mut stopping = self.state.stopping.clone();
        loop {
            tokio::select! {
                _ = &mut kicked => {
                    tracing::info!("a newer connection of this till took over");
                    return Ok(());
                }
                _ = async { let _ = stopping.wait_for(|s| *s).await; } => return Ok(()),
                Some(done) = acks.next(), if !acks.is_empty() => {
                    let up_to_seq = done?;
                    self.send(encode(&Frame::Ack(Ack { up_to_seq }))?).await?;
                }
                frame = self.recv(), if acks.len() < MAX_IN_FLIGHT => {
                    let Some((frame, raw)) = frame? else { return Ok(()) };
                    if let Some(ack) = self.handle(frame, raw).await? {
                        acks.push_back(ack);
                    }
                }
                _ = commands.notified() => self.send_commands().await?,
                eta = eta_rx.recv() => match eta {
                    Ok(eta) => self.send(encode(&Frame::DeliveryEta(eta))?).await?,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(missed = n, "delivery ETAs skipped for a slow till");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        eta_rx = self.state.gps.tills.subscribe(self.device.store.as_str()).1;
                    }
                },
                _ = ping.tick() => {
                    nonce += 1;
                    self.send(encode(&Frame::Ping(Ping { nonce }))?).await?;
                }
                res = &mut pump_task => {
                    match res {
                        Ok(Ok(())) => return Ok(()),
                        Ok(Err(e)) => return Err(e.into()),
                        Err(e) => return Err(Refusal::new(ErrorCode::Internal, format!("downstream failed: {e}"))),
                    }
                }
            }
        }
    }

    /// Check the Hello, answer Welcome, send the snapshot if needed.
    /// Returns the downstream start cursor.
    async fn hello(&mut self, hello: Hello) -> Result<(u64, oneshot::Receiver<()>), Refusal> {
        let d = self.device.clone();
        if hello.actor != d.actor {
            return Err(Refusal::new(
                ErrorCode::ForgedActor,
                format!(
                    "Hello claims actor {} but this credential belongs to {}",
                    hello.actor, d.actor
                ),
            ));
        }
        let actor = d.actor;
        let acked: i64 = self
            .state
            .reads
            .read(move |c| {
                Ok(
                    c.prepare_cached("SELECT acked_seq FROM devices WHERE actor = ?1")?
                        .query_row([actor.0.as_bytes().as_slice()], |r| r.get(0))?,
                )
            })
            .await?;
        let acked = acked as u64;
        if hello.last_seq < acked {
            return Err(Refusal::new(
                ErrorCode::TillRestored,
                format!(
                    "this till was restored from an old copy (it has seq {} but the hub holds {acked}); enrol again",
                    hello.last_seq
                ),
            ));
        }
        let head = *self.state.head.borrow();
        let snapshot = hello.cursor == 0 || hello.cursor > head;
        self.next_seq = acked + 1;
        let (conn_id, kicked, commands) =
            self.state
                .live
                .register(actor, &hello.app_version, hello.cursor, self.proto);
        self.conn_id = Some(conn_id);
        self.commands = Some(commands);
        // A revoke between the upgrade and this Hello found no connection to
        // close; the revoke commits before it kicks, so reading the flag
        // after registering sees every revoke the kick could have missed.
        let revoked: bool = self
            .state
            .reads
            .read(move |c| {
                Ok(
                    c.prepare_cached("SELECT revoked FROM devices WHERE actor = ?1")?
                        .query_row([actor.0.as_bytes().as_slice()], |r| r.get(0))?,
                )
            })
            .await?;
        if revoked {
            return Err(Refusal::new(
                ErrorCode::Unauthorized,
                "this till's credential was revoked; enrol again",
            ));
        }
        crate::fleet::publish_till(&self.state, actor, None);
        self.cursor_acked = if snapshot { 0 } else { hello.cursor };
        tracing::info!(last_seq = hello.last_seq, acked, cursor = hello.cursor, head, snapshot, app_version = %hello.app_version, "till connected");
        let app_version = hello.app_version.clone();
        let proto = self.proto;
        persist_till(&self.state, actor, move |c| {
            c.execute(
                "UPDATE devices SET last_seen_ms = ?2, app_version = ?3, protocol_version = ?4 WHERE actor = ?1",
                params![actor.0.as_bytes().as_slice(), now_ms() as i64, app_version, proto],
            )
        });
        self.send(encode(&Frame::Welcome(Welcome {
            proto: wire::PROTOCOL_VERSION,
            acked_seq: acked,
            head_cursor: head,
            store: d.store.clone(),
            snapshot,
            hub_time_ms: Some(now_ms()),
        }))?)
        .await?;
        if !snapshot {
            return Ok((hello.cursor, kicked));
        }
        let started = Instant::now();
        let out = self.out.clone();
        let store = d.store.clone();
        let at = self
            .state
            .reads
            .read(move |c| {
                feed::read_snapshot(c, &store, |bytes| {
                    out.blocking_send(Message::Binary(bytes.into()))
                        .map_err(|_| HubError::Internal("connection closed during snapshot".into()))
                })
            })
            .await?;
        tracing::info!(
            at_cursor = at,
            ms = started.elapsed().as_millis() as u64,
            "snapshot sent"
        );
        Ok((at, kicked))
    }

    /// Handle one frame after Hello. A `Push` yields the future of its ack.
    async fn handle(&mut self, frame: Frame, raw: Bytes) -> Result<Option<AckFuture>, Refusal> {
        match frame {
            Frame::Push(push) => self.push(push, raw).await.map(Some),
            Frame::CursorAck(c) => {
                // Only what this connection has sent can be acknowledged.
                let c = wire::CursorAck {
                    cursor: c.cursor.min(self.sent_cursor.load(Ordering::Relaxed)),
                };
                self.cursor_acked = self.cursor_acked.max(c.cursor);
                if let Some(id) = self.conn_id {
                    self.state.live.update(&self.device.actor, id, |t| {
                        t.cursor = t.cursor.max(c.cursor)
                    });
                }
                Ok(None)
            }
            Frame::Ping(p) => {
                self.send(encode(&Frame::Pong(p))?).await?;
                Ok(None)
            }
            Frame::Pong(_) => Ok(None),
            Frame::Status(s) => {
                if s.app_version.len() > 64 || s.last_error.as_ref().is_some_and(|e| e.len() > 2000)
                {
                    return Err(Refusal::new(
                        ErrorCode::ProtocolViolation,
                        "status fields too long",
                    ));
                }
                let mut lock_changed = false;
                if let Some(id) = self.conn_id {
                    let s2 = s.clone();
                    self.state.live.update(&self.device.actor, id, |t| {
                        lock_changed = t.locked != Some(s2.locked);
                        t.backlog = Some(s2.unsent_ops);
                        t.last_error = s2.last_error;
                        t.app_version = s2.app_version;
                        t.locked = Some(s2.locked);
                    });
                }
                self.record_commands(&s, lock_changed).await?;
                // The live view is current; the database follows at most once a second.
                if self
                    .status_persisted
                    .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
                {
                    return Ok(None);
                }
                self.status_persisted = Some(Instant::now());
                let actor = self.device.actor;
                crate::fleet::publish_till(&self.state, actor, None);
                persist_till(&self.state, actor, move |c| {
                    c.execute(
                        "UPDATE devices SET last_seen_ms = ?2, backlog = ?3, last_error = ?4, app_version = ?5 WHERE actor = ?1",
                        params![
                            actor.0.as_bytes().as_slice(),
                            now_ms() as i64,
                            s.unsent_ops.min(i64::MAX as u64) as i64,
                            s.last_error,
                            s.app_version
                        ],
                    )
                });
                Ok(None)
            }
            other => Err(Refusal::new(
                ErrorCode::ProtocolViolation,
                format!("a till may not send {} here", other.kind()),
            )),
        }
    }

    /// Send the till's commands not yet carried out that this connection
    /// has not sent; mark them delivered.
    async fn send_commands(&mut self) -> Result<(), Refusal> {
        let actor = self.device.actor;
        let open = self
            .state
            .reads
            .read(move |c| crate::fleet::open_commands(c, &actor))
            .await?;
        let mut newly = Vec::new();
        for cmd in open {
            let Some(frame) = cmd.wire() else { continue };
            if !self.sent_commands.insert(frame.id) {
                continue;
            }
            tracing::info!(id = %frame.id, kind = cmd.kind.as_str(), "command sent to the till");
            if cmd.delivered_at_ms.is_none() {
                newly.push(frame.id);
            }
            self.send(encode(&Frame::Command(frame))?).await?;
        }
        if !newly.is_empty() {
            let rx = self
                .state
                .writer
                .submit(1, move |ap| {
                    for c in crate::fleet::mark_delivered(ap.conn, &actor, &newly)? {
                        ap.emit(crate::events::Event::Command(c));
                    }
                    Ok(())
                })
                .await?;
            tokio::spawn(async move {
                if let Ok(Err(e)) = rx.await {
                    tracing::warn!(%actor, error = %e, "could not mark commands delivered");
                }
            });
        }
        Ok(())
    }

    /// Record the commands a `Status` acknowledges and the till's lock state
    /// (queued in order on the writer; not waited for).
    async fn record_commands(
        &mut self,
        s: &wire::TillStatus,
        lock_changed: bool,
    ) -> Result<(), Refusal> {
        if s.acked_commands.is_empty() && !lock_changed {
            return Ok(());
        }
        if s.acked_commands.len() > 1000 {
            return Err(Refusal::new(
                ErrorCode::ProtocolViolation,
                "more than 1000 acked commands in one Status",
            ));
        }
        let actor = self.device.actor;
        let acked = s.acked_commands.clone();
        let locked = s.locked;
        let rx = self
            .state
            .writer
            .submit(1, move |ap| {
                for c in crate::fleet::record_status(ap.conn, &actor, &acked, locked)? {
                    ap.emit(crate::events::Event::Command(c));
                }
                Ok(())
            })
            .await?;
        let state = self.state.clone();
        tokio::spawn(async move {
            match rx.await {
                Ok(Ok(())) => crate::fleet::publish_till(&state, actor, None),
                Ok(Err(e)) => tracing::warn!(%actor, error = %e, "could not record acked commands"),
                Err(_) => {}
            }
        });
        Ok(())
    }

    async fn push(&mut self, push: Push, raw: Bytes) -> Result<AckFuture, Refusal> {
        let d = &self.device;
        if push.ops.len() > MAX_OPS_PER_FRAME {
            return Err(Refusal::new(
                ErrorCode::ProtocolViolation,
                format!(
                    "{} ops in one Push (at most {MAX_OPS_PER_FRAME})",
                    push.ops.len()
                ),
            ));
        }
        let mut batch = Vec::with_capacity(push.ops.len());
        let mut next = self.next_seq;
        // Store and forward each op exactly as the till encoded it.
        let ranges = crate::msgpack::push_op_ranges(&raw).filter(|r| r.len() == push.ops.len());
        for (i, op) in push.ops.into_iter().enumerate() {
            check_till_op(&op, d.actor, &d.store)
                .map_err(|r| Refusal::new(rejection_code(&r), r.to_string()))?;
            if op.seq < next {
                continue; // a resend of something already submitted: acked again
            }
            if op.seq > next {
                return Err(Refusal::new(
                    ErrorCode::SequenceGap,
                    format!(
                        "op seq {} does not follow {}: resend from {next}",
                        op.seq,
                        next - 1
                    ),
                ));
            }
            next += 1;
            batch.push(match ranges.as_ref().and_then(|r| r.get(i)) {
                Some(range) => EncodedOp {
                    op,
                    bytes: raw.slice(range.clone()),
                },
                None => EncodedOp::new(op)?,
            });
        }
        self.next_seq = next;
        let up_to = next - 1;
        if batch.is_empty() {
            return Ok(Box::pin(async move { Ok(up_to) }));
        }
        let actor = d.actor;
        let permits = self
            .state
            .ingest_budget
            .clone()
            .acquire_many_owned(batch.len() as u32)
            .await
            .map_err(|_| Refusal::new(ErrorCode::Internal, "the hub is shutting down"))?;
        let rx = self
            .state
            .writer
            .submit(batch.len(), move |ap| {
                let _permits = permits; // released once the writer has taken the ops
                ap.apply_till_batch(actor, batch)
            })
            .await?;
        Ok(Box::pin(async move {
            rx.await.map_err(|_| HubError::WriterGone)?
        }))
    }
}

/// Downstream: send the till's scopes after `cursor`, then follow the log head.
async fn pump(
    state: Arc<AppState>,
    store: StoreId,
    actor: ActorId,
    mut cursor: u64,
    out: mpsc::Sender<Message>,
    sent_cursor: Arc<AtomicU64>,
) -> Result<(), HubError> {
    let scopes = Arc::new(feed::till_scopes(&store));
    let scope_ids: Vec<u32> = scopes.iter().map(|s| state.scopes.id(s)).collect();
    let mut head_rx = state.head.clone();
    let mut told_caught_up = false;
    let mut last_sent = Instant::now();
    loop {
        let head = *head_rx.borrow_and_update();
        if cursor < head {
            let scopes = scopes.clone();
            let from = cursor;
            let batch = match state
                .recent
                .read(&scope_ids, &actor, from, MAX_OPS_PER_FRAME)
            {
                Some(b) => b,
                None => {
                    state
                        .reads
                        .read(move |c| feed::read_log(c, &scopes, &actor, from, MAX_OPS_PER_FRAME))
                        .await?
                }
            };
            let caught_up = batch.to_cursor >= batch.head;
            let n = batch.ops.len();
            if n > 0 || (caught_up && !told_caught_up) || last_sent.elapsed() >= CURSOR_HEARTBEAT {
                let frame = feed::encode_ops_frame(from, batch.to_cursor, caught_up, &batch.ops);
                if out.send(Message::Binary(frame.into())).await.is_err() {
                    return Ok(());
                }
                state.metrics.ops_sent.inc_by(n as u64);
                sent_cursor.fetch_max(batch.to_cursor, Ordering::Relaxed);
                told_caught_up = caught_up;
                last_sent = Instant::now();
            }
            cursor = batch.to_cursor;
            if cursor < head && n == 0 && batch.to_cursor == from {
                // Nothing examined although behind: should not happen; avoid spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            continue;
        }
        if !told_caught_up {
            let frame = feed::encode_ops_frame::<Bytes>(cursor, cursor, true, &[]);
            if out.send(Message::Binary(frame.into())).await.is_err() {
                return Ok(());
            }
            told_caught_up = true;
            last_sent = Instant::now();
        }
        if head_rx.changed().await.is_err() {
            return Ok(());
        }
    }
}
