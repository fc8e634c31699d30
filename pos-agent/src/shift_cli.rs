//! `pos-agent shift …`: the drawer shift from the command line (open with a
//! float, status, cash in/out, close with the counted cash → Z report, reprint
//! a report), over [`pos_agent::shift`]. Human text by default, `--json` for
//! the same structures the desktop app gets.

use std::path::Path;

use clap::Subcommand;
use pos_agent::{CashMovementKind, Till};

/// `pos-agent shift` subcommands.
#[derive(Subcommand, Debug)]
pub enum ShiftAction {
    /// Open a shift with the cash float in the drawer.
    Open {
        /// Cash in the drawer at the start (minor units).
        #[arg(long)]
        float: i64,
        /// Who opens it (username).
        #[arg(long)]
        by: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The open shift's running totals.
    Status {
        /// JSON output (`null` when no shift is open).
        #[arg(long)]
        json: bool,
    },
    /// Put cash into the drawer.
    CashIn {
        /// Amount (minor units).
        amount: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Who (username).
        #[arg(long)]
        by: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Take cash out of the drawer.
    CashOut {
        /// Amount (minor units).
        amount: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Who (username).
        #[arg(long)]
        by: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Close the open shift with the cash counted; prints the Z report.
    Close {
        /// Cash counted in the drawer (minor units).
        #[arg(long)]
        counted: i64,
        /// Who closes it (username).
        #[arg(long)]
        by: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Reprint the Z report of a closed shift (the latest one without an id).
    Report {
        /// Shift id.
        shift: Option<uuid::Uuid>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

/// Run one `shift` subcommand on the till in `data_dir`.
pub fn run(data_dir: &Path, action: ShiftAction) -> anyhow::Result<()> {
    let mut till = Till::open(data_dir)?;
    match action {
        ShiftAction::Open { float, by, json } => {
            let shift = till.open_shift(&by, float)?;
            if json {
                print_json(&shift)?;
            } else {
                println!(
                    "shift {} opened by {} with float {}",
                    shift.id, shift.opened_by, shift.float
                );
            }
        }
        ShiftAction::Status { json } => {
            let current = till.current_shift()?;
            if json {
                print_json(&current)?;
            } else {
                match current {
                    None => println!("no shift open"),
                    Some(s) => println!(
                        "shift {} opened by {}: {} sales, net {}, {} returns, refunds {}, expected cash {}",
                        s.shift.id,
                        s.shift.opened_by,
                        s.sales_count,
                        s.net_sales,
                        s.returns_count,
                        s.refunds,
                        s.expected_cash
                    ),
                }
            }
        }
        ShiftAction::CashIn {
            amount,
            reason,
            by,
            json,
        } => cash(&mut till, CashMovementKind::In, amount, &reason, &by, json)?,
        ShiftAction::CashOut {
            amount,
            reason,
            by,
            json,
        } => cash(&mut till, CashMovementKind::Out, amount, &reason, &by, json)?,
        ShiftAction::Close { counted, by, json } => {
            let report = till.close_shift(&by, counted)?;
            if json {
                print_json(&report)?;
            } else {
                print!("{}", report.text);
            }
        }
        ShiftAction::Report { shift, json } => {
            let id = match shift {
                Some(id) => id,
                None => till
                    .shifts(50)?
                    .into_iter()
                    .find(|s| s.closed_at_ms.is_some())
                    .map(|s| s.id)
                    .ok_or_else(|| anyhow::anyhow!("no closed shift at this till yet"))?,
            };
            let report = till.z_report(&id)?;
            if json {
                print_json(&report)?;
            } else {
                print!("{}", report.text);
            }
        }
    }
    Ok(())
}

fn cash(
    till: &mut Till,
    kind: CashMovementKind,
    amount: i64,
    reason: &str,
    by: &str,
    json: bool,
) -> anyhow::Result<()> {
    let mv = till.cash_movement(kind, amount, reason, by)?;
    if json {
        print_json(&mv)?;
    } else {
        println!(
            "cash {} {} ({}) by {}",
            kind.as_str(),
            mv.amount,
            mv.reason,
            mv.by
        );
    }
    Ok(())
}
