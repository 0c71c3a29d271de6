//! Usage reports from the relay's event log.
//!
//! Every grant and renewal records the interval it charged, and every release the interval it
//! refunded (see [`Event`]). A lease's charges are disjoint and follow each other, and a
//! refund takes back the unused end of the last one, so the number of seats held at any
//! instant is exactly: charges covering it, minus refunds covering it. [`aggregate`] sweeps
//! those intervals once per license, giving each quarter-hour's peak and seat-seconds, and
//! counts refusals per quarter-hour and reason.
//!
//! The sweep takes the intervals sorted by license and start ([`ReportBuilder`]), keeping only
//! the ones open at the current instant: the storage sorts (on disk if it must) and streams,
//! so a month of tens of millions of events is reported in little memory.

use crate::model::{Event, Millis};
use std::collections::{BTreeMap, BTreeSet};
use timefence_license::usage::{LicenseUsage, Quarter, Refusals, QUARTER_SECONDS};

const QUARTER_MS: Millis = QUARTER_SECONDS * 1000;

/// How long before the period the event log is read: a charge recorded then can still cover
/// the period's first instants (a lease charges at most one TTL ahead, far less than this).
pub const LOOK_BEHIND_MS: Millis = 2 * 86_400_000;

/// A day in milliseconds.
pub const DAY_MS: Millis = 86_400_000;

/// The UTC date of `at`, as YYYY-MM-DD.
pub fn day_of(at: Millis) -> String {
    crate::logic::instant(at).date_naive().to_string()
}

/// The start of the quarter-hour `at` falls in.
pub fn quarter_of(at: Millis) -> Millis {
    at.div_euclid(QUARTER_MS) * QUARTER_MS
}

/// Refusals as the relay counts them: license, quarter-hour start (milliseconds), reason,
/// count.
pub type RefusalCount = (String, Millis, String, i64);

/// One charge (`sign` 1) or refund (`sign` -1) of seat time over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The license.
    pub license: String,
    /// Where it starts.
    pub start: Millis,
    /// Where it ends (after `start`).
    pub end: Millis,
    /// 1 for a charge, -1 for a refund.
    pub sign: i64,
}

impl Span {
    /// The span an event charged or refunded, if any (grants, renewals and releases do).
    pub fn of(event: &Event) -> Option<Span> {
        if !matches!(event.kind.as_str(), "granted" | "renewed" | "released") {
            return None;
        }
        let (start, end, sign) = if event.charged_from <= event.charged_to {
            (event.charged_from, event.charged_to, 1)
        } else {
            (event.charged_to, event.charged_from, -1)
        };
        (start < end).then(|| Span {
            license: event.license.clone(),
            start,
            end,
            sign,
        })
    }
}

/// Builds a report from spans that arrive sorted by license, then start, in memory that does
/// not grow with their number: per license it keeps only the spans that have started and not
/// ended (a few per seat), so a month of tens of millions of events streams through.
pub struct ReportBuilder {
    from: Millis,
    to: Millis,
    /// Spans count from here (after the folded days; `from` when none are).
    raw_from: Millis,
    done: Vec<LicenseUsage>,
    current: Option<Sweep>,
    folded: BTreeMap<String, Vec<Quarter>>,
    holders: BTreeMap<String, BTreeSet<String>>,
    refusals: BTreeMap<String, BTreeMap<(Millis, String), u32>>,
    /// Distinct holders refused per (license, quarter-hour, reason).
    refused_holders: BTreeMap<(String, Millis, String), u32>,
}

/// One license's sweep through time.
struct Sweep {
    license: String,
    /// Seat count changes still ahead: instant -> delta.
    ahead: BTreeMap<Millis, i64>,
    held: i64,
    point: Millis,
    quarters: Vec<Quarter>,
}

impl Sweep {
    fn new(license: String) -> Sweep {
        Sweep {
            license,
            ahead: BTreeMap::new(),
            held: 0,
            point: Millis::MIN,
            quarters: Vec::new(),
        }
    }

    /// Walks the seat count up to `until`, summing it into quarter-hours.
    fn advance(&mut self, until: Millis) {
        while let Some(entry) = self.ahead.first_entry() {
            if *entry.key() > until {
                break;
            }
            let (at, delta) = entry.remove_entry();
            self.hold_until(at);
            self.held += delta;
        }
        self.hold_until(until);
    }

    /// `[point, at)` held `held` seats.
    fn hold_until(&mut self, at: Millis) {
        if self.held > 0 && self.point != Millis::MIN {
            let mut start = self.point;
            while start < at {
                let quarter = quarter_of(start);
                let end = at.min(quarter + QUARTER_MS);
                let seats = u32::try_from(self.held).unwrap_or(u32::MAX);
                match self.quarters.last_mut() {
                    Some(q) if q.start * 1000 == quarter => {
                        q.peak = q.peak.max(seats);
                        q.seat_seconds += self.held * (end - start);
                    }
                    _ => self.quarters.push(Quarter {
                        start: quarter / 1000,
                        peak: seats,
                        seat_seconds: self.held * (end - start),
                    }),
                }
                start = end;
            }
        }
        self.point = self.point.max(at);
    }

    fn finish(mut self) -> (String, Vec<Quarter>) {
        self.advance(Millis::MAX);
        // Summed in seat-milliseconds, so no rounding gathers; reported in whole seat-seconds.
        for q in &mut self.quarters {
            q.seat_seconds /= 1000;
        }
        (self.license, self.quarters)
    }
}

impl ReportBuilder {
    /// A report of `[from, to)` (milliseconds).
    pub fn new(from: Millis, to: Millis) -> ReportBuilder {
        ReportBuilder {
            from,
            to,
            raw_from: from,
            done: Vec::new(),
            current: None,
            folded: BTreeMap::new(),
            holders: BTreeMap::new(),
            refusals: BTreeMap::new(),
            refused_holders: BTreeMap::new(),
        }
    }

