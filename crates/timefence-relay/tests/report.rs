//! Usage reports, checked against traffic the test made itself: a seeded month of claims,
//! renewals and releases through a real relay process (on a clock the test drives), then
//! `timefence-relay report`, whose aggregates must equal the test's own count exactly.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use timefence_license::public_key_base64;
use timefence_license::relay::{certify, CertificatePayload};
use timefence_license::usage::{read_report, Quarter, Refusals};
use timefence_license::TrustedKeys;

const QUARTER_MS: i64 = 900_000;

/// A small seeded generator (xorshift64*), so every run makes the same month.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A lease as the test saw it granted, renewed and released.
struct Held {
    id: String,
    license: String,
    holder: String,
    seq: u64,
    start: i64,
    end: i64,
}

/// What the test expects of one license, counted its own way.
#[derive(Default)]
struct Expected {
    intervals: Vec<(i64, i64, String)>,
    refusals: BTreeMap<(i64, String), u32>,
    /// The distinct holders behind them.
    refused_holders: BTreeMap<(i64, String), std::collections::BTreeSet<String>>,
}

impl Expected {
    /// Per quarter-hour: seat-milliseconds by overlap, and the peak by counting, at the
    /// quarter's start and at every interval start inside it, the intervals covering it.
    fn quarters(&self, from: i64, to: i64) -> Vec<Quarter> {
        let clipped: Vec<(i64, i64)> = self
            .intervals
            .iter()
            .map(|(s, e, _)| ((*s).max(from), (*e).min(to)))
            .filter(|(s, e)| s < e)
            .collect();
        let mut out = Vec::new();
        let mut quarter = from;
        while quarter < to {
            let next = quarter + QUARTER_MS;
            let used: i64 = clipped
                .iter()
                .map(|(s, e)| ((*e).min(next) - (*s).max(quarter)).max(0))
                .sum();
            let covering =
                |t: i64| clipped.iter().filter(|(s, e)| *s <= t && t < *e).count() as u32;
            let peak = std::iter::once(quarter)
                .chain(
                    clipped
                        .iter()
                        .map(|(s, _)| *s)
                        .filter(|s| (quarter..next).contains(s)),
                )
                .map(covering)
                .max()
                .unwrap_or(0);
            if used > 0 {
                out.push(Quarter {
                    start: quarter / 1000,
                    peak,
                    seat_seconds: used / 1000,
                });
            }
            quarter = next;
        }
        out
    }

    fn holders(&self, from: i64, to: i64) -> u32 {
        let set: BTreeSet<&str> = self
            .intervals
            .iter()
            .filter(|(s, e, _)| (*s).max(from) < (*e).min(to))
            .map(|(_, _, h)| h.as_str())
            .collect();
        set.len() as u32
    }
}

