use super::*;
use std::collections::BTreeMap;
use timefence_terms::chrono::NaiveDate;

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

/// A new catalogue on the engine this run tests: SQLite in memory, or, when
/// `TIMEFENCE_TEST_POSTGRES` names a PostgreSQL server (a superuser's URL, as
/// `scripts/test-catalogue-postgres` starts one), a new database on it holding the team schema.
/// The same tests then run against both engines.
fn fresh(first_run: FirstRun) -> Result<crate::Opened, CatalogueError> {
    let Ok(server) = std::env::var("TIMEFENCE_TEST_POSTGRES") else {
        return Catalogue::open_in_memory(first_run);
    };
    let name = format!("t_{}", crate::new_uid());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("the test server");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a new database");
    let base = server.rsplit_once('/').expect("a URL naming a database").0;
    let url = format!("{base}/{name}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("the new database");
    client
        .batch_execute(crate::POSTGRES_SCHEMA)
        .expect("the team schema");
    client
        .execute(
            "INSERT INTO team_meta (key, value) VALUES ('version', $1)",
            &[&crate::POSTGRES_SCHEMA_VERSION.to_string()],
        )
        .expect("the version");
    let mut catalogue = Catalogue::connect(&url)?;
    catalogue.fill_new(first_run)?;
    Ok(crate::Opened {
        catalogue,
        created: true,
    })
}

#[test]
fn the_team_schema_is_at_the_version_the_file_migrations_reach() {
    assert_eq!(crate::POSTGRES_SCHEMA_VERSION, schema::CURRENT_VERSION);
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
    let opened = fresh(FirstRun::SeedDemo).unwrap();
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
    let mut opened = fresh(FirstRun::Empty).unwrap();
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
        .as_sqlite()
        .unwrap()
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
        .as_sqlite()
        .unwrap()
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn a_license_for_a_missing_customer_is_refused() {
    let mut opened = fresh(FirstRun::Empty).unwrap();
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
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
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
            .as_sqlite()
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, schema::CURRENT_VERSION, "from version {start}");
    }
}

#[test]
fn a_version_3_price_becomes_a_price_book_that_always_applied_and_unpriced_products_join() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.sqlite");
    let mut conn = Connection::open(&path).unwrap();
    schema::migrate_to(&mut conn, 3).unwrap();
    conn.execute_batch(
        "INSERT INTO products (name, currency, price_minor, block_hours, rounding)
             VALUES ('Timefence demo', 'EUR', 450, 8, 'whole_blocks');
         INSERT INTO customers (id, name, default_zone, created_at) VALUES (1, 'Acme', 'UTC', '2024-01-01T00:00:00Z');
         INSERT INTO licenses (id, customer_id, name, product, seats, start_date, end_date, daily_start,
             daily_end, zone, weekdays, state, revision, created_at, updated_at)
             VALUES (1, 1, 'Desk', 'Scanner', 3, '2024-01-01', '2024-12-31', '09:00', '17:00', 'UTC', 127,
                 'draft', 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');",
    )
    .unwrap();
    drop(conn);
    let opened = Catalogue::open(&path, FirstRun::Empty).unwrap();
    let products = opened.catalogue.products().unwrap();
    let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Scanner", "Timefence demo"]);
    assert!(products[0].prices.is_empty());
    assert_eq!(
        products[1].prices,
        [PriceRevision {
            applies_from: "1970-01-01".parse().unwrap(),
            currency: "EUR".into(),
            price_minor: 450,
            block_hours: 8,
            rounding: Rounding::WholeBlocks,
        }]
    );
}

#[test]
fn a_version_4_catalogue_gives_each_revision_chain_one_uid_and_other_licenses_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.sqlite");
    let mut conn = Connection::open(&path).unwrap();
    schema::migrate_to(&mut conn, 4).unwrap();
    // License 1 was issued and edited into revision 2 (license 2); license 3 stands alone;
    // license 4 was deleted (in the trash) after being issued.
    let row = |id: i64, state: &str, revision: i64, supersedes: &str, origin: i64| {
        format!(
            "INSERT INTO licenses (id, customer_id, name, product, seats, start_date, end_date, daily_start,
                 daily_end, zone, weekdays, state, revision, created_at, updated_at, supersedes, origin)
                 VALUES ({id}, 1, 'Desk {id}', 'Scanner', 3, '2024-01-01', '2024-12-31', '09:00', '17:00',
                 'UTC', 127, '{state}', {revision}, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',
                 {supersedes}, {origin});"
        )
    };
    conn.execute_batch(&format!(
        "INSERT INTO customers (id, name, default_zone, created_at) VALUES (1, 'Acme', 'UTC', '2024-01-01T00:00:00Z');
         {}{}{}",
        row(1, "superseded", 1, "NULL", 1),
        row(2, "draft", 2, "1", 1),
        row(3, "issued", 1, "NULL", 3),
    ))
    .unwrap();
    drop(conn);
    let catalogue = Catalogue::open(&path, FirstRun::Empty).unwrap().catalogue;
    let uid = |id| catalogue.license(id).unwrap().uid;
    for id in 1..=3 {
        assert!(timefence_license_uid_shape(&uid(id)), "{}", uid(id));
    }
    assert_eq!(uid(1), uid(2), "a revision keeps its license's uid");
    assert_ne!(uid(1), uid(3));
}

/// 32 lowercase hex digits (the license crate's rule; the catalogue does not depend on it).
fn timefence_license_uid_shape(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
    let opened = fresh(FirstRun::SeedDemo).unwrap();
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

fn checkpoint(catalogue: &Catalogue) {
    catalogue
        .conn
        .as_sqlite()
        .unwrap()
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
}

fn bpo(catalogue: &Catalogue) -> CustomerSummary {
    catalogue
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Northwind BPO")
        .unwrap()
}

#[test]
fn editing_a_draft_changes_it_in_place() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let india = c.licenses_of(bpo(c).id).unwrap()[0].clone();
    let mut spec = india.terms.to_spec();
    spec.seats = 120;
    assert_eq!(
        c.update_license(india.id, "L1 India", &spec).unwrap(),
        india.id
    );
    let after = c.license(india.id).unwrap();
    assert_eq!(
        (after.terms.seats, after.revision, after.state),
        (120, 1, LicenseState::Draft)
    );
}

#[test]
fn editing_an_issued_license_keeps_the_issued_one_and_adds_a_revision() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let customer = bpo(c).id;
    let india = c.licenses_of(customer).unwrap()[0].clone();
    let first_serial = c.mark_issued(india.id).unwrap();
    let mut spec = india.terms.to_spec();
    spec.daily_end_time = "09:00".into();
    let new_id = c.update_license(india.id, "L1 India", &spec).unwrap();
    assert_ne!(new_id, india.id);
    let old = c.license(india.id).unwrap();
    assert_eq!(
        (old.state, old.terms.window.to_string()),
        (LicenseState::Superseded, "00:00-08:00".to_string())
    );
    let new = c.license(new_id).unwrap();
    assert_eq!((new.state, new.revision), (LicenseState::Draft, 2));
    assert_eq!(
        c.licenses_of(customer).unwrap().len(),
        3,
        "the superseded revision is not shown"
    );
    assert!(
        c.mark_issued(new_id).unwrap() > first_serial,
        "serials only grow"
    );
    assert!(matches!(
        c.update_license(india.id, "x", &spec),
        Err(CatalogueError::NotEditable { .. })
    ));
}

