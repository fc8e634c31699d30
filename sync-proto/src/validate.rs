//! What the hub checks on every op a till pushes, before anything is stored.
//!
//! A till may write only ops of its own actor, only into its own store's
//! scope, only about its own store's stock, with quantities and amounts in
//! range and sums that add up. Anything else is an [`OpRejection`] — the hub
//! refuses the batch with an error frame and logs it; nothing is stored.
//!
//! The stateful check (a stock move's running totals continue the actor's
//! previous totals) needs the hub's storage and lives there.

use crate::chat::{self, Channel, ChatSide, MessageKind, Reader};
use crate::ids::{ActorId, StoreId};
use crate::op::{Op, OpBody, ReturnRecord, SaleRecord, Scope, StockMove, StockReason};
use crate::people::{MemberField, MemberSet, member_id_for_phone, normalise_phone};

/// Largest quantity on one sale or return line.
pub const MAX_LINE_QTY: u32 = 10_000;
/// Most lines on one sale or return.
pub const MAX_LINES: usize = 500;
/// Largest amount of money in one field (minor units).
pub const MAX_AMOUNT: i64 = 10_000_000_000_000;
/// Largest stock change in one move.
pub const MAX_STOCK_DELTA: i64 = 1_000_000;
/// Longest free text (names, references).
pub const MAX_TEXT: usize = 200;

/// Why an op pushed by a till was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpRejection {
    /// The op claims another actor than the authenticated till.
    #[error("op {seq} claims actor {claimed} but this connection is till {actual}")]
    ForgedActor {
        /// Seq of the op.
        seq: u64,
        /// The actor written in the op.
        claimed: ActorId,
        /// The authenticated actor.
        actual: ActorId,
    },
    /// The op writes into another store (scope, location or record).
    #[error("op {seq} writes {what} of store {target} but this till belongs to {own}")]
    WrongStore {
        /// Seq of the op.
        seq: u64,
        /// What was addressed (scope, stock, sale…).
        what: &'static str,
        /// The store written to.
        target: String,
        /// The till's store.
        own: StoreId,
    },
    /// A till may not write this kind of op (e.g. catalog changes).
    #[error("op {seq}: a till may not write {kind} ops")]
    NotAllowed {
        /// Seq of the op.
        seq: u64,
        /// Op kind.
        kind: &'static str,
    },
    /// The op is well-formed but its content is out of range or inconsistent.
    #[error("op {seq} is invalid: {reason}")]
    Invalid {
        /// Seq of the op.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Check one op pushed by till `actor` of `store`.
pub fn check_till_op(op: &Op, actor: ActorId, store: &StoreId) -> Result<(), OpRejection> {
    let seq = op.seq;
    if op.actor != actor || op.hlc.actor != actor {
        return Err(OpRejection::ForgedActor {
            seq,
            claimed: if op.actor != actor {
                op.actor
            } else {
                op.hlc.actor
            },
            actual: actor,
        });
    }
    if seq == 0 {
        return Err(invalid(seq, "seq starts at 1"));
    }
    // Placeholder until issue 7's real checks land (owner A): escrow moves and coupon
    // redemptions are chain-wide; scope only, content is checked by A's version.
    if matches!(op.body, OpBody::EscrowMove(_) | OpBody::CouponRedemption(_)) {
        if op.scope != Scope::Broadcast {
            return Err(invalid(
                seq,
                format!(
                    "{} ops go to scope broadcast, not {}",
                    op.body.kind(),
                    op.scope
                ),
            ));
        }
        return Ok(());
    }
    if let OpBody::MemberSet(m) = &op.body {
        if op.scope != Scope::Broadcast {
            return Err(invalid(
                seq,
                format!("member fields go to scope broadcast, not {}", op.scope),
            ));
        }
        return check_member_set(seq, m);
    }
    match &op.scope {
        Scope::Store(s) if s == store => {}
        Scope::Store(s) => {
            return Err(OpRejection::WrongStore {
                seq,
                what: "scope",
                target: s.to_string(),
                own: store.clone(),
            });
        }
        other => {
            return Err(OpRejection::WrongStore {
                seq,
                what: "scope",
                target: other.to_string(),
                own: store.clone(),
            });
        }
    }
    match &op.body {
        OpBody::StockMove(m) => check_stock_move(seq, m, store),
        OpBody::Sale(s) => check_sale(seq, s, actor, store),
        OpBody::Return(r) => check_return(seq, r, actor, store),
        OpBody::CatalogSet(_) | OpBody::StaffSet(_) | OpBody::PriceRule(_) => {
            Err(OpRejection::NotAllowed {
                seq,
                kind: op.body.kind(),
            })
        }
        // Handled above: member fields are chain-wide.
        OpBody::MemberSet(m) => check_member_set(seq, m),
        OpBody::ChatMessage(_)
        | OpBody::ChatRead(_)
        | OpBody::TicketUpdate(_)
        | OpBody::AnnouncementAck(_) => check_till_chat(op, actor, store),
        // Placeholder until issue 7's real checks land (owner A): scope checked above;
        // broadcast kinds returned earlier.
        OpBody::RightsRequest(_) | OpBody::LimitHold(_) => Ok(()),
        OpBody::EscrowMove(_)
        | OpBody::LimitDef(_)
        | OpBody::RightsRecall(_)
        | OpBody::CouponRedemption(_) => Err(OpRejection::NotAllowed {
            seq,
            kind: op.body.kind(),
        }),
    }
}

/// Checks of a chat op written by any replica: the record is well-formed and travels in the
/// scope of its channel's store. The hub runs this on what HQ writes too.
pub fn check_chat_op(op: &Op) -> Result<(), OpRejection> {
    let seq = op.seq;
    let (store, what) = match &op.body {
        OpBody::ChatMessage(m) => {
            chat::check_message(m).map_err(|e| invalid(seq, e.to_string()))?;
            let in_notices = matches!(m.channel, Channel::Notices(_));
            let announcement = matches!(m.kind, MessageKind::Announcement { .. });
            if in_notices != announcement {
                return Err(invalid(
                    seq,
                    "announcements go to a notices channel, and only announcements",
                ));
            }
            (m.channel.store(), "chat message")
        }
        OpBody::ChatRead(r) => (r.channel.store(), "read position"),
        OpBody::TicketUpdate(t) => {
            if !matches!(t.channel, Channel::Store(_)) {
                return Err(invalid(seq, "tickets live in a store channel"));
            }
            check_name(seq, "ticket update author", &t.by)?;
            (t.channel.store(), "ticket")
        }
        OpBody::AnnouncementAck(a) => {
            check_name(seq, "acknowledging person", &a.by)?;
            (&a.store, "acknowledgement")
        }
        _ => return Ok(()),
    };
    if op.scope != Scope::Store(store.clone()) {
        return Err(invalid(
            seq,
            format!(
                "a {what} of store {store} travels in scope store:{store}, not {}",
                op.scope
            ),
        ));
    }
    Ok(())
}

/// What only a till is held to on chat ops: it writes as the store, into its own store's
/// chat, reads as itself, and never announces.
fn check_till_chat(op: &Op, actor: ActorId, store: &StoreId) -> Result<(), OpRejection> {
    let seq = op.seq;
    check_chat_op(op)?;
    let wrong_store = |what: &'static str, target: &StoreId| OpRejection::WrongStore {
        seq,
        what,
        target: target.to_string(),
        own: store.clone(),
    };
    match &op.body {
        OpBody::ChatMessage(m) => {
            if m.channel.store() != store {
                return Err(wrong_store("chat message", m.channel.store()));
            }
            if matches!(m.kind, MessageKind::Announcement { .. }) {
                return Err(OpRejection::NotAllowed {
                    seq,
                    kind: "announcement",
                });
            }
            if m.author.side != ChatSide::Store {
                return Err(invalid(seq, "a till writes as its store, not as HQ"));
            }
        }
        OpBody::ChatRead(r) => {
            if r.channel.store() != store {
                return Err(wrong_store("read position", r.channel.store()));
            }
            if r.reader != Reader::Till(actor) {
                return Err(invalid(seq, "a till records only its own read position"));
            }
        }
        OpBody::TicketUpdate(t) if t.channel.store() != store => {
            return Err(wrong_store("ticket", t.channel.store()));
        }
        OpBody::AnnouncementAck(a) if &a.store != store => {
            return Err(wrong_store("acknowledgement", &a.store));
        }
        _ => {}
    }
    Ok(())
}

