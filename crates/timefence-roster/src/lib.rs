//! # timefence-roster: from a customer's shift roster to the cheapest licenses
//!
//! A BPO keeps its shifts in a workforce-management tool; the question its administrator and
//! the vendor both ask is "what is the cheapest set of daily time-fenced licenses that covers
//! this roster?". This crate answers it in three steps:
//!
//! - [`csv`]: a roster as a plain CSV file (agent, start, end, and an optional zone and
//!   activity), every row checked, a bad row named by line and field, nothing half-read;
//! - [`demand`]: the seats the roster needs, per quarter-hour of the customer's wall clock: the
//!   peak of concurrent working agents in that quarter-hour on any day (a DST day's skipped
//!   quarter-hours need nothing, its repeated ones count both passes);
//! - [`plan`](mod@plan): the cheapest set of at most N daily windows with seats that covers
//!   the demand in every quarter-hour, priced per seat per block as the cost panel prices,
//!   solved as an integer program (`microlp`, pure Rust) with its optimality reported.
//!
//! Only working activities need a seat ([`csv::is_working`]): breaks, meals and time off do
//! not.
#![deny(missing_docs)]

pub mod csv;
pub mod demand;
pub mod plan;

pub use csv::{parse_csv, RosterError, Shift};
pub use demand::{Demand, QUARTERS};
pub use plan::{plan, Optimality, Plan, PlanError, ProposedLicense};
