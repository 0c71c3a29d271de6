//! A team catalogue's server that hangs rather than stops, and a member's machine cut off the
//! network without a word: neither makes a catalogue call (or the live listener) wait longer
//! than its stated wait, each is reported as the server being away with nothing half saved,
//! and the catalogue takes the connection up again by itself once the server answers.
//!
//! The hangs are real: the server's processes are stopped with SIGSTOP (the kernel still
//! accepts and acknowledges, so nothing fails by itself), and the member's process runs in a
//! network namespace whose cable is pulled (packets dropped, no reset).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use timefence_catalogue::{Catalogue, CatalogueError, NewCustomer};
use timefence_pgtest::netns::Namespace;
use timefence_pgtest::Cluster;
use timefence_team::{add_member, init, Changes, Role};

const WORKER: &str = "TIMEFENCE_CUT_WORKER";

fn team(cluster: &Cluster) -> (String, i64) {
    cluster.query("CREATE DATABASE team");
    let url = cluster.url_as("relay", "team");
    init(&url).unwrap();
    add_member(&url, "eda", Role::Editor, "a long enough password").unwrap();
    let mut owner = Catalogue::connect(&url).unwrap();
    let customer = owner
        .add_customer(&NewCustomer {
            name: "Night Shift BPO".into(),
            default_zone: "UTC".into(),
            ..NewCustomer::default()
        })
        .unwrap();
    (url, customer)
}

fn signal(pids: &[String], signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids)
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pids:?}");
}

/// The names a customer's row has had, in the order the database recorded them (a save
/// writes two lines, its count and its fields).
fn recorded_names(cluster: &Cluster, customer: i64) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .query_on(
            "team",
            &format!(
                "SELECT new->>'name' FROM team_changes
                 WHERE table_name = 'customers' AND row_key = '{customer}' ORDER BY id"
            ),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    names.dedup();
    names
}

fn sessions_of(cluster: &Cluster, user: &str) -> Vec<String> {
    cluster
        .query(&format!(
            "SELECT pid FROM pg_stat_activity WHERE usename = '{user}'"
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// `call` on the catalogue, answered within 90 s or the test fails (rather than hang with a
/// catalogue that waits for ever).
fn within<T: Send + 'static>(
    mut catalogue: Catalogue,
    call: impl FnOnce(&mut Catalogue) -> T + Send + 'static,
) -> (Catalogue, T) {
    let (sender, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let result = call(&mut catalogue);
        let _ = sender.send((catalogue, result));
    });
    answer
        .recv_timeout(Duration::from_secs(90))
        .expect("the catalogue answered within 90 s")
}

/// Saves the customer's name once the catalogue connects again (each try meanwhile is told
/// the server is away; 60 tries, half a second apart, or the test fails).
fn saved_once_back(eda: &mut Catalogue, customer: i64, from: u32, name: &str) -> u32 {
    for _ in 0..60 {
        match eda.update_customer_from(customer, from, name, "UTC") {
            Ok(count) => return count,
            Err(CatalogueError::ServerAway(_)) => std::thread::sleep(Duration::from_millis(500)),
            Err(other) => panic!("{name}: {other}"),
        }
    }
    panic!("{name}: the catalogue never connected again");
}

#[test]
fn a_hung_server_is_reported_away_and_the_catalogue_reconnects_by_itself() {
    let cluster = Cluster::start();
    let (_, customer) = team(&cluster);
    let eda = Catalogue::connect(&cluster.url_as("eda", "team")).unwrap();
    let before = eda.customer(customer).unwrap();

    // Eda's own session hangs (its backend stopped): the save is told, within the wait, that
    // the server is away.
    let hung = sessions_of(&cluster, "eda");
    assert_eq!(hung.len(), 1, "{hung:?}");
    signal(&hung, "STOP");
    let (mut eda, result) = within(eda, move |eda| {
        eda.update_customer_from(customer, before.edits, "While hung", "UTC")
    });
    assert!(
        matches!(result, Err(CatalogueError::ServerAway(_))),
        "{result:?}"
    );
    // The next call takes a new session by itself, while the old one is still stopped.
    let saved = saved_once_back(&mut eda, customer, before.edits, "After the hang");
    assert_eq!(saved, before.edits + 1);
    signal(&hung, "CONT");

    // The whole server hangs (every process stopped): a call, and the reconnection it
    // tries, are each told so within the wait, and nothing is saved.
    let postmaster = std::fs::read_to_string(cluster.data().join("postmaster.pid")).unwrap();
    let postmaster = postmaster.lines().next().unwrap().trim().to_string();
    let mut all: Vec<String> = cluster
        .query("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    all.push(postmaster);
    signal(&all, "STOP");
    for name in ["Server hung", "Server still hung"] {
        let result;
        (eda, result) = within(eda, move |eda| {
            eda.update_customer_from(customer, saved, name, "UTC")
        });
        assert!(
            matches!(result, Err(CatalogueError::ServerAway(_))),
            "{name}: {result:?}"
        );
        // (The second tries to connect again, and is given up on after a shorter wait, so
        // that the window's queued commands do not each wait the whole of it.)
    }
    signal(&all, "CONT");
    let saved_again = saved_once_back(&mut eda, customer, saved, "Server back");
    assert_eq!(saved_again, saved + 1);

    // Every session the catalogue gave up on ends once it runs again and finds its client
    // gone; nothing any of them had open was saved.
    let deadline = Instant::now() + Duration::from_secs(60);
    while cluster
        .query(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {}",
            hung[0]
        ))
        .first()
        .is_some_and(|r| r[0] != "0")
    {
        assert!(Instant::now() < deadline, "the hung session never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        recorded_names(&cluster, customer),
        ["Night Shift BPO", "After the hang", "Server back"]
    );
}

/// The member's side, run inside the namespace: a catalogue and a live listener on the
/// server across the cable, driven by lines on stdin, each answered with one `@@` line.
fn worker(spec: &str) {
    let (url, customer) = spec.split_once('|').unwrap();
    let customer: i64 = customer.parse().unwrap();
    let mut catalogue = Catalogue::connect(url).unwrap();
    let mut changes = Changes::listen(url).unwrap();
    let say = |line: String| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "@@{line}").unwrap();
        out.flush().unwrap();
    };
    say("ready".into());
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.splitn(3, ' ').collect();
        match words[..] {
            // Waits for a change and then for a quiet moment (a save is heard as two
            // lines of the log, its count and its fields), or until the listener is lost.
            ["hear"] => {
                let mut who = None;
                loop {
                    match changes.next(Duration::from_millis(500)) {
                        Ok(Some(change)) => who = Some(change.who),
                        Ok(None) if who.is_some() => break say(format!("heard {}", who.unwrap())),
                        Ok(None) => {}
                        Err(_) => break say("lost".into()),
                    }
                }
            }
            ["save", edits, name] => {
                let verdict = match catalogue.update_customer_from(
                    customer,
                    edits.parse().unwrap(),
                    name,
                    "UTC",
                ) {
                    Ok(count) => format!("accepted {count}"),
                    Err(CatalogueError::ServerAway(e)) => format!("away {e}"),
                    Err(other) => format!("other {other}"),
                };
                say(verdict);
            }
            _ => panic!("worker: {line}"),
        }
    }
}

