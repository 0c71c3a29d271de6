//! # timefence-team: a catalogue a team shares on PostgreSQL
//!
//! A vendor with several license administrators keeps one catalogue on a PostgreSQL server.
//! This crate sets the server up and moves catalogues in and out:
//! - [`init`] creates the catalogue's tables (the SQLite catalogue's schema at the same
//!   version, the same names), the four roles as PostgreSQL group roles with their GRANTs,
//!   and the audit trigger that writes every change with the PostgreSQL user who made it
//!   (`team_changes`; members read it and cannot write it);
//! - [`add_member`], [`set_role`] and [`members`] manage who may do what: a member is a login
//!   role in one of [`Role`]'s groups, and PostgreSQL itself refuses what the role may not do,
//!   through the app or through `psql` alike. A password is sent as a SCRAM verifier, never
//!   in clear;
//! - [`push`] copies a SQLite catalogue into an empty team catalogue, and [`backup`] writes a
//!   team catalogue to a new SQLite file; both compare every table's row count and checksum
//!   on both sides before they commit, and change nothing when they differ;
//! - [`Changes`] hears every committed change to the catalogue as it commits (the audit
//!   trigger's `NOTIFY`), with who made it and which customer it touches.
//!
//! ```no_run
//! use timefence_team::{init, add_member, Role};
//! let url = "postgres://postgres@db.example/timefence";
//! init(url).unwrap();
//! add_member(url, "ana", Role::Editor, "a long passphrase").unwrap();
//! ```
#![deny(missing_docs)]

mod copy;
mod live;

pub use copy::{backup, push, TableCopy};
pub use live::{Change, Changes};

use postgres::{Client, NoTls};

/// The catalogue schema version the team schema matches (the SQLite catalogue's
/// `user_version`): `push` and `backup` copy only between catalogues at this version.
pub const TEAM_VERSION: i64 = timefence_catalogue::POSTGRES_SCHEMA_VERSION;

const SCHEMA: &str = timefence_catalogue::POSTGRES_SCHEMA;
const ROLES: &str = include_str!("roles.sql");

/// Longest member name (PostgreSQL's identifier limit is 63 bytes).
pub const MAX_MEMBER_NAME: usize = 63;

/// Shortest member password.
pub const MIN_PASSWORD: usize = 12;

/// What went wrong, typed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TeamError {
    /// The server refused or could not be reached; its own words.
    #[error("database: {0}")]
    Database(String),
    /// The URL's TLS settings: a missing or unreadable CA, or a mode that checks nothing.
    #[error("TLS: {0}")]
    Tls(String),
    /// `init` on a database that already holds a team catalogue.
    #[error("the database already holds a team catalogue (version {0})")]
    AlreadyInitialised(i64),
    /// The database holds no team catalogue: run `timefence team init` first.
    #[error("the database holds no team catalogue: run `timefence team init` first")]
    NotInitialised,
    /// A team catalogue at another version than this build's.
    #[error("the team catalogue is at version {found}; this build copies version {known}")]
    WrongVersion {
        /// The version found.
        found: i64,
        /// The version this build reads and writes.
        known: i64,
    },
    /// `init` on a server where another database already holds a team (the roles are the
    /// server's).
    #[error("this PostgreSQL server already has a team (roles timefence_viewer, ...): one team catalogue per server")]
    ServerHasATeam,
    /// `push` into a team catalogue that already has rows.
    #[error("the team catalogue is not empty: {table} has {rows} rows")]
    NotEmpty {
        /// The first table found with rows.
        table: String,
        /// How many.
        rows: i64,
    },
    /// `backup` onto a file that exists.
    #[error("{0} exists: a backup writes a new file")]
    FileExists(String),
    /// A member name PostgreSQL would not take as a plain identifier.
    #[error("member name {0:?}: use 1 to 63 lower-case letters, digits and underscores, starting with a letter")]
    BadMemberName(String),
    /// A password shorter than [`MIN_PASSWORD`].
    #[error("password: at least {MIN_PASSWORD} characters")]
    ShortPassword,
    /// A role name that is none of viewer, editor, signer, owner.
    #[error("role {0:?}: use viewer, editor, signer or owner")]
    BadRole(String),
    /// No member of that name.
    #[error("no member named {0:?}")]
    NoSuchMember(String),
    /// The SQLite side: its own words.
    #[error("SQLite catalogue: {0}")]
    Sqlite(String),
    /// A copied table came out different: nothing was committed.
    #[error("{table}: {detail}; nothing was copied")]
    Mismatch {
        /// The table.
        table: String,
        /// What differed.
        detail: String,
    },
}

