//! A relay on a hostile network, over real HTTP to a real relay process: what another client
//! may do to a seat it does not hold, bodies of any size, idle and half-sent connections,
//! client tokens, a revision that lowers seats, a second relay on the same file, SIGTERM,
//! what `/healthz` and `/readyz` say, and the clock reset after a glitch.

mod common;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn all_day(seats: u32) -> timefence_terms::TermsSpec {
    terms(
        "2027-01-01",
        "2027-12-31",
        "00:00",
        "24:00",
        "UTC",
        seats,
        None,
    )
}

const T: &str = "2027-03-01T10:00:00Z";

#[test]
fn another_client_cannot_release_renew_or_freeze_a_seat_and_listings_leak_no_secret() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(1), None))], ms(T));
    let relay = setup.start(&[]);
    let license = reference(1);
    let owner = relay.claim(&license, "agent-1", "n1");
    assert_eq!(owner.status, 201, "{owner:?}");
    let id = owner.lease()["id"].as_str().unwrap().to_string();
    let secret = owner.lease()["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64, "256 bits in hex");

    // What anyone can read names the holder, never the lease or its secret.
    let listing = relay.get(&format!("/v1/licenses/{license}"));
    assert_eq!(listing.body["in_use"], 1);
    let text = listing.body.to_string();
    assert!(
        !text.contains(&id),
        "the listing shows the lease id: {text}"
    );
    assert!(!text.contains(&secret), "the listing shows the secret");
    assert!(!relay.get("/v1/licenses").body.to_string().contains(&id));

    // The attacker knows the lease id (say it leaked) but not the secret.
    let guess = "0".repeat(64);
    for reply in [
        relay.release_as(&id, None),
        relay.release_as(&id, Some(&guess)),
        relay.renew_as(&id, None, 1),
        relay.renew_as(&id, Some(&guess), 1),
        relay.renew_as(&id, Some(&guess), u64::MAX),
        relay.renew_as(&id, Some(&secret[..63]), 1),
    ] {
        assert!(
            matches!(reply.error(), "LeaseNotHeld" | "BadRequest"),
            "{reply:?}"
        );
    }
    // A retried claim with the holder but another nonce is a new claim: the seat is full.
    assert_eq!(relay.claim(&license, "agent-1", "n2").error(), "SeatsFull");

    // The owner still holds the seat and renews in order.
    let renewed = relay.renew_as(&id, Some(&secret), 1);
    assert_eq!(renewed.status, 200, "{renewed:?}");
    assert!(
        renewed.lease()["secret"].is_null(),
        "a renewal does not repeat the secret"
    );
    // A seq that skips ahead is refused and freezes nothing.
    let skipped = relay.renew_as(&id, Some(&secret), u64::MAX);
    assert_eq!(skipped.status, 409, "{skipped:?}");
    assert_eq!(skipped.error(), "SeqConflict");
    assert_eq!(skipped.body["error"]["data"]["expected"], 2);
    let skipped = relay.renew_as(&id, Some(&secret), 5);
    assert_eq!(skipped.error(), "SeqConflict");
    // An exact replay answers the same lease; the next seq renews.
    let replay = relay.renew_as(&id, Some(&secret), 1);
    assert_eq!(replay.status, 200);
    assert_eq!(replay.lease()["seq"], 1);
    setup.set_clock(ms(T) + 10_000);
    let next = relay.renew_as(&id, Some(&secret), 2);
    assert_eq!(next.status, 200, "{next:?}");
    assert_eq!(next.lease()["seq"], 2);
    // The claimer's retry of its own claim gets the same lease and the same secret.
    let retry = relay.claim(&license, "agent-1", "n1");
    assert_eq!(retry.lease()["id"], id.as_str());
    assert_eq!(retry.lease()["secret"], secret.as_str());

    assert_eq!(relay.release_as(&id, Some(&secret)).status, 200);
    assert_eq!(
        relay.get(&format!("/v1/licenses/{license}")).body["in_use"],
        0
    );
}

