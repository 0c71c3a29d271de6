// End to end: an administrator's own catalogue in the real window. A new catalogue starts on
// the first-run screen; a product gets a price and is used; a license without a price says
// so; a license dated next year moves the view; "Save and sign" signs the terms on screen; the
// sign dialog names an expired license and a bulk export leaves it out; a customer is renewed
// and the renewal undone.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Keys, Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const work = temporaryFolder("timefence-own-");
const catalogue = join(work, "catalogue.sqlite");
const exports = join(work, "exports");
process.env.TIMEFENCE_EXPORT_DIR = exports;
const passphrase = "Correct-Horse-Battery-42";
const YEAR = new Date().getUTCFullYear();

let stopDriver;
let app;

before(async () => {
  assert.ok(existsSync(cli), `no timefence binary at ${cli}; build it with cargo build --workspace`);
  mkdirSync(exports, { recursive: true });
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  if (process.env.E2E_SCREENSHOTS) await app?.screenshot(join(process.env.E2E_SCREENSHOTS, "catalogue-end.png")).catch(() => {});
  await app?.end().catch(() => {});
  stopDriver?.();
});

async function click(id, index = 0) {
  const found = await app.waitFor(`[data-testid=${id}]`, index + 1);
  await app.reveal(found[index]);
  await app.click(found[index]);
}

async function typeInto(id, text) {
  const [field] = await app.waitFor(`[data-testid=${id}]`);
  await app.clear(field);
  await app.type(field, text);
}

/** Sets a date input the way a picked date does (WebDriver cannot type into a locale's format). */
async function setDate(id, value) {
  await app.execute(
    `const i = document.querySelector('[data-testid=${id}]'); i.value = ${JSON.stringify(value)}; i.dispatchEvent(new Event('input', { bubbles: true })); i.dispatchEvent(new Event('change', { bubbles: true }));`,
  );
}

const notice = () => app.contents("[data-testid=notice] span");
const lanes = () => app.contents("[data-testid=lane]");

test("a new catalogue shows the first-run screen, and the first customer is added from it", async () => {
  const [welcome] = await app.waitFor("[data-testid=first-run]");
  assert.match(await app.text(welcome), /Welcome to Timefence/);
  assert.deepEqual(await app.axeViolations(), [], "the first-run screen passes axe");
  // The name field has the focus; its zone starts as this computer's.
  await app.until(() => app.execute("return document.activeElement?.getAttribute('data-testid')"), (a) => a === "first-customer-name", 10_000, "the focus on the first customer's name");
  await typeInto("first-customer-name", "Acme BPO");
  // What it is sold comes with it; its price can wait for the Products screen.
  await typeInto("first-product-name", "Acme CAD");
  await click("first-customer");
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === "Acme BPO", 10_000, "Acme BPO's timeline");
  assert.equal((await app.findAll("[data-testid=first-run]")).length, 0);
});

test("a product gets a price on the Products screen and a new license uses it", async () => {
  await click("mode-products");
  // The welcome screen's product, not priced yet.
  const rows = await app.until(() => app.contents("[data-testid=product-row]"), (r) => r.length === 1, 10_000, "the welcome screen's product");
  assert.match(rows[0], /Acme CAD/);
  assert.match(rows[0], /No price yet/);
  await click("product-set-price");
  await typeInto("price-amount", "5");
  await click("price-save");
  const prices = await app.until(() => app.contents("[data-testid=product-price]"), (p) => /\$5\.00 per seat per 8 h/.test(p[0] ?? ""), 10_000, "the product's price");
  assert.equal(prices.length, 1);

  await click("mode-timeline");
  await click("new-license");
  await click("quick-more");
  await app.waitFor("[data-testid=license-form]");
  const product = await app.execute("return document.querySelector('[data-testid=edit-product]').value");
  assert.equal(product, "Acme CAD", "the catalogue's only product");
  const term = await app.until(() => app.contents("[data-testid=edit-term]"), (t) => t.length === 1, 10_000, "the term length");
  assert.match(term[0], /Term: 12 months/);
  // 09:00-17:00, one seat, at $5 per 8 hours.
  await app.until(() => app.contents("[data-testid=cost-fenced]"), (c) => c[0] === "$5.00", 10_000, "the day's cost");
});

