//! Hub ingest over real WebSockets: many devices push pre-encoded batches
//! of realistic ops (a sale record and its three stock moves per sale),
//! pipelined like the till's sync client, and the clock stops when the last
//! Ack arrives — i.e. when everything is durably committed at the hub.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use storelink_tests::{Hub, HubApi};
use sync_proto::enrol::EnrolResponse;
use sync_proto::state::next_stock_totals;
use sync_proto::wire::{self, Frame, Hello, MAX_OPS_PER_FRAME, Push};
use sync_proto::{
    Hlc, Op, OpBody, ReceiptNo, SaleLine, SaleRecord, Scope, Sku, StockMove, StockReason, Tender,
    TenderKind,
};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Scale;
use crate::report::{Report, median};

/// Batches a pusher keeps in flight (as the till's client does).
const IN_FLIGHT: usize = 8;

/// Frames larger than this are not Acks or Errors (those are tens of bytes).
const SMALL_FRAME: usize = 4_096;

/// One device's pre-encoded Push frames, with the last seq of each.
pub struct Backlog {
    /// Who pushes it.
    pub device: EnrolResponse,
    /// Encoded frames and the last seq each carries.
    pub frames: Vec<(Vec<u8>, u64)>,
    /// Ops in total.
    pub ops: u64,
}

/// `products` SKUs named like the demo's.
pub fn skus(products: usize) -> Vec<Sku> {
    (0..products)
        .map(|i| format!("BEN-{:05}-BLK-M", i).parse().expect("sku"))
        .collect()
}

/// Create `stores` stores (`B0001`…), each with `products` SKUs in stock.
pub fn seed_stores(api: &HubApi, stores: usize) -> Result<Vec<String>> {
    let mut codes = Vec::new();
    for i in 0..stores {
        let code = format!("B{:04}", i + 1);
        api.create_store(&code, &format!("Bench store {i}"), "store")?;
        codes.push(code);
    }
    Ok(codes)
}

/// Add `skus` to the catalog with one CSV import.
pub fn import_catalog(api: &HubApi, skus: &[Sku]) -> Result<()> {
    let mut csv = String::from("sku,name,price,barcode,style,colour,size,category\n");
    for (i, sku) in skus.iter().enumerate() {
        csv.push_str(&format!(
            "{sku},Bench item {i},{},,BEN-{i:05},black,M,tops\n",
            10_000 + (i % 50) as i64 * 1_000
        ));
    }
    let v = api.post_csv("products/import", csv)?;
    if v["imported"].as_u64() != Some(skus.len() as u64) {
        bail!("catalog import: {v}");
    }
    Ok(())
}

/// Enrol `per_store` raw devices in each store.
pub fn enrol_devices(
    hub: &Hub,
    api: &HubApi,
    stores: &[String],
    per_store: usize,
) -> Result<Vec<EnrolResponse>> {
    let mut devices = Vec::new();
    for store in stores {
        for _ in 0..per_store {
            devices.push(storelink_tests::enrol_device(hub, api, store)?);
        }
    }
    Ok(devices)
}

