//! Engine benchmarks: one evaluate, a year of occurrences, and the coverage of 1,000 licenses.

use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::BTreeMap;
use std::hint::black_box;
use timefence_terms::chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use timefence_terms::{evaluate, Coverage, DisplayDay, Terms, TermsSpec};

const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
];

fn terms(start: &str, end: &str, limit: Option<&str>, zone: &str, seats: i64) -> Terms {
    TermsSpec {
        license_start_date: "2024-01-01".into(),
        license_end_date: "2024-12-31".into(),
        daily_start_time: start.into(),
        daily_end_time: end.into(),
        daily_time_consumption_limit: limit.map(Into::into),
        time_zone: zone.into(),
        weekdays: None,
        seats,
        product: String::new(),
        features: BTreeMap::new(),
    }
    .validate()
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let night = terms("22:00", "06:00", Some("3h"), "Europe/Paris", 10);
    let at: DateTime<Utc> = "2024-05-06T23:30:00Z".parse().unwrap();
    c.bench_function("evaluate (night shift, Paris, with limit)", |b| {
        b.iter(|| {
            evaluate(
                black_box(&night),
                black_box(at),
                black_box(TimeDelta::minutes(40)),
            )
        })
    });
    let outside: DateTime<Utc> = "2024-05-06T12:00:00Z".parse().unwrap();
    c.bench_function("evaluate (denied, next opening)", |b| {
        b.iter(|| evaluate(black_box(&night), black_box(outside), TimeDelta::zero()))
    });

    let year_from: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
    let year_to: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
    c.bench_function("occurrences over a 1-year term (Paris)", |b| {
        b.iter(|| black_box(&night).occurrences(black_box(year_from), black_box(year_to)))
    });

    // 1,000 licenses in five zones with windows spread over the day.
    let licenses: Vec<Terms> = (0..1000)
        .map(|i| {
            let start = (i * 37) % (24 * 60);
            let end = (start + 240 + (i * 13) % 480) % (24 * 60);
            let hm = |m: usize| format!("{:02}:{:02}", m / 60, m % 60);
            terms(
                &hm(start),
                &hm(end),
                None,
                ZONES[i % ZONES.len()],
                1 + (i % 50) as i64,
            )
        })
        .collect();
    let day = DisplayDay::new(
        NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
        "Europe/Paris".parse().unwrap(),
    );
    c.bench_function("coverage of 1,000 licenses over a day", |b| {
        b.iter(|| Coverage::of(black_box(&licenses).iter(), black_box(&day)))
    });
}

criterion_group!(engine, benches);
criterion_main!(engine);
