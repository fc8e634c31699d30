//! `pos-agent`: the headless Storelink till (CLI and sync daemon) over the
//! `pos_agent` core library. The commands and their output are the contract
//! in `notes/contract.md` (enrol, sell, return, stock, sync --once, run,
//! status, receipt; issue 4 adds `sell --pin/--member`, `member add|find`,
//! `product`, `messages`; issue 6 adds `chat …`, see [`chat_cli`]; issue 3 of
//! the POS app adds `shift …`, see [`shift_cli`], and `stock --elsewhere`; issue 7 adds
//! `limited`, `hold`, `holds`, `release-hold`, `request-rights` and `sell --hold/--coupon`,
//! see [`limited_cli`]; issue 5 adds `request-stock`, `orders`, `cancel-order`, `deliveries`
//! and `receive`, see [`logistics_cli`]).
//!
//! Exit codes: 0 ok, 1 refused or failed (message on stderr), 2 hub
//! unreachable, 3 the till must enrol again. Logs go to stderr (`RUST_LOG`).

mod chat_cli;
mod limited_cli;
mod logistics_cli;
mod shift_cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use pos_agent::{
    MemberSignUp, ReturnRequest, SaleItem, SaleRequest, StoredReceipt, SyncOptions, TenderRequest,
    Till, TillError, receipt,
};

