//! A vendor's application that runs only while it holds a seat from the customer's Timefence
//! Relay: the whole integration, in one file.
//!
//! ```text
//! vendor-app --relay http://127.0.0.1:7420[,http://10.0.0.2:7420] --license acme.lic \
//!            --certificate relay.cert --trust vendor.pub.pem --holder agent-17 \
//!            [--withdrawals withdrawn.tfw] [--token CLIENT-TOKEN] [--work-seconds 30]
//! ```
//!
//! Exit codes: 0 worked and gave the seat back; 3 the relay refused (the reason is printed);
//! 2 anything else (unreadable files, an untrusted relay, no relay).

use std::process::ExitCode;
use std::time::{Duration, Instant};
use timefence_license::client::{ClientError, RelayClient};
use timefence_license::relay::{read_certificate, read_withdrawals};
use timefence_license::{parse_public_key, verify, TrustedKeys};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn read(name: &str) -> Result<String, String> {
    let path = arg(name).ok_or(format!("{name} is required"))?;
    std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))
}

fn run() -> Result<(), ClientError> {
    let fail = |m: String| ClientError::Malformed(m);
    let mut vendor = TrustedKeys::default();
    let pem = read("--trust").map_err(fail)?;
    vendor.add(parse_public_key(&pem).ok_or_else(|| fail("--trust: not a public key".into()))?);

    let license =
        verify(&read("--license").map_err(fail)?, &vendor).map_err(|e| fail(e.to_string()))?;
    let certificate = read_certificate(&read("--certificate").map_err(fail)?, &vendor)?;
    let relay = arg("--relay").unwrap_or_else(|| "http://127.0.0.1:7420".into());
    let holder = arg("--holder").unwrap_or_else(|| "vendor-app".into());
    // Several relays of a pair, comma-separated: the client tries them in turn.
    let relays: Vec<&str> = relay.split(',').collect();
    let mut client = RelayClient::with_relays(&relays, license, certificate, &holder)?;
    // The vendor's list of withdrawn relay certificates, when it gave one: a withdrawn relay
    // is not believed, whatever it signs.
    if arg("--withdrawals").is_some() {
        let list = read_withdrawals(&read("--withdrawals").map_err(fail)?, &vendor)?;
        client = client.with_withdrawals(&list)?;
    }
    if let Some(token) = arg("--token") {
        client = client.with_bearer_token(&token);
    }

    let seat = client.claim()?;
    let lease = seat.lease()?;
    println!(
        "seat held: lease {} until {} ms",
        lease.lease, lease.expires_at_ms
    );
    let work: u64 = arg("--work-seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(work) {
        // The application's work goes here; it checks the seat before each unit of it.
        if let Err(lost) = seat.lease() {
            println!("seat lost: {lost}");
            return Err(lost);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(seat);
    println!("done; seat released");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(ClientError::Refused {
            kind,
            message,
            data,
        }) => {
            println!("refused: {kind}: {message} {data}");
            ExitCode::from(3)
        }
        Err(other) => {
            eprintln!("vendor-app: {other} ({})", other.kind());
            ExitCode::from(2)
        }
    }
}
