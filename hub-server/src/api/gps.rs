//! Driver GPS over HTTP (issue 5): the driver page's API (`/driver/today`,
//! `/driver/shipments/{id}/start`, `/driver/positions`, `/driver/shipments/{id}/stops/{store}/arrive`),
//! the OsmAnd/Traccar endpoint (`/api/v1/gps/osmand`, also `/osmand`), tracker devices
//! (`/drivers/{username}/devices`), the live map's reads (`/drivers/live`,
//! `/shipments/{id}/track`, `/drivers/{username}/track`) and `/map/settings`.
//!
//! A driver account reaches only `/driver/*` (and the arrival of its own stops); head office
//! reads the live map, the tracks and manages devices; a tracker authenticates with its device
//! id and key. Position batches are answered only after their points are committed to
//! `tracks.db` ([`crate::gps::ingest`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sync_proto::gps::{
    GpsPoint, KNOT_MPS, MAX_BATCH_POINTS, PositionBatch, parse_device_timestamp,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{AnyUser, Hq, forbidden, session_of};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::logistics::{mark_arrived, read_shipment};
use super::params::{store_param, uuid_param};
use crate::accounts::Role;
use crate::audit::{self, actions};
use crate::gps::devices::{self, DeviceKey, TrackerDevice};
use crate::gps::{self, LiveDriverJson};
use crate::logistics::read::ShipmentFilter;
use crate::logistics::{self, ShipmentJson};
use crate::{AppState, HubError, now_ms};

/// Largest position batch body (10,000 points with every field fit well inside).
pub const MAX_POSITIONS_BODY: usize = 8 * 1024 * 1024;
/// Default and largest number of points of a track answer.
const TRACK_POINTS: (usize, usize) = (5_000, 50_000);
/// Where the map starts when no store has a position (Seoul City Hall).
const DEFAULT_CENTER: [f64; 2] = [37.5665, 126.978];

// ---------------------------------------------------------------------------------------------
// Schemas of the shared sync-proto types (OpenAPI only)
// ---------------------------------------------------------------------------------------------

/// One position of a driver's phone or tracker (`sync_proto::gps::GpsPoint`).
#[derive(Debug, ToSchema)]
#[schema(as = GpsPoint)]
pub struct GpsPointSchema {
    /// When the device measured it (ms since epoch).
    pub ts_ms: i64,
    /// Latitude (−90..=90).
    pub lat: f64,
    /// Longitude (−180..=180).
    pub lon: f64,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// Speed over ground, m/s.
    pub speed_mps: Option<f64>,
    /// Heading, degrees from north.
    pub heading_deg: Option<f64>,
    /// Altitude, metres.
    pub altitude_m: Option<f64>,
    /// Battery, percent.
    pub battery_pct: Option<f64>,
}

/// What the driver page posts (`sync_proto::gps::PositionBatch`).
#[derive(Debug, ToSchema)]
#[schema(as = PositionBatch)]
pub struct PositionBatchSchema {
    /// The shipment being driven, if started.
    pub shipment: Option<Uuid>,
    /// 1-10,000 points (any order; the hub sorts).
    pub points: Vec<GpsPointSchema>,
}

/// The answer to a batch (`sync_proto::gps::BatchOutcome`).
#[derive(Debug, ToSchema)]
#[schema(as = BatchOutcome)]
pub struct BatchOutcomeSchema {
    /// Points stored now.
    pub stored: u32,
    /// Points the hub already had.
    pub duplicates: u32,
    /// Points dropped by the filter, per reason (`invalid_coordinates`, `future_timestamp`,
    /// `too_old`, `inaccurate`, `impossible_jump`).
    pub rejected: HashMap<String, u32>,
    /// The newest point the hub holds for this driver (ms): the page may forget up to it.
    pub newest_ts_ms: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

/// The map the console and the driver page draw.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MapSettings {
    /// Tile URL template (`{z}/{x}/{y}`), or null for no tiles.
    pub tile_url: Option<String>,
    /// Attribution of the tiles.
    pub attribution: Option<String>,
    /// Where to start: `[lat, lon]` (the middle of the stores with a position).
    pub center: [f64; 2],
    /// Starting zoom.
    pub zoom: u8,
}

