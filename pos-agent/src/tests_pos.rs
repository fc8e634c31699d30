//! Tests of the POS-app core (issue 3) against a real SQLite file: discounts
//! and approvals through `quote_sale`/`sell`, catalog search on 20,000 SKUs,
//! shifts and the Z report, the schema 3 → 4 upgrade of an existing till,
//! the return preview, the pending outbox and receipt files.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{Connection, params};
use sync_proto::op::{OpBody, TenderKind};
use sync_proto::people::{StaffRecord, StaffRole};
use sync_proto::validate::check_till_op;
use sync_proto::{ActorId, Hlc, Op, Scope};
use tempfile::TempDir;
use uuid::Uuid;

use crate::db;
use crate::discount::Discount;
use crate::shift::CashMovementKind;
use crate::views::ReceiptFormat;
use crate::{CatalogItem, ReturnRequest, SaleItem, SaleRequest, TenderRequest, Till, TillError};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));

fn product(sku: &str, name: &str, price: i64) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: name.into(),
        price: Some(price),
        active: true,
        ..CatalogItem::default()
    }
}

fn till() -> (TempDir, Till) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 1).expect("open");
    till.seed_catalog(&[
        CatalogItem {
            barcode: Some("8801234567890".into()),
            style: Some("TSH-0001".into()),
            colour: Some("BLK".into()),
            size: Some("M".into()),
            ..product("TSH-0001-BLK-M", "Oxford tee black M", 39_000)
        },
        product("JKT-0002-NAV-L", "Field jacket navy L", 129_000),
        product("SCK-0003-WHT-F", "Socks white", 5_000),
        CatalogItem {
            active: false,
            ..product("OLD-0009", "Old stock", 1_000)
        },
    ])
    .expect("seed");
    (dir, till)
}

fn pin_hash(pin: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// Staff of GN01: kim (cashier, 1111), mia (manager, 2222), old (manager, inactive, 3333).
fn with_staff(till: &mut Till) {
    let people = [
        (1u128, "kim", StaffRole::Cashier, "1111", true),
        (2, "mia", StaffRole::StoreManager, "2222", true),
        (3, "old", StaffRole::StoreManager, "3333", false),
    ];
    let ops: Vec<Op> = people
        .iter()
        .enumerate()
        .map(|(i, (n, user, role, pin, active))| Op {
            actor: HUB,
            seq: i as u64 + 1,
            hlc: Hlc {
                wall_ms: 1_000,
                counter: 0,
                actor: HUB,
            },
            scope: Scope::Store("GN01".parse().expect("store")),
            body: OpBody::StaffSet(StaffRecord {
                id: Uuid::from_u128(*n),
                username: (*user).into(),
                display_name: format!("{user} (display)"),
                role: *role,
                store: "GN01".parse().expect("store"),
                pin_hash: Some(pin_hash(pin)),
                active: *active,
            }),
        })
        .collect();
    till.apply_downstream(&ops, 3).expect("staff");
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

fn hub_accepts(till: &Till, ops: &[Op]) {
    let e = till.enrolment().expect("enrolment").expect("enrolled");
    for op in ops {
        check_till_op(op, e.actor, &e.store)
            .unwrap_or_else(|err| panic!("hub refuses {op:?}: {err}"));
    }
}

// ---------------------------------------------------------------- discounts

#[test]
fn quote_is_what_sell_charges_and_commits_nothing() {
    let (_dir, mut till) = till();
    let req = SaleRequest {
        items: vec![
            SaleItem::new("8801234567890", 2).with_discount(Discount::Percent(5)),
            SaleItem::new("SCK-0003-WHT-F", 3),
            SaleItem::new("TSH-0001-BLK-M", 1),
        ],
        cart_discount: Some(Discount::Amount(1_001)),
        ..SaleRequest::default()
    };
    let ops_before = count(till.connection(), "SELECT COUNT(*) FROM ops");
    let q = till.quote_sale(&req).expect("quote");
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM ops"),
        ops_before
    );
    // Same SKU twice (barcode, then SKU) is one line, keeping the scanned code.
    assert_eq!(q.lines.len(), 2);
    assert_eq!(q.lines[0].code, "8801234567890");
    assert_eq!(q.lines[0].qty, 3);
    assert_eq!(q.lines[0].colour.as_deref(), Some("BLK"));
    assert_eq!(q.gross, 3 * 39_000 + 3 * 5_000);
    // 5 % of 78,000 = 3,900 on the tee line; then 1,001 spread over the nets.
    assert_eq!(q.discount, 3_900 + 1_001);
    assert_eq!(q.total, q.gross - q.discount);
    assert_eq!(q.lines.iter().map(|l| l.line_total).sum::<i64>(), q.total);
    assert!(!q.needs_approval, "3.7 % is within the 10 % limit");
    assert_eq!(q.discount_limit_pct, 10);

    let sold = till.sell(&req).expect("sell");
    assert_eq!(sold.sale.total, q.total);
    for (l, ql) in sold.sale.lines.iter().zip(&q.lines) {
        assert_eq!((l.discount, l.line_total), (ql.discount, ql.line_total));
    }
    // The receipt number was not used up by the quote.
    assert_eq!(sold.sale.receipt.as_str(), "GN01-01-000001");
    hub_accepts(&till, &sold.ops);
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM discount_approvals"),
        0
    );
}

