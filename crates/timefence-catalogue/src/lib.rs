//! # timefence-catalogue: customers and shift licenses in one SQLite file
//!
//! The catalogue is the administrator's work: customers, their licenses and the terms of each.
//! It is one SQLite file (WAL journal, foreign keys on) whose schema is brought up to date by
//! numbered migrations when it is opened ([`Catalogue::open`]). Every change that touches
//! more than one row runs in one transaction, and terms are validated by the engine
//! (`timefence-terms`) before anything is written, so a bad input saves nothing.
//!
//! ```
//! use timefence_catalogue::{Catalogue, FirstRun};
//! let dir = tempfile::tempdir().unwrap();
//! let opened = Catalogue::open(&dir.path().join("catalogue.sqlite"), FirstRun::SeedDemo).unwrap();
//! assert!(opened.created);
//! let customers = opened.catalogue.list_customers().unwrap();
//! assert!(customers.iter().any(|c| c.name == "Northwind BPO" && c.license_count == 3));
//! ```
#![deny(missing_docs)]

mod csv_io;
mod db;
mod demo;
mod error;
mod generate;
mod products;
mod records;
mod renew;
mod schema;
mod search;
pub mod server;
mod trash;
mod usage;

pub use csv_io::{ImportReport, RowProblem};
pub use products::{PriceRevision, PriceSchedules, Product, ProductId, MAX_PRODUCT_NAME};
pub use records::{
    AuditEntry, AuditRow, FileBeingIssued, KeyStatus, RelayCertificateRecord, SigningKeyRecord,
};
pub use renew::MAX_EXPIRING_DAYS;
pub use schema::{POSTGRES_SCHEMA, POSTGRES_SCHEMA_VERSION};
pub use search::{LicenseHit, Page, SearchResults};
pub use timefence_terms::Rounding;
pub use usage::{NewUsageReport, StoredUsageReport};

pub use db::{DbError, Engine};
pub use error::CatalogueError;

use db::{params, Db, OptionalExtension, Row};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use timefence_terms::{Terms, TermsSpec, Weekdays};

/// A customer's row id.
pub type CustomerId = i64;
/// A license's row id.
pub type LicenseId = i64;

/// What to do when [`Catalogue::open`] creates a new, empty catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRun {
    /// Leave it empty.
    Empty,
    /// Fill it with the brief's examples, dated in the brief's 2024: the BPO and one customer
    /// per case (what the tests and benchmarks start from).
    SeedDemo,
    /// Fill it with the same examples dated in the given year.
    DemoOf(i32),
    /// Fill it with the same examples valid for twelve months from the first day of the given
    /// date's month, so that they are live on the day the demo is opened and none is expiring.
    DemoFrom(chrono::NaiveDate),
}

/// The result of [`Catalogue::open`].
#[derive(Debug)]
pub struct Opened {
    /// The open catalogue.
    pub catalogue: Catalogue,
    /// Whether this open created the schema (the file was new or empty).
    pub created: bool,
}

/// What a member of a team catalogue may do, as the server's grants decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRole {
    /// Reads, previews costs and forecasts, checks files.
    Viewer,
    /// Also changes customers, licenses, products and prices.
    Editor,
    /// Also records issued files (a viewer who signs).
    Signer,
    /// Everything: members and roles, the key registry, the trash.
    Owner,
}

impl TeamRole {
    /// The role's name (`viewer`, `editor`, `signer`, `owner`).
    pub fn name(self) -> &'static str {
        match self {
            TeamRole::Viewer => "viewer",
            TeamRole::Editor => "editor",
            TeamRole::Signer => "signer",
            TeamRole::Owner => "owner",
        }
    }

    /// Whether it may change customers, licenses, products and prices.
    pub fn may_edit(self) -> bool {
        matches!(self, TeamRole::Editor | TeamRole::Owner)
    }

    /// Whether it may issue (sign and record) files.
    pub fn may_sign(self) -> bool {
        matches!(self, TeamRole::Signer | TeamRole::Owner)
    }
}

/// Who a connection to a team catalogue is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// Their PostgreSQL login.
    pub login: String,
    /// Their role.
    pub role: TeamRole,
}

/// A customer as the sidebar lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// Row id.
    pub id: CustomerId,
    /// Its global identity (128 random bits in hex), kept across renames: what files,
    /// relay certificates and usage reports match it by.
    pub uid: String,
    /// Name.
    pub name: String,
    /// The zone new licenses default to.
    pub default_zone: String,
    /// How many licenses the customer has.
    pub license_count: u32,
    /// How many edits of its name or zone were saved: what an edit says it started from
    /// ([`Catalogue::update_customer_from`]).
    pub edits: u32,
}

/// A new customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCustomer {
    /// Name, unique without regard to case.
    pub name: String,
    /// Contact (name, e-mail).
    pub contact: String,
    /// Country.
    pub country: String,
    /// Default IANA zone for the customer's licenses.
    pub default_zone: String,
    /// Notes.
    pub notes: String,
}

/// Where a license is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseState {
    /// Being prepared; never issued.
    Draft,
    /// Issued to the customer.
    Issued,
    /// Replaced by a newer revision.
    Superseded,
    /// Withdrawn.
    Revoked,
}

