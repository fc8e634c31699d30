//! Catalog browsing for the sell screen: scan, search, variant grids and
//! categories, fast on a 20,000-SKU catalog.
//!
//! Every query is indexed (schema 4: `catalog_sku_nocase`, `catalog_style`,
//! `catalog_category`, the trigram full-text index `catalog_fts` for name and
//! style substrings, plus the barcode index of schema 1) and `LIMIT`ed. Only
//! a one- or two-character query (too short for trigrams) scans, stopping at
//! the limit. Only active
//! (sellable) products are returned. Each hit carries the price a sale would
//! charge now and this store's stock.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::db;
use crate::error::{Result, TillError};
use crate::prices;
use crate::till::{ProductInfo, Till, lookup_product};

/// Most hits one search returns.
pub const MAX_SEARCH_LIMIT: usize = 200;

/// A product with its current price and this store's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProductHit {
    /// The product and its current price.
    #[serde(flatten)]
    pub product: ProductInfo,
    /// Stock at this till's store (may be negative).
    #[ts(type = "number")]
    pub stock: i64,
}

/// The colour × size grid of one style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VariantGrid {
    /// Style code.
    pub style: String,
    /// The style's name (what its products' names have in common).
    pub name: String,
    /// Colours, alphabetical.
    pub colours: Vec<String>,
    /// Sizes in garment order (XXS, XS, S, M, L, XL, XXL…), then numeric, then others.
    pub sizes: Vec<String>,
    /// Every active product of the style.
    pub cells: Vec<ProductHit>,
}

/// A category with its number of active products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CategoryCount {
    /// Category.
    pub category: String,
    /// Active products in it.
    #[ts(type = "number")]
    pub count: u64,
}

/// Sort key of a size: garment sizes first in their order, then numbers, then text.
pub fn size_order(size: &str) -> (u8, u64, String) {
    const GARMENT: [&str; 11] = [
        "XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "5XL",
    ];
    let up = size.trim().to_ascii_uppercase();
    let up = match up.as_str() {
        "2XS" => "XXS".to_owned(),
        "2XL" => "XXL".to_owned(),
        "3XL" => "XXXL".to_owned(),
        "FREE" | "F" | "OS" | "ONE SIZE" => "ZZZ-FREE".to_owned(),
        _ => up,
    };
    if let Some(i) = GARMENT.iter().position(|g| *g == up) {
        return (0, i as u64, String::new());
    }
    if let Ok(n) = up.parse::<u64>() {
        return (1, n, String::new());
    }
    (2, 0, up)
}

fn hit(
    conn: &Connection,
    item: crate::till::CatalogItem,
    store: Option<&str>,
) -> Result<ProductHit> {
    let quote = prices::quote(conn, &item.sku, item.price, prices::deal_now(conn)?)?;
    let stock: i64 = match store {
        None => 0,
        Some(store) => conn
            .prepare_cached(
                "SELECT COALESCE(SUM(inc_total - dec_total), 0) FROM stock_counters
                 WHERE location = ?1 AND sku = ?2",
            )?
            .query_row([store, item.sku.as_str()], |r| r.get(0))?,
    };
    Ok(ProductHit {
        product: ProductInfo {
            current_price: quote.as_ref().map(|q| q.price),
            price_label: quote.and_then(|q| q.label),
            item,
        },
        stock,
    })
}

fn store_of(conn: &Connection) -> Result<Option<String>> {
    Ok(db::enrolment(conn)?.map(|e| e.store.to_string()))
}

