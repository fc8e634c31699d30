//! A till receiving a delivery (issue 5) moves stock out of its store's in-transit location
//! (`TR-<store>`, reason receipt, negative) and into the store (reason receipt, positive).
//! What `check_till_op` accepts and refuses for those moves.

use sync_proto::op::{OpBody, StockMove, StockReason};
use sync_proto::validate::{OpRejection, check_till_op};
use sync_proto::{ActorId, Hlc, LocationId, Op, Scope, StoreId};
use uuid::Uuid;

const TILL: ActorId = ActorId(Uuid::from_bytes([3; 16]));

fn store(code: &str) -> StoreId {
    code.parse().expect("store code")
}

fn check(location: LocationId, delta: i64, reason: StockReason) -> Result<(), OpRejection> {
    let (inc_total, dec_total) = if delta > 0 {
        (delta.unsigned_abs(), 0)
    } else {
        (0, delta.unsigned_abs())
    };
    let op = Op {
        actor: TILL,
        seq: 1,
        hlc: Hlc {
            wall_ms: 1_000,
            counter: 0,
            actor: TILL,
        },
        scope: Scope::Store(store("GN01")),
        body: OpBody::StockMove(StockMove {
            location,
            sku: "TSH-0001-BLK-M".parse().expect("sku"),
            delta,
            reason,
            reference: Some("0190f0f0-0000-7000-8000-000000000001".into()),
            inc_total,
            dec_total,
        }),
    };
    check_till_op(&op, TILL, &store("GN01"))
}

#[test]
fn a_receipt_takes_goods_out_of_the_own_in_transit_location() {
    let transit = LocationId::in_transit_to(&store("GN01"));
    assert_eq!(check(transit.clone(), -5, StockReason::Receipt), Ok(()));
    assert_eq!(check(store("GN01"), 4, StockReason::Receipt), Ok(()));
    // Into transit by receipt, or out of the store by receipt: wrong direction.
    assert!(matches!(
        check(transit.clone(), 5, StockReason::Receipt),
        Err(OpRejection::Invalid { .. })
    ));
    assert!(matches!(
        check(store("GN01"), -4, StockReason::Receipt),
        Err(OpRejection::Invalid { .. })
    ));
    // Another store's transit location, or a sale out of transit: refused.
    assert!(matches!(
        check(
            LocationId::in_transit_to(&store("HD02")),
            -5,
            StockReason::Receipt
        ),
        Err(OpRejection::WrongStore { .. })
    ));
    assert!(matches!(
        check(transit, -1, StockReason::Sale),
        Err(OpRejection::WrongStore { .. })
    ));
}
