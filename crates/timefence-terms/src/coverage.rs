//! Concurrent seats over a day of any display zone, and the pieces a timeline draws.

use crate::clock::{resolve_local, WallTime, SECONDS_PER_DAY};
use crate::terms::Terms;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// A day of a display zone: from its local midnight to the next (or from another wall time,
/// the axis start, to the same wall time a day later), in real seconds.
///
/// A DST day is 23 or 25 hours long (82,800 or 90,000 seconds), and so is its axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DisplayDay {
    /// The local date shown.
    pub date: NaiveDate,
    /// The zone whose wall clock the day follows.
    #[serde(serialize_with = "serialize_zone")]
    pub zone: Tz,
    /// The instant the day starts.
    pub starts: DateTime<Utc>,
    /// The instant the next day starts.
    pub ends: DateTime<Utc>,
}

fn serialize_zone<S: serde::Serializer>(zone: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(zone.name())
}

impl DisplayDay {
    /// The day `date` on the wall clock of `zone`.
    pub fn new(date: NaiveDate, zone: Tz) -> DisplayDay {
        DisplayDay::starting_at(date, zone, WallTime::MIDNIGHT)
    }

    /// The day `date` of `zone` read from `axis_start` to `axis_start` on the next date, so
    /// that a night shift (22:00-06:00) reads as one bar on an axis that starts at 06:00.
    /// `24:00` counts as midnight.
    pub fn starting_at(date: NaiveDate, zone: Tz, axis_start: WallTime) -> DisplayDay {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(
            axis_start.seconds() % SECONDS_PER_DAY,
            0,
        )
        .unwrap_or(NaiveTime::MIN);
        let starts = resolve_local(zone, date.and_time(time));
        let next = date.succ_opt().unwrap_or(date);
        let ends = resolve_local(zone, next.and_time(time));
        DisplayDay {
            date,
            zone,
            starts,
            ends,
        }
    }

    /// The day's length in real seconds.
    pub fn length_seconds(&self) -> u32 {
        u32::try_from((self.ends - self.starts).num_seconds()).unwrap_or(0)
    }

    /// Seconds from the day's start to `instant`, clamped to the day.
    pub fn offset_of(&self, instant: DateTime<Utc>) -> u32 {
        let offset = (instant - self.starts)
            .num_seconds()
            .clamp(0, i64::from(self.length_seconds()));
        offset as u32
    }

    /// Seconds from the day's start to `instant`, or `None` when it falls outside the day.
    pub fn offset_within(&self, instant: DateTime<Utc>) -> Option<u32> {
        (self.starts <= instant && instant < self.ends).then(|| self.offset_of(instant))
    }

    /// The wall time `zone` shows `offset_seconds` into the day, to the minute (rounded down).
    pub fn wall_time_at(&self, offset_seconds: u32, zone: Tz) -> WallTime {
        let at =
            self.starts + TimeDelta::seconds(i64::from(offset_seconds.min(self.length_seconds())));
        let local = at.with_timezone(&zone).time();
        WallTime::from_seconds(local.num_seconds_from_midnight() / 60 * 60)
            .unwrap_or(WallTime::MIDNIGHT)
    }

    /// Marks at every real hour from the day's start, labelled with the wall time the display
    /// zone shows then (on a DST day a label is skipped or shown twice, as the clock does).
    pub fn hour_marks(&self) -> Vec<HourMark> {
        (0..=self.length_seconds() / 3600)
            .map(|hour| {
                let offset_seconds = hour * 3600;
                let wall = self.wall_time_at(offset_seconds, self.zone).to_string();
                // The end of a midnight-to-midnight axis reads 24:00, not a second 00:00.
                let label = if offset_seconds == self.length_seconds() && wall == "00:00" {
                    "24:00".to_string()
                } else {
                    wall
                };
                HourMark {
                    offset_seconds,
                    label,
                }
            })
            .collect()
    }
}

/// A tick on the timeline's axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourMark {
    /// Real seconds since the day's start.
    pub offset_seconds: u32,
    /// The wall time shown in the display zone.
    pub label: String,
}

/// A part of one window occurrence that falls inside a display day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Real seconds since the day's start at which the piece begins.
    pub from_seconds: u32,
    /// Real seconds since the day's start at which the piece ends (exclusive).
    pub to_seconds: u32,
    /// The local date (in the license's zone) on which its window opened.
    pub occurrence_date: NaiveDate,
    /// Whether the window opened before this day started (the piece continues a bar).
    pub continues_from_previous_day: bool,
    /// Whether the window closes after this day ends (the piece continues on the next).
    pub continues_into_next_day: bool,
    /// Where, in seconds since the day's start, the daily consumption limit of this occurrence
    /// runs out when the window is used from its opening (clamped to the day); `None` when the
    /// license has no limit or the limit covers the whole window.
    pub limit_reached_at: Option<u32>,
}

