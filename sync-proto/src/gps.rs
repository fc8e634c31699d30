//! Driver positions: the point, the batch the driver page sends, and the pure arithmetic the hub
//! runs on them — filtering, distance, geofence, ETA and downsampling (issue 5, DESIGN §5).
//!
//! Positions are not ops: they are many, only the hub keeps them, and a point is identified by
//! `(driver, ts_ms)` — the phone's own timestamp — so a batch resent after a lost answer stores
//! nothing twice. They reach the hub over HTTP (the driver page's JSON batches, or the
//! OsmAnd/Traccar protocol from a tracker app).
//!
//! [`PositionFilter`] decides, point by point, what goes into a driver's track: invalid
//! coordinates, duplicates, points from the future, points worse than the accuracy limit and
//! impossible jumps are dropped; late, out-of-order points are accepted (checked against their
//! neighbours in time, not against the newest point). [`EtaEstimator`] smooths the recent speed
//! and turns the remaining distance to the next stop into minutes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Mean Earth radius used for distances, in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// One knot in metres per second (OsmAnd/Traccar send speed in knots).
pub const KNOT_MPS: f64 = 0.514_444;
/// Most points accepted in one batch (an hour offline at 1 Hz is 3,600).
pub const MAX_BATCH_POINTS: usize = 10_000;
/// How many recent points [`PositionFilter::default`] remembers per driver.
pub const DEFAULT_FILTER_WINDOW: usize = 64;

/// One position of a driver's phone or tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GpsPoint {
    /// When the device measured it (ms since epoch, the device's clock).
    #[ts(type = "number")]
    pub ts_ms: i64,
    /// Latitude in degrees (−90 ..= 90).
    pub lat: f64,
    /// Longitude in degrees (−180 ..= 180).
    pub lon: f64,
    /// Horizontal accuracy in metres (radius, 68 %), if known.
    pub accuracy_m: Option<f64>,
    /// Speed over ground in m/s, if known.
    pub speed_mps: Option<f64>,
    /// Heading in degrees clockwise from north, if known.
    pub heading_deg: Option<f64>,
    /// Altitude in metres, if known.
    pub altitude_m: Option<f64>,
    /// Battery level in percent, if known.
    pub battery_pct: Option<f64>,
}

/// What the driver page posts: points in the order they were measured (oldest first is not
/// required; the hub sorts), for the shipment the driver is on, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PositionBatch {
    /// The shipment being driven, if the driver has started one.
    #[ts(type = "string | null")]
    pub shipment: Option<Uuid>,
    /// The points (1 ..= [`MAX_BATCH_POINTS`]).
    pub points: Vec<GpsPoint>,
}

/// What the hub answers to a batch: how many points it stored, and how many it dropped and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct BatchOutcome {
    /// Points stored now.
    pub stored: u32,
    /// Points the hub already had (a resend).
    pub duplicates: u32,
    /// Points dropped by the filter, per [`Rejection::as_str`].
    pub rejected: BTreeMap<String, u32>,
    /// The newest device timestamp the hub now holds for this driver (ms), so the page can
    /// forget everything up to it.
    #[ts(type = "number | null")]
    pub newest_ts_ms: Option<i64>,
}

/// Why a point was not put in the track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Latitude/longitude missing, not finite, out of range, or exactly 0/0 ("null island").
    InvalidCoordinates,
    /// Timestamp more than the allowed skew ahead of the hub's clock.
    FutureTimestamp,
    /// Timestamp before the retention window (or before 2000).
    TooOld,
    /// Accuracy worse than the limit.
    Inaccurate,
    /// Reaching it from a neighbouring point would need an impossible speed.
    ImpossibleJump,
    /// A point with this timestamp is already in the track.
    Duplicate,
}

impl Rejection {
    /// The reason as counted and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::InvalidCoordinates => "invalid_coordinates",
            Rejection::FutureTimestamp => "future_timestamp",
            Rejection::TooOld => "too_old",
            Rejection::Inaccurate => "inaccurate",
            Rejection::ImpossibleJump => "impossible_jump",
            Rejection::Duplicate => "duplicate",
        }
    }
}

/// Limits of the position filter (hub settings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FilterConfig {
    /// Points with a worse (larger) accuracy are dropped, in metres.
    pub max_accuracy_m: f64,
    /// Fastest believable ground speed between two points, in m/s (default 70 ≈ 250 km/h).
    pub max_speed_mps: f64,
    /// How far ahead of the hub's clock a device may be, in ms.
    pub max_future_ms: i64,
    /// Below this distance a jump is never "impossible" (GPS noise at standstill), in metres.
    pub jump_slack_m: f64,
}

impl Default for FilterConfig {
    fn default() -> Self {
        Self {
            max_accuracy_m: 100.0,
            max_speed_mps: 70.0,
            max_future_ms: 5 * 60 * 1000,
            jump_slack_m: 200.0,
        }
    }
}

