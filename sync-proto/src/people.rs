//! Store staff and members: the people records that travel as ops.
//!
//! - [`StaffRecord`] (`OpBody::StaffSet`, scope `store:<code>`, written only by the hub):
//!   a store manager or cashier of one store with the argon2id hash of their till PIN, so a
//!   till can unlock offline. The whole record is one last-writer-wins register per staff id
//!   (HLC order); deactivating a person is a newer record with `active = false`.
//! - [`MemberSet`] (`OpBody::MemberSet`, scope `broadcast`, written by tills and the hub):
//!   one field of a member, a last-writer-wins register per `(member, field)` like catalog
//!   fields. The member id is a UUIDv5 of the normalised phone number
//!   ([`member_id_for_phone`]), so two stores that sign up the same person offline write the
//!   same member and converge.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::StoreId;

/// Namespace of member ids (UUIDv5 over the normalised phone number).
pub const MEMBER_NAMESPACE: Uuid = Uuid::from_u128(0x6b1e_9c1e_5a5e_4c8a_9d0e_5374_6f72_656c);

/// Role of a store person.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Runs the store: approvals, returns over the limit, outbox, the store's console pages.
    StoreManager,
    /// Sells at the till.
    Cashier,
}

impl StaffRole {
    /// The role as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::StoreManager => "store_manager",
            StaffRole::Cashier => "cashier",
        }
    }
}

/// A store person as the store's tills know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRecord {
    /// Stable id of the person (the hub's user id as a UUID).
    pub id: Uuid,
    /// Login name (also shown on receipts as the cashier).
    pub username: String,
    /// Name shown at the till.
    pub display_name: String,
    /// Store manager or cashier.
    pub role: StaffRole,
    /// The store they work in.
    pub store: StoreId,
    /// argon2id PHC string of the till PIN; `None` when no PIN is set.
    pub pin_hash: Option<String>,
    /// `false` once the person may no longer unlock a till.
    pub active: bool,
}

/// One field of a member.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberField {
    /// Normalised phone number (digits only, see [`normalise_phone`]).
    Phone(String),
    /// Name.
    Name(String),
    /// Year of birth, for age bands.
    BirthYear(Option<u16>),
    /// The store that signed the member up.
    HomeStore(StoreId),
    /// When the member signed up (ms since epoch).
    SignedUpAtMs(u64),
    /// Agreed to marketing messages.
    MarketingConsent(bool),
}

/// Which register a [`MemberField`] value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberFieldKind {
    /// Phone.
    Phone,
    /// Name.
    Name,
    /// Year of birth.
    BirthYear,
    /// Home store.
    HomeStore,
    /// Sign-up time.
    SignedUpAtMs,
    /// Marketing consent.
    MarketingConsent,
}

impl MemberFieldKind {
    /// The field name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberFieldKind::Phone => "phone",
            MemberFieldKind::Name => "name",
            MemberFieldKind::BirthYear => "birth_year",
            MemberFieldKind::HomeStore => "home_store",
            MemberFieldKind::SignedUpAtMs => "signed_up_at_ms",
            MemberFieldKind::MarketingConsent => "marketing_consent",
        }
    }
}

impl MemberField {
    /// Which register this value belongs to.
    pub fn kind(&self) -> MemberFieldKind {
        match self {
            MemberField::Phone(_) => MemberFieldKind::Phone,
            MemberField::Name(_) => MemberFieldKind::Name,
            MemberField::BirthYear(_) => MemberFieldKind::BirthYear,
            MemberField::HomeStore(_) => MemberFieldKind::HomeStore,
            MemberField::SignedUpAtMs(_) => MemberFieldKind::SignedUpAtMs,
            MemberField::MarketingConsent(_) => MemberFieldKind::MarketingConsent,
        }
    }
}

/// Set one field of one member (last writer by HLC wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSet {
    /// The member ([`member_id_for_phone`]).
    pub member: Uuid,
    /// The new value.
    pub field: MemberField,
}

/// A phone number that cannot be a member's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a phone number: use 8 to 15 digits, optionally with +, spaces or dashes")]
pub struct PhoneError(pub String);

/// Digits only, with a leading `+` kept as the international prefix:
/// `010-1234-5678` → `01012345678`, `+82 10 1234 5678` → `+821012345678`.
pub fn normalise_phone(raw: &str) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    let mut digits = String::with_capacity(rest.len() + 1);
    digits.push_str(plus);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(PhoneError(raw.to_owned())),
        }
    }
    let count = digits.len() - plus.len();
    if !(8..=15).contains(&count) {
        return Err(PhoneError(raw.to_owned()));
    }
    Ok(digits)
}

/// The member id of a phone number: the same on every till, offline.
pub fn member_id_for_phone(raw: &str) -> Result<Uuid, PhoneError> {
    let phone = normalise_phone(raw)?;
    Ok(Uuid::new_v5(&MEMBER_NAMESPACE, phone.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_person_gets_the_same_id_however_the_number_is_typed() {
        let a = member_id_for_phone("010-1234-5678").expect("valid");
        let b = member_id_for_phone(" 010 1234 5678 ").expect("valid");
        let c = member_id_for_phone("010-1234-5679").expect("valid");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn junk_is_not_a_phone_number() {
        assert!(normalise_phone("010-12ab").is_err());
        assert!(normalise_phone("1234").is_err());
        assert!(normalise_phone("1234567890123456").is_err());
        assert_eq!(
            normalise_phone("+82 10-1234-5678").expect("valid"),
            "+821012345678"
        );
    }
}