#[test]
fn only_objects_are_bodies_and_every_error_status_has_a_typed_body() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    let relay = setup.start(&[]);
    let url = format!("{}/v1/licenses/{}/leases", relay.base, reference(1));
    let raw = |method: &str, url: &str, body: &[u8]| -> (u16, serde_json::Value) {
        let response = match relay
            .agent
            .request(method, url)
            .set("Content-Type", "application/json")
            .send_bytes(body)
        {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        let status = response.status();
        let text = response.into_string().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    };
    let (status, body) = raw("POST", &url, br#"["h", "n"]"#);
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (400, Some("BadRequest"))
    );
    let (status, body) = raw("PATCH", &url, b"{}");
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (405, Some("BadRequest"))
    );
    let (status, body) = raw("GET", &format!("{}/nowhere", relay.base), b"");
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (404, Some("BadRequest"))
    );
    // 1 MB: refused unread.
    let big = format!(r#"{{"holder":"a","nonce":"{}"}}"#, "x".repeat(1 << 20));
    let reply = relay
        .agent
        .post(&url)
        .set("Content-Type", "application/json")
        .send_bytes(big.as_bytes());
    match reply {
        Err(ureq::Error::Status(413, r)) => {
            let v: serde_json::Value = r.into_json().unwrap();
            assert_eq!(v["error"]["type"], "BadRequest");
        }
        // The relay may answer and close before the client has sent it all.
        Err(ureq::Error::Transport(_)) => {}
        other => panic!("1 MB body: {other:?}"),
    }
    // 100 MB announced and sent as fast as the relay takes it: it stops reading long before.
    let mut stream = TcpStream::connect(relay.base.trim_start_matches("http://")).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /v1/licenses/{}/leases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        reference(1),
        100 << 20
    )
    .unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 100 << 20 {
        match stream.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    assert!(sent < 100 << 20, "the relay read all of a 100 MB body");
    // Nothing of it was taken; the relay answers as before.
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"],
        0
    );
    assert_eq!(relay.claim(&reference(1), "a", "1").status, 201);
}

