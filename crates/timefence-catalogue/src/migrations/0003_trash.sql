-- Version 3: a trash for deleted customers and licenses. A deletion moves the rows here
-- (keeping their ids) so that the app can undo it; nothing else reads these tables.
CREATE TABLE deleted_customers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    contact      TEXT NOT NULL,
    country      TEXT NOT NULL,
    default_zone TEXT NOT NULL,
    notes        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    deleted_at   TEXT NOT NULL
);

CREATE TABLE deleted_licenses (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    name        TEXT NOT NULL,
    product     TEXT NOT NULL,
    seats       INTEGER NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    daily_start TEXT NOT NULL,
    daily_end   TEXT NOT NULL,
    daily_limit TEXT,
    zone        TEXT NOT NULL,
    weekdays    INTEGER NOT NULL,
    features    TEXT NOT NULL,
    state       TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    serial      INTEGER,
    supersedes  INTEGER,
    deleted_at  TEXT NOT NULL
);
CREATE INDEX deleted_licenses_by_customer ON deleted_licenses(customer_id);
