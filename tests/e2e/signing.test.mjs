// End to end: signing in the real window. A key is generated on the Keys screen, a license is
// signed and exported, the file verifies with the command-line tool and with OpenSSL alone, a
// tampered copy is refused with the verifier's reason, and the audit log lists the file. Then
// 10,000 generated licenses are exported with progress, timed, while the window answers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Session, startDriver, temporaryFolder } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const cli = join(root, "target/debug/timefence");
const work = temporaryFolder("timefence-signing-");
const catalogue = join(work, "catalogue.sqlite");
const exports = join(work, "exports");
const opened = join(work, "opened.lic");
const passphrase = "Correct-Horse-Battery-42";
// No test can click a system dialog: saves go to this folder, and "Open" opens this file.
process.env.TIMEFENCE_EXPORT_DIR = exports;
process.env.TIMEFENCE_OPEN_FILE = opened;

let stopDriver;
let app;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  assert.ok(existsSync(cli), `no timefence binary at ${cli}; build it with cargo build --workspace`);
  mkdirSync(exports, { recursive: true });
  // The demo plus 1,000 generated customers with 10 licenses each: 10,000 licenses
  // besides the demo's six, for the bulk export.
  execFileSync(cli, ["--catalogue", catalogue, "demo"]);
  execFileSync(cli, ["--catalogue", catalogue, "generate", "--customers", "1000", "--licenses-each", "10"]);
  stopDriver = await startDriver();
  app = await Session.start(application, ["--catalogue", catalogue]);
  await app.waitFor("[data-testid=customer]", 4);
});

after(async () => {
  await app?.end().catch(() => {});
  stopDriver?.();
});

async function clickTestId(id, index = 0) {
  const found = await app.waitFor(`[data-testid=${id}]`, index + 1);
  // The Keys screen grows (license choices, the certificates list): bring it into view first.
  await app.reveal(found[index]);
  await app.click(found[index]);
}

async function selectCustomer(name) {
  const [search] = await app.waitFor("[data-testid=search]");
  await app.clear(search);
  await app.type(search, name);
  await app.until(() => app.contents("[data-testid=customer] .name"), (n) => n[0] === name);
  await clickTestId("customer");
  await app.until(() => app.contents("[data-testid=customer-name]"), (t) => t[0] === name);
}

test("a key is generated with the passphrase twice and a strength hint, and becomes the signing key", async () => {
  await clickTestId("mode-keys");
  const [first] = await app.waitFor("[data-testid=passphrase]");
  await app.type(first, "short");
  const weak = await app.until(() => app.contents("[data-testid=strength]"), (s) => s.length === 1);
  assert.match(weak[0], /too short/);
  await app.clear(first);
  await app.type(first, passphrase);
  await app.type((await app.findAll("[data-testid=passphrase-again]"))[0], passphrase);
  const hint = await app.until(() => app.contents("[data-testid=strength]"), (s) => /good|strong/.test(s[0] ?? ""));
  assert.match(hint[0], /(good|strong) · about \d+ bits/);
  await clickTestId("generate-key");
  const status = await app.until(() => app.contents("[data-testid=key-status]"), (s) => s.length === 1);
  assert.deepEqual(status, ["active"]);
  await clickTestId("export-public-key");
  const [keyId] = await app.contents("[data-testid=key-id]");
  const pem = join(exports, `timefence-${keyId}.pub.pem`);
  await app.until(() => existsSync(pem), (e) => e);
  assert.match(readFileSync(pem, "utf8"), /^-----BEGIN PUBLIC KEY-----/);
});

