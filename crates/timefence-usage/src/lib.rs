//! # timefence-usage: actual use beside the licensed windows
//!
//! A customer's Timefence Relay writes signed usage reports (`timefence-relay report`): per
//! license and quarter-hour, the peak seats held and the seat-seconds used, and the refusals
//! by reason. This crate brings them back to the administrator:
//!
//! - [`import`] checks a report's chain (one of the catalogue's signing keys → the relay's
//!   certificate → the report), finds the customer the certificate names, and keeps it in the
//!   catalogue, which refuses a period already imported.
//! - [`license_use`] sets each license's use against what it licenses over the reports' days:
//!   seat-hours used against seat-hours licensed, the peak against its seats, quarter-hours
//!   licensed but never used, distinct holders and refusals.
//! - [`suggestions`] turns that into right-sizing, each priced by the engine with the product's
//!   price book: fewer seats where the peak stays well below them, more where the seat cap
//!   turned users away, a window extended over refusals at its edges, or shortened where its
//!   first or last hours are never used, or given a daily limit where each day's use spans
//!   fewer hours than its window at varying times.
//! - [`day_profiles`] folds each license's use onto the wall-clock day the timeline shows
//!   (peak and 95th percentile per quarter-hour, refusals where they met an edge or the cap),
//!   and [`portfolio`] sets actual against licensed across customers for the Forecast.
//!
//! Reports name licenses `<signing key id>-<uid>`; a license is matched by its uid, which it
//! keeps across revisions, so a report spanning an edit still lands on the license.
#![deny(missing_docs)]

mod profile;
pub use profile::{
    day_profiles, fold, portfolio, CustomerUse, DayProfile, DayQuarter, Portfolio, RefusalsAt,
    WallQuarters, QUARTERS_PER_DAY,
};

use std::collections::BTreeMap;
use timefence_catalogue::{
    Catalogue, CatalogueError, CustomerId, License, LicenseId, NewUsageReport,
};
use timefence_license::usage::{read_report, ReportError, ReportPayload, QUARTER_SECONDS};
use timefence_terms::chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use timefence_terms::{schedule_cost, Amount, PriceSchedule, Priced, Terms};

/// Why a report cannot be imported or read. Nothing is changed.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The report did not verify (tampered, an uncertified relay, another vendor's key, ...).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The report's last day has not ended yet: the day would be imported half-counted and
    /// could never be imported again.
    #[error("the report runs to {to}, a day that has not ended (today is {today}); ask for a report up to {latest}")]
    NotEnded {
        /// The report's last day.
        to: String,
        /// Today (UTC).
        today: NaiveDate,
        /// The latest last day a report may have today.
        latest: NaiveDate,
    },
    /// The relay's certificate was withdrawn, or had ended before the report's last day did.
    #[error("the report's relay certificate {0}; the vendor certifies the relay again")]
    CertificateNotInForce(String),
    /// The report is for a customer this catalogue does not have.
    #[error("the report is for \"{0}\", who is not a customer in this catalogue")]
    UnknownCustomer(String),
    /// The catalogue refused (a period already imported, storage).
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

impl UsageError {
    /// The reason's name, for programs and the window to branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            UsageError::Report(e) => match e {
                ReportError::Malformed => "Malformed",
                ReportError::Certificate(_) => "UncertifiedRelay",
                ReportError::BadSignature => "BadSignature",
                ReportError::NotCovered(_) => "NotCovered",
            },
            UsageError::UnknownCustomer(_) => "UnknownCustomer",
            UsageError::NotEnded { .. } => "NotEnded",
            UsageError::CertificateNotInForce(_) => "CertificateNotInForce",
            UsageError::Catalogue(CatalogueError::UsageAlreadyImported { .. }) => "AlreadyImported",
            UsageError::Catalogue(_) => "Catalogue",
        }
    }
}

/// What an import kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    /// The report's row.
    pub report_id: i64,
    /// Its customer.
    pub customer_id: CustomerId,
    /// Its customer's name.
    pub customer: String,
    /// Its first day.
    pub from: String,
    /// Its last day, inclusive.
    pub to: String,
    /// How many licenses it reports on.
    pub licenses: usize,
}

/// Today in UTC, the day reports are judged against: the system clock's, or for tests the
/// date in `TIMEFENCE_TODAY` (YYYY-MM-DD), so a test's reports need not depend on the calendar.
pub fn today_utc() -> NaiveDate {
    std::env::var("TIMEFENCE_TODAY")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| Utc::now().date_naive())
}

