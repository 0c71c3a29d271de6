import { describe, expect, it } from "vitest";
import { displayZoneChoices, searchZones } from "./zones";

describe("the display-zone switcher", () => {
  it("offers the customer's zone, this computer's and UTC, each once", () => {
    expect(displayZoneChoices("Asia/Kolkata", "Europe/Paris", "Asia/Kolkata")).toEqual([
      { value: "Asia/Kolkata", label: "Customer (Asia/Kolkata)" },
      { value: "Europe/Paris", label: "This computer (Europe/Paris)" },
      { value: "UTC", label: "UTC" },
    ]);
    expect(displayZoneChoices("Asia/Kolkata", "Asia/Kolkata", "UTC")[0]!.label).toBe("Customer · this computer (Asia/Kolkata)");
  });

  it("merges choices that are the same zone", () => {
    expect(displayZoneChoices("UTC", "UTC", "UTC")).toEqual([{ value: "UTC", label: "Customer · this computer (UTC)" }]);
  });

  it("keeps a zone picked from the full list", () => {
    const choices = displayZoneChoices("UTC", "UTC", "Pacific/Apia");
    expect(choices.map((c) => c.value)).toEqual(["UTC", "Pacific/Apia"]);
  });
});

describe("searching IANA zones", () => {
  const all = ["America/Sao_Paulo", "Asia/Kolkata", "Asia/Manila", "Australia/Lord_Howe", "Europe/Paris", "Pacific/Apia"];

  it("matches any part of the name, city prefixes first", () => {
    expect(searchZones(all, "paul")).toEqual(["America/Sao_Paulo"]);
    // Paris and Pacific start a part with "pa"; São Paulo only contains it.
    expect(searchZones(all, "pa")).toEqual(["Europe/Paris", "Pacific/Apia", "America/Sao_Paulo"]);
    expect(searchZones(all, "lord howe")).toEqual(["Australia/Lord_Howe"]);
    expect(searchZones(all, "")).toHaveLength(6);
  });
});
