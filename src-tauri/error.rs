//! The one error type every command returns; the UI branches on its `type`.

use serde::Serialize;
use timefence_catalogue::CatalogueError;

/// One problem with one field of a form, from the engine's validation.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct FieldProblem {
    /// The field (`daily_start_time`, `seats`, ...).
    pub field: String,
    /// What an administrator should read.
    pub message: String,
}

/// One bad row of a CSV import.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RowProblemView {
    /// `customers` or `licenses`.
    pub file: String,
    /// Line in the file (the header is line 1).
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error, Serialize, specta::Type)]
#[serde(tag = "type", content = "data")]
pub enum AppError {
    /// The catalogue could not be opened at start-up; nothing can be read or saved.
    #[error("the catalogue is unavailable: {0}")]
    CatalogueUnavailable(String),
    /// The thing asked for does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// An argument was not understood (a date, a zone).
    #[error("{message}")]
    InvalidInput {
        /// Which argument.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A usage report was refused (tampered, an uncertified relay, another customer...);
    /// nothing was imported. `reason` is the code: BadSignature, UncertifiedRelay,
    /// NotCovered, UnknownCustomer, Malformed.
    #[error("{message}")]
    UsageRefused {
        /// The code.
        reason: String,
        /// What an administrator should read.
        message: String,
    },
    /// The terms did not validate; one entry per problem.
    #[error("the terms are invalid")]
    InvalidTerms(Vec<FieldProblem>),
    /// A name clash or another rule of the catalogue.
    #[error("{0}")]
    Conflict(String),
    /// A CSV import had bad rows; nothing was imported.
    #[error("nothing was imported: {} bad row(s)", .0.len())]
    ImportRejected(Vec<RowProblemView>),
    /// A file chosen for restore is not a usable backup.
    #[error("{0}")]
    BadBackup(String),
    /// The catalogue file failed, or an exported file could not be written.
    #[error("{0}")]
    Storage(String),
    /// The administrator closed the save dialog without choosing a file.
    #[error("nothing was saved")]
    Cancelled,
    /// Signing needs the passphrase of this key (none is held, or it expired).
    #[error("the passphrase of key {0} is needed to sign")]
    PassphraseNeeded(String),
    /// A team catalogue's server refused: the connected member's role may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// A team catalogue's server cannot be reached; nothing was saved.
    #[error("{0}")]
    ServerAway(String),
    /// Someone else saved this customer or license after the edit started; nothing was
    /// saved, and the window shows theirs beside the edit to reapply.
    #[error("{message}")]
    EditConflict {
        /// The sentence to show.
        message: String,
        /// Who saved it (a team member's login), when the catalogue knows.
        who: Option<String>,
        /// When (RFC 3339), when the catalogue knows.
        when: Option<String>,
    },
}

impl From<timefence_terms::InvalidTerms> for AppError {
    fn from(invalid: timefence_terms::InvalidTerms) -> AppError {
        AppError::InvalidTerms(
            invalid
                .problems
                .iter()
                .map(|p| FieldProblem {
                    field: serde_json::to_value(p.field())
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    message: p.to_string(),
                })
                .collect(),
        )
    }
}

impl From<CatalogueError> for AppError {
    fn from(error: CatalogueError) -> AppError {
        match error {
            CatalogueError::CustomerNotFound(_) | CatalogueError::LicenseNotFound(_) => {
                AppError::NotFound(error.to_string())
            }
            CatalogueError::Import(problems) => AppError::ImportRejected(
                problems
                    .iter()
                    .map(|p| RowProblemView {
                        file: p.file.to_string(),
                        line: u32::try_from(p.line).unwrap_or(u32::MAX),
                        message: p.message.clone(),
                    })
                    .collect(),
            ),
            CatalogueError::BadBackup { .. } => AppError::BadBackup(error.to_string()),
            CatalogueError::InvalidTerms(invalid) => invalid.into(),
            CatalogueError::NameTooLong { .. } | CatalogueError::ControlCharacter { .. } => {
                AppError::InvalidInput {
                    field: "name".into(),
                    message: error.to_string(),
                }
            }
            CatalogueError::InvalidPriceBook(message) => AppError::InvalidInput {
                field: "price".into(),
                message,
            },
            CatalogueError::ProductNotFound(_) => AppError::NotFound(error.to_string()),
            CatalogueError::UnknownProduct(_)
            | CatalogueError::ProductNeeded
            | CatalogueError::NoProducts => AppError::InvalidInput {
                field: "product".into(),
                message: error.to_string(),
            },
            CatalogueError::EmptyName
            | CatalogueError::DuplicateCustomer(_)
            | CatalogueError::DuplicateProduct(_)
            | CatalogueError::NothingToRenew(_)
            | CatalogueError::UnknownZone(_)
            | CatalogueError::NotEditable { .. }
            | CatalogueError::IssuedKept { .. }
            | CatalogueError::KeyRetired(_)
            | CatalogueError::UsageAlreadyImported { .. }
            | CatalogueError::Busy(_) => AppError::Conflict(error.to_string()),
            CatalogueError::KeyNotFound(_)
            | CatalogueError::NotInTrash(_)
            | CatalogueError::UsageReportNotFound(_)
            | CatalogueError::CertificateNotFound(_) => AppError::NotFound(error.to_string()),
            CatalogueError::NewerSchema { .. }
            | CatalogueError::Unreachable { .. }
            | CatalogueError::NotATeamCatalogue(_)
            | CatalogueError::InUse(_) => AppError::CatalogueUnavailable(error.to_string()),
            CatalogueError::NotAllowed(_) => AppError::NotAllowed(error.to_string()),
            CatalogueError::EditConflict {
                ref who, ref when, ..
            } => AppError::EditConflict {
                who: who.clone(),
                when: when.clone(),
                message: error.to_string(),
            },
            CatalogueError::ServerAway(_)
            | CatalogueError::SaveUncertain(_)
            | CatalogueError::TooSlow(_) => AppError::ServerAway(error.to_string()),
            CatalogueError::OnlyOnAFile(_) => AppError::Conflict(error.to_string()),
            CatalogueError::Corrupt { .. }
            | CatalogueError::Damaged(_)
            | CatalogueError::Storage(_) => AppError::Storage(error.to_string()),
        }
    }
}