/// Checks a report and keeps it for its customer ([`import_on`] on [`today_utc`]).
pub fn import(catalogue: &mut Catalogue, text: &str) -> Result<Imported, UsageError> {
    import_on(catalogue, text, today_utc())
}

/// Checks a report and keeps it for its customer, `today` being the UTC date now: a report
/// whose last day has not ended is refused, as the relay refuses to write one.
pub fn import_on(
    catalogue: &mut Catalogue,
    text: &str,
    today: NaiveDate,
) -> Result<Imported, UsageError> {
    let report = read_report(text, &timefence_signing::catalogue_keys(catalogue)?)?;
    let last: Option<NaiveDate> = report.payload.to.parse().ok();
    let Some(last) = last.filter(|last| *last < today) else {
        return Err(UsageError::NotEnded {
            to: report.payload.to.clone(),
            today,
            latest: today.pred_opt().unwrap_or(today),
        });
    };
    // The certificate must vouch for every day reported, and not have been withdrawn.
    let certificate = &report.certificate.payload;
    if let Some(when) =
        catalogue.certificate_withdrawn(&certificate.relay_key, &certificate.issued_at)?
    {
        return Err(UsageError::CertificateNotInForce(format!(
            "was withdrawn at {when}"
        )));
    }
    let last_instant = last
        .succ_opt()
        .unwrap_or(last)
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
        - 1;
    if report.certificate.in_force(last_instant).is_err() {
        return Err(UsageError::CertificateNotInForce(format!(
            "ended at {}, before the report's last day did",
            certificate.not_after.as_deref().unwrap_or_default()
        )));
    }
    // The customer by its uid (a rename changes nothing); reports of certificates made
    // before customers had uids, by name.
    let customer = report.payload.customer.clone();
    let found = catalogue
        .list_customers()?
        .into_iter()
        .find(|c| match &report.payload.customer_uid {
            Some(uid) => &c.uid == uid,
            None => c.name == customer,
        })
        .ok_or_else(|| UsageError::UnknownCustomer(customer.clone()))?;
    let customer = found.name.clone();
    let mut kept = report.payload.clone();
    let packed = pack(&mut kept);
    let payload =
        serde_json::to_string(&kept).map_err(|e| CatalogueError::Damaged(e.to_string()))?;
    let report_id = catalogue.add_usage_report(&NewUsageReport {
        customer_id: found.id,
        relay_key: report.certificate.payload.relay_key.clone(),
        from: report.payload.from.clone(),
        to: report.payload.to.clone(),
        payload,
        packed: Some(packed),
    })?;
    Ok(Imported {
        report_id,
        customer_id: found.id,
        customer,
        from: report.payload.from,
        to: report.payload.to,
        licenses: report.payload.licenses.len(),
    })
}

/// Bytes of one packed quarter-hour: start (i64), peak (u32), seat-seconds (i64).
const PACKED_QUARTER: usize = 20;

/// Moves the payload's quarter-hours into bytes (catalogue migration 0007 gives the layout):
/// a year of a customer's use reads back in a millisecond instead of a JSON parse.
pub fn pack(payload: &mut ReportPayload) -> Vec<u8> {
    let total: usize = payload.licenses.iter().map(|l| l.quarters.len()).sum();
    let mut bytes = Vec::with_capacity(total * PACKED_QUARTER + payload.licenses.len() * 4);
    for license in &mut payload.licenses {
        let quarters = std::mem::take(&mut license.quarters);
        bytes.extend_from_slice(&(quarters.len() as u32).to_le_bytes());
        for q in quarters {
            bytes.extend_from_slice(&q.start.to_le_bytes());
            bytes.extend_from_slice(&q.peak.to_le_bytes());
            bytes.extend_from_slice(&q.seat_seconds.to_le_bytes());
        }
    }
    bytes
}

