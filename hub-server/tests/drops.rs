//! Limited editions and first-come coupons at the hub (issue 7), end to end: drops over REST,
//! hand-made till ops over the real sync WebSocket (requests, recalls answered, uses,
//! redemptions, forged overspends), and what the console and new tills see.

mod common;

use common::*;
use serde_json::{Value, json};
use sync_proto::escrow::{
    CouponRedemption, EscrowKind, EscrowMove, LimitKey, RecallReason, RightsRecall, RightsRequest,
};
use sync_proto::wire::ErrorCode;
use sync_proto::{ActorId, Hlc, Op, OpBody, Scope};
use uuid::Uuid;

/// A till op of `t` in `scope`.
fn op(t: &mut T, scope: Scope, body: OpBody) -> Op {
    t.seq += 1;
    Op {
        actor: t.e.actor,
        seq: t.seq,
        hlc: Hlc {
            wall_ms: hub_server::now_ms(),
            counter: t.seq as u32,
            actor: t.e.actor,
        },
        scope,
        body,
    }
}

fn mv(
    t: &mut T,
    key: &LimitKey,
    kind: EscrowKind,
    qty: u64,
    total: u64,
    reference: Option<String>,
) -> Op {
    op(
        t,
        Scope::Broadcast,
        OpBody::EscrowMove(EscrowMove {
            key: key.clone(),
            kind,
            qty,
            reference,
            total,
        }),
    )
}

fn request(t: &mut T, key: &LimitKey, qty: u64) -> (Uuid, Op) {
    let id = Uuid::now_v7();
    let store = t.e.store.clone();
    let actor = t.e.actor;
    let o = op(
        t,
        Scope::Store(store.clone()),
        OpBody::RightsRequest(RightsRequest {
            id,
            key: key.clone(),
            till: actor,
            store,
            qty,
        }),
    );
    (id, o)
}

fn sku_key(sku: &str) -> LimitKey {
    LimitKey::Sku(sku.parse().expect("sku"))
}

async fn create(hub: &TestHub, body: Value) -> Value {
    let (s, v) = hub.post("drops", body.clone()).await;
    assert_eq!(s, 201, "create drop {body}: {v}");
    v
}

async fn detail(hub: &TestHub, key: &str) -> Value {
    let (s, v) = hub.get(&format!("drops/{key}")).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn store<'a>(d: &'a Value, code: &str) -> &'a Value {
    d["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["store"] == code))
        .unwrap_or_else(|| panic!("store {code} in {d}"))
}

fn till_rights(d: &Value, actor: &ActorId) -> u64 {
    d["stores"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["tills"].as_array().into_iter().flatten())
        .find(|t| t["actor"] == actor.to_string())
        .and_then(|t| t["rights"].as_u64())
        .unwrap_or_else(|| panic!("till {actor} in {d}"))
}

/// A raw till that keeps the downstream ops it has not looked at yet (one `Ops` frame may carry
/// several, and an `Ack` may come after the ops its batch caused).
struct T {
    t: Till,
    backlog: std::collections::VecDeque<Op>,
    /// Highest `to_cursor` received.
    cursor: u64,
}

impl std::ops::Deref for T {
    type Target = Till;
    fn deref(&self) -> &Till {
        &self.t
    }
}

impl std::ops::DerefMut for T {
    fn deref_mut(&mut self) -> &mut Till {
        &mut self.t
    }
}

impl T {
    async fn open(hub: &TestHub, store: &str) -> T {
        T {
            t: Till::open(hub, store).await,
            backlog: Default::default(),
            cursor: 0,
        }
    }

    /// Push ops and wait for their Ack, keeping the downstream ops that arrive meanwhile.
    async fn push(&mut self, ops: Vec<Op>) {
        send(&mut self.t.ws, &push(ops)).await;
        let want = self.t.seq;
        loop {
            match recv(&mut self.t.ws).await {
                Some(sync_proto::wire::Frame::Ack(a)) if a.up_to_seq == want => return,
                Some(sync_proto::wire::Frame::Ops(o)) => {
                    self.cursor = self.cursor.max(o.to_cursor);
                    self.backlog.extend(o.ops);
                }
                Some(_) => {}
                None => panic!("closed before the Ack"),
            }
        }
    }