#[test]
fn search_finds_customers_and_licenses_by_name_product_and_zone_as_you_type() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let acme = c
        .add_customer(&NewCustomer {
            name: "Acme Widgets".into(),
            default_zone: "Asia/Kolkata".into(),
            ..Default::default()
        })
        .unwrap();
    c.add_license(acme, "Night desk", &spec("22:00", "06:00"))
        .unwrap();
    let names = |r: &SearchResults| {
        (
            r.customers
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
            r.licenses
                .iter()
                .map(|l| l.name.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(names(&c.search("nor", 10).unwrap()).0, ["Northwind BPO"]);
    assert_eq!(names(&c.search("wind", 10).unwrap()).0, ["Northwind BPO"]);
    assert_eq!(names(&c.search("No", 10).unwrap()).0, ["Northwind BPO"]);
    assert_eq!(
        names(&c.search("philipp", 10).unwrap()).1,
        ["L2 Philippines"]
    );
    assert_eq!(
        names(&c.search("acme cad", 10).unwrap()).1,
        ["Night desk"],
        "product"
    );
    assert_eq!(
        names(&c.search("kolkata", 10).unwrap()),
        (
            vec!["Acme Widgets".to_string()],
            vec!["Night desk".to_string()]
        )
    );
    assert_eq!(c.search("   ", 10).unwrap(), SearchResults::default());
    assert!(
        c.search("\"%_'", 10).is_ok(),
        "quotes and wildcards are searched for, not interpreted"
    );
}

#[test]
fn customers_come_in_pages_with_a_total() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let page = c.customers_page("", 1, 2).unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(
        page.items
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Fabrikam Analytics", "Northwind BPO"]
    );
    let filtered = c.customers_page("design", 0, 10).unwrap();
    assert_eq!(
        (filtered.total, filtered.items[0].name.as_str()),
        (1, "Tailspin Design")
    );
}

#[test]
fn licenses_valid_on_a_date_are_listed() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let acme = c
        .add_customer(&NewCustomer {
            name: "Acme".into(),
            ..Default::default()
        })
        .unwrap();
    c.add_license(acme, "2025 only", &spec("09:00", "17:00"))
        .unwrap();
    let on = |d: &str| c.licenses_valid_on(d.parse().unwrap()).unwrap().len();
    assert_eq!(on("2024-06-01"), 6);
    assert_eq!(on("2025-06-01"), 1);
    assert_eq!(on("2026-01-01"), 0);
}

#[test]
fn a_backup_taken_while_open_restores_the_catalogue_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Catalogue::open(&dir.path().join("live.sqlite"), FirstRun::SeedDemo).unwrap();
    let backup = dir.path().join("backup.sqlite");
    opened.catalogue.backup_to(&backup).unwrap();
    assert!(
        opened.catalogue.backup_to(&backup).is_err(),
        "an existing file is never overwritten"
    );
    opened
        .catalogue
        .add_customer(&NewCustomer {
            name: "After the backup".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(opened.catalogue.list_customers().unwrap().len(), 5);
    opened.catalogue.restore_from(&backup).unwrap();
    assert_eq!(opened.catalogue.list_customers().unwrap().len(), 4);
    assert_eq!(
        opened.catalogue.search("bpo", 5).unwrap().customers.len(),
        1,
        "the search index came back too"
    );
}

#[test]
fn a_file_that_is_not_a_catalogue_is_refused_for_restore_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.sqlite");
    let mut opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"this is not a database at all, just text").unwrap();
    let empty = dir.path().join("empty.sqlite");
    Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    checkpoint(&opened.catalogue);
    let before = file_bytes(&path);
    for bad in [junk, empty, dir.path().join("missing.sqlite")] {
        assert!(
            matches!(
                opened.catalogue.restore_from(&bad),
                Err(CatalogueError::BadBackup { .. })
            ),
            "{bad:?}"
        );
    }
    checkpoint(&opened.catalogue);
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn csv_export_then_import_into_an_empty_catalogue_gives_the_same_licenses() {
    let opened = fresh(FirstRun::SeedDemo).unwrap();
    let customers = opened.catalogue.export_customers_csv().unwrap();
    let licenses = opened.catalogue.export_licenses_csv().unwrap();
    assert!(licenses
        .lines()
        .next()
        .unwrap()
        .starts_with("customer,name,product,seats,"));
    let mut fresh = fresh(FirstRun::Empty).unwrap();
    let report = fresh.catalogue.import_csv(&customers, &licenses).unwrap();
    assert_eq!(
        report,
        ImportReport {
            customers: 4,
            licenses: 6
        }
    );
    assert_eq!(fresh.catalogue.export_licenses_csv().unwrap(), licenses);
    assert_eq!(fresh.catalogue.export_customers_csv().unwrap(), customers);
}

#[test]
fn a_csv_import_with_bad_rows_reports_each_by_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    let customers = "name,contact,country,default_zone,notes\nGood Co,,,UTC,\nNorthwind BPO,,,UTC,\nBad Zone,,,Mars/Base,\n";
    let licenses = "customer,name,product,seats,license_start_date,license_end_date,daily_start_time,daily_end_time,daily_time_consumption_limit,time_zone,weekdays\n\
        Good Co,Day,CAD,10,2025-01-01,2025-12-31,09:00,17:00,,UTC,\n\
        Good Co,Bad times,CAD,10,2025-01-01,2025-12-31,25:00,17:00,,UTC,\n\
        Nobody,Orphan,CAD,10,2025-01-01,2025-12-31,09:00,17:00,,UTC,\n\
        Good Co,Seats,CAD,many,2025-01-01,2025-12-31,09:00,17:00,,UTC,\n\
        Good Co,Short row\n\
        Good Co,Far future,CAD,10,2025-01-01,9999-12-31,09:00,17:00,,UTC,\n";
    checkpoint(&opened.catalogue);
    let before = file_bytes(&path);
    let problems = match opened.catalogue.import_csv(customers, licenses) {
        Err(CatalogueError::Import(p)) => p,
        other => panic!("{other:?}"),
    };
    let places: Vec<(&str, u64)> = problems.iter().map(|p| (p.file, p.line)).collect();
    assert_eq!(
        places,
        [
            ("customers", 3),
            ("customers", 4),
            ("licenses", 3),
            ("licenses", 4),
            ("licenses", 5),
            ("licenses", 6),
            ("licenses", 7)
        ]
    );
    assert!(
        problems[6]
            .message
            .contains("outside the years 1970 to 2099"),
        "{}",
        problems[6]
    );
    assert!(
        problems[2].message.contains("not a time of day"),
        "{}",
        problems[2]
    );
    assert!(
        problems[3].message.contains("no customer named \"Nobody\""),
        "{}",
        problems[3]
    );
    checkpoint(&opened.catalogue);
    assert_eq!(file_bytes(&path), before, "nothing was written");
}

