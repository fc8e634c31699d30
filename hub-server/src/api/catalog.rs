//! The catalog: `POST /api/v1/products`, `POST /api/v1/products/import`
//! (CSV), `GET /api/v1/products` (search, with the price in force now),
//! `PATCH /api/v1/products/{sku}`, `GET /api/v1/products/styles`,
//! `GET /api/v1/categories` and `GET /api/v1/products/export.csv`.
//!
//! Every product field HQ sets becomes a `CatalogSet` op of the hub's actor
//! (scope `catalog`), so it is in the log and reaches every till; the
//! `catalog_field` table keeps the winning value per field (LWW by HLC) and
//! the writer copies winners to the flattened `product` table that the
//! queries here read.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sync_proto::validate::{MAX_AMOUNT, MAX_TEXT};
use sync_proto::{CatalogField, CatalogSet, OpBody, Scope, Sku};
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::params::{page_limit, sku_param};
use crate::audit::{self, actions};
use crate::{AppState, HubError, now_ms};

/// A product (one sellable variant) to create or update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProductInput {
    /// SKU: 1-64 characters A-Z, a-z, 0-9, '-', '_', '.'.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Unit price in minor units (KRW: won).
    pub price: i64,
    /// Barcode (EAN-13 etc.).
    pub barcode: Option<String>,
    /// Style code.
    pub style: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Sellable (default true).
    pub active: Option<bool>,
}

/// A product as the hub holds it.
#[derive(Debug, Clone, Default, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Product {
    /// SKU.
    pub sku: String,
    /// Display name.
    pub name: Option<String>,
    /// Unit price.
    #[ts(type = "number | null")]
    pub price: Option<i64>,
    /// Barcode.
    pub barcode: Option<String>,
    /// Style code.
    pub style: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Sellable.
    pub active: bool,
    /// Price in force now (a price rule's, else `price`).
    #[ts(type = "number | null")]
    pub current_price: Option<i64>,
    /// Label of the price rule in force now, if any.
    pub price_label: Option<String>,
}

impl Product {
    fn set(&mut self, f: CatalogField) {
        match f {
            CatalogField::Name(v) => self.name = Some(v),
            CatalogField::Price(v) => self.price = Some(v),
            CatalogField::Barcode(v) => self.barcode = v,
            CatalogField::Active(v) => self.active = v,
            CatalogField::Style(v) => self.style = Some(v),
            CatalogField::Colour(v) => self.colour = Some(v),
            CatalogField::Size(v) => self.size = Some(v),
            CatalogField::Category(v) => self.category = Some(v),
        }
    }
}

fn text(what: &str, v: Option<String>) -> Result<Option<String>, String> {
    match v.map(|s| s.trim().to_owned()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.len() > MAX_TEXT => Err(format!("{what} is longer than {MAX_TEXT} bytes")),
        Some(s) if s.chars().any(char::is_control) => {
            Err(format!("{what} contains control characters"))
        }
        Some(s) => Ok(Some(s)),
    }
}

/// Check a product and turn it into the catalog fields to set.
pub fn product_fields(p: ProductInput) -> Result<(Sku, Vec<CatalogField>), String> {
    let sku: Sku = p
        .sku
        .trim()
        .parse()
        .map_err(|e: sync_proto::IdError| e.to_string())?;
    let name = text("name", Some(p.name))?.ok_or("name must not be empty")?;
    if !(0..=MAX_AMOUNT).contains(&p.price) {
        return Err(format!("price {} out of range 0..={MAX_AMOUNT}", p.price));
    }
    let mut fields = vec![CatalogField::Name(name), CatalogField::Price(p.price)];
    if let Some(b) = text("barcode", p.barcode)? {
        if b.len() > 64 || !b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(format!("barcode {b:?} must be up to 64 letters or digits"));
        }
        fields.push(CatalogField::Barcode(Some(b)));
    }
    if let Some(v) = text("style", p.style)? {
        fields.push(CatalogField::Style(v));
    }
    if let Some(v) = text("colour", p.colour)? {
        fields.push(CatalogField::Colour(v));
    }
    if let Some(v) = text("size", p.size)? {
        fields.push(CatalogField::Size(v));
    }
    if let Some(v) = text("category", p.category)? {
        fields.push(CatalogField::Category(v));
    }
    fields.push(CatalogField::Active(p.active.unwrap_or(true)));
    Ok((sku, fields))
}

