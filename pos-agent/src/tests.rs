//! Tests of the till core against a real SQLite file: atomic sales, gapless
//! seqs, unique receipt numbers, idempotent downstream apply, snapshots, the
//! HLC across restarts, returns, re-issue after re-enrolment — and every op
//! the till writes passes the hub's `check_till_op`.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use sync_proto::op::{
    CatalogField, CatalogSet, OpBody, SaleLine, SaleRecord, StockMove, StockReason, Tender,
    TenderKind,
};
use sync_proto::state::{CatalogEntry, StockCounterRow, continues_totals};
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, Op, ReceiptNo, Scope, Sku, StoreId};
use tempfile::TempDir;
use uuid::Uuid;

use crate::db::{self, keys};
use crate::{
    CatalogItem, ReturnRequest, SaleItem, SaleRequest, StoredReceipt, TenderRequest, Till,
    TillError,
};

fn item(sku: &str, price: i64, barcode: Option<&str>) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: format!("Product {sku}"),
        price: Some(price),
        barcode: barcode.map(Into::into),
        active: true,
        ..CatalogItem::default()
    }
}

fn till_with_catalog(store: &str, till_no: u32) -> (TempDir, Till) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), store, till_no).expect("open");
    till.seed_catalog(&[
        item("TSH-0001-BLK-M", 39_000, Some("8801234567890")),
        item("JKT-0002-NAV-L", 129_000, None),
        item("SCK-0003-WHT-F", 5_000, None),
    ])
    .expect("seed");
    (dir, till)
}