#[test]
fn a_second_timefence_on_the_same_catalogue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let _first = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    match Catalogue::open(&path, FirstRun::SeedDemo) {
        Err(CatalogueError::InUse(p)) => assert!(p.ends_with("c.sqlite")),
        other => panic!("{other:?}"),
    }
    drop(_first);
    assert!(
        Catalogue::open(&path, FirstRun::SeedDemo).is_ok(),
        "closing the first frees it"
    );
}

#[test]
fn a_version_1_catalogue_with_data_migrates_and_its_rows_become_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    let mut conn = Connection::open(&path).unwrap();
    schema::migrate_to(&mut conn, 1).unwrap();
    let tx = conn.transaction().unwrap();
    // Rows as a version-1 Timefence wrote them, with version 1's columns only.
    tx.execute(
        "INSERT INTO customers (name, created_at) VALUES ('Old Timer', '2024-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO licenses (customer_id, name, product, seats, start_date, end_date,
             daily_start, daily_end, zone, weekdays, created_at, updated_at)
         VALUES (?1, 'Legacy shift', 'Acme CAD', 12, '2025-01-01', '2025-12-31', '08:00',
             '16:00', 'Asia/Kolkata', 3, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
        [id],
    )
    .unwrap();
    tx.commit().unwrap();
    drop(conn);
    let opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    assert!(!opened.created, "an old catalogue is not re-seeded");
    assert_eq!(
        opened.catalogue.search("timer", 5).unwrap().customers.len(),
        1
    );
    assert_eq!(
        opened.catalogue.search("legacy", 5).unwrap().licenses.len(),
        1
    );
}

#[test]
fn every_invalid_field_through_the_api_is_a_typed_error_and_leaves_the_file_byte_for_byte_unchanged(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let customer = bpo(c).id;
    let india = c.licenses_of(customer).unwrap()[0].id;
    let issued = c.licenses_of(customer).unwrap()[1].id;
    c.mark_issued(issued).unwrap();
    checkpoint(c);
    let before = file_bytes(&path);

    type Breaker = fn(&mut TermsSpec);
    let breakers: [(&str, Breaker); 9] = [
        ("start date", |s| s.license_start_date = "2025-02-30".into()),
        ("end date", |s| s.license_end_date = "soon".into()),
        ("end before start", |s| {
            s.license_end_date = "2024-12-31".into()
        }),
        ("start time", |s| s.daily_start_time = "7am".into()),
        ("end time", |s| s.daily_end_time = "24:01".into()),
        ("limit", |s| {
            s.daily_time_consumption_limit = Some("9h".into())
        }),
        ("zone", |s| s.time_zone = "Atlantis/Main".into()),
        ("weekdays", |s| s.weekdays = Some(vec!["Caturday".into()])),
        ("seats", |s| s.seats = -3),
    ];
    for (what, breaker) in breakers {
        let mut bad = spec("09:00", "17:00");
        breaker(&mut bad);
        for result in [
            c.add_license(customer, "Broken", &bad),
            c.update_license(india, "L1 India", &bad),
            c.update_license(issued, "L2 Philippines", &bad),
        ] {
            assert!(
                matches!(result, Err(CatalogueError::InvalidTerms(_))),
                "{what}: {result:?}"
            );
        }
    }
    for bad in [
        NewCustomer {
            name: "".into(),
            ..Default::default()
        },
        NewCustomer {
            name: "NORTHWIND BPO".into(),
            ..Default::default()
        },
        NewCustomer {
            name: "Zoned".into(),
            default_zone: "Nowhere".into(),
            ..Default::default()
        },
    ] {
        assert!(c.add_customer(&bad).is_err());
    }
    assert!(matches!(
        c.update_license(india, "  ", &spec("09:00", "17:00")),
        Err(CatalogueError::EmptyName)
    ));
    assert!(matches!(
        c.update_license(9999, "x", &spec("09:00", "17:00")),
        Err(CatalogueError::LicenseNotFound(9999))
    ));
    checkpoint(c);
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn price_books_keys_audit_entries_and_settings_are_kept() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    c.add_signing_key("aa11", [1; 32], Some("/keys/aa11.pem"))
        .unwrap();
    c.add_signing_key("bb22", [2; 32], None).unwrap();
    let status = |c: &Catalogue, id: &str| {
        c.signing_keys()
            .unwrap()
            .into_iter()
            .find(|k| k.key_id == id)
            .unwrap()
            .status
    };
    assert_eq!(
        (status(c, "aa11"), status(c, "bb22")),
        (KeyStatus::Active, KeyStatus::Standby)
    );
    c.set_active_key("bb22").unwrap();
    assert_eq!(
        (status(c, "aa11"), status(c, "bb22")),
        (KeyStatus::Standby, KeyStatus::Active)
    );
    c.retire_key("aa11").unwrap();
    assert!(matches!(
        c.set_active_key("aa11"),
        Err(CatalogueError::KeyRetired(_))
    ));
    assert!(matches!(
        c.set_active_key("zz99"),
        Err(CatalogueError::KeyNotFound(_))
    ));

    let license = c.licenses_of(bpo(c).id).unwrap()[0].id;
    let serial = c.mark_issued(license).unwrap();
    let entry = AuditEntry {
        issued_at: "2026-11-27T10:00:00Z".into(),
        license_id: license,
        revision: 1,
        key_id: "bb22".into(),
        serial,
        file_sha256: "ab".repeat(32),
    };
    c.record_issue(&entry).unwrap();
    assert_eq!(c.audit_log(Some(license)).unwrap(), vec![entry]);
    assert!(c.audit_log(Some(license + 1)).unwrap().is_empty());

    c.set_setting("passphrase_minutes", "5").unwrap();
    c.set_setting("passphrase_minutes", "10").unwrap();
    assert_eq!(
        c.setting("passphrase_minutes").unwrap().as_deref(),
        Some("10")
    );
    assert_eq!(c.setting("missing").unwrap(), None);
}

#[test]
fn a_deleted_draft_license_comes_back_from_the_trash_with_its_id_and_search_entry() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    let before = catalogue.licenses_of(customer.id).unwrap();
    let gone = before[1].clone();
    catalogue.delete_license(gone.id).unwrap();
    assert_eq!(catalogue.licenses_of(customer.id).unwrap().len(), 2);
    assert!(matches!(
        catalogue.license(gone.id),
        Err(CatalogueError::LicenseNotFound(_))
    ));
    assert!(catalogue
        .search("Philippines", 10)
        .unwrap()
        .licenses
        .is_empty());
    // A license made meanwhile does not take the deleted one's id.
    let added = catalogue
        .add_license(customer.id, "L4", &spec("01:00", "02:00"))
        .unwrap();
    assert!(added > gone.id);
    catalogue.delete_license(added).unwrap();
    catalogue.restore_license(gone.id).unwrap();
    assert_eq!(catalogue.licenses_of(customer.id).unwrap(), before);
    assert_eq!(
        catalogue.search("Philippines", 10).unwrap().licenses.len(),
        1
    );
    assert!(matches!(
        catalogue.restore_license(gone.id),
        Err(CatalogueError::NotInTrash(_))
    ));
}