/// Great-circle distance between two points in metres (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// True when the point lies within `radius_m` of the stop; a point whose accuracy circle is
/// larger than the fence itself does not count (it could be anywhere).
pub fn inside_geofence(p: &GpsPoint, stop_lat: f64, stop_lon: f64, radius_m: f64) -> bool {
    if p.accuracy_m.is_some_and(|a| !a.is_finite() || a > radius_m) {
        return false;
    }
    distance_m(p.lat, p.lon, stop_lat, stop_lon) <= radius_m
}

/// Check the point on its own: coordinates, timestamp and accuracy.
pub fn check_point(
    p: &GpsPoint,
    now_ms: i64,
    oldest_ms: i64,
    cfg: &FilterConfig,
) -> Result<(), Rejection> {
    let coords_ok = p.lat.is_finite()
        && p.lon.is_finite()
        && (-90.0..=90.0).contains(&p.lat)
        && (-180.0..=180.0).contains(&p.lon)
        && !(p.lat == 0.0 && p.lon == 0.0);
    if !coords_ok {
        return Err(Rejection::InvalidCoordinates);
    }
    if p.ts_ms > now_ms.saturating_add(cfg.max_future_ms) {
        return Err(Rejection::FutureTimestamp);
    }
    if p.ts_ms < oldest_ms.max(946_684_800_000) {
        return Err(Rejection::TooOld);
    }
    match p.accuracy_m {
        Some(a) if !a.is_finite() || a < 0.0 || a > cfg.max_accuracy_m => {
            Err(Rejection::Inaccurate)
        }
        _ => Ok(()),
    }
}

/// True when going from `a` to `b` needs more than the believable speed.
pub fn impossible_jump(a: &GpsPoint, b: &GpsPoint, cfg: &FilterConfig) -> bool {
    let d = distance_m(a.lat, a.lon, b.lat, b.lon);
    if d <= cfg.jump_slack_m {
        return false;
    }
    let dt_s = (b.ts_ms - a.ts_ms).unsigned_abs() as f64 / 1000.0;
    d - cfg.jump_slack_m > cfg.max_speed_mps * dt_s
}

/// One driver's accepted points near "now", for the filter's neighbour checks: a window of the
/// most recent points by timestamp (late points are checked against their neighbours in time),
/// and the timestamps it refused as impossible jumps, so that a resent point gets the same
/// answer as the first time.
#[derive(Debug, Clone)]
pub struct PositionFilter {
    recent: BTreeMap<i64, GpsPoint>,
    /// Refused jumps: timestamp and the bits of latitude and longitude.
    jumps: BTreeSet<(i64, u64, u64)>,
    window: usize,
}

impl Default for PositionFilter {
    /// A filter remembering [`DEFAULT_FILTER_WINDOW`] points.
    fn default() -> Self {
        Self::new(DEFAULT_FILTER_WINDOW)
    }
}

impl PositionFilter {
    /// A filter remembering the `window` most recent accepted points (at least 2), and as
    /// many refused jumps.
    pub fn new(window: usize) -> Self {
        Self {
            recent: BTreeMap::new(),
            jumps: BTreeSet::new(),
            window: window.max(2),
        }
    }

    /// Decide one point; an accepted point is remembered. A point refused as an impossible
    /// jump stays refused when the same point is offered again (a resent batch is answered
    /// the same), even if a late point has since arrived next to it; another position with
    /// that timestamp is judged on its own. Only points within the window are
    /// known: a point older than every remembered one is checked against the oldest
    /// remembered neighbour, and whether it is stored already is the caller's question (the
    /// track's primary key `(driver, ts_ms)`).
    pub fn offer(
        &mut self,
        p: &GpsPoint,
        now_ms: i64,
        oldest_ms: i64,
        cfg: &FilterConfig,
    ) -> Result<(), Rejection> {
        check_point(p, now_ms, oldest_ms, cfg)?;
        if self.recent.contains_key(&p.ts_ms) {
            return Err(Rejection::Duplicate);
        }
        let key = (p.ts_ms, p.lat.to_bits(), p.lon.to_bits());
        if self.jumps.contains(&key) {
            return Err(Rejection::ImpossibleJump);
        }
        let before = self.recent.range(..p.ts_ms).next_back().map(|(_, q)| q);
        let after = self.recent.range(p.ts_ms + 1..).next().map(|(_, q)| q);
        if before.is_some_and(|b| impossible_jump(b, p, cfg))
            || after.is_some_and(|a| impossible_jump(p, a, cfg))
        {
            self.jumps.insert(key);
            while self.jumps.len() > self.window {
                self.jumps.pop_first();
            }
            return Err(Rejection::ImpossibleJump);
        }
        self.recent.insert(p.ts_ms, *p);
        while self.recent.len() > self.window {
            self.recent.pop_first();
        }
        Ok(())
    }

