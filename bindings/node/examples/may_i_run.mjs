// May I run now? node may_i_run.mjs VENDOR_KEY LICENSE LEDGER [NOW]
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import timefence from "timefence";

const [key, licenseFile, ledgerFile, at] = process.argv.slice(2);
const now = at ? Number(at) : Math.floor(Date.now() / 1000);
const secretFile = `${ledgerFile}.secret`; // this installation's own 32 bytes
if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32));
const ledger = existsSync(ledgerFile) ? readFileSync(ledgerFile) : Buffer.alloc(0);
try {
  const license = new timefence.Verifier([readFileSync(key, "utf8")]).verify(readFileSync(licenseFile, "utf8"));
  const { verdict, ledger: next } = timefence.check(license, now, ledger, readFileSync(secretFile));
  writeFileSync(ledgerFile, next);
  console.log(verdict.allowed ? `yes, until ${verdict.closes_at}` : `not now: ${verdict.reason}`);
} catch (error) {
  console.error(`refused: ${error.code}: ${error.message}`);
  process.exit(1);
}
