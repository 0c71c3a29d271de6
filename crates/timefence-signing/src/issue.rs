//! Issuing: a catalogue license signed into a `.lic` file, marked issued and recorded in the
//! audit log, so that the command line and the app issue files the same way.
//!
//! The order makes every outcome whole: a serial is taken, the file is written under a
//! temporary name, and then one transaction marks the license issued, writes its audit entry
//! and renames the file into place, committing only when the rename worked. A failure removes
//! the temporary file and leaves the license as it was; a serial taken for a file that never
//! appeared is simply never used again.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use timefence_catalogue::{AuditEntry, Catalogue, CatalogueError, LicenseId};
use timefence_license::LicensePayload;
use timefence_terms::chrono::{DateTime, SecondsFormat, Utc};

/// Why a license could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The catalogue refused (no such license, superseded, storage).
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
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
    let temporary =
        crate::whole::write_temporary(&path, text.as_bytes()).map_err(|e| write_error(&path, e))?;
    let sha256: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let entry = AuditEntry {
        issued_at: payload.issued_at.clone(),
        license_id: record.id,
        revision: record.revision,
        key_id: signer.key_id.clone(),
        serial,
        file_sha256: sha256.clone(),
    };
    // The rename happens inside the catalogue's transaction: a rename that fails leaves no
    // issued mark and no audit entry, and a commit that fails takes the placed file away again.
    let mut placed = false;
    let recorded = catalogue.record_issued_and(&entry, || {
        std::fs::rename(&temporary, &path).map_err(|e| write_error(&path, e))?;
        placed = true;
        Ok::<(), IssueError>(())
    });
    if let Err(error) = recorded {
        let _ = std::fs::remove_file(&temporary);
        if placed {
            let _ = std::fs::remove_file(&path);
        }
        return Err(error);
    }
    Ok(Issued {
        path,
        serial,
        sha256,
        customer: owner.name,
        license: record.name,
    })
}

fn write_error(path: &Path, e: std::io::Error) -> IssueError {
    IssueError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
