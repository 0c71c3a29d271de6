//! What a schedule costs: time-fenced licenses against one traditional 24-hour license.
//!
//! Money is in integer minor units (cents) throughout. A price is per seat per block of hours
//! (the brief: $5 per seat per 8-hour block).
//!
//! - A license bills, for each window occurrence inside the period, its real length there (a
//!   DST day's window may be an hour shorter or longer), or its daily limit where that is
//!   smaller, on the weekdays and dates it opens.
//! - [`Rounding::ProRata`] charges seat-seconds at the block price, rounded **down** to the
//!   minor unit once per license over the period (a customer never pays for a fraction of a
//!   cent). [`Rounding::WholeBlocks`] rounds each occurrence up to whole blocks.
//! - The baseline is one 24-hour license sized for the peak concurrent seats of the licenses
//!   in the period, billed for every real second of the period's days in the display zone (a
//!   23-hour day is not billed as 24), with the same rounding rule per day.

use crate::coverage::{Coverage, DisplayDay};
use crate::terms::Terms;
use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use serde::Serialize;

/// How seat-time becomes money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rounding {
    /// Seat-seconds at the block price, rounded down to the minor unit.
    ProRata,
    /// Each occurrence (each day, for the baseline) rounded up to whole blocks.
    WholeBlocks,
}

/// A price book's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pricing {
    /// ISO 4217 code.
    pub currency: String,
    /// Price of one seat for one block, in minor units.
    pub price_minor: u64,
    /// Length of a block in hours (1 to 24).
    pub block_hours: u32,
    /// Rounding rule.
    pub rounding: Rounding,
}

impl Pricing {
    fn block_seconds(&self) -> u64 {
        u64::from(self.block_hours.max(1)) * 3600
    }

    /// The price of `seats` for `seconds` of use under this price book's rounding.
    fn charge(&self, seats: u64, seconds: u64) -> u64 {
        let block = self.block_seconds();
        match self.rounding {
            Rounding::ProRata => {
                let exact = u128::from(seats) * u128::from(seconds) * u128::from(self.price_minor)
                    / u128::from(block);
                u64::try_from(exact).unwrap_or(u64::MAX)
            }
            Rounding::WholeBlocks => seats
                .saturating_mul(seconds.div_ceil(block))
                .saturating_mul(self.price_minor),
        }
    }
}

/// One license's share of a cost preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseCost {
    /// Seats.
    pub seats: u32,
    /// Window occurrences billed.
    pub occurrences: u32,
    /// Seconds billed per seat over the period.
    pub billable_seconds: u64,
    /// What the license costs over the period, in minor units.
    pub amount_minor: u64,
}

/// Time-fenced cost against the traditional baseline over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostPreview {
    /// The first and last display dates of the period.
    pub from: NaiveDate,
    /// Last display date (inclusive).
    pub to: NaiveDate,
    /// One entry per license, in the order given.
    pub licenses: Vec<LicenseCost>,
    /// What the time-fenced licenses cost.
    pub fenced_minor: u64,
    /// Peak concurrent seats over the period.
    pub peak_seats: u64,
    /// Real seconds in the period's days.
    pub period_seconds: u64,
    /// What one 24-hour license for the peak would cost.
    pub baseline_minor: u64,
    /// Baseline minus fenced (negative when fencing costs more, as whole blocks can).
    pub savings_minor: i64,
    /// Savings as a share of the baseline, in basis points (1/100 of a percent), rounded down.
    pub savings_basis_points: i64,
}

