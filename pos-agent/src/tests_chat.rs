//! Tests of the chat at the till (issue 6) against a real SQLite file: every op the till
//! writes passes the hub's `check_till_op`; order is the op's HLC then the id, whatever the
//! arrival; the SQL projection equals the `ChatState` specification under any delivery
//! order and duplicates; refusals write nothing.

use std::path::Path;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use proptest::prelude::*;
use rusqlite::Connection;
use sync_proto::chat::{
    AnnouncementAck, AttachmentRef, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide,
    ChatState, MAX_ATTACHMENT_BYTES, MAX_MESSAGE_TEXT, MessageKind, Reader, TicketCategory,
    TicketStatus, TicketUpdate,
};
use sync_proto::op::OpBody;
use sync_proto::people::{StaffRecord, StaffRole};
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use tempfile::TempDir;
use uuid::Uuid;

use crate::chat::{self, ChannelKind, ChatError, files};
use crate::db;
use crate::{ChatSend, Till, TillError};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const OTHER_TILL: ActorId = ActorId(Uuid::from_bytes([7; 16]));

fn gn01() -> StoreId {
    "GN01".parse().expect("store")
}

fn store_chan() -> Channel {
    Channel::Store(gn01())
}

fn notices() -> Channel {
    Channel::Notices(gn01())
}

