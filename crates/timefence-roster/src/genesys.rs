//! Genesys Cloud WFM's agent schedules, as JSON.
//!
//! Read as the Genesys Cloud API's models describe them (`BuAgentSchedulesSearchResponse` and
//! what it holds): an object with `agentSchedules`, each with a `user` (`id`, the agent) and
//! `shifts`; a shift has a `startDate` (ISO-8601 in UTC, `2027-01-04T08:00:00.000Z`), a
//! `lengthMinutes` and `activities`, each with its own `startDate`, `lengthMinutes`,
//! `description` and `activityCodeId`. The answer of an asynchronous search (`{"result":
//! {...}}`) is read too. `businessUnitTimeZone` and `fullDayTimeOffMarkers` need nothing from
//! us: times are UTC, and a day off has no shift.
//!
//! Which activities need a seat: a shift's activities are its working time; a shift without
//! activities is work from start to end. An activity code's category decides when the file
//! carries the business unit's activity codes beside the schedules (`activityCodes`: `id`,
//! `name`, `category`, as `GET .../activitycodes` lists them): `OnQueueWork`,
//! `OffQueueWork`, `Training` and `Meeting` are work; `Break`, `Meal`, `TimeOff`,
//! `Unavailable`, `Absence` and `Unscheduled` are not. Otherwise the activity's
//! `description` decides, as for CSV ([`crate::csv::is_working`]).
//!
//! A bad entry is reported with its path in the document
//! (`agentSchedules[3].shifts[1].startDate`) and nothing is returned. Limits as for CSV.

use crate::csv::{
    check_size, too_many_shifts, RosterError, Shift, MAX_NAME, MAX_ROWS, MAX_SHIFT_HOURS,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use std::collections::HashMap;

/// Reads Genesys Cloud agent schedules (see the module's overview).
pub fn parse_genesys(text: &str) -> Result<Vec<Shift>, RosterError> {
    check_size(text)?;
    let root: Value =
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|e| {
            RosterError::Row {
                line: e.line(),
                field: "JSON".into(),
                problem: e.to_string(),
            }
        })?;
    let root = match root.get("result") {
        Some(result) if result.get("agentSchedules").is_some() => result,
        _ => &root,
    };
    let bad = |path: String, problem: String| RosterError::Entry { path, problem };
    let codes = activity_codes(root)?;
    let schedules = root
        .get("agentSchedules")
        .and_then(Value::as_array)
        .ok_or_else(|| RosterError::MissingColumn("agentSchedules".into()))?;
    let mut shifts = Vec::new();
    for (a, schedule) in schedules.iter().enumerate() {
        let here = format!("agentSchedules[{a}]");
        let agent = schedule
            .get("user")
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| bad(format!("{here}.user.id"), "missing".into()))?;
        if agent.chars().count() > MAX_NAME {
            return Err(bad(
                format!("{here}.user.id"),
                format!("longer than {MAX_NAME} characters"),
            ));
        }
        let Some(list) = schedule.get("shifts") else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| bad(format!("{here}.shifts"), "not a list".into()))?;
        for (s, shift) in list.iter().enumerate() {
            let here = format!("{here}.shifts[{s}]");
            let (start, end) = span(shift, &here)?;
            let activities = match shift.get("activities") {
                None | Some(Value::Null) => &Vec::new(),
                Some(Value::Array(list)) => list,
                Some(_) => return Err(bad(format!("{here}.activities"), "not a list".into())),
            };
            if activities.is_empty() {
                push(&mut shifts, agent, start, end, String::new())?;
            }
            for (i, activity) in activities.iter().enumerate() {
                let here = format!("{here}.activities[{i}]");
                let (from, to) = span(activity, &here)?;
                let code = activity.get("activityCodeId").and_then(Value::as_str);
                let name = match code.and_then(|c| codes.get(c)) {
                    // The category is what `is_working` reads (`Break`, `TimeOff`, ...).
                    Some(category) => category.clone(),
                    None => activity
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                if name.chars().count() > MAX_NAME {
                    return Err(bad(
                        format!("{here}.description"),
                        format!("longer than {MAX_NAME} characters"),
                    ));
                }
                push(&mut shifts, agent, from, to, name)?;
            }
        }
    }
    Ok(shifts)
}

fn push(
    shifts: &mut Vec<Shift>,
    agent: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    activity: String,
) -> Result<(), RosterError> {
    if shifts.len() == MAX_ROWS {
        return Err(too_many_shifts());
    }
    shifts.push(Shift {
        agent: agent.to_string(),
        start,
        end,
        activity,
    });
    Ok(())
}

/// A shift's or activity's `startDate` and `lengthMinutes`, as a span.
fn span(entry: &Value, here: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), RosterError> {
    let bad = |field: &str, problem: String| RosterError::Entry {
        path: format!("{here}.{field}"),
        problem,
    };
    let text = entry
        .get("startDate")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("startDate", "missing".into()))?;
    let start = DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            bad(
                "startDate",
                format!("\"{text}\" is not an ISO-8601 time (2027-01-04T08:00:00.000Z)"),
            )
        })?;
    let most = MAX_SHIFT_HOURS * 60;
    let minutes = entry
        .get("lengthMinutes")
        .and_then(Value::as_i64)
        .filter(|m| (1..=most).contains(m))
        .ok_or_else(|| {
            bad(
                "lengthMinutes",
                format!("missing, or not a whole number of minutes from 1 to {most}"),
            )
        })?;
    Ok((start, start + TimeDelta::minutes(minutes)))
}

