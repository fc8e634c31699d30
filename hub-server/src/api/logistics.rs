//! Replenishment and deliveries for the console (issue 5): orders (`/replenishment/orders`,
//! proposals from low-stock alerts, approve, cancel), shipments (`/shipments`: plan, pick,
//! dispatch, cancel, arrive), receivings (`/receivings`) and store locations
//! (`/stores/{id}/location`).
//!
//! Head office (hq_admin, hq_staff) does everything; a store manager reads their own store's
//! orders, deliveries (shipments with only their stop) and receivings, and may not approve,
//! ship or dispatch; a driver may only mark a stop of their own shipment arrived (the rest of
//! their API is `/driver/*`, see [`super::gps`]); a cashier nothing. Every action is one writer
//! job with its audit entry (see [`crate::logistics::actions`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sync_proto::logistics::{Lifecycle, OrderLine, OrderOrigin};
use sync_proto::validate::MAX_TEXT;
use sync_proto::{LocationId, Sku, StoreId};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{AnyUser, Hq, forbidden};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::params::{location_param, page_limit, store_param, uuid_param};
use crate::accounts::Role;
use crate::audit::{self, actions};
use crate::logistics::actions::{LowStock, NewOrder, NewShipment};
use crate::logistics::read::ShipmentFilter;
use crate::logistics::{self, LineJson, OrderJson, ReceivingJson, ShipmentJson, StoreLocation};
use crate::{AppState, HubError, now_ms};

/// Default reorder target of a proposal (units a store should have after it).
pub const DEFAULT_REORDER_TARGET: i64 = 12;

// ---------------------------------------------------------------------------------------------
// Request shapes
// ---------------------------------------------------------------------------------------------

/// HQ places an order for a store.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct PlaceOrder {
    /// The store that will receive it.
    pub store: String,
    /// What to send (1-500 lines, each SKU once).
    pub lines: Vec<LineJson>,
    /// Free text.
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// Which stores to propose orders for, and the thresholds.
#[derive(Debug, Default, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ProposeOrders {
    /// Stores (default: every store).
    #[serde(default)]
    #[ts(optional)]
    pub stores: Option<Vec<String>>,
    /// A SKU at or below this is low (default: the inventory alerts' threshold, 3).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub threshold: Option<i64>,
    /// Units a store should have after the order (default 12).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub target: Option<i64>,
}

/// HQ approves an order, possibly with other quantities.
#[derive(Debug, Default, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct ApproveOrder {
    /// Approved quantities (default: as asked). Lines of 0 are left out.
    #[serde(default)]
    #[ts(optional)]
    pub lines: Option<Vec<LineJson>>,
}

/// Why an order is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CancelOrder {
    /// Free text.
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// A new shipment of approved orders.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct CreateShipment {
    /// Approved orders of one or more stores.
    pub orders: Vec<Uuid>,
    /// The stores in route order (default: in the order of `orders`).
    #[serde(default)]
    #[ts(optional)]
    pub stops_order: Option<Vec<String>>,
    /// The warehouse it leaves from (default: the first warehouse).
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<String>,
}

/// Driver and vehicle of a dispatch.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DispatchShipment {
    /// Username of an active driver account.
    pub driver: String,
    /// Plate or fleet number (1-32 characters).
    pub vehicle: String,
}

/// A store's position and geofence, as changed (omitted fields stay).
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct PatchStoreLocation {
    /// Latitude (WGS 84).
    #[serde(default)]
    #[ts(optional)]
    pub lat: Option<f64>,
    /// Longitude (WGS 84).
    #[serde(default)]
    #[ts(optional)]
    pub lon: Option<f64>,
    /// Geofence radius in metres (10-5000).
    #[serde(default)]
    #[ts(optional)]
    pub geofence_m: Option<f64>,
}

/// Filter of the order list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// One store (a store manager always gets their own).
    pub store: Option<String>,
    /// One state (`requested`, `approved`, `picked`, `dispatched`, `arrived`, `received`,
    /// `cancelled`).
    pub status: Option<String>,
    /// Most orders (default 500, at most 5000), newest first.
    pub limit: Option<u32>,
}

