-- Version 8: files being issued. Issuing writes the signed file under a temporary name, then
-- commits the issued mark and the audit entry, then renames the file into place, so a failure
-- never loses the customer's previous file. A row here lives from before the temporary file
-- is written until it is in place; one found at the next start is a signing that stopped
-- between two of those steps, which `timefence_signing::issue::recover` finishes or reports.
CREATE TABLE files_being_issued (
    serial      INTEGER PRIMARY KEY,
    license_id  INTEGER NOT NULL,
    temporary   TEXT NOT NULL,
    destination TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    -- 1 once the issued mark and the audit entry are committed.
    recorded    INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL
);
