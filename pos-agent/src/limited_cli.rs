//! The limited-item commands of the `pos-agent` CLI (issue 7): `limited [SKU]`,
//! `hold SKU QTY [--note]`, `holds`, `release-hold ID`, `request-rights SKU QTY`. Each prints
//! JSON with `--json` (the shapes of [`pos_agent::LimitedStatus`] and
//! [`pos_agent::LimitHoldView`]), else one line per item.

use std::path::Path;

use pos_agent::{HoldState, LimitHoldView, LimitedStatus, Till, TillError};

use crate::print_json;

/// A limited-item command.
#[derive(Debug)]
pub enum LimitedAction {
    /// `limited [SKU]`: one item's status, or every limited item and coupon campaign.
    Status {
        /// SKU or barcode.
        sku: Option<String>,
        /// JSON output.
        json: bool,
    },
    /// `hold SKU QTY [--note]`.
    Hold {
        /// SKU or barcode.
        sku: String,
        /// Units.
        qty: u64,
        /// For whom.
        note: String,
        /// JSON output.
        json: bool,
    },
    /// `holds`.
    Holds {
        /// JSON output.
        json: bool,
    },
    /// `release-hold ID`.
    Release {
        /// Hold id.
        id: String,
        /// JSON output.
        json: bool,
    },
    /// `request-rights SKU QTY`.
    Request {
        /// SKU or barcode.
        sku: String,
        /// Units.
        qty: u64,
        /// JSON output.
        json: bool,
    },
}

fn status_line(s: &LimitedStatus) -> String {
    format!(
        "{:<24} {:>6} available (rights {}, held {}), {} in this store, {} elsewhere, {} left{}{}  {}",
        s.sku.as_deref().unwrap_or(&s.key),
        s.available,
        s.rights,
        s.held,
        s.store_left,
        s.elsewhere_left,
        s.total_left,
        if s.on_sale_now {
            ""
        } else {
            " [not on sale now]"
        },
        if s.request_open {
            " [request open]"
        } else {
            ""
        },
        s.label
    )
}

fn hold_line(h: &LimitHoldView) -> String {
    let status = match h.status {
        HoldState::Held => "held",
        HoldState::Released => "released",
        HoldState::Sold => "sold",
        HoldState::Expired => "expired",
    };
    format!(
        "{} {} x{} {status} until {} ms  {}",
        h.id, h.sku, h.qty, h.expires_at_ms, h.note
    )
}

/// Run `action` on the till in `data_dir`.
pub fn run(data_dir: &Path, action: LimitedAction) -> anyhow::Result<()> {
    match action {
        LimitedAction::Status {
            sku: Some(sku),
            json,
        } => {
            let till = Till::open(data_dir)?;
            let Some(s) = till.limited(&sku)? else {
                return Err(TillError::InvalidInput(format!("{sku} is not a limited item")).into());
            };
            if json {
                print_json(&s)?;
            } else {
                println!("{}", status_line(&s));
            }
        }
        LimitedAction::Status { sku: None, json } => {
            let items = Till::open(data_dir)?.limited_items()?;
            if json {
                print_json(&items)?;
            } else if items.is_empty() {
                println!("no limited items or coupon campaigns at this till");
            } else {
                for s in &items {
                    println!("{}", status_line(s));
                }
            }
        }
        LimitedAction::Hold {
            sku,
            qty,
            note,
            json,
        } => {
            let h = Till::open(data_dir)?.hold_limited(&sku, qty, &note)?;
            if json {
                print_json(&h)?;
            } else {
                println!("{}", h.id);
            }
        }
        LimitedAction::Holds { json } => {
            let holds = Till::open(data_dir)?.holds()?;
            if json {
                print_json(&holds)?;
            } else if holds.is_empty() {
                println!("no holds at this till");
            } else {
                for h in &holds {
                    println!("{}", hold_line(h));
                }
            }
        }
        LimitedAction::Release { id, json } => {
            let h = Till::open(data_dir)?.release_hold(&id)?;
            if json {
                print_json(&h)?;
            } else {
                println!("{}", hold_line(&h));
            }
        }
        LimitedAction::Request { sku, qty, json } => {
            let s = Till::open(data_dir)?.request_rights(&sku, qty)?;
            if json {
                print_json(&s)?;
            } else {
                println!("asked the hub for {qty} more; {}", status_line(&s));
            }
        }
    }
    Ok(())
}
