//! `cargo xtask demo`: the product on its embedded default.
//!
//! Starts `hub-server` on SQLite in `demo-data/`, seeds a believable chain —
//! a fashion brand with ten stores in Seoul, a warehouse in Icheon, 200 SKUs
//! (10 styles × 4 colours × 5 sizes) with KRW prices and barcodes — enrols
//! headless tills, keeps each connected with `pos-agent run`, and then sells:
//! random baskets with card, cash and split tenders, the odd return, and a
//! till that drops offline for a while, keeps selling, and comes back.
//! The chat is seeded too (`demo_chat`: a conversation, requests, announcements), and
//! tills write to HQ now and then. A limited drop and first-come coupons run too
//! (`demo_drops`).
//! Prints the URLs and credentials first. Runs until Ctrl-C, or for
//! `--duration` seconds, after which it checks that the hub and every till
//! agree on the sales.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::Rng;
use serde_json::{Value, json};

use crate::{demo_chat, demo_drops, demo_people, process};

/// Options of `cargo xtask demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Where the hub listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Demo data directory (wiped at start).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
    /// Password of the `admin` account.
    #[arg(long, default_value = "storelink-demo")]
    admin_password: String,
    /// Seconds between simulated sales (per whole chain).
    #[arg(long, default_value_t = 0.8)]
    sale_interval: f64,
    /// Sales of last week and earlier today entered at each till before the
    /// live selling starts (default: 45, or 6 for a run with `--duration`).
    #[arg(skip)]
    history_per_till: Option<usize>,
}

impl DemoArgs {
    /// The data directory given with `--data-dir`, if any.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone()
    }

    /// A short run on a free port, used by `cargo xtask test`.
    pub fn smoke() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            data_dir: Some(process::target_dir().join("demo-smoke")),
            duration: Some(12),
            admin_password: "storelink-demo".into(),
            sale_interval: 0.2,
            history_per_till: None,
        }
    }

    /// The demo behind `cargo xtask screenshots`: a free port, its own data
    /// directory, the full week of history, and at most `max_secs` of selling
    /// (the screenshots usually end it sooner).
    pub fn for_screenshots(data_dir: PathBuf, max_secs: u64) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            data_dir: Some(data_dir),
            duration: Some(max_secs),
            admin_password: "storelink-demo".into(),
            sale_interval: 0.5,
            history_per_till: Some(45),
        }
    }

    /// Password of `admin`.
    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }
}

/// Work done against the running demo (its hub URL): `cargo xtask
/// screenshots` takes its pictures in one. The demo sells until it returns.
pub type DemoHook = Box<dyn FnOnce(&str) -> Result<()> + Send>;

/// The demo's stores: (code, name).
pub const STORES: [(&str, &str); 10] = [
    ("GN01", "강남점 Gangnam"),
    ("HD02", "홍대점 Hongdae"),
    ("MD03", "명동점 Myeongdong"),
    ("JS04", "잠실점 Jamsil"),
    ("SC05", "신촌점 Sinchon"),
    ("YD06", "여의도점 Yeouido"),
    ("KK07", "건대점 Konkuk"),
    ("IT08", "이태원점 Itaewon"),
    ("SS09", "성수점 Seongsu"),
    ("MK10", "목동점 Mokdong"),
];

const STYLES: [(&str, &str, &str, i64); 10] = [
    ("TSH", "Oxford tee", "tops", 29_000),
    ("PLO", "Piqué polo", "tops", 39_000),
    ("SHT", "Linen shirt", "tops", 49_000),
    ("KNT", "Cable knit", "tops", 69_000),
    ("HDY", "Fleece hoodie", "tops", 55_000),
    ("JNS", "Slim jeans", "bottoms", 59_000),
    ("CHN", "Chino pants", "bottoms", 49_000),
    ("SKT", "Pleated skirt", "bottoms", 45_000),
    ("JKT", "Field jacket", "outerwear", 129_000),
    ("CTR", "Trench coat", "outerwear", 189_000),
];

const COLOURS: [(&str, &str); 4] = [
    ("BLK", "black"),
    ("WHT", "white"),
    ("NVY", "navy"),
    ("BEI", "beige"),
];
const SIZES: [&str; 5] = ["XS", "S", "M", "L", "XL"];

