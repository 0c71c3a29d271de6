//! The `timefence` binary, run as a script would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn timefence(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timefence"))
        .args(args)
        .output()
        .unwrap()
}

const CASE_3: &[&str] = &[
    "--start-date",
    "2024-01-01",
    "--end-date",
    "2024-12-31",
    "--daily-start",
    "09:00:00",
    "--daily-end",
    "17:00:00",
    "--limit",
    "3h",
];

#[test]
fn evaluate_exits_0_when_allowed_and_prints_when_use_must_stop() {
    let mut args = vec!["evaluate"];
    args.extend(CASE_3);
    args.extend(["--at", "2024-05-06T10:00:00Z", "--consumed", "1h", "--json"]);
    let out = timefence(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "allowed");
    assert_eq!(v["closes_at"], "2024-05-06T12:00:00+00:00");
    assert_eq!(v["remaining"], "2h");
}

#[test]
fn evaluate_exits_1_when_denied_and_names_the_reason_and_next_opening() {
    let mut args = vec!["evaluate"];
    args.extend(CASE_3);
    args.extend(["--at", "2024-05-06T18:00:00+00:00"]);
    let out = timefence(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("denied: OutsideWindow; next opening 2024-05-07 09:00:00 UTC"),
        "{text}"
    );
}

#[test]
fn bad_terms_exit_2_with_every_problem_listed() {
    let out = timefence(&[
        "evaluate",
        "--start-date",
        "2024-02-30",
        "--end-date",
        "x",
        "--zone",
        "Nowhere",
        "--at",
        "2024-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.matches("\n  - ").count(), 3, "{err}");
    let out = timefence(&[
        "evaluate",
        "--start-date",
        "2024-01-01",
        "--end-date",
        "2024-01-02",
        "--at",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A year chrono parses but no license lives in: refused, not a panic or an endless walk.
    let out = timefence(&[
        "evaluate",
        "--start-date",
        "2024-01-01",
        "--end-date",
        "9999-12-31",
        "--at",
        "2024-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("outside the years 1970 to 2099"), "{err}");
}

#[test]
fn terms_come_from_a_toml_or_json_file_and_flags_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let toml_path = dir.path().join("night.toml");
    std::fs::write(
        &toml_path,
        "license_start_date = \"2024-03-30\"\nlicense_end_date = \"2024-04-01\"\ndaily_start_time = \"22:00\"\ndaily_end_time = \"06:00\"\ntime_zone = \"Europe/Paris\"\nseats = 5\n",
    )
    .unwrap();
    let out = timefence(&[
        "occurrences",
        "--terms",
        toml_path.to_str().unwrap(),
        "--from",
        "2024-03-29",
        "--to",
        "2024-04-02",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let lengths: Vec<i64> = list
        .iter()
        .map(|o| o["length_seconds"].as_i64().unwrap())
        .collect();
    // The night of 30 to 31 March loses an hour to the spring-forward gap.
    assert_eq!(lengths, [7 * 3600, 8 * 3600, 8 * 3600]);

    let json_path = dir.path().join("night.json");
    std::fs::write(&json_path, r#"{"license_start_date":"2024-03-30","license_end_date":"2024-04-01","daily_start_time":"22:00","daily_end_time":"06:00","seats":5}"#).unwrap();
    let out = timefence(&[
        "occurrences",
        "--terms",
        json_path.to_str().unwrap(),
        "--daily-end",
        "23:00",
        "--from",
        "2024-03-30",
        "--to",
        "2024-03-30",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("2024-03-30 22:00:00 UTC -> 2024-03-30 23:00:00 UTC  (1h)"),
        "{text}"
    );
}

#[test]
fn version_names_the_time_zone_database_it_carries() {
    let out = timefence(&["--version"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!(
            "timefence {} (tzdata {})",
            env!("CARGO_PKG_VERSION"),
            timefence_terms::tzdata_version()
        )
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = timefence(&["--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1  denied") && text.contains("2  bad input"),
        "{text}"
    );
}

/// A new catalogue at `path` starts empty; the tests start from the 2024 demo, made by the
/// `demo` command the first time a test touches the file.
fn with_demo(path: &std::path::Path) {
    if !path.exists() {
        let made = timefence(&[
            "--catalogue",
            path.to_str().unwrap(),
            "demo",
            "--year",
            "2024",
        ]);
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
}

/// Runs the CLI on the catalogue at `path` (the 2024 demo when new), with the user's state
/// folder (where `check` keeps the ledger's witness) beside it rather than in the real home.
fn with_catalogue(path: &std::path::Path, args: &[&str]) -> Output {
    with_demo(path);
    let mut all = vec!["--catalogue", path.to_str().unwrap()];
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_timefence"))
        .args(&all)
        .env("XDG_STATE_HOME", path.with_extension("state"))
        // Reports are for days of the demo's year (March); they must have ended whatever the
        // calendar says today.
        .env("TIMEFENCE_TODAY", "2099-12-31")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn customers_and_licenses_are_listed_added_and_shown_with_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let list = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert_eq!(list["total"], 4, "a new catalogue starts with the demo");
    let added = json_of(&with_catalogue(
        &db,
        &[
            "customers",
            "add",
            "--name",
            "Acme",
            "--zone",
            "Europe/Paris",
            "--json",
        ],
    ));
    let id = added["id"].as_i64().unwrap().to_string();
    let license = json_of(&with_catalogue(
        &db,
        &[
            "licenses",
            "add",
            "--customer",
            &id,
            "--name",
            "Support",
            "--start-date",
            "2025-01-01",
            "--end-date",
            "2025-12-31",
            "--daily-start",
            "09:00",
            "--daily-end",
            "17:00",
            "--weekdays",
            "Mon,Tue,Wed,Thu,Fri",
            "--zone",
            "Europe/Paris",
            "--seats",
            "5",
            "--json",
        ],
    ));
    let shown = json_of(&with_catalogue(&db, &["customers", "show", &id, "--json"]));
    assert_eq!(shown["licenses"][0]["id"], license["id"]);
    assert_eq!(
        shown["licenses"][0]["terms"]["weekdays"],
        serde_json::json!(["Mon", "Tue", "Wed", "Thu", "Fri"])
    );
    let found = json_of(&with_catalogue(
        &db,
        &["customers", "list", "--search", "acme", "--json"],
    ));
    assert_eq!(found["total"], 1);
    let valid = json_of(&with_catalogue(
        &db,
        &["licenses", "list", "--valid-on", "2025-03-01", "--json"],
    ));
    assert_eq!(valid.as_array().unwrap().len(), 1);
}

#[test]
fn catalogue_errors_exit_3_and_invalid_terms_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    assert_eq!(
        with_catalogue(&db, &["customers", "show", "999"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        with_catalogue(&db, &["customers", "add", "--name", "northwind bpo"])
            .status
            .code(),
        Some(3)
    );
    let bad = with_catalogue(
        &db,
        &[
            "licenses",
            "add",
            "--customer",
            "1",
            "--name",
            "x",
            "--start-date",
            "2025-01-01",
            "--end-date",
            "2024-01-01",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn csv_export_import_backup_and_restore_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (db, other) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let (cust, lic) = (
        dir.path().join("customers.csv"),
        dir.path().join("licenses.csv"),
    );
    let out = with_catalogue(
        &db,
        &[
            "export",
            "--customers",
            cust.to_str().unwrap(),
            "--licenses",
            lic.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    // A fresh catalogue already holds the demo, so importing it again is refused row by row.
    let refused = with_catalogue(
        &other,
        &[
            "import",
            "--customers",
            cust.to_str().unwrap(),
            "--licenses",
            lic.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(3));
    let err = String::from_utf8(refused.stderr).unwrap();
    assert!(err.contains("customers line 2: a customer named"), "{err}");

    let backup = dir.path().join("backup.sqlite");
    assert!(with_catalogue(&db, &["backup", backup.to_str().unwrap()])
        .status
        .success());
    assert!(
        with_catalogue(&db, &["customers", "add", "--name", "Later"])
            .status
            .success()
    );
    assert!(with_catalogue(&db, &["restore", backup.to_str().unwrap()])
        .status
        .success());
    let list = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert_eq!(
        list["total"], 4,
        "the customer added after the backup is gone"
    );
}

#[test]
fn generate_adds_a_synthetic_catalogue_of_the_size_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.sqlite");
    let out = with_catalogue(
        &db,
        &["generate", "--customers", "50", "--licenses-each", "3"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = json_of(&with_catalogue(
        &db,
        &["customers", "list", "--search", "Generated", "--json"],
    ));
    assert_eq!(list["total"], 50);
    assert_eq!(list["customers"][0]["license_count"], 3);
}

#[test]
fn cost_gives_the_brief_s_bpo_figures_and_forecast_exports_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let list = json_of(&with_catalogue(
        &db,
        &["customers", "list", "--search", "Northwind", "--json"],
    ));
    let bpo = list["customers"][0]["id"].as_i64().unwrap().to_string();
    let day = json_of(&with_catalogue(
        &db,
        &[
            "cost",
            "--customer",
            &bpo,
            "--from",
            "2024-06-12",
            "--to",
            "2024-06-12",
            "--json",
        ],
    ));
    assert_eq!(
        (day["baseline_minor"].as_u64(), day["fenced_minor"].as_u64()),
        (Some(300_000), Some(175_000))
    );
    let text =
        String::from_utf8(with_catalogue(&db, &["cost", "--customer", &bpo]).stdout).unwrap();
    assert!(
        text.contains("time-fenced $640,500.00  traditional $1,098,000.00"),
        "{text}"
    );
    let csv = with_catalogue(
        &db,
        &[
            "forecast",
            "--date",
            "2024-06-12",
            "--customer",
            &bpo,
            "--bucket-minutes",
            "15",
            "--csv",
        ],
    );
    let csv = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 96);
    assert_eq!(
        (lines[0], lines[1], lines[33], lines[96]),
        ("start,seats", "00:00,100", "08:00,200", "23:45,50")
    );
    assert_eq!(
        with_catalogue(
            &db,
            &["forecast", "--date", "2024-06-12", "--bucket-minutes", "7"]
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn eco_turns_a_carbon_credit_into_a_daily_limit_and_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let plain = json_of(&with_catalogue(
        &db,
        &[
            "eco",
            "--grams-per-hour",
            "1200",
            "--credit-kg",
            "1095",
            "--days",
            "365",
            "--json",
        ],
    ));
    assert_eq!(plain["daily_limit"], "2h30m");
    assert_eq!(plain["credit_for_next_quarter_hour_kg"], 110);
    let list = json_of(&with_catalogue(
        &db,
        &["customers", "list", "--search", "Contoso", "--json"],
    ));
    let customer = list["customers"][0]["id"].as_i64().unwrap().to_string();
    let shown = json_of(&with_catalogue(
        &db,
        &["customers", "show", &customer, "--json"],
    ));
    let license = shown["licenses"][0]["id"].as_i64().unwrap().to_string();
    let applied = json_of(&with_catalogue(
        &db,
        &[
            "eco",
            "--grams-per-hour",
            "1200",
            "--credit-kg",
            "700",
            "--license",
            &license,
            "--apply",
            "--json",
        ],
    ));
    // 700 kg / (1.2 kg x 366 days) = 1.59 h, so 1h30m a day.
    assert_eq!(applied["applied_limit"], "1h30m");
    let after = json_of(&with_catalogue(
        &db,
        &["licenses", "show", &license, "--json"],
    ));
    assert_eq!(after["terms"]["daily_time_consumption_limit"], "1h30m");
    // A credit larger than the window needs no limit: the window is the fence.
    let roomy = json_of(&with_catalogue(
        &db,
        &[
            "eco",
            "--grams-per-hour",
            "10",
            "--credit-kg",
            "1000",
            "--license",
            &license,
            "--apply",
            "--json",
        ],
    ));
    assert_eq!(roomy["applied_limit"], serde_json::Value::Null);
}

fn with_passphrase(path: &std::path::Path, args: &[&str]) -> Output {
    with_demo(path);
    let mut all = vec!["--catalogue", path.to_str().unwrap()];
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_timefence"))
        .args(&all)
        .env("TIMEFENCE_PASSPHRASE", "a passphrase long enough")
        .output()
        .unwrap()
}

#[test]
fn keys_sign_verify_inspect_and_rotation_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let first = json_of(&with_passphrase(&db, &["key", "generate", "--json"]))["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    let lic = dir.path().join("india.lic");
    let signed = with_passphrase(
        &db,
        &["sign", "--license", "1", "--out", lic.to_str().unwrap()],
    );
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let ok = with_catalogue(&db, &["verify", lic.to_str().unwrap()]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let text = std::fs::read_to_string(&lic).unwrap();
    let tampered = dir.path().join("tampered.lic");
    std::fs::write(&tampered, text.replace("payload: e", "payload: f")).unwrap();
    let bad = with_catalogue(&db, &["verify", tampered.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8(bad.stdout)
        .unwrap()
        .contains("signature does not match"));

    let inspected =
        String::from_utf8(with_catalogue(&db, &["inspect", lic.to_str().unwrap()]).stdout).unwrap();
    assert!(
        inspected.contains("unsigned comment: Northwind BPO / L1 India")
            && inspected.contains("\"seats\": 100"),
        "{inspected}"
    );

    // Rotation: a second key signs from now on; the first, retired, still verifies its files.
    let second = json_of(&with_passphrase(&db, &["key", "generate", "--json"]))["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(with_catalogue(&db, &["key", "activate", &second])
        .status
        .success());
    assert!(with_catalogue(&db, &["key", "retire", &first])
        .status
        .success());
    assert_eq!(
        with_catalogue(&db, &["verify", lic.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let keys = json_of(&with_catalogue(&db, &["key", "list", "--json"]));
    let statuses: Vec<(String, String)> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key_id"].as_str().unwrap().to_string(),
                k["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(first.clone(), "retired".into()))
            && statuses.contains(&(second, "active".into()))
    );

    // Only the exported public key: a verifier that trusts another key says UnknownKey.
    let pem = dir.path().join("first.pem");
    std::fs::write(
        &pem,
        with_catalogue(&db, &["key", "export", "--key", &first]).stdout,
    )
    .unwrap();
    assert_eq!(
        with_catalogue(
            &db,
            &[
                "verify",
                lic.to_str().unwrap(),
                "--trust",
                pem.to_str().unwrap()
            ]
        )
        .status
        .code(),
        Some(0)
    );
    let wrong = Command::new(env!("CARGO_BIN_EXE_timefence"))
        .args([
            "--catalogue",
            db.to_str().unwrap(),
            "sign",
            "--license",
            "1",
            "--out",
            "/dev/null",
        ])
        .env("TIMEFENCE_PASSPHRASE", "not the passphrase at all")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8(wrong.stderr)
        .unwrap()
        .contains("wrong passphrase"));
}

#[test]
fn check_verifies_then_enforces_the_window_with_the_local_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    assert!(with_passphrase(&db, &["key", "generate"]).status.success());
    let lic = dir.path().join("india.lic");
    assert!(with_passphrase(
        &db,
        &["sign", "--license", "1", "--out", lic.to_str().unwrap()]
    )
    .status
    .success());
    let inside = json_of(&with_catalogue(
        &db,
        &[
            "check",
            lic.to_str().unwrap(),
            "--at",
            "2024-06-12T03:00:00Z",
            "--json",
        ],
    ));
    assert_eq!(inside["decision"], "allowed");
    let outside = with_catalogue(
        &db,
        &[
            "check",
            lic.to_str().unwrap(),
            "--at",
            "2024-06-12T09:00:00Z",
            "--json",
        ],
    );
    assert_eq!(outside.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&outside.stdout).unwrap();
    assert_eq!(
        (v["decision"].as_str(), v["reason"].as_str()),
        (Some("denied"), Some("OutsideWindow"))
    );
    // The clock going back a day is refused: the ledger remembers the latest time it saw.
    let back = with_catalogue(
        &db,
        &[
            "check",
            lic.to_str().unwrap(),
            "--at",
            "2024-06-11T03:00:00Z",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
    assert_eq!(v["decision"], "refused");
    assert!(
        v["reason"].as_str().unwrap().starts_with("ClockRollback"),
        "{v}"
    );
    // Deleting the ledger does not give the day back: its witness, in the state folder,
    // remembers that it was written.
    std::fs::remove_file(dir.path().join("usage.ledger")).unwrap();
    let deleted = with_catalogue(
        &db,
        &[
            "check",
            lic.to_str().unwrap(),
            "--at",
            "2024-06-12T03:00:00Z",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&deleted.stdout).unwrap();
    assert_eq!(v["decision"], "refused", "{v}");
    assert!(
        v["reason"].as_str().unwrap().starts_with("LedgerMissing"),
        "{v}"
    );
    assert!(db.with_extension("state").join("timefence").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ledger.secret"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn a_terms_file_signs_too_and_its_serial_follows_the_catalogue_s() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    assert!(with_passphrase(&db, &["key", "generate"]).status.success());
    let first = dir.path().join("first.lic");
    assert!(with_passphrase(
        &db,
        &["sign", "--license", "2", "--out", first.to_str().unwrap()]
    )
    .status
    .success());
    let terms = dir.path().join("support.toml");
    std::fs::write(
        &terms,
        "license_start_date = \"2025-01-01\"\nlicense_end_date = \"2025-12-31\"\ndaily_start_time = \"09:00\"\ndaily_end_time = \"17:00\"\nweekdays = [\"Mon\", \"Tue\", \"Wed\", \"Thu\", \"Fri\"]\ntime_zone = \"Europe/Berlin\"\nseats = 5\n",
    )
    .unwrap();
    // A terms file signs only for a customer the catalogue knows (else its relay could never
    // be certified): refused by name, then accepted once added, in any case.
    let walk_in = with_passphrase(
        &db,
        &[
            "sign",
            "--terms",
            terms.to_str().unwrap(),
            "--customer",
            "Walk-in Ltd",
            "--name",
            "Support",
            "--out",
            "walk-in.lic",
        ],
    );
    assert_eq!(walk_in.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&walk_in.stderr).contains("no customer \"Walk-in Ltd\""),
        "{}",
        String::from_utf8_lossy(&walk_in.stderr)
    );
    for name in ["Acme", "Globex"] {
        let added = with_catalogue(&db, &["customers", "add", "--name", name]);
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    let second = dir.path().join("support.lic");
    let out = with_passphrase(
        &db,
        &[
            "sign",
            "--terms",
            terms.to_str().unwrap(),
            "--customer",
            "acme",
            "--name",
            "Support",
            "--out",
            second.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let serial = |file: &std::path::Path| {
        json_of(&with_catalogue(
            &db,
            &["verify", file.to_str().unwrap(), "--json"],
        ))["payload"]["serial"]
            .as_i64()
            .unwrap()
    };
    assert!(
        serial(&second) > serial(&first),
        "one growing sequence of serials"
    );
    // Signed for "acme", the file names the catalogue's customer as it is spelled there.
    assert_eq!(
        json_of(&with_catalogue(
            &db,
            &["verify", second.to_str().unwrap(), "--json"]
        ))["payload"]["customer"],
        "Acme"
    );
    // The same terms signed for another customer are another license: checking it and then
    // the first on one machine allows both (no "superseded", no shared ledger entry).
    let globex = dir.path().join("globex.lic");
    let out = with_passphrase(
        &db,
        &[
            "sign",
            "--terms",
            terms.to_str().unwrap(),
            "--customer",
            "Globex",
            "--name",
            "Support",
            "--out",
            globex.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uid = |file: &std::path::Path| {
        json_of(&with_catalogue(
            &db,
            &["verify", file.to_str().unwrap(), "--json"],
        ))["payload"]["uid"]
            .as_str()
            .map(str::to_string)
    };
    assert_ne!(uid(&globex), uid(&second));
    assert!(uid(&globex).is_some_and(|u| timefence_license::is_license_uid(&u)));
    for file in [&globex, &second] {
        let checked = with_catalogue(
            &db,
            &[
                "check",
                file.to_str().unwrap(),
                "--at",
                "2025-03-03T09:00:00Z",
                "--json",
            ],
        );
        assert_eq!(
            json_of(&checked)["decision"],
            "allowed",
            "{}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    let missing = with_passphrase(
        &db,
        &["sign", "--terms", terms.to_str().unwrap(), "--out", "x.lic"],
    );
    assert_eq!(
        missing.status.code(),
        Some(2),
        "--terms needs --customer and --name"
    );
}

#[test]
fn products_prices_renewals_and_a_missing_price_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // A new catalogue is empty: no demo customers, no products.
    let db = dir.path().join("own.sqlite");
    let bare = |args: &[&str]| {
        let mut all = vec!["--catalogue", db.to_str().unwrap()];
        all.extend(args);
        timefence(&all)
    };
    assert_eq!(json_of(&bare(&["customers", "list", "--json"]))["total"], 0);
    assert_eq!(
        json_of(&bare(&["products", "list", "--json"])),
        serde_json::json!([])
    );

    let cad = json_of(&bare(&["products", "add", "--name", "Acme CAD", "--json"]))["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let duplicate = bare(&["products", "add", "--name", "acme cad"]);
    assert_eq!(duplicate.status.code(), Some(3));
    let long = "x".repeat(81);
    assert_eq!(
        bare(&["products", "add", "--name", &long]).status.code(),
        Some(2)
    );
    for (flag, value) in [
        ("--currency", "dollars"),
        ("--price", "-5"),
        ("--price", "5.001"),
        ("--block-hours", "0"),
    ] {
        let mut args = vec![
            "products",
            "set-price",
            &cad,
            "--currency",
            "USD",
            "--price",
            "5",
        ];
        let at = args.iter().position(|a| *a == flag).unwrap_or(args.len());
        if at < args.len() {
            args[at + 1] = value;
        } else {
            args.extend([flag, value]);
        }
        let out = bare(&args);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
    assert_eq!(
        json_of(&bare(&["products", "show", &cad, "--json"]))["prices"],
        serde_json::json!([]),
        "no bad price was kept"
    );

    let acme = json_of(&bare(&["customers", "add", "--name", "Acme BPO", "--json"]))["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let day_shift = json_of(&bare(&[
        "licenses",
        "add",
        "--customer",
        &acme,
        "--name",
        "Day",
        "--product",
        "Acme CAD",
        "--start-date",
        "2027-01-01",
        "--end-date",
        "2027-12-31",
        "--daily-start",
        "08:00",
        "--daily-end",
        "16:00",
        "--seats",
        "10",
        "--json",
    ]))["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // No price yet: the cost says so and counts nothing.
    let unpriced = String::from_utf8(
        bare(&[
            "cost",
            "--customer",
            &acme,
            "--from",
            "2027-03-03",
            "--to",
            "2027-03-03",
        ])
        .stdout,
    )
    .unwrap();
    assert!(unpriced.contains("No price for Acme CAD"), "{unpriced}");
    assert!(!unpriced.contains("$0.00"), "{unpriced}");

    assert!(bare(&[
        "products",
        "set-price",
        &cad,
        "--currency",
        "USD",
        "--price",
        "5.00"
    ])
    .status
    .success());
    assert!(bare(&[
        "products",
        "set-price",
        &cad,
        "--currency",
        "USD",
        "--price",
        "6",
        "--from",
        "2027-07-01"
    ])
    .status
    .success());
    let cost = |from: &str| {
        json_of(&bare(&[
            "cost",
            "--customer",
            &acme,
            "--from",
            from,
            "--to",
            from,
            "--json",
        ]))
    };
    assert_eq!(cost("2027-03-03")["fenced_minor"], 5_000);
    assert_eq!(
        cost("2027-08-03")["fenced_minor"],
        6_000,
        "the July price applies in August"
    );

    // A second product in euros: totals per currency, nothing added across them.
    let render = json_of(&bare(&["products", "add", "--name", "Render", "--json"]))["id"]
        .as_i64()
        .unwrap()
        .to_string();
    assert!(bare(&[
        "products",
        "set-price",
        &render,
        "--currency",
        "eur",
        "--price",
        "7"
    ])
    .status
    .success());
    assert!(bare(&[
        "licenses",
        "add",
        "--customer",
        &acme,
        "--name",
        "Night",
        "--product",
        "Render",
        "--start-date",
        "2027-01-01",
        "--end-date",
        "2027-12-31",
        "--daily-start",
        "22:00",
        "--daily-end",
        "06:00",
        "--seats",
        "4",
    ])
    .status
    .success());
    let both = cost("2027-03-03");
    let totals: Vec<(String, u64)> = both["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["currency"].as_str().unwrap().to_string(),
                t["fenced_minor"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [("EUR".to_string(), 4 * 700), ("USD".to_string(), 5_000)]
    );
    assert!(
        both.get("fenced_minor").is_none(),
        "no single total across currencies"
    );

    let renewed = json_of(&bare(&[
        "licenses",
        "renew",
        "--license",
        &day_shift,
        "--json",
    ]));
    let next = &renewed["renewed"][0];
    assert_eq!(next["state"], "draft");
    assert_eq!(next["terms"]["license_start_date"], "2028-01-01");
    assert_eq!(next["terms"]["license_end_date"], "2028-12-31");
    assert_eq!(next["terms"]["product"], "Acme CAD");
    // On a day of 2027 (the renewal rule looks at which terms still run).
    let all = json_of(
        &Command::new(env!("CARGO_BIN_EXE_timefence"))
            .args(["--catalogue", db.to_str().unwrap()])
            .args(["licenses", "renew", "--customer", &acme, "--json"])
            .env("TIMEFENCE_TODAY", "2027-06-01")
            .output()
            .unwrap(),
    );
    // Each license without a next term gets one, but a next term itself is not renewed again
    // while the term before it runs: the night shift only, not Day's 2028 draft.
    let ends: Vec<&str> = all["renewed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["terms"]["license_end_date"].as_str().unwrap())
        .collect();
    assert_eq!(ends, ["2028-12-31"]);
    assert_eq!(all["renewed"][0]["name"], "Night");
    assert_eq!(
        bare(&["licenses", "renew", "--license", "999"])
            .status
            .code(),
        Some(3)
    );

    // The demo goes only into an empty catalogue.
    assert_eq!(bare(&["demo"]).status.code(), Some(2));
}

#[test]
fn names_too_long_or_on_two_lines_are_refused_by_the_command_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let long = "x".repeat(5_000);
    for name in [long.as_str(), "Acme\nEvil", "   "] {
        let out = with_catalogue(&db, &["customers", "add", "--name", name]);
        assert_eq!(out.status.code(), Some(2), "{name:?}");
    }
    let stderr =
        String::from_utf8(with_catalogue(&db, &["customers", "add", "--name", &long]).stderr)
            .unwrap();
    assert!(stderr.contains("at most 120 characters"), "{stderr}");
    let list = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert_eq!(list["total"], 4, "only the demo's customers");
    let added = json_of(&with_catalogue(
        &db,
        &["customers", "add", "--name", "  Trimmed  ", "--json"],
    ));
    let shown = json_of(&with_catalogue(
        &db,
        &["customers", "show", &added["id"].to_string(), "--json"],
    ));
    assert_eq!(shown["customer"]["name"], "Trimmed");
}

#[test]
fn relay_certify_binds_a_relay_key_to_a_customer_and_its_licenses() {
    use timefence_license::relay::read_certificate;
    let dir = tempfile::tempdir().unwrap();
    let (db, vendor, relay, public) = vendor_and_relay(dir.path(), 5);
    let cert = dir.path().join("relay.cert");
    let args = |license: &str| {
        vec![
            "relay".to_string(),
            "certify".into(),
            "--public-key".into(),
            public.to_str().unwrap().into(),
            "--customer".into(),
            "1".into(),
            "--license".into(),
            license.into(),
            "--out".into(),
            cert.to_str().unwrap().into(),
        ]
    };
    fn arg_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let out = with_passphrase(&db, &arg_refs(&args("1")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 license)"));

    let raw = with_catalogue(&db, &["key", "export", "--key", &vendor, "--raw"]);
    let mut trusted = timefence_license::TrustedKeys::default();
    trusted
        .add_base64(String::from_utf8_lossy(&raw.stdout).trim())
        .unwrap();
    let certificate = read_certificate(&std::fs::read_to_string(&cert).unwrap(), &trusted).unwrap();
    assert_eq!(certificate.relay_key, relay.verifying_key());
    // The certificate names the license by its uid, which the CLI shows.
    let listed = json_of(&with_catalogue(
        &db,
        &["licenses", "list", "--customer", "1", "--json"],
    ));
    let uid = listed
        .as_array()
        .and_then(|all| all.iter().find(|l| l["id"] == 1))
        .map(|l| l["uid"].as_str().unwrap().to_string())
        .expect("license 1 is listed with its uid");
    assert!(timefence_license::is_license_uid(&uid), "{uid}");
    assert_eq!(certificate.payload.licenses, vec![uid]);
    let customers = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert_eq!(certificate.payload.customer, "Northwind BPO", "{customers}");

    // A license of another customer, and a file that is not a key: refused, nothing written.
    std::fs::remove_file(&cert).unwrap();
    let stranger = with_passphrase(&db, &arg_refs(&args("999")));
    assert_eq!(stranger.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("license 999 is not one of"));
    std::fs::write(&public, "not a key").unwrap();
    let not_key = with_passphrase(&db, &arg_refs(&args("1")));
    assert_eq!(not_key.status.code(), Some(2));
    assert!(!cert.exists());
}

#[test]
fn usage_reports_are_imported_once_shown_and_turned_into_priced_suggestions() {
    use timefence_license::usage::{sign_report, LicenseUsage, Quarter, ReportPayload};
    let dir = tempfile::tempdir().unwrap();
    let (db, vendor, relay, public) = vendor_and_relay(dir.path(), 6);
    let cert = dir.path().join("relay.cert");
    let certified = with_passphrase(
        &db,
        &[
            "relay",
            "certify",
            "--public-key",
            public.to_str().unwrap(),
            "--customer",
            "1",
            "--out",
            cert.to_str().unwrap(),
        ],
    );
    assert!(
        certified.status.success(),
        "{}",
        String::from_utf8_lossy(&certified.stderr)
    );
    // The demo's Northwind BPO: Brazil (16:00-24:00 UTC, 50 seats) peaks at 31 on one day.
    let listed = json_of(&with_catalogue(
        &db,
        &["licenses", "list", "--customer", "1", "--json"],
    ));
    let brazil = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "L3 Brazil")
        .unwrap()
        .clone();
    let year = &brazil["terms"]["license_start_date"].as_str().unwrap()[..4];
    // The relay copies the customer's uid from its certificate into its reports.
    let customers = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    let customer_uid = customers["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 1)
        .unwrap()["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let day: timefence_terms::chrono::NaiveDate = format!("{year}-03-01").parse().unwrap();
    let evening = day.and_hms_opt(18, 0, 0).unwrap().and_utc().timestamp();
    let report = |from: &str, to: &str| ReportPayload {
        customer: "Northwind BPO".into(),
        customer_uid: Some(customer_uid.clone()),
        from: format!("{year}-{from}"),
        to: format!("{year}-{to}"),
        generated_at: "2026-01-01T00:00:00Z".into(),
        licenses: vec![LicenseUsage {
            license: format!("{vendor}-{}", brazil["uid"].as_str().unwrap()),
            distinct_holders: 44,
            quarters: vec![Quarter {
                start: evening,
                peak: 31,
                seat_seconds: 31 * 900,
            }],
            refusals: vec![],
        }],
    };
    let file = dir.path().join("march.report");
    let certificate = std::fs::read_to_string(&cert).unwrap();
    std::fs::write(
        &file,
        sign_report(&report("03-01", "03-01"), &relay, &certificate),
    )
    .unwrap();

    let imported = with_catalogue(&db, &["usage", "import", file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&imported.stdout).trim(),
        format!(
            "imported the usage of Northwind BPO from {year}-03-01 to {year}-03-01 (1 license)"
        )
    );
    // The same day again: refused, exit 3, and nothing added.
    let again = with_catalogue(&db, &["usage", "import", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already imported"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // A tampered copy: a typed refusal, exit 2.
    let tampered = dir.path().join("tampered.report");
    std::fs::write(
        &tampered,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("payload: ey", "payload: ez"),
    )
    .unwrap();
    let refused = with_catalogue(&db, &["usage", "import", tampered.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("(BadSignature)"));
    // The certificate is listed, with the end it was given (a year and a day by default).
    let certificates = json_of(&with_catalogue(&db, &["relay", "certificates", "--json"]));
    let listed = certificates.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{certificates}");
    assert!(listed[0]["not_after"].as_str().is_some());
    assert!(listed[0]["withdrawn_at"].is_null());
    // Withdrawn: the relay's next report is refused, by name.
    let id = listed[0]["id"].to_string();
    let withdrawn = with_catalogue(&db, &["relay", "withdraw", "--certificate", &id]);
    assert!(withdrawn.status.success());
    let later = dir.path().join("later.report");
    std::fs::write(
        &later,
        sign_report(&report("03-02", "03-02"), &relay, &certificate),
    )
    .unwrap();
    let refused = with_catalogue(&db, &["usage", "import", later.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("(CertificateNotInForce)"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The withdrawal list for the customer's relay and applications names it, signed with
    // the vendor key, and nothing else.
    let list = dir.path().join("withdrawn.tfw");
    let written = with_passphrase(
        &db,
        &["relay", "withdrawals", "--out", list.to_str().unwrap()],
    );
    assert!(
        String::from_utf8_lossy(&written.stdout).contains("wrote 1 relay certificate withdrawn"),
        "{}{}",
        String::from_utf8_lossy(&written.stdout),
        String::from_utf8_lossy(&written.stderr)
    );
    let raw = with_catalogue(&db, &["key", "export", "--key", &vendor, "--raw"]);
    let mut trusted = timefence_license::TrustedKeys::default();
    trusted
        .add_base64(String::from_utf8_lossy(&raw.stdout).trim())
        .unwrap();
    let read = timefence_license::relay::read_withdrawals(
        &std::fs::read_to_string(&list).unwrap(),
        &trusted,
    )
    .unwrap();
    let named = timefence_license::relay::read_certificate(&certificate, &trusted).unwrap();
    assert!(matches!(
        read.check(&named),
        Err(timefence_license::relay::TrustError::Withdrawn(_))
    ));
    assert_eq!(read.payload.withdrawn.len(), 1);

    let shown = json_of(&with_catalogue(
        &db,
        &["usage", "show", "--customer", "1", "--json"],
    ));
    let brazil_use = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "L3 Brazil")
        .unwrap();
    assert_eq!(
        (brazil_use["peak"].as_u64(), brazil_use["days"].as_u64()),
        (Some(31), Some(1))
    );
    assert_eq!(brazil_use["used_seat_seconds"], 31 * 900);
    assert_eq!(brazil_use["licensed_seat_seconds"], 8 * 3600 * 50);
    let text = String::from_utf8_lossy(
        &with_catalogue(&db, &["usage", "suggest", "--customer", "1"]).stdout,
    )
    .to_string();
    assert!(
        text.contains("L3 Brazil: 35 seats (at most 31 of 50 in use at once): -$75.00 a day"),
        "{text}"
    );
    let suggested = json_of(&with_catalogue(
        &db,
        &["usage", "suggest", "--customer", "1", "--json"],
    ));
    let fewer = suggested
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "L3 Brazil")
        .unwrap();
    assert_eq!(fewer["terms"]["seats"], 35);
    assert_eq!(
        fewer["per_day"][0],
        serde_json::json!({ "currency": "USD", "minor": -7500 })
    );
}

/// A catalogue in `dir` with a signing key made by the command line (its key id), and a
/// customer's relay key (seeded) with its public key written as PEM.
fn vendor_and_relay(dir: &Path, seed: u8) -> (PathBuf, String, ed25519_dalek::SigningKey, PathBuf) {
    let db = dir.join("c.sqlite");
    let vendor = json_of(&with_passphrase(&db, &["key", "generate", "--json"]))["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    let relay = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let public = dir.join("relay.pub.pem");
    std::fs::write(
        &public,
        timefence_license::public_key_pem(&relay.verifying_key()),
    )
    .unwrap();
    (db, vendor, relay, public)
}

#[test]
fn the_command_line_edits_duplicates_deletes_and_renames_as_the_window_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let licenses = |customer: &str| {
        json_of(&with_catalogue(
            &db,
            &["licenses", "list", "--customer", customer, "--json"],
        ))
    };
    let first = licenses("1")[0].clone();
    let id = first["id"].to_string();
    // A draft is changed in place: only what the flags name.
    let edited = json_of(&with_catalogue(
        &db,
        &[
            "licenses",
            "edit",
            &id,
            "--seats",
            "120",
            "--daily-end",
            "17:00",
            "--json",
        ],
    ));
    assert_eq!(edited["id"], first["id"]);
    assert_eq!(edited["new_revision"], false);
    assert_eq!(edited["license"]["terms"]["seats"], 120);
    assert_eq!(edited["license"]["terms"]["daily_end_time"], "17:00");
    assert_eq!(
        edited["license"]["terms"]["daily_start_time"],
        first["terms"]["daily_start_time"]
    );
    assert_eq!(edited["license"]["uid"], first["uid"]);
    // Bad input: a typed refusal naming the field, and nothing changed.
    let refused = with_catalogue(&db, &["licenses", "edit", &id, "--seats", "0"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("eats"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(licenses("1")[0]["terms"]["seats"], 120);

    // Duplicate: a new draft with its own uid.
    let copy = json_of(&with_catalogue(
        &db,
        &["licenses", "duplicate", &id, "--json"],
    ));
    assert!(copy["name"].as_str().unwrap().ends_with("(copy)"), "{copy}");
    assert_ne!(copy["uid"], first["uid"]);
    let copy_id = copy["id"].to_string();
    // Delete to the trash and restore.
    let count = |value: &serde_json::Value| value.as_array().unwrap().len();
    let before = count(&licenses("1"));
    let deleted = with_catalogue(&db, &["licenses", "delete", &copy_id]);
    assert!(
        String::from_utf8_lossy(&deleted.stdout).contains("to the trash"),
        "{deleted:?}"
    );
    assert_eq!(count(&licenses("1")), before - 1);
    with_catalogue(&db, &["licenses", "restore", &copy_id]);
    assert_eq!(count(&licenses("1")), before);

    // An issued license gets a new revision as a draft, and the message says the customer's
    // file stays valid until it is signed.
    let signed = with_passphrase(&db, &["key", "generate", "--json"]);
    assert!(signed.status.success());
    let out = dir.path().join("one.lic");
    let issued = with_passphrase(
        &db,
        &["sign", "--license", &id, "--out", out.to_str().unwrap()],
    );
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let revised = with_catalogue(&db, &["licenses", "edit", &id, "--seats", "110"]);
    let said = String::from_utf8_lossy(&revised.stdout);
    assert!(
        said.contains("its revision 2, a draft; the customer's file stays valid until the new revision is signed"),
        "{said}"
    );
    // An issued license is not deleted: its file is with the customer.
    let kept = with_catalogue(&db, &["licenses", "delete", &id]);
    assert!(!kept.status.success());

    // Rename a customer: the uid stays. Another customer's name is refused.
    let customers = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    let one = customers["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 1)
        .unwrap()
        .clone();
    let renamed = json_of(&with_catalogue(
        &db,
        &[
            "customers",
            "rename",
            "1",
            "--name",
            "Northwind Group",
            "--json",
        ],
    ));
    assert_eq!(renamed["name"], "Northwind Group");
    assert_eq!(renamed["uid"], one["uid"]);
    let other = customers["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] != 1)
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let clash = with_catalogue(&db, &["customers", "rename", "1", "--name", &other]);
    assert!(!clash.status.success());
    // A customer with an issued license is kept; one without goes to the trash and back.
    assert!(!with_catalogue(&db, &["customers", "delete", "1"])
        .status
        .success());
    let spare = json_of(&with_catalogue(
        &db,
        &["customers", "add", "--name", "Spare Co", "--json"],
    ))["id"]
        .to_string();
    assert!(with_catalogue(&db, &["customers", "delete", &spare])
        .status
        .success());
    let listed = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert!(!listed.to_string().contains("Spare Co"));
    assert!(with_catalogue(&db, &["customers", "restore", &spare])
        .status
        .success());
    let listed = json_of(&with_catalogue(&db, &["customers", "list", "--json"]));
    assert!(listed.to_string().contains("Spare Co"));
}

/// The id of the customer named `name` in catalogue `cat`, as the command line takes it.
fn customer_id(cat: &str, name: &str) -> String {
    let out = timefence(&["--catalogue", cat, "customers", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["id"]
        .to_string()
}

/// The 2027 demo catalogue at `cat` (its price book and Northwind BPO, in UTC).
fn demo_2027(cat: &str) {
    let made = timefence(&["--catalogue", cat, "demo", "--year", "2027"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// `timefence plan` for `customer` with `roster`, and `more` flags.
fn plan(cat: &str, customer: &str, roster: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "--catalogue",
        cat,
        "plan",
        "--customer",
        customer,
        "--roster",
        roster,
    ];
    args.extend(more);
    timefence(&args)
}

/// The brief's BPO as a week's roster, the sample beside the planner.
fn bpo_roster() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../timefence-roster/samples/bpo.csv")
}

/// The brief's BPO as a week's roster (100 agents 00:00-08:00, 200 08:00-16:00, 50 16:00-24:00
/// UTC, and a spare agent's time off): three licenses at $1,750.00 a day against $3,000.00.
#[test]
fn plan_turns_the_bpo_roster_into_three_licenses_at_1750_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("c.sqlite");
    let cat = catalogue.to_str().unwrap();
    demo_2027(cat);
    let bpo = customer_id(cat, "Northwind BPO");
    let roster = bpo_roster();
    let roster = roster.to_str().unwrap();
    let out = plan(cat, &bpo, roster, &["--on", "2027-01-04", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"]["cost_per_day_minor"], 175_000);
    assert_eq!(v["plan"]["baseline_per_day_minor"], 300_000);
    assert_eq!(v["plan"]["optimality"]["type"], "Proven");
    assert_eq!(v["demand"]["agents"], 350);
    assert_eq!(v["demand"]["not_working"], 7);
    let licenses: Vec<(u64, u64, u64)> = v["plan"]["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["start"].as_u64().unwrap(),
                l["quarters"].as_u64().unwrap(),
                l["seats"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(licenses, [(0, 32, 100), (32, 32, 200), (64, 32, 50)]);
    let text = plan(cat, &bpo, roster, &["--on", "2027-01-04"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("00:00-08:00  every day  100 seats  $500.00 a day"),
        "{text}"
    );
    assert!(
        text.contains(
            "Time-fenced: $1,750.00 a day; one 24-hour license for 200 seats: $3,000.00 a day"
        ),
        "{text}"
    );

    // A bad row: named by line and field, no plan.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "agent,start,end\nA,2027-01-04T08:00:00Z,2027-01-04T16:00:00Z\nB,2027-01-04T09:00:00Z,2027-01-04T08:00:00Z\n").unwrap();
    let out = plan(cat, &bpo, bad.to_str().unwrap(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "timefence: --roster: line 3, end: not after the start"
    );
    assert!(out.stdout.is_empty());
    // Applied: three drafts with the plan's windows and seats, all or none.
    let names = |cat: &str| -> Vec<String> {
        let out = timefence(&[
            "--catalogue",
            cat,
            "licenses",
            "list",
            "--customer",
            &bpo,
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let list = v.get("licenses").unwrap_or(&v).as_array().unwrap().clone();
        list.iter()
            .map(|l| {
                let terms = &l["terms"];
                format!(
                    "{} {} {} {}-{}",
                    l["name"].as_str().unwrap(),
                    terms["seats"],
                    l["state"].as_str().unwrap_or(""),
                    terms["daily_start_time"].as_str().unwrap_or(""),
                    terms["daily_end_time"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let before = names(cat);
    let out = plan(
        cat,
        &bpo,
        roster,
        &[
            "--on",
            "2027-01-04",
            "--apply",
            "--from",
            "2027-12-31",
            "--to",
            "2027-01-01",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "timefence: --from, --to: the license ends (2027-01-01) before it starts (2027-12-31)"
    );
    assert_eq!(names(cat), before, "a refused apply adds nothing");
    let out = plan(
        cat,
        &bpo,
        roster,
        &[
            "--on",
            "2027-01-04",
            "--apply",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Added 3 draft licenses for Northwind BPO, valid 2027-01-01 to 2027-12-31: Plan 00:00-08:00, Plan 08:00-16:00, Plan 16:00-24:00"));
    let after = names(cat);
    assert_eq!(after.len(), before.len() + 3);
    for added in [
        "Plan 00:00-08:00 100 draft 00:00-08:00",
        "Plan 08:00-16:00 200 draft 08:00-16:00",
        "Plan 16:00-24:00 50 draft 16:00-24:00",
    ] {
        assert!(
            after.iter().any(|n| n.eq_ignore_ascii_case(added)),
            "{added} in {after:?}"
        );
    }
    let out = plan(cat, &bpo, roster, &["--max-licenses", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Licenses: at most 20, at least 1"));
}

/// A plan priced over a term as the cost panel prices it: each night's real length in the
/// customer's zone, the DST night an hour short.
#[test]
fn plan_prices_its_licenses_over_a_term_with_each_days_real_length() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("c.sqlite");
    let cat = cat.to_str().unwrap();
    demo_2027(cat);
    let out = timefence(&[
        "--catalogue",
        cat,
        "customers",
        "add",
        "--name",
        "Night Desk",
        "--zone",
        "America/New_York",
        "--json",
    ]);
    let id = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"].to_string();
    let mut roster = String::from("agent,start,end,zone\n");
    for day in 10..17 {
        roster.push_str(&format!(
            "N1,2027-03-{day} 22:00,2027-03-{} 06:00,America/New_York\n",
            day + 1
        ));
    }
    let file = dir.path().join("nights.csv");
    std::fs::write(&file, roster).unwrap();
    let out = plan(
        cat,
        &id,
        file.to_str().unwrap(),
        &[
            "--on",
            "2027-03-10",
            "--from",
            "2027-03-13",
            "--to",
            "2027-03-15",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &v["plan"]["licenses"][0];
    assert_eq!(
        (
            l["start"].as_u64(),
            l["quarters"].as_u64(),
            l["seats"].as_u64()
        ),
        (Some(88), Some(32), Some(1))
    );
    // Nights opening 13 March (7 h: the clocks spring forward), 14 March (8 h) and 15 March
    // (2 h inside the term) make 17 h at $5 per 8 h: $10.625, rounded down once. One 24-hour
    // license is billed 24 + 23 + 24 = 71 h: $44.375, rounded down.
    assert_eq!(v["term"]["fenced_minor"], 1062);
    assert_eq!(v["term"]["baseline_minor"], 4437);
    // The BPO over a year: 365 days at $1,750.00 against $3,000.00.
    let bpo = customer_id(cat, "Northwind BPO");
    let sample = bpo_roster();
    let out = plan(
        cat,
        &bpo,
        sample.to_str().unwrap(),
        &[
            "--on",
            "2027-01-04",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("Over 2027-01-01 to 2027-12-31: $638,750.00 against $1,095,000.00 for one 24-hour license for 200 seats"), "{text}");
    // --from without --to is refused by the command line itself.
    let out = plan(
        cat,
        &bpo,
        sample.to_str().unwrap(),
        &["--from", "2027-01-01"],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// The same BPO roster as NICE IEX's Agent Schedule Detail export, as Genesys Cloud's agent
/// schedules and as recurring iCalendar events: the format is seen from the file, and the plan is the same $1,750.00 a day. A
/// bad line is named with its line and field, and an unknown format is refused.
#[test]
fn plan_reads_the_bpo_roster_from_iex_and_genesys_exports() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("c.sqlite");
    let cat = catalogue.to_str().unwrap();
    demo_2027(cat);
    let bpo = customer_id(cat, "Northwind BPO");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../timefence-roster/samples");
    for name in ["bpo.iex.txt", "bpo.genesys.json", "bpo.ics"] {
        let roster = samples.join(name);
        let out = plan(
            cat,
            &bpo,
            roster.to_str().unwrap(),
            &["--on", "2027-01-04", "--json"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["plan"]["cost_per_day_minor"], 175_000, "{name}");
        assert_eq!(v["demand"]["agents"], 350, "{name}");
        assert_eq!(v["demand"]["not_working"], 7, "{name}");
    }
    let bad = dir.path().join("bad.txt");
    std::fs::write(
        &bad,
        "#fields:excdate|TZ|tvID|excCode|startTime|stopTime\n\
         01042027|UTC|A1|Open|08:00|16:00\n\
         01042027|Eastern|A2|Open|08:00|16:00\n",
    )
    .unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "--catalogue",
            cat,
            "plan",
            "--customer",
            &bpo,
            "--roster",
            bad.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        timefence(&args)
    };
    let out = plan(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3, TZ") && err.contains("--zone"),
        "{err}"
    );
    // With the management unit's zone named, its times are read in it.
    let out = plan(&["--zone", "America/New_York", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = plan(&["--format", "xls"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--format: \"xls\"") && err.contains("csv, iex, genesys, ics"),
        "{err}"
    );
    let out = plan(&["--date-format", "dd/mm"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--date-format"));
}

/// The team commands against a real PostgreSQL server (a throwaway cluster): init, members,
/// a catalogue pushed in and backed up out, and the exit codes of what is refused.
#[test]
fn team_init_members_push_and_backup() {
    let cluster = timefence_pgtest::Cluster::start();
    cluster.query("CREATE DATABASE team");
    let url = cluster.url_as("relay", "team");
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine.sqlite");
    let mine = mine.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_timefence"))
            .args(args)
            .env("TIMEFENCE_MEMBER_PASSWORD", "a long enough password")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    assert_eq!(run(&["--catalogue", mine, "demo"]).0, Some(0));
    let (code, said) = run(&["team", "init", "--server", &url]);
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = run(&["team", "add", "ana", "--role", "editor", "--server", &url]);
    assert_eq!((code, said.trim()), (Some(0), "added ana as editor"));
    let (code, said) = run(&["team", "add", "Ana B", "--role", "editor", "--server", &url]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("member name \"Ana B\""), "{said}");
    let (code, said) = run(&["team", "add", "bo", "--role", "admin", "--server", &url]);
    assert_eq!(code, Some(2), "{said}");
    let (code, said) = run(&["team", "role", "ana", "viewer", "--server", &url]);
    assert_eq!((code, said.trim()), (Some(0), "ana is now viewer"));
    let (_, said) = run(&["team", "list", "--server", &url, "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{"name": "ana", "role": "viewer"}])
    );

    let (code, said) = run(&[
        "--catalogue",
        mine,
        "catalogue",
        "push",
        "--to",
        &url,
        "--json",
    ]);
    assert_eq!(code, Some(0), "{said}");
    let pushed: serde_json::Value = serde_json::from_str(&said).unwrap();
    let (code, said) = run(&["--catalogue", mine, "catalogue", "push", "--to", &url]);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("not empty: customers has"), "{said}");

    let copy = dir.path().join("copy.sqlite");
    let copy = copy.to_str().unwrap();
    let (code, said) = run(&["backup", copy, "--from", &url, "--json"]);
    assert_eq!(code, Some(0), "{said}");
    let backed: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(backed["tables"], pushed["tables"]);
    assert!(pushed["rows"].as_u64().unwrap() > 0);
    let listed = |path: &str| run(&["--catalogue", path, "customers", "list"]).1;
    assert_eq!(listed(copy), listed(mine));
    assert!(
        listed(copy).contains("(1 license, UTC)"),
        "{}",
        listed(copy)
    );

    // The same commands on the team catalogue itself, as a member: a viewer reads and is
    // refused a change by the server, with nothing written; an editor's change is recorded
    // with their login by the database.
    let as_ana = cluster.url_as("ana", "team");
    assert_eq!(listed(&as_ana), listed(mine));
    let add = |url: &str| {
        run(&[
            "--catalogue",
            url,
            "customers",
            "add",
            "--name",
            "Zeta Care",
            "--zone",
            "Europe/Lisbon",
        ])
    };
    let (code, said) = add(&as_ana);
    assert_eq!(code, Some(3), "{said}");
    assert!(
        said.contains("your role in this team catalogue may not do this"),
        "{said}"
    );
    assert!(!listed(&as_ana).contains("Zeta Care"));
    assert_eq!(
        run(&["team", "role", "ana", "editor", "--server", &url]).0,
        Some(0)
    );
    let (code, said) = add(&as_ana);
    assert_eq!(code, Some(0), "{said}");
    let now = listed(&as_ana);
    assert!(
        now.contains("Zeta Care  (0 licenses, Europe/Lisbon)"),
        "{now}"
    );
    assert_eq!(
        cluster.query_on(
            "team",
            "SELECT who FROM team_changes WHERE table_name = 'customers' AND new->>'name' = 'Zeta Care'"
        ),
        vec![vec!["ana".to_string()]]
    );
    let (code, said) = run(&["--catalogue", &as_ana, "backup", copy]);
    assert_eq!(code, Some(3), "{said}");
}
