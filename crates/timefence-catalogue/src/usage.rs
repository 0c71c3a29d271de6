//! Imported usage reports: what a customer's relay saw, kept beside what was licensed.
//!
//! The catalogue stores a report's signed payload as it came and refuses a second report
//! whose days overlap one already imported for one of the same licenses, so no day of a
//! license is counted twice. Two relays of one customer serving different licenses import
//! side by side; two relays sharing one database (a pair) report the same use, so only one of
//! their reports is taken for any day. A report can be withdrawn (kept in the trash) and
//! brought back.
//! Checking the signature chain is the importer's job (`timefence-signing::usage`), before the
//! catalogue is asked to keep anything.

use crate::db::{params, OptionalExtension};
use crate::{now_text, Catalogue, CatalogueError, CustomerId, Engine};

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

/// A kept report of the same customer whose days overlap `report`'s for a license both name:
/// its period and the license.
fn overlapping(
    tx: &crate::db::Db,
    report: &NewUsageReport,
) -> Result<Option<(String, String, String)>, CatalogueError> {
    // Dates are YYYY-MM-DD, so text order is date order; the licenses are read from both
    // payloads (quarter-hours may be packed apart, the license names never are).
    let sql = match tx.engine() {
        Engine::Sqlite => {
            "SELECT r.period_from, r.period_to, json_extract(kept.value, '$.license')
             FROM usage_reports r, json_each(r.payload, '$.licenses') kept
             WHERE r.customer_id = ?1 AND r.period_from <= ?3 AND r.period_to >= ?2
               AND json_extract(kept.value, '$.license') IN
                   (SELECT json_extract(new.value, '$.license') FROM json_each(?4, '$.licenses') new)
             ORDER BY r.period_from LIMIT 1"
        }
        // The same question in PostgreSQL's JSON functions.
        Engine::Postgres => {
            "SELECT r.period_from, r.period_to, kept.value ->> 'license'
             FROM usage_reports r, jsonb_array_elements(r.payload::jsonb -> 'licenses') kept
             WHERE r.customer_id = ?1 AND r.period_from <= ?3 AND r.period_to >= ?2
               AND kept.value ->> 'license' IN
                   (SELECT new.value ->> 'license' FROM jsonb_array_elements(CAST(?4 AS jsonb) -> 'licenses') new)
             ORDER BY r.period_from LIMIT 1"
        }
    };
    Ok(tx
        .query_row(
            sql,
            params![report.customer_id, report.from, report.to, report.payload],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

impl Catalogue {
    /// Withdraws a kept report: it moves to the trash, its days count no more, and
    /// [`Catalogue::restore_usage_report`] brings it back.
    pub fn withdraw_usage_report(&mut self, id: i64) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let moved = tx.execute(
            "INSERT INTO deleted_usage_reports (id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed, withdrawn_alone)
             SELECT id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed, 1 FROM usage_reports WHERE id = ?1",
            [id],
        )?;
        if moved == 0 {
            return Err(CatalogueError::UsageReportNotFound(id));
        }
        tx.execute("DELETE FROM usage_reports WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Brings a withdrawn report back, unless a report imported since overlaps it.
    pub fn restore_usage_report(&mut self, id: i64) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let report: Option<NewUsageReport> = tx
            .query_row(
                "SELECT customer_id, relay_key, period_from, period_to, payload, packed
                 FROM deleted_usage_reports WHERE id = ?1 AND withdrawn_alone = 1",
                [id],
                |r| {
                    Ok(NewUsageReport {
                        customer_id: r.get(0)?,
                        relay_key: r.get(1)?,
                        from: r.get(2)?,
                        to: r.get(3)?,
                        payload: r.get(4)?,
                        packed: r.get(5)?,
                    })
                },
            )
            .optional()?;
        let report = report.ok_or(CatalogueError::UsageReportNotFound(id))?;
        if let Some((from, to, license)) = overlapping(&tx, &report)? {
            return Err(CatalogueError::UsageAlreadyImported { from, to, license });
        }
        tx.execute(
            "INSERT INTO usage_reports (id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed)
             SELECT id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed FROM deleted_usage_reports WHERE id = ?1",
            [id],
        )?;
        tx.execute("DELETE FROM deleted_usage_reports WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps a verified report, unless its days overlap a report already kept for one of its
    /// licenses.
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
        if let Some((from, to, license)) = overlapping(&tx, report)? {
            return Err(CatalogueError::UsageAlreadyImported { from, to, license });
        }
        let id = tx.query_row(
            // An id the trash does not hold either, so undoing a customer's deletion can bring
            // its reports back under their own ids.
            &format!(
                "INSERT INTO usage_reports (id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed)
                 VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                tx.new_id("usage_reports", "deleted_usage_reports")
            ),
            params![
                report.customer_id,
                report.relay_key,
                report.from,
                report.to,
                now_text(),
                report.payload,
                report.packed
            ],
            |r| r.get(0),
        )?;
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
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The customers with at least one kept report, by id.
    pub fn customers_with_usage(&self) -> Result<Vec<CustomerId>, CatalogueError> {
        let mut statement = self
            .conn
            .prepare("SELECT DISTINCT customer_id FROM usage_reports ORDER BY customer_id")?;
        let rows = statement
            .query_map([], |r| r.get(0))?
            .collect::<crate::db::Result<Vec<CustomerId>>>()?;
        Ok(rows)
    }
}