fn till() -> (TempDir, Till) {
    let dir = tempfile::tempdir().expect("tempdir");
    let till = Till::open_offline(dir.path(), "GN01", 2).expect("open");
    (dir, till)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

fn outbox_len(till: &Till) -> usize {
    till.outbox(1, 10_000).expect("outbox").len()
}

fn hlc(wall: u64, counter: u32, actor: ActorId) -> Hlc {
    Hlc {
        wall_ms: wall,
        counter,
        actor,
    }
}

fn op_at(actor: ActorId, seq: u64, at: Hlc, body: OpBody) -> Op {
    Op {
        actor,
        seq,
        hlc: at,
        scope: Scope::Store(gn01()),
        body,
    }
}

fn hq_author() -> ChatAuthor {
    ChatAuthor {
        side: ChatSide::Hq,
        username: Some("park".into()),
        display_name: "Park (HQ)".into(),
    }
}

fn message(id: Uuid, channel: Channel, kind: MessageKind, text: &str) -> ChatMessage {
    ChatMessage {
        id,
        channel,
        author: hq_author(),
        text: text.into(),
        kind,
        attachments: vec![],
        written_at_ms: 1_000,
    }
}

/// An HQ chat message carried by a hub op at wall time `wall`.
fn hq_msg(seq: u64, wall: u64, id: u128, text: &str) -> Op {
    op_at(
        HUB,
        seq,
        hlc(wall, 0, HUB),
        OpBody::ChatMessage(message(
            Uuid::from_u128(id),
            store_chan(),
            MessageKind::Chat,
            text,
        )),
    )
}

fn announcement(seq: u64, wall: u64, id: u128, requires_ack: bool) -> Op {
    op_at(
        HUB,
        seq,
        hlc(wall, 0, HUB),
        OpBody::ChatMessage(message(
            Uuid::from_u128(id + 1_000),
            notices(),
            MessageKind::Announcement {
                announcement: Uuid::from_u128(id),
                title: format!("Notice {id}"),
                requires_ack,
            },
            "Please read this",
        )),
    )
}

fn text(s: &str) -> ChatSend {
    ChatSend {
        text: s.into(),
        ..ChatSend::default()
    }
}

fn ids(views: &[chat::ChatMessageView]) -> Vec<Uuid> {
    views.iter().map(|m| m.id).collect()
}

fn pin_hash(pin: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn give_staff(till: &mut Till) {
    let staff = StaffRecord {
        id: Uuid::from_u128(77),
        username: "kim".into(),
        display_name: "Kim Minji".into(),
        role: StaffRole::StoreManager,
        store: gn01(),
        pin_hash: Some(pin_hash("1234")),
        active: true,
    };
    till.apply_downstream(
        &[op_at(HUB, 1, hlc(500, 0, HUB), OpBody::StaffSet(staff))],
        1,
    )
    .expect("staff");
}

fn assert_hub_accepts(till: &Till, ops: &[Op]) {
    let e = till.enrolment().expect("enrolment").expect("enrolled");
    assert!(!ops.is_empty(), "an op was written");
    for op in ops {
        check_till_op(op, e.actor, &e.store).unwrap_or_else(|r| panic!("hub refuses {op:?}: {r}"));
    }
}

fn png_bytes() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(b"not really an image but the magic is right");
    b
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

// ------------------------------------------------------------------ sending

#[test]
fn a_message_commits_with_its_op_survives_reopen_and_the_hub_accepts_it() {
    let (dir, mut till) = till();
    give_staff(&mut till);
    let before = outbox_len(&till);
    let sent = till
        .send_chat(&text("Delivery came short 3 boxes"))
        .expect("send");
    assert!(sent.created);
    assert_eq!(outbox_len(&till), before + 1, "one op in the outbox");
    assert_hub_accepts(&till, &sent.ops);
    let OpBody::ChatMessage(m) = &sent.ops[0].body else {
        panic!("a chat message op: {:?}", sent.ops[0]);
    };
    assert_eq!(m.id, sent.message.id);
    assert_eq!(m.channel, store_chan());
    assert_eq!(m.author.side, ChatSide::Store);
    assert_eq!(m.author.username, None);
    assert_eq!(m.author.display_name, "GN01 till 02");
    assert_eq!(sent.ops[0].scope, Scope::Store(gn01()));
    assert_eq!(
        sent.message.order,
        chat::order_key(&sent.ops[0].hlc, &sent.message.id)
    );

    // Signed by the staff member whose PIN it is.
    let kim = till.unlock("1234").expect("pin");
    let signed = till
        .send_chat(&ChatSend {
            text: "Kim here".into(),
            author: Some(kim),
            ..ChatSend::default()
        })
        .expect("send");
    assert_eq!(signed.message.username.as_deref(), Some("kim"));
    assert_eq!(signed.message.display_name, "Kim Minji");
    assert_hub_accepts(&till, &signed.ops);

    drop(till);
    let till = Till::open(dir.path()).expect("reopen");
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(ids(&list), vec![sent.message.id, signed.message.id]);
    assert!(list.iter().all(|m| m.mine));
    assert_eq!(list[0].text, "Delivery came short 3 boxes");
}

#[test]
fn a_resend_with_the_same_id_writes_nothing() {
    let (_dir, mut till) = till();
    let id = Uuid::now_v7();
    let req = ChatSend {
        id: Some(id),
        ..text("hello")
    };
    let first = till.send_chat(&req).expect("send");
    let before = outbox_len(&till);
    let again = till.send_chat(&req).expect("resend");
    assert!(first.created && !again.created);
    assert_eq!(again.message.id, id);
    assert!(again.ops.is_empty());
    assert_eq!(outbox_len(&till), before);
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM chat_message"),
        1
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_is_written() {
    let (dir, mut till) = till();
    let files_dir = tempfile::tempdir().expect("tempdir");
    let jpeg_named_png = write_file(files_dir.path(), "photo.jpg", &png_bytes());
    let text_as_pdf = write_file(files_dir.path(), "notice.pdf", b"hello, not a pdf");
    let exe = write_file(files_dir.path(), "setup.exe", b"MZ\x90\x00");
    let empty = write_file(files_dir.path(), "empty.png", b"");
    let huge = files_dir.path().join("huge.png");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(MAX_ATTACHMENT_BYTES + 1))
        .expect("sparse file");
    let good = write_file(files_dir.path(), "ok.png", &png_bytes());

    let attach = |files: Vec<std::path::PathBuf>| ChatSend {
        text: "see attached".into(),
        attachments: files,
        ..ChatSend::default()
    };
    let cases: Vec<(ChatSend, &str)> = vec![
        (text(""), "message is empty"),
        (text("   \n "), "message is empty"),
        (text(&"가".repeat(MAX_MESSAGE_TEXT / 3 + 1)), "at most 4000"),
        (attach(vec![exe]), "not allowed"),
        (attach(vec![jpeg_named_png]), "contents are not"),
        (attach(vec![text_as_pdf]), "contents are not"),
        (attach(vec![empty]), "empty"),
        (attach(vec![huge]), "at most 10 MiB"),
        (attach(vec![good.clone(); 5]), "at most 4"),
        (
            attach(vec![files_dir.path().join("missing.png")]),
            "cannot attach",
        ),
        (
            attach(vec![good, files_dir.path().to_path_buf()]),
            "cannot attach",
        ),
    ];
    for (req, needle) in cases {
        let err = till.send_chat(&req).expect_err("refused");
        assert!(
            matches!(err, TillError::Chat(_)),
            "a chat refusal, not {err:?}"
        );
        assert!(err.to_string().contains(needle), "{err} lacks {needle:?}");
        assert_eq!(err.exit_code(), 1);
    }
    assert_eq!(outbox_len(&till), 0, "no op written");
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM chat_message"),
        0
    );
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM chat_attachment"),
        0
    );
    assert!(
        !dir.path().join(files::ATTACHMENTS_DIR).exists(),
        "no file copied"
    );
}

