//! The conformance vectors in `conformance/vectors/`: written here, with fixed keys, and run
//! here through the same portable surface the C, Python and Node bindings wrap.
//!
//! Every step of every vector states what it must show (allowed, a deny reason, or an error
//! code), checked while the vector is made, so a vector records intent and not merely what
//! the code did. The full answers (instants, remaining time) must equal a brute-force
//! oracle's (`timefence-terms/tests/engine/brute.rs`: minute by minute on the zone's wall
//! clock, with consumption counted here from the steps), so a regression in, say, a DST
//! instant cannot be written into the vectors; they are then written down for the other
//! languages to match exactly.
//!
//! `TIMEFENCE_WRITE_VECTORS=1 cargo test -p timefence-license --test conformance` rewrites
//! the files; otherwise the test fails when the committed files differ from what it makes.

#[path = "../../timefence-terms/tests/engine/brute.rs"]
mod brute;

use base64::Engine;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use timefence_license::portable::{self, trusted_keys};
use timefence_license::{public_key_base64, sign, verify, LicensePayload};
use timefence_terms::chrono::DateTime;
use timefence_terms::chrono::NaiveDate;
use timefence_terms::TermsSpec;

const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

fn vendor() -> SigningKey {
    SigningKey::from_bytes(&[0x11; 32])
}

fn stranger() -> SigningKey {
    SigningKey::from_bytes(&[0x22; 32])
}

/// The vendor's next signing key, after a rotation.
fn rotated() -> SigningKey {
    SigningKey::from_bytes(&[0x33; 32])
}

/// The writer and the runner share the folder; one at a time.
static FOLDER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn vectors_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/vectors")
}

struct Terms {
    from: &'static str,
    to: &'static str,
    start: &'static str,
    end: &'static str,
    zone: &'static str,
    limit: Option<&'static str>,
    weekdays: Option<&'static [&'static str]>,
}

const YEAR_2027: Terms = Terms {
    from: "2027-01-01",
    to: "2027-12-31",
    start: "09:00",
    end: "17:00",
    zone: "UTC",
    limit: None,
    weekdays: None,
};

fn payload(uid: Option<&str>, license_id: i64, serial: i64, t: &Terms) -> LicensePayload {
    LicensePayload {
        license_id,
        uid: uid.map(str::to_string),
        revision: 1,
        customer: "Acme BPO".into(),
        customer_uid: None,
        name: "Conformance".into(),
        issued_at: "2026-11-01T00:00:00Z".into(),
        serial,
        not_after: None,
        terms: TermsSpec {
            license_start_date: t.from.into(),
            license_end_date: t.to.into(),
            daily_start_time: t.start.into(),
            daily_end_time: t.end.into(),
            daily_time_consumption_limit: t.limit.map(str::to_string),
            time_zone: t.zone.into(),
            weekdays: t
                .weekdays
                .map(|w| w.iter().map(|d| d.to_string()).collect()),
            seats: 10,
            product: "Timefence demo".into(),
            features: Default::default(),
        },
    }
}

const UID_A: &str = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a1";
const UID_B: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b2";

fn file(p: &LicensePayload) -> String {
    sign(p, &vendor(), &format!("{} / {}", p.customer, p.name))
}

