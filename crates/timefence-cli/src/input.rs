//! What the command line reads beyond clap's types: which catalogue (the flag, the
//! environment, or the app's own), dates and zones, with messages that name the flag.

use crate::Failure;
use std::path::PathBuf;
use timefence_catalogue::{Catalogue, FirstRun};

pub(crate) fn parse_date(
    flag: &str,
    text: &str,
) -> Result<timefence_terms::chrono::NaiveDate, Failure> {
    timefence_terms::chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Failure::from(format!("--{flag} \"{text}\" is not a date (YYYY-MM-DD)")))
}

pub(crate) fn parse_zone(text: &str) -> Result<timefence_terms::chrono_tz::Tz, Failure> {
    text.trim()
        .parse()
        .map_err(|_| Failure::from(format!("\"{text}\" is not an IANA time zone name")))
}

fn default_catalogue() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("app.timefence.desktop/catalogue.sqlite"))
}

pub(crate) fn catalogue_path(path: Option<PathBuf>) -> Result<PathBuf, Failure> {
    path.or_else(|| std::env::var_os("TIMEFENCE_CATALOGUE").map(PathBuf::from))
        .or_else(default_catalogue)
        .ok_or_else(|| Failure::from("no catalogue: pass --catalogue FILE".to_string()))
}

/// Opens the catalogue, finishing or cleaning up any signing that stopped part way (and
/// saying so on standard error).
pub(crate) fn open(path: Option<PathBuf>) -> Result<Catalogue, Failure> {
    let path = catalogue_path(path)?;
    // A postgres:// URL is a team catalogue: the same commands, on the team's server.
    let mut catalogue = match path
        .to_str()
        .filter(|p| timefence_catalogue::is_team_url(p))
    {
        Some(url) => Catalogue::connect(url)?,
        None => Catalogue::open(&path, FirstRun::Empty)?.catalogue,
    };
    for recovered in timefence_signing::issue::recover(&mut catalogue)? {
        eprintln!("timefence: {recovered}");
    }
    Ok(catalogue)
}
