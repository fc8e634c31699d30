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
    self, Ack, Command, CommandKind, ErrorCode, ErrorFrame, Frame, OpsBatch, PROTOCOL_VERSION,
    SnapshotChunk, TillStatus, Welcome,
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
    /// Every Status frame, whole.
    status_frames: Vec<TillStatus>,
    /// Commands sent right after Welcome on every connection (a real hub
    /// re-sends commands not yet acknowledged on each new connection).
    on_connect: Vec<Command>,
    /// Commands to send on the live connection as soon as it sees them.
    outgoing: Vec<Command>,
    /// `SnapshotChunk.records` (winning ops of staff, members, price rules).
    snapshot_records: Vec<Op>,
    /// Close connection number 1 right after its first Ack.
    drop_first_after_ack: bool,
    credential: String,
    /// `Welcome.hub_time_ms` = the test's clock + this (ms); `None` = no time sent (older hub).
    hub_clock_skew_ms: Option<i64>,
    /// `DeliveryEta` frames sent right after Welcome on every connection (a real hub sends
    /// the ETA of deliveries on their way to the store on connect).
    etas: Vec<wire::DeliveryEta>,
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
    let skew = lock(&state).hub_clock_skew_ms;
    let hub_time_ms = skew.map(|skew| now.saturating_add_signed(skew));
    let _ = ws
        .send(send(Frame::Welcome(Welcome {
            proto: PROTOCOL_VERSION,
            acked_seq: acked,
            head_cursor: HEAD,
            store: store.clone(),
            snapshot,
            hub_time_ms,
        })))
        .await;
    let etas = lock(&state).etas.clone();
    for eta in etas {
        let _ = ws.send(send(Frame::DeliveryEta(eta))).await;
    }
    let on_connect = lock(&state).on_connect.clone();
    for cmd in on_connect {
        let _ = ws.send(send(Frame::Command(cmd))).await;
    }
    let records = lock(&state).snapshot_records.clone();
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
                records,
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
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        let msg = tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(msg)) => msg,
                _ => break,
            },
            _ = tick.tick() => {
                let out = std::mem::take(&mut lock(&state).outgoing);
                for cmd in out {
                    let _ = ws.send(send(Frame::Command(cmd))).await;
                }
                continue;
            }
        };
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
            Frame::Status(st) => {
                let mut s = lock(&state);
                s.statuses.push(st.unsent_ops);
                s.status_frames.push(st);
            }
            Frame::Ping(p) => {
                let _ = ws.send(send(Frame::Pong(p))).await;
            }
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

