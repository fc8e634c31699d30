//! Other stores' stock: "is this in stock somewhere else?" at the counter.
//!
//! [`stock_elsewhere`] asks the enrolled hub (`GET /api/v1/till/stock/{sku}`
//! with the till's device credential) for a SKU's stock at every store, and
//! keeps the answer in the till table `elsewhere_stock` (with when it was
//! fetched and how current the hub said it was), replacing that SKU's rows in
//! one transaction. When the hub cannot be reached (network down, timeout,
//! hub error 5xx) the last cached answer comes back with `online: false`, so
//! the app can say "as of N minutes ago, offline". A refusal by the hub
//! (4xx, e.g. a revoked credential) is an error, not a silent cache hit.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sync_proto::Sku;

use crate::db;
use crate::error::{Result, TillError};

/// The hub's endpoint, `{sku}` appended.
pub const TILL_STOCK_PATH: &str = "/api/v1/till/stock/";

/// A SKU's stock at one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StoreStock {
    /// Store code.
    pub store: String,
    /// Store name.
    pub name: String,
    /// Quantity (may be negative).
    #[ts(type = "number")]
    pub qty: i64,
}

/// A SKU's stock at every store, fresh from the hub or from the till's cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ElsewhereStock {
    /// SKU.
    pub sku: String,
    /// Every store (this one included), by code; empty if never fetched.
    pub stores: Vec<StoreStock>,
    /// How current the numbers are (the hub's time of the answer); `None` if never fetched.
    #[ts(type = "number | null")]
    pub as_of_ms: Option<u64>,
    /// `true` when just fetched from the hub, `false` when from the cache.
    pub online: bool,
}

#[derive(Deserialize)]
struct HubAnswer {
    sku: String,
    as_of_ms: u64,
    stores: Vec<StoreStock>,
}

fn cached(conn: &Connection, sku: &str) -> Result<ElsewhereStock> {
    let mut stmt = conn.prepare_cached(
        "SELECT store, name, qty, as_of_ms FROM elsewhere_stock WHERE sku = ?1 ORDER BY store",
    )?;
    let rows = stmt.query_map([sku], |r| {
        Ok((
            StoreStock {
                store: r.get(0)?,
                name: r.get(1)?,
                qty: r.get(2)?,
            },
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut stores = Vec::new();
    let mut as_of: Option<u64> = None;
    for row in rows {
        let (s, at) = row?;
        let at = at.max(0) as u64;
        as_of = Some(as_of.map_or(at, |a| a.min(at)));
        stores.push(s);
    }
    Ok(ElsewhereStock {
        sku: sku.to_owned(),
        stores,
        as_of_ms: as_of,
        online: false,
    })
}

fn store_answer(conn: &mut Connection, answer: &HubAnswer) -> Result<()> {
    let tx = db::write_tx(conn)?;
    tx.execute("DELETE FROM elsewhere_stock WHERE sku = ?1", [&answer.sku])?;
    let now = db::now_ms() as i64;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO elsewhere_stock(sku, store, name, qty, as_of_ms, fetched_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for s in &answer.stores {
            stmt.execute(params![
                answer.sku,
                s.store,
                s.name,
                s.qty,
                answer.as_of_ms.min(i64::MAX as u64) as i64,
                now
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

async fn blocking<T: Send + 'static>(
    data_dir: &Path,
    f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    let dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || f(&mut db::open(&dir)?))
        .await
        .map_err(|e| TillError::Internal(format!("database task failed: {e}")))?
}

/// A SKU's (or barcode's) stock at every store: from the hub within
/// `timeout`, else the till's cached answer with `online: false`.
pub async fn stock_elsewhere(
    data_dir: &Path,
    sku: &str,
    timeout: Duration,
) -> Result<ElsewhereStock> {
    let code = sku.trim().to_owned();
    let (enrolment, sku) = blocking(data_dir, move |c| {
        let e = db::require_enrolment(c)?;
        let sku = match crate::till::lookup_product(c, &code)? {
            Some(p) => p.sku,
            None => code,
        };
        Ok((e, sku))
    })
    .await?;
    let sku: Sku = sku.parse()?;
    let sku = sku.to_string();
    let from_cache = |reason: String| {
        let sku = sku.clone();
        async move {
            tracing::warn!(%sku, %reason, "other stores' stock: hub not reachable, showing the cache");
            blocking(data_dir, move |c| cached(c, &sku)).await
        }
    };
    let base = enrolment.hub_url.trim().trim_end_matches('/').to_owned();
    if base.is_empty() {
        return from_cache("no hub URL".into()).await;
    }
    let url = format!("{base}{TILL_STOCK_PATH}{sku}");
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| TillError::Internal(format!("HTTP client: {e}")))?;
    let resp = match client
        .get(&url)
        .bearer_auth(&enrolment.credential)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return from_cache(e.to_string()).await,
    };
    let status = resp.status();
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => return from_cache(e.to_string()).await,
    };
    if status.is_server_error() {
        return from_cache(format!("hub answered {status}")).await;
    }
    if !status.is_success() {
        let (code, message) = crate::enrol::parse_error_body(&text);
        return Err(TillError::Hub {
            status: status.as_u16(),
            code,
            message,
        });
    }
    let answer: HubAnswer = serde_json::from_str(&text)
        .map_err(|e| TillError::Protocol(format!("unexpected answer from {url}: {e}")))?;
    if answer.sku != sku {
        return Err(TillError::Protocol(format!(
            "asked the hub for {sku}, it answered for {}",
            answer.sku
        )));
    }
    let out = ElsewhereStock {
        sku: answer.sku.clone(),
        stores: answer.stores.clone(),
        as_of_ms: Some(answer.as_of_ms),
        online: true,
    };
    blocking(data_dir, move |c| store_answer(c, &answer)).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::till::{OfflineEnrolment, Till};

    #[tokio::test]
    async fn unreachable_hub_gives_the_cache_offline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut till = Till::open(dir.path()).expect("open");
        till.enrol_offline(&OfflineEnrolment {
            actor: None,
            store: "GN01".parse().expect("store"),
            store_name: "Gangnam".into(),
            till_no: 1,
            currency: "KRW".into(),
            // Nothing listens on port 9 of localhost.
            hub_url: "http://127.0.0.1:9".into(),
            credential: "x".into(),
        })
        .expect("enrol");
        // Nothing cached yet: empty, offline.
        let e = stock_elsewhere(dir.path(), "TSH-1", Duration::from_secs(2))
            .await
            .expect("cache");
        assert_eq!((e.online, e.as_of_ms, e.stores.len()), (false, None, 0));
        // An earlier answer is what comes back.
        let mut conn = db::open(dir.path()).expect("db");
        store_answer(
            &mut conn,
            &HubAnswer {
                sku: "TSH-1".into(),
                as_of_ms: 1_700_000_000_000,
                stores: vec![
                    StoreStock {
                        store: "GN01".into(),
                        name: "Gangnam".into(),
                        qty: 3,
                    },
                    StoreStock {
                        store: "HD02".into(),
                        name: "Hongdae".into(),
                        qty: -1,
                    },
                ],
            },
        )
        .expect("store");
        let e = stock_elsewhere(dir.path(), "TSH-1", Duration::from_secs(2))
            .await
            .expect("cache");
        assert!(!e.online);
        assert_eq!(e.as_of_ms, Some(1_700_000_000_000));
        assert_eq!(e.stores[1].qty, -1);
        assert!(
            stock_elsewhere(dir.path(), "bad sku", Duration::from_secs(1))
                .await
                .is_err()
        );
    }
}
