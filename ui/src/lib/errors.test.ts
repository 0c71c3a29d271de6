import { describe as group, expect, it } from "vitest";
import { describe, unwrap } from "./errors";

group("error sentences", () => {
  it("name the field by its label and show dates as the date fields do", () => {
    expect(describe({ type: "InvalidInput", data: { field: "seats", message: "must be a whole number of 1 or more, not 0" } }, "en-US")).toBe(
      "Seats: must be a whole number of 1 or more, not 0",
    );
    expect(describe({ type: "InvalidInput", data: { field: "daily_start_time", message: 'DailyStartTime "25:00" is not a time' } }, "en-US")).toBe(
      // The engine's name becomes the label, once.
      'Daily start "25:00" is not a time',
    );
    expect(describe({ type: "InvalidInput", data: { field: "license_end_date", message: "Valid until: 2027-01-01 is before 2027-06-01" } }, "en-US")).toBe(
      "Valid until: 01/01/2027 is before 06/01/2027",
    );
    expect(describe({ type: "InvalidInput", data: { field: "axis_start", message: "not a time" } }, "en-US")).toBe("Axis start: not a time");
  });

  it("join the engine's problems and word every other kind", () => {
    expect(
      describe({
        type: "InvalidTerms",
        data: [
          { field: "seats", message: "Seats must be 1 or more" },
          { field: "daily_end_time", message: 'DailyEndTime "24:30" is not a time' },
        ],
      }),
    ).toBe('Seats must be 1 or more; Daily end "24:30" is not a time');
    expect(describe({ type: "Cancelled" })).toBe("Nothing was saved.");
    expect(describe({ type: "PassphraseNeeded", data: "e98e818a5d0e01e3" })).toBe("The passphrase of key e98e818a5d0e01e3 is needed to sign.");
    expect(describe({ type: "ServerAway", data: "the team catalogue's server cannot be reached (connection refused); nothing was saved" })).toBe(
      "The team catalogue's server cannot be reached (connection refused); nothing was saved",
    );
    expect(describe({ type: "UsageRefused", data: { reason: "AlreadyImported", message: "the days from 2024-03-01 to 2024-03-07 are already imported" } }, "en-US")).toBe(
      "The usage report was not imported: the days from 03/01/2024 to 03/07/2024 are already imported",
    );
    // A day that has not ended: every date as the date fields show them.
    const notEnded = "the report runs to 2027-03-01, a day that has not ended (today is 2027-03-01); ask for a report up to 2027-02-28";
    expect(describe({ type: "UsageRefused", data: { reason: "NotEnded", message: notEnded } }, "en-US")).toBe(
      "The usage report was not imported: the report runs to 03/01/2027, a day that has not ended (today is 03/01/2027); ask for a report up to 02/28/2027",
    );
  });

  it("a rule's refusal shows its dates as the date fields do", () => {
    expect(describe({ type: "Conflict", data: "there is nothing to renew: India already has its next term (from 2028-01-01); a license is renewed once" }, "en-US")).toBe(
      "there is nothing to renew: India already has its next term (from 01/01/2028); a license is renewed once",
    );
  });

  it("unwrap gives the data, or throws the sentence", () => {
    expect(unwrap({ status: "ok", data: 7 })).toBe(7);
    expect(() => unwrap({ status: "error", error: { type: "NotFound", data: "customer 9" } })).toThrow("customer 9");
  });
});
