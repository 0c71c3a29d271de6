//! No lost edits on a team catalogue: 8 processes, each logged in as its own member, edit the
//! same license and the same customer at once through the library (`update_license_from`,
//! `update_customer_from`), and one of them is killed part way. The history is then checked
//! against what the database recorded (its audit trigger writes every row version with the
//! member's login): every accepted edit is there, made by its member, from the version it
//! said; no two accepted edits started from the same version (that would be one overwriting
//! the other); and every refused edit was refused because another member's accepted edit
//! had started from that same version first.
//!
//! Another of them is stopped (SIGSTOP) while it holds one of the two rows in a transaction,
//! as a member's app that hangs mid-save: the others are refused as busy only for the
//! server's lock wait, the server ends the hung session after its idle limit, the others go
//! on saving that row, and once resumed the stopped process is told its save did not go
//! through (and none of what it had open is in the history).
//!
//! The run is counted in edits, not seconds: `TIMEFENCE_EDITS_PER_PROCESS` (60 in the test
//! command; `scripts/soak-team-edits` runs longer).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use timefence_catalogue::{Catalogue, CatalogueError, NewCustomer};
use timefence_pgtest::Cluster;

const WORKER: &str = "TIMEFENCE_EDIT_WORKER";
const PROCESSES: usize = 8;
/// The process killed part way, and after how many of its edits.
const KILLED: usize = 3;
const KILLED_AFTER: usize = 10;
/// The process stopped mid-save, and after how many of its edits.
const STOPPED: usize = 5;
const STOPPED_AFTER: usize = 6;
/// How many edits of the held row the others must save while it is stopped.
const SAVED_PAST_THE_HANG: usize = 3;

/// One edit's outcome as a worker reported it.
#[derive(Debug, Clone)]
struct Outcome {
    worker: usize,
    table: String,
    /// accepted, refused, busy (a lock held too long), away (the server ended the session)
    /// or uncertain (the connection went during COMMIT).
    verdict: String,
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
            let current = again_if_away(|| catalogue.license(license));
            let name = format!("L w{k} e{i}");
            let spec = current.terms.to_spec();
            let result = catalogue
                .update_license_from(license, current.edits, &name, &spec)
                .map(|(_, count)| count);
            ("licenses", current.edits, name, result)
        } else {
            let current = again_if_away(|| catalogue.customer(customer));
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
            Err(CatalogueError::Busy(_)) => "busy",
            Err(CatalogueError::ServerAway(_)) => "away",
            Err(CatalogueError::SaveUncertain(_)) => "uncertain",
            Err(other) => panic!("worker {k}: {other}"),
        };
        // Marked, since the test harness may print its own words ahead on the same line.
        writeln!(out, "@@{table}\t{verdict}\t{started_from}\t{name}").unwrap();
        out.flush().unwrap();
    }
}

