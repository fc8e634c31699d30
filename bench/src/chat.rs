//! Chat delivery latency: a message typed at a till reaches the HQ console.
//!
//! 1,000 tills (250 stores × 4) hold real sync WebSockets to one hub; an HQ console holds the
//! live event socket (`/api/v1/events`). Messages are written at random tills at a steady rate
//! as `ChatMessage` ops and pushed exactly as the till's sync client pushes them; the clock
//! runs from the moment the Push frame is handed to the socket until the console receives the
//! `chat_message` event with that message's id. Every message must arrive at the console
//! exactly once; the store's other tills drain the live fan-out as real tills do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::Rng;
use storelink_tests::{Hub, HubApi};
use sync_proto::chat::{Channel, ChatAuthor, ChatMessage, ChatSide, MessageKind};
use sync_proto::enrol::EnrolResponse;
use sync_proto::wire::{self, Frame, Hello, Push};
use sync_proto::{Hlc, Op, OpBody, Scope};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use crate::Scale;
use crate::ingest::{enrol_devices, seed_stores};
use crate::report::{Report, median};

/// Tills per store.
const TILLS_PER_STORE: usize = 4;

/// Send instants by message id, shared between the tills and the console reader.
type Pending = Arc<Mutex<HashMap<Uuid, Instant>>>;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One till: connect, Hello/Welcome, then push each message it is asked to write and drain
/// everything the hub sends (acks, the store's fan-out).
async fn till(
    url: String,
    device: EnrolResponse,
    mut writes: mpsc::Receiver<()>,
    pending: Pending,
    ready: mpsc::Sender<()>,
) -> Result<()> {
    let ws_url = format!("{}{}", url.replacen("http", "ws", 1), wire::SYNC_PATH);
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", device.credential).parse()?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (mut tx, mut rx) = ws.split();
    let hello = Frame::Hello(Hello {
        actor: device.actor,
        last_seq: 0,
        cursor: 1,
        app_version: "bench".into(),
    });
    tx.send(Message::Binary(wire::encode(&hello)?.into()))
        .await?;
    loop {
        match rx.next().await {
            Some(Ok(Message::Binary(b))) => match wire::decode(&b)? {
                Frame::Welcome(_) => break,
                Frame::Error(e) => bail!("till refused: {:?} {}", e.code, e.message),
                _ => continue,
            },
            Some(Ok(_)) => continue,
            _ => bail!("closed before Welcome"),
        }
    }
    ready.send(()).await.ok();
    let store = device.store.clone();
    let mut seq = 0u64;
    loop {
        tokio::select! {
            w = writes.recv() => {
                if w.is_none() {
                    break;
                }
                seq += 1;
                let id = Uuid::now_v7();
                let wall = now_ms();
                let op = Op {
                    actor: device.actor,
                    seq,
                    hlc: Hlc { wall_ms: wall, counter: 0, actor: device.actor },
                    scope: Scope::Store(store.clone()),
                    body: OpBody::ChatMessage(ChatMessage {
                        id,
                        channel: Channel::Store(store.clone()),
                        author: ChatAuthor {
                            side: ChatSide::Store,
                            username: None,
                            display_name: format!("Till {}", device.till_no),
                        },
                        text: format!("Bench message {seq}: the delivery for today is short by two boxes"),
                        kind: MessageKind::Chat,
                        attachments: vec![],
                        written_at_ms: wall as i64,
                    }),
                };
                let frame = wire::encode(&Frame::Push(Push { ops: vec![op] }))?;
                pending.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(id, Instant::now());
                tx.send(Message::Binary(frame.into())).await?;
            }
            msg = rx.next() => match msg {
                Some(Ok(Message::Binary(b))) if b.len() < 4_096 => {
                    if let Ok(Frame::Error(e)) = wire::decode(&b) {
                        bail!("till refused: {:?} {}", e.code, e.message);
                    }
                }
                Some(Ok(_)) => {}
                _ => bail!("till connection closed"),
            }
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    Ok(())
}

/// The console: the live event socket; records each chat message's latency once.
async fn console(
    url: String,
    token: String,
    pending: Pending,
    expected: usize,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Result<(Histogram<u64>, usize)> {
    let ws_url = format!("{}/api/v1/events", url.replacen("http", "ws", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (_tx, mut rx) = ws.split();
    let mut ready = Some(ready);
    let mut hist = Histogram::<u64>::new(3)?;
    let mut duplicates = 0usize;
    let mut seen = std::collections::HashSet::new();
    while seen.len() < expected {
        let msg = tokio::time::timeout(Duration::from_secs(30), rx.next())
            .await
            .context("console heard nothing for 30 s")?;
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            _ => bail!("event socket closed after {} messages", seen.len()),
        };
        let at = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&text)?;
        match v["type"].as_str() {
            Some("hello") => {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
            Some("lagged") => bail!("the console fell behind (lagged)"),
            Some("chat_message") => {
                let id: Uuid = v["message"]["id"]
                    .as_str()
                    .context("chat_message without message.id")?
                    .parse()?;
                let sent = pending
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .get(&id)
                    .copied();
                let Some(sent) = sent else { continue };
                if !seen.insert(id) {
                    duplicates += 1;
                    continue;
                }
                hist.record(at.duration_since(sent).as_micros() as u64)?;
            }
            _ => {}
        }
    }
    Ok((hist, duplicates))
}

/// One run: `messages` messages at `rate` per second over 1,000 tills; latencies in µs.
fn one_run(messages: usize, rate: u64, stores_n: usize) -> Result<(Histogram<u64>, usize)> {
    let dir = tempfile::tempdir()?;
    let hub = Hub::start(dir.path())?;
    let api = HubApi::login(&hub)?;
    let stores = seed_stores(&api, stores_n)?;
    let devices = enrol_devices(&hub, &api, &stores, TILLS_PER_STORE)?;
    let url = hub.url();
    let token = api.token().to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let pending: Pending = Arc::default();
        let (console_ready_tx, console_ready) = tokio::sync::oneshot::channel();
        let console = tokio::spawn(console(
            url.clone(),
            token,
            pending.clone(),
            messages,
            console_ready_tx,
        ));
        console_ready
            .await
            .context("console socket never said hello")?;
        let (ready_tx, mut ready_rx) = mpsc::channel(devices.len());
        let mut writers = Vec::new();
        let mut tills = Vec::new();
        for d in devices {
            let (w_tx, w_rx) = mpsc::channel(64);
            writers.push(w_tx);
            tills.push(tokio::spawn(till(
                url.clone(),
                d,
                w_rx,
                pending.clone(),
                ready_tx.clone(),
            )));
        }
        drop(ready_tx);
        for _ in 0..writers.len() {
            ready_rx.recv().await.context("a till never connected")?;
        }
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
        for _ in 0..messages {
            tick.tick().await;
            let i = rand::thread_rng().gen_range(0..writers.len());
            writers[i].send(()).await.context("till task ended")?;
        }
        let (hist, duplicates) = console.await??;
        drop(writers);
        for t in tills {
            t.await??;
        }
        Ok((hist, duplicates))
    })
}

/// Till → HQ console chat latency with 1,000 connected tills.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let messages = (3_000 / scale.shrink as usize).max(100);
    let stores = 1_000 / TILLS_PER_STORE;
    let rate = 100;
    let mut p50s = Vec::new();
    let mut p99s = Vec::new();
    for _ in 0..scale.runs {
        let (hist, duplicates) = one_run(messages, rate, stores)?;
        if duplicates > 0 {
            bail!("{duplicates} chat messages reached the console twice");
        }
        p50s.push(hist.value_at_quantile(0.50) as f64 / 1000.0);
        p99s.push(hist.value_at_quantile(0.99) as f64 / 1000.0);
    }
    let p99 = median(p99s);
    report.add(
        "chat: till message → HQ console, 1,000 connected tills",
        format!("p50 {:.1} ms, p99 {p99:.1} ms", median(p50s)),
        "p99 ≤ 200 ms",
        Some(p99 <= 200.0),
        "—".into(),
        format!(
            "{} stores × {TILLS_PER_STORE} tills on real sync sockets, one console on /api/v1/events; {messages} messages at {rate}/s from random tills, timed from the Push leaving the till to the console's chat_message event (commit and fan-out included); every message arrives once; median of {} runs",
            stores, scale.runs
        ),
    );
    Ok(())
}
