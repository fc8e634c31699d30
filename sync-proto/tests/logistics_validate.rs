//! What the hub refuses when a till pushes replenishment and delivery ops
//! (`validate::check_till_op`, issue 5): orders only for its own store, placed by the store, with
//! 1 to 500 lines of 1 to 100,000 units and each SKU once; status updates only about its own
//! store and only cancel/receive an order or mark its stop arrived/received, never with
//! quantities; receiving records of its own store with damaged ≤ received and something
//! counted on every line; never a delivery; stock moves at its own in-transit location only to
//! take a delivery out (receipt, negative) or bring one in (transfer in, positive), and never
//! at another store's.

use proptest::prelude::*;
use sync_proto::logistics::{
    Delivery, Lifecycle, MAX_ORDER_LINES, MAX_ORDER_QTY, MAX_TRANSIT_STORE_CODE, OrderLine,
    OrderOrigin, ReceivedLine, ReceivingRecord, ReplenishmentOrder, StatusUpdate, Subject,
};
use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::validate::{MAX_TEXT, OpRejection, check_order, check_till_op};
use sync_proto::{ActorId, Hlc, LocationId, Op, Scope, Sku, StoreId};
use uuid::Uuid;

const TILL: ActorId = ActorId(Uuid::from_bytes([3; 16]));
const OTHER_TILL: ActorId = ActorId(Uuid::from_bytes([4; 16]));

const ALL_STATES: [Lifecycle; 7] = [
    Lifecycle::Requested,
    Lifecycle::Approved,
    Lifecycle::Picked,
    Lifecycle::Dispatched,
    Lifecycle::Arrived,
    Lifecycle::Received,
    Lifecycle::Cancelled,
];

const ALL_REASONS: [StockReason; 7] = [
    StockReason::Sale,
    StockReason::Return,
    StockReason::Receipt,
    StockReason::Adjustment,
    StockReason::TransferOut,
    StockReason::TransferIn,
    StockReason::Stocktake,
];

fn store(code: &str) -> StoreId {
    code.parse().expect("store code")
}

fn gn() -> StoreId {
    store("GN01")
}

fn hd() -> StoreId {
    store("HD02")
}

fn sku(n: usize) -> Sku {
    format!("TSH-{n:04}-BLK-M").parse().expect("sku")
}

fn op_in(scope: Scope, body: OpBody) -> Op {
    Op {
        actor: TILL,
        seq: 7,
        hlc: Hlc {
            wall_ms: 1_000,
            counter: 0,
            actor: TILL,
        },
        scope,
        body,
    }
}

fn own(body: OpBody) -> Op {
    op_in(Scope::Store(gn()), body)
}

fn check(op: &Op) -> Result<(), OpRejection> {
    check_till_op(op, TILL, &gn())
}

fn invalid(r: Result<(), OpRejection>) -> bool {
    matches!(r, Err(OpRejection::Invalid { .. }))
}

fn wrong_store(r: Result<(), OpRejection>, what: &str) -> bool {
    matches!(r, Err(OpRejection::WrongStore { what: w, .. }) if w == what)
}

fn lines(n: usize, qty: u32) -> Vec<OrderLine> {
    (0..n).map(|i| OrderLine { sku: sku(i), qty }).collect()
}

fn order(lines: Vec<OrderLine>) -> ReplenishmentOrder {
    ReplenishmentOrder {
        id: Uuid::from_u128(1),
        store: gn(),
        lines,
        origin: OrderOrigin::Store,
        placed_by: "kim".into(),
        placed_ms: 1_000,
        note: Some("for the weekend promotion".into()),
    }
}

fn order_op(o: ReplenishmentOrder) -> Op {
    own(OpBody::ReplenishmentOrder(o))
}

// ---------------------------------------------------------------------------------------------
// Replenishment orders
// ---------------------------------------------------------------------------------------------

