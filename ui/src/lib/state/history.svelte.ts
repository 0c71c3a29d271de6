// The window's undo history: every edit is saved as it is made, so each entry knows how to
// save it again (redo) and how to save its opposite (undo). The Undo and Redo buttons read
// `labels`; the undo stack itself (lib/undo.ts) runs one step at a time.
import { commands } from "../bindings";
import { unwrap } from "../errors";
import { LicenseIds, UndoStack } from "../undo";

export class History {
  /** What Undo and Redo would take back or do again ("Move L1 India"), or null. */
  labels = $state<{ undo: string | null; redo: string | null }>({ undo: null, redo: null });
  /** Where each license's id went when an edit saved a new revision. */
  readonly ids = new LicenseIds();
  /** The saved-edit count this window's last save, undo or redo left on each license (by
   * `license:<origin>`) and customer (`customer:<id>`): undo and redo start from it, so they
   * are refused, not applied, once someone else has saved over this window's edit. */
  readonly counts = new Map<string, number>();
  #stack: UndoStack;

  constructor(limit?: number) {
    this.#stack = new UndoStack(limit);
  }

  /** Records an edit just saved, with how to take it back and how to make it again. */
  remember(label: string, undo: () => Promise<unknown>, redo: () => Promise<unknown>) {
    this.#stack.push({
      label,
      undo: async () => void (await undo()),
      redo: async () => void (await redo()),
    });
    this.#refresh();
  }

  /**
   * Records that a license or customer `id` was added (`true`) or deleted (`false`): adding
   * and deleting are each other's undo, through the trash, which keeps the id.
   */
  rememberPresence(kind: "license" | "customer", label: string, id: number, added: boolean) {
    const out =
      kind === "license"
        ? async () => unwrap(await commands.deleteLicense(this.ids.current(id)))
        : async () => unwrap(await commands.deleteCustomer(id));
    const back =
      kind === "license"
        ? async () => unwrap(await commands.restoreLicense(this.ids.current(id)))
        : async () => unwrap(await commands.restoreCustomer(id));
    if (added) this.remember(label, out, back);
    else this.remember(label, back, out);
  }

  /** Takes back the newest edit; resolves to its label (null when there is none), or throws. */
  async undo(): Promise<string | null> {
    try {
      return await this.#stack.undo();
    } finally {
      this.#refresh();
    }
  }

  /** Makes the newest undone edit again. */
  async redo(): Promise<string | null> {
    try {
      return await this.#stack.redo();
    } finally {
      this.#refresh();
    }
  }

  /** Forgets every edit (another catalogue was opened: they belong to the old one). */
  clear() {
    this.#stack.clear();
    this.counts.clear();
    this.#refresh();
  }

  #refresh() {
    this.labels = { undo: this.#stack.undoLabel, redo: this.#stack.redoLabel };
  }
}

/** The window's history. */
export const history = new History();
