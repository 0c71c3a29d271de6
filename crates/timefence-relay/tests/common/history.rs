//! Many concurrent clients against real relays, and the invariants checked on the history the
//! relays recorded (and on what the clients were told).

use super::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use timefence_terms::Terms;

/// One row of `relay_events`.
#[derive(Debug, Clone)]
pub struct Ev {
    pub id: i64,
    pub at: i64,
    pub license: String,
    pub lease: Option<String>,
    pub holder: Option<String>,
    pub kind: String,
    pub reason: Option<String>,
    pub from: i64,
    pub to: i64,
    pub occurrence: Option<String>,
}

const EVENT_COLUMNS: &str =
    "id, at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence";

/// The history from a SQLite relay file.
pub fn sqlite_events(path: &Path) -> Vec<Ev> {
    let db = open_db(path);
    let mut statement = db
        .prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM relay_events ORDER BY id"
        ))
        .unwrap();
    statement
        .query_map([], |r| {
            Ok(Ev {
                id: r.get(0)?,
                at: r.get(1)?,
                license: r.get(2)?,
                lease: r.get(3)?,
                holder: r.get(4)?,
                kind: r.get(5)?,
                reason: r.get(6)?,
                from: r.get(7)?,
                to: r.get(8)?,
                occurrence: r.get(9)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Refusals counted in a SQLite relay file for `reason`.
pub fn sqlite_refusals(path: &Path, reason: &str) -> i64 {
    open_db(path)
        .query_row(
            // A renewal refused for the same reason is recorded as "<reason>AtRenewal".
            "SELECT COALESCE(SUM(count), 0) FROM relay_refusals WHERE reason IN (?1, ?1 || 'AtRenewal')",
            [reason],
            |r| r.get(0),
        )
        .unwrap()
}

/// Per-occurrence totals as a store keeps them, to compare with the history's sums.
pub fn sqlite_totals(path: &Path) -> BTreeMap<(String, String), i64> {
    let db = open_db(path);
    let mut statement = db
        .prepare("SELECT license, occurrence, charged_ms FROM relay_occurrences")
        .unwrap();
    statement
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A license under test: its reference, validated terms and not-after.
pub struct Subject {
    pub reference: String,
    pub terms: Terms,
    pub not_after: Option<i64>,
}

impl Subject {
    pub fn new(id: i64, spec: TermsSpec, not_after: Option<&str>) -> Subject {
        Subject {
            reference: reference(id),
            terms: spec.validate().unwrap(),
            not_after: not_after.map(ms),
        }
    }
}

/// What the checks counted.
#[derive(Debug, Default)]
pub struct Checked {
    pub events: usize,
    pub leases: usize,
    pub peak: BTreeMap<String, u32>,
    pub occurrences: usize,
    pub rollback_refusals: usize,
}

/// Checks every invariant of the guide's "What a lease means" on a recorded history.
/// `ordered_globally`: the ids are one commit order for all licenses (SQLite); otherwise
/// only per license (PostgreSQL's sequence is drawn under the license's row lock).
pub fn check(
    events: &[Ev],
    subjects: &[Subject],
    tolerance: i64,
    ordered_globally: bool,
) -> Checked {
    let mut checked = Checked {
        events: events.len(),
        ..Checked::default()
    };
    let subject = |r: &str| {
        subjects
            .iter()
            .find(|s| s.reference == r)
            .unwrap_or_else(|| panic!("an event for an unknown license {r}"))
    };

    // Clock: no grant or renewal decided at a time more than the tolerance before one already
    // decided.
    let mut high: HashMap<String, i64> = HashMap::new();
    for e in events {
        let key = if ordered_globally {
            String::new()
        } else {
            e.license.clone()
        };
        if e.kind == "expired" {
            continue; // dated at the lease's end, not at the decision
        }
        let h = high.entry(key).or_insert(i64::MIN);
        if e.kind == "granted" || e.kind == "renewed" {
            assert!(
                *h == i64::MIN || e.at >= *h - tolerance,
                "event {} ({}) decided at {} after the clock had reached {}",
                e.id,
                e.kind,
                e.at,
                h
            );
        }
        if e.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("ClockRollback"))
        {
            checked.rollback_refusals += 1;
        } else {
            *h = (*h).max(e.at);
        }
    }

    // Per lease: contiguous charges, an end, and never past the close or not-after.
    struct Life {
        license: String,
        holder: String,
        occurrence: String,
        start: i64,
        charged_to: i64,
        end: Option<i64>,
    }
    let mut lives: BTreeMap<String, Life> = BTreeMap::new();
    let mut charged: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut holder_charged: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for e in events {
        let Some(lease) = &e.lease else { continue };
        match e.kind.as_str() {
            "granted" => {
                assert!(
                    e.from == e.at && e.to > e.from,
                    "grant {} charges [{}, {})",
                    e.id,
                    e.from,
                    e.to
                );
                let previous = lives.insert(
                    lease.clone(),
                    Life {
                        license: e.license.clone(),
                        holder: e.holder.clone().unwrap(),
                        occurrence: e.occurrence.clone().unwrap(),
                        start: e.at,
                        charged_to: e.to,
                        end: None,
                    },
                );
                assert!(previous.is_none(), "lease {lease} granted twice");
            }
            "renewed" => {
                let life = lives
                    .get_mut(lease)
                    .unwrap_or_else(|| panic!("renewal of unknown {lease}"));
                assert!(life.end.is_none(), "lease {lease} renewed after it ended");
                assert_eq!(
                    e.from, life.charged_to,
                    "renewal {} is not contiguous",
                    e.id
                );
                assert!(e.to >= e.from);
                assert!(
                    e.at < life.charged_to,
                    "renewal {} after the lease ended",
                    e.id
                );
                life.charged_to = e.to;
            }
            "released" => {
                let life = lives
                    .get_mut(lease)
                    .unwrap_or_else(|| panic!("release of unknown {lease}"));
                assert!(life.end.is_none(), "lease {lease} released twice");
                assert_eq!(e.from, life.charged_to);
                assert!(e.to <= e.from && e.to >= life.start.max(e.at.min(e.from)));
                life.charged_to = e.to;
                life.end = Some(e.at.min(e.from));
            }
            "expired" => {
                let life = lives
                    .get_mut(lease)
                    .unwrap_or_else(|| panic!("expiry of unknown {lease}"));
                assert!(life.end.is_none(), "lease {lease} ended twice");
                assert_eq!(
                    e.at, life.charged_to,
                    "lease {lease} expired at another time than its end"
                );
                life.end = Some(e.at);
            }
            "refused" => {}
            other => panic!("unknown event kind {other}"),
        }
        if e.kind != "refused" {
            if let Some(occurrence) = &e.occurrence {
                let delta = e.to - e.from;
                *charged
                    .entry((e.license.clone(), occurrence.clone()))
                    .or_default() += delta;
                *holder_charged
                    .entry((
                        e.license.clone(),
                        occurrence.clone(),
                        e.holder.clone().unwrap(),
                    ))
                    .or_default() += delta;
            }
        }
    }
    checked.leases = lives.len();

    let mut by_license: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
    for (id, life) in &lives {
        let s = subject(&life.license);
        let end = life.end.unwrap_or(life.charged_to);
        let date = life.occurrence.parse().unwrap();
        let occurrence = s
            .terms
            .occurrence_on(date)
            .unwrap_or_else(|| panic!("lease {id} in an occurrence that does not exist"));
        assert!(
            occurrence.contains(timefence_relay::logic::instant(life.start)),
            "lease {id} granted outside its occurrence"
        );
        assert!(
            life.charged_to <= occurrence.closes.timestamp_millis(),
            "lease {id} runs past its window's close"
        );
        if let Some(not_after) = s.not_after {
            assert!(
                life.charged_to <= not_after,
                "lease {id} runs past not-after"
            );
        }
        by_license
            .entry(&life.license)
            .or_default()
            .push((life.start, end));
    }
    for (license, intervals) in by_license {
        let seats = subject(license).terms.seats;
        let mut points: Vec<(i64, i32)> = intervals
            .iter()
            .filter(|(a, b)| b > a)
            .flat_map(|(a, b)| [(*a, 1), (*b, -1)])
            .collect();
        // An end and a start at the same instant: the end first (half-open intervals).
        points.sort();
        let (mut now, mut peak) = (0i32, 0i32);
        for (at, step) in points {
            now += step;
            assert!(
                now <= seats as i32,
                "{license}: {now} leases active at {at}, {seats} seats"
            );
            peak = peak.max(now);
        }
        checked.peak.insert(license.to_string(), peak as u32);
    }
    for ((license, occurrence), total) in &charged {
        let s = subject(license);
        assert!(*total >= 0, "{license} {occurrence}: negative charge");
        if let Some(limit) = s.terms.daily_limit {
            let budget = limit.num_milliseconds() * i64::from(s.terms.seats);
            assert!(
                *total <= budget,
                "{license} {occurrence}: {total} ms charged, budget {budget}"
            );
        }
    }
    for ((license, occurrence, holder), total) in &holder_charged {
        if let Some(limit) = subject(license).terms.daily_limit {
            assert!(
                *total <= limit.num_milliseconds(),
                "{license} {occurrence} {holder}: {total} ms, limit {limit}"
            );
        }
    }
    checked.occurrences = charged.len();
    checked
}

/// Compares the history's per-occurrence sums with the store's totals: nothing counted twice,
/// nothing lost.
pub fn assert_totals_match(events: &[Ev], totals: &BTreeMap<(String, String), i64>) {
    let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind != "refused") {
        if let Some(o) = &e.occurrence {
            *sums.entry((e.license.clone(), o.clone())).or_default() += e.to - e.from;
        }
    }
    for (key, total) in totals {
        assert_eq!(sums.get(key).copied().unwrap_or(0), *total, "{key:?}");
    }
}

/// What the clients saw.
#[derive(Default)]
pub struct ClientLog {
    /// Leases a client was told it holds (201), with the license.
    pub granted: Mutex<Vec<(String, String)>>,
    pub answers: AtomicU64,
    pub transient: AtomicU64,
    /// The first few transport failures, as the client saw them.
    pub transport_errors: Mutex<Vec<String>>,
    pub unavailable: AtomicU64,
    pub rollbacks: AtomicU64,
    pub unexpected: Mutex<Vec<String>>,
}

/// A tiny deterministic generator per client.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Runs `clients` threads, each doing `ops` requests against the relays in `bases` (a client
/// moves to the next relay when one does not answer), over the licenses in `references`;
/// every answer moves `clock`, if given.
pub fn run_clients(
    bases: Arc<Mutex<Vec<String>>>,
    references: &[String],
    clients: usize,
    ops: usize,
    stop: Arc<AtomicBool>,
    clock: Option<Arc<StepClock>>,
) -> Arc<ClientLog> {
    let log = Arc::new(ClientLog::default());
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let bases = bases.clone();
            let references = references.to_vec();
            let log = log.clone();
            let stop = stop.clone();
            let clock = clock.clone();
            std::thread::spawn(move || {
                let agent = agent();
                let mut rng = Rng::new(i as u64 + 1);
                let mut held: Option<(String, u64, i64)> = None; // lease, seq, expires_at
                let mut last_renewal: Option<(u64, serde_json::Value)> = None;
                let mut relay = i;
                for op in 0..ops {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let base = {
                        let b = bases.lock().unwrap();
                        b[relay % b.len()].clone()
                    };
                    let reply = match &held {
                        None => {
                            let license = &references[rng.below(references.len() as u64) as usize];
                            let holder = format!("h{}", (i + op) % 24);
                            let nonce = format!("{i}-{op}");
                            let url = format!("{base}/v1/licenses/{license}/leases");
                            let body = json!({ "holder": holder, "nonce": nonce });
                            let r = send(&agent, "POST", &url, Some(body.clone()));
                            if r.status == 201 {
                                let id = r.lease()["id"].as_str().unwrap().to_string();
                                log.granted.lock().unwrap().push((license.clone(), id.clone()));
                                // A retried claim gets the same lease.
                                if rng.below(8) == 0 {
                                    let again = send(&agent, "POST", &url, Some(body));
                                    // Heard like any answer: the relay counts its refusals.
                                    if again.error() == "ClockRollback" {
                                        log.rollbacks.fetch_add(1, Ordering::Relaxed);
                                    }
                                    // Unless the first lease ended before the retry was decided.
                                    if again.status == 201
                                        && again.lease()["id"] != r.lease()["id"]
                                        && again.lease()["granted_at_ms"].as_i64() < r.lease()["expires_at_ms"].as_i64()
                                    {
                                        log.unexpected.lock().unwrap().push(format!("claim retry gave another lease: first {} then {}", r.lease()["id"], again.lease()["id"]));
                                    }
                                }
                                held = Some((id, 0, r.lease()["expires_at_ms"].as_i64().unwrap()));
                                last_renewal = None;
                            }
                            r
                        }
                        Some((lease, seq, _)) => {
                            let lease = lease.clone();
                            let seq = *seq;
                            match rng.below(10) {
                                0..=5 => {
                                    if let (Some((s, answer)), 0) = (&last_renewal, rng.below(4)) {
                                        // Replay the last renewal: the same answer.
                                        let r = send(&agent, "PUT", &format!("{base}/v1/leases/{lease}"), Some(json!({ "seq": s })));
                                        if r.status == 200 && r.lease()["expires_at_ms"] != answer["expires_at_ms"] {
                                            log.unexpected.lock().unwrap().push(format!("a replayed renewal changed the lease: {r:?} vs {answer}"));
                                        }
                                        r
                                    } else {
                                        let r = send(&agent, "PUT", &format!("{base}/v1/leases/{lease}"), Some(json!({ "seq": seq + 1 })));
                                        if r.status == 200 {
                                            held = Some((lease, seq + 1, r.lease()["expires_at_ms"].as_i64().unwrap()));
                                            last_renewal = Some((seq + 1, r.lease().clone()));
                                        } else if r.status != 0 && r.status != 503 {
                                            held = None;
                                        }
                                        r
                                    }
                                }
                                6..=8 => {
                                    let r = send(&agent, "DELETE", &format!("{base}/v1/leases/{lease}"), None);
                                    if r.status != 0 && r.status != 503 {
                                        held = None;
                                    }
                                    r
                                }
                                _ => {
                                    // Walk away: the lease ends by itself.
                                    held = None;
                                    continue;
                                }
                            }
                        }
                    };
                    log.answers.fetch_add(1, Ordering::Relaxed);
                    if let Some(clock) = &clock {
                        clock.answered(reply.error() == "ClockRollback");
                    }
                    match (reply.status, reply.error()) {
                        (0, _) => {
                            log.transient.fetch_add(1, Ordering::Relaxed);
                            let mut seen = log.transport_errors.lock().unwrap();
                            if seen.len() < 5 {
                                seen.push(reply.body.to_string());
                            }
                            relay += 1;
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        (503, "ClockRollback") => {
                            log.rollbacks.fetch_add(1, Ordering::Relaxed);
                        }
                        (503, "Unavailable") => {
                            log.unavailable.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        (200 | 201 | 403 | 404 | 409, _) => {}
                        _ => log.unexpected.lock().unwrap().push(format!("{reply:?}")),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a client thread panicked");
    }
    log
}

/// The relays' clock, driven by the clients' answers rather than by wall time: every `every`
/// answers it moves forward by a random step below `max_step_ms`; at the 150th step it goes
/// back by `back_ms` until `hold` ClockRollback answers have been heard (the first answers
/// after the step back are those of requests decided before it; at most 5,000 answers), then
/// forward again from the top. `back_ms` must exceed the steps no decision may have seen yet:
/// with 64 requests in flight, up to 8 steps of 8 answers each. How fast the machine
/// is changes how long a run takes, never how much simulated time each request sees.
pub struct StepClock {
    setup: Arc<Setup>,
    every: u64,
    max_step_ms: u64,
    back_ms: i64,
    hold: u64,
    state: Mutex<ClockState>,
}

struct ClockState {
    answers: u64,
    ticks: u64,
    now: i64,
    rng: Rng,
    /// While set: the clock is back since this many answers.
    back_since: Option<u64>,
    /// ClockRollback answers heard while it is back.
    heard: u64,
}

impl StepClock {
    pub fn new(
        setup: Arc<Setup>,
        start: i64,
        every: u64,
        max_step_ms: u64,
        back_ms: i64,
        hold: u64,
    ) -> Arc<StepClock> {
        setup.set_clock(start);
        Arc::new(StepClock {
            setup,
            every,
            max_step_ms,
            back_ms,
            hold,
            state: Mutex::new(ClockState {
                answers: 0,
                ticks: 0,
                now: start,
                rng: Rng::new(4242),
                back_since: None,
                heard: 0,
            }),
        })
    }

    /// One answer arrived (a ClockRollback refusal, or not).
    pub fn answered(&self, rolled_back: bool) {
        let mut s = self.state.lock().unwrap();
        s.answers += 1;
        if let Some(since) = s.back_since {
            s.heard += u64::from(rolled_back);
            if s.heard < self.hold && s.answers < since + 5_000 {
                return;
            }
            s.back_since = None;
        }
        if !s.answers.is_multiple_of(self.every) {
            return;
        }
        s.ticks += 1;
        if s.ticks == 150 {
            let back = s.now - self.back_ms;
            self.setup.set_clock(back);
            s.back_since = Some(s.answers);
            return;
        }
        let step = s.rng.below(self.max_step_ms) as i64;
        s.now += step;
        self.setup.set_clock(s.now);
    }

    /// The answers counted so far.
    pub fn answers(&self) -> u64 {
        self.state.lock().unwrap().answers
    }

    /// The latest time the clock was moved forward to.
    pub fn now(&self) -> i64 {
        self.state.lock().unwrap().now
    }
}

/// The licenses the concurrency tests press on: 10 seats 00:00-08:00 UTC with 20 minutes a
/// day, 6 seats 22:00-06:00 Europe/Berlin (the spring DST night), and 4 seats all day with
/// 2 hours a day and a not-after; and a relay setup serving them from `storage` (the setup's
/// own SQLite file when `None`), its clock at `start`.
pub fn three_licenses(start: i64, storage: Option<String>) -> (Vec<Subject>, Arc<Setup>) {
    let specs = [
        (
            1,
            terms(
                "2027-01-01",
                "2027-12-31",
                "00:00",
                "08:00",
                "UTC",
                10,
                Some("20m"),
            ),
            None,
        ),
        (
            2,
            terms(
                "2027-01-01",
                "2027-12-31",
                "22:00",
                "06:00",
                "Europe/Berlin",
                6,
                None,
            ),
            None,
        ),
        (
            3,
            terms(
                "2027-01-01",
                "2027-12-31",
                "00:00",
                "24:00",
                "UTC",
                4,
                Some("2h"),
            ),
            Some("2027-03-28T01:30:00Z"),
        ),
    ];
    let files: Vec<(String, String)> = specs
        .iter()
        .map(|(id, t, na)| (format!("{id}.lic"), license_file(*id, 1, t.clone(), *na)))
        .collect();
    let named: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let mut setup = Setup::new(&named, start);
    if let Some(storage) = storage {
        setup.storage = storage;
    }
    let subjects = specs
        .iter()
        .map(|(id, t, na)| Subject::new(*id, t.clone(), *na))
        .collect();
    (subjects, Arc::new(setup))
}
