//! The sync WebSocket end to end, in process: enrolment, push/ack, fan-out
//! to the store's other tills only, snapshot bootstrap, refusals.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use sync_proto::wire::{self, CursorAck, ErrorCode, Frame, MAX_FRAME_BYTES};
use sync_proto::{CatalogField, OpBody, Scope};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_ops_are_acked_and_reach_only_the_same_stores_other_tills() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let a = hub.enrol("GN01").await;
    let b = hub.enrol("GN01").await;
    let c = hub.enrol("HD02").await;
    assert_eq!((a.till_no, b.till_no, c.till_no), (1, 2, 1));

    let mut wa = connect(&hub.url, &a.credential).await.expect("a");
    let mut wb = connect(&hub.url, &b.credential).await.expect("b");
    let mut wc = connect(&hub.url, &c.credential).await.expect("c");
    for (ws, e) in [(&mut wa, &a), (&mut wb, &b), (&mut wc, &c)] {
        let w = hello(ws, e.actor, 0, 0).await;
        assert!(w.snapshot);
        assert_eq!(w.acked_seq, 0);
        assert_eq!(w.store, e.store);
        // Drain the snapshot and the first caught-up Ops.
        recv_until(ws, |f| matches!(f, Frame::Ops(o) if o.caught_up)).await;
    }

    let mut ta = TillOps::new(&a);
    let ops = ta.sale(2);
    let sale_id = match &ops[0].body {
        OpBody::Sale(s) => s.id,
        _ => unreachable!(),
    };
    send(&mut wa, &push(ops)).await;
    match recv_until(&mut wa, |f| matches!(f, Frame::Ack(_))).await {
        Frame::Ack(ack) => assert_eq!(ack.up_to_seq, 2),
        _ => unreachable!(),
    }

    // Till B of the same store receives both ops, live.
    let mut got = Vec::new();
    let mut last_to = 0;
    while got.len() < 2 {
        match recv_until(&mut wb, |f| matches!(f, Frame::Ops(_))).await {
            Frame::Ops(o) => {
                assert!(o.to_cursor >= o.from_cursor);
                last_to = o.to_cursor;
                got.extend(o.ops.into_iter().filter(|op| op.actor == a.actor));
            }
            _ => unreachable!(),
        }
    }
    assert_eq!(got.iter().map(|o| o.seq).collect::<Vec<_>>(), vec![1, 2]);
    send(&mut wb, &Frame::CursorAck(CursorAck { cursor: last_to })).await;

    // Till C of the other store gets nothing of A: make an op for C's store
    // and check that it is the first thing C sees.
    hub.receive("HD02", "TSH-001", 5).await;
    let mut seen_for_c = Vec::new();
    loop {
        match recv_until(&mut wc, |f| matches!(f, Frame::Ops(_))).await {
            Frame::Ops(o) => {
                let done = !o.ops.is_empty();
                seen_for_c.extend(o.ops);
                if done {
                    break;
                }
            }
            _ => unreachable!(),
        }
    }
    assert!(seen_for_c.iter().all(|o| o.actor != a.actor));
    assert!(
        seen_for_c
            .iter()
            .all(|o| o.scope == Scope::Store(c.store.clone()))
    );
    // And A does not get its own ops back.
    hub.receive("GN01", "TSH-001", 1).await;
    match recv_until(&mut wa, |f| matches!(f, Frame::Ops(o) if !o.ops.is_empty())).await {
        Frame::Ops(o) => assert!(o.ops.iter().all(|op| op.actor != a.actor)),
        _ => unreachable!(),
    }

    // The hub's materialised views.
    assert_eq!(hub.stock_at("TSH-001", "GN01").await, 100 - 2 + 1);
    assert_eq!(hub.stock_at("TSH-001", "HD02").await, 105);
    let (_, sales) = hub.get("sales?store=GN01").await;
    assert_eq!(sales["count"], 1);
    assert_eq!(sales["total_amount"], 58_000);
    assert_eq!(sales["sales"][0]["id"], sale_id.to_string());
    assert_eq!(sales["sales"][0]["lines"][0]["qty"], 2);
    let (_, tills) = hub.get("tills").await;
    let ta_json = tills
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["actor"] == a.actor.to_string())
        .expect("till a listed")
        .clone();
    assert_eq!(ta_json["acked_seq"], 2);
    assert_eq!(ta_json["online"], true);
    let (_, metrics_text) = (
        0,
        hub.http
            .get(format!("{}/metrics", hub.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text"),
    );
    assert!(metrics_text.contains("storelink_hub_ops_ingested_total"));
    assert!(metrics_text.contains("storelink_hub_connected_tills 3"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_are_acked_without_doubling_and_resume_from_the_hubs_acked_seq() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let a = hub.enrol("GN01").await;
    let mut t = TillOps::new(&a);
    let first = t.sale(1);
    let second = t.sale(3);

    let mut ws = connect(&hub.url, &a.credential).await.expect("connect");
    hello(&mut ws, a.actor, 2, 0).await;
    send(&mut ws, &push(first.clone())).await;
    recv_until(&mut ws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == 2)).await;
    drop(ws);

    // Reconnect: the hub says what it holds; resend everything anyway.
    let mut ws = connect(&hub.url, &a.credential).await.expect("connect");
    let w = hello(&mut ws, a.actor, 4, 0).await;
    assert_eq!(w.acked_seq, 2);
    let mut all = first;
    all.extend(second);
    send(&mut ws, &push(all)).await;
    recv_until(&mut ws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == 4)).await;

    let (_, sales) = hub.get("sales?store=GN01").await;
    assert_eq!(sales["count"], 2);
    assert_eq!(hub.stock_at("TSH-001", "GN01").await, 100 - 1 - 3);

    // A till restored from an old copy (behind the hub) is refused.
    let mut ws = connect(&hub.url, &a.credential).await.expect("connect");
    send(
        &mut ws,
        &Frame::Hello(wire::Hello {
            actor: a.actor,
            last_seq: 1,
            cursor: 0,
            app_version: "test".into(),
        }),
    )
    .await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::TillRestored);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_till_bootstraps_from_a_snapshot_of_catalog_and_its_stores_stock() {
    let hub = TestHub::start().await;
    hub.seed().await;
    hub.ok(
        "products",
        json!({"sku": "JNS-104", "name": "Slim jeans", "price": 59000}),
    )
    .await;
    hub.receive("GN01", "JNS-104", 7).await;
    // A price change: the snapshot carries only the winning value.
    hub.ok(
        "products",
        json!({"sku": "JNS-104", "name": "Slim jeans", "price": 49000}),
    )
    .await;

    let e = hub.enrol("GN01").await;
    let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
    let w = hello(&mut ws, e.actor, 0, 0).await;
    assert!(w.snapshot);
    let mut catalog = Vec::new();
    let mut stock = Vec::new();
    let at = loop {
        match recv(&mut ws).await.expect("snapshot") {
            Frame::Snapshot(chunk) => {
                catalog.extend(chunk.catalog);
                stock.extend(chunk.stock);
                if chunk.done {
                    break chunk.at_cursor;
                }
            }
            other => panic!("expected Snapshot, got {}", other.kind()),
        }
    };
    assert!(at >= w.head_cursor);
    let price = catalog
        .iter()
        .find(|c| c.sku.as_str() == "JNS-104" && matches!(c.field, CatalogField::Price(_)))
        .map(|c| c.field.clone());
    assert_eq!(price, Some(CatalogField::Price(49000)));
    assert!(catalog.iter().any(|c| c.sku.as_str() == "TSH-001"
        && c.field == CatalogField::Barcode(Some("8800000000017".into()))));
    assert!(
        stock.iter().all(|r| r.location == e.store),
        "only its store's stock"
    );
    let qty = |sku: &str| -> i64 {
        stock
            .iter()
            .filter(|r| r.sku.as_str() == sku)
            .map(|r| r.inc_total as i64 - r.dec_total as i64)
            .sum()
    };
    assert_eq!(qty("TSH-001"), 100);
    assert_eq!(qty("JNS-104"), 7);
    // After the snapshot, Ops continue from at_cursor and report caught up.
    match recv_until(&mut ws, |f| matches!(f, Frame::Ops(_))).await {
        Frame::Ops(o) => {
            assert_eq!(o.from_cursor, at);
            assert!(o.caught_up);
        }
        _ => unreachable!(),
    }
    // A till that has a cursor gets no snapshot: it catches up from the log.
    let e2 = hub.enrol("GN01").await;
    let mut ws2 = connect(&hub.url, &e2.credential).await.expect("connect");
    let w2 = hello(&mut ws2, e2.actor, 0, 1).await;
    assert!(!w2.snapshot);
    let mut ops = Vec::new();
    loop {
        match recv(&mut ws2).await.expect("frame") {
            Frame::Ops(o) => {
                ops.extend(o.ops);
                if o.caught_up {
                    break;
                }
            }
            Frame::Snapshot(_) => panic!("no snapshot for a till with a cursor"),
            _ => {}
        }
    }
    // Everything after cursor 1 for GN01 and the catalog, nothing of HD02.
    assert!(!ops.is_empty());
    assert!(
        ops.iter().all(
            |o| matches!(&o.scope, Scope::Catalog) || o.scope == Scope::Store(e2.store.clone())
        )
    );
    hub.stop().await;
}

async fn expect_refused(hub: &TestHub, frame_bytes: Message, hello_first: bool) -> ErrorCode {
    let e = hub.enrol("GN01").await;
    let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
    if hello_first {
        hello(&mut ws, e.actor, 0, 5).await;
    }
    ws.send(frame_bytes).await.expect("send");
    refusal(&mut ws).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_frames_get_the_right_error_and_harm_nobody_else() {
    let hub = TestHub::start().await;
    hub.seed().await;

    // A healthy till stays connected through all of it.
    let good = hub.enrol("GN01").await;
    let mut gws = connect(&hub.url, &good.credential).await.expect("good");
    hello(&mut gws, good.actor, 0, 0).await;
    recv_until(&mut gws, |f| matches!(f, Frame::Ops(o) if o.caught_up)).await;

    // Malformed bytes, before and after Hello.
    let garbage = Message::Binary(b"\xff\x00not msgpack".to_vec().into());
    assert_eq!(
        expect_refused(&hub, garbage.clone(), false).await,
        ErrorCode::Malformed
    );
    assert_eq!(
        expect_refused(&hub, garbage, true).await,
        ErrorCode::Malformed
    );
    // Text frames.
    let text = Message::Text("hello?".into());
    assert_eq!(expect_refused(&hub, text, true).await, ErrorCode::Malformed);
    // Unknown protocol version.
    let v99 = wire::encode_with_version(&Frame::Ping(wire::Ping { nonce: 1 }), 99).expect("enc");
    assert_eq!(
        expect_refused(&hub, Message::Binary(v99.into()), false).await,
        ErrorCode::UnsupportedVersion
    );
    // Just over the frame limit, and far over it.
    let big = vec![0u8; MAX_FRAME_BYTES + 1];
    assert_eq!(
        expect_refused(&hub, Message::Binary(big.into()), true).await,
        ErrorCode::FrameTooLarge
    );
    // Far over it, the hub stops reading at the WebSocket header: the Error
    // frame is sent, but the peer may see a reset while still writing.
    let (_, mut ws) = hub.welcomed("GN01", 0, 5).await;
    let huge = vec![0u8; MAX_FRAME_BYTES * 2];
    let _ = ws.send(Message::Binary(huge.into())).await;
    loop {
        match recv(&mut ws).await {
            Some(Frame::Error(err)) => {
                assert_eq!(err.code, ErrorCode::FrameTooLarge);
                break;
            }
            Some(Frame::Ops(_) | Frame::Ping(_)) => continue,
            Some(other) => panic!("unexpected {}", other.kind()),
            None => break,
        }
    }

    // Hello with another actor.
    let e = hub.enrol("GN01").await;
    let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
    send(
        &mut ws,
        &Frame::Hello(wire::Hello {
            actor: good.actor,
            last_seq: 0,
            cursor: 0,
            app_version: "x".into(),
        }),
    )
    .await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::ForgedActor);

    // Ops of another actor.
    let (_, mut ws) = hub.welcomed("GN01", 0, 5).await;
    let mut forged = TillOps::new(&good);
    send(&mut ws, &push(forged.sale(1))).await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::ForgedActor);

    // Ops into another store: a GN01 till writing HD02.
    let (e, mut ws) = hub.welcomed("GN01", 0, 5).await;
    let mut other = TillOps::new(&e);
    other.store = "HD02".parse().expect("store");
    send(&mut ws, &push(other.sale(1))).await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::WrongStore);

    // A gap: seq 3, 4 when the hub holds nothing.
    let (e, mut ws) = hub.welcomed("GN01", 4, 5).await;
    let mut gap = TillOps::new(&e);
    gap.seq = 2;
    send(&mut ws, &push(gap.sale(1))).await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::SequenceGap);

    // A stock move whose totals do not continue the till's entry.
    let (e, mut ws) = hub.welcomed("GN01", 0, 5).await;
    let mut skip = TillOps::new(&e);
    skip.dec_total = 10;
    send(&mut ws, &push(skip.sale(1))).await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::InvalidOp);

    // A valid batch whose second half is refused stores nothing at all.
    let (e, mut ws) = hub.welcomed("GN01", 0, 5).await;
    let mut half = TillOps::new(&e);
    let mut ops = half.sale(1);
    let mut bad = half.sale(1);
    if let OpBody::Sale(s) = &mut bad[0].body {
        s.total += 1;
    }
    ops.extend(bad);
    send(&mut ws, &push(ops)).await;
    assert_eq!(refusal(&mut ws).await, ErrorCode::InvalidOp);

    // Nothing of any refused batch was stored.
    let (_, sales) = hub.get("sales").await;
    assert_eq!(sales["count"], 0);
    assert_eq!(hub.stock_at("TSH-001", "GN01").await, 100);
    let (_, tills) = hub.get("tills").await;
    assert!(
        tills
            .as_array()
            .expect("tills")
            .iter()
            .all(|t| t["acked_seq"] == 0)
    );
    let metrics = hub
        .http
        .get(format!("{}/metrics", hub.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"storelink_hub_frames_refused_total{code="sequence_gap"} 1"#),
        "{metrics}"
    );

    // The healthy till still works: push, ack.
    let mut t = TillOps::new(&good);
    send(&mut gws, &push(t.sale(1))).await;
    recv_until(&mut gws, |f| matches!(f, Frame::Ack(a) if a.up_to_seq == 2)).await;
    assert_eq!(hub.stock_at("TSH-001", "GN01").await, 99);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_revoked_credentials_are_refused_before_the_upgrade() {
    let hub = TestHub::start().await;
    hub.seed().await;
    assert_eq!(connect(&hub.url, "not-a-credential").await.err(), Some(401));
    let e = hub.enrol("GN01").await;
    let ws = connect(&hub.url, &e.credential).await;
    assert!(ws.is_ok());
    let (s, v) = hub
        .post(&format!("tills/{}/revoke", e.actor), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revoked"], true);
    assert_eq!(connect(&hub.url, &e.credential).await.err(), Some(401));
    // No credential at all.
    let r = hub
        .http
        .get(format!("{}/sync/v1", hub.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");
    hub.stop().await;
}
