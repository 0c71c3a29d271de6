//! Use by time of day: what the timeline draws over each license's bar, and what the Forecast
//! screen sets against the licensed demand.
//!
//! Reports count per quarter-hour of each day; the timeline shows one day. So each license's
//! quarter-hours are folded onto the wall clock of the zone the timeline reads (96 quarters,
//! 00:00 to 23:45): the **peak** is the most seats held in that quarter on any day, and the
//! **95th percentile** the level that 95 % of the open days stayed at or below (nearest rank,
//! an open quarter-hour nobody used counting as 0). Seat-seconds add up across licenses and
//! customers exactly, so the Forecast's actual line is their mean over the reported days;
//! peaks do not add up (two licenses' peaks need not coincide), and are shown per license.

use crate::{reports, use_of, LicenseUse, UsageError};
use std::collections::BTreeMap;
use timefence_catalogue::{Catalogue, CustomerId, LicenseId};
use timefence_terms::chrono::{DateTime, Timelike};
use timefence_terms::chrono_tz::Tz;

/// Quarter-hours in a wall-clock day.
pub const QUARTERS_PER_DAY: u16 = 96;

/// One quarter-hour of the wall-clock day, over the reports' days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayQuarter {
    /// Which quarter: minutes after midnight / 15 (0 is 00:00-00:15, 95 is 23:45-24:00).
    pub index: u16,
    /// The most seats held at once in it on any day.
    pub peak: u32,
    /// The 95th percentile of the seats held in it over the days it was open.
    pub p95: u32,
    /// Seat-seconds used in it over all days.
    pub seat_seconds: i64,
}

/// Refusals in one quarter-hour of the wall-clock day, for one reason, over all days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusalsAt {
    /// Which quarter (as [`DayQuarter::index`]).
    pub index: u16,
    /// `SeatsFull`, `OutsideWindow`, `ConsumptionExhausted`, ...
    pub reason: String,
    /// How many.
    pub count: u32,
}

/// One license's use folded onto a day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayProfile {
    /// The license.
    pub license_id: LicenseId,
    /// Its seats, the scale the peaks are read against.
    pub seats: u32,
    /// Days the reports cover.
    pub days: u32,
    /// The quarters it was open or used in, in order (the others had nothing to show).
    pub quarters: Vec<DayQuarter>,
    /// Refusals by quarter and reason, in order.
    pub refusals: Vec<RefusalsAt>,
}

/// Maps instants to their quarter of the wall-clock day in one zone. The zone is asked once
/// per UTC quarter-hour of a prepared period (zones change offset on a quarter-hour: Lord Howe
/// and Newfoundland on the half hour) and the answers kept in a table, so folding a year of
/// ten licenses asks it 35,000 times, not 350,000; instants outside the period are asked
/// directly.
pub struct WallQuarters {
    zone: Tz,
    first: i64,
    table: Vec<u16>,
}

impl WallQuarters {
    /// The wall clock of `zone`.
    pub fn new(zone: Tz) -> WallQuarters {
        WallQuarters {
            zone,
            first: 0,
            table: Vec::new(),
        }
    }

    /// Keeps the answers for every quarter-hour from `from` to `to` (seconds since 1970),
    /// replacing those kept before.
    pub fn prepare(&mut self, from: i64, to: i64) {
        self.first = from.div_euclid(900);
        let last = to.div_euclid(900);
        self.table = (self.first..=last).map(|q| self.ask(q * 900)).collect();
    }

    fn ask(&self, at: i64) -> u16 {
        DateTime::from_timestamp(at, 0).map_or(0, |t| {
            let local = t.with_timezone(&self.zone);
            ((local.hour() * 60 + local.minute()) / 15) as u16
        })
    }

    /// The quarter of the day (0..96) that the instant `at` (seconds since 1970) falls in.
    pub fn index(&self, at: i64) -> u16 {
        // Every offset in use is a multiple of 15 minutes, so an instant shares its UTC
        // quarter-hour's wall quarter.
        usize::try_from(at.div_euclid(900) - self.first)
            .ok()
            .and_then(|i| self.table.get(i).copied())
            .unwrap_or_else(|| self.ask(at))
    }
}

