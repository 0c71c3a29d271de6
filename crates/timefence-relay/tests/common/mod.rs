//! A real relay process for the tests: its license folder, its keys, its clock file, and a
//! small HTTP client. Nothing is mocked: the binary cargo built, on a free port, over TCP.
#![allow(dead_code)]

use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
pub mod history;
pub use timefence_pgtest::netns;
pub mod pg;

use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use timefence_license::{public_key_pem, sign, LicensePayload};
use timefence_terms::TermsSpec;

/// The vendor's key in every test.
pub fn vendor() -> SigningKey {
    SigningKey::from_bytes(&[11; 32])
}

/// The relay's key in every test.
pub fn relay_key() -> SigningKey {
    SigningKey::from_bytes(&[22; 32])
}

/// Terms with everything given.
#[allow(clippy::too_many_arguments)]
pub fn terms(
    start: &str,
    end: &str,
    from: &str,
    to: &str,
    zone: &str,
    seats: u32,
    limit: Option<&str>,
) -> TermsSpec {
    TermsSpec {
        license_start_date: start.into(),
        license_end_date: end.into(),
        daily_start_time: from.into(),
        daily_end_time: to.into(),
        daily_time_consumption_limit: limit.map(str::to_string),
        time_zone: zone.into(),
        weekdays: None,
        seats: i64::from(seats),
        product: "Relay test".into(),
        features: Default::default(),
    }
}

/// A signed license file's text.
pub fn license_file(id: i64, serial: i64, terms: TermsSpec, not_after: Option<&str>) -> String {
    let payload = LicensePayload {
        license_id: id,
        uid: Some(uid(id)),
        revision: 1,
        customer: "Acme BPO".into(),
        customer_uid: None,
        name: format!("License {id}"),
        issued_at: "2027-01-01T00:00:00Z".into(),
        serial,
        not_after: not_after.map(str::to_string),
        terms,
    };
    sign(&payload, &vendor(), "test")
}

/// The 128-bit identity the test files give license `id` (never all zeros).
pub fn uid(id: i64) -> String {
    format!("{:032x}", 0x7f00_0000 + id)
}

/// The relay's name for license `id` signed by the test vendor.
pub fn reference(id: i64) -> String {
    format!(
        "{}-{}",
        timefence_license::key_id(&vendor().verifying_key()),
        uid(id)
    )
}

/// Milliseconds of an RFC 3339 instant.
pub fn ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis()
}

// Not every test file picks ports itself.
#[allow(unused_imports)]
pub use timefence_pgtest::free_port;

/// A relay's folder, keys and clock; start as many processes on it as a test needs.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub storage: String,
}

impl Setup {
    /// A folder with the given license files, the keys, and the clock at `now`.
    pub fn new(files: &[(&str, String)], now: i64) -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let licenses = dir.path().join("licenses");
        std::fs::create_dir(&licenses).unwrap();
        for (name, text) in files {
            std::fs::write(licenses.join(name), text).unwrap();
        }
        std::fs::write(
            dir.path().join("vendor.pub.pem"),
            public_key_pem(&vendor().verifying_key()),
        )
        .unwrap();
        let pem = relay_key().to_pkcs8_pem(Default::default()).unwrap();
        std::fs::write(dir.path().join("relay.key"), pem.as_bytes()).unwrap();
        let storage = format!("sqlite:{}", dir.path().join("relay.sqlite").display());
        let setup = Setup { dir, storage };
        setup.set_clock(now);
        setup
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Sets the relay's clock.
    pub fn set_clock(&self, now: i64) {
        // Written whole and renamed, so the relay never reads half a number.
        let tmp = self.path("clock.tmp");
        std::fs::write(&tmp, now.to_string()).unwrap();
        std::fs::rename(tmp, self.path("clock")).unwrap();
    }

    /// `timefence-relay serve` on this setup's licenses and keys, with `storage`, listening on
    /// `listen`; the caller adds the rest and runs it.
    pub fn serve_command(&self, storage: &str, listen: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_timefence-relay"));
        self.serve_args(&mut command, storage, listen);
        command
    }