test("a signed license verifies with the command-line tool and with OpenSSL, and a tampered copy is refused", async () => {
  await clickTestId("mode-timeline");
  await selectCustomer("Northwind BPO");
  await clickTestId("edit-license", 0);
  await clickTestId("sign-license");
  const [field] = await app.waitFor("[data-testid=sign-passphrase]");
  await app.type(field, passphrase);
  await clickTestId("sign-go");
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000);
  assert.match(summary[0], /^1 of 1 file written/);
  await clickTestId("sign-close");
  // One file is named like the files of a bulk export: customer, license, serial.
  const named = readdirSync(exports).filter((f) => /^Northwind-BPO-L1-India-\d+\.lic$/.test(f));
  assert.equal(named.length, 1, `files: ${readdirSync(exports)}`);
  const file = join(exports, named[0]);
  const lanes = await app.until(() => app.contents("[data-testid=lane] .state"), (s) => s.length === 1);
  assert.deepEqual(lanes, ["issued"]);

  // The command-line tool trusts the keys in the folder beside the catalogue.
  const verified = execFileSync(cli, ["--catalogue", catalogue, "verify", file], { encoding: "utf8" });
  assert.match(verified, /^valid: Northwind BPO \/ L1 India \(serial \d+\)/);

  // OpenSSL alone, as the README tells a vendor.
  const text = readFileSync(file, "utf8");
  const field64 = (name) => Buffer.from(text.split("\n").find((l) => l.startsWith(`${name}: `)).slice(name.length + 2), "base64");
  writeFileSync(join(work, "msg"), Buffer.concat([Buffer.from("timefence-license-v1\0"), field64("payload")]));
  writeFileSync(join(work, "sig"), field64("signature"));
  const [keyId] = text.split("\n").filter((l) => l.startsWith("key: ")).map((l) => l.slice(5));
  const openssl = (msg) =>
    execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(exports, `timefence-${keyId}.pub.pem`), "-rawin", "-in", msg, "-sigfile", join(work, "sig")], { encoding: "utf8" });
  assert.match(openssl(join(work, "msg")), /Signature Verified Successfully/);

  // Checking the file in the app: it verifies, and the engine says whether it may be used now.
  writeFileSync(opened, text);
  await clickTestId("mode-check");
  await clickTestId("open-license");
  const verdict = await app.until(() => app.contents("[data-testid=check-verdict]"), (v) => v.length === 1);
  assert.match(verdict[0], /Verified with trusted key/);
  const now = await app.contents("[data-testid=check-now]");
  // L1 India opens 00:00-08:00 UTC through this year: the answer follows the clock, and its
  // date is written as the date fields write it (not YYYY-MM-DD).
  const hour = new Date().getUTCHours();
  const shown = await app.execute("return new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.UTC(2027, 0, 31)))");
  const date = shown.replace("2027", "\\d{4}").replace("01", "\\d{2}").replace("31", "\\d{2}");
  if (hour < 8) assert.match(now[0], new RegExp(`May it be used now\\? Yes, until ${date} 08:00 UTC`));
  else assert.match(now[0], new RegExp(`May it be used now\\? No: outside the daily window; next opening ${date} 00:00 UTC`));
  assert.doesNotMatch((await app.contents("[data-testid=check-summary]"))[0], /\d{4}-\d{2}-\d{2}/);
  assert.equal((await app.findAll("[data-testid=bar]")).length, 1);

  // One changed character of the signed payload: the app says why the file is refused.
  const payloadLine = text.split("\n").find((l) => l.startsWith("payload: "));
  const changed = payloadLine.slice(0, 30) + (payloadLine[30] === "A" ? "B" : "A") + payloadLine.slice(31);
  writeFileSync(opened, text.replace(payloadLine, changed));
  await clickTestId("open-license");
  const refused = await app.until(() => app.contents("[data-testid=check-problem]"), (p) => p.length === 1);
  assert.match(refused[0], /^signature does not match/);
  assert.throws(() => execFileSync(cli, ["--catalogue", catalogue, "verify", opened], { stdio: "pipe" }));

  await clickTestId("mode-audit");
  const rows = await app.until(() => app.contents("[data-testid=audit-row]"), (r) => r.length === 1);
  assert.match(rows[0], /Northwind BPO.*L1 India/);
  await clickTestId("audit-csv");
  const csv = join(exports, "timefence-audit.csv");
  await app.until(() => existsSync(csv), (e) => e);
  assert.equal(readFileSync(csv, "utf8").split("\r\n").filter(Boolean).length, 2);

  // Saving the issued license makes revision 2 as a draft, and the notice says the customer's
  // file stays as it is until that revision is signed.
  await clickTestId("mode-timeline");
  await clickTestId("edit-license", 0);
  const [seats] = await app.waitFor("[data-testid=license-form] [data-testid=edit-seats]");
  await app.clear(seats);
  await app.type(seats, "101");
  await clickTestId("edit-save");
  const saved = await app.until(() => app.contents("[data-testid=notice] span"), (n) => /revision 2/.test(n[0] ?? ""), 10_000, "the revision notice");
  assert.match(saved[0], /^Saved L1 India as revision 2, a draft: the customer's file stays valid as it is until you sign this revision/);
  // Once revision 2 is signed, Check a file says the first file is superseded rather than a
  // plain "Verified".
  await clickTestId("sign-license");
  const asked = await app.until(
    async () => [...(await app.findAll("[data-testid=sign-passphrase]")), ...(await app.findAll("[data-testid=sign-summary]"))],
    (found) => found.length > 0,
    20_000,
    "the passphrase or the summary",
  );
  if ((await app.findAll("[data-testid=sign-passphrase]")).length > 0) {
    await app.type(asked[0], passphrase);
    await clickTestId("sign-go");
  }
  const written = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000, "revision 2 signed");
  assert.match(written[0], /^1 of 1 file written/);
  await clickTestId("sign-close");
  writeFileSync(opened, text);
  await clickTestId("mode-check");
  await clickTestId("open-license");
  const superseded = await app.until(() => app.contents("[data-testid=check-superseded]"), (s) => s.length === 1, 10_000, "the superseded warning");
  assert.match(superseded[0], /^Superseded\. This catalogue has issued a newer file of this license since: serial \d+ \(revision 2\)/);
});

