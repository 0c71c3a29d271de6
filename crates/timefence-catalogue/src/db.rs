//! One connection, two engines: the catalogue's operations are written once against [`Db`],
//! which runs them on an embedded SQLite file or on a team's PostgreSQL server.
//!
//! The SQL is the subset both engines speak, with numbered parameters (`?1`, which PostgreSQL
//! receives as `$1`) and `RETURNING` for new ids. The few places where the engines differ
//! (case-insensitive order, random uids, JSON, full-text search, serials) ask [`Db::engine`]
//! and say why beside the query. Values cross as [`Value`]: SQLite's five storage classes,
//! which PostgreSQL's columns are converted to and from by their declared type, so a query's
//! caller reads `i64`, `u32` or `String` the same way from either engine.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

pub(crate) use crate::server::ConnectError;
use crate::server::Server;

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The embedded SQLite file (one administrator).
    Sqlite,
    /// A team's PostgreSQL server.
    Postgres,
}

/// A value passed to or read from either engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A storage failure of either engine.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed, or the connection to it did.
    #[error("{}", timefence_pgtls::error_text(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// The server did not answer in time (it hangs, or the network dropped what was sent):
    /// the connection was given up, and with it whatever it had not committed.
    #[error("the server did not answer within {} s", .waited.as_secs())]
    NoAnswer {
        /// How long this client waited.
        waited: std::time::Duration,
    },
    /// The connection was closed (by the server, or after a call went unanswered).
    #[error("the connection to the server is closed")]
    Closed,
    /// The connection could not be given what it needs to run.
    #[error("{0}")]
    Io(String),
    /// The connection was lost while a COMMIT was on its way: the server may or may not have
    /// made the transaction durable.
    #[error("{0}")]
    CommitLost(Box<DbError>),
    /// A query expected a row and found none.
    #[error("no row was found")]
    NoRows,
    /// A stored value is not of the type the catalogue reads it as.
    #[error("column {column} holds {found}, not {wanted}")]
    Type {
        /// The column's position.
        column: usize,
        /// What the catalogue expected.
        wanted: &'static str,
        /// What was there.
        found: String,
    },
}

impl DbError {
    /// PostgreSQL's SQLSTATE for this failure, if it is one of the server's answers.
    pub fn sql_state(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }

    /// Whether the connection to the server was lost, went unanswered, or could not be made.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            // Closed, cut (an I/O error), or the server's own word that it is going away, not
            // yet back, or ending this session: connection exceptions (08...), 57P01-57P03,
            // and 25P03 (a transaction left idle past the server's limit, as a hung client's).
            DbError::Postgres(e) => {
                e.is_closed()
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
                    || e.code().is_some_and(|c| {
                        c.code().starts_with("08")
                            || matches!(c.code(), "57P01" | "57P02" | "57P03" | "25P03")
                    })
            }
            DbError::NoAnswer { .. } | DbError::Closed => true,
            _ => false,
        }
    }
}

pub(crate) type Result<T, E = DbError> = std::result::Result<T, E>;

/// `.optional()` on a query that may find no row, as rusqlite spells it.
pub(crate) trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(DbError::NoRows) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// What can be passed as a parameter.
pub(crate) trait ToValue {
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u16, u8, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// A statement's parameters: `[]`, `[x]`, `[x, y]` of one type, or `params![a, b, c]`.
pub(crate) trait Params {
    fn values(&self) -> Vec<Value>;
}

impl Params for [&dyn ToValue; 0] {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4);

/// Parameters of different types, as rusqlite's `params!`.
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToValue),*] as &[&dyn $crate::db::ToValue]
    };
}
pub(crate) use params;

/// What a column can be read as.
pub(crate) trait FromValue: Sized {
    fn from_value(value: &Value, column: usize) -> Result<Self>;
}

fn wrong(value: &Value, column: usize, wanted: &'static str) -> DbError {
    DbError::Type {
        column,
        wanted,
        found: match value {
            Value::Null => "NULL".into(),
            Value::Int(i) => format!("the integer {i}"),
            Value::Real(r) => format!("the number {r}"),
            Value::Text(_) => "text".into(),
            Value::Blob(_) => "bytes".into(),
        },
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value, column: usize) -> Result<Self> {
                match value {
                    Value::Int(i) => <$t>::try_from(*i).map_err(|_| wrong(value, column, stringify!($t))),
                    _ => Err(wrong(value, column, stringify!($t))),
                }
            }
        }
    )*};
}
int_from_value!(i64, i32, u32, u16, u8, u64, usize);