#[test]
fn an_issued_license_and_its_customer_cannot_be_deleted_and_nothing_changes() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    let first = catalogue.licenses_of(customer.id).unwrap()[0].clone();
    catalogue.mark_issued(first.id).unwrap();
    assert!(matches!(
        catalogue.delete_license(first.id),
        Err(CatalogueError::IssuedKept { .. })
    ));
    // Its next revision is a draft, but it continues an issued license, so it stays too.
    let revision = catalogue
        .update_license(first.id, "L1 India", &first.terms.to_spec())
        .unwrap();
    assert!(matches!(
        catalogue.delete_license(revision),
        Err(CatalogueError::IssuedKept { .. })
    ));
    assert!(matches!(
        catalogue.delete_customer(customer.id),
        Err(CatalogueError::IssuedKept { .. })
    ));
    assert_eq!(catalogue.licenses_of(customer.id).unwrap().len(), 3);
}

#[test]
fn a_deleted_customer_comes_back_with_all_its_licenses() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    let licenses = catalogue.licenses_of(customer.id).unwrap();
    catalogue.delete_customer(customer.id).unwrap();
    assert_eq!(catalogue.list_customers().unwrap().len(), 3);
    assert!(matches!(
        catalogue.customer(customer.id),
        Err(CatalogueError::CustomerNotFound(_))
    ));
    assert_eq!(
        catalogue.customers_page("Northwind", 0, 10).unwrap().total,
        0
    );
    catalogue.restore_customer(customer.id).unwrap();
    assert_eq!(catalogue.customer(customer.id).unwrap(), customer);
    assert_eq!(catalogue.licenses_of(customer.id).unwrap(), licenses);
    assert_eq!(
        catalogue.customers_page("Northwind", 0, 10).unwrap().total,
        1
    );
}

#[test]
fn a_restore_whose_name_was_taken_meanwhile_is_refused_and_stays_in_the_trash() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    catalogue.delete_customer(customer.id).unwrap();
    let other = catalogue
        .add_named_customer("northwind bpo", "UTC")
        .unwrap();
    assert!(matches!(
        catalogue.restore_customer(customer.id),
        Err(CatalogueError::DuplicateCustomer(_))
    ));
    catalogue.delete_customer(other).unwrap();
    catalogue.restore_customer(customer.id).unwrap();
    assert_eq!(catalogue.licenses_of(customer.id).unwrap().len(), 3);
}

#[test]
fn renaming_a_customer_checks_the_name_and_zone_and_updates_search() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    catalogue
        .update_customer(customer.id, "Northwind Global", "Asia/Manila")
        .unwrap();
    let renamed = catalogue.customer(customer.id).unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.default_zone.as_str()),
        ("Northwind Global", "Asia/Manila")
    );
    assert_eq!(catalogue.customers_page("Global", 0, 10).unwrap().total, 1);
    assert!(matches!(
        catalogue.update_customer(customer.id, " ", "UTC"),
        Err(CatalogueError::EmptyName)
    ));
    assert!(matches!(
        catalogue.update_customer(customer.id, "X", "Mars/Olympus"),
        Err(CatalogueError::UnknownZone(_))
    ));
    assert!(matches!(
        catalogue.update_customer(customer.id, "tailspin design", "UTC"),
        Err(CatalogueError::DuplicateCustomer(_))
    ));
    assert!(matches!(
        catalogue.update_customer(9999, "Nobody", "UTC"),
        Err(CatalogueError::CustomerNotFound(_))
    ));
    assert_eq!(catalogue.customer(customer.id).unwrap(), renamed);
}

#[test]
fn a_duplicated_license_is_a_new_draft_with_the_same_terms() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    let original = catalogue.licenses_of(customer.id).unwrap()[0].clone();
    let copy_id = catalogue.duplicate_license(original.id).unwrap();
    let copy = catalogue.license(copy_id).unwrap();
    assert_eq!(copy.name, format!("{} (copy)", original.name));
    assert_eq!(copy.terms, original.terms);
    assert_eq!(copy.state, LicenseState::Draft);
    assert_eq!(catalogue.licenses_of(customer.id).unwrap().len(), 4);
}

#[test]
fn issuing_marks_the_license_and_writes_the_audit_entry_together() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    catalogue.add_signing_key("k1", [7; 32], None).unwrap();
    let license = catalogue.licenses_of(customer.id).unwrap()[0].clone();
    let serial = catalogue.take_serial().unwrap();
    let entry = AuditEntry {
        issued_at: "2026-11-27T10:00:00Z".into(),
        license_id: license.id,
        revision: 1,
        key_id: "k1".into(),
        serial,
        file_sha256: "ab".repeat(32),
    };
    catalogue.record_issued(&entry).unwrap();
    assert_eq!(
        catalogue.license(license.id).unwrap().state,
        LicenseState::Issued
    );
    let rows = catalogue
        .audit_rows(Some(customer.id), Some("2026-11-27"), Some("2026-11-27"))
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].customer.as_str(),
            rows[0].license.as_str(),
            rows[0].serial
        ),
        ("Northwind BPO", "L1 India", serial)
    );
    assert!(catalogue
        .audit_rows(None, Some("2026-11-28"), None)
        .unwrap()
        .is_empty());
    assert!(catalogue
        .audit_rows(Some(customer.id + 100), None, None)
        .unwrap()
        .is_empty());
    // An unknown key breaks the audit entry's foreign key: nothing is marked either.
    let other = catalogue.licenses_of(customer.id).unwrap()[1].clone();
    let bad = AuditEntry {
        license_id: other.id,
        key_id: "nope".into(),
        serial: serial + 1,
        ..entry
    };
    assert!(catalogue.record_issued(&bad).is_err());
    assert_eq!(
        catalogue.license(other.id).unwrap().state,
        LicenseState::Draft
    );
    assert_eq!(
        catalogue
            .current_license_ids(Some(customer.id))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_file_that_cannot_be_opened_is_set_aside_and_replaced_by_a_sound_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.sqlite");
    let backup = dir.path().join("backup.sqlite");
    {
        let opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
        opened.catalogue.backup_to(&backup).unwrap();
    }
    std::fs::write(&path, b"this is not a database at all, just garbage bytes").unwrap();
    assert!(Catalogue::open(&path, FirstRun::SeedDemo).is_err());
    // A backup that is itself garbage is refused, and the damaged file stays where it was.
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"junk").unwrap();
    assert!(matches!(
        Catalogue::replace_with_backup(&path, &junk),
        Err(CatalogueError::BadBackup { .. })
    ));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a database at all, just garbage bytes"
    );
    let restored = Catalogue::replace_with_backup(&path, &backup).unwrap();
    assert_eq!(restored.catalogue.list_customers().unwrap().len(), 4);
    restored.catalogue.quick_check().unwrap();
    let aside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".unopenable-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
}

fn price(from: &str, currency: &str, minor: u64, block_hours: u32) -> PriceRevision {
    PriceRevision {
        applies_from: from.parse().unwrap(),
        currency: currency.into(),
        price_minor: minor,
        block_hours,
        rounding: Rounding::ProRata,
    }
}

