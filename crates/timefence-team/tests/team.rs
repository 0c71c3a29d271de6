//! The team catalogue on a real PostgreSQL server (a throwaway cluster): roles refused by the
//! server itself through raw SQL, the audit trigger's user, and a SQLite catalogue pushed in
//! and backed up out with nothing lost.

mod common;

use timefence_catalogue::{Catalogue, FirstRun};
use timefence_pgtest::Cluster;
use timefence_team::*;

const PASSWORD: &str = "correct horse battery";

/// A cluster with a team catalogue in database `team` and one member per role.
fn team() -> (Cluster, String) {
    let cluster = Cluster::start();
    cluster.query("CREATE DATABASE team");
    let url = cluster.url_as("relay", "team");
    init(&url).unwrap();
    for (name, role) in [
        ("vic", Role::Viewer),
        ("eda", Role::Editor),
        ("sam", Role::Signer),
        ("ola", Role::Owner),
    ] {
        add_member(&url, name, role, PASSWORD).unwrap();
    }
    (cluster, url)
}

/// Runs `sql` as `user` on the team database; `Err` with the server's SQLSTATE.
fn run_as(cluster: &Cluster, user: &str, sql: &str) -> Result<(), String> {
    let mut client = postgres::Client::connect(&cluster.url_as(user, "team"), postgres::NoTls)
        .expect("connects");
    client
        .batch_execute(sql)
        .map_err(|e| e.code().map(|c| c.code().to_string()).unwrap_or_default())
}

#[test]
fn init_add_role_and_list() {
    let (cluster, url) = team();
    // An owner adds members (through the server's checked function), and touches nobody
    // outside the team: not the server's superuser.
    let as_owner = cluster.url_as("ola", "team");
    add_member(&as_owner, "zoe", Role::Viewer, PASSWORD).unwrap();
    assert_eq!(
        set_role(&as_owner, "relay", Role::Viewer),
        Err(TeamError::NoSuchMember("relay".into()))
    );
    assert!(matches!(
        add_member(&cluster.url_as("eda", "team"), "max", Role::Owner, PASSWORD),
        Err(TeamError::Database(text)) if text.starts_with("42501")
    ));
    set_role(&url, "zoe", Role::Viewer).unwrap();
    cluster.query("DROP ROLE zoe");
    // A second team on the same server would share the roles: refused.
    cluster.query("CREATE DATABASE other");
    assert_eq!(
        init(&cluster.url_as("relay", "other")),
        Err(TeamError::ServerHasATeam)
    );
    let listed: Vec<(String, Role)> = members(&url)
        .unwrap()
        .into_iter()
        .map(|m| (m.name, m.role))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("eda".to_string(), Role::Editor),
            ("ola".to_string(), Role::Owner),
            ("sam".to_string(), Role::Signer),
            ("vic".to_string(), Role::Viewer),
        ]
    );
    set_role(&url, "vic", Role::Editor).unwrap();
    let vic = members(&url).unwrap().into_iter().find(|m| m.name == "vic");
    assert_eq!(vic.map(|m| m.role), Some(Role::Editor));
    // The old role is gone with the new one given: vic edits now, and nothing more.
    assert_eq!(
        run_as(
            &cluster,
            "vic",
            "INSERT INTO customers (name, created_at) VALUES ('V', 'now')"
        ),
        Ok(())
    );
    assert_eq!(
        set_role(&url, "nobody", Role::Viewer),
        Err(TeamError::NoSuchMember("nobody".into()))
    );
    assert_eq!(init(&url), Err(TeamError::AlreadyInitialised(TEAM_VERSION)));
    assert!(matches!(
        add_member(&url, "vic", Role::Viewer, PASSWORD),
        Err(TeamError::Database(text)) if text.starts_with("42710")
    ));
    // The password is stored as a SCRAM verifier, never as typed.
    let stored = cluster.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'eda'");
    assert!(stored[0][0].starts_with("SCRAM-SHA-256$"), "{stored:?}");
    assert!(!stored[0][0].contains(PASSWORD));
}