/// A track: points in time order.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct TrackJson {
    /// The shipment (for a shipment's track).
    pub shipment: Option<Uuid>,
    /// The driver.
    pub driver: String,
    /// The points, oldest first.
    #[schema(value_type = Vec<GpsPointSchema>)]
    pub points: Vec<GpsPoint>,
}

/// The driver page's start screen.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct DriverToday {
    /// Username.
    pub driver: String,
    /// Display name.
    pub driver_name: String,
    /// Shipments dispatched to the driver today or still open, newest first.
    pub shipments: Vec<ShipmentJson>,
}

/// A tracker device to register.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct RegisterDevice {
    /// The id the tracker app sends (1-64 letters, digits, `.`, `_`, `:`, `-`).
    pub device_id: String,
}

/// Query of a shipment's track.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentTrackQuery {
    /// Most points (default 5000, at most 50000; thinned evenly in time).
    pub max_points: Option<usize>,
}

/// Query of a driver's track.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriverTrackQuery {
    /// From (ms since epoch; default 24 h ago).
    pub from_ms: Option<i64>,
    /// To (ms since epoch; default now).
    pub to_ms: Option<i64>,
    /// Most points (default 5000, at most 50000).
    pub max_points: Option<usize>,
}

/// OsmAnd / Traccar parameters (query string or form body).
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OsmandQuery {
    /// Device id (registered under `/drivers/{username}/devices`); `deviceid` also works.
    pub id: Option<String>,
    /// Latitude.
    pub lat: Option<String>,
    /// Longitude.
    pub lon: Option<String>,
    /// Time: seconds or milliseconds since the epoch, or ISO 8601 (default: now).
    pub timestamp: Option<String>,
    /// Speed in knots.
    pub speed: Option<String>,
    /// Heading in degrees (`heading` also works).
    pub bearing: Option<String>,
    /// Altitude in metres.
    pub altitude: Option<String>,
    /// Accuracy in metres.
    pub accuracy: Option<String>,
    /// Battery percent.
    pub batt: Option<String>,
    /// The device key (or the HTTP Basic password).
    pub key: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Extractors and helpers
// ---------------------------------------------------------------------------------------------

/// A logged-in driver account (the driver page's API refuses everyone else with 403).
pub struct Driver(pub Hq);

impl FromRequestParts<Arc<AppState>> for Driver {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let who = session_of(state, &parts.headers).await?;
        if who.role != Role::Driver {
            return Err(forbidden(format!(
                "the driver API is for driver accounts (you are {})",
                who.role
            )));
        }
        Ok(Driver(who))
    }
}

fn max_points(v: Option<usize>) -> Result<usize, ApiError> {
    let n = v.unwrap_or(TRACK_POINTS.0);
    if !(2..=TRACK_POINTS.1).contains(&n) {
        return Err(ApiError::invalid(format!(
            "max_points must be 2..={}",
            TRACK_POINTS.1
        )));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Map and live drivers
// ---------------------------------------------------------------------------------------------

/// The map's tiles (none when the hub has no tile URL), start position and zoom.
#[utoipa::path(
    get, path = "/api/v1/map/settings", tag = "gps",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Map settings", body = MapSettings),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "A cashier", body = ErrorBody))
)]
pub async fn map_settings(
    State(state): State<Arc<AppState>>,
    AnyUser(who): AnyUser,
) -> Result<axum::Json<MapSettings>, ApiError> {
    if who.role == Role::Cashier {
        return Err(forbidden("a cashier has no map"));
    }
    let center = state
        .reads
        .read(|c| {
            Ok(c.query_row(
                "SELECT AVG(lat), AVG(lon) FROM stores WHERE lat IS NOT NULL AND lon IS NOT NULL",
                [],
                |r| Ok((r.get::<_, Option<f64>>(0)?, r.get::<_, Option<f64>>(1)?)),
            )?)
        })
        .await?;
    let center = match center {
        (Some(lat), Some(lon)) => [lat, lon],
        _ => DEFAULT_CENTER,
    };
    let s = &state.settings;
    Ok(axum::Json(MapSettings {
        tile_url: s.map_tile_url.clone().filter(|u| !u.trim().is_empty()),
        attribution: s.map_attribution.clone().filter(|a| !a.trim().is_empty()),
        center,
        zoom: 11,
    }))
}

