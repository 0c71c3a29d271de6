// verify + check per call from Node (scripts/bench-bindings). Prints one JSON line.
import { readFileSync } from "node:fs";
import timefence from "timefence";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const calls = Number(process.argv[3]);
const verifier = new timefence.Verifier(vector.trusted_keys);
const [text, now] = [vector.files[0], vector.steps[0].now_unix];
const secret = Buffer.from(vector.ledger_secret, "hex");
let ledger = Buffer.alloc(0);
const times = [];
for (let i = 0; i < calls; i++) {
  const start = process.hrtime.bigint();
  const checked = timefence.check(verifier.verify(text), now, ledger, secret);
  times.push(Number(process.hrtime.bigint() - start) / 1000);
  if (!checked.verdict.allowed) throw new Error("not allowed");
  ledger = checked.ledger;
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.round((times.length - 1) * q)];
console.log(JSON.stringify({ language: "node", calls, median_us: +at(0.5).toFixed(2), p99_us: +at(0.99).toFixed(2) }));
