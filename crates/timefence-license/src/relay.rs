//! Trust in a seat server (Timefence Relay): relay certificates and lease tokens.
//!
//! A relay signs every lease it grants with its own Ed25519 key. The vendor vouches for that
//! key with a [`RelayCertificate`], signed by the same key that signs the customer's license
//! files, binding the relay key to one customer and (optionally) to a list of its licenses.
//! An application accepts a lease only when the chain holds:
//!
//! vendor key (trusted) → relay certificate → lease token → this holder and this license.
//!
//! [`verify_lease`] checks all of it. Both formats are signed over a domain prefix of their own
//! ([`CERTIFICATE_DOMAIN`], [`TOKEN_DOMAIN`]), so neither can pass as a license file or as the
//! other.

use crate::{key_id, TrustedKeys, VerifiedLicense};
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// What a relay certificate's signature covers, before its payload.
pub const CERTIFICATE_DOMAIN: &[u8] = b"timefence-relay-certificate-v1\0";
/// What a lease token's signature covers, before its payload.
pub const TOKEN_DOMAIN: &[u8] = b"timefence-lease-token-v1\0";
/// The certificate armor's first line.
pub const CERTIFICATE_BEGIN: &str = "-----BEGIN TIMEFENCE RELAY CERTIFICATE-----";
/// The certificate armor's last line.
pub const CERTIFICATE_END: &str = "-----END TIMEFENCE RELAY CERTIFICATE-----";
/// The longest certificate or token text read, in bytes; anything longer is refused unread.
pub const MAX_TRUST_TEXT: usize = 64 * 1024;
/// What a withdrawal list's signature covers, before its payload.
pub const WITHDRAWALS_DOMAIN: &[u8] = b"timefence-relay-withdrawals-v1\0";
/// The withdrawal list armor's first line.
pub const WITHDRAWALS_BEGIN: &str = "-----BEGIN TIMEFENCE RELAY WITHDRAWALS-----";
/// The withdrawal list armor's last line.
pub const WITHDRAWALS_END: &str = "-----END TIMEFENCE RELAY WITHDRAWALS-----";
/// The most certificates one withdrawal list names; a longer list is refused unread.
pub const MAX_WITHDRAWN: usize = 10_000;
/// The longest withdrawal list text read, in bytes (room for [`MAX_WITHDRAWN`] entries).
pub const MAX_WITHDRAWALS_TEXT: usize = 4 * 1024 * 1024;

/// The vendor's statement: "this relay key serves these licenses of this customer".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificatePayload {
    /// The relay's public key, base64 of its 32 bytes.
    pub relay_key: String,
    /// The customer, as license files name it (for people, and for files without a customer
    /// uid).
    pub customer: String,
    /// The customer's global identity: files carrying one are covered when it matches,
    /// whatever the customer is called now. Certificates made before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_uid: Option<String>,
    /// The licenses the relay may serve, by [`VerifiedLicense::license_key`] (kept across a
    /// license's revisions); empty means every license of the customer.
    pub licenses: Vec<String>,
    /// When it was signed (RFC 3339).
    pub issued_at: String,
    /// After this instant (RFC 3339) it vouches for nothing: leases its relay signs are
    /// refused, and reports too. Certificates made before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

/// A relay certificate that verified against the vendor's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayCertificate {
    /// The vendor key that signed it.
    pub vendor_key_id: String,
    /// The signed statement.
    pub payload: CertificatePayload,
    /// The relay key it vouches for.
    pub relay_key: VerifyingKey,
}

/// A lease as the relay signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseClaims {
    /// The lease id.
    pub lease: String,
    /// The license, as the relay names it: `<key id>-<license id>`.
    pub license: String,
    /// Who holds the seat.
    pub holder: String,
    /// The lease's renewal sequence number.
    pub seq: u64,
    /// When the lease ends unless renewed (milliseconds since the Unix epoch).
    pub expires_at_ms: i64,
}

