//! What the commands return: plain, typed views of catalogue records and engine results.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use timefence_catalogue::{Catalogue, CustomerId, CustomerSummary, License, LicenseState};
use timefence_terms::chrono::{DateTime, NaiveDate, Utc};
use timefence_terms::chrono_tz::Tz;
use timefence_terms::{
    default_view_date, format_duration, format_money, icalendar, schedule_cost, term_for_drawing,
    CalendarEvent, DayView, DisplayDay, Segment, Terms, TermsSpec, WallTime, Weekdays,
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
    /// Saved edits of its name and zone: what a rename says it started from.
    pub edits: u32,
}

impl From<CustomerSummary> for CustomerItem {
    fn from(c: CustomerSummary) -> CustomerItem {
        CustomerItem {
            id: c.id,
            name: c.name,
            default_zone: c.default_zone,
            license_count: c.license_count,
            edits: c.edits,
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
    /// Where the daily limit runs out when used from the opening (the rest is hatched).
    pub limit_reached_at: Option<u32>,
}

impl From<&Segment> for BarPiece {
    fn from(s: &Segment) -> BarPiece {
        BarPiece {
            from_seconds: s.from_seconds,
            to_seconds: s.to_seconds,
            continues_from_previous_day: s.continues_from_previous_day,
            continues_into_next_day: s.continues_into_next_day,
            limit_reached_at: s.limit_reached_at,
        }
    }
}

/// Everything about a license that the form edits, in the brief's field names; also what the
/// timeline sends back when a bar is dragged.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct LicenseEdit {
    /// License name.
    pub name: String,
    /// LicenseStartDate, YYYY-MM-DD.
    pub license_start_date: String,
    /// LicenseEndDate, YYYY-MM-DD.
    pub license_end_date: String,
    /// DailyStartTime, HH:MM[:SS].
    pub daily_start_time: String,
    /// DailyEndTime, HH:MM[:SS] or 24:00.
    pub daily_end_time: String,
    /// DailyTimeConsumptionLimit (3h, 1h30m); empty or null for none.
    pub daily_time_consumption_limit: Option<String>,
    /// The IANA zone whose wall clock the window follows.
    pub time_zone: String,
    /// Weekdays the window opens on (Mon ... Sun).
    pub weekdays: Vec<String>,
    /// Seats.
    pub seats: i64,
    /// Product (its price book prices the license).
    pub product: String,
}

impl LicenseEdit {
    /// The form's fields for `terms` named `name`.
    pub fn from_terms(name: &str, terms: &Terms) -> LicenseEdit {
        LicenseEdit::of(name, terms)
    }

    fn of(name: &str, terms: &Terms) -> LicenseEdit {
        let spec = terms.to_spec();
        LicenseEdit {
            name: name.to_string(),
            license_start_date: spec.license_start_date,
            license_end_date: spec.license_end_date,
            daily_start_time: spec.daily_start_time,
            daily_end_time: spec.daily_end_time,
            daily_time_consumption_limit: spec.daily_time_consumption_limit,
            time_zone: spec.time_zone,
            weekdays: terms.weekdays.names(),
            seats: spec.seats,
            product: spec.product,
        }
    }