    /// The next downstream op matching `want` (earlier ones that do not match are kept).
    async fn downstream(&mut self, mut want: impl FnMut(&Op) -> bool) -> Op {
        loop {
            if let Some(i) = self.backlog.iter().position(&mut want) {
                return self.backlog.remove(i).expect("index");
            }
            match recv(&mut self.t.ws).await {
                Some(sync_proto::wire::Frame::Ops(o)) => {
                    self.cursor = self.cursor.max(o.to_cursor);
                    self.backlog.extend(o.ops);
                }
                Some(_) => {}
                None => panic!("closed before the expected op"),
            }
        }
    }
}

impl T {
    /// Acknowledge everything received, and make sure the hub has taken it in (a ping's pong
    /// comes back after the hub handled the frames before it).
    async fn cursor_ack(&mut self) {
        use sync_proto::wire::{CursorAck, Frame, Ping};
        let cursor = self.cursor;
        send(&mut self.t.ws, &Frame::CursorAck(CursorAck { cursor })).await;
        send(&mut self.t.ws, &Frame::Ping(Ping { nonce: 77 })).await;
        loop {
            match recv(&mut self.t.ws).await {
                Some(Frame::Pong(p)) if p.nonce == 77 => return,
                Some(Frame::Ops(o)) => {
                    self.cursor = self.cursor.max(o.to_cursor);
                    self.backlog.extend(o.ops);
                }
                Some(_) => {}
                None => panic!("closed before the pong"),
            }
        }
    }
}

/// The next downstream escrow transfer to `t` (from the hub).
async fn transfer_to(t: &mut T) -> (u64, u64, Option<String>) {
    let me = t.e.actor;
    let o = t
        .downstream(
            |o| matches!(&o.body, OpBody::EscrowMove(m) if m.kind == EscrowKind::Transfer(me)),
        )
        .await;
    match o.body {
        OpBody::EscrowMove(m) => (m.qty, m.total, m.reference),
        _ => unreachable!(),
    }
}

async fn recall_for(t: &mut T) -> (ActorId, RightsRecall) {
    let me = t.e.actor;
    let o = t
        .downstream(|o| matches!(&o.body, OpBody::RightsRecall(r) if r.till == me))
        .await;
    match o.body {
        OpBody::RightsRecall(r) => (o.actor, r),
        _ => unreachable!(),
    }
}

async fn products(hub: &TestHub, skus: &[&str]) {
    for sku in skus {
        hub.ok(
            "products",
            json!({"sku": sku, "name": format!("Limited {sku}"), "price": 99000}),
        )
        .await;
    }
}

