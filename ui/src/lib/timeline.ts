// Geometry of the 24-hour timeline. The engine gives every bar and coverage step in real
// seconds from the display day's start (a DST day is 23 or 25 hours long); these functions
// only turn those seconds into positions, so no window rule lives in the UI.

export interface Span {
  from_seconds: number;
  to_seconds: number;
}

/** Horizontal position, as a percentage of the track, of `seconds` into a day of `dayLength`. */
export function percentOf(seconds: number, dayLength: number): number {
  if (dayLength <= 0) return 0;
  return (clampToDay(seconds, dayLength) * 100) / dayLength;
}

/** Left edge and width of a span, as percentages of the track. */
export function spanBox(span: Span, dayLength: number): { left: number; width: number } {
  const left = percentOf(span.from_seconds, dayLength);
  const right = percentOf(span.to_seconds, dayLength);
  return { left, width: Math.max(right - left, 0) };
}

/** Pixel position of `seconds` on a track `width` pixels wide. */
export function xOf(seconds: number, dayLength: number, width: number): number {
  if (dayLength <= 0) return 0;
  return (clampToDay(seconds, dayLength) * width) / dayLength;
}

function clampToDay(seconds: number, dayLength: number): number {
  return Math.min(Math.max(seconds, 0), dayLength);
}