#[test]
fn bad_discounts_and_codes_are_refused() {
    let (_dir, till) = till();
    let over = SaleRequest {
        items: vec![SaleItem::new("SCK-0003-WHT-F", 1).with_discount(Discount::Amount(5_001))],
        ..SaleRequest::default()
    };
    assert!(matches!(
        till.quote_sale(&over),
        Err(TillError::InvalidInput(_))
    ));
    let pct = SaleRequest {
        items: vec![SaleItem::new("SCK-0003-WHT-F", 1).with_discount(Discount::Percent(101))],
        ..SaleRequest::default()
    };
    assert!(matches!(
        till.quote_sale(&pct),
        Err(TillError::InvalidInput(_))
    ));
    let cart = SaleRequest {
        items: vec![SaleItem::new("SCK-0003-WHT-F", 1)],
        cart_discount: Some(Discount::Amount(5_001)),
        ..SaleRequest::default()
    };
    assert!(matches!(
        till.quote_sale(&cart),
        Err(TillError::InvalidInput(_))
    ));
    let unknown = SaleRequest {
        items: vec![SaleItem::new("NOPE-1", 1)],
        ..SaleRequest::default()
    };
    let err = till.quote_sale(&unknown).expect_err("unknown");
    assert!(
        matches!(err, TillError::UnknownSku(ref c) if c == "NOPE-1"),
        "{err}"
    );
    let inactive = SaleRequest {
        items: vec![SaleItem::new("OLD-0009", 1)],
        ..SaleRequest::default()
    };
    assert!(matches!(
        till.quote_sale(&inactive),
        Err(TillError::NotForSale(_))
    ));
}

