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
