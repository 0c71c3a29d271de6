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

impl Rounding {
    /// The rule's name as people choose it: `pro-rata` or `whole-blocks`.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::ProRata => "pro-rata",
            Rounding::WholeBlocks => "whole-blocks",
        }
    }

    /// The rule named `name` (as [`Rounding::name`] writes it).
    ///
    /// ```
    /// use timefence_terms::Rounding;
    /// assert_eq!(Rounding::from_name("whole-blocks"), Some(Rounding::WholeBlocks));
    /// assert_eq!(Rounding::from_name(Rounding::ProRata.name()), Some(Rounding::ProRata));
    /// assert_eq!(Rounding::from_name("monthly"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Rounding> {
        [Rounding::ProRata, Rounding::WholeBlocks]
            .into_iter()
            .find(|r| r.name() == name.trim())
    }
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

/// A product's price books over time: each revision applies from its date on, so the cost of
/// a day uses the book in force on that day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PriceSchedule {
    /// (applies from, price book), by date.
    revisions: Vec<(NaiveDate, Pricing)>,
}

impl PriceSchedule {
    /// A schedule of `revisions`; of two on the same date the later one given counts.
    pub fn new(mut revisions: Vec<(NaiveDate, Pricing)>) -> PriceSchedule {
        revisions.reverse();
        revisions.sort_by_key(|(from, _)| *from);
        revisions.dedup_by_key(|(from, _)| *from);
        PriceSchedule { revisions }
    }

    /// One price book that has always applied.
    pub fn always(pricing: Pricing) -> PriceSchedule {
        PriceSchedule {
            revisions: vec![(NaiveDate::MIN, pricing)],
        }
    }

    /// No price at all (a product nobody has priced yet).
    pub fn none() -> PriceSchedule {
        PriceSchedule::default()
    }

    /// The price book in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> Option<&Pricing> {
        self.index_on(date).map(|i| &self.revisions[i].1)
    }

    fn index_on(&self, date: NaiveDate) -> Option<usize> {
        self.revisions
            .partition_point(|(from, _)| *from <= date)
            .checked_sub(1)
    }
}

/// A license to price, with its product's price schedule.
#[derive(Debug, Clone, Copy)]
pub struct Priced<'a> {
    /// Its terms.
    pub terms: &'a Terms,
    /// Its product's prices. Licenses that share a schedule (by reference) are one product for
    /// the baseline.
    pub prices: &'a PriceSchedule,
}

/// An amount in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub minor: u64,
}

/// One license's share of a [`ScheduleCost`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseCharge {
    /// Seats.
    pub seats: u32,
    /// Window occurrences in the period.
    pub occurrences: u32,
    /// Seconds billed per seat over the period.
    pub billable_seconds: u64,
    /// What it costs, one amount per currency its price books used (usually one).
    pub amounts: Vec<Amount>,
    /// Occurrences that opened on a date with no price book in force: not counted anywhere.
    pub unpriced_occurrences: u32,
}

/// Totals in one currency: nothing here is ever added across currencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// What the time-fenced licenses cost.
    pub fenced_minor: u64,
    /// What one 24-hour license per product, for that product's peak, would cost.
    pub baseline_minor: u64,
    /// Baseline minus fenced.
    pub savings_minor: i64,
    /// Savings in basis points of the baseline, rounded toward zero.
    pub savings_basis_points: i64,
    /// Each product's baseline arithmetic: "200 seats × 24 h / 8 h × $5.00 = $3,000.00".
    pub formulas: Vec<String>,
}

/// Time-fenced cost against the traditional baseline, with products priced by the book in
/// force on each day and totals kept per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleCost {
    /// One entry per license, in the order given.
    pub licenses: Vec<LicenseCharge>,
    /// Totals, one per currency, by currency code.
    pub totals: Vec<CurrencyTotal>,
    /// Peak concurrent seats of all the licenses over the period.
    pub peak_seats: u64,
    /// Real seconds in the period's days.
    pub period_seconds: u64,
    /// Products that had no price book in force on some day they were used, by name: their
    /// use is in no total.
    pub unpriced_products: Vec<String>,
    /// Whether any license opens at all in the period.
    pub any_open: bool,
}

fn display_days(zone: Tz, from: NaiveDate, to: NaiveDate) -> Vec<DisplayDay> {
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        days.push(DisplayDay::new(date, zone));
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    days
}

fn add_amount(amounts: &mut Vec<Amount>, currency: &str, minor: u64) {
    match amounts.iter_mut().find(|a| a.currency == currency) {
        Some(a) => a.minor = a.minor.saturating_add(minor),
        None => amounts.push(Amount {
            currency: currency.to_string(),
            minor,
        }),
    }
}

