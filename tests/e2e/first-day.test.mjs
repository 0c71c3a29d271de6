// The first day of an administrator who has not read the README, counted: Acme BPO with the
// brief's three shifts for 2027 (India 00:00-08:00, 100 seats; Philippines 08:00-16:00, 200;
// Brazil 16:00-24:00, 50), a key, and three signed files, done the way the screen suggests,
// with no knowledge of the README's "India 100 seats" (the seats go in the Seats field).
//
// Three paths, each in a new catalogue of its own, each action counted as flow.test.mjs counts
// them (a click, a drag, a text typed into a field, a key such as Tab or Enter):
// - the pointer, with the day shown set to 1 January 2027 in the toolbar (the editor shows the
//   dates a drawn license gets): at most 22 actions;
// - the pointer, with the dates typed into the compact editor instead (once: the next shifts
//   follow): at most 23;
// - the keyboard alone (+ New license, Enter, Tab, Shift+Tab; typed text counts one): at most
//   40 presses.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Keys, Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const passphrase = "Correct-Horse-Battery-42";

// The app is started by the driver, and takes this from its environment: set before either.
const exports = join(temporaryFolder("timefence-first-day-exports-"), "exports");
process.env.TIMEFENCE_EXPORT_DIR = exports;

let stopDriver;
let app;
let actions = 0;

async function open() {
  assert.ok(existsSync(application), `no app binary at ${application}`);
  stopDriver ??= await startDriver();
  // Each path counts its own three files.
  if (existsSync(exports)) for (const f of readdirSync(exports)) rmSync(join(exports, f));
  const work = temporaryFolder("timefence-first-day-");
  app = await Session.start(application, ["--catalogue", join(work, "catalogue.sqlite")]);
  actions = 0;
  await app.waitFor("[data-testid=first-run]");
}

afterEach(async () => {
  await app?.end().catch(() => {});
  app = null;
});

after(() => stopDriver?.());

const focused = () => app.execute("return document.activeElement?.getAttribute('data-testid')");

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
  async key(...strokes) {
    for (const stroke of strokes) {
      await app.press(stroke);
      actions++;
    }
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

const shifts = [
  { name: "India", seats: "100", from: 0, to: 8, window: "00:00-08:00" },
  { name: "Philippines", seats: "200", from: 8, to: 16, window: "08:00-16:00" },
  { name: "Brazil", seats: "50", from: 16, to: 24, window: "16:00-24:00" },
];

async function welcome() {
  await app.until(focused, (a) => a === "first-customer-name", 10_000, "the focus on the first customer's name");
  await person.type("Acme BPO");
  await person.key(Keys.tab);
  await person.type("Acme CAD");
  await person.key(Keys.enter);
  await app.until(() => app.contents("[data-testid=customer-name]"), (n) => n[0] === "Acme BPO", 10_000, "Acme BPO's timeline");
}

/** Draws a shift across the new-license row from its first hour to its last. */
async function draw(shift) {
  const [track] = await app.waitFor("[data-testid=new-lane]");
  await app.reveal(track);
  const hour = (await app.rect(track)).width / 24;
  await person.drag(track, (shift.to - shift.from) * hour - 2, (shift.from - 12) * hour + 1);
  await app.until(focused, (a) => a === "edit-name", 10_000, `the focus on ${shift.name}'s name`);
}

/** The key made in the sign dialog (the passphrase twice), and the files signed. */
async function makeKeyAndSign() {
  await app.waitFor("[data-testid=sign-make-key]");
  await person.type(passphrase);
  await person.key(Keys.tab);
  await person.type(passphrase);
  // Enter at once: it waits for nothing (the strength is checked when the key is made).
  await person.key(Keys.enter);
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "the signing summary");
  assert.match(summary[0], /^3 of 3 files written/);
}

/** The three files carry the task's terms: 2027, the seats and windows, the product. */
function checkFiles() {
  const files = readdirSync(exports).filter((f) => f.endsWith(".lic"));
  assert.equal(files.length, 3, files.join(", "));
  const terms = files
    .map((f) => {
      const payload = readFileSync(join(exports, f), "utf8").split("\n").find((l) => l.startsWith("payload: "));
      const p = JSON.parse(Buffer.from(payload.slice(9), "base64").toString("utf8"));
      return [p.name, p.terms.seats, `${p.terms.daily_start_time}-${p.terms.daily_end_time}`, p.terms.license_start_date, p.terms.license_end_date, p.terms.product];
    })
    .sort((a, b) => a[2].localeCompare(b[2]));
  assert.deepEqual(
    terms,
    shifts.map((s) => [s.name, Number(s.seats), s.window, "2027-01-01", "2027-12-31", "Acme CAD"]),
  );
}

