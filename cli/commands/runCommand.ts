import { dirname, join } from "node:path";
import { formatNs } from "../../shared/scenario/duration.ts";
import { writeFileSync } from "node:fs";
import { writeTraceFile } from "../../trace/traceFile.ts";
import { auditLogFile } from "../../runtime/audit/audit.ts";
import { formatAudit } from "../../runtime/audit/formatAudit.ts";
import { renderAuditHtml } from "../../runtime/audit/html/renderAuditHtml.ts";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { formatFramesReport, framesReportOfLog } from "../../runtime/frames/framesLog.ts";
import { runEmbedded, runIdOf, type RunSummary } from "../../runtime/embeddedRun.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { createProgress } from "../progress.ts";
import { wallClock } from "../wallClock.ts";

/** Options of `tyrsim run`. */
export interface RunCommandOptions {
  readonly seed?: number;
  readonly out?: string;
  readonly json?: boolean;
  readonly nats?: string;
  /** With `nats`: serve remote clients and hold virtual time while they are attached. */
  readonly clients?: boolean;
  /** Write the Perfetto trace beside the log (default true). */
  readonly trace?: boolean;
}

/** `tyrsim run <scenario>`: run on the embedded runtime, print a summary (or JSON), write the run folder. */
export async function runCommand(file: string, opts: RunCommandOptions): Promise<number> {
  const loaded = loadScenarioFile(file, createCatalogue());
  const progress = createProgress(`run ${loaded.scenario.name}`, loaded.scenario.duration);
  if (opts.clients === true && opts.nats === undefined) throw new Error("--clients needs --nats <url>: remote clients reach the run over NATS");
  const external = opts.nats === undefined ? undefined : await connectNats(opts.nats);
  if (external !== undefined && opts.clients === true) {
    process.stderr.write(`waiting for clients on tyrsim.${runIdOf(loaded.scenario, opts.seed ?? loaded.scenario.seed)}.ctl.client (virtual time holds until one attaches)\n`);
  }
  const started = wallClock();
  const summary = await runEmbedded({
    loaded,
    ...(external !== undefined ? { external } : {}),
    ...(external !== undefined && opts.clients === true ? { clients: { onClient: (c: string, op: string) => process.stderr.write(`client ${c}: ${op}ed\n`) } } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.out !== undefined ? { outDir: opts.out } : {}),
    onProgress: (t, n) => progress.update(t, n),
  });
  progress.stop();
  const wallMs = wallClock() - started;
  await external?.close();
  const tracePath = opts.trace === false ? undefined : join(dirname(summary.log), "trace.json");
  if (tracePath !== undefined) writeTraceFile(summary.log, tracePath, { compact: false });
  // The audit beside the log: the report as text, as JSON for tools and as an HTML page.
  const audit = auditLogFile(summary.log);
  const auditPath = join(dirname(summary.log), "audit.txt");
  writeFileSync(auditPath, formatAudit(audit));
  writeFileSync(join(dirname(summary.log), "audit.json"), JSON.stringify(audit, null, 2) + "\n");
  const auditHtmlPath = join(dirname(summary.log), "audit.html");
  writeFileSync(auditHtmlPath, renderAuditHtml(audit));
  // The frames report of game-like workloads: printed, and kept in summary.json.
  const frames = framesReportOfLog(summary.log);
  if (frames !== undefined) writeFileSync(join(dirname(summary.log), "summary.json"), JSON.stringify({ ...summary, frames }, null, 2) + "\n");
  if (opts.json === true) {
    process.stdout.write(JSON.stringify(frames === undefined ? summary : { ...summary, frames }, null, 2) + "\n");
  } else {
    process.stdout.write(
      formatSummary(summary, wallMs) +
        (frames !== undefined ? formatFramesReport(frames) : "") +
        (tracePath !== undefined ? `  trace:        ${tracePath} (open at https://ui.perfetto.dev)\n` : "") +
        `  audit:        ${auditPath} (${audit.invariants.violations.length} invariant violations)\n` +
        `  audit page:   ${auditHtmlPath} (timeline picture; open in a browser)\n`,
    );
  }
  return summary.actorFailures > 0 ? 1 : 0;
}

/** The human summary of a run. */
export function formatSummary(s: RunSummary, wallMs: number): string {
  const rate = wallMs > 0 ? Math.round((s.events / wallMs) * 1000) : 0;
  const speed = wallMs > 0 ? (s.virtualTimeNs / 1e6 / wallMs).toFixed(1) : "∞";
  const top = Object.entries(s.eventsByType)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 8)
    .map(([t, n]) => `    ${t.padEnd(28)} ${n}`)
    .join("\n");
  return [
    `tyrsim run ${s.run}  (scenario ${s.scenario}, seed ${s.seed}, model ${s.model})`,
    `  ended:        ${s.reason} at ${formatNs(s.virtualTimeNs)} virtual`,
    `  events:       ${s.events} (${rate}/s, ${speed}× real time, ${wallMs.toFixed(0)} ms wall)`,
    `  energy:       ${(s.energyJoules * 1000).toFixed(3)} mJ`,
    `  digest:       ${s.digest}`,
    `  log:          ${s.log}`,
    `  rejected:     ${s.rejected}   actor failures: ${s.actorFailures}`,
    `  by type:`,
    top,
    "",
  ].join("\n");
}

async function connectNats(url: string) {
  const { connectNatsTransport } = await import("../../shared/bus/natsTransport.ts");
  return connectNatsTransport({ servers: url, name: "tyrsim-run", waitOnFirstConnect: false });
}