#[test]
fn a_member_cut_off_the_network_is_told_the_server_is_away_and_carries_on_once_back() {
    if let Ok(spec) = std::env::var(WORKER) {
        worker(&spec);
        return;
    }
    let namespace = Namespace::new();
    let cluster = Cluster::start_listening_also(&namespace.host_address);
    let (url, customer) = team(&cluster);
    let mut owner = Catalogue::connect(&url).unwrap();
    let inside = format!(
        "postgres://eda@{}:{}/team",
        namespace.host_address, cluster.port
    );
    let mut child = namespace
        .command(std::env::current_exe().unwrap().to_str().unwrap())
        .args([
            "--exact",
            "a_member_cut_off_the_network_is_told_the_server_is_away_and_carries_on_once_back",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WORKER, format!("{inside}|{customer}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // However the test ends, the member's process does not outlive it.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let (sender, said) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("@@") {
                let _ = sender.send(line[at + 2..].to_string());
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut child = Killed(child);
    let mut ask = |line: &str| -> String {
        if !line.is_empty() {
            writeln!(stdin, "{line}").unwrap();
            stdin.flush().unwrap();
        }
        // A wait that runs out fails: the member's process said nothing.
        said.recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the member said nothing after {line:?}"))
    };
    assert_eq!(ask(""), "ready");

    // Across the cable, the member hears the owner's change.
    owner
        .update_customer_from(customer, 0, "Seen live", "UTC")
        .unwrap();
    assert_eq!(ask("hear"), "heard relay");

    namespace.cut();
    // Nothing comes: the listener asks the server, gets no answer, and says it is lost.
    assert_eq!(ask("hear"), "lost");
    // A save is told the server is away.
    let cut_off = ask("save 1 Cut off");
    assert!(cut_off.starts_with("away"), "{cut_off}");

    namespace.join();
    // The cable takes a moment to carry again; each save until then is told the server is
    // away, and the first one after is saved on a new connection the catalogue made itself.
    let mut tries = 0;
    loop {
        let answer = ask("save 1 Back on the network");
        if answer == "accepted 2" {
            break;
        }
        tries += 1;
        println!("with the cable back, try {tries}: {answer}");
        assert!(answer.starts_with("away") && tries < 100, "{answer}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(stdin);
    assert!(child.0.wait().unwrap().success());

    assert_eq!(
        recorded_names(&cluster, customer),
        ["Night Shift BPO", "Seen live", "Back on the network"]
    );
}
