//! What the commands return: plain, typed views of catalogue records and engine results.

use crate::error::AppError;
use serde::Serialize;
use timefence_catalogue::{Catalogue, CustomerId, CustomerSummary, License};
use timefence_terms::chrono::{NaiveDate, Utc};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{
    baseline_formula, cost_preview, default_view_date, format_duration, format_money, DayView,
    Segment, Weekdays,
};

/// A customer in the sidebar.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CustomerItem {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Default IANA zone.
    pub default_zone: String,
    /// Number of licenses.
    pub license_count: u32,
}

impl From<CustomerSummary> for CustomerItem {
    fn from(c: CustomerSummary) -> CustomerItem {
        CustomerItem {
            id: c.id,
            name: c.name,
            default_zone: c.default_zone,
            license_count: c.license_count,
        }
    }
}

/// A piece of a bar, in real seconds from the display day's start.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BarPiece {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End (exclusive), seconds since the day's start.
    pub to_seconds: u32,
    /// The window began on the previous day.
    pub continues_from_previous_day: bool,
    /// The window ends on the next day.
    pub continues_into_next_day: bool,
}

impl From<&Segment> for BarPiece {
    fn from(s: &Segment) -> BarPiece {
        BarPiece {
            from_seconds: s.from_seconds,
            to_seconds: s.to_seconds,
            continues_from_previous_day: s.continues_from_previous_day,
            continues_into_next_day: s.continues_into_next_day,
        }
    }
}

/// One license's lane on the timeline.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Lane {
    /// License row id.
    pub license_id: i64,
    /// License name.
    pub name: String,
    /// Seats.
    pub seats: u32,
    /// DailyStartTime-DailyEndTime as written.
    pub window: String,
    /// DailyStartTime alone (for the form).
    pub daily_start: String,
    /// DailyEndTime alone (for the form).
    pub daily_end: String,
    /// The license's own zone.
    pub zone: String,
    /// DailyTimeConsumptionLimit, if any (`3h`).
    pub daily_limit: Option<String>,
    /// Weekdays the window opens on, or "every day".
    pub weekdays: String,
    /// LicenseStartDate to LicenseEndDate.
    pub validity: String,
    /// The bars to draw on this day (none when the license does not open).
    pub pieces: Vec<BarPiece>,
}

/// An axis tick.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Tick {
    /// Seconds since the day's start.
    pub offset_seconds: u32,
    /// Wall time in the display zone.
    pub label: String,
}

/// A stretch of constant concurrent seats.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CoverageStep {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End (exclusive).
    pub to_seconds: u32,
    /// Concurrent seats.
    pub seats: u32,
}

/// What the shown day's schedule costs against one traditional 24-hour license.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CostPanel {
    /// The product whose price book was used.
    pub product: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Time-fenced cost of the day, in minor units.
    pub fenced_minor: i64,
    /// Traditional cost of the day, in minor units.
    pub baseline_minor: i64,
    /// Baseline minus fenced.
    pub savings_minor: i64,
    /// Savings in basis points of the baseline.
    pub savings_basis_points: i64,
    /// Fenced cost, formatted ("$1,750.00").
    pub fenced: String,
    /// Baseline, formatted ("$3,000.00").
    pub baseline: String,
    /// Savings, formatted.
    pub savings: String,
    /// The baseline's arithmetic in words.
    pub baseline_formula: String,
    /// Each license's cost of the day, formatted, in lane order.
    pub per_license: Vec<String>,
}

/// The timeline of one customer on one day.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TimelineView {
    /// Whose.
    pub customer: CustomerItem,
    /// The local date shown (YYYY-MM-DD).
    pub date: String,
    /// The display zone.
    pub zone: String,
    /// The day's real length (86,400 except on DST days).
    pub day_length_seconds: u32,
    /// Axis ticks.
    pub ticks: Vec<Tick>,
    /// One lane per license.
    pub lanes: Vec<Lane>,
    /// Concurrent seats as steps.
    pub coverage: Vec<CoverageStep>,
    /// Peak concurrent seats in each hour of the day.
    pub hourly_peaks: Vec<u32>,
    /// Peak concurrent seats over the day.
    pub peak: u32,
    /// The day's cost, when the licenses' product has a price book.
    pub cost: Option<CostPanel>,
}

