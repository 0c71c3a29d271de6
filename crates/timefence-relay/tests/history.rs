//! 64 concurrent clients, thousands of operations, a clock that runs and once goes back: the
//! invariants hold on the history the relay recorded.

mod common;
use common::history::*;
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[test]
fn sixty_four_clients_never_break_an_invariant_on_sqlite() {
    let start = ms("2027-03-27T19:00:00Z");
    let (subjects, setup) = three_licenses(start, None);
    let relay = setup.start(&["--ttl", "600"]);
    let references: Vec<String> = subjects.iter().map(|s| s.reference.clone()).collect();

    // The clock moves by the clients' answers (every 8 answers, up to 90 s), not by wall time;
    // once it goes back 30 minutes, past anything a decision has seen.
    let clock = StepClock::new(setup.clone(), start, 8, 90_000, 1_800_000, 16);
    let bases = Arc::new(Mutex::new(vec![relay.base.clone()]));
    let log = run_clients(
        bases,
        &references,
        64,
        200,
        Arc::new(AtomicBool::new(false)),
        Some(clock.clone()),
    );
    let end = clock.now();

    let unexpected = log.unexpected.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert_eq!(
        log.transient.load(Ordering::Relaxed),
        0,
        "no request failed"
    );
    let events = sqlite_events(&setup.path("relay.sqlite"));
    let checked = check(&events, &subjects, 5_000, true);
    assert_totals_match(&events, &sqlite_totals(&setup.path("relay.sqlite")));
    // Every lease a client was told it holds is in the history.
    let granted: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| e.kind == "granted")
        .filter_map(|e| e.lease.as_deref())
        .collect();
    for (_, lease) in log.granted.lock().unwrap().iter() {
        assert!(
            granted.contains(lease.as_str()),
            "acknowledged lease {lease} not recorded"
        );
    }
    let answers = log.answers.load(Ordering::Relaxed);
    // Refusals are counted, not recorded one by one.
    let rollbacks = sqlite_refusals(&setup.path("relay.sqlite"), "ClockRollback");
    eprintln!(
        "history: {answers} answers, {} events, {} leases, {} occurrences, peaks {:?}, {rollbacks} clock-rollback refusals ({} answered), simulated {} h",
        checked.events,
        checked.leases,
        checked.occurrences,
        checked.peak,
        log.rollbacks.load(Ordering::Relaxed),
        (end - start) / 3_600_000
    );
    assert!(answers >= 4_000, "only {answers} answers");
    assert!(rollbacks > 0, "the clock set back was never noticed");
    assert_eq!(
        rollbacks as u64,
        log.rollbacks.load(Ordering::Relaxed),
        "every ClockRollback answer counted once"
    );
    for s in &subjects {
        assert_eq!(
            checked.peak.get(&s.reference).copied(),
            Some(s.terms.seats),
            "{} never full: the test did not press on seats",
            s.reference
        );
    }
}