#[tokio::test]
async fn allocation_rules_split_across_stores_and_tills_with_largest_remainder() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1", "JKT-2", "JKT-3", "JKT-4"]).await;
    let mut g1 = T::open(&hub, "GN01").await;
    let g2 = T::open(&hub, "GN01").await;
    let mut h1 = T::open(&hub, "HD02").await;
    // Equal, 9 over GN01 and HD02 (warehouse excluded): 5 + 4; GN01's 5 over two tills 3 + 2.
    let d = create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 9, "rule": "equal", "hold_minutes": 30}),
    )
    .await;
    assert_eq!(d["summary"]["key"], "sku:JKT-1");
    assert_eq!(d["summary"]["total"], 9);
    assert_eq!(d["summary"]["left"], 9);
    assert_eq!(d["summary"]["pool"], 0);
    assert_eq!(store(&d, "GN01")["target"], 5);
    assert_eq!(store(&d, "HD02")["target"], 4);
    assert_eq!(store(&d, "GN01")["rights"], 5);
    assert_eq!(till_rights(&d, &g1.e.actor), 3);
    assert_eq!(till_rights(&d, &g2.e.actor), 2);
    assert_eq!(till_rights(&d, &h1.e.actor), 4);
    assert!(
        d["stores"]
            .as_array()
            .expect("stores")
            .iter()
            .all(|s| s["store"] != "WH01")
    );
    // The till receives its transfer downstream.
    assert_eq!(transfer_to(&mut g1).await.0, 3);

    // Weighted by sales: GN01 sold 30,000, HD02 10,000 → 3:1 of 10 = 7.5 / 2.5 → 8 / 2
    // (the tie goes to the first store by code).
    let (_, ops) = g1.sale(&[("JKT-4", 1, 30_000)], None, None, hub_server::now_ms());
    g1.push(ops).await;
    let (_, ops) = h1.sale(&[("JKT-4", 1, 10_000)], None, None, hub_server::now_ms());
    h1.push(ops).await;
    let d = create(
        &hub,
        json!({"label": "Jacket 2", "sku": "JKT-2", "total": 10, "rule": "weighted_by_sales", "hold_minutes": 0}),
    )
    .await;
    assert_eq!(store(&d, "GN01")["target"], 8);
    assert_eq!(store(&d, "HD02")["target"], 2);
    assert_eq!(d["summary"]["rule"], "weighted_by_sales");

    // Manual, with a store that has no till: its share stays in the pool.
    hub.ok(
        "stores",
        json!({"code": "BS03", "name": "Busan", "kind": "store", "currency": "KRW"}),
    )
    .await;
    let d = create(
        &hub,
        json!({"label": "Jacket 3", "sku": "JKT-3", "total": 7, "rule": "manual",
               "manual": {"GN01": 1, "HD02": 2, "BS03": 4}}),
    )
    .await;
    assert_eq!(store(&d, "BS03")["target"], 4);
    assert_eq!(store(&d, "BS03")["rights"], 0);
    assert_eq!(d["summary"]["pool"], 4);
    assert_eq!(store(&d, "GN01")["rights"], 1);
    assert_eq!(till_rights(&d, &g1.e.actor), 1);
    assert_eq!(till_rights(&d, &g2.e.actor), 0);

    // Refusals, none of which leaves a drop behind.
    let bad = [
        (
            json!({"label": "x", "sku": "NOPE-1", "total": 5, "rule": "equal"}),
            400,
            "unknown_sku",
        ),
        (
            json!({"label": "x", "sku": "JKT-1", "total": 5, "rule": "equal"}),
            409,
            "already_limited",
        ),
        (
            json!({"label": "x", "sku": "JKT-4", "total": 0, "rule": "equal"}),
            400,
            "invalid_input",
        ),
        (
            json!({"label": "x", "sku": "JKT-4", "total": 1_000_001, "rule": "equal"}),
            400,
            "invalid_input",
        ),
        (
            json!({"label": "x", "sku": "JKT-4", "total": 5, "rule": "manual", "manual": {"GN01": 4}}),
            400,
            "manual_sum",
        ),
        (
            json!({"label": "x", "sku": "JKT-4", "total": 5, "rule": "manual", "manual": {"GN01": 4, "ZZ99": 1}}),
            400,
            "unknown_store",
        ),
        (
            json!({"label": "x", "sku": "JKT-4", "total": 5, "rule": "equal", "stores": ["WH01"]}),
            400,
            "unknown_store",
        ),
        (
            json!({"label": "x", "total": 5, "rule": "equal"}),
            400,
            "invalid_input",
        ),
    ];
    for (body, status, code) in bad {
        assert_refused(hub.post("drops", body.clone()).await, status, code);
    }
    let coupon = json!({"label": "First 100", "coupon": {"code": "first-100", "discount": {"percent": 10}},
                        "total": 4, "rule": "equal"});
    let c = create(&hub, coupon.clone()).await;
    assert_eq!(c["summary"]["kind"], "coupon");
    assert_eq!(c["summary"]["code"], "FIRST-100");
    assert_refused(
        hub.post("drops", coupon).await,
        409,
        "duplicate_coupon_code",
    );
    let (s, list) = hub.get("drops").await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
    // Audit-logged.
    let (s, audit) = hub.get("audit?action=drop.create").await;
    assert_eq!(s, 200);
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(4),
        "{audit}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn forged_overspend_foreign_transfer_and_broken_totals_are_refused_and_nothing_stored() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "GN01").await;
    let mut c = T::open(&hub, "GN01").await;
    let mut ok = T::open(&hub, "GN01").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 8, "rule": "equal", "stores": ["GN01"]}),
    )
    .await;
    let key = sku_key("JKT-1");
    // Each till holds 2. Selling 3 is beyond its rights.
    let o = mv(&mut a, &key, EscrowKind::Use, 3, 3, Some("sale-1".into()));
    send(&mut a.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut a.ws).await, ErrorCode::InvalidOp);
    // A transfer to another till (not the hub).
    let to = c.e.actor;
    let o = mv(&mut b, &key, EscrowKind::Transfer(to), 1, 1, None);
    send(&mut b.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut b.ws).await, ErrorCode::InvalidOp);
    // A total that skips units (qty 1 but total 5).
    let o = mv(&mut c, &key, EscrowKind::Use, 1, 5, Some("sale-2".into()));
    send(&mut c.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut c.ws).await, ErrorCode::InvalidOp);
    // A valid use within rights, then one more that would overspend in the same batch:
    // the whole batch is refused, the valid first op included.
    let o1 = mv(&mut ok, &key, EscrowKind::Use, 2, 2, Some("sale-3".into()));
    let o2 = mv(&mut ok, &key, EscrowKind::Use, 1, 3, Some("sale-4".into()));
    send(&mut ok.ws, &push(vec![o1, o2])).await;
    assert_eq!(refusal(&mut ok.ws).await, ErrorCode::InvalidOp);
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["summary"]["sold"], 0, "{d}");
    assert_eq!(d["summary"]["left"], 8);
    for t in [&a, &b, &c, &ok] {
        assert_eq!(till_rights(&d, &t.e.actor), 2);
    }
    // The same till, reconnected, may sell what it holds.
    let mut ws = connect(&hub.url, &ok.e.credential).await.expect("connect");
    hello(&mut ws, ok.e.actor, 0, 0).await;
    ok.ws = ws;
    ok.seq = 0;
    let o = mv(&mut ok, &key, EscrowKind::Use, 2, 2, Some("sale-3".into()));
    ok.push(vec![o]).await;
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["summary"]["sold"], 2);
    assert_eq!(d["summary"]["left"], 6);
    assert_eq!(till_rights(&d, &ok.e.actor), 0);
    hub.stop().await;
}