#[test]
fn a_till_places_orders_for_its_own_store_only() {
    assert_eq!(check(&order_op(order(lines(2, 5)))), Ok(()));
    let mut other = order(lines(2, 5));
    other.store = hd();
    assert!(wrong_store(check(&order_op(other.clone())), "order"));
    // In the other store's scope too: the scope is checked first.
    assert!(wrong_store(
        check(&op_in(
            Scope::Store(hd()),
            OpBody::ReplenishmentOrder(other)
        )),
        "scope"
    ));
    for scope in [Scope::Hq, Scope::Broadcast, Scope::Catalog] {
        assert!(wrong_store(
            check(&op_in(
                scope,
                OpBody::ReplenishmentOrder(order(lines(1, 1)))
            )),
            "scope"
        ));
    }
    // Another till's op pushed over this connection.
    let mut forged = order_op(order(lines(1, 1)));
    forged.actor = OTHER_TILL;
    forged.hlc.actor = OTHER_TILL;
    assert!(matches!(
        check(&forged),
        Err(OpRejection::ForgedActor { .. })
    ));
}

#[test]
fn a_till_places_orders_as_the_store_and_hq_proposals_come_from_the_hub() {
    let mut o = order(lines(1, 3));
    o.origin = OrderOrigin::HqProposal;
    assert!(invalid(check(&order_op(o.clone()))));
    // The hub's own check of an order it writes accepts the proposal.
    assert_eq!(check_order(1, &o, &gn()), Ok(()));
    assert!(matches!(
        check_order(1, &o, &hd()),
        Err(OpRejection::WrongStore { .. })
    ));
}

#[test]
fn order_lines_are_in_range_and_each_sku_once() {
    assert!(invalid(check(&order_op(order(vec![])))));
    assert_eq!(check(&order_op(order(lines(MAX_ORDER_LINES, 1)))), Ok(()));
    assert!(invalid(check(&order_op(order(lines(
        MAX_ORDER_LINES + 1,
        1
    ))))));
    assert!(invalid(check(&order_op(order(lines(1, 0))))));
    assert_eq!(check(&order_op(order(lines(1, MAX_ORDER_QTY)))), Ok(()));
    assert!(invalid(check(&order_op(order(lines(
        1,
        MAX_ORDER_QTY + 1
    ))))));
    let mut twice = lines(3, 2);
    twice.push(OrderLine {
        sku: sku(1),
        qty: 4,
    });
    assert!(invalid(check(&order_op(order(twice)))));
}

