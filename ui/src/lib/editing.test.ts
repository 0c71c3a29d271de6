import { describe, expect, it } from "vitest";
import {
  applyKey,
  dragLabel,
  dragToLimit,
  dragWindow,
  handleText,
  keyAction,
  minutesFor,
  piecesOnAxis,
  shapeOf,
  sliderValues,
  snap,
  spanBetween,
  windowTimes,
  type WindowShape,
} from "./timeline";

const shape = (start: string, end: string): WindowShape => {
  const m = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const s = m(start);
  let e = m(end);
  if (e <= s) e += 1440;
  return { start: s, length: e - s };
};

describe("snapping", () => {
  it("lands on the nearest quarter-hour, or the nearest minute with Alt", () => {
    expect(snap(487, 15)).toBe(480);
    expect(snap(488, 15)).toBe(495);
    expect(snap(487.4, 1)).toBe(487);
    expect(snap(-7, 15)).toBe(-0);
  });

  it("turns pixels into minutes of the real day, 23 or 25 hours on DST days", () => {
    expect(minutesFor(100, 960, 86_400)).toBe(150);
    expect(minutesFor(100, 960, 82_800)).toBeCloseTo(143.75);
    expect(minutesFor(100, 0, 86_400)).toBe(0);
  });
});

describe("dragging a window", () => {
  it("moves the end edge and keeps the start", () => {
    const next = dragWindow(shape("16:00", "24:00"), "end", -235, 15);
    expect(windowTimes(next)).toEqual({ start: "16:00", end: "20:00" });
  });

  it("moves the start edge and keeps the end", () => {
    expect(windowTimes(dragWindow(shape("08:00", "16:00"), "start", 68, 15))).toEqual({ start: "09:15", end: "16:00" });
  });

  it("moves the whole bar keeping its length, across midnight as one window", () => {
    const night = dragWindow(shape("20:00", "04:00"), "move", 150, 15);
    expect(windowTimes(night)).toEqual({ start: "22:30", end: "06:30" });
    expect(night.length).toBe(480);
    expect(windowTimes(dragWindow(shape("22:00", "06:00"), "move", 180, 15))).toEqual({ start: "01:00", end: "09:00" });
  });

  it("pulls the end past midnight into the next day and back", () => {
    const later = dragWindow(shape("16:00", "24:00"), "end", 120, 15);
    expect(windowTimes(later)).toEqual({ start: "16:00", end: "02:00" });
    expect(handleText("end", later)).toBe("End 02:00, next day");
    expect(dragLabel(later)).toBe("16:00–02:00 · 10h · +1 day");
  });

  it("never makes a window shorter than one step or longer than a day", () => {
    expect(dragWindow(shape("08:00", "16:00"), "end", -2000, 15)).toEqual({ start: 480, length: 15 });
    expect(dragWindow(shape("08:00", "16:00"), "end", 3000, 15)).toEqual({ start: 480, length: 1440 });
    expect(dragWindow(shape("08:00", "16:00"), "start", 600, 1)).toEqual({ start: 959, length: 1 });
  });

  it("snaps to single minutes with Alt", () => {
    expect(windowTimes(dragWindow(shape("08:00", "16:00"), "end", 7, 1))).toEqual({ start: "08:00", end: "16:07" });
  });

  it("writes a window that closes at midnight as 24:00", () => {
    expect(windowTimes(dragWindow(shape("16:00", "20:00"), "end", 240, 15)).end).toBe("24:00");
    expect(windowTimes({ start: 0, length: 1440 })).toEqual({ start: "00:00", end: "24:00" });
    expect(windowTimes({ start: 360, length: 1440 })).toEqual({ start: "06:00", end: "06:00" });
  });
});

