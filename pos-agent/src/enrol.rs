//! Enrolment with the hub (`POST /api/v1/enrol`) and re-enrolment.
//!
//! A fresh till sends the one-time code and stores what the hub answers:
//! actor, device credential, store, till number, currency.
//!
//! A till that was already enrolled (typically after the hub refused it as
//! restored from an old copy) becomes a NEW actor; its old actor is never
//! used again. In the same transaction as the new enrolment, the stock
//! counter rows and the downstream cursor are cleared (a fresh snapshot comes
//! on the next sync) and the old actor is remembered for carry-over. Then
//! [`complete_carry_over`] asks the hub (`POST /api/v1/sync/known-records`,
//! authenticated with the new credential) which of the old actor's
//! unacknowledged sales and returns it already has, and re-issues the unknown
//! ones as ops of the new actor — same record ids and receipt numbers, fresh
//! stock moves — so nothing is lost and nothing counted twice. If the hub
//! cannot be asked now, the carry-over stays pending and the next sync does it.
//! Unacknowledged member sign-ups (`MemberSet` ops) are re-issued as they are:
//! they are last-writer-wins registers, so one the hub already has is simply
//! written again (with the new actor's newer timestamp).
//! Unacknowledged chat messages, ticket updates and acknowledgements are re-issued
//! as they are too: keyed by id (or max/first-wins registers), the hub stores each
//! once. A message the hub never had then orders by its re-issue HLC there, while
//! this till keeps its first place (a re-enrolment is rare; noted in ARCHITECTURE).
//! Unacknowledged stock requests and their cancellations are re-issued as they are (grow-only
//! by id, max-register). An unacknowledged receiving is NOT carried over: its stock moves would
//! be counted twice if the hub already had it, and `known-records` answers only for sales and
//! returns; the store counts such a delivery again (the hub flags a second count).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sync_proto::enrol::{EnrolRequest, EnrolResponse};
use sync_proto::op::{OpBody, StockReason};
use sync_proto::{ActorId, StoreId};
use uuid::Uuid;

use crate::db::{self, keys};
use crate::error::{Result, TillError};
use crate::outbox::Writer;
use crate::sync::SyncDb;

/// What enrolment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrolOutcome {
    /// The till's new actor.
    pub actor: ActorId,
    /// Its store.
    pub store: StoreId,
    /// Store name.
    pub store_name: String,
    /// Till number.
    pub till_no: u32,
    /// The till had been enrolled before (new actor replaces the old one).
    pub re_enrolled: bool,
    /// Records of the old actor re-issued under the new one.
    pub carried_over: usize,
    /// Carry-over could not finish now; the next sync completes it.
    pub carry_over_pending: bool,
}

fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TillError::Internal(format!("HTTP client: {e}")))
}

/// Parse the hub's `{"error":{"code","message"}}` body (best effort).
pub(crate) fn parse_error_body(body: &str) -> (String, String) {
    #[derive(Deserialize)]
    struct Inner {
        code: Option<String>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Outer {
        error: Inner,
    }
    match serde_json::from_str::<Outer>(body) {
        Ok(o) => (
            o.error.code.unwrap_or_default(),
            o.error.message.unwrap_or_default(),
        ),
        Err(_) => (String::new(), body.chars().take(300).collect()),
    }
}

fn base_url(hub_url: &str) -> Result<String> {
    let base = hub_url.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(TillError::InvalidInput(format!(
            "hub URL {hub_url:?} must start with http:// or https://"
        )));
    }
    Ok(base.to_owned())
}