/// Create or update a product (emits catalog ops to every till).
#[utoipa::path(
    post, path = "/api/v1/products", tag = "catalog",
    request_body = ProductInput,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Stored; catalog ops emitted", body = Product),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Role or store not allowed", body = ErrorBody),
    )
)]
pub async fn create_product(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<ProductInput>,
) -> Result<(StatusCode, axum::Json<Product>), ApiError> {
    hq.require_hq()?;
    let (sku, fields) = product_fields(req).map_err(ApiError::invalid)?;
    let mut product = Product {
        sku: sku.to_string(),
        active: true,
        ..Product::default()
    };
    for f in &fields {
        product.set(f.clone());
    }
    product.current_price = product.price;
    let n = fields.len();
    let hq2 = hq.clone();
    state
        .writer
        .call(n, move |ap| {
            audit::record(
                ap.conn,
                &hq2,
                actions::PRODUCT_CREATE,
                sku.as_str(),
                serde_json::json!({}),
            )?;
            for field in fields {
                ap.hub_op(
                    Scope::Catalog,
                    OpBody::CatalogSet(CatalogSet {
                        sku: sku.clone(),
                        field,
                    }),
                )?;
            }
            Ok(())
        })
        .await?;
    tracing::info!(user = %hq.username, sku = %product.sku, "product stored");
    Ok((StatusCode::CREATED, axum::Json(product)))
}

/// One refused CSV line.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ImportError {
    /// Line number in the file (the header is line 1).
    #[ts(type = "number")]
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Result of a CSV import.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ImportResult {
    /// Products stored.
    #[ts(type = "number")]
    pub imported: u64,
    /// Lines refused.
    pub errors: Vec<ImportError>,
}

/// Most CSV lines reported as errors (the count of imported rows is exact).
const MAX_REPORTED_ERRORS: usize = 1000;

/// Import products from CSV with header `sku,name,price,barcode,style,colour,size,category`
/// (optional `active`). Valid lines are stored; invalid ones are reported.
#[utoipa::path(
    post, path = "/api/v1/products/import", tag = "catalog",
    request_body(content = String, content_type = "text/csv",
                 description = "CSV with header sku,name,price,barcode,style,colour,size,category"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Imported", body = ImportResult),
        (status = 400, description = "Missing or wrong header", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Role or store not allowed", body = ErrorBody),
    )
)]
pub async fn import_products(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Result<axum::Json<ImportResult>, ApiError> {
    hq.require_hq()?;
    let body = body?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid(format!("cannot read the CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_sku), Some(c_name), Some(c_price)) = (col("sku"), col("name"), col("price")) else {
        return Err(ApiError::invalid(
            "the CSV header must name at least sku, name and price (sku,name,price,barcode,style,colour,size,category)",
        ));
    };
    let optional = ["barcode", "style", "colour", "size", "category", "active"].map(col);
    let mut errors = Vec::new();
    let mut error_count = 0usize;
    let mut products: Vec<(Sku, Vec<CatalogField>)> = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                error_count += 1;
                if errors.len() < MAX_REPORTED_ERRORS {
                    errors.push(ImportError {
                        line,
                        message: format!("unreadable line: {e}"),
                    });
                }
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let parsed = (|| -> Result<(Sku, Vec<CatalogField>), String> {
            let price_text = get(Some(c_price)).ok_or("price is missing")?;
            let price: i64 = price_text.parse().map_err(|_| {
                format!("price {price_text:?} is not a whole number of minor units")
            })?;
            let active = match get(optional[5]).map(|s| s.to_ascii_lowercase()) {
                None => None,
                Some(s) if matches!(s.as_str(), "true" | "1" | "yes" | "y") => Some(true),
                Some(s) if matches!(s.as_str(), "false" | "0" | "no" | "n") => Some(false),
                Some(s) => return Err(format!("active {s:?} is not true or false")),
            };
            product_fields(ProductInput {
                sku: get(Some(c_sku)).ok_or("sku is missing")?,
                name: get(Some(c_name)).unwrap_or_default(),
                price,
                barcode: get(optional[0]),
                style: get(optional[1]),
                colour: get(optional[2]),
                size: get(optional[3]),
                category: get(optional[4]),
                active,
            })
        })();
        match parsed {
            Ok(p) => products.push(p),
            Err(message) => {
                error_count += 1;
                if errors.len() < MAX_REPORTED_ERRORS {
                    errors.push(ImportError { line, message });
                }
            }
        }
    }
    let imported = products.len() as u64;
    let weight: usize = products.iter().map(|(_, f)| f.len()).sum();
    // Big catalogs go in slices so that till batches keep flowing in between.
    let mut rest = products;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(2000));
        let slice = std::mem::replace(&mut rest, tail);
        state
            .writer
            .call(weight.min(2000 * 9), move |ap| {
                for (sku, fields) in slice {
                    for field in fields {
                        ap.hub_op(
                            Scope::Catalog,
                            OpBody::CatalogSet(CatalogSet {
                                sku: sku.clone(),
                                field,
                            }),
                        )?;
                    }
                }
                Ok(())
            })
            .await?;
    }
    {
        let hq2 = hq.clone();
        let errors = error_count;
        state
            .writer
            .call(1, move |ap| {
                audit::record(
                    ap.conn,
                    &hq2,
                    actions::PRODUCT_IMPORT,
                    "catalog",
                    serde_json::json!({"imported": imported, "errors": errors}),
                )
            })
            .await?;
    }
    tracing::info!(user = %hq.username, imported, errors = error_count, "catalog imported");
    Ok(axum::Json(ImportResult { imported, errors }))
}