describe("the slider keys", () => {
  it("moves 15 minutes with arrows, an hour with Shift and the whole bar with Alt", () => {
    const day = shape("08:00", "16:00");
    expect(windowTimes(applyKey(day, keyAction("end", "ArrowRight", { shiftKey: false, altKey: false })!))).toEqual({ start: "08:00", end: "16:15" });
    expect(windowTimes(applyKey(day, keyAction("start", "ArrowLeft", { shiftKey: true, altKey: false })!))).toEqual({ start: "07:00", end: "16:00" });
    expect(windowTimes(applyKey(day, keyAction("start", "ArrowRight", { shiftKey: false, altKey: true })!))).toEqual({ start: "08:15", end: "16:15" });
    expect(keyAction("end", "a", { shiftKey: false, altKey: false })).toBeNull();
  });

  it("goes to the ends of each handle's range with Home and End", () => {
    const day = shape("08:00", "16:00");
    expect(windowTimes(dragToLimit(day, "start", "min"))).toEqual({ start: "00:00", end: "16:00" });
    expect(windowTimes(dragToLimit(day, "start", "max"))).toEqual({ start: "15:45", end: "16:00" });
    expect(windowTimes(dragToLimit(day, "end", "min"))).toEqual({ start: "08:00", end: "08:15" });
    expect(windowTimes(dragToLimit(day, "end", "max"))).toEqual({ start: "08:00", end: "08:00" });
    expect(windowTimes(dragToLimit(day, "move", "max"))).toEqual({ start: "16:00", end: "24:00" });
    const night = shape("22:00", "06:00");
    expect(windowTimes(dragToLimit(night, "start", "max"))).toEqual({ start: "23:45", end: "06:00" });
    expect(windowTimes(dragToLimit(night, "start", "min"))).toEqual({ start: "06:00", end: "06:00" });
  });

  it("reports each handle's range and value in minutes of the opening day", () => {
    expect(sliderValues("end", shape("22:00", "06:00"))).toEqual({ min: 1335, max: 2760, now: 1800 });
    expect(sliderValues("start", shape("08:00", "16:00"))).toEqual({ min: 0, max: 945, now: 480 });
    expect(handleText("start", shape("22:00", "06:00"))).toBe("Start 22:00");
  });
});

describe("midnight splitting", () => {
  it("draws a window that crosses the axis's end as two linked pieces", () => {
    expect(piecesOnAxis(shape("22:00", "06:00"), 0)).toEqual([
      { from_seconds: 0, to_seconds: 6 * 3600 },
      { from_seconds: 22 * 3600, to_seconds: 24 * 3600 },
    ]);
  });

  it("draws it as one bar on an axis that starts at 06:00", () => {
    // The display day starts at 06:00, so the license's 22:00 is 16 hours in.
    expect(piecesOnAxis(shape("22:00", "06:00"), -360)).toEqual([{ from_seconds: 16 * 3600, to_seconds: 24 * 3600 }]);
  });

  it("shifts bars into another display zone, splitting where needed", () => {
    // A Kolkata 00:00-08:00 shift shown in UTC (5h30 behind) is 18:30-02:30.
    expect(piecesOnAxis(shape("00:00", "08:00"), -330)).toEqual([
      { from_seconds: 0, to_seconds: 2.5 * 3600 },
      { from_seconds: 18.5 * 3600, to_seconds: 24 * 3600 },
    ]);
  });

  it("reads a lane's shape from the engine's seconds", () => {
    expect(shapeOf({ start_seconds: 79_200, length_seconds: 28_800 })).toEqual({ start: 1320, length: 480 });
  });
});

describe("drawing a new window", () => {
  it("snaps a dragged span to the nearest quarter-hours whichever way it was drawn", () => {
    expect(spanBetween(9 * 3600 + 100, 17 * 3600 - 100, 86_400, 15)).toEqual({ from_seconds: 9 * 3600, to_seconds: 17 * 3600 });
    expect(spanBetween(17 * 3600 - 100, 9 * 3600 + 100, 86_400, 15)).toEqual({ from_seconds: 9 * 3600, to_seconds: 17 * 3600 });
    expect(spanBetween(-50, 90_000, 86_400, 15)).toEqual({ from_seconds: 0, to_seconds: 86_400 });
    // A pointer a few pixels past 06:00 still ends the window at 06:00.
    expect(spanBetween(2 * 3600, 6 * 3600 + 200, 86_400, 15)).toEqual({ from_seconds: 2 * 3600, to_seconds: 6 * 3600 });
  });
});
