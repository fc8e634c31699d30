//! Tests of replenishment and deliveries at the till (issue 5) against a real SQLite file,
//! with the hub's ops made by hand: a stock request written offline into the outbox with the
//! store's scope; cancelling only while requested; the projection idempotent and
//! order-insensitive (status max-register, delivery by HLC) and equal to the
//! `LogisticsState` model; receiving writes exactly the expected stock moves and statuses in
//! one transaction, records shortages, damages and extras, and refuses a second receive;
//! the hub's ETA kept latest per shipment — and every op the till writes passes the hub's
//! `check_till_op` with continuing stock totals.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rusqlite::Connection;
use sync_proto::logistics::{
    Delivery, Lifecycle, LogisticsState, OrderLine, OrderOrigin, ReceivedLine, ReceivingRecord,
    ReplenishmentOrder, StatusUpdate, Subject,
};
use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::state::continues_totals;
use sync_proto::validate::check_till_op;
use sync_proto::wire::DeliveryEta;
use sync_proto::{ActorId, Hlc, LocationId, Op, Scope, StoreId};
use tempfile::TempDir;
use uuid::Uuid;

use crate::db::{self, keys};
use crate::logistics::{self, CountedLine, LogisticsError, StockRequestLine};
use crate::{CatalogItem, Till, TillError};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));
const OTHER_TILL: ActorId = ActorId(Uuid::from_bytes([7; 16]));
const TEE: &str = "TSH-0001-BLK-M";
const TEE_BARCODE: &str = "8801234567890";
const JACKET: &str = "JKT-0100-BLK-M";
const SOCKS: &str = "SCK-0003-WHT-F";
const SHIPMENT: Uuid = Uuid::from_u128(0x5417);
const ORDER_A: Uuid = Uuid::from_u128(0xA);
const ORDER_B: Uuid = Uuid::from_u128(0xB);

fn store(s: &str) -> StoreId {
    s.parse().expect("store")
}

fn gn01() -> StoreId {
    store("GN01")
}

fn line(sku: &str, qty: u32) -> OrderLine {
    OrderLine {
        sku: sku.parse().expect("sku"),
        qty,
    }
}

fn ask(sku: &str, qty: u64) -> StockRequestLine {
    StockRequestLine {
        sku: sku.into(),
        qty,
    }
}

fn count(sku: &str, received: u64, damaged: u64) -> CountedLine {
    CountedLine {
        sku: sku.into(),
        received,
        damaged,
    }
}

/// An op of `actor` (hub or another till) with HLC wall time `wall`.
fn op_of(actor: ActorId, seq: u64, wall: u64, body: OpBody) -> Op {
    Op {
        actor,
        seq,
        hlc: Hlc {
            wall_ms: wall,
            counter: 0,
            actor,
        },
        scope: Scope::Store(gn01()),
        body,
    }
}

fn hub(seq: u64, body: OpBody) -> Op {
    op_of(HUB, seq, 1_000 + seq, body)
}

fn status(subject: Subject, status: Lifecycle, at_ms: i64, by: &str) -> OpBody {
    OpBody::StatusUpdate(StatusUpdate {
        subject,
        store: gn01(),
        status,
        at_ms,
        by: by.into(),
        lines: None,
        note: None,
    })
}

/// HQ approves `qty` tees of order `id`.
fn approval(id: Uuid, qty: u32) -> OpBody {
    OpBody::StatusUpdate(StatusUpdate {
        subject: Subject::Order { id },
        store: gn01(),
        status: Lifecycle::Approved,
        at_ms: 950,
        by: "hq".into(),
        lines: Some(vec![line(TEE, qty)]),
        note: None,
    })
}

fn stop() -> Subject {
    Subject::Stop {
        shipment: SHIPMENT,
        store: gn01(),
    }
}

fn delivery(lines: Vec<OrderLine>) -> OpBody {
    OpBody::Delivery(Delivery {
        shipment: SHIPMENT,
        store: gn01(),
        orders: vec![ORDER_A, ORDER_B],
        lines,
        from: "WH01".parse().expect("loc"),
        driver_name: "Park Driver".into(),
        vehicle: "12가3456".into(),
        stop_no: 2,
        stops_total: 3,
        dispatched_ms: 5_000,
    })
}

fn hq_order(id: Uuid, lines: Vec<OrderLine>) -> OpBody {
    OpBody::ReplenishmentOrder(ReplenishmentOrder {
        id,
        store: gn01(),
        lines,
        origin: OrderOrigin::HqProposal,
        placed_by: "hq.kim".into(),
        placed_ms: 900,
        note: None,
    })
}

