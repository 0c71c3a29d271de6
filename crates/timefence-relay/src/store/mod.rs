//! Storage: one interface, two real engines.
//!
//! - [`sqlite`]: the default. One relay, one file (WAL, `synchronous=FULL`). One writer
//!   thread takes requests in batches and runs each batch in one `BEGIN IMMEDIATE`
//!   transaction, replying only after the commit: every answer is durable, and one fsync
//!   serves many requests (group commit).
//! - [`postgres`]: several relays share one database for high availability. Each request is a
//!   transaction that first locks its license's row (`SELECT ... FOR UPDATE`), so requests for
//!   one license are serialised across every relay; the database is the only shared state.
//!
//! Both read a [`Snapshot`](crate::model::Snapshot) of the license inside the transaction,
//! call [`logic::decide`](crate::logic::decide) and write what it returns.

pub mod postgres;
mod sql;
pub mod sqlite;

use crate::clock::Clock;
use crate::licenses::ServedLicense;
use crate::logic::Policy;
use crate::model::{Answer, Lease, Millis, Refusal, Request};
use std::sync::Arc;

/// A storage failure: the request was not decided, and nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or failed mid-transaction: try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The clock cannot be read.
    #[error("the clock cannot be read: {0}")]
    Clock(String),
    /// The storage URL or file is not usable.
    #[error("storage cannot be opened: {0}")]
    Open(String),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        Refusal::Unavailable {
            message: error.to_string(),
        }
    }
}

/// One license's state now, for `GET /v1/licenses/{license}`.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Leases active now.
    pub active: Vec<Lease>,
    /// Time charged to the occurrence open now, all holders.
    pub occurrence_charged: Millis,
    /// The clock when it was read.
    pub now: Millis,
}

/// Where leases live.
pub enum Store {
    /// One relay on one SQLite file.
    Sqlite(sqlite::SqliteStore),
    /// Any number of relays on one PostgreSQL database.
    Postgres(postgres::PgStore),
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The marks stored at `url` (for `timefence-relay clock`, with or without a running relay).
pub async fn marks_at(
    url: &str,
    clock: Clock,
) -> Result<(Millis, Vec<(String, Millis)>), StoreError> {
    if is_postgres(url) {
        let store =
            postgres::PgStore::open(url, clock, Policy::default(), Default::default()).await?;
        store.marks().await
    } else {
        let now = clock.now().map_err(StoreError::Clock)?;
        Ok((now, sqlite::marks_in(sqlite_path(url).as_ref())?))
    }
}

/// Lowers the marks stored at `url` above the clock's time now to it; returns that time and
/// the licenses changed with their old marks.
pub async fn reset_marks_at(
    url: &str,
    clock: Clock,
) -> Result<(Millis, Vec<(String, Millis)>), StoreError> {
    if is_postgres(url) {
        let store =
            postgres::PgStore::open(url, clock, Policy::default(), Default::default()).await?;
        let (now, _) = store.marks().await?;
        Ok((now, store.reset_marks(now).await?))
    } else {
        let now = clock.now().map_err(StoreError::Clock)?;
        Ok((now, sqlite::reset_marks_in(sqlite_path(url).as_ref(), now)?))
    }
}

/// The usage report of `[from, to)` (milliseconds) from the storage at `url`, streamed in
/// bounded memory: what `timefence-relay report` signs.
pub async fn report(
    url: &str,
    from: Millis,
    to: Millis,
) -> Result<Vec<timefence_license::usage::LicenseUsage>, StoreError> {
    if is_postgres(url) {
        postgres::report(url, from, to).await
    } else {
        sqlite::report(sqlite_path(url).as_ref(), from, to)
    }
}

/// Folds the whole UTC days of the storage at `url` that ended before `before` (see
/// `sql.rs`: retention); returns the days folded and the events deleted.
pub async fn fold(url: &str, before: Millis) -> Result<(u32, u64), StoreError> {
    if is_postgres(url) {
        postgres::fold(url, before).await
    } else {
        let path = sqlite_path(url).to_string();
        tokio::task::spawn_blocking(move || sqlite::fold(path.as_ref(), before))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite:").unwrap_or(url)
}

impl Store {
    /// Opens `url`: `sqlite:PATH` (or a bare path) or `postgres://...` / `postgresql://...`.
    pub async fn open(
        url: &str,
        clock: Clock,
        policy: Policy,
        timeouts: postgres::Timeouts,
    ) -> Result<Store, StoreError> {
        if is_postgres(url) {
            Ok(Store::Postgres(
                postgres::PgStore::open(url, clock, policy, timeouts).await?,
            ))
        } else {
            Ok(Store::Sqlite(sqlite::SqliteStore::open(
                sqlite_path(url).as_ref(),
                clock,
                policy,
            )?))
        }
    }

    /// Decides and stores one request.
    pub async fn submit(
        &self,
        license: Arc<ServedLicense>,
        request: Request,
    ) -> Result<Result<Answer, Refusal>, StoreError> {
        match self {
            Store::Sqlite(store) => store.submit(license, request).await,
            Store::Postgres(store) => store.submit(license, request).await,
        }
    }

    /// A license's leases and consumption now.
    pub async fn usage(&self, license: Arc<ServedLicense>) -> Result<Usage, StoreError> {
        match self {
            Store::Sqlite(store) => store.usage(license).await,
            Store::Postgres(store) => store.usage(license).await,
        }
    }

    /// The clock decisions use now, and every license's high-water mark.
    pub async fn marks(&self) -> Result<(Millis, Vec<(String, Millis)>), StoreError> {
        match self {
            Store::Sqlite(store) => store.marks().await,
            Store::Postgres(store) => store.marks().await,
        }
    }

    /// At shutdown: leaves the storage whole by itself (SQLite's log checkpointed and
    /// truncated; nothing to do for PostgreSQL).
    pub fn close(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(store) => store.checkpoint(),
            Store::Postgres(_) => Ok(()),
        }
    }

    /// Which engine, for `/healthz` and logs.
    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }
}

/// A fresh lease id for `license`: its reference, a dot, 128 random bits in hex.
pub fn new_lease_id(license: &str) -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{license}.{hex}")
}