/// Sends `request` as it is and reads the whole answer: status and body.
fn raw_exchange(base: &str, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The relay may answer and close before it has read all of a large request.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn requests_hyper_cannot_parse_get_typed_answers_too() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    let relay = setup.start(&[]);
    let typed = |what: &str, (status, body): (u16, String), want: u16| {
        assert_eq!(status, want, "{what}: {body}");
        let v: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body:?}"));
        assert_eq!(v["error"]["type"], "BadRequest", "{what}: {body}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    };
    // Headers over the relay's 64 KiB buffer: hyper's own 431.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    typed(
        "large headers",
        raw_exchange(&relay.base, big.as_bytes()),
        431,
    );
    // Over hyper's 100 headers, small as they are: its 431 too.
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    typed(
        "150 headers",
        raw_exchange(&relay.base, many.as_bytes()),
        431,
    );
    // Not HTTP at all: hyper's own 400.
    typed(
        "garbage",
        raw_exchange(&relay.base, b"NOT\x01HTTP AT ALL\r\n\r\n"),
        400,
    );
    typed(
        "bad header",
        raw_exchange(&relay.base, b"GET /healthz HTTP/1.1\r\nHo st: x\r\n\r\n"),
        400,
    );
    // The router's own answers keep theirs, and the relay goes on answering.
    let (status, body) = raw_exchange(
        &relay.base,
        b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no such endpoint"), "{body}");
    assert_eq!(relay.claim(&reference(1), "a", "1").status, 201);
}

fn raise_own_nofile() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct owned here.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max.min(16_384);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

#[test]
fn two_thousand_half_sent_requests_neither_stop_other_clients_nor_stay_open() {
    raise_own_nofile();
    let setup = Setup::new(
        &[("a.lic", license_file(1, 1, all_day(100_000), None))],
        ms(T),
    );
    let relay = setup.start(&["--idle-timeout", "3"]);
    let address = relay.base.trim_start_matches("http://").to_string();
    // Half-sent requests: a request line and one header, then nothing.
    let mut slow = Vec::new();
    for _ in 0..2_000 {
        let mut s = TcpStream::connect(&address).expect("the relay accepts the connection");
        let _ = s.write_all(b"POST /v1/licenses/x/leases HTTP/1.1\r\nHost: x\r\n");
        slow.push(s);
    }
    // Meanwhile 64 clients claim and release; every one is answered.
    let latencies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..64)
        .map(|i| {
            let (base, latencies) = (relay.base.clone(), latencies.clone());
            std::thread::spawn(move || {
                let agent = agent();
                for op in 0..20 {
                    let started = Instant::now();
                    let r = send(
                        &agent,
                        "POST",
                        &format!("{base}/v1/licenses/{}/leases", reference(1)),
                        Some(json!({"holder": format!("h{i}"), "nonce": format!("{i}-{op}")})),
                    );
                    latencies.lock().unwrap().push(started.elapsed());
                    assert_eq!(r.status, 201, "{r:?}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    eprintln!(
        "with 2,000 half-sent requests open: {} claims, median {:?}, p99 {:?}",
        l.len(),
        l[l.len() / 2],
        l[l.len() * 99 / 100]
    );
    // The half-sent requests are closed by the relay (idle 3 s, headers 10 s), not left open.
    let deadline = Instant::now() + Duration::from_secs(60);
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 256];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        assert!(
            Instant::now() < deadline,
            "half-sent requests still open after 60 s"
        );
    }
}

#[test]
fn with_client_tokens_on_an_unauthenticated_claim_is_refused() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    std::fs::write(
        setup.path("tokens"),
        "# one per line\nsecret-token-of-floor-3\n",
    )
    .unwrap();
    let tokens = setup.path("tokens");
    let relay = setup.start(&["--client-tokens", tokens.to_str().unwrap()]);
    let url = format!("{}/v1/licenses/{}/leases", relay.base, reference(1));
    let claim = |auth: Option<&str>| {
        let mut r = relay.agent.post(&url);
        if let Some(a) = auth {
            r = r.set("Authorization", a);
        }
        match r.send_json(json!({"holder": "a", "nonce": "1"})) {
            Ok(r) => (r.status(), r.into_json::<serde_json::Value>().unwrap()),
            Err(ureq::Error::Status(s, r)) => (s, r.into_json().unwrap()),
            Err(e) => panic!("{e}"),
        }
    };
    let (status, body) = claim(None);
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (401, Some("Unauthorized"))
    );
    let (status, _) = claim(Some("Bearer secret-token-of-floor-4"));
    assert_eq!(status, 401);
    let (status, body) = claim(Some("Bearer secret-token-of-floor-3"));
    assert_eq!(status, 201, "{body}");
    // Health checks need no token.
    assert_eq!(relay.get("/healthz").status, 200);
}

#[test]
fn a_revision_that_lowers_seats_binds_existing_holders_within_one_ttl() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    let relay = setup.start(&["--ttl", "60"]);
    let license = reference(1);
    let mut leases = Vec::new();
    for i in 0..5 {
        setup.set_clock(ms(T) + i * 1_000);
        let r = relay.claim(&license, &format!("h{i}"), "1");
        assert_eq!(r.status, 201, "{r:?}");
        leases.push(r.lease()["id"].as_str().unwrap().to_string());
    }
    // Serial 2: two seats.
    std::fs::write(
        setup.path("licenses/a.lic"),
        license_file(1, 2, all_day(2), None),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while relay.get(&format!("/v1/licenses/{license}")).body["seats"] != 2 {
        assert!(Instant::now() < deadline, "serial 2 not served within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Every holder renews, again and again, for two TTLs.
    let mut seq = [0u64; 5];
    let mut kept = [true; 5];
    for step in 1..=8 {
        setup.set_clock(ms(T) + 5_000 + step * 15_000);
        for i in 0..5 {
            if !kept[i] {
                continue;
            }
            let r = relay.renew(&leases[i], seq[i] + 1);
            if r.status == 200 {
                seq[i] += 1;
            } else {
                assert_eq!(r.error(), "SeatsFull", "{r:?}");
                kept[i] = false;
            }
        }
        let in_use = relay.get(&format!("/v1/licenses/{license}")).body["in_use"]
            .as_u64()
            .unwrap();
        if step >= 5 {
            // More than one TTL (60 s) after the first renewal under serial 2.
            assert!(in_use <= 2, "{in_use} hold seats of 2 at step {step}");
        }
    }
    // The oldest two kept theirs; the newest three were refused.
    assert_eq!(kept, [true, true, false, false, false]);
    assert_eq!(relay.claim(&license, "late", "1").error(), "SeatsFull");
}

#[test]
fn one_relay_per_sqlite_file_and_a_busy_port_touches_no_storage() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(1), None))], ms(T));
    let first = setup.start(&[]);
    let second = setup
        .serve_command(&setup.storage, "127.0.0.1:0")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(
        said.contains("in use by another relay")
            && said.contains(&format!("process {}", first.child.id())),
        "{said}"
    );
    assert!(!said.contains("listening"), "{said}");
    // The same port as the first relay: refused before any storage is made.
    let port = first.base.rsplit(':').next().unwrap().to_string();
    let other = setup.path("other.sqlite");
    let busy = setup
        .serve_command(
            &format!("sqlite:{}", other.display()),
            &format!("localhost:{port}"),
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&busy.stderr);
    assert!(!busy.status.success(), "{said}");
    assert!(!said.contains("listening"), "{said}");
    assert!(
        !other.exists(),
        "a relay that cannot listen made its database"
    );
}

