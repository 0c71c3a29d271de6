// Takes the user guide's screenshots from the real app: run by scripts/screenshots under Xvfb
// (a 1280x800 screen), it drives the window through tauri-driver like the end-to-end tests and
// captures the screen with ImageMagick's `import` after each step.
import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Keys, Session, startDriver } from "../tests/e2e/webdriver.mjs";

const root = resolve(import.meta.dirname, "..");
const images = join(root, "docs/images");
const application = process.env.TIMEFENCE_APP ?? join(root, "target/debug/timefence-app");
const theme = process.argv[2] === "dark" ? "dark" : "light";
const work = mkdtempSync(join(tmpdir(), "timefence-guide-"));
const exports = join(work, "exports");
mkdirSync(exports);
process.env.TIMEFENCE_EXPORT_DIR = exports;
// The first file signed in a new catalogue carries serial 1.
process.env.TIMEFENCE_OPEN_FILE = join(exports, "Northwind-BPO-L1-India-1.lic");
const YEAR = new Date().getUTCFullYear();
process.env.XDG_DATA_HOME = join(work, "data");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const shot = async (name) => {
  await sleep(400);
  execSync(`import -window root ${join(images, name)}`);
  console.log(`docs/images/${name}`);
};

const stop = await startDriver();
const app = await Session.start(application, ["--catalogue", join(work, "catalogue.sqlite")]);
const click = async (id, i = 0) => app.click((await app.waitFor(`[data-testid=${id}]`, i + 1))[i]);
const select = async (name) => {
  for (const e of await app.waitFor("[data-testid=customer]", 4)) if ((await app.text(e)).startsWith(name)) await app.click(e);
  await app.until(() => app.contents("[data-testid=customer-name]"), (t) => t[0] === name);
};
const setDate = (date) =>
  app.execute(`const d = document.querySelector('[data-testid=date]'); d.value = '${date}'; d.dispatchEvent(new Event('input', {bubbles: true})); d.dispatchEvent(new Event('change', {bubbles: true}));`);

try {
  // A new catalogue starts empty, on the first-run screen; the demo opens in its own file.
  await app.waitFor("[data-testid=first-run]");
  if (theme === "light") {
    // The welcome screen asks for the first customer and what it is sold.
    await app.press(..."Acme BPO", Keys.tab, ..."Acme CAD", Keys.tab, ..."5.00");
    await shot("first-run.png");
  }
  await click("open-demo");
  await app.waitFor("[data-testid=bar]", 3);
  await setDate(`${YEAR}-06-12`);
  if (theme === "dark") {
    await shot("timeline-dark.png");
  } else {
    await shot("timeline.png");
    const hour = (await app.rect((await app.findAll("[data-testid=bar]"))[0])).width / 8;
    await app.drag((await app.findAll("[data-testid=handle-end]"))[2], -4 * hour, { release: false });
    await shot("drag.png");
    await app.press(Keys.escape);
    await app.release();
    await select("Tailspin Design");
    await setDate(`${YEAR}-06-12`);
    await click("edit-license");
    await shot("form.png");
    await click("mode-forecast");
    await shot("forecast.png");
    await click("mode-products");
    await app.waitFor("[data-testid=product-row]");
    await click("product-set-price");
    await app.type((await app.waitFor("[data-testid=price-amount]"))[0], "6.00");
    await app.execute(`const i = document.querySelector('[data-testid=price-from]'); i.value = '${YEAR + 1}-01-01'; i.dispatchEvent(new Event('input', {bubbles: true}));`);
    await shot("products.png");
    await click("price-save");
    await app.until(() => app.contents("[data-testid=product-price]"), (p) => /2 price books/.test(p[0] ?? ""));
    await click("mode-keys");
    const [p] = await app.waitFor("[data-testid=passphrase]");
    await app.type(p, "Correct-Horse-Battery-42");
    await app.type((await app.findAll("[data-testid=passphrase-again]"))[0], "Correct-Horse-Battery-42");
    // Generate waits for the strength hint, which comes once the typing has settled.
    await app.until(() => app.contents("[data-testid=strength]"), (t) => /good|strong/.test(t[0] ?? ""));
    await click("generate-key");
    await app.waitFor("[data-testid=key-row]");
    await shot("keys.png");
    await click("mode-timeline");
    await select("Northwind BPO");
    await click("edit-license");
    await click("sign-license");
    await app.type((await app.waitFor("[data-testid=sign-passphrase]"))[0], "Correct-Horse-Battery-42");
    await shot("sign.png");
    await click("sign-go");
    await app.waitFor("[data-testid=sign-summary]");
    await click("sign-close");
    await click("mode-check");
    await click("open-license");
    await app.waitFor("[data-testid=check-verdict]");
    await shot("check.png");
    await click("mode-audit");
    await app.waitFor("[data-testid=audit-row]");
    await shot("audit.png");
    // Renewal: the licenses that end within 60 days, chosen in the sidebar and renewed at once.
    await click("mode-timeline");
    await app.execute("const s = document.querySelector('[data-testid=sidebar-show]'); s.value = '60'; s.dispatchEvent(new Event('change', {bubbles: true}));");
    await app.waitFor("[data-testid=expiring-item]", 3);
    for (const item of (await app.findAll("[data-testid=expiring-item] input")).slice(0, 3)) await app.click(item);
    await click("renew-selected");
    // What the renewal will make, and its cost, before anything is made.
    await app.waitFor("[data-testid=renewal-item]", 3);
    await shot("renewal-plan.png");
    await click("renewal-confirm");
    await app.until(() => app.contents("[data-testid=notice] span"), (n) => /^Renewed/.test(n[0] ?? ""));
    await shot("renew.png");
    // + New license: the compact editor, with the dates the license will have.
    await click("new-license");
    await app.waitFor("[data-testid=quick-editor]");
    await shot("new-license.png");
    await app.press(Keys.escape);
    // Certifying a customer's relay: its key, as timefence-relay keygen wrote it.
    await click("mode-keys");
    execSync(`${join(root, "target/debug/timefence-relay")} keygen --out ${join(work, "relay.key")}`);
    const relayPem = readFileSync(join(work, "relay.pub.pem"), "utf8");
    const [customerField] = await app.waitFor("[data-testid=relay-customer]");
    await app.reveal(customerField);
    await app.type(customerField, "Northwind BPO");
    await app.type((await app.findAll("[data-testid=relay-key]"))[0], relayPem);
    await app.type((await app.findAll("[data-testid=relay-passphrase]"))[0], "Correct-Horse-Battery-42");
    await shot("relay.png");
    await click("certify-relay");
    await app.until(() => app.contents("[data-testid=notice] span"), (n) => /relay certificate/.test(n[0] ?? ""));
    await click("mode-timeline");
    // A customer with a very long name: cut to one line, the buttons stay on theirs.
    await click("rename-customer");
    const [rename] = await app.waitFor("[data-testid=customer-name-input]");
    await app.clear(rename);
    await app.type(rename, "Northwind Business Process Outsourcing Services, Manila, Bangalore and São Paulo Delivery Centres (2027 contract)");
    await click("customer-save");
    await app.until(() => app.contents("[data-testid=customer-name]"), (t) => /Delivery Centres/.test(t[0] ?? ""));
    await shot("long-name.png");
  }
} finally {
  await app.end().catch(() => {});
  stop();
}
console.log(`exports: ${readdirSync(exports).length} files`);
