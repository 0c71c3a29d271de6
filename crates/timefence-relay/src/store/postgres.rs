//! The shared engine: PostgreSQL, for several relays behind one address.
//!
//! Each request is one transaction on one of the relay's connections: make sure the license
//! has a row, lock it (`SELECT ... FOR UPDATE`), read the clock, read the snapshot, decide,
//! write, commit. The row lock serialises every request for one license across every relay,
//! so the seat count and the charges are decided as if by one process. Reading the clock
//! after the lock keeps decisions of one license in time order even between relays.
//!
//! A lost connection (a restarted server, a network cut) fails the request with
//! `Unavailable` and is opened again for the next one.

use super::sql;
use super::{new_lease_id, StoreError, Usage};
use crate::clock::Clock;
use crate::licenses::ServedLicense;
use crate::logic::{charge_key, decide, instant, Policy};
use crate::model::{Answer, Event, Lease, Millis, Refusal, Request, Snapshot, Write};
use futures_util::future::try_join_all;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::{Client, GenericClient, NoTls, Statement};

/// Connections per relay.
const CONNECTIONS: usize = 8;

/// One connection and its prepared statements: a statement prepared once per connection costs
/// one round trip per use instead of two.
struct Conn {
    client: Client,
    statements: Statements,
}

struct Statements {
    ensure: Statement,
    lock: Statement,
    leases: Statement,
    charges: Statement,
    set_high_water: Statement,
    insert_lease: Statement,
    update_lease: Statement,
    delete_lease: Statement,
    charge_occurrence: Statement,
    charge_holder: Statement,
    record: Statement,
}

/// Both charges of a request in one query.
const CHARGES: &str = "SELECT (SELECT charged_ms FROM relay_occurrences WHERE license = $1 AND occurrence = $2), (SELECT charged_ms FROM relay_charges WHERE license = $1 AND occurrence = $2 AND holder = $3)";

async fn prepare(client: Client) -> Result<Conn, StoreError> {
    let lock = format!("{} FOR UPDATE", sql::HIGH_WATER);
    let texts = [
        sql::ENSURE_LICENSE,
        lock.as_str(),
        sql::LEASES,
        CHARGES,
        sql::SET_HIGH_WATER,
        sql::INSERT_LEASE,
        sql::UPDATE_LEASE,
        sql::DELETE_LEASE,
        sql::CHARGE_OCCURRENCE,
        sql::CHARGE_HOLDER,
        sql::RECORD,
    ];
    // Prepared together: the requests are pipelined on the one connection.
    let mut prepared = try_join_all(texts.iter().map(|t| client.prepare(t)))
        .await
        .map_err(unavailable)?
        .into_iter();
    let mut next = || {
        prepared
            .next()
            .ok_or_else(|| unavailable("statement missing"))
    };
    let statements = Statements {
        ensure: next()?,
        lock: next()?,
        leases: next()?,
        charges: next()?,
        set_high_water: next()?,
        insert_lease: next()?,
        update_lease: next()?,
        delete_lease: next()?,
        charge_occurrence: next()?,
        charge_holder: next()?,
        record: next()?,
    };
    Ok(Conn { client, statements })
}

/// The PostgreSQL store: a small pool of connections opened on demand.
pub struct PgStore {
    url: String,
    pool: Vec<Mutex<Option<Conn>>>,
    next: AtomicUsize,
    clock: Clock,
    policy: Policy,
    /// The latest time this relay has seen on any license (other relays' progress shows in
    /// each license's own row).
    high_water: AtomicI64,
}

fn unavailable(error: impl ToString) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

async fn connect(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(unavailable)?;
    tokio::spawn(async move {
        // Ends when the server goes away; the client then reports itself closed.
        let _ = connection.await;
    });
    Ok(client)
}

/// The event log recorded in `[from, to)`, on a connection of its own.
pub async fn read_events(url: &str, from: Millis, to: Millis) -> Result<Vec<Event>, StoreError> {
    let client = connect(url).await?;
    let rows = client
        .query(sql::EVENTS_BETWEEN, &[&from, &to])
        .await
        .map_err(unavailable)?;
    Ok(rows
        .iter()
        .map(|r| Event {
            at: r.get(0),
            license: r.get(1),
            lease: r.get(2),
            holder: r.get(3),
            kind: r.get(4),
            reason: r.get(5),
            charged_from: r.get(6),
            charged_to: r.get(7),
            occurrence: r.get(8),
        })
        .collect())
}