#[test]
fn attachments_are_stored_by_hash_with_the_message_and_wait_for_upload() {
    let (dir, mut till) = till();
    let files_dir = tempfile::tempdir().expect("tempdir");
    let png = write_file(files_dir.path(), "Damaged box.PNG", &png_bytes());
    let sent = till
        .send_chat(&ChatSend {
            text: String::new(),
            ticket: Some(TicketCategory::Delivery),
            attachments: vec![png.clone()],
            ..ChatSend::default()
        })
        .expect("a photo alone is a message");
    assert_hub_accepts(&till, &sent.ops);
    let sha = files::sha256_hex(&png_bytes());
    let a = &sent.message.attachments[0];
    assert_eq!(
        (a.sha256.as_str(), a.name.as_str(), a.mime.as_str()),
        (sha.as_str(), "Damaged box.PNG", "image/png")
    );
    assert_eq!(a.size, png_bytes().len() as u64);
    assert_eq!(a.state, "pending");
    let stored = files::path_of(dir.path(), &sha);
    assert_eq!(std::fs::read(&stored).expect("stored"), png_bytes());
    assert_eq!(
        till.chat_attachment_file(&sha).expect("known"),
        Some(stored)
    );
    // The same photo on a second message: one file, one pending upload.
    till.send_chat(&ChatSend {
        text: "again".into(),
        attachments: vec![png],
        ..ChatSend::default()
    })
    .expect("send");
    let pending = files::pending(till.connection()).expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].sha256, sha);
    files::mark_uploaded(till.connection(), &sha).expect("uploaded");
    assert!(
        files::pending(till.connection())
            .expect("pending")
            .is_empty()
    );
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(list[0].attachments[0].state, "uploaded");
    // An attachment no message here references is refused.
    let err = till
        .chat_attachment_file(&"b".repeat(64))
        .expect_err("unknown");
    assert!(err.to_string().contains("no message at this till"), "{err}");
}

#[test]
fn files_given_as_bytes_get_the_same_checks_and_storage_as_paths() {
    let (dir, mut till) = till();
    let named = |name: &str, bytes: Vec<u8>| files::NamedBytes {
        name: name.into(),
        bytes,
    };
    let huge = {
        let mut b = png_bytes();
        b.resize(MAX_ATTACHMENT_BYTES as usize + 1, 0);
        b
    };
    let cases: Vec<(Vec<files::NamedBytes>, &str)> = vec![
        (
            vec![named("setup.exe", b"MZ\x90\x00".to_vec())],
            "not allowed",
        ),
        (
            vec![named("photo.png", b"\xFF\xD8\xFFjpeg".to_vec())],
            "contents are not",
        ),
        (
            vec![named("notice.pdf", b"hello".to_vec())],
            "contents are not",
        ),
        (vec![named("empty.png", Vec::new())], "empty"),
        (vec![named("huge.png", huge)], "at most 10 MiB"),
        (vec![named("../etc/x.png", png_bytes())], "bare file name"),
        (vec![named("C:\\x\\y.png", png_bytes())], "bare file name"),
        (vec![named("", png_bytes())], "bare file name"),
        (
            (0..5)
                .map(|i| named(&format!("p{i}.png"), png_bytes()))
                .collect(),
            "at most 4",
        ),
    ];
    for (files_given, needle) in cases {
        let err = till
            .send_chat_with_files(&text("see attached"), files_given)
            .expect_err("refused");
        assert!(
            matches!(err, TillError::Chat(_)),
            "a chat refusal, not {err:?}"
        );
        assert!(err.to_string().contains(needle), "{err} lacks {needle:?}");
    }
    assert_eq!(outbox_len(&till), 0, "no op written");
    assert!(
        !dir.path().join(files::ATTACHMENTS_DIR).exists(),
        "no file stored"
    );

    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice(b"a notice");
    let sent = till
        .send_chat_with_files(
            &text("two files"),
            vec![
                named("Box.png", png_bytes()),
                named("invoice.PDF", pdf.clone()),
            ],
        )
        .expect("sent");
    assert_hub_accepts(&till, &sent.ops);
    let got: Vec<(&str, &str, &str)> = sent
        .message
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.mime.as_str(), a.state.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Box.png", "image/png", "pending"),
            ("invoice.PDF", "application/pdf", "pending")
        ]
    );
    let sha = files::sha256_hex(&pdf);
    assert_eq!(
        std::fs::read(files::path_of(dir.path(), &sha)).expect("stored"),
        pdf
    );
    assert_eq!(files::pending(till.connection()).expect("pending").len(), 2);
}

// ------------------------------------------------------------------ order and apply