#[test]
fn a_seeded_month_through_a_real_relay_is_reported_exactly() {
    let day0 = ms("2027-03-01T00:00:00Z");
    // Four seats 08:00-16:00; three seats 16:00-24:00 with 5 minutes a day each (a budget of
    // 15 seat-minutes an evening), so every kind of refusal happens.
    let files = [
        (
            "day.lic",
            license_file(
                1,
                1,
                terms("2027-01-01", "2027-12-31", "08:00", "16:00", "UTC", 4, None),
                None,
            ),
        ),
        (
            "evening.lic",
            license_file(
                2,
                1,
                terms(
                    "2027-01-01",
                    "2027-12-31",
                    "16:00",
                    "24:00",
                    "UTC",
                    3,
                    Some("5m"),
                ),
                None,
            ),
        ),
    ];
    let setup = Setup::new(&files, day0);
    let relay = setup.start(&[]);
    let licenses = [reference(1), reference(2)];

    let mut random = Seeded(0x7157_2027);
    let mut held: Vec<Held> = Vec::new();
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    let mut finished: Vec<Held> = Vec::new();
    let mut nonce = 0u64;
    let mut calls = 0u32;
    let days = 30;
    for day in 0..days {
        // Three bursts a day, across the window edges: 07:55, 15:55 and 23:50, 12 minutes each.
        for burst in [7 * 60 + 55, 15 * 60 + 55, 23 * 60 + 50] {
            let mut now = day0 + day * 86_400_000 + burst * 60_000;
            let stop = now + 12 * 60_000;
            while now < stop {
                now += 1_000 * (2 + random.below(14) as i64);
                setup.set_clock(now);
                // Leases the relay has let end are gone.
                let (ended, live): (Vec<Held>, Vec<Held>) =
                    held.drain(..).partition(|h| h.end <= now);
                finished.extend(ended);
                held = live;
                let which = random.below(100);
                if which < 45 || held.is_empty() {
                    let license = &licenses[random.below(2) as usize];
                    let holder = format!("agent-{}", random.below(12));
                    nonce += 1;
                    let reply = relay.claim(license, &holder, &format!("n{nonce}"));
                    calls += 1;
                    if reply.status == 201 {
                        held.push(Held {
                            id: reply.lease()["id"].as_str().unwrap().to_string(),
                            license: license.clone(),
                            holder,
                            seq: 0,
                            start: now,
                            end: reply.lease()["expires_at_ms"].as_i64().unwrap(),
                        });
                    } else {
                        assert!(
                            ["SeatsFull", "OutsideWindow", "ConsumptionExhausted"]
                                .contains(&reply.error()),
                            "{reply:?}"
                        );
                        let mine = expected.entry(license.clone()).or_default();
                        let key = (now - now.rem_euclid(QUARTER_MS), reply.error().to_string());
                        *mine.refusals.entry(key.clone()).or_default() += 1;
                        mine.refused_holders
                            .entry(key)
                            .or_default()
                            .insert(holder.clone());
                    }
                } else {
                    let i = random.below(held.len() as u64) as usize;
                    if which < 80 {
                        held[i].seq += 1;
                        let reply = relay.renew(&held[i].id, held[i].seq);
                        calls += 1;
                        if reply.status == 200 {
                            held[i].end = reply.lease()["expires_at_ms"].as_i64().unwrap();
                        } else {
                            assert_eq!(reply.error(), "OutsideWindow", "{reply:?}");
                            // A renewal refused is a lease ending, recorded apart from claims.
                            let mine = expected.entry(held[i].license.clone()).or_default();
                            let key = (
                                now - now.rem_euclid(QUARTER_MS),
                                "OutsideWindowAtRenewal".to_string(),
                            );
                            *mine.refusals.entry(key.clone()).or_default() += 1;
                            mine.refused_holders
                                .entry(key)
                                .or_default()
                                .insert(held[i].holder.clone());
                        }
                    } else {
                        let mut lease = held.remove(i);
                        let reply = relay.release(&lease.id);
                        calls += 1;
                        assert_eq!(reply.status, 200, "{reply:?}");
                        // The unused rest is refunded: the seat was held until now.
                        lease.end = lease.end.min(now.max(lease.start));
                        finished.push(lease);
                    }
                }
            }
        }
    }
    finished.append(&mut held);
    for lease in finished {
        expected.entry(lease.license).or_default().intervals.push((
            lease.start,
            lease.end,
            lease.holder,
        ));
    }

    // The vendor's certificate for the relay's key, and the report of the month.
    let (said, report) = report_of(&setup, "2027-03-01", "2027-03-30");
    assert_eq!(
        said,
        format!(
            "Wrote the usage of Acme BPO from 2027-03-01 to 2027-03-30 (2 licenses) to {}.",
            setup.path("report").display()
        )
    );

    let (from, to) = (day0, day0 + 30 * 86_400_000);
    assert_eq!(report.payload.licenses.len(), 2);
    let mut refusals_by_reason: BTreeMap<String, u32> = BTreeMap::new();
    for usage in &report.payload.licenses {
        let mine = &expected[&usage.license];
        assert_eq!(
            usage.quarters,
            mine.quarters(from, to),
            "{}'s quarter-hours",
            usage.license
        );
        let refusals: Vec<Refusals> = mine
            .refusals
            .iter()
            .filter(|((start, _), _)| (from..to).contains(start))
            .map(|((start, reason), count)| Refusals {
                start: start / 1000,
                reason: reason.clone(),
                count: *count,
                holders: Some(mine.refused_holders[&(*start, reason.clone())].len() as u32),
            })
            .collect();
        assert_eq!(usage.refusals, refusals, "{}'s refusals", usage.license);
        assert_eq!(usage.distinct_holders, mine.holders(from, to));
        for r in &usage.refusals {
            *refusals_by_reason.entry(r.reason.clone()).or_default() += r.count;
        }
    }
    // The month held every kind of demand the report is for.
    for reason in ["SeatsFull", "OutsideWindow", "ConsumptionExhausted"] {
        assert!(
            refusals_by_reason.get(reason).is_some_and(|n| *n > 0),
            "no {reason} in {refusals_by_reason:?}"
        );
    }
    let quarters: usize = report
        .payload
        .licenses
        .iter()
        .map(|l| l.quarters.len())
        .sum();
    println!("{calls} calls over {days} days; {quarters} quarter-hours used; refusals {refusals_by_reason:?}");
}

