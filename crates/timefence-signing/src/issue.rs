//! Issuing: a catalogue license signed into a `.lic` file, marked issued and recorded in the
//! audit log, so that the command line and the app issue files the same way.
//!
//! The order never loses the customer's previous file and never leaves a signed file the audit
//! log does not know:
//! 1. a serial is taken and the catalogue notes the file about to be written
//!    ([`Catalogue::begin_issuing`]);
//! 2. the file is written, synced, under a temporary name beside its place;
//! 3. one transaction marks the license issued and writes its audit entry;
//! 4. only then is the file renamed into place (replacing an older file there), and the note
//!    goes.
//!
//! A failure before 3 commits removes the temporary file: the license and any file already at
//! the destination stay as they were. A rename that fails after 3 leaves the license issued and
//! the new file under its temporary name, and says where. A program that stops between two
//! steps leaves the note behind, and [`recover`] (run when the app or the command line opens a
//! catalogue) finishes the rename or removes the orphaned temporary file, and reports it.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use timefence_catalogue::{AuditEntry, Catalogue, CatalogueError, FileBeingIssued, LicenseId};
use timefence_license::LicensePayload;
use timefence_terms::chrono::{DateTime, SecondsFormat, Utc};

/// Why a license could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The catalogue refused (no such license, superseded, storage).
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The license is issued and recorded, but its file could not be put in place: it is whole
    /// under its temporary name, and the next start puts it in place.
    #[error("serial {serial} is issued, but {path} could not be replaced ({reason}); the signed file is at {temporary}, and will be put in place the next time the catalogue is opened")]
    NotPlaced {
        /// The serial issued.
        serial: i64,
        /// Where the signed file is.
        temporary: String,
        /// Where it should go.
        path: String,
        /// Why it could not.
        reason: String,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// Where.
        path: String,
        /// Why not.
        reason: String,
    },
}

/// An unlocked key, ready to sign.
pub struct Signer {
    /// Its key id.
    pub key_id: String,
    /// The private key, only in memory.
    pub key: SigningKey,
}

/// A file that was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// Where it was written.
    pub path: PathBuf,
    /// Its serial.
    pub serial: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The customer's name.
    pub customer: String,
    /// The license's name.
    pub license: String,
}

/// Where a file goes: a path chosen for one file, or a folder for many.
#[derive(Debug, Clone)]
pub enum Destination<'a> {
    /// Exactly this file.
    File(&'a Path),
    /// A file named after the customer, license and serial in this folder.
    Folder(&'a Path),
}

/// The longest stem a customer's or a license's name gives a file name, in characters.
pub const MAX_STEM_CHARS: usize = 40;

/// A name made of letters and digits joined by single dashes, for file names:
/// `Northwind BPO` becomes `Northwind-BPO`. Long names are cut at a word to
/// [`MAX_STEM_CHARS`], so a file name stays short enough for every file system.
pub fn file_stem(text: &str) -> String {
    let mut stem = String::new();
    for part in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
    {
        let extra = usize::from(!stem.is_empty()) + part.chars().count();
        if stem.chars().count() + extra > MAX_STEM_CHARS {
            if stem.is_empty() {
                stem = part.chars().take(MAX_STEM_CHARS).collect();
            }
            break;
        }
        if !stem.is_empty() {
            stem.push('-');
        }
        stem.push_str(part);
    }
    if stem.is_empty() {
        "license".to_string()
    } else {
        stem
    }
}

/// A license file's name from its customer's and license's names and, once it has one, its
/// serial: `Northwind-BPO-L1-India-7.lic`, or `Northwind-BPO-L1-India.lic` before signing.
pub fn file_name(customer: &str, license: &str, serial: Option<i64>) -> String {
    let stem = format!("{}-{}", file_stem(customer), file_stem(license));
    match serial {
        Some(serial) => format!("{stem}-{serial}.lic"),
        None => format!("{stem}.lic"),
    }
}

/// Signs license `id` of the catalogue with `signer` into `destination`, marks it issued and
/// records it in the audit log.
pub fn issue(
    catalogue: &mut Catalogue,
    signer: &Signer,
    id: LicenseId,
    destination: Destination<'_>,
    not_after: Option<String>,
    now: DateTime<Utc>,
) -> Result<Issued, IssueError> {
    issue_watched(
        catalogue,
        signer,
        id,
        destination,
        not_after,
        now,
        &mut |_, _| Flow::Go,
    )
}

/// [`issue`], calling `watch` after each step; when it answers [`Flow::Stop`], issuing stops
/// there as a program killed there would (nothing cleaned up). For the tests of each order of
/// failure and of [`recover`]: between steps a test can change the catalogue (delete the
/// license, as another window could) or take the temporary file away, so the next step fails
/// for real.
#[doc(hidden)]
pub fn issue_watched(
    catalogue: &mut Catalogue,
    signer: &Signer,
    id: LicenseId,
    destination: Destination<'_>,
    not_after: Option<String>,
    now: DateTime<Utc>,
    watch: &mut dyn FnMut(Step, &mut Catalogue) -> Flow,
) -> Result<Issued, IssueError> {
    // Whether the license may be issued (not superseded or revoked) is the catalogue's rule,
    // checked by `record_issued` before the file takes its name.
    let record = catalogue.license(id)?;
    let owner = catalogue.customer(record.customer_id)?;
    let serial = catalogue.take_serial()?;
    let payload = LicensePayload {
        license_id: record.id,
        uid: Some(record.uid.clone()),
        revision: record.revision,
        customer: owner.name.clone(),
        customer_uid: Some(owner.uid.clone()),
        name: record.name.clone(),
        issued_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        serial,
        not_after,
        terms: record.terms.to_spec(),
    };
    let text = timefence_license::sign(
        &payload,
        &signer.key,
        &format!(
            "{} / {}, revision {}, serial {serial}",
            payload.customer, payload.name, payload.revision
        ),
    );
    let path = match destination {
        Destination::File(path) => path.to_path_buf(),
        Destination::Folder(folder) => {
            folder.join(file_name(&owner.name, &record.name, Some(serial)))
        }
    };
    let sha256: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let temporary = crate::whole::temporary_name(&path, serial);
    let entry = AuditEntry {
        issued_at: payload.issued_at.clone(),
        license_id: record.id,
        revision: record.revision,
        key_id: signer.key_id.clone(),
        serial,
        file_sha256: sha256.clone(),
    };
    catalogue.begin_issuing(&FileBeingIssued {
        serial,
        license_id: record.id,
        temporary: temporary.display().to_string(),
        destination: path.display().to_string(),
        file_sha256: sha256.clone(),
        recorded: false,
    })?;
    let give_up = |catalogue: &mut Catalogue| {
        let _ = std::fs::remove_file(&temporary);
        let _ = catalogue.end_issuing(serial);
    };
    if let Err(e) = crate::whole::write_to(&temporary, text.as_bytes()) {
        give_up(catalogue);
        return Err(write_error(&path, e));
    }
    if watch(Step::Written, catalogue) == Flow::Stop {
        return Err(interrupted());
    }
    // Committed before the file takes its place: a failure here leaves the file already at
    // the destination (the customer's previous one) untouched.
    // Recorded only if nobody saved the license since it was read for signing.
    if let Err(e) = catalogue.record_issued_from(&entry, record.edits) {
        give_up(catalogue);
        return Err(e.into());
    }
    if watch(Step::Recorded, catalogue) == Flow::Stop {
        return Err(interrupted());
    }
    if let Err(e) = std::fs::rename(&temporary, &path) {
        // The license is issued and audited; the file is whole under its temporary name, and
        // the note stays so the next start puts it in place.
        return Err(IssueError::NotPlaced {
            serial,
            temporary: temporary.display().to_string(),
            path: path.display().to_string(),
            reason: e.to_string(),
        });
    }
    // Nothing is lost if this fails: the next start finds the file in place and drops the note.
    let _ = catalogue.end_issuing(serial);
    Ok(Issued {
        path,
        serial,
        sha256,
        customer: owner.name,
        license: record.name,
    })
}

/// A step of issuing, as [`issue_watched`] reports it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The temporary file is written; the catalogue has not committed.
    Written,
    /// The catalogue committed; the file is not renamed into place yet.
    Recorded,
}

