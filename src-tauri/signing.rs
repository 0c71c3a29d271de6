//! Signing in the app: the key folder beside the catalogue, the passphrase held in memory for a
//! few minutes, bulk exports on a worker thread with progress events, checking a file, and the
//! audit log. Every rule is in `timefence-signing` (keys, issuing), `timefence-license`
//! (verifying) and the engine (may it be used now?); this module only connects them.

use crate::{AppError, AppState};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tauri::Manager;
use tauri_specta::Event;
use timefence_catalogue::{Catalogue, KeyStatus};
use timefence_license::{public_key_pem, TrustedKeys};
use timefence_signing::hold::PassphraseHold;
use timefence_signing::issue::{issue, Destination, IssueError, Signer};
use timefence_signing::{parse_public_pem, KeyError, KeyStore};
use timefence_terms::chrono::{DateTime, Utc};
use timefence_terms::{evaluate, Decision};
use zeroize::Zeroizing;

/// How long a passphrase is kept by default, and the longest an administrator may choose.
pub const DEFAULT_PASSPHRASE_MINUTES: u32 = 5;
const MAX_PASSPHRASE_MINUTES: u32 = 60;
const PASSPHRASE_SETTING: &str = "passphrase_minutes";
/// How often, at most, a bulk export reports its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What the signing screens keep between commands.
#[derive(Default)]
pub struct SigningState {
    /// The passphrase of the active key, in memory only, wiped when its minutes run out.
    held: PassphraseHold,
    cancel: AtomicBool,
    exporting: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl From<KeyError> for AppError {
    fn from(error: KeyError) -> AppError {
        match error {
            KeyError::WrongPassphrase(_) => AppError::InvalidInput {
                field: "passphrase".into(),
                message: error.to_string(),
            },
            KeyError::WeakPassphrase => AppError::InvalidInput {
                field: "passphrase".into(),
                message: error.to_string(),
            },
            KeyError::UnknownKey(_) => AppError::NotFound(error.to_string()),
            KeyError::NotAKey(_) => AppError::InvalidInput {
                field: "file".into(),
                message: error.to_string(),
            },
            KeyError::Io(_) => AppError::Storage(error.to_string()),
        }
    }
}

impl From<IssueError> for AppError {
    fn from(error: IssueError) -> AppError {
        match error {
            IssueError::Catalogue(inner) => inner.into(),
            IssueError::Write { .. } | IssueError::NotPlaced { .. } => {
                AppError::Storage(error.to_string())
            }
        }
    }
}

/// A signing key as the keys screen lists it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct KeyView {
    /// Key id (the first 8 bytes of the public key's SHA-256, hex), as files name it.
    pub key_id: String,
    /// The whole SHA-256 of the public key, in groups of four hex digits.
    pub fingerprint: String,
    /// When it was made.
    pub created_at: String,
    /// active, standby or retired.
    pub status: String,
    /// Whether its encrypted private key is in this catalogue's key folder.
    pub can_sign: bool,
}

/// How hard a passphrase would be to guess.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StrengthView {
    /// Estimated bits.
    pub bits: u32,
    /// too short, weak, fair, good or strong.
    pub verdict: String,
    /// Whether a new key accepts it.
    pub acceptable: bool,
}

/// The held passphrase, as the UI may know it (never the passphrase itself).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SigningStatus {
    /// The key that signs now, if any.
    pub active_key: Option<String>,
    /// Seconds until the held passphrase is forgotten (0: none held).
    pub seconds_left: u32,
    /// How many minutes a passphrase is held.
    pub hold_minutes: u32,
}

/// Which licenses an export signs.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", content = "id")]
pub enum ExportScope {
    /// One license, into a file the save dialog names.
    License(i64),
    /// Every current license of a customer, into a folder.
    Customer(i64),
    /// Every current license of the catalogue, into a folder.
    Everything,
}

