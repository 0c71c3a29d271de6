//! Usage reports from the relay's event log.
//!
//! Every grant and renewal records the interval it charged, and every release the interval it
//! refunded (see [`Event`]). A lease's charges are disjoint and follow each other, and a
//! refund takes back the unused end of the last one, so the number of seats held at any
//! instant is exactly: charges covering it, minus refunds covering it. [`aggregate`] sweeps
//! those intervals once per license, giving each quarter-hour's peak and seat-seconds, and
//! counts refusals per quarter-hour and reason.

use crate::model::{Event, Millis};
use std::collections::{BTreeMap, BTreeSet};
use timefence_license::usage::{LicenseUsage, Quarter, Refusals, QUARTER_SECONDS};

const QUARTER_MS: Millis = QUARTER_SECONDS * 1000;

/// How long before the period the event log is read: a charge recorded then can still cover
/// the period's first instants (a lease charges at most one TTL ahead, far less than this).
pub const LOOK_BEHIND_MS: Millis = 2 * 86_400_000;

/// The start of the quarter-hour `at` falls in.
pub fn quarter_of(at: Millis) -> Millis {
    at.div_euclid(QUARTER_MS) * QUARTER_MS
}

/// Refusals as the relay counts them: license, quarter-hour start (milliseconds), reason,
/// count.
pub type RefusalCount = (String, Millis, String, i64);

