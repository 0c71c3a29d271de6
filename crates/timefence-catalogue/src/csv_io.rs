//! CSV export and import of customers and licenses. An import checks every row first and
//! writes nothing unless all of them are good.

use crate::{
    customer_named, insert_customer, insert_license, Catalogue, CatalogueError, DbError,
    NewCustomer,
};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use timefence_terms::TermsSpec;

/// Columns of the customers file, in order.
pub const CUSTOMER_COLUMNS: [&str; 5] = ["name", "contact", "country", "default_zone", "notes"];
/// Columns of the licenses file, in order.
pub const LICENSE_COLUMNS: [&str; 11] = [
    "customer",
    "name",
    "product",
    "seats",
    "license_start_date",
    "license_end_date",
    "daily_start_time",
    "daily_end_time",
    "daily_time_consumption_limit",
    "time_zone",
    "weekdays",
];

/// A bad row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// `customers` or `licenses`.
    pub file: &'static str,
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.message)
    }
}

/// What an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Customers added.
    pub customers: u32,
    /// Licenses added.
    pub licenses: u32,
}

/// A cell as a spreadsheet may safely open it: one that a spreadsheet would run as a formula
/// (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, which
/// spreadsheets show as text and [`from_cell`] takes off again. A cell that already starts
/// with `'` gets one more, so that the round trip is exact.
pub fn to_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The text of a cell written by [`to_cell`].
pub fn from_cell(cell: &str) -> &str {
    let mut chars = cell.chars();
    match (chars.next(), chars.next()) {
        (Some('\''), Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'')) => &cell[1..],
        _ => cell,
    }
}

fn csv_error(e: csv::Error) -> CatalogueError {
    CatalogueError::Unreachable {
        path: "CSV".into(),
        reason: e.to_string(),
    }
}

fn writer_into_string(writer: csv::Writer<Vec<u8>>) -> Result<String, CatalogueError> {
    let bytes = writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| CatalogueError::Unreachable {
        path: "CSV".into(),
        reason: e.to_string(),
    })
}

impl Catalogue {
    /// Every customer as CSV, header first.
    pub fn export_customers_csv(&self) -> Result<String, CatalogueError> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(CUSTOMER_COLUMNS).map_err(csv_error)?;
        let rows = self.conn.query(
            &format!(
                "SELECT name, contact, country, default_zone, notes FROM customers ORDER BY {}, id",
                self.conn.nocase_order("name")
            ),
            [],
            |row| {
                (0..5)
                    .map(|i| row.get::<_, String>(i).map(|t| to_cell(&t)))
                    .collect::<Result<Vec<String>, _>>()
            },
        )?;
        for fields in rows {
            out.write_record(&fields).map_err(csv_error)?;
        }
        writer_into_string(out)
    }

    /// Every current license as CSV, header first, with its customer's name.
    pub fn export_licenses_csv(&self) -> Result<String, CatalogueError> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(LICENSE_COLUMNS).map_err(csv_error)?;
        let mut statement = self.conn.prepare(
            "SELECT c.name, l.id FROM licenses l JOIN customers c ON c.id = l.customer_id
             WHERE l.state <> 'superseded' ORDER BY c.name, l.name, l.id",
        )?;
        let ids: Vec<(String, i64)> = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (customer, id) in ids {
            let license = self.license(id)?;
            let spec = license.terms.to_spec();
            out.write_record([
                to_cell(&customer),
                to_cell(&license.name),
                to_cell(&spec.product),
                spec.seats.to_string(),
                spec.license_start_date,
                spec.license_end_date,
                spec.daily_start_time,
                spec.daily_end_time,
                spec.daily_time_consumption_limit.unwrap_or_default(),
                spec.time_zone,
                spec.weekdays.map(|w| w.join(" ")).unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        }
        writer_into_string(out)
    }

    /// The audit log as [`Catalogue::audit_rows`] narrows it, as CSV (RFC 4180, CRLF), header
    /// first.
    pub fn export_audit_csv(
        &self,
        customer: Option<i64>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<String, CatalogueError> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        out.write_record([
            "issued_at",
            "customer",
            "license",
            "revision",
            "serial",
            "key_id",
            "file_sha256",
            "event",
        ])
        .map_err(csv_error)?;
        for row in self.audit_rows(customer, from, to)? {
            out.write_record([
                row.issued_at,
                to_cell(&row.customer),
                to_cell(&row.license),
                row.revision.to_string(),
                row.serial.to_string(),
                row.key_id,
                row.file_sha256,
                row.event,
            ])
            .map_err(csv_error)?;
        }
        writer_into_string(out)
    }

    /// Imports customers and/or licenses from CSV text (either may be empty). Every row is
    /// checked first; if any is bad, nothing is imported and every bad row is reported with
    /// its line number.
    pub fn import_csv(
        &mut self,
        customers_csv: &str,
        licenses_csv: &str,
    ) -> Result<ImportReport, CatalogueError> {
        let mut problems = Vec::new();
        let customers = parse_customers(customers_csv, &mut problems);
        let mut new_names: HashMap<String, usize> = HashMap::new();
        for (line, customer) in &customers {
            let key = customer.name.trim().to_lowercase();
            let exists = customer_named(&self.conn, customer.name.trim(), None)?;
            if customer.name.trim().is_empty() {
                problems.push(RowProblem {
                    file: "customers",
                    line: *line,
                    message: "the name is empty".into(),
                });
            } else if exists.is_some() || new_names.contains_key(&key) {
                problems.push(RowProblem {
                    file: "customers",
                    line: *line,
                    message: format!(
                        "a customer named \"{}\" already exists",
                        customer.name.trim()
                    ),
                });
            } else if customer
                .default_zone
                .parse::<timefence_terms::chrono_tz::Tz>()
                .is_err()
            {
                problems.push(RowProblem {
                    file: "customers",
                    line: *line,
                    message: format!(
                        "\"{}\" is not an IANA time zone name",
                        customer.default_zone
                    ),
                });
            }
            new_names.insert(key, 0);
        }
        let licenses = parse_licenses(licenses_csv, &mut problems);
        let mut checked = Vec::new();
        for (line, customer, name, spec) in licenses {
            let known_here = new_names.contains_key(&customer.trim().to_lowercase());
            let known_before = customer_named(&self.conn, customer.trim(), None)?;
            if !known_here && known_before.is_none() {
                problems.push(RowProblem {
                    file: "licenses",
                    line,
                    message: format!("no customer named \"{customer}\""),
                });
            }
            if name.trim().is_empty() {
                problems.push(RowProblem {
                    file: "licenses",
                    line,
                    message: "the license name is empty".into(),
                });
            }
            match spec.validate() {
                Ok(terms) => checked.push((customer, name, terms)),
                Err(invalid) => {
                    for problem in invalid.problems {
                        problems.push(RowProblem {
                            file: "licenses",
                            line,
                            message: problem.to_string(),
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| (p.file != "customers", p.line));
            return Err(CatalogueError::Import(problems));
        }
        let tx = self.conn.transaction()?;
        let mut report = ImportReport::default();
        for (_, customer) in &customers {
            insert_customer(&tx, customer)?;
            report.customers += 1;
        }
        for (customer, name, terms) in &checked {
            let id = customer_named(&tx, customer.trim(), None)?
                .ok_or(CatalogueError::Storage(DbError::NoRows))?;
            insert_license(&tx, id, name, terms)?;
            report.licenses += 1;
        }
        tx.commit()?;
        Ok(report)
    }
}

fn records(
    text: &str,
    file: &'static str,
    columns: &[&str],
    problems: &mut Vec<RowProblem>,
) -> Vec<(u64, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        return out;
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            problems.push(RowProblem {
                file,
                line: 1,
                message: format!("unreadable header: {e}"),
            });
            return out;
        }
    };
    for column in columns {
        if !header.iter().any(|h| h == column) {
            problems.push(RowProblem {
                file,
                line: 1,
                message: format!("the header has no \"{column}\" column"),
            });
        }
    }
    for unknown in header.iter().filter(|h| !columns.contains(&h.as_str())) {
        problems.push(RowProblem {
            file,
            line: 1,
            message: format!("unknown column \"{unknown}\""),
        });
    }
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.len() != header.len() {
                    problems.push(RowProblem {
                        file,
                        line,
                        message: format!(
                            "{} fields where the header has {}",
                            record.len(),
                            header.len()
                        ),
                    });
                    continue;
                }
                out.push((
                    line,
                    header
                        .iter()
                        .cloned()
                        .zip(record.iter().map(|cell| from_cell(cell).to_string()))
                        .collect(),
                ));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(RowProblem {
                    file,
                    line,
                    message: format!("unreadable row: {e}"),
                });
            }
        }
    }
    out
}

