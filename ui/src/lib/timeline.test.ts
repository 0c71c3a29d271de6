import { describe, expect, it } from "vitest";
import { clockLabel, levelOf, percentOf, spanBox, xOf } from "./timeline";

const DAY = 86_400;

describe("timeline geometry", () => {
  it("puts midnight at the left edge, noon in the middle and 24:00 at the right edge", () => {
    expect(percentOf(0, DAY)).toBe(0);
    expect(percentOf(12 * 3600, DAY)).toBe(50);
    expect(percentOf(DAY, DAY)).toBe(100);
  });

  it("maps a time of day to pixels on a track of any width", () => {
    expect(xOf(6 * 3600, DAY, 960)).toBe(240);
    expect(xOf(8 * 3600, DAY, 1200)).toBe(400);
  });

  it("gives the BPO shifts three bars of a third of the day each", () => {
    const shifts = [
      { from_seconds: 0, to_seconds: 8 * 3600 },
      { from_seconds: 8 * 3600, to_seconds: 16 * 3600 },
      { from_seconds: 16 * 3600, to_seconds: DAY },
    ];
    const boxes = shifts.map((s) => spanBox(s, DAY));
    const lefts = boxes.map((b) => b.left);
    [0, 100 / 3, 200 / 3].forEach((expected, i) => expect(lefts[i]).toBeCloseTo(expected, 10));
    for (const b of boxes) expect(b.width).toBeCloseTo(100 / 3, 10);
    // The last bar ends exactly on the midnight edge, not past it.
    const last = boxes[2]!;
    expect(last.left + last.width).toBeCloseTo(100, 10);
  });

  it("clamps anything past the midnight edge to the track", () => {
    const box = spanBox({ from_seconds: 22 * 3600, to_seconds: DAY + 3600 }, DAY);
    expect(box.left).toBeCloseTo((22 / 24) * 100, 10);
    expect(box.left + box.width).toBeCloseTo(100, 10);
    expect(percentOf(-5, DAY)).toBe(0);
  });

  it("scales a 23-hour DST day to the same track", () => {
    const short = 23 * 3600;
    expect(percentOf(short, short)).toBe(100);
    expect(xOf(short / 2, short, 920)).toBe(460);
  });

  it("labels seconds as a 24-hour clock", () => {
    expect(clockLabel(0)).toBe("00:00");
    expect(clockLabel(16 * 3600 + 30 * 60)).toBe("16:30");
    expect(clockLabel(DAY)).toBe("24:00");
  });

  it("draws coverage relative to the day's peak", () => {
    expect([100, 200, 50].map((s) => levelOf(s, 200))).toEqual([50, 100, 25]);
    expect(levelOf(10, 0)).toBe(0);
  });
});
