//! The shared engine: PostgreSQL, for several relays behind one address.
//!
//! Requests for one license are decided in batches, one transaction each on one of the
//! relay's connections: make sure the license has a row, lock it (`SELECT ... FOR UPDATE`),
//! read the clock, read the leases and charges, decide each request in turn on the state the
//! previous ones left, write everything, commit, answer. The row lock serialises every request for one license across every relay,
//! so the seat count and the charges are decided as if by one process. Reading the clock
//! after the lock keeps decisions of one license in time order even between relays.
//!
//! A lost connection (a restarted server, a network cut) fails the request with
//! `Unavailable` and is opened again for the next one.
//!
//! A peer that hangs (SIGSTOP, lost power, a cut cable) in the middle of a transaction must not
//! stop the others: every session runs with `lock_timeout`, `statement_timeout` and
//! `idle_in_transaction_session_timeout` (the server ends a hung peer's transaction and frees
//! its row lock), TCP keepalive and a user timeout notice a dead server, and a request waits a
//! bounded time for one of the relay's connections before it is answered `503 Unavailable`.
//!
//! The clock: with the system clock, every relay decides with the database's clock
//! (`clock_timestamp()`, read after the license's lock is taken), so relays whose hosts
//! disagree decide on one time line. A clock file (tests and drills) overrides it.

use super::sql;
use super::{new_lease_id, StoreError, Usage};
use crate::clock::Clock;
use crate::licenses::ServedLicense;
use crate::logic::{charge_key, decide, instant, Policy};
use crate::model::{Answer, Event, Lease, Millis, Refusal, Request, Snapshot, Write};
use crate::report::quarter_of;
use futures_util::future::try_join_all;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use timefence_pgtls::error_text as db_text;
use tokio::sync::{oneshot, Mutex, Semaphore};
use tokio_postgres::{Client, GenericClient, NoTls, Statement};

/// Connections per relay.
const CONNECTIONS: usize = 8;

/// How long the relay's PostgreSQL sessions may wait and run: short enough that a hung peer
/// costs the others a few seconds, never hours.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Longest wait for a row lock (`lock_timeout`).
    pub lock: Duration,
    /// Longest statement (`statement_timeout`).
    pub statement: Duration,
    /// Longest a transaction may sit idle, e.g. in a hung relay (`idle_in_transaction_session_timeout`).
    pub idle_in_transaction: Duration,
    /// Longest wait to connect.
    pub connect: Duration,
    /// Longest wait for one of the relay's connections before answering `Unavailable`.
    pub acquire: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            lock: Duration::from_secs(2),
            statement: Duration::from_secs(5),
            idle_in_transaction: Duration::from_secs(5),
            connect: Duration::from_secs(5),
            acquire: Duration::from_secs(3),
        }
    }
}

impl Timeouts {
    /// The longest a whole request may take on its connection: past it, the relay gives up on
    /// the connection (its state unknown) and answers `Unavailable`.
    fn request(&self) -> Duration {
        self.statement + self.lock + Duration::from_secs(2)
    }
}

/// The latest mark of all.
const LATEST: &str = "SELECT MAX(high_water) FROM relay_licenses";

/// The current instant in milliseconds by the database's clock.
const DB_NOW: &str = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/// One connection and its prepared statements: a statement prepared once per connection costs
/// one round trip per use instead of two.
struct Conn {
    client: Client,
    statements: Statements,
}

struct Statements {
    db_now: Statement,
    latest: Statement,
    ensure: Statement,
    lock: Statement,
    leases: Statement,
    charges: Statement,
    set_high_water: Statement,
    insert_leases: Statement,
    update_leases: Statement,
    delete_leases: Statement,
    charge_occurrences: Statement,
    charge_holders: Statement,
    record_events: Statement,
    refusals: Statement,
    refused_holders: Statement,
    recent_occurrences: Statement,
    recent_holders: Statement,
}

/// A batch's new leases, in one statement.
const INSERT_LEASES: &str = "INSERT INTO relay_leases (id, license, holder, nonce, seq, occurrence, granted_at, expires_at, charged_until) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[])";
/// A batch's renewed leases (each once, in its final state).
const UPDATE_LEASES: &str = "UPDATE relay_leases AS l SET seq = u.seq, expires_at = u.expires_at, charged_until = u.charged_until FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, seq, expires_at, charged_until) WHERE l.id = u.id";
/// A batch's ended leases.
const DELETE_LEASES: &str = "DELETE FROM relay_leases WHERE id = ANY($1::text[])";
/// A batch's charges per occurrence, summed.
const CHARGE_OCCURRENCES: &str = "INSERT INTO relay_occurrences (license, occurrence, charged_ms) SELECT $1, u.o, u.ms FROM unnest($2::text[], $3::bigint[]) AS u(o, ms) ON CONFLICT (license, occurrence) DO UPDATE SET charged_ms = relay_occurrences.charged_ms + excluded.charged_ms";
/// A batch's charges per occurrence and holder, summed.
const CHARGE_HOLDERS: &str = "INSERT INTO relay_charges (license, occurrence, holder, charged_ms) SELECT $1, u.o, u.h, u.ms FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(o, h, ms) ON CONFLICT (license, occurrence, holder) DO UPDATE SET charged_ms = relay_charges.charged_ms + excluded.charged_ms";
/// A batch's history lines, in order.
const RECORD_EVENTS: &str = "INSERT INTO relay_events (at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence) SELECT u.at, u.license, u.lease, u.holder, u.kind, u.reason, u.charged_from, u.charged_to, u.occurrence FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[]) WITH ORDINALITY AS u(at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence, n) ORDER BY n";
/// A batch's refusals, counted per quarter-hour and reason.
const COUNT_REFUSALS: &str = "INSERT INTO relay_refusals (license, quarter, reason, count) SELECT $1, u.q, u.r, u.n FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS u(q, r, n) ON CONFLICT (license, quarter, reason) DO UPDATE SET count = relay_refusals.count + excluded.count";
/// A batch's refused holders, each quarter-hour and reason keeping at most `$5` (a batch adds
/// at most its own few past the limit, which the next batch then stops).
const REFUSED_HOLDERS: &str = "INSERT INTO relay_refused_holders (license, quarter, reason, holder) SELECT $1, u.q, u.r, u.h FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(q, r, h) WHERE (SELECT count(*) FROM relay_refused_holders x WHERE x.license = $1 AND x.quarter = u.q AND x.reason = u.r) < $5 ON CONFLICT (license, quarter, reason, holder) DO NOTHING";

