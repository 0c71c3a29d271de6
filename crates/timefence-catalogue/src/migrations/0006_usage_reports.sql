-- Version 6: usage reports from customers' Timefence Relays. Each row is one imported report,
-- its signed payload kept as JSON (quarter-hours, refusals, holders per license), for the
-- customer its certificate names. The period of days it covers is kept apart so that a second
-- report overlapping it (the same days counted twice) can be refused in the same transaction.
CREATE TABLE usage_reports (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    relay_key   TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX usage_reports_by_customer ON usage_reports(customer_id, period_from);
