//! The roster panel: a customer's shift roster planned as licenses by `timefence-roster`, shown
//! beside the customer's current licenses and one 24-hour license, and applied as drafts. The
//! shell reads the file, picks the product's price and maps the proposal to views; the plan,
//! its prices and its drafts are the library's.

use crate::error::AppError;
use crate::views::DayChoice;
use crate::AppState;
use serde::{Deserialize, Serialize};
use std::path::Path;
use timefence_catalogue::{Catalogue, CustomerSummary, License, PriceSchedules, Product};
use timefence_roster::csv::MAX_BYTES;
use timefence_roster::{
    propose, Format, IexOptions, Proposal, ProposalError, ProposalRequest, QUARTERS,
};
use timefence_terms::chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{format_count, format_money, schedule_cost, term_from, Terms};

/// What to plan: which roster, for which product, with how many licenses, over which term.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct RosterRequest {
    /// The roster file.
    pub path: String,
    /// The product the licenses are for; `null` for the one the customer's licenses are for
    /// (else the catalogue's first).
    pub product: Option<String>,
    /// The most licenses the plan may use (1 to 20).
    pub max_licenses: u32,
    /// The drafts' first date, YYYY-MM-DD; `null` for today.
    pub from: Option<String>,
    /// Their last date; `null` for a year from `from`, less a day.
    pub to: Option<String>,
}

/// One proposed license.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ProposedView {
    /// The name its draft gets ("Plan 08:00-16:00").
    pub name: String,
    /// The window ("08:00-16:00", "all day").
    pub window: String,
    /// The days it opens ("every day", "Mon-Fri").
    pub days: String,
    /// Seats.
    pub seats: u32,
    /// Its price per day it opens, formatted.
    pub per_day: String,
    /// What it covers, in words ("the 200 seats needed from 08:00 to 16:00").
    pub covers: String,
}

/// One currency's cost of the customer's current licenses.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CurrentCostView {
    /// ISO 4217 code.
    pub currency: String,
    /// On the date the plan is priced, formatted.
    pub per_day: String,
    /// Over the plan's term, formatted.
    pub over_term: String,
}

/// A roster read and planned for one customer.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RosterPlanView {
    /// The request, with its defaults filled in (the panel re-plans with it).
    pub request: RosterRequest,
    /// The file's name.
    pub file_name: String,
    /// The format it was read as ("NICE IEX WFM export").
    pub format: String,
    /// What was read, in one line.
    pub summary: String,
    /// The customer's zone, whose wall clock the demand and the windows follow.
    pub zone: String,
    /// The product priced.
    pub product: String,
    /// Seats needed per quarter-hour of the customer's wall clock on each weekday (7 rows of
    /// 96, Monday first; `[d][0]` is 00:00-00:15).
    pub demand: Vec<Vec<u32>>,
    /// The highest of them.
    pub peak: u32,
    /// The proposed licenses, by opening time.
    pub licenses: Vec<ProposedView>,
    /// The plan per day, formatted (a week's cost over 7 when some licenses open on some
    /// weekdays only).
    pub per_day: String,
    /// The plan per week, formatted.
    pub per_week: String,
    /// One 24-hour license for the peak, per day, formatted.
    pub baseline_per_day: String,
    /// What the plan saves per day against it, formatted.
    pub savings_per_day: String,
    /// "One 24-hour license for 200 seats".
    pub baseline_label: String,
    /// The term, YYYY-MM-DD.
    pub from: String,
    /// Its last date.
    pub to: String,
    /// The plan over the term, formatted.
    pub over_term: String,
    /// The 24-hour license over the term, formatted.
    pub baseline_over_term: String,
    /// The customer's current licenses per currency (none when they have none).
    pub current: Vec<CurrentCostView>,
    /// How sure the plan is, in words.
    pub optimality: String,
    /// Whether no cheaper plan exists among the candidate windows.
    pub proven: bool,
    /// What Apply must find again: the plan's licenses and term, so that a roster changed on
    /// disk since it was shown is planned again rather than applied unseen.
    pub fingerprint: String,
}

/// The drafts Apply added.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppliedPlanView {
    /// Their ids.
    pub license_ids: Vec<i64>,
    /// Their names.
    pub names: Vec<String>,
    /// The term, YYYY-MM-DD.
    pub from: String,
    /// Its last date.
    pub to: String,
}

/// The roster's demand on one quarter-hour of the day shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemandQuarter {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End.
    pub to_seconds: u32,
    /// Seats the roster needs then.
    pub seats: u32,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

/// The customer's zone, whose wall clock the roster's demand follows.
fn zone_of(name: &str) -> Result<Tz, AppError> {
    name.parse()
        .map_err(|_| invalid("zone", format!("\"{name}\" is not an IANA zone")))
}

