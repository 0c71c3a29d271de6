//! `timefence-relay`: serve, status, report, keygen.

use chrono::{NaiveDate, NaiveTime};

/// mimalloc rather than the system's allocator: a relay allocates and frees many small
/// buffers per request (JSON, tokens, database rows), and glibc's allocator took about an
/// eighth of a relay's time under load (perf, two relays on PostgreSQL).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use timefence_license::relay::read_certificate;
use timefence_license::usage::{sign_report, ReportPayload};
use timefence_license::{public_key_pem, TrustedKeys};
use timefence_relay::clock::Clock;
use timefence_relay::edge::{raise_nofile, EdgeAcceptor, EdgeLimits};
use timefence_relay::logic::Policy;
use timefence_relay::server::{router, sweep, watch, Metrics, Relay};
use timefence_relay::store::postgres::Timeouts;
use timefence_relay::store::{
    fold as fold_storage, marks_at, report as usage_report, reset_marks_at, Store,
};

/// The port a relay listens on unless told otherwise.
const DEFAULT_LISTEN: &str = "127.0.0.1:7420";

#[derive(Parser)]
#[command(
    name = "timefence-relay",
    version = timefence_terms::version_line(env!("CARGO_PKG_VERSION")),
    about = "Timefence Relay: seats inside daily windows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the licenses in a folder.
    Serve(Box<ServeArgs>),
    /// Show what a running relay serves.
    Status {
        /// The relay's address: http://127.0.0.1:7420, or https://relay.example:7420.
        #[arg(long, default_value = "http://127.0.0.1:7420")]
        url: String,
        /// With https: the CA certificate (PEM) that signed the relay's certificate, or the
        /// relay's own self-signed certificate.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// A client token, when the relay was started with --client-tokens.
        #[arg(long)]
        token: Option<String>,
    },
    /// Write a usage report of whole UTC days, signed by the relay's key, for the vendor.
    Report(ReportArgs),
    /// Show the clock decisions use and the latest time each license was decided at; with
    /// `--reset`, lower every mark that is ahead of the clock to it (after a clock that jumped
    /// forward and came back: without it, everything is refused until the clock catches up).
    Clock {
        /// `sqlite:PATH` (default: relay.sqlite in the current folder) or `postgres://...`.
        #[arg(long, default_value = "sqlite:relay.sqlite")]
        storage: String,
        /// Lower the marks ahead of the clock to the clock's time now.
        #[arg(long)]
        reset: bool,
        /// Read the time from this file instead of the system clock (tests and drills).
        #[arg(long, hide = true)]
        clock_file: Option<PathBuf>,
    },
    /// Fold the event log's old days into per-quarter-hour usage and delete their events
    /// (`serve` does it hourly for days older than --keep-events-days); reports stay the same.
    Fold {
        /// `sqlite:PATH` (default: relay.sqlite in the current folder) or `postgres://...`.
        #[arg(long, default_value = "sqlite:relay.sqlite")]
        storage: String,
        /// Keep the events of this many days before today (UTC) as they are.
        #[arg(long)]
        keep_days: u32,
        /// Read the time from this file instead of the system clock (tests and drills).
        #[arg(long, hide = true)]
        clock_file: Option<PathBuf>,
    },
    /// Make the relay's own key (private key file, owner-only) and print its public key.
    Keygen {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        /// Where to write the public key the vendor certifies (default: OUT with .pub.pem).
        #[arg(long)]
        public_out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct ReportArgs {
    /// `sqlite:PATH` (default: relay.sqlite in the current folder) or `postgres://...`.
    #[arg(long, default_value = "sqlite:relay.sqlite")]
    storage: String,
    /// The relay's private key, from `timefence-relay keygen`.
    #[arg(long)]
    key: PathBuf,
    /// The relay's certificate, from the vendor (`timefence relay certify`).
    #[arg(long)]
    certificate: PathBuf,
    /// The vendor's public key (PEM) the certificate verifies against.
    #[arg(long = "trust")]
    trust: Vec<PathBuf>,
    /// The vendor's list of withdrawn relay certificates (`timefence relay withdrawals`):
    /// no report is written under a certificate it names.
    #[arg(long)]
    withdrawals: Option<PathBuf>,
    /// The first day (UTC, YYYY-MM-DD).
    #[arg(long)]
    from: NaiveDate,
    /// The last day (UTC, YYYY-MM-DD), included.
    #[arg(long)]
    to: NaiveDate,
    /// Where the report goes.
    #[arg(long)]
    out: PathBuf,
    /// Read the time from this file instead of the system clock (tests and drills).
    #[arg(long, hide = true)]
    clock_file: Option<PathBuf>,
}

#[derive(Args, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ServeArgs {
    /// A TOML file with any of these settings (flags win).
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// The folder of license files (*.lic).
    #[arg(long)]
    licenses: Option<PathBuf>,
    /// A vendor public key (PEM) license files must verify against; repeat for several.
    #[arg(long = "trust")]
    #[serde(default)]
    trust: Vec<PathBuf>,
    /// `sqlite:PATH` (default: relay.sqlite in the current folder) or `postgres://...`.
    #[arg(long)]
    storage: Option<String>,
    /// Address and port to listen on (default 127.0.0.1:7420).
    #[arg(long)]
    listen: Option<String>,
    /// The relay's private key, from `timefence-relay keygen`.
    #[arg(long)]
    key: Option<PathBuf>,
    /// TLS certificate chain (PEM).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on an address other than loopback.
    #[arg(long)]
    #[serde(default)]
    insecure: bool,
    /// Seconds a lease lasts between renewals (default 60).
    #[arg(long)]
    ttl: Option<u32>,
    /// Seconds the clock may go back before grants stop (default 5).
    #[arg(long)]
    clock_tolerance: Option<u32>,
    /// Read the time from this file instead of the system clock (tests and drills).
    #[arg(long, hide = true)]
    clock_file: Option<PathBuf>,
    /// Move the system clock by this many milliseconds (tests and drills: a host whose clock
    /// is off).
    #[arg(long, hide = true, allow_negative_numbers = true)]
    clock_skew_ms: Option<i64>,
    /// A file of bearer tokens, one per line: every /v1 request must then carry
    /// `Authorization: Bearer TOKEN` with one of them.
    #[arg(long)]
    client_tokens: Option<PathBuf>,
    /// A CA certificate (PEM): clients must present a certificate it signed (mutual TLS;
    /// needs --tls-cert and --tls-key).
    #[arg(long)]
    client_ca: Option<PathBuf>,
    /// Connections open at once (default 8192); one more is closed at once.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Seconds a connection may stay silent before it is closed (default 30).
    #[arg(long)]
    idle_timeout: Option<u32>,
    /// Days of raw events kept before they are folded into per-quarter-hour usage (default
    /// 62, at least 32: a month's report always has its events).
    #[arg(long)]
    keep_events_days: Option<u32>,
    /// PostgreSQL: seconds a request waits for a license's row lock (default 2).
    #[arg(long)]
    lock_timeout: Option<u32>,
    /// PostgreSQL: seconds a statement may run (default 5).
    #[arg(long)]
    statement_timeout: Option<u32>,
    /// PostgreSQL: seconds a transaction may sit idle, e.g. in a hung relay (default 5).
    #[arg(long)]
    idle_in_transaction_timeout: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Status { url, ca, token } => status(&url, ca.as_deref(), token.as_deref()),
        Command::Report(args) => report(args),
        Command::Clock {
            storage,
            reset,
            clock_file,
        } => clock(&storage, reset, clock_file),
        Command::Fold {
            storage,
            keep_days,
            clock_file,
        } => fold_command(&storage, keep_days, clock_file),
        Command::Keygen { out, public_out } => keygen(&out, public_out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("timefence-relay: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_relay_key(path: &Path) -> Result<SigningKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|_| format!("{}: not a relay key", path.display()))
}

fn trusted_keys(paths: &[PathBuf]) -> Result<TrustedKeys, String> {
    if paths.is_empty() {
        return Err("--trust VENDOR.pub.pem is required (the vendor's public key)".into());
    }
    let mut trusted = TrustedKeys::default();
    for path in paths {
        trusted.add(read_public_key(path)?);
    }
    Ok(trusted)
}

fn report(args: ReportArgs) -> Result<(), String> {
    if args.to < args.from {
        return Err(format!("--to {} is before --from {}", args.to, args.from));
    }
    // A report is of whole days that have ended: a day still running (or ahead) would be
    // imported half-counted, and could never be imported again.
    let clock = args.clock_file.clone().map_or(Clock::System, Clock::File);
    let today = timefence_relay::logic::instant(clock.now()?).date_naive();
    if args.to >= today {
        return Err(format!(
            "--to {}: the last day must have ended (UTC); the latest is {}",
            args.to,
            today.pred_opt().unwrap_or(today)
        ));
    }
    let key = read_relay_key(&args.key)?;
    let trusted = trusted_keys(&args.trust)?;
    let certificate_text = std::fs::read_to_string(&args.certificate)
        .map_err(|e| format!("{}: {e}", args.certificate.display()))?;
    let certificate = read_certificate(&certificate_text, &trusted)
        .map_err(|e| format!("{}: {e}", args.certificate.display()))?;
    // A certificate that has ended vouches for nothing the relay writes now.
    certificate
        .in_force(clock.now()?)
        .map_err(|e| format!("{}: {e}", args.certificate.display()))?;
    if let Some(path) = &args.withdrawals {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let list = timefence_license::relay::read_withdrawals(&text, &trusted)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        list.check(&certificate).map_err(|e| {
            format!(
                "{}: {e}; no report is written under it (ask the vendor to certify the relay again)",
                args.certificate.display()
            )
        })?;
    }
    if certificate.relay_key != key.verifying_key() {
        return Err(format!(
            "{} certifies another relay key than {}",
            args.certificate.display(),
            args.key.display()
        ));
    }
    let millis = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
    let (from, to) = (millis(args.from), millis(args.to) + 86_400_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let usage = runtime
        .block_on(usage_report(&args.storage, from, to))
        .map_err(|e| e.to_string())?;
    // Only what the certificate lets this relay serve: the vendor's import refuses the rest.
    // Files signed with any of the vendor's keys count (a key rotation changes the signing key
    // id before the "-", not the license after it).
    let listed = &certificate.payload.licenses;
    let (licenses, left_out): (Vec<_>, Vec<_>) = usage.into_iter().partition(|usage| {
        usage
            .license
            .split_once('-')
            .is_some_and(|(_, id)| listed.is_empty() || listed.iter().any(|l| l == id))
    });
    for usage in &left_out {
        eprintln!(
            "timefence-relay: {} is not covered by the certificate; left out of the report",
            usage.license
        );
    }
    let payload = ReportPayload {
        customer: certificate.payload.customer.clone(),
        customer_uid: certificate.payload.customer_uid.clone(),
        from: args.from.to_string(),
        to: args.to.to_string(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        licenses,
    };
    let text = sign_report(&payload, &key, &certificate_text);
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "Wrote the usage of {} from {} to {} ({}) to {}.",
        payload.customer,
        payload.from,
        payload.to,
        match payload.licenses.len() {
            1 => "1 license".to_string(),
            n => format!("{n} licenses"),
        },
        args.out.display()
    );
    Ok(())
}

fn keygen(out: &Path, public_out: Option<PathBuf>) -> Result<(), String> {
    if out.exists() {
        return Err(format!(
            "{} exists; refusing to overwrite a key",
            out.display()
        ));
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    // PKCS#8 v1 (the private key alone): OpenSSL 3.0 and Node read it; the v2 form with the
    // public key inside, ed25519-dalek's default, they refuse.
    let pem = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(Default::default())
    .map_err(|e| e.to_string())?;
    write_owner_only(out, pem.as_bytes())?;
    let public_out = public_out.unwrap_or_else(|| out.with_extension("pub.pem"));
    let public = public_key_pem(&key.verifying_key());
    std::fs::write(&public_out, &public).map_err(|e| format!("{}: {e}", public_out.display()))?;
    println!(
        "Wrote the relay key to {} (owner-only) and its public key to {}.",
        out.display(),
        public_out.display()
    );
    println!("Send the public key to your vendor to be certified:\n{public}");
    Ok(())
}

fn write_owner_only(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn read_public_key(path: &Path) -> Result<ed25519_dalek::VerifyingKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    timefence_license::parse_public_key(&text)
        .ok_or_else(|| format!("{}: not an Ed25519 public key (PEM)", path.display()))
}

fn merged(args: ServeArgs) -> Result<ServeArgs, String> {
    let Some(path) = &args.config else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: ServeArgs = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ServeArgs {
        config: args.config,
        licenses: args.licenses.or(file.licenses),
        trust: if args.trust.is_empty() {
            file.trust
        } else {
            args.trust
        },
        storage: args.storage.or(file.storage),
        listen: args.listen.or(file.listen),
        key: args.key.or(file.key),
        tls_cert: args.tls_cert.or(file.tls_cert),
        tls_key: args.tls_key.or(file.tls_key),
        insecure: args.insecure || file.insecure,
        ttl: args.ttl.or(file.ttl),
        clock_tolerance: args.clock_tolerance.or(file.clock_tolerance),
        clock_file: args.clock_file.or(file.clock_file),
        clock_skew_ms: args.clock_skew_ms.or(file.clock_skew_ms),
        client_tokens: args.client_tokens.or(file.client_tokens),
        client_ca: args.client_ca.or(file.client_ca),
        max_connections: args.max_connections.or(file.max_connections),
        idle_timeout: args.idle_timeout.or(file.idle_timeout),
        lock_timeout: args.lock_timeout.or(file.lock_timeout),
        statement_timeout: args.statement_timeout.or(file.statement_timeout),
        idle_in_transaction_timeout: args
            .idle_in_transaction_timeout
            .or(file.idle_in_transaction_timeout),
        keep_events_days: args.keep_events_days.or(file.keep_events_days),
    })
}

/// The instant before which whole days are folded: today's UTC midnight, `keep_days` back.
fn fold_before(now: i64, keep_days: u32) -> i64 {
    let day = timefence_relay::report::DAY_MS;
    now.div_euclid(day) * day - i64::from(keep_days) * day
}

fn fold_command(storage: &str, keep_days: u32, clock_file: Option<PathBuf>) -> Result<(), String> {
    let clock = clock_file.map_or(Clock::System, Clock::File);
    let now = clock.now()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (days, deleted) = runtime
        .block_on(fold_storage(storage, fold_before(now, keep_days)))
        .map_err(|e| e.to_string())?;
    println!(
        "Folded {} and deleted {deleted} {}.",
        match days {
            1 => "1 day".to_string(),
            n => format!("{n} days"),
        },
        if deleted == 1 { "event" } else { "events" }
    );
    Ok(())
}

fn clock(storage: &str, reset: bool, clock_file: Option<PathBuf>) -> Result<(), String> {
    let clock = clock_file.map_or(Clock::System, Clock::File);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let at = |ms: i64| timefence_relay::logic::instant(ms).to_rfc3339();
    if reset {
        let (now, changed) = runtime
            .block_on(reset_marks_at(storage, clock))
            .map_err(|e| e.to_string())?;
        if changed.is_empty() {
            println!(
                "No mark is ahead of the clock ({}); nothing to reset.",
                at(now)
            );
        }
        for (license, old) in &changed {
            // On standard error as well, so the service's log keeps what was done.
            eprintln!(
                "timefence-relay: clock reset: {license}'s mark lowered from {} to {}",
                at(*old),
                at(now)
            );
        }
        if !changed.is_empty() {
            println!(
                "Lowered {} to the clock's time now ({}); relays decide again from it.",
                match changed.len() {
                    1 => "1 license's mark".to_string(),
                    n => format!("{n} licenses' marks"),
                },
                at(now)
            );
        }
        return Ok(());
    }
    let (now, marks) = runtime
        .block_on(marks_at(storage, clock))
        .map_err(|e| e.to_string())?;
    println!("clock now: {}", at(now));
    if marks.is_empty() {
        println!("No decisions recorded yet.");
    }
    for (license, mark) in &marks {
        let ahead = mark - now;
        println!(
            "{license}  last decided at {}{}",
            at(*mark),
            if ahead > 0 {
                format!("  ({} ms ahead of the clock)", ahead)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let args = merged(args)?;
    let folder = args
        .licenses
        .ok_or("--licenses FOLDER is required (the folder of .lic files)")?;
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", folder.display()));
    }
    let trusted = trusted_keys(&args.trust)?;
    let key_path = args
        .key
        .ok_or("--key RELAY.key is required (make one with `timefence-relay keygen`)")?;
    let key = read_relay_key(&key_path)?;
    let listen_text = args.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen: SocketAddr = listen_text
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| {
            format!("--listen {listen_text}: not an address and port, such as 127.0.0.1:7420 or 0.0.0.0:7420")
        })?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    if tls.is_none() && !listen.ip().is_loopback() && !args.insecure {
        return Err(format!(
            "plain HTTP on {listen} would send lease tokens and secrets in clear text: give --tls-cert and --tls-key, or --insecure"
        ));
    }
    if args.client_ca.is_some() && tls.is_none() {
        return Err("--client-ca (mutual TLS) needs --tls-cert and --tls-key".into());
    }
    let client_tokens = match &args.client_tokens {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(
                timefence_relay::server::read_client_tokens(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    if !listen.ip().is_loopback() && client_tokens.is_none() && args.client_ca.is_none() {
        eprintln!(
            "timefence-relay: warning: serving on {listen} without client authentication: anyone who can reach this address can take seats (give --client-tokens or --client-ca)"
        );
    }
    let policy = Policy {
        ttl_ms: i64::from(args.ttl.unwrap_or(60).max(1)) * 1000,
        clock_tolerance_ms: i64::from(args.clock_tolerance.unwrap_or(5)) * 1000,
        lease_key: Policy::lease_key_from(&key.to_bytes()),
    };
    let clock = match (args.clock_file, args.clock_skew_ms) {
        (Some(path), _) => Clock::File(path),
        (None, Some(ms)) => Clock::Skewed(ms),
        (None, None) => Clock::System,
    };
    let seconds = |value: Option<u32>, default: u64| {
        Duration::from_secs(value.map_or(default, u64::from).max(1))
    };
    let defaults = Timeouts::default();
    let timeouts = Timeouts {
        lock: seconds(args.lock_timeout, defaults.lock.as_secs()),
        statement: seconds(args.statement_timeout, defaults.statement.as_secs()),
        idle_in_transaction: seconds(
            args.idle_in_transaction_timeout,
            defaults.idle_in_transaction.as_secs(),
        ),
        ..defaults
    };
    let limits = EdgeLimits {
        max_connections: args
            .max_connections
            .unwrap_or(EdgeLimits::default().max_connections),
        idle: seconds(args.idle_timeout, EdgeLimits::default().idle.as_secs()),
        ..EdgeLimits::default()
    };
    // Each connection is a descriptor; the default soft limit (1024) would stop the relay
    // answering anyone long before the connection cap.
    let files = raise_nofile(limits.max_connections as u64 + 256);
    if files < limits.max_connections as u64 + 64 {
        eprintln!(
            "timefence-relay: warning: this process may open {files} files; fewer connections than --max-connections {} fit",
            limits.max_connections
        );
    }
    let storage = args.storage.unwrap_or_else(|| "sqlite:relay.sqlite".into());
    let keep_days = args.keep_events_days.unwrap_or(62);
    if keep_days < 32 {
        return Err(format!(
            "--keep-events-days {keep_days}: at least 32, so a month's report always has its events"
        ));
    }
    let fold_clock = clock.clone();
    // The port first: a relay that cannot listen must not touch the storage.
    let listener = std::net::TcpListener::bind(listen).map_err(|e| format!("{listen}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    // The address bound, which says the port when port 0 asked the system for a free one.
    let listen = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| listen.to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let store = Store::open(&storage, clock, policy, timeouts)
            .await
            .map_err(|e| e.to_string())?;
        let relay = Arc::new(Relay {
            served: RwLock::new(Arc::default()),
            store,
            key,
            trusted,
            folder,
            metrics: Metrics::default(),
            policy,
            client_tokens,
            request_timeout: limits.request,
            clock_logged: AtomicU64::new(0),
            storage_logged: AtomicU64::new(0),
            storage_unlogged: AtomicU64::new(0),
            started: std::time::Instant::now(),
        });
        relay.reload(&mut Vec::new());
        watch(relay.clone(), Duration::from_secs(2));
        sweep(relay.clone(), Duration::from_secs(5));
        // Retention: every hour, the days older than the horizon are folded.
        let (fold_url, fold_clock) = (storage.clone(), fold_clock);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if let Ok(now) = fold_clock.now() {
                    match fold_storage(&fold_url, fold_before(now, keep_days)).await {
                        Ok((0, 0)) => {}
                        Ok((days, deleted)) => eprintln!(
                            "timefence-relay: folded {days} day(s) of events older than {keep_days} days ({deleted} events deleted)"
                        ),
                        Err(e) => eprintln!("timefence-relay: folding old events: {e}"),
                    }
                }
                tokio::time::sleep(Duration::from_secs(3540)).await;
            }
        });
        let app = router(relay.clone());
        let handle = axum_server::Handle::new();
        let shutdown = handle.clone();
        tokio::spawn(async move {
            // systemd stops a service with SIGTERM; a terminal with SIGINT. Either way: stop
            // accepting, let requests in flight finish, then leave the storage whole. Leases
            // stay valid: a client renews them with this relay's successor.
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async {
                    match term.as_mut() {
                        Some(t) => { t.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
            }
            eprintln!("timefence-relay: stopping");
            shutdown.graceful_shutdown(Some(Duration::from_secs(5)));
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!(
            "timefence-relay: listening on {scheme}://{listen} (storage: {}, lease TTL {} s)",
            relay.store.engine(),
            policy.ttl_ms / 1000
        );
        let mut server = axum_server::from_tcp(listener);
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.headers)
            .max_buf_size(64 * 1024);
        let served = match tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config = tls_config(&cert, &key, args.client_ca.as_deref())?;
                let acceptor = EdgeAcceptor::new(
                    axum_server::tls_rustls::RustlsAcceptor::new(config)
                        .handshake_timeout(limits.headers),
                    &limits,
                );
                server
                    .acceptor(acceptor)
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await
            }
            None => {
                server
                    .acceptor(EdgeAcceptor::new(
                        axum_server::accept::DefaultAcceptor,
                        &limits,
                    ))
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await
            }
        };
        served.map_err(|e| format!("{listen}: {e}"))?;
        relay.store.close().map_err(|e| e.to_string())?;
        eprintln!("timefence-relay: stopped");
        Ok(())
    })
}

/// The server's TLS settings: its certificate and key, and with `client_ca`, client
/// certificates required and verified against that CA (mutual TLS).
fn tls_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<axum_server::tls_rustls::RustlsConfig, String> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    let chain = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate", cert.display()));
    }
    let private = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key", key.display()))?;
    let builder = rustls::ServerConfig::builder();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_pemfile::certs(&mut read(ca)?.as_slice()) {
                roots
                    .add(c.map_err(|e| format!("{}: {e}", ca.display()))?)
                    .map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, private)
        .map_err(|e| format!("TLS certificate or key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

fn status(url: &str, ca: Option<&Path>, token: Option<&str>) -> Result<(), String> {
    let (tls, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => {
            return Err(format!(
                "--url {url}: give http://HOST:PORT or https://HOST:PORT"
            ))
        }
    };
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let tls = if tls {
        let ca =
            ca.ok_or("https needs --ca CA.pem (the CA that signed the relay's certificate)")?;
        Some(tls_client(ca)?)
    } else {
        None
    };
    let get = |path: &str| http_get(host, path, tls.clone(), token);
    let body = get(&format!("/{path}v1/licenses"))?;
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| "the answer is not JSON".to_string())?;
    let licenses = value["licenses"].as_array().cloned().unwrap_or_default();
    if licenses.is_empty() {
        println!("No licenses served.");
    }
    for license in &licenses {
        let reference = license["license"].as_str().unwrap_or("?");
        let detail = get(&format!("/{path}v1/licenses/{reference}"))?;
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
        let seats = detail["seats"].as_u64().unwrap_or(0);
        println!(
            "{reference}  {} / {}  {} {}  {} of {} {} in use  window {}",
            detail["customer"].as_str().unwrap_or("?"),
            detail["name"].as_str().unwrap_or("?"),
            detail["window"].as_str().unwrap_or("?"),
            detail["time_zone"].as_str().unwrap_or("?"),
            detail["in_use"].as_u64().unwrap_or(0),
            seats,
            if seats == 1 { "seat" } else { "seats" },
            if detail["window_state"]["open"].as_bool() == Some(true) {
                "open"
            } else {
                "closed"
            },
        );
    }
    for skipped in value["not_served"].as_array().cloned().unwrap_or_default() {
        println!(
            "not served: {} ({})",
            skipped["file"].as_str().unwrap_or("?"),
            skipped["reason"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

/// The TLS settings `status` trusts the relay with: the given CA only.
fn tls_client(ca: &Path) -> Result<Arc<rustls::ClientConfig>, String> {
    timefence_pgtls::trusting(ca).map(Arc::new)
}

/// An HTTP/1.1 GET, over TLS when given, enough for `status` without a client library.
fn http_get(
    host: &str,
    path: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    token: Option<&str>,
) -> Result<String, String> {
    use std::io::{Read, Write};
    let stream = std::net::TcpStream::connect(host)
        .map_err(|e| format!("cannot reach the relay at {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Connection: close\r\n\r\n");
    let mut response = Vec::new();
    match tls {
        Some(config) => {
            let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
            let name = rustls::pki_types::ServerName::try_from(name.to_string())
                .map_err(|e| format!("{name}: {e}"))?;
            let connection =
                rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
            let mut stream = rustls::StreamOwned::new(connection, stream);
            stream
                .write_all(request.as_bytes())
                .map_err(|e| format!("TLS with {host}: {e}"))?;
            // A server that closes without close_notify still gave its whole answer.
            match stream.read_to_end(&mut response) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => {
                }
                Err(e) => return Err(format!("TLS with {host}: {e}")),
            }
        }
        None => {
            let mut stream = stream;
            stream
                .write_all(request.as_bytes())
                .map_err(|e| e.to_string())?;
            stream
                .read_to_end(&mut response)
                .map_err(|e| e.to_string())?;
        }
    }
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or("the relay's answer is not HTTP")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "the relay answered {}",
            head.lines().next().unwrap_or("")
        ));
    }
    Ok(body.to_string())
}
