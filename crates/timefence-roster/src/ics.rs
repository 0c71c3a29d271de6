//! A roster as an iCalendar file (RFC 5545): one event per shift, recurring or not.
//!
//! The file is parsed by the `icalendar` crate and recurrences are expanded by the `rrule`
//! crate (RRULE, RDATE and EXDATE, in the event's own zone), not by hand. Each `VEVENT`:
//! - `DTSTART` with a `TZID` (an IANA zone) or in UTC (`...Z`); a floating time (no zone) is
//!   refused, since nobody can say which clock it is on; an all-day event (`VALUE=DATE`: a day
//!   off, a holiday) is not a shift and is skipped;
//! - `DTEND` (same forms) or `DURATION`; every occurrence lasts the exact time the first one
//!   does (RFC 5545, 3.8.5.3), so a 22:00-06:00 night shift across the change to summer time
//!   ends at 07:00 by the wall clock;
//! - the agent: the `ATTENDEE`'s `CN` (or its address), else the `ORGANIZER`'s, else the
//!   calendar's name (`X-WR-CALNAME`: one calendar per agent);
//! - the activity: the first of `CATEGORIES`, else the `SUMMARY`; breaks, meals and time off
//!   need no seat ([`crate::csv::is_working`]);
//! - `STATUS:CANCELLED` events are skipped; an event with a `RECURRENCE-ID` replaces that
//!   occurrence of the event with the same `UID`.
//!
//! A recurrence without an end is expanded over [`OPEN_ENDED_DAYS`] days from its start; any
//! event has at most [`MAX_OCCURRENCES`] occurrences. A bad event is reported by its position
//! and property (`VEVENT 3 (UID shift-7), DTSTART: ...`) and nothing is returned.

use crate::csv::{
    check_size, too_many_shifts, wall_clock, RosterError, Shift, MAX_NAME, MAX_ROWS,
    MAX_SHIFT_HOURS,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{read_calendar, unfold, Component, Property};
use std::collections::HashSet;

/// How far a recurrence without COUNT or UNTIL is expanded, from its first occurrence.
pub const OPEN_ENDED_DAYS: i64 = 366;
/// The most occurrences one event may have.
pub const MAX_OCCURRENCES: u16 = 10_000;

/// Reads an iCalendar roster (see the module's overview).
pub fn parse_ics(text: &str) -> Result<Vec<Shift>, RosterError> {
    check_size(text)?;
    let unfolded = unfold(text.strip_prefix('\u{feff}').unwrap_or(text));
    let calendar = read_calendar(&unfolded).map_err(|e| RosterError::Entry {
        path: "the iCalendar file".into(),
        problem: e.lines().take(3).collect::<Vec<_>>().join(" "),
    })?;
    let calendar_name = calendar
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case("X-WR-CALNAME"))
        .map(|p| p.val.as_str().trim().to_string());
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .collect();
    // Occurrences replaced by an event of their own (RECURRENCE-ID).
    let mut replaced: HashSet<(String, DateTime<Utc>)> = HashSet::new();
    for (n, event) in events.iter().enumerate() {
        if let Some(id) = prop(event, "RECURRENCE-ID") {
            let at = instant(id)
                .map_err(|p| bad(n, event, "RECURRENCE-ID", p))?
                .ok_or_else(|| bad(n, event, "RECURRENCE-ID", "a date without a time".into()))?;
            replaced.insert((uid(event), at));
        }
    }
    let mut shifts = Vec::new();
    for (n, event) in events.iter().enumerate() {
        if prop(event, "STATUS").is_some_and(|s| s.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
            continue;
        }
        let start_prop =
            prop(event, "DTSTART").ok_or_else(|| bad(n, event, "DTSTART", "missing".into()))?;
        let Some(start) = instant(start_prop).map_err(|p| bad(n, event, "DTSTART", p))? else {
            continue; // an all-day event: not a shift
        };
        let length = match (prop(event, "DTEND"), prop(event, "DURATION")) {
            (Some(end), _) => {
                let end = instant(end)
                    .map_err(|p| bad(n, event, "DTEND", p))?
                    .ok_or_else(|| bad(n, event, "DTEND", "a date without a time".into()))?;
                end - start
            }
            (None, Some(duration)) => parse_duration(duration.val.as_str()).ok_or_else(|| {
                bad(
                    n,
                    event,
                    "DURATION",
                    format!("\"{}\" is not a duration (PT8H30M)", duration.val.as_str()),
                )
            })?,
            (None, None) => return Err(bad(n, event, "DTEND", "missing (or a DURATION)".into())),
        };
        if length <= TimeDelta::zero() || length > TimeDelta::hours(MAX_SHIFT_HOURS) {
            return Err(bad(
                n,
                event,
                "DTEND",
                format!(
                    "the shift must last more than nothing and at most {MAX_SHIFT_HOURS} hours"
                ),
            ));
        }
        let agent = agent(event)
            .or_else(|| calendar_name.clone())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                bad(
                    n,
                    event,
                    "ATTENDEE",
                    "no agent (an ATTENDEE, an ORGANIZER or the calendar's X-WR-CALNAME)".into(),
                )
            })?;
        if agent.chars().count() > MAX_NAME {
            return Err(bad(
                n,
                event,
                "ATTENDEE",
                format!("longer than {MAX_NAME} characters"),
            ));
        }
        let activity = prop(event, "CATEGORIES")
            .map(|c| {
                c.val
                    .as_str()
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .or_else(|| prop(event, "SUMMARY").map(|s| s.val.as_str().trim().to_string()))
            .unwrap_or_default();
        let activity: String = activity.chars().take(MAX_NAME).collect();
        let starts = if prop(event, "RRULE").is_some() || prop(event, "RDATE").is_some() {
            occurrences(event, start_prop, start).map_err(|p| bad(n, event, "RRULE", p))?
        } else {
            vec![start]
        };
        let id = uid(event);
        let replaces = prop(event, "RECURRENCE-ID").is_some();
        for at in starts {
            if !replaces && replaced.contains(&(id.clone(), at)) {
                continue;
            }
            if shifts.len() == MAX_ROWS {
                return Err(too_many_shifts());
            }
            shifts.push(Shift {
                agent: agent.clone(),
                start: at,
                end: at + length,
                activity: activity.clone(),
            });
        }
    }
    Ok(shifts)
}

