//! Two relays on one real PostgreSQL server when one host misbehaves: a relay hung with
//! SIGSTOP, or cut off the network (a namespace whose cable is pulled), in the middle of
//! requests (its row lock must not stop the other), and hosts whose clocks disagree by 30 s (the database's clock decides, so the pair does not split).

mod common;
use common::history::*;
use common::pg::{Cluster, Recorded};
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn real_time_license(seats: u32) -> (Vec<Subject>, Arc<Setup>, String) {
    let spec = terms(
        "2020-01-01",
        "2099-12-31",
        "00:00",
        "24:00",
        "UTC",
        seats,
        None,
    );
    let setup = Setup::new(
        &[("a.lic", license_file(1, 1, spec.clone(), None))],
        chrono::Utc::now().timestamp_millis(),
    );
    (
        vec![Subject::new(1, spec, None)],
        Arc::new(setup),
        reference(1),
    )
}

/// One client's loop: claim, renew twice, release, over and over, against `base`; records
/// each answer's latency and when it came.
fn client(
    base: String,
    license: String,
    who: usize,
    stop: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<(Instant, Duration, u16)>>>,
    rollbacks: Arc<AtomicU64>,
) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut op = 0u64;
    while !stop.load(Ordering::Relaxed) {
        op += 1;
        let timed = |method: &str, url: String, body: Option<serde_json::Value>| {
            let started = Instant::now();
            let r = send(&agent, method, &url, body);
            answers
                .lock()
                .unwrap()
                .push((Instant::now(), started.elapsed(), r.status));
            if r.error() == "ClockRollback" {
                rollbacks.fetch_add(1, Ordering::Relaxed);
            }
            r
        };
        let r = timed(
            "POST",
            format!("{base}/v1/licenses/{license}/leases"),
            Some(json!({"holder": format!("c{who}"), "nonce": format!("{who}-{op}")})),
        );
        if r.status != 201 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let id = r.lease()["id"].as_str().unwrap().to_string();
        for seq in 1..=2 {
            timed(
                "PUT",
                format!("{base}/v1/leases/{id}"),
                Some(json!({ "seq": seq })),
            );
        }
        timed("DELETE", format!("{base}/v1/leases/{id}"), None);
    }
}

const TIMEOUTS: [&str; 6] = [
    "--lock-timeout",
    "1",
    "--statement-timeout",
    "3",
    "--idle-in-transaction-timeout",
    "2",
];

#[test]
fn a_relay_hung_mid_request_does_not_stop_the_other() {
    let cluster = Cluster::start();
    let (subjects, mut setup, license) = real_time_license(20);
    Arc::get_mut(&mut setup).unwrap().storage = cluster.url();
    let a = setup.start_on_system_clock(0, &TIMEOUTS);
    let b = setup.start_on_system_clock(0, &TIMEOUTS);
    pair_survives(
        &cluster,
        &subjects,
        &license,
        (&a, &b),
        || a.signal(libc::SIGSTOP),
        || a.signal(libc::SIGCONT),
        "stopped",
    );
}

#[test]
fn a_relay_cut_off_the_network_mid_request_does_not_stop_the_other_and_comes_back() {
    // Relay A in a network namespace, reaching PostgreSQL over a veth pair; the cut drops its
    // packets silently (no reset reaches either side), as a partition or a pulled cable does.
    let namespace = common::netns::Namespace::new();
    let cluster = Cluster::start_listening_also(&namespace.host_address);
    let (subjects, mut setup, license) = real_time_license(20);
    Arc::get_mut(&mut setup).unwrap().storage = cluster.url();
    let from_inside = format!(
        "postgres://relay@{}:{}/postgres",
        namespace.host_address, cluster.port
    );
    let a = setup.start_in(&namespace, &from_inside, free_port(), &TIMEOUTS);
    let b = setup.start_on_system_clock(0, &TIMEOUTS);
    pair_survives(
        &cluster,
        &subjects,
        &license,
        (&a, &b),
        || namespace.cut(),
        || namespace.join(),
        "cut off",
    );
    // The server ended the session the cut left idle in its transaction, and A's sessions now
    // are new ones, opened after the cable came back.
    let stale = cluster.query(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE client_addr = '{}' AND state = 'idle in transaction' AND state_change < now() - interval '3 seconds'",
        namespace.inside_address
    ));
    assert_eq!(stale[0][0], "0", "a session left idle in a transaction");
}

