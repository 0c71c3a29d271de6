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

mod schedules {
    use super::*;
    use timefence_terms::{
        currency_digits, parse_money, schedule_cost, PriceSchedule, Priced, TermsSpec,
    };

    fn eight_hours(name: &str, product: &str, seats: i64, from: &str, to: &str) -> Terms {
        TermsSpec {
            license_start_date: from.into(),
            license_end_date: to.into(),
            daily_start_time: "08:00".into(),
            daily_end_time: "16:00".into(),
            daily_time_consumption_limit: None,
            time_zone: "UTC".into(),
            weekdays: None,
            seats,
            product: product.into(),
            features: Default::default(),
        }
        .validate()
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
    }

    fn price(currency: &str, minor: u64) -> Pricing {
        Pricing {
            currency: currency.into(),
            price_minor: minor,
            block_hours: 8,
            rounding: Rounding::ProRata,
        }
    }

    #[test]
    fn a_price_change_in_the_middle_of_a_term_prices_each_day_with_its_own_book() {
        let license = eight_hours("desk", "CAD", 10, "2027-01-01", "2027-12-31");
        // $5 a seat-block until 10 January, $6 from then on.
        let prices = PriceSchedule::new(vec![
            (date("2026-12-01"), price("USD", 500)),
            (date("2027-01-10"), price("USD", 600)),
        ]);
        let cost = schedule_cost(
            &[Priced {
                terms: &license,
                prices: &prices,
            }],
            "UTC".parse().unwrap(),
            date("2027-01-05"),
            date("2027-01-14"),
        );
        // 5 days at $50 and 5 days at $60 for the license; the baseline, 10 seats for 24 h,
        // is three blocks a day: 5 × $150 + 5 × $180.
        assert_eq!(cost.licenses[0].amounts[0].minor, 5 * 5_000 + 5 * 6_000);
        assert_eq!(cost.totals.len(), 1);
        assert_eq!(cost.totals[0].fenced_minor, 55_000);
        assert_eq!(cost.totals[0].baseline_minor, 5 * 15_000 + 5 * 18_000);
        assert_eq!(
            cost.totals[0].formulas,
            [
                "10 seats × 120 h / 8 h × $5.00 = $750.00",
                "10 seats × 120 h / 8 h × $6.00 = $900.00"
            ]
        );
        assert!(cost.unpriced_products.is_empty());
    }

    #[test]
    fn two_currencies_stay_apart_and_are_never_added() {
        let dollars = eight_hours("a", "CAD", 10, "2027-01-01", "2027-12-31");
        let euros = eight_hours("b", "Render", 4, "2027-01-01", "2027-12-31");
        let yen = eight_hours("c", "Scan", 1, "2027-01-01", "2027-12-31");
        let usd = PriceSchedule::always(price("USD", 500));
        let eur = PriceSchedule::always(price("EUR", 700));
        let jpy = PriceSchedule::always(price("JPY", 900));
        let day = date("2027-03-03");
        let cost = schedule_cost(
            &[
                Priced {
                    terms: &dollars,
                    prices: &usd,
                },
                Priced {
                    terms: &euros,
                    prices: &eur,
                },
                Priced {
                    terms: &yen,
                    prices: &jpy,
                },
            ],
            "UTC".parse().unwrap(),
            day,
            day,
        );
        let totals: Vec<(&str, u64, u64)> = cost
            .totals
            .iter()
            .map(|t| (t.currency.as_str(), t.fenced_minor, t.baseline_minor))
            .collect();
        assert_eq!(
            totals,
            [
                ("EUR", 4 * 700, 4 * 3 * 700),
                ("JPY", 900, 3 * 900),
                ("USD", 10 * 500, 10 * 3 * 500)
            ]
        );
        assert_eq!(
            cost.totals[1].formulas,
            ["1 seat × 24 h / 8 h × JPY 900 = JPY 2,700"]
        );
        // Each product has its own baseline: the peak of all three together (15) is not billed.
        assert_eq!(cost.peak_seats, 15);
    }

    #[test]
    fn a_product_without_a_price_is_named_and_counted_nowhere() {
        let priced = eight_hours("a", "CAD", 10, "2027-01-01", "2027-12-31");
        let unpriced = eight_hours("b", "New thing", 4, "2027-01-01", "2027-12-31");
        let usd = PriceSchedule::always(price("USD", 500));
        let nothing = PriceSchedule::none();
        // A price that starts after the period counts as none too.
        let later = PriceSchedule::new(vec![(date("2027-06-01"), price("USD", 100))]);
        let day = date("2027-03-03");
        let cost = schedule_cost(
            &[
                Priced {
                    terms: &priced,
                    prices: &usd,
                },
                Priced {
                    terms: &unpriced,
                    prices: &nothing,
                },
                Priced {
                    terms: &unpriced,
                    prices: &later,
                },
            ],
            "UTC".parse().unwrap(),
            day,
            day,
        );
        assert_eq!(cost.unpriced_products, ["New thing"]);
        assert_eq!(cost.licenses[1].amounts, []);
        assert_eq!(cost.licenses[1].unpriced_occurrences, 1);
        assert_eq!(cost.totals.len(), 1);
        assert_eq!(cost.totals[0].fenced_minor, 5_000);
        assert!(cost.any_open);
        let closed = schedule_cost(
            &[Priced {
                terms: &priced,
                prices: &usd,
            }],
            "UTC".parse().unwrap(),
            date("2026-03-03"),
            date("2026-03-03"),
        );
        assert!(!closed.any_open);
        assert!(closed.totals.is_empty(), "{closed:?}");
    }

    #[test]
    fn amounts_follow_the_currency_s_minor_unit() {
        assert_eq!(currency_digits("usd"), Some(2));
        assert_eq!(currency_digits("JPY"), Some(0));
        assert_eq!(currency_digits("KWD"), Some(3));
        assert_eq!(currency_digits("XYZ"), None);
        assert_eq!(format_money(123_456, "JPY"), "JPY 123,456");
        assert_eq!(format_money(1_250, "KWD"), "KWD 1.250");
        assert_eq!(parse_money("5", "USD"), Some(500));
        assert_eq!(parse_money("1,250.5", "USD"), Some(125_050));
        assert_eq!(parse_money("0.125", "KWD"), Some(125));
        assert_eq!(parse_money("900", "JPY"), Some(900));
        for bad in ["", "-5", "5.001", "five", "1.2.3", "9999999999999999"] {
            assert_eq!(parse_money(bad, "USD"), None, "{bad:?}");
        }
        assert_eq!(parse_money("9.5", "JPY"), None);
        assert_eq!(parse_money("5", "XYZ"), None);
    }
}
