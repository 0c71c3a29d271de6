//! The statements both engines run, with PostgreSQL's `$n` placeholders (the SQLite store
//! turns them into `?n`); the schemas differ only in their types.

// Retention: whole UTC days older than the horizon are folded, once, into what a report needs of
// them (each quarter-hour's peak and seat-seconds, and the day's holders), and their events
// deleted; `relay_meta.folded_until` is where the folded days end. A report reads the folded
// tables before that instant and the events from it on.
//
// Refusals are counted per license, quarter-hour and reason (`relay_refusals`), not kept one
// row each: a client refused again and again (or anyone at all, without authentication) grows
// one counter, not the database. The distinct holders refused are kept beside them
// (`relay_refused_holders`, at most MAX_REFUSED_HOLDERS per license, quarter-hour and reason),
// so a report counts people turned away, not their retries. Databases from before keep their old `refused` rows in
// `relay_events`, and reports count both.

/// Version 1 of the schema, SQLite.
pub const SCHEMA_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS relay_licenses (
    ref TEXT PRIMARY KEY,
    high_water INTEGER
);
CREATE TABLE IF NOT EXISTS relay_leases (
    id TEXT PRIMARY KEY,
    license TEXT NOT NULL,
    holder TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seq INTEGER NOT NULL,
    occurrence TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    charged_until INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_leases_license ON relay_leases(license);
CREATE TABLE IF NOT EXISTS relay_occurrences (
    license TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    charged_ms INTEGER NOT NULL,
    PRIMARY KEY (license, occurrence)
);
CREATE TABLE IF NOT EXISTS relay_charges (
    license TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    holder TEXT NOT NULL,
    charged_ms INTEGER NOT NULL,
    PRIMARY KEY (license, occurrence, holder)
);
CREATE TABLE IF NOT EXISTS relay_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    license TEXT NOT NULL,
    lease TEXT,
    holder TEXT,
    kind TEXT NOT NULL,
    reason TEXT,
    charged_from INTEGER NOT NULL,
    charged_to INTEGER NOT NULL,
    occurrence TEXT
);
CREATE INDEX IF NOT EXISTS relay_events_at ON relay_events(at);
CREATE TABLE IF NOT EXISTS relay_refusals (
    license TEXT NOT NULL,
    quarter INTEGER NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (license, quarter, reason)
);
CREATE TABLE IF NOT EXISTS relay_refused_holders (
    license TEXT NOT NULL,
    quarter INTEGER NOT NULL,
    reason TEXT NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (license, quarter, reason, holder)
);
CREATE TABLE IF NOT EXISTS relay_folded_quarters (
    license TEXT NOT NULL,
    quarter INTEGER NOT NULL,
    peak INTEGER NOT NULL,
    seat_seconds INTEGER NOT NULL,
    PRIMARY KEY (license, quarter)
);
CREATE TABLE IF NOT EXISTS relay_folded_holders (
    license TEXT NOT NULL,
    day TEXT NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (license, day, holder)
);
CREATE TABLE IF NOT EXISTS relay_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

