//! What one drag step costs in the shell and the engine: the preview of a 200-license
//! customer with one window changed (load, validate, lay out, cover, price), and the same
//! serialised as the window receives it. The window's own share (IPC and drawing) is measured
//! in the real app by the end-to-end test's performance marks.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use timefence_app::views::{self, DayChoice, LicenseEdit};
use timefence_catalogue::{Catalogue, FirstRun};
use timefence_terms::TermsSpec;

fn two_hundred_shifts() -> (Catalogue, i64) {
    let mut catalogue = Catalogue::open_in_memory(FirstRun::SeedDemo)
        .unwrap()
        .catalogue;
    let customer = catalogue
        .add_named_customer("Two Hundred Shifts", "UTC")
        .unwrap();
    for i in 0..200u32 {
        let start = (i * 7) % 24;
        let spec = TermsSpec {
            license_start_date: "2024-01-01".into(),
            license_end_date: "2024-12-31".into(),
            daily_start_time: format!("{start:02}:00"),
            daily_end_time: format!("{:02}:00", (start + 8) % 24),
            daily_time_consumption_limit: None,
            time_zone: "UTC".into(),
            weekdays: None,
            seats: i64::from(1 + i % 9),
            product: "Timefence demo".into(),
            features: Default::default(),
        };
        catalogue
            .add_license(customer, &format!("Shift {i:03}"), &spec)
            .unwrap();
    }
    (catalogue, customer)
}

fn drag_step(c: &mut Criterion) {
    let (catalogue, customer) = two_hundred_shifts();
    let day = DayChoice {
        date: Some("2024-06-12".into()),
        ..DayChoice::default()
    };
    let now = timefence_terms::chrono::Utc::now();
    let lane = views::timeline(&catalogue, customer, &day, now)
        .unwrap()
        .lanes[0]
        .clone();
    let edit = LicenseEdit {
        daily_end_time: "05:00".into(),
        ..lane.edit.clone()
    };
    c.bench_function("drag step preview, 200 licenses", |b| {
        b.iter(|| {
            views::preview_changes(
                &catalogue,
                customer,
                &day,
                Some(lane.license_id),
                black_box(&edit),
                now,
            )
            .unwrap()
        })
    });
    c.bench_function("drag step preview + JSON, 200 licenses", |b| {
        b.iter(|| {
            let preview = views::preview_changes(
                &catalogue,
                customer,
                &day,
                Some(lane.license_id),
                black_box(&edit),
                now,
            )
            .unwrap();
            serde_json::to_vec(&preview).unwrap().len()
        })
    });
    c.bench_function("whole timeline, 200 licenses", |b| {
        b.iter(|| views::timeline(&catalogue, customer, black_box(&day), now).unwrap())
    });
}

criterion_group!(benches, drag_step);
criterion_main!(benches);
