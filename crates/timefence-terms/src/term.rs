//! Terms of validity: how long a license runs, the default term of a new license, and the next
//! term of a renewal.
//!
//! A term that ends the day before the same day of a later month is counted in whole months
//! ("12 months"), and its renewal runs the same number of months; any other term is counted in
//! days and renewed for as many days.
//!
//! ```
//! use timefence_terms::{next_term, term_label};
//! let d = |t: &str| t.parse().unwrap();
//! assert_eq!(term_label(d("2027-01-01"), d("2027-12-31")), "12 months");
//! assert_eq!(next_term(d("2027-01-01"), d("2027-12-31"), None), Some((d("2028-01-01"), d("2028-12-31"))));
//! assert_eq!(next_term(d("2027-02-01"), d("2027-02-28"), None), Some((d("2027-03-01"), d("2027-03-31"))));
//! assert_eq!(term_label(d("2027-01-10"), d("2027-01-19")), "10 days");
//! ```

use crate::VALID_YEARS;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};

/// The length of a new license's term, in months.
pub const DEFAULT_TERM_MONTHS: u32 = 12;

/// Whole months from `start` to `end` (both included): the `n` for which `end` is the day
/// before `start` plus `n` months (1 January to 31 December is 12 months, and so is 28
/// November to 27 November of the next year).
fn whole_months(start: NaiveDate, end: NaiveDate) -> Option<u32> {
    if end < start {
        return None;
    }
    let after = end.succ_opt()?;
    let guess = (after.year() - start.year()) * 12 + after.month() as i32 - start.month() as i32;
    let months = u32::try_from(guess).ok().filter(|m| *m > 0)?;
    (start.checked_add_months(Months::new(months))? == after).then_some(months)
}

/// The term from `start` to `end` (both included) in words: "12 months", "1 month", "90 days",
/// "1 day".
pub fn term_label(start: NaiveDate, end: NaiveDate) -> String {
    match whole_months(start, end) {
        Some(1) => "1 month".to_string(),
        Some(n) => format!("{n} months"),
        None => match (end - start).num_days() + 1 {
            1 => "1 day".to_string(),
            n => format!("{n} days"),
        },
    }
}

/// The term after `start`..`end`: the same number of whole months (or days), starting the day
/// after `end`, or on `from` when given. `None` when it would leave the years a license may use.
pub fn next_term(
    start: NaiveDate,
    end: NaiveDate,
    from: Option<NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    let new_start = match from {
        Some(date) => date,
        None => end.succ_opt()?,
    };
    let new_end = match whole_months(start, end) {
        Some(months) => new_start
            .checked_add_months(Months::new(months))?
            .pred_opt()?,
        None => new_start + TimeDelta::days((end - start).num_days()),
    };
    (VALID_YEARS.contains(&new_start.year()) && VALID_YEARS.contains(&new_end.year()))
        .then_some((new_start, new_end))
}

/// The validity a new license gets: [`DEFAULT_TERM_MONTHS`] from the first day of next month,
/// or from `today` itself when it is drawn on today's timeline (so that it shows at once).
pub fn default_term(today: NaiveDate, from_today: bool) -> (NaiveDate, NaiveDate) {
    let start = if from_today {
        today
    } else {
        today
            .with_day(1)
            .and_then(|first| first.checked_add_months(Months::new(1)))
            .unwrap_or(today)
    };
    term_from(start)
}

/// The validity of a license drawn on the timeline of `shown`: from today when `shown` is
/// today; from the first day of the month shown when that month is still to come (drawing on
/// 1 January 2027 makes a 2027 license); otherwise from the first day of next month.
///
/// ```
/// use timefence_terms::term_for_drawing;
/// let d = |t: &str| t.parse().unwrap();
/// assert_eq!(term_for_drawing(d("2026-11-28"), d("2027-01-01")), (d("2027-01-01"), d("2027-12-31")));
/// assert_eq!(term_for_drawing(d("2026-11-28"), d("2026-11-28")), (d("2026-11-28"), d("2027-11-27")));
/// assert_eq!(term_for_drawing(d("2026-11-28"), d("2024-06-12")), (d("2026-12-01"), d("2027-11-30")));
/// ```
pub fn term_for_drawing(today: NaiveDate, shown: NaiveDate) -> (NaiveDate, NaiveDate) {
    match shown.with_day(1) {
        _ if shown == today => default_term(today, true),
        Some(first) if first > today => term_from(first),
        _ => default_term(today, false),
    }
}

/// A whole default term from `start`: [`DEFAULT_TERM_MONTHS`] months, its last day included
/// (2027-01-01 to 2027-12-31).
pub fn term_from(start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = start
        .checked_add_months(Months::new(DEFAULT_TERM_MONTHS))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn whole_months_renew_as_months_even_across_short_months_and_leap_years() {
        assert_eq!(
            next_term(d("2027-03-01"), d("2028-02-29"), None),
            Some((d("2028-03-01"), d("2029-02-28")))
        );
        assert_eq!(
            next_term(d("2027-01-01"), d("2027-03-31"), Some(d("2027-06-01"))),
            Some((d("2027-06-01"), d("2027-08-31")))
        );
        assert_eq!(term_label(d("2027-02-01"), d("2027-02-28")), "1 month");
    }

    #[test]
    fn other_terms_renew_by_days_and_the_last_valid_year_is_the_limit() {
        assert_eq!(
            next_term(d("2027-01-15"), d("2027-02-13"), None),
            Some((d("2027-02-14"), d("2027-03-15")))
        );
        assert_eq!(term_label(d("2027-01-15"), d("2027-02-13")), "30 days");
        assert_eq!(term_label(d("2027-01-15"), d("2027-01-15")), "1 day");
        assert_eq!(next_term(d("2099-01-01"), d("2099-12-31"), None), None);
    }

    #[test]
    fn a_new_license_runs_a_year_from_next_month_or_from_today() {
        assert_eq!(
            default_term(d("2026-11-28"), false),
            (d("2026-12-01"), d("2027-11-30"))
        );
        assert_eq!(
            default_term(d("2026-12-15"), false),
            (d("2027-01-01"), d("2027-12-31"))
        );
        assert_eq!(
            default_term(d("2026-11-28"), true),
            (d("2026-11-28"), d("2027-11-27"))
        );
        let (start, end) = default_term(d("2026-11-28"), false);
        assert_eq!(term_label(start, end), "12 months");
        let (start, end) = default_term(d("2026-11-28"), true);
        assert_eq!(term_label(start, end), "12 months");
        assert_eq!(
            next_term(start, end, None),
            Some((d("2027-11-28"), d("2028-11-27")))
        );
    }
}