/// Why a certificate or a lease token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// Not a certificate or token at all, or longer than [`MAX_TRUST_TEXT`].
    #[error("this is not a relay certificate or lease token (malformed or too long)")]
    Malformed,
    /// The certificate was signed by a key the application does not trust.
    #[error("the relay certificate was signed with key {0}, which is not trusted here")]
    UnknownVendorKey(String),
    /// A signature does not match.
    #[error("a signature does not match: the certificate or token was changed or forged")]
    BadSignature,
    /// The certificate is for another customer, or does not list this license.
    #[error("the relay certificate does not cover this license ({0})")]
    NotCovered(String),
    /// The token is for another holder or license.
    #[error("the lease token is for another holder or license")]
    WrongLease,
    /// The lease has already ended.
    #[error("the lease ended at {0} ms")]
    Expired(i64),
    /// The certificate's not-after has passed.
    #[error("the relay certificate ended at {0}; the vendor certifies the relay again")]
    CertificateExpired(String),
    /// The vendor's withdrawal list names the certificate.
    #[error("the vendor withdrew the relay certificate at {0}")]
    Withdrawn(String),
}

impl TrustError {
    /// The reason's name, for programs that branch on it.
    pub fn kind(&self) -> &'static str {
        match self {
            TrustError::Malformed => "Malformed",
            TrustError::UnknownVendorKey(_) => "UnknownVendorKey",
            TrustError::BadSignature => "BadSignature",
            TrustError::NotCovered(_) => "NotCovered",
            TrustError::WrongLease => "WrongLease",
            TrustError::Expired(_) => "Expired",
            TrustError::CertificateExpired(_) => "CertificateExpired",
            TrustError::Withdrawn(_) => "Withdrawn",
        }
    }
}

/// The relay's name for a license: the signing key id and the license's id
/// ([`VerifiedLicense::license_key`]), `3f2a...-4f6d...`.
pub fn license_ref(license: &VerifiedLicense) -> String {
    format!("{}-{}", license.key_id, license.license_key())
}

/// Signs a relay certificate with the vendor's key.
pub fn certify(payload: &CertificatePayload, vendor: &SigningKey) -> String {
    // Plain strings and integers always serialise.
    let bytes = serde_json::to_vec(payload).unwrap_or_default();
    let signature = vendor.sign(&[CERTIFICATE_DOMAIN, &bytes].concat());
    let scope = if payload.licenses.is_empty() {
        "every license".to_string()
    } else {
        format!("licenses {}", payload.licenses.join(", "))
    };
    format!(
        "{CERTIFICATE_BEGIN}\n# Relay key {} may serve {} of {}.\n# Lines starting with # are not signed.\nkey: {}\npayload: {}\nsignature: {}\n{CERTIFICATE_END}\n",
        relay_key_id(&payload.relay_key),
        scope,
        payload.customer.replace('\n', " "),
        key_id(&vendor.verifying_key()),
        BASE64.encode(&bytes),
        BASE64.encode(signature.to_bytes()),
    )
}

/// The key id of a relay key given as base64 of its 32 bytes (as certificates and reports
/// carry it), or "?" when it is not a key.
pub fn relay_key_id(base64_key: &str) -> String {
    parse_key(base64_key)
        .map(|k| key_id(&k))
        .unwrap_or_else(|| "?".into())
}

fn parse_key(base64_key: &str) -> Option<VerifyingKey> {
    let raw: [u8; 32] = BASE64.decode(base64_key.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&raw).ok()
}

/// The three `name: value` fields of an armored text (a relay certificate, a usage report),
/// in the order `names` gives: the first non-blank line is `begin`, `#` lines are comments,
/// every other line is one of `names` exactly once, and nothing follows `end`.
pub(crate) fn read_armor<'a>(
    text: &'a str,
    begin: &str,
    end: &str,
    names: [&str; 3],
) -> Option<[&'a str; 3]> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(begin) {
        return None;
    }
    let mut values: [Option<&str>; 3] = [None; 3];
    let mut closed = false;
    for line in lines.by_ref() {
        if line == end {
            closed = true;
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once(':')?;
        let slot = names.iter().position(|n| *n == name.trim())?;
        if values[slot].replace(value.trim()).is_some() {
            return None;
        }
    }
    if !closed || lines.next().is_some() {
        return None;
    }
    Some([values[0]?, values[1]?, values[2]?])
}