/// Every active driver: last position, shipment, next stop and its ETA (head office).
#[utoipa::path(
    get, path = "/api/v1/drivers/live", tag = "gps",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Drivers", body = [LiveDriverJson]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody))
)]
pub async fn live_drivers(
    State(state): State<Arc<AppState>>,
    hq: Hq,
) -> Result<axum::Json<Vec<LiveDriverJson>>, ApiError> {
    hq.require_hq()?;
    Ok(axum::Json(gps::live_drivers(&state).await?))
}

/// A shipment's track so far (head office).
#[utoipa::path(
    get, path = "/api/v1/shipments/{id}/track", tag = "gps",
    params(("id" = String, Path, description = "Shipment id"), ShipmentTrackQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The track", body = TrackJson),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such shipment, or not dispatched", body = ErrorBody))
)]
pub async fn shipment_track(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ShipmentTrackQuery>,
) -> Result<axum::Json<TrackJson>, ApiError> {
    hq.require_hq()?;
    let id = uuid_param(&id, "shipment")?;
    let max = max_points(q.max_points)?;
    let head = state
        .reads
        .read(move |c| logistics::read::shipment_head(c, &id))
        .await?;
    let Some((driver, since)) =
        head.and_then(|h| h.driver.zip(h.dispatched_ms.or(Some(h.created_ms))))
    else {
        return Err(ApiError::not_found(
            "unknown_shipment",
            format!("no dispatched shipment {id}"),
        ));
    };
    let points = state
        .gps
        .tracks
        .track(
            &driver,
            Some(id),
            since.saturating_sub(gps::DAY_MS),
            i64::MAX,
            max,
        )
        .await?;
    Ok(axum::Json(TrackJson {
        shipment: Some(id),
        driver,
        points,
    }))
}

/// A driver's track in a time window (head office).
#[utoipa::path(
    get, path = "/api/v1/drivers/{username}/track", tag = "gps",
    params(("username" = String, Path, description = "Driver"), DriverTrackQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The track", body = TrackJson),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody))
)]
pub async fn driver_track(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(username): ApiPath<String>,
    ApiQuery(q): ApiQuery<DriverTrackQuery>,
) -> Result<axum::Json<TrackJson>, ApiError> {
    hq.require_hq()?;
    let now = now_ms() as i64;
    let to = q.to_ms.unwrap_or(now);
    let from = q.from_ms.unwrap_or(to - gps::DAY_MS);
    if from > to {
        return Err(ApiError::invalid("from_ms is after to_ms"));
    }
    let max = max_points(q.max_points)?;
    let points = state
        .gps
        .tracks
        .track(&username, None, from, to, max)
        .await?;
    Ok(axum::Json(TrackJson {
        shipment: None,
        driver: username,
        points,
    }))
}

// ---------------------------------------------------------------------------------------------
// Tracker devices
// ---------------------------------------------------------------------------------------------

/// A driver's tracker devices (keys are never shown again).
#[utoipa::path(
    get, path = "/api/v1/drivers/{username}/devices", tag = "gps",
    params(("username" = String, Path, description = "Driver")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Devices", body = [TrackerDevice]),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such driver", body = ErrorBody))
)]
pub async fn list_devices(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(username): ApiPath<String>,
) -> Result<axum::Json<Vec<TrackerDevice>>, ApiError> {
    hq.require_hq()?;
    let list = state
        .reads
        .read(move |c| {
            devices::require_driver(c, &username)?;
            devices::list(c, &username)
        })
        .await?;
    Ok(axum::Json(list))
}

/// Register a tracker device for a driver; the answer carries its key, shown this once.
#[utoipa::path(
    post, path = "/api/v1/drivers/{username}/devices", tag = "gps",
    params(("username" = String, Path, description = "Driver")),
    request_body = RegisterDevice,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Registered (again: a new key)", body = DeviceKey),
              (status = 400, description = "Bad device id, or not a driver", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such driver", body = ErrorBody))
)]
pub async fn register_device(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath(username): ApiPath<String>,
    ApiJson(req): ApiJson<RegisterDevice>,
) -> Result<(StatusCode, axum::Json<DeviceKey>), ApiError> {
    hq.require_hq()?;
    let who = hq.clone();
    let device_id = req.device_id.trim().to_owned();
    let key = state
        .writer
        .call(1, move |ap| {
            let key = devices::register(ap.conn, &username, &device_id)?;
            audit::record(
                ap.conn,
                &who,
                actions::DEVICE_REGISTER,
                &device_id,
                serde_json::json!({"driver": username}),
            )?;
            Ok(key)
        })
        .await?;
    state.gps.devices.forget(&key.device_id);
    tracing::info!(user = %hq.username, device = %key.device_id, "tracker device registered");
    Ok((StatusCode::CREATED, axum::Json(key)))
}

