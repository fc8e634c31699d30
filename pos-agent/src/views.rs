//! What the POS app shows around sales: the return preview of a receipt, the
//! outbox of ops not yet acknowledged by the hub, and receipts as text or
//! files.
//!
//! Receipt files are written atomically: a temporary file in the target's
//! directory, `fsync`, then `rename` over the target (and an `fsync` of the
//! directory on Unix), so a crash leaves either the old file or the new one.
//! [`ReceiptFormat::Pdf`] is not produced by this build: it is refused with a
//! clear error (see the contract's Deviations); print the text instead.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sync_proto::ReceiptNo;
use sync_proto::op::{Money, OpBody, SaleRecord, TenderKind};

use crate::db;
use crate::error::{Result, TillError};
use crate::receipt::{self, format_money};
use crate::records;
use crate::returns;
use crate::till::{StoredReceipt, Till};

/// A sale as the returns screen shows it: what is still returnable per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReturnPreview {
    /// The original sale.
    pub sale: SaleRecord,
    /// One per SKU of the sale, in the sale's order.
    pub lines: Vec<ReturnableLine>,
    /// Where a refund goes, in order (the sale's tenders, last first, that
    /// still have money to give back).
    pub refund_to: Vec<TenderKind>,
}

/// One SKU of a sale in a [`ReturnPreview`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReturnableLine {
    /// SKU.
    pub sku: String,
    /// Product name as on the receipt.
    pub name: String,
    /// Units sold.
    pub sold: u32,
    /// Units already returned (at any till of the store this till has heard of).
    pub returned: u32,
    /// Units that may still come back.
    pub left: u32,
    /// What returning one more unit refunds (0 when none is left).
    #[ts(type = "number")]
    pub unit_refund: Money,
}

/// An op in the outbox the hub has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PendingOp {
    /// Its seq (this till's actor).
    #[ts(type = "number")]
    pub seq: u64,
    /// `sale`, `return`, `stock_move`, `member_set`, `chat_message`…
    pub kind: String,
    /// One line: receipt number and total, SKU and quantity…
    pub summary: String,
    /// When it was written (ms since epoch).
    #[ts(type = "number")]
    pub at_ms: u64,
    /// Size of the encoded op.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// File format of a saved receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptFormat {
    /// Plain UTF-8 text, as printed.
    Text,
    /// PDF (not available in this build: refused with a clear error).
    Pdf,
}

fn summary_of(body: &OpBody) -> String {
    match body {
        OpBody::Sale(s) => format!(
            "sale {} {} ({} lines)",
            s.receipt,
            format_money(s.total, &s.currency),
            s.lines.len()
        ),
        OpBody::Return(r) => format!(
            "return {} of {} refund {}",
            r.receipt,
            r.original_receipt,
            format_money(r.total_refund, &r.currency)
        ),
        OpBody::StockMove(m) => format!(
            "stock {} {:+} at {} ({}{})",
            m.sku,
            m.delta,
            m.location,
            m.reason.as_str(),
            m.reference
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        ),
        OpBody::MemberSet(m) => format!("member {} {:?}", m.member, m.field.kind()),
        OpBody::ChatMessage(m) => {
            let text: String = m.text.chars().take(40).collect();
            format!("message to {}: {text}", m.channel)
        }
        other => other.kind().replace('_', " "),
    }
}

impl Till {
    /// What is still returnable on a sale receipt. A return receipt is
    /// refused ([`TillError::NotASale`]), an unknown one is
    /// [`TillError::ReceiptNotFound`].
    pub fn return_preview(&self, receipt: &str) -> Result<ReturnPreview> {
        let no: ReceiptNo = receipt.trim().parse()?;
        let sale_id = match records::sale_id_by_receipt(&self.conn, no.as_str())? {
            Some(id) => id,
            None if records::return_id_by_receipt(&self.conn, no.as_str())?.is_some() => {
                return Err(TillError::NotASale(no.to_string()));
            }
            None => return Err(TillError::ReceiptNotFound(no.to_string())),
        };
        let sale = records::load_sale(&self.conn, &sale_id)?
            .ok_or_else(|| TillError::ReceiptNotFound(no.to_string()))?;
        let earlier = records::returns_for_sale(&self.conn, &sale.id)?;
        let state = returns::returnable(&sale, &earlier);
        let mut lines: Vec<ReturnableLine> = Vec::new();
        for line in &sale.lines {
            if lines.iter().any(|l| l.sku == line.sku.as_str()) {
                continue;
            }
            let r = state.get(&line.sku).copied().unwrap_or_default();
            let clamp = |v: u64| v.min(u64::from(u32::MAX)) as u32;
            lines.push(ReturnableLine {
                sku: line.sku.to_string(),
                name: line.name.clone(),
                sold: clamp(r.sold),
                returned: clamp(r.returned.min(r.sold)),
                left: clamp(r.left()),
                unit_refund: if r.left() > 0 {
                    returns::refund_for(&r, 1)
                } else {
                    0
                },
            });
        }
        let refund_to = returns::allocate_refund(&sale, &earlier, sale.total)
            .into_iter()
            .map(|t| t.kind)
            .collect();
        Ok(ReturnPreview {
            sale,
            lines,
            refund_to,
        })
    }

    /// The ops the hub has not acknowledged yet, oldest first (at most `limit`, up to 1000).
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<PendingOp>> {
        let Some(e) = db::enrolment(&self.conn)? else {
            return Ok(Vec::new());
        };
        let acked = db::get_meta_u64(&self.conn, db::keys::ACKED_SEQ)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, created_ms, body FROM ops
             WHERE actor = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![
                e.actor.to_string(),
                acked.min(i64::MAX as u64) as i64,
                limit.min(1000) as i64
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, kind, at_ms, body) = row?;
            let summary = match db::decode_op(&body) {
                Ok(op) => summary_of(&op.body),
                Err(err) => {
                    tracing::warn!(seq, error = %err, "outbox op unreadable");
                    format!("unreadable op: {err}")
                }
            };
            out.push(PendingOp {
                seq: seq.max(0) as u64,
                kind,
                summary,
                at_ms: at_ms.max(0) as u64,
                bytes: body.len() as u64,
            });
        }
        Ok(out)
    }

    /// The printable text of a sale or return receipt.
    pub fn receipt_text(&self, receipt: &str) -> Result<String> {
        let store_name = db::enrolment(&self.conn)?
            .map(|e| e.store_name)
            .unwrap_or_default();
        Ok(match self.receipt(receipt.trim())? {
            StoredReceipt::Sale {
                sale,
                returns,
                price_labels,
            } => receipt::render_sale_labelled(&sale, &returns, &store_name, &price_labels),
            StoredReceipt::Return { record } => receipt::render_return(&record, &store_name),
        })
    }

    /// Save a receipt to `path` (atomically: temp file, fsync, rename).
    pub fn save_receipt(&self, receipt: &str, path: &Path, format: ReceiptFormat) -> Result<()> {
        if format == ReceiptFormat::Pdf {
            return Err(TillError::InvalidInput(
                "PDF receipts are not available in this version; save as text or print".into(),
            ));
        }
        let text = self.receipt_text(receipt)?;
        write_atomic(path, text.as_bytes())?;
        tracing::info!(receipt, path = %path.display(), "receipt saved");
        Ok(())
    }
}

/// Write `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| TillError::InvalidInput(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(result?)
}
