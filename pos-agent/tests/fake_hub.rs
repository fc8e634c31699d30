//! The sync client against a small in-test fake hub that speaks the real
//! frames (`sync_proto::wire`) and checks every pushed op like the hub does.
//! The real hub is exercised by the workspace end-to-end tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pos_agent::{CatalogItem, SaleItem, SaleRequest, SyncOptions, Till, TillError};
use sync_proto::op::{CatalogField, CatalogSet, OpBody};
use sync_proto::state::{CatalogEntry, StockCounterRow, continues_totals};
use sync_proto::wire::{
    self, Ack, ErrorCode, ErrorFrame, Frame, OpsBatch, PROTOCOL_VERSION, SnapshotChunk, Welcome,
};
use sync_proto::{ActorId, Hlc, Op, Scope, StoreId};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct HubState {
    acked: u64,
    stored: Vec<Op>,
    restored: bool,
    connections: usize,
    cursor_acks: Vec<u64>,
    statuses: Vec<u64>,
    /// Close connection number 1 right after its first Ack.
    drop_first_after_ack: bool,
    credential: String,
}

type Shared = Arc<Mutex<HubState>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, HubState> {
    s.lock().expect("hub state")
}

const HEAD: u64 = 5;
const AFTER_OPS: u64 = 7;

async fn serve(listener: TcpListener, state: Shared, store: StoreId) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let state = state.clone();
        let store = store.clone();
        tokio::spawn(async move {
            let expected = format!("Bearer {}", lock(&state).credential);
            #[allow(clippy::result_large_err)] // the signature tungstenite's Callback requires
            let check = |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                         resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
                let ok = req.uri().path() == wire::SYNC_PATH
                    && req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
                if ok {
                    Ok(resp)
                } else {
                    let mut err = tokio_tungstenite::tungstenite::handshake::server::ErrorResponse::new(Some(
                        r#"{"error":{"code":"unauthorized","message":"bad credential"}}"#.to_owned(),
                    ));
                    *err.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
                    Err(err)
                }
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
                return;
            };
            handle(ws, state, store).await;
        });
    }
}

async fn handle(
    mut ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    state: Shared,
    store: StoreId,
) {
    let send = |f: Frame| Message::Binary(wire::encode(&f).expect("encode").into());
    let conn_no = {
        let mut s = lock(&state);
        s.connections += 1;
        s.connections
    };
    let hello = match ws.next().await {
        Some(Ok(Message::Binary(b))) => match wire::decode(&b) {
            Ok(Frame::Hello(h)) => h,
            _ => return,
        },
        _ => return,
    };
    if lock(&state).restored {
        let _ = ws
            .send(send(Frame::Error(ErrorFrame {
                code: ErrorCode::TillRestored,
                message: "this till was restored from an old copy; enrol again".into(),
            })))
            .await;
        let _ = ws.close(None).await;
        return;
    }
    let acked = lock(&state).acked;
    let snapshot = hello.cursor == 0 || hello.cursor > AFTER_OPS;
    let hub = ActorId(uuid::Uuid::from_bytes([9; 16]));
    let now = pos_agent::db::now_ms();
    let hlc = Hlc {
        wall_ms: now,
        counter: 0,
        actor: hub,
    };
    let _ = ws
        .send(send(Frame::Welcome(Welcome {
            proto: PROTOCOL_VERSION,
            acked_seq: acked,
            head_cursor: HEAD,
            store: store.clone(),
            snapshot,
        })))
        .await;
    if snapshot {
        let _ = ws
            .send(send(Frame::Snapshot(SnapshotChunk {
                at_cursor: HEAD,
                catalog: vec![
                    CatalogEntry {
                        sku: "HUB-SKU".parse().expect("sku"),
                        field: CatalogField::Name("From hub".into()),
                        hlc,
                    },
                    CatalogEntry {
                        sku: "HUB-SKU".parse().expect("sku"),
                        field: CatalogField::Price(7_000),
                        hlc,
                    },
                ],
                stock: vec![StockCounterRow {
                    location: store.clone(),
                    sku: "HUB-SKU".parse().expect("sku"),
                    actor: hub,
                    inc_total: 10,
                    dec_total: 0,
                }],
                records: vec![],
                done: true,
            })))
            .await;
    }
    if hello.cursor < AFTER_OPS {
        let op = Op {
            actor: hub,
            seq: 2,
            hlc: Hlc {
                wall_ms: now,
                counter: 1,
                actor: hub,
            },
            scope: Scope::Catalog,
            body: OpBody::CatalogSet(CatalogSet {
                sku: "HUB-SKU".parse().expect("sku"),
                field: CatalogField::Price(8_000),
            }),
        };
        let _ = ws
            .send(send(Frame::Ops(OpsBatch {
                from_cursor: HEAD,
                to_cursor: AFTER_OPS,
                ops: vec![op],
                caught_up: true,
            })))
            .await;
    }
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Binary(b) = msg else { continue };
        match wire::decode(&b).expect("till frames decode") {
            Frame::Push(p) => {
                let up_to = {
                    let mut s = lock(&state);
                    for op in p.ops {
                        sync_proto::validate::check_till_op(&op, hello.actor, &store)
                            .expect("valid op");
                        if op.seq <= s.acked {
                            continue; // duplicate: acked again
                        }
                        assert_eq!(op.seq, s.acked + 1, "no gap");
                        if let OpBody::StockMove(m) = &op.body {
                            let prev = s
                                .stored
                                .iter()
                                .rev()
                                .find_map(|o| match &o.body {
                                    OpBody::StockMove(pm) if pm.sku == m.sku => {
                                        Some((pm.inc_total, pm.dec_total))
                                    }
                                    _ => None,
                                })
                                .unwrap_or((0, 0));
                            assert!(continues_totals(m, prev.0, prev.1));
                        }
                        s.acked = op.seq;
                        s.stored.push(op);
                    }
                    s.acked
                };
                let _ = ws.send(send(Frame::Ack(Ack { up_to_seq: up_to }))).await;
                if conn_no == 1 && lock(&state).drop_first_after_ack {
                    let _ = ws.close(None).await;
                    return;
                }
            }
            Frame::CursorAck(c) => lock(&state).cursor_acks.push(c.cursor),
            Frame::Status(st) => lock(&state).statuses.push(st.unsent_ops),
            Frame::Pong(_) => {}
            other => panic!("unexpected frame from till: {other:?}"),
        }
    }
}