/// Delete a driver's tracker device.
#[utoipa::path(
    delete, path = "/api/v1/drivers/{username}/devices/{device_id}", tag = "gps",
    params(("username" = String, Path, description = "Driver"),
           ("device_id" = String, Path, description = "Device id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not head office", body = ErrorBody),
              (status = 404, description = "No such device of this driver", body = ErrorBody))
)]
pub async fn delete_device(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiPath((username, device_id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    hq.require_hq()?;
    let who = hq.clone();
    let d2 = device_id.clone();
    let gone = state
        .writer
        .call(1, move |ap| {
            let gone = devices::delete(ap.conn, &username, &d2)?;
            if gone {
                audit::record(
                    ap.conn,
                    &who,
                    actions::DEVICE_DELETE,
                    &d2,
                    serde_json::json!({"driver": username}),
                )?;
            }
            Ok(gone)
        })
        .await?;
    state.gps.devices.forget(&device_id);
    if !gone {
        return Err(ApiError::not_found(
            "unknown_device",
            format!("no device {device_id} of this driver"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// The driver page
// ---------------------------------------------------------------------------------------------

/// The driver's shipments: dispatched today (hub business day) or still open.
#[utoipa::path(
    get, path = "/api/v1/driver/today", tag = "driver",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Today's shipments", body = DriverToday),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not a driver account", body = ErrorBody))
)]
pub async fn driver_today(
    State(state): State<Arc<AppState>>,
    Driver(me): Driver,
) -> Result<axum::Json<DriverToday>, ApiError> {
    let live = state.logistics.clone();
    let username = me.username.clone();
    let (name, shipments) = state
        .reads
        .read(move |c| {
            let name: String = c
                .prepare_cached("SELECT display_name FROM users WHERE username = ?1")?
                .query_row([&username], |r| r.get(0))?;
            let offset = crate::reports::report_offset_min(c)?;
            let today = crate::reports::day_of(now_ms() as i64, offset);
            let f = ShipmentFilter {
                driver: Some(username.clone()),
                limit: 100,
                ..ShipmentFilter::default()
            };
            let list = logistics::shipments(c, &f, &live)?
                .into_iter()
                .filter(|s| {
                    !s.status.is_final()
                        || s.dispatched_ms
                            .is_some_and(|d| crate::reports::day_of(d, offset) == today)
                })
                .collect::<Vec<_>>();
            Ok((name, list))
        })
        .await?;
    Ok(axum::Json(DriverToday {
        driver_name: if name.trim().is_empty() {
            me.username.clone()
        } else {
            name
        },
        driver: me.username,
        shipments,
    }))
}

/// The driver starts a shipment (the first start's time is kept; again changes nothing).
#[utoipa::path(
    post, path = "/api/v1/driver/shipments/{id}/start", tag = "driver",
    params(("id" = String, Path, description = "Shipment id")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Started", body = ShipmentJson),
              (status = 400, description = "Malformed id", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not a driver account", body = ErrorBody),
              (status = 404, description = "No such shipment of this driver", body = ErrorBody),
              (status = 409, description = "Not dispatched", body = ErrorBody))
)]
pub async fn driver_start(
    State(state): State<Arc<AppState>>,
    Driver(me): Driver,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let driver = me.username.clone();
    state
        .writer
        .call(1, move |ap| logistics::actions::start(ap, &id, &driver))
        .await?;
    tracing::info!(driver = %me.username, shipment = %id, "shipment started");
    Ok(axum::Json(read_shipment(&state, id, &me).await?))
}

/// Positions from the driver page: stored durably before the answer, idempotent by the
/// point's time, late points accepted, at most 10,000 per batch.
#[utoipa::path(
    post, path = "/api/v1/driver/positions", tag = "driver",
    request_body = PositionBatchSchema,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Stored (after commit)", body = BatchOutcomeSchema),
              (status = 400, description = "Malformed batch, or no points", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not a driver account", body = ErrorBody),
              (status = 413, description = "More than 10,000 points", body = ErrorBody),
              (status = 503, description = "The hub could not store them; send again", body = ErrorBody))
)]
pub async fn driver_positions(
    State(state): State<Arc<AppState>>,
    Driver(me): Driver,
    ApiJson(batch): ApiJson<PositionBatch>,
) -> Result<axum::Json<sync_proto::gps::BatchOutcome>, ApiError> {
    if batch.points.len() > MAX_BATCH_POINTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_points",
            format!(
                "{} points in one batch (at most {MAX_BATCH_POINTS})",
                batch.points.len()
            ),
        ));
    }
    if batch.points.is_empty() {
        return Err(ApiError::invalid("a batch needs at least one point"));
    }
    let outcome = gps::ingest(&state, &me.username, batch)
        .await
        .map_err(unavailable)?;
    if !outcome.rejected.is_empty() {
        tracing::debug!(driver = %me.username, rejected = ?outcome.rejected, "GPS points dropped by the filter");
    }
    Ok(axum::Json(outcome))
}

