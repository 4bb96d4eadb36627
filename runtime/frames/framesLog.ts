/**
 * The frames report of a log file, and its text form for `tyrsim run` and `tyrsim compare`.
 */
import { JsonlLogReader } from "../../shared/log/jsonlLog.ts";
import { FramesReducer, type FramesReport } from "./framesReport.ts";

/** Stream a JSON-lines log through the {@link FramesReducer}; undefined when it has no frame events. */
export function framesReportOfLog(path: string): FramesReport | undefined {
  // The log was written by this tool: skip per-line schema validation, as replay and audit do.
  const reader = new JsonlLogReader(path, false);
  try {
    const r = new FramesReducer();
    for (let l = reader.nextLogged(); l !== undefined; l = reader.nextLogged()) r.add(l.event);
    return r.hasFrames ? r.report() : undefined;
  } finally {
    void reader.close();
  }
}

const ms = (ns: number): string => (ns / 1e6).toFixed(2);

/** The report as the lines `tyrsim run` prints. */
export function formatFramesReport(r: FramesReport): string {
  const rows = r.clients.map(
    (c) =>
      `    ${c.client.padEnd(14)} ${String(c.submitted).padStart(6)} ${String(c.completed).padStart(6)} ${String(c.skipped).padStart(6)}   ` +
      `${ms(c.latencyNs.p50)} / ${ms(c.latencyNs.p90)} / ${ms(c.latencyNs.p99)} / ${ms(c.latencyNs.max)}${c.failed > 0 ? "   FAILED" : ""}`,
  );
  return [
    `  frames:       ${r.framesCompleted} of ${r.framesSubmitted} completed, ${r.framesSkipped} vsyncs skipped; latency p50/p90/p99/max ${ms(r.latencyNs.p50)} / ${ms(r.latencyNs.p90)} / ${ms(r.latencyNs.p99)} / ${ms(r.latencyNs.max)} ms`,
    `    client         submit   done   skip   latency p50 / p90 / p99 / max (ms)`,
    ...rows,
    `  jobs:         ${r.jobsCompleted} completed, ${r.jobsPerSecond.toFixed(1)}/s over the frames`,
    `  energy:       ${(r.energyJoules * 1000).toFixed(3)} mJ, ${r.framesPerJoule.toFixed(1)} frames/J`,
    `  DVFS:         ${r.dvfsTransitions} OPP changes (${r.devfreqTransitions} devfreq transitions)`,
    "",
  ].join("\n");
}
