-- Version 10: every customer gets a global identity, 128 random bits in lowercase hex, made
-- when it is created and never changed. License files, relay certificates and usage reports
-- carry it beside the customer's name, and match by it, so renaming a customer changes
-- nothing downstream: its relay goes on covering newly signed files and its reports import.
ALTER TABLE customers ADD COLUMN uid TEXT;
ALTER TABLE deleted_customers ADD COLUMN uid TEXT;
UPDATE customers SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
UPDATE deleted_customers SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
CREATE UNIQUE INDEX customers_by_uid ON customers(uid);