#[test]
fn order_is_the_ops_hlc_then_the_id_never_the_arrival() {
    let (_dir, mut till) = till();
    let mine = till.send_chat(&text("from the till")).expect("send");
    let now = mine.ops[0].hlc.wall_ms;
    // Arrive in the order late, early, middle; two with the same wall time differ by counter.
    let ops = vec![
        hq_msg(1, now - 1_000, 30, "late"),
        hq_msg(2, now - 3_000, 10, "early"),
        op_at(
            HUB,
            3,
            hlc(now - 2_000, 1, HUB),
            OpBody::ChatMessage(message(
                Uuid::from_u128(21),
                store_chan(),
                MessageKind::Chat,
                "middle b",
            )),
        ),
        op_at(
            HUB,
            4,
            hlc(now - 2_000, 0, HUB),
            OpBody::ChatMessage(message(
                Uuid::from_u128(22),
                store_chan(),
                MessageKind::Chat,
                "middle a",
            )),
        ),
    ];
    let stats = till.apply_downstream(&ops, 4).expect("apply");
    assert_eq!(stats.new_records, 4);
    let texts: Vec<String> = till
        .chat_messages(ChannelKind::Store, None)
        .expect("list")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        texts,
        ["early", "middle a", "middle b", "late", "from the till"]
    );
    let last_two = till
        .chat_messages(ChannelKind::Store, Some(2))
        .expect("list");
    assert_eq!(
        last_two.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["late", "from the till"]
    );
    // Paging up: the two before "late", then the one before "middle a", then nothing.
    let page = |before: Uuid, n: usize| -> Vec<String> {
        till.chat_messages_before(ChannelKind::Store, Some(&before), Some(n))
            .expect("page")
            .into_iter()
            .map(|m| m.text)
            .collect()
    };
    assert_eq!(page(Uuid::from_u128(30), 2), ["middle a", "middle b"]);
    assert_eq!(page(Uuid::from_u128(22), 5), ["early"]);
    assert!(page(Uuid::from_u128(10), 5).is_empty());
    assert!(
        page(Uuid::from_u128(999), 5).is_empty(),
        "an unknown message gives an empty page"
    );
    assert_eq!(
        till.chat_messages_before(ChannelKind::Store, None, Some(1))
            .expect("newest")[0]
            .text,
        "from the till"
    );
    // The till's clock observed the hub's ops: its next message orders after them.
    assert!(
        till.chat_messages(ChannelKind::Notices, None)
            .expect("n")
            .is_empty()
    );
}

#[test]
fn the_same_message_twice_is_stored_once_and_the_lower_hlc_copy_wins() {
    let (_dir, mut till) = till();
    let op = hq_msg(1, 5_000, 1, "first copy");
    assert_eq!(
        till.apply_downstream(std::slice::from_ref(&op), 1)
            .expect("a")
            .new_records,
        1
    );
    assert_eq!(till.apply_downstream(&[op], 1).expect("b").new_records, 0);
    // A later copy (only a faulty writer makes one) does not replace it…
    let later = hq_msg(2, 6_000, 1, "later copy");
    assert_eq!(
        till.apply_downstream(&[later], 2).expect("c").new_records,
        0
    );
    // …an earlier one does, on every replica alike.
    let earlier = hq_msg(3, 4_000, 1, "earlier copy");
    assert_eq!(
        till.apply_downstream(&[earlier], 3).expect("d").new_records,
        1
    );
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].text, "earlier copy");
    assert_eq!(list[0].hlc_wall_ms, 4_000);
}

/// One chat op as the hub could deliver it to a till of GN01.
fn chat_op() -> impl Strategy<Value = Op> {
    let writer = prop_oneof![Just(HUB), Just(OTHER_TILL)];
    prop_oneof![
        (0u8..6, 0u8..2, 1u64..40, 0u32..2, writer.clone(), 0u8..3).prop_map(
            |(id, chan, wall, counter, actor, kind)| {
                let channel = if chan == 0 { store_chan() } else { notices() };
                let kind = match (chan, kind) {
                    (1, _) => MessageKind::Announcement {
                        announcement: Uuid::from_u128(u128::from(id) + 100),
                        title: "T".into(),
                        requires_ack: kind > 0,
                    },
                    (_, 0) => MessageKind::Chat,
                    _ => MessageKind::Ticket {
                        category: TicketCategory::Stock,
                    },
                };
                let mut m = message(Uuid::from_u128(u128::from(id) + 1), channel, kind, "x");
                m.text = format!("copy {wall}.{counter}");
                op_at(actor, 1, hlc(wall, counter, actor), OpBody::ChatMessage(m))
            }
        ),
        (0u8..2, 1u64..40, prop_oneof![Just(true), Just(false)]).prop_map(|(chan, wall, user)| {
            let channel = if chan == 0 { store_chan() } else { notices() };
            let reader = if user {
                Reader::User("park".into())
            } else {
                Reader::Till(OTHER_TILL)
            };
            op_at(
                HUB,
                1,
                hlc(wall, 0, HUB),
                OpBody::ChatRead(ChatRead {
                    channel,
                    reader,
                    up_to: hlc(wall, 0, HUB),
                }),
            )
        }),
        (0u8..6, 0usize..3, 1u64..40).prop_map(|(id, st, wall)| op_at(
            HUB,
            1,
            hlc(wall, 0, HUB),
            OpBody::TicketUpdate(TicketUpdate {
                ticket: Uuid::from_u128(u128::from(id) + 1),
                channel: store_chan(),
                status: [
                    TicketStatus::Open,
                    TicketStatus::InProgress,
                    TicketStatus::Resolved
                ][st],
                by: "park".into(),
            })
        )),
        (0u8..6, 1i64..40, 0u8..3).prop_map(|(id, at, by)| op_at(
            OTHER_TILL,
            1,
            hlc(at as u64, 0, OTHER_TILL),
            OpBody::AnnouncementAck(AnnouncementAck {
                announcement: Uuid::from_u128(u128::from(id) + 100),
                store: gn01(),
                by: format!("staff{by}"),
                at_ms: at,
            })
        )),
    ]
}

