//! What the team catalogue's tests share.

use timefence_terms::TermsSpec;

/// Terms for 2027 of `seats` seats of product "Timefence Demo", open `start` to `end` in UTC
/// every day.
pub fn terms_2027(seats: i64, start: &str, end: &str) -> TermsSpec {
    TermsSpec {
        product: "Timefence Demo".into(),
        seats,
        license_start_date: "2027-01-01".into(),
        license_end_date: "2027-12-31".into(),
        daily_start_time: start.into(),
        daily_end_time: end.into(),
        daily_time_consumption_limit: None,
        time_zone: "UTC".into(),
        weekdays: None,
        features: Default::default(),
    }
}
