//! Usage reports in the window: import one, see each license's use beside what it licenses,
//! and the priced right-sizing suggestions (applied through `edit_license`, so undo and
//! revisions work as for any edit). The rules are `timefence-usage`'s; this maps them.

use crate::error::AppError;
use crate::views::{DayChoice, LicenseEdit};
use crate::AppState;
use serde::Serialize;
use std::path::Path;
use timefence_usage::{Change, UsageError};

/// What an import kept.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UsageImported {
    /// The report's id, to withdraw it.
    pub report_id: i64,
    /// The customer it is for.
    pub customer_id: i64,
    /// The notice: "Imported the usage of Acme BPO from 03/01/2027 to 03/31/2027 (3 licenses)".
    pub customer: String,
    /// Its first day, YYYY-MM-DD.
    pub from: String,
    /// Its last day, YYYY-MM-DD.
    pub to: String,
    /// Licenses it reports on.
    pub licenses: u32,
}

/// One license's use, as the Usage panel shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LicenseUseView {
    /// The license.
    pub license_id: i64,
    /// Its name.
    pub name: String,
    /// Days covered by the reports.
    pub days: u32,
    /// Its seats.
    pub seats: u32,
    /// The most seats held at once.
    pub peak: u32,
    /// Used against licensed seat-hours, in basis points.
    pub utilisation_basis_points: i64,
    /// Seat-hours used, whole hours.
    pub used_seat_hours: i64,
    /// Seat-hours licensed, whole hours.
    pub licensed_seat_hours: i64,
    /// Quarter-hours open but never used.
    pub unused_quarters: u32,
    /// Quarter-hours open.
    pub licensed_quarters: u32,
    /// Distinct holders.
    pub distinct_holders: u32,
    /// Refusals, "SeatsFull 3" style pairs.
    pub refusals: Vec<(String, u32)>,
}

/// A right-sizing suggestion, priced.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SuggestionView {
    /// The license.
    pub license_id: i64,
    /// Its name.
    pub name: String,
    /// `FewerSeats`, `MoreSeats`, `ExtendWindow` or `ShortenWindow`.
    pub kind: String,
    /// "35 seats", "extend to 09:00".
    pub text: String,
    /// Why.
    pub why: String,
    /// The change per day, "-$75.00" (one per currency).
    pub per_day: Vec<String>,
    /// The change over the term.
    pub per_term: Vec<String>,
    /// The product without a price, when the change cannot be priced.
    pub unpriced: Option<String>,
    /// The license's form with the change made: what Apply saves.
    pub edit: LicenseEdit,
    /// The license's saved edits the suggestion was made from, which Apply saves from.
    pub edits: u32,
}

impl From<UsageError> for AppError {
    fn from(error: UsageError) -> AppError {
        match error {
            UsageError::Catalogue(e) => e.into(),
            other => AppError::UsageRefused {
                reason: other.kind().to_string(),
                message: other.to_string(),
            },
        }
    }
}

fn signed(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::text).collect()
}

/// Imports the report at `path`.
pub fn import(state: &AppState, path: &Path) -> Result<UsageImported, AppError> {
    let size = std::fs::metadata(path)
        .map_err(|e| AppError::NotFound(format!("{}: {e}", path.display())))?
        .len();
    if size > timefence_license::usage::MAX_REPORT_BYTES as u64 {
        return Err(AppError::UsageRefused {
            reason: "Malformed".into(),
            message: format!("{} is larger than any usage report", path.display()),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| AppError::UsageRefused {
        reason: "Malformed".into(),
        message: format!("{}: {e}", path.display()),
    })?;
    let imported = state.with_catalogue(|c| Ok(timefence_usage::import(c, &text)?))?;
    Ok(UsageImported {
        report_id: imported.report_id,
        customer_id: imported.customer_id,
        customer: imported.customer,
        from: imported.from,
        to: imported.to,
        licenses: u32::try_from(imported.licenses).unwrap_or(u32::MAX),
    })
}

/// A usage report kept for a customer, as the Usage panel lists it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UsageReportView {
    /// Its id, to withdraw it.
    pub report_id: i64,
    /// Its first day, YYYY-MM-DD.
    pub from: String,
    /// Its last day, YYYY-MM-DD.
    pub to: String,
    /// The relay that wrote it: its key id.
    pub relay: String,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
}

/// The reports kept for `customer`, oldest period first.
pub fn reports(state: &AppState, customer: i64) -> Result<Vec<UsageReportView>, AppError> {
    let kept = state.with_catalogue(|c| Ok(c.usage_reports(customer)?))?;
    Ok(kept
        .into_iter()
        .map(|r| UsageReportView {
            report_id: r.id,
            relay: timefence_license::relay::relay_key_id(&r.report.relay_key),
            from: r.report.from,
            to: r.report.to,
            imported_at: r.imported_at,
        })
        .collect())
}

/// Withdraws report `report_id`: its days count no more; [`restore`] brings it back.
pub fn withdraw(state: &AppState, report_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.withdraw_usage_report(report_id)?))
}

/// Brings withdrawn report `report_id` back.
pub fn restore(state: &AppState, report_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.restore_usage_report(report_id)?))
}

