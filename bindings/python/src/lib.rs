//! # timefence-python: the Timefence verifier for Python
//!
//! A PyO3 module over [`timefence_license::portable`], the surface the C and Node bindings
//! wrap too: the same functions (`verify`, `describe`, `check`, `record_use`), the same
//! verdict fields and the same error codes, carried by `TimefenceError.code`.
//!
//! ```python
//! import timefence
//! verifier = timefence.Verifier([public_key_pem])
//! license = verifier.verify(open("acme.lic").read())
//! verdict, ledger = timefence.check(license, int(time.time()), ledger, secret)
//! ```
#![deny(missing_docs)]

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use timefence_license::portable::{self, Verdict as PortableVerdict};
use timefence_license::{CheckError, TrustedKeys, VerifiedLicense, VerifyError};

create_exception!(
    timefence,
    TimefenceError,
    PyException,
    "A refusal: `code` names it (BadSignature, ClockRollback, ...), the message says it."
);

fn error(code: &str, message: String) -> PyErr {
    Python::with_gil(|py| {
        let err = TimefenceError::new_err(message);
        // The code is the same string in every binding; an attribute a caller can branch on.
        let _ = err.value(py).setattr("code", code);
        err
    })
}

fn verify_error(e: VerifyError) -> PyErr {
    error(e.kind(), e.to_string())
}

fn check_error(e: CheckError) -> PyErr {
    error(e.kind(), e.to_string())
}

fn secret(bytes: &[u8]) -> PyResult<[u8; 32]> {
    bytes.try_into().map_err(|_| {
        error(
            "BadInput",
            format!("the ledger secret is {} bytes; it must be 32", bytes.len()),
        )
    })
}

/// Trusted vendor keys.
#[pyclass(frozen, module = "timefence")]
struct Verifier {
    keys: TrustedKeys,
}

#[pymethods]
impl Verifier {
    /// Trusts `keys`, each PEM or base64 of its 32 bytes.
    #[new]
    fn new(keys: Vec<String>) -> PyResult<Verifier> {
        Ok(Verifier {
            keys: portable::trusted_keys(&keys).map_err(verify_error)?,
        })
    }

    /// Verifies a license file's text.
    fn verify(&self, text: &str) -> PyResult<License> {
        timefence_license::verify(text, &self.keys)
            .map(|license| License { license })
            .map_err(verify_error)
    }
}

/// A license file that verified.
#[pyclass(frozen, module = "timefence")]
struct License {
    license: VerifiedLicense,
}

#[pymethods]
impl License {
    /// The signed payload as JSON, with `key_id` and `identity`.
    fn describe(&self) -> String {
        portable::describe(&self.license)
    }

    /// The license's 128-bit id in hex, or None for a file issued before ids.
    #[getter]
    fn uid(&self) -> Option<String> {
        self.license.payload.uid.clone()
    }

    /// The file's serial.
    #[getter]
    fn serial(&self) -> i64 {
        self.license.payload.serial
    }

    /// The id of the key that signed it.
    #[getter]
    fn key_id(&self) -> String {
        self.license.key_id.clone()
    }
}

/// The answer to "may the license be used now?".
#[pyclass(frozen, get_all, module = "timefence")]
struct Verdict {
    allowed: bool,
    reason: Option<String>,
    closes_at: Option<i64>,
    remaining_seconds: Option<i64>,
    next_opening: Option<i64>,
}

#[pymethods]
impl Verdict {
    fn __repr__(&self) -> String {
        format!(
            "Verdict(allowed={}, reason={:?}, closes_at={:?}, remaining_seconds={:?}, next_opening={:?})",
            self.allowed, self.reason, self.closes_at, self.remaining_seconds, self.next_opening
        )
    }
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

/// Verifies `text` against `verifier`'s keys (the same as `verifier.verify(text)`).
#[pyfunction]
fn verify(verifier: &Verifier, text: &str) -> PyResult<License> {
    verifier.verify(text)
}

/// The signed payload of `license` as JSON.
#[pyfunction]
fn describe(license: &License) -> String {
    license.describe()
}

/// May `license` be used at `now` (seconds since 1970)? Returns the verdict and the ledger to
/// keep; on an error, keep the old ledger.
#[pyfunction]
fn check<'py>(
    py: Python<'py>,
    license: &License,
    now: i64,
    ledger: &[u8],
    secret: &[u8],
) -> PyResult<(Verdict, Bound<'py, PyBytes>)> {
    let secret = self::secret(secret)?;
    let (verdict, next) =
        portable::check(&license.license, now, ledger, &secret).map_err(check_error)?;
    Ok((verdict.into(), PyBytes::new(py, &next)))
}

/// Records `seconds` of use against the window open at `now`; returns the ledger to keep.
#[pyfunction]
fn record_use<'py>(
    py: Python<'py>,
    license: &License,
    now: i64,
    seconds: i64,
    ledger: &[u8],
    secret: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let secret = self::secret(secret)?;
    let next = portable::record_use(&license.license, now, seconds, ledger, &secret)
        .map_err(check_error)?;
    Ok(PyBytes::new(py, &next))
}

/// The IANA time zone database release the windows follow.
#[pyfunction]
fn tzdata_version() -> &'static str {
    timefence_license::tzdata_version()
}

/// The version of the verifier's surface.
#[pyfunction]
fn abi_version() -> u32 {
    portable::ABI_VERSION
}

#[pymodule(name = "timefence")]
fn timefence_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Verifier>()?;
    m.add_class::<License>()?;
    m.add_class::<Verdict>()?;
    m.add("TimefenceError", m.py().get_type::<TimefenceError>())?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(describe, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(record_use, m)?)?;
    m.add_function(wrap_pyfunction!(tzdata_version, m)?)?;
    m.add_function(wrap_pyfunction!(abi_version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
