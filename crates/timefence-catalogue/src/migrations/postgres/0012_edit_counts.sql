-- Version 12, as the SQLite migration of the same number: edit counts on customers and
-- licenses (and their trash), so an edit started from a count someone else has passed is
-- refused instead of overwriting theirs.
ALTER TABLE customers ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deleted_customers ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deleted_licenses ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
