// The sidebar's customer list: one page of 100 at a time, filtered as the administrator types.
// A newer load (a new filter, a change) wins over an older one still on its way.
import { commands, type CustomerItem } from "../bindings";
import { describe } from "../errors";

/** Customers a page brings. */
export const PAGE = 100;

export class CustomerList {
  /** The customers loaded so far, in the catalogue's order. */
  items = $state<CustomerItem[]>([]);
  /** How many match the filter in all. */
  total = $state(0);
  /** What the search box holds. */
  filter = $state("");
  #loading = false;
  #generation = 0;

  /**
   * Loads the first page again (`reset`) or the next one; resolves to why it could not, or
   * null. A page asked for while another is loading, or past the end, is not asked for.
   */
  async load(reset: boolean, page: typeof commands.customersPage = commands.customersPage): Promise<string | null> {
    if (this.#loading && !reset) return null;
    if (!reset && this.items.length >= this.total) return null;
    const mine = reset ? ++this.#generation : this.#generation;
    this.#loading = true;
    const result = await page(this.filter, reset ? 0 : this.items.length, PAGE);
    this.#loading = false;
    if (mine !== this.#generation) return null;
    if (result.status === "error") return describe(result.error);
    this.total = result.data.total;
    this.items = reset ? result.data.items : [...this.items, ...result.data.items];
    return null;
  }
}

/** The window's customer list. */
export const customerList = new CustomerList();
