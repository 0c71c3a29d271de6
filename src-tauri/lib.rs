//! # timefence-app: the Timefence desktop shell
//!
//! A thin Tauri shell: each command takes the app's state, calls one library function
//! (`timefence-catalogue` for storage, `timefence-terms` for every rule) and maps the result
//! into a typed view or an [`AppError`]. The TypeScript bindings for the UI are generated from
//! [`specta_builder`], the same builder [`run`] uses, and committed in `ui/src/lib/bindings.ts`.
#![deny(missing_docs)]

pub mod admin;
mod error;
pub mod export;
mod live;
pub mod roster;
pub mod signing;
pub mod usage;
pub mod views;

pub use error::{AppError, FieldProblem};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;
use tauri::Manager;
use tauri_specta::Event;
use timefence_catalogue::{Catalogue, FirstRun};
use views::TimelineView;

/// The environment variable that points the app at a catalogue file.
pub const CATALOGUE_ENV: &str = "TIMEFENCE_CATALOGUE";
/// The command-line flag that does the same (and wins over the variable).
pub const CATALOGUE_FLAG: &str = "--catalogue";

/// The catalogue, or why it could not be opened (the window still opens, says so, and offers to
/// restore a backup).
pub struct AppState {
    catalogue: Mutex<Result<Catalogue, String>>,
    /// Where the open catalogue lives; it changes when the demo is opened or left.
    place: Mutex<Place>,
    /// The administrator's own catalogue file, to come back to from the demo.
    own: Option<PathBuf>,
    /// The held passphrase and the running export.
    signing: signing::SigningState,
    /// What opening the catalogue found of signings that stopped part way, and did about
    /// them, in words; shown once at start.
    recovered: Mutex<Vec<String>>,
    /// The open team catalogue's URL, password included (kept for the live listener only).
    team_url: Mutex<Option<String>>,
}

/// The open catalogue's file and the folders beside it.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The catalogue file.
    pub path: Option<PathBuf>,
    /// A team catalogue's address instead, its password left out (what the window shows).
    pub team: Option<String>,
    /// Where backups go: a `backups` folder beside the catalogue file.
    pub backups: Option<PathBuf>,
    /// The key folder: `keys` beside the catalogue file, as for the command-line tool.
    pub keys: Option<PathBuf>,
}

impl Place {
    fn of(path: &std::path::Path) -> Place {
        Place {
            path: Some(path.to_path_buf()),
            team: None,
            backups: path.parent().map(|dir| dir.join("backups")),
            keys: path.parent().map(|dir| dir.join("keys")),
        }
    }

    /// A team catalogue at `url`: no file and no backups folder here (the team's server keeps
    /// it; `timefence backup --from` copies it), and the signing keys of this machine's own
    /// catalogue, since a signer's private keys never leave their machine.
    fn of_team(url: &str, own: Option<&std::path::Path>) -> Place {
        Place {
            path: None,
            team: Some(timefence_catalogue::redacted(url)),
            backups: None,
            keys: own.and_then(|p| p.parent()).map(|dir| dir.join("keys")),
        }
    }
}

impl AppState {
    /// Where the open catalogue lives.
    pub fn place(&self) -> Place {
        self.place.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs `f` on the open catalogue, holding it for that long.
    pub fn with_catalogue<T>(
        &self,
        f: impl FnOnce(&mut Catalogue) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        let mut guard = self
            .catalogue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &mut *guard {
            Ok(catalogue) => f(catalogue),
            Err(reason) => Err(AppError::CatalogueUnavailable(reason.clone())),
        }
    }
}

/// Where the catalogue lives: `--catalogue PATH` (or `--catalogue=PATH`), else
/// `$TIMEFENCE_CATALOGUE`, else `None` for the platform's app data folder.
pub fn catalogue_override(args: &[String], env: Option<String>) -> Option<PathBuf> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == CATALOGUE_FLAG {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--catalogue=") {
            return Some(PathBuf::from(path));
        }
    }
    env.filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// A page of customers by name, filtered by what was typed in the search box.
#[tauri::command(async)]
#[specta::specta]
fn customers_page(
    state: tauri::State<'_, AppState>,
    filter: String,
    offset: u32,
    limit: u32,
) -> Result<views::CustomerPage, AppError> {
    state.with_catalogue(|c| views::customers_page(c, &filter, offset, limit))
}

/// Backs the open catalogue up into a new file in the backups folder beside it (SQLite's online
/// backup, while the app runs) and returns the file's path.
#[tauri::command(async)]
#[specta::specta]
fn backup_catalogue(state: tauri::State<'_, AppState>) -> Result<String, AppError> {
    let folder = state.place().backups.ok_or_else(|| {
        AppError::CatalogueUnavailable("the catalogue has no folder for backups".into())
    })?;
    state.with_catalogue(|c| views::backup(c, &folder, timefence_terms::chrono::Utc::now()))
}

/// Changes a license's terms or name; returns the license's id as it now stands (a new
/// revision when the license had been issued).
#[tauri::command(async)]
#[specta::specta]
fn edit_license(
    state: tauri::State<'_, AppState>,
    license_id: i64,
    started_from: Option<u32>,
    edit: views::LicenseEdit,
) -> Result<views::SavedLicense, AppError> {
    state.with_catalogue(|c| views::edit_license(c, license_id, started_from, &edit))
}

/// Adds a draft license to a customer; returns its id.
#[tauri::command(async)]
#[specta::specta]
fn create_license(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    edit: views::LicenseEdit,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| views::create_license(c, customer_id, &edit))
}

/// The terms of a new license drawn across part of the shown day.
#[tauri::command(async)]
#[specta::specta]
fn draft_from_span(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    day: views::DayChoice,
    from_seconds: u32,
    to_seconds: u32,
) -> Result<views::LicenseEdit, AppError> {
    state.with_catalogue(|c| views::draft_from_span(c, customer_id, &day, from_seconds, to_seconds))
}

/// The terms "+ New license" starts from: the shift after the customer's latest license.
#[tauri::command(async)]
#[specta::specta]
fn draft_next(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    day: views::DayChoice,
) -> Result<views::LicenseEdit, AppError> {
    state.with_catalogue(|c| views::draft_next(c, customer_id, &day))
}

