//! Load for the relay benchmark (scripts/bench-relay): many concurrent clients each doing
//! claim + renew + release cycles against a relay, or the same lease life cycle against
//! etcd's lease API (grant + keep-alive + revoke, through etcd's HTTP/JSON gateway), for a
//! fixed time. Prints one JSON line: operations per second and latency percentiles.
//!
//! ```text
//! relay-load relay http://127.0.0.1:7420[,http://127.0.0.1:7421] LICENSE --clients 64 --seconds 10 [--rate 5000]
//! relay-load etcd  http://127.0.0.1:2379 -      --clients 64 --seconds 10 [--rate 5000]
//! ```
//!
//! Several relay addresses, comma-separated: client i talks to address i mod n (two relays of
//! a pair sharing one PostgreSQL database).
//!
//! Without `--rate`, every client starts its next cycle as soon as the last one ends (the
//! most the target can do). With `--rate N`, the clients together start N operations per
//! second on a fixed schedule, and each cycle's first operation is timed from when it was due,
//! not when it was sent, so a target that falls behind shows it in its latencies.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn post(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    post_with(agent, method, url, body, None)
}

/// As [`post`], with a lease's secret for a renewal or release.
fn post_with(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
    secret: Option<&str>,
) -> Result<Value, String> {
    let mut request = agent.request(method, url);
    if let Some(secret) = secret {
        request = request.set("Lease-Secret", secret);
    }
    let result = match body {
        Some(b) => request.send_json(b),
        None => request.call(),
    };
    match result {
        Ok(r) => r.into_json().map_err(|e| e.to_string()),
        Err(ureq::Error::Status(code, r)) => {
            Err(format!("{code} {}", r.into_string().unwrap_or_default()))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// One lease life: three operations, each timed; the first from `due` when it was scheduled.
#[allow(clippy::too_many_arguments)]
fn cycle(
    kind: &str,
    agent: &ureq::Agent,
    base: &str,
    license: &str,
    who: &str,
    n: u64,
    times: &mut Vec<u32>,
    due: Option<Instant>,
) -> Result<(), String> {
    let mut first = due;
    let mut timed = |f: &mut dyn FnMut() -> Result<Value, String>| -> Result<Value, String> {
        let started = first.take().unwrap_or_else(Instant::now);
        let v = f()?;
        times.push(started.elapsed().as_micros() as u32);
        Ok(v)
    };
    if kind == "relay" {
        let granted = timed(&mut || {
            post(
                agent,
                "POST",
                &format!("{base}/v1/licenses/{license}/leases"),
                Some(json!({"holder": who, "nonce": n.to_string()})),
            )
        })?;
        let id = granted["lease"]["id"]
            .as_str()
            .ok_or("no lease id")?
            .to_string();
        let secret = granted["lease"]["secret"]
            .as_str()
            .ok_or("no lease secret")?
            .to_string();
        timed(&mut || {
            post_with(
                agent,
                "PUT",
                &format!("{base}/v1/leases/{id}"),
                Some(json!({"seq": 1})),
                Some(&secret),
            )
        })?;
        timed(&mut || {
            post_with(
                agent,
                "DELETE",
                &format!("{base}/v1/leases/{id}"),
                None,
                Some(&secret),
            )
        })?;
    } else {
        let granted = timed(&mut || {
            post(
                agent,
                "POST",
                &format!("{base}/v3/lease/grant"),
                Some(json!({"TTL": 60})),
            )
        })?;
        let id = granted["ID"].as_str().ok_or("no lease ID")?.to_string();
        timed(&mut || {
            post(
                agent,
                "POST",
                &format!("{base}/v3/lease/keepalive"),
                Some(json!({"ID": id})),
            )
        })?;
        timed(&mut || {
            post(
                agent,
                "POST",
                &format!("{base}/v3/lease/revoke"),
                Some(json!({"ID": id})),
            )
        })?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, base, license) = match (args.get(1), args.get(2), args.get(3)) {
        (Some(k), Some(b), Some(l)) => (k.clone(), b.clone(), l.clone()),
        _ => {
            eprintln!(
                "usage: relay-load relay|etcd BASE_URL LICENSE|- [--clients N] [--seconds S]"
            );
            std::process::exit(2);
        }
    };
    let clients = flag(&args, "--clients", 64);
    let seconds = flag(&args, "--seconds", 10);
    let rate = flag(&args, "--rate", 0);
    // Three operations a cycle: each client's cycles are this far apart at the given rate.
    let cycle_every =
        (rate > 0).then(|| Duration::from_secs_f64(3.0 * clients as f64 / rate as f64));
    let stop = Arc::new(AtomicBool::new(false));
    let all: Arc<Mutex<Vec<u32>>> = Arc::default();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let bases: Vec<&str> = base.split(',').collect();
            let base = bases[i as usize % bases.len()].to_string();
            let (kind, license) = (kind.clone(), license.clone());
            let (stop, all, errors) = (stop.clone(), all.clone(), errors.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .build();
                let mut times = Vec::with_capacity(100_000);
                let mut n = 0u32;
                // Clients start spread over one cycle, so the schedule is even.
                let first_due = Instant::now()
                    + cycle_every.map_or(Duration::ZERO, |e| e.mul_f64(i as f64 / clients as f64));
                while !stop.load(Ordering::Relaxed) {
                    let due = cycle_every.map(|every| first_due + every * n);
                    if let Some(wait) = due.and_then(|d| d.checked_duration_since(Instant::now())) {
                        std::thread::sleep(wait);
                    }
                    n += 1;
                    if let Err(e) = cycle(
                        &kind,
                        &agent,
                        &base,
                        &license,
                        &format!("load-{i}"),
                        u64::from(n),
                        &mut times,
                        due,
                    ) {
                        errors.lock().unwrap().push(e);
                    }
                }
                all.lock().unwrap().extend(times);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut times = all.lock().unwrap().clone();
    times.sort_unstable();
    let pct = |p: f64| -> f64 {
        if times.is_empty() {
            return 0.0;
        }
        times[((times.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
    };
    let errors = errors.lock().unwrap();
    println!(
        "{}",
        json!({
            "target": kind,
            "clients": clients,
            "rate": rate,
            "operations": times.len(),
            "ops_per_second": (times.len() as f64 / elapsed).round(),
            "median_ms": pct(0.5),
            "p99_ms": pct(0.99),
            "errors": errors.len(),
            "first_error": errors.first(),
        })
    );
}
