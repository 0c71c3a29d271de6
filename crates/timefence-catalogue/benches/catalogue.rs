//! Catalogue benchmarks on a generated catalogue of 10,000 customers and 100,000 licenses.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use timefence_catalogue::{Catalogue, FirstRun};
use timefence_terms::chrono::NaiveDate;
use timefence_terms::{Coverage, DisplayDay};

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut catalogue = Catalogue::open(&dir.path().join("bench.sqlite"), FirstRun::SeedDemo)
        .unwrap()
        .catalogue;
    catalogue.generate(10_000, 10, 42).unwrap();
    let bpo = catalogue.search("Northwind", 1).unwrap().customers[0].id;
    let middle = catalogue.search("customer 005000", 1).unwrap().customers[0].id;

    c.bench_function("search 'south' (10k customers, 100k licenses)", |b| {
        b.iter(|| catalogue.search(black_box("south"), 50).unwrap())
    });
    c.bench_function("search 'cust 0050' as typed", |b| {
        b.iter(|| catalogue.search(black_box("customer 0050"), 50).unwrap())
    });
    c.bench_function("search 'No' (prefix)", |b| {
        b.iter(|| catalogue.search(black_box("No"), 50).unwrap())
    });
    c.bench_function("customers page 5,000 of 10,000", |b| {
        b.iter(|| catalogue.customers_page("", black_box(5_000), 50).unwrap())
    });
    c.bench_function("load one customer with its licenses", |b| {
        b.iter(|| catalogue.licenses_of(black_box(middle)).unwrap())
    });
    c.bench_function("load the BPO with its licenses", |b| {
        b.iter(|| catalogue.licenses_of(black_box(bpo)).unwrap())
    });

    let mut group = c.benchmark_group("whole catalogue");
    group.sample_size(10);
    let day = DisplayDay::new(
        NaiveDate::from_ymd_opt(2025, 6, 12).unwrap(),
        "UTC".parse().unwrap(),
    );
    group.bench_function("coverage by hour of 100k licenses (load + compute)", |b| {
        b.iter(|| {
            let terms = catalogue.all_current_terms().unwrap();
            Coverage::of(terms.iter(), &day).peaks_per_bucket(3600)
        })
    });
    group.bench_function(
        "forecast by hour across 10k customers (load + compute)",
        |b| {
            b.iter(|| {
                let grouped = catalogue.current_terms_by_customer().unwrap();
                let customers: Vec<Vec<&timefence_terms::Terms>> = grouped
                    .iter()
                    .map(|(_, terms)| terms.iter().collect())
                    .collect();
                timefence_terms::Forecast::build(&customers, &day, 3600)
            })
        },
    );
    group.finish();
}

criterion_group!(catalogue, benches);
criterion_main!(catalogue);
