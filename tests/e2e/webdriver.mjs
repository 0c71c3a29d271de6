// A small W3C WebDriver client for tauri-driver: just the calls the end-to-end tests use.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

// E2E_DRIVER_PORT lets a second run (a developer's, beside CI's) use its own pair of ports.
const DRIVER_PORT = Number(process.env.E2E_DRIVER_PORT ?? 4444);
export const DRIVER_URL = `http://127.0.0.1:${DRIVER_PORT}`;

async function answersStatus() {
  try {
    return (await fetch(`${DRIVER_URL}/status`)).ok;
  } catch {
    return false;
  }
}

/**
 * Starts tauri-driver once, in its own process group, and waits until it answers /status.
 * Returns a function that stops it and the WebKitWebDriver it started.
 */
export async function startDriver() {
  if (await answersStatus()) {
    throw new Error(`something already answers on ${DRIVER_URL}; stop the other tauri-driver first`);
  }
  const driver = spawn("tauri-driver", ["--port", String(DRIVER_PORT), "--native-port", String(DRIVER_PORT + 1), "--native-driver", "/usr/bin/WebKitWebDriver"], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-driver.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await answersStatus()) return stop;
    await sleep(200);
  }
  stop();
  throw new Error("tauri-driver did not answer /status within 30 s");
}

