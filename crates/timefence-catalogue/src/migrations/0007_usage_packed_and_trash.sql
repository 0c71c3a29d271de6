-- Version 7: a usage report's quarter-hours packed apart from its payload, and a trash for
-- reports.
-- A year of ten licenses is 117,000 quarter-hours: read back as JSON they cost the Forecast
-- most of its time, packed (20 bytes each, little-endian: start i64, peak u32, seat-seconds
-- i64, per license in the payload's order, each list led by its length as u32) they cost
-- almost nothing. Rows from version 6 keep their quarter-hours in the payload (packed is NULL)
-- and read as before.
ALTER TABLE usage_reports ADD COLUMN packed BLOB;

-- Deleting a customer moves its reports here, and undoing the deletion moves them back.
CREATE TABLE deleted_usage_reports (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    relay_key   TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    payload     TEXT NOT NULL,
    packed      BLOB
);
