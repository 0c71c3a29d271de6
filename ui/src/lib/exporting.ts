// The timeline as a picture for a quote: an SVG drawn from the same view the screen shows
// (bars, axis, coverage, cost), and a PNG rendered from that SVG.

import { count } from "./words";
import type { TimelineView } from "./bindings";
import { percentOf } from "./timeline";

const WIDTH = 1200;
const LABEL = 220;
const LANE = 44;
const AXIS = 40;
const STRIP = 70;
/** The bar colours, as app.css has them (--bar-1 to --bar-4), for exported pictures. */
export const COLOURS = ["#2f6f8f", "#7a5cc2", "#a8591f", "#2f7a4b"];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** The picture's size in pixels for a view. */
export function pictureSize(view: TimelineView): { width: number; height: number } {
  return { width: WIDTH, height: 60 + AXIS + view.lanes.length * LANE + STRIP + (view.cost ? 50 : 20) };
}

/** A standalone SVG of the customer's day. */
export function timelineSvg(view: TimelineView): string {
  const { width, height } = pictureSize(view);
  const track = WIDTH - LABEL - 20;
  const x = (seconds: number) => LABEL + (percentOf(seconds, view.day_length_seconds) / 100) * track;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Segoe UI, sans-serif">`);
  out.push(`<defs><pattern id="beyond" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#ffffff" fill-opacity="0.45"/></pattern></defs>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="32" font-size="20" font-weight="700" fill="#1d2430">${escapeXml(view.customer.name)}</text>`);
  out.push(`<text x="20" y="52" font-size="12" fill="#5d6878">${escapeXml(`${view.date} · ${view.zone} · axis from ${view.axis_start} · ${view.day_length_seconds / 3600} h`)}</text>`);
  const top = 60;
  view.ticks.forEach((tick, i) => {
    const tx = x(tick.offset_seconds);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${top + AXIS - 6}" y2="${top + AXIS + view.lanes.length * LANE}" stroke="#dfe3ea"/>`);
    if (i % 2 === 0) out.push(`<text x="${tx}" y="${top + AXIS - 12}" font-size="11" text-anchor="middle" fill="#5d6878">${escapeXml(tick.label)}</text>`);
  });
  view.lanes.forEach((lane, i) => {
    const y = top + AXIS + i * LANE;
    out.push(`<text x="20" y="${y + 20}" font-size="13" font-weight="700" fill="#1d2430">${escapeXml(lane.name)}</text>`);
    out.push(`<text x="20" y="${y + 36}" font-size="11" fill="#5d6878">${escapeXml(`${count(lane.seats, "seat")} · ${lane.window} ${lane.zone}`)}</text>`);
    const colour = COLOURS[Math.abs(lane.origin) % COLOURS.length]!;
    for (const piece of lane.pieces) {
      const left = x(piece.from_seconds);
      const w = Math.max(x(piece.to_seconds) - left, 1);
      out.push(`<rect class="bar" x="${left}" y="${y + 6}" width="${w}" height="${LANE - 12}" rx="5" fill="${colour}"><title>${escapeXml(`${lane.name}: ${lane.window}`)}</title></rect>`);
      if (piece.limit_reached_at !== null && piece.limit_reached_at < piece.to_seconds) {
        const from = x(Math.max(piece.limit_reached_at, piece.from_seconds));
        out.push(`<rect x="${from}" y="${y + 6}" width="${x(piece.to_seconds) - from}" height="${LANE - 12}" fill="url(#beyond)"/>`);
      }
      if (w > 80) out.push(`<text x="${left + 8}" y="${y + 27}" font-size="12" fill="#ffffff">${escapeXml(`${count(lane.seats, "seat")} · ${lane.window}`)}</text>`);
    }
  });
  const stripTop = top + AXIS + view.lanes.length * LANE + 10;
  out.push(`<text x="20" y="${stripTop + 20}" font-size="13" font-weight="700" fill="#1d2430">Coverage</text>`);
  out.push(`<text x="20" y="${stripTop + 36}" font-size="11" fill="#5d6878">peak ${count(view.peak, "seat")}</text>`);
  for (const q of view.quarter_hours) {
    const left = x(q.from_seconds);
    const w = Math.max(x(q.to_seconds) - left - 0.5, 0.5);
    const h = view.peak > 0 ? (q.seats / view.peak) * (STRIP - 20) : 0;
    const fill = q.seats === 0 ? "#d9534f" : q.license_count > 1 ? "#2f6f8f" : "#8fb3c7";
    const height = q.seats === 0 ? 6 : h;
    out.push(`<rect x="${left}" y="${stripTop + STRIP - 10 - height}" width="${w}" height="${height}" fill="${fill}"/>`);
  }
  if (view.cost) {
    // One line per currency: amounts in different currencies are never added together.
    const lines = view.cost.totals.map((t) => `Time-fenced ${t.fenced} a day against ${t.baseline} traditional (saves ${t.savings}): ${t.formulas.join(" + ")}`);
    lines.push(...view.cost.missing_prices.map((m) => `No price for ${m.product}: left out`));
    lines.slice(0, 2).forEach((line, i) => {
      out.push(`<text x="20" y="${height - 20 - (lines.length > 1 ? 16 * (1 - i) : 0)}" font-size="13" fill="#1d2430">${escapeXml(line)}</text>`);
    });
  }
  out.push(`</svg>`);
  return out.join("\n");
}

/** The SVG rendered to a PNG, as base64 (for the save command). */
export async function timelinePngBase64(view: TimelineView, scale = 2): Promise<string> {
  const svg = timelineSvg(view);
  const { width, height } = pictureSize(view);
  const image = new Image();
  image.width = width;
  image.height = height;
  const loaded = new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error("the timeline picture could not be drawn"));
  });
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await loaded;
  const canvas = document.createElement("canvas");
  canvas.width = width * scale;
  canvas.height = height * scale;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no canvas to draw the picture on");
  context.scale(scale, scale);
  context.drawImage(image, 0, 0, width, height);
  return canvas.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
}

/** A file name for a picture of a customer's day: `Northwind-BPO-2024-06-12.svg`. */
export function pictureName(view: TimelineView, extension: "svg" | "png"): string {
  const stem = view.customer.name.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "");
  return `${stem}-${view.date}.${extension}`;
}
