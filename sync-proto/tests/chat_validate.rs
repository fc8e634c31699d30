//! What the hub refuses when a till pushes chat ops (`validate::check_till_op`): a till
//! writes as its store, into its own store's channel only, never an announcement, never
//! into the notices channel, reads only as itself, and acknowledges only for its store.

use sync_proto::chat::{
    AnnouncementAck, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide, MessageKind, Reader,
    TicketCategory, TicketStatus, TicketUpdate,
};
use sync_proto::op::OpBody;
use sync_proto::validate::{OpRejection, check_till_op};
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use uuid::Uuid;

const TILL: ActorId = ActorId(Uuid::from_bytes([3; 16]));

fn store(code: &str) -> StoreId {
    code.parse().expect("store code")
}

fn op(scope: &str, body: OpBody) -> Op {
    Op {
        actor: TILL,
        seq: 7,
        hlc: Hlc {
            wall_ms: 1_000,
            counter: 0,
            actor: TILL,
        },
        scope: Scope::Store(store(scope)),
        body,
    }
}

fn msg(channel: Channel, kind: MessageKind, side: ChatSide) -> ChatMessage {
    ChatMessage {
        id: Uuid::now_v7(),
        channel,
        author: ChatAuthor {
            side,
            username: Some("kim".into()),
            display_name: "Kim".into(),
        },
        text: "hello".into(),
        kind,
        attachments: vec![],
        written_at_ms: 1_000,
    }
}

fn check(op: &Op) -> Result<(), OpRejection> {
    check_till_op(op, TILL, &store("GN01"))
}

fn announcement() -> MessageKind {
    MessageKind::Announcement {
        announcement: Uuid::now_v7(),
        title: "Closing early".into(),
        requires_ack: true,
    }
}

#[test]
fn a_tills_own_chat_ops_pass() {
    let ok = [
        OpBody::ChatMessage(msg(
            Channel::Store(store("GN01")),
            MessageKind::Ticket {
                category: TicketCategory::Delivery,
            },
            ChatSide::Store,
        )),
        OpBody::ChatRead(ChatRead {
            channel: Channel::Notices(store("GN01")),
            reader: Reader::Till(TILL),
            up_to: Hlc {
                wall_ms: 900,
                counter: 0,
                actor: TILL,
            },
        }),
        OpBody::TicketUpdate(TicketUpdate {
            ticket: Uuid::now_v7(),
            channel: Channel::Store(store("GN01")),
            status: TicketStatus::Resolved,
            by: "kim".into(),
        }),
        OpBody::AnnouncementAck(AnnouncementAck {
            announcement: Uuid::now_v7(),
            store: store("GN01"),
            by: "kim".into(),
            at_ms: 1_000,
        }),
    ];
    for body in ok {
        check(&op("GN01", body.clone())).unwrap_or_else(|e| panic!("{body:?} refused: {e}"));
    }
}

