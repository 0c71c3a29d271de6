//! Keys, signing, verification and inspection of license files.

use crate::input::{catalogue_path, open};
use crate::{Command, Failure, EXIT_CATALOGUE, EXIT_OK};
use clap::Subcommand;
use serde_json::json;
use sha2::Digest;
use std::path::{Path, PathBuf};
use timefence_catalogue::KeyStatus;
use timefence_license::{public_key_base64, public_key_pem, LicensePayload, TrustedKeys};
use timefence_signing::{parse_public_pem, KeyStore};

/// Exit code of `verify` for a file that does not verify.
const EXIT_INVALID: u8 = 1;

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Make a new signing key (the first becomes the active key). The passphrase comes from
    /// $TIMEFENCE_PASSPHRASE, else from the first line of standard input.
    Generate {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the keys: id, status, created.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a key's public half: PEM (SubjectPublicKeyInfo), or base64 of the raw 32 bytes.
    Export {
        /// The key id.
        #[arg(long)]
        key: String,
        /// Base64 of the raw key instead of PEM.
        #[arg(long)]
        raw: bool,
    },
    /// Take in an encrypted PKCS#8 PEM private key (passphrase as for generate).
    Import {
        /// The PEM file.
        file: PathBuf,
    },
    /// Make a key the one that signs.
    Activate {
        /// The key id.
        key: String,
    },
    /// Retire a key: it signs no more, and files it signed still verify.
    Retire {
        /// The key id.
        key: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum RelayCommand {
    /// Certify a customer's relay: sign, with the vendor key, a certificate binding the relay's
    /// public key to the customer and (with --license) to some of its licenses. The passphrase
    /// comes as for `key generate`.
    Certify {
        /// The relay's public key (PEM), from `timefence-relay keygen`.
        #[arg(long)]
        public_key: PathBuf,
        /// The customer: its id in the catalogue, or its name.
        #[arg(long)]
        customer: String,
        /// A license id the relay may serve (repeat); none means every license of the customer.
        #[arg(long = "license")]
        licenses: Vec<i64>,
        /// The vendor key to sign with (default: the active key).
        #[arg(long)]
        key: Option<String>,
        /// How many days it vouches for the relay (1 to 3660); then the vendor certifies the
        /// relay again.
        #[arg(long, default_value_t = 366)]
        days: u32,
        /// Where the certificate goes.
        #[arg(long)]
        out: PathBuf,
    },
    /// The relay certificates this catalogue signed: customer, relay key, licenses, end, and
    /// whether withdrawn.
    Certificates {
        /// Only this customer's (id or name).
        #[arg(long)]
        customer: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a relay certificate: usage reports its relay signs are refused from now on.
    Withdraw {
        /// The certificate's id (`relay certificates`).
        #[arg(long)]
        certificate: i64,
    },
    /// Write the list of every withdrawn relay certificate, signed with the vendor key, for
    /// customers' relays (`timefence-relay report --withdrawals`) and applications
    /// (`RelayClient::with_withdrawals`). The passphrase comes as for `key generate`.
    Withdrawals {
        /// The vendor key to sign with (default: the active key).
        #[arg(long)]
        key: Option<String>,
        /// Where the list goes.
        #[arg(long)]
        out: PathBuf,
    },
}

fn passphrase() -> Result<zeroize::Zeroizing<String>, Failure> {
    secret("TIMEFENCE_PASSPHRASE", "Passphrase", "passphrase")
}

/// A secret from `env`, else typed at a prompt without echo (or a pipe's first line).
pub(crate) fn secret(
    env: &str,
    prompt: &str,
    what: &str,
) -> Result<zeroize::Zeroizing<String>, Failure> {
    if let Ok(value) = std::env::var(env) {
        return Ok(zeroize::Zeroizing::new(value));
    }
    // At a terminal: a prompt, and what is typed not shown. From a pipe: its first line.
    let echo_off = EchoOff::at_terminal();
    if echo_off.is_some() {
        eprint!("{prompt}: ");
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    let read = std::io::stdin().read_line(&mut line);
    if echo_off.is_some() {
        eprintln!();
    }
    drop(echo_off);
    read.map_err(|e| Failure::from(format!("cannot read the {what}: {e}")))?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_string();
    if trimmed.is_empty() {
        return Err(Failure::from(format!(
            "the {what} is empty: type it at the prompt, or set {env}"
        )));
    }
    Ok(zeroize::Zeroizing::new(trimmed))
}

/// The terminal's echo, turned off while this lives (only when standard input is a terminal).
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    fn at_terminal() -> Option<EchoOff> {
        // SAFETY: isatty, tcgetattr and tcsetattr on descriptor 0 with a termios owned here.
        unsafe {
            if libc::isatty(0) != 1 {
                return None;
            }
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut saved) != 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            if libc::tcsetattr(0, libc::TCSANOW, &quiet) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `at_terminal` on the same descriptor.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}

/// The customer `given` names: its id, or its name (exactly, else ignoring case when only one
/// matches).
fn find_customer(
    c: &timefence_catalogue::Catalogue,
    given: &str,
) -> Result<timefence_catalogue::CustomerSummary, Failure> {
    let customers = c.list_customers()?;
    if let Ok(id) = given.trim().parse::<i64>() {
        if let Some(found) = customers.iter().find(|x| x.id == id) {
            return Ok(found.clone());
        }
    }
    if let Some(found) = customers.iter().find(|x| x.name == given) {
        return Ok(found.clone());
    }
    let folded: Vec<_> = customers
        .iter()
        .filter(|x| x.name.to_lowercase() == given.trim().to_lowercase())
        .collect();
    match folded.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::from(format!(
            "no customer \"{given}\" in the catalogue: `timefence customers list` shows them, and the app or `timefence customers add` adds one"
        ))),
        _ => Err(Failure::from(format!(
            "several customers are named \"{given}\" (in other cases): give the id"
        ))),
    }
}

/// The key given, or the active one.
fn active_or(c: &timefence_catalogue::Catalogue, key: &Option<String>) -> Result<String, Failure> {
    match key {
        Some(id) => Ok(id.clone()),
        None => c
            .signing_keys()?
            .into_iter()
            .find(|k| k.status == KeyStatus::Active)
            .map(|k| k.key_id)
            .ok_or_else(|| Failure {
                code: EXIT_CATALOGUE,
                message: "no active key: run `timefence key generate`".into(),
            }),
    }
}

fn key_failure(e: timefence_signing::KeyError) -> Failure {
    Failure {
        code: EXIT_CATALOGUE,
        message: e.to_string(),
    }
}

fn key_folder(catalogue: &Option<PathBuf>) -> Result<KeyStore, Failure> {
    let path = catalogue_path(catalogue.clone())?;
    let dir = path
        .parent()
        .map(|p| p.join("keys"))
        .unwrap_or_else(|| PathBuf::from("keys"));
    KeyStore::open(&dir).map_err(key_failure)
}

fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    // A half-written license file must never exist under its final name.
    timefence_signing::write_whole(path, text.as_bytes())
        .map_err(|e| Failure::from(format!("cannot write {}: {e}", path.display())))
}

pub(crate) fn run(catalogue: Option<PathBuf>, command: &Command) -> Result<u8, Failure> {
    match command {
        Command::Key(KeyCommand::Generate { json: as_json }) => {
            let store = key_folder(&catalogue)?;
            let mut c = open(catalogue)?;
            let key = store.generate(&passphrase()?).map_err(key_failure)?;
            c.add_signing_key(
                &key.key_id,
                *key.public_key.as_bytes(),
                key.private_file.to_str(),
            )?;
            if *as_json {
                println!(
                    "{}",
                    json!({ "key_id": key.key_id, "private_file": key.private_file })
                );
            } else {
                println!(
                    "generated key {} ({})",
                    key.key_id,
                    key.private_file.display()
                );
            }
        }
        Command::Key(KeyCommand::List { json: as_json }) => {
            let c = open(catalogue)?;
            let keys = c.signing_keys()?;
            if *as_json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| json!({ "key_id": k.key_id, "status": k.status.as_str(), "created_at": k.created_at }))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for k in keys {
                    println!("{}  {:<8}  {}", k.key_id, k.status.as_str(), k.created_at);
                }
            }
        }
        Command::Key(KeyCommand::Export { key, raw }) => {
            let stored = key_folder(&catalogue)?.public(key).map_err(key_failure)?;
            if *raw {
                println!("{}", public_key_base64(&stored.public_key));
            } else {
                print!("{}", public_key_pem(&stored.public_key));
            }
        }
        Command::Key(KeyCommand::Import { file }) => {
            let pem = std::fs::read_to_string(file)
                .map_err(|e| Failure::from(format!("cannot read {}: {e}", file.display())))?;
            let store = key_folder(&catalogue)?;
            let mut c = open(catalogue)?;
            let key = store.import(&pem, &passphrase()?).map_err(key_failure)?;
            c.add_signing_key(
                &key.key_id,
                *key.public_key.as_bytes(),
                key.private_file.to_str(),
            )?;
            println!("imported key {}", key.key_id);
        }
        Command::Key(KeyCommand::Activate { key }) => {
            open(catalogue)?.set_active_key(key)?;
            println!("key {key} now signs");
        }
        Command::Key(KeyCommand::Retire { key }) => {
            open(catalogue)?.retire_key(key)?;
            println!("key {key} retired");
        }
        Command::Relay(RelayCommand::Certificates { customer, json }) => {
            let c = open(catalogue)?;
            let only = match customer {
                Some(given) => Some(find_customer(&c, given)?.id),
                None => None,
            };
            let names: std::collections::HashMap<i64, String> = c
                .list_customers()?
                .into_iter()
                .map(|x| (x.id, x.name))
                .collect();
            let listed = c.relay_certificates(only)?;
            let value = serde_json::json!(listed
                .iter()
                .map(|r| serde_json::json!({
                    "id": r.id, "customer_id": r.customer_id, "relay_key": r.relay_key,
                    "licenses": r.licenses, "key_id": r.key_id, "issued_at": r.issued_at,
                    "not_after": r.not_after, "withdrawn_at": r.withdrawn_at,
                }))
                .collect::<Vec<_>>());
            let lines: Vec<String> = listed
                .iter()
                .map(|r| {
                    format!(
                        "{:>4}  {}  relay {}  {}  until {}{}",
                        r.id,
                        names
                            .get(&r.customer_id)
                            .map_or("(deleted)", String::as_str),
                        r.relay_key_id,
                        r.scope(),
                        r.not_after.as_deref().unwrap_or("(no end)"),
                        r.withdrawn_at
                            .as_ref()
                            .map(|w| format!(", withdrawn {w}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            crate::output::print(
                *json,
                value,
                if lines.is_empty() {
                    "no relay certificates signed yet".to_string()
                } else {
                    lines.join("\n")
                },
            );
        }
        Command::Relay(RelayCommand::Withdraw { certificate }) => {
            open(catalogue)?.withdraw_relay_certificate(*certificate)?;
            println!("withdrew relay certificate {certificate}: usage reports its relay signs are refused from now on; `timefence relay withdrawals --out FILE` writes the list its relay and applications check");
        }
        Command::Relay(RelayCommand::Withdrawals { key, out }) => {
            let store = key_folder(&catalogue)?;
            let c = open(catalogue)?;
            let key_id = active_or(&c, key)?;
            let signing = store.unlock(&key_id, &passphrase()?).map_err(key_failure)?;
            let now = timefence_terms::chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let (text, count) = timefence_signing::withdrawal_list(&c, &signing, &now)?;
            write_atomically(out, &text)?;
            println!(
                "wrote {} withdrawn, signed with key {key_id}: {}",
                match count {
                    1 => "1 relay certificate".to_string(),
                    n => format!("{n} relay certificates"),
                },
                out.display()
            );
        }
        Command::Relay(RelayCommand::Certify {
            public_key,
            customer,
            licenses,
            key,
            days,
            out,
        }) => {
            if !(1..=3660).contains(days) {
                return Err(Failure::from(format!(
                    "--days {days}: a certificate lasts 1 to 3660 days"
                )));
            }
            let relay_key = parse_public_pem(&read_text(public_key)?).ok_or_else(|| {
                Failure::from(format!(
                    "{} is not an Ed25519 public key (PEM)",
                    public_key.display()
                ))
            })?;
            let store = key_folder(&catalogue)?;
            let mut c = open(catalogue)?;
            let owner = find_customer(&c, customer)?;
            let owned = c.licenses_of(owner.id)?;
            // The certificate names licenses by their uid, which a revision keeps, so it
            // does not need signing again when a license is edited.
            let mut uids = Vec::with_capacity(licenses.len());
            for id in licenses {
                match owned.iter().find(|l| l.id == *id) {
                    Some(license) => uids.push(license.uid.clone()),
                    None => {
                        return Err(Failure::from(format!(
                            "license {id} is not one of {}'s licenses",
                            owner.name
                        )))
                    }
                }
            }
            let key_id = active_or(&c, key)?;
            let signing = store.unlock(&key_id, &passphrase()?).map_err(key_failure)?;
            let now = timefence_terms::chrono::Utc::now();
            let stamp = |t: timefence_terms::chrono::DateTime<timefence_terms::chrono::Utc>| {
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            };
            let payload = timefence_license::relay::CertificatePayload {
                relay_key: public_key_base64(&relay_key),
                customer: owner.name.clone(),
                customer_uid: Some(owner.uid.clone()),
                licenses: uids,
                issued_at: stamp(now),
                not_after: Some(stamp(
                    now + timefence_terms::chrono::TimeDelta::days(i64::from(*days)),
                )),
            };
            write_atomically(out, &timefence_license::relay::certify(&payload, &signing))?;
            let record = timefence_catalogue::RelayCertificateRecord {
                id: 0,
                customer_id: owner.id,
                relay_key: payload.relay_key.clone(),
                relay_key_id: timefence_license::key_id(&relay_key),
                licenses: payload.licenses.clone(),
                key_id: key_id.clone(),
                issued_at: payload.issued_at.clone(),
                not_after: payload.not_after.clone(),
                withdrawn_at: None,
            };
            c.record_relay_certificate(&record)?;
            println!(
                "certified relay key {} for {} ({}) until {}, signed with key {key_id}: {}",
                record.relay_key_id,
                owner.name,
                record.scope(),
                payload.not_after.as_deref().unwrap_or_default(),
                out.display()
            );
        }
        Command::Sign {
            license,
            terms,
            customer,
            name,
            key,
            out,
            not_after,
        } => {
            let store = key_folder(&catalogue)?;
            let mut c = open(catalogue)?;
            let key_id = active_or(&c, key)?;
            let signing = store.unlock(&key_id, &passphrase()?).map_err(key_failure)?;
            if let Some(id) = license {
                let signer = timefence_signing::issue::Signer {
                    key_id: key_id.clone(),
                    key: signing,
                };
                let issued = timefence_signing::issue::issue(
                    &mut c,
                    &signer,
                    *id,
                    timefence_signing::issue::Destination::File(out),
                    not_after.clone(),
                    timefence_terms::chrono::Utc::now(),
                )
                .map_err(|e| match e {
                    timefence_signing::issue::IssueError::Catalogue(inner) => Failure::from(inner),
                    other => Failure::from(other.to_string()),
                })?;
                println!(
                    "signed {} / {} (serial {}) with key {key_id} into {}",
                    issued.customer,
                    issued.license,
                    issued.serial,
                    out.display()
                );
                return Ok(EXIT_OK);
            }
            let Some(path) = terms else {
                return Err(Failure::from("give --license or --terms".to_string()));
            };
            let spec = crate::read_spec_file(path)?;
            spec.validate()
                .map_err(|e| Failure::from(format!("the terms are invalid: {e}")))?;
            // The file names a customer the catalogue knows, so its relay can be certified
            // and its usage imported.
            let owner = find_customer(&c, customer.as_deref().unwrap_or_default())?;
            let payload = LicensePayload {
                license_id: 0,
                uid: Some(timefence_license::new_license_uid()),
                revision: 1,
                customer: owner.name.clone(),
                customer_uid: Some(owner.uid.clone()),
                name: name.clone().unwrap_or_default(),
                issued_at: timefence_terms::chrono::Utc::now()
                    .to_rfc3339_opts(timefence_terms::chrono::SecondsFormat::Secs, true),
                serial: c.take_serial()?,
                not_after: not_after.clone(),
                terms: spec,
            };
            let serial = payload.serial;
            let text = timefence_license::sign(
                &payload,
                &signing,
                &format!(
                    "{} / {}, revision {}, serial {serial}",
                    payload.customer, payload.name, payload.revision
                ),
            );
            write_atomically(out, &text)?;
            println!(
                "signed {} / {} (serial {serial}) with key {key_id} into {}",
                payload.customer,
                payload.name,
                out.display()
            );
        }
        Command::Check {
            file,
            trust,
            ledger,
            witness,
            at,
            json: as_json,
        } => {
            return check_file(
                &catalogue,
                file,
                trust,
                (ledger.clone(), witness.clone()),
                at.as_deref(),
                *as_json,
            );
        }
        Command::Verify {
            file,
            trust,
            json: as_json,
        } => {
            let text = read_text(file)?;
            let trusted = trusted_keys(&catalogue, trust)?;
            return Ok(match timefence_license::verify(&text, &trusted) {
                Ok(license) => {
                    if *as_json {
                        println!(
                            "{}",
                            json!({ "valid": true, "key_id": license.key_id, "payload": license.payload })
                        );
                    } else {
                        println!(
                            "valid: {} / {} (serial {}), signed with key {}",
                            license.payload.customer,
                            license.payload.name,
                            license.payload.serial,
                            license.key_id
                        );
                    }
                    EXIT_OK
                }
                Err(error) => {
                    if *as_json {
                        println!(
                            "{}",
                            json!({ "valid": false, "reason": format!("{error:?}"), "message": error.to_string() })
                        );
                    } else {
                        println!("invalid: {error}");
                    }
                    EXIT_INVALID
                }
            });
        }
        Command::Inspect { file } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Failure::from(format!("cannot read {}: {e}", file.display())))?;
            let (message, _) = timefence_license::signed_message_and_signature(&text)
                .map_err(|e| Failure::from(e.to_string()))?;
            for line in text.lines().filter(|l| l.starts_with('#')) {
                println!("unsigned comment: {}", line.trim_start_matches('#').trim());
            }
            let payload = &message[timefence_license::DOMAIN.len()..];
            let value: serde_json::Value = serde_json::from_slice(payload)
                .map_err(|e| Failure::from(format!("the payload is not JSON: {e}")))?;
            println!("signed payload (the signature is not checked here; use verify):");
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        _ => unreachable!("handled in catalogue_cmd"),
    }
    Ok(EXIT_OK)
}

fn read_text(file: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(file)
        .map_err(|e| Failure::from(format!("cannot read {}: {e}", file.display())))
}

fn trusted_keys(catalogue: &Option<PathBuf>, trust: &[PathBuf]) -> Result<TrustedKeys, Failure> {
    let mut trusted = TrustedKeys::default();
    if trust.is_empty() {
        for key in key_folder(catalogue)?.list().map_err(key_failure)? {
            trusted.add(key.public_key);
        }
    }
    for path in trust {
        let pem = read_text(path)?;
        let key = parse_public_pem(&pem).ok_or_else(|| {
            Failure::from(format!(
                "{} is not an Ed25519 public key PEM",
                path.display()
            ))
        })?;
        trusted.add(key);
    }
    Ok(trusted)
}

/// The installation's ledger secret: 32 random bytes made once, owner-only.
fn ledger_secret(dir: &Path) -> Result<[u8; 32], Failure> {
    use rand_core::RngCore;
    let path = dir.join("ledger.secret");
    let io = |e: std::io::Error| Failure {
        code: EXIT_CATALOGUE,
        message: format!("ledger secret {}: {e}", path.display()),
    };
    if let Ok(bytes) = std::fs::read(&path) {
        return bytes.try_into().map_err(|_| Failure {
            code: EXIT_CATALOGUE,
            message: format!("{} is damaged", path.display()),
        });
    }
    let mut secret = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut secret);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(&secret))
        .map_err(io)?;
    Ok(secret)
}

