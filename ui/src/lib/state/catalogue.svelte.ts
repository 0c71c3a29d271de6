// The open catalogue as the window knows it: whose it is (the administrator's own or the demo),
// how many customers it holds, its version line, the product names the license form offers,
// and every IANA zone the engine knows with what is being typed into a zone field, for the
// zone suggestions.
import { commands, type CatalogueInfo } from "../bindings";
import { searchZones } from "../zones";

export class CatalogueState {
  /** The open catalogue, or null before it is read. */
  info = $state<CatalogueInfo | null>(null);
  /** The products' names, in the catalogue's order. */
  productNames = $state<string[]>([]);
  /** Every zone the engine knows. */
  zones = $state<string[]>([]);
  /** What a zone field holds now: the suggestions follow it. */
  zoneTyped = $state("");
  /** At most 40 zones that match what is typed, for the shared zone list. */
  zoneMatches = $derived(searchZones(this.zones, this.zoneTyped, 40));

  async loadInfo() {
    const result = await commands.catalogueInfo();
    if (result.status === "ok") this.info = result.data;
  }

  async loadProducts() {
    const result = await commands.products();
    if (result.status === "ok") this.productNames = result.data.map((p) => p.name);
  }

  async loadZones() {
    this.zones = await commands.timeZones();
  }
}

/** The window's catalogue. */
export const catalogue = new CatalogueState();