#[tokio::test]
async fn a_request_is_served_from_the_pool() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    // HD02 has no till: its 8 stay in the pool.
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 10, "rule": "manual", "manual": {"GN01": 2, "HD02": 8}}),
    )
    .await;
    assert_eq!(transfer_to(&mut a).await, (2, 2, Some("allocation".into())));
    let key = sku_key("JKT-1");
    let (id, o) = request(&mut a, &key, 3);
    a.push(vec![o]).await;
    let (qty, total, reference) = transfer_to(&mut a).await;
    assert_eq!((qty, total), (3, 5));
    assert_eq!(reference, Some(id.to_string()));
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["summary"]["pool"], 5);
    assert_eq!(till_rights(&d, &a.e.actor), 5);
    assert_eq!(store(&d, "GN01")["requests_open"], 0);
    hub.stop().await;
}

#[tokio::test]
async fn a_request_is_served_by_recalling_from_another_connected_till() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 5, "rule": "manual", "manual": {"GN01": 1, "HD02": 4}}),
    )
    .await;
    let key = sku_key("JKT-1");
    // The pool is empty: A's request makes the hub recall half of B's 4.
    let (id, o) = request(&mut a, &key, 2);
    a.push(vec![o]).await;
    let (hub_actor, recall) = recall_for(&mut b).await;
    assert_eq!(recall.qty, Some(2));
    assert_eq!(recall.reason, RecallReason::Rebalance);
    assert_eq!(recall.key, key);
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["recalls_open"], 1);
    assert_eq!(store(&d, "GN01")["requests_open"], 1);
    assert!(store(&d, "HD02")["in_flight"].as_u64() >= Some(2), "{d}");
    // B answers once; what comes back serves A.
    let o = mv(
        &mut b,
        &key,
        EscrowKind::Transfer(hub_actor),
        2,
        2,
        Some(recall.id.to_string()),
    );
    b.push(vec![o]).await;
    assert_eq!(transfer_to(&mut a).await, (1, 1, Some("allocation".into())));
    let (qty, total, reference) = transfer_to(&mut a).await;
    assert_eq!((qty, total), (2, 3));
    assert_eq!(reference, Some(id.to_string()));
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(till_rights(&d, &a.e.actor), 3);
    assert_eq!(till_rights(&d, &b.e.actor), 2);
    assert_eq!(d["summary"]["pool"], 0);
    assert_eq!(d["recalls_open"], 0);
    assert_eq!(store(&d, "GN01")["requests_open"], 0);
    hub.stop().await;
}

