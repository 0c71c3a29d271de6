import { describe, expect, it } from "vitest";
import type { DayChoice, RosterPlanView, RosterRequest } from "../bindings";
import { isRosterFile, Roster, type RosterApi } from "./roster.svelte";

const ok = <T>(data: T) => ({ status: "ok" as const, data });
const day: DayChoice = { date: "2027-01-04", zone: null, axis_start: "00:00" };

/** A shell whose plan's fingerprint is its request's license count, and that refuses 0. */
function shell() {
  const planned: RosterRequest[] = [];
  const overlays: DayChoice[] = [];
  const api = {
    async planRoster(_customer: number, request: RosterRequest) {
      planned.push(request);
      if (request.path === "") return { status: "error" as const, error: { type: "Cancelled" as const } };
      if (request.max_licenses === 0) return { status: "error" as const, error: { type: "InvalidInput" as const, data: { field: "max_licenses", message: "Licenses: at most 20, at least 1 (asked for 0)" } } };
      return ok({ request: { ...request, path: request.path }, fingerprint: String(request.max_licenses), demand: [] } as unknown as RosterPlanView);
    },
    async rosterOverlay(_customer: number, choice: DayChoice) {
      overlays.push(choice);
      return ok([{ from_seconds: 0, to_seconds: 900, seats: 5 }]);
    },
  } as unknown as RosterApi;
  return { api, planned, overlays };
}

const request = (max_licenses = 3): RosterRequest => ({ path: "/r/bpo.csv", product: null, max_licenses, from: null, to: null });

describe("the roster", () => {
  it("takes the files a workforce tool exports, and not a license or a report", () => {
    expect(["a.csv", "b.TXT", "c.json", "d.ics"].every(isRosterFile)).toBe(true);
    expect(["x.lic", "y.report", "z.pdf"].some(isRosterFile)).toBe(false);
  });

  it("shows a plan with its demand, reads the demand once per day shown, and puts it away", async () => {
    const { api, overlays } = shell();
    const roster = new Roster(api);
    expect(await roster.open(7, request(), day)).toBeNull();
    expect([roster.customer, roster.plan?.fingerprint, roster.demand.length]).toEqual([7, "3", 1]);
    await roster.refreshDemand(7, day);
    expect(overlays.length).toBe(1);
    await roster.refreshDemand(7, { ...day, date: "2027-01-05" });
    expect(overlays.length).toBe(2);
    // Another customer's day is not this roster's.
    await roster.refreshDemand(8, { ...day, date: "2027-01-06" });
    expect(overlays.length).toBe(2);
    roster.close();
    expect([roster.plan, roster.customer, roster.demand]).toEqual([null, null, []]);
  });

  it("keeps the plan shown when a new one is refused or the dialog is cancelled", async () => {
    const { api } = shell();
    const roster = new Roster(api);
    await roster.open(7, request(), day);
    expect(await roster.replan({ max_licenses: 0 }, day)).toBe("Licenses: at most 20, at least 1 (asked for 0)");
    expect(roster.plan?.fingerprint).toBe("3");
    expect(await roster.open(7, { ...request(), path: "" }, day)).toBeNull();
    expect(roster.plan?.fingerprint).toBe("3");
  });

  it("shows only the newest request's plan, keeps earlier changes still on their way, and drops answers after close", async () => {
    const answers: ((value: unknown) => void)[] = [];
    const planned: RosterRequest[] = [];
    const api = {
      planRoster: (_customer: number, request: RosterRequest) =>
        new Promise((resolve) => {
          planned.push(request);
          answers.push(() => resolve(ok({ request, fingerprint: `${request.max_licenses}/${request.from}`, demand: [] } as unknown as RosterPlanView)));
        }),
      rosterOverlay: async () => ok([]),
    } as unknown as RosterApi;
    const roster = new Roster(api);
    const first = roster.open(7, request(), day);
    answers[0]!(null);
    await first;
    const a = roster.replan({ max_licenses: 1 }, day);
    const b = roster.replan({ from: "2027-02-01" }, day);
    expect(planned[2]).toEqual({ ...request(1), from: "2027-02-01" });
    answers[2]!(null);
    await b;
    answers[1]!(null);
    await a;
    expect(roster.plan?.fingerprint).toBe("1/2027-02-01");
    expect(roster.busy).toBe(false);
    const late = roster.replan({ max_licenses: 2 }, day);
    roster.close();
    answers[3]!(null);
    await late;
    expect(roster.plan).toBeNull();
  });

  it("remembers Apply for the same plan read again, and forgets it for another plan", async () => {
    const { api, planned } = shell();
    const roster = new Roster(api);
    await roster.open(7, request(), day);
    roster.applied = ["Plan 08:00-16:00"];
    await roster.replan({}, day);
    expect(roster.applied).toEqual(["Plan 08:00-16:00"]);
    await roster.replan({ max_licenses: 1 }, day);
    expect(roster.applied).toBeNull();
    expect(planned.at(-1)).toEqual({ ...request(1) });
  });
});
