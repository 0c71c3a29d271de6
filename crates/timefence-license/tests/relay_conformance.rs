//! The relay-trust vectors in `conformance/relay/`: a relay certificate, the vendor's
//! withdrawal list, license files and lease tokens, and what [`verify_lease`] must answer for
//! each. Written here with fixed keys; each step's answer is stated by hand below and checked
//! while the vector is made, so a vector records intent. Only Rust speaks to a relay (the
//! `relay-client` feature), so only Rust runs them.
//!
//! `TIMEFENCE_WRITE_VECTORS=1 cargo test -p timefence-license --test relay_conformance`
//! rewrites the files; otherwise the test fails when the committed files differ.

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::path::PathBuf;
use timefence_license::relay::{
    certify, read_certificate, read_withdrawals, sign_token, sign_withdrawals, verify_lease,
    CertificatePayload, LeaseClaims, TrustError, WithdrawalsPayload, WithdrawnCertificate,
};
use timefence_license::{key_id, public_key_base64, sign, verify, LicensePayload, TrustedKeys};
use timefence_terms::TermsSpec;

fn old_vendor() -> SigningKey {
    SigningKey::from_bytes(&[0x11; 32])
}
fn new_vendor() -> SigningKey {
    SigningKey::from_bytes(&[0x33; 32])
}
fn relay() -> SigningKey {
    SigningKey::from_bytes(&[0x44; 32])
}

const CUSTOMER_UID: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c1";
const OTHER_CUSTOMER_UID: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d2";
const UID_A: &str = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a1";
const UID_B: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b2";
const ISSUED: &str = "2027-01-01T00:00:00Z";

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/relay")
}

struct File {
    uid: &'static str,
    serial: i64,
    customer: &'static str,
    customer_uid: Option<&'static str>,
    signer: fn() -> SigningKey,
}

fn file(f: &File) -> String {
    let payload = LicensePayload {
        license_id: 7,
        uid: Some(f.uid.into()),
        revision: f.serial as u32,
        customer: f.customer.into(),
        customer_uid: f.customer_uid.map(str::to_string),
        name: "Conformance".into(),
        issued_at: "2026-11-01T00:00:00Z".into(),
        serial: f.serial,
        not_after: None,
        terms: TermsSpec {
            license_start_date: "2027-01-01".into(),
            license_end_date: "2027-12-31".into(),
            daily_start_time: "00:00".into(),
            daily_end_time: "24:00".into(),
            daily_time_consumption_limit: None,
            time_zone: "UTC".into(),
            weekdays: None,
            seats: 10,
            product: "Timefence demo".into(),
            features: Default::default(),
        },
    };
    sign(
        &payload,
        &(f.signer)(),
        &format!("{} / Conformance", f.customer),
    )
}

