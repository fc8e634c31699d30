//! The replenishment and delivery commands of the `pos-agent` CLI (issue 5):
//! `request-stock SKU=QTY… [--note]`, `orders`, `cancel-order ID`, `deliveries`,
//! `receive SHIPMENT [SKU=QTY[/DAMAGED]…] [--note]`. Who acts is `--pin PIN` (that staff
//! member), `--by NAME`, or else the till itself (`GN01 till 01`). Each prints JSON with
//! `--json` (the shapes of [`pos_agent::OrderView`], [`pos_agent::DeliveryView`] and
//! [`pos_agent::ReceivingView`]), else one line per item.

use std::path::Path;

use pos_agent::{CountedLine, DeliveryView, OrderView, StockRequestLine, Till, TillError};

use crate::print_json;

/// Who acts: a staff PIN, a name, or the till.
#[derive(Debug, Default, Clone)]
pub struct Actor {
    /// Staff PIN (the matching active staff member of this store).
    pub pin: Option<String>,
    /// A name given as is.
    pub by: Option<String>,
}

/// A replenishment or delivery command.
#[derive(Debug)]
pub enum LogisticsAction {
    /// `request-stock SKU=QTY… [--note]`.
    Request {
        /// `SKU=QTY` items (SKU or barcode).
        items: Vec<String>,
        /// Free text.
        note: Option<String>,
        /// Who asks.
        actor: Actor,
        /// JSON output.
        json: bool,
    },
    /// `orders`.
    Orders {
        /// JSON output.
        json: bool,
    },
    /// `cancel-order ID`.
    Cancel {
        /// Order id.
        id: String,
        /// Who cancels.
        actor: Actor,
        /// JSON output.
        json: bool,
    },
    /// `deliveries`.
    Deliveries {
        /// JSON output.
        json: bool,
    },
    /// `receive SHIPMENT [SKU=QTY[/DAMAGED]…] [--note]`.
    Receive {
        /// Shipment id.
        shipment: String,
        /// `SKU=QTY[/DAMAGED]` counts (SKU or barcode).
        items: Vec<String>,
        /// Free text.
        note: Option<String>,
        /// Who counted.
        actor: Actor,
        /// JSON output.
        json: bool,
    },
}

fn bad(item: &str, want: &str) -> TillError {
    TillError::InvalidInput(format!("{item:?}: expected {want}"))
}

/// `SKU=QTY` → a request line.
pub fn parse_request_item(item: &str) -> Result<StockRequestLine, TillError> {
    let want = "SKU=QTY, e.g. TSH-0001-BLK-M=12";
    let (sku, qty) = item.rsplit_once('=').ok_or_else(|| bad(item, want))?;
    let qty = qty.trim().parse().map_err(|_| bad(item, want))?;
    if sku.trim().is_empty() {
        return Err(bad(item, want));
    }
    Ok(StockRequestLine {
        sku: sku.trim().to_owned(),
        qty,
    })
}

/// `SKU=QTY[/DAMAGED]` → a counted line.
pub fn parse_counted_item(item: &str) -> Result<CountedLine, TillError> {
    let want = "SKU=QTY or SKU=QTY/DAMAGED, e.g. TSH-0001-BLK-M=10/1";
    let (sku, count) = item.rsplit_once('=').ok_or_else(|| bad(item, want))?;
    let (received, damaged) = match count.split_once('/') {
        Some((r, d)) => (r, Some(d)),
        None => (count, None),
    };
    let received = received.trim().parse().map_err(|_| bad(item, want))?;
    let damaged = match damaged {
        Some(d) => d.trim().parse().map_err(|_| bad(item, want))?,
        None => 0,
    };
    if sku.trim().is_empty() {
        return Err(bad(item, want));
    }
    Ok(CountedLine {
        sku: sku.trim().to_owned(),
        received,
        damaged,
    })
}

fn who(till: &Till, actor: &Actor) -> Result<String, TillError> {
    if let Some(pin) = &actor.pin {
        return Ok(till.unlock(pin)?.display_name);
    }
    if let Some(by) = &actor.by {
        return Ok(by.clone());
    }
    let e = till.enrolment()?.ok_or(TillError::NotEnrolled)?;
    Ok(format!("{} till {:02}", e.store, e.till_no))
}

fn order_line(o: &OrderView) -> String {
    let lines = o.approved_lines.as_ref().unwrap_or(&o.lines);
    let items: Vec<String> = lines
        .iter()
        .map(|l| format!("{}={}", l.sku, l.qty))
        .collect();
    format!(
        "{} {:<10} {} by {}{}{}",
        o.id,
        o.status.as_str(),
        items.join(" "),
        o.placed_by,
        if o.approved_lines.is_some() {
            " (approved quantities)"
        } else {
            ""
        },
        o.shipment
            .as_ref()
            .map(|s| format!(" shipment {s}"))
            .unwrap_or_default()
    )
}