fn date(field: &str, label: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("{label}: \"{}\" is not a date", text.trim())))
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "roster CSV",
        Format::Iex => "NICE IEX WFM export",
        Format::Genesys => "Genesys Cloud WFM schedules",
        Format::Ics => "iCalendar",
    }
}

fn plural(n: usize, noun: &str) -> String {
    let n_text = format_count(n as u64);
    if n == 1 {
        format!("{n_text} {noun}")
    } else {
        format!("{n_text} {noun}s")
    }
}

/// The request's term: as given, or from `on` for a year.
fn term_of(request: &RosterRequest, on: NaiveDate) -> Result<(NaiveDate, NaiveDate), AppError> {
    let from = match request.from.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => date("from", "From", text)?,
        None => on,
    };
    let to = match request.to.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => date("to", "To", text)?,
        None => term_from(from).1,
    };
    if to < from {
        return Err(invalid("to", "To: the last date is before the first"));
    }
    Ok((from, to))
}

/// What a plan needs from the catalogue, read under its lock; the roster is read and planned
/// after the lock is let go, so a long plan never holds up the window.
pub struct Facts {
    customer_id: i64,
    customer: CustomerSummary,
    products: Vec<Product>,
    licenses: Vec<License>,
    schedules: PriceSchedules,
}

/// Reads [`Facts`] for `customer`.
pub fn facts(c: &Catalogue, customer: i64) -> Result<Facts, AppError> {
    Ok(Facts {
        customer_id: customer,
        customer: c.customer(customer)?,
        products: c.products()?,
        licenses: c.licenses_of(customer)?,
        schedules: c.price_schedules()?,
    })
}

