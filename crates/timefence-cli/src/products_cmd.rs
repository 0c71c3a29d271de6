//! Products and their price books, renewals, the demo catalogue, and what a customer costs.

use crate::input::{parse_date, parse_zone};
use crate::output::{license_json, print};
use crate::{Failure, EXIT_OK};
use clap::Subcommand;
use serde_json::json;
use timefence_catalogue::{Catalogue, PriceRevision, Product, Rounding};
use timefence_terms::{format_money, parse_money, schedule_cost, term_label};

#[derive(Subcommand)]
pub(crate) enum ProductsCommand {
    /// List products with the price in force today.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a product (with no price until set-price gives it one).
    Add {
        /// Name (unique, any case; at most 80 characters).
        #[arg(long)]
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a product and every price book it has had.
    Show {
        /// Product id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Give a product a price from a date on (earlier dates keep their price).
    SetPrice {
        /// Product id.
        id: i64,
        /// ISO 4217 currency code (USD, EUR, JPY...).
        #[arg(long)]
        currency: String,
        /// Price of one seat for one block, as written in the currency ("5", "5.00", "900").
        #[arg(long)]
        price: String,
        /// Hours in a block (1 to 24; the brief: 8).
        #[arg(long, default_value_t = 8)]
        block_hours: u32,
        /// pro-rata (seat-seconds, rounded down once) or whole-blocks (each day rounded up).
        #[arg(long, default_value = "pro-rata")]
        rounding: String,
        /// The first date the price applies to, YYYY-MM-DD (default: 1970-01-01, always).
        #[arg(long)]
        from: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rename a product, and the current licenses that carry it.
    Rename {
        /// Product id.
        id: i64,
        /// The new name.
        #[arg(long)]
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn price_json(p: &PriceRevision) -> serde_json::Value {
    json!({
        "applies_from": p.applies_from.to_string(), "currency": p.currency, "price_minor": p.price_minor,
        "price": format_money(p.price_minor as i64, &p.currency), "block_hours": p.block_hours,
        "rounding": p.rounding.name(),
    })
}

fn price_text(p: &PriceRevision) -> String {
    format!(
        "{} per seat per {} h ({}), from {}",
        format_money(p.price_minor as i64, &p.currency),
        p.block_hours,
        p.rounding.name(),
        p.applies_from
    )
}

fn today() -> timefence_terms::chrono::NaiveDate {
    timefence_terms::chrono::Utc::now().date_naive()
}

fn product_json(p: &Product) -> serde_json::Value {
    json!({
        "id": p.id, "name": p.name, "licenses": p.license_count,
        "price_today": p.price_on(today()).map(price_json),
        "prices": p.prices.iter().map(price_json).collect::<Vec<_>>(),
    })
}

fn product_line(p: &Product) -> String {
    let price = p
        .price_on(today())
        .map(price_text)
        .unwrap_or_else(|| "no price yet".to_string());
    format!(
        "{:>6}  {}  {}  ({} licenses)",
        p.id, p.name, price, p.license_count
    )
}

pub(crate) fn run_products(c: &mut Catalogue, command: &ProductsCommand) -> Result<u8, Failure> {
    match command {
        ProductsCommand::List { json } => {
            let products = c.products()?;
            print(
                *json,
                json!(products.iter().map(product_json).collect::<Vec<_>>()),
                if products.is_empty() {
                    "no products yet: add one with `timefence products add --name NAME`".into()
                } else {
                    products
                        .iter()
                        .map(product_line)
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            );
        }
        ProductsCommand::Add { name, json } => {
            let id = c.add_product(name)?;
            print(*json, json!({ "id": id }), format!("added product {id}"));
        }
        ProductsCommand::Show { id, json } => {
            let product = c.product(*id)?;
            let mut text = vec![product_line(&product)];
            text.extend(
                product
                    .prices
                    .iter()
                    .map(|p| format!("  {}", price_text(p))),
            );
            print(*json, product_json(&product), text.join("\n"));
        }
        ProductsCommand::SetPrice {
            id,
            currency,
            price,
            block_hours,
            rounding,
            from,
            json,
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            if timefence_terms::currency_digits(&currency).is_none() {
                return Err(Failure::from(format!(
                    "--currency \"{currency}\" is not an ISO 4217 code (e.g. USD, EUR, JPY)"
                )));
            }
            let price_minor = parse_money(price, &currency).ok_or_else(|| {
                Failure::from(format!(
                    "--price \"{price}\" is not an amount of {currency} (e.g. 5.00), zero or more"
                ))
            })?;
            let rounding = Rounding::from_name(rounding).ok_or_else(|| {
                Failure::from(format!(
                    "--rounding \"{rounding}\": use pro-rata or whole-blocks"
                ))
            })?;
            let applies_from = match from {
                Some(text) => parse_date("from", text)?,
                None => "1970-01-01".parse().expect("a date"),
            };
            let revision = PriceRevision {
                applies_from,
                currency,
                price_minor,
                block_hours: *block_hours,
                rounding,
            };
            c.set_price(*id, &revision)?;
            print(
                *json,
                product_json(&c.product(*id)?),
                format!("{}: {}", c.product(*id)?.name, price_text(&revision)),
            );
        }
        ProductsCommand::Rename { id, name, json } => {
            c.rename_product(*id, name)?;
            print(
                *json,
                product_json(&c.product(*id)?),
                format!("renamed product {id}"),
            );
        }
    }
    Ok(EXIT_OK)
}

/// `timefence licenses renew`: the next term of one license or of a customer's licenses.
pub(crate) fn renew(
    c: &mut Catalogue,
    customer: Option<i64>,
    license: Option<i64>,
    from: Option<&str>,
    json_out: bool,
) -> Result<u8, Failure> {
    let ids = match (customer, license) {
        (_, Some(id)) => vec![id],
        (Some(id), None) => {
            c.customer(id)?;
            c.renewable_licenses(Some(id), timefence_usage::today_utc())?
        }
        (None, None) => {
            return Err(Failure::from(
                "give --customer ID or --license ID".to_string(),
            ))
        }
    };
    let from = from.map(|t| parse_date("from", t)).transpose()?;
    let made = c.renew_licenses(&ids, from)?;
    let renewed: Vec<_> = made
        .iter()
        .map(|id| c.license(*id))
        .collect::<Result<_, _>>()?;
    let lines: Vec<String> = renewed
        .iter()
        .map(|l| {
            format!(
                "{:>6}  {}  {} to {} ({})",
                l.id,
                l.name,
                l.terms.start_date,
                l.terms.end_date,
                term_label(l.terms.start_date, l.terms.end_date)
            )
        })
        .collect();
    print(
        json_out,
        json!({ "renewed": renewed.iter().map(license_json).collect::<Vec<_>>() }),
        format!("renewed as drafts:\n{}", lines.join("\n")),
    );
    Ok(EXIT_OK)
}

/// What a customer's licenses cost, each day priced with its product's book in force then,
/// totals kept per currency; a product with no price is named, never counted as zero.
pub(crate) fn cost(
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
    if licenses.is_empty() {
        return Err(Failure::from(format!(
            "{} has no licenses to price",
            summary.name
        )));
    }
    let schedules = c.price_schedules()?;
    let terms: Vec<&timefence_terms::Terms> = licenses.iter().map(|l| &l.terms).collect();
    let priced = schedules.priced(&terms);
    let zone = parse_zone(zone.unwrap_or(&summary.default_zone))?;
    let from = match from {
        Some(text) => parse_date("from", text)?,
        None => licenses
            .iter()
            .map(|l| l.terms.start_date)
            .min()
            .expect("licenses"),
    };
    let to = match to {
        Some(text) => parse_date("to", text)?,
        None => licenses
            .iter()
            .map(|l| l.terms.end_date)
            .max()
            .expect("licenses"),
    };
    if to < from {
        return Err(Failure::from(format!("--to {to} is before --from {from}")));
    }
    let cost = schedule_cost(&priced, zone, from, to);
    let no_price: Vec<String> = cost
        .unpriced_products
        .iter()
        .map(|p| format!("No price for {p}: set one with `timefence products set-price`"))
        .collect();
    let amounts_text = |amounts: &[timefence_terms::Amount]| {
        if amounts.is_empty() {
            "no price".to_string()
        } else {
            amounts
                .iter()
                .map(|a| format_money(a.minor as i64, &a.currency))
                .collect::<Vec<_>>()
                .join(" + ")
        }
    };
    if json_out {
        let lines: Vec<serde_json::Value> = licenses
            .iter()
            .zip(&cost.licenses)
            .map(|(l, charge)| json!({
                "license_id": l.id, "name": l.name, "product": l.terms.product, "seats": charge.seats,
                "billable_seconds": charge.billable_seconds, "amounts": charge.amounts,
                "unpriced_occurrences": charge.unpriced_occurrences,
            }))
            .collect();
        let mut value = json!({
            "customer": summary.name, "from": from.to_string(), "to": to.to_string(),
            "licenses": lines, "totals": cost.totals, "peak_seats": cost.peak_seats,
            "unpriced_products": cost.unpriced_products,
        });
        // One currency, as most customers have: its totals at the top level too.
        if let [total] = cost.totals.as_slice() {
            value["currency"] = json!(total.currency);
            value["fenced_minor"] = json!(total.fenced_minor);
            value["baseline_minor"] = json!(total.baseline_minor);
            value["savings_minor"] = json!(total.savings_minor);
            value["savings_basis_points"] = json!(total.savings_basis_points);
        }
        println!("{value}");
    } else if csv_out {
        println!("license,product,seats,billable_hours,amount_minor,currency");
        let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        for (l, charge) in licenses.iter().zip(&cost.licenses) {
            if charge.amounts.is_empty() {
                println!(
                    "{},{},{},{},,",
                    quote(&l.name),
                    quote(&l.terms.product),
                    charge.seats,
                    charge.billable_seconds / 3600
                );
            }
            for a in &charge.amounts {
                println!(
                    "{},{},{},{},{},{}",
                    quote(&l.name),
                    quote(&l.terms.product),
                    charge.seats,
                    charge.billable_seconds / 3600,
                    a.minor,
                    a.currency
                );
            }
        }
        for t in &cost.totals {
            println!("\"time-fenced total\",,,,{},{}", t.fenced_minor, t.currency);
            println!(
                "\"traditional 24 h\",,,,{},{}",
                t.baseline_minor, t.currency
            );
        }
    } else {
        println!(
            "{}: {} to {} ({} zone days)",
            summary.name,
            from,
            to,
            zone.name()
        );
        for (l, charge) in licenses.iter().zip(&cost.licenses) {
            println!(
                "  {:<24} {:>12}  {:>14}",
                l.name,
                timefence_terms::seats_text(u64::from(charge.seats)),
                amounts_text(&charge.amounts)
            );
        }
        for t in &cost.totals {
            let money = |m: i64| format_money(m, &t.currency);
            println!(
                "  time-fenced {}  traditional {}  savings {} ({}.{:02} %)",
                money(t.fenced_minor as i64),
                money(t.baseline_minor as i64),
                money(t.savings_minor),
                t.savings_basis_points / 100,
                (t.savings_basis_points % 100).abs()
            );
            for formula in &t.formulas {
                println!("  traditional: {formula}");
            }
        }
        for line in &no_price {
            println!("  {line}");
        }
    }
    Ok(())
}
