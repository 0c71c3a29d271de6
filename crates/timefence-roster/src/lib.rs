//! # timefence-roster: from a customer's shift roster to the cheapest licenses
//!
//! A BPO keeps its shifts in a workforce-management tool; the question its administrator and
//! the vendor both ask is "what is the cheapest set of daily time-fenced licenses that covers
//! this roster?". This crate answers it in three steps:
//!
//! - [`csv`], [`iex`], [`genesys`], [`ics`]: a roster as a plain CSV file (agent, start, end,
//!   and an optional zone and activity), as NICE IEX WFM's Agent Schedule Detail export, as
//!   Genesys Cloud WFM's agent schedules (JSON), or as iCalendar events (recurring or not);
//!   every row checked, a bad row named by line (or path) and field, nothing half-read;
//! - [`demand`]: the seats the roster needs, per quarter-hour of the customer's wall clock: the
//!   peak of concurrent working agents in that quarter-hour on any day (a DST day's skipped
//!   quarter-hours need nothing, its repeated ones count both passes);
//! - [`plan`](mod@plan): the cheapest set of at most N daily windows with seats that covers
//!   the demand in every quarter-hour, priced per seat per block as the cost panel prices,
//!   solved as an integer program (`microlp`, pure Rust) with its optimality reported;
//! - [`proposal`]: the three for one customer, with the plan written as draft terms and priced
//!   over a term, the one path the CLI and the app share.
//!
//! Only working activities need a seat ([`csv::is_working`]): breaks, meals and time off do
//! not.
#![deny(missing_docs)]

pub mod csv;
pub mod demand;
pub mod genesys;
pub mod ics;
pub mod iex;
pub mod plan;
pub mod proposal;

pub use csv::{parse_csv, RosterError, Shift};
pub use genesys::parse_genesys;
pub use ics::parse_ics;
pub use iex::{parse_iex, DateFormat, IexOptions};

/// The roster formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A plain CSV ([`csv`]).
    Csv,
    /// NICE IEX WFM's Agent Schedule Detail export ([`iex`]).
    Iex,
    /// Genesys Cloud WFM's agent schedules as JSON ([`genesys`]).
    Genesys,
    /// An iCalendar file, one event per shift ([`ics`]).
    Ics,
}

impl Format {
    /// The format named `csv`, `iex` or `genesys`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "iex" | "nice" => Some(Format::Iex),
            "genesys" | "json" => Some(Format::Genesys),
            "ics" | "ical" | "icalendar" => Some(Format::Ics),
            _ => None,
        }
    }

    /// The format a file's text shows: a JSON object is Genesys, `BEGIN:VCALENDAR` iCalendar,
    /// a `#fields` line IEX, anything else CSV.
    pub fn of(text: &str) -> Format {
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('{') {
            Format::Genesys
        } else if text.len() >= 15 && text[..15].eq_ignore_ascii_case("BEGIN:VCALENDAR") {
            Format::Ics
        } else if text.starts_with("#fields") || text.lines().any(|l| l.starts_with("#fields")) {
            Format::Iex
        } else {
            Format::Csv
        }
    }
}

/// Reads a roster in `format` (IEX with `iex`'s settings).
pub fn parse(format: Format, text: &str, iex: IexOptions) -> Result<Vec<Shift>, RosterError> {
    match format {
        Format::Csv => parse_csv(text),
        Format::Iex => parse_iex(text, iex),
        Format::Genesys => parse_genesys(text),
        Format::Ics => parse_ics(text),
    }
}
pub use demand::{Demand, QUARTERS};
pub use plan::{plan, Optimality, Plan, PlanError, ProposedLicense};
pub use proposal::{propose, Proposal, ProposalError, ProposalRequest, TermCost};
