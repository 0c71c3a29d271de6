//! How a vendor's application uses the verifier: check at start and every minute, and record
//! the time used, so that the daily window and the daily limit hold offline.
//!
//! `cargo run -p timefence-license --example vendor_app -- LICENSE.lic PUBLIC_KEY_BASE64 [--once]`

use std::time::Duration;
use timefence_license::{check, verify, FileWitness, Ledger, TrustedKeys};
use timefence_terms::chrono::{TimeDelta, Utc};
use timefence_terms::Decision;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: vendor_app LICENSE.lic PUBLIC_KEY_BASE64 [--once]");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[1])
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", args[1])));
    let mut trusted = TrustedKeys::default();
    if let Err(e) = trusted.add_base64(&args[2]) {
        fail(&e.to_string());
    }
    let license = verify(&text, &trusted).unwrap_or_else(|e| fail(&e.to_string()));
    // A real application derives this from something unique to the installation and keeps it
    // where users do not edit it; the example uses a fixed value.
    let secret = [0x5a; 32];
    // The witness lives in a second place, so that deleting or replaying the ledger alone is
    // noticed; a real application picks a lasting place of its own (the user's state folder,
    // the registry, a keychain item), never one that is cleared on reboot.
    let witness = FileWitness(std::path::Path::new("state").join("usage.witness"));
    let mut ledger = Ledger::open_witnessed(
        std::path::Path::new("usage.ledger"),
        &secret,
        Box::new(witness),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    loop {
        let now = Utc::now();
        match check(&license, now, &mut ledger) {
            Ok(Decision::Allowed {
                occurrence,
                closes_at,
                remaining,
            }) => {
                println!("allowed until {closes_at} ({remaining:?} left today)");
                // The application ran for the last minute: count it against today's window.
                if let Err(e) = ledger.record_use(&license, occurrence.date, TimeDelta::minutes(1))
                {
                    fail(&e.to_string());
                }
            }
            Ok(Decision::Denied {
                reason,
                next_opening,
            }) => println!("denied: {reason:?}; next opening {next_opening:?}"),
            Err(e) => println!("refused: {e}"),
        }
        if args.iter().any(|a| a == "--once") {
            break;
        }
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("vendor_app: {message}");
    std::process::exit(1);
}
