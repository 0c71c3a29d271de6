//! The demo catalogue a first start creates: the brief's BPO and one customer per case.

use crate::{CatalogueError, NewCustomer};
use timefence_terms::{brief, Terms};

/// The demo's one product, priced as the brief prices it.
pub(crate) const PRODUCT: &str = "Timefence demo";

/// `terms` valid from 1 January to 31 December of `year`.
pub(crate) fn in_year(terms: &Terms, year: i32) -> Result<Terms, CatalogueError> {
    let mut spec = terms.to_spec();
    spec.license_start_date = format!("{year:04}-01-01");
    spec.license_end_date = format!("{year:04}-12-31");
    Ok(spec.validate()?)
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