/// Puts packed quarter-hours back into the payload they were taken from.
pub fn unpack(payload: &mut ReportPayload, bytes: &[u8]) -> Result<(), CatalogueError> {
    let damaged = || CatalogueError::Damaged("a usage report's packed quarter-hours".into());
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8], CatalogueError> {
        if rest.len() < n {
            return Err(damaged());
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    for license in &mut payload.licenses {
        let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| damaged())?) as usize;
        let block = take(count.checked_mul(PACKED_QUARTER).ok_or_else(damaged)?)?;
        license.quarters = block
            .chunks_exact(PACKED_QUARTER)
            .map(|c| {
                let (start, rest) = c.split_at(8);
                let (peak, seat_seconds) = rest.split_at(4);
                timefence_license::usage::Quarter {
                    start: i64::from_le_bytes(start.try_into().unwrap_or_default()),
                    peak: u32::from_le_bytes(peak.try_into().unwrap_or_default()),
                    seat_seconds: i64::from_le_bytes(seat_seconds.try_into().unwrap_or_default()),
                }
            })
            .collect();
    }
    // Bytes left over mean the row and its payload do not belong together.
    if !rest.is_empty() {
        return Err(damaged());
    }
    Ok(())
}

/// One quarter-hour of use, merged over the imported reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarterUse {
    /// Its start, seconds since 1970 (UTC, on the quarter).
    pub start: i64,
    /// The most seats held at once.
    pub peak: u32,
    /// Seat-seconds used.
    pub seat_seconds: i64,
}

/// One license's use against what it licenses, over the days its customer's reports cover.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LicenseUse {
    /// The license.
    pub license_id: LicenseId,
    /// Its name.
    pub name: String,
    /// Its uid, as reports name it.
    pub uid: String,
    /// Its seats.
    pub seats: u32,
    /// Whether any report names the license (a relay reports every license it served with
    /// use or refusals; one it never names is left out of views rather than shown as unused,
    /// since another relay may serve it).
    pub reported: bool,
    /// Days the reports cover.
    pub days: u32,
    /// Seat-seconds the license allowed over those days (seats × each occurrence, or its daily
    /// limit when shorter).
    pub licensed_seat_seconds: i64,
    /// Seat-seconds used.
    pub used_seat_seconds: i64,
    /// Used against licensed, in basis points (10,000 = all of it).
    pub utilisation_basis_points: i64,
    /// The most seats held at once.
    pub peak: u32,
    /// Quarter-hours the window was open.
    pub licensed_quarters: u32,
    /// Of those, the ones never used.
    pub unused_quarters: u32,
    /// Distinct holders (the most any one report saw: holders are not named in reports, so
    /// two reports' holders cannot be told apart).
    pub distinct_holders: u32,
    /// Refusals by reason.
    pub refusals: BTreeMap<String, u32>,
    /// Quarter-hours with use, in order.
    pub quarters: Vec<QuarterUse>,
    /// Refusals per quarter-hour start and reason (requests).
    pub refused: BTreeMap<(i64, String), u32>,
    /// The distinct holders behind them per quarter-hour start and reason (people); the
    /// requests where a report does not count holders.
    pub turned_away: BTreeMap<(i64, String), u32>,
    /// Renewals refused (leases ending at a close, a spent budget or lowered seats): not
    /// claims, so not in `refused`.
    pub renewals_refused: u32,
    /// The starts of the quarter-hours the window was open, in order (the samples of the
    /// time-of-day profile: an open quarter-hour nobody used counts as 0 seats).
    #[serde(skip)]
    pub open_quarters: Vec<i64>,
}

fn day_start(date: &str) -> Option<DateTime<Utc>> {
    let date: NaiveDate = date.parse().ok()?;
    Some(date.and_time(NaiveTime::MIN).and_utc())
}

/// A report's payload with the [start, end) of its days in UTC.
type Period = (ReportPayload, DateTime<Utc>, DateTime<Utc>);

/// The reports of a customer, with their periods.
fn reports(catalogue: &Catalogue, customer: CustomerId) -> Result<Vec<Period>, UsageError> {
    let mut out = Vec::new();
    for stored in catalogue.usage_reports(customer)? {
        // Stored only after verifying; a row that no longer reads is damage, not input.
        let mut payload: ReportPayload = serde_json::from_str(&stored.report.payload)
            .map_err(|e| CatalogueError::Damaged(format!("usage report {}: {e}", stored.id)))?;
        if let Some(packed) = &stored.report.packed {
            unpack(&mut payload, packed)?;
        }
        let (Some(start), Some(end)) = (day_start(&payload.from), day_start(&payload.to)) else {
            return Err(CatalogueError::Damaged(format!(
                "usage report {} has bad dates",
                stored.id
            ))
            .into());
        };
        out.push((
            payload,
            start,
            end + timefence_terms::chrono::TimeDelta::days(1),
        ));
    }
    Ok(out)
}

