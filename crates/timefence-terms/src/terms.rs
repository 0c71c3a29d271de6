//! License terms: the validated model ([`Terms`]) and its plain-text form ([`TermsSpec`]).

use crate::clock::{format_duration, parse_duration, WallTime, SECONDS_PER_DAY};
use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The days of the week a daily window applies on, keyed by the local date on which it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

impl Weekdays {
    /// Every day of the week.
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);

    /// The set holding exactly `days`.
    pub fn of(days: &[Weekday]) -> Weekdays {
        Weekdays(
            days.iter()
                .fold(0, |bits, d| bits | 1 << d.num_days_from_monday()),
        )
    }

    /// The set from its bit form (bit 0 is Monday); `None` for bits beyond Sunday.
    pub fn from_bits(bits: u8) -> Option<Weekdays> {
        (bits <= 0b111_1111).then_some(Weekdays(bits))
    }

    /// The bit form: bit 0 is Monday, bit 6 Sunday.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Whether no day is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days in the set, Monday first.
    pub fn days(self) -> Vec<Weekday> {
        ALL_WEEKDAYS
            .into_iter()
            .filter(|d| self.contains(*d))
            .collect()
    }

    /// Whether the window opens on each day of the week, Monday first.
    pub fn flags(self) -> [bool; 7] {
        ALL_WEEKDAYS.map(|d| self.contains(d))
    }

    /// Short English names (`Mon`, `Tue`, ...), Monday first.
    pub fn names(self) -> Vec<String> {
        self.days().iter().map(|d| d.to_string()).collect()
    }
}

const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A daily window in wall-clock time.
///
/// - `start < end`: the window opens and closes on the same local date (`end` may be `24:00`);
/// - `end < start`: the window crosses midnight and closes on the next local date (22:00-06:00);
/// - `start == end`, or `00:00`-`24:00`: the whole day, 24 wall-clock hours from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DailyWindow {
    start: WallTime,
    end: WallTime,
}

impl DailyWindow {
    /// A window from `start` to `end`; `None` when `start` is `24:00`.
    pub fn new(start: WallTime, end: WallTime) -> Option<DailyWindow> {
        (start < WallTime::END_OF_DAY).then_some(DailyWindow { start, end })
    }

    /// The whole day, midnight to midnight.
    pub fn whole_day() -> DailyWindow {
        DailyWindow {
            start: WallTime::MIDNIGHT,
            end: WallTime::END_OF_DAY,
        }
    }

    /// When the window opens.
    pub fn start(self) -> WallTime {
        self.start
    }

    /// When the window closes.
    pub fn end(self) -> WallTime {
        self.end
    }

    /// Whether the window closes on the day after it opens (crossing midnight, or a whole day
    /// that starts later than 00:00).
    pub fn closes_next_day(self) -> bool {
        self.end <= self.start
    }

    /// Whether the window covers 24 wall-clock hours.
    pub fn is_whole_day(self) -> bool {
        self.nominal_length_seconds() == SECONDS_PER_DAY
    }

    /// The window's length in wall-clock seconds, as on a day without a DST change.
    pub fn nominal_length_seconds(self) -> u32 {
        let (s, e) = (self.start.seconds(), self.end.seconds());
        if e > s {
            e - s
        } else {
            // `end` cannot be 24:00 here, since `start` is always before 24:00.
            SECONDS_PER_DAY - s + e
        }
    }

    /// The window in words for the form's hint: "whole day (24 h)", "8 h", "10 h, ends the
    /// next day". A start equal to the end is the whole day, which the hint says so that
    /// 09:00-09:00 is never taken for an empty window.
    ///
    /// ```
    /// use timefence_terms::{DailyWindow, WallTime};
    /// let w = |a, b| DailyWindow::new(WallTime::parse(a).unwrap(), WallTime::parse(b).unwrap()).unwrap();
    /// assert_eq!(w("09:00", "09:00").describe(), "whole day (24 h)");
    /// assert_eq!(w("22:00", "06:00").describe(), "8 h, ends the next day");
    /// assert_eq!(w("09:00", "17:30").describe(), "8 h 30 min");
    /// ```
    pub fn describe(self) -> String {
        if self.is_whole_day() {
            return "whole day (24 h)".to_string();
        }
        let seconds = self.nominal_length_seconds();
        let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
        let length = match (hours, minutes) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        };
        if self.closes_next_day() {
            format!("{length}, ends the next day")
        } else {
            length
        }
    }
}