/** `HH:MM` for a number of seconds since the day's start (24:00 at the end of the day). */
export function clockLabel(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** Bar height for a coverage value, as a percentage of the strip (peak is full height). */
export function levelOf(seats: number, peak: number): number {
  if (peak <= 0) return 0;
  return Math.round((Math.max(seats, 0) / peak) * 100);
}

// ---------------------------------------------------------------------------------------------
// Editing a window by dragging or with the keyboard. A window is its start and its length in
// minutes of the license's own wall clock, the two numbers a drag changes; the engine turns
// the resulting DailyStartTime/DailyEndTime into bars, coverage and cost.

export const MINUTES_PER_DAY = 1440;
export const SNAP_MINUTES = 15;
export const FINE_MINUTES = 1;

export interface WindowShape {
  /** DailyStartTime, minutes after midnight (0 to 1439). */
  start: number;
  /** Minutes from opening to closing (1 to 1440). */
  length: number;
}

export type Part = "start" | "end" | "move";

/** The nearest multiple of `step` (15 minutes, or 1 with Alt held). */
export function snap(minutes: number, step: number): number {
  return Math.round(minutes / step) * step;
}

function wrap(minutes: number): number {
  return ((minutes % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The shape of a lane's window as the engine reported it. */
export function shapeOf(lane: { start_seconds: number; length_seconds: number }): WindowShape {
  return { start: Math.floor(lane.start_seconds / 60), length: Math.max(1, Math.round(lane.length_seconds / 60)) };
}

/**
 * The window after moving `part` by `delta` minutes: the start edge keeps the end where it
 * was, the end edge keeps the start, and a move keeps the length. The moved edge lands on a
 * multiple of `step`; a window is never shorter than one step nor longer than a day, and
 * wraps around midnight instead of stopping at it.
 */
export function dragWindow(shape: WindowShape, part: Part, delta: number, step: number): WindowShape {
  const { start, length } = shape;
  if (part === "move") {
    return { start: wrap(snap(start + delta, step)), length };
  }
  if (part === "end") {
    const end = snap(start + length + delta, step);
    return { start, length: clamp(end - start, step, MINUTES_PER_DAY) };
  }
  const end = start + length;
  const newStart = snap(start + delta, step);
  const newLength = clamp(end - newStart, step, MINUTES_PER_DAY);
  return { start: wrap(end - newLength), length: newLength };
}

/**
 * Moves `part` to one end of its slider's range (Home: the earliest, End: the latest).
 * The start ranges from midnight (or a day before the end) to one step before the end or
 * 23:45; the end from one step after the start to a whole day after it; a move from a
 * window opening at midnight to one closing at 24:00.
 */
export function dragToLimit(shape: WindowShape, part: Part, limit: "min" | "max"): WindowShape {
  const end = shape.start + shape.length;
  if (part === "end") {
    return { start: shape.start, length: limit === "min" ? SNAP_MINUTES : MINUTES_PER_DAY };
  }
  if (part === "move") {
    const latest = shape.length < MINUTES_PER_DAY ? MINUTES_PER_DAY - shape.length : 0;
    return { start: limit === "min" ? 0 : latest, length: shape.length };
  }
  const newStart = limit === "min" ? Math.max(0, end - MINUTES_PER_DAY) : Math.min(MINUTES_PER_DAY - SNAP_MINUTES, end - SNAP_MINUTES);
  return { start: newStart, length: end - newStart };
}

/** The slider range and value of a handle, in minutes after the opening day's midnight. */
export function sliderValues(part: "start" | "end", shape: WindowShape): { min: number; max: number; now: number } {
  const end = shape.start + shape.length;
  if (part === "end") return { min: shape.start + SNAP_MINUTES, max: shape.start + MINUTES_PER_DAY, now: end };
  return {
    min: Math.max(0, end - MINUTES_PER_DAY),
    max: Math.min(MINUTES_PER_DAY - SNAP_MINUTES, end - SNAP_MINUTES),
    now: shape.start,
  };
}

/** `HH:MM` for minutes after midnight. */
export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** DailyStartTime and DailyEndTime for a shape; a window that ends at midnight ends at 24:00. */
export function windowTimes(shape: WindowShape): { start: string; end: string } {
  const end = shape.start + shape.length;
  if (end === MINUTES_PER_DAY) return { start: hhmm(shape.start), end: "24:00" };
  return { start: hhmm(shape.start), end: hhmm(wrap(end)) };
}

/** Whether the window closes on the day after it opens. */
export function endsNextDay(shape: WindowShape): boolean {
  return shape.start + shape.length > MINUTES_PER_DAY;
}

/** `8h`, `7h 45m`, `45m`. */
export function durationLabel(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h ${m}m`;
}

/** What a slider handle announces: "Start 22:00" or "End 02:00, next day". */
export function handleText(part: "start" | "end", shape: WindowShape): string {
  const times = windowTimes(shape);
  if (part === "start") return `Start ${times.start}`;
  return `End ${times.end}${endsNextDay(shape) ? ", next day" : ""}`;
}

/** The tooltip shown while dragging: "22:00–06:00 · 8h · +1 day". */
export function dragLabel(shape: WindowShape): string {
  const times = windowTimes(shape);
  return `${times.start}–${times.end} · ${durationLabel(shape.length)}${endsNextDay(shape) ? " · +1 day" : ""}`;
}

export type KeyAction = { part: Part; delta: number } | { part: Part; limit: "min" | "max" };

/**
 * The WAI-ARIA slider keys on a handle: arrows move 15 minutes, Shift+arrows an hour,
 * Home/End to the ends, and Alt+arrows move the whole bar. `null` for any other key.
 */
export function keyAction(
  handle: "start" | "end",
  key: string,
  modifiers: { shiftKey: boolean; altKey: boolean },
): KeyAction | null {
  const part: Part = modifiers.altKey ? "move" : handle;
  const size = modifiers.shiftKey ? 60 : SNAP_MINUTES;
  switch (key) {
    case "ArrowRight":
    case "ArrowUp":
      return { part, delta: size };
    case "ArrowLeft":
    case "ArrowDown":
      return { part, delta: -size };
    case "PageUp":
      return { part, delta: 60 };
    case "PageDown":
      return { part, delta: -60 };
    case "Home":
      return { part, limit: "min" };
    case "End":
      return { part, limit: "max" };
    default:
      return null;
  }
}

/** The shape after a key action. */
export function applyKey(shape: WindowShape, action: KeyAction): WindowShape {
  if ("limit" in action) return dragToLimit(shape, action.part, action.limit);
  return dragWindow(shape, action.part, action.delta, SNAP_MINUTES);
}

/** Minutes of the day for a pointer movement of `dx` pixels on a track `width` pixels wide. */
export function minutesFor(dx: number, width: number, dayLengthSeconds: number): number {
  if (width <= 0) return 0;
  return (dx / width) * (dayLengthSeconds / 60);
}

/**
 * Where a shape's bar sits on a display axis while the engine's answer is on its way: the
 * license's wall clock shifted by `shift` minutes into the display day, split into two
 * pieces where it crosses the axis's end. Seconds, like the engine's pieces.
 */
export function piecesOnAxis(shape: WindowShape, shift: number, dayMinutes = MINUTES_PER_DAY): Span[] {
  const from = wrap(shape.start + shift) % dayMinutes;
  const to = from + shape.length;
  if (to <= dayMinutes) return [{ from_seconds: from * 60, to_seconds: to * 60 }];
  return [
    { from_seconds: 0, to_seconds: (to - dayMinutes) * 60 },
    { from_seconds: from * 60, to_seconds: dayMinutes * 60 },
  ];
}

/** A stretch of the display day drawn with the pointer, its ends snapped to the nearest step of the axis. */
export function spanBetween(aSeconds: number, bSeconds: number, dayLengthSeconds: number, stepMinutes: number): Span {
  const step = stepMinutes * 60;
  const low = Math.min(aSeconds, bSeconds);
  const high = Math.max(aSeconds, bSeconds);
  return {
    from_seconds: clamp(Math.round(low / step) * step, 0, dayLengthSeconds),
    to_seconds: clamp(Math.round(high / step) * step, 0, dayLengthSeconds),
  };
}
