//! High availability: relays sharing one real PostgreSQL server (a throwaway cluster made by
//! the test), killed again and again under load; the server itself restarted mid-load.

mod common;
use common::history::*;
use common::pg::{Cluster, Recorded};
use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn two_relays_on_one_postgres_killed_again_and_again_break_no_invariant() {
    let cluster = Cluster::start();
    let start = ms("2027-03-27T19:00:00Z");
    let (subjects, setup) = three_licenses(start, Some(cluster.url()));
    let ports = [free_port(), free_port()];
    let relays: Arc<Mutex<Vec<Option<RelayProcess>>>> = Arc::new(Mutex::new(
        ports
            .iter()
            .map(|p| Some(setup.start_on(*p, &["--ttl", "600"])))
            .collect(),
    ));
    let bases = Arc::new(Mutex::new(
        ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect::<Vec<_>>(),
    ));
    let references: Vec<String> = subjects.iter().map(|s| s.reference.clone()).collect();

    let stop = Arc::new(AtomicBool::new(false));
    // The clock and the kills both follow the clients' answers, not wall time.
    let clock = StepClock::new(setup.clone(), start, 8, 90_000, 1_800_000, 16);
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (relays, setup, stop, kills, clock) = (
            relays.clone(),
            setup.clone(),
            stop.clone(),
            kills.clone(),
            clock.clone(),
        );
        std::thread::spawn(move || {
            let mut which = 0;
            let mut next_kill = 600;
            while !stop.load(Ordering::Relaxed) {
                if clock.answers() < next_kill {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                next_kill += 600;
                let victim = relays.lock().unwrap()[which].take();
                if let Some(victim) = victim {
                    victim.kill();
                    kills.fetch_add(1, Ordering::Relaxed);
                }
                let restarted = setup.start_on(ports[which], &["--ttl", "600"]);
                relays.lock().unwrap()[which] = Some(restarted);
                which = 1 - which;
            }
        })
    };
    let log = run_clients(
        bases,
        &references,
        64,
        150,
        Arc::new(AtomicBool::new(false)),
        Some(clock.clone()),
    );
    stop.store(true, Ordering::Relaxed);
    killer.join().unwrap();

    let unexpected = log.unexpected.lock().unwrap().clone();
    let events = cluster.events();
    if !unexpected.is_empty() {
        for e in &events {
            if unexpected
                .iter()
                .any(|u| e.lease.as_ref().is_some_and(|l| u.contains(l.as_str())))
            {
                eprintln!("{e:?}");
            }
        }
    }
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    let checked = check(&events, &subjects, 5_000, false);
    assert_totals_match(&events, &cluster.totals());
    let answers = log.answers.load(Ordering::Relaxed);
    // Refusals are counted per quarter-hour and reason; a relay killed after its commit and
    // before its answer counts one nobody heard, never the other way round.
    let counted: i64 = cluster
        .query("SELECT COALESCE(SUM(count), 0) FROM relay_refusals WHERE reason IN ('ClockRollback', 'ClockRollbackAtRenewal')")
        [0][0]
        .parse()
        .unwrap();
    let heard = log.rollbacks.load(Ordering::Relaxed);
    assert!(counted as u64 >= heard, "{counted} counted, {heard} heard");
    eprintln!(
        "postgres HA: {answers} answers, {} kills, {} transport failures, {} events, {} leases, peaks {:?}, {counted} clock-rollback refusals counted ({heard} heard)",
        kills.load(Ordering::Relaxed),
        log.transient.load(Ordering::Relaxed),
        checked.events,
        checked.leases,
        checked.peak,
    );
    assert!(
        kills.load(Ordering::Relaxed) >= 4,
        "too few kills to prove anything"
    );
    assert!(answers >= 4_000, "only {answers} answers");
    // The load pressed on seats: every license at least half full, some completely.
    for s in &subjects {
        assert!(
            checked.peak.get(&s.reference).copied().unwrap_or(0) * 2 >= s.terms.seats,
            "{} barely used",
            s.reference
        );
    }
    assert!(
        subjects
            .iter()
            .any(|s| checked.peak.get(&s.reference) == Some(&s.terms.seats)),
        "no license was ever full"
    );
}

#[test]
fn a_postgres_restart_mid_load_gives_a_typed_transient_error_then_service_resumes() {
    let cluster = Cluster::start();
    let start = ms("2027-03-28T02:00:00Z");
    let (subjects, setup) = three_licenses(start, Some(cluster.url()));
    let relay = setup.start(&["--ttl", "600"]);
    let references: Vec<String> = subjects.iter().map(|s| s.reference.clone()).collect();
    let bases = Arc::new(Mutex::new(vec![relay.base.clone()]));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = {
        let (bases, references, stop) = (bases.clone(), references.clone(), stop.clone());
        std::thread::spawn(move || run_clients(bases, &references, 16, 1_000_000, stop, None))
    };
    std::thread::sleep(Duration::from_millis(700));
    cluster.restart();
    std::thread::sleep(Duration::from_millis(700));
    stop.store(true, Ordering::Relaxed);
    let log = clients.join().unwrap();
    let unavailable = log.unavailable.load(Ordering::Relaxed);
    assert!(unavailable > 0, "no client noticed the restart");
    assert_eq!(
        log.transient.load(Ordering::Relaxed),
        0,
        "the relay itself never stopped answering: {:?}",
        log.transport_errors.lock().unwrap()
    );
    // After the restart the relay decides again.
    let after = relay.claim(&references[0], "after-restart", "1");
    assert!(matches!(after.status, 201 | 403 | 409), "{after:?}");
    let events = cluster.events();
    check(&events, &subjects, 5_000, false);
    assert_totals_match(&events, &cluster.totals());
    eprintln!(
        "postgres restart: {} answers, {unavailable} typed Unavailable answers during the restart",
        log.answers.load(Ordering::Relaxed)
    );
}

