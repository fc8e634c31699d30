//! Test harness: an in-process hub on `127.0.0.1:0`, an HQ REST client and a
//! raw sync client speaking `sync_proto` frames over tokio-tungstenite.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sync_proto::enrol::{EnrolRequest, EnrolResponse};
use sync_proto::wire::{self, ErrorCode, Frame, Hello, Push, Welcome};
use sync_proto::{
    ActorId, Hlc, Op, OpBody, ReceiptNo, SaleLine, SaleRecord, Scope, StockMove, StockReason,
    StoreId, Tender, TenderKind,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// A hub running in this process.
pub struct TestHub {
    pub url: String,
    pub http: reqwest::Client,
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), hub_server::HubError>>>,
    _dir: tempfile::TempDir,
}

impl TestHub {
    pub async fn start() -> TestHub {
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut settings = hub_server::Settings::new(dir.path().join("hub"));
        settings.admin_password = Some(ADMIN_PASSWORD.into());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(hub_server::launch(settings, listener, async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{url}/readyz")).send().await
                && r.status() == 200
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let login: Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        let token = login["token"].as_str().expect("token").to_owned();
        TestHub {
            url,
            http,
            token,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stop the hub and wait for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("hub stops in time");
            r.expect("join").expect("hub result");
        }
    }

    /// POST JSON with the admin token; returns (status, body).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/{path}", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GET with the admin token; returns (status, body).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}/api/v1/{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POST that must succeed.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.post(path, body).await;
        assert!((200..300).contains(&s), "POST {path} → {s}: {v}");
        v
    }

    /// Two stores, a warehouse, one product, 100 units at each store.
    pub async fn seed(&self) {
        for (code, name, kind) in [
            ("GN01", "Gangnam", "store"),
            ("HD02", "Hongdae", "store"),
            ("WH01", "Warehouse", "warehouse"),
        ] {
            self.ok(
                "stores",
                json!({"code": code, "name": name, "kind": kind, "currency": "KRW"}),
            )
            .await;
        }
        self.ok(
            "products",
            json!({"sku": "TSH-001", "name": "Oxford tee", "price": 29000, "barcode": "8800000000017"}),
        )
        .await;
        for store in ["GN01", "HD02"] {
            self.ok(
                "stock/adjustments",
                json!({"location": store, "sku": "TSH-001", "delta": 100, "reason": "receipt"}),
            )
            .await;
        }
    }

    /// Enrol a fresh device of `store`, connect it and get past `Hello`.
    pub async fn welcomed(&self, store: &str, last_seq: u64, cursor: u64) -> (EnrolResponse, Ws) {
        let e = self.enrol(store).await;
        let mut ws = connect(&self.url, &e.credential).await.expect("connect");
        hello(&mut ws, e.actor, last_seq, cursor).await;
        (e, ws)
    }

    /// Enrol a device of `store` over REST.
    pub async fn enrol(&self, store: &str) -> EnrolResponse {
        let code = self
            .ok(&format!("stores/{store}/enrolment-codes"), json!({}))
            .await;
        let r = self
            .http
            .post(format!("{}/api/v1/enrol", self.url))
            .json(&EnrolRequest {
                code: code["code"].as_str().expect("code").to_owned(),
                app_version: "test".into(),
            })
            .send()
            .await
            .expect("enrol");
        assert_eq!(r.status(), 200);
        r.json().await.expect("enrol json")
    }

    /// Stock of `sku` at `location` as the hub reports it.
    pub async fn stock_at(&self, sku: &str, location: &str) -> i64 {
        let (s, v) = self
            .get(&format!("stock?sku={sku}&location={location}"))
            .await;
        assert_eq!(s, 200, "{v}");
        v["locations"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["location"] == location))
            .and_then(|x| x["qty"].as_i64())
            .unwrap_or(0)
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open `/sync/v1` with a credential; Err(status) when refused before upgrade.
pub async fn connect(url: &str, credential: &str) -> Result<Ws, u16> {
    let ws_url = format!("{}{}", url.replacen("http", "ws", 1), wire::SYNC_PATH);
    let mut req = ws_url.into_client_request().expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

pub async fn send(ws: &mut Ws, frame: &Frame) {
    ws.send(Message::Binary(wire::encode(frame).expect("encode").into()))
        .await
        .expect("send");
}

/// Next frame (skipping protocol pings); None when closed.
pub async fn recv(ws: &mut Ws) -> Option<Frame> {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s");
        match next {
            None | Some(Err(_)) => return None,
            Some(Ok(Message::Binary(b))) => {
                return Some(wire::decode(&b).expect("decodable frame"));
            }
            Some(Ok(Message::Close(_))) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Read until `want` matches; panics on close.
pub async fn recv_until(ws: &mut Ws, mut want: impl FnMut(&Frame) -> bool) -> Frame {
    loop {
        match recv(ws).await {
            Some(f) if want(&f) => return f,
            Some(_) => continue,
            None => panic!("connection closed before the expected frame"),
        }
    }
}

/// The Error frame that must come (skipping downstream traffic), then close.
pub async fn refusal(ws: &mut Ws) -> ErrorCode {
    loop {
        match recv(ws).await {
            Some(Frame::Error(e)) => {
                // The hub closes after an Error frame.
                let mut closed = false;
                for _ in 0..50 {
                    match recv(ws).await {
                        None => {
                            closed = true;
                            break;
                        }
                        Some(_) => continue,
                    }
                }
                assert!(closed, "the hub closes the connection after an Error frame");
                return e.code;
            }
            Some(Frame::Ops(_) | Frame::Snapshot(_) | Frame::Ping(_) | Frame::Welcome(_)) => {
                continue;
            }
            Some(other) => panic!("expected an Error frame, got {}", other.kind()),
            None => panic!("closed without an Error frame"),
        }
    }
}

pub async fn hello(ws: &mut Ws, actor: ActorId, last_seq: u64, cursor: u64) -> Welcome {
    send(
        ws,
        &Frame::Hello(Hello {
            actor,
            last_seq,
            cursor,
            app_version: "test".into(),
        }),
    )
    .await;
    match recv(ws).await {
        Some(Frame::Welcome(w)) => w,
        other => panic!("expected Welcome, got {other:?}"),
    }
}

/// A till with its own op numbering and stock totals.
pub struct TillOps {
    pub actor: ActorId,
    pub store: StoreId,
    pub till_no: u32,
    pub seq: u64,
    pub receipts: u64,
    pub dec_total: u64,
}

impl TillOps {
    pub fn new(e: &EnrolResponse) -> TillOps {
        TillOps {
            actor: e.actor,
            store: e.store.clone(),
            till_no: e.till_no,
            seq: 0,
            receipts: 0,
            dec_total: 0,
        }
    }

    fn next(&mut self, body: OpBody) -> Op {
        self.seq += 1;
        Op {
            actor: self.actor,
            seq: self.seq,
            hlc: Hlc {
                wall_ms: hub_server::now_ms(),
                counter: self.seq as u32,
                actor: self.actor,
            },
            scope: Scope::Store(self.store.clone()),
            body,
        }
    }

    /// A sale of `qty` × TSH-001 and its stock move: two ops.
    pub fn sale(&mut self, qty: u32) -> Vec<Op> {
        self.receipts += 1;
        let total = 29_000 * i64::from(qty);
        let sale = SaleRecord {
            id: uuid::Uuid::now_v7(),
            receipt: ReceiptNo::new(&self.store, self.till_no, self.receipts),
            store: self.store.clone(),
            till: self.actor,
            cashier: None,
            member: None,
            lines: vec![SaleLine {
                sku: "TSH-001".parse().expect("sku"),
                name: "Oxford tee".into(),
                qty,
                unit_price: 29_000,
                discount: 0,
                line_total: total,
            }],
            tenders: vec![Tender {
                kind: TenderKind::Card,
                amount: total,
            }],
            total,
            change_given: 0,
            currency: "KRW".into(),
            sold_at_ms: hub_server::now_ms(),
        };
        self.dec_total += u64::from(qty);
        let mv = StockMove {
            location: self.store.clone(),
            sku: "TSH-001".parse().expect("sku"),
            delta: -i64::from(qty),
            reason: StockReason::Sale,
            reference: Some(sale.receipt.to_string()),
            inc_total: 0,
            dec_total: self.dec_total,
        };
        vec![
            self.next(OpBody::Sale(sale)),
            self.next(OpBody::StockMove(mv)),
        ]
    }
}

pub fn push(ops: Vec<Op>) -> Frame {
    Frame::Push(Push { ops })
}
