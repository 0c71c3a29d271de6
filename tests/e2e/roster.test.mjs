// A roster in the window: the brief's BPO week as a roster file dropped on the window for a
// customer with no license yet; the demand drawn on the coverage strip (short everywhere), the
// plan beside one 24-hour license, applied as drafts (the strip no longer short), undone in one
// step, and the same plan from the IEX export through "Plan from roster…".
//
// A drop reaches the window as Tauri's drag-drop event; WebDriver cannot drag a file from the
// desktop, so the test emits that event itself, with the file's path, as the webview does
// after the desktop's drop.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const samples = join(root, "crates/timefence-roster/samples");
const work = temporaryFolder("timefence-roster-");
const catalogue = join(work, "catalogue.sqlite");
const YEAR = 2027;
// Plans are priced on this day and their drafts run a year from it.
process.env.TIMEFENCE_TODAY = `${YEAR}-01-04`;
// "Plan from roster…" opens this file.
process.env.TIMEFENCE_OPEN_FILE = join(samples, "bpo.iex.txt");

let stopDriver;
let app;
let actions = 0;

const normal = (t) => t.replace(/\s+/g, " ").trim();
const bars = async () => (await app.contents("[data-testid=bar]")).map(normal);

before(async () => {
  for (const binary of [application, cli]) assert.ok(existsSync(binary), `no ${binary}; build with cargo build --workspace`);
  execFileSync(cli, ["--catalogue", catalogue, "demo", "--year", String(YEAR)]);
  execFileSync(cli, ["--catalogue", catalogue, "customers", "add", "--name", "Southwind BPO", "--zone", "UTC"]);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  if (process.env.E2E_SCREENSHOTS) await app?.screenshot(join(process.env.E2E_SCREENSHOTS, "roster-end.png")).catch(() => {});
  await app?.end().catch(() => {});
  stopDriver?.();
});

/** What the webview sends when a file is dropped on the window. */
async function dropFile(path) {
  await app.executeAsync(
    `const [path, done] = arguments;
     window.__TAURI_INTERNALS__
       .invoke("plugin:event|emit", { event: "tauri://drag-drop", payload: { paths: [path], position: { x: 400, y: 300 } } })
       .then(() => done(null), (e) => done(String(e)));`,
    [path],
  );
}