test("a license whose product has no price says so, and Set one opens that product's price", async () => {
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "catalogue-form.png"));
  await click("new-product");
  await typeInto("new-product-name", "Scanner");
  await click("new-product-add");
  await app.until(() => app.execute("return document.querySelector('[data-testid=edit-product]').value"), (v) => v === "Scanner", 10_000, "the new product in the form");
  await click("edit-save");
  const missing = await app.until(() => app.contents("[data-testid=cost-missing]"), (m) => m.length === 1, 10_000, "the missing price");
  assert.match(missing[0], /No price for Scanner/);
  assert.deepEqual(await app.contents("[data-testid=cost-fenced]"), [], "no made-up total");
  await click("set-price");
  const form = await app.waitFor("[data-testid=price-form]");
  assert.match(await app.text(form[0]), /Price of Scanner/);
  await typeInto("price-amount", "7.50");
  await click("price-save");
  await app.until(() => app.contents("[data-testid=product-price]"), (p) => p.some((t) => /\$7\.50 per seat per 8 h/.test(t)), 10_000, "Scanner's price");
  await click("mode-timeline");
  await app.until(() => app.contents("[data-testid=cost-fenced]"), (c) => c[0] === "$7.50", 10_000, "the day priced with Scanner's price");
  assert.deepEqual(await app.contents("[data-testid=cost-missing]"), []);
});

test("a license dated next year moves the view to its first day and says so", async () => {
  await click("edit-license");
  await app.waitFor("[data-testid=license-form]");
  await setDate("edit-start-date", `${YEAR + 1}-01-01`);
  await setDate("edit-end-date", `${YEAR + 1}-12-31`);
  await click("edit-save");
  const said = await app.until(notice, (n) => /^Showing /.test(n[0] ?? ""), 10_000, "the notice that the view moved");
  assert.match(said[0], new RegExp(`${YEAR + 1}.*the first day New license 1 opens`));
  const shown = await app.execute("return document.querySelector('[data-testid=date]').dataset.iso");
  assert.equal(shown, `${YEAR + 1}-01-01`);
  assert.equal((await app.findAll("[data-testid=bar]")).length, 1);
});

test("Save and sign signs the terms on screen, not the saved ones", async () => {
  await click("mode-keys");
  await typeInto("passphrase", passphrase);
  await typeInto("passphrase-again", passphrase);
  await app.until(() => app.contents("[data-testid=strength]"), (s) => /good|strong/.test(s[0] ?? ""), 10_000, "the strength hint");
  await click("generate-key");
  await app.until(() => app.contents("[data-testid=key-status]"), (s) => s[0] === "active", 10_000, "an active key");

  await click("mode-timeline");
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "catalogue-sign.png"));
  await click("edit-license");
  await typeInto("edit-seats", "77");
  await click("sign-license");
  await app.waitFor("[data-testid=save-first]");
  await click("save-and-sign");
  // It opens next year: the dialog says so before anything is signed.
  const plan = await app.until(() => app.contents("[data-testid=sign-plan-item]"), (p) => p.length === 1, 10_000, "the plan naming the license");
  assert.match(plan[0], new RegExp(`not yet valid.*valid from 01/01/${YEAR + 1}`));
  await click("sign-start");
  await typeInto("sign-passphrase", passphrase);
  await click("sign-go");
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "the signing summary");
  assert.match(summary[0], /^1 of 1 file written/);
  await click("sign-close");
  const files = readdirSync(exports).filter((f) => /^Acme-BPO-New-license-1-\d+\.lic$/.test(f));
  assert.equal(files.length, 1, `files: ${readdirSync(exports)}`);
  const inspected = execFileSync(cli, ["inspect", join(exports, files[0])], { encoding: "utf8" });
  assert.match(inspected, /"seats": 77/);
  assert.match(inspected, /"product": "Scanner"/);
  // Deleting an issued license is refused under the form's buttons, where the click was; a
  // problem banner elsewhere goes when another screen is chosen.
  await click("edit-license");
  await click("delete-license");
  const refused = await app.until(() => app.contents("[data-testid=form-problem]"), (p) => p.length === 1, 10_000, "the refusal beside Delete");
  assert.match(refused[0], /issued/);
  assert.deepEqual(await app.contents("[data-testid=problem]"), [], "nothing at the top of the page");
});

