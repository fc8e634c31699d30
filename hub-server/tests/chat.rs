//! HQ–store chat and notices against the real hub (issue 6): who may read and write which
//! channel, resends stored once, order by the HLC of the carrying op (not arrival), unread
//! counts per user, announcements with acknowledgements from a till, the ticket inbox with
//! forward-only status, attachments (size, type, sniffing, idempotency, who may download),
//! live events, and hostile tills refused at the sync layer.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::chat::{
    AnnouncementAck, AttachmentRef, Channel, ChatAuthor, ChatMessage, ChatRead, ChatSide,
    MessageKind, Reader, TicketCategory, TicketStatus, TicketUpdate,
};
use sync_proto::wire::{ErrorCode, Frame};
use sync_proto::{Hlc, Op, OpBody, Scope};
use uuid::Uuid;

/// A tiny valid PNG header (what the hub sniffs) plus some bytes.
fn png(extra: u8) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[extra; 64]);
    v
}

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xff, 0xd8, 0xff, 0xe0];
    v.extend_from_slice(&[7; 64]);
    v
}

/// An op of `till` stamped at `wall_ms` (its own seq).
fn till_op(till: &mut Till, body: OpBody, wall_ms: u64) -> Op {
    till.seq += 1;
    let scope = Scope::Store(till.e.store.clone());
    Op {
        actor: till.e.actor,
        seq: till.seq,
        hlc: Hlc {
            wall_ms,
            counter: 0,
            actor: till.e.actor,
        },
        scope,
        body,
    }
}

/// A message from a till of its store.
fn till_message(till: &Till, id: Uuid, text: &str, kind: MessageKind) -> ChatMessage {
    ChatMessage {
        id,
        channel: Channel::Store(till.e.store.clone()),
        author: ChatAuthor {
            side: ChatSide::Store,
            username: Some("park.cashier".into()),
            display_name: "Park".into(),
        },
        text: text.into(),
        kind,
        attachments: Vec::new(),
        written_at_ms: hub_server::now_ms() as i64,
    }
}

/// Push a chat message from a till at `wall_ms`.
async fn till_says(till: &mut Till, text: &str, wall_ms: u64) -> ChatMessage {
    let m = till_message(till, Uuid::now_v7(), text, MessageKind::Chat);
    let op = till_op(till, OpBody::ChatMessage(m.clone()), wall_ms);
    till.push(vec![op]).await;
    m
}

async fn messages(who: &As<'_>, channel: &str) -> Vec<Value> {
    let (s, v) = who.get(&format!("chat/channels/{channel}/messages")).await;
    assert_eq!(s, 200, "{v}");
    v["messages"].as_array().expect("messages").clone()
}

fn texts(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect()
}

async fn unread(who: &As<'_>, channel: &str) -> u64 {
    let (s, v) = who.get("chat/channels").await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == channel)
        .and_then(|c| c["unread"].as_u64())
        .unwrap_or_else(|| panic!("no channel {channel} in {v}"))
}

