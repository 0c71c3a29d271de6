//! No lost edits on a team catalogue: 8 processes, each logged in as its own member, edit the
//! same license and the same customer at once through the library (`update_license_from`,
//! `update_customer_from`), and one of them is killed part way. The history is then checked
//! against what the database recorded (its audit trigger writes every row version with the
//! member's login): every accepted edit is there, made by its member, from the version it
//! said; no two accepted edits started from the same version (that would be one overwriting
//! the other); and every refused edit was refused because another member's accepted edit
//! had started from that same version first.
//!
//! The run is counted in edits, not seconds: `TIMEFENCE_EDITS_PER_PROCESS` (60 in the test
//! command; `scripts/soak-team-edits` runs longer).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use timefence_catalogue::{Catalogue, CatalogueError, NewCustomer};
use timefence_pgtest::Cluster;

const WORKER: &str = "TIMEFENCE_EDIT_WORKER";
const PROCESSES: usize = 8;
/// The process killed part way, and after how many of its edits.
const KILLED: usize = 3;
const KILLED_AFTER: usize = 10;

/// One edit's outcome as a worker reported it.
#[derive(Debug, Clone)]
struct Outcome {
    worker: usize,
    table: String,
    accepted: bool,
    started_from: u32,
    name: String,
}

fn edits_per_process() -> usize {
    std::env::var("TIMEFENCE_EDITS_PER_PROCESS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60)
}

/// A worker: edits the license and the customer in turn, each edit started from what it
/// read, and reports each outcome on a line of its own as soon as it is known.
fn worker(spec: &str) {
    let mut parts = spec.split('|');
    let (url, k, license, customer) = (
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
        parts.next().unwrap().parse::<i64>().unwrap(),
        parts.next().unwrap().parse::<i64>().unwrap(),
    );
    let mut catalogue = Catalogue::connect(url).unwrap();
    // Every process starts editing at once: each waits here, on a lock the test holds until
    // all eight are waiting (so they meet however slowly this machine starts processes).
    let mut gate = postgres::Client::connect(url, postgres::NoTls).unwrap();
    gate.batch_execute("SELECT pg_advisory_lock_shared(2701)")
        .unwrap();
    drop(gate);
    let mut out = std::io::stdout().lock();
    for i in 0..edits_per_process() {
        let (table, started_from, name, result) = if i % 2 == 0 {
            let current = catalogue.license(license).unwrap();
            let name = format!("L w{k} e{i}");
            let spec = current.terms.to_spec();
            let result = catalogue
                .update_license_from(license, current.edits, &name, &spec)
                .map(|(_, count)| count);
            ("licenses", current.edits, name, result)
        } else {
            let current = catalogue.customer(customer).unwrap();
            let name = format!("C w{k} e{i}");
            let result = catalogue.update_customer_from(customer, current.edits, &name, "UTC");
            ("customers", current.edits, name, result)
        };
        let verdict = match result {
            // The count an accepted edit reports is the one it made.
            Ok(count) if count == started_from + 1 => "accepted",
            Ok(count) => panic!("worker {k}: started from {started_from}, reported {count}"),
            Err(CatalogueError::EditConflict {
                started_from: s, ..
            }) if s == started_from => "refused",
            Err(other) => panic!("worker {k}: {other}"),
        };
        // Marked, since the test harness may print its own words ahead on the same line.
        writeln!(out, "@@{table}\t{verdict}\t{started_from}\t{name}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn eight_processes_editing_one_license_and_one_customer_lose_no_edit() {
    if let Ok(spec) = std::env::var(WORKER) {
        worker(&spec);
        return;
    }
    let cluster = Cluster::start();
    cluster.query("CREATE DATABASE team");
    let url = cluster.url_as("relay", "team");
    timefence_team::init(&url).unwrap();
    for k in 0..PROCESSES {
        timefence_team::add_member(
            &url,
            &format!("editor{k}"),
            timefence_team::Role::Editor,
            "a long enough password",
        )
        .unwrap();
    }
    let mut owner = Catalogue::connect(&url).unwrap();
    owner.add_product("Timefence Demo").unwrap();
    let customer = owner
        .add_customer(&NewCustomer {
            name: "Shared BPO".into(),
            default_zone: "UTC".into(),
            ..NewCustomer::default()
        })
        .unwrap();
    let spec = common::terms_2027(10, "08:00", "16:00");
    let license = owner.add_license(customer, "L shared", &spec).unwrap();

    // The gate every worker waits at (see `worker`).
    let mut gate = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    gate.batch_execute("SELECT pg_advisory_lock(2701)").unwrap();
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|k| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "eight_processes_editing_one_license_and_one_customer_lose_no_edit",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(
                    WORKER,
                    format!(
                        "{}|{k}|{license}|{customer}",
                        cluster.url_as(&format!("editor{k}"), "team")
                    ),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    // Open the gate once all eight wait at it (a wait that runs out fails the test).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let waiting: i64 = gate
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 2701 AND NOT granted",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting == PROCESSES as i64 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {waiting} of {PROCESSES} workers reached the gate"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    gate.batch_execute("SELECT pg_advisory_unlock(2701)")
        .unwrap();
    let readers: Vec<_> = children
        .iter_mut()
        .enumerate()
        .map(|(k, child)| {
            let stdout = child.stdout.take().unwrap();
            let pid = child.id();
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                for line in BufReader::new(stdout).lines() {
                    let line = line.unwrap();
                    let Some(at) = line.find("@@") else {
                        continue; // the test harness's own lines
                    };
                    let fields: Vec<&str> = line[at + 2..].split('\t').collect();
                    assert_eq!(fields.len(), 4, "{line}");
                    outcomes.push(Outcome {
                        worker: k,
                        table: fields[0].to_string(),
                        accepted: fields[1] == "accepted",
                        started_from: fields[2].parse().unwrap(),
                        name: fields[3].to_string(),
                    });
                    if k == KILLED && outcomes.len() == KILLED_AFTER {
                        // Killed mid-run: whatever it had open is rolled back by the server.
                        let _ = Command::new("kill")
                            .args(["-KILL", &pid.to_string()])
                            .status();
                    }
                }
                outcomes
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = readers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    for (k, child) in children.iter_mut().enumerate() {
        let status = child.wait().unwrap();
        if k != KILLED {
            assert!(status.success(), "worker {k}: {status}");
        }
    }

    for (table, key) in [("licenses", license), ("customers", customer)] {
        check_history(&cluster, table, key, &outcomes);
    }
}

/// Checks one row's recorded history against the workers' outcomes.
fn check_history(cluster: &Cluster, table: &str, key: i64, outcomes: &[Outcome]) {
    // Every version the database recorded: (edits, name, who), in commit order per version.
    let recorded: Vec<(u32, String, String)> = cluster
        .query_on(
            "team",
            &format!(
                "SELECT new->>'edits', new->>'name', who FROM team_changes
                 WHERE table_name = '{table}' AND row_key = '{key}' AND operation = 'UPDATE'
                 ORDER BY id"
            ),
        )
        .into_iter()
        .map(|r| (r[0].parse().unwrap(), r[1].clone(), r[2].clone()))
        .collect();
    // The version each accepted edit made is the last one recorded with its count.
    let mut versions: BTreeMap<u32, (String, String)> = BTreeMap::new();
    // (Count 0 is the row as it was made, before any edit.)
    for (edits, name, who) in recorded.iter().filter(|(edits, ..)| *edits > 0) {
        versions.insert(*edits, (name.clone(), who.clone()));
    }
    let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.table == table).collect();
    let accepted: Vec<&&Outcome> = mine.iter().filter(|o| o.accepted).collect();
    let refused: Vec<&&Outcome> = mine.iter().filter(|o| !o.accepted).collect();
    let mut starts = BTreeSet::new();
    for edit in &accepted {
        assert!(
            starts.insert(edit.started_from),
            "{table}: two accepted edits started from version {}: one overwrote the other",
            edit.started_from
        );
        let made = versions.get(&(edit.started_from + 1));
        assert_eq!(
            made,
            Some(&(edit.name.clone(), format!("editor{}", edit.worker))),
            "{table}: the accepted edit {edit:?} is not the version it made"
        );
    }
    // Every version is some member's accepted edit; only the killed process may have made
    // one it could not report.
    for (edits, (name, who)) in &versions {
        if !starts.contains(&(edits - 1)) {
            assert_eq!(
                who,
                &format!("editor{KILLED}"),
                "{table}: version {edits} ({name}) by {who} was never reported accepted"
            );
        }
    }
    for edit in &refused {
        let winner = versions.get(&(edit.started_from + 1));
        assert!(
            winner.is_some_and(|(_, who)| who != &format!("editor{}", edit.worker)),
            "{table}: {edit:?} was refused, but no other member saved from its version"
        );
    }
    assert!(
        !accepted.is_empty() && !refused.is_empty(),
        "{table}: {} accepted, {} refused: the processes never met",
        accepted.len(),
        refused.len()
    );
    println!(
        "{table}: {} edits accepted, {} refused, {} versions recorded",
        accepted.len(),
        refused.len(),
        versions.len()
    );
}