/// Whether [`issue_watched`] goes on after a step.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Go,
    /// Stop here, as a killed program would.
    Stop,
}

fn interrupted() -> IssueError {
    IssueError::Write {
        path: String::new(),
        reason: "interrupted".into(),
    }
}

/// What [`recover`] did with a signing that stopped part way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The catalogue never recorded it: the orphaned temporary file was removed, and no file
    /// was issued (serial unused).
    Abandoned {
        /// The serial it would have had.
        serial: i64,
        /// The temporary file removed (if it was there).
        temporary: String,
    },
    /// Recorded as issued, and now in place (the rename was finished).
    Placed {
        /// Its serial.
        serial: i64,
        /// Where it is now.
        path: String,
    },
    /// Recorded as issued, but neither the file nor its temporary copy is there (or either
    /// differs from what was signed): sign the license again.
    Missing {
        /// Its serial.
        serial: i64,
        /// Where it should have been.
        path: String,
    },
}

impl std::fmt::Display for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovered::Abandoned { serial, temporary } => write!(
                f,
                "A signing stopped before it was recorded: serial {serial} was not issued, and its unfinished file {temporary} was removed."
            ),
            Recovered::Placed { serial, path } => write!(
                f,
                "A signing stopped after it was recorded: the file of serial {serial} is now in place at {path}."
            ),
            Recovered::Missing { serial, path } => write!(
                f,
                "Serial {serial} is recorded as issued, but its file {path} is missing: sign the license again."
            ),
        }
    }
}

fn holds(path: &Path, sha256: &str) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            == sha256
    })
}

/// Finishes or cleans up every signing that stopped part way (see the module's overview), and
/// says what it did; nothing when every signing finished. Run when a catalogue is opened.
pub fn recover(catalogue: &mut Catalogue) -> Result<Vec<Recovered>, CatalogueError> {
    let mut done = Vec::new();
    for file in catalogue.files_being_issued()? {
        let (temporary, path) = (Path::new(&file.temporary), Path::new(&file.destination));
        let outcome = if !file.recorded {
            let _ = std::fs::remove_file(temporary);
            Some(Recovered::Abandoned {
                serial: file.serial,
                temporary: file.temporary.clone(),
            })
        } else if holds(path, &file.file_sha256) {
            // It was placed; only the note was left.
            None
        } else if holds(temporary, &file.file_sha256) && std::fs::rename(temporary, path).is_ok() {
            Some(Recovered::Placed {
                serial: file.serial,
                path: file.destination.clone(),
            })
        } else {
            Some(Recovered::Missing {
                serial: file.serial,
                path: file.destination.clone(),
            })
        };
        catalogue.end_issuing(file.serial)?;
        done.extend(outcome);
    }
    Ok(done)
}

fn write_error(path: &Path, e: std::io::Error) -> IssueError {
    IssueError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
