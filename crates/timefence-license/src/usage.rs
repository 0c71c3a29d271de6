//! Usage reports: what a Timefence Relay saw, signed by the relay's certified key, for the
//! vendor's administrator to import.
//!
//! A report covers whole UTC days `[from, to]` and holds, per license the relay served: per
//! quarter-hour (UTC, on the quarter), the peak number of seats held at once and the
//! seat-seconds used; per quarter-hour and reason, the refusals (demand that met a window
//! edge, the seat cap or the daily limit); and the number of distinct holders.
//!
//! The armor carries the relay's certificate, so the report stands alone: [`read_report`]
//! checks vendor key (trusted) → relay certificate → report, and that every license in it is
//! one the certificate lets the relay serve. Its signature covers [`REPORT_DOMAIN`] and the
//! payload, so it can pass for no other Timefence text.

use crate::relay::{read_armor, read_certificate, RelayCertificate, TrustError};
use crate::TrustedKeys;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde::{Deserialize, Serialize};

/// What a usage report's signature covers, before its payload.
pub const REPORT_DOMAIN: &[u8] = b"timefence-usage-report-v1\0";
/// The report armor's first line.
pub const REPORT_BEGIN: &str = "-----BEGIN TIMEFENCE USAGE REPORT-----";
/// The report armor's last line.
pub const REPORT_END: &str = "-----END TIMEFENCE USAGE REPORT-----";
/// The longest report read (64 MiB): a year of every quarter-hour of a thousand busy licenses.
pub const MAX_REPORT_BYTES: usize = 64 << 20;
/// A quarter-hour, in seconds.
pub const QUARTER_SECONDS: i64 = 900;

/// One quarter-hour of one license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quarter {
    /// Its start, seconds since 1970 (a multiple of 900).
    pub start: i64,
    /// The most seats held at once during it.
    pub peak: u32,
    /// Seat-seconds used during it (at most `peak × 900`).
    pub seat_seconds: i64,
}

/// Refusals of one reason in one quarter-hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusals {
    /// The quarter-hour's start, seconds since 1970.
    pub start: i64,
    /// The relay's refusal type: `SeatsFull`, `OutsideWindow`, `ConsumptionExhausted`, ...
    pub reason: String,
    /// How many requests were refused.
    pub count: u32,
    /// How many distinct holders they came from (people, not retries); absent in reports from
    /// relays that did not count them. A relay counts at most
    /// [`MAX_REFUSED_HOLDERS`] per quarter-hour and reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holders: Option<u32>,
}

/// The most distinct holders a relay keeps per license, quarter-hour and refusal reason: a
/// client spraying made-up holder names grows the count no further.
pub const MAX_REFUSED_HOLDERS: u32 = 1000;

/// What one license saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseUsage {
    /// The relay's name for it: `<signing key id>-<license id>`.
    pub license: String,
    /// Distinct holders over the period.
    pub distinct_holders: u32,
    /// Quarter-hours with any use, in order.
    pub quarters: Vec<Quarter>,
    /// Refusals, by quarter-hour then reason.
    pub refusals: Vec<Refusals>,
}

/// What a report says, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportPayload {
    /// The customer, as the relay's certificate names it.
    pub customer: String,
    /// The customer's uid, as the relay's certificate carries it (what an import matches by;
    /// absent from reports of certificates without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_uid: Option<String>,
    /// The first day covered (UTC, YYYY-MM-DD).
    pub from: String,
    /// The last day covered (UTC, YYYY-MM-DD), inclusive.
    pub to: String,
    /// When the relay wrote it (RFC 3339).
    pub generated_at: String,
    /// Per license.
    pub licenses: Vec<LicenseUsage>,
}

/// A report whose chain verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReport {
    /// The certificate of the relay that signed it.
    pub certificate: RelayCertificate,
    /// What it says.
    pub payload: ReportPayload,
}

