//! Wire frames of the sync protocol (`/sync/v1`) and their one encode/decode path.
//!
//! Every WebSocket binary message is one [`Frame`] in an envelope
//! `{ v: <protocol version>, frame: … }`, encoded as MessagePack with named
//! fields (self-describing: an older till and a newer hub ignore fields they
//! do not know during a rolling upgrade). The hub accepts the current and the
//! previous protocol version ([`is_supported`]) and refuses others.
//!
//! The conversation (DESIGN §3):
//!
//! ```text
//! till → hub   Hello     { actor, last_seq, cursor, app_version }
//! hub  → till  Welcome   { proto, acked_seq, head_cursor, snapshot }
//! hub  → till  Snapshot  { … }*                 — only for a till that has nothing yet
//! till → hub   Push      { ops acked_seq+1 … }  — bounded batches, pipelined
//! hub  → till  Ack       { up_to_seq }          — only after the batch is committed
//! hub  → till  Ops       { from_cursor, to_cursor, ops, caught_up } — catch-up, then live
//! till → hub   CursorAck { cursor }             — after the till committed them
//! both         Ping/Pong, Status; hub → till Command, Error
//! ```
//!
//! The device credential travels in the `Authorization: Bearer` header of the
//! upgrade request, so a wrong credential is refused before any frame.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{ActorId, StoreId};
use crate::op::Op;
use crate::state::{CatalogEntry, StockCounterRow};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest version still accepted (current and previous).
pub const MIN_PROTOCOL_VERSION: u16 = 1;
/// Largest frame either side accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// Most ops in one `Push` or `Ops` frame.
pub const MAX_OPS_PER_FRAME: usize = 1_000;
/// Path of the sync WebSocket on the hub.
pub const SYNC_PATH: &str = "/sync/v1";

/// Is protocol version `v` one this build accepts?
pub fn is_supported(v: u16) -> bool {
    (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v)
}

/// One message of the sync protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// Till introduces itself after the upgrade.
    Hello(Hello),
    /// Hub accepts the till and tells it where upstream resumes.
    Welcome(Welcome),
    /// Till sends its ops, in seq order, starting at `acked_seq + 1`.
    Push(Push),
    /// Hub has durably stored every op of this till up to `up_to_seq`.
    Ack(Ack),
    /// Part of the state snapshot a new till bootstraps from.
    Snapshot(SnapshotChunk),
    /// Ops for the till's scopes (catch-up, then live).
    Ops(OpsBatch),
    /// Till has committed everything up to `cursor`.
    CursorAck(CursorAck),
    /// Keep-alive.
    Ping(Ping),
    /// Keep-alive answer.
    Pong(Ping),
    /// Till's health for the fleet view.
    Status(TillStatus),
    /// A remote command for the till.
    Command(Command),
    /// Something was refused; the sender closes the connection after it.
    Error(ErrorFrame),
    /// Hub → till: where a delivery to the till's store is (ETA); live only, never logged.
    DeliveryEta(DeliveryEta),
}

impl Frame {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Frame::Hello(_) => "hello",
            Frame::Welcome(_) => "welcome",
            Frame::Push(_) => "push",
            Frame::Ack(_) => "ack",
            Frame::Snapshot(_) => "snapshot",
            Frame::Ops(_) => "ops",
            Frame::CursorAck(_) => "cursor_ack",
            Frame::Ping(_) => "ping",
            Frame::Pong(_) => "pong",
            Frame::Status(_) => "status",
            Frame::Command(_) => "command",
            Frame::Error(_) => "error",
            Frame::DeliveryEta(_) => "delivery_eta",
        }
    }
}

/// First frame of a till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The till's actor; must be the one its credential was issued to.
    pub actor: ActorId,
    /// Highest seq the till has committed locally.
    pub last_seq: u64,
    /// Downstream log position the till has committed (0 = nothing yet).
    pub cursor: u64,
    /// Till software version, for the fleet view.
    pub app_version: String,
}

/// The hub's answer to a good `Hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Protocol version the hub will speak on this connection.
    pub proto: u16,
    /// Highest seq of this actor durably stored at the hub.
    pub acked_seq: u64,
    /// The hub's downstream log head when the connection started.
    pub head_cursor: u64,
    /// The till's store.
    pub store: StoreId,
    /// A snapshot follows (the till has nothing yet, or is ahead of the hub's log).
    pub snapshot: bool,
    /// The hub's wall clock when it sent this (ms since epoch), so a till can tell how far
    /// off its own clock is (the time-deal clock guard). Absent from older hubs.
    #[serde(default)]
    pub hub_time_ms: Option<u64>,
}

