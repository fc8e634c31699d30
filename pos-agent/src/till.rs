//! The [`Till`] handle: what a cashier does, each change in ONE transaction.
//!
//! A `Till` owns one SQLite connection to `<data_dir>/till.db`. Several
//! handles and processes may use the same data directory at once (the CLI
//! selling while `pos-agent run` syncs, the desktop app): every write is a
//! short immediate transaction that
//! 1. reads the catalog price, the till's actor, next seq and HLC,
//! 2. writes the domain rows (sale + lines + tenders, or return + lines + refunds),
//! 3. updates the till's own stock counter rows and emits the stock moves,
//! 4. appends every op to the outbox,
//!
//! and commits all of it together, or nothing. Selling never waits for the
//! network and never refuses because local stock says zero (DESIGN §2).
//!
//! Head office can lock the till remotely ([`crate::commands`]): `sell` and
//! `return_sale` then refuse with [`TillError::Locked`]. The lock is read from
//! the database inside the sale's transaction, since the sync daemon that
//! receives the command is usually another process. Each line is priced with
//! the price rule in force at the moment of sale ([`crate::prices`]); a sale
//! can carry the cashier who unlocked the till with their PIN and a member
//! ([`crate::people`]). Limited lines, a hold and a coupon are checked against the till's
//! rights and spent inside the sale's transaction; returned limited units are minted back as
//! rights of this till ([`crate::limited`]).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::op::{CatalogField, Money, OpBody, ReturnRecord, SaleRecord, StockReason};
use sync_proto::state::{CatalogEntry, StockCounterRow};
use sync_proto::wire::SnapshotChunk;
use sync_proto::{ActorId, Hlc, Op, ReceiptNo, Sku, StoreId};
use uuid::Uuid;

use crate::apply::{self, ApplyStats};
use crate::commands::{self, CashierMessage, Received};
use crate::db::{self, Enrolment, keys};
use crate::discount::Discount;
use crate::error::{Result, TillError};
use crate::limited;
use crate::outbox::Writer;
use crate::people::{self, Member, MemberSignUp, SignUpOutcome, Staff};
use crate::prices::{self, PriceQuote};
use crate::quote;
use crate::records;
use crate::returns;
use crate::sell::{self, SaleItem, TenderRequest};

/// A sale as the cashier rings it up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SaleRequest {
    /// Scanned items (SKU or barcode, quantity). Same SKU twice = one line.
    pub items: Vec<SaleItem>,
    /// Payments; empty = card for the whole total.
    pub tenders: Vec<TenderRequest>,
    /// Logged-in cashier, if any (the username of [`Till::unlock`]'s staff member).
    pub cashier: Option<String>,
    /// Phone number of the member the sale is made to, if any; the member
    /// must be known at this till ([`Till::sign_up_member`] or synced).
    #[serde(default)]
    pub member_phone: Option<String>,
    /// When the sale really happened, for a sale written on paper while the
    /// till was down (power cut) and entered later; `None` = now. At most
    /// [`MAX_LATE_ENTRY_DAYS`] in the past; priced as at that time.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub sold_at_ms: Option<u64>,
    /// Discount on the whole sale, spread over the lines in proportion to
    /// their net ([`crate::discount`]).
    #[serde(default)]
    pub cart_discount: Option<Discount>,
    /// PIN of the store manager approving a discount over the till's limit
    /// ([`Till::quote_sale`]'s `needs_approval`).
    #[serde(default)]
    pub approver_pin: Option<String>,
    /// A hold of this till whose units this sale sells ([`Till::hold_limited`]): they count
    /// as available for its SKU, and the hold becomes sold with this sale.
    #[serde(default)]
    #[ts(as = "Option<String>", optional = nullable)]
    pub hold: Option<Uuid>,
    /// A first-come coupon code (needs `member_phone`; [`crate::limited`]).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub coupon_code: Option<String>,
}

/// How far back a sale from the paper fallback book may be entered.
pub const MAX_LATE_ENTRY_DAYS: u64 = 31;

/// A committed sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SaleReceipt {
    /// The sale record (also in the outbox as an op).
    pub sale: SaleRecord,
    /// Per line, the label of the price rule that set its price (`None` = catalog price).
    pub price_labels: Vec<Option<String>>,
    /// Every op the sale wrote to the outbox: the sale, then one stock move per line.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