/// A read, taken again if the server had ended this process's session (it was stopped past
/// the server's idle limit): the catalogue reconnects by itself a few seconds on (tried 80
/// times, a quarter of a second apart, or the worker fails).
fn again_if_away<T>(mut read: impl FnMut() -> Result<T, CatalogueError>) -> T {
    for _ in 0..80 {
        match read() {
            Err(CatalogueError::ServerAway(_)) => {
                std::thread::sleep(std::time::Duration::from_millis(250))
            }
            other => return other.unwrap(),
        }
    }
    panic!("the catalogue never connected again");
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
    // Edits the others saved, by table, counted as they are reported.
    let saved_by_others: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    // The row the stopped worker held, once the others saved it meanwhile, or why not.
    let stopped_proof: Mutex<Option<Result<String, String>>> = Mutex::new(None);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let readers: Vec<_> = children
            .iter_mut()
            .enumerate()
            .map(|(k, child)| {
                let stdout = child.stdout.take().unwrap();
                let pid = child.id();
                let (cluster, saved_by_others, stopped_proof) =
                    (&cluster, &saved_by_others, &stopped_proof);
                scope.spawn(move || {
                    let mut outcomes = Vec::new();
                    for line in BufReader::new(stdout).lines() {
                        let line = line.unwrap();
                        let Some(at) = line.find("@@") else {
                            continue; // the test harness's own lines
                        };
                        let fields: Vec<&str> = line[at + 2..].split('\t').collect();
                        assert_eq!(fields.len(), 4, "{line}");
                        let outcome = Outcome {
                            worker: k,
                            table: fields[0].to_string(),
                            verdict: fields[1].to_string(),
                            started_from: fields[2].parse().unwrap(),
                            name: fields[3].to_string(),
                        };
                        if k != STOPPED && outcome.verdict == "accepted" {
                            *saved_by_others
                                .lock()
                                .unwrap()
                                .entry(outcome.table.clone())
                                .or_default() += 1;
                        }
                        outcomes.push(outcome);
                        if k == KILLED && outcomes.len() == KILLED_AFTER {
                            // Killed mid-run: whatever it had open is rolled back by the server.
                            let _ = Command::new("kill")
                                .args(["-KILL", &pid.to_string()])
                                .status();
                        }
                        if k == STOPPED && outcomes.len() == STOPPED_AFTER {
                            let held = stop_mid_save(cluster, pid);
                            let at_stop = saved_by_others.lock().unwrap().get(&held).copied();
                            // The others go on saving the very row it holds (a wait that
                            // runs out fails the test, once the worker is let go so that
                            // every process ends).
                            let deadline = Instant::now() + Duration::from_secs(120);
                            let verdict = loop {
                                let now = saved_by_others.lock().unwrap().get(&held).copied();
                                if now.unwrap_or(0) >= at_stop.unwrap_or(0) + SAVED_PAST_THE_HANG {
                                    break Ok(held);
                                }
                                if Instant::now() >= deadline {
                                    break Err(format!("while worker {STOPPED} was stopped holding {held}, the others saved {now:?} of it (from {at_stop:?})"));
                                }
                                std::thread::sleep(Duration::from_millis(20));
                            };
                            *stopped_proof.lock().unwrap() = Some(verdict);
                            signal(pid, "CONT");
                        }
                    }
                    outcomes
                })
            })
            .collect();
        readers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect()
    });
    let held = stopped_proof
        .into_inner()
        .unwrap()
        .expect("the stopped worker was stopped mid-save")
        .unwrap_or_else(|stall| panic!("{stall}"));
    // Resumed, the stopped process learnt that the save it had open did not go through.
    let told: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.worker == STOPPED && ["away", "uncertain"].contains(&o.verdict.as_str()))
        .collect();
    assert_eq!(told.len(), 1, "worker {STOPPED}: {told:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| o.verdict == "busy" && o.table == held),
        "nobody was kept waiting by the row worker {STOPPED} held"
    );
    println!(
        "worker {STOPPED} stopped holding {held}: {} edits refused as busy meanwhile, then told {:?}",
        outcomes.iter().filter(|o| o.verdict == "busy").count(),
        told[0].verdict
    );
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

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Stops worker `pid` at a moment when it holds a row in an open transaction (its session
/// idle in a transaction that has written: stopped, it stays so); returns that row's table.
/// Stopped elsewhere, it is let go and stopped again a moment later.
fn stop_mid_save(cluster: &Cluster, pid: u32) -> String {
    let login = format!("editor{STOPPED}");
    for _ in 0..5000 {
        signal(pid, "STOP");
        let held = cluster.query_on(
            "team",
            &format!(
                "SELECT c.relname FROM pg_stat_activity a
                 JOIN pg_locks l ON l.pid = a.pid AND l.mode = 'RowExclusiveLock'
                 JOIN pg_class c ON c.oid = l.relation
                 WHERE a.usename = '{login}' AND a.state = 'idle in transaction'
                   AND a.backend_xid IS NOT NULL AND c.relname IN ('licenses', 'customers')"
            ),
        );
        // Asked twice: a COMMIT already on its way when the worker stopped is run by the
        // server meanwhile, and the second answer then no longer shows the open transaction.
        if let Some(row) = held.first() {
            let open_transaction = || {
                cluster.query_on(
                    "team",
                    &format!(
                        "SELECT a.backend_xid FROM pg_stat_activity a
                         WHERE a.usename = '{login}' AND a.state = 'idle in transaction'
                           AND a.backend_xid IS NOT NULL"
                    ),
                )
            };
            let again = open_transaction();
            std::thread::sleep(Duration::from_millis(100));
            let settled = open_transaction();
            if !again.is_empty() && again == settled {
                return row[0].clone();
            }
        }
        signal(pid, "CONT");
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("worker {STOPPED} was never caught holding a row");
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
    let accepted: Vec<&&Outcome> = mine.iter().filter(|o| o.verdict == "accepted").collect();
    let refused: Vec<&&Outcome> = mine.iter().filter(|o| o.verdict == "refused").collect();
    // Refused as busy, or ended with its session: never in the history.
    for edit in mine
        .iter()
        .filter(|o| !["accepted", "refused"].contains(&o.verdict.as_str()))
    {
        assert!(
            !recorded.iter().any(|(_, name, _)| name == &edit.name),
            "{table}: {edit:?} was not saved, but its version is in the history"
        );
        assert!(
            edit.verdict == "busy" || edit.worker == STOPPED,
            "{table}: only the stopped worker's session was ended: {edit:?}"
        );
    }
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
