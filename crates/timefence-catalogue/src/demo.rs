//! The demo catalogue a first start creates: the brief's BPO and one customer per case.

use crate::NewCustomer;
use timefence_terms::{brief, Terms};

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
            licenses: vec![("Case 1 fixed window", brief::case_1_fixed_window())],
        },
        DemoCustomer {
            customer: customer(
                "Fabrikam Analytics",
                "",
                "Case 2: no fixed window, a 3 h daily limit.",
            ),
            licenses: vec![("Case 2 daily limit", brief::case_2_daily_limit())],
        },
        DemoCustomer {
            customer: customer(
                "Tailspin Design",
                "",
                "Case 3: a fixed window and a 3 h daily limit.",
            ),
            licenses: vec![("Case 3 window and limit", brief::case_3_window_and_limit())],
        },
    ]
}