impl PgStore {
    /// Connects once to create the schema; the pool fills as requests come.
    pub async fn open(url: &str, clock: Clock, policy: Policy) -> Result<PgStore, StoreError> {
        let client = connect(url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        // Two relays starting together may both create the schema; the lock makes it once.
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_lock(7402); {} SELECT pg_advisory_unlock(7402);",
                sql::SCHEMA_POSTGRES
            ))
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let high_water: Option<i64> = client
            .query_one("SELECT MAX(high_water) FROM relay_licenses", &[])
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?
            .get(0);
        let mut pool: Vec<Mutex<Option<Conn>>> =
            (0..CONNECTIONS).map(|_| Mutex::new(None)).collect();
        pool[0] = Mutex::new(Some(prepare(client).await?));
        Ok(PgStore {
            url: url.to_string(),
            pool,
            next: AtomicUsize::new(0),
            clock,
            policy,
            high_water: AtomicI64::new(high_water.unwrap_or(i64::MIN)),
        })
    }

    async fn with_client<T>(
        &self,
        work: impl AsyncFnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let slot = &self.pool[self.next.fetch_add(1, Ordering::Relaxed) % CONNECTIONS];
        let mut guard = slot.lock().await;
        if guard.as_ref().is_none_or(|c| c.client.is_closed()) {
            *guard = Some(prepare(connect(&self.url).await?).await?);
        }
        let Some(conn) = guard.as_mut() else {
            return Err(unavailable("no connection"));
        };
        let result = work(conn).await;
        if conn.client.is_closed() {
            *guard = None;
        }
        result
    }

    /// Decides and stores one request in its own transaction.
    pub async fn submit(
        &self,
        license: Arc<ServedLicense>,
        request: Request,
    ) -> Result<Result<Answer, Refusal>, StoreError> {
        let clock = self.clock.clone();
        let policy = self.policy;
        let seen = &self.high_water;
        self.with_client(async move |conn: &mut Conn| {
            let Conn { client, statements } = conn;
            let st = &*statements;
            let tx = client.transaction().await.map_err(unavailable)?;
            let reference = license.reference.as_str();
            // Make sure the license has a row, and lock it: sent together, answered in order.
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&reference];
            let (ensured, locked) = tokio::join!(
                tx.execute(&st.ensure, &params),
                tx.query_one(&st.lock, &params)
            );
            ensured.map_err(unavailable)?;
            let high_water: Option<i64> = locked.map_err(unavailable)?.get(0);
            let now = clock.now().map_err(StoreError::Clock)?;
            let leases = read_leases(&tx, &st.leases, reference).await?;
            let (mut occurrence_charged, mut holder_charged) = (0, 0);
            if let Some((occurrence, holder)) = charge_key(&license, &request, &leases, now) {
                let row = tx
                    .query_one(&st.charges, &[&reference, &occurrence, &holder])
                    .await
                    .map_err(unavailable)?;
                occurrence_charged = row.get::<_, Option<i64>>(0).unwrap_or(0);
                holder_charged = row.get::<_, Option<i64>>(1).unwrap_or(0);
            }
            let relay_seen = Some(seen.load(Ordering::Relaxed)).filter(|h| *h != i64::MIN);
            let snapshot = Snapshot {
                high_water: high_water.max(relay_seen),
                leases: &leases,
                occurrence_charged,
                holder_charged,
            };
            let mut outcome = decide(
                &license,
                policy,
                &snapshot,
                &request,
                now,
                &new_lease_id(reference),
            );
            // The rules raise the mark they were shown, which includes what this relay has seen
            // on other licenses; the license's own row must rise too, or a relay started
            // afresh (knowing nothing) would take its lagging row for the truth and accept a
            // clock set back. A refusal for the clock raises nothing.
            let rolled_back = matches!(outcome.answer, Err(Refusal::ClockRollback { .. }));
            let raised = outcome
                .writes
                .iter()
                .any(|w| matches!(w, Write::HighWater(_)));
            if !rolled_back && !raised && high_water.is_none_or(|h| now > h) {
                outcome.writes.insert(0, Write::HighWater(now));
            }
            // The writes, pipelined: sent one after another without waiting, answered in order.
            try_join_all(outcome.writes.iter().map(|w| apply(&tx, st, reference, w))).await?;
            tx.commit().await.map_err(unavailable)?;
            if !matches!(outcome.answer, Err(Refusal::ClockRollback { .. })) {
                seen.fetch_max(now, Ordering::Relaxed);
            }
            Ok(outcome.answer)
        })
        .await
    }

    /// A license's active leases and the open occurrence's charge.
    pub async fn usage(&self, license: Arc<ServedLicense>) -> Result<Usage, StoreError> {
        let now = self.clock.now().map_err(StoreError::Clock)?;
        self.with_client(async move |conn: &mut Conn| {
            let reference = license.reference.as_str();
            let leases = read_leases(&conn.client, &conn.statements.leases, reference).await?;
            let client = &conn.client;
            let occurrence_charged = match license.terms.occurrence_at(instant(now)) {
                Some(o) => client
                    .query_opt(sql::OCCURRENCE_CHARGED, &[&reference, &o.date.to_string()])
                    .await
                    .map_err(unavailable)?
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

async fn read_leases(
    client: &impl GenericClient,
    statement: &Statement,
    license: &str,
) -> Result<Vec<Lease>, StoreError> {
    let rows = client
        .query(statement, &[&license])
        .await
        .map_err(unavailable)?;
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

async fn apply(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Statements,
    license: &str,
    write: &Write,
) -> Result<(), StoreError> {
    match write {
        Write::HighWater(at) => tx.execute(&st.set_high_water, &[&license, at]).await,
        Write::Insert(l) => {
            tx.execute(
                &st.insert_lease,
                &[
                    &l.id,
                    &l.license,
                    &l.holder,
                    &l.nonce,
                    &(l.seq as i64),
                    &l.occurrence,
                    &l.granted_at,
                    &l.expires_at,
                    &l.charged_until,
                ],
            )
            .await
        }
        Write::Update(l) => {
            tx.execute(
                &st.update_lease,
                &[&l.id, &(l.seq as i64), &l.expires_at, &l.charged_until],
            )
            .await
        }
        Write::Delete(id) => tx.execute(&st.delete_lease, &[id]).await,
        Write::Charge {
            occurrence,
            holder,
            ms,
        } => {
            tx.execute(&st.charge_occurrence, &[&license, occurrence, ms])
                .await
                .map_err(unavailable)?;
            tx.execute(&st.charge_holder, &[&license, occurrence, holder, ms])
                .await
        }
        Write::Record(e) => {
            tx.execute(
                &st.record,
                &[
                    &e.at,
                    &e.license,
                    &e.lease,
                    &e.holder,
                    &e.kind,
                    &e.reason,
                    &e.charged_from,
                    &e.charged_to,
                    &e.occurrence,
                ],
            )
            .await
        }
    }
    .map(|_| ())
    .map_err(unavailable)
}
