//! The engine against the brief's scenarios, hand-worked DST cases and a brute-force oracle.

mod brute;
mod cost;
mod oracle;
mod scenarios;

use std::collections::BTreeMap;
use timefence_terms::{Terms, TermsSpec};

/// Terms valid through 2024, the brief's year, for the tests below.
pub(crate) fn terms_2024(
    start: &str,
    end: &str,
    limit: Option<&str>,
    zone: &str,
    weekdays: Option<&[&str]>,
    seats: i64,
) -> Terms {
    TermsSpec {
        license_start_date: "2024-01-01".into(),
        license_end_date: "2024-12-31".into(),
        daily_start_time: start.into(),
        daily_end_time: end.into(),
        daily_time_consumption_limit: limit.map(Into::into),
        time_zone: zone.into(),
        weekdays: weekdays.map(|w| w.iter().map(|d| d.to_string()).collect()),
        seats,
        product: String::new(),
        features: BTreeMap::new(),
    }
    .validate()
    .unwrap()
}
