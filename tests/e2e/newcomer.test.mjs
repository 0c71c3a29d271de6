// End to end: the first day of an administrator who has not read the README and follows what
// the screen suggests. The welcome screen asks for the product with the first customer, so
// nothing is ever signed for an empty product; "+ New license" opens the compact editor with
// the validity dates to see and change, and More… carries what was typed into the whole form;
// a typo in the Product field is caught before it becomes a new, unpriced product.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Keys, Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const work = temporaryFolder("timefence-newcomer-");
process.env.TIMEFENCE_EXPORT_DIR = join(work, "exports");

let stopDriver;
let app;

before(async () => {
  assert.ok(existsSync(application), `no app binary at ${application}`);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", join(work, "catalogue.sqlite")]);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

/** Whether the element can be seen and clicked without scrolling (1280x800 here). */
const inSight = (css) => app.inSight(css);
const value = (css) => app.execute(`return document.querySelector(${JSON.stringify(css)})?.value ?? null`);
const focused = () => app.execute("return document.activeElement?.getAttribute('data-testid')");
async function click(id) {
  const [element] = await app.waitFor(`[data-testid=${id}]`);
  await app.reveal(element);
  await app.click(element);
}
/** Sets a date field as its calendar would. */
async function pickDate(css, iso) {
  await app.execute(`const d = document.querySelector(${JSON.stringify(css)}); d.value = ${JSON.stringify(iso)}; d.dispatchEvent(new Event('input', { bubbles: true }));`);
}
async function replaceText(css, text) {
  const [field] = await app.waitFor(css);
  await app.clear(field);
  await app.type(field, text);
}

test("the welcome screen asks what is sold, and a product-less start is refused beside its field", async () => {
  await app.waitFor("[data-testid=first-run]");
  assert.deepEqual(await app.axeViolations(), [], "the welcome screen passes axe");
  await app.until(focused, (a) => a === "first-customer-name", 10_000, "the focus on the first customer's name");
  await app.press(..."Acme BPO");
  // Enter with no product: the form's own check holds it (the field is required) and takes
  // the cursor to the product's field.
  await app.press(Keys.enter);
  await app.until(focused, (a) => a === "first-product-name", 10_000, "the cursor taken to the product's field");
  assert.equal((await app.findAll("[data-testid=customer-name]")).length, 0, "nothing was added without a product");
  await app.press(..."Acme CAD");
  await app.press(Keys.tab);
  await app.press(..."5.00");
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "welcome.png"));
  await app.press(Keys.enter);
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === "Acme BPO", 10_000, "Acme BPO's timeline");
  // The product exists, priced: the Products screen lists it with its price.
  await click("mode-products");
  const rows = await app.until(() => app.contents("[data-testid=product-row]"), (r) => r.length === 1, 10_000, "the product row");
  assert.match(rows[0], /Acme CAD/);
  assert.match(rows[0], /\$5\.00/);
  await click("mode-timeline");
});

test("+ New license shows the validity dates, and More… keeps what was typed", async () => {
  await click("new-license");
  await app.until(focused, (a) => a === "edit-name", 10_000, "the focus in the compact editor's name");
  // The editor leaves the day, zone and axis controls and the next shift's row uncovered.
  const overlap = await app.execute(`
    const box = document.querySelector('[data-testid=quick-editor]').getBoundingClientRect();
    const hit = (r) => r && box.left < r.right && r.left < box.right && box.top < r.bottom && r.top < box.bottom;
    return { toolbar: hit(document.querySelector('.toolbar')?.getBoundingClientRect()), next: hit(document.querySelector('[data-testid=new-lane]')?.getBoundingClientRect()) };`);
  assert.deepEqual(overlap, { toolbar: false, next: false });
  // The dates a new license gets are shown before anything is saved.
  const iso = (css) => app.execute(`return document.querySelector(${JSON.stringify(css)})?.dataset.iso ?? null`);
  const from = await iso("[data-testid=quick-start-date]");
  const to = await iso("[data-testid=quick-end-date]");
  assert.match(from ?? "", /^\d{4}-\d{2}-\d{2}$/);
  assert.match(to ?? "", /^\d{4}-\d{2}-\d{2}$/);
  await app.press(..."India");
  await replaceText("[data-testid=quick-editor] [data-testid=edit-seats]", "100");
  await replaceText("[data-testid=quick-start]", "00:00");
  await replaceText("[data-testid=quick-end]", "08:00");
  await pickDate("[data-testid=quick-start-date]", "2027-01-01");
  await pickDate("[data-testid=quick-end-date]", "2027-12-31");
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "compact-editor-dates.png"));
  await click("quick-more");
  // The whole form shows what was typed, not the license as drawn.
  await app.waitFor("[data-testid=license-form]");
  assert.equal(await value("[data-testid=license-form] [data-testid=edit-name]"), "India");
  assert.equal(await value("[data-testid=license-form] [data-testid=edit-seats]"), "100");
  assert.equal(await value("[data-testid=license-form] [data-testid=edit-start]"), "00:00");
  assert.equal(await value("[data-testid=license-form] [data-testid=edit-end]"), "08:00");
  assert.equal(await iso("[data-testid=edit-start-date]"), "2027-01-01");
  assert.equal(await iso("[data-testid=edit-end-date]"), "2027-12-31");
  assert.equal(await value("[data-testid=edit-product]"), "Acme CAD", "the catalogue's product, never an empty one");
  await click("edit-save");
  await app.until(
    () => app.contents("[data-testid=bar]"),
    (bars) => bars.some((b) => /India/.test(b) && /100 seats/.test(b)),
    10_000,
    "India's bar with 100 seats",
  );
});

