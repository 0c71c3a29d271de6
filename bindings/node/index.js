// The Timefence verifier for Node.js and Electron: the native addon napi-rs built from
// src/lib.rs (scripts/test-bindings copies it here as timefence.node), behind a thin layer
// that checks each argument's type first. napi's own conversions take NaN and Infinity as 0
// and throw their own codes for null or a string; here every such argument is an Error whose
// `code` is BadInput (or BadInstant for a number of seconds outside 1970 to 2100, BadUse for
// seconds of use that are not a whole number), like the C and Python bindings.
"use strict";
const native = require("./timefence.node");

function fail(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

function describeValue(value) {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return typeof value;
}

function license(value) {
  if (!(value instanceof native.License)) {
    throw fail("BadInput", `license must be a License from Verifier.verify, not ${describeValue(value)}`);
  }
  return value;
}

// An instant in whole seconds since 1970; a number past 2^53 cannot be one exactly.
function instant(value) {
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw fail("BadInput", `now must be a number of seconds since 1970, not ${describeValue(value)}`);
  }
  if (typeof value === "bigint") {
    if (!Number.isSafeInteger(Number(value))) throw fail("BadInstant", `${value} is not an instant this verifier handles`);
    return Number(value);
  }
  if (!Number.isFinite(value)) throw fail("BadInput", `now must be a finite number of seconds, not ${value}`);
  if (!Number.isInteger(value)) throw fail("BadInput", `now must be whole seconds since 1970, not ${value} (Math.floor(Date.now() / 1000))`);
  if (!Number.isSafeInteger(value)) throw fail("BadInstant", `${value} is not an instant this verifier handles`);
  return value;
}

function seconds(value) {
  if (typeof value !== "number") {
    throw fail("BadInput", `seconds must be a number, not ${describeValue(value)}`);
  }
  if (!Number.isFinite(value)) throw fail("BadInput", `seconds must be a finite number, not ${value}`);
  if (!Number.isSafeInteger(value)) throw fail("BadUse", `${value} s is not a whole number of seconds used in one window`);
  return value;
}

function bytes(value, what) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw fail("BadInput", `${what} must be a Buffer or Uint8Array, not ${describeValue(value)}`);
}

function text(value, what) {
  if (typeof value !== "string") throw fail("BadInput", `${what} must be a string, not ${describeValue(value)}`);
  return value;
}

class Verifier extends native.Verifier {
  constructor(keys) {
    if (!Array.isArray(keys)) throw fail("BadInput", `keys must be an array of strings, not ${describeValue(keys)}`);
    keys.forEach((key) => text(key, "each key"));
    super(keys);
  }

  verify(value) {
    return super.verify(text(value, "text"));
  }
}

module.exports = {
  Verifier,
  License: native.License,
  verify(verifier, value) {
    if (!(verifier instanceof native.Verifier)) throw fail("BadInput", `verifier must be a Verifier, not ${describeValue(verifier)}`);
    return verifier.verify(text(value, "text"));
  },
  describe: (l) => native.describe(license(l)),
  check: (l, now, ledger, secret) =>
    native.check(license(l), instant(now), bytes(ledger, "ledger"), bytes(secret, "secret")),
  record_use: (l, now, used, ledger, secret) =>
    native.record_use(license(l), instant(now), seconds(used), bytes(ledger, "ledger"), bytes(secret, "secret")),
  check_witnessed: (l, now, ledger, witness, secret) =>
    native.check_witnessed(license(l), instant(now), bytes(ledger, "ledger"), bytes(witness, "witness"), bytes(secret, "secret")),
  record_use_witnessed: (l, now, used, ledger, witness, secret) =>
    native.record_use_witnessed(license(l), instant(now), seconds(used), bytes(ledger, "ledger"), bytes(witness, "witness"), bytes(secret, "secret")),
  tzdata_version: native.tzdata_version,
  abi_version: native.abi_version,
};
