//! # End-to-end harness: real hub and real till processes
//!
//! The workspace-level tests in `tests/tests/` start the real `hub-server`
//! binary on `127.0.0.1` (port 0 first, the same port on restart), drive it
//! over its REST API, and run real `pos-agent` processes against it — so a
//! `kill -9` is a real `SIGKILL` of a real process with real files.
//!
//! - [`binaries`] builds (once per test process) and locates the binaries.
//! - [`Hub`] starts, kills and restarts a hub on a data directory.
//! - [`HubApi`] is a logged-in REST client for the HQ side.
//! - [`Till`] runs `pos-agent` commands on a till data directory.
//! - [`RawSync`] speaks sync frames directly, for tests of what a
//!   misbehaving or hostile till can send.
//! - [`browser_e2e`] runs the console's browser scripts against a real hub.
//! - [`desktop`] drives the real POS desktop app under Xvfb through
//!   tauri-driver (WebDriver).

pub mod browser_e2e;
pub mod desktop;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sync_proto::wire::{self, Frame};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Password of the `admin` account of every test hub.
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// Paths of the two binaries under test.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `hub-server`.
    pub hub: PathBuf,
    /// `pos-agent`.
    pub till: PathBuf,
    /// `storelink-pos` (the desktop app).
    pub pos: PathBuf,
}

/// The target directory of this test process (`target/` or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let mut profile_dir = exe.parent().expect("executable directory").to_path_buf();
    if profile_dir.file_name().is_some_and(|n| n == "deps") {
        profile_dir.pop();
    }
    profile_dir.parent().expect("target dir").to_path_buf()
}

/// Build the binaries once per test process (a no-op when fresh) and return
/// their paths, in the same target directory as this test binary.
pub fn binaries() -> &'static Binaries {
    static BINS: OnceLock<Binaries> = OnceLock::new();
    BINS.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test> (tests) or target/<profile>/<bin> (benchmarks)
        let mut profile_dir = exe.parent().expect("executable directory").to_path_buf();
        if profile_dir.file_name().is_some_and(|n| n == "deps") {
            profile_dir.pop();
        }
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        // The same package set as `cargo xtask test` / `cargo xtask bench` build,
        // so features resolve identically and this is a no-op after them.
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.args([
                "build",
                "--quiet",
                "--release",
                "-p",
                "hub-server",
                "-p",
                "pos-agent",
                "-p",
                "storelink-bench",
                "-p",
                "storelink-pos",
            ]);
        } else {
            cmd.args(["build", "--quiet", "--workspace", "--bins"]);
        }
        cmd.env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        // `STORELINK_PREBUILT=1`: the binaries needed are built already (say only
        // `hub-server` and the bench, for one benchmark on a busy machine); build nothing.
        if std::env::var_os("STORELINK_PREBUILT").is_none() {
            let status = cmd.status().expect("run cargo build");
            assert!(status.success(), "building hub-server and pos-agent failed");
        }
        Binaries {
            hub: profile_dir.join("hub-server"),
            till: profile_dir.join("pos-agent"),
            pos: profile_dir.join("storelink-pos"),
        }
    })
}

/// A hub process on a data directory.
pub struct Hub {
    data_dir: PathBuf,
    child: Option<Child>,
    /// `127.0.0.1:PORT` it listens on (kept across restarts).
    pub addr: String,
}

