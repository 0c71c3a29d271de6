//! The relay as a client meets it: a real process, real HTTP, a clock the test drives.

mod common;
use common::*;
use serde_json::json;
use timefence_license::relay::{certify, read_certificate, verify_lease, CertificatePayload};
use timefence_license::{public_key_base64, verify, TrustedKeys};

const T0: &str = "2027-03-01T01:00:00Z";

#[test]
fn a_seat_is_claimed_renewed_released_and_the_second_claimant_is_told_why_not() {
    // One seat, 00:00-08:00 UTC, 3 h a day.
    let file = license_file(
        1,
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "00:00",
            "08:00",
            "UTC",
            1,
            Some("3h"),
        ),
        None,
    );
    let setup = Setup::new(&[("one.lic", file.clone())], ms(T0));
    let relay = setup.start(&[]);
    let license = reference(1);

    let first = relay.claim(&license, "agent-1", "n1");
    assert_eq!(first.status, 201, "{first:?}");
    let lease = first.lease()["id"].as_str().unwrap().to_string();
    assert_eq!(first.lease()["expires_at_ms"], ms(T0) + 60_000, "TTL 60 s");

    // The same claim again (a retry): the same lease, nothing charged twice.
    let again = relay.claim(&license, "agent-1", "n1");
    assert_eq!(again.status, 201);
    assert_eq!(again.lease()["id"], first.lease()["id"]);

    // A second holder: the one seat is taken.
    let second = relay.claim(&license, "agent-2", "n1");
    assert_eq!(second.status, 409, "{second:?}");
    assert_eq!(second.error(), "SeatsFull");
    assert_eq!(
        second.body["error"]["data"],
        json!({ "in_use": 1, "seats": 1 })
    );

    // The token verifies through the chain vendor key -> relay certificate -> token.
    let mut trusted = TrustedKeys::default();
    trusted.add(vendor().verifying_key());
    let verified = verify(&file, &trusted).unwrap();
    let certificate = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay_key().verifying_key()),
            customer: "Acme BPO".into(),
            customer_uid: None,
            licenses: vec![uid(1)],
            issued_at: T0.into(),
            not_after: None,
        },
        &vendor(),
    );
    let certificate = read_certificate(&certificate, &trusted).unwrap();
    let token = first.lease()["token"].as_str().unwrap();
    let claims = verify_lease(token, &certificate, &verified, "agent-1", ms(T0)).unwrap();
    assert_eq!(claims.lease, lease);

    // Renewal 30 s later extends to now + 60 s; replaying it changes nothing.
    setup.set_clock(ms(T0) + 30_000);
    let renewed = relay.renew(&lease, 1);
    assert_eq!(renewed.status, 200, "{renewed:?}");
    assert_eq!(renewed.lease()["expires_at_ms"], ms(T0) + 90_000);
    setup.set_clock(ms(T0) + 40_000);
    let replayed = relay.renew(&lease, 1);
    assert_eq!(
        replayed.lease()["expires_at_ms"],
        ms(T0) + 90_000,
        "a replay extends nothing"
    );
    assert_eq!(replayed.lease()["seq"], 1);

    // The status shows the holder and the occurrence's charge: 90 s so far.
    let status = relay.get(&format!("/v1/licenses/{license}"));
    assert_eq!(status.body["in_use"], 1);
    assert_eq!(status.body["holders"][0]["holder"], "agent-1");
    assert_eq!(status.body["window_state"]["charged_ms"], 90_000);
    assert_eq!(status.body["window_state"]["budget_ms"], 3 * 3600 * 1000);

    // Release at +40 s refunds the unused 50 s, and the seat is free for agent-2.
    let released = relay.release(&lease);
    assert_eq!(released.status, 200, "{released:?}");
    assert_eq!(released.body["refunded_ms"], 50_000);
    let status = relay.get(&format!("/v1/licenses/{license}"));
    assert_eq!(status.body["window_state"]["charged_ms"], 40_000);
    assert_eq!(relay.claim(&license, "agent-2", "n1").status, 201);
    // A second release of the same lease: it is not held.
    assert_eq!(relay.release(&lease).error(), "LeaseNotHeld");

    let metrics = relay.get("/metrics");
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("timefence_relay_refusals_total{reason=\"SeatsFull\"} 1"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "timefence_relay_active_leases{{license=\"{license}\"}} 1"
    )));
}

