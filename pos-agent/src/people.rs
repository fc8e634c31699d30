//! Store staff (PIN unlock) and members, as the till keeps them.
//!
//! - Staff: `StaffSet` ops from the hub (scope `store:X`) land in the `staff`
//!   table, one last-writer-wins row per staff id (a newer HLC replaces the
//!   whole record). [`unlock`] checks a PIN against the argon2id hashes of the
//!   till's store's staff, offline: nothing leaves the till.
//! - Members: `MemberSet` ops (scope `broadcast`, from the hub and from every
//!   till) land in `member_field`, one last-writer-wins register per
//!   `(member, field)`. A sign-up at this till ([`sign_up`]) writes the same
//!   ops through the outbox [`Writer`] and applies them locally in the same
//!   transaction, so it works offline and converges with sign-ups of the same
//!   phone number elsewhere (the member id is derived from the phone).

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sync_proto::people::{
    MemberField, MemberFieldKind, MemberSet, StaffRecord, StaffRole, member_id_for_phone,
    normalise_phone,
};
use sync_proto::validate::check_member_set;
use sync_proto::{Hlc, Op, Scope};
use uuid::Uuid;

use crate::db;
use crate::error::{Result, TillError};
use crate::outbox::Writer;

/// A store person who can unlock the till (the PIN hash stays in the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Staff {
    /// Stable id of the person.
    pub id: Uuid,
    /// Login name; recorded as the cashier of sales.
    pub username: String,
    /// Name shown at the till.
    pub display_name: String,
    /// Store manager or cashier.
    pub role: StaffRole,
    /// Their store.
    pub store: String,
    /// Whether they may unlock a till.
    pub active: bool,
}

/// A member as this till knows them (fields not received yet are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Member {
    /// Member id ([`member_id_for_phone`]).
    pub id: Uuid,
    /// Normalised phone number.
    pub phone: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Year of birth.
    pub birth_year: Option<u16>,
    /// The store that signed them up.
    pub home_store: Option<String>,
    /// When they signed up (ms since epoch).
    #[ts(type = "number | null")]
    pub signed_up_at_ms: Option<u64>,
    /// Agreed to marketing messages.
    pub marketing_consent: Option<bool>,
}

/// A sign-up (or an update of an existing member) at the counter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MemberSignUp {
    /// Phone number as typed (`010-1234-5678`).
    pub phone: String,
    /// Name.
    pub name: String,
    /// Year of birth, if the customer gives it (left as it was when `None`).
    pub birth_year: Option<u16>,
    /// Agrees to marketing messages (the form's checkbox: always written).
    pub marketing_consent: bool,
}

/// What a sign-up did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SignUpOutcome {
    /// The member after the sign-up.
    pub member: Member,
    /// `true` for a new member, `false` when an existing one was updated.
    pub created: bool,
    /// The `MemberSet` ops written to the outbox.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

fn corrupt(what: &str) -> TillError {
    TillError::Corrupt(format!("stored {what} is invalid"))
}

/// Apply a staff record if `hlc` is newer than the stored one; `true` if it changed.
pub fn apply_staff(conn: &Connection, s: &StaffRecord, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO staff(id, username, display_name, role, store, pin_hash, active, hlc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 username = excluded.username, display_name = excluded.display_name,
                 role = excluded.role, store = excluded.store, pin_hash = excluded.pin_hash,
                 active = excluded.active, hlc = excluded.hlc
             WHERE excluded.hlc > staff.hlc",
        )?
        .execute(params![
            s.id.to_string(),
            s.username,
            s.display_name,
            s.role.as_str(),
            s.store.as_str(),
            s.pin_hash,
            s.active,
            db::hlc_to_text(hlc)
        ])?;
    Ok(n > 0)
}

fn role_from(s: &str) -> Option<StaffRole> {
    match s {
        "store_manager" => Some(StaffRole::StoreManager),
        "cashier" => Some(StaffRole::Cashier),
        _ => None,
    }
}

/// Every staff member of `store` known to this till, by username.
pub fn staff_of_store(conn: &Connection, store: &str) -> Result<Vec<(Staff, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, username, display_name, role, store, active, pin_hash
         FROM staff WHERE store = ?1 ORDER BY username, id",
    )?;
    let rows = stmt.query_map([store], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, bool>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, username, display_name, role, store, active, pin_hash) = row?;
        out.push((
            Staff {
                id: id.parse().map_err(|_| corrupt("staff id"))?,
                username,
                display_name,
                role: role_from(&role).ok_or_else(|| corrupt("staff role"))?,
                store,
                active,
            },
            pin_hash,
        ));
    }
    Ok(out)
}

fn pin_matches(pin: &str, hash: &str, who: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::warn!(staff = who, error = %e, "unreadable PIN hash; skipped");
            false
        }
    }
}