#[tokio::test]
async fn pull_back_and_end_recall_every_till_and_stop_the_drop() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 6, "rule": "equal"}),
    )
    .await;
    let key = sku_key("JKT-1");
    // Pull back from GN01 only.
    let v = hub
        .ok("drops/sku:JKT-1/pull-back", json!({"stores": ["GN01"]}))
        .await;
    assert_eq!(v["recalls"], 1, "{v}");
    let (hub_actor, r) = recall_for(&mut a).await;
    assert_eq!((r.qty, r.reason), (None, RecallReason::PullBack));
    let o = mv(
        &mut a,
        &key,
        EscrowKind::Transfer(hub_actor),
        3,
        3,
        Some(r.id.to_string()),
    );
    a.push(vec![o]).await;
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(till_rights(&d, &a.e.actor), 0);
    assert_eq!(till_rights(&d, &b.e.actor), 3);
    assert_eq!(d["summary"]["pool"], 3);
    assert_eq!(d["recalls_open"], 0);
    // End: the definition goes out inactive and every till is asked back.
    let v = hub.ok("drops/sku:JKT-1/end", json!({})).await;
    assert_eq!(v["drop"]["summary"]["active"], false, "{v}");
    assert_eq!(v["recalls"], 2);
    let def = b
        .downstream(|o| matches!(&o.body, OpBody::LimitDef(d) if !d.active))
        .await;
    assert_eq!(def.scope, Scope::Catalog);
    let (_, r) = recall_for(&mut b).await;
    assert_eq!(r.reason, RecallReason::PullBack);
    assert_refused(
        hub.post("drops/sku:JKT-1/end", json!({})).await,
        409,
        "already_ended",
    );
    assert_refused(
        hub.post("drops/sku:NOPE/end", json!({})).await,
        404,
        "unknown_drop",
    );
    assert_refused(
        hub.post("drops/garbage/end", json!({})).await,
        400,
        "invalid_input",
    );
    for action in ["drop.pull_back", "drop.end"] {
        let (_, audit) = hub.get(&format!("audit?action={action}")).await;
        assert_eq!(
            audit["entries"].as_array().map(Vec::len),
            Some(1),
            "{audit}"
        );
    }
    // Once ended, the SKU may be dropped again.
    create(
        &hub,
        json!({"label": "Jacket again", "sku": "JKT-1", "total": 2, "rule": "equal"}),
    )
    .await;
    hub.stop().await;
}

#[tokio::test]
async fn a_till_enrolled_after_the_drop_gets_escrow_rows_in_its_snapshot() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 4, "rule": "equal", "stores": ["GN01"]}),
    )
    .await;
    let key = sku_key("JKT-1");
    let o = mv(&mut a, &key, EscrowKind::Use, 1, 1, Some("sale-1".into()));
    a.push(vec![o]).await;
    let o = mv(&mut a, &key, EscrowKind::Use, 2, 3, Some("sale-2".into()));
    a.push(vec![o]).await;
    let fresh = T::open(&hub, "GN01").await;
    let recs = &fresh.snapshot_records;
    assert!(
        recs.iter().any(
            |o| matches!(&o.body, OpBody::LimitDef(d) if d.key == key && d.active && d.total == 4)
        ),
        "limit definition in the snapshot"
    );
    let moves: Vec<&EscrowMove> = recs
        .iter()
        .filter_map(|o| match &o.body {
            OpBody::EscrowMove(m) if m.key == key => Some(m),
            _ => None,
        })
        .collect();
    assert!(
        moves
            .iter()
            .any(|m| m.kind == EscrowKind::Mint && m.total == 4)
    );
    assert!(
        moves
            .iter()
            .any(|m| m.kind == EscrowKind::Transfer(a.e.actor) && m.total == 4)
    );
    // Only the winning (latest) use, carrying the running total.
    let uses: Vec<u64> = moves
        .iter()
        .filter(|m| m.kind == EscrowKind::Use)
        .map(|m| m.total)
        .collect();
    assert_eq!(uses, vec![3]);
    hub.stop().await;
}