/// Progress of a bulk export, sent while it runs.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ExportProgress {
    /// Files written so far.
    pub done: u32,
    /// Files to write.
    pub total: u32,
    /// The license being signed.
    pub current: String,
}

/// What an export did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExportSummary {
    /// Files written.
    pub written: u32,
    /// Files that were to be written.
    pub total: u32,
    /// Where they went (the file for one license, the folder for many).
    pub place: String,
    /// Whether it was cancelled before the end.
    pub cancelled: bool,
    /// Licenses that could not be signed, with why.
    pub failures: Vec<String>,
    /// How long it took, in milliseconds.
    pub millis: u32,
}

/// A license file checked: does it verify, what does it allow, may it be used now?
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct FileCheck {
    /// The file.
    pub path: String,
    /// Whether the signature verifies against a key this catalogue trusts.
    pub verified: bool,
    /// Why not, when it does not (the verifier's words).
    pub problem: Option<String>,
    /// The verifier's reason as a kind the UI can branch on (BadSignature, UnknownKey, ...).
    pub problem_kind: Option<String>,
    /// The key the file names.
    pub key_id: Option<String>,
    /// The customer, license, serial and issue date the file carries.
    pub summary: Option<String>,
    /// The terms the file carries, as the form shows them (unverified when `verified` is false).
    pub terms: Option<crate::views::LicenseEdit>,
    /// The engine's answer for now: "Yes until ..." or "No: ... next opening ...".
    pub may_use_now: Option<String>,
    /// Whether that answer is yes.
    pub allowed_now: bool,
    /// The file's terms on the timeline of today (in their own zone).
    pub timeline: Option<crate::views::TimelineView>,
    /// When the catalogue has issued a newer file of the same license: which, in words.
    pub superseded_by: Option<String>,
}

/// One audit log line.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AuditLine {
    /// `issued` (a license file), `certified` or `withdrawn` (a relay certificate).
    pub event: String,
    /// When it happened.
    pub issued_at: String,
    /// Customer id.
    pub customer_id: i64,
    /// Customer.
    pub customer: String,
    /// License.
    pub license: String,
    /// Revision.
    pub revision: u32,
    /// Serial.
    pub serial: i64,
    /// Signing key.
    pub key_id: String,
    /// SHA-256 of the file.
    pub file_sha256: String,
}

fn key_store(state: &AppState) -> Result<KeyStore, AppError> {
    let folder = state.place().keys.ok_or_else(|| {
        AppError::CatalogueUnavailable("the catalogue has no folder for keys".into())
    })?;
    Ok(KeyStore::open(&folder)?)
}

