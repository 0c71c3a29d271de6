// End to end: start-up. A catalogue that cannot be opened is reported with the reason and the
// backups beside it, and one click restores a backup (the unreadable file is kept, renamed).
// The app writes its log in its data folder, including the time to the first painted timeline.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const work = temporaryFolder("timefence-startup-");
const catalogue = join(work, "catalogue.sqlite");
// The app's data folder (and so its logs) lives here for this test.
process.env.XDG_DATA_HOME = join(work, "data");

let stopDriver;
let app;

before(async () => {
  execFileSync(cli, ["--catalogue", catalogue, "demo"]);
  mkdirSync(join(work, "backups"));
  execFileSync(cli, ["--catalogue", catalogue, "backup", join(work, "backups", "catalogue-20261127-120000.sqlite")]);
  for (const suffix of ["-wal", "-shm"]) {
    if (existsSync(catalogue + suffix)) writeFileSync(catalogue + suffix, "");
  }
  writeFileSync(catalogue, "SQLite format 3\0 but then nothing that SQLite can read at all".repeat(40));
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

test("a catalogue that cannot be opened is explained, and a backup beside it restores it", async () => {
  const reason = await app.until(() => app.contents("[data-testid=unopenable-reason]"), (r) => r.length === 1, 20_000);
  assert.ok(reason[0].length > 10, reason[0]);
  const [restore] = await app.waitFor("[data-testid=restore-backup]");
  assert.match(await app.text(restore), /catalogue-20261127-120000\.sqlite/);
  await app.click(restore);
  const names = await app.until(() => app.contents("[data-testid=customer] .name"), (n) => n.length === 4, 20_000);
  assert.ok(names.includes("Northwind BPO"));
  await app.until(() => app.findAll("[data-testid=bar]"), (b) => b.length === 3);
  assert.deepEqual(await app.contents("[data-testid=unopenable]"), []);
  const aside = readdirSync(work).filter((f) => f.startsWith("catalogue.sqlite.unopenable-"));
  assert.ok(aside.length >= 1, readdirSync(work).join(", "));
});

test("the log in the app's data folder records the start and the first paint", async () => {
  const folder = join(work, "data", "app.timefence.desktop", "logs");
  const log = await app.until(
    () => (existsSync(folder) ? readdirSync(folder).map((f) => readFileSync(join(folder, f), "utf8")).join("") : ""),
    (text) => /first paint/.test(text),
  );
  assert.match(log, /Timefence starting/);
  assert.match(log, /the catalogue cannot be opened/);
  assert.match(log, /catalogue restored from a backup/);
  assert.match(log, /first paint millis=\d+/);
});
