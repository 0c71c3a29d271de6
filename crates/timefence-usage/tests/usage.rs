//! Importing usage reports and right-sizing the brief's BPO with them.

use ed25519_dalek::SigningKey;
use timefence_catalogue::{Catalogue, FirstRun, NewCustomer, PriceRevision, Rounding};
use timefence_license::relay::{certify, CertificatePayload};
use timefence_license::usage::{sign_report, LicenseUsage, Quarter, Refusals, ReportPayload};
use timefence_license::{key_id, public_key_base64};
use timefence_terms::brief;
use timefence_usage::{
    day_profiles, import, license_use, portfolio, suggestions, Change, UsageError,
};

fn vendor() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}
fn relay() -> SigningKey {
    SigningKey::from_bytes(&[8; 32])
}

/// Acme BPO with the brief's three 2024 shifts, priced as the brief prices them ($5.00 a seat
/// per 8 hours, pro rata), and the vendor key the catalogue signs with.
fn bpo() -> (Catalogue, i64) {
    let mut catalogue = Catalogue::open_in_memory(FirstRun::Empty)
        .unwrap()
        .catalogue;
    let vendor = vendor().verifying_key();
    catalogue
        .add_signing_key(&key_id(&vendor), *vendor.as_bytes(), None)
        .unwrap();
    let product = catalogue.add_product("Timefence demo").unwrap();
    catalogue
        .set_price(
            product,
            &PriceRevision {
                applies_from: "2024-01-01".parse().unwrap(),
                currency: "USD".into(),
                price_minor: 500,
                block_hours: 8,
                rounding: Rounding::ProRata,
            },
        )
        .unwrap();
    let customer = catalogue
        .add_customer(&NewCustomer {
            name: "Acme BPO".into(),
            default_zone: "UTC".into(),
            ..Default::default()
        })
        .unwrap();
    for shift in brief::bpo_shifts() {
        let mut spec = shift.terms.to_spec();
        spec.product = "Timefence demo".into();
        catalogue.add_license(customer, shift.name, &spec).unwrap();
    }
    (catalogue, customer)
}

fn certificate(customer: &str, signer: &SigningKey) -> String {
    certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay().verifying_key()),
            customer: customer.into(),
            customer_uid: None,
            licenses: vec![],
            issued_at: "2024-01-01T00:00:00Z".into(),
            not_after: None,
        },
        signer,
    )
}

const MARCH_1: i64 = 1_709_251_200; // 2024-03-01T00:00:00Z

/// A week of use: Brazil peaks at 31 of 50 seats; India is refused at 08:00-09:00 (after its
/// window) on every day; the Philippines are used only from 10:00 on.
fn week(catalogue: &Catalogue, customer: i64, from: &str, to: &str) -> ReportPayload {
    let licenses = catalogue.licenses_of(customer).unwrap();
    let reference = |name: &str| {
        let license = licenses.iter().find(|l| l.name == name).unwrap();
        format!("{}-{}", key_id(&vendor().verifying_key()), license.uid)
    };
    let (mut brazil, mut india, mut philippines) = (vec![], vec![], vec![]);
    let mut refusals = vec![];
    for day in 0..7 {
        let midnight = MARCH_1 + day * 86_400;
        for q in 0..32 {
            let start = midnight + 16 * 3600 + q * 900;
            let peak = if day == 2 && q == 8 { 31 } else { 20 };
            brazil.push(Quarter {
                start,
                peak,
                seat_seconds: i64::from(peak) * 600,
            });
        }
        for q in 0..32 {
            india.push(Quarter {
                start: midnight + q * 900,
                peak: 95,
                seat_seconds: 95 * 900,
            });
        }
        for q in 8..32 {
            philippines.push(Quarter {
                start: midnight + 8 * 3600 + q * 900,
                peak: 190,
                seat_seconds: 190 * 900,
            });
        }
        refusals.push(Refusals {
            start: midnight + 8 * 3600,
            reason: "OutsideWindow".into(),
            count: 4,
            holders: None,
        });
        refusals.push(Refusals {
            start: midnight + 8 * 3600 + 2700,
            reason: "OutsideWindow".into(),
            count: 2,
            holders: None,
        });
    }
    let usage = |license: String, quarters: Vec<Quarter>, refusals: Vec<Refusals>| LicenseUsage {
        license,
        distinct_holders: 40,
        quarters,
        refusals,
    };
    ReportPayload {
        customer: "Acme BPO".into(),
        customer_uid: None,
        from: from.into(),
        to: to.into(),
        generated_at: "2024-03-08T00:00:00Z".into(),
        licenses: vec![
            usage(reference("L1 India"), india, refusals),
            usage(reference("L2 Philippines"), philippines, vec![]),
            usage(reference("L3 Brazil"), brazil, vec![]),
        ],
    }
}

fn usd(minor: i64) -> Vec<Change> {
    vec![Change {
        currency: "USD".into(),
        minor,
    }]
}

