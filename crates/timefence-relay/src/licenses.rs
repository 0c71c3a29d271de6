//! The licenses a relay serves: every `.lic` file in its folder that verifies against the
//! vendor's trusted keys. The folder is read again when it changes; a file with a newer serial
//! replaces an older one of the same license, and an older file never replaces a newer one.

use crate::model::Millis;
use chrono::DateTime;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use timefence_license::relay::license_ref;
use timefence_license::{verify, TrustedKeys};
use timefence_terms::Terms;

/// The largest license file read, in bytes.
pub const MAX_LICENSE_FILE: u64 = 256 * 1024;

/// One license as the relay serves it.
#[derive(Debug, Clone)]
pub struct ServedLicense {
    /// `<key id>-<license id>`: the name in URLs, leases and the database.
    pub reference: String,
    /// The license's identity (its uid) across the vendor's keys: files of one identity are
    /// one license, of which the newest serial is served.
    pub identity: String,
    /// The customer, as the file names it.
    pub customer: String,
    /// The license's name.
    pub name: String,
    /// The file's serial.
    pub serial: i64,
    /// The engine's terms.
    pub terms: Terms,
    /// The file's own end, if it has one.
    pub not_after: Option<Millis>,
    /// Where the file is.
    pub path: PathBuf,
}

/// A file in the folder that is not served, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why (a verification error, or "superseded by serial N").
    pub reason: String,
}

/// What a reading of the folder found.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// By reference.
    pub licenses: BTreeMap<String, Arc<ServedLicense>>,
    /// Files not served.
    pub skipped: Vec<Skipped>,
}

/// A fingerprint of the folder (names, sizes, modification times), to notice changes cheaply.
pub fn fingerprint(folder: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut seen: Vec<_> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    seen.sort();
    seen
}

/// Reads the folder. `previous` keeps a newer serial in service when its file was replaced
/// by an older one.
pub fn load(folder: &Path, trusted: &TrustedKeys, previous: Option<&Served>) -> Served {
    let mut served = Served::default();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "lic"))
        .collect();
    paths.sort();
    // A license is its uid, whichever of the vendor's keys signed its file: after a key
    // rotation, serial 2 signed with the new key supersedes serial 1 signed with the old one.
    let mut by_identity: std::collections::HashMap<String, String> = Default::default();
    for path in paths {
        match read_one(&path, trusted) {
            Ok(license) => {
                let license = Arc::new(license);
                if let Some(other) = by_identity
                    .get(&license.identity)
                    .filter(|r| **r != license.reference)
                    .and_then(|r| served.licenses.get(r))
                    .cloned()
                {
                    if other.serial >= license.serial {
                        served.skipped.push(Skipped {
                            path,
                            reason: format!("superseded by serial {}", other.serial),
                        });
                        continue;
                    }
                    served.skipped.push(Skipped {
                        path: other.path.clone(),
                        reason: format!("superseded by serial {}", license.serial),
                    });
                    served.licenses.remove(&other.reference);
                }
                by_identity.insert(license.identity.clone(), license.reference.clone());
                match served.licenses.get(&license.reference) {
                    Some(kept) if kept.serial >= license.serial => {
                        served.skipped.push(Skipped {
                            path,
                            reason: format!("superseded by serial {}", kept.serial),
                        });
                    }
                    Some(kept) => {
                        served.skipped.push(Skipped {
                            path: kept.path.clone(),
                            reason: format!("superseded by serial {}", license.serial),
                        });
                        served.licenses.insert(license.reference.clone(), license);
                    }
                    None => {
                        served.licenses.insert(license.reference.clone(), license);
                    }
                }
            }
            Err(reason) => served.skipped.push(Skipped { path, reason }),
        }
    }
    if let Some(previous) = previous {
        // A serial, once served, is never replaced by an older one, even if the newer file
        // was overwritten by an older copy. A license whose files are all gone stops.
        for (reference, old) in &previous.licenses {
            let older = served
                .licenses
                .values()
                .find(|now| now.identity == old.identity && now.serial < old.serial)
                .cloned();
            if let Some(older) = older {
                served.skipped.push(Skipped {
                    path: older.path.clone(),
                    reason: format!("superseded by serial {}", old.serial),
                });
                served.licenses.remove(&older.reference);
                served.licenses.insert(reference.clone(), old.clone());
            }
        }
    }
    served
}

fn read_one(path: &Path, trusted: &TrustedKeys) -> Result<ServedLicense, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_LICENSE_FILE {
        return Err(format!("larger than {MAX_LICENSE_FILE} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let license = verify(&text, trusted).map_err(|e| format!("{} ({})", e, e.kind()))?;
    let not_after = match &license.payload.not_after {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| format!("its not_after \"{text}\" is not a time"))?
                .timestamp_millis(),
        ),
        None => None,
    };
    Ok(ServedLicense {
        reference: license_ref(&license),
        identity: license.identity(),
        customer: license.payload.customer.clone(),
        name: license.payload.name.clone(),
        serial: license.payload.serial,
        terms: license.terms,
        not_after,
        path: path.to_path_buf(),
    })
}