/// The business unit's activity codes, when the file carries them: id → category.
fn activity_codes(root: &Value) -> Result<HashMap<String, String>, RosterError> {
    let Some(list) = root.get("activityCodes") else {
        return Ok(HashMap::new());
    };
    let entries: Vec<&Value> = match list {
        Value::Array(items) => items.iter().collect(),
        // `GET .../activitycodes` answers `{"entities": [...]}`.
        Value::Object(map) => match map.get("entities") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => map.values().collect(),
        },
        _ => {
            return Err(RosterError::Entry {
                path: "activityCodes".into(),
                problem: "not a list".into(),
            })
        }
    };
    let mut codes = HashMap::new();
    for (i, code) in entries.iter().enumerate() {
        let id = code.get("id").and_then(Value::as_str);
        let category = code.get("category").and_then(Value::as_str);
        match (id, category) {
            (Some(id), Some(category)) => {
                codes.insert(id.to_string(), category.to_string());
            }
            _ => {
                return Err(RosterError::Entry {
                    path: format!("activityCodes[{i}]"),
                    problem: "needs an id and a category".into(),
                })
            }
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::is_working;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn shifts_activities_categories_and_midnight() {
        let text = r#"{
          "businessUnitTimeZone": "Asia/Manila",
          "activityCodes": [
            {"id": "0", "name": "On Queue", "category": "OnQueueWork"},
            {"id": "1", "name": "Break", "category": "Break"},
            {"id": "9", "name": "Coffee", "category": "Meal"}
          ],
          "agentSchedules": [
            {"user": {"id": "u-1"}, "shifts": [
              {"startDate": "2027-01-04T22:00:00.000Z", "lengthMinutes": 480, "activities": [
                {"startDate": "2027-01-04T22:00:00.000Z", "lengthMinutes": 240, "activityCodeId": "0", "description": ""},
                {"startDate": "2027-01-05T02:00:00.000Z", "lengthMinutes": 30, "activityCodeId": "9", "description": "Recharge"},
                {"startDate": "2027-01-05T02:30:00.000Z", "lengthMinutes": 210, "activityCodeId": "0"}
              ]}
            ], "fullDayTimeOffMarkers": []},
            {"user": {"id": "u-2"}, "shifts": [
              {"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 60}
            ]},
            {"user": {"id": "u-3"}, "shifts": [
              {"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 60, "activities": [
                {"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 60, "activityCodeId": "x", "description": "Lunch"}
              ]}
            ]}
          ]
        }"#;
        let shifts = parse_genesys(text).unwrap();
        assert_eq!(shifts.len(), 5);
        // The night shift crosses midnight UTC; its meal (by category, whatever its
        // description says) needs no seat.
        assert_eq!(shifts[0].start, at("2027-01-04T22:00:00Z"));
        assert_eq!(shifts[2].end, at("2027-01-05T06:00:00Z"));
        assert!(is_working(&shifts[0].activity) && !is_working(&shifts[1].activity));
        // No activities: the whole shift is work.
        assert_eq!(
            (shifts[3].agent.as_str(), shifts[3].activity.as_str()),
            ("u-2", "")
        );
        // An unknown code falls back to the description.
        assert!(!is_working(&shifts[4].activity));
        // The answer of an asynchronous search.
        let wrapped = format!("{{\"result\": {text}}}");
        assert_eq!(parse_genesys(&wrapped).unwrap(), shifts);
    }

    #[test]
    fn a_bad_entry_is_named_by_its_path_and_nothing_is_read() {
        let shift = |body: &str| {
            format!(
                r#"{{"agentSchedules": [{{"user": {{"id": "u-1"}}, "shifts": [{{"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 60}}, {body}]}}]}}"#
            )
        };
        let cases = [
            (
                r#"{"lengthMinutes": 60}"#,
                "agentSchedules[0].shifts[1].startDate",
            ),
            (
                r#"{"startDate": "monday", "lengthMinutes": 60}"#,
                "agentSchedules[0].shifts[1].startDate",
            ),
            (
                r#"{"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 0}"#,
                "agentSchedules[0].shifts[1].lengthMinutes",
            ),
            (
                r#"{"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 1441}"#,
                "agentSchedules[0].shifts[1].lengthMinutes",
            ),
            (
                r#"{"startDate": "2027-01-04T08:00:00Z", "lengthMinutes": 60, "activities": [{"startDate": "2027-01-04T08:00:00Z"}]}"#,
                "agentSchedules[0].shifts[1].activities[0].lengthMinutes",
            ),
        ];
        for (body, path) in cases {
            match parse_genesys(&shift(body)) {
                Err(RosterError::Entry { path: p, .. }) => assert_eq!(p, path, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_genesys(r#"{"agentSchedules": [{"shifts": []}]}"#),
            Err(RosterError::Entry { path, .. }) if path == "agentSchedules[0].user.id"
        ));
        assert!(matches!(
            parse_genesys("{\n\"agentSchedules\": [,]}"),
            Err(RosterError::Row { line: 2, .. })
        ));
        assert_eq!(
            parse_genesys("{}"),
            Err(RosterError::MissingColumn("agentSchedules".into()))
        );
    }
}
