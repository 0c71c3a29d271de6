//! A roster's plan as licenses for one customer: read the roster, take its demand on the
//! customer's wall clock, plan, and (given a term) write each proposed license as draft terms
//! and price the plan and one 24-hour license over the term as the cost panel prices.
//!
//! One function for every caller: `timefence plan` on the command line and the app's roster
//! panel read the same roster into the same drafts at the same cost.

use crate::demand::{demand, Demand};
use crate::plan::{plan, price_per_day, Plan, PlanError};
use crate::{parse, Format, IexOptions, RosterError};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use timefence_terms::{cost_preview, InvalidTerms, Pricing, Terms, TermsSpec};

/// What to plan.
#[derive(Debug, Clone)]
pub struct ProposalRequest<'a> {
    /// The roster file's text.
    pub text: &'a str,
    /// Its format, or `None` for what the text shows ([`Format::of`]).
    pub format: Option<Format>,
    /// An IEX export's settings.
    pub iex: IexOptions,
    /// The customer's zone, whose wall clock the windows follow.
    pub zone: Tz,
    /// The product the licenses are for.
    pub product: &'a str,
    /// Its price on the day the plan is priced.
    pub pricing: &'a Pricing,
    /// The most licenses the plan may use.
    pub max_licenses: usize,
    /// The term (first and last date) the drafts are valid over and the plan is priced over.
    pub term: Option<(NaiveDate, NaiveDate)>,
}

/// A plan over a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermCost {
    /// The first date.
    pub from: NaiveDate,
    /// The last date (inclusive).
    pub to: NaiveDate,
    /// The plan's licenses over the term, each day's real length, in minor units.
    pub fenced_minor: u64,
    /// One 24-hour license for the demand's peak over the term, in minor units.
    pub baseline_minor: u64,
}

/// A roster read, planned and written as licenses.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The format the roster was read as.
    pub format: Format,
    /// Its demand on the customer's wall clock.
    pub demand: Demand,
    /// The plan.
    pub plan: Plan,
    /// Each proposed license's price per day, in the plan's order, in minor units.
    pub per_day_minor: Vec<u64>,
    /// Each proposed license as a name and draft terms (empty without a term).
    pub drafts: Vec<(String, TermsSpec)>,
    /// The drafts' terms, validated, in the same order.
    pub draft_terms: Vec<Terms>,
    /// One 24-hour license for the demand's peak over the term (none without a term or a
    /// demand): what the plan is set against.
    pub baseline: Option<Terms>,
    /// The plan and one 24-hour license over the term (without a term, none).
    pub term: Option<TermCost>,
}

/// Why no proposal was made; nothing was read half and nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProposalError {
    /// The roster has a bad row or entry, or is too large.
    #[error("{0}")]
    Roster(#[from] RosterError),
    /// The plan could not be made.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// The term's dates are not valid terms (the end before the start, out of range).
    #[error("{0}")]
    Term(InvalidTerms),
}

/// The name a proposed license gets: its window, and its days when not every day ("Plan
/// 08:00-16:00", "Plan 08:00-16:00 Mon-Fri").
pub fn draft_name(license: &crate::ProposedLicense) -> String {
    let window = format!("Plan {}-{}", license.daily_start(), license.daily_end());
    match license.weekday_names() {
        None => window,
        Some(_) => format!("{window} {}", license.days_text()),
    }
}