/// Why a usage report is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Not a usage report, or longer than [`MAX_REPORT_BYTES`].
    #[error("this is not a Timefence usage report (malformed or too long)")]
    Malformed,
    /// The relay certificate inside does not verify against the vendor's keys.
    #[error("the relay's certificate is not accepted: {0}")]
    Certificate(TrustError),
    /// The report's signature does not match the certified relay key.
    #[error("the report's signature does not match its relay's certified key: it was changed or signed by another relay")]
    BadSignature,
    /// The report names another customer than its certificate, or a license the certificate
    /// does not let the relay serve.
    #[error("the report covers what its certificate does not: {0}")]
    NotCovered(String),
}

impl ReportError {
    /// The reason's name, for programs and bindings that branch on it.
    pub fn kind(&self) -> &'static str {
        match self {
            ReportError::Malformed => "Malformed",
            ReportError::Certificate(_) => "Certificate",
            ReportError::BadSignature => "BadSignature",
            ReportError::NotCovered(_) => "NotCovered",
        }
    }
}

/// Signs `payload` with the relay's key and wraps it, with the relay's certificate, in armor.
pub fn sign_report(payload: &ReportPayload, relay: &SigningKey, certificate: &str) -> String {
    // Plain strings and integers always serialise.
    let bytes = serde_json::to_vec(payload).unwrap_or_default();
    let signature = relay.sign(&[REPORT_DOMAIN, &bytes].concat());
    format!(
        "{REPORT_BEGIN}\n# Usage of {} from {} to {}, {} licenses.\n# Lines starting with # are not signed.\ncertificate: {}\npayload: {}\nsignature: {}\n{REPORT_END}\n",
        payload.customer.replace('\n', " "),
        payload.from,
        payload.to,
        payload.licenses.len(),
        BASE64.encode(certificate.as_bytes()),
        BASE64.encode(&bytes),
        BASE64.encode(signature.to_bytes()),
    )
}