fn seats(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn weekdays_label(w: Weekdays) -> String {
    if w == Weekdays::EVERY_DAY {
        "every day".to_string()
    } else {
        w.names().join(", ")
    }
}

fn lane(license: &License, pieces: &[Segment]) -> Lane {
    let t = &license.terms;
    Lane {
        license_id: license.id,
        name: license.name.clone(),
        seats: t.seats,
        window: t.window.to_string(),
        daily_start: t.window.start().to_string(),
        daily_end: t.window.end().to_string(),
        zone: t.zone.name().to_string(),
        daily_limit: t.daily_limit.map(format_duration),
        weekdays: weekdays_label(t.weekdays),
        validity: format!("{} to {}", t.start_date, t.end_date),
        pieces: pieces.iter().map(BarPiece::from).collect(),
    }
}

/// A page of the sidebar's customer list.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CustomerPage {
    /// How many customers match in all.
    pub total: u32,
    /// Where this page starts.
    pub offset: u32,
    /// The customers of this page.
    pub items: Vec<CustomerItem>,
}

/// A page of customers matching `filter` (every customer when it is empty).
pub fn customers_page(
    catalogue: &Catalogue,
    filter: &str,
    offset: u32,
    limit: u32,
) -> Result<CustomerPage, AppError> {
    let page = catalogue.customers_page(filter, offset, limit)?;
    Ok(CustomerPage {
        total: u32::try_from(page.total).unwrap_or(u32::MAX),
        offset,
        items: page.items.into_iter().map(CustomerItem::from).collect(),
    })
}

/// Backs `catalogue` up into a new, time-stamped file in `folder` and returns its path.
pub fn backup(
    catalogue: &Catalogue,
    folder: &std::path::Path,
    now: timefence_terms::chrono::DateTime<Utc>,
) -> Result<String, AppError> {
    std::fs::create_dir_all(folder)
        .map_err(|e| AppError::Storage(format!("cannot create {}: {e}", folder.display())))?;
    let file = folder.join(format!("catalogue-{}.sqlite", now.format("%Y%m%d-%H%M%S")));
    catalogue.backup_to(&file)?;
    Ok(file.display().to_string())
}

fn cost_panel(
    catalogue: &Catalogue,
    licenses: &[License],
    terms: &[&timefence_terms::Terms],
    date: NaiveDate,
    zone: Tz,
) -> Result<Option<CostPanel>, AppError> {
    let Some(first) = licenses.first() else {
        return Ok(None);
    };
    let Some(book) = catalogue.price_book(&first.terms.product)? else {
        return Ok(None);
    };
    let pricing = book.pricing();
    let preview = cost_preview(terms, &pricing, zone, date, date);
    let money = |minor: i64| format_money(minor, &pricing.currency);
    Ok(Some(CostPanel {
        product: book.product.clone(),
        currency: pricing.currency.clone(),
        fenced_minor: preview.fenced_minor as i64,
        baseline_minor: preview.baseline_minor as i64,
        savings_minor: preview.savings_minor,
        savings_basis_points: preview.savings_basis_points,
        fenced: money(preview.fenced_minor as i64),
        baseline: money(preview.baseline_minor as i64),
        savings: money(preview.savings_minor),
        baseline_formula: baseline_formula(&preview, &pricing),
        per_license: preview
            .licenses
            .iter()
            .map(|l| money(l.amount_minor as i64))
            .collect(),
    }))
}

/// A customer's timeline on `date` (default: today, moved into the licenses' validity) in
/// `zone` (default: the customer's zone).
pub fn timeline(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    date: Option<&str>,
    zone: Option<&str>,
) -> Result<TimelineView, AppError> {
    let customer = catalogue.customer(customer_id)?;
    let zone_name = zone
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .unwrap_or(&customer.default_zone);
    let zone: Tz = zone_name.parse().map_err(|_| AppError::InvalidInput {
        field: "zone".into(),
        message: format!("\"{zone_name}\" is not an IANA time zone name"),
    })?;
    let licenses = catalogue.licenses_of(customer_id)?;
    let terms: Vec<&timefence_terms::Terms> = licenses.iter().map(|l| &l.terms).collect();
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(text) => {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::InvalidInput {
                field: "date".into(),
                message: format!("\"{text}\" is not a date; write it as YYYY-MM-DD"),
            })?
        }
        None => default_view_date(
            terms.iter().copied(),
            Utc::now().with_timezone(&zone).date_naive(),
        ),
    };
    let view = DayView::build(&terms, date, zone);
    let cost = cost_panel(catalogue, &licenses, &terms, date, zone)?;
    Ok(TimelineView {
        customer: customer.into(),
        date: date.to_string(),
        zone: zone.name().to_string(),
        day_length_seconds: view.day.length_seconds(),
        ticks: view
            .hour_marks
            .iter()
            .map(|m| Tick {
                offset_seconds: m.offset_seconds,
                label: m.label.clone(),
            })
            .collect(),
        lanes: licenses
            .iter()
            .zip(&view.lanes)
            .map(|(l, pieces)| lane(l, pieces))
            .collect(),
        coverage: view
            .coverage
            .steps
            .iter()
            .map(|s| CoverageStep {
                from_seconds: s.from_seconds,
                to_seconds: s.to_seconds,
                seats: seats(s.seats),
            })
            .collect(),
        hourly_peaks: view
            .coverage
            .peaks_per_bucket(3600)
            .into_iter()
            .map(seats)
            .collect(),
        peak: seats(view.coverage.peak()),
        cost,
    })
}