/// Reads, plans and prices `request` (see the module's overview).
pub fn propose(request: &ProposalRequest<'_>) -> Result<Proposal, ProposalError> {
    let format = request.format.unwrap_or_else(|| Format::of(request.text));
    let shifts = parse(format, request.text, request.iex)?;
    let need = demand(&shifts, request.zone);
    let made = plan(&need, request.pricing, request.max_licenses)?;
    let per_day_minor = made
        .licenses
        .iter()
        .map(|l| price_per_day(l, request.pricing))
        .collect();
    let (drafts, draft_terms, baseline, term) = match request.term {
        None => (Vec::new(), Vec::new(), None, None),
        Some((from, to)) => {
            let spec = |start: String, end: String, seats: u32, weekdays| TermsSpec {
                license_start_date: from.to_string(),
                license_end_date: to.to_string(),
                daily_start_time: start,
                daily_end_time: end,
                daily_time_consumption_limit: None,
                time_zone: request.zone.name().to_string(),
                weekdays,
                seats: i64::from(seats),
                product: request.product.to_string(),
                features: Default::default(),
            };
            let drafts: Vec<(String, TermsSpec)> = made
                .licenses
                .iter()
                .map(|l| {
                    let terms = spec(l.daily_start(), l.daily_end(), l.seats, l.weekday_names());
                    (draft_name(l), terms)
                })
                .collect();
            let terms = drafts
                .iter()
                .map(|(_, s)| s.validate())
                .collect::<Result<Vec<Terms>, _>>()
                .map_err(ProposalError::Term)?;
            let whole_day = spec("00:00".into(), "24:00".into(), need.peak().max(1), None)
                .validate()
                .map_err(ProposalError::Term)?;
            let (first, last) = (whole_day.start_date, whole_day.end_date);
            // Priced as the cost panel prices: each day's real length in the customer's zone.
            let refs: Vec<&Terms> = terms.iter().collect();
            let fenced = cost_preview(&refs, request.pricing, request.zone, first, last);
            let whole = cost_preview(&[&whole_day], request.pricing, request.zone, first, last);
            let cost = TermCost {
                from: first,
                to: last,
                fenced_minor: fenced.fenced_minor,
                // No demand, no 24-hour license: nothing to compare against.
                baseline_minor: if need.peak() == 0 {
                    0
                } else {
                    whole.fenced_minor
                },
            };
            let baseline = (need.peak() > 0).then_some(whole_day);
            (drafts, terms, baseline, Some(cost))
        }
    };
    Ok(Proposal {
        format,
        demand: need,
        plan: made,
        per_day_minor,
        drafts,
        draft_terms,
        baseline,
        term,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeDelta, TimeZone, Timelike};
    use timefence_terms::Rounding;

    /// Two weeks of a New York contact centre: 6 agents on weekdays 09:00-17:00, 2 at weekends,
    /// and 3 on weeknights 22:00-06:00 (Monday to Friday evenings). The drafts, read by the
    /// engine itself (`occurrence_at`), hold at least the seats each quarter-hour of a week
    /// needs, and they are cheaper than every-day licenses would be.
    #[test]
    fn the_engine_opens_the_drafts_wherever_the_roster_works() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let mut text = String::from("agent,start,end,zone\n");
        for day in 0..14 {
            let date = NaiveDate::from_ymd_opt(2027, 5, 3).unwrap() + TimeDelta::days(day);
            let weekend = date.weekday().num_days_from_monday() >= 5;
            for agent in 0..(if weekend { 2 } else { 6 }) {
                text.push_str(&format!(
                    "d{agent},{date} 09:00,{date} 17:00,America/New_York\n"
                ));
            }
            if !weekend {
                let next = date.succ_opt().unwrap();
                for agent in 0..3 {
                    text.push_str(&format!(
                        "n{agent},{date} 22:00,{next} 06:00,America/New_York\n"
                    ));
                }
            }
        }
        let pricing = Pricing {
            currency: "USD".into(),
            price_minor: 500,
            block_hours: 8,
            rounding: Rounding::ProRata,
        };
        let (from, to) = (
            NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 8, 31).unwrap(),
        );
        let made = propose(&ProposalRequest {
            text: &text,
            format: None,
            iex: IexOptions::default(),
            zone,
            product: "Desk",
            pricing: &pricing,
            max_licenses: 3,
            term: Some((from, to)),
        })
        .unwrap();
        assert!(made.demand.weekly);
        assert_eq!(made.plan.optimality, crate::Optimality::Proven);
        let names: Vec<&str> = made.drafts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Plan 09:00-17:00",
                "Plan 09:00-17:00 Mon-Fri",
                "Plan 22:00-06:00 Mon-Fri"
            ]
        );
        let terms: Vec<Terms> = made
            .drafts
            .iter()
            .map(|(_, s)| s.validate().unwrap())
            .collect();
        // A week of the term, quarter-hour by quarter-hour, on the customer's wall clock.
        let monday = zone
            .with_ymd_and_hms(2027, 6, 7, 0, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc);
        for i in 0..7 * 96 {
            let at = monday + TimeDelta::minutes(15 * i + 7);
            let local = at.with_timezone(&zone);
            let (day, q) = (
                local.weekday().num_days_from_monday() as usize,
                ((local.hour() * 60 + local.minute()) / 15) as usize,
            );
            let open: u32 = terms
                .iter()
                .filter(|t| t.occurrence_at(at).is_some())
                .map(|t| t.seats)
                .sum();
            assert!(
                open >= made.demand.by_weekday[day][q],
                "{local}: {open} seats open, {} needed",
                made.demand.by_weekday[day][q]
            );
        }
        // Every day alike, the same demand costs more.
        let mut alike = made.demand.clone();
        alike.weekly = false;
        alike.by_weekday = vec![alike.slots.clone(); 7];
        let daily = crate::plan(&alike, &pricing, 3).unwrap();
        assert!(made.plan.cost_per_week_minor < daily.cost_per_week_minor);
        let term = made.term.unwrap();
        assert!(term.fenced_minor < term.baseline_minor);
    }
}
