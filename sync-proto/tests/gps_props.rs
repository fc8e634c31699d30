//! Property tests of the GPS arithmetic (`sync_proto::gps`, issue 5): the position filter,
//! distance and geofence, the ETA estimator, downsampling and device timestamps.
//!
//! What is true of the filter, and tested: it never accepts two points with one timestamp
//! (while they are within its window), every accepted point passes `check_point`, consecutive
//! accepted points are never an impossible jump from each other, and offering the same points
//! again — a batch resent after a lost answer — accepts nothing new, even when a late point
//! arrived in between that would make a refused one plausible. Which of two contradicting
//! points is kept does depend on which came first (the first one wins), so the accepted set is
//! not independent of arrival order; that is not claimed.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sync_proto::gps::{
    EtaEstimator, FilterConfig, GpsPoint, PositionFilter, Rejection, check_point, distance_m,
    downsample, impossible_jump, inside_geofence, parse_device_timestamp,
};

const NOW: i64 = 1_800_000_000_000;
const OLDEST: i64 = NOW - 7 * 86_400_000;

fn pt(ts_ms: i64, lat: f64, lon: f64, accuracy_m: Option<f64>) -> GpsPoint {
    GpsPoint {
        ts_ms,
        lat,
        lon,
        accuracy_m,
        speed_mps: None,
        heading_deg: None,
        altitude_m: None,
        battery_pct: None,
    }
}

/// A position somewhere in Seoul, now and then a broken one.
fn coords() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        12 => (37.40f64..37.70, 126.80f64..127.20),
        1 => Just((0.0, 0.0)),
        1 => Just((f64::NAN, 127.0)),
        1 => Just((91.0, 127.0)),
        1 => Just((37.5, -181.0)),
    ]
}

fn accuracy() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        1 => Just(None),
        8 => (1.0f64..60.0).prop_map(Some),
        1 => (100.5f64..500.0).prop_map(Some),
        1 => Just(Some(f64::INFINITY)),
    ]
}

/// A driver's points: mostly a drive with noise, each second a step, with some teleports,
/// some from the future, some too old, and timestamps that repeat.
fn points() -> impl Strategy<Value = Vec<GpsPoint>> {
    prop::collection::vec(
        (
            prop_oneof![
                16 => (NOW - 600_000..NOW).prop_map(|t| t - t % 1000),
                1 => NOW + 300_001..NOW + 3_600_000,
                1 => OLDEST - 3_600_000..OLDEST,
            ],
            coords(),
            accuracy(),
        )
            .prop_map(|(ts, (lat, lon), acc)| pt(ts, lat, lon, acc)),
        0..80,
    )
}

/// A smooth drive: one point a second, speed and heading changing slowly.
fn drive() -> impl Strategy<Value = Vec<GpsPoint>> {
    prop::collection::vec((0.0f64..25.0, -0.3f64..0.3), 2..120).prop_map(|steps| {
        let (mut lat, mut lon, mut heading) = (37.5, 127.0, 0.0f64);
        steps
            .iter()
            .enumerate()
            .map(|(i, (speed, turn))| {
                heading += turn;
                lat += speed * heading.cos() / 111_195.0;
                lon += speed * heading.sin() / (111_195.0 * lat.to_radians().cos());
                pt(NOW - 200_000 + i as i64 * 1000, lat, lon, Some(8.0))
            })
            .collect()
    })
}

fn offer_all(f: &mut PositionFilter, pts: &[GpsPoint]) -> Vec<Result<(), Rejection>> {
    let cfg = FilterConfig::default();
    pts.iter().map(|p| f.offer(p, NOW, OLDEST, &cfg)).collect()
}

