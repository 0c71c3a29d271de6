// End to end on a catalogue of 10,000 customers and 100,000 licenses: the sidebar pages
// through it and filters it as you type, and a customer's timeline opens.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const catalogue = join(temporaryFolder("timefence-large-"), "catalogue.sqlite");

let stopDriver;
let app;

before(async () => {
  assert.ok(existsSync(cli), `no timefence binary at ${cli}; build it with cargo build --workspace`);
  execFileSync(cli, ["--catalogue", catalogue, "demo"]);
  execFileSync(cli, ["--catalogue", catalogue, "generate", "--customers", "10000", "--licenses-each", "10"]);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

test("the sidebar shows the first page of 10,004 customers and loads more on scrolling", async () => {
  const count = await app.until(() => app.texts("[data-testid=customer-count]"), (t) => t[0] === "10004", 30_000);
  assert.deepEqual(count, ["10004"]);
  const first = await app.waitFor("[data-testid=customer]", 100);
  assert.equal(first.length, 100);
  await app.execute("const l = document.querySelector('[data-testid=customers]'); l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event('scroll'));");
  const more = await app.until(() => app.findAll("[data-testid=customer]"), (e) => e.length >= 200);
  assert.equal(more.length, 200);
});

test("searching 100,000 licenses' customers as you type narrows the list", async () => {
  const [search] = await app.waitFor("[data-testid=search]");
  const started = Date.now();
  await app.type(search, "customer 0050");
  // Every word is matched on its own: "0050" is in 000500-000509, 001050, ... and 005000-005099.
  const names = await app.until(
    () => app.contents("[data-testid=customer] .name"),
    (n) => n.length > 0 && n.every((x) => x.includes("0050")),
  );
  console.log(`search answered on screen in ${Date.now() - started} ms (WebDriver round trips included)`);
  assert.ok(names.length > 0 && names.every((x) => x.includes("0050")), names.join(", "));
  const [count] = await app.texts("[data-testid=customer-count]");
  assert.ok(Number(count) < 10004 && Number(count) >= 100, `count ${count}`);
  await app.click((await app.findAll("[data-testid=customer]"))[0]);
  const lanes = await app.until(() => app.findAll("[data-testid=lane]"), (l) => l.length === 10);
  assert.equal(lanes.length, 10);
});
