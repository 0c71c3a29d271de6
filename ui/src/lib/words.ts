// Words as an administrator reads them: "1 seat" and "2 seats" through the language's plural
// rules, never "seat(s)"; dates in messages written the way the date fields show them.

const plural = new Intl.PluralRules("en");
const numbers = new Intl.NumberFormat("en");

/** A count as people write it: 10,006. */
export function number(n: number): string {
  return numbers.format(n);
}

/** `n` and the noun in the right number: count(1, "seat") is "1 seat", count(200, "seat") "200 seats". */
export function count(n: number, one: string, other = `${one}s`): string {
  return `${numbers.format(n)} ${plural.select(n) === "one" ? one : other}`;
}

/** A duration in milliseconds, as a person would say it: "40 ms", "2.5 s". */
export function duration(millis: number): string {
  return millis < 1000 ? `${Math.max(Math.round(millis), 0)} ms` : `${(millis / 1000).toFixed(1)} s`;
}

/** The way this computer's date fields show a date (11/28/2026 in the US, 28/11/2026 in the UK). */
export function localDate(iso: string, locale?: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  if (!y || !m || !d) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A YYYY-MM-DD date as a sentence says it, in this computer's locale ("1 Jan 2027"). */
export function dayName(iso: string, locale?: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  if (!y || !m || !d) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * `text` with every YYYY-MM-DD date written as the date fields show it; an RFC 3339 instant
 * in UTC ("2026-11-29T10:56:14Z") becomes that date and "10:56 UTC".
 */
export function localizeDates(text: string, locale?: string): string {
  return text
    .replace(/\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z\b/g, "$1 $2 UTC")
    .replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, (iso) => localDate(iso, locale));
}

/** The form's label of each field the engine names, for messages. */
export const FIELD_LABELS: Record<string, string> = {
  license_start_date: "Valid from",
  license_end_date: "Valid until",
  daily_start_time: "Daily start",
  daily_end_time: "Daily end",
  daily_time_consumption_limit: "Daily limit",
  time_zone: "Time zone",
  weekdays: "Opens on",
  seats: "Seats",
  product: "Product",
  name: "Name",
};

/** The engine's names for the fields (as the brief writes them), which messages may start with. */
const ENGINE_NAMES: Record<string, string> = {
  LicenseStartDate: "license_start_date",
  LicenseEndDate: "license_end_date",
  DailyStartTime: "daily_start_time",
  DailyEndTime: "daily_end_time",
  DailyTimeConsumptionLimit: "daily_time_consumption_limit",
  TimeZone: "time_zone",
  Weekdays: "weekdays",
  Seats: "seats",
};

/**
 * A message as the form shows it: the brief's field names replaced by the form's labels
 * ("DailyStartTime \"25:00\" is not…" becomes "Daily start \"25:00\" is not…"), and dates as
 * the date fields show them.
 */
export function formMessage(message: string, locale?: string): string {
  let text = message;
  for (const [engine, field] of Object.entries(ENGINE_NAMES)) text = text.replaceAll(engine, FIELD_LABELS[field]!);
  return localizeDates(text, locale);
}