/// The witness of `ledger` in the user's state folder, away from the ledger and its secret:
/// one file per ledger, named after the ledger's full path.
fn default_witness(ledger: &Path) -> Result<PathBuf, Failure> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("state"))
        })
        .ok_or_else(|| {
            Failure::from(
                "neither XDG_STATE_HOME nor HOME is set: give the ledger's witness with --witness"
                    .to_string(),
            )
        })?;
    let absolute = std::path::absolute(ledger).unwrap_or_else(|_| ledger.to_path_buf());
    let digest = sha2::Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(state
        .join("timefence")
        .join(format!("ledger-{name}.witness")))
}

fn check_file(
    catalogue: &Option<PathBuf>,
    file: &Path,
    trust: &[PathBuf],
    (ledger, witness): (Option<PathBuf>, Option<PathBuf>),
    at: Option<&str>,
    as_json: bool,
) -> Result<u8, Failure> {
    let text = read_text(file)?;
    let trusted = trusted_keys(catalogue, trust)?;
    let now = match at {
        Some(t) => timefence_terms::chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|_| Failure::from(format!("--at \"{t}\" is not an RFC 3339 instant")))?
            .with_timezone(&timefence_terms::chrono::Utc),
        None => timefence_terms::chrono::Utc::now(),
    };
    let dir = catalogue_path(catalogue.clone())?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let ledger_path = ledger.unwrap_or_else(|| dir.join("usage.ledger"));
    let witness_path = match witness {
        Some(path) => path,
        None => default_witness(&ledger_path)?,
    };
    let secret = ledger_secret(&dir)?;
    let outcome = timefence_license::verify(&text, &trusted)
        .map_err(timefence_license::CheckError::from)
        .and_then(|license| {
            let mut ledger = timefence_license::Ledger::open_witnessed(
                &ledger_path,
                &secret,
                Box::new(timefence_license::FileWitness(witness_path)),
            )?;
            timefence_license::check(&license, now, &mut ledger)
        });
    let (code, value, line) = match outcome {
        Ok(timefence_terms::Decision::Allowed {
            closes_at,
            remaining,
            ..
        }) => (
            EXIT_OK,
            json!({ "decision": "allowed", "closes_at": closes_at.to_rfc3339(), "remaining_seconds": remaining.map(|r| r.num_seconds()) }),
            format!("allowed until {closes_at}"),
        ),
        Ok(timefence_terms::Decision::Denied {
            reason,
            next_opening,
        }) => (
            EXIT_INVALID,
            json!({ "decision": "denied", "reason": format!("{reason:?}"), "next_opening": next_opening.map(|t| t.to_rfc3339()) }),
            format!(
                "denied: {reason:?}; next opening {}",
                next_opening.map_or("never".to_string(), |t| t.to_string())
            ),
        ),
        Err(error) => (
            EXIT_INVALID,
            json!({ "decision": "refused", "reason": format!("{error:?}"), "message": error.to_string() }),
            format!("refused: {error}"),
        ),
    };
    if as_json {
        println!("{value}");
    } else {
        println!("{line}");
    }
    Ok(code)
}
