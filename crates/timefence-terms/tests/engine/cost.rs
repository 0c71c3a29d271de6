use proptest::prelude::*;
use timefence_terms::chrono::NaiveDate;
use timefence_terms::{
    baseline_formula, brief, cost_preview, format_money, Pricing, Rounding, Terms,
};

fn five_dollars(rounding: Rounding) -> Pricing {
    Pricing {
        currency: "USD".into(),
        price_minor: 500,
        block_hours: 8,
        rounding,
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn the_brief_s_bpo_costs_3000_dollars_traditionally_and_1750_time_fenced_a_day() {
    let shifts = brief::bpo_shifts();
    let licenses: Vec<&Terms> = shifts.iter().map(|s| &s.terms).collect();
    let pricing = five_dollars(Rounding::ProRata);
    let day = date("2024-06-12");
    let preview = cost_preview(&licenses, &pricing, "UTC".parse().unwrap(), day, day);
    assert_eq!(preview.baseline_minor, 300_000);
    assert_eq!(preview.fenced_minor, 175_000);
    assert_eq!(
        format_money(preview.baseline_minor as i64, "USD"),
        "$3,000.00"
    );
    assert_eq!(
        format_money(preview.fenced_minor as i64, "USD"),
        "$1,750.00"
    );
    assert_eq!(
        preview
            .licenses
            .iter()
            .map(|l| l.amount_minor)
            .collect::<Vec<_>>(),
        [50_000, 100_000, 25_000]
    );
    assert_eq!(
        (
            preview.peak_seats,
            preview.savings_minor,
            preview.savings_basis_points
        ),
        (200, 125_000, 4_166)
    );
    assert_eq!(
        baseline_formula(&preview, &pricing),
        "200 seats × 24 h / 8 h × $5.00 = $3,000.00"
    );
    // Whole blocks give the same figures: every shift is exactly one block.
    let blocks = cost_preview(
        &licenses,
        &five_dollars(Rounding::WholeBlocks),
        "UTC".parse().unwrap(),
        day,
        day,
    );
    assert_eq!(
        (blocks.baseline_minor, blocks.fenced_minor),
        (300_000, 175_000)
    );
}

#[test]
fn over_the_whole_2024_term_the_bpo_saves_366_days_of_1250_dollars() {
    let shifts = brief::bpo_shifts();
    let licenses: Vec<&Terms> = shifts.iter().map(|s| &s.terms).collect();
    let preview = cost_preview(
        &licenses,
        &five_dollars(Rounding::ProRata),
        "UTC".parse().unwrap(),
        date("2024-01-01"),
        date("2024-12-31"),
    );
    assert_eq!(preview.baseline_minor, 366 * 300_000);
    assert_eq!(preview.fenced_minor, 366 * 175_000);
}

#[test]
fn pro_rata_rounds_down_and_whole_blocks_round_up() {
    // Case 3: 09:00-17:00 with a 3 h limit bills 3 h a day.
    let case_3 = brief::case_3_window_and_limit();
    let day = date("2024-06-12");
    let utc = "UTC".parse().unwrap();
    let pro_rata = cost_preview(&[&case_3], &five_dollars(Rounding::ProRata), utc, day, day);
    assert_eq!(pro_rata.licenses[0].billable_seconds, 3 * 3600);
    assert_eq!(
        pro_rata.fenced_minor, 187,
        "3/8 of $5 is 187.5 cents, rounded down"
    );
    let blocks = cost_preview(
        &[&case_3],
        &five_dollars(Rounding::WholeBlocks),
        utc,
        day,
        day,
    );
    assert_eq!(blocks.fenced_minor, 500, "3 h is one whole 8 h block");
}

#[test]
fn a_dst_day_bills_23_hours_not_24() {
    let paris = "Europe/Paris".parse().unwrap();
    let all_day = crate::terms_2024("00:00", "24:00", None, "Europe/Paris", None, 8);
    let spring = date("2024-03-31");
    let preview = cost_preview(
        &[&all_day],
        &five_dollars(Rounding::ProRata),
        paris,
        spring,
        spring,
    );
    assert_eq!(preview.licenses[0].billable_seconds, 23 * 3600);
    assert_eq!(preview.period_seconds, 23 * 3600);
    assert_eq!(preview.fenced_minor, 8 * 23 * 500 / 8);
    assert_eq!(preview.baseline_minor, preview.fenced_minor);
}

#[test]
fn a_night_shift_bills_its_eight_hours_inside_the_period() {
    let night = crate::terms_2024("22:00", "06:00", None, "UTC", None, 10);
    let utc = "UTC".parse().unwrap();
    // A week: the first morning belongs to the night before, the last night runs past the end.
    let week = cost_preview(
        &[&night],
        &five_dollars(Rounding::ProRata),
        utc,
        date("2024-06-10"),
        date("2024-06-16"),
    );
    assert_eq!(week.licenses[0].billable_seconds, 7 * 8 * 3600);
    assert_eq!(week.fenced_minor, 7 * 10 * 500);
}

#[test]
fn weekday_only_terms_bill_five_days_a_week() {
    let support = crate::terms_2024(
        "09:00",
        "17:00",
        None,
        "UTC",
        Some(&["Mon", "Tue", "Wed", "Thu", "Fri"]),
        4,
    );
    let utc = "UTC".parse().unwrap();
    let week = cost_preview(
        &[&support],
        &five_dollars(Rounding::ProRata),
        utc,
        date("2024-06-10"),
        date("2024-06-16"),
    );
    assert_eq!(week.licenses[0].occurrences, 5);
    assert_eq!(week.fenced_minor, 5 * 4 * 500);
    assert_eq!(week.baseline_minor, 7 * 3 * 4 * 500);
}

#[test]
fn money_is_formatted_with_grouping_and_two_decimals() {
    assert_eq!(format_money(0, "USD"), "$0.00");
    assert_eq!(format_money(123_456_789, "usd"), "$1,234,567.89");
    assert_eq!(format_money(-5, "EUR"), "-EUR 0.05");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn pro_rata_fenced_cost_never_exceeds_the_baseline(
        shifts in proptest::collection::vec((0u32..96, 1u32..=96, 1i64..500, 0usize..4, any::<bool>()), 1..6),
        start_day in 0i64..330,
        days in 1i64..10,
        display in 0usize..4,
    ) {
        let zones = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"];
        let hm = |q: u32| format!("{:02}:{:02}", q / 4 % 24, q % 4 * 15);
        let licenses: Vec<Terms> = shifts
            .iter()
            .map(|(start, length, seats, zone, limited)| {
                let end = start + length;
                let limit = limited.then(|| format!("{}m", (length * 15).max(1)));
                crate::terms_2024(&hm(*start), &hm(end), limit.as_deref(), zones[*zone], None, *seats)
            })
            .collect();
        let refs: Vec<&Terms> = licenses.iter().collect();
        let from = date("2024-01-01") + timefence_terms::chrono::TimeDelta::days(start_day);
        let to = from + timefence_terms::chrono::TimeDelta::days(days - 1);
        let preview = cost_preview(&refs, &five_dollars(Rounding::ProRata), zones[display].parse().unwrap(), from, to);
        prop_assert!(preview.fenced_minor <= preview.baseline_minor, "{preview:?}");
        prop_assert!(preview.savings_basis_points >= 0);
    }
}