fn fingerprint(public: &[u8; 32]) -> String {
    let hex: String = Sha256::digest(public)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every key the catalogue knows.
pub fn keys(state: &AppState) -> Result<Vec<KeyView>, AppError> {
    let store = key_store(state)?;
    state.with_catalogue(|c| {
        Ok(c.signing_keys()?
            .into_iter()
            .map(|k| KeyView {
                fingerprint: fingerprint(&k.public_key),
                can_sign: store.public(&k.key_id).is_ok(),
                status: k.status.as_str().to_string(),
                created_at: k.created_at,
                key_id: k.key_id,
            })
            .collect())
    })
}

/// Rates a passphrase.
pub fn rate(passphrase: &str) -> StrengthView {
    let s = timefence_signing::strength(passphrase);
    StrengthView {
        bits: s.bits,
        verdict: s.verdict.to_string(),
        acceptable: s.acceptable,
    }
}

/// Makes a new key with a passphrase typed twice.
pub fn generate(state: &AppState, passphrase: &str, repeated: &str) -> Result<String, AppError> {
    if passphrase != repeated {
        return Err(AppError::InvalidInput {
            field: "repeated".into(),
            message: "the two passphrases differ".into(),
        });
    }
    let store = key_store(state)?;
    let key = store.generate(passphrase)?;
    let registered = register(state, &key);
    if let Err(AppError::NotAllowed(_)) = registered {
        // The team's server refused the key (only its owner records keys): the new key
        // would be of no use, so it is not left on this machine.
        if let Err(error) = store.discard(&key.key_id) {
            tracing::warn!(%error, "a refused key could not be removed");
        }
    }
    registered
}

/// Records a key of the folder in the catalogue (its id, public half and file).
fn register(state: &AppState, key: &timefence_signing::StoredKey) -> Result<String, AppError> {
    state.with_catalogue(|c| {
        c.add_signing_key(
            &key.key_id,
            *key.public_key.as_bytes(),
            key.private_file.to_str(),
        )?;
        Ok(key.key_id.clone())
    })
}

/// Imports an encrypted PKCS#8 key file (made by Timefence or OpenSSL).
pub fn import(state: &AppState, file: &Path, passphrase: &str) -> Result<String, AppError> {
    let pem = std::fs::read_to_string(file)
        .map_err(|e| AppError::Storage(format!("cannot read {}: {e}", file.display())))?;
    let key = key_store(state)?.import(&pem, passphrase)?;
    register(state, &key)
}

/// A relay certificate for a customer's relay, signed with the active key: the file name it
/// is offered under and its text. `public_key_pem` is the relay's public key
/// (`timefence-relay keygen` writes it); `passphrase` as for signing (or the held one).
pub fn certify_relay(
    state: &AppState,
    customer_id: i64,
    public_key_pem: &str,
    passphrase: Option<&str>,
    license_ids: &[i64],
) -> Result<(String, String, timefence_catalogue::RelayCertificateRecord), AppError> {
    let relay_key = parse_public_pem(public_key_pem.trim()).ok_or_else(|| AppError::InvalidInput {
        field: "relay_key".into(),
        message: "Relay's public key: paste the PEM that timefence-relay keygen wrote (-----BEGIN PUBLIC KEY-----)".into(),
    })?;
    let (customer, owned) =
        state.with_catalogue(|c| Ok((c.customer(customer_id)?, c.licenses_of(customer_id)?)))?;
    // The licenses chosen, by the uid a revision keeps; none chosen is every license.
    let mut uids = Vec::with_capacity(license_ids.len());
    for id in license_ids {
        let license = owned
            .iter()
            .find(|l| l.id == *id)
            .ok_or_else(|| AppError::InvalidInput {
                field: "licenses".into(),
                message: format!("Licenses: license {id} is not one of {}'s", customer.name),
            })?;
        uids.push(license.uid.clone());
    }
    let signer = signer(state, passphrase)?;
    let payload = timefence_license::relay::CertificatePayload {
        relay_key: timefence_license::public_key_base64(&relay_key),
        customer: customer.name.clone(),
        customer_uid: Some(customer.uid.clone()),
        licenses: uids,
        issued_at: Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        // A year and a day, as `timefence relay certify` by default: then certified again.
        not_after: Some(
            (Utc::now() + chrono::TimeDelta::days(366))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        ),
    };
    let text = timefence_license::relay::certify(&payload, &signer.key);
    let record = timefence_catalogue::RelayCertificateRecord {
        id: 0,
        customer_id: customer.id,
        relay_key: payload.relay_key.clone(),
        relay_key_id: timefence_license::key_id(&relay_key),
        licenses: payload.licenses.clone(),
        key_id: signer.key_id.clone(),
        issued_at: payload.issued_at.clone(),
        not_after: payload.not_after.clone(),
        withdrawn_at: None,
    };
    let name = format!(
        "{}-relay.cert",
        timefence_signing::issue::file_stem(&customer.name)
    );
    Ok((name, text, record))
}

/// The vendor's signed list of the withdrawn relay certificates, its file name, and how many
/// it names.
pub fn withdrawal_list(
    state: &AppState,
    passphrase: Option<&str>,
) -> Result<(String, String, usize), AppError> {
    let signer = signer(state, passphrase)?;
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (text, count) =
        state.with_catalogue(|c| Ok(timefence_signing::withdrawal_list(c, &signer.key, &now)?))?;
    Ok(("withdrawn-relays.tfw".to_string(), text, count))
}

/// Records a certificate once its file is saved (one the save dialog cancelled is not kept).
pub fn record_certificate(
    state: &AppState,
    record: &timefence_catalogue::RelayCertificateRecord,
) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.record_relay_certificate(record).map(|_| ())?))
}