fn sale_of(items: &[(&str, u32)]) -> SaleRequest {
    SaleRequest {
        items: items.iter().map(|(c, q)| SaleItem::new(*c, *q)).collect(),
        ..SaleRequest::default()
    }
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

fn store(s: &str) -> StoreId {
    s.parse().expect("store")
}

fn sku(s: &str) -> Sku {
    s.parse().expect("sku")
}

/// Check ops exactly as the hub does: `check_till_op` plus continuing totals
/// per (location, sku) and gapless seqs.
fn hub_accepts(ops: &[Op], actor: ActorId, store: &StoreId, prev_seq: u64) {
    let mut totals: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for (expected_seq, op) in (prev_seq + 1..).zip(ops) {
        check_till_op(op, actor, store).unwrap_or_else(|e| panic!("hub refuses {op:?}: {e}"));
        assert_eq!(op.seq, expected_seq, "gapless");
        if let OpBody::StockMove(m) = &op.body {
            let key = (m.location.to_string(), m.sku.to_string());
            let (inc, dec) = totals.get(&key).copied().unwrap_or((0, 0));
            assert!(
                continues_totals(m, inc, dec),
                "totals continue: {m:?} after {inc}/{dec}"
            );
            totals.insert(key, (m.inc_total, m.dec_total));
        }
    }
}

#[test]
fn a_sale_writes_everything_and_the_hub_would_accept_it() {
    let (_dir, mut till) = till_with_catalog("GN01", 3);
    let sold = till
        .sell(&SaleRequest {
            items: vec![
                SaleItem::new("8801234567890", 2),
                SaleItem::new("JKT-0002-NAV-L", 1),
            ],
            tenders: vec![
                TenderRequest::of(TenderKind::Cash, 100_000),
                TenderRequest::rest(TenderKind::Card),
            ],
            cashier: Some("Kim".into()),
            member_phone: None,
            sold_at_ms: None,
            cart_discount: None,
            approver_pin: None,
            hold: None,
            coupon_code: None,
        })
        .expect("sell");
    let sale = &sold.sale;
    assert_eq!(sale.receipt.as_str(), "GN01-03-000001");
    assert_eq!(sale.total, 2 * 39_000 + 129_000);
    assert_eq!(
        sale.lines[0].sku,
        sku("TSH-0001-BLK-M"),
        "barcode resolved to SKU"
    );
    assert_eq!(
        sale.tenders.iter().map(|t| t.amount).sum::<i64>(),
        sale.total
    );
    assert_eq!(sale.currency, "KRW");

    let conn = till.connection();
    assert_eq!(count(conn, "sales"), 1);
    assert_eq!(count(conn, "sale_lines"), 2);
    assert_eq!(count(conn, "tenders"), 2);
    assert_eq!(count(conn, "ops"), 3, "sale + one stock move per line");
    assert_eq!(count(conn, "stock_counters"), 2);

    let enr = till.enrolment().expect("enr").expect("enrolled");
    assert_eq!(till.outbox(1, 100).expect("outbox"), sold.ops);
    hub_accepts(&sold.ops, enr.actor, &enr.store, 0);
    assert!(matches!(sold.ops[0].body, OpBody::Sale(_)));
    for op in &sold.ops[1..] {
        match &op.body {
            OpBody::StockMove(m) => assert_eq!(
                m.reference.as_deref(),
                Some("GN01-03-000001"),
                "stock history names the receipt a person can look up"
            ),
            other => panic!("a stock move follows the sale, not {other:?}"),
        }
    }

    // Stock may go negative: a sale is never blocked by local stock.
    let stock = till.stock(Some("TSH-0001-BLK-M")).expect("stock");
    assert_eq!(stock[0].qty, -2);
    let st = till.status().expect("status");
    assert_eq!(
        (st.last_seq, st.acked_seq, st.unsent_ops, st.sales_count),
        (3, 0, 3, 1)
    );
}

#[test]
fn a_failure_mid_transaction_leaves_nothing_behind() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    // Fail on the first stock move's outbox insert: after the sale rows, the
    // receipt number, the counter row and the sale op are already written.
    till.connection()
        .execute_batch(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON ops WHEN NEW.kind = 'stock_move'
             BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;",
        )
        .expect("trigger");
    let hlc_before = db::get_meta(till.connection(), keys::HLC_LAST).expect("hlc");
    let err = till
        .sell(&sale_of(&[("TSH-0001-BLK-M", 1), ("SCK-0003-WHT-F", 2)]))
        .expect_err("must fail");
    assert!(matches!(err, TillError::Db(_)), "{err}");
    let conn = till.connection();
    for table in ["sales", "sale_lines", "tenders", "ops", "stock_counters"] {
        assert_eq!(count(conn, table), 0, "{table} must be empty");
    }
    assert_eq!(
        db::get_meta(conn, keys::NEXT_RECEIPT_SEQ).expect("meta"),
        None
    );
    assert_eq!(db::get_meta(conn, keys::HLC_LAST).expect("hlc"), hlc_before);

    conn.execute_batch("DROP TRIGGER boom").expect("drop");
    let sold = till.sell(&sale_of(&[("TSH-0001-BLK-M", 1)])).expect("sell");
    assert_eq!(
        sold.sale.receipt.sequence(),
        1,
        "receipt sequence not burnt"
    );
    assert_eq!(sold.ops[0].seq, 1, "seq not burnt");
}

#[test]
fn refused_sales_write_nothing() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    type Check = fn(&TillError) -> bool;
    let cases: Vec<(SaleRequest, Check)> = vec![
        (sale_of(&[("NOPE", 1)]), |e| {
            matches!(e, TillError::UnknownSku(_))
        }),
        (sale_of(&[("TSH-0001-BLK-M", 0)]), |e| {
            matches!(e, TillError::InvalidQuantity { .. })
        }),
        (sale_of(&[("TSH-0001-BLK-M", 10_001)]), |e| {
            matches!(e, TillError::InvalidQuantity { .. })
        }),
        (sale_of(&[]), |e| matches!(e, TillError::EmptySale)),
        (
            SaleRequest {
                tenders: vec![TenderRequest::of(TenderKind::Cash, 1_000)],
                ..sale_of(&[("TSH-0001-BLK-M", 1)])
            },
            |e| matches!(e, TillError::TenderShort { .. }),
        ),
    ];
    for (req, expected) in cases {
        let err = till.sell(&req).expect_err("refused");
        assert!(expected(&err), "unexpected {err}");
    }
    let mut off = item("SCK-0003-WHT-F", 5_000, None);
    off.active = false;
    // Seeded values are the oldest possible; a real catalog change wins.
    let hub = ActorId::new_random();
    till.apply_downstream(
        &[Op {
            actor: hub,
            seq: 1,
            hlc: Hlc {
                wall_ms: db::now_ms(),
                counter: 0,
                actor: hub,
            },
            scope: Scope::Catalog,
            body: OpBody::CatalogSet(CatalogSet {
                sku: sku(&off.sku),
                field: CatalogField::Active(false),
            }),
        }],
        1,
    )
    .expect("apply");
    assert!(matches!(
        till.sell(&sale_of(&[("SCK-0003-WHT-F", 1)])),
        Err(TillError::NotForSale(_))
    ));
    assert_eq!(count(till.connection(), "ops"), 0);
    assert_eq!(count(till.connection(), "sales"), 0);
}

