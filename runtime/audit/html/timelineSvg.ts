import { formatNs } from "../../../shared/scenario/duration.ts";
import type { AuditReport } from "../auditReport.ts";
import { esc } from "./escape.ts";
import { pictureLanes, type PictureLane, type PictureMark } from "./pictureLanes.ts";

/** Geometry of the picture, in SVG user units (px). */
export const SVG_LAYOUT = { labelWidth: 220, plotWidth: 1000, laneHeight: 22, axisHeight: 28, ticks: 8 } as const;

const { labelWidth, plotWidth, laneHeight, axisHeight, ticks } = SVG_LAYOUT;
const fix = (n: number) => Math.round(n * 100) / 100;

/** The stretch of virtual time a picture shows. */
export interface TimeWindow {
  readonly fromNs: number;
  readonly toNs: number;
}

function markSvg(m: PictureMark, x: (t: number) => number, y: number, endNs: number): string {
  const cls = `mark ${m.kind}${m.chain ? " on-chain" : ""}${m.endNs === null ? " open" : ""}`;
  const when = m.point ? `@${formatNs(m.startNs)}` : `${formatNs(m.startNs)} → ${m.endNs === null ? "end of log (still open)" : formatNs(m.endNs)}`;
  const title = `<title>${esc(`#${m.seq} ${when}: ${m.label}`)}</title>`;
  const data = `data-seq="${m.seq}"`;
  if (m.point) {
    const cx = fix(x(m.startNs));
    const cy = y + laneHeight / 2;
    return `<path class="${cls}" ${data} d="M${cx} ${cy - 6}L${cx + 6} ${cy}L${cx} ${cy + 6}L${cx - 6} ${cy}Z">${title}</path>`;
  }
  const x0 = x(m.startNs);
  const x1 = x(m.endNs ?? endNs);
  return `<rect class="${cls}" ${data} x="${fix(x0)}" y="${y + 4}" width="${fix(Math.max(1.5, x1 - x0))}" height="${laneHeight - 8}" rx="2">${title}</rect>`;
}

function laneSvg(l: PictureLane, i: number, x: (t: number) => number, w: TimeWindow, endNs: number): string {
  const y = axisHeight + i * laneHeight;
  const shown = l.marks.filter((m) => m.startNs <= w.toNs && (m.endNs ?? endNs) >= w.fromNs);
  const more = l.dropped > 0 ? ` (+${l.dropped})` : "";
  const chainPath = l.id === "chain" && l.marks.length > 1
    ? `<polyline class="chain-link" points="${shown.map((m) => `${fix(x(m.startNs))},${y + laneHeight / 2}`).join(" ")}"/>`
    : "";
  return [
    `<g class="lane" data-lane="${esc(l.id)}" data-marks="${shown.length}">`,
    `<rect class="lane-bg${i % 2 === 0 ? " even" : ""}" x="0" y="${y}" width="${labelWidth + plotWidth + 10}" height="${laneHeight}"/>`,
    `<text class="lane-label" x="6" y="${y + laneHeight / 2 + 4}">${esc(l.label + more)}</text>`,
    chainPath,
    ...shown.map((m) => markSvg(m, x, y, endNs)),
    `</g>`,
  ].join("");
}

/**
 * The timeline picture of a report as inline SVG: a time axis over the run's virtual time (or over
 * `window`, marks outside it left out and spans cut at its edges), one
 * lane per GPU block ({@link pictureLanes}), jobs, power states, CSG slots and fences as spans,
 * faults, failures, recovery steps, resets and broken invariants as diamonds, each with a
 * `<title>` tooltip; the likely cause's chain drawn on its own lane and its events highlighted
 * (class `on-chain`) wherever they appear. Every log-derived string is escaped.
 */
export function renderTimelineSvg(r: AuditReport, window?: TimeWindow, id = "timeline"): string {
  const lanes = pictureLanes(r);
  const endNs = Math.max(1, r.timeline.endNs, r.run.endNs);
  const w = window ?? { fromNs: 0, toNs: endNs };
  const span = Math.max(1, w.toNs - w.fromNs);
  const x = (t: number) => labelWidth + ((Math.min(Math.max(t, w.fromNs), w.toNs) - w.fromNs) / span) * plotWidth;
  const height = axisHeight + lanes.length * laneHeight + 8;
  const width = labelWidth + plotWidth + 10;
  const axis = Array.from({ length: ticks + 1 }, (_, k) => {
    const t = w.fromNs + (span * k) / ticks;
    const tx = fix(x(t));
    const anchor = k === 0 ? "start" : k === ticks ? "end" : "middle";
    return `<line class="tick" x1="${tx}" y1="${axisHeight - 6}" x2="${tx}" y2="${height}"/><text class="tick-label" x="${tx}" y="${axisHeight - 10}" text-anchor="${anchor}">${esc(formatNs(Math.round(t)))}</text>`;
  }).join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" id="${esc(id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of the run over virtual time">`,
    `<g class="axis">${axis}</g>`,
    ...lanes.map((l, i) => laneSvg(l, i, x, w, endNs)),
    `</svg>`,
  ].join("\n");
}