/// A license a relay certificate can be limited to.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LicenseChoice {
    /// The license.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A customer's current licenses, to limit a certificate to some of them.
pub fn license_choices(state: &AppState, customer_id: i64) -> Result<Vec<LicenseChoice>, AppError> {
    state.with_catalogue(|c| {
        Ok(c.licenses_of(customer_id)?
            .into_iter()
            .map(|l| LicenseChoice {
                id: l.id,
                name: l.name,
            })
            .collect())
    })
}

/// A relay certificate as the Keys screen lists it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RelayCertificateView {
    /// Its id, to withdraw it.
    pub id: i64,
    /// The customer's name (or "(deleted customer)").
    pub customer: String,
    /// The relay's key id.
    pub relay: String,
    /// "every license" or "2 licenses".
    pub scope: String,
    /// When it was signed, YYYY-MM-DD.
    pub issued: String,
    /// When it ends, YYYY-MM-DD, if it does.
    pub until: Option<String>,
    /// When it was withdrawn, YYYY-MM-DD, if it was.
    pub withdrawn: Option<String>,
}

/// The relay certificates this catalogue signed, newest first.
pub fn relay_certificates(state: &AppState) -> Result<Vec<RelayCertificateView>, AppError> {
    state.with_catalogue(|c| {
        let names: std::collections::HashMap<i64, String> = c
            .list_customers()?
            .into_iter()
            .map(|x| (x.id, x.name))
            .collect();
        let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
        Ok(c.relay_certificates(None)?
            .into_iter()
            .map(|r| RelayCertificateView {
                id: r.id,
                customer: names
                    .get(&r.customer_id)
                    .cloned()
                    .unwrap_or_else(|| "(deleted customer)".into()),
                scope: r.scope(),
                relay: r.relay_key_id,
                issued: day(&r.issued_at),
                until: r.not_after.as_deref().map(day),
                withdrawn: r.withdrawn_at.as_deref().map(day),
            })
            .collect())
    })
}

/// Withdraws relay certificate `id`: usage reports its relay signs are refused from now on.
pub fn withdraw_relay_certificate(state: &AppState, id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.withdraw_relay_certificate(id)?))
}

/// A key's public half as PEM.
pub fn public_pem(state: &AppState, key_id: &str) -> Result<String, AppError> {
    let known = state.with_catalogue(|c| Ok(c.signing_keys()?))?;
    let record = known
        .into_iter()
        .find(|k| k.key_id == key_id)
        .ok_or_else(|| AppError::NotFound(format!("there is no signing key {key_id}")))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&record.public_key)
        .map_err(|_| AppError::Storage(format!("key {key_id} is damaged")))?;
    Ok(public_key_pem(&key))
}

fn hold_minutes(catalogue: &Catalogue) -> Result<u32, AppError> {
    Ok(catalogue
        .setting(PASSPHRASE_SETTING)?
        .and_then(|m| m.parse().ok())
        .unwrap_or(DEFAULT_PASSPHRASE_MINUTES))
}

/// How long a passphrase is held; 0 keeps none.
pub fn set_hold_minutes(state: &AppState, minutes: u32) -> Result<(), AppError> {
    if minutes > MAX_PASSPHRASE_MINUTES {
        return Err(AppError::InvalidInput {
            field: "minutes".into(),
            message: format!("a passphrase is held for at most {MAX_PASSPHRASE_MINUTES} minutes"),
        });
    }
    state.with_catalogue(|c| Ok(c.set_setting(PASSPHRASE_SETTING, &minutes.to_string())?))?;
    if minutes == 0 {
        forget(state);
    }
    Ok(())
}

