//! Enforcement in the vendor's application: a usage ledger sealed against editing, a clock
//! high-water mark against rolled-back clocks, and serials that only move forward.
//!
//! # What the offline ledger protects against, and what it cannot
//!
//! The ledger is a file on the customer's machine, sealed with an HMAC keyed from the
//! installation's secret. It holds the time used per window occurrence, the latest clock
//! reading seen and the newest serial seen per license.
//!
//! It **detects**:
//! - an edited ledger (the seal no longer matches): [`CheckError::LedgerTampered`];
//! - a clock set back by more than [`CLOCK_TOLERANCE`] while the ledger is kept:
//!   [`CheckError::ClockRollback`];
//! - with a [`Witness`] (a second store the vendor application chooses: another folder, the
//!   registry, a keychain item), a ledger deleted while its witness is kept, a ledger replaced
//!   by an older sealed copy, or a witness replaced by an older copy: each save counts up a
//!   generation kept in both places, and [`Ledger::open_witnessed`] refuses when they disagree
//!   ([`CheckError::LedgerMissing`], [`CheckError::LedgerDisagrees`], [`CheckError::WitnessMissing`]).
//!
//! It **cannot** detect a user who deletes (or rolls back) every copy together: the ledger
//! and its witness both gone look like a new installation, with no time used. Nor can it stop
//! the same license being used on two machines, each with its own ledger. Licenses that must
//! be enforced across machines, or against a user with full control of theirs, need the seat
//! server (Timefence Relay), which keeps consumption on a machine the user does not control.

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
    /// The ledger is gone while its witness says it was written before.
    #[error("the usage ledger is missing, but its witness records {generation} writes to it; put the ledger back")]
    LedgerMissing {
        /// The generation the witness holds.
        generation: u64,
    },
    /// The witness is gone while the ledger says it was kept.
    #[error("the usage ledger's witness is missing, but the ledger records {generation} writes; put the witness back")]
    WitnessMissing {
        /// The generation the ledger holds.
        generation: u64,
    },
    /// Use was recorded at an instant when no window occurrence of the license is open.
    #[error("no window of this license is open at that time, so there is no use to record")]
    NoOpenWindow,
    /// An instant outside the range the engine handles.
    #[error("{0} is not an instant this verifier handles (seconds since 1970)")]
    BadInstant(i64),
    /// Use to record was negative, or longer than any window occurrence (48 hours).
    #[error("{0} s is not a time used in one window (0 to 172800 seconds)")]
    BadUse(i64),
    /// The ledger and its witness are from different writes: one of them is an older copy.
    #[error("the usage ledger (write {ledger}) and its witness (write {witness}) disagree: one of them was replaced by an older copy")]
    LedgerDisagrees {
        /// The generation the ledger holds.
        ledger: u64,
        /// The generation the witness holds.
        witness: u64,
    },
}

impl CheckError {
    /// The reason's name (`ClockRollback`, `Superseded`, or for a file that did not verify
    /// the [`VerifyError::kind`]): the error code every binding reports.
    pub fn kind(&self) -> &'static str {
        match self {
            CheckError::Verify(e) => e.kind(),
            CheckError::ClockRollback { .. } => "ClockRollback",
            CheckError::Superseded { .. } => "Superseded",
            CheckError::FileExpired(_) => "FileExpired",
            CheckError::LedgerTampered => "LedgerTampered",
            CheckError::Io(_) => "Io",
            CheckError::LedgerMissing { .. } => "LedgerMissing",
            CheckError::WitnessMissing { .. } => "WitnessMissing",
            CheckError::NoOpenWindow => "NoOpenWindow",
            CheckError::BadUse(_) => "BadUse",
            CheckError::BadInstant(_) => "BadInstant",
            CheckError::LedgerDisagrees { .. } => "LedgerDisagrees",
        }
    }
}

/// A second place for the ledger's generation and clock high-water mark, chosen by the
/// vendor application (another folder, the registry, a keychain item), so that deleting or
/// replaying the ledger file alone is noticed. What it stores is sealed like the ledger.
pub trait Witness: std::fmt::Debug + Send {
    /// The bytes last written, or `None` when there are none yet.
    fn read(&self) -> Result<Option<Vec<u8>>, String>;
    /// Replaces the stored bytes.
    fn write(&mut self, bytes: &[u8]) -> Result<(), String>;
}

/// A [`Witness`] kept in a file (written whole: temporary name, then rename).
#[derive(Debug, Clone)]
pub struct FileWitness(pub PathBuf);

impl Witness for FileWitness {
    fn read(&self) -> Result<Option<Vec<u8>>, String> {
        match std::fs::read(&self.0) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.0.display())),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        if let Some(folder) = self.0.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        }
        let temporary = self.0.with_extension("partial");
        std::fs::write(&temporary, bytes)
            .and_then(|_| std::fs::rename(&temporary, &self.0))
            .map_err(|e| format!("{}: {e}", self.0.display()))
    }
}

