//! Deleting customers and licenses so that the deletion can be undone, renaming customers,
//! and duplicating licenses.
//!
//! A deletion moves rows into the `deleted_*` tables with their ids, and a restore moves them
//! back, so everything that referred to an id (the app's undo history) still finds it. A
//! license that was ever issued stays on record: its serial and audit entries refer to it.

use crate::db::{params, OptionalExtension};
use crate::{
    insert_license, now_text, require_customer, Catalogue, CatalogueError, CustomerId, LicenseId,
    NewCustomer,
};

const CUSTOMER_COLUMNS: &str =
    "id, name, contact, country, default_zone, notes, created_at, uid, edits";
const USAGE_REPORT_COLUMNS: &str =
    "id, customer_id, relay_key, period_from, period_to, imported_at, payload, packed";
const ALL_LICENSE_COLUMNS: &str = "id, customer_id, name, product, seats, start_date, end_date, \
     daily_start, daily_end, daily_limit, zone, weekdays, features, state, revision, created_at, \
     updated_at, serial, supersedes, origin, uid, edits";

impl Catalogue {
    /// Changes a customer's name and default zone.
    pub fn update_customer(
        &mut self,
        id: CustomerId,
        name: &str,
        default_zone: &str,
    ) -> Result<(), CatalogueError> {
        self.edit_customer(id, None, name, default_zone).map(|_| ())
    }

    /// As [`Catalogue::update_customer`], for an edit that started from the customer as it
    /// was after `started_from` saved edits (`CustomerSummary::edits`): when someone else
    /// saved it since, nothing is written and [`CatalogueError::EditConflict`] says who and when.
    /// Returns its saved edits after this one.
    pub fn update_customer_from(
        &mut self,
        id: CustomerId,
        started_from: u32,
        name: &str,
        default_zone: &str,
    ) -> Result<u32, CatalogueError> {
        self.edit_customer(id, Some(started_from), name, default_zone)
    }

    fn edit_customer(
        &mut self,
        id: CustomerId,
        started_from: Option<u32>,
        name: &str,
        default_zone: &str,
    ) -> Result<u32, CatalogueError> {
        let name = &crate::checked_name(name, "customer", crate::MAX_CUSTOMER_NAME)?;
        let zone = default_zone.trim();
        if zone.parse::<timefence_terms::chrono_tz::Tz>().is_err() {
            return Err(CatalogueError::UnknownZone(zone.to_string()));
        }
        let tx = self.conn.transaction()?;
        let edits = crate::claim_edit(&tx, "customers", id, started_from)?;
        let taken = crate::customer_named(&tx, name, Some(id))?;
        if taken.is_some() {
            return Err(CatalogueError::DuplicateCustomer(name.to_string()));
        }
        tx.execute(
            "UPDATE customers SET name = ?2, default_zone = ?3 WHERE id = ?1",
            params![id, name, zone],
        )
        .map_err(|e| {
            CatalogueError::or_duplicate(e, || CatalogueError::DuplicateCustomer(name.to_string()))
        })?;
        tx.commit()?;
        Ok(edits)
    }

    /// Why a customer cannot be deleted, if it cannot: it has a license that was issued
    /// (named by its current revision's name), which stays on record. Asked before the
    /// window promises anything.
    pub fn customer_deletion_blocker(
        &self,
        id: CustomerId,
    ) -> Result<Option<CatalogueError>, CatalogueError> {
        require_customer(&self.conn, id)?;
        Ok(issued_license_of(&self.conn, id)?.map(|name| CatalogueError::IssuedKept { name }))
    }

    /// Adds a customer with just a name and a default zone.
    pub fn add_named_customer(
        &mut self,
        name: &str,
        default_zone: &str,
    ) -> Result<CustomerId, CatalogueError> {
        self.add_customer(&NewCustomer {
            name: name.to_string(),
            default_zone: default_zone.to_string(),
            ..NewCustomer::default()
        })
    }

