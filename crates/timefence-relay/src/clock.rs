//! The relay's clock: the system's, or, for tests and drills, a file someone else writes.
//!
//! On PostgreSQL the host's clock (system or skewed) is not used for decisions: every relay
//! reads the database's clock instead, so hosts that disagree cannot split a pair. A clock
//! file still overrides it (tests drive time that way).
//!
//! With `--clock-file PATH` the relay reads the time from that file (milliseconds since the
//! Unix epoch, or an RFC 3339 instant) at every decision. Tests use it to drive a real relay
//! process across midnight, a DST change or a clock set back, without waiting for them. A
//! clock file that cannot be read makes requests fail with `Unavailable`, never falls back.

use crate::model::Millis;
use std::path::PathBuf;

/// Where the time comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// The instant written in a file.
    File(PathBuf),
    /// The system clock moved by a fixed number of milliseconds: a host whose clock is off,
    /// for tests and drills (`--clock-skew-ms`).
    Skewed(Millis),
}

impl Clock {
    /// The time now.
    pub fn now(&self) -> Result<Millis, String> {
        match self {
            Clock::System => Ok(chrono::Utc::now().timestamp_millis()),
            Clock::Skewed(ms) => Ok(chrono::Utc::now().timestamp_millis() + ms),
            Clock::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let text = text.trim();
                text.parse::<Millis>()
                    .ok()
                    .or_else(|| {
                        chrono::DateTime::parse_from_rfc3339(text)
                            .ok()
                            .map(|t| t.timestamp_millis())
                    })
                    .ok_or_else(|| format!("{}: \"{text}\" is not a time", path.display()))
            }
        }
    }
}
