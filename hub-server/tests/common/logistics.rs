//! Replenishment and deliveries in tests: a raw till that places orders, receives deliveries
//! (the whole receiving transaction) and hears delivery ETAs over the real sync WebSocket, and
//! the HQ steps over REST (seed, approve, ship, pick, dispatch).

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};
use sync_proto::enrol::EnrolResponse;
use sync_proto::logistics::{
    Delivery, Lifecycle, OrderLine, OrderOrigin, ReceivedLine, ReceivingRecord, ReplenishmentOrder,
    StatusUpdate, Subject,
};
use sync_proto::wire::{DeliveryEta, Frame, SnapshotChunk};
use sync_proto::{Hlc, LocationId, Op, OpBody, Scope, StockMove, StockReason, StoreId};
use uuid::Uuid;

use super::{As, PASSWORD, TestHub, Ws, connect, create_user, hello, login, push, recv, send};

/// Gangnam's position (the stop of most tests) and Hongdae's.
pub const GN01_AT: (f64, f64) = (37.4979, 127.0276);
/// Hongdae.
pub const HD02_AT: (f64, f64) = (37.5572, 126.9245);

/// A raw till of one store speaking the logistics ops.
pub struct LogiTill {
    pub e: EnrolResponse,
    pub ws: Ws,
    pub seq: u64,
    /// This till's own counter totals per (location, sku).
    totals: HashMap<(String, String), (u64, u64)>,
    /// Downstream ops not looked at yet.
    pub backlog: VecDeque<Op>,
    /// Delivery ETAs not looked at yet.
    pub etas: VecDeque<DeliveryEta>,
    /// Records (winning ops) of the bootstrap snapshot.
    pub snapshot_records: Vec<Op>,
    /// Stock counter rows of the snapshot: (location, sku).
    pub snapshot_stock: Vec<(String, String)>,
}

impl LogiTill {
    /// Enrol a till of `store`, connect, take the snapshot and catch up (keeping any ETA).
    pub async fn open(hub: &TestHub, store: &str) -> LogiTill {
        let e = hub.enrol(store).await;
        let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
        hello(&mut ws, e.actor, 0, 0).await;
        let mut t = LogiTill {
            e,
            ws,
            seq: 0,
            totals: HashMap::new(),
            backlog: VecDeque::new(),
            etas: VecDeque::new(),
            snapshot_records: Vec::new(),
            snapshot_stock: Vec::new(),
        };
        loop {
            match recv(&mut t.ws).await.expect("frame") {
                Frame::Snapshot(SnapshotChunk { records, stock, .. }) => {
                    t.snapshot_records.extend(records);
                    t.snapshot_stock.extend(
                        stock
                            .into_iter()
                            .map(|r| (r.location.to_string(), r.sku.to_string())),
                    );
                }
                Frame::Ops(o) if o.caught_up => {
                    t.backlog.extend(o.ops);
                    break;
                }
                Frame::Ops(o) => t.backlog.extend(o.ops),
                Frame::DeliveryEta(eta) => t.etas.push_back(eta),
                _ => {}
            }
        }
        t
    }

    /// The till's store.
    pub fn store(&self) -> StoreId {
        self.e.store.clone()
    }

    /// The next op of this till (scope of its store).
    pub fn op(&mut self, body: OpBody) -> Op {
        self.seq += 1;
        Op {
            actor: self.e.actor,
            seq: self.seq,
            hlc: Hlc {
                wall_ms: hub_server::now_ms(),
                counter: self.seq as u32,
                actor: self.e.actor,
            },
            scope: Scope::Store(self.e.store.clone()),
            body,
        }
    }

    /// A store manager's request for stock.
    pub fn order(&mut self, lines: &[(&str, u32)], by: &str) -> (Uuid, Op) {
        let id = Uuid::now_v7();
        let o = ReplenishmentOrder {
            id,
            store: self.store(),
            lines: lines
                .iter()
                .map(|(sku, qty)| OrderLine {
                    sku: sku.parse().expect("sku"),
                    qty: *qty,
                })
                .collect(),
            origin: OrderOrigin::Store,
            placed_by: by.to_owned(),
            placed_ms: hub_server::now_ms() as i64,
            note: Some("weekend".into()),
        };
        let op = self.op(OpBody::ReplenishmentOrder(o));
        (id, op)
    }

