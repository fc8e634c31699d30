//! A raw till that sells any SKU with cashiers, members and returns at
//! chosen times, signs members up, and keeps its own seq and per-SKU stock
//! totals; local business days of the hub (+09:00).

use std::collections::HashMap;

use sync_proto::enrol::EnrolResponse;
use sync_proto::people::{MemberField, MemberSet, member_id_for_phone};
use sync_proto::wire::{Frame, SnapshotChunk};
use sync_proto::{
    Hlc, Op, OpBody, ReceiptNo, ReturnLine, ReturnRecord, SaleLine, SaleRecord, Scope, StockMove,
    StockReason, Tender, TenderKind,
};
use uuid::Uuid;

use super::{TestHub, Ws, connect, hello, push, recv, recv_until, send};

/// Hours and days in ms.
pub const HOUR: u64 = 3_600_000;
/// A day in ms.
pub const DAY: u64 = 86_400_000;
/// The hub's report offset (+09:00).
pub const OFFSET: u64 = 9 * HOUR;

/// Today's local day number.
pub fn today() -> u64 {
    (hub_server::now_ms() + OFFSET) / DAY
}

/// Epoch ms of local `hour:minute` on local day `day`.
pub fn at(day: u64, hour: u64, minute: u64) -> u64 {
    day * DAY + hour * HOUR + minute * 60_000 - OFFSET
}

/// `YYYY-MM-DD` of a local day.
pub fn date(day: u64) -> String {
    hub_server::api::reports::date_text(day as i64)
}

/// A raw till connected to the hub.
pub struct Till {
    pub e: EnrolResponse,
    pub ws: Ws,
    pub seq: u64,
    receipts: u64,
    totals: HashMap<String, (u64, u64)>,
    /// Records (winning ops) of the bootstrap snapshot.
    pub snapshot_records: Vec<Op>,
}

impl Till {
    /// Enrol a till of `store`, connect, take the snapshot and catch up.
    pub async fn open(hub: &TestHub, store: &str) -> Till {
        let e = hub.enrol(store).await;
        let mut ws = connect(&hub.url, &e.credential).await.expect("connect");
        hello(&mut ws, e.actor, 0, 0).await;
        let mut snapshot_records = Vec::new();
        loop {
            match recv(&mut ws).await.expect("frame") {
                Frame::Snapshot(SnapshotChunk { records, .. }) => snapshot_records.extend(records),
                Frame::Ops(o) if o.caught_up => break,
                _ => {}
            }
        }
        Till {
            e,
            ws,
            seq: 0,
            receipts: 0,
            totals: HashMap::new(),
            snapshot_records,
        }
    }

    fn op(&mut self, scope: Scope, body: OpBody) -> Op {
        self.seq += 1;
        Op {
            actor: self.e.actor,
            seq: self.seq,
            hlc: Hlc {
                wall_ms: hub_server::now_ms(),
                counter: self.seq as u32,
                actor: self.e.actor,
            },
            scope,
            body,
        }
    }

    fn mv(&mut self, sku: &str, delta: i64, reason: StockReason, reference: &str) -> Op {
        let t = self.totals.entry(sku.to_owned()).or_default();
        if delta > 0 {
            t.0 += delta as u64;
        } else {
            t.1 += delta.unsigned_abs();
        }
        let (inc_total, dec_total) = *t;
        let store = self.e.store.clone();
        self.op(
            Scope::Store(store.clone()),
            OpBody::StockMove(StockMove {
                location: store,
                sku: sku.parse().expect("sku"),
                delta,
                reason,
                reference: Some(reference.to_owned()),
                inc_total,
                dec_total,
            }),
        )
    }