/// A till of GN01 with a tee (with barcode), a jacket and socks.
struct Fixture {
    _dir: TempDir,
    till: Till,
    cursor: u64,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut till = Till::open_offline(dir.path(), "GN01", 1).expect("open");
        let item = |sku: &str, name: &str, barcode: Option<&str>| CatalogItem {
            sku: sku.into(),
            name: name.into(),
            price: Some(10_000),
            barcode: barcode.map(str::to_owned),
            active: true,
            ..CatalogItem::default()
        };
        till.seed_catalog(&[
            item(TEE, "Tee", Some(TEE_BARCODE)),
            item(JACKET, "Jacket", None),
            item(SOCKS, "Socks", None),
        ])
        .expect("seed");
        Fixture {
            _dir: dir,
            till,
            cursor: 0,
        }
    }

    fn deliver(&mut self, ops: &[Op]) {
        self.cursor += ops.len() as u64;
        self.till
            .apply_downstream(ops, self.cursor)
            .expect("apply downstream");
    }

    fn conn(&self) -> &Connection {
        self.till.connection()
    }

    /// The whole outbox, each op checked as the hub checks it (scope, store, totals, seqs).
    fn outbox(&self) -> Vec<Op> {
        let e = self.till.enrolment().expect("enr").expect("enrolled");
        let ops = self.till.outbox(1, 10_000).expect("outbox");
        let mut totals: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        for (seq, op) in (1..).zip(&ops) {
            check_till_op(op, e.actor, &e.store)
                .unwrap_or_else(|r| panic!("hub refuses {op:?}: {r}"));
            assert_eq!(op.seq, seq, "gapless");
            if let OpBody::StockMove(m) = &op.body {
                let key = (m.location.to_string(), m.sku.to_string());
                let (inc, dec) = totals.get(&key).copied().unwrap_or((0, 0));
                assert!(continues_totals(m, inc, dec), "{m:?} after {inc}/{dec}");
                totals.insert(key, (m.inc_total, m.dec_total));
            }
        }
        ops
    }

    fn stock_at(&self, location: &str, sku: &str) -> i64 {
        self.conn()
            .query_row(
                "SELECT COALESCE(SUM(inc_total - dec_total), 0) FROM stock_counters
                 WHERE location = ?1 AND sku = ?2",
                [location, sku],
                |r| r.get(0),
            )
            .expect("stock")
    }

    /// The hub dispatched SHIPMENT to GN01: the delivery and the in-transit stock.
    fn dispatched(&mut self, lines: Vec<OrderLine>) {
        let mut ops = vec![hub(100, delivery(lines.clone()))];
        for (i, l) in lines.iter().enumerate() {
            ops.push(hub(
                101 + i as u64,
                OpBody::StockMove(StockMove {
                    location: LocationId::in_transit_to(&gn01()),
                    sku: l.sku.clone(),
                    delta: i64::from(l.qty),
                    reason: StockReason::TransferIn,
                    reference: Some(SHIPMENT.to_string()),
                    inc_total: u64::from(l.qty),
                    dec_total: 0,
                }),
            ));
        }
        self.deliver(&ops);
    }
}

fn ops_count(f: &Fixture) -> usize {
    f.till.outbox(1, 10_000).expect("outbox").len()
}

// ---------------------------------------------------------------------------------------------
// Requests and cancelling
// ---------------------------------------------------------------------------------------------

#[test]
fn a_stock_request_offline_is_one_order_op_in_the_outbox_with_the_store_scope() {
    let mut f = Fixture::new();
    let order = f
        .till
        .request_stock(
            &[ask(TEE, 3), ask(JACKET, 1), ask(TEE_BARCODE, 2)],
            Some("  weekend promotion "),
            "Kim Manager",
        )
        .expect("request");
    assert_eq!(order.status, Lifecycle::Requested);
    assert!(order.cancellable);
    assert_eq!(order.origin, OrderOrigin::Store);
    assert_eq!(order.note.as_deref(), Some("weekend promotion"));
    let lines: Vec<(String, u32, Option<String>)> = order
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.qty, l.name.clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (JACKET.into(), 1, Some("Jacket".into())),
            (TEE.into(), 5, Some("Tee".into())),
        ],
        "the barcode is the tee; the same SKU twice is summed"
    );
    let ops = f.outbox();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].scope, Scope::Store(gn01()));
    let OpBody::ReplenishmentOrder(o) = &ops[0].body else {
        panic!("not an order: {:?}", ops[0].body);
    };
    assert_eq!(o.id.to_string(), order.id);
    assert_eq!(o.origin, OrderOrigin::Store);
    assert_eq!(o.placed_by, "Kim Manager");
    assert_eq!(o.lines, vec![line(JACKET, 1), line(TEE, 5)]);
    assert_eq!(f.till.orders().expect("orders"), vec![order]);
    // Nothing is acknowledged: it waits for the next sync.
    assert_eq!(f.till.status().expect("status").unsent_ops, 1);
}

