use super::*;
use std::collections::BTreeMap;

fn spec(start: &str, end: &str) -> TermsSpec {
    TermsSpec {
        license_start_date: "2025-01-01".into(),
        license_end_date: "2025-12-31".into(),
        daily_start_time: start.into(),
        daily_end_time: end.into(),
        daily_time_consumption_limit: None,
        time_zone: "Asia/Kolkata".into(),
        weekdays: Some(vec!["Mon".into(), "Tue".into()]),
        seats: 12,
        product: "Acme CAD".into(),
        features: BTreeMap::from([("tier".to_string(), "gold".to_string())]),
    }
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_new_file_is_created_with_the_demo_and_reopened_without_seeding_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/catalogue.sqlite");
    let opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    assert!(opened.created);
    let names: Vec<String> = opened
        .catalogue
        .list_customers()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "Contoso Engineering",
            "Fabrikam Analytics",
            "Northwind BPO",
            "Tailspin Design"
        ]
    );
    drop(opened);
    let again = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    assert!(!again.created);
    assert_eq!(again.catalogue.list_customers().unwrap().len(), 4);
}

#[test]
fn the_demo_bpo_has_its_three_shifts_with_the_brief_s_seats() {
    let opened = Catalogue::open_in_memory(FirstRun::SeedDemo).unwrap();
    let bpo = opened
        .catalogue
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Northwind BPO")
        .unwrap();
    assert_eq!(bpo.license_count, 3);
    let licenses = opened.catalogue.licenses_of(bpo.id).unwrap();
    let summary: Vec<(String, u32, String)> = licenses
        .iter()
        .map(|l| (l.name.clone(), l.terms.seats, l.terms.window.to_string()))
        .collect();
    assert_eq!(
        summary,
        [
            ("L1 India".to_string(), 100, "00:00-08:00".to_string()),
            ("L2 Philippines".to_string(), 200, "08:00-16:00".to_string()),
            ("L3 Brazil".to_string(), 50, "16:00-24:00".to_string()),
        ]
    );
}

#[test]
fn a_license_round_trips_through_its_row_with_weekdays_limit_and_features() {
    let mut opened = Catalogue::open_in_memory(FirstRun::Empty).unwrap();
    let c = opened
        .catalogue
        .add_customer(&NewCustomer {
            name: "Acme".into(),
            ..Default::default()
        })
        .unwrap();
    let mut s = spec("22:00", "06:00");
    s.daily_time_consumption_limit = Some("3h".into());
    opened.catalogue.add_license(c, "Night", &s).unwrap();
    let loaded = &opened.catalogue.licenses_of(c).unwrap()[0];
    assert_eq!(loaded.terms, s.validate().unwrap());
    assert_eq!((loaded.state, loaded.revision), (LicenseState::Draft, 1));
}

#[test]
fn invalid_terms_are_refused_with_every_problem_and_the_file_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    let customer = opened.catalogue.list_customers().unwrap()[0].id;
    opened
        .catalogue
        .conn
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    let before = file_bytes(&path);
    let mut bad = spec("25:00", "06:00");
    bad.seats = 0;
    match opened.catalogue.add_license(customer, "Bad", &bad) {
        Err(CatalogueError::InvalidTerms(e)) => assert_eq!(e.problems.len(), 2),
        other => panic!("{other:?}"),
    }
    opened
        .catalogue
        .conn
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn a_license_for_a_missing_customer_is_refused() {
    let mut opened = Catalogue::open_in_memory(FirstRun::Empty).unwrap();
    assert!(matches!(
        opened
            .catalogue
            .add_license(42, "x", &spec("09:00", "17:00")),
        Err(CatalogueError::CustomerNotFound(42))
    ));
    assert!(matches!(
        opened.catalogue.licenses_of(42),
        Err(CatalogueError::CustomerNotFound(42))
    ));
}

#[test]
fn customer_names_are_unique_without_regard_to_case_and_zones_are_checked() {
    let mut opened = Catalogue::open_in_memory(FirstRun::SeedDemo).unwrap();
    let dup = NewCustomer {
        name: "northwind bpo".into(),
        ..Default::default()
    };
    assert!(matches!(
        opened.catalogue.add_customer(&dup),
        Err(CatalogueError::DuplicateCustomer(_))
    ));
    let blank = NewCustomer {
        name: "  ".into(),
        ..Default::default()
    };
    assert!(matches!(
        opened.catalogue.add_customer(&blank),
        Err(CatalogueError::EmptyName)
    ));
    let zone = NewCustomer {
        name: "Z".into(),
        default_zone: "Moon/Base".into(),
        ..Default::default()
    };
    assert!(matches!(
        opened.catalogue.add_customer(&zone),
        Err(CatalogueError::UnknownZone(_))
    ));
}

#[test]
fn every_earlier_schema_version_migrates_to_the_current_one() {
    for start in 0..schema::CURRENT_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        schema::migrate_to(&mut conn, start).unwrap();
        drop(conn);
        let opened = Catalogue::open(&path, FirstRun::Empty).unwrap();
        let version: i64 = opened
            .catalogue
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, schema::CURRENT_VERSION, "from version {start}");
    }
}

#[test]
fn a_catalogue_from_a_newer_timefence_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    match Catalogue::open(&path, FirstRun::SeedDemo) {
        Err(CatalogueError::NewerSchema { found: 99, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_damaged_row_is_reported_as_corrupt_not_as_a_panic() {
    let opened = Catalogue::open_in_memory(FirstRun::SeedDemo).unwrap();
    let bpo = opened
        .catalogue
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Northwind BPO")
        .unwrap();
    opened
        .catalogue
        .conn
        .execute(
            "UPDATE licenses SET zone = 'Nowhere/Land' WHERE name = 'L1 India'",
            [],
        )
        .unwrap();
    assert!(matches!(
        opened.catalogue.licenses_of(bpo.id),
        Err(CatalogueError::Corrupt { .. })
    ));
}
