use crate::{DbError, LicenseId};
use timefence_terms::InvalidTerms;

/// Everything that can go wrong with the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// No customer has that id.
    #[error("there is no customer with id {0}")]
    CustomerNotFound(i64),
    /// No license has that id.
    #[error("there is no license with id {0}")]
    LicenseNotFound(i64),
    /// The license is superseded or revoked.
    #[error("license {license} is {state} and can no longer be changed; edit its newest revision")]
    NotEditable {
        /// The license.
        license: LicenseId,
        /// Its state.
        state: String,
    },
    /// Another Timefence has the catalogue open.
    #[error(
        "the catalogue {0} is open in another Timefence window or process; close that one first"
    )]
    InUse(String),
    /// A backup file that cannot be restored.
    #[error("{path} cannot be restored: {reason}")]
    BadBackup {
        /// The file.
        path: String,
        /// Why not.
        reason: String,
    },
    /// A CSV import with bad rows; nothing was imported.
    #[error("nothing was imported: {} bad row(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Import(Vec<crate::RowProblem>),
    /// A price book that cannot be used.
    #[error("the price book is invalid: {0}")]
    InvalidPriceBook(String),
    /// No signing key has that id.
    #[error("there is no signing key {0}")]
    KeyNotFound(String),
    /// A retired key cannot sign again.
    #[error("key {0} is retired and cannot sign again; generate a new key")]
    KeyRetired(String),
    /// SQLite's integrity check found damage.
    #[error("the catalogue file is damaged: {0}")]
    Damaged(String),
    /// A license that was issued stays on record and cannot be deleted.
    #[error("{name} has been issued to the customer and stays on record; it cannot be deleted")]
    IssuedKept {
        /// The license (or, for a customer, its first issued license).
        name: String,
    },
    /// Nothing with that id is in the trash.
    #[error("there is nothing with id {0} in the trash to restore")]
    NotInTrash(i64),
    /// A name was empty.
    #[error("a name must not be empty")]
    EmptyName,
    /// A name longer than its limit.
    #[error("a {what} name has at most {max} characters")]
    NameTooLong {
        /// customer, license or product.
        what: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// A name with a line break, tab or other control character.
    #[error("a {what} name cannot contain line breaks, tabs or other control characters")]
    ControlCharacter {
        /// customer, license or product.
        what: &'static str,
    },
    /// A usage report whose days overlap one already imported for one of its licenses.
    #[error("usage of {license} from {from} to {to} is already imported; a report overlapping it would count those days twice")]
    UsageAlreadyImported {
        /// The first day of the report already kept.
        from: String,
        /// Its last day.
        to: String,
        /// The license both report (as reports name it).
        license: String,
    },
    /// No relay certificate has this id.
    #[error("there is no relay certificate with id {0}")]
    CertificateNotFound(i64),
    /// No usage report (kept or withdrawn) has this id.
    #[error("there is no usage report with id {0}")]
    UsageReportNotFound(i64),
    /// No product has this id.
    #[error("there is no product with id {0}")]
    ProductNotFound(i64),
    /// Another product has this name.
    #[error("a product named \"{0}\" already exists")]
    DuplicateProduct(String),
    /// A license names a product the catalogue does not have (a typo would otherwise be a new,
    /// unpriced product that drops out of every total).
    #[error("Product: \"{0}\" is not one of the catalogue's products; pick one, or add it as a new product first")]
    UnknownProduct(String),
    /// A license names no product.
    #[error("Product: pick the product this license is for")]
    ProductNeeded,
    /// The catalogue has no product for a license to name.
    #[error("Product: the catalogue has no product yet; add the one you sell first")]
    NoProducts,
    /// Renewing needs licenses to renew.
    #[error("there is nothing to renew: {0}")]
    NothingToRenew(String),
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
    /// A PostgreSQL database that holds no team catalogue.
    #[error(
        "{0} holds no Timefence team catalogue; its owner makes one with `timefence team init`"
    )]
    NotATeamCatalogue(String),
    /// An edit that started from a customer or license as it was before someone else saved
    /// it: nothing was written.
    #[error("{} saved this {what}{} after you started editing it; nothing of yours was saved: reapply your change to theirs", .who.as_deref().unwrap_or("someone else"), .when.as_deref().map(|w| format!(" at {w}")).unwrap_or_default())]
    EditConflict {
        /// customer or license.
        what: &'static str,
        /// Its id.
        id: i64,
        /// The saved edits the refused edit started from.
        started_from: u32,
        /// The saved edits now.
        now: u32,
        /// Who saved last (a team member's login), when the engine knows.
        who: Option<String>,
        /// When (RFC 3339), when the engine knows.
        when: Option<String>,
    },
    /// What only a catalogue file can do, asked of a team catalogue; says what to do instead.
    #[error("{0}")]
    OnlyOnAFile(&'static str),
    /// The team catalogue's server refused: the connected member's role may not do this.
    #[error("your role in this team catalogue may not do this ({0}); ask the team's owner")]
    NotAllowed(String),
    /// The team catalogue's server cannot be reached; nothing was saved.
    #[error("the team catalogue's server cannot be reached ({0}); nothing was saved")]
    ServerAway(String),
    /// The connection to the team catalogue's server was lost while a change was being saved:
    /// it may or may not have been saved.
    #[error("the connection to the team catalogue's server was lost while saving ({0}); the change may or may not have been saved: look again before repeating it")]
    SaveUncertain(String),
    /// Another member's save held this record past the server's lock wait (their app may
    /// have hung mid-save; the server ends such a session by itself): nothing was saved.
    #[error("someone else is saving this same record and has held it too long ({0}); nothing was saved: try again in a moment")]
    Busy(String),
    /// The team catalogue's server stopped a statement that ran past its limit: nothing was
    /// saved.
    #[error("the team catalogue's server took too long to answer ({0}); nothing was saved: try again in a moment")]
    TooSlow(String),
    /// The storage engine failed.
    #[error("the catalogue could not be read or written: {0}")]
    Storage(DbError),
}

impl CatalogueError {
    /// The server's uniqueness refusal (23505) as the duplicate it is: the name was checked
    /// before writing, but on a team catalogue another member may save the same name between
    /// that check and this write, and then the server's unique index is the one that says no.
    pub(crate) fn or_duplicate(
        error: DbError,
        duplicate: impl FnOnce() -> CatalogueError,
    ) -> CatalogueError {
        if error.sql_state() == Some("23505") {
            duplicate()
        } else {
            error.into()
        }
    }
}

impl From<DbError> for CatalogueError {
    fn from(error: DbError) -> CatalogueError {
        if let DbError::CommitLost(_) = error {
            return CatalogueError::SaveUncertain(error.to_string());
        }
        if error.sql_state() == Some("42501") {
            return CatalogueError::NotAllowed(error.to_string());
        }
        if error.sql_state() == Some("55P03") {
            return CatalogueError::Busy(error.to_string());
        }
        if error.sql_state() == Some("57014") {
            return CatalogueError::TooSlow(error.to_string());
        }
        if error.is_connection_lost() {
            return CatalogueError::ServerAway(error.to_string());
        }
        CatalogueError::Storage(error)
    }
}

impl From<rusqlite::Error> for CatalogueError {
    fn from(error: rusqlite::Error) -> CatalogueError {
        CatalogueError::Storage(DbError::Sqlite(error))
    }
}
