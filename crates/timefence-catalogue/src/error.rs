use crate::LicenseId;
use timefence_terms::InvalidTerms;

/// Everything that can go wrong with the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// No customer has that id.
    #[error("there is no customer with id {0}")]
    CustomerNotFound(i64),
    /// A name was empty.
    #[error("a name must not be empty")]
    EmptyName,
    /// Another customer already has that name.
    #[error("a customer named \"{0}\" already exists")]
    DuplicateCustomer(String),
    /// A zone name that is not in the IANA database.
    #[error("\"{0}\" is not an IANA time zone name")]
    UnknownZone(String),
    /// The terms did not validate.
    #[error("{0}")]
    InvalidTerms(#[from] InvalidTerms),
    /// The file was written by a newer Timefence.
    #[error("the catalogue was written by a newer Timefence (schema version {found}; this version knows up to {known}); update Timefence to open it")]
    NewerSchema {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A stored license no longer reads as valid terms.
    #[error("license {license} in the catalogue is damaged: {reason}")]
    Corrupt {
        /// The damaged row.
        license: LicenseId,
        /// What is wrong with it.
        reason: String,
    },
    /// The file or its folder cannot be reached.
    #[error("cannot open the catalogue at {path}: {reason}")]
    Unreachable {
        /// Where.
        path: String,
        /// Why.
        reason: String,
    },
    /// SQLite failed.
    #[error("the catalogue could not be read or written: {0}")]
    Storage(#[from] rusqlite::Error),
}