/// Each license's row keeps the latest time any relay decided on it, even when the deciding
/// relay had already seen a later time on another license: another relay, which has not seen
/// those decisions itself, reads the row, and must refuse a clock behind that license's last
/// decision.
#[test]
fn a_second_relay_refuses_a_clock_behind_a_licenses_last_decision_on_the_first() {
    let cluster = Cluster::start();
    let t = ms("2027-03-28T02:00:00Z");
    let (subjects, setup) = three_licenses(t, Some(cluster.url()));
    let (first, night) = (&subjects[0].reference, &subjects[1].reference);
    let a = setup.start(&["--ttl", "600"]);
    let claimed = a.claim(first, "h1", "1");
    assert_eq!(claimed.status, 201, "{claimed:?}");
    // The second relay starts now, knowing the time of that first decision only.
    let b = setup.start(&["--ttl", "600"]);
    setup.set_clock(t + 60_000);
    let claimed = a.claim(night, "h2", "2");
    assert_eq!(claimed.status, 201, "{claimed:?}");
    // 2 s back, inside the tolerance: decided on the first relay, and the first license's
    // row must say so.
    setup.set_clock(t + 58_000);
    let claimed = a.claim(first, "h3", "3");
    assert_eq!(claimed.status, 201, "{claimed:?}");
    // 18 s behind that decision, asked of the second relay.
    setup.set_clock(t + 40_000);
    let refused = b.claim(first, "h4", "4");
    assert_eq!(refused.error(), "ClockRollback", "{refused:?}");
    check(&cluster.events(), &subjects, 5_000, false);
}

/// Relays started together on an empty database all come up: one of them creates the schema
/// and the others wait for its commit. (The lock that orders them was once released before
/// the schema's transaction committed, and a second relay then failed to create a table the
/// first had made: "storage cannot be opened".)
#[test]
fn relays_started_together_on_an_empty_database_all_come_up() {
    let cluster = Cluster::start();
    let start = ms("2027-03-27T19:00:00Z");
    for round in 0..4 {
        cluster.query(&format!("CREATE DATABASE together{round}"));
        let url = cluster
            .url()
            .replace("/postgres", &format!("/together{round}"));
        let (subjects, setup) = three_licenses(start, Some(url));
        let relays: Vec<RelayProcess> = std::thread::scope(|scope| {
            let started: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| setup.start(&["--ttl", "600"])))
                .collect();
            started.into_iter().map(|s| s.join().unwrap()).collect()
        });
        // Each decides on the storage: a seat on a license open at this hour.
        for (i, relay) in relays.iter().enumerate() {
            let answers: Vec<Reply> = subjects
                .iter()
                .map(|s| relay.claim(&s.reference, &format!("h{i}"), "1"))
                .collect();
            assert!(
                answers.iter().any(|a| a.status == 201),
                "round {round}, relay {i}: {answers:?}"
            );
        }
    }
}

/// A relay vacuums the tables every request rewrites, paced by the requests it decides:
/// claims and releases by the ten thousand leave `relay_leases` a small table, where
/// autovacuum (once a minute at best) let dead rows pile up and every batch walk them.
#[test]
fn the_lease_table_stays_small_under_claims_and_releases() {
    let cluster = Cluster::start();
    let t = ms("2027-03-27T01:00:00Z");
    let (subjects, setup) = three_licenses(t, Some(cluster.url()));
    let relay = setup.start(&["--ttl", "600"]);
    // Autovacuum could pass this test for a relay that vacuums nothing.
    cluster.query("ALTER TABLE relay_leases SET (autovacuum_enabled = false)");
    let license = &subjects[0].reference;
    let requests = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for client in 0..4 {
            let (relay, requests) = (&relay, &requests);
            scope.spawn(move || {
                for n in 0..3_000 {
                    let claimed = relay.claim(license, &format!("c{client}"), &n.to_string());
                    assert_eq!(claimed.status, 201, "{claimed:?}");
                    let released = relay.release(claimed.lease()["id"].as_str().unwrap());
                    assert_eq!(released.status, 200, "{released:?}");
                    requests.fetch_add(2, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(requests.load(Ordering::Relaxed), 24_000);
    let size = |table: &str| -> i64 {
        cluster.query(&format!("SELECT pg_total_relation_size('{table}')"))[0][0]
            .parse()
            .unwrap()
    };
    // 12,000 leases came and went: unvacuumed, their dead rows and index entries took 2.3 MB
    // here; vacuumed every 4,000 requests, the table reuses its space (0.75 MB).
    let leases = size("relay_leases");
    eprintln!("relay_leases: {leases} bytes after 24,000 requests");
    assert!(leases < 1_500_000, "relay_leases takes {leases} bytes");
}