async fn post_json<B: Serialize, R: for<'de> Deserialize<'de>>(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: &B,
) -> Result<R> {
    let mut req = client.post(url).json(body);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.map_err(|e| TillError::HubUnreachable {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| TillError::HubUnreachable {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !status.is_success() {
        let (code, message) = parse_error_body(&text);
        return Err(TillError::Hub {
            status: status.as_u16(),
            code,
            message,
        });
    }
    serde_json::from_str(&text)
        .map_err(|e| TillError::Protocol(format!("unexpected answer from {url}: {e}")))
}

/// Enrol the till in `data_dir` with the hub at `hub_url` using a one-time
/// `code`. Re-enrolment of an enrolled till makes it a new actor and carries
/// its unacknowledged records over (see the module doc).
pub async fn enrol(data_dir: &Path, hub_url: &str, code: &str) -> Result<EnrolOutcome> {
    crate::install_crypto_provider();
    let base = base_url(hub_url)?;
    let code = code.trim();
    if code.is_empty() {
        return Err(TillError::InvalidInput(
            "the enrolment code is empty".into(),
        ));
    }
    let db = SyncDb::open(data_dir)?;
    let client = http_client()?;
    let resp: EnrolResponse = post_json(
        &client,
        &format!("{base}/api/v1/enrol"),
        None,
        &EnrolRequest {
            code: code.to_owned(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    )
    .await?;
    let stored = resp.clone();
    let hub = base.clone();
    let re_enrolled = db
        .call(move |c| {
            let tx = db::write_tx(c)?;
            let previous = db::enrolment(&tx)?;
            let re_enrolled = previous.is_some();
            if let Some(old) = previous {
                let after = db::get_meta_u64(&tx, keys::ACKED_SEQ)?;
                let mut pending = db::get_meta(&tx, keys::CARRY_OVER_FROM)?.unwrap_or_default();
                if db::last_seq(&tx, old.actor)? > after {
                    if !pending.is_empty() {
                        pending.push(',');
                    }
                    pending.push_str(&format!("{}:{after}", old.actor));
                }
                db::set_meta(&tx, keys::CARRY_OVER_FROM, &pending)?;
                tx.execute("DELETE FROM stock_counters", [])?;
            }
            db::set_meta(&tx, keys::ACTOR, &stored.actor.to_string())?;
            db::set_meta(&tx, keys::CREDENTIAL, &stored.credential)?;
            db::set_meta(&tx, keys::STORE, stored.store.as_str())?;
            db::set_meta(&tx, keys::STORE_NAME, &stored.store_name)?;
            db::set_meta(&tx, keys::TILL_NO, &stored.till_no.to_string())?;
            db::set_meta(&tx, keys::CURRENCY, &stored.currency)?;
            db::set_meta(&tx, keys::HUB_URL, &hub)?;
            db::set_meta(&tx, keys::ENROLLED_AT_MS, &db::now_ms().to_string())?;
            db::set_meta(&tx, keys::ACKED_SEQ, "0")?;
            db::set_meta(&tx, keys::CURSOR, "0")?;
            db::set_meta(&tx, keys::NEEDS_ENROLMENT, "0")?;
            db::set_meta(&tx, keys::LAST_ERROR, "")?;
            tx.commit()?;
            Ok(re_enrolled)
        })
        .await?;
    let (carried_over, carry_over_pending) = match complete_carry_over_at(&db, &base).await {
        Ok(n) => (n, false),
        Err(e) => {
            tracing::warn!(error = %e, "carry-over of unacknowledged records postponed to the next sync");
            (0, true)
        }
    };
    Ok(EnrolOutcome {
        actor: resp.actor,
        store: resp.store,
        store_name: resp.store_name,
        till_no: resp.till_no,
        re_enrolled,
        carried_over,
        carry_over_pending,
    })
}

/// Finish a pending carry-over (no-op if none): re-issue the old actors'
/// records the hub does not know as ops of the current actor. Returns how
/// many records were re-issued.
pub async fn complete_carry_over(data_dir: &Path) -> Result<usize> {
    crate::install_crypto_provider();
    let db = SyncDb::open(data_dir)?;
    let hub = db.call(|c| Ok(db::require_enrolment(c)?.hub_url)).await?;
    complete_carry_over_at(&db, &hub).await
}

#[derive(Serialize)]
struct KnownRequest {
    ids: Vec<Uuid>,
}

#[derive(Deserialize)]
struct KnownResponse {
    known: Vec<Uuid>,
}

/// Candidate records (sales/returns) of the pending old actors, in seq
/// order, and their member fields (re-issued without asking the hub).
#[allow(clippy::type_complexity)]
pub(crate) fn pending_records(
    conn: &rusqlite::Connection,
) -> Result<(Vec<(Uuid, OpBody)>, Vec<OpBody>)> {
    let pending = db::get_meta(conn, keys::CARRY_OVER_FROM)?.unwrap_or_default();
    let mut out = Vec::new();
    let mut members = Vec::new();
    for entry in pending.split(',').filter(|e| !e.is_empty()) {
        let (actor, after) = entry
            .split_once(':')
            .ok_or_else(|| TillError::Corrupt(format!("carry-over entry {entry:?}")))?;
        let actor: ActorId = actor
            .parse()
            .map_err(|_| TillError::Corrupt(format!("carry-over actor {actor:?}")))?;
        let after: u64 = after
            .parse()
            .map_err(|_| TillError::Corrupt(format!("carry-over seq {after:?}")))?;
        let mut stmt = conn.prepare(
            "SELECT body FROM ops WHERE actor = ?1 AND seq > ?2
             AND kind IN ('sale', 'return', 'member_set', 'chat_message', 'ticket_update',
                          'announcement_ack', 'replenishment_order', 'status_update')
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(rusqlite::params![actor.to_string(), after as i64], |r| {
            r.get::<_, Vec<u8>>(0)
        })?;
        for body in rows {
            let op = db::decode_op(&body?)?;
            match &op.body {
                OpBody::Sale(s) => out.push((s.id, op.body)),
                OpBody::Return(r) => out.push((r.id, op.body)),
                // Registers and grow-only chat records: harmless to write again.
                OpBody::MemberSet(_)
                | OpBody::ChatMessage(_)
                | OpBody::TicketUpdate(_)
                | OpBody::AnnouncementAck(_) => members.push(op.body),
                // Stock requests (grow-only by id) and their cancellation (max-register):
                // harmless too. A receiving's `received` updates are not: they go with the
                // receiving and its stock moves, which are not carried over (see the doc).
                OpBody::ReplenishmentOrder(_) => members.push(op.body),
                OpBody::StatusUpdate(u)
                    if u.status == sync_proto::logistics::Lifecycle::Cancelled =>
                {
                    members.push(op.body)
                }
                _ => {}
            }
        }
    }
    Ok((out, members))
}

pub(crate) async fn complete_carry_over_at(db: &SyncDb, hub_url: &str) -> Result<usize> {
    let (candidates, members) = db.call(|c| pending_records(c)).await?;
    if candidates.is_empty() && members.is_empty() {
        db.call(|c| db::delete_meta(c, keys::CARRY_OVER_FROM))
            .await?;
        return Ok(0);
    }
    let base = base_url(hub_url)?;
    let credential = db
        .call(|c| Ok(db::require_enrolment(c)?.credential))
        .await?;
    let client = http_client()?;
    let mut known: BTreeSet<Uuid> = BTreeSet::new();
    let ids: Vec<Uuid> = candidates.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(500) {
        let resp: KnownResponse = post_json(
            &client,
            &format!("{base}/api/v1/sync/known-records"),
            Some(&credential),
            &KnownRequest {
                ids: chunk.to_vec(),
            },
        )
        .await?;
        known.extend(resp.known);
    }
    let unknown: Vec<OpBody> = candidates
        .into_iter()
        .filter(|(id, _)| !known.contains(id))
        .map(|(_, body)| body)
        .chain(members)
        .collect();
    let n = unknown.len();
    db.call(move |c| {
        let tx = db::write_tx(c)?;
        reissue(&tx, unknown)?;
        db::delete_meta(&tx, keys::CARRY_OVER_FROM)?;
        tx.commit()?;
        Ok(())
    })
    .await?;
    if n > 0 {
        tracing::info!(records = n, "re-issued records of the previous actor");
    }
    Ok(n)
}

/// Re-issue records as ops of the current actor (in the caller's transaction).
pub(crate) fn reissue(conn: &rusqlite::Connection, records: Vec<OpBody>) -> Result<()> {
    let mut w = Writer::begin(conn)?;
    let actor = w.enrolment.actor;
    for body in records {
        match body {
            OpBody::Sale(mut s) => {
                s.till = actor;
                conn.execute(
                    "UPDATE sales SET till = ?1 WHERE id = ?2",
                    rusqlite::params![actor.to_string(), s.id.to_string()],
                )?;
                let reference = Some(s.receipt.to_string());
                let lines: Vec<_> = s.lines.iter().map(|l| (l.sku.clone(), l.qty)).collect();
                w.emit(OpBody::Sale(s))?;
                for (sku, qty) in lines {
                    w.stock_move(&sku, -i64::from(qty), StockReason::Sale, reference.clone())?;
                }
            }
            OpBody::Return(mut r) => {
                r.till = actor;
                conn.execute(
                    "UPDATE returns SET till = ?1 WHERE id = ?2",
                    rusqlite::params![actor.to_string(), r.id.to_string()],
                )?;
                let reference = Some(r.receipt.to_string());
                let lines: Vec<_> = r.lines.iter().map(|l| (l.sku.clone(), l.qty)).collect();
                w.emit(OpBody::Return(r))?;
                for (sku, qty) in lines {
                    w.stock_move(&sku, i64::from(qty), StockReason::Return, reference.clone())?;
                }
            }
            body @ OpBody::MemberSet(_) => {
                w.emit_to(sync_proto::Scope::Broadcast, body)?;
            }
            // Chat records keep their ids, so the hub stores each once (a read position
            // names the old actor as reader and is not carried over).
            body @ (OpBody::ChatMessage(_)
            | OpBody::TicketUpdate(_)
            | OpBody::AnnouncementAck(_)
            | OpBody::ReplenishmentOrder(_)
            | OpBody::StatusUpdate(_)) => {
                w.emit(body)?;
            }
            _ => {}
        }
    }
    w.finish()?;
    Ok(())
}
