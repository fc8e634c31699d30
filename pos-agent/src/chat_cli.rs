//! `pos-agent chat …`: the store's chat with HQ and HQ's notices, from the command line
//! (the binary's part; the work is in [`pos_agent::chat`] through [`Till`]).
//!
//! Refusals (empty or oversized message, forbidden file, unknown announcement or ticket,
//! wrong PIN) print one clear line on stderr and exit 1 with nothing written.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use pos_agent::chat::{ChannelKind, ChatMessageView};
use pos_agent::{ChatSend, Till};
use sync_proto::chat::{ChatSide, TicketCategory, TicketStatus};
use uuid::Uuid;

/// The `chat` subcommands.
#[derive(Subcommand, Debug)]
pub enum ChatAction {
    /// Show the store's chat with HQ (or HQ's notices), oldest first.
    List {
        /// HQ's notices (announcements) instead of the chat.
        #[arg(long)]
        notices: bool,
        /// Only the last N messages.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// JSON output: an array of messages.
        #[arg(long)]
        json: bool,
    },
    /// Write a message to HQ (works offline: it is sent with the next sync).
    Send {
        /// The message.
        text: String,
        /// Send it as a ticket: stock, delivery, facilities, it, customer or other.
        #[arg(long, value_name = "CATEGORY")]
        ticket: Option<TicketCategory>,
        /// Attach a photo (.jpg, .png, .webp) or a PDF, at most 10 MiB (repeatable, up to 4).
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// Staff PIN: the message is signed by that person (default: the till).
        #[arg(long)]
        pin: Option<String>,
        /// Message id (UUID) for a retry: the same id is stored once.
        #[arg(long)]
        id: Option<Uuid>,
        /// JSON output: the message.
        #[arg(long)]
        json: bool,
    },
    /// Mark the chat (or the notices) read up to the newest message.
    Read {
        /// The notices instead of the chat.
        #[arg(long)]
        notices: bool,
    },
    /// Unread messages per channel.
    Unread {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an announcement from HQ for the store.
    Ack {
        /// The announcement id (or its message id), as `chat list --notices` shows it.
        announcement: String,
        /// PIN of the staff member acknowledging it.
        #[arg(long)]
        pin: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Search the chat and notices (newest first).
    Search {
        /// Text to look for.
        text: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The store's tickets (requests and complaints), newest first.
    Tickets {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Move a ticket forward (open → in_progress → resolved).
    Ticket {
        /// The ticket id.
        ticket: String,
        /// The new status.
        #[arg(long)]
        status: TicketStatus,
        /// Staff PIN of the person doing it (default: the till).
        #[arg(long)]
        pin: Option<String>,
    },
    /// Save an attachment to a file (downloading it from the hub if it is not here).
    Attachment {
        /// SHA-256 of the file, as `chat list --json` shows it.
        sha256: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// How many messages per channel the till keeps (default 2000).
    HistoryLimit {
        /// Messages per channel (open tickets and unacknowledged announcements are always kept).
        limit: usize,
    },
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn channel_kind(notices: bool) -> ChannelKind {
    if notices {
        ChannelKind::Notices
    } else {
        ChannelKind::Store
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) of a time in ms since the epoch.
fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

fn print_message(m: &ChatMessageView) {
    let side = match m.side {
        ChatSide::Hq => "HQ",
        ChatSide::Store => "store",
    };
    let mut tags = Vec::new();
    if let (Some(c), Some(s)) = (m.category, m.ticket_status) {
        tags.push(format!("ticket {} {}", c.as_str(), s.as_str()));
    }
    if let Some(a) = m.announcement {
        tags.push(format!("announcement {a}"));
        if m.requires_ack {
            tags.push(match &m.acked_by {
                Some(by) => format!("acknowledged by {by}"),
                None => "to acknowledge".into(),
            });
        }
    }
    if m.mine && m.seen_by_hq {
        tags.push("seen by HQ".into());
    }
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", tags.join(", "))
    };
    let title = m
        .title
        .as_ref()
        .map(|t| format!("{t}: "))
        .unwrap_or_default();
    println!(
        "{} {} {} ({side}){tags}: {title}{}",
        utc_minute(m.written_at_ms),
        m.id,
        m.display_name,
        m.text
    );
    for a in &m.attachments {
        println!(
            "    attachment {} {} ({}, {} bytes, {})",
            a.sha256, a.name, a.mime, a.size, a.state
        );
    }
}

/// Carry out one `chat` subcommand on the till in `data_dir`.
pub fn run(data_dir: &Path, action: ChatAction) -> anyhow::Result<()> {
    match action {
        ChatAction::List {
            notices,
            limit,
            json,
        } => {
            let till = Till::open(data_dir)?;
            let messages = till.chat_messages(channel_kind(notices), limit)?;
            if json {
                print_json(&messages)?;
            } else if messages.is_empty() {
                println!("no messages yet");
            } else {
                messages.iter().for_each(print_message);
            }
        }
        ChatAction::Send {
            text,
            ticket,
            attach,
            pin,
            id,
            json,
        } => {
            let mut till = Till::open(data_dir)?;
            let author = match pin {
                Some(pin) => Some(till.unlock(&pin)?),
                None => None,
            };
            let sent = till.send_chat(&ChatSend {
                text,
                ticket,
                attachments: attach,
                author,
                id,
            })?;
            if json {
                print_json(&sent.message)?;
            } else {
                println!("{}", sent.message.id);
                if !sent.created {
                    eprintln!(
                        "message {} was already written; nothing new",
                        sent.message.id
                    );
                }
            }
        }
        ChatAction::Read { notices } => {
            let mut till = Till::open(data_dir)?;
            match till.mark_chat_read(channel_kind(notices))? {
                Some(_) => println!("marked read"),
                None => println!("nothing new to mark read"),
            }
        }
        ChatAction::Unread { json } => {
            let till = Till::open(data_dir)?;
            let counts = till.chat_unread()?;
            if json {
                print_json(&counts)?;
            } else {
                for c in counts {
                    println!("{}: {} unread", c.channel, c.unread);
                }
            }
        }
        ChatAction::Ack {
            announcement,
            pin,
            json,
        } => {
            let mut till = Till::open(data_dir)?;
            let out = till.acknowledge_announcement(&announcement, &pin)?;
            if json {
                print_json(&out)?;
            } else if out.created {
                println!("acknowledged {:?} as {}", out.title, out.by);
            } else {
                println!(
                    "{:?} was already acknowledged by {} ({})",
                    out.title,
                    out.by,
                    utc_minute(out.at_ms)
                );
            }
        }
        ChatAction::Search { text, json } => {
            let till = Till::open(data_dir)?;
            let found = till.search_chat(&text)?;
            if json {
                print_json(&found)?;
            } else if found.is_empty() {
                println!("nothing found");
            } else {
                found.iter().for_each(print_message);
            }
        }
        ChatAction::Tickets { json } => {
            let till = Till::open(data_dir)?;
            let tickets = till.chat_tickets()?;
            if json {
                print_json(&tickets)?;
            } else if tickets.is_empty() {
                println!("no tickets");
            } else {
                for t in tickets {
                    println!(
                        "{} {} {:<11} {:<10} {}: {}",
                        utc_minute(t.written_at_ms),
                        t.id,
                        t.status.as_str(),
                        t.category.map(|c| c.as_str()).unwrap_or("-"),
                        t.display_name,
                        t.text
                    );
                }
            }
        }
        ChatAction::Ticket {
            ticket,
            status,
            pin,
        } => {
            let mut till = Till::open(data_dir)?;
            let staff = match pin {
                Some(pin) => Some(till.unlock(&pin)?),
                None => None,
            };
            let out = till.update_ticket(&ticket, status, staff.as_ref())?;
            if out.changed {
                println!(
                    "ticket {} is now {}",
                    out.ticket.id,
                    out.ticket.status.as_str()
                );
            } else {
                println!(
                    "ticket {} is already {}",
                    out.ticket.id,
                    out.ticket.status.as_str()
                );
            }
        }
        ChatAction::Attachment { sha256, out } => {
            let till = Till::open(data_dir)?;
            let size = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?
                .block_on(till.save_chat_attachment(&sha256, &out))?;
            println!("saved {size} bytes to {}", out.display());
        }
        ChatAction::HistoryLimit { limit } => {
            let mut till = Till::open(data_dir)?;
            till.set_chat_history_limit(limit)?;
            println!("keeping at most {limit} messages per channel");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::utc_minute;

    #[test]
    fn utc_minutes() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00");
        assert_eq!(utc_minute(1_700_000_000_000), "2023-11-14 22:13");
        assert_eq!(utc_minute(951_782_400_000), "2000-02-29 00:00");
    }
}