#[tokio::test]
async fn store_managers_read_their_own_row_and_only_head_office_acts() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let _a = T::open(&hub, "GN01").await;
    let _b = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 6, "rule": "equal"}),
    )
    .await;
    let manager = user_session(&hub, "gn-manager", "store_manager", Some("GN01")).await;
    let staff = user_session(&hub, "hq-staff", "hq_staff", None).await;
    let body = json!({"label": "x", "sku": "JKT-1", "total": 1, "rule": "equal"});
    assert_refused(manager.post("drops", body.clone()).await, 403, "forbidden");
    assert_refused(
        manager.post("drops/sku:JKT-1/pull-back", json!({})).await,
        403,
        "forbidden",
    );
    assert_refused(
        manager.post("drops/sku:JKT-1/end", json!({})).await,
        403,
        "forbidden",
    );
    let (s, list) = manager.get("drops").await;
    assert_eq!(s, 200);
    assert_eq!(list[0]["key"], "sku:JKT-1");
    let (s, d) = manager.get("drops/sku:JKT-1").await;
    assert_eq!(s, 200, "{d}");
    let stores: Vec<&str> = d["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .filter_map(|s| s["store"].as_str())
        .collect();
    assert_eq!(stores, vec!["GN01"]);
    let (s, d) = staff.get("drops/sku:JKT-1").await;
    assert_eq!(s, 200);
    assert_eq!(d["stores"].as_array().map(Vec::len), Some(2));
    let (s, v) = staff.post("drops/sku:JKT-1/pull-back", json!({})).await;
    assert_eq!(s, 200, "{v}");
    hub.stop().await;
}

#[tokio::test]
async fn a_member_redeeming_one_campaign_twice_offline_is_reported() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    let (ev_ws, _) = events(&hub, &hub.token).await;
    let mut ev_ws = ev_ws;
    let c = create(
        &hub,
        json!({"label": "First 10", "coupon": {"code": "FIRST-10", "discount": {"amount": 5000}, "min_spend": 30000},
               "total": 10, "rule": "equal"}),
    )
    .await;
    let key_text = c["summary"]["key"].as_str().expect("key").to_owned();
    let key: LimitKey = key_text.parse().expect("coupon key");
    let LimitKey::Coupon(campaign) = key else {
        panic!("coupon key")
    };
    let member = Uuid::now_v7();
    for t in [&mut a, &mut b] {
        let t: &mut T = t;
        let sale = Uuid::now_v7();
        let (actor, store) = (t.e.actor, t.e.store.clone());
        let r = op(
            t,
            Scope::Broadcast,
            OpBody::CouponRedemption(CouponRedemption {
                id: Uuid::now_v7(),
                campaign,
                member,
                sale,
                till: actor,
                store,
                discount: 5000,
                at_ms: hub_server::now_ms(),
            }),
        );
        let u = mv(t, &key, EscrowKind::Use, 1, 1, Some(sale.to_string()));
        t.push(vec![r, u]).await;
    }
    let d = detail(&hub, &key_text).await;
    assert_eq!(
        d["duplicate_redemptions"],
        json!([{"member": member.to_string(), "count": 2}])
    );
    assert_eq!(d["summary"]["sold"], 2);
    assert_eq!(d["summary"]["left"], 8);
    // The console heard of it live, as a drop event with the new totals.
    let ev = event_until(&mut ev_ws, |e| e["type"] == "drop" && e["sold"] == 2).await;
    assert_eq!(ev["key"], key_text.as_str());
    assert_eq!(ev["left"], 8);
    // Another till's downstream carries the redemptions (broadcast).
    let o = a
        .downstream(|o| matches!(&o.body, OpBody::CouponRedemption(r) if r.till == b.e.actor))
        .await;
    assert!(matches!(o.body, OpBody::CouponRedemption(_)));
    hub.stop().await;
}

