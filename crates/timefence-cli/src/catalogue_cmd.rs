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

pub(crate) fn catalogue_path(path: Option<PathBuf>) -> Result<PathBuf, Failure> {
    path.or_else(|| std::env::var_os("TIMEFENCE_CATALOGUE").map(PathBuf::from))
        .or_else(default_catalogue)
        .ok_or_else(|| Failure::from("no catalogue: pass --catalogue FILE".to_string()))
}

pub(crate) fn open(path: Option<PathBuf>) -> Result<Catalogue, Failure> {
    let path = catalogue_path(path)?;
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
        "state": l.state.as_str(),
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
    if let Command::Key(_)
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
        Command::Cost {
            customer,
            from,
            to,
            zone,
            json,
            csv,
        } => {
            cost(
                &c,
                *customer,
                from.as_deref(),
                to.as_deref(),
                zone.as_deref(),
                *json,
                *csv,
            )?;
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
        Command::Evaluate { .. }
        | Command::Occurrences { .. }
        | Command::Key(_)
        | Command::Sign { .. }
        | Command::Verify { .. }
        | Command::Check { .. }
        | Command::Inspect { .. } => unreachable!("handled elsewhere"),
    }
    Ok(EXIT_OK)
}

fn parse_date(flag: &str, text: &str) -> Result<timefence_terms::chrono::NaiveDate, Failure> {
    timefence_terms::chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Failure::from(format!("--{flag} \"{text}\" is not a date (YYYY-MM-DD)")))
}

fn parse_zone(text: &str) -> Result<timefence_terms::chrono_tz::Tz, Failure> {
    text.trim()
        .parse()
        .map_err(|_| Failure::from(format!("\"{text}\" is not an IANA time zone name")))
}

fn cost(
    c: &Catalogue,
    customer: i64,
    from: Option<&str>,
    to: Option<&str>,
    zone: Option<&str>,
    json_out: bool,
    csv_out: bool,
) -> Result<(), Failure> {
    let summary = c.customer(customer)?;
    let licenses = c.licenses_of(customer)?;
    let first = licenses
        .first()
        .ok_or_else(|| Failure::from(format!("{} has no licenses to price", summary.name)))?;
    let book = c.price_book(&first.terms.product)?.ok_or_else(|| {
        Failure::from(format!(
            "the product \"{}\" has no price book",
            first.terms.product
        ))
    })?;
    let pricing = book.pricing();
    let zone = parse_zone(zone.unwrap_or(&summary.default_zone))?;
    let from = match from {
        Some(text) => parse_date("from", text)?,
        None => licenses
            .iter()
            .map(|l| l.terms.start_date)
            .min()
            .unwrap_or(first.terms.start_date),
    };
    let to = match to {
        Some(text) => parse_date("to", text)?,
        None => licenses
            .iter()
            .map(|l| l.terms.end_date)
            .max()
            .unwrap_or(first.terms.end_date),
    };
    if to < from {
        return Err(Failure::from(format!("--to {to} is before --from {from}")));
    }
    let terms: Vec<&timefence_terms::Terms> = licenses.iter().map(|l| &l.terms).collect();
    let preview = timefence_terms::cost_preview(&terms, &pricing, zone, from, to);
    let day = timefence_terms::cost_preview(&terms, &pricing, zone, from, from);
    let money = |m: i64| timefence_terms::format_money(m, &pricing.currency);
    if json_out {
        let lines: Vec<serde_json::Value> = licenses
            .iter()
            .zip(&preview.licenses)
            .map(|(l, cost)| json!({ "license_id": l.id, "name": l.name, "seats": cost.seats, "billable_seconds": cost.billable_seconds, "amount_minor": cost.amount_minor }))
            .collect();
        println!(
            "{}",
            json!({
                "customer": summary.name, "currency": pricing.currency, "from": from.to_string(), "to": to.to_string(),
                "licenses": lines, "fenced_minor": preview.fenced_minor, "baseline_minor": preview.baseline_minor,
                "savings_minor": preview.savings_minor, "savings_basis_points": preview.savings_basis_points,
                "peak_seats": preview.peak_seats,
                "first_day": { "date": from.to_string(), "fenced_minor": day.fenced_minor, "baseline_minor": day.baseline_minor },
            })
        );
    } else if csv_out {
        println!("license,seats,billable_hours,amount_minor,currency");
        for (l, cost) in licenses.iter().zip(&preview.licenses) {
            println!(
                "\"{}\",{},{},{},{}",
                l.name.replace('"', "\"\""),
                cost.seats,
                cost.billable_seconds / 3600,
                cost.amount_minor,
                pricing.currency
            );
        }
        println!(
            "\"time-fenced total\",,,{},{}",
            preview.fenced_minor, pricing.currency
        );
        println!(
            "\"traditional 24 h\",{},,{},{}",
            preview.peak_seats, preview.baseline_minor, pricing.currency
        );
    } else {
        println!(
            "{}: {} to {} ({} zone days)",
            summary.name,
            from,
            to,
            zone.name()
        );
        for (l, cost) in licenses.iter().zip(&preview.licenses) {
            println!(
                "  {:<24} {:>6} seats  {:>14}",
                l.name,
                cost.seats,
                money(cost.amount_minor as i64)
            );
        }
        println!(
            "  time-fenced {}  traditional {}  savings {} ({}.{:02} %)",
            money(preview.fenced_minor as i64),
            money(preview.baseline_minor as i64),
            money(preview.savings_minor),
            preview.savings_basis_points / 100,
            preview.savings_basis_points % 100
        );
        println!(
            "  first day: {}",
            timefence_terms::baseline_formula(&day, &pricing)
        );
    }
    Ok(())
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
