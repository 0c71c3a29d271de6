//! Eco-design: the daily hours a carbon budget allows (the brief's first scenario).
//!
//! A machine emits so many grams of CO2e per hour of use; the industry holds so much carbon
//! credit a year. Spread over the days the license opens, the credit buys a daily consumption
//! limit; when the credit grows, a new license with more hours can be issued.

use crate::terms::Terms;
use chrono::TimeDelta;

/// The step in which limits are granted: whole quarter-hours, rounded down.
pub const LIMIT_STEP_MINUTES: i64 = 15;

/// The days on which `terms` open a window over their whole validity.
pub fn days_in_use(terms: &Terms) -> u32 {
    let mut days = 0;
    let mut date = terms.start_date;
    while date <= terms.end_date {
        if terms.opens_on(date) {
            days += 1;
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    days
}

/// The daily use a yearly credit allows, in whole quarter-hours (rounded down), at most 24 h;
/// `None` when it allows less than one quarter-hour.
pub fn daily_limit_from_credit(
    grams_per_hour: u64,
    credit_grams: u64,
    days: u32,
) -> Option<TimeDelta> {
    if grams_per_hour == 0 || days == 0 {
        return Some(TimeDelta::hours(24));
    }
    // minutes a day = credit / (grams per hour x days) x 60, in integers.
    let minutes = u128::from(credit_grams) * 60 / (u128::from(grams_per_hour) * u128::from(days));
    let stepped = (minutes as i64 / LIMIT_STEP_MINUTES * LIMIT_STEP_MINUTES).min(24 * 60);
    (stepped > 0).then(|| TimeDelta::minutes(stepped))
}

/// The yearly credit (grams) that `daily` use on `days` days needs.
pub fn credit_needed(grams_per_hour: u64, daily: TimeDelta, days: u32) -> u64 {
    let minutes = u128::from(daily.num_minutes().max(0) as u64);
    let grams = minutes * u128::from(grams_per_hour) * u128::from(days);
    u64::try_from(grams.div_ceil(60)).unwrap_or(u64::MAX)
}

/// How much more yearly credit (grams) would allow the next quarter-hour a day; `None` at 24 h.
pub fn credit_for_next_step(grams_per_hour: u64, credit_grams: u64, days: u32) -> Option<u64> {
    let current =
        daily_limit_from_credit(grams_per_hour, credit_grams, days).unwrap_or(TimeDelta::zero());
    let next = current + TimeDelta::minutes(LIMIT_STEP_MINUTES);
    (next <= TimeDelta::hours(24))
        .then(|| credit_needed(grams_per_hour, next, days).saturating_sub(credit_grams))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_spread_over_the_year_gives_whole_quarter_hours_a_day() {
        // 1.2 kg an hour, 1,095 kg a year, every day of 2025: 2.5 h a day.
        assert_eq!(
            daily_limit_from_credit(1_200, 1_095_000, 365),
            Some(TimeDelta::minutes(150))
        );
        // A little less credit rounds down to the quarter-hour below.
        assert_eq!(
            daily_limit_from_credit(1_200, 1_094_999, 365),
            Some(TimeDelta::minutes(135))
        );
        assert_eq!(daily_limit_from_credit(1_200, 1_000, 365), None);
        assert_eq!(
            daily_limit_from_credit(1, u64::MAX / 2, 365),
            Some(TimeDelta::hours(24))
        );
    }

    #[test]
    fn the_reverse_gives_the_credit_that_hours_need() {
        assert_eq!(
            credit_needed(1_200, TimeDelta::minutes(150), 365),
            1_095_000
        );
        let more = credit_for_next_step(1_200, 1_095_000, 365).unwrap();
        assert_eq!(
            more,
            credit_needed(1_200, TimeDelta::minutes(165), 365) - 1_095_000
        );
        assert_eq!(
            daily_limit_from_credit(1_200, 1_095_000 + more, 365),
            Some(TimeDelta::minutes(165))
        );
        assert_eq!(credit_for_next_step(1, u64::MAX / 2, 365), None);
    }

    #[test]
    fn weekday_terms_count_only_the_days_they_open() {
        let support = crate::brief::business_hours_support("UTC").unwrap();
        assert_eq!(days_in_use(&support), 262, "Mon-Fri in 2024");
        assert_eq!(days_in_use(&crate::brief::case_1_fixed_window()), 366);
    }
}
