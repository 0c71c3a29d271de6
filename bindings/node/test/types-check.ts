// Compiled with tsc --strict --noEmit by scripts/test-bindings: the declarations in
// index.d.ts describe the addon the way a vendor's TypeScript would use it.
import { Verifier, check, record_use, describe, tzdata_version, abi_version, type Verdict } from "../index";

const verifier: Verifier = new Verifier(["key"]);
const license = verifier.verify("text");
const secret = new Uint8Array(32);
const { verdict, ledger }: { verdict: Verdict; ledger: Uint8Array } = check(license, 0, new Uint8Array(0), secret);
const next: Uint8Array = record_use(license, 0, 60, ledger, secret);
const reason: string | undefined = verdict.reason;
const uid: string | null = license.uid;
const words: string = describe(license) + tzdata_version() + abi_version() + String(next.length) + reason + uid;
export default words;
