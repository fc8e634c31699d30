//! The till fleet against the real hub: remote commands delivered at once to
//! a connected raw-sync till and on `Hello` to one that connects later,
//! re-sent after a reconnect until acked, done once acked in `Status`; the
//! lock state and versions in `GET /tills`; refusals (other store, revoked,
//! bad input); a revoked till's connection closes at once.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::wire::{CommandKind, ErrorCode, Frame, TillStatus};
use uuid::Uuid;

async fn command_status(hub: &TestHub, actor: &str, id: &str) -> String {
    let (s, list) = hub.get(&format!("tills/{actor}/commands")).await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn till_row(hub: &TestHub, actor: &str) -> Value {
    let (s, tills) = hub.get("tills").await;
    assert_eq!(s, 200);
    tills
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["actor"] == actor)
        .cloned()
        .expect("till listed")
}

async fn status(ws: &mut Ws, acked: Vec<Uuid>, locked: bool) {
    send(
        ws,
        &Frame::Status(TillStatus {
            unsent_ops: 0,
            app_version: "test".into(),
            last_error: None,
            acked_commands: acked,
            locked,
        }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_reaches_a_connected_till_at_once_and_is_done_when_acked() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let (e, mut ws) = hub.welcomed("GN01", 0, 0).await;
    let actor = e.actor.to_string();
    let cmd = hub
        .ok(&format!("tills/{actor}/commands"), json!({"kind": "lock"}))
        .await;
    assert_eq!(cmd["kind"], "lock");
    assert_eq!(cmd["actor"], actor);
    assert_eq!(cmd["created_by"], "admin");
    let id = cmd["id"].as_str().expect("id").to_owned();
    let c = next_command(&mut ws).await;
    assert_eq!(c.id.to_string(), id);
    assert_eq!(c.kind, CommandKind::Lock);
    eventually("delivered", || async {
        command_status(&hub, &actor, &id).await == "delivered"
    })
    .await;
    assert_eq!(till_row(&hub, &actor).await["pending_commands"], 1);

    // The till carries it out and says so in its next Status.
    status(&mut ws, vec![c.id], true).await;
    eventually("done", || async {
        command_status(&hub, &actor, &id).await == "done"
    })
    .await;
    let row = till_row(&hub, &actor).await;
    assert_eq!(row["locked"], true, "{row}");
    assert_eq!(row["online"], true);
    assert_eq!(row["pending_commands"], 0);
    assert_eq!(row["protocol_version"], 1);
    assert_eq!(row["app_version"], "test");
    let (_, list) = hub.get(&format!("tills/{actor}/commands")).await;
    let done = &list[0];
    assert!(done["delivered_at_ms"].as_u64().is_some() && done["done_at_ms"].as_u64().is_some());

    // A message to the cashier travels with its text.
    let msg = hub
        .ok(
            &format!("tills/{actor}/commands"),
            json!({"kind": "show_message", "message": "Count the safe"}),
        )
        .await;
    let c = next_command(&mut ws).await;
    assert_eq!(c.id.to_string(), msg["id"].as_str().expect("id"));
    assert_eq!(c.kind, CommandKind::ShowMessage("Count the safe".into()));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_wait_for_a_till_that_connects_later_and_are_resent_until_acked() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let e = hub.enrol("GN01").await;
    let actor = e.actor.to_string();
    let unlock = hub
        .ok(
            &format!("tills/{actor}/commands"),
            json!({"kind": "unlock"}),
        )
        .await;
    let sync = hub
        .ok(
            &format!("tills/{actor}/commands"),
            json!({"kind": "force_sync"}),
        )
        .await;
    let ids = [
        unlock["id"].as_str().expect("id").to_owned(),
        sync["id"].as_str().expect("id").to_owned(),
    ];
    assert_eq!(unlock["status"], "pending");
    assert_eq!(command_status(&hub, &actor, &ids[0]).await, "pending");
    let row = till_row(&hub, &actor).await;
    assert_eq!(
        (row["online"].clone(), row["pending_commands"].clone()),
        (json!(false), json!(2))
    );

    // Connect: both arrive after Welcome, in the order they were issued.
    let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
    hello(&mut ws, e.actor, 0, 0).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(next_command(&mut ws).await);
    }
    assert_eq!(got[0].id.to_string(), ids[0]);
    assert_eq!(got[0].kind, CommandKind::Unlock);
    assert_eq!(got[1].kind, CommandKind::ForceSync);
    eventually("delivered", || async {
        command_status(&hub, &actor, &ids[1]).await == "delivered"
    })
    .await;

    // Disconnect before acking: both are sent again on the next connection.
    drop(ws);
    let mut ws = connect(&hub.url, &e.credential).await.expect("reconnect");
    hello(&mut ws, e.actor, 0, 0).await;
    let mut again = Vec::new();
    while again.len() < 2 {
        again.push(next_command(&mut ws).await.id.to_string());
    }
    assert_eq!(again, ids);
    // Acked (an unknown id is ignored): done, and not sent on the next connection.
    status(&mut ws, vec![got[0].id, got[1].id, Uuid::now_v7()], false).await;
    for id in &ids {
        eventually("done", || async {
            command_status(&hub, &actor, id).await == "done"
        })
        .await;
    }
    drop(ws);
    let mut ws = connect(&hub.url, &e.credential).await.expect("reconnect");
    hello(&mut ws, e.actor, 0, 0).await;
    let later = hub
        .ok(&format!("tills/{actor}/commands"), json!({"kind": "lock"}))
        .await;
    // The first command this connection sees is the new one.
    let c = next_command(&mut ws).await;
    assert_eq!(c.id.to_string(), later["id"].as_str().expect("id"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_refused_outside_the_role_store_and_for_bad_input() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let gn = hub.enrol("GN01").await;
    let hd = hub.enrol("HD02").await;
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    let (s, v) = mgr
        .post(
            &format!("tills/{}/commands", hd.actor),
            json!({"kind": "lock"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let (s, _) = mgr.get(&format!("tills/{}/commands", hd.actor)).await;
    assert_eq!(s, 403);
    let (s, v) = mgr
        .post(
            &format!("tills/{}/commands", gn.actor),
            json!({"kind": "lock"}),
        )
        .await;
    assert_eq!(s, 202, "a manager commands their own tills: {v}");
    let (s, tills) = mgr.get("tills").await;
    assert_eq!(s, 200);
    let stores: Vec<&str> = tills
        .as_array()
        .expect("tills")
        .iter()
        .filter_map(|t| t["store"].as_str())
        .collect();
    assert_eq!(stores, ["GN01"]);
    let driver = user_session(&hub, "lee.driver", "driver", None).await;
    let (s, _) = driver
        .post(
            &format!("tills/{}/commands", gn.actor),
            json!({"kind": "lock"}),
        )
        .await;
    assert_eq!(s, 403);
    let staff = user_session(&hub, "park.staff", "hq_staff", None).await;
    let (s, _) = staff
        .post(
            &format!("tills/{}/commands", hd.actor),
            json!({"kind": "force_sync"}),
        )
        .await;
    assert_eq!(s, 202, "hq_staff sends till commands");
    let (s, _) = staff
        .post(&format!("tills/{}/revoke", hd.actor), json!({}))
        .await;
    assert_eq!(s, 403, "only hq_admin revokes");

    let path = format!("tills/{}/commands", gn.actor);
    for (body, want) in [
        (json!({"kind": "show_message"}), 400),
        (json!({"kind": "show_message", "message": "  "}), 400),
        (
            json!({"kind": "show_message", "message": "x".repeat(501)}),
            400,
        ),
        (json!({"kind": "lock", "message": "hi"}), 400),
        (json!({"kind": "explode"}), 400),
        (json!({}), 400),
    ] {
        let (s, v) = hub.post(&path, body.clone()).await;
        assert_eq!(s, want, "{body} → {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }
    let (s, v) = hub
        .post("tills/not-a-uuid/commands", json!({"kind": "lock"}))
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = hub
        .post(
            &format!("tills/{}/commands", Uuid::new_v4()),
            json!({"kind": "lock"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("unknown_till"))
    );
    let (s, _) = hub
        .post(&format!("tills/{}/revoke", hd.actor), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, v) = hub
        .post(
            &format!("tills/{}/commands", hd.actor),
            json!({"kind": "lock"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("till_revoked"))
    );
    let (s, _) = hub.get("tills?store=not a code").await;
    assert_eq!(s, 400);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_till_is_disconnected_at_once() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let (e, mut ws) = hub.welcomed("GN01", 0, 0).await;
    let (s, _) = hub
        .post(&format!("tills/{}/revoke", e.actor), json!({}))
        .await;
    assert_eq!(s, 200);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while recv(&mut ws).await.is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "the revoked till's connection closes");
    assert_eq!(connect(&hub.url, &e.credential).await.err(), Some(401));
    let row = till_row(&hub, &e.actor.to_string()).await;
    assert_eq!(
        (row["revoked"].clone(), row["online"].clone()),
        (json!(true), json!(false))
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_revoked_between_upgrade_and_hello_is_refused() {
    // The revoke finds no registered connection to close yet: the Hello
    // that follows must still be refused, not welcomed.
    let hub = TestHub::start().await;
    hub.seed().await;
    let e = hub.enrol("GN01").await;
    let mut ws = connect(&hub.url, &e.credential).await.expect("upgrade");
    let (s, _) = hub
        .post(&format!("tills/{}/revoke", e.actor), json!({}))
        .await;
    assert_eq!(s, 200);
    send(
        &mut ws,
        &Frame::Hello(sync_proto::wire::Hello {
            actor: e.actor,
            last_seq: 0,
            cursor: 0,
            app_version: "test".into(),
        }),
    )
    .await;
    match recv(&mut ws).await {
        Some(Frame::Error(err)) => assert_eq!(err.code, ErrorCode::Unauthorized),
        other => panic!("a revoked till must not be welcomed: {other:?}"),
    }
    assert!(recv(&mut ws).await.is_none(), "closed after the refusal");
    hub.stop().await;
}
