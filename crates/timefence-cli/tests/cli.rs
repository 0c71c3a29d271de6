//! The `timefence` binary, run as a script would run it.

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
fn help_documents_the_exit_codes() {
    let out = timefence(&["--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1  denied") && text.contains("2  bad input"),
        "{text}"
    );
}