#[test]
fn a_week_of_use_right_sizes_the_bpo_with_exact_prices() {
    let (mut catalogue, customer) = bpo();
    let report = sign_report(
        &week(&catalogue, customer, "2024-03-01", "2024-03-07"),
        &relay(),
        &certificate("Acme BPO", &vendor()),
    );
    let imported = import(&mut catalogue, &report).unwrap();
    assert_eq!(
        (imported.customer.as_str(), imported.licenses),
        ("Acme BPO", 3)
    );

    let used = license_use(&catalogue, customer).unwrap();
    let brazil = used.iter().find(|l| l.name == "L3 Brazil").unwrap();
    assert_eq!((brazil.peak, brazil.seats, brazil.days), (31, 50, 7));
    // 7 days × 8 h × 50 seats licensed; 7 × 32 quarters × 20 seats × 600 s, plus 11 more
    // seats' 600 s once, used.
    assert_eq!(brazil.licensed_seat_seconds, 7 * 8 * 3600 * 50);
    assert_eq!(brazil.used_seat_seconds, 7 * 32 * 20 * 600 + 11 * 600);
    assert_eq!(
        brazil.utilisation_basis_points,
        brazil.used_seat_seconds * 10_000 / brazil.licensed_seat_seconds
    );
    assert_eq!(
        (brazil.licensed_quarters, brazil.unused_quarters),
        (7 * 32, 0)
    );
    let philippines = used.iter().find(|l| l.name == "L2 Philippines").unwrap();
    assert_eq!(philippines.unused_quarters, 7 * 8, "08:00-10:00 never used");
    let india = used.iter().find(|l| l.name == "L1 India").unwrap();
    assert_eq!(india.refusals.get("OutsideWindow"), Some(&42));

    let suggested = suggestions(&catalogue, customer).unwrap();
    let find = |name: &str, kind: &str| {
        suggested
            .iter()
            .find(|s| s.name == name && s.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} for {name} in {suggested:#?}"))
    };
    // Brazil: 31 at most of 50: 35 seats (10 % headroom, to 5 seats) saves 15 × $5.00 a day,
    // and 366 days of 2024.
    let fewer = find("L3 Brazil", "FewerSeats");
    assert_eq!(fewer.text, "35 seats");
    assert_eq!(fewer.terms.seats, 35);
    assert_eq!(fewer.per_day, usd(-7_500));
    assert_eq!(fewer.per_term, usd(-7_500 * 366));
    // India: turned away until 09:00: extend to 09:00, one more hour of 100 seats at
    // $5.00 / 8 h = $62.50 a day.
    let extend = find("L1 India", "ExtendWindow");
    assert_eq!(extend.text, "extend to 09:00");
    assert_eq!(extend.terms.daily_end_time, "09:00");
    assert_eq!(extend.per_day, usd(6_250));
    assert_eq!(extend.per_term, usd(6_250 * 366));
    // The Philippines: nobody before 10:00: open 10:00-16:00, 2 hours of 200 seats less.
    let shorten = find("L2 Philippines", "ShortenWindow");
    assert_eq!(shorten.text, "open 10:00-16:00");
    assert_eq!(shorten.why, "nobody used the window's first 2 hours");
    assert_eq!(shorten.per_day, usd(-25_000));
    // Nothing else: India's and the Philippines' seats fit their peaks.
    assert_eq!(suggested.len(), 3, "{suggested:#?}");
}

#[test]
fn bad_reports_get_a_typed_error_and_change_nothing() {
    let (mut catalogue, customer) = bpo();
    let payload = week(&catalogue, customer, "2024-03-01", "2024-03-07");
    let good = sign_report(&payload, &relay(), &certificate("Acme BPO", &vendor()));
    let kind = |catalogue: &mut Catalogue, text: &str| {
        import(catalogue, text)
            .map(|_| ())
            .map_err(|e: UsageError| e.kind())
    };

    // Tampered after signing.
    let tampered = good.replace("payload: ey", "payload: ez");
    assert_eq!(kind(&mut catalogue, &tampered), Err("BadSignature"));
    // A relay certified by another vendor's key.
    let stranger = sign_report(
        &payload,
        &relay(),
        &certificate("Acme BPO", &SigningKey::from_bytes(&[9; 32])),
    );
    assert_eq!(kind(&mut catalogue, &stranger), Err("UncertifiedRelay"));
    // Signed by a relay other than the certified one.
    let other_relay = sign_report(
        &payload,
        &SigningKey::from_bytes(&[10; 32]),
        &certificate("Acme BPO", &vendor()),
    );
    assert_eq!(kind(&mut catalogue, &other_relay), Err("BadSignature"));
    // A customer the catalogue does not have.
    let mut globex = payload.clone();
    globex.customer = "Globex".into();
    let globex = sign_report(&globex, &relay(), &certificate("Globex", &vendor()));
    assert_eq!(kind(&mut catalogue, &globex), Err("UnknownCustomer"));
    // Not a report.
    assert_eq!(kind(&mut catalogue, "hello"), Err("Malformed"));
    assert!(
        catalogue.usage_reports(customer).unwrap().is_empty(),
        "nothing was kept"
    );

    // Imported once; the same week again, or a period overlapping it, is refused.
    assert_eq!(kind(&mut catalogue, &good), Ok(()));
    assert_eq!(kind(&mut catalogue, &good), Err("AlreadyImported"));
    let overlapping = sign_report(
        &week(&catalogue, customer, "2024-03-07", "2024-03-10"),
        &relay(),
        &certificate("Acme BPO", &vendor()),
    );
    assert_eq!(kind(&mut catalogue, &overlapping), Err("AlreadyImported"));
    assert_eq!(catalogue.usage_reports(customer).unwrap().len(), 1);
    // The next week is welcome.
    let next = sign_report(
        &week(&catalogue, customer, "2024-03-08", "2024-03-14"),
        &relay(),
        &certificate("Acme BPO", &vendor()),
    );
    assert_eq!(kind(&mut catalogue, &next), Ok(()));
}

#[test]
fn the_timeline_profile_folds_each_day_onto_the_wall_clock_with_peak_and_p95() {
    let (mut catalogue, customer) = bpo();
    let report = sign_report(
        &week(&catalogue, customer, "2024-03-01", "2024-03-07"),
        &relay(),
        &certificate("Acme BPO", &vendor()),
    );
    import(&mut catalogue, &report).unwrap();
    let licenses = catalogue.licenses_of(customer).unwrap();
    let id = |name: &str| licenses.iter().find(|l| l.name == name).unwrap().id;

    let utc = day_profiles(&catalogue, customer, "UTC".parse().unwrap()).unwrap();
    let brazil = utc
        .iter()
        .find(|p| p.license_id == id("L3 Brazil"))
        .unwrap();
    // Open 16:00-24:00: quarters 64 to 95, every one used.
    assert_eq!(brazil.quarters.len(), 32);
    assert_eq!(brazil.quarters[0].index, 64);
    let at = |index: u16| {
        let q = brazil.quarters.iter().find(|q| q.index == index).unwrap();
        (q.peak, q.p95, q.seat_seconds)
    };
    // 18:00: 20 seats on six days, 31 on one; of 7 samples the 95th percentile is the 7th.
    assert_eq!(at(72), (31, 31, 6 * 20 * 600 + 31 * 600));
    assert_eq!(at(73), (20, 20, 7 * 20 * 600));
    // The Philippines' 08:00-10:00 were open and never used: shown as 0, not left out.
    let philippines = utc
        .iter()
        .find(|p| p.license_id == id("L2 Philippines"))
        .unwrap();
    assert_eq!(philippines.quarters.len(), 32);
    assert!(philippines.quarters[..8]
        .iter()
        .all(|q| q.peak == 0 && q.p95 == 0));
    assert!(philippines.quarters[8..]
        .iter()
        .all(|q| q.peak == 190 && q.p95 == 190));
    // India's refusals after its window: 4 a day at 08:00, 2 at 08:45.
    let india = utc.iter().find(|p| p.license_id == id("L1 India")).unwrap();
    let refusals: Vec<(u16, &str, u32)> = india
        .refusals
        .iter()
        .map(|r| (r.index, r.reason.as_str(), r.count))
        .collect();
    assert_eq!(
        refusals,
        [(32, "OutsideWindow", 28), (35, "OutsideWindow", 14)]
    );

    // On a Kolkata axis (+05:30) the same use sits 22 quarters later, wrapping at midnight.
    let kolkata = day_profiles(&catalogue, customer, "Asia/Kolkata".parse().unwrap()).unwrap();
    let brazil = kolkata
        .iter()
        .find(|p| p.license_id == id("L3 Brazil"))
        .unwrap();
    let spike = brazil.quarters.iter().find(|q| q.peak == 31).unwrap();
    assert_eq!(spike.index, 72 + 22);
    let india = kolkata
        .iter()
        .find(|p| p.license_id == id("L1 India"))
        .unwrap();
    assert_eq!(india.refusals[0].index, 32 + 22);
}

#[test]
fn the_forecast_sets_each_customers_use_against_its_licenses() {
    let (mut catalogue, customer) = bpo();
    let empty = portfolio(&catalogue, &[], "UTC".parse().unwrap()).unwrap();
    assert!(empty.customers.is_empty());
    assert!(empty.mean_in_use.iter().all(|m| *m == 0.0));
    let report = sign_report(
        &week(&catalogue, customer, "2024-03-01", "2024-03-07"),
        &relay(),
        &certificate("Acme BPO", &vendor()),
    );
    import(&mut catalogue, &report).unwrap();
    let used = license_use(&catalogue, customer).unwrap();
    let all = portfolio(&catalogue, &[], "UTC".parse().unwrap()).unwrap();
    assert_eq!(all.customers.len(), 1);
    let acme = &all.customers[0];
    assert_eq!(
        (acme.name.as_str(), acme.days, acme.licenses, acme.refusals),
        ("Acme BPO", 7, 3, 42)
    );
    assert_eq!(
        acme.licensed_seat_seconds,
        used.iter().map(|u| u.licensed_seat_seconds).sum::<i64>()
    );
    assert_eq!(
        acme.used_seat_seconds,
        used.iter().map(|u| u.used_seat_seconds).sum::<i64>()
    );
    // 18:00 UTC: Brazil's seat-seconds over 7 days of 900 s are its mean seats in use.
    let expected = f64::from(6 * 20 * 600 + 31 * 600) / (7.0 * 900.0);
    assert!(
        (all.mean_in_use[72] - expected).abs() < 1e-9,
        "{}",
        all.mean_in_use[72]
    );
    // 03:00: India, 95 seats all the time.
    assert!((all.mean_in_use[12] - 95.0).abs() < 1e-9);
    // Another customer's scope leaves Acme out.
    let other = catalogue.add_named_customer("Globex", "UTC").unwrap();
    assert!(portfolio(&catalogue, &[other], "UTC".parse().unwrap())
        .unwrap()
        .customers
        .is_empty());
}

/// Support desk, 08:00-20:00 UTC, 10 seats: each day used for three hours at a different time,
/// from the window's first hour on one day to its last on another, so no shorter window fits.
#[test]
fn use_that_wanders_through_a_long_window_gets_a_daily_limit() {
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Support", "08:00", "20:00", 10);
    let starts = [8, 12, 17, 10, 14, 9, 16]; // hours; 17:00-20:00 ends with the window
    let mut quarters = vec![];
    for (day, hour) in starts.iter().enumerate() {
        for q in 0..12 {
            quarters.push(Quarter {
                start: MARCH_1 + day as i64 * 86_400 + hour * 3600 + q * 900,
                peak: 6,
                seat_seconds: 6 * 900,
            });
        }
    }
    let mine = suggested_for(&mut catalogue, customer, "Support", &uid, quarters, vec![]);
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let limit = &mine[0];
    assert_eq!(limit.kind, "DailyLimit");
    assert_eq!(limit.text, "limit to 3 hours a day");
    assert_eq!(
        limit.why,
        "no day's use spanned more than 3 hours of the 12-hour window"
    );
    assert_eq!(
        limit.terms.daily_time_consumption_limit.as_deref(),
        Some("3h")
    );
    // 9 hours fewer of 10 seats at $5.00 per 8 hours: $56.25 a day.
    assert_eq!(limit.per_day, usd(-5_625));
    assert_eq!(limit.per_term, usd(-5_625 * 366));
}

#[test]
fn a_report_kept_before_packing_reads_the_same_and_deletion_undone_brings_reports_back() {
    // Packed (as imports are kept now).
    let (mut packed, customer) = bpo();
    let payload = week(&packed, customer, "2024-03-01", "2024-03-07");
    import(
        &mut packed,
        &sign_report(&payload, &relay(), &certificate("Acme BPO", &vendor())),
    )
    .unwrap();
    // As schema version 6 kept it: the quarter-hours inside the JSON payload.
    let (mut plain, same_customer) = bpo();
    let plain_payload = week(&plain, same_customer, "2024-03-01", "2024-03-07");
    plain
        .add_usage_report(&timefence_catalogue::NewUsageReport {
            customer_id: same_customer,
            relay_key: "relay".into(),
            from: plain_payload.from.clone(),
            to: plain_payload.to.clone(),
            payload: serde_json::to_string(&plain_payload).unwrap(),
            packed: None,
        })
        .unwrap();
    let stored = packed.usage_reports(customer).unwrap();
    assert!(
        !stored[0].report.payload.contains("seat_seconds"),
        "the packed row's payload has no quarter-hours"
    );
    let before = license_use(&packed, customer).unwrap();
    // The two catalogues' licenses have their own uids; all else must agree.
    let without_uid = |mut uses: Vec<timefence_usage::LicenseUse>| {
        uses.iter_mut().for_each(|u| u.uid.clear());
        uses
    };
    assert!(
        without_uid(before.clone()) == without_uid(license_use(&plain, same_customer).unwrap()),
        "a version-6 row reads differently from a packed one"
    );
    assert_eq!(
        before.iter().map(|u| u.quarters.len()).sum::<usize>(),
        7 * (32 + 32 + 24)
    );

    // Deleting the customer takes its reports to the trash; undoing brings them back.
    packed.delete_customer(customer).unwrap();
    assert!(packed.usage_reports(customer).unwrap().is_empty());
    // Meanwhile another customer's import takes an id the trash does not hold.
    let other = packed.add_named_customer("Globex", "UTC").unwrap();
    let mut globex = payload.clone();
    globex.customer = "Globex".into();
    globex.licenses.clear();
    import(
        &mut packed,
        &sign_report(&globex, &relay(), &certificate("Globex", &vendor())),
    )
    .unwrap();
    packed.restore_customer(customer).unwrap();
    assert!(packed.usage_reports(customer).unwrap() == stored);
    assert!(license_use(&packed, customer).unwrap() == before);
    assert_eq!(packed.usage_reports(other).unwrap().len(), 1);
}

/// Day shift, 08:00-16:00 UTC, 20 seats: nobody before 09:00, and claims turned away at
/// 16:00-17:00: the window moves an hour later, at no change in cost.
#[test]
fn refusals_after_the_close_and_an_unused_first_hour_move_the_window() {
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Day", "08:00", "16:00", 20);
    let (mut quarters, mut refusals) = (vec![], vec![]);
    for day in 0..7 {
        let midnight = MARCH_1 + day * 86_400;
        for q in 4..32 {
            quarters.push(Quarter {
                start: midnight + 8 * 3600 + q * 900,
                peak: 15,
                seat_seconds: 15 * 900,
            });
        }
        refusals.push(Refusals {
            start: midnight + 16 * 3600 + 1800,
            reason: "OutsideWindow".into(),
            count: 3,
            holders: None,
        });
    }
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, refusals);
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let shift = &mine[0];
    assert_eq!(shift.kind, "ShiftWindow");
    assert_eq!(shift.text, "move to 09:00-17:00");
    assert_eq!(
        shift.why,
        "21 claims came just outside the window, and nobody used the window's first hour"
    );
    assert_eq!(
        (
            shift.terms.daily_start_time.as_str(),
            shift.terms.daily_end_time.as_str()
        ),
        ("09:00", "17:00")
    );
    assert_eq!(shift.per_day, usd(0));
    assert_eq!(shift.per_term, usd(0));
}