#[test]
fn a_discount_over_the_limit_needs_a_managers_pin() {
    let (_dir, mut till) = till();
    with_staff(&mut till);
    let mut req = SaleRequest {
        items: vec![SaleItem::new("JKT-0002-NAV-L", 1)],
        cart_discount: Some(Discount::Percent(20)),
        cashier: Some("kim".into()),
        ..SaleRequest::default()
    };
    let q = till.quote_sale(&req).expect("quote");
    assert!(q.needs_approval);
    assert_eq!(q.discount, 25_800);
    let ops_before = count(till.connection(), "SELECT COUNT(*) FROM ops");
    let err = till.sell(&req).expect_err("needs approval");
    assert!(
        matches!(
            err,
            TillError::ApprovalRequired {
                limit_pct: 10,
                discount: 25_800
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("over the 10% limit"), "{err}");
    // A cashier's PIN, a wrong PIN, an inactive manager's PIN: refused.
    for pin in ["1111", "9999", "3333"] {
        req.approver_pin = Some(pin.into());
        let err = till.sell(&req).expect_err("refused");
        assert!(matches!(err, TillError::ApprovalRefused(_)), "{pin}: {err}");
    }
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM ops"),
        ops_before
    );
    assert_eq!(count(till.connection(), "SELECT COUNT(*) FROM sales"), 0);

    req.approver_pin = Some("2222".into());
    let sold = till.sell(&req).expect("approved");
    assert_eq!(sold.sale.total, 129_000 - 25_800);
    hub_accepts(&till, &sold.ops);
    let (approver, discount, receipt): (String, i64, String) = till
        .connection()
        .query_row(
            "SELECT approver, discount, receipt FROM discount_approvals WHERE sale_id = ?1",
            [sold.sale.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("approval row");
    assert_eq!((approver.as_str(), discount), ("mia", 25_800));
    assert_eq!(receipt, sold.sale.receipt.as_str());

    // A manager selling needs nobody's PIN; the approval is recorded as theirs.
    let by_manager = SaleRequest {
        cashier: Some("mia".into()),
        approver_pin: None,
        hold: None,
        coupon_code: None,
        ..req.clone()
    };
    assert!(!till.quote_sale(&by_manager).expect("quote").needs_approval);
    let sold = till.sell(&by_manager).expect("manager sells");
    let approver: String = till
        .connection()
        .query_row(
            "SELECT approver FROM discount_approvals WHERE sale_id = ?1",
            [sold.sale.id.to_string()],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(approver, "mia");

    // Raising the limit to 25 % lets the cashier give 20 % alone.
    till.set_discount_limit_pct(25).expect("limit");
    assert!(till.set_discount_limit_pct(101).is_err());
    let alone = SaleRequest {
        approver_pin: None,
        hold: None,
        coupon_code: None,
        ..req
    };
    assert!(!till.quote_sale(&alone).expect("quote").needs_approval);
    till.sell(&alone).expect("within the new limit");
}

#[test]
fn settle_preview_matches_sell() {
    let p = crate::settle_preview(10_000, &[TenderRequest::of(TenderKind::Cash, 4_000)])
        .expect("preview");
    assert_eq!(p.remaining, 6_000);
    let p = crate::settle_preview(
        10_000,
        &[
            TenderRequest::of(TenderKind::Cash, 4_000),
            TenderRequest::of(TenderKind::Cash, 7_000),
        ],
    )
    .expect("preview");
    assert_eq!((p.remaining, p.change_due), (0, 1_000));
}

// ---------------------------------------------------------------- catalog

const BIG: usize = 20_000;
const SIZES: [&str; 5] = ["XS", "S", "M", "L", "XL"];
const COLOURS: [&str; 4] = ["BLK", "NAV", "WHT", "RED"];

/// 20,000 SKUs: 1,000 styles × 4 colours × 5 sizes, 10 categories.
fn big_till() -> (TempDir, Till) {
    let dir = tempfile::tempdir().expect("tempdir");
    let till = Till::open_offline(dir.path(), "GN01", 1).expect("open");
    let mut conn = db::open(dir.path()).expect("db");
    let tx = db::write_tx(&mut conn).expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO catalog(sku, name, price, barcode, style, colour, size, category, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .expect("prepare");
        for i in 0..BIG {
            let style = format!("ST{:04}", i / 20);
            let colour = COLOURS[(i / 5) % 4];
            let size = SIZES[i % 5];
            stmt.execute(params![
                format!("{style}-{colour}-{size}"),
                format!("Style {} {colour} {size}", i / 20),
                10_000 + (i as i64 % 100) * 100,
                format!("880{i:010}"),
                style,
                colour,
                size,
                format!("cat-{}", i % 10),
                i % 997 != 0,
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
    (dir, till)
}

/// One search step, labelled in the output. Speed is not asserted here:
/// tests run on a shared, noisy machine, so the figures live in the benchmark
/// (`cargo xtask bench --only pos`); this test checks results and that the
/// query plans use the indexes (below).
fn step<T>(what: &str, f: impl FnOnce() -> T) -> T {
    eprintln!("{what}");
    f()
}

#[test]
fn catalog_search_on_20k_skus_is_indexed_and_ordered() {
    let (_dir, till) = big_till();
    // Warm the statement cache once, as the app does.
    till.search_products("ST0001", 10).expect("warm");

    let hits = step("exact barcode", || {
        till.search_products("8800000000042", 20).expect("search")
    });
    assert_eq!(hits[0].product.item.sku, "ST0002-BLK-M");
    let hits = step("sku prefix", || {
        till.search_products("st0123-nav", 50).expect("search")
    });
    assert_eq!(hits.len(), 5, "one style-colour, five sizes");
    assert!(
        hits.iter()
            .all(|h| h.product.item.sku.starts_with("ST0123-NAV"))
    );
    // Exact SKU first, then the prefix matches, then names.
    let hits = step("sku exact+prefix", || {
        till.search_products("ST0123-NAV-M", 50).expect("search")
    });
    assert_eq!(hits[0].product.item.sku, "ST0123-NAV-M");
    let hits = step("name substring", || {
        till.search_products("style 777 red", 200).expect("search")
    });
    assert_eq!(hits.len(), 5);
    let hits = step("no match (full scan)", || {
        till.search_products("zzz-nothing", 200).expect("search")
    });
    assert!(hits.is_empty());
    let hits = step("broad", || {
        till.search_products("style", 1_000).expect("search")
    });
    assert_eq!(hits.len(), crate::catalog::MAX_SEARCH_LIMIT);
    // Inactive products (every 997th) are never found.
    assert!(
        till.search_products("ST0000-BLK-XS", 10)
            .expect("search")
            .is_empty()
    );
    assert!(matches!(
        till.scan("ST0000-BLK-XS"),
        Err(TillError::NotForSale(_))
    ));
    assert!(matches!(till.scan("NOPE"), Err(TillError::UnknownSku(_))));
    let hit = step("scan", || till.scan("8800000000042").expect("scan"));
    assert_eq!(hit.product.current_price, Some(10_000 + 42 * 100));
    assert_eq!(hit.stock, 0);

    let grid = step("variants", || till.variants("ST0500").expect("variants"));
    assert_eq!(grid.sizes, vec!["XS", "S", "M", "L", "XL"]);
    assert_eq!(grid.colours, vec!["BLK", "NAV", "RED", "WHT"]);
    assert_eq!(grid.cells.len(), 20);
    assert_eq!(grid.name, "Style 500");
    assert!(matches!(
        till.variants("NOPE"),
        Err(TillError::UnknownStyle(_))
    ));

    let cats = step("categories", || till.categories().expect("categories"));
    assert_eq!(cats.len(), 10);
    let total: u64 = cats.iter().map(|c| c.count).sum();
    assert_eq!(total as usize, BIG - BIG.div_ceil(997));
    let page1 = step("category page", || {
        till.products_in_category("cat-3", 0, 50).expect("page")
    });
    let page2 = till.products_in_category("cat-3", 50, 50).expect("page");
    assert_eq!((page1.len(), page2.len()), (50, 50));
    assert!(page1.last().expect("last").product.item.sku < page2[0].product.item.sku);

    // The prefix and category queries use the schema-4 indexes.
    let plan = |sql: &str| -> String {
        let mut stmt = till
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).expect("rows");
        rows.map(|r| r.expect("row")).collect::<Vec<_>>().join("; ")
    };
    let p = plan(
        "SELECT sku FROM catalog WHERE sku >= 'a' COLLATE NOCASE AND sku < 'a~' COLLATE NOCASE AND active = 1 ORDER BY sku COLLATE NOCASE LIMIT 5",
    );
    assert!(p.contains("catalog_sku_nocase"), "{p}");
    let p =
        plan("SELECT sku FROM catalog WHERE active = 1 AND category = 'x' ORDER BY sku LIMIT 5");
    assert!(p.contains("catalog_category"), "{p}");
    let p = plan("SELECT sku FROM catalog WHERE style = 'x' AND active = 1 ORDER BY sku LIMIT 5");
    assert!(p.contains("catalog_style"), "{p}");

    // The full-text index follows catalog changes (renames, new products).
    let mut till = till;
    till.seed_catalog(&[product("NEW-0001", "Linen shirt ecru", 49_000)])
        .expect("new product");
    let hits = till.search_products("linen", 10).expect("search");
    assert_eq!(hits.len(), 1);
    let hits = till.search_products("ecru", 10).expect("search");
    assert_eq!(hits[0].product.item.sku, "NEW-0001");
    // Short queries work too (scan with a limit).
    assert_eq!(till.search_products("yl", 3).expect("search").len(), 3);
}

// ---------------------------------------------------------------- shifts

#[test]
fn a_shift_collects_sales_returns_and_cash_into_the_z_report() {
    let (_dir, mut till) = till();
    // A sale before any shift stays outside every shift.
    let before = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("SCK-0003-WHT-F", 1)],
            tenders: vec![TenderRequest::rest(TenderKind::Cash)],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert!(till.current_shift().expect("current").is_none());
    assert!(matches!(
        till.cash_movement(CashMovementKind::In, 100, "x", "kim"),
        Err(TillError::NoOpenShift)
    ));
    assert!(matches!(
        till.close_shift("kim", 0),
        Err(TillError::NoOpenShift)
    ));

    let shift = till.open_shift("kim", 100_000).expect("open");
    assert!(matches!(
        till.open_shift("mia", 1),
        Err(TillError::ShiftAlreadyOpen)
    ));
    // Cash 50,000 for 39,000: 11,000 change; the drawer keeps 39,000.
    let s1 = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("TSH-0001-BLK-M", 1)],
            tenders: vec![TenderRequest::of(TenderKind::Cash, 50_000)],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(s1.sale.change_given, 11_000);
    // Split: 10,000 cash + card for the rest of 134,000 less 10 % line discount.
    let s2 = till
        .sell(&SaleRequest {
            items: vec![
                SaleItem::new("JKT-0002-NAV-L", 1).with_discount(Discount::Percent(10)),
                SaleItem::new("SCK-0003-WHT-F", 1),
            ],
            tenders: vec![
                TenderRequest::of(TenderKind::Cash, 10_000),
                TenderRequest::rest(TenderKind::Card),
            ],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(s2.sale.total, 129_000 - 12_900 + 5_000);
    // Return the tee: 39,000 back in cash.
    let r = till
        .return_sale(&ReturnRequest {
            receipt: s1.sale.receipt.to_string(),
            items: vec![],
        })
        .expect("return");
    assert_eq!(r.record.total_refund, 39_000);
    till.cash_movement(CashMovementKind::In, 20_000, "change from bank", "kim")
        .expect("in");
    // Expected now: 100,000 + 49,000 − 39,000 + 20,000 = 130,000.
    let err = till
        .cash_movement(CashMovementKind::Out, 130_001, "banking", "mia")
        .expect_err("more than the drawer holds");
    assert!(matches!(err, TillError::InvalidInput(_)), "{err}");
    till.cash_movement(CashMovementKind::Out, 30_000, "banking", "mia")
        .expect("out");
    assert!(
        till.cash_movement(CashMovementKind::Out, 0, "x", "mia")
            .is_err()
    );
    assert!(
        till.cash_movement(CashMovementKind::Out, 10, "  ", "mia")
            .is_err()
    );

    let cur = till.current_shift().expect("current").expect("open");
    assert_eq!(cur.shift.id, shift.id);
    assert_eq!((cur.sales_count, cur.returns_count), (2, 1));
    assert_eq!(cur.gross_sales, 39_000 + 129_000 + 5_000);
    assert_eq!(cur.discounts, 12_900);
    assert_eq!(cur.net_sales, 39_000 + s2.sale.total);
    assert_eq!(cur.refunds, 39_000);
    assert_eq!(cur.expected_cash, 100_000);
    assert_eq!((cur.cash_in, cur.cash_out), (20_000, 30_000));
    assert_eq!(cur.movements.len(), 2);
    let cash = |ts: &[sync_proto::op::Tender]| {
        ts.iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| t.amount)
            .sum::<i64>()
    };
    assert_eq!(cash(&cur.sales_by_tender), 49_000);
    assert_eq!(cash(&cur.refunds_by_tender), 39_000);
    assert_eq!(cur.first_receipt.as_deref(), Some(s1.sale.receipt.as_str()));
    assert_eq!(cur.last_receipt.as_deref(), Some(r.record.receipt.as_str()));

    let z = till.close_shift("mia", 99_500).expect("close");
    assert_eq!(z.over_short, -500);
    assert_eq!(z.summary.shift.closed_by.as_deref(), Some("mia"));
    assert!(z.text.contains("Z REPORT"), "{}", z.text);
    assert!(z.text.contains("SHORT"), "{}", z.text);
    assert!(z.text.contains("100,000 KRW"), "{}", z.text);
    assert!(till.current_shift().expect("current").is_none());
    // Reprint is the same report.
    let again = till.z_report(&shift.id).expect("reprint");
    assert_eq!(again, z);
    assert!(matches!(
        till.z_report(&Uuid::now_v7()),
        Err(TillError::UnknownShift(_))
    ));
    // The sale before the shift is in no shift; a new shift starts empty.
    let outside: Option<String> = till
        .connection()
        .query_row(
            "SELECT shift_id FROM sales WHERE id = ?1",
            [before.sale.id.to_string()],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(outside, None);
    let next = till.open_shift("kim", 0).expect("next shift");
    assert_eq!(
        till.current_shift().expect("c").expect("open").sales_count,
        0
    );
    assert_eq!(till.shifts(10).expect("list")[0].id, next.id);
    assert_eq!(till.shifts(10).expect("list").len(), 2);
}

/// A till database at schema 3 (as shipped before the POS app) with a sale,
/// opened by this version: upgraded to 4 in place, the sale kept, selling works.
#[test]
fn an_existing_schema_3_till_upgrades() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut conn = Connection::open(dir.path().join(db::DB_FILE)).expect("open");
        let tx = conn.transaction().expect("tx");
        for sql in &db::MIGRATIONS[..3] {
            tx.execute_batch(sql).expect("old schema");
        }
        tx.pragma_update(None, "user_version", 3).expect("version");
        tx.commit().expect("commit");
    }
    // Enrol and sell with the schema-3 shape: write the rows as the old version would.
    {
        let conn = Connection::open(dir.path().join(db::DB_FILE)).expect("open");
        for (k, v) in [
            ("actor", ActorId::new_random().to_string()),
            ("store", "GN01".into()),
            ("store_name", "Gangnam".into()),
            ("till_no", "1".into()),
            ("currency", "KRW".into()),
            ("acked_seq", "0".into()),
            ("next_receipt_seq", "2".into()),
        ] {
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .expect("meta");
        }
        conn.execute(
            "INSERT INTO sales(id, receipt, store, till, cashier, total, change_given, currency, sold_at_ms, local)
             VALUES ('0190f0f0-0000-7000-8000-000000000001', 'GN01-01-000001', 'GN01', 'x', NULL, 5000, 0, 'KRW', 1, 1)",
            [],
        )
        .expect("old sale");
    }
    let mut till = Till::open(dir.path()).expect("upgrade");
    let v: i64 = count(till.connection(), "PRAGMA user_version");
    assert_eq!(
        v,
        db::MIGRATIONS.len() as i64,
        "upgraded through 4 to the latest"
    );
    assert_eq!(
        count(
            till.connection(),
            "SELECT COUNT(*) FROM sales WHERE shift_id IS NULL"
        ),
        1
    );
    till.seed_catalog(&[product("SCK-0003-WHT-F", "Socks", 5_000)])
        .expect("seed");
    till.open_shift("kim", 0)
        .expect("shift on the upgraded till");
    let sold = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("SCK-0003-WHT-F", 1)],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(sold.sale.receipt.as_str(), "GN01-01-000002");
    assert_eq!(
        till.current_shift().expect("c").expect("open").sales_count,
        1
    );
    // Opening again is a no-op.
    drop(till);
    let till = Till::open(dir.path()).expect("reopen");
    assert_eq!(
        count(till.connection(), "PRAGMA user_version"),
        db::MIGRATIONS.len() as i64
    );
}

// ---------------------------------------------------------------- views

#[test]
fn return_preview_outbox_and_receipt_files() {
    let (dir, mut till) = till();
    let sold = till
        .sell(&SaleRequest {
            items: vec![
                SaleItem::new("TSH-0001-BLK-M", 3),
                SaleItem::new("SCK-0003-WHT-F", 1),
            ],
            cart_discount: Some(Discount::Amount(1_000)),
            tenders: vec![
                TenderRequest::of(TenderKind::Card, 50_000),
                TenderRequest::rest(TenderKind::Cash),
            ],
            ..SaleRequest::default()
        })
        .expect("sell");
    let receipt = sold.sale.receipt.to_string();
    let p = till.return_preview(&receipt).expect("preview");
    assert_eq!(p.lines.len(), 2);
    let tee = &p.lines[0];
    assert_eq!((tee.sold, tee.returned, tee.left), (3, 0, 3));
    let paid = sold.sale.lines[0].line_total;
    assert_eq!(tee.unit_refund, paid / 3);
    assert_eq!(p.refund_to, vec![TenderKind::Cash, TenderKind::Card]);

    let ret = till
        .return_sale(&ReturnRequest {
            receipt: receipt.clone(),
            items: vec![SaleItem::new("TSH-0001-BLK-M", 2)],
        })
        .expect("return");
    let p = till.return_preview(&receipt).expect("preview");
    assert_eq!((p.lines[0].returned, p.lines[0].left), (2, 1));
    assert_eq!(
        p.lines[0].unit_refund,
        paid - ret.record.lines[0].refund,
        "the last unit refunds what is left of the line"
    );
    let err = till
        .return_preview(ret.record.receipt.as_str())
        .expect_err("a return receipt");
    assert!(matches!(err, TillError::NotASale(_)), "{err}");
    assert!(err.to_string().contains("is a return"), "{err}");
    assert!(matches!(
        till.return_preview("GN01-01-009999"),
        Err(TillError::ReceiptNotFound(_))
    ));

    // Outbox: sale + 2 stock moves + return + 1 stock move, nothing acked.
    let pending = till.outbox_pending(100).expect("pending");
    let kinds: Vec<&str> = pending.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["sale", "stock_move", "stock_move", "return", "stock_move"]
    );
    assert_eq!(
        pending.iter().map(|p| p.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(
        pending[0].summary.contains(&receipt),
        "{}",
        pending[0].summary
    );
    assert!(pending.iter().all(|p| p.bytes > 0));
    db::set_meta(till.connection(), db::keys::ACKED_SEQ, "3").expect("ack");
    assert_eq!(till.outbox_pending(100).expect("pending").len(), 2);
    assert_eq!(till.outbox_pending(1).expect("pending").len(), 1);

    // Receipt text and an atomic text file; PDF is refused clearly.
    let text = till.receipt_text(&receipt).expect("text");
    assert!(text.contains(&receipt) && text.contains("TOTAL"), "{text}");
    let path = dir.path().join("receipt.txt");
    std::fs::write(&path, "old").expect("old file");
    till.save_receipt(&receipt, &path, ReceiptFormat::Text)
        .expect("save");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
    let leftovers = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .map(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(leftovers, 0);
    let err = till
        .save_receipt(&receipt, &dir.path().join("r.pdf"), ReceiptFormat::Pdf)
        .expect_err("pdf");
    assert!(err.to_string().contains("PDF"), "{err}");
    assert!(
        till.save_receipt(
            &receipt,
            &dir.path().join("no-such-dir/r.txt"),
            ReceiptFormat::Text
        )
        .is_err()
    );
}

// ---------------------------------------------------------------- TS types

/// The app gets plain numbers and strings: no `bigint` anywhere in the
/// TypeScript of the types it shows, and the field names the contract fixes.
#[test]
fn typescript_shapes_use_numbers_and_contract_names() {
    use ts_rs::TS;
    let decls = [
        crate::SaleRequest::decl(),
        crate::SaleItem::decl(),
        crate::TenderRequest::decl(),
        crate::SaleReceipt::decl(),
        crate::ReturnRequest::decl(),
        crate::StoredReceipt::decl(),
        crate::StockLevel::decl(),
        crate::TillStatus::decl(),
        crate::ProductInfo::decl(),
        crate::CatalogItem::decl(),
        crate::Staff::decl(),
        crate::Member::decl(),
        crate::CashierMessage::decl(),
        crate::ChannelUnread::decl(),
        crate::PriceQuote::decl(),
        crate::SaleQuote::decl(),
        crate::QuotedLine::decl(),
        crate::Discount::decl(),
        crate::Settlement::decl(),
        crate::ProductHit::decl(),
        crate::VariantGrid::decl(),
        crate::CategoryCount::decl(),
        crate::Shift::decl(),
        crate::CashMovement::decl(),
        crate::ShiftSummary::decl(),
        crate::ZReport::decl(),
        crate::ReturnPreview::decl(),
        crate::ReturnableLine::decl(),
        crate::PendingOp::decl(),
        crate::ElsewhereStock::decl(),
        crate::StoreStock::decl(),
        crate::LinkState::decl(),
        crate::LimitedStatus::decl(),
        crate::LimitHoldView::decl(),
        crate::CouponQuote::decl(),
        sync_proto::op::SaleRecord::decl(),
        sync_proto::op::ReturnRecord::decl(),
        sync_proto::op::SaleLine::decl(),
    ];
    for d in &decls {
        assert!(!d.contains("bigint"), "{d}");
    }
    let all = decls.join("\n");
    for needle in [
        "cart_discount: Discount | null",
        "approver_pin: string | null",
        "hold?: string | null",
        "coupon_code?: string | null",
        "coupon: CouponQuote | null",
        "limited: Array<LimitedStatus>",
        "available: number",
        "expires_at_ms: number",
        "needs_approval: boolean",
        "change_due: number",
        "remaining: number",
        "expected_cash: number",
        "over_short: number",
        "unit_refund: number",
        "refund_to: Array<TenderKind>",
        "as_of_ms: number | null",
        "unsent_ops: number",
        "stock: number",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    let d = crate::Discount::decl();
    assert!(d.contains(r#""kind": "amount", "value": number"#), "{d}");
    let r = sync_proto::op::SaleRecord::decl();
    assert!(
        r.contains("receipt: ReceiptNo") && r.contains("id: string"),
        "{r}"
    );
    // Id newtypes are string aliases (exported with their dependents).
    for d in [
        sync_proto::ReceiptNo::decl(),
        sync_proto::Sku::decl(),
        sync_proto::LocationId::decl(),
        sync_proto::ActorId::decl(),
    ] {
        assert!(d.ends_with("= string;"), "{d}");
    }
}
