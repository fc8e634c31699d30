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
        Self {
            registry,
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
