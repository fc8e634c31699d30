//! Tests of what head office reaches at the till (issue 4): remote commands
//! and the lock, staff PINs, members, price rules and snapshot records —
//! against a real SQLite file, and every op the till writes passes the hub's
//! `check_till_op`.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::Connection;
use sync_proto::op::OpBody;
use sync_proto::people::{MemberField, MemberFieldKind, MemberSet, StaffRecord, StaffRole};
use sync_proto::pricing::PriceRule;
use sync_proto::validate::check_till_op;
use sync_proto::wire::{Command, CommandKind, SnapshotChunk};
use sync_proto::{ActorId, Hlc, Op, Scope};
use tempfile::TempDir;
use uuid::Uuid;

use crate::commands::{self, Received};
use crate::db;
use crate::{
    CatalogItem, MemberSignUp, ReturnRequest, SaleItem, SaleRequest, StoredReceipt, Till, TillError,
};

const HUB: ActorId = ActorId(Uuid::from_bytes([9; 16]));

fn till() -> (TempDir, Till) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = Till::open_offline(dir.path(), "GN01", 2).expect("open");
    till.seed_catalog(&[
        CatalogItem {
            sku: "TSH-0001-BLK-M".into(),
            name: "Tee".into(),
            price: Some(39_000),
            active: true,
            ..CatalogItem::default()
        },
        CatalogItem {
            sku: "SCK-0003-WHT-F".into(),
            name: "Socks".into(),
            price: Some(5_000),
            active: true,
            ..CatalogItem::default()
        },
    ])
    .expect("seed");
    (dir, till)
}

fn one(code: &str) -> SaleRequest {
    SaleRequest {
        items: vec![SaleItem::new(code, 1)],
        ..SaleRequest::default()
    }
}