/// A license added to Acme BPO beside the brief's shifts: `start`-`end` UTC in 2024.
fn add_shift(
    catalogue: &mut Catalogue,
    customer: i64,
    name: &str,
    start: &str,
    end: &str,
    seats: i64,
) -> String {
    let mut spec = brief::bpo_shifts()[0].terms.to_spec();
    spec.daily_start_time = start.into();
    spec.daily_end_time = end.into();
    spec.seats = seats;
    spec.product = "Timefence demo".into();
    let id = catalogue.add_license(customer, name, &spec).unwrap();
    catalogue.license(id).unwrap().uid
}

/// Imports a week's report (1-7 March 2024) of one license's use, and returns the
/// suggestions for that license.
fn suggested_for(
    catalogue: &mut Catalogue,
    customer: i64,
    name: &str,
    uid: &str,
    quarters: Vec<Quarter>,
    refusals: Vec<Refusals>,
) -> Vec<timefence_usage::Suggestion> {
    let payload = ReportPayload {
        customer: "Acme BPO".into(),
        customer_uid: None,
        from: "2024-03-01".into(),
        to: "2024-03-07".into(),
        generated_at: "2024-03-08T00:00:00Z".into(),
        licenses: vec![LicenseUsage {
            license: format!("{}-{uid}", key_id(&vendor().verifying_key())),
            distinct_holders: 9,
            quarters,
            refusals,
        }],
    };
    import(
        catalogue,
        &sign_report(&payload, &relay(), &certificate("Acme BPO", &vendor())),
    )
    .unwrap();
    suggestions(catalogue, customer)
        .unwrap()
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

/// A day of a 10-seat 08:00-16:00 license: every seat held 10:00-11:00, and `refusals` there.
fn full_at_ten(refusals: Vec<Refusals>) -> (Vec<Quarter>, Vec<Refusals>) {
    let ten = MARCH_1 + 10 * 3600;
    let quarters = (0..4)
        .map(|q| Quarter {
            start: ten + q * 900,
            peak: 10,
            seat_seconds: 10 * 900,
        })
        .collect();
    (quarters, refusals)
}

fn seats_full(start: i64, count: u32, holders: Option<u32>) -> Refusals {
    Refusals {
        start,
        reason: "SeatsFull".into(),
        count,
        holders,
    }
}

#[test]
fn more_seats_counts_people_turned_away_and_applied_once_suggests_no_more() {
    let ten = MARCH_1 + 10 * 3600;
    // Two people turned away in one quarter-hour, one of them retrying 40 times.
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Day", "08:00", "16:00", 10);
    let (quarters, refusals) = full_at_ten(vec![seats_full(ten, 41, Some(2))]);
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, refusals);
    let more: Vec<_> = mine.iter().filter(|s| s.kind == "MoreSeats").collect();
    assert_eq!(more.len(), 1, "{mine:#?}");
    assert_eq!(more[0].text, "12 seats", "people, not the 41 retries");
    assert_eq!(
        more[0].why,
        "up to 12 wanted a seat at once (2 people turned away with every seat taken)"
    );
    // Applied, and the same report read again: nothing more (it asked for 14, then 16).
    let license = catalogue
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .find(|l| l.name == "Day")
        .unwrap();
    catalogue
        .update_license(license.id, "Day", &more[0].terms)
        .unwrap();
    let again: Vec<_> = suggestions(&catalogue, customer)
        .unwrap()
        .into_iter()
        .filter(|s| s.name == "Day" && s.kind.ends_with("Seats"))
        .collect();
    assert!(again.is_empty(), "{again:#?}");
}

