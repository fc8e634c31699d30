//! Prometheus metrics of one hub instance (`GET /metrics`).
//!
//! Each hub owns its own [`Registry`] — no global recorder — so several hubs
//! can run in one test process without mixing their numbers.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label of refusals: the wire error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// `snake_case` error code.
    pub code: String,
}

/// Label of dropped GPS points: the filter's reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `snake_case` reason (`sync_proto::gps::Rejection::as_str`).
    pub reason: String,
}

/// The hub's metrics.
pub struct Metrics {
    registry: Registry,
    /// Ops stored (new, not duplicates), from tills and from HQ.
    pub ops_ingested: Counter,
    /// Duplicate ops skipped (resends).
    pub ops_duplicate: Counter,
    /// Group commits (transactions) of the writer.
    pub write_batches: Counter,
    /// Ops sent downstream to tills.
    pub ops_sent: Counter,
    /// Frames / batches refused, by error code.
    pub frames_refused: Family<CodeLabel, Counter>,
    /// Tills connected now.
    pub connected_tills: Gauge,
    /// Time from transaction start to commit, seconds.
    pub commit_latency: Histogram,
    /// Ops per group commit.
    pub ops_per_commit: Histogram,
    /// GPS points stored in tracks.db.
    pub gps_points_stored: Counter,
    /// GPS points the hub already had (resends).
    pub gps_points_duplicate: Counter,
    /// GPS points dropped by the filter, by reason.
    pub gps_points_rejected: Family<ReasonLabel, Counter>,
    /// Time from a position batch's arrival to its commit in tracks.db, seconds.
    pub gps_commit_latency: Histogram,
    /// Time a live position waited before going out to consoles, seconds.
    pub gps_fanout_delay: Histogram,
    /// Live positions sent to consoles (once per point, however many consoles).
    pub gps_points_fanned_out: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics in a fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("storelink_hub");
        let ops_ingested = Counter::default();
        let ops_duplicate = Counter::default();
        let write_batches = Counter::default();
        let ops_sent = Counter::default();
        let frames_refused = Family::<CodeLabel, Counter>::default();
        let connected_tills = Gauge::default();
        let commit_latency = Histogram::new(exponential_buckets(0.0002, 2.0, 16));
        let ops_per_commit = Histogram::new(exponential_buckets(1.0, 4.0, 10));
        registry.register(
            "ops_ingested",
            "Ops stored in the log",
            ops_ingested.clone(),
        );
        registry.register(
            "ops_duplicate",
            "Duplicate ops skipped (acknowledged again)",
            ops_duplicate.clone(),
        );
        registry.register(
            "write_batches",
            "Group commits of the writer",
            write_batches.clone(),
        );
        registry.register("ops_sent", "Ops sent downstream to tills", ops_sent.clone());
        registry.register(
            "frames_refused",
            "Frames or batches refused, by error code",
            frames_refused.clone(),
        );
        registry.register(
            "connected_tills",
            "Tills connected now",
            connected_tills.clone(),
        );
        registry.register(
            "commit_latency_seconds",
            "Writer transaction time until commit",
            commit_latency.clone(),
        );
        registry.register(
            "ops_per_commit",
            "Ops per group commit",
            ops_per_commit.clone(),
        );
        let gps_points_stored = Counter::default();
        let gps_points_duplicate = Counter::default();
        let gps_points_rejected = Family::<ReasonLabel, Counter>::default();
        let gps_commit_latency = Histogram::new(exponential_buckets(0.0002, 2.0, 16));
        let gps_fanout_delay = Histogram::new(exponential_buckets(0.001, 2.0, 12));
        let gps_points_fanned_out = Counter::default();
        registry.register(
            "gps_points_stored",
            "GPS points stored in the tracks",
            gps_points_stored.clone(),
        );
        registry.register(
            "gps_points_duplicate",
            "GPS points already stored (resends)",
            gps_points_duplicate.clone(),
        );
        registry.register(
            "gps_points_rejected",
            "GPS points dropped by the filter, by reason",
            gps_points_rejected.clone(),
        );
        registry.register(
            "gps_commit_latency_seconds",
            "Position batch arrival until its tracks commit",
            gps_commit_latency.clone(),
        );
        registry.register(
            "gps_fanout_delay_seconds",
            "Wait of a live position before it goes out to consoles",
            gps_fanout_delay.clone(),
        );
        registry.register(
            "gps_points_fanned_out",
            "Live positions sent to consoles",
            gps_points_fanned_out.clone(),
        );
        Self {
            registry,
            gps_points_stored,
            gps_points_duplicate,
            gps_points_rejected,
            gps_commit_latency,
            gps_fanout_delay,
            gps_points_fanned_out,
            ops_ingested,
            ops_duplicate,
            write_batches,
            ops_sent,
            frames_refused,
            connected_tills,
            commit_latency,
            ops_per_commit,
        }
    }

    /// Count one refusal.
    pub fn refused(&self, code: sync_proto::wire::ErrorCode) {
        let code = serde_json::to_value(code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into());
        self.frames_refused.get_or_create(&CodeLabel { code }).inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
