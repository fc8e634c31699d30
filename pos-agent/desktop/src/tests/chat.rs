//! Chat command tests on `tauri::test::mock_builder()` (the [`super::TestApp`] harness):
//! sending as the unlocked staff member with picked files, paging in HLC order,
//! acknowledging a notice with a PIN, raising a request, unread counts, attachments back
//! as data URLs — and every refusal with its code.

use base64::Engine as _;
use serde_json::{Value, json};
use sync_proto::chat::{Channel, ChatAuthor, ChatMessage, ChatSide, MessageKind};
use sync_proto::op::OpBody;
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use tauri::Manager;
use uuid::Uuid;

use super::{CASHIER_PIN, MANAGER_PIN, TestApp};
use crate::state::PosState;

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));

fn gn01() -> StoreId {
    "GN01".parse().expect("store")
}

fn png() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(b"a photo of a damaged box");
    b
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An HQ op carrying `body` at wall time `wall`.
fn hq_op(seq: u64, wall: u64, m: ChatMessage) -> Op {
    Op {
        actor: HUB,
        seq,
        hlc: Hlc {
            wall_ms: wall,
            counter: 0,
            actor: HUB,
        },
        scope: Scope::Store(gn01()),
        body: OpBody::ChatMessage(m),
    }
}

fn hq_message(id: u128, channel: Channel, kind: MessageKind, text: &str) -> ChatMessage {
    ChatMessage {
        id: Uuid::from_u128(id),
        channel,
        author: ChatAuthor {
            side: ChatSide::Hq,
            username: Some("lee".into()),
            display_name: "Lee (HQ)".into(),
        },
        text: text.into(),
        kind,
        attachments: vec![],
        written_at_ms: 1_000,
    }
}

impl TestApp {
    /// Deliver ops from the hub as a sync would.
    fn downstream(&self, ops: &[Op]) {
        let state = self._app.state::<PosState>();
        let mut till = state.till().expect("till");
        till.apply_downstream(ops, ops.len() as u64).expect("apply");
    }

    fn channel<'a>(channels: &'a Value, kind: &str) -> &'a Value {
        channels
            .as_array()
            .and_then(|a| a.iter().find(|c| c["kind"] == kind))
            .unwrap_or_else(|| panic!("no {kind} channel in {channels}"))
    }
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn chat_needs_an_unlocked_till() {
    let t = TestApp::new();
    for (cmd, args) in [
        ("chat_channels", json!({})),
        ("chat_messages", json!({ "kind": "store" })),
        ("chat_send", json!({ "kind": "store", "text": "hi" })),
        ("chat_read", json!({ "kind": "store" })),
        (
            "chat_ack",
            json!({ "announcement": "x", "pin": CASHIER_PIN }),
        ),
        ("chat_tickets", json!({})),
        (
            "chat_raise_ticket",
            json!({ "category": "it", "text": "printer" }),
        ),
        ("chat_search", json!({ "text": "x" })),
        ("chat_attachment", json!({ "sha256": "ab" })),
    ] {
        assert_eq!(t.err_code(cmd, args), "not_unlocked", "{cmd}");
    }
}

