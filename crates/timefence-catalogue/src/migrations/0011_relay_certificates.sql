-- Version 11: the relay certificates this catalogue signed, so they can be listed, limited to
-- chosen licenses, given an end, and withdrawn. A certificate is the vendor's statement "this
-- relay key serves these licenses of this customer until not_after"; withdrawing one records
-- when, and usage reports its relay signed are refused from then on.
CREATE TABLE relay_certificates (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL,
    relay_key    TEXT NOT NULL,
    -- Its key id as people read it (the first 8 bytes of its SHA-256, hex).
    relay_key_id TEXT NOT NULL,
    -- JSON array of license uids; [] means every license of the customer.
    licenses     TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    not_after    TEXT,
    withdrawn_at TEXT
);
CREATE INDEX relay_certificates_by_key ON relay_certificates(relay_key, issued_at);
