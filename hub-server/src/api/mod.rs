//! HTTP surface: the REST API under `/api/v1`, its OpenAPI document, the
//! sync WebSocket route, health checks and metrics.
//!
//! - [`error`]: the JSON error and extractors that produce it.
//! - [`auth`]: login, the HQ session extractor, the device extractor.
//! - [`stores`]: stores, enrolment codes, enrolment, tills.
//! - [`catalog`]: products and CSV import.
//! - [`stock`]: adjustments and stock queries.
//! - [`sales`]: the sales report.
//! - [`users`]: accounts and roles.
//! - [`fleet`]: the till fleet, remote commands, the audit log.
//! - [`events`]: the live event WebSocket.
//! - [`inventory`], [`reports`], [`members`], [`prices`]: the console's
//!   inventory, dashboards and sales reports, members and price rules.
//! - [`chat`]: HQ–store chat, tickets, announcements and attachments.
//! - [`drops`]: limited editions and first-come coupons (drops).
//! - [`logistics`]: replenishment orders, shipments, receivings, store locations.
//! - [`gps`]: the driver page's API, OsmAnd/Traccar positions, tracker devices, live drivers,
//!   tracks and the map settings.
//! - [`params`]: query parameters they share (page sizes, ids, periods).

pub mod auth;
pub mod catalog;
pub mod chat;
pub mod drops;
pub mod error;
pub mod events;
pub mod fleet;
pub mod gps;
pub mod inventory;
pub mod logistics;
pub mod members;
pub mod params;
pub mod prices;
pub mod reports;
pub mod sales;
pub mod stock;
pub mod stores;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;
use error::ApiError;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Session token from POST /api/v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Device credential from POST /api/v1/enrol"))
                    .build(),
            ),
        );
    }
}

/// Answers every JSON-body endpoint can give before its handler runs: a body
/// over the size limit (413) and one that is not `application/json` (415).
/// Added here so no handler's annotation can forget them.
struct BodyRejections;