/// Forgets the held passphrase now (also when the window closes or the catalogue changes).
pub fn forget(state: &AppState) {
    state.signing.held.forget();
}

fn active_key(catalogue: &Catalogue) -> Result<Option<String>, AppError> {
    Ok(catalogue
        .signing_keys()?
        .into_iter()
        .find(|k| k.status == KeyStatus::Active)
        .map(|k| k.key_id))
}

/// The active key and how long its passphrase is still held.
pub fn status(state: &AppState) -> Result<SigningStatus, AppError> {
    let (active, minutes) = state.with_catalogue(|c| Ok((active_key(c)?, hold_minutes(c)?)))?;
    let seconds_left = active
        .as_deref()
        .map_or(0, |key| state.signing.held.seconds_left(key));
    Ok(SigningStatus {
        active_key: active,
        seconds_left,
        hold_minutes: minutes,
    })
}

/// The active key, unlocked with `passphrase` (which is then held) or with the held one.
fn signer(state: &AppState, passphrase: Option<&str>) -> Result<Signer, AppError> {
    let (active, minutes) = state.with_catalogue(|c| Ok((active_key(c)?, hold_minutes(c)?)))?;
    let key_id = active.ok_or_else(|| {
        AppError::Conflict("no key signs yet: generate or import one on the Keys screen".into())
    })?;
    let store = key_store(state)?;
    let held = &state.signing.held;
    let phrase: Zeroizing<String> = match passphrase {
        Some(p) => Zeroizing::new(p.to_string()),
        None => held
            .get(&key_id)
            .ok_or_else(|| AppError::PassphraseNeeded(key_id.clone()))?,
    };
    let key = store.unlock(&key_id, &phrase)?;
    if minutes > 0 {
        held.hold(
            &key_id,
            phrase,
            Duration::from_secs(u64::from(minutes) * 60),
        );
    } else {
        held.forget();
    }
    Ok(Signer { key_id, key })
}

fn scope_ids(state: &AppState, scope: &ExportScope) -> Result<Vec<i64>, AppError> {
    state.with_catalogue(|c| {
        Ok(match scope {
            ExportScope::License(id) => vec![*id],
            ExportScope::Customer(id) => {
                c.customer(*id)?;
                c.current_license_ids(Some(*id))?
            }
            ExportScope::Everything => c.current_license_ids(None)?,
        })
    })
}

/// The name a single file is offered under: with the serial it will carry, like the files of
/// a bulk export.
fn single_file_name(state: &AppState, id: i64) -> Result<String, AppError> {
    state.with_catalogue(|c| {
        let license = c.license(id)?;
        let customer = c.customer(license.customer_id)?;
        Ok(timefence_signing::issue::file_name(
            &customer.name,
            &license.name,
            Some(c.next_serial()?),
        ))
    })
}

/// One license an export would sign, and what the administrator should know first.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanItem {
    /// The license.
    pub license_id: i64,
    /// Its customer's name.
    pub customer: String,
    /// Its name.
    pub name: String,
    /// "2027-01-01 to 2027-12-31".
    pub validity: String,
    /// ready, expired or not yet valid (on today's date in the license's zone).
    pub status: String,
    /// The serial it was issued under, when it was.
    pub issued_serial: Option<i64>,
    /// What signing it means, in words ("issued as serial 4; signing again issues serial 5
    /// and supersedes it").
    pub note: String,
    /// Whether the export signs it (expired licenses only when asked).
    pub included: bool,
}