/// A license's charges per occurrence from a date on.
const RECENT_OCCURRENCES: &str =
    "SELECT occurrence, charged_ms FROM relay_occurrences WHERE license = $1 AND occurrence >= $2";
/// A license's charges per holder from a date on, for the holders a batch claims for and the
/// holders of the leases it names.
const RECENT_HOLDERS: &str = "SELECT occurrence, holder, charged_ms FROM relay_charges WHERE license = $1 AND occurrence >= $2 AND (holder = ANY($3::text[]) OR holder IN (SELECT holder FROM relay_leases WHERE id = ANY($4::text[])))";

/// Both charges of a request in one query.
const CHARGES: &str = "SELECT (SELECT charged_ms FROM relay_occurrences WHERE license = $1 AND occurrence = $2), (SELECT charged_ms FROM relay_charges WHERE license = $1 AND occurrence = $2 AND holder = $3)";

async fn prepare(client: Client) -> Result<Conn, StoreError> {
    let lock = format!("{} FOR UPDATE", sql::HIGH_WATER);
    let texts = [
        DB_NOW,
        LATEST,
        sql::ENSURE_LICENSE,
        lock.as_str(),
        sql::LEASES,
        CHARGES,
        sql::SET_HIGH_WATER,
        INSERT_LEASES,
        UPDATE_LEASES,
        DELETE_LEASES,
        CHARGE_OCCURRENCES,
        CHARGE_HOLDERS,
        RECORD_EVENTS,
        COUNT_REFUSALS,
        REFUSED_HOLDERS,
        RECENT_OCCURRENCES,
        RECENT_HOLDERS,
    ];
    // Prepared together: the requests are pipelined on the one connection.
    let mut prepared = try_join_all(texts.iter().map(|t| client.prepare(t)))
        .await
        .map_err(db)?
        .into_iter();
    let mut next = || {
        prepared
            .next()
            .ok_or_else(|| unavailable("statement missing"))
    };
    let statements = Statements {
        db_now: next()?,
        latest: next()?,
        ensure: next()?,
        lock: next()?,
        leases: next()?,
        charges: next()?,
        set_high_water: next()?,
        insert_leases: next()?,
        update_leases: next()?,
        delete_leases: next()?,
        charge_occurrences: next()?,
        charge_holders: next()?,
        record_events: next()?,
        refusals: next()?,
        refused_holders: next()?,
        recent_occurrences: next()?,
        recent_holders: next()?,
    };
    Ok(Conn { client, statements })
}

/// The longest a request waits for its batch's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// The most requests of one license one transaction decides.
const BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Result<Answer, Refusal>, StoreError>>;

/// A request waiting for its license's next transaction.
struct Job {
    license: Arc<ServedLicense>,
    request: Request,
    reply: Reply,
}

/// One license's waiting requests, and whether a task is deciding them.
#[derive(Default)]
struct Queue {
    waiting: Vec<Job>,
    draining: bool,
}

/// The charges a batch has read, with what its earlier requests added.
#[derive(Default)]
struct Charges {
    occurrence: HashMap<String, i64>,
    holder: HashMap<(String, String), i64>,
    /// Read whole for occurrences from this date on: a missing one is 0.
    recent_from: String,
    /// ... and for these holders.
    recent_holders: std::collections::HashSet<String>,
}

impl Charges {
    fn known(&self, occurrence: &str, holder: &str) -> bool {
        (occurrence >= self.recent_from.as_str() && self.recent_holders.contains(holder))
            || self
                .holder
                .contains_key(&(occurrence.to_string(), holder.to_string()))
    }

    /// Takes the stored totals, unless the batch already has the occurrence's (then the
    /// stored one is older than what the batch added to it).
    fn read(&mut self, occurrence: String, holder: String, row: &tokio_postgres::Row) {
        let stored_occurrence = row.get::<_, Option<i64>>(0).unwrap_or(0);
        let stored_holder = row.get::<_, Option<i64>>(1).unwrap_or(0);
        self.occurrence
            .entry(occurrence.clone())
            .or_insert(stored_occurrence);
        self.holder
            .entry((occurrence, holder))
            .or_insert(stored_holder);
    }

    fn get(&self, occurrence: &str, holder: &str) -> (i64, i64) {
        (
            self.occurrence.get(occurrence).copied().unwrap_or(0),
            self.holder
                .get(&(occurrence.to_string(), holder.to_string()))
                .copied()
                .unwrap_or(0),
        )
    }

    fn add(&mut self, occurrence: &str, holder: &str, ms: i64) {
        *self.occurrence.entry(occurrence.to_string()).or_insert(0) += ms;
        *self
            .holder
            .entry((occurrence.to_string(), holder.to_string()))
            .or_insert(0) += ms;
    }
}

/// The PostgreSQL store: a small pool of connections opened on demand, and per license a
/// queue of requests decided in batches. Cheap to clone (all shared).
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<PgInner>,
}

impl std::ops::Deref for PgStore {
    type Target = PgInner;
    fn deref(&self) -> &PgInner {
        &self.inner
    }
}

/// What a [`PgStore`] shares.
pub struct PgInner {
    queues: std::sync::Mutex<HashMap<String, Queue>>,
    config: Target,
    pool: Vec<Mutex<Option<Conn>>>,
    /// One permit per connection: a request waits at most `timeouts.acquire` for one.
    permits: Semaphore,
    timeouts: Timeouts,
    clock: Clock,
    policy: Policy,
    /// Requests decided since this relay started, which pace the vacuum of the hot tables.
    decided: AtomicU64,
    /// The connection that vacuums, and whether a vacuum runs now.
    vacuum: Arc<Mutex<Option<Client>>>,
}