    /// Starts a relay process on a free port and waits for `/healthz`.
    pub fn start(&self, extra: &[&str]) -> RelayProcess {
        self.start_on(0, extra)
    }

    /// Starts a relay process on `port`.
    pub fn start_on(&self, port: u16, extra: &[&str]) -> RelayProcess {
        self.spawn(port, extra, true)
    }

    /// Starts a relay process on `port` on the system clock (on PostgreSQL: the database's).
    pub fn start_on_system_clock(&self, port: u16, extra: &[&str]) -> RelayProcess {
        self.spawn(port, extra, false)
    }

    fn spawn(&self, port: u16, extra: &[&str], clock_file: bool) -> RelayProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_timefence-relay"));
        self.serve_args(&mut command, &self.storage, &format!("127.0.0.1:{port}"));
        if clock_file {
            command.arg("--clock-file").arg(self.path("clock"));
        }
        command.args(extra);
        self.launch(command, format!("http://127.0.0.1:{port}"))
    }

    /// Starts a relay process inside a network namespace, on the system clock, on `storage`
    /// (as the namespace reaches it).
    #[allow(dead_code)]
    pub fn start_in(
        &self,
        namespace: &netns::Namespace,
        storage: &str,
        port: u16,
        extra: &[&str],
    ) -> RelayProcess {
        let mut command = namespace.command(env!("CARGO_BIN_EXE_timefence-relay"));
        let listen = format!("{}:{port}", namespace.inside_address);
        self.serve_args(&mut command, storage, &listen);
        // Plain HTTP off loopback: the test's own veth pair, nobody else on it.
        command.arg("--insecure").args(extra);
        self.launch(command, format!("http://{listen}"))
    }

    fn serve_args(&self, command: &mut Command, storage: &str, listen: &str) {
        command
            .arg("serve")
            .arg("--licenses")
            .arg(self.path("licenses"))
            .arg("--trust")
            .arg(self.path("vendor.pub.pem"))
            .arg("--key")
            .arg(self.path("relay.key"))
            .arg("--storage")
            .arg(storage)
            .arg("--listen")
            .arg(listen);
    }

    fn launch(&self, mut command: Command, base: String) -> RelayProcess {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the relay starts");
        // Read all the time, so the relay never waits on a full pipe.
        let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let collected = said.clone();
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut process = RelayProcess {
            child,
            base,
            agent: agent(),
            said,
            reader: Some(reader),
        };
        if process.base.ends_with(":0") {
            process.base = process.bound_address();
        }
        process.wait_healthy();
        process
    }
}

/// An HTTP client with short timeouts.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .max_idle_connections_per_host(4)
        .build()
}

/// A running relay.
pub struct RelayProcess {
    pub child: Child,
    pub base: String,
    pub agent: ureq::Agent,
    /// Its standard error so far.
    said: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// An answer: the status and the JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The refusal's type, or "" for a success.
    pub fn error(&self) -> &str {
        self.body["error"]["type"].as_str().unwrap_or("")
    }
    pub fn lease(&self) -> &Value {
        &self.body["lease"]
    }
}

/// The secret of every lease a claim in this test process was answered with, by lease id:
/// [`send`] sends it with a renewal or release of that lease, as the claimer would.
static SECRETS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);

/// The secret a claim answered for `lease`, if any.
pub fn secret_of(lease: &str) -> Option<String> {
    SECRETS.lock().unwrap().get(lease).cloned()
}

/// Sends a request; transport failures come back as status 0. A renewal or release of a lease
/// this process claimed carries that lease's secret.
pub fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Reply {
    let secret = url
        .rsplit_once("/v1/leases/")
        .and_then(|(_, id)| secret_of(id));
    send_with(agent, method, url, body, secret.as_deref())
}