fn parse_customers(text: &str, problems: &mut Vec<RowProblem>) -> Vec<(u64, NewCustomer)> {
    records(text, "customers", &CUSTOMER_COLUMNS, problems)
        .into_iter()
        .map(|(line, mut f)| {
            let mut take = |k: &str| f.remove(k).unwrap_or_default();
            let zone = take("default_zone");
            (
                line,
                NewCustomer {
                    name: take("name"),
                    contact: take("contact"),
                    country: take("country"),
                    default_zone: if zone.trim().is_empty() {
                        "UTC".into()
                    } else {
                        zone.trim().to_string()
                    },
                    notes: take("notes"),
                },
            )
        })
        .collect()
}

fn parse_licenses(
    text: &str,
    problems: &mut Vec<RowProblem>,
) -> Vec<(u64, String, String, TermsSpec)> {
    let mut out = Vec::new();
    for (line, mut f) in records(text, "licenses", &LICENSE_COLUMNS, problems) {
        let mut take = |k: &str| f.remove(k).unwrap_or_default();
        let seats_text = take("seats");
        let seats = match seats_text.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                problems.push(RowProblem {
                    file: "licenses",
                    line,
                    message: format!("seats \"{seats_text}\" is not a whole number"),
                });
                continue;
            }
        };
        let limit = take("daily_time_consumption_limit");
        let weekdays = take("weekdays");
        let zone = take("time_zone");
        let spec = TermsSpec {
            license_start_date: take("license_start_date"),
            license_end_date: take("license_end_date"),
            daily_start_time: take("daily_start_time"),
            daily_end_time: take("daily_end_time"),
            daily_time_consumption_limit: (!limit.trim().is_empty()).then_some(limit),
            time_zone: if zone.trim().is_empty() {
                "UTC".into()
            } else {
                zone
            },
            weekdays: (!weekdays.trim().is_empty()).then(|| {
                weekdays
                    .split([' ', ','])
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
            seats,
            product: take("product"),
            features: BTreeMap::new(),
        };
        out.push((line, take("customer"), take("name"), spec));
    }
    out
}
