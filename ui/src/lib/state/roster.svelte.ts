// The roster planned for the customer shown: the plan the shell made (timefence-roster), its
// demand on the day shown (drawn on the coverage strip), and whether it was applied. A roster
// belongs to one customer: showing another puts it away.
import { commands, type DayChoice, type DemandQuarter, type RosterPlanView, type RosterRequest } from "../bindings";
import { describe } from "../errors";

/** The most licenses a plan starts with (the administrator may ask for 1 to 20). */
export const DEFAULT_MAX_LICENSES = 3;

/** A file the window takes as a roster when it is dropped on the timeline. */
export function isRosterFile(path: string): boolean {
  return /\.(csv|txt|json|ics)$/i.test(path);
}

export type RosterApi = Pick<typeof commands, "planRoster" | "rosterOverlay">;

export class Roster {
  /** The plan shown, or null. */
  plan = $state<RosterPlanView | null>(null);
  /** Whose it is. */
  customer = $state<number | null>(null);
  /** Its demand on each quarter-hour of the day shown. */
  demand = $state<DemandQuarter[]>([]);
  /** The drafts Apply added (their names), until Undo takes them back or the plan changes. */
  applied = $state<string[] | null>(null);
  /** A plan is being made. */
  busy = $state(false);
  #api: RosterApi;
  #overlayKey = "";
  #sequence = 0;
  /** The newest request asked for (its plan may still be on its way). */
  #wanted: RosterRequest | null = null;

  constructor(api: RosterApi = commands) {
    this.#api = api;
  }

  /**
   * Plans `request` for `customer` (an empty path opens the file dialog); resolves to why
   * not, or null. A refusal leaves the plan shown as it was.
   */
  async open(customer: number, request: RosterRequest, day: DayChoice): Promise<string | null> {
    // Only the newest request's answer is shown: a slower, older one (or one that comes back
    // after the roster was put away) is dropped.
    const mine = ++this.#sequence;
    this.#wanted = request;
    this.busy = true;
    try {
      const result = await this.#api.planRoster(customer, request);
      if (mine !== this.#sequence) return null;
      if (result.status === "error") {
        this.#wanted = this.plan?.request ?? null;
        return result.error.type === "Cancelled" ? null : describe(result.error);
      }
      // The same plan read again (after Apply, to show the current costs) keeps its state.
      if (this.customer !== customer || this.plan?.fingerprint !== result.data.fingerprint) this.applied = null;
      this.plan = result.data;
      this.customer = customer;
      this.#overlayKey = "";
      await this.refreshDemand(customer, day);
      return null;
    } finally {
      if (mine === this.#sequence) this.busy = false;
    }
  }

  /**
   * Plans the shown roster again with `changes` (another product, count or term), on top of
   * the changes asked for before whose plans have not come back yet.
   */
  async replan(changes: Partial<RosterRequest>, day: DayChoice): Promise<string | null> {
    if (!this.plan || this.customer === null) return null;
    return this.open(this.customer, { ...(this.#wanted ?? this.plan.request), ...changes }, day);
  }

  /** Reads the demand on `day` again when the day, zone or axis changed. */
  async refreshDemand(customer: number, day: DayChoice) {
    const plan = this.plan;
    if (!plan || this.customer !== customer) return;
    const key = JSON.stringify([customer, day, plan.fingerprint]);
    if (key === this.#overlayKey) return;
    this.#overlayKey = key;
    const result = await this.#api.rosterOverlay(customer, day, plan.demand, plan.zone);
    if (this.plan !== plan || this.#overlayKey !== key) return;
    this.demand = result.status === "ok" ? result.data : [];
  }

  /** Puts the roster away. */
  close() {
    this.#sequence++;
    this.#wanted = null;
    this.busy = false;
    this.plan = null;
    this.customer = null;
    this.demand = [];
    this.applied = null;
    this.#overlayKey = "";
  }
}

/** The window's roster. */
export const roster = new Roster();
