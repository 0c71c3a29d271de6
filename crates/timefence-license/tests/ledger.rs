//! Enforcement: consumption across restarts, a sealed ledger, rolled-back clocks, newer serials.

use ed25519_dalek::SigningKey;
use timefence_license::*;
use timefence_terms::chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use timefence_terms::{Decision, DenyReason};

const SECRET: [u8; 32] = [42; 32];

fn licensed(serial: i64, limit: Option<&str>, not_after: Option<&str>) -> VerifiedLicense {
    let key = SigningKey::from_bytes(&[1; 32]);
    let mut payload = LicensePayload::example();
    payload.serial = serial;
    payload.terms.daily_start_time = "09:00".into();
    payload.terms.daily_end_time = "17:00".into();
    payload.terms.daily_time_consumption_limit = limit.map(Into::into);
    payload.not_after = not_after.map(Into::into);
    let mut trusted = TrustedKeys::default();
    trusted.add(key.verifying_key());
    verify(&sign(&payload, &key, "ledger"), &trusted).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn remaining(decision: Decision) -> Option<TimeDelta> {
    match decision {
        Decision::Allowed { remaining, .. } => remaining,
        denied => panic!("{denied:?}"),
    }
}

#[test]
fn consumption_adds_up_across_restarts_until_the_daily_limit_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.ledger");
    let license = licensed(1, Some("3h"), None);
    let day = NaiveDate::from_ymd_opt(2024, 6, 12).unwrap();
    {
        let mut ledger = Ledger::open(&path, &SECRET).unwrap();
        assert_eq!(
            remaining(check(&license, at("2024-06-12T09:00:00Z"), &mut ledger).unwrap()),
            Some(TimeDelta::hours(3))
        );
        ledger
            .record_use(&license, day, TimeDelta::hours(2))
            .unwrap();
    }
    let mut ledger = Ledger::open(&path, &SECRET).unwrap();
    assert_eq!(
        remaining(check(&license, at("2024-06-12T11:00:00Z"), &mut ledger).unwrap()),
        Some(TimeDelta::hours(1))
    );
    ledger
        .record_use(&license, day, TimeDelta::hours(1))
        .unwrap();
    let spent = check(
        &license,
        at("2024-06-12T12:00:00Z"),
        &mut Ledger::open(&path, &SECRET).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        spent,
        Decision::Denied {
            reason: DenyReason::ConsumptionExhausted,
            ..
        }
    ));
    // The next day starts afresh.
    assert_eq!(
        remaining(check(&license, at("2024-06-13T09:30:00Z"), &mut ledger).unwrap()),
        Some(TimeDelta::hours(3))
    );
}

#[test]
fn an_edited_ledger_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.ledger");
    let license = licensed(1, Some("3h"), None);
    let mut ledger = Ledger::open(&path, &SECRET).unwrap();
    ledger
        .record_use(
            &license,
            NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
            TimeDelta::hours(3),
        )
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("10800", "0")).unwrap();
    assert_eq!(
        Ledger::open(&path, &SECRET).unwrap_err(),
        CheckError::LedgerTampered
    );
    std::fs::write(&path, &text).unwrap();
    assert!(
        Ledger::open(&path, &[7; 32]).is_err(),
        "another installation's secret does not open it"
    );
    assert!(Ledger::open(&path, &SECRET).is_ok());
}

#[test]
fn a_clock_rolled_back_beyond_the_tolerance_is_refused_until_it_is_right_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("l"), &SECRET).unwrap();
    let license = licensed(1, None, None);
    check(&license, at("2024-06-12T15:00:00Z"), &mut ledger).unwrap();
    assert!(
        check(&license, at("2024-06-12T14:56:00Z"), &mut ledger).is_ok(),
        "within the tolerance"
    );
    let err = check(&license, at("2024-06-12T10:00:00Z"), &mut ledger).unwrap_err();
    assert!(matches!(err, CheckError::ClockRollback { .. }), "{err:?}");
    assert!(check(&license, at("2024-06-12T15:01:00Z"), &mut ledger).is_ok());
}

#[test]
fn a_newer_serial_supersedes_older_files_and_a_file_expires_at_its_not_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("l"), &SECRET).unwrap();
    check(
        &licensed(5, None, None),
        at("2024-06-12T10:00:00Z"),
        &mut ledger,
    )
    .unwrap();
    assert_eq!(
        check(
            &licensed(4, None, None),
            at("2024-06-12T10:01:00Z"),
            &mut ledger
        )
        .unwrap_err(),
        CheckError::Superseded {
            serial: 4,
            newer: 5
        }
    );
    let expiring = licensed(6, None, Some("2024-06-12T12:00:00Z"));
    assert!(check(&expiring, at("2024-06-12T11:00:00Z"), &mut ledger).is_ok());
    assert!(matches!(
        check(&expiring, at("2024-06-12T12:00:01Z"), &mut ledger),
        Err(CheckError::FileExpired(_))
    ));
}
