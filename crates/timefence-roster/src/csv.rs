//! A roster as a plain CSV file.
//!
//! The first line names the columns: `agent`, `start` and `end` are required, `zone` and
//! `activity` optional, in any order. A time is either RFC 3339 with its offset
//! (`2027-01-04T22:00:00+05:30`) or a local time (`2027-01-04T22:00` or `2027-01-04 22:00`)
//! read in the row's `zone` (an IANA name). A shift that crosses midnight simply ends on the
//! next date. Fields may be quoted (`"Doe, Jane"`, `""` for a quote inside).
//!
//! Every row is checked; the first bad one is reported with its line and field and nothing is
//! returned, so a roster is never half-read. Limits: 128 MiB of text, 2,000,000 rows (5,000
//! agents over 90 days, three activities a day, fit), names and activities of at most 200
//! characters, shifts of at most 24 hours.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The most text a roster file may have.
pub const MAX_BYTES: usize = 128 << 20;
/// The most shifts a roster may have.
pub const MAX_ROWS: usize = 2_000_000;
/// The longest agent name or activity.
pub const MAX_NAME: usize = 200;
/// The longest shift, in hours.
pub const MAX_SHIFT_HOURS: i64 = 24;

/// One working or non-working stretch of one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// Who works it.
    pub agent: String,
    /// When it starts (included).
    pub start: DateTime<Utc>,
    /// When it ends (excluded).
    pub end: DateTime<Utc>,
    /// What the agent does, when the roster says (`""` when it does not).
    pub activity: String,
}

/// Why a roster was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum RosterError {
    /// The file is larger than [`MAX_BYTES`] or has more than [`MAX_ROWS`] shifts.
    #[error("the roster is too large: {0}")]
    TooLarge(String),
    /// The header (or the document) lacks a required column or entry.
    #[error("the roster has no \"{0}\" (a CSV roster's first line names agent, start and end; an IEX export needs its #fields line; Genesys JSON its agentSchedules)")]
    MissingColumn(String),
    /// An entry of a structured roster (JSON) is wrong.
    #[error("{path}: {problem}")]
    Entry {
        /// Where, as a path in the document (`agentSchedules[3].shifts[1].startDate`).
        path: String,
        /// What is wrong, in words.
        problem: String,
    },
    /// A row is wrong.
    #[error("line {line}, {field}: {problem}")]
    Row {
        /// The line, counted from 1 (the header).
        line: usize,
        /// The column.
        field: String,
        /// What is wrong, in words.
        problem: String,
    },
}

/// Whether an activity needs a seat: everything but breaks, meals and time off (matched
/// without regard to case, spaces, hyphens or underscores). An empty activity is work.
pub fn is_working(activity: &str) -> bool {
    let key: String = activity
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    !matches!(
        key.as_str(),
        "break"
            | "breaks"
            | "meal"
            | "lunch"
            | "off"
            | "dayoff"
            | "timeoff"
            | "pto"
            | "vacation"
            | "holiday"
            | "sick"
            | "absence"
            | "absent"
            | "leave"
            | "unavailable"
            | "unscheduled"
    )
}

fn parse_time(text: &str, zone: Option<Tz>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        format!(
            "\"{text}\" is not a time (2027-01-04T22:00:00+05:30, or 2027-01-04 22:00 with a zone)"
        )
    })?;
    let zone = zone.ok_or_else(|| {
        format!("\"{text}\" has no offset; give one, or the row's time zone in a zone column")
    })?;
    wall_clock(zone, local, text)
}

/// A wall-clock time in `zone` (`written` as the roster wrote it, for the message), as every
/// format reads one: a local time in a DST gap does not exist; one in the repeated hour is
/// taken at its first pass, as a clock on the wall would first show it.
pub(crate) fn wall_clock(
    zone: Tz,
    local: NaiveDateTime,
    written: &str,
) -> Result<DateTime<Utc>, String> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{written} does not exist in {zone} (the clocks skip it)"))
}

/// Refuses a roster file larger than [`MAX_BYTES`] before it is read.
pub(crate) fn check_size(text: &str) -> Result<(), RosterError> {
    if text.len() > MAX_BYTES {
        return Err(RosterError::TooLarge(format!(
            "{} bytes, at most {MAX_BYTES}",
            text.len()
        )));
    }
    Ok(())
}

/// The refusal of a roster with more than [`MAX_ROWS`] shifts.
pub(crate) fn too_many_shifts() -> RosterError {
    RosterError::TooLarge(format!("more than {MAX_ROWS} shifts"))
}

