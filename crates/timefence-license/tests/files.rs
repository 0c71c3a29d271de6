//! Signed files: round trips, every single-bit tampering, key rotation, and OpenSSL.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use std::process::Command;
use timefence_license::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn trusting(keys: &[&SigningKey]) -> TrustedKeys {
    let mut trusted = TrustedKeys::default();
    for k in keys {
        trusted.add(k.verifying_key());
    }
    trusted
}

#[test]
fn a_signed_file_is_armored_commented_and_verifies() {
    let k = key(1);
    let file = sign(&LicensePayload::example(), &k, "Northwind BPO / L1 India");
    assert!(file.starts_with(
        "-----BEGIN TIMEFENCE LICENSE-----\n# Northwind BPO / L1 India\n# 00:00-08:00 UTC"
    ));
    assert!(
        file.lines().all(|l| l.len() <= 1200 && l.is_ascii()),
        "safe to paste into an e-mail"
    );
    let verified = verify(&file, &trusting(&[&k])).unwrap();
    assert_eq!(verified.terms.seats, 100);
    assert_eq!(verified.key_id.len(), 16);
}

#[test]
fn the_unsigned_comment_can_change_without_breaking_the_signature() {
    let k = key(1);
    let file = sign(&LicensePayload::example(), &k, "original comment");
    let edited = file.replace(
        "# original comment",
        "# someone wrote a different note here",
    );
    assert!(verify(&edited, &trusting(&[&k])).is_ok());
}

#[test]
fn flipping_any_single_bit_of_the_signed_part_is_rejected_and_nothing_panics() {
    let k = key(2);
    let file = sign(&LicensePayload::example(), &k, "bit flips");
    let trusted = trusting(&[&k]);
    let bytes = file.as_bytes();
    // The comment lines are unsigned by design; everything from the first field on is signed.
    let signed_from = file.find("version:").unwrap();
    let (mut rejected, mut harmless, mut total) = (0usize, 0usize, 0usize);
    for i in signed_from..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[i] ^= 1 << bit;
            total += 1;
            // A flip that breaks UTF-8 cannot even be read as a license file.
            let Ok(text) = String::from_utf8(flipped) else {
                rejected += 1;
                continue;
            };
            let result = verify(&text, &trusted);
            // Whitespace around values and at the end is not part of any field.
            let only_whitespace = text.trim_end() == file.trim_end()
                || text.replace([' ', '\t', '\r'], "") == file.replace([' ', '\t', '\r'], "");
            if only_whitespace {
                harmless += 1;
            } else {
                assert!(result.is_err(), "byte {i} bit {bit} was accepted");
                rejected += 1;
            }
        }
    }
    assert_eq!(
        total,
        (bytes.len() - signed_from) * 8,
        "every bit of the signed part was flipped"
    );
    eprintln!(
        "{rejected} of {total} single-bit flips rejected; {harmless} only changed whitespace"
    );
    assert_eq!(rejected + harmless, total);
    assert!(harmless < 10, "{harmless} flips were whitespace-only");
}

#[test]
fn a_tampered_payload_is_a_signature_mismatch() {
    let k = key(3);
    let mut payload = LicensePayload::example();
    let file = sign(&payload, &k, "x");
    payload.terms.seats = 1000;
    let forged_payload = base64_payload(&payload);
    let original_line = file.lines().find(|l| l.starts_with("payload: ")).unwrap();
    let forged = file.replace(original_line, &format!("payload: {forged_payload}"));
    assert_eq!(
        verify(&forged, &trusting(&[&k])).unwrap_err(),
        VerifyError::BadSignature
    );
    assert_eq!(
        VerifyError::BadSignature.to_string(),
        "signature does not match: the file was changed or signed with another key"
    );
}

fn base64_payload(payload: &LicensePayload) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(payload).unwrap())
}

#[test]
fn a_retired_but_trusted_key_still_verifies_and_an_untrusted_one_is_unknown() {
    let (old, new, stranger) = (key(4), key(5), key(6));
    let trusted = trusting(&[&old, &new]);
    assert!(verify(&sign(&LicensePayload::example(), &old, "old"), &trusted).is_ok());
    assert!(verify(&sign(&LicensePayload::example(), &new, "new"), &trusted).is_ok());
    let err = verify(&sign(&LicensePayload::example(), &stranger, "?"), &trusted).unwrap_err();
    assert_eq!(
        err,
        VerifyError::UnknownKey(key_id(&stranger.verifying_key()))
    );
}

#[test]
fn unknown_versions_algorithms_and_garbage_are_refused_with_their_reason() {
    let k = key(7);
    let trusted = trusting(&[&k]);
    let file = sign(&LicensePayload::example(), &k, "x");
    assert_eq!(
        verify(&file.replace("version: 1", "version: 2"), &trusted).unwrap_err(),
        VerifyError::UnsupportedVersion("2".into())
    );
    assert_eq!(
        verify(
            &file.replace("algorithm: ed25519", "algorithm: rsa"),
            &trusted
        )
        .unwrap_err(),
        VerifyError::UnsupportedAlgorithm("rsa".into())
    );
    assert_eq!(
        verify("hello", &trusted).unwrap_err(),
        VerifyError::BadArmor
    );
    assert_eq!(verify("", &trusted).unwrap_err(), VerifyError::BadArmor);
    let without_sig: String = file
        .lines()
        .filter(|l| !l.starts_with("signature"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        verify(&without_sig, &trusted).unwrap_err(),
        VerifyError::MissingField("signature")
    );
}

#[test]
fn openssl_verifies_a_file_from_the_exported_pem_public_key() {
    let k = key(8);
    let file = sign(&LicensePayload::example(), &k, "openssl");
    let dir = std::env::temp_dir().join(format!("timefence-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (message, signature) = signed_message_and_signature(&file).unwrap();
    std::fs::write(dir.join("pub.pem"), public_key_pem(&k.verifying_key())).unwrap();
    std::fs::write(dir.join("msg"), &message).unwrap();
    std::fs::write(dir.join("sig"), &signature).unwrap();
    let run = |msg: &str| {
        Command::new("openssl")
            .args([
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", msg,
                "-sigfile", "sig",
            ])
            .current_dir(&dir)
            .output()
            .expect("the openssl binary (scripts/setup installs it)")
    };
    let good = run("msg");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
    let mut tampered = message.clone();
    *tampered.last_mut().unwrap() ^= 1;
    std::fs::write(dir.join("bad"), &tampered).unwrap();
    assert!(
        !run("bad").status.success(),
        "openssl must refuse a changed message"
    );
    std::fs::remove_dir_all(&dir).ok();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips_for_random_terms(
        seed in any::<u8>(),
        start in 0u32..96,
        length in 1u32..=96,
        seats in 1i64..100_000,
        limit in proptest::option::of(1u32..=96),
        serial in 1i64..1_000_000,
        customer in "[A-Za-z0-9 ]{1,30}",
    ) {
        let hm = |q: u32| format!("{:02}:{:02}", q / 4 % 24, q % 4 * 15);
        let mut payload = LicensePayload::example();
        payload.customer = customer;
        payload.serial = serial;
        payload.terms.daily_start_time = hm(start);
        payload.terms.daily_end_time = hm(start + length);
        payload.terms.daily_time_consumption_limit = limit.map(|l| format!("{}m", l.min(length) * 15));
        payload.terms.seats = seats;
        let k = key(seed);
        let verified = verify(&sign(&payload, &k, "round trip"), &trusting(&[&k])).unwrap();
        prop_assert_eq!(verified.payload, payload);
    }
}
