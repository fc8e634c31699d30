//! Property tests of the chat CRDTs (DESIGN §2, §6): whatever the delivery order and however
//! many duplicates, every replica shows the same messages in the same order, the same read
//! positions, ticket statuses and acknowledgements; merging states is commutative,
//! associative and idempotent.

use proptest::prelude::*;
use sync_proto::chat::{
    AnnouncementAck, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide, ChatState, MessageKind,
    Reader, TicketCategory, TicketStatus, TicketUpdate,
};
use sync_proto::{ActorId, Hlc, StoreId};
use uuid::Uuid;

const STORES: [&str; 2] = ["GN01", "HD02"];

fn store(i: usize) -> StoreId {
    STORES[i].parse().expect("store code")
}

fn actor(n: u8) -> ActorId {
    ActorId(Uuid::from_bytes([n + 1; 16]))
}

fn hlc(wall: u64, actor_no: u8) -> Hlc {
    Hlc {
        wall_ms: wall,
        counter: 0,
        actor: actor(actor_no),
    }
}

/// One chat record as it travels (the HLC is the carrying op's).
#[derive(Debug, Clone)]
enum Record {
    Message(Hlc, ChatMessage),
    Read(ChatRead),
    Ticket(TicketUpdate),
    Ack(AnnouncementAck),
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        // A small id space so the same message arrives more than once.
        (0u8..6, 0..STORES.len(), 0u64..50, 0u8..3, any::<bool>()).prop_map(
            |(id, s, wall, a, ticket)| {
                let message = ChatMessage {
                    id: Uuid::from_bytes([id + 1; 16]),
                    channel: Channel::Store(store(s)),
                    author: ChatAuthor {
                        side: ChatSide::Store,
                        username: None,
                        display_name: format!("till {a}"),
                    },
                    text: format!("message {id}"),
                    kind: if ticket {
                        MessageKind::Ticket {
                            category: TicketCategory::Delivery,
                        }
                    } else {
                        MessageKind::Chat
                    },
                    attachments: vec![],
                    written_at_ms: wall as i64,
                };
                Record::Message(hlc(wall, a), message)
            }
        ),
        (0u8..3, 0..STORES.len(), 0u64..50).prop_map(|(a, s, wall)| Record::Read(ChatRead {
            channel: Channel::Store(store(s)),
            reader: Reader::Till(actor(a)),
            up_to: hlc(wall, a),
        })),
        (0u8..6, 0usize..3).prop_map(|(id, st)| Record::Ticket(TicketUpdate {
            ticket: Uuid::from_bytes([id + 1; 16]),
            channel: Channel::Store(store(0)),
            status: [
                TicketStatus::Open,
                TicketStatus::InProgress,
                TicketStatus::Resolved
            ][st],
            by: "planner".into(),
        })),
        (0u8..2, 0..STORES.len(), 0i64..50, 0u8..3).prop_map(|(ann, s, at, by)| Record::Ack(
            AnnouncementAck {
                announcement: Uuid::from_bytes([ann + 100; 16]),
                store: store(s),
                by: format!("staff {by}"),
                at_ms: at,
            }
        )),
    ]
}

fn apply(state: &mut ChatState, r: &Record) {
    match r {
        Record::Message(h, m) => state.apply_message(*h, m),
        Record::Read(read) => state.apply_read(read),
        Record::Ticket(t) => state.apply_ticket(t),
        Record::Ack(a) => state.apply_ack(a),
    }
}

fn state_of<'a>(records: impl IntoIterator<Item = &'a Record>) -> ChatState {
    let mut s = ChatState::default();
    for r in records {
        apply(&mut s, r);
    }
    s
}

/// The records in a shuffled order with some delivered twice.
fn delivery(records: Vec<Record>) -> impl Strategy<Value = Vec<Record>> {
    let n = records.len();
    (
        Just(records),
        proptest::collection::vec(0..n.max(1), 0..n + 1),
    )
        .prop_flat_map(|(records, dups)| {
            let mut all = records.clone();
            all.extend(dups.into_iter().filter_map(|i| records.get(i).cloned()));
            Just(all).prop_shuffle()
        })
}

fn records() -> impl Strategy<Value = Vec<Record>> {
    proptest::collection::vec(record(), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_delivery_order_shows_the_same_chat(
        (original, delivered) in records().prop_flat_map(|r| (Just(r.clone()), delivery(r)))
    ) {
        let a = state_of(&original);
        let b = state_of(&delivered);
        prop_assert_eq!(&a, &b);
        for s in 0..STORES.len() {
            let channel = Channel::Store(store(s));
            let ids = |st: &ChatState| st.channel(&channel).iter().map(|p| p.message.id).collect::<Vec<_>>();
            prop_assert_eq!(ids(&a), ids(&b));
        }
    }

    #[test]
    fn merge_is_commutative_associative_idempotent(x in records(), y in records(), z in records()) {
        let (a, b, c) = (state_of(&x), state_of(&y), state_of(&z));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        prop_assert_eq!(&ab, &ba);

        let mut ab_c = ab.clone();
        ab_c.merge(&c);
        let mut bc = b.clone();
        bc.merge(&c);
        let mut a_bc = a.clone();
        a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc);

        let mut aa = a.clone();
        aa.merge(&a);
        prop_assert_eq!(&aa, &a);

        // Merging states is the same as applying all the records.
        let all: Vec<Record> = x.iter().chain(&y).chain(&z).cloned().collect();
        prop_assert_eq!(&ab_c, &state_of(&all));
    }

    #[test]
    fn a_message_is_shown_once_and_channels_are_ordered(x in records()) {
        let s = state_of(x.iter().chain(&x));
        for i in 0..STORES.len() {
            let msgs = s.channel(&Channel::Store(store(i)));
            let keys: Vec<_> = msgs.iter().map(|p| (p.hlc, p.message.id)).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup_by_key(|k| k.1);
            prop_assert_eq!(keys, sorted);
        }
    }

    #[test]
    fn ticket_status_is_the_furthest_seen(x in records()) {
        let s = state_of(&x);
        for r in &x {
            if let Record::Ticket(t) = r {
                let now = s.ticket_status(t.ticket).expect("known ticket");
                prop_assert!(now >= t.status);
            }
        }
    }

    #[test]
    fn unread_counts_only_what_is_after_the_read_position(x in records()) {
        let s = state_of(&x);
        let reader = Reader::Till(actor(0));
        for i in 0..STORES.len() {
            let channel = Channel::Store(store(i));
            let pos = s.read_position(&reader, &channel);
            let expected = s
                .channel(&channel)
                .iter()
                .filter(|p| pos.is_none_or(|r| p.hlc > r))
                .count();
            prop_assert_eq!(s.unread(&reader, &channel, |_| false), expected);
        }
    }
}