#[test]
fn products_have_price_revisions_by_date_and_every_bad_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut opened = Catalogue::open(&path, FirstRun::Empty).unwrap();
    let c = &mut opened.catalogue;
    assert!(
        c.products().unwrap().is_empty(),
        "a new catalogue has no product"
    );
    let cad = c.add_product("  Acme CAD ").unwrap();
    assert_eq!(c.product(cad).unwrap().name, "Acme CAD");
    assert!(c.product(cad).unwrap().prices.is_empty());
    c.set_price(cad, &price("2027-01-01", "usd", 500, 8))
        .unwrap();
    c.set_price(cad, &price("2027-07-01", "USD", 600, 8))
        .unwrap();
    let product = c.product(cad).unwrap();
    assert_eq!(product.prices.len(), 2);
    assert_eq!(product.prices[0].currency, "USD");
    let on = |d: &str| product.price_on(d.parse().unwrap()).map(|p| p.price_minor);
    assert_eq!(
        (on("2026-12-31"), on("2027-03-01"), on("2027-07-01")),
        (None, Some(500), Some(600))
    );
    // The same date again replaces that revision only.
    c.set_price(cad, &price("2027-07-01", "USD", 650, 8))
        .unwrap();
    assert_eq!(c.product(cad).unwrap().prices[1].price_minor, 650);

    checkpoint(c);
    let before = file_bytes(&path);
    let refused = [
        c.add_product("acme cad").unwrap_err(),
        c.add_product("   ").unwrap_err(),
        c.add_product(&"x".repeat(81)).unwrap_err(),
        c.add_product("two\nlines").unwrap_err(),
        c.set_price(cad, &price("2027-01-01", "dollars", 500, 8))
            .unwrap_err(),
        c.set_price(cad, &price("2027-01-01", "XYZ", 500, 8))
            .unwrap_err(),
        c.set_price(cad, &price("2027-01-01", "USD", 500, 0))
            .unwrap_err(),
        c.set_price(cad, &price("2027-01-01", "USD", 500, 25))
            .unwrap_err(),
        c.set_price(cad, &price("2027-01-01", "USD", u64::MAX, 8))
            .unwrap_err(),
        c.set_price(cad, &price("2150-01-01", "USD", 500, 8))
            .unwrap_err(),
        c.set_price(999, &price("2027-01-01", "USD", 500, 8))
            .unwrap_err(),
        c.rename_product(999, "Other").unwrap_err(),
    ];
    assert!(
        matches!(refused[0], CatalogueError::DuplicateProduct(_)),
        "{:?}",
        refused[0]
    );
    assert!(matches!(refused[1], CatalogueError::EmptyName));
    assert!(matches!(
        refused[2],
        CatalogueError::NameTooLong {
            what: "product",
            max: 80
        }
    ));
    assert!(matches!(
        refused[3],
        CatalogueError::ControlCharacter { .. }
    ));
    for e in &refused[4..10] {
        assert!(matches!(e, CatalogueError::InvalidPriceBook(_)), "{e:?}");
    }
    assert!(
        refused[5].to_string().contains("Currency \"XYZ\""),
        "{}",
        refused[5]
    );
    assert!(matches!(refused[10], CatalogueError::ProductNotFound(999)));
    assert!(matches!(refused[11], CatalogueError::ProductNotFound(999)));
    checkpoint(c);
    assert_eq!(file_bytes(&path), before, "nothing was written");

    let other = c.add_product("Render farm").unwrap();
    assert!(matches!(
        c.rename_product(other, "ACME CAD").unwrap_err(),
        CatalogueError::DuplicateProduct(_)
    ));
}

#[test]
fn a_license_s_product_joins_the_list_and_a_rename_follows_it_into_current_licenses() {
    let mut opened = fresh(FirstRun::Empty).unwrap();
    let c = &mut opened.catalogue;
    let customer = c
        .add_customer(&NewCustomer {
            name: "Acme".into(),
            default_zone: "UTC".into(),
            ..Default::default()
        })
        .unwrap();
    let mut spec = spec("09:00", "17:00");
    spec.product = "Scanner".into();
    let license = c.add_license(customer, "Desk", &spec).unwrap();
    let scanner = c
        .product_named("scanner")
        .unwrap()
        .expect("the product was added");
    assert!(scanner.prices.is_empty());
    assert_eq!(scanner.license_count, 1);
    c.rename_product(scanner.id, "Scanner Pro").unwrap();
    assert_eq!(c.license(license).unwrap().terms.product, "Scanner Pro");
    assert_eq!(c.products().unwrap().len(), 1);
}

#[test]
fn the_demo_opened_on_any_day_runs_twelve_months_from_its_month_and_nothing_expires_soon() {
    let days = [
        ("2026-12-06", "2026-12-01", "2027-11-30"),
        ("2026-12-31", "2026-12-01", "2027-11-30"),
        ("2027-01-01", "2027-01-01", "2027-12-31"),
        ("2028-02-29", "2028-02-01", "2029-01-31"),
        ("2027-03-31", "2027-03-01", "2028-02-29"),
    ];
    for (today, start, end) in days {
        let date: chrono::NaiveDate = today.parse().unwrap();
        let opened = fresh(FirstRun::DemoFrom(date)).unwrap();
        let c = &opened.catalogue;
        let all: Vec<License> = c
            .list_customers()
            .unwrap()
            .into_iter()
            .flat_map(|x| c.licenses_of(x.id).unwrap())
            .collect();
        assert_eq!(all.len(), 6, "{today}");
        for l in &all {
            assert_eq!(
                (l.terms.start_date.to_string(), l.terms.end_date.to_string()),
                (start.to_string(), end.to_string()),
                "{today}: {}",
                l.name
            );
            // Live on the day, and more than 30 days left whatever the day of the month.
            assert!(l.terms.start_date <= date && date <= l.terms.end_date);
            assert!((l.terms.end_date - date).num_days() > 300, "{today}");
        }
    }
    // Out of the years a license may have: the terms' typed error, nothing made.
    let far = chrono::NaiveDate::from_ymd_opt(2099, 6, 1).unwrap();
    assert!(matches!(
        fresh(FirstRun::DemoFrom(far)).map(|_| ()),
        Err(CatalogueError::InvalidTerms(_))
    ));
}

#[test]
fn the_demo_is_dated_in_the_year_asked_for_and_priced() {
    let opened = fresh(FirstRun::DemoOf(2031)).unwrap();
    let c = &opened.catalogue;
    let bpo = c
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|x| x.name == "Northwind BPO")
        .unwrap();
    let licenses = c.licenses_of(bpo.id).unwrap();
    assert!(licenses
        .iter()
        .all(|l| l.terms.start_date.to_string() == "2031-01-01"
            && l.terms.end_date.to_string() == "2031-12-31"));
    let demo = c.product_named("Timefence demo").unwrap().unwrap();
    assert_eq!(demo.prices[0].price_minor, 500);
    let names: Vec<String> = c
        .list_customers()
        .unwrap()
        .into_iter()
        .flat_map(|x| c.licenses_of(x.id).unwrap())
        .map(|l| l.name)
        .collect();
    assert!(
        names.contains(&"Office hours, no daily limit".to_string()),
        "{names:?}"
    );
    assert!(fresh(FirstRun::Empty)
        .unwrap()
        .catalogue
        .list_customers()
        .unwrap()
        .is_empty());
}

