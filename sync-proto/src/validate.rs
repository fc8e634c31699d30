//! What the hub checks on every op a till pushes, before anything is stored.
//!
//! A till may write only ops of its own actor, only into its own store's
//! scope, only about its own store's stock, with quantities and amounts in
//! range and sums that add up. Anything else is an [`OpRejection`] — the hub
//! refuses the batch with an error frame and logs it; nothing is stored.
//!
//! The stateful checks (a stock move's or escrow move's running totals continue the actor's
//! previous totals; a till's rights stay ≥ 0 after a use or transfer; a till transfers only to
//! the hub) need the hub's storage and live there.
//!
//! Limited items and coupons (see [`crate::escrow`]): a till's [`EscrowMove`]s and
//! [`CouponRedemption`]s travel in scope `broadcast`, its [`RightsRequest`]s and
//! [`LimitHold`]s in its own store's scope; [`LimitDef`] and [`RightsRecall`] are the hub's
//! alone. [`check_limit_def`] is what the hub checks before it writes a definition.

use crate::chat::{self, Channel, ChatSide, MessageKind, Reader};
use crate::escrow::{
    CouponDiscount, CouponRedemption, EscrowKind, EscrowMove, HoldStatus, LimitDef, LimitHold,
    LimitKey, MAX_COUPON_CODE, MAX_ESCROW_QTY, MAX_HOLD_MINUTES, RightsRequest,
};
use crate::ids::{ActorId, LocationId, StoreId};
use crate::logistics::{
    Lifecycle, MAX_ORDER_LINES, MAX_ORDER_QTY, OrderLine, OrderOrigin, ReceivingRecord,
    ReplenishmentOrder, StatusUpdate, Subject,
};
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
    if let OpBody::MemberSet(m) = &op.body {
        if op.scope != Scope::Broadcast {
            return Err(invalid(
                seq,
                format!("member fields go to scope broadcast, not {}", op.scope),
            ));
        }
        return check_member_set(seq, m);
    }
    match &op.body {
        OpBody::LimitDef(_) | OpBody::RightsRecall(_) => {
            return Err(OpRejection::NotAllowed {
                seq,
                kind: op.body.kind(),
            });
        }
        OpBody::EscrowMove(m) => {
            check_broadcast(op)?;
            return check_escrow_move(seq, m, actor);
        }
        OpBody::CouponRedemption(r) => {
            check_broadcast(op)?;
            return check_coupon_redemption(seq, r, actor, store);
        }
        _ => {}
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
        OpBody::RightsRequest(r) => check_rights_request(seq, r, actor, store),
        OpBody::LimitHold(h) => check_limit_hold(seq, h, actor, store),
        // Handled above: hub-only, or chain-wide.
        OpBody::LimitDef(_) | OpBody::RightsRecall(_) => Err(OpRejection::NotAllowed {
            seq,
            kind: op.body.kind(),
        }),
        OpBody::EscrowMove(m) => check_escrow_move(seq, m, actor),
        OpBody::CouponRedemption(r) => check_coupon_redemption(seq, r, actor, store),
        OpBody::ReplenishmentOrder(o) => check_till_order(seq, o, store),
        OpBody::StatusUpdate(u) => check_till_status(seq, u, store),
        OpBody::Receiving(r) => check_receiving(seq, r, store),
        OpBody::Delivery(_) => Err(OpRejection::NotAllowed {
            seq,
            kind: op.body.kind(),
        }),
    }
}

/// Checks of a replenishment order written by a till of `store`: its own store, placed by
/// the store (HQ proposals come from the hub), lines in range.
pub fn check_till_order(
    seq: u64,
    o: &ReplenishmentOrder,
    store: &StoreId,
) -> Result<(), OpRejection> {
    if o.origin != OrderOrigin::Store {
        return Err(invalid(seq, "a till places orders with origin store"));
    }
    check_order(seq, o, store)
}