/// The signer's key id and the signed payload of an armored text (a certificate, a withdrawal
/// list) once its signature verifies, over `domain`, against one of the vendor's keys; at most
/// `max_len` bytes are read.
fn read_vendor_signed<'a>(
    text: &'a str,
    max_len: usize,
    [begin, end]: [&str; 2],
    domain: &[u8],
    vendor: &TrustedKeys,
) -> Result<(&'a str, Vec<u8>), TrustError> {
    if text.len() > max_len {
        return Err(TrustError::Malformed);
    }
    let [key, payload, signature] = read_armor(text, begin, end, ["key", "payload", "signature"])
        .ok_or(TrustError::Malformed)?;
    let vendor_key = vendor
        .keys
        .get(key)
        .ok_or_else(|| TrustError::UnknownVendorKey(key.chars().take(32).collect()))?;
    let bytes = BASE64.decode(payload).map_err(|_| TrustError::Malformed)?;
    let signature: [u8; 64] = BASE64
        .decode(signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(TrustError::Malformed)?;
    vendor_key
        .verify(
            &[domain, &bytes].concat(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| TrustError::BadSignature)?;
    Ok((key, bytes))
}

/// Reads and verifies a relay certificate against the vendor keys the application trusts.
pub fn read_certificate(text: &str, vendor: &TrustedKeys) -> Result<RelayCertificate, TrustError> {
    let (key, bytes) = read_vendor_signed(
        text,
        MAX_TRUST_TEXT,
        [CERTIFICATE_BEGIN, CERTIFICATE_END],
        CERTIFICATE_DOMAIN,
        vendor,
    )?;
    let payload: CertificatePayload =
        serde_json::from_slice(&bytes).map_err(|_| TrustError::Malformed)?;
    let relay_key = parse_key(&payload.relay_key).ok_or(TrustError::Malformed)?;
    Ok(RelayCertificate {
        vendor_key_id: key.to_string(),
        payload,
        relay_key,
    })
}

impl RelayCertificate {
    /// Whether the certificate still vouches at `now_ms`: before its not-after (a not-after
    /// that does not read as a time vouches for nothing).
    pub fn in_force(&self, now_ms: i64) -> Result<(), TrustError> {
        match &self.payload.not_after {
            None => Ok(()),
            Some(text) => match timefence_terms::chrono::DateTime::parse_from_rfc3339(text) {
                Ok(end) if now_ms <= end.timestamp_millis() => Ok(()),
                _ => Err(TrustError::CertificateExpired(text.clone())),
            },
        }
    }

    /// Whether the certificate lets its relay serve `license`: the same customer, and the
    /// license listed (or no list). The file may be signed by any of the vendor's keys the
    /// verifier trusts, not only the one that signed the certificate: both verified against
    /// the same set of the vendor's keys, so after a key rotation (files signed with the new
    /// key, both keys trusted) the relay's certificate goes on covering them, with nothing to
    /// sign again. See ARCHITECTURE.md, "Key rotation".
    pub fn covers(&self, license: &VerifiedLicense) -> Result<(), TrustError> {
        let p = &self.payload;
        // The customer's uid when both carry one (a rename changes nothing), else its name.
        let same_customer = match (&p.customer_uid, &license.payload.customer_uid) {
            (Some(certified), Some(file)) => certified == file,
            _ => license.payload.customer == p.customer,
        };
        if !same_customer {
            return Err(TrustError::NotCovered(format!(
                "the certificate is for {}",
                p.customer
            )));
        }
        let id = license.license_key();
        if !p.licenses.is_empty() && !p.licenses.contains(&id) {
            return Err(TrustError::NotCovered(format!(
                "license {id} is not listed"
            )));
        }
        Ok(())
    }
}

/// One withdrawn certificate, named as the vendor's catalogue names it: the relay key it
/// certified and the instant it was signed (a relay key certified twice is two certificates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawnCertificate {
    /// The relay's public key, base64 of its 32 bytes, as the certificate carries it.
    pub relay_key: String,
    /// The certificate's `issued_at`, exactly as it carries it.
    pub issued_at: String,
    /// When the vendor withdrew it (RFC 3339).
    pub withdrawn_at: String,
}

/// The vendor's statement: "these relay certificates vouch for nothing any more". Given to a
/// relay (its reports stop) and to an application's relay client (its leases stop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalsPayload {
    /// When the list was signed (RFC 3339).
    pub issued_at: String,
    /// Every certificate withdrawn so far.
    pub withdrawn: Vec<WithdrawnCertificate>,
}

