//! The engine against the brute-force oracle of `brute.rs`, on random terms, zones and
//! instants.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use timefence_terms::chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{evaluate, Decision, Terms, TermsSpec};

use crate::brute::*;

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