impl FromValue for bool {
    fn from_value(value: &Value, column: usize) -> Result<Self> {
        match value {
            Value::Int(i) => Ok(*i != 0),
            _ => Err(wrong(value, column, "a boolean")),
        }
    }
}
impl FromValue for f64 {
    fn from_value(value: &Value, column: usize) -> Result<Self> {
        match value {
            Value::Real(r) => Ok(*r),
            Value::Int(i) => Ok(*i as f64),
            _ => Err(wrong(value, column, "a number")),
        }
    }
}
impl FromValue for String {
    fn from_value(value: &Value, column: usize) -> Result<Self> {
        match value {
            Value::Text(t) => Ok(t.clone()),
            _ => Err(wrong(value, column, "text")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: &Value, column: usize) -> Result<Self> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            _ => Err(wrong(value, column, "bytes")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, column: usize) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, column).map(Some),
        }
    }
}

/// A row read from either engine.
pub(crate) struct Row {
    values: Vec<Value>,
}

/// A column's position (rusqlite's `get::<_, T>(i)` spelling keeps working).
pub(crate) trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row {
    pub(crate) fn get<I: RowIndex, T: FromValue>(&self, index: I) -> Result<T> {
        let index = index.index();
        let value = self.values.get(index).unwrap_or(&Value::Null);
        T::from_value(value, index)
    }
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<Pg>>),
}

struct Pg {
    url: String,
    client: Server,
    /// Prepared statements by their SQL as the catalogue writes it.
    statements: HashMap<String, tokio_postgres::Statement>,
    /// Open transactions: a lost connection is taken up again only outside one, so nothing is
    /// ever half saved.
    depth: u32,
    /// Whether the last failure was a call or a connection left unanswered (see
    /// [`RECONNECT_WHILE_AWAY`]).
    unanswered: bool,
}

/// One open connection to the catalogue's engine.
pub struct Db {
    conn: Conn,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("engine", &self.engine())
            .finish()
    }
}

/// Connects to PostgreSQL: plain TCP, or TLS with the server's certificate and name checked
/// when the URL says `sslmode=verify-full&sslrootcert=CA.pem` (the relay's way); every call
/// waits at most [`crate::server::WAITS`].
pub(crate) fn connect_postgres(url: &str) -> Result<Server, ConnectError> {
    Server::connect(url)
}

/// How long connecting again waits once a call went unanswered, until a connection is made:
/// the window's next commands, queued behind the one that waited, then each say the server is
/// away after this instead of waiting the whole [`crate::server::WAITS`] in turn.
const RECONNECT_WHILE_AWAY: std::time::Duration = std::time::Duration::from_secs(2);

impl Db {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Db {
        Db {
            conn: Conn::Sqlite(conn),
        }
    }

    pub(crate) fn postgres(url: &str, client: Server) -> Db {
        Db {
            conn: Conn::Postgres(Box::new(RefCell::new(Pg {
                url: url.to_string(),
                client,
                statements: HashMap::new(),
                depth: 0,
                unanswered: false,
            }))),
        }
    }