#[test]
fn a_report_without_holder_counts_falls_back_to_refusals_and_still_converges() {
    let ten = MARCH_1 + 10 * 3600;
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Day", "08:00", "16:00", 10);
    let (quarters, refusals) = full_at_ten(vec![seats_full(ten, 2, None)]);
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, refusals);
    let more: Vec<_> = mine.iter().filter(|s| s.kind == "MoreSeats").collect();
    assert_eq!(more[0].text, "12 seats");
    let license = catalogue
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .find(|l| l.name == "Day")
        .unwrap();
    catalogue
        .update_license(license.id, "Day", &more[0].terms)
        .unwrap();
    assert!(suggestions(&catalogue, customer)
        .unwrap()
        .iter()
        .all(|s| s.name != "Day" || !s.kind.ends_with("Seats")));
}

#[test]
fn renewals_refused_at_the_close_are_neither_claims_nor_marks() {
    // Every day, leases capped at 16:00 had one renewal refused just after the close.
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Day", "08:00", "16:00", 10);
    let mut quarters = Vec::new();
    let mut refusals = Vec::new();
    for day in 0..7 {
        let midnight = MARCH_1 + day * 86_400;
        for q in 0..32 {
            quarters.push(Quarter {
                start: midnight + 8 * 3600 + q * 900,
                peak: 8,
                seat_seconds: 8 * 900,
            });
        }
        refusals.push(Refusals {
            start: midnight + 16 * 3600,
            reason: "OutsideWindowAtRenewal".into(),
            count: 8,
            holders: Some(8),
        });
    }
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, refusals);
    assert!(
        mine.iter()
            .all(|s| s.kind != "ExtendWindow" && s.kind != "ShiftWindow"),
        "{mine:#?}"
    );
    let used = license_use(&catalogue, customer)
        .unwrap()
        .into_iter()
        .find(|u| u.name == "Day")
        .unwrap();
    assert!(used.refused.is_empty(), "{:?}", used.refused);
    assert_eq!(used.renewals_refused, 56);
    let profiles = day_profiles(&catalogue, customer, "UTC".parse().unwrap()).unwrap();
    let day = profiles
        .iter()
        .find(|p| p.license_id == used.license_id)
        .unwrap();
    assert!(
        day.refusals.is_empty(),
        "a refusal mark at the close: {:?}",
        day.refusals
    );
}