/// The usage in `[from, to)` (milliseconds) per license, from events recorded in
/// `[from - LOOK_BEHIND_MS, to)` and the refusals counted in quarter-hours in `[from, to)`.
/// Licenses with neither use nor refusals are left out.
pub fn aggregate(
    events: &[Event],
    refusals: &[RefusalCount],
    from: Millis,
    to: Millis,
) -> Vec<LicenseUsage> {
    #[derive(Default)]
    struct Seen {
        /// Seat count changes: instant -> delta.
        deltas: BTreeMap<Millis, i64>,
        holders: BTreeSet<String>,
        refusals: BTreeMap<(Millis, String), u32>,
    }
    let mut licenses: BTreeMap<&str, Seen> = BTreeMap::new();
    for (license, quarter, reason, count) in refusals {
        if (from..to).contains(quarter) {
            *licenses
                .entry(license)
                .or_default()
                .refusals
                .entry((*quarter, reason.clone()))
                .or_default() += u32::try_from(*count).unwrap_or(u32::MAX);
        }
    }
    for event in events {
        let seen = licenses.entry(&event.license).or_default();
        match event.kind.as_str() {
            "refused" if (from..to).contains(&event.at) => {
                let reason = event.reason.clone().unwrap_or_default();
                *seen
                    .refusals
                    .entry((quarter_of(event.at), reason))
                    .or_default() += 1;
            }
            "granted" | "renewed" | "released" => {
                // A charge [from, to) adds a seat; a refund (written reversed) takes it back.
                let (start, end, sign) = if event.charged_from <= event.charged_to {
                    (event.charged_from, event.charged_to, 1)
                } else {
                    (event.charged_to, event.charged_from, -1)
                };
                let (start, end) = (start.max(from), end.min(to));
                if start < end {
                    *seen.deltas.entry(start).or_default() += sign;
                    *seen.deltas.entry(end).or_default() -= sign;
                    if sign > 0 {
                        if let Some(holder) = &event.holder {
                            seen.holders.insert(holder.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    licenses
        .into_iter()
        .filter_map(|(license, seen)| {
            let quarters = quarters(&seen.deltas);
            let refusals: Vec<Refusals> = seen
                .refusals
                .into_iter()
                .map(|((start, reason), count)| Refusals {
                    start: start / 1000,
                    reason,
                    count,
                })
                .collect();
            (!quarters.is_empty() || !refusals.is_empty()).then(|| LicenseUsage {
                license: license.to_string(),
                distinct_holders: u32::try_from(seen.holders.len()).unwrap_or(u32::MAX),
                quarters,
                refusals,
            })
        })
        .collect()
}

/// Walks the seat count through time and sums it per quarter-hour.
fn quarters(deltas: &BTreeMap<Millis, i64>) -> Vec<Quarter> {
    let mut out: Vec<Quarter> = Vec::new();
    let mut held: i64 = 0;
    let mut points = deltas.iter().peekable();
    while let Some((&at, &delta)) = points.next() {
        held += delta;
        let Some((&next, _)) = points.peek() else {
            break;
        };
        if held <= 0 {
            continue;
        }
        // [at, next) holds `held` seats; spread it over the quarter-hours it touches.
        let mut start = at;
        while start < next {
            let quarter = quarter_of(start);
            let end = next.min(quarter + QUARTER_MS);
            let seats = u32::try_from(held).unwrap_or(u32::MAX);
            match out.last_mut() {
                Some(q) if q.start * 1000 == quarter => {
                    q.peak = q.peak.max(seats);
                    q.seat_seconds += held * (end - start);
                }
                _ => out.push(Quarter {
                    start: quarter / 1000,
                    peak: seats,
                    seat_seconds: held * (end - start),
                }),
            }
            start = end;
        }
    }
    // Summed in seat-milliseconds, so no rounding gathers; reported in whole seat-seconds.
    for q in &mut out {
        q.seat_seconds /= 1000;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, license: &str, holder: &str, from: Millis, to: Millis) -> Event {
        Event {
            at: from.min(to),
            license: license.into(),
            lease: Some(format!("{holder}-lease")),
            holder: Some(holder.into()),
            kind: kind.into(),
            reason: None,
            charged_from: from,
            charged_to: to,
            occurrence: Some("2027-03-01".into()),
        }
    }

    const Q: Millis = QUARTER_MS;

    #[test]
    fn charges_renewals_and_refunds_become_quarter_hours() {
        // a: granted 0-60 s, renewed to 20 min, released at 10 min (refund 10-20 min).
        // b: granted at 5 min for 20 min (to 25 min), never released.
        let events = [
            event("granted", "L", "a", 0, 60_000),
            event("renewed", "L", "a", 60_000, 20 * 60_000),
            event("released", "L", "a", 20 * 60_000, 10 * 60_000),
            event("granted", "L", "b", 5 * 60_000, 25 * 60_000),
            Event {
                reason: Some("SeatsFull".into()),
                ..event("refused", "L", "c", 7 * 60_000, 7 * 60_000)
            },
        ];
        let usage = aggregate(&events, &[("L".into(), 0, "SeatsFull".into(), 2)], 0, 2 * Q);
        assert_eq!(usage.len(), 1);
        let l = &usage[0];
        assert_eq!(l.distinct_holders, 2);
        assert_eq!(
            l.quarters,
            [
                // 0-5 min: 1 seat; 5-10 min: 2 seats; 10-15 min: 1 seat.
                Quarter {
                    start: 0,
                    peak: 2,
                    seat_seconds: 300 + 600 + 300
                },
                // 15-25 min: b alone.
                Quarter {
                    start: 900,
                    peak: 1,
                    seat_seconds: 600
                },
            ]
        );
        assert_eq!(
            l.refusals,
            // One from an old database's event row, two counted.
            [Refusals {
                start: 0,
                reason: "SeatsFull".into(),
                count: 3
            }]
        );
    }

    #[test]
    fn the_period_clips_what_it_shows() {
        let events = [event("granted", "L", "a", 0, 2 * Q)];
        let usage = aggregate(&events, &[], Q, 3 * Q);
        assert_eq!(
            usage[0].quarters,
            [Quarter {
                start: 900,
                peak: 1,
                seat_seconds: 900
            }]
        );
        assert!(aggregate(&events, &[], 2 * Q, 3 * Q).is_empty());
    }
}
