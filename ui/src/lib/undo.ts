// The undo history of the editor. Every edit is saved to the catalogue as it is made, so an
// entry knows how to save the edit again (redo) and how to save its opposite (undo).

export interface Entry {
  /** What the edit was, for the Undo/Redo buttons' titles ("Move L1 India"). */
  label: string;
  undo: () => Promise<void>;
  redo: () => Promise<void>;
}

export class UndoStack {
  private done: Entry[] = [];
  private undone: Entry[] = [];
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly limit = 200) {}

  /** Records an edit that has just been saved; it clears what could be redone. */
  push(entry: Entry): void {
    this.done.push(entry);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  /** Forgets every edit (another catalogue was opened: these edits belong to the old one). */
  clear(): void {
    this.done = [];
    this.undone = [];
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** The label of the edit Undo would take back. */
  get undoLabel(): string | null {
    return this.done.at(-1)?.label ?? null;
  }

  get redoLabel(): string | null {
    return this.undone.at(-1)?.label ?? null;
  }

  /**
   * Takes back the newest edit. Calls run one after another, so pressing Ctrl+Z quickly
   * never interleaves two saves; an edit whose undo fails stays where it was.
   */
  undo(): Promise<string | null> {
    return this.step(this.done, this.undone, (e) => e.undo());
  }

  redo(): Promise<string | null> {
    return this.step(this.undone, this.done, (e) => e.redo());
  }

  private step(from: Entry[], to: Entry[], action: (e: Entry) => Promise<void>): Promise<string | null> {
    const result = this.running.then(async () => {
      const entry = from.pop();
      if (!entry) return null;
      try {
        await action(entry);
      } catch (error) {
        from.push(entry);
        throw error;
      }
      to.push(entry);
      return entry.label;
    });
    this.running = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * License ids as they move: editing an issued license saves a new revision with a new id, so
 * an older undo entry asks here for the id its license has now.
 */
export class LicenseIds {
  private moves = new Map<number, number>();

  moved(from: number, to: number): void {
    if (from !== to) this.moves.set(from, to);
  }

  current(id: number): number {
    let seen = 0;
    while (this.moves.has(id) && seen++ < 10_000) id = this.moves.get(id)!;
    return id;
  }
}