#[test]
fn no_lease_outlives_its_window_and_a_late_renewal_hears_the_next_opening() {
    let file = license_file(
        2,
        1,
        terms("2027-01-01", "2027-12-31", "00:00", "08:00", "UTC", 5, None),
        None,
    );
    let setup = Setup::new(&[("w.lic", file)], ms("2027-03-01T07:59:30Z"));
    let relay = setup.start(&[]);
    let claimed = relay.claim(&reference(2), "a", "1");
    assert_eq!(
        claimed.lease()["expires_at_ms"],
        ms("2027-03-01T08:00:00Z"),
        "capped at the close"
    );
    let lease = claimed.lease()["id"].as_str().unwrap().to_string();
    setup.set_clock(ms("2027-03-01T08:00:10Z"));
    let late = relay.renew(&lease, 1);
    assert_eq!(late.status, 403, "{late:?}");
    assert_eq!(late.error(), "OutsideWindow");
    assert_eq!(
        late.body["error"]["data"]["next_opening"],
        "2027-03-02T00:00:00Z"
    );
    let outside = relay.claim(&reference(2), "b", "1");
    assert_eq!(outside.error(), "OutsideWindow");
}

#[test]
fn the_daily_budget_is_seats_times_the_limit_and_one_holder_gets_the_limit_at_most() {
    // 2 seats, 10 minutes a day: a 20-minute pool, 10 minutes per holder.
    let file = license_file(
        3,
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "00:00",
            "08:00",
            "UTC",
            2,
            Some("10m"),
        ),
        None,
    );
    let start = ms(T0);
    let setup = Setup::new(&[("b.lic", file)], start);
    let relay = setup.start(&["--ttl", "600"]);
    let license = reference(3);
    let a = relay.claim(&license, "a", "1");
    assert_eq!(a.lease()["expires_at_ms"], start + 600_000);
    // When a's ten minutes are spent, a is refused even though a seat is free.
    setup.set_clock(start + 600_000);
    let again = relay.claim(&license, "a", "2");
    assert_eq!(again.error(), "ConsumptionExhausted", "{again:?}");
    assert_eq!(
        again.body["error"]["data"]["next_opening"],
        "2027-03-02T00:00:00Z"
    );
    let b = relay.claim(&license, "b", "1");
    assert_eq!(b.lease()["expires_at_ms"], start + 1_200_000);
    setup.set_clock(start + 1_200_000);
    assert_eq!(
        relay.claim(&license, "c", "1").error(),
        "ConsumptionExhausted",
        "the pool is spent"
    );
}

#[test]
fn dates_not_after_and_a_clock_set_back() {
    let files = [
        (
            "future.lic",
            license_file(
                4,
                1,
                terms("2028-01-01", "2028-12-31", "00:00", "24:00", "UTC", 1, None),
                None,
            ),
        ),
        (
            "past.lic",
            license_file(
                5,
                1,
                terms("2026-01-01", "2026-12-31", "00:00", "24:00", "UTC", 1, None),
                None,
            ),
        ),
        (
            "capped.lic",
            license_file(
                6,
                1,
                terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 1, None),
                Some("2027-03-01T01:00:30Z"),
            ),
        ),
    ];
    let setup = Setup::new(&files, ms(T0));
    let relay = setup.start(&[]);
    assert_eq!(relay.claim(&reference(4), "a", "1").error(), "NotYetValid");
    assert_eq!(relay.claim(&reference(5), "a", "1").error(), "Expired");
    let capped = relay.claim(&reference(6), "a", "1");
    assert_eq!(
        capped.lease()["expires_at_ms"],
        ms("2027-03-01T01:00:30Z"),
        "not past not-after"
    );
    setup.set_clock(ms("2027-03-01T01:00:30Z"));
    assert_eq!(relay.claim(&reference(6), "b", "1").error(), "Expired");

    // The clock goes back 10 s (tolerance 5 s): everything stops, then resumes.
    setup.set_clock(ms("2027-03-01T01:00:20Z"));
    let back = relay.claim(&reference(4), "a", "2");
    assert_eq!(back.error(), "ClockRollback", "{back:?}");
    assert_eq!(back.status, 503);
    setup.set_clock(ms("2027-03-01T01:00:27Z"));
    assert_eq!(
        relay.claim(&reference(4), "a", "3").error(),
        "NotYetValid",
        "within tolerance again"
    );
}

