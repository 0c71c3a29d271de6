// Actual use in the window: a usage report from a customer's relay is imported, its use
// shown beside the licenses, and a priced suggestion applied and undone. The report is
// written and signed here with node:crypto, from the published format, by the relay key
// `timefence-relay keygen` made and the certificate `timefence relay certify` signed: a
// second implementation of the report format that the app must accept.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const relayBinary = join(root, "target/debug/timefence-relay");
const work = temporaryFolder("timefence-usage-");
const catalogue = join(work, "catalogue.sqlite");
const YEAR = new Date().getUTCFullYear();
const reportFile = join(work, "northwind-march.report");
// The app's "Open" dialog answers with this file.
process.env.TIMEFENCE_OPEN_FILE = reportFile;
// The report is of March this year; the app must take it for ended days whatever the date.
process.env.TIMEFENCE_TODAY = `${YEAR + 1}-01-01`;
const passphrase = { ...process.env, TIMEFENCE_PASSPHRASE: "Correct-Horse-Battery-42" };

let stopDriver;
let app;

const normal = (t) => t.replace(/\s+/g, " ").trim();
const bars = async () => (await app.contents("[data-testid=bar]")).map(normal);

/** Signs a report the way `timefence-relay report` does: armor, certificate, payload, signature. */
function writeReport(payload, relayKeyPem, certificate) {
  const bytes = Buffer.from(JSON.stringify(payload));
  const signature = sign(null, Buffer.concat([Buffer.from("timefence-usage-report-v1\0"), bytes]), createPrivateKey(relayKeyPem));
  const text = [
    "-----BEGIN TIMEFENCE USAGE REPORT-----",
    "# written by the end-to-end test",
    `certificate: ${Buffer.from(certificate).toString("base64")}`,
    `payload: ${bytes.toString("base64")}`,
    `signature: ${signature.toString("base64")}`,
    "-----END TIMEFENCE USAGE REPORT-----",
    "",
  ].join("\n");
  writeFileSync(reportFile, text);
}

before(async () => {
  for (const binary of [application, cli, relayBinary]) assert.ok(existsSync(binary), `no ${binary}; build with cargo build --workspace`);
  execFileSync(cli, ["--catalogue", catalogue, "demo", "--year", String(YEAR)]);
  const vendorKey = JSON.parse(execFileSync(cli, ["--catalogue", catalogue, "key", "generate", "--json"], { env: passphrase, encoding: "utf8" })).key_id;
  execFileSync(relayBinary, ["keygen", "--out", join(work, "relay.key")]);
  execFileSync(cli, ["--catalogue", catalogue, "relay", "certify", "--public-key", join(work, "relay.pub.pem"), "--customer", "1", "--out", join(work, "relay.cert")], { env: passphrase });
  const licenses = JSON.parse(execFileSync(cli, ["--catalogue", catalogue, "licenses", "list", "--customer", "1", "--json"], { encoding: "utf8" }));
  const brazil = licenses.find((l) => l.name === "L3 Brazil");
  // The relay copies the customer's uid from its certificate into its reports.
  const northwind = JSON.parse(execFileSync(cli, ["--catalogue", catalogue, "customers", "list", "--json"], { encoding: "utf8" })).customers.find((c) => c.id === 1);
  // A week of evenings in March: Brazil holds 20 of its 50 seats, 31 once.
  const quarters = [];
  for (let day = 1; day <= 7; day++) {
    const evening = Date.UTC(YEAR, 2, day, 16) / 1000;
    for (let q = 0; q < 32; q++) {
      const peak = day === 3 && q === 8 ? 31 : 20;
      quarters.push({ start: evening + q * 900, peak, seat_seconds: peak * 600 });
    }
  }
  writeReport(
    {
      customer: "Northwind BPO",
      customer_uid: northwind.uid,
      from: `${YEAR}-03-01`,
      to: `${YEAR}-03-07`,
      generated_at: `${YEAR}-03-08T00:00:00Z`,
      licenses: [
        {
          license: `${vendorKey}-${brazil.uid}`,
          distinct_holders: 44,
          quarters,
          // Three claims met the daily limit at 23:00 on the 2nd.
          refusals: [{ start: Date.UTC(YEAR, 2, 2, 23) / 1000, reason: "ConsumptionExhausted", count: 3 }],
        },
      ],
    },
    readFileSync(join(work, "relay.key"), "utf8"),
    readFileSync(join(work, "relay.cert"), "utf8"),
  );
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
});

after(async () => {
  if (process.env.E2E_SCREENSHOTS) await app?.screenshot(join(process.env.E2E_SCREENSHOTS, "usage-end.png")).catch(() => {});
  await app?.end().catch(() => {});
  stopDriver?.();
});

