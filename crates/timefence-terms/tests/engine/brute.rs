//! A brute-force oracle for the engine, shared by the engine's tests and the conformance
//! vectors (`crates/timefence-license/tests/conformance.rs` includes this file).
//!
//! It shares no code with the engine's rules. It learns each zone's transitions by walking UTC
//! hour by hour (then minute by minute) and reading the wall clock, finds the instant of a
//! wall time by walking minutes until the clock shows it (or, in a gap, first passes it), and
//! answers "allowed?", "until when?" and "next opening?" by walking minute by minute. It reads
//! the terms' fields (dates, window, limit, zone, weekdays), not the engine's occurrences.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::OnceLock;
use timefence_terms::chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{DenyReason, Terms};

pub const ZONES: &[&str] = &[
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Santiago",
    "America/Havana",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "Pacific/Chatham",
    "America/St_Johns",
];

pub const MINUTE: i64 = 60;

pub fn offset_at(zone: Tz, utc_seconds: i64) -> i64 {
    let instant = DateTime::from_timestamp(utc_seconds, 0)
        .unwrap()
        .naive_utc();
    i64::from(
        zone.offset_from_utc_datetime(&instant)
            .fix()
            .local_minus_utc(),
    )
}

/// The wall clock (as seconds of a naive local date-time) at a UTC instant.
pub fn wall(zone: Tz, utc_seconds: i64) -> i64 {
    utc_seconds + offset_at(zone, utc_seconds)
}

/// A zone's offset changes between 2005 and 2035, found by walking UTC.
pub struct Transitions {
    pub first_offset: i64,
    /// (instant of change, offset from then on)
    pub changes: Vec<(i64, i64)>,
}

impl Transitions {
    pub fn learn(zone: Tz) -> Transitions {
        let start = Utc
            .with_ymd_and_hms(2005, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let end = Utc
            .with_ymd_and_hms(2035, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let first_offset = offset_at(zone, start);
        let mut changes = Vec::new();
        let mut previous = first_offset;
        let mut t = start;
        while t < end {
            let next = offset_at(zone, t + 3600);
            if next != previous {
                let mut m = t + MINUTE;
                while offset_at(zone, m) == previous {
                    m += MINUTE;
                }
                changes.push((m, next));
                previous = next;
            }
            t += 3600;
        }
        Transitions {
            first_offset,
            changes,
        }
    }

    pub fn offsets_between(&self, from: i64, to: i64) -> (i64, i64) {
        let i = self.changes.partition_point(|(t, _)| *t <= from);
        let mut lo = if i == 0 {
            self.first_offset
        } else {
            self.changes[i - 1].1
        };
        let mut hi = lo;
        for (t, offset) in &self.changes[i..] {
            if *t > to {
                break;
            }
            lo = lo.min(*offset);
            hi = hi.max(*offset);
        }
        (lo, hi)
    }
}

pub fn transitions(zone: Tz) -> &'static Transitions {
    static TABLE: OnceLock<BTreeMap<&'static str, Transitions>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ZONES
            .iter()
            .map(|name| (*name, Transitions::learn(name.parse().unwrap())))
            .collect()
    });
    &table[zone.name()]
}

/// The instant the wall clock shows `local`: the first minute that shows it, or in a gap the
/// wall time read with the offset in force just before the clock jumped past it.
pub fn oracle_resolve(zone: Tz, local: i64) -> i64 {
    let (lo, hi) = transitions(zone).offsets_between(local - 2 * 86_400, local + 2 * 86_400);
    let mut u = local - hi - MINUTE;
    let last = local - lo + MINUTE;
    while u <= last {
        let shown = wall(zone, u);
        if shown == local {
            return u;
        }
        if shown > local && wall(zone, u - MINUTE) < local {
            return local - offset_at(zone, u - MINUTE);
        }
        u += MINUTE;
    }
    panic!("oracle found no instant for {local} in {}", zone.name());
}

#[derive(Debug, Clone, Copy)]
pub struct OracleOccurrence {
    pub date: NaiveDate,
    pub opens: i64,
    pub closes: i64,
}

pub fn local_seconds(date: NaiveDate, seconds: u32) -> i64 {
    date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + i64::from(seconds)
}