fn spec_of(ops: &[Op]) -> ChatState {
    let mut s = ChatState::default();
    for op in ops {
        match &op.body {
            OpBody::ChatMessage(m) => s.apply_message(op.hlc, m),
            OpBody::ChatRead(r) => s.apply_read(r),
            OpBody::TicketUpdate(t) => s.apply_ticket(t),
            OpBody::AnnouncementAck(a) => s.apply_ack(a),
            _ => {}
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the delivery order, batching and duplicates, the till's tables show what
    /// `ChatState` specifies: the same messages (the same copy of each) in the same order,
    /// unread counts, ticket statuses and acknowledgements.
    #[test]
    fn the_sql_projection_matches_the_chat_state_spec(
        ops in prop::collection::vec(chat_op(), 1..40),
        order in any::<prop::sample::Index>(),
        dup in 0usize..5,
    ) {
        let (_dir, mut till) = till();
        let mut delivered = ops.clone();
        let k = order.index(delivered.len());
        delivered.rotate_left(k);
        delivered.reverse();
        delivered.extend(ops.iter().take(dup).cloned());
        for (i, chunk) in delivered.chunks(3).enumerate() {
            till.apply_downstream(chunk, i as u64 + 1).expect("apply");
        }
        let spec = spec_of(&ops);
        let me = till.enrolment().expect("e").expect("enrolled").actor;
        for (kind, channel) in [(ChannelKind::Store, store_chan()), (ChannelKind::Notices, notices())] {
            let got = till.chat_messages(kind, None).expect("list");
            let want = spec.channel(&channel);
            prop_assert_eq!(
                got.iter().map(|m| (m.id, m.order.clone(), m.text.clone())).collect::<Vec<_>>(),
                want.iter().map(|p| (p.message.id, chat::order_key(&p.hlc, &p.message.id), p.message.text.clone())).collect::<Vec<_>>()
            );
            for (g, w) in got.iter().zip(&want) {
                if let MessageKind::Ticket { .. } = w.message.kind {
                    prop_assert_eq!(g.ticket_status, spec.ticket_status(w.message.id));
                }
                if let MessageKind::Announcement { announcement, requires_ack: true, .. } = w.message.kind {
                    let acks = spec.acknowledged_by(announcement);
                    prop_assert_eq!(g.acked_by.clone(), acks.first().map(|a| a.by.clone()));
                }
            }
            let unread = chat::unread(till.connection(), &channel).expect("unread");
            let spec_unread = spec.unread(&Reader::Till(me), &channel, |p| p.hlc.actor == me);
            prop_assert_eq!(unread as usize, spec_unread);
            let hq = spec.read_position(&Reader::User("park".into()), &channel);
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(g.seen_by_hq, hq.is_some_and(|h| h >= w.hlc));
            }
        }
    }
}

// ------------------------------------------------------------------ unread and read

#[test]
fn unread_counts_exclude_own_messages_and_reading_writes_one_forward_op() {
    let (_dir, mut till) = till();
    let me = till.enrolment().expect("e").expect("enrolled").actor;
    till.apply_downstream(
        &[
            hq_msg(1, 1_000, 1, "hello GN01"),
            hq_msg(2, 2_000, 2, "how is stock?"),
            announcement(3, 2_500, 50, true),
        ],
        3,
    )
    .expect("apply");
    till.send_chat(&text("all fine")).expect("send");
    let unread = |till: &Till| -> Vec<u64> {
        till.chat_unread()
            .expect("unread")
            .into_iter()
            .map(|c| c.unread)
            .collect()
    };
    assert_eq!(unread(&till), [2, 1], "own message not counted");
    let status = till.status().expect("status");
    assert_eq!(status.chat_unread[0].channel, "store:GN01");
    assert_eq!(status.chat_unread[0].unread, 2);
    assert_eq!(status.chat_unread[1].kind, ChannelKind::Notices);

    let before = outbox_len(&till);
    let up_to = till
        .mark_chat_read(ChannelKind::Store)
        .expect("read")
        .expect("moved forward");
    let newest = till
        .chat_messages(ChannelKind::Store, Some(1))
        .expect("list")
        .remove(0);
    assert_eq!(
        chat::order_key(&up_to, &newest.id),
        newest.order,
        "up to the newest message"
    );
    let ops = till.outbox(before as u64 + 1, 10).expect("outbox");
    assert_eq!(ops.len(), 1);
    assert_hub_accepts(&till, &ops);
    assert_eq!(
        ops[0].body,
        OpBody::ChatRead(ChatRead {
            channel: store_chan(),
            reader: Reader::Till(me),
            up_to,
        })
    );
    assert_eq!(unread(&till), [0, 1]);
    assert_eq!(
        till.mark_chat_read(ChannelKind::Store).expect("again"),
        None,
        "nothing new: no op"
    );
    assert_eq!(outbox_len(&till), before + 1);

    // Another till of the store reading does not change this till's count; HQ reading
    // marks this till's message seen; a new HQ message is unread again.
    let later = up_to.wall_ms + 10;
    till.apply_downstream(
        &[
            op_at(
                OTHER_TILL,
                1,
                hlc(later, 0, OTHER_TILL),
                OpBody::ChatRead(ChatRead {
                    channel: notices(),
                    reader: Reader::Till(OTHER_TILL),
                    up_to: hlc(later, 0, OTHER_TILL),
                }),
            ),
            op_at(
                HUB,
                4,
                hlc(later, 1, HUB),
                OpBody::ChatRead(ChatRead {
                    channel: store_chan(),
                    reader: Reader::User("park".into()),
                    up_to,
                }),
            ),
            hq_msg(5, later + 1, 3, "thanks"),
        ],
        5,
    )
    .expect("apply");
    assert_eq!(unread(&till), [1, 1]);
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    let own = list.iter().find(|m| m.mine).expect("own message");
    assert!(own.seen_by_hq);
    assert!(!list.last().expect("last").seen_by_hq);
}

// ------------------------------------------------------------------ announcements

#[test]
fn acknowledging_an_announcement_needs_a_pin_and_happens_once() {
    let (_dir, mut till) = till();
    give_staff(&mut till);
    till.apply_downstream(
        &[
            announcement(2, 1_000, 50, true),
            announcement(3, 1_100, 60, false),
        ],
        3,
    )
    .expect("apply");
    let before = outbox_len(&till);

    let err = till
        .acknowledge_announcement(&Uuid::from_u128(99).to_string(), "1234")
        .expect_err("unknown");
    assert!(
        matches!(err, TillError::Chat(ChatError::UnknownAnnouncement(_))),
        "{err:?}"
    );
    assert!(err.to_string().contains("no announcement"), "{err}");
    let err = till
        .acknowledge_announcement("not-a-uuid", "1234")
        .expect_err("garbage");
    assert!(err.to_string().contains("no announcement"), "{err}");
    let err = till
        .acknowledge_announcement(&Uuid::from_u128(50).to_string(), "9999")
        .expect_err("wrong pin");
    assert!(matches!(err, TillError::WrongPin), "{err:?}");
    let err = till
        .acknowledge_announcement(&Uuid::from_u128(60).to_string(), "1234")
        .expect_err("no ack asked");
    assert!(err.to_string().contains("does not ask"), "{err}");
    assert_eq!(outbox_len(&till), before, "refusals write nothing");

    let out = till
        .acknowledge_announcement(&Uuid::from_u128(50).to_string(), "1234")
        .expect("ack");
    assert!(out.created);
    assert_eq!(out.by, "kim");
    assert_eq!(out.title, "Notice 50");
    assert_hub_accepts(&till, &out.ops);
    let OpBody::AnnouncementAck(a) = &out.ops[0].body else {
        panic!("an ack op");
    };
    assert_eq!((a.announcement, &a.store), (Uuid::from_u128(50), &gn01()));

    // Again, by message id this time: already done, nothing written.
    let again = till
        .acknowledge_announcement(&Uuid::from_u128(1_050).to_string(), "1234")
        .expect("again");
    assert!(!again.created && again.ops.is_empty());
    assert_eq!(again.by, "kim");
    assert_eq!(outbox_len(&till), before + 1);
    let list = till
        .chat_messages(ChannelKind::Notices, None)
        .expect("list");
    assert_eq!(list[0].acked_by.as_deref(), Some("kim"));
    assert_eq!(list[1].acked_by, None);
}

// ------------------------------------------------------------------ tickets

#[test]
fn tickets_only_move_forward_and_concurrent_updates_converge() {
    let (_dir, mut till) = till();
    let raised = till
        .send_chat(&ChatSend {
            ticket: Some(TicketCategory::Facilities),
            ..text("Front door lock is broken")
        })
        .expect("ticket");
    assert_hub_accepts(&till, &raised.ops);
    let id = raised.message.id;
    let tickets = till.chat_tickets().expect("tickets");
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].status, TicketStatus::Open);
    assert_eq!(tickets[0].category, Some(TicketCategory::Facilities));

    // HQ takes it.
    let update = |seq: u64, wall: u64, status| {
        op_at(
            HUB,
            seq,
            hlc(wall, 0, HUB),
            OpBody::TicketUpdate(TicketUpdate {
                ticket: id,
                channel: store_chan(),
                status,
                by: "park".into(),
            }),
        )
    };
    till.apply_downstream(&[update(1, 1_000, TicketStatus::InProgress)], 1)
        .expect("apply");
    assert_eq!(
        till.chat_tickets().expect("t")[0].status,
        TicketStatus::InProgress
    );
    // The store says it is fixed.
    let done = till
        .update_ticket(&id.to_string(), TicketStatus::Resolved, None)
        .expect("resolve");
    assert!(done.changed);
    assert_eq!(done.ticket.status, TicketStatus::Resolved);
    assert_hub_accepts(&till, &done.ops);
    // Backwards is refused, the same status writes nothing, an unknown ticket is refused.
    let before = outbox_len(&till);
    let err = till
        .update_ticket(&id.to_string(), TicketStatus::InProgress, None)
        .expect_err("backwards");
    assert!(err.to_string().contains("only moves forward"), "{err}");
    let same = till
        .update_ticket(&id.to_string(), TicketStatus::Resolved, None)
        .expect("same");
    assert!(!same.changed && same.ops.is_empty());
    let err = till
        .update_ticket(
            &Uuid::from_u128(5).to_string(),
            TicketStatus::Resolved,
            None,
        )
        .expect_err("unknown");
    assert!(err.to_string().contains("no ticket"), "{err}");
    assert_eq!(outbox_len(&till), before);
    // A late "in progress" from HQ does not move it back.
    till.apply_downstream(&[update(2, 500, TicketStatus::InProgress)], 2)
        .expect("apply");
    assert_eq!(
        till.chat_tickets().expect("t")[0].status,
        TicketStatus::Resolved
    );
    let view = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(view[0].ticket_status, Some(TicketStatus::Resolved));
}