/// A product with the price it sells at right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProductInfo {
    /// The catalog entry (its `price` is the catalog price).
    #[serde(flatten)]
    pub item: CatalogItem,
    /// The price a sale would charge now (price rule or catalog price).
    #[ts(type = "number | null")]
    pub current_price: Option<Money>,
    /// Label of the price rule in force, if one is.
    pub price_label: Option<String>,
}

/// A return as the cashier takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReturnRequest {
    /// The original sale's receipt number.
    pub receipt: String,
    /// What comes back (SKU or barcode, quantity); empty = everything still returnable.
    pub items: Vec<SaleItem>,
}

/// A committed return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReturnReceipt {
    /// The return record.
    #[serde(rename = "return")]
    pub record: ReturnRecord,
    /// Every op the return wrote: the record, then one stock move per line.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

/// Stock of one SKU at this till's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StockLevel {
    /// The SKU.
    pub sku: String,
    /// Product name, when in the catalog.
    pub name: Option<String>,
    /// Σ increments − Σ decrements over every actor (may be negative).
    #[ts(type = "number")]
    pub qty: i64,
    /// The price a sale would charge now (price rule or catalog price).
    #[ts(type = "number | null")]
    pub current_price: Option<Money>,
    /// Label of the price rule in force, if one is.
    pub price_label: Option<String>,
}

/// A product of the till's catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CatalogItem {
    /// SKU.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Unit price in minor units (`None` until known).
    #[ts(type = "number | null")]
    pub price: Option<Money>,
    /// Barcode.
    pub barcode: Option<String>,
    /// Style code.
    pub style: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Sellable.
    pub active: bool,
}

/// What `status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TillStatus {
    /// Current actor id (`None` before enrolment).
    pub actor: Option<String>,
    /// Store code.
    pub store: Option<String>,
    /// Store name.
    pub store_name: Option<String>,
    /// Till number.
    pub till_no: Option<u32>,
    /// Hub URL.
    pub hub: Option<String>,
    /// Highest seq committed locally (current actor).
    #[ts(type = "number")]
    pub last_seq: u64,
    /// Highest seq the hub acknowledged.
    #[ts(type = "number")]
    pub acked_seq: u64,
    /// Ops not yet acknowledged.
    #[ts(type = "number")]
    pub unsent_ops: u64,
    /// Downstream log position committed.
    #[ts(type = "number")]
    pub cursor: u64,
    /// Last successful exchange with the hub.
    #[ts(type = "number | null")]
    pub last_sync_ms: Option<u64>,
    /// Sales rung up on this till.
    #[ts(type = "number")]
    pub sales_count: u64,
    /// Returns taken on this till.
    #[ts(type = "number")]
    pub returns_count: u64,
    /// The hub refused this till as restored; enrol again.
    pub needs_enrolment: bool,
    /// Last sync error.
    pub last_error: Option<String>,
    /// Head office has locked the till: it refuses sales and returns.
    pub locked: bool,
    /// Messages from head office the cashier has not marked read (newest first).
    pub unread_messages: Vec<CashierMessage>,
    /// Unread chat messages per channel (store chat, notices).
    pub chat_unread: Vec<crate::chat::ChannelUnread>,
}

/// A stored receipt, as looked up by its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoredReceipt {
    /// A sale, with the returns made against it so far.
    Sale {
        /// The sale.
        sale: SaleRecord,
        /// Returns against it.
        returns: Vec<ReturnRecord>,
        /// Per line, the price rule label (local sales only).
        price_labels: Vec<Option<String>>,
    },
    /// A return.
    Return {
        /// The return.
        #[serde(rename = "return")]
        record: ReturnRecord,
    },
}

/// Enrolment data for a till that is set up without a hub (tests, benchmarks, demos).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineEnrolment {
    /// Actor id (random when `None`).
    pub actor: Option<ActorId>,
    /// Store code.
    pub store: StoreId,
    /// Store name.
    pub store_name: String,
    /// Till number.
    pub till_no: u32,
    /// Currency.
    pub currency: String,
    /// Hub URL to sync with later (may be empty).
    pub hub_url: String,
    /// Device credential (may be empty).
    pub credential: String,
}