    /// The instants before `at` come from folded quarter-hours ([`ReportBuilder::folded`]),
    /// not from spans.
    pub fn spans_from(&mut self, at: Millis) {
        self.raw_from = at.max(self.from);
    }

    /// A quarter-hour folded earlier (before [`ReportBuilder::spans_from`]); in order.
    pub fn folded(&mut self, license: &str, quarter: Quarter) {
        let start = quarter.start * 1000;
        if start >= self.from && start < self.to.min(self.raw_from) {
            self.folded
                .entry(license.to_string())
                .or_default()
                .push(quarter);
        }
    }

    /// The next span: spans must come sorted by license, then start.
    pub fn span(&mut self, span: &Span) {
        let (start, end) = (span.start.max(self.raw_from), span.end.min(self.to));
        if start >= end {
            return;
        }
        if self
            .current
            .as_ref()
            .is_none_or(|s| s.license != span.license)
        {
            self.close_license();
            self.current = Some(Sweep::new(span.license.clone()));
        }
        if let Some(sweep) = self.current.as_mut() {
            sweep.advance(start);
            *sweep.ahead.entry(start).or_default() += span.sign;
            *sweep.ahead.entry(end).or_default() -= span.sign;
        }
    }

    /// A holder that used a license in the period (counted once however often given).
    pub fn holder(&mut self, license: &str, holder: &str) {
        self.holders
            .entry(license.to_string())
            .or_default()
            .insert(holder.to_string());
    }

    /// The distinct holders refused in a quarter-hour for a reason.
    pub fn refused_holders(&mut self, license: &str, quarter: Millis, reason: &str, holders: i64) {
        if (self.from..self.to).contains(&quarter) {
            self.refused_holders.insert(
                (license.to_string(), quarter, reason.to_string()),
                u32::try_from(holders).unwrap_or(u32::MAX),
            );
        }
    }

    /// Refusals counted in a quarter-hour (added to any already given for it).
    pub fn refusals(&mut self, license: &str, quarter: Millis, reason: &str, count: i64) {
        if (self.from..self.to).contains(&quarter) {
            *self
                .refusals
                .entry(license.to_string())
                .or_default()
                .entry((quarter, reason.to_string()))
                .or_default() += u32::try_from(count).unwrap_or(u32::MAX);
        }
    }

    fn close_license(&mut self) {
        if let Some(sweep) = self.current.take() {
            let (license, quarters) = sweep.finish();
            self.done.push(LicenseUsage {
                license,
                distinct_holders: 0,
                quarters,
                refusals: Vec::new(),
            });
        }
    }

    /// The report, per license; licenses with neither use nor refusals left out.
    pub fn finish(mut self) -> Vec<LicenseUsage> {
        self.close_license();
        let mut by_license: BTreeMap<String, LicenseUsage> = BTreeMap::new();
        // Folded days come first in time, then the days still in events.
        for (license, quarters) in self.folded {
            by_license.insert(
                license.clone(),
                LicenseUsage {
                    license,
                    distinct_holders: 0,
                    quarters,
                    refusals: Vec::new(),
                },
            );
        }
        for usage in self.done.into_iter().filter(|u| !u.quarters.is_empty()) {
            match by_license.get_mut(&usage.license) {
                Some(existing) => existing.quarters.extend(usage.quarters),
                None => {
                    by_license.insert(usage.license.clone(), usage);
                }
            }
        }
        for (license, refusals) in self.refusals {
            let name = license.clone();
            let usage = by_license
                .entry(license.clone())
                .or_insert_with(|| LicenseUsage {
                    license: name,
                    distinct_holders: 0,
                    quarters: Vec::new(),
                    refusals: Vec::new(),
                });
            usage.refusals = refusals
                .into_iter()
                .map(|((start, reason), count)| Refusals {
                    start: start / 1000,
                    holders: self
                        .refused_holders
                        .get(&(license.clone(), start, reason.clone()))
                        .copied(),
                    reason,
                    count,
                })
                .collect();
        }
        for (license, usage) in &mut by_license {
            usage.distinct_holders = self
                .holders
                .get(license)
                .map_or(0, |h| u32::try_from(h.len()).unwrap_or(u32::MAX));
        }
        by_license.into_values().collect()
    }
}

/// The usage in `[from, to)` (milliseconds) per license, from events recorded in
/// `[from - LOOK_BEHIND_MS, to)` and the refusals counted in quarter-hours in `[from, to)`,
/// all in memory (the storage streams the same through [`ReportBuilder`]). Licenses with
/// neither use nor refusals are left out.
pub fn aggregate(
    events: &[Event],
    refusals: &[RefusalCount],
    from: Millis,
    to: Millis,
) -> Vec<LicenseUsage> {
    let mut builder = ReportBuilder::new(from, to);
    let mut spans: Vec<Span> = events.iter().filter_map(Span::of).collect();
    spans.sort_by(|a, b| (&a.license, a.start).cmp(&(&b.license, b.start)));
    for span in &spans {
        builder.span(span);
    }
    for event in events {
        if let (Some(span), Some(holder)) = (Span::of(event), &event.holder) {
            if span.sign > 0 && span.start < to && span.end > from {
                builder.holder(&event.license, holder);
            }
        }
        if event.kind == "refused" {
            builder.refusals(
                &event.license,
                quarter_of(event.at),
                event.reason.as_deref().unwrap_or(""),
                1,
            );
        }
    }
    for (license, quarter, reason, count) in refusals {
        builder.refusals(license, *quarter, reason, *count);
    }
    builder.finish()
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
                count: 3,
                holders: None,
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
