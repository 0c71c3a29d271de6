//! The catalogue subcommands: customers, licenses, CSV import and export, backup and restore.

use crate::{Command, Failure, TermsArgs, EXIT_OK};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use timefence_catalogue::{Catalogue, CustomerSummary, FirstRun, License, LicenseHit, NewCustomer};
use timefence_terms::format_duration;

#[derive(Subcommand)]
pub(crate) enum CustomersCommand {
    /// List customers by name (filtered as the app's search box filters them).
    List {
        /// Only customers matching this text.
        #[arg(long, default_value = "")]
        search: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a customer.
    Add {
        /// Name (unique, any case).
        #[arg(long)]
        name: String,
        /// Default IANA zone for its licenses.
        #[arg(long, default_value = "UTC")]
        zone: String,
        /// Country.
        #[arg(long, default_value = "")]
        country: String,
        /// Contact.
        #[arg(long, default_value = "")]
        contact: String,
        /// Notes.
        #[arg(long, default_value = "")]
        notes: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one customer and its licenses.
    Show {
        /// Customer id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum LicensesCommand {
    /// List a customer's licenses, or every license valid on a date.
    List {
        /// The customer's id.
        #[arg(
            long,
            conflicts_with = "valid_on",
            required_unless_present = "valid_on"
        )]
        customer: Option<i64>,
        /// A date, YYYY-MM-DD.
        #[arg(long)]
        valid_on: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a license to a customer.
    Add {
        /// The customer's id.
        #[arg(long)]
        customer: i64,
        /// The license's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        terms: TermsArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one license.
    Show {
        /// License id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn default_catalogue() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("app.timefence.desktop/catalogue.sqlite"))
}

fn open(path: Option<PathBuf>) -> Result<Catalogue, Failure> {
    let path = path
        .or_else(|| std::env::var_os("TIMEFENCE_CATALOGUE").map(PathBuf::from))
        .or_else(default_catalogue)
        .ok_or_else(|| Failure::from("no catalogue: pass --catalogue FILE".to_string()))?;
    Ok(Catalogue::open(&path, FirstRun::SeedDemo)?.catalogue)
}

fn customer_json(c: &CustomerSummary) -> serde_json::Value {
    json!({ "id": c.id, "name": c.name, "default_zone": c.default_zone, "license_count": c.license_count })
}

fn license_json(l: &License) -> serde_json::Value {
    json!({
        "id": l.id,
        "customer_id": l.customer_id,
        "name": l.name,
        "state": format!("{:?}", l.state).to_lowercase(),
        "revision": l.revision,
        "terms": l.terms.to_spec(),
    })
}

fn hit_json(h: &LicenseHit) -> serde_json::Value {
    json!({ "id": h.id, "customer_id": h.customer_id, "customer": h.customer_name, "name": h.name, "product": h.product, "zone": h.zone })
}

fn license_line(l: &License) -> String {
    let t = &l.terms;
    let limit = t
        .daily_limit
        .map(|d| format!(", {} a day", format_duration(d)))
        .unwrap_or_default();
    format!(
        "{:>6}  {}  {} seats  {} {}{limit}  {} to {}  ({:?}, rev {})",
        l.id, l.name, t.seats, t.window, t.zone, t.start_date, t.end_date, l.state, l.revision
    )
}

fn print(json_out: bool, value: serde_json::Value, text: String) {
    if json_out {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn read(path: &Option<PathBuf>) -> Result<String, Failure> {
    match path {
        None => Ok(String::new()),
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| Failure::from(format!("cannot read {}: {e}", p.display()))),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::from(format!("cannot write {}: {e}", path.display())))
}

pub(crate) fn run(catalogue: Option<PathBuf>, command: &Command) -> Result<u8, Failure> {
    let mut c = open(catalogue)?;
    match command {
        Command::Customers(CustomersCommand::List { search, json }) => {
            let page = c.customers_page(search, 0, 1000)?;
            let text: Vec<String> = page
                .items
                .iter()
                .map(|x| {
                    format!(
                        "{:>6}  {}  ({} licenses, {})",
                        x.id, x.name, x.license_count, x.default_zone
                    )
                })
                .collect();
            print(
                *json,
                json!({ "total": page.total, "customers": page.items.iter().map(customer_json).collect::<Vec<_>>() }),
                format!(
                    "{}\n{} of {} customers",
                    text.join("\n"),
                    page.items.len(),
                    page.total
                ),
            );
        }
        Command::Customers(CustomersCommand::Add {
            name,
            zone,
            country,
            contact,
            notes,
            json,
        }) => {
            let id = c.add_customer(&NewCustomer {
                name: name.clone(),
                default_zone: zone.clone(),
                country: country.clone(),
                contact: contact.clone(),
                notes: notes.clone(),
            })?;
            print(*json, json!({ "id": id }), format!("added customer {id}"));
        }
        Command::Customers(CustomersCommand::Show { id, json }) => {
            let customer = c.customer(*id)?;
            let licenses = c.licenses_of(*id)?;
            let mut text = vec![format!(
                "{} ({}), default zone {}",
                customer.name, customer.id, customer.default_zone
            )];
            text.extend(licenses.iter().map(license_line));
            print(
                *json,
                json!({ "customer": customer_json(&customer), "licenses": licenses.iter().map(license_json).collect::<Vec<_>>() }),
                text.join("\n"),
            );
        }
        Command::Licenses(LicensesCommand::List {
            customer: Some(id),
            json,
            ..
        }) => {
            let licenses = c.licenses_of(*id)?;
            print(
                *json,
                json!(licenses.iter().map(license_json).collect::<Vec<_>>()),
                licenses
                    .iter()
                    .map(license_line)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        Command::Licenses(LicensesCommand::List { valid_on, json, .. }) => {
            let text = valid_on.as_deref().unwrap_or_default();
            let date = timefence_terms::chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| {
                    Failure::from(format!("--valid-on \"{text}\" is not a date (YYYY-MM-DD)"))
                })?;
            let hits = c.licenses_valid_on(date)?;
            let lines: Vec<String> = hits
                .iter()
                .map(|h| {
                    format!(
                        "{:>6}  {} / {}  {} {}",
                        h.id, h.customer_name, h.name, h.product, h.zone
                    )
                })
                .collect();
            print(
                *json,
                json!(hits.iter().map(hit_json).collect::<Vec<_>>()),
                lines.join("\n"),
            );
        }
        Command::Licenses(LicensesCommand::Add {
            customer,
            name,
            terms,
            json,
        }) => {
            let spec = terms.spec()?;
            let id = c.add_license(*customer, name, &spec)?;
            print(*json, json!({ "id": id }), format!("added license {id}"));
        }
        Command::Licenses(LicensesCommand::Show { id, json }) => {
            let license = c.license(*id)?;
            print(*json, license_json(&license), license_line(&license));
        }
        Command::Export {
            customers,
            licenses,
            json,
        } => {
            write(customers, &c.export_customers_csv()?)?;
            write(licenses, &c.export_licenses_csv()?)?;
            print(
                *json,
                json!({ "customers": customers, "licenses": licenses }),
                "exported".to_string(),
            );
        }
        Command::Import {
            customers,
            licenses,
            json,
        } => {
            let report = c.import_csv(&read(customers)?, &read(licenses)?)?;
            print(
                *json,
                json!({ "customers": report.customers, "licenses": report.licenses }),
                format!(
                    "imported {} customers and {} licenses",
                    report.customers, report.licenses
                ),
            );
        }
        Command::Generate {
            customers,
            licenses_each,
            seed,
        } => {
            c.generate(*customers, *licenses_each, *seed)?;
            println!("added {customers} customers with {licenses_each} licenses each");
        }
        Command::Backup { file, json } => {
            c.backup_to(file)?;
            print(
                *json,
                json!({ "backup": file }),
                format!("backed up to {}", file.display()),
            );
        }
        Command::Restore { file, json } => {
            c.restore_from(file)?;
            print(
                *json,
                json!({ "restored": file }),
                format!("restored from {}", file.display()),
            );
        }
        Command::Evaluate { .. } | Command::Occurrences { .. } => unreachable!("handled in main"),
    }
    Ok(EXIT_OK)
}
