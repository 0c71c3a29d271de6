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

/**
 * A date typed as the date fields show them (this locale's order: "01/31/2027", "31.01.2027"),
 * or as digits alone ("01312027", "31012027"), or as YYYY-MM-DD, read to YYYY-MM-DD; null when
 * it is not a whole, real date with a four-digit year.
 */
export function readTypedDate(typed: string, locale?: string): string | null {
  const text = typed.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  // The locale's order of day, month and year, read from how it writes a known date.
  const order = new Intl.DateTimeFormat(locale, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date(Date.UTC(2027, 10, 23)))
    .filter((p) => p.type === "day" || p.type === "month" || p.type === "year")
    .map((p) => p.type);
  let parts: Record<string, number> | null = null;
  if (iso) {
    parts = { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  } else {
    const digits = text.replace(/\D+/g, " ").trim();
    const pieces = digits.includes(" ") ? digits.split(" ") : null;
    const widths = order.map((t) => (t === "year" ? 4 : 2));
    let values: string[] | null = null;
    if (pieces && pieces.length === 3) values = pieces;
    else if (!pieces && digits.length === 8) {
      values = [];
      let at = 0;
      for (const width of widths) {
        values.push(digits.slice(at, at + width));
        at += width;
      }
    }
    if (values) {
      parts = {};
      order.forEach((type, i) => (parts![type] = Number(values![i])));
    }
  }
  if (!parts) return null;
  const { year, month, day } = parts as { year: number; month: number; day: number };
  // Any four-digit year reads: the engine says which years a license may have, beside the field.
  if (!(year >= 1000 && year <= 9999) || !(month >= 1 && month <= 12) || !(day >= 1 && day <= 31)) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1) return null;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The placeholder of a typed date field in this locale: "MM/DD/YYYY", "DD.MM.YYYY". */
export function datePattern(locale?: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date(Date.UTC(2027, 10, 23)))
    .map((p) => (p.type === "day" ? "DD" : p.type === "month" ? "MM" : p.type === "year" ? "YYYY" : p.value))
    .join("");
}
