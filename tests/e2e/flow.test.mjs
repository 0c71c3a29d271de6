// The first day in the window, counted: a new administrator sets up "Acme BPO" (UTC) with the
// brief's three shifts for 2027 (India 00:00-08:00, 100 seats; Philippines 08:00-16:00, 200;
// Brazil 16:00-24:00, 50), makes a key and signs the three files, as a person would: each
// click, drag, field typed into and key press (Enter and Tab included) counts as one action.
// The path is the shortest the app allows: each shift is a drag and one line typed into the
// compact editor's name field ("India 100 seats"), and pressing outside the editor (the next
// drag, "Sign & export all") saves it. The test reports the count and fails if the flow ever
// takes more than it does today.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Keys, Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const work = temporaryFolder("timefence-flow-");
const exports = join(work, "exports");
process.env.TIMEFENCE_EXPORT_DIR = exports;

/**
 * The most actions the flow takes today: 14 before the welcome screen asked for the product,
 * and 2 more (Tab, the product's name) since, for files that name what they license.
 */
const ACTIONS_TODAY = 16;
const GOAL = 16;

let stopDriver;
let app;
let actions = 0;

before(async () => {
  assert.ok(existsSync(application), `no app binary at ${application}`);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", join(work, "catalogue.sqlite")]);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

// Every action a person takes goes through these, and is counted.
const person = {
  async click(id) {
    const [element] = await app.waitFor(`[data-testid=${id}]`);
    await app.reveal(element);
    await app.click(element);
    actions++;
  },
  async type(text) {
    await app.press(...text);
    actions++;
  },
  async key(stroke) {
    await app.press(stroke);
    actions++;
  },
  async drag(element, dx, atX) {
    await app.drag(element, dx, { atX, steps: 8 });
    actions++;
  },
  /** Picks a date in the toolbar's date field (one pick in its calendar). */
  async pickDate(iso) {
    await app.execute(
      `const d = document.querySelector('[data-testid=date]'); d.value = ${JSON.stringify(iso)}; d.dispatchEvent(new Event('input', { bubbles: true }));`,
    );
    actions++;
  },
};

const bars = async () => (await app.contents("[data-testid=bar]")).map((t) => t.replace(/\s+/g, " ").trim());

test("Acme BPO's three shifts for 2027, a key and three signed files, counted action by action", async () => {
  await app.waitFor("[data-testid=first-run]");
  // The welcome screen has the focus in its name field.
  await app.until(() => app.execute("return document.activeElement?.getAttribute('data-testid')"), (a) => a === "first-customer-name", 10_000, "the focus on the first customer's name");
  await person.type("Acme BPO");
  await person.key(Keys.tab);
  await person.type("Acme CAD");
  await person.key(Keys.enter);
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === "Acme BPO", 10_000, "Acme BPO's timeline");

  await person.pickDate("2027-01-01");
  await app.until(() => app.execute("return document.querySelector('[data-testid=date]').dataset.iso"), (v) => v === "2027-01-01", 10_000, "the day shown");
  // An empty customer's coverage says what to do rather than showing a row of red zeros.
  assert.match((await app.contents("[data-testid=coverage-empty]"))[0] ?? "", /No license yet/);
  assert.equal((await app.findAll("[data-testid=coverage-value]")).length, 0);

  const shifts = [
    { name: "India", line: "India 100 seats", from: 0, to: 8, label: "India 100 seats · 00:00-08:00" },
    { name: "Philippines", line: "Philippines 200 seats", from: 8, to: 16, label: "Philippines 200 seats · 08:00-16:00" },
    { name: "Brazil", line: "Brazil 50 seats", from: 16, to: 24, label: "Brazil 50 seats · 16:00-24:00" },
  ];
  for (const [i, shift] of shifts.entries()) {
    const [track] = await app.waitFor("[data-testid=new-lane]");
    await app.reveal(track);
    const hour = (await app.rect(track)).width / 24;
    // From the track's centre (12:00): a pixel inside the shift's start, across to its end.
    await person.drag(track, (shift.to - shift.from) * hour - 2, (shift.from - 12) * hour + 1);
    await app.until(() => app.execute("return document.activeElement?.getAttribute('data-testid')"), (a) => a === "edit-name", 10_000, `the focus on ${shift.name}'s name`);
    await person.type(shift.line);
    // The editor shows what the line will save as before anything is saved.
    await app.until(() => app.contents("[data-testid=quick-name-hint]"), (h) => h[0]?.includes(`“${shift.name}” with`), 10_000, `the hint for ${shift.line}`);
    assert.equal(await app.execute("return document.querySelector('[data-testid=quick-editor] [data-testid=edit-seats]').value"), shift.line.split(" ").at(-2));
    if (i === 2 && process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "first-day-editor.png"));
    // The previous shift was saved by this shift's drag.
    if (i > 0) assert.equal((await bars())[i - 1], shifts[i - 1].label);
  }

  // "Sign & export all" saves the last shift first, and the plan names it as typed.
  await person.click("sign-customer");
  await app.waitFor("[data-testid=sign-make-key]");
  const passphrase = "Correct-Horse-Battery-42";
  await person.type(passphrase);
  await person.key(Keys.tab);
  await person.type(passphrase);
  await app.until(() => app.execute("return !document.querySelector('[data-testid=sign-key-make]').disabled"), (ready) => ready, 10_000, "the key's passphrase rated");
  // The 2027 licenses are not valid yet: the dialog says so beside the passphrase, and
  // making the key signs them.
  const notes = await app.contents("[data-testid=sign-plan-item]");
  assert.equal(notes.length, 3, notes.join(" | "));
  assert.match(notes[0], /not yet valid/i);
  assert.deepEqual(await bars(), shifts.map((s) => s.label));
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "first-day-sign.png"));
  await person.key(Keys.enter);
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "the signing summary");
  assert.match(summary[0], /^3 of 3 files written/);
  assert.equal(readdirSync(exports).filter((f) => f.endsWith(".lic")).length, 3);
  // Every file names the product the welcome screen was told.
  for (const file of readdirSync(exports).filter((f) => f.endsWith(".lic"))) {
    const payload = readFileSync(join(exports, file), "utf8").split("\n").find((l) => l.startsWith("payload: "));
    assert.equal(JSON.parse(Buffer.from(payload.slice(9), "base64").toString("utf8")).terms.product, "Acme CAD", file);
  }

  console.log(`the first day in the window: ${actions} actions (goal ${GOAL})`);
  assert.ok(actions <= GOAL, `the flow took ${actions} actions, more than the goal of ${GOAL}`);
  assert.ok(actions <= ACTIONS_TODAY, `the flow took ${actions} actions, more than the ${ACTIONS_TODAY} it takes today`);
});
