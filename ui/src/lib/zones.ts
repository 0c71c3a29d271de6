// The display-zone switcher's choices. Which zones exist is the engine's business (the list
// comes from chrono-tz through a command); this only orders and labels the shortcuts.

export interface ZoneChoice {
  value: string;
  label: string;
}

/** This computer's IANA zone, as the web view reports it. */
export function computerZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * The customer's zone first, then this computer's and UTC, then the zone now shown if it is
 * none of those; each zone once, labelled by why it is there.
 */
export function displayZoneChoices(customerZone: string, computer: string, current: string): ZoneChoice[] {
  const reasons = new Map<string, string[]>();
  const add = (value: string, reason: string) => reasons.set(value, [...(reasons.get(value) ?? []), reason]);
  add(customerZone, "Customer");
  add(computer, "This computer");
  add("UTC", "UTC");
  if (current && !reasons.has(current)) add(current, current);
  return [...reasons].map(([value, why]) => {
    const named = why.filter((w) => w !== value);
    const label = named.map((w, i) => (i === 0 ? w : w.toLowerCase())).join(" · ");
    return { value, label: named.length === 0 ? value : `${label} (${value})` };
  });
}

/** Zones whose name contains every word typed, best (prefix) matches first, at most `limit`. */
export function searchZones(all: readonly string[], typed: string, limit = 50): string[] {
  const words = typed.toLowerCase().split(/[\s/_]+/).filter(Boolean);
  if (words.length === 0) return all.slice(0, limit);
  const matches = all.filter((z) => {
    const name = z.toLowerCase();
    return words.every((w) => name.includes(w));
  });
  const first = words[0]!;
  const starts = (z: string) => z.toLowerCase().split("/").some((part) => part.startsWith(first));
  return [...matches.filter(starts), ...matches.filter((z) => !starts(z))].slice(0, limit);
}