impl LicenseState {
    /// The state's name as the catalogue stores it (`draft`, `issued`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseState::Draft => "draft",
            LicenseState::Issued => "issued",
            LicenseState::Superseded => "superseded",
            LicenseState::Revoked => "revoked",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<LicenseState> {
        Some(match text {
            "draft" => LicenseState::Draft,
            "issued" => LicenseState::Issued,
            "superseded" => LicenseState::Superseded,
            "revoked" => LicenseState::Revoked,
            _ => return None,
        })
    }
}

/// A license with its validated terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    /// Row id.
    pub id: LicenseId,
    /// The customer it belongs to.
    pub customer_id: CustomerId,
    /// Its name (e.g. "L1 India").
    pub name: String,
    /// The terms.
    pub terms: Terms,
    /// Where it is in its life.
    pub state: LicenseState,
    /// Revision, from 1.
    pub revision: u32,
    /// The id of its first revision: a license keeps it across renames and revisions, so its
    /// place and colour on the timeline stay put.
    pub origin: LicenseId,
    /// Its global identity: 128 random bits in lowercase hex, kept across revisions and
    /// carried in its files, so verifiers never confuse it with another catalogue's license.
    pub uid: String,
    /// How many edits of this revision were saved: what an edit says it started from
    /// ([`Catalogue::update_license_from`]).
    pub edits: u32,
}

/// An open catalogue.
#[derive(Debug)]
pub struct Catalogue {
    conn: Db,
}