/// Version 1 of the schema, PostgreSQL.
pub const SCHEMA_POSTGRES: &str = "
CREATE TABLE IF NOT EXISTS relay_licenses (
    ref TEXT PRIMARY KEY,
    high_water BIGINT
);
CREATE TABLE IF NOT EXISTS relay_leases (
    id TEXT PRIMARY KEY,
    license TEXT NOT NULL,
    holder TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seq BIGINT NOT NULL,
    occurrence TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    charged_until BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_leases_license ON relay_leases(license);
CREATE TABLE IF NOT EXISTS relay_occurrences (
    license TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    charged_ms BIGINT NOT NULL,
    PRIMARY KEY (license, occurrence)
);
CREATE TABLE IF NOT EXISTS relay_charges (
    license TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    holder TEXT NOT NULL,
    charged_ms BIGINT NOT NULL,
    PRIMARY KEY (license, occurrence, holder)
);
CREATE TABLE IF NOT EXISTS relay_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    license TEXT NOT NULL,
    lease TEXT,
    holder TEXT,
    kind TEXT NOT NULL,
    reason TEXT,
    charged_from BIGINT NOT NULL,
    charged_to BIGINT NOT NULL,
    occurrence TEXT
);
CREATE INDEX IF NOT EXISTS relay_events_at ON relay_events(at);
CREATE TABLE IF NOT EXISTS relay_refusals (
    license TEXT NOT NULL,
    quarter BIGINT NOT NULL,
    reason TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (license, quarter, reason)
);
CREATE TABLE IF NOT EXISTS relay_refused_holders (
    license TEXT NOT NULL,
    quarter BIGINT NOT NULL,
    reason TEXT NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (license, quarter, reason, holder)
);
CREATE TABLE IF NOT EXISTS relay_folded_quarters (
    license TEXT NOT NULL,
    quarter BIGINT NOT NULL,
    peak INTEGER NOT NULL,
    seat_seconds BIGINT NOT NULL,
    PRIMARY KEY (license, quarter)
);
CREATE TABLE IF NOT EXISTS relay_folded_holders (
    license TEXT NOT NULL,
    day TEXT NOT NULL,
    holder TEXT NOT NULL,
    PRIMARY KEY (license, day, holder)
);
CREATE TABLE IF NOT EXISTS relay_meta (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
";

/// Makes sure the license has a row (the row PostgreSQL locks).
pub const ENSURE_LICENSE: &str =
    "INSERT INTO relay_licenses (ref, high_water) VALUES ($1, NULL) ON CONFLICT (ref) DO NOTHING";
/// The license's high-water mark (PostgreSQL appends `FOR UPDATE`).
pub const HIGH_WATER: &str = "SELECT high_water FROM relay_licenses WHERE ref = $1";
/// Every stored lease of a license.
pub const LEASES: &str = "SELECT id, license, holder, nonce, seq, occurrence, granted_at, expires_at, charged_until FROM relay_leases WHERE license = $1";
/// An occurrence's charge, all holders.
pub const OCCURRENCE_CHARGED: &str =
    "SELECT charged_ms FROM relay_occurrences WHERE license = $1 AND occurrence = $2";
/// One holder's charge in an occurrence.
pub const HOLDER_CHARGED: &str =
    "SELECT charged_ms FROM relay_charges WHERE license = $1 AND occurrence = $2 AND holder = $3";
/// Sets the high-water mark.
pub const SET_HIGH_WATER: &str = "UPDATE relay_licenses SET high_water = $2 WHERE ref = $1";
/// A new lease.
pub const INSERT_LEASE: &str = "INSERT INTO relay_leases (id, license, holder, nonce, seq, occurrence, granted_at, expires_at, charged_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// A renewed lease.
pub const UPDATE_LEASE: &str =
    "UPDATE relay_leases SET seq = $2, expires_at = $3, charged_until = $4 WHERE id = $1";
/// A lease gone.
pub const DELETE_LEASE: &str = "DELETE FROM relay_leases WHERE id = $1";
/// Adds to an occurrence's charge.
pub const CHARGE_OCCURRENCE: &str = "INSERT INTO relay_occurrences (license, occurrence, charged_ms) VALUES ($1, $2, $3) ON CONFLICT (license, occurrence) DO UPDATE SET charged_ms = relay_occurrences.charged_ms + excluded.charged_ms";
/// Adds to a holder's charge.
pub const CHARGE_HOLDER: &str = "INSERT INTO relay_charges (license, occurrence, holder, charged_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (license, occurrence, holder) DO UPDATE SET charged_ms = relay_charges.charged_ms + excluded.charged_ms";
/// A line of history.
pub const RECORD: &str = "INSERT INTO relay_events (at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Every license's high-water mark.
pub const MARKS: &str =
    "SELECT ref, high_water FROM relay_licenses WHERE high_water IS NOT NULL ORDER BY ref";
/// Lowers the marks above `$1` to `$1`; returns each changed license and its old mark.
pub const RESET_MARKS: &str = "UPDATE relay_licenses AS l SET high_water = $1 FROM (SELECT ref, high_water FROM relay_licenses WHERE high_water > $1 FOR UPDATE) AS old WHERE l.ref = old.ref RETURNING l.ref, old.high_water";
/// Counts one more refusal in its quarter-hour (`$2`, milliseconds).
pub const COUNT_REFUSAL: &str = "INSERT INTO relay_refusals (license, quarter, reason, count) VALUES ($1, $2, $3, $4) ON CONFLICT (license, quarter, reason) DO UPDATE SET count = relay_refusals.count + excluded.count";
/// A refused holder, unless the quarter-hour already has the most it keeps ($5).
pub const REFUSED_HOLDER: &str = "INSERT INTO relay_refused_holders (license, quarter, reason, holder) SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM relay_refused_holders WHERE license = $1 AND quarter = $2 AND reason = $3) < $5 ON CONFLICT (license, quarter, reason, holder) DO NOTHING";
/// Distinct holders refused per license, quarter-hour and reason, in `[$1, $2)`.
pub const REFUSED_HOLDERS_BETWEEN: &str = "SELECT license, quarter, reason, count(*) FROM relay_refused_holders WHERE quarter >= $1 AND quarter < $2 GROUP BY license, quarter, reason";
/// The refusals counted in quarter-hours starting in `[$1, $2)`.
pub const REFUSALS_BETWEEN: &str = "SELECT license, quarter, reason, count FROM relay_refusals WHERE quarter >= $1 AND quarter < $2";
/// The spans charged or refunded by events recorded in `[$1, $2)`, sorted by license and start
/// (SQLite; PostgreSQL says `LEAST`). Sorted by the database, on disk when it must.
pub const SPANS_SQLITE: &str = "SELECT license, charged_from, charged_to FROM relay_events WHERE at >= $1 AND at < $2 AND kind IN ('granted', 'renewed', 'released') AND charged_from <> charged_to ORDER BY license, MIN(charged_from, charged_to)";
/// See [`SPANS_SQLITE`].
pub const SPANS_POSTGRES: &str = "SELECT license, charged_from, charged_to FROM relay_events WHERE at >= $1 AND at < $2 AND kind IN ('granted', 'renewed', 'released') AND charged_from <> charged_to ORDER BY license, LEAST(charged_from, charged_to)";
/// The holders per license whose charges, recorded in `[$1, $2)`, overlap `[$3, $4)`.
pub const HOLDERS: &str = "SELECT DISTINCT license, holder FROM relay_events WHERE at >= $1 AND at < $2 AND kind IN ('granted', 'renewed') AND charged_from < charged_to AND charged_from < $4 AND charged_to > $3";
/// Refusals recorded one row each (databases from before refusals were counted, not yet
/// folded), per license, quarter-hour and reason, in `[$1, $2)`.
pub const OLD_REFUSALS: &str = "SELECT license, (at / 900000) * 900000, COALESCE(reason, ''), COUNT(*) FROM relay_events WHERE kind = 'refused' AND at >= $1 AND at < $2 GROUP BY 1, 2, 3";
/// Where the folded days end (milliseconds), if any were folded.
pub const FOLDED_UNTIL: &str = "SELECT value FROM relay_meta WHERE key = 'folded_until'";
/// Sets where the folded days end.
pub const SET_FOLDED_UNTIL: &str = "INSERT INTO relay_meta (key, value) VALUES ('folded_until', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
/// The earliest event, where folding starts.
pub const FIRST_EVENT: &str = "SELECT MIN(at) FROM relay_events";
/// A folded quarter-hour.
pub const FOLD_QUARTER: &str = "INSERT INTO relay_folded_quarters (license, quarter, peak, seat_seconds) VALUES ($1, $2, $3, $4) ON CONFLICT (license, quarter) DO NOTHING";
/// A folded day's holder.
pub const FOLD_HOLDER: &str = "INSERT INTO relay_folded_holders (license, day, holder) VALUES ($1, $2, $3) ON CONFLICT (license, day, holder) DO NOTHING";
/// Refusals recorded one row each in `[$1, $2)` (older databases), moved into the counts.
pub const FOLD_OLD_REFUSALS: &str = "INSERT INTO relay_refusals (license, quarter, reason, count) SELECT license, (at / 900000) * 900000, COALESCE(reason, ''), COUNT(*) FROM relay_events WHERE kind = 'refused' AND at >= $1 AND at < $2 GROUP BY license, (at / 900000) * 900000, COALESCE(reason, '') ON CONFLICT (license, quarter, reason) DO UPDATE SET count = relay_refusals.count + excluded.count";
/// Deletes up to 10,000 events recorded before `$1` (a few at a time, so the relay's own
/// writes go on between them).
pub const DELETE_OLD_EVENTS: &str =
    "DELETE FROM relay_events WHERE id IN (SELECT id FROM relay_events WHERE at < $1 LIMIT 10000)";
/// Folded quarter-hours in `[$1, $2)`.
pub const FOLDED_QUARTERS: &str = "SELECT license, quarter, peak, seat_seconds FROM relay_folded_quarters WHERE quarter >= $1 AND quarter < $2 ORDER BY license, quarter";
/// Folded days' holders for days in `[$1, $2)` (YYYY-MM-DD).
pub const FOLDED_HOLDERS: &str =
    "SELECT DISTINCT license, holder FROM relay_folded_holders WHERE day >= $1 AND day < $2";