/// The pieces of `terms`' windows that fall inside `day`: two for a window that crosses the
/// display day's midnight, none on a day the license does not open.
pub fn segments(terms: &Terms, day: &DisplayDay) -> Vec<Segment> {
    terms
        .occurrences(day.starts, day.ends)
        .into_iter()
        .map(|o| Segment {
            from_seconds: day.offset_of(o.opens),
            to_seconds: day.offset_of(o.closes),
            occurrence_date: o.date,
            continues_from_previous_day: o.opens < day.starts,
            continues_into_next_day: o.closes > day.ends,
            limit_reached_at: terms
                .daily_limit
                .map(|limit| o.opens + limit)
                .filter(|runs_out| *runs_out < o.closes)
                .map(|runs_out| day.offset_of(runs_out)),
        })
        .collect()
}

/// A stretch of a day during which the number of concurrent seats does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Real seconds since the day's start.
    pub from_seconds: u32,
    /// Real seconds since the day's start (exclusive).
    pub to_seconds: u32,
    /// Seats in use if every license ran full.
    pub seats: u64,
}

/// Concurrent seats across a day, as a step function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The day covered.
    pub day: DisplayDay,
    /// Consecutive steps from 0 to the day's length; neighbours differ in seats.
    pub steps: Vec<Step>,
}

impl Coverage {
    /// The coverage of `licenses` over `day`.
    pub fn of<'a>(licenses: impl IntoIterator<Item = &'a Terms>, day: &DisplayDay) -> Coverage {
        let mut changes: Vec<(u32, i64)> = Vec::new();
        for terms in licenses {
            for segment in segments(terms, day) {
                changes.push((segment.from_seconds, i64::from(terms.seats)));
                changes.push((segment.to_seconds, -i64::from(terms.seats)));
            }
        }
        changes.sort_unstable_by_key(|(at, _)| *at);
        let length = day.length_seconds();
        let mut steps: Vec<Step> = Vec::new();
        let mut seats: i64 = 0;
        let mut cursor = 0u32;
        let mut i = 0;
        while cursor < length {
            while i < changes.len() && changes[i].0 <= cursor {
                seats += changes[i].1;
                i += 1;
            }
            let next = changes.get(i).map_or(length, |(at, _)| (*at).min(length));
            let current = seats.max(0) as u64;
            match steps.last_mut() {
                Some(last) if last.seats == current => last.to_seconds = next,
                _ => steps.push(Step {
                    from_seconds: cursor,
                    to_seconds: next,
                    seats: current,
                }),
            }
            cursor = next;
        }
        Coverage { day: *day, steps }
    }

    /// The most seats in use at once during each bucket of `width_seconds` (the last bucket may
    /// be shorter); hourly with 3,600, quarter-hourly with 900.
    pub fn peaks_per_bucket(&self, width_seconds: u32) -> Vec<u64> {
        let width = width_seconds.max(1);
        let length = self.day.length_seconds();
        let mut buckets = vec![0u64; length.div_ceil(width) as usize];
        for step in &self.steps {
            let first = step.from_seconds / width;
            let last = (step.to_seconds - 1) / width;
            for bucket in &mut buckets[first as usize..=last as usize] {
                *bucket = (*bucket).max(step.seats);
            }
        }
        buckets
    }

    /// The most seats in use at once during the day.
    pub fn peak(&self) -> u64 {
        self.steps.iter().map(|s| s.seats).max().unwrap_or(0)
    }

    /// The stretches with no seat in use.
    pub fn gaps(&self) -> Vec<Step> {
        self.steps
            .iter()
            .filter(|s| s.seats == 0)
            .copied()
            .collect()
    }

    /// Seat-seconds used if every license ran full.
    pub fn seat_seconds(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| u64::from(s.to_seconds - s.from_seconds) * s.seats)
            .sum()
    }
}

/// The date a timeline opens on: `today`, moved into the span the licenses are valid in, so
/// that an expired or future schedule still shows its bars.
pub fn default_view_date<'a>(
    licenses: impl IntoIterator<Item = &'a Terms>,
    today: NaiveDate,
) -> NaiveDate {
    let mut span: Option<(NaiveDate, NaiveDate)> = None;
    for terms in licenses {
        span = Some(match span {
            None => (terms.start_date, terms.end_date),
            Some((a, b)) => (a.min(terms.start_date), b.max(terms.end_date)),
        });
    }
    match span {
        Some((first, last)) => today.clamp(first, last),
        None => today,
    }
}