impl Catalogue {
    /// Opens (or creates) the catalogue at `path` and brings its schema up to date.
    pub fn open(path: &Path, first_run: FirstRun) -> Result<Opened, CatalogueError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CatalogueError::Unreachable {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        let conn = Connection::open(path)?;
        // One writer: the first Timefence to open a catalogue holds it until it closes, so a
        // second one is refused at once instead of interleaving its edits.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| in_use_or(e, path))?;
        conn.busy_timeout(std::time::Duration::from_millis(250))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| in_use_or(e, path))?;
        Catalogue::prepare(conn, first_run).map_err(|e| match e {
            CatalogueError::Storage(DbError::Sqlite(inner)) => in_use_or(inner, path),
            other => other,
        })
    }

    /// Connects to a team catalogue on PostgreSQL (`postgres://member@host/db`, with
    /// `?sslmode=verify-full&sslrootcert=CA.pem` for TLS). The catalogue must have been made
    /// by `timefence team init` at this build's schema version; the member's role decides
    /// what the server lets this connection do.
    pub fn connect(url: &str) -> Result<Catalogue, CatalogueError> {
        let unreachable = |reason: String| CatalogueError::Unreachable {
            path: redacted(url),
            reason,
        };
        let client = match db::connect_postgres(url) {
            Ok(client) => client,
            Err(db::ConnectError::Tls(reason)) => return Err(unreachable(reason)),
            Err(db::ConnectError::Db(error)) => return Err(unreachable(error.to_string())),
        };
        let conn = Db::postgres(url, client);
        let made: bool = conn.query_row(
            "SELECT to_regclass('public.team_meta') IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        let version: Option<String> = if made {
            conn.query_row(
                "SELECT value FROM team_meta WHERE key = 'version'",
                [],
                |r| r.get(0),
            )
            .optional()?
        } else {
            None
        };
        let Some(found) = version.and_then(|v| v.parse::<i64>().ok()) else {
            return Err(CatalogueError::NotATeamCatalogue(redacted(url)));
        };
        if found != POSTGRES_SCHEMA_VERSION {
            return Err(CatalogueError::NewerSchema {
                found,
                known: POSTGRES_SCHEMA_VERSION,
            });
        }
        Ok(Catalogue { conn })
    }

    /// The engine this catalogue is on.
    pub fn engine(&self) -> Engine {
        self.conn.engine()
    }

    /// Who this connection is on a team catalogue, and in which role (`None` on a file, which
    /// has one administrator who may do everything). The server decides what each role may
    /// do; the window asks this only to show what the role may do and hide the rest.
    pub fn member(&self) -> Result<Option<TeamMember>, CatalogueError> {
        if self.conn.engine() == Engine::Sqlite {
            return Ok(None);
        }
        let (login, superuser): (String, bool) = self.conn.query_row(
            "SELECT session_user::text, coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let groups: Vec<String> = self.conn.query(
            "SELECT rolname::text FROM pg_roles
             WHERE rolname IN ('timefence_viewer', 'timefence_editor', 'timefence_signer', 'timefence_owner')
               AND pg_has_role(session_user, oid, 'MEMBER')",
            [],
            |r| r.get(0),
        )?;
        let has = |group: &str| groups.iter().any(|g| g == group);
        // The catalogue's owner (who ran `team init`) may do everything, as an owner may.
        let role = if superuser || has("timefence_owner") {
            TeamRole::Owner
        } else if has("timefence_signer") {
            TeamRole::Signer
        } else if has("timefence_editor") {
            TeamRole::Editor
        } else {
            TeamRole::Viewer
        };
        Ok(Some(TeamMember { login, role }))
    }

    /// A catalogue held in memory, for tests and previews.
    pub fn open_in_memory(first_run: FirstRun) -> Result<Opened, CatalogueError> {
        Catalogue::prepare(Connection::open_in_memory()?, first_run)
    }

    fn prepare(mut conn: Connection, first_run: FirstRun) -> Result<Opened, CatalogueError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let from_version = schema::migrate(&mut conn)?;
        let created = from_version == 0;
        let mut catalogue = Catalogue {
            conn: Db::sqlite(conn),
        };
        if created {
            catalogue.fill_new(first_run)?;
        }
        Ok(Opened { catalogue, created })
    }

    /// Fills a new, empty catalogue as `first_run` says.
    pub fn fill_new(&mut self, first_run: FirstRun) -> Result<(), CatalogueError> {
        match first_run {
            FirstRun::Empty => Ok(()),
            FirstRun::SeedDemo => self.seed_demo(2024),
            FirstRun::DemoOf(year) => self.seed_demo(year),
            FirstRun::DemoFrom(today) => {
                let (start, end) = demo::twelve_months_from(today);
                self.seed_demo_between(&start, &end)
            }
        }
    }

    /// Adds the brief's demo customers and licenses, valid through `year`, and the demo's
    /// product with its price ($5 per seat per 8-hour block), all or nothing.
    pub fn seed_demo(&mut self, year: i32) -> Result<(), CatalogueError> {
        let (start, end) = demo::year_of(year);
        self.seed_demo_between(&start, &end)
    }

    /// Adds the demo (see [`Catalogue::seed_demo`]) with every license valid from `start` to
    /// `end` (`YYYY-MM-DD`), both included; invalid dates are the terms' typed error.
    pub fn seed_demo_between(&mut self, start: &str, end: &str) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let product: i64 = tx.query_row(
            "INSERT INTO products (name) VALUES (?1) RETURNING id",
            [demo::PRODUCT],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO price_books (product_id, applies_from, currency, price_minor, block_hours, rounding, created_at)
             VALUES (?1, '1970-01-01', 'USD', 500, 8, 'pro_rata', ?2)",
            params![product, now_text()],
        )?;
        for customer in demo::customers() {
            let id = insert_customer(&tx, &customer.customer)?;
            for (name, terms) in customer.licenses {
                insert_license(&tx, id, name, &demo::dated(&terms, start, end)?)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every customer, by name.
    pub fn list_customers(&self) -> Result<Vec<CustomerSummary>, CatalogueError> {
        Ok(self.conn.query(
            &format!(
                "{CUSTOMER_SUMMARY} ORDER BY {}, c.id",
                self.conn.nocase_order("c.name")
            ),
            [],
            customer_summary,
        )?)
    }

    /// One customer's summary.
    pub fn customer(&self, id: CustomerId) -> Result<CustomerSummary, CatalogueError> {
        self.conn
            .query_row(
                &format!("{CUSTOMER_SUMMARY} WHERE c.id = ?1"),
                [id],
                customer_summary,
            )
            .optional()?
            .ok_or(CatalogueError::CustomerNotFound(id))
    }

    /// A customer's licenses, by name; each row's terms are validated again as they load.
    pub fn licenses_of(&self, customer: CustomerId) -> Result<Vec<License>, CatalogueError> {
        self.customer(customer)?;
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses
             WHERE customer_id = ?1 AND state <> 'superseded' ORDER BY coalesce(origin, id), id"
        ))?;
        let rows = statement.query_map([customer], LicenseRow::read)?;
        rows.map(|row| row?.into_license()).collect()
    }

    /// Adds a customer.
    pub fn add_customer(&mut self, customer: &NewCustomer) -> Result<CustomerId, CatalogueError> {
        insert_customer(&self.conn, customer)
    }

    /// Adds a license to a customer after validating its terms; nothing is written if they
    /// are invalid.
    pub fn add_license(
        &mut self,
        customer: CustomerId,
        name: &str,
        spec: &TermsSpec,
    ) -> Result<LicenseId, CatalogueError> {
        let terms = spec.validate()?;
        let tx = self.conn.transaction()?;
        require_customer(&tx, customer)?;
        let id = insert_license(&tx, customer, name, &terms)?;
        tx.commit()?;
        Ok(id)
    }

    /// Adds several licenses to a customer, all or none: every spec is validated first, and
    /// they are written in one transaction (a plan applied as drafts, say).
    pub fn add_licenses(
        &mut self,
        customer: CustomerId,
        licenses: &[(String, TermsSpec)],
    ) -> Result<Vec<LicenseId>, CatalogueError> {
        let validated = licenses
            .iter()
            .map(|(name, spec)| Ok((name, spec.validate()?)))
            .collect::<Result<Vec<_>, CatalogueError>>()?;
        let tx = self.conn.transaction()?;
        require_customer(&tx, customer)?;
        let mut ids = Vec::with_capacity(validated.len());
        for (name, terms) in &validated {
            ids.push(insert_license(&tx, customer, name, terms)?);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The newest file issued of the license with this uid, as (serial, revision): a file with
    /// a lower serial is superseded where verifiers see both.
    pub fn newest_issue_of(&self, uid: &str) -> Result<Option<(i64, u32)>, CatalogueError> {
        Ok(self
            .conn
            .query_row(
                "SELECT serial, revision FROM licenses WHERE uid = ?1 AND serial IS NOT NULL
                 ORDER BY serial DESC LIMIT 1",
                [uid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Runs SQLite's integrity check over the whole file.
    pub fn integrity_check(&self) -> Result<(), CatalogueError> {
        // A team's server keeps its own pages; only a file is checked here.
        let Some(conn) = self.conn.as_sqlite() else {
            return Ok(());
        };
        let report: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(CatalogueError::Damaged(report))
        }
    }

    /// SQLite's quick check (pages and rows, not index contents): fast enough for every start.
    pub fn quick_check(&self) -> Result<(), CatalogueError> {
        // A team's server keeps its own pages; only a file is checked here.
        let Some(conn) = self.conn.as_sqlite() else {
            return Ok(());
        };
        let report: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(CatalogueError::Damaged(report))
        }
    }

    /// Puts the backup at `backup` in place of the catalogue file at `path`, which could not be
    /// opened: the backup is first copied beside it and opened there (so migrations and the
    /// integrity check run on the copy); only when that succeeds is the old file (and its WAL)
    /// moved aside as `<name>.unopenable-<time>` and the copy renamed into its place.
    pub fn replace_with_backup(path: &Path, backup: &Path) -> Result<Opened, CatalogueError> {
        let bad = |reason: String| CatalogueError::BadBackup {
            path: backup.display().to_string(),
            reason,
        };
        if !backup.is_file() {
            return Err(bad("no such file".into()));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("catalogue.sqlite")
            .to_string();
        let copy = path.with_file_name(format!("{name}.restoring"));
        std::fs::copy(backup, &copy).map_err(|e| bad(e.to_string()))?;
        let checked = Catalogue::open(&copy, FirstRun::Empty).and_then(|opened| {
            opened.catalogue.integrity_check()?;
            // The tables must read, not merely exist.
            let customers: i64 =
                opened
                    .catalogue
                    .conn
                    .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
            Ok(customers)
        });
        if let Err(error) = checked {
            let _ = std::fs::remove_file(&copy);
            for suffix in ["-wal", "-shm"] {
                let _ =
                    std::fs::remove_file(copy.with_file_name(format!("{name}.restoring{suffix}")));
            }
            return Err(match error {
                CatalogueError::NewerSchema { .. } => error,
                other => bad(other.to_string()),
            });
        }
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        for suffix in ["", "-wal", "-shm"] {
            let old = path.with_file_name(format!("{name}{suffix}"));
            if old.exists() {
                let aside = path.with_file_name(format!("{name}.unopenable-{stamp}{suffix}"));
                std::fs::rename(&old, &aside).map_err(|e| CatalogueError::Unreachable {
                    path: old.display().to_string(),
                    reason: e.to_string(),
                })?;
            }
        }
        std::fs::rename(&copy, path).map_err(|e| CatalogueError::Unreachable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Catalogue::open(path, FirstRun::Empty)
    }

    /// Whether a customer with this name (any case) exists.
    pub fn has_customer_named(&self, name: &str) -> Result<bool, CatalogueError> {
        Ok(customer_named(&self.conn, name.trim(), None)?.is_some())
    }

    /// One license, whatever its state.
    pub fn license(&self, id: LicenseId) -> Result<License, CatalogueError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses WHERE id = ?1"
        ))?;
        let row = statement.query_row([id], LicenseRow::read).optional()?;
        row.ok_or(CatalogueError::LicenseNotFound(id))?
            .into_license()
    }

    /// Changes a license's name and terms. A draft changes in place; an issued license stays as
    /// it was issued (superseded) and the edit becomes a new draft revision, whose id is
    /// returned. Superseded and revoked licenses cannot be edited.
    pub fn update_license(
        &mut self,
        id: LicenseId,
        name: &str,
        spec: &TermsSpec,
    ) -> Result<LicenseId, CatalogueError> {
        Ok(self.edit_license(id, None, name, spec)?.0)
    }

    /// As [`Catalogue::update_license`], for an edit that started from the license as it was
    /// after `started_from` saved edits ([`License::edits`]): when someone else saved it
    /// since, nothing is written and [`CatalogueError::EditConflict`] says who and when.
    /// Returns the license's id as it now stands and its saved edits after this one (what
    /// the next edit of it, an undo say, starts from).
    pub fn update_license_from(
        &mut self,
        id: LicenseId,
        started_from: u32,
        name: &str,
        spec: &TermsSpec,
    ) -> Result<(LicenseId, u32), CatalogueError> {
        self.edit_license(id, Some(started_from), name, spec)
    }

    fn edit_license(
        &mut self,
        id: LicenseId,
        started_from: Option<u32>,
        name: &str,
        spec: &TermsSpec,
    ) -> Result<(LicenseId, u32), CatalogueError> {
        let terms = spec.validate()?;
        checked_name(name, "license", MAX_LICENSE_NAME)?;
        let tx = self.conn.transaction()?;
        let edits = claim_edit(&tx, "licenses", id, started_from)?;
        let (customer, state, revision): (CustomerId, String, u32) = tx.query_row(
            "SELECT customer_id, state, revision FROM licenses WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let saved = match LicenseState::parse(&state) {
            Some(LicenseState::Draft) => {
                write_terms(&tx, id, name, &terms)?;
                (id, edits)
            }
            Some(LicenseState::Issued) => {
                tx.execute(
                    "UPDATE licenses SET state = 'superseded', updated_at = ?2 WHERE id = ?1",
                    params![id, now_text()],
                )?;
                let new_id = insert_license(&tx, customer, name, &terms)?;
                tx.execute(
                    "UPDATE licenses SET revision = ?2, supersedes = ?3,
                         origin = (SELECT coalesce(origin, id) FROM licenses WHERE id = ?3),
                         uid = (SELECT uid FROM licenses WHERE id = ?3)
                     WHERE id = ?1",
                    params![new_id, revision + 1, id],
                )?;
                // A new revision starts its own count.
                (new_id, 0)
            }
            _ => return Err(CatalogueError::NotEditable { license: id, state }),
        };
        tx.commit()?;
        Ok(saved)
    }

    /// Marks a license issued and gives it the next serial, which only ever grows.
    pub fn mark_issued(&mut self, id: LicenseId) -> Result<i64, CatalogueError> {
        let tx = self.conn.transaction()?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM licenses WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        match state.as_deref() {
            None => return Err(CatalogueError::LicenseNotFound(id)),
            Some("draft") | Some("issued") => {}
            Some(other) => {
                return Err(CatalogueError::NotEditable {
                    license: id,
                    state: other.to_string(),
                })
            }
        }
        let serial = take_serial(&tx)?;
        tx.execute(
            "UPDATE licenses SET state = 'issued', serial = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, serial, now_text()],
        )?;
        tx.commit()?;
        Ok(serial)
    }

    /// Takes the next serial for a file signed from terms outside the catalogue; serials stay
    /// one sequence with those of catalogue licenses.
    pub fn take_serial(&mut self) -> Result<i64, CatalogueError> {
        let tx = self.conn.transaction()?;
        let serial = take_serial(&tx)?;
        tx.commit()?;
        Ok(serial)
    }

    /// How many customers the catalogue has.
    pub fn customer_count(&self) -> Result<u64, CatalogueError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?)
    }

    /// The serial the next issued file will carry (nothing is taken).
    pub fn next_serial(&self) -> Result<i64, CatalogueError> {
        next_serial(&self.conn)
    }

    /// The serial a license was last issued under, if it was issued.
    pub fn issued_serial(&self, id: LicenseId) -> Result<Option<i64>, CatalogueError> {
        self.conn
            .query_row("SELECT serial FROM licenses WHERE id = ?1", [id], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .optional()?
            .ok_or(CatalogueError::LicenseNotFound(id))
    }

    /// The terms of every current license (not superseded or revoked), for catalogue-wide
    /// coverage and forecasts.
    pub fn all_current_terms(&self) -> Result<Vec<Terms>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses WHERE state IN ('draft', 'issued')"
        ))?;
        let rows = statement.query_map([], LicenseRow::read)?;
        rows.map(|row| row?.into_license().map(|l| l.terms))
            .collect()
    }

    /// The ids of the current (draft or issued) licenses of one customer, or of every customer,
    /// in id order: what a bulk export signs.
    pub fn current_license_ids(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<LicenseId>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id FROM licenses WHERE state IN ('draft', 'issued')
               AND (CAST(?1 AS BIGINT) IS NULL OR customer_id = ?1) ORDER BY id",
        )?;
        let rows = statement.query_map([customer], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The current licenses' terms grouped by customer, for forecasts.
    pub fn current_terms_by_customer(
        &self,
    ) -> Result<Vec<(CustomerId, Vec<Terms>)>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses WHERE state IN ('draft', 'issued') ORDER BY customer_id"
        ))?;
        let rows = statement.query_map([], LicenseRow::read)?;
        let mut grouped: Vec<(CustomerId, Vec<Terms>)> = Vec::new();
        for row in rows {
            let license = row?.into_license()?;
            match grouped.last_mut() {
                Some((customer, terms)) if *customer == license.customer_id => {
                    terms.push(license.terms)
                }
                _ => grouped.push((license.customer_id, vec![license.terms])),
            }
        }
        Ok(grouped)
    }

    /// Copies the whole catalogue, while it is open, into a single file at `destination`
    /// (SQLite's online backup).
    pub fn backup_to(&self, destination: &Path) -> Result<(), CatalogueError> {
        if destination.exists() {
            return Err(CatalogueError::Unreachable {
                path: destination.display().to_string(),
                reason: "a file is already there; choose a new name".into(),
            });
        }
        let source = self.conn.as_sqlite().ok_or(CatalogueError::OnlyOnAFile(
            "a team catalogue is copied to a file with `timefence backup FILE --from URL`",
        ))?;
        let mut target = Connection::open(destination)?;
        let backup = rusqlite::backup::Backup::new(source, &mut target)?;
        backup.run_to_completion(256, std::time::Duration::ZERO, None)?;
        drop(backup);
        target.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    }

    /// Replaces the catalogue's contents with a backup file's, after checking that the backup
    /// is a sound Timefence catalogue; on any problem the catalogue is left as it was.
    pub fn restore_from(&mut self, source: &Path) -> Result<(), CatalogueError> {
        let unreadable = |reason: String| CatalogueError::BadBackup {
            path: source.display().to_string(),
            reason,
        };
        if self.conn.engine() != Engine::Sqlite {
            return Err(CatalogueError::OnlyOnAFile(
                "a team catalogue is filled from a file with `timefence catalogue push --to URL`",
            ));
        }
        if !source.is_file() {
            return Err(unreadable("no such file".into()));
        }
        let backup =
            Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| unreadable(e.to_string()))?;
        let check: String = backup
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| unreadable(format!("not a SQLite catalogue ({e})")))?;
        if check != "ok" {
            return Err(unreadable(format!("integrity check failed: {check}")));
        }
        let version: i64 = backup.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let has_licenses: bool = backup
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'licenses'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n == 1)?;
        if version < 1 || !has_licenses {
            return Err(unreadable("not a Timefence catalogue".into()));
        }
        if version > schema::CURRENT_VERSION {
            return Err(CatalogueError::NewerSchema {
                found: version,
                known: schema::CURRENT_VERSION,
            });
        }
        let conn = self
            .conn
            .as_sqlite_mut()
            .expect("checked to be a file above");
        {
            let restore = rusqlite::backup::Backup::new(&backup, conn)?;
            restore.run_to_completion(256, std::time::Duration::ZERO, None)?;
        }
        backup.close().map_err(|(_, e)| e)?;
        schema::migrate(conn)?;
        Ok(())
    }
}