test("a customer's relay is certified on the Keys screen, and the certificate verifies with OpenSSL", async () => {
  const relayBinary = join(root, "target/debug/timefence-relay");
  assert.ok(existsSync(relayBinary), `no timefence-relay binary at ${relayBinary}`);
  execFileSync(relayBinary, ["keygen", "--out", join(work, "relay.key")]);
  const relayPem = readFileSync(join(work, "relay.pub.pem"), "utf8");
  await clickTestId("mode-keys");
  await app.type((await app.waitFor("[data-testid=relay-customer]"))[0], "Northwind BPO");
  await app.type((await app.findAll("[data-testid=relay-passphrase]"))[0], passphrase);

  // Something that is not a key: the message names the field and nothing is saved.
  const [key] = await app.waitFor("[data-testid=relay-key]");
  await app.type(key, "not a key");
  await clickTestId("certify-relay");
  const problem = await app.until(() => app.contents("[data-testid=relay-problem]"), (p) => p.length === 1);
  assert.match(problem[0], /^Relay's public key: paste the PEM/);
  const certificate = join(exports, "Northwind-BPO-relay.cert");
  assert.ok(!existsSync(certificate));

  await app.clear(key);
  await app.type(key, relayPem);
  await clickTestId("certify-relay");
  await app.until(() => existsSync(certificate), (e) => e, 10_000, "the certificate file");
  assert.equal((await app.findAll("[data-testid=relay-problem]")).length, 0);
  const text = readFileSync(certificate, "utf8");
  assert.match(text, /^-----BEGIN TIMEFENCE RELAY CERTIFICATE-----\n# Relay key [0-9a-f]{16} may serve every license of Northwind BPO\./);
  const field = (name) => Buffer.from(text.split("\n").find((l) => l.startsWith(`${name}: `)).slice(name.length + 2), "base64");
  const payload = JSON.parse(field("payload").toString("utf8"));
  assert.equal(payload.customer, "Northwind BPO");
  assert.deepEqual(payload.licenses, []);
  const relayRaw = Buffer.from(relayPem.split("\n").filter((l) => !l.startsWith("-----")).join(""), "base64").subarray(12);
  assert.equal(payload.relay_key, relayRaw.toString("base64"));
  // The vendor's signature, checked by OpenSSL over the certificate's own domain prefix.
  writeFileSync(join(work, "cert-msg"), Buffer.concat([Buffer.from("timefence-relay-certificate-v1\0"), field("payload")]));
  writeFileSync(join(work, "cert-sig"), field("signature"));
  const vendorKey = text.split("\n").find((l) => l.startsWith("key: ")).slice(5);
  const verified = execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(exports, `timefence-${vendorKey}.pub.pem`), "-rawin", "-in", join(work, "cert-msg"), "-sigfile", join(work, "cert-sig")], { encoding: "utf8" });
  assert.match(verified, /Signature Verified Successfully/);
  // It is listed with the end it was given (a year and a day), and can be withdrawn after a
  // second click; then it says so.
  assert.ok(payload.not_after, "the certificate has an end");
  const rows = await app.until(() => app.contents("[data-testid=certificate-row]"), (r) => r.length === 1);
  assert.match(rows[0], /Northwind BPO/);
  assert.match(rows[0], /every license/);
  await clickTestId("certificate-withdraw");
  await clickTestId("certificate-withdraw-confirm");
  await app.until(() => app.contents("[data-testid=certificate-row]"), (r) => r.length === 1 && /withdrawn/.test(r[0]));
  // The signed withdrawal list for the customer's relay and the application names it, and
  // OpenSSL verifies the vendor's signature over the list's own domain prefix.
  await app.type((await app.waitFor("[data-testid=withdrawals-passphrase]"))[0], passphrase);
  await clickTestId("save-withdrawals");
  const listFile = join(exports, "withdrawn-relays.tfw");
  await app.until(() => existsSync(listFile), (e) => e, 10_000, "the withdrawal list file");
  const list = readFileSync(listFile, "utf8");
  assert.match(list, /^-----BEGIN TIMEFENCE RELAY WITHDRAWALS-----\n# 1 relay certificate withdrawn/);
  const listField = (name) => Buffer.from(list.split("\n").find((l) => l.startsWith(`${name}: `)).slice(name.length + 2), "base64");
  const withdrawn = JSON.parse(listField("payload").toString("utf8")).withdrawn;
  assert.deepEqual(
    withdrawn.map((w) => [w.relay_key, w.issued_at]),
    [[payload.relay_key, payload.issued_at]],
  );
  writeFileSync(join(work, "list-msg"), Buffer.concat([Buffer.from("timefence-relay-withdrawals-v1\0"), listField("payload")]));
  writeFileSync(join(work, "list-sig"), listField("signature"));
  assert.match(
    execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(exports, `timefence-${vendorKey}.pub.pem`), "-rawin", "-in", join(work, "list-msg"), "-sigfile", join(work, "list-sig")], { encoding: "utf8" }),
    /Signature Verified Successfully/,
  );
  await app.until(() => app.contents("[data-testid=notice]"), (n) => n.some((t) => /Saved the withdrawal list \(1 relay certificate\)/.test(t)), 10_000, "the notice");
  // Certified again for one chosen license: the certificate lists that license's uid alone.
  const [again] = await app.waitFor("[data-testid=relay-key]");
  await app.type(again, relayPem);
  const boxes = await app.waitFor("[data-testid=relay-licenses] input[type=checkbox]");
  assert.equal(boxes.length, 3, "Northwind BPO's three licenses to choose from");
  await app.reveal(boxes[0]);
  await app.click(boxes[0]);
  await clickTestId("certify-relay");
  const limited = await app.until(
    () => JSON.parse(Buffer.from(readFileSync(certificate, "utf8").split("\n").find((l) => l.startsWith("payload: ")).slice(9), "base64").toString("utf8")),
    (p) => p.licenses.length === 1,
    10_000,
    "a certificate for one license",
  );
  assert.equal(limited.licenses[0].length, 32);
  await app.until(() => app.contents("[data-testid=certificate-row]"), (r) => r.length === 2 && /1 license/.test(r[0]));
  if (process.env.E2E_SCREENSHOTS) await app.screenshot(join(process.env.E2E_SCREENSHOTS, "keys-certificates.png"));
});

