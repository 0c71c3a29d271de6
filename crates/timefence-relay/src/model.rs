//! What the relay keeps and answers: leases, requests, refusals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch: the relay's one unit of time on disk and on the wire.
pub type Millis = i64;

/// The longest holder name a client may send, in bytes.
pub const MAX_HOLDER: usize = 200;
/// The longest nonce a client may send, in bytes.
pub const MAX_NONCE: usize = 100;
/// The largest request body read, in bytes; anything larger is refused unread.
pub const MAX_BODY: usize = 16 * 1024;

/// One seat held by one holder until `expires_at` unless renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// `<license ref>.<32 hex digits>`: the license is part of the id, so a renewal finds its
    /// license without a lookup.
    pub id: String,
    /// The license, as the relay names it (`<key id>-<license id>`).
    pub license: String,
    /// Who holds the seat (a user, a machine, an agent id: the vendor's application decides).
    pub holder: String,
    /// The claim's nonce: a claim repeated with the same holder and nonce gets the same lease
    /// (and the same secret: it is derived from the lease id and the nonce, see
    /// [`crate::logic::Policy::lease_key`]).
    pub nonce: String,
    /// Counts renewals; a renewal with a number already seen changes nothing.
    pub seq: u64,
    /// The window occurrence the lease belongs to (its local opening date, as the engine keys
    /// consumption).
    pub occurrence: String,
    /// When the lease was granted.
    pub granted_at: Millis,
    /// When it ends unless renewed. Never after the window's close, the budget's end, or the
    /// file's not-after.
    pub expires_at: Millis,
    /// The end of the time already charged to the occurrence for this lease. Equal to
    /// `expires_at`: a lease is charged up front for the time it may run.
    pub charged_until: Millis,
}

/// The id part of a lease id after the license.
pub fn lease_license(lease_id: &str) -> Option<&str> {
    let (license, random) = lease_id.rsplit_once('.')?;
    (random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()) && !license.is_empty())
        .then_some(license)
}

/// What a client asks of a license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A seat for `holder`.
    Claim {
        /// Who.
        holder: String,
        /// Makes a retried claim idempotent.
        nonce: String,
    },
    /// More time on a lease.
    Renew {
        /// The lease.
        lease: String,
        /// The renewal's number: one more than the lease's (or the lease's own, a replay).
        seq: u64,
        /// The secret the claim answered: only the claimer can act on its lease.
        secret: String,
    },
    /// Give a seat back.
    Release {
        /// The lease.
        lease: String,
        /// The secret the claim answered.
        secret: String,
    },
    /// Record the end of leases that ran out (the relay asks this itself, periodically, so
    /// the usage history is complete even for licenses nobody asks about any more).
    Sweep,
}

impl Request {
    /// The lease a renewal or release names.
    pub fn lease(&self) -> Option<&str> {
        match self {
            Request::Claim { .. } | Request::Sweep => None,
            Request::Renew { lease, .. } | Request::Release { lease, .. } => Some(lease),
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A new lease (or the same one again, for a repeated claim). Its secret is
    /// [`crate::logic::Policy::secret`] of it, told to the claimer only.
    Granted {
        /// The lease.
        lease: Lease,
        /// When it was decided: the client measures the lease's time left from it, on its
        /// own monotonic clock, whatever its wall clock says.
        now: Millis,
    },
    /// The lease, renewed (or unchanged, for a repeated renewal).
    Renewed {
        /// The lease.
        lease: Lease,
        /// When it was decided.
        now: Millis,
    },
    /// Ended leases were recorded.
    Swept,
    /// The seat is free again; the unused time went back to the occurrence's budget.
    Released {
        /// The lease as it was.
        lease: Lease,
        /// The time given back.
        refunded_ms: Millis,
    },
}

/// Why the relay says no. Serialised as `{"type": ..., "data": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "type", content = "data")]
pub enum Refusal {
    /// Every seat is taken.
    #[error("all {seats} seats are in use")]
    SeatsFull {
        /// Leases active now.
        in_use: u32,
        /// The license's seats.
        seats: u32,
    },
    /// Between windows (or on a weekday the window does not open).
    #[error("outside the daily window")]
    OutsideWindow {
        /// When a window opens next.
        next_opening: Option<DateTime<Utc>>,
    },
    /// The occurrence's budget, or this holder's daily limit, is spent.
    #[error("the daily limit is used up")]
    ConsumptionExhausted {
        /// When a window opens next.
        next_opening: Option<DateTime<Utc>>,
    },
    /// No window will open again, or the file's not-after has passed.
    #[error("the license has expired")]
    Expired,
    /// The license's first date is still ahead.
    #[error("the license is not valid yet")]
    NotYetValid {
        /// When its first window opens.
        next_opening: Option<DateTime<Utc>>,
    },
    /// The relay's clock reads earlier than a time it has already seen, by more than the
    /// tolerance; nothing is granted until it is right again.
    #[error("the relay's clock went back")]
    ClockRollback {
        /// The clock now.
        now: DateTime<Utc>,
        /// The latest time the relay has seen.
        high_water: DateTime<Utc>,
    },
    /// The relay serves no such license.
    #[error("no license {license} is served here")]
    UnknownLicense {
        /// The name asked for.
        license: String,
    },
    /// No such lease, or it has ended and a new claim is needed.
    #[error("lease {lease} is not held")]
    LeaseNotHeld {
        /// The lease asked for.
        lease: String,
    },
    /// A renewal's `seq` is neither the next one nor the lease's own (a replay): the client has
    /// lost track, or someone else is guessing. Nothing changed.
    #[error("seq {got} is out of order: the next renewal of this lease is seq {expected}")]
    SeqConflict {
        /// The seq the next renewal must carry.
        expected: u64,
        /// The seq sent.
        got: u64,
    },
    /// Client authentication is on and the request carries no valid token or certificate.
    #[error("not authorised: {message}")]
    Unauthorized {
        /// What is missing or wrong.
        message: String,
    },
    /// The request itself is wrong.
    #[error("bad request: {message}")]
    BadRequest {
        /// What is wrong, naming the field.
        message: String,
    },
    /// The storage cannot be reached; try again shortly.
    #[error("storage unavailable: {message}")]
    Unavailable {
        /// What failed.
        message: String,
    },
}

impl Refusal {
    /// The reason's name, as `type` carries it.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::SeatsFull { .. } => "SeatsFull",
            Refusal::OutsideWindow { .. } => "OutsideWindow",
            Refusal::ConsumptionExhausted { .. } => "ConsumptionExhausted",
            Refusal::Expired => "Expired",
            Refusal::NotYetValid { .. } => "NotYetValid",
            Refusal::ClockRollback { .. } => "ClockRollback",
            Refusal::UnknownLicense { .. } => "UnknownLicense",
            Refusal::LeaseNotHeld { .. } => "LeaseNotHeld",
            Refusal::SeqConflict { .. } => "SeqConflict",
            Refusal::Unauthorized { .. } => "Unauthorized",
            Refusal::BadRequest { .. } => "BadRequest",
            Refusal::Unavailable { .. } => "Unavailable",
        }
    }