    /// Moves a draft license to the trash; [`Catalogue::restore_license`] brings it back.
    pub fn delete_license(&mut self, id: LicenseId) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let row: Option<(String, Option<i64>, Option<i64>, String)> = tx
            .query_row(
                "SELECT name, serial, supersedes, state FROM licenses WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (name, serial, supersedes, state) = row.ok_or(CatalogueError::LicenseNotFound(id))?;
        if serial.is_some() || supersedes.is_some() {
            return Err(CatalogueError::IssuedKept { name });
        }
        if state == "superseded" {
            return Err(CatalogueError::NotEditable { license: id, state });
        }
        tx.execute(
            &format!(
                "INSERT INTO deleted_licenses ({ALL_LICENSE_COLUMNS}, deleted_at)
                 SELECT {ALL_LICENSE_COLUMNS}, ?2 FROM licenses WHERE id = ?1"
            ),
            params![id, now_text()],
        )?;
        tx.execute("DELETE FROM licenses WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Brings a deleted license back from the trash, with its id.
    pub fn restore_license(&mut self, id: LicenseId) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let customer: Option<CustomerId> = tx
            .query_row(
                "SELECT customer_id FROM deleted_licenses WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let customer = customer.ok_or(CatalogueError::NotInTrash(id))?;
        require_customer(&tx, customer)?;
        tx.execute(
            &format!(
                "INSERT INTO licenses ({ALL_LICENSE_COLUMNS})
                 SELECT {ALL_LICENSE_COLUMNS} FROM deleted_licenses WHERE id = ?1"
            ),
            [id],
        )?;
        tx.execute("DELETE FROM deleted_licenses WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Moves a customer and all its licenses to the trash, unless one of them was issued.
    pub fn delete_customer(&mut self, id: CustomerId) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        require_customer(&tx, id)?;
        if let Some(name) = issued_license_of(&tx, id)? {
            return Err(CatalogueError::IssuedKept { name });
        }
        let now = now_text();
        tx.execute(
            &format!(
                "INSERT INTO deleted_customers ({CUSTOMER_COLUMNS}, deleted_at)
                 SELECT {CUSTOMER_COLUMNS}, ?2 FROM customers WHERE id = ?1"
            ),
            params![id, now],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO deleted_licenses ({ALL_LICENSE_COLUMNS}, deleted_at)
                 SELECT {ALL_LICENSE_COLUMNS}, ?2 FROM licenses WHERE customer_id = ?1"
            ),
            params![id, now],
        )?;
        // Its usage reports go with it, and come back with it.
        tx.execute(
            &format!(
                "INSERT INTO deleted_usage_reports ({USAGE_REPORT_COLUMNS})
                 SELECT {USAGE_REPORT_COLUMNS} FROM usage_reports WHERE customer_id = ?1"
            ),
            [id],
        )?;
        tx.execute("DELETE FROM usage_reports WHERE customer_id = ?1", [id])?;
        tx.execute("DELETE FROM licenses WHERE customer_id = ?1", [id])?;
        tx.execute("DELETE FROM customers WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Brings a deleted customer back with the licenses it had when it was deleted.
    pub fn restore_customer(&mut self, id: CustomerId) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let name: Option<String> = tx
            .query_row(
                "SELECT name FROM deleted_customers WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let name = name.ok_or(CatalogueError::NotInTrash(id))?;
        let taken = crate::customer_named(&tx, &name, None)?;
        if taken.is_some() {
            return Err(CatalogueError::DuplicateCustomer(name));
        }
        tx.execute(
            &format!(
                "INSERT INTO customers ({CUSTOMER_COLUMNS})
                 SELECT {CUSTOMER_COLUMNS} FROM deleted_customers WHERE id = ?1"
            ),
            [id],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO licenses ({ALL_LICENSE_COLUMNS})
                 SELECT {ALL_LICENSE_COLUMNS} FROM deleted_licenses WHERE customer_id = ?1"
            ),
            [id],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO usage_reports ({USAGE_REPORT_COLUMNS})
                 SELECT {USAGE_REPORT_COLUMNS} FROM deleted_usage_reports WHERE customer_id = ?1 AND withdrawn_alone = 0"
            ),
            [id],
        )?;
        tx.execute(
            "DELETE FROM deleted_usage_reports WHERE customer_id = ?1 AND withdrawn_alone = 0",
            [id],
        )?;
        tx.execute("DELETE FROM deleted_licenses WHERE customer_id = ?1", [id])?;
        tx.execute("DELETE FROM deleted_customers WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// A new draft license with the same customer and terms, named "<name> (copy)".
    pub fn duplicate_license(&mut self, id: LicenseId) -> Result<LicenseId, CatalogueError> {
        let license = self.license(id)?;
        let tx = self.conn.transaction()?;
        let copy = insert_license(
            &tx,
            license.customer_id,
            &format!("{} (copy)", license.name),
            &license.terms,
        )?;
        tx.commit()?;
        Ok(copy)
    }
}

/// The current name of a license of `customer` that was issued (an issued license, or a draft
/// revision of one), if there is one.
fn issued_license_of(
    conn: &crate::db::Db,
    customer: CustomerId,
) -> Result<Option<String>, CatalogueError> {
    Ok(conn
        .query_row(
            "SELECT name FROM licenses WHERE customer_id = ?1 AND state <> 'superseded'
               AND (serial IS NOT NULL OR supersedes IS NOT NULL) ORDER BY id LIMIT 1",
            [customer],
            |r| r.get(0),
        )
        .optional()?)
}