test("10,000 licenses export with progress at least every 250 ms while the window answers", async () => {
  const folder = exports;
  const before = readdirSync(folder).filter((f) => f.endsWith(".lic")).length;
  await clickTestId("mode-keys");
  await app.execute("window.__timefenceMeasure = { progressArrivals: [] }");
  await clickTestId("sign-everything");
  // The dialog lists what deserves a look first: the generated licenses of past years have
  // expired and are left out unless asked for, and L1 India was issued already.
  const planned = await app.until(() => app.contents("[data-testid=sign-plan-summary]"), (p) => p.length === 1, 20_000, "the sign plan");
  assert.match(planned[0], /expired licenses are left out/);
  await clickTestId("sign-include-expired");
  await app.until(() => app.contents("[data-testid=sign-plan-summary]"), (p) => /^Signs 10,006 files\.$/.test(p[0]?.trim() ?? ""), 20_000, "all 10,006 files in the plan");
  const issuedNote = (await app.contents("[data-testid=sign-plan-item]")).find((t) => t.includes("L1 India"));
  assert.match(issuedNote ?? "", /issued as serial \d+; signing again issues serial \d+ and supersedes it/);
  await clickTestId("sign-start");
  // The passphrase is still held from the last signing, so the export starts at once.
  const started = Date.now();
  const answers = [];
  let summary = [];
  while (summary.length === 0 && Date.now() - started < 600_000) {
    const asked = Date.now();
    await app.execute("return document.querySelectorAll('[data-testid=customer]').length");
    answers.push(Date.now() - asked);
    summary = await app.contents("[data-testid=sign-summary]");
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  assert.equal(summary.length, 1, "the export did not finish within ten minutes");
  assert.match(summary[0], /^10,006 of 10,006 files written/);
  const arrivals = await app.execute("return window.__timefenceMeasure.progressArrivals.slice()");
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
  const longest = Math.max(...gaps);
  const pid = execFileSync("pgrep", ["-f", `timefence-app --catalogue ${catalogue}`], { encoding: "utf8" }).trim().split("\n")[0];
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  const slowest = Math.max(...answers);
  console.log(
    `bulk export: 10,006 licenses in ${seconds.toFixed(1)} s (${summary[0]}); ${arrivals.length} progress events, longest gap ${longest.toFixed(0)} ms; app peak RSS ${(Number(peak) / 1024).toFixed(0)} MB; slowest window answer during the export ${slowest} ms over ${answers.length} asks`,
  );
  assert.ok(longest <= 250, `progress events were ${longest} ms apart`);
  assert.ok(slowest < 1000, `the window took ${slowest} ms to answer during the export`);
  assert.equal(readdirSync(folder).filter((f) => f.endsWith(".lic")).length - before, 10_006);
  assert.equal(readdirSync(folder).filter((f) => f.endsWith(".part")).length, 0);
  await clickTestId("sign-close");
});

test("cancelling a bulk export stops it between files and leaves no half-written file", async () => {
  const before = readdirSync(exports).filter((f) => f.endsWith(".lic")).length;
  await app.execute("window.__timefenceMeasure = { progressArrivals: [] }");
  await clickTestId("sign-everything");
  await clickTestId("sign-include-expired");
  await app.until(() => app.contents("[data-testid=sign-plan-summary]"), (p) => /^Signs 10,006 files\.$/.test(p[0]?.trim() ?? ""), 20_000, "all 10,006 files in the plan");
  await clickTestId("sign-start");
  await app.until(() => app.execute("return window.__timefenceMeasure.progressArrivals.length"), (n) => n >= 2, 20_000);
  await clickTestId("sign-cancel");
  const summary = await app.until(() => app.contents("[data-testid=sign-summary]"), (s) => s.length === 1, 20_000);
  assert.match(summary[0], /^Cancelled: [\d,]+ of 10,006 files written/);
  const written = Number(/^Cancelled: ([\d,]+)/.exec(summary[0])[1].replaceAll(",", ""));
  assert.ok(written > 0 && written < 10_006, summary[0]);
  assert.equal(readdirSync(exports).filter((f) => f.endsWith(".lic")).length - before, written);
  assert.deepEqual(readdirSync(exports).filter((f) => f.startsWith(".")), []);
  await clickTestId("sign-close");
});
