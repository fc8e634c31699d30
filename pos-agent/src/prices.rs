//! Scheduled prices and time-limited deals at the till.
//!
//! `PriceRule` ops (scope `catalog`, written by the hub) land in the
//! `price_rule` table, one last-writer-wins row per rule id (a newer HLC
//! replaces the rule; HQ cancels a rule by writing it again with
//! `cancelled = true`). Rules arrive ahead of time, so the till chooses the
//! price at the moment of sale by its own clock, online or not
//! ([`quote`] → `sync_proto::pricing::effective_rule`).
//!
//! The time-deal clock guard (`sync_proto::pricing` module doc): "now" for a deal is
//! [`deal_now`], the later of the wall clock and the persisted HLC's wall time, so a clock set
//! back after a deal ended does not reopen it. The sync session stores how far the till's clock
//! was from the hub's at the last `Welcome` ([`record_hub_clock`], meta key
//! `hub_clock_offset_ms`); while that offset is beyond `CLOCK_GUARD_MS` either way, [`quote`]
//! applies no rule (catalog price, [`PriceQuote::deals_paused`]) and [`Till::clock_guard`]
//! says why.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sync_proto::op::Money;
use sync_proto::pricing::{self, PriceRule, effective_rule};
use sync_proto::{Hlc, Sku};

use crate::db::{self, keys};
use crate::error::{Result, TillError};
use crate::till::Till;

/// The price of a SKU at one moment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PriceQuote {
    /// Price charged (minor units).
    #[ts(type = "number")]
    pub price: Money,
    /// Label of the rule that set it (`None` = the catalog price).
    pub label: Option<String>,
    /// Time deals are paused because this till's clock is off the hub's by more than the
    /// guard: the price is the catalog price whatever rules exist.
    #[serde(default)]
    pub deals_paused: bool,
}

/// Whether this till applies time deals, and how far its clock is from the hub's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClockGuard {
    /// How far this till's clock was ahead of the hub's at the last connection (ms; negative =
    /// behind); `None` until a hub has told it its time.
    #[ts(type = "number | null")]
    pub offset_ms: Option<i64>,
    /// The offset is beyond `CLOCK_GUARD_MS` (5 minutes) either way: time-deal prices are not
    /// applied (catalog prices) until a connection shows the clock is right.
    pub deals_paused: bool,
}

/// Remember how far this till's clock is from the hub's, from the hub's time in its `Welcome`
/// (`hub_time_ms`) and the till's clock when it arrived (`now_ms`). A hub that sends no time
/// leaves the offset unknown (deals not paused). In the caller's transaction.
pub fn record_hub_clock(conn: &Connection, hub_time_ms: Option<u64>, now_ms: u64) -> Result<()> {
    match hub_time_ms {
        Some(hub) => db::set_meta(
            conn,
            keys::HUB_CLOCK_OFFSET_MS,
            &pricing::clock_offset_ms(now_ms, hub).to_string(),
        ),
        None => db::delete_meta(conn, keys::HUB_CLOCK_OFFSET_MS),
    }
}

/// The clock guard as stored (see [`ClockGuard`]). A stored offset that is not a number is
/// treated as unknown.
pub fn clock_guard(conn: &Connection) -> Result<ClockGuard> {
    let offset_ms = db::get_meta(conn, keys::HUB_CLOCK_OFFSET_MS)?.and_then(|v| v.parse().ok());
    Ok(ClockGuard {
        offset_ms,
        deals_paused: pricing::deals_paused(offset_ms),
    })
}

/// The moment deals are chosen by now: the later of the wall clock and the wall part of the
/// persisted HLC (`sync_proto::pricing::deal_time`).
pub fn deal_now(conn: &Connection) -> Result<u64> {
    let hlc_wall = db::get_meta(conn, keys::HLC_LAST)?
        .and_then(|v| v.split('.').next().and_then(|w| w.parse::<u64>().ok()))
        .unwrap_or(0);
    Ok(pricing::deal_time(db::now_ms(), hlc_wall))
}

impl Till {
    /// Whether time deals apply on this till now, and how far its clock is from the hub's
    /// (for the "deals paused: check the clock" banner).
    pub fn clock_guard(&self) -> Result<ClockGuard> {
        clock_guard(&self.conn)
    }
}

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

