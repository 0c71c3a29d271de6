//! A BPO's roster of 5,000 agents over 90 days (450,000 shifts, one row each): reading the CSV,
//! the demand per quarter-hour, and the plan, each timed, with the solver's share of the whole.
//!
//! Agents work 8-hour shifts starting at one of eight times of day (every 3 hours, UTC), the
//! same every day, with one in ten off on any day (a "Time Off" row). Timed by hand to give
//! medians and the 99th percentile. `cargo bench -p timefence-roster --bench roster` runs it
//! whole; `-- --short` runs 500 agents over 30 days, as CI does.

use std::hint::black_box;
use std::time::{Duration, Instant};
use timefence_roster::{demand::demand, parse_csv, plan};
use timefence_terms::{Pricing, Rounding};

/// A small deterministic generator, so every run reads the same roster.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn roster(agents: u64, days: i64) -> String {
    let mut random = Lcg(5);
    let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let starts: Vec<u64> = (0..agents).map(|_| 3 * random.next(8)).collect();
    let mut text = String::from("agent,start,end,activity\n");
    for day in 0..days {
        let date = first + chrono::TimeDelta::days(day);
        for (agent, &hour) in starts.iter().enumerate() {
            let start = date.and_hms_opt(hour as u32, 0, 0).unwrap().and_utc();
            let end = start + chrono::TimeDelta::hours(8);
            let activity = if random.next(10) == 0 {
                "Time Off"
            } else {
                "Phone"
            };
            text.push_str(&format!(
                "A{agent:05},{},{},{activity}\n",
                start.to_rfc3339(),
                end.to_rfc3339()
            ));
        }
    }
    text
}

fn summary(name: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "{name}: median {:.2} ms, p99 {:.2} ms ({} runs)",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        times.len()
    );
    median
}

fn main() {
    let short = std::env::args().any(|a| a == "--short");
    let (agents, days, runs) = if short { (500, 30, 3) } else { (5_000, 90, 5) };
    let text = roster(agents, days);
    println!(
        "{agents} agents over {days} days: {} rows, {:.1} MB",
        text.lines().count() - 1,
        text.len() as f64 / 1e6
    );
    let pricing = Pricing {
        currency: "USD".into(),
        price_minor: 500,
        block_hours: 8,
        rounding: Rounding::ProRata,
    };
    let zone: chrono_tz::Tz = "UTC".parse().unwrap();
    let (mut read, mut need, mut solve, mut whole) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let shifts = parse_csv(black_box(&text)).unwrap();
        let t1 = Instant::now();
        let d = demand(&shifts, zone);
        let t2 = Instant::now();
        let made = plan(&d, &pricing, 5).unwrap();
        let t3 = Instant::now();
        read.push(t1 - t0);
        need.push(t2 - t1);
        solve.push(t3 - t2);
        whole.push(t3 - t0);
        last = Some((d.peak(), made));
    }
    summary("read the CSV", read);
    summary("demand per quarter-hour", need);
    let solver = summary("plan (the solver)", solve);
    let all = summary("import + demand + plan", whole);
    if let Some((peak, made)) = last {
        println!(
            "peak {peak} seats; plan: {} license{}, ${:.2} a day against ${:.2} for 24 hours, {:?}, {} candidate windows",
            made.licenses.len(),
            if made.licenses.len() == 1 { "" } else { "s" },
            made.cost_per_day_minor as f64 / 100.0,
            made.baseline_per_day_minor as f64 / 100.0,
            made.optimality,
            made.candidates
        );
    }
    println!(
        "the solver's share: {:.0}%; goal under 2 s: {}",
        solver.as_secs_f64() / all.as_secs_f64() * 100.0,
        if all < Duration::from_secs(2) {
            "met"
        } else {
            "not met"
        }
    );
}
