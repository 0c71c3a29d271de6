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

/// A ledger in `dir` with its witness in `dir/elsewhere`, as a vendor application keeps them.
struct Places {
    _dir: tempfile::TempDir,
    ledger: std::path::PathBuf,
    witness: std::path::PathBuf,
}

fn places() -> Places {
    let dir = tempfile::tempdir().unwrap();
    Places {
        ledger: dir.path().join("usage.ledger"),
        witness: dir.path().join("elsewhere").join("ledger.witness"),
        _dir: dir,
    }
}

impl Places {
    fn open(&self) -> Result<Ledger, CheckError> {
        Ledger::open_witnessed(
            &self.ledger,
            &SECRET,
            Box::new(FileWitness(self.witness.clone())),
        )
    }

    /// Checks at 10:00 and records an hour, as one session of the application would.
    fn use_an_hour(&self, license: &VerifiedLicense) -> Result<(), CheckError> {
        let mut ledger = self.open()?;
        check(license, at("2024-06-12T10:00:00Z"), &mut ledger)?;
        ledger.record_use(
            license,
            NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
            TimeDelta::hours(1),
        )
    }

    fn copies(&self) -> (Vec<u8>, Vec<u8>) {
        (
            std::fs::read(&self.ledger).unwrap(),
            std::fs::read(&self.witness).unwrap(),
        )
    }
}

#[test]
fn a_deleted_ledger_is_refused_while_its_witness_is_kept() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    p.use_an_hour(&license).unwrap();
    std::fs::remove_file(&p.ledger).unwrap();
    assert!(
        matches!(p.open().unwrap_err(), CheckError::LedgerMissing { generation } if generation >= 2)
    );
}

#[test]
fn a_deleted_witness_is_refused_while_the_ledger_is_kept() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    p.use_an_hour(&license).unwrap();
    std::fs::remove_file(&p.witness).unwrap();
    assert!(matches!(
        p.open().unwrap_err(),
        CheckError::WitnessMissing { .. }
    ));
}

#[test]
fn an_older_copy_of_the_ledger_or_of_the_witness_is_refused() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    p.use_an_hour(&license).unwrap();
    let (old_ledger, old_witness) = p.copies();
    p.use_an_hour(&license).unwrap();
    p.use_an_hour(&license).unwrap();
    let (new_ledger, new_witness) = p.copies();

    // The sealed ledger of two sessions ago, put back: its hours would be forgotten.
    std::fs::write(&p.ledger, &old_ledger).unwrap();
    assert!(matches!(
        p.open().unwrap_err(),
        CheckError::LedgerDisagrees { ledger, witness } if ledger < witness
    ));
    // The witness put back instead.
    std::fs::write(&p.ledger, &new_ledger).unwrap();
    std::fs::write(&p.witness, &old_witness).unwrap();
    assert!(matches!(
        p.open().unwrap_err(),
        CheckError::LedgerDisagrees { ledger, witness } if ledger > witness
    ));
    // Both current again: the three hours stand and the limit is spent.
    std::fs::write(&p.witness, &new_witness).unwrap();
    let mut ledger = p.open().unwrap();
    assert!(matches!(
        check(&license, at("2024-06-12T13:00:00Z"), &mut ledger).unwrap(),
        Decision::Denied {
            reason: DenyReason::ConsumptionExhausted,
            ..
        }
    ));
}

#[test]
fn a_crash_between_the_ledger_and_its_witness_is_not_taken_for_tampering() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    p.use_an_hour(&license).unwrap();
    let (_, witness_before) = p.copies();
    // One more save, then the witness as it was before it: the ledger is one write ahead,
    // exactly what a crash after writing the ledger and before its witness leaves.
    let mut ledger = p.open().unwrap();
    check(&license, at("2024-06-12T11:00:00Z"), &mut ledger).unwrap();
    drop(ledger);
    std::fs::write(&p.witness, &witness_before).unwrap();
    p.open().expect("one write ahead is a crash, not a replay");
}

#[test]
fn a_clock_set_back_is_refused_after_reopening_a_witnessed_ledger() {
    let p = places();
    let license = licensed(1, None, None);
    let mut ledger = p.open().unwrap();
    check(&license, at("2024-06-12T15:00:00Z"), &mut ledger).unwrap();
    drop(ledger);
    let mut ledger = p.open().unwrap();
    assert!(matches!(
        check(&license, at("2024-06-12T10:00:00Z"), &mut ledger).unwrap_err(),
        CheckError::ClockRollback { .. }
    ));
}

#[test]
fn deleting_every_copy_starts_afresh_as_the_documentation_says_it_cannot_prevent() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    for _ in 0..3 {
        p.use_an_hour(&license).unwrap();
    }
    std::fs::remove_file(&p.ledger).unwrap();
    std::fs::remove_file(&p.witness).unwrap();
    let mut ledger = p.open().unwrap();
    assert_eq!(
        remaining(check(&license, at("2024-06-12T13:00:00Z"), &mut ledger).unwrap()),
        Some(TimeDelta::hours(3)),
        "a user who deletes every copy gets the day back: only a seat server prevents it"
    );
}

#[test]
fn a_ledger_made_before_witnesses_gets_one_and_keeps_its_hours() {
    let p = places();
    let license = licensed(1, Some("3h"), None);
    let mut plain = Ledger::open(&p.ledger, &SECRET).unwrap();
    plain
        .record_use(
            &license,
            NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
            TimeDelta::hours(2),
        )
        .unwrap();
    let mut ledger = p.open().unwrap();
    assert_eq!(
        remaining(check(&license, at("2024-06-12T10:00:00Z"), &mut ledger).unwrap()),
        Some(TimeDelta::hours(1))
    );
    assert!(p.witness.exists());
}

#[test]
fn after_a_key_rotation_the_new_key_s_revision_supersedes_the_old_key_s_file() {
    let (old, new) = (
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[7; 32]),
    );
    let mut trusted = TrustedKeys::default();
    trusted.add(old.verifying_key());
    trusted.add(new.verifying_key());
    let mut payload = LicensePayload::example();
    payload.uid = Some("0123456789abcdef0123456789abcdef".into());
    payload.terms.daily_start_time = "09:00".into();
    payload.terms.daily_end_time = "17:00".into();
    payload.terms.daily_time_consumption_limit = Some("3h".into());
    let revision_1 = verify(&sign(&payload, &old, "rev 1"), &trusted).unwrap();
    payload.serial += 1;
    let revision_2 = verify(&sign(&payload, &new, "rev 2"), &trusted).unwrap();
    assert_ne!(revision_1.key_id, revision_2.key_id);
    assert_eq!(revision_1.identity(), revision_2.identity());
    let mut ledger = Ledger::from_bytes(&[], &SECRET).unwrap();
    let nine = at("2024-06-12T09:00:00Z");
    check(&revision_1, nine, &mut ledger).unwrap();
    ledger
        .record_use_at(&revision_1, nine, TimeDelta::hours(1))
        .unwrap();
    // The new key's revision counts the hour the old key's file used, and once it has been
    // used, the old key's file is superseded.
    let decision = check(&revision_2, at("2024-06-12T10:00:00Z"), &mut ledger).unwrap();
    assert_eq!(remaining(decision), Some(TimeDelta::hours(2)));
    let e = check(&revision_1, at("2024-06-12T10:01:00Z"), &mut ledger).unwrap_err();
    assert_eq!(e.kind(), "Superseded");
}
