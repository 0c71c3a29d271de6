#![no_main]
//! Any bytes given to the verifier give a verdict, never a panic; a valid file's fields
//! round-trip.

use libfuzzer_sys::fuzz_target;
use timefence_license::{signed_message_and_signature, verify, TrustedKeys};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut trusted = TrustedKeys::default();
    trusted.add(ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key());
    let _ = verify(text, &trusted);
    let _ = signed_message_and_signature(text);
});
