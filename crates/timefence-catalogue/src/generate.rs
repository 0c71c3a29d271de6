//! A synthetic catalogue of any size, for benchmarks and scale tests: customers spread over
//! zones, each with shift licenses whose windows, limits and weekdays vary.

use crate::{insert_customer, insert_license, Catalogue, CatalogueError, NewCustomer};
use timefence_terms::TermsSpec;

const ZONES: [&str; 8] = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Manila",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Asia/Kathmandu",
];
const PRODUCTS: [&str; 4] = ["Acme CAD", "Acme Render", "Acme Support", "Acme Analytics"];

fn hm(minutes: u64) -> String {
    format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60)
}

impl Catalogue {
    /// Adds `customers` generated customers with `licenses_each` licenses each, in one
    /// transaction; the same `seed` always gives the same catalogue.
    pub fn generate(
        &mut self,
        customers: u32,
        licenses_each: u32,
        seed: u64,
    ) -> Result<(), CatalogueError> {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let tx = self.conn.transaction()?;
        for c in 0..customers {
            let zone = ZONES[(next() % ZONES.len() as u64) as usize];
            let id = insert_customer(
                &tx,
                &NewCustomer {
                    name: format!(
                        "Generated customer {c:06} {}",
                        ["North", "South", "East", "West"][c as usize % 4]
                    ),
                    default_zone: zone.to_string(),
                    country: String::new(),
                    contact: String::new(),
                    notes: String::new(),
                },
            )?;
            for l in 0..licenses_each {
                let start = next() % 96 * 15;
                let length = 60 + next() % 48 * 15;
                let limited = next() % 3 == 0;
                let year = 2024 + next() % 3;
                let spec = TermsSpec {
                    license_start_date: format!("{year}-01-01"),
                    license_end_date: format!("{year}-12-31"),
                    daily_start_time: hm(start),
                    daily_end_time: hm(start + length),
                    daily_time_consumption_limit: limited
                        .then(|| format!("{}m", 30 + next() % (length - 30).max(1))),
                    time_zone: zone.to_string(),
                    weekdays: (next() % 4 == 0).then(|| {
                        ["Mon", "Tue", "Wed", "Thu", "Fri"]
                            .map(String::from)
                            .to_vec()
                    }),
                    seats: 1 + (next() % 200) as i64,
                    product: PRODUCTS[(next() % PRODUCTS.len() as u64) as usize].to_string(),
                    features: Default::default(),
                };
                let terms = spec.validate()?;
                insert_license(&tx, id, &format!("Shift {l} of {c:06}"), &terms)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