#[derive(Parser, Debug)]
#[command(
    name = "pos-agent",
    version,
    about = "Storelink till: sell offline, sync with the hub"
)]
struct Cli {
    /// The till's data directory (holds till.db).
    #[arg(long, global = true, env = "STORELINK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Enrol this till with the hub using a one-time code from HQ.
    Enrol {
        /// Hub URL, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        hub: String,
        /// One-time enrolment code.
        #[arg(long)]
        code: String,
    },
    /// Ring up a sale: SKU_OR_BARCODE[:QTY]...
    Sell {
        /// Items: SKU or barcode, optionally with :QTY.
        #[arg(required = true, value_name = "SKU_OR_BARCODE[:QTY]")]
        items: Vec<String>,
        /// Payment: cash[:AMOUNT], card[:AMOUNT] or other[:AMOUNT] (repeatable;
        /// default card for the whole total; the one without amount takes the rest).
        #[arg(long = "tender", value_name = "KIND[:AMOUNT]")]
        tenders: Vec<String>,
        /// Cashier name.
        #[arg(long, conflicts_with = "pin")]
        cashier: Option<String>,
        /// Staff PIN: the matching active staff member of this store is the cashier.
        #[arg(long)]
        pin: Option<String>,
        /// Phone number of the member the sale is made to.
        #[arg(long, value_name = "PHONE")]
        member: Option<String>,
        /// Enter a sale written on paper while the till was down: when it
        /// happened, in ms since the epoch (at most 31 days ago; priced as then).
        #[arg(long, value_name = "MS")]
        sold_at_ms: Option<u64>,
        /// Sell the units of this hold (its SKU must be among the items).
        #[arg(long, value_name = "HOLD_ID")]
        hold: Option<uuid::Uuid>,
        /// A first-come coupon code (needs --member).
        #[arg(long, value_name = "CODE")]
        coupon: Option<String>,
        /// Ring up the same sale N times (one transaction each).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Print the sale as JSON (one line per sale).
        #[arg(long)]
        json: bool,
    },
    /// Take a return against a receipt (no items = everything still returnable).
    Return {
        /// The sale's receipt number.
        receipt: String,
        /// Items: SKU[:QTY].
        #[arg(value_name = "SKU[:QTY]")]
        items: Vec<String>,
        /// Print the return as JSON.
        #[arg(long)]
        json: bool,
    },
    /// This store's stock (or, with --elsewhere, every store's stock of one SKU from the hub).
    Stock {
        /// One SKU (or barcode) only.
        sku: Option<String>,
        /// Ask the hub for this SKU's stock at every store (the till's cache when offline).
        #[arg(long, requires = "sku")]
        elsewhere: bool,
        /// JSON: [{sku, name, qty}].
        #[arg(long)]
        json: bool,
    },
    /// Sync with the hub.
    Sync {
        /// Push everything, pull until caught up, exit.
        #[arg(long)]
        once: bool,
        /// Hub URL instead of the enrolled one.
        #[arg(long)]
        hub: Option<String>,
    },
    /// Stay connected and sync continuously until SIGTERM/SIGINT.
    Run {
        /// Hub URL instead of the enrolled one.
        #[arg(long)]
        hub: Option<String>,
    },
    /// Show the till's identity and sync state.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Members: sign up at the counter (offline) or look one up.
    Member {
        #[command(subcommand)]
        action: MemberAction,
    },
    /// Look a product up (SKU or barcode) with the price it sells at now.
    Product {
        /// SKU or barcode.
        code: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Messages from head office (unread ones unless --all).
    Messages {
        /// Include messages already read.
        #[arg(long)]
        all: bool,
        /// Mark the listed messages read.
        #[arg(long)]
        mark_read: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The store's chat with HQ and HQ's notices (works offline).
    Chat {
        #[command(subcommand)]
        action: chat_cli::ChatAction,
    },
    /// The cash-drawer shift: open, status, cash-in, cash-out, close (Z report), report.
    Shift {
        #[command(subcommand)]
        action: shift_cli::ShiftAction,
    },
    /// Limited items and coupon campaigns: this till's status of one SKU, or of all.
    Limited {
        /// SKU or barcode.
        sku: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Hold units of a limited item for a customer (for the drop's hold time).
    Hold {
        /// SKU or barcode.
        sku: String,
        /// Units.
        qty: u64,
        /// For whom.
        #[arg(long, default_value = "")]
        note: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// This till's holds.
    Holds {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Give a hold back before it expires.
    ReleaseHold {
        /// Hold id.
        id: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Ask the hub for more rights of a limited item (store manager).
    RequestRights {
        /// SKU or barcode.
        sku: String,
        /// Units.
        qty: u64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Ask the warehouse for stock (written offline; reaches HQ with the next sync).
    RequestStock {
        /// Items: SKU=QTY (SKU or barcode of the catalog).
        #[arg(required = true, value_name = "SKU=QTY")]
        items: Vec<String>,
        /// Free text for HQ.
        #[arg(long)]
        note: Option<String>,
        /// Staff PIN: that person asks (default: the till).
        #[arg(long, conflicts_with = "by")]
        pin: Option<String>,
        /// Who asks, by name (default: the till).
        #[arg(long)]
        by: Option<String>,
        /// JSON output: the order.
        #[arg(long)]
        json: bool,
    },
    /// This store's replenishment orders and where they stand.
    Orders {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Cancel an order HQ has not acted on yet.
    CancelOrder {
        /// Order id.
        id: String,
        /// Staff PIN: that person cancels (default: the till).
        #[arg(long, conflicts_with = "by")]
        pin: Option<String>,
        /// Who cancels, by name (default: the till).
        #[arg(long)]
        by: Option<String>,
        /// JSON output: the order.
        #[arg(long)]
        json: bool,
    },
    /// Deliveries to this store: what is on the truck, its ETA, arrived, received.
    Deliveries {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Count a delivery in: stock moves from in transit to the store (shortages, damages and
    /// extras recorded; delivery lines not given were received 0).
    Receive {
        /// Shipment id (see `deliveries`).
        shipment: String,
        /// Counted items: SKU=QTY or SKU=QTY/DAMAGED (damaged included in QTY).
        #[arg(value_name = "SKU=QTY[/DAMAGED]")]
        items: Vec<String>,
        /// Free text ("box 3 wet").
        #[arg(long)]
        note: Option<String>,
        /// Staff PIN: that person counted (default: the till).
        #[arg(long, conflicts_with = "by")]
        pin: Option<String>,
        /// Who counted, by name (default: the till).
        #[arg(long)]
        by: Option<String>,
        /// JSON output: the receiving with shortages and extras.
        #[arg(long)]
        json: bool,
    },
    /// Show a stored receipt (sale or return).
    Receipt {
        /// Receipt number, e.g. GN01-01-000042.
        receipt: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum MemberAction {
    /// Sign a member up (or update the member with this phone number).
    Add {
        /// Phone number, e.g. 010-1234-5678.
        #[arg(long)]
        phone: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Year of birth.
        #[arg(long)]
        birth_year: Option<u16>,
        /// The member agrees to marketing messages.
        #[arg(long)]
        consent: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Find a member by phone number.
    Find {
        /// Phone number.
        #[arg(long)]
        phone: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Run { .. } | Command::Sync { .. } | Command::Enrol { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let code = e
                .downcast_ref::<TillError>()
                .map(TillError::exit_code)
                .unwrap_or(1);
            ExitCode::from(code as u8)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli
        .data_dir
        .context("no data directory: pass --data-dir DIR or set STORELINK_DATA_DIR")?;
    match cli.command {
        Command::Enrol { hub, code } => {
            let out = runtime()?.block_on(pos_agent::enrol(&data_dir, &hub, &code))?;
            println!(
                "enrolled as till {:02} of {} (actor {})",
                out.till_no, out.store, out.actor
            );
            if out.re_enrolled {
                eprintln!(
                    "re-enrolled as a new actor; {} unacknowledged record(s) carried over{}",
                    out.carried_over,
                    if out.carry_over_pending {
                        " (the rest will be carried over on the next sync)"
                    } else {
                        ""
                    }
                );
            }
        }
        Command::Sell {
            items,
            tenders,
            cashier,
            pin,
            member,
            sold_at_ms,
            hold,
            coupon,
            repeat,
            json,
        } => {
            let items = items
                .iter()
                .map(|s| s.parse::<SaleItem>())
                .collect::<Result<Vec<_>, _>>()?;
            let tenders = tenders
                .iter()
                .map(|s| s.parse::<TenderRequest>())
                .collect::<Result<Vec<_>, _>>()?;
            let mut till = Till::open(&data_dir)?;
            if till.is_locked()? {
                return Err(TillError::Locked.into());
            }
            let cashier = match pin {
                Some(pin) => Some(till.unlock(&pin)?.username),
                None => cashier,
            };
            if let Some(phone) = &member
                && till.find_member(phone)?.is_none()
            {
                return Err(TillError::UnknownMember(phone.trim().to_owned()).into());
            }
            let req = SaleRequest {
                items,
                tenders,
                cashier,
                member_phone: member,
                sold_at_ms,
                cart_discount: None,
                approver_pin: None,
                hold,
                coupon_code: coupon,
            };
            for _ in 0..repeat.max(1) {
                let sold = till.sell(&req)?;
                if json {
                    print_json(&sold.sale)?;
                } else {
                    println!("{}", sold.sale.receipt);
                }
                for (line, label) in sold.sale.lines.iter().zip(&sold.price_labels) {
                    if let Some(label) = label {
                        eprintln!(
                            "{} at {} ({label})",
                            line.sku,
                            receipt::format_money(line.unit_price, &sold.sale.currency)
                        );
                    }
                }
                if sold.sale.change_given > 0 {
                    eprintln!(
                        "change: {}",
                        receipt::format_money(sold.sale.change_given, &sold.sale.currency)
                    );
                }
            }
        }
        Command::Return {
            receipt,
            items,
            json,
        } => {
            let items = items
                .iter()
                .map(|s| s.parse::<SaleItem>())
                .collect::<Result<Vec<_>, _>>()?;
            let mut till = Till::open(&data_dir)?;
            let ret = till.return_sale(&ReturnRequest { receipt, items })?;
            if json {
                print_json(&ret.record)?;
            } else {
                println!("{}", ret.record.receipt);
            }
        }
        Command::Stock {
            sku: Some(sku),
            elsewhere: true,
            json,
        } => {
            let out = runtime()?.block_on(pos_agent::stock_elsewhere(
                &data_dir,
                &sku,
                std::time::Duration::from_secs(5),
            ))?;
            if json {
                print_json(&out)?;
            } else {
                let when = match (out.online, out.as_of_ms) {
                    (true, _) => "live from the hub".to_owned(),
                    (false, Some(at)) => format!(
                        "offline: cached, {} min old",
                        pos_agent::db::now_ms().saturating_sub(at) / 60_000
                    ),
                    (false, None) => "offline: nothing cached yet".to_owned(),
                };
                println!("{} ({when})", out.sku);
                for s in &out.stores {
                    println!("{:<8} {:>8}  {}", s.store, s.qty, s.name);
                }
            }
        }
        Command::Stock { sku, json, .. } => {
            let till = Till::open(&data_dir)?;
            let levels = till.stock(sku.as_deref())?;
            if json {
                print_json(&levels)?;
            } else {
                for l in levels {
                    let price = l.current_price.map(|p| p.to_string()).unwrap_or_default();
                    let label = l.price_label.map(|x| format!(" [{x}]")).unwrap_or_default();
                    println!(
                        "{:<24} {:>8} {:>10}  {}{label}",
                        l.sku,
                        l.qty,
                        price,
                        l.name.unwrap_or_default()
                    );
                }
            }
        }
        Command::Sync { once, hub } => {
            if !once {
                tracing::info!("`sync` without --once syncs once; use `run` to stay connected");
            }
            let opts = SyncOptions {
                hub_url: hub,
                ..SyncOptions::default()
            };
            let report = runtime()?.block_on(pos_agent::sync::sync_once_with(&data_dir, &opts))?;
            println!(
                "synced: pushed {} ops (acked up to seq {}), received {} ops{}, cursor {}, unsent {}",
                report.pushed_ops,
                report.acked_seq,
                report.received_ops,
                if report.snapshot { " + snapshot" } else { "" },
                report.cursor,
                report.unsent_ops
            );
        }
        Command::Run { hub } => {
            let opts = SyncOptions {
                hub_url: hub,
                ..SyncOptions::default()
            };
            let rt = runtime()?;
            rt.block_on(async {
                // Fail fast on a till that cannot sync at all.
                let till = Till::open(&data_dir)?;
                if till.enrolment()?.is_none() {
                    return Err(TillError::NotEnrolled);
                }
                drop(till);
                pos_agent::sync::run_with(&data_dir, &opts, shutdown_signal()).await
            })?;
            tracing::info!("stopped");
        }
        Command::Status { json } => {
            let status = Till::open(&data_dir)?.status()?;
            if json {
                print_json(&status)?;
            } else {
                let v = serde_json::to_value(&status)?;
                if let Some(map) = v.as_object() {
                    for (k, v) in map
                        .iter()
                        .filter(|(k, _)| *k != "unread_messages" && *k != "chat_unread")
                    {
                        println!(
                            "{k}: {}",
                            if v.is_string() {
                                v.as_str().unwrap_or_default().to_owned()
                            } else {
                                v.to_string()
                            }
                        );
                    }
                }
                if status.locked {
                    println!(
                        "LOCKED by head office: sales and returns are refused until HQ unlocks"
                    );
                }
                for c in &status.chat_unread {
                    println!("chat unread {}: {}", c.channel, c.unread);
                }
                for m in &status.unread_messages {
                    println!("message from head office: {}", m.text);
                }
            }
        }
        Command::Member { action } => match action {
            MemberAction::Add {
                phone,
                name,
                birth_year,
                consent,
                json,
            } => {
                let mut till = Till::open(&data_dir)?;
                let out = till.sign_up_member(&MemberSignUp {
                    phone,
                    name,
                    birth_year,
                    marketing_consent: consent,
                })?;
                if json {
                    print_json(&out)?;
                } else {
                    println!(
                        "{} member {} ({})",
                        if out.created { "signed up" } else { "updated" },
                        out.member.phone.as_deref().unwrap_or_default(),
                        out.member.id
                    );
                }
            }
            MemberAction::Find { phone, json } => {
                let till = Till::open(&data_dir)?;
                let Some(m) = till.find_member(&phone)? else {
                    return Err(TillError::UnknownMember(phone.trim().to_owned()).into());
                };
                if json {
                    print_json(&m)?;
                } else {
                    println!("id: {}", m.id);
                    println!("phone: {}", m.phone.unwrap_or_default());
                    println!("name: {}", m.name.unwrap_or_default());
                    if let Some(y) = m.birth_year {
                        println!("birth_year: {y}");
                    }
                    if let Some(s) = m.home_store {
                        println!("home_store: {s}");
                    }
                    println!(
                        "marketing_consent: {}",
                        m.marketing_consent.unwrap_or(false)
                    );
                }
            }
        },
        Command::Product { code, json } => {
            let till = Till::open(&data_dir)?;
            let Some(p) = till.product(&code)? else {
                return Err(TillError::UnknownSku(code).into());
            };
            if json {
                print_json(&p)?;
            } else {
                let currency = till
                    .enrolment()?
                    .map(|e| e.currency)
                    .unwrap_or_else(|| "KRW".into());
                let money = |m: Option<i64>| {
                    m.map(|v| receipt::format_money(v, &currency))
                        .unwrap_or_else(|| "no price".into())
                };
                println!("{} {}", p.item.sku, p.item.name);
                println!("price now: {}", money(p.current_price));
                if let Some(label) = &p.price_label {
                    println!(
                        "price rule: {label} (catalog price {})",
                        money(p.item.price)
                    );
                }
                if let Some(b) = &p.item.barcode {
                    println!("barcode: {b}");
                }
                if !p.item.active {
                    println!("not for sale (inactive)");
                }
            }
        }
        Command::Messages {
            all,
            mark_read,
            json,
        } => {
            let till = Till::open(&data_dir)?;
            let messages = till.messages(!all)?;
            if mark_read {
                for m in &messages {
                    till.mark_message_read(&m.id)?;
                }
            }
            if json {
                print_json(&messages)?;
            } else if messages.is_empty() {
                println!("no messages from head office");
            } else {
                for m in &messages {
                    println!(
                        "{} {}{}",
                        m.id,
                        m.text,
                        if m.read_ms.is_some() { " (read)" } else { "" }
                    );
                }
            }
        }
        Command::Chat { action } => chat_cli::run(&data_dir, action)?,
        Command::Shift { action } => shift_cli::run(&data_dir, action)?,
        Command::Limited { sku, json } => {
            limited_cli::run(&data_dir, limited_cli::LimitedAction::Status { sku, json })?
        }
        Command::Hold {
            sku,
            qty,
            note,
            json,
        } => limited_cli::run(
            &data_dir,
            limited_cli::LimitedAction::Hold {
                sku,
                qty,
                note,
                json,
            },
        )?,
        Command::Holds { json } => {
            limited_cli::run(&data_dir, limited_cli::LimitedAction::Holds { json })?
        }
        Command::ReleaseHold { id, json } => {
            limited_cli::run(&data_dir, limited_cli::LimitedAction::Release { id, json })?
        }
        Command::RequestRights { sku, qty, json } => limited_cli::run(
            &data_dir,
            limited_cli::LimitedAction::Request { sku, qty, json },
        )?,
        Command::RequestStock {
            items,
            note,
            pin,
            by,
            json,
        } => logistics_cli::run(
            &data_dir,
            logistics_cli::LogisticsAction::Request {
                items,
                note,
                actor: logistics_cli::Actor { pin, by },
                json,
            },
        )?,
        Command::Orders { json } => {
            logistics_cli::run(&data_dir, logistics_cli::LogisticsAction::Orders { json })?
        }
        Command::CancelOrder { id, pin, by, json } => logistics_cli::run(
            &data_dir,
            logistics_cli::LogisticsAction::Cancel {
                id,
                actor: logistics_cli::Actor { pin, by },
                json,
            },
        )?,
        Command::Deliveries { json } => logistics_cli::run(
            &data_dir,
            logistics_cli::LogisticsAction::Deliveries { json },
        )?,
        Command::Receive {
            shipment,
            items,
            note,
            pin,
            by,
            json,
        } => logistics_cli::run(
            &data_dir,
            logistics_cli::LogisticsAction::Receive {
                shipment,
                items,
                note,
                actor: logistics_cli::Actor { pin, by },
                json,
            },
        )?,
        Command::Receipt {
            receipt: number,
            json,
        } => {
            let till = Till::open(&data_dir)?;
            let stored = till.receipt(&number)?;
            if json {
                print_json(&stored)?;
            } else {
                let store_name = till.enrolment()?.map(|e| e.store_name).unwrap_or_default();
                match &stored {
                    StoredReceipt::Sale {
                        sale,
                        returns,
                        price_labels,
                    } => {
                        print!(
                            "{}",
                            receipt::render_sale_labelled(sale, returns, &store_name, price_labels)
                        );
                    }
                    StoredReceipt::Return { record } => {
                        print!("{}", receipt::render_return(record, &store_name));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