/// Wait (up to 5 s) until the hub has received a Status acknowledging `id`; that Status.
async fn status_acking(hub: &Shared, id: uuid::Uuid) -> TillStatus {
    for _ in 0..200 {
        if let Some(st) = lock(hub)
            .status_frames
            .iter()
            .find(|st| st.acked_commands.contains(&id))
        {
            return st.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no Status acknowledged command {id}");
}

fn command(kind: CommandKind) -> Command {
    Command {
        id: uuid::Uuid::now_v7(),
        kind,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_over_a_live_connection_is_acked_refuses_sales_and_unlock_sells_again() {
    let (url, hub) = start_hub("GN01").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    sell(&mut till, 1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let path = dir.path().to_path_buf();
    let runner = tokio::spawn(async move {
        pos_agent::sync::run(&path, async {
            let _ = stop_rx.await;
        })
        .await
    });
    for _ in 0..200 {
        if !lock(&hub).status_frames.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        lock(&hub).status_frames.iter().all(|st| !st.locked),
        "not locked before the command"
    );

    let lock_cmd = command(CommandKind::Lock);
    lock(&hub).outgoing.push(lock_cmd.clone());
    let st = status_acking(&hub, lock_cmd.id).await;
    assert!(
        st.locked,
        "the Status that acknowledges Lock reports locked"
    );
    assert_eq!(st.acked_commands, vec![lock_cmd.id]);

    let err = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("TSH-1", 1)],
            ..SaleRequest::default()
        })
        .expect_err("locked till refuses to sell");
    assert!(matches!(err, TillError::Locked), "{err}");
    assert_eq!(
        err.to_string(),
        "this till is locked by head office; ask HQ to unlock it"
    );
    assert_eq!(err.exit_code(), 1);
    assert!(till.status().expect("status").locked);

    let unlock_cmd = command(CommandKind::Unlock);
    lock(&hub).outgoing.push(unlock_cmd.clone());
    let st = status_acking(&hub, unlock_cmd.id).await;
    assert!(!st.locked);
    assert_eq!(
        st.acked_commands,
        vec![unlock_cmd.id],
        "each command acknowledged once on a healthy connection"
    );
    sell(&mut till, 1);
    for _ in 0..200 {
        if lock(&hub).stored.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        lock(&hub).stored.len(),
        4,
        "the sale after Unlock reached the hub"
    );

    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .expect("run stops on shutdown")
        .expect("join")
        .expect("clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_sync_once_are_carried_out_once_and_acked_again_when_redelivered() {
    let (url, hub) = start_hub("GN01").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    let message = command(CommandKind::ShowMessage("Stocktake at 18:00".into()));
    let lock_cmd = command(CommandKind::Lock);
    let force = command(CommandKind::ForceSync);
    lock(&hub).on_connect = vec![message.clone(), lock_cmd.clone(), force.clone()];

    pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    let acked: Vec<uuid::Uuid> = lock(&hub)
        .status_frames
        .iter()
        .flat_map(|st| st.acked_commands.clone())
        .collect();
    assert_eq!(acked, vec![message.id, lock_cmd.id, force.id]);
    assert!(lock(&hub).status_frames.last().expect("status").locked);
    let st = till.status().expect("status");
    assert!(st.locked);
    assert_eq!(st.unread_messages.len(), 1);
    assert_eq!(st.unread_messages[0].text, "Stocktake at 18:00");

    // The hub did not get the acks (say the connection dropped): it sends the
    // same commands again. The till acknowledges them again and changes nothing.
    // Meanwhile an Unlock was carried out while no connection was up (given
    // straight to the library): its ack waits in the database for the next contact.
    assert!(till.mark_message_read(&message.id).expect("read"));
    let unlock_cmd = command(CommandKind::Unlock);
    till.receive_command(&unlock_cmd)
        .expect("unlocked meanwhile");
    lock(&hub).status_frames.clear();
    pos_agent::sync::sync_once(dir.path())
        .await
        .expect("sync again");
    let acked: Vec<uuid::Uuid> = lock(&hub)
        .status_frames
        .iter()
        .flat_map(|st| st.acked_commands.clone())
        .collect();
    assert_eq!(
        acked,
        vec![unlock_cmd.id, message.id, lock_cmd.id, force.id],
        "the pending ack in the first Status, then each re-delivered command once"
    );
    let st = till.status().expect("status");
    assert!(!st.locked, "a re-delivered Lock is not carried out again");
    assert!(st.unread_messages.is_empty(), "nor a message shown again");
    assert_eq!(till.messages(false).expect("messages").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_records_give_a_new_till_staff_members_and_price_rules() {
    use sync_proto::people::{MemberField, MemberSet, StaffRecord, StaffRole};
    use sync_proto::pricing::PriceRule;
    let (url, hub) = start_hub("GN01").await;
    let hub_actor = ActorId(uuid::Uuid::from_bytes([9; 16]));
    let now = pos_agent::db::now_ms();
    let op = |seq: u64, scope: Scope, body: OpBody| Op {
        actor: hub_actor,
        seq,
        hlc: Hlc {
            wall_ms: now - 1_000,
            counter: seq as u32,
            actor: hub_actor,
        },
        scope,
        body,
    };
    let member = sync_proto::people::member_id_for_phone("010-5555-0001").expect("phone");
    lock(&hub).snapshot_records = vec![
        op(
            10,
            Scope::Store("GN01".parse().expect("store")),
            OpBody::StaffSet(StaffRecord {
                id: uuid::Uuid::from_u128(1),
                username: "kim".into(),
                display_name: "Kim".into(),
                role: StaffRole::Cashier,
                store: "GN01".parse().expect("store"),
                pin_hash: None,
                active: true,
            }),
        ),
        op(
            11,
            Scope::Broadcast,
            OpBody::MemberSet(MemberSet {
                member,
                field: MemberField::Name("Park".into()),
            }),
        ),
        op(
            12,
            Scope::Catalog,
            OpBody::PriceRule(PriceRule {
                id: uuid::Uuid::from_u128(2),
                sku: "HUB-SKU".parse().expect("sku"),
                price: 5_000,
                valid_from_ms: 0,
                valid_to_ms: None,
                label: "Opening deal".into(),
                cancelled: false,
            }),
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    let report = pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    assert!(report.snapshot);
    let m = till
        .find_member("01055550001")
        .expect("find")
        .expect("member from the snapshot");
    assert_eq!(m.name.as_deref(), Some("Park"));
    let p = till.product("HUB-SKU").expect("product").expect("known");
    assert_eq!(p.current_price, Some(5_000));
    assert_eq!(p.price_label.as_deref(), Some("Opening deal"));
    let sold = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("HUB-SKU", 2)],
            member_phone: Some("010-5555-0001".into()),
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(sold.sale.total, 10_000);
    assert_eq!(sold.sale.member, Some(member));
    assert_eq!(sold.price_labels, vec![Some("Opening deal".to_owned())]);
    let staff: i64 = till
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM staff WHERE username = 'kim'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(staff, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_clock_in_welcome_sets_the_time_deal_guard() {
    let (url, hub) = start_hub("GN01").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = enrolled_till(dir.path(), &url);
    let minute: i64 = 60_000;
    // The hub's clock is 10 minutes behind this till's: this till runs 10 minutes fast.
    lock(&hub).hub_clock_skew_ms = Some(-10 * minute);
    pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    let guard = till.clock_guard().expect("guard");
    assert!(guard.deals_paused, "{guard:?}");
    let offset = guard.offset_ms.expect("offset known");
    assert!(
        (10 * minute..11 * minute).contains(&offset),
        "offset {offset} ms"
    );
    // Once the clock agrees with the hub's, deals apply again.
    lock(&hub).hub_clock_skew_ms = Some(0);
    pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    let guard = till.clock_guard().expect("guard");
    assert!(!guard.deals_paused, "{guard:?}");
    // A hub that sends no time leaves the offset unknown.
    lock(&hub).hub_clock_skew_ms = None;
    pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    assert_eq!(till.clock_guard().expect("guard").offset_ms, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_etas_from_the_hub_are_kept_and_the_sync_goes_on() {
    let (url, hub) = start_hub("GN01").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = enrolled_till(dir.path(), &url);
    let shipment = uuid::Uuid::from_u128(0x5417);
    let eta = |store: &str, at_ms: i64, eta_ms: i64| wire::DeliveryEta {
        shipment,
        store: store.parse().expect("store"),
        eta_ms: Some(eta_ms),
        distance_m: Some(3_000),
        stops_before: 0,
        arrived_ms: None,
        driver_name: "Park".into(),
        at_ms,
    };
    // One for a shipment this till does not know yet, an older one after it, and one
    // addressed to another store.
    lock(&hub).etas = vec![
        eta("GN01", 2_000, 900_000),
        eta("GN01", 1_000, 1),
        eta("HD02", 3_000, 2),
    ];
    lock(&hub).hub_clock_skew_ms = Some(0);
    sell(&mut till, 2);
    let report = pos_agent::sync::sync_once(dir.path()).await.expect("sync");
    assert_eq!(report.acked_seq, lock(&hub).acked);
    assert_eq!(
        lock(&hub).acked,
        4,
        "the sales went up: 2 sales + 2 stock moves"
    );
    let stored: (String, i64, i64) = till
        .connection()
        .query_row(
            "SELECT store, eta_ms, at_ms FROM delivery_eta WHERE shipment = ?1",
            [shipment.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("kept");
    assert_eq!(stored, ("GN01".to_owned(), 900_000, 2_000));
    let rows: i64 = till
        .connection()
        .query_row("SELECT COUNT(*) FROM delivery_eta", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 1, "the other store's estimate was not kept");
}