/// Reads and plans (nothing is saved); `today` is the default term's first date.
fn proposal_from(
    facts: &Facts,
    request: &RosterRequest,
    today: NaiveDate,
) -> Result<(RosterPlanView, Proposal), AppError> {
    let row = &facts.customer;
    let zone = zone_of(&row.default_zone)?;
    let products = &facts.products;
    let product = match request.product.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(name) => products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                invalid(
                    "product",
                    format!("Product: \"{name}\" is not one of the catalogue's products"),
                )
            })?,
        // The product the customer's licenses are for (the newest's), else the catalogue's
        // first: the panel offers the others.
        None => {
            let licensed = facts.licenses.iter().map(|l| &l.terms.product).rev();
            let mut chosen = None;
            for name in licensed {
                if let Some(p) = products
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
                {
                    chosen = Some(p);
                    break;
                }
            }
            chosen.or(products.first()).ok_or_else(|| {
                invalid("product", "Product: the catalogue has no product yet; add the one you sell on the Products screen")
            })?
        }
    };
    // Priced as on the term's first day (per day), and over the term by the price book's
    // dates, as the current licenses are.
    let (from, to) = term_of(request, today)?;
    let on = from;
    let price = product.price_on(on).ok_or_else(|| {
        invalid(
            "product",
            format!(
                "Product: {} has no price on {on}; set one on the Products screen",
                product.name
            ),
        )
    })?;
    let pricing = price.pricing();
    let path = Path::new(&request.path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| request.path.clone());
    let size = std::fs::metadata(path)
        .map_err(|e| invalid("roster", format!("Roster: {name}: {e}")))?
        .len();
    if size > MAX_BYTES as u64 {
        return Err(invalid(
            "roster",
            format!(
                "Roster: {name} is {} bytes, at most {}",
                format_count(size),
                format_count(MAX_BYTES as u64)
            ),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid("roster", format!("Roster: {name}: {e}")))?;
    let proposal = propose(&ProposalRequest {
        text: &text,
        format: None,
        iex: IexOptions::default(),
        zone,
        product: &product.name,
        pricing: &pricing,
        max_licenses: request.max_licenses as usize,
        term: Some((from, to)),
    })
    .map_err(|e| match e {
        ProposalError::Roster(e) => invalid("roster", format!("Roster: {name}: {e}")),
        ProposalError::Plan(e) => invalid("max_licenses", e.to_string()),
        ProposalError::Term(e) => invalid("from", format!("From, To: {e}")),
    })?;
    let money =
        |minor: u64| format_money(i64::try_from(minor).unwrap_or(i64::MAX), &pricing.currency);
    let (need, made) = (&proposal.demand, &proposal.plan);
    let licenses: Vec<ProposedView> = made
        .licenses
        .iter()
        .zip(&proposal.per_day_minor)
        .map(|(l, per_day)| {
            let window = if l.quarters == QUARTERS {
                "all day".to_string()
            } else {
                format!("{}-{}", l.daily_start(), l.daily_end())
            };
            ProposedView {
                name: timefence_roster::proposal::draft_name(l),
                covers: format!(
                    "{} of the {} needed at the busiest quarter-hour of {window}, {}",
                    plural(l.seats as usize, "seat"),
                    format_count(u64::from(l.busiest(need))),
                    l.days_text(),
                ),
                window,
                days: l.days_text(),
                seats: l.seats,
                per_day: money(*per_day),
            }
        })
        .collect();
    // The plan and one 24-hour license over the term, by the price book's dates (a price
    // that changes within the term counts from its date), in the plan's currency.
    let over_term = |terms: Vec<&Terms>| -> u64 {
        schedule_cost(&facts.schedules.priced(&terms), zone, from, to)
            .totals
            .iter()
            .find(|t| t.currency == pricing.currency)
            .map_or(0, |t| t.fenced_minor)
    };
    let plan_over_term = over_term(proposal.draft_terms.iter().collect());
    let baseline_over_term = proposal.baseline.as_ref().map_or(0, |t| over_term(vec![t]));
    // The current licenses priced as the cost panel prices them, per currency.
    let current_terms: Vec<&Terms> = facts.licenses.iter().map(|l| &l.terms).collect();
    let priced = facts.schedules.priced(&current_terms);
    let on_day = schedule_cost(&priced, zone, on, on);
    let over = schedule_cost(&priced, zone, from, to);
    let current = over
        .totals
        .iter()
        .map(|t| {
            let day = on_day
                .totals
                .iter()
                .find(|d| d.currency == t.currency)
                .map_or(0, |d| d.fenced_minor);
            CurrentCostView {
                currency: t.currency.clone(),
                per_day: format_money(day as i64, &t.currency),
                over_term: format_money(t.fenced_minor as i64, &t.currency),
            }
        })
        .collect();
    // Everything the drafts would be made of: a plan that differs in any of it is not the
    // one shown.
    let fingerprint = format!(
        "{from}/{to}/{}/{}/{} {} per {} h {}/{}",
        row.default_zone,
        product.name,
        pricing.currency,
        pricing.price_minor,
        pricing.block_hours,
        pricing.rounding.name(),
        made.licenses
            .iter()
            .map(|l| format!("{}+{}x{}@{:02x}", l.start, l.quarters, l.seats, l.weekdays))
            .collect::<Vec<_>>()
            .join(",")
    );
    let view = RosterPlanView {
        request: RosterRequest {
            path: request.path.clone(),
            product: Some(product.name.clone()),
            max_licenses: request.max_licenses,
            from: Some(from.to_string()),
            to: Some(to.to_string()),
        },
        file_name: name,
        format: format_name(proposal.format).to_string(),
        summary: format!(
            "{}, {} ({} of breaks or time off left out), peak {}",
            plural(need.agents, "agent"),
            plural(need.shifts, "working shift"),
            format_count(need.not_working as u64),
            plural(need.peak() as usize, "seat"),
        ),
        zone: row.default_zone.clone(),
        product: product.name.clone(),
        demand: need.by_weekday.clone(),
        peak: need.peak(),
        licenses,
        per_day: money(made.cost_per_day_minor),
        per_week: money(made.cost_per_week_minor),
        baseline_per_day: money(made.baseline_per_day_minor),
        savings_per_day: money(
            made.baseline_per_day_minor
                .saturating_sub(made.cost_per_day_minor),
        ),
        baseline_label: format!(
            "One 24-hour license for {}",
            plural(need.peak() as usize, "seat")
        ),
        from: from.to_string(),
        to: to.to_string(),
        over_term: money(plan_over_term),
        baseline_over_term: money(baseline_over_term),
        current,
        optimality: made.optimality_text(),
        proven: matches!(made.optimality, timefence_roster::Optimality::Proven),
        fingerprint,
    };
    Ok((view, proposal))
}

/// Plans `request` for `customer`, the default term from `today`; nothing is saved.
pub fn plan_of(
    c: &Catalogue,
    customer: i64,
    request: &RosterRequest,
    today: NaiveDate,
) -> Result<RosterPlanView, AppError> {
    proposal_from(&facts(c, customer)?, request, today).map(|(view, _)| view)
}

/// The drafts of a plan, when it is still the one shown (`fingerprint`).
fn drafts_if_shown(
    facts: &Facts,
    request: &RosterRequest,
    fingerprint: &str,
    today: NaiveDate,
) -> Result<(RosterPlanView, Proposal), AppError> {
    let (view, proposal) = proposal_from(facts, request, today)?;
    if view.fingerprint != fingerprint {
        return Err(AppError::Conflict(
            "The roster, the customer's zone or the product's price changed since the plan was shown; nothing was added. Look at the new plan and add it again".into(),
        ));
    }
    if proposal.drafts.is_empty() {
        return Err(AppError::Conflict(
            "The plan has no license to add: no agent works in the roster".into(),
        ));
    }
    Ok((view, proposal))
}

fn add_drafts(
    c: &mut Catalogue,
    customer: i64,
    view: RosterPlanView,
    proposal: &Proposal,
) -> Result<AppliedPlanView, AppError> {
    let ids = c.add_licenses(customer, &proposal.drafts)?;
    Ok(AppliedPlanView {
        license_ids: ids,
        names: proposal.drafts.iter().map(|(n, _)| n.clone()).collect(),
        from: view.from,
        to: view.to,
    })
}

/// Adds the plan as drafts, one transaction; refused when the plan is no longer the one shown
/// (`fingerprint`): the roster, the zone or the price changed since.
pub fn apply_of(
    c: &mut Catalogue,
    customer: i64,
    request: &RosterRequest,
    fingerprint: &str,
    today: NaiveDate,
) -> Result<AppliedPlanView, AppError> {
    let (view, proposal) = drafts_if_shown(&facts(c, customer)?, request, fingerprint, today)?;
    add_drafts(c, customer, view, &proposal)
}

/// Today (`TIMEFENCE_TODAY` in tests, as for usage reports): the default term starts on it.
fn today() -> NaiveDate {
    timefence_usage::today_utc()
}

/// [`plan_of`] on the open catalogue, planned outside its lock.
pub fn plan(
    state: &AppState,
    customer: i64,
    request: &RosterRequest,
) -> Result<RosterPlanView, AppError> {
    let facts = state.with_catalogue(|c| facts(c, customer))?;
    proposal_from(&facts, request, today()).map(|(view, _)| view)
}

/// [`apply_of`] on the open catalogue: planned again outside its lock, then added under it
/// when what the catalogue holds is still what the plan was made from.
pub fn apply(
    state: &AppState,
    customer: i64,
    request: &RosterRequest,
    fingerprint: &str,
) -> Result<AppliedPlanView, AppError> {
    let read = state.with_catalogue(|c| facts(c, customer))?;
    let (view, proposal) = drafts_if_shown(&read, request, fingerprint, today())?;
    state.with_catalogue(|c| {
        // A price or the zone changed while the plan was made: the plan is not the one shown.
        let now = facts(c, read.customer_id)?;
        if now.customer.default_zone != read.customer.default_zone
            || now.products != read.products
        {
            return Err(AppError::Conflict(
                "The customer's zone or the product's price changed while the plan was made; nothing was added. Look at the new plan and add it again".into(),
            ));
        }
        add_drafts(c, customer, view, &proposal)
    })
}

/// The roster's `demand` (7 weekdays of 96 wall quarter-hours of `demand_zone`) on each
/// quarter-hour of the day `choice` names, in the timeline's zone and axis: each quarter-hour
/// needs what its weekday and wall time on the customer's clock need (a quarter-hour that
/// clock skips is never shown, one it repeats is shown twice).
pub fn overlay_of(
    c: &Catalogue,
    customer: i64,
    choice: &DayChoice,
    demand: &[Vec<u32>],
    demand_zone: &str,
    now: DateTime<Utc>,
) -> Result<Vec<DemandQuarter>, AppError> {
    if demand.len() != 7 || demand.iter().any(|row| row.len() != QUARTERS) {
        return Err(invalid(
            "demand",
            format!("the demand is 7 weekdays of {QUARTERS} quarter-hours"),
        ));
    }
    // The zone the demand was taken in (the customer's when it was planned), whatever the
    // customer's zone is now.
    let zone = zone_of(demand_zone)?;
    let row = c.customer(customer)?;
    let licenses = c.licenses_of(customer)?;
    let terms: Vec<&Terms> = licenses.iter().map(|l| &l.terms).collect();
    let day = crate::views::display_day(choice, &row.default_zone, &terms, now)?;
    let length = day.length_seconds();
    Ok((0..length.div_ceil(900))
        .map(|i| {
            let from = i * 900;
            let local = (day.starts + TimeDelta::seconds(i64::from(from))).with_timezone(&zone);
            let weekday = local.weekday().num_days_from_monday() as usize;
            let quarter = ((local.hour() * 60 + local.minute()) / 15) as usize % QUARTERS;
            DemandQuarter {
                from_seconds: from,
                to_seconds: (from + 900).min(length),
                seats: demand[weekday][quarter],
            }
        })
        .collect())
}

/// [`overlay_of`] on the open catalogue.
pub fn overlay(
    state: &AppState,
    customer: i64,
    choice: &DayChoice,
    demand: &[Vec<u32>],
    demand_zone: &str,
) -> Result<Vec<DemandQuarter>, AppError> {
    state.with_catalogue(|c| overlay_of(c, customer, choice, demand, demand_zone, Utc::now()))
}