#[test]
fn bad_stock_requests_are_refused_with_clear_errors_and_write_nothing() {
    let mut f = Fixture::new();
    let refused = |f: &mut Fixture, lines: &[StockRequestLine], by: &str| {
        f.till
            .request_stock(lines, None, by)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        refused(&mut f, &[], "Kim"),
        "nothing to request: add at least one SKU with a quantity"
    );
    assert_eq!(
        refused(&mut f, &[ask(TEE, 0)], "Kim"),
        format!("quantity 0 for {TEE} is out of range: use 1 to 100000")
    );
    assert_eq!(
        refused(&mut f, &[ask(TEE, 100_001)], "Kim"),
        format!("quantity 100001 for {TEE} is out of range: use 1 to 100000")
    );
    assert_eq!(
        refused(&mut f, &[ask(TEE, 60_000), ask(TEE_BARCODE, 50_000)], "Kim"),
        format!("quantity 110000 for {TEE} is out of range: use 1 to 100000"),
        "the sum per SKU is checked too"
    );
    assert!(refused(&mut f, &[ask("NOPE-1", 1)], "Kim").contains("NOPE-1"));
    assert!(refused(&mut f, &[ask(TEE, 1)], "  ").contains("who asks"));
    let long = "x".repeat(201);
    let err = f
        .till
        .request_stock(&[ask(TEE, 1)], Some(&long), "Kim")
        .expect_err("long note");
    assert!(err.to_string().contains("note"), "{err}");
    assert_eq!(ops_count(&f), 0);
    assert!(f.till.orders().expect("orders").is_empty());
}

#[test]
fn an_order_is_cancelled_only_while_requested() {
    let mut f = Fixture::new();
    let mine = f
        .till
        .request_stock(&[ask(TEE, 2)], None, "Kim")
        .expect("request");
    let cancelled = f.till.cancel_order(&mine.id, "Kim").expect("cancel");
    assert_eq!(cancelled.status, Lifecycle::Cancelled);
    assert_eq!(cancelled.status_by.as_deref(), Some("Kim"));
    assert!(!cancelled.cancellable);
    let ops = f.outbox();
    assert_eq!(ops.len(), 2);
    let OpBody::StatusUpdate(u) = &ops[1].body else {
        panic!("not a status: {:?}", ops[1].body);
    };
    assert_eq!(
        u.subject.clone(),
        Subject::Order {
            id: mine.id.parse().expect("uuid")
        }
    );
    assert_eq!((u.status, u.lines.clone()), (Lifecycle::Cancelled, None));
    // Twice: refused, nothing written.
    let err = f.till.cancel_order(&mine.id, "Kim").expect_err("twice");
    assert!(matches!(
        err,
        TillError::Logistics(LogisticsError::NotCancellable {
            status: "cancelled",
            ..
        })
    ));
    // An order HQ already approved: refused with where it stands.
    f.deliver(&[
        hub(1, hq_order(ORDER_A, vec![line(TEE, 4)])),
        op_of(HUB, 2, 1_002, approval(ORDER_A, 3)),
    ]);
    let err = f
        .till
        .cancel_order(&ORDER_A.to_string(), "Kim")
        .expect_err("approved");
    assert_eq!(
        err.to_string(),
        format!(
            "order {ORDER_A} is already approved; only a request head office has not acted on can be cancelled at the till"
        )
    );
    let err = f
        .till
        .cancel_order(&Uuid::from_u128(77).to_string(), "Kim")
        .expect_err("unknown");
    assert!(matches!(
        err,
        TillError::Logistics(LogisticsError::UnknownOrder(_))
    ));
    assert!(matches!(
        f.till.cancel_order("not-a-uuid", "Kim"),
        Err(TillError::InvalidInput(_))
    ));
    assert_eq!(ops_count(&f), 2);
    let approved = f
        .till
        .orders()
        .expect("orders")
        .into_iter()
        .find(|o| o.id == ORDER_A.to_string())
        .expect("hq's order listed");
    assert_eq!(approved.origin, OrderOrigin::HqProposal);
    assert_eq!(approved.status, Lifecycle::Approved);
    let approved_qty: Vec<u32> = approved
        .approved_lines
        .expect("approved lines")
        .iter()
        .map(|l| l.qty)
        .collect();
    assert_eq!(approved_qty, vec![3]);
}

#[test]
fn a_locked_till_refuses_requests_cancels_and_receiving() {
    let mut f = Fixture::new();
    let order = f
        .till
        .request_stock(&[ask(TEE, 2)], None, "Kim")
        .expect("request");
    f.dispatched(vec![line(TEE, 2)]);
    db::set_meta(f.conn(), keys::LOCKED, "1").expect("lock");
    let before = ops_count(&f);
    assert!(matches!(
        f.till.request_stock(&[ask(TEE, 1)], None, "Kim"),
        Err(TillError::Locked)
    ));
    assert!(matches!(
        f.till.cancel_order(&order.id, "Kim"),
        Err(TillError::Locked)
    ));
    assert!(matches!(
        f.till
            .receive_delivery(&SHIPMENT.to_string(), &[count(TEE, 2, 0)], None, "Kim"),
        Err(TillError::Locked)
    ));
    assert_eq!(ops_count(&f), before);
}