#[test]
fn seq_and_receipts_are_gapless_across_reopen_and_hlc_persists() {
    let (dir, mut till) = till_with_catalog("GN01", 2);
    let mut all_ops = Vec::new();
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let s = till.sell(&sale_of(&[("TSH-0001-BLK-M", 1)])).expect("sell");
        receipts.push(s.sale.receipt.sequence());
        all_ops.extend(s.ops);
    }
    let last_hlc = all_ops.last().map(|o| o.hlc).expect("ops");
    drop(till);
    // Simulate a wall clock that went backwards: the persisted HLC still wins.
    let mut till = Till::open(dir.path()).expect("reopen");
    let wall = last_hlc.wall_ms + 60_000;
    db::set_meta(till.connection(), keys::HLC_LAST, &format!("{wall}.7")).expect("meta");
    let s = till
        .sell(&sale_of(&[("TSH-0001-BLK-M", 1), ("SCK-0003-WHT-F", 1)]))
        .expect("sell");
    receipts.push(s.sale.receipt.sequence());
    assert!(s.ops[0].hlc.wall_ms >= wall, "resumed from persisted HLC");
    assert!(s.ops[0].hlc > last_hlc);
    all_ops.extend(s.ops);
    let enr = till.enrolment().expect("enr").expect("enrolled");
    hub_accepts(&all_ops, enr.actor, &enr.store, 0);
    for w in all_ops.windows(2) {
        assert!(w[0].hlc < w[1].hlc, "HLC strictly increasing");
    }
    assert_eq!(receipts, vec![1, 2, 3, 4]);
    assert_eq!(till.outbox(1, 1000).expect("outbox"), all_ops);
}