#[test]
fn names_are_trimmed_bounded_and_single_line_for_customers_and_licenses() {
    let mut opened = fresh(FirstRun::Empty).unwrap();
    let c = &mut opened.catalogue;
    let new = |name: &str| NewCustomer {
        name: name.into(),
        default_zone: "UTC".into(),
        ..Default::default()
    };
    let id = c.add_customer(&new("  Acme BPO  ")).unwrap();
    assert_eq!(c.customer(id).unwrap().name, "Acme BPO");
    assert!(c.add_customer(&new(&"é".repeat(120))).is_ok());
    assert!(matches!(
        c.add_customer(&new(&"é".repeat(121))).unwrap_err(),
        CatalogueError::NameTooLong {
            what: "customer",
            max: 120
        }
    ));
    assert!(matches!(
        c.add_customer(&new("Acme\nEvil")).unwrap_err(),
        CatalogueError::ControlCharacter { what: "customer" }
    ));
    assert!(matches!(
        c.update_customer(id, &"x".repeat(121), "UTC").unwrap_err(),
        CatalogueError::NameTooLong { .. }
    ));
    assert!(matches!(
        c.add_license(id, &"L".repeat(81), &spec("09:00", "17:00"))
            .unwrap_err(),
        CatalogueError::NameTooLong {
            what: "license",
            max: 80
        }
    ));
    assert!(matches!(
        c.add_license(id, "Night\tdesk", &spec("09:00", "17:00"))
            .unwrap_err(),
        CatalogueError::ControlCharacter { what: "license" }
    ));
    let license = c
        .add_license(id, " Night desk ", &spec("09:00", "17:00"))
        .unwrap();
    assert_eq!(c.license(license).unwrap().name, "Night desk");
    assert!(matches!(
        c.update_license(license, &"L".repeat(81), &spec("09:00", "17:00"))
            .unwrap_err(),
        CatalogueError::NameTooLong { .. }
    ));
}

#[test]
fn renewing_makes_the_next_term_as_drafts_in_one_step_and_expiring_lists_what_ends_soon() {
    let mut opened = fresh(FirstRun::SeedDemo).unwrap();
    let c = &mut opened.catalogue;
    let bpo = c
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|x| x.name == "Northwind BPO")
        .unwrap();
    let today: NaiveDate = "2024-11-15".parse().unwrap();
    let expiring = c.expiring_licenses(today, 60).unwrap();
    assert_eq!(expiring.len(), 6, "every demo license ends on 2024-12-31");
    assert!(c.expiring_licenses(today, 30).unwrap().is_empty());

    let ids = c.renewable_licenses(Some(bpo.id), today).unwrap();
    assert_eq!(ids.len(), 3);
    let plan = c.renewal_plan(&ids, None).unwrap();
    assert_eq!(plan.len(), 3);
    assert_eq!(plan[0].1.start_date.to_string(), "2025-01-01");
    let renewed = c.renew_licenses(&ids, None).unwrap();
    for (old, new) in ids.iter().zip(&renewed) {
        let (old, new) = (c.license(*old).unwrap(), c.license(*new).unwrap());
        assert_eq!(new.state, LicenseState::Draft);
        assert_eq!(
            (new.name.as_str(), new.terms.seats),
            (old.name.as_str(), old.terms.seats)
        );
        assert_eq!(new.terms.window, old.terms.window);
        assert_eq!(new.terms.product, old.terms.product);
        assert_eq!(
            (
                new.terms.start_date.to_string(),
                new.terms.end_date.to_string()
            ),
            ("2025-01-01".to_string(), "2025-12-31".to_string())
        );
    }
    // Renewed licenses have a successor: they no longer expire unrenewed.
    assert_eq!(c.expiring_licenses(today, 60).unwrap().len(), 3);
    // "Renew all" again renews nothing: the 2024 licenses have their next term, and the 2025
    // drafts are that next term while 2024 runs. Renewing a renewed license is refused by name.
    assert!(c
        .renewable_licenses(Some(bpo.id), today)
        .unwrap()
        .is_empty());
    let twice = c.renew_licenses(&ids[..1], None).unwrap_err();
    assert!(
        twice
            .to_string()
            .contains("already has its next term (from 2025-01-01)"),
        "{twice}"
    );
    // Once 2024 has ended, the 2025 licenses are the ones to renew.
    let next_year: NaiveDate = "2025-06-01".parse().unwrap();
    let mut later = c.renewable_licenses(Some(bpo.id), next_year).unwrap();
    later.sort();
    let mut expected = renewed.clone();
    expected.sort();
    assert_eq!(later, expected);

    let from = c
        .renew_licenses(&renewed[..1], Some("2026-03-01".parse().unwrap()))
        .unwrap();
    let moved = c.license(from[0]).unwrap();
    assert_eq!(moved.terms.end_date.to_string(), "2027-02-28");

    let count = c.current_license_ids(None).unwrap().len();
    assert!(matches!(
        c.renew_licenses(&[], None).unwrap_err(),
        CatalogueError::NothingToRenew(_)
    ));
    assert!(matches!(
        c.renew_licenses(&[renewed[1], 9_999], None).unwrap_err(),
        CatalogueError::LicenseNotFound(9_999)
    ));
    assert!(matches!(
        c.renew_licenses(&renewed[1..2], Some("2099-06-01".parse().unwrap()))
            .unwrap_err(),
        CatalogueError::NothingToRenew(_)
    ));
    assert_eq!(
        c.current_license_ids(None).unwrap().len(),
        count,
        "nothing half-made"
    );
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_written_as_text_and_read_back_unchanged() {
    use crate::csv_io::{from_cell, to_cell};
    for text in [
        "=HYPERLINK(\"http://x\",\"click\")",
        "+1",
        "-2",
        "@SUM(A1)",
        "\tTab",
        "'quoted",
        "''twice",
        "Plain",
        "",
    ] {
        let cell = to_cell(text);
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t']), "{cell:?}");
        assert_eq!(from_cell(&cell), text);
    }
    let mut opened = fresh(FirstRun::Empty).unwrap();
    let c = &mut opened.catalogue;
    let evil = "=HYPERLINK(\"http://x\",\"click\")";
    let id = c.add_named_customer(evil, "UTC").unwrap();
    c.add_license(id, "-night", &spec("22:00", "06:00"))
        .unwrap();
    let customers = c.export_customers_csv().unwrap();
    let licenses = c.export_licenses_csv().unwrap();
    assert!(customers.contains("\"'=HYPERLINK"), "{customers}");
    assert!(licenses.contains("'-night"), "{licenses}");
    let mut fresh = fresh(FirstRun::Empty).unwrap();
    fresh.catalogue.import_csv(&customers, &licenses).unwrap();
    let back = fresh.catalogue.list_customers().unwrap();
    assert_eq!(back[0].name, evil);
    assert_eq!(
        fresh.catalogue.licenses_of(back[0].id).unwrap()[0].name,
        "-night"
    );
}

