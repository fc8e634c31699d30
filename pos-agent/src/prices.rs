//! Scheduled prices and time-limited deals at the till.
//!
//! `PriceRule` ops (scope `catalog`, written by the hub) land in the
//! `price_rule` table, one last-writer-wins row per rule id (a newer HLC
//! replaces the rule; HQ cancels a rule by writing it again with
//! `cancelled = true`). Rules arrive ahead of time, so the till chooses the
//! price at the moment of sale by its own clock, online or not
//! ([`quote`] → `sync_proto::pricing::effective_rule`).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sync_proto::op::Money;
use sync_proto::pricing::{PriceRule, effective_rule};
use sync_proto::{Hlc, Sku};

use crate::db;
use crate::error::{Result, TillError};

/// The price of a SKU at one moment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PriceQuote {
    /// Price charged (minor units).
    #[ts(type = "number")]
    pub price: Money,
    /// Label of the rule that set it (`None` = the catalog price).
    pub label: Option<String>,
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
/// price; `None` when neither exists.
pub fn quote(
    conn: &Connection,
    sku: &str,
    catalog_price: Option<Money>,
    at_ms: u64,
) -> Result<Option<PriceQuote>> {
    let rules = rules_for(conn, sku)?;
    Ok(match effective_rule(&rules, at_ms) {
        Some(rule) => Some(PriceQuote {
            price: rule.price,
            label: Some(rule.label.clone()),
        }),
        None => catalog_price.map(|price| PriceQuote { price, label: None }),
    })
}