impl fmt::Display for DailyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Validated license terms. Build them with [`TermsSpec::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// LicenseStartDate: the first local date on which a window may open.
    pub start_date: NaiveDate,
    /// LicenseEndDate: the last local date on which a window may open (inclusive).
    pub end_date: NaiveDate,
    /// DailyStartTime and DailyEndTime.
    pub window: DailyWindow,
    /// DailyTimeConsumptionLimit, in real elapsed time; `None` means no limit.
    pub daily_limit: Option<TimeDelta>,
    /// The IANA zone whose wall clock the window and dates follow.
    pub zone: Tz,
    /// The days on which a window opens.
    pub weekdays: Weekdays,
    /// Concurrent seats.
    pub seats: u32,
    /// The product the license is for.
    pub product: String,
    /// Free-form features, carried as they are.
    pub features: BTreeMap<String, String>,
}

impl Terms {
    /// Whether a window opening on `date` belongs to the license (dates and weekdays).
    pub fn opens_on(&self, date: NaiveDate) -> bool {
        date >= self.start_date && date <= self.end_date && self.weekdays.contains(date.weekday())
    }

    /// The plain-text form of these terms.
    pub fn to_spec(&self) -> TermsSpec {
        TermsSpec {
            license_start_date: self.start_date.to_string(),
            license_end_date: self.end_date.to_string(),
            daily_start_time: self.window.start().to_string(),
            daily_end_time: self.window.end().to_string(),
            daily_time_consumption_limit: self.daily_limit.map(format_duration),
            time_zone: self.zone.name().to_string(),
            weekdays: if self.weekdays == Weekdays::EVERY_DAY {
                None
            } else {
                Some(self.weekdays.names())
            },
            seats: i64::from(self.seats),
            product: self.product.clone(),
            features: self.features.clone(),
        }
    }
}

/// License terms as text, the way files, forms and the catalogue's columns hold them.
///
/// Field names follow the brief (LicenseStartDate becomes `license_start_date`, and so on).
/// Dates are `YYYY-MM-DD`, times `HH:MM[:SS]` (`24:00` allowed as an end), the limit a
/// duration such as `3h`, `1h30m` or `03:00:00`, weekdays short English names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsSpec {
    /// LicenseStartDate, `YYYY-MM-DD`.
    pub license_start_date: String,
    /// LicenseEndDate, `YYYY-MM-DD`, inclusive.
    pub license_end_date: String,
    /// DailyStartTime, `HH:MM[:SS]`.
    pub daily_start_time: String,
    /// DailyEndTime, `HH:MM[:SS]`; `24:00` for midnight at the end of the day.
    pub daily_end_time: String,
    /// DailyTimeConsumptionLimit; absent for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_time_consumption_limit: Option<String>,
    /// An IANA zone name; UTC when absent.
    #[serde(default = "default_zone")]
    pub time_zone: String,
    /// Days the window opens on; every day when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<String>>,
    /// Concurrent seats (at least 1).
    pub seats: i64,
    /// The product.
    #[serde(default)]
    pub product: String,
    /// Free-form features.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, String>,
}

fn default_zone() -> String {
    "UTC".to_string()
}

/// The fields of [`TermsSpec`], so that a form can put a message beside the right input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermsField {
    /// `license_start_date`
    LicenseStartDate,
    /// `license_end_date`
    LicenseEndDate,
    /// `daily_start_time`
    DailyStartTime,
    /// `daily_end_time`
    DailyEndTime,
    /// `daily_time_consumption_limit`
    DailyTimeConsumptionLimit,
    /// `time_zone`
    TimeZone,
    /// `weekdays`
    Weekdays,
    /// `seats`
    Seats,
}

/// One problem with a [`TermsSpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsProblem {
    /// A date that is not `YYYY-MM-DD` or does not exist.
    #[error("{field:?} \"{value}\" is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31")]
    MalformedDate {
        /// Which date.
        field: TermsField,
        /// What was given.
        value: String,
    },
    /// A date outside the years a license may use.
    #[error("{field:?} \"{value}\" is outside the years 1970 to 2099 that a license may use")]
    YearOutOfRange {
        /// Which date.
        field: TermsField,
        /// What was given.
        value: String,
    },
    /// The end date is earlier than the start date.
    #[error("the license ends ({end}) before it starts ({start})")]
    EndDateBeforeStartDate {
        /// LicenseStartDate.
        start: NaiveDate,
        /// LicenseEndDate.
        end: NaiveDate,
    },
    /// A time that is not `HH:MM[:SS]` on a 24-hour clock.
    #[error("{field:?} \"{value}\" is not a time of day; write it as HH:MM or HH:MM:SS, from 00:00 to 24:00")]
    MalformedTime {
        /// Which time.
        field: TermsField,
        /// What was given.
        value: String,
    },
    /// The window cannot open at 24:00.
    #[error("the daily window cannot start at 24:00; start it at 00:00")]
    StartAtEndOfDay,
    /// A limit that is not a duration.
    #[error("daily limit \"{value}\" is not a duration; write it as 3h, 1h30m or 03:00:00")]
    MalformedDuration {
        /// What was given.
        value: String,
    },
    /// A limit of zero.
    #[error("a daily limit must be longer than zero; leave it empty for no limit")]
    LimitNotPositive,
    /// A limit longer than the window it limits.
    #[error("the daily limit ({limit}) is longer than the daily window ({window}); shorten it or leave it empty for no limit")]
    LimitLongerThanWindow {
        /// The limit, formatted.
        limit: String,
        /// The window's length, formatted.
        window: String,
    },
    /// A zone name that is not in the IANA database.
    #[error("\"{value}\" is not an IANA time zone name (e.g. Europe/Paris, Asia/Kolkata, UTC)")]
    UnknownZone {
        /// What was given.
        value: String,
    },
    /// A weekday name that is not one.
    #[error("\"{value}\" is not a weekday; use Mon, Tue, Wed, Thu, Fri, Sat or Sun")]
    UnknownWeekday {
        /// What was given.
        value: String,
    },
    /// An empty list of weekdays.
    #[error("the window must apply on at least one weekday")]
    NoWeekdays,
    /// Zero, negative or absurdly many seats.
    #[error("seats must be a whole number from 1 to 1,000,000, not {value}")]
    SeatsOutOfRange {
        /// What was given.
        value: i64,
    },
}

impl TermsProblem {
    /// The field the problem is about (the end date for a date range, the limit for a limit
    /// longer than its window).
    pub fn field(&self) -> TermsField {
        match self {
            TermsProblem::MalformedDate { field, .. }
            | TermsProblem::YearOutOfRange { field, .. }
            | TermsProblem::MalformedTime { field, .. } => *field,
            TermsProblem::EndDateBeforeStartDate { .. } => TermsField::LicenseEndDate,
            TermsProblem::StartAtEndOfDay => TermsField::DailyStartTime,
            TermsProblem::MalformedDuration { .. }
            | TermsProblem::LimitNotPositive
            | TermsProblem::LimitLongerThanWindow { .. } => TermsField::DailyTimeConsumptionLimit,
            TermsProblem::UnknownZone { .. } => TermsField::TimeZone,
            TermsProblem::UnknownWeekday { .. } | TermsProblem::NoWeekdays => TermsField::Weekdays,
            TermsProblem::SeatsOutOfRange { .. } => TermsField::Seats,
        }
    }
}

/// Every problem found in one [`TermsSpec`], in field order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidTerms {
    /// The problems, never empty.
    pub problems: Vec<TermsProblem>,
}

