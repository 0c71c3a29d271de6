//! The embedded engine: one SQLite file, one writer thread, group commit.
//!
//! One relay process per file: the writer keeps the leases it committed in memory, so a
//! second process writing the same file would grant from a stale view. `serve` takes an
//! exclusive lock on `FILE.lock` (holding the first process's id) and a second one refuses
//! to start, naming it.
//!
//! The write-ahead log stays bounded: a background connection checkpoints it (PASSIVE, never
//! blocking the writer), and the writer itself truncates it (`wal_checkpoint(TRUNCATE)`)
//! between batches once it passes [`WAL_TRUNCATE_BYTES`], and again on shutdown.

use super::sql;
use super::{new_lease_id, StoreError, Usage};
use crate::clock::Clock;
use crate::licenses::ServedLicense;
use crate::logic::{charge_key, decide, instant, Policy};
use crate::model::{Answer, Lease, Millis, Refusal, Request, Snapshot, Write};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most requests one transaction takes.
const BATCH: usize = 512;

/// The write-ahead log's size past which the writer truncates it between batches.
pub const WAL_TRUNCATE_BYTES: u64 = 16 * 1024 * 1024;

type Reply = oneshot::Sender<Result<Result<Answer, Refusal>, StoreError>>;

struct Job {
    license: Arc<ServedLicense>,
    request: Request,
    reply: Reply,
}

/// The SQLite store: a channel to its writer thread and a reader connection.
pub struct SqliteStore {
    jobs: mpsc::SyncSender<Job>,
    reader: Arc<Mutex<Connection>>,
    clock: Clock,
    path: std::path::PathBuf,
    /// Held while the store lives: the file's one-writer lock.
    _lock: std::fs::File,
}