test("by pointer, the day shown set to 1 January 2027: at most 22 actions", async () => {
  await open();
  await welcome();
  await person.pickDate("2027-01-01");
  for (const shift of shifts) {
    await draw(shift);
    // The editor shows the dates it will save before anything is saved.
    assert.equal(await app.execute("return document.querySelector('[data-testid=quick-start-date]').dataset.iso"), "2027-01-01");
    assert.equal(await app.execute("return document.querySelector('[data-testid=quick-end-date]').dataset.iso"), "2027-12-31");
    await person.type(shift.name);
    await person.key(Keys.tab);
    await person.type(shift.seats);
  }
  // "Sign & export all" saves the last shift first.
  await person.click("sign-customer");
  await makeKeyAndSign();
  checkFiles();
  console.log(`the first day by pointer, the day shown picked: ${actions} actions`);
  assert.ok(actions <= 22, `${actions} actions`);
});

test("by pointer, the dates typed into the compact editor once: at most 23 actions", async () => {
  await open();
  await welcome();
  for (const [i, shift] of shifts.entries()) {
    await draw(shift);
    await person.type(shift.name);
    await person.key(Keys.tab);
    await person.type(shift.seats);
    if (i === 0) {
      // Valid from comes next; the end follows it as a whole year.
      await person.key(Keys.tab);
      await app.until(focused, (a) => a === "quick-start-date", 10_000, "the focus on Valid from");
      await person.type("2027-01-01");
      await app.until(() => app.execute("return document.querySelector('[data-testid=quick-end-date]').dataset.iso"), (v) => v === "2027-12-31", 10_000, "the end following the start");
    } else {
      // The next shifts are drawn on the day the first one opens: its dates, already.
      assert.equal(await app.execute("return document.querySelector('[data-testid=quick-start-date]').dataset.iso"), "2027-01-01");
    }
  }
  await person.click("sign-customer");
  await makeKeyAndSign();
  checkFiles();
  console.log(`the first day by pointer, the dates typed in the editor: ${actions} actions`);
  assert.ok(actions <= 23, `${actions} actions`);
});

test("by keyboard alone: at most 40 presses", async () => {
  await open();
  await welcome();
  // The new customer's timeline puts the keyboard on + New license.
  await app.until(focused, (a) => a === "new-license", 10_000, "the focus on + New license");
  for (const [i, shift] of shifts.entries()) {
    await person.key(Keys.enter);
    await app.until(focused, (a) => a === "edit-name", 10_000, `the compact editor for ${shift.name}`);
    await person.type(shift.name);
    await person.key(Keys.tab);
    await person.type(shift.seats);
    if (i === 0) {
      // The first: its dates and its window typed (the next ones follow it).
      await person.key(Keys.tab);
      await person.type("01012027");
      await person.key(Keys.tab, Keys.tab);
      await app.until(focused, (a) => a === "quick-start", 10_000, "the focus on Daily start");
      await person.type("00:00");
      await person.key(Keys.tab);
      await person.type("08:00");
    } else {
      assert.equal(await app.execute("return document.querySelector('[data-testid=quick-start]').value"), shift.window.slice(0, 5));
    }
    await person.key(Keys.enter);
    await app.until(focused, (a) => a === "new-license", 10_000, `the focus back on + New license after ${shift.name}`);
  }
  // Back along the toolbar to "Sign & export all".
  let steps = 0;
  while ((await focused()) !== "sign-customer") {
    await person.key([Keys.shift, Keys.tab]);
    steps++;
    assert.ok(steps <= 12, "Sign & export all is not within 12 Shift+Tabs of + New license");
  }
  await person.key(Keys.enter);
  await makeKeyAndSign();
  checkFiles();
  console.log(`the first day by keyboard alone: ${actions} presses (${steps} Shift+Tab to Sign & export all)`);
  assert.ok(actions <= 40, `${actions} presses`);
});

// File › Quit is a native menu item, out of WebDriver's reach: its shortcut is pressed as a
// person would, through the X server (xdotool's XTEST keys go to the focused window, through
// GTK's accelerators, not into the page), and the app's process must end.
test("File › Quit's Ctrl+Q ends the app", async () => {
  assert.ok(existsSync(application), `no app binary at ${application}`);
  stopDriver ??= await startDriver();
  const work = temporaryFolder("timefence-quit-");
  app = await Session.start(application, ["--catalogue", join(work, "catalogue.sqlite")]);
  await app.waitFor("[data-testid=first-run]");
  const pids = () =>
    spawnSync("pgrep", ["-f", `${application} --catalogue ${work}`], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean);
  assert.equal(pids().length, 1, "one app process for this catalogue");
  const [pid] = pids();
  const windows = spawnSync("xdotool", ["search", "--sync", "--onlyvisible", "--pid", pid], {
    encoding: "utf8",
    timeout: 20_000,
  }).stdout.split("\n").filter(Boolean);
  assert.ok(windows.length > 0, "the app's window is on the X server");
  const pressed = spawnSync("xdotool", ["windowfocus", "--sync", windows[0], "key", "ctrl+q"], { timeout: 20_000 });
  assert.equal(pressed.status, 0, String(pressed.stderr));
  const deadline = Date.now() + 20_000;
  while (pids().length > 0) {
    assert.ok(Date.now() < deadline, "the app still runs 20 s after Ctrl+Q");
    await new Promise((r) => setTimeout(r, 100));
  }
});
