import { describe, expect, it } from "vitest";
import { LicenseIds, UndoStack } from "./undo";

function recorder() {
  const log: string[] = [];
  const entry = (label: string) => ({
    label,
    undo: async () => void log.push(`undo ${label}`),
    redo: async () => void log.push(`redo ${label}`),
  });
  return { log, entry };
}

describe("the undo stack", () => {
  it("undoes newest first and redoes in the original order", async () => {
    const { log, entry } = recorder();
    const stack = new UndoStack();
    stack.push(entry("a"));
    stack.push(entry("b"));
    expect(stack.undoLabel).toBe("b");
    await stack.undo();
    await stack.undo();
    expect(stack.canUndo).toBe(false);
    await stack.redo();
    await stack.redo();
    expect(log).toEqual(["undo b", "undo a", "redo a", "redo b"]);
    expect(stack.canRedo).toBe(false);
  });

  it("forgets what could be redone once a new edit is made", async () => {
    const { entry } = recorder();
    const stack = new UndoStack();
    stack.push(entry("a"));
    await stack.undo();
    expect(stack.redoLabel).toBe("a");
    stack.push(entry("b"));
    expect(stack.canRedo).toBe(false);
    expect(await stack.redo()).toBeNull();
  });

  it("runs quick presses one after another, never two saves at once", async () => {
    const log: string[] = [];
    let running = 0;
    const slow = (label: string) => ({
      label,
      undo: async () => {
        running++;
        expect(running).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        log.push(label);
        running--;
      },
      redo: async () => {},
    });
    const stack = new UndoStack();
    stack.push(slow("a"));
    stack.push(slow("b"));
    await Promise.all([stack.undo(), stack.undo()]);
    expect(log).toEqual(["b", "a"]);
  });

  it("keeps an edit whose undo failed, so it can be tried again", async () => {
    const stack = new UndoStack();
    stack.push({ label: "x", undo: async () => Promise.reject(new Error("locked")), redo: async () => {} });
    await expect(stack.undo()).rejects.toThrow("locked");
    expect(stack.undoLabel).toBe("x");
  });

  it("keeps at most its limit of edits", async () => {
    const { entry } = recorder();
    const stack = new UndoStack(2);
    stack.push(entry("a"));
    stack.push(entry("b"));
    stack.push(entry("c"));
    expect(stack.undoLabel).toBe("c");
    await stack.undo();
    expect(stack.undoLabel).toBe("b");
    await stack.undo();
    // "a" fell off the far end: two edits are all a stack of two keeps.
    expect(stack.canUndo).toBe(false);
    expect(await stack.undo()).toBeNull();
  });
});

describe("license ids across revisions", () => {
  it("follows an issued license to its newest revision", () => {
    const ids = new LicenseIds();
    ids.moved(4, 9);
    ids.moved(9, 12);
    ids.moved(5, 5);
    expect(ids.current(4)).toBe(12);
    expect(ids.current(5)).toBe(5);
  });
});
