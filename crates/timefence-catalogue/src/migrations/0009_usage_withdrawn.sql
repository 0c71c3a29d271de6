-- Version 9: a usage report withdrawn on its own (an import undone, or a mistaken one taken
-- back) waits in the trash like a deleted customer's reports, but stays there when that
-- customer is deleted and brought back: only `withdrawn_alone = 0` rows return with it.
ALTER TABLE deleted_usage_reports ADD COLUMN withdrawn_alone INTEGER NOT NULL DEFAULT 0;
