// End to end: the real Timefence window, driven through tauri-driver and WebKitWebDriver.
// Run under a display (scripts/test starts Xvfb); TIMEFENCE_APP names the debug binary.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const catalogue = join(temporaryFolder("timefence-e2e-"), "catalogue.sqlite");
// Signed files land here instead of in a folder dialog no test can click.
const exports = temporaryFolder("timefence-e2e-exports-");
process.env.TIMEFENCE_EXPORT_DIR = exports;

let stopDriver;
let app;

before(async () => {
  assert.ok(existsSync(application), `no app binary at ${application}; build it with cargo build`);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

async function selectCustomer(name) {
  for (const element of await app.waitFor("[data-testid=customer]", 4)) {
    if ((await app.text(element)).startsWith(name)) {
      await app.click(element);
      return;
    }
  }
  throw new Error(`no customer named ${name} in the sidebar`);
}

test("a new catalogue starts empty on the first-run screen, and the demo opens in its own file", async () => {
  const [welcome] = await app.waitFor("[data-testid=first-run]");
  assert.match(await app.text(welcome), /This catalogue is empty/);
  assert.equal((await app.findAll("[data-testid=customer]")).length, 0, "no made-up customers");
  assert.ok(existsSync(catalogue), "the catalogue file was not created at the --catalogue path");
  await app.click((await app.findAll("[data-testid=open-demo]"))[0]);
  const names = await app.until(
    () => app.contents("[data-testid=customer] .name"),
    (n) => n.length === 4,
    10_000,
    "the four demo customers",
  );
  assert.deepEqual(names, ["Contoso Engineering", "Fabrikam Analytics", "Northwind BPO", "Tailspin Design"]);
  const today = new Date();
  const month = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}`;
  assert.ok(existsSync(join(dirname(catalogue), `demo-${month}.sqlite`)), "the demo lives in its own file");
  // Twelve months from this month: live today, and nothing in the expiring list, whatever
  // the month (in December a calendar-year demo showed all six expiring).
  await app.click((await app.waitFor('[data-testid=sidebar-show] option[value="30"]'))[0]);
  await app.until(
    () => app.contents("[data-testid=expiring-count]"),
    (t) => t[0] === "0",
    10_000,
    "no demo license expiring in 30 days",
  );
  await app.click((await app.waitFor('[data-testid=sidebar-show] option[value="0"]'))[0]);
  await app.waitFor("[data-testid=customer]");
  assert.equal((await app.findAll("[data-testid=demo-banner]")).length, 1);
});

test("the BPO's three shifts are drawn as bars with their seats, times and 100/200/50 coverage", async () => {
  await selectCustomer("Contoso Engineering");
  await app.until(() => app.contents("[data-testid=customer-name]"), (t) => t[0] === "Contoso Engineering");
  await selectCustomer("Northwind BPO");
  await app.until(() => app.contents("[data-testid=bar]"), (t) => t.length === 3);

  const heading = await app.contents("[data-testid=customer-name]");
  assert.deepEqual(heading, ["Northwind BPO"]);
  const bars = await app.until(
    async () => (await app.contents("[data-testid=bar]")).map((t) => t.replace(/\s+/g, " ").trim()),
    (b) => b.length === 3 && b[0] !== "",
  );
  assert.deepEqual(bars, [
    "L1 India 100 seats · 00:00-08:00",
    "L2 Philippines 200 seats · 08:00-16:00",
    "L3 Brazil 50 seats · 16:00-24:00",
  ]);
  const values = (await app.texts("[data-testid=coverage-value]")).map(Number);
  assert.deepEqual(values, [...Array(8).fill(100), ...Array(8).fill(200), ...Array(8).fill(50)]);
  assert.deepEqual(await app.contents("[data-testid=peak]"), ["peak 200 seats"]);
  // The brief's numbers: $3,000 for a traditional 24-hour license, $1,750 time-fenced.
  assert.deepEqual(await app.contents("[data-testid=cost-baseline]"), ["$3,000.00"]);
  assert.deepEqual(await app.contents("[data-testid=cost-fenced]"), ["$1,750.00"]);
  assert.deepEqual(await app.contents("[data-testid=cost-formula]"), ["200 seats × 24 h / 8 h × $5.00 = $3,000.00"]);
});

test("switching the display zone to Kolkata moves India's shift to 05:30-13:30", async () => {
  await selectCustomer("Northwind BPO");
  // Kolkata is none of the shortcuts (customer, this computer, UTC): pick it from every zone.
  const [option] = await app.waitFor('[data-testid=zone] option[value="__other"]');
  await app.click(option);
  const [input] = await app.waitFor("[data-testid=other-zone]");
  await app.type(input, "Asia/Kolkata");
  await app.click((await app.findAll("[data-testid=other-zone-apply]"))[0]);
  const values = await app.until(
    async () => (await app.texts("[data-testid=coverage-value]")).map(Number),
    (v) => v[0] === 50,
  );
  // 00:00-05:30 Kolkata is Brazil's evening shift (50); the hour 05:00-06:00 sees India start.
  assert.deepEqual(values.slice(0, 7), [50, 50, 50, 50, 50, 100, 100]);
  const [india] = await app.findAll("[data-testid=bar]");
  const style = await app.attribute(india, "style");
  assert.match(style, /left: 22\.91666/, `India's bar should start at 05:30 (22.9 %), style was ${style}`);
});

test("typing in the search box filters the customer list as you type", async () => {
  const [search] = await app.waitFor("[data-testid=search]");
  await app.type(search, "tail");
  const names = await app.until(
    () => app.contents("[data-testid=customer] .name"),
    (n) => n.length === 1,
  );
  assert.deepEqual(names, ["Tailspin Design"]);
  assert.deepEqual(await app.texts("[data-testid=customer-count]"), ["1"]);
  await app.clear(search);
  await app.type(search, " ");
  const all = await app.until(
    () => app.contents("[data-testid=customer] .name"),
    (n) => n.length === 4,
  );
  assert.equal(all.length, 4);
});

test("backing up while the app runs writes a new file beside the catalogue", async () => {
  const [button] = await app.waitFor("[data-testid=backup]");
  await app.click(button);
  // (The notice of what came before may still be up: the backup's replaces it.)
  const [notice] = await app.until(() => app.contents("[data-testid=notice] span"), (t) => t.length === 1 && t[0].startsWith("Backed up"));
  const match = /Backed up to (.*catalogue-\d{8}-\d{6}\.sqlite)$/.exec(notice);
  assert.ok(match, notice);
  assert.ok(existsSync(match[1]), `no backup file at ${match[1]}`);
  assert.ok(match[1].startsWith(join(dirname(catalogue), "backups")), match[1]);
});

test("editing Brazil's end to 20:00 changes the cost panel to $1,625.00; 25:00 shows the engine's message", async () => {
  await selectCustomer("Northwind BPO");
  const [utc] = await app.waitFor('[data-testid=zone] option[value="UTC"]');
  await app.click(utc);
  await app.until(() => app.contents("[data-testid=cost-fenced]"), (t) => t[0] === "$1,750.00");
  const edits = await app.waitFor("[data-testid=edit-license]", 3);
  await app.click(edits[2]);
  const [end] = await app.waitFor("[data-testid=edit-end]");
  await app.clear(end);
  await app.type(end, "20:00");
  await app.click((await app.findAll("[data-testid=edit-save]"))[0]);
  const fenced = await app.until(() => app.contents("[data-testid=cost-fenced]"), (t) => t[0] === "$1,625.00");
  assert.deepEqual(fenced, ["$1,625.00"]);
  assert.deepEqual(await app.contents("[data-testid=cost-baseline]"), ["$3,000.00"]);

  await app.click((await app.waitFor("[data-testid=edit-license]", 3))[2]);
  const [again] = await app.waitFor("[data-testid=edit-end]");
  await app.clear(again);
  await app.type(again, "25:00");
  await app.click((await app.findAll("[data-testid=edit-save]"))[0]);
  const problems = await app.until(() => app.contents("[data-testid=edit-problem]"), (p) => p.length > 0);
  assert.match(problems[0], /not a time of day/);
  assert.deepEqual(await app.contents("[data-testid=cost-fenced]"), ["$1,625.00"], "nothing was saved");
});

test("the forecast view shows the whole catalogue's demand with the traditional capacity beside it", async () => {
  await app.click((await app.waitFor("[data-testid=mode-forecast]"))[0]);
  const [summary] = await app.until(() => app.contents("[data-testid=forecast-summary]"), (t) => t.length === 1);
  assert.match(summary.replace(/\s+/g, " "), /Peak 203 seats .* provisions 203 seats all day/);
  const values = (await app.contents("[data-testid=forecast-value]")).map(Number);
  assert.equal(values.length, 24);
  assert.equal(Math.max(...values), 203);
  const [bpoOnly] = await app.waitFor('[data-testid=forecast-scope] option[value="customer"]');
  await app.click(bpoOnly);
  const [narrowed] = await app.until(
    () => app.contents("[data-testid=forecast-summary]"),
    (t) => /Peak 200 /.test(t[0] ?? ""),
  );
  assert.match(narrowed.replace(/\s+/g, " "), /Peak 200 seats .* provisions 200 seats all day/);
  // The Forecast and the timeline share the day: one picked here is the timeline's on return.
  // The 15th of next month: inside the demo's twelve months, and never today.
  const now = new Date();
  const next = new Date(Date.UTC(now.getFullYear(), now.getMonth() + 1, 15));
  const day = next.toISOString().slice(0, 10);
  await app.execute(`const d = document.querySelector('[data-testid=forecast-date]'); d.value = ${JSON.stringify(day)}; d.dispatchEvent(new Event('input', { bubbles: true })); d.dispatchEvent(new Event('change', { bubbles: true }));`);
  await app.click((await app.findAll("[data-testid=mode-timeline]"))[0]);
  await app.until(() => app.execute("return document.querySelector('[data-testid=date]')?.dataset.iso"), (v) => v === day, 10_000, "the timeline on the Forecast's day");
  // Read again for that day: today's "now" line is gone.
  await app.until(() => app.findAll("[data-testid=now-line]"), (n) => n.length === 0, 10_000, "the lanes read for that day");
  assert.equal((await app.findAll("[data-testid=bar]")).length, 3);
});

test("with no key yet, Sign & export all makes the first key inside the dialog and signs", async () => {
  const click = async (id) => app.click((await app.waitFor(`[data-testid=${id}]`))[0]);
  await selectCustomer("Northwind BPO");
  await click("sign-customer");
  await app.waitFor("[data-testid=sign-make-key]");
  const passphrase = "Correct-Horse-Battery-42";
  await app.type((await app.findAll("[data-testid=sign-key-passphrase]"))[0], passphrase);
  await app.type((await app.findAll("[data-testid=sign-key-again]"))[0], passphrase);
  await app.until(() => app.contents("[data-testid=sign-key-strength]"), (s) => /good|strong/.test(s[0] ?? ""), 10_000, "the strength hint");
  await click("sign-key-make");
  // The key's passphrase was just typed: it is not asked again, and the three shifts are signed.
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "the signing summary");
  assert.match(summary[0], /^3 of 3 files written/);
  await click("sign-close");
  assert.equal(readdirSync(exports).filter((f) => /^Northwind-BPO-L\d-.*-\d+\.lic$/.test(f)).length, 3);
});