/// After this many decided requests a relay vacuums the tables every request rewrites.
///
/// Each lease's claim, renewals and release leave dead row versions in `relay_leases` (and
/// charges and marks in theirs), and PostgreSQL's autovacuum looks at a database once a
/// minute: under load the license's few live leases sat among tens of thousands of dead
/// ones, every batch's index scan walked them all, and a pair measured at a fresh database's
/// 10,000 operations per second fell to 6,000 within 20 seconds. Counted in requests, not
/// seconds, so the pace follows the load.
const VACUUM_AFTER: u64 = 4_000;

/// The hot tables: few live rows, rewritten by every request. `SKIP_LOCKED`: when the other
/// relay of a pair is vacuuming one of them, this one leaves it to it.
/// `TRUNCATE false`: the freed pages are reused, not given back, which would take the table's
/// exclusive lock under load. The small tables first, so that the larger ones (charges grow
/// with holders and days) never keep them waiting.
const VACUUM_HOT: &str = "VACUUM (SKIP_LOCKED, TRUNCATE false) relay_licenses, relay_leases, relay_occurrences, relay_charges";

fn unavailable(error: impl ToString) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// A database error with the server's own words (for the relay's log; answers carry none).
fn db(error: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(db_text(&error))
}

/// Where and how to connect: the server's settings, and TLS.
#[derive(Clone)]
pub struct Target {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

/// The URL's settings with the relay's timeouts and keepalive added (settings the URL gives
/// itself in `options` come after, so they win), and its TLS.
pub fn configure(url: &str, timeouts: &Timeouts) -> Result<Target, StoreError> {
    let (url, tls) = timefence_pgtls::split_tls(url).map_err(StoreError::Open)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Open(format!("the PostgreSQL URL: {e}")))?;
    let ms = |d: Duration| d.as_millis();
    let mut options = format!(
        "-c lock_timeout={} -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        ms(timeouts.lock),
        ms(timeouts.statement),
        ms(timeouts.idle_in_transaction)
    );
    if let Some(own) = config.get_options() {
        options = format!("{options} {own}");
    }
    config
        .options(options)
        .connect_timeout(timeouts.connect)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(2))
        .keepalives_retries(3)
        .tcp_user_timeout(timeouts.request());
    Ok(Target { config, tls })
}