fn prop<'c>(event: &'c Component<'_>, name: &str) -> Option<&'c Property<'c>> {
    event
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'p>(property: &'p Property<'_>, key: &str) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

fn uid(event: &Component<'_>) -> String {
    prop(event, "UID")
        .map(|u| u.val.as_str().trim().to_string())
        .unwrap_or_default()
}

fn bad(n: usize, event: &Component<'_>, field: &str, problem: String) -> RosterError {
    let id = uid(event);
    let which = if id.is_empty() {
        format!("VEVENT {}", n + 1)
    } else {
        format!("VEVENT {} (UID {id})", n + 1)
    };
    RosterError::Entry {
        path: format!("{which}, {field}"),
        problem,
    }
}

/// The person an event is for: the attendee's, else the organizer's name or address.
fn agent(event: &Component<'_>) -> Option<String> {
    ["ATTENDEE", "ORGANIZER"].iter().find_map(|name| {
        let p = prop(event, name)?;
        let who = param(p, "CN").map(str::to_string).unwrap_or_else(|| {
            let v = p.val.as_str().trim();
            v.strip_prefix("mailto:")
                .or_else(|| v.strip_prefix("MAILTO:"))
                .unwrap_or(v)
                .to_string()
        });
        Some(who.trim().to_string())
    })
}

/// A DATE-TIME property as an instant; `None` for a DATE (an all-day value).
fn instant(property: &Property<'_>) -> Result<Option<DateTime<Utc>>, String> {
    let value = property.val.as_str().trim();
    if param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (value.len() == 8 && NaiveDate::parse_from_str(value, "%Y%m%d").is_ok())
    {
        return Ok(None);
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let local = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("\"{value}\" is not a date-time (20270308T090000Z)"))?;
        return Ok(Some(Utc.from_utc_datetime(&local)));
    }
    let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("\"{value}\" is not a date-time (20270308T090000)"))?;
    let zone_name = param(property, "TZID").ok_or_else(|| {
        format!("\"{value}\" is a floating time: give it a TZID (an IANA zone) or a Z for UTC")
    })?;
    let zone: Tz = zone_name
        .parse()
        .map_err(|_| format!("TZID \"{zone_name}\" is not an IANA time zone"))?;
    wall_clock(zone, local, value).map(Some)
}