impl From<postgres::Error> for TeamError {
    fn from(error: postgres::Error) -> TeamError {
        TeamError::Database(timefence_pgtls::error_text(&error))
    }
}

impl From<rusqlite::Error> for TeamError {
    fn from(error: rusqlite::Error) -> TeamError {
        TeamError::Sqlite(error.to_string())
    }
}

/// What a member may do; each is a PostgreSQL group role named `timefence_<role>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads everything: customers, licenses, prices, costs, forecasts, the audit log.
    Viewer,
    /// Edits customers, licenses, products and prices (and the viewer's reads).
    Editor,
    /// Records issued files: a license's state and serial, the audit entry (and reads).
    Signer,
    /// Everything the others may, the key registry, and members (added and given roles).
    Owner,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Signer, Role::Owner];

    /// Its name as typed (`viewer`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Signer => "signer",
            Role::Owner => "owner",
        }
    }

    /// The PostgreSQL group role.
    pub fn group(self) -> String {
        format!("timefence_{}", self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = TeamError;
    fn from_str(text: &str) -> Result<Role, TeamError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| TeamError::BadRole(text.to_string()))
    }
}

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The PostgreSQL login.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

/// Connects: plain TCP, or with `sslmode=verify-full&sslrootcert=CA.pem` TLS with the
/// server's certificate and name checked (the relay's way, libpq's settings). A server that
/// cannot be reached is given up on after 15 s (unless the URL says otherwise), and a peer
/// that stops answering on a dead network is noticed by TCP keepalive. (These connections
/// run the team's set-up and long copies, which have no per-call wait: a server that hangs
/// while its kernel still answers keeps them waiting; the catalogue's own calls do not.)
pub(crate) fn connect(url: &str) -> Result<Client, TeamError> {
    let (url, tls) = timefence_pgtls::split_tls(url).map_err(TeamError::Tls)?;
    let mut config: postgres::Config = url.parse()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(15));
    }
    config
        .keepalives(true)
        .keepalives_idle(std::time::Duration::from_secs(10));
    Ok(match tls {
        None => config.connect(NoTls)?,
        Some(tls) => config.connect(tls)?,
    })
}

/// The team catalogue's version, or `None` when the database has none.
fn version(client: &mut impl postgres::GenericClient) -> Result<Option<i64>, TeamError> {
    let made: bool = client
        .query_one("SELECT to_regclass('public.team_meta') IS NOT NULL", &[])?
        .get(0);
    if !made {
        return Ok(None);
    }
    let row = client.query_opt("SELECT value FROM team_meta WHERE key = 'version'", &[])?;
    Ok(row.and_then(|r| r.get::<_, String>(0).parse().ok()))
}

/// A team catalogue at this build's version, or why not.
pub(crate) fn require_team(client: &mut Client) -> Result<(), TeamError> {
    match version(client)? {
        None => Err(TeamError::NotInitialised),
        Some(found) if found != TEAM_VERSION => Err(TeamError::WrongVersion {
            found,
            known: TEAM_VERSION,
        }),
        Some(_) => Ok(()),
    }
}

