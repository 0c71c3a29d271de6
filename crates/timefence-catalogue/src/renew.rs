//! Renewals: the next term of licenses as new drafts, and the licenses whose term ends soon.

use crate::{
    insert_license, Catalogue, CatalogueError, CustomerId, License, LicenseId, LicenseRow,
    LICENSE_COLUMNS,
};
use timefence_terms::chrono::{NaiveDate, TimeDelta};
use timefence_terms::{next_term, Terms};

/// The most days ahead an "expiring" list looks.
pub const MAX_EXPIRING_DAYS: u32 = 366;

impl Catalogue {
    /// Makes the next term of each license in `ids` as a new draft, in one transaction: the
    /// same name, window, seats, product and zone, valid for the same number of whole months
    /// (or days) from the day after the license ends, or from `from`. Returns the new ids in
    /// the order given; nothing is written when any license cannot be renewed.
    pub fn renew_licenses(
        &mut self,
        ids: &[LicenseId],
        from: Option<NaiveDate>,
    ) -> Result<Vec<LicenseId>, CatalogueError> {
        let plan = self.renewal_plan(ids, from)?;
        let tx = self.conn.transaction()?;
        let mut made = Vec::with_capacity(plan.len());
        for (license, renewed) in &plan {
            made.push(insert_license(
                &tx,
                license.customer_id,
                &license.name,
                renewed,
            )?);
        }
        tx.commit()?;
        Ok(made)
    }

    /// What [`Catalogue::renew_licenses`] would make, without making it: each license with
    /// the terms of its next term. A license that already has its next term is not renewed
    /// again (renewing "L1 India" twice would make a third), and is refused by name.
    pub fn renewal_plan(
        &self,
        ids: &[LicenseId],
        from: Option<NaiveDate>,
    ) -> Result<Vec<(License, Terms)>, CatalogueError> {
        if ids.is_empty() {
            return Err(CatalogueError::NothingToRenew(
                "no license was chosen".into(),
            ));
        }
        let mut plan = Vec::with_capacity(ids.len());
        for id in ids {
            let license = self.license(*id)?;
            if let Some(next) = self.next_term_of(&license)? {
                return Err(CatalogueError::NothingToRenew(format!(
                    "{} already has its next term (from {}); a license is renewed once",
                    license.name, next.terms.start_date
                )));
            }
            let terms = &license.terms;
            let (start, end) =
                next_term(terms.start_date, terms.end_date, from).ok_or_else(|| {
                    CatalogueError::NothingToRenew(format!(
                        "the next term of {} would end after 2099",
                        license.name
                    ))
                })?;
            let mut spec = terms.to_spec();
            spec.license_start_date = start.to_string();
            spec.license_end_date = end.to_string();
            let renewed = spec.validate()?;
            plan.push((license, renewed));
        }
        Ok(plan)
    }

    /// The license that follows `license` as its next term: a current one of the same customer,
    /// name and product starting after it ends.
    pub fn next_term_of(&self, license: &License) -> Result<Option<License>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses
             WHERE customer_id = ?1 AND state IN ('draft', 'issued') AND name = ?2
               AND product = ?3 AND start_date > ?4
             ORDER BY start_date, id LIMIT 1"
        ))?;
        let mut rows = statement.query_map(
            crate::db::params![
                license.customer_id,
                license.name,
                license.terms.product,
                license.terms.end_date.to_string()
            ],
            LicenseRow::read,
        )?;
        rows.next()
            .transpose()?
            .map(LicenseRow::into_license)
            .transpose()
    }

    /// The current licenses of a customer (or of all), to renew together ("Renew all"): each
    /// one that has no later license of the same name and product to follow it, and is not
    /// itself the next term of one still running on `today` (that one is renewed when its own
    /// term comes, not again now).
    pub fn renewable_licenses(
        &self,
        customer: Option<CustomerId>,
        today: NaiveDate,
    ) -> Result<Vec<LicenseId>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT l.id FROM licenses l
             WHERE l.state IN ('draft', 'issued') AND (CAST(?1 AS BIGINT) IS NULL OR l.customer_id = ?1)
               AND NOT EXISTS (
                   SELECT 1 FROM licenses n
                   WHERE n.customer_id = l.customer_id AND n.state IN ('draft', 'issued')
                     AND n.name = l.name AND n.product = l.product AND n.start_date > l.end_date)
               AND NOT EXISTS (
                   SELECT 1 FROM licenses p
                   WHERE p.customer_id = l.customer_id AND p.state IN ('draft', 'issued')
                     AND p.name = l.name AND p.product = l.product AND p.end_date < l.start_date
                     AND p.end_date >= ?2)
             ORDER BY l.id",
        )?;
        let rows = statement.query_map(crate::db::params![customer, today.to_string()], |r| {
            r.get(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Current licenses whose term ends from `today` to `days` days later (both included),
    /// soonest first: the "Expiring" list. Licenses already followed by a next term are left
    /// out.
    pub fn expiring_licenses(
        &self,
        today: NaiveDate,
        days: u32,
    ) -> Result<Vec<License>, CatalogueError> {
        let until = today + TimeDelta::days(i64::from(days.min(MAX_EXPIRING_DAYS)));
        let renewable = self.renewable_licenses(None, today)?;
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses
             WHERE state IN ('draft', 'issued') AND end_date >= ?1 AND end_date <= ?2
             ORDER BY end_date, id"
        ))?;
        let rows = statement.query_map([today.to_string(), until.to_string()], LicenseRow::read)?;
        let mut found = Vec::new();
        for row in rows {
            let license = row?.into_license()?;
            if renewable.contains(&license.id) {
                found.push(license);
            }
        }
        Ok(found)
    }
}
