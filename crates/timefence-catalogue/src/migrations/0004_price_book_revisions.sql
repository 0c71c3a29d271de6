-- Version 4: a product's prices change over time. Each price book is a revision that applies
-- from a date on, and the cost of a day uses the book in force on that day. A product may
-- exist with no price yet (the app then says "No price for <product>", never $0.00).

CREATE TABLE price_books (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    -- The first local date (YYYY-MM-DD) the book prices.
    applies_from TEXT NOT NULL CHECK (applies_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    -- Price of one seat for one block of hours, in the currency's minor units.
    price_minor  INTEGER NOT NULL CHECK (price_minor >= 0),
    block_hours  INTEGER NOT NULL CHECK (block_hours BETWEEN 1 AND 24),
    rounding     TEXT NOT NULL CHECK (rounding IN ('pro_rata', 'whole_blocks')),
    created_at   TEXT NOT NULL,
    UNIQUE (product_id, applies_from)
);

-- Each product's one price so far has always applied.
INSERT INTO price_books (product_id, applies_from, currency, price_minor, block_hours, rounding, created_at)
    SELECT id, '1970-01-01', currency, price_minor, block_hours, rounding, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    FROM products;

ALTER TABLE products DROP COLUMN currency;
ALTER TABLE products DROP COLUMN price_minor;
ALTER TABLE products DROP COLUMN block_hours;
ALTER TABLE products DROP COLUMN rounding;

-- Every product a license names is a product of the catalogue, priced or not.
INSERT OR IGNORE INTO products (name)
    SELECT DISTINCT trim(product) FROM licenses WHERE trim(product) <> '';

-- A license keeps its place on the timeline (and its colour) across renames and revisions:
-- `origin` is the id of its first revision, and lanes are ordered by it.
ALTER TABLE licenses ADD COLUMN origin INTEGER;
WITH RECURSIVE chain(id, origin) AS (
    SELECT id, id FROM licenses WHERE supersedes IS NULL
    UNION ALL
    SELECT l.id, chain.origin FROM licenses l JOIN chain ON l.supersedes = chain.id
)
UPDATE licenses SET origin = (SELECT chain.origin FROM chain WHERE chain.id = licenses.id);
UPDATE licenses SET origin = id WHERE origin IS NULL;
ALTER TABLE deleted_licenses ADD COLUMN origin INTEGER;
