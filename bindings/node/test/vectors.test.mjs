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
  assert.ok(vectors.length >= 15, `${vectors.length} vectors`);
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

function allowedAt() {
  const vector = JSON.parse(readFileSync(join(folder, "daily-limit-spent-across-calls.json"), "utf8"));
  const license = new timefence.Verifier(vector.trusted_keys).verify(vector.files[0]);
  return { license, now: vector.steps[0].now_unix, secret: Buffer.from(vector.ledger_secret, "hex") };
}

test("NaN, Infinity, floats, null and wrong types are BadInput, not 0 or a napi code", () => {
  const { license, now, secret } = allowedAt();
  const none = Buffer.alloc(0);
  for (const bad of [NaN, Infinity, -Infinity, now + 0.5, null, undefined, String(now), {}]) {
    assert.throws(() => timefence.check(license, bad, none, secret), { code: "BadInput" }, String(bad));
  }
  for (const bad of [NaN, Infinity, null, "60"]) {
    assert.throws(() => timefence.record_use(license, now, bad, none, secret), { code: "BadInput" }, String(bad));
  }
  assert.throws(() => timefence.check(null, now, none, secret), { code: "BadInput" });
  assert.throws(() => timefence.check({}, now, none, secret), { code: "BadInput" });
  assert.throws(() => timefence.check(license, now, "ledger", secret), { code: "BadInput" });
  assert.throws(() => timefence.check(license, now, none, null), { code: "BadInput" });
  assert.throws(() => timefence.describe(undefined), { code: "BadInput" });
  assert.throws(() => new timefence.Verifier(null), { code: "BadInput" });
  assert.throws(() => new timefence.Verifier([1]), { code: "BadInput" });
  assert.throws(() => new timefence.Verifier([]).verify(null), { code: "BadInput" });
  assert.throws(() => timefence.verify(null, "text"), { code: "BadInput" });
  // A Uint8Array is bytes too, and a bigint is a whole number of seconds.
  assert.equal(timefence.check(license, BigInt(now), new Uint8Array(0), new Uint8Array(secret)).verdict.allowed, true);
});

test("instants outside 1970 to 2100 are BadInstant, and nothing aborts the process", () => {
  const { license, now, secret } = allowedAt();
  const none = Buffer.alloc(0);
  // Date.now() (milliseconds), and the instant that made the engine panic at UTC+05:45.
  for (const bad of [-1, 4133980800, Date.now(), now * 1000, 8210266876799, Number.MAX_SAFE_INTEGER, 2 ** 63]) {
    assert.throws(() => timefence.check(license, bad, none, secret), { code: "BadInstant" }, String(bad));
    assert.throws(() => timefence.record_use(license, bad, 60, none, secret), { code: "BadInstant" }, String(bad));
  }
  assert.throws(() => timefence.record_use(license, now, 2 ** 60, none, secret), { code: "BadUse" });
});

test("a witness kept beside the ledger notices an older copy", () => {
  const { license, now, secret } = allowedAt();
  const none = Buffer.alloc(0);
  const first = timefence.check_witnessed(license, now, none, none, secret);
  const second = timefence.check_witnessed(license, now + 60, first.ledger, first.witness, secret);
  const third = timefence.record_use_witnessed(license, now + 120, 60, second.ledger, second.witness, secret);
  const after = timefence.check_witnessed(license, now + 180, third.ledger, third.witness, secret);
  assert.equal(after.verdict.remaining_seconds, 7200 - 60);
  assert.throws(() => timefence.check_witnessed(license, now + 180, first.ledger, third.witness, secret), { code: "LedgerDisagrees" });
  assert.throws(() => timefence.check_witnessed(license, now + 180, none, third.witness, secret), { code: "LedgerMissing" });
  assert.throws(() => timefence.check_witnessed(license, now + 180, third.ledger, none, secret), { code: "WitnessMissing" });
});

test("versions", () => {
  assert.equal(timefence.abi_version(), 2);
  assert.match(timefence.tzdata_version(), /^\d{4}[a-z]$/);
});