/// A failure to store points: 503 (the page keeps them and sends again).
fn unavailable(e: HubError) -> ApiError {
    match e {
        HubError::Rejected { .. } | HubError::Id(_) => ApiError::from(e),
        other => {
            tracing::error!(error = %other, "GPS points could not be stored");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the hub could not store the points; send them again",
            )
        }
    }
}

/// The driver marks one of their stops arrived.
#[utoipa::path(
    post, path = "/api/v1/driver/shipments/{id}/stops/{store}/arrive", tag = "driver",
    params(("id" = String, Path, description = "Shipment id"),
           ("store" = String, Path, description = "The stop's store")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Arrived (or already was)", body = ShipmentJson),
              (status = 400, description = "Malformed id or store", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Not a driver account", body = ErrorBody),
              (status = 404, description = "No such shipment of this driver, or stop", body = ErrorBody),
              (status = 409, description = "Not dispatched", body = ErrorBody))
)]
pub async fn driver_arrive(
    State(state): State<Arc<AppState>>,
    Driver(me): Driver,
    ApiPath((id, store)): ApiPath<(String, String)>,
) -> Result<axum::Json<ShipmentJson>, ApiError> {
    let id = uuid_param(&id, "shipment")?;
    let store = store_param(&store)?;
    Ok(axum::Json(mark_arrived(&state, &me, id, store).await?))
}

// ---------------------------------------------------------------------------------------------
// OsmAnd / Traccar
// ---------------------------------------------------------------------------------------------

/// Query and form parameters, the body's winning on a clash.
fn osmand_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    if let Some(q) = query {
        out.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form && !body.is_empty() {
        out.extend(form_urlencoded::parse(body).into_owned());
    }
    out
}

/// The password of an HTTP Basic `Authorization` header.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.split_once(':').map(|(_, p)| p.to_owned())
}

fn number(p: &HashMap<String, String>, names: &[&str]) -> Result<Option<f64>, ApiError> {
    for name in names {
        if let Some(v) = p.get(*name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            return v
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{name}={v:?} is not a number")));
        }
    }
    Ok(None)
}

/// The point of an OsmAnd request (400 with a clear message when a parameter is bad).
fn osmand_point(p: &HashMap<String, String>) -> Result<GpsPoint, ApiError> {
    let lat = number(p, &["lat"])?.ok_or_else(|| ApiError::invalid("lat is missing"))?;
    let lon = number(p, &["lon"])?.ok_or_else(|| ApiError::invalid("lon is missing"))?;
    let ts_ms = match p
        .get("timestamp")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(t) => parse_device_timestamp(t).ok_or_else(|| {
            ApiError::invalid(format!(
                "timestamp={t:?} is neither seconds, milliseconds nor an ISO 8601 time"
            ))
        })?,
        None => now_ms() as i64,
    };
    Ok(GpsPoint {
        ts_ms,
        lat,
        lon,
        accuracy_m: number(p, &["accuracy"])?,
        speed_mps: number(p, &["speed"])?.map(|knots| knots * KNOT_MPS),
        heading_deg: number(p, &["bearing", "heading"])?,
        altitude_m: number(p, &["altitude"])?,
        battery_pct: number(p, &["batt", "battery"])?,
    })
}

