//! Issuing: a catalogue license signed into a `.lic` file, marked issued and recorded in the
//! audit log, so that the command line and the app issue files the same way.
//!
//! The order makes every outcome whole: a serial is taken, the file is written under a
//! temporary name, the license is marked issued with its audit entry in one transaction, and
//! only then is the file renamed into place. A failure before the rename removes the temporary
//! file; a serial taken for a file that never appeared is simply never used again.

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::io::Write;
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

/// A file name from a customer's and a license's names and the serial:
/// `Northwind-BPO-L1-India-7.lic`.
pub fn file_name(customer: &str, license: &str, serial: i64) -> String {
    let clean = |text: &str| -> String {
        let dashed: String = text
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        dashed
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    format!("{}-{}-{serial}.lic", clean(customer), clean(license))
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
    let record = catalogue.license(id)?;
    if !matches!(
        record.state,
        timefence_catalogue::LicenseState::Draft | timefence_catalogue::LicenseState::Issued
    ) {
        return Err(CatalogueError::NotEditable {
            license: id,
            state: format!("{:?}", record.state).to_lowercase(),
        }
        .into());
    }
    let owner = catalogue.customer(record.customer_id)?;
    let serial = catalogue.take_serial()?;
    let payload = LicensePayload {
        license_id: record.id,
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
        Destination::Folder(folder) => folder.join(file_name(&owner.name, &record.name, serial)),
    };
    let temporary = write_temporary(&path, text.as_bytes())?;
    let sha256: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let recorded = catalogue.record_issued(&AuditEntry {
        issued_at: payload.issued_at.clone(),
        license_id: record.id,
        revision: record.revision,
        key_id: signer.key_id.clone(),
        serial,
        file_sha256: sha256.clone(),
    });
    if let Err(error) = recorded {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.into());
    }
    std::fs::rename(&temporary, &path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        write_error(&path, e)
    })?;
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

/// Writes `bytes` beside `path` under a hidden temporary name and returns that name.
fn write_temporary(path: &Path, bytes: &[u8]) -> Result<PathBuf, IssueError> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("license.lic");
    let temporary = folder.join(format!(".{name}.part"));
    let written = (|| {
        std::fs::create_dir_all(folder)?;
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        write_error(path, e)
    })?;
    Ok(temporary)
}
