//! The catalogue subcommands: customers, licenses, CSV import and export, backup and restore.

use crate::input::{open, parse_date, parse_zone};
use crate::output::{customer_json, hit_json, license_json, license_line, plural, print};
use crate::{Command, Failure, TermsArgs, EXIT_OK};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use timefence_catalogue::{Catalogue, NewCustomer};
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
    /// Rename a customer, or change its default zone. Its uid stays, so relay certificates
    /// and usage reports go on matching it.
    Rename {
        /// Customer id.
        id: i64,
        /// The new name (unique, any case).
        #[arg(long)]
        name: Option<String>,
        /// The new default IANA zone for its licenses.
        #[arg(long)]
        zone: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Move a customer and its licenses to the trash (`customers restore` brings them back).
    /// A customer with issued licenses is kept.
    Delete {
        /// Customer id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Bring a deleted customer back from the trash, with its licenses.
    Restore {
        /// Customer id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

// Parsed once per run: the size of its largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
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
    /// Change a license: only the flags given change. A draft is changed in place; an issued
    /// license gets a new revision as a draft (its customer's file stays valid until the new
    /// revision is signed), as in the app.
    Edit {
        /// License id.
        id: i64,
        /// The new name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        terms: TermsArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Copy a license as a new draft named "… (copy)", with a uid of its own.
    Duplicate {
        /// License id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Move a license to the trash (`licenses restore` brings it back). An issued license is
    /// kept: its file is with the customer.
    Delete {
        /// License id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Bring a deleted license back from the trash.
    Restore {
        /// License id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make the next term of a license, or of every license of a customer, as drafts: same
    /// windows, seats and product, dates moved on by the term.
    Renew {
        /// Renew every current license of this customer.
        #[arg(long, conflicts_with = "license", required_unless_present = "license")]
        customer: Option<i64>,
        /// Renew this license.
        #[arg(long)]
        license: Option<i64>,
        /// The new term's first day, YYYY-MM-DD (default: the day after each license ends).
        #[arg(long)]
        from: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
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
    if let Command::Key(_)
    | Command::Relay(_)
    | Command::Sign { .. }
    | Command::Verify { .. }
    | Command::Check { .. }
    | Command::Inspect { .. } = command
    {
        return crate::keys_cmd::run(catalogue, command);
    }
    let mut c = open(catalogue)?;
    match command {
        Command::Customers(CustomersCommand::List { search, json }) => {
            let page = c.customers_page(search, 0, 1000)?;
            let text: Vec<String> = page
                .items
                .iter()
                .map(|x| {
                    format!(
                        "{:>6}  {}  ({} license{}, {})",
                        x.id,
                        x.name,
                        x.license_count,
                        plural(x.license_count as usize),
                        x.default_zone
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
        Command::Licenses(LicensesCommand::Edit {
            id,
            name,
            terms,
            json,
        }) => {
            let before = c.license(*id)?;
            let spec = terms.over(before.terms.to_spec())?;
            let name = name.as_deref().unwrap_or(&before.name);
            let saved = c.update_license(*id, name, &spec)?;
            let after = c.license(saved)?;
            let text = if saved == *id {
                format!("saved license {id}")
            } else {
                format!(
                    "license {id} was issued: saved as license {saved}, its revision {}, a draft; the customer's file stays valid until the new revision is signed",
                    after.revision
                )
            };
            print(
                *json,
                json!({ "id": saved, "edited": id, "new_revision": saved != *id, "license": license_json(&after) }),
                text,
            );
        }
        Command::Licenses(LicensesCommand::Duplicate { id, json }) => {
            let copy = c.duplicate_license(*id)?;
            let license = c.license(copy)?;
            print(
                *json,
                license_json(&license),
                format!(
                    "copied license {id} as license {copy}, \"{}\" (a draft)",
                    license.name
                ),
            );
        }
        Command::Licenses(LicensesCommand::Delete { id, json }) => {
            let license = c.license(*id)?;
            c.delete_license(*id)?;
            print(
                *json,
                json!({ "deleted": id }),
                format!(
                    "moved license {id}, \"{}\", to the trash (licenses restore {id} brings it back)",
                    license.name
                ),
            );
        }
        Command::Licenses(LicensesCommand::Restore { id, json }) => {
            c.restore_license(*id)?;
            print(
                *json,
                json!({ "restored": id }),
                format!("restored license {id}"),
            );
        }
        Command::Customers(CustomersCommand::Rename {
            id,
            name,
            zone,
            json,
        }) => {
            let before = c.customer(*id)?;
            c.update_customer(
                *id,
                name.as_deref().unwrap_or(&before.name),
                zone.as_deref().unwrap_or(&before.default_zone),
            )?;
            let after = c.customer(*id)?;
            print(
                *json,
                customer_json(&after),
                format!(
                    "customer {id} is now \"{}\", default zone {}",
                    after.name, after.default_zone
                ),
            );
        }
        Command::Customers(CustomersCommand::Delete { id, json }) => {
            let customer = c.customer(*id)?;
            c.delete_customer(*id)?;
            print(
                *json,
                json!({ "deleted": id }),
                format!(
                    "moved customer {id}, \"{}\", and its licenses to the trash (customers restore {id} brings them back)",
                    customer.name
                ),
            );
        }
        Command::Customers(CustomersCommand::Restore { id, json }) => {
            c.restore_customer(*id)?;
            print(
                *json,
                json!({ "restored": id }),
                format!("restored customer {id}"),
            );
        }
        Command::Licenses(LicensesCommand::Renew {
            customer,
            license,
            from,
            json,
        }) => {
            return crate::products_cmd::renew(&mut c, *customer, *license, from.as_deref(), *json);
        }
        Command::Products(products) => {
            return crate::products_cmd::run_products(&mut c, products);
        }
        Command::Usage(usage) => {
            return crate::usage_cmd::run_usage(&mut c, usage);
        }
        Command::Demo { year, json } => {
            if !c.list_customers()?.is_empty() || !c.products()?.is_empty() {
                return Err(Failure::from(
                    "the demo goes into a new, empty catalogue: pass --catalogue NEW_FILE"
                        .to_string(),
                ));
            }
            let year = year.unwrap_or_else(|| {
                timefence_terms::chrono::Datelike::year(&timefence_terms::chrono::Utc::now())
            });
            c.seed_demo(year)?;
            print(
                *json,
                json!({ "year": year }),
                format!("added the demo customers, licensed for {year}"),
            );
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
        Command::Cost {
            customer,
            from,
            to,
            zone,
            json,
            csv,
        } => {
            crate::products_cmd::cost(
                &c,
                *customer,
                from.as_deref(),
                to.as_deref(),
                zone.as_deref(),
                *json,
                *csv,
            )?;
        }
        Command::Plan {
            customer,
            roster,
            format,
            date_format,
            zone,
            max_licenses,
            product,
            on,
            apply,
            from,
            to,
            json,
        } => {
            let term = from.as_deref().zip(to.as_deref());
            return crate::plan_cmd::plan_roster(
                &mut c,
                &crate::plan_cmd::PlanRequest {
                    customer: *customer,
                    roster,
                    format: format.as_deref(),
                    date_format: date_format.as_deref(),
                    zone: zone.as_deref(),
                    max_licenses: *max_licenses,
                    product: product.as_deref(),
                    on: on.as_deref(),
                    term,
                    apply: *apply,
                    json: *json,
                },
            );
        }
        Command::Forecast {
            date,
            zone,
            bucket_minutes,
            customers,
            json,
            csv,
        } => {
            forecast(&c, date, zone, *bucket_minutes, customers, *json, *csv)?;
        }
        Command::Eco {
            grams_per_hour,
            credit_kg,
            days,
            license,
            apply,
            json,
        } => {
            eco(
                &mut c,
                *grams_per_hour,
                *credit_kg,
                *days,
                *license,
                *apply,
                *json,
            )?;
        }
        Command::Generate {
            customers,
            licenses_each,
            seed,
        } => {
            c.generate(*customers, *licenses_each, *seed)?;
            println!("added {customers} customers with {licenses_each} licenses each");
        }
        Command::Backup { file, json, .. } => {
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
        Command::Evaluate { .. }
        | Command::Occurrences { .. }
        | Command::Key(_)
        | Command::Relay(_)
        | Command::Team(_)
        | Command::Catalogue(_)
        | Command::Sign { .. }
        | Command::Verify { .. }
        | Command::Check { .. }
        | Command::Inspect { .. } => unreachable!("handled elsewhere"),
    }
    Ok(EXIT_OK)
}

fn forecast(
    c: &Catalogue,
    date: &str,
    zone: &str,
    bucket_minutes: u32,
    only: &[i64],
    json_out: bool,
    csv_out: bool,
) -> Result<(), Failure> {
    let date = parse_date("date", date)?;
    let zone = parse_zone(zone)?;
    if !timefence_terms::Forecast::divides_a_day(bucket_minutes) {
        return Err(Failure::from(format!(
            "--bucket-minutes {bucket_minutes} does not divide a day"
        )));
    }
    let grouped = c.current_terms_by_customer()?;
    let chosen: Vec<Vec<&timefence_terms::Terms>> = grouped
        .iter()
        .filter(|(id, _)| only.is_empty() || only.contains(id))
        .map(|(_, terms)| terms.iter().collect())
        .collect();
    let day = timefence_terms::DisplayDay::new(date, zone);
    let f = timefence_terms::Forecast::build(&chosen, &day, bucket_minutes * 60);
    let label = |i: usize| f.bucket_label(i);
    if json_out {
        let buckets: Vec<serde_json::Value> = f
            .buckets
            .iter()
            .enumerate()
            .map(|(i, s)| json!({ "start": label(i), "seats": s }))
            .collect();
        println!(
            "{}",
            json!({
                "date": date.to_string(), "zone": zone.name(), "bucket_minutes": bucket_minutes, "buckets": buckets,
                "peak": f.peak, "mean": f.mean_seats(), "idle": f.idle_buckets.iter().map(|i| label(*i)).collect::<Vec<_>>(),
                "seat_hours": f.seat_seconds / 3600, "traditional_capacity": f.traditional_capacity,
            })
        );
    } else if csv_out {
        println!("start,seats");
        for (i, s) in f.buckets.iter().enumerate() {
            println!("{},{s}", label(i));
        }
    } else {
        for (i, s) in f.buckets.iter().enumerate() {
            println!("{}  {s:>8}", label(i));
        }
        println!(
            "peak {}  mean {:.1}  idle {}  seat-hours {}  traditional capacity {}",
            f.peak,
            f.mean_seats(),
            f.idle_buckets.len(),
            f.seat_seconds / 3600,
            f.traditional_capacity
        );
    }
    Ok(())
}

fn eco(
    c: &mut Catalogue,
    grams_per_hour: u64,
    credit_kg: u64,
    days: Option<u32>,
    license: Option<i64>,
    apply: bool,
    json_out: bool,
) -> Result<(), Failure> {
    use timefence_terms::eco;
    let target = license.map(|id| c.license(id)).transpose()?;
    let days = days
        .or_else(|| target.as_ref().map(|l| eco::days_in_use(&l.terms)))
        .unwrap_or(365);
    let credit = credit_kg.saturating_mul(1000);
    let limit = eco::daily_limit_from_credit(grams_per_hour, credit, days);
    let more = eco::credit_for_next_step(grams_per_hour, credit, days);
    let mut applied = None;
    if apply {
        let license = target.ok_or_else(|| Failure::from("--apply needs --license".to_string()))?;
        let allowed = limit.ok_or_else(|| {
            Failure::from(
                "the credit allows less than a quarter-hour a day; nothing was changed".to_string(),
            )
        })?;
        let window = timefence_terms::chrono::TimeDelta::seconds(i64::from(
            license.terms.window.nominal_length_seconds(),
        ));
        let mut spec = license.terms.to_spec();
        // Where the credit allows the whole window, the window alone is the fence.
        spec.daily_time_consumption_limit = (allowed < window).then(|| format_duration(allowed));
        let id = c.update_license(license.id, &license.name, &spec)?;
        applied = Some((id, spec.daily_time_consumption_limit.clone()));
    }
    let limit_text = limit.map_or("less than a quarter-hour".to_string(), format_duration);
    if json_out {
        println!(
            "{}",
            json!({
                "days": days,
                "daily_limit": limit.map(format_duration),
                "daily_limit_minutes": limit.map(|l| l.num_minutes()),
                "credit_for_next_quarter_hour_kg": more.map(|g| g.div_ceil(1000)),
                "applied_to_license": applied.as_ref().map(|(id, _)| id),
                "applied_limit": applied.as_ref().and_then(|(_, l)| l.clone()),
            })
        );
    } else {
        println!("{credit_kg} kg CO2e a year at {grams_per_hour} g an hour over {days} days allows {limit_text} a day");
        if let Some(grams) = more {
            println!(
                "{} kg more a year would allow 15 minutes more a day",
                grams.div_ceil(1000)
            );
        }
        if let Some((id, limit)) = applied {
            println!(
                "license {id}: daily limit now {}",
                limit.unwrap_or_else(|| "none (the window is the fence)".into())
            );
        }
    }
    Ok(())
}
