//! Files written whole: under a hidden temporary name beside their place, synced, then renamed,
//! so that nobody (a customer's application, a backup, a crash) ever sees half a file under its
//! real name. License files, exported keys, pictures and calendars are all written this way.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` beside `path` under a hidden temporary name and returns that name; on an
/// error nothing is left behind. The caller renames it into place when it is ready to.
pub fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = folder.join(format!(".{name}.part"));
    let written = (|| {
        std::fs::create_dir_all(folder)?;
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    Ok(temporary)
}

/// The temporary name of the file of `serial` going to `path`: hidden, beside it, and its own
/// (two signings to one place never share one).
pub fn temporary_name(path: &Path, serial: i64) -> PathBuf {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    folder.join(format!(".{name}.{serial}.part"))
}

/// Writes `bytes` to `temporary` and syncs it; on an error nothing is left behind.
pub fn write_to(temporary: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = (|| {
        if let Some(folder) = temporary.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)?;
        }
        let mut file = std::fs::File::create(temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(temporary);
    }
    written
}

/// Writes `bytes` to `path` whole: a temporary file first, then a rename.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = write_temporary(path, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