    /// The terms this edit describes, keeping `features` (which the form does not show).
    fn spec(&self, features: BTreeMap<String, String>) -> TermsSpec {
        TermsSpec {
            license_start_date: self.license_start_date.clone(),
            license_end_date: self.license_end_date.clone(),
            daily_start_time: self.daily_start_time.clone(),
            daily_end_time: self.daily_end_time.clone(),
            daily_time_consumption_limit: self
                .daily_time_consumption_limit
                .clone()
                .filter(|l| !l.trim().is_empty()),
            time_zone: self.time_zone.clone(),
            weekdays: Some(self.weekdays.clone()),
            seats: self.seats,
            product: self.product.clone(),
            features,
        }
    }
}

/// One license's lane on the timeline.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Lane {
    /// License row id (0 for a license being drawn that is not saved yet).
    pub license_id: i64,
    /// License name.
    pub name: String,
    /// Its global id (128 bits, hex), kept across revisions and carried in its files; empty
    /// for a license being drawn.
    pub uid: String,
    /// draft, issued or revoked.
    pub state: String,
    /// Its revision, from 1 (an edit of an issued license makes the next).
    pub revision: u32,
    /// Saved edits of this revision: what an edit of it says it started from, so that an
    /// edit made over someone else's is refused instead of overwriting it.
    pub edits: u32,
    /// Seats.
    pub seats: u32,
    /// DailyStartTime-DailyEndTime as written.
    pub window: String,
    /// DailyStartTime in seconds after midnight of the license's zone.
    pub start_seconds: u32,
    /// The window's length in wall-clock seconds (up to a whole day).
    pub length_seconds: u32,
    /// The license's own zone.
    pub zone: String,
    /// DailyTimeConsumptionLimit, if any (`3h`).
    pub daily_limit: Option<String>,
    /// Weekdays the window opens on, or "every day".
    pub weekdays: String,
    /// Whether the window opens on each weekday, Monday first.
    pub weekday_flags: Vec<bool>,
    /// LicenseStartDate to LicenseEndDate.
    pub validity: String,
    /// The terms as the form shows them.
    pub edit: LicenseEdit,
    /// The bars to draw on this day (none when the license does not open).
    pub pieces: Vec<BarPiece>,
    /// What its colour and place follow: the id of its first revision, so that a rename or a
    /// new revision keeps both (0 for a license being drawn).
    pub origin: i64,
    /// The display date (YYYY-MM-DD) of the license's next opening from now (or its first,
    /// when its validity starts later), for moving the view to a license that does not open
    /// on the day shown.
    pub next_opening_date: Option<String>,
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

/// A quarter-hour of the coverage strip.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CoverageBucket {
    /// Start, seconds since the day's start.
    pub from_seconds: u32,
    /// End (exclusive; the last one may be shorter on a DST day).
    pub to_seconds: u32,
    /// Wall time the bucket starts at, in the display zone.
    pub label: String,
    /// Peak concurrent seats in the bucket.
    pub seats: u32,
    /// How many licenses have a bar in the bucket (two or more overlap).
    pub license_count: u32,
    /// Indices of the first of those lanes, enough to name them on hover (at most
    /// [`NAMED_PER_BUCKET`]); a drag step stays small with hundreds of licenses.
    pub lanes: Vec<u32>,
}

/// How many contributing lanes a quarter-hour names.
pub const NAMED_PER_BUCKET: usize = 8;

/// The shown day's cost in one currency, against one traditional 24-hour license per product.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CurrencyCost {
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
    /// Each product's baseline arithmetic in words.
    pub formulas: Vec<String>,
}

/// A product used on the day shown that has no price in force.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MissingPrice {
    /// The product's name.
    pub product: String,
    /// Its id, for the "set one" button.
    pub product_id: Option<i64>,
    /// Licenses that name no product at all: they need a product picked, not a price.
    pub unnamed: bool,
}

/// What the shown day's schedule costs: totals per currency (never added across currencies),
/// the products that have no price yet, and whether anything opens on the day at all.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CostPanel {
    /// One entry per currency, by code.
    pub totals: Vec<CurrencyCost>,
    /// Products without a price on this day; their licenses are in no total.
    pub missing_prices: Vec<MissingPrice>,
    /// Each license's cost of the day, formatted, in lane order ("No price" when it has none).
    pub per_license: Vec<String>,
    /// Whether any license opens on the day shown.
    pub open_on_day: bool,
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
    /// The wall time the axis starts at (00:00 unless night shifts read better from 06:00).
    pub axis_start: String,
    /// The day's real length (86,400 except on DST days).
    pub day_length_seconds: u32,
    /// Seconds since the day's start of this moment, when it falls on the day shown.
    pub now_seconds: Option<u32>,
    /// Axis ticks.
    pub ticks: Vec<Tick>,
    /// One lane per license.
    pub lanes: Vec<Lane>,
    /// Concurrent seats as steps.
    pub coverage: Vec<CoverageStep>,
    /// Peak concurrent seats in each hour of the day.
    pub hourly_peaks: Vec<u32>,
    /// Seats and contributing lanes per quarter-hour.
    pub quarter_hours: Vec<CoverageBucket>,
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

/// A license as the timeline shows it: a saved one, or one being drawn or edited.
struct Row {
    id: i64,
    origin: i64,
    uid: String,
    name: String,
    state: LicenseState,
    revision: u32,
    edits: u32,
    terms: Terms,
}