/// Counts an edit of row `id` of `table` (customers or licenses), which started from
/// `started_from` saved edits when it says so: refused with who saved it meanwhile and when,
/// or the row not found. On PostgreSQL the row stays locked to this transaction until it
/// ends, so two members' edits of one row are decided one after the other.
pub(crate) fn claim_edit(
    conn: &Db,
    table: &'static str,
    id: i64,
    started_from: Option<u32>,
) -> Result<u32, CatalogueError> {
    // The new count comes back from the same statement: read afterwards, it could already be
    // another member's.
    let claimed: Option<u32> = conn
        .query_row(
            &format!(
                "UPDATE {table} SET edits = edits + 1
                 WHERE id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR edits = ?2) RETURNING edits"
            ),
            params![id, started_from],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(count) = claimed {
        return Ok(count);
    }
    let now: Option<u32> = conn
        .query_row(
            &format!("SELECT edits FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let (Some(now), Some(started_from)) = (now, started_from) else {
        return Err(if table == "customers" {
            CatalogueError::CustomerNotFound(id)
        } else {
            CatalogueError::LicenseNotFound(id)
        });
    };
    let (who, when) = last_change(conn, table, id)?;
    Err(CatalogueError::EditConflict {
        what: if table == "customers" {
            "customer"
        } else {
            "license"
        },
        id,
        started_from,
        now,
        who,
        when,
    })
}

/// Who last changed a row and when (RFC 3339), as far as the engine knows: a team's
/// database records every change with its member's login; a file has one administrator and
/// knows only when a license was last updated.
pub(crate) fn last_change(
    conn: &Db,
    table: &str,
    id: i64,
) -> Result<(Option<String>, Option<String>), CatalogueError> {
    match conn.engine() {
        Engine::Postgres => Ok(conn
            .query_row(
                "SELECT who, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                 FROM team_changes WHERE table_name = ?1 AND row_key = ?2 ORDER BY id DESC LIMIT 1",
                params![table, id.to_string()],
                |r| Ok((Some(r.get(0)?), Some(r.get(1)?))),
            )
            .optional()?
            .unwrap_or((None, None))),
        Engine::Sqlite if table == "licenses" => Ok((
            None,
            conn.query_row("SELECT updated_at FROM licenses WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?,
        )),
        Engine::Sqlite => Ok((None, None)),
    }
}

/// Whether `location` names a team catalogue (a PostgreSQL URL) rather than a file.
pub fn is_team_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A URL's login, host and the rest, as [`url_login`] splits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlLogin<'a> {
    /// `postgres` or `postgresql`.
    pub scheme: &'a str,
    /// What precedes the host's `@` (`name` or `name:password`), if anything does.
    pub login: Option<&'a str>,
    /// The host (and port).
    pub host: &'a str,
    /// The path and parameters, from the first `/` or `?` after the host.
    pub tail: &'a str,
}

/// Splits `scheme://login@host/path?parameters`; `None` without a scheme. The login is what
/// precedes the last '@' before the parameters (a password typed raw may hold a '/' or an
/// '@'); the host runs from there to the first '/' or '?'.
pub fn url_login(url: &str) -> Option<UrlLogin<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let parameters = rest.find('?').unwrap_or(rest.len());
    let (login, after) = match rest[..parameters].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (host, tail) = after.split_at(host_end);
    Some(UrlLogin {
        scheme,
        login,
        host,
        tail,
    })
}

/// A URL as it may be shown or remembered: a password in it (`user:password@`, or a
/// `password=` parameter) replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some(UrlLogin {
        scheme,
        login,
        host,
        tail,
    }) = url_login(url)
    else {
        return url.to_string();
    };
    let authority = match login {
        Some(login) => match login.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{login}@{host}"),
        },
        None => host.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The next serial: one more than any serial given before, stored so it is never given twice.