/// Enrol `per_store` raw devices in each store and build each one's backlog
/// of `sales` three-line sales.
pub fn device_backlogs(
    hub: &Hub,
    api: &HubApi,
    stores: &[String],
    per_store: usize,
    skus: &[Sku],
    sales: u64,
) -> Result<Vec<Backlog>> {
    enrol_devices(hub, api, stores, per_store)?
        .into_iter()
        .map(|d| build_backlog(d, skus, sales))
        .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Build `sales` three-line sales (4 ops each) for one device, encoded.
pub fn build_backlog(device: EnrolResponse, skus: &[Sku], sales: u64) -> Result<Backlog> {
    let actor = device.actor;
    let store = device.store.clone();
    let scope = Scope::Store(store.clone());
    let wall = now_ms();
    let mut totals: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    let mut ops = Vec::with_capacity(sales as usize * 4);
    let mut seq = 0u64;
    let mut next = |body: OpBody, ops: &mut Vec<Op>| {
        seq += 1;
        ops.push(Op {
            actor,
            seq,
            hlc: Hlc {
                wall_ms: wall,
                counter: seq as u32,
                actor,
            },
            scope: scope.clone(),
            body,
        });
    };
    for s in 0..sales {
        let picks: Vec<usize> = (0..3)
            .map(|k| ((s * 7 + k * 13) as usize) % skus.len())
            .collect();
        let lines: Vec<SaleLine> = picks
            .iter()
            .map(|&i| SaleLine {
                sku: skus[i].clone(),
                name: format!("Bench item {i}"),
                qty: 1,
                unit_price: 10_000,
                discount: 0,
                line_total: 10_000,
            })
            .collect();
        let id = uuid::Uuid::now_v7();
        next(
            OpBody::Sale(SaleRecord {
                id,
                receipt: ReceiptNo::new(&store, device.till_no, s + 1),
                store: store.clone(),
                till: actor,
                cashier: None,
                member: None,
                lines,
                tenders: vec![Tender {
                    kind: TenderKind::Card,
                    amount: 30_000,
                }],
                total: 30_000,
                change_given: 0,
                currency: "KRW".into(),
                sold_at_ms: wall,
            }),
            &mut ops,
        );
        for &i in &picks {
            let (inc, dec) = totals.get(&i).copied().unwrap_or((0, 0));
            let (inc, dec) = next_stock_totals(inc, dec, -1);
            totals.insert(i, (inc, dec));
            next(
                OpBody::StockMove(StockMove {
                    location: store.clone(),
                    sku: skus[i].clone(),
                    delta: -1,
                    reason: StockReason::Sale,
                    reference: Some(id.to_string()),
                    inc_total: inc,
                    dec_total: dec,
                }),
                &mut ops,
            );
        }
    }
    let total = ops.len() as u64;
    let mut frames = Vec::new();
    for chunk in ops.chunks(MAX_OPS_PER_FRAME) {
        let last = chunk.last().map(|o| o.seq).unwrap_or(0);
        frames.push((
            wire::encode(&Frame::Push(Push {
                ops: chunk.to_vec(),
            }))?,
            last,
        ));
    }
    Ok(Backlog {
        device,
        frames,
        ops: total,
    })
}

/// Connect, say Hello, and wait for Welcome; then on `go`, push the backlog
/// pipelined and return when the last op is acked.
pub async fn push_backlog(
    url: String,
    backlog: Backlog,
    go: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let ws_url = format!("{}{}", url.replacen("http", "ws", 1), wire::SYNC_PATH);
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", backlog.device.credential).parse()?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (mut tx, mut rx) = ws.split();
    let hello = Frame::Hello(Hello {
        actor: backlog.device.actor,
        last_seq: backlog.ops,
        cursor: 1,
        app_version: "bench".into(),
    });
    tx.send(Message::Binary(wire::encode(&hello)?.into()))
        .await?;
    let mut acked = loop {
        match rx.next().await {
            Some(Ok(Message::Binary(b))) => match wire::decode(&b)? {
                Frame::Welcome(w) => break w.acked_seq,
                Frame::Error(e) => bail!("refused: {:?} {}", e.code, e.message),
                _ => continue,
            },
            Some(Ok(_)) => continue,
            _ => bail!("closed before Welcome"),
        }
    };
    let mut go = go;
    go.wait_for(|g| *g).await?;
    let last = backlog.ops;
    let mut frames = backlog.frames.into_iter().peekable();
    let mut in_flight: std::collections::VecDeque<u64> = Default::default();
    while acked < last {
        while in_flight.len() < IN_FLIGHT {
            match frames.next() {
                Some((bytes, seq)) => {
                    tx.send(Message::Binary(bytes.into())).await?;
                    in_flight.push_back(seq);
                }
                None => break,
            }
        }
        let msg = tokio::time::timeout(Duration::from_secs(60), rx.next())
            .await
            .context("no ack within 60 s")?;
        match msg {
            // Ops frames (the store-mate's sales fanned out) are real hub work to send,
            // but decoding them is the till's work on its own machine: skip it here so
            // the load generator does not eat the hub's CPU. Acks and Errors are small.
            Some(Ok(Message::Binary(b))) if b.len() > SMALL_FRAME => {}
            Some(Ok(Message::Binary(b))) => match wire::decode(&b)? {
                Frame::Ack(a) => {
                    acked = acked.max(a.up_to_seq);
                    while in_flight.front().is_some_and(|s| *s <= acked) {
                        in_flight.pop_front();
                    }
                }
                Frame::Error(e) => bail!("refused: {:?} {}", e.code, e.message),
                _ => {}
            },
            Some(Ok(_)) => {}
            _ => bail!("connection closed at ack {acked} of {last}"),
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    Ok(())
}

/// Push every backlog at once; returns the wall time from "go" to the last ack.
pub fn push_all(url: &str, backlogs: Vec<Backlog>) -> Result<Duration> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (go_tx, go_rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for b in backlogs {
            tasks.push(tokio::spawn(push_backlog(url.to_owned(), b, go_rx.clone())));
        }
        // Let every connection reach Welcome before starting the clock.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let start = Instant::now();
        go_tx.send(true)?;
        for t in tasks {
            t.await??;
        }
        Ok(start.elapsed())
    })
}

/// Ingest from 100 concurrent tills.
pub fn run(report: &mut Report, scale: Scale) -> Result<()> {
    let mut rates = Vec::new();
    let sales_per_till = 2_500 / scale.shrink;
    let mut total_ops = 0;
    for _ in 0..scale.runs {
        let dir = tempfile::tempdir()?;
        let hub = Hub::start(dir.path())?;
        let api = HubApi::login(&hub)?;
        let skus = skus(200);
        import_catalog(&api, &skus)?;
        let stores = seed_stores(&api, 50)?;
        let backlogs = device_backlogs(&hub, &api, &stores, 2, &skus, sales_per_till)?;
        total_ops = backlogs.iter().map(|b| b.ops).sum::<u64>();
        let took = push_all(&hub.url(), backlogs)?;
        // Check the work was done: every sale is at the hub.
        let (count, _) = api.sales_summary(None)?;
        if count as u64 != 100 * sales_per_till {
            bail!("hub holds {count} sales, expected {}", 100 * sales_per_till);
        }
        rates.push(total_ops as f64 / took.as_secs_f64());
    }
    let rate = median(rates);
    report.add(
        "hub: ops ingested over WebSockets from 100 tills",
        format!("{rate:.0} ops/s"),
        "≥ 200,000 ops/s",
        Some(rate >= 200_000.0),
        report.vs_bulk(rate),
        format!(
            "{total_ops} ops (sale record + 3 stock moves per sale), 50 stores × 2 tills, 8 batches of ≤1,000 in flight per till, clock stops at the last Ack (committed); median of {} runs; load generator on the same 2 cores",
            scale.runs
        ),
    );
    Ok(())
}
