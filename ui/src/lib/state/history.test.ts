import { describe, expect, it } from "vitest";
import { History } from "./history.svelte";

describe("the window's history", () => {
  it("labels Undo and Redo, steps both ways, and forgets on clear", async () => {
    const history = new History();
    let value = 0;
    value = 1;
    history.remember("Set 1", async () => (value = 0), async () => (value = 1));
    value = 2;
    history.remember("Set 2", async () => (value = 1), async () => (value = 2));
    expect(history.labels).toEqual({ undo: "Set 2", redo: null });
    expect(await history.undo()).toBe("Set 2");
    expect(value).toBe(1);
    expect(history.labels).toEqual({ undo: "Set 1", redo: "Set 2" });
    expect(await history.redo()).toBe("Set 2");
    expect(value).toBe(2);
    history.clear();
    expect(history.labels).toEqual({ undo: null, redo: null });
    expect(await history.undo()).toBeNull();
  });

  it("keeps an entry whose undo fails, and says why", async () => {
    const history = new History();
    history.remember("Rename Acme", async () => Promise.reject(new Error("Acme BPO is taken")), async () => undefined);
    await expect(history.undo()).rejects.toThrow("Acme BPO is taken");
    expect(history.labels.undo).toBe("Rename Acme");
  });

  it("keeps at most its limit", async () => {
    const history = new History(2);
    for (const n of [1, 2, 3]) history.remember(`Step ${n}`, async () => undefined, async () => undefined);
    expect(await history.undo()).toBe("Step 3");
    expect(await history.undo()).toBe("Step 2");
    expect(await history.undo()).toBeNull();
  });
});