fn check_name(seq: u64, what: &str, name: &str) -> Result<(), OpRejection> {
    if name.trim().is_empty() || name.len() > MAX_TEXT {
        return Err(invalid(
            seq,
            format!("{what} must be 1 to {MAX_TEXT} bytes"),
        ));
    }
    Ok(())
}

/// Checks of one member field, wherever it is written: the id of a phone
/// field must be the phone's id, texts are bounded, years plausible.
pub fn check_member_set(seq: u64, m: &MemberSet) -> Result<(), OpRejection> {
    match &m.field {
        MemberField::Phone(phone) => {
            let id = member_id_for_phone(phone).map_err(|e| invalid(seq, e.to_string()))?;
            if id != m.member || normalise_phone(phone).ok().as_deref() != Some(phone) {
                return Err(invalid(
                    seq,
                    "member id does not match the normalised phone number",
                ));
            }
        }
        MemberField::Name(name) if name.trim().is_empty() || name.len() > MAX_TEXT => {
            return Err(invalid(
                seq,
                format!("member name must be 1 to {MAX_TEXT} bytes"),
            ));
        }
        MemberField::BirthYear(Some(year)) if !(1900..=2100).contains(year) => {
            return Err(invalid(seq, format!("birth year {year} out of range")));
        }
        _ => {}
    }
    Ok(())
}

fn invalid(seq: u64, reason: impl Into<String>) -> OpRejection {
    OpRejection::Invalid {
        seq,
        reason: reason.into(),
    }
}

/// Structural checks of a stock move (any writer).
pub fn check_stock_move(seq: u64, m: &StockMove, store: &StoreId) -> Result<(), OpRejection> {
    if &m.location != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "stock",
            target: m.location.to_string(),
            own: store.clone(),
        });
    }
    check_stock_move_shape(seq, m)
}

