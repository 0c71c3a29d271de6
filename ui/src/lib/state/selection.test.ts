import { describe, expect, it } from "vitest";
import type { DayChoice, TimelineView } from "../bindings";
import { customerList } from "./customers.svelte";
import { notices } from "./notices.svelte";
import { Selection, type SelectionApi } from "./selection.svelte";

const ok = <T>(data: T) => ({ status: "ok" as const, data });

/** A shell that draws customers 1 and 2 (2 in Asia/Kolkata), and knows nothing of others. */
function shell() {
  const asked: [number, DayChoice][] = [];
  const api = {
    async customerTimeline(id: number, day: DayChoice) {
      asked.push([id, day]);
      if (id > 2) return { status: "error" as const, error: { type: "NotFound" as const, data: `customer ${id}` } };
      const view = { customer: { id }, date: day.date ?? "2027-01-01", zone: day.zone ?? (id === 2 ? "Asia/Kolkata" : "UTC"), axis_start: day.axis_start, lanes: [] } as unknown as TimelineView;
      return ok(view);
    },
    customerUsage: async () => ok([]),
    usageSuggestions: async () => ok([]),
    usageReports: async () => ok([]),
    usageOverlay: async () => ok([]),
  } as unknown as SelectionApi;
  return { api, asked };
}

describe("the selection", () => {
  it("reads the chosen customer's timeline and settles on the engine's day and zone", async () => {
    const { api, asked } = shell();
    const selection = new Selection(api);
    await selection.select(2);
    expect(asked[0]).toEqual([2, { date: null, zone: null, axis_start: "00:00" }]);
    expect([selection.view?.customer.id, selection.date, selection.zone]).toEqual([2, "2027-01-01", "Asia/Kolkata"]);
  });

  it("keeps the day for the same customer and starts afresh for another, closing any editor", async () => {
    const { api, asked } = shell();
    const selection = new Selection(api);
    await selection.select(1);
    selection.date = "2027-03-28";
    selection.editingId = 7;
    await selection.select(1);
    expect(asked.at(-1)?.[1].date).toBe("2027-03-28");
    expect(selection.editingId).toBe(7);
    selection.quickId = 8;
    await selection.select(2);
    expect(asked.at(-1)?.[1]).toEqual({ date: null, zone: null, axis_start: "00:00" });
    expect([selection.editingId, selection.quickId]).toEqual([null, null]);
  });

  it("gives way to the first other customer when the one shown has gone", async () => {
    const { api } = shell();
    const selection = new Selection(api);
    customerList.items = [{ id: 3, name: "Gone", default_zone: "UTC", license_count: 0 }, { id: 1, name: "Acme BPO", default_zone: "UTC", license_count: 3 }] as never;
    await selection.select(3);
    expect(selection.customer).toBe(1);
    expect(selection.view?.customer.id).toBe(1);
    customerList.items = [];
  });

  it("puts any other refusal in the problem banner and keeps the view", async () => {
    const { api } = shell();
    const selection = new Selection(api);
    await selection.select(1);
    const before = selection.view;
    const refusing = { ...api, customerTimeline: async () => ({ status: "error" as const, error: { type: "InvalidInput" as const, data: { field: "zone", message: "Mars/Olympus is not a time zone" } } }) } as unknown as SelectionApi;
    const other = new Selection(refusing);
    other.customer = 1;
    await other.refresh();
    expect(notices.problem).toMatch(/Mars\/Olympus/);
    expect(other.view).toBeNull();
    expect(selection.view).toBe(before);
    notices.clearProblem();
  });

  it("drops an answer to an older read when a newer one was asked for", async () => {
    const { api } = shell();
    const held: (() => void)[] = [];
    const slow = {
      ...api,
      customerTimeline: async (id: number, day: DayChoice) => {
        const answer = await api.customerTimeline(id, day);
        // The first read answers last.
        if (day.date === "2027-01-01") await new Promise<void>((go) => held.push(go));
        return answer;
      },
    } as unknown as SelectionApi;
    const selection = new Selection(slow);
    selection.customer = 1;
    selection.date = "2027-01-01";
    const first = selection.refresh();
    selection.date = "2027-06-01";
    await selection.refresh();
    held.forEach((go) => go());
    await first;
    expect(selection.view?.date).toBe("2027-06-01");
    expect(selection.date).toBe("2027-06-01");
  });
});
