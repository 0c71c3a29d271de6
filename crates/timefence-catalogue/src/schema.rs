//! Schema migrations: numbered SQL files applied in order, each in its own transaction, with
//! SQLite's `user_version` recording how far a file has come.

use crate::CatalogueError;
use rusqlite::Connection;

/// The migrations, in order; `MIGRATIONS[n]` takes a catalogue from version `n` to `n + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_customers_and_licenses.sql"),
    include_str!("migrations/0002_revisions_products_keys_audit_search.sql"),
    include_str!("migrations/0003_trash.sql"),
    include_str!("migrations/0004_price_book_revisions.sql"),
    include_str!("migrations/0005_license_uids.sql"),
    include_str!("migrations/0006_usage_reports.sql"),
    include_str!("migrations/0007_usage_packed_and_trash.sql"),
    include_str!("migrations/0008_files_being_issued.sql"),
    include_str!("migrations/0009_usage_withdrawn.sql"),
    include_str!("migrations/0010_customer_uids.sql"),
    include_str!("migrations/0011_relay_certificates.sql"),
    include_str!("migrations/0012_edit_counts.sql"),
];

/// The team catalogue's schema on PostgreSQL, at the version the SQLite migrations reach:
/// the same tables, columns and names (see the first file's head for the few differences).
/// Its files are numbered as the SQLite migrations are: the first brings a new database to
/// version 11 at once, and each later one follows the SQLite migration of its number.
pub const POSTGRES_SCHEMA: &str = concat!(
    include_str!("migrations/postgres/0011_team_catalogue.sql"),
    include_str!("migrations/postgres/0012_edit_counts.sql"),
);

/// The version [`POSTGRES_SCHEMA`] stands at.
pub const POSTGRES_SCHEMA_VERSION: i64 = 12;

/// The schema version this build writes.
pub(crate) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date and returns the version it started from.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, CatalogueError> {
    migrate_to(conn, CURRENT_VERSION)
}

/// Applies migrations up to `target`; the tests use it to build every earlier version.
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64, CatalogueError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(CatalogueError::NewerSchema {
            found,
            known: CURRENT_VERSION,
        });
    }
    for version in found..target {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(found)
}