#[test]
fn a_certificate_for_another_relay_or_a_backwards_period_is_refused() {
    let setup = Setup::new(&[], ms("2027-03-01T00:00:00Z"));
    std::fs::write(
        setup.path("other.cert"),
        certify(
            &CertificatePayload {
                relay_key: public_key_base64(&vendor().verifying_key()),
                customer: "Acme BPO".into(),
                customer_uid: None,
                licenses: vec![],
                issued_at: "2027-01-01T00:00:00Z".into(),
                not_after: None,
            },
            &vendor(),
        ),
    )
    .unwrap();
    let run = |from: &str, to: &str| {
        Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
            .arg("report")
            .args(["--storage", &setup.storage])
            .arg("--key")
            .arg(setup.path("relay.key"))
            .arg("--certificate")
            .arg(setup.path("other.cert"))
            .arg("--trust")
            .arg(setup.path("vendor.pub.pem"))
            .args(["--from", from, "--to", to, "--out"])
            .arg(setup.path("r.report"))
            .arg("--clock-file")
            .arg(setup.path("clock"))
            .output()
            .unwrap()
    };
    // A day that has not ended is not reported: it would be imported half-counted.
    let today = run("2027-02-27", "2027-03-01");
    assert_eq!(today.status.code(), Some(2));
    let said = String::from_utf8_lossy(&today.stderr);
    assert!(
        said.contains(
            "--to 2027-03-01: the last day must have ended (UTC); the latest is 2027-02-28"
        ),
        "{said}"
    );
    setup.set_clock(ms("2027-04-01T00:00:00Z"));
    let other = run("2027-03-01", "2027-03-02");
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("certifies another relay key"));
    let backwards = run("2027-03-02", "2027-03-01");
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("is before --from"));
    assert!(!setup.path("r.report").exists(), "nothing written");
}

#[test]
fn no_report_is_written_under_a_certificate_on_the_vendors_withdrawal_list() {
    use timefence_license::relay::{sign_withdrawals, WithdrawalsPayload, WithdrawnCertificate};
    let setup = Setup::new(&[], ms("2027-04-01T00:00:00Z"));
    // A relay that has run once: its storage exists, with nothing in it.
    drop(setup.start(&[]));
    let payload = CertificatePayload {
        relay_key: public_key_base64(&relay_key().verifying_key()),
        customer: "Acme BPO".into(),
        customer_uid: None,
        licenses: vec![],
        issued_at: "2027-01-01T00:00:00Z".into(),
        not_after: None,
    };
    std::fs::write(setup.path("relay.cert"), certify(&payload, &vendor())).unwrap();
    let list = |name: &str, issued_at: &str| {
        let withdrawn = WithdrawalsPayload {
            issued_at: "2027-03-15T00:00:00Z".into(),
            withdrawn: vec![WithdrawnCertificate {
                relay_key: payload.relay_key.clone(),
                issued_at: issued_at.into(),
                withdrawn_at: "2027-03-14T08:30:00Z".into(),
            }],
        };
        std::fs::write(setup.path(name), sign_withdrawals(&withdrawn, &vendor())).unwrap();
    };
    list("older.tfw", "2026-01-01T00:00:00Z");
    list("this.tfw", "2027-01-01T00:00:00Z");
    let run = |withdrawals: &str| {
        Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
            .arg("report")
            .args(["--storage", &setup.storage])
            .arg("--key")
            .arg(setup.path("relay.key"))
            .arg("--certificate")
            .arg(setup.path("relay.cert"))
            .arg("--trust")
            .arg(setup.path("vendor.pub.pem"))
            .arg("--withdrawals")
            .arg(setup.path(withdrawals))
            .args(["--from", "2027-03-01", "--to", "2027-03-02", "--out"])
            .arg(setup.path("r.report"))
            .arg("--clock-file")
            .arg(setup.path("clock"))
            .output()
            .unwrap()
    };
    let refused = run("this.tfw");
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("the vendor withdrew the relay certificate at 2027-03-14T08:30:00Z"),
        "{said}"
    );
    assert!(!setup.path("r.report").exists(), "nothing written");
    // A list naming an earlier certificate of the same relay key leaves this one alone.
    let written = run("older.tfw");
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    assert!(setup.path("r.report").exists());
}