/// The serial after every one issued or taken: serials only grow, even past files that were
/// never written.
fn next_serial(conn: &Db) -> Result<i64, CatalogueError> {
    if conn.engine() == Engine::Postgres {
        // The team's one sequence: what nextval would give next.
        return Ok(conn.query_row(
            "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM license_serials",
            [],
            |r| r.get(0),
        )?);
    }
    Ok(conn.query_row(
        "SELECT max(coalesce((SELECT max(serial) FROM licenses), 0),
                    coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'last_serial'), 0)) + 1",
        [],
        |r| r.get(0),
    )?)
}

fn take_serial(conn: &Db) -> Result<i64, CatalogueError> {
    if conn.engine() == Engine::Postgres {
        // Two members issuing at once never share a serial; a rolled-back take leaves a gap,
        // as a file that was never written does on a file catalogue.
        return Ok(conn.query_row("SELECT nextval('license_serials')", [], |r| r.get(0))?);
    }
    let serial = next_serial(conn)?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES ('last_serial', ?1)
         ON CONFLICT(key) DO UPDATE SET value = ?1",
        [serial.to_string()],
    )?;
    Ok(serial)
}

fn in_use_or(error: rusqlite::Error, path: &Path) -> CatalogueError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
            CatalogueError::InUse(path.display().to_string())
        }
        _ => CatalogueError::from(error),
    }
}

