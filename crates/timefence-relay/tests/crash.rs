//! SIGKILL a SQLite relay under load, again and again: after each restart every acknowledged
//! lease is still held, no seat is handed out twice, and the file passes integrity_check.

mod common;
use common::history::*;
use common::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a client knows of its lease: acknowledged held, or possibly changed by a request whose
/// answer was lost in the kill.
#[derive(Clone, Debug, PartialEq)]
enum Known {
    Held {
        lease: String,
        seq: u64,
    },
    /// A claim whose answer was lost: retried with the same nonce, it gets the same lease if
    /// it was granted.
    Claiming {
        nonce: String,
    },
    /// A release whose answer was lost.
    Uncertain,
}

#[test]
fn fifty_sigkills_under_load_lose_no_acknowledged_lease() {
    let kills: usize = std::env::var("TIMEFENCE_RELAY_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut now = ms("2027-05-03T09:00:00Z");
    let seats = 8;
    let file = license_file(
        1,
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "00:00",
            "24:00",
            "UTC",
            seats,
            None,
        ),
        None,
    );
    let setup = Setup::new(&[("one.lic", file)], now);
    let license = reference(1);
    let subjects = vec![Subject::new(
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "00:00",
            "24:00",
            "UTC",
            seats,
            None,
        ),
        None,
    )];
    let known: Arc<Mutex<HashMap<usize, Known>>> = Arc::default();
    let mut acknowledged_total = 0usize;

    for cycle in 0..kills {
        let relay = setup.start(&["--ttl", "600"]);
        // After the restart: every lease acknowledged as held is held. The listing names no
        // lease (only its holder), so the leases are read from the relay's file.
        let in_use = relay.get(&format!("/v1/licenses/{license}")).body["in_use"]
            .as_u64()
            .unwrap();
        let holders: Vec<String> = {
            let db = open_db(&setup.path("relay.sqlite"));
            let mut statement = db
                .prepare("SELECT id FROM relay_leases WHERE expires_at > ?1")
                .unwrap();
            statement
                .query_map([now], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(holders.len() as u64, in_use, "cycle {cycle}");
        assert!(
            holders.len() <= seats as usize,
            "cycle {cycle}: {} leases, {seats} seats",
            holders.len()
        );
        for (client, state) in known.lock().unwrap().iter() {
            if let Known::Held { lease, .. } = state {
                assert!(
                    holders.contains(lease),
                    "cycle {cycle}: client {client}'s acknowledged lease {lease} is gone"
                );
                acknowledged_total += 1;
            }
        }
        let integrity: String = open_db(&setup.path("relay.sqlite"))
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "cycle {cycle}");

        // Load: 16 clients claim, renew and release until the relay dies under them.
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..16)
            .map(|client| {
                let base = relay.base.clone();
                let license = license.clone();
                let known = known.clone();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let agent = agent();
                    let mut rng = Rng::new((cycle * 100 + client) as u64 + 7);
                    let mut op = 0;
                    while !stop.load(Ordering::Relaxed) {
                        op += 1;
                        let state = known.lock().unwrap().get(&client).cloned();
                        let (reply, next) = match state {
                            None | Some(Known::Uncertain) | Some(Known::Claiming { .. }) => {
                                let nonce = match &state {
                                    Some(Known::Claiming { nonce }) => nonce.clone(),
                                    _ => format!("{cycle}-{op}"),
                                };
                                let r = send(
                                    &agent,
                                    "POST",
                                    &format!("{base}/v1/licenses/{license}/leases"),
                                    Some(json!({"holder": format!("c{client}"), "nonce": nonce})),
                                );
                                let next = match r.status {
                                    201 => Some(Known::Held {
                                        lease: r.lease()["id"].as_str().unwrap().into(),
                                        seq: 0,
                                    }),
                                    0 => Some(Known::Claiming { nonce }),
                                    _ => None,
                                };
                                (r, next)
                            }
                            Some(Known::Held { lease, seq }) => {
                                if rng.below(3) == 0 {
                                    let r = send(
                                        &agent,
                                        "DELETE",
                                        &format!("{base}/v1/leases/{lease}"),
                                        None,
                                    );
                                    let next = if r.status == 0 {
                                        Some(Known::Uncertain)
                                    } else {
                                        None
                                    };
                                    (r, next)
                                } else {
                                    let r = send(
                                        &agent,
                                        "PUT",
                                        &format!("{base}/v1/leases/{lease}"),
                                        Some(json!({"seq": seq + 1})),
                                    );
                                    let next = match r.status {
                                        200 => Some(Known::Held {
                                            lease,
                                            seq: seq + 1,
                                        }),
                                        // A lost renewal may or may not have committed; the lease
                                        // is held either way, at this seq or the next.
                                        0 => Some(Known::Held {
                                            lease,
                                            seq: seq + 1,
                                        }),
                                        _ => None,
                                    };
                                    (r, next)
                                }
                            }
                        };
                        if reply.status != 0 {
                            assert!(
                                matches!(reply.status, 200 | 201 | 404 | 409),
                                "unexpected {reply:?}"
                            );
                        }
                        let mut map = known.lock().unwrap();
                        match next {
                            Some(k) => map.insert(client, k),
                            None => map.remove(&client),
                        };
                        drop(map);
                        if reply.status == 0 {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(2 + rng.below(8)));
                    }
                })
            })
            .collect();
        let mut rng = Rng::new(cycle as u64 + 99);
        std::thread::sleep(Duration::from_millis(60 + rng.below(120)));
        relay.kill();
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().expect("a client panicked");
        }
        now += 100_000;
        setup.set_clock(now);
    }
    let events = sqlite_events(&setup.path("relay.sqlite"));
    let checked = check(&events, &subjects, 5_000, true);
    assert_totals_match(&events, &sqlite_totals(&setup.path("relay.sqlite")));
    eprintln!(
        "crash: {kills} kills, {} events, {} leases, {acknowledged_total} acknowledged leases found after restarts, peak {:?}",
        checked.events, checked.leases, checked.peak
    );
    assert!(
        acknowledged_total > kills,
        "too few leases were held across kills to prove anything"
    );
}
