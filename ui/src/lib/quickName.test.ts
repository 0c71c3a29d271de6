import { describe, expect, it } from "vitest";
import { splitSeats } from "./quickName";

describe("a name with its seats", () => {
  it("reads a trailing count of seats", () => {
    expect(splitSeats("India 100 seats")).toEqual({ name: "India", seats: 100 });
    expect(splitSeats("Night desk, 3 seats")).toEqual({ name: "Night desk", seats: 3 });
    expect(splitSeats("Support · 1 seat")).toEqual({ name: "Support", seats: 1 });
    expect(splitSeats("Brazil 50 Seats ")).toEqual({ name: "Brazil", seats: 50 });
    expect(splitSeats("Brazil 50seats")).toEqual({ name: "Brazil", seats: 50 });
  });

  it("leaves a name without the word seats as typed", () => {
    expect(splitSeats("Floor 3")).toEqual({ name: "Floor 3", seats: null });
    expect(splitSeats("Team 2 desk")).toEqual({ name: "Team 2 desk", seats: null });
    expect(splitSeats("India")).toEqual({ name: "India", seats: null });
    expect(splitSeats("")).toEqual({ name: "", seats: null });
  });

  it("needs a name before the count", () => {
    expect(splitSeats("100 seats")).toEqual({ name: "100 seats", seats: null });
    expect(splitSeats(" , 100 seats")).toEqual({ name: " , 100 seats", seats: null });
  });

  it("reads at most seven digits, and not a fraction or a sign", () => {
    expect(splitSeats("Huge 12345678 seats")).toEqual({ name: "Huge 12345678 seats", seats: null });
    expect(splitSeats("Half 2.5 seats")).toEqual({ name: "Half 2.5 seats", seats: null });
    expect(splitSeats("Odd -3 seats")).toEqual({ name: "Odd -3 seats", seats: null });
  });
});
