-- Version 2: license revisions and serials, products with price books, signing keys' metadata,
-- the audit log of issued files, settings, and the search index.

ALTER TABLE licenses ADD COLUMN serial INTEGER;
ALTER TABLE licenses ADD COLUMN supersedes INTEGER REFERENCES licenses(id);
CREATE INDEX licenses_by_validity ON licenses(start_date, end_date);
-- Prefix search ("No" as the first letters typed) uses this index through LIKE.
CREATE INDEX licenses_by_name ON licenses(name COLLATE NOCASE);
CREATE INDEX customers_by_zone ON customers(default_zone);
CREATE UNIQUE INDEX licenses_serial ON licenses(serial) WHERE serial IS NOT NULL;

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(trim(name)) > 0),
    currency      TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
    -- Price of one seat for one block of hours, in the currency's minor units (cents).
    price_minor   INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    block_hours   INTEGER NOT NULL DEFAULT 8 CHECK (block_hours BETWEEN 1 AND 24),
    rounding      TEXT NOT NULL DEFAULT 'pro_rata' CHECK (rounding IN ('pro_rata', 'whole_blocks'))
);

-- Private keys never enter the catalogue: only their public half and where the encrypted
-- PKCS#8 file lives.
CREATE TABLE signing_keys (
    key_id       TEXT PRIMARY KEY,
    public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'standby', 'retired')),
    private_file TEXT
);
CREATE UNIQUE INDEX one_active_key ON signing_keys(status) WHERE status = 'active';

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    issued_at   TEXT NOT NULL,
    license_id  INTEGER NOT NULL REFERENCES licenses(id),
    revision    INTEGER NOT NULL,
    key_id      TEXT NOT NULL REFERENCES signing_keys(key_id),
    serial      INTEGER NOT NULL,
    file_sha256 TEXT NOT NULL
);
CREATE INDEX audit_by_license ON audit_log(license_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Substring search as you type: trigram indexes over names, products and zones, kept in step
-- with their tables by triggers.
CREATE VIRTUAL TABLE customer_search USING fts5(name, default_zone, content='customers', content_rowid='id', tokenize='trigram');
INSERT INTO customer_search(rowid, name, default_zone) SELECT id, name, default_zone FROM customers;
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search(rowid, name, default_zone) VALUES (new.id, new.name, new.default_zone);
END;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, name, default_zone) VALUES ('delete', old.id, old.name, old.default_zone);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, default_zone ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, name, default_zone) VALUES ('delete', old.id, old.name, old.default_zone);
    INSERT INTO customer_search(rowid, name, default_zone) VALUES (new.id, new.name, new.default_zone);
END;

CREATE VIRTUAL TABLE license_search USING fts5(name, product, zone, content='licenses', content_rowid='id', tokenize='trigram');
INSERT INTO license_search(rowid, name, product, zone) SELECT id, name, product, zone FROM licenses;
CREATE TRIGGER licenses_search_insert AFTER INSERT ON licenses BEGIN
    INSERT INTO license_search(rowid, name, product, zone) VALUES (new.id, new.name, new.product, new.zone);
END;
CREATE TRIGGER licenses_search_delete AFTER DELETE ON licenses BEGIN
    INSERT INTO license_search(license_search, rowid, name, product, zone) VALUES ('delete', old.id, old.name, old.product, old.zone);
END;
CREATE TRIGGER licenses_search_update AFTER UPDATE OF name, product, zone ON licenses BEGIN
    INSERT INTO license_search(license_search, rowid, name, product, zone) VALUES ('delete', old.id, old.name, old.product, old.zone);
    INSERT INTO license_search(rowid, name, product, zone) VALUES (new.id, new.name, new.product, new.zone);
END;
