-- Version 1: customers and their licenses. A license row holds the engine's terms as text,
-- exactly as TermsSpec reads them, so that a row is always re-validated when it is loaded.
CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(trim(name)) > 0),
    contact      TEXT NOT NULL DEFAULT '',
    country      TEXT NOT NULL DEFAULT '',
    default_zone TEXT NOT NULL DEFAULT 'UTC',
    notes        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);

CREATE TABLE licenses (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    product     TEXT NOT NULL DEFAULT '',
    seats       INTEGER NOT NULL CHECK (seats > 0),
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    daily_start TEXT NOT NULL,
    daily_end   TEXT NOT NULL,
    daily_limit TEXT,
    zone        TEXT NOT NULL,
    weekdays    INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127),
    features    TEXT NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'issued', 'superseded', 'revoked')),
    revision    INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX licenses_by_customer ON licenses(customer_id);