impl Modify for BodyRejections {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let error = || {
            Content::new(Some(RefOr::<utoipa::openapi::schema::Schema>::Ref(
                Ref::from_schema_name("ErrorBody"),
            )))
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let Some(body) = &op.request_body else {
                    continue;
                };
                let answers = &mut op.responses.responses;
                answers.entry("413".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("Body too large")
                        .content("application/json", error())
                        .build()
                        .into()
                });
                if body.content.contains_key("application/json") {
                    answers.entry("415".into()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description("Body is not `application/json`")
                            .content("application/json", error())
                            .build()
                            .into()
                    });
                }
            }
        }
    }
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Storelink hub API", description = "HQ REST API of the Storelink hub. Tills sync over the WebSocket /sync/v1 (binary sync-proto frames)."),
    paths(
        auth::login,
        auth::logout,
        auth::me,
        users::list,
        users::create,
        users::update,
        fleet::list_tills,
        fleet::create_command,
        fleet::list_commands,
        fleet::list_audit,
        events::events_ws,
        stores::create_store,
        stores::list_stores,
        stores::create_enrolment_code,
        stores::enrol,
        stores::known_records,
        stores::revoke_till,
        catalog::create_product,
        catalog::import_products,
        catalog::list_products,
        stock::create_adjustment,
        stock::get_stock,
        stock::till_stock,
        sales::list_sales,
        // H2: catalog, inventory, reports, members, price rules
        catalog::patch_product,
        catalog::list_styles,
        catalog::list_categories,
        catalog::export_products,
        prices::create_price_rules,
        prices::list_price_rules,
        prices::cancel_price_rule,
        inventory::summary,
        inventory::matrix,
        inventory::alerts,
        inventory::create_stocktake,
        inventory::movements,
        reports::dashboard,
        reports::sell_through,
        reports::export_sales,
        members::list_members,
        members::create_member,
        members::member_analytics,
        // Issue 6: chat and notices
        chat::list_channels,
        chat::list_messages,
        chat::post_message,
        chat::mark_read,
        chat::search,
        chat::create_announcement,
        chat::list_announcements,
        chat::get_announcement,
        chat::remind,
        chat::list_tickets,
        chat::set_ticket_status,
        chat::upload_attachment,
        chat::get_attachment,
        // Issue 7: limited editions and coupons
        drops::create_drop,
        drops::list_drops,
        drops::get_drop,
        drops::pull_back,
        drops::end_drop,
        // Issue 5: replenishment, deliveries, driver GPS
        logistics::list_orders,
        logistics::get_order,
        logistics::place_order,
        logistics::propose,
        logistics::approve,
        logistics::cancel_order,
        logistics::list_shipments,
        logistics::get_shipment,
        logistics::create_shipment,
        logistics::pick,
        logistics::dispatch,
        logistics::cancel_shipment,
        logistics::arrive,
        logistics::list_receivings,
        logistics::get_location,
        logistics::patch_location,
        gps::map_settings,
        gps::live_drivers,
        gps::shipment_track,
        gps::driver_track,
        gps::list_devices,
        gps::register_device,
        gps::delete_device,
        gps::driver_today,
        gps::driver_start,
        gps::driver_positions,
        gps::driver_arrive,
        gps::osmand_get,
        gps::osmand_post,
        healthz,
        readyz,
        metrics,
    ),
    modifiers(&SecuritySchemes, &BodyRejections),
    tags(
        (name = "auth", description = "HQ sessions"),
        (name = "users", description = "Accounts and roles"),
        (name = "audit", description = "The audit log"),
        (name = "events", description = "Live events (WebSocket)"),
        (name = "stores", description = "Stores, warehouses and enrolment codes"),
        (name = "sync", description = "Till enrolment and sync helpers"),
        (name = "tills", description = "The till fleet"),
        (name = "catalog", description = "Products"),
        (name = "stock", description = "Stock"),
        (name = "sales", description = "Sales"),
        (name = "members", description = "Members and member analytics"),
        (name = "chat", description = "HQ–store chat, tickets, announcements and attachments"),
        (name = "drops", description = "Limited editions and first-come coupons"),
        (name = "replenishment", description = "Replenishment orders, shipments and receivings"),
        (name = "gps", description = "Live drivers, tracks, tracker devices, OsmAnd positions, the map"),
        (name = "driver", description = "The driver page (driver accounts only)"),
        (name = "ops", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("OpenAPI rendering failed: {e}"),
        )
        .into_response(),
    }
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "The process is up", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database opens and the writer runs.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "Ready", body = String),
              (status = 503, description = "Not ready", body = error::ErrorBody)))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if !state.writer.is_alive() {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the writer is not running",
        )
        .into_response();
    }
    match state
        .reads
        .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await
    {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the database is not readable: {e}"),
        )
        .into_response(),
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Metrics", body = String,
               content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