impl Hub {
    /// Start a hub on a fresh port.
    pub fn start(data_dir: &Path) -> Result<Hub> {
        let mut hub = Hub {
            data_dir: data_dir.to_path_buf(),
            child: None,
            addr: "127.0.0.1:0".into(),
        };
        hub.spawn()?;
        Ok(hub)
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn spawn(&mut self) -> Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("hub.log"))?;
        let mut child = Command::new(&binaries().hub)
            .args(["serve", "--data-dir"])
            .arg(&self.data_dir)
            .args(["--listen", &self.addr, "--admin-password", ADMIN_PASSWORD])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .context("spawn hub-server")?;
        let stdout = child.stdout.take().context("hub stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.trim().to_owned());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).map_err(|_| {
            anyhow!(
                "hub did not report its address; see {:?}",
                self.data_dir.join("hub.log")
            )
        })?;
        self.addr = addr;
        self.child = Some(child);
        wait_until(Duration::from_secs(10), || {
            http_status(&format!("{}/readyz", self.url())) == Some(200)
        })
        .context("hub never became ready")?;
        Ok(())
    }

    /// `kill -9` the hub: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start the hub again on the same data directory and port.
    pub fn restart(&mut self) -> Result<()> {
        self.kill9();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline => {
                    eprintln!("hub restart retry: {e:#}");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Process id of the running hub.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Is the process still alive?
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn http_status(url: &str) -> Option<u16> {
    reqwest::blocking::Client::new()
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .ok()
        .map(|r| r.status().as_u16())
}

/// Poll `f` every 50 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("condition not met within {timeout:?}")
}

/// A logged-in HQ client of a hub's REST API.
pub struct HubApi {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl HubApi {
    /// Log in as `admin`.
    pub fn login(hub: &Hub) -> Result<HubApi> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let resp = http
            .post(format!("{}/api/v1/auth/login", hub.url()))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()?;
        if !resp.status().is_success() {
            bail!("login failed: {} {}", resp.status(), resp.text()?);
        }
        let body: Value = resp.json()?;
        let token = body["token"]
            .as_str()
            .context("login answer has a token")?
            .to_owned();
        Ok(HubApi {
            base: hub.url(),
            token,
            http,
        })
    }

    /// The session token (for clients of the live event socket).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// POST JSON, expect success, return the JSON answer.
    pub fn post(&self, path: &str, body: Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()?;
        if !resp.status().is_success() {
            bail!("POST {path} → {}: {}", resp.status(), resp.text()?);
        }
        Ok(resp.json()?)
    }

    /// POST JSON, expect success, ignore the answer (for 204 No Content).
    pub fn post_empty(&self, path: &str, body: Value) -> Result<()> {
        let resp = self
            .http
            .post(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()?;
        if !resp.status().is_success() {
            bail!("POST {path} → {}: {}", resp.status(), resp.text()?);
        }
        Ok(())
    }

    /// POST a CSV body.
    pub fn post_csv(&self, path: &str, csv: String) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()?;
        if !resp.status().is_success() {
            bail!("POST {path} → {}: {}", resp.status(), resp.text()?);
        }
        Ok(resp.json()?)
    }

    /// GET, expect success, return the JSON answer.
    pub fn get(&self, path: &str) -> Result<Value> {
        let resp = self
            .http
            .get(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.token)
            .send()?;
        if !resp.status().is_success() {
            bail!("GET {path} → {}: {}", resp.status(), resp.text()?);
        }
        Ok(resp.json()?)
    }

    /// Create a store (or warehouse) with KRW prices.
    pub fn create_store(&self, code: &str, name: &str, kind: &str) -> Result<Value> {
        self.post(
            "stores",
            json!({"code": code, "name": name, "kind": kind, "currency": "KRW"}),
        )
    }

    /// Issue a one-time enrolment code for a store.
    pub fn enrolment_code(&self, store: &str) -> Result<String> {
        let v = self.post(&format!("stores/{store}/enrolment-codes"), json!({}))?;
        Ok(v["code"].as_str().context("enrolment code")?.to_owned())
    }

    /// Add a product.
    pub fn add_product(&self, sku: &str, name: &str, price: i64) -> Result<Value> {
        self.post(
            "products",
            json!({"sku": sku, "name": name, "price": price}),
        )
    }

    /// Adjust stock at a location.
    pub fn adjust_stock(&self, location: &str, sku: &str, delta: i64) -> Result<Value> {
        self.post(
            "stock/adjustments",
            json!({"location": location, "sku": sku, "delta": delta, "reason": "receipt"}),
        )
    }

    /// Stock of a SKU at one location, as the hub has merged it.
    pub fn stock_at(&self, sku: &str, location: &str) -> Result<i64> {
        let v = self.get(&format!("stock?sku={sku}&location={location}"))?;
        let locations = v["locations"].as_array().cloned().unwrap_or_default();
        Ok(locations
            .iter()
            .find(|l| l["location"] == location)
            .and_then(|l| l["qty"].as_i64())
            .unwrap_or(0))
    }

    /// Chain-wide stock of a SKU.
    pub fn chain_stock(&self, sku: &str) -> Result<i64> {
        let v = self.get(&format!("stock?sku={sku}"))?;
        v["chain_total"].as_i64().context("chain_total")
    }

    /// `(count, total_amount)` of the sales the hub holds (one store or all).
    pub fn sales_summary(&self, store: Option<&str>) -> Result<(i64, i64)> {
        let path = match store {
            Some(s) => format!("sales?store={s}&limit=1"),
            None => "sales?limit=1".to_owned(),
        };
        let v = self.get(&path)?;
        Ok((
            v["count"].as_i64().context("count")?,
            v["total_amount"].as_i64().context("total_amount")?,
        ))
    }
}

/// A till: a data directory the `pos-agent` CLI works on.
pub struct Till {
    /// The till's data directory.
    pub dir: PathBuf,
}

impl Till {
    /// A till on `dir` (not enrolled yet).
    pub fn new(dir: &Path) -> Till {
        Till {
            dir: dir.to_path_buf(),
        }
    }

    /// Enrol with a hub using a fresh code for `store`.
    pub fn enrol(dir: &Path, hub: &Hub, api: &HubApi, store: &str) -> Result<Till> {
        let till = Till::new(dir);
        let code = api.enrolment_code(store)?;
        till.ok(&["enrol", "--hub", &hub.url(), "--code", &code])?;
        Ok(till)
    }

    /// A `pos-agent --data-dir <dir> …` command, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&binaries().till);
        cmd.arg("--data-dir").arg(&self.dir).args(args);
        cmd.env("RUST_LOG", "warn");
        cmd
    }

    /// Run a command and return its output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Result<Output> {
        Ok(self.command(args).output()?)
    }

    /// Run a command that must succeed; return its stdout.
    pub fn ok(&self, args: &[&str]) -> Result<String> {
        let out = self.run(args)?;
        if !out.status.success() {
            bail!(
                "pos-agent {args:?} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Sell; returns the receipt numbers printed.
    pub fn sell(&self, args: &[&str]) -> Result<Vec<String>> {
        let mut all = vec!["sell"];
        all.extend_from_slice(args);
        Ok(self
            .ok(&all)?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// `sync --once`, which must succeed.
    pub fn sync(&self) -> Result<String> {
        self.ok(&["sync", "--once"])
    }

    /// `status --json`.
    pub fn status(&self) -> Result<Value> {
        Ok(serde_json::from_str(&self.ok(&["status", "--json"])?)?)
    }

    /// This till's view of its store's stock of one SKU.
    pub fn stock(&self, sku: &str) -> Result<i64> {
        let v: Value = serde_json::from_str(&self.ok(&["stock", sku, "--json"])?)?;
        let rows = v.as_array().cloned().unwrap_or_default();
        Ok(rows
            .iter()
            .find(|r| r["sku"] == sku)
            .and_then(|r| r["qty"].as_i64())
            .unwrap_or(0))
    }
}

/// A raw sync connection: the frames a real or hostile till could send.
pub struct RawSync {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl RawSync {
    /// Connect to `/sync/v1` with a device credential.
    pub async fn connect(hub_url: &str, credential: &str) -> Result<RawSync> {
        let url = format!("{}{}", hub_url.replacen("http", "ws", 1), wire::SYNC_PATH);
        let mut req = url.into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {credential}").parse()?);
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(RawSync { ws })
    }

    /// Send a frame through the one encode path.
    pub async fn send(&mut self, frame: &Frame) -> Result<()> {
        self.send_bytes(wire::encode(frame)?).await
    }

    /// Send arbitrary bytes as one binary message.
    pub async fn send_bytes(&mut self, bytes: Vec<u8>) -> Result<()> {
        self.ws.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    /// Send a text message (not part of the protocol).
    pub async fn send_text(&mut self, text: &str) -> Result<()> {
        self.ws.send(Message::Text(text.to_owned().into())).await?;
        Ok(())
    }

    /// Next frame from the hub (skipping pings), or `None` when it closed.
    pub async fn recv(&mut self) -> Result<Option<Frame>> {
        match self.reply().await? {
            Reply::Frame(f) => Ok(Some(f)),
            Reply::Closed(_) => Ok(None),
        }
    }

    /// Next frame, or how the connection closed.
    pub async fn reply(&mut self) -> Result<Reply> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .context("no frame from the hub within 10 s")?;
            match next {
                None | Some(Err(_)) => return Ok(Reply::Closed(None)),
                Some(Ok(Message::Binary(b))) => return Ok(Reply::Frame(wire::decode(&b)?)),
                Some(Ok(Message::Close(c))) => {
                    return Ok(Reply::Closed(c.map(|c| u16::from(c.code))));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The error code of the refusal that must come next (Error frame), or
    /// the WebSocket close code if the hub closed without one.
    pub async fn refusal(&mut self) -> Result<Refusal> {
        loop {
            match self.reply().await? {
                Reply::Frame(Frame::Error(e)) => return Ok(Refusal::Error(e.code, e.message)),
                Reply::Frame(
                    Frame::Ping(_) | Frame::Pong(_) | Frame::Ops(_) | Frame::Snapshot(_),
                ) => continue,
                Reply::Frame(other) => bail!("expected a refusal, got {}", other.kind()),
                Reply::Closed(code) => return Ok(Refusal::Closed(code)),
            }
        }
    }

    /// Read frames until one matches, failing on close.
    pub async fn recv_until(&mut self, mut want: impl FnMut(&Frame) -> bool) -> Result<Frame> {
        loop {
            match self.recv().await? {
                Some(f) if want(&f) => return Ok(f),
                Some(_) => continue,
                None => bail!("connection closed before the expected frame"),
            }
        }
    }
}

/// What came back from the hub.
#[derive(Debug)]
pub enum Reply {
    /// A frame.
    Frame(Frame),
    /// The connection closed, with the WebSocket close code if any.
    Closed(Option<u16>),
}

/// How the hub refused something.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// An Error frame with its code and message.
    Error(wire::ErrorCode, String),
    /// Closed without an Error frame.
    Closed(Option<u16>),
}

impl Refusal {
    /// The error code, when it came as an Error frame.
    pub fn code(&self) -> Option<wire::ErrorCode> {
        match self {
            Refusal::Error(code, _) => Some(*code),
            Refusal::Closed(_) => None,
        }
    }
}

/// Enrol a device directly (no till process): for raw-protocol tests that
/// act as a misbehaving or hostile till.
pub fn enrol_device(
    hub: &Hub,
    api: &HubApi,
    store: &str,
) -> Result<sync_proto::enrol::EnrolResponse> {
    let code = api.enrolment_code(store)?;
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/enrol", hub.url()))
        .json(&sync_proto::enrol::EnrolRequest {
            code,
            app_version: "raw-test".into(),
        })
        .send()?;
    if !resp.status().is_success() {
        bail!("enrol failed: {} {}", resp.status(), resp.text()?);
    }
    Ok(resp.json()?)
}

/// The small chain most tests use: two stores, a warehouse, three products
/// and 100 units of each at each store.
pub struct SmallChain {
    /// The hub process.
    pub hub: Hub,
    /// Logged-in HQ client.
    pub api: HubApi,
    /// Keeps the data directories alive.
    pub root: tempfile::TempDir,
}

/// SKUs of [`SmallChain`] with their prices (KRW).
pub const PRODUCTS: [(&str, &str, i64); 3] = [
    ("TSH-001-BLK-M", "Oxford tee black M", 29_000),
    ("JNS-104-IND-30", "Slim jeans indigo 30", 59_000),
    ("JKT-014-NVY-S", "Field jacket navy S", 129_000),
];

/// Units of each product at each store at the start.
pub const START_STOCK: i64 = 100;

impl SmallChain {
    /// Start a hub and seed it.
    pub fn start() -> Result<SmallChain> {
        let root = tempfile::tempdir()?;
        let hub = Hub::start(&root.path().join("hub"))?;
        let api = HubApi::login(&hub)?;
        api.create_store("GN01", "Gangnam", "store")?;
        api.create_store("HD02", "Hongdae", "store")?;
        api.create_store("WH01", "Icheon warehouse", "warehouse")?;
        for (sku, name, price) in PRODUCTS {
            api.add_product(sku, name, price)?;
            for store in ["GN01", "HD02"] {
                api.adjust_stock(store, sku, START_STOCK)?;
            }
        }
        Ok(SmallChain { hub, api, root })
    }

    /// Enrol a till of `store` in a fresh directory named `name`, and sync it once.
    pub fn till(&self, name: &str, store: &str) -> Result<Till> {
        let till = Till::enrol(&self.root.path().join(name), &self.hub, &self.api, store)?;
        till.sync()?;
        Ok(till)
    }
}
