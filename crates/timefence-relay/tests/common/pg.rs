//! The throwaway PostgreSQL cluster (timefence-pgtest), and what the relay's tests read from
//! its database: the recorded history and the charged totals.

use super::history::Ev;
use std::collections::BTreeMap;
pub use timefence_pgtest::Cluster;

/// The relay's records in a cluster's `postgres` database.
#[allow(dead_code)]
pub trait Recorded {
    /// Every event, in order.
    fn events(&self) -> Vec<Ev>;
    /// Charged milliseconds per license and occurrence.
    fn totals(&self) -> BTreeMap<(String, String), i64>;
}

impl Recorded for Cluster {
    fn events(&self) -> Vec<Ev> {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.query("SELECT id, at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence FROM relay_events ORDER BY id")
            .into_iter()
            .map(|r| Ev {
                id: r[0].parse().unwrap(),
                at: r[1].parse().unwrap(),
                license: r[2].clone(),
                lease: opt(&r[3]),
                holder: opt(&r[4]),
                kind: r[5].clone(),
                reason: opt(&r[6]),
                from: r[7].parse().unwrap(),
                to: r[8].parse().unwrap(),
                occurrence: opt(&r[9]),
            })
            .collect()
    }

    fn totals(&self) -> BTreeMap<(String, String), i64> {
        self.query("SELECT license, occurrence, charged_ms FROM relay_occurrences")
            .into_iter()
            .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().unwrap()))
            .collect()
    }
}
