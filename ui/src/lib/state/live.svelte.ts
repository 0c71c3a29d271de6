// Another administrator's change to a team catalogue, brought on screen: the sidebar is read
// again, and the timeline too when the change is the shown customer's (or the products'),
// keeping what an open form has typed. Changes heard while one pass is under way are folded
// into one more pass, so a burst of them costs two reads, not one each.
import { catalogue } from "./catalogue.svelte";
import { refreshCustomers, selection } from "./selection.svelte";

export type LiveReads = {
  /** Reads the sidebar's customers again. */
  sidebar: () => Promise<void>;
  /** Reads the shown customer's timeline again. */
  timeline: () => Promise<void>;
};

export class LiveRefresh {
  private busy = false;
  /** A pass asked for while one ran: whether it needs the timeline, or null for none. */
  private pending: boolean | null = null;

  constructor(private readonly reads: LiveReads) {}

  /** Brings the latest on screen; `timeline` when the shown customer's timeline changed. */
  async refresh(timeline: boolean): Promise<void> {
    if (this.busy) {
      this.pending = (this.pending ?? false) || timeline;
      return;
    }
    this.busy = true;
    try {
      await this.reads.sidebar();
      if (timeline) await this.reads.timeline();
    } finally {
      this.busy = false;
    }
    if (this.pending !== null) {
      const next = this.pending;
      this.pending = null;
      await this.refresh(next);
    }
  }
}

export const live = new LiveRefresh({
  sidebar: () => refreshCustomers(false),
  async timeline() {
    // Not while a bar is being dragged: its save reads the timeline again anyway.
    if (selection.view !== selection.saved) return;
    const unsaved = selection.unsavedForm?.();
    if (unsaved) selection.formDraft = unsaved;
    // A form with nothing typed starts again from their version.
    else if (selection.editingId !== null) selection.editStarts.delete(selection.editingId);
    await catalogue.loadProducts();
    await selection.refresh();
  },
});