/// The window opening on `date`; when a window opens the next day too (`next_valid`), it ends
/// no later than that opening, since one license's windows never overlap.
pub fn oracle_window(terms: &Terms, date: NaiveDate, next_valid: bool) -> Option<OracleOccurrence> {
    let (start, end) = (terms.window.start().seconds(), terms.window.end().seconds());
    let opens = oracle_resolve(terms.zone, local_seconds(date, start));
    let close_date = if end <= start { date.succ_opt()? } else { date };
    let mut closes = oracle_resolve(terms.zone, local_seconds(close_date, end));
    if next_valid {
        let next_opens = oracle_resolve(terms.zone, local_seconds(date.succ_opt()?, start));
        closes = closes.min(next_opens);
    }
    (closes > opens).then_some(OracleOccurrence {
        date,
        opens,
        closes,
    })
}

pub fn oracle_occurrences(terms: &Terms, from: NaiveDate, to: NaiveDate) -> Vec<OracleOccurrence> {
    let mut out = Vec::new();
    let mut date = from;
    let valid = |date: NaiveDate| {
        date >= terms.start_date
            && date <= terms.end_date
            && terms.weekdays.contains(date.weekday())
    };
    while date <= to {
        if valid(date) {
            out.extend(oracle_window(terms, date, valid(date.succ_opt().unwrap())));
        }
        date = date.succ_opt().unwrap();
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
pub enum OracleAnswer {
    Allowed {
        date: NaiveDate,
        closes_at: i64,
        remaining: Option<i64>,
    },
    Denied {
        reason: DenyReason,
        next_opening: Option<i64>,
    },
}

pub fn oracle_evaluate(terms: &Terms, at: i64, consumed: i64) -> OracleAnswer {
    let today = NaiveDateTime::from_timestamp_opt_local(wall(terms.zone, at));
    let occurrences = oracle_occurrences(
        terms,
        (today - TimeDelta::days(3)).min(terms.start_date),
        terms.end_date,
    );
    let containing = |u: i64| occurrences.iter().find(|o| o.opens <= u && u < o.closes);
    let current = containing(at).copied();
    if let Some(occurrence) = current {
        let remaining = terms.daily_limit.map(|l| l.num_seconds() - consumed);
        if remaining.is_none_or(|r| r > 0) {
            // Walk until the window closes or the limit runs out.
            let stops = |u: i64| {
                let inside = occurrence.opens <= u && u < occurrence.closes;
                !inside || remaining.is_some_and(|r| u - at >= r)
            };
            let mut u = at;
            loop {
                u += MINUTE;
                if stops(u) {
                    break;
                }
            }
            // Then second by second within the last minute, for instants between minutes.
            let mut v = u - MINUTE;
            while !stops(v) {
                v += 1;
            }
            let u = v;
            return OracleAnswer::Allowed {
                date: occurrence.date,
                closes_at: u,
                remaining,
            };
        }
    }
    let horizon = occurrences.last().map_or(at, |o| o.closes);
    let mut next_opening = None;
    let mut u = at + MINUTE;
    while u <= horizon {
        if let Some(o) = containing(u) {
            if current.is_none_or(|c| c.date != o.date) {
                // Back second by second to the opening, for instants between minutes.
                let mut v = u;
                while v - 1 > at && containing(v - 1).is_some_and(|p| p.date == o.date) {
                    v -= 1;
                }
                next_opening = Some(v);
                break;
            }
        }
        u += MINUTE;
    }
    let reason = if current.is_some() {
        DenyReason::ConsumptionExhausted
    } else if today < terms.start_date {
        DenyReason::NotYetValid
    } else if next_opening.is_none() {
        DenyReason::Expired
    } else if !terms.weekdays.contains(today.weekday()) {
        DenyReason::WeekdayExcluded
    } else {
        DenyReason::OutsideWindow
    };
    OracleAnswer::Denied {
        reason,
        next_opening,
    }
}

pub trait LocalDate {
    fn from_timestamp_opt_local(local_seconds: i64) -> NaiveDate;
}

impl LocalDate for NaiveDateTime {
    fn from_timestamp_opt_local(local_seconds: i64) -> NaiveDate {
        DateTime::from_timestamp(local_seconds, 0)
            .unwrap()
            .date_naive()
    }
}
