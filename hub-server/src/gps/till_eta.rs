//! Delivery ETAs for the tills of a destination store (`Frame::DeliveryEta`, live only, never
//! logged). Per store the latest ETA of each shipment is kept, so a till that connects gets
//! the current ones at once; new ones go to every connected till of the store through a
//! `broadcast` its connection task listens to. Kept ETAs go when the stop is received or
//! cancelled (the GPS pipeline sees it), and in any case once stale: an arrival after
//! [`KEEP_ARRIVED_MS`], anything else after [`KEEP_ETA_MS`] without news.

use std::collections::HashMap;

use parking_lot::Mutex;
use sync_proto::wire::DeliveryEta;
use tokio::sync::broadcast;
use uuid::Uuid;

/// ETAs buffered per till connection.
const CAPACITY: usize = 64;
/// How long an arrival is told to tills that connect.
pub const KEEP_ARRIVED_MS: i64 = 6 * 3_600_000;
/// How long an ETA without a newer one is told to tills that connect.
pub const KEEP_ETA_MS: i64 = 24 * 3_600_000;

/// Still worth telling a till that connects at `now`?
fn fresh(e: &DeliveryEta, now: i64) -> bool {
    match e.arrived_ms {
        Some(at) => now - at.max(e.at_ms) < KEEP_ARRIVED_MS,
        None => now - e.at_ms < KEEP_ETA_MS,
    }
}

struct StoreEtas {
    latest: HashMap<Uuid, DeliveryEta>,
    tx: broadcast::Sender<DeliveryEta>,
}

impl Default for StoreEtas {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self {
            latest: HashMap::new(),
            tx,
        }
    }
}

/// The delivery ETAs of every store.
#[derive(Default)]
pub struct TillEtas {
    stores: Mutex<HashMap<String, StoreEtas>>,
}

impl TillEtas {
    /// A till of `store` connected: the current ETAs and the stream of new ones.
    pub fn subscribe(&self, store: &str) -> (Vec<DeliveryEta>, broadcast::Receiver<DeliveryEta>) {
        let now = crate::now_ms() as i64;
        let mut stores = self.stores.lock();
        let s = stores.entry(store.to_owned()).or_default();
        s.latest.retain(|_, e| fresh(e, now));
        (s.latest.values().cloned().collect(), s.tx.subscribe())
    }

    /// Tell the store's tills (and keep it for tills that connect later).
    pub fn publish(&self, eta: DeliveryEta) {
        let mut stores = self.stores.lock();
        let s = stores.entry(eta.store.to_string()).or_default();
        s.latest.insert(eta.shipment, eta.clone());
        let _ = s.tx.send(eta);
    }

    /// The stop is over (received or cancelled): new tills need not hear of it.
    pub fn forget(&self, shipment: &Uuid, store: &str) {
        if let Some(s) = self.stores.lock().get_mut(store) {
            s.latest.remove(shipment);
        }
    }

    /// The latest ETA of a stop, if any.
    pub fn latest(&self, shipment: &Uuid, store: &str) -> Option<DeliveryEta> {
        self.stores
            .lock()
            .get(store)
            .and_then(|s| s.latest.get(shipment).cloned())
    }
}