/// Relays `a` and `b` on one license, 8 clients each; once both are busy, `fault` is done to
/// A, and `undo` 12 s later (TIMEFENCE_HANG_SECONDS for the long form). B must keep granting
/// while A is away, A must answer again after, and the recorded history must hold.
fn pair_survives(
    cluster: &Cluster,
    subjects: &[Subject],
    license: &str,
    (a, b): (&RelayProcess, &RelayProcess),
    fault: impl Fn(),
    undo: impl Fn(),
    what: &str,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let on_a = Arc::new(Mutex::new(Vec::new()));
    let on_b = Arc::new(Mutex::new(Vec::new()));
    let rollbacks = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for who in 0..16 {
        let (base, answers) = if who < 8 {
            (a.base.clone(), on_a.clone())
        } else {
            (b.base.clone(), on_b.clone())
        };
        let (license, stop, rollbacks) = (license.to_string(), stop.clone(), rollbacks.clone());
        threads.push(std::thread::spawn(move || {
            client(base, license, who, stop, answers, rollbacks)
        }));
    }
    // Let both relays get busy, then take A away (mid-request, most likely holding the row).
    let busy = Instant::now() + Duration::from_secs(60);
    while on_a.lock().unwrap().len() < 200 || on_b.lock().unwrap().len() < 200 {
        assert!(Instant::now() < busy, "the relays did not get busy");
        std::thread::sleep(Duration::from_millis(10));
    }
    let hang: u64 = std::env::var("TIMEFENCE_HANG_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
        .max(8);
    // The fault must catch A inside a transaction (PostgreSQL shows its session idle in one
    // since the fault): that is the case where its row lock could stop B. When it misses
    // (A was between transactions), undo it, let A settle, and try again.
    let mut tries = 0;
    let stopped_at = loop {
        tries += 1;
        let at = Instant::now();
        fault();
        std::thread::sleep(Duration::from_millis(300));
        let caught = cluster.query(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND state_change < clock_timestamp() - interval '250 milliseconds'",
        );
        if caught[0][0] != "0" {
            break at;
        }
        assert!(
            tries < 30,
            "{tries} faults, none caught A inside a transaction"
        );
        undo();
        std::thread::sleep(Duration::from_millis(500));
    };
    std::thread::sleep(Duration::from_secs(hang) - Duration::from_millis(300));
    let continued_at = Instant::now();
    undo();
    // A comes back: its old sessions were ended by the server; it opens new ones.
    let back = Instant::now() + Duration::from_secs(90);
    loop {
        let ok = on_a
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _, s)| *at > continued_at && matches!(s, 200 | 201))
            .count();
        if ok >= 20 {
            break;
        }
        assert!(
            Instant::now() < back,
            "relay A never answered again after it was {what}: {}",
            a.said()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }

    // While A was away, once the server had ended A's transaction (2 s) and B's waits had run
    // out (1 s), B kept granting.
    let b_answers = on_b.lock().unwrap().clone();
    let during: Vec<&(Instant, Duration, u16)> = b_answers
        .iter()
        .filter(|(at, _, _)| *at > stopped_at && *at < continued_at)
        .collect();
    let late_ok = during
        .iter()
        .filter(|(at, _, s)| *at > stopped_at + Duration::from_secs(6) && matches!(s, 200 | 201))
        .count();
    let mut latencies: Vec<Duration> = during.iter().map(|(_, d, _)| *d).collect();
    latencies.sort();
    let pct = |p: usize| {
        latencies
            .get(latencies.len() * p / 100)
            .copied()
            .unwrap_or_default()
    };
    eprintln!(
        "relay A {what} {hang} s (caught in a transaction at try {tries}): relay B answered {} requests meanwhile ({} granted or renewed after the first 6 s), median {:?}, p99 {:?}, max {:?}",
        during.len(),
        late_ok,
        pct(50),
        pct(99),
        latencies.last().copied().unwrap_or_default()
    );
    assert!(late_ok > 0, "relay B stopped granting while A was {what}");
    assert!(
        b_answers
            .iter()
            .all(|(_, _, s)| matches!(s, 200 | 201 | 404 | 409 | 503)),
        "an answer that is not a decision or a typed Unavailable"
    );
    let events = cluster.events();
    let checked = check(&events, subjects, 5_000, false);
    assert_totals_match(&events, &cluster.totals());
    eprintln!(
        "relay A {what}: {} events, {} leases, peak {:?}",
        checked.events, checked.leases, checked.peak
    );
    assert_eq!(rollbacks.load(Ordering::Relaxed), 0);
}

