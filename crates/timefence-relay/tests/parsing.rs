//! Property test of the relay's request parsing, over HTTP to a real relay: any body, any
//! lease id. A valid claim gets a lease; anything else gets a typed 4xx and changes nothing.

mod common;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn valid_name(v: &Value, max: usize) -> bool {
    v.as_str()
        .is_some_and(|s| !s.trim().is_empty() && s.len() <= max && !s.chars().any(char::is_control))
}

fn is_valid_claim(body: &[u8]) -> bool {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    map.len() == 2
        && map.get("holder").is_some_and(|h| valid_name(h, 200))
        && map.get("nonce").is_some_and(|n| valid_name(n, 100))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,12}",
        "\\PC{0,30}",
        ".{0,5}",
        Just(" ".into()),
        Just("x".repeat(201)),
        Just("\u{0007}bell".into()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        Just(Value::Null),
        Just(json!([1, 2])),
        Just(json!({"a": 1})),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Objects with the right, wrong or extra keys.
        proptest::collection::btree_map(
            prop_oneof![
                Just("holder".to_string()),
                Just("nonce".to_string()),
                Just("seq".to_string()),
                "[a-z]{1,6}"
            ],
            value(),
            0..4,
        )
        .prop_map(|m| serde_json::to_vec(&m).unwrap()),
        // Bytes that are rarely JSON.
        proptest::collection::vec(any::<u8>(), 0..200),
        // Valid claims.
        (text(), text())
            .prop_map(|(h, n)| serde_json::to_vec(&json!({"holder": h, "nonce": n})).unwrap()),
    ]
}

#[test]
fn any_body_gets_a_lease_only_when_valid_and_a_typed_error_otherwise() {
    let file = license_file(
        1,
        1,
        terms(
            "2027-01-01",
            "2027-12-31",
            "00:00",
            "24:00",
            "UTC",
            100_000,
            None,
        ),
        None,
    );
    let setup = Setup::new(&[("p.lic", file)], ms("2027-03-01T00:00:00Z"));
    let relay = setup.start(&[]);
    let url = format!("{}/v1/licenses/{}/leases", relay.base, reference(1));
    let events = || -> i64 {
        open_db(&setup.path("relay.sqlite"))
            .query_row("SELECT COUNT(*) FROM relay_events", [], |r| r.get(0))
            .unwrap()
    };
    let post = |path: &str, method: &str, bytes: &[u8]| -> (u16, Value) {
        let result = relay
            .agent
            .request(method, path)
            .set("Content-Type", "application/json")
            .send_bytes(bytes);
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            // The relay may answer a body it refuses before it has read all of it and close
            // the connection; the client then sees a transport error. That is a refusal too
            // (status 0 here), and below it must have changed nothing.
            Err(ureq::Error::Transport(e)) => return (0, json!({ "transport": e.to_string() })),
        };
        let status = response.status();
        (
            status,
            serde_json::from_str(&response.into_string().unwrap()).expect("every answer is JSON"),
        )
    };
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(bytes in body(), lease in "\\PC{0,40}", seq in any::<u64>())| {
        let before = events();
        let (status, answer) = post(&url, "POST", &bytes);
        if is_valid_claim(&bytes) {
            prop_assert_eq!(status, 201, "{}", answer);
            prop_assert_eq!(events(), before + 1);
        } else {
            prop_assert!(status == 400 || status == 413 || status == 0, "{} {}", status, answer);
            if status != 0 {
                prop_assert_eq!(answer["error"]["type"].as_str(), Some("BadRequest"));
            }
            prop_assert_eq!(events(), before, "a bad request changed the history");
        }
        // Renewing or releasing a lease id nobody was given.
        let id: String = lease.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
        if !id.is_empty() {
            let (status, answer) = post(&format!("{}/v1/leases/{id}", relay.base), "PUT", &serde_json::to_vec(&json!({"seq": seq})).unwrap());
            prop_assert!(status == 404 || status == 400 || status == 0, "{} {}", status, answer);
            prop_assert_eq!(events(), before + u64::from(is_valid_claim(&bytes)) as i64);
        }
    });
}
