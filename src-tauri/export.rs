//! Writing exported files (timeline pictures, calendars): decoding what the UI sends and
//! writing it so that a reader never sees half a file.

use crate::AppError;
use base64::Engine;
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The environment variable that, when set, names a folder exports are written to without a
/// save dialog; the end-to-end tests use it, since no test can click a system dialog.
pub const EXPORT_DIR_ENV: &str = "TIMEFENCE_EXPORT_DIR";

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

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let fail =
        |e: std::io::Error| AppError::Storage(format!("cannot write {}: {e}", path.display()));
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(fail)?;
    let temporary = folder.join(format!(
        ".{}.part",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export")
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(fail)
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
