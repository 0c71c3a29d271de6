// The Timefence verifier for Node.js and Electron. The same functions, verdict fields and
// error codes as the C and Python bindings. Instants are seconds since 1970 (UTC).

/** A refusal: `code` names it (BadSignature, UnknownKey, ClockRollback, Superseded,
 * FileExpired, NoOpenWindow, BadUse, LedgerTampered, BadInput, ...). */
export interface TimefenceError extends Error {
  code: string;
}

/** Trusted vendor keys, each PEM or base64 of its 32 bytes. Throws `BadKey`. */
export class Verifier {
  constructor(keys: string[]);
  /** Verifies a license file's text. */
  verify(text: string): License;
}

/** A license file that verified. */
export class License {
  /** The signed payload as JSON, with key_id and identity. */
  describe(): string;
  /** The license's 128-bit id in hex; null for a file issued before ids. */
  get uid(): string | null;
  get serial(): number;
  get key_id(): string;
}

/** May the license be used now? Absent fields do not apply to this answer. */
export interface Verdict {
  allowed: boolean;
  /** NotYetValid, Expired, WeekdayExcluded, OutsideWindow or ConsumptionExhausted. */
  reason?: string;
  /** When use must stop (allowed). */
  closes_at?: number;
  /** Consumption left in this window occurrence (allowed, with a daily limit). */
  remaining_seconds?: number;
  /** When a window opens next (denied). */
  next_opening?: number;
}

/** A verdict and the ledger to keep for the next call. */
export interface Checked {
  verdict: Verdict;
  ledger: Uint8Array;
}

export function verify(verifier: Verifier, text: string): License;
export function describe(license: License): string;
/** The verdict at `now`, and the ledger to keep; on a throw, keep the old ledger. */
export function check(license: License, now: number, ledger: Uint8Array, secret: Uint8Array): Checked;
/** Records use against the window open at `now`; returns the ledger to keep. */
export function record_use(license: License, now: number, seconds: number, ledger: Uint8Array, secret: Uint8Array): Uint8Array;

/** A verdict, and the ledger and its witness to keep (in two different places). */
export interface CheckedWitnessed {
  verdict: Verdict;
  ledger: Uint8Array;
  witness: Uint8Array;
}

/** The ledger and its witness to keep. */
export interface Kept {
  ledger: Uint8Array;
  witness: Uint8Array;
}

/**
 * `check` with the ledger's witness beside it (kept somewhere else: another folder, the
 * registry, a keychain item). A ledger or witness lost or put back from an older copy throws
 * `LedgerMissing`, `WitnessMissing` or `LedgerDisagrees`.
 */
export function check_witnessed(license: License, now: number, ledger: Uint8Array, witness: Uint8Array, secret: Uint8Array): CheckedWitnessed;
/** `record_use` with the ledger's witness beside it. */
export function record_use_witnessed(license: License, now: number, seconds: number, ledger: Uint8Array, witness: Uint8Array, secret: Uint8Array): Kept;
export function tzdata_version(): string;
export function abi_version(): number;