/// Filter of the shipment list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentsQuery {
    /// One state (the shipment's: its least advanced stop).
    pub status: Option<String>,
    /// Created or dispatched on this business day (`YYYY-MM-DD`, the hub's report offset).
    pub date: Option<String>,
    /// Only those with a stop at this store (a store manager always gets their own).
    pub store: Option<String>,
    /// Most shipments (default 200, at most 1000), newest first.
    pub limit: Option<u32>,
}

/// Filter of the receiving list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivingsQuery {
    /// One store (a store manager always gets their own).
    pub store: Option<String>,
    /// Only those with a discrepancy: shortage, damage, extra, a second count, no delivery.
    pub discrepancies: Option<bool>,
    /// Most records (default 500, at most 5000), newest first.
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A JSON body that may be absent (empty body: the defaults).
pub fn optional_body<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))
}

fn order_lines(lines: &[LineJson]) -> Result<Vec<OrderLine>, ApiError> {
    lines
        .iter()
        .filter(|l| l.qty > 0)
        .map(|l| {
            Ok(OrderLine {
                sku: l
                    .sku
                    .trim()
                    .parse::<Sku>()
                    .map_err(|e| ApiError::invalid(e.to_string()))?,
                qty: l.qty,
            })
        })
        .collect()
}

fn note(n: Option<String>) -> Result<Option<String>, ApiError> {
    let n = n.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if n.as_ref().is_some_and(|s| s.len() > MAX_TEXT) {
        return Err(ApiError::invalid(format!(
            "note longer than {MAX_TEXT} bytes"
        )));
    }
    Ok(n)
}

/// A `status` query parameter.
pub fn status_param(s: Option<String>) -> Result<Option<Lifecycle>, ApiError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Lifecycle::parse(&s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("{s:?} is not a lifecycle state"))),
    }
}

async fn read_order(state: &AppState, id: Uuid) -> Result<OrderJson, ApiError> {
    state
        .reads
        .read(move |c| logistics::order(c, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_order", format!("no order {id}")))
}

/// A shipment as `who` may see it: HQ all of it; a store manager only a shipment with a stop
/// at their store, and only that stop (403 otherwise); a driver only their own (404 else).
pub async fn read_shipment(
    state: &AppState,
    id: Uuid,
    who: &crate::api::auth::Hq,
) -> Result<ShipmentJson, ApiError> {
    let live = state.logistics.clone();
    let s = state
        .reads
        .read(move |c| logistics::shipment(c, &id, &live))
        .await?;
    let not_found = || ApiError::not_found("unknown_shipment", format!("no shipment {id}"));
    let mut s = s.ok_or_else(not_found)?;
    match who.role {
        Role::HqAdmin | Role::HqStaff => Ok(s),
        Role::Driver if s.driver.as_deref() == Some(who.username.as_str()) => Ok(s),
        Role::StoreManager => {
            let own = who.store.clone().unwrap_or_default();
            if !s.stops.iter().any(|st| st.store == own) {
                return Err(forbidden(format!(
                    "shipment {id} does not deliver to store {own}"
                )));
            }
            s.stops.retain(|st| st.store == own);
            Ok(s)
        }
        Role::Driver => Err(not_found()),
        Role::Cashier => Err(forbidden("a cashier has no access to shipments")),
    }
}

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

/// Replenishment orders, newest first (a store manager: their store's).
#[utoipa::path(
    get, path = "/api/v1/replenishment/orders", tag = "replenishment",
    params(OrdersQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Orders", body = [OrderJson]),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access, or another store", body = ErrorBody))
)]
pub async fn list_orders(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<axum::Json<Vec<OrderJson>>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let status = status_param(q.status)?;
    let limit = page_limit(q.limit, 500, 5000)?;
    let list = state
        .reads
        .read(move |c| logistics::orders(c, store.as_deref(), status, limit))
        .await?;
    Ok(axum::Json(list))
}