#[test]
fn bad_input_gets_a_typed_4xx_and_changes_nothing() {
    let file = license_file(
        7,
        1,
        terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = Setup::new(&[("x.lic", file)], ms(T0));
    let relay = setup.start(&[]);
    let license = reference(7);
    let url = format!("{}/v1/licenses/{license}/leases", relay.base);
    let raw = |body: &str| match relay
        .agent
        .post(&url)
        .set("Content-Type", "application/json")
        .send_string(body)
    {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    };
    for (body, status) in [
        ("{", 400),
        ("[]", 400),
        ("{\"holder\":\"a\"}", 400),
        ("{\"holder\":\"a\",\"nonce\":\"1\",\"extra\":1}", 400),
        ("{\"holder\":\"\",\"nonce\":\"1\"}", 400),
        ("{\"holder\":\"a\\u0000b\",\"nonce\":\"1\"}", 400),
        (
            &format!("{{\"holder\":\"{}\",\"nonce\":\"1\"}}", "h".repeat(201)),
            400,
        ),
        (
            &format!("{{\"holder\":\"a\",\"nonce\":\"{}\"}}", "x".repeat(20_000)),
            413,
        ),
    ] {
        let (got, text) = raw(body);
        assert_eq!(got, status, "{body:.80}: {text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["error"]["type"], "BadRequest", "{text}");
    }
    assert_eq!(relay.claim("ffff-9", "a", "1").error(), "UnknownLicense");
    assert_eq!(
        relay
            .renew_as(
                &format!("{license}.{}", "0".repeat(32)),
                Some(&"0".repeat(64)),
                1
            )
            .error(),
        "LeaseNotHeld"
    );
    assert_eq!(
        relay
            .renew_as("..%2F..%2Fetc%2Fpasswd", Some(&"0".repeat(64)), 1)
            .error(),
        "LeaseNotHeld"
    );
    assert_eq!(relay.get("/v2/anything").status, 404);
    // Nothing above took the seat or wrote history.
    assert_eq!(
        relay.get(&format!("/v1/licenses/{license}")).body["in_use"],
        0
    );
    drop(relay);
    let db = open_db(&setup.path("relay.sqlite"));
    let events: i64 = db
        .query_row("SELECT COUNT(*) FROM relay_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 0);
}

#[test]
fn the_folder_is_reloaded_and_a_newer_serial_replaces_an_older_one() {
    let t = || terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 1, None);
    let mut two_seats = t();
    two_seats.seats = 2;
    let setup = Setup::new(&[("a.lic", license_file(8, 1, t(), None))], ms(T0));
    let relay = setup.start(&[]);
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(8))).body["seats"],
        1
    );
    std::fs::write(
        setup.path("licenses/a-2.lic"),
        license_file(8, 2, two_seats.clone(), None),
    )
    .unwrap();
    std::fs::write(
        setup.path("licenses/tampered.lic"),
        license_file(9, 1, t(), None).replace("payload: ey", "payload: ez"),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while relay.get(&format!("/v1/licenses/{}", reference(8))).body["seats"] != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "serial 2 was not picked up within 15 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let list = relay.get("/v1/licenses");
    let skipped = list.body["not_served"].to_string();
    assert!(skipped.contains("superseded by serial 2"), "{skipped}");
    assert!(skipped.contains("tampered.lic"), "{skipped}");
    // Serial 2 overwritten by an older copy (serial 1): serial 2 stays in service.
    std::fs::remove_file(setup.path("licenses/a.lic")).unwrap();
    std::fs::write(
        setup.path("licenses/a-2.lic"),
        license_file(8, 1, t(), None),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(8))).body["serial"],
        2
    );
    // And `timefence-relay status` prints it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args(["status", "--url", &relay.base])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Acme BPO / License 8") && text.contains("0 of 2 seats in use"),
        "{text}"
    );
}

