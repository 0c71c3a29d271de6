//! `timefence plan`: from a customer's roster to the cheapest licenses (see `timefence-roster`).

use crate::input::parse_date;
use crate::output::{plural, print};
use crate::{Failure, EXIT_OK};
use serde_json::json;
use std::path::Path;
use timefence_catalogue::Catalogue;
use timefence_roster::{
    csv::MAX_BYTES, propose, DateFormat, Format, IexOptions, ProposalError, ProposalRequest,
};
use timefence_terms::format_money;

/// What `timefence plan` was asked.
pub(crate) struct PlanRequest<'a> {
    pub customer: i64,
    pub roster: &'a Path,
    /// The roster's format (default: what the file shows).
    pub format: Option<&'a str>,
    /// An IEX export's dateFormat.
    pub date_format: Option<&'a str>,
    /// The zone of an IEX export without an IANA `TZ`.
    pub zone: Option<&'a str>,
    pub max_licenses: usize,
    pub product: Option<&'a str>,
    pub on: Option<&'a str>,
    /// The term the plan is priced over (first and last date).
    pub term: Option<(&'a str, &'a str)>,
    /// Add the plan as drafts valid over the term.
    pub apply: bool,
    pub json: bool,
}

pub(crate) fn plan_roster(c: &mut Catalogue, request: &PlanRequest<'_>) -> Result<u8, Failure> {
    let format = match request.format {
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            format!("--format: \"{name}\" is not a roster format this version reads (csv, iex, genesys, ics)")
        })?),
        None => None,
    };
    let date_format = match request.date_format {
        Some(name) => DateFormat::from_name(name).ok_or_else(|| {
            format!("--date-format: \"{name}\" is not an IEX dateFormat (mmddyyyy, mmddyy, ddmmyyyy, ddmmyy, yyyymmdd, yyyyddmm, yymmdd, yyddmm)")
        })?,
        None => DateFormat::default(),
    };
    let roster_zone = match request.zone {
        Some(name) => Some(
            name.trim()
                .parse()
                .map_err(|_| format!("--zone: \"{name}\" is not an IANA time zone name"))?,
        ),
        None => None,
    };
    let customer = c.customer(request.customer)?;
    let zone = crate::input::parse_zone(&customer.default_zone)?;
    let products = c.products()?;
    let product = match request.product {
        Some(name) => products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| format!("--product: \"{name}\" is not one of the catalogue's products"))?,
        None => match products.as_slice() {
            [only] => only,
            [] => return Err("the catalogue has no product yet; add the one you sell first (timefence products add)".to_string().into()),
            _ => {
                let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
                return Err(format!("--product: pick one of {}", names.join(", ")).into());
            }
        },
    };
    let on = match request.on {
        Some(text) => parse_date("--on", text)?,
        None => timefence_terms::chrono::Local::now().date_naive(),
    };
    let price = product.price_on(on).ok_or_else(|| {
        format!(
            "{} has no price on {on}; give it one with timefence products set-price",
            product.name
        )
    })?;
    let pricing = price.pricing();
    let size = std::fs::metadata(request.roster)
        .map_err(|e| format!("--roster: {}: {e}", request.roster.display()))?
        .len();
    if size > MAX_BYTES as u64 {
        return Err(format!("--roster: {size} bytes, at most {MAX_BYTES}").into());
    }
    let text = std::fs::read_to_string(request.roster)
        .map_err(|e| format!("--roster: {}: {e}", request.roster.display()))?;
    let term = match request.term {
        Some((from, to)) => Some((parse_date("--from", from)?, parse_date("--to", to)?)),
        None => None,
    };
    if request.apply && term.is_none() {
        return Err("--apply: give the drafts' term with --from and --to"
            .to_string()
            .into());
    }
    let proposal = propose(&ProposalRequest {
        text: &text,
        format,
        iex: IexOptions {
            date_format,
            zone: roster_zone,
        },
        zone,
        product: &product.name,
        pricing: &pricing,
        max_licenses: request.max_licenses,
        term,
    })
    .map_err(|e| match e {
        ProposalError::Roster(e) => format!("--roster: {e}"),
        // Only the dates came from the command line: a refusal of these terms is theirs.
        ProposalError::Term(e) => format!("--from, --to: {e}"),
        ProposalError::Plan(e) => e.to_string(),
    })?;
    let (need, made) = (&proposal.demand, &proposal.plan);
    let money = |minor: u64| format_money(minor as i64, &pricing.currency);
    let savings = made
        .baseline_per_day_minor
        .saturating_sub(made.cost_per_day_minor);
    let mut text = format!(
        "Roster: {} working shift{} of {} agent{} ({} shift{} of breaks or time off left out), peak {} seat{}\n\
         Plan for {} ({}), {} at {} per seat per {} h, {}:\n",
        need.shifts,
        plural(need.shifts),
        need.agents,
        plural(need.agents),
        need.not_working,
        plural(need.not_working),
        need.peak(),
        plural(need.peak() as usize),
        customer.name,
        customer.default_zone,
        product.name,
        money(pricing.price_minor),
        pricing.block_hours,
        pricing.rounding.name(),
    );
    for (l, per_day) in made.licenses.iter().zip(&proposal.per_day_minor) {
        text.push_str(&format!(
            "  {}-{}  {}  {} seat{}  {} a day\n",
            l.daily_start(),
            l.daily_end(),
            l.days_text(),
            l.seats,
            plural(l.seats as usize),
            money(*per_day),
        ));
    }
    let weekly = if made.licenses.iter().any(|l| l.weekday_names().is_some()) {
        format!(" on average ({} a week)", money(made.cost_per_week_minor))
    } else {
        String::new()
    };
    text.push_str(&format!(
        "Time-fenced: {} a day{weekly}; one 24-hour license for {} seat{}: {} a day (saves {} a day)\nOptimality: {}",
        money(made.cost_per_day_minor),
        need.peak(),
        plural(need.peak() as usize),
        money(made.baseline_per_day_minor),
        money(savings),
        made.optimality_text(),
    ));
    let mut added: Vec<i64> = Vec::new();
    if request.apply && made.licenses.is_empty() {
        return Err(
            "--apply: the plan has no license to add (no agent works in the roster)"
                .to_string()
                .into(),
        );
    }
    let term_json = match &proposal.term {
        Some(cost) => {
            text.push_str(&format!(
                "\nOver {} to {}: {} against {} for one 24-hour license for {} seat{}",
                cost.from,
                cost.to,
                money(cost.fenced_minor),
                money(cost.baseline_minor),
                need.peak(),
                plural(need.peak() as usize),
            ));
            json!({ "from": cost.from, "to": cost.to, "fenced_minor": cost.fenced_minor, "baseline_minor": cost.baseline_minor })
        }
        None => serde_json::Value::Null,
    };
    if let (true, Some(cost)) = (request.apply, &proposal.term) {
        added = c.add_licenses(customer.id, &proposal.drafts)?;
        text.push_str(&format!(
            "\nAdded {} draft license{} for {}, valid {} to {}: {}",
            added.len(),
            plural(added.len()),
            customer.name,
            cost.from,
            cost.to,
            proposal
                .drafts
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let value = json!({
        "customer": customer.id,
        "zone": customer.default_zone,
        "product": product.name,
        "currency": pricing.currency,
        "demand": need,
        "format": format!("{:?}", proposal.format).to_lowercase(),
        "plan": made,
        "savings_per_day_minor": savings,
        "term": term_json,
        "added": added,
    });
    print(request.json, value, text);
    Ok(EXIT_OK)
}