/// The fields of a license the form beside the timeline edits.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct LicenseEdit {
    /// License name.
    pub name: String,
    /// DailyStartTime, HH:MM[:SS].
    pub daily_start_time: String,
    /// DailyEndTime, HH:MM[:SS] or 24:00.
    pub daily_end_time: String,
    /// DailyTimeConsumptionLimit (3h, 1h30m); empty or null for none.
    pub daily_time_consumption_limit: Option<String>,
    /// Seats.
    pub seats: i64,
}

/// Applies `edit` to a license's stored terms; the engine validates, the catalogue keeps an
/// issued revision. Returns the id of the license as it now stands.
pub fn edit_license(
    catalogue: &mut Catalogue,
    license_id: i64,
    edit: &LicenseEdit,
) -> Result<i64, AppError> {
    let license = catalogue.license(license_id)?;
    let mut spec = license.terms.to_spec();
    spec.daily_start_time = edit.daily_start_time.clone();
    spec.daily_end_time = edit.daily_end_time.clone();
    spec.daily_time_consumption_limit = edit
        .daily_time_consumption_limit
        .clone()
        .filter(|l| !l.trim().is_empty());
    spec.seats = edit.seats;
    Ok(catalogue.update_license(license_id, &edit.name, &spec)?)
}

/// One bucket of the forecast chart.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastBucket {
    /// Wall time the bucket starts at, in the display zone.
    pub label: String,
    /// Peak concurrent seats in the bucket.
    pub seats: u32,
}

/// The vendor's demand across the whole catalogue on one day.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastView {
    /// The date (YYYY-MM-DD).
    pub date: String,
    /// The display zone.
    pub zone: String,
    /// Bucket width in minutes.
    pub bucket_minutes: u32,
    /// The buckets.
    pub buckets: Vec<ForecastBucket>,
    /// Peak concurrent seats.
    pub peak: u32,
    /// Mean concurrent seats.
    pub mean: f64,
    /// Labels of buckets with no seat in use.
    pub idle: Vec<String>,
    /// Seat-hours over the day.
    pub seat_hours: u32,
    /// Seats a 24-hour model would provision all day.
    pub traditional_capacity: u32,
}

/// The forecast of the current licenses of `only` those customers (every customer when empty)
/// on `date` in `zone`.
pub fn forecast(
    catalogue: &Catalogue,
    date: &str,
    zone: &str,
    bucket_minutes: u32,
    only: &[i64],
) -> Result<ForecastView, AppError> {
    let zone: Tz = zone.trim().parse().map_err(|_| AppError::InvalidInput {
        field: "zone".into(),
        message: format!("\"{zone}\" is not an IANA time zone name"),
    })?;
    let date =
        NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| AppError::InvalidInput {
            field: "date".into(),
            message: format!("\"{date}\" is not a date; write it as YYYY-MM-DD"),
        })?;
    if !timefence_terms::Forecast::divides_a_day(bucket_minutes) {
        return Err(AppError::InvalidInput {
            field: "bucket_minutes".into(),
            message: format!("{bucket_minutes} minutes do not divide a day"),
        });
    }
    let grouped = catalogue.current_terms_by_customer()?;
    let customers: Vec<Vec<&timefence_terms::Terms>> = grouped
        .iter()
        .filter(|(id, _)| only.is_empty() || only.contains(id))
        .map(|(_, t)| t.iter().collect())
        .collect();
    let day = timefence_terms::DisplayDay::new(date, zone);
    let f = timefence_terms::Forecast::build(&customers, &day, bucket_minutes * 60);
    let label = |i: usize| f.bucket_label(i);
    Ok(ForecastView {
        date: date.to_string(),
        zone: zone.name().to_string(),
        bucket_minutes,
        buckets: f
            .buckets
            .iter()
            .enumerate()
            .map(|(i, s)| ForecastBucket {
                label: label(i),
                seats: seats(*s),
            })
            .collect(),
        peak: seats(f.peak),
        mean: f.mean_seats(),
        idle: f.idle_buckets.iter().map(|i| label(*i)).collect(),
        seat_hours: u32::try_from(f.seat_seconds / 3600).unwrap_or(u32::MAX),
        traditional_capacity: seats(f.traditional_capacity),
    })
}