fn delivery_line(d: &DeliveryView, now_ms: i64) -> String {
    let items: Vec<String> = d
        .lines
        .iter()
        .map(|l| format!("{}={}", l.sku, l.qty))
        .collect();
    let when = match (d.eta_ms, d.arrived_ms) {
        _ if d.received => "received".to_owned(),
        (_, Some(_)) => "arrived".to_owned(),
        (Some(eta), None) => {
            let min = (eta - now_ms).max(0).div_euclid(60_000) + 1;
            format!("arriving in ~{min} min")
        }
        (None, None) => "on its way".to_owned(),
    };
    format!(
        "{} {:<10} stop {}/{} {} ({}) {when}: {}",
        d.shipment,
        d.status.as_str(),
        d.stop_no,
        d.stops_total,
        d.driver_name,
        d.vehicle,
        items.join(" ")
    )
}

/// Run `action` on the till in `data_dir`.
pub fn run(data_dir: &Path, action: LogisticsAction) -> anyhow::Result<()> {
    match action {
        LogisticsAction::Request {
            items,
            note,
            actor,
            json,
        } => {
            let lines = items
                .iter()
                .map(|i| parse_request_item(i))
                .collect::<Result<Vec<_>, _>>()?;
            let mut till = Till::open(data_dir)?;
            let by = who(&till, &actor)?;
            let order = till.request_stock(&lines, note.as_deref(), &by)?;
            if json {
                print_json(&order)?;
            } else {
                println!("{}", order.id);
            }
        }
        LogisticsAction::Orders { json } => {
            let orders = Till::open(data_dir)?.orders()?;
            if json {
                print_json(&orders)?;
            } else if orders.is_empty() {
                println!("no replenishment orders at this till");
            } else {
                for o in &orders {
                    println!("{}", order_line(o));
                }
            }
        }
        LogisticsAction::Cancel { id, actor, json } => {
            let mut till = Till::open(data_dir)?;
            let by = who(&till, &actor)?;
            let order = till.cancel_order(&id, &by)?;
            if json {
                print_json(&order)?;
            } else {
                println!("{}", order_line(&order));
            }
        }
        LogisticsAction::Deliveries { json } => {
            let deliveries = Till::open(data_dir)?.deliveries()?;
            if json {
                print_json(&deliveries)?;
            } else if deliveries.is_empty() {
                println!("no deliveries to this store at this till");
            } else {
                let now = i64::try_from(pos_agent::db::now_ms()).unwrap_or(i64::MAX);
                for d in &deliveries {
                    println!("{}", delivery_line(d, now));
                }
            }
        }
        LogisticsAction::Receive {
            shipment,
            items,
            note,
            actor,
            json,
        } => {
            let counted = items
                .iter()
                .map(|i| parse_counted_item(i))
                .collect::<Result<Vec<_>, _>>()?;
            let mut till = Till::open(data_dir)?;
            let by = who(&till, &actor)?;
            let record = till.receive_delivery(&shipment, &counted, note.as_deref(), &by)?;
            let view = till.receiving_view(&record)?;
            if json {
                print_json(&view)?;
            } else {
                println!(
                    "received {} ({}): {} short, {} damaged, {} extra",
                    view.shipment,
                    view.id,
                    view.shortage_units,
                    view.damaged_units,
                    view.extra_units
                );
                for l in view
                    .lines
                    .iter()
                    .filter(|l| l.expected != l.received || l.damaged > 0)
                {
                    println!(
                        "  {} expected {} received {} damaged {}",
                        l.sku, l.expected, l.received, l.damaged
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse_or_say_what_is_expected() {
        let l = parse_request_item("TSH-1=12").expect("ok");
        assert_eq!((l.sku.as_str(), l.qty), ("TSH-1", 12));
        let c = parse_counted_item("TSH-1=10/2").expect("ok");
        assert_eq!((c.sku.as_str(), c.received, c.damaged), ("TSH-1", 10, 2));
        let c = parse_counted_item("8801234567890=3").expect("ok");
        assert_eq!((c.received, c.damaged), (3, 0));
        for bad in ["TSH-1", "=3", "TSH-1=x", "TSH-1=-1"] {
            let e = parse_request_item(bad).expect_err(bad).to_string();
            assert!(e.contains("expected SKU=QTY"), "{e}");
        }
        for bad in ["TSH-1=3/", "TSH-1=/1", "TSH-1"] {
            let e = parse_counted_item(bad).expect_err(bad).to_string();
            assert!(e.contains("SKU=QTY/DAMAGED"), "{e}");
        }
    }
}