    /// The engine this connection runs on.
    pub fn engine(&self) -> Engine {
        match self.conn {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection, for what only a file can do (backups, integrity checks).
    pub(crate) fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }

    pub(crate) fn as_sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.conn {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub(crate) fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values.iter()))?),
            Conn::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let statement = pg.prepare(sql)?;
                let refs = pg_params(&values);
                let done = pg.client.execute(&statement, &refs);
                Ok(pg.outcome(sql, done)? as usize)
            }
        }
    }

    /// Every row a query returns, each mapped by `f`.
    pub(crate) fn query<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let columns = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut read = Vec::with_capacity(columns);
                    for i in 0..columns {
                        read.push(from_sqlite(row.get_ref(i)?));
                    }
                    out.push(f(&Row { values: read })?);
                }
                Ok(out)
            }
            Conn::Postgres(pg) => {
                let rows = {
                    let mut pg = pg.borrow_mut();
                    let statement = pg.prepare(sql)?;
                    let refs = pg_params(&values);
                    let done = pg.client.query(&statement, &refs);
                    pg.outcome(sql, done)?
                };
                rows.iter()
                    .map(|row| {
                        let read = (0..row.len())
                            .map(|i| row.try_get::<_, Value>(i))
                            .collect::<Result<Vec<_>, _>>()?;
                        f(&Row { values: read })
                    })
                    .collect()
            }
        }
    }

    /// The first row a query returns, mapped by `f`; [`DbError::NoRows`] if none.
    pub(crate) fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let first = self
            .query(sql, params, |row| {
                Ok(Row {
                    values: row.values.clone(),
                })
            })?
            .into_iter()
            .next()
            .ok_or(DbError::NoRows)?;
        f(&first)
    }

    /// Begins a transaction: dropped without [`Tx::commit`], it is rolled back.
    pub(crate) fn transaction(&self) -> Result<Tx<'_>> {
        self.begin()?;
        Ok(Tx {
            db: self,
            open: true,
        })
    }

    /// Begins a transaction that [`Db::finish`] ends, for a caller that needs `&mut` of what
    /// holds the connection meanwhile.
    pub(crate) fn begin(&self) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => conn.execute_batch("BEGIN")?,
            Conn::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.reconnect_if_lost()?;
                if let Err(error) = pg.client.batch_execute("BEGIN") {
                    pg.gave_up(&error);
                    return Err(error);
                }
                pg.depth += 1;
            }
        }
        Ok(())
    }

    /// A column or parameter compared and ordered without regard to case: SQLite's NOCASE,
    /// PostgreSQL's `lower()` (which the team's unique indexes are built on).
    pub(crate) fn nocase(&self, expression: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("{expression} COLLATE NOCASE"),
            Engine::Postgres => format!("lower({expression})"),
        }
    }

    /// An order without regard to case, and otherwise by bytes, as SQLite's NOCASE orders
    /// (PostgreSQL's `lower()` alone would follow the server's locale).
    pub(crate) fn nocase_order(&self, expression: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("{expression} COLLATE NOCASE"),
            Engine::Postgres => format!("lower({expression}) COLLATE \"C\""),
        }
    }

    /// Text ordered by its bytes, as SQLite orders a column without a collation (PostgreSQL
    /// would follow the server's locale).
    pub(crate) fn binary(&self, expression: &str) -> String {
        match self.engine() {
            Engine::Sqlite => expression.to_string(),
            Engine::Postgres => format!("{expression} COLLATE \"C\""),
        }
    }

    /// `LIKE` without regard to ASCII case, as SQLite's is.
    pub(crate) fn like(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "LIKE",
            Engine::Postgres => "ILIKE",
        }
    }

    /// Commits (or rolls back) what [`Db::begin`] began.
    pub(crate) fn finish(&self, commit: bool) -> Result<()> {
        self.end(if commit { "COMMIT" } else { "ROLLBACK" })
    }

    /// The id for a new row of `table`: never one its trash holds, so that undoing a deletion
    /// gives the row its own id back. SQLite counts past both tables; PostgreSQL's identity
    /// only grows, for every member at once, and `push` starts it past the trash.
    pub(crate) fn new_id(&self, table: &str, trash: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!(
                "(SELECT max(coalesce((SELECT max(id) FROM {table}), 0),
                            coalesce((SELECT max(id) FROM {trash}), 0)) + 1)"
            ),
            Engine::Postgres => "DEFAULT".to_string(),
        }
    }

    fn end(&self, sql: &str) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.depth = pg.depth.saturating_sub(1);
                if pg.client.is_closed() {
                    // Closed before this was sent: nothing the transaction wrote was committed
                    // (so a COMMIT that was never sent saved nothing, and says so).
                    return if sql == "ROLLBACK" {
                        Ok(())
                    } else {
                        Err(DbError::Closed)
                    };
                }
                match pg.client.batch_execute(sql) {
                    // Cut off on the way: the COMMIT may have arrived, so "nothing was saved"
                    // could be untrue, and whoever saves again would conflict with their own
                    // edit.
                    Err(lost) if sql == "COMMIT" && lost.is_connection_lost() => {
                        pg.gave_up(&lost);
                        Err(DbError::CommitLost(Box::new(lost)))
                    }
                    Err(other) => {
                        pg.gave_up(&other);
                        Err(other)
                    }
                    Ok(()) => Ok(()),
                }
            }
        }
    }
}

/// An open transaction; it reads and writes as its [`Db`] does.
pub(crate) struct Tx<'a> {
    db: &'a Db,
    open: bool,
}

impl Tx<'_> {
    /// Makes everything the transaction wrote durable, or nothing of it.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        self.db.end("COMMIT")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.db.end("ROLLBACK");
        }
    }
}

impl Pg {
    /// Notes a failure: one that went unanswered for the whole wait makes the next
    /// connection attempts short ([`RECONNECT_WHILE_AWAY`]); a refused or closed connection
    /// fails at once anyway.
    fn gave_up(&mut self, error: &DbError) {
        if matches!(error, DbError::NoAnswer { .. }) {
            self.unanswered = true;
        }
    }