/// Filter and page of the product list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// Only this SKU.
    pub sku: Option<String>,
    /// Search: part of the SKU, name or barcode (case-insensitive).
    pub q: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this style.
    pub style: Option<String>,
    /// Only sellable (`true`) or withdrawn (`false`) products.
    pub active: Option<bool>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A page of products.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ProductPage {
    /// Products, by SKU.
    pub items: Vec<Product>,
    /// Products matching the filter.
    #[ts(type = "number")]
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// Product filter as SQL parameters (see [`PRODUCT_FILTER`]).
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Exact SKU.
    pub sku: Option<String>,
    /// `%q%` pattern.
    pub like: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Style.
    pub style: Option<String>,
    /// Active flag.
    pub active: Option<bool>,
}

/// WHERE clause over `product` for [`ProductFilter`] parameters ?1-?5.
pub const PRODUCT_FILTER: &str = "(?1 IS NULL OR sku = ?1)
    AND (?2 IS NULL OR sku LIKE ?2 OR name LIKE ?2 OR barcode LIKE ?2)
    AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR style = ?4)
    AND (?5 IS NULL OR active = ?5)";

fn opt_text(what: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    text(what, v).map_err(ApiError::invalid)
}

impl ProductFilter {
    /// Check and build a filter from query values.
    pub fn parse(
        sku: Option<String>,
        q: Option<String>,
        category: Option<String>,
        style: Option<String>,
        active: Option<bool>,
    ) -> Result<Self, ApiError> {
        let sku = sku_param(sku)?;
        let like = opt_text("q", q)?.map(|q| {
            let escaped: String = q.chars().filter(|c| *c != '%' && *c != '_').collect();
            format!("%{escaped}%")
        });
        Ok(Self {
            sku,
            like,
            category: opt_text("category", category)?,
            style: opt_text("style", style)?,
            active,
        })
    }

    /// The five SQL parameters.
    pub fn params(&self) -> [&dyn rusqlite::ToSql; 5] {
        [
            &self.sku,
            &self.like,
            &self.category,
            &self.style,
            &self.active,
        ]
    }
}

/// Columns of [`product_from_row`].
const PRODUCT_COLUMNS: &str = "sku, name, price, barcode, style, colour, size, category, active";

fn product_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        sku: r.get(0)?,
        name: r.get(1)?,
        price: r.get(2)?,
        barcode: r.get(3)?,
        style: r.get(4)?,
        colour: r.get(5)?,
        size: r.get(6)?,
        category: r.get(7)?,
        active: r.get(8)?,
        current_price: None,
        price_label: None,
    })
}

