//! `pos-agent chat …` on a till prepared offline: output shapes, and refusals that exit 1
//! with one clear line and write nothing.

use std::path::Path;

use pos_agent::Till;
use sync_proto::chat::{Channel, ChatAuthor, ChatMessage, ChatSide, MessageKind};
use sync_proto::op::OpBody;
use sync_proto::people::{StaffRecord, StaffRole};
use sync_proto::{ActorId, Hlc, Op, Scope};
use uuid::Uuid;

mod common;
use common::{fails, json, ok, run};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));

fn unsent(dir: &Path) -> i64 {
    json(dir, &["status", "--json"])["unsent_ops"]
        .as_i64()
        .expect("unsent_ops")
}

fn pin_hash(pin: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[3u8; 16]).expect("salt");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn hub_op(seq: u64, body: OpBody) -> Op {
    Op {
        actor: HUB,
        seq,
        hlc: Hlc {
            wall_ms: 1_000 + seq,
            counter: 0,
            actor: HUB,
        },
        scope: Scope::Store("GN01".parse().expect("store")),
        body,
    }
}

/// A till of GN01 with staff kim (PIN 1234), an HQ message and an announcement to
/// acknowledge.
fn prepared_till() -> (tempfile::TempDir, Uuid) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 3).expect("open");
    let gn01 = || "GN01".parse().expect("store");
    let announcement = Uuid::from_u128(42);
    let hq = || ChatAuthor {
        side: ChatSide::Hq,
        username: Some("park".into()),
        display_name: "Park (HQ)".into(),
    };
    till.apply_downstream(
        &[
            hub_op(
                1,
                OpBody::StaffSet(StaffRecord {
                    id: Uuid::from_u128(1),
                    username: "kim".into(),
                    display_name: "Kim Minji".into(),
                    role: StaffRole::Cashier,
                    store: gn01(),
                    pin_hash: Some(pin_hash("1234")),
                    active: true,
                }),
            ),
            hub_op(
                2,
                OpBody::ChatMessage(ChatMessage {
                    id: Uuid::from_u128(2),
                    channel: Channel::Store(gn01()),
                    author: hq(),
                    text: "Good morning GN01".into(),
                    kind: MessageKind::Chat,
                    attachments: vec![],
                    written_at_ms: 1_000,
                }),
            ),
            hub_op(
                3,
                OpBody::ChatMessage(ChatMessage {
                    id: Uuid::from_u128(3),
                    channel: Channel::Notices(gn01()),
                    author: hq(),
                    text: "Close at 18:00 on Friday".into(),
                    kind: MessageKind::Announcement {
                        announcement,
                        title: "Early closing".into(),
                        requires_ack: true,
                    },
                    attachments: vec![],
                    written_at_ms: 1_000,
                }),
            ),
        ],
        3,
    )
    .expect("seed");
    (dir, announcement)
}

#[test]
fn chat_from_the_cli_offline() {
    let (dir, announcement) = prepared_till();
    let d = dir.path();
    let unread = json(d, &["chat", "unread", "--json"]);
    assert_eq!(unread[0]["channel"], "store:GN01");
    assert_eq!(unread[0]["unread"], 1);
    assert_eq!(unread[1]["unread"], 1);
    assert!(ok(d, &["status"]).contains("chat unread store:GN01: 1"));

    let sent = json(
        d,
        &["chat", "send", "Need more socks", "--pin", "1234", "--json"],
    );
    assert_eq!(sent["display_name"], "Kim Minji");
    assert_eq!(sent["mine"], true);
    let ticket_id = ok(
        d,
        &["chat", "send", "Lights broken", "--ticket", "facilities"],
    );
    let ticket_id = ticket_id.trim();
    assert!(
        Uuid::parse_str(ticket_id).is_ok(),
        "prints the id: {ticket_id}"
    );
    assert_eq!(unsent(d), 2, "two ops waiting for the hub");

    let list = json(d, &["chat", "list", "--json"]);
    let texts: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(
        texts,
        ["Good morning GN01", "Need more socks", "Lights broken"]
    );
    assert_eq!(
        json(d, &["chat", "list", "--limit", "1", "--json"])[0]["text"],
        "Lights broken"
    );
    assert!(ok(d, &["chat", "list", "--notices"]).contains("Early closing"));

    let tickets = json(d, &["chat", "tickets", "--json"]);
    assert_eq!(tickets[0]["status"], "open");
    assert_eq!(tickets[0]["category"], "facilities");
    assert!(ok(d, &["chat", "ticket", ticket_id, "--status", "resolved"]).contains("now resolved"));
    fails(
        d,
        &["chat", "ticket", ticket_id, "--status", "in_progress"],
        "only moves forward",
    );

    assert_eq!(ok(d, &["chat", "read"]).trim(), "marked read");
    assert_eq!(ok(d, &["chat", "read"]).trim(), "nothing new to mark read");
    assert_eq!(json(d, &["chat", "unread", "--json"])[0]["unread"], 0);

    let found = json(d, &["chat", "search", "socks", "--json"]);
    assert_eq!(found.as_array().map(Vec::len), Some(1));

    // Acknowledge: wrong PIN and unknown announcement write nothing; then once.
    let before = unsent(d);
    let id = announcement.to_string();
    fails(d, &["chat", "ack", &id, "--pin", "9999"], "wrong PIN");
    fails(
        d,
        &[
            "chat",
            "ack",
            &Uuid::from_u128(7).to_string(),
            "--pin",
            "1234",
        ],
        "no announcement",
    );
    assert_eq!(unsent(d), before);
    let acked = json(d, &["chat", "ack", &id, "--pin", "1234", "--json"]);
    assert_eq!(acked["by"], "kim");
    assert_eq!(acked["created"], true);
    assert!(ok(d, &["chat", "ack", &id, "--pin", "1234"]).contains("already acknowledged by kim"));
    assert_eq!(unsent(d), before + 1);
    let notices = json(d, &["chat", "list", "--notices", "--json"]);
    assert_eq!(notices[0]["acked_by"], "kim");
}

#[test]
fn chat_refusals_exit_1_with_a_clear_message_and_write_nothing() {
    let (dir, _) = prepared_till();
    let d = dir.path();
    let files = tempfile::tempdir().expect("tempdir");
    let exe = files.path().join("virus.exe");
    std::fs::write(&exe, b"MZ").expect("write");
    let fake_pdf = files.path().join("notice.pdf");
    std::fs::write(&fake_pdf, b"plain text").expect("write");
    let long = "x".repeat(4_001);
    fails(d, &["chat", "send", ""], "message is empty");
    fails(d, &["chat", "send", &long], "at most 4000");
    fails(
        d,
        &[
            "chat",
            "send",
            "look",
            "--attach",
            exe.to_str().expect("utf-8"),
        ],
        "not allowed",
    );
    fails(
        d,
        &[
            "chat",
            "send",
            "look",
            "--attach",
            fake_pdf.to_str().expect("utf-8"),
        ],
        "contents are not",
    );
    fails(d, &["chat", "send", "hi", "--pin", "0000"], "wrong PIN");
    fails(d, &["chat", "search", " "], "search for what");
    let out = run(d, &["chat", "send", "x", "--ticket", "weather"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap refuses an unknown category"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown ticket category"));
    assert_eq!(unsent(d), 0);
    assert_eq!(
        json(d, &["chat", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
