//! In-memory materialised views the REST API reads without touching SQLite.
//!
//! [`StockView`] mirrors the `stock` table (quantity per `(location, sku)`).
//! It is loaded once at start and updated by the writer *after* each commit,
//! so a reader never sees uncommitted stock, and `GET /api/v1/stock?sku=`
//! is a hash lookup under a read lock.

use std::collections::{BTreeMap, HashMap};

use parking_lot::RwLock;
use rusqlite::Connection;

use crate::HubError;

/// Stock per SKU per location.
#[derive(Default)]
pub struct StockView {
    by_sku: RwLock<HashMap<String, BTreeMap<String, i64>>>,
}

impl StockView {
    /// Load the view from the `stock` table.
    pub fn load(conn: &Connection) -> Result<Self, HubError> {
        let mut map: HashMap<String, BTreeMap<String, i64>> = HashMap::new();
        let mut stmt = conn.prepare("SELECT location, sku, qty FROM stock")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let location: String = row.get(0)?;
            let sku: String = row.get(1)?;
            let qty: i64 = row.get(2)?;
            map.entry(sku).or_default().insert(location, qty);
        }
        Ok(Self {
            by_sku: RwLock::new(map),
        })
    }

    /// Add committed changes `(location, sku, delta)`.
    pub fn apply(&self, deltas: &[(String, String, i64)]) {
        if deltas.is_empty() {
            return;
        }
        let mut map = self.by_sku.write();
        for (location, sku, delta) in deltas {
            let per_loc = match map.get_mut(sku) {
                Some(m) => m,
                None => map.entry(sku.clone()).or_default(),
            };
            match per_loc.get_mut(location) {
                Some(q) => *q += delta,
                None => {
                    per_loc.insert(location.clone(), *delta);
                }
            }
        }
    }

    /// Run `f` on the whole view under the read lock (keep it short: the
    /// writer waits for it). Map: SKU → location → quantity.
    pub fn read<R>(&self, f: impl FnOnce(&HashMap<String, BTreeMap<String, i64>>) -> R) -> R {
        f(&self.by_sku.read())
    }

    /// Quantities of `sku` per location (location order).
    pub fn get(&self, sku: &str) -> Vec<(String, i64)> {
        self.by_sku
            .read()
            .get(sku)
            .map(|m| m.iter().map(|(l, q)| (l.clone(), *q)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_accumulate_per_location() {
        let v = StockView::default();
        v.apply(&[
            ("GN01".into(), "A".into(), 5),
            ("HD02".into(), "A".into(), 2),
            ("GN01".into(), "A".into(), -1),
        ]);
        assert_eq!(v.get("A"), vec![("GN01".into(), 4), ("HD02".into(), 2)]);
        assert!(v.get("B").is_empty());
    }
}