#[test]
fn two_handles_selling_concurrently_stay_gapless_and_unique() {
    let (dir, till) = till_with_catalog("GN01", 1);
    drop(till);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut till = Till::open(&path).expect("open");
                (0..15)
                    .map(|_| {
                        till.sell(&sale_of(&[("TSH-0001-BLK-M", 1)]))
                            .expect("sell")
                            .sale
                            .receipt
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut receipts = BTreeSet::new();
    for t in threads {
        for r in t.join().expect("thread") {
            assert!(receipts.insert(r), "receipt numbers unique");
        }
    }
    assert_eq!(receipts.len(), 30);
    let till = Till::open(dir.path()).expect("open");
    let enr = till.enrolment().expect("enr").expect("enrolled");
    let ops = till.outbox(1, 1000).expect("outbox");
    assert_eq!(ops.len(), 60);
    hub_accepts(&ops, enr.actor, &enr.store, 0);
    assert_eq!(
        till.stock(Some("TSH-0001-BLK-M")).expect("stock")[0].qty,
        -30
    );
}

#[test]
fn receipt_numbers_are_unique_across_tills_without_coordination() {
    let mut seen = BTreeSet::new();
    let mut keep = Vec::new();
    for (store_code, till_no) in [("GN01", 1), ("GN01", 2), ("HD02", 1)] {
        let (dir, mut till) = till_with_catalog(store_code, till_no);
        for _ in 0..5 {
            let r = till
                .sell(&sale_of(&[("SCK-0003-WHT-F", 1)]))
                .expect("sell")
                .sale
                .receipt;
            assert_eq!(r.store(), store(store_code));
            assert_eq!(r.till_no(), till_no);
            assert!(
                crate::receipt::code128_widths(r.as_str()).is_some(),
                "printable as Code 128"
            );
            assert!(seen.insert(r));
        }
        keep.push((dir, till));
    }
    assert_eq!(seen.len(), 15);
}

fn other_till_sale(store_code: &str, other: ActorId, seq: u64) -> Vec<Op> {
    let st = store(store_code);
    let id = Uuid::now_v7();
    let hlc = |n: u32| Hlc {
        wall_ms: db::now_ms(),
        counter: n,
        actor: other,
    };
    let sale = SaleRecord {
        id,
        receipt: ReceiptNo::new(&st, 9, seq),
        store: st.clone(),
        till: other,
        cashier: None,
        member: None,
        lines: vec![SaleLine {
            sku: sku("JKT-0002-NAV-L"),
            name: "Jacket".into(),
            qty: 2,
            unit_price: 129_000,
            discount: 0,
            line_total: 258_000,
        }],
        tenders: vec![Tender {
            kind: TenderKind::Card,
            amount: 258_000,
        }],
        total: 258_000,
        change_given: 0,
        currency: "KRW".into(),
        sold_at_ms: db::now_ms(),
    };
    vec![
        Op {
            actor: other,
            seq,
            hlc: hlc(0),
            scope: Scope::Store(st.clone()),
            body: OpBody::Sale(sale),
        },
        Op {
            actor: other,
            seq: seq + 1,
            hlc: hlc(1),
            scope: Scope::Store(st.clone()),
            body: OpBody::StockMove(StockMove {
                location: st,
                sku: sku("JKT-0002-NAV-L"),
                delta: -2,
                reason: StockReason::Sale,
                reference: Some(id.to_string()),
                inc_total: 0,
                dec_total: seq + 1,
            }),
        },
    ]
}

fn dump(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in [
        ("catalog", "sku"),
        ("stock_counters", "location, sku, actor"),
        ("sales", "id"),
        ("sale_lines", "sale_id, line_no"),
        ("tenders", "record_id, idx"),
        ("returns", "id"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .expect("prepare");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let vals: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).ok()))
                    .collect();
                Ok(vals.join("|"))
            })
            .expect("query");
        for row in rows {
            out.push(format!("{table}:{}", row.expect("row")));
        }
    }
    out
}

#[test]
fn applying_the_same_downstream_ops_twice_or_reordered_changes_nothing() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    till.sell(&sale_of(&[("JKT-0002-NAV-L", 1)])).expect("sell");
    let other = ActorId::new_random();
    let hub = ActorId::new_random();
    let gn01 = store("GN01");
    let mut ops = other_till_sale("GN01", other, 1);
    ops.extend(other_till_sale("GN01", other, 3));
    ops.push(Op {
        actor: hub,
        seq: 1,
        hlc: Hlc {
            wall_ms: db::now_ms(),
            counter: 0,
            actor: hub,
        },
        scope: Scope::Store(gn01.clone()),
        body: OpBody::StockMove(StockMove {
            location: gn01.clone(),
            sku: sku("JKT-0002-NAV-L"),
            delta: 20,
            reason: StockReason::Receipt,
            reference: None,
            inc_total: 20,
            dec_total: 0,
        }),
    });
    ops.push(Op {
        actor: hub,
        seq: 2,
        hlc: Hlc {
            wall_ms: db::now_ms(),
            counter: 1,
            actor: hub,
        },
        scope: Scope::Catalog,
        body: OpBody::CatalogSet(CatalogSet {
            sku: sku("JKT-0002-NAV-L"),
            field: CatalogField::Price(99_000),
        }),
    });

    let stats = till.apply_downstream(&ops, 10).expect("apply");
    assert_eq!(stats.new_records, 2);
    let after_once = dump(till.connection());
    assert_eq!(
        till.stock(Some("JKT-0002-NAV-L")).expect("stock")[0].qty,
        20 - 1 - 4
    );
    assert_eq!(
        till.catalog_item("JKT-0002-NAV-L")
            .expect("cat")
            .expect("item")
            .price,
        Some(99_000)
    );
    assert_eq!(
        db::get_meta_u64(till.connection(), keys::CURSOR).expect("cursor"),
        10
    );

    let stats = till.apply_downstream(&ops, 10).expect("again");
    assert_eq!(
        (
            stats.new_records,
            stats.counters_changed,
            stats.catalog_changed
        ),
        (0, 0, 0)
    );
    let mut reversed = ops.clone();
    reversed.reverse();
    till.apply_downstream(&reversed, 10).expect("reversed");
    assert_eq!(dump(till.connection()), after_once);
    // Received sales are visible for returns but not counted as this till's.
    assert_eq!(till.status().expect("status").sales_count, 1);
}

