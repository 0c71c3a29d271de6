// A renewal waiting for the administrator's yes: what it will make (names, terms, seats and
// windows, cost), read from the engine before anything is made. Every way to renew (the
// timeline's "Renew all…", a license's form, the sidebar's expiring list) asks through here,
// and the one dialog in App shows it.
import type { RenewalView } from "../bindings";

export type PendingRenewal = { ids: number[]; label: string; plan: RenewalView };

class RenewalAsk {
  /** The renewal shown for confirmation, or null. */
  pending = $state.raw<PendingRenewal | null>(null);
}

export const renewal = new RenewalAsk();