/// A withdrawal list that verified against the vendor's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawals {
    /// The vendor key that signed it.
    pub vendor_key_id: String,
    /// The signed statement.
    pub payload: WithdrawalsPayload,
}

/// Signs a withdrawal list with the vendor's key.
pub fn sign_withdrawals(payload: &WithdrawalsPayload, vendor: &SigningKey) -> String {
    // Plain strings always serialise.
    let bytes = serde_json::to_vec(payload).unwrap_or_default();
    let signature = vendor.sign(&[WITHDRAWALS_DOMAIN, &bytes].concat());
    let count = match payload.withdrawn.len() {
        1 => "1 relay certificate".to_string(),
        n => format!("{n} relay certificates"),
    };
    format!(
        "{WITHDRAWALS_BEGIN}\n# {count} withdrawn, as of {}.\n# Lines starting with # are not signed.\nkey: {}\npayload: {}\nsignature: {}\n{WITHDRAWALS_END}\n",
        payload.issued_at.replace('\n', " "),
        key_id(&vendor.verifying_key()),
        BASE64.encode(&bytes),
        BASE64.encode(signature.to_bytes()),
    )
}

/// Reads and verifies a withdrawal list against the vendor keys trusted here.
pub fn read_withdrawals(text: &str, vendor: &TrustedKeys) -> Result<Withdrawals, TrustError> {
    let (key, bytes) = read_vendor_signed(
        text,
        MAX_WITHDRAWALS_TEXT,
        [WITHDRAWALS_BEGIN, WITHDRAWALS_END],
        WITHDRAWALS_DOMAIN,
        vendor,
    )?;
    let payload: WithdrawalsPayload =
        serde_json::from_slice(&bytes).map_err(|_| TrustError::Malformed)?;
    if payload.withdrawn.len() > MAX_WITHDRAWN {
        return Err(TrustError::Malformed);
    }
    Ok(Withdrawals {
        vendor_key_id: key.to_string(),
        payload,
    })
}

impl Withdrawals {
    /// Whether the list names `certificate` (its relay key and its signing instant).
    pub fn check(&self, certificate: &RelayCertificate) -> Result<(), TrustError> {
        match self.payload.withdrawn.iter().find(|w| {
            w.relay_key == certificate.payload.relay_key
                && w.issued_at == certificate.payload.issued_at
        }) {
            Some(w) => Err(TrustError::Withdrawn(w.withdrawn_at.clone())),
            None => Ok(()),
        }
    }
}

/// Signs a lease token with the relay's key: `base64url(claims).base64url(signature)`.
pub fn sign_token(claims: &LeaseClaims, relay: &SigningKey) -> String {
    let bytes = serde_json::to_vec(claims).unwrap_or_default();
    let signature = relay.sign(&[TOKEN_DOMAIN, &bytes].concat());
    format!(
        "{}.{}",
        B64URL.encode(&bytes),
        B64URL.encode(signature.to_bytes())
    )
}

