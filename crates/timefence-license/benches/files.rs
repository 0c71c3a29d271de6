//! Sign-and-encode and verify-decode-evaluate per file, beside raw Ed25519 on the same bytes.

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use std::hint::black_box;
use timefence_license::{sign, verify, LicensePayload, TrustedKeys, DOMAIN};
use timefence_terms::{chrono::TimeDelta, evaluate};

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[9; 32]);
    let payload = LicensePayload::example();
    let mut message = DOMAIN.to_vec();
    message.extend(serde_json::to_vec(&payload).unwrap());
    let file = sign(&payload, &key, "bench");
    let mut trusted = TrustedKeys::default();
    trusted.add(key.verifying_key());
    let signature = key.sign(&message);
    let public = key.verifying_key();
    let at = "2024-06-12T03:00:00Z".parse().unwrap();

    c.bench_function("raw ed25519 sign of the payload bytes", |b| {
        b.iter(|| key.sign(black_box(&message)))
    });
    c.bench_function("sign and encode a license file", |b| {
        b.iter(|| sign(black_box(&payload), &key, "bench"))
    });
    c.bench_function("raw ed25519 verify of the payload bytes", |b| {
        b.iter(|| public.verify(black_box(&message), &signature).unwrap())
    });
    c.bench_function("verify, decode and evaluate a license file", |b| {
        b.iter(|| {
            let license = verify(black_box(&file), &trusted).unwrap();
            evaluate(&license.terms, at, TimeDelta::zero())
        })
    });
}

criterion_group!(files, benches);
criterion_main!(files);