/// Each current license of `customer` against the use its reports show.
pub fn license_use(
    catalogue: &Catalogue,
    customer: CustomerId,
) -> Result<Vec<LicenseUse>, UsageError> {
    let reports = reports(catalogue, customer)?;
    let licenses = catalogue.licenses_of(customer)?;
    Ok(licenses
        .iter()
        .map(|license| use_of(license, &reports))
        .collect())
}

fn use_of(license: &License, reports: &[Period]) -> LicenseUse {
    let terms = &license.terms;
    let suffix = format!("-{}", license.uid);
    // Sorted vectors rather than maps: a year of one license is 35,000 quarter-hours, and the
    // Forecast reads every license's.
    let mut quarters: Vec<QuarterUse> = Vec::new();
    let mut refused: BTreeMap<(i64, String), u32> = BTreeMap::new();
    let mut turned_away: BTreeMap<(i64, String), u32> = BTreeMap::new();
    let mut renewals_refused = 0u32;
    let mut open_quarters: Vec<i64> = Vec::new();
    let (mut licensed, mut days, mut holders) = (0i64, 0u32, 0u32);
    let mut reported = false;
    for (payload, start, end) in reports {
        days += u32::try_from((*end - *start).num_days()).unwrap_or(0);
        for occurrence in terms.occurrences(*start, *end) {
            let (opens, closes) = (occurrence.opens.max(*start), occurrence.closes.min(*end));
            let inside = (closes - opens).num_seconds().max(0);
            let billed = terms
                .daily_limit
                .map_or(inside, |l| inside.min(l.num_seconds()));
            licensed += billed * i64::from(terms.seats);
            let mut q = opens.timestamp().div_euclid(QUARTER_SECONDS) * QUARTER_SECONDS;
            while q < closes.timestamp() {
                open_quarters.push(q);
                q += QUARTER_SECONDS;
            }
        }
        for usage in payload
            .licenses
            .iter()
            .filter(|u| u.license.ends_with(&suffix))
        {
            reported = true;
            holders = holders.max(usage.distinct_holders);
            quarters.extend(usage.quarters.iter().map(|q| QuarterUse {
                start: q.start,
                peak: q.peak,
                seat_seconds: q.seat_seconds,
            }));
            for r in &usage.refusals {
                if r.reason.ends_with(RENEWAL_SUFFIX) {
                    renewals_refused = renewals_refused.saturating_add(r.count);
                    continue;
                }
                let key = (r.start, r.reason.clone());
                *refused.entry(key.clone()).or_default() += r.count;
                // Two relays' reports of one quarter-hour: their people added (a holder who
                // tried both is counted twice, never under-counted).
                *turned_away.entry(key).or_default() += r.holders.unwrap_or(r.count);
            }
        }
    }
    // A quarter-hour named twice is one quarter-hour: the higher peak, the seat-seconds added.
    quarters.sort_by_key(|q| q.start);
    quarters.dedup_by(|later, kept| {
        if later.start != kept.start {
            return false;
        }
        kept.peak = kept.peak.max(later.peak);
        kept.seat_seconds += later.seat_seconds;
        true
    });
    open_quarters.sort_unstable();
    open_quarters.dedup();
    let used: i64 = quarters.iter().map(|q| q.seat_seconds).sum();
    let mut refusals: BTreeMap<String, u32> = BTreeMap::new();
    for ((_, reason), count) in &refused {
        *refusals.entry(reason.clone()).or_default() += count;
    }
    // Open quarter-hours with no use: a walk along both sorted lists.
    let mut unused = 0u32;
    let mut next = quarters.iter().peekable();
    for open in &open_quarters {
        while next.next_if(|q| q.start < *open).is_some() {}
        if next.next_if(|q| q.start == *open).is_none() {
            unused += 1;
        }
    }
    LicenseUse {
        license_id: license.id,
        name: license.name.clone(),
        uid: license.uid.clone(),
        seats: terms.seats,
        reported,
        days,
        licensed_seat_seconds: licensed,
        used_seat_seconds: used,
        utilisation_basis_points: if licensed > 0 {
            used * 10_000 / licensed
        } else {
            0
        },
        peak: quarters.iter().map(|q| q.peak).max().unwrap_or(0),
        licensed_quarters: u32::try_from(open_quarters.len()).unwrap_or(u32::MAX),
        unused_quarters: unused,
        distinct_holders: holders,
        refusals,
        quarters,
        refused,
        turned_away,
        renewals_refused,
        open_quarters,
    }
}