impl Row {
    fn of(license: &License) -> Row {
        Row {
            id: license.id,
            origin: license.origin,
            uid: license.uid.clone(),
            name: license.name.clone(),
            state: license.state,
            revision: license.revision,
            edits: license.edits,
            terms: license.terms.clone(),
        }
    }

    fn lane(&self, pieces: &[Segment], display_zone: Tz, now: DateTime<Utc>) -> Lane {
        let t = &self.terms;
        let next_opening_date = t.next_occurrence(now).map(|o| {
            o.opens
                .with_timezone(&display_zone)
                .date_naive()
                .to_string()
        });
        Lane {
            license_id: self.id,
            name: self.name.clone(),
            uid: self.uid.clone(),
            state: self.state.as_str().to_string(),
            revision: self.revision,
            edits: self.edits,
            seats: t.seats,
            window: t.window.to_string(),
            start_seconds: t.window.start().seconds(),
            length_seconds: t.window.nominal_length_seconds(),
            zone: t.zone.name().to_string(),
            daily_limit: t.daily_limit.map(format_duration),
            weekdays: weekdays_label(t.weekdays),
            weekday_flags: t.weekdays.flags().to_vec(),
            validity: format!("{} to {}", t.start_date, t.end_date),
            edit: LicenseEdit::of(&self.name, t),
            pieces: pieces.iter().map(BarPiece::from).collect(),
            origin: self.origin,
            next_opening_date,
        }
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
    terms: &[&Terms],
    date: NaiveDate,
    zone: Tz,
) -> Result<Option<CostPanel>, AppError> {
    if terms.is_empty() {
        return Ok(None);
    }
    let schedules = catalogue.price_schedules()?;
    let cost = schedule_cost(&schedules.priced(terms), zone, date, date);
    Ok(Some(CostPanel {
        totals: cost
            .totals
            .iter()
            .map(|t| {
                let money = |minor: i64| format_money(minor, &t.currency);
                CurrencyCost {
                    currency: t.currency.clone(),
                    fenced_minor: t.fenced_minor as i64,
                    baseline_minor: t.baseline_minor as i64,
                    savings_minor: t.savings_minor,
                    savings_basis_points: t.savings_basis_points,
                    fenced: money(t.fenced_minor as i64),
                    baseline: money(t.baseline_minor as i64),
                    savings: money(t.savings_minor),
                    formulas: t.formulas.clone(),
                }
            })
            .collect(),
        missing_prices: cost
            .unpriced_products
            .iter()
            .map(|name| MissingPrice {
                product: name.clone(),
                product_id: schedules.id_of(name),
                unnamed: name.trim().is_empty(),
            })
            .collect(),
        per_license: cost
            .licenses
            .iter()
            .map(|l| {
                if l.amounts.is_empty() {
                    if l.occurrences == 0 {
                        String::new()
                    } else {
                        "No price".to_string()
                    }
                } else {
                    l.amounts
                        .iter()
                        .map(|a| format_money(a.minor as i64, &a.currency))
                        .collect::<Vec<_>>()
                        .join(" + ")
                }
            })
            .collect(),
        open_on_day: cost.any_open,
    }))
}

/// Which day a timeline shows: the date, the display zone and where the axis starts.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct DayChoice {
    /// YYYY-MM-DD; empty or null for today (moved into the licenses' validity).
    pub date: Option<String>,
    /// An IANA zone; empty or null for the customer's zone.
    pub zone: Option<String>,
    /// HH:MM the axis starts at; empty or null for 00:00.
    pub axis_start: Option<String>,
}

fn parse_zone(text: &str) -> Result<Tz, AppError> {
    text.trim().parse().map_err(|_| AppError::InvalidInput {
        field: "zone".into(),
        message: format!("\"{}\" is not an IANA time zone name", text.trim()),
    })
}

fn parse_date(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| AppError::InvalidInput {
        field: "date".into(),
        message: format!("\"{}\" is not a date; write it as YYYY-MM-DD", text.trim()),
    })
}

fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// The display day a choice names, given the terms shown (for the default date).
pub(crate) fn display_day(
    choice: &DayChoice,
    customer_zone: &str,
    terms: &[&Terms],
    now: DateTime<Utc>,
) -> Result<DisplayDay, AppError> {
    let zone = parse_zone(given(&choice.zone).unwrap_or(customer_zone))?;
    let axis = match given(&choice.axis_start) {
        None => WallTime::MIDNIGHT,
        Some(text) => WallTime::parse(text)
            .filter(|t| *t < WallTime::END_OF_DAY)
            .ok_or_else(|| AppError::InvalidInput {
                field: "axis_start".into(),
                message: format!("\"{text}\" is not a time of day the axis can start at"),
            })?,
    };
    let date = match given(&choice.date) {
        Some(text) => parse_date(text)?,
        None => default_view_date(terms.iter().copied(), now.with_timezone(&zone).date_naive()),
    };
    Ok(DisplayDay::starting_at(date, zone, axis))
}

fn build_view(
    catalogue: Option<&Catalogue>,
    customer: CustomerItem,
    rows: &[Row],
    choice: &DayChoice,
    now: DateTime<Utc>,
) -> Result<TimelineView, AppError> {
    let terms: Vec<&Terms> = rows.iter().map(|r| &r.terms).collect();
    let day = display_day(choice, &customer.default_zone, &terms, now)?;
    let view = DayView::of_day(&terms, day);
    let cost = match catalogue {
        Some(catalogue) => cost_panel(catalogue, &terms, day.date, day.zone)?,
        None => None,
    };
    let peaks = view.coverage.peaks_per_bucket(QUARTER_HOUR);
    let length = day.length_seconds();
    let quarter_hours = view
        .contributors(QUARTER_HOUR)
        .into_iter()
        .zip(peaks)
        .enumerate()
        .map(|(i, (lanes, peak))| {
            let from = i as u32 * QUARTER_HOUR;
            CoverageBucket {
                from_seconds: from,
                to_seconds: (from + QUARTER_HOUR).min(length),
                label: day.wall_time_at(from, day.zone).to_string(),
                seats: seats(peak),
                license_count: lanes.len() as u32,
                lanes: lanes
                    .into_iter()
                    .take(NAMED_PER_BUCKET)
                    .map(|l| l as u32)
                    .collect(),
            }
        })
        .collect();
    Ok(TimelineView {
        customer,
        date: day.date.to_string(),
        zone: day.zone.name().to_string(),
        axis_start: day.wall_time_at(0, day.zone).to_string(),
        day_length_seconds: length,
        now_seconds: day.offset_within(now),
        ticks: view
            .hour_marks
            .iter()
            .map(|m| Tick {
                offset_seconds: m.offset_seconds,
                label: m.label.clone(),
            })
            .collect(),
        lanes: rows
            .iter()
            .zip(&view.lanes)
            .map(|(row, pieces)| row.lane(pieces, day.zone, now))
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
        quarter_hours,
        peak: seats(view.coverage.peak()),
        cost,
    })
}

const QUARTER_HOUR: u32 = 900;

/// A customer's timeline on the chosen day.
pub fn timeline(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    choice: &DayChoice,
    now: DateTime<Utc>,
) -> Result<TimelineView, AppError> {
    let customer = catalogue.customer(customer_id)?;
    let rows: Vec<Row> = catalogue
        .licenses_of(customer_id)?
        .iter()
        .map(Row::of)
        .collect();
    build_view(Some(catalogue), customer.into(), &rows, choice, now)
}

/// The timeline of one license file's terms on today (moved into its validity), in its own
/// zone; the file's customer need not be in the catalogue, so no cost is shown.
pub fn file_timeline(
    customer: &str,
    name: &str,
    terms: &Terms,
    now: DateTime<Utc>,
) -> Result<TimelineView, AppError> {
    let row = Row {
        id: 0,
        origin: 0,
        uid: String::new(),
        name: name.to_string(),
        state: LicenseState::Issued,
        revision: 1,
        edits: 0,
        terms: terms.clone(),
    };
    let customer = CustomerItem {
        id: 0,
        name: customer.to_string(),
        default_zone: terms.zone.name().to_string(),
        license_count: 1,
        edits: 0,
    };
    build_view(None, customer, &[row], &DayChoice::default(), now)
}