/// Everything a timeline draws for one display day: the axis, one lane of bars per license
/// (in the order given) and the coverage strip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayView {
    /// The day shown.
    pub day: DisplayDay,
    /// The axis ticks.
    pub hour_marks: Vec<HourMark>,
    /// The bars of each license, in the order the licenses were given.
    pub lanes: Vec<Vec<Segment>>,
    /// Concurrent seats across the day.
    pub coverage: Coverage,
}

impl DayView {
    /// The view of `licenses` on `date` in `zone`.
    pub fn build(licenses: &[&Terms], date: NaiveDate, zone: Tz) -> DayView {
        DayView::of_day(licenses, DisplayDay::new(date, zone))
    }

    /// The view of `licenses` over `day` (which may start at another axis time than midnight).
    pub fn of_day(licenses: &[&Terms], day: DisplayDay) -> DayView {
        DayView {
            hour_marks: day.hour_marks(),
            lanes: licenses.iter().map(|terms| segments(terms, &day)).collect(),
            coverage: Coverage::of(licenses.iter().copied(), &day),
            day,
        }
    }

    /// For each bucket of `width_seconds` (quarter-hours with 900), the lanes with a bar inside
    /// it: one lane is plain coverage, two or more overlap, none is a gap.
    pub fn contributors(&self, width_seconds: u32) -> Vec<Vec<usize>> {
        let width = width_seconds.max(1);
        let mut buckets = vec![Vec::new(); self.day.length_seconds().div_ceil(width) as usize];
        for (lane, pieces) in self.lanes.iter().enumerate() {
            for piece in pieces.iter().filter(|p| p.to_seconds > p.from_seconds) {
                let first = piece.from_seconds / width;
                let last = (piece.to_seconds - 1) / width;
                for bucket in &mut buckets[first as usize..=last as usize] {
                    if bucket.last() != Some(&lane) {
                        bucket.push(lane);
                    }
                }
            }
        }
        buckets
    }
}

/// The vendor's side of a day: seats in use across many customers' licenses, and what a
/// traditional 24-hour model would have to provision beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// The day.
    pub day: DisplayDay,
    /// Width of a bucket in seconds (3,600 hourly, 900 quarter-hourly).
    pub bucket_seconds: u32,
    /// Peak concurrent seats in each bucket.
    pub buckets: Vec<u64>,
    /// Peak concurrent seats over the day.
    pub peak: u64,
    /// Seat-seconds over the day if every license ran full.
    pub seat_seconds: u64,
    /// Buckets with no seat in use.
    pub idle_buckets: Vec<usize>,
    /// Seats a 24-hour model provisions all day: each customer's own peak, added up.
    pub traditional_capacity: u64,
}

impl Forecast {
    /// The forecast for `customers` (each a list of licenses) on `day`.
    pub fn build(customers: &[Vec<&Terms>], day: &DisplayDay, bucket_seconds: u32) -> Forecast {
        let all: Vec<&Terms> = customers.iter().flatten().copied().collect();
        let coverage = Coverage::of(all.iter().copied(), day);
        let buckets = coverage.peaks_per_bucket(bucket_seconds);
        let idle_buckets = buckets
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == 0)
            .map(|(i, _)| i)
            .collect();
        let traditional_capacity = customers
            .iter()
            .map(|licenses| Coverage::of(licenses.iter().copied(), day).peak())
            .sum();
        Forecast {
            day: *day,
            bucket_seconds: bucket_seconds.max(1),
            peak: coverage.peak(),
            seat_seconds: coverage.seat_seconds(),
            buckets,
            idle_buckets,
            traditional_capacity,
        }
    }

    /// Whether buckets of `minutes` tile a nominal day exactly (60, 30, 15, ...).
    pub fn divides_a_day(minutes: u32) -> bool {
        minutes > 0 && 1440 % minutes == 0
    }

    /// The wall time, in the day's zone, at which bucket `index` starts (`HH:MM`).
    pub fn bucket_label(&self, index: usize) -> String {
        let offset = u32::try_from(index)
            .unwrap_or(u32::MAX)
            .saturating_mul(self.bucket_seconds);
        self.day.wall_time_at(offset, self.day.zone).to_string()
    }

    /// Mean concurrent seats over the day.
    pub fn mean_seats(&self) -> f64 {
        let length = self.day.length_seconds();
        if length == 0 {
            0.0
        } else {
            self.seat_seconds as f64 / f64::from(length)
        }
    }
}