#[test]
fn a_fresh_till_applying_ops_in_any_order_converges() {
    let other = ActorId::new_random();
    let mut ops = other_till_sale("GN01", other, 1);
    ops.extend(other_till_sale("GN01", other, 3));
    let (_a, mut a) = till_with_catalog("GN01", 1);
    let (_b, mut b) = till_with_catalog("GN01", 2);
    a.apply_downstream(&ops, 4).expect("a");
    for op in ops.iter().rev() {
        b.apply_downstream(std::slice::from_ref(op), 4).expect("b");
    }
    assert_eq!(a.stock(None).expect("a"), b.stock(None).expect("b"));
    assert_eq!(dump(a.connection()), dump(b.connection()));
}

#[test]
fn snapshot_apply_merges_counters_and_catalog_by_hlc() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    let own = till.enrolment().expect("enr").expect("enrolled").actor;
    till.sell(&sale_of(&[("TSH-0001-BLK-M", 3)])).expect("sell");
    let hub = ActorId::new_random();
    let gn01 = store("GN01");
    let t = db::now_ms();
    let rows = vec![
        StockCounterRow {
            location: gn01.clone(),
            sku: sku("TSH-0001-BLK-M"),
            actor: hub,
            inc_total: 50,
            dec_total: 0,
        },
        // The hub's copy of our own entry, behind what we have: MAX keeps ours.
        StockCounterRow {
            location: gn01.clone(),
            sku: sku("TSH-0001-BLK-M"),
            actor: own,
            inc_total: 0,
            dec_total: 1,
        },
        StockCounterRow {
            location: gn01.clone(),
            sku: sku("NEW-SKU"),
            actor: hub,
            inc_total: 7,
            dec_total: 2,
        },
    ];
    let newer = Hlc {
        wall_ms: t,
        counter: 0,
        actor: hub,
    };
    let catalog = vec![
        CatalogEntry {
            sku: sku("NEW-SKU"),
            field: CatalogField::Name("New thing".into()),
            hlc: newer,
        },
        CatalogEntry {
            sku: sku("NEW-SKU"),
            field: CatalogField::Price(15_000),
            hlc: newer,
        },
        CatalogEntry {
            sku: sku("TSH-0001-BLK-M"),
            field: CatalogField::Price(35_000),
            hlc: newer,
        },
    ];
    till.apply_snapshot(&catalog, &rows).expect("snapshot");
    till.apply_snapshot(&catalog, &rows)
        .expect("snapshot again");
    assert_eq!(
        till.stock(Some("TSH-0001-BLK-M")).expect("stock")[0].qty,
        50 - 3
    );
    assert_eq!(till.stock(Some("NEW-SKU")).expect("stock")[0].qty, 5);
    assert_eq!(
        till.catalog_item("TSH-0001-BLK-M")
            .expect("c")
            .expect("i")
            .price,
        Some(35_000)
    );
    // An older write loses, a newer one wins.
    let older = Hlc {
        wall_ms: t - 1000,
        counter: 0,
        actor: hub,
    };
    till.apply_snapshot(
        &[CatalogEntry {
            sku: sku("TSH-0001-BLK-M"),
            field: CatalogField::Price(1),
            hlc: older,
        }],
        &[],
    )
    .expect("older");
    assert_eq!(
        till.catalog_item("TSH-0001-BLK-M")
            .expect("c")
            .expect("i")
            .price,
        Some(35_000)
    );
    // The new SKU is sellable from the snapshot, and the till's next op orders after it.
    let s = till.sell(&sale_of(&[("NEW-SKU", 1)])).expect("sell new");
    assert_eq!(s.sale.total, 15_000);
    assert!(s.ops[0].hlc > newer);
}

