//! A year of actual use for 1,000 licenses: importing it, and drawing it (the timeline's
//! overlay of each customer, and the Forecast across every customer), with the drag step of a
//! customer whose year is imported set against the same step without reports and the 60 Hz
//! frame (16.7 ms).
//!
//! 100 customers of 10 licenses (8-hour windows at varying hours, 1 to 50 seats), each with one
//! relay report for all of 2024: 366 days × 32 quarter-hours × 10 licenses = 117,120
//! quarter-hours a customer, 11.7 million in all, with refusals at the windows' edges.
//! Timed by hand (not criterion) to give medians and the 99th percentile.
//!
//! `cargo bench --bench usage` runs it whole; `-- --short` runs 10 customers (100 licenses),
//! as CI does.

use ed25519_dalek::SigningKey;
use std::hint::black_box;
use std::time::{Duration, Instant};
use timefence_app::usage::overlay_of;
use timefence_app::views::{self, DayChoice, LicenseEdit};
use timefence_catalogue::{Catalogue, FirstRun, NewCustomer};
use timefence_license::relay::{certify, CertificatePayload};
use timefence_license::usage::{
    read_report, sign_report, LicenseUsage, Quarter, Refusals, ReportPayload,
};
use timefence_license::{key_id, public_key_base64, TrustedKeys};
use timefence_terms::TermsSpec;

const LICENSES_PER_CUSTOMER: u32 = 10;
const YEAR_START: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
const DAYS: i64 = 366;

fn vendor() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}
fn relay() -> SigningKey {
    SigningKey::from_bytes(&[8; 32])
}

/// A small deterministic generator, so every run draws the same year.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(below.max(1))) as u32
    }
}

fn spec(start: u32, seats: u32) -> TermsSpec {
    TermsSpec {
        license_start_date: "2024-01-01".into(),
        license_end_date: "2024-12-31".into(),
        daily_start_time: format!("{start:02}:00"),
        daily_end_time: format!("{:02}:00", (start + 8) % 24),
        daily_time_consumption_limit: None,
        time_zone: "UTC".into(),
        weekdays: None,
        seats: i64::from(seats),
        product: "Timefence demo".into(),
        features: Default::default(),
    }
}

/// The catalogue (customers, licenses, the vendor key) and each customer's signed year.
fn setup(customers: u32, path: &std::path::Path) -> (Vec<i64>, Vec<String>) {
    let mut catalogue = Catalogue::open(path, FirstRun::SeedDemo).unwrap().catalogue;
    let vendor_public = vendor().verifying_key();
    let vendor_id = key_id(&vendor_public);
    catalogue
        .add_signing_key(&vendor_id, *vendor_public.as_bytes(), None)
        .unwrap();
    let mut random = Lcg(42);
    let (mut ids, mut reports) = (Vec::new(), Vec::new());
    for c in 0..customers {
        let name = format!("Customer {c:03}");
        let id = catalogue
            .add_customer(&NewCustomer {
                name: name.clone(),
                default_zone: "UTC".into(),
                ..Default::default()
            })
            .unwrap();
        let mut usages = Vec::new();
        for l in 0..LICENSES_PER_CUSTOMER {
            let start = (c * 3 + l * 5) % 24;
            let seats = 1 + random.next(50);
            let license = catalogue
                .add_license(id, &format!("Shift {l}"), &spec(start, seats))
                .unwrap();
            let uid = catalogue.license(license).unwrap().uid;
            let mut quarters = Vec::with_capacity((DAYS * 32) as usize);
            let mut refusals = Vec::new();
            for day in 0..DAYS {
                let opens = YEAR_START + day * 86_400 + i64::from(start) * 3600;
                for q in 0..32 {
                    let peak = random.next(seats + 1);
                    quarters.push(Quarter {
                        start: opens + q * 900,
                        peak,
                        seat_seconds: i64::from(peak) * i64::from(300 + random.next(600)),
                    });
                }
                if random.next(4) == 0 {
                    refusals.push(Refusals {
                        start: opens + 8 * 3600,
                        reason: "OutsideWindow".into(),
                        count: 1 + random.next(5),
                        holders: None,
                    });
                }
            }
            // A report lists quarters in time order, as the relay writes them.
            quarters.sort_by_key(|q| q.start);
            usages.push(LicenseUsage {
                license: format!("{vendor_id}-{uid}"),
                distinct_holders: seats * 2,
                quarters,
                refusals,
            });
        }
        let certificate = certify(
            &CertificatePayload {
                relay_key: public_key_base64(&relay().verifying_key()),
                customer: name.clone(),
                customer_uid: None,
                licenses: vec![],
                issued_at: "2024-01-01T00:00:00Z".into(),
                not_after: None,
            },
            &vendor(),
        );
        reports.push(sign_report(
            &ReportPayload {
                customer: name,
                customer_uid: None,
                from: "2024-01-01".into(),
                to: "2024-12-31".into(),
                generated_at: "2025-01-01T00:00:00Z".into(),
                licenses: usages,
            },
            &relay(),
            &certificate,
        ));
        ids.push(id);
    }
    (ids, reports)
}

