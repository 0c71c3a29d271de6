//! # timefence-license: signed license files and the offline verifier
//!
//! A Timefence license file is text, safe to paste into an e-mail:
//!
//! ```text
//! -----BEGIN TIMEFENCE LICENSE-----
//! # Northwind BPO / L1 India, revision 1, serial 3
//! # 00:00-08:00 UTC, every day, 2024-01-01 to 2024-12-31, 100 seats
//! # Lines starting with # are a comment for people and are not signed.
//! version: 1
//! key: 3f2a9c1b0d4e5f67
//! algorithm: ed25519
//! payload: eyJsaWNlbnNlX2lkIjo...
//! signature: 7aG0...
//! -----END TIMEFENCE LICENSE-----
//! ```
//!
//! The payload is JSON ([`LicensePayload`]: the engine's terms plus license id, revision,
//! customer, issue time, serial and an optional not-after), encoded once, and base64 of exactly
//! the bytes that were signed. The signature is Ed25519 over [`DOMAIN`] followed by those bytes,
//! so a signature made for anything else can never pass as a license. The key id is the first
//! eight bytes of the SHA-256 of the public key, in hex, so a verifier can trust several keys
//! at once and keys can rotate.
//!
//! [`verify`] checks the armor, the version, the algorithm and the key, then the signature,
//! and only then parses the payload. It needs no Timefence, no SQLite and no network.
//!
//! ```
//! use timefence_license::{sign, verify, key_id, LicensePayload, TrustedKeys};
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let payload = LicensePayload::example();
//! let file = sign(&payload, &key, "Northwind BPO / L1 India");
//! let mut trusted = TrustedKeys::default();
//! trusted.add(key.verifying_key());
//! let license = verify(&file, &trusted).unwrap();
//! assert_eq!(license.payload, payload);
//! assert_eq!(license.key_id, key_id(&key.verifying_key()));
//! ```
#![deny(missing_docs)]

#[cfg(feature = "relay-client")]
pub mod client;
mod ledger;
pub mod portable;
pub mod relay;
pub mod usage;
pub use ledger::{
    check, BytesWitness, CheckError, FileWitness, Ledger, Witness, CLOCK_TOLERANCE, INSTANTS,
};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use timefence_terms::{InvalidTerms, Terms, TermsSpec};

/// The only file format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The only signature algorithm.
pub const ALGORITHM: &str = "ed25519";
/// Prefixed to the payload bytes before signing (domain separation).
pub const DOMAIN: &[u8] = b"timefence-license-v1\0";
/// The armor's first line.
pub const BEGIN: &str = "-----BEGIN TIMEFENCE LICENSE-----";
/// The armor's last line.
pub const END: &str = "-----END TIMEFENCE LICENSE-----";

/// What a license file carries, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicensePayload {
    /// The license's row id in the issuing catalogue (shown to people; not an identity: two
    /// catalogues, or two revisions, can share it). [`LicensePayload::uid`] is the identity.
    pub license_id: i64,
    /// The license's global identity: 128 random bits in lowercase hex, made when the license
    /// is created and kept across its revisions. Files issued before it existed have none;
    /// they are known by `license_id` alone, as they always were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The license's revision.
    pub revision: u32,
    /// The customer's name.
    pub customer: String,
    /// The customer's global identity (128 random bits in hex), kept across renames: what a
    /// relay certificate matches by. Files issued before it existed have none, and are
    /// matched by the customer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_uid: Option<String>,
    /// The license's name.
    pub name: String,
    /// When the file was issued (RFC 3339).
    pub issued_at: String,
    /// A number that only grows: a newer serial supersedes older files of the same license.
    pub serial: i64,
    /// After this instant (RFC 3339) the file itself is no longer valid, whatever its terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The license terms, as the engine reads them.
    pub terms: TermsSpec,
}

