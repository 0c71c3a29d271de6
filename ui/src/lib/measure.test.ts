import { afterEach, describe, expect, it } from "vitest";
import { MAX_SAMPLES, measure } from "./measure";

const hooks = globalThis as { __timefenceMeasure?: Record<string, number[]> };

describe("measurement hooks", () => {
  afterEach(() => delete hooks.__timefenceMeasure);

  it("keep nothing unless a test switched them on", () => {
    measure("dragSteps", 3);
    expect(hooks.__timefenceMeasure).toBeUndefined();
  });

  it("record into the series a test asked for, and only those", () => {
    hooks.__timefenceMeasure = { dragSteps: [] };
    measure("dragSteps", 3);
    measure("progressArrivals", 4);
    expect(hooks.__timefenceMeasure).toEqual({ dragSteps: [3] });
  });

  it("stay bounded", () => {
    hooks.__timefenceMeasure = { dragSteps: [] };
    for (let i = 0; i < MAX_SAMPLES + 5; i++) measure("dragSteps", i);
    expect(hooks.__timefenceMeasure.dragSteps).toHaveLength(MAX_SAMPLES);
  });
});
