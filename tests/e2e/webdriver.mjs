// A small W3C WebDriver client for tauri-driver: just the calls the end-to-end tests use.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT_KEY = "element-6066-11e4-a23c-4b5b-9a7b-2c1b5c0b2e0c";

export const DRIVER_URL = "http://127.0.0.1:4444";

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
  const driver = spawn("tauri-driver", ["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"], {
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

  async contents(css) {
    const elements = await this.findAll(css);
    return Promise.all(elements.map((e) => this.content(e)));
  }

  async attribute(element, name) {
    return call("GET", `/session/${this.id}/element/${element}/attribute/${name}`);
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

  async texts(css) {
    const elements = await this.findAll(css);
    return Promise.all(elements.map((e) => this.text(e)));
  }

  /** Polls `read` until `accept` holds for its value, and returns that value. */
  async until(read, accept, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (accept(value)) return value;
      if (Date.now() > deadline) return value;
      await sleep(150);
    }
  }
}
