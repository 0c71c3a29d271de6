//! The decision: may a license be used at an instant?

use crate::clock::local_date;
use crate::occurrence::Occurrence;
use crate::terms::Terms;
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use serde::Serialize;

/// Why a license may not be used at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DenyReason {
    /// The instant's local date is before LicenseStartDate.
    NotYetValid,
    /// No window of the license will ever open again.
    Expired,
    /// The instant's local date is a weekday the window does not open on.
    WeekdayExcluded,
    /// The instant is between windows.
    OutsideWindow,
    /// The instant is inside a window whose daily limit has been used up.
    ConsumptionExhausted,
}

impl std::fmt::Display for DenyReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DenyReason::NotYetValid => "the license is not valid yet",
            DenyReason::Expired => "the license has expired",
            DenyReason::WeekdayExcluded => "the window does not open on this weekday",
            DenyReason::OutsideWindow => "outside the daily window",
            DenyReason::ConsumptionExhausted => "the daily limit is used up",
        })
    }
}

/// The answer of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Decision {
    /// The license may be used now.
    Allowed {
        /// The window occurrence in use; consumption is recorded against it.
        occurrence: Occurrence,
        /// When use must stop: the earlier of the window's end and the limit running out.
        closes_at: DateTime<Utc>,
        /// Consumption left in this occurrence; `None` without a limit.
        remaining: Option<TimeDelta>,
    },
    /// The license may not be used now.
    Denied {
        /// Why not.
        reason: DenyReason,
        /// When a window opens next; `None` when none ever will.
        next_opening: Option<DateTime<Utc>>,
    },
}

impl Decision {
    /// Whether use is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Decides whether `terms` allow use at `at`, given the time already `consumed` in the window
/// occurrence containing `at`.
///
/// Reasons are checked in this order: a window that is open (allowed, or
/// [`DenyReason::ConsumptionExhausted`]); a local date before the start
/// ([`DenyReason::NotYetValid`]); no window ever again ([`DenyReason::Expired`]); a local
/// date on an excluded weekday ([`DenyReason::WeekdayExcluded`]); otherwise
/// [`DenyReason::OutsideWindow`].
///
/// ```
/// use timefence_terms::{brief, evaluate, Decision};
/// let terms = brief::case_3_window_and_limit();
/// let at = "2024-05-06T10:00:00Z".parse().unwrap();
/// match evaluate(&terms, at, chrono::TimeDelta::hours(1)) {
///     Decision::Allowed { closes_at, remaining, .. } => {
///         assert_eq!(remaining, Some(chrono::TimeDelta::hours(2)));
///         assert_eq!(closes_at.to_rfc3339(), "2024-05-06T12:00:00+00:00");
///     }
///     denied => panic!("{denied:?}"),
/// }
/// ```
pub fn evaluate(terms: &Terms, at: DateTime<Utc>, consumed: TimeDelta) -> Decision {
    let consumed = consumed.max(TimeDelta::zero());
    if let Some(occurrence) = terms.occurrence_at(at) {
        let remaining = terms.daily_limit.map(|limit| limit - consumed);
        match remaining {
            Some(left) if left <= TimeDelta::zero() => {}
            _ => {
                let closes_at = match remaining {
                    Some(left) => occurrence.closes.min(at + left),
                    None => occurrence.closes,
                };
                return Decision::Allowed {
                    occurrence,
                    closes_at,
                    remaining,
                };
            }
        }
        return Decision::Denied {
            reason: DenyReason::ConsumptionExhausted,
            next_opening: terms.next_opening_after(at).map(|o| o.opens),
        };
    }
    let next_opening = terms.next_opening_after(at).map(|o| o.opens);
    let today = local_date(terms.zone, at);
    let reason = if today < terms.start_date {
        DenyReason::NotYetValid
    } else if next_opening.is_none() {
        DenyReason::Expired
    } else if !terms.weekdays.contains(today.weekday()) {
        DenyReason::WeekdayExcluded
    } else {
        DenyReason::OutsideWindow
    };
    Decision::Denied {
        reason,
        next_opening,
    }
}