// ------------------------------------------------------------------ history

#[test]
fn history_is_bounded_but_keeps_open_tickets_and_unacknowledged_announcements() {
    let (_dir, mut till) = till();
    give_staff(&mut till);
    till.set_chat_history_limit(3).expect("limit");
    let ticket = op_at(
        HUB,
        2,
        hlc(1_000, 0, HUB),
        OpBody::ChatMessage(message(
            Uuid::from_u128(500),
            store_chan(),
            MessageKind::Ticket {
                category: TicketCategory::Other,
            },
            "old open ticket",
        )),
    );
    let mut ops = vec![ticket];
    for i in 0..6u64 {
        ops.push(hq_msg(
            3 + i,
            2_000 + i,
            600 + u128::from(i),
            &format!("chat {i}"),
        ));
    }
    ops.push(announcement(20, 1_500, 70, true));
    for i in 0..4u64 {
        ops.push(announcement(21 + i, 3_000 + i, 80 + u128::from(i), false));
    }
    till.apply_downstream(&ops, 30).expect("apply");
    let texts = |till: &Till, kind| -> Vec<String> {
        till.chat_messages(kind, None)
            .expect("list")
            .into_iter()
            .map(|m| m.title.unwrap_or(m.text))
            .collect()
    };
    assert_eq!(
        texts(&till, ChannelKind::Store),
        ["old open ticket", "chat 4", "chat 5"]
    );
    assert_eq!(
        texts(&till, ChannelKind::Notices),
        ["Notice 70", "Notice 82", "Notice 83"]
    );
    // Once resolved / acknowledged, they go with the next message.
    till.apply_downstream(
        &[op_at(
            HUB,
            31,
            hlc(4_000, 0, HUB),
            OpBody::TicketUpdate(TicketUpdate {
                ticket: Uuid::from_u128(500),
                channel: store_chan(),
                status: TicketStatus::Resolved,
                by: "park".into(),
            }),
        )],
        31,
    )
    .expect("apply");
    till.acknowledge_announcement(&Uuid::from_u128(70).to_string(), "1234")
        .expect("ack");
    till.send_chat(&text("newest")).expect("send");
    till.apply_downstream(&[announcement(32, 5_000, 90, false)], 32)
        .expect("apply");
    assert_eq!(
        texts(&till, ChannelKind::Store),
        ["chat 4", "chat 5", "newest"]
    );
    assert_eq!(
        texts(&till, ChannelKind::Notices),
        ["Notice 82", "Notice 83", "Notice 90"]
    );
    let err = till.set_chat_history_limit(0).expect_err("zero");
    assert!(err.to_string().contains("at least 1"), "{err}");
}

