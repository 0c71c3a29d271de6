//! Products and their price books. A product has a name (what licenses carry) and any number
//! of price-book revisions, each applying from a date on; the cost of a day uses the book in
//! force on that day. Money is in the currency's minor units; a currency is an ISO 4217 code
//! in use, whose minor unit the engine knows.

use crate::db::{params, Db, OptionalExtension};
use crate::{now_text, Catalogue, CatalogueError};
use std::collections::BTreeMap;
use timefence_terms::chrono::NaiveDate;
use timefence_terms::{currency_digits, PriceSchedule, Priced, Pricing, Rounding, Terms};

/// A product's row id.
pub type ProductId = i64;

/// The longest product name, in characters.
pub const MAX_PRODUCT_NAME: usize = 80;

/// One price-book revision: `price_minor` per seat per block of `block_hours` hours, from
/// `applies_from` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRevision {
    /// The first date it prices.
    pub applies_from: NaiveDate,
    /// ISO 4217 code (USD, EUR, JPY...).
    pub currency: String,
    /// Price of one seat for one block, in minor units (cents for USD, yen for JPY).
    pub price_minor: u64,
    /// Length of a block, in hours (the brief: 8).
    pub block_hours: u32,
    /// Rounding rule.
    pub rounding: Rounding,
}

impl PriceRevision {
    /// The engine's view of this book.
    pub fn pricing(&self) -> Pricing {
        Pricing {
            currency: self.currency.clone(),
            price_minor: self.price_minor,
            block_hours: self.block_hours,
            rounding: self.rounding,
        }
    }
}

/// A product with its price books, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Row id.
    pub id: ProductId,
    /// Name, unique without regard to case.
    pub name: String,
    /// Its price books by the date they apply from.
    pub prices: Vec<PriceRevision>,
    /// How many current licenses name it.
    pub license_count: u32,
}

/// Every product's prices over time, looked up by the product name a license carries.
#[derive(Debug, Clone, Default)]
pub struct PriceSchedules {
    by_name: BTreeMap<String, (ProductId, PriceSchedule)>,
    none: PriceSchedule,
}

impl PriceSchedules {
    /// The prices of `product` (any case); no price at all for a product the catalogue does
    /// not have.
    pub fn of(&self, product: &str) -> &PriceSchedule {
        self.by_name
            .get(&product.trim().to_lowercase())
            .map_or(&self.none, |(_, schedule)| schedule)
    }

    /// The id of the product named `product` (any case).
    pub fn id_of(&self, product: &str) -> Option<ProductId> {
        self.by_name
            .get(&product.trim().to_lowercase())
            .map(|(id, _)| *id)
    }

    /// `terms` with their products' prices, for [`timefence_terms::schedule_cost`].
    pub fn priced<'a>(&'a self, terms: &[&'a Terms]) -> Vec<Priced<'a>> {
        terms
            .iter()
            .map(|t| Priced {
                terms: t,
                prices: self.of(&t.product),
            })
            .collect()
    }
}

impl Product {
    /// Its prices over time, for the engine.
    pub fn schedule(&self) -> PriceSchedule {
        PriceSchedule::new(
            self.prices
                .iter()
                .map(|p| (p.applies_from, p.pricing()))
                .collect(),
        )
    }

    /// The book in force on `date`.
    pub fn price_on(&self, date: NaiveDate) -> Option<&PriceRevision> {
        self.prices.iter().rev().find(|p| p.applies_from <= date)
    }
}

fn rounding_text(rounding: Rounding) -> &'static str {
    match rounding {
        Rounding::ProRata => "pro_rata",
        Rounding::WholeBlocks => "whole_blocks",
    }
}

/// A product name trimmed and checked like every name in the catalogue.
pub(crate) fn product_name(name: &str) -> Result<String, CatalogueError> {
    crate::checked_name(name, "product", MAX_PRODUCT_NAME)
}

/// Makes sure a product named `name` exists: every product a license names is in the list.
pub(crate) fn ensure_product(conn: &Db, name: &str) -> Result<(), CatalogueError> {
    if name.trim().is_empty() {
        return Ok(());
    }
    let name = product_name(name)?;
    conn.execute(
        "INSERT INTO products (name) VALUES (?1) ON CONFLICT DO NOTHING",
        [name],
    )?;
    Ok(())
}

