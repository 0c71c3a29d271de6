//! A license's daily window as an iCalendar (RFC 5545) recurring event, so an administrator
//! can send a customer the shift in a form their calendar understands.
//!
//! The event's start and end are wall times of the license's zone (`DTSTART;TZID=...`), the
//! rule repeats daily or on the license's weekdays until its last opening, and a `VTIMEZONE`
//! built from the zone's real transitions during the validity lets a calendar place every
//! occurrence the way the engine does, DST included.

use crate::clock::{resolve_local, WallTime};
use crate::terms::Terms;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

/// What the calendar event is called and who it is for.
#[derive(Debug, Clone)]
pub struct CalendarEvent<'a> {
    /// A globally unique id for the event (e.g. `license-42@timefence`).
    pub uid: &'a str,
    /// The event's title.
    pub summary: &'a str,
    /// When the file was made (`DTSTAMP`).
    pub stamp: DateTime<Utc>,
}

/// The window of `terms` as one recurring `VEVENT` in a `VCALENDAR`, or `None` when the window
/// never opens within the license's validity (every weekday excluded by its dates).
pub fn icalendar(terms: &Terms, event: &CalendarEvent<'_>) -> Option<String> {
    let first = dates(terms).find(|d| terms.opens_on(*d))?;
    let last = dates(terms).rev().find(|d| terms.opens_on(*d))?;
    let start = terms.window.start();
    let end = terms.window.end();
    let end_date = if terms.window.closes_next_day() || end == WallTime::END_OF_DAY {
        first.succ_opt()?
    } else {
        first
    };
    let end_local = if end == WallTime::END_OF_DAY {
        WallTime::MIDNIGHT.on(end_date)
    } else {
        end.on(end_date)
    };
    // UNTIL is the last opening as a UTC instant, as RFC 5545 asks when DTSTART has a TZID.
    let until = resolve_local(terms.zone, start.on(last));
    let rule = if terms.weekdays == crate::Weekdays::EVERY_DAY {
        format!("RRULE:FREQ=DAILY;UNTIL={}", utc_stamp(until))
    } else {
        let days: Vec<&str> = terms.weekdays.days().iter().map(|d| byday(*d)).collect();
        format!(
            "RRULE:FREQ=WEEKLY;BYDAY={};UNTIL={}",
            days.join(","),
            utc_stamp(until)
        )
    };
    let zone = terms.zone.name();
    let mut description = format!(
        "{}, {} to {} ({}), valid {} to {}",
        crate::seats_text(u64::from(terms.seats)),
        start,
        end,
        zone,
        terms.start_date,
        terms.end_date
    );
    if let Some(limit) = terms.daily_limit {
        description.push_str(&format!(
            ", at most {} a day",
            crate::format_duration(limit)
        ));
    }
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Timefence//License window//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
    ];
    // Only the transitions between the first and the last opening are needed; with validity
    // years bounded (VALID_YEARS) the walk is at most a few hundred thousand steps.
    lines.extend(vtimezone(terms.zone, first, last));
    lines.extend([
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(event.uid)),
        format!("DTSTAMP:{}", utc_stamp(event.stamp)),
        format!("SUMMARY:{}", escape(event.summary)),
        format!("DESCRIPTION:{}", escape(&description)),
        format!("DTSTART;TZID={zone}:{}", local_stamp(start.on(first))),
        format!("DTEND;TZID={zone}:{}", local_stamp(end_local)),
        rule,
        "TRANSP:TRANSPARENT".to_string(),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ]);
    Some(lines.iter().map(|l| fold(l)).collect::<String>())
}

fn dates(terms: &Terms) -> impl DoubleEndedIterator<Item = NaiveDate> {
    let days = (terms.end_date - terms.start_date).num_days().max(-1);
    let start = terms.start_date;
    (0..=days).map(move |n| start + TimeDelta::days(n))
}

fn byday(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "MO",
        chrono::Weekday::Tue => "TU",
        chrono::Weekday::Wed => "WE",
        chrono::Weekday::Thu => "TH",
        chrono::Weekday::Fri => "FR",
        chrono::Weekday::Sat => "SA",
        chrono::Weekday::Sun => "SU",
    }
}