/// Where a delivery to the till's store is, as the hub last estimated it (sent when it
/// changes and on connect). Not an op: a till keeps only the latest per shipment, and a
/// delivery with `eta_ms: None` and `arrived_ms: None` is no longer on its way (cancelled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DeliveryEta {
    /// The shipment.
    #[ts(type = "string")]
    pub shipment: Uuid,
    /// The destination (the till's store).
    #[ts(type = "string")]
    pub store: StoreId,
    /// Expected arrival (ms since epoch, hub clock), if the truck is on its way and moving.
    #[ts(type = "number | null")]
    pub eta_ms: Option<i64>,
    /// Distance left as the crow flies, in metres, if known.
    pub distance_m: Option<u32>,
    /// Stops before this one still to be served.
    pub stops_before: u32,
    /// When the truck arrived (ms since epoch), once it has.
    #[ts(type = "number | null")]
    pub arrived_ms: Option<i64>,
    /// The driver's display name.
    pub driver_name: String,
    /// When the hub computed this (ms since epoch, hub clock).
    #[ts(type = "number")]
    pub at_ms: i64,
}

/// Ops from a till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// Consecutive ops of the till's actor, in seq order.
    pub ops: Vec<Op>,
}

/// Durable acknowledgement of a till's ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Every op of the till up to this seq is committed at the hub.
    pub up_to_seq: u64,
}

/// A chunk of the bootstrap snapshot: current state, not history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotChunk {
    /// The log position the snapshot reflects; `Ops` continue after it.
    pub at_cursor: u64,
    /// Catalog fields with their winning HLC.
    pub catalog: Vec<CatalogEntry>,
    /// Stock counter entries of the till's store.
    pub stock: Vec<StockCounterRow>,
    /// The winning ops of last-writer-wins records the till needs
    /// (its store's staff, members, price rules), applied like downstream
    /// ops. Absent from older hubs.
    #[serde(default)]
    pub records: Vec<Op>,
    /// Last chunk: after applying it the till sets its cursor to `at_cursor`.
    pub done: bool,
}

/// Ops for a till's scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsBatch {
    /// Log position before the first op.
    pub from_cursor: u64,
    /// Log position after the last op: the till's new cursor once committed.
    pub to_cursor: u64,
    /// The ops, in log order.
    pub ops: Vec<Op>,
    /// The till is now at the hub's head.
    pub caught_up: bool,
}

/// Downstream acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorAck {
    /// Everything up to here is committed at the till.
    pub cursor: u64,
}

/// Keep-alive payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    /// Echoed back in the `Pong`.
    pub nonce: u64,
}

/// A till's health, for the fleet view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillStatus {
    /// Ops committed locally but not acknowledged.
    pub unsent_ops: u64,
    /// Till software version.
    pub app_version: String,
    /// The last error the till saw, if any.
    pub last_error: Option<String>,
    /// Remote commands the till has carried out since its previous `Status`
    /// (the hub marks them done). Absent from older tills.
    #[serde(default)]
    pub acked_commands: Vec<Uuid>,
    /// Whether HQ has locked the till (it refuses sales until unlocked).
    #[serde(default)]
    pub locked: bool,
}

/// A remote command, delivered on next contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// Command id (acknowledged in the till's next `Status.acked_commands`;
    /// a command delivered twice is carried out once).
    pub id: Uuid,
    /// What to do.
    pub kind: CommandKind,
}

/// Kinds of remote command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Refuse sales until unlocked.
    Lock,
    /// Sell again.
    Unlock,
    /// Push and pull now.
    ForceSync,
    /// Show a message to the cashier.
    ShowMessage(String),
}

/// Why something was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame could not be decoded.
    Malformed,
    /// The frame exceeds [`MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The protocol version is not accepted.
    UnsupportedVersion,
    /// The frame is valid but not allowed at this point of the conversation.
    ProtocolViolation,
    /// The credential is missing, wrong or revoked.
    Unauthorized,
    /// The `Hello` actor is not the credential's actor.
    ForgedActor,
    /// An op writes into another store.
    WrongStore,
    /// An op is out of range or inconsistent.
    InvalidOp,
    /// Ops do not continue the actor's seq without a gap.
    SequenceGap,
    /// The till is behind what the hub holds for it: restored from an old
    /// copy. It must enrol again as a new actor.
    TillRestored,
    /// The hub failed; retry later.
    Internal,
}

/// A refusal, sent before closing the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Machine-readable reason.
    pub code: ErrorCode,
    /// What a person should read.
    pub message: String,
}