/// The cost of `licenses` over the display days `from` to `to` (inclusive) of `zone`, each
/// occurrence priced with the book in force on the date it opens, and the baseline per product
/// (one 24-hour license for that product's peak) with the book in force on each day.
///
/// Pro-rata rounds down once per license and price book; whole blocks round each occurrence
/// (each day, for the baseline) up.
pub fn schedule_cost(
    licenses: &[Priced<'_>],
    zone: Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> ScheduleCost {
    let days = display_days(zone, from, to);
    let mut unpriced: Vec<String> = Vec::new();
    let mut note_unpriced = |product: &str| {
        if !unpriced.iter().any(|p| p == product) {
            unpriced.push(product.to_string());
        }
    };
    let mut charges = Vec::with_capacity(licenses.len());
    let mut any_open = false;
    for priced in licenses {
        let terms = priced.terms;
        let mut charge = LicenseCharge {
            seats: terms.seats,
            occurrences: 0,
            billable_seconds: 0,
            amounts: Vec::new(),
            unpriced_occurrences: 0,
        };
        if let (Some(first), Some(last)) = (days.first(), days.last()) {
            let (starts, ends) = (first.starts, last.ends);
            // Seconds per price-book revision, for pro-rata's one rounding per book.
            let mut per_book: Vec<(usize, u64)> = Vec::new();
            for occurrence in terms.occurrences(starts, ends) {
                any_open = true;
                let inside = occurrence.closes.min(ends) - occurrence.opens.max(starts);
                let billed = terms
                    .daily_limit
                    .map_or(inside, |limit| inside.min(limit))
                    .max(TimeDelta::zero());
                let seconds = billed.num_seconds() as u64;
                charge.occurrences += 1;
                charge.billable_seconds += seconds;
                let Some(index) = priced.prices.index_on(occurrence.date) else {
                    charge.unpriced_occurrences += 1;
                    note_unpriced(&terms.product);
                    continue;
                };
                let pricing = &priced.prices.revisions[index].1;
                match pricing.rounding {
                    Rounding::WholeBlocks => add_amount(
                        &mut charge.amounts,
                        &pricing.currency,
                        pricing.charge(u64::from(terms.seats), seconds),
                    ),
                    Rounding::ProRata => match per_book.iter_mut().find(|(i, _)| *i == index) {
                        Some((_, total)) => *total += seconds,
                        None => per_book.push((index, seconds)),
                    },
                }
            }
            for (index, seconds) in per_book {
                let pricing = &priced.prices.revisions[index].1;
                add_amount(
                    &mut charge.amounts,
                    &pricing.currency,
                    pricing.charge(u64::from(terms.seats), seconds),
                );
            }
        }
        charges.push(charge);
    }

    // The baseline: one 24-hour license per product (licenses sharing a schedule), for the
    // product's peak over the period, every real second of every day.
    let mut totals: Vec<CurrencyTotal> = Vec::new();
    let total_for = |totals: &mut Vec<CurrencyTotal>, currency: &str| -> usize {
        match totals.iter().position(|t| t.currency == currency) {
            Some(i) => i,
            None => {
                totals.push(CurrencyTotal {
                    currency: currency.to_string(),
                    fenced_minor: 0,
                    baseline_minor: 0,
                    savings_minor: 0,
                    savings_basis_points: 0,
                    formulas: Vec::new(),
                });
                totals.len() - 1
            }
        }
    };
    for charge in &charges {
        for amount in &charge.amounts {
            let i = total_for(&mut totals, &amount.currency);
            totals[i].fenced_minor = totals[i].fenced_minor.saturating_add(amount.minor);
        }
    }
    let mut products: Vec<(&PriceSchedule, Vec<&Terms>)> = Vec::new();
    for priced in licenses {
        match products
            .iter_mut()
            .find(|(schedule, _)| std::ptr::eq(*schedule, priced.prices))
        {
            Some((_, group)) => group.push(priced.terms),
            None => products.push((priced.prices, vec![priced.terms])),
        }
    }
    for (schedule, group) in &products {
        let peak = days
            .iter()
            .map(|day| Coverage::of(group.iter().copied(), day).peak())
            .max()
            .unwrap_or(0);
        if peak == 0 {
            continue;
        }
        // Seconds per revision (pro-rata) or charges per day (whole blocks).
        let mut per_book: Vec<(usize, u64, u64)> = Vec::new();
        for day in &days {
            let seconds = u64::from(day.length_seconds());
            let Some(index) = schedule.index_on(day.date) else {
                note_unpriced(&group[0].product);
                continue;
            };
            let pricing = &schedule.revisions[index].1;
            let charge = match pricing.rounding {
                Rounding::WholeBlocks => pricing.charge(peak, seconds),
                Rounding::ProRata => 0,
            };
            match per_book.iter_mut().find(|(i, _, _)| *i == index) {
                Some((_, s, c)) => {
                    *s += seconds;
                    *c = c.saturating_add(charge);
                }
                None => per_book.push((index, seconds, charge)),
            }
        }
        for (index, seconds, block_charges) in per_book {
            let pricing = &schedule.revisions[index].1;
            let minor = match pricing.rounding {
                Rounding::ProRata => pricing.charge(peak, seconds),
                Rounding::WholeBlocks => block_charges,
            };
            let i = total_for(&mut totals, &pricing.currency);
            totals[i].baseline_minor = totals[i].baseline_minor.saturating_add(minor);
            totals[i]
                .formulas
                .push(formula(peak, seconds, pricing, minor));
        }
    }
    for t in &mut totals {
        t.savings_minor = t.baseline_minor as i64 - t.fenced_minor as i64;
        t.savings_basis_points = if t.baseline_minor == 0 {
            0
        } else {
            t.savings_minor * 10_000 / t.baseline_minor as i64
        };
    }
    totals.sort_by(|a, b| a.currency.cmp(&b.currency));
    let peak_seats = days
        .iter()
        .map(|day| Coverage::of(licenses.iter().map(|p| p.terms), day).peak())
        .max()
        .unwrap_or(0);
    ScheduleCost {
        licenses: charges,
        totals,
        peak_seats,
        period_seconds: days.iter().map(|d| u64::from(d.length_seconds())).sum(),
        unpriced_products: unpriced,
        any_open,
    }
}

/// "1 seat", "200 seats": the count with the word in its right number.
///
/// ```
/// assert_eq!(timefence_terms::seats_text(1), "1 seat");
/// assert_eq!(timefence_terms::seats_text(0), "0 seats");
/// ```
pub fn seats_text(seats: u64) -> String {
    if seats == 1 {
        "1 seat".to_string()
    } else {
        format!("{seats} seats")
    }
}

/// "200 seats × 24 h / 8 h × $5.00 = $3,000.00".
fn formula(seats: u64, seconds: u64, pricing: &Pricing, minor: u64) -> String {
    let hours_text = if seconds.is_multiple_of(3600) {
        format!("{}", seconds / 3600)
    } else {
        format!("{:.2}", seconds as f64 / 3600.0)
    };
    let seats_text = seats_text(seats);
    format!(
        "{seats_text} × {hours_text} h / {} h × {} = {}",
        pricing.block_hours,
        format_money(pricing.price_minor as i64, &pricing.currency),
        format_money(minor as i64, &pricing.currency)
    )
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
    let schedule = PriceSchedule::always(pricing.clone());
    let priced: Vec<Priced<'_>> = licenses
        .iter()
        .map(|terms| Priced {
            terms,
            prices: &schedule,
        })
        .collect();
    let cost = schedule_cost(&priced, zone, from, to);
    let total = cost.totals.first();
    CostPreview {
        from,
        to,
        licenses: cost
            .licenses
            .iter()
            .map(|c| LicenseCost {
                seats: c.seats,
                occurrences: c.occurrences,
                billable_seconds: c.billable_seconds,
                amount_minor: c.amounts.first().map_or(0, |a| a.minor),
            })
            .collect(),
        fenced_minor: total.map_or(0, |t| t.fenced_minor),
        peak_seats: cost.peak_seats,
        period_seconds: cost.period_seconds,
        baseline_minor: total.map_or(0, |t| t.baseline_minor),
        savings_minor: total.map_or(0, |t| t.savings_minor),
        savings_basis_points: total.map_or(0, |t| t.savings_basis_points),
    }
}

/// ISO 4217 codes in use and the digits of their minor unit (USD 2: cents; JPY 0; KWD 3).
/// A price book's currency must be one of these.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// The digits of `currency`'s minor unit (2 for USD, 0 for JPY, 3 for KWD), or `None` when
/// it is not an ISO 4217 code in use. Case-insensitive.
pub fn currency_digits(currency: &str) -> Option<u8> {
    let code = currency.trim().to_ascii_uppercase();
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(code.as_str()))
        .ok()
        .map(|i| CURRENCIES[i].1)
}

/// A count as an administrator reads it, its thousands grouped: `2,450`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// Money as an administrator reads it: `$3,000.00` for USD, `EUR 1,750.00`, `JPY 1,200` or
/// `KWD 1.250` otherwise, with as many decimals as the currency's minor unit has.
pub fn format_money(minor: i64, currency: &str) -> String {
    let digits = u32::from(currency_digits(currency).unwrap_or(2));
    let unit = 10u64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let grouped = format_count(minor / unit);
    let prefix = if currency.eq_ignore_ascii_case("USD") {
        "$".to_string()
    } else {
        format!("{} ", currency.to_ascii_uppercase())
    };
    if digits == 0 {
        format!("{sign}{prefix}{grouped}")
    } else {
        format!(
            "{sign}{prefix}{grouped}.{:0width$}",
            minor % unit,
            width = digits as usize
        )
    }
}

/// Reads an amount typed the way [`format_money`] writes it ("5", "5.00", "1,250.5") into
/// minor units of `currency`; `None` when it is not such an amount, is negative, has more
/// decimals than the currency, or does not fit.
pub fn parse_money(text: &str, currency: &str) -> Option<u64> {
    let digits = u32::from(currency_digits(currency)?);
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > digits as usize
        || whole.len() > 15
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction_value: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u64>().ok()? * 10u64.pow(digits - fraction.len() as u32)
    };
    whole
        .checked_mul(10u64.pow(digits))?
        .checked_add(fraction_value)
}

/// The baseline's arithmetic in words for one day: "200 seats × 24 h / 8 h × $5.00 = $3,000.00".
pub fn baseline_formula(preview: &CostPreview, pricing: &Pricing) -> String {
    formula(
        preview.peak_seats,
        preview.period_seconds,
        pricing,
        preview.baseline_minor,
    )
}
