//! The catalogue's everyday operations side by side on one machine: a SQLite catalogue file
//! and the same catalogue pushed into a team catalogue on PostgreSQL (loopback). Prints the
//! median and p99 of each, in milliseconds, and the PostgreSQL-to-SQLite ratio of medians.
//!
//! `cargo run --release -p timefence-team --example bench_engines -- FILE URL [ROUNDS]`
//! (`scripts/bench-team` runs it after its push).

use std::path::Path;
use std::time::Instant;
use timefence_catalogue::{Catalogue, FirstRun};

/// Median and p99 of `rounds` runs of `f` (after a few unmeasured ones), in milliseconds.
fn measure(rounds: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..rounds.min(10) {
        f();
    }
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((q * times.len() as f64) as usize).min(times.len() - 1)];
    (at(0.5), at(0.99))
}

/// What the window's drag of a bar saves: the license read, its product checked, the edit
/// saved from the count it started from, and the license read back.
fn drag_save(catalogue: &mut Catalogue, id: i64, step: usize) {
    let license = catalogue.license(id).unwrap();
    let mut spec = license.terms.to_spec();
    spec.daily_end_time = if step.is_multiple_of(2) {
        "17:00"
    } else {
        "18:00"
    }
    .into();
    spec.product = catalogue.check_product(&spec.product).unwrap();
    let (saved, _) = catalogue
        .update_license_from(id, license.edits, &license.name, &spec)
        .unwrap();
    catalogue.license(saved).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (file, url) = (&args[1], &args[2]);
    let rounds: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(300);
    let mut engines = [
        (
            "SQLite",
            Catalogue::open(Path::new(file), FirstRun::Empty)
                .unwrap()
                .catalogue,
        ),
        ("PostgreSQL", Catalogue::connect(url).unwrap()),
    ];
    let licenses = engines[0].1.all_current_terms().unwrap().len();
    println!(
        "{} customers, {licenses} current licenses; {rounds} rounds each",
        engines[0].1.customer_count().unwrap()
    );
    let middle = engines[0].1.search("customer 000500", 1).unwrap().customers[0].id;
    let license = engines[0].1.licenses_of(middle).unwrap()[0].id;
    println!("| operation | SQLite median | SQLite p99 | PostgreSQL median | PostgreSQL p99 | ratio of medians |");
    println!("|---|---|---|---|---|---|");
    type Operation = Box<dyn Fn(&mut Catalogue, usize)>;
    let operations: Vec<(&str, Operation)> = vec![
        (
            "search \"south\"",
            Box::new(|c, _| {
                c.search("south", 50).unwrap();
            }),
        ),
        (
            "search \"customer 0050\" as typed",
            Box::new(|c, _| {
                c.search("customer 0050", 50).unwrap();
            }),
        ),
        (
            "customers page 500",
            Box::new(|c, _| {
                c.customers_page("", 500, 50).unwrap();
            }),
        ),
        (
            "one customer's timeline (customer and licenses)",
            Box::new(move |c, _| {
                c.customer(middle).unwrap();
                c.licenses_of(middle).unwrap();
            }),
        ),
        (
            "a drag's save",
            Box::new(move |c, step| drag_save(c, license, step)),
        ),
    ];
    for (name, operation) in &operations {
        let mut row = format!("| {name} |");
        let mut medians = Vec::new();
        for (_, catalogue) in engines.iter_mut() {
            let mut step = 0;
            let (median, p99) = measure(rounds, || {
                step += 1;
                operation(catalogue, step)
            });
            row.push_str(&format!(" {median:.2} ms | {p99:.2} ms |"));
            medians.push(median);
        }
        row.push_str(&format!(" {:.1}× |", medians[1] / medians[0]));
        println!("{row}");
    }
}