/// One order.
#[utoipa::path(
    get, path = "/api/v1/replenishment/orders/{id}", tag = "replenishment",
    params(("id" = String, Path, description = "Order id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The order", body = OrderJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store's order", body = ErrorBody),
              (status = 404, description = "No such order", body = ErrorBody))
)]
pub async fn get_order(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<OrderJson>, ApiError> {
    let id = uuid_param(&id, "order")?;
    let o = read_order(&state, id).await?;
    hq.require_store_access(&o.store)?;
    Ok(axum::Json(o))
}

/// HQ places an order for a store (`origin: hq_proposal`).
#[utoipa::path(
    post, path = "/api/v1/replenishment/orders", tag = "replenishment",
    request_body = PlaceOrder,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Placed", body = OrderJson),
              (status = 400, description = "Invalid lines, unknown SKU, not a store", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody))
)]
pub async fn place_order(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<PlaceOrder>,
) -> Result<(StatusCode, axum::Json<OrderJson>), ApiError> {
    hq.require_hq()?;
    let o = NewOrder {
        store: store_param(&req.store)?,
        lines: order_lines(&req.lines)?,
        note: note(req.note)?,
    };
    let who = hq.clone();
    let id = state
        .writer
        .call(2, move |ap| {
            let store = o.store.to_string();
            let id =
                logistics::actions::place_order(ap, o, OrderOrigin::HqProposal, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::ORDER_CREATE,
                &id.to_string(),
                serde_json::json!({"store": store}),
            )?;
            Ok(id)
        })
        .await?;
    tracing::info!(user = %hq.username, order = %id, "order placed by HQ");
    Ok((
        StatusCode::CREATED,
        axum::Json(read_order(&state, id).await?),
    ))
}

/// Orders proposed from the low-stock alerts: per store, `target − on hand − already open` of
/// each low SKU.
#[utoipa::path(
    post, path = "/api/v1/replenishment/proposals", tag = "replenishment",
    request_body(content = ProposeOrders, description = "Optional; empty body: every store, default thresholds"),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The new orders (none when nothing is low or all is on order)", body = [OrderJson]),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody))
)]
pub async fn propose(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    body: Bytes,
) -> Result<axum::Json<Vec<OrderJson>>, ApiError> {
    hq.require_hq()?;
    let req: ProposeOrders = optional_body(&body)?;
    let threshold = req.threshold.unwrap_or(super::inventory::DEFAULT_THRESHOLD);
    let target = req.target.unwrap_or(DEFAULT_REORDER_TARGET);
    if !(0..=1_000_000).contains(&threshold) || !(1..=1_000_000).contains(&target) {
        return Err(ApiError::invalid(
            "threshold must be 0..=1000000 and target 1..=1000000",
        ));
    }
    let stores = req
        .stores
        .map(|s| {
            s.iter()
                .map(|c| store_param(c).map(|x| x.to_string()))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let cells: Vec<LowStock> = state.stock.read(|view| {
        let mut out = Vec::new();
        for (sku, per_loc) in view {
            for (loc, &qty) in per_loc {
                let wanted = stores.as_ref().is_none_or(|s| s.contains(loc));
                if wanted
                    && qty <= threshold
                    && let (Ok(store), Ok(sku)) = (loc.parse::<StoreId>(), sku.parse::<Sku>())
                    && !store.is_in_transit()
                {
                    out.push(LowStock {
                        store,
                        sku,
                        on_hand: qty,
                    });
                }
            }
        }
        out
    });
    let who = hq.clone();
    let ids = state
        .writer
        .call(cells.len().max(1), move |ap| {
            let ids = logistics::actions::propose(ap, cells, target, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::ORDER_PROPOSE,
                "replenishment",
                serde_json::json!({"orders": ids, "threshold": threshold, "target": target}),
            )?;
            Ok(ids)
        })
        .await?;
    tracing::info!(user = %hq.username, orders = ids.len(), "orders proposed from low stock");
    let list = state
        .reads
        .read(move |c| {
            let mut out = Vec::new();
            for id in ids {
                out.extend(logistics::order(c, &id)?);
            }
            Ok(out)
        })
        .await?;
    Ok(axum::Json(list))
}

/// Approve an order (with changed quantities if given).
#[utoipa::path(
    post, path = "/api/v1/replenishment/orders/{id}/approve", tag = "replenishment",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = ApproveOrder, description = "Optional; empty body: as asked"),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Approved", body = OrderJson),
              (status = 400, description = "Invalid lines", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such order", body = ErrorBody),
              (status = 409, description = "Cancelled, or already picked or later", body = ErrorBody))
)]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<axum::Json<OrderJson>, ApiError> {
    hq.require_hq()?;
    let id = uuid_param(&id, "order")?;
    let req: ApproveOrder = optional_body(&body)?;
    let lines = req.lines.as_deref().map(order_lines).transpose()?;
    let who = hq.clone();
    state
        .writer
        .call(2, move |ap| {
            let detail = serde_json::json!({"lines": lines.as_ref().map(|l| l.len())});
            logistics::actions::approve(ap, &id, lines, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::ORDER_APPROVE,
                &id.to_string(),
                detail,
            )
        })
        .await?;
    tracing::info!(user = %hq.username, order = %id, "order approved");
    Ok(axum::Json(read_order(&state, id).await?))
}