impl LicensePayload {
    /// A sample payload (the brief's India shift), for examples and tests.
    pub fn example() -> LicensePayload {
        LicensePayload {
            license_id: 1,
            uid: Some("4f6d2c0e9a3b41d7a1c85e2f0b7d9e13".into()),
            revision: 1,
            customer: "Northwind BPO".into(),
            customer_uid: None,
            name: "L1 India".into(),
            issued_at: "2024-01-01T00:00:00Z".into(),
            serial: 1,
            not_after: None,
            terms: TermsSpec {
                license_start_date: "2024-01-01".into(),
                license_end_date: "2024-12-31".into(),
                daily_start_time: "00:00".into(),
                daily_end_time: "08:00".into(),
                daily_time_consumption_limit: None,
                time_zone: "UTC".into(),
                weekdays: None,
                seats: 100,
                product: "Timefence demo".into(),
                features: BTreeMap::new(),
            },
        }
    }
}

/// A new license identity: 128 bits from the operating system's random source, in lowercase
/// hex (32 characters).
pub fn new_license_uid() -> String {
    let mut bytes = [0u8; 16];
    // The operating system's generator does not fail on the platforms Timefence supports;
    // if it ever did, a zero id would be caught by `is_license_uid` at signing.
    let _ = getrandom::getrandom(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` is a license identity as [`new_license_uid`] makes them: 32 lowercase hex
/// digits, not all zero.
pub fn is_license_uid(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && text.bytes().any(|b| b != b'0')
}

/// The release of the IANA time zone database this build carries (e.g. `2025b`). Windows
/// follow it, so two verifiers with different releases can disagree about a zone whose rules
/// changed between them.
pub fn tzdata_version() -> &'static str {
    timefence_terms::tzdata_version()
}

/// The key id of a public key: the first eight bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The public keys a verifier trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl TrustedKeys {
    /// Trusts `key` (retired keys stay trusted so that the files they signed still verify).
    pub fn add(&mut self, key: VerifyingKey) -> &mut Self {
        self.keys.insert(key_id(&key), key);
        self
    }

    /// Trusts a key given as the base64 of its 32 raw bytes.
    pub fn add_base64(&mut self, text: &str) -> Result<&mut Self, VerifyError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| VerifyError::BadKey)?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| VerifyError::BadKey)?;
        let key = VerifyingKey::from_bytes(&raw).map_err(|_| VerifyError::BadKey)?;
        Ok(self.add(key))
    }
}

/// Why a file is not a valid license.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No BEGIN/END lines, or lines that are not `field: value`.
    #[error("this is not a Timefence license file (the armor or a line is malformed)")]
    BadArmor,
    /// A field is missing or appears twice.
    #[error("the license file lacks its \"{0}\" line, or has it twice")]
    MissingField(&'static str),
    /// A format version this verifier does not know.
    #[error("license file version {0} is not supported by this verifier")]
    UnsupportedVersion(String),
    /// An algorithm this verifier does not know.
    #[error("signature algorithm \"{0}\" is not supported")]
    UnsupportedAlgorithm(String),
    /// Signed with a key this verifier does not trust.
    #[error("the file was signed with key {0}, which is not trusted here")]
    UnknownKey(String),
    /// The payload or signature is not valid base64, or the signature has the wrong length.
    #[error("the payload or signature is not valid base64 of the right length")]
    BadEncoding,
    /// The signature does not match the payload.
    #[error("signature does not match: the file was changed or signed with another key")]
    BadSignature,
    /// The signed payload is not a license payload.
    #[error("the signed payload is malformed: {0}")]
    MalformedPayload(String),
    /// The signed terms do not validate.
    #[error("the signed terms are invalid: {0}")]
    InvalidTerms(InvalidTerms),
    /// A public key that is not one.
    #[error("that is not an Ed25519 public key")]
    BadKey,
    /// The text is longer than any license file ([`MAX_FILE_BYTES`]).
    #[error("the text is {0} bytes, more than a license file ever is ({MAX_FILE_BYTES} bytes)")]
    TooLarge(usize),
}

/// The longest text [`verify`] reads (1 MiB); a license file is a few kilobytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;

impl VerifyError {
    /// The reason's name (`BadSignature`, `UnknownKey`, ...), for programs that branch on it.
    pub fn kind(&self) -> &'static str {
        match self {
            VerifyError::BadArmor => "BadArmor",
            VerifyError::MissingField(_) => "MissingField",
            VerifyError::UnsupportedVersion(_) => "UnsupportedVersion",
            VerifyError::UnsupportedAlgorithm(_) => "UnsupportedAlgorithm",
            VerifyError::UnknownKey(_) => "UnknownKey",
            VerifyError::BadEncoding => "BadEncoding",
            VerifyError::BadSignature => "BadSignature",
            VerifyError::MalformedPayload(_) => "MalformedPayload",
            VerifyError::InvalidTerms(_) => "InvalidTerms",
            VerifyError::BadKey => "BadKey",
            VerifyError::TooLarge(_) => "TooLarge",
        }
    }
}

/// A file that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLicense {
    /// The key that signed it.
    pub key_id: String,
    /// The payload, as signed.
    pub payload: LicensePayload,
    /// The payload's terms, validated by the engine.
    pub terms: Terms,
}

impl VerifiedLicense {
    /// The license's id as people and certificates name it: its 128-bit identity in hex, or
    /// for a file issued before identities existed, its catalogue id.
    ///
    /// What supersession and the usage ledger key this license by (see
    /// [`VerifiedLicense::identity`]).
    pub fn license_key(&self) -> String {
        self.payload
            .uid
            .clone()
            .unwrap_or_else(|| self.payload.license_id.to_string())
    }

    /// The identity supersession and the ledger use: the license's 128-bit uid, whichever of
    /// the vendor's trusted keys signed the file. So after a key rotation, revision 2 signed
    /// with the new key supersedes revision 1 signed with the old one, and the time used
    /// stays counted against the one license. uids are random 128-bit values made with the
    /// license, so two catalogues (or two customers signed from the command line) never
    /// share one. A file issued before uids existed keeps the key it always had, its
    /// catalogue id, and with it the time already recorded against it.
    pub fn identity(&self) -> String {
        self.license_key()
    }
}

/// Encodes and signs `payload`; `comment` heads the unsigned, human-readable part.
pub fn sign(payload: &LicensePayload, key: &SigningKey, comment: &str) -> String {
    // Serialising plain strings and integers cannot fail.
    let bytes = serde_json::to_vec(payload).unwrap_or_default();
    let mut message = DOMAIN.to_vec();
    message.extend_from_slice(&bytes);
    let signature = key.sign(&message);
    let t = &payload.terms;
    let mut out = String::with_capacity(bytes.len() * 2 + 400);
    out.push_str(BEGIN);
    out.push('\n');
    for line in comment.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&format!("# {}\n", line.trim()));
    }
    out.push_str(&format!(
        "# {}-{} {}, {}, {} to {}, {} seats\n",
        t.daily_start_time,
        t.daily_end_time,
        t.time_zone,
        t.weekdays
            .as_ref()
            .map_or("every day".to_string(), |w| w.join(" ")),
        t.license_start_date,
        t.license_end_date,
        t.seats
    ));
    out.push_str("# Lines starting with # are a comment for people and are not signed.\n");
    out.push_str(&format!("version: {FORMAT_VERSION}\n"));
    out.push_str(&format!("key: {}\n", key_id(&key.verifying_key())));
    out.push_str(&format!("algorithm: {ALGORITHM}\n"));
    out.push_str(&format!("payload: {}\n", BASE64.encode(&bytes)));
    out.push_str(&format!(
        "signature: {}\n",
        BASE64.encode(signature.to_bytes())
    ));
    out.push_str(END);
    out.push('\n');
    out
}

/// The signed fields of a file, before any cryptography.
struct Envelope<'a> {
    version: &'a str,
    key: &'a str,
    algorithm: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn envelope(text: &str) -> Result<Envelope<'_>, VerifyError> {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    if lines.next() != Some(BEGIN) {
        return Err(VerifyError::BadArmor);
    }
    let mut fields: [(&'static str, Option<&str>); 5] = [
        ("version", None),
        ("key", None),
        ("algorithm", None),
        ("payload", None),
        ("signature", None),
    ];
    let mut closed = false;
    for line in lines.by_ref() {
        if line == END {
            closed = true;
            break;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(VerifyError::BadArmor)?;
        let slot = fields
            .iter_mut()
            .find(|(n, _)| *n == name.trim())
            .ok_or(VerifyError::BadArmor)?;
        if slot.1.is_some() {
            return Err(VerifyError::MissingField(slot.0));
        }
        slot.1 = Some(value.trim());
    }
    if !closed || lines.any(|l| !l.is_empty()) {
        return Err(VerifyError::BadArmor);
    }
    let get = |i: usize| fields[i].1.ok_or(VerifyError::MissingField(fields[i].0));
    Ok(Envelope {
        version: get(0)?,
        key: get(1)?,
        algorithm: get(2)?,
        payload: get(3)?,
        signature: get(4)?,
    })
}

/// Verifies a license file against the trusted keys: armor, version, algorithm, key, then the
/// signature, and only then the payload and its terms.
pub fn verify(text: &str, trusted: &TrustedKeys) -> Result<VerifiedLicense, VerifyError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(VerifyError::TooLarge(text.len()));
    }
    let envelope = envelope(text)?;
    if envelope.version != FORMAT_VERSION.to_string() {
        return Err(VerifyError::UnsupportedVersion(
            envelope.version.chars().take(20).collect(),
        ));
    }
    if envelope.algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm(
            envelope.algorithm.chars().take(20).collect(),
        ));
    }
    let key = trusted
        .keys
        .get(envelope.key)
        .ok_or_else(|| VerifyError::UnknownKey(envelope.key.chars().take(32).collect()))?;
    let payload = BASE64
        .decode(envelope.payload)
        .map_err(|_| VerifyError::BadEncoding)?;
    let signature = BASE64
        .decode(envelope.signature)
        .map_err(|_| VerifyError::BadEncoding)?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| VerifyError::BadEncoding)?;
    let mut message = Vec::with_capacity(DOMAIN.len() + payload.len());
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(&payload);
    key.verify(&message, &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature)?;
    let payload: LicensePayload = serde_json::from_slice(&payload)
        .map_err(|e| VerifyError::MalformedPayload(e.to_string()))?;
    if let Some(uid) = &payload.uid {
        if !is_license_uid(uid) {
            return Err(VerifyError::MalformedPayload(format!(
                "uid \"{}\" is not 32 lowercase hex digits",
                uid.chars().take(40).collect::<String>()
            )));
        }
    }
    let terms = payload
        .terms
        .validate()
        .map_err(VerifyError::InvalidTerms)?;
    Ok(VerifiedLicense {
        key_id: envelope.key.to_string(),
        payload,
        terms,
    })
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow it.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The public key as a PEM SubjectPublicKeyInfo, the form OpenSSL reads (`-pubin -inkey`).
pub fn public_key_pem(key: &VerifyingKey) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        BASE64.encode(der)
    )
}

/// Reads a public key given as PEM (SubjectPublicKeyInfo, as [`public_key_pem`] and OpenSSL
/// write it) or as base64 of its 32 raw bytes. Pasted keys arrive with CRLF line ends,
/// indentation, or re-wrapped or joined lines; all of those read.
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let compact: String = text.split_whitespace().collect();
    let body = match compact.strip_prefix("-----BEGINPUBLICKEY-----") {
        Some(rest) => rest.strip_suffix("-----ENDPUBLICKEY-----")?,
        None => &compact,
    };
    let der = BASE64.decode(body).ok()?;
    let raw: [u8; 32] = match der.len() {
        32 => der.try_into().ok()?,
        44 if der[..12] == ED25519_SPKI_PREFIX => der[12..].try_into().ok()?,
        _ => return None,
    };
    VerifyingKey::from_bytes(&raw).ok()
}

/// The public key as base64 of its 32 raw bytes.
pub fn public_key_base64(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

/// The exact bytes a file's signature covers ([`DOMAIN`] then the payload) and the raw
/// signature, for checking a file with another tool such as OpenSSL.
pub fn signed_message_and_signature(text: &str) -> Result<(Vec<u8>, Vec<u8>), VerifyError> {
    let envelope = envelope(text)?;
    let mut message = DOMAIN.to_vec();
    message.extend(
        BASE64
            .decode(envelope.payload)
            .map_err(|_| VerifyError::BadEncoding)?,
    );
    let signature = BASE64
        .decode(envelope.signature)
        .map_err(|_| VerifyError::BadEncoding)?;
    Ok((message, signature))
}
