//! Issue 6 end to end with real processes: a till that cannot reach the hub writes three
//! messages while HQ writes two; when the till syncs, the till (`chat list --json`) and the
//! hub (REST) show the same five messages in the same order — the order of the ops' HLCs,
//! not of arrival — none twice, with the right unread counts on both sides. A `kill -9` of
//! the sync daemon right after `chat send` returns loses nothing, a resend of the same
//! message id (by the CLI, or re-pushed under a new seq as after a lost ack) is stored once,
//! and an attachment written offline is uploaded by the sync and fetched by another till.

use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use storelink_tests::{RawSync, SmallChain, Till, enrol_device};
use sync_proto::chat::{Channel, ChatAuthor, ChatMessage, ChatSide, MessageKind};
use sync_proto::op::OpBody;
use sync_proto::wire::{Frame, Hello, Push};
use sync_proto::{Hlc, Op, Scope};

const CHANNEL: &str = "store:GN01";

/// `(id, order, text)` of each message in a JSON array.
fn triples(messages: &Value) -> Result<Vec<(String, String, String)>> {
    messages
        .as_array()
        .context("an array of messages")?
        .iter()
        .map(|m| {
            Ok((
                m["id"].as_str().context("id")?.to_owned(),
                m["order"].as_str().context("order")?.to_owned(),
                m["text"].as_str().context("text")?.to_owned(),
            ))
        })
        .collect()
}

/// `chat list --json` of a till: `(id, order, text)` per message.
fn till_messages(till: &Till) -> Result<Vec<(String, String, String)>> {
    triples(&serde_json::from_str(
        &till.ok(&["chat", "list", "--json"])?,
    )?)
}

/// The hub's messages of GN01's chat: `(id, order, text)`.
fn hub_messages(chain: &SmallChain) -> Result<Vec<(String, String, String)>> {
    let v = chain
        .api
        .get(&format!("chat/channels/{CHANNEL}/messages?limit=500"))?;
    triples(&v["messages"])
}

fn till_unread(till: &Till) -> Result<Vec<u64>> {
    let v: Value = serde_json::from_str(&till.ok(&["chat", "unread", "--json"])?)?;
    Ok(v.as_array()
        .context("array")?
        .iter()
        .map(|c| c["unread"].as_u64().unwrap_or(u64::MAX))
        .collect())
}

/// The admin's unread count of GN01's chat, as the console's channel list shows it.
fn hub_unread(chain: &SmallChain) -> Result<u64> {
    let v = chain.api.get("chat/channels")?;
    v.as_array()
        .context("array")?
        .iter()
        .find(|c| c["channel"] == CHANNEL)
        .and_then(|c| c["unread"].as_u64())
        .context("GN01's chat listed with an unread count")
}

fn hq_post(chain: &SmallChain, text: &str) -> Result<String> {
    let m = chain.api.post(
        &format!("chat/channels/{CHANNEL}/messages"),
        json!({ "text": text }),
    )?;
    Ok(m["id"].as_str().context("id")?.to_owned())
}

fn send(till: &Till, text: &str) -> Result<String> {
    Ok(till.ok(&["chat", "send", text])?.trim().to_owned())
}

fn texts(v: &[(String, String, String)]) -> Vec<&str> {
    v.iter().map(|(_, _, t)| t.as_str()).collect()
}