/// The nearest-rank 95th percentile of `samples` (sorted in place); 0 for none.
fn p95(samples: &mut [u32]) -> u32 {
    if samples.is_empty() {
        return 0;
    }
    let rank = (samples.len() * 95).div_ceil(100).max(1);
    let (_, value, _) = samples.select_nth_unstable(rank - 1);
    *value
}

/// `used` folded onto the wall-clock day of `wall`'s zone.
pub fn fold(used: &LicenseUse, wall: &WallQuarters) -> DayProfile {
    let slots = usize::from(QUARTERS_PER_DAY);
    let mut samples: Vec<Vec<u32>> = vec![Vec::new(); slots];
    let mut seat_seconds = vec![0i64; slots];
    // Both lists are sorted by start: walk them together. An open quarter-hour nobody used is
    // a sample of 0; use outside the open quarters (a lease granted just before a change of
    // terms) is still use, and joins the samples rather than vanish.
    let mut open = used.open_quarters.iter().peekable();
    for q in &used.quarters {
        while let Some(start) = open.next_if(|s| **s < q.start) {
            samples[usize::from(wall.index(*start))].push(0);
        }
        open.next_if(|s| **s == q.start);
        let index = usize::from(wall.index(q.start));
        samples[index].push(q.peak);
        seat_seconds[index] += q.seat_seconds;
    }
    for start in open {
        samples[usize::from(wall.index(*start))].push(0);
    }
    let quarters = samples
        .iter_mut()
        .zip(&seat_seconds)
        .enumerate()
        .filter(|(_, (s, _))| !s.is_empty())
        .map(|(index, (s, used))| DayQuarter {
            index: index as u16,
            peak: s.iter().copied().max().unwrap_or(0),
            p95: p95(s),
            seat_seconds: *used,
        })
        .collect();
    let mut refusals: BTreeMap<(u16, String), u32> = BTreeMap::new();
    for ((start, reason), count) in &used.refused {
        *refusals
            .entry((wall.index(*start), reason.clone()))
            .or_default() += count;
    }
    DayProfile {
        license_id: used.license_id,
        seats: used.seats,
        days: used.days,
        quarters,
        refusals: refusals
            .into_iter()
            .map(|((index, reason), count)| RefusalsAt {
                index,
                reason,
                count,
            })
            .collect(),
    }
}

/// The wall clock of `zone` prepared for the days of `reports`, and a day either side for
/// windows and refusals that cross a report's edge.
fn wall_for(zone: Tz, reports: &[crate::Period]) -> WallQuarters {
    let mut wall = WallQuarters::new(zone);
    let from = reports.iter().map(|(_, s, _)| s.timestamp()).min();
    let to = reports.iter().map(|(_, _, e)| e.timestamp()).max();
    if let (Some(from), Some(to)) = (from, to) {
        wall.prepare(from - 86_400, to + 86_400);
    }
    wall
}

/// Each reported license of `customer`, its use folded onto the wall-clock day of `zone`.
pub fn day_profiles(
    catalogue: &Catalogue,
    customer: CustomerId,
    zone: Tz,
) -> Result<Vec<DayProfile>, UsageError> {
    // The stored reports are read once, for the clock table and for every license.
    let reports = reports(catalogue, customer)?;
    let wall = wall_for(zone, &reports);
    Ok(catalogue
        .licenses_of(customer)?
        .iter()
        .map(|l| use_of(l, &reports))
        .filter(|u| u.reported)
        .map(|u| fold(&u, &wall))
        .collect())
}

/// One customer's use against what it licenses, over its reported days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomerUse {
    /// The customer.
    pub customer_id: CustomerId,
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
    /// Seat-seconds those licenses allowed over those days.
    pub licensed_seat_seconds: i64,
    /// Seat-seconds used.
    pub used_seat_seconds: i64,
    /// Used against licensed, in basis points.
    pub utilisation_basis_points: i64,
    /// Refusals of every reason.
    pub refusals: u32,
}