#[test]
fn another_stores_channel_is_refused_whatever_the_scope() {
    let other = || {
        OpBody::ChatMessage(msg(
            Channel::Store(store("HD02")),
            MessageKind::Chat,
            ChatSide::Store,
        ))
    };
    // Scope of the other store: refused as another store's scope.
    let err = check(&op("HD02", other())).expect_err("refused");
    assert!(
        matches!(err, OpRejection::WrongStore { what: "scope", ref target, .. } if target == "HD02"),
        "{err:?}"
    );
    // Own scope but the other store's channel: the record does not travel in its scope.
    let err = check(&op("GN01", other())).expect_err("refused");
    assert!(matches!(err, OpRejection::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("store:HD02"), "{err}");
    // Another store's read position, ticket or acknowledgement.
    let read = OpBody::ChatRead(ChatRead {
        channel: Channel::Store(store("HD02")),
        reader: Reader::Till(TILL),
        up_to: Hlc {
            wall_ms: 1,
            counter: 0,
            actor: TILL,
        },
    });
    assert!(check(&op("HD02", read.clone())).is_err());
    assert!(check(&op("GN01", read)).is_err());
    let ack = OpBody::AnnouncementAck(AnnouncementAck {
        announcement: Uuid::now_v7(),
        store: store("HD02"),
        by: "kim".into(),
        at_ms: 1,
    });
    assert!(matches!(
        check(&op("HD02", ack.clone())),
        Err(OpRejection::WrongStore { .. })
    ));
    assert!(check(&op("GN01", ack)).is_err());
    let ticket = OpBody::TicketUpdate(TicketUpdate {
        ticket: Uuid::now_v7(),
        channel: Channel::Store(store("HD02")),
        status: TicketStatus::Resolved,
        by: "kim".into(),
    });
    assert!(check(&op("HD02", ticket.clone())).is_err());
    assert!(check(&op("GN01", ticket)).is_err());
}

#[test]
fn a_till_cannot_forge_an_announcement() {
    let forged = OpBody::ChatMessage(msg(
        Channel::Notices(store("GN01")),
        announcement(),
        ChatSide::Store,
    ));
    let err = check(&op("GN01", forged)).expect_err("refused");
    assert!(
        matches!(
            err,
            OpRejection::NotAllowed {
                kind: "announcement",
                ..
            }
        ),
        "{err:?}"
    );
    // Not even dressed as HQ.
    let as_hq = OpBody::ChatMessage(msg(
        Channel::Notices(store("GN01")),
        announcement(),
        ChatSide::Hq,
    ));
    assert!(check(&op("GN01", as_hq)).is_err());
    // Nor an announcement slipped into the store channel.
    let in_chat = OpBody::ChatMessage(msg(
        Channel::Store(store("GN01")),
        announcement(),
        ChatSide::Store,
    ));
    let err = check(&op("GN01", in_chat)).expect_err("refused");
    assert!(err.to_string().contains("notices channel"), "{err}");
}

#[test]
fn the_notices_channel_takes_only_announcements() {
    for kind in [
        MessageKind::Chat,
        MessageKind::Ticket {
            category: TicketCategory::Other,
        },
    ] {
        let body = OpBody::ChatMessage(msg(Channel::Notices(store("GN01")), kind, ChatSide::Store));
        let err = check(&op("GN01", body)).expect_err("refused");
        assert!(err.to_string().contains("notices channel"), "{err}");
    }
    let ticket_in_notices = OpBody::TicketUpdate(TicketUpdate {
        ticket: Uuid::now_v7(),
        channel: Channel::Notices(store("GN01")),
        status: TicketStatus::InProgress,
        by: "kim".into(),
    });
    let err = check(&op("GN01", ticket_in_notices)).expect_err("refused");
    assert!(err.to_string().contains("store channel"), "{err}");
}

#[test]
fn a_till_reads_only_as_itself_and_writes_only_as_the_store() {
    let up_to = Hlc {
        wall_ms: 1,
        counter: 0,
        actor: TILL,
    };
    for reader in [
        Reader::User("admin".into()),
        Reader::Till(ActorId(Uuid::from_bytes([4; 16]))),
    ] {
        let body = OpBody::ChatRead(ChatRead {
            channel: Channel::Store(store("GN01")),
            reader: reader.clone(),
            up_to,
        });
        let err = check(&op("GN01", body)).expect_err("refused");
        assert!(
            err.to_string().contains("its own read position"),
            "{reader:?}: {err}"
        );
    }
    let as_hq = OpBody::ChatMessage(msg(
        Channel::Store(store("GN01")),
        MessageKind::Chat,
        ChatSide::Hq,
    ));
    let err = check(&op("GN01", as_hq)).expect_err("refused");
    assert!(err.to_string().contains("as its store"), "{err}");
    let mut empty = msg(
        Channel::Store(store("GN01")),
        MessageKind::Chat,
        ChatSide::Store,
    );
    empty.text = " ".into();
    let err = check(&op("GN01", OpBody::ChatMessage(empty))).expect_err("refused");
    assert!(err.to_string().contains("empty"), "{err}");
}