// ------------------------------------------------------------------ search

#[test]
fn search_finds_text_and_titles_and_takes_wildcards_literally() {
    let (_dir, mut till) = till();
    till.apply_downstream(
        &[
            hq_msg(1, 1_000, 1, "50% off socks this weekend"),
            hq_msg(2, 2_000, 2, "5000 won coupons"),
            hq_msg(3, 3_000, 3, "흰 양말 재고가 부족합니다"),
            announcement(4, 4_000, 40, false),
        ],
        4,
    )
    .expect("apply");
    till.send_chat(&text("snake_case is not a product"))
        .expect("send");
    let found = |q: &str| -> Vec<String> {
        till.search_chat(q)
            .expect("search")
            .into_iter()
            .map(|m| m.title.unwrap_or(m.text))
            .collect()
    };
    assert_eq!(found("50%"), ["50% off socks this weekend"]);
    assert_eq!(found("_"), ["snake_case is not a product"]);
    assert_eq!(found("양말"), ["흰 양말 재고가 부족합니다"]);
    assert_eq!(found("SOCKS"), ["50% off socks this weekend"]);
    assert_eq!(found("notice 40"), ["Notice 40"], "titles too");
    assert!(found("nothing like this").is_empty());
    let err = till.search_chat("  ").expect_err("empty");
    assert!(matches!(err, TillError::Chat(ChatError::EmptySearch)));
}