/// Checks of a replenishment order wherever it is written: the order's store is the scope's,
/// 1 ..= [`MAX_ORDER_LINES`] lines of 1 ..= [`MAX_ORDER_QTY`], each SKU once, texts bounded.
pub fn check_order(seq: u64, o: &ReplenishmentOrder, store: &StoreId) -> Result<(), OpRejection> {
    if &o.store != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "order",
            target: o.store.to_string(),
            own: store.clone(),
        });
    }
    check_order_lines(seq, "order", &o.lines)?;
    check_name(seq, "placed by", &o.placed_by)?;
    check_note(seq, o.note.as_deref())
}

/// 1 ..= [`MAX_ORDER_LINES`] lines of 1 ..= [`MAX_ORDER_QTY`] units, each SKU once.
pub fn check_order_lines(seq: u64, what: &str, lines: &[OrderLine]) -> Result<(), OpRejection> {
    if lines.is_empty() || lines.len() > MAX_ORDER_LINES {
        return Err(invalid(
            seq,
            format!("{what} must have 1 to {MAX_ORDER_LINES} lines"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for l in lines {
        if l.qty == 0 || l.qty > MAX_ORDER_QTY {
            return Err(invalid(
                seq,
                format!(
                    "{what} line {}: quantity {} is not 1 to {MAX_ORDER_QTY}",
                    l.sku, l.qty
                ),
            ));
        }
        if !seen.insert(&l.sku) {
            return Err(invalid(seq, format!("{what} lists {} twice", l.sku)));
        }
    }
    Ok(())
}

fn check_note(seq: u64, note: Option<&str>) -> Result<(), OpRejection> {
    if note.is_some_and(|n| n.len() > MAX_TEXT) {
        return Err(invalid(seq, format!("note longer than {MAX_TEXT} bytes")));
    }
    Ok(())
}

/// Checks of a status update written by a till of `store`: about its own store; a till may
/// cancel an order (its own request, before HQ acts on it — the hub refuses later ones), mark
/// its stop arrived (the truck is at the door) and mark orders and stops received. Approving,
/// picking and dispatching are HQ's.
pub fn check_till_status(seq: u64, u: &StatusUpdate, store: &StoreId) -> Result<(), OpRejection> {
    if &u.store != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "status",
            target: u.store.to_string(),
            own: store.clone(),
        });
    }
    if let Subject::Stop { store: s, .. } = &u.subject
        && s != store
    {
        return Err(OpRejection::WrongStore {
            seq,
            what: "delivery stop",
            target: s.to_string(),
            own: store.clone(),
        });
    }
    let allowed = matches!(
        (&u.subject, u.status),
        (
            Subject::Order { .. },
            Lifecycle::Cancelled | Lifecycle::Received
        ) | (
            Subject::Stop { .. },
            Lifecycle::Arrived | Lifecycle::Received
        )
    );
    if !allowed {
        return Err(invalid(
            seq,
            format!(
                "a till may not mark {} {}",
                match u.subject {
                    Subject::Order { .. } => "an order",
                    Subject::Stop { .. } => "a delivery stop",
                },
                u.status.as_str()
            ),
        ));
    }
    if u.lines.is_some() {
        return Err(invalid(seq, "only HQ's approval carries quantities"));
    }
    check_name(seq, "status by", &u.by)?;
    check_note(seq, u.note.as_deref())
}

/// Checks of a receiving record written by a till of `store`: its own store, 1 ..=
/// [`MAX_ORDER_LINES`] lines, each SKU once, counts ≤ [`MAX_ORDER_QTY`], damaged ≤ received,
/// something counted on every line.
pub fn check_receiving(seq: u64, r: &ReceivingRecord, store: &StoreId) -> Result<(), OpRejection> {
    if &r.store != store {
        return Err(OpRejection::WrongStore {
            seq,
            what: "receiving",
            target: r.store.to_string(),
            own: store.clone(),
        });
    }
    if r.lines.is_empty() || r.lines.len() > MAX_ORDER_LINES {
        return Err(invalid(
            seq,
            format!("receiving must have 1 to {MAX_ORDER_LINES} lines"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for l in &r.lines {
        if l.expected > MAX_ORDER_QTY || l.received > MAX_ORDER_QTY {
            return Err(invalid(
                seq,
                format!("receiving line {}: more than {MAX_ORDER_QTY} units", l.sku),
            ));
        }
        if l.damaged > l.received {
            return Err(invalid(
                seq,
                format!(
                    "receiving line {}: {} damaged of {} received",
                    l.sku, l.damaged, l.received
                ),
            ));
        }
        if l.expected == 0 && l.received == 0 {
            return Err(invalid(
                seq,
                format!("receiving line {} counts nothing", l.sku),
            ));
        }
        if !seen.insert(&l.sku) {
            return Err(invalid(seq, format!("receiving lists {} twice", l.sku)));
        }
    }
    check_name(seq, "received by", &r.received_by)?;
    check_note(seq, r.note.as_deref())
}

/// Escrow moves and coupon redemptions go to everyone, so every till can tell how many units
/// are left elsewhere and who already used a coupon.
fn check_broadcast(op: &Op) -> Result<(), OpRejection> {
    if op.scope != Scope::Broadcast {
        return Err(invalid(
            op.seq,
            format!(
                "{} ops go to scope broadcast, not {}",
                op.body.kind(),
                op.scope
            ),
        ));
    }
    Ok(())
}

fn check_escrow_qty(seq: u64, what: &str, qty: u64) -> Result<(), OpRejection> {
    if !(1..=MAX_ESCROW_QTY).contains(&qty) {
        return Err(invalid(
            seq,
            format!("{what} quantity {qty} out of range 1..={MAX_ESCROW_QTY}"),
        ));
    }
    Ok(())
}

/// Structural checks of an escrow move made by `actor` (a till or the hub): quantity in range,
/// a running total that includes it, no transfer to itself, a mint only with a reference (the
/// return or drop it belongs to), a bounded reference. Whether the total continues the stored
/// entry and whether the actor holds the rights it spends needs storage (the hub's writer).
pub fn check_escrow_move(seq: u64, m: &EscrowMove, actor: ActorId) -> Result<(), OpRejection> {
    check_escrow_qty(seq, "escrow move", m.qty)?;
    if m.total < m.qty {
        return Err(invalid(
            seq,
            format!(
                "escrow move total {} is below its quantity {}",
                m.total, m.qty
            ),
        ));
    }
    if m.kind == EscrowKind::Transfer(actor) {
        return Err(invalid(seq, "an escrow transfer to oneself"));
    }
    match &m.reference {
        Some(r) if r.len() > MAX_TEXT => {
            return Err(invalid(seq, "escrow move reference too long"));
        }
        Some(r) if r.trim().is_empty() => {
            return Err(invalid(seq, "escrow move reference is blank"));
        }
        None if m.kind == EscrowKind::Mint => {
            return Err(invalid(
                seq,
                "a mint needs a reference (the return or drop it belongs to)",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Checks of a rights request written by till `actor` of `store`.
pub fn check_rights_request(
    seq: u64,
    r: &RightsRequest,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    check_own(seq, "rights request", r.till, &r.store, actor, store)?;
    check_escrow_qty(seq, "rights request", r.qty)
}

/// Checks of a hold written by till `actor` of `store`: its own, in range, expiring after it
/// was placed, and naming a sale exactly when sold.
pub fn check_limit_hold(
    seq: u64,
    h: &LimitHold,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    check_own(seq, "hold", h.till, &h.store, actor, store)?;
    check_escrow_qty(seq, "hold", h.qty)?;
    if h.note.len() > MAX_TEXT {
        return Err(invalid(
            seq,
            format!("hold note longer than {MAX_TEXT} bytes"),
        ));
    }
    if h.expires_at_ms <= h.placed_at_ms {
        return Err(invalid(seq, "a hold must expire after it was placed"));
    }
    if h.sale.is_some() != (h.status == HoldStatus::Sold) {
        return Err(invalid(
            seq,
            "a hold names its sale exactly when it is sold",
        ));
    }
    Ok(())
}

/// Checks of a coupon redemption written by till `actor` of `store`.
pub fn check_coupon_redemption(
    seq: u64,
    r: &CouponRedemption,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    check_own(seq, "coupon redemption", r.till, &r.store, actor, store)?;
    check_amount(seq, "coupon discount", r.discount)
}

/// A record a till writes about itself names that till and its store.
fn check_own(
    seq: u64,
    what: &'static str,
    till: ActorId,
    till_store: &StoreId,
    actor: ActorId,
    store: &StoreId,
) -> Result<(), OpRejection> {
    if till != actor {
        return Err(OpRejection::ForgedActor {
            seq,
            claimed: till,
            actual: actor,
        });
    }
    if till_store != store {
        return Err(OpRejection::WrongStore {
            seq,
            what,
            target: till_store.to_string(),
            own: store.clone(),
        });
    }
    Ok(())
}

/// Is `code` a usable coupon code: 1 to [`MAX_COUPON_CODE`] upper-case ASCII letters, digits
/// and `-`?
pub fn is_coupon_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_COUPON_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks of a limited item or coupon campaign definition, before the hub writes it: a label,
/// a total of 1 ..= [`MAX_ESCROW_QTY`], coupon terms exactly for a coupon key (a valid code, a
/// percentage of 1 ..= 100 or an amount in range, a minimum spend in range), hold minutes of at
/// most [`MAX_HOLD_MINUTES`], and a window that starts before it ends. Tills may not write
/// definitions at all.
pub fn check_limit_def(seq: u64, d: &LimitDef) -> Result<(), OpRejection> {
    check_name(seq, "limit label", &d.label)?;
    check_escrow_qty(seq, "limit total", d.total)?;
    if d.hold_minutes > MAX_HOLD_MINUTES {
        return Err(invalid(
            seq,
            format!(
                "hold minutes {} above the limit of {MAX_HOLD_MINUTES}",
                d.hold_minutes
            ),
        ));
    }
    if let (Some(from), Some(to)) = (d.starts_at_ms, d.ends_at_ms)
        && to <= from
    {
        return Err(invalid(seq, "a limit's window must start before it ends"));
    }
    match (&d.key, &d.coupon) {
        (LimitKey::Sku(_), None) => Ok(()),
        (LimitKey::Sku(_), Some(_)) => Err(invalid(seq, "a limited SKU has no coupon terms")),
        (LimitKey::Coupon(_), None) => Err(invalid(seq, "a coupon campaign needs coupon terms")),
        (LimitKey::Coupon(_), Some(terms)) => {
            if !is_coupon_code(&terms.code) {
                return Err(invalid(
                    seq,
                    format!(
                        "coupon code {:?} must be 1 to {MAX_COUPON_CODE} upper-case letters, digits or -",
                        terms.code
                    ),
                ));
            }
            match terms.discount {
                CouponDiscount::Percent(p) if !(1..=100).contains(&p) => {
                    return Err(invalid(
                        seq,
                        format!("coupon percent {p} out of range 1..=100"),
                    ));
                }
                CouponDiscount::Amount(a) if !(1..=MAX_AMOUNT).contains(&a) => {
                    return Err(invalid(
                        seq,
                        format!("coupon amount {a} out of range 1..={MAX_AMOUNT}"),
                    ));
                }
                _ => {}
            }
            check_amount(seq, "coupon minimum spend", terms.min_spend)
        }
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
    // A till receiving a delivery takes it out of its own store's in-transit location (only
    // if that location is the store's alone: a long code's would be cut and shared).
    let own_transit = store.has_own_transit()
        && m.location == LocationId::in_transit_to(store)
        && matches!(m.reason, StockReason::Receipt | StockReason::TransferIn);
    if &m.location != store && !own_transit {
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
        // Receiving a delivery takes its goods out of the store's in-transit location.
        StockReason::Receipt if m.location.is_in_transit() => m.delta < 0,
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
