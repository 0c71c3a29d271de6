//! Retention: old days of the event log folded into per-quarter-hour usage while the relay
//! runs, their events deleted, and every report (over folded days, raw days, or both) the same
//! as before the fold.

mod common;
use common::pg::Cluster;
use common::*;

const DAY: i64 = 86_400_000;

#[test]
fn folding_old_days_deletes_their_events_and_changes_no_report_on_sqlite() {
    folding(None);
}

#[test]
fn folding_old_days_deletes_their_events_and_changes_no_report_on_postgres() {
    folding(Some(Cluster::start()));
}

fn folding(cluster: Option<Cluster>) {
    let start = ms("2027-03-01T00:00:00Z");
    let spec = terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 5, None);
    let mut setup = Setup::new(&[("a.lic", license_file(1, 1, spec, None))], start);
    if let Some(cluster) = &cluster {
        setup.storage = cluster.url();
    }
    let relay = setup.start(&["--ttl", "600"]);
    let license = reference(1);
    // Six days: four busy hours a day, seven claimants for five seats, renewals, releases.
    for day in 0..6 {
        for hour in [1, 5, 9, 13] {
            let at = start + day * DAY + hour * 3_600_000;
            setup.set_clock(at);
            let mut held = Vec::new();
            for h in 0..7 {
                let r = relay.claim(
                    &license,
                    &format!("agent-{}", (day + h) % 9),
                    &format!("{day}-{hour}-{h}"),
                );
                if r.status == 201 {
                    held.push(r.lease()["id"].as_str().unwrap().to_string());
                } else {
                    assert_eq!(r.error(), "SeatsFull", "{r:?}");
                }
            }
            setup.set_clock(at + 300_000);
            for lease in &held[..3] {
                assert_eq!(relay.renew(lease, 1).status, 200);
            }
            setup.set_clock(at + 420_000);
            for lease in &held[..2] {
                assert_eq!(relay.release(lease).status, 200);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = |from: i64, to: i64| {
        runtime
            .block_on(timefence_relay::store::report(&setup.storage, from, to))
            .unwrap()
    };
    let periods = [
        (start, start + 6 * DAY),
        (start + 2 * DAY, start + 5 * DAY),
        (start + DAY, start + 2 * DAY),
        (start + 5 * DAY, start + 6 * DAY),
    ];
    let before: Vec<_> = periods.iter().map(|(f, t)| report(*f, *t)).collect();
    assert!(!before[0].is_empty() && before[0][0].quarters.len() >= 24);
    assert!(!before[0][0].refusals.is_empty());
    let count = |table: &str| -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &cluster {
            Some(cluster) => cluster.query(&sql)[0][0].parse().unwrap(),
            None => open_db(&setup.path("relay.sqlite"))
                .query_row(&sql, [], |r| r.get(0))
                .unwrap(),
        }
    };
    let events_before = count("relay_events");

    // Day 7: keep one day; the first five days fold (the relay still running).
    setup.set_clock(start + 6 * DAY + 3_600_000);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args([
            "fold",
            "--storage",
            &setup.storage,
            "--keep-days",
            "1",
            "--clock-file",
        ])
        .arg(setup.path("clock"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("Folded 5 days"), "{said}");
    let events_after = count("relay_events");
    eprintln!(
        "fold: {said} events {events_before} -> {events_after}, {} folded quarter-hours",
        count("relay_folded_quarters")
    );
    assert!(events_after < events_before, "nothing deleted");
    assert!(count("relay_folded_quarters") > 0);
    // Every report is the same as before, whether it covers folded days, raw days or both.
    for ((from, to), expected) in periods.iter().zip(&before) {
        assert_eq!(&report(*from, *to), expected, "{from}..{to}");
    }
    // Folding again changes nothing.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args([
            "fold",
            "--storage",
            &setup.storage,
            "--keep-days",
            "1",
            "--clock-file",
        ])
        .arg(setup.path("clock"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("Folded 0 days"));
    assert_eq!(report(periods[0].0, periods[0].1), before[0]);
    // The relay goes on deciding.
    assert_eq!(relay.claim(&license, "late", "1").status, 201);
}