test("a product typed that is none of the catalogue's is asked about, not made silently", async () => {
  const [bar] = await app.until(() => app.findAll("[data-testid=bar]"), (b) => b.length === 1, 10_000, "India's bar");
  await app.click(bar);
  await app.waitFor("[data-testid=license-form]");
  await replaceText("[data-testid=edit-product]", "Acme CDA");
  const asked = await app.until(() => app.contents("[data-testid=unknown-product]"), (a) => a.length === 1, 10_000, "the question about the unknown product");
  assert.match(asked[0], /“Acme CDA” is not one of your products/);
  // Saving it anyway is refused beside the field, and nothing changes.
  await click("edit-save");
  const problem = await app.until(() => app.contents("[data-testid=edit-problem]"), (p) => p.length > 0, 10_000, "the refusal beside Product");
  assert.match(problem.join(" "), /^Product: "Acme CDA" is not one of the catalogue's products/);
  await click("mode-products");
  let rows = await app.until(() => app.contents("[data-testid=product-row]"), (r) => r.length >= 1, 10_000, "the product rows");
  assert.equal(rows.length, 1, "no product was made by the typo");
  await click("mode-timeline");
  // Added on purpose, it is a product, and the license saves with it.
  const [again] = await app.until(() => app.findAll("[data-testid=bar]"), (b) => b.length === 1, 10_000, "India's bar");
  await app.click(again);
  await app.waitFor("[data-testid=license-form]");
  await replaceText("[data-testid=edit-product]", "Acme CAD Pro");
  await click("add-typed-product");
  await app.until(() => app.contents("[data-testid=unknown-product]"), (a) => a.length === 0, 10_000, "the question answered");
  await click("edit-save");
  await app.until(() => app.contents("[data-testid=edit-problem]"), (p) => p.length === 0, 10_000, "saved without a problem");
  await click("mode-products");
  rows = await app.until(() => app.contents("[data-testid=product-row]"), (r) => r.length === 2, 10_000, "two products");
  // Its row: the name, no price yet, and 1 license (the count before the row's buttons).
  assert.ok(rows.some((r) => /^Acme CAD Pro/.test(r) && /\s1\s*Set price/.test(r)), rows.join(" | "));
  await click("mode-timeline");
});

test("Renew all… shows what it will make first, a renewal is not renewed again, and the two are told apart", async () => {
  await click("renew-customer");
  const [dialog] = await app.waitFor("[data-testid=renewal-plan]");
  assert.deepEqual(await app.axeViolations(), [], "the renewal plan passes axe");
  const items = await app.contents("[data-testid=renewal-item]");
  assert.equal(items.length, 1, items.join(" | "));
  assert.match(items[0].replace(/\s+/g, " "), /^India · 100 seats · 00:00-08:00 UTC · 01\/01\/2028 to 12\/31\/2028, 12 months$/);
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "renewal-plan.png"));
  assert.equal(await inSight("[data-testid=renewal-confirm]"), true, "the renewal plan's buttons are in sight");
  assert.ok(dialog);
  await click("renewal-confirm");
  const said = await app.until(async () => [...(await app.contents("[data-testid=notice] span")), ...(await app.contents("[data-testid=problem]"))], (n) => /^Renewed /.test(n[0] ?? ""), 10_000, "the renewal notice");
  assert.match(said[0], /^Renewed India as drafts \(01\/01\/2028 to 12\/31\/2028, 12 months\)/);
  // The license and its renewal: two lanes named India, told apart by their first day.
  const terms = await app.until(() => app.contents("[data-testid=lane-term]"), (t) => t.length === 2, 10_000, "the lanes' first days");
  assert.deepEqual(terms, ["from 01/01/2027", "from 01/01/2028"]);
  // Renew all again: nothing to renew, and nothing made.
  await click("renew-customer");
  await app.until(() => app.contents("[data-testid=notice] span"), (n) => /already has its next term: nothing to renew/.test(n[0] ?? ""), 10_000, "nothing to renew");
  assert.equal((await app.findAll("[data-testid=renewal-plan]")).length, 0);
  assert.equal((await app.contents("[data-testid=lane-term]")).length, 2);
  // Renewing the 2027 license from its form is refused by name.
  const [first] = await app.findAll("[data-testid=lane] [data-testid=bar]");
  await app.click(first);
  await click("renew-license");
  // The refusal is shown under the form's buttons, where the click was, not at the top.
  const problem = await app.until(() => app.contents("[data-testid=form-problem]"), (p) => p.length === 1, 10_000, "the refusal beside the buttons");
  assert.match(problem[0], /India already has its next term \(from 01\/01\/2028\); a license is renewed once/);
  assert.deepEqual(await app.contents("[data-testid=problem]"), []);
});