/// Why bytes could not become a frame (or the reverse).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Larger than [`MAX_FRAME_BYTES`].
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Size received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The envelope names a protocol version this build does not speak.
    #[error(
        "protocol version {got} is not supported (this side speaks {MIN_PROTOCOL_VERSION}..={PROTOCOL_VERSION})"
    )]
    UnsupportedVersion {
        /// The version in the envelope.
        got: u16,
    },
    /// Not a frame: truncated, not MessagePack, or unknown fields' types.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// Could not encode (should not happen for valid frames).
    #[error("could not encode frame: {0}")]
    Encode(String),
}

impl CodecError {
    /// The error code to send back for this decode failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            CodecError::TooLarge { .. } => ErrorCode::FrameTooLarge,
            CodecError::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            CodecError::Malformed(_) | CodecError::Encode(_) => ErrorCode::Malformed,
        }
    }
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    v: u16,
    frame: &'a Frame,
}

#[derive(Deserialize)]
struct EnvelopeVersion {
    v: u16,
}

#[derive(Deserialize)]
struct Envelope {
    frame: Frame,
}

/// Encode a frame with the current protocol version.
pub fn encode(frame: &Frame) -> Result<Vec<u8>, CodecError> {
    encode_with_version(frame, PROTOCOL_VERSION)
}

/// Encode a frame claiming protocol version `v` (tests of version handling).
pub fn encode_with_version(frame: &Frame, v: u16) -> Result<Vec<u8>, CodecError> {
    let bytes = rmp_serde::to_vec_named(&EnvelopeRef { v, frame })
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(CodecError::TooLarge {
            len: bytes.len(),
            max: MAX_FRAME_BYTES,
        });
    }
    Ok(bytes)
}

/// Decode one frame: size limit first, then the version, then the body.
pub fn decode(bytes: &[u8]) -> Result<Frame, CodecError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(CodecError::TooLarge {
            len: bytes.len(),
            max: MAX_FRAME_BYTES,
        });
    }
    let EnvelopeVersion { v } =
        rmp_serde::from_slice(bytes).map_err(|e| CodecError::Malformed(e.to_string()))?;
    if !is_supported(v) {
        return Err(CodecError::UnsupportedVersion { got: v });
    }
    let Envelope { frame } =
        rmp_serde::from_slice(bytes).map_err(|e| CodecError::Malformed(e.to_string()))?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Frame {
        Frame::Hello(Hello {
            actor: ActorId(Uuid::from_bytes([7; 16])),
            last_seq: 12,
            cursor: 99,
            app_version: "0.1.0".into(),
        })
    }

    #[test]
    fn frames_round_trip() {
        let f = hello();
        let bytes = encode(&f).expect("encode");
        assert_eq!(decode(&bytes).expect("decode"), f);
    }

    #[test]
    fn truncated_frames_are_malformed_not_panics() {
        let bytes = encode(&hello()).expect("encode");
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode(&bytes[..cut]),
                Err(CodecError::Malformed(_))
            ));
        }
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            decode(b"\xff\x00garbage"),
            Err(CodecError::Malformed(_))
        ));
        assert!(matches!(decode(b""), Err(CodecError::Malformed(_))));
    }

    #[test]
    fn unknown_versions_are_refused_with_their_number() {
        let bytes = encode_with_version(&hello(), 99).expect("encode");
        assert_eq!(
            decode(&bytes),
            Err(CodecError::UnsupportedVersion { got: 99 })
        );
        let bytes = encode_with_version(&hello(), 0).expect("encode");
        assert_eq!(
            decode(&bytes),
            Err(CodecError::UnsupportedVersion { got: 0 })
        );
    }

    #[test]
    fn oversized_frames_are_refused_before_parsing() {
        let big = vec![0u8; MAX_FRAME_BYTES + 1];
        assert!(matches!(decode(&big), Err(CodecError::TooLarge { .. })));
    }

    #[test]
    fn unknown_fields_are_ignored_for_rolling_upgrades() {
        #[derive(Serialize)]
        struct NewerHello {
            actor: ActorId,
            last_seq: u64,
            cursor: u64,
            app_version: String,
            some_future_field: Vec<u32>,
        }
        #[derive(Serialize)]
        struct NewerEnvelope {
            v: u16,
            frame: std::collections::BTreeMap<&'static str, NewerHello>,
        }
        let mut frame = std::collections::BTreeMap::new();
        frame.insert(
            "Hello",
            NewerHello {
                actor: ActorId(Uuid::from_bytes([7; 16])),
                last_seq: 12,
                cursor: 99,
                app_version: "0.1.0".into(),
                some_future_field: vec![1, 2, 3],
            },
        );
        let bytes = rmp_serde::to_vec_named(&NewerEnvelope { v: 1, frame }).expect("encode");
        assert_eq!(decode(&bytes).expect("decode"), hello());
    }
}
