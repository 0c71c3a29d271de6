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

impl Change {
    fn parse(payload: &str) -> Option<Change> {
        let v: serde_json::Value = serde_json::from_str(payload).ok()?;
        let text = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Change {
            change: v.get("change")?.as_i64()?,
            who: text("who")?,
            table: text("table")?,
            operation: text("operation")?,
            key: text("key").unwrap_or_default(),
            customer: text("customer").and_then(|c| c.parse().ok()),
        })
    }
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

    /// The next change, waiting at most `wait`; `None` when none came in that time.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Change>, TeamError> {
        let mut notifications = self.client.notifications();
        let mut waiting = notifications.timeout_iter(wait);
        while let Some(n) = waiting.next()? {
            if let Some(change) = Change::parse(n.payload()) {
                return Ok(Some(change));
            }
        }
        Ok(None)
    }
}