/// An RFC 5545 duration (`PT8H`, `PT7H30M`, `P1D`, `P1W`) as exact time.
fn parse_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let rest = text.strip_prefix('P')?;
    let (mut total, mut number, mut in_time) = (TimeDelta::zero(), String::new(), false);
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() => in_time = true,
            _ => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                total += match (c, in_time) {
                    ('W', false) => TimeDelta::weeks(n),
                    ('D', false) => TimeDelta::days(n),
                    ('H', true) => TimeDelta::hours(n),
                    ('M', true) => TimeDelta::minutes(n),
                    ('S', true) => TimeDelta::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    (number.is_empty() && total > TimeDelta::zero()).then_some(total)
}

/// The starts of a recurring event, as the `rrule` crate expands them from the event's own
/// DTSTART, RRULE, RDATE and EXDATE lines.
fn occurrences(
    event: &Component<'_>,
    dtstart: &Property<'_>,
    start: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, String> {
    let line = |p: &Property<'_>| {
        let params: String = p
            .params
            .iter()
            .map(|q| match &q.val {
                Some(v) => format!(";{}={}", q.key.as_str(), v.as_str()),
                None => format!(";{}", q.key.as_str()),
            })
            .collect();
        format!(
            "{}{params}:{}",
            p.name.as_str().to_ascii_uppercase(),
            p.val.as_str().trim()
        )
    };
    let mut text = line(dtstart);
    for p in &event.properties {
        let name = p.name.as_str().to_ascii_uppercase();
        if matches!(name.as_str(), "RRULE" | "RDATE" | "EXDATE") {
            text.push('\n');
            text.push_str(&line(p));
        }
    }
    let set: rrule::RRuleSet = text.parse().map_err(|e: rrule::RRuleError| e.to_string())?;
    // `before` includes its bound: a second less keeps exactly OPEN_ENDED_DAYS daily starts.
    let horizon = (start + TimeDelta::days(OPEN_ENDED_DAYS) - TimeDelta::seconds(1))
        .with_timezone(&rrule::Tz::UTC);
    let result = set.before(horizon).all(MAX_OCCURRENCES);
    if result.limited && result.dates.len() >= MAX_OCCURRENCES as usize {
        return Err(format!("more than {MAX_OCCURRENCES} occurrences"));
    }
    Ok(result
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::is_working;
    use crate::demand::demand;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn calendar(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nX-WR-CALNAME:Ana\r\n{events}END:VCALENDAR\r\n")
    }

    /// A daily 09:00-17:00 New York shift across the change to summer time (14 March 2027),
    /// a night shift across it, a lunch, an exception and a moved occurrence.
    #[test]
    fn recurring_shifts_across_a_dst_change() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:day\r\nSUMMARY:Phones\r\n\
             ATTENDEE;CN=Jane Doe:mailto:jane@example.com\r\n\
             DTSTART;TZID=America/New_York:20270310T090000\r\n\
             DTEND;TZID=America/New_York:20270310T170000\r\n\
             RRULE:FREQ=DAILY;COUNT=7\r\n\
             EXDATE;TZID=America/New_York:20270312T090000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:day\r\nSUMMARY:Phones\r\nATTENDEE;CN=Jane Doe:mailto:jane@example.com\r\n\
             RECURRENCE-ID;TZID=America/New_York:20270313T090000\r\n\
             DTSTART;TZID=America/New_York:20270313T100000\r\nDURATION:PT8H\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:night\r\nCATEGORIES:Work,Night\r\n\
             DTSTART;TZID=America/New_York:20270312T220000\r\n\
             DTEND;TZID=America/New_York:20270313T060000\r\n\
             RRULE:FREQ=DAILY;UNTIL=20270315T030000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:lunch\r\nSUMMARY:Lunch\r\nDTSTART:20270310T170000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:gone\r\nSTATUS:CANCELLED\r\nDTSTART:20270310T170000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:holiday\r\nDTSTART;VALUE=DATE:20270317\r\nEND:VEVENT\r\n",
        );
        let shifts = parse_ics(&text).unwrap();
        let day: Vec<&Shift> = shifts.iter().filter(|s| s.activity == "Phones").collect();
        // 7 days less the 12th; the 13th moved to 10:00.
        assert_eq!(day.len(), 6);
        assert_eq!(day[0].agent, "Jane Doe");
        // 09:00 EST is 14:00 UTC; after the change, 09:00 EDT is 13:00 UTC.
        assert_eq!(day[0].start, at("2027-03-10T14:00:00Z"));
        assert!(day.iter().any(|s| s.start == at("2027-03-15T13:00:00Z")));
        assert!(day.iter().all(|s| s.end - s.start == TimeDelta::hours(8)));
        assert!(day.iter().any(|s| s.start == at("2027-03-13T15:00:00Z")));
        assert!(!day.iter().any(|s| s.start == at("2027-03-12T14:00:00Z")));
        // The night shift of the 13th: 22:00 EST, 8 exact hours as the first one (22:00-06:00
        // EST), so 07:00 EDT by the wall clock.
        let night: Vec<&Shift> = shifts.iter().filter(|s| s.activity == "Work").collect();
        assert_eq!(night.len(), 3);
        assert_eq!(night[0].agent, "Ana");
        assert_eq!(night[1].start, at("2027-03-14T03:00:00Z"));
        assert_eq!(night[1].end, at("2027-03-14T11:00:00Z"));
        // The next night starts at 22:00 by the summer clock.
        assert_eq!(night[2].start, at("2027-03-15T02:00:00Z"));
        assert!(!is_working(
            &shifts
                .iter()
                .find(|s| s.activity == "Lunch")
                .unwrap()
                .activity
        ));
        assert_eq!(shifts.len(), 6 + 3 + 1);
        // On the New York clock the day shift needs its seat 09:00-17:00 every day alike
        // (10:00-18:00 the day it moved).
        let d = demand(&shifts, chrono_tz::America::New_York);
        assert_eq!(d.slots[9 * 4], 1);
        assert_eq!(d.slots[8 * 4 + 3], 0);
    }

    #[test]
    fn a_bad_event_is_named_and_nothing_is_read() {
        let ok =
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270310T090000Z\r\nDURATION:PT8H\r\nEND:VEVENT\r\n";
        let cases = [
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270310T090000\r\nDURATION:PT8H\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), DTSTART"),
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Mars/Base:20270310T090000\r\nDURATION:PT8H\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), DTSTART"),
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270310T090000Z\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), DTEND"),
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270310T090000Z\r\nDURATION:eight hours\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), DURATION"),
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270310T090000Z\r\nDURATION:PT25H\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), DTEND"),
            ("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270310T090000Z\r\nDURATION:PT8H\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n", "VEVENT 2 (UID b), RRULE"),
        ];
        for (event, path) in cases {
            match parse_ics(&calendar(&format!("{ok}{event}"))) {
                Err(RosterError::Entry { path: p, .. }) => assert_eq!(p, path, "{event}"),
                other => panic!("{event}: {other:?}"),
            }
        }
        // An open-ended rule is expanded over a year from its start.
        let daily = "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20270101T090000Z\r\nDURATION:PT8H\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n";
        assert_eq!(
            parse_ics(&calendar(daily)).unwrap().len(),
            OPEN_ENDED_DAYS as usize
        );
        let no_agent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:20270101T090000Z\r\nDURATION:PT8H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(
            matches!(parse_ics(no_agent), Err(RosterError::Entry { path, .. }) if path.ends_with("ATTENDEE"))
        );
        assert!(matches!(
            parse_ics("BEGIN:VCALENDAR\r\nthis is not"),
            Err(RosterError::Entry { .. })
        ));
    }
}
