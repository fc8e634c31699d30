//! Members: `GET /api/v1/members`, `POST /api/v1/members` and
//! `GET /api/v1/members/analytics`.
//!
//! Members are `MemberSet` ops (scope `broadcast`, one LWW register per
//! member and field); tills sign people up offline, HQ through this API
//! (ops of the hub's actor). The member id is derived from the phone number,
//! so the same person signed up twice converges. Purchase statistics come
//! from the tables the writer keeps per sale with a member.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use sync_proto::people::{MemberField, MemberSet, member_id_for_phone, normalise_phone};
use sync_proto::validate::MAX_TEXT;
use sync_proto::{OpBody, Scope, StoreId};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Hq;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::params::{date_params, location_param, page_limit, period};
use super::reports::{civil_from_days, date_text};
use crate::audit::{self, actions};
use crate::reports::{DAY_MS, report_offset_min};
use crate::{AppState, HubError, now_ms};

/// A member with purchase statistics.
#[derive(Debug, Clone, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct Member {
    /// Member id (UUIDv5 of the phone number).
    pub id: String,
    /// Normalised phone number.
    pub phone: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Year of birth.
    pub birth_year: Option<u16>,
    /// Store that signed them up.
    pub home_store: Option<String>,
    /// Sign-up time (ms).
    #[ts(type = "number | null")]
    pub signed_up_at_ms: Option<i64>,
    /// Agreed to marketing messages.
    pub marketing_consent: bool,
    /// Purchases (all time).
    #[ts(type = "number")]
    pub purchases: i64,
    /// Σ spent (all time).
    #[ts(type = "number")]
    pub spent: i64,
    /// Last purchase (ms).
    #[ts(type = "number | null")]
    pub last_purchase_ms: Option<i64>,
}

const MEMBER_SELECT: &str = "SELECT m.member, m.phone, m.name, m.birth_year, m.home_store,
        m.signed_up_at_ms, m.marketing_consent, s.purchases, s.spent, s.last_at_ms
     FROM members m LEFT JOIN member_stats s ON s.member = m.member";

fn member_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Member> {
    let id: Vec<u8> = r.get(0)?;
    Ok(Member {
        id: Uuid::from_slice(&id).unwrap_or_default().to_string(),
        phone: r.get(1)?,
        name: r.get(2)?,
        birth_year: r.get(3)?,
        home_store: r.get(4)?,
        signed_up_at_ms: r.get(5)?,
        marketing_consent: r.get::<_, Option<bool>>(6)?.unwrap_or(false),
        purchases: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
        spent: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
        last_purchase_ms: r.get(9)?,
    })
}

/// Filter of the member list.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Part of the name or phone number.
    pub q: Option<String>,
    /// Home store (a store manager always gets their own).
    pub store: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A page of members.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MemberPage {
    /// Members, newest sign-up first.
    pub items: Vec<Member>,
    /// Members matching the filter.
    #[ts(type = "number")]
    pub total: u64,
}

/// List members.
#[utoipa::path(
    get, path = "/api/v1/members", tag = "members",
    params(MembersQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Members", body = MemberPage),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody))
)]
pub async fn list_members(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> Result<axum::Json<MemberPage>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let limit = page_limit(q.limit, 100, 1000)?;
    let offset = q.offset.unwrap_or(0);
    let like = match q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_TEXT => {
            return Err(ApiError::invalid(format!(
                "q is longer than {MAX_TEXT} bytes"
            )));
        }
        Some(s) => {
            // A phone number typed with dashes still matches the stored digits.
            let digits = normalise_phone(&s).unwrap_or_else(|_| s.clone());
            let clean = |t: &str| {
                t.chars()
                    .filter(|c| *c != '%' && *c != '_')
                    .collect::<String>()
            };
            Some((format!("%{}%", clean(&s)), format!("%{}%", clean(&digits))))
        }
        None => None,
    };
    let (name_like, phone_like) = match like {
        Some((n, p)) => (Some(n), Some(p)),
        None => (None, None),
    };
    let page = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let filter = "(?1 IS NULL OR m.home_store = ?1)
                AND (?2 IS NULL OR m.name LIKE ?2 OR m.phone LIKE ?3)";
            let total: i64 = tx.query_row(
                &format!("SELECT COUNT(*) FROM members m WHERE {filter}"),
                params![store, name_like, phone_like],
                |r| r.get(0),
            )?;
            let items = {
                let mut st = tx.prepare_cached(&format!(
                    "{MEMBER_SELECT} WHERE {filter}
                     ORDER BY m.signed_up_at_ms DESC, m.member LIMIT ?4 OFFSET ?5"
                ))?;
                let rows = st.query_map(
                    params![store, name_like, phone_like, limit, offset],
                    member_from_row,
                )?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            tx.finish()?;
            Ok(MemberPage {
                items,
                total: total as u64,
            })
        })
        .await?;
    Ok(axum::Json(page))
}