fn summary(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    let (median, p99) = (at(0.5), at(0.99));
    println!(
        "{name}: median {:.2} ms, p99 {:.2} ms ({} runs)",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples.len()
    );
    median
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let started = Instant::now();
    black_box(f());
    started.elapsed()
}

fn main() {
    let short = std::env::args().any(|a| a == "--short");
    let customers: u32 = if short { 10 } else { 100 };
    let runs = if short { 2 } else { 5 };
    let folder = tempfile::tempdir().unwrap();
    let base = folder.path().join("base.sqlite");
    let started = Instant::now();
    let (ids, reports) = setup(customers, &base);
    let bytes: usize = reports.iter().map(String::len).sum();
    println!(
        "{} licenses, {} quarter-hours, {} reports of {:.1} MB in all (made in {:.1} s)",
        customers * LICENSES_PER_CUSTOMER,
        u64::from(customers * LICENSES_PER_CUSTOMER) * DAYS as u64 * 32,
        reports.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // Import: every report into a fresh copy of the catalogue. The reference is checking the
    // same reports' signatures and reading them, without keeping them.
    let mut trusted = TrustedKeys::default();
    trusted.add(vendor().verifying_key());
    let mut verify = Vec::new();
    let mut import = Vec::new();
    let live = folder.path().join("live.sqlite");
    for _ in 0..runs {
        verify.push(time(|| {
            for r in &reports {
                read_report(r, &trusted).unwrap();
            }
        }));
        std::fs::copy(&base, &live).unwrap();
        let mut catalogue = Catalogue::open(&live, FirstRun::Empty).unwrap().catalogue;
        import.push(time(|| {
            for r in &reports {
                timefence_usage::import(&mut catalogue, r).unwrap();
            }
        }));
    }
    let verified = summary("verify and read every report (reference)", verify);
    let imported = summary(
        &format!(
            "import a year for {} licenses",
            customers * LICENSES_PER_CUSTOMER
        ),
        import,
    );
    println!(
        "  import / verify-and-read: {:.2}x",
        imported.as_secs_f64() / verified.as_secs_f64()
    );

    // Drawing: the timeline's overlay of one customer (10 licenses, a year), as the window
    // receives it (JSON), for every customer; the Forecast across all of them.
    let catalogue = Catalogue::open(&live, FirstRun::Empty).unwrap().catalogue;
    let now = timefence_terms::chrono::Utc::now();
    let day = DayChoice {
        date: Some("2024-06-12".into()),
        ..DayChoice::default()
    };
    let mut overlays = Vec::new();
    for _ in 0..runs {
        for id in &ids {
            overlays.push(time(|| {
                serde_json::to_vec(&overlay_of(&catalogue, *id, &day, now).unwrap())
                    .unwrap()
                    .len()
            }));
        }
    }
    summary(
        "timeline overlay of one customer's year (10 licenses), with JSON",
        overlays,
    );
    let mut forecasts = Vec::new();
    for _ in 0..runs {
        forecasts.push(time(|| {
            views::forecast(&catalogue, "2024-06-12", "UTC", 60, &[]).unwrap()
        }));
    }
    summary(
        &format!(
            "Forecast with actual use, {} licenses",
            customers * LICENSES_PER_CUSTOMER
        ),
        forecasts,
    );

    // A drag step (the changed lane, coverage and cost) of a customer whose year is imported,
    // against the same customer's step in the catalogue without reports.
    let without = Catalogue::open(&base, FirstRun::Empty).unwrap().catalogue;
    let steps = |catalogue: &Catalogue| {
        let lane = views::timeline(catalogue, ids[0], &day, now).unwrap().lanes[0].clone();
        let edit = LicenseEdit {
            daily_end_time: "05:00".into(),
            ..lane.edit.clone()
        };
        (0..500)
            .map(|_| {
                time(|| {
                    let preview = views::preview_changes(
                        catalogue,
                        ids[0],
                        &day,
                        Some(lane.license_id),
                        &edit,
                        now,
                    )
                    .unwrap();
                    serde_json::to_vec(&preview).unwrap().len()
                })
            })
            .collect::<Vec<_>>()
    };
    let plain = summary("drag step + JSON, no reports (reference)", steps(&without));
    let with = summary("drag step + JSON, a year imported", steps(&catalogue));
    println!(
        "  with / without: {:.2}x; the 60 Hz frame is 16.7 ms",
        with.as_secs_f64() / plain.as_secs_f64()
    );
}