/// Fill `current_price` / `price_label` from the rules in force at `now`.
fn price_now(c: &rusqlite::Connection, items: &mut [Product], now: u64) -> Result<(), HubError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {} FROM price_rule WHERE sku = ?1 AND cancelled = 0 AND valid_from_ms <= ?2
           AND (valid_to_ms IS NULL OR valid_to_ms > ?2)",
        super::prices::RULE_COLUMNS
    ))?;
    for p in items {
        let rules: Vec<_> = st
            .query_map(
                rusqlite::params![p.sku, now.min(i64::MAX as u64) as i64],
                super::prices::rule_from_row,
            )?
            .filter_map(|r| r.ok().flatten())
            .collect();
        match sync_proto::pricing::effective_rule(&rules, now) {
            Some(r) => {
                p.current_price = Some(r.price);
                p.price_label = Some(r.label.clone());
            }
            None => p.current_price = p.price,
        }
    }
    Ok(())
}

/// Search products, with the price in force now.
#[utoipa::path(
    get, path = "/api/v1/products", tag = "catalog",
    params(ProductsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Products", body = ProductPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_products(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<ProductsQuery>,
) -> Result<axum::Json<ProductPage>, ApiError> {
    hq.require_console()?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let offset = q.offset.unwrap_or(0);
    let filter = ProductFilter::parse(q.sku, q.q, q.category, q.style, q.active)?;
    let page = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let p = filter.params();
            let total: i64 = tx.query_row(
                &format!("SELECT COUNT(*) FROM product WHERE {PRODUCT_FILTER}"),
                p,
                |r| r.get(0),
            )?;
            let mut items: Vec<Product> = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM product WHERE {PRODUCT_FILTER}
                     ORDER BY sku LIMIT ?6 OFFSET ?7"
                ))?;
                let rows = stmt.query_map(
                    rusqlite::params![p[0], p[1], p[2], p[3], p[4], limit, offset],
                    product_from_row,
                )?;
                rows.collect::<Result<_, _>>()?
            };
            price_now(&tx, &mut items, now_ms())?;
            tx.finish()?;
            Ok(ProductPage {
                items,
                total: total as u64,
                limit,
                offset,
            })
        })
        .await?;
    Ok(axum::Json(page))
}

/// Fields of a product to change (absent = unchanged).
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ProductPatch {
    /// Display name.
    pub name: Option<String>,
    /// Catalog price in minor units.
    #[ts(type = "number | null")]
    pub price: Option<i64>,
    /// Barcode; `""` removes it.
    pub barcode: Option<String>,
    /// Style code.
    pub style: Option<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Sellable.
    pub active: Option<bool>,
}

fn patch_fields(p: ProductPatch) -> Result<Vec<CatalogField>, String> {
    let mut fields = Vec::new();
    let required = |what: &str, v: Option<String>| -> Result<Option<String>, String> {
        match v {
            None => Ok(None),
            Some(v) => text(what, Some(v))?
                .map(Some)
                .ok_or_else(|| format!("{what} must not be empty")),
        }
    };
    if let Some(v) = required("name", p.name)? {
        fields.push(CatalogField::Name(v));
    }
    if let Some(price) = p.price {
        if !(0..=MAX_AMOUNT).contains(&price) {
            return Err(format!("price {price} out of range 0..={MAX_AMOUNT}"));
        }
        fields.push(CatalogField::Price(price));
    }
    if let Some(b) = p.barcode {
        match text("barcode", Some(b))? {
            None => fields.push(CatalogField::Barcode(None)),
            Some(b) => {
                if b.len() > 64 || !b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                    return Err(format!("barcode {b:?} must be up to 64 letters or digits"));
                }
                fields.push(CatalogField::Barcode(Some(b)));
            }
        }
    }
    if let Some(v) = required("style", p.style)? {
        fields.push(CatalogField::Style(v));
    }
    if let Some(v) = required("colour", p.colour)? {
        fields.push(CatalogField::Colour(v));
    }
    if let Some(v) = required("size", p.size)? {
        fields.push(CatalogField::Size(v));
    }
    if let Some(v) = required("category", p.category)? {
        fields.push(CatalogField::Category(v));
    }
    if let Some(a) = p.active {
        fields.push(CatalogField::Active(a));
    }
    if fields.is_empty() {
        return Err("nothing to change: give at least one field".into());
    }
    Ok(fields)
}

