//! Search as you type, paged customer lists, and licenses valid on a date.

use crate::db::{params, ToValue};
use crate::Engine;
use crate::{Catalogue, CatalogueError, CustomerId, CustomerSummary, LicenseId};
use chrono::NaiveDate;

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

use crate::{customer_summary as summary, CUSTOMER_SUMMARY};

fn hit(row: &crate::db::Row) -> crate::db::Result<LicenseHit> {
    Ok(LicenseHit {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        customer_name: row.get(2)?,
        name: row.get(3)?,
        product: row.get(4)?,
        zone: row.get(5)?,
    })
}

/// Every word of `typed` a substring of one of `columns`, as PostgreSQL writes it: the words
/// are parameters `?first`, `?first+1`, ... (SQLite's trigram index does this on a file).
fn words_condition(columns: &[&str], words: usize, first: usize) -> String {
    (0..words)
        .map(|w| {
            let alternatives = columns
                .iter()
                .map(|c| format!("{c} ILIKE ?{} ESCAPE '\\'", first + w))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!("({alternatives})")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// What was typed as `%word%` patterns, one per word.
fn substring_patterns(typed: &str) -> Vec<String> {
    typed
        .split_whitespace()
        .map(|w| {
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        })
        .collect()
}

/// How a search finds its rows on this engine.
enum Matching {
    /// SQLite's trigram index, with its query.
    Trigram(String),
    /// PostgreSQL: each word a substring, one pattern per word.
    Substrings(Vec<String>),
    /// A word too short for trigrams: a name's start.
    Prefix(String),
}

impl Matching {
    fn of(conn: &crate::db::Db, typed: &str) -> Matching {
        match (trigram_query(typed), conn.engine()) {
            (None, _) => Matching::Prefix(like_prefix(typed)),
            (Some(query), Engine::Sqlite) => Matching::Trigram(query),
            (Some(_), Engine::Postgres) => Matching::Substrings(substring_patterns(typed)),
        }
    }

    /// The condition on customers `c`, its parameters from `?1`.
    fn customers(&self, conn: &crate::db::Db) -> String {
        match self {
            Matching::Trigram(_) => {
                "c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?1)".into()
            }
            Matching::Substrings(words) => {
                words_condition(&["c.name", "c.default_zone"], words.len(), 1)
            }
            Matching::Prefix(_) => format!("c.name {} ?1 ESCAPE '\\'", conn.like()),
        }
    }

    /// The condition on licenses `l`, its parameters from `?1`.
    fn licenses(&self, conn: &crate::db::Db) -> String {
        match self {
            Matching::Trigram(_) => {
                "l.id IN (SELECT rowid FROM license_search WHERE license_search MATCH ?1)".into()
            }
            Matching::Substrings(words) => {
                words_condition(&["l.name", "l.product", "l.zone"], words.len(), 1)
            }
            Matching::Prefix(_) => format!("l.name {} ?1 ESCAPE '\\'", conn.like()),
        }
    }

    /// The parameters the conditions name, followed by `more`.
    fn arguments(&self, more: &[i64]) -> Vec<Box<dyn ToValue>> {
        let mut out: Vec<Box<dyn ToValue>> = match self {
            Matching::Trigram(query) | Matching::Prefix(query) => vec![Box::new(query.clone())],
            Matching::Substrings(words) => words
                .iter()
                .map(|w| Box::new(w.clone()) as Box<dyn ToValue>)
                .collect(),
        };
        out.extend(more.iter().map(|m| Box::new(*m) as Box<dyn ToValue>));
        out
    }

    /// How many parameters the conditions take.
    fn count(&self) -> usize {
        match self {
            Matching::Substrings(words) => words.len(),
            _ => 1,
        }
    }
}

impl Catalogue {
    /// Customers and licenses matching what was typed: every word a substring of a name,
    /// product or zone (words shorter than three letters match the start of a name).
    pub fn search(&self, typed: &str, limit: u32) -> Result<SearchResults, CatalogueError> {
        if typed.trim().is_empty() {
            return Ok(SearchResults::default());
        }
        let limit = i64::from(limit.clamp(1, 500));
        let matching = Matching::of(&self.conn, typed);
        let arguments = matching.arguments(&[limit]);
        let arguments: Vec<&dyn ToValue> = arguments.iter().map(|a| a.as_ref()).collect();
        let next = matching.count() + 1;
        let customers = self.conn.query(
            &format!(
                "{CUSTOMER_SUMMARY} WHERE {} ORDER BY {} LIMIT ?{next}",
                matching.customers(&self.conn),
                self.conn.nocase_order("c.name"),
            ),
            arguments.as_slice(),
            summary,
        )?;
        let licenses = self.conn.query(
            &format!(
                "SELECT l.id, l.customer_id, c.name, l.name, l.product, l.zone
                 FROM licenses l JOIN customers c ON c.id = l.customer_id
                 WHERE {} AND l.state <> 'superseded'
                 ORDER BY {} LIMIT ?{next}",
                matching.licenses(&self.conn),
                self.conn.binary("l.name"),
            ),
            arguments.as_slice(),
            hit,
        )?;
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
        let order = self.conn.nocase_order("c.name");
        if filter.trim().is_empty() {
            let total: u64 = self
                .conn
                .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
            let mut statement = self.conn.prepare_cached(&format!(
                "{CUSTOMER_SUMMARY} ORDER BY {order}, c.id LIMIT ?1 OFFSET ?2"
            ))?;
            let items = statement
                .query_map(params![limit, offset], summary)?
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { total, items });
        }
        let matching = Matching::of(&self.conn, filter);
        let condition = matching.customers(&self.conn);
        let counted = matching.arguments(&[]);
        let counted: Vec<&dyn ToValue> = counted.iter().map(|a| a.as_ref()).collect();
        let total: u64 = self.conn.query_row(
            &format!("SELECT count(*) FROM customers c WHERE {condition}"),
            counted.as_slice(),
            |r| r.get(0),
        )?;
        let paged = matching.arguments(&[limit, offset]);
        let paged: Vec<&dyn ToValue> = paged.iter().map(|a| a.as_ref()).collect();
        let (l, o) = (matching.count() + 1, matching.count() + 2);
        let items = self.conn.query(
            &format!("{CUSTOMER_SUMMARY} WHERE {condition} ORDER BY {order}, c.id LIMIT ?{l} OFFSET ?{o}"),
            paged.as_slice(),
            summary,
        )?;
        Ok(Page { total, items })
    }

    /// Current licenses whose validity includes `date`.
    pub fn licenses_valid_on(&self, date: NaiveDate) -> Result<Vec<LicenseHit>, CatalogueError> {
        let day = date.to_string();
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT l.id, l.customer_id, c.name, l.name, l.product, l.zone
             FROM licenses l JOIN customers c ON c.id = l.customer_id
             WHERE l.start_date <= ?1 AND l.end_date >= ?1 AND l.state IN ('draft', 'issued')
             ORDER BY {}, {}",
            self.conn.nocase_order("c.name"),
            self.conn.binary("l.name")
        ))?;
        let rows = statement.query_map([day], hit)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