/// Creates the team catalogue in the database `url` names: the tables, the roles and their
/// GRANTs, the audit trigger. Run it as a PostgreSQL superuser (it creates roles); the tables
/// belong to that user, whom no member's role can act as. One transaction: a failure leaves
/// the database as it was.
pub fn init(url: &str) -> Result<(), TeamError> {
    let mut client = connect(url)?;
    let mut tx = client.transaction()?;
    // Two `init`s at once: the second waits here and then finds the first's tables.
    tx.batch_execute("SELECT pg_advisory_xact_lock(7403)")?;
    if let Some(found) = version(&mut tx)? {
        return Err(TeamError::AlreadyInitialised(found));
    }
    // The groups are the server's, not the database's: a second team on the same server would
    // share them, and its members would act on this team's catalogue.
    let taken: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'timefence_viewer')",
            &[],
        )?
        .get(0);
    if taken {
        return Err(TeamError::ServerHasATeam);
    }
    tx.batch_execute(SCHEMA)?;
    tx.batch_execute(ROLES)?;
    tx.execute(
        "INSERT INTO team_meta (key, value) VALUES ('version', $1)",
        &[&TEAM_VERSION.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

/// Checks a member name: a plain PostgreSQL identifier, not one of the team's groups.
pub fn check_member_name(name: &str) -> Result<(), TeamError> {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_MEMBER_NAME
        && !name.starts_with("timefence_")
        && !name.starts_with("pg_");
    if plain {
        Ok(())
    } else {
        Err(TeamError::BadMemberName(name.to_string()))
    }
}

/// Adds a member with a role and a password (stored by the server as a SCRAM-SHA-256
/// verifier computed here: the password itself never crosses the network). The catalogue's
/// owner (who ran `init`) and members with the owner role may add members; the server's
/// `team_add_member` checks the name, the role and the verifier again.
pub fn add_member(url: &str, name: &str, role: Role, password: &str) -> Result<(), TeamError> {
    check_member_name(name)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(TeamError::ShortPassword);
    }
    let mut client = connect(url)?;
    require_team(&mut client)?;
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    client.execute(
        "SELECT team_add_member($1, $2, $3)",
        &[&name, &verifier, &role.name()],
    )?;
    Ok(())
}

/// Gives a member another role (and takes the old one away), in one transaction; only a
/// member of the team is touched.
pub fn set_role(url: &str, name: &str, role: Role) -> Result<(), TeamError> {
    check_member_name(name)?;
    let mut client = connect(url)?;
    require_team(&mut client)?;
    match client.execute("SELECT team_set_role($1, $2)", &[&name, &role.name()]) {
        Err(e) if e.code().map(|c| c.code()) == Some("42704") => {
            Err(TeamError::NoSuchMember(name.to_string()))
        }
        other => other.map(|_| ()).map_err(TeamError::from),
    }
}

/// The team's members and their roles, by name.
pub fn members(url: &str) -> Result<Vec<Member>, TeamError> {
    let mut client = connect(url)?;
    let rows = client.query(
        "SELECT m.rolname, g.rolname FROM pg_roles m \
         JOIN pg_auth_members a ON a.member = m.oid \
         JOIN pg_roles g ON g.oid = a.roleid \
         WHERE m.rolcanlogin AND g.rolname = ANY($1) ORDER BY m.rolname",
        &[&Role::ALL.iter().map(|r| r.group()).collect::<Vec<_>>()],
    )?;
    let mut found: Vec<Member> = Vec::new();
    for row in rows {
        let (name, group): (String, String) = (row.get(0), row.get(1));
        let Some(role) = Role::ALL.into_iter().find(|r| r.group() == group) else {
            continue;
        };
        // A member in several groups (granted by hand) shows with the most it may do.
        match found.iter_mut().find(|m| m.name == name) {
            Some(member) => member.role = member.role.max(role),
            None => found.push(Member { name, role }),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_roles_are_checked_before_anything_is_sent() {
        for bad in [
            "",
            "Ana",
            "1ana",
            "ana-b",
            "a\"; DROP",
            "timefence_owner",
            "pg_x",
        ] {
            assert_eq!(
                check_member_name(bad),
                Err(TeamError::BadMemberName(bad.into())),
                "{bad}"
            );
        }
        assert!(check_member_name(&"a".repeat(63)).is_ok());
        assert!(check_member_name(&"a".repeat(64)).is_err());
        assert_eq!("Signer".parse::<Role>(), Ok(Role::Signer));
        assert_eq!(
            "admin".parse::<Role>(),
            Err(TeamError::BadRole("admin".into()))
        );
        assert_eq!(
            add_member("postgres://x@127.0.0.1:1/x", "ana", Role::Viewer, "short"),
            Err(TeamError::ShortPassword)
        );
    }
}