/// What the witness holds: the ledger's generation and high-water mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct WitnessState {
    generation: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high_water: Option<i64>,
}

/// A [`Witness`] carried as bytes by the caller (what the C, Python and Node bindings use):
/// it starts with the bytes the caller kept (or none), and [`BytesWitness::bytes`] gives
/// what to keep after the call.
#[derive(Debug, Clone, Default)]
pub struct BytesWitness(std::sync::Arc<std::sync::Mutex<Option<Vec<u8>>>>);

impl BytesWitness {
    /// A witness holding `bytes`; empty bytes are a witness not kept yet.
    pub fn new(bytes: &[u8]) -> BytesWitness {
        BytesWitness(std::sync::Arc::new(std::sync::Mutex::new(
            (!bytes.is_empty()).then(|| bytes.to_vec()),
        )))
    }

    /// The bytes to keep (empty when nothing was ever written).
    pub fn bytes(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|b| b.clone().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Witness for BytesWitness {
    fn read(&self) -> Result<Option<Vec<u8>>, String> {
        self.0
            .lock()
            .map(|b| b.clone())
            .map_err(|_| "the witness is poisoned".to_string())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut held = self
            .0
            .lock()
            .map_err(|_| "the witness is poisoned".to_string())?;
        *held = Some(bytes.to_vec());
        Ok(())
    }
}

/// The instants the verifier decides at (seconds since 1970): from 1970-01-01 to the end of
/// 2100. License dates fall in 1970 to 2099 and a night shift opening on 2099-12-31 ends in
/// 2100; outside, every answer would be NotYetValid or Expired, and an instant far enough out
/// (a clock read in milliseconds, say) would raise the ledger's clock mark for good.
pub const INSTANTS: std::ops::Range<i64> = 0..4_133_980_800;

fn in_range(now: DateTime<Utc>) -> Result<(), CheckError> {
    if INSTANTS.contains(&now.timestamp()) {
        Ok(())
    } else {
        Err(CheckError::BadInstant(now.timestamp()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerState {
    /// How many times the ledger was saved; the witness keeps the same count. Ledgers written
    /// before there were witnesses have none, and start at 0.
    #[serde(default)]
    generation: u64,
    /// The latest instant seen, seconds since 1970; none before the first check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high_water: Option<i64>,
    /// Seconds consumed per "license identity/occurrence date" (see
    /// [`VerifiedLicense::identity`]).
    consumed: BTreeMap<String, i64>,
    /// The newest serial seen per license identity. Ledgers written before identities keyed
    /// this by the catalogue id, which JSON writes as the same string a legacy identity is.
    serials: BTreeMap<String, i64>,
}

impl LedgerState {
    /// Ledgers written before identities were the uid alone keyed a license by
    /// "signing key id:uid"; those entries move to the uid (serials: the newest; time used:
    /// added), so an upgrade keeps both, and a rotated key's files share one account.
    fn forget_signing_keys(&mut self) {
        fn without_key(key: &str) -> Option<&str> {
            let (prefix, rest) = key.split_once(':')?;
            (prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit())).then_some(rest)
        }
        if !self
            .serials
            .keys()
            .chain(self.consumed.keys())
            .any(|k| without_key(k).is_some())
        {
            return;
        }
        for (key, serial) in std::mem::take(&mut self.serials) {
            let key = without_key(&key).map_or(key.clone(), str::to_string);
            let newest = self.serials.entry(key).or_insert(serial);
            *newest = (*newest).max(serial);
        }
        for (key, used) in std::mem::take(&mut self.consumed) {
            let key = without_key(&key).map_or(key.clone(), str::to_string);
            *self.consumed.entry(key).or_insert(0) += used;
        }
    }
}

/// Consumption per window occurrence, sealed with an HMAC keyed from the installation's
/// secret. Kept in a file ([`Ledger::open`]), or carried by the caller as bytes
/// ([`Ledger::from_bytes`], [`Ledger::to_bytes`]) so that bindings and tests need no file IO.
#[derive(Debug)]
pub struct Ledger {
    /// Where the ledger is saved after each change; `None` for a ledger carried as bytes.
    path: Option<PathBuf>,
    key: [u8; 32],
    state: LedgerState,
    witness: Option<Box<dyn Witness>>,
}

const LEDGER_DOMAIN: &[u8] = b"timefence-ledger-v1\0";
const WITNESS_DOMAIN: &[u8] = b"timefence-ledger-witness-v1\0";

fn mac(key: &[u8; 32], domain: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(domain);
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// `body` and its seal as one text: the JSON body, then a `mac:` line.
fn seal(key: &[u8; 32], domain: &[u8], body: &str) -> String {
    format!("{body}\nmac: {}\n", hex(&mac(key, domain, body.as_bytes())))
}

/// The JSON body of a sealed text, when its seal is right.
fn unseal<'a>(key: &[u8; 32], domain: &[u8], text: &'a str) -> Result<&'a str, CheckError> {
    let (body, seal) = text
        .rsplit_once("\nmac: ")
        .ok_or(CheckError::LedgerTampered)?;
    let expected = hex(&mac(key, domain, body.as_bytes()));
    // Both sides are hex of fixed length; compare without an early exit.
    let seal = seal.trim();
    let same = seal.len() == expected.len()
        && seal
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(body)
    } else {
        Err(CheckError::LedgerTampered)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Ledger {
    /// Opens (or starts) the ledger at `path`, sealed with the installation's `secret`.
    pub fn open(path: &Path, secret: &[u8; 32]) -> Result<Ledger, CheckError> {
        let bytes = match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(CheckError::Io(e.to_string())),
            Ok(bytes) => bytes,
        };
        let mut ledger = Ledger::from_bytes(&bytes, secret)?;
        ledger.path = Some(path.to_path_buf());
        Ok(ledger)
    }

    /// Reads a ledger from the bytes [`Ledger::to_bytes`] gave; no bytes at all start a new
    /// one. Nothing is written anywhere: the caller keeps [`Ledger::to_bytes`] after each
    /// change.
    pub fn from_bytes(bytes: &[u8], secret: &[u8; 32]) -> Result<Ledger, CheckError> {
        if bytes.len() > MAX_LEDGER_BYTES {
            return Err(CheckError::LedgerTampered);
        }
        let state = if bytes.is_empty() {
            LedgerState::default()
        } else {
            let text = std::str::from_utf8(bytes).map_err(|_| CheckError::LedgerTampered)?;
            serde_json::from_str(unseal(secret, LEDGER_DOMAIN, text)?)
                .map_err(|_| CheckError::LedgerTampered)?
        };
        let mut state = state;
        state.forget_signing_keys();
        Ok(Ledger {
            path: None,
            key: *secret,
            state,
            witness: None,
        })
    }

    /// The sealed ledger, as [`Ledger::from_bytes`] reads it back.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The state is strings and integers; serialising it cannot fail.
        let body = serde_json::to_string(&self.state).unwrap_or_default();
        seal(&self.key, LEDGER_DOMAIN, &body).into_bytes()
    }

    /// Opens the ledger at `path` with a second store, `witness`, that keeps its generation
    /// and clock high-water mark, and refuses when the two disagree: a ledger deleted while
    /// the witness is kept, or either one put back from an older copy. A ledger made before
    /// witnesses existed (or a new installation) starts its witness.
    pub fn open_witnessed(
        path: &Path,
        secret: &[u8; 32],
        witness: Box<dyn Witness>,
    ) -> Result<Ledger, CheckError> {
        let ledger = Ledger::open(path, secret)?;
        ledger.witnessed_by(witness, !path.exists())
    }

    /// Reads a ledger carried as bytes with its witness carried as bytes too
    /// ([`BytesWitness`]), refusing as [`Ledger::open_witnessed`] does when the two disagree.
    /// Empty ledger bytes are a ledger not kept yet.
    pub fn from_bytes_witnessed(
        bytes: &[u8],
        secret: &[u8; 32],
        witness: Box<dyn Witness>,
    ) -> Result<Ledger, CheckError> {
        Ledger::from_bytes(bytes, secret)?.witnessed_by(witness, bytes.is_empty())
    }

    fn witnessed_by(
        mut self,
        witness: Box<dyn Witness>,
        ledger_absent: bool,
    ) -> Result<Ledger, CheckError> {
        let witnessed: Option<WitnessState> = match witness.read().map_err(CheckError::Io)? {
            None => None,
            Some(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| CheckError::LedgerTampered)?;
                Some(
                    serde_json::from_str(unseal(&self.key, WITNESS_DOMAIN, &text)?)
                        .map_err(|_| CheckError::LedgerTampered)?,
                )
            }
        };
        let generation = self.state.generation;
        match witnessed {
            None if generation > 0 => return Err(CheckError::WitnessMissing { generation }),
            None => {}
            Some(w) if generation == 0 && w.generation > 0 && ledger_absent => {
                return Err(CheckError::LedgerMissing {
                    generation: w.generation,
                })
            }
            // The ledger is written before its witness, so a crash between the two leaves the
            // ledger one write ahead; anything else means an older copy was put back.
            Some(w) if generation != w.generation && generation != w.generation + 1 => {
                return Err(CheckError::LedgerDisagrees {
                    ledger: generation,
                    witness: w.generation,
                })
            }
            Some(w) => self.state.high_water = self.state.high_water.max(w.high_water),
        }
        self.witness = Some(witness);
        Ok(self)
    }

    fn save(&mut self) -> Result<(), CheckError> {
        // Only a witnessed ledger counts its writes, so a ledger kept without a witness can
        // be given one later and keep its hours.
        if self.witness.is_some() {
            self.state.generation += 1;
        }
        if let Some(path) = &self.path {
            let temporary = path.with_extension("partial");
            std::fs::write(&temporary, self.to_bytes())
                .and_then(|_| std::fs::rename(&temporary, path))
                .map_err(|e| CheckError::Io(e.to_string()))?;
        }
        if let Some(witness) = self.witness.as_mut() {
            let body = serde_json::to_string(&WitnessState {
                generation: self.state.generation,
                high_water: self.state.high_water,
            })
            .map_err(|e| CheckError::Io(e.to_string()))?;
            witness
                .write(seal(&self.key, WITNESS_DOMAIN, &body).as_bytes())
                .map_err(CheckError::Io)?;
        }
        Ok(())
    }

    fn occurrence_key(
        license: &VerifiedLicense,
        date: timefence_terms::chrono::NaiveDate,
    ) -> String {
        format!("{}/{date}", license.identity())
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

    /// Records `used` time against the window occurrence open at `now`: what an application
    /// calls after a [`check`] that allowed use, with the time it then used.
    pub fn record_use_at(
        &mut self,
        license: &VerifiedLicense,
        now: DateTime<Utc>,
        used: TimeDelta,
    ) -> Result<(), CheckError> {
        in_range(now)?;
        if used < TimeDelta::zero() || used > TimeDelta::hours(48) {
            return Err(CheckError::BadUse(used.num_seconds()));
        }
        let occurrence = license
            .terms
            .occurrence_at(now)
            .ok_or(CheckError::NoOpenWindow)?;
        self.record_use(license, occurrence.date, used)
    }
}

/// The largest ledger [`Ledger::from_bytes`] reads (16 MiB): a year of daily entries for
/// thousands of licenses fits many times over, and a larger one is not a ledger.
pub const MAX_LEDGER_BYTES: usize = 16 << 20;

/// Decides whether a verified license may be used `now`: the clock must not have gone back,
/// no newer serial of the same license may have been used here, the file must not have
/// expired, and then the engine decides with the consumption the ledger holds.
pub fn check(
    license: &VerifiedLicense,
    now: DateTime<Utc>,
    ledger: &mut Ledger,
) -> Result<Decision, CheckError> {
    in_range(now)?;
    // An empty ledger has seen no time yet: nothing to have gone back from.
    if let Some(high_water) = ledger
        .state
        .high_water
        .and_then(|h| DateTime::from_timestamp(h, 0))
    {
        if now < high_water - CLOCK_TOLERANCE {
            return Err(CheckError::ClockRollback { now, high_water });
        }
    }
    let payload = &license.payload;
    let identity = license.identity();
    let newest = ledger
        .state
        .serials
        .get(&identity)
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
    ledger.state.high_water = ledger.state.high_water.max(Some(now.timestamp()));
    ledger
        .state
        .serials
        .insert(identity, payload.serial.max(newest));
    let consumed = license
        .terms
        .occurrence_at(now)
        .map_or(TimeDelta::zero(), |o| ledger.consumed(license, o.date));
    ledger.save()?;
    Ok(evaluate(&license.terms, now, consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_keyed_by_signing_key_and_uid_moves_to_the_uid_and_keeps_its_counts() {
        let secret = [9u8; 32];
        let uid = "0123456789abcdef0123456789abcdef";
        // As a ledger written before identities were the uid alone: one license used under
        // two signing keys (a rotation), and a file without a uid keyed by its catalogue id.
        let body = format!(
            r#"{{"generation":0,"high_water":1718182800,"consumed":{{"aaaaaaaaaaaaaaaa:{uid}/2024-06-12":3600,"bbbbbbbbbbbbbbbb:{uid}/2024-06-12":600,"42/2024-06-12":60}},"serials":{{"aaaaaaaaaaaaaaaa:{uid}":1,"bbbbbbbbbbbbbbbb:{uid}":2,"42":5}}}}"#
        );
        let bytes = seal(&secret, LEDGER_DOMAIN, &body).into_bytes();
        let ledger = Ledger::from_bytes(&bytes, &secret).unwrap();
        assert_eq!(ledger.state.serials.get(uid), Some(&2));
        assert_eq!(ledger.state.serials.get("42"), Some(&5));
        assert_eq!(
            ledger.state.consumed.get(&format!("{uid}/2024-06-12")),
            Some(&4200)
        );
        assert_eq!(ledger.state.consumed.get("42/2024-06-12"), Some(&60));
        assert_eq!(ledger.state.consumed.len(), 2);
        assert_eq!(ledger.state.high_water, Some(1718182800));
    }
}
