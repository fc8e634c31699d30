//! Live events against the real hub: a console's WebSocket receives a sale
//! after a raw-sync till pushes it; a store manager never receives another
//! store's events; subscriptions are validated (forbidden / malformed);
//! cookie and bearer both authenticate; tills' online state and command
//! progress arrive as events; cashiers' and drivers' sockets are refused.

mod common;

use common::*;
use serde_json::json;
use sync_proto::wire::Frame;

/// Push a sale of `qty` from a welcomed till and wait for its Ack.
async fn sell(ws: &mut Ws, till: &mut TillOps, qty: u32) {
    send(ws, &push(till.sale(qty))).await;
    let want = till.seq;
    recv_until(ws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == want)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_sees_a_sale_as_soon_as_a_till_pushes_it() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let (mut events_ws, greeting) = events(&hub, &hub.token).await;
    assert_eq!(
        greeting,
        json!({"type": "hello", "role": "hq_admin", "store": null})
    );
    let (e, mut ws) = hub.welcomed("GN01", 0, 0).await;
    let mut till = TillOps::new(&e);
    let ops = till.sale(2);
    send(&mut ws, &push(ops.clone())).await;
    recv_until(&mut ws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == 2)).await;
    let sale = event_until(&mut events_ws, |v| v["type"] == "sale").await;
    assert_eq!(sale["store"], "GN01");
    assert_eq!(sale["total"], 58_000);
    assert_eq!(sale["currency"], "KRW");
    assert_eq!(sale["items"], 2);
    assert_eq!(sale["till"], e.actor.to_string());
    assert_eq!(
        sale["receipt"],
        sync_proto::ReceiptNo::new(&e.store, e.till_no, 1)
            .to_string()
            .as_str()
    );
    assert!(sale["sold_at_ms"].as_u64().is_some());
    // The same sale again from a new connection (a resend) is not a second event.
    drop(ws);
    let mut ws = connect(&hub.url, &e.credential).await.expect("reconnect");
    hello(&mut ws, e.actor, 2, 0).await;
    send(&mut ws, &push(ops)).await;
    recv_until(&mut ws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == 2)).await;
    sell(&mut ws, &mut till, 1).await;
    let next = event_until(&mut events_ws, |v| v["type"] == "sale").await;
    assert_eq!(
        next["receipt"],
        sync_proto::ReceiptNo::new(&e.store, e.till_no, 2)
            .to_string()
            .as_str(),
        "{next}"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_manager_receives_only_their_store_events() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    let (mut mgr_ws, hello) = events(&hub, &mgr.token).await;
    assert_eq!(
        hello,
        json!({"type": "hello", "role": "store_manager", "store": "GN01"})
    );
    let (mut admin_ws, _) = events(&hub, &hub.token).await;

    let (hd, mut hd_ws) = hub.welcomed("HD02", 0, 0).await;
    let mut hd_till = TillOps::new(&hd);
    let (gn, mut gn_ws) = hub.welcomed("GN01", 0, 0).await;
    let mut gn_till = TillOps::new(&gn);
    sell(&mut hd_ws, &mut hd_till, 1).await;
    let sale = event_until(&mut admin_ws, |v| v["type"] == "sale").await;
    assert_eq!(sale["store"], "HD02", "HQ sees every store");
    sell(&mut gn_ws, &mut gn_till, 3).await;
    // Everything the manager gets (tills, commands, sales) is GN01's; the
    // HD02 sale, published first, never arrives.
    let first_sale = event_until(&mut mgr_ws, |v| {
        assert!(
            v["store"].is_null() || v["store"] == "GN01",
            "a GN01 manager got another store's event: {v}"
        );
        v["type"] == "sale"
    })
    .await;
    assert_eq!(first_sale["store"], "GN01");
    assert_eq!(first_sale["items"], 3);

    // Asking for another store is refused and the socket stays usable.
    send_json(
        &mut mgr_ws,
        &json!({"type": "subscribe", "stores": ["HD02"]}),
    )
    .await;
    let err = event_until(&mut mgr_ws, |v| v["type"] == "error").await;
    assert_eq!(err["code"], "forbidden");
    assert!(
        err["message"].as_str().is_some_and(|m| m.contains("HD02")),
        "{err}"
    );
    for bad in [
        json!({"type": "dance"}),
        json!({"type": "subscribe", "stores": ["not a code"]}),
        json!([1, 2]),
    ] {
        send_json(&mut mgr_ws, &bad).await;
        let err = event_until(&mut mgr_ws, |v| v["type"] == "error").await;
        assert_eq!(err["code"], "malformed", "{bad} → {err}");
    }
    send_json(
        &mut mgr_ws,
        &json!({"type": "subscribe", "stores": ["GN01"]}),
    )
    .await;
    sell(&mut gn_ws, &mut gn_till, 1).await;
    let sale = event_until(&mut mgr_ws, |v| v["type"] == "sale").await;
    assert_eq!(sale["items"], 1);

    // HQ narrows to one store: the other store's sale is skipped.
    send_json(
        &mut admin_ws,
        &json!({"type": "subscribe", "stores": ["HD02"]}),
    )
    .await;
    // Drain what arrived before the subscription took effect.
    while next_event_within(&mut admin_ws, std::time::Duration::from_millis(300))
        .await
        .is_some()
    {}
    sell(&mut gn_ws, &mut gn_till, 5).await;
    sell(&mut hd_ws, &mut hd_till, 4).await;
    let sale = event_until(&mut admin_ws, |v| v["type"] == "sale").await;
    assert_eq!(
        (sale["store"].clone(), sale["items"].clone()),
        (json!("HD02"), json!(4))
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_state_and_command_progress_arrive_as_events() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let (mut events_ws, _) = events(&hub, &hub.token).await;
    let (e, mut ws) = hub.welcomed("GN01", 0, 0).await;
    let actor = e.actor.to_string();
    let online = event_until(&mut events_ws, |v| {
        v["type"] == "till" && v["online"] == true
    })
    .await;
    assert_eq!(online["actor"], actor.as_str());
    assert_eq!(online["store"], "GN01");
    let cmd = hub
        .ok(&format!("tills/{actor}/commands"), json!({"kind": "lock"}))
        .await;
    let id = cmd["id"].as_str().expect("id").to_owned();
    let pending = event_until(&mut events_ws, |v| v["type"] == "command").await;
    assert_eq!(
        (pending["id"].as_str(), pending["status"].as_str()),
        (Some(id.as_str()), Some("pending"))
    );
    let c = next_command(&mut ws).await;
    let delivered = event_until(&mut events_ws, |v| v["type"] == "command").await;
    assert_eq!(delivered["status"], "delivered");
    send(
        &mut ws,
        &Frame::Status(sync_proto::wire::TillStatus {
            unsent_ops: 0,
            app_version: "test".into(),
            last_error: None,
            acked_commands: vec![c.id],
            locked: true,
        }),
    )
    .await;
    let done = event_until(&mut events_ws, |v| v["type"] == "command").await;
    assert_eq!(done["status"], "done");
    let locked = event_until(&mut events_ws, |v| {
        v["type"] == "till" && v["locked"] == true
    })
    .await;
    assert_eq!(locked["actor"], actor.as_str());
    drop(ws);
    let offline = event_until(&mut events_ws, |v| {
        v["type"] == "till" && v["online"] == false
    })
    .await;
    assert_eq!(offline["actor"], actor.as_str());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_socket_authenticates_and_refuses_non_console_roles() {
    let hub = TestHub::start().await;
    hub.seed().await;
    assert_eq!(events_with(&hub, None).await.err(), Some(401));
    assert_eq!(
        events_with(&hub, Some(("authorization", "Bearer made-up".into())))
            .await
            .err(),
        Some(401)
    );
    let driver = user_session(&hub, "lee.driver", "driver", None).await;
    assert_eq!(
        events_with(
            &hub,
            Some(("authorization", format!("Bearer {}", driver.token)))
        )
        .await
        .err(),
        Some(403)
    );
    // The browser's way: the session cookie.
    let mut ws = events_with(
        &hub,
        Some(("cookie", format!("storelink_session={}", hub.token))),
    )
    .await
    .expect("cookie works");
    let hello = next_event(&mut ws).await.expect("hello");
    assert_eq!(hello["role"], "hq_admin");
    // Logging out closes the socket within the session re-check.
    let staff = user_session(&hub, "park.staff", "hq_staff", None).await;
    let (mut staff_ws, _) = events(&hub, &staff.token).await;
    let (s, _) = staff.post("auth/logout", json!({})).await;
    assert_eq!(s, 204);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while next_event_within(&mut staff_ws, std::time::Duration::from_secs(15))
            .await
            .is_some()
        {}
    })
    .await;
    assert!(closed.is_ok(), "the socket of a logged-out session closes");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_origin_may_not_open_the_event_socket() {
    // Cross-site WebSocket hijacking: the browser attaches the session
    // cookie (a sibling subdomain is the same site), so the origin decides.
    let hub = TestHub::start().await;
    let cookie = ("cookie", format!("storelink_session={}", hub.token));
    let host = hub.url.trim_start_matches("http://").to_owned();
    for refused in [
        vec![
            cookie.clone(),
            ("origin", "https://evil.example".to_owned()),
        ],
        vec![cookie.clone(), ("origin", "null".to_owned())],
        vec![
            cookie.clone(),
            ("origin", format!("http://{host}")),
            ("sec-fetch-site", "same-site".to_owned()),
        ],
    ] {
        assert_eq!(
            events_with_headers(&hub, &refused).await.err(),
            Some(403),
            "{refused:?}"
        );
    }
    // The console itself: same origin.
    let mut ws = events_with_headers(
        &hub,
        &[cookie.clone(), ("origin", format!("http://{host}"))],
    )
    .await
    .expect("same origin is welcome");
    assert_eq!(next_event(&mut ws).await.expect("hello")["type"], "hello");
    let mut ws = events_with_headers(
        &hub,
        &[cookie, ("sec-fetch-site", "same-origin".to_owned())],
    )
    .await
    .expect("same origin is welcome");
    assert_eq!(next_event(&mut ws).await.expect("hello")["type"], "hello");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closes_when_its_user_moves_to_another_store() {
    // The socket's store filter was fixed at connect: after the manager is
    // moved (or demoted), it must not keep streaming the old store.
    let hub = TestHub::start().await;
    hub.seed().await;
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    let (mut ws, hello) = events(&hub, &mgr.token).await;
    assert_eq!(hello["store"], "GN01");
    let (_, me) = mgr.get("auth/me").await;
    let id = me["id"].as_i64().expect("id");
    let (s, v) = admin(&hub)
        .patch(&format!("users/{id}"), json!({"store": "HD02"}))
        .await;
    assert_eq!(s, 200, "{v}");
    // Closed within the session re-check (5 s), not merely silent.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(12), async {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the moved manager's socket closes");
    // The same session now follows HD02 on a new socket.
    let (_ws, hello) = events(&hub, &mgr.token).await;
    assert_eq!(hello["store"], "HD02");
    hub.stop().await;
}
