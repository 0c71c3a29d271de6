-- Version 5: every license gets a global identity, 128 random bits in lowercase hex, made
-- when it is created and kept across its revisions. License files carry it, and verifiers key
-- supersession and usage by (signing key, uid), so two catalogues that share a key, or two
-- customers, never share a ledger entry. Row ids stay for people and for the app's commands.
ALTER TABLE licenses ADD COLUMN uid TEXT;
ALTER TABLE deleted_licenses ADD COLUMN uid TEXT;
-- One uid per revision chain: the first revision draws it, the later ones copy it.
UPDATE licenses SET uid = lower(hex(randomblob(16))) WHERE id = coalesce(origin, id);
UPDATE licenses SET uid = (SELECT o.uid FROM licenses o WHERE o.id = licenses.origin)
    WHERE uid IS NULL;
UPDATE licenses SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
UPDATE deleted_licenses SET uid = coalesce(
    (SELECT l.uid FROM licenses l WHERE l.origin = deleted_licenses.origin LIMIT 1),
    lower(hex(randomblob(16))));
CREATE INDEX licenses_by_uid ON licenses(uid);