test("the sign dialog names an expired license and a bulk export leaves it out", async () => {
  await click("edit-license");
  await click("duplicate-license");
  await app.until(() => app.contents("[data-testid=license-form] h2"), (h) => h[0] === "New license 1 (copy)", 10_000, "the duplicate's form");
  await typeInto("edit-name", "Old desk");
  await setDate("edit-start-date", `${YEAR - 1}-01-01`);
  await setDate("edit-end-date", `${YEAR - 1}-12-31`);
  await click("edit-save");
  await app.until(notice, (n) => /Old desk/.test(n[0] ?? ""), 10_000, "the move to Old desk's first day");

  // Signing the expired license by itself follows the same rule as a bulk export: it is named
  // and left out until "Include expired licenses" is ticked.
  await click("sign-license");
  const alone = await app.until(() => app.contents("[data-testid=sign-plan-summary]"), (p) => p.length === 1, 10_000, "the plan for Old desk");
  assert.match(alone[0], /Signs 0 files; 1 expired license is left out/);
  assert.equal(await app.execute("return document.querySelector('[data-testid=sign-start]').disabled"), true);
  await click("sign-include-expired");
  await app.until(() => app.contents("[data-testid=sign-start]"), (b) => b[0] === "Sign 1 file", 10_000, "Sign 1 file once ticked");
  await app.press(Keys.escape);
  await app.until(() => app.findAll("[data-testid=sign-dialog]"), (d) => d.length === 0, 10_000, "the dialog closed");

  await click("sign-customer");
  const planned = await app.until(() => app.contents("[data-testid=sign-plan-summary]"), (p) => p.length === 1, 10_000, "the sign plan");
  assert.match(planned[0], /Signs 1 file; 1 expired license is left out/);
  const items = await app.contents("[data-testid=sign-plan-item]");
  assert.ok(items.some((i) => /Old desk/.test(i) && /expired on/.test(i) && /left out/.test(i)), items.join(" | "));
  assert.ok(items.some((i) => /New license 1/.test(i) && /issued as serial \d+; signing again issues serial \d+/.test(i)), items.join(" | "));
  const before = readdirSync(exports).length;
  await click("sign-start");
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "the bulk summary");
  assert.match(summary[0], /^1 of 1 file written/);
  await click("sign-close");
  assert.equal(readdirSync(exports).length, before + 1);
  assert.equal(readdirSync(exports).filter((f) => f.startsWith("Acme-BPO-Old-desk")).length, 0, "the expired license was not signed");
});

test("a customer is renewed as drafts after seeing what it makes, and undo takes the renewal back", async () => {
  const before = (await lanes()).length;
  await click("renew-customer");
  // What it will make is shown first; nothing is made until the yes.
  const items = await app.until(() => app.contents("[data-testid=renewal-item]"), (i) => i.length === 2, 10_000, "the renewal plan");
  assert.ok(items.some((i) => /^New license 1 ·/.test(i)) && items.some((i) => /^Old desk ·/.test(i)), items.join(" | "));
  assert.equal((await lanes()).length, before);
  await click("renewal-confirm");
  const said = await app.until(notice, (n) => /^Renewed New license 1 and Old desk as drafts|^Renewed 2 licenses as drafts: /.test(n[0] ?? ""), 10_000, "the renewal notice");
  assert.match(said[0], /the new term costs/);
  assert.equal((await app.until(lanes, (l) => l.length === before + 2, 10_000, "two more lanes")).length, before + 2);
  await click("toast-undo");
  await app.until(lanes, (l) => l.length === before, 10_000, "the renewal undone");
});

const active = () => app.execute("return document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName");

test("a customer with an issued license is not offered for deletion: the window never promises what it refuses", async () => {
  await click("delete-customer");
  const [said] = await app.until(() => app.contents("[data-testid=problem]"), (p) => p.length === 1, 10_000, "the reason");
  assert.match(said, /Acme BPO cannot be deleted: New license 1 has been issued/);
  assert.equal((await app.findAll("[data-testid=confirm]")).length, 0, "no dialog promising Undo");
});

test("a dialog takes the focus, keeps Tab inside, closes on Escape and gives the focus back", async () => {
  await click("new-customer");
  await typeInto("new-customer-name", "Temporary");
  await click("new-customer-save");
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === "Temporary", 10_000, "the new customer");
  await click("delete-customer");
  await app.waitFor("[data-testid=confirm]");
  assert.equal(await app.until(active, (a) => a === "confirm-cancel", 5_000, "the focus on Cancel"), "confirm-cancel");
  for (const button of ["confirm-cancel", "confirm-yes"]) {
    assert.equal(await app.inSight(`[data-testid=${button}]`), true, `${button} in sight at 1280x800`);
  }
  await app.press(Keys.tab);
  assert.equal(await active(), "confirm-yes");
  await app.press(Keys.tab);
  assert.equal(await active(), "confirm-cancel", "Tab wraps inside the dialog");
  await app.press([Keys.shift, Keys.tab]);
  assert.equal(await active(), "confirm-yes", "Shift+Tab wraps backwards");
  await app.press(Keys.escape);
  await app.until(() => app.findAll("[data-testid=confirm]"), (d) => d.length === 0, 5_000, "the dialog closed by Escape");
  assert.equal(await active(), "delete-customer", "the focus is back on what opened it");
  assert.deepEqual(await app.contents("[data-testid=customer-name]"), ["Temporary"], "nothing was deleted");
});

