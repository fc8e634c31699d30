//! Query parameters the console handlers share: page sizes, location and SKU
//! filters, and report periods of business days. Each refuses bad input
//! with `400 invalid_input` and the same message wherever it is used.

use std::fmt::Display;
use std::str::FromStr;

use sync_proto::{IdError, LocationId, Sku};

use super::error::ApiError;
use super::reports::{api_to_hub, parse_date, today};
use crate::HubError;

/// A page size: `default` when absent, else 1..=`max`.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be 1..={max}")));
    }
    Ok(limit)
}

/// An id (`T`) from a query parameter in its canonical text (`None` when
/// absent or empty).
fn id_param<T>(v: Option<String>) -> Result<Option<String>, ApiError>
where
    T: FromStr<Err = IdError> + Display,
{
    match v.filter(|s| !s.is_empty()) {
        Some(s) => Ok(Some(
            s.parse::<T>()
                .map_err(|e| ApiError::invalid(e.to_string()))?
                .to_string(),
        )),
        None => Ok(None),
    }
}

/// Parse a location code from a query parameter (`None` when empty).
pub fn location_param(v: Option<String>) -> Result<Option<String>, ApiError> {
    id_param::<LocationId>(v)
}

/// Parse a SKU from a query parameter (`None` when empty).
pub fn sku_param(v: Option<String>) -> Result<Option<String>, ApiError> {
    id_param::<Sku>(v)
}

/// `from` and `to` dates (`YYYY-MM-DD`) as day numbers (`None` when absent
/// or empty).
pub fn date_params(
    from: Option<String>,
    to: Option<String>,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let day = |v: Option<String>| {
        v.filter(|s| !s.is_empty())
            .as_deref()
            .map(parse_date)
            .transpose()
    };
    let to = day(to)?;
    let from = day(from)?;
    Ok((from, to))
}

/// The period `from..=to` of a report in business days: `to` defaults to
/// today in the report offset, `from` to `days` days ending at `to`; from
/// after to, or more than 366 days, is refused.
pub fn period(
    offset_min: i32,
    from: Option<i64>,
    to: Option<i64>,
    days: i64,
) -> Result<(i64, i64), HubError> {
    let to = to.unwrap_or_else(|| today(offset_min));
    let from = from.unwrap_or(to - (days - 1));
    if from > to {
        return Err(api_to_hub(ApiError::invalid("from is after to")));
    }
    if to - from > 366 {
        return Err(api_to_hub(ApiError::invalid(
            "the period is at most 366 days",
        )));
    }
    Ok((from, to))
}

/// A store code from a path or body (`GN01`), with the id parser's message when it is not one.
pub fn store_param(raw: &str) -> Result<sync_proto::StoreId, ApiError> {
    raw.trim()
        .parse()
        .map_err(|e: sync_proto::IdError| ApiError::invalid(e.to_string()))
}

/// A UUID from a path (`what` names it in the message: "… is not a shipment id").
pub fn uuid_param(raw: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid(format!("{raw:?} is not a {what} id")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limit_defaults_and_bounds() {
        assert_eq!(page_limit(None, 100, 1000).expect("default"), 100);
        assert_eq!(page_limit(Some(1000), 100, 1000).expect("max"), 1000);
        for bad in [0, 1001] {
            let e = page_limit(Some(bad), 100, 1000).expect_err("out of range");
            assert_eq!(e.code, "invalid_input");
            assert_eq!(e.message, "limit must be 1..=1000");
        }
    }

    #[test]
    fn period_defaults_to_days_ending_today_and_refuses_bad_ranges() {
        assert_eq!(period(540, None, Some(100), 30).expect("period"), (71, 100));
        assert_eq!(
            period(540, Some(90), Some(100), 30).expect("period"),
            (90, 100)
        );
        assert!(period(540, Some(101), Some(100), 30).is_err());
        assert!(period(540, Some(0), Some(367), 30).is_err());
        assert!(period(540, Some(1), Some(367), 30).is_ok());
        assert_eq!(
            date_params(Some(String::new()), Some("2026-11-21".into())).expect("dates"),
            (None, Some(parse_date("2026-11-21").expect("date")))
        );
        assert_eq!(location_param(Some(String::new())).expect("empty"), None);
        assert!(sku_param(Some("not a sku!".into())).is_err());
    }
}