/// A member to sign up.
#[derive(Debug, Deserialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MemberInput {
    /// Phone number (8-15 digits; `+`, spaces and dashes allowed).
    pub phone: String,
    /// Name.
    pub name: String,
    /// Year of birth.
    pub birth_year: Option<u16>,
    /// Agreed to marketing messages.
    pub marketing_consent: bool,
    /// Home store (a store manager's is always their own).
    pub store: Option<String>,
}

/// Sign a member up (MemberSet ops to every till).
#[utoipa::path(
    post, path = "/api/v1/members", tag = "members",
    request_body = MemberInput,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Signed up", body = Member),
              (status = 400, description = "Invalid input", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody),
              (status = 404, description = "Unknown store", body = ErrorBody),
              (status = 409, description = "A member with this phone number exists", body = ErrorBody))
)]
pub async fn create_member(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiJson(req): ApiJson<MemberInput>,
) -> Result<(StatusCode, axum::Json<Member>), ApiError> {
    hq.require_writer()?;
    // A store manager's members belong to their store; HQ may name one.
    let store = hq.scope_store(location_param(req.store)?)?;
    let phone = normalise_phone(&req.phone).map_err(|e| ApiError::invalid(e.to_string()))?;
    let id = member_id_for_phone(&phone).map_err(|e| ApiError::invalid(e.to_string()))?;
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.len() > MAX_TEXT || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "name must be 1-{MAX_TEXT} bytes of printable text"
        )));
    }
    let this_year = civil_from_days(now_ms() as i64 / DAY_MS).0;
    if let Some(y) = req.birth_year
        && !(1900..=this_year).contains(&i64::from(y))
    {
        return Err(ApiError::invalid(format!(
            "birth_year {y} is not between 1900 and {this_year}"
        )));
    }
    let store_id: Option<StoreId> = store
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))?;
    let hq2 = hq.clone();
    let now = now_ms();
    let (birth_year, consent) = (req.birth_year, req.marketing_consent);
    let phone2 = phone.clone();
    state
        .writer
        .call(6, move |ap| {
            if let Some(s) = &store_id {
                let known = ap
                    .conn
                    .prepare_cached("SELECT 1 FROM stores WHERE code = ?1")?
                    .exists([s.as_str()])?;
                if !known {
                    return Err(HubError::rejected(
                        404,
                        "unknown_store",
                        format!("no store {s}"),
                    ));
                }
            }
            let exists = ap
                .conn
                .prepare_cached("SELECT 1 FROM members WHERE member = ?1 AND phone IS NOT NULL")?
                .exists([id.as_bytes().as_slice()])?;
            if exists {
                return Err(HubError::rejected(
                    409,
                    "member_exists",
                    format!("a member with phone {phone2} exists"),
                ));
            }
            let mut fields = vec![
                MemberField::Phone(phone2.clone()),
                MemberField::Name(name),
                MemberField::BirthYear(birth_year),
                MemberField::SignedUpAtMs(now),
                MemberField::MarketingConsent(consent),
            ];
            if let Some(s) = store_id {
                fields.push(MemberField::HomeStore(s));
            }
            for field in fields {
                ap.hub_op(
                    Scope::Broadcast,
                    OpBody::MemberSet(MemberSet { member: id, field }),
                )?;
            }
            audit::record(
                ap.conn,
                &hq2,
                actions::MEMBER_CREATE,
                &id.to_string(),
                serde_json::json!({"phone": phone2}),
            )
        })
        .await?;
    let member = state
        .reads
        .read(move |c| {
            Ok(
                c.prepare_cached(&format!("{MEMBER_SELECT} WHERE m.member = ?1"))?
                    .query_row([id.as_bytes().as_slice()], member_from_row)?,
            )
        })
        .await?;
    tracing::info!(user = %hq.username, member = %member.id, "member signed up");
    Ok((StatusCode::CREATED, axum::Json(member)))
}

/// Query of the member analytics.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberAnalyticsQuery {
    /// First local day (default 29 days before `to`).
    pub from: Option<String>,
    /// Last local day, inclusive (default today).
    pub to: Option<String>,
    /// One store: members it signed up, purchases made there.
    pub store: Option<String>,
}

/// Sign-ups of one day.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct SignupDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Members signed up.
    #[ts(type = "number")]
    pub count: i64,
}

/// Purchases of an age band in a category.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct AgeBandCategory {
    /// `10s`, `20s`, … or `unknown`.
    pub band: String,
    /// Category (`""` when the product has none).
    pub category: String,
    /// Units bought.
    #[ts(type = "number")]
    pub qty: i64,
    /// Amount spent.
    #[ts(type = "number")]
    pub revenue: i64,
}