test("a notice goes away by itself, and its Undo works while it is shown", async () => {
  await click("delete-customer");
  await click("confirm-yes");
  await app.until(notice, (n) => /^Deleted Temporary/.test(n[0] ?? ""), 10_000, "the deletion notice");
  await click("toast-undo");
  await app.until(() => app.contents("[data-testid=customer] .name"), (n) => n.includes("Temporary"), 10_000, "Temporary back");
  // "Undid: …" has no Undo of its own: it goes after about five seconds.
  await app.until(notice, (n) => n.length === 0, 9_000, "the notice to go away");
});

test("the customer list answers the arrows, Home, End and a first letter", async () => {
  const heading = () => app.contents("[data-testid=customer-name]");
  // A listbox with one Tab stop: the customer shown is the option selected.
  const stops = await app.execute(`return [...document.querySelectorAll('[role=listbox] [role=option]')].map((o) => [o.tabIndex, o.getAttribute('aria-selected')])`);
  assert.deepEqual(stops.filter(([tab]) => tab === 0).length, 1, JSON.stringify(stops));
  assert.deepEqual(stops.find(([tab]) => tab === 0)[1], "true");
  await app.execute("document.querySelector('[data-testid=search]').focus()");
  await app.press(Keys.tab);
  await app.press(Keys.tab);
  await app.press(Keys.tab);
  assert.equal(await active(), "customer", "Show, + New customer, then the list");
  await app.execute("document.querySelector('[data-testid=customer]').focus()");
  await app.press(Keys.down);
  await app.until(heading, (h) => h[0] === "Temporary", 5_000, "Temporary after the down arrow");
  await app.press(Keys.home);
  await app.until(heading, (h) => h[0] === "Acme BPO", 5_000, "Acme BPO after Home");
  await app.press(Keys.end);
  await app.until(heading, (h) => h[0] === "Temporary", 5_000, "Temporary after End");
  await app.press("a");
  await app.until(heading, (h) => h[0] === "Acme BPO", 5_000, "Acme BPO after typing a");
  assert.equal(await active(), "customer", "the focus stays in the list");

  // The first Tab stop is the skip link, and it takes the focus to the timeline.
  const first = await app.execute("return document.querySelector('a[href], button:not([disabled]), input, select, [tabindex]:not([tabindex=\"-1\"])')?.getAttribute('data-testid')");
  assert.equal(first, "skip-link");
  await app.execute("document.querySelector('[data-testid=skip-link]').focus()");
  await app.press(Keys.enter);
  await app.until(() => app.execute("return document.activeElement?.id"), (id) => id === "timeline", 5_000, "the focus on the timeline");
});

test("every screen passes the axe-core accessibility checks with no serious or critical violation", async () => {
  const found = {};
  const scan = async (screen) => {
    const violations = await app.axeViolations();
    if (violations.length > 0) found[screen] = violations;
  };
  await click("mode-timeline");
  await app.waitFor("[data-testid=lane]");
  await scan("timeline");
  await click("edit-license");
  await app.waitFor("[data-testid=license-form]");
  await scan("license form");
  await click("mode-forecast");
  await app.waitFor("[data-testid=forecast-summary]");
  await scan("forecast");
  await click("mode-products");
  await app.waitFor("[data-testid=product-row]");
  await scan("products");
  await click("mode-keys");
  await app.waitFor("[data-testid=key-row]");
  await scan("keys");
  await click("mode-check");
  await scan("check a file");
  await click("mode-audit");
  await app.waitFor("[data-testid=audit-row]");
  await scan("audit");
  await click("mode-timeline");
  await click("sign-customer");
  await app.waitFor("[data-testid=sign-dialog]");
  await scan("sign dialog");
  await app.press(Keys.escape);
  assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
});