#[test]
fn a_message_with_a_photo_is_sent_as_the_unlocked_staff_and_listed_in_order() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    // HQ wrote first (an hour ago by the hub's clock).
    let now = pos_agent::db::now_ms();
    t.downstream(&[hq_op(
        1,
        now - 3_600_000,
        hq_message(
            1,
            Channel::Store(gn01()),
            MessageKind::Chat,
            "Window display ready?",
        ),
    )]);
    let chans = t.ok("chat_channels", json!({}));
    assert_eq!(TestApp::channel(&chans, "store")["unread"], 1);
    assert_eq!(TestApp::channel(&chans, "notices")["unread"], 0);

    let id = Uuid::now_v7().to_string();
    let sent = t.ok(
        "chat_send",
        json!({
            "kind": "store",
            "text": "Yes, photo attached",
            "attachments": [{ "name": "window.png", "bytes": format!("data:image/png;base64,{}", b64(&png())) }],
            "id": id,
        }),
    );
    let m = &sent["message"];
    assert_eq!(sent["created"], true);
    assert_eq!(m["id"], id.as_str());
    assert_eq!(
        m["username"], "kim",
        "the author is the unlocked staff member"
    );
    assert_eq!(m["side"], "store");
    assert_eq!(m["mine"], true);
    assert_eq!(m["attachments"][0]["name"], "window.png");
    assert_eq!(m["attachments"][0]["mime"], "image/png");
    assert_eq!(m["attachments"][0]["state"], "pending");
    // A retry with the same id stores nothing new.
    let again = t.ok(
        "chat_send",
        json!({ "kind": "store", "text": "Yes, photo attached", "id": id }),
    );
    assert_eq!(again["created"], false);

    let list = t.ok("chat_messages", json!({ "kind": "store" }));
    assert_eq!(
        texts(&list),
        ["Window display ready?", "Yes, photo attached"]
    );
    let older = t.ok(
        "chat_messages",
        json!({ "kind": "store", "before": id, "limit": 10 }),
    );
    assert_eq!(texts(&older), ["Window display ready?"]);

    // The photo comes back as a data URL with the same bytes.
    let sha = m["attachments"][0]["sha256"]
        .as_str()
        .expect("sha")
        .to_owned();
    let data = t.ok("chat_attachment", json!({ "sha256": sha }));
    assert_eq!(data["mime"], "image/png");
    assert_eq!(
        data["data_url"],
        format!("data:image/png;base64,{}", b64(&png()))
    );
    let saved = t.ok("chat_save_attachment", json!({ "sha256": sha }));
    let saved = std::path::PathBuf::from(saved.as_str().expect("path"));
    assert_eq!(std::fs::read(&saved).expect("saved file"), png());
    assert!(
        saved.ends_with("downloads/window.png"),
        "{}",
        saved.display()
    );

    // Reading clears the unread count, once.
    assert_eq!(t.ok("chat_read", json!({ "kind": "store" })), true);
    assert_eq!(t.ok("chat_read", json!({ "kind": "store" })), false);
    let chans = t.ok("chat_channels", json!({}));
    let store = TestApp::channel(&chans, "store");
    assert_eq!(store["unread"], 0);
    assert_eq!(store["latest"], list[1]["order"]);

    let found = t.ok("chat_search", json!({ "text": "PHOTO" }));
    assert_eq!(texts(&found), ["Yes, photo attached"]);
    assert_eq!(
        t.err_code("chat_search", json!({ "text": "  " })),
        "empty_search"
    );
}

#[test]
fn bad_files_and_notices_are_refused_with_codes_and_nothing_is_written() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let send = |files: Value| {
        t.invoke(
            "chat_send",
            json!({ "kind": "store", "text": "see file", "attachments": files }),
        )
        .expect_err("refused")
    };
    // A text file named .png: the magic bytes give it away.
    let e = send(json!([{ "name": "fake.png", "bytes": b64(b"hello") }]));
    assert_eq!(e["code"], "attachment_refused");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("fake.png")),
        "{e}"
    );
    // Not an allowed type; number-array bytes work the same.
    let e = send(json!([{ "name": "run.exe", "bytes": [77, 90, 144, 0] }]));
    assert_eq!(e["code"], "attachment_refused");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("not allowed")),
        "{e}"
    );
    let e = send(json!([{ "name": "x.png", "bytes": "@@not base64@@" }]));
    assert_eq!(e["code"], "attachment_refused");
    let five: Vec<Value> = (0..5)
        .map(|i| json!({ "name": format!("p{i}.png"), "bytes": b64(&png()) }))
        .collect();
    assert_eq!(send(json!(five))["code"], "message_refused");
    assert_eq!(
        t.err_code("chat_send", json!({ "kind": "store", "text": "  " })),
        "message_refused"
    );
    assert_eq!(
        t.err_code(
            "chat_send",
            json!({ "kind": "notices", "text": "hello HQ" })
        ),
        "notices_read_only"
    );
    assert_eq!(
        t.err_code(
            "chat_send",
            json!({ "kind": "store", "text": "x", "id": "not-a-uuid" })
        ),
        "invalid_input"
    );
    let list = t.ok("chat_messages", json!({ "kind": "store" }));
    assert_eq!(list, json!([]), "nothing was written");
    assert_eq!(t.ok("status", json!({}))["unsent_ops"], 0);
    assert_eq!(
        t.err_code("chat_attachment", json!({ "sha256": "b".repeat(64) })),
        "unknown_attachment"
    );
}

