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