/// What a relay's recorded reason for a refused renewal ends with (`OutsideWindowAtRenewal`).
pub const RENEWAL_SUFFIX: &str = "AtRenewal";

/// The seats `used` shows were wanted at once: in each quarter-hour, the seats held at its
/// peak plus the distinct holders turned away with every seat taken; the most of any
/// quarter-hour. A count of people, so applying it and reading the same reports again asks
/// for no more.
pub fn seats_wanted(used: &LicenseUse) -> u32 {
    let mut wanted = used.peak;
    for ((start, reason), people) in &used.turned_away {
        if reason != "SeatsFull" {
            continue;
        }
        let held = used
            .quarters
            .binary_search_by_key(start, |q| q.start)
            .map_or(0, |i| used.quarters[i].peak);
        wanted = wanted.max(held.saturating_add(*people));
    }
    wanted
}

/// An amount that may be negative (a saving), in one currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units; negative is a saving.
    pub minor: i64,
}

impl Change {
    /// The change as money with its sign: "-$75.00", "+$62.50".
    pub fn text(&self) -> String {
        let sign = if self.minor < 0 { "-" } else { "+" };
        let amount = i64::try_from(self.minor.unsigned_abs()).unwrap_or(i64::MAX);
        format!(
            "{sign}{}",
            timefence_terms::format_money(amount, &self.currency)
        )
    }
}

/// A right-sizing of one license, priced.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// The license.
    pub license_id: LicenseId,
    /// Its name.
    pub name: String,
    /// `FewerSeats`, `MoreSeats`, `ExtendWindow`, `ShortenWindow`, `ShiftWindow` or
    /// `DailyLimit`.
    pub kind: &'static str,
    /// What to do, in a few words: "35 seats", "extend to 09:00", "start at 10:00".
    pub text: String,
    /// Why, from the reports.
    pub why: String,
    /// The license's terms with the change made (a draft revision's terms).
    pub terms: timefence_terms::TermsSpec,
    /// The license's saved edits the suggestion was made from: applied, it is saved from
    /// them, so that an edit saved since (by another member, say) is not overwritten.
    pub edits: u32,
    /// The change in cost for one day the license opens, per currency.
    pub per_day: Vec<Change>,
    /// The change in cost over the license's whole term, per currency.
    pub per_term: Vec<Change>,
    /// The product with no price, when the license's product has none: the change cannot be
    /// priced until one is set (as the cost panel says).
    pub unpriced: Option<String>,
}

/// How much headroom above the peak a smaller seat count keeps (10 %), rounded up to 5 seats.
fn right_sized(peak: u32) -> u32 {
    let with_headroom = (u64::from(peak) * 11).div_ceil(10);
    (with_headroom.div_ceil(5) * 5).max(1) as u32
}

fn minutes(text: &str) -> Option<i64> {
    timefence_terms::WallTime::parse(text).map(|t| i64::from(t.seconds() / 60))
}