/// What an export is about to sign.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SignPlan {
    /// The licenses, in the order they would be signed; at most [`PLAN_ITEMS_SHOWN`] are listed.
    pub items: Vec<PlanItem>,
    /// How many files the export writes.
    pub included: u32,
    /// Expired licenses left out (signed only when asked).
    pub expired_left_out: u32,
    /// How many licenses are expired, not yet valid, or already issued (worth a look).
    pub attention: u32,
}

/// The most licenses a plan lists one by one (a bulk export may sign thousands).
pub const PLAN_ITEMS_SHOWN: usize = 200;

/// Which of `scope`'s licenses an export signs today, and what each one's state means.
/// Expired licenses are left out unless asked for, whether one license is signed or many.
pub fn plan(
    state: &AppState,
    scope: &ExportScope,
    include_expired: bool,
    now: DateTime<Utc>,
) -> Result<(Vec<i64>, SignPlan), AppError> {
    let ids = scope_ids(state, scope)?;
    state.with_catalogue(|c| {
        let mut next = c.next_serial()?;
        let mut signed = Vec::with_capacity(ids.len());
        let (mut items, mut reissued) = (Vec::new(), Vec::new());
        let (mut expired_left_out, mut attention) = (0u32, 0u32);
        let mut names: std::collections::HashMap<i64, String> = Default::default();
        for id in ids {
            let license = c.license(id)?;
            let today = now.with_timezone(&license.terms.zone).date_naive();
            let status = if license.terms.end_date < today {
                "expired"
            } else if license.terms.start_date > today {
                "not yet valid"
            } else {
                "ready"
            };
            // One rule for every dialog, one license or many: an expired license is named, and
            // signed only when asked for.
            let included = status != "expired" || include_expired;
            let issued_serial = c.issued_serial(id)?;
            let mut notes = Vec::new();
            match status {
                "expired" if included => notes.push(format!("expired on {}", license.terms.end_date)),
                "expired" => notes.push(format!("expired on {}; left out", license.terms.end_date)),
                "not yet valid" => notes.push(format!("valid from {}", license.terms.start_date)),
                _ => {}
            }
            if let Some(serial) = issued_serial {
                notes.push(if included {
                    format!("issued as serial {serial}; signing again issues serial {next} and supersedes it")
                } else {
                    format!("issued as serial {serial}")
                });
            }
            if status != "ready" || issued_serial.is_some() {
                attention += 1;
            }
            if included {
                signed.push(id);
                next += 1;
            } else {
                expired_left_out += 1;
            }
            // Issued licenses first: signing one again supersedes the file the customer has,
            // which matters more than a thousand expired ones listed before it.
            let listed = if issued_serial.is_some() { &mut reissued } else { &mut items };
            if listed.len() < PLAN_ITEMS_SHOWN && (status != "ready" || issued_serial.is_some() || listed.len() < 20) {
                let customer = match names.get(&license.customer_id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = c.customer(license.customer_id)?.name;
                        names.insert(license.customer_id, name.clone());
                        name
                    }
                };
                listed.push(PlanItem {
                    license_id: id,
                    customer,
                    name: license.name.clone(),
                    validity: format!("{} to {}", license.terms.start_date, license.terms.end_date),
                    status: status.to_string(),
                    issued_serial,
                    note: notes.join("; "),
                    included,
                });
            }
        }
        reissued.extend(items);
        reissued.truncate(PLAN_ITEMS_SHOWN);
        let plan = SignPlan {
            items: reissued,
            included: u32::try_from(signed.len()).unwrap_or(u32::MAX),
            expired_left_out,
            attention,
        };
        Ok((signed, plan))
    })
}

/// Where an export writes.
#[derive(Debug, Clone)]
pub enum Place {
    /// One file, named by the save dialog.
    File(PathBuf),
    /// A folder, each file named after its customer, license and serial.
    Folder(PathBuf),
}