fn write_terms(conn: &Db, id: LicenseId, name: &str, terms: &Terms) -> Result<(), CatalogueError> {
    let spec = terms.to_spec();
    products::ensure_product(conn, &spec.product)?;
    let features = serde_json::to_string(&spec.features).unwrap_or_else(|_| "{}".to_string());
    conn.execute(
        "UPDATE licenses SET name = ?2, product = ?3, seats = ?4, start_date = ?5, end_date = ?6,
             daily_start = ?7, daily_end = ?8, daily_limit = ?9, zone = ?10, weekdays = ?11,
             features = ?12, updated_at = ?13
         WHERE id = ?1",
        params![
            id,
            name.trim(),
            spec.product,
            spec.seats,
            spec.license_start_date,
            spec.license_end_date,
            spec.daily_start_time,
            spec.daily_end_time,
            spec.daily_time_consumption_limit,
            spec.time_zone,
            terms.weekdays.bits(),
            features,
            now_text(),
        ],
    )?;
    Ok(())
}

/// The longest customer name, in characters.
pub const MAX_CUSTOMER_NAME: usize = 120;
/// The longest license name, in characters.
pub const MAX_LICENSE_NAME: usize = 80;

/// A name trimmed and checked: not empty, at most `max` characters, no control characters.
pub(crate) fn checked_name(
    name: &str,
    what: &'static str,
    max: usize,
) -> Result<String, CatalogueError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CatalogueError::EmptyName);
    }
    if name.chars().count() > max {
        return Err(CatalogueError::NameTooLong { what, max });
    }
    if name.chars().any(char::is_control) {
        return Err(CatalogueError::ControlCharacter { what });
    }
    Ok(name.to_string())
}

