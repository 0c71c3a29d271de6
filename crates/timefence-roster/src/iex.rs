//! NICE IEX WFM's *Agent Schedule Detail* export.
//!
//! Read as NICE's export documentation describes it: pipe-delimited (`|`) lines, each ending
//! with a new line; a first line starting with `#fields` that names the fields in the order
//! the export was configured with (any subset, any order); dates as `mmddyyyy` unless the
//! export's `dateFormat` says otherwise ([`DateFormat`]); times in 24-hour form unless its
//! `timeFormat` is 12 (both are read); a `TZ` field with the management unit's time zone; and
//! an activity code date (`excdate`) that may differ from the schedule date (`schedDate`) when
//! a schedule crosses midnight.
//!
//! Fields used (matched without regard to case):
//! - the agent: `tvID` (the agent's IEX id), else `logonID`, else `agentName`;
//! - the date the activity starts: `excdate`, else `schedDate`;
//! - start and stop: `startTime` / `start` and `stopTime` / `endTime` / `stop` / `end`, or a
//!   `duration` in minutes in place of the stop (the documentation excerpts available to us do
//!   not spell these two field names, so the usual spellings are all taken);
//! - the activity code: `excCode`, else `exception`, else `activity` (optional: no code is
//!   work). Breaks, lunches and time off need no seat ([`crate::csv::is_working`]).
//! - `TZ`: an IANA zone name, unless the caller names the management unit's zone
//!   ([`IexOptions::zone`]), which then wins: a unit whose `TZ` reads `Eastern` is read in
//!   `America/New_York` when told so. (`EST` is in the zone database, as a fixed UTC-5 with no
//!   summer time: name the unit's zone when its clocks change.)
//!
//! A stop at or before its start ends on the next day (the activity crosses midnight). Other
//! lines starting with `#` are comments. The first bad line is reported with its line number
//! and field, and nothing is returned. Limits as for CSV ([`crate::csv::MAX_BYTES`],
//! [`crate::csv::MAX_ROWS`], [`crate::csv::MAX_NAME`]).

use crate::csv::{
    check_size, too_many_shifts, wall_clock, RosterError, Shift, MAX_NAME, MAX_ROWS,
    MAX_SHIFT_HOURS,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// The date formats an IEX export may be configured with (its `dateFormat` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// `mmddyyyy`, the export's default.
    #[default]
    MmDdYyyy,
    /// `mmddyy`.
    MmDdYy,
    /// `ddmmyyyy`.
    DdMmYyyy,
    /// `ddmmyy`.
    DdMmYy,
    /// `yyyymmdd`.
    YyyyMmDd,
    /// `yyyyddmm`.
    YyyyDdMm,
    /// `yymmdd`.
    YyMmDd,
    /// `yyddmm`.
    YyDdMm,
}

impl DateFormat {
    /// The format named as the export's attribute names it (`mmddyyyy`, ...).
    pub fn from_name(name: &str) -> Option<DateFormat> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "mmddyyyy" => DateFormat::MmDdYyyy,
            "mmddyy" => DateFormat::MmDdYy,
            "ddmmyyyy" => DateFormat::DdMmYyyy,
            "ddmmyy" => DateFormat::DdMmYy,
            "yyyymmdd" => DateFormat::YyyyMmDd,
            "yyyyddmm" => DateFormat::YyyyDdMm,
            "yymmdd" => DateFormat::YyMmDd,
            "yyddmm" => DateFormat::YyDdMm,
            _ => return None,
        })
    }

    fn pattern(self) -> &'static str {
        match self {
            DateFormat::MmDdYyyy => "%m%d%Y",
            DateFormat::MmDdYy => "%m%d%y",
            DateFormat::DdMmYyyy => "%d%m%Y",
            DateFormat::DdMmYy => "%d%m%y",
            DateFormat::YyyyMmDd => "%Y%m%d",
            DateFormat::YyyyDdMm => "%Y%d%m",
            DateFormat::YyMmDd => "%y%m%d",
            DateFormat::YyDdMm => "%y%d%m",
        }
    }

    fn name(self) -> &'static str {
        match self {
            DateFormat::MmDdYyyy => "mmddyyyy",
            DateFormat::MmDdYy => "mmddyy",
            DateFormat::DdMmYyyy => "ddmmyyyy",
            DateFormat::DdMmYy => "ddmmyy",
            DateFormat::YyyyMmDd => "yyyymmdd",
            DateFormat::YyyyDdMm => "yyyyddmm",
            DateFormat::YyMmDd => "yymmdd",
            DateFormat::YyDdMm => "yyddmm",
        }
    }
}

/// How an export was configured, where the file does not say.
#[derive(Debug, Clone, Copy, Default)]
pub struct IexOptions {
    /// The export's `dateFormat`.
    pub date_format: DateFormat,
    /// The management unit's zone: times are read in it whatever the `TZ` field says. Without
    /// it, `TZ` must be an IANA name.
    pub zone: Option<Tz>,
}

fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    for pattern in ["%I:%M %p", "%I:%M:%S %p", "%I:%M%p"] {
        if let Ok(t) = NaiveTime::parse_from_str(&upper, pattern) {
            return Some(t);
        }
    }
    ["%H:%M", "%H:%M:%S", "%H%M"]
        .iter()
        .find_map(|p| NaiveTime::parse_from_str(text, p).ok())
}

/// Reads an Agent Schedule Detail export (see the module's overview).
pub fn parse_iex(text: &str, options: IexOptions) -> Result<Vec<Shift>, RosterError> {
    check_size(text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut names: Option<Vec<String>> = None;
    let mut shifts = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix("#fields") {
            if names.is_none() {
                let rest = rest.trim_start_matches([':', ' ', '\t']);
                names = Some(rest.split('|').map(|n| n.trim().to_lowercase()).collect());
            }
            continue;
        }
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let Some(names) = names.as_ref() else {
            return Err(RosterError::MissingColumn("#fields".into()));
        };
        if shifts.len() == MAX_ROWS {
            return Err(too_many_shifts());
        }
        let fields: Vec<&str> = raw.split('|').collect();
        let bad = |field: &str, problem: String| RosterError::Row {
            line,
            field: field.into(),
            problem,
        };
        if fields.len() != names.len() {
            return Err(bad(
                "row",
                format!(
                    "{} fields where #fields names {}",
                    fields.len(),
                    names.len()
                ),
            ));
        }
        let find = |choices: &[&'static str]| find_field(names, &fields, choices);
        let need = |choices: &[&'static str]| {
            find(choices).ok_or_else(|| RosterError::MissingColumn(choices.join(" or ")))
        };
        let (agent_field, agent) = need(&["tvid", "logonid", "agentname"])?;
        if agent.is_empty() {
            return Err(bad(agent_field, "empty".into()));
        }
        if agent.chars().count() > MAX_NAME {
            return Err(bad(
                agent_field,
                format!("longer than {MAX_NAME} characters"),
            ));
        }
        let (date_field, date_text) = need(&["excdate", "scheddate"])?;
        let date =
            NaiveDate::parse_from_str(date_text, options.date_format.pattern()).map_err(|_| {
                bad(
                    date_field,
                    format!(
                        "\"{date_text}\" is not a date as {} (the export's dateFormat)",
                        options.date_format.name()
                    ),
                )
            })?;
        let zone = match (options.zone, find(&["tz"])) {
            (Some(zone), _) => zone,
            (None, Some((_, name))) if !name.is_empty() => name.parse::<Tz>().map_err(|_| {
                bad(
                    "TZ",
                    format!("\"{name}\" is not an IANA time zone; name the management unit's zone (--zone)"),
                )
            })?,
            (None, _) => {
                return Err(bad(
                    "TZ",
                    "no time zone; name the management unit's zone (--zone)".into(),
                ))
            }
        };
        let (start_field, start_text) = need(&["starttime", "start"])?;
        let start_clock = parse_clock(start_text).ok_or_else(|| {
            bad(
                start_field,
                format!("\"{start_text}\" is not a time (13:30 or 1:30 PM)"),
            )
        })?;
        let start_local = date.and_time(start_clock);
        let (end_field, end_local) = match find(&["stoptime", "endtime", "stop", "end"]) {
            Some((field, text)) => {
                let clock = parse_clock(text).ok_or_else(|| {
                    bad(
                        field,
                        format!("\"{text}\" is not a time (13:30 or 1:30 PM)"),
                    )
                })?;
                // An activity that stops at or before its start crosses midnight.
                let day = if clock <= start_clock {
                    date + TimeDelta::days(1)
                } else {
                    date
                };
                (field, day.and_time(clock))
            }
            None => {
                let (field, text) = need(&["duration"])?;
                let minutes: i64 = text
                    .parse()
                    .ok()
                    .filter(|m| (1..=MAX_SHIFT_HOURS * 60).contains(m))
                    .ok_or_else(|| {
                        bad(
                            field,
                            format!(
                                "\"{text}\" is not a number of minutes from 1 to {}",
                                MAX_SHIFT_HOURS * 60
                            ),
                        )
                    })?;
                (field, start_local + TimeDelta::minutes(minutes))
            }
        };
        let start = local(zone, start_local).map_err(|p| bad(start_field, p))?;
        let end = local(zone, end_local).map_err(|p| bad(end_field, p))?;
        if end <= start {
            // Checked rather than assumed (a zone rule could fold the two together).
            return Err(bad(end_field, "not after the start".into()));
        }
        let activity = find(&["exccode", "exception", "activity"])
            .map(|(_, a)| a.to_string())
            .unwrap_or_default();
        if activity.chars().count() > MAX_NAME {
            return Err(bad("excCode", format!("longer than {MAX_NAME} characters")));
        }
        shifts.push(Shift {
            agent: agent.to_string(),
            start,
            end,
            activity,
        });
    }
    Ok(shifts)
}

/// The first of `choices` that `#fields` names, and its value on the line.
fn find_field<'l>(
    names: &[String],
    fields: &[&'l str],
    choices: &[&'static str],
) -> Option<(&'static str, &'l str)> {
    choices.iter().find_map(|c| {
        names
            .iter()
            .position(|n| n == c)
            .map(|i| (*c, fields[i].trim()))
    })
}

/// A wall-clock time in `zone`, as every format reads one.
fn local(zone: Tz, at: chrono::NaiveDateTime) -> Result<DateTime<Utc>, String> {
    wall_clock(zone, at, &at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const HEAD: &str =
        "#fields:excdate|schedDate|TZ|custID|muID|tvID|agentName|excCode|startTime|stopTime\n";

    #[test]
    fn fields_by_header_cross_midnight_zone_and_activities() {
        let text = format!(
            "{HEAD}\
             01042027|01042027|America/New_York|7|12|1001|Doe, Jane|Open|22:00|06:00\n\
             01052027|01042027|America/New_York|7|12|1001|Doe, Jane|Lunch|02:00|02:30\n\
             # a comment line\n\
             03142027|03142027|America/New_York|7|12|1002|Ana|Open|1:00 AM|9:00 AM\n"
        );
        let shifts = parse_iex(&text, IexOptions::default()).unwrap();
        assert_eq!(shifts.len(), 3);
        // 22:00 EST to 06:00 EST the next day.
        assert_eq!(shifts[0].agent, "1001");
        assert_eq!(shifts[0].start, at("2027-01-05T03:00:00Z"));
        assert_eq!(shifts[0].end, at("2027-01-05T11:00:00Z"));
        // The activity code's own date (excdate) places a lunch after midnight.
        assert_eq!(shifts[1].start, at("2027-01-05T07:00:00Z"));
        assert!(!crate::csv::is_working(&shifts[1].activity));
        // New York springs forward at 02:00 on 14 March 2027: 8 wall-clock hours are 7.
        assert_eq!(shifts[2].start, at("2027-03-14T06:00:00Z"));
        assert_eq!(shifts[2].end, at("2027-03-14T13:00:00Z"));
    }

    #[test]
    fn any_field_order_another_date_format_a_duration_and_a_zone_given() {
        let text = "#fields tvID|excCode|excdate|startTime|duration\n\
                    A7|Phone|20270104|08:00|480\n";
        let options = IexOptions {
            date_format: DateFormat::YyyyMmDd,
            zone: Some(chrono_tz::Asia::Kolkata),
        };
        let shifts = parse_iex(text, options).unwrap();
        assert_eq!(shifts[0].start, at("2027-01-04T02:30:00Z"));
        assert_eq!(shifts[0].end, at("2027-01-04T10:30:00Z"));
        // A TZ the zone database does not know is read in the zone given.
        let text = "#fields:tvID|excdate|TZ|startTime|stopTime\nA7|01042027|Eastern|08:00|16:00\n";
        let options = IexOptions {
            zone: Some(chrono_tz::America::New_York),
            ..IexOptions::default()
        };
        assert_eq!(
            parse_iex(text, options).unwrap()[0].start,
            at("2027-01-04T13:00:00Z")
        );
    }

    #[test]
    fn a_bad_line_is_named_by_line_and_field_and_nothing_is_read() {
        let ok = "01042027|01042027|UTC|7|12|1001|Jane|Open|08:00|16:00\n";
        let cases = [
            (
                "13042027|01042027|UTC|7|12|1001|Jane|Open|08:00|16:00\n",
                "excdate",
            ),
            (
                "01042027|01042027|Mars/Base|7|12|1001|Jane|Open|08:00|16:00\n",
                "TZ",
            ),
            (
                "01042027|01042027|UTC|7|12||Jane|Open|08:00|16:00\n",
                "tvid",
            ),
            (
                "01042027|01042027|UTC|7|12|1001|Jane|Open|8 o'clock|16:00\n",
                "starttime",
            ),
            (
                "01042027|01042027|UTC|7|12|1001|Jane|Open|08:00|25:00\n",
                "stoptime",
            ),
            ("01042027|01042027|UTC|7|12|1001|Jane|Open|08:00\n", "row"),
            (
                "03142027|03142027|America/New_York|7|12|1001|Jane|Open|02:30|09:00\n",
                "starttime",
            ),
        ];
        for (row, field) in cases {
            let text = format!("{HEAD}{ok}{row}");
            match parse_iex(&text, IexOptions::default()) {
                Err(RosterError::Row { line, field: f, .. }) => {
                    assert_eq!((line, f.as_str()), (3, field), "{row}")
                }
                other => panic!("{row}: {other:?}"),
            }
        }
        assert_eq!(
            parse_iex(ok, IexOptions::default()),
            Err(RosterError::MissingColumn("#fields".into()))
        );
        assert_eq!(
            parse_iex(
                "#fields:tvID|startTime|stopTime\n1|08:00|09:00\n",
                IexOptions::default()
            ),
            Err(RosterError::MissingColumn("excdate or scheddate".into()))
        );
    }
}
