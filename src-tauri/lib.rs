//! # timefence-app: the Timefence desktop shell
//!
//! A thin Tauri shell: each command takes the app's state, calls one library function
//! (`timefence-catalogue` for storage, `timefence-terms` for every rule) and maps the result
//! into a typed view or an [`AppError`]. The TypeScript bindings for the UI are generated from
//! [`specta_builder`], the same builder [`run`] uses, and committed in `ui/src/lib/bindings.ts`.
#![deny(missing_docs)]

mod error;
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
}

impl AppState {
    fn with_catalogue<T>(
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

/// Changes a license's window, limit, seats or name; returns the license's id as it now stands
/// (a new revision when the license had been issued).
#[tauri::command]
#[specta::specta]
fn edit_license(
    state: tauri::State<'_, AppState>,
    license_id: i64,
    edit: views::LicenseEdit,
) -> Result<i64, AppError> {
    state.with_catalogue(|c| views::edit_license(c, license_id, &edit))
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

/// One customer's timeline on a date (default: today, moved into the licenses' validity) in a
/// display zone (default: the customer's).
#[tauri::command]
#[specta::specta]
fn customer_timeline(
    state: tauri::State<'_, AppState>,
    customer_id: i64,
    date: Option<String>,
    zone: Option<String>,
) -> Result<TimelineView, AppError> {
    state.with_catalogue(|c| views::timeline(c, customer_id, date.as_deref(), zone.as_deref()))
}

/// The commands and types the UI sees; `run` serves them and a test exports their bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            customers_page,
            customer_timeline,
            backup_catalogue,
            edit_license,
            forecast
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

fn open_state(app: &tauri::App) -> AppState {
    let path = match catalogue_path(app) {
        Ok(path) => path,
        Err(reason) => {
            return AppState {
                catalogue: Err(reason),
                backups: None,
            }
        }
    };
    let backups = path.parent().map(|dir| dir.join("backups"));
    let catalogue = Catalogue::open(&path, FirstRun::SeedDemo)
        .map(|opened| Mutex::new(opened.catalogue))
        .map_err(|e| e.to_string());
    AppState { catalogue, backups }
}

/// Starts the desktop app.
pub fn run() {
    let builder = specta_builder();
    let result = tauri::Builder::default()
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