/// What a step must answer, stated by hand.
#[derive(Clone, Copy)]
enum Intent {
    Ok,
    Error(&'static str),
}

struct Step {
    file: usize,
    holder: &'static str,
    /// The token's holder, end and signer (the relay's key unless forged).
    token_holder: &'static str,
    token_ends: &'static str,
    forged: bool,
    now: &'static str,
    intent: Intent,
}

fn step(file: usize, now: &'static str, intent: Intent) -> Step {
    Step {
        file,
        holder: "agent-1",
        token_holder: "agent-1",
        token_ends: "2027-03-01T10:01:00Z",
        forged: false,
        now,
        intent,
    }
}

struct Case {
    name: &'static str,
    about: &'static str,
    trusted: Vec<SigningKey>,
    certificate: CertificatePayload,
    certificate_signer: fn() -> SigningKey,
    withdrawn: Option<Vec<WithdrawnCertificate>>,
    files: Vec<File>,
    steps: Vec<Step>,
}

fn certificate(licenses: &[&str], not_after: Option<&str>) -> CertificatePayload {
    CertificatePayload {
        relay_key: public_key_base64(&relay().verifying_key()),
        customer: "Acme BPO".into(),
        customer_uid: Some(CUSTOMER_UID.into()),
        licenses: licenses.iter().map(|l| l.to_string()).collect(),
        issued_at: ISSUED.into(),
        not_after: not_after.map(str::to_string),
    }
}

const NOW: &str = "2027-03-01T10:00:00Z";

fn acme(uid: &'static str, serial: i64, customer: &'static str) -> File {
    File {
        uid,
        serial,
        customer,
        customer_uid: Some(CUSTOMER_UID),
        signer: old_vendor,
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "renamed-customer",
            about: "The certificate was signed when the customer was called Acme BPO. After the rename, revision 2 names Acme BPO Holdings with the same customer uid: still covered. A file naming Acme BPO with another customer's uid is not.",
            trusted: vec![old_vendor()],
            certificate: certificate(&[], None),
            certificate_signer: old_vendor,
            withdrawn: None,
            files: vec![
                acme(UID_A, 1, "Acme BPO"),
                acme(UID_A, 2, "Acme BPO Holdings"),
                File {
                    customer_uid: Some(OTHER_CUSTOMER_UID),
                    ..acme(UID_B, 3, "Acme BPO")
                },
                File {
                    customer_uid: None,
                    ..acme(UID_B, 4, "Acme BPO")
                },
                File {
                    customer_uid: None,
                    ..acme(UID_B, 5, "Acme BPO Holdings")
                },
            ],
            steps: vec![
                step(0, NOW, Intent::Ok),
                step(1, NOW, Intent::Ok),
                step(2, NOW, Intent::Error("NotCovered")),
                // Files from before customer uids match by name, as they always did.
                step(3, NOW, Intent::Ok),
                step(4, NOW, Intent::Error("NotCovered")),
            ],
        },
        Case {
            name: "certificate-across-key-rotation",
            about: "The certificate was signed with the vendor's old key; files signed with the new key are covered while both keys are trusted.",
            trusted: vec![old_vendor(), new_vendor()],
            certificate: certificate(&[], None),
            certificate_signer: old_vendor,
            withdrawn: None,
            files: vec![
                acme(UID_A, 1, "Acme BPO"),
                File {
                    signer: new_vendor,
                    ..acme(UID_A, 2, "Acme BPO")
                },
            ],
            steps: vec![step(0, NOW, Intent::Ok), step(1, NOW, Intent::Ok)],
        },
        Case {
            name: "certificate-for-chosen-licenses",
            about: "A certificate that lists license A covers A's revisions and not license B.",
            trusted: vec![old_vendor()],
            certificate: certificate(&[UID_A], None),
            certificate_signer: old_vendor,
            withdrawn: None,
            files: vec![
                acme(UID_A, 1, "Acme BPO"),
                acme(UID_A, 2, "Acme BPO"),
                acme(UID_B, 3, "Acme BPO"),
            ],
            steps: vec![
                step(0, NOW, Intent::Ok),
                step(1, NOW, Intent::Ok),
                step(2, NOW, Intent::Error("NotCovered")),
            ],
        },
        Case {
            name: "certificate-ends",
            about: "A certificate ending 2027-03-01T10:00:30Z vouches for a lease until then and not after. The vendor's withdrawal list names an earlier certificate of the same relay key (another signing instant), which leaves this one alone.",
            trusted: vec![old_vendor()],
            certificate: certificate(&[], Some("2027-03-01T10:00:30Z")),
            certificate_signer: old_vendor,
            withdrawn: Some(vec![
                WithdrawnCertificate {
                    relay_key: public_key_base64(&relay().verifying_key()),
                    issued_at: "2026-06-01T00:00:00Z".into(),
                    withdrawn_at: "2026-07-01T00:00:00Z".into(),
                },
            ]),
            files: vec![acme(UID_A, 1, "Acme BPO")],
            steps: vec![
                step(0, "2027-03-01T10:00:30Z", Intent::Ok),
                step(0, "2027-03-01T10:00:31Z", Intent::Error("CertificateExpired")),
            ],
        },
        Case {
            name: "certificate-withdrawn",
            about: "The vendor's withdrawal list names this certificate: no lease under it is believed.",
            trusted: vec![old_vendor()],
            certificate: certificate(&[], None),
            certificate_signer: old_vendor,
            withdrawn: Some(vec![WithdrawnCertificate {
                relay_key: public_key_base64(&relay().verifying_key()),
                issued_at: ISSUED.into(),
                withdrawn_at: "2027-02-14T09:00:00Z".into(),
            }]),
            files: vec![acme(UID_A, 1, "Acme BPO")],
            steps: vec![step(0, NOW, Intent::Error("Withdrawn"))],
        },
        Case {
            name: "lease-token",
            about: "The token must be signed by the certified relay key, name this holder, and not have ended.",
            trusted: vec![old_vendor()],
            certificate: certificate(&[], None),
            certificate_signer: old_vendor,
            withdrawn: None,
            files: vec![acme(UID_A, 1, "Acme BPO")],
            steps: vec![
                step(0, NOW, Intent::Ok),
                Step {
                    holder: "agent-2",
                    ..step(0, NOW, Intent::Error("WrongLease"))
                },
                step(0, "2027-03-01T10:01:00Z", Intent::Error("Expired")),
                Step {
                    forged: true,
                    ..step(0, NOW, Intent::Error("BadSignature"))
                },
            ],
        },
    ]
}