/// Takes the exclusive lock on `PATH.lock`, or says which process holds it.
fn lock_file(path: &Path) -> Result<std::fs::File, StoreError> {
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsRawFd;
    let lock_path = path.with_extension(match path.extension() {
        Some(e) => format!("{}.lock", e.to_string_lossy()),
        None => "lock".into(),
    });
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| StoreError::Open(format!("{}: {e}", lock_path.display())))?;
    // SAFETY: flock on a descriptor this function owns; no memory is shared with the call.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !locked {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        return Err(StoreError::Open(format!(
            "{} is in use by another relay (process {}, lock {}): one relay per SQLite file; use PostgreSQL for several",
            path.display(),
            holder.trim(),
            lock_path.display()
        )));
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(file)
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection =
        Connection::open(path).map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(|e| StoreError::Open(e.to_string()))?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens (or creates) the file and starts the writer thread.
    pub fn open(path: &Path, clock: Clock, policy: Policy) -> Result<SqliteStore, StoreError> {
        let lock = lock_file(path)?;
        let mut writer = open_connection(path)?;
        writer
            .execute_batch(sql::SCHEMA_SQLITE)
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let reader = open_connection(path)?;
        // Checkpoints copy the WAL back into the database file and fsync it; done by the writer
        // they would stall every request of that batch. A second connection does them in the
        // background instead (PASSIVE: never blocking the writer).
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 4194304;")
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let checkpointer = open_connection(path)?;
        std::thread::Builder::new()
            .name("relay-sqlite-checkpoint".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_millis(500));
                if checkpointer
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    .is_err()
                {
                    // A busy database is checkpointed next time.
                    continue;
                }
            })
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(4 * BATCH);
        let thread_clock = clock.clone();
        let wal = wal_path(path);
        std::thread::Builder::new()
            .name("relay-sqlite-writer".into())
            .spawn(move || {
                // The writer is the file's only writer, so the leases it last committed are
                // the leases on disk: it keeps them in memory instead of reading them back.
                let mut cache: HashMap<String, Vec<Lease>> = HashMap::new();
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match queue.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    run_batch(&mut writer, &thread_clock, policy, batch, &mut cache);
                    // Between batches nothing else writes: truncating here bounds the log
                    // without ever interleaving with a decision.
                    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_BYTES) {
                        let _ = writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                    }
                }
            })
            .map_err(|e| StoreError::Open(e.to_string()))?;
        Ok(SqliteStore {
            jobs,
            reader: Arc::new(Mutex::new(reader)),
            clock,
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// Copies the write-ahead log into the database and truncates it (at shutdown: the file
    /// is then whole by itself).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let connection = open_connection(&self.path)?;
        connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(unavailable)
    }

    /// The clock decisions use now, and every license's high-water mark.
    pub async fn marks(&self) -> Result<(Millis, Vec<(String, Millis)>), StoreError> {
        let reader = self.reader.clone();
        let clock = self.clock.clone();
        tokio::task::spawn_blocking(move || {
            let now = clock.now().map_err(StoreError::Clock)?;
            let connection = reader.lock().map_err(|_| unavailable("reader poisoned"))?;
            Ok((now, read_marks(&connection).map_err(unavailable)?))
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Queues a request for the writer and waits for its committed answer.
    pub async fn submit(
        &self,
        license: Arc<ServedLicense>,
        request: Request,
    ) -> Result<Result<Answer, Refusal>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let jobs = self.jobs.clone();
        let job = Job {
            license,
            request,
            reply,
        };
        // The queue is bounded: a full queue makes callers wait (off the async threads)
        // rather than grow memory.
        match jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?
                    .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(StoreError::Unavailable("the writer has stopped".into()));
            }
        }
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    /// A license's active leases and the open occurrence's charge.
    pub async fn usage(&self, license: Arc<ServedLicense>) -> Result<Usage, StoreError> {
        let reader = self.reader.clone();
        let clock = self.clock.clone();
        tokio::task::spawn_blocking(move || {
            let now = clock.now().map_err(StoreError::Clock)?;
            let connection = reader.lock().map_err(|_| unavailable("reader poisoned"))?;
            let leases = read_leases(&connection, &license.reference).map_err(unavailable)?;
            let occurrence_charged = match license.terms.occurrence_at(instant(now)) {
                Some(o) => connection
                    .query_row(
                        &numbered(sql::OCCURRENCE_CHARGED),
                        params![license.reference, o.date.to_string()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?
                    .unwrap_or(0),
                None => 0,
            };
            Ok(Usage {
                active: leases.into_iter().filter(|l| l.expires_at > now).collect(),
                occurrence_charged,
                now,
            })
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    name.into()
}

fn read_marks(connection: &Connection) -> rusqlite::Result<Vec<(String, Millis)>> {
    let mut statement = connection.prepare(sql::MARKS)?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The marks in the file at `path` (a relay may be running on it).
pub fn marks_in(path: &Path) -> Result<Vec<(String, Millis)>, StoreError> {
    let connection = open_connection(path)?;
    read_marks(&connection).map_err(unavailable)
}

/// Lowers every mark above `to` to `to` in the file at `path`, returning the licenses whose
/// mark changed with their old marks. A relay running on the file reads the lowered marks at
/// its next batch.
pub fn reset_marks_in(path: &Path, to: Millis) -> Result<Vec<(String, Millis)>, StoreError> {
    let mut connection = open_connection(path)?;
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let changed: Vec<(String, Millis)> = {
        let mut statement = tx
            .prepare("SELECT ref, high_water FROM relay_licenses WHERE high_water > ?1")
            .map_err(unavailable)?;
        let rows = statement
            .query_map([to], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(unavailable)?;
        rows.collect::<rusqlite::Result<_>>().map_err(unavailable)?
    };
    tx.execute(
        "UPDATE relay_licenses SET high_water = ?1 WHERE high_water > ?1",
        [to],
    )
    .map_err(unavailable)?;
    tx.commit().map_err(unavailable)?;
    Ok(changed)
}

/// The usage report of `[from, to)` from the file at `path`, streamed: the spans come sorted
/// from SQLite (which sorts on disk when it must) and only the open ones are held. Days
/// already folded come from the folded tables.
pub fn report(
    path: &Path,
    from: Millis,
    to: Millis,
) -> Result<Vec<timefence_license::usage::LicenseUsage>, StoreError> {
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
    report_on(&connection, from, to)
}

fn report_on(
    connection: &Connection,
    from: Millis,
    to: Millis,
) -> Result<Vec<timefence_license::usage::LicenseUsage>, StoreError> {
    use crate::report::{day_of, ReportBuilder, Span, LOOK_BEHIND_MS};
    use timefence_license::usage::Quarter;
    let folded_until = folded_until(connection)?.unwrap_or(Millis::MIN);
    let mut builder = ReportBuilder::new(from, to);
    builder.spans_from(folded_until);
    let raw_from = from.max(folded_until);
    if from < folded_until {
        let end = to.min(folded_until);
        let mut statement = connection
            .prepare(&numbered(sql::FOLDED_QUARTERS))
            .map_err(unavailable)?;
        let mut rows = statement.query([from, end]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let license: String = row.get(0).map_err(unavailable)?;
            let quarter: Millis = row.get(1).map_err(unavailable)?;
            let quarter = Quarter {
                start: quarter / 1000,
                peak: row.get(2).map_err(unavailable)?,
                seat_seconds: row.get(3).map_err(unavailable)?,
            };
            builder.folded(&license, quarter);
        }
        let mut statement = connection
            .prepare(&numbered(sql::FOLDED_HOLDERS))
            .map_err(unavailable)?;
        let mut rows = statement
            .query([day_of(from), day_of(end)])
            .map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let license: String = row.get(0).map_err(unavailable)?;
            let holder: String = row.get(1).map_err(unavailable)?;
            builder.holder(&license, &holder);
        }
    }
    if raw_from < to {
        let since = raw_from.saturating_sub(LOOK_BEHIND_MS);
        let mut statement = connection
            .prepare(&numbered(sql::SPANS_SQLITE))
            .map_err(unavailable)?;
        let mut rows = statement.query([since, to]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let (license, a, b): (String, Millis, Millis) = (
                row.get(0).map_err(unavailable)?,
                row.get(1).map_err(unavailable)?,
                row.get(2).map_err(unavailable)?,
            );
            builder.span(&Span {
                license,
                start: a.min(b),
                end: a.max(b),
                sign: if a < b { 1 } else { -1 },
            });
        }
        let mut statement = connection
            .prepare(&numbered(sql::HOLDERS))
            .map_err(unavailable)?;
        let mut rows = statement
            .query([since, to, raw_from, to])
            .map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let license: String = row.get(0).map_err(unavailable)?;
            let holder: String = row.get(1).map_err(unavailable)?;
            builder.holder(&license, &holder);
        }
    }
    {
        let mut statement = connection
            .prepare(&numbered(sql::REFUSED_HOLDERS_BETWEEN))
            .map_err(unavailable)?;
        let mut rows = statement.query([from, to]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let license: String = row.get(0).map_err(unavailable)?;
            let quarter: Millis = row.get(1).map_err(unavailable)?;
            let reason: String = row.get(2).map_err(unavailable)?;
            let holders: i64 = row.get(3).map_err(unavailable)?;
            builder.refused_holders(&license, quarter, &reason, holders);
        }
    }
    for (statement, start) in [(sql::OLD_REFUSALS, raw_from), (sql::REFUSALS_BETWEEN, from)] {
        let mut statement = connection
            .prepare(&numbered(statement))
            .map_err(unavailable)?;
        let mut rows = statement.query([start, to]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let license: String = row.get(0).map_err(unavailable)?;
            let quarter: Millis = row.get(1).map_err(unavailable)?;
            let reason: String = row.get(2).map_err(unavailable)?;
            let count: i64 = row.get(3).map_err(unavailable)?;
            builder.refusals(&license, quarter, &reason, count);
        }
    }
    Ok(builder.finish())
}

fn folded_until(connection: &Connection) -> Result<Option<Millis>, StoreError> {
    connection
        .query_row(&numbered(sql::FOLDED_UNTIL), [], |r| r.get(0))
        .optional()
        .map_err(unavailable)
}

/// Folds the whole UTC days that ended before `before` into per-quarter-hour usage and the
/// day's holders, then deletes their events (keeping the look-behind a later day's report
/// reads). One day per transaction, deletes 10,000 rows at a time: a relay running on the
/// file goes on deciding between them. Returns the days folded and the events deleted.
pub fn fold(path: &Path, before: Millis) -> Result<(u32, u64), StoreError> {
    use crate::report::{day_of, DAY_MS, LOOK_BEHIND_MS};
    let mut connection = open_connection(path)?;
    connection
        .execute_batch(sql::SCHEMA_SQLITE)
        .map_err(unavailable)?;
    let mut days = 0;
    loop {
        let start = match folded_until(&connection)? {
            Some(until) => until,
            None => {
                let first: Option<Millis> = connection
                    .query_row(sql::FIRST_EVENT, [], |r| r.get(0))
                    .map_err(unavailable)?;
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
        // Read the day as a report would, then write what it needs in one transaction.
        let usage = report_on(&connection, start, end)?;
        let holders: Vec<(String, String)> = {
            let mut statement = connection
                .prepare(&numbered(sql::HOLDERS))
                .map_err(unavailable)?;
            let rows = statement
                .query_map([start - LOOK_BEHIND_MS, end, start, end], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(unavailable)?;
            rows.collect::<rusqlite::Result<_>>().map_err(unavailable)?
        };
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        for license in &usage {
            for q in &license.quarters {
                tx.execute(
                    &numbered(sql::FOLD_QUARTER),
                    params![license.license, q.start * 1000, q.peak, q.seat_seconds],
                )
                .map_err(unavailable)?;
            }
        }
        let day = day_of(start);
        for (license, holder) in &holders {
            tx.execute(&numbered(sql::FOLD_HOLDER), params![license, day, holder])
                .map_err(unavailable)?;
        }
        tx.execute(&numbered(sql::FOLD_OLD_REFUSALS), params![start, end])
            .map_err(unavailable)?;
        tx.execute(&numbered(sql::SET_FOLDED_UNTIL), params![end])
            .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        days += 1;
    }
    // The events of folded days, but for the look-behind the next day's report reads.
    let mut deleted = 0u64;
    if let Some(until) = folded_until(&connection)? {
        loop {
            let n = connection
                .execute(&numbered(sql::DELETE_OLD_EVENTS), [until - LOOK_BEHIND_MS])
                .map_err(unavailable)?;
            deleted += n as u64;
            if n == 0 {
                break;
            }
        }
    }
    Ok((days, deleted))
}

/// SQLite numbers `$n` parameters by first appearance, not by `n`; `?n` is by `n`.
fn numbered(statement: &str) -> String {
    statement.replace('$', "?")
}

fn unavailable(error: impl ToString) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn run_batch(
    connection: &mut Connection,
    clock: &Clock,
    policy: Policy,
    batch: Vec<Job>,
    cache: &mut HashMap<String, Vec<Lease>>,
) {
    let mut answers = Vec::with_capacity(batch.len());
    // The batch's view of the leases; it replaces the cache only if the batch commits.
    let mut pending: HashMap<String, Vec<Lease>> = HashMap::new();
    let result = (|| -> Result<(), StoreError> {
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        // The latest time any decision saw, across licenses: a clock set back is caught even
        // on a license that has not been asked since. Read from the file at every batch, so
        // `timefence-relay clock --reset` takes effect on a running relay.
        let mut seen: Option<i64> = tx
            .prepare_cached("SELECT MAX(high_water) FROM relay_licenses")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(unavailable)?;
        for job in &batch {
            // The clock is read inside the transaction, so decisions are in time order.
            let now = clock.now().map_err(StoreError::Clock)?;
            let reference = &job.license.reference;
            if !pending.contains_key(reference) {
                let leases = match cache.get(reference) {
                    Some(leases) => leases.clone(),
                    None => read_leases(&tx, reference).map_err(unavailable)?,
                };
                pending.insert(reference.clone(), leases);
            }
            let leases = pending.get_mut(reference).expect("inserted above");
            let mut snapshot =
                snapshot(&tx, &job.license, &job.request, now, leases).map_err(unavailable)?;
            snapshot.high_water = snapshot.high_water.max(seen);
            if job.request != Request::Sweep
                && snapshot
                    .high_water
                    .is_none_or(|h| now >= h - policy.clock_tolerance_ms)
            {
                seen = seen.max(Some(now));
            }
            let outcome = decide(
                &job.license,
                policy,
                &snapshot,
                &job.request,
                now,
                &new_lease_id(&job.license.reference),
            );
            for write in &outcome.writes {
                apply(&tx, reference, write).map_err(unavailable)?;
                match write {
                    Write::Insert(lease) => leases.push(lease.clone()),
                    Write::Update(lease) => {
                        if let Some(kept) = leases.iter_mut().find(|l| l.id == lease.id) {
                            *kept = lease.clone();
                        }
                    }
                    Write::Delete(id) => leases.retain(|l| &l.id != id),
                    _ => {}
                }
            }
            answers.push(outcome.answer);
        }
        tx.commit().map_err(unavailable)
    })();
    match result {
        Ok(()) => {
            cache.extend(pending);
            for (job, answer) in batch.into_iter().zip(answers) {
                let _ = job.reply.send(Ok(answer));
            }
        }
        Err(error) => {
            // Nothing of the batch was committed; every caller hears so.
            for job in batch {
                let _ = job.reply.send(Err(error.clone()));
            }
        }
    }
}

fn read_leases(connection: &Connection, license: &str) -> rusqlite::Result<Vec<Lease>> {
    let mut statement = connection.prepare_cached(&numbered(sql::LEASES))?;
    let rows = statement.query_map(params![license], |r| {
        Ok(Lease {
            id: r.get(0)?,
            license: r.get(1)?,
            holder: r.get(2)?,
            nonce: r.get(3)?,
            seq: r.get::<_, i64>(4)? as u64,
            occurrence: r.get(5)?,
            granted_at: r.get(6)?,
            expires_at: r.get(7)?,
            charged_until: r.get(8)?,
        })
    })?;
    rows.collect()
}

fn snapshot<'a>(
    connection: &Connection,
    license: &ServedLicense,
    request: &Request,
    now: i64,
    leases: &'a [Lease],
) -> rusqlite::Result<Snapshot<'a>> {
    let high_water: Option<i64> = connection
        .prepare_cached(&numbered(sql::HIGH_WATER))?
        .query_row(params![license.reference], |r| r.get(0))
        .optional()?
        .flatten();
    let (mut occurrence_charged, mut holder_charged) = (0, 0);
    if let Some((occurrence, holder)) = charge_key(license, request, leases, now) {
        occurrence_charged = connection
            .prepare_cached(&numbered(sql::OCCURRENCE_CHARGED))?
            .query_row(params![license.reference, occurrence], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        holder_charged = connection
            .prepare_cached(&numbered(sql::HOLDER_CHARGED))?
            .query_row(params![license.reference, occurrence, holder], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
    }
    Ok(Snapshot {
        high_water,
        leases,
        occurrence_charged,
        holder_charged,
    })
}

fn apply(connection: &Connection, license: &str, write: &Write) -> rusqlite::Result<()> {
    match write {
        Write::HighWater(at) => {
            connection
                .prepare_cached(&numbered(sql::ENSURE_LICENSE))?
                .execute(params![license])?;
            connection
                .prepare_cached(&numbered(sql::SET_HIGH_WATER))?
                .execute(params![license, at])?;
        }
        Write::Insert(l) => {
            connection
                .prepare_cached(&numbered(sql::INSERT_LEASE))?
                .execute(params![
                    l.id,
                    l.license,
                    l.holder,
                    l.nonce,
                    l.seq as i64,
                    l.occurrence,
                    l.granted_at,
                    l.expires_at,
                    l.charged_until
                ])?;
        }
        Write::Update(l) => {
            connection
                .prepare_cached(&numbered(sql::UPDATE_LEASE))?
                .execute(params![l.id, l.seq as i64, l.expires_at, l.charged_until])?;
        }
        Write::Delete(id) => {
            connection
                .prepare_cached(&numbered(sql::DELETE_LEASE))?
                .execute(params![id])?;
        }
        Write::Charge {
            occurrence,
            holder,
            ms,
        } => {
            connection
                .prepare_cached(&numbered(sql::CHARGE_OCCURRENCE))?
                .execute(params![license, occurrence, ms])?;
            connection
                .prepare_cached(&numbered(sql::CHARGE_HOLDER))?
                .execute(params![license, occurrence, holder, ms])?;
        }
        Write::Record(e) if e.kind == "refused" => {
            let (quarter, reason) = (
                crate::report::quarter_of(e.at),
                e.reason.as_deref().unwrap_or(""),
            );
            connection
                .prepare_cached(&numbered(sql::COUNT_REFUSAL))?
                .execute(params![license, quarter, reason, 1])?;
            if let Some(holder) = &e.holder {
                connection
                    .prepare_cached(&numbered(sql::REFUSED_HOLDER))?
                    .execute(params![
                        license,
                        quarter,
                        reason,
                        holder,
                        timefence_license::usage::MAX_REFUSED_HOLDERS
                    ])?;
            }
        }
        Write::Record(e) => {
            connection
                .prepare_cached(&numbered(sql::RECORD))?
                .execute(params![
                    e.at,
                    e.license,
                    e.lease,
                    e.holder,
                    e.kind,
                    e.reason,
                    e.charged_from,
                    e.charged_to,
                    e.occurrence
                ])?;
        }
    }
    Ok(())
}