/// Cancel an order before it is on a shipment.
#[utoipa::path(
    post, path = "/api/v1/replenishment/orders/{id}/cancel", tag = "replenishment",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = CancelOrder, description = "Optional"),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Cancelled", body = OrderJson),
              (status = 400, description = "Invalid note", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such order", body = ErrorBody),
              (status = 409, description = "On a shipment or dispatched", body = ErrorBody))
)]
pub async fn cancel_order(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<axum::Json<OrderJson>, ApiError> {
    hq.require_hq()?;
    let id = uuid_param(&id, "order")?;
    let req: CancelOrder = optional_body(&body)?;
    let n = note(req.note)?;
    let who = hq.clone();
    state
        .writer
        .call(1, move |ap| {
            let detail = serde_json::json!({"note": n});
            logistics::actions::cancel_order(ap, &id, n, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::ORDER_CANCEL,
                &id.to_string(),
                detail,
            )
        })
        .await?;
    tracing::info!(user = %hq.username, order = %id, "order cancelled");
    Ok(axum::Json(read_order(&state, id).await?))
}

// ---------------------------------------------------------------------------------------------
// Shipments
// ---------------------------------------------------------------------------------------------

/// Shipments, newest first (a store manager: those with a stop at their store, that stop only).
#[utoipa::path(
    get, path = "/api/v1/shipments", tag = "replenishment",
    params(ShipmentsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Shipments", body = [ShipmentJson]),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access, or another store", body = ErrorBody))
)]
pub async fn list_shipments(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<ShipmentsQuery>,
) -> Result<axum::Json<Vec<ShipmentJson>>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let only_that_stop = !hq.role.is_hq();
    let status = status_param(q.status)?;
    let limit = page_limit(q.limit, 200, 1000)?;
    let date = q
        .date
        .filter(|d| !d.is_empty())
        .map(|d| super::reports::parse_date(&d))
        .transpose()?;
    let live = state.logistics.clone();
    let list = state
        .reads
        .read(move |c| {
            let window_ms = match date {
                Some(day) => {
                    let offset = i64::from(crate::reports::report_offset_min(c)?) * 60_000;
                    let start = day * crate::reports::DAY_MS - offset;
                    Some((start, start + crate::reports::DAY_MS))
                }
                None => None,
            };
            let f = ShipmentFilter {
                status,
                window_ms,
                store,
                only_that_stop,
                driver: None,
                open_only: false,
                limit,
            };
            logistics::shipments(c, &f, &live)
        })
        .await?;
    Ok(axum::Json(list))
}

/// One shipment with its stops, ETAs and receivings.
#[utoipa::path(
    get, path = "/api/v1/shipments/{id}", tag = "replenishment",
    params(("id" = String, Path, description = "Shipment id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The shipment", body = ShipmentJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not for this store", body = ErrorBody),
              (status = 404, description = "No such shipment", body = ErrorBody))
)]
pub async fn get_shipment(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    Ok(axum::Json(read_shipment(&state, id, &hq).await?))
}