/// Apply a price rule if `hlc` is newer than the stored one; `true` if it changed.
pub fn apply_price_rule(conn: &Connection, r: &PriceRule, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO price_rule(id, sku, price, valid_from_ms, valid_to_ms, label, cancelled, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 sku = excluded.sku, price = excluded.price,
                 valid_from_ms = excluded.valid_from_ms, valid_to_ms = excluded.valid_to_ms,
                 label = excluded.label, cancelled = excluded.cancelled, hlc = excluded.hlc
             WHERE excluded.hlc > price_rule.hlc",
        )?
        .execute(params![
            r.id.to_string(),
            r.sku.as_str(),
            r.price,
            clamp(r.valid_from_ms),
            r.valid_to_ms.map(clamp),
            r.label,
            r.cancelled,
            db::hlc_to_text(hlc)
        ])?;
    Ok(n > 0)
}

/// Every rule stored for `sku` (cancelled and expired ones included).
pub fn rules_for(conn: &Connection, sku: &str) -> Result<Vec<PriceRule>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sku, price, valid_from_ms, valid_to_ms, label, cancelled
         FROM price_rule WHERE sku = ?1",
    )?;
    let rows = stmt.query_map([sku], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, bool>(6)?,
        ))
    })?;
    let corrupt = || TillError::Corrupt("stored price rule is invalid".into());
    let mut out = Vec::new();
    for row in rows {
        let (id, sku, price, from, to, label, cancelled) = row?;
        out.push(PriceRule {
            id: id.parse().map_err(|_| corrupt())?,
            sku: sku.parse::<Sku>().map_err(|_| corrupt())?,
            price,
            valid_from_ms: from.max(0) as u64,
            valid_to_ms: to.map(|t| t.max(0) as u64),
            label,
            cancelled,
        });
    }
    Ok(out)
}

/// The price of `sku` at `at_ms`: the effective rule's, else the catalog
/// price; `None` when neither exists. For "now", pass [`deal_now`]. While the
/// clock guard pauses deals, no rule applies (the catalog price, marked
/// [`PriceQuote::deals_paused`]).
pub fn quote(
    conn: &Connection,
    sku: &str,
    catalog_price: Option<Money>,
    at_ms: u64,
) -> Result<Option<PriceQuote>> {
    if clock_guard(conn)?.deals_paused {
        return Ok(catalog_price.map(|price| PriceQuote {
            price,
            label: None,
            deals_paused: true,
        }));
    }
    let rules = rules_for(conn, sku)?;
    Ok(match effective_rule(&rules, at_ms) {
        Some(rule) => Some(PriceQuote {
            price: rule.price,
            label: Some(rule.label.clone()),
            deals_paused: false,
        }),
        None => catalog_price.map(|price| PriceQuote {
            price,
            label: None,
            deals_paused: false,
        }),
    })
}

#[cfg(test)]
mod tests {
    use sync_proto::op::OpBody;
    use sync_proto::pricing::CLOCK_GUARD_MS;
    use sync_proto::{ActorId, Op, Scope};
    use tempfile::TempDir;
    use uuid::Uuid;

    use super::*;
    use crate::{CatalogItem, SaleItem, SaleRequest};

    const HUB: ActorId = ActorId(Uuid::from_bytes([0xAB; 16]));
    const SKU: &str = "TSH-0001-BLK-M";
    const MINUTE: u64 = 60_000;

