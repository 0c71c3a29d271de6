//! The seat client (`timefence_license::client`) against real relay processes: a relay whose
//! clock is a day off the client's, several relay addresses, a token the client rejects, and a
//! relay whose clock went back while a seat is held.

mod common;
use common::*;
use std::time::{Duration, Instant};
use timefence_license::client::RelayClient;
use timefence_license::relay::{certify, read_certificate, CertificatePayload, RelayCertificate};
use timefence_license::{public_key_base64, verify, TrustedKeys, VerifiedLicense};

fn trusted() -> TrustedKeys {
    let mut t = TrustedKeys::default();
    t.add(vendor().verifying_key());
    t
}

fn parts(setup: &Setup, relay: &ed25519_dalek::SigningKey) -> (VerifiedLicense, RelayCertificate) {
    let text = std::fs::read_to_string(setup.path("licenses/a.lic")).unwrap();
    let license = verify(&text, &trusted()).unwrap();
    let certificate = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay.verifying_key()),
            customer: "Acme BPO".into(),
            customer_uid: None,
            licenses: vec![],
            issued_at: "2027-01-01T00:00:00Z".into(),
            not_after: None,
        },
        &vendor(),
    );
    (license, read_certificate(&certificate, &trusted()).unwrap())
}

fn setup_at(now: i64, seats: u32) -> Setup {
    let spec = terms(
        "2020-01-01",
        "2099-12-31",
        "00:00",
        "24:00",
        "UTC",
        seats,
        None,
    );
    Setup::new(&[("a.lic", license_file(1, 1, spec, None))], now)
}

fn in_use(relay: &RelayProcess) -> u64 {
    relay.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"]
        .as_u64()
        .unwrap()
}

fn day_ms() -> i64 {
    86_400_000
}

#[test]
fn a_relay_a_day_behind_the_clients_clock_still_gives_a_seat_held_by_the_monotonic_clock() {
    // The relay's clock reads a day before this machine's: a client judging by its own wall
    // clock would take every token for expired.
    let setup = setup_at(chrono::Utc::now().timestamp_millis() - day_ms(), 2);
    let relay = setup.start(&["--ttl", "60"]);
    let (license, certificate) = parts(&setup, &relay_key());
    let client = RelayClient::new(&relay.base, license, certificate, "agent-1").unwrap();
    let seat = client.claim().expect("a seat");
    assert!(seat.is_held());
    let left = seat.time_left();
    assert!(
        left <= Duration::from_secs(60) && left > Duration::from_secs(30),
        "{left:?}"
    );
    assert_eq!(in_use(&relay), 1);
    drop(seat);
    assert_eq!(in_use(&relay), 0, "released on drop");
}

#[test]
fn a_client_given_several_relays_passes_over_one_that_does_not_answer() {
    let setup = setup_at(chrono::Utc::now().timestamp_millis(), 2);
    let relay = setup.start(&[]);
    let dead = format!("http://127.0.0.1:{}", free_port());
    let (license, certificate) = parts(&setup, &relay_key());
    let client =
        RelayClient::with_relays(&[&dead, &relay.base], license, certificate, "agent-1").unwrap();
    let seat = client.claim().expect("a seat from the second relay");
    assert!(seat.is_held());
    assert_eq!(in_use(&relay), 1);
}

#[test]
fn a_lease_whose_token_the_client_rejects_is_released_at_once() {
    let setup = setup_at(chrono::Utc::now().timestamp_millis(), 1);
    let relay = setup.start(&[]);
    // The certificate names another relay key than the one this relay signs with.
    let other = ed25519_dalek::SigningKey::from_bytes(&[33; 32]);
    let (license, certificate) = parts(&setup, &other);
    let client = RelayClient::new(&relay.base, license, certificate, "agent-1").unwrap();
    for _ in 0..3 {
        let refused = client.claim().err().expect("the token is not believed");
        assert_eq!(refused.kind(), "BadSignature", "{refused}");
        assert_eq!(in_use(&relay), 0, "a rejected lease kept the one seat");
    }
}

#[test]
fn a_relay_clock_gone_back_is_the_relays_trouble_until_the_time_granted_runs_out() {
    let now = chrono::Utc::now().timestamp_millis();
    let setup = setup_at(now, 1);
    let relay = setup.start(&["--ttl", "4"]);
    let (license, certificate) = parts(&setup, &relay_key());
    let client = RelayClient::new(&relay.base, license, certificate, "agent-1").unwrap();
    let seat = client.claim().expect("a seat");
    setup.set_clock(now - 60_000);
    // Renewals now meet ClockRollback: the seat is held for the time already granted, and the
    // trouble is the relay's (seen while the seat is still held, unless this machine is so
    // slow that the first renewal came after the 4 s ran out).
    let deadline = Instant::now() + Duration::from_secs(30);
    while seat.is_held() && seat.relay_trouble().is_none() {
        assert!(Instant::now() < deadline, "no renewal met the clock");
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Some(trouble) = seat.relay_trouble() {
        assert_eq!(trouble.kind(), "ClockRollback");
    }
    while seat.is_held() {
        assert!(Instant::now() < deadline, "the seat outlived its time");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seat.lease().unwrap_err().kind(), "ClockRollback");
}

#[test]
fn a_lease_that_cannot_run_past_the_close_is_not_renewed_after_it() {
    // 2 s before the window's close: the lease is capped there, and a renewal cannot move it.
    let close = ms("2027-03-01T08:00:00Z");
    let spec = terms("2027-01-01", "2027-12-31", "00:00", "08:00", "UTC", 1, None);
    let setup = Setup::new(&[("a.lic", license_file(1, 1, spec, None))], close - 2_000);
    let relay = setup.start(&["--ttl", "60"]);
    let (license, certificate) = parts(&setup, &relay_key());
    let client = RelayClient::new(&relay.base, license, certificate, "agent-1").unwrap();
    let seat = client.claim().expect("a seat");
    // The relay's clock stands still; the seat ends by this machine's clock, after the 2 s the
    // relay gave, because the client stops renewing a lease that cannot grow.
    let deadline = Instant::now() + Duration::from_secs(30);
    while seat.is_held() {
        assert!(
            Instant::now() < deadline,
            "the client kept renewing a capped lease"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seat.lease().unwrap_err().kind(), "Expired");
    // After the close nothing comes: no refusal is counted for this license.
    setup.set_clock(close + 5_000);
    std::thread::sleep(Duration::from_millis(500));
    let refusals: i64 = open_db(&setup.path("relay.sqlite"))
        .query_row(
            "SELECT COALESCE(SUM(count), 0) FROM relay_refusals",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refusals, 0);
}
