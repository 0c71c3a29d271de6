//! # timefence-node: the Timefence verifier for Node.js and Electron
//!
//! napi-rs over [`timefence_license::portable`], the surface the C and Python bindings wrap
//! too: the same functions (`verify`, `describe`, `check`, `record_use`), the same verdict
//! fields, and the same error codes, as the thrown `Error`'s `code`.
#![deny(missing_docs)]

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use timefence_license::portable::{self, Verdict as PortableVerdict};
use timefence_license::{CheckError, TrustedKeys, VerifiedLicense, VerifyError};

/// An error code every binding shares; napi-rs puts it on the thrown error's `code`.
#[derive(Debug)]
pub struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

type Result<T> = napi::Result<T, Code>;

fn verify_error(e: VerifyError) -> napi::Error<Code> {
    napi::Error::new(Code(e.kind()), e.to_string())
}

fn check_error(e: CheckError) -> napi::Error<Code> {
    napi::Error::new(Code(e.kind()), e.to_string())
}

fn secret(bytes: &[u8]) -> Result<[u8; 32]> {
    bytes.try_into().map_err(|_| {
        napi::Error::new(
            Code("BadInput"),
            format!("the ledger secret is {} bytes; it must be 32", bytes.len()),
        )
    })
}

/// Trusted vendor keys.
#[napi]
pub struct Verifier {
    keys: TrustedKeys,
}

#[napi]
impl Verifier {
    /// Trusts `keys`, each PEM or base64 of its 32 bytes.
    #[napi(constructor)]
    pub fn new(keys: Vec<String>) -> Result<Verifier> {
        Ok(Verifier {
            keys: portable::trusted_keys(&keys).map_err(verify_error)?,
        })
    }

    /// Verifies a license file's text.
    #[napi]
    pub fn verify(&self, text: String) -> Result<License> {
        timefence_license::verify(&text, &self.keys)
            .map(|license| License { license })
            .map_err(verify_error)
    }
}

/// A license file that verified.
#[napi]
pub struct License {
    license: VerifiedLicense,
}

#[napi]
impl License {
    /// The signed payload as JSON, with `key_id` and `identity`.
    #[napi]
    pub fn describe(&self) -> String {
        portable::describe(&self.license)
    }

    /// The license's 128-bit id in hex, or null for a file issued before ids.
    #[napi(getter)]
    pub fn uid(&self) -> Option<String> {
        self.license.payload.uid.clone()
    }

    /// The file's serial.
    #[napi(getter)]
    pub fn serial(&self) -> i64 {
        self.license.payload.serial
    }

    /// The id of the key that signed it.
    #[napi(getter, js_name = "key_id")]
    pub fn key_id(&self) -> String {
        self.license.key_id.clone()
    }
}

/// The answer to "may the license be used now?" (instants in seconds since 1970).
#[napi(object)]
pub struct Verdict {
    /// Whether it may.
    pub allowed: bool,
    /// Why not; null when allowed.
    pub reason: Option<String>,
    /// When use must stop.
    #[napi(js_name = "closes_at")]
    pub closes_at: Option<i64>,
    /// Consumption left in this window occurrence, in seconds.
    #[napi(js_name = "remaining_seconds")]
    pub remaining_seconds: Option<i64>,
    /// When a window opens next.
    #[napi(js_name = "next_opening")]
    pub next_opening: Option<i64>,
}

impl From<PortableVerdict> for Verdict {
    fn from(v: PortableVerdict) -> Verdict {
        Verdict {
            allowed: v.allowed,
            reason: v.reason,
            closes_at: v.closes_at,
            remaining_seconds: v.remaining_seconds,
            next_opening: v.next_opening,
        }
    }
}

/// A verdict and the ledger to keep.
#[napi(object)]
pub struct Checked {
    /// The answer.
    pub verdict: Verdict,
    /// The ledger to keep for the next call.
    pub ledger: Buffer,
}

/// Verifies `text` against `verifier`'s keys (the same as `verifier.verify(text)`).
#[napi]
pub fn verify(verifier: &Verifier, text: String) -> Result<License> {
    verifier.verify(text)
}

/// The signed payload of `license` as JSON.
#[napi]
pub fn describe(license: &License) -> String {
    license.describe()
}

/// May `license` be used at `now` (seconds since 1970)? On an error keep the old ledger.
/// (`index.js` checks the arguments' types first, so NaN, a float or null is `BadInput`
/// rather than napi's conversion to 0.)
#[napi(catch_unwind)]
pub fn check(license: &License, now: i64, ledger: Buffer, secret: Buffer) -> Result<Checked> {
    let secret = self::secret(&secret)?;
    let (verdict, next) =
        portable::check(&license.license, now, &ledger, &secret).map_err(check_error)?;
    Ok(Checked {
        verdict: verdict.into(),
        ledger: next.into(),
    })
}

/// Records `seconds` of use against the window open at `now`; returns the ledger to keep.
#[napi(js_name = "record_use", catch_unwind)]
pub fn record_use(
    license: &License,
    now: i64,
    seconds: i64,
    ledger: Buffer,
    secret: Buffer,
) -> Result<Buffer> {
    let secret = self::secret(&secret)?;
    portable::record_use(&license.license, now, seconds, &ledger, &secret)
        .map(Buffer::from)
        .map_err(check_error)
}

/// A verdict, and the ledger and its witness to keep.
#[napi(object)]
pub struct CheckedWitnessed {
    /// The answer.
    pub verdict: Verdict,
    /// The ledger to keep for the next call.
    pub ledger: Buffer,
    /// The witness to keep (somewhere other than the ledger) for the next call.
    pub witness: Buffer,
}

/// The ledger and its witness to keep.
#[napi(object)]
pub struct Kept {
    /// The ledger to keep for the next call.
    pub ledger: Buffer,
    /// The witness to keep (somewhere other than the ledger) for the next call.
    pub witness: Buffer,
}

/// `check` with the ledger's witness beside it: a ledger or witness lost or put back from an
/// older copy is refused (`LedgerMissing`, `WitnessMissing`, `LedgerDisagrees`).
#[napi(js_name = "check_witnessed", catch_unwind)]
pub fn check_witnessed(
    license: &License,
    now: i64,
    ledger: Buffer,
    witness: Buffer,
    secret: Buffer,
) -> Result<CheckedWitnessed> {
    let secret = self::secret(&secret)?;
    let (verdict, next, next_witness) =
        portable::check_witnessed(&license.license, now, &ledger, &witness, &secret)
            .map_err(check_error)?;
    Ok(CheckedWitnessed {
        verdict: verdict.into(),
        ledger: next.into(),
        witness: next_witness.into(),
    })
}

/// `record_use` with the ledger's witness beside it.
#[napi(js_name = "record_use_witnessed", catch_unwind)]
pub fn record_use_witnessed(
    license: &License,
    now: i64,
    seconds: i64,
    ledger: Buffer,
    witness: Buffer,
    secret: Buffer,
) -> Result<Kept> {
    let secret = self::secret(&secret)?;
    let (next, next_witness) =
        portable::record_use_witnessed(&license.license, now, seconds, &ledger, &witness, &secret)
            .map_err(check_error)?;
    Ok(Kept {
        ledger: next.into(),
        witness: next_witness.into(),
    })
}

/// The IANA time zone database release the windows follow.
#[napi(js_name = "tzdata_version")]
pub fn tzdata_version() -> String {
    timefence_license::tzdata_version().to_string()
}

/// The version of the verifier's surface.
#[napi(js_name = "abi_version")]
pub fn abi_version() -> u32 {
    portable::ABI_VERSION
}