/// Change fields of an existing product (catalog ops to every till).
#[utoipa::path(
    patch, path = "/api/v1/products/{sku}", tag = "catalog",
    params(("sku" = String, Path, description = "SKU")),
    request_body = ProductPatch,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The product after the change", body = Product),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such product", body = ErrorBody))
)]
pub async fn patch_product(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(sku): ApiPath<String>,
    ApiJson(req): ApiJson<ProductPatch>,
) -> Result<axum::Json<Product>, ApiError> {
    hq.require_hq()?;
    let sku: Sku = sku
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let fields = patch_fields(req).map_err(ApiError::invalid)?;
    let hq2 = hq.clone();
    let sku2 = sku.clone();
    let changed: Vec<&'static str> = fields.iter().map(|f| f.kind().as_str()).collect();
    state
        .writer
        .call(fields.len(), move |ap| {
            let known = ap
                .conn
                .prepare_cached("SELECT 1 FROM product WHERE sku = ?1")?
                .exists([sku2.as_str()])?;
            if !known {
                return Err(HubError::rejected(
                    404,
                    "unknown_sku",
                    format!("no product {sku2}"),
                ));
            }
            for field in fields {
                ap.hub_op(
                    Scope::Catalog,
                    OpBody::CatalogSet(CatalogSet {
                        sku: sku2.clone(),
                        field,
                    }),
                )?;
            }
            audit::record(
                ap.conn,
                &hq2,
                actions::PRODUCT_UPDATE,
                sku2.as_str(),
                serde_json::json!({ "fields": changed }),
            )
        })
        .await?;
    let sku = sku.to_string();
    let product = state
        .reads
        .read(move |c| {
            let mut items: Vec<Product> = c
                .prepare_cached(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM product WHERE sku = ?1"
                ))?
                .query_map([&sku], product_from_row)?
                .collect::<Result<_, _>>()?;
            price_now(c, &mut items, now_ms())?;
            items
                .pop()
                .ok_or_else(|| HubError::Internal(format!("product {sku} vanished")))
        })
        .await?;
    tracing::info!(user = %hq.username, sku = %product.sku, "product updated");
    Ok(axum::Json(product))
}

/// A style with its variants.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Style {
    /// Style code (`""` for products without one).
    pub style: String,
    /// Name of its first variant.
    pub name: Option<String>,
    /// Category of its first variant.
    pub category: Option<String>,
    /// Colours, sorted.
    pub colours: Vec<String>,
    /// Sizes, in the order first seen (by SKU).
    pub sizes: Vec<String>,
    /// The variants (size × colour), by SKU.
    pub variants: Vec<Product>,
}

/// A page of styles.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct StylePage {
    /// Styles, by code.
    pub items: Vec<Style>,
    /// Styles matching the filter.
    #[ts(type = "number")]
    pub total: u64,
}

/// Filter of the style list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StylesQuery {
    /// Search: part of a variant's SKU, name or barcode.
    pub q: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this style.
    pub style: Option<String>,
    /// Page size in styles (default 50, at most 500).
    pub limit: Option<u32>,
    /// Styles to skip.
    pub offset: Option<u32>,
}

