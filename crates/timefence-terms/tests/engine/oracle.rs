//! A brute-force oracle for the engine.
//!
//! It shares no code with the engine's rules. It learns each zone's transitions by walking UTC
//! hour by hour (then minute by minute) and reading the wall clock, finds the instant of a
//! wall time by walking minutes until the clock shows it (or, in a gap, first passes it), and
//! answers "allowed?", "until when?" and "next opening?" by walking minute by minute.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use timefence_terms::chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{evaluate, Decision, DenyReason, Terms, TermsSpec};

const ZONES: &[&str] = &[
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

const MINUTE: i64 = 60;

fn offset_at(zone: Tz, utc_seconds: i64) -> i64 {
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
fn wall(zone: Tz, utc_seconds: i64) -> i64 {
    utc_seconds + offset_at(zone, utc_seconds)
}

/// A zone's offset changes between 2005 and 2035, found by walking UTC.
struct Transitions {
    first_offset: i64,
    /// (instant of change, offset from then on)
    changes: Vec<(i64, i64)>,
}

impl Transitions {
    fn learn(zone: Tz) -> Transitions {
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

    fn offsets_between(&self, from: i64, to: i64) -> (i64, i64) {
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

fn transitions(zone: Tz) -> &'static Transitions {
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
fn oracle_resolve(zone: Tz, local: i64) -> i64 {
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
struct OracleOccurrence {
    date: NaiveDate,
    opens: i64,
    closes: i64,
}

fn local_seconds(date: NaiveDate, seconds: u32) -> i64 {
    date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + i64::from(seconds)
}

/// The window opening on `date`; when a window opens the next day too (`next_valid`), it ends
/// no later than that opening, since one license's windows never overlap.
fn oracle_window(terms: &Terms, date: NaiveDate, next_valid: bool) -> Option<OracleOccurrence> {
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

fn oracle_occurrences(terms: &Terms, from: NaiveDate, to: NaiveDate) -> Vec<OracleOccurrence> {
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
enum OracleAnswer {
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

fn oracle_evaluate(terms: &Terms, at: i64, consumed: i64) -> OracleAnswer {
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
            let mut u = at;
            loop {
                u += MINUTE;
                let inside = occurrence.opens <= u && u < occurrence.closes;
                if !inside || remaining.is_some_and(|r| u - at >= r) {
                    break;
                }
            }
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
                next_opening = Some(u);
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

trait LocalDate {
    fn from_timestamp_opt_local(local_seconds: i64) -> NaiveDate;
}

impl LocalDate for NaiveDateTime {
    fn from_timestamp_opt_local(local_seconds: i64) -> NaiveDate {
        DateTime::from_timestamp(local_seconds, 0)
            .unwrap()
            .date_naive()
    }
}

fn engine_answer(decision: Decision) -> OracleAnswer {
    match decision {
        Decision::Allowed {
            occurrence,
            closes_at,
            remaining,
        } => OracleAnswer::Allowed {
            date: occurrence.date,
            closes_at: closes_at.timestamp(),
            remaining: remaining.map(|r| r.num_seconds()),
        },
        Decision::Denied {
            reason,
            next_opening,
        } => OracleAnswer::Denied {
            reason,
            next_opening: next_opening.map(|t| t.timestamp()),
        },
    }
}

#[derive(Debug, Clone)]
struct Case {
    terms: Terms,
    at: i64,
    consumed: i64,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let zone = 0..ZONES.len();
    (
        zone,
        any::<u64>(),
        0u32..1440,
        -360i64..360,
        0u32..20,
        any::<u8>(),
        -6i64..3,
        0i64..10,
    )
        .prop_flat_map(
            |(z, pick, start_minute, near, end_kind, weekday_bits, shift, length)| {
                let zone: Tz = ZONES[z].parse().unwrap();
                let table = transitions(zone);
                // Half the cases sit within three days of a transition, the rest anywhere.
                let base = if !table.changes.is_empty() && pick % 2 == 0 {
                    let (t, _) = table.changes[(pick / 2) as usize % table.changes.len()];
                    t + ((pick >> 20) % (6 * 1440)) as i64 * MINUTE - 3 * 86_400
                } else {
                    let from = Utc
                        .with_ymd_and_hms(2008, 1, 1, 0, 0, 0)
                        .unwrap()
                        .timestamp();
                    from + ((pick >> 8) % (25 * 365 * 1440)) as i64 * MINUTE
                };
                // Windows often start near the transition's wall time, where DST bites.
                let base_wall_minute = wall(zone, base).rem_euclid(86_400) / 60;
                let start = if pick % 3 == 0 {
                    (base_wall_minute + near).rem_euclid(1440) as u32
                } else {
                    start_minute
                };
                let at_offset = -(3 * 1440)..(3 * 1440i64);
                (
                    Just((zone, base, start, end_kind, weekday_bits, shift, length)),
                    at_offset,
                    0u32..=1440,
                    0i64..600,
                    any::<bool>(),
                    1u32..=1440,
                )
            },
        )
        .prop_map(
            |(
                (zone, base, start, end_kind, weekday_bits, shift, length),
                at_offset,
                end_minute,
                consumed,
                limited,
                limit_minutes,
            )| {
                let end = match end_kind {
                    0 | 1 => start,
                    2 => 1440,
                    _ => end_minute,
                };
                let weekdays = if weekday_bits & 0x80 != 0 || weekday_bits & 0x7f == 0 {
                    0x7f
                } else {
                    weekday_bits & 0x7f
                };
                let at = base + at_offset * MINUTE;
                let local_today = DateTime::from_timestamp(wall(zone, at), 0)
                    .unwrap()
                    .date_naive();
                let start_date = local_today + TimeDelta::days(shift);
                let window_minutes = if end > start {
                    end - start
                } else {
                    1440 - start + end
                };
                let limit = limited.then(|| limit_minutes.min(window_minutes));
                let names = timefence_terms::Weekdays::from_bits(weekdays)
                    .unwrap()
                    .names();
                let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
                let spec = TermsSpec {
                    license_start_date: start_date.to_string(),
                    license_end_date: (start_date + TimeDelta::days(length)).to_string(),
                    daily_start_time: hm(start),
                    daily_end_time: hm(end),
                    daily_time_consumption_limit: limit.map(|m| format!("{m}m")),
                    time_zone: zone.name().to_string(),
                    weekdays: Some(names),
                    seats: consumed % 97 + 1,
                    product: String::new(),
                    features: BTreeMap::new(),
                };
                let terms = spec.validate().unwrap_or_else(|e| panic!("{spec:?}: {e}"));
                let consumed = match limit {
                    Some(l) if consumed % 3 == 0 => i64::from(l) * 60,
                    Some(l) => (consumed * 60).min(i64::from(l) * 60 + 1800),
                    None => consumed * 60,
                };
                Case {
                    terms,
                    at,
                    consumed,
                }
            },
        )
}

fn cases() -> u32 {
    std::env::var("TIMEFENCE_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

#[test]
fn the_engine_agrees_with_a_minute_by_minute_oracle_on_random_terms_zones_and_instants() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let tally = std::sync::Mutex::new(BTreeMap::<String, u32>::new());
    runner
        .run(&case_strategy(), |case| {
            let at = DateTime::from_timestamp(case.at, 0).unwrap();
            let engine =
                engine_answer(evaluate(&case.terms, at, TimeDelta::seconds(case.consumed)));
            let oracle = oracle_evaluate(&case.terms, case.at, case.consumed);
            prop_assert_eq!(
                &engine,
                &oracle,
                "terms {:?} at {}",
                case.terms.to_spec(),
                at
            );
            let kind = match &engine {
                OracleAnswer::Allowed { .. } => "Allowed".to_string(),
                OracleAnswer::Denied { reason, .. } => format!("{reason:?}"),
            };
            *tally.lock().unwrap().entry(kind).or_default() += 1;

            // The occurrences over the case's whole term match the oracle's too.
            let from = case.terms.start_date - TimeDelta::days(1);
            let until = case.terms.end_date + TimeDelta::days(2);
            let engine_list: Vec<(NaiveDate, i64, i64)> = case
                .terms
                .occurrences(
                    from.and_hms_opt(0, 0, 0).unwrap().and_utc(),
                    until.and_hms_opt(0, 0, 0).unwrap().and_utc(),
                )
                .into_iter()
                .map(|o| (o.date, o.opens.timestamp(), o.closes.timestamp()))
                .collect();
            let oracle_list: Vec<(NaiveDate, i64, i64)> =
                oracle_occurrences(&case.terms, case.terms.start_date, case.terms.end_date)
                    .into_iter()
                    .filter(|o| {
                        o.opens < until.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
                            && o.closes > from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
                    })
                    .map(|o| (o.date, o.opens, o.closes))
                    .collect();
            prop_assert_eq!(engine_list, oracle_list);
            Ok(())
        })
        .unwrap();
    let tally = tally.into_inner().unwrap();
    eprintln!("oracle cases by outcome: {tally:?}");
    // Every kind of answer was exercised, so agreement is not agreement on one easy branch.
    for kind in [
        "Allowed",
        "NotYetValid",
        "Expired",
        "WeekdayExcluded",
        "OutsideWindow",
        "ConsumptionExhausted",
    ] {
        assert!(
            tally.get(kind).copied().unwrap_or(0) > 0,
            "no case ended {kind}: {tally:?}"
        );
    }
}

#[test]
fn the_oracle_s_own_resolver_reads_gaps_and_repeats_as_documented() {
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let local = |text: &str| {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp()
    };
    // 02:30 in the gap is read with CET (+1): 01:30 UTC, shown as 03:30 CEST.
    assert_eq!(
        oracle_resolve(paris, local("2024-03-31 02:30")),
        local("2024-03-31 01:30")
    );
    // The first 02:30 on the fall-back day is still CEST (+2).
    assert_eq!(
        oracle_resolve(paris, local("2024-10-27 02:30")),
        local("2024-10-27 00:30")
    );
}

#[test]
fn coverage_agrees_minute_by_minute_with_evaluate_on_random_license_sets() {
    let cases = (cases() / 50).max(40);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let display_zones = [
        "UTC",
        "Europe/Paris",
        "Australia/Lord_Howe",
        "America/Havana",
        "Asia/Kathmandu",
    ];
    let strategy = (
        proptest::collection::vec(case_strategy(), 1..5),
        0..display_zones.len(),
        -2i64..3,
        // Half the days start at midnight; the rest at a random half hour (a 06:00-06:00 axis).
        prop_oneof![Just(0u32), 0u32..48],
    );
    runner
        .run(&strategy, |(licenses, z, shift, half_hours)| {
            let zone: Tz = display_zones[z].parse().unwrap();
            let date = licenses[0].terms.start_date + TimeDelta::days(shift);
            let axis = timefence_terms::WallTime::from_seconds(half_hours * 1800).unwrap();
            let day = timefence_terms::DisplayDay::starting_at(date, zone, axis);
            let terms: Vec<&Terms> = licenses.iter().map(|c| &c.terms).collect();
            let view = timefence_terms::DayView::of_day(&terms, day);
            let coverage = &view.coverage;
            let contributors = view.contributors(900);
            let mut seen: Vec<Vec<usize>> = vec![Vec::new(); contributors.len()];
            let mut minute = day.starts;
            while minute < day.ends {
                let open: Vec<usize> = (0..terms.len())
                    .filter(|i| evaluate(terms[*i], minute, TimeDelta::zero()).is_allowed())
                    .collect();
                let seats: u64 = open.iter().map(|i| u64::from(terms[*i].seats)).sum();
                let offset = day.offset_of(minute);
                let bucket = &mut seen[(offset / 900) as usize];
                for lane in &open {
                    if !bucket.contains(lane) {
                        bucket.push(*lane);
                    }
                }
                // Used without a break from the opening, the license runs out of daily
                // consumption exactly where the bar's hatching starts.
                for lane in &open {
                    let piece = view.lanes[*lane]
                        .iter()
                        .find(|p| p.from_seconds <= offset && offset < p.to_seconds)
                        .expect("an open license has a bar at that minute");
                    let opened = terms[*lane]
                        .occurrence_at(minute)
                        .expect("an open license is inside an occurrence")
                        .opens;
                    let used = evaluate(terms[*lane], minute, minute - opened).is_allowed();
                    let before_limit = piece.limit_reached_at.is_none_or(|at| offset < at);
                    prop_assert_eq!(used, before_limit, "limit at {} for lane {}", minute, lane);
                }
                let step = coverage
                    .steps
                    .iter()
                    .find(|s| s.from_seconds <= offset && offset < s.to_seconds);
                prop_assert_eq!(
                    step.map(|s| s.seats),
                    Some(seats),
                    "at {} on {}",
                    minute,
                    date
                );
                minute += TimeDelta::minutes(1);
            }
            for bucket in &mut seen {
                bucket.sort_unstable();
            }
            prop_assert_eq!(contributors, seen, "contributors on {} from {}", date, axis);
            Ok(())
        })
        .unwrap();
}