#[test]
fn snapshot_chunk_sets_cursor_only_when_done() {
    let (_dir, till) = till_with_catalog("GN01", 1);
    let mut conn = db::open(till.data_dir()).expect("conn");
    let mut chunk = sync_proto::wire::SnapshotChunk {
        at_cursor: 42,
        catalog: vec![],
        stock: vec![],
        records: vec![],
        done: false,
    };
    crate::apply::apply_snapshot_chunk(&mut conn, &chunk).expect("chunk");
    assert_eq!(db::get_meta_u64(&conn, keys::CURSOR).expect("c"), 0);
    chunk.done = true;
    crate::apply::apply_snapshot_chunk(&mut conn, &chunk).expect("chunk");
    assert_eq!(db::get_meta_u64(&conn, keys::CURSOR).expect("c"), 42);
}

#[test]
fn returns_against_a_receipt_full_partial_and_over() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    let sold = till
        .sell(&SaleRequest {
            items: vec![
                SaleItem::new("TSH-0001-BLK-M", 3),
                SaleItem::new("SCK-0003-WHT-F", 1),
            ],
            tenders: vec![TenderRequest::of(TenderKind::Cash, 200_000)],
            cashier: None,
            member_phone: None,
            sold_at_ms: None,
            cart_discount: None,
            approver_pin: None,
            hold: None,
            coupon_code: None,
        })
        .expect("sell");
    assert_eq!(sold.sale.change_given, 200_000 - 122_000);
    let receipt = sold.sale.receipt.to_string();
    let partial = till
        .return_sale(&ReturnRequest {
            receipt: receipt.to_lowercase(),
            items: vec![SaleItem::new("8801234567890", 2)],
        })
        .expect("partial");
    assert_eq!(partial.record.total_refund, 78_000);
    assert_eq!(
        partial.record.receipt.sequence(),
        2,
        "same sequence as sales"
    );
    assert_eq!(
        partial.record.refunds,
        vec![Tender {
            kind: TenderKind::Cash,
            amount: 78_000
        }]
    );
    assert!(matches!(
        till.return_sale(&ReturnRequest {
            receipt: receipt.clone(),
            items: vec![SaleItem::new("TSH-0001-BLK-M", 2)]
        }),
        Err(TillError::OverReturn { returnable: 1, .. })
    ));
    assert!(matches!(
        till.return_sale(&ReturnRequest {
            receipt: "GN01-01-999999".into(),
            items: vec![]
        }),
        Err(TillError::ReceiptNotFound(_))
    ));
    assert!(matches!(
        till.return_sale(&ReturnRequest {
            receipt: partial.record.receipt.to_string(),
            items: vec![]
        }),
        Err(TillError::NotASale(_))
    ));
    let rest = till
        .return_sale(&ReturnRequest {
            receipt: receipt.clone(),
            items: vec![],
        })
        .expect("rest");
    assert_eq!(rest.record.total_refund, 39_000 + 5_000);
    assert!(matches!(
        till.return_sale(&ReturnRequest {
            receipt: receipt.clone(),
            items: vec![]
        }),
        Err(TillError::NothingToReturn(_))
    ));
    assert_eq!(till.stock(Some("TSH-0001-BLK-M")).expect("s")[0].qty, 0);
    assert_eq!(till.stock(Some("SCK-0003-WHT-F")).expect("s")[0].qty, 0);

    let enr = till.enrolment().expect("enr").expect("enrolled");
    let ops = till.outbox(1, 100).expect("outbox");
    hub_accepts(&ops, enr.actor, &enr.store, 0);
    assert_eq!(ops.len(), 3 + 2 + 3);

    match till.receipt(&receipt).expect("lookup") {
        StoredReceipt::Sale { sale, returns, .. } => {
            assert_eq!(sale, sold.sale);
            assert_eq!(returns.len(), 2);
            let text = crate::receipt::render_sale(&sale, &returns, "Gangnam");
            assert!(
                text.contains(&receipt) && text.contains("Code 128"),
                "{text}"
            );
        }
        other => panic!("expected a sale, got {other:?}"),
    }
    let st = till.status().expect("status");
    assert_eq!((st.sales_count, st.returns_count), (1, 2));
}

