// What the window is looking at: the customer chosen in the sidebar, the day, display zone and
// axis start of its timeline, the timeline itself as the engine drew it, the license being
// edited, and that customer's actual use. The sidebar, the Timeline screen and the Forecast
// all read and change it here, so a customer picked in one place is the one shown everywhere.
import { commands, type DayChoice, type LaneActual, type LicenseEdit, type LicenseUseView, type SuggestionView, type TimelineView, type UsageReportView } from "../bindings";
import { describe } from "../errors";
import { customerList } from "./customers.svelte";
import { notices } from "./notices.svelte";

/** A customer's use from relay reports, the reports kept, and the suggestions priced from it. */
export type Usage = { uses: LicenseUseView[]; suggestions: SuggestionView[]; actual: LaneActual[]; reports: UsageReportView[] };

const noUsage: Usage = { uses: [], suggestions: [], actual: [], reports: [] };

/** The commands the selection reads through (the shell's, or a test's). */
export type SelectionApi = Pick<typeof commands, "customerTimeline" | "customerUsage" | "usageSuggestions" | "usageOverlay" | "usageReports">;

export class Selection {
  /** The customer shown, or null. */
  customer = $state<number | null>(null);
  // Views are replaced whole (every drag step brings a new one), so they are not made deeply
  // reactive: a raw state swap is what keeps a drag step inside a frame.
  /** The customer's timeline on the day shown, or null before it is read. */
  view = $state.raw<TimelineView | null>(null);
  /** The last view read from the catalogue, which Escape returns to after a drag preview. */
  saved = $state.raw<TimelineView | null>(null);
  /** The day shown (YYYY-MM-DD), or "" for the engine's choice (today in the customer's zone). */
  date = $state("");
  /** The display zone, or "" for the customer's own. */
  zone = $state("");
  /** Where the axis starts, HH:MM. */
  axisStart = $state("00:00");
  /** The license whose whole form is open. */
  editingId = $state<number | null>(null);
  /** What the compact editor held when More… opened the whole form: the form starts from it. */
  formDraft = $state.raw<{ id: number; edit: LicenseEdit } | null>(null);
  /** The open license form's unsaved input, if it has any: kept as `formDraft` when another
   * administrator's change redraws the timeline, so the form opens again on what was typed. */
  unsavedForm: (() => { id: number; edit: LicenseEdit } | null) | null = null;
  /** The saved-edit count each open editor (the compact editor, the form) started from, by
   * license id: kept when another administrator's change redraws the timeline, so saving the
   * editor then is refused instead of overwriting their change; dropped once this window saves. */
  readonly editStarts = new Map<number, number>();
  /** The license whose compact editor is open at its bar (one just drawn or added). */
  quickId = $state<number | null>(null);
  /** The license just drawn or added: its form opens with the name ready to type over. */
  justCreated = $state<number | null>(null);
  /** The customer's use from relay reports. */
  usage = $state.raw<Usage>(noUsage);
  #api: SelectionApi;
  // Each read's number: an answer to an older read (a day typed over, a zone changed again)
  // is dropped when a newer one was asked for.
  #generation = 0;

  constructor(api: SelectionApi = commands) {
    this.#api = api;
  }

  /** The day, zone and axis the timeline is asked for. */
  day(): DayChoice {
    return { date: this.date || null, zone: this.zone || null, axis_start: this.axisStart };
  }

  /**
   * Makes `id` the customer shown. Another customer starts on its own today and zone, with
   * nothing open; the same one keeps its day.
   */
  choose(id: number) {
    if (this.customer !== id) {
      this.date = "";
      this.zone = "";
      this.editingId = null;
      this.quickId = null;
      this.usage = noUsage;
    }
    this.customer = id;
  }

  /** Shows nothing (the customer went away, or another catalogue was opened). */
  clear() {
    this.customer = null;
    this.view = null;
    this.saved = null;
    this.editingId = null;
    this.quickId = null;
    this.usage = noUsage;
  }

  /** Chooses `id` and reads its timeline. */
  async select(id: number) {
    this.choose(id);
    await this.refresh();
  }

  /**
   * Reads the shown customer's timeline for the day, zone and axis chosen; the day and zone
   * then say what the engine settled on. A customer gone to the trash gives way to the first
   * in the list; anything else refused goes to the problem banner and leaves the view as it was.
   */
  async refresh() {
    const id = this.customer;
    if (id === null) return;
    const mine = ++this.#generation;
    const result = await this.#api.customerTimeline(id, this.day());
    if (this.customer !== id || mine !== this.#generation) return;
    if (result.status === "error") {
      if (result.error.type === "NotFound") {
        this.clear();
        const first = customerList.items.find((c) => c.id !== id);
        if (first) await this.select(first.id);
        return;
      }
      notices.fail(describe(result.error));
      return;
    }
    notices.clearProblem();
    this.view = result.data;
    this.saved = result.data;
    this.date = result.data.date;
    this.zone = result.data.zone;
    this.axisStart = result.data.axis_start;
    void this.refreshUsage();
  }

  /**
   * Moves the view to the first day license `id` opens when it does not open on the day shown;
   * resolves to that license's lane when it moved, else null.
   */
  async follow(id: number) {
    const lane = this.view?.lanes.find((l) => l.license_id === id);
    if (!lane || lane.pieces.length > 0 || !lane.next_opening_date) return null;
    this.date = lane.next_opening_date;
    await this.refresh();
    return lane;
  }

  /** Reads the shown customer's use, suggestions and the day's overlay. */
  async refreshUsage() {
    const id = this.customer;
    if (id === null) return;
    const [uses, suggestions, actual, reports] = await Promise.all([
      this.#api.customerUsage(id),
      this.#api.usageSuggestions(id),
      this.#api.usageOverlay(id, this.day()),
      this.#api.usageReports(id),
    ]);
    if (this.customer !== id) return;
    this.usage = {
      uses: uses.status === "ok" ? uses.data : [],
      suggestions: suggestions.status === "ok" ? suggestions.data : [],
      actual: actual.status === "ok" ? actual.data : [],
      reports: reports.status === "ok" ? reports.data : [],
    };
  }
}

/** The window's selection. */
export const selection = new Selection();

/**
 * Reads the customer list again (`reset`) or its next page; with nothing shown yet, shows the
 * first customer (the demo's BPO when it is there).
 */
export async function refreshCustomers(reset: boolean) {
  const refused = await customerList.load(reset);
  if (refused) {
    notices.fail(refused);
    return;
  }
  if (selection.customer === null) {
    const first = customerList.items.find((c) => c.name === "Northwind BPO") ?? customerList.items[0];
    if (first) await selection.select(first.id);
  }
}