fn cmd(kind: CommandKind) -> Command {
    Command {
        id: Uuid::now_v7(),
        kind,
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// An op of the hub's actor at wall time `wall` (ms).
fn hub_op(seq: u64, wall: u64, scope: Scope, body: OpBody) -> Op {
    Op {
        actor: HUB,
        seq,
        hlc: Hlc {
            wall_ms: wall,
            counter: 0,
            actor: HUB,
        },
        scope,
        body,
    }
}

/// A PHC argon2id hash with small parameters (fast in debug tests); the
/// verifier reads the parameters from the string, like the hub's hashes.
fn pin_hash(pin: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

fn staff(n: u128, username: &str, store: &str, pin: Option<&str>, active: bool) -> StaffRecord {
    StaffRecord {
        id: Uuid::from_u128(n),
        username: username.into(),
        display_name: format!("{username} (display)"),
        role: StaffRole::Cashier,
        store: store.parse().expect("store"),
        pin_hash: pin.map(pin_hash),
        active,
    }
}

fn rule(n: u128, sku: &str, price: i64, from: u64, to: Option<u64>, label: &str) -> PriceRule {
    PriceRule {
        id: Uuid::from_u128(n),
        sku: sku.parse().expect("sku"),
        price,
        valid_from_ms: from,
        valid_to_ms: to,
        label: label.into(),
        cancelled: false,
    }
}

// ---------------------------------------------------------------- commands

#[test]
fn a_locked_till_refuses_sales_and_returns_even_after_reopening() {
    let (dir, mut till) = till();
    let sold = till.sell(&one("TSH-0001-BLK-M")).expect("sell before lock");
    let ops_before = count(till.connection(), "SELECT COUNT(*) FROM ops");
    assert_eq!(
        till.receive_command(&cmd(CommandKind::Lock)).expect("lock"),
        Received::New(CommandKind::Lock)
    );
    let err = till.sell(&one("TSH-0001-BLK-M")).expect_err("locked");
    assert!(matches!(err, TillError::Locked));
    assert_eq!(
        err.to_string(),
        "this till is locked by head office; ask HQ to unlock it"
    );
    assert_eq!(err.exit_code(), 1);
    let err = till
        .return_sale(&ReturnRequest {
            receipt: sold.sale.receipt.to_string(),
            items: vec![],
        })
        .expect_err("locked");
    assert!(matches!(err, TillError::Locked));
    assert_eq!(
        count(till.connection(), "SELECT COUNT(*) FROM ops"),
        ops_before,
        "nothing written"
    );

    // Another handle (another process in real life) and a restart see the lock.
    drop(till);
    let mut till = Till::open(dir.path()).expect("reopen");
    assert!(till.is_locked().expect("locked"));
    assert!(till.status().expect("status").locked);
    assert!(matches!(
        till.sell(&one("TSH-0001-BLK-M")),
        Err(TillError::Locked)
    ));

    till.receive_command(&cmd(CommandKind::Unlock))
        .expect("unlock");
    assert!(!till.status().expect("status").locked);
    till.sell(&one("TSH-0001-BLK-M")).expect("sells again");
}

#[test]
fn commands_are_carried_out_once_and_acks_are_kept_until_reported() {
    let (_dir, mut till) = till();
    let lock = cmd(CommandKind::Lock);
    let unlock = cmd(CommandKind::Unlock);
    let msg = cmd(CommandKind::ShowMessage("Close early today".into()));
    for c in [&lock, &unlock, &msg] {
        assert!(matches!(
            till.receive_command(c).expect("receive"),
            Received::New(_)
        ));
    }
    assert!(!till.is_locked().expect("locked"), "Lock then Unlock");
    let pending = commands::to_report(till.connection()).expect("pending");
    assert_eq!(pending, vec![lock.id, unlock.id, msg.id]);

    // Reported in a Status: nothing pending any more.
    let mut conn = db::open(till.data_dir()).expect("conn");
    commands::mark_reported(&mut conn, &pending).expect("reported");
    assert!(commands::to_report(&conn).expect("pending").is_empty());

    // The hub re-sends the Lock (it never saw the ack): acked again, not re-done.
    assert_eq!(
        till.receive_command(&lock).expect("again"),
        Received::Duplicate
    );
    assert!(
        !till.is_locked().expect("locked"),
        "old Lock not carried out again"
    );
    assert_eq!(commands::to_report(&conn).expect("pending"), vec![lock.id]);
    assert_eq!(
        till.receive_command(&msg).expect("again"),
        Received::Duplicate
    );
    let messages = till.messages(false).expect("messages");
    assert_eq!(messages.len(), 1, "a message is stored once");
    assert_eq!(messages[0].text, "Close early today");
    assert!(commands::done_at(&conn, &msg.id).expect("done").is_some());

    // The cashier reads it.
    assert_eq!(till.status().expect("status").unread_messages.len(), 1);
    assert!(till.mark_message_read(&msg.id).expect("read"));
    assert!(!till.mark_message_read(&msg.id).expect("read twice"));
    assert!(till.status().expect("status").unread_messages.is_empty());
    assert_eq!(till.messages(true).expect("unread").len(), 0);
    till.receive_command(&cmd(CommandKind::ShowMessage("a".into())))
        .expect("msg");
    till.receive_command(&cmd(CommandKind::ShowMessage("b".into())))
        .expect("msg");
    assert_eq!(till.mark_all_messages_read().expect("all"), 2);
}

// ---------------------------------------------------------------- staff

#[test]
fn pin_unlock_finds_the_active_person_and_refuses_wrong_or_inactive_pins() {
    let (_dir, mut till) = till();
    assert!(matches!(till.unlock("1234"), Err(TillError::NoStaff)));
    till.apply_downstream(
        &[
            hub_op(
                1,
                1_000,
                Scope::Store("GN01".parse().expect("store")),
                OpBody::StaffSet(staff(1, "kim", "GN01", Some("1234"), true)),
            ),
            hub_op(
                2,
                1_000,
                Scope::Store("GN01".parse().expect("store")),
                OpBody::StaffSet(staff(2, "lee", "GN01", Some("5678"), false)),
            ),
            // Another store's cashier never unlocks this till.
            hub_op(
                3,
                1_000,
                Scope::Store("GN02".parse().expect("store")),
                OpBody::StaffSet(staff(3, "park", "GN02", Some("9999"), true)),
            ),
        ],
        3,
    )
    .expect("apply");
    let kim = till.unlock("1234").expect("kim's PIN");
    assert_eq!(kim.username, "kim");
    assert_eq!(kim.role, StaffRole::Cashier);
    assert!(matches!(till.unlock("1235"), Err(TillError::WrongPin)));
    assert!(matches!(till.unlock("9999"), Err(TillError::WrongPin)));
    match till.unlock("5678") {
        Err(e @ TillError::StaffInactive(_)) => {
            assert!(e.to_string().contains("no longer active"), "{e}")
        }
        other => panic!("inactive PIN: {other:?}"),
    }
    for bad in ["12", "123456789", "12a4", ""] {
        assert!(
            matches!(till.unlock(bad), Err(TillError::InvalidInput(_))),
            "{bad:?}"
        );
    }

    // LWW per staff id: a newer record deactivates kim, an older one changes nothing.
    till.apply_downstream(
        &[
            hub_op(
                4,
                2_000,
                Scope::Store("GN01".parse().expect("store")),
                OpBody::StaffSet(staff(1, "kim", "GN01", Some("1234"), false)),
            ),
            hub_op(
                5,
                1_500,
                Scope::Store("GN01".parse().expect("store")),
                OpBody::StaffSet(staff(1, "kim", "GN01", Some("1234"), true)),
            ),
        ],
        5,
    )
    .expect("apply");
    assert!(matches!(
        till.unlock("1234"),
        Err(TillError::StaffInactive(_))
    ));

    // The unlocked person is the sale's cashier.
    till.apply_downstream(
        &[hub_op(
            6,
            3_000,
            Scope::Store("GN01".parse().expect("store")),
            OpBody::StaffSet(staff(1, "kim", "GN01", Some("4321"), true)),
        )],
        6,
    )
    .expect("apply");
    let kim = till.unlock("4321").expect("new PIN");
    let sold = till
        .sell(&SaleRequest {
            cashier: Some(kim.username),
            ..one("TSH-0001-BLK-M")
        })
        .expect("sell");
    assert_eq!(sold.sale.cashier.as_deref(), Some("kim"));
}

// ---------------------------------------------------------------- members

#[test]
fn member_sign_up_works_offline_updates_by_phone_and_attaches_to_sales() {
    let (_dir, mut till) = till();
    let enrolment = till.enrolment().expect("e").expect("enrolled");
    let first_seq = db::last_seq(till.connection(), enrolment.actor).expect("seq");
    let out = till
        .sign_up_member(&MemberSignUp {
            phone: "010-1234-5678".into(),
            name: "  Choi Yuna ".into(),
            birth_year: Some(1994),
            marketing_consent: true,
        })
        .expect("sign up offline (no hub)");
    assert!(out.created);
    let id = sync_proto::people::member_id_for_phone("01012345678").expect("id");
    assert_eq!(out.member.id, id);
    assert_eq!(out.member.name.as_deref(), Some("Choi Yuna"));
    assert_eq!(out.member.phone.as_deref(), Some("01012345678"));
    assert_eq!(out.member.birth_year, Some(1994));
    assert_eq!(out.member.home_store.as_deref(), Some("GN01"));
    assert_eq!(out.member.marketing_consent, Some(true));
    assert!(out.member.signed_up_at_ms.is_some());
    assert_eq!(out.ops.len(), 6);
    for (i, op) in out.ops.iter().enumerate() {
        assert_eq!(op.seq, first_seq + 1 + i as u64, "gapless");
        assert_eq!(op.scope, Scope::Broadcast);
        check_till_op(op, enrolment.actor, &enrolment.store)
            .unwrap_or_else(|e| panic!("hub refuses {op:?}: {e}"));
    }
    assert_eq!(
        till.outbox(first_seq + 1, 100).expect("outbox"),
        out.ops,
        "in the outbox"
    );

    // Same person typed differently: an update, not a new member.
    let again = till
        .sign_up_member(&MemberSignUp {
            phone: "010 1234 5678".into(),
            name: "Choi Yu-na".into(),
            birth_year: None,
            marketing_consent: false,
        })
        .expect("update");
    assert!(!again.created);
    assert_eq!(again.ops.len(), 3, "phone, name, consent");
    let m = till
        .find_member("01012345678")
        .expect("find")
        .expect("known");
    assert_eq!(m.name.as_deref(), Some("Choi Yu-na"));
    assert_eq!(m.birth_year, Some(1994), "kept when not given");
    assert_eq!(m.marketing_consent, Some(false));
    assert!(till.find_member("010-0000-0000").expect("find").is_none());
    assert!(matches!(
        till.find_member("not a phone"),
        Err(TillError::InvalidInput(_))
    ));
    assert!(matches!(
        till.sign_up_member(&MemberSignUp {
            phone: "010-1234-5678".into(),
            name: "   ".into(),
            ..MemberSignUp::default()
        }),
        Err(TillError::InvalidInput(_))
    ));
    assert!(matches!(
        till.sign_up_member(&MemberSignUp {
            phone: "010-1234-5678".into(),
            name: "X".into(),
            birth_year: Some(1800),
            ..MemberSignUp::default()
        }),
        Err(TillError::InvalidInput(_))
    ));

    // Attached to a sale: the record, the till's row and the receipt lookup.
    let sold = till
        .sell(&SaleRequest {
            member_phone: Some("010-1234-5678".into()),
            sold_at_ms: None,
            ..one("SCK-0003-WHT-F")
        })
        .expect("member sale");
    assert_eq!(sold.sale.member, Some(id));
    check_till_op(&sold.ops[0], enrolment.actor, &enrolment.store).expect("hub accepts");
    let stored: Option<String> = till
        .connection()
        .query_row(
            "SELECT member FROM sales WHERE id = ?1",
            [sold.sale.id.to_string()],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(stored, Some(id.to_string()));
    match till.receipt(sold.sale.receipt.as_str()).expect("receipt") {
        StoredReceipt::Sale { sale, .. } => assert_eq!(sale.member, Some(id)),
        other => panic!("{other:?}"),
    }
    let err = till
        .sell(&SaleRequest {
            member_phone: Some("010-9999-9999".into()),
            sold_at_ms: None,
            ..one("SCK-0003-WHT-F")
        })
        .expect_err("unknown member");
    assert!(matches!(err, TillError::UnknownMember(_)));
    assert!(err.to_string().contains("pos-agent member add"), "{err}");
}

#[test]
fn member_fields_are_last_writer_wins_by_hlc() {
    let (_dir, mut till) = till();
    let id = sync_proto::people::member_id_for_phone("010-2222-3333").expect("id");
    let name = |seq, wall, n: &str| {
        hub_op(
            seq,
            wall,
            Scope::Broadcast,
            OpBody::MemberSet(MemberSet {
                member: id,
                field: MemberField::Name(n.into()),
            }),
        )
    };
    let newer = name(2, 2_000, "Newer");
    let older = name(1, 1_000, "Older");
    // In either order, twice: the newer HLC wins.
    till.apply_downstream(&[newer.clone(), older.clone()], 2)
        .expect("apply");
    till.apply_downstream(&[older, newer], 2).expect("apply");
    let m = till
        .find_member("01022223333")
        .expect("find")
        .expect("known");
    assert_eq!(m.name.as_deref(), Some("Newer"));
    assert!(m.phone.is_none(), "only the fields received so far");
    assert_eq!(
        crate::people::member_field_hlc(till.connection(), &id, MemberFieldKind::Name)
            .expect("hlc")
            .map(|h| h.wall_ms),
        Some(2_000)
    );

    // A sign-up here now stamps a newer HLC than anything observed: it wins locally.
    till.sign_up_member(&MemberSignUp {
        phone: "010-2222-3333".into(),
        name: "At the till".into(),
        ..MemberSignUp::default()
    })
    .expect("sign up");
    let m = till
        .find_member("01022223333")
        .expect("find")
        .expect("known");
    assert_eq!(m.name.as_deref(), Some("At the till"));
}

// ---------------------------------------------------------------- prices

#[test]
fn price_rules_apply_inside_their_window_and_not_when_expired_or_cancelled() {
    let (_dir, mut till) = till();
    let now = db::now_ms();
    let hour = 3_600_000;
    let deal = rule(
        1,
        "TSH-0001-BLK-M",
        29_000,
        now - hour,
        Some(now + hour),
        "Winter sale",
    );
    let expired = rule(
        2,
        "SCK-0003-WHT-F",
        1_000,
        now - 2 * hour,
        Some(now - hour),
        "Old deal",
    );
    let future = rule(3, "SCK-0003-WHT-F", 2_000, now + hour, None, "Next week");
    till.apply_downstream(
        &[
            hub_op(1, 1_000, Scope::Catalog, OpBody::PriceRule(deal.clone())),
            hub_op(2, 1_000, Scope::Catalog, OpBody::PriceRule(expired)),
            hub_op(3, 1_000, Scope::Catalog, OpBody::PriceRule(future)),
        ],
        3,
    )
    .expect("apply");

    let sold = till
        .sell(&SaleRequest {
            items: vec![
                SaleItem::new("TSH-0001-BLK-M", 1),
                SaleItem::new("SCK-0003-WHT-F", 2),
                SaleItem::new("TSH-0001-BLK-M", 1),
            ],
            ..SaleRequest::default()
        })
        .expect("sell");
    assert_eq!(sold.sale.lines[0].unit_price, 29_000);
    assert_eq!(sold.sale.lines[0].qty, 2);
    assert_eq!(
        sold.sale.lines[1].unit_price, 5_000,
        "expired and future rules do not apply"
    );
    assert_eq!(sold.sale.total, 2 * 29_000 + 2 * 5_000);
    assert_eq!(
        sold.price_labels,
        vec![Some("Winter sale".to_owned()), None]
    );
    let enrolment = till.enrolment().expect("e").expect("enrolled");
    check_till_op(&sold.ops[0], enrolment.actor, &enrolment.store).expect("hub accepts");

    // The receipt shows the label next to the line.
    match till.receipt(sold.sale.receipt.as_str()).expect("receipt") {
        StoredReceipt::Sale {
            sale,
            returns,
            price_labels,
        } => {
            assert_eq!(price_labels, sold.price_labels);
            let text =
                crate::receipt::render_sale_labelled(&sale, &returns, "Gangnam", &price_labels);
            let line = text
                .lines()
                .find(|l| l.contains("29,000 KRW"))
                .expect("deal line");
            assert!(line.contains("[Winter sale]"), "{text}");
        }
        other => panic!("{other:?}"),
    }

    // Stock and product lookups show the price now.
    let level = &till.stock(Some("TSH-0001-BLK-M")).expect("stock")[0];
    assert_eq!(level.current_price, Some(29_000));
    assert_eq!(level.price_label.as_deref(), Some("Winter sale"));
    let p = till
        .product("SCK-0003-WHT-F")
        .expect("product")
        .expect("known");
    assert_eq!((p.current_price, p.price_label), (Some(5_000), None));
    assert_eq!(
        till.price_at("SCK-0003-WHT-F", now + 2 * hour)
            .expect("price")
            .map(|q| q.price),
        Some(2_000),
        "the scheduled price starts on time"
    );

    // HQ cancels the deal (a newer write of the same rule); an older write
    // arriving late does not bring it back.
    let mut cancelled = deal.clone();
    cancelled.cancelled = true;
    till.apply_downstream(
        &[
            hub_op(4, 3_000, Scope::Catalog, OpBody::PriceRule(cancelled)),
            hub_op(5, 2_000, Scope::Catalog, OpBody::PriceRule(deal)),
        ],
        5,
    )
    .expect("apply");
    let sold = till.sell(&one("TSH-0001-BLK-M")).expect("sell");
    assert_eq!(sold.sale.lines[0].unit_price, 39_000);
    assert_eq!(sold.price_labels, vec![None]);
}

#[test]
fn a_sale_from_the_paper_book_keeps_its_time_and_the_price_of_that_time() {
    let (_dir, mut till) = till();
    let now = db::now_ms();
    let hour = 3_600_000;
    // A deal that ran yesterday morning and has ended.
    let yesterday_deal = rule(
        7,
        "TSH-0001-BLK-M",
        25_000,
        now - 30 * hour,
        Some(now - 20 * hour),
        "Morning deal",
    );
    till.apply_downstream(
        &[hub_op(
            1,
            1_000,
            Scope::Catalog,
            OpBody::PriceRule(yesterday_deal),
        )],
        1,
    )
    .expect("apply");
    let written_at = now - 25 * hour;
    let sold = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("TSH-0001-BLK-M", 1)],
            sold_at_ms: Some(written_at),
            ..SaleRequest::default()
        })
        .expect("late entry");
    assert_eq!(sold.sale.sold_at_ms, written_at);
    assert_eq!(
        sold.sale.lines[0].unit_price, 25_000,
        "priced as at that time"
    );
    let now_sale = till
        .sell(&SaleRequest {
            items: vec![SaleItem::new("TSH-0001-BLK-M", 1)],
            ..SaleRequest::default()
        })
        .expect("sell now");
    assert_eq!(
        now_sale.sale.lines[0].unit_price, 39_000,
        "the deal is over"
    );

    for bad in [now + hour, now - 32 * 24 * hour] {
        let err = till
            .sell(&SaleRequest {
                items: vec![SaleItem::new("TSH-0001-BLK-M", 1)],
                sold_at_ms: Some(bad),
                ..SaleRequest::default()
            })
            .expect_err("out of range");
        assert!(
            matches!(err, TillError::SoldAtOutOfRange { .. }),
            "refused: {err}"
        );
    }
}

// ---------------------------------------------------------------- snapshot

#[test]
fn snapshot_records_are_applied_like_downstream_ops_and_idempotent() {
    let (_dir, mut till) = till();
    let member = sync_proto::people::member_id_for_phone("010-7777-8888").expect("id");
    let chunk = SnapshotChunk {
        at_cursor: 42,
        catalog: vec![],
        stock: vec![],
        records: vec![
            hub_op(
                1,
                1_000,
                Scope::Store("GN01".parse().expect("store")),
                OpBody::StaffSet(staff(1, "kim", "GN01", Some("2468"), true)),
            ),
            hub_op(
                2,
                1_000,
                Scope::Broadcast,
                OpBody::MemberSet(MemberSet {
                    member,
                    field: MemberField::Name("Jung".into()),
                }),
            ),
            hub_op(
                3,
                1_000,
                Scope::Catalog,
                OpBody::PriceRule(rule(9, "SCK-0003-WHT-F", 4_000, 0, None, "Season")),
            ),
        ],
        done: true,
    };
    let stats = till.apply_snapshot_chunk(&chunk).expect("apply");
    assert_eq!(stats.registers_changed, 3);
    assert_eq!(till.status().expect("status").cursor, 42);
    let again = till.apply_snapshot_chunk(&chunk).expect("again");
    assert_eq!(again.registers_changed, 0, "idempotent");
    assert_eq!(till.unlock("2468").expect("pin").username, "kim");
    assert_eq!(
        till.find_member("01077778888")
            .expect("find")
            .and_then(|m| m.name),
        Some("Jung".into())
    );
    assert_eq!(
        till.product("SCK-0003-WHT-F")
            .expect("product")
            .and_then(|p| p.current_price),
        Some(4_000)
    );
}

// ---------------------------------------------------------------- schema

#[test]
fn a_version_1_database_is_migrated_and_keeps_its_sales() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(db::DB_FILE);
    {
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(db::MIGRATIONS[0]).expect("v1");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
        conn.execute(
            "INSERT INTO sales(id, receipt, store, till, cashier, total, change_given, currency, sold_at_ms, local)
             VALUES ('0190a0a0-0000-7000-8000-000000000001', 'GN01-01-000001', 'GN01',
                     '0190a0a0-0000-7000-8000-000000000002', NULL, 1000, 0, 'KRW', 1, 1)",
            [],
        )
        .expect("sale");
    }
    let conn = db::open(dir.path()).expect("migrate");
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, db::MIGRATIONS.len() as i64);
    let sale = crate::records::load_sale(&conn, "0190a0a0-0000-7000-8000-000000000001")
        .expect("load")
        .expect("kept");
    assert_eq!((sale.total, sale.member), (1_000, None));
    assert!(!commands::is_locked(&conn).expect("locked"));
}

