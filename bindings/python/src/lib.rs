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
//!
//! Every argument is checked here rather than by PyO3's conversions, so a wrong type or None
//! is `TimefenceError` with code `BadInput` (not `TypeError`), an int outside 1970 to 2100 is
//! `BadInstant`, and no panic reaches Python as a `PanicException` (one would be the code
//! `Panic`).
#![deny(missing_docs)]

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyInt, PyString};
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

fn bad_input(message: String) -> PyErr {
    error("BadInput", message)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An int argument (not a bool, a float or None); one too large for 64 bits is `overflow`.
fn int_arg(value: &Bound<'_, PyAny>, what: &str, overflow: &str) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(bad_input(format!(
            "{what} must be an int, not {}",
            type_name(value)
        )));
    }
    value
        .extract::<i64>()
        .map_err(|_| error(overflow, format!("{what} {value} is out of range")))
}

/// A bytes (or bytearray) argument.
fn bytes_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.downcast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = value.downcast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    Err(bad_input(format!(
        "{what} must be bytes, not {}",
        type_name(value)
    )))
}

fn str_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match value.downcast::<PyString>() {
        Ok(s) => s.extract::<String>(),
        Err(_) => Err(bad_input(format!(
            "{what} must be a str, not {}",
            type_name(value)
        ))),
    }
}

fn license_arg<'a>(value: &'a Bound<'_, PyAny>) -> PyResult<&'a Bound<'a, License>> {
    value.downcast::<License>().map_err(|_| {
        bad_input(format!(
            "license must be a timefence.License, not {}",
            type_name(value)
        ))
    })
}

fn secret(value: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    let bytes = bytes_arg(value, "secret")?;
    bytes.as_slice().try_into().map_err(|_| {
        bad_input(format!(
            "the ledger secret is {} bytes; it must be 32",
            bytes.len()
        ))
    })
}

/// Runs `body`; a panic inside (a bug) becomes the code `Panic` rather than a
/// `PanicException`, which `except Exception` would not catch.
fn guarded<T>(body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(error(
            "Panic",
            "an internal error was caught; nothing was changed".into(),
        ))
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
    fn new(keys: &Bound<'_, PyAny>) -> PyResult<Verifier> {
        if keys.is_instance_of::<PyString>() {
            return Err(bad_input("keys must be a list of str, not one str".into()));
        }
        let keys: Vec<String> = keys
            .try_iter()
            .map_err(|_| {
                bad_input(format!(
                    "keys must be a list of str, not {}",
                    type_name(keys)
                ))
            })?
            .map(|key| str_arg(&key?, "each key"))
            .collect::<PyResult<_>>()?;
        guarded(|| {
            Ok(Verifier {
                keys: portable::trusted_keys(&keys).map_err(verify_error)?,
            })
        })
    }

    /// Verifies a license file's text.
    fn verify(&self, text: &Bound<'_, PyAny>) -> PyResult<License> {
        let text = str_arg(text, "text")?;
        guarded(|| {
            timefence_license::verify(&text, &self.keys)
                .map(|license| License { license })
                .map_err(verify_error)
        })
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
fn verify(verifier: &Bound<'_, PyAny>, text: &Bound<'_, PyAny>) -> PyResult<License> {
    let verifier = verifier.downcast::<Verifier>().map_err(|_| {
        bad_input(format!(
            "verifier must be a timefence.Verifier, not {}",
            type_name(verifier)
        ))
    })?;
    verifier.get().verify(text)
}

/// The signed payload of `license` as JSON.
#[pyfunction]
fn describe(license: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(license_arg(license)?.get().describe())
}

/// May `license` be used at `now` (seconds since 1970)? Returns the verdict and the ledger to
/// keep; on an error, keep the old ledger.
#[pyfunction]
fn check<'py>(
    py: Python<'py>,
    license: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
    ledger: &Bound<'py, PyAny>,
    secret: &Bound<'py, PyAny>,
) -> PyResult<(Verdict, Bound<'py, PyBytes>)> {
    let license = license_arg(license)?;
    let now = int_arg(now, "now", "BadInstant")?;
    let ledger = bytes_arg(ledger, "ledger")?;
    let secret = self::secret(secret)?;
    let (verdict, next) = guarded(|| {
        portable::check(&license.get().license, now, &ledger, &secret).map_err(check_error)
    })?;
    Ok((verdict.into(), PyBytes::new(py, &next)))
}

/// Records `seconds` of use against the window open at `now`; returns the ledger to keep.
#[pyfunction]
fn record_use<'py>(
    py: Python<'py>,
    license: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
    seconds: &Bound<'py, PyAny>,
    ledger: &Bound<'py, PyAny>,
    secret: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let license = license_arg(license)?;
    let now = int_arg(now, "now", "BadInstant")?;
    let seconds = int_arg(seconds, "seconds", "BadUse")?;
    let ledger = bytes_arg(ledger, "ledger")?;
    let secret = self::secret(secret)?;
    let next = guarded(|| {
        portable::record_use(&license.get().license, now, seconds, &ledger, &secret)
            .map_err(check_error)
    })?;
    Ok(PyBytes::new(py, &next))
}

/// `check` with the ledger's witness beside it (kept somewhere else: another folder, the
/// registry, a keychain item); returns the verdict, the ledger and the witness to keep.
/// A ledger or witness lost or put back from an older copy is refused.
#[pyfunction]
fn check_witnessed<'py>(
    py: Python<'py>,
    license: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
    ledger: &Bound<'py, PyAny>,
    witness: &Bound<'py, PyAny>,
    secret: &Bound<'py, PyAny>,
) -> PyResult<(Verdict, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let license = license_arg(license)?;
    let now = int_arg(now, "now", "BadInstant")?;
    let ledger = bytes_arg(ledger, "ledger")?;
    let witness = bytes_arg(witness, "witness")?;
    let secret = self::secret(secret)?;
    let (verdict, next, next_witness) = guarded(|| {
        portable::check_witnessed(&license.get().license, now, &ledger, &witness, &secret)
            .map_err(check_error)
    })?;
    Ok((
        verdict.into(),
        PyBytes::new(py, &next),
        PyBytes::new(py, &next_witness),
    ))
}

/// `record_use` with the ledger's witness beside it; returns the ledger and the witness to
/// keep.
#[pyfunction]
fn record_use_witnessed<'py>(
    py: Python<'py>,
    license: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
    seconds: &Bound<'py, PyAny>,
    ledger: &Bound<'py, PyAny>,
    witness: &Bound<'py, PyAny>,
    secret: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let license = license_arg(license)?;
    let now = int_arg(now, "now", "BadInstant")?;
    let seconds = int_arg(seconds, "seconds", "BadUse")?;
    let ledger = bytes_arg(ledger, "ledger")?;
    let witness = bytes_arg(witness, "witness")?;
    let secret = self::secret(secret)?;
    let (next, next_witness) = guarded(|| {
        portable::record_use_witnessed(
            &license.get().license,
            now,
            seconds,
            &ledger,
            &witness,
            &secret,
        )
        .map_err(check_error)
    })?;
    Ok((PyBytes::new(py, &next), PyBytes::new(py, &next_witness)))
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
    m.add_function(wrap_pyfunction!(check_witnessed, m)?)?;
    m.add_function(wrap_pyfunction!(record_use_witnessed, m)?)?;
    m.add_function(wrap_pyfunction!(tzdata_version, m)?)?;
    m.add_function(wrap_pyfunction!(abi_version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
