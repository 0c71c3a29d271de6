//! Window occurrences: the instants at which a license's daily window opens and closes.

use crate::clock::{local_date, resolve_local};
use crate::terms::Terms;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

/// One opening of a daily window, keyed by the local date on which it opens.
///
/// A 22:00-06:00 shift that opens on Monday is Monday's occurrence, and its consumption is
/// Monday's. Occurrences of one license never overlap: where a DST gap would push a window's
/// end past the next day's opening, and the license opens that next day, the window closes
/// when the next one opens. When it does not (the last valid date, or before an excluded
/// weekday) no window opens then, and the shift runs to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// The local date on which the window opens.
    pub date: NaiveDate,
    /// When it opens.
    pub opens: DateTime<Utc>,
    /// When it closes (exclusive).
    pub closes: DateTime<Utc>,
}

impl Occurrence {
    /// Whether `instant` lies inside the occurrence.
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.opens <= instant && instant < self.closes
    }

    /// Real elapsed time from opening to closing.
    pub fn length(&self) -> TimeDelta {
        self.closes - self.opens
    }
}

impl Terms {
    /// The instant the window of local date `date` opens, whether or not the license is valid
    /// that day.
    fn opening_instant(&self, date: NaiveDate) -> DateTime<Utc> {
        resolve_local(self.zone, self.window.start().on(date))
    }

    /// The window that opens on `date` as the wall clock defines it, ignoring validity and
    /// weekdays (so cut at the next day's opening); `None` when DST squeezes it to nothing.
    pub fn window_on(&self, date: NaiveDate) -> Option<Occurrence> {
        self.window_cut(date, true)
    }

    /// The window opening on `date`, cut at the next day's opening when `cut` (a window opens
    /// then) and otherwise running to its end.
    fn window_cut(&self, date: NaiveDate, cut: bool) -> Option<Occurrence> {
        let opens = self.opening_instant(date);
        let next_date = date.succ_opt()?;
        let close_date = if self.window.closes_next_day() {
            next_date
        } else {
            date
        };
        let mut closes = resolve_local(self.zone, self.window.end().on(close_date));
        if cut {
            closes = closes.min(self.opening_instant(next_date));
        }
        (closes > opens).then_some(Occurrence {
            date,
            opens,
            closes,
        })
    }

    /// The license's occurrence opening on `date`, if the license opens that day. It is cut
    /// at the next day's opening only when the license opens that day too.
    pub fn occurrence_on(&self, date: NaiveDate) -> Option<Occurrence> {
        if self.opens_on(date) {
            let next_opens = date.succ_opt().is_some_and(|next| self.opens_on(next));
            self.window_cut(date, next_opens)
        } else {
            None
        }
    }

    /// The first occurrence still open at `from` or opening after it (the license's first
    /// opening when its validity starts later), or `None` when it never opens again.
    ///
    /// ```
    /// use timefence_terms::brief;
    /// let india = &brief::bpo_shifts()[0].terms;
    /// let next = india.next_occurrence("2023-06-01T12:00:00Z".parse().unwrap()).unwrap();
    /// assert_eq!(next.date.to_string(), "2024-01-01");
    /// assert!(india.next_occurrence("2025-01-01T00:00:00Z".parse().unwrap()).is_none());
    /// ```
    pub fn next_occurrence(&self, from: DateTime<Utc>) -> Option<Occurrence> {
        let opens = resolve_local(self.zone, self.start_date.and_time(chrono::NaiveTime::MIN));
        let from = from.max(opens - TimeDelta::days(1));
        // Every weekday comes round within a week; two days more cover a window that opened
        // the day before and a skipped day.
        self.occurrences(from, from + TimeDelta::days(9))
            .into_iter()
            .find(|o| o.closes > from)
    }

    /// Every occurrence that overlaps `[from, to)`, in order.
    pub fn occurrences(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        // A window opening two local days before `from` can still be open (a whole-day window
        // stretched by a skipped day), so the walk starts there.
        let first = (local_date(self.zone, from) - TimeDelta::days(2)).max(self.start_date);
        let last = local_date(self.zone, to).min(self.end_date);
        let mut date = first;
        while date <= last {
            if let Some(occurrence) = self.occurrence_on(date) {
                if occurrence.opens < to && occurrence.closes > from {
                    out.push(occurrence);
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        out
    }

    /// The first occurrence that opens strictly after `instant`, if the license has one.
    pub fn next_opening_after(&self, instant: DateTime<Utc>) -> Option<Occurrence> {
        let mut date = (local_date(self.zone, instant) - TimeDelta::days(2)).max(self.start_date);
        while date <= self.end_date {
            if let Some(occurrence) = self.occurrence_on(date) {
                if occurrence.opens > instant {
                    return Some(occurrence);
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The occurrence containing `instant`, if any.
    pub fn occurrence_at(&self, instant: DateTime<Utc>) -> Option<Occurrence> {
        let today = local_date(self.zone, instant);
        (0..=2)
            .filter_map(|back| today.checked_sub_signed(TimeDelta::days(back)))
            .filter_map(|date| self.occurrence_on(date))
            .find(|occurrence| occurrence.contains(instant))
    }
}
