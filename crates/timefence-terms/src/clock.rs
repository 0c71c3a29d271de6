//! Wall-clock times, durations and the one rule that turns a local wall time into an instant.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt;

/// Seconds in a nominal (wall-clock) day.
pub const SECONDS_PER_DAY: u32 = 86_400;

/// A wall-clock time of day, to the second, from `00:00:00` up to and including `24:00:00`.
///
/// `24:00` exists so that a window can say "until midnight" without the `23:59:59` compromise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime(u32);

impl WallTime {
    /// Midnight at the start of a day.
    pub const MIDNIGHT: WallTime = WallTime(0);
    /// Midnight at the end of a day (`24:00`).
    pub const END_OF_DAY: WallTime = WallTime(SECONDS_PER_DAY);

    /// A wall time from seconds since midnight; `None` past `24:00:00`.
    pub fn from_seconds(seconds: u32) -> Option<WallTime> {
        (seconds <= SECONDS_PER_DAY).then_some(WallTime(seconds))
    }

    /// A wall time from hours, minutes and seconds.
    pub fn hms(hours: u32, minutes: u32, seconds: u32) -> Option<WallTime> {
        if minutes > 59 || seconds > 59 {
            return None;
        }
        WallTime::from_seconds(hours * 3600 + minutes * 60 + seconds)
    }

    /// Seconds since midnight.
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// Parses `HH:MM` or `HH:MM:SS` (24-hour clock; `24:00` and `24:00:00` allowed).
    pub fn parse(text: &str) -> Option<WallTime> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        WallTime::hms(numbers[0], numbers[1], numbers[2])
    }

    /// This time as a local date-time on `date`; `24:00` becomes midnight of the next day.
    pub(crate) fn on(self, date: NaiveDate) -> NaiveDateTime {
        let days = i64::from(self.0 / SECONDS_PER_DAY);
        let time = NaiveTime::from_num_seconds_from_midnight_opt(self.0 % SECONDS_PER_DAY, 0)
            .unwrap_or(NaiveTime::MIN);
        (date + TimeDelta::days(days)).and_time(time)
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// Parses a duration: `3h`, `90m`, `1h30m`, `45s`, `2h15m10s`, or `HH:MM[:SS]` (`03:00:00`).
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let mut total: i64 = 0;
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 6 {
                return None;
            }
            let n: i64 = part.parse().ok()?;
            if i > 0 && n > 59 {
                return None;
            }
            total = total * 60 + n;
        }
        if parts.len() == 2 {
            total *= 60;
        }
        return Some(TimeDelta::seconds(total));
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut last_unit_rank = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            if digits.len() > 9 {
                return None;
            }
            continue;
        }
        let (rank, factor) = match c {
            'h' => (1, 3600),
            'm' => (2, 60),
            's' => (3, 1),
            _ => return None,
        };
        // Units must come in order, once each, each after a number.
        if digits.is_empty() || rank <= last_unit_rank {
            return None;
        }
        total += digits.parse::<i64>().ok()? * factor;
        digits.clear();
        last_unit_rank = rank;
    }
    if !digits.is_empty() || last_unit_rank == 0 {
        return None;
    }
    Some(TimeDelta::seconds(total))
}

/// Formats a duration the way [`parse_duration`] reads it (`1h30m`, `0s`).
pub fn format_duration(duration: TimeDelta) -> String {
    let total = duration.num_seconds().max(0);
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// The instant at which a zone's wall clock shows `local`.
///
/// Where the wall clock skips `local` (a spring-forward gap) the result is moved later by the
/// length of the gap: `02:30` in a one-hour gap becomes `03:30`. Where the wall clock shows
/// `local` twice (fall back) the first of the two instants is used. This is ECMAScript
/// Temporal's `"compatible"` disambiguation, java.time's `ZonedDateTime.of` rule and Python
/// zoneinfo's `fold=0`.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap, read the wall time with the offset in force before the transition,
            // which Temporal takes from one day earlier; that moves the time later by the gap.
            let before = zone
                .offset_from_utc_datetime(&(local - TimeDelta::days(1)))
                .fix()
                .local_minus_utc();
            Utc.from_utc_datetime(&(local - TimeDelta::seconds(i64::from(before))))
        }
    }
}

/// The local date a zone's wall clock shows at `instant`.
pub fn local_date(zone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_parse_with_and_without_seconds_and_up_to_24_00() {
        assert_eq!(WallTime::parse("09:00"), WallTime::hms(9, 0, 0));
        assert_eq!(WallTime::parse("23:59:59").unwrap().seconds(), 86_399);
        assert_eq!(WallTime::parse("24:00"), Some(WallTime::END_OF_DAY));
        for bad in [
            "24:00:01",
            "25:00",
            "9:00",
            "09:60",
            "09:00:60",
            "",
            "09",
            "aa:bb",
            "09:00:00:00",
        ] {
            assert_eq!(WallTime::parse(bad), None, "{bad}");
        }
        assert_eq!(WallTime::parse("17:00").unwrap().to_string(), "17:00");
        assert_eq!(WallTime::parse("23:59:59").unwrap().to_string(), "23:59:59");
    }

    #[test]
    fn durations_parse_in_unit_and_clock_forms() {
        assert_eq!(parse_duration("3h"), Some(TimeDelta::hours(3)));
        assert_eq!(parse_duration("1h30m"), Some(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("45s"), Some(TimeDelta::seconds(45)));
        assert_eq!(parse_duration("03:00:00"), Some(TimeDelta::hours(3)));
        assert_eq!(parse_duration("01:30"), Some(TimeDelta::minutes(90)));
        for bad in ["", "h", "3", "3x", "30m1h", "1h1h", "-3h", "01:75", "3 h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(format_duration(TimeDelta::minutes(90)), "1h30m");
        assert_eq!(format_duration(TimeDelta::zero()), "0s");
    }

    #[test]
    fn a_time_in_a_spring_forward_gap_moves_later_by_the_gap() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let local = NaiveDate::from_ymd_opt(2024, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let instant = resolve_local(zone, local);
        assert_eq!(instant.with_timezone(&zone).time().to_string(), "03:30:00");
    }

    #[test]
    fn a_time_repeated_at_fall_back_means_its_first_occurrence() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let local = NaiveDate::from_ymd_opt(2024, 11, 3)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        // First 01:30 is still daylight time (UTC-4).
        assert_eq!(
            resolve_local(zone, local).to_rfc3339(),
            "2024-11-03T05:30:00+00:00"
        );
    }

    #[test]
    fn a_skipped_day_moves_a_whole_day_later() {
        // Samoa skipped 2011-12-30 entirely.
        let zone: Tz = "Pacific/Apia".parse().unwrap();
        let local = NaiveDate::from_ymd_opt(2011, 12, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let shown = resolve_local(zone, local)
            .with_timezone(&zone)
            .naive_local();
        assert_eq!(shown.to_string(), "2011-12-31 12:00:00");
    }
}