#[test]
fn attachment_references_round_trip_through_apply() {
    let (_dir, mut till) = till();
    let a = AttachmentRef {
        sha256: "c".repeat(64),
        name: "notice.pdf".into(),
        mime: "application/pdf".into(),
        size: 1234,
    };
    let mut m = message(
        Uuid::from_u128(1),
        store_chan(),
        MessageKind::Chat,
        "see pdf",
    );
    m.attachments = vec![a.clone()];
    till.apply_downstream(
        &[op_at(HUB, 1, hlc(1_000, 0, HUB), OpBody::ChatMessage(m))],
        1,
    )
    .expect("apply");
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(list[0].attachments[0].sha256, a.sha256);
    assert_eq!(
        list[0].attachments[0].state, "remote",
        "bytes only on the hub"
    );
    assert_eq!(till.chat_attachment_file(&a.sha256).expect("known"), None);
}

// ------------------------------------------------------------------ re-enrolment

#[test]
fn unacknowledged_chat_records_are_carried_over_to_a_new_actor() {
    let (_dir, mut till) = till();
    give_staff(&mut till);
    till.apply_downstream(&[announcement(2, 1_000, 50, true)], 2)
        .expect("apply");
    let sent = till
        .send_chat(&ChatSend {
            ticket: Some(TicketCategory::It),
            ..text("printer jammed")
        })
        .expect("send");
    till.update_ticket(&sent.message.id.to_string(), TicketStatus::Resolved, None)
        .expect("resolve");
    till.acknowledge_announcement(&Uuid::from_u128(50).to_string(), "1234")
        .expect("ack");
    till.mark_chat_read(ChannelKind::Store).expect("read");
    let old = till.enrolment().expect("e").expect("enrolled").actor;
    // Re-enrol as a new actor with nothing acknowledged, as `enrol` records it.
    let new_actor = till
        .enrol_offline(&crate::OfflineEnrolment {
            actor: None,
            store: gn01(),
            store_name: "Gangnam".into(),
            till_no: 6,
            currency: "KRW".into(),
            hub_url: String::new(),
            credential: String::new(),
        })
        .expect("re-enrol");
    db::set_meta(
        till.connection(),
        db::keys::CARRY_OVER_FROM,
        &format!("{old}:0"),
    )
    .expect("meta");
    let (records, others) = crate::enrol::pending_records(till.connection()).expect("pending");
    assert!(records.is_empty());
    let kinds: Vec<&str> = others.iter().map(OpBody::kind).collect();
    assert_eq!(
        kinds,
        ["chat_message", "ticket_update", "announcement_ack"],
        "read positions name the old actor and stay behind"
    );
    {
        let tx = till.connection().unchecked_transaction().expect("tx");
        crate::enrol::reissue(&tx, others.clone()).expect("reissue");
        tx.commit().expect("commit");
    }
    let ops: Vec<Op> = till
        .outbox(1, 100)
        .expect("outbox")
        .into_iter()
        .filter(|o| o.actor == new_actor)
        .collect();
    assert_eq!(
        ops.iter().map(|o| o.body.clone()).collect::<Vec<_>>(),
        others
    );
    assert_hub_accepts(&till, &ops);
    let list = till.chat_messages(ChannelKind::Store, None).expect("list");
    assert_eq!(list.len(), 1, "the message is still one message");
    assert!(list[0].mine);
}
