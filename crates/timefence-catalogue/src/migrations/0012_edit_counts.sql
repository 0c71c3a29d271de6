-- Version 12: every customer and license counts its saved edits, so that an edit can say which
-- one it started from and is refused, not applied over, when someone else saved in between
-- (two administrators on one team catalogue). Rows in the trash keep their count.
ALTER TABLE customers ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deleted_customers ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deleted_licenses ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
