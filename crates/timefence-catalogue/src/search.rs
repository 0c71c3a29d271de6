//! Search as you type, paged customer lists, and licenses valid on a date.

use crate::{Catalogue, CatalogueError, CustomerId, CustomerSummary, LicenseId};
use chrono::NaiveDate;
use rusqlite::params;

/// A license found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseHit {
    /// License id.
    pub id: LicenseId,
    /// Its customer.
    pub customer_id: CustomerId,
    /// The customer's name.
    pub customer_name: String,
    /// License name.
    pub name: String,
    /// Product.
    pub product: String,
    /// IANA zone.
    pub zone: String,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    /// Customers whose name or zone matches.
    pub customers: Vec<CustomerSummary>,
    /// Current licenses whose name, product or zone matches.
    pub licenses: Vec<LicenseHit>,
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// How many items the whole list has.
    pub total: u64,
    /// The items of this page.
    pub items: Vec<T>,
}

/// Turns what was typed into an FTS5 trigram query (each word a quoted substring), or `None`
/// when a word is too short for trigrams and a prefix match must do.
fn trigram_query(typed: &str) -> Option<String> {
    let words: Vec<&str> = typed.split_whitespace().collect();
    if words.is_empty() || words.iter().any(|w| w.chars().count() < 3) {
        return None;
    }
    Some(
        words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

fn like_prefix(typed: &str) -> String {
    let escaped = typed
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

const CUSTOMER_SUMMARY: &str = "SELECT c.id, c.name, c.default_zone,
    (SELECT count(*) FROM licenses l WHERE l.customer_id = c.id AND l.state <> 'superseded'),
    coalesce(c.uid, '')
    FROM customers c";

fn summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<CustomerSummary> {
    Ok(CustomerSummary {
        id: row.get(0)?,
        name: row.get(1)?,
        default_zone: row.get(2)?,
        license_count: row.get(3)?,
        uid: row.get(4)?,
    })
}

fn hit(row: &rusqlite::Row<'_>) -> rusqlite::Result<LicenseHit> {
    Ok(LicenseHit {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        customer_name: row.get(2)?,
        name: row.get(3)?,
        product: row.get(4)?,
        zone: row.get(5)?,
    })
}

impl Catalogue {
    /// Customers and licenses matching what was typed: every word a substring of a name,
    /// product or zone (words shorter than three letters match the start of a name).
    pub fn search(&self, typed: &str, limit: u32) -> Result<SearchResults, CatalogueError> {
        if typed.trim().is_empty() {
            return Ok(SearchResults::default());
        }
        let limit = i64::from(limit.clamp(1, 500));
        let (customers, licenses) = match trigram_query(typed) {
            Some(query) => {
                let mut c = self.conn.prepare_cached(&format!(
                    "{CUSTOMER_SUMMARY} JOIN customer_search s ON s.rowid = c.id
                     WHERE customer_search MATCH ?1 ORDER BY c.name LIMIT ?2"
                ))?;
                let customers = c
                    .query_map(params![query, limit], summary)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut l = self.conn.prepare_cached(
                    "SELECT l.id, l.customer_id, c.name, l.name, l.product, l.zone
                     FROM license_search s JOIN licenses l ON l.id = s.rowid JOIN customers c ON c.id = l.customer_id
                     WHERE license_search MATCH ?1 AND l.state <> 'superseded'
                     ORDER BY l.name LIMIT ?2",
                )?;
                let licenses = l
                    .query_map(params![query, limit], hit)?
                    .collect::<Result<Vec<_>, _>>()?;
                (customers, licenses)
            }
            None => {
                let prefix = like_prefix(typed);
                let mut c = self.conn.prepare_cached(&format!(
                    "{CUSTOMER_SUMMARY} WHERE c.name LIKE ?1 ESCAPE '\\' ORDER BY c.name LIMIT ?2"
                ))?;
                let customers = c
                    .query_map(params![prefix, limit], summary)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut l = self.conn.prepare_cached(
                    "SELECT l.id, l.customer_id, c.name, l.name, l.product, l.zone
                     FROM licenses l JOIN customers c ON c.id = l.customer_id
                     WHERE l.name LIKE ?1 ESCAPE '\\' AND l.state <> 'superseded'
                     ORDER BY l.name LIMIT ?2",
                )?;
                let licenses = l
                    .query_map(params![prefix, limit], hit)?
                    .collect::<Result<Vec<_>, _>>()?;
                (customers, licenses)
            }
        };
        Ok(SearchResults {
            customers,
            licenses,
        })
    }

    /// A page of customers by name, optionally filtered as [`Catalogue::search`] filters them.
    pub fn customers_page(
        &self,
        filter: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Page<CustomerSummary>, CatalogueError> {
        let limit = i64::from(limit.clamp(1, 1000));
        let offset = i64::from(offset);
        if filter.trim().is_empty() {
            let total: u64 = self
                .conn
                .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
            let mut statement = self.conn.prepare_cached(&format!(
                "{CUSTOMER_SUMMARY} ORDER BY c.name, c.id LIMIT ?1 OFFSET ?2"
            ))?;
            let items = statement
                .query_map(params![limit, offset], summary)?
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { total, items });
        }
        let (condition, argument) = match trigram_query(filter) {
            Some(query) => (
                "c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?1)",
                query,
            ),
            None => ("c.name LIKE ?1 ESCAPE '\\'", like_prefix(filter)),
        };
        let total: u64 = self.conn.query_row(
            &format!("SELECT count(*) FROM customers c WHERE {condition}"),
            [&argument],
            |r| r.get(0),
        )?;
        let mut statement = self.conn.prepare_cached(&format!(
            "{CUSTOMER_SUMMARY} WHERE {condition} ORDER BY c.name, c.id LIMIT ?2 OFFSET ?3"
        ))?;
        let items = statement
            .query_map(params![argument, limit, offset], summary)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total, items })
    }

    /// Current licenses whose validity includes `date`.
    pub fn licenses_valid_on(&self, date: NaiveDate) -> Result<Vec<LicenseHit>, CatalogueError> {
        let day = date.to_string();
        let mut statement = self.conn.prepare_cached(
            "SELECT l.id, l.customer_id, c.name, l.name, l.product, l.zone
             FROM licenses l JOIN customers c ON c.id = l.customer_id
             WHERE l.start_date <= ?1 AND l.end_date >= ?1 AND l.state IN ('draft', 'issued')
             ORDER BY c.name, l.name",
        )?;
        let rows = statement.query_map([day], hit)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