/// The last day of a whole default term starting on `start`.
#[tauri::command(async)]
#[specta::specta]
fn term_end(start: String) -> Result<String, AppError> {
    views::term_end(&start)
}

/// Moves a draft license to the trash (undo brings it back).
#[tauri::command(async)]
#[specta::specta]
fn delete_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.delete_license(license_id)?))
}

/// Brings a deleted license back.
#[tauri::command(async)]
#[specta::specta]
fn restore_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.restore_license(license_id)?))
}

/// Copies a license into a new draft; returns the copy's id.
#[tauri::command(async)]
#[specta::specta]
fn duplicate_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<i64, AppError> {
    state.with_catalogue(|c| Ok(c.duplicate_license(license_id)?))
}

/// Adds a customer; returns its id.
#[tauri::command(async)]
#[specta::specta]
fn add_customer(
    state: tauri::State<'_, AppState>,
    name: String,
    default_zone: String,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| Ok(c.add_named_customer(&name, &default_zone)?))
}

/// The welcome screen's first customer and the product it is sold, in one step.
#[tauri::command(async)]
#[specta::specta]
fn start_catalogue(
    state: tauri::State<'_, AppState>,
    first: admin::FirstStart,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| admin::start_catalogue(c, &first))
}

/// Renames a customer or changes its default zone.
#[tauri::command(async)]
#[specta::specta]
fn update_customer(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    started_from: Option<u32>,
    name: String,
    default_zone: String,
) -> Result<u32, AppError> {
    state.with_catalogue(|c| match started_from {
        Some(from) => Ok(c.update_customer_from(customer_id, from, &name, &default_zone)?),
        None => {
            c.update_customer(customer_id, &name, &default_zone)?;
            Ok(c.customer(customer_id)?.edits)
        }
    })
}

/// Moves a customer and its licenses to the trash (undo brings them back).
#[tauri::command(async)]
#[specta::specta]
fn delete_customer(state: tauri::State<'_, AppState>, customer_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.delete_customer(customer_id)?))
}

/// Brings a deleted customer back with its licenses.
#[tauri::command(async)]
#[specta::specta]
fn restore_customer(state: tauri::State<'_, AppState>, customer_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.restore_customer(customer_id)?))
}

/// Every IANA zone name.
#[tauri::command(async)]
#[specta::specta]
fn time_zones() -> Vec<String> {
    views::time_zones()
}

/// A license's window as an iCalendar recurring event.
#[tauri::command(async)]
#[specta::specta]
fn license_calendar(
    state: tauri::State<'_, AppState>,
    license_id: i64,
) -> Result<views::CalendarFile, AppError> {
    state.with_catalogue(|c| {
        views::license_calendar(c, license_id, timefence_terms::chrono::Utc::now())
    })
}

/// Asks where to save an export (the system save dialog, or the test-only folder) and writes
/// it there; returns the path written.
#[tauri::command(async)]
#[specta::specta]
async fn save_export(
    app: tauri::AppHandle,
    file_name: String,
    contents: String,
    encoding: export::Encoding,
) -> Result<String, AppError> {
    let bytes = export::decode(&contents, encoding)?;
    let path = export::choose_save_path(&app, &file_name)?;
    export::write_atomically(&path, &bytes)?;
    Ok(path.display().to_string())
}

/// A preview of the timeline with one license's terms replaced (or a new one added), saving
/// nothing: what the timeline shows at each step of a drag.
#[tauri::command(async)]
#[specta::specta]
fn preview_timeline(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    day: views::DayChoice,
    license_id: Option<i64>,
    edit: views::LicenseEdit,
) -> Result<views::TimelinePreview, AppError> {
    state.with_catalogue(|c| {
        views::preview_changes(
            c,
            customer_id,
            &day,
            license_id,
            &edit,
            timefence_terms::chrono::Utc::now(),
        )
    })
}

/// Concurrent seats on a date, by hour or quarter-hour, across the chosen customers (the whole
/// catalogue when none are chosen).
#[tauri::command(async)]
#[specta::specta]
fn forecast(
    state: tauri::State<'_, AppState>,
    date: String,
    zone: String,
    bucket_minutes: u32,
    customer_ids: Vec<i64>,
) -> Result<views::ForecastView, AppError> {
    state.with_catalogue(|c| views::forecast(c, &date, &zone, bucket_minutes, &customer_ids))
}

/// Where the catalogue is, why it could not be opened (if so) and the backups beside it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CatalogueStatus {
    /// The catalogue file.
    pub path: Option<String>,
    /// Why it could not be opened, if it could not.
    pub problem: Option<String>,
    /// Backups in the folder beside it, newest first.
    pub backups: Vec<String>,
    /// Signings that had stopped part way and what opening the catalogue did about them (each
    /// told once).
    pub recovered: Vec<String>,
}

/// The catalogue's state at start: open, or why not, with the backups that could replace it.
#[tauri::command(async)]
#[specta::specta]
fn catalogue_status(state: tauri::State<'_, AppState>) -> CatalogueStatus {
    let problem = match &*state.catalogue.lock().unwrap_or_else(|p| p.into_inner()) {
        Ok(_) => None,
        Err(reason) => Some(reason.clone()),
    };
    let place = state.place();
    let mut backups: Vec<String> = place
        .backups
        .as_ref()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "sqlite"))
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    backups.sort_unstable_by(|a, b| b.cmp(a));
    CatalogueStatus {
        path: place.path.as_ref().map(|p| p.display().to_string()),
        problem,
        backups,
        recovered: std::mem::take(&mut *state.recovered.lock().unwrap_or_else(|p| p.into_inner())),
    }
}

/// Restores the catalogue from a backup (`backup`, or one chosen in the open dialog): in place
/// while it is open; when it could not be opened, the file is set aside and replaced.
#[tauri::command(async)]
#[specta::specta]
async fn restore_catalogue(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    backup: Option<String>,
) -> Result<String, AppError> {
    let backup = match backup {
        Some(path) => PathBuf::from(path),
        None => export::choose_open_path(&app, "Catalogue backup", &["sqlite", "db"])?,
    };
    let path = state
        .place()
        .path
        .ok_or_else(|| AppError::CatalogueUnavailable("no catalogue file".into()))?;
    // The passphrase belongs to the catalogue it was typed for: a restored catalogue may name
    // other keys, so it is asked again.
    signing::forget(&state);
    let mut guard = state.catalogue.lock().unwrap_or_else(|p| p.into_inner());
    match &mut *guard {
        Ok(catalogue) => catalogue.restore_from(&backup)?,
        Err(_) => {
            let opened = Catalogue::replace_with_backup(&path, &backup)?;
            *guard = Ok(opened.catalogue);
        }
    }
    tracing::info!(backup = %backup.display(), "catalogue restored from a backup");
    Ok(backup.display().to_string())
}