/// Reads a usage report and checks its chain: vendor key (trusted) → relay certificate →
/// report, and that the report is about the certificate's customer and licenses.
pub fn read_report(text: &str, vendor: &TrustedKeys) -> Result<VerifiedReport, ReportError> {
    if text.len() > MAX_REPORT_BYTES {
        return Err(ReportError::Malformed);
    }
    let [certificate, payload, signature] = read_armor(
        text,
        REPORT_BEGIN,
        REPORT_END,
        ["certificate", "payload", "signature"],
    )
    .ok_or(ReportError::Malformed)?;
    let certificate = BASE64
        .decode(certificate)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(ReportError::Malformed)?;
    let certificate = read_certificate(&certificate, vendor).map_err(ReportError::Certificate)?;
    let bytes = BASE64.decode(payload).map_err(|_| ReportError::Malformed)?;
    let signature: [u8; 64] = BASE64
        .decode(signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(ReportError::Malformed)?;
    certificate
        .relay_key
        .verify(
            &[REPORT_DOMAIN, &bytes].concat(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| ReportError::BadSignature)?;
    let payload: ReportPayload =
        serde_json::from_slice(&bytes).map_err(|_| ReportError::Malformed)?;
    if payload.customer != certificate.payload.customer {
        return Err(ReportError::NotCovered(format!(
            "the report is for {}, the certificate for {}",
            payload.customer, certificate.payload.customer
        )));
    }
    if payload.customer_uid != certificate.payload.customer_uid {
        return Err(ReportError::NotCovered(format!(
            "the report is for customer uid {}, the certificate for {}",
            payload.customer_uid.as_deref().unwrap_or("(none)"),
            certificate
                .payload
                .customer_uid
                .as_deref()
                .unwrap_or("(none)")
        )));
    }
    for usage in &payload.licenses {
        // Signed by any of the vendor's trusted keys (after a rotation, the new one), as the
        // certificate covers (see `RelayCertificate::covers`).
        let id = usage
            .license
            .split_once('-')
            .filter(|(key, _)| vendor.keys.contains_key(*key))
            .map(|(_, id)| id)
            .ok_or_else(|| {
                ReportError::NotCovered(format!(
                    "license {} is not signed by a key trusted here",
                    usage.license
                ))
            })?;
        let listed = &certificate.payload.licenses;
        if !listed.is_empty() && !listed.iter().any(|l| l == id) {
            return Err(ReportError::NotCovered(format!(
                "license {id} is not listed in the certificate"
            )));
        }
    }
    Ok(VerifiedReport {
        certificate,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_key_base64;
    use crate::relay::{certify, CertificatePayload};

    fn vendor() -> SigningKey {
        SigningKey::from_bytes(&[1; 32])
    }
    fn relay() -> SigningKey {
        SigningKey::from_bytes(&[2; 32])
    }
    fn certificate(customer: &str, licenses: Vec<String>) -> String {
        certify(
            &CertificatePayload {
                relay_key: public_key_base64(&relay().verifying_key()),
                customer: customer.into(),
                customer_uid: None,
                licenses,
                issued_at: "2027-01-01T00:00:00Z".into(),
                not_after: None,
            },
            &vendor(),
        )
    }
    fn payload(license: &str) -> ReportPayload {
        ReportPayload {
            customer: "Acme BPO".into(),
            customer_uid: None,
            from: "2027-03-01".into(),
            to: "2027-03-31".into(),
            generated_at: "2027-04-01T00:00:00Z".into(),
            licenses: vec![LicenseUsage {
                license: license.into(),
                distinct_holders: 2,
                quarters: vec![Quarter {
                    start: 1_803_888_000,
                    peak: 2,
                    seat_seconds: 1_200,
                }],
                refusals: vec![],
            }],
        }
    }
    fn trusted() -> TrustedKeys {
        let mut keys = TrustedKeys::default();
        keys.add(vendor().verifying_key());
        keys
    }
    fn license_ref(uid: &str) -> String {
        format!("{}-{uid}", crate::key_id(&vendor().verifying_key()))
    }

    #[test]
    fn a_signed_report_reads_back_through_its_chain() {
        let p = payload(&license_ref("a1"));
        let text = sign_report(&p, &relay(), &certificate("Acme BPO", vec![]));
        let report = read_report(&text, &trusted()).unwrap();
        assert_eq!(report.payload, p);
        assert_eq!(report.certificate.relay_key, relay().verifying_key());
    }

    #[test]
    fn bad_reports_are_refused_by_name() {
        let good = sign_report(
            &payload(&license_ref("a1")),
            &relay(),
            &certificate("Acme BPO", vec![]),
        );
        // Tampered: the payload changed after signing.
        let line = good.lines().find(|l| l.starts_with("payload: ")).unwrap();
        let json = String::from_utf8(BASE64.decode(&line[9..]).unwrap()).unwrap();
        let tampered = good.replace(
            line,
            &format!("payload: {}", BASE64.encode(json.replace("1200", "9900"))),
        );
        assert_eq!(
            read_report(&tampered, &trusted()),
            Err(ReportError::BadSignature)
        );
        // Signed by another relay than the certified one.
        let other = sign_report(
            &payload(&license_ref("a1")),
            &SigningKey::from_bytes(&[3; 32]),
            &certificate("Acme BPO", vec![]),
        );
        assert_eq!(
            read_report(&other, &trusted()),
            Err(ReportError::BadSignature)
        );
        // Another vendor's key.
        let mut stranger = TrustedKeys::default();
        stranger.add(SigningKey::from_bytes(&[4; 32]).verifying_key());
        assert!(matches!(
            read_report(&good, &stranger),
            Err(ReportError::Certificate(TrustError::UnknownVendorKey(_)))
        ));
        // A customer or a license the certificate does not cover.
        let wrong_customer = sign_report(
            &payload(&license_ref("a1")),
            &relay(),
            &certificate("Globex", vec![]),
        );
        assert!(matches!(
            read_report(&wrong_customer, &trusted()),
            Err(ReportError::NotCovered(_))
        ));
        let unlisted = sign_report(
            &payload(&license_ref("a1")),
            &relay(),
            &certificate("Acme BPO", vec!["b2".into()]),
        );
        assert!(matches!(
            read_report(&unlisted, &trusted()),
            Err(ReportError::NotCovered(_))
        ));
        // Not a report at all, or too long.
        assert_eq!(
            read_report("hello", &trusted()),
            Err(ReportError::Malformed)
        );
        let long = "x".repeat(MAX_REPORT_BYTES + 1);
        assert_eq!(read_report(&long, &trusted()), Err(ReportError::Malformed));
    }
}
