//! Crash safety: a writer killed with SIGKILL at random moments never loses a write it reported
//! committed, and never leaves a damaged file.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timefence_catalogue::{Catalogue, FirstRun, NewCustomer};

const WRITER_ENV: &str = "TIMEFENCE_CRASH_WRITER";
const TEST_NAME: &str = "committed_writes_survive_sigkill_at_random_moments";
const KILLS: u32 = 200;

/// The child's part: commit customers one by one, saying so after each commit, until killed.
fn write_until_killed(path: &str) -> ! {
    let mut catalogue = Catalogue::open(std::path::Path::new(path), FirstRun::Empty)
        .unwrap()
        .catalogue;
    let pid = std::process::id();
    for i in 0.. {
        let name = format!("writer {pid} customer {i}");
        catalogue
            .add_customer(&NewCustomer {
                name: name.clone(),
                ..Default::default()
            })
            .unwrap();
        // Said only after the commit returned: every line printed must survive the kill.
        println!("committed {name}");
    }
    unreachable!()
}

fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn committed_writes_survive_sigkill_at_random_moments() {
    if let Ok(path) = std::env::var(WRITER_ENV) {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    drop(Catalogue::open(&path, FirstRun::SeedDemo).unwrap());
    let mut seed = u64::from(std::process::id()).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let (mut kills, mut committed_total) = (0u32, 0usize);
    let started = Instant::now();
    while kills < KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                TEST_NAME,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + next_random(&mut seed) % 60));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        kills += 1;
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let committed: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("committed "))
            .collect();
        committed_total += committed.len();

        let opened = Catalogue::open(&path, FirstRun::SeedDemo).unwrap();
        opened.catalogue.integrity_check().unwrap();
        for name in committed {
            assert!(
                opened.catalogue.has_customer_named(name).unwrap(),
                "kill {kills}: lost \"{name}\""
            );
        }
    }
    eprintln!(
        "{kills} SIGKILLs, {committed_total} committed writes checked, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        committed_total > 0,
        "the writer never got to commit; the kills proved nothing"
    );
}