test("the keyboard: Enter in the compact editor saves and goes on at + New license; Escape takes a drawing back", async () => {
  const before = (await app.findAll("[data-testid=bar]")).length;
  await click("new-license");
  await app.until(focused, (a) => a === "edit-name", 10_000, "the focus in the compact editor's name");
  await app.press(..."Philippines 200 seats");
  await app.press(Keys.enter);
  await app.until(() => app.findAll("[data-testid=quick-editor]"), (e) => e.length === 0, 10_000, "the editor saved and closed");
  await app.until(focused, (a) => a === "new-license", 10_000, "the focus on + New license after Enter");
  // Enter on it adds the next one; Escape takes that one back, and the focus stays useful.
  await app.press(Keys.enter);
  await app.until(focused, (a) => a === "edit-name", 10_000, "the next compact editor");
  assert.equal((await app.findAll("[data-testid=bar]")).length, before + 2);
  await app.press(Keys.escape);
  await app.until(() => app.findAll("[data-testid=bar]"), (b) => b.length === before + 1, 10_000, "the drawing taken back");
  await app.until(focused, (a) => a === "new-license", 10_000, "the focus on + New license after Escape");
});

test("reading: a 120-character name keeps the header on one line; axe passes with the editor, the form and the sign dialog open", async () => {
  // axe with the compact editor open, then with the whole form open.
  await click("new-license");
  await app.waitFor("[data-testid=quick-editor]");
  assert.deepEqual(await app.axeViolations(), [], "the timeline with the compact editor open passes axe");
  await click("quick-more");
  await app.waitFor("[data-testid=license-form]");
  assert.deepEqual(await app.axeViolations(), [], "the timeline with the form open passes axe");
  // The form opens below the lanes and is brought into view, Save in sight at 1280x800.
  await app.until(() => inSight("[data-testid=edit-save]"), (v) => v === true, 10_000, "the form's Save in sight");
  await click("delete-license");
  await app.until(() => app.findAll("[data-testid=license-form]"), (f) => f.length === 0, 10_000, "the form closed");
  // The sign dialog.
  await click("sign-customer");
  await app.waitFor("[data-testid=sign-dialog]");
  assert.deepEqual(await app.axeViolations(), [], "the sign dialog passes axe");
  await app.until(() => inSight("[data-testid=sign-dialog] button.primary"), (v) => v === true, 10_000, "the sign dialog's button in sight");
  await app.press(Keys.escape);
  await app.until(() => app.findAll("[data-testid=sign-dialog]"), (d) => d.length === 0, 10_000, "the sign dialog closed");

  // A 120-character name: cut to one line with its tooltip; the buttons stay on one line.
  const long = "Acme Business Process Outsourcing Services, Manila, Bangalore and São Paulo Delivery Centres, 2027 contract, group".padEnd(120, "x");
  await click("rename-customer");
  await app.until(focused, (a) => a === "customer-name-input", 10_000, "Rename puts the cursor in the name");
  const [field] = await app.waitFor("[data-testid=customer-name-input]");
  await app.clear(field);
  await app.type(field, long);
  await click("customer-save");
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === long, 10_000, "the long name");
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "long-name.png"));
  const header = await app.execute(`
    const h = document.querySelector('[data-testid=customer-name]');
    const tops = ['sign-customer', 'renew-customer', 'rename-customer', 'delete-customer'].map((id) => Math.round(document.querySelector('[data-testid=' + id + ']').getBoundingClientRect().top));
    return { title: h.title, oneLine: h.getBoundingClientRect().height < 40, tops: [...new Set(tops)].length };`);
  assert.deepEqual(header, { title: long, oneLine: true, tops: 1 });
  // The ISSUED badge and the Show list's options are never cut.
  const cut = await app.execute(`return [...document.querySelectorAll('[data-testid=lane] .state')].filter((b) => b.scrollWidth > b.clientWidth + 1).length`);
  assert.equal(cut, 0);
});