/// For each role, an operation of each class it may not do is refused by PostgreSQL itself
/// (42501, insufficient privilege) through raw SQL with that member's login; what it may do
/// goes through.
#[test]
fn each_role_is_refused_by_the_server_what_it_may_not_do() {
    let (cluster, _url) = team();
    // Rows to act on, made by the catalogue's owner.
    cluster.query_on(
        "team",
        "INSERT INTO customers (name, created_at) VALUES ('Acme', 'x'); \
         INSERT INTO licenses (customer_id, name, seats, start_date, end_date, daily_start, daily_end, zone, weekdays, created_at, updated_at) \
         VALUES (1, 'Day', 5, '2027-01-01', '2027-12-31', '09:00', '17:00', 'UTC', 127, 'x', 'x'); \
         INSERT INTO signing_keys VALUES ('k1', decode(repeat('00', 32), 'hex'), 'x', 'active')",
    );
    let edit_customer = "INSERT INTO customers (name, created_at) VALUES ('New', 'x')";
    let edit_license = "UPDATE licenses SET seats = 7 WHERE id = 1";
    let edit_price = "INSERT INTO products (name) VALUES ('P')";
    let issue =
        "UPDATE licenses SET state = 'issued', serial = nextval('license_serials') WHERE id = 1";
    let audit = "INSERT INTO audit_log (issued_at, license_id, revision, key_id, serial, file_sha256) VALUES ('x', 1, 1, 'k1', 1, 'f')";
    let keys =
        "INSERT INTO signing_keys VALUES ('k2', decode(repeat('01', 32), 'hex'), 'x', 'standby')";
    let members_sql = "CREATE ROLE intruder LOGIN";
    let escalate = "GRANT pg_write_all_data TO CURRENT_USER";
    let signer_by_hand = "GRANT timefence_signer TO CURRENT_USER";
    let temp_trigger = "CREATE TEMP TABLE licenses (id BIGINT)";
    let settings = "INSERT INTO settings VALUES ('last_serial', '999')";
    let editor_issues = "UPDATE licenses SET state = 'issued' WHERE id = 1";
    let editor_serial = "UPDATE licenses SET serial = 77 WHERE id = 1";
    let forge = "INSERT INTO team_changes (who, table_name, operation, row_key) VALUES ('x', 'x', 'x', 'x')";
    let erase = "DELETE FROM team_changes";
    let schema = "DROP TABLE licenses";
    let read = "SELECT * FROM licenses, customers, team_changes";
    let denied = Err("42501".to_string());
    let cases: &[(&str, &str, Result<(), String>)] = &[
        ("vic", read, Ok(())),
        ("vic", edit_customer, denied.clone()),
        ("vic", edit_license, denied.clone()),
        ("vic", edit_price, denied.clone()),
        ("vic", issue, denied.clone()),
        ("vic", audit, denied.clone()),
        ("vic", keys, denied.clone()),
        ("vic", members_sql, denied.clone()),
        ("eda", edit_customer, Ok(())),
        ("eda", edit_license, Ok(())),
        ("eda", edit_price, Ok(())),
        ("eda", audit, denied.clone()),
        ("eda", keys, denied.clone()),
        ("eda", members_sql, denied.clone()),
        ("eda", "SELECT nextval('license_serials')", denied.clone()),
        ("eda", editor_issues, denied.clone()),
        ("eda", editor_serial, denied.clone()),
        ("eda", settings, denied.clone()),
        ("sam", edit_customer, denied.clone()),
        ("sam", edit_license, denied.clone()),
        ("sam", issue, Ok(())),
        ("sam", audit, Ok(())),
        ("sam", keys, denied.clone()),
        ("sam", members_sql, denied.clone()),
        ("sam", settings, Ok(())),
        ("ola", keys, Ok(())),
        (
            "ola",
            "INSERT INTO customers (name, created_at) VALUES ('Owned', 'x')",
            Ok(()),
        ),
        ("ola", "SELECT team_set_role('sam', 'signer')", Ok(())),
        (
            "eda",
            "SELECT team_set_role('eda', 'owner')",
            denied.clone(),
        ),
        (
            "vic",
            "SELECT team_add_member('x', 'y', 'owner')",
            denied.clone(),
        ),
    ];
    for (user, sql, expected) in cases {
        assert_eq!(&run_as(&cluster, user, sql), expected, "{user}: {sql}");
    }
    // Nobody writes, changes or erases the audit log, touches the schema, makes roles, gives
    // themselves another role or makes a temporary table to hang the audit trigger on.
    for user in ["vic", "eda", "sam", "ola"] {
        for sql in [
            forge,
            erase,
            schema,
            members_sql,
            escalate,
            signer_by_hand,
            temp_trigger,
        ] {
            assert_eq!(run_as(&cluster, user, sql), denied, "{user}: {sql}");
        }
    }
}