/// What changes on the timeline while one license is dragged: its lane, the coverage and the
/// cost. The other lanes stay as they were, so a drag step sends one lane, not two hundred.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TimelinePreview {
    /// Where the lane goes in the view's lanes (one past the end for a new license).
    pub lane_index: u32,
    /// The dragged license's lane.
    pub lane: Lane,
    /// Concurrent seats as steps.
    pub coverage: Vec<CoverageStep>,
    /// Peak concurrent seats in each hour of the day.
    pub hourly_peaks: Vec<u32>,
    /// Seats and contributing lanes per quarter-hour.
    pub quarter_hours: Vec<CoverageBucket>,
    /// Peak concurrent seats over the day.
    pub peak: u32,
    /// The day's cost.
    pub cost: Option<CostPanel>,
}

/// The timeline as it would be with one license's terms replaced by `edit` (or, with no
/// license id, with `edit` added as a new license), without saving anything: what a drag
/// shows at every step. Terms the engine refuses give [`AppError::InvalidTerms`].
pub fn preview_changes(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    choice: &DayChoice,
    license_id: Option<i64>,
    edit: &LicenseEdit,
    now: DateTime<Utc>,
) -> Result<TimelinePreview, AppError> {
    let mut view = preview(catalogue, customer_id, choice, license_id, edit, now)?;
    let index = match license_id {
        Some(id) => view
            .lanes
            .iter()
            .position(|l| l.license_id == id)
            .unwrap_or(0),
        None => view.lanes.len().saturating_sub(1),
    };
    Ok(TimelinePreview {
        lane_index: index as u32,
        lane: view.lanes.swap_remove(index),
        coverage: view.coverage,
        hourly_peaks: view.hourly_peaks,
        quarter_hours: view.quarter_hours,
        peak: view.peak,
        cost: view.cost,
    })
}

/// The whole timeline as it would be with one license's terms replaced by `edit` (or added).
pub fn preview(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    choice: &DayChoice,
    license_id: Option<i64>,
    edit: &LicenseEdit,
    now: DateTime<Utc>,
) -> Result<TimelineView, AppError> {
    let customer = catalogue.customer(customer_id)?;
    let licenses = catalogue.licenses_of(customer_id)?;
    let mut rows: Vec<Row> = licenses.iter().map(Row::of).collect();
    match license_id {
        Some(id) => {
            let row = rows
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| AppError::NotFound(format!("there is no license with id {id}")))?;
            row.terms = edit.spec(row.terms.features.clone()).validate()?;
            row.name = edit.name.clone();
        }
        None => rows.push(Row {
            id: 0,
            origin: 0,
            uid: String::new(),
            name: edit.name.clone(),
            state: LicenseState::Draft,
            revision: 1,
            edits: 0,
            terms: edit.spec(BTreeMap::new()).validate()?,
        }),
    }
    build_view(Some(catalogue), customer.into(), &rows, choice, now)
}

/// A license as an edit left it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SavedLicense {
    /// Its id as it now stands (a new revision's when it had been issued).
    pub id: i64,
    /// Its saved edits now: what the next edit of it (an undo, say) starts from.
    pub edits: u32,
}

/// Applies `edit` to a license; the engine validates, the catalogue keeps an issued revision.
/// `started_from` is the saved edits the window showed when the edit began: when someone else
/// saved the license since, nothing is written and the error says who and when.
pub fn edit_license(
    catalogue: &mut Catalogue,
    license_id: i64,
    started_from: Option<u32>,
    edit: &LicenseEdit,
) -> Result<SavedLicense, AppError> {
    let license = catalogue.license(license_id)?;
    let mut spec = edit.spec(license.terms.features.clone());
    spec.product = catalogue.check_product(&spec.product)?;
    let (id, edits) = match started_from {
        Some(from) => catalogue.update_license_from(license_id, from, &edit.name, &spec)?,
        None => {
            let id = catalogue.update_license(license_id, &edit.name, &spec)?;
            (id, catalogue.license(id)?.edits)
        }
    };
    Ok(SavedLicense { id, edits })
}