test("a relay's usage report is imported, shown beside the licenses, and a priced suggestion applied and undone", async () => {
  await app.waitFor("[data-testid=usage-none]");
  const [importButton] = await app.waitFor("[data-testid=usage-import]");
  await app.reveal(importButton);
  await app.click(importButton);
  const notice = await app.until(() => app.contents("[data-testid=notice] span"), (t) => t.some((x) => x.includes("Imported the usage")), 15_000, "the import notice");
  assert.ok(
    notice.some((t) => t.includes(`Imported the usage of Northwind BPO from 03/01/${YEAR} to 03/07/${YEAR} (1 license)`)),
    notice.join(" | "),
  );
  await app.until(() => app.contents("[data-testid=usage-row]"), (r) => r.length === 1, 10_000, "the usage row");
  const cells = (await app.contents("[data-testid=usage-row] td")).map(normal);
  // A week of evenings: 20 seats × 10 min a quarter-hour, 11 more seats once, of 50 seats × 8 h.
  assert.deepEqual(cells, ["L3 Brazil 7 days", "31 of 50 seats", "26.7 % (748 of 2,800 seat-hours)", "0 quarter-hours of 224", "44", "3 ConsumptionExhausted"]);
  assert.equal((await app.contents("[data-testid=suggestion]")).length, 1);
  assert.deepEqual((await app.contents("[data-testid=suggestion] strong")).map(normal), ["L3 Brazil: 35 seats"]);
  assert.deepEqual((await app.contents("[data-testid=suggestion] .why")).map(normal), ["at most 31 of 50 in use at once"]);
  const days = (Date.UTC(YEAR + 1, 0, 1) - Date.UTC(YEAR, 0, 1)) / 86_400_000;
  const term = (7_500 * days / 100).toLocaleString("en-US", { minimumFractionDigits: 2 });
  assert.deepEqual((await app.contents("[data-testid=suggestion-cost]")).map(normal), [`-$75.00 a day · -$${term} over the term`]);
  // Over Brazil's bar, each of its 32 quarter-hours: shaded to the 95th percentile and a line
  // at the peak, against its 50 seats (the week's 7 samples make the 95th the highest).
  const overlay = () =>
    app.execute(`
      const lane = [...document.querySelectorAll("[data-testid=lane]")].find((l) => l.textContent.includes("L3 Brazil"));
      return [...lane.querySelectorAll("[data-testid=actual-quarter]")].map((q) => [q.querySelector(".p95").style.height, q.querySelector(".peak").style.bottom]);
    `);
  const quartersDrawn = await app.until(overlay, (q) => q.length === 32, 10_000, "Brazil's 32 quarter-hours of actual use");
  assert.deepEqual(quartersDrawn[8], ["62%", "62%"], "18:00: 31 of 50 seats");
  assert.deepEqual(quartersDrawn[9], ["40%", "40%"], "18:15: 20 of 50 seats");
  const marks = await app.execute(`return [...document.querySelectorAll("[data-testid=refusal-mark]")].map((m) => [m.dataset.reason, m.title])`);
  assert.deepEqual(marks, [["ConsumptionExhausted", "23:00: 3 claims refused (ConsumptionExhausted) over 7 days"]]);
  if (process.env.E2E_SCREENSHOTS) {
    await app.screenshot(join(process.env.E2E_SCREENSHOTS, "usage-overlay.png"));
    await app.reveal((await app.findAll("[data-testid=usage]"))[0]);
    await app.screenshot(join(process.env.E2E_SCREENSHOTS, "usage.png"));
  }

  assert.ok((await bars()).includes("L3 Brazil 50 seats · 16:00-24:00"), (await bars()).join(" | "));
  await app.click((await app.findAll("[data-testid=suggestion-apply]"))[0]);
  const applied = await app.until(bars, (b) => b.includes("L3 Brazil 35 seats · 16:00-24:00"), 10_000, "Brazil at 35 seats");
  assert.ok(applied.length >= 3);
  // With 35 seats and a peak of 31, nothing more to suggest.
  await app.until(() => app.contents("[data-testid=suggestion]"), (s) => s.length === 0, 10_000, "no suggestion left");

  await app.click((await app.findAll("[data-testid=undo]"))[0]);
  await app.until(bars, (b) => b.includes("L3 Brazil 50 seats · 16:00-24:00"), 10_000, "Brazil back at 50 seats");
  await app.until(() => app.contents("[data-testid=suggestion]"), (s) => s.length === 1, 10_000, "the suggestion back");
});

test("the Forecast sets actual use against what is licensed", async () => {
  await app.click((await app.findAll("[data-testid=mode-forecast]"))[0]);
  const rows = await app.until(() => app.contents("[data-testid=forecast-actual-row] td"), (c) => c.length === 5, 10_000, "the Actual against licensed row");
  assert.deepEqual(rows.map(normal), ["Northwind BPO", `03/01/${YEAR} – 03/07/${YEAR} (7 days)`, "1", "26.7 % (748 of 2,800 seat-hours)", "3"]);
  // Hourly buckets: 16:00-17:00 holds 20 seats on every evening; 18:00's busiest quarter-hour
  // averages (6 × 20 + 31) × 600 s over 7 days of 900 s.
  const titles = await app.execute(`return [...document.querySelectorAll("[data-testid=forecast-in-use]")].map((b) => b.getAttribute("title"))`);
  assert.equal(titles.length, 24);
  assert.match(titles[16], /^16:00: 13\.3 seats in use on an average reported day, /);
  assert.match(titles[18], /^18:00: 14\.4 seats in use on an average reported day, /);
  assert.match(titles[3], /^03:00: 0\.0 seats in use/);
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "forecast-actual.png"));
  await app.click((await app.findAll("[data-testid=mode-timeline]"))[0]);
});
