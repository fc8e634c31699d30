//! Live positions to the consoles: points are coalesced and flushed at most [`FLUSH_EVERY`]
//! after the first one of a batch arrived; each flushed batch is serialised ONCE into a
//! `{"type":"positions","points":[…]}` text message and the same bytes go to every console
//! socket (a `broadcast` of [`Utf8Bytes`], whose clones share the buffer). With no console
//! listening nothing is built at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;
use tokio::sync::{Notify, broadcast, watch};

use super::LivePosition;
use crate::events::Event;
use crate::metrics::Metrics;

/// Longest a point waits for its batch to go out.
pub const FLUSH_EVERY: Duration = Duration::from_millis(10);
/// Flushed batches buffered per console before it is told it lagged.
const CAPACITY: usize = 1024;

#[derive(Default)]
struct Pending {
    points: Vec<LivePosition>,
    /// When the oldest pending point was handed in.
    since: Option<Instant>,
}

/// The coalescing fan-out of live positions.
pub struct Fanout {
    pending: Mutex<Pending>,
    wake: Notify,
    tx: broadcast::Sender<Utf8Bytes>,
}

impl Default for Fanout {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self {
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            tx,
        }
    }
}

impl Fanout {
    /// Is any console listening? (The pipeline skips building points otherwise.)
    pub fn wanted(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Hand in points (stored already) for the next flush.
    pub fn push(&self, points: Vec<LivePosition>) {
        if points.is_empty() {
            return;
        }
        let mut p = self.pending.lock();
        if p.points.is_empty() {
            p.points = points;
        } else {
            p.points.extend(points);
        }
        p.since.get_or_insert_with(Instant::now);
        drop(p);
        self.wake.notify_one();
    }

    /// A console's subscription: each message is one serialised `positions` event.
    pub fn subscribe(&self) -> broadcast::Receiver<Utf8Bytes> {
        self.tx.subscribe()
    }

    /// Serialise what is pending and send it to every subscriber.
    fn flush(&self, metrics: &Metrics) {
        let (points, since) = {
            let mut p = self.pending.lock();
            (std::mem::take(&mut p.points), p.since.take())
        };
        if points.is_empty() || !self.wanted() {
            return;
        }
        let n = points.len();
        match serde_json::to_string(&Event::Positions { points }) {
            Ok(text) => {
                let _ = self.tx.send(Utf8Bytes::from(text));
                if let Some(t) = since {
                    metrics.gps_fanout_delay.observe(t.elapsed().as_secs_f64());
                }
                metrics.gps_points_fanned_out.inc_by(n as u64);
            }
            Err(e) => tracing::error!(error = %e, "could not encode live positions"),
        }
    }

    /// Flush batches until the hub stops.
    pub async fn run(self: Arc<Self>, metrics: Arc<Metrics>, mut stopping: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                _ = self.wake.notified() => {}
            }
            tokio::time::sleep(FLUSH_EVERY).await;
            self.flush(&metrics);
        }
    }
}