/// Called by the window when its first timeline is painted: logs and returns the time since
/// launch in milliseconds (only the first call counts).
#[tauri::command(async)]
#[specta::specta]
fn app_painted() -> u32 {
    static REPORTED: OnceLock<u32> = OnceLock::new();
    *REPORTED.get_or_init(|| {
        let millis = LAUNCHED
            .get()
            .map(|t| t.elapsed().as_millis() as u32)
            .unwrap_or(0);
        tracing::info!(millis, "first paint");
        eprintln!("timefence: first paint {millis} ms after launch");
        millis
    })
}

/// Opens the folder of the app's logs in the file manager.
#[tauri::command(async)]
#[specta::specta]
fn open_log_folder(app: tauri::AppHandle) -> Result<(), AppError> {
    open_logs(&app)
}

/// The signing keys.
#[tauri::command(async)]
#[specta::specta]
fn signing_keys(state: tauri::State<'_, AppState>) -> Result<Vec<signing::KeyView>, AppError> {
    signing::keys(&state)
}

/// How hard a passphrase would be to guess.
#[tauri::command(async)]
#[specta::specta]
fn passphrase_strength(passphrase: String) -> signing::StrengthView {
    signing::rate(&passphrase)
}

/// Makes a new signing key (the first becomes the active one); returns its id.
#[tauri::command(async)]
#[specta::specta]
fn generate_key(
    state: tauri::State<'_, AppState>,
    passphrase: String,
    repeated: String,
) -> Result<String, AppError> {
    signing::generate(&state, &passphrase, &repeated)
}

/// Imports an encrypted private key file chosen in the open dialog; returns its id.
#[tauri::command(async)]
#[specta::specta]
async fn import_key(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    passphrase: String,
) -> Result<String, AppError> {
    let file = export::choose_open_path(&app, "PEM key", &["pem", "key"])?;
    signing::import(&state, &file, &passphrase)
}

/// Makes a key the one that signs.
#[tauri::command(async)]
#[specta::specta]
fn activate_key(state: tauri::State<'_, AppState>, key_id: String) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.set_active_key(&key_id)?))
}

/// Retires a key: it signs no more, and files it signed still verify.
#[tauri::command(async)]
#[specta::specta]
fn retire_key(state: tauri::State<'_, AppState>, key_id: String) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.retire_key(&key_id)?))
}

/// Saves a key's public half as PEM where the save dialog says; returns the path.
#[tauri::command(async)]
#[specta::specta]
async fn export_public_key(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    key_id: String,
) -> Result<String, AppError> {
    let pem = signing::public_pem(&state, &key_id)?;
    let path = export::choose_save_path(&app, &format!("timefence-{key_id}.pub.pem"))?;
    export::write_atomically(&path, pem.as_bytes())?;
    Ok(path.display().to_string())
}

/// Certifies a customer's relay: signs, with the active key, a certificate binding the relay's
/// public key to the customer, and saves it where the save dialog says; returns the path.
#[tauri::command(async)]
#[specta::specta]
async fn certify_relay(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    public_key_pem: String,
    passphrase: Option<String>,
    license_ids: Vec<i64>,
) -> Result<String, AppError> {
    let (name, text, record) = signing::certify_relay(
        &state,
        customer_id,
        &public_key_pem,
        passphrase.as_deref(),
        &license_ids,
    )?;
    let path = export::choose_save_path(&app, &name)?;
    export::write_atomically(&path, text.as_bytes())?;
    signing::record_certificate(&state, &record)?;
    Ok(path.display().to_string())
}

/// Signs the list of withdrawn relay certificates and saves it where the save dialog says;
/// returns the path and how many certificates it names.
#[tauri::command(async)]
#[specta::specta]
async fn save_withdrawal_list(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    passphrase: Option<String>,
) -> Result<(String, u32), AppError> {
    let (name, text, count) = signing::withdrawal_list(&state, passphrase.as_deref())?;
    let path = export::choose_save_path(&app, &name)?;
    export::write_atomically(&path, text.as_bytes())?;
    Ok((
        path.display().to_string(),
        u32::try_from(count).unwrap_or(u32::MAX),
    ))
}

/// A customer's current licenses, to limit a relay certificate to some of them.
#[tauri::command(async)]
#[specta::specta]
fn license_choices(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Vec<signing::LicenseChoice>, AppError> {
    signing::license_choices(&state, customer_id)
}

/// The active key and how long its passphrase is still held.
#[tauri::command(async)]
#[specta::specta]
fn signing_status(state: tauri::State<'_, AppState>) -> Result<signing::SigningStatus, AppError> {
    signing::status(&state)
}

/// How many minutes a passphrase is held after signing (0: never held).
#[tauri::command(async)]
#[specta::specta]
fn set_passphrase_minutes(state: tauri::State<'_, AppState>, minutes: u32) -> Result<(), AppError> {
    signing::set_hold_minutes(&state, minutes)
}

/// Forgets the held passphrase.
#[tauri::command(async)]
#[specta::specta]
fn forget_passphrase(state: tauri::State<'_, AppState>) {
    signing::forget(&state)
}

/// Signs one license, a customer's or the whole catalogue's into `.lic` files, marks them
/// issued and audits them; progress comes as `ExportProgress` events.
#[tauri::command(async)]
#[specta::specta]
async fn sign_and_export(
    app: tauri::AppHandle,
    scope: signing::ExportScope,
    passphrase: Option<String>,
    include_expired: bool,
) -> Result<signing::ExportSummary, AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        signing::export(&app, scope, passphrase, include_expired)
    })
    .await
    .map_err(|e| AppError::Storage(format!("the export stopped: {e}")))?
}

/// Which catalogue is open and whether it is empty.
#[tauri::command(async)]
#[specta::specta]
fn catalogue_info(state: tauri::State<'_, AppState>) -> Result<admin::CatalogueInfo, AppError> {
    let place = state.place();
    let own = state.own_path();
    state.with_catalogue(|c| admin::info(c, &place, own.as_deref()))
}