/// Run an HQ action on a shipment in one writer job with its audit entry, then read it.
async fn shipment_action(
    state: &Arc<AppState>,
    hq: &Hq,
    id: Uuid,
    action: &'static str,
    detail: serde_json::Value,
    weight: usize,
    f: impl FnOnce(&mut crate::writer::Apply<'_, '_>) -> Result<(), HubError> + Send + 'static,
) -> Result<ShipmentJson, ApiError> {
    hq.require_hq()?;
    let who = hq.clone();
    state
        .writer
        .call(weight, move |ap| {
            f(ap)?;
            audit::record(ap.conn, &who, action, &id.to_string(), detail)
        })
        .await?;
    tracing::info!(user = %hq.username, shipment = %id, action, "shipment action");
    read_shipment(state, id, hq).await
}

/// Plan a shipment of approved orders (status approved).
#[utoipa::path(
    post, path = "/api/v1/shipments", tag = "replenishment",
    request_body = CreateShipment,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Planned", body = ShipmentJson),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "Unknown order or warehouse", body = ErrorBody),
              (status = 409, description = "An order is not approved or already on a shipment; no warehouse", body = ErrorBody))
)]
pub async fn create_shipment(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<CreateShipment>,
) -> Result<(StatusCode, axum::Json<ShipmentJson>), ApiError> {
    hq.require_hq()?;
    let stops_order = req
        .stops_order
        .map(|s| {
            s.iter()
                .map(|c| store_param(c))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let from = req
        .from
        .filter(|f| !f.is_empty())
        .map(|f| {
            f.trim()
                .parse::<LocationId>()
                .map_err(|e| ApiError::invalid(e.to_string()))
        })
        .transpose()?;
    let n = NewShipment {
        orders: req.orders,
        stops_order,
        from,
    };
    let who = hq.clone();
    let id = state
        .writer
        .call(n.orders.len().max(1), move |ap| {
            let detail = serde_json::json!({"orders": n.orders});
            let id = logistics::actions::create_shipment(ap, n, &who.username)?;
            audit::record(
                ap.conn,
                &who,
                actions::SHIPMENT_CREATE,
                &id.to_string(),
                detail,
            )?;
            Ok(id)
        })
        .await?;
    tracing::info!(user = %hq.username, shipment = %id, "shipment planned");
    Ok((
        StatusCode::CREATED,
        axum::Json(read_shipment(&state, id, &hq).await?),
    ))
}

/// The warehouse picked the shipment: its orders and stops become `picked`.
#[utoipa::path(
    post, path = "/api/v1/shipments/{id}/pick", tag = "replenishment",
    params(("id" = String, Path, description = "Shipment id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Picked", body = ShipmentJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such shipment", body = ErrorBody),
              (status = 409, description = "Cancelled or dispatched", body = ErrorBody))
)]
pub async fn pick(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let by = hq.username.clone();
    let s = shipment_action(
        &state,
        &hq,
        id,
        actions::SHIPMENT_PICK,
        serde_json::json!({}),
        20,
        move |ap| logistics::actions::pick(ap, &id, &by),
    )
    .await?;
    Ok(axum::Json(s))
}

/// Dispatch with a driver and a vehicle: deliveries to the stores, stock warehouse → in
/// transit, orders and stops `dispatched`.
#[utoipa::path(
    post, path = "/api/v1/shipments/{id}/dispatch", tag = "replenishment",
    params(("id" = String, Path, description = "Shipment id")),
    request_body = DispatchShipment,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Dispatched", body = ShipmentJson),
              (status = 400, description = "Not an active driver, bad vehicle", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such shipment", body = ErrorBody),
              (status = 409, description = "Cancelled, already dispatched, or nothing left to carry", body = ErrorBody))
)]
pub async fn dispatch(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<DispatchShipment>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let by = hq.username.clone();
    let detail = serde_json::json!({"driver": req.driver, "vehicle": req.vehicle});
    let s = shipment_action(
        &state,
        &hq,
        id,
        actions::SHIPMENT_DISPATCH,
        detail,
        100,
        move |ap| logistics::actions::dispatch(ap, &id, req.driver.trim(), &req.vehicle, &by),
    )
    .await?;
    Ok(axum::Json(s))
}