    /// The newest accepted point, if any.
    pub fn newest(&self) -> Option<&GpsPoint> {
        self.recent.values().next_back()
    }
}

/// Smoothed recent speed and the ETA it gives: an exponentially weighted moving average of
/// the speed between successive points (or the device's own speed when it reports one), with a
/// floor so that a truck waiting at a light does not make the ETA infinite, and a ceiling on
/// each sample so that one absurd speed reading does not make it zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EtaEstimator {
    /// The smoothed speed in m/s, once known.
    pub speed_mps: Option<f64>,
    /// Weight of a new sample (0 < alpha ≤ 1).
    pub alpha: f64,
    /// Slowest speed used for an ETA, in m/s (default 2.5 ≈ 9 km/h, city traffic).
    pub floor_mps: f64,
    /// Fastest speed sample believed, in m/s (default 70, the filter's believable speed);
    /// faster samples count as this.
    pub ceiling_mps: f64,
    last: Option<GpsPoint>,
}

impl Default for EtaEstimator {
    fn default() -> Self {
        Self {
            speed_mps: None,
            alpha: 0.2,
            floor_mps: 2.5,
            ceiling_mps: FilterConfig::default().max_speed_mps,
            last: None,
        }
    }
}

impl EtaEstimator {
    /// Take the next point (in time order; older points than the last are ignored).
    pub fn observe(&mut self, p: &GpsPoint) {
        let sample = match (&self.last, p.speed_mps) {
            (_, Some(s)) if s.is_finite() && s >= 0.0 => Some(s),
            (Some(prev), _) if p.ts_ms > prev.ts_ms => {
                let dt = (p.ts_ms - prev.ts_ms) as f64 / 1000.0;
                Some(distance_m(prev.lat, prev.lon, p.lat, p.lon) / dt)
            }
            _ => None,
        };
        if self.last.is_some_and(|prev| p.ts_ms <= prev.ts_ms) {
            return;
        }
        self.last = Some(*p);
        if let Some(s) = sample.map(|s| s.min(self.ceiling_mps)) {
            self.speed_mps = Some(match self.speed_mps {
                Some(old) => old + self.alpha * (s - old),
                None => s,
            });
        }
    }

    /// Seconds to cover `remaining_m` at the smoothed speed (never slower than the floor);
    /// `None` before any speed is known.
    pub fn eta_s(&self, remaining_m: f64) -> Option<f64> {
        let v = self.speed_mps?.max(self.floor_mps);
        Some(remaining_m.max(0.0) / v)
    }
}

/// Keep at most one point per `bucket_ms` of time (the first of each bucket), for old tracks
/// past the retention's full-detail period. Points must be sorted by time.
pub fn downsample(points: &[GpsPoint], bucket_ms: i64) -> Vec<GpsPoint> {
    let bucket_ms = bucket_ms.max(1);
    let mut out: Vec<GpsPoint> = Vec::new();
    for p in points {
        let bucket = p.ts_ms.div_euclid(bucket_ms);
        if out
            .last()
            .is_none_or(|q| q.ts_ms.div_euclid(bucket_ms) != bucket)
        {
            out.push(*p);
        }
    }
    out
}

