//! The demo catalogue a first start creates: the brief's BPO and one customer per case.

use crate::{CatalogueError, NewCustomer};
use timefence_terms::{brief, Terms};

/// The demo's one product, priced as the brief prices it.
pub(crate) const PRODUCT: &str = "Timefence demo";

/// `terms` valid from `start` to `end` (as the date fields write them), both included; the
/// terms' own validation judges dates out of range.
pub(crate) fn dated(terms: &Terms, start: &str, end: &str) -> Result<Terms, CatalogueError> {
    let mut spec = terms.to_spec();
    spec.license_start_date = start.to_string();
    spec.license_end_date = end.to_string();
    Ok(spec.validate()?)
}

/// 1 January to 31 December of `year`.
pub(crate) fn year_of(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{year:04}-12-31"))
}

/// Twelve whole months from the first day of `today`'s month: a demo opened on any day is
/// live that day and has eleven months or more left, so none of it shows as expiring (a demo
/// dated in the calendar year showed every license expiring all December).
pub(crate) fn twelve_months_from(today: chrono::NaiveDate) -> (String, String) {
    use chrono::Datelike;
    let start = today.with_day(1).unwrap_or(today);
    match start
        .checked_add_months(chrono::Months::new(12))
        .and_then(|next| next.pred_opt())
    {
        Some(end) => (start.to_string(), end.to_string()),
        None => (start.to_string(), "+out-of-range".to_string()),
    }
}

pub(crate) struct DemoCustomer {
    pub customer: NewCustomer,
    pub licenses: Vec<(&'static str, Terms)>,
}

fn customer(name: &str, country: &str, notes: &str) -> NewCustomer {
    NewCustomer {
        name: name.to_string(),
        contact: String::new(),
        country: country.to_string(),
        default_zone: "UTC".to_string(),
        notes: notes.to_string(),
    }
}

pub(crate) fn customers() -> Vec<DemoCustomer> {
    vec![
        DemoCustomer {
            customer: customer(
                "Northwind BPO",
                "IN / PH / BR",
                "Three centres working in shifts (the brief's BPO example).",
            ),
            licenses: brief::bpo_shifts()
                .into_iter()
                .map(|s| (s.name, s.terms))
                .collect(),
        },
        DemoCustomer {
            customer: customer(
                "Contoso Engineering",
                "",
                "Case 1: a fixed window, no daily limit.",
            ),
            licenses: vec![("Office hours, no daily limit", brief::case_1_fixed_window())],
        },
        DemoCustomer {
            customer: customer(
                "Fabrikam Analytics",
                "",
                "Case 2: no fixed window, a 3 h daily limit.",
            ),
            licenses: vec![("3 hours a day, at any time", brief::case_2_daily_limit())],
        },
        DemoCustomer {
            customer: customer(
                "Tailspin Design",
                "",
                "Case 3: a fixed window and a 3 h daily limit.",
            ),
            licenses: vec![(
                "3 hours a day, in office hours",
                brief::case_3_window_and_limit(),
            )],
        },
    ]
}