#[test]
fn a_notice_is_acknowledged_with_a_pin_once() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let announcement = Uuid::from_u128(77);
    t.downstream(&[hq_op(
        1,
        pos_agent::db::now_ms() - 1_000,
        hq_message(
            78,
            Channel::Notices(gn01()),
            MessageKind::Announcement {
                announcement,
                title: "New returns policy".into(),
                requires_ack: true,
            },
            "From Monday returns need the receipt.",
        ),
    )]);
    let chans = t.ok("chat_channels", json!({}));
    let notices = TestApp::channel(&chans, "notices");
    assert_eq!(notices["unread"], 1);
    assert_eq!(notices["pending_acks"], 1);

    let wrong = t
        .invoke(
            "chat_ack",
            json!({ "announcement": announcement.to_string(), "pin": "0000" }),
        )
        .expect_err("wrong PIN");
    assert_eq!(wrong["code"], "wrong_pin");
    let list = t.ok("chat_messages", json!({ "kind": "notices" }));
    assert_eq!(
        list[0]["acked_by"],
        Value::Null,
        "a wrong PIN writes nothing"
    );
    assert_eq!(
        t.err_code(
            "chat_ack",
            json!({ "announcement": Uuid::from_u128(5).to_string(), "pin": CASHIER_PIN })
        ),
        "unknown_announcement"
    );

    // The manager acknowledges at the cashier's till: the PIN says who.
    let ack = t.ok(
        "chat_ack",
        json!({ "announcement": announcement.to_string(), "pin": MANAGER_PIN }),
    );
    assert_eq!(ack["created"], true);
    assert_eq!(ack["title"], "New returns policy");
    let by = ack["by"].as_str().expect("by").to_owned();
    assert!(by.contains("park") || by.contains("PARK"), "{by}");
    let again = t.ok(
        "chat_ack",
        json!({ "announcement": announcement.to_string(), "pin": CASHIER_PIN }),
    );
    assert_eq!(again["created"], false);
    assert_eq!(again["by"], by.as_str(), "the first acknowledgement stays");
    let list = t.ok("chat_messages", json!({ "kind": "notices" }));
    assert_eq!(list[0]["acked_by"], by.as_str());
    let chans = t.ok("chat_channels", json!({}));
    assert_eq!(TestApp::channel(&chans, "notices")["pending_acks"], 0);
    // Nobody writes into the notices from a till.
    assert_eq!(
        t.err_code("chat_send", json!({ "kind": "notices", "text": "ok" })),
        "notices_read_only"
    );
}

#[test]
fn a_request_is_raised_as_the_staff_member_and_listed_open() {
    let t = TestApp::new();
    t.ok("unlock", json!({ "pin": CASHIER_PIN }));
    let sent = t.ok(
        "chat_raise_ticket",
        json!({ "category": "it", "text": "Receipt printer jams" }),
    );
    let m = &sent["message"];
    assert_eq!(m["kind"], "ticket");
    assert_eq!(m["category"], "it");
    assert_eq!(m["ticket_status"], "open");
    assert_eq!(m["username"], "kim");
    let tickets = t.ok("chat_tickets", json!({}));
    assert_eq!(tickets[0]["id"], m["id"]);
    assert_eq!(tickets[0]["status"], "open");
    assert_eq!(tickets[0]["text"], "Receipt printer jams");
    let chans = t.ok("chat_channels", json!({}));
    assert_eq!(TestApp::channel(&chans, "store")["open_tickets"], 1);
    // An unknown category is refused by the argument parser before anything runs.
    assert!(
        t.invoke(
            "chat_raise_ticket",
            json!({ "category": "coffee", "text": "more please" })
        )
        .is_err()
    );
    assert_eq!(
        t.ok("chat_tickets", json!({})).as_array().map(Vec::len),
        Some(1)
    );
}