fn wall(minutes: i64) -> String {
    let m = minutes.rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Costs of `terms` and `changed` over `from..=to` in the license's zone, and their difference.
fn cost_change(
    terms: &Terms,
    changed: &Terms,
    prices: &PriceSchedule,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Change> {
    let cost = |t: &Terms| {
        schedule_cost(&[Priced { terms: t, prices }], terms.zone, from, to)
            .licenses
            .into_iter()
            .next()
            .map(|c| c.amounts)
            .unwrap_or_default()
    };
    let (before, after): (Vec<Amount>, Vec<Amount>) = (cost(terms), cost(changed));
    let mut currencies: Vec<&str> = before
        .iter()
        .chain(&after)
        .map(|a| a.currency.as_str())
        .collect();
    currencies.sort_unstable();
    currencies.dedup();
    let minor = |list: &[Amount], c: &str| {
        list.iter()
            .find(|a| a.currency == c)
            .map_or(0, |a| a.minor as i64)
    };
    currencies
        .into_iter()
        .map(|c| Change {
            currency: c.to_string(),
            minor: minor(&after, c) - minor(&before, c),
        })
        .collect()
}

/// Right-sizing suggestions for `customer`'s licenses from the reports imported, each priced
/// with its product's price book.
pub fn suggestions(
    catalogue: &Catalogue,
    customer: CustomerId,
) -> Result<Vec<Suggestion>, UsageError> {
    let reports = reports(catalogue, customer)?;
    let prices = catalogue.price_schedules()?;
    let mut out = Vec::new();
    for license in catalogue.licenses_of(customer)? {
        let used = use_of(&license, &reports);
        if !used.reported {
            continue;
        }
        let terms = &license.terms;
        let spec = terms.to_spec();
        let mut propose =
            |kind: &'static str, text: String, why: String, changed: timefence_terms::TermsSpec| {
                let Ok(new_terms) = changed.validate() else {
                    return;
                };
                // A day the license opens (its first in the reports' days), and its whole term.
                let day = reports
                    .iter()
                    .flat_map(|(_, s, e)| terms.occurrences(*s, *e))
                    .map(|o| o.date)
                    .next()
                    .unwrap_or(terms.start_date);
                let price = prices.of(&terms.product);
                let per_term =
                    cost_change(terms, &new_terms, price, terms.start_date, terms.end_date);
                let unpriced = per_term.is_empty().then(|| {
                    if terms.product.trim().is_empty() {
                        "(no product)".to_string()
                    } else {
                        terms.product.clone()
                    }
                });
                out.push(Suggestion {
                    license_id: license.id,
                    name: license.name.clone(),
                    kind,
                    text,
                    why,
                    per_day: cost_change(terms, &new_terms, price, day, day),
                    per_term,
                    unpriced,
                    terms: changed,
                    edits: license.edits,
                });
            };
        // Seats from people: the most wanted at once (held plus turned away), not the
        // retries; so a suggestion applied and the same reports read again suggest no more.
        let wanted = seats_wanted(&used);
        if wanted > terms.seats {
            let people: u32 = used
                .turned_away
                .iter()
                .filter(|((_, r), _)| r == "SeatsFull")
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(0);
            let mut changed = spec.clone();
            changed.seats = i64::from(wanted);
            propose(
                "MoreSeats",
                timefence_terms::seats_text(u64::from(wanted)),
                format!(
                    "up to {wanted} wanted a seat at once ({} turned away with every seat taken)",
                    match people {
                        1 => "1 person".to_string(),
                        n => format!("{n} people"),
                    }
                ),
                changed,
            );
        } else if used.peak > 0 && right_sized(wanted) < terms.seats {
            let seats = right_sized(wanted);
            let mut changed = spec.clone();
            changed.seats = i64::from(seats);
            propose(
                "FewerSeats",
                timefence_terms::seats_text(u64::from(seats)),
                format!("at most {} of {} in use at once", used.peak, terms.seats),
                changed,
            );
        }
        let extend = extended(&license, &used, &reports);
        let shorten = shortened(&license, &used, &reports);
        if let Some((spec, text, why)) = shifted(&spec, extend.as_ref(), shorten.as_ref()) {
            propose("ShiftWindow", text, why, spec);
        } else if let Some(changed) = extend {
            let (text, why) = changed.1;
            propose("ExtendWindow", text, why, changed.0);
        } else if let Some((changed, text, why)) = shorten {
            propose("ShortenWindow", text, why, changed);
        } else if let Some((changed, text, why)) = limited(&license, &used, &reports) {
            propose("DailyLimit", text, why, changed);
        }
    }
    Ok(out)
}

type Reports = [Period];

/// The window moved over OutsideWindow refusals in the two hours either side of it, to whole
/// hours.
fn extended(
    license: &License,
    used: &LicenseUse,
    reports: &Reports,
) -> Option<(timefence_terms::TermsSpec, (String, String))> {
    let terms = &license.terms;
    if terms.window.is_whole_day() {
        return None;
    }
    let occurrences: Vec<_> = reports
        .iter()
        .flat_map(|(_, s, e)| {
            let margin = timefence_terms::chrono::TimeDelta::hours(3);
            terms.occurrences(*s - margin, *e + margin)
        })
        .collect();
    let (mut after, mut before, mut count) = (0i64, 0i64, 0u32);
    for ((start, reason), n) in &used.refused {
        if reason != "OutsideWindow" {
            continue;
        }
        let (q_start, q_end) = (*start, start + QUARTER_SECONDS);
        for o in &occurrences {
            let (opens, closes) = (o.opens.timestamp(), o.closes.timestamp());
            if q_start >= closes && q_start < closes + 7200 {
                after = after.max(q_end - closes);
                count += n;
            } else if q_end <= opens && q_end > opens - 7200 {
                before = before.max(opens - q_start);
                count += n;
            }
        }
    }
    if after == 0 && before == 0 {
        return None;
    }
    let hours = |seconds: i64| (seconds + 3599) / 3600 * 60;
    let mut spec = terms.to_spec();
    let start = minutes(&spec.daily_start_time)?;
    let end = minutes(&spec.daily_end_time)?;
    let (new_start, new_end) = (start - hours(before), end + hours(after));
    let length = (new_end - new_start).rem_euclid(24 * 60);
    if length == 0 || new_end - new_start >= 24 * 60 {
        return None;
    }
    spec.daily_start_time = wall(new_start);
    spec.daily_end_time = if new_end.rem_euclid(24 * 60) == 0 && new_end > 0 {
        "24:00".into()
    } else {
        wall(new_end)
    };
    let text = match (before > 0, after > 0) {
        (true, true) => format!("open {}-{}", spec.daily_start_time, spec.daily_end_time),
        (true, false) => format!("start at {}", spec.daily_start_time),
        _ => format!("extend to {}", spec.daily_end_time),
    };
    Some((
        spec,
        (text, format!("{count} claims came just outside the window")),
    ))
}

/// The window trimmed of whole hours at its start or end that no occurrence ever used.
fn shortened(
    license: &License,
    used: &LicenseUse,
    reports: &Reports,
) -> Option<(timefence_terms::TermsSpec, String, String)> {
    let terms = &license.terms;
    if used.quarters.is_empty() || terms.window.is_whole_day() {
        return None;
    }
    let (mut lead, mut trail) = (i64::MAX, i64::MAX);
    for (_, s, e) in reports {
        for o in terms.occurrences(*s, *e) {
            let (opens, closes) = (o.opens.timestamp(), o.closes.timestamp());
            let inside: Vec<&QuarterUse> = used
                .quarters
                .iter()
                .filter(|q| q.start + QUARTER_SECONDS > opens && q.start < closes)
                .collect();
            let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
                continue;
            };
            lead = lead.min(first.start - opens);
            trail = trail.min(closes - (last.start + QUARTER_SECONDS));
        }
    }
    let whole_hours = |seconds: i64| {
        if seconds == i64::MAX {
            0
        } else {
            seconds.max(0) / 3600 * 60
        }
    };
    let (cut_start, cut_end) = (whole_hours(lead), whole_hours(trail));
    if cut_start == 0 && cut_end == 0 {
        return None;
    }
    let mut spec = terms.to_spec();
    let start = minutes(&spec.daily_start_time)? + cut_start;
    let end = minutes(&spec.daily_end_time)? - cut_end;
    spec.daily_start_time = wall(start);
    spec.daily_end_time = if end.rem_euclid(24 * 60) == 0 && end > 0 {
        "24:00".into()
    } else {
        wall(end)
    };
    let text = format!("open {}-{}", spec.daily_start_time, spec.daily_end_time);
    let hours = |minutes: i64| match minutes / 60 {
        1 => "hour".to_string(),
        n => format!("{n} hours"),
    };
    let why = match (cut_start, cut_end) {
        (s, 0) => format!("nobody used the window's first {}", hours(s)),
        (0, e) => format!("nobody used the window's last {}", hours(e)),
        (s, e) => format!(
            "nobody used the window's first {} or last {}",
            hours(s),
            hours(e)
        ),
    };
    Some((spec, text, why))
}

