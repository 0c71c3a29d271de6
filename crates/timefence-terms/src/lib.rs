//! # timefence-terms: the license terms engine
//!
//! A *daily time-fenced* license may be used only inside a daily window (DailyStartTime to
//! DailyEndTime) and/or up to a daily amount (DailyTimeConsumptionLimit), on top of its
//! validity dates (LicenseStartDate to LicenseEndDate, inclusive) and seats. This crate holds
//! the rules, and nothing else: no IO, no clock reading, no storage.
//!
//! - [`TermsSpec`] is the text form; [`TermsSpec::validate`] turns it into [`Terms`] or lists
//!   every problem at once ([`InvalidTerms`]).
//! - [`evaluate`] answers "may it be used at this instant?" ([`Decision`]).
//! - [`Terms::occurrences`] lists the window openings over any interval.
//! - [`Coverage`] gives concurrent seats over a day of any display zone, [`segments`] the bars.
//! - [`cost_preview`] prices a schedule against one traditional 24-hour license; [`Forecast`]
//!   gives a vendor's demand across customers; [`eco`] turns a carbon budget into daily hours.
//!
//! ## Semantics
//! - **Wall clock.** Windows and dates follow the wall clock of the license's IANA zone.
//! - **DST.** A wall time the clock skips (spring forward) is moved later by the gap: 02:30
//!   becomes 03:30. A wall time the clock shows twice (fall back) means its first occurrence.
//!   This is ECMAScript Temporal's "compatible" disambiguation, java.time's rule and Python
//!   zoneinfo's `fold=0` ([`resolve_local`]). A window squeezed to nothing by a gap does not
//!   open that day; a window that a gap would stretch past the next day's opening closes when
//!   the next one opens, so occurrences never overlap.
//! - **Midnight.** `end < start` crosses midnight (22:00-06:00 closes the next morning);
//!   `start == end`, or 00:00-24:00, is the whole day; `24:00` is a valid end. The brief's
//!   `23:59:59` is read as written: the window closes one second before midnight.
//! - **The consumption day** is the window occurrence, keyed by the local date on which it
//!   opens: a 22:00-06:00 shift is one day of consumption. For a whole-day window opening at
//!   00:00 that is the local calendar day. The limit counts real elapsed time, so on a DST
//!   day a 3 h limit is still 3 hours.
//! - **Weekdays and validity** apply to the date a window opens on: Friday's night shift runs
//!   into Saturday morning even when Saturday is excluded, and a shift opening on the last
//!   valid date runs to its end.
//!
//! ```
//! use timefence_terms::{evaluate, Decision, DenyReason, TermsSpec};
//! let spec: TermsSpec = serde_json::from_str(r#"{
//!     "license_start_date": "2024-01-01", "license_end_date": "2024-12-31",
//!     "daily_start_time": "22:00", "daily_end_time": "06:00",
//!     "time_zone": "Europe/Paris", "seats": 20 }"#).unwrap();
//! let terms = spec.validate().unwrap();
//! // 03:00 in Paris on 2 May belongs to the shift that opened on 1 May.
//! let at = "2024-05-02T01:00:00Z".parse().unwrap();
//! let Decision::Allowed { occurrence, .. } = evaluate(&terms, at, chrono::TimeDelta::zero()) else { panic!() };
//! assert_eq!(occurrence.date.to_string(), "2024-05-01");
//! // At noon the window is shut until 22:00 Paris time (20:00 UTC).
//! let noon = "2024-05-02T10:00:00Z".parse().unwrap();
//! assert_eq!(
//!     evaluate(&terms, noon, chrono::TimeDelta::zero()),
//!     Decision::Denied {
//!         reason: DenyReason::OutsideWindow,
//!         next_opening: Some("2024-05-02T20:00:00Z".parse().unwrap()),
//!     }
//! );
//! ```
#![deny(missing_docs)]

pub mod brief;
mod clock;
mod cost;
mod coverage;
pub mod eco;
mod evaluate;
mod ics;
mod occurrence;
mod term;
mod terms;

pub use chrono;
pub use chrono_tz;
pub use clock::{
    format_duration, local_date, parse_duration, resolve_local, WallTime, SECONDS_PER_DAY,
};
pub use cost::seats_text;
pub use cost::{
    baseline_formula, cost_preview, currency_digits, format_count, format_money, parse_money,
    schedule_cost, Amount, CostPreview, CurrencyTotal, LicenseCharge, LicenseCost, PriceSchedule,
    Priced, Pricing, Rounding, ScheduleCost,
};
pub use coverage::{
    default_view_date, segments, Coverage, DayView, DisplayDay, Forecast, HourMark, Segment, Step,
};
pub use evaluate::{evaluate, Decision, DenyReason};
pub use ics::{icalendar, CalendarEvent};
pub use occurrence::Occurrence;
pub use term::{
    default_term, next_term, term_for_drawing, term_from, term_label, DEFAULT_TERM_MONTHS,
};
pub use terms::{
    DailyWindow, InvalidTerms, Terms, TermsField, TermsProblem, TermsSpec, Weekdays, MAX_SEATS,
    VALID_YEARS,
};

/// The release of the IANA time zone database compiled into this build (e.g. `2025b`).
pub fn tzdata_version() -> &'static str {
    chrono_tz::IANA_TZDB_VERSION
}

/// A program's version line with the time zone database it carries: `0.1.0 (tzdata 2025b)`.
/// Leaked once per run, because clap keeps a `&'static str`.
pub fn version_line(version: &str) -> &'static str {
    Box::leak(format!("{version} (tzdata {})", tzdata_version()).into_boxed_str())
}

/// The oldest IANA time zone database release this project accepts. Raising it is the
/// deliberate step an upgrade takes; a test fails when the compiled release is older.
pub const PINNED_TZDATA: &str = "2025b";

#[cfg(test)]
mod tzdata_tests {
    use super::*;

    #[test]
    fn the_bundled_time_zone_database_is_not_older_than_the_pinned_release() {
        // Releases are a year and a letter ("2025b"); equal years order by the letter.
        let (bundled, pinned) = (tzdata_version(), PINNED_TZDATA);
        let split = |r: &'static str| (r[..4].parse::<u32>().unwrap(), &r[4..]);
        assert!(
            split(bundled) >= split(pinned),
            "the bundled tzdata {bundled} is older than the pinned {pinned}: upgrade chrono-tz, or lower the pin deliberately"
        );
    }
}
