//! The administrator's own catalogue: products and price books, renewals and the licenses
//! that expire soon, and which catalogue is open (their own, or the demo). Every rule is in
//! `timefence-catalogue` and the engine; this module maps their answers into views.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use timefence_catalogue::{Catalogue, LicenseId, PriceRevision, Product, Rounding};
use timefence_terms::chrono::{NaiveDate, Utc};
use timefence_terms::{format_money, parse_money, schedule_cost, term_label};

/// One price book of a product.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PriceView {
    /// The first date it prices (YYYY-MM-DD).
    pub applies_from: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Price per seat per block, in minor units.
    pub price_minor: i64,
    /// The price as written ("$5.00").
    pub price: String,
    /// Hours in a block.
    pub block_hours: u32,
    /// pro-rata or whole-blocks.
    pub rounding: String,
    /// "$5.00 per seat per 8 h".
    pub summary: String,
}

/// A product on the Products screen.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ProductView {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The book in force today, if any.
    pub price_today: Option<PriceView>,
    /// Every book, oldest first.
    pub prices: Vec<PriceView>,
    /// How many current licenses carry it.
    pub license_count: u32,
}

/// A price as the product form sends it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct PriceInput {
    /// YYYY-MM-DD; empty for "always" (from 1970-01-01).
    pub applies_from: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The price as typed ("5", "5.00", "900").
    pub price: String,
    /// Hours in a block.
    pub block_hours: u32,
    /// pro-rata or whole-blocks.
    pub rounding: String,
}

fn price_view(p: &PriceRevision) -> PriceView {
    let price = format_money(p.price_minor as i64, &p.currency);
    PriceView {
        applies_from: p.applies_from.to_string(),
        currency: p.currency.clone(),
        price_minor: p.price_minor as i64,
        summary: format!("{price} per seat per {} h", p.block_hours),
        price,
        block_hours: p.block_hours,
        rounding: p.rounding.name().to_string(),
    }
}

fn product_view(p: &Product, today: NaiveDate) -> ProductView {
    ProductView {
        id: p.id,
        name: p.name.clone(),
        price_today: p.price_on(today).map(price_view),
        prices: p.prices.iter().map(price_view).collect(),
        license_count: p.license_count,
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Every product with its prices.
pub fn products(catalogue: &Catalogue) -> Result<Vec<ProductView>, AppError> {
    let today = today();
    Ok(catalogue
        .products()?
        .iter()
        .map(|p| product_view(p, today))
        .collect())
}

/// A new catalogue's first customer and what it is sold, as the welcome screen asks them.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct FirstStart {
    /// The customer's name.
    pub customer: String,
    /// Its default zone (this computer's).
    pub zone: String,
    /// The product's name.
    pub product: String,
    /// Its price per seat per block, when one is typed (empty: priced later).
    pub price: String,
    /// The price's currency.
    pub currency: String,
    /// Hours in a block.
    pub block_hours: u32,
}

/// Adds the first customer and its product (priced when a price is typed) in one step;
/// returns the customer's id.
pub fn start_catalogue(catalogue: &mut Catalogue, first: &FirstStart) -> Result<i64, AppError> {
    if first.product.trim().is_empty() {
        return Err(AppError::InvalidInput {
            field: "product".into(),
            message: "What you sell: name the product your licenses are for".into(),
        });
    }
    let price = if first.price.trim().is_empty() {
        None
    } else {
        Some(read_price(&PriceInput {
            applies_from: String::new(),
            currency: first.currency.clone(),
            price: first.price.clone(),
            block_hours: first.block_hours,
            rounding: "pro-rata".into(),
        })?)
    };
    let customer = timefence_catalogue::NewCustomer {
        name: first.customer.clone(),
        default_zone: first.zone.clone(),
        ..Default::default()
    };
    Ok(catalogue
        .start_with(&customer, &first.product, price.as_ref())?
        .0)
}

/// Adds a product with no price yet.
pub fn add_product(catalogue: &mut Catalogue, name: &str) -> Result<ProductView, AppError> {
    let id = catalogue.add_product(name)?;
    Ok(product_view(&catalogue.product(id)?, today()))
}

/// Reads a price typed in the product form; every problem names its field's label.
pub fn read_price(input: &PriceInput) -> Result<PriceRevision, AppError> {
    let invalid = |field: &str, message: String| AppError::InvalidInput {
        field: field.into(),
        message,
    };
    let currency = input.currency.trim().to_ascii_uppercase();
    if timefence_terms::currency_digits(&currency).is_none() {
        return Err(invalid(
            "currency",
            format!(
                "Currency: \"{}\" is not an ISO 4217 code (e.g. USD, EUR, JPY)",
                input.currency.trim()
            ),
        ));
    }
    let price_minor = parse_money(&input.price, &currency).ok_or_else(|| {
        invalid(
            "price",
            format!(
                "Price per seat: \"{}\" is not an amount of {currency}, zero or more (e.g. 5.00)",
                input.price.trim()
            ),
        )
    })?;
    let rounding = Rounding::from_name(&input.rounding).ok_or_else(|| {
        invalid(
            "rounding",
            format!(
                "Rounding: \"{}\" is neither pro-rata nor whole-blocks",
                input.rounding
            ),
        )
    })?;
    let applies_from = match input.applies_from.trim() {
        "" => NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date"),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            invalid(
                "applies_from",
                format!("Applies from: \"{text}\" is not a date"),
            )
        })?,
    };
    Ok(PriceRevision {
        applies_from,
        currency,
        price_minor,
        block_hours: input.block_hours,
        rounding,
    })
}

