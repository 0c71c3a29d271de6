//! The verifier's portable surface: what the C, Python and Node bindings expose, in plain
//! values (text, bytes, integers) so that every binding is a thin shell over the same code
//! and reports the same error codes.
//!
//! - [`trusted_keys`] reads public keys as PEM or base64.
//! - [`verify`](crate::verify) checks a file; [`describe`] gives its payload as JSON.
//! - [`check`] asks "may it be used now?" with the ledger as bytes in and out, and `now`
//!   always passed in (seconds since 1970, UTC), so nothing reads a clock or a file.
//! - [`record_use`] records time used against the window open at `now`.
//! - [`check_witnessed`] and [`record_use_witnessed`] do the same with the ledger's witness
//!   carried beside it as bytes (kept by the application somewhere else: another folder, the
//!   registry, a keychain item), so a ledger put back from an older copy is noticed.
//! - `now` must lie in [`INSTANTS`](crate::INSTANTS) (1970 to the end of 2100), or the answer
//!   is `BadInstant`.
//!
//! Errors are [`CheckError`]; [`CheckError::kind`] is the code every binding returns
//! (`BadSignature`, `UnknownKey`, `ClockRollback`, `Superseded`, `FileExpired`, ...).
//! Decisions are [`Verdict`]s, whose `reason` is the engine's [`DenyReason`] name.

use crate::{
    parse_public_key, BytesWitness, CheckError, Ledger, TrustedKeys, VerifiedLicense, VerifyError,
};
use serde::{Deserialize, Serialize};
use timefence_terms::chrono::{DateTime, TimeDelta, Utc};
use timefence_terms::{Decision, DenyReason};

/// The version of this surface (and of the C ABI built on it). It grows when a function's
/// meaning changes, so a program can refuse a library it was not written for.
pub const ABI_VERSION: u32 = 2;

/// A decision as the bindings return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the license may be used now.
    pub allowed: bool,
    /// Why not: `NotYetValid`, `Expired`, `WeekdayExcluded`, `OutsideWindow` or
    /// `ConsumptionExhausted`; `None` when allowed.
    pub reason: Option<String>,
    /// When use must stop (seconds since 1970): the window's close, or the limit running out.
    pub closes_at: Option<i64>,
    /// Consumption left in this window occurrence, in seconds; `None` without a daily limit.
    pub remaining_seconds: Option<i64>,
    /// When a window opens next (seconds since 1970), when denied; `None` when none ever will.
    pub next_opening: Option<i64>,
}

/// The name of a deny reason, as error codes and verdicts spell it.
pub fn reason_name(reason: DenyReason) -> &'static str {
    match reason {
        DenyReason::NotYetValid => "NotYetValid",
        DenyReason::Expired => "Expired",
        DenyReason::WeekdayExcluded => "WeekdayExcluded",
        DenyReason::OutsideWindow => "OutsideWindow",
        DenyReason::ConsumptionExhausted => "ConsumptionExhausted",
    }
}

impl From<&Decision> for Verdict {
    fn from(decision: &Decision) -> Verdict {
        match decision {
            Decision::Allowed {
                closes_at,
                remaining,
                ..
            } => Verdict {
                allowed: true,
                reason: None,
                closes_at: Some(closes_at.timestamp()),
                remaining_seconds: remaining.map(|r| r.num_seconds()),
                next_opening: None,
            },
            Decision::Denied {
                reason,
                next_opening,
            } => Verdict {
                allowed: false,
                reason: Some(reason_name(*reason).to_string()),
                closes_at: None,
                remaining_seconds: None,
                next_opening: next_opening.map(|t| t.timestamp()),
            },
        }
    }
}

/// The most keys one verifier trusts at once; more is a mistake, not a key ring.
pub const MAX_TRUSTED_KEYS: usize = 64;

