//! Imported usage reports: what a customer's relay saw, kept beside what was licensed.
//!
//! The catalogue stores a report's signed payload as it came and refuses a second report
//! whose days overlap one already imported for the same customer, so no day is counted twice.
//! Checking the signature chain is the importer's job (`timefence-signing::usage`), before the
//! catalogue is asked to keep anything.

use crate::{now_text, Catalogue, CatalogueError, CustomerId};
use rusqlite::{params, OptionalExtension};

/// A report to keep, already verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUsageReport {
    /// The customer it is for.
    pub customer_id: CustomerId,
    /// The relay's public key (base64), for the record.
    pub relay_key: String,
    /// Its first day, YYYY-MM-DD.
    pub from: String,
    /// Its last day, YYYY-MM-DD, inclusive.
    pub to: String,
    /// The signed payload, as JSON (its quarter-hours may be kept in `packed` instead).
    pub payload: String,
    /// The payload's quarter-hours packed, as the importer packs them (None: they are in the
    /// payload).
    pub packed: Option<Vec<u8>>,
}

/// A kept report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUsageReport {
    /// Its row id.
    pub id: i64,
    /// What was imported.
    pub report: NewUsageReport,
    /// When (RFC 3339).
    pub imported_at: String,
}

impl Catalogue {
    /// Keeps a verified report, unless its days overlap a report already kept for the customer.
    pub fn add_usage_report(&mut self, report: &NewUsageReport) -> Result<i64, CatalogueError> {
        let tx = self.conn.transaction()?;
        let known: bool = tx
            .query_row(
                "SELECT 1 FROM customers WHERE id = ?1",
                [report.customer_id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !known {
            return Err(CatalogueError::CustomerNotFound(report.customer_id));
        }
        // Dates are YYYY-MM-DD, so text order is date order.
        let overlapping: Option<(String, String)> = tx
            .query_row(
                "SELECT period_from, period_to FROM usage_reports
                 WHERE customer_id = ?1 AND period_from <= ?3 AND period_to >= ?2
                 ORDER BY period_from LIMIT 1",
                params![report.customer_id, report.from, report.to],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((from, to)) = overlapping {
            return Err(CatalogueError::UsageAlreadyImported { from, to });
        }
        tx.execute(
            // An id the trash does not hold either, so undoing a customer's deletion can bring
            // its reports back under their own ids.
            "INSERT INTO usage_reports (id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed)
             VALUES (max(coalesce((SELECT max(id) FROM usage_reports), 0),
                         coalesce((SELECT max(id) FROM deleted_usage_reports), 0)) + 1,
                     ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                report.customer_id,
                report.relay_key,
                report.from,
                report.to,
                now_text(),
                report.payload,
                report.packed
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The reports kept for a customer, oldest period first.
    pub fn usage_reports(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<StoredUsageReport>, CatalogueError> {
        let mut statement = self.conn.prepare(
            "SELECT id, customer_id, relay_key, period_from, period_to, payload, imported_at, packed
             FROM usage_reports WHERE customer_id = ?1 ORDER BY period_from, id",
        )?;
        let rows = statement
            .query_map([customer], |r| {
                Ok(StoredUsageReport {
                    id: r.get(0)?,
                    report: NewUsageReport {
                        customer_id: r.get(1)?,
                        relay_key: r.get(2)?,
                        from: r.get(3)?,
                        to: r.get(4)?,
                        payload: r.get(5)?,
                        packed: r.get(7)?,
                    },
                    imported_at: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The customers with at least one kept report, by id.
    pub fn customers_with_usage(&self) -> Result<Vec<CustomerId>, CatalogueError> {
        let mut statement = self
            .conn
            .prepare("SELECT DISTINCT customer_id FROM usage_reports ORDER BY customer_id")?;
        let rows = statement
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<CustomerId>>>()?;
        Ok(rows)
    }
}