#[test]
fn two_relays_whose_clocks_differ_by_30_s_decide_on_one_time_line() {
    let cluster = Cluster::start();
    let (subjects, mut setup, license) = real_time_license(3);
    Arc::get_mut(&mut setup).unwrap().storage = cluster.url();
    let a = setup.start_on_system_clock(0, &[]);
    let b = setup.start_on_system_clock(0, &["--clock-skew-ms", "30000"]);
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let rollbacks = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|who| {
            let base = if who % 2 == 0 {
                a.base.clone()
            } else {
                b.base.clone()
            };
            let (license, stop, answers, rollbacks) = (
                license.clone(),
                stop.clone(),
                answers.clone(),
                rollbacks.clone(),
            );
            std::thread::spawn(move || client(base, license, who, stop, answers, rollbacks))
        })
        .collect();
    let enough = Instant::now() + Duration::from_secs(120);
    while answers.lock().unwrap().len() < 2_000 {
        assert!(Instant::now() < enough, "too few answers");
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let events = cluster.events();
    let checked = check(&events, &subjects, 5_000, false);
    assert_totals_match(&events, &cluster.totals());
    eprintln!(
        "clocks 30 s apart: {} answers, {} events, {} leases, peak {:?}, {} ClockRollback",
        answers.lock().unwrap().len(),
        checked.events,
        checked.leases,
        checked.peak,
        rollbacks.load(Ordering::Relaxed)
    );
    assert_eq!(
        rollbacks.load(Ordering::Relaxed),
        0,
        "the pair split on the clock"
    );
    assert_eq!(checked.peak.get(&license).copied(), Some(3), "never full");
}

#[test]
fn the_relay_speaks_tls_to_postgresql_and_checks_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = timefence_pgtest::certificates(dir.path(), "right");
    let (other_ca, _, _) = timefence_pgtest::certificates(dir.path(), "other");
    let cluster = Cluster::start_with_tls(Some((&cert, &key)));
    let (_, mut setup, license) = real_time_license(2);
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    std::fs::write(dir.path().join("other.pem"), &other_ca).unwrap();
    let url = |root: &str| {
        format!(
            "postgres://relay@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
            cluster.port,
            dir.path().join(root).display()
        )
    };
    Arc::get_mut(&mut setup).unwrap().storage = url("ca.pem");
    let relay = setup.start_on_system_clock(0, &[]);
    assert_eq!(relay.claim(&license, "a", "1").status, 201);
    // The server sees the relay's sessions encrypted.
    let encrypted = cluster.query(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'relay' AND s.ssl AND a.pid <> pg_backend_pid()",
    );
    assert_ne!(encrypted[0][0], "0", "no encrypted session");
    drop(relay);

    // A server whose certificate another CA signed is not believed: the relay does not start.
    let refused = setup
        .serve_command(&url("other.pem"), "127.0.0.1:0")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.to_lowercase().contains("certificate"), "{said}");
    // sslmode=require would not check the certificate: refused with a way forward.
    let require = format!(
        "postgres://relay@localhost:{}/postgres?sslmode=require",
        cluster.port
    );
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args(["clock", "--storage", &require])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("verify-full"),
        "{said}"
    );
}