/// A daily limit where each day's use spans whole hours fewer than the window (or the limit it
/// has), at times that vary so that no shorter window would do. The limit is the longest span
/// of any day, from its first used quarter-hour to its last, in whole hours: no holder can have
/// used more than that span, so the limit cuts nobody off, and the relay's budget (seats × the
/// limit) holds each day's seat-seconds, which never exceed the seats times the span.
fn limited(
    license: &License,
    used: &LicenseUse,
    reports: &Reports,
) -> Option<(timefence_terms::TermsSpec, String, String)> {
    let terms = &license.terms;
    if used.quarters.is_empty() || used.refusals.contains_key("ConsumptionExhausted") {
        return None;
    }
    let mut longest = 0i64;
    for (_, s, e) in reports {
        for o in terms.occurrences(*s, *e) {
            let (opens, closes) = (o.opens.timestamp(), o.closes.timestamp());
            let start = used
                .quarters
                .partition_point(|q| q.start + QUARTER_SECONDS <= opens);
            let inside = used.quarters[start..]
                .iter()
                .take_while(|q| q.start < closes)
                .filter(|q| q.seat_seconds > 0 || q.peak > 0);
            let (mut first, mut last) = (None, None);
            for q in inside {
                first.get_or_insert(q.start.max(opens));
                last = Some((q.start + QUARTER_SECONDS).min(closes));
            }
            if let (Some(first), Some(last)) = (first, last) {
                longest = longest.max(last - first);
            }
        }
    }
    if longest == 0 {
        return None;
    }
    let hours = (longest + 3599) / 3600;
    let allowed = terms
        .daily_limit
        .map_or(i64::from(terms.window.nominal_length_seconds()), |l| {
            l.num_seconds()
                .min(i64::from(terms.window.nominal_length_seconds()))
        });
    if hours * 3600 + 3600 > allowed {
        return None;
    }
    let mut spec = terms.to_spec();
    spec.daily_time_consumption_limit = Some(format!("{hours}h"));
    let hours_text = |n: i64| match n {
        1 => "1 hour".to_string(),
        n => format!("{n} hours"),
    };
    Some((
        spec,
        format!("limit to {} a day", hours_text(hours)),
        format!(
            "no day's use spanned more than {} of the {}-hour window",
            hours_text(hours),
            allowed / 3600
        ),
    ))
}