#[test]
fn sigterm_stops_gracefully_and_leaves_the_wal_empty() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(100), None))], ms(T));
    let relay = setup.start(&[]);
    for i in 0..50 {
        assert_eq!(
            relay.claim(&reference(1), &format!("h{i}"), "1").status,
            201
        );
    }
    let (status, said) = relay.terminate();
    assert!(status.success(), "{status:?}: {said}");
    assert!(said.contains("stopped"), "{said}");
    let wal = setup.path("relay.sqlite-wal");
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(size, 0, "the WAL was left with {size} bytes");
    // The leases stayed: a relay started again serves them.
    let again = setup.start(&[]);
    assert_eq!(
        again.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"],
        50
    );
}

#[test]
fn health_says_what_is_wrong_and_the_clock_reset_brings_service_back() {
    // A --trust that names the wrong key: nothing is served, and health says so.
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    std::fs::write(
        setup.path("other.pub.pem"),
        timefence_license::public_key_pem(&relay_key().verifying_key()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("licenses")).unwrap();
    std::fs::write(
        dir.path().join("licenses/a.lic"),
        license_file(1, 1, all_day(5), None),
    )
    .unwrap();
    let port = free_port();
    let mut lone = std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .arg("serve")
        .arg("--licenses")
        .arg(dir.path().join("licenses"))
        .arg("--trust")
        .arg(setup.path("other.pub.pem"))
        .arg("--key")
        .arg(setup.path("relay.key"))
        .arg("--storage")
        .arg(format!("sqlite:{}", dir.path().join("r.sqlite").display()))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let r = send(&a, "GET", &format!("{base}/healthz"), None);
        if r.status == 200 {
            break r;
        }
        assert!(Instant::now() < deadline, "no /healthz within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = lone.kill();
    let _ = lone.wait();
    assert_eq!(health.body["status"], "degraded", "{:?}", health.body);
    assert!(
        health.body["problems"]
            .to_string()
            .contains("NoLicensesServed"),
        "{:?}",
        health.body
    );

    // The clock: a decision at T + 1 day (a glitch), then the right time again.
    let relay = setup.start(&[]);
    assert_eq!(relay.get("/readyz").status, 200);
    setup.set_clock(ms(T) + 86_400_000);
    assert_eq!(relay.claim(&reference(1), "a", "1").status, 201);
    setup.set_clock(ms(T));
    assert_eq!(
        relay.claim(&reference(1), "b", "1").error(),
        "ClockRollback"
    );
    let ready = relay.get("/readyz");
    assert_eq!(ready.status, 503);
    assert!(ready.body["problems"].to_string().contains("ClockRollback"));
    assert_eq!(relay.get("/healthz").body["status"], "degraded");
    // `clock` shows the mark ahead; `clock --reset` lowers it, on the running relay's file.
    let clock = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
            .arg("clock")
            .arg("--storage")
            .arg(&setup.storage)
            .arg("--clock-file")
            .arg(setup.path("clock"))
            .args(args)
            .output()
            .unwrap()
    };
    let shown = clock(&[]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("ahead of the clock"), "{text}");
    let reset = clock(&["--reset"]);
    assert!(reset.status.success());
    let logged = String::from_utf8_lossy(&reset.stderr);
    assert!(
        logged.contains("clock reset") && logged.contains(&reference(1)),
        "{logged}"
    );
    assert_eq!(relay.claim(&reference(1), "b", "1").status, 201);
    assert_eq!(relay.get("/readyz").status, 200);
    let said = relay.stderr();
    assert!(said.contains("refusing with ClockRollback"), "{said}");
}

#[test]
fn a_sweep_at_a_glitching_clock_raises_no_mark() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    let relay = setup.start(&[]);
    assert_eq!(relay.claim(&reference(1), "a", "1").status, 201);
    // A forward glitch with nobody asking, until a sweep (every 5 s) has run at it: it
    // records the lease's end, which the glitch has passed.
    setup.set_clock(ms(T) + 86_400_000);
    let deadline = Instant::now() + Duration::from_secs(60);
    let expired = || -> i64 {
        open_db(&setup.path("relay.sqlite"))
            .query_row(
                "SELECT COUNT(*) FROM relay_events WHERE kind = 'expired'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    while expired() == 0 {
        assert!(Instant::now() < deadline, "no sweep within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    setup.set_clock(ms(T) + 1_000);
    let after = relay.claim(&reference(1), "b", "1");
    assert_eq!(after.status, 201, "the sweep raised the mark: {after:?}");
}

#[test]
fn with_a_client_ca_only_a_client_with_a_certificate_it_signed_gets_a_seat() {
    let setup = Setup::new(&[("a.lic", license_file(1, 1, all_day(5), None))], ms(T));
    let dir = setup.dir.path();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let self_signed = |name: &str, subject: &str, extra: &[&str]| {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout", &key, "-out", &pem, "-days", "2", "-subj", subject,
        ]);
        args.extend(extra);
        openssl(&args);
    };
    // The server's own certificate, and a CA for clients with one client it signed.
    self_signed(
        "server",
        "/CN=localhost",
        &[
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    self_signed("clients-ca", "/CN=clients CA", &[]);
    let mut request = vec!["req"];
    request.extend(ec);
    request.extend([
        "-keyout",
        "client.key",
        "-out",
        "client.csr",
        "-subj",
        "/CN=floor-3",
    ]);
    openssl(&request);
    // Version 3 with its extensions: rustls takes no version-1 certificate.
    std::fs::write(
        dir.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "clients-ca.pem",
        "-CAkey",
        "clients-ca.key",
        "-CAcreateserial",
        "-out",
        "client.pem",
        "-days",
        "2",
        "-extfile",
        "client.ext",
    ]);
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let port = free_port();
    let relay = setup
        .serve_command(&setup.storage, &format!("127.0.0.1:{port}"))
        .args([
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
        ])
        .args(["--client-ca", &path("clients-ca.pem")])
        .arg("--clock-file")
        .arg(setup.path("clock"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed however the test ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let relay = Kill(relay);
    let curl = |with_certificate: bool| {
        let mut c = std::process::Command::new("curl");
        c.args([
            "-s",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "--max-time",
            "5",
            "--cacert",
        ])
        .arg(path("server.pem"));
        if with_certificate {
            c.args(["--cert", &path("client.pem"), "--key", &path("client.key")]);
        }
        let out = c
            .args(["-X", "POST", "-H", "Content-Type: application/json"])
            .args(["-d", r#"{"holder":"floor-3","nonce":"1"}"#])
            .arg(format!(
                "https://127.0.0.1:{port}/v1/licenses/{}/leases",
                reference(1)
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let granted = loop {
        let answer = curl(true);
        if answer.ends_with("201") {
            break answer;
        }
        assert!(Instant::now() < deadline, "no answer within 30 s: {answer}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(granted.contains("\"secret\""), "{granted}");
    // Without a client certificate the handshake fails: no HTTP answer at all.
    assert!(
        curl(false).ends_with("000"),
        "a client without a certificate was answered"
    );
    drop(relay);
}