#[test]
fn member_sign_ups_are_reissued_under_the_new_actor_after_re_enrolment() {
    let (_dir, mut till) = till();
    let out = till
        .sign_up_member(&MemberSignUp {
            phone: "010-4444-5555".into(),
            name: "Han".into(),
            ..MemberSignUp::default()
        })
        .expect("sign up");
    let new_actor = till
        .enrol_offline(&crate::OfflineEnrolment {
            actor: None,
            store: "GN01".parse().expect("store"),
            store_name: "Gangnam".into(),
            till_no: 5,
            currency: "KRW".into(),
            hub_url: String::new(),
            credential: String::new(),
        })
        .expect("re-enrol");
    let bodies: Vec<OpBody> = out.ops.iter().map(|o| o.body.clone()).collect();
    {
        let tx = till.connection().unchecked_transaction().expect("tx");
        crate::enrol::reissue(&tx, bodies.clone()).expect("reissue");
        tx.commit().expect("commit");
    }
    let ops = till.outbox(1, 100).expect("outbox");
    assert_eq!(
        ops.iter().map(|o| o.body.clone()).collect::<Vec<_>>(),
        bodies
    );
    for op in &ops {
        assert_eq!(op.scope, Scope::Broadcast);
        check_till_op(op, new_actor, &"GN01".parse().expect("store")).expect("hub accepts");
    }
}
