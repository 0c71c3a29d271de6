//! Each other's changes, live: the audit trigger sends a `NOTIFY timefence_changes` for every
//! row a change touches, which PostgreSQL delivers when (and only if) the change commits.
//! [`Changes`] listens on a connection of its own.

use crate::{connect, TeamError};
use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;

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
    client: postgres::Client,
}

impl Changes {
    /// Starts listening: every change committed from now on is heard.
    pub fn listen(url: &str) -> Result<Changes, TeamError> {
        let mut client = connect(url)?;
        client.batch_execute("LISTEN timefence_changes")?;
        Ok(Changes { client })
    }

    /// The next change, waiting at most `wait`; `None` when none came in that time. A
    /// notification that names no line of `team_changes` (sent by hand) is passed over.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Change>, TeamError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let payload = {
                let mut notifications = self.client.notifications();
                let mut waiting = notifications.timeout_iter(left);
                match waiting.next()? {
                    Some(n) => n.payload().to_string(),
                    None => return Ok(None),
                }
            };
            let Some(id) = change_id(&payload) else {
                continue;
            };
            if let Some(row) = self.client.query_opt(READ_CHANGE, &[&id])? {
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
}
