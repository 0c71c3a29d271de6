//! Each other's changes, live: the audit trigger sends a `NOTIFY timefence_changes` for every
//! row a change touches, which PostgreSQL delivers when (and only if) the change commits.
//! [`Changes`] listens on a connection of its own.
//!
//! A listener hears nothing both when nobody changes anything and when the server hangs or
//! the network drops its packets; so after [`QUIET`] without a notification it asks the
//! server for an answer ([`PING_WAIT`] at most), and a server that does not give one is
//! reported lost like one that closed the connection.

use crate::TeamError;
use std::time::{Duration, Instant};
use timefence_catalogue::server::{ConnectError, Server};

/// How long a listener goes without hearing anything before it asks whether the server is
/// still there.
pub const QUIET: Duration = Duration::from_secs(5);
/// How long that question waits for an answer.
pub const PING_WAIT: Duration = Duration::from_secs(5);

/// One committed change, as the trigger describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its line in `team_changes`.
    pub change: i64,
    /// The PostgreSQL login that made it.
    pub who: String,
    /// The table.
    pub table: String,
    /// INSERT, UPDATE or DELETE.
    pub operation: String,
    /// The row's key (its id, or a key's id).
    pub key: String,
    /// The customer the row belongs to, when it belongs to one.
    pub customer: Option<i64>,
}

/// The line of `team_changes` a notification names. Anyone connected may send a NOTIFY on
/// the channel, so its payload is only a pointer: what is reported is read from the table the
/// trigger alone writes.
const READ_CHANGE: &str = "SELECT who, table_name, operation, row_key, \
     CASE WHEN table_name = 'customers' THEN row_key \
          ELSE coalesce(new, old)->>'customer_id' END \
     FROM team_changes WHERE id = $1";

fn change_id(payload: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()?
        .get("change")?
        .as_i64()
}

/// A connection listening for the team's changes.
pub struct Changes {
    server: Server,
    /// When the server last showed it was there.
    heard: Instant,
}

fn lost(error: timefence_catalogue::DbError) -> TeamError {
    TeamError::Database(error.to_string())
}

impl Changes {
    /// Starts listening: every change committed from now on is heard.
    pub fn listen(url: &str) -> Result<Changes, TeamError> {
        let mut server = Server::connect(url).map_err(|e| match e {
            ConnectError::Tls(reason) => TeamError::Tls(reason),
            ConnectError::Db(error) => lost(error),
        })?;
        server
            .batch_execute("LISTEN timefence_changes")
            .map_err(lost)?;
        Ok(Changes {
            server,
            heard: Instant::now(),
        })
    }

    /// The next change, waiting at most `wait`; `None` when none came in that time. A
    /// notification that names no line of `team_changes` (sent by hand) is passed over. A
    /// server that closed the connection, or that stays silent and then does not answer,
    /// is an error.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Change>, TeamError> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(notification) = self.server.next_notification(left).map_err(lost)? else {
                if self.heard.elapsed() >= QUIET {
                    self.ping()?;
                }
                return Ok(None);
            };
            self.heard = Instant::now();
            let Some(id) = change_id(notification.payload()) else {
                continue;
            };
            let rows = self.server.query_sql(READ_CHANGE, &[&id]).map_err(lost)?;
            if let Some(row) = rows.first() {
                return Ok(Some(Change {
                    change: id,
                    who: row.get(0),
                    table: row.get(1),
                    operation: row.get(2),
                    key: row.get(3),
                    customer: row.get::<_, Option<String>>(4).and_then(|c| c.parse().ok()),
                }));
            }
        }
    }

    /// Asks the server for an answer, waiting at most [`PING_WAIT`].
    fn ping(&mut self) -> Result<(), TeamError> {
        self.server.ping(PING_WAIT).map_err(lost)?;
        self.heard = Instant::now();
        Ok(())
    }
}