#[test]
fn a_report_for_a_day_that_has_not_ended_is_refused_and_changes_nothing() {
    let (mut catalogue, customer) = bpo();
    let week = week(&catalogue, customer, "2024-03-01", "2024-03-07");
    let text = sign_report(&week, &relay(), &certificate("Acme BPO", &vendor()));
    for today in ["2024-03-07", "2024-03-01", "2024-02-01"] {
        let refused = timefence_usage::import_on(&mut catalogue, &text, today.parse().unwrap());
        match refused {
            Err(e @ UsageError::NotEnded { .. }) => {
                assert_eq!(e.kind(), "NotEnded");
                assert!(e.to_string().contains("has not ended"), "{e}");
            }
            other => panic!("{today}: {other:?}"),
        }
    }
    assert!(catalogue.usage_reports(customer).unwrap().is_empty());
    timefence_usage::import_on(&mut catalogue, &text, "2024-03-08".parse().unwrap()).unwrap();
}

#[test]
fn a_suggestion_for_an_unpriced_product_says_so() {
    let (mut catalogue, customer) = bpo();
    let mut spec = brief::bpo_shifts()[0].terms.to_spec();
    spec.daily_start_time = "08:00".into();
    spec.daily_end_time = "16:00".into();
    spec.seats = 50;
    spec.product = "Unpriced thing".into();
    let id = catalogue.add_license(customer, "Day", &spec).unwrap();
    let uid = catalogue.license(id).unwrap().uid;
    let (quarters, _) = full_at_ten(vec![]);
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, vec![]);
    let fewer = mine
        .iter()
        .find(|s| s.kind == "FewerSeats")
        .expect("fewer seats");
    assert_eq!(fewer.unpriced.as_deref(), Some("Unpriced thing"));
    assert!(fewer.per_term.is_empty());
}

