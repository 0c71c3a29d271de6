//! # timefence-app: the Timefence desktop shell
//!
//! A thin Tauri shell: each command takes the app's state, calls one library function
//! (`timefence-catalogue` for storage, `timefence-terms` for every rule) and maps the result
//! into a typed view or an [`AppError`]. The TypeScript bindings for the UI are generated from
//! [`specta_builder`], the same builder [`run`] uses, and committed in `ui/src/lib/bindings.ts`.
#![deny(missing_docs)]

mod error;
pub mod export;
pub mod signing;
pub mod views;

pub use error::{AppError, FieldProblem};

use std::path::PathBuf;
use std::sync::Mutex;
use tauri::Manager;
use timefence_catalogue::{Catalogue, FirstRun};
use views::TimelineView;

/// The environment variable that points the app at a catalogue file.
pub const CATALOGUE_ENV: &str = "TIMEFENCE_CATALOGUE";
/// The command-line flag that does the same (and wins over the variable).
pub const CATALOGUE_FLAG: &str = "--catalogue";

/// The catalogue, or why it could not be opened (the window still opens and says so).
pub struct AppState {
    catalogue: Result<Mutex<Catalogue>, String>,
    /// Where backups go: a `backups` folder beside the catalogue file.
    backups: Option<PathBuf>,
    /// The key folder: `keys` beside the catalogue file, as for the command-line tool.
    keys: Option<PathBuf>,
    /// The held passphrase and the running export.
    signing: signing::SigningState,
}

impl AppState {
    /// Runs `f` on the open catalogue, holding it for that long.
    pub fn with_catalogue<T>(
        &self,
        f: impl FnOnce(&mut Catalogue) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mutex = self
            .catalogue
            .as_ref()
            .map_err(|e| AppError::CatalogueUnavailable(e.clone()))?;
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        let mut guard = mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
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
#[tauri::command]
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
#[tauri::command]
#[specta::specta]
fn backup_catalogue(state: tauri::State<'_, AppState>) -> Result<String, AppError> {
    let folder = state.backups.clone().ok_or_else(|| {
        AppError::CatalogueUnavailable("the catalogue has no folder for backups".into())
    })?;
    state.with_catalogue(|c| views::backup(c, &folder, timefence_terms::chrono::Utc::now()))
}

/// Changes a license's terms or name; returns the license's id as it now stands (a new
/// revision when the license had been issued).
#[tauri::command]
#[specta::specta]
fn edit_license(
    state: tauri::State<'_, AppState>,
    license_id: i64,
    edit: views::LicenseEdit,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| views::edit_license(c, license_id, &edit))
}

/// Adds a draft license to a customer; returns its id.
#[tauri::command]
#[specta::specta]
fn create_license(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    edit: views::LicenseEdit,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| views::create_license(c, customer_id, &edit))
}

/// The terms of a new license drawn across part of the shown day.
#[tauri::command]
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

/// Moves a draft license to the trash (undo brings it back).
#[tauri::command]
#[specta::specta]
fn delete_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.delete_license(license_id)?))
}

/// Brings a deleted license back.
#[tauri::command]
#[specta::specta]
fn restore_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.restore_license(license_id)?))
}

/// Copies a license into a new draft; returns the copy's id.
#[tauri::command]
#[specta::specta]
fn duplicate_license(state: tauri::State<'_, AppState>, license_id: i64) -> Result<i64, AppError> {
    state.with_catalogue(|c| Ok(c.duplicate_license(license_id)?))
}

/// Adds a customer; returns its id.
#[tauri::command]
#[specta::specta]
fn add_customer(
    state: tauri::State<'_, AppState>,
    name: String,
    default_zone: String,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| Ok(c.add_named_customer(&name, &default_zone)?))
}

/// Renames a customer or changes its default zone.
#[tauri::command]
#[specta::specta]
fn update_customer(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    name: String,
    default_zone: String,
) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.update_customer(customer_id, &name, &default_zone)?))
}

/// Moves a customer and its licenses to the trash (undo brings them back).
#[tauri::command]
#[specta::specta]
fn delete_customer(state: tauri::State<'_, AppState>, customer_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.delete_customer(customer_id)?))
}

/// Brings a deleted customer back with its licenses.
#[tauri::command]
#[specta::specta]
fn restore_customer(state: tauri::State<'_, AppState>, customer_id: i64) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.restore_customer(customer_id)?))
}

/// Every IANA zone name.
#[tauri::command]
#[specta::specta]
fn time_zones() -> Vec<String> {
    views::time_zones()
}

/// A license's window as an iCalendar recurring event.
#[tauri::command]
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
#[tauri::command]
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
#[tauri::command]
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
#[tauri::command]
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

/// The signing keys.
#[tauri::command]
#[specta::specta]
fn signing_keys(state: tauri::State<'_, AppState>) -> Result<Vec<signing::KeyView>, AppError> {
    signing::keys(&state)
}

