//! The demo chain's limited drop and first-come coupons (issue 7), so the console's Drops
//! page and the tills' limited items are alive on first start.
//!
//! - A collaboration field jacket (the first jacket SKU of the catalog): 40 pieces split
//!   equally across the demo stores and, inside each store, across its tills; cashiers may
//!   hold units for 30 minutes.
//! - `WELCOME10`: 60 first-come coupons, 10% off a sale from ₩50,000, split by each store's
//!   past sales.
//!
//! While the demo runs, tills now and then sell the jacket (refused with the till's reason
//! once its allocation is used up, while the hub moves rights to tills that ask) and apply
//! the coupon to members' sales.

use anyhow::{Context, Result};
use rand::Rng;
use serde_json::json;

use crate::demo::{Api, DemoTill, Product};

/// The demo's coupon code.
pub const COUPON_CODE: &str = "WELCOME10";

/// What the demo's simulation sells as a limited item.
pub struct DemoDrop {
    /// The limited SKU.
    pub sku: String,
}

/// Create the drop and the coupon campaign (after the tills are enrolled, so the hub splits
/// the units across them).
pub fn seed(api: &Api, products: &[Product]) -> Result<DemoDrop> {
    let sku = products
        .iter()
        .find(|p| p.sku.starts_with("JKT"))
        .or(products.first())
        .context("the demo catalog is empty")?
        .sku
        .clone();
    api.post(
        "drops",
        json!({"label": "콜라보 재킷 Collab jacket", "sku": sku, "total": 40,
               "rule": "equal", "hold_minutes": 30}),
    )?;
    api.post(
        "drops",
        json!({"label": "웰컴 쿠폰 Welcome 10%",
               "coupon": {"code": COUPON_CODE, "discount": {"percent": 10}, "min_spend": 50_000},
               "total": 60, "rule": "weighted_by_sales", "hold_minutes": 0}),
    )?;
    Ok(DemoDrop { sku })
}

/// Now and then, a customer at `till` asks for the limited jacket: the line the demo prints.
pub fn maybe_sell_limited(till: &DemoTill, drop: &DemoDrop, rng: &mut impl Rng) -> Option<String> {
    if !rng.gen_bool(0.06) {
        return None;
    }
    Some(match till.ok(&["sell", &drop.sku, "--tender", "card"]) {
        Ok(receipt) => format!(
            "🔒 {} sold the limited {} → receipt {receipt}",
            till.name, drop.sku
        ),
        Err(e) => format!(
            "⛔ {} could not sell the limited {}: {e}",
            till.name, drop.sku
        ),
    })
}

/// Whether to offer the coupon on a sale with a member attached.
pub fn offer_coupon(args: &[&str], rng: &mut impl Rng) -> bool {
    args.contains(&"--member") && rng.gen_bool(0.3)
}