    /// A sale of `(sku, qty, unit price)` lines and its stock moves.
    pub fn sale(
        &mut self,
        lines: &[(&str, u32, i64)],
        cashier: Option<&str>,
        member: Option<Uuid>,
        sold_at_ms: u64,
    ) -> (SaleRecord, Vec<Op>) {
        self.receipts += 1;
        let lines: Vec<SaleLine> = lines
            .iter()
            .map(|(sku, qty, price)| SaleLine {
                sku: sku.parse().expect("sku"),
                name: sku.to_string(),
                qty: *qty,
                unit_price: *price,
                discount: 0,
                line_total: i64::from(*qty) * price,
            })
            .collect();
        let total = lines.iter().map(|l| l.line_total).sum();
        let sale = SaleRecord {
            id: Uuid::now_v7(),
            receipt: ReceiptNo::new(&self.e.store, self.e.till_no, self.receipts),
            store: self.e.store.clone(),
            till: self.e.actor,
            cashier: cashier.map(str::to_owned),
            member,
            lines,
            tenders: vec![Tender {
                kind: TenderKind::Card,
                amount: total,
            }],
            total,
            change_given: 0,
            currency: "KRW".into(),
            sold_at_ms,
        };
        let store = self.e.store.clone();
        let mut ops = vec![self.op(Scope::Store(store), OpBody::Sale(sale.clone()))];
        let receipt = sale.receipt.to_string();
        for l in &sale.lines {
            ops.push(self.mv(
                l.sku.as_str(),
                -i64::from(l.qty),
                StockReason::Sale,
                &receipt,
            ));
        }
        (sale, ops)
    }

    /// A return of `(sku, qty)` lines of `sale` at the sale's unit prices.
    pub fn ret(&mut self, sale: &SaleRecord, lines: &[(&str, u32)], at_ms: u64) -> Vec<Op> {
        self.receipts += 1;
        let lines: Vec<ReturnLine> = lines
            .iter()
            .map(|(sku, qty)| {
                let price = sale
                    .lines
                    .iter()
                    .find(|l| l.sku.as_str() == *sku)
                    .map(|l| l.unit_price)
                    .expect("sku of the sale");
                ReturnLine {
                    sku: sku.parse().expect("sku"),
                    qty: *qty,
                    refund: i64::from(*qty) * price,
                }
            })
            .collect();
        let total_refund = lines.iter().map(|l| l.refund).sum();
        let r = ReturnRecord {
            id: Uuid::now_v7(),
            receipt: ReceiptNo::new(&self.e.store, self.e.till_no, self.receipts),
            original_sale: sale.id,
            original_receipt: sale.receipt.clone(),
            store: self.e.store.clone(),
            till: self.e.actor,
            lines,
            refunds: vec![Tender {
                kind: TenderKind::Card,
                amount: total_refund,
            }],
            total_refund,
            currency: "KRW".into(),
            returned_at_ms: at_ms,
        };
        let store = self.e.store.clone();
        let reference = r.receipt.to_string();
        let mut ops = vec![self.op(Scope::Store(store), OpBody::Return(r.clone()))];
        for l in &r.lines {
            ops.push(self.mv(
                l.sku.as_str(),
                i64::from(l.qty),
                StockReason::Return,
                &reference,
            ));
        }
        ops
    }

    /// A member signed up at this till (offline-capable MemberSet ops).
    pub fn signup(
        &mut self,
        phone: &str,
        name: &str,
        birth_year: u16,
        at_ms: u64,
    ) -> (Uuid, Vec<Op>) {
        let member = member_id_for_phone(phone).expect("phone");
        let phone = sync_proto::people::normalise_phone(phone).expect("phone");
        let fields = vec![
            MemberField::Phone(phone),
            MemberField::Name(name.to_owned()),
            MemberField::BirthYear(Some(birth_year)),
            MemberField::HomeStore(self.e.store.clone()),
            MemberField::SignedUpAtMs(at_ms),
            MemberField::MarketingConsent(true),
        ];
        let ops = fields
            .into_iter()
            .map(|field| {
                self.op(
                    Scope::Broadcast,
                    OpBody::MemberSet(MemberSet { member, field }),
                )
            })
            .collect();
        (member, ops)
    }

    /// Push ops and wait for the hub's Ack of everything made so far.
    pub async fn push(&mut self, ops: Vec<Op>) {
        send(&mut self.ws, &push(ops)).await;
        let want = self.seq;
        recv_until(
            &mut self.ws,
            |f| matches!(f, Frame::Ack(a) if a.up_to_seq == want),
        )
        .await;
    }

    /// Wait for a downstream op matching `want`.
    pub async fn downstream(&mut self, mut want: impl FnMut(&Op) -> bool) -> Op {
        loop {
            if let Frame::Ops(o) = recv_until(&mut self.ws, |f| matches!(f, Frame::Ops(_))).await
                && let Some(op) = o.ops.into_iter().find(|op| want(op))
            {
                return op;
            }
        }
    }
}