#[test]
fn a_license_keeps_its_place_across_a_rename_a_revision_and_the_trash() {
    let mut opened = fresh(FirstRun::Empty).unwrap();
    let c = &mut opened.catalogue;
    let id = c.add_named_customer("Acme", "UTC").unwrap();
    let zulu = c.add_license(id, "Zulu", &spec("09:00", "17:00")).unwrap();
    let alpha = c.add_license(id, "Alpha", &spec("17:00", "22:00")).unwrap();
    let names = |c: &Catalogue| -> Vec<String> {
        c.licenses_of(id)
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect()
    };
    assert_eq!(names(c), ["Zulu", "Alpha"], "creation order, not by name");
    c.update_license(zulu, "Aardvark", &spec("09:00", "17:00"))
        .unwrap();
    assert_eq!(names(c), ["Aardvark", "Alpha"], "a rename keeps the row");
    c.mark_issued(zulu).unwrap();
    let revised = c
        .update_license(zulu, "Aardvark", &spec("08:00", "17:00"))
        .unwrap();
    assert_ne!(revised, zulu);
    assert_eq!(c.license(revised).unwrap().origin, zulu);
    assert_eq!(
        names(c),
        ["Aardvark", "Alpha"],
        "a new revision keeps the row"
    );
    let third = c
        .add_license(id, "Middle", &spec("22:00", "23:00"))
        .unwrap();
    c.delete_license(alpha).unwrap();
    c.restore_license(alpha).unwrap();
    assert_eq!(
        names(c),
        ["Aardvark", "Alpha", "Middle"],
        "the trash keeps the place too"
    );
    assert_eq!(c.license(alpha).unwrap().origin, alpha);
    assert_eq!(c.license(third).unwrap().origin, third);
}

#[test]
fn relay_certificates_signed_and_withdrawn_are_in_the_audit_log_and_its_csv() {
    let mut catalogue = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&catalogue);
    let id = catalogue
        .record_relay_certificate(&crate::RelayCertificateRecord {
            id: 0,
            customer_id: customer.id,
            relay_key: "AAAA".into(),
            relay_key_id: "0123456789abcdef".into(),
            licenses: vec![],
            key_id: "k1".into(),
            issued_at: "2026-11-27T10:00:00Z".into(),
            not_after: Some("2027-11-28T10:00:00Z".into()),
            withdrawn_at: None,
        })
        .unwrap();
    let rows = catalogue.audit_rows(Some(customer.id), None, None).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event, "certified");
    assert_eq!(
        rows[0].license,
        "Relay certificate: relay 0123456789abcdef, every license, until 2027-11-28"
    );
    catalogue.withdraw_relay_certificate(id).unwrap();
    let rows = catalogue.audit_rows(None, None, None).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
        ["withdrawn", "certified"],
        "newest first"
    );
    // Narrowed to the day it was signed: only the signing.
    let that_day = catalogue
        .audit_rows(None, Some("2026-11-27"), Some("2026-11-27"))
        .unwrap();
    assert_eq!(that_day.len(), 1);
    let csv = catalogue.export_audit_csv(None, None, None).unwrap();
    assert!(
        csv.contains(",withdrawn\r\n") && csv.contains(",certified\r\n"),
        "{csv}"
    );
    assert!(catalogue.withdraw_relay_certificate(id + 10).is_err());
}

#[test]
fn a_license_names_a_product_of_the_catalogue_and_a_first_start_adds_customer_and_product_together()
{
    let mut c = fresh(FirstRun::Empty).unwrap().catalogue;
    assert!(matches!(
        c.check_product(""),
        Err(CatalogueError::NoProducts)
    ));
    assert!(
        matches!(c.check_product("Acme CAD"), Err(CatalogueError::UnknownProduct(n)) if n == "Acme CAD")
    );
    // A bad price leaves nothing behind: no customer, no product.
    let customer = crate::NewCustomer {
        name: "Acme BPO".into(),
        default_zone: "UTC".into(),
        ..Default::default()
    };
    let bad = crate::PriceRevision {
        applies_from: "1970-01-01".parse().unwrap(),
        currency: "XYZ".into(),
        price_minor: 500,
        block_hours: 8,
        rounding: timefence_terms::Rounding::ProRata,
    };
    assert!(c.start_with(&customer, "Acme CAD", Some(&bad)).is_err());
    assert!(c.list_customers().unwrap().is_empty());
    assert!(c.products().unwrap().is_empty());
    let good = crate::PriceRevision {
        currency: "USD".into(),
        ..bad
    };
    let (id, product) = c.start_with(&customer, "Acme CAD", Some(&good)).unwrap();
    assert_eq!(c.customer(id).unwrap().name, "Acme BPO");
    assert_eq!(c.product(product).unwrap().prices.len(), 1);
    // Any case finds it, spelt as the catalogue spells it; a typo and an empty name do not.
    assert_eq!(c.check_product("acme cad").unwrap(), "Acme CAD");
    assert!(matches!(
        c.check_product("Acme CDA"),
        Err(CatalogueError::UnknownProduct(_))
    ));
    assert!(matches!(
        c.check_product(" "),
        Err(CatalogueError::ProductNeeded)
    ));
    assert_eq!(
        c.products().unwrap().len(),
        1,
        "nothing was made by checking"
    );
}

#[test]
fn several_licenses_are_added_all_or_none() {
    let mut c = fresh(FirstRun::Empty).unwrap().catalogue;
    let customer = c
        .add_customer(&NewCustomer {
            name: "Acme".into(),
            contact: String::new(),
            country: String::new(),
            default_zone: "UTC".into(),
            notes: String::new(),
        })
        .unwrap();
    let good = spec("09:00", "17:00");
    let bad = spec("09:00", "25:00");
    let refused = c.add_licenses(
        customer,
        &[("One".into(), good.clone()), ("Two".into(), bad)],
    );
    assert!(matches!(refused, Err(CatalogueError::InvalidTerms(_))));
    assert!(
        c.licenses_of(customer).unwrap().is_empty(),
        "nothing was added"
    );
    // A name refused while writing, after the first license was written: rolled back.
    let refused = c.add_licenses(
        customer,
        &[("One".into(), good.clone()), ("   ".into(), good.clone())],
    );
    assert!(
        matches!(refused, Err(CatalogueError::EmptyName)),
        "{refused:?}"
    );
    assert!(
        c.licenses_of(customer).unwrap().is_empty(),
        "nothing was written"
    );
    let ids = c
        .add_licenses(
            customer,
            &[
                ("One".into(), good.clone()),
                ("Two".into(), spec("17:00", "01:00")),
            ],
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
    let names: Vec<String> = c
        .licenses_of(customer)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["One", "Two"]);
    assert!(matches!(
        c.add_licenses(999, &[("Three".into(), good)]),
        Err(CatalogueError::CustomerNotFound(999))
    ));
}