/// Opens the demo catalogue (this month's, made beside the administrator's own on first use).
#[tauri::command(async)]
#[specta::specta]
fn open_demo(state: tauri::State<'_, AppState>) -> Result<admin::CatalogueInfo, AppError> {
    let today = timefence_terms::chrono::Local::now().date_naive();
    state.open_demo_of(today)?;
    let own = state.own_path();
    state.with_catalogue(|c| admin::info(c, &state.place(), own.as_deref()))
}

/// Connects to a team catalogue (File › Connect to a team catalogue…): the address, and the
/// member's password when the server asks for one. The address is remembered on this machine.
#[tauri::command(async)]
#[specta::specta]
fn connect_team(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    address: String,
    password: String,
) -> Result<admin::CatalogueInfo, AppError> {
    let url = state.connect_team(&address, &password)?;
    live::start(app, url);
    state.with_catalogue(|c| admin::info(c, &state.place(), state.own_path().as_deref()))
}

/// The team catalogue this machine connected to last (to fill in the connect dialog).
#[tauri::command(async)]
#[specta::specta]
fn remembered_team(state: tauri::State<'_, AppState>) -> Option<String> {
    state.remembered_team()
}

/// Leaves the team catalogue for one's own file.
#[tauri::command(async)]
#[specta::specta]
fn leave_team(state: tauri::State<'_, AppState>) -> Result<admin::CatalogueInfo, AppError> {
    state.leave_team()?;
    state.with_catalogue(|c| admin::info(c, &state.place(), state.own_path().as_deref()))
}

/// Goes back from the demo to the administrator's own catalogue.
#[tauri::command(async)]
#[specta::specta]
fn open_own_catalogue(state: tauri::State<'_, AppState>) -> Result<admin::CatalogueInfo, AppError> {
    let path = state
        .own_path()
        .ok_or_else(|| AppError::CatalogueUnavailable("no catalogue file".into()))?;
    state.switch_to(&path, None)?;
    let own = state.own_path();
    state.with_catalogue(|c| admin::info(c, &state.place(), own.as_deref()))
}

/// A term from `start` to `end` (YYYY-MM-DD) in words ("12 months", "90 days"), or an empty
/// text when either date is not one yet.
#[tauri::command(async)]
#[specta::specta]
fn term_length(start: String, end: String) -> String {
    let parse = |t: &str| timefence_terms::chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d");
    match (parse(&start), parse(&end)) {
        (Ok(start), Ok(end)) if start <= end => timefence_terms::term_label(start, end),
        _ => String::new(),
    }
}

/// The daily window from `start` to `end` in words ("whole day (24 h)", "8 h, ends the next
/// day"), or an empty text while either is not a time yet.
#[tauri::command(async)]
#[specta::specta]
fn window_length(start: String, end: String) -> String {
    use timefence_terms::{DailyWindow, WallTime};
    WallTime::parse(&start)
        .zip(WallTime::parse(&end))
        .and_then(|(s, e)| DailyWindow::new(s, e))
        .map(DailyWindow::describe)
        .unwrap_or_default()
}

/// Why a customer cannot be deleted (its issued licenses stay on record), or nothing when it
/// can: the window asks before it promises that Undo brings a deletion back.
#[tauri::command(async)]
#[specta::specta]
fn customer_deletion_blocker(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Option<String>, AppError> {
    state.with_catalogue(|c| {
        Ok(c.customer_deletion_blocker(customer_id)?
            .map(|blocker| match blocker {
                timefence_catalogue::CatalogueError::IssuedKept { name } => {
                    format!("{name} has been issued and stays on record")
                }
                other => other.to_string(),
            }))
    })
}

/// Every product with its price books.
#[tauri::command(async)]
#[specta::specta]
fn products(state: tauri::State<'_, AppState>) -> Result<Vec<admin::ProductView>, AppError> {
    state.with_catalogue(|c| admin::products(c))
}

/// Adds a product with no price yet.
#[tauri::command(async)]
#[specta::specta]
fn add_product(
    state: tauri::State<'_, AppState>,
    name: String,
) -> Result<admin::ProductView, AppError> {
    state.with_catalogue(|c| admin::add_product(c, &name))
}

/// Gives a product a price from a date on (earlier days keep their books).
#[tauri::command(async)]
#[specta::specta]
fn set_price(
    state: tauri::State<'_, AppState>,
    product_id: i64,
    price: admin::PriceInput,
) -> Result<admin::ProductView, AppError> {
    state.with_catalogue(|c| admin::set_price(c, product_id, &price))
}

/// Renames a product and the current licenses that carry it.
#[tauri::command(async)]
#[specta::specta]
fn rename_product(
    state: tauri::State<'_, AppState>,
    product_id: i64,
    name: String,
) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.rename_product(product_id, &name)?))
}

/// Makes the next term of licenses as drafts, in one step, with the new term's cost.
#[tauri::command(async)]
#[specta::specta]
fn renew_licenses(
    state: tauri::State<'_, AppState>,
    license_ids: Vec<i64>,
    from: Option<String>,
) -> Result<admin::RenewalView, AppError> {
    state.with_catalogue(|c| admin::renew(c, &license_ids, from.as_deref()))
}

/// What renewing licenses would make, and its cost, before anything is made.
#[tauri::command(async)]
#[specta::specta]
fn renewal_plan(
    state: tauri::State<'_, AppState>,
    license_ids: Vec<i64>,
    from: Option<String>,
) -> Result<admin::RenewalView, AppError> {
    state.with_catalogue(|c| admin::renewal_plan(c, &license_ids, from.as_deref()))
}

