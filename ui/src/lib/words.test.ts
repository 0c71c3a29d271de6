import { describe, expect, it } from "vitest";
import { count, datePattern, dayName, duration, formMessage, localDate, localizeDates, readTypedDate } from "./words";

describe("words", () => {
  it("counts in the right number, never with (s)", () => {
    expect(count(1, "seat")).toBe("1 seat");
    expect(count(0, "seat")).toBe("0 seats");
    expect(count(200, "seat")).toBe("200 seats");
    expect(count(10_006, "file")).toBe("10,006 files");
    expect(count(1, "license")).toBe("1 license");
    expect(count(2, "day")).toBe("2 days");
  });

  it("says short durations in milliseconds, not 0.0 s", () => {
    expect(duration(40)).toBe("40 ms");
    expect(duration(2_540)).toBe("2.5 s");
  });

  it("writes dates the way the date fields show them", () => {
    expect(localDate("2027-01-31", "en-US")).toBe("01/31/2027");
    expect(localDate("2027-01-31", "en-GB")).toBe("31/01/2027");
    expect(dayName("2027-01-01", "en-GB")).toBe("1 Jan 2027");
    expect(localizeDates("issued 2026-11-29T10:56:14Z; next opening 2026-11-30 00:00 UTC", "en-US")).toBe("issued 11/29/2026 10:56 UTC; next opening 11/30/2026 00:00 UTC");
    expect(localizeDates("at 2026-11-29T10:56:14.250Z", "en-GB")).toBe("at 29/11/2026 10:56 UTC");
    expect(localizeDates("the license ends (2024-01-01) before it starts (2024-12-31)", "en-US")).toBe(
      "the license ends (01/01/2024) before it starts (12/31/2024)",
    );
  });

  it("names fields by the form's labels", () => {
    expect(formMessage('DailyStartTime "25:00" is not a time of day', "en-US")).toBe('Daily start "25:00" is not a time of day');
    expect(formMessage('LicenseEndDate "2100-01-01" is outside the years 1970 to 2099', "en-US")).toBe(
      'Valid until "01/01/2100" is outside the years 1970 to 2099',
    );
  });
});

describe("typed dates", () => {
  it("read the locale's order, digits alone, or YYYY-MM-DD", () => {
    expect(readTypedDate("01/31/2027", "en-US")).toBe("2027-01-31");
    expect(readTypedDate("01312027", "en-US")).toBe("2027-01-31");
    expect(readTypedDate("31.01.2027", "de-DE")).toBe("2027-01-31");
    expect(readTypedDate("31012027", "de-DE")).toBe("2027-01-31");
    expect(readTypedDate("2027-01-31", "de-DE")).toBe("2027-01-31");
    expect(readTypedDate("2027/01/31", "ja-JP")).toBe("2027-01-31");
    expect(readTypedDate("1/5/2027", "en-US")).toBe("2027-01-05");
  });

  it("are null when not a whole, real date with a four-digit year", () => {
    // A year out of the engine's range still reads: the engine's own message says why not.
    expect(readTypedDate("12/31/2250", "en-US")).toBe("2250-12-31");
    for (const typed of ["", "0131", "02/30/2027", "13/01/2027", "01/31/27", "2027-02-29", "abc"]) {
      expect(readTypedDate(typed, "en-US"), typed).toBeNull();
    }
    expect(readTypedDate("2028-02-29", "en-US")).toBe("2028-02-29");
  });

  it("have a pattern as placeholder", () => {
    expect(datePattern("en-US")).toBe("MM/DD/YYYY");
    expect(datePattern("de-DE")).toBe("DD.MM.YYYY");
  });
});
