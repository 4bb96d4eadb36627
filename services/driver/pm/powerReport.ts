/**
 * The power policy's report of a run, from its log alone: energy, frames and frames per joule,
 * frame latency, devfreq transitions and runtime suspends. Pure; a CLI summary or a test calls it
 * on the events of a run (`EnergyReported` is published when the run ends).
 */
import type { Envelope } from "../../../shared/events/envelope.ts";

/** Nearest-rank percentile of sorted values (0 for none). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** What a run did with its energy. */
export interface PowerRunReport {
  /** Energy of the whole GPU over the run (the last `EnergyReported`), J. */
  readonly energyJoules: number;
  /** Completed jobs — one per frame in the frame-loop loads. */
  readonly frames: number;
  readonly framesPerJoule: number;
  /** From `SubmissionPending` to the `JobCompleted` of the job named by its tag, ns (p50, p95, max). */
  readonly frameLatencyNs: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly devfreqTransitions: number;
  readonly suspends: number;
  readonly resumes: number;
  /** Mean `RuntimePmResumed.latencyNs` (0 without resumes). */
  readonly meanResumeLatencyNs: number;
}

/** Build the report from a run's events, in log order. */
export function powerRunReport(events: readonly Envelope[]): PowerRunReport {
  let energyJoules = 0;
  let frames = 0;
  let devfreqTransitions = 0;
  let suspends = 0;
  const resumeLatencies: number[] = [];
  const pendingAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const e of events) {
    const p = e.payload as Record<string, unknown>;
    switch (e.type) {
      case "EnergyReported":
        energyJoules = p["totalJoules"] as number;
        break;
      case "SubmissionPending":
        pendingAt.set(p["tag"] as string, e.timeNs);
        break;
      case "JobCompleted": {
        frames++;
        const at = pendingAt.get(p["job"] as string);
        if (at !== undefined) latencies.push(e.timeNs - at);
        break;
      }
      case "DevfreqTransition":
        devfreqTransitions++;
        break;
      case "RuntimePmSuspended":
        suspends++;
        break;
      case "RuntimePmResumed":
        resumeLatencies.push(p["latencyNs"] as number);
        break;
    }
  }
  latencies.sort((a, b) => a - b);
  const sum = resumeLatencies.reduce((a, b) => a + b, 0);
  return {
    energyJoules,
    frames,
    framesPerJoule: energyJoules > 0 ? frames / energyJoules : 0,
    frameLatencyNs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? 0 },
    devfreqTransitions,
    suspends,
    resumes: resumeLatencies.length,
    meanResumeLatencyNs: resumeLatencies.length === 0 ? 0 : Math.round(sum / resumeLatencies.length),
  };
}

/** Reports side by side as a markdown table, one row per named run. */
export function formatPowerComparison(rows: readonly { readonly name: string; readonly report: PowerRunReport }[]): string {
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  const lines = [
    "| policy | energy (J) | frames | frames/J | frame latency p50 / p95 / max (ms) | DVFS transitions | suspends | mean resume (µs) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { name, report: r } of rows) {
    const l = r.frameLatencyNs;
    lines.push(
      `| ${name} | ${r.energyJoules.toFixed(4)} | ${r.frames} | ${r.framesPerJoule.toFixed(1)} | ${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.max)} | ${r.devfreqTransitions} | ${r.suspends} | ${(r.meanResumeLatencyNs / 1000).toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}