    /// A status update of this store's order or stop.
    pub fn status(&mut self, subject: Subject, status: Lifecycle, at_ms: i64, by: &str) -> Op {
        let store = self.store();
        self.op(OpBody::StatusUpdate(StatusUpdate {
            subject,
            store,
            status,
            at_ms,
            by: by.to_owned(),
            lines: None,
            note: None,
        }))
    }

    /// A stock move of this till, continuing its own totals.
    pub fn mv(
        &mut self,
        location: &LocationId,
        sku: &str,
        delta: i64,
        reason: StockReason,
        reference: &str,
    ) -> Op {
        let t = self
            .totals
            .entry((location.to_string(), sku.to_owned()))
            .or_default();
        if delta > 0 {
            t.0 += delta as u64;
        } else {
            t.1 += delta.unsigned_abs();
        }
        let (inc_total, dec_total) = *t;
        self.op(OpBody::StockMove(StockMove {
            location: location.clone(),
            sku: sku.parse().expect("sku"),
            delta,
            reason,
            reference: Some(reference.to_owned()),
            inc_total,
            dec_total,
        }))
    }

    /// The receiving transaction of a delivery: the record (every delivery line, counted or
    /// 0, plus extras), in-transit −expected, store +good, and `received` for the stop and its
    /// orders. `counted` is `(sku, received, damaged)`.
    pub fn receive(
        &mut self,
        d: &Delivery,
        counted: &[(&str, u32, u32)],
        by: &str,
    ) -> (ReceivingRecord, Vec<Op>) {
        let mut lines: Vec<ReceivedLine> = d
            .lines
            .iter()
            .map(|l| {
                let c = counted.iter().find(|c| c.0 == l.sku.as_str());
                ReceivedLine {
                    sku: l.sku.clone(),
                    expected: l.qty,
                    received: c.map_or(0, |c| c.1),
                    damaged: c.map_or(0, |c| c.2),
                }
            })
            .collect();
        for (sku, received, damaged) in counted {
            if !d.lines.iter().any(|l| l.sku.as_str() == *sku) {
                lines.push(ReceivedLine {
                    sku: sku.parse().expect("sku"),
                    expected: 0,
                    received: *received,
                    damaged: *damaged,
                });
            }
        }
        let r = ReceivingRecord {
            id: Uuid::now_v7(),
            shipment: d.shipment,
            store: self.store(),
            lines: lines.clone(),
            received_by: by.to_owned(),
            received_ms: hub_server::now_ms() as i64,
            note: None,
        };
        let reference = d.shipment.to_string();
        let transit = LocationId::in_transit_to(&self.store());
        let store = self.store();
        let mut ops = vec![self.op(OpBody::Receiving(r.clone()))];
        for l in &d.lines {
            ops.push(self.mv(
                &transit,
                l.sku.as_str(),
                -i64::from(l.qty),
                StockReason::Receipt,
                &reference,
            ));
        }
        for l in &lines {
            if l.good() > 0 {
                ops.push(self.mv(
                    &store,
                    l.sku.as_str(),
                    i64::from(l.good()),
                    StockReason::Receipt,
                    &reference,
                ));
            }
        }
        let at = r.received_ms;
        let stop = Subject::Stop {
            shipment: d.shipment,
            store: store.clone(),
        };
        ops.push(self.status(stop, Lifecycle::Received, at, by));
        for o in &d.orders {
            ops.push(self.status(Subject::Order { id: *o }, Lifecycle::Received, at, by));
        }
        (r, ops)
    }

    fn absorb(&mut self, f: Frame) -> Option<Frame> {
        match f {
            Frame::Ops(o) => {
                self.backlog.extend(o.ops);
                None
            }
            Frame::DeliveryEta(e) => {
                self.etas.push_back(e);
                None
            }
            other => Some(other),
        }
    }

    /// Push ops and wait for the Ack of everything made so far (keeping downstream traffic).
    pub async fn push(&mut self, ops: Vec<Op>) {
        send(&mut self.ws, &push(ops)).await;
        let want = self.seq;
        loop {
            let f = recv(&mut self.ws).await.expect("closed before the Ack");
            if let Some(Frame::Ack(a)) = self.absorb(f)
                && a.up_to_seq == want
            {
                return;
            }
        }
    }