/// The licenses of a customer that have no next term yet (what "Renew all" renews).
#[tauri::command(async)]
#[specta::specta]
fn renewable_licenses(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Vec<i64>, AppError> {
    state.with_catalogue(|c| {
        Ok(c.renewable_licenses(
            Some(customer_id),
            timefence_terms::chrono::Utc::now().date_naive(),
        )?)
    })
}

/// Licenses ending in the next `days` days with no next term yet.
#[tauri::command(async)]
#[specta::specta]
fn expiring_licenses(
    state: tauri::State<'_, AppState>,
    days: u32,
) -> Result<Vec<admin::ExpiringItem>, AppError> {
    state.with_catalogue(|c| admin::expiring(c, days))
}

/// What an export of `scope` would sign today: expired, not yet valid and already issued
/// licenses named, and expired ones of a bulk export left out unless `include_expired`.
#[tauri::command(async)]
#[specta::specta]
fn sign_plan(
    state: tauri::State<'_, AppState>,
    scope: signing::ExportScope,
    include_expired: bool,
) -> Result<signing::SignPlan, AppError> {
    signing::plan(
        &state,
        &scope,
        include_expired,
        timefence_terms::chrono::Utc::now(),
    )
    .map(|(_, plan)| plan)
}

/// Stops a running export after the file it is writing.
#[tauri::command(async)]
#[specta::specta]
fn cancel_export(state: tauri::State<'_, AppState>) {
    signing::cancel(&state)
}

/// Imports a usage report from a customer's relay: the one at `path` (dropped on the
/// window), or one chosen in the open dialog.
#[tauri::command(async)]
#[specta::specta]
async fn import_usage_report(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    path: Option<String>,
) -> Result<usage::UsageImported, AppError> {
    let path = match path {
        Some(p) => PathBuf::from(p),
        None => export::choose_open_path(&app, "Usage report", &["report", "txt"])?,
    };
    usage::import(&state, &path)
}

/// Reads a roster (`request.path`, or one the administrator picks when it is empty) and plans
/// the cheapest licenses for the customer; nothing is saved.
#[tauri::command(async)]
#[specta::specta]
async fn plan_roster(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    request: roster::RosterRequest,
) -> Result<roster::RosterPlanView, AppError> {
    let mut request = request;
    if request.path.trim().is_empty() {
        request.path = export::choose_open_path(&app, "Roster", &["csv", "txt", "json", "ics"])?
            .to_string_lossy()
            .into_owned();
    }
    roster::plan(&state, customer_id, &request)
}

/// Adds the plan shown (`fingerprint`) as drafts for the customer (planned again off the
/// window's thread).
#[tauri::command(async)]
#[specta::specta]
async fn apply_roster_plan(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    request: roster::RosterRequest,
    fingerprint: String,
) -> Result<roster::AppliedPlanView, AppError> {
    roster::apply(&state, customer_id, &request, &fingerprint)
}

/// A roster's demand (taken in `zone`) on each quarter-hour of the day the timeline shows.
#[tauri::command(async)]
#[specta::specta]
async fn roster_overlay(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    choice: views::DayChoice,
    demand: Vec<Vec<u32>>,
    zone: String,
) -> Result<Vec<roster::DemandQuarter>, AppError> {
    roster::overlay(&state, customer_id, &choice, &demand, &zone)
}

/// The relay certificates this catalogue signed.
#[tauri::command(async)]
#[specta::specta]
fn relay_certificates(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<signing::RelayCertificateView>, AppError> {
    signing::relay_certificates(&state)
}

/// Withdraws a relay certificate.
#[tauri::command(async)]
#[specta::specta]
fn withdraw_relay_certificate(
    state: tauri::State<'_, AppState>,
    certificate_id: i64,
) -> Result<(), AppError> {
    signing::withdraw_relay_certificate(&state, certificate_id)
}

/// The usage reports kept for a customer.
#[tauri::command(async)]
#[specta::specta]
fn usage_reports(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Vec<usage::UsageReportView>, AppError> {
    usage::reports(&state, customer_id)
}

/// Withdraws an imported usage report (to the trash: its days count no more).
#[tauri::command(async)]
#[specta::specta]
fn withdraw_usage_report(
    state: tauri::State<'_, AppState>,
    report_id: i64,
) -> Result<(), AppError> {
    usage::withdraw(&state, report_id)
}

/// Brings a withdrawn usage report back.
#[tauri::command(async)]
#[specta::specta]
fn restore_usage_report(state: tauri::State<'_, AppState>, report_id: i64) -> Result<(), AppError> {
    usage::restore(&state, report_id)
}

/// Each license of a customer against the use its relay's reports show.
#[tauri::command(async)]
#[specta::specta]
fn customer_usage(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Vec<usage::LicenseUseView>, AppError> {
    usage::license_use(&state, customer_id)
}

/// A customer's actual use per license, folded onto the day the timeline shows (peak and
/// 95th percentile per quarter-hour, and where claims were refused).
#[tauri::command(async)]
#[specta::specta]
fn usage_overlay(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    choice: views::DayChoice,
) -> Result<Vec<usage::LaneActual>, AppError> {
    usage::overlay(&state, customer_id, &choice)
}

/// Priced right-sizing suggestions for a customer's licenses, from their use.
#[tauri::command(async)]
#[specta::specta]
fn usage_suggestions(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
) -> Result<Vec<usage::SuggestionView>, AppError> {
    usage::suggestions(&state, customer_id)
}

/// Checks a license file: the one at `path` (dropped on the window), or one chosen in the
/// open dialog.
#[tauri::command(async)]
#[specta::specta]
async fn check_license_file(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    path: Option<String>,
) -> Result<signing::FileCheck, AppError> {
    let path = match path {
        Some(p) => PathBuf::from(p),
        None => export::choose_open_path(&app, "License file", &["lic"])?,
    };
    signing::check(&state, &path, timefence_terms::chrono::Utc::now())
}

/// The audit log of issued files, for one customer and a span of issue dates.
#[tauri::command(async)]
#[specta::specta]
fn audit_log(
    state: tauri::State<'_, AppState>,
    customer_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<signing::AuditLine>, AppError> {
    signing::audit(
        &state,
        customer_id,
        from.as_deref().filter(|d| !d.is_empty()),
        to.as_deref().filter(|d| !d.is_empty()),
    )
}

/// Saves the audit log, narrowed as shown, as CSV where the save dialog says.
#[tauri::command(async)]
#[specta::specta]
async fn export_audit_csv(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    customer_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
) -> Result<String, AppError> {
    let csv = state.with_catalogue(|c| {
        Ok(c.export_audit_csv(
            customer_id,
            from.as_deref().filter(|d| !d.is_empty()),
            to.as_deref().filter(|d| !d.is_empty()),
        )?)
    })?;
    let path = export::choose_save_path(&app, "timefence-audit.csv")?;
    export::write_atomically(&path, csv.as_bytes())?;
    Ok(path.display().to_string())
}

/// One customer's timeline on a date (default: today, moved into the licenses' validity) in
/// a display zone (default: the customer's), from an axis start (default: midnight).
#[tauri::command(async)]
#[specta::specta]
fn customer_timeline(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    day: views::DayChoice,
) -> Result<TimelineView, AppError> {
    state.with_catalogue(|c| {
        views::timeline(c, customer_id, &day, timefence_terms::chrono::Utc::now())
    })
}

/// The commands and types the UI sees; `run` serves them and a test exports their bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            connect_team,
            remembered_team,
            leave_team,
            import_usage_report,
            relay_certificates,
            withdraw_relay_certificate,
            save_withdrawal_list,
            start_catalogue,
            renewal_plan,
            draft_next,
            term_end,
            license_choices,
            usage_reports,
            withdraw_usage_report,
            restore_usage_report,
            customer_usage,
            usage_suggestions,
            usage_overlay,
            plan_roster,
            apply_roster_plan,
            roster_overlay,
            customers_page,
            customer_timeline,
            backup_catalogue,
            edit_license,
            create_license,
            draft_from_span,
            preview_timeline,
            delete_license,
            restore_license,
            duplicate_license,
            add_customer,
            update_customer,
            delete_customer,
            restore_customer,
            time_zones,
            license_calendar,
            save_export,
            signing_keys,
            passphrase_strength,
            generate_key,
            import_key,
            activate_key,
            retire_key,
            export_public_key,
            certify_relay,
            signing_status,
            set_passphrase_minutes,
            forget_passphrase,
            sign_and_export,
            sign_plan,
            catalogue_info,
            open_demo,
            open_own_catalogue,
            products,
            term_length,
            customer_deletion_blocker,
            window_length,
            add_product,
            set_price,
            rename_product,
            renew_licenses,
            renewable_licenses,
            expiring_licenses,
            cancel_export,
            check_license_file,
            audit_log,
            export_audit_csv,
            catalogue_status,
            restore_catalogue,
            app_painted,
            open_log_folder,
            forecast
        ])
        .events(tauri_specta::collect_events![
            signing::ExportProgress,
            MenuAction,
            live::TeamChange,
            live::TeamConnection
        ])
        // Row ids are SQLite integers far below 2^53, so a TypeScript number holds them exactly.
        .dangerously_cast_bigints_to_number()
        // Views are only ever sent to the UI, so one TypeScript type per view is enough.
        .disable_serde_phases()
}

fn catalogue_path(app: &tauri::App) -> Result<PathBuf, String> {
    let args: Vec<String> = std::env::args().collect();
    match catalogue_override(&args, std::env::var(CATALOGUE_ENV).ok()) {
        Some(path) => Ok(path),
        None => Ok(app
            .path()
            .app_data_dir()
            .map_err(|e| format!("no app data folder: {e}"))?
            .join("catalogue.sqlite")),
    }
}

/// Whether `name` is a demo catalogue's file name: `demo-YYYY.sqlite` (older versions) or
/// `demo-YYYY-MM.sqlite`.
fn is_demo_file(name: &str) -> bool {
    let Some(date) = name
        .strip_prefix("demo-")
        .and_then(|rest| rest.strip_suffix(".sqlite"))
    else {
        return false;
    };
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    match date.split_once('-') {
        Some((year, month)) => digits(year, 4) && digits(month, 2),
        None => digits(date, 4),
    }
}

/// The command-line flag that opens the demo catalogue instead of the administrator's own.
pub const DEMO_FLAG: &str = "--demo";

fn open_state(app: &tauri::App) -> AppState {
    match catalogue_path(app) {
        // `--catalogue postgres://…`: the administrator's own file stays the app's own (for
        // its keys, the demo and "Back to my catalogue"), and the team catalogue is connected
        // in its place, as File › Connect does.
        Ok(path) if path.to_str().is_some_and(timefence_catalogue::is_team_url) => {
            let url = path.to_string_lossy().into_owned();
            let own = match app.path().app_data_dir() {
                Ok(dir) => dir.join("catalogue.sqlite"),
                Err(error) => return unavailable(format!("no app data folder: {error}")),
            };
            let state = AppState::open(&own);
            if let Err(error) = state.connect_team(&url, "") {
                tracing::error!(team = %timefence_catalogue::redacted(&url), %error, "the team catalogue cannot be connected");
                state
                    .recovered
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!(
                        "The team catalogue could not be connected: {error}"
                    ));
            }
            state
        }
        Ok(path) => {
            let state = AppState::open(&path);
            if std::env::args().any(|a| a == DEMO_FLAG) {
                let today = timefence_terms::chrono::Local::now().date_naive();
                if let Err(error) = state.open_demo_of(today) {
                    tracing::warn!(%error, "the demo catalogue cannot be opened");
                }
            }
            state
        }
        Err(reason) => unavailable(reason),
    }
}

/// A window with no catalogue, saying why.
fn unavailable(reason: String) -> AppState {
    AppState {
        catalogue: Mutex::new(Err(reason)),
        place: Mutex::new(Place::default()),
        own: None,
        signing: Default::default(),
        recovered: Mutex::default(),
        team_url: Mutex::default(),
    }
}

/// Opens a catalogue and checks it (migrations run on open; then SQLite's quick check), so a
/// damaged file is reported at start instead of failing later; then finishes or cleans up any
/// signing that stopped part way, saying what it did.
fn open_checked(
    path: &std::path::Path,
    first_run: FirstRun,
) -> Result<(Catalogue, Vec<String>), String> {
    let mut opened = Catalogue::open(path, first_run).map_err(|e| e.to_string())?;
    opened.catalogue.quick_check().map_err(|e| e.to_string())?;
    tracing::info!(
        path = %path.display(),
        created = opened.created,
        "catalogue opened and checked"
    );
    let recovered: Vec<String> = timefence_signing::issue::recover(&mut opened.catalogue)
        .map_err(|e| e.to_string())?
        .iter()
        .map(ToString::to_string)
        .collect();
    for line in &recovered {
        tracing::warn!(%line, "a signing had stopped part way");
    }
    Ok((opened.catalogue, recovered))
}

/// Connects to a team catalogue. A signing that stopped part way is finished by whoever may
/// sign; another member's window opens all the same and leaves it to them.
fn open_team(url: &str) -> Result<(Catalogue, Vec<String>), String> {
    let mut catalogue = Catalogue::connect(url).map_err(|e| e.to_string())?;
    tracing::info!(team = %timefence_catalogue::redacted(url), "team catalogue connected");
    let recovered = match timefence_signing::issue::recover(&mut catalogue) {
        Ok(done) => done.iter().map(ToString::to_string).collect(),
        Err(error) => {
            tracing::warn!(%error, "a signing that stopped part way is left to a signer");
            Vec::new()
        }
    };
    Ok((catalogue, recovered))
}

/// The file beside the administrator's own catalogue that remembers, for this machine, the
/// team catalogue last connected to (its address without the password).
fn team_memory(own: &std::path::Path) -> Option<PathBuf> {
    own.parent().map(|dir| dir.join("team-catalogue.txt"))
}

/// The address as this machine remembers it: no password in it, in any form.
pub fn remembered_form(address: &str) -> String {
    let shown = timefence_catalogue::redacted(address.trim()).replace(":***@", "@");
    match shown.split_once('?') {
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
        None => shown,
    }
}

/// `address` (postgres://member@host:port/db…) with `password` put in, percent-encoded.
pub fn with_password(address: &str, password: &str) -> Result<String, AppError> {
    let invalid = |message: &str| AppError::InvalidInput {
        field: "address".into(),
        message: message.into(),
    };
    let address = address.trim();
    if !timefence_catalogue::is_team_url(address) {
        return Err(invalid(
            "Address: a team catalogue's address starts with postgres:// (postgres://you@server:5432/team)",
        ));
    }
    if password.is_empty() {
        return Ok(address.to_string());
    }
    let Some(timefence_catalogue::UrlLogin {
        scheme,
        login: Some(login),
        host,
        tail,
    }) = timefence_catalogue::url_login(address)
    else {
        return Err(invalid(
            "Address: name your login before the server (postgres://you@server:5432/team)",
        ));
    };
    let user = login.split_once(':').map_or(login, |(name, _)| name);
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    Ok(format!("{scheme}://{user}:{encoded}@{host}{tail}"))
}

impl AppState {
    /// Connects to the team catalogue at `address` (with `password`) in place of the open
    /// catalogue, and remembers the address (not the password) for this machine. On failure
    /// the open catalogue stays as it was.
    pub fn connect_team(&self, address: &str, password: &str) -> Result<String, AppError> {
        let url = with_password(address, password)?;
        let (opened, recovered) = open_team(&url).map_err(AppError::CatalogueUnavailable)?;
        let mut guard = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        *guard = Ok(opened);
        *self.recovered.lock().unwrap_or_else(|p| p.into_inner()) = recovered;
        *self.place.lock().unwrap_or_else(|p| p.into_inner()) =
            Place::of_team(&url, self.own.as_deref());
        *self.team_url.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.clone());
        drop(guard);
        signing::forget(self);
        if let Some(memory) = self.own.as_deref().and_then(team_memory) {
            let remembered = remembered_form(address);
            if let Err(error) = std::fs::write(&memory, remembered) {
                tracing::warn!(%error, "the team catalogue's address cannot be remembered");
            }
        }
        Ok(url)
    }

    /// The URL (password included) of the open team catalogue, for the live listener; never
    /// sent to the window or written to the log.
    fn team_url(&self) -> Option<String> {
        self.team_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The team catalogue this machine connected to last, if any.
    pub fn remembered_team(&self) -> Option<String> {
        let memory = self.own.as_deref().and_then(team_memory)?;
        let text = std::fs::read_to_string(memory).ok()?;
        Some(text.trim().to_string()).filter(|t| timefence_catalogue::is_team_url(t))
    }

    /// Leaves the team catalogue for the administrator's own file, and forgets the team's
    /// address on this machine.
    pub fn leave_team(&self) -> Result<(), AppError> {
        let own = self
            .own_path()
            .ok_or_else(|| AppError::CatalogueUnavailable("no catalogue file".into()))?;
        self.switch_to(&own, None)?;
        if let Some(memory) = self.own.as_deref().and_then(team_memory) {
            let _ = std::fs::remove_file(memory);
        }
        Ok(())
    }

    /// The state of a window on the catalogue at `path` (created with the demo when new), with
    /// its backups and keys folders beside it.
    pub fn open(path: &std::path::Path) -> AppState {
        let (catalogue, recovered) = match open_checked(path, FirstRun::Empty) {
            Ok((catalogue, recovered)) => (Ok(catalogue), recovered),
            Err(reason) => {
                tracing::error!(path = %path.display(), %reason, "the catalogue cannot be opened");
                (Err(reason), Vec::new())
            }
        };
        AppState {
            catalogue: Mutex::new(catalogue),
            place: Mutex::new(Place::of(path)),
            own: Some(path.to_path_buf()),
            signing: Default::default(),
            recovered: Mutex::new(recovered),
            team_url: Mutex::default(),
        }
    }

    /// The administrator's own catalogue file.
    pub fn own_path(&self) -> Option<PathBuf> {
        self.own.clone()
    }

    /// The demo catalogue's file: `demo-<year>-<month>.sqlite` beside the administrator's own,
    /// made anew each month, so that its licenses run twelve months from the month it is
    /// opened in: live that day, and none of them expiring.
    pub fn demo_path(&self, today: timefence_terms::chrono::NaiveDate) -> Option<PathBuf> {
        self.own
            .as_ref()
            .and_then(|own| own.parent())
            .map(|dir| dir.join(format!("demo-{}.sqlite", today.format("%Y-%m"))))
    }

    /// Opens the demo of `today`'s month in place of the open catalogue, and removes the demo
    /// files of other months beside it (each month makes a new one; none holds anything of the
    /// administrator's). Returns the demo's path.
    pub fn open_demo_of(
        &self,
        today: timefence_terms::chrono::NaiveDate,
    ) -> Result<PathBuf, AppError> {
        let path = self
            .demo_path(today)
            .ok_or_else(|| AppError::CatalogueUnavailable("no folder for the demo".into()))?;
        self.switch_to(&path, Some(today))?;
        if let (Some(dir), Some(keep)) = (path.parent(), path.file_name()) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let name = entry.file_name();
                let text = name.to_string_lossy();
                let base = ["-wal", "-shm", "-journal"]
                    .iter()
                    .find_map(|suffix| text.strip_suffix(suffix))
                    .unwrap_or(&text);
                if base != keep.to_string_lossy() && is_demo_file(base) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(path)
    }

    /// Opens the catalogue at `path` in place of the open one (seeding the demo dated from
    /// `demo` when the file is new). The held passphrase is forgotten: it was typed for the
    /// other catalogue's keys. On failure the open catalogue stays as it was.
    pub fn switch_to(
        &self,
        path: &std::path::Path,
        demo: Option<timefence_terms::chrono::NaiveDate>,
    ) -> Result<(), AppError> {
        let first_run = demo.map_or(FirstRun::Empty, FirstRun::DemoFrom);
        let mut guard = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        // The open catalogue holds its file exclusively: let go of it first when reopening
        // the same file, and take it back if the new one cannot be opened.
        let previous = std::mem::replace(&mut *guard, Err("switching catalogues".into()));
        match open_checked(path, first_run) {
            Ok((opened, recovered)) => {
                live::stop();
                *self.team_url.lock().unwrap_or_else(|p| p.into_inner()) = None;
                drop(previous);
                *guard = Ok(opened);
                *self.recovered.lock().unwrap_or_else(|p| p.into_inner()) = recovered;
                *self.place.lock().unwrap_or_else(|p| p.into_inner()) = Place::of(path);
                drop(guard);
                signing::forget(self);
                tracing::info!(path = %path.display(), "catalogue opened");
                Ok(())
            }
            Err(reason) => {
                *guard = previous;
                Err(AppError::CatalogueUnavailable(reason))
            }
        }
    }
}

/// When the process started, for the start-up time the app logs at its first paint.
static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Notes the moment of launch; `main` calls it first thing.
pub fn mark_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

/// What the File menu asks the window to do.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct MenuAction {
    /// `backup`, `restore`, `demo` (open the demo catalogue), `own` (back to one's own),
    /// `team` (connect to a team catalogue) or `usage` (import a usage report).
    pub action: String,
}