async function call(method, path, body) {
  if (process.env.E2E_DEBUG) console.error(`webdriver: ${method} ${path}`);
  const response = await fetch(`${DRIVER_URL}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A WebDriver call that never answers becomes a failure naming the call, not a hung run.
    signal: AbortSignal.timeout(method === "POST" && path === "/session" ? 60_000 : 15_000),
  }).catch((error) => {
    throw new Error(`${method} ${path}: ${error.message}`);
  });
  const payload = await response.json();
  if (!response.ok) {
    throw new Error(`${method} ${path} failed: ${JSON.stringify(payload.value ?? payload)}`);
  }
  return payload.value;
}

/** WebDriver's codes for special keys. */
export const Keys = {
  alt: "\uE00A",
  shift: "\uE008",
  control: "\uE009",
  escape: "\uE00C",
  home: "\uE011",
  end: "\uE010",
  left: "\uE012",
  up: "\uE013",
  right: "\uE014",
  down: "\uE015",
  tab: "\uE004",
  enter: "\uE007",
};

export class Session {
  constructor(id) {
    this.id = id;
  }

  /** Opens the app at `application` with `args`. */
  static async start(application, args) {
    const value = await call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
    });
    return new Session(value.sessionId);
  }

  async end() {
    await call("DELETE", `/session/${this.id}`);
  }

  async findAll(css) {
    const found = await call("POST", `/session/${this.id}/elements`, { using: "css selector", value: css });
    return found.map((e) => e[ELEMENT_KEY] ?? Object.values(e)[0]);
  }

  /** Waits until `css` matches at least `count` elements, and returns them. */
  async waitFor(css, count = 1, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.findAll(css);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${css}: found ${found.length}, wanted ${count}`);
      await sleep(150);
    }
  }

  async text(element) {
    return call("GET", `/session/${this.id}/element/${element}/text`);
  }

  /** The element's textContent, whether or not WebKit deems it visible. */
  async content(element) {
    return call("GET", `/session/${this.id}/element/${element}/property/textContent`);
  }

  /** The textContent of every element `css` matches, read in one go (no stale elements). */
  async contents(css) {
    return this.execute(`return [...document.querySelectorAll(${JSON.stringify(css)})].map((e) => e.textContent)`);
  }

  async attribute(element, name) {
    return call("GET", `/session/${this.id}/element/${element}/attribute/${name}`);
  }

  /** Clicks the customer whose sidebar entry starts with `name`, and waits for its timeline. */
  async selectCustomer(name) {
    const wanted = await this.until(
      async () => {
        for (const element of await this.findAll("[data-testid=customer]")) {
          if ((await this.text(element)).startsWith(name)) return element;
        }
        return null;
      },
      (e) => e !== null,
      10_000,
      `${name} in the sidebar`,
    );
    await this.click(wanted);
    await this.until(() => this.contents("[data-testid=customer-name]"), (t) => t[0] === name, 10_000, `${name}'s timeline`);
  }

  /** Scrolls `element` to the middle of whatever scrolls around it, as a person scrolls to it. */
  async reveal(element) {
    await this.execute("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' })", [{ [ELEMENT_KEY]: element }]);
  }

  async click(element) {
    await call("POST", `/session/${this.id}/element/${element}/click`, {});
  }

  async type(element, text) {
    await call("POST", `/session/${this.id}/element/${element}/value`, { text });
  }

  async clear(element) {
    await call("POST", `/session/${this.id}/element/${element}/clear`, {});
  }

  async execute(script, args = []) {
    return call("POST", `/session/${this.id}/execute/sync`, { script, args });
  }

  /** Runs an asynchronous script: it calls its last argument with the result. */
  async executeAsync(script, args = []) {
    return call("POST", `/session/${this.id}/execute/async`, { script, args });
  }

  /**
   * Runs the axe-core accessibility checks on the page and returns the violations of the
   * given impacts (serious and critical by default), each as "rule: target (help)".
   */
  async axeViolations(impacts = ["serious", "critical"]) {
    const { readFileSync } = await import("node:fs");
    const { createRequire } = await import("node:module");
    const require = createRequire(new URL("../../ui/package.json", import.meta.url));
    const source = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
    await this.execute(`if (!window.axe) { ${source} }`);
    const found = await this.executeAsync(
      "const done = arguments[arguments.length - 1]; window.axe.run(document, { resultTypes: ['violations'] }).then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))).catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e), targets: [] }]));",
    );
    return found.filter((v) => impacts.includes(v.impact)).map((v) => `${v.id}: ${v.targets.join(", ")} (${v.help})`);
  }

  /** Runs W3C input actions (pointer drags, key chords); a button held at the end stays down. */
  async actions(sources) {
    await call("POST", `/session/${this.id}/actions`, { actions: sources });
  }

  /** Lets go of the mouse button. */
  async release() {
    await this.actions([{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerUp", button: 0 }] }]);
  }

  /**
   * Presses on `element` (`atX` pixels right of its centre), moves `dx` pixels in `steps`
   * steps, and releases, with `hold` keys (e.g. Keys.alt) down throughout.
   */
  async drag(element, dx, { atX = 0, steps = 8, hold = [], pause = 30, release = true } = {}) {
    const moves = [];
    for (let i = 1; i <= steps; i++) {
      moves.push({ type: "pointerMove", duration: pause, origin: "pointer", x: Math.round((dx * i) / steps) - Math.round((dx * (i - 1)) / steps), y: 0 });
    }
    const pointer = {
      type: "pointer",
      id: "mouse",
      parameters: { pointerType: "mouse" },
      actions: [
        { type: "pointerMove", duration: 0, origin: { [ELEMENT_KEY]: element }, x: Math.round(atX), y: 0 },
        { type: "pointerDown", button: 0 },
        ...moves,
        ...(release ? [{ type: "pointerUp", button: 0 }] : []),
      ],
    };
    const pauses = pointer.actions.length;
    const keys = {
      type: "key",
      id: "keyboard",
      actions: [
        ...hold.map((value) => ({ type: "keyDown", value })),
        ...Array.from({ length: Math.max(pauses - hold.length * 2, 0) }, () => ({ type: "pause", duration: 0 })),
        ...hold.map((value) => ({ type: "keyUp", value })),
      ],
    };
    await this.actions(hold.length > 0 ? [pointer, keys] : [pointer]);
  }

  /** Presses keys on whatever has the focus: each entry is one key, or a chord as an array. */
  async press(...strokes) {
    const actions = [];
    for (const stroke of strokes) {
      const chord = Array.isArray(stroke) ? stroke : [stroke];
      for (const value of chord) actions.push({ type: "keyDown", value });
      for (const value of [...chord].reverse()) actions.push({ type: "keyUp", value });
    }
    await this.actions([{ type: "key", id: "keyboard", actions }]);
  }

  /** Saves a PNG of the window to `path` (for looking at a failure). */
  async screenshot(path) {
    const { writeFileSync } = await import("node:fs");
    const png = await call("GET", `/session/${this.id}/screenshot`);
    writeFileSync(path, Buffer.from(png, "base64"));
  }

  /**
   * Whether the first element matching `css` is wholly inside the window and not covered at
   * its centre (by a fixed bar, a dialog's backdrop, another panel): what a person can see
   * and click without scrolling.
   */
  async inSight(css) {
    return this.execute(
      `const e = document.querySelector(${JSON.stringify(css)});
       if (!e) return false;
       const r = e.getBoundingClientRect();
       if (r.width === 0 || r.height === 0 || r.top < 0 || r.left < 0 || r.bottom > window.innerHeight || r.right > window.innerWidth) return false;
       const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
       return !!hit && (hit === e || e.contains(hit));`,
    );
  }

  async rect(element) {
    return call("GET", `/session/${this.id}/element/${element}/rect`);
  }

  async texts(css) {
    const elements = await this.findAll(css);
    return Promise.all(elements.map((e) => this.text(e)));
  }

  /**
   * Polls `read` until `accept` holds for its value, and returns that value. A wait that runs
   * out of time fails, naming what it waited for (`what`, or the condition's source) and the
   * last value it read, so a bare `await app.until(...)` is a check, not only a pause.
   */
  async until(read, accept, timeoutMs = 10_000, what = undefined) {
    const deadline = Date.now() + timeoutMs;
    let lastError = null;
    for (;;) {
      // An element replaced between finding and reading it is read again next time.
      const value = await Promise.resolve()
        .then(read)
        .catch((error) => {
          lastError = error;
          return undefined;
        });
      if (value !== undefined && accept(value)) return value;
      if (Date.now() > deadline) {
        const waitedFor = what ?? `${accept}`.replace(/\s+/g, " ");
        const last = value === undefined && lastError ? `error ${lastError.message}` : JSON.stringify(value)?.slice(0, 400);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${waitedFor}; last read: ${last}`);
      }
      await sleep(150);
    }
  }
}

/** A temporary folder for one test file, removed when its process exits (one left per run
 * filled the disk of a machine that runs the suite again and again). E2E_KEEP=1 keeps it. */
export function temporaryFolder(prefix) {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => {
    if (!process.env.E2E_KEEP) rmSync(folder, { recursive: true, force: true });
  });
  return folder;
}
