// Runs every conformance vector (conformance/vectors/*.json) through the Node binding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const timefence = require("../index.js");
const folder = join(dirname(fileURLToPath(import.meta.url)), "../../../conformance/vectors");
const vectors = readdirSync(folder).filter((name) => name.endsWith(".json")).sort();

/** Each step's answer, in the vectors' own shape (an absent field is null there). */
function run(vector) {
  const verifier = new timefence.Verifier(vector.trusted_keys);
  const secret = Buffer.from(vector.ledger_secret, "hex");
  let ledger = Buffer.alloc(0);
  return vector.steps.map((step) => {
    try {
      const license = verifier.verify(vector.files[step.file]);
      switch (step.action) {
        case "verify": {
          const payload = JSON.parse(timefence.describe(license));
          return { ok: true, serial: payload.serial, uid: payload.uid ?? null };
        }
        case "check": {
          const checked = timefence.check(license, step.now_unix, ledger, secret);
          ledger = checked.ledger;
          const v = checked.verdict;
          return {
            allowed: v.allowed,
            reason: v.reason ?? null,
            closes_at: v.closes_at ?? null,
            remaining_seconds: v.remaining_seconds ?? null,
            next_opening: v.next_opening ?? null,
          };
        }
        case "record_use":
          ledger = timefence.record_use(license, step.now_unix, step.seconds, ledger, secret);
          return { ok: true };
        default:
          throw new Error(`unknown action ${step.action}`);
      }
    } catch (error) {
      if (typeof error.code !== "string") throw error;
      return { error: error.code };
    }
  });
}

test("there are vectors", () => {
  assert.ok(vectors.length >= 13, `${vectors.length} vectors`);
});

for (const name of vectors) {
  test(`vector ${name}`, () => {
    const vector = JSON.parse(readFileSync(join(folder, name), "utf8"));
    assert.deepEqual(
      run(vector),
      vector.steps.map((step) => step.expect),
    );
  });
}

test("bad input is a typed error", () => {
  assert.throws(() => new timefence.Verifier(["not a key"]), { code: "BadKey" });
  const verifier = new timefence.Verifier([]);
  assert.throws(() => verifier.verify("hello"), { code: "BadArmor", message: /not a Timefence license file/ });
});

test("a short secret is refused", () => {
  const vector = JSON.parse(readFileSync(join(folder, "clock-set-back.json"), "utf8"));
  const license = new timefence.Verifier(vector.trusted_keys).verify(vector.files[0]);
  assert.throws(() => timefence.check(license, 0, Buffer.alloc(0), Buffer.from("too short")), { code: "BadInput" });
});

test("versions", () => {
  assert.equal(timefence.abi_version(), 1);
  assert.match(timefence.tzdata_version(), /^\d{4}[a-z]$/);
});
