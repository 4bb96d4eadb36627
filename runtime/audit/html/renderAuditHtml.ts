import { createHash } from "node:crypto";
import { formatNs } from "../../../shared/scenario/duration.ts";
import type { AuditReport } from "../auditReport.ts";
import { esc } from "./escape.ts";
import { headerHtml, sectionsHtml } from "./reportSections.ts";
import { renderTimelineSvg, type TimeWindow } from "./timelineSvg.ts";

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1d232a;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em;border-bottom:1px solid #d0d7de}
code{font:12px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}
.verdict{font-weight:600;padding:.4em .6em;border-radius:4px}.verdict.clean{background:#dcfce7}.verdict.failed{background:#fee2e2}
.likely-cause{border-left:4px solid #dc2626;padding:.2em .8em;margin:.6em 0}.likely-cause p{margin:.2em 0}.chain-text{font-family:ui-monospace,monospace;font-size:12px}
ul{padding-left:1.2em}li{margin:.35em 0}.kind{font-weight:600}.none,.note{color:#57606a}
table.invariants{border-collapse:collapse}table.invariants td{padding:.15em .5em;vertical-align:top}
tr.fail td:first-child{color:#b91c1c;font-weight:700}tr.ok td:first-child{color:#15803d}tr.pending td:first-child{color:#92400e}
.outcome.applied{color:#b91c1c}.outcome.rejected{color:#57606a}
h3{font-size:1em;margin:1em 0 .3em}.picture{overflow-x:auto;border:1px solid #d0d7de;border-radius:4px;padding:4px}
.timeline text{font:11px ui-monospace,monospace;fill:#1d232a}.tick{stroke:#e5e7eb}.tick-label{fill:#57606a}
.lane-bg{fill:#fff}.lane-bg.even{fill:#f6f8fa}
.mark{stroke:#0003;stroke-width:.5;cursor:pointer}.mark.open{stroke-dasharray:3 2;stroke:#000a}
.mark.on-chain{stroke:#dc2626;stroke-width:2.5}.chain-link{fill:none;stroke:#dc2626;stroke-width:1.5;stroke-dasharray:4 2}
.chain-only .mark:not(.on-chain){opacity:.15}
.legend span{display:inline-block;margin-right:1em;font-size:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:.3em;border:1px solid #0003}
#mark-info{font:12px ui-monospace,monospace;min-height:1.4em;margin:.4em 0}
`;

/** Each mark kind: its colour and the legend's words. */
const KINDS: readonly [kind: string, colour: string, legend: string][] = [
  ["job", "#60a5fa", "job"], ["job-faulted", "#f97316", "job faulted"], ["job-hung", "#dc2626", "job hung"],
  ["power-on", "#86efac", "power on"], ["power-trans", "#fde047", "in transition"], ["power-off", "#d1d5db", "off"],
  ["mcu", "#a5b4fc", "MCU status"], ["mcu-fatal", "#dc2626", "MCU fatal"],
  ["csg-running", "#93c5fd", "CSG running"], ["csg-suspended", "#cbd5e1", "CSG suspended"], ["csg-terminated", "#6b7280", "CSG terminated"],
  ["fence-ok", "#bbf7d0", "fence signalled"], ["fence-error", "#fb923c", "fence with error"], ["fence-pending", "#fca5a5", "fence pending"], ["reset", "#7c3aed", "reset"],
  ["fault-injected", "#e11d48", "fault injected"], ["fault-applied", "#fb7185", "fault applied"], ["failure", "#b91c1c", "failure"],
  ["recovery", "#059669", "recovery"], ["violation", "#facc15", "broken invariant"], ["chain", "#dc2626", "cause → symptom"], ["elided", "#e5e7eb", "marks left out"],
];
const KIND_CSS = KINDS.map(([k, c]) => `.${k}{fill:${c};background:${c}}`).join("");

/** The page's only script: click a mark for its details, dim what is off the chain, and say it ran (the headless check reads that). */
const SCRIPT = `(function(){
var info=document.getElementById("mark-info"),marks=document.querySelectorAll("svg.timeline .mark");
marks.forEach(function(m){m.addEventListener("click",function(){var t=m.querySelector("title");info.textContent=t?t.textContent:"";});});
var only=document.getElementById("chain-only");only.addEventListener("change",function(){document.body.classList.toggle("chain-only",only.checked);});
var s=document.getElementById("script-status");s.textContent="script ran: "+marks.length+" marks in "+document.querySelectorAll("svg.timeline .lane").length+" lanes";s.setAttribute("data-ok","1");
})();`;

/** The Content-Security-Policy hash of {@link SCRIPT}: only that script may run, even if something unescaped slipped into the page. */
const SCRIPT_HASH = `sha256-${createHash("sha256").update(SCRIPT).digest("base64")}`;

/**
 * The stretch of time from the likely cause's fault input to its symptom, widened by a quarter on
 * each side, when it is under a fifth of the run (otherwise the whole picture shows it well
 * enough): the second, zoomed picture.
 */
export function causeWindow(r: AuditReport): TimeWindow | undefined {
  const c = r.verdict.likelyCause;
  if (c === undefined) return undefined;
  const times = [...c.chain.map((x) => x.timeNs), c.symptom.timeNs];
  const from = Math.min(...times);
  const to = Math.max(...times);
  const endNs = Math.max(1, r.run.endNs);
  if (to - from > endNs / 5) return undefined;
  const pad = Math.max((to - from) / 4, 1000);
  return { fromNs: Math.max(0, from - pad), toNs: Math.min(endNs, to + pad) };
}

/**
 * The audit as one self-contained HTML page (`tyrsim audit --html`, `audit.html` beside a run's
 * log): the same report object the text and `--json` come from, rendered with inline CSS, inline
 * SVG and one small inline script — no network fetch. The timeline picture comes first, then every
 * section of the text report. All log-derived text is escaped (a log is untrusted input).
 */
export function renderAuditHtml(r: AuditReport): string {
  const zoom = causeWindow(r);
  return [
    `<!DOCTYPE html>`,
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'">`,
    `<title>tyrsim audit — ${esc(r.run.run)}</title><style>${CSS}${KIND_CSS}</style></head><body>`,
    headerHtml(r),
    `<section id="timeline-section"><h2>Timeline <span class="count">(virtual time; hover or click a mark)</span></h2>`,
    `<p class="legend">${KINDS.map(([k, , t]) => `<span><i class="${k}"></i>${esc(t)}</span>`).join("")}</p>`,
    `<label><input type="checkbox" id="chain-only"> show only the cause → symptom chain</label>`,
    `<div class="picture">${renderTimelineSvg(r)}</div><div id="mark-info"></div>`,
    ...(zoom === undefined ? [] : [
      `<h3>Around the likely cause: ${esc(formatNs(zoom.fromNs))} → ${esc(formatNs(zoom.toNs))}</h3>`,
      `<div class="picture">${renderTimelineSvg(r, zoom, "timeline-cause")}</div>`,
    ]),
    `</section>`,
    sectionsHtml(r),
    `<p id="script-status" class="note">script did not run</p>`,
    `<script>${SCRIPT}</script>`,
    `</body></html>`,
    ``,
  ].join("\n");
}