/// Range checks of a stock move, wherever it happens.
pub fn check_stock_move_shape(seq: u64, m: &StockMove) -> Result<(), OpRejection> {
    if m.delta == 0 || m.delta.abs() > MAX_STOCK_DELTA {
        return Err(invalid(
            seq,
            format!(
                "stock delta {} out of range (non-zero, at most ±{MAX_STOCK_DELTA})",
                m.delta
            ),
        ));
    }
    if m.inc_total > i64::MAX as u64 || m.dec_total > i64::MAX as u64 {
        return Err(invalid(seq, "stock counter totals out of range"));
    }
    let direction_ok = match m.reason {
        StockReason::Sale | StockReason::TransferOut => m.delta < 0,
        StockReason::Return | StockReason::Receipt | StockReason::TransferIn => m.delta > 0,
        StockReason::Adjustment | StockReason::Stocktake => true,
    };
    if !direction_ok {
        return Err(invalid(
            seq,
            format!("a {} cannot move stock by {}", m.reason.as_str(), m.delta),
        ));
    }
    if m.reference.as_ref().is_some_and(|r| r.len() > MAX_TEXT) {
        return Err(invalid(seq, "stock move reference too long"));
    }
    Ok(())
}

fn check_amount(seq: u64, what: &str, amount: i64) -> Result<(), OpRejection> {
    if !(0..=MAX_AMOUNT).contains(&amount) {
        return Err(invalid(seq, format!("{what} {amount} out of range")));
    }
    Ok(())
}

/// Checks of a sale record written by till `actor` of `store`.
pub fn check_sale(
    seq: u64,
    s: &SaleRecord,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    if &s.store != store || &s.receipt.store() != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "sale",
            target: s.store.to_string(),
            own: store.clone(),
        });
    }
    if s.till != actor {
        return Err(OpRejection::ForgedActor {
            seq,
            claimed: s.till,
            actual: actor,
        });
    }
    if s.lines.is_empty() || s.lines.len() > MAX_LINES {
        return Err(invalid(seq, format!("a sale has 1 to {MAX_LINES} lines")));
    }
    let mut sum: i64 = 0;
    for line in &s.lines {
        if line.qty == 0 || line.qty > MAX_LINE_QTY {
            return Err(invalid(
                seq,
                format!(
                    "line {} quantity {} out of range 1..={MAX_LINE_QTY}",
                    line.sku, line.qty
                ),
            ));
        }
        check_amount(seq, "unit price", line.unit_price)?;
        check_amount(seq, "discount", line.discount)?;
        let gross = i64::from(line.qty)
            .checked_mul(line.unit_price)
            .ok_or_else(|| invalid(seq, "line amount overflows"))?;
        if line.line_total != gross - line.discount || line.line_total < 0 {
            return Err(invalid(
                seq,
                format!("line {} total does not add up", line.sku),
            ));
        }
        if line.name.len() > MAX_TEXT {
            return Err(invalid(seq, "product name too long"));
        }
        sum = sum
            .checked_add(line.line_total)
            .ok_or_else(|| invalid(seq, "sale total overflows"))?;
    }
    if sum != s.total {
        return Err(invalid(
            seq,
            format!("sale total {} is not the sum of its lines {sum}", s.total),
        ));
    }
    check_tenders(seq, &s.tenders, s.total)?;
    check_amount(seq, "change", s.change_given)
}

fn check_tenders(seq: u64, tenders: &[crate::op::Tender], total: i64) -> Result<(), OpRejection> {
    if tenders.is_empty() || tenders.len() > 16 {
        return Err(invalid(seq, "1 to 16 tenders"));
    }
    let mut paid: i64 = 0;
    for t in tenders {
        check_amount(seq, "tender", t.amount)?;
        paid += t.amount;
    }
    if paid != total {
        return Err(invalid(
            seq,
            format!("tenders add up to {paid}, not {total}"),
        ));
    }
    Ok(())
}

/// Checks of a return record written by till `actor` of `store`.
pub fn check_return(
    seq: u64,
    r: &ReturnRecord,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    if &r.store != store || &r.receipt.store() != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "return",
            target: r.store.to_string(),
            own: store.clone(),
        });
    }
    if r.till != actor {
        return Err(OpRejection::ForgedActor {
            seq,
            claimed: r.till,
            actual: actor,
        });
    }
    if r.lines.is_empty() || r.lines.len() > MAX_LINES {
        return Err(invalid(seq, format!("a return has 1 to {MAX_LINES} lines")));
    }
    let mut sum: i64 = 0;
    for line in &r.lines {
        if line.qty == 0 || line.qty > MAX_LINE_QTY {
            return Err(invalid(
                seq,
                format!("return quantity {} out of range", line.qty),
            ));
        }
        check_amount(seq, "refund", line.refund)?;
        sum += line.refund;
    }
    if sum != r.total_refund {
        return Err(invalid(seq, "return total does not add up"));
    }
    check_tenders(seq, &r.refunds, r.total_refund)
}
