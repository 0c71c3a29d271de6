//! A blocking connection to a team catalogue's PostgreSQL server that never waits longer than
//! it says.
//!
//! A server that stops is easy: its socket closes and every call fails at once. A server that
//! hangs (a stopped process, a full disk, a lock held by a member whose laptop went to sleep)
//! or a network that silently drops packets is not: the kernel keeps acknowledging, or nothing
//! comes back at all, and a plain client waits until TCP gives up, minutes later, with the
//! window waiting on it. So every call here is given [`WAITS`]`.answer` to be answered; past
//! that the connection is dropped (nothing uncommitted survives a dropped connection) and the
//! call fails with [`DbError::NoAnswer`], which the catalogue reports as the server being away
//! and from which it reconnects by itself on the next call outside a transaction.
//!
//! The server is told its own limits, shorter than ours, so that what it can answer it
//! answers with a reason: a row lock waited for past `lock_timeout` is refused (55P03, the
//! catalogue's `Busy`), a statement past `statement_timeout` is cancelled (57014, the
//! catalogue's `TooSlow`), and a session that
//! sits in a transaction past `idle_in_transaction_session_timeout` (its client hung between
//! two statements) is ended by the server, which frees the rows it held for everyone else.

use crate::db::DbError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, Notification, Row, Statement};

/// How long each side waits.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// Longest this client waits for any answer.
    pub answer: Duration,
    /// Longest it waits to connect.
    pub connect: Duration,
    /// Longest the server lets a statement wait for a row lock (`lock_timeout`).
    pub lock: Duration,
    /// Longest statement (`statement_timeout`).
    pub statement: Duration,
    /// Longest a session may sit in a transaction with nothing to do
    /// (`idle_in_transaction_session_timeout`).
    pub idle_in_transaction: Duration,
}

/// The waits every team catalogue connection uses. The server's limits are shorter than the
/// client's so that a lock or a slow statement is reported with its reason; a catalogue's own
/// statements take milliseconds, and a transaction is idle only while its client is hung.
pub const WAITS: Waits = Waits {
    answer: Duration::from_secs(15),
    connect: Duration::from_secs(15),
    lock: Duration::from_secs(5),
    statement: Duration::from_secs(12),
    idle_in_transaction: Duration::from_secs(10),
};

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL's TLS settings are refused or its CA cannot be read.
    Tls(String),
    /// The server refused, could not be reached, or did not answer.
    Db(DbError),
}

/// One connection, with the runtime that drives it; see the module's overview.
pub struct Server {
    /// Taken only when dropped (see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    /// `None` once a call went unanswered: the connection was dropped with it.
    client: Option<Arc<tokio_postgres::Client>>,
    /// What `LISTEN` brought in, in order.
    heard: mpsc::UnboundedReceiver<Notification>,
    wait: Duration,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Reads the connection's messages until it ends, passing notifications on. Running as a
/// task of the connection's own runtime, it moves only while a call is waiting on that
/// runtime, which is when there is something to read.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    heard: mpsc::UnboundedSender<Notification>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        match message {
            Ok(AsyncMessage::Notification(n)) => {
                let _ = heard.send(n);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Runs `future` on the connection's own runtime. Called from a worker of another
/// (multi-threaded) runtime, as the app's commands are, that worker first hands its other
/// tasks on, as blocking there asks.
fn block<F: Future>(runtime: Option<&tokio::runtime::Runtime>, future: F) -> F::Output {
    let Some(runtime) = runtime else {
        unreachable!("a connection's runtime is taken only when it is dropped")
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| runtime.block_on(future))
        }
        _ => runtime.block_on(future),
    }
}

impl Server {
    /// Connects to `url` (libpq's form; TLS as [`timefence_pgtls::split_tls`] reads it), with
    /// [`WAITS`]: TCP keepalive and a user timeout so that a dead peer is noticed even between
    /// calls, and the server's own limits added to whatever `options` the URL gives.
    pub fn connect(url: &str) -> Result<Server, ConnectError> {
        Server::connect_waiting(url, WAITS)
    }