#[test]
fn order_texts_are_bounded() {
    let mut o = order(lines(1, 1));
    o.placed_by = "   ".into();
    assert!(invalid(check(&order_op(o.clone()))));
    o.placed_by = "k".repeat(MAX_TEXT + 1);
    assert!(invalid(check(&order_op(o.clone()))));
    o.placed_by = "k".repeat(MAX_TEXT);
    o.note = Some("n".repeat(MAX_TEXT));
    assert_eq!(check(&order_op(o.clone())), Ok(()));
    o.note = Some("n".repeat(MAX_TEXT + 1));
    assert!(invalid(check(&order_op(o.clone()))));
    o.note = None;
    assert_eq!(check(&order_op(o)), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// Status updates
// ---------------------------------------------------------------------------------------------

fn order_subject() -> Subject {
    Subject::Order {
        id: Uuid::from_u128(1),
    }
}

fn stop_of(store: StoreId) -> Subject {
    Subject::Stop {
        shipment: Uuid::from_u128(2),
        store,
    }
}

fn status(subject: Subject, status: Lifecycle) -> StatusUpdate {
    StatusUpdate {
        subject,
        store: gn(),
        status,
        at_ms: 1_000,
        by: "kim".into(),
        lines: None,
        note: None,
    }
}

fn status_op(u: StatusUpdate) -> Op {
    own(OpBody::StatusUpdate(u))
}

#[test]
fn a_till_cancels_or_receives_orders_and_marks_its_stop_arrived_or_received_nothing_else() {
    for s in ALL_STATES {
        let on_order = check(&status_op(status(order_subject(), s)));
        let order_ok = matches!(s, Lifecycle::Cancelled | Lifecycle::Received);
        assert_eq!(on_order.is_ok(), order_ok, "order → {s:?}: {on_order:?}");
        if !order_ok {
            assert!(invalid(on_order), "order → {s:?}");
        }
        let on_stop = check(&status_op(status(stop_of(gn()), s)));
        let stop_ok = matches!(s, Lifecycle::Arrived | Lifecycle::Received);
        assert_eq!(on_stop.is_ok(), stop_ok, "stop → {s:?}: {on_stop:?}");
        if !stop_ok {
            assert!(invalid(on_stop), "stop → {s:?}");
        }
    }
}

#[test]
fn a_till_updates_only_its_own_store() {
    let mut u = status(order_subject(), Lifecycle::Cancelled);
    u.store = hd();
    assert!(wrong_store(check(&status_op(u.clone())), "status"));
    assert!(wrong_store(
        check(&op_in(Scope::Store(hd()), OpBody::StatusUpdate(u))),
        "scope"
    ));
    // A stop of another store, even filed under the till's own store.
    let u = status(stop_of(hd()), Lifecycle::Arrived);
    assert!(wrong_store(check(&status_op(u)), "delivery stop"));
    let mut u = status(stop_of(hd()), Lifecycle::Received);
    u.store = hd();
    assert!(wrong_store(check(&status_op(u)), "status"));
}

#[test]
fn only_hq_approval_carries_quantities_and_texts_are_bounded() {
    let mut u = status(order_subject(), Lifecycle::Received);
    u.lines = Some(lines(1, 3));
    assert!(invalid(check(&status_op(u.clone()))));
    u.lines = Some(vec![]);
    assert!(invalid(check(&status_op(u.clone()))));
    u.lines = None;
    u.by = String::new();
    assert!(invalid(check(&status_op(u.clone()))));
    u.by = "b".repeat(MAX_TEXT + 1);
    assert!(invalid(check(&status_op(u.clone()))));
    u.by = "kim".into();
    u.note = Some("x".repeat(MAX_TEXT + 1));
    assert!(invalid(check(&status_op(u.clone()))));
    u.note = Some("box 3 wet".into());
    assert_eq!(check(&status_op(u)), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// Receiving records and deliveries
// ---------------------------------------------------------------------------------------------

fn line(n: usize, expected: u32, received: u32, damaged: u32) -> ReceivedLine {
    ReceivedLine {
        sku: sku(n),
        expected,
        received,
        damaged,
    }
}

fn receiving(lines: Vec<ReceivedLine>) -> ReceivingRecord {
    ReceivingRecord {
        id: Uuid::from_u128(3),
        shipment: Uuid::from_u128(2),
        store: gn(),
        lines,
        received_by: "kim".into(),
        received_ms: 2_000,
        note: None,
    }
}

fn receiving_op(r: ReceivingRecord) -> Op {
    own(OpBody::Receiving(r))
}

#[test]
fn a_receiving_records_shortages_damages_and_extras() {
    let r = receiving(vec![
        line(0, 10, 10, 0), // exact
        line(1, 10, 8, 1),  // short by 2, one damaged
        line(2, 0, 2, 0),   // extra
        line(3, 5, 0, 0),   // nothing came
        line(4, 3, 3, 3),   // all damaged
    ]);
    assert!(r.has_discrepancy());
    assert_eq!(check(&receiving_op(r)), Ok(()));
}

#[test]
fn a_receiving_refuses_impossible_counts() {
    assert!(invalid(check(&receiving_op(receiving(vec![line(
        0, 5, 3, 4
    )])))));
    assert!(invalid(check(&receiving_op(receiving(vec![line(
        0, 0, 0, 0
    )])))));
    assert!(invalid(check(&receiving_op(receiving(vec![line(
        0,
        MAX_ORDER_QTY + 1,
        1,
        0
    )])))));
    assert!(invalid(check(&receiving_op(receiving(vec![line(
        0,
        1,
        MAX_ORDER_QTY + 1,
        0
    )])))));
    assert_eq!(
        check(&receiving_op(receiving(vec![line(
            0,
            MAX_ORDER_QTY,
            MAX_ORDER_QTY,
            MAX_ORDER_QTY
        )]))),
        Ok(())
    );
    assert!(invalid(check(&receiving_op(receiving(vec![
        line(0, 1, 1, 0),
        line(0, 2, 2, 0)
    ])))));
    assert!(invalid(check(&receiving_op(receiving(vec![])))));
    let many: Vec<_> = (0..=MAX_ORDER_LINES).map(|i| line(i, 1, 1, 0)).collect();
    assert!(invalid(check(&receiving_op(receiving(many.clone())))));
    assert_eq!(
        check(&receiving_op(receiving(many[..MAX_ORDER_LINES].to_vec()))),
        Ok(())
    );
}

#[test]
fn a_receiving_is_of_the_own_store_with_a_name() {
    let mut r = receiving(vec![line(0, 1, 1, 0)]);
    r.store = hd();
    assert!(wrong_store(check(&receiving_op(r.clone())), "receiving"));
    assert!(wrong_store(
        check(&op_in(Scope::Store(hd()), OpBody::Receiving(r))),
        "scope"
    ));
    let mut r = receiving(vec![line(0, 1, 1, 0)]);
    r.received_by = " ".into();
    assert!(invalid(check(&receiving_op(r.clone()))));
    r.received_by = "kim".into();
    r.note = Some("w".repeat(MAX_TEXT + 1));
    assert!(invalid(check(&receiving_op(r))));
}

#[test]
fn a_till_never_writes_a_delivery() {
    let d = Delivery {
        shipment: Uuid::from_u128(2),
        store: gn(),
        orders: vec![Uuid::from_u128(1)],
        lines: lines(1, 5),
        from: store("WH01"),
        driver_name: "Park".into(),
        vehicle: "12가3456".into(),
        stop_no: 1,
        stops_total: 1,
        dispatched_ms: 1_000,
    };
    assert_eq!(
        check(&own(OpBody::Delivery(d.clone()))),
        Err(OpRejection::NotAllowed {
            seq: 7,
            kind: "delivery"
        })
    );
    assert!(check(&op_in(Scope::Hq, OpBody::Delivery(d.clone()))).is_err());
    assert!(check(&op_in(Scope::Broadcast, OpBody::Delivery(d))).is_err());
}

// ---------------------------------------------------------------------------------------------
// Stock moves at in-transit locations
// ---------------------------------------------------------------------------------------------

fn stock_op(location: LocationId, delta: i64, reason: StockReason, own: &StoreId) -> Op {
    let (inc_total, dec_total) = if delta > 0 {
        (delta.unsigned_abs(), 0)
    } else {
        (0, delta.unsigned_abs())
    };
    op_in(
        Scope::Store(own.clone()),
        OpBody::StockMove(StockMove {
            location,
            sku: sku(0),
            delta,
            reason,
            reference: Some(Uuid::from_u128(2).to_string()),
            inc_total,
            dec_total,
        }),
    )
}

/// What a till of `own` may do at its own in-transit location: take a delivery out by
/// receipt (negative) or bring one in (positive transfer in).
fn own_transit_allowed(reason: StockReason, delta: i64) -> bool {
    matches!(
        (reason, delta > 0),
        (StockReason::Receipt, false) | (StockReason::TransferIn, true)
    )
}

#[test]
fn at_its_own_in_transit_location_a_till_only_receives() {
    let tr = LocationId::in_transit_to(&gn());
    for reason in ALL_REASONS {
        for delta in [-5, 5] {
            let r = check_till_op(&stock_op(tr.clone(), delta, reason, &gn()), TILL, &gn());
            if own_transit_allowed(reason, delta) {
                assert_eq!(r, Ok(()), "{reason:?} {delta}");
            } else {
                assert!(r.is_err(), "{reason:?} {delta} must be refused");
            }
        }
    }
    // Receiving puts the good units on the store's own shelf.
    assert_eq!(
        check_till_op(&stock_op(gn(), 4, StockReason::Receipt, &gn()), TILL, &gn()),
        Ok(())
    );
}

#[test]
fn stores_whose_in_transit_code_would_be_cut_or_shared_get_none() {
    // Two 16-character codes that agree on their first 13: `TR-` + 13 is the same location.
    let a = store("ABCDEFGHIJKLM-01");
    let b = store("ABCDEFGHIJKLM-02");
    assert_eq!(LocationId::in_transit_to(&a), LocationId::in_transit_to(&b));
    assert!(!a.has_own_transit());
    for who in [&a, &b] {
        let tr = LocationId::in_transit_to(who);
        let r = check_till_op(&stock_op(tr, -1, StockReason::Receipt, who), TILL, who);
        assert!(
            wrong_store(r, "stock"),
            "{who}: a shared transit location is no store's"
        );
    }
    // A 13-character code still has its own.
    let ok = store(&"A".repeat(MAX_TRANSIT_STORE_CODE));
    assert!(ok.has_own_transit());
    let tr = LocationId::in_transit_to(&ok);
    assert_eq!(tr.as_str().len(), 16);
    assert_eq!(
        check_till_op(&stock_op(tr, -1, StockReason::Receipt, &ok), TILL, &ok),
        Ok(())
    );
    // A code that is itself an in-transit code has none either.
    assert!(!store("TR-GN01").has_own_transit());
}

fn store_code() -> impl Strategy<Value = StoreId> {
    "[A-Z0-9][A-Z0-9-]{1,15}".prop_map(|s| s.parse().expect("generated store code"))
}

fn reason() -> impl Strategy<Value = StockReason> {
    prop::sample::select(ALL_REASONS.to_vec())
}

proptest! {
    /// A till never moves stock at another store's in-transit location, whatever the reason,
    /// sign and codes.
    #[test]
    fn never_at_another_stores_in_transit_location(
        own in store_code(),
        other in store_code(),
        reason in reason(),
        delta in prop_oneof![-1_000i64..0, 1i64..1_000],
    ) {
        prop_assume!(own != other);
        let tr = LocationId::in_transit_to(&other);
        let r = check_till_op(&stock_op(tr.clone(), delta, reason, &own), TILL, &own);
        // The only exception is a location that is the till's own (transit or store): with
        // codes cut at 16 characters two stores can share one, and then it is nobody's.
        if tr == LocationId::in_transit_to(&own) || tr == own {
            prop_assert!(!own.has_own_transit() || tr == own, "{} shares {}", own, tr);
        }
        if tr != own {
            prop_assert!(wrong_store(r, "stock"), "{} wrote at {}", own, tr);
        }
    }

    /// At its own in-transit location a till may only receive, and only if the location is
    /// its store's alone.
    #[test]
    fn at_the_own_in_transit_location_exactly_the_receiving_moves(
        own in store_code(),
        reason in reason(),
        delta in prop_oneof![-1_000i64..0, 1i64..1_000],
    ) {
        let tr = LocationId::in_transit_to(&own);
        let r = check_till_op(&stock_op(tr, delta, reason, &own), TILL, &own);
        prop_assert_eq!(
            r.is_ok(),
            own.has_own_transit() && own_transit_allowed(reason, delta),
            "{} {:?} {}: {:?}", own, reason, delta, r
        );
    }
}
