// Measurement hooks for the end-to-end tests, off unless a test switches them on.
//
// A test sets `window.__timefenceMeasure = { dragSteps: [], ... }` through WebDriver before it
// measures; until then nothing is kept, so the shipped app grows no arrays. Each series keeps
// at most MAX_SAMPLES values, so a long session with the switch on stays bounded too.

export const MAX_SAMPLES = 10_000;

type Series = Record<string, number[] | undefined>;

/** Appends `value` to the series `name` when a test asked for it; otherwise does nothing. */
export function measure(name: string, value: number): void {
  const series = (globalThis as { __timefenceMeasure?: Series }).__timefenceMeasure?.[name];
  if (Array.isArray(series) && series.length < MAX_SAMPLES) series.push(value);
}