#[test]
fn an_edit_started_before_someone_else_saved_is_refused_and_writes_nothing() {
    let mut c = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&c);
    let licenses = c.licenses_of(customer.id).unwrap();
    let (draft, other) = (licenses[0].clone(), licenses[1].clone());
    let spec = draft.terms.to_spec();
    let saved = c
        .update_license_from(draft.id, draft.edits, "L1 theirs", &spec)
        .unwrap();
    assert_eq!(saved, (draft.id, draft.edits + 1));
    let theirs = c.license(draft.id).unwrap();
    assert_eq!(theirs.edits, draft.edits + 1);
    match c.update_license_from(draft.id, draft.edits, "L1 mine", &spec) {
        Err(CatalogueError::EditConflict {
            what: "license",
            id,
            started_from,
            now,
            who,
            when,
        }) => {
            assert_eq!(
                (id, started_from, now),
                (draft.id, draft.edits, theirs.edits)
            );
            // A team's database says who; a file has one administrator.
            assert_eq!(
                who.is_some(),
                c.engine() == crate::Engine::Postgres,
                "{who:?}"
            );
            assert!(when.is_some());
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(c.license(draft.id).unwrap(), theirs);
    // Started from what is there now, the edit goes through.
    c.update_license_from(draft.id, theirs.edits, "L1 mine", &spec)
        .unwrap();
    assert_eq!(c.license(draft.id).unwrap().name, "L1 mine");

    c.update_customer_from(customer.id, customer.edits, "Northwind BPO Ltd", "UTC")
        .unwrap();
    let conflict = c.update_customer_from(customer.id, customer.edits, "Northwind Mine", "UTC");
    assert!(
        matches!(
            conflict,
            Err(CatalogueError::EditConflict {
                what: "customer",
                ..
            })
        ),
        "{conflict:?}"
    );
    assert_eq!(c.customer(customer.id).unwrap().name, "Northwind BPO Ltd");

    // Two edits of one issued license from the same start: one new revision, not two.
    c.mark_issued(other.id).unwrap();
    let issued = c.license(other.id).unwrap();
    let revision = c
        .update_license_from(other.id, issued.edits, "L2 theirs", &issued.terms.to_spec())
        .unwrap();
    assert_ne!(revision.0, other.id);
    assert_eq!(revision.1, 0);
    let second = c.update_license_from(other.id, issued.edits, "L2 mine", &issued.terms.to_spec());
    assert!(
        matches!(second, Err(CatalogueError::EditConflict { .. })),
        "{second:?}"
    );
    let current: Vec<_> = c
        .licenses_of(customer.id)
        .unwrap()
        .into_iter()
        .filter(|l| l.origin == issued.origin)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0].name.as_str(), current[0].revision),
        ("L2 theirs", 2)
    );

    // Renaming a product changes its licenses: a form opened before is told so.
    let third = c.licenses_of(customer.id).unwrap()[2].clone();
    let product = c.product_named(&third.terms.product).unwrap().unwrap();
    c.rename_product(product.id, "Timefence Renamed").unwrap();
    let stale = c.update_license_from(third.id, third.edits, &third.name, &third.terms.to_spec());
    assert!(
        matches!(stale, Err(CatalogueError::EditConflict { .. })),
        "{stale:?}"
    );
}

#[test]
fn a_password_in_a_team_url_is_never_shown() {
    for (url, shown) in [
        (
            "postgres://ana:s3cret@db.example:5432/team",
            "postgres://ana:***@db.example:5432/team",
        ),
        (
            "postgres://ana:pa/ss@db.example/team",
            "postgres://ana:***@db.example/team",
        ),
        (
            "postgres://ana:p@ss@db.example/team?sslmode=verify-full",
            "postgres://ana:***@db.example/team?sslmode=verify-full",
        ),
        (
            "postgres://ana@db.example/team?password=s3cret&sslmode=verify-full",
            "postgres://ana@db.example/team?password=***&sslmode=verify-full",
        ),
        (
            "postgresql://db.example:5432?PASSWORD=x",
            "postgresql://db.example:5432?PASSWORD=***",
        ),
        (
            "postgres://ana@db.example/team",
            "postgres://ana@db.example/team",
        ),
    ] {
        assert_eq!(crate::redacted(url), shown, "{url}");
    }
}

#[test]
fn a_file_signed_before_someone_saved_the_license_is_not_recorded_as_issued() {
    let mut c = fresh(FirstRun::SeedDemo).unwrap().catalogue;
    let customer = bpo(&c);
    c.add_signing_key("k1", [7; 32], None).unwrap();
    let signed = c.licenses_of(customer.id).unwrap()[0].clone();
    let serial = c.take_serial().unwrap();
    // Someone saves the license between its reading for the file and the recording.
    let mut spec = signed.terms.to_spec();
    spec.seats += 1;
    c.update_license_from(signed.id, signed.edits, &signed.name, &spec)
        .unwrap();
    let entry = AuditEntry {
        issued_at: "2026-11-27T10:00:00Z".into(),
        license_id: signed.id,
        revision: signed.revision,
        key_id: "k1".into(),
        serial,
        file_sha256: "ab".repeat(32),
    };
    let refused = c.record_issued_from(&entry, signed.edits);
    assert!(
        matches!(refused, Err(CatalogueError::EditConflict { .. })),
        "{refused:?}"
    );
    let after = c.license(signed.id).unwrap();
    assert_eq!(after.state, LicenseState::Draft);
    assert!(c
        .audit_rows(Some(customer.id), None, None)
        .unwrap()
        .is_empty());
    // From what is there now, it is recorded.
    c.record_issued_from(&entry, after.edits).unwrap();
    assert_eq!(c.license(signed.id).unwrap().state, LicenseState::Issued);
}

/// On a team catalogue, a write sent as a statement of its own (no transaction: the server
/// commits it as soon as it runs it) whose answer never comes may yet be saved when the
/// server runs again: it is reported as maybe saved (`SaveUncertain`), never as "nothing was
/// saved". (Its session is stopped with SIGSTOP for the length of the wait; on SQLite there
/// is no server to hang, and the test has nothing to do.)
#[test]
fn a_write_of_its_own_whose_answer_never_comes_is_reported_as_maybe_saved() {
    let mut catalogue = fresh(FirstRun::Empty).unwrap().catalogue;
    if catalogue.engine() != crate::Engine::Postgres {
        return;
    }
    let id = catalogue.add_named_customer("Hung BPO", "UTC").unwrap();
    let write = "UPDATE customers SET notes = ?2 WHERE id = ?1";
    // Once, so that it is prepared: the second time only the write itself is sent.
    catalogue.conn.execute(write, params![id, "first"]).unwrap();
    let pid: i32 = catalogue
        .conn
        .query_row("SELECT pg_backend_pid()", [], |r| r.get(0))
        .unwrap();
    let signal = |which: &str| {
        let status = std::process::Command::new("kill")
            .args([which, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {which} {pid}");
    };
    signal("-STOP");
    let result = catalogue.conn.execute(write, params![id, "second"]);
    signal("-CONT");
    let reported = CatalogueError::from(result.unwrap_err());
    assert!(
        matches!(reported, CatalogueError::SaveUncertain(_)),
        "{reported:?}"
    );
}