/// The database writes who changed what: the member's login, not anything the client says.
#[test]
fn the_audit_trigger_records_the_members_login() {
    let (cluster, _url) = team();
    run_as(
        &cluster,
        "eda",
        "INSERT INTO customers (name, created_at) VALUES ('Acme', 'x')",
    )
    .unwrap();
    run_as(
        &cluster,
        "eda",
        "SET ROLE timefence_editor; UPDATE customers SET notes = 'big' WHERE name = 'Acme'",
    )
    .unwrap();
    let changes = cluster.query_on(
        "team",
        "SELECT who, table_name, operation, new->>'name', new->>'notes' FROM team_changes ORDER BY id",
    );
    assert_eq!(
        changes,
        vec![
            vec!["eda", "customers", "INSERT", "Acme", ""],
            vec!["eda", "customers", "UPDATE", "Acme", "big"],
        ]
    );
}

/// The demo catalogue with its trash, pushed in and backed up out: every table's rows and
/// checksum the same on all three, and the backup opens as a catalogue with the same
/// customers. A second push into the now full catalogue is refused and changes nothing.
#[test]
fn push_and_backup_round_trip_a_catalogue() {
    let (_cluster, url) = team();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("mine.sqlite");
    let opened = Catalogue::open(&source, FirstRun::SeedDemo).unwrap();
    let mut catalogue = opened.catalogue;
    let customers = catalogue.list_customers().unwrap();
    let newest = customers.iter().map(|c| c.id).max().unwrap();
    catalogue.delete_customer(newest).unwrap();
    let before = catalogue.list_customers().unwrap();
    drop(catalogue);
    // A serial taken for a file never written: the team must not hand it out again.
    rusqlite::Connection::open(&source)
        .unwrap()
        .execute(
            "INSERT INTO settings (key, value) VALUES ('last_serial', '41')",
            [],
        )
        .unwrap();

    let pushed = push(&source, &url).unwrap();
    let rows = |report: &[TableCopy], table: &str| {
        report.iter().find(|t| t.table == table).map(|t| t.rows)
    };
    assert_eq!(rows(&pushed, "customers"), Some(before.len() as u64));
    assert_eq!(rows(&pushed, "deleted_customers"), Some(1));
    assert!(rows(&pushed, "licenses").unwrap() > 0);
    assert!(rows(&pushed, "price_books").unwrap() > 0);

    assert!(matches!(
        push(&source, &url),
        Err(TeamError::NotEmpty { table, .. }) if table == "customers"
    ));
    // New rows get ids past the trash's (a restore gets its own id back) and serials past
    // every one taken.
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let fresh: i64 = owner
        .query_one(
            "INSERT INTO customers (name, created_at) VALUES ('After', 'x') RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(fresh > newest, "new id {fresh}, trashed {newest}");
    owner
        .batch_execute("DELETE FROM customers WHERE name = 'After'")
        .unwrap();
    let serial: i64 = owner
        .query_one("SELECT nextval('license_serials')", &[])
        .unwrap()
        .get(0);
    assert_eq!(serial, 42);

    let copy = dir.path().join("backup.sqlite");
    let backed = backup(&url, &copy).unwrap();
    assert_eq!(
        backed, pushed,
        "the backup's tables are the pushed ones, row for row"
    );
    let last_serial: String = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row(
            "SELECT value FROM settings WHERE key = 'last_serial'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        last_serial, "42",
        "the serial the team handed out after the push"
    );
    let reopened = Catalogue::open(&copy, FirstRun::Empty).unwrap();
    assert!(!reopened.created);
    assert_eq!(reopened.catalogue.list_customers().unwrap(), before);
    assert_eq!(
        backup(&url, &copy),
        Err(TeamError::FileExists(copy.display().to_string()))
    );
}

/// Another member's edit is heard by a listening window as it commits, with who made it and
/// which customer it touches; a rolled-back edit is never heard. Delay measured over 50 edits
/// (printed, not asserted: the machine's speed is not the product's).
#[test]
fn a_listener_hears_each_committed_change_and_no_rolled_back_one() {
    let (cluster, _url) = team();
    let mut changes = Changes::listen(&cluster.url_as("vic", "team")).unwrap();
    let mut editor =
        postgres::Client::connect(&cluster.url_as("eda", "team"), postgres::NoTls).unwrap();
    let id: i64 = editor
        .query_one(
            "INSERT INTO customers (name, created_at) VALUES ('Acme', 'x') RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    let wait = std::time::Duration::from_secs(10);
    let first = changes.next(wait).unwrap().expect("the insert is heard");
    assert_eq!(
        (
            first.who.as_str(),
            first.table.as_str(),
            first.operation.as_str()
        ),
        ("eda", "customers", "INSERT")
    );
    assert_eq!((first.key, first.customer), (id.to_string(), Some(id)));

    // Anyone may NOTIFY on the channel: what names no line of the log is passed over, and
    // who made a change is read from the log, not from the message.
    editor
        .batch_execute("NOTIFY timefence_changes, '{\"change\": 999999, \"who\": \"ola\"}'")
        .unwrap();
    let mut tx = editor.transaction().unwrap();
    tx.execute("UPDATE customers SET notes = 'never' WHERE id = $1", &[&id])
        .unwrap();
    tx.rollback().unwrap();
    let mut delays = Vec::new();
    for n in 0..50 {
        let sent = std::time::Instant::now();
        editor
            .execute(
                "UPDATE customers SET notes = $2 WHERE id = $1",
                &[&id, &format!("edit {n}")],
            )
            .unwrap();
        let heard = changes
            .next(wait)
            .unwrap()
            .expect("every committed edit is heard");
        delays.push(sent.elapsed());
        assert_eq!(
            (heard.operation.as_str(), heard.customer),
            ("UPDATE", Some(id))
        );
        let notes = cluster.query_on(
            "team",
            &format!(
                "SELECT new->>'notes' FROM team_changes WHERE id = {}",
                heard.change
            ),
        );
        assert_eq!(
            notes[0][0],
            format!("edit {n}"),
            "heard in order, the rollback never"
        );
    }
    delays.sort();
    eprintln!(
        "an edit heard by a listener on loopback: median {:?}, p99 {:?} (50 edits)",
        delays[25], delays[49]
    );
}

/// TLS to the team server, the certificate checked: a server whose certificate another CA
/// signed is not believed, and a mode that checks nothing is refused with a way forward.
#[test]
fn team_commands_speak_tls_and_check_the_servers_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = timefence_pgtest::certificates(dir.path(), "right");
    let (other_ca, _, _) = timefence_pgtest::certificates(dir.path(), "other");
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    std::fs::write(dir.path().join("other.pem"), &other_ca).unwrap();
    let cluster = Cluster::start_with_tls(Some((&cert, &key)));
    cluster.query("CREATE DATABASE team");
    let url = |mode: &str| format!("postgres://relay@localhost:{}/team?{mode}", cluster.port,);
    let checked = |root: &str| {
        url(&format!(
            "sslmode=verify-full&sslrootcert={}",
            dir.path().join(root).display()
        ))
    };
    init(&checked("ca.pem")).unwrap();
    add_member(&checked("ca.pem"), "ana", Role::Viewer, PASSWORD).unwrap();
    // The server sees the session encrypted (a listener keeps one open).
    let _listening =
        Changes::listen(&format!("{}&application_name=listener", checked("ca.pem"))).unwrap();
    let encrypted = cluster.query(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = 'listener'",
    );
    assert_eq!(
        encrypted,
        vec![vec!["t".to_string()]],
        "the listener's session"
    );
    let refused = members(&checked("other.pem")).unwrap_err();
    assert!(
        matches!(&refused, TeamError::Database(text) if text.to_lowercase().contains("certificate")),
        "{refused:?}"
    );
    let refused = members(&url("sslmode=require")).unwrap_err();
    assert!(
        matches!(&refused, TeamError::Tls(text) if text.contains("verify-full")),
        "{refused:?}"
    );
    assert_eq!(members(&checked("ca.pem")).unwrap().len(), 1);
}

#[test]
fn a_team_catalogue_whose_server_goes_away_says_so_saves_nothing_and_reconnects_by_itself() {
    let (cluster, _) = team();
    let mut catalogue = Catalogue::connect(&cluster.url_as("eda", "team")).unwrap();
    let customer = catalogue
        .add_customer(&timefence_catalogue::NewCustomer {
            name: "Away BPO".into(),
            default_zone: "UTC".into(),
            ..Default::default()
        })
        .unwrap();
    cluster.stop();
    // Every call says, typed, that the server is away: reads and writes alike.
    for attempt in [
        catalogue.list_customers().map(|_| ()),
        catalogue.update_customer(customer, "Renamed while away", "UTC"),
        catalogue.customer(customer).map(|_| ()),
    ] {
        assert!(
            matches!(
                attempt,
                Err(timefence_catalogue::CatalogueError::ServerAway(_))
            ),
            "{attempt:?}"
        );
    }
    cluster.start_again();
    // The next call connects again by itself; nothing of the refused rename was saved.
    assert_eq!(catalogue.customer(customer).unwrap().name, "Away BPO");
    catalogue
        .update_customer(customer, "Renamed when back", "UTC")
        .unwrap();
    assert_eq!(
        catalogue.customer(customer).unwrap().name,
        "Renamed when back"
    );
}

#[test]
fn each_role_is_refused_through_the_catalogue_operations_the_app_calls() {
    use timefence_catalogue::{CatalogueError, NewCustomer, TeamRole};
    let (cluster, url) = team();
    let mut owner = Catalogue::connect(&url).unwrap();
    owner.add_product("Timefence Demo").unwrap();
    let customer = owner
        .add_customer(&NewCustomer {
            name: "Roles BPO".into(),
            default_zone: "UTC".into(),
            ..Default::default()
        })
        .unwrap();
    let spec = common::terms_2027(5, "09:00", "17:00");
    let license = owner.add_license(customer, "L roles", &spec).unwrap();
    let refused = |what: &str, result: Result<(), CatalogueError>| {
        assert!(
            matches!(result, Err(CatalogueError::NotAllowed(_))),
            "{what}: {result:?}"
        );
    };
    let as_member = |name: &str| Catalogue::connect(&cluster.url_as(name, "team")).unwrap();

    let mut viewer = as_member("vic");
    assert_eq!(viewer.member().unwrap().unwrap().role, TeamRole::Viewer);
    viewer.licenses_of(customer).unwrap();
    let new = NewCustomer {
        name: "Not by a viewer".into(),
        ..Default::default()
    };
    refused(
        "viewer adds a customer",
        viewer.add_customer(&new).map(|_| ()),
    );
    refused(
        "viewer renames",
        viewer.update_customer(customer, "X", "UTC"),
    );
    refused(
        "viewer edits a license",
        viewer.update_license(license, "X", &spec).map(|_| ()),
    );
    refused("viewer deletes", viewer.delete_customer(customer));
    refused(
        "viewer adds a product",
        viewer.add_product("P2").map(|_| ()),
    );
    refused("viewer issues", viewer.mark_issued(license).map(|_| ()));
    refused(
        "viewer records a key",
        viewer.add_signing_key("k1", [7; 32], None),
    );

    let mut editor = as_member("eda");
    assert_eq!(editor.member().unwrap().unwrap().role, TeamRole::Editor);
    editor.update_license(license, "L edited", &spec).unwrap();
    refused("editor issues", editor.mark_issued(license).map(|_| ()));
    refused(
        "editor records a key",
        editor.add_signing_key("k1", [7; 32], None),
    );

    let mut signer = as_member("sam");
    assert_eq!(signer.member().unwrap().unwrap().role, TeamRole::Signer);
    refused(
        "signer adds a customer",
        signer.add_customer(&new).map(|_| ()),
    );
    refused(
        "signer edits a license",
        signer.update_license(license, "Y", &spec).map(|_| ()),
    );
    let serial = signer.mark_issued(license).unwrap();
    assert!(serial >= 1);

    let mut owner_member = as_member("ola");
    assert_eq!(
        owner_member.member().unwrap().unwrap().role,
        TeamRole::Owner
    );
    owner_member.add_signing_key("k1", [7; 32], None).unwrap();
    // Nothing a refusal touched was written.
    assert_eq!(owner.customer(customer).unwrap().name, "Roles BPO");
    assert_eq!(owner.license(license).unwrap().name, "L edited");
}

/// Two members give two customers (or two products) one name at the same moment: each
/// catalogue checks the name first, neither sees the other's uncommitted row, and the
/// server's unique index decides. The one that loses is told the name is taken, as when it
/// was taken long before, not given a storage error.
#[test]
fn two_members_naming_alike_at_once_the_second_is_told_the_name_is_taken() {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    use timefence_catalogue::{CatalogueError, NewCustomer};
    let (cluster, _url) = team();
    for (insert, attempt) in [
        (
            "INSERT INTO customers (name, created_at) VALUES ('Acme BPO', 'x')",
            "customer",
        ),
        ("INSERT INTO products (name) VALUES ('Acme CAD')", "product"),
    ] {
        // The first member's row, written but not yet committed.
        let mut first =
            postgres::Client::connect(&cluster.url_as("ola", "team"), postgres::NoTls).unwrap();
        let mut open = first.transaction().unwrap();
        open.batch_execute(insert).unwrap();
        // The second member's catalogue names its own alike: its check passes, and its
        // write waits on the first member's uncommitted row.
        let mut second = Catalogue::connect(&cluster.url_as("eda", "team")).unwrap();
        let (sender, answer) = mpsc::channel();
        std::thread::spawn(move || {
            let result = match attempt {
                "customer" => second
                    .add_customer(&NewCustomer {
                        name: "acme bpo".into(),
                        default_zone: "UTC".into(),
                        ..NewCustomer::default()
                    })
                    .map(|_| ()),
                _ => second.add_product("ACME CAD").map(|_| ()),
            };
            let _ = sender.send(result);
        });
        // Watched on a connection of its own (quick to ask, so the first member commits
        // well inside the server's 5 s lock wait).
        let mut watch =
            postgres::Client::connect(&cluster.url_as("relay", "team"), postgres::NoTls).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'eda' AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            assert!(Instant::now() < deadline, "{attempt}: the second write never waited");
            std::thread::sleep(Duration::from_millis(10));
        }
        open.commit().unwrap();
        let result = answer
            .recv_timeout(Duration::from_secs(60))
            .expect("the second member's catalogue answered");
        assert!(
            matches!(
                (&result, attempt),
                (Err(CatalogueError::DuplicateCustomer(_)), "customer")
                    | (Err(CatalogueError::DuplicateProduct(_)), "product")
            ),
            "{attempt}: {result:?}"
        );
    }
}