/// Use against licensed, over every customer with reports (or `only` those), with each
/// customer's use added per quarter of the wall-clock day of `zone`: mean seats in use over
/// its reported days, summed over customers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Portfolio {
    /// Per customer, by name.
    pub customers: Vec<CustomerUse>,
    /// Per quarter of the day (96): mean seats in use.
    pub mean_in_use: Vec<f64>,
}

/// The portfolio of `only` those customers (every customer with reports when empty).
pub fn portfolio(
    catalogue: &Catalogue,
    only: &[CustomerId],
    zone: Tz,
) -> Result<Portfolio, UsageError> {
    let mut customers = Vec::new();
    let mut mean_in_use = vec![0f64; usize::from(QUARTERS_PER_DAY)];
    for id in catalogue.customers_with_usage()? {
        if !only.is_empty() && !only.contains(&id) {
            continue;
        }
        let reports = reports(catalogue, id)?;
        let (Some(first), Some(last)) = (reports.first(), reports.last()) else {
            continue;
        };
        let (from, to) = (first.0.from.clone(), last.0.to.clone());
        let wall = wall_for(zone, &reports);
        let customer = catalogue.customer(id)?;
        let used: Vec<LicenseUse> = catalogue
            .licenses_of(id)?
            .iter()
            .map(|l| use_of(l, &reports))
            .filter(|u| u.reported)
            .collect();
        let days = used.first().map_or(0, |u| u.days);
        let licensed: i64 = used.iter().map(|u| u.licensed_seat_seconds).sum();
        let spent: i64 = used.iter().map(|u| u.used_seat_seconds).sum();
        if days > 0 {
            let per_quarter = f64::from(days) * timefence_license::usage::QUARTER_SECONDS as f64;
            for q in used.iter().flat_map(|u| &u.quarters) {
                mean_in_use[usize::from(wall.index(q.start))] +=
                    q.seat_seconds as f64 / per_quarter;
            }
        }
        customers.push(CustomerUse {
            customer_id: id,
            name: customer.name,
            from,
            to,
            days,
            licenses: u32::try_from(used.len()).unwrap_or(u32::MAX),
            licensed_seat_seconds: licensed,
            used_seat_seconds: spent,
            utilisation_basis_points: if licensed > 0 {
                spent * 10_000 / licensed
            } else {
                0
            },
            refusals: used.iter().flat_map(|u| u.refusals.values()).sum(),
        });
    }
    customers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Portfolio {
        customers,
        mean_in_use,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_95th_percentile_is_the_nearest_rank() {
        // 20 samples: rank 19 of the sorted list.
        let mut samples: Vec<u32> = (1..=20).rev().collect();
        assert_eq!(p95(&mut samples), 19);
        assert_eq!(p95(&mut [7]), 7);
        assert_eq!(p95(&mut []), 0);
        // 100 samples, 5 of them high: the 95th stays below them.
        let mut samples = vec![10; 95];
        samples.extend([50; 5]);
        assert_eq!(p95(&mut samples), 10);
        samples.push(50);
        assert_eq!(p95(&mut samples), 50);
    }

    /// Every instant of two years against the zone's own answer, in zones with a DST change,
    /// a half-hour and a three-quarter-hour offset.
    #[test]
    fn wall_quarters_agree_with_the_zone_at_every_quarter_hour() {
        for zone in [
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "America/St_Johns",
            "UTC",
        ] {
            let tz: Tz = zone.parse().unwrap();
            let mut wall = WallQuarters::new(tz);
            let start = 1_704_067_200; // 2024-01-01
                                       // The table covers the first year; the second is asked directly.
            wall.prepare(start, start + 366 * 86_400);
            for step in 0..(2 * 366 * 96) {
                let at = start + step * 900 + (step % 7) * 60;
                let local = DateTime::from_timestamp(at, 0).unwrap().with_timezone(&tz);
                let expected = ((local.hour() * 60 + local.minute()) / 15) as u16;
                assert_eq!(wall.index(at), expected, "{zone} at {at}");
            }
        }
    }
}
