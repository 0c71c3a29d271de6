//! The seats a roster needs, per quarter-hour of the customer's wall clock, over every day and
//! per weekday.
//!
//! A quarter-hour's demand is the peak number of agents working at the same instant inside it,
//! on any day of the roster (a plan licenses every day alike). An agent counts once however
//! many of their rows overlap (a shift row with activity rows on top, a roster merged twice).
//! The peak is exact: the roster's starts and ends are swept in time order, so two agents who
//! follow each other inside one quarter-hour need one seat, not two. Instants map to the zone's wall clock: on a DST day the
//! skipped quarter-hours need nothing, and a repeated one needs the larger of its two passes.

use crate::csv::{is_working, Shift};
use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

/// Quarter-hours in a wall-clock day.
pub const QUARTERS: usize = 96;

const QUARTER_MS: i64 = 15 * 60 * 1000;

/// Seats needed per quarter-hour of the wall clock (`slots[0]` is 00:00-00:15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    /// The peak per quarter-hour, over every day.
    pub slots: Vec<u32>,
    /// The peak per quarter-hour of each weekday (Monday first; 7 × 96). When the roster spans
    /// less than a week, a weekday it does not reach cannot be told apart from a day off, so
    /// every weekday then needs what the busiest day needs (`slots`).
    pub by_weekday: Vec<Vec<u32>>,
    /// Whether the roster spans a whole week of the customer's dates (then `by_weekday` is
    /// read from it; otherwise each row is `slots`).
    pub weekly: bool,
    /// Working shifts counted.
    pub shifts: usize,
    /// Shifts left out as breaks, meals or time off.
    pub not_working: usize,
    /// Agents with at least one working shift.
    pub agents: usize,
}

impl Demand {
    /// The highest demand of the day.
    pub fn peak(&self) -> u32 {
        self.slots.iter().copied().max().unwrap_or(0)
    }
}