/// Reads a roster CSV (see the module's overview).
pub fn parse_csv(text: &str) -> Result<Vec<Shift>, RosterError> {
    check_size(text)?;
    // The `csv` crate reads the file as the catalogue's import does (RFC 4180 quoting, a BOM,
    // blank lines skipped); a row's field count is checked here to name its line.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| RosterError::Row {
            line: 1,
            field: "header".into(),
            problem: e.to_string(),
        })?
        .iter()
        .map(|n| n.trim().to_lowercase())
        .collect();
    let column = |name: &str| names.iter().position(|n| n == name);
    let required = |name: &str| column(name).ok_or(RosterError::MissingColumn(name.into()));
    let (agent_at, start_at, end_at) = (required("agent")?, required("start")?, required("end")?);
    let (zone_at, activity_at) = (column("zone"), column("activity"));
    let mut shifts = Vec::new();
    for record in reader.records() {
        if shifts.len() == MAX_ROWS {
            return Err(too_many_shifts());
        }
        let row = record.map_err(|e| RosterError::Row {
            line: e.position().map_or(0, |p| p.line() as usize),
            field: "row".into(),
            problem: e.to_string(),
        })?;
        let number = row.position().map_or(0, |p| p.line() as usize);
        let bad = |field: &str, problem: String| RosterError::Row {
            line: number,
            field: field.into(),
            problem,
        };
        if row.len() != names.len() {
            return Err(bad(
                "row",
                format!("{} fields where the header has {}", row.len(), names.len()),
            ));
        }
        let agent = row[agent_at].trim().to_string();
        if agent.is_empty() {
            return Err(bad("agent", "empty".into()));
        }
        if agent.chars().count() > MAX_NAME {
            return Err(bad("agent", format!("longer than {MAX_NAME} characters")));
        }
        let zone = match zone_at.map(|i| row[i].trim()) {
            Some(z) if !z.is_empty() => Some(
                z.parse::<Tz>()
                    .map_err(|_| bad("zone", format!("\"{z}\" is not an IANA time zone")))?,
            ),
            _ => None,
        };
        let start = parse_time(&row[start_at], zone).map_err(|p| bad("start", p))?;
        let end = parse_time(&row[end_at], zone).map_err(|p| bad("end", p))?;
        if end <= start {
            return Err(bad("end", "not after the start".into()));
        }
        if end - start > chrono::TimeDelta::hours(MAX_SHIFT_HOURS) {
            return Err(bad(
                "end",
                format!("the shift is longer than {MAX_SHIFT_HOURS} hours"),
            ));
        }
        let activity = activity_at
            .map(|i| row[i].trim().to_string())
            .unwrap_or_default();
        if activity.chars().count() > MAX_NAME {
            return Err(bad(
                "activity",
                format!("longer than {MAX_NAME} characters"),
            ));
        }
        shifts.push(Shift {
            agent,
            start,
            end,
            activity,
        });
    }
    Ok(shifts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn offsets_zones_quotes_and_cross_midnight() {
        let text = "agent,start,end,zone,activity\n\
                    \"Doe, Jane\",2027-01-04T22:00:00+05:30,2027-01-05T06:00:00+05:30,,\n\
                    Ana,2027-03-28 01:00,2027-03-28 09:00,Europe/Berlin,Phone\n\
                    Bo,2027-01-04 12:00,2027-01-04 12:30,UTC,Lunch\n";
        let shifts = parse_csv(text).unwrap();
        assert_eq!(shifts.len(), 3);
        assert_eq!(shifts[0].agent, "Doe, Jane");
        assert_eq!(shifts[0].start, at("2027-01-04T16:30:00Z"));
        assert_eq!(shifts[0].end, at("2027-01-05T00:30:00Z"));
        // Berlin springs forward at 02:00 on 28 March 2027: 01:00 is CET, 09:00 is CEST.
        assert_eq!(shifts[1].start, at("2027-03-28T00:00:00Z"));
        assert_eq!(shifts[1].end, at("2027-03-28T07:00:00Z"));
        assert!(is_working(&shifts[1].activity));
        assert!(!is_working(&shifts[2].activity));
        assert!(!is_working("Time Off") && !is_working("time_off") && is_working("Training"));
    }

    #[test]
    fn a_bad_row_is_named_by_line_and_field_and_nothing_is_read() {
        let head = "agent,start,end,zone\n";
        let ok = "A,2027-01-04T08:00:00Z,2027-01-04T16:00:00Z,\n";
        let cases = [
            ("B,2027-01-04 08:00,2027-01-04 16:00,\n", "start"),
            ("B,2027-01-04T08:00:00Z,2027-01-04T07:00:00Z,\n", "end"),
            ("B,2027-01-04T08:00:00Z,2027-01-05T09:00:00Z,\n", "end"),
            ("B,2027-01-04 08:00,2027-01-04 16:00,Mars/Base\n", "zone"),
            (
                "B,2027-03-28 02:30,2027-03-28 09:00,Europe/Berlin\n",
                "start",
            ),
            (",2027-01-04T08:00:00Z,2027-01-04T16:00:00Z,\n", "agent"),
            ("B,2027-01-04T08:00:00Z\n", "row"),
            ("B,yesterday,2027-01-04T16:00:00Z,\n", "start"),
        ];
        for (row, field) in cases {
            let text = format!("{head}{ok}{row}");
            match parse_csv(&text) {
                Err(RosterError::Row { line, field: f, .. }) => {
                    assert_eq!((line, f.as_str()), (3, field), "{row}")
                }
                other => panic!("{row}: {other:?}"),
            }
        }
        assert_eq!(
            parse_csv("name,start,end\n"),
            Err(RosterError::MissingColumn("agent".into()))
        );
        assert!(matches!(
            parse_csv(&"x".repeat(MAX_BYTES + 1)),
            Err(RosterError::TooLarge(_))
        ));
    }
}
