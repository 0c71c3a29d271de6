//! What the bindings pass in comes from another language, unchecked: any instant, any time
//! used, any ledger bytes. Each gets an answer or a typed error, never a panic.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use timefence_license::portable::{check, record_use};
use timefence_license::{sign, verify, LicensePayload, TrustedKeys, VerifiedLicense};

fn license() -> VerifiedLicense {
    let key = SigningKey::from_bytes(&[5; 32]);
    let mut payload = LicensePayload::example();
    payload.terms.daily_time_consumption_limit = Some("03:00".into());
    let mut trusted = TrustedKeys::default();
    trusted.add(key.verifying_key());
    verify(&sign(&payload, &key, "x"), &trusted).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_instant_time_used_and_ledger_get_an_answer_or_a_typed_error(
        now in prop_oneof![any::<i64>(), -8_000_000_000_000_000i64..8_000_000_000_000_000, 1_700_000_000i64..1_750_000_000],
        seconds in prop_oneof![any::<i64>(), -10i64..200_000],
        ledger in prop_oneof![Just(Vec::new()), proptest::collection::vec(any::<u8>(), 0..300)],
    ) {
        let license = license();
        let secret = [3u8; 32];
        match check(&license, now, &ledger, &secret) {
            Ok(_) => {}
            Err(e) => prop_assert!(["BadInstant", "LedgerTampered", "ClockRollback"].contains(&e.kind()), "{e:?}"),
        }
        match record_use(&license, now, seconds, &ledger, &secret) {
            Ok(next) => prop_assert!(!next.is_empty()),
            Err(e) => prop_assert!(["BadInstant", "LedgerTampered", "NoOpenWindow", "BadUse"].contains(&e.kind()), "{e:?}"),
        }
    }
}

fn license_in(zone: &str) -> VerifiedLicense {
    let key = SigningKey::from_bytes(&[5; 32]);
    let mut payload = LicensePayload::example();
    payload.terms.time_zone = zone.into();
    payload.terms.license_start_date = "1970-01-01".into();
    payload.terms.license_end_date = "2099-12-31".into();
    payload.terms.daily_start_time = "09:00".into();
    payload.terms.daily_end_time = "17:00".into();
    payload.terms.daily_time_consumption_limit = Some("03:00".into());
    payload.terms.weekdays = None;
    let mut trusted = TrustedKeys::default();
    trusted.add(key.verifying_key());
    verify(&sign(&payload, &key, "x"), &trusted).unwrap()
}

#[test]
fn every_instant_a_binding_accepts_in_any_zone_gets_a_verdict_or_bad_instant() {
    // 8210266876799 made the engine panic in a UTC+05:45 zone ("local time out of range");
    // 1_800_000_000_000 is a clock read in milliseconds.
    let refused = [
        i64::MIN,
        -1,
        4_133_980_800,
        1_800_000_000_000,
        8_210_266_876_799,
        253_402_300_799,
        i64::MAX,
    ];
    let accepted = [0, 1, 4_102_444_799, 4_133_980_799];
    let secret = [3u8; 32];
    for zone in [
        "UTC",
        "Asia/Kathmandu",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "America/St_Johns",
        "Australia/Lord_Howe",
    ] {
        let license = license_in(zone);
        for now in refused {
            let e = check(&license, now, &[], &secret).unwrap_err();
            assert_eq!(e.kind(), "BadInstant", "{zone} {now}");
            let e = record_use(&license, now, 60, &[], &secret).unwrap_err();
            assert_eq!(e.kind(), "BadInstant", "{zone} {now}");
        }
        for now in accepted {
            assert!(check(&license, now, &[], &secret).is_ok(), "{zone} {now}");
            match record_use(&license, now, 60, &[], &secret) {
                Ok(_) => {}
                Err(e) => assert_eq!(e.kind(), "NoOpenWindow", "{zone} {now}"),
            }
        }
    }
}

#[test]
fn a_clock_read_in_milliseconds_is_refused_and_leaves_the_clock_mark_alone() {
    let license = license_in("UTC");
    let secret = [3u8; 32];
    let (_, ledger) = check(&license, 1_800_000_000, &[], &secret).unwrap();
    let e = check(&license, 1_800_000_000_000, &ledger, &secret).unwrap_err();
    assert_eq!(e.kind(), "BadInstant");
    // The same ledger, at the right time a minute later: no ClockRollback.
    assert!(check(&license, 1_800_000_060, &ledger, &secret).is_ok());
}

#[test]
fn an_empty_ledger_has_seen_no_time() {
    let license = license_in("UTC");
    let secret = [3u8; 32];
    // The first instant there is: nothing was seen before it, so nothing went back.
    let (_, ledger) = check(&license, 0, &[], &secret).unwrap();
    assert!(check(&license, 10, &ledger, &secret).is_ok());
    // Before 1970 is not an instant the verifier handles, rather than a clock gone back from
    // a time an empty ledger never saw.
    assert_eq!(
        check(&license, -400, &[], &secret).unwrap_err().kind(),
        "BadInstant"
    );
}

#[test]
fn a_witness_carried_as_bytes_notices_a_ledger_lost_or_put_back() {
    use timefence_license::portable::{check_witnessed, record_use_witnessed};
    let license = license_in("UTC");
    let secret = [3u8; 32];
    let monday_9 = 1_803_891_600; // 2027-03-01T09:00:00Z
    let (_, ledger_1, witness_1) = check_witnessed(&license, monday_9, &[], &[], &secret).unwrap();
    assert!(!witness_1.is_empty());
    let (ledger_2, witness_2) = record_use_witnessed(
        &license,
        monday_9 + 60,
        3000,
        &ledger_1,
        &witness_1,
        &secret,
    )
    .unwrap();
    // Kept together, they go on.
    let (verdict, _, _) =
        check_witnessed(&license, monday_9 + 120, &ledger_2, &witness_2, &secret).unwrap();
    assert_eq!(verdict.remaining_seconds, Some(3 * 3600 - 3000));
    // The ledger put back from before the use (to get the hour back): refused.
    let e = check_witnessed(&license, monday_9 + 120, &[], &witness_2, &secret).unwrap_err();
    assert_eq!(e.kind(), "LedgerMissing");
    let (_, older_ledger, older_witness) =
        check_witnessed(&license, monday_9 + 100, &ledger_2, &witness_2, &secret).unwrap();
    let (_, newer_ledger, newer_witness) = check_witnessed(
        &license,
        monday_9 + 110,
        &older_ledger,
        &older_witness,
        &secret,
    )
    .unwrap();
    let _ = newer_ledger;
    let e =
        check_witnessed(&license, monday_9 + 120, &ledger_1, &newer_witness, &secret).unwrap_err();
    assert_eq!(e.kind(), "LedgerDisagrees");
    // The witness lost while the ledger counts its writes: refused.
    let e = check_witnessed(&license, monday_9 + 120, &ledger_2, &[], &secret).unwrap_err();
    assert_eq!(e.kind(), "WitnessMissing");
    // A tampered witness: refused.
    let mut bad = witness_2.clone();
    bad[2] ^= 1;
    let e = check_witnessed(&license, monday_9 + 120, &ledger_2, &bad, &secret).unwrap_err();
    assert_eq!(e.kind(), "LedgerTampered");
}