/// Adds `edit` as a new draft license of a customer and returns its id.
pub fn create_license(
    catalogue: &mut Catalogue,
    customer_id: CustomerId,
    edit: &LicenseEdit,
) -> Result<i64, AppError> {
    let mut spec = edit.spec(BTreeMap::new());
    spec.product = catalogue.check_product(&spec.product)?;
    Ok(catalogue.add_license(customer_id, &edit.name, &spec)?)
}

/// A new license's terms for a stretch of the display day dragged out on the timeline:
/// the stretch's wall times in the customer's zone, one seat, every day, for a whole term (a
/// year from the first of next month, or from today when drawn on today), and the product of
/// the customer's other licenses (or the catalogue's only product; else none, to be picked).
pub fn draft_from_span(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    choice: &DayChoice,
    from_seconds: u32,
    to_seconds: u32,
) -> Result<LicenseEdit, AppError> {
    let customer = catalogue.customer(customer_id)?;
    let licenses = catalogue.licenses_of(customer_id)?;
    let terms: Vec<&Terms> = licenses.iter().map(|l| &l.terms).collect();
    let now = Utc::now();
    let day = display_day(choice, &customer.default_zone, &terms, now)?;
    if from_seconds >= to_seconds || to_seconds > day.length_seconds() {
        return Err(AppError::InvalidInput {
            field: "span".into(),
            message: "drag across part of the day to draw a window".into(),
        });
    }
    let zone = parse_zone(&customer.default_zone)?;
    let start = day.wall_time_at(from_seconds, zone);
    let end = day.wall_time_at(to_seconds, zone);
    let end = if end == WallTime::MIDNIGHT && start != WallTime::MIDNIGHT {
        WallTime::END_OF_DAY
    } else {
        end
    };
    let today = now.with_timezone(&zone).date_naive();
    let (first, last) = term_for_drawing(today, day.date);
    let existing = licenses.len() + 1;
    // The product of the customer's other licenses, else the catalogue's first: a drawn
    // license always names a product when the catalogue has one (changed in its form).
    let product = match licenses.iter().find(|l| !l.terms.product.is_empty()) {
        Some(license) => license.terms.product.clone(),
        None => catalogue
            .products()?
            .into_iter()
            .next()
            .map(|p| p.name)
            .unwrap_or_default(),
    };
    Ok(LicenseEdit {
        name: format!("New license {existing}"),
        license_start_date: first.to_string(),
        license_end_date: last.to_string(),
        daily_start_time: start.to_string(),
        daily_end_time: end.to_string(),
        daily_time_consumption_limit: None,
        time_zone: customer.default_zone.clone(),
        weekdays: Weekdays::EVERY_DAY.names(),
        seats: 1,
        product,
    })
}

/// The last day of a whole default term that starts on `start` (YYYY-MM-DD): what a new
/// license's end becomes when its start is typed.
pub fn term_end(start: &str) -> Result<String, AppError> {
    let first = NaiveDate::parse_from_str(start.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::InvalidInput {
            field: "license_start_date".into(),
            message: format!("Valid from: \"{start}\" is not a date"),
        }
    })?;
    Ok(timefence_terms::term_from(first).1.to_string())
}

/// The terms "+ New license" starts from: the shift after the customer's latest license (its
/// window moved to start where that one ends, as long, cut at midnight), so a day of shifts is
/// added one after the other; 09:00-17:00 for a customer with none. The rest as
/// [`draft_from_span`] gives.
pub fn draft_next(
    catalogue: &Catalogue,
    customer_id: CustomerId,
    choice: &DayChoice,
) -> Result<LicenseEdit, AppError> {
    const DAY: u32 = 24 * 3600;
    let licenses = catalogue.licenses_of(customer_id)?;
    let (from, to) = match licenses.iter().max_by_key(|l| l.id) {
        Some(last) => {
            let window = &last.terms.window;
            let length = window.nominal_length_seconds().clamp(900, DAY);
            let start = (window.start().seconds() + length) % DAY;
            (start, (start + length).min(DAY))
        }
        None => (9 * 3600, 17 * 3600),
    };
    draft_from_span(catalogue, customer_id, choice, from, to)
        .or_else(|_| draft_from_span(catalogue, customer_id, choice, 9 * 3600, 17 * 3600))
}

/// A license's window as an iCalendar file: its suggested file name and text.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CalendarFile {
    /// A file name from the license's name (`L1-India.ics`).
    pub file_name: String,
    /// The iCalendar text.
    pub text: String,
}