/// A pause so that consecutive writes on the two sides get distinct wall times.
fn tick() {
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn offline_till_and_hq_converge_on_the_same_five_messages_in_hlc_order() -> Result<()> {
    let mut chain = SmallChain::start()?;
    let till = chain.till("t1", "GN01")?;

    // The hub goes down: the till writes its first message offline.
    chain.hub.kill9();
    let t1 = send(&till, "till 1: delivery short by 3 boxes")?;
    assert_eq!(till.status()?["unsent_ops"], 1);
    let down = till.run(&["sync", "--once"])?;
    assert_eq!(down.status.code(), Some(2), "hub unreachable");

    // Back up, but the till does not sync yet; both sides keep writing, interleaved.
    chain.hub.restart()?;
    tick();
    let h1 = hq_post(&chain, "hq 1: which items?")?;
    tick();
    let t2 = send(&till, "till 2: the socks")?;
    tick();
    let h2 = hq_post(&chain, "hq 2: sending more tomorrow")?;
    tick();
    let t3 = send(&till, "till 3: thanks")?;
    assert_eq!(
        texts(&hub_messages(&chain)?),
        ["hq 1: which items?", "hq 2: sending more tomorrow"]
    );
    assert_eq!(
        till_unread(&till)?,
        [0, 0],
        "the till has seen nothing of HQ yet"
    );

    till.sync()?;

    let at_till = till_messages(&till)?;
    let at_hub = hub_messages(&chain)?;
    let ids: Vec<&str> = at_till.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [&t1, &h1, &t2, &h2, &t3],
        "HLC order, not arrival order"
    );
    assert_eq!(
        at_till, at_hub,
        "the same five, same order keys, on both sides"
    );
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "none twice");

    // Unread: the till has HQ's two; the admin has the till's three (not their own two).
    assert_eq!(till_unread(&till)?, [2, 0]);
    assert_eq!(hub_unread(&chain)?, 3);
    assert!(till.ok(&["status"])?.contains("chat unread store:GN01: 2"));

    // Both read: counts drop to zero on both sides, and the till sees "seen by HQ".
    till.ok(&["chat", "read"])?;
    assert_eq!(till_unread(&till)?, [0, 0]);
    let last_order = &at_hub[4].1;
    chain.api.post_empty(
        &format!("chat/channels/{CHANNEL}/read"),
        json!({ "up_to": last_order }),
    )?;
    assert_eq!(hub_unread(&chain)?, 0);
    till.sync()?;
    let v: Value = serde_json::from_str(&till.ok(&["chat", "list", "--json"])?)?;
    assert!(
        v.as_array()
            .context("array")?
            .iter()
            .filter(|m| m["mine"] == true)
            .all(|m| m["seen_by_hq"] == true),
        "HQ's read position reached the till: {v}"
    );
    assert_eq!(till.status()?["unsent_ops"], 0);
    Ok(())
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kill9_after_send_loses_nothing_and_resends_are_stored_once() -> Result<()> {
    let chain = SmallChain::start()?;
    let till = chain.till("t1", "GN01")?;

    // The daemon is running; it is killed the moment `chat send` returns.
    let mut daemon = Daemon(
        till.command(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let id = send(&till, "sent just before the crash")?;
    daemon.0.kill()?;
    daemon.0.wait()?;
    till.sync()?;
    let at_hub = hub_messages(&chain)?;
    assert_eq!(
        at_hub.iter().filter(|(i, _, _)| *i == id).count(),
        1,
        "committed at the till before the crash, so at the hub, once: {at_hub:?}"
    );

    // A client retry with the same id: one message at the till and at the hub.
    let retry_id = uuid::Uuid::now_v7().to_string();
    for _ in 0..2 {
        till.ok(&["chat", "send", "retried", "--id", &retry_id])?;
    }
    assert_eq!(
        till.status()?["unsent_ops"],
        1,
        "the retry wrote no second op"
    );
    till.sync()?;
    let at_hub = hub_messages(&chain)?;
    assert_eq!(at_hub.iter().filter(|(i, _, _)| *i == retry_id).count(), 1);
    assert_eq!(till_messages(&till)?, at_hub);

    // A till that lost its ack and pushes the same message again under a new seq.
    let device = enrol_device(&chain.hub, &chain.api, "GN01")?;
    let rt = tokio::runtime::Runtime::new()?;
    let message = ChatMessage {
        id: uuid::Uuid::now_v7(),
        channel: Channel::Store("GN01".parse()?),
        author: ChatAuthor {
            side: ChatSide::Store,
            username: None,
            display_name: "GN01 till 09".into(),
        },
        text: "pushed twice".into(),
        kind: MessageKind::Chat,
        attachments: vec![],
        written_at_ms: 1,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let op = |seq: u64| Op {
        actor: device.actor,
        seq,
        hlc: Hlc {
            wall_ms: now + seq,
            counter: 0,
            actor: device.actor,
        },
        scope: Scope::Store("GN01".parse().expect("store")),
        body: OpBody::ChatMessage(message.clone()),
    };
    rt.block_on(async {
        let mut raw = RawSync::connect(&chain.hub.url(), &device.credential).await?;
        raw.send(&Frame::Hello(Hello {
            actor: device.actor,
            last_seq: 2,
            cursor: 0,
            app_version: "raw-test".into(),
        }))
        .await?;
        raw.recv_until(|f| matches!(f, Frame::Welcome(_))).await?;
        raw.send(&Frame::Push(Push { ops: vec![op(1)] })).await?;
        raw.recv_until(|f| matches!(f, Frame::Ack(a) if a.up_to_seq == 1))
            .await?;
        raw.send(&Frame::Push(Push { ops: vec![op(2)] })).await?;
        raw.recv_until(|f| matches!(f, Frame::Ack(a) if a.up_to_seq == 2))
            .await?;
        anyhow::Ok(())
    })?;
    let at_hub = hub_messages(&chain)?;
    let copies: Vec<_> = at_hub
        .iter()
        .filter(|(i, _, _)| *i == message.id.to_string())
        .collect();
    assert_eq!(copies.len(), 1, "stored once: {at_hub:?}");
    till.sync()?;
    assert_eq!(till_messages(&till)?, hub_messages(&chain)?);
    Ok(())
}

/// A tiny valid-looking PNG: the magic bytes and some payload.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend((0..5_000u32).map(|i| (i % 251) as u8));
    b
}

#[test]
fn an_attachment_written_offline_is_uploaded_and_fetched_by_another_till() -> Result<()> {
    let mut chain = SmallChain::start()?;
    let t1 = chain.till("t1", "GN01")?;
    let t2 = chain.till("t2", "GN01")?;
    let photo = chain.root.path().join("damaged box.png");
    std::fs::write(&photo, png())?;

    chain.hub.kill9();
    let sent: Value = serde_json::from_str(&t1.ok(&[
        "chat",
        "send",
        "box arrived crushed",
        "--ticket",
        "delivery",
        "--attach",
        photo.to_str().context("utf-8 path")?,
        "--json",
    ])?)?;
    let sha = sent["attachments"][0]["sha256"]
        .as_str()
        .context("sha256")?
        .to_owned();
    assert_eq!(sent["attachments"][0]["state"], "pending");
    chain.hub.restart()?;
    t1.sync()?;

    let at_hub = chain
        .api
        .get(&format!("chat/channels/{CHANNEL}/messages"))?;
    let m = &at_hub["messages"][0];
    assert_eq!(m["kind"], "ticket");
    assert_eq!(m["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(m["attachments"][0]["uploaded"], true, "{m}");
    let listed: Value = serde_json::from_str(&t1.ok(&["chat", "list", "--json"])?)?;
    assert_eq!(listed[0]["attachments"][0]["state"], "uploaded");

    // The other till gets the message, then the bytes on demand.
    t2.sync()?;
    let out = chain.root.path().join("fetched.png");
    let missing = t2.run(&[
        "chat",
        "attachment",
        &"0".repeat(64),
        "--out",
        out.to_str().context("utf-8")?,
    ])?;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no message at this till"));
    t2.ok(&[
        "chat",
        "attachment",
        &sha,
        "--out",
        out.to_str().context("utf-8")?,
    ])?;
    assert_eq!(std::fs::read(&out)?, png());
    let listed: Value = serde_json::from_str(&t2.ok(&["chat", "list", "--json"])?)?;
    assert_eq!(listed[0]["attachments"][0]["state"], "cached");
    Ok(())
}

#[test]
fn a_till_enrolled_later_gets_the_recent_chat_and_its_unread_count() -> Result<()> {
    let chain = SmallChain::start()?;
    let t1 = chain.till("t1", "GN01")?;
    let first = send(&t1, "from the first till")?;
    t1.sync()?;
    let hq = hq_post(&chain, "welcome, new till")?;

    let t2 = chain.till("t2", "GN01")?;
    let at_t2 = till_messages(&t2)?;
    let ids: Vec<&str> = at_t2.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [&first, &hq],
        "the store's chat came with the snapshot"
    );
    assert_eq!(at_t2, hub_messages(&chain)?);
    assert_eq!(
        till_unread(&t2)?,
        [2, 0],
        "another till's message and HQ's are unread here"
    );
    assert_eq!(
        till_unread(&t1)?,
        [0, 0],
        "t1 has not synced HQ's message yet"
    );
    t1.sync()?;
    assert_eq!(
        till_unread(&t1)?,
        [1, 0],
        "only HQ's: its own is not unread"
    );
    Ok(())
}
