//! The catalog: `POST /api/v1/products`, `POST /api/v1/products/import`
//! (CSV) and `GET /api/v1/products`.
//!
//! Every product field HQ sets becomes a `CatalogSet` op of the hub's actor
//! (scope `catalog`), so it is in the log and reaches every till; the
//! `catalog_field` table keeps the winning value per field (LWW by HLC).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sync_proto::validate::{MAX_AMOUNT, MAX_TEXT};
use sync_proto::{CatalogField, CatalogSet, OpBody, Scope, Sku};
use utoipa::ToSchema;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::AppState;

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
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Product {
    /// SKU.
    pub sku: String,
    /// Display name.
    pub name: Option<String>,
    /// Unit price.
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
    let n = fields.len();
    state
        .writer
        .call(n, move |ap| {
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
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Result of a CSV import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Products stored.
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
    tracing::info!(user = %hq.username, imported, errors = error_count, "catalog imported");
    Ok(axum::Json(ImportResult { imported, errors }))
}

/// Filter and page of the product list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct ProductsQuery {
    /// Only this SKU.
    pub sku: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A page of products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    /// Products, by SKU.
    pub items: Vec<Product>,
    /// Products matching the filter.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// List products.
#[utoipa::path(
    get, path = "/api/v1/products", tag = "catalog",
    params(ProductsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Products", body = ProductPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Role or store not allowed", body = ErrorBody))
)]
pub async fn list_products(
    State(state): State<Arc<AppState>>,
    _hq: Hq,
    ApiQuery(q): ApiQuery<ProductsQuery>,
) -> Result<axum::Json<ProductPage>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit must be 1..=1000"));
    }
    let offset = q.offset.unwrap_or(0);
    let sku = match q.sku.filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<Sku>()
                .map_err(|e| ApiError::invalid(e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    let page = state
        .reads
        .read(move |c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(DISTINCT sku) FROM catalog_field WHERE (?1 IS NULL OR sku = ?1)",
                [&sku],
                |r| r.get(0),
            )?;
            let skus: Vec<String> = {
                let mut stmt = c.prepare_cached(
                    "SELECT DISTINCT sku FROM catalog_field WHERE (?1 IS NULL OR sku = ?1)
                     ORDER BY sku LIMIT ?2 OFFSET ?3",
                )?;
                let rows = stmt.query_map(rusqlite::params![sku, limit, offset], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut items = BTreeMap::new();
            let mut stmt = c.prepare_cached("SELECT value FROM catalog_field WHERE sku = ?1")?;
            for s in skus {
                let mut p = Product {
                    sku: s.clone(),
                    active: true,
                    ..Product::default()
                };
                let values = stmt.query_map([&s], |r| r.get::<_, String>(0))?;
                for v in values {
                    if let Ok(f) = serde_json::from_str::<CatalogField>(&v?) {
                        p.set(f);
                    }
                }
                items.insert(s, p);
            }
            Ok(ProductPage {
                items: items.into_values().collect(),
                total: total as u64,
                limit,
                offset,
            })
        })
        .await?;
    Ok(axum::Json(page))
}