/// What a step must show, stated by hand.
#[derive(Clone, Copy)]
enum Intent {
    Allowed,
    Denied(&'static str),
    Error(&'static str),
    Ok,
}

enum Action {
    Verify,
    Check(&'static str),
    RecordUse(&'static str, i64),
}

struct Step {
    file: usize,
    action: Action,
    intent: Intent,
}

fn verify_step(file: usize, intent: Intent) -> Step {
    Step {
        file,
        action: Action::Verify,
        intent,
    }
}
fn check(file: usize, now: &'static str, intent: Intent) -> Step {
    Step {
        file,
        action: Action::Check(now),
        intent,
    }
}
fn record(file: usize, now: &'static str, seconds: i64, intent: Intent) -> Step {
    Step {
        file,
        action: Action::RecordUse(now, seconds),
        intent,
    }
}

struct Case {
    name: &'static str,
    about: &'static str,
    trusted: Vec<SigningKey>,
    files: Vec<String>,
    steps: Vec<Step>,
}

fn unix(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

fn cases() -> Vec<Case> {
    use Intent::*;
    let plain = |t: &Terms| file(&payload(Some(UID_A), 7, 1, t));
    let tampered = {
        let text = plain(&YEAR_2027);
        let line = text.lines().find(|l| l.starts_with("payload: ")).unwrap();
        let engine = base64::engine::general_purpose::STANDARD;
        let json = String::from_utf8(engine.decode(&line[9..]).unwrap()).unwrap();
        let more_seats = json.replace("\"seats\":10", "\"seats\":99");
        assert_ne!(json, more_seats);
        text.replace(line, &format!("payload: {}", engine.encode(more_seats)))
    };
    let mut not_after = payload(Some(UID_A), 7, 1, &YEAR_2027);
    not_after.not_after = Some("2027-06-30T23:59:59Z".into());
    let midnight = Terms {
        start: "22:00",
        end: "06:00",
        ..YEAR_2027
    };
    let new_york = |start, end| Terms {
        start,
        end,
        zone: "America/New_York",
        ..YEAR_2027
    };
    let limit = Terms {
        start: "08:00",
        end: "20:00",
        limit: Some("02:00"),
        ..YEAR_2027
    };
    let weekdays = Terms {
        weekdays: Some(&["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ..YEAR_2027
    };
    vec![
        Case {
            name: "tampered-file",
            about: "The payload was edited (10 seats made 99) without signing it again.",
            trusted: vec![vendor()],
            files: vec![tampered, plain(&YEAR_2027)],
            steps: vec![verify_step(0, Error("BadSignature")), verify_step(1, Ok)],
        },
        Case {
            name: "wrong-key",
            about: "The file is signed by a key the verifier does not trust.",
            trusted: vec![stranger()],
            files: vec![plain(&YEAR_2027)],
            steps: vec![verify_step(0, Error("UnknownKey"))],
        },
        Case {
            name: "validity-dates",
            about: "Before the first day the license is not yet valid; after the last, expired for good.",
            trusted: vec![vendor()],
            files: vec![plain(&YEAR_2027)],
            steps: vec![
                check(0, "2026-12-31T10:00:00Z", Denied("NotYetValid")),
                check(0, "2027-01-01T09:00:00Z", Allowed),
                check(0, "2027-12-31T16:59:59Z", Allowed),
                check(0, "2028-01-01T10:00:00Z", Denied("Expired")),
            ],
        },
        Case {
            name: "not-after-passed",
            about: "The file's own not-after ends it before its terms do.",
            trusted: vec![vendor()],
            files: vec![file(&not_after)],
            steps: vec![
                check(0, "2027-06-30T10:00:00Z", Allowed),
                check(0, "2027-07-01T10:00:00Z", Error("FileExpired")),
            ],
        },
        Case {
            name: "window-across-midnight",
            about: "22:00-06:00 UTC closes the next morning; one occurrence is keyed by the evening it opens.",
            trusted: vec![vendor()],
            files: vec![plain(&midnight)],
            steps: vec![
                check(0, "2027-03-01T21:59:59Z", Denied("OutsideWindow")),
                check(0, "2027-03-01T22:00:00Z", Allowed),
                check(0, "2027-03-02T05:59:59Z", Allowed),
                check(0, "2027-03-02T06:00:00Z", Denied("OutsideWindow")),
            ],
        },
        Case {
            name: "new-york-dst-gap",
            about: "On 2027-03-14 New York skips 02:00-03:00: 01:30-03:30 lasts one hour, and 02:30-04:00 opens at 03:30.",
            trusted: vec![vendor()],
            files: vec![plain(&new_york("01:30", "03:30")), file(&payload(Some(UID_B), 8, 2, &new_york("02:30", "04:00")))],
            steps: vec![
                check(0, "2027-03-14T06:29:59Z", Denied("OutsideWindow")),
                check(0, "2027-03-14T06:30:00Z", Allowed),
                check(1, "2027-03-14T07:15:00Z", Denied("OutsideWindow")),
                check(0, "2027-03-14T07:29:59Z", Allowed),
                check(0, "2027-03-14T07:30:00Z", Denied("OutsideWindow")),
                check(1, "2027-03-14T07:30:00Z", Allowed),
                check(1, "2027-03-14T08:00:00Z", Denied("OutsideWindow")),
            ],
        },
        Case {
            name: "new-york-dst-fold",
            about: "On 2027-11-07 New York shows 01:00-02:00 twice: 01:00-02:00 opens at the first 01:00 and lasts two hours.",
            trusted: vec![vendor()],
            files: vec![plain(&new_york("01:00", "02:00"))],
            steps: vec![
                check(0, "2027-11-07T04:59:59Z", Denied("OutsideWindow")),
                check(0, "2027-11-07T05:00:00Z", Allowed),
                check(0, "2027-11-07T06:30:00Z", Allowed),
                check(0, "2027-11-07T07:00:00Z", Denied("OutsideWindow")),
                check(0, "2027-11-08T06:00:00Z", Allowed),
            ],
        },
        Case {
            name: "lord-howe-half-hour-shift",
            about: "Lord Howe Island moves its clocks by 30 minutes. 01:30-02:30 lasts 90 minutes on 2027-04-04 (01:30-02:00 shows twice; the window opens at the first) and 30 minutes on 2027-10-03 (02:00-02:30 is skipped).",
            trusted: vec![vendor()],
            files: vec![plain(&Terms { start: "01:30", end: "02:30", zone: "Australia/Lord_Howe", ..YEAR_2027 })],
            steps: vec![
                check(0, "2027-04-03T14:29:59Z", Denied("OutsideWindow")),
                check(0, "2027-04-03T14:30:00Z", Allowed),
                check(0, "2027-04-03T15:59:59Z", Allowed),
                check(0, "2027-04-03T16:00:00Z", Denied("OutsideWindow")),
                check(0, "2027-10-02T14:59:59Z", Denied("OutsideWindow")),
                check(0, "2027-10-02T15:00:00Z", Allowed),
                check(0, "2027-10-02T15:29:59Z", Allowed),
                check(0, "2027-10-02T15:30:00Z", Denied("OutsideWindow")),
            ],
        },
        Case {
            name: "kathmandu-quarter-hour-offset",
            about: "Kathmandu is UTC+05:45: 09:00-17:00 there is 03:15-11:15 UTC.",
            trusted: vec![vendor()],
            files: vec![plain(&Terms { zone: "Asia/Kathmandu", ..YEAR_2027 })],
            steps: vec![
                check(0, "2027-05-05T03:14:59Z", Denied("OutsideWindow")),
                check(0, "2027-05-05T03:15:00Z", Allowed),
                check(0, "2027-05-05T11:15:00Z", Denied("OutsideWindow")),
            ],
        },
        Case {
            name: "weekdays",
            about: "Monday to Friday only: 2027-03-06 is a Saturday.",
            trusted: vec![vendor()],
            files: vec![plain(&weekdays)],
            steps: vec![
                check(0, "2027-03-05T10:00:00Z", Allowed),
                check(0, "2027-03-06T10:00:00Z", Denied("WeekdayExcluded")),
                check(0, "2027-03-08T10:00:00Z", Allowed),
            ],
        },
        Case {
            name: "daily-limit-spent-across-calls",
            about: "Two hours a day inside 08:00-20:00, spent in two parts; the next day starts afresh. Use cannot be recorded outside a window, nor be negative.",
            trusted: vec![vendor()],
            files: vec![plain(&limit)],
            steps: vec![
                check(0, "2027-03-01T09:00:00Z", Allowed),
                record(0, "2027-03-01T09:50:00Z", 3000, Ok),
                check(0, "2027-03-01T10:00:00Z", Allowed),
                record(0, "2027-03-01T11:10:00Z", 4200, Ok),
                check(0, "2027-03-01T11:30:00Z", Denied("ConsumptionExhausted")),
                check(0, "2027-03-02T09:00:00Z", Allowed),
                record(0, "2027-03-02T21:00:00Z", 60, Error("NoOpenWindow")),
                record(0, "2027-03-02T10:00:00Z", -5, Error("BadUse")),
            ],
        },
        Case {
            name: "clock-set-back",
            about: "A clock set back within the 5-minute tolerance is accepted; beyond it, refused until it is right again.",
            trusted: vec![vendor()],
            files: vec![plain(&YEAR_2027)],
            steps: vec![
                check(0, "2027-03-01T10:00:00Z", Allowed),
                check(0, "2027-03-01T09:56:00Z", Allowed),
                check(0, "2027-03-01T09:54:59Z", Error("ClockRollback")),
                check(0, "2027-03-01T10:01:00Z", Allowed),
            ],
        },
        Case {
            name: "superseded-serial",
            about: "Once serial 6 of a license is used here, its serial 5 is refused; another license (same catalogue id, another uid) and an old file without a uid are not affected.",
            trusted: vec![vendor()],
            files: vec![
                file(&payload(Some(UID_A), 0, 5, &YEAR_2027)),
                file(&payload(Some(UID_A), 0, 6, &YEAR_2027)),
                file(&payload(Some(UID_B), 0, 1, &YEAR_2027)),
                file(&payload(None, 0, 1, &YEAR_2027)),
            ],
            steps: vec![
                check(0, "2027-03-01T10:00:00Z", Allowed),
                check(1, "2027-03-01T10:01:00Z", Allowed),
                check(0, "2027-03-01T10:02:00Z", Error("Superseded")),
                check(2, "2027-03-01T10:03:00Z", Allowed),
                check(3, "2027-03-01T10:04:00Z", Allowed),
            ],
        },
        Case {
            name: "key-rotation",
            about: "The vendor rotated its signing key: revision 2 of the license (serial 2, the same uid) signed with the new key supersedes serial 1 signed with the old, and counts the time serial 1 used that day.",
            trusted: vec![vendor(), rotated()],
            files: vec![
                file(&payload(Some(UID_A), 7, 1, &limit)),
                sign(&payload(Some(UID_A), 7, 2, &limit), &rotated(), "Acme BPO / Conformance"),
            ],
            steps: vec![
                check(0, "2027-03-01T09:00:00Z", Allowed),
                record(0, "2027-03-01T09:30:00Z", 1800, Ok),
                check(1, "2027-03-01T10:00:00Z", Allowed),
                check(0, "2027-03-01T10:01:00Z", Error("Superseded")),
            ],
        },
        Case {
            name: "new-york-dst-gap-last-day",
            about: "03:00-02:30 in New York, valid only on 2027-03-13: the shift's end, 02:30 on the 14th, falls in the spring-forward gap and becomes 03:30 EDT; no window opens on the 14th, so the shift runs to 03:30 rather than stopping at 03:00.",
            trusted: vec![vendor()],
            files: vec![plain(&Terms {
                from: "2027-03-13",
                to: "2027-03-13",
                ..new_york("03:00", "02:30")
            })],
            steps: vec![
                check(0, "2027-03-14T07:10:00Z", Allowed),
                check(0, "2027-03-14T07:29:59Z", Allowed),
                check(0, "2027-03-14T07:30:00Z", Denied("Expired")),
            ],
        },
    ]
}

/// Runs a vector's steps through the portable surface, returning each step's answer.
fn answers(trusted: &[String], files: &[String], steps: &[Value]) -> Vec<Value> {
    let secret = portable::secret_from_hex(SECRET).unwrap();
    let keys = trusted_keys(trusted).unwrap();
    let mut ledger: Vec<u8> = Vec::new();
    steps
        .iter()
        .map(|step| {
            let text = &files[step["file"].as_u64().unwrap() as usize];
            let license = match verify(text, &keys) {
                Ok(license) => license,
                Err(e) => return json!({ "error": e.kind() }),
            };
            match step["action"].as_str().unwrap() {
                "verify" => json!({ "ok": true, "serial": license.payload.serial, "uid": license.payload.uid }),
                "check" => match portable::check(&license, step["now_unix"].as_i64().unwrap(), &ledger, &secret) {
                    Ok((verdict, next)) => {
                        ledger = next;
                        serde_json::to_value(verdict).unwrap()
                    }
                    Err(e) => json!({ "error": e.kind() }),
                },
                "record_use" => match portable::record_use(
                    &license,
                    step["now_unix"].as_i64().unwrap(),
                    step["seconds"].as_i64().unwrap(),
                    &ledger,
                    &secret,
                ) {
                    Ok(next) => {
                        ledger = next;
                        json!({ "ok": true })
                    }
                    Err(e) => json!({ "error": e.kind() }),
                },
                other => panic!("unknown action {other}"),
            }
        })
        .collect()
}

/// The day (UTC) of an instant.
fn day_of(now: i64) -> NaiveDate {
    DateTime::from_timestamp(now, 0).unwrap().date_naive()
}

/// The terms as the oracle walks them: validity clipped to ten days past `now` (a window
/// opens within a week on any weekday mask, so the answer at `now` is the same), since the
/// oracle walks every minute up to the last occurrence.
fn clipped(terms: &timefence_terms::Terms, now: i64) -> timefence_terms::Terms {
    let mut terms = terms.clone();
    let horizon = day_of(now) + timefence_terms::chrono::TimeDelta::days(10);
    if terms.end_date > horizon {
        terms.end_date = horizon.max(terms.start_date);
    }
    terms
}

/// The local opening date of the oracle's occurrence containing `now`.
fn oracle_occurrence(terms: &timefence_terms::Terms, now: i64) -> Option<NaiveDate> {
    let today = day_of(now);
    brute::oracle_occurrences(
        terms,
        today - timefence_terms::chrono::TimeDelta::days(3),
        today + timefence_terms::chrono::TimeDelta::days(2),
    )
    .into_iter()
    .find(|o| o.opens <= now && now < o.closes)
    .map(|o| o.date)
}

/// Each check step's answer from the brute-force oracle (`None` for other steps and errors),
/// with the time used per occurrence counted here from the record_use steps that succeeded:
/// nothing from the implementation's engine or ledger.
fn independent(
    trusted: &[String],
    files: &[String],
    steps: &[Value],
    got: &[Value],
) -> Vec<Option<Value>> {
    let keys = trusted_keys(trusted).unwrap();
    let mut used: BTreeMap<(String, NaiveDate), i64> = BTreeMap::new();
    steps
        .iter()
        .zip(got)
        .map(|(step, answer)| {
            let license = verify(&files[step["file"].as_u64()? as usize], &keys).ok()?;
            let now = step["now_unix"].as_i64()?;
            let terms = clipped(&license.terms, now);
            let occurrence = oracle_occurrence(&terms, now);
            match step["action"].as_str()? {
                "check" if answer.get("allowed").is_some() => {
                    let consumed = occurrence
                        .and_then(|date| used.get(&(license.identity(), date)).copied())
                        .unwrap_or(0);
                    Some(match brute::oracle_evaluate(&terms, now, consumed) {
                        brute::OracleAnswer::Allowed {
                            closes_at,
                            remaining,
                            ..
                        } => json!({ "allowed": true, "reason": null, "closes_at": closes_at, "remaining_seconds": remaining, "next_opening": null }),
                        brute::OracleAnswer::Denied {
                            reason,
                            next_opening,
                        } => json!({ "allowed": false, "reason": portable::reason_name(reason), "closes_at": null, "remaining_seconds": null, "next_opening": next_opening }),
                    })
                }
                "record_use" if answer["ok"] == true => {
                    let date = occurrence.expect("use was recorded where the oracle has no window");
                    *used.entry((license.identity(), date)).or_default() +=
                        step["seconds"].as_i64()?;
                    None
                }
                _ => None,
            }
        })
        .collect()
}

fn make(case: &Case) -> Value {
    let trusted: Vec<String> = case
        .trusted
        .iter()
        .map(|k| public_key_base64(&k.verifying_key()))
        .collect();
    let mut steps: Vec<Value> = case
        .steps
        .iter()
        .map(|s| match s.action {
            Action::Verify => json!({ "action": "verify", "file": s.file }),
            Action::Check(now) => json!({ "action": "check", "file": s.file, "now": now, "now_unix": unix(now) }),
            Action::RecordUse(now, seconds) => json!({ "action": "record_use", "file": s.file, "now": now, "now_unix": unix(now), "seconds": seconds }),
        })
        .collect();
    let got = answers(&trusted, &case.files, &steps);
    for ((step, answer), value) in case.steps.iter().zip(&got).zip(steps.iter_mut()) {
        let meets = match step.intent {
            Intent::Allowed => answer["allowed"] == true,
            Intent::Denied(reason) => answer["allowed"] == false && answer["reason"] == reason,
            Intent::Error(code) => answer["error"] == code,
            Intent::Ok => answer["ok"] == true,
        };
        assert!(meets, "{}: step {value} answered {answer}", case.name);
        value["expect"] = answer.clone();
    }
    let oracle = independent(&trusted, &case.files, &steps, &got);
    for ((value, answer), expected) in steps.iter().zip(&got).zip(oracle) {
        if let Some(expected) = expected {
            assert_eq!(
                *answer, expected,
                "{}: step {value}: the implementation and the brute-force oracle differ",
                case.name
            );
        }
    }
    json!({
        "name": case.name,
        "about": case.about,
        "tzdata": timefence_license::tzdata_version(),
        "trusted_keys": trusted,
        "ledger_secret": SECRET,
        "files": case.files,
        "steps": steps,
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

#[test]
fn the_committed_vectors_are_the_ones_this_code_makes() {
    let _one_at_a_time = FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    let folder = vectors_folder();
    let made: Vec<(String, String)> = cases()
        .iter()
        .map(|case| (format!("{}.json", case.name), pretty(&make(case))))
        .collect();
    if std::env::var_os("TIMEFENCE_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(&folder).unwrap();
        for entry in std::fs::read_dir(&folder).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, text) in &made {
            std::fs::write(folder.join(name), text).unwrap();
        }
    }
    let mut committed: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut names: Vec<String> = made.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    assert_eq!(committed, names, "conformance/vectors holds other files than the cases; TIMEFENCE_WRITE_VECTORS=1 rewrites them");
    for (name, text) in &made {
        let on_disk = std::fs::read_to_string(folder.join(name)).unwrap();
        assert!(
            on_disk == *text,
            "conformance/vectors/{name} differs from what this code makes; TIMEFENCE_WRITE_VECTORS=1 rewrites it"
        );
    }
}

#[test]
fn rust_passes_every_committed_vector() {
    let _one_at_a_time = FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    let mut passed = 0;
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(vectors_folder()).unwrap() {
        let vector: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let strings = |key: &str| -> Vec<String> {
            vector[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let steps = vector["steps"].as_array().unwrap();
        let got = answers(&strings("trusted_keys"), &strings("files"), steps);
        for (step, answer) in steps.iter().zip(&got) {
            if step["expect"] == *answer {
                passed += 1;
            } else {
                failed.push(format!("{}: {step} answered {answer}", vector["name"]));
            }
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(passed >= 40, "only {passed} steps ran");
}