/// Reads trusted public keys, each PEM (as `timefence key export` writes it) or base64 of
/// its 32 bytes. One that is neither is `BadKey`, and then none are trusted.
pub fn trusted_keys<S: AsRef<str>>(keys: &[S]) -> Result<TrustedKeys, VerifyError> {
    if keys.len() > MAX_TRUSTED_KEYS {
        return Err(VerifyError::BadKey);
    }
    let mut trusted = TrustedKeys::default();
    for key in keys {
        trusted.add(parse_public_key(key.as_ref()).ok_or(VerifyError::BadKey)?);
    }
    Ok(trusted)
}

/// What a verified file says, as JSON: the signed payload, plus the signing key id and the
/// identity the ledger keys it by.
pub fn describe(license: &VerifiedLicense) -> String {
    let mut value = serde_json::to_value(&license.payload).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("key_id".into(), license.key_id.clone().into());
        object.insert("identity".into(), license.identity().into());
    }
    value.to_string()
}

/// Reads a ledger secret given as 64 hex digits.
pub fn secret_from_hex(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut secret = [0u8; 32];
    for (i, byte) in secret.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(secret)
}

fn instant(now: i64) -> Result<DateTime<Utc>, CheckError> {
    if !crate::INSTANTS.contains(&now) {
        return Err(CheckError::BadInstant(now));
    }
    DateTime::from_timestamp(now, 0).ok_or(CheckError::BadInstant(now))
}

/// May `license` be used at `now` (seconds since 1970)? `ledger` is what the last call gave
/// back (empty for a new installation); the answer comes with the ledger to keep. On an error
/// the old ledger stays the one to keep.
pub fn check(
    license: &VerifiedLicense,
    now: i64,
    ledger: &[u8],
    secret: &[u8; 32],
) -> Result<(Verdict, Vec<u8>), CheckError> {
    let mut open = Ledger::from_bytes(ledger, secret)?;
    let decision = crate::check(license, instant(now)?, &mut open)?;
    Ok((Verdict::from(&decision), open.to_bytes()))
}

/// Records `seconds` of use against the window occurrence open at `now`, and gives back the
/// ledger to keep.
pub fn record_use(
    license: &VerifiedLicense,
    now: i64,
    seconds: i64,
    ledger: &[u8],
    secret: &[u8; 32],
) -> Result<Vec<u8>, CheckError> {
    let mut open = Ledger::from_bytes(ledger, secret)?;
    // Out of TimeDelta's range is as wrong as out of a window's; record_use_at says which.
    let used = TimeDelta::try_seconds(seconds).ok_or(CheckError::BadUse(seconds))?;
    open.record_use_at(license, instant(now)?, used)?;
    Ok(open.to_bytes())
}

/// [`check`] with the ledger's witness carried beside it: `witness` is what the last call
/// gave back (empty for a new installation). Answers the verdict, the ledger to keep and the
/// witness to keep; `LedgerMissing`, `WitnessMissing` or `LedgerDisagrees` when one of the two
/// was lost or put back from an older copy.
pub fn check_witnessed(
    license: &VerifiedLicense,
    now: i64,
    ledger: &[u8],
    witness: &[u8],
    secret: &[u8; 32],
) -> Result<(Verdict, Vec<u8>, Vec<u8>), CheckError> {
    let kept = BytesWitness::new(witness);
    let mut open = Ledger::from_bytes_witnessed(ledger, secret, Box::new(kept.clone()))?;
    let decision = crate::check(license, instant(now)?, &mut open)?;
    Ok((Verdict::from(&decision), open.to_bytes(), kept.bytes()))
}

/// [`record_use`] with the ledger's witness carried beside it; answers the ledger and the
/// witness to keep.
pub fn record_use_witnessed(
    license: &VerifiedLicense,
    now: i64,
    seconds: i64,
    ledger: &[u8],
    witness: &[u8],
    secret: &[u8; 32],
) -> Result<(Vec<u8>, Vec<u8>), CheckError> {
    let kept = BytesWitness::new(witness);
    let mut open = Ledger::from_bytes_witnessed(ledger, secret, Box::new(kept.clone()))?;
    let used = TimeDelta::try_seconds(seconds).ok_or(CheckError::BadUse(seconds))?;
    open.record_use_at(license, instant(now)?, used)?;
    Ok((open.to_bytes(), kept.bytes()))
}