fn accepted(pts: &[GpsPoint], outcomes: &[Result<(), Rejection>]) -> Vec<GpsPoint> {
    pts.iter()
        .zip(outcomes)
        .filter(|(_, r)| r.is_ok())
        .map(|(p, _)| *p)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// No two accepted points share a timestamp, every accepted point passes `check_point`, a
    /// point `check_point` refuses is refused for that reason, and the accepted track has no
    /// impossible jump between consecutive points.
    #[test]
    fn the_filter_accepts_unique_valid_plausible_points(pts in points()) {
        let cfg = FilterConfig::default();
        let mut f = PositionFilter::new(pts.len() + 2);
        let outcomes = offer_all(&mut f, &pts);
        let kept = accepted(&pts, &outcomes);
        let stamps: BTreeSet<i64> = kept.iter().map(|p| p.ts_ms).collect();
        prop_assert_eq!(stamps.len(), kept.len(), "two accepted points share a timestamp");
        for (p, r) in pts.iter().zip(&outcomes) {
            match check_point(p, NOW, OLDEST, &cfg) {
                Err(why) => prop_assert_eq!(*r, Err(why)),
                Ok(()) => prop_assert!(
                    matches!(r, Ok(()) | Err(Rejection::Duplicate | Rejection::ImpossibleJump)),
                    "{:?} for a valid point", r
                ),
            }
        }
        let mut track = kept.clone();
        track.sort_by_key(|p| p.ts_ms);
        for w in track.windows(2) {
            prop_assert!(!impossible_jump(&w[0], &w[1], &cfg), "{:?} → {:?}", w[0], w[1]);
        }
        prop_assert_eq!(f.newest().map(|p| p.ts_ms), track.last().map(|p| p.ts_ms));
    }

    /// A batch resent after a lost answer (or a second copy of every point in any order)
    /// stores nothing new: every point is refused, the kept ones as duplicates.
    #[test]
    fn offering_the_same_points_again_accepts_nothing_new(
        (pts, again) in points().prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle()))
    ) {
        let mut f = PositionFilter::new(2 * pts.len() + 2);
        let first = offer_all(&mut f, &pts);
        let kept: BTreeSet<i64> = accepted(&pts, &first).iter().map(|p| p.ts_ms).collect();
        for (p, r) in again.iter().zip(offer_all(&mut f, &again)) {
            prop_assert!(r.is_err(), "{:?} accepted on the second offer", p);
            if kept.contains(&p.ts_ms) && check_point(p, NOW, OLDEST, &FilterConfig::default()).is_ok() {
                prop_assert_eq!(r, Err(Rejection::Duplicate));
            }
        }
    }

    /// A smooth drive at city speeds is accepted whole, in any arrival order (late points
    /// fit between their neighbours), and resending it changes nothing.
    #[test]
    fn a_real_drive_is_kept_whole_in_any_order(
        (pts, order) in drive().prop_flat_map(|d| {
            let n = d.len();
            (Just(d), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let mut f = PositionFilter::new(pts.len());
        let shuffled: Vec<GpsPoint> = order.iter().map(|i| pts[*i]).collect();
        let outcomes = offer_all(&mut f, &shuffled);
        prop_assert!(outcomes.iter().all(Result::is_ok), "{:?}", outcomes);
        let again = offer_all(&mut f, &pts);
        prop_assert!(again.iter().all(|r| *r == Err(Rejection::Duplicate)));
    }

    /// Downsampling keeps a sorted subset with at most one point per bucket — the first of
    /// each bucket — and every bucket that had points still has one; doing it twice changes
    /// nothing.
    #[test]
    fn downsample_keeps_the_first_point_of_each_bucket(
        mut ts in prop::collection::vec(-5_000_000i64..5_000_000, 0..200),
        bucket in prop_oneof![Just(0i64), Just(1), 1_000i64..120_000],
    ) {
        ts.sort_unstable();
        let pts: Vec<GpsPoint> = ts.iter().enumerate()
            .map(|(i, t)| pt(*t, 37.5 + i as f64 * 1e-5, 127.0, None)).collect();
        let out = downsample(&pts, bucket);
        let b = bucket.max(1);
        prop_assert!(out.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms), "sorted, one per bucket");
        let mut rest = pts.iter();
        for p in &out {
            prop_assert!(rest.any(|q| q == p), "not a subset in order");
        }
        let buckets: BTreeSet<i64> = pts.iter().map(|p| p.ts_ms.div_euclid(b)).collect();
        let kept: Vec<i64> = out.iter().map(|p| p.ts_ms.div_euclid(b)).collect();
        prop_assert_eq!(kept.iter().copied().collect::<BTreeSet<_>>(), buckets);
        prop_assert_eq!(kept.len(), out.len());
        for p in &out {
            let first = pts.iter().find(|q| q.ts_ms.div_euclid(b) == p.ts_ms.div_euclid(b));
            prop_assert_eq!(first, Some(p));
        }
        prop_assert_eq!(out.first(), pts.first());
        prop_assert_eq!(downsample(&out, bucket), out);
    }

    /// Distance is a metric on the sphere (up to rounding) and never more than half the
    /// circumference.
    #[test]
    fn distance_is_a_metric(
        a in (-89.0f64..89.0, -179.0f64..179.0),
        b in (-89.0f64..89.0, -179.0f64..179.0),
        c in (-89.0f64..89.0, -179.0f64..179.0),
    ) {
        let ab = distance_m(a.0, a.1, b.0, b.1);
        let ba = distance_m(b.0, b.1, a.0, a.1);
        let bc = distance_m(b.0, b.1, c.0, c.1);
        let ac = distance_m(a.0, a.1, c.0, c.1);
        prop_assert!(ab >= 0.0 && ab.is_finite());
        prop_assert!((ab - ba).abs() < 1e-6);
        prop_assert!(ac <= ab + bc + 1e-3, "{} > {} + {}", ac, ab, bc);
        prop_assert!(ab <= std::f64::consts::PI * sync_proto::gps::EARTH_RADIUS_M + 1e-3);
        prop_assert_eq!(distance_m(a.0, a.1, a.0, a.1), 0.0);
    }

    /// With an accuracy no worse than the radius (or none), a point is inside exactly when it
    /// is within the radius; with a worse (or unusable) accuracy it is never inside.
    #[test]
    fn geofence_is_distance_within_radius_when_accurate(
        stop in (37.4f64..37.7, 126.8f64..127.2),
        bearing in 0.0f64..std::f64::consts::TAU,
        dist in 0.0f64..600.0,
        radius in 10.0f64..500.0,
        acc in prop_oneof![Just(None), (0.0f64..1.0).prop_map(Some)],
        worse in 1.0f64..5.0,
    ) {
        let lat = stop.0 + dist * bearing.cos() / 111_195.0;
        let lon = stop.1 + dist * bearing.sin() / (111_195.0 * stop.0.to_radians().cos());
        let accuracy = acc.map(|f| f * radius);
        let p = pt(NOW, lat, lon, accuracy);
        let d = distance_m(lat, lon, stop.0, stop.1);
        prop_assert_eq!(inside_geofence(&p, stop.0, stop.1, radius), d <= radius);
        let vague = pt(NOW, lat, lon, Some(radius * worse + 0.001));
        prop_assert!(!inside_geofence(&vague, stop.0, stop.1, radius));
        for bad in [f64::NAN, f64::INFINITY] {
            prop_assert!(!inside_geofence(&pt(NOW, lat, lon, Some(bad)), stop.0, stop.1, radius));
        }
    }

    /// The ETA grows with the distance, is never slower than the floor allows nor faster
    /// than the ceiling, and is 0 at (or past) the stop.
    #[test]
    fn eta_is_monotone_in_distance_and_bounded(
        speeds in prop::collection::vec(
            prop_oneof![
                4 => (0.0f64..40.0).prop_map(Some),
                1 => Just(None),
                1 => Just(Some(1e9)),
                1 => Just(Some(f64::NAN)),
                1 => Just(Some(-3.0)),
            ],
            2..60,
        ),
        d1 in 0.0f64..50_000.0,
        d2 in 0.0f64..50_000.0,
    ) {
        let mut e = EtaEstimator::default();
        for (i, s) in speeds.iter().enumerate() {
            let mut p = pt(NOW + i as i64 * 1000, 37.5 + i as f64 * 5.0 / 111_195.0, 127.0, Some(5.0));
            p.speed_mps = *s;
            e.observe(&p);
        }
        let v = e.speed_mps.expect("a speed after two points");
        prop_assert!(v.is_finite() && v >= 0.0 && v <= e.ceiling_mps, "speed {}", v);
        let (lo, hi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
        let (eta_lo, eta_hi) = (e.eta_s(lo).expect("known"), e.eta_s(hi).expect("known"));
        prop_assert!(eta_lo <= eta_hi);
        prop_assert!(eta_hi <= hi / e.floor_mps + 1e-9);
        prop_assert!(eta_hi >= hi / e.ceiling_mps - 1e-9);
        prop_assert_eq!(e.eta_s(0.0), Some(0.0));
        prop_assert_eq!(e.eta_s(-5.0), Some(0.0));
    }

    /// Device timestamps: seconds and milliseconds since the epoch, and RFC 3339, all give
    /// the same instant; nothing makes it panic.
    #[test]
    fn device_timestamps_round_trip(ms in 946_684_800_000i64..4_102_444_800_000, junk in ".{0,24}") {
        prop_assert_eq!(parse_device_timestamp(&ms.to_string()), Some(ms));
        let s = ms.div_euclid(1000);
        prop_assert_eq!(parse_device_timestamp(&s.to_string()), Some(s * 1000));
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .expect("in range");
        let iso = t.format(&time::format_description::well_known::Rfc3339).expect("format");
        prop_assert_eq!(parse_device_timestamp(&iso), Some(ms));
        let _ = parse_device_timestamp(&junk);
    }
}

/// The filter's window is the limit of its own duplicate check: a point older than every
/// remembered one is checked against the oldest remembered neighbour only, and whether it is
/// stored already is the track's (primary key) question, not the filter's.
#[test]
fn a_late_point_older_than_the_window_is_checked_against_the_oldest_remembered() {
    let cfg = FilterConfig::default();
    let mut f = PositionFilter::new(2);
    for i in 0..4 {
        let p = pt(
            NOW - 40_000 + i * 10_000,
            37.5 + i as f64 * 1e-4,
            127.0,
            Some(5.0),
        );
        assert_eq!(f.offer(&p, NOW, OLDEST, &cfg), Ok(()));
    }
    // 60 s before the oldest remembered point and 50 km away: impossible.
    let far = pt(NOW - 80_000, 37.95, 127.0, Some(5.0));
    assert_eq!(
        f.offer(&far, NOW, OLDEST, &cfg),
        Err(Rejection::ImpossibleJump)
    );
    // Near it: accepted, and it does not push the newest points out of the window.
    let near = pt(NOW - 79_000, 37.4999, 127.0, Some(5.0));
    assert_eq!(f.offer(&near, NOW, OLDEST, &cfg), Ok(()));
    assert_eq!(f.newest().map(|p| p.ts_ms), Some(NOW - 10_000));
    assert_eq!(
        f.offer(
            &pt(NOW - 10_000, 37.5003, 127.0, Some(5.0)),
            NOW,
            OLDEST,
            &cfg
        ),
        Err(Rejection::Duplicate)
    );
}

/// A point refused as a jump, then a late point between it and its neighbour that would make
/// it plausible (the 200 m slack counts on each leg), then the batch resent: the resend is
/// answered as the first send was — nothing new stored.
#[test]
fn a_refused_jump_stays_refused_when_resent_after_a_late_point() {
    let cfg = FilterConfig::default();
    let north = |m: f64| 37.5 + m / 111_195.0;
    let start = pt(NOW - 20_000, north(0.0), 127.0, Some(5.0));
    // 10 s and 1,040 m on: 840 m beyond the slack needs 84 m/s.
    let far = pt(NOW - 10_000, north(1_040.0), 127.0, Some(5.0));
    // Between them in time, 500 m from the start and 540 m from `far`: plausible with both.
    let middle = pt(NOW - 15_000, north(500.0), 127.0, Some(5.0));
    assert!(impossible_jump(&start, &far, &cfg));
    assert!(!impossible_jump(&start, &middle, &cfg) && !impossible_jump(&middle, &far, &cfg));

    let mut f = PositionFilter::default();
    let batch = [start, far];
    let first: Vec<_> = batch
        .iter()
        .map(|p| f.offer(p, NOW, OLDEST, &cfg))
        .collect();
    assert_eq!(first, vec![Ok(()), Err(Rejection::ImpossibleJump)]);
    assert_eq!(f.offer(&middle, NOW, OLDEST, &cfg), Ok(()));
    let again: Vec<_> = batch
        .iter()
        .map(|p| f.offer(p, NOW, OLDEST, &cfg))
        .collect();
    assert_eq!(
        again,
        vec![Err(Rejection::Duplicate), Err(Rejection::ImpossibleJump)]
    );
}

/// The default filter remembers points (a window of 0 would forget each at once and check
/// nothing).
#[test]
fn the_default_filter_remembers_its_window() {
    let cfg = FilterConfig::default();
    let mut f = PositionFilter::default();
    for i in 0..sync_proto::gps::DEFAULT_FILTER_WINDOW as i64 {
        let p = pt(
            NOW - 100_000 + i * 1000,
            37.5 + i as f64 * 1e-5,
            127.0,
            Some(5.0),
        );
        assert_eq!(f.offer(&p, NOW, OLDEST, &cfg), Ok(()));
    }
    let first = pt(NOW - 100_000, 37.5, 127.0, Some(5.0));
    assert_eq!(
        f.offer(&first, NOW, OLDEST, &cfg),
        Err(Rejection::Duplicate)
    );
    let teleport = pt(NOW - 30_000, 38.5, 127.0, Some(5.0));
    assert_eq!(
        f.offer(&teleport, NOW, OLDEST, &cfg),
        Err(Rejection::ImpossibleJump)
    );
}