    /// A statement's outcome, as its caller should take it. A write sent on its own (outside
    /// a transaction, so committed as soon as the server runs it) whose answer never came may
    /// have been saved: that is said, as for a COMMIT lost on the way.
    fn outcome<T>(&mut self, sql: &str, done: Result<T>) -> Result<T> {
        match done {
            Err(lost) if lost.is_connection_lost() => {
                self.gave_up(&lost);
                let sent = !matches!(lost, DbError::Closed);
                if sent && self.depth == 0 && is_write(sql) {
                    Err(DbError::CommitLost(Box::new(lost)))
                } else {
                    Err(lost)
                }
            }
            other => other,
        }
    }

    /// Takes a lost connection up again, outside a transaction only.
    fn reconnect_if_lost(&mut self) -> Result<()> {
        if self.client.is_closed() && self.depth == 0 {
            let waits = if self.unanswered {
                crate::server::Waits {
                    connect: RECONNECT_WHILE_AWAY,
                    ..crate::server::WAITS
                }
            } else {
                crate::server::WAITS
            };
            let connected = Server::connect_waiting(&self.url, waits);
            match connected {
                Ok(client) => {
                    self.client = client;
                    self.statements.clear();
                    self.unanswered = false;
                }
                Err(ConnectError::Db(e)) => {
                    self.gave_up(&e);
                    return Err(e);
                }
                // The URL was checked when it was first opened.
                Err(ConnectError::Tls(_)) => {}
            }
        }
        Ok(())
    }

    fn prepare(&mut self, sql: &str) -> Result<tokio_postgres::Statement> {
        self.reconnect_if_lost()?;
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = match self.client.prepare(&numbered(sql)) {
            Ok(statement) => statement,
            Err(error) => {
                self.gave_up(&error);
                return Err(error);
            }
        };
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// Whether a statement writes (anything but a plain read).
fn is_write(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or("");
    !(first.eq_ignore_ascii_case("SELECT") || first.eq_ignore_ascii_case("VALUES"))
}

/// `?1` as PostgreSQL writes it (`$1`): only a `?` followed by a digit, outside quoted text
/// (PostgreSQL's own `?` operators stay as they are).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn pg_params(values: &[Value]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// A value written as the type PostgreSQL expects for the parameter: SQLite's integers go to
/// `smallint`, `integer` or `bigint` columns alike (out of range is an error, not a wrap).
impl tokio_postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, BoxError> {
        use tokio_postgres::types::Type;
        match self {
            Value::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => Err(format!("a number cannot be sent as {ty}").into()),
            },
            Value::Text(t) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    t.as_str().to_sql(ty, out)
                }
                // jsonb's binary form is a version byte and the text.
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(t.as_bytes());
                    Ok(tokio_postgres::types::IsNull::No)
                }
                Type::JSON => {
                    out.extend_from_slice(t.as_bytes());
                    Ok(tokio_postgres::types::IsNull::No)
                }
                _ => Err(format!("text cannot be sent as {ty}").into()),
            },
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> tokio_postgres::types::FromSql<'a> for Value {
    fn from_sql(
        ty: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, BoxError> {
        use tokio_postgres::types::Type;
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            Type::JSONB => {
                Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_string())
            }
            Type::JSON => Value::Text(std::str::from_utf8(raw)?.to_string()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            // A column the catalogue does not read as one of its five kinds is a mistake in
            // a query, said rather than guessed at.
            _ => return Err(format!("a column of type {ty} is not read by the catalogue").into()),
        })
    }

    fn from_sql_null(_: &tokio_postgres::types::Type) -> std::result::Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        use tokio_postgres::types::Type;
        !matches!(*ty, Type::NUMERIC)
    }
}

/// A statement to run, in rusqlite's spelling: `prepare_cached(sql)?.query_map(params, f)?`.
pub(crate) struct Stmt<'a> {
    db: &'a Db,
    sql: String,
}

impl Db {
    /// A statement to run; both engines keep it prepared for the next time.
    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            db: self,
            sql: sql.to_string(),
        })
    }

    /// As [`Db::prepare_cached`].
    pub(crate) fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare_cached(sql)
    }
}

impl Stmt<'_> {
    pub(crate) fn query_map<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.db.query(&self.sql, params, f)?;
        Ok(rows.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
    }

    pub(crate) fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.db.query_row(&self.sql, params, f)
    }
}

#[cfg(test)]
mod numbering {
    #[test]
    fn only_numbered_parameters_outside_quotes_are_renumbered() {
        assert_eq!(
            super::numbered("SELECT '?1', x ? 'k', ?1 FROM t WHERE a = ?12 AND b LIKE '%?%'"),
            "SELECT '?1', x ? 'k', $1 FROM t WHERE a = $12 AND b LIKE '%?%'"
        );
    }
}