async fn start_hub(store: &str) -> (String, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let state: Shared = Arc::new(Mutex::new(HubState {
        credential: "secret-cred".into(),
        ..HubState::default()
    }));
    tokio::spawn(serve(
        listener,
        state.clone(),
        store.parse().expect("store"),
    ));
    (url, state)
}

fn enrolled_till(dir: &std::path::Path, hub_url: &str) -> Till {
    let mut till = Till::open(dir).expect("open");
    till.enrol_offline(&pos_agent::OfflineEnrolment {
        actor: None,
        store: "GN01".parse().expect("store"),
        store_name: "Gangnam".into(),
        till_no: 1,
        currency: "KRW".into(),
        hub_url: hub_url.into(),
        credential: "secret-cred".into(),
    })
    .expect("enrol");
    till.seed_catalog(&[CatalogItem {
        sku: "TSH-1".into(),
        name: "Tee".into(),
        price: Some(10_000),
        active: true,
        ..CatalogItem::default()
    }])
    .expect("seed");
    till
}

fn sell(till: &mut Till, n: usize) {
    for _ in 0..n {
        till.sell(&SaleRequest {
            items: vec![SaleItem::new("TSH-1", 1)],
            ..SaleRequest::default()
        })
        .expect("sell");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_once_resumes_from_hub_acked_applies_snapshot_and_ops() {
    let (url, hub) = start_hub("GN01").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    sell(&mut till, 3); // 6 ops
    // The hub already holds seq 1..2 (e.g. acked before a crash lost our Ack).
    {
        let ops = till.outbox(1, 2).expect("outbox");
        let mut s = lock(&hub);
        s.acked = 2;
        s.stored = ops;
    }
    let report = pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    assert_eq!(report.pushed_ops, 4, "resumed from the hub's acked_seq + 1");
    assert_eq!(report.acked_seq, 6);
    assert!(report.snapshot);
    assert_eq!(report.received_ops, 1);
    assert_eq!(report.cursor, AFTER_OPS);
    assert_eq!(report.unsent_ops, 0);
    {
        let s = lock(&hub);
        assert_eq!(s.stored.len(), 6);
        assert_eq!(s.cursor_acks, vec![HEAD, AFTER_OPS]);
        assert_eq!(
            s.statuses.first(),
            Some(&4),
            "Status after Welcome reports the backlog"
        );
    }
    let st = till.status().expect("status");
    assert_eq!((st.acked_seq, st.unsent_ops, st.cursor), (6, 0, AFTER_OPS));
    assert!(st.last_sync_ms.is_some());
    let hub_item = till.catalog_item("HUB-SKU").expect("cat").expect("item");
    assert_eq!(
        hub_item.price,
        Some(8_000),
        "downstream op newer than snapshot"
    );
    assert_eq!(till.stock(Some("HUB-SKU")).expect("stock")[0].qty, 10);

    // A second sync has nothing to push and no snapshot.
    let again = pos_agent::sync::sync_once(dir.path())
        .await
        .expect("sync again");
    assert_eq!(
        (again.pushed_ops, again.snapshot, again.received_ops),
        (0, false, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_restored_stops_and_requires_enrolment() {
    let (url, hub) = start_hub("GN01").await;
    lock(&hub).restored = true;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    sell(&mut till, 1);
    let err = pos_agent::sync::sync_once(dir.path())
        .await
        .expect_err("restored");
    assert!(matches!(err, TillError::TillRestored(_)), "{err}");
    assert_eq!(err.exit_code(), 3);
    assert!(till.status().expect("status").needs_enrolment);
    // Selling still works offline; syncing refuses without connecting.
    sell(&mut till, 1);
    let err = pos_agent::sync::sync_once(dir.path())
        .await
        .expect_err("needs enrolment");
    assert!(matches!(err, TillError::NeedsEnrolment));
    assert_eq!(lock(&hub).connections, 1);
    // `run` stops too instead of retrying forever.
    let err = pos_agent::sync::run(dir.path(), std::future::pending())
        .await
        .expect_err("stops");
    assert_eq!(err.exit_code(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_hub_and_wrong_credential_are_clear_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    sell(&mut till, 1);
    let err = pos_agent::sync::sync_once(dir.path())
        .await
        .expect_err("unreachable");
    assert!(matches!(err, TillError::HubUnreachable { .. }), "{err}");
    assert_eq!(err.exit_code(), 2);
    assert!(till.status().expect("status").last_error.is_some());

    let (url, hub) = start_hub("GN01").await;
    lock(&hub).credential = "other".into();
    let opts = SyncOptions {
        hub_url: Some(url),
        ..SyncOptions::default()
    };
    let err = pos_agent::sync::sync_once_with(dir.path(), &opts)
        .await
        .expect_err("unauthorized");
    assert!(
        matches!(
            err,
            TillError::Rejected {
                code: ErrorCode::Unauthorized,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_pushes_new_sales_and_reconnects_without_duplicates() {
    let (url, hub) = start_hub("GN01").await;
    lock(&hub).drop_first_after_ack = true;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    sell(&mut till, 2);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let path = dir.path().to_path_buf();
    let runner = tokio::spawn(async move {
        pos_agent::sync::run(&path, async {
            let _ = stop_rx.await;
        })
        .await
    });
    let wait_for = |n: usize| {
        let hub = hub.clone();
        async move {
            for _ in 0..200 {
                if lock(&hub).stored.len() >= n {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            false
        }
    };
    assert!(wait_for(4).await, "initial backlog pushed");
    // Sold by another handle while `run` is connected (reconnected by now or soon).
    sell(&mut till, 3);
    assert!(wait_for(10).await, "new sales pushed by the outbox poll");
    // The Ack is persisted shortly after the hub stored the ops.
    for _ in 0..200 {
        if till.status().expect("status").acked_seq == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .expect("run stops on shutdown")
        .expect("join")
        .expect("clean exit");
    let s = lock(&hub);
    assert!(
        s.connections >= 2,
        "reconnected after the hub dropped the connection"
    );
    let seqs: Vec<u64> = s.stored.iter().map(|o| o.seq).collect();
    assert_eq!(
        seqs,
        (1..=10).collect::<Vec<_>>(),
        "each op stored once, in order"
    );
    drop(s);
    let st = till.status().expect("status");
    assert_eq!((st.acked_seq, st.unsent_ops), (10, 0));
}