/// Gives a product a price from a date on.
pub fn set_price(
    catalogue: &mut Catalogue,
    product_id: i64,
    input: &PriceInput,
) -> Result<ProductView, AppError> {
    let price = read_price(input)?;
    catalogue.set_price(product_id, &price)?;
    Ok(product_view(&catalogue.product(product_id)?, today()))
}

/// A renewal: what it will make (a plan, before anything is written) or what it made, and
/// what the new term costs with the price books in force on its days.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RenewalView {
    /// A plan: the licenses to renew; done: the new drafts. In the order asked.
    pub license_ids: Vec<i64>,
    /// The licenses' names, in the same order.
    pub names: Vec<String>,
    /// Their new terms in words ("2028-01-01 to 2028-12-31, 12 months"), in the same order.
    pub terms: Vec<String>,
    /// Their seats and daily windows in words ("100 seats · 00:00-08:00 UTC"), in the same order.
    pub shapes: Vec<String>,
    /// What the new terms cost, one amount per currency ("$638,750.00").
    pub cost: Vec<String>,
    /// Products with no price for the new term.
    pub missing_prices: Vec<String>,
}

fn read_from(from: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    match from.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => Ok(Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(
            |_| AppError::InvalidInput {
                field: "from".into(),
                message: format!("Renew from: \"{text}\" is not a date"),
            },
        )?)),
    }
}

fn renewal_view(
    catalogue: &Catalogue,
    license_ids: Vec<i64>,
    renewed: &[(String, timefence_terms::Terms)],
) -> Result<RenewalView, AppError> {
    let schedules = catalogue.price_schedules()?;
    let mut totals: Vec<(String, u64)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for (_, terms) in renewed {
        let priced = schedules.priced(&[terms]);
        let cost = schedule_cost(&priced, terms.zone, terms.start_date, terms.end_date);
        for amount in &cost.licenses[0].amounts {
            match totals.iter_mut().find(|(c, _)| *c == amount.currency) {
                Some((_, total)) => *total += amount.minor,
                None => totals.push((amount.currency.clone(), amount.minor)),
            }
        }
        for product in cost.unpriced_products {
            if !missing.contains(&product) {
                missing.push(product);
            }
        }
    }
    totals.sort();
    Ok(RenewalView {
        license_ids,
        names: renewed.iter().map(|(name, _)| name.clone()).collect(),
        terms: renewed
            .iter()
            .map(|(_, t)| {
                format!(
                    "{} to {}, {}",
                    t.start_date,
                    t.end_date,
                    term_label(t.start_date, t.end_date)
                )
            })
            .collect(),
        shapes: renewed
            .iter()
            .map(|(_, t)| {
                format!(
                    "{} · {} {}",
                    timefence_terms::seats_text(u64::from(t.seats)),
                    t.window,
                    t.zone
                )
            })
            .collect(),
        cost: totals
            .iter()
            .map(|(currency, minor)| format_money(*minor as i64, currency))
            .collect(),
        missing_prices: missing,
    })
}