/// A customer's summary, read by [`customer_summary`].
pub(crate) const CUSTOMER_SUMMARY: &str = "SELECT c.id, c.name, c.default_zone,
    (SELECT count(*) FROM licenses l WHERE l.customer_id = c.id AND l.state <> 'superseded'),
    coalesce(c.uid, ''), c.edits
    FROM customers c";

pub(crate) fn customer_summary(row: &Row) -> db::Result<CustomerSummary> {
    Ok(CustomerSummary {
        id: row.get(0)?,
        name: row.get(1)?,
        default_zone: row.get(2)?,
        license_count: row.get(3)?,
        uid: row.get(4)?,
        edits: row.get(5)?,
    })
}

pub(crate) const LICENSE_COLUMNS: &str =
    "id, customer_id, name, product, seats, start_date, end_date, \
     daily_start, daily_end, daily_limit, zone, weekdays, features, state, revision, \
     coalesce(origin, id), coalesce(uid, ''), edits";

pub(crate) struct LicenseRow {
    id: LicenseId,
    customer_id: CustomerId,
    name: String,
    spec: TermsSpec,
    weekdays: i64,
    features: String,
    state: String,
    revision: u32,
    origin: LicenseId,
    uid: String,
    edits: u32,
}

impl LicenseRow {
    pub(crate) fn read(row: &Row) -> db::Result<LicenseRow> {
        Ok(LicenseRow {
            id: row.get(0)?,
            customer_id: row.get(1)?,
            name: row.get(2)?,
            spec: TermsSpec {
                product: row.get(3)?,
                seats: row.get(4)?,
                license_start_date: row.get(5)?,
                license_end_date: row.get(6)?,
                daily_start_time: row.get(7)?,
                daily_end_time: row.get(8)?,
                daily_time_consumption_limit: row.get(9)?,
                time_zone: row.get(10)?,
                weekdays: None,
                features: BTreeMap::new(),
            },
            weekdays: row.get(11)?,
            features: row.get(12)?,
            state: row.get(13)?,
            revision: row.get(14)?,
            origin: row.get(15)?,
            uid: row.get(16)?,
            edits: row.get(17)?,
        })
    }