/// The demand of `shifts` on the wall clock of `zone`.
pub fn demand(shifts: &[Shift], zone: Tz) -> Demand {
    let mut by_agent: std::collections::HashMap<&str, Vec<(i64, i64)>> = Default::default();
    let mut not_working = 0;
    for shift in shifts {
        if !is_working(&shift.activity) {
            not_working += 1;
            continue;
        }
        by_agent
            .entry(shift.agent.as_str())
            .or_default()
            .push((shift.start.timestamp_millis(), shift.end.timestamp_millis()));
    }
    let mut events: Vec<(i64, i32)> = Vec::with_capacity(shifts.len() * 2);
    for spans in by_agent.values_mut() {
        // Each agent's working time as disjoint spans: overlapping or touching rows merge.
        spans.sort_unstable();
        let mut merged: Option<(i64, i64)> = None;
        for &(start, end) in spans.iter() {
            merged = match merged {
                Some((s, e)) if start <= e => Some((s, e.max(end))),
                Some((s, e)) => {
                    events.push((s, 1));
                    events.push((e, -1));
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some((s, e)) = merged {
            events.push((s, 1));
            events.push((e, -1));
        }
    }
    // Ends before starts at the same instant: a shift is [start, end).
    events.sort_unstable();
    let mut by_weekday = vec![vec![0u32; QUARTERS]; 7];
    let mut count: i64 = 0;
    for (i, &(at, delta)) in events.iter().enumerate() {
        count += i64::from(delta);
        let Some(&(next, _)) = events.get(i + 1) else {
            break;
        };
        if next == at || count <= 0 {
            continue;
        }
        let seats = u32::try_from(count).unwrap_or(u32::MAX);
        let (first, last) = (at.div_euclid(QUARTER_MS), (next - 1).div_euclid(QUARTER_MS));
        for bucket in first..=last {
            let (weekday, slot) = wall_slot(zone, bucket * QUARTER_MS);
            by_weekday[weekday][slot] = by_weekday[weekday][slot].max(seats);
        }
    }
    let slots: Vec<u32> = (0..QUARTERS)
        .map(|q| by_weekday.iter().map(|day| day[q]).max().unwrap_or(0))
        .collect();
    // A week of the customer's dates, from the first working instant's to the last's.
    let dates = |at: Option<i64>| {
        at.and_then(|ms| zone.timestamp_millis_opt(ms).single())
            .map(|local| local.date_naive())
    };
    let weekly = match (
        dates(events.first().map(|e| e.0)),
        dates(events.last().map(|e| e.0 - 1)),
    ) {
        (Some(first), Some(last)) => (last - first).num_days() >= 6,
        _ => false,
    };
    if !weekly {
        by_weekday = vec![slots.clone(); 7];
    } else {
        // A wall quarter-hour a weekday never had in the roster's span (02:00 on the one Sunday
        // the clocks went forward) is not a time nobody works: it needs what that quarter-hour
        // needs on the busiest day, so no plan saves on a time that does not exist.
        let mut seen = vec![[false; QUARTERS]; 7];
        let mut unseen = 7 * QUARTERS;
        if let (Some(first), Some(last)) = (events.first(), events.last()) {
            let (from, to) = (
                first.0.div_euclid(QUARTER_MS),
                (last.0 - 1).div_euclid(QUARTER_MS),
            );
            for bucket in from..=to {
                let (weekday, slot) = wall_slot(zone, bucket * QUARTER_MS);
                if !std::mem::replace(&mut seen[weekday][slot], true) {
                    unseen -= 1;
                    if unseen == 0 {
                        break;
                    }
                }
            }
        }
        for (row, seen) in by_weekday.iter_mut().zip(&seen) {
            for q in 0..QUARTERS {
                if !seen[q] {
                    row[q] = slots[q];
                }
            }
        }
    }
    Demand {
        slots,
        by_weekday,
        weekly,
        shifts: shifts.len() - not_working,
        not_working,
        agents: by_agent.len(),
    }
}

/// The weekday (Monday 0) and wall-clock quarter-hour of `zone` an instant falls in.
fn wall_slot(zone: Tz, at_ms: i64) -> (usize, usize) {
    match zone.timestamp_millis_opt(at_ms).single() {
        Some(local) => (
            local.weekday().num_days_from_monday() as usize,
            ((local.hour() * 60 + local.minute()) / 15) as usize % QUARTERS,
        ),
        None => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(agent: &str, start: &str, end: &str, activity: &str) -> Shift {
        Shift {
            agent: agent.into(),
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
            activity: activity.into(),
        }
    }

    /// The brute-force oracle: every minute of the roster, counted agent by agent.
    fn by_minute(shifts: &[Shift], zone: Tz) -> Vec<u32> {
        let working: Vec<&Shift> = shifts.iter().filter(|s| is_working(&s.activity)).collect();
        let (Some(from), Some(to)) = (
            working.iter().map(|s| s.start).min(),
            working.iter().map(|s| s.end).max(),
        ) else {
            return vec![0; QUARTERS];
        };
        let mut slots = vec![0u32; QUARTERS];
        let mut t = from;
        while t < to {
            let n = working.iter().filter(|s| s.start <= t && t < s.end).count() as u32;
            let (_, slot) = wall_slot(zone, t.timestamp_millis());
            slots[slot] = slots[slot].max(n);
            t += chrono::TimeDelta::minutes(1);
        }
        slots
    }

    #[test]
    fn peaks_follow_each_other_not_add_up_and_breaks_need_no_seat() {
        let shifts = [
            shift("a", "2027-01-04T08:00:00Z", "2027-01-04T08:05:00Z", ""),
            shift("b", "2027-01-04T08:05:00Z", "2027-01-04T08:10:00Z", ""),
            shift("c", "2027-01-04T08:00:00Z", "2027-01-04T09:00:00Z", "Break"),
            shift("d", "2027-01-04T07:50:00Z", "2027-01-04T08:20:00Z", "Phone"),
            // Another day: the same quarter-hours, fewer agents; the peak is the busier day's.
            shift("e", "2027-01-05T08:00:00Z", "2027-01-05T08:10:00Z", ""),
        ];
        let d = demand(&shifts, "UTC".parse().unwrap());
        assert_eq!(d.slots[31], 1); // 07:45-08:00: d
        assert_eq!(d.slots[32], 2); // 08:00-08:15: a then b (one seat), and d
        assert_eq!(d.slots[33], 1);
        assert_eq!(d.slots[34], 0);
        assert_eq!((d.shifts, d.not_working, d.agents), (4, 1, 4));
        assert_eq!(d.slots, by_minute(&shifts, "UTC".parse().unwrap()));
    }

    #[test]
    fn an_agent_counts_once_however_their_rows_overlap() {
        let shifts = [
            shift("a", "2027-01-04T08:00:00Z", "2027-01-04T16:00:00Z", "Shift"),
            shift("a", "2027-01-04T08:00:00Z", "2027-01-04T12:00:00Z", "Phone"),
            shift("a", "2027-01-04T12:00:00Z", "2027-01-04T12:30:00Z", "Lunch"),
            shift("a", "2027-01-04T12:30:00Z", "2027-01-04T16:00:00Z", "Phone"),
            shift("b", "2027-01-04T10:00:00Z", "2027-01-04T11:00:00Z", ""),
            shift("b", "2027-01-04T11:00:00Z", "2027-01-04T13:00:00Z", ""),
        ];
        let d = demand(&shifts, "UTC".parse().unwrap());
        assert_eq!(d.peak(), 2);
        assert_eq!(
            (d.slots[32], d.slots[40], d.slots[48], d.slots[60]),
            (1, 2, 2, 1)
        );
        assert_eq!((d.shifts, d.not_working, d.agents), (5, 1, 2));
    }

    /// A week of New York nights (22:00-06:00) across the change to summer time: the one
    /// Sunday's 02:00-03:00 never existed, so it needs what the other days' 02:00 needs, and
    /// every weekday needs the same (nothing for a plan to save on a Sunday). Less than a week
    /// of nights, every weekday needs the busiest day's demand.
    #[test]
    fn a_week_across_spring_forward_has_the_same_demand_every_weekday() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let night = |day: u32| {
            let start = zone
                .with_ymd_and_hms(2027, 3, day, 22, 0, 0)
                .unwrap()
                .with_timezone(&chrono::Utc);
            Shift {
                agent: "N1".into(),
                start,
                end: zone
                    .with_ymd_and_hms(2027, 3, day + 1, 6, 0, 0)
                    .unwrap()
                    .with_timezone(&chrono::Utc),
                activity: String::new(),
            }
        };
        let week: Vec<Shift> = (10..17).map(night).collect();
        let d = demand(&week, zone);
        assert!(d.weekly);
        assert!(
            d.by_weekday.iter().all(|row| *row == d.slots),
            "{:?}",
            d.by_weekday
        );
        assert_eq!(d.slots[8], 1, "02:00 on the other days");
        let three: Vec<Shift> = (10..13).map(night).collect();
        let d = demand(&three, zone);
        assert!(!d.weekly);
        assert!(d.by_weekday.iter().all(|row| *row == d.slots));
    }

    #[test]
    fn dst_days_and_cross_midnight_match_a_minute_by_minute_count() {
        // New York: spring forward 14 March 2027, fall back 7 November 2027; shifts across
        // both and across midnight, at odd minutes.
        let zone: Tz = "America/New_York".parse().unwrap();
        let mut shifts = Vec::new();
        for (i, day) in ["2027-03-13", "2027-03-14", "2027-11-06", "2027-11-07"]
            .iter()
            .enumerate()
        {
            for k in 0..6 {
                let start: chrono::DateTime<chrono::Utc> =
                    format!("{day}T00:00:00Z").parse().unwrap();
                let start = start + chrono::TimeDelta::minutes(37 * k + 11 * i as i64 + 300);
                shifts.push(Shift {
                    agent: format!("a{i}{k}"),
                    start,
                    end: start + chrono::TimeDelta::minutes(90 + 53 * k),
                    activity: String::new(),
                });
            }
        }
        assert_eq!(demand(&shifts, zone).slots, by_minute(&shifts, zone));
    }
}
