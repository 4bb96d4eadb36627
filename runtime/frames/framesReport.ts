/**
 * The frames report of a run: one streaming pass over its log in constant memory (per client a
 * few counters and a {@link LatencyHistogram}). What a game benchmark reports — frames submitted,
 * completed and skipped per client, frame latency p50/p90/p99/max — plus what the driver and the
 * power side did for them: jobs completed per second, energy (the power controllers' last
 * `EnergyReported`), frames per joule, DVFS transitions (`FrequencyChanged`, the OPP changes, and
 * `DevfreqTransition`, the governor's decisions) and the number of events.
 */
import type { Envelope } from "../../shared/events/envelope.ts";
import { newHistogram, percentile, record, type LatencyHistogram } from "./latencyHistogram.ts";

/** One client's frames. */
export interface ClientFrames {
  readonly client: string;
  readonly submitted: number;
  readonly completed: number;
  readonly skipped: number;
  /** `WorkloadFailed` events (0 or 1: a client stops at its first failure). */
  readonly failed: number;
  /** Frame latency from vsync to completion, ns. */
  readonly latencyNs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

/** The whole report. */
export interface FramesReport {
  readonly clients: readonly ClientFrames[];
  readonly framesSubmitted: number;
  readonly framesCompleted: number;
  readonly framesSkipped: number;
  /** Latency over every client's frames. */
  readonly latencyNs: ClientFrames["latencyNs"];
  /** Job fences signalled without error (`JobFenceSignalled`). */
  readonly jobsCompleted: number;
  /** Jobs completed per second of virtual time from the first frame's vsync to the last completion. */
  readonly jobsPerSecond: number;
  /** Energy of every GPU at the end of the run, J. */
  readonly energyJoules: number;
  readonly framesPerJoule: number;
  /** OPP changes the power controllers made (`FrequencyChanged`). */
  readonly dvfsTransitions: number;
  /** The devfreq governor's decisions (`DevfreqTransition`). */
  readonly devfreqTransitions: number;
  readonly events: number;
  readonly virtualTimeNs: number;
}

interface ClientAcc {
  submitted: number;
  completed: number;
  skipped: number;
  failed: number;
  readonly hist: LatencyHistogram;
}

const summary = (h: LatencyHistogram): ClientFrames["latencyNs"] => ({
  p50: percentile(h, 50), p90: percentile(h, 90), p99: percentile(h, 99), max: h.max, mean: h.count === 0 ? 0 : Math.round(h.sum / h.count),
});

/** The streaming reducer: `add` every event in log order, then `report()`. */
export class FramesReducer {
  private readonly clients = new Map<string, ClientAcc>();
  private readonly all = newHistogram();
  private readonly energy = new Map<string, number>();
  private jobs = 0;
  private dvfs = 0;
  private devfreq = 0;
  private events = 0;
  private lastNs = 0;
  private firstVsyncNs = -1;
  private lastFrameNs = -1;

  private client(name: string): ClientAcc {
    let c = this.clients.get(name);
    if (c === undefined) this.clients.set(name, (c = { submitted: 0, completed: 0, skipped: 0, failed: 0, hist: newHistogram() }));
    return c;
  }

  /** Whether any frame event was seen (the report is only printed then). */
  get hasFrames(): boolean {
    return this.clients.size > 0;
  }

  /** Note one event. */
  add(e: Envelope): void {
    this.events++;
    this.lastNs = e.timeNs;
    const p = e.payload as Record<string, unknown>;
    switch (e.type) {
      case "FrameSubmitted": {
        this.client(p["client"] as string).submitted++;
        const v = p["vsyncNs"] as number;
        if (this.firstVsyncNs < 0 || v < this.firstVsyncNs) this.firstVsyncNs = v;
        break;
      }
      case "FrameSkipped":
        this.client(p["client"] as string).skipped++;
        break;
      case "FrameCompleted": {
        const c = this.client(p["client"] as string);
        c.completed++;
        record(c.hist, p["latencyNs"] as number);
        record(this.all, p["latencyNs"] as number);
        this.lastFrameNs = e.timeNs;
        break;
      }
      case "WorkloadFailed":
        this.client(p["client"] as string).failed++;
        break;
      case "JobFenceSignalled":
        if (p["error"] === 0) this.jobs++;
        break;
      case "EnergyReported":
        this.energy.set(e.source, p["totalJoules"] as number);
        break;
      case "FrequencyChanged":
        this.dvfs++;
        break;
      case "DevfreqTransition":
        this.devfreq++;
        break;
    }
  }

  /** The report so far. */
  report(): FramesReport {
    const clients = [...this.clients.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([client, c]) => ({ client, submitted: c.submitted, completed: c.completed, skipped: c.skipped, failed: c.failed, latencyNs: summary(c.hist) }));
    const sum = (f: (c: ClientFrames) => number) => clients.reduce((n, c) => n + f(c), 0);
    const energyJoules = [...this.energy.values()].reduce((a, b) => a + b, 0);
    const windowNs = this.firstVsyncNs >= 0 && this.lastFrameNs > this.firstVsyncNs ? this.lastFrameNs - this.firstVsyncNs : 0;
    const completed = sum((c) => c.completed);
    return {
      clients,
      framesSubmitted: sum((c) => c.submitted),
      framesCompleted: completed,
      framesSkipped: sum((c) => c.skipped),
      latencyNs: summary(this.all),
      jobsCompleted: this.jobs,
      jobsPerSecond: windowNs === 0 ? 0 : (this.jobs * 1e9) / windowNs,
      energyJoules,
      framesPerJoule: energyJoules > 0 ? completed / energyJoules : 0,
      dvfsTransitions: this.dvfs,
      devfreqTransitions: this.devfreq,
      events: this.events,
      virtualTimeNs: this.lastNs,
    };
  }
}
