import { describe, expect, it } from "vitest";
import type { TimelineView } from "./bindings";
import { COLOURS, pictureName, timelineSvg } from "./exporting";

const lane = (id: number, name: string, from: number, to: number, limit: number | null = null) => ({
  license_id: id,
  uid: `${id}`.padStart(32, "0"),
  name,
  state: "draft",
  revision: 1,
  edits: 0,
  seats: 100,
  window: "00:00-08:00",
  start_seconds: 0,
  length_seconds: 28_800,
  zone: "UTC",
  daily_limit: null,
  weekdays: "every day",
  weekday_flags: [true, true, true, true, true, true, true],
  validity: "2024-01-01 to 2024-12-31",
  edit: {
    name,
    license_start_date: "2024-01-01",
    license_end_date: "2024-12-31",
    daily_start_time: "00:00",
    daily_end_time: "08:00",
    daily_time_consumption_limit: null,
    time_zone: "UTC",
    weekdays: ["Mon"],
    seats: 100,
    product: "",
  },
  pieces: [{ from_seconds: from, to_seconds: to, continues_from_previous_day: false, continues_into_next_day: false, limit_reached_at: limit }],
  next_opening_date: null,
  origin: id,
});

const view: TimelineView = {
  customer: { id: 1, name: "Northwind <BPO> & Co", default_zone: "UTC", license_count: 2, edits: 0 },
  date: "2024-06-12",
  zone: "UTC",
  axis_start: "00:00",
  day_length_seconds: 86_400,
  now_seconds: null,
  ticks: [{ offset_seconds: 0, label: "00:00" }],
  lanes: [lane(1, "L1 India", 0, 28_800), lane(2, "L2 Philippines", 28_800, 57_600, 39_600)],
  coverage: [],
  hourly_peaks: [],
  quarter_hours: [{ from_seconds: 0, to_seconds: 900, label: "00:00", seats: 100, license_count: 1, lanes: [0] }],
  peak: 100,
  cost: null,
};

describe("the timeline picture", () => {
  it("draws one bar per piece, at its place on the axis, with names escaped", () => {
    const svg = timelineSvg(view);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/class="bar"/g)).toHaveLength(2);
    expect(svg).toContain("Northwind &lt;BPO&gt; &amp; Co");
    expect(svg).not.toContain("<BPO>");
    // The second bar starts a third of the way along the 960-pixel track after the labels.
    expect(svg).toContain(`class="bar" x="540"`);
  });

  it("hatches the part of a bar beyond the daily limit", () => {
    expect(timelineSvg(view).match(/url\(#beyond\)/g)).toHaveLength(1);
  });

  it("names the file after the customer and the day", () => {
    expect(pictureName(view, "png")).toBe("Northwind-BPO-Co-2024-06-12.png");
  });
});

describe("bar colours", () => {
  // WCAG 2 relative luminance and contrast ratio.
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };

  it("carry white text at WCAG AA (4.5:1)", () => {
    for (const colour of COLOURS) expect(contrast(colour, "#ffffff"), colour).toBeGreaterThanOrEqual(4.5);
    // The window's bars (app.css --bar-1 to --bar-4) are checked in the window itself by axe.
  });
});
