import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { editLog, find, runLogged, type LoggedRun } from "../../../test/support/auditRuns.ts";
import { auditLogFile } from "../audit.ts";
import type { AuditReport } from "../auditReport.ts";
import { formatAudit } from "../formatAudit.ts";
import { esc } from "./escape.ts";
import { pictureLanes } from "./pictureLanes.ts";
import { causeWindow, renderAuditHtml } from "./renderAuditHtml.ts";
import { renderTimelineSvg } from "./timelineSvg.ts";

const count = (html: string, re: RegExp) => html.match(re)?.length ?? 0;
const HOSTILE = `<img src=x onerror="alert(1)">'&</svg><script>alert(2)</script>`;

describe("esc", () => {
  it("escapes the five characters that can end text or a quoted attribute", () => {
    expect(esc(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&#39;");
    expect(esc(42)).toBe("42");
  });
});

describe("the audit page of a run with a hung job and a shader fault", () => {
  let run: LoggedRun;
  let report: AuditReport;
  let html: string;
  beforeAll(async () => {
    run = await runLogged({ file: "scenarios/job-faults.yaml" });
    report = auditLogFile(run.log);
    html = renderAuditHtml(report);
  }, 60_000);

  it("draws the hung job as a span open to the end of the log on every core it holds, highlighted as the likely cause's symptom", () => {
    const lanes = pictureLanes(report);
    const hung = lanes.filter((l) => l.id.startsWith("gpu0.core.")).flatMap((l) => l.marks.filter((m) => m.kind === "job-hung"));
    // job-faults runs hang-1 on cores 0x50005: four cores
    expect(hung.map((m) => [m.endNs, m.chain, m.label])).toEqual(Array(4).fill([null, true, "job hang-1 (AS1, compute) hung"]));
    expect(count(html, /class="mark job-hung on-chain open"/g)).toBe(4);
  });

  it("has a lane per GPU block and report list, in order, and one mark per timeline mark", () => {
    const lanes = pictureLanes(report);
    expect(lanes.map((l) => l.id)).toEqual([
      "chain", "gpu0.faults", "gpu0.failures", "gpu0.power.l2", "gpu0.power.shader", "gpu0.mcu.mcu", "gpu0.reset.reset",
      "gpu0.core.0", "gpu0.core.2", "gpu0.core.16", "gpu0.core.18",
    ]);
    const svg = renderTimelineSvg(report);
    expect(count(svg, /<g class="lane"/g)).toBe(lanes.length);
    expect(count(svg, /class="mark /g)).toBe(lanes.reduce((n, l) => n + l.marks.length, 0));
    // the chain lane links the fault's input to the hung job's start
    const chain = lanes[0]!.marks.map((m) => m.label.split(" ")[1]);
    expect(chain).toEqual(report.verdict.likelyCause!.chain.map((r) => r.type));
    expect(svg).toContain('<polyline class="chain-link"');
  });

  it("shows every section of the text report: verdict, faults, failures with their state and cause, invariants", () => {
    expect(html).toContain(esc(report.verdict.summary));
    for (const f of report.faults) expect(html).toContain(`<code>${esc(f.id)}</code>`);
    for (const f of report.failures) expect(html).toContain(esc(f.summary));
    for (const c of report.invariants.checked) expect(html).toContain(`<code>${c.name}</code>`);
    for (const p of report.invariants.pending) expect(html).toContain(`<code>${p.name}</code>`);
    for (const h of ["Faults injected", "What stopped or failed", "Recovery steps", "Invariants: "]) {
      expect(formatAudit(report)).toContain(h);
      expect(html).toContain(h);
    }
  });

  it("adds a picture zoomed on the likely cause when the chain is a small part of the run", () => {
    // given the same report for a run that went on to 100 ms (the chain, 1.3 → 2.5 ms, is ~1 % of it)
    expect(causeWindow(report)).toBeUndefined();
    const longer = { ...report, run: { ...report.run, endNs: 100_000_000 }, timeline: { ...report.timeline, endNs: 100_000_000 } };
    // then the zoom covers the chain with a quarter of its length on each side
    expect(causeWindow(longer)).toEqual({ fromNs: 1_000_000, toNs: 2_800_000 });
    const page = renderAuditHtml(longer);
    const zoomed = page.slice(page.indexOf('id="timeline-cause"'));
    expect(page).toContain("Around the likely cause: 1.000 ms → 2.800 ms");
    // and it draws only what overlaps the window: the hung job, not job ok-3 which started after it
    expect(count(zoomed, /class="mark job-hung on-chain open"/g)).toBe(4);
    expect(zoomed).not.toContain("job ok-3");
    expect(renderTimelineSvg(longer)).toContain("job ok-3");
  });

  it("is self-contained: no external script, stylesheet, image or fetch", () => {
    expect(html).not.toMatch(/<link|\ssrc=|@import|url\(|fetch\(|XMLHttpRequest/);
    expect(html.match(/https?:\/\/[^"\s]*/g)).toEqual(["http://www.w3.org/2000/svg"]);
    expect(html).toMatch(/default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/]+=*'/);
  });

  it("escapes log-derived text: a fault label with markup shows as text and adds no element", () => {
    // given the log with the hang fault's label replaced by markup, as anyone could edit it
    const input = find(run.events, "FaultInjected", (p) => p["label"] === "hang-1 never completes");
    const log = editLog(run.log, (es: Envelope[]) => es.map((e) => (e.id === input.id ? { ...e, payload: { ...(e.payload as object), label: HOSTILE } } : e)));
    // when its page is rendered
    const page = renderAuditHtml(auditLogFile(log));
    // then the label is there, escaped, and the page has exactly its own one script and svg
    expect(page).toContain(esc(HOSTILE));
    expect(page).not.toContain("<img");
    expect(count(page, /<script>/g)).toBe(1);
    expect(count(page, /<\/svg>/g)).toBe(1);
  });

  it("draws a broken invariant as a violation mark on its GPU's invariant lane", () => {
    // given the log with a job started on a core that was never powered
    const started = find(run.events, "JobStarted", (p) => p["job"] === "ok-1");
    const log = editLog(run.log, (es) => es.map((e) => (e.id === started.id ? { ...e, payload: { ...(e.payload as object), cores: 0x50007 } } : e)));
    const r = auditLogFile(log);
    // then the picture has the violation, at the time it became certain
    const lane = pictureLanes(r).find((l) => l.id === "gpu0.invariants");
    expect(lane?.marks.map((m) => [m.kind, m.startNs])).toEqual([["violation", started.timeNs]]);
    expect(renderAuditHtml(r)).toContain("✗ jobs-on-powered-cores");
  });
});