/// The active staff member of `store` whose PIN this is (checked offline
/// against the argon2id hashes). Refusals: [`TillError::InvalidInput`] for a
/// PIN that is not 4 to 8 digits, [`TillError::NoStaff`] when no PIN has
/// reached the till yet, [`TillError::StaffInactive`] for the PIN of a
/// deactivated person, [`TillError::WrongPin`] otherwise.
pub fn unlock(conn: &Connection, store: &str, pin: &str) -> Result<Staff> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TillError::InvalidInput("a PIN is 4 to 8 digits".into()));
    }
    let staff = staff_of_store(conn, store)?;
    if !staff.iter().any(|(_, h)| h.is_some()) {
        return Err(TillError::NoStaff);
    }
    // Active people first, so that an inactive person's old PIN never hides
    // an active person who chose the same digits.
    for (person, hash) in staff.iter().filter(|(p, _)| p.active) {
        if let Some(hash) = hash
            && pin_matches(pin, hash, &person.username)
        {
            tracing::info!(cashier = %person.username, "till unlocked with a PIN");
            return Ok(person.clone());
        }
    }
    for (person, hash) in staff.iter().filter(|(p, _)| !p.active) {
        if let Some(hash) = hash
            && pin_matches(pin, hash, &person.username)
        {
            tracing::warn!(cashier = %person.username, "PIN of a deactivated person refused");
            return Err(TillError::StaffInactive(person.display_name.clone()));
        }
    }
    tracing::warn!("wrong PIN refused");
    Err(TillError::WrongPin)
}

fn field_json(field: &MemberField) -> Result<String> {
    serde_json::to_string(field)
        .map_err(|e| TillError::Internal(format!("cannot encode member field: {e}")))
}

/// Apply one member field if `hlc` is newer than the stored one; `true` if it changed.
pub fn apply_member_set(conn: &Connection, m: &MemberSet, hlc: &Hlc) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO member_field(member, field, value, hlc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(member, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc
             WHERE excluded.hlc > member_field.hlc",
        )?
        .execute(params![
            m.member.to_string(),
            m.field.kind().as_str(),
            field_json(&m.field)?,
            db::hlc_to_text(hlc)
        ])?;
    Ok(n > 0)
}

/// The member with this id, or `None` when no field of theirs is known here.
pub fn load_member(conn: &Connection, id: &Uuid) -> Result<Option<Member>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM member_field WHERE member = ?1")?;
    let values = stmt
        .query_map([id.to_string()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if values.is_empty() {
        return Ok(None);
    }
    let mut m = Member {
        id: *id,
        ..Member::default()
    };
    for v in values {
        let field: MemberField = serde_json::from_str(&v).map_err(|_| corrupt("member field"))?;
        match field {
            MemberField::Phone(p) => m.phone = Some(p),
            MemberField::Name(n) => m.name = Some(n),
            MemberField::BirthYear(y) => m.birth_year = y,
            MemberField::HomeStore(s) => m.home_store = Some(s.to_string()),
            MemberField::SignedUpAtMs(t) => m.signed_up_at_ms = Some(t),
            MemberField::MarketingConsent(c) => m.marketing_consent = Some(c),
        }
    }
    Ok(Some(m))
}

/// Parse a phone number as typed into its member id.
pub fn member_id(phone: &str) -> Result<Uuid> {
    member_id_for_phone(phone).map_err(|e| TillError::InvalidInput(e.to_string()))
}

/// The member with this phone number, if this till knows them.
pub fn find_member(conn: &Connection, phone: &str) -> Result<Option<Member>> {
    load_member(conn, &member_id(phone)?)
}

/// Sign a member up (or update them) in the caller's write transaction:
/// `MemberSet` ops of scope `broadcast` in the outbox, applied locally too.
pub fn sign_up(conn: &Connection, req: &MemberSignUp) -> Result<SignUpOutcome> {
    let phone = normalise_phone(&req.phone).map_err(|e| TillError::InvalidInput(e.to_string()))?;
    let id = member_id(&phone)?;
    let name = req.name.trim().to_owned();
    let existing = load_member(conn, &id)?;
    let created = existing.is_none();
    let mut w = Writer::begin(conn)?;
    let mut fields = vec![
        MemberField::Phone(phone),
        MemberField::Name(name),
        MemberField::MarketingConsent(req.marketing_consent),
    ];
    if let Some(year) = req.birth_year {
        fields.push(MemberField::BirthYear(Some(year)));
    }
    if created {
        fields.push(MemberField::HomeStore(w.enrolment.store.clone()));
        fields.push(MemberField::SignedUpAtMs(w.now_ms()));
    }
    for field in fields {
        let set = MemberSet { member: id, field };
        check_member_set(0, &set).map_err(|e| {
            TillError::InvalidInput(match e {
                sync_proto::validate::OpRejection::Invalid { reason, .. } => reason,
                other => other.to_string(),
            })
        })?;
        let op = w.emit_to(
            Scope::Broadcast,
            sync_proto::op::OpBody::MemberSet(set.clone()),
        )?;
        let hlc = op.hlc;
        apply_member_set(conn, &set, &hlc)?;
    }
    let ops = w.finish()?;
    let member = load_member(conn, &id)?
        .ok_or_else(|| TillError::Internal("signed-up member vanished".into()))?;
    tracing::info!(member = %id, created, "member signed up at the till");
    Ok(SignUpOutcome {
        member,
        created,
        ops,
    })
}

/// Whether a member with this id has any field at this till.
pub fn member_exists(conn: &Connection, id: &Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM member_field WHERE member = ?1 LIMIT 1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The HLC of the winning write of one member field (for tests and tools).
pub fn member_field_hlc(
    conn: &Connection,
    id: &Uuid,
    kind: MemberFieldKind,
) -> Result<Option<Hlc>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT hlc FROM member_field WHERE member = ?1 AND field = ?2")?
        .query_row(params![id.to_string(), kind.as_str()], |r| r.get(0))
        .optional()?;
    Ok(text.and_then(|t| db::hlc_from_text(&t)))
}