/// Cancel a shipment before dispatch (its orders can be shipped again).
#[utoipa::path(
    post, path = "/api/v1/shipments/{id}/cancel", tag = "replenishment",
    params(("id" = String, Path, description = "Shipment id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Cancelled", body = ShipmentJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such shipment", body = ErrorBody),
              (status = 409, description = "Already dispatched", body = ErrorBody))
)]
pub async fn cancel_shipment(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let by = hq.username.clone();
    let s = shipment_action(
        &state,
        &hq,
        id,
        actions::SHIPMENT_CANCEL,
        serde_json::json!({}),
        10,
        move |ap| logistics::actions::cancel_shipment(ap, &id, &by),
    )
    .await?;
    Ok(axum::Json(s))
}

/// Mark a stop arrived by hand (head office, or the shipment's driver); once.
pub async fn mark_arrived(
    state: &Arc<AppState>,
    who: &Hq,
    id: Uuid,
    store: StoreId,
) -> Result<ShipmentJson, ApiError> {
    let shipment = read_shipment(state, id, who).await?;
    let allowed = who.role.is_hq()
        || (who.role == Role::Driver && shipment.driver.as_deref() == Some(who.username.as_str()));
    if !allowed {
        return Err(forbidden(format!(
            "only head office or the shipment's driver may mark a stop arrived (you are {})",
            who.role
        )));
    }
    let by = who.username.clone();
    let actor = who.clone();
    let at = now_ms() as i64;
    let s2 = store.clone();
    let first = state
        .writer
        .call(4, move |ap| {
            let first = logistics::actions::arrive(ap, &id, &s2, &by, at)?;
            if first && actor.role.is_hq() {
                audit::record(
                    ap.conn,
                    &actor,
                    actions::STOP_ARRIVE,
                    &id.to_string(),
                    serde_json::json!({"store": s2.to_string()}),
                )?;
            }
            Ok(first)
        })
        .await?;
    if first {
        tracing::info!(user = %who.username, shipment = %id, %store, "stop marked arrived");
        let name = shipment.driver_name.clone().unwrap_or_default();
        crate::gps::announce_arrival(state, id, store, at, &name);
    }
    read_shipment(state, id, who).await
}

/// Mark a stop arrived (head office or the shipment's driver).
#[utoipa::path(
    post, path = "/api/v1/shipments/{id}/stops/{store}/arrive", tag = "replenishment",
    params(("id" = String, Path, description = "Shipment id"),
           ("store" = String, Path, description = "The stop's store")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Arrived (or already was)", body = ShipmentJson),
              (status = 400, description = "Malformed id or store", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Neither head office nor its driver", body = ErrorBody),
              (status = 404, description = "No such shipment or stop", body = ErrorBody),
              (status = 409, description = "Not dispatched", body = ErrorBody))
)]
pub async fn arrive(
    State(state): State<Arc<AppState>>,
    AnyUser(who): AnyUser,
    ApiPath((id, store)): ApiPath<(String, String)>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let store = store_param(&store)?;
    if !(who.role.is_hq() || who.role == Role::Driver) {
        return Err(forbidden(format!(
            "a {} may not mark stops arrived",
            who.role
        )));
    }
    Ok(axum::Json(mark_arrived(&state, &who, id, store).await?))
}

// ---------------------------------------------------------------------------------------------
// Receivings and store locations
// ---------------------------------------------------------------------------------------------

/// What stores counted in, newest first, with discrepancies (a store manager: their store's).
#[utoipa::path(
    get, path = "/api/v1/receivings", tag = "replenishment",
    params(ReceivingsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Receivings", body = [ReceivingJson]),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "No console access, or another store", body = ErrorBody))
)]
pub async fn list_receivings(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<ReceivingsQuery>,
) -> Result<axum::Json<Vec<ReceivingJson>>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let only = q.discrepancies.unwrap_or(false);
    let limit = page_limit(q.limit, 500, 5000)?;
    let list = state
        .reads
        .read(move |c| logistics::receivings(c, store.as_deref(), only, limit))
        .await?;
    Ok(axum::Json(list))
}

