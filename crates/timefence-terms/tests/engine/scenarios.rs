use timefence_terms::chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use timefence_terms::{brief, evaluate, Coverage, Decision, DenyReason, DisplayDay, Terms};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn terms(start: &str, end: &str, limit: Option<&str>, zone: &str) -> Terms {
    crate::terms_2024(start, end, limit, zone, None, 1)
}

fn next_opening(decision: &Decision) -> Option<DateTime<Utc>> {
    match decision {
        Decision::Denied { next_opening, .. } => *next_opening,
        Decision::Allowed { .. } => panic!("expected a denial, got {decision:?}"),
    }
}

fn reason(decision: &Decision) -> DenyReason {
    match decision {
        Decision::Denied { reason, .. } => *reason,
        Decision::Allowed { .. } => panic!("expected a denial, got {decision:?}"),
    }
}

#[test]
fn case_1_allows_any_amount_of_use_inside_nine_to_five_and_nothing_outside() {
    let t = brief::case_1_fixed_window();
    let d = evaluate(&t, at("2024-03-05T09:00:00Z"), TimeDelta::hours(7));
    assert_eq!(
        d,
        Decision::Allowed {
            occurrence: t
                .occurrence_on(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap())
                .unwrap(),
            closes_at: at("2024-03-05T17:00:00Z"),
            remaining: None,
        }
    );
    let d = evaluate(&t, at("2024-03-05T17:00:00Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::OutsideWindow);
    assert_eq!(next_opening(&d), Some(at("2024-03-06T09:00:00Z")));
}

#[test]
fn case_2_allows_three_hours_anywhere_in_the_day_and_closes_a_second_before_midnight() {
    let t = brief::case_2_daily_limit();
    match evaluate(&t, at("2024-03-05T22:00:00Z"), TimeDelta::hours(1)) {
        Decision::Allowed {
            closes_at,
            remaining,
            ..
        } => {
            assert_eq!(remaining, Some(TimeDelta::hours(2)));
            // The window (00:00:00-23:59:59) closes before the two hours left run out.
            assert_eq!(closes_at, at("2024-03-05T23:59:59Z"));
        }
        d => panic!("{d:?}"),
    }
    let d = evaluate(&t, at("2024-03-05T12:00:00Z"), TimeDelta::hours(3));
    assert_eq!(reason(&d), DenyReason::ConsumptionExhausted);
    assert_eq!(next_opening(&d), Some(at("2024-03-06T00:00:00Z")));
    let d = evaluate(&t, at("2024-03-05T23:59:59Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::OutsideWindow);
}

#[test]
fn case_3_stops_at_the_earlier_of_five_pm_and_three_hours_of_use() {
    let t = brief::case_3_window_and_limit();
    match evaluate(&t, at("2024-03-05T15:00:00Z"), TimeDelta::zero()) {
        Decision::Allowed { closes_at, .. } => assert_eq!(closes_at, at("2024-03-05T17:00:00Z")),
        d => panic!("{d:?}"),
    }
    match evaluate(&t, at("2024-03-05T10:00:00Z"), TimeDelta::minutes(150)) {
        Decision::Allowed { closes_at, .. } => assert_eq!(closes_at, at("2024-03-05T10:30:00Z")),
        d => panic!("{d:?}"),
    }
    assert_eq!(
        reason(&evaluate(
            &t,
            at("2024-03-05T10:00:00Z"),
            TimeDelta::hours(3)
        )),
        DenyReason::ConsumptionExhausted
    );
}

#[test]
fn the_brief_s_licenses_are_not_valid_before_2024_and_expire_after_it() {
    let t = brief::case_1_fixed_window();
    let d = evaluate(&t, at("2023-12-31T10:00:00Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::NotYetValid);
    assert_eq!(next_opening(&d), Some(at("2024-01-01T09:00:00Z")));
    let d = evaluate(&t, at("2024-12-31T18:00:00Z"), TimeDelta::zero());
    assert_eq!(
        d,
        Decision::Denied {
            reason: DenyReason::Expired,
            next_opening: None
        }
    );
    let d = evaluate(&t, at("2025-06-01T10:00:00Z"), TimeDelta::zero());
    assert_eq!(
        d,
        Decision::Denied {
            reason: DenyReason::Expired,
            next_opening: None
        }
    );
}

#[test]
fn bpo_shifts_cover_the_day_with_100_then_200_then_50_seats() {
    let shifts = brief::bpo_shifts();
    let day = DisplayDay::new(
        NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
        "UTC".parse().unwrap(),
    );
    let coverage = Coverage::of(shifts.iter().map(|s| &s.terms), &day);
    let hourly = coverage.peaks_per_bucket(3600);
    let mut expected = vec![100u64; 8];
    expected.extend([200; 8]);
    expected.extend([50; 8]);
    assert_eq!(hourly, expected);
    assert_eq!(coverage.peak(), 200);
    assert!(coverage.gaps().is_empty());
    // 350 distinct users, each on an 8-hour shift: 350 x 8 seat-hours.
    assert_eq!(coverage.seat_seconds(), 350 * 8 * 3600);
}

#[test]
fn bpo_shift_at_each_instant_is_exactly_one_of_the_three() {
    let shifts = brief::bpo_shifts();
    for (instant, expected) in [
        ("2024-06-12T00:00:00Z", "L1 India"),
        ("2024-06-12T07:59:59Z", "L1 India"),
        ("2024-06-12T08:00:00Z", "L2 Philippines"),
        ("2024-06-12T16:00:00Z", "L3 Brazil"),
        ("2024-06-12T23:59:59Z", "L3 Brazil"),
    ] {
        let allowed: Vec<&str> = shifts
            .iter()
            .filter(|s| evaluate(&s.terms, at(instant), TimeDelta::zero()).is_allowed())
            .map(|s| s.name)
            .collect();
        assert_eq!(allowed, vec![expected], "{instant}");
    }
}

#[test]
fn business_hours_support_is_closed_at_the_weekend_and_reopens_on_monday() {
    let t = brief::business_hours_support("Europe/Berlin").unwrap();
    // Saturday 2024-06-15, noon in Berlin.
    let d = evaluate(&t, at("2024-06-15T10:00:00Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::WeekdayExcluded);
    assert_eq!(next_opening(&d), Some(at("2024-06-17T07:00:00Z")));
    assert!(evaluate(&t, at("2024-06-17T07:00:00Z"), TimeDelta::zero()).is_allowed());
}

#[test]
fn work_life_balance_keeps_cloud_software_to_working_hours_in_local_time() {
    let mut spec = terms("08:00", "18:00", None, "America/New_York").to_spec();
    spec.weekdays = Some(
        ["Mon", "Tue", "Wed", "Thu", "Fri"]
            .map(String::from)
            .to_vec(),
    );
    let t = spec.validate().unwrap();
    // 19:00 in New York on a Wednesday in winter (UTC-5).
    let d = evaluate(&t, at("2024-01-11T00:00:00Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::OutsideWindow);
    assert_eq!(next_opening(&d), Some(at("2024-01-11T13:00:00Z")));
    // In summer (UTC-4) the window follows the wall clock: 08:00 is 12:00 UTC.
    assert!(evaluate(&t, at("2024-07-10T12:00:00Z"), TimeDelta::zero()).is_allowed());
    assert!(!evaluate(&t, at("2024-07-10T11:59:59Z"), TimeDelta::zero()).is_allowed());
}

#[test]
fn a_night_shift_is_one_consumption_day_not_two() {
    let t = terms("22:00", "06:00", Some("3h"), "UTC");
    let d = evaluate(&t, at("2024-05-02T01:00:00Z"), TimeDelta::hours(2));
    match d {
        Decision::Allowed {
            occurrence,
            closes_at,
            ..
        } => {
            assert_eq!(
                occurrence.date,
                NaiveDate::from_ymd_opt(2024, 5, 1).unwrap()
            );
            assert_eq!(closes_at, at("2024-05-02T02:00:00Z"));
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn a_window_over_a_spring_forward_gap_opens_later_by_the_gap_and_lasts_an_hour_less() {
    // Paris springs forward at 02:00 on 2024-03-31.
    let t = terms("01:00", "05:00", None, "Europe/Paris");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap())
        .unwrap();
    assert_eq!(o.opens, at("2024-03-31T00:00:00Z"));
    assert_eq!(o.closes, at("2024-03-31T03:00:00Z"));
    assert_eq!(o.length(), TimeDelta::hours(3));
    let t = terms("02:30", "06:00", None, "Europe/Paris");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap())
        .unwrap();
    assert_eq!(
        o.opens.with_timezone(&t.zone).to_string(),
        "2024-03-31 03:30:00 CEST"
    );
}

#[test]
fn a_window_squeezed_to_nothing_by_a_gap_does_not_open_that_day() {
    let t = terms("02:30", "03:15", None, "Europe/Paris");
    assert_eq!(
        t.occurrence_on(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()),
        None
    );
    let d = evaluate(&t, at("2024-03-31T01:20:00Z"), TimeDelta::zero());
    assert_eq!(next_opening(&d), Some(at("2024-04-01T00:30:00Z")));
}

#[test]
fn a_window_over_a_fall_back_repeat_lasts_an_hour_more() {
    // Paris falls back at 03:00 on 2024-10-27.
    let t = terms("00:00", "24:00", None, "Europe/Paris");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 10, 27).unwrap())
        .unwrap();
    assert_eq!(o.length(), TimeDelta::hours(25));
    let t = terms("02:30", "04:00", None, "Europe/Paris");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 10, 27).unwrap())
        .unwrap();
    // The first 02:30 (CEST, UTC+2) to 04:00 CET (UTC+1).
    assert_eq!(
        (o.opens, o.closes),
        (at("2024-10-27T00:30:00Z"), at("2024-10-27T03:00:00Z"))
    );
}

#[test]
fn havana_midnight_does_not_exist_on_its_spring_forward_day() {
    // Cuba springs forward at 00:00 -> 01:00 on 2024-03-10.
    let t = terms("00:00", "08:00", None, "America/Havana");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 3, 10).unwrap())
        .unwrap();
    assert_eq!(
        o.opens.with_timezone(&t.zone).to_string(),
        "2024-03-10 01:00:00 CDT"
    );
    assert_eq!(o.length(), TimeDelta::hours(7));
}

#[test]
fn apia_s_skipped_day_opens_no_window_of_its_own() {
    let mut spec = terms("09:00", "17:00", None, "Pacific/Apia").to_spec();
    spec.license_start_date = "2011-12-28".into();
    spec.license_end_date = "2012-01-02".into();
    let t = spec.validate().unwrap();
    let thirtieth = NaiveDate::from_ymd_opt(2011, 12, 30).unwrap();
    let thirty_first = NaiveDate::from_ymd_opt(2011, 12, 31).unwrap();
    assert_eq!(t.occurrence_on(thirtieth), None);
    let o = t.occurrence_on(thirty_first).unwrap();
    assert_eq!(o.length(), TimeDelta::hours(8));
    let d = evaluate(&t, at("2011-12-30T04:00:00Z"), TimeDelta::zero());
    assert_eq!(next_opening(&d), Some(o.opens));
}

#[test]
fn lord_howe_shifts_windows_by_half_an_hour() {
    // Lord Howe goes from +10:30 to +11 at 02:00 on 2024-10-06.
    let t = terms("02:15", "04:00", None, "Australia/Lord_Howe");
    let o = t
        .occurrence_on(NaiveDate::from_ymd_opt(2024, 10, 6).unwrap())
        .unwrap();
    assert_eq!(
        o.opens.with_timezone(&t.zone).format("%H:%M").to_string(),
        "02:45"
    );
    assert_eq!(o.length(), TimeDelta::minutes(75));
}

#[test]
fn a_friday_night_shift_runs_into_an_excluded_saturday() {
    let mut spec = terms("22:00", "06:00", None, "UTC").to_spec();
    spec.weekdays = Some(vec!["Fri".into()]);
    let t = spec.validate().unwrap();
    // Saturday 2024-06-15 03:00 belongs to Friday's shift.
    assert!(evaluate(&t, at("2024-06-15T03:00:00Z"), TimeDelta::zero()).is_allowed());
    let d = evaluate(&t, at("2024-06-15T07:00:00Z"), TimeDelta::zero());
    assert_eq!(reason(&d), DenyReason::WeekdayExcluded);
    assert_eq!(next_opening(&d), Some(at("2024-06-21T22:00:00Z")));
}

#[test]
fn a_year_of_nine_to_five_has_366_occurrences_in_2024() {
    let t = brief::case_1_fixed_window();
    let all = t.occurrences(at("2023-12-01T00:00:00Z"), at("2025-02-01T00:00:00Z"));
    assert_eq!(all.len(), 366);
    assert!(all.windows(2).all(|w| w[0].closes <= w[1].opens));
}

#[test]
fn a_night_shift_is_drawn_as_two_pieces_on_a_midnight_to_midnight_axis() {
    let t = terms("22:00", "06:00", None, "UTC");
    let day = DisplayDay::new(
        NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
        "UTC".parse().unwrap(),
    );
    let pieces = timefence_terms::segments(&t, &day);
    let spans: Vec<(u32, u32, bool, bool)> = pieces
        .iter()
        .map(|s| {
            (
                s.from_seconds,
                s.to_seconds,
                s.continues_from_previous_day,
                s.continues_into_next_day,
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![(0, 6 * 3600, true, false), (22 * 3600, 86_400, false, true)]
    );
}

#[test]
fn a_dst_day_in_the_display_zone_is_23_or_25_hours_long() {
    let paris = "Europe/Paris".parse().unwrap();
    let spring = DisplayDay::new(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(), paris);
    let autumn = DisplayDay::new(NaiveDate::from_ymd_opt(2024, 10, 27).unwrap(), paris);
    assert_eq!(spring.length_seconds(), 23 * 3600);
    assert_eq!(autumn.length_seconds(), 25 * 3600);
    let labels: Vec<String> = spring
        .hour_marks()
        .into_iter()
        .map(|m| m.label)
        .take(4)
        .collect();
    assert_eq!(labels, ["00:00", "01:00", "03:00", "04:00"]);
    // The BPO seen from Paris in summer: India's shift starts at 02:00 Paris time.
    let shifts = brief::bpo_shifts();
    let summer = DisplayDay::new(NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(), paris);
    let hourly = Coverage::of(shifts.iter().map(|s| &s.terms), &summer).peaks_per_bucket(3600);
    assert_eq!(&hourly[..3], &[50, 50, 100]);
}

#[test]
fn the_bpo_forecast_needs_200_seats_at_peak_where_the_traditional_model_provisions_200_all_day() {
    let shifts = brief::bpo_shifts();
    let bpo: Vec<&Terms> = shifts.iter().map(|s| &s.terms).collect();
    let support = brief::business_hours_support("UTC").unwrap();
    let customers = vec![bpo, vec![&support]];
    // A Wednesday: support (5 seats, 09:00-17:00) runs beside the shifts.
    let day = DisplayDay::new(
        NaiveDate::from_ymd_opt(2024, 6, 12).unwrap(),
        "UTC".parse().unwrap(),
    );
    let hourly = timefence_terms::Forecast::build(&customers, &day, 3600);
    assert_eq!(hourly.peak, 205);
    assert_eq!(hourly.traditional_capacity, 205);
    assert_eq!(hourly.seat_seconds, (350 * 8 + 5 * 8) * 3600);
    assert!(hourly.idle_buckets.is_empty());
    assert_eq!(hourly.buckets[9], 200 + 5);
    assert_eq!(hourly.buckets[8], 200, "support opens at 09:00");
    let quarter = timefence_terms::Forecast::build(&customers, &day, 900);
    assert_eq!(quarter.buckets.len(), 96);
    // A Saturday: no support, and the BPO alone.
    let saturday = DisplayDay::new(
        NaiveDate::from_ymd_opt(2024, 6, 15).unwrap(),
        "UTC".parse().unwrap(),
    );
    let weekend = timefence_terms::Forecast::build(&customers, &saturday, 3600);
    assert_eq!((weekend.peak, weekend.traditional_capacity), (200, 200));
    assert!((weekend.mean_seats() - 350.0 / 3.0).abs() < 1e-9);
}

#[test]
fn a_night_shift_reads_as_one_bar_on_an_axis_that_starts_at_six() {
    let t = terms("22:00", "06:00", Some("3h"), "Europe/Paris");
    let date = NaiveDate::from_ymd_opt(2024, 6, 12).unwrap();
    let zone: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let midnight_axis = timefence_terms::DayView::build(&[&t], date, zone);
    assert_eq!(midnight_axis.lanes[0].len(), 2, "split at midnight");
    let six = timefence_terms::WallTime::parse("06:00").unwrap();
    let day = timefence_terms::DisplayDay::starting_at(date, zone, six);
    let view = timefence_terms::DayView::of_day(&[&t], day);
    let piece = &view.lanes[0][..];
    assert_eq!(piece.len(), 1);
    assert_eq!(
        (piece[0].from_seconds, piece[0].to_seconds),
        (16 * 3600, 24 * 3600)
    );
    assert!(!piece[0].continues_from_previous_day && !piece[0].continues_into_next_day);
    // Three hours of the eight are usable; the rest of the bar is beyond the limit.
    assert_eq!(piece[0].limit_reached_at, Some(19 * 3600));
    let labels: Vec<&str> = view.hour_marks.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels.first(), Some(&"06:00"));
    assert_eq!(labels.last(), Some(&"06:00"));
    assert_eq!(labels[18], "00:00");
}

#[test]
fn an_axis_from_six_to_six_across_spring_forward_is_23_hours_long() {
    let zone: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 3, 30).unwrap();
    let six = timefence_terms::WallTime::parse("06:00").unwrap();
    let day = timefence_terms::DisplayDay::starting_at(date, zone, six);
    assert_eq!(day.length_seconds(), 23 * 3600);
    // 20 real hours after 06:00 CET is 02:00 CET, which the clock shows as 03:00 CEST.
    assert_eq!(day.wall_time_at(20 * 3600, zone).to_string(), "03:00");
    assert_eq!(
        day.wall_time_at(20 * 3600 + 90, chrono_tz::UTC).to_string(),
        "01:01"
    );
}

#[test]
fn buckets_know_which_shifts_meet_and_which_overlap() {
    let a = terms("08:00", "16:00", None, "UTC");
    let b = terms("15:00", "23:00", None, "UTC");
    let date = NaiveDate::from_ymd_opt(2024, 6, 12).unwrap();
    let view = timefence_terms::DayView::build(&[&a, &b], date, chrono_tz::UTC);
    let buckets = view.contributors(900);
    assert_eq!(buckets.len(), 96);
    assert!(buckets[..32].iter().all(Vec::is_empty), "a gap until 08:00");
    assert_eq!(buckets[32], vec![0]);
    assert_eq!(buckets[60], vec![0, 1], "15:00-15:15 overlaps");
    assert_eq!(
        buckets[64],
        vec![1],
        "16:00 belongs to the second shift only"
    );
    assert!(buckets[92..].iter().all(Vec::is_empty));
}

fn new_york_0300_to_0230(start_date: &str, end_date: &str, weekdays: Option<&[&str]>) -> Terms {
    timefence_terms::TermsSpec {
        license_start_date: start_date.into(),
        license_end_date: end_date.into(),
        daily_start_time: "03:00".into(),
        daily_end_time: "02:30".into(),
        daily_time_consumption_limit: None,
        time_zone: "America/New_York".into(),
        weekdays: weekdays.map(|w| w.iter().map(|d| d.to_string()).collect()),
        seats: 1,
        product: String::new(),
        features: Default::default(),
    }
    .validate()
    .unwrap()
}

#[test]
fn a_shift_stretched_by_the_gap_runs_to_its_end_when_no_window_opens_the_next_day() {
    // 03:00-02:30 opening on 2027-03-13: its end, 02:30 on the 14th, falls in New York's gap
    // and becomes 03:30 EDT (07:30Z), half an hour after 03:00 EDT (07:00Z), when the 14th's
    // window would open.
    let closes_at = |t: &Terms| match evaluate(t, at("2027-03-14T07:10:00Z"), TimeDelta::zero()) {
        Decision::Allowed { closes_at, .. } => Some(closes_at),
        Decision::Denied { .. } => None,
    };
    // The last valid date: no window opens on the 14th, so the 13th's runs to 07:30Z.
    let last_day = new_york_0300_to_0230("2027-03-13", "2027-03-13", None);
    assert_eq!(closes_at(&last_day), Some(at("2027-03-14T07:30:00Z")));
    // Saturday the 13th, with Sunday excluded: the same.
    let no_sunday = new_york_0300_to_0230(
        "2027-03-01",
        "2027-03-31",
        Some(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
    );
    assert_eq!(closes_at(&no_sunday), Some(at("2027-03-14T07:30:00Z")));
    // When the 14th opens a window, the 13th's ends at its opening and the 14th's is open.
    let every_day = new_york_0300_to_0230("2027-03-01", "2027-03-31", None);
    match evaluate(&every_day, at("2027-03-14T07:10:00Z"), TimeDelta::zero()) {
        Decision::Allowed { occurrence, .. } => {
            assert_eq!(occurrence.date.to_string(), "2027-03-14")
        }
        d => panic!("{d:?}"),
    }
    let thirteenth = NaiveDate::from_ymd_opt(2027, 3, 13).unwrap();
    assert_eq!(
        every_day.occurrence_on(thirteenth).unwrap().closes,
        at("2027-03-14T07:00:00Z")
    );
}
