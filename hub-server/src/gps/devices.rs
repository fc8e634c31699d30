//! Tracker devices (OsmAnd, Traccar Client) of drivers: registered by HQ with a random key
//! that is shown once and stored as its SHA-256 (`tracker_device`). The OsmAnd endpoint checks
//! `id` + key against a small in-memory cache (entries re-read after a minute, dropped at once
//! when HQ registers or deletes a device), so a fleet of trackers does not read SQLite per
//! point.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::auth::{random_token, secret_hash};
use crate::db::ReadPool;
use crate::{HubError, now_ms};

/// How long a cached device is trusted before it is read again.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Longest device id.
pub const MAX_DEVICE_ID: usize = 64;

/// A registered device (the key is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct TrackerDevice {
    /// The id the tracker app sends (`id=`).
    pub device_id: String,
    /// The driver it reports for.
    pub driver: String,
    /// When it was registered (ms since epoch).
    #[ts(type = "number")]
    pub created_ms: i64,
}

/// A newly registered device with its key (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DeviceKey {
    /// The id the tracker app sends.
    pub device_id: String,
    /// The key to configure in the app (`key=` or the HTTP Basic password).
    pub key: String,
}

#[derive(Clone)]
struct Cached {
    driver: String,
    key_hash: [u8; 32],
    read_at: Instant,
}

/// The device cache.
#[derive(Default)]
pub struct Devices {
    cache: RwLock<HashMap<String, Cached>>,
}

/// A device id: 1–64 of letters, digits, `.`, `_`, `:`, `-`.
pub fn valid_device_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_DEVICE_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Devices {
    /// The driver of `device_id` when `key` is its key; `None` for an unknown device, a wrong
    /// key, or a driver account that is no longer active.
    pub async fn verify(
        &self,
        reads: &ReadPool,
        device_id: &str,
        key: &str,
    ) -> Result<Option<String>, HubError> {
        let hash = secret_hash(key);
        let cached = self
            .cache
            .read()
            .get(device_id)
            .filter(|c| c.read_at.elapsed() < CACHE_TTL)
            .cloned();
        let entry = match cached {
            Some(c) => Some(c),
            None => {
                let id = device_id.to_owned();
                let row = reads.read(move |c| read_device(c, &id)).await?;
                let mut cache = self.cache.write();
                match row {
                    Some((driver, key_hash)) => {
                        let c = Cached {
                            driver,
                            key_hash,
                            read_at: Instant::now(),
                        };
                        cache.insert(device_id.to_owned(), c.clone());
                        Some(c)
                    }
                    None => {
                        cache.remove(device_id);
                        None
                    }
                }
            }
        };
        Ok(entry.filter(|c| same(&c.key_hash, &hash)).map(|c| c.driver))
    }

    /// Forget a cached device (registered again or deleted).
    pub fn forget(&self, device_id: &str) {
        self.cache.write().remove(device_id);
    }
}

/// The driver and key hash of a device whose driver account is active.
fn read_device(conn: &Connection, id: &str) -> Result<Option<(String, [u8; 32])>, HubError> {
    let row: Option<(String, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT d.driver, d.key_hash FROM tracker_device d
             JOIN users u ON u.username = d.driver AND u.role = 'driver' AND u.active = 1
             WHERE d.device_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(driver, h)| <[u8; 32]>::try_from(h.as_slice()).ok().map(|h| (driver, h))))
}

/// A driver account that exists (active or not): 404 otherwise, 400 for another role.
pub fn require_driver(conn: &Connection, driver: &str) -> Result<(), HubError> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM users WHERE username = ?1")?
        .query_row([driver], |r| r.get(0))
        .optional()?;
    match role.as_deref() {
        Some("driver") => Ok(()),
        Some(other) => Err(HubError::rejected(
            400,
            "not_a_driver",
            format!("{driver} is a {other}, not a driver"),
        )),
        None => Err(HubError::rejected(
            404,
            "unknown_driver",
            format!("no driver {driver}"),
        )),
    }
}

/// Register a device for a driver (writer job); a device id already registered gets a new
/// key and driver. Returns the key, shown once.
pub fn register(conn: &Connection, driver: &str, device_id: &str) -> Result<DeviceKey, HubError> {
    require_driver(conn, driver)?;
    if !valid_device_id(device_id) {
        return Err(HubError::rejected(
            400,
            "invalid_input",
            format!("device_id must be 1-{MAX_DEVICE_ID} letters, digits, '.', '_', ':' or '-'"),
        ));
    }
    let key = random_token();
    conn.prepare_cached(
        "INSERT INTO tracker_device (device_id, driver, key_hash, created_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_id) DO UPDATE SET driver = excluded.driver,
           key_hash = excluded.key_hash, created_ms = excluded.created_ms",
    )?
    .execute(params![
        device_id,
        driver,
        secret_hash(&key).as_slice(),
        now_ms() as i64
    ])?;
    Ok(DeviceKey {
        device_id: device_id.to_owned(),
        key,
    })
}

/// Delete a driver's device (writer job). False when it was not theirs or unknown.
pub fn delete(conn: &Connection, driver: &str, device_id: &str) -> Result<bool, HubError> {
    let n = conn
        .prepare_cached("DELETE FROM tracker_device WHERE device_id = ?1 AND driver = ?2")?
        .execute(params![device_id, driver])?;
    Ok(n > 0)
}

/// A driver's devices.
pub fn list(conn: &Connection, driver: &str) -> Result<Vec<TrackerDevice>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT device_id, driver, created_ms FROM tracker_device WHERE driver = ?1 ORDER BY device_id",
    )?;
    let rows = st.query_map([driver], |r| {
        Ok(TrackerDevice {
            device_id: r.get(0)?,
            driver: r.get(1)?,
            created_ms: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_checked() {
        assert!(valid_device_id("truck-7"));
        assert!(valid_device_id("358240051111110"));
        assert!(!valid_device_id(""));
        assert!(!valid_device_id("a b"));
        assert!(!valid_device_id(&"x".repeat(65)));
        let a = secret_hash("k1");
        assert!(same(&a, &secret_hash("k1")));
        assert!(!same(&a, &secret_hash("k2")));
    }
}
