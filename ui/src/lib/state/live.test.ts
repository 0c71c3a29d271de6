import { describe, expect, it } from "vitest";
import { LiveRefresh } from "./live.svelte";

/** Reads that wait for the test to let them finish, recording each. */
function reads() {
  const done: string[] = [];
  const waiting: (() => void)[] = [];
  const read = (what: string) => () =>
    new Promise<void>((resolve) => {
      done.push(what);
      waiting.push(resolve);
    });
  return { done, waiting, reads: { sidebar: read("sidebar"), timeline: read("timeline") } };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

async function finishAll(waiting: (() => void)[]) {
  for (let i = 0; i < 20; i++) {
    waiting.shift()?.();
    await settle();
  }
}

describe("live refresh", () => {
  it("reads the timeline only when asked to", async () => {
    const { done, waiting, reads: r } = reads();
    const live = new LiveRefresh(r);
    const pass = live.refresh(false);
    await finishAll(waiting);
    await pass;
    expect(done).toEqual(["sidebar"]);
  });

  it("folds the changes heard during a pass into one more, with the timeline if any asked", async () => {
    const { done, waiting, reads: r } = reads();
    const live = new LiveRefresh(r);
    const first = live.refresh(false);
    await settle();
    // Three more changes while the first pass reads the sidebar.
    void live.refresh(false);
    void live.refresh(true);
    void live.refresh(false);
    await finishAll(waiting);
    await first;
    expect(done).toEqual(["sidebar", "sidebar", "timeline"]);
  });
});
