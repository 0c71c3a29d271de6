//! Renewals: the next term of licenses as new drafts, and the licenses whose term ends soon.

use crate::{
    insert_license, Catalogue, CatalogueError, CustomerId, License, LicenseId, LicenseRow,
    LICENSE_COLUMNS,
};
use timefence_terms::chrono::{NaiveDate, TimeDelta};
use timefence_terms::next_term;

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
        if ids.is_empty() {
            return Err(CatalogueError::NothingToRenew(
                "no license was chosen".into(),
            ));
        }
        let licenses = ids
            .iter()
            .map(|id| self.license(*id))
            .collect::<Result<Vec<_>, _>>()?;
        let tx = self.conn.transaction()?;
        let mut made = Vec::with_capacity(licenses.len());
        for license in &licenses {
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
            made.push(insert_license(
                &tx,
                license.customer_id,
                &license.name,
                &renewed,
            )?);
        }
        tx.commit()?;
        Ok(made)
    }

    /// The current licenses of a customer (or of all), to renew together: each one that has
    /// no later license of the same name and product to follow it.
    pub fn renewable_licenses(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<LicenseId>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT l.id FROM licenses l
             WHERE l.state IN ('draft', 'issued') AND (?1 IS NULL OR l.customer_id = ?1)
               AND NOT EXISTS (
                   SELECT 1 FROM licenses n
                   WHERE n.customer_id = l.customer_id AND n.state IN ('draft', 'issued')
                     AND n.name = l.name AND n.product = l.product AND n.start_date > l.end_date)
             ORDER BY l.id",
        )?;
        let rows = statement.query_map([customer], |r| r.get(0))?;
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
        let renewable = self.renewable_licenses(None)?;
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