    /// [`Server::connect`] with other waits.
    pub fn connect_waiting(url: &str, waits: Waits) -> Result<Server, ConnectError> {
        let (plain, tls) = timefence_pgtls::split_tls(url).map_err(ConnectError::Tls)?;
        let mut config: tokio_postgres::Config = plain
            .parse()
            .map_err(|e| ConnectError::Db(DbError::Postgres(e)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(waits.connect);
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3)
            .tcp_user_timeout(waits.answer);
        let limits = format!(
            "-c lock_timeout={} -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            waits.lock.as_millis(),
            waits.statement.as_millis(),
            waits.idle_in_transaction.as_millis()
        );
        let options = match config.get_options() {
            Some(given) if !given.is_empty() => format!("{limits} {given}"),
            _ => limits,
        };
        config.options(&options);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ConnectError::Db(DbError::Io(e.to_string())))?;
        let (sender, heard) = mpsc::unbounded_channel();
        let connected = block(Some(&runtime), async {
            tokio::time::timeout(waits.connect, async {
                match tls {
                    None => {
                        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                        tokio::spawn(drive(connection, sender));
                        Ok(client)
                    }
                    Some(tls) => {
                        let (client, connection) = config.connect(tls).await?;
                        tokio::spawn(drive(connection, sender));
                        Ok(client)
                    }
                }
            })
            .await
        });
        let client = match connected {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(ConnectError::Db(DbError::Postgres(e))),
            Err(_) => {
                return Err(ConnectError::Db(DbError::NoAnswer {
                    waited: waits.connect,
                }))
            }
        };
        Ok(Server {
            runtime: Some(runtime),
            client: Some(Arc::new(client)),
            heard,
            wait: waits.answer,
        })
    }

    /// Whether the connection is gone (closed by the server, cut, or dropped after a call
    /// went unanswered).
    pub fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(|c| c.is_closed())
    }

    /// Runs `call` on the client, waiting at most the answer wait.
    fn call<T, F>(
        &mut self,
        call: impl FnOnce(Arc<tokio_postgres::Client>) -> F,
    ) -> Result<T, DbError>
    where
        F: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        self.call_waiting(self.wait, call)
    }

    /// Runs `call` on the client, waiting at most `wait`.
    fn call_waiting<T, F>(
        &mut self,
        wait: Duration,
        call: impl FnOnce(Arc<tokio_postgres::Client>) -> F,
    ) -> Result<T, DbError>
    where
        F: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let client = self.client.clone().ok_or(DbError::Closed)?;
        match block(self.runtime.as_ref(), async {
            tokio::time::timeout(wait, call(client)).await
        }) {
            Ok(answer) => Ok(answer?),
            Err(_) => {
                // The connection is closed now (its runtime, and with it the socket, let go):
                // the server rolls back whatever was open when it notices, or ends it after
                // `idle_in_transaction_session_timeout`.
                self.client = None;
                if let Some(runtime) = self.runtime.take() {
                    runtime.shutdown_background();
                }
                Err(DbError::NoAnswer { waited: wait })
            }
        }
    }

    /// Prepares a statement.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement, DbError> {
        let sql = sql.to_string();
        self.call(move |c| async move { c.prepare(&sql).await })
    }

    /// Runs a prepared statement; returns how many rows it changed.
    pub fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, DbError> {
        self.call(|c| async move { c.execute(statement, params).await })
    }

    /// The rows a prepared statement returns.
    pub fn query(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, DbError> {
        self.call(|c| async move { c.query(statement, params).await })
    }

    /// The rows a statement returns, prepared for this call only.
    pub fn query_sql(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, DbError> {
        let statement = self.prepare(sql)?;
        self.query(&statement, params)
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, `LISTEN ...`).
    pub fn batch_execute(&mut self, sql: &str) -> Result<(), DbError> {
        let sql = sql.to_string();
        self.call(move |c| async move { c.batch_execute(&sql).await })
    }

    /// Asks the server for any answer at all, waiting at most `wait` (shorter than a call's
    /// wait: a listener asks this of a server that has been silent a while).
    pub fn ping(&mut self, wait: Duration) -> Result<(), DbError> {
        self.call_waiting(wait, |c| async move { c.batch_execute("SELECT 1").await })
    }

    /// The next notification `LISTEN` brought in, waiting at most `wait` for one; `None` when
    /// none came. A lost connection is an error.
    pub fn next_notification(&mut self, wait: Duration) -> Result<Option<Notification>, DbError> {
        if self.client.is_none() {
            return Err(DbError::Closed);
        }
        // (The timer is made inside the runtime, which it needs.)
        let heard = &mut self.heard;
        match block(self.runtime.as_ref(), async {
            tokio::time::timeout(wait, heard.recv()).await
        }) {
            Ok(Some(notification)) => Ok(Some(notification)),
            // The connection's task ended: the server closed it or it was cut.
            Ok(None) => {
                self.client = None;
                Err(DbError::Closed)
            }
            Err(_) => Ok(None),
        }
    }
}

impl Drop for Server {
    /// The runtime is let go without waiting for it: a runtime dropped the ordinary way from
    /// within another (the app's commands run in one) would refuse, since that waits.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
