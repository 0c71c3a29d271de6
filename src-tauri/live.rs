//! Each other's changes, live: while a team catalogue is open, a thread listens to the team's
//! server (`LISTEN timefence_changes`, through `timefence_team::Changes`) and tells the window
//! which customer changed and who changed it ([`TeamChange`]). When it loses the server it
//! says so once ([`TeamConnection`]) and tries again every second; when it is back it says
//! that too, and the window reads what changed meanwhile.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tauri_specta::Event;

/// A change another window (or this one) committed to the team catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct TeamChange {
    /// The customer the changed row belongs to, when it belongs to one.
    pub customer: Option<i64>,
    /// The member's login.
    pub who: String,
    /// The table changed (customers, licenses, products, ...).
    pub table: String,
}

/// Whether the team catalogue's server can be reached, said when that changes.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct TeamConnection {
    /// Reachable again (`true`) or lost (`false`).
    pub reachable: bool,
    /// What the window says, in one line.
    pub message: String,
}

/// Which listener is current: opening another catalogue makes every older one stop.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Stops listening (another catalogue was opened).
pub fn stop() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Listens to the team catalogue at `url` (password included) for as long as it stays open.
pub fn start(app: tauri::AppHandle, url: String) {
    let generation = GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
    let current = move || GENERATION.load(Ordering::SeqCst) == generation;
    std::thread::spawn(move || {
        let mut away = false;
        while current() {
            match timefence_team::Changes::listen(&url) {
                Ok(mut changes) => {
                    if away {
                        away = false;
                        tracing::info!("the team catalogue's server is back");
                        let _ = TeamConnection {
                            reachable: true,
                            message: "The team catalogue's server is back; showing what changed meanwhile".into(),
                        }
                        .emit(&app);
                    }
                    // A short wait, so that leaving the catalogue stops this thread soon.
                    while current() {
                        match changes.next(Duration::from_millis(250)) {
                            Ok(Some(change)) => {
                                let _ = TeamChange {
                                    customer: change.customer,
                                    who: change.who,
                                    table: change.table,
                                }
                                .emit(&app);
                            }
                            Ok(None) => {}
                            Err(error) => {
                                tracing::warn!(%error, "the team catalogue's server was lost");
                                break;
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the team catalogue's server cannot be reached")
                }
            }
            if !current() {
                return;
            }
            if !away {
                away = true;
                let _ = TeamConnection {
                    reachable: false,
                    message: "The team catalogue's server cannot be reached: what is on screen stays, nothing is saved until it is back; trying again every second".into(),
                }
                .emit(&app);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
}