fn utc_stamp(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(local: NaiveDateTime) -> String {
    local.format("%Y%m%dT%H%M%S").to_string()
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    if s.is_multiple_of(60) {
        format!("{sign}{:02}{:02}", s / 3600, s / 60 % 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// The zone's offsets and transitions from a day before `from` to a day after `to`, each
/// transition found to the second by bisection between two instants with different offsets.
fn vtimezone(zone: Tz, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let offset_at = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc());
    let begin =
        Utc.from_utc_datetime(&(from - TimeDelta::days(1)).and_time(chrono::NaiveTime::MIN));
    let finish = Utc.from_utc_datetime(&(to + TimeDelta::days(2)).and_time(chrono::NaiveTime::MIN));
    let first = offset_at(begin);
    let mut lines = vec![
        "BEGIN:VTIMEZONE".to_string(),
        format!("TZID:{}", zone.name()),
    ];
    let mut component = |at: DateTime<Utc>, before: i32, after: i32, daylight: bool| {
        let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
        let local = at + TimeDelta::seconds(i64::from(before));
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local_stamp(local.naive_utc())));
        lines.push(format!("TZOFFSETFROM:{}", offset_text(before)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(after)));
        lines.push(format!("END:{kind}"));
    };
    let fixed = |o: &<Tz as TimeZone>::Offset| o.fix().local_minus_utc();
    component(
        begin,
        fixed(&first),
        fixed(&first),
        !first.dst_offset().is_zero(),
    );
    let mut previous = first;
    let mut cursor = begin;
    while cursor < finish {
        let next = cursor + TimeDelta::hours(6);
        let offset = offset_at(next);
        if fixed(&offset) != fixed(&previous) {
            let (mut low, mut high) = (cursor, next);
            while high - low > TimeDelta::seconds(1) {
                let mid = low + (high - low) / 2;
                if fixed(&offset_at(mid)) == fixed(&previous) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            component(
                high,
                fixed(&previous),
                fixed(&offset),
                !offset.dst_offset().is_zero(),
            );
            previous = offset;
        }
        cursor = next;
    }
    lines.push("END:VTIMEZONE".to_string());
    lines
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\r', "")
        .replace('\n', "\\n")
}

/// One content line, folded at 75 octets (never inside a UTF-8 character), ending in CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for ch in line.chars() {
        let len = ch.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += len;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TermsSpec;

    fn terms(start: &str, end: &str, zone: &str, weekdays: Option<Vec<&str>>) -> Terms {
        TermsSpec {
            license_start_date: "2024-01-01".into(),
            license_end_date: "2024-12-31".into(),
            daily_start_time: start.into(),
            daily_end_time: end.into(),
            daily_time_consumption_limit: None,
            time_zone: zone.into(),
            weekdays: weekdays.map(|w| w.into_iter().map(String::from).collect()),
            seats: 10,
            product: "Timefence demo".into(),
            features: Default::default(),
        }
        .validate()
        .unwrap()
    }

    fn event() -> CalendarEvent<'static> {
        CalendarEvent {
            uid: "license-1@timefence",
            summary: "L1 India, 10 seats",
            stamp: Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_weekday_night_shift_repeats_on_its_weekdays_and_ends_the_next_morning() {
        let t = terms(
            "22:00",
            "06:00",
            "Europe/Paris",
            Some(vec!["Mon", "Tue", "Wed", "Thu", "Fri"]),
        );
        let ics = icalendar(&t, &event()).unwrap();
        assert!(
            ics.contains("DTSTART;TZID=Europe/Paris:20240101T220000\r\n"),
            "{ics}"
        );
        assert!(ics.contains("DTEND;TZID=Europe/Paris:20240102T060000\r\n"));
        // The last weekday of 2024 is Tuesday the 31st; 22:00 in Paris is 21:00 UTC.
        assert!(ics.contains("RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20241231T210000Z\r\n"));
        assert!(ics.contains("SUMMARY:L1 India\\, 10 seats\r\n"));
        assert!(ics.lines().all(|l| l.len() <= 75), "{ics}");
    }

    #[test]
    fn the_zone_carries_its_real_dst_transitions_of_the_validity() {
        let t = terms("08:00", "16:00", "Europe/Paris", None);
        let ics = icalendar(&t, &event()).unwrap();
        // 2024-03-31 01:00 UTC: 02:00 local jumps to 03:00; 2024-10-27 01:00 UTC: 03:00 to 02:00.
        assert!(ics.contains("BEGIN:DAYLIGHT\r\nDTSTART:20240331T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"), "{ics}");
        assert!(ics.contains("BEGIN:STANDARD\r\nDTSTART:20241027T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"));
        assert!(ics.contains("RRULE:FREQ=DAILY;UNTIL=20241231T070000Z"));
    }

    #[test]
    fn the_widest_validity_gives_a_calendar_with_the_zone_s_transitions_to_its_end() {
        let mut spec = terms("08:00", "16:00", "America/New_York", None).to_spec();
        spec.license_start_date = "1970-01-01".into();
        spec.license_end_date = "2099-12-31".into();
        let ics = icalendar(&spec.validate().unwrap(), &event()).unwrap();
        assert!(
            ics.contains("RRULE:FREQ=DAILY;UNTIL=20991231T130000Z"),
            "{}",
            &ics[..400]
        );
        // The 1974 energy-crisis switch in January, and the last spring-forward of the range.
        assert!(ics.contains("BEGIN:DAYLIGHT\r\nDTSTART:19740106T020000\r\n"));
        assert!(ics.contains("BEGIN:DAYLIGHT\r\nDTSTART:20990308T020000\r\n"));
    }

    #[test]
    fn a_window_until_midnight_ends_at_the_next_day_s_start() {
        let t = terms("16:00", "24:00", "America/Sao_Paulo", None);
        let ics = icalendar(&t, &event()).unwrap();
        assert!(ics.contains("DTEND;TZID=America/Sao_Paulo:20240102T000000\r\n"));
        assert!(ics.contains("TZOFFSETFROM:-0300\r\nTZOFFSETTO:-0300"));
    }

    #[test]
    fn a_window_that_never_opens_has_no_event() {
        let mut spec = terms("08:00", "16:00", "UTC", Some(vec!["Sat"])).to_spec();
        spec.license_start_date = "2024-01-01".into(); // a Monday
        spec.license_end_date = "2024-01-05".into(); // a Friday
        let t = spec.validate().unwrap();
        assert!(icalendar(&t, &event()).is_none());
    }

    #[test]
    fn long_lines_fold_without_splitting_a_character() {
        let folded = fold(&format!("SUMMARY:{}", "é".repeat(60)));
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75);
        }
        let joined: String = folded.replace("\r\n ", "");
        assert_eq!(joined, format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }
}