#[tokio::test]
async fn one_open_recall_per_till_and_an_acknowledged_recall_counts_as_answered() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 5, "rule": "manual", "manual": {"GN01": 1, "HD02": 4}}),
    )
    .await;
    let key = sku_key("JKT-1");
    let (_, o) = request(&mut a, &key, 2);
    a.push(vec![o]).await;
    let (_, first) = recall_for(&mut b).await;
    // A asks again (its newer request replaces the older): B's recall is still open, so no
    // second recall goes to B.
    let (_, o) = request(&mut a, &key, 2);
    a.push(vec![o]).await;
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["recalls_open"], 1, "{d}");
    assert_eq!(store(&d, "GN01")["requests_open"], 1);
    // B acknowledges the recall's cursor without giving anything (nothing to spare, as far as
    // it knew): the recall counts as answered, and the next run may recall from B again.
    b.cursor_ack().await;
    let (_, o) = request(&mut a, &key, 2);
    a.push(vec![o]).await;
    let (_, second) = recall_for(&mut b).await;
    assert_ne!(second.id, first.id);
    assert_eq!(second.qty, Some(2));
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["recalls_open"], 1, "{d}");
    hub.stop().await;
}

#[tokio::test]
async fn held_units_count_as_held_and_are_not_recalled() {
    use sync_proto::escrow::{HoldStatus, LimitHold};
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 7, "rule": "manual",
               "manual": {"GN01": 1, "HD02": 6}, "hold_minutes": 60}),
    )
    .await;
    let key = sku_key("JKT-1");
    // B keeps 4 of its 6 for a customer.
    let now = hub_server::now_ms();
    let hold = LimitHold {
        id: Uuid::now_v7(),
        key: key.clone(),
        till: b.e.actor,
        store: b.e.store.clone(),
        qty: 4,
        placed_at_ms: now,
        expires_at_ms: now + 3_600_000,
        note: "Ms Kim".into(),
        status: HoldStatus::Held,
        sale: None,
    };
    let store_scope = Scope::Store(b.e.store.clone());
    let o = op(&mut b, store_scope.clone(), OpBody::LimitHold(hold.clone()));
    b.push(vec![o]).await;
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["summary"]["held"], 4);
    assert_eq!(store(&d, "HD02")["held"], 4);
    // A's request: B has 6 − 4 = 2 available, so the hub asks for 1.
    let (_, o) = request(&mut a, &key, 3);
    a.push(vec![o]).await;
    let (_, r) = recall_for(&mut b).await;
    assert_eq!(r.qty, Some(1));
    // Released: no longer held (a max-register: a late "held" copy changes nothing).
    let released = LimitHold {
        status: HoldStatus::Released,
        ..hold.clone()
    };
    let o1 = op(&mut b, store_scope.clone(), OpBody::LimitHold(released));
    b.push(vec![o1]).await;
    let d = detail(&hub, "sku:JKT-1").await;
    assert_eq!(d["summary"]["held"], 0, "{d}");
    hub.stop().await;
}