/// The licenses of `scope` and the unlocked active key: what an export needs before it asks
/// where to write.
pub fn prepare(
    state: &AppState,
    scope: &ExportScope,
    passphrase: Option<&str>,
    include_expired: bool,
) -> Result<(Vec<i64>, Signer), AppError> {
    let (ids, _) = plan(state, scope, include_expired, Utc::now())?;
    if ids.is_empty() {
        return Err(AppError::NotFound("there are no licenses to sign".into()));
    }
    Ok((ids, signer(state, passphrase)?))
}

/// Signs `ids` into `place`, taking the catalogue for one license at a time so the window's
/// other requests go on. A separate ticker reports progress every 100 ms whatever a single
/// file costs (a slow disk can hold one write for longer), and once more at the end. Stops
/// between two files when [`cancel`] is called; every file written is whole.
pub fn run_export(
    state: &AppState,
    ids: Vec<i64>,
    signer: &Signer,
    place: &Place,
    report: impl FnMut(ExportProgress) + Send,
) -> Result<ExportSummary, AppError> {
    if state.signing.exporting.swap(true, Ordering::SeqCst) {
        return Err(AppError::Conflict("an export is already running".into()));
    }
    state.signing.cancel.store(false, Ordering::SeqCst);
    let started = Instant::now();
    let total = ids.len() as u32;
    let handled = AtomicU32::new(0);
    let current = Mutex::new(String::new());
    let finished = AtomicBool::new(false);
    let report = Mutex::new(report);
    let snapshot = || ExportProgress {
        done: handled.load(Ordering::SeqCst),
        total,
        current: lock(&current).clone(),
    };
    let mut written = 0u32;
    let mut failures = Vec::new();
    let mut cancelled = false;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut next = Instant::now();
            while !finished.load(Ordering::SeqCst) {
                if Instant::now() >= next {
                    (lock(&report))(snapshot());
                    next += PROGRESS_EVERY;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        for id in ids {
            if state.signing.cancel.load(Ordering::SeqCst) {
                cancelled = true;
                break;
            }
            let target = match place {
                Place::File(file) => Destination::File(file),
                Place::Folder(folder) => Destination::Folder(folder),
            };
            let result =
                state.with_catalogue(|c| Ok(issue(c, signer, id, target, None, Utc::now())?));
            *lock(&current) = match result {
                Ok(issued) => {
                    written += 1;
                    format!("{} / {}", issued.customer, issued.license)
                }
                Err(error) => {
                    failures.push(format!("license {id}: {error}"));
                    format!("license {id}")
                }
            };
            handled.fetch_add(1, Ordering::SeqCst);
        }
        finished.store(true, Ordering::SeqCst);
    });
    *lock(&current) = String::new();
    (lock(&report))(snapshot());
    state.signing.exporting.store(false, Ordering::SeqCst);
    Ok(ExportSummary {
        written,
        total,
        place: match place {
            Place::File(p) | Place::Folder(p) => p.display().to_string(),
        },
        cancelled,
        failures,
        millis: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
    })
}

/// The whole export as the window runs it: unlock, ask where, sign, with progress events.
pub fn export(
    app: &tauri::AppHandle,
    scope: ExportScope,
    passphrase: Option<String>,
    include_expired: bool,
) -> Result<ExportSummary, AppError> {
    let state = app.state::<AppState>();
    let (ids, signer) = prepare(&state, &scope, passphrase.as_deref(), include_expired)?;
    let place = match scope {
        ExportScope::License(id) => Place::File(crate::export::choose_save_path(
            app,
            &single_file_name(&state, id)?,
        )?),
        _ => Place::Folder(crate::export::choose_folder(app)?),
    };
    run_export(&state, ids, &signer, &place, |progress| {
        let _ = progress.emit(app);
    })
}

/// Asks a running export to stop after the file it is writing.
pub fn cancel(state: &AppState) {
    state.signing.cancel.store(true, Ordering::SeqCst);
}

fn trusted(catalogue: &Catalogue) -> Result<TrustedKeys, AppError> {
    Ok(timefence_signing::catalogue_keys(catalogue)?)
}