#[test]
fn a_return_against_another_tills_synced_sale_works() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    let other = ActorId::new_random();
    let ops = other_till_sale("GN01", other, 1);
    till.apply_downstream(&ops, 2).expect("apply");
    let ret = till
        .return_sale(&ReturnRequest {
            receipt: "GN01-09-000001".into(),
            items: vec![SaleItem::new("JKT-0002-NAV-L", 1)],
        })
        .expect("return");
    assert_eq!(ret.record.total_refund, 129_000);
    let enr = till.enrolment().expect("enr").expect("enrolled");
    hub_accepts(&ret.ops, enr.actor, &enr.store, 0);
    // Our +1 and the other till's -2.
    assert_eq!(till.stock(Some("JKT-0002-NAV-L")).expect("s")[0].qty, -1);
}

#[test]
fn reissue_after_re_enrolment_makes_valid_ops_of_the_new_actor() {
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    let sold = till.sell(&sale_of(&[("TSH-0001-BLK-M", 2)])).expect("sell");
    let ret = till
        .return_sale(&ReturnRequest {
            receipt: sold.sale.receipt.to_string(),
            items: vec![],
        })
        .expect("ret");
    // Re-enrol as a new actor (offline), clearing counters like `enrol` does.
    let new_actor = till
        .enrol_offline(&crate::OfflineEnrolment {
            actor: None,
            store: store("GN01"),
            store_name: "Gangnam".into(),
            till_no: 4,
            currency: "KRW".into(),
            hub_url: String::new(),
            credential: String::new(),
        })
        .expect("re-enrol");
    till.connection()
        .execute("DELETE FROM stock_counters", [])
        .expect("clear");
    let bodies = vec![sold.ops[0].body.clone(), ret.ops[0].body.clone()];
    {
        let tx = till.connection().unchecked_transaction().expect("tx");
        crate::enrol::reissue(&tx, bodies).expect("reissue");
        tx.commit().expect("commit");
    }
    let ops = till.outbox(1, 100).expect("outbox");
    assert_eq!(ops.len(), 4);
    hub_accepts(&ops, new_actor, &store("GN01"), 0);
    match &ops[0].body {
        OpBody::Sale(s) => {
            assert_eq!(s.id, sold.sale.id);
            assert_eq!(s.receipt, sold.sale.receipt);
            assert_eq!(s.till, new_actor);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(till.stock(Some("TSH-0001-BLK-M")).expect("s")[0].qty, 0);
    // Receipt numbers continue and carry the new till number.
    let next = till.sell(&sale_of(&[("SCK-0003-WHT-F", 1)])).expect("sell");
    assert_eq!(next.sale.receipt.as_str(), "GN01-04-000003");
}

#[test]
fn not_enrolled_till_refuses_to_sell_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open(dir.path()).expect("open");
    let err = till.sell(&sale_of(&[("X", 1)])).expect_err("refused");
    assert!(matches!(
        err,
        TillError::UnknownSku(_) | TillError::NotEnrolled
    ));
    till.seed_catalog(&[item("X", 1, None)]).expect("seed");
    let err = till.sell(&sale_of(&[("X", 1)])).expect_err("refused");
    assert!(matches!(err, TillError::NotEnrolled), "{err}");
    assert!(err.to_string().contains("enrol"));
    let st = till.status().expect("status");
    assert_eq!(st.actor, None);
}

#[test]
fn records_with_a_reused_receipt_number_are_all_kept() {
    // A till restored from an old copy may reuse receipt numbers before it
    // re-enrols; the records are distinct (by id) and no replica may drop one.
    let (_dir, mut till) = till_with_catalog("GN01", 1);
    let other = ActorId::new_random();
    let first = other_till_sale("GN01", other, 1);
    let mut second = other_till_sale("GN01", other, 1);
    for op in &mut second {
        op.seq += 2;
    }
    till.apply_downstream(&first, 2).expect("first");
    till.apply_downstream(&second, 4).expect("second");
    assert_eq!(count(till.connection(), "sales"), 2);
    assert!(matches!(
        till.receipt("GN01-09-000001"),
        Ok(StoredReceipt::Sale { .. })
    ));
}