#[test]
fn plain_http_off_loopback_needs_insecure() {
    let setup = Setup::new(&[], ms(T0));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args(["serve", "--licenses"])
        .arg(setup.path("licenses"))
        .arg("--trust")
        .arg(setup.path("vendor.pub.pem"))
        .arg("--key")
        .arg(setup.path("relay.key"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure"));
}

/// Holds a seat from the window's opening by renewing every 30 s until the relay refuses;
/// returns the last lease end and the refusal.
fn hold_through_the_night(
    setup: &Setup,
    relay: &RelayProcess,
    license: &str,
    opens: i64,
) -> (i64, Reply, i64) {
    setup.set_clock(opens);
    let claimed = relay.claim(license, "night-shift", "1");
    assert_eq!(claimed.status, 201, "{claimed:?}");
    let lease = claimed.lease()["id"].as_str().unwrap().to_string();
    let mut end = claimed.lease()["expires_at_ms"].as_i64().unwrap();
    let mut now = opens;
    for seq in 1.. {
        now += 30_000;
        setup.set_clock(now);
        let r = relay.renew(&lease, seq);
        if r.status != 200 {
            return (end, r, now);
        }
        end = r.lease()["expires_at_ms"].as_i64().unwrap();
    }
    unreachable!()
}

#[test]
fn a_berlin_night_shift_across_both_dst_changes_closes_on_the_wall_clock() {
    let file = license_file(
        10,
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "22:00",
            "06:00",
            "Europe/Berlin",
            1,
            None,
        ),
        None,
    );
    let setup = Setup::new(&[("night.lic", file)], ms("2027-03-27T20:00:00Z"));
    let relay = setup.start(&[]);
    let license = reference(10);
    // Spring: 22:00 CET (21:00Z) to 06:00 CEST (04:00Z): 7 hours.
    let (end, refusal, _) =
        hold_through_the_night(&setup, &relay, &license, ms("2027-03-27T21:00:00Z"));
    assert_eq!(end, ms("2027-03-28T04:00:00Z"));
    assert_eq!(refusal.error(), "OutsideWindow");
    assert_eq!(
        refusal.body["error"]["data"]["next_opening"],
        "2027-03-28T20:00:00Z"
    );
    // Autumn: 22:00 CEST (20:00Z) to 06:00 CET (05:00Z): 9 hours.
    let (end, refusal, _) =
        hold_through_the_night(&setup, &relay, &license, ms("2027-10-30T20:00:00Z"));
    assert_eq!(end, ms("2027-10-31T05:00:00Z"));
    assert_eq!(
        refusal.body["error"]["data"]["next_opening"],
        "2027-10-31T21:00:00Z"
    );
    drop(relay);
    let db = open_db(&setup.path("relay.sqlite"));
    let charged = |occurrence: &str| -> i64 {
        db.query_row(
            "SELECT charged_ms FROM relay_occurrences WHERE occurrence = ?1",
            [occurrence],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(
        charged("2027-03-27"),
        7 * 3_600_000,
        "the spring night is 7 real hours"
    );
    assert_eq!(
        charged("2027-10-30"),
        9 * 3_600_000,
        "the autumn night is 9 real hours"
    );
}

#[test]
fn a_lease_nobody_renews_is_recorded_as_ended_without_anyone_asking() {
    let file = license_file(
        11,
        1,
        terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 2, None),
        None,
    );
    let setup = Setup::new(&[("s.lic", file)], ms(T0));
    let relay = setup.start(&[]);
    let lease = relay.claim(&reference(11), "a", "1").lease()["id"]
        .as_str()
        .unwrap()
        .to_string();
    setup.set_clock(ms(T0) + 61_000);
    let db = open_db(&setup.path("relay.sqlite"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let ended: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM relay_events WHERE kind = 'expired' AND lease = ?1",
                [&lease],
                |r| r.get(0),
            )
            .unwrap();
        if ended == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the ended lease was not recorded within 20 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let at: i64 = db
        .query_row(
            "SELECT at FROM relay_events WHERE kind = 'expired'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        at,
        ms(T0) + 60_000,
        "dated when it ended, not when it was noticed"
    );
}

#[test]
fn with_a_certificate_and_key_the_relay_speaks_tls() {
    let file = license_file(
        12,
        1,
        terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = Setup::new(&[("t.lic", file)], ms(T0));
    let (cert, key) = (setup.path("cert.pem"), setup.path("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            // A server's own certificate, not a CA's: rustls will not take a CA's as a
            // server's (curl does).
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = free_port();
    let mut child = setup
        .serve_command(&setup.storage, &format!("127.0.0.1:{port}"))
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--clock-file")
        .arg(setup.path("clock"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let curl = |scheme: &str| {
        std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
                "--max-time",
                "5",
                "--cacert",
            ])
            .arg(&cert)
            .args([
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                r#"{"holder":"a","nonce":"1"}"#,
            ])
            .arg(format!(
                "{scheme}://127.0.0.1:{port}/v1/licenses/{}/leases",
                reference(12)
            ))
            .output()
            .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let answer = loop {
        let out = curl("https");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if text.ends_with("201") {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no TLS answer within 30 s: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(answer.contains("\"token\""), "{answer}");
    // `status` speaks TLS too, trusting the certificate given.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .args(["status", "--url", &format!("https://localhost:{port}")])
        .arg("--ca")
        .arg(&cert)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success() && said.contains("1 of 1 seat in use"),
        "{said} {}",
        String::from_utf8_lossy(&status.stderr)
    );
    // Plain HTTP to the TLS port gets no lease.
    let plain = curl("http");
    assert!(!String::from_utf8_lossy(&plain.stdout).ends_with("201"));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn after_a_key_rotation_the_new_key_s_revision_supersedes_the_old_on_the_relay_and_the_old_certificate_covers_it(
) {
    use timefence_license::relay::{certify, read_certificate, verify_lease, CertificatePayload};
    use timefence_license::{public_key_base64, public_key_pem, sign, verify, TrustedKeys};
    let rotated = ed25519_dalek::SigningKey::from_bytes(&[33; 32]);
    let spec = terms("2027-01-01", "2027-12-31", "00:00", "24:00", "UTC", 2, None);
    let mut payload = timefence_license::LicensePayload {
        license_id: 1,
        uid: Some(uid(1)),
        revision: 1,
        customer: "Acme BPO".into(),
        customer_uid: None,
        name: "License 1".into(),
        issued_at: "2027-01-01T00:00:00Z".into(),
        serial: 1,
        not_after: None,
        terms: spec.clone(),
    };
    let old_file = sign(&payload, &vendor(), "rev 1, old key");
    payload.revision = 2;
    payload.serial = 2;
    payload.terms.seats = 3;
    let new_file = sign(&payload, &rotated, "rev 2, new key");
    // Both files in the folder, both keys trusted.
    let setup = Setup::new(
        &[("old.lic", old_file), ("new.lic", new_file.clone())],
        ms("2027-03-01T10:00:00Z"),
    );
    std::fs::write(
        setup.path("rotated.pub.pem"),
        public_key_pem(&rotated.verifying_key()),
    )
    .unwrap();
    let trust_rotated = setup.path("rotated.pub.pem");
    let relay = setup.start(&["--trust", trust_rotated.to_str().unwrap()]);
    let listing = relay.get("/v1/licenses");
    let served = listing.body["licenses"].as_array().unwrap().clone();
    assert_eq!(served.len(), 1, "both revisions served: {listing:?}");
    let new_ref = format!(
        "{}-{}",
        timefence_license::key_id(&rotated.verifying_key()),
        uid(1)
    );
    assert_eq!(served[0]["license"], new_ref.as_str());
    assert_eq!(served[0]["seats"], 3);
    // The old key's revision gets no seat.
    assert_eq!(relay.claim(&reference(1), "agent-1", "n1").status, 404);
    let granted = relay.claim(&new_ref, "agent-1", "n2");
    assert_eq!(granted.status, 201, "{granted:?}");
    // A certificate the old key signed before the rotation covers the new key's file.
    let mut trusted = TrustedKeys::default();
    trusted.add(vendor().verifying_key());
    trusted.add(rotated.verifying_key());
    let certificate = read_certificate(
        &certify(
            &CertificatePayload {
                relay_key: public_key_base64(&relay_key().verifying_key()),
                customer: "Acme BPO".into(),
                customer_uid: None,
                licenses: vec![uid(1)],
                issued_at: "2027-01-01T00:00:00Z".into(),
                not_after: None,
            },
            &vendor(),
        ),
        &trusted,
    )
    .unwrap();
    let license = verify(&new_file, &trusted).unwrap();
    let token = granted.lease()["token"].as_str().unwrap();
    verify_lease(
        token,
        &certificate,
        &license,
        "agent-1",
        ms("2027-03-01T10:00:01Z"),
    )
    .unwrap();
}