async fn connect(target: &Target) -> Result<Client, StoreError> {
    let client = match &target.tls {
        None => {
            let (client, connection) = target.config.connect(NoTls).await.map_err(db)?;
            // Ends when the server goes away; the client then reports itself closed.
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
        Some(tls) => {
            let (client, connection) = target.config.connect(tls.clone()).await.map_err(db)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
    };
    Ok(client)
}

/// The schema's version, kept in `relay_meta` once the schema is made.
const SCHEMA_VERSION: i64 = 1;

/// Creates the schema unless it is there. Two relays starting together may both try; the
/// lock makes it once. It is the transaction's own, released by its commit: a lock released
/// before the commit let a second relay look for tables the first had not yet committed and
/// fail to create them again. A relay starting beside a running one does not run the
/// `CREATE ... IF NOT EXISTS` statements at all: `CREATE INDEX` locks its table against
/// writes even when the index exists, and waited out the other relay's vacuum until its lock
/// timeout stopped the start.
async fn create_schema(client: &Client) -> Result<(), tokio_postgres::Error> {
    // Waiting for another relay's schema, or for a lock the DDL needs, may take longer than
    // a request's limits allow; a start is not a request.
    client
        .batch_execute(
            "BEGIN; SET LOCAL lock_timeout = '60s'; SET LOCAL statement_timeout = '60s'; \
             SELECT pg_advisory_xact_lock(7402)",
        )
        .await?;
    let made: bool = client
        .query_one("SELECT to_regclass('relay_meta') IS NOT NULL", &[])
        .await?
        .get(0);
    let current = made
        && client
            .query_opt("SELECT value FROM relay_meta WHERE key = 'schema'", &[])
            .await?
            .is_some_and(|row| row.get::<_, i64>(0) >= SCHEMA_VERSION);
    if !current {
        client.batch_execute(sql::SCHEMA_POSTGRES).await?;
        client
            .execute(
                "INSERT INTO relay_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&SCHEMA_VERSION],
            )
            .await?;
    }
    client.batch_execute("COMMIT").await
}

impl PgStore {
    /// Connects once to create the schema; the pool fills as requests come.
    pub async fn open(
        url: &str,
        clock: Clock,
        policy: Policy,
        timeouts: Timeouts,
    ) -> Result<PgStore, StoreError> {
        let config = configure(url, &timeouts)?;
        let client = connect(&config)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        create_schema(&client)
            .await
            .map_err(|e| StoreError::Open(db_text(&e)))?;
        let mut pool: Vec<Mutex<Option<Conn>>> =
            (0..CONNECTIONS).map(|_| Mutex::new(None)).collect();
        pool[0] = Mutex::new(Some(prepare(client).await?));
        Ok(PgStore {
            inner: Arc::new(PgInner {
                queues: Default::default(),
                config,
                pool,
                permits: Semaphore::new(CONNECTIONS),
                timeouts,
                clock,
                policy,
                decided: AtomicU64::new(0),
                vacuum: Arc::new(Mutex::new(None)),
            }),
        })
    }

    /// Counts `n` decided requests and, every [`VACUUM_AFTER`] of them, vacuums the hot
    /// tables on a connection of its own (never one a request waits for), unless a vacuum
    /// still runs. A failure is logged and left to the next turn.
    fn count_decided(&self, n: u64) {
        let before = self.decided.fetch_add(n, Ordering::Relaxed);
        if before / VACUUM_AFTER == (before + n) / VACUUM_AFTER {
            return;
        }
        let Ok(mut slot) = self.vacuum.clone().try_lock_owned() else {
            return;
        };
        let store = self.clone();
        tokio::spawn(async move {
            if slot.as_ref().is_none_or(|c| c.is_closed()) {
                // No statement limit on this connection: a vacuum of the tables that grow
                // (charges) may take longer than a request may. A statement of its own, since
                // VACUUM runs in no transaction block.
                let connected = match connect(&store.config).await {
                    Ok(client) => client
                        .batch_execute("SET statement_timeout = 0")
                        .await
                        .map(|_| client)
                        .map_err(|e| StoreError::Unavailable(db_text(&e))),
                    Err(error) => Err(error),
                };
                *slot = match connected {
                    Ok(client) => Some(client),
                    Err(error) => {
                        eprintln!("timefence-relay: vacuum: {error}");
                        None
                    }
                };
            }
            if let Some(client) = slot.as_ref() {
                if let Err(error) = client.batch_execute(VACUUM_HOT).await {
                    eprintln!("timefence-relay: vacuum: {}", db_text(&error));
                    *slot = None;
                }
            }
        });
    }

    async fn with_client<T>(
        &self,
        work: impl AsyncFnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A bounded wait for a free connection: when the database is slow or a peer holds a
        // lock, requests are answered `Unavailable` instead of queueing without end.
        let _permit = tokio::time::timeout(self.timeouts.acquire, self.permits.acquire())
            .await
            .map_err(|_| unavailable("every database connection is busy"))?
            .map_err(unavailable)?;
        // The permit guarantees a free slot; find it.
        let mut guard = None;
        for slot in &self.pool {
            if let Ok(g) = slot.try_lock() {
                guard = Some(g);
                break;
            }
        }
        let mut guard = guard.ok_or_else(|| unavailable("no free connection"))?;
        if guard.as_ref().is_none_or(|c| c.client.is_closed()) {
            *guard = None;
            // Connecting and preparing together within the connect timeout: a server that is
            // starting up may accept the connection and then keep it waiting.
            let fresh = async { prepare(connect(&self.config).await?).await };
            let conn = tokio::time::timeout(self.timeouts.connect, fresh)
                .await
                .map_err(|_| unavailable("connecting to the database timed out"))??;
            *guard = Some(conn);
        }
        let Some(conn) = guard.as_mut() else {
            return Err(unavailable("no connection"));
        };
        match tokio::time::timeout(self.timeouts.request(), work(conn)).await {
            Ok(result) => {
                if conn.client.is_closed() || result.is_err() {
                    // After a failure the connection's state is unknown: open a fresh one.
                    *guard = None;
                }
                result
            }
            Err(_) => {
                // The database stopped answering mid-request: the connection is dropped (the
                // server rolls its transaction back) and the request was not decided.
                *guard = None;
                Err(unavailable("the database did not answer in time"))
            }
        }
    }

    /// Decides and stores one request. Requests for one license that arrive while a
    /// transaction for it runs wait and are decided together in the next one: one lock, one
    /// commit, many answers (group commit, as the SQLite store does). Every answer is sent
    /// only after its transaction commits.
    pub async fn submit(
        &self,
        license: Arc<ServedLicense>,
        request: Request,
    ) -> Result<Result<Answer, Refusal>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let reference = license.reference.clone();
        let lead = {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            let queue = queues.entry(reference.clone()).or_default();
            queue.waiting.push(Job {
                license,
                request,
                reply,
            });
            !std::mem::replace(&mut queue.draining, true)
        };
        if lead {
            // A task of its own: the batch goes on even if the request that started it is
            // dropped (its client went away, or its time limit passed).
            let store = self.clone();
            tokio::spawn(async move { store.drain(&reference).await });
        }
        // However the database behaves, the client hears within `ANSWER_WITHIN`, before its
        // own timeout: a request still undecided then is `Unavailable` (its batch may yet
        // commit it; a retry with the same nonce or seq gets the same answer).
        match tokio::time::timeout(ANSWER_WITHIN, answer).await {
            Ok(answer) => answer.map_err(|_| unavailable("the request was dropped"))?,
            Err(_) => Err(unavailable("the database did not decide in time")),
        }
    }

    /// Decides the license's waiting requests, batch after batch, until none wait.
    async fn drain(&self, reference: &str) {
        loop {
            let jobs: Vec<Job> = {
                let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                let Some(queue) = queues.get_mut(reference) else {
                    return;
                };
                if queue.waiting.is_empty() {
                    queues.remove(reference);
                    return;
                }
                let take = queue.waiting.len().min(BATCH);
                queue.waiting.drain(..take).collect()
            };
            let taken = std::sync::Mutex::new(jobs);
            let result = self.decide_batch(reference, &taken).await;
            let jobs = taken.into_inner().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(answers) => {
                    self.count_decided(answers.len() as u64);
                    for (job, answer) in jobs.into_iter().zip(answers) {
                        let _ = job.reply.send(Ok(answer));
                    }
                }
                Err(error) => {
                    // Nothing of the batch was committed; every caller hears so.
                    for job in jobs {
                        let _ = job.reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    /// Up to `most` more of the license's waiting requests, for the batch being decided.
    fn take_more(&self, reference: &str, most: usize) -> Vec<Job> {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        match queues.get_mut(reference) {
            Some(queue) => {
                let take = queue.waiting.len().min(most);
                queue.waiting.drain(..take).collect()
            }
            None => Vec::new(),
        }
    }

    /// One transaction for a batch of one license's requests (`taken`, which grows by the
    /// requests that arrived while the license's lock was awaited).
    async fn decide_batch(
        &self,
        reference: &str,
        taken: &std::sync::Mutex<Vec<Job>>,
    ) -> Result<Vec<Result<Answer, Refusal>>, StoreError> {
        let clock = self.clock.clone();
        let policy = self.policy;
        let mut jobs: Vec<(Arc<ServedLicense>, Request)> = taken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|j| (j.license.clone(), j.request.clone()))
            .collect();
        self.with_client(async move |conn: &mut Conn| {
            let Conn { client, statements } = conn;
            let st = &*statements;
            // The charges of the last days for the holders in play are read with the lock
            // (a day's occurrence is dated in the license's zone; three days back covers any
            // zone and a window opened the day before). A key outside them is read on demand.
            let host_now = match &clock {
                Clock::File(_) => clock.now().map_err(StoreError::Clock)?,
                Clock::System | Clock::Skewed(_) => chrono::Utc::now().timestamp_millis(),
            };
            let recent_from = (instant(host_now) - chrono::TimeDelta::days(3))
                .date_naive()
                .to_string();
            // Charges decide only under a daily limit (how much of it a holder, and the
            // license, have left). A license without one reads none: no holder's row, and no
            // round trip under the lock for the requests that join the batch while it waits.
            let mut limited = jobs.iter().any(|(l, _)| l.terms.daily_limit.is_some());
            let claimants: Vec<&str> = jobs
                .iter()
                .filter(|_| limited)
                .filter_map(|(_, r)| match r {
                    Request::Claim { holder, .. } => Some(holder.as_str()),
                    _ => None,
                })
                .collect();
            let named: Vec<&str> = jobs
                .iter()
                .filter(|_| limited)
                .filter_map(|(_, r)| r.lease())
                .collect();
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&reference];
            let recent: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
                [&reference, &recent_from];
            let in_play: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
                [&reference, &recent_from, &claimants, &named];
            // One round trip: begin, make sure the license has a row, lock it, read the
            // database's clock, the latest mark, the leases and the recent charges. Pipelined
            // and executed in order, so everything after the lock is read under it.
            let (begun, ensured, locked, db_now, latest, leases, occurrences, holders) = tokio::join!(
                client.batch_execute("BEGIN"),
                client.execute(&st.ensure, &params),
                client.query_one(&st.lock, &params),
                client.query_one(&st.db_now, &[]),
                client.query_one(&st.latest, &[]),
                read_leases(&*client, &st.leases, reference),
                client.query(&st.recent_occurrences, &recent),
                client.query(&st.recent_holders, &in_play),
            );
            // Nothing is written unless the transaction began: an error here drops the
            // connection, and the server rolls back whatever did run.
            begun.map_err(db)?;
            ensured.map_err(db)?;
            let high_water: Option<i64> = locked.map_err(db)?.get(0);
            // The latest time any decision saw, on any license and any relay: a clock set back
            // is caught even on a license nobody has asked about since.
            let latest: Option<i64> = latest.map_err(db)?.get(0);
            let db_now: i64 = db_now.map_err(db)?.get(0);
            // The time is read after the lock, as the database's is: a time read before it could
            // be older than a decision the other relay made while this one waited, and a lease
            // that relay deleted as ended by then would be missing from a decision taken at a
            // moment it was still running (seen once: 7 leases at 6 seats, clock-file mode).
            let now = match &clock {
                Clock::File(_) => clock.now().map_err(StoreError::Clock)?,
                Clock::System | Clock::Skewed(_) => db_now,
            };
            let mut leases = leases?;
            let mut charges = Charges {
                recent_from,
                ..Charges::default()
            };
            charges.recent_holders = claimants.iter().map(|h| h.to_string()).collect();
            charges.recent_holders.extend(
                leases
                    .iter()
                    .filter(|l| named.contains(&l.id.as_str()))
                    .map(|l| l.holder.clone()),
            );
            for row in occurrences.map_err(db)? {
                charges.occurrence.insert(row.get(0), row.get(1));
            }
            for row in holders.map_err(db)? {
                charges.holder.insert((row.get(0), row.get(1)), row.get(2));
            }

            // While this relay waited for the lock (another relay held it), more requests
            // came: they join this batch, so a pair decides as many per commit as one relay.
            // Their charges are read in one more round trip.
            let more = self.take_more(reference, BATCH.saturating_sub(jobs.len()));
            if !more.is_empty() {
                let added: Vec<(Arc<ServedLicense>, Request)> = more
                    .iter()
                    .map(|j| (j.license.clone(), j.request.clone()))
                    .collect();
                taken
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(more);
                // A revision with a limit may join a batch begun without one: its keys (and
                // any not read yet) are then read on demand below.
                limited |= added.iter().any(|(l, _)| l.terms.daily_limit.is_some());
                let mut keys: Vec<(String, String)> = added
                    .iter()
                    .filter(|_| limited)
                    .filter_map(|(l, r)| charge_key(l, r, &leases, now))
                    .filter(|(o, h)| !charges.known(o, h))
                    .collect();
                keys.sort();
                keys.dedup();
                let rows = try_join_all(keys.iter().map(|(o, h)| {
                    let (client, statement) = (&*client, &st.charges);
                    async move { client.query_one(statement, &[&reference, o, h]).await }
                }))
                .await
                .map_err(db)?;
                for ((occurrence, holder), row) in keys.into_iter().zip(rows) {
                    charges.read(occurrence, holder, &row);
                }
                jobs.extend(added);
            }

            let (mut mark, mut own_mark) = (high_water.max(latest), high_water);
            let before = leases.clone();
            let mut writes = BatchWrites::default();
            let mut answers = Vec::with_capacity(jobs.len());
            for (license, request) in &jobs {
                let key = charge_key(license, request, &leases, now);
                let (occurrence_charged, holder_charged) = match &key {
                    Some((o, h)) if limited => {
                        if !charges.known(o, h) {
                            let row = client
                                .query_one(&st.charges, &[&reference, o, h])
                                .await
                                .map_err(db)?;
                            charges.read(o.clone(), h.clone(), &row);
                        }
                        charges.get(o, h)
                    }
                    _ => (0, 0),
                };
                let snapshot = Snapshot {
                    high_water: mark,
                    leases: &leases,
                    occurrence_charged,
                    holder_charged,
                };
                let mut outcome = decide(
                    license,
                    policy,
                    &snapshot,
                    request,
                    now,
                    &new_lease_id(reference),
                );
                // The rules raise the mark they were shown, which includes the latest mark of
                // every license; the license's own row must rise too, or a later decision would
                // take its lagging row for the truth. A refusal for the clock, and a sweep,
                // raise nothing.
                let rolled_back = matches!(outcome.answer, Err(Refusal::ClockRollback { .. }));
                let raised = outcome
                    .writes
                    .iter()
                    .any(|w| matches!(w, Write::HighWater(_)));
                let sweep = *request == Request::Sweep;
                if !sweep && !rolled_back && !raised && own_mark.is_none_or(|h| now > h) {
                    outcome.writes.insert(0, Write::HighWater(now));
                }
                // What the next request of the batch sees.
                for write in &outcome.writes {
                    match write {
                        Write::HighWater(at) => {
                            mark = mark.max(Some(*at));
                            own_mark = own_mark.max(Some(*at));
                        }
                        Write::Insert(lease) => leases.push(lease.clone()),
                        Write::Update(lease) => {
                            if let Some(kept) = leases.iter_mut().find(|l| l.id == lease.id) {
                                *kept = lease.clone();
                            }
                        }
                        Write::Delete(id) => leases.retain(|l| &l.id != id),
                        Write::Charge {
                            occurrence,
                            holder,
                            ms,
                        } => charges.add(occurrence, holder, *ms),
                        Write::Record(_) => {}
                    }
                }
                for write in outcome.writes {
                    writes.add(write);
                }
                answers.push(outcome.answer);
            }
            // A handful of statements for the whole batch, pipelined: the leases as the batch
            // left them (each once, in its final state), charges and refusals summed, the
            // history in order, and one mark, the latest the batch raised.
            let mark = own_mark.filter(|_| own_mark != high_water);
            // One more round trip: the writes and the commit, pipelined. A failed write aborts
            // the transaction (its COMMIT then rolls back) and the error is what returns.
            let (written, committed) = tokio::join!(
                writes.write(client, st, reference, &before, &leases, mark),
                client.batch_execute("COMMIT")
            );
            written?;
            committed.map_err(db)?;
            Ok(answers)
        })
        .await
    }

    /// A license's active leases and the open occurrence's charge.
    pub async fn usage(&self, license: Arc<ServedLicense>) -> Result<Usage, StoreError> {
        let clock = self.clock.clone();
        self.with_client(async move |conn: &mut Conn| {
            let now = now_by(&clock, conn).await?;
            let reference = license.reference.as_str();
            let leases = read_leases(&conn.client, &conn.statements.leases, reference).await?;
            let client = &conn.client;
            let occurrence_charged = match license.terms.occurrence_at(instant(now)) {
                Some(o) => client
                    .query_opt(sql::OCCURRENCE_CHARGED, &[&reference, &o.date.to_string()])
                    .await
                    .map_err(db)?
                    .map_or(0, |r| r.get(0)),
                None => 0,
            };
            Ok(Usage {
                active: leases.into_iter().filter(|l| l.expires_at > now).collect(),
                occurrence_charged,
                now,
            })
        })
        .await
    }
}

/// The time decisions use: the database's, unless a clock file is given.
async fn now_by(clock: &Clock, conn: &Conn) -> Result<Millis, StoreError> {
    match clock {
        Clock::System | Clock::Skewed(_) => Ok(conn
            .client
            .query_one(&conn.statements.db_now, &[])
            .await
            .map_err(db)?
            .get(0)),
        other => other.now().map_err(StoreError::Clock),
    }
}

impl PgStore {
    /// The clock decisions use now, and every license's high-water mark.
    pub async fn marks(&self) -> Result<(Millis, Vec<(String, Millis)>), StoreError> {
        let clock = self.clock.clone();
        self.with_client(async move |conn: &mut Conn| {
            let now = now_by(&clock, conn).await?;
            let rows = conn.client.query(sql::MARKS, &[]).await.map_err(db)?;
            Ok((now, rows.iter().map(|r| (r.get(0), r.get(1))).collect()))
        })
        .await
    }

    /// Lowers every mark above `to` to `to` (after a forward glitch), returning the licenses
    /// whose mark changed, with their old marks.
    /// The next decision of every relay reads the lowered marks.
    pub async fn reset_marks(&self, to: Millis) -> Result<Vec<(String, Millis)>, StoreError> {
        let changed = self
            .with_client(async move |conn: &mut Conn| {
                let rows = conn
                    .client
                    .query(sql::RESET_MARKS, &[&to])
                    .await
                    .map_err(db)?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            })
            .await?;
        Ok(changed)
    }
}

async fn read_leases(
    client: &impl GenericClient,
    statement: &Statement,
    license: &str,
) -> Result<Vec<Lease>, StoreError> {
    let rows = client.query(statement, &[&license]).await.map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Lease {
            id: r.get(0),
            license: r.get(1),
            holder: r.get(2),
            nonce: r.get(3),
            seq: r.get::<_, i64>(4) as u64,
            occurrence: r.get(5),
            granted_at: r.get(6),
            expires_at: r.get(7),
            charged_until: r.get(8),
        })
        .collect())
}

/// What a batch writes besides its leases: charges summed per key, refusals counted, the
/// history in order.
#[derive(Default)]
struct BatchWrites {
    occurrences: HashMap<String, i64>,
    holders: HashMap<(String, String), i64>,
    refusals: HashMap<(i64, String), i64>,
    refused_holders: std::collections::HashSet<(i64, String, String)>,
    events: Vec<Event>,
}

impl BatchWrites {
    fn add(&mut self, write: Write) {
        match write {
            Write::Charge {
                occurrence,
                holder,
                ms,
            } => {
                *self.occurrences.entry(occurrence.clone()).or_default() += ms;
                *self.holders.entry((occurrence, holder)).or_default() += ms;
            }
            Write::Record(e) if e.kind == "refused" => {
                let (quarter, reason) = (quarter_of(e.at), e.reason.unwrap_or_default());
                if let Some(holder) = e.holder {
                    self.refused_holders
                        .insert((quarter, reason.clone(), holder));
                }
                *self.refusals.entry((quarter, reason)).or_default() += 1;
            }
            Write::Record(e) => self.events.push(e),
            // Leases are written from the batch's final state, the mark once.
            Write::HighWater(_) | Write::Insert(_) | Write::Update(_) | Write::Delete(_) => {}
        }
    }

    async fn write(
        self,
        tx: &Client,
        st: &Statements,
        license: &str,
        before: &[Lease],
        after: &[Lease],
        mark: Option<i64>,
    ) -> Result<(), StoreError> {
        let old: HashMap<&str, &Lease> = before.iter().map(|l| (l.id.as_str(), l)).collect();
        let now: HashMap<&str, &Lease> = after.iter().map(|l| (l.id.as_str(), l)).collect();
        let inserted: Vec<&Lease> = after
            .iter()
            .filter(|l| !old.contains_key(l.id.as_str()))
            .collect();
        let updated: Vec<&Lease> = after
            .iter()
            .filter(|l| old.get(l.id.as_str()).is_some_and(|o| *o != *l))
            .collect();
        let deleted: Vec<&str> = before
            .iter()
            .filter(|l| !now.contains_key(l.id.as_str()))
            .map(|l| l.id.as_str())
            .collect();
        let column =
            |f: fn(&Lease) -> String, ls: &[&Lease]| ls.iter().map(|l| f(l)).collect::<Vec<_>>();
        let number =
            |f: fn(&Lease) -> i64, ls: &[&Lease]| ls.iter().map(|l| f(l)).collect::<Vec<_>>();
        let (i_id, i_license, i_holder, i_nonce, i_occurrence) = (
            column(|l| l.id.clone(), &inserted),
            column(|l| l.license.clone(), &inserted),
            column(|l| l.holder.clone(), &inserted),
            column(|l| l.nonce.clone(), &inserted),
            column(|l| l.occurrence.clone(), &inserted),
        );
        let (i_seq, i_granted, i_expires, i_charged) = (
            number(|l| l.seq as i64, &inserted),
            number(|l| l.granted_at, &inserted),
            number(|l| l.expires_at, &inserted),
            number(|l| l.charged_until, &inserted),
        );
        let u_id = column(|l| l.id.clone(), &updated);
        let (u_seq, u_expires, u_charged) = (
            number(|l| l.seq as i64, &updated),
            number(|l| l.expires_at, &updated),
            number(|l| l.charged_until, &updated),
        );
        let (o_keys, o_ms): (Vec<String>, Vec<i64>) = self.occurrences.into_iter().unzip();
        let (mut h_occurrence, mut h_holder, mut h_ms) = (Vec::new(), Vec::new(), Vec::new());
        for ((o, h), ms) in self.holders {
            h_occurrence.push(o);
            h_holder.push(h);
            h_ms.push(ms);
        }
        let (mut r_quarter, mut r_reason, mut r_count) = (Vec::new(), Vec::new(), Vec::new());
        for ((q, r), n) in self.refusals {
            r_quarter.push(q);
            r_reason.push(r);
            r_count.push(n);
        }
        let (mut rh_quarter, mut rh_reason, mut rh_holder) = (Vec::new(), Vec::new(), Vec::new());
        for (q, r, h) in self.refused_holders {
            rh_quarter.push(q);
            rh_reason.push(r);
            rh_holder.push(h);
        }
        let most_holders = i64::from(timefence_license::usage::MAX_REFUSED_HOLDERS);
        let e = &self.events;
        let (e_at, e_from, e_to): (Vec<i64>, Vec<i64>, Vec<i64>) = (
            e.iter().map(|e| e.at).collect(),
            e.iter().map(|e| e.charged_from).collect(),
            e.iter().map(|e| e.charged_to).collect(),
        );
        let e_license: Vec<&str> = e.iter().map(|e| e.license.as_str()).collect();
        let e_lease: Vec<Option<&str>> = e.iter().map(|e| e.lease.as_deref()).collect();
        let e_holder: Vec<Option<&str>> = e.iter().map(|e| e.holder.as_deref()).collect();
        let e_kind: Vec<&str> = e.iter().map(|e| e.kind.as_str()).collect();
        let e_reason: Vec<Option<&str>> = e.iter().map(|e| e.reason.as_deref()).collect();
        let e_occurrence: Vec<Option<&str>> = e.iter().map(|e| e.occurrence.as_deref()).collect();

        // Sent one after another without waiting (try_join! polls them in this order, which
        // is the order they go out on the connection), answered in order; empty parts are not
        // sent at all.
        let done = || Ok::<u64, tokio_postgres::Error>(0);
        let mark = async {
            match mark {
                Some(at) => tx.execute(&st.set_high_water, &[&license, &at]).await,
                None => done(),
            }
        };
        let insert = async {
            if inserted.is_empty() {
                return done();
            }
            tx.execute(
                &st.insert_leases,
                &[
                    &i_id,
                    &i_license,
                    &i_holder,
                    &i_nonce,
                    &i_seq,
                    &i_occurrence,
                    &i_granted,
                    &i_expires,
                    &i_charged,
                ],
            )
            .await
        };
        let update = async {
            if updated.is_empty() {
                return done();
            }
            tx.execute(&st.update_leases, &[&u_id, &u_seq, &u_expires, &u_charged])
                .await
        };
        let delete = async {
            if deleted.is_empty() {
                return done();
            }
            tx.execute(&st.delete_leases, &[&deleted]).await
        };
        let occurrences = async {
            if o_keys.is_empty() {
                return done();
            }
            tx.execute(&st.charge_occurrences, &[&license, &o_keys, &o_ms])
                .await
        };
        let holders = async {
            if h_ms.is_empty() {
                return done();
            }
            tx.execute(
                &st.charge_holders,
                &[&license, &h_occurrence, &h_holder, &h_ms],
            )
            .await
        };
        let events = async {
            if e.is_empty() {
                return done();
            }
            tx.execute(
                &st.record_events,
                &[
                    &e_at,
                    &e_license,
                    &e_lease,
                    &e_holder,
                    &e_kind,
                    &e_reason,
                    &e_from,
                    &e_to,
                    &e_occurrence,
                ],
            )
            .await
        };
        let refusals = async {
            if r_count.is_empty() {
                return done();
            }
            tx.execute(&st.refusals, &[&license, &r_quarter, &r_reason, &r_count])
                .await
        };
        let refused_holders = async {
            if rh_holder.is_empty() {
                return done();
            }
            tx.execute(
                &st.refused_holders,
                &[&license, &rh_quarter, &rh_reason, &rh_holder, &most_holders],
            )
            .await
        };
        tokio::try_join!(
            mark,
            insert,
            update,
            delete,
            occurrences,
            holders,
            events,
            refusals,
            refused_holders
        )
        .map_err(db)?;
        Ok(())
    }
}

/// The usage report of `[from, to)`, streamed from its own connection: PostgreSQL sorts the
/// spans (on disk past `work_mem`) and sends them as a stream; only the open ones are held.
pub async fn report(
    url: &str,
    from: Millis,
    to: Millis,
) -> Result<Vec<timefence_license::usage::LicenseUsage>, StoreError> {
    let client = connect(&configure(url, &long_timeouts())?).await?;
    report_on(&client, from, to).await
}

/// A report or a fold reads a month: no statement timeout for it.
fn long_timeouts() -> Timeouts {
    Timeouts {
        statement: Duration::from_secs(24 * 3600),
        ..Timeouts::default()
    }
}

async fn report_on(
    client: &Client,
    from: Millis,
    to: Millis,
) -> Result<Vec<timefence_license::usage::LicenseUsage>, StoreError> {
    use crate::report::{day_of, ReportBuilder, Span, LOOK_BEHIND_MS};
    use futures_util::TryStreamExt;
    use timefence_license::usage::Quarter;
    use tokio_postgres::types::ToSql;
    let folded_until: Millis = client
        .query_opt(sql::FOLDED_UNTIL, &[])
        .await
        .map_err(db)?
        .map_or(Millis::MIN, |r| r.get(0));
    let mut builder = ReportBuilder::new(from, to);
    builder.spans_from(folded_until);
    let raw_from = from.max(folded_until);
    if from < folded_until {
        let end = to.min(folded_until);
        for row in client
            .query(sql::FOLDED_QUARTERS, &[&from, &end])
            .await
            .map_err(db)?
        {
            let quarter: Millis = row.get(1);
            let peak: i32 = row.get(2);
            builder.folded(
                row.get(0),
                Quarter {
                    start: quarter / 1000,
                    peak: u32::try_from(peak).unwrap_or(0),
                    seat_seconds: row.get(3),
                },
            );
        }
        for row in client
            .query(sql::FOLDED_HOLDERS, &[&day_of(from), &day_of(end)])
            .await
            .map_err(db)?
        {
            builder.holder(row.get(0), row.get(1));
        }
    }
    if raw_from < to {
        let since = raw_from.saturating_sub(LOOK_BEHIND_MS);
        let params: [&(dyn ToSql + Sync); 2] = [&since, &to];
        let rows = client
            .query_raw(sql::SPANS_POSTGRES, params)
            .await
            .map_err(db)?;
        futures_util::pin_mut!(rows);
        while let Some(row) = rows.try_next().await.map_err(db)? {
            let (license, a, b): (String, Millis, Millis) = (row.get(0), row.get(1), row.get(2));
            builder.span(&Span {
                license,
                start: a.min(b),
                end: a.max(b),
                sign: if a < b { 1 } else { -1 },
            });
        }
        for row in client
            .query(sql::HOLDERS, &[&since, &to, &raw_from, &to])
            .await
            .map_err(db)?
        {
            builder.holder(row.get(0), row.get(1));
        }
    }
    for row in client
        .query(sql::REFUSED_HOLDERS_BETWEEN, &[&from, &to])
        .await
        .map_err(db)?
    {
        builder.refused_holders(row.get(0), row.get(1), row.get(2), row.get(3));
    }
    for (statement, start) in [(sql::OLD_REFUSALS, raw_from), (sql::REFUSALS_BETWEEN, from)] {
        for row in client.query(statement, &[&start, &to]).await.map_err(db)? {
            builder.refusals(row.get(0), row.get(1), row.get(2), row.get(3));
        }
    }
    Ok(builder.finish())
}

/// As the SQLite store's `fold`: whole UTC days that ended before `before` folded into
/// per-quarter-hour usage and the day's holders, one day per transaction, then their events
/// deleted 10,000 at a time.
pub async fn fold(url: &str, before: Millis) -> Result<(u32, u64), StoreError> {
    use crate::report::{day_of, DAY_MS, LOOK_BEHIND_MS};
    let mut client = connect(&configure(url, &long_timeouts())?).await?;
    let mut days = 0;
    loop {
        let folded: Option<Millis> = client
            .query_opt(sql::FOLDED_UNTIL, &[])
            .await
            .map_err(db)?
            .map(|r| r.get(0));
        let start = match folded {
            Some(until) => until,
            None => {
                let first: Option<Millis> = client
                    .query_one(sql::FIRST_EVENT, &[])
                    .await
                    .map_err(db)?
                    .get(0);
                match first {
                    Some(at) => at.div_euclid(DAY_MS) * DAY_MS,
                    None => break,
                }
            }
        };
        let end = start + DAY_MS;
        if end > before {
            break;
        }
        let usage = report_on(&client, start, end).await?;
        let holders = client
            .query(
                sql::HOLDERS,
                &[&(start - LOOK_BEHIND_MS), &end, &start, &end],
            )
            .await
            .map_err(db)?;
        let tx = client.transaction().await.map_err(db)?;
        for license in &usage {
            for q in &license.quarters {
                let peak = i32::try_from(q.peak).unwrap_or(i32::MAX);
                tx.execute(
                    sql::FOLD_QUARTER,
                    &[&license.license, &(q.start * 1000), &peak, &q.seat_seconds],
                )
                .await
                .map_err(db)?;
            }
        }
        let day = day_of(start);
        for row in &holders {
            let (license, holder): (String, String) = (row.get(0), row.get(1));
            tx.execute(sql::FOLD_HOLDER, &[&license, &day, &holder])
                .await
                .map_err(db)?;
        }
        tx.execute(sql::FOLD_OLD_REFUSALS, &[&start, &end])
            .await
            .map_err(db)?;
        tx.execute(sql::SET_FOLDED_UNTIL, &[&end])
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        days += 1;
    }
    let mut deleted = 0u64;
    let folded: Option<Millis> = client
        .query_opt(sql::FOLDED_UNTIL, &[])
        .await
        .map_err(db)?
        .map(|r| r.get(0));
    if let Some(until) = folded {
        loop {
            let n = client
                .execute(sql::DELETE_OLD_EVENTS, &[&(until - LOOK_BEHIND_MS)])
                .await
                .map_err(db)?;
            deleted += n;
            if n == 0 {
                break;
            }
        }
    }
    Ok((days, deleted))
}