/// The window of a license as an iCalendar recurring event.
pub fn license_calendar(
    catalogue: &Catalogue,
    license_id: i64,
    now: DateTime<Utc>,
) -> Result<CalendarFile, AppError> {
    let license = catalogue.license(license_id)?;
    let customer = catalogue.customer(license.customer_id)?;
    let uid = format!("license-{}-r{}@timefence", license.id, license.revision);
    let summary = format!(
        "{} · {} · {}",
        customer.name,
        license.name,
        timefence_terms::seats_text(u64::from(license.terms.seats))
    );
    let text = icalendar(
        &license.terms,
        &CalendarEvent {
            uid: &uid,
            summary: &summary,
            stamp: now,
        },
    )
    .ok_or_else(|| AppError::Conflict(format!("{} never opens while it is valid", license.name)))?;
    Ok(CalendarFile {
        file_name: format!("{}.ics", timefence_signing::issue::file_stem(&license.name)),
        text,
    })
}

/// Every IANA zone name, for the zone pickers.
pub fn time_zones() -> Vec<String> {
    timefence_terms::chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name().to_string())
        .collect()
}

/// One bucket of the forecast chart.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastBucket {
    /// Wall time the bucket starts at, in the display zone.
    pub label: String,
    /// Peak concurrent seats in the bucket.
    pub seats: u32,
    /// Seats actually in use then: the customers' relay reports' mean over their reported
    /// days, at the bucket's busiest quarter-hour (none when no report is imported).
    pub in_use: Option<f64>,
}

/// One customer's reported use against what it licenses, for the Forecast.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CustomerActual {
    /// The customer.
    pub customer_id: i64,
    /// Its name.
    pub name: String,
    /// The first day reported, YYYY-MM-DD.
    pub from: String,
    /// The last day reported.
    pub to: String,
    /// Days reported.
    pub days: u32,
    /// Licenses the reports name.
    pub licenses: u32,
    /// Seat-hours licensed over those days (whole hours).
    pub licensed_seat_hours: i64,
    /// Seat-hours used.
    pub used_seat_hours: i64,
    /// Used against licensed, in basis points.
    pub utilisation_basis_points: i64,
    /// Refusals of every reason.
    pub refusals: u32,
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
    /// Actual against licensed, per customer with imported usage reports, by name.
    pub actual: Vec<CustomerActual>,
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
    let zone = parse_zone(zone)?;
    let date = parse_date(date)?;
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
    let actual =
        timefence_usage::portfolio(catalogue, only, zone).map_err(crate::error::AppError::from)?;
    let reported = !actual.customers.is_empty();
    // A bucket shows the busiest of the wall quarter-hours it spans.
    let in_use = |label: &str| {
        let first = WallTime::parse(label).map_or(0, |t| t.seconds() / 900) as usize;
        let span = (bucket_minutes / 15).max(1) as usize;
        (first..first + span)
            .map(|q| actual.mean_in_use[q % actual.mean_in_use.len()])
            .fold(0f64, f64::max)
    };
    Ok(ForecastView {
        date: date.to_string(),
        zone: zone.name().to_string(),
        bucket_minutes,
        buckets: f
            .buckets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let label = label(i);
                ForecastBucket {
                    in_use: reported.then(|| (in_use(&label) * 10.0).round() / 10.0),
                    label,
                    seats: seats(*s),
                }
            })
            .collect(),
        peak: seats(f.peak),
        mean: f.mean_seats(),
        idle: f.idle_buckets.iter().map(|i| label(*i)).collect(),
        seat_hours: u32::try_from(f.seat_seconds / 3600).unwrap_or(u32::MAX),
        traditional_capacity: seats(f.traditional_capacity),
        actual: actual
            .customers
            .into_iter()
            .map(|c| CustomerActual {
                customer_id: c.customer_id,
                name: c.name,
                from: c.from,
                to: c.to,
                days: c.days,
                licenses: c.licenses,
                licensed_seat_hours: c.licensed_seat_seconds / 3600,
                used_seat_hours: c.used_seat_seconds / 3600,
                utilisation_basis_points: c.utilisation_basis_points,
                refusals: c.refusals,
            })
            .collect(),
    })
}
