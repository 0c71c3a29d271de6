//! `timefence plan`: from a customer's roster to the cheapest licenses (see `timefence-roster`).

use crate::input::parse_date;
use crate::output::print;
use crate::{Failure, EXIT_OK};
use serde_json::json;
use std::path::Path;
use timefence_catalogue::Catalogue;
use timefence_roster::{
    csv::MAX_BYTES, demand::demand, parse, plan, DateFormat, Format, IexOptions,
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
    let format = format.unwrap_or_else(|| Format::of(&text));
    let options = IexOptions {
        date_format,
        zone: roster_zone,
    };
    let shifts = parse(format, &text, options).map_err(|e| format!("--roster: {e}"))?;
    let need = demand(&shifts, zone);
    let made = plan(&need, &pricing, request.max_licenses).map_err(|e| e.to_string())?;
    let money = |minor: u64| format_money(minor as i64, &pricing.currency);
    let savings = made
        .baseline_per_day_minor
        .saturating_sub(made.cost_per_day_minor);
    let optimality = match made.optimality {
        _ if made.licenses.is_empty() => "nothing to license: no agent works".to_string(),
        timefence_roster::Optimality::Proven => format!(
            "proven optimal among {} candidate window{}",
            made.candidates,
            plural(made.candidates)
        ),
        timefence_roster::Optimality::Gap(gap) if gap.is_finite() && gap < 1.0 => format!(
            "not proven: the search stopped at its limit, at most {:.2}% above the optimum",
            gap * 100.0
        ),
        timefence_roster::Optimality::Gap(_) => {
            "not proven: the search stopped at its limit without a bound".to_string()
        }
    };
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
    for l in &made.licenses {
        text.push_str(&format!(
            "  {}-{}  {} seat{}  {} a day\n",
            l.daily_start(),
            l.daily_end(),
            l.seats,
            plural(l.seats as usize),
            money(timefence_roster::plan::price_per_day(l, &pricing)),
        ));
    }
    text.push_str(&format!(
        "Time-fenced: {} a day; one 24-hour license for {} seat{}: {} a day (saves {} a day)\nOptimality: {optimality}",
        money(made.cost_per_day_minor),
        need.peak(),
        plural(need.peak() as usize),
        money(made.baseline_per_day_minor),
        money(savings),
    ));
    let mut added: Vec<i64> = Vec::new();
    let mut term_json = serde_json::Value::Null;
    if request.apply && made.licenses.is_empty() {
        return Err(
            "--apply: the plan has no license to add (no agent works in the roster)"
                .to_string()
                .into(),
        );
    }
    if let Some((from, to)) = request.term {
        let spec = |start: String, end: String, seats: u32| timefence_terms::TermsSpec {
            license_start_date: from.to_string(),
            license_end_date: to.to_string(),
            daily_start_time: start,
            daily_end_time: end,
            daily_time_consumption_limit: None,
            time_zone: customer.default_zone.clone(),
            weekdays: None,
            seats: i64::from(seats),
            product: product.name.clone(),
            features: Default::default(),
        };
        // Only the dates came from the command line: a refusal of these terms is theirs.
        let dates = |e: timefence_terms::InvalidTerms| Failure::from(format!("--from, --to: {e}"));
        let drafts: Vec<(String, timefence_terms::TermsSpec)> = made
            .licenses
            .iter()
            .map(|l| {
                let name = format!("Plan {}-{}", l.daily_start(), l.daily_end());
                (name, spec(l.daily_start(), l.daily_end(), l.seats))
            })
            .collect();
        let terms = drafts
            .iter()
            .map(|(_, s)| s.validate())
            .collect::<Result<Vec<_>, _>>()
            .map_err(dates)?;
        let whole_day = spec("00:00".into(), "24:00".into(), need.peak().max(1))
            .validate()
            .map_err(dates)?;
        let (first, last) = (whole_day.start_date, whole_day.end_date);
        // Priced as the cost panel prices: each day's real length in the customer's zone.
        let refs: Vec<&timefence_terms::Terms> = terms.iter().collect();
        let fenced = timefence_terms::cost_preview(&refs, &pricing, zone, first, last).fenced_minor;
        let whole =
            timefence_terms::cost_preview(&[&whole_day], &pricing, zone, first, last).fenced_minor;
        text.push_str(&format!(
            "\nOver {from} to {to}: {} against {} for one 24-hour license for {} seat{}",
            money(fenced),
            money(whole),
            need.peak(),
            plural(need.peak() as usize),
        ));
        term_json =
            json!({ "from": from, "to": to, "fenced_minor": fenced, "baseline_minor": whole });
        if request.apply {
            added = c.add_licenses(customer.id, &drafts)?;
            text.push_str(&format!(
                "\nAdded {} draft license{} for {}, valid {from} to {to}: {}",
                added.len(),
                plural(added.len()),
                customer.name,
                drafts
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let value = json!({
        "customer": customer.id,
        "zone": customer.default_zone,
        "product": product.name,
        "currency": pricing.currency,
        "demand": need,
        "plan": made,
        "savings_per_day_minor": savings,
        "term": term_json,
        "added": added,
    });
    print(request.json, value, text);
    Ok(EXIT_OK)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