/// How hard a passphrase would be to guess.
#[tauri::command]
#[specta::specta]
fn passphrase_strength(passphrase: String) -> signing::StrengthView {
    signing::rate(&passphrase)
}

/// Makes a new signing key (the first becomes the active one); returns its id.
#[tauri::command]
#[specta::specta]
fn generate_key(
    state: tauri::State<'_, AppState>,
    passphrase: String,
    repeated: String,
) -> Result<String, AppError> {
    signing::generate(&state, &passphrase, &repeated)
}

/// Imports an encrypted private key file chosen in the open dialog; returns its id.
#[tauri::command]
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
#[tauri::command]
#[specta::specta]
fn activate_key(state: tauri::State<'_, AppState>, key_id: String) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.set_active_key(&key_id)?))
}

/// Retires a key: it signs no more, and files it signed still verify.
#[tauri::command]
#[specta::specta]
fn retire_key(state: tauri::State<'_, AppState>, key_id: String) -> Result<(), AppError> {
    state.with_catalogue(|c| Ok(c.retire_key(&key_id)?))
}

/// Saves a key's public half as PEM where the save dialog says; returns the path.
#[tauri::command]
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

/// The active key and how long its passphrase is still held.
#[tauri::command]
#[specta::specta]
fn signing_status(state: tauri::State<'_, AppState>) -> Result<signing::SigningStatus, AppError> {
    signing::status(&state)
}

/// How many minutes a passphrase is held after signing (0: never held).
#[tauri::command]
#[specta::specta]
fn set_passphrase_minutes(state: tauri::State<'_, AppState>, minutes: u32) -> Result<(), AppError> {
    signing::set_hold_minutes(&state, minutes)
}

/// Forgets the held passphrase.
#[tauri::command]
#[specta::specta]
fn forget_passphrase(state: tauri::State<'_, AppState>) {
    signing::forget(&state)
}

/// Signs one license, a customer's or the whole catalogue's into `.lic` files, marks them
/// issued and audits them; progress comes as `ExportProgress` events.
#[tauri::command]
#[specta::specta]
async fn sign_and_export(
    app: tauri::AppHandle,
    scope: signing::ExportScope,
    passphrase: Option<String>,
) -> Result<signing::ExportSummary, AppError> {
    tauri::async_runtime::spawn_blocking(move || signing::export(&app, scope, passphrase))
        .await
        .map_err(|e| AppError::Storage(format!("the export stopped: {e}")))?
}

/// Stops a running export after the file it is writing.
#[tauri::command]
#[specta::specta]
fn cancel_export(state: tauri::State<'_, AppState>) {
    signing::cancel(&state)
}

/// Checks a license file: the one at `path` (dropped on the window), or one chosen in the
/// open dialog.
#[tauri::command]
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
#[tauri::command]
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
#[tauri::command]
#[specta::specta]
async fn export_audit_csv(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    customer_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
) -> Result<String, AppError> {
    let lines = signing::audit(
        &state,
        customer_id,
        from.as_deref().filter(|d| !d.is_empty()),
        to.as_deref().filter(|d| !d.is_empty()),
    )?;
    let path = export::choose_save_path(&app, "timefence-audit.csv")?;
    export::write_atomically(&path, signing::audit_csv(&lines).as_bytes())?;
    Ok(path.display().to_string())
}

/// One customer's timeline on a date (default: today, moved into the licenses' validity) in
/// a display zone (default: the customer's), from an axis start (default: midnight).
#[tauri::command]
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
            signing_status,
            set_passphrase_minutes,
            forget_passphrase,
            sign_and_export,
            cancel_export,
            check_license_file,
            audit_log,
            export_audit_csv,
            forecast
        ])
        .events(tauri_specta::collect_events![signing::ExportProgress])
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

fn open_state(app: &tauri::App) -> AppState {
    match catalogue_path(app) {
        Ok(path) => AppState::open(&path),
        Err(reason) => AppState {
            catalogue: Err(reason),
            backups: None,
            keys: None,
            signing: Default::default(),
        },
    }
}

impl AppState {
    /// The state of a window on the catalogue at `path` (created with the demo when new), with
    /// its backups and keys folders beside it.
    pub fn open(path: &std::path::Path) -> AppState {
        let backups = path.parent().map(|dir| dir.join("backups"));
        let keys = path.parent().map(|dir| dir.join("keys"));
        let catalogue = Catalogue::open(path, FirstRun::SeedDemo)
            .map(|opened| Mutex::new(opened.catalogue))
            .map_err(|e| e.to_string());
        AppState {
            catalogue,
            backups,
            keys,
            signing: Default::default(),
        }
    }
}

/// Starts the desktop app.
pub fn run() {
    let builder = specta_builder();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let state = open_state(app);
            if let Err(reason) = &state.catalogue {
                eprintln!("timefence: {reason}");
            }
            app.manage(state);
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("timefence: the app could not start: {error}");
        std::process::exit(1);
    }
}
