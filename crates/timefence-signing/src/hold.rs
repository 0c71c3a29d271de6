//! A passphrase held in memory for a few minutes, and gone when they run out.
//!
//! Checking the deadline only when the next signature is asked for would leave the passphrase
//! in memory for as long as nobody signs. Here a watcher thread sleeps until the deadline and
//! then drops it (the [`Zeroizing`] wrapper wipes the bytes), whether or not anything else
//! happens. Holding again moves the deadline; [`PassphraseHold::forget`] wipes it at once.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

struct Held {
    key_id: String,
    passphrase: Zeroizing<String>,
    until: Instant,
}

#[derive(Default)]
struct Slot {
    held: Option<Held>,
    /// Set when the hold itself is dropped, so the watcher thread ends.
    closed: bool,
    watcher_started: bool,
}

#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The passphrase of one key, in memory only, until its time runs out.
#[derive(Default)]
pub struct PassphraseHold {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PassphraseHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphraseHold")
            .field("holding", &self.is_holding())
            .finish()
    }
}

impl PassphraseHold {
    /// Holds `passphrase` for `key_id` for `duration`, replacing whatever was held.
    pub fn hold(&self, key_id: &str, passphrase: Zeroizing<String>, duration: Duration) {
        let mut slot = self.shared.lock();
        slot.held = Some(Held {
            key_id: key_id.to_string(),
            passphrase,
            until: Instant::now() + duration,
        });
        if !slot.watcher_started {
            slot.watcher_started = true;
            let shared = Arc::clone(&self.shared);
            // If the thread cannot start, the deadline is still checked on every read below.
            let started = std::thread::Builder::new()
                .name("passphrase-expiry".into())
                .spawn(move || watch(&shared));
            if started.is_err() {
                slot.watcher_started = false;
            }
        }
        self.shared.changed.notify_all();
    }

    /// The held passphrase of `key_id`, if one is held and its time has not run out.
    pub fn get(&self, key_id: &str) -> Option<Zeroizing<String>> {
        let mut slot = self.shared.lock();
        expire(&mut slot);
        slot.held
            .as_ref()
            .filter(|h| h.key_id == key_id)
            .map(|h| h.passphrase.clone())
    }

    /// Whole seconds until the passphrase of `key_id` is forgotten (0 when none is held).
    pub fn seconds_left(&self, key_id: &str) -> u32 {
        let slot = self.shared.lock();
        slot.held
            .as_ref()
            .filter(|h| h.key_id == key_id)
            .map(|h| {
                u32::try_from(h.until.saturating_duration_since(Instant::now()).as_secs())
                    .unwrap_or(u32::MAX)
            })
            .unwrap_or(0)
    }

    /// Whether any passphrase is in memory now. Reading this never wipes one, so it tells
    /// whether the watcher did.
    pub fn is_holding(&self) -> bool {
        self.shared.lock().held.is_some()
    }

    /// Wipes the held passphrase now.
    pub fn forget(&self) {
        self.shared.lock().held = None;
        self.shared.changed.notify_all();
    }
}

impl Drop for PassphraseHold {
    fn drop(&mut self) {
        let mut slot = self.shared.lock();
        slot.held = None;
        slot.closed = true;
        self.shared.changed.notify_all();
    }
}

fn expire(slot: &mut Slot) {
    if slot
        .held
        .as_ref()
        .is_some_and(|h| h.until <= Instant::now())
    {
        slot.held = None;
    }
}

/// Sleeps until the deadline of what is held, wipes it, and sleeps until something is held
/// again; ends when the hold is dropped.
fn watch(shared: &Shared) {
    let mut slot = shared.lock();
    while !slot.closed {
        expire(&mut slot);
        slot = match slot.held.as_ref().map(|h| h.until) {
            None => shared.changed.wait(slot).unwrap_or_else(|p| p.into_inner()),
            Some(until) => {
                let wait = until.saturating_duration_since(Instant::now());
                shared
                    .changed
                    .wait_timeout(slot, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase() -> Zeroizing<String> {
        Zeroizing::new("correct horse battery".to_string())
    }

    /// Polls until `done` holds, failing after five seconds.
    fn within_five_seconds(done: impl Fn() -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_passphrase_is_gone_when_its_time_runs_out_without_anything_asking_for_it() {
        let hold = PassphraseHold::default();
        hold.hold("k1", phrase(), Duration::from_millis(200));
        assert!(hold.is_holding());
        assert_eq!(
            hold.get("k1").as_deref().map(String::as_str),
            Some("correct horse battery")
        );
        // Nothing reads it from here on: only the watcher can wipe it.
        within_five_seconds(|| !hold.is_holding(), "the watcher to wipe the passphrase");
        assert_eq!(hold.get("k1"), None);
        assert_eq!(hold.seconds_left("k1"), 0);
    }

    #[test]
    fn holding_again_moves_the_deadline_and_a_new_hold_after_expiry_is_watched_too() {
        let hold = PassphraseHold::default();
        hold.hold("k1", phrase(), Duration::from_millis(100));
        hold.hold("k1", phrase(), Duration::from_secs(3600));
        std::thread::sleep(Duration::from_millis(300));
        assert!(hold.is_holding(), "the later deadline counts");
        assert!(hold.seconds_left("k1") > 3500);
        hold.hold("k1", phrase(), Duration::from_millis(100));
        within_five_seconds(|| !hold.is_holding(), "the second deadline");
        hold.hold("k1", phrase(), Duration::from_millis(100));
        within_five_seconds(|| !hold.is_holding(), "a hold made after the first expired");
    }

    #[test]
    fn another_key_gets_nothing_and_forget_wipes_at_once() {
        let hold = PassphraseHold::default();
        hold.hold("k1", phrase(), Duration::from_secs(60));
        assert_eq!(hold.get("k2"), None);
        assert_eq!(hold.seconds_left("k2"), 0);
        hold.forget();
        assert!(!hold.is_holding());
    }
}