/// The cost of `licenses` over the display days `from` to `to` (inclusive) of `zone`.
///
/// ```
/// use timefence_terms::{brief, cost_preview, Pricing, Rounding};
/// let shifts = brief::bpo_shifts();
/// let terms: Vec<_> = shifts.iter().map(|s| &s.terms).collect();
/// let five_dollars = Pricing { currency: "USD".into(), price_minor: 500, block_hours: 8, rounding: Rounding::ProRata };
/// let day = "2024-06-12".parse().unwrap();
/// let preview = cost_preview(&terms, &five_dollars, "UTC".parse().unwrap(), day, day);
/// assert_eq!((preview.baseline_minor, preview.fenced_minor), (300_000, 175_000));
/// ```
pub fn cost_preview(
    licenses: &[&Terms],
    pricing: &Pricing,
    zone: Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> CostPreview {
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        days.push(DisplayDay::new(date, zone));
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return CostPreview {
            from,
            to,
            licenses: licenses
                .iter()
                .map(|t| LicenseCost {
                    seats: t.seats,
                    occurrences: 0,
                    billable_seconds: 0,
                    amount_minor: 0,
                })
                .collect(),
            fenced_minor: 0,
            peak_seats: 0,
            period_seconds: 0,
            baseline_minor: 0,
            savings_minor: 0,
            savings_basis_points: 0,
        };
    };
    let (starts, ends) = (first.starts, last.ends);

    let mut costs = Vec::with_capacity(licenses.len());
    for terms in licenses {
        let mut cost = LicenseCost {
            seats: terms.seats,
            occurrences: 0,
            billable_seconds: 0,
            amount_minor: 0,
        };
        let mut block_charges = 0u64;
        for occurrence in terms.occurrences(starts, ends) {
            let inside = occurrence.closes.min(ends) - occurrence.opens.max(starts);
            let billed = terms
                .daily_limit
                .map_or(inside, |limit| inside.min(limit))
                .max(TimeDelta::zero());
            let seconds = billed.num_seconds() as u64;
            cost.occurrences += 1;
            cost.billable_seconds += seconds;
            block_charges =
                block_charges.saturating_add(pricing.charge(u64::from(terms.seats), seconds));
        }
        cost.amount_minor = match pricing.rounding {
            Rounding::ProRata => pricing.charge(u64::from(terms.seats), cost.billable_seconds),
            Rounding::WholeBlocks => block_charges,
        };
        costs.push(cost);
    }

    let peak_seats = days
        .iter()
        .map(|day| Coverage::of(licenses.iter().copied(), day).peak())
        .max()
        .unwrap_or(0);
    let period_seconds: u64 = days.iter().map(|d| u64::from(d.length_seconds())).sum();
    let baseline_minor = match pricing.rounding {
        Rounding::ProRata => pricing.charge(peak_seats, period_seconds),
        Rounding::WholeBlocks => days
            .iter()
            .map(|d| pricing.charge(peak_seats, u64::from(d.length_seconds())))
            .sum(),
    };
    let fenced_minor: u64 = costs.iter().map(|c| c.amount_minor).sum();
    let savings_minor = baseline_minor as i64 - fenced_minor as i64;
    let savings_basis_points = if baseline_minor == 0 {
        0
    } else {
        savings_minor * 10_000 / baseline_minor as i64
    };
    CostPreview {
        from,
        to,
        licenses: costs,
        fenced_minor,
        peak_seats,
        period_seconds,
        baseline_minor,
        savings_minor,
        savings_basis_points,
    }
}

/// Money as an administrator reads it: `$3,000.00` for USD, `EUR 1,750.00` otherwise (two
/// decimals).
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let prefix = if currency.eq_ignore_ascii_case("USD") {
        "$".to_string()
    } else {
        format!("{} ", currency.to_ascii_uppercase())
    };
    format!("{sign}{prefix}{grouped}.{:02}", minor % 100)
}

/// The baseline's arithmetic in words for one day: "200 seats × 24 h / 8 h × $5.00 = $3,000.00".
pub fn baseline_formula(preview: &CostPreview, pricing: &Pricing) -> String {
    let hours = preview.period_seconds as f64 / 3600.0;
    let hours_text = if preview.period_seconds.is_multiple_of(3600) {
        format!("{}", preview.period_seconds / 3600)
    } else {
        format!("{hours:.2}")
    };
    format!(
        "{} seats × {} h / {} h × {} = {}",
        preview.peak_seats,
        hours_text,
        pricing.block_hours,
        format_money(pricing.price_minor as i64, &pricing.currency),
        format_money(preview.baseline_minor as i64, &pricing.currency)
    )
}