/// Tills the demo runs: (directory name, store).
const TILLS: [(&str, &str); 6] = [
    ("gn01-till1", "GN01"),
    ("gn01-till2", "GN01"),
    ("hd02-till1", "HD02"),
    ("md03-till1", "MD03"),
    ("js04-till1", "JS04"),
    ("ss09-till1", "SS09"),
];

/// A SKU of the demo catalog.
pub struct Product {
    /// Its SKU.
    pub sku: String,
}

fn ean13(body12: u64) -> String {
    let digits: Vec<u32> = format!("{body12:012}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    format!("{body12:012}{}", (10 - sum % 10) % 10)
}

fn catalog_csv() -> (String, Vec<Product>) {
    let mut csv = String::from("sku,name,price,barcode,style,colour,size,category\n");
    let mut products = Vec::new();
    let mut n = 0u64;
    for (i, (code, name, category, price)) in STYLES.iter().enumerate() {
        for (colour, colour_name) in COLOURS {
            for size in SIZES {
                n += 1;
                let sku = format!("{code}-{:03}-{colour}-{size}", i + 1);
                let barcode = ean13(880_123_000_000 + n);
                csv.push_str(&format!(
                    "{sku},{name} {colour_name} {size},{price},{barcode},{code}-{:03},{colour_name},{size},{category}\n",
                    i + 1
                ));
                products.push(Product { sku });
            }
        }
    }
    (csv, products)
}

struct Hub {
    child: Child,
    url: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hub(args: &DemoArgs, data: &Path) -> Result<Hub> {
    let log = std::fs::File::create(data.join("hub.log"))?;
    let mut child = Command::new(process::target_bin("debug", "hub-server"))
        .args(["serve", "--data-dir"])
        .arg(data.join("hub"))
        .args([
            "--listen",
            &args.listen,
            "--admin-password",
            &args.admin_password,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting hub-server")?;
    let stdout = child.stdout.take().context("hub stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .context("hub did not start; see demo-data/hub.log")?;
    Ok(Hub { child, url })
}

/// A logged-in HQ client of the demo hub.
pub struct Api {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Api {
    /// Log in as `admin` with `password`.
    pub fn login(url: &str, password: &str) -> Result<Api> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let v: Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()?
            .error_for_status()?
            .json()?;
        let token = v["token"].as_str().context("token")?.to_owned();
        Ok(Api {
            base: format!("{url}/api/v1"),
            token,
            http,
        })
    }

    /// POST JSON to `/api/v1/<path>`.
    pub fn post(&self, path: &str, body: Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()?;
        let status = resp.status();
        let text = resp.text()?;
        if !status.is_success() {
            bail!("POST {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// PATCH JSON to `/api/v1/<path>`.
    pub fn patch(&self, path: &str, body: Value) -> Result<Value> {
        let resp = self
            .http
            .patch(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()?;
        let status = resp.status();
        let text = resp.text()?;
        if !status.is_success() {
            bail!("PATCH {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET JSON from `/api/v1/<path>`.
    pub fn get(&self, path: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}/{path}", self.base))
            .bearer_auth(&self.token)
            .send()?
            .error_for_status()?
            .json()?)
    }
}

fn seed(api: &Api) -> Result<Vec<Product>> {
    for (code, name) in STORES {
        api.post(
            "stores",
            json!({"code": code, "name": name, "kind": "store", "currency": "KRW"}),
        )?;
    }
    api.post(
        "stores",
        json!({"code": "WH01", "name": "이천 물류센터 Icheon warehouse", "kind": "warehouse", "currency": "KRW"}),
    )?;
    let (csv, products) = catalog_csv();
    let resp = api
        .http
        .post(format!("{}/products/import", api.base))
        .bearer_auth(&api.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()?;
    if !resp.status().is_success() {
        bail!("catalog import: {} {}", resp.status(), resp.text()?);
    }
    // Opening stock: the warehouse holds the depth, stores a few of each.
    let mut adjustments = Vec::new();
    let mut rng = rand::thread_rng();
    for p in &products {
        adjustments.push(("WH01".to_owned(), p.sku.clone(), 300));
        for (store, _) in STORES {
            adjustments.push((store.to_owned(), p.sku.clone(), rng.gen_range(3..15)));
        }
    }
    std::thread::scope(|scope| -> Result<()> {
        let chunks: Vec<_> = adjustments.chunks(adjustments.len() / 8 + 1).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || -> Result<()> {
                    for (location, sku, qty) in chunk {
                        api.post(
                            "stock/adjustments",
                            json!({"location": location, "sku": sku, "delta": qty, "reason": "receipt", "note": "opening stock"}),
                        )?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("seeding thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(products)
}

/// A headless till of the demo.
pub struct DemoTill {
    /// Its directory name, as the demo prints it.
    pub name: &'static str,
    /// Its store.
    pub store: &'static str,
    dir: PathBuf,
    daemon: Option<Child>,
    offline_until: Option<Instant>,
}

impl DemoTill {
    fn cli(&self) -> Command {
        let mut cmd = Command::new(process::target_bin("debug", "pos-agent"));
        cmd.arg("--data-dir").arg(&self.dir);
        cmd
    }

    /// Run `pos-agent` on this till; its stdout, or the error it printed.
    pub fn ok(&self, args: &[&str]) -> Result<String> {
        let out = self.cli().args(args).output()?;
        if !out.status.success() {
            bail!(
                "{}: pos-agent {}: {}",
                self.name,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn go_online(&mut self) -> Result<()> {
        let log = std::fs::File::create(self.dir.join("run.log"))?;
        self.daemon = Some(
            self.cli()
                .arg("run")
                .stdout(Stdio::null())
                .stderr(Stdio::from(log))
                .spawn()?,
        );
        self.offline_until = None;
        Ok(())
    }

    fn go_offline(&mut self, for_how_long: Duration) {
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
        self.offline_until = Some(Instant::now() + for_how_long);
    }

    fn status(&self) -> Result<Value> {
        Ok(serde_json::from_str(&self.ok(&["status", "--json"])?)?)
    }
}

impl Drop for DemoTill {
    fn drop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

/// Run the demo.
pub fn run(args: DemoArgs) -> Result<()> {
    run_with(args, None)
}

/// Run the demo; with a hook, run it on its own thread once the tills sell
/// live, and stop selling when it returns (or at `--duration`). The hook's
/// error, if any, is the demo's.
pub fn run_with(args: DemoArgs, hook: Option<DemoHook>) -> Result<()> {
    // The hub serves the HQ console at `/`: build it first.
    crate::ui::build()?;
    process::cargo(&["build", "--workspace", "--bins"])?;
    let data = args
        .data_dir
        .clone()
        .unwrap_or_else(|| process::workspace_root().join("demo-data"));
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("wiping {data:?}"))?;
    }
    std::fs::create_dir_all(data.join("tills"))?;

    let hub = start_hub(&args, &data)?;
    let api = Api::login(&hub.url, &args.admin_password)?;
    let started = Instant::now();
    let products = seed(&api)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    demo_people::seed_accounts(&api)?;
    let members = demo_people::seed_members(&api)?;
    demo_people::seed_prices(&api, now_ms)?;
    eprintln!(
        "seeded {} stores, 1 warehouse, {} SKUs, {} members, {} staff in {:.1} s",
        STORES.len(),
        products.len(),
        members.len(),
        STORES.len() * demo_people::STORE_PEOPLE.len() + 1,
        started.elapsed().as_secs_f64()
    );

    let mut tills = Vec::new();
    for (name, store) in TILLS {
        let code = api.post(&format!("stores/{store}/enrolment-codes"), json!({}))?;
        let code = code["code"].as_str().context("enrolment code")?;
        let till = DemoTill {
            name,
            store,
            dir: data.join("tills").join(name),
            daemon: None,
            offline_until: None,
        };
        println!(
            "{}",
            till.ok(&["enrol", "--hub", &hub.url, "--code", code])?
        );
        till.ok(&["sync", "--once"])?;
        tills.push(till);
    }
    let per_till = args
        .history_per_till
        .unwrap_or(if args.duration.is_some() { 6 } else { 45 });
    let history = demo_people::backfill(&tills, &products, &members, now_ms, per_till)?;
    eprintln!("entered {history} sales of last week and earlier today at the tills");
    demo_chat::seed(&api, &tills)?;
    let drop = demo_drops::seed(&api, &products)?;
    demo_logistics::seed(&api, demo_people::DEMO_PASSWORD)?;
    for till in &mut tills {
        till.go_online()?;
    }
    // Deliveries run on their own thread, at the first till of a few stores in turn.
    let deliveries_stop = Arc::new(AtomicBool::new(false));
    let delivery_tills = ["GN01", "HD02", "JS04"]
        .iter()
        .filter_map(|store| tills.iter().find(|t| t.store == *store))
        .map(|t| demo_logistics::DeliveryTill {
            name: t.name,
            store: t.store,
            dir: t.dir.clone(),
        })
        .collect();
    let deliveries = demo_logistics::start(
        Api::login(&hub.url, &args.admin_password)?,
        hub.url.clone(),
        demo_people::DEMO_PASSWORD.to_owned(),
        delivery_tills,
        &products,
        deliveries_stop.clone(),
    );
    let stop_deliveries = move || {
        deliveries_stop.store(true, Ordering::Relaxed);
        let _ = deliveries.join();
    };

    print_banner(&hub.url, &args, &data, &tills);
    let Some(hook) = hook else {
        let sold = simulate(&args, &api, &products, &drop, &members, &mut tills, &|| {
            false
        });
        stop_deliveries();
        sold?;
        return check_agreement(&api, &mut tills);
    };
    let url = hub.url.clone();
    let worker = std::thread::spawn(move || hook(&url));
    let sold = simulate(&args, &api, &products, &drop, &members, &mut tills, &|| {
        worker.is_finished()
    });
    let hooked = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the demo's hook panicked"))?;
    stop_deliveries();
    sold?;
    hooked?;
    check_agreement(&api, &mut tills)
}

fn print_banner(url: &str, args: &DemoArgs, data: &Path, tills: &[DemoTill]) {
    println!();
    println!("Storelink demo is running");
    println!("  hub            {url}");
    println!("  HQ console     {url}/   (log in as admin)");
    println!("  REST API       {url}/api/v1   (OpenAPI: {url}/api/v1/openapi.json)");
    println!("  health/metrics {url}/healthz  {url}/metrics");
    println!("  login          admin / {}", args.admin_password);
    println!(
        "                 planner / {pw} (HQ staff)   gn01.manager / {pw} (store manager)",
        pw = demo_people::DEMO_PASSWORD
    );
    println!("  till PINs      manager 9000, cashiers 1111 and 2222 (every store)");
    println!(
        "  driver page    {url}/driver   (log in as {} / {})",
        demo_logistics::DRIVER,
        demo_people::DEMO_PASSWORD
    );
    println!("  data           {}", data.display());
    println!("  tills:");
    for t in tills {
        println!(
            "    {:<11} store {}  →  cargo run -q -p pos-agent -- --data-dir {} status",
            t.name,
            t.store,
            t.dir.display()
        );
    }
    println!(
        "  try            curl -s -H \"Authorization: Bearer $(curl -s -X POST {url}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"username\":\"admin\",\"password\":\"{}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')\" '{url}/api/v1/stock?sku=TSH-001-BLK-M'",
        args.admin_password
    );
    println!(
        "{}",
        match args.duration {
            Some(s) => format!("running for {s} s"),
            None => "Ctrl-C to stop".to_owned(),
        }
    );
    println!();
}

fn simulate(
    args: &DemoArgs,
    api: &Api,
    products: &[Product],
    drop: &demo_drops::DemoDrop,
    members: &[demo_people::DemoMember],
    tills: &mut [DemoTill],
    stop: &dyn Fn() -> bool,
) -> Result<()> {
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    let mut receipts: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut last_summary = Instant::now();
    let mut next_outage = Instant::now() + Duration::from_secs(4);
    let interval = Duration::from_secs_f64(args.sale_interval.max(0.05));
    loop {
        if stop()
            || args
                .duration
                .is_some_and(|d| started.elapsed() >= Duration::from_secs(d))
        {
            return Ok(());
        }
        // Outages: one till at a time drops off the network and comes back.
        if Instant::now() >= next_outage && tills.iter().all(|t| t.offline_until.is_none()) {
            let i = rng.gen_range(0..tills.len());
            let secs = if args.duration.is_some() { 4 } else { 20 };
            tills[i].go_offline(Duration::from_secs(secs));
            println!(
                "⚡ {} ({}) lost its connection; it keeps selling offline",
                tills[i].name, tills[i].store
            );
            next_outage = Instant::now() + Duration::from_secs(secs * 2);
        }
        for t in tills.iter_mut() {
            if t.offline_until.is_some_and(|u| Instant::now() >= u) {
                let unsent = t
                    .status()
                    .map(|s| s["unsent_ops"].clone())
                    .unwrap_or(Value::Null);
                t.go_online()?;
                println!("✓ {} is back online; syncing {unsent} unsent ops", t.name);
            }
        }

        let i = rng.gen_range(0..tills.len());
        let till = &tills[i];
        if rng.gen_bool(0.07) {
            let pick = receipts.get_mut(&i).filter(|r| !r.is_empty()).map(|r| {
                let k = rng.gen_range(0..r.len());
                r.swap_remove(k)
            });
            if let Some(receipt) = pick {
                match till.ok(&["return", &receipt]) {
                    Ok(ret) => println!("↩ {} took back {receipt} (return {ret})", till.name),
                    Err(e) => println!("  {e}"),
                }
            }
        } else {
            let basket = demo_people::basket(products, &mut rng);
            let extras = demo_people::sale_extras(till, members, &mut rng);
            let mut cmd: Vec<&str> = basket.iter().map(String::as_str).collect();
            cmd.extend(extras.iter().map(String::as_str));
            match rng.gen_range(0..3) {
                0 => cmd.extend(["--tender", "card"]),
                1 => cmd.extend(["--tender", "cash:2000000"]),
                _ => cmd.extend(["--tender", "cash:20000", "--tender", "card"]),
            }
            let mut full = vec!["sell"];
            full.extend(cmd);
            let mut sold = Err(anyhow::anyhow!("not tried"));
            if demo_drops::offer_coupon(&full, &mut rng) {
                let mut with_coupon = full.clone();
                with_coupon.extend(["--coupon", demo_drops::COUPON_CODE]);
                sold = till.ok(&with_coupon);
                match &sold {
                    Ok(_) => println!("🎟 {} took a {} coupon", till.name, demo_drops::COUPON_CODE),
                    // Used up, below the minimum spend or already used: sold without it.
                    Err(e) => println!("  coupon refused at {}: {e}", till.name),
                }
            }
            if sold.is_err() {
                sold = till.ok(&full);
            }
            match sold {
                Ok(receipt) => {
                    let offline = if till.offline_until.is_some() {
                        " (offline)"
                    } else {
                        ""
                    };
                    println!(
                        "🛍 {} sold {} → receipt {receipt}{offline}",
                        till.name,
                        basket.join(" ")
                    );
                    receipts.entry(i).or_default().push(receipt);
                }
                Err(e) => println!("  {e}"),
            }
        }
        if let Some(line) = demo_drops::maybe_sell_limited(till, drop, &mut rng) {
            println!("{line}");
        }
        match demo_chat::chatter(till, 25, &mut rng) {
            Some(Ok(line)) => println!("💬 {} wrote to HQ: {line}", till.name),
            Some(Err(e)) => println!("  {e}"),
            None => {}
        }
        if last_summary.elapsed() > Duration::from_secs(10) {
            if let Ok(v) = api.get("sales?limit=1") {
                println!(
                    "— hub: {} sales, {} —",
                    v["count"],
                    won(v["total_amount"].as_i64().unwrap_or(0))
                );
            }
            last_summary = Instant::now();
        }
        std::thread::sleep(interval);
    }
}

/// KRW with thousands separators: ₩1,528,000.
fn won(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}₩{out}", if amount < 0 { "-" } else { "" })
}

/// Stop the simulation, sync every till, and check the hub holds exactly the
/// sales the tills made.
fn check_agreement(api: &Api, tills: &mut [DemoTill]) -> Result<()> {
    let mut local_sales = 0;
    for t in tills.iter_mut() {
        t.go_offline(Duration::ZERO);
        t.ok(&["sync", "--once"])?;
        local_sales += t.status()?["sales_count"].as_i64().unwrap_or(0);
    }
    let hub_sales = api.get("sales?limit=1")?["count"].as_i64().unwrap_or(-1);
    println!("demo done: tills made {local_sales} sales, the hub holds {hub_sales}");
    if hub_sales != local_sales {
        bail!("hub and tills disagree: {hub_sales} vs {local_sales}");
    }
    Ok(())
}