    /// The HTTP status that carries it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::SeatsFull { .. } | Refusal::SeqConflict { .. } => 409,
            Refusal::Unauthorized { .. } => 401,
            Refusal::OutsideWindow { .. }
            | Refusal::ConsumptionExhausted { .. }
            | Refusal::Expired
            | Refusal::NotYetValid { .. } => 403,
            Refusal::UnknownLicense { .. } | Refusal::LeaseNotHeld { .. } => 404,
            Refusal::BadRequest { .. } => 400,
            Refusal::ClockRollback { .. } | Refusal::Unavailable { .. } => 503,
        }
    }

    /// Whether the refusal is about the license's terms and belongs in the usage history
    /// (bad requests and unknown names change nothing and are not recorded).
    pub fn is_recorded(&self) -> bool {
        !matches!(
            self,
            Refusal::UnknownLicense { .. }
                | Refusal::LeaseNotHeld { .. }
                | Refusal::SeqConflict { .. }
                | Refusal::Unauthorized { .. }
                | Refusal::BadRequest { .. }
                | Refusal::Unavailable { .. }
        )
    }
}

/// One line of the usage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened (for an expiry: when the lease ended).
    pub at: Millis,
    /// The license.
    pub license: String,
    /// The lease, if any.
    pub lease: Option<String>,
    /// The holder, if known.
    pub holder: Option<String>,
    /// `granted`, `renewed`, `released`, `expired` or `refused`.
    pub kind: String,
    /// For a refusal, its type.
    pub reason: Option<String>,
    /// The interval charged (`charged_from < charged_to`) or refunded (the reverse) to the
    /// occurrence; equal when nothing was.
    pub charged_from: Millis,
    /// See `charged_from`.
    pub charged_to: Millis,
    /// The occurrence charged, if any.
    pub occurrence: Option<String>,
}

/// The state of one license as its grant transaction reads it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot<'a> {
    /// The latest clock reading stored for the license.
    pub high_water: Option<Millis>,
    /// Every stored lease of the license, ended ones included.
    pub leases: &'a [Lease],
    /// Time charged to the occurrence the request concerns, all holders.
    pub occurrence_charged: Millis,
    /// Time charged to that occurrence for the request's holder.
    pub holder_charged: Millis,
}

/// A change the grant transaction writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The license's clock high-water mark.
    HighWater(Millis),
    /// A new lease.
    Insert(Lease),
    /// A renewed lease.
    Update(Lease),
    /// A released or ended lease.
    Delete(String),
    /// Time charged (or, negative, refunded) to an occurrence for a holder.
    Charge {
        /// The occurrence.
        occurrence: String,
        /// The holder.
        holder: String,
        /// Milliseconds; negative for a refund.
        ms: Millis,
    },
    /// A line of usage history.
    Record(Event),
}