fn skus(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn hits_for(conn: &Connection, skus: &[String]) -> Result<Vec<ProductHit>> {
    let store = store_of(conn)?;
    let mut out = Vec::with_capacity(skus.len());
    for sku in skus {
        if let Some(item) = lookup_product(conn, sku)? {
            out.push(hit(conn, item, store.as_deref())?);
        }
    }
    Ok(out)
}

fn common_name(names: &[&str]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut words: Vec<&str> = first.split_whitespace().collect();
    for n in &names[1..] {
        let other: Vec<&str> = n.split_whitespace().collect();
        let same = words.iter().zip(&other).take_while(|(a, b)| a == b).count();
        words.truncate(same);
    }
    if words.is_empty() {
        first.to_string()
    } else {
        words.join(" ")
    }
}

impl Till {
    /// Search active products: exact barcode or SKU first, then SKU prefix,
    /// then name or style containing `query` (case-insensitive). At most
    /// `limit` hits (capped at [`MAX_SEARCH_LIMIT`]); an empty query finds nothing.
    pub fn search_products(&self, query: &str, limit: usize) -> Result<Vec<ProductHit>> {
        let q = query.trim();
        let limit = limit.min(MAX_SEARCH_LIMIT);
        if q.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut found: Vec<String> = Vec::new();
        if let Some(item) = lookup_product(&self.conn, q)?
            && item.active
        {
            found.push(item.sku);
        }
        let add = |more: Vec<String>, found: &mut Vec<String>| {
            for s in more {
                if found.len() >= limit {
                    break;
                }
                if !found.contains(&s) {
                    found.push(s);
                }
            }
        };
        if found.len() < limit && q.is_ascii() {
            // '~' sorts after every character a SKU may hold (NOCASE folds to lower case).
            let hi = format!("{q}~");
            let more = skus(
                &self.conn,
                "SELECT sku FROM catalog
                 WHERE sku >= ?1 COLLATE NOCASE AND sku < ?2 COLLATE NOCASE AND active = 1
                 ORDER BY sku COLLATE NOCASE LIMIT ?3",
                rusqlite::params![q, hi, (limit + 1) as i64],
            )?;
            add(more, &mut found);
        }
        if found.len() < limit {
            let want = (limit + found.len()) as i64;
            let mut more = if q.chars().count() >= 3 {
                // Trigram index: the query as one phrase (quotes doubled).
                let phrase = format!("\"{}\"", q.replace('"', "\"\""));
                skus(
                    &self.conn,
                    "SELECT c.sku FROM catalog_fts f JOIN catalog c ON c.sku = f.sku
                     WHERE catalog_fts MATCH ?1 AND c.active = 1 LIMIT ?2",
                    rusqlite::params![phrase, want],
                )?
            } else {
                // One or two characters: too short for trigrams; a scan that stops at the limit.
                skus(
                    &self.conn,
                    "SELECT sku FROM catalog
                     WHERE active = 1
                       AND (instr(lower(name), lower(?1)) > 0 OR instr(lower(style), lower(?1)) > 0)
                     LIMIT ?2",
                    rusqlite::params![q, want],
                )?
            };
            more.retain(|s| !found.contains(s));
            more.truncate(limit - found.len());
            let mut named = hits_for(&self.conn, &more)?;
            named.sort_by(|a, b| {
                (&a.product.item.name, &a.product.item.sku)
                    .cmp(&(&b.product.item.name, &b.product.item.sku))
            });
            let mut hits = hits_for(&self.conn, &found)?;
            hits.extend(named);
            return Ok(hits);
        }
        hits_for(&self.conn, &found)
    }

    /// The product a scanner read (SKU or barcode). Unknown codes are
    /// [`TillError::UnknownSku`], switched-off products [`TillError::NotForSale`].
    pub fn scan(&self, code: &str) -> Result<ProductHit> {
        let item = lookup_product(&self.conn, code)?
            .ok_or_else(|| TillError::UnknownSku(code.trim().to_owned()))?;
        if !item.active {
            return Err(TillError::NotForSale(item.sku));
        }
        let store = store_of(&self.conn)?;
        hit(&self.conn, item, store.as_deref())
    }

    /// The colour × size grid of a style (its active products).
    pub fn variants(&self, style: &str) -> Result<VariantGrid> {
        let style = style.trim();
        let found = skus(
            &self.conn,
            "SELECT sku FROM catalog WHERE style = ?1 AND active = 1 ORDER BY sku LIMIT 1000",
            [style],
        )?;
        if found.is_empty() {
            return Err(TillError::UnknownStyle(style.to_owned()));
        }
        let mut cells = hits_for(&self.conn, &found)?;
        let mut colours: Vec<String> = cells
            .iter()
            .filter_map(|c| c.product.item.colour.clone())
            .collect();
        colours.sort();
        colours.dedup();
        let mut sizes: Vec<String> = cells
            .iter()
            .filter_map(|c| c.product.item.size.clone())
            .collect();
        sizes.sort_by_key(|s| size_order(s));
        sizes.dedup();
        cells.sort_by_key(|c| {
            (
                c.product.item.colour.clone(),
                c.product.item.size.as_deref().map(size_order),
            )
        });
        let names: Vec<&str> = cells.iter().map(|c| c.product.item.name.as_str()).collect();
        Ok(VariantGrid {
            style: style.to_owned(),
            name: common_name(&names),
            colours,
            sizes,
            cells,
        })
    }

    /// Categories of active products with their counts, alphabetical.
    pub fn categories(&self) -> Result<Vec<CategoryCount>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT category, COUNT(*) FROM catalog
             WHERE active = 1 AND category IS NOT NULL
             GROUP BY category ORDER BY category",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CategoryCount {
                category: r.get(0)?,
                count: r.get::<_, i64>(1)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One page of a category's active products, by SKU.
    pub fn products_in_category(
        &self,
        category: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ProductHit>> {
        let found = skus(
            &self.conn,
            "SELECT sku FROM catalog WHERE active = 1 AND category = ?1
             ORDER BY sku LIMIT ?2 OFFSET ?3",
            rusqlite::params![
                category,
                limit.min(MAX_SEARCH_LIMIT) as i64,
                offset.min(i64::MAX as usize) as i64
            ],
        )?;
        hits_for(&self.conn, &found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_sort_in_garment_order() {
        let mut s = vec!["XL", "32", "S", "M", "free", "XS", "28", "L", "2XL"];
        s.sort_by_key(|x| size_order(x));
        assert_eq!(
            s,
            vec!["XS", "S", "M", "L", "XL", "2XL", "28", "32", "free"]
        );
    }

    #[test]
    fn style_name_is_the_common_words() {
        assert_eq!(
            common_name(&[
                "Oxford tee black M",
                "Oxford tee black L",
                "Oxford tee white S"
            ]),
            "Oxford tee"
        );
        assert_eq!(common_name(&["Solo"]), "Solo");
    }
}
