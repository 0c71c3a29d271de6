//! The proof in one piece: seats held across a window's close on a real relay (by the
//! real client, which stops renewing at the close, and by an older client that renews once
//! after it), the relay's report of that day, and the vendor's import of it. The close leaves
//! no trace in the administrator's figures: no refusal mark on the timeline, no "extend the
//! window" suggestion.

mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};
use timefence_catalogue::{Catalogue, FirstRun, NewCustomer, PriceRevision, Rounding};
use timefence_license::client::RelayClient;
use timefence_license::relay::{certify, read_certificate, CertificatePayload};
use timefence_license::{key_id, public_key_base64, sign, verify, LicensePayload, TrustedKeys};

#[test]
fn a_seat_held_across_the_close_reports_and_imports_without_a_mark_or_an_extension() {
    // The vendor's catalogue: Acme BPO with one 00:00-08:00 UTC license of 2 seats in 2027,
    // priced, and the vendor key the relay's chain ends in.
    let mut catalogue = Catalogue::open_in_memory(FirstRun::Empty)
        .unwrap()
        .catalogue;
    let vendor_public = vendor().verifying_key();
    catalogue
        .add_signing_key(&key_id(&vendor_public), *vendor_public.as_bytes(), None)
        .unwrap();
    let product = catalogue.add_product("Timefence demo").unwrap();
    catalogue
        .set_price(
            product,
            &PriceRevision {
                applies_from: "2027-01-01".parse().unwrap(),
                currency: "USD".into(),
                price_minor: 500,
                block_hours: 8,
                rounding: Rounding::ProRata,
            },
        )
        .unwrap();
    let customer_id = catalogue
        .add_customer(&NewCustomer {
            name: "Acme BPO".into(),
            default_zone: "UTC".into(),
            ..Default::default()
        })
        .unwrap();
    let mut spec = terms("2027-01-01", "2027-12-31", "00:00", "08:00", "UTC", 2, None);
    spec.product = "Timefence demo".into();
    let license_id = catalogue.add_license(customer_id, "Night", &spec).unwrap();
    let license = catalogue.license(license_id).unwrap();
    let customer = catalogue.customer(customer_id).unwrap();
    let file = sign(
        &LicensePayload {
            license_id,
            uid: Some(license.uid.clone()),
            revision: license.revision,
            customer: customer.name.clone(),
            customer_uid: Some(customer.uid.clone()),
            name: license.name.clone(),
            issued_at: "2027-01-01T00:00:00Z".into(),
            serial: 1,
            not_after: None,
            terms: license.terms.to_spec(),
        },
        &vendor(),
        "test",
    );
    let certificate_text = certify(
        &CertificatePayload {
            relay_key: public_key_base64(&relay_key().verifying_key()),
            customer: customer.name.clone(),
            customer_uid: Some(customer.uid.clone()),
            licenses: vec![],
            issued_at: "2027-01-01T00:00:00Z".into(),
            not_after: Some("2027-12-31T23:59:59Z".into()),
        },
        &vendor(),
    );

    // The relay, 2 s before the close on 1 March.
    let close = ms("2027-03-01T08:00:00Z");
    let setup = Setup::new(&[("night.lic", file.clone())], close - 2_000);
    std::fs::write(setup.path("relay.cert"), &certificate_text).unwrap();
    let relay = setup.start(&["--ttl", "60"]);
    let mut trusted = TrustedKeys::default();
    trusted.add(vendor_public);
    let reference = format!("{}-{}", key_id(&vendor_public), license.uid);

    // An older client claims and will renew once after the close.
    let old = relay.claim(&reference, "old-client", "00112233445566778899aabbccddeeff");
    assert_eq!(old.status, 201, "{:?}", old.body);
    let old_lease = old.lease()["id"].as_str().unwrap().to_string();
    let old_secret = secret_of(&old_lease);
    // The real client holds the other seat and lets it go at the close by itself.
    let client = RelayClient::new(
        &relay.base,
        verify(&file, &trusted).unwrap(),
        read_certificate(&certificate_text, &trusted).unwrap(),
        "agent-1",
    )
    .unwrap();
    let seat = client.claim().expect("a seat before the close");
    let deadline = Instant::now() + Duration::from_secs(30);
    while seat.is_held() {
        assert!(
            Instant::now() < deadline,
            "the client renewed past the close"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seat.lease().unwrap_err().kind(), "Expired");
    // The relay's clock has moved past the close too by the time the seat is dropped (its
    // release then gives nothing back: the lease already ended at the close).
    setup.set_clock(close + 5_000);
    drop(seat);
    let late = relay.renew_as(&old_lease, old_secret.as_deref(), 1);
    assert_eq!(late.error(), "OutsideWindow", "{:?}", late.body);

    // The next day: the relay reports 1 March, and the vendor imports it.
    setup.set_clock(ms("2027-03-02T00:10:00Z"));
    let report = Command::new(env!("CARGO_BIN_EXE_timefence-relay"))
        .arg("report")
        .args(["--storage", &setup.storage])
        .arg("--key")
        .arg(setup.path("relay.key"))
        .arg("--certificate")
        .arg(setup.path("relay.cert"))
        .arg("--trust")
        .arg(setup.path("vendor.pub.pem"))
        .args(["--from", "2027-03-01", "--to", "2027-03-01", "--out"])
        .arg(setup.path("march-1.report"))
        .arg("--clock-file")
        .arg(setup.path("clock"))
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let text = std::fs::read_to_string(setup.path("march-1.report")).unwrap();
    // The day is not over on 1 March itself: refused by the import too.
    assert_eq!(
        timefence_usage::import_on(&mut catalogue, &text, "2027-03-01".parse().unwrap())
            .unwrap_err()
            .kind(),
        "NotEnded"
    );
    timefence_usage::import_on(&mut catalogue, &text, "2027-03-02".parse().unwrap()).unwrap();

    let used = timefence_usage::license_use(&catalogue, customer_id)
        .unwrap()
        .into_iter()
        .find(|u| u.name == "Night")
        .unwrap();
    assert_eq!(used.peak, 2, "both seats were held before the close");
    assert!(used.refused.is_empty(), "refusals: {:?}", used.refused);
    assert_eq!(used.renewals_refused, 1, "the old client's late renewal");
    let profile = timefence_usage::day_profiles(&catalogue, customer_id, "UTC".parse().unwrap())
        .unwrap()
        .into_iter()
        .find(|p| p.license_id == license_id)
        .unwrap();
    assert!(
        profile.refusals.is_empty(),
        "a refusal mark at the close: {:?}",
        profile.refusals
    );
    let suggested = timefence_usage::suggestions(&catalogue, customer_id).unwrap();
    assert!(
        suggested
            .iter()
            .all(|s| s.kind != "ExtendWindow" && s.kind != "ShiftWindow"),
        "{suggested:#?}"
    );
}