/// The most seats one license may carry.
pub const MAX_SEATS: i64 = 1_000_000;

/// The years a license's validity dates may fall in. Bounded so that every date computed
/// from them (a day after the end, an occurrence's close, a calendar's zone walk) stays in
/// range and takes bounded time, and to the years the bundled time zone tables describe:
/// they list each zone's transitions up to 2099 and repeat no rule after it, so a window in
/// 2150 would silently lose its daylight saving time.
pub const VALID_YEARS: std::ops::RangeInclusive<i32> = 1970..=2099;

impl TermsSpec {
    /// Checks every field and returns the terms, or all the problems at once.
    pub fn validate(&self) -> Result<Terms, InvalidTerms> {
        let mut problems = Vec::new();
        let mut date = |field, value: &str| {
            let parsed = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok();
            match parsed {
                None => problems.push(TermsProblem::MalformedDate {
                    field,
                    value: value.to_string(),
                }),
                // Years far out (`+262143-01-01` parses) overflow date arithmetic downstream
                // and make calendars walk for ever; a license lives in these years.
                Some(d) if !VALID_YEARS.contains(&d.year()) => {
                    problems.push(TermsProblem::YearOutOfRange {
                        field,
                        value: value.trim().to_string(),
                    });
                    return None;
                }
                Some(_) => {}
            }
            parsed
        };
        let start_date = date(TermsField::LicenseStartDate, &self.license_start_date);
        let end_date = date(TermsField::LicenseEndDate, &self.license_end_date);
        if let (Some(start), Some(end)) = (start_date, end_date) {
            if end < start {
                problems.push(TermsProblem::EndDateBeforeStartDate { start, end });
            }
        }

        let mut time = |field, value: &str| {
            let parsed = WallTime::parse(value);
            if parsed.is_none() {
                problems.push(TermsProblem::MalformedTime {
                    field,
                    value: value.to_string(),
                });
            }
            parsed
        };
        let start_time = time(TermsField::DailyStartTime, &self.daily_start_time);
        let end_time = time(TermsField::DailyEndTime, &self.daily_end_time);
        let window = match (start_time, end_time) {
            (Some(start), Some(end)) => {
                let window = DailyWindow::new(start, end);
                if window.is_none() {
                    problems.push(TermsProblem::StartAtEndOfDay);
                }
                window
            }
            _ => None,
        };

        let mut limit = None;
        if let Some(text) = self.daily_time_consumption_limit.as_deref() {
            match parse_duration(text) {
                None => problems.push(TermsProblem::MalformedDuration {
                    value: text.to_string(),
                }),
                Some(d) if d <= TimeDelta::zero() => problems.push(TermsProblem::LimitNotPositive),
                Some(d) => {
                    let window_length = window.map(|w| w.nominal_length_seconds());
                    match window_length {
                        Some(len) if d > TimeDelta::seconds(i64::from(len)) => {
                            problems.push(TermsProblem::LimitLongerThanWindow {
                                limit: format_duration(d),
                                window: format_duration(TimeDelta::seconds(i64::from(len))),
                            })
                        }
                        _ => limit = Some(d),
                    }
                }
            }
        }

        let zone = self.time_zone.trim().parse::<Tz>().ok();
        if zone.is_none() {
            problems.push(TermsProblem::UnknownZone {
                value: self.time_zone.clone(),
            });
        }

        let weekdays = match &self.weekdays {
            None => Some(Weekdays::EVERY_DAY),
            Some(names) => {
                let mut days = Vec::new();
                let mut all_known = true;
                for name in names {
                    match name.trim().parse::<Weekday>() {
                        Ok(day) => days.push(day),
                        Err(_) => {
                            all_known = false;
                            problems.push(TermsProblem::UnknownWeekday {
                                value: name.clone(),
                            });
                        }
                    }
                }
                if all_known && days.is_empty() {
                    problems.push(TermsProblem::NoWeekdays);
                }
                all_known.then(|| Weekdays::of(&days))
            }
        };

        let seats = (1..=MAX_SEATS)
            .contains(&self.seats)
            .then_some(self.seats as u32);
        if seats.is_none() {
            problems.push(TermsProblem::SeatsOutOfRange { value: self.seats });
        }

        match (start_date, end_date, window, zone, weekdays, seats) {
            (
                Some(start_date),
                Some(end_date),
                Some(window),
                Some(zone),
                Some(weekdays),
                Some(seats),
            ) if problems.is_empty() => Ok(Terms {
                start_date,
                end_date,
                window,
                daily_limit: limit,
                zone,
                weekdays,
                seats,
                product: self.product.trim().to_string(),
                features: self.features.clone(),
            }),
            _ => Err(InvalidTerms { problems }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TermsSpec {
        TermsSpec {
            license_start_date: "2024-01-01".into(),
            license_end_date: "2024-12-31".into(),
            daily_start_time: "09:00".into(),
            daily_end_time: "17:00".into(),
            daily_time_consumption_limit: Some("3h".into()),
            time_zone: "Europe/Paris".into(),
            weekdays: Some(vec!["Mon".into(), "Fri".into()]),
            seats: 10,
            product: "Acme CAD".into(),
            features: BTreeMap::new(),
        }
    }

    #[test]
    fn a_good_spec_validates_and_round_trips_through_text() {
        let terms = spec().validate().unwrap();
        assert_eq!(terms.daily_limit, Some(TimeDelta::hours(3)));
        assert_eq!(terms.weekdays, Weekdays::of(&[Weekday::Mon, Weekday::Fri]));
        assert_eq!(terms.to_spec().validate().unwrap(), terms);
    }

    #[test]
    fn validity_years_are_bounded_from_1970_to_2099() {
        let with = |start: &str, end: &str| TermsSpec {
            license_start_date: start.into(),
            license_end_date: end.into(),
            ..spec()
        };
        with("1970-01-01", "2099-12-31").validate().unwrap();
        for (start, end, field) in [
            ("+262143-01-01", "2024-12-31", TermsField::LicenseStartDate),
            ("1969-12-31", "2024-12-31", TermsField::LicenseStartDate),
            ("2024-01-01", "2100-01-01", TermsField::LicenseEndDate),
            ("2024-01-01", "9999-12-31", TermsField::LicenseEndDate),
            ("2024-01-01", "+10000-01-01", TermsField::LicenseEndDate),
        ] {
            let problems = with(start, end).validate().unwrap_err().problems;
            assert_eq!(problems.len(), 1, "{start} {end}: {problems:?}");
            // Far years are either not read as dates at all or read and refused; both are
            // typed problems on the right field, never a panic further on.
            assert_eq!(problems[0].field(), field, "{start} {end}: {problems:?}");
            if start.starts_with('+') {
                continue;
            }
            assert!(
                matches!(&problems[0], TermsProblem::YearOutOfRange { .. }),
                "{start} {end}: {problems:?}"
            );
            assert!(problems[0].to_string().contains("1970 to 2099"));
        }
    }

    #[test]
    fn every_problem_is_reported_together() {
        let bad = TermsSpec {
            license_start_date: "2024-13-01".into(),
            license_end_date: "yesterday".into(),
            daily_start_time: "25:00".into(),
            daily_end_time: "17:00".into(),
            daily_time_consumption_limit: Some("lots".into()),
            time_zone: "Mars/Olympus".into(),
            weekdays: Some(vec!["Funday".into()]),
            seats: 0,
            product: String::new(),
            features: BTreeMap::new(),
        };
        let problems = bad.validate().unwrap_err().problems;
        let fields: Vec<TermsField> = problems.iter().map(TermsProblem::field).collect();
        assert_eq!(
            fields,
            vec![
                TermsField::LicenseStartDate,
                TermsField::LicenseEndDate,
                TermsField::DailyStartTime,
                TermsField::DailyTimeConsumptionLimit,
                TermsField::TimeZone,
                TermsField::Weekdays,
                TermsField::Seats,
            ]
        );
    }

    #[test]
    fn an_end_date_before_the_start_date_is_refused() {
        let mut s = spec();
        s.license_end_date = "2023-12-31".into();
        let err = s.validate().unwrap_err();
        assert!(matches!(
            err.problems[..],
            [TermsProblem::EndDateBeforeStartDate { .. }]
        ));
        assert!(err
            .to_string()
            .contains("ends (2023-12-31) before it starts (2024-01-01)"));
    }

    #[test]
    fn a_limit_longer_than_the_window_is_refused_but_equal_is_fine() {
        let mut s = spec();
        s.daily_time_consumption_limit = Some("8h1s".into());
        assert!(matches!(
            s.validate().unwrap_err().problems[..],
            [TermsProblem::LimitLongerThanWindow { .. }]
        ));
        s.daily_time_consumption_limit = Some("8h".into());
        assert!(s.validate().is_ok());
        s.daily_time_consumption_limit = Some("0s".into());
        assert_eq!(
            s.validate().unwrap_err().problems,
            vec![TermsProblem::LimitNotPositive]
        );
    }

    #[test]
    fn window_shapes_have_the_lengths_an_administrator_expects() {
        let w = |a: &str, b: &str| {
            DailyWindow::new(WallTime::parse(a).unwrap(), WallTime::parse(b).unwrap()).unwrap()
        };
        assert_eq!(w("09:00", "17:00").nominal_length_seconds(), 8 * 3600);
        assert_eq!(w("22:00", "06:00").nominal_length_seconds(), 8 * 3600);
        assert_eq!(w("16:00", "24:00").nominal_length_seconds(), 8 * 3600);
        assert_eq!(w("00:00", "24:00").nominal_length_seconds(), 86_400);
        assert_eq!(w("09:00", "09:00").nominal_length_seconds(), 86_400);
        assert_eq!(w("00:00", "23:59:59").nominal_length_seconds(), 86_399);
        assert!(w("09:00", "09:00").is_whole_day());
        assert!(w("22:00", "06:00").closes_next_day());
        assert!(!w("16:00", "24:00").closes_next_day());
        assert!(DailyWindow::new(WallTime::END_OF_DAY, WallTime::MIDNIGHT).is_none());
    }

    #[test]
    fn no_weekdays_and_unknown_fields_are_refused() {
        let mut s = spec();
        s.weekdays = Some(vec![]);
        assert_eq!(
            s.validate().unwrap_err().problems,
            vec![TermsProblem::NoWeekdays]
        );
        let json = r#"{"license_start_date":"2024-01-01","license_end_date":"2024-01-02",
            "daily_start_time":"09:00","daily_end_time":"17:00","seats":1,"colour":"red"}"#;
        assert!(serde_json::from_str::<TermsSpec>(json).is_err());
    }
}