    /// The next downstream op matching `want` (others are kept).
    pub async fn downstream(&mut self, mut want: impl FnMut(&Op) -> bool) -> Op {
        loop {
            if let Some(i) = self.backlog.iter().position(&mut want) {
                return self.backlog.remove(i).expect("index");
            }
            let f = recv(&mut self.ws).await.expect("closed before the op");
            self.absorb(f);
        }
    }

    /// The delivery of `shipment` to this store, from downstream.
    pub async fn delivery(&mut self, shipment: &str) -> Delivery {
        let id: Uuid = shipment.parse().expect("shipment id");
        match self
            .downstream(|o| matches!(&o.body, OpBody::Delivery(d) if d.shipment == id))
            .await
            .body
        {
            OpBody::Delivery(d) => d,
            _ => unreachable!(),
        }
    }

    /// The next delivery ETA matching `want` (others are dropped).
    pub async fn eta(&mut self, mut want: impl FnMut(&DeliveryEta) -> bool) -> DeliveryEta {
        loop {
            while let Some(e) = self.etas.pop_front() {
                if want(&e) {
                    return e;
                }
            }
            let f = recv(&mut self.ws).await.expect("closed before the ETA");
            self.absorb(f);
        }
    }
}

/// Stores GN01 (Gangnam) and HD02 (Hongdae) with positions, warehouse WH01 and three
/// products, with `wh` units of each at the warehouse.
pub async fn seed_logistics(hub: &TestHub, wh: i64) {
    hub.seed_stores("Icheon").await;
    for (sku, name, price) in [
        ("TSH-001", "Oxford tee", 29_000),
        ("JNS-002", "Slim jeans", 59_000),
        ("CAP-003", "Ball cap", 19_000),
    ] {
        hub.ok(
            "products",
            json!({"sku": sku, "name": name, "price": price}),
        )
        .await;
        hub.receive("WH01", sku, wh).await;
    }
    for (store, (lat, lon)) in [("GN01", GN01_AT), ("HD02", HD02_AT)] {
        let (s, v) = hub
            .patch(
                &format!("stores/{store}/location"),
                json!({"lat": lat, "lon": lon, "geofence_m": 120.0}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
}

/// HQ places an order for `store` and approves it as asked; returns its id.
pub async fn approved_order(hub: &TestHub, store: &str, lines: &[(&str, u32)]) -> String {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty)| json!({"sku": sku, "qty": qty}))
        .collect();
    let o = hub
        .ok(
            "replenishment/orders",
            json!({"store": store, "lines": lines}),
        )
        .await;
    let id = o["id"].as_str().expect("id").to_owned();
    let a = hub
        .ok(&format!("replenishment/orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(a["status"], "approved", "{a}");
    id
}

/// A driver account (display name `name`) logged in.
pub async fn driver<'a>(hub: &'a TestHub, username: &str, name: &str) -> As<'a> {
    create_user(
        hub,
        json!({"username": username, "display_name": name, "role": "driver", "password": PASSWORD}),
    )
    .await;
    let (s, v, _) = login(hub, username, PASSWORD).await;
    assert_eq!(s, 200, "login {username}: {v}");
    As {
        hub,
        token: v["token"].as_str().expect("token").to_owned(),
    }
}

/// Ship approved orders, pick and dispatch them with `driver`; returns the shipment.
pub async fn dispatched(hub: &TestHub, orders: &[&str], driver: &str) -> Value {
    let s = hub.ok("shipments", json!({"orders": orders})).await;
    let id = s["id"].as_str().expect("id").to_owned();
    hub.ok(&format!("shipments/{id}/pick"), json!({})).await;
    let d = hub
        .ok(
            &format!("shipments/{id}/dispatch"),
            json!({"driver": driver, "vehicle": "서울12가3456"}),
        )
        .await;
    assert_eq!(d["status"], "dispatched", "{d}");
    d
}

/// The stop of `store` in a shipment.
pub fn stop<'a>(shipment: &'a Value, store: &str) -> &'a Value {
    shipment["stops"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["store"] == store))
        .unwrap_or_else(|| panic!("stop {store} in {shipment}"))
}