#[tokio::test]
async fn till_limited_ops_out_of_their_lane_are_refused() {
    use sync_proto::escrow::{AllocationRule, LimitDef};
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let key = sku_key("JKT-1");
    // A request written for another store.
    let mut a = T::open(&hub, "GN01").await;
    let actor = a.e.actor;
    let o = op(
        &mut a,
        Scope::Store("GN01".parse().expect("store")),
        OpBody::RightsRequest(RightsRequest {
            id: Uuid::now_v7(),
            key: key.clone(),
            till: actor,
            store: "HD02".parse().expect("store"),
            qty: 1,
        }),
    );
    send(&mut a.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut a.ws).await, ErrorCode::WrongStore);
    // A till may not define a drop.
    let mut b = T::open(&hub, "GN01").await;
    let o = op(
        &mut b,
        Scope::Catalog,
        OpBody::LimitDef(LimitDef {
            key: key.clone(),
            label: "mine".into(),
            total: 1_000,
            rule: AllocationRule::Equal,
            hold_minutes: 0,
            starts_at_ms: None,
            ends_at_ms: None,
            coupon: None,
            active: true,
        }),
    );
    send(&mut b.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut b.ws).await, ErrorCode::InvalidOp);
    // Escrow moves travel in broadcast only.
    let mut c = T::open(&hub, "GN01").await;
    let o = op(
        &mut c,
        Scope::Store("GN01".parse().expect("store")),
        OpBody::EscrowMove(EscrowMove {
            key: key.clone(),
            kind: EscrowKind::Use,
            qty: 1,
            reference: None,
            total: 1,
        }),
    );
    send(&mut c.ws, &push(vec![o])).await;
    assert_eq!(refusal(&mut c.ws).await, ErrorCode::InvalidOp);
    let (s, list) = hub.get("drops").await;
    assert_eq!(s, 200);
    assert_eq!(list, json!([]));
    hub.stop().await;
}

/// Found by the drop benchmark: a request whose recall came back empty (the recalled till had
/// sold its units meanwhile) stayed marked "recalled" for ever, so the hub never recalled for
/// it again — while other connected tills still held unused rights — and, first come first
/// served, every later request waited behind it. A till at zero never asks again by itself
/// (it asks after a sale), so its store stayed dry for the rest of the drop.
#[tokio::test]
async fn a_request_whose_recall_came_back_empty_is_recalled_for_again() {
    let hub = TestHub::start().await;
    hub.seed_stores("Icheon").await;
    products(&hub, &["JKT-1"]).await;
    let mut a = T::open(&hub, "GN01").await;
    let mut b = T::open(&hub, "HD02").await;
    let mut c = T::open(&hub, "HD02").await;
    create(
        &hub,
        json!({"label": "Jacket", "sku": "JKT-1", "total": 5, "rule": "manual", "manual": {"GN01": 1, "HD02": 4}}),
    )
    .await;
    let key = sku_key("JKT-1");
    // A asks for 1: the pool is empty, so the hub recalls 1 of the 2 of one HD02 till (X).
    let (id, o) = request(&mut a, &key, 1);
    a.push(vec![o]).await;
    let (hub_actor, first) = recall_for_any(&mut b).await;
    let (_, first_c) = recall_for_any(&mut c).await;
    assert_eq!(first.id, first_c.id);
    let (x, y) = if first.till == b.e.actor {
        (&mut b, &mut c)
    } else {
        (&mut c, &mut b)
    };
    assert_eq!(first.till, x.e.actor);
    // X sold both of its units before it saw the recall: it has nothing to give back, and
    // acknowledging the recall's cursor closes it.
    let o = mv(
        x,
        &key,
        EscrowKind::Use,
        2,
        2,
        Some(Uuid::now_v7().to_string()),
    );
    x.push(vec![o]).await;
    x.cursor_ack().await;
    // Y still holds 2 unused rights and is connected: the hub must recall from it now.
    let (_, second) = tokio::time::timeout(std::time::Duration::from_secs(8), recall_for(y))
        .await
        .expect("a second recall, to the till that still holds rights");
    assert_eq!(second.till, y.e.actor);
    assert_eq!(second.qty, Some(1));
    let o = mv(
        y,
        &key,
        EscrowKind::Transfer(hub_actor),
        1,
        1,
        Some(second.id.to_string()),
    );
    y.push(vec![o]).await;
    assert_eq!(transfer_to(&mut a).await, (1, 1, Some("allocation".into())));
    let (qty, _, reference) = transfer_to(&mut a).await;
    assert_eq!(qty, 1);
    assert_eq!(reference, Some(id.to_string()));
    hub.stop().await;
}

/// The next downstream recall, whoever it is addressed to.
async fn recall_for_any(t: &mut T) -> (ActorId, RightsRecall) {
    let o = t
        .downstream(|o| matches!(&o.body, OpBody::RightsRecall(_)))
        .await;
    match o.body {
        OpBody::RightsRecall(r) => (o.actor, r),
        _ => unreachable!(),
    }
}
