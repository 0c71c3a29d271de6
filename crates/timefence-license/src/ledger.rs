//! Enforcement in the vendor's application: a usage ledger sealed against editing, a clock
//! high-water mark against rolled-back clocks, and serials that only move forward.

use crate::{VerifiedLicense, VerifyError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use timefence_terms::chrono::{DateTime, TimeDelta, Utc};
use timefence_terms::{evaluate, Decision};

/// How far the clock may go back (time zone fixes, NTP steps) before it counts as rolled back.
pub const CLOCK_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// Why a license may not be checked or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The file did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The clock is earlier than a time already seen, by more than the tolerance.
    #[error("the clock reads {now}, earlier than {high_water} already seen; set the clock right")]
    ClockRollback {
        /// What the clock says.
        now: DateTime<Utc>,
        /// The latest time seen.
        high_water: DateTime<Utc>,
    },
    /// A newer file for the same license has been used here.
    #[error("this file (serial {serial}) is superseded by serial {newer} of the same license")]
    Superseded {
        /// This file's serial.
        serial: i64,
        /// The newest serial seen.
        newer: i64,
    },
    /// The file's own not-after has passed.
    #[error("this license file expired at {0}")]
    FileExpired(String),
    /// The ledger file was edited or damaged.
    #[error("the usage ledger was changed outside this application")]
    LedgerTampered,
    /// The ledger cannot be read or written.
    #[error("the usage ledger cannot be read or written: {0}")]
    Io(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerState {
    /// The latest instant seen, seconds since 1970.
    high_water: i64,
    /// Seconds consumed per "license id/occurrence date".
    consumed: BTreeMap<String, i64>,
    /// The newest serial seen per license id.
    serials: BTreeMap<i64, i64>,
}

/// Consumption per window occurrence, kept in a file sealed with an HMAC keyed from the
/// installation's secret.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    key: [u8; 32],
    state: LedgerState,
}

fn mac(key: &[u8; 32], body: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(b"timefence-ledger-v1\0");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Ledger {
    /// Opens (or starts) the ledger at `path`, sealed with the installation's `secret`.
    pub fn open(path: &Path, secret: &[u8; 32]) -> Result<Ledger, CheckError> {
        let state = match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerState::default(),
            Err(e) => return Err(CheckError::Io(e.to_string())),
            Ok(text) => {
                let (body, seal) = text
                    .rsplit_once("\nmac: ")
                    .ok_or(CheckError::LedgerTampered)?;
                let expected = hex(&mac(secret, body.as_bytes()));
                // Both sides are hex of fixed length; compare without an early exit.
                let seal = seal.trim();
                let same = seal.len() == expected.len()
                    && seal
                        .bytes()
                        .zip(expected.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0;
                if !same {
                    return Err(CheckError::LedgerTampered);
                }
                serde_json::from_str(body).map_err(|_| CheckError::LedgerTampered)?
            }
        };
        Ok(Ledger {
            path: path.to_path_buf(),
            key: *secret,
            state,
        })
    }

    fn save(&self) -> Result<(), CheckError> {
        let body = serde_json::to_string(&self.state).map_err(|e| CheckError::Io(e.to_string()))?;
        let text = format!("{body}\nmac: {}\n", hex(&mac(&self.key, body.as_bytes())));
        let temporary = self.path.with_extension("partial");
        std::fs::write(&temporary, text)
            .and_then(|_| std::fs::rename(&temporary, &self.path))
            .map_err(|e| CheckError::Io(e.to_string()))
    }

    fn occurrence_key(
        license: &VerifiedLicense,
        date: timefence_terms::chrono::NaiveDate,
    ) -> String {
        format!("{}/{date}", license.payload.license_id)
    }

    /// Time used in the occurrence opening on `date`.
    pub fn consumed(
        &self,
        license: &VerifiedLicense,
        date: timefence_terms::chrono::NaiveDate,
    ) -> TimeDelta {
        TimeDelta::seconds(
            self.state
                .consumed
                .get(&Self::occurrence_key(license, date))
                .copied()
                .unwrap_or(0),
        )
    }

    /// Records `used` time against the occurrence opening on `date`, and saves.
    pub fn record_use(
        &mut self,
        license: &VerifiedLicense,
        date: timefence_terms::chrono::NaiveDate,
        used: TimeDelta,
    ) -> Result<(), CheckError> {
        *self
            .state
            .consumed
            .entry(Self::occurrence_key(license, date))
            .or_insert(0) += used.num_seconds().max(0);
        self.save()
    }
}

/// Decides whether a verified license may be used `now`: the clock must not have gone back,
/// no newer serial of the same license may have been used here, the file must not have
/// expired, and then the engine decides with the consumption the ledger holds.
pub fn check(
    license: &VerifiedLicense,
    now: DateTime<Utc>,
    ledger: &mut Ledger,
) -> Result<Decision, CheckError> {
    let high_water = DateTime::from_timestamp(ledger.state.high_water, 0).unwrap_or(now);
    if now < high_water - CLOCK_TOLERANCE {
        return Err(CheckError::ClockRollback { now, high_water });
    }
    let payload = &license.payload;
    let newest = ledger
        .state
        .serials
        .get(&payload.license_id)
        .copied()
        .unwrap_or(i64::MIN);
    if newest > payload.serial {
        return Err(CheckError::Superseded {
            serial: payload.serial,
            newer: newest,
        });
    }
    if let Some(not_after) = &payload.not_after {
        let expiry = DateTime::parse_from_rfc3339(not_after)
            .map_err(|_| VerifyError::MalformedPayload(format!("not_after \"{not_after}\"")))?;
        if now > expiry {
            return Err(CheckError::FileExpired(not_after.clone()));
        }
    }
    ledger.state.high_water = ledger.state.high_water.max(now.timestamp());
    ledger
        .state
        .serials
        .insert(payload.license_id, payload.serial.max(newest));
    let consumed = license
        .terms
        .occurrence_at(now)
        .map_or(TimeDelta::zero(), |o| ledger.consumed(license, o.date));
    ledger.save()?;
    Ok(evaluate(&license.terms, now, consumed))
}