impl Catalogue {
    /// The product a license edited in the window may name: one of the catalogue's products
    /// (any case; its own spelling is returned). An empty name, or a name no product has, is
    /// refused rather than made into a new, unpriced product: new products are made on
    /// purpose ([`Catalogue::add_product`]). Files signed from the command line with
    /// `--terms` and imports still bring their products in.
    pub fn check_product(&self, name: &str) -> Result<String, CatalogueError> {
        if name.trim().is_empty() {
            let none: i64 = self
                .conn
                .query_row("SELECT count(*) FROM products", [], |r| r.get(0))?;
            return Err(if none == 0 {
                CatalogueError::NoProducts
            } else {
                CatalogueError::ProductNeeded
            });
        }
        // Only the name: a drag's save asks this, and a product's license count reads every
        // license (33 ms of a save on 100,000 licenses, on either engine).
        self.spelled_product(name)?
            .map(|(_, spelled)| spelled)
            .ok_or_else(|| CatalogueError::UnknownProduct(name.trim().to_string()))
    }

    /// The id and own spelling of the product named `name` without regard to case.
    fn spelled_product(&self, name: &str) -> Result<Option<(ProductId, String)>, CatalogueError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT id, name FROM products WHERE {} = {}",
                    self.conn.nocase("name"),
                    self.conn.nocase("?1")
                ),
                [name.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// A new catalogue's first customer and the product it is sold, priced when `price` is
    /// given, all or nothing: no license is ever drawn without a product to name.
    pub fn start_with(
        &mut self,
        customer: &crate::NewCustomer,
        product: &str,
        price: Option<&PriceRevision>,
    ) -> Result<(crate::CustomerId, ProductId), CatalogueError> {
        self.conn.begin()?;
        let made = (|| {
            let product = match self.product_named(product)? {
                Some(existing) => existing.id,
                None => self.add_product(product)?,
            };
            if let Some(price) = price {
                self.set_price(product, price)?;
            }
            let customer = self.add_customer(customer)?;
            Ok((customer, product))
        })();
        match made {
            Ok(ids) => {
                self.conn.finish(true)?;
                Ok(ids)
            }
            Err(error) => {
                self.conn.finish(false)?;
                Err(error)
            }
        }
    }

    /// Adds a product with no price yet.
    pub fn add_product(&mut self, name: &str) -> Result<ProductId, CatalogueError> {
        let name = product_name(name)?;
        if self.product_named(&name)?.is_some() {
            return Err(CatalogueError::DuplicateProduct(name));
        }
        self.conn
            .query_row(
                "INSERT INTO products (name) VALUES (?1) RETURNING id",
                [&name],
                |r| r.get(0),
            )
            .map_err(|e| CatalogueError::or_duplicate(e, || CatalogueError::DuplicateProduct(name)))
    }

    /// Every product with its price books, by name.
    pub fn products(&self) -> Result<Vec<Product>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT p.id, p.name,
                    (SELECT count(*) FROM licenses l WHERE {} = {}
                        AND l.state <> 'superseded')
             FROM products p ORDER BY {}",
            self.conn.nocase("l.product"),
            self.conn.nocase("p.name"),
            self.conn.nocase_order("p.name"),
        ))?;
        let heads = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut prices = self.all_prices()?;
        Ok(heads
            .into_iter()
            .map(|(id, name, license_count)| Product {
                id,
                name,
                prices: prices.remove(&id).unwrap_or_default(),
                license_count,
            })
            .collect())
    }

    fn all_prices(&self) -> Result<BTreeMap<ProductId, Vec<PriceRevision>>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT product_id, applies_from, currency, price_minor, block_hours, rounding
             FROM price_books ORDER BY product_id, applies_from",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut by_product: BTreeMap<ProductId, Vec<PriceRevision>> = BTreeMap::new();
        for row in rows {
            let (id, from, currency, price, block_hours, rounding) = row?;
            let applies_from = from.parse().map_err(|_| CatalogueError::Corrupt {
                license: id,
                reason: format!("price book date \"{from}\""),
            })?;
            by_product.entry(id).or_default().push(PriceRevision {
                applies_from,
                currency,
                price_minor: price.max(0) as u64,
                block_hours,
                rounding: if rounding == "whole_blocks" {
                    Rounding::WholeBlocks
                } else {
                    Rounding::ProRata
                },
            });
        }
        Ok(by_product)
    }

    /// One product.
    pub fn product(&self, id: ProductId) -> Result<Product, CatalogueError> {
        self.products()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(CatalogueError::ProductNotFound(id))
    }

    /// The product named `name` (without regard to case), if there is one.
    pub fn product_named(&self, name: &str) -> Result<Option<Product>, CatalogueError> {
        self.spelled_product(name)?
            .map(|(id, _)| self.product(id))
            .transpose()
    }

    /// Each product's id and prices over time, for costing many licenses at once: two plain
    /// queries, no license counts, since a timeline asks for them on every drag step.
    pub fn price_schedules(&self) -> Result<PriceSchedules, CatalogueError> {
        let mut statement = self.conn.prepare_cached("SELECT id, name FROM products")?;
        let names = statement
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut prices = self.all_prices()?;
        Ok(PriceSchedules {
            by_name: names
                .into_iter()
                .map(|(id, name)| {
                    let revisions = prices.remove(&id).unwrap_or_default();
                    let schedule = PriceSchedule::new(
                        revisions
                            .iter()
                            .map(|p| (p.applies_from, p.pricing()))
                            .collect(),
                    );
                    (name.to_lowercase(), (id, schedule))
                })
                .collect(),
            none: PriceSchedule::none(),
        })
    }

    /// Adds a price book to a product from `price.applies_from` on; one already applying from
    /// that date is replaced. Costs of earlier dates keep their books.
    pub fn set_price(
        &mut self,
        product: ProductId,
        price: &PriceRevision,
    ) -> Result<(), CatalogueError> {
        let currency = price.currency.trim().to_ascii_uppercase();
        if currency_digits(&currency).is_none() {
            return Err(CatalogueError::InvalidPriceBook(format!(
                "Currency \"{}\" is not an ISO 4217 code (e.g. USD, EUR, JPY)",
                price.currency.trim()
            )));
        }
        if !(1..=24).contains(&price.block_hours) {
            return Err(CatalogueError::InvalidPriceBook(format!(
                "Block of hours: {} is not from 1 to 24",
                price.block_hours
            )));
        }
        let amount = i64::try_from(price.price_minor).map_err(|_| {
            CatalogueError::InvalidPriceBook("Price per seat: the amount is too large".into())
        })?;
        if !timefence_terms::VALID_YEARS.contains(&timefence_terms::chrono::Datelike::year(
            &price.applies_from,
        )) {
            return Err(CatalogueError::InvalidPriceBook(format!(
                "Applies from: {} is outside the years 1970 to 2099",
                price.applies_from
            )));
        }
        self.product(product)?;
        self.conn.execute(
            "INSERT INTO price_books (product_id, applies_from, currency, price_minor, block_hours, rounding, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (product_id, applies_from) DO UPDATE SET currency = ?3, price_minor = ?4,
                 block_hours = ?5, rounding = ?6, created_at = ?7",
            params![
                product,
                price.applies_from.to_string(),
                currency,
                amount,
                price.block_hours,
                rounding_text(price.rounding),
                now_text()
            ],
        )?;
        Ok(())
    }

    /// Renames a product, and every current license that names it, so costs keep finding its
    /// prices. Files already issued keep the name they were signed with: the vendor's
    /// application sees the new name once those licenses are signed again.
    pub fn rename_product(&mut self, id: ProductId, name: &str) -> Result<(), CatalogueError> {
        let name = product_name(name)?;
        let old = self.product(id)?;
        if let Some(other) = self.product_named(&name)? {
            if other.id != id {
                return Err(CatalogueError::DuplicateProduct(name));
            }
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE products SET name = ?2 WHERE id = ?1",
            params![id, name],
        )
        .map_err(|e| {
            CatalogueError::or_duplicate(e, || CatalogueError::DuplicateProduct(name.clone()))
        })?;
        tx.execute(
            &format!(
                // Each license changed counts it as an edit: an editor's form opened before
                // the rename is then refused as a conflict, not as an unknown product.
                "UPDATE licenses SET product = ?2, edits = edits + 1
                 WHERE {} = {} AND state <> 'superseded'",
                tx.nocase("product"),
                tx.nocase("?1")
            ),
            params![old.name, name],
        )?;
        tx.commit()?;
        Ok(())
    }
}