// ---------------------------------------------------------------------------------------------
// Projection
// ---------------------------------------------------------------------------------------------

/// The hub's and other tills' logistics ops of one delivery: orders, approval, picking,
/// dispatch, two arrivals (geofence later than the driver's button), a status that loses
/// (picked after dispatched), a newer version of the delivery, another till's receiving.
fn downstream() -> Vec<Op> {
    let approved = |id: Uuid, qty: u32, wall: u64| op_of(HUB, wall, wall, approval(id, qty));
    vec![
        hub(1, hq_order(ORDER_A, vec![line(TEE, 10)])),
        hub(2, hq_order(ORDER_B, vec![line(JACKET, 4)])),
        approved(ORDER_A, 8, 3),
        approved(ORDER_A, 6, 4), // re-approved: the later HLC's quantities count
        hub(
            5,
            status(Subject::Order { id: ORDER_A }, Lifecycle::Picked, 990, "wh"),
        ),
        hub(6, delivery(vec![line(TEE, 6), line(JACKET, 4)])),
        hub(7, status(stop(), Lifecycle::Dispatched, 1_000, "hq")),
        hub(
            8,
            status(
                Subject::Order { id: ORDER_A },
                Lifecycle::Dispatched,
                1_000,
                "hq",
            ),
        ),
        hub(9, status(stop(), Lifecycle::Arrived, 2_000, "geofence")),
        hub(10, status(stop(), Lifecycle::Arrived, 1_900, "driver.park")),
        hub(11, status(stop(), Lifecycle::Picked, 900, "wh")),
        hub(12, delivery(vec![line(TEE, 6), line(JACKET, 3)])),
        op_of(
            OTHER_TILL,
            1,
            3_000,
            OpBody::Receiving(ReceivingRecord {
                id: Uuid::from_u128(0xEC),
                shipment: SHIPMENT,
                store: gn01(),
                lines: vec![ReceivedLine {
                    sku: TEE.parse().expect("sku"),
                    expected: 6,
                    received: 6,
                    damaged: 0,
                }],
                received_by: "Lee".into(),
                received_ms: 3_000,
                note: None,
            }),
        ),
    ]
}

/// Every logistics row, in a canonical order.
fn dump(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in [
        ("repl_order", "id"),
        ("repl_approval", "order_id"),
        ("logi_status", "subject"),
        ("delivery", "shipment, store"),
        ("delivery_order", "order_id, shipment"),
        ("receiving", "id"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .expect("prepare");
        let cols = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut row = vec![table.to_owned()];
                for i in 0..cols {
                    row.push(format!("{:?}", r.get_ref(i)?));
                }
                Ok(row.join("|"))
            })
            .expect("query");
        for row in rows {
            out.push(row.expect("row"));
        }
    }
    out
}

fn model_of(ops: &[Op]) -> LogisticsState {
    let mut m = LogisticsState::default();
    for op in ops {
        m.apply(op);
    }
    m
}

/// The till's tables say what the model says: status per subject, approved lines,
/// deliveries and receivings.
fn assert_matches_model(f: &Fixture, model: &LogisticsState) {
    let orders = f.till.orders().expect("orders");
    assert_eq!(orders.len(), model.orders.len());
    for o in &orders {
        let id: Uuid = o.id.parse().expect("uuid");
        assert_eq!(
            Some(o.status),
            model.status_of(&Subject::Order { id }),
            "{o:?}"
        );
        let lines = model.order_lines(&id).expect("model lines");
        let shown: Vec<(String, u32)> = o
            .approved_lines
            .as_ref()
            .unwrap_or(&o.lines)
            .iter()
            .map(|l| (l.sku.clone(), l.qty))
            .collect();
        let want: Vec<(String, u32)> = lines.iter().map(|l| (l.sku.to_string(), l.qty)).collect();
        assert_eq!(shown, want);
    }
    let deliveries = f.till.deliveries().expect("deliveries");
    assert_eq!(deliveries.len(), model.deliveries.len());
    for d in &deliveries {
        let key = (d.shipment.parse().expect("uuid"), store(&d.store));
        let (md, _) = &model.deliveries[&key];
        let lines: Vec<(String, u32)> = d.lines.iter().map(|l| (l.sku.clone(), l.qty)).collect();
        let want: Vec<(String, u32)> = md
            .lines
            .iter()
            .map(|l| (l.sku.to_string(), l.qty))
            .collect();
        assert_eq!(lines, want);
        let subject = Subject::Stop {
            shipment: key.0,
            store: key.1.clone(),
        };
        assert_eq!(Some(d.status), model.status_of(&subject));
        if let Some(e) = model.status.get(&subject) {
            assert_eq!(d.status_at_ms, Some(e.update.at_ms));
        }
    }
    let receivings: i64 = f
        .conn()
        .query_row("SELECT COUNT(*) FROM receiving", [], |r| r.get(0))
        .expect("count");
    assert_eq!(receivings as usize, model.receivings.len());
}

