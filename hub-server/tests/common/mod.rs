//! Test harness: an in-process hub on `127.0.0.1:0`, an HQ REST client and a
//! raw sync client speaking `sync_proto` frames over tokio-tungstenite.
//! `till` adds a raw till that sells any SKU at chosen times (the console
//! data tests); `console` adds sessions of other users than the admin and
//! the live event WebSocket.

#![allow(dead_code)]

mod console;
mod logistics;
mod till;

// Every test file takes the whole harness; not each uses every part.
#[allow(unused_imports)]
pub use console::*;
#[allow(unused_imports)]
pub use logistics::*;
#[allow(unused_imports)]
pub use till::*;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sync_proto::enrol::{EnrolRequest, EnrolResponse};
use sync_proto::wire::{self, Command, ErrorCode, Frame, Hello, Push, Welcome};
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
        TestHub::start_in(tempfile::tempdir().expect("tempdir")).await
    }

    /// A hub on the data of `dir` (a fresh one, or what [`TestHub::stop_keeping_data`] left).
    pub async fn start_in(dir: tempfile::TempDir) -> TestHub {
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

    /// Stop the hub and hand back its data directory, to start a hub on it again.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("hub stops in time");
            r.expect("join").expect("hub result");
        }
        self._dir
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

    /// `{url}/api/v1/{path}`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.url)
    }

    /// POST JSON with the admin token; returns (status, body).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        admin(self).post(path, body).await
    }

    /// GET with the admin token; returns (status, body).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        admin(self).get(path).await
    }

    /// PATCH JSON with the admin token; returns (status, body).
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        admin(self).patch(path, body).await
    }

    /// GET a text answer (CSV) with the admin token: (status, content type, body).
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(self.api(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, ct, r.text().await.expect("text"))
    }

    /// POST that must succeed.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.post(path, body).await;
        assert!((200..300).contains(&s), "POST {path} → {s}: {v}");
        v
    }

    /// Stores GN01 (Gangnam), HD02 (Hongdae) and the warehouse WH01 named `warehouse`.
    pub async fn seed_stores(&self, warehouse: &str) {
        for (code, name, kind) in [
            ("GN01", "Gangnam", "store"),
            ("HD02", "Hongdae", "store"),
            ("WH01", warehouse, "warehouse"),
        ] {
            self.ok(
                "stores",
                json!({"code": code, "name": name, "kind": kind, "currency": "KRW"}),
            )
            .await;
        }
    }

    /// Two stores, a warehouse, one product, 100 units at each store.
    pub async fn seed(&self) {
        self.seed_stores("Warehouse").await;
        self.ok(
            "products",
            json!({"sku": "TSH-001", "name": "Oxford tee", "price": 29000, "barcode": "8800000000017"}),
        )
        .await;
        for store in ["GN01", "HD02"] {
            self.receive(store, "TSH-001", 100).await;
        }
    }

    /// Stores GN01, HD02, warehouse WH01 (Icheon) and products
    /// `(sku, price, style, colour, size, category)`.
    pub async fn seed_products(&self, products: &[Product]) {
        self.seed_stores("Icheon").await;
        for (sku, price, style, colour, size, category) in products {
            self.ok(
                "products",
                json!({"sku": sku, "name": format!("{style} {colour} {size}"), "price": price,
                       "style": style, "colour": colour, "size": size, "category": category}),
            )
            .await;
        }
    }

    /// A stock receipt of `delta` units of `sku` at `location` (must succeed).
    pub async fn receive(&self, location: &str, sku: &str, delta: i64) {
        self.ok(
            "stock/adjustments",
            json!({"location": location, "sku": sku, "delta": delta, "reason": "receipt"}),
        )
        .await;
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

/// A product of the console data tests: `(sku, price, style, colour, size, category)`.
pub type Product = (
    &'static str,
    i64,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Unit price of the tee of [`TEE_AND_JEANS`].
pub const TEE: i64 = 29_000;
/// Unit price of the jeans of [`TEE_AND_JEANS`].
pub const JEANS: i64 = 59_000;
/// A tee (tops) and jeans (bottoms).
pub const TEE_AND_JEANS: &[Product] = &[
    ("TSH-001", TEE, "TSH", "BLK", "M", "tops"),
    ("JNS-002", JEANS, "JNS", "IND", "30", "bottoms"),
];
/// Two styles: jeans in two sizes, a tee in two colours and two sizes.
pub const VARIANTS: &[Product] = &[
    ("JNS-001-IND-30", 59_000, "JNS-001", "IND", "30", "bottoms"),
    ("JNS-001-IND-32", 59_000, "JNS-001", "IND", "32", "bottoms"),
    ("TSH-001-BLK-M", 29_000, "TSH-001", "BLK", "M", "tops"),
    ("TSH-001-BLK-L", 29_000, "TSH-001", "BLK", "L", "tops"),
    ("TSH-001-WHT-M", 29_000, "TSH-001", "WHT", "M", "tops"),
];

/// Send a request with a bearer token; (status, JSON body or null).
pub async fn json_answer(r: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let r = r.bearer_auth(token).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The error code of a JSON error answer ("" when there is none).
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

/// A JSON error answer: the status, the code and a non-empty message.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// [`assert_error`] of a `(status, body)` answer.
pub fn assert_refused(got: (u16, Value), status: u16, code: &str) {
    assert_error(got.0, &got.1, status, code);
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open a WebSocket at `url` (http or https) with an optional header;
/// Err(status) when refused before the upgrade.
pub async fn ws_connect(url: &str, header: Option<(&'static str, String)>) -> Result<Ws, u16> {
    let mut req = url
        .replacen("http", "ws", 1)
        .into_client_request()
        .expect("request");
    if let Some((name, value)) = header {
        req.headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

/// Open `/sync/v1` with a credential; Err(status) when refused before upgrade.
pub async fn connect(url: &str, credential: &str) -> Result<Ws, u16> {
    ws_connect(
        &format!("{url}{}", wire::SYNC_PATH),
        Some(("authorization", format!("Bearer {credential}"))),
    )
    .await
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

/// The next Command frame (skipping other traffic); panics on close.
pub async fn next_command(ws: &mut Ws) -> Command {
    match recv_until(ws, |f| matches!(f, Frame::Command(_))).await {
        Frame::Command(c) => c,
        _ => unreachable!(),
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