fn relay_b() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// A report of one day of `license` (the catalogue's uid) by `relay`, certified for it alone.
fn one_day_by(
    catalogue: &Catalogue,
    customer: i64,
    name: &str,
    relay: &SigningKey,
    day: &str,
) -> String {
    let license = catalogue
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .find(|l| l.name == name)
        .unwrap();
    let certificate = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay.verifying_key()),
            customer: "Acme BPO".into(),
            customer_uid: None,
            licenses: vec![license.uid.clone()],
            issued_at: "2024-01-01T00:00:00Z".into(),
            not_after: None,
        },
        &vendor(),
    );
    let start: i64 = format!("{day}T12:00:00Z")
        .parse::<timefence_terms::chrono::DateTime<timefence_terms::chrono::Utc>>()
        .unwrap()
        .timestamp();
    sign_report(
        &ReportPayload {
            customer: "Acme BPO".into(),
            customer_uid: None,
            from: day.into(),
            to: day.into(),
            generated_at: "2024-04-01T00:00:00Z".into(),
            licenses: vec![LicenseUsage {
                license: format!("{}-{}", key_id(&vendor().verifying_key()), license.uid),
                distinct_holders: 3,
                quarters: vec![Quarter {
                    start,
                    peak: 3,
                    seat_seconds: 2700,
                }],
                refusals: vec![],
            }],
        },
        relay,
        &certificate,
    )
}