/// A window moved rather than grown: claims turned away at one edge while the other edge's
/// hours went unused. The extension at one side and the trim at the other make one change
/// ("move to 09:00-17:00"), priced as one.
fn shifted(
    spec: &timefence_terms::TermsSpec,
    extend: Option<&(timefence_terms::TermsSpec, (String, String))>,
    shorten: Option<&(timefence_terms::TermsSpec, String, String)>,
) -> Option<(timefence_terms::TermsSpec, String, String)> {
    let ((grown, (_, refused)), (trimmed, _, unused)) = (extend?, shorten?);
    let starts_later = trimmed.daily_start_time != spec.daily_start_time;
    let ends_later = grown.daily_end_time != spec.daily_end_time;
    let starts_earlier = grown.daily_start_time != spec.daily_start_time;
    let ends_earlier = trimmed.daily_end_time != spec.daily_end_time;
    let mut moved = spec.clone();
    if ends_later && starts_later && !starts_earlier && !ends_earlier {
        moved.daily_start_time = trimmed.daily_start_time.clone();
        moved.daily_end_time = grown.daily_end_time.clone();
    } else if starts_earlier && ends_earlier && !ends_later && !starts_later {
        moved.daily_start_time = grown.daily_start_time.clone();
        moved.daily_end_time = trimmed.daily_end_time.clone();
    } else {
        return None;
    }
    Some((
        moved.clone(),
        format!(
            "move to {}-{}",
            moved.daily_start_time, moved.daily_end_time
        ),
        format!("{refused}, and {unused}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use timefence_license::usage::{LicenseUsage, Quarter};

    fn payload() -> ReportPayload {
        let license = |n: i64| LicenseUsage {
            license: format!("k-{n}"),
            distinct_holders: 3,
            quarters: (0..n)
                .map(|i| Quarter {
                    start: 1_700_000_100 + i * 900 - n,
                    peak: (i * 7) as u32,
                    seat_seconds: -i * 100_000_000_000,
                })
                .collect(),
            refusals: vec![],
        };
        ReportPayload {
            customer: "c".into(),
            customer_uid: None,
            from: "2024-01-01".into(),
            to: "2024-01-01".into(),
            generated_at: "2024-01-02T00:00:00Z".into(),
            licenses: vec![license(3), license(0), license(40)],
        }
    }

    #[test]
    fn packed_quarters_unpack_to_the_same_payload() {
        let original = payload();
        let mut kept = original.clone();
        let bytes = pack(&mut kept);
        assert_eq!(bytes.len(), 3 * 4 + 43 * PACKED_QUARTER);
        assert!(kept.licenses.iter().all(|l| l.quarters.is_empty()));
        unpack(&mut kept, &bytes).unwrap();
        assert_eq!(kept, original);
    }

    #[test]
    fn damaged_packing_is_a_typed_error() {
        let mut kept = payload();
        let bytes = pack(&mut kept);
        for bad in [
            &bytes[..bytes.len() - 1],
            &bytes[..5],
            &[][..],
            &[bytes.as_slice(), &[0]].concat()[..],
        ] {
            let mut again = kept.clone();
            assert!(matches!(
                unpack(&mut again, bad),
                Err(CatalogueError::Damaged(_))
            ));
        }
        // A count that claims more than any memory could hold.
        let mut huge = kept.clone();
        assert!(unpack(&mut huge, &[0xff; 24]).is_err());
    }
}