/// Sends a request with the given lease secret (or none).
pub fn send_with(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
    secret: Option<&str>,
) -> Reply {
    let mut request = agent.request(method, url);
    if let Some(secret) = secret {
        request = request.set("Lease-Secret", secret);
    }
    let result = match body {
        Some(b) => request.send_json(b),
        None => request.call(),
    };
    let answer = match result {
        Ok(response) => reply(response),
        Err(ureq::Error::Status(_, response)) => reply(response),
        Err(e) => Reply {
            status: 0,
            body: json!({ "transport": e.to_string() }),
        },
    };
    if let (Some(id), Some(secret)) = (
        answer.lease()["id"].as_str(),
        answer.lease()["secret"].as_str(),
    ) {
        SECRETS
            .lock()
            .unwrap()
            .insert(id.to_string(), secret.to_string());
    }
    answer
}

fn reply(response: ureq::Response) -> Reply {
    let status = response.status();
    let mut text = String::new();
    let _ = response
        .into_reader()
        .take(1 << 20)
        .read_to_string(&mut text);
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

impl RelayProcess {
    /// Where a relay started on port 0 listens: the system chose a free port as the relay
    /// bound it (no window between finding a port and taking it, for another test to take
    /// it first), and the relay says which in its "listening on" line.
    fn bound_address(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let said = self.said.lock().unwrap().clone();
            // The whole line: the pipe may have brought only part of it so far.
            if let Some((line, _)) = said
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_once('\n'))
            {
                if let Some(address) = line.split_whitespace().next() {
                    return address.to_string();
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let text = self.said_after_end();
                panic!("the relay ended ({status}) before listening: {text}");
            }
            assert!(
                Instant::now() < deadline,
                "the relay did not say where it listens within 30 s: {said}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = send(&self.agent, "GET", &format!("{}/healthz", self.base), None);
            if r.status == 200 {
                return;
            }
            // A relay that ended will never answer: say why at once.
            if let Ok(Some(status)) = self.child.try_wait() {
                let text = self.said_after_end();
                panic!("the relay ended ({status}) before answering /healthz: {text}");
            }
            assert!(
                Instant::now() < deadline,
                "the relay did not answer /healthz within 30 s: {r:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn claim(&self, license: &str, holder: &str, nonce: &str) -> Reply {
        send(
            &self.agent,
            "POST",
            &format!("{}/v1/licenses/{license}/leases", self.base),
            Some(json!({ "holder": holder, "nonce": nonce })),
        )
    }

    pub fn renew(&self, lease: &str, seq: u64) -> Reply {
        send(
            &self.agent,
            "PUT",
            &format!("{}/v1/leases/{lease}", self.base),
            Some(json!({ "seq": seq })),
        )
    }

    pub fn release(&self, lease: &str) -> Reply {
        send(
            &self.agent,
            "DELETE",
            &format!("{}/v1/leases/{lease}", self.base),
            None,
        )
    }

    /// A renewal with the given secret (another client's guess, or none).
    pub fn renew_as(&self, lease: &str, secret: Option<&str>, seq: u64) -> Reply {
        send_with(
            &self.agent,
            "PUT",
            &format!("{}/v1/leases/{lease}", self.base),
            Some(json!({ "seq": seq })),
            secret,
        )
    }

    /// A release with the given secret (another client's guess, or none).
    pub fn release_as(&self, lease: &str, secret: Option<&str>) -> Reply {
        send_with(
            &self.agent,
            "DELETE",
            &format!("{}/v1/leases/{lease}", self.base),
            None,
            secret,
        )
    }

    /// SIGTERM, as systemd stops a service; waits for the process to end and returns its
    /// exit status and standard error.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        // SAFETY: kill(2) on the child's pid; no memory is involved.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let status = self.child.wait().expect("the relay ends");
        let text = self.said_after_end();
        (status, text)
    }

    /// Its standard error, whole (once it has ended).
    /// Its standard error so far (it may still be running).
    #[allow(dead_code)]
    pub fn said(&self) -> String {
        self.said.lock().unwrap().clone()
    }

    fn said_after_end(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.said.lock().unwrap().clone()
    }

    /// Sends a signal (SIGSTOP, SIGCONT) to the relay.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the child's pid; no memory is involved.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        send(&self.agent, "GET", &format!("{}{path}", self.base), None)
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The relay's standard error so far (after it has ended).
    pub fn stderr(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.said_after_end()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the relay's SQLite file.
pub fn open_db(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("the relay's database opens")
}
