//! The reference for the bindings' benchmark (`scripts/bench-bindings`): verify + check per
//! call, through the same portable surface the bindings wrap, on a conformance vector's file.
//! Prints one JSON line: calls, median and p99 in microseconds.
//!
//!     cargo run --release -p timefence-license --example per-call -- VECTOR.json CALLS

use std::time::Instant;
use timefence_license::portable::{self, trusted_keys};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, calls) = match args.as_slice() {
        [_, path, calls] => (path, calls.parse::<usize>().unwrap_or(10_000)),
        _ => {
            eprintln!("usage: per-call VECTOR.json CALLS");
            std::process::exit(2);
        }
    };
    let vector: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the vector")).expect("JSON");
    let keys: Vec<&str> = vector["trusted_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    let keys = trusted_keys(&keys).expect("the keys");
    let file = vector["files"][0].as_str().unwrap();
    let now = vector["steps"][0]["now_unix"].as_i64().unwrap();
    let secret = portable::secret_from_hex(vector["ledger_secret"].as_str().unwrap()).unwrap();
    let mut ledger = Vec::new();
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let license = timefence_license::verify(file, &keys).expect("verifies");
        let (verdict, next) = portable::check(&license, now, &ledger, &secret).expect("checks");
        times.push(start.elapsed().as_nanos() as f64 / 1000.0);
        assert!(verdict.allowed);
        ledger = next;
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{{\"language\":\"rust\",\"calls\":{calls},\"median_us\":{:.2},\"p99_us\":{:.2}}}",
        at(0.5),
        at(0.99)
    );
}