/// Each license of `customer` against its use.
pub fn license_use(state: &AppState, customer: i64) -> Result<Vec<LicenseUseView>, AppError> {
    let used = state.with_catalogue(|c| Ok(timefence_usage::license_use(c, customer)?))?;
    Ok(used
        .into_iter()
        .filter(|u| u.reported)
        .map(|u| LicenseUseView {
            license_id: u.license_id,
            name: u.name,
            days: u.days,
            seats: u.seats,
            peak: u.peak,
            utilisation_basis_points: u.utilisation_basis_points,
            used_seat_hours: u.used_seat_seconds / 3600,
            licensed_seat_hours: u.licensed_seat_seconds / 3600,
            unused_quarters: u.unused_quarters,
            licensed_quarters: u.licensed_quarters,
            distinct_holders: u.distinct_holders,
            refusals: u.refusals.into_iter().collect(),
        })
        .collect())
}

/// The priced suggestions for `customer`.
pub fn suggestions(state: &AppState, customer: i64) -> Result<Vec<SuggestionView>, AppError> {
    let suggested = state.with_catalogue(|c| Ok(timefence_usage::suggestions(c, customer)?))?;
    suggested
        .into_iter()
        .map(|s| {
            let terms = s.terms.validate()?;
            Ok(SuggestionView {
                license_id: s.license_id,
                kind: s.kind.to_string(),
                text: s.text,
                why: s.why,
                per_day: signed(&s.per_day),
                per_term: signed(&s.per_term),
                unpriced: s.unpriced,
                edit: LicenseEdit::from_terms(&s.name, &terms),
                edits: s.edits,
                name: s.name,
            })
        })
        .collect()
}

/// A quarter-hour of actual use on the day shown, in real seconds from the day's start.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ActualQuarter {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End (exclusive).
    pub to_seconds: u32,
    /// Wall time it starts at, in the display zone.
    pub label: String,
    /// The most seats held then on any reported day.
    pub peak: u32,
    /// The 95th percentile over the days the window was open then.
    pub p95: u32,
}

/// Refusals at one quarter-hour of the day shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RefusalMark {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End (exclusive).
    pub to_seconds: u32,
    /// Wall time it starts at, in the display zone.
    pub label: String,
    /// `SeatsFull`, `OutsideWindow`, `ConsumptionExhausted`, ...
    pub reason: String,
    /// How many, over the reported days.
    pub count: u32,
}

/// One lane's actual use over the reported days, folded onto the day shown.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LaneActual {
    /// The license.
    pub license_id: i64,
    /// Its seats (the scale).
    pub seats: u32,
    /// Days reported.
    pub days: u32,
    /// Quarter-hours the window was open or used.
    pub quarters: Vec<ActualQuarter>,
    /// Where claims were refused.
    pub refusals: Vec<RefusalMark>,
}

/// Each reported license of `customer`, its use drawn on the day `choice` names (the same day,
/// zone and axis as the timeline): a wall quarter-hour the display day skips (a spring-forward
/// night) is not drawn, one it repeats is drawn twice.
pub fn overlay(
    state: &AppState,
    customer: i64,
    choice: &DayChoice,
) -> Result<Vec<LaneActual>, AppError> {
    state.with_catalogue(|c| overlay_of(c, customer, choice, timefence_terms::chrono::Utc::now()))
}

/// [`overlay`] on a catalogue, with `now` for the default day.
pub fn overlay_of(
    c: &timefence_catalogue::Catalogue,
    customer: i64,
    choice: &DayChoice,
    now: timefence_terms::chrono::DateTime<timefence_terms::chrono::Utc>,
) -> Result<Vec<LaneActual>, AppError> {
    {
        let row = c.customer(customer)?;
        let licenses = c.licenses_of(customer)?;
        let terms: Vec<&timefence_terms::Terms> = licenses.iter().map(|l| &l.terms).collect();
        let day = crate::views::display_day(choice, &row.default_zone, &terms, now)?;
        let profiles = timefence_usage::day_profiles(c, customer, day.zone)?;
        let length = day.length_seconds();
        // The day's quarter-hours, each with the wall quarter it shows.
        let shown: Vec<(u32, u32, String, u16)> = (0..length.div_ceil(900))
            .map(|i| {
                let from = i * 900;
                let wall = day.wall_time_at(from, day.zone);
                (
                    from,
                    (from + 900).min(length),
                    wall.to_string(),
                    (wall.seconds() / 900) as u16,
                )
            })
            .collect();
        Ok(profiles
            .into_iter()
            .map(|p| LaneActual {
                license_id: p.license_id,
                seats: p.seats,
                days: p.days,
                quarters: shown
                    .iter()
                    .filter_map(|(from, to, label, index)| {
                        let q = p.quarters.iter().find(|q| q.index == *index)?;
                        Some(ActualQuarter {
                            from_seconds: *from,
                            to_seconds: *to,
                            label: label.clone(),
                            peak: q.peak,
                            p95: q.p95,
                        })
                    })
                    .collect(),
                refusals: shown
                    .iter()
                    .flat_map(|(from, to, label, index)| {
                        p.refusals
                            .iter()
                            .filter(move |r| r.index == *index)
                            .map(move |r| RefusalMark {
                                from_seconds: *from,
                                to_seconds: *to,
                                label: label.clone(),
                                reason: r.reason.clone(),
                                count: r.count,
                            })
                    })
                    .collect(),
            })
            .collect())
    }
}