#[test]
fn two_relays_of_one_customer_import_the_same_days_for_their_own_licenses() {
    let (mut catalogue, customer) = bpo();
    let after = "2024-04-01".parse().unwrap();
    let names: Vec<String> = catalogue
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    let (first, second) = (&names[0], &names[1]);
    let a = one_day_by(&catalogue, customer, first, &relay(), "2024-03-05");
    let b = one_day_by(&catalogue, customer, second, &relay_b(), "2024-03-05");
    timefence_usage::import_on(&mut catalogue, &a, after).unwrap();
    timefence_usage::import_on(&mut catalogue, &b, after).unwrap();
    assert_eq!(catalogue.usage_reports(customer).unwrap().len(), 2);
    // The same license's day again (another relay of a pair on one database reports the same
    // use): refused, naming the license.
    let again = one_day_by(&catalogue, customer, first, &relay_b(), "2024-03-05");
    let refused = timefence_usage::import_on(&mut catalogue, &again, after).unwrap_err();
    assert_eq!(refused.kind(), "AlreadyImported");
    assert!(refused.to_string().contains("usage of"), "{refused}");
}

#[test]
fn a_mistaken_import_is_withdrawn_to_the_trash_and_can_come_back() {
    let (mut catalogue, customer) = bpo();
    let after = "2024-04-01".parse().unwrap();
    let name = catalogue.licenses_of(customer).unwrap()[0].name.clone();
    let wrong = one_day_by(&catalogue, customer, &name, &relay(), "2024-03-05");
    let imported = timefence_usage::import_on(&mut catalogue, &wrong, after).unwrap();
    catalogue.withdraw_usage_report(imported.report_id).unwrap();
    assert!(catalogue.usage_reports(customer).unwrap().is_empty());
    assert!(license_use(&catalogue, customer)
        .unwrap()
        .iter()
        .all(|u| !u.reported));
    // Its days are free again: the right report imports.
    let right = one_day_by(&catalogue, customer, &name, &relay_b(), "2024-03-05");
    timefence_usage::import_on(&mut catalogue, &right, after).unwrap();
    // Bringing the withdrawn one back now would count the day twice: refused.
    let refused = catalogue
        .restore_usage_report(imported.report_id)
        .unwrap_err();
    assert!(
        refused.to_string().contains("already imported"),
        "{refused}"
    );
    // Withdrawn too, the first comes back; a customer deleted and restored keeps it withdrawn
    // rather than bringing it back with the rest.
    let kept = catalogue.usage_reports(customer).unwrap()[0].id;
    catalogue.withdraw_usage_report(kept).unwrap();
    catalogue.restore_usage_report(imported.report_id).unwrap();
    assert_eq!(
        catalogue.usage_reports(customer).unwrap()[0].id,
        imported.report_id
    );
    catalogue.delete_customer(customer).unwrap();
    catalogue.restore_customer(customer).unwrap();
    let ids: Vec<i64> = catalogue
        .usage_reports(customer)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![imported.report_id]);
    assert!(catalogue.withdraw_usage_report(999).is_err());
}