/// Styles with their variants (size × colour) and current prices.
#[utoipa::path(
    get, path = "/api/v1/products/styles", tag = "catalog",
    params(StylesQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Styles", body = StylePage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_styles(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<StylesQuery>,
) -> Result<axum::Json<StylePage>, ApiError> {
    hq.require_console()?;
    let limit = page_limit(q.limit, 50, 500)?;
    let offset = q.offset.unwrap_or(0);
    let filter = ProductFilter::parse(None, q.q, q.category, q.style, None)?;
    let page = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let p = filter.params();
            let total: i64 = tx.query_row(
                &format!(
                    "SELECT COUNT(DISTINCT COALESCE(style, '')) FROM product WHERE {PRODUCT_FILTER}"
                ),
                p,
                |r| r.get(0),
            )?;
            let styles: Vec<String> = tx
                .prepare_cached(&format!(
                    "SELECT DISTINCT COALESCE(style, '') AS s FROM product WHERE {PRODUCT_FILTER}
                     ORDER BY s LIMIT ?6 OFFSET ?7"
                ))?
                .query_map(
                    rusqlite::params![p[0], p[1], p[2], p[3], p[4], limit, offset],
                    |r| r.get(0),
                )?
                .collect::<Result<_, _>>()?;
            let mut items = Vec::with_capacity(styles.len());
            let mut st = tx.prepare_cached(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM product WHERE COALESCE(style, '') = ?1 ORDER BY sku"
            ))?;
            for style in styles {
                let mut variants: Vec<Product> = st
                    .query_map([&style], product_from_row)?
                    .collect::<Result<_, _>>()?;
                price_now(&tx, &mut variants, now_ms())?;
                let mut colours: Vec<String> =
                    variants.iter().filter_map(|v| v.colour.clone()).collect();
                colours.sort();
                colours.dedup();
                let mut sizes: Vec<String> = Vec::new();
                for v in &variants {
                    if let Some(s) = &v.size
                        && !sizes.contains(s)
                    {
                        sizes.push(s.clone());
                    }
                }
                items.push(Style {
                    name: variants.first().and_then(|v| v.name.clone()),
                    category: variants.first().and_then(|v| v.category.clone()),
                    style,
                    colours,
                    sizes,
                    variants,
                });
            }
            drop(st);
            tx.finish()?;
            Ok(StylePage {
                items,
                total: total as u64,
            })
        })
        .await?;
    Ok(axum::Json(page))
}

/// A category and how many products it holds.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Category {
    /// Category name.
    pub category: String,
    /// Products (variants) in it.
    #[ts(type = "number")]
    pub products: u64,
    /// Styles in it.
    #[ts(type = "number")]
    pub styles: u64,
}

/// Categories of the catalog.
#[utoipa::path(
    get, path = "/api/v1/categories", tag = "catalog",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Categories, by name", body = [Category]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn list_categories(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::Json<Vec<Category>>, ApiError> {
    hq.require_console()?;
    let cats = state
        .reads
        .read(|c| {
            let mut st = c.prepare_cached(
                "SELECT category, COUNT(*), COUNT(DISTINCT style) FROM product
                 WHERE category IS NOT NULL GROUP BY category ORDER BY category",
            )?;
            let rows = st.query_map([], |r| {
                Ok(Category {
                    category: r.get(0)?,
                    products: r.get::<_, i64>(1)? as u64,
                    styles: r.get::<_, i64>(2)? as u64,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
    Ok(axum::Json(cats))
}

/// The whole catalog as CSV, in the import's columns
/// (`sku,name,price,barcode,style,colour,size,category,active`).
#[utoipa::path(
    get, path = "/api/v1/products/export.csv", tag = "catalog",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access", body = ErrorBody))
)]
pub async fn export_products(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::response::Response, ApiError> {
    hq.require_console()?;
    let csv = state
        .reads
        .read(|c| {
            let mut w = csv::Writer::from_writer(Vec::new());
            let csv_err = |e: csv::Error| HubError::Internal(format!("writing CSV: {e}"));
            w.write_record([
                "sku", "name", "price", "barcode", "style", "colour", "size", "category", "active",
            ])
            .map_err(csv_err)?;
            let mut st = c.prepare_cached(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM product ORDER BY sku"
            ))?;
            let rows = st.query_map([], product_from_row)?;
            for p in rows {
                let p = p?;
                w.write_record([
                    p.sku,
                    p.name.unwrap_or_default(),
                    p.price.map(|v| v.to_string()).unwrap_or_default(),
                    p.barcode.unwrap_or_default(),
                    p.style.unwrap_or_default(),
                    p.colour.unwrap_or_default(),
                    p.size.unwrap_or_default(),
                    p.category.unwrap_or_default(),
                    p.active.to_string(),
                ])
                .map_err(csv_err)?;
            }
            w.into_inner()
                .map_err(|e| HubError::Internal(format!("writing CSV: {e}")))
        })
        .await?;
    Ok(super::reports::csv_response("products.csv", csv))
}