/// Member analytics over a period.
#[derive(Debug, Serialize, ToSchema, ts_rs::TS)]
#[ts(export)]
pub struct MemberAnalytics {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Store filter.
    pub store: Option<String>,
    /// Members now (of the store when filtered).
    #[ts(type = "number")]
    pub members_total: i64,
    /// Sign-ups per day of the period (days without any are left out).
    pub signups: Vec<SignupDay>,
    /// Members with at least one purchase in the period.
    #[ts(type = "number")]
    pub purchasers: i64,
    /// Members with at least two purchases in the period.
    #[ts(type = "number")]
    pub repeat_purchasers: i64,
    /// repeat_purchasers / purchasers (0 when none).
    pub repeat_rate: f64,
    /// Purchases by age band (age at the end of the period) × category.
    pub age_bands: Vec<AgeBandCategory>,
}

/// Sign-ups, repeat rate, and purchases by age band × category.
#[utoipa::path(
    get, path = "/api/v1/members/analytics", tag = "members",
    params(MemberAnalyticsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Analytics", body = MemberAnalytics),
              (status = 400, description = "Invalid query", body = ErrorBody),
              (status = 401, description = "Not logged in", body = ErrorBody),
              (status = 403, description = "Store not visible to this user", body = ErrorBody))
)]
pub async fn member_analytics(
    State(state): State<Arc<AppState>>,
    hq: Hq,
    ApiQuery(q): ApiQuery<MemberAnalyticsQuery>,
) -> Result<axum::Json<MemberAnalytics>, ApiError> {
    let store = hq.scope_store(location_param(q.store)?)?;
    let (from, to) = date_params(q.from, q.to)?;
    let out = state
        .reads
        .read(move |c| {
            let tx = c.transaction()?;
            let offset = report_offset_min(&tx)?;
            let (from, to) = period(offset, from, to, 30)?;
            let off_ms = i64::from(offset) * 60_000;
            let members_total: i64 = tx.query_row(
                "SELECT COUNT(*) FROM members WHERE phone IS NOT NULL AND (?1 IS NULL OR home_store = ?1)",
                params![store],
                |r| r.get(0),
            )?;
            let signups = {
                let mut st = tx.prepare_cached(
                    "SELECT (signed_up_at_ms + ?1) / 86400000 AS d, COUNT(*) FROM members
                     WHERE signed_up_at_ms >= ?2 AND signed_up_at_ms < ?3
                       AND (?4 IS NULL OR home_store = ?4)
                     GROUP BY d ORDER BY d",
                )?;
                let rows = st.query_map(
                    params![off_ms, from * DAY_MS - off_ms, (to + 1) * DAY_MS - off_ms, store],
                    |r| {
                        Ok(SignupDay {
                            date: date_text(r.get(0)?),
                            count: r.get(1)?,
                        })
                    },
                )?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            let (purchasers, repeat_purchasers): (i64, i64) = tx.query_row(
                "SELECT COUNT(*), COALESCE(SUM(n >= 2), 0) FROM (
                   SELECT member, SUM(purchases) AS n FROM member_day
                   WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR store = ?3)
                   GROUP BY member)",
                params![from, to, store],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let end_year = civil_from_days(to).0;
            let mut bands: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
            {
                let mut st = tx.prepare_cached(
                    "SELECT m.birth_year, COALESCE(p.category, ''), SUM(t.qty), SUM(t.revenue)
                     FROM member_day_sku t
                     LEFT JOIN members m ON m.member = t.member
                     LEFT JOIN product p ON p.sku = t.sku
                     WHERE t.day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR t.store = ?3)
                     GROUP BY 1, 2",
                )?;
                let mut rows = st.query(params![from, to, store])?;
                while let Some(r) = rows.next()? {
                    let birth: Option<i64> = r.get(0)?;
                    let band = match birth {
                        Some(y) if y <= end_year => format!("{}s", (end_year - y) / 10 * 10),
                        _ => "unknown".to_owned(),
                    };
                    let e = bands.entry((band, r.get(1)?)).or_default();
                    e.0 += r.get::<_, i64>(2)?;
                    e.1 += r.get::<_, i64>(3)?;
                }
            }
            tx.finish()?;
            Ok(MemberAnalytics {
                from: date_text(from),
                to: date_text(to),
                store,
                members_total,
                signups,
                purchasers,
                repeat_purchasers,
                repeat_rate: if purchasers > 0 {
                    repeat_purchasers as f64 / purchasers as f64
                } else {
                    0.0
                },
                age_bands: bands
                    .into_iter()
                    .map(|((band, category), (qty, revenue))| AgeBandCategory {
                        band,
                        category,
                        qty,
                        revenue,
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(axum::Json(out))
}