/// The whole HTTP application.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", axum::routing::patch(users::update))
        .route(
            "/tills/{actor}/commands",
            post(fleet::create_command).get(fleet::list_commands),
        )
        .route("/audit", get(fleet::list_audit))
        .route("/events", get(events::events_ws))
        .route(
            "/stores",
            post(stores::create_store).get(stores::list_stores),
        )
        .route(
            "/stores/{code}/enrolment-codes",
            post(stores::create_enrolment_code),
        )
        .route("/enrol", post(stores::enrol))
        .route("/sync/known-records", post(stores::known_records))
        .route("/tills", get(fleet::list_tills))
        .route("/tills/{actor}/revoke", post(stores::revoke_till))
        .route(
            "/products",
            post(catalog::create_product).get(catalog::list_products),
        )
        .route(
            "/products/import",
            post(catalog::import_products).layer(DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route("/stock/adjustments", post(stock::create_adjustment))
        .route("/stock", get(stock::get_stock))
        .route("/till/stock/{sku}", get(stock::till_stock))
        .route("/sales", get(sales::list_sales))
        // H2: catalog, inventory, reports, members, price rules
        .route(
            "/products/{sku}",
            axum::routing::patch(catalog::patch_product),
        )
        .route("/products/styles", get(catalog::list_styles))
        .route("/products/export.csv", get(catalog::export_products))
        .route("/categories", get(catalog::list_categories))
        .route(
            "/price-rules",
            post(prices::create_price_rules).get(prices::list_price_rules),
        )
        .route("/price-rules/{id}/cancel", post(prices::cancel_price_rule))
        .route("/inventory/summary", get(inventory::summary))
        .route("/inventory/matrix", get(inventory::matrix))
        .route("/inventory/alerts", get(inventory::alerts))
        .route("/stocktakes", post(inventory::create_stocktake))
        .route("/stock/movements", get(inventory::movements))
        .route("/dashboard", get(reports::dashboard))
        .route("/reports/sell-through", get(reports::sell_through))
        .route("/sales/export.csv", get(reports::export_sales))
        .route(
            "/members",
            get(members::list_members).post(members::create_member),
        )
        .route("/members/analytics", get(members::member_analytics))
        // Issue 6: chat and notices
        .route("/chat/channels", get(chat::list_channels))
        .route(
            "/chat/channels/{channel}/messages",
            get(chat::list_messages).post(chat::post_message),
        )
        .route("/chat/channels/{channel}/read", post(chat::mark_read))
        .route("/chat/search", get(chat::search))
        .route(
            "/chat/announcements",
            post(chat::create_announcement).get(chat::list_announcements),
        )
        .route("/chat/announcements/{id}", get(chat::get_announcement))
        .route("/chat/announcements/{id}/remind", post(chat::remind))
        .route("/chat/tickets", get(chat::list_tickets))
        .route("/chat/tickets/{id}/status", post(chat::set_ticket_status))
        .route(
            "/chat/attachments",
            post(chat::upload_attachment).layer(DefaultBodyLimit::max(
                sync_proto::chat::MAX_ATTACHMENT_BYTES as usize,
            )),
        )
        .route("/chat/attachments/{sha256}", get(chat::get_attachment))
        // Issue 7: limited editions and coupons
        .route("/drops", post(drops::create_drop).get(drops::list_drops))
        .route("/drops/{key}", get(drops::get_drop))
        .route("/drops/{key}/pull-back", post(drops::pull_back))
        .route("/drops/{key}/end", post(drops::end_drop))
        // Issue 5: replenishment, deliveries, driver GPS
        .route(
            "/replenishment/orders",
            get(logistics::list_orders).post(logistics::place_order),
        )
        .route("/replenishment/orders/{id}", get(logistics::get_order))
        .route(
            "/replenishment/orders/{id}/approve",
            post(logistics::approve),
        )
        .route(
            "/replenishment/orders/{id}/cancel",
            post(logistics::cancel_order),
        )
        .route("/replenishment/proposals", post(logistics::propose))
        .route(
            "/shipments",
            get(logistics::list_shipments).post(logistics::create_shipment),
        )
        .route("/shipments/{id}", get(logistics::get_shipment))
        .route("/shipments/{id}/pick", post(logistics::pick))
        .route("/shipments/{id}/dispatch", post(logistics::dispatch))
        .route("/shipments/{id}/cancel", post(logistics::cancel_shipment))
        .route(
            "/shipments/{id}/stops/{store}/arrive",
            post(logistics::arrive),
        )
        .route("/shipments/{id}/track", get(gps::shipment_track))
        .route("/receivings", get(logistics::list_receivings))
        .route(
            "/stores/{id}/location",
            get(logistics::get_location).patch(logistics::patch_location),
        )
        .route("/map/settings", get(gps::map_settings))
        .route("/drivers/live", get(gps::live_drivers))
        .route("/drivers/{username}/track", get(gps::driver_track))
        .route(
            "/drivers/{username}/devices",
            get(gps::list_devices).post(gps::register_device),
        )
        .route(
            "/drivers/{username}/devices/{device_id}",
            axum::routing::delete(gps::delete_device),
        )
        .route("/driver/today", get(gps::driver_today))
        .route("/driver/shipments/{id}/start", post(gps::driver_start))
        .route(
            "/driver/positions",
            post(gps::driver_positions).layer(DefaultBodyLimit::max(gps::MAX_POSITIONS_BODY)),
        )
        .route(
            "/driver/shipments/{id}/stops/{store}/arrive",
            post(gps::driver_arrive),
        )
        .route("/gps/osmand", get(gps::osmand_get).post(gps::osmand_post))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(auth::refuse_cross_origin_writes));
    Router::new()
        .nest("/api/v1", api)
        .route(
            sync_proto::wire::SYNC_PATH,
            get(crate::sync_ws::sync_handler),
        )
        .route("/osmand", get(gps::osmand_get).post(gps::osmand_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(crate::console::serve)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