    /// A till with one product at 39,000 and a deal at 29,000 from `from` until `to`.
    fn till_with_deal(from: u64, to: u64) -> (TempDir, Till) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut till = Till::open_offline(dir.path(), "GN01", 2).expect("open");
        till.seed_catalog(&[CatalogItem {
            sku: SKU.into(),
            name: "Tee".into(),
            price: Some(39_000),
            active: true,
            ..CatalogItem::default()
        }])
        .expect("seed");
        let deal = PriceRule {
            id: Uuid::from_u128(1),
            sku: SKU.parse().expect("sku"),
            price: 29_000,
            valid_from_ms: from,
            valid_to_ms: Some(to),
            label: "Flash deal".into(),
            cancelled: false,
        };
        let op = Op {
            actor: HUB,
            seq: 1,
            hlc: Hlc {
                wall_ms: 1_000,
                counter: 0,
                actor: HUB,
            },
            scope: Scope::Catalog,
            body: OpBody::PriceRule(deal),
        };
        till.apply_downstream(&[op], 1).expect("apply");
        (dir, till)
    }

    fn price_now(till: &Till) -> (Option<Money>, Option<String>) {
        let p = till.product(SKU).expect("product").expect("known");
        (p.current_price, p.price_label)
    }

    fn sell_one(till: &mut Till) -> Money {
        till.sell(&SaleRequest {
            items: vec![SaleItem::new(SKU, 1)],
            ..SaleRequest::default()
        })
        .expect("sell")
        .sale
        .lines[0]
            .unit_price
    }

    #[test]
    fn a_clock_ten_minutes_fast_pauses_time_deals_until_it_is_right_again() {
        let now = db::now_ms();
        let (_dir, mut till) = till_with_deal(now - 60 * MINUTE, now + 60 * MINUTE);
        assert_eq!(
            till.clock_guard().expect("guard"),
            ClockGuard {
                offset_ms: None,
                deals_paused: false
            }
        );
        assert_eq!(price_now(&till), (Some(29_000), Some("Flash deal".into())));

        // The hub's Welcome says it is 10 minutes earlier than this till thinks.
        record_hub_clock(&till.conn, Some(now - 10 * MINUTE), now).expect("record");
        let guard = till.clock_guard().expect("guard");
        assert_eq!(guard.offset_ms, Some((10 * MINUTE) as i64));
        assert!(guard.deals_paused);
        assert_eq!(price_now(&till), (Some(39_000), None), "catalog price");
        let q = till.price_at(SKU, now).expect("price").expect("priced");
        assert_eq!((q.price, q.deals_paused), (39_000, true));
        assert_eq!(sell_one(&mut till), 39_000, "sold at the catalog price");

        // 10 minutes slow pauses them too; within the guard they apply again.
        record_hub_clock(&till.conn, Some(now + 10 * MINUTE), now).expect("record");
        assert!(till.clock_guard().expect("guard").deals_paused);
        record_hub_clock(&till.conn, Some(now - CLOCK_GUARD_MS), now).expect("record");
        assert!(!till.clock_guard().expect("guard").deals_paused);
        assert_eq!(sell_one(&mut till), 29_000);
        // A hub that sends no time leaves the offset unknown.
        record_hub_clock(&till.conn, None, now).expect("record");
        assert_eq!(till.clock_guard().expect("guard").offset_ms, None);
    }

    #[test]
    fn a_clock_set_back_after_a_deal_ended_does_not_reopen_it() {
        let now = db::now_ms();
        // By the wall clock the deal is on until an hour from now…
        let (_dir, mut till) = till_with_deal(now - 60 * MINUTE, now + 60 * MINUTE);
        assert_eq!(sell_one(&mut till), 29_000);
        // …but this till already stamped ops two hours from now: its clock has been set back
        // since, and by its HLC time the deal is over.
        db::set_meta(
            &till.conn,
            keys::HLC_LAST,
            &format!("{}.0", now + 120 * MINUTE),
        )
        .expect("hlc");
        assert!(deal_now(&till.conn).expect("deal time") >= now + 120 * MINUTE);
        assert_eq!(price_now(&till), (Some(39_000), None));
        assert_eq!(sell_one(&mut till), 39_000, "the deal stays ended");
        let q = till
            .quote_sale(&SaleRequest {
                items: vec![SaleItem::new(SKU, 1)],
                ..SaleRequest::default()
            })
            .expect("quote");
        assert_eq!(q.lines[0].unit_price, 39_000);
        // A sale entered from the paper book keeps the price of its own time.
        let late = till
            .sell(&SaleRequest {
                items: vec![SaleItem::new(SKU, 1)],
                sold_at_ms: Some(now - 30 * MINUTE),
                ..SaleRequest::default()
            })
            .expect("late entry");
        assert_eq!(late.sale.lines[0].unit_price, 29_000);
    }
}
