//! End to end: the example vendor application holds the one seat of a one-seat license on a
//! running relay; a second copy is refused with SeatsFull; an uncertified relay is not
//! believed.

mod common;
use common::*;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use timefence_license::public_key_base64;
use timefence_license::relay::{certify, CertificatePayload};

fn vendor_app() -> PathBuf {
    // Cargo builds examples with the tests; the example sits beside the relay binary.
    let relay = PathBuf::from(env!("CARGO_BIN_EXE_timefence-relay"));
    let path = relay.parent().unwrap().join("examples/vendor-app");
    assert!(path.exists(), "{} was not built", path.display());
    path
}

fn certificate(setup: &Setup, customer: &str, relay: &ed25519_dalek::SigningKey) -> PathBuf {
    let text = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay.verifying_key()),
            customer: customer.into(),
            customer_uid: None,
            licenses: vec![],
            issued_at: "2027-01-01T00:00:00Z".into(),
            not_after: None,
        },
        &vendor(),
    );
    let path = setup.path(&format!("{customer}.cert"));
    std::fs::write(&path, text).unwrap();
    path
}

fn app(setup: &Setup, relay: &RelayProcess, cert: &PathBuf, holder: &str, work: u32) -> Command {
    let mut c = Command::new(vendor_app());
    c.args(["--relay", &relay.base])
        .arg("--license")
        .arg(setup.path("licenses/one.lic"))
        .arg("--certificate")
        .arg(cert)
        .arg("--trust")
        .arg(setup.path("vendor.pub.pem"))
        .args(["--holder", holder, "--work-seconds", &work.to_string()]);
    c
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[test]
fn the_vendor_app_holds_the_one_seat_and_a_second_copy_is_refused() {
    let file = license_file(
        1,
        1,
        terms("2020-01-01", "2099-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = Setup::new(&[("one.lic", file)], now_ms());
    let relay = setup.start(&[]);
    let cert = certificate(&setup, "Acme BPO", &relay_key());

    let mut first = app(&setup, &relay, &cert, "agent-1", 3)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let held = lines.next().unwrap().unwrap();
    assert!(held.starts_with("seat held: lease"), "{held}");
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"],
        1
    );

    let second = app(&setup, &relay, &cert, "agent-2", 1).output().unwrap();
    let said = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(3), "{said}");
    assert!(
        said.contains("refused: SeatsFull") && said.contains("\"in_use\":1,\"seats\":1"),
        "{said}"
    );

    assert!(first.wait().unwrap().success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("done; seat released"),
        "{rest:?}"
    );
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"],
        0,
        "released on drop"
    );

    // A certificate for another customer: the app will not use this relay for the license.
    let other = certificate(&setup, "Someone Else", &relay_key());
    let refused = app(&setup, &relay, &other, "agent-3", 1).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("NotCovered"));
}

#[test]
fn a_relay_whose_certificate_the_vendor_withdrew_is_not_believed_by_an_app_given_the_list() {
    use timefence_license::relay::{sign_withdrawals, WithdrawalsPayload, WithdrawnCertificate};
    let file = license_file(
        1,
        1,
        terms("2020-01-01", "2099-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = Setup::new(&[("one.lic", file)], now_ms());
    let relay = setup.start(&[]);
    let cert = certificate(&setup, "Acme BPO", &relay_key());
    let list = |withdrawn: Vec<WithdrawnCertificate>, signer: &ed25519_dalek::SigningKey| {
        let path = setup.path(&format!("withdrawn-{}.tfw", withdrawn.len()));
        let payload = WithdrawalsPayload {
            issued_at: "2027-02-01T00:00:00Z".into(),
            withdrawn,
        };
        std::fs::write(&path, sign_withdrawals(&payload, signer)).unwrap();
        path
    };
    let with_list = |path: &PathBuf| {
        let mut c = app(&setup, &relay, &cert, "agent-1", 0);
        c.arg("--withdrawals").arg(path);
        c.output().unwrap()
    };
    // A list that names another certificate of the same relay key: this one still holds.
    let other = list(
        vec![WithdrawnCertificate {
            relay_key: public_key_base64(&relay_key().verifying_key()),
            issued_at: "2026-06-01T00:00:00Z".into(),
            withdrawn_at: "2026-07-01T00:00:00Z".into(),
        }],
        &vendor(),
    );
    let out = with_list(&other);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A list that names it: the app uses no seat of that relay.
    let this = list(
        vec![
            WithdrawnCertificate {
                relay_key: public_key_base64(&relay_key().verifying_key()),
                issued_at: "2026-06-01T00:00:00Z".into(),
                withdrawn_at: "2026-07-01T00:00:00Z".into(),
            },
            WithdrawnCertificate {
                relay_key: public_key_base64(&relay_key().verifying_key()),
                issued_at: "2027-01-01T00:00:00Z".into(),
                withdrawn_at: "2027-01-20T09:00:00Z".into(),
            },
        ],
        &vendor(),
    );
    let out = with_list(&this);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Withdrawn") && said.contains("2027-01-20T09:00:00Z"),
        "{said}"
    );
    assert_eq!(
        relay.get(&format!("/v1/licenses/{}", reference(1))).body["in_use"],
        0,
        "no seat was claimed"
    );
    // A list signed by someone else is no list at all.
    let forged = setup.path("forged.tfw");
    std::fs::write(
        &forged,
        std::fs::read_to_string(list(
            vec![],
            &ed25519_dalek::SigningKey::from_bytes(&[98; 32]),
        ))
        .unwrap(),
    )
    .unwrap();
    let out = with_list(&forged);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UnknownVendorKey"));
}

#[test]
fn a_relay_with_an_uncertified_key_is_not_believed() {
    let file = license_file(
        1,
        1,
        terms("2020-01-01", "2099-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = Setup::new(&[("one.lic", file)], now_ms());
    // The relay signs with a key of its own choosing; the certificate names the real one.
    let impostor = ed25519_dalek::SigningKey::from_bytes(&[99; 32]);
    std::fs::write(
        setup.path("relay.key"),
        impostor
            .to_pkcs8_pem(Default::default())
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let relay = setup.start(&[]);
    let cert = certificate(&setup, "Acme BPO", &relay_key());
    let out = app(&setup, &relay, &cert, "agent-1", 1).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BadSignature"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_seat_is_renewed_in_the_background_while_the_app_works() {
    let file = license_file(
        1,
        1,
        terms("2020-01-01", "2099-12-31", "00:00", "24:00", "UTC", 1, None),
        None,
    );
    let setup = std::sync::Arc::new(Setup::new(&[("one.lic", file)], now_ms()));
    // The relay's clock follows the real one here, so one-second leases really end.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = {
        let (setup, done) = (setup.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                setup.set_clock(now_ms());
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let relay = setup.start(&["--ttl", "1"]);
    let cert = certificate(&setup, "Acme BPO", &relay_key());
    let out = app(&setup, &relay, &cert, "agent-1", 3).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.ends_with("done; seat released\n"), "{said}");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    ticker.join().unwrap();
    drop(relay);
    let renewals: i64 = open_db(&setup.path("relay.sqlite"))
        .query_row(
            "SELECT COUNT(*) FROM relay_events WHERE kind = 'renewed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        renewals >= 4,
        "only {renewals} renewals in 3 s of one-second leases"
    );
}