fn answer(decision: &Decision, zone: timefence_terms::chrono_tz::Tz) -> (bool, String) {
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    match decision {
        Decision::Allowed { closes_at, .. } => (true, format!("Yes, until {}", local(*closes_at))),
        Decision::Denied {
            reason,
            next_opening,
        } => {
            let next = next_opening
                .as_ref()
                .map(|o| format!("; next opening {}", local(*o)))
                .unwrap_or_else(|| "; it does not open again".to_string());
            (false, format!("No: {reason}{next}"))
        }
    }
}

/// Verifies a license file against the catalogue's keys and, when its terms can be read,
/// shows them on today's timeline and asks the engine whether it may be used now.
pub fn check(state: &AppState, path: &Path, now: DateTime<Utc>) -> Result<FileCheck, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Storage(format!("cannot read {}: {e}", path.display())))?;
    let keys = state.with_catalogue(|c| trusted(c))?;
    let mut check = FileCheck {
        path: path.display().to_string(),
        verified: false,
        problem: None,
        problem_kind: None,
        key_id: text
            .lines()
            .find_map(|l| l.strip_prefix("key: "))
            .map(str::to_string),
        summary: None,
        terms: None,
        may_use_now: None,
        allowed_now: false,
        timeline: None,
        superseded_by: None,
    };
    let payload = match timefence_license::verify(&text, &keys) {
        Ok(verified) => {
            check.verified = true;
            Some(verified.payload)
        }
        Err(error) => {
            check.problem_kind = Some(error.kind().to_string());
            check.problem = Some(error.to_string());
            // The terms are still shown, marked as not verified, when the payload reads.
            timefence_license::signed_message_and_signature(&text)
                .ok()
                .and_then(|(message, _)| {
                    serde_json::from_slice(&message[timefence_license::DOMAIN.len()..]).ok()
                })
        }
    };
    let Some(payload) = payload else {
        return Ok(check);
    };
    let payload: timefence_license::LicensePayload = payload;
    // A verifier that has seen the newer file refuses this one (Superseded); say so here too.
    if let Some(uid) = payload.uid.as_deref().filter(|_| check.verified) {
        if let Some((serial, revision)) = state.with_catalogue(|c| Ok(c.newest_issue_of(uid)?))? {
            if serial > payload.serial {
                check.superseded_by = Some(format!(
                    "This catalogue has issued a newer file of this license since: serial {serial} (revision {revision}). Where the customer has used that one, this file is refused as superseded; send the customer the newer file."
                ));
            }
        }
    }
    check.summary = Some(format!(
        "{} / {}, revision {}, serial {}, issued {}",
        payload.customer, payload.name, payload.revision, payload.serial, payload.issued_at
    ));
    if let Ok(terms) = payload.terms.validate() {
        let (allowed, text) = answer(&evaluate(&terms, now, Default::default()), terms.zone);
        check.allowed_now = allowed && check.verified;
        check.may_use_now = Some(if check.verified {
            text
        } else {
            format!("Not to be trusted: the file does not verify. (Its terms would say: {text})")
        });
        check.terms = Some(crate::views::LicenseEdit::from_terms(&payload.name, &terms));
        check.timeline = Some(crate::views::file_timeline(
            &payload.customer,
            &payload.name,
            &terms,
            now,
        )?);
    }
    Ok(check)
}

/// The audit log, narrowed.
pub fn audit(
    state: &AppState,
    customer: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<AuditLine>, AppError> {
    let rows = state.with_catalogue(|c| Ok(c.audit_rows(customer, from, to)?))?;
    Ok(rows
        .into_iter()
        .map(|r| AuditLine {
            event: r.event,
            issued_at: r.issued_at,
            customer_id: r.customer_id,
            customer: r.customer,
            license: r.license,
            revision: r.revision,
            serial: r.serial,
            key_id: r.key_id,
            file_sha256: r.file_sha256,
        })
        .collect())
}