/// Keeps the log writer's background thread alive for as long as the app runs.
struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);

/// How many daily log files are kept.
const LOG_FILES_KEPT: usize = 7;

fn start_logging(app: &tauri::App) -> Option<PathBuf> {
    let folder = app.path().app_log_dir().ok()?;
    std::fs::create_dir_all(&folder).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("timefence")
        .filename_suffix("log")
        .max_log_files(LOG_FILES_KEPT)
        .build(&folder)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    if installed.is_err() {
        return None;
    }
    app.manage(LogGuard(guard));
    Some(folder)
}

fn build_menu(app: &tauri::App) -> tauri::Result<()> {
    use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
    let backup = MenuItem::with_id(app, "backup", "Back up catalogue", true, None::<&str>)?;
    let restore = MenuItem::with_id(app, "restore", "Restore from a backup…", true, None::<&str>)?;
    let logs = MenuItem::with_id(app, "logs", "Open log folder", true, None::<&str>)?;
    let demo = MenuItem::with_id(app, "demo", "Open the demo catalogue", true, None::<&str>)?;
    let own = MenuItem::with_id(app, "own", "Open my catalogue", true, None::<&str>)?;
    let team = MenuItem::with_id(
        app,
        "team",
        "Connect to a team catalogue…",
        true,
        None::<&str>,
    )?;
    let usage = MenuItem::with_id(app, "usage", "Import usage report…", true, None::<&str>)?;
    // The predefined Quit item does nothing on Linux (muda leaves it disabled there).
    let quit = MenuItem::with_id(app, "quit", "Quit", true, Some("CmdOrCtrl+Q"))?;
    let file = Submenu::with_items(
        app,
        "File",
        true,
        &[
            &own,
            &demo,
            &team,
            &PredefinedMenuItem::separator(app)?,
            &backup,
            &restore,
            &PredefinedMenuItem::separator(app)?,
            &usage,
            &PredefinedMenuItem::separator(app)?,
            &logs,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    app.set_menu(Menu::with_items(app, &[&file])?)?;
    app.on_menu_event(|app, event| match event.id().as_ref() {
        "quit" => app.exit(0),
        "logs" => {
            if let Err(error) = open_logs(app) {
                tracing::warn!(%error, "cannot open the log folder");
            }
        }
        action @ ("backup" | "restore" | "demo" | "own" | "team" | "usage") => {
            let _ = MenuAction {
                action: action.to_string(),
            }
            .emit(app);
        }
        _ => {}
    });
    Ok(())
}

fn open_logs(app: &tauri::AppHandle) -> Result<(), AppError> {
    use tauri_plugin_opener::OpenerExt;
    let folder = app
        .path()
        .app_log_dir()
        .map_err(|e| AppError::Storage(format!("no log folder: {e}")))?;
    app.opener()
        .open_path(folder.display().to_string(), None::<&str>)
        .map_err(|e| AppError::Storage(format!("cannot open {}: {e}", folder.display())))
}

/// Starts the desktop app.
pub fn run() {
    mark_launch();
    let builder = specta_builder();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            let logs = start_logging(app);
            tracing::info!(version = env!("CARGO_PKG_VERSION"), logs = ?logs, "Timefence starting");
            builder.mount_events(app);
            if let Err(error) = build_menu(app) {
                tracing::warn!(%error, "no menu");
            }
            let state = open_state(app);
            if let Ok(guard) = state.catalogue.lock() {
                match &*guard {
                    Err(reason) => eprintln!("timefence: {reason}"),
                    // Started on a team catalogue (`--catalogue postgres://…`): listen to it.
                    Ok(_) => {
                        if let Some(url) = state.team_url() {
                            live::start(app.handle().clone(), url);
                        }
                    }
                }
            }
            app.manage(state);
            Ok(())
        })
        .on_window_event(|window, event| {
            // A passphrase held for signing never outlives the window that asked for it.
            if matches!(
                event,
                tauri::WindowEvent::CloseRequested { .. } | tauri::WindowEvent::Destroyed
            ) {
                if let Some(state) = window.try_state::<AppState>() {
                    signing::forget(&state);
                }
            }
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the app could not start");
        eprintln!("timefence: the app could not start: {error}");
        std::process::exit(1);
    }
}