fn ms(text: &str) -> i64 {
    timefence_terms::chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

/// What verifying a step answers: `{"ok": true, "seq": ...}` or `{"error": kind}`.
fn answer(
    trusted_keys: &[String],
    certificate: &str,
    withdrawals: Option<&str>,
    files: &[String],
    step: &Value,
) -> Value {
    let mut trusted = TrustedKeys::default();
    for key in trusted_keys {
        trusted.add_base64(key).unwrap();
    }
    let error = |e: TrustError| json!({ "error": e.kind() });
    let license = match verify(&files[step["file"].as_u64().unwrap() as usize], &trusted) {
        Ok(l) => l,
        Err(e) => return json!({ "error": format!("{e:?}") }),
    };
    let certificate = match read_certificate(certificate, &trusted) {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    if let Some(text) = withdrawals {
        match read_withdrawals(text, &trusted).and_then(|w| w.check(&certificate)) {
            Ok(()) => {}
            Err(e) => return error(e),
        }
    }
    match verify_lease(
        step["token"].as_str().unwrap(),
        &certificate,
        &license,
        step["holder"].as_str().unwrap(),
        step["now_ms"].as_i64().unwrap(),
    ) {
        Ok(claims) => json!({ "ok": true, "license": claims.license }),
        Err(e) => error(e),
    }
}

fn make(case: &Case) -> Value {
    let trusted: Vec<String> = case
        .trusted
        .iter()
        .map(|k| public_key_base64(&k.verifying_key()))
        .collect();
    let certificate = certify(&case.certificate, &(case.certificate_signer)());
    let withdrawals = case.withdrawn.as_ref().map(|w| {
        sign_withdrawals(
            &WithdrawalsPayload {
                issued_at: "2027-02-15T00:00:00Z".into(),
                withdrawn: w.clone(),
            },
            &old_vendor(),
        )
    });
    let files: Vec<String> = case.files.iter().map(file).collect();
    let mut steps = Vec::new();
    for s in &case.steps {
        let f = &case.files[s.file];
        let claims = LeaseClaims {
            lease: "lease-1".into(),
            license: format!("{}-{}", key_id(&(f.signer)().verifying_key()), f.uid),
            holder: s.token_holder.into(),
            seq: 1,
            expires_at_ms: ms(s.token_ends),
        };
        let token = sign_token(&claims, &if s.forged { old_vendor() } else { relay() });
        let mut value = json!({
            "file": s.file,
            "holder": s.holder,
            "token": token,
            "now": s.now,
            "now_ms": ms(s.now),
        });
        let got = answer(
            &trusted,
            &certificate,
            withdrawals.as_deref(),
            &files,
            &value,
        );
        let intended = match s.intent {
            Intent::Ok => json!({ "ok": true, "license": claims.license }),
            Intent::Error(kind) => json!({ "error": kind }),
        };
        assert_eq!(got, intended, "{}: step {value}", case.name);
        value["expect"] = got;
        steps.push(value);
    }
    json!({
        "name": case.name,
        "about": case.about,
        "trusted_keys": trusted,
        "certificate": certificate,
        "withdrawals": withdrawals,
        "files": files,
        "steps": steps,
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

#[test]
fn the_committed_relay_vectors_are_the_ones_this_code_makes_and_rust_passes_them() {
    let made: Vec<(String, String)> = cases()
        .iter()
        .map(|case| (format!("{}.json", case.name), pretty(&make(case))))
        .collect();
    if std::env::var_os("TIMEFENCE_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(folder()).unwrap();
        for entry in std::fs::read_dir(folder()).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, text) in &made {
            std::fs::write(folder().join(name), text).unwrap();
        }
    }
    let mut committed: Vec<String> = std::fs::read_dir(folder())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut names: Vec<String> = made.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    assert_eq!(committed, names, "conformance/relay holds other files than the cases; TIMEFENCE_WRITE_VECTORS=1 rewrites them");
    // Run what is committed, not what was just made: the files are the contract.
    let mut passed = 0;
    for (name, text) in &made {
        let on_disk = std::fs::read_to_string(folder().join(name)).unwrap();
        assert!(
            on_disk == *text,
            "conformance/relay/{name} differs from what this code makes; TIMEFENCE_WRITE_VECTORS=1 rewrites it"
        );
        let vector: Value = serde_json::from_str(&on_disk).unwrap();
        let strings = |key: &str| -> Vec<String> {
            vector[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        for step in vector["steps"].as_array().unwrap() {
            let got = answer(
                &strings("trusted_keys"),
                vector["certificate"].as_str().unwrap(),
                vector["withdrawals"].as_str(),
                &strings("files"),
                step,
            );
            assert_eq!(got, step["expect"], "{name}: {step}");
            passed += 1;
        }
    }
    assert!(passed >= 16, "only {passed} steps ran");
}
