//! The examples of the brief, as terms: its three cases, the BPO shifts and the scenarios.
//!
//! They seed the demo catalogue and name the tests that prove the engine reads the brief as
//! written.

use crate::terms::{Terms, TermsSpec};
use std::collections::BTreeMap;

fn year_2024(start: &str, end: &str, limit: Option<&str>, zone: &str, seats: i64) -> TermsSpec {
    TermsSpec {
        license_start_date: "2024-01-01".into(),
        license_end_date: "2024-12-31".into(),
        daily_start_time: start.into(),
        daily_end_time: end.into(),
        daily_time_consumption_limit: limit.map(Into::into),
        time_zone: zone.into(),
        weekdays: None,
        seats,
        product: "Timefence demo".into(),
        features: BTreeMap::new(),
    }
}

fn build(spec: TermsSpec) -> Terms {
    // The specs above are constants of this module; the tests below validate every one.
    spec.validate()
        .unwrap_or_else(|e| unreachable!("brief example is invalid: {e}"))
}

/// Reads the brief's DailyTimeConsumptionLimit: its "24 h" means no limit.
pub fn limit_from_brief(hours: u32) -> Option<String> {
    (hours < 24).then(|| format!("{hours}h"))
}

/// Case 1: a fixed window, 09:00:00-17:00:00, no daily limit (the brief's 24 h).
pub fn case_1_fixed_window() -> Terms {
    build(year_2024(
        "09:00:00",
        "17:00:00",
        limit_from_brief(24).as_deref(),
        "UTC",
        1,
    ))
}

/// Case 2: no fixed window (00:00:00-23:59:59, read as written), a 3 h daily limit.
pub fn case_2_daily_limit() -> Terms {
    build(year_2024(
        "00:00:00",
        "23:59:59",
        limit_from_brief(3).as_deref(),
        "UTC",
        1,
    ))
}

/// Case 3: a fixed window, 09:00:00-17:00:00, and a 3 h daily limit.
pub fn case_3_window_and_limit() -> Terms {
    build(year_2024(
        "09:00:00",
        "17:00:00",
        limit_from_brief(3).as_deref(),
        "UTC",
        1,
    ))
}

/// One of the BPO's three shift licenses.
#[derive(Debug, Clone)]
pub struct Shift {
    /// The licence's name.
    pub name: &'static str,
    /// Its terms.
    pub terms: Terms,
}

/// The BPO working in shifts (times in UTC): India 100 seats 00:00-08:00, Philippines 200
/// seats 08:00-16:00, Brazil 50 seats 16:00-24:00.
pub fn bpo_shifts() -> Vec<Shift> {
    vec![
        Shift {
            name: "L1 India",
            terms: build(year_2024("00:00", "08:00", None, "UTC", 100)),
        },
        Shift {
            name: "L2 Philippines",
            terms: build(year_2024("08:00", "16:00", None, "UTC", 200)),
        },
        Shift {
            name: "L3 Brazil",
            terms: build(year_2024("16:00", "24:00", None, "UTC", 50)),
        },
    ]
}

/// Business-hours support: Monday to Friday, 09:00-17:00 in the customer's zone.
pub fn business_hours_support(zone: &str) -> Result<Terms, crate::InvalidTerms> {
    let mut spec = year_2024("09:00", "17:00", None, zone, 5);
    spec.weekdays = Some(
        ["Mon", "Tue", "Wed", "Thu", "Fri"]
            .map(String::from)
            .to_vec(),
    );
    spec.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_brief_example_is_valid() {
        case_1_fixed_window();
        case_2_daily_limit();
        case_3_window_and_limit();
        assert_eq!(bpo_shifts().len(), 3);
        assert!(business_hours_support("Europe/Berlin").is_ok());
    }

    #[test]
    fn the_brief_s_24_hours_means_no_limit() {
        assert_eq!(limit_from_brief(24), None);
        assert_eq!(case_1_fixed_window().daily_limit, None);
    }
}