#[test]
fn a_renamed_customer_s_relay_covers_newly_signed_files_and_its_reports_import() {
    use timefence_license::relay::read_certificate;
    use timefence_signing::issue::{issue, Destination, Signer};
    let (mut catalogue, customer) = bpo();
    let owner = catalogue.customer(customer).unwrap();
    assert_eq!(owner.uid.len(), 32);
    // The relay certified while the customer is "Acme BPO".
    let certificate_text = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay().verifying_key()),
            customer: owner.name.clone(),
            customer_uid: Some(owner.uid.clone()),
            licenses: vec![],
            issued_at: "2024-01-01T00:00:00Z".into(),
            not_after: None,
        },
        &vendor(),
    );
    // Renamed; a license signed afterwards carries the new name and the same uid.
    catalogue
        .update_customer(customer, "Acme Global Services", "UTC")
        .unwrap();
    let license = catalogue.licenses_of(customer).unwrap()[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer {
        key_id: key_id(&vendor().verifying_key()),
        key: vendor(),
    };
    let issued = issue(
        &mut catalogue,
        &signer,
        license.id,
        Destination::Folder(dir.path()),
        None,
        "2024-03-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let keys = timefence_signing::catalogue_keys(&catalogue).unwrap();
    let file =
        timefence_license::verify(&std::fs::read_to_string(issued.path).unwrap(), &keys).unwrap();
    assert_eq!(file.payload.customer, "Acme Global Services");
    let certificate = read_certificate(&certificate_text, &keys).unwrap();
    certificate.covers(&file).unwrap();
    // The relay's report names the old name and the uid; it lands on the renamed customer.
    let mut payload = week(&catalogue, customer, "2024-03-01", "2024-03-07");
    payload.customer = "Acme BPO".into();
    payload.customer_uid = Some(owner.uid.clone());
    let imported = import(
        &mut catalogue,
        &sign_report(&payload, &relay(), &certificate_text),
    )
    .unwrap();
    assert_eq!(imported.customer_id, customer);
    assert_eq!(imported.customer, "Acme Global Services");
    // A file of another customer with the same name is not covered.
    let mut other = file.clone();
    other.payload.customer_uid = Some("0".repeat(32));
    other.payload.customer = "Acme BPO".into();
    assert!(certificate.covers(&other).is_err());
}

#[test]
fn a_withdrawn_or_ended_relay_certificate_s_reports_are_refused() {
    let (mut catalogue, customer) = bpo();
    let owner = catalogue.customer(customer).unwrap();
    let after = "2024-04-01".parse().unwrap();
    let certificate_until = |not_after: &str| CertificatePayload {
        relay_key: public_key_base64(&relay().verifying_key()),
        customer: owner.name.clone(),
        customer_uid: Some(owner.uid.clone()),
        licenses: vec![],
        issued_at: "2024-01-01T00:00:00Z".into(),
        not_after: Some(not_after.into()),
    };
    let mut payload = week(&catalogue, customer, "2024-03-01", "2024-03-07");
    payload.customer_uid = Some(owner.uid.clone());
    // Ended on 2024-03-05, before the report's last day: refused.
    let ended = certify(&certificate_until("2024-03-05T00:00:00Z"), &vendor());
    let refused = timefence_usage::import_on(
        &mut catalogue,
        &sign_report(&payload, &relay(), &ended),
        after,
    )
    .unwrap_err();
    assert_eq!(refused.kind(), "CertificateNotInForce");
    assert!(
        refused
            .to_string()
            .contains("ended at 2024-03-05T00:00:00Z"),
        "{refused}"
    );
    // In force, and recorded as this catalogue's: imported; once withdrawn, the next refused.
    let payload_cert = certificate_until("2025-01-01T00:00:00Z");
    let good = certify(&payload_cert, &vendor());
    let id = catalogue
        .record_relay_certificate(&timefence_catalogue::RelayCertificateRecord {
            id: 0,
            customer_id: customer,
            relay_key: payload_cert.relay_key.clone(),
            relay_key_id: key_id(&relay().verifying_key()),
            licenses: vec![],
            key_id: key_id(&vendor().verifying_key()),
            issued_at: payload_cert.issued_at.clone(),
            not_after: payload_cert.not_after.clone(),
            withdrawn_at: None,
        })
        .unwrap();
    timefence_usage::import_on(
        &mut catalogue,
        &sign_report(&payload, &relay(), &good),
        after,
    )
    .unwrap();
    catalogue.withdraw_relay_certificate(id).unwrap();
    let listed = catalogue.relay_certificates(Some(customer)).unwrap();
    assert!(listed[0].withdrawn_at.is_some());
    let mut next = week(&catalogue, customer, "2024-03-08", "2024-03-14");
    next.customer_uid = Some(owner.uid.clone());
    let refused =
        timefence_usage::import_on(&mut catalogue, &sign_report(&next, &relay(), &good), after)
            .unwrap_err();
    assert_eq!(refused.kind(), "CertificateNotInForce");
    assert!(refused.to_string().contains("was withdrawn"), "{refused}");
}

#[test]
fn a_suggestion_applied_after_another_edit_is_refused_rather_than_undoing_it() {
    let ten = MARCH_1 + 10 * 3600;
    let (mut catalogue, customer) = bpo();
    let uid = add_shift(&mut catalogue, customer, "Day", "08:00", "16:00", 10);
    // Saved twice already, so that the count the suggestion carries is not a default.
    for _ in 0..2 {
        let day = catalogue
            .licenses_of(customer)
            .unwrap()
            .into_iter()
            .find(|l| l.name == "Day")
            .unwrap();
        catalogue
            .update_license_from(day.id, day.edits, "Day", &day.terms.to_spec())
            .unwrap();
    }
    let (quarters, refusals) = full_at_ten(vec![seats_full(ten, 2, Some(2))]);
    let mine = suggested_for(&mut catalogue, customer, "Day", &uid, quarters, refusals);
    let more = mine.iter().find(|s| s.kind == "MoreSeats").unwrap();
    let license = catalogue
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .find(|l| l.name == "Day")
        .unwrap();
    // The suggestion says which saved version of the license it was made from.
    assert_eq!((more.edits, license.edits), (2, 2));
    // Someone saves the license (a new name) after the suggestion was shown...
    catalogue
        .update_license_from(
            license.id,
            license.edits,
            "Day shift",
            &license.terms.to_spec(),
        )
        .unwrap();
    // ...and applying it, from the version it was made from, is refused: the rename stays.
    let applied = catalogue.update_license_from(license.id, more.edits, "Day", &more.terms);
    assert!(
        matches!(
            applied,
            Err(timefence_catalogue::CatalogueError::EditConflict { .. })
        ),
        "{applied:?}"
    );
    assert_eq!(catalogue.license(license.id).unwrap().name, "Day shift");
}
