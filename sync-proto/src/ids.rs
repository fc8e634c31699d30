//! Identifiers: who made an op ([`ActorId`]), where stock lives ([`LocationId`],
//! [`StoreId`]), what is sold ([`Sku`]) and the receipt a customer takes home
//! ([`ReceiptNo`]).
//!
//! Every identifier that arrives from outside is parsed through `FromStr` /
//! `TryFrom<String>` and rejected with an [`IdError`] when malformed, so the
//! rest of the code can trust them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is not a valid store / location code.
    #[error("invalid location code {0:?}: use 2-16 characters A-Z, 0-9 or '-'")]
    Location(String),
    /// The text is not a valid SKU.
    #[error("invalid SKU {0:?}: use 1-64 characters A-Z, a-z, 0-9, '-', '_' or '.'")]
    Sku(String),
    /// The text is not a valid receipt number.
    #[error("invalid receipt number {0:?}: expected STORE-TILL-SEQUENCE, e.g. GN01-03-000042")]
    Receipt(String),
    /// The text is not a UUID.
    #[error("invalid actor id {0:?}: expected a UUID")]
    Actor(String),
}

/// The replica that made an op: one per enrolled till install, plus the hub's
/// own actor for what HQ users do. Never reused: a reinstalled or restored
/// till enrols again and gets a fresh one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct ActorId(pub Uuid);

impl ActorId {
    /// A fresh random actor id.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for ActorId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|_| IdError::Actor(s.to_owned()))
    }
}

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $check:path, $err:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
        )]
        #[serde(try_from = "String", into = "String")]
        #[ts(type = "string")]
        pub struct $name(String);

        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                if $check(&s) { Ok(Self(s)) } else { Err(IdError::$err(s)) }
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn valid_location(s: &str) -> bool {
    (2..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_sku(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

string_id!(
    /// A place that holds stock: a store or a warehouse, by its short code
    /// (`GN01` for the Gangnam store, `WH01` for the warehouse).
    LocationId,
    valid_location,
    Location
);

/// A store is a location that has tills; its code is its location id.
pub type StoreId = LocationId;

string_id!(
    /// A stock-keeping unit: one sellable variant (style, colour, size), e.g.
    /// `TSH-0001-BLK-M`.
    Sku,
    valid_sku,
    Sku
);

/// A receipt number, unique across every till of the chain without any
/// coordination: `STORE-TILL-SEQUENCE`, e.g. `GN01-03-000042`.
///
/// The till number is handed out by the hub at enrolment and never reused
/// within a store (a re-enrolled till gets a new one), and the sequence is
/// the till's own, committed with the sale. Only upper-case letters, digits
/// and `-` are used, so the number prints as a Code 128 (or Code 39) barcode.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct ReceiptNo(String);

impl ReceiptNo {
    /// Build the receipt number of the `sequence`-th receipt of till `till_no`.
    pub fn new(store: &StoreId, till_no: u32, sequence: u64) -> Self {
        Self(format!("{store}-{till_no:02}-{sequence:06}"))
    }

    /// The receipt number as printed (and as encoded in the barcode).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The store part of the number.
    pub fn store(&self) -> StoreId {
        let (store, _, _) = split_receipt(&self.0).unwrap_or(("XX", 0, 0));
        LocationId(store.to_owned())
    }

    /// The till number part.
    pub fn till_no(&self) -> u32 {
        split_receipt(&self.0).map(|(_, t, _)| t).unwrap_or(0)
    }

    /// The sequence part.
    pub fn sequence(&self) -> u64 {
        split_receipt(&self.0).map(|(_, _, s)| s).unwrap_or(0)
    }
}

fn split_receipt(s: &str) -> Option<(&str, u32, u64)> {
    let (rest, seq) = s.rsplit_once('-')?;
    let (store, till) = rest.rsplit_once('-')?;
    if !valid_location(store) || till.len() < 2 || seq.len() < 6 {
        return None;
    }
    if !till.bytes().all(|b| b.is_ascii_digit()) || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((store, till.parse().ok()?, seq.parse().ok()?))
}

impl TryFrom<String> for ReceiptNo {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        let s = s.trim().to_ascii_uppercase();
        match split_receipt(&s) {
            Some(_) => Ok(Self(s)),
            None => Err(IdError::Receipt(s)),
        }
    }
}

impl FromStr for ReceiptNo {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::try_from(s.to_owned())
    }
}

impl From<ReceiptNo> for String {
    fn from(r: ReceiptNo) -> String {
        r.0
    }
}

impl fmt::Display for ReceiptNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_round_trip_and_differ_per_till() {
        let store: StoreId = "GN01".parse().expect("store");
        let a = ReceiptNo::new(&store, 1, 42);
        let b = ReceiptNo::new(&store, 2, 42);
        assert_eq!(a.as_str(), "GN01-01-000042");
        assert_ne!(a, b);
        let parsed: ReceiptNo = "gn01-01-000042".parse().expect("parse");
        assert_eq!(parsed, a);
        assert_eq!(parsed.till_no(), 1);
        assert_eq!(parsed.sequence(), 42);
        assert_eq!(parsed.store(), store);
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!("g".parse::<LocationId>().is_err());
        assert!("GN 01".parse::<LocationId>().is_err());
        assert!("".parse::<Sku>().is_err());
        assert!("TSH 1".parse::<Sku>().is_err());
        assert!("GN01-1".parse::<ReceiptNo>().is_err());
        assert!("GN01-01-12".parse::<ReceiptNo>().is_err());
        assert!("not-a-uuid".parse::<ActorId>().is_err());
    }
}