test("a roster dropped on the window shows its demand and a plan, applied as drafts and undone in one step", async () => {
  await app.selectCustomer("Southwind BPO");
  await app.waitFor("[data-testid=coverage-empty]");

  await dropFile(join(samples, "bpo.csv"));
  actions++;
  await app.waitFor("[data-testid=roster]");
  assert.equal(normal((await app.contents("[data-testid=roster-file]"))[0]), "bpo.csv · roster CSV");
  assert.match(normal((await app.contents("[data-testid=roster-summary]"))[0]), /^350 agents, 2,450 working shifts \(7 of breaks or time off left out\), peak 200 seats, on the wall clock of UTC\./);
  const rows = await app.execute(`return [...document.querySelectorAll("[data-testid=roster-license]")].map((r) => [...r.querySelectorAll("td")].slice(0, 5).map((c) => c.textContent.trim()))`);
  assert.deepEqual(rows, [
    ["Plan 00:00-08:00", "00:00-08:00", "every day", "100", "$500.00"],
    ["Plan 08:00-16:00", "08:00-16:00", "every day", "200", "$1,000.00"],
    ["Plan 16:00-24:00", "16:00-24:00", "every day", "50", "$250.00"],
  ]);
  assert.deepEqual(await app.contents("[data-testid=roster-per-day]"), ["$1,750.00"]);
  assert.deepEqual(await app.contents("[data-testid=roster-baseline]"), ["$3,000.00"]);
  assert.deepEqual(await app.contents("[data-testid=roster-savings]"), ["$1,250.00"]);
  assert.match((await app.contents("[data-testid=roster-optimality]"))[0], /proven optimal/);

  // The demand on the coverage strip: 96 quarter-hours, every one short with no license yet.
  await app.until(() => app.contents("[data-testid=demand-peak]"), (t) => t[0] === "roster needs 200 seats", 10_000, "the demand on the strip");
  assert.deepEqual(await app.contents("[data-testid=demand-gaps]"), ["96 quarter-hours short"]);
  assert.deepEqual((await app.contents("[data-testid=roster-current-none] td")).map(normal), ["Current licenses", "none yet"]);
  assert.equal((await app.findAll("[data-testid=demand-short]")).length, 96);
  const path = await app.execute(`return document.querySelector("[data-testid=demand-line] path").getAttribute("d")`);
  // 100 seats of 200 is half the strip's height; 200 the top; 50 three quarters down.
  assert.match(path, /^M0,50 L[\d.]+,50 /);
  assert.ok(path.includes(",0 L") && path.includes(",75 L"), path);
  if (process.env.E2E_SCREENSHOTS) {
    await app.screenshot(join(process.env.E2E_SCREENSHOTS, "roster-demand.png"));
    await app.reveal((await app.findAll("[data-testid=roster]"))[0]);
    await app.screenshot(join(process.env.E2E_SCREENSHOTS, "roster-plan.png"));
  }

  await app.click((await app.findAll("[data-testid=roster-apply]"))[0]);
  actions++;
  const applied = await app.until(bars, (b) => b.length === 3, 10_000, "the three drafts on the timeline");
  assert.deepEqual(applied, ["Plan 00:00-08:00 100 seats · 00:00-08:00", "Plan 08:00-16:00 200 seats · 08:00-16:00", "Plan 16:00-24:00 50 seats · 16:00-24:00"]);
  await app.until(() => app.findAll("[data-testid=demand-short]"), (s) => s.length === 0, 10_000, "nothing short");
  assert.equal((await app.findAll("[data-testid=demand-gaps]")).length, 0);
  await app.until(() => app.contents("[data-testid=roster-applied]"), (t) => t.length === 1, 10_000, "the panel saying the drafts were added");
  const notice = await app.until(() => app.contents("[data-testid=notice] span"), (t) => t.some((x) => x.startsWith("Added Plan")), 10_000, "the notice");
  assert.ok(notice.some((t) => t.includes(`Added Plan 00:00-08:00, Plan 08:00-16:00 and Plan 16:00-24:00 as drafts, valid 01/04/${YEAR} to 01/03/${YEAR + 1}`)), notice.join(" | "));
  // The current licenses now cost what the plan costs.
  await app.until(() => app.execute(`return [...document.querySelectorAll("[data-testid=roster-current] td")].map((c) => c.textContent.trim())`), (c) => c[1]?.startsWith("$1,750.00"), 10_000, "the current licenses at $1,750.00 a day");
  if (process.env.E2E_SCREENSHOTS) {
    await app.reveal((await app.findAll("#timeline"))[0]);
    await app.screenshot(join(process.env.E2E_SCREENSHOTS, "roster-applied.png"));
  }

  await app.click((await app.findAll("[data-testid=undo]"))[0]);
  await app.until(bars, (b) => b.length === 0, 10_000, "the three drafts gone in one step");
  await app.until(() => app.findAll("[data-testid=roster-apply]"), (b) => b.length === 1, 10_000, "Apply offered again");
  assert.equal((await app.findAll("[data-testid=demand-short]")).length, 96);
});

test("Plan from roster… reads an IEX export into the same plan, and a roster for another customer goes away", async () => {
  await app.click((await app.findAll("[data-testid=plan-roster]"))[0]);
  await app.until(() => app.contents("[data-testid=roster-file]"), (t) => normal(t[0] ?? "") === "bpo.iex.txt · NICE IEX WFM export", 10_000, "the IEX roster");
  assert.deepEqual(await app.contents("[data-testid=roster-per-day]"), ["$1,750.00"]);
  // Asking for one license: the whole day at the peak, no cheaper.
  const max = (await app.findAll("[data-testid=roster-max]"))[0];
  await app.clear(max);
  await app.type(max, "1");
  // Leaving the field commits it, as Tab does.
  await app.execute(`document.querySelector("[data-testid=roster-max]").blur()`);
  await app.until(
    async () => [...(await app.contents("[data-testid=roster-per-day]")), ...(await app.contents("[data-testid=problem]"))],
    (t) => t[0] === "$3,000.00",
    10_000,
    "one license at $3,000.00",
  );
  assert.equal((await app.findAll("[data-testid=roster-license]")).length, 1);

  await app.selectCustomer("Northwind BPO");
  assert.equal((await app.findAll("[data-testid=roster]")).length, 0);
  assert.equal((await app.findAll("[data-testid=demand-line]")).length, 0);
  console.log(`newcomer actions from a dropped roster to applied drafts: ${actions}`);
});