/// POST raw bytes to the attachment store with a bearer token.
async fn upload(hub: &TestHub, token: &str, mime: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    json_answer(
        hub.http
            .post(hub.api(&format!("chat/attachments?name={name}")))
            .header("content-type", mime)
            .body(body),
        token,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_manager_sees_only_their_store_and_cashiers_and_drivers_nothing() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    let driver = user_session(&hub, "kang.driver", "driver", None).await;

    for store in ["GN01", "HD02"] {
        let (s, v) = admin
            .post(
                &format!("chat/channels/store:{store}/messages"),
                json!({"text": format!("delivery for {store} is late")}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    // Channels: the manager gets their store's two, HQ every store's (no warehouse).
    let (s, v) = mgr.get("chat/channels").await;
    assert_eq!(s, 200, "{v}");
    let names: Vec<&str> = v
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["channel"].as_str().expect("channel"))
        .collect();
    assert_eq!(names, ["store:GN01", "notices:GN01"]);
    let (_, v) = admin.get("chat/channels").await;
    assert_eq!(v.as_array().expect("list").len(), 4, "{v}");
    assert_eq!(v[0]["store_name"], "Gangnam");
    assert_eq!(v[0]["last_message"]["text"], "delivery for GN01 is late");

    // Another store's channel: read, write, mark read, search → 403.
    assert_refused(
        mgr.get("chat/channels/store:HD02/messages").await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.post("chat/channels/store:HD02/messages", json!({"text": "hi"}))
            .await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.post(
            "chat/channels/notices:HD02/read",
            json!({"up_to": "0000000000000001.0000000000.00000000000000000000000000000000"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_refused(
        mgr.get("chat/search?q=delivery&channel=store:HD02").await,
        403,
        "forbidden",
    );
    // A search without a channel stays within the manager's store.
    let (s, v) = mgr.get("chat/search?q=deliv").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        texts(v["messages"].as_array().expect("found")),
        ["delivery for GN01 is late"]
    );
    let (_, v) = admin.get("chat/search?q=late").await;
    assert_eq!(v["messages"].as_array().expect("found").len(), 2, "{v}");

    // The manager writes in their own store, as the store.
    let (s, v) = mgr
        .post(
            "chat/channels/store:GN01/messages",
            json!({"text": "thanks"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["side"], "store");
    assert_eq!(v["username"], "choi.manager");

    // An attachment HQ sent to HD02 is not the manager's to read, even by hash.
    let (s, a) = upload(&hub, &hub.token, "image/png", "hd02.png", png(1)).await;
    assert_eq!(s, 201, "{a}");
    let sha = a["sha256"].as_str().expect("sha").to_owned();
    let (s, v) = admin
        .post(
            "chat/channels/store:HD02/messages",
            json!({"text": "", "attachments": [sha]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["attachments"][0]["uploaded"], true, "{v}");
    assert_refused(
        mgr.get(&format!("chat/attachments/{sha}")).await,
        403,
        "forbidden",
    );
    // The manager's own upload is theirs to read back; HQ may read everything.
    let (s, own) = upload(&hub, &mgr.token, "image/jpeg", "gn01.jpg", jpeg()).await;
    assert_eq!(s, 201, "{own}");
    let r = hub
        .http
        .get(hub.api(&format!(
            "chat/attachments/{}",
            own["sha256"].as_str().expect("sha")
        )))
        .bearer_auth(&mgr.token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);

    // Announcements are head office's.
    assert_refused(
        mgr.post(
            "chat/announcements",
            json!({"title": "t", "text": "x", "requires_ack": false, "audience": {"all": true}}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_refused(mgr.get("chat/announcements").await, 403, "forbidden");

    // Drivers (and cashiers, who cannot log in to the console) get nothing.
    assert_refused(driver.get("chat/channels").await, 403, "forbidden");
    assert_refused(driver.get("chat/tickets").await, 403, "forbidden");
    assert_refused(
        upload(&hub, &driver.token, "image/png", "x.png", png(2)).await,
        403,
        "forbidden",
    );

    // Unknown and malformed channels.
    assert_refused(
        admin.get("chat/channels/store:ZZ99/messages").await,
        404,
        "unknown_store",
    );
    assert_refused(
        admin.get("chat/channels/store:WH01/messages").await,
        404,
        "unknown_store",
    );
    assert_refused(
        admin.get("chat/channels/hq:GN01/messages").await,
        400,
        "invalid_input",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_stored_once_and_ordered_by_hlc_not_arrival() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);
    let (mut events_ws, _) = events(&hub, &hub.token).await;

    // HQ resends with the same id: one message, the same answer.
    let id = Uuid::now_v7().to_string();
    let body = json!({"id": id, "text": "HQ: new stock arrives Friday"});
    let (s1, first) = admin
        .post("chat/channels/store:GN01/messages", body.clone())
        .await;
    let (s2, again) = admin.post("chat/channels/store:GN01/messages", body).await;
    assert_eq!((s1, s2), (201, 200), "{first} {again}");
    assert_eq!(first, again);
    assert_eq!(first["side"], "hq");
    assert_eq!(first["display_name"], "Administrator");
    // The same id in another channel is a different message: refused.
    assert_refused(
        admin
            .post(
                "chat/channels/store:HD02/messages",
                json!({"id": id, "text": "x"}),
            )
            .await,
        409,
        "id_conflict",
    );

    // A till that was offline wrote a minute ago; its message arrives after HQ's but sorts
    // before it, by the HLC of its op.
    let mut till = Till::open(&hub, "GN01").await;
    let minute_ago = hub_server::now_ms() - 60_000;
    let offline = till_message(
        &till,
        Uuid::now_v7(),
        "till: written offline",
        MessageKind::Chat,
    );
    let op = till_op(&mut till, OpBody::ChatMessage(offline.clone()), minute_ago);
    till.push(vec![op.clone()]).await;
    let live = till_says(&mut till, "till: written now", hub_server::now_ms()).await;
    // The same message again in a new op (a till that lost its ack and re-wrote it): once.
    let dup = till_op(
        &mut till,
        OpBody::ChatMessage(live.clone()),
        hub_server::now_ms(),
    );
    till.push(vec![dup]).await;

    let list = messages(&admin, "store:GN01").await;
    assert_eq!(
        texts(&list),
        [
            "till: written offline",
            "HQ: new stock arrives Friday",
            "till: written now"
        ]
    );
    let orders: Vec<&str> = list
        .iter()
        .map(|m| m["order"].as_str().expect("order"))
        .collect();
    let mut sorted = orders.clone();
    sorted.sort();
    assert_eq!(orders, sorted, "order keys sort like the list");
    assert_eq!(list[0]["hlc_wall_ms"], minute_ago);
    assert_eq!(list[0]["side"], "store");
    assert_eq!(list[0]["id"], offline.id.to_string());

    // Paging by order key, both ways.
    let (_, after) = admin
        .get(&format!(
            "chat/channels/store:GN01/messages?after={}",
            orders[0]
        ))
        .await;
    assert_eq!(
        texts(after["messages"].as_array().expect("page")),
        ["HQ: new stock arrives Friday", "till: written now"]
    );
    let (_, before) = admin
        .get(&format!(
            "chat/channels/store:GN01/messages?before={}&limit=1",
            orders[2]
        ))
        .await;
    assert_eq!(
        texts(before["messages"].as_array().expect("page")),
        ["HQ: new stock arrives Friday"]
    );
    assert_refused(
        admin
            .get("chat/channels/store:GN01/messages?after=yesterday")
            .await,
        400,
        "invalid_input",
    );

    // Live: the console saw the till's messages, once each.
    let seen = event_until(&mut events_ws, |v| {
        v["type"] == "chat_message" && v["message"]["text"] == "till: written offline"
    })
    .await;
    assert_eq!(seen["message"]["channel"], "store:GN01");
    event_until(&mut events_ws, |v| {
        v["type"] == "chat_message" && v["message"]["text"] == "till: written now"
    })
    .await;
    while let Some(v) =
        next_event_within(&mut events_ws, std::time::Duration::from_millis(500)).await
    {
        assert!(
            !(v["type"] == "chat_message" && v["message"]["text"] == "till: written now"),
            "a duplicate message was announced twice: {v}"
        );
    }

    // The HQ message, written before the till was enrolled, reached it in its snapshot;
    // one written now arrives downstream.
    let in_snapshot: Vec<&Op> = till
        .snapshot_records
        .iter()
        .filter(|op| matches!(&op.body, OpBody::ChatMessage(m) if m.id.to_string() == id))
        .collect();
    assert_eq!(in_snapshot.len(), 1, "{:?}", till.snapshot_records);
    assert_eq!(
        in_snapshot[0].scope,
        Scope::Store("GN01".parse().expect("store"))
    );
    let (s, later) = admin
        .post(
            "chat/channels/store:GN01/messages",
            json!({"text": "HQ: and one more"}),
        )
        .await;
    assert_eq!(s, 201, "{later}");
    let down = till
        .downstream(
            |op| matches!(&op.body, OpBody::ChatMessage(m) if m.id.to_string() == later["id"]),
        )
        .await;
    assert_ne!(down.actor, till.e.actor, "an HQ op of the hub's actor");

    // Bad input is refused with the rule's message and stores nothing.
    let (s, v) = admin
        .post(
            "chat/channels/store:GN01/messages",
            json!({"text": "x".repeat(4001)}),
        )
        .await;
    assert_error(s, &v, 400, "invalid_input");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("4000"),
        "{v}"
    );
    assert_refused(
        admin
            .post("chat/channels/store:GN01/messages", json!({"text": "  "}))
            .await,
        400,
        "invalid_input",
    );
    assert_refused(
        admin
            .post(
                "chat/channels/store:GN01/messages",
                json!({"text": "x", "ticket_category": "gossip"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_refused(
        admin
            .post("chat/channels/notices:GN01/messages", json!({"text": "x"}))
            .await,
        400,
        "announcements_only",
    );
    assert_refused(
        admin
            .post(
                "chat/channels/store:GN01/messages",
                json!({"text": "x", "attachments": ["a".repeat(64)]}),
            )
            .await,
        400,
        "attachment_not_uploaded",
    );
    assert_eq!(messages(&admin, "store:GN01").await.len(), 4);
    // Search: what people type never breaks the query; nothing to search for is a 400.
    let (s, v) = admin.get("chat/search?q=%22AND%20OR(").await;
    assert_eq!(s, 200, "{v}");
    assert_refused(admin.get("chat/search?q=%20").await, 400, "invalid_input");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_counts_are_per_user_and_reads_only_move_forward() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);
    let lee = user_session(&hub, "lee.hq", "hq_staff", None).await;
    let mut till = Till::open(&hub, "GN01").await;
    for i in 0..3 {
        till_says(&mut till, &format!("till {i}"), hub_server::now_ms()).await;
    }
    assert_eq!(unread(&admin, "store:GN01").await, 3);
    assert_eq!(unread(&lee, "store:GN01").await, 3);
    assert_eq!(unread(&admin, "store:HD02").await, 0);

    // Your own messages are never unread for you.
    let (s, mine) = admin
        .post(
            "chat/channels/store:GN01/messages",
            json!({"text": "HQ here"}),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(unread(&admin, "store:GN01").await, 3);
    assert_eq!(unread(&lee, "store:GN01").await, 4);

    // Reading up to the second message leaves the rest unread, for that user only.
    let list = messages(&admin, "store:GN01").await;
    let second = list[1]["order"].as_str().expect("order").to_owned();
    let (s, v) = admin
        .post("chat/channels/store:GN01/read", json!({"up_to": second}))
        .await;
    assert_eq!(s, 204, "{v}");
    assert_eq!(unread(&admin, "store:GN01").await, 1);
    assert_eq!(unread(&lee, "store:GN01").await, 4);
    let last = list[3]["order"].as_str().expect("order").to_owned();
    admin
        .post("chat/channels/store:GN01/read", json!({"up_to": last}))
        .await;
    assert_eq!(unread(&admin, "store:GN01").await, 0);
    // Going back is a no-op (max-register).
    let first = list[0]["order"].as_str().expect("order").to_owned();
    let (s, _) = admin
        .post("chat/channels/store:GN01/read", json!({"up_to": first}))
        .await;
    assert_eq!(s, 204);
    assert_eq!(unread(&admin, "store:GN01").await, 0);
    // The till learns HQ's read position ("seen by HQ"): a ChatRead of the admin.
    let op = till
        .downstream(|op| {
            matches!(&op.body, OpBody::ChatRead(r) if r.reader == Reader::User("admin".into()))
        })
        .await;
    let OpBody::ChatRead(r) = op.body else {
        unreachable!()
    };
    assert_eq!(r.channel, Channel::Store("GN01".parse().expect("store")));
    // A new till message is unread again.
    till_says(&mut till, "till 3", hub_server::now_ms()).await;
    assert_eq!(unread(&admin, "store:GN01").await, 1);

    assert_refused(
        admin
            .post(
                "chat/channels/store:GN01/read",
                json!({"up_to": "nonsense"}),
            )
            .await,
        400,
        "invalid_input",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_to_two_stores_acknowledged_by_one_shows_one_of_two() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    hub.ok(
        "stores",
        json!({"code": "BS03", "name": "Busan", "kind": "store", "currency": "KRW", "region": "Busan"}),
    )
    .await;
    let admin = admin(&hub);
    let (mut events_ws, _) = events(&hub, &hub.token).await;
    let mut gn = Till::open(&hub, "GN01").await;
    let mut hd = Till::open(&hub, "HD02").await;

    let id = Uuid::now_v7().to_string();
    let body = json!({"id": id, "title": "Winter hours", "text": "Close at 20:00 from Monday.",
                      "requires_ack": true, "audience": {"stores": ["GN01", "HD02"]}});
    let (s, sent) = admin.post("chat/announcements", body.clone()).await;
    assert_eq!(s, 201, "{sent}");
    assert_eq!(sent["audience"], 2);
    assert_eq!(sent["acknowledged"], 0);
    assert_eq!(sent["sent_by"], "admin");
    // A retry with the same id writes nothing new.
    let (s, again) = admin.post("chat/announcements", body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["audience"], 2);
    let notices = messages(&admin, "notices:GN01").await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["kind"], "announcement");
    assert_eq!(notices[0]["title"], "Winter hours");
    assert_eq!(notices[0]["requires_ack"], true);
    assert!(messages(&admin, "notices:BS03").await.is_empty());

    // The GN01 till receives its copy, reads it and acknowledges it.
    let op = gn
        .downstream(|op| matches!(&op.body, OpBody::ChatMessage(m) if matches!(m.kind, MessageKind::Announcement { .. })))
        .await;
    let OpBody::ChatMessage(copy) = &op.body else {
        unreachable!()
    };
    assert_eq!(
        copy.channel,
        Channel::Notices("GN01".parse().expect("store"))
    );
    let announcement: Uuid = id.parse().expect("uuid");
    let read = ChatRead {
        channel: copy.channel.clone(),
        reader: Reader::Till(gn.e.actor),
        up_to: op.hlc,
    };
    let ack = AnnouncementAck {
        announcement,
        store: gn.e.store.clone(),
        by: "park.cashier".into(),
        at_ms: hub_server::now_ms() as i64,
    };
    let now = hub_server::now_ms();
    let ops = vec![
        till_op(&mut gn, OpBody::ChatRead(read), now),
        till_op(&mut gn, OpBody::AnnouncementAck(ack.clone()), now + 1),
    ];
    gn.push(ops).await;
    let ev = event_until(&mut events_ws, |v| v["type"] == "announcement_ack").await;
    assert_eq!(ev["announcement"], id);
    assert_eq!(ev["store"], "GN01");
    assert_eq!(ev["by"], "park.cashier");

    let (s, list) = admin.get("chat/announcements").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0]["id"], id);
    assert_eq!(
        (
            list[0]["acknowledged"].as_u64(),
            list[0]["audience"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(list[0]["read"], 1);
    let (s, detail) = admin.get(&format!("chat/announcements/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    let stores = detail["stores"].as_array().expect("stores");
    assert_eq!(stores.len(), 2);
    assert_eq!(stores[0]["store"], "GN01");
    assert_eq!(stores[0]["acked_by"], "park.cashier");
    assert!(stores[0]["read_at_hlc_ms"].as_u64().is_some(), "{detail}");
    assert_eq!(stores[1]["store"], "HD02");
    assert_eq!(stores[1]["acked_by"], Value::Null);
    assert_eq!(stores[1]["read_at_hlc_ms"], Value::Null);

    // A second, later ack of the same store changes nothing.
    let later = AnnouncementAck {
        by: "someone.else".into(),
        at_ms: ack.at_ms + 10_000,
        ..ack
    };
    let op = till_op(
        &mut gn,
        OpBody::AnnouncementAck(later),
        hub_server::now_ms(),
    );
    gn.push(vec![op]).await;
    let (_, detail) = admin.get(&format!("chat/announcements/{id}")).await;
    assert_eq!(detail["stores"][0]["acked_by"], "park.cashier");
    assert_eq!(detail["summary"]["acknowledged"], 1);

    // Remind: only HD02's till gets a show_message command.
    let (s, r) = admin
        .post(&format!("chat/announcements/{id}/remind"), json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["reminded"], 1);
    let cmd = next_command(&mut hd.ws).await;
    match cmd.kind {
        sync_proto::wire::CommandKind::ShowMessage(m) => assert!(m.contains("Winter hours"), "{m}"),
        other => panic!("expected show_message, got {other:?}"),
    }

    // HD02 acknowledges from the reminder without a recorded read: the detail and the
    // summary agree that it has read it (at the acknowledgement).
    let hd_ack = AnnouncementAck {
        announcement,
        store: hd.e.store.clone(),
        by: "hd02.manager".into(),
        at_ms: hub_server::now_ms() as i64,
    };
    let op = till_op(
        &mut hd,
        OpBody::AnnouncementAck(hd_ack.clone()),
        hub_server::now_ms(),
    );
    hd.push(vec![op]).await;
    let (_, detail) = admin.get(&format!("chat/announcements/{id}")).await;
    assert_eq!(detail["summary"]["acknowledged"], 2, "{detail}");
    assert_eq!(detail["summary"]["read"], 2, "{detail}");
    assert_eq!(detail["stores"][1]["acked_by"], "hd02.manager");
    assert_eq!(
        detail["stores"][1]["read_at_hlc_ms"].as_i64(),
        Some(hd_ack.at_ms),
        "{detail}"
    );

    // Audiences: a region, all stores (never the warehouse), and refusals.
    let (s, v) = admin
        .post(
            "chat/announcements",
            json!({"title": "Busan only", "text": "x", "requires_ack": false, "audience": {"region": "Busan"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["audience"], 1);
    let (s, v) = admin
        .post(
            "chat/announcements",
            json!({"title": "Everyone", "text": "x", "requires_ack": false, "audience": {"all": true}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["audience"], 3);
    assert_refused(
        admin
            .post(
                &format!(
                    "chat/announcements/{}/remind",
                    v["id"].as_str().expect("id")
                ),
                json!({}),
            )
            .await,
        409,
        "ack_not_required",
    );
    assert_refused(
        admin
            .post(
                "chat/announcements",
                json!({"title": "x", "text": "x", "requires_ack": false, "audience": {"region": "Mars"}}),
            )
            .await,
        404,
        "unknown_region",
    );
    assert_refused(
        admin
            .post(
                "chat/announcements",
                json!({"title": "x", "text": "x", "requires_ack": false, "audience": {"stores": ["WH01"]}}),
            )
            .await,
        400,
        "not_a_store",
    );
    assert_refused(
        admin
            .post(
                "chat/announcements",
                json!({"title": "", "text": "x", "requires_ack": false, "audience": {"all": true}}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_refused(
        admin
            .get(&format!("chat/announcements/{}", Uuid::now_v7()))
            .await,
        404,
        "unknown_announcement",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_fill_the_inbox_and_only_move_forward() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);
    let hd_mgr = user_session(&hub, "yoon.manager", "store_manager", Some("HD02")).await;
    let (mut events_ws, _) = events(&hub, &hub.token).await;
    let mut till = Till::open(&hub, "GN01").await;

    let ticket = till_message(
        &till,
        Uuid::now_v7(),
        "Box of jeans arrived crushed",
        MessageKind::Ticket {
            category: TicketCategory::Delivery,
        },
    );
    let op = till_op(
        &mut till,
        OpBody::ChatMessage(ticket.clone()),
        hub_server::now_ms(),
    );
    till.push(vec![op]).await;
    let id = ticket.id.to_string();

    let (s, inbox) = admin.get("chat/tickets?status=open").await;
    assert_eq!(s, 200, "{inbox}");
    assert_eq!(inbox.as_array().expect("inbox").len(), 1, "{inbox}");
    assert_eq!(inbox[0]["id"], id);
    assert_eq!(inbox[0]["store"], "GN01");
    assert_eq!(inbox[0]["store_name"], "Gangnam");
    assert_eq!(inbox[0]["category"], "delivery");
    assert_eq!(inbox[0]["status"], "open");
    assert_eq!(inbox[0]["display_name"], "Park");
    let (_, channels) = admin.get("chat/channels").await;
    assert_eq!(channels[0]["open_tickets"], 1, "{channels}");
    // Another store's manager sees none of it.
    let (s, theirs) = hd_mgr.get("chat/tickets").await;
    assert_eq!(s, 200);
    assert_eq!(theirs, json!([]));
    assert_refused(
        hd_mgr.get("chat/tickets?store=GN01").await,
        403,
        "forbidden",
    );
    assert_refused(
        hd_mgr
            .post(
                &format!("chat/tickets/{id}/status"),
                json!({"status": "resolved"}),
            )
            .await,
        403,
        "forbidden",
    );

    let (s, t) = admin
        .post(
            &format!("chat/tickets/{id}/status"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["updated_by"], "admin");
    let ev = event_until(&mut events_ws, |v| v["type"] == "ticket_update").await;
    assert_eq!(ev["ticket"]["status"], "in_progress");
    assert_refused(
        admin
            .post(
                &format!("chat/tickets/{id}/status"),
                json!({"status": "open"}),
            )
            .await,
        409,
        "ticket_backwards",
    );
    // The till learns the status; its own late "open" does not move it back.
    till.downstream(
        |op| matches!(&op.body, OpBody::TicketUpdate(u) if u.status == TicketStatus::InProgress),
    )
    .await;
    let back = TicketUpdate {
        ticket: ticket.id,
        channel: ticket.channel.clone(),
        status: TicketStatus::Open,
        by: "park.cashier".into(),
    };
    let op = till_op(&mut till, OpBody::TicketUpdate(back), hub_server::now_ms());
    till.push(vec![op]).await;
    let (_, open) = admin.get("chat/tickets?status=open").await;
    assert_eq!(open, json!([]));

    let (s, t) = admin
        .post(
            &format!("chat/tickets/{id}/status"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "resolved");
    let (_, resolved) = admin
        .get("chat/tickets?status=resolved&category=delivery")
        .await;
    assert_eq!(resolved.as_array().expect("list").len(), 1);
    let list = messages(&admin, "store:GN01").await;
    assert_eq!(list[0]["ticket_status"], "resolved");
    let (_, channels) = admin.get("chat/channels").await;
    assert_eq!(channels[0]["open_tickets"], 0, "{channels}");

    // HQ can raise a ticket too; filters are checked.
    let (s, v) = admin
        .post(
            "chat/channels/store:HD02/messages",
            json!({"text": "Printer jams at till 1", "ticket_category": "it"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["kind"], "ticket");
    assert_eq!(v["ticket_status"], "open");
    let (_, mine) = hd_mgr.get("chat/tickets").await;
    assert_eq!(mine.as_array().expect("list").len(), 1);
    assert_refused(
        admin.get("chat/tickets?status=closed").await,
        400,
        "invalid_input",
    );
    assert_refused(
        admin
            .post(
                &format!("chat/tickets/{}/status", Uuid::now_v7()),
                json!({"status": "resolved"}),
            )
            .await,
        404,
        "unknown_ticket",
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_limited_sniffed_idempotent_and_scoped() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);

    let (s, first) = upload(&hub, &hub.token, "image/png", "damage.png", png(3)).await;
    assert_eq!(s, 201, "{first}");
    let (s, again) = upload(&hub, &hub.token, "image/png", "damage.png", png(3)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(first, again);
    assert_eq!(first["size"], png(3).len());
    assert_eq!(first["uploaded"], true);
    let sha = first["sha256"].as_str().expect("sha").to_owned();
    assert_eq!(sha.len(), 64);

    // Type not allowed, bytes that lie about their type, too big, empty.
    assert_refused(
        upload(
            &hub,
            &hub.token,
            "application/x-msdownload",
            "a.exe",
            b"MZ\x90\0".to_vec(),
        )
        .await,
        415,
        "unsupported_type",
    );
    assert_refused(
        upload(&hub, &hub.token, "image/png", "fake.png", jpeg()).await,
        415,
        "content_mismatch",
    );
    assert_refused(
        upload(&hub, &hub.token, "application/pdf", "notice.pdf", png(4)).await,
        415,
        "content_mismatch",
    );
    let mut big = png(5);
    big.resize(10 * 1024 * 1024 + 1, 0);
    assert_refused(
        upload(&hub, &hub.token, "image/png", "big.png", big).await,
        413,
        "too_large",
    );
    let (s, v) = upload(&hub, &hub.token, "image/png", "../../etc/passwd", png(6)).await;
    assert_error(s, &v, 400, "invalid_attachment");
    let (s, v) = upload(&hub, &hub.token, "image/png", "empty.png", Vec::new()).await;
    assert_error(s, &v, 400, "invalid_attachment");
    let r = hub
        .http
        .post(hub.api("chat/attachments?name=x.png"))
        .header("content-type", "image/png")
        .body(png(7))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);

    // Download: right type, name, nosniff.
    let r = hub
        .http
        .get(hub.api(&format!("chat/attachments/{sha}")))
        .bearer_auth(&hub.token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(disposition.contains("damage.png"), "{disposition}");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), png(3).as_slice());

    // A till uploads with its device credential, and its message references the file.
    let mut till = Till::open(&hub, "GN01").await;
    let credential = till.e.credential.clone();
    let (s, pdf) = upload(
        &hub,
        &credential,
        "application/pdf",
        "invoice.pdf",
        b"%PDF-1.7 test".to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{pdf}");
    let pdf_sha = pdf["sha256"].as_str().expect("sha").to_owned();
    // Its message also names a photo that has not reached the hub yet.
    let pending = "b".repeat(64);
    let mut m = till_message(&till, Uuid::now_v7(), "see attached", MessageKind::Chat);
    m.attachments = vec![
        AttachmentRef {
            sha256: pdf_sha.clone(),
            name: "invoice.pdf".into(),
            mime: "application/pdf".into(),
            size: 13,
        },
        AttachmentRef {
            sha256: pending.clone(),
            name: "photo.jpg".into(),
            mime: "image/jpeg".into(),
            size: 1000,
        },
    ];
    let op = till_op(&mut till, OpBody::ChatMessage(m), hub_server::now_ms());
    till.push(vec![op]).await;
    let list = messages(&admin, "store:GN01").await;
    assert_eq!(list[0]["attachments"][0]["uploaded"], true, "{list:?}");
    assert_eq!(list[0]["attachments"][1]["uploaded"], false, "{list:?}");
    assert_refused(
        admin.get(&format!("chat/attachments/{pending}")).await,
        404,
        "not_uploaded",
    );
    let r = hub
        .http
        .get(hub.api(&format!("chat/attachments/{pdf_sha}")))
        .bearer_auth(&hub.token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );

    // HQ's photo sent to HD02 is not the GN01 till's to download; one sent to GN01 is.
    admin
        .post(
            "chat/channels/store:HD02/messages",
            json!({"text": "", "attachments": [sha]}),
        )
        .await;
    let (s, v) = json_answer(
        hub.http.get(hub.api(&format!("chat/attachments/{sha}"))),
        &credential,
    )
    .await;
    assert_error(s, &v, 403, "forbidden");
    let (s, jpg) = upload(&hub, &hub.token, "image/jpeg", "shelf.jpg", jpeg()).await;
    assert_eq!(s, 201);
    let (s, v) = admin
        .post(
            "chat/channels/store:GN01/messages",
            json!({"text": "like this", "attachments": [jpg["sha256"]]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let r = hub
        .http
        .get(hub.api(&format!(
            "chat/attachments/{}",
            jpg["sha256"].as_str().expect("sha")
        )))
        .bearer_auth(&credential)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), jpeg().as_slice());
    assert_refused(
        admin.get("chat/attachments/xyz").await,
        400,
        "invalid_input",
    );
    assert_refused(
        admin
            .get(&format!("chat/attachments/{}", "c".repeat(64)))
            .await,
        404,
        "unknown_attachment",
    );
    hub.stop().await;
}

/// Push one op (in the till's own scope) from a fresh connection of `till` and expect the
/// hub to refuse it.
async fn refused_op(hub: &TestHub, till: &Till, body: OpBody) -> ErrorCode {
    refused_op_in(hub, till, Scope::Store(till.e.store.clone()), body).await
}

/// Push one op in `scope` from a fresh connection of `till`; the hub must refuse it.
async fn refused_op_in(hub: &TestHub, till: &Till, scope: Scope, body: OpBody) -> ErrorCode {
    let mut ws = connect(&hub.url, &till.e.credential)
        .await
        .expect("connect");
    let welcome = hello(&mut ws, till.e.actor, till.seq, 0).await;
    let op = Op {
        actor: till.e.actor,
        seq: welcome.acked_seq + 1,
        hlc: Hlc {
            wall_ms: hub_server::now_ms(),
            counter: 0,
            actor: till.e.actor,
        },
        scope,
        body,
    };
    send(
        &mut ws,
        &Frame::Push(sync_proto::wire::Push { ops: vec![op] }),
    )
    .await;
    refusal(&mut ws).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tills_cannot_write_elsewhere_announce_or_read_as_hq() {
    let hub = TestHub::start().await;
    hub.seed_stores("Warehouse").await;
    let admin = admin(&hub);
    let till = Till::open(&hub, "GN01").await;
    let hd02: sync_proto::StoreId = "HD02".parse().expect("store");

    // Into another store's channel: in that store's scope, or smuggled in its own scope.
    let mut m = till_message(&till, Uuid::now_v7(), "hello HD02", MessageKind::Chat);
    m.channel = Channel::Store(hd02.clone());
    assert_eq!(
        refused_op_in(
            &hub,
            &till,
            Scope::Store(hd02.clone()),
            OpBody::ChatMessage(m.clone())
        )
        .await,
        ErrorCode::WrongStore
    );
    assert_eq!(
        refused_op(&hub, &till, OpBody::ChatMessage(m)).await,
        ErrorCode::InvalidOp
    );

    // A forged announcement.
    let mut m = till_message(
        &till,
        Uuid::now_v7(),
        "free bonus for all",
        MessageKind::Announcement {
            announcement: Uuid::now_v7(),
            title: "HQ".into(),
            requires_ack: false,
        },
    );
    m.channel = Channel::Notices(till.e.store.clone());
    m.author.side = ChatSide::Hq;
    assert_eq!(
        refused_op(&hub, &till, OpBody::ChatMessage(m)).await,
        ErrorCode::InvalidOp
    );

    // Writing as HQ.
    let mut m = till_message(&till, Uuid::now_v7(), "I am head office", MessageKind::Chat);
    m.author.side = ChatSide::Hq;
    assert_eq!(
        refused_op(&hub, &till, OpBody::ChatMessage(m)).await,
        ErrorCode::InvalidOp
    );

    // Moving an HQ user's read position.
    let read = ChatRead {
        channel: Channel::Store(till.e.store.clone()),
        reader: Reader::User("admin".into()),
        up_to: Hlc {
            wall_ms: hub_server::now_ms() + 1_000_000,
            counter: 0,
            actor: till.e.actor,
        },
    };
    assert_eq!(
        refused_op(&hub, &till, OpBody::ChatRead(read)).await,
        ErrorCode::InvalidOp
    );

    // Acknowledging for another store; an oversized message.
    let ack = AnnouncementAck {
        announcement: Uuid::now_v7(),
        store: hd02,
        by: "park".into(),
        at_ms: 1,
    };
    assert_eq!(
        refused_op_in(
            &hub,
            &till,
            Scope::Store(ack.store.clone()),
            OpBody::AnnouncementAck(ack.clone())
        )
        .await,
        ErrorCode::WrongStore
    );
    assert_eq!(
        refused_op(&hub, &till, OpBody::AnnouncementAck(ack)).await,
        ErrorCode::InvalidOp
    );
    let m = till_message(&till, Uuid::now_v7(), &"x".repeat(4001), MessageKind::Chat);
    assert_eq!(
        refused_op(&hub, &till, OpBody::ChatMessage(m)).await,
        ErrorCode::InvalidOp
    );

    // Nothing of it was stored anywhere.
    for channel in ["store:GN01", "store:HD02", "notices:GN01"] {
        assert!(messages(&admin, channel).await.is_empty(), "{channel}");
    }
    let (_, list) = admin.get("chat/announcements").await;
    assert_eq!(list, json!([]));
    hub.stop().await;
}
