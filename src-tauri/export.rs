//! Writing exported files (timeline pictures, calendars): decoding what the UI sends and
//! writing it so that a reader never sees half a file.

use crate::AppError;
use base64::Engine;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The environment variable that, when set, names a folder exports are written to without a
/// save dialog; the end-to-end tests use it, since no test can click a system dialog.
pub const EXPORT_DIR_ENV: &str = "TIMEFENCE_EXPORT_DIR";

/// The environment variable that, when set, names the file an "Open" button opens without a
/// dialog (end-to-end tests).
pub const OPEN_FILE_ENV: &str = "TIMEFENCE_OPEN_FILE";

fn override_dir() -> Option<PathBuf> {
    std::env::var_os(EXPORT_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Where to save a file suggested as `file_name`: the system save dialog's answer, or the
/// test folder. [`AppError::Cancelled`] when the dialog is closed.
pub fn choose_save_path(app: &tauri::AppHandle, file_name: &str) -> Result<PathBuf, AppError> {
    if let Some(dir) = override_dir() {
        return path_in(&dir, file_name);
    }
    use tauri_plugin_dialog::DialogExt;
    let extension = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_string();
    app.dialog()
        .file()
        .set_title("Save")
        .set_file_name(file_name)
        .add_filter(extension.to_uppercase(), &[extension.as_str()])
        .blocking_save_file()
        .ok_or(AppError::Cancelled)?
        .into_path()
        .map_err(|e| AppError::Storage(format!("cannot save there: {e}")))
}

/// A folder to save many files in: the system folder dialog's answer, or the test folder.
pub fn choose_folder(app: &tauri::AppHandle) -> Result<PathBuf, AppError> {
    if let Some(dir) = override_dir() {
        return Ok(dir);
    }
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .set_title("Save the license files in")
        .blocking_pick_folder()
        .ok_or(AppError::Cancelled)?
        .into_path()
        .map_err(|e| AppError::Storage(format!("cannot save there: {e}")))
}

/// A file to open with the given extensions: the system open dialog's answer, or the test file.
pub fn choose_open_path(
    app: &tauri::AppHandle,
    what: &str,
    extensions: &[&str],
) -> Result<PathBuf, AppError> {
    if let Some(file) = std::env::var_os(OPEN_FILE_ENV).filter(|f| !f.is_empty()) {
        return Ok(PathBuf::from(file));
    }
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .set_title(format!("Open {what}"))
        .add_filter(what, extensions)
        .blocking_pick_file()
        .ok_or(AppError::Cancelled)?
        .into_path()
        .map_err(|e| AppError::Storage(format!("cannot open that file: {e}")))
}

/// How the contents of an export are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
pub enum Encoding {
    /// UTF-8 text (SVG, iCalendar).
    Text,
    /// Base64 (PNG).
    Base64,
}

/// The bytes of an export.
pub fn decode(contents: &str, encoding: Encoding) -> Result<Vec<u8>, AppError> {
    match encoding {
        Encoding::Text => Ok(contents.as_bytes().to_vec()),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(contents.trim())
            .map_err(|e| AppError::InvalidInput {
                field: "contents".into(),
                message: format!("the picture's data is not base64: {e}"),
            }),
    }
}

/// `file_name` inside `folder`, refusing names that would leave it.
pub fn path_in(folder: &Path, file_name: &str) -> Result<PathBuf, AppError> {
    let name = Path::new(file_name);
    let plain = name.components().count() == 1
        && matches!(
            name.components().next(),
            Some(std::path::Component::Normal(_))
        );
    if !plain {
        return Err(AppError::InvalidInput {
            field: "file_name".into(),
            message: format!("\"{file_name}\" is not a plain file name"),
        });
    }
    Ok(folder.join(name))
}

/// Writes `bytes` to `path` whole (a temporary file beside it, then a rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    timefence_signing::write_whole(path, bytes)
        .map_err(|e| AppError::Storage(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pictures_decode_and_bad_data_is_a_typed_error() {
        assert_eq!(decode("iVBORw==", Encoding::Base64).unwrap(), b"\x89PNG");
        assert!(matches!(
            decode("not base64!", Encoding::Base64),
            Err(AppError::InvalidInput { .. })
        ));
        assert_eq!(decode("<svg/>", Encoding::Text).unwrap(), b"<svg/>");
    }

    #[test]
    fn a_file_name_cannot_leave_the_export_folder() {
        let folder = Path::new("/tmp/exports");
        assert_eq!(path_in(folder, "a.svg").unwrap(), folder.join("a.svg"));
        for bad in ["../a.svg", "/etc/passwd", "x/y.svg", ""] {
            assert!(path_in(folder, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_export_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeline.svg");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