async fn osmand(
    state: Arc<AppState>,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match osmand_inner(&state, query, &headers, &body).await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "OK").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn osmand_inner(
    state: &AppState,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let p = osmand_params(query.as_deref(), headers, body);
    let id = p
        .get("id")
        .or_else(|| p.get("deviceid"))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("id (the device id) is missing"))?;
    let key = p
        .get("key")
        .cloned()
        .filter(|k| !k.is_empty())
        .or_else(|| basic_password(headers))
        .ok_or_else(|| ApiError::unauthorized("the device key is missing (key= or HTTP Basic)"))?;
    let Some(driver) = state.gps.devices.verify(&state.reads, &id, &key).await? else {
        tracing::warn!(device = %id, "OsmAnd point with an unknown device or a wrong key refused");
        return Err(ApiError::unauthorized("unknown device or wrong key"));
    };
    let point = osmand_point(&p)?;
    let outcome = gps::ingest(
        state,
        &driver,
        PositionBatch {
            shipment: None,
            points: vec![point],
        },
    )
    .await
    .map_err(unavailable)?;
    if !outcome.rejected.is_empty() {
        tracing::debug!(device = %id, %driver, rejected = ?outcome.rejected, "OsmAnd point dropped by the filter");
    }
    Ok(())
}

/// OsmAnd / Traccar Client position (query string), answered `OK` after the point is stored.
#[utoipa::path(
    get, path = "/api/v1/gps/osmand", tag = "gps",
    params(OsmandQuery),
    responses((status = 200, description = "`OK` (stored, or dropped by the filter)", body = String, content_type = "text/plain"),
              (status = 400, description = "A missing or malformed parameter", body = ErrorBody),
              (status = 401, description = "Unknown device or wrong key", body = ErrorBody))
)]
pub async fn osmand_get(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    osmand(state, query, headers, Bytes::new()).await
}

/// OsmAnd / Traccar Client position (form body and/or query string).
#[utoipa::path(
    post, path = "/api/v1/gps/osmand", tag = "gps",
    params(OsmandQuery),
    request_body(content = OsmandQuery, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`OK` (stored, or dropped by the filter)", body = String, content_type = "text/plain"),
              (status = 400, description = "A missing or malformed parameter", body = ErrorBody),
              (status = 401, description = "Unknown device or wrong key", body = ErrorBody))
)]
pub async fn osmand_post(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    osmand(state, query, headers, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> HashMap<String, String> {
        osmand_params(Some(q), &HeaderMap::new(), b"")
    }

    #[test]
    fn osmand_points_convert_units_and_times() {
        let p = osmand_point(&params(
            "id=t1&lat=37.5&lon=127.01&timestamp=1700000000&speed=10&bearing=90&altitude=30&accuracy=8&batt=77",
        ))
        .expect("point");
        assert_eq!(p.ts_ms, 1_700_000_000_000);
        assert!((p.speed_mps.expect("speed") - 5.14444).abs() < 1e-4);
        assert_eq!(
            (p.heading_deg, p.altitude_m, p.accuracy_m, p.battery_pct),
            (Some(90.0), Some(30.0), Some(8.0), Some(77.0))
        );
        let iso = osmand_point(&params(
            "lat=37.5&lon=127&timestamp=2023-11-14T22%3A13%3A20Z",
        ))
        .expect("iso");
        assert_eq!(iso.ts_ms, 1_700_000_000_000);
        for bad in [
            "lon=127",
            "lat=x&lon=127",
            "lat=37&lon=127&timestamp=soon",
            "lat=37&lon=127&speed=fast",
        ] {
            assert!(osmand_point(&params(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_auth_gives_the_key() {
        let mut h = HeaderMap::new();
        let v = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("t1:s3cret")
        );
        h.insert(header::AUTHORIZATION, v.parse().expect("header"));
        assert_eq!(basic_password(&h).as_deref(), Some("s3cret"));
    }
}