/// Reads a lease token and checks its signature against `relay_key`, nothing more.
pub fn read_token(token: &str, relay_key: &VerifyingKey) -> Result<LeaseClaims, TrustError> {
    if token.len() > MAX_TRUST_TEXT {
        return Err(TrustError::Malformed);
    }
    let (payload, signature) = token.trim().split_once('.').ok_or(TrustError::Malformed)?;
    let bytes = B64URL.decode(payload).map_err(|_| TrustError::Malformed)?;
    let signature: [u8; 64] = B64URL
        .decode(signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(TrustError::Malformed)?;
    relay_key
        .verify(
            &[TOKEN_DOMAIN, &bytes].concat(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| TrustError::BadSignature)?;
    serde_json::from_slice(&bytes).map_err(|_| TrustError::Malformed)
}

/// The whole chain: the certificate covers `license`, the token is signed by the certified
/// relay key, names `holder` and this license, and has not ended at `now_ms`.
pub fn verify_lease(
    token: &str,
    certificate: &RelayCertificate,
    license: &VerifiedLicense,
    holder: &str,
    now_ms: i64,
) -> Result<LeaseClaims, TrustError> {
    certificate.covers(license)?;
    certificate.in_force(now_ms)?;
    let claims = read_token(token, &certificate.relay_key)?;
    if claims.holder != holder || claims.license != license_ref(license) {
        return Err(TrustError::WrongLease);
    }
    if claims.expires_at_ms <= now_ms {
        return Err(TrustError::Expired(claims.expires_at_ms));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sign, verify, LicensePayload};

    fn setup() -> (SigningKey, SigningKey, VerifiedLicense, TrustedKeys) {
        let vendor = SigningKey::from_bytes(&[1; 32]);
        let relay = SigningKey::from_bytes(&[2; 32]);
        let mut trusted = TrustedKeys::default();
        trusted.add(vendor.verifying_key());
        let file = sign(&LicensePayload::example(), &vendor, "x");
        let license = verify(&file, &trusted).unwrap();
        (vendor, relay, license, trusted)
    }

    fn claims(license: &VerifiedLicense) -> LeaseClaims {
        LeaseClaims {
            lease: "l1".into(),
            license: license_ref(license),
            holder: "agent-7".into(),
            seq: 1,
            expires_at_ms: 2_000,
        }
    }

    #[test]
    fn the_chain_holds_and_every_link_is_checked() {
        let (vendor, relay, license, trusted) = setup();
        let payload = CertificatePayload {
            relay_key: crate::public_key_base64(&relay.verifying_key()),
            customer: license.payload.customer.clone(),
            customer_uid: None,
            licenses: vec![],
            issued_at: "2024-01-01T00:00:00Z".into(),
            not_after: None,
        };
        let cert_text = certify(&payload, &vendor);
        let cert = read_certificate(&cert_text, &trusted).unwrap();
        let token = sign_token(&claims(&license), &relay);
        assert_eq!(
            verify_lease(&token, &cert, &license, "agent-7", 1_000).unwrap(),
            claims(&license)
        );
        // Another holder, an ended lease, a token signed by the vendor instead of the relay.
        assert_eq!(
            verify_lease(&token, &cert, &license, "agent-8", 1_000),
            Err(TrustError::WrongLease)
        );
        assert_eq!(
            verify_lease(&token, &cert, &license, "agent-7", 2_000),
            Err(TrustError::Expired(2_000))
        );
        let forged = sign_token(&claims(&license), &vendor);
        assert_eq!(
            verify_lease(&forged, &cert, &license, "agent-7", 1_000),
            Err(TrustError::BadSignature)
        );
        // A changed certificate, another vendor, another customer, an unlisted license.
        let tampered = cert_text.replace(
            &BASE64.encode(serde_json::to_vec(&payload).unwrap()),
            &BASE64.encode(
                serde_json::to_vec(&CertificatePayload {
                    customer: "Someone else".into(),
                    customer_uid: None,
                    ..payload.clone()
                })
                .unwrap(),
            ),
        );
        assert_eq!(
            read_certificate(&tampered, &trusted),
            Err(TrustError::BadSignature)
        );
        let stranger = SigningKey::from_bytes(&[3; 32]);
        let foreign = certify(&payload, &stranger);
        assert!(matches!(
            read_certificate(&foreign, &trusted),
            Err(TrustError::UnknownVendorKey(_))
        ));
        for other in [
            CertificatePayload {
                customer: "Someone else".into(),
                customer_uid: None,
                ..payload.clone()
            },
            CertificatePayload {
                licenses: vec!["99".into()],
                ..payload.clone()
            },
        ] {
            let cert = read_certificate(&certify(&other, &vendor), &trusted).unwrap();
            assert!(matches!(
                verify_lease(&token, &cert, &license, "agent-7", 1_000),
                Err(TrustError::NotCovered(_))
            ));
        }
        assert_eq!(
            read_certificate(&"x".repeat(MAX_TRUST_TEXT + 1), &trusted),
            Err(TrustError::Malformed)
        );
        // A certificate past its not-after vouches for no lease.
        let ending = CertificatePayload {
            not_after: Some("1970-01-01T00:00:01Z".into()),
            ..payload.clone()
        };
        let cert = read_certificate(&certify(&ending, &vendor), &trusted).unwrap();
        assert_eq!(
            verify_lease(&token, &cert, &license, "agent-7", 1_000).map(|_| ()),
            Ok(())
        );
        assert_eq!(
            verify_lease(&token, &cert, &license, "agent-7", 1_001),
            Err(TrustError::CertificateExpired(
                "1970-01-01T00:00:01Z".into()
            ))
        );
    }

    #[test]
    fn a_withdrawal_list_names_certificates_by_relay_key_and_signing_instant() {
        let (vendor, relay, license, trusted) = setup();
        let payload = CertificatePayload {
            relay_key: crate::public_key_base64(&relay.verifying_key()),
            customer: license.payload.customer.clone(),
            customer_uid: None,
            licenses: vec![],
            issued_at: "2027-01-01T00:00:00Z".into(),
            not_after: None,
        };
        let cert = read_certificate(&certify(&payload, &vendor), &trusted).unwrap();
        // The same relay certified again later: another certificate, not withdrawn.
        let again = read_certificate(
            &certify(
                &CertificatePayload {
                    issued_at: "2027-02-01T00:00:00Z".into(),
                    ..payload.clone()
                },
                &vendor,
            ),
            &trusted,
        )
        .unwrap();
        let list = WithdrawalsPayload {
            issued_at: "2027-01-15T00:00:00Z".into(),
            withdrawn: vec![WithdrawnCertificate {
                relay_key: payload.relay_key.clone(),
                issued_at: payload.issued_at.clone(),
                withdrawn_at: "2027-01-14T10:00:00Z".into(),
            }],
        };
        let text = sign_withdrawals(&list, &vendor);
        assert!(text.contains("# 1 relay certificate withdrawn"), "{text}");
        let read = read_withdrawals(&text, &trusted).unwrap();
        assert_eq!(read.payload, list);
        assert_eq!(
            read.check(&cert),
            Err(TrustError::Withdrawn("2027-01-14T10:00:00Z".into()))
        );
        assert_eq!(read.check(&again), Ok(()));
        // Not a certificate, nor a certificate a list: each domain is its own.
        assert_eq!(
            read_withdrawals(&certify(&payload, &vendor), &trusted),
            Err(TrustError::Malformed)
        );
        let forged = text
            .replace(WITHDRAWALS_BEGIN, CERTIFICATE_BEGIN)
            .replace(WITHDRAWALS_END, CERTIFICATE_END);
        assert_eq!(
            read_certificate(&forged, &trusted),
            Err(TrustError::BadSignature)
        );
        // Emptied by someone else: the signature no longer holds.
        let emptied = text.replace(
            &BASE64.encode(serde_json::to_vec(&list).unwrap()),
            &BASE64.encode(
                serde_json::to_vec(&WithdrawalsPayload {
                    withdrawn: vec![],
                    ..list.clone()
                })
                .unwrap(),
            ),
        );
        assert_eq!(
            read_withdrawals(&emptied, &trusted),
            Err(TrustError::BadSignature)
        );
        let stranger = SigningKey::from_bytes(&[3; 32]);
        assert!(matches!(
            read_withdrawals(&sign_withdrawals(&list, &stranger), &trusted),
            Err(TrustError::UnknownVendorKey(_))
        ));
        // Limits: more entries than MAX_WITHDRAWN, or a text longer than the cap, unread.
        let many = WithdrawalsPayload {
            issued_at: list.issued_at.clone(),
            withdrawn: vec![list.withdrawn[0].clone(); MAX_WITHDRAWN + 1],
        };
        assert_eq!(
            read_withdrawals(&sign_withdrawals(&many, &vendor), &trusted),
            Err(TrustError::Malformed)
        );
        assert_eq!(
            read_withdrawals(&"x".repeat(MAX_WITHDRAWALS_TEXT + 1), &trusted),
            Err(TrustError::Malformed)
        );
    }
}