/// A till: the local store and the cashier's operations on it.
pub struct Till {
    pub(crate) conn: Connection,
    pub(crate) data_dir: PathBuf,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl Till {
    /// Open (creating and migrating if needed) the till in `data_dir`.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Till> {
        let data_dir = data_dir.as_ref().to_path_buf();
        let conn = db::open(&data_dir)?;
        Ok(Till { conn, data_dir })
    }

    /// Open a till and enrol it offline as till `till_no` of `store` with a
    /// random actor (currency KRW, no hub): the quick way for tests and
    /// benchmarks to get a till that can sell. Does nothing to the enrolment
    /// if the data directory is already enrolled.
    pub fn open_offline(data_dir: impl AsRef<Path>, store: &str, till_no: u32) -> Result<Till> {
        let mut till = Till::open(data_dir)?;
        if till.enrolment()?.is_none() {
            till.enrol_offline(&OfflineEnrolment {
                actor: None,
                store: store.parse()?,
                store_name: store.to_owned(),
                till_no,
                currency: "KRW".into(),
                hub_url: String::new(),
                credential: String::new(),
            })?;
        }
        Ok(till)
    }

    /// Write an enrolment without talking to a hub (tests, benchmarks, demos).
    pub fn enrol_offline(&mut self, e: &OfflineEnrolment) -> Result<ActorId> {
        let actor = e.actor.unwrap_or_else(ActorId::new_random);
        let tx = db::write_tx(&mut self.conn)?;
        db::set_meta(&tx, keys::ACTOR, &actor.to_string())?;
        db::set_meta(&tx, keys::STORE, e.store.as_str())?;
        db::set_meta(&tx, keys::STORE_NAME, &e.store_name)?;
        db::set_meta(&tx, keys::TILL_NO, &e.till_no.to_string())?;
        db::set_meta(&tx, keys::CURRENCY, &e.currency)?;
        db::set_meta(&tx, keys::HUB_URL, &e.hub_url)?;
        db::set_meta(&tx, keys::CREDENTIAL, &e.credential)?;
        db::set_meta(&tx, keys::ACKED_SEQ, "0")?;
        db::set_meta(&tx, keys::ENROLLED_AT_MS, &db::now_ms().to_string())?;
        tx.commit()?;
        Ok(actor)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The underlying connection (read-only use by embedding apps and tests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The enrolment, or `None` before the till is enrolled.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        db::enrolment(&self.conn)
    }

    /// Look a product up by SKU or barcode.
    pub fn catalog_item(&self, code: &str) -> Result<Option<CatalogItem>> {
        lookup_product(&self.conn, code)
    }

    /// Write catalog items as if they came from the hub with a very old
    /// timestamp, so that any real catalog change wins (tests, benchmarks, demos).
    pub fn seed_catalog(&mut self, items: &[CatalogItem]) -> Result<()> {
        let hlc = Hlc {
            wall_ms: 1,
            counter: 0,
            actor: ActorId(Uuid::nil()),
        };
        let tx = db::write_tx(&mut self.conn)?;
        for item in items {
            let sku: Sku = item.sku.parse()?;
            let mut fields = vec![
                CatalogField::Name(item.name.clone()),
                CatalogField::Barcode(item.barcode.clone()),
                CatalogField::Active(item.active),
            ];
            if let Some(p) = item.price {
                fields.push(CatalogField::Price(p));
            }
            for (v, f) in [
                (
                    &item.style,
                    CatalogField::Style as fn(String) -> CatalogField,
                ),
                (&item.colour, CatalogField::Colour),
                (&item.size, CatalogField::Size),
                (&item.category, CatalogField::Category),
            ] {
                if let Some(v) = v {
                    fields.push(f(v.clone()));
                }
            }
            for field in fields {
                apply::apply_catalog_field(&tx, &sku, &field, &hlc)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Ring up a sale: prices from the local catalog, payment settled, and the
    /// sale, its lines and tenders, the stock moves and the outbox ops
    /// committed in one transaction. Returns the sale with its receipt number.
    ///
    /// A sale refused because this till's allocation of a limited item (or its coupons) is
    /// used up rolls back, and the till then asks the hub for more in a transaction of its
    /// own, so a till at zero that still has customers gets rights when there are any.
    pub fn sell(&mut self, req: &SaleRequest) -> Result<SaleReceipt> {
        let sold = self.sell_in_one_transaction(req);
        match &sold {
            Err(TillError::LimitedUsedUp { sku, .. }) => self.ask_after_refusal(Some(sku), None),
            Err(TillError::CouponsUsedUp { code, .. }) => self.ask_after_refusal(None, Some(code)),
            _ => {}
        }
        sold
    }

    fn sell_in_one_transaction(&mut self, req: &SaleRequest) -> Result<SaleReceipt> {
        commands::ensure_unlocked(&self.conn)?;
        if req.items.is_empty() {
            return Err(TillError::EmptySale);
        }
        let now_ms = db::now_ms();
        let at_ms = match req.sold_at_ms {
            // Deals are chosen by the till's HLC time: a clock set back does not reopen one.
            None => prices::deal_now(&self.conn)?,
            Some(t) if t <= now_ms && now_ms - t <= MAX_LATE_ENTRY_DAYS * 86_400_000 => t,
            Some(t) => {
                return Err(TillError::SoldAtOutOfRange {
                    sold_at_ms: t,
                    now_ms,
                    max_days: MAX_LATE_ENTRY_DAYS,
                });
            }
        };
        let mut priced = quote::price_request(&self.conn, req, at_ms)?;
        if let Some(refusal) = priced.coupon_refusal.take() {
            return Err(refusal);
        }
        let approver = quote::check_approval(&self.conn, &priced, req)?;
        let quote::Priced {
            lines,
            labels: price_labels,
            member,
            quote: sale_quote,
            coupon,
            ..
        } = priced;
        let total = sale_quote.total;
        let settlement = sell::settle(total, &req.tenders)?;
        let cashier = req
            .cashier
            .as_ref()
            .map(|c| c.chars().take(sync_proto::validate::MAX_TEXT / 4).collect());

        let tx = db::write_tx(&mut self.conn)?;
        // Again under the write lock: a Lock may have landed since the check above.
        commands::ensure_unlocked(&tx)?;
        let mut w = Writer::begin(&tx)?;
        let receipt = w.next_receipt()?;
        let sale = SaleRecord {
            id: Uuid::now_v7(),
            receipt,
            store: w.enrolment.store.clone(),
            till: w.enrolment.actor,
            cashier,
            member,
            lines,
            tenders: settlement.tenders,
            total,
            change_given: settlement.change_due,
            currency: w.enrolment.currency.clone(),
            sold_at_ms: req.sold_at_ms.unwrap_or_else(|| w.now_ms()),
        };
        records::insert_sale_labelled(&tx, &sale, true, &price_labels)?;
        crate::shift::stamp_sale(&tx, &sale.id)?;
        if let Some(approver) = &approver {
            quote::record_approval(&tx, &sale, approver, &sale_quote, w.now_ms())?;
        }
        w.emit(OpBody::Sale(sale.clone()))?;
        let reference = Some(sale.receipt.to_string());
        for line in &sale.lines {
            w.stock_move(
                &line.sku,
                -i64::from(line.qty),
                StockReason::Sale,
                reference.clone(),
            )?;
        }
        // Limited lines, the hold and the coupon: checked against this till's rights and
        // spent here, under the write lock.
        let limited =
            limited::spend_for_sale(&tx, &mut w, &sale, req.hold, coupon.as_ref(), at_ms)?;
        let enrolment = w.enrolment.clone();
        let ops = w.finish()?;
        if limited {
            limited::hub_check(&ops, &enrolment)?;
        }
        tx.commit()?;
        Ok(SaleReceipt {
            sale,
            price_labels,
            ops,
        })
    }

    /// Take a return against a receipt (a sale of this store known to this
    /// till). No items = everything still returnable. Refunds go back on the
    /// sale's tenders; stock comes back; all in one transaction.
    pub fn return_sale(&mut self, req: &ReturnRequest) -> Result<ReturnReceipt> {
        commands::ensure_unlocked(&self.conn)?;
        let receipt_no: ReceiptNo = req.receipt.parse()?;
        let mut wanted: Vec<(Sku, u32)> = Vec::with_capacity(req.items.len());
        for item in &req.items {
            let sku: Sku = match lookup_product(&self.conn, &item.code)? {
                Some(p) => p.sku.parse()?,
                None => item.code.parse()?,
            };
            wanted.push((sku, item.qty));
        }
        let tx = db::write_tx(&mut self.conn)?;
        commands::ensure_unlocked(&tx)?;
        let sale_id = match records::sale_id_by_receipt(&tx, receipt_no.as_str())? {
            Some(id) => id,
            None if records::return_id_by_receipt(&tx, receipt_no.as_str())?.is_some() => {
                return Err(TillError::NotASale(receipt_no.to_string()));
            }
            None => return Err(TillError::ReceiptNotFound(receipt_no.to_string())),
        };
        let sale = records::load_sale(&tx, &sale_id)?
            .ok_or_else(|| TillError::ReceiptNotFound(receipt_no.to_string()))?;
        let earlier = records::returns_for_sale(&tx, &sale.id)?;
        let plan = returns::plan_return(&sale, &earlier, &wanted)?;
        let mut w = Writer::begin(&tx)?;
        let receipt = w.next_receipt()?;
        let record = ReturnRecord {
            id: Uuid::now_v7(),
            receipt,
            original_sale: sale.id,
            original_receipt: sale.receipt.clone(),
            store: w.enrolment.store.clone(),
            till: w.enrolment.actor,
            lines: plan.lines,
            refunds: plan.refunds,
            total_refund: plan.total_refund,
            currency: sale.currency.clone(),
            returned_at_ms: w.now_ms(),
        };
        records::insert_return(&tx, &record, true)?;
        crate::shift::stamp_return(&tx, &record.id)?;
        w.emit(OpBody::Return(record.clone()))?;
        let reference = Some(record.receipt.to_string());
        for line in &record.lines {
            w.stock_move(
                &line.sku,
                i64::from(line.qty),
                StockReason::Return,
                reference.clone(),
            )?;
        }
        // Returned limited units become rights of this till again.
        let minted = limited::mint_returns(&tx, &mut w, &record)?;
        let enrolment = w.enrolment.clone();
        let ops = w.finish()?;
        if minted {
            limited::hub_check(&ops, &enrolment)?;
        }
        tx.commit()?;
        Ok(ReturnReceipt { record, ops })
    }

    /// This store's stock: every SKU of the catalog or with stock rows, or
    /// just `sku` (SKU or barcode) when given.
    pub fn stock(&self, sku: Option<&str>) -> Result<Vec<StockLevel>> {
        let store = db::require_enrolment(&self.conn)?.store;
        let filter: Option<String> = match sku {
            None => None,
            Some(code) => Some(match lookup_product(&self.conn, code)? {
                Some(p) => p.sku,
                None => code.trim().to_owned(),
            }),
        };
        let mut stmt = self.conn.prepare_cached(
            "WITH skus AS (
                 SELECT sku FROM catalog
                 UNION SELECT sku FROM stock_counters WHERE location = ?1
             )
             SELECT skus.sku, c.name,
                    (SELECT COALESCE(SUM(s.inc_total - s.dec_total), 0) FROM stock_counters s
                      WHERE s.location = ?1 AND s.sku = skus.sku),
                    c.price
             FROM skus LEFT JOIN catalog c ON c.sku = skus.sku
             WHERE ?2 IS NULL OR skus.sku = ?2
             ORDER BY skus.sku",
        )?;
        let rows = stmt.query_map(params![store.as_str(), filter], |r| {
            Ok((
                StockLevel {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    qty: r.get(2)?,
                    current_price: None,
                    price_label: None,
                },
                r.get::<_, Option<Money>>(3)?,
            ))
        })?;
        let rows: Vec<(StockLevel, Option<Money>)> = rows.collect::<Result<_, _>>()?;
        let now = prices::deal_now(&self.conn)?;
        let mut out = Vec::with_capacity(rows.len());
        for (mut level, catalog_price) in rows {
            if let Some(q) = prices::quote(&self.conn, &level.sku, catalog_price, now)? {
                level.current_price = Some(q.price);
                level.price_label = q.label;
            }
            out.push(level);
        }
        if let (Some(f), true) = (filter, out.is_empty()) {
            out.push(StockLevel {
                sku: f,
                name: None,
                qty: 0,
                current_price: None,
                price_label: None,
            });
        }
        Ok(out)
    }

    /// The till's identity and sync state.
    pub fn status(&self) -> Result<TillStatus> {
        status(&self.conn)
    }

    /// Look up a stored sale or return by receipt number.
    pub fn receipt(&self, receipt: &str) -> Result<StoredReceipt> {
        let no: ReceiptNo = receipt.parse()?;
        if let Some(id) = records::sale_id_by_receipt(&self.conn, no.as_str())? {
            let sale = records::load_sale(&self.conn, &id)?
                .ok_or_else(|| TillError::ReceiptNotFound(no.to_string()))?;
            let returns = records::returns_for_sale(&self.conn, &sale.id)?;
            let price_labels = records::sale_price_labels(&self.conn, &id)?;
            return Ok(StoredReceipt::Sale {
                sale,
                returns,
                price_labels,
            });
        }
        if let Some(id) = records::return_id_by_receipt(&self.conn, no.as_str())? {
            let record = records::load_return(&self.conn, &id)?
                .ok_or_else(|| TillError::ReceiptNotFound(no.to_string()))?;
            return Ok(StoredReceipt::Return { record });
        }
        Err(TillError::ReceiptNotFound(no.to_string()))
    }

    /// Ops of this till's current actor with `seq >= from` (the outbox), in order.
    pub fn outbox(&self, from: u64, limit: usize) -> Result<Vec<Op>> {
        let actor = db::require_enrolment(&self.conn)?.actor;
        db::load_ops(&self.conn, actor, from, u64::MAX, limit, usize::MAX)
    }

    /// Apply a downstream batch from the hub and move the cursor, in one
    /// transaction (what the sync client does; public for tests and tools).
    pub fn apply_downstream(&mut self, ops: &[Op], to_cursor: u64) -> Result<ApplyStats> {
        apply::apply_batch(&mut self.conn, ops, to_cursor)
    }

    /// Apply one snapshot chunk from the hub (catalog, stock and the winning
    /// ops of staff, members and price rules) in one transaction; the last
    /// chunk sets the cursor (what the sync client does; public for tests and tools).
    pub fn apply_snapshot_chunk(&mut self, chunk: &SnapshotChunk) -> Result<ApplyStats> {
        apply::apply_snapshot_chunk(&mut self.conn, chunk)
    }

    /// A product (SKU or barcode) with the price it sells at now.
    pub fn product(&self, code: &str) -> Result<Option<ProductInfo>> {
        let Some(item) = lookup_product(&self.conn, code)? else {
            return Ok(None);
        };
        let quote = prices::quote(
            &self.conn,
            &item.sku,
            item.price,
            prices::deal_now(&self.conn)?,
        )?;
        Ok(Some(ProductInfo {
            current_price: quote.as_ref().map(|q| q.price),
            price_label: quote.and_then(|q| q.label),
            item,
        }))
    }

    /// The price of a product (SKU or barcode) at `at_ms`, with the rule label.
    pub fn price_at(&self, code: &str, at_ms: u64) -> Result<Option<PriceQuote>> {
        let Some(item) = lookup_product(&self.conn, code)? else {
            return Err(TillError::UnknownSku(code.to_owned()));
        };
        prices::quote(&self.conn, &item.sku, item.price, at_ms)
    }

    /// Whether head office has locked the till.
    pub fn is_locked(&self) -> Result<bool> {
        commands::is_locked(&self.conn)
    }

    /// Record and carry out a remote command (idempotent by id). The sync
    /// client does this for `Command` frames; public for tools and tests.
    pub fn receive_command(&mut self, cmd: &sync_proto::wire::Command) -> Result<Received> {
        commands::receive(&mut self.conn, cmd)
    }

    /// Messages from head office (newest first); only unread ones when `unread_only`.
    pub fn messages(&self, unread_only: bool) -> Result<Vec<CashierMessage>> {
        commands::messages(&self.conn, unread_only)
    }

    /// Mark one message read; `false` if there is no unread message with that id.
    pub fn mark_message_read(&self, id: &Uuid) -> Result<bool> {
        commands::mark_read(&self.conn, id)
    }

    /// Mark every message read; how many were unread.
    pub fn mark_all_messages_read(&self) -> Result<usize> {
        commands::mark_all_read(&self.conn)
    }

    /// Unlock the till with a staff PIN, offline: the active staff member of
    /// this store whose argon2id PIN hash matches. Use their `username` as the
    /// sale's cashier.
    pub fn unlock(&self, pin: &str) -> Result<Staff> {
        let store = db::require_enrolment(&self.conn)?.store;
        people::unlock(&self.conn, store.as_str(), pin)
    }

    /// Sign a member up at the counter (or update a member with this phone),
    /// offline: `MemberSet` ops (scope broadcast) in the outbox, in one transaction.
    pub fn sign_up_member(&mut self, req: &MemberSignUp) -> Result<SignUpOutcome> {
        let tx = db::write_tx(&mut self.conn)?;
        let out = people::sign_up(&tx, req)?;
        tx.commit()?;
        Ok(out)
    }

    /// The member with this phone number, if this till knows them.
    pub fn find_member(&self, phone: &str) -> Result<Option<Member>> {
        people::find_member(&self.conn, phone)
    }

    /// Apply snapshot entries (catalog with HLCs, stock counter rows) in one
    /// transaction without touching the cursor (tests and tools).
    pub fn apply_snapshot(
        &mut self,
        catalog: &[CatalogEntry],
        stock: &[StockCounterRow],
    ) -> Result<ApplyStats> {
        let tx = db::write_tx(&mut self.conn)?;
        let stats = apply::apply_snapshot_entries(&tx, catalog, stock)?;
        tx.commit()?;
        Ok(stats)
    }
}

/// Look a product up by SKU, then by barcode.
pub(crate) fn lookup_product(conn: &Connection, code: &str) -> Result<Option<CatalogItem>> {
    let code = code.trim();
    let sql_by = |col: &str| {
        format!(
            "SELECT sku, name, price, barcode, style, colour, size, category, active
             FROM catalog WHERE {col} = ?1 ORDER BY sku LIMIT 1"
        )
    };
    for col in ["sku", "barcode"] {
        let item = conn
            .prepare_cached(&sql_by(col))?
            .query_row([code], |r| {
                Ok(CatalogItem {
                    sku: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    price: r.get(2)?,
                    barcode: r.get(3)?,
                    style: r.get(4)?,
                    colour: r.get(5)?,
                    size: r.get(6)?,
                    category: r.get(7)?,
                    active: r.get(8)?,
                })
            })
            .optional()?;
        if item.is_some() {
            return Ok(item);
        }
    }
    Ok(None)
}

/// The status of the till stored in `conn`.
pub(crate) fn status(conn: &Connection) -> Result<TillStatus> {
    let enrolment = db::enrolment(conn)?;
    let last_seq = match &enrolment {
        Some(e) => db::last_seq(conn, e.actor)?,
        None => 0,
    };
    let acked_seq = db::get_meta_u64(conn, keys::ACKED_SEQ)?;
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        Ok(n as u64)
    };
    let last_sync_ms = db::get_meta(conn, keys::LAST_SYNC_MS)?.and_then(|v| v.parse().ok());
    Ok(TillStatus {
        actor: enrolment.as_ref().map(|e| e.actor.to_string()),
        store: enrolment.as_ref().map(|e| e.store.to_string()),
        store_name: enrolment.as_ref().map(|e| e.store_name.clone()),
        till_no: enrolment.as_ref().map(|e| e.till_no),
        hub: enrolment
            .as_ref()
            .map(|e| e.hub_url.clone())
            .filter(|h| !h.is_empty()),
        last_seq,
        acked_seq,
        unsent_ops: last_seq.saturating_sub(acked_seq),
        cursor: db::get_meta_u64(conn, keys::CURSOR)?,
        last_sync_ms,
        sales_count: count("SELECT COUNT(*) FROM sales WHERE local = 1")?,
        returns_count: count("SELECT COUNT(*) FROM returns WHERE local = 1")?,
        needs_enrolment: db::get_meta(conn, keys::NEEDS_ENROLMENT)?.as_deref() == Some("1"),
        last_error: db::get_meta(conn, keys::LAST_ERROR)?.filter(|e| !e.is_empty()),
        locked: commands::is_locked(conn)?,
        unread_messages: commands::messages(conn, true)?,
        chat_unread: crate::chat::unread_counts(conn)?,
    })
}
