import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NOTICE_MS, NOTICE_WITH_UNDO_MS, Notices } from "./notices.svelte";

describe("notices", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("go away by themselves after 5 s, or 10 s with Undo", () => {
    const notices = new Notices();
    notices.notify("Saved India");
    vi.advanceTimersByTime(NOTICE_MS - 1);
    expect(notices.current?.text).toBe("Saved India");
    vi.advanceTimersByTime(1);
    expect(notices.current).toBeNull();

    notices.notify("Deleted India", true);
    vi.advanceTimersByTime(NOTICE_MS);
    expect(notices.current).toEqual({ text: "Deleted India", undo: true });
    vi.advanceTimersByTime(NOTICE_WITH_UNDO_MS - NOTICE_MS);
    expect(notices.current).toBeNull();
  });

  it("stay while held, and a newer one is not cut short by the older's timer", () => {
    const notices = new Notices();
    notices.notify("First");
    notices.hold(true);
    vi.advanceTimersByTime(60_000);
    expect(notices.current?.text).toBe("First");
    notices.hold(false);
    vi.advanceTimersByTime(NOTICE_MS - 1_000);
    notices.notify("Second");
    vi.advanceTimersByTime(1_000);
    expect(notices.current?.text).toBe("Second");
    vi.advanceTimersByTime(NOTICE_MS);
    expect(notices.current).toBeNull();
  });

  it("can be dismissed at once", () => {
    const notices = new Notices();
    notices.notify("Saved", true);
    notices.dismiss();
    expect(notices.current).toBeNull();
    vi.advanceTimersByTime(NOTICE_WITH_UNDO_MS);
    expect(notices.current).toBeNull();
  });

  it("keep a problem until it is cleared, whatever notices come and go", () => {
    const notices = new Notices();
    notices.fail("India was not changed: Daily end must be a time");
    notices.notify("Saved Brazil");
    vi.advanceTimersByTime(NOTICE_WITH_UNDO_MS * 3);
    expect(notices.current).toBeNull();
    expect(notices.problem).toBe("India was not changed: Daily end must be a time");
    notices.clearProblem();
    expect(notices.problem).toBeNull();
  });
});