    pub(crate) fn into_license(mut self) -> Result<License, CatalogueError> {
        let corrupt = |reason: String| CatalogueError::Corrupt {
            license: self.id,
            reason,
        };
        let weekdays = u8::try_from(self.weekdays)
            .ok()
            .and_then(Weekdays::from_bits)
            .ok_or_else(|| corrupt(format!("weekday bits {}", self.weekdays)))?;
        self.spec.weekdays = Some(weekdays.names());
        self.spec.features = serde_json::from_str(&self.features)
            .map_err(|e| corrupt(format!("features are not a JSON object of strings: {e}")))?;
        let terms = self.spec.validate().map_err(|e| corrupt(e.to_string()))?;
        let state = LicenseState::parse(&self.state)
            .ok_or_else(|| corrupt(format!("state {:?}", self.state)))?;
        Ok(License {
            id: self.id,
            customer_id: self.customer_id,
            name: self.name,
            terms,
            state,
            revision: self.revision,
            origin: self.origin,
            uid: self.uid,
            edits: self.edits,
        })
    }
}

/// A new global identity: 128 random bits in lowercase hex (the operating system's random
/// source, the same on either engine).
pub(crate) fn new_uid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The customer called `name` without regard to case, other than `except`.
pub(crate) fn customer_named(
    conn: &Db,
    name: &str,
    except: Option<CustomerId>,
) -> Result<Option<CustomerId>, CatalogueError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT id FROM customers WHERE {} = {} AND (CAST(?2 AS BIGINT) IS NULL OR id <> ?2)",
                conn.nocase("name"),
                conn.nocase("?1")
            ),
            params![name, except],
            |r| r.get(0),
        )
        .optional()?)
}

/// `CustomerNotFound` unless the customer exists.
pub(crate) fn require_customer(conn: &Db, id: CustomerId) -> Result<(), CatalogueError> {
    let exists: Option<i64> = conn
        .query_row("SELECT id FROM customers WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    exists
        .map(|_| ())
        .ok_or(CatalogueError::CustomerNotFound(id))
}

pub(crate) fn insert_customer(
    conn: &Db,
    customer: &NewCustomer,
) -> Result<CustomerId, CatalogueError> {
    let name = checked_name(&customer.name, "customer", MAX_CUSTOMER_NAME)?;
    let name = name.as_str();
    let zone = if customer.default_zone.trim().is_empty() {
        "UTC"
    } else {
        customer.default_zone.trim()
    };
    if zone.parse::<timefence_terms::chrono_tz::Tz>().is_err() {
        return Err(CatalogueError::UnknownZone(zone.to_string()));
    }
    if customer_named(conn, name, None)?.is_some() {
        return Err(CatalogueError::DuplicateCustomer(name.to_string()));
    }
    // Ids are never reused, so an undone deletion gets its own id back.
    conn.query_row(
        &format!(
            "INSERT INTO customers (id, name, contact, country, default_zone, notes, created_at, uid)
             VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            conn.new_id("customers", "deleted_customers")
        ),
        params![
            name,
            customer.contact,
            customer.country,
            zone,
            customer.notes,
            now_text(),
            new_uid()
        ],
        |r| r.get(0),
    )
    .map_err(|e| CatalogueError::or_duplicate(e, || CatalogueError::DuplicateCustomer(name.to_string())))
}

pub(crate) fn insert_license(
    conn: &Db,
    customer: CustomerId,
    name: &str,
    terms: &Terms,
) -> Result<LicenseId, CatalogueError> {
    let name = checked_name(name, "license", MAX_LICENSE_NAME)?;
    // The row is born with placeholder terms and receives the real ones from write_terms, so
    // that one statement alone maps terms to columns. Callers hold a transaction, so no one
    // ever sees the placeholders.
    let now = now_text();
    let id: LicenseId = conn.query_row(
        &format!(
            "INSERT INTO licenses (id, customer_id, name, seats, start_date, end_date, daily_start,
                 daily_end, zone, weekdays, state, revision, created_at, updated_at)
             VALUES ({}, ?1, ?2, 1, '', '', '', '', '', 127, ?3, 1, ?4, ?4) RETURNING id",
            conn.new_id("licenses", "deleted_licenses")
        ),
        params![customer, name, LicenseState::Draft.as_str(), now],
        |r| r.get(0),
    )?;
    conn.execute(
        "UPDATE licenses SET origin = id, uid = ?2 WHERE id = ?1",
        params![id, new_uid()],
    )?;
    write_terms(conn, id, &name, terms)?;
    Ok(id)
}

#[cfg(test)]
mod tests;