/// What renewing `ids` would make, and its cost, without making anything.
pub fn renewal_plan(
    catalogue: &Catalogue,
    ids: &[LicenseId],
    from: Option<&str>,
) -> Result<RenewalView, AppError> {
    let plan = catalogue.renewal_plan(ids, read_from(from)?)?;
    let renewed: Vec<(String, timefence_terms::Terms)> = plan
        .into_iter()
        .map(|(license, terms)| (license.name, terms))
        .collect();
    renewal_view(catalogue, ids.to_vec(), &renewed)
}

/// Makes the next term of `ids` as drafts, and prices the new term with the price books in
/// force on its days.
pub fn renew(
    catalogue: &mut Catalogue,
    ids: &[LicenseId],
    from: Option<&str>,
) -> Result<RenewalView, AppError> {
    let made = catalogue.renew_licenses(ids, read_from(from)?)?;
    let renewed = made
        .iter()
        .map(|id| catalogue.license(*id).map(|l| (l.name, l.terms)))
        .collect::<Result<Vec<_>, _>>()?;
    renewal_view(catalogue, made, &renewed)
}

/// A license whose term ends soon, for the "Expiring" list.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExpiringItem {
    /// The license.
    pub license_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// The customer's name.
    pub customer: String,
    /// The license's name.
    pub name: String,
    /// Its last day (YYYY-MM-DD).
    pub end_date: String,
    /// Days from today to its last day.
    pub days_left: i64,
}

/// Current licenses ending in the next `days` days that have no next term yet.
pub fn expiring(catalogue: &Catalogue, days: u32) -> Result<Vec<ExpiringItem>, AppError> {
    let today = today();
    let licenses = catalogue.expiring_licenses(today, days)?;
    let mut items = Vec::with_capacity(licenses.len());
    for license in licenses {
        items.push(ExpiringItem {
            license_id: license.id,
            customer_id: license.customer_id,
            customer: catalogue.customer(license.customer_id)?.name,
            name: license.name,
            end_date: license.terms.end_date.to_string(),
            days_left: (license.terms.end_date - today).num_days(),
        });
    }
    Ok(items)
}

/// Which catalogue is open, and whether it is empty (the first-run screen).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CatalogueInfo {
    /// Its file.
    pub path: Option<String>,
    /// The team catalogue it is instead of a file: its address, who is connected and what
    /// their role may do.
    pub team: Option<TeamView>,
    /// Whether it is the demo catalogue.
    pub is_demo: bool,
    /// How many customers it has (none: the first-run screen).
    pub customers: u32,
    /// How many products it has.
    pub products: u32,
    /// The app's version and the IANA time zone database its windows follow, for the window's
    /// footer ("Timefence 0.1.0 · tzdata 2025b").
    pub version: String,
}

/// A team catalogue as the window shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TeamView {
    /// Its address, without the password.
    pub address: String,
    /// The member's login.
    pub login: String,
    /// viewer, editor, signer or owner.
    pub role: String,
    /// Whether the role may change customers, licenses, products and prices.
    pub may_edit: bool,
    /// Whether it may sign and record files.
    pub may_sign: bool,
}

/// What the window needs to know of the open catalogue.
pub fn info(
    catalogue: &Catalogue,
    place: &crate::Place,
    own: Option<&std::path::Path>,
) -> Result<CatalogueInfo, AppError> {
    let path = place.path.as_deref();
    let team = match (&place.team, catalogue.member()?) {
        (Some(address), Some(member)) => Some(TeamView {
            address: address.clone(),
            login: member.login,
            role: member.role.name().to_string(),
            may_edit: member.role.may_edit(),
            may_sign: member.role.may_sign(),
        }),
        _ => None,
    };
    Ok(CatalogueInfo {
        path: path.map(|p| p.display().to_string()),
        team,
        // The demo is whatever file is open in place of the administrator's own.
        is_demo: path.is_some() && path != own,
        customers: u32::try_from(catalogue.customer_count()?).unwrap_or(u32::MAX),
        products: u32::try_from(catalogue.products()?.len()).unwrap_or(u32::MAX),
        version: format!(
            "Timefence {} · tzdata {}",
            env!("CARGO_PKG_VERSION"),
            timefence_terms::tzdata_version()
        ),
    })
}