/// A store's position and geofence radius.
#[utoipa::path(
    get, path = "/api/v1/stores/{id}/location", tag = "stores",
    params(("id" = String, Path, description = "Store code")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The location", body = StoreLocation),
              (status = 400, description = "Malformed code", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Another store", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody))
)]
pub async fn get_location(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<StoreLocation>, ApiError> {
    let code = store_param(&id)?.to_string();
    hq.require_store_access(&code)?;
    let c2 = code.clone();
    state
        .reads
        .read(move |c| logistics::store_location(c, &c2))
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found("unknown_store", format!("no store {code}")))
}

/// Set a store's position and/or geofence radius (head office).
#[utoipa::path(
    patch, path = "/api/v1/stores/{id}/location", tag = "stores",
    params(("id" = String, Path, description = "Store code")),
    request_body = PatchStoreLocation,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The location now", body = StoreLocation),
              (status = 400, description = "Out of range", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such store", body = ErrorBody))
)]
pub async fn patch_location(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PatchStoreLocation>,
) -> Result<axum::Json<StoreLocation>, ApiError> {
    hq.require_hq()?;
    let code = store_param(&id)?.to_string();
    if req.lat.is_some_and(|l| !(-90.0..=90.0).contains(&l))
        || req.lon.is_some_and(|l| !(-180.0..=180.0).contains(&l))
    {
        return Err(ApiError::invalid("lat must be -90..=90 and lon -180..=180"));
    }
    if req
        .geofence_m
        .is_some_and(|r| !(10.0..=5000.0).contains(&r))
    {
        return Err(ApiError::invalid("geofence_m must be 10..=5000 metres"));
    }
    let who = hq.clone();
    let c2 = code.clone();
    let loc = state
        .writer
        .call(1, move |ap| {
            let n = ap.conn.execute(
                "UPDATE stores SET lat = COALESCE(?2, lat), lon = COALESCE(?3, lon),
                                   geofence_m = COALESCE(?4, geofence_m) WHERE code = ?1",
                rusqlite::params![c2, req.lat, req.lon, req.geofence_m],
            )?;
            if n == 0 {
                return Err(HubError::rejected(
                    404,
                    "unknown_store",
                    format!("no store {c2}"),
                ));
            }
            let loc = logistics::store_location(ap.conn, &c2)?
                .ok_or_else(|| HubError::Internal("store vanished".into()))?;
            if loc.lat.is_some() != loc.lon.is_some() {
                return Err(HubError::rejected(
                    400,
                    "invalid_input",
                    "give both lat and lon",
                ));
            }
            audit::record(
                ap.conn,
                &who,
                actions::STORE_LOCATION,
                &c2,
                serde_json::json!({"lat": loc.lat, "lon": loc.lon, "geofence_m": loc.geofence_m}),
            )?;
            // The routes of drivers to this store now use the new position.
            for s in open_shipments_to(ap.conn, &c2)? {
                ap.logistics_touched().shipment(s);
            }
            Ok(loc)
        })
        .await?;
    tracing::info!(user = %hq.username, store = %code, "store location set");
    Ok(axum::Json(loc))
}

/// Dispatched shipments with a stop at `store` (their routes change with its position).
fn open_shipments_to(conn: &rusqlite::Connection, store: &str) -> Result<Vec<Uuid>, HubError> {
    let mut st = conn.prepare_cached(
        "SELECT s.id FROM shipment s JOIN shipment_stop ss ON ss.shipment = s.id
         WHERE ss.store = ?1 AND s.dispatched_ms IS NOT NULL AND s.cancelled_ms IS NULL",
    )?;
    let rows = st
        .query_map([store], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.iter().map(|b| logistics::read::uuid_of(b)).collect()
}
