//! The REST bodies of till enrolment (`POST /api/v1/enrol`).
//!
//! HQ issues a one-time, expiring enrolment code for a store; a till sends it
//! once and receives a fresh actor id, a device credential (a bearer secret
//! for the sync WebSocket) and its till number. A till that is reinstalled or
//! restored from an old copy enrols again and becomes a new actor.

use serde::{Deserialize, Serialize};

use crate::ids::{ActorId, StoreId};

/// What the till sends to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code HQ gave the store.
    pub code: String,
    /// Version of the till software, for the fleet view.
    pub app_version: String,
}

/// What the hub answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The till's new actor id.
    pub actor: ActorId,
    /// Secret for `Authorization: Bearer` on `/sync/v1`. Shown once.
    pub credential: String,
    /// The store this till belongs to.
    pub store: StoreId,
    /// The store's display name.
    pub store_name: String,
    /// Till number within the store, never reused.
    pub till_no: u32,
    /// Currency of the store's prices.
    pub currency: String,
    /// Sync protocol version the hub speaks.
    pub proto: u16,
}