#[test]
fn keygen_writes_an_owner_only_key_that_openssl_reads() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("relay.key");
    let out = Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // OpenSSL reads it (PKCS#8 v1), and derives the public key keygen wrote beside it.
    let derived = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        derived.status.success(),
        "{}",
        String::from_utf8_lossy(&derived.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&derived.stdout),
        std::fs::read_to_string(dir.path().join("relay.pub.pem")).unwrap()
    );
    // And a second keygen never overwrites it.
    let again = Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

/// `timefence-relay report` of `from..=to` on `setup`'s storage, with a certificate for the
/// relay's key: what it said, and the report, verified.
fn report_of(
    setup: &Setup,
    from: &str,
    to: &str,
) -> (String, timefence_license::usage::VerifiedReport) {
    std::fs::write(
        setup.path("relay.cert"),
        certify(
            &CertificatePayload {
                relay_key: public_key_base64(&relay_key().verifying_key()),
                customer: "Acme BPO".into(),
                customer_uid: None,
                licenses: vec![],
                issued_at: "2027-01-01T00:00:00Z".into(),
                not_after: None,
            },
            &vendor(),
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .arg("report")
        .args(["--storage", &setup.storage])
        .arg("--key")
        .arg(setup.path("relay.key"))
        .arg("--certificate")
        .arg(setup.path("relay.cert"))
        .arg("--trust")
        .arg(setup.path("vendor.pub.pem"))
        .args(["--from", from, "--to", to, "--out"])
        .arg(setup.path("report"))
        .arg("--clock-file")
        .arg(setup.path("clock"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut trusted = TrustedKeys::default();
    trusted.add(vendor().verifying_key());
    let report = read_report(
        &std::fs::read_to_string(setup.path("report")).unwrap(),
        &trusted,
    )
    .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        report,
    )
}

#[test]
fn refusals_count_people_not_retries_and_a_spray_of_made_up_holders_stops_at_the_limit() {
    people_not_retries(None);
}

#[test]
fn on_postgresql_too_refusals_count_people_and_stop_at_the_limit() {
    people_not_retries(Some(common::pg::Cluster::start()));
}

fn people_not_retries(cluster: Option<common::pg::Cluster>) {
    use timefence_license::usage::MAX_REFUSED_HOLDERS;
    let one_seat = || terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 1, None);
    let mut setup = Setup::new(
        &[
            ("a.lic", license_file(1, 1, one_seat(), None)),
            ("b.lic", license_file(2, 1, one_seat(), None)),
        ],
        ms("2027-03-01T10:00:00Z"),
    );
    if let Some(cluster) = &cluster {
        setup.storage = cluster.url();
    }
    let relay = setup.start(&[]);
    let (sprayed, retried) = (reference(1), reference(2));
    assert_eq!(relay.claim(&sprayed, "owner", "a0").status, 201);
    assert_eq!(relay.claim(&retried, "owner", "b0").status, 201);
    // On the first license, one person retrying 40 times and a client spraying 1,100 made-up
    // holder names; on the second, the same person retrying 40 times, alone.
    for i in 0..40 {
        let nonce = format!("e{i}");
        assert_eq!(relay.claim(&sprayed, "eager", &nonce).error(), "SeatsFull");
        assert_eq!(relay.claim(&retried, "eager", &nonce).error(), "SeatsFull");
    }
    for i in 0..1_100 {
        let (holder, nonce) = (format!("made-up-{i}"), format!("s{i}"));
        assert_eq!(relay.claim(&sprayed, &holder, &nonce).error(), "SeatsFull");
    }
    setup.set_clock(ms("2027-03-02T00:00:01Z"));
    let (_, report) = report_of(&setup, "2027-03-01", "2027-03-01");
    let of = |license: &str| {
        let usage = report
            .payload
            .licenses
            .iter()
            .find(|u| u.license == license)
            .unwrap();
        assert_eq!(usage.refusals.len(), 1, "{:?}", usage.refusals);
        (usage.refusals[0].count, usage.refusals[0].holders)
    };
    assert_eq!(of(&sprayed), (1_140, Some(MAX_REFUSED_HOLDERS)));
    assert_eq!(of(&retried), (40, Some(1)));
}