#[test]
fn the_projection_follows_the_model_and_keeps_the_first_arrival() {
    let mut f = Fixture::new();
    let ops = downstream();
    f.deliver(&ops[..11]);
    let d = &f.till.deliveries().expect("deliveries")[0];
    assert_eq!(d.status, Lifecycle::Arrived);
    assert_eq!(d.status_at_ms, Some(1_900), "the earliest arrival wins");
    assert_eq!(d.arrived_ms, Some(1_900));
    assert_eq!((d.stop_no, d.stops_total), (2, 3));
    assert_eq!(d.driver_name, "Park Driver");
    assert!(!d.received);
    let a = f
        .till
        .orders()
        .expect("orders")
        .into_iter()
        .find(|o| o.id == ORDER_A.to_string())
        .expect("order A");
    assert_eq!(a.status, Lifecycle::Dispatched);
    assert_eq!(a.shipment, Some(SHIPMENT.to_string()));
    assert_eq!(a.approved_lines.expect("approved")[0].qty, 6);
    f.deliver(&ops[11..]);
    let d = &f.till.deliveries().expect("deliveries")[0];
    let jacket = d
        .lines
        .iter()
        .find(|l| l.sku == JACKET)
        .expect("jacket line");
    assert_eq!(
        jacket.qty, 3,
        "the newer delivery (jacket 3) replaced the older"
    );
    assert!(d.received, "another till of the store received it");
    assert_eq!(d.arrived_ms, Some(1_900));
    assert_eq!(
        d.receiving.as_ref().map(|r| r.received_by.as_str()),
        Some("Lee")
    );
    assert_matches_model(&f, &model_of(&ops));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any order, any duplicates, in any batches: the same tables as applying everything
    /// once in log order, and what the model says.
    #[test]
    fn the_projection_is_idempotent_and_order_insensitive(
        picks in proptest::collection::vec(0usize..13, 13..40),
        split in 1usize..40,
    ) {
        let ops = downstream();
        let mut reference = Fixture::new();
        reference.deliver(&ops);
        let want = dump(reference.conn());

        let mut f = Fixture::new();
        // Every op at least once, plus the random picks (duplicates), shuffled by the picks.
        let mut feed: Vec<Op> = picks.iter().map(|&i| ops[i].clone()).collect();
        for (i, op) in ops.iter().enumerate() {
            let at = picks.get(i).copied().unwrap_or(0) % (feed.len() + 1);
            feed.insert(at, op.clone());
        }
        let split = split.min(feed.len());
        f.deliver(&feed[..split]);
        f.deliver(&feed[split..]);
        prop_assert_eq!(dump(f.conn()), want.clone());
        f.deliver(&ops);
        prop_assert_eq!(dump(f.conn()), want);
        assert_matches_model(&f, &model_of(&feed));
    }
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

#[test]
fn receiving_writes_exactly_the_expected_moves_and_statuses_in_one_go() {
    let mut f = Fixture::new();
    f.deliver(&[
        hub(1, hq_order(ORDER_A, vec![line(TEE, 10)])),
        hub(2, hq_order(ORDER_B, vec![line(JACKET, 4)])),
    ]);
    f.dispatched(vec![line(TEE, 10), line(JACKET, 4)]);
    assert_eq!(f.stock_at("TR-GN01", TEE), 10);
    let record = f
        .till
        .receive_delivery(
            &SHIPMENT.to_string(),
            // 8 tees by barcode, 1 of them damaged; 2 socks nobody ordered; no jacket.
            &[count(TEE_BARCODE, 8, 1), count(SOCKS, 2, 0)],
            Some("box 3 wet"),
            "Lee Clerk",
        )
        .expect("receive");
    let want_lines = vec![
        ReceivedLine {
            sku: JACKET.parse().expect("sku"),
            expected: 4,
            received: 0,
            damaged: 0,
        },
        ReceivedLine {
            sku: TEE.parse().expect("sku"),
            expected: 10,
            received: 8,
            damaged: 1,
        },
        ReceivedLine {
            sku: SOCKS.parse().expect("sku"),
            expected: 0,
            received: 2,
            damaged: 0,
        },
    ];
    assert_eq!(record.lines, want_lines);
    assert_eq!(
        (record.received_by.as_str(), record.note.as_deref()),
        ("Lee Clerk", Some("box 3 wet"))
    );
    assert!(record.has_discrepancy());

    let ops = f.outbox();
    let kinds: Vec<&str> = ops.iter().map(|o| o.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "receiving",
            "stock_move",
            "stock_move",
            "stock_move",
            "stock_move",
            "status_update",
            "status_update",
            "status_update"
        ]
    );
    assert!(ops.iter().all(|o| o.scope == Scope::Store(gn01())));
    assert_eq!(ops[0].body, OpBody::Receiving(record.clone()));
    let moves: Vec<(String, String, i64, StockReason, Option<String>)> = ops
        .iter()
        .filter_map(|o| match &o.body {
            OpBody::StockMove(m) => Some((
                m.location.to_string(),
                m.sku.to_string(),
                m.delta,
                m.reason,
                m.reference.clone(),
            )),
            _ => None,
        })
        .collect();
    let reference = Some(SHIPMENT.to_string());
    assert_eq!(
        moves,
        vec![
            (
                "TR-GN01".into(),
                JACKET.into(),
                -4,
                StockReason::Receipt,
                reference.clone()
            ),
            (
                "TR-GN01".into(),
                TEE.into(),
                -10,
                StockReason::Receipt,
                reference.clone()
            ),
            (
                "GN01".into(),
                TEE.into(),
                7,
                StockReason::Receipt,
                reference.clone()
            ),
            (
                "GN01".into(),
                SOCKS.into(),
                2,
                StockReason::Receipt,
                reference
            ),
        ]
    );
    let statuses: Vec<(Subject, Lifecycle, String)> = ops
        .iter()
        .filter_map(|o| match &o.body {
            OpBody::StatusUpdate(u) => Some((u.subject.clone(), u.status, u.by.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (stop(), Lifecycle::Received, "Lee Clerk".into()),
            (
                Subject::Order { id: ORDER_A },
                Lifecycle::Received,
                "Lee Clerk".into()
            ),
            (
                Subject::Order { id: ORDER_B },
                Lifecycle::Received,
                "Lee Clerk".into()
            ),
        ]
    );

    // In transit emptied, the shelf got the good units only.
    assert_eq!(f.stock_at("TR-GN01", TEE), 0);
    assert_eq!(f.stock_at("TR-GN01", JACKET), 0);
    assert_eq!(f.stock_at("GN01", TEE), 7);
    assert_eq!(f.stock_at("GN01", SOCKS), 2);
    assert_eq!(f.till.stock(Some(TEE)).expect("stock")[0].qty, 7);

    let d = &f.till.deliveries().expect("deliveries")[0];
    assert!(d.received);
    assert_eq!(d.status, Lifecycle::Received);
    let r = d.receiving.as_ref().expect("receiving view");
    assert_eq!(
        (r.shortage_units, r.damaged_units, r.extra_units),
        (6, 1, 2)
    );
    assert!(r.has_discrepancy);
    let tee = r.lines.iter().find(|l| l.sku == TEE).expect("tee line");
    assert_eq!(
        (tee.shortage, tee.good, tee.name.as_deref()),
        (2, 7, Some("Tee"))
    );
    let orders = f.till.orders().expect("orders");
    assert!(orders.iter().all(|o| o.status == Lifecycle::Received));

    // A second receive is refused and writes nothing.
    let before = ops_count(&f);
    let err = f
        .till
        .receive_delivery(&SHIPMENT.to_string(), &[count(TEE, 10, 0)], None, "Lee")
        .expect_err("second receive");
    assert_eq!(
        err.to_string(),
        format!(
            "shipment {SHIPMENT} was already received at this store by Lee Clerk; it cannot be received twice"
        )
    );
    assert_eq!(ops_count(&f), before);
    assert_eq!(f.stock_at("GN01", TEE), 7);
}

#[test]
fn an_exact_receive_has_no_discrepancy_and_uncounted_lines_are_shortages() {
    let mut f = Fixture::new();
    f.dispatched(vec![line(TEE, 3), line(JACKET, 2)]);
    let exact = f
        .till
        .receive_delivery(
            &SHIPMENT.to_string(),
            &[count(TEE, 3, 0), count(JACKET, 2, 0), count(SOCKS, 0, 0)],
            None,
            "Lee",
        )
        .expect("receive");
    assert!(!exact.has_discrepancy(), "{exact:?}");
    assert_eq!(exact.lines.len(), 2, "an extra counted 0 is no line");

    // Nothing counted at all: every line a shortage, only the in-transit moves.
    let mut g = Fixture::new();
    g.dispatched(vec![line(TEE, 3)]);
    let none = g
        .till
        .receive_delivery(&SHIPMENT.to_string(), &[], None, "Lee")
        .expect("receive nothing");
    assert_eq!(none.lines[0].shortage(), 3);
    assert_eq!(g.stock_at("TR-GN01", TEE), 0);
    assert_eq!(g.stock_at("GN01", TEE), 0);
    let moves = g
        .outbox()
        .iter()
        .filter(|o| matches!(o.body, OpBody::StockMove(_)))
        .count();
    assert_eq!(moves, 1);
}

#[test]
fn bad_counts_unknown_deliveries_and_other_tills_receivings_are_refused() {
    let mut f = Fixture::new();
    let shipment = SHIPMENT.to_string();
    let err = f
        .till
        .receive_delivery(&shipment, &[count(TEE, 1, 0)], None, "Lee")
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        format!(
            "no delivery of shipment {SHIPMENT} to this store at this till (sync the till and try again)"
        )
    );
    f.dispatched(vec![line(TEE, 3)]);
    let refused = |f: &mut Fixture, counted: &[CountedLine]| {
        f.till
            .receive_delivery(&shipment, counted, None, "Lee")
            .expect_err("refused")
    };
    assert_eq!(
        refused(&mut f, &[count(TEE, 2, 3)]).to_string(),
        format!(
            "count for {TEE} is out of range: received 2 must be 0 to 100000 and damaged 3 at most the received"
        )
    );
    assert!(matches!(
        refused(&mut f, &[count(TEE, 100_001, 0)]),
        TillError::Logistics(LogisticsError::CountOutOfRange { .. })
    ));
    assert_eq!(
        refused(&mut f, &[count(TEE, 1, 0), count(TEE_BARCODE, 2, 0)]).to_string(),
        format!("{TEE} is counted twice; give each SKU once with its total")
    );
    assert!(matches!(
        refused(&mut f, &[count("bad sku!", 1, 0)]),
        TillError::InvalidInput(_)
    ));
    assert!(matches!(
        f.till.receive_delivery("no-uuid", &[], None, "Lee"),
        Err(TillError::InvalidInput(_))
    ));
    assert_eq!(ops_count(&f), 0);

    // Another till of the store received it first (its record synced here): refused.
    f.deliver(&[op_of(
        OTHER_TILL,
        1,
        9_000,
        OpBody::Receiving(ReceivingRecord {
            id: Uuid::from_u128(0xEC),
            shipment: SHIPMENT,
            store: gn01(),
            lines: vec![ReceivedLine {
                sku: TEE.parse().expect("sku"),
                expected: 3,
                received: 3,
                damaged: 0,
            }],
            received_by: "Park".into(),
            received_ms: 9_000,
            note: None,
        }),
    )]);
    assert!(matches!(
        refused(&mut f, &[count(TEE, 3, 0)]),
        TillError::Logistics(LogisticsError::AlreadyReceived { ref by, .. }) if by == "Park"
    ));

    // HQ marked a stop received (no record here yet), or cancelled one: refused too.
    let mut g = Fixture::new();
    g.dispatched(vec![line(TEE, 3)]);
    g.deliver(&[hub(50, status(stop(), Lifecycle::Cancelled, 9_000, "hq"))]);
    assert!(matches!(
        g.till
            .receive_delivery(&shipment, &[count(TEE, 3, 0)], None, "Lee"),
        Err(TillError::Logistics(LogisticsError::DeliveryCancelled(_)))
    ));
    assert_eq!(ops_count(&g), 0);
}

// ---------------------------------------------------------------------------------------------
// ETA
// ---------------------------------------------------------------------------------------------

fn eta(at_ms: i64, eta_ms: Option<i64>, arrived_ms: Option<i64>) -> DeliveryEta {
    DeliveryEta {
        shipment: SHIPMENT,
        store: gn01(),
        eta_ms,
        distance_m: Some(4_200),
        stops_before: 1,
        arrived_ms,
        driver_name: "Park Driver".into(),
        at_ms,
    }
}

#[test]
fn the_latest_eta_per_shipment_is_kept_even_before_the_delivery_is_known() {
    let mut f = Fixture::new();
    // Before the delivery op: kept, not listed (nothing to receive against yet).
    assert!(
        f.till
            .record_delivery_eta(&eta(10_000, Some(600_000), None))
            .expect("eta")
    );
    assert!(f.till.deliveries().expect("deliveries").is_empty());
    // An older estimate does not replace a newer one.
    assert!(
        !f.till
            .record_delivery_eta(&eta(9_000, Some(1), None))
            .expect("old")
    );
    // Another store's estimate is ignored.
    let other = DeliveryEta {
        store: store("HD02"),
        ..eta(20_000, Some(2), None)
    };
    assert!(!f.till.record_delivery_eta(&other).expect("other store"));
    // This till runs 5 s ahead of the hub: the ETA is shown on its own clock.
    db::set_meta(f.conn(), keys::HUB_CLOCK_OFFSET_MS, "5000").expect("offset");
    f.dispatched(vec![line(TEE, 1)]);
    let d = &f.till.deliveries().expect("deliveries")[0];
    assert_eq!(d.eta_ms, Some(605_000));
    assert_eq!(d.eta_at_ms, Some(15_000));
    assert_eq!((d.distance_m, d.stops_before), (Some(4_200), Some(1)));
    assert_eq!(d.arrived_ms, None);
    // A newer estimate replaces it.
    assert!(
        f.till
            .record_delivery_eta(&eta(11_000, Some(500_000), None))
            .expect("newer")
    );
    assert_eq!(
        f.till.deliveries().expect("deliveries")[0].eta_ms,
        Some(505_000)
    );
    // The hub says it arrived: no ETA any more, the arrival time shows.
    f.till
        .record_delivery_eta(&eta(12_000, None, Some(480_000)))
        .expect("arrived");
    let d = &f.till.deliveries().expect("deliveries")[0];
    assert_eq!((d.eta_ms, d.arrived_ms), (None, Some(480_000)));
    assert_eq!(
        d.status,
        Lifecycle::Dispatched,
        "the status op has not come yet"
    );
    // Once the stop is arrived by status, an estimate still on file is not shown as an ETA.
    f.till
        .record_delivery_eta(&eta(13_000, Some(700_000), None))
        .expect("stale estimate");
    f.deliver(&[hub(
        60,
        status(stop(), Lifecycle::Arrived, 470_000, "geofence"),
    )]);
    let d = &f.till.deliveries().expect("deliveries")[0];
    assert_eq!((d.eta_ms, d.arrived_ms), (None, Some(470_000)));
    let stored: i64 = f
        .conn()
        .query_row("SELECT COUNT(*) FROM delivery_eta", [], |r| r.get(0))
        .expect("count");
    assert_eq!(stored, 1, "one row per shipment");
    assert!(!logistics::record_eta(f.conn(), &eta(12_500, Some(1), None)).expect("older"));
}

// ---------------------------------------------------------------------------------------------
// Re-enrolment
// ---------------------------------------------------------------------------------------------

#[test]
fn a_re_enrolled_till_carries_its_requests_and_cancellations_over_but_not_a_receiving() {
    let mut f = Fixture::new();
    let kept = f
        .till
        .request_stock(&[ask(TEE, 2)], None, "Kim")
        .expect("request");
    let dropped = f
        .till
        .request_stock(&[ask(JACKET, 1)], None, "Kim")
        .expect("request");
    f.till.cancel_order(&dropped.id, "Kim").expect("cancel");
    f.dispatched(vec![line(TEE, 3)]);
    f.till
        .receive_delivery(&SHIPMENT.to_string(), &[count(TEE, 3, 0)], None, "Kim")
        .expect("receive");
    let old = f.till.enrolment().expect("enr").expect("enrolled").actor;
    let new_actor = f
        .till
        .enrol_offline(&crate::OfflineEnrolment {
            actor: None,
            store: gn01(),
            store_name: "Gangnam".into(),
            till_no: 5,
            currency: "KRW".into(),
            hub_url: String::new(),
            credential: String::new(),
        })
        .expect("re-enrol");
    db::set_meta(f.conn(), keys::CARRY_OVER_FROM, &format!("{old}:0")).expect("meta");
    let (records, others) = crate::enrol::pending_records(f.conn()).expect("pending");
    assert!(records.is_empty());
    let carried: Vec<String> = others
        .iter()
        .map(|b| match b {
            OpBody::ReplenishmentOrder(o) => format!("order {}", o.id),
            OpBody::StatusUpdate(u) => format!("{:?} {}", u.subject, u.status.as_str()),
            other => other.kind().to_owned(),
        })
        .collect();
    assert_eq!(
        carried,
        vec![
            format!("order {}", kept.id),
            format!("order {}", dropped.id),
            format!("Order {{ id: {} }} cancelled", dropped.id),
        ],
        "the receiving, its moves and its `received` updates stay behind"
    );
    {
        let tx = f.conn().unchecked_transaction().expect("tx");
        crate::enrol::reissue(&tx, others.clone()).expect("reissue");
        tx.commit().expect("commit");
    }
    let mine: Vec<Op> = f
        .till
        .outbox(1, 100)
        .expect("outbox")
        .into_iter()
        .filter(|o| o.actor == new_actor)
        .collect();
    assert_eq!(mine.len(), 3);
    for op in &mine {
        check_till_op(op, new_actor, &gn01()).expect("the hub accepts it");
    }
    let orders = f.till.orders().expect("orders");
    assert_eq!(orders.len(), 2, "still two orders, one cancelled");
}
