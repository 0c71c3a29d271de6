//! Importing usage reports and right-sizing the brief's BPO with them.

use ed25519_dalek::SigningKey;
use timefence_catalogue::{Catalogue, FirstRun, NewCustomer, PriceRevision, Rounding};
use timefence_license::relay::{certify, CertificatePayload};
use timefence_license::usage::{sign_report, LicenseUsage, Quarter, Refusals, ReportPayload};
use timefence_license::{key_id, public_key_base64};
use timefence_terms::brief;
use timefence_usage::{import, license_use, suggestions, Change, UsageError};

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
            licenses: vec![],
            issued_at: "2024-01-01T00:00:00Z".into(),
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
        });
        refusals.push(Refusals {
            start: midnight + 8 * 3600 + 2700,
            reason: "OutsideWindow".into(),
            count: 2,
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