/// Parse an OsmAnd/Traccar `timestamp`: seconds or milliseconds since the epoch (told apart by
/// size), or an ISO 8601 / RFC 3339 date-time. `None` when it is none of these.
pub fn parse_device_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        // 10^11 s is the year 5138; anything larger is milliseconds.
        return Some(if n.abs() < 100_000_000_000 {
            n * 1000
        } else {
            n
        });
    }
    if let Ok(f) = s.parse::<f64>() {
        if f.is_finite() {
            let ms = if f.abs() < 1e11 { f * 1000.0 } else { f };
            return Some(ms.round() as i64);
        }
        return None;
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Iso8601::DEFAULT)
        })
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(ts_ms: i64, lat: f64, lon: f64) -> GpsPoint {
        GpsPoint {
            ts_ms,
            lat,
            lon,
            accuracy_m: Some(10.0),
            speed_mps: None,
            heading_deg: None,
            altitude_m: None,
            battery_pct: None,
        }
    }

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn distance_of_a_known_pair() {
        // Seoul City Hall → Gangnam station is about 8.9 km.
        let d = distance_m(37.5663, 126.9779, 37.4979, 127.0276);
        assert!((8_500.0..9_300.0).contains(&d), "{d}");
        assert_eq!(distance_m(37.5, 127.0, 37.5, 127.0), 0.0);
    }

    #[test]
    fn filter_drops_bad_points_and_keeps_late_ones() {
        let cfg = FilterConfig::default();
        let mut f = PositionFilter::new(16);
        let old = NOW - 86_400_000;
        assert_eq!(
            f.offer(&pt(NOW, 91.0, 127.0), NOW, old, &cfg),
            Err(Rejection::InvalidCoordinates)
        );
        assert_eq!(
            f.offer(&pt(NOW, 0.0, 0.0), NOW, old, &cfg),
            Err(Rejection::InvalidCoordinates)
        );
        assert_eq!(
            f.offer(&pt(NOW, f64::NAN, 127.0), NOW, old, &cfg),
            Err(Rejection::InvalidCoordinates)
        );
        assert_eq!(
            f.offer(&pt(NOW + 600_000, 37.5, 127.0), NOW, old, &cfg),
            Err(Rejection::FutureTimestamp)
        );
        let mut vague = pt(NOW, 37.5, 127.0);
        vague.accuracy_m = Some(500.0);
        assert_eq!(f.offer(&vague, NOW, old, &cfg), Err(Rejection::Inaccurate));

        assert_eq!(
            f.offer(&pt(NOW - 10_000, 37.5, 127.0), NOW, old, &cfg),
            Ok(())
        );
        assert_eq!(
            f.offer(&pt(NOW - 10_000, 37.5, 127.0), NOW, old, &cfg),
            Err(Rejection::Duplicate)
        );
        // 10 s later, 11 km away: 1,100 m/s.
        assert_eq!(
            f.offer(&pt(NOW, 37.6, 127.0), NOW, old, &cfg),
            Err(Rejection::ImpossibleJump)
        );
        assert_eq!(f.offer(&pt(NOW, 37.5003, 127.0), NOW, old, &cfg), Ok(()));
        // A late point between the two, plausible with both neighbours: accepted.
        assert_eq!(
            f.offer(&pt(NOW - 5_000, 37.5001, 127.0), NOW, old, &cfg),
            Ok(())
        );
        // A late point between them that is far from both: dropped.
        assert_eq!(
            f.offer(&pt(NOW - 4_000, 37.55, 127.0), NOW, old, &cfg),
            Err(Rejection::ImpossibleJump)
        );
        assert_eq!(f.newest().map(|p| p.ts_ms), Some(NOW));
    }

    #[test]
    fn geofence_needs_distance_and_accuracy() {
        let store = (37.4979, 127.0276);
        let near = pt(NOW, 37.4985, 127.0276); // ~67 m north
        assert!(inside_geofence(&near, store.0, store.1, 150.0));
        assert!(!inside_geofence(&near, store.0, store.1, 50.0));
        let mut vague = near;
        vague.accuracy_m = Some(300.0);
        assert!(!inside_geofence(&vague, store.0, store.1, 150.0));
    }

    #[test]
    fn eta_uses_smoothed_speed_with_a_floor() {
        let mut e = EtaEstimator::default();
        assert_eq!(e.eta_s(1000.0), None);
        // 10 m/s north, one point a second.
        for i in 0..30 {
            e.observe(&pt(
                NOW + i * 1000,
                37.5 + (i as f64) * 10.0 / 111_195.0,
                127.0,
            ));
        }
        let v = e.speed_mps.expect("test value");
        assert!((9.5..10.5).contains(&v), "{v}");
        let eta = e.eta_s(6_000.0).expect("test value");
        assert!((570.0..632.0).contains(&eta), "{eta}");
        // Standing still for a while pulls the speed down, but the floor bounds the ETA.
        for i in 30..200 {
            e.observe(&pt(NOW + i * 1000, 37.5 + 29.0 * 10.0 / 111_195.0, 127.0));
        }
        assert_eq!(e.eta_s(2_500.0), Some(1000.0));
        // An older point does not move it.
        let before = e;
        e.observe(&pt(NOW, 37.0, 127.0));
        assert_eq!(e, before);
    }

    #[test]
    fn downsample_keeps_one_point_per_bucket() {
        let pts: Vec<_> = (0..120).map(|i| pt(NOW + i * 1000, 37.5, 127.0)).collect();
        let d = downsample(&pts, 30_000);
        assert!((4..=5).contains(&d.len()), "{}", d.len());
        assert!(d.windows(2).all(|w| w[1].ts_ms - w[0].ts_ms >= 1000));
        assert_eq!(d[0].ts_ms, NOW);
    }

    #[test]
    fn device_timestamps_in_seconds_millis_and_iso() {
        assert_eq!(
            parse_device_timestamp("1700000000"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_device_timestamp("1700000000123"),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            parse_device_timestamp("1700000000.5"),
            Some(1_700_000_000_500)
        );
        assert_eq!(
            parse_device_timestamp("2023-11-14T22:13:20Z"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_device_timestamp("2023-11-15T07:13:20.250+09:00"),
            Some(1_700_000_000_250)
        );
        assert_eq!(parse_device_timestamp("yesterday"), None);
    }
}
