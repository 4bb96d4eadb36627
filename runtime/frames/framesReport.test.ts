import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { FramesReducer } from "./framesReport.ts";

let seq = 0;
const ev = (type: string, timeNs: number, payload: Record<string, unknown>, source = "x"): Envelope =>
  ({ id: `${source}:${seq}`, run: "r", seq: seq++, timeNs, depth: 0, source, subject: `tyrsim.r.${source}`, type, cause: null, payload }) as Envelope;
const MS = 1_000_000;

describe("the frames report", () => {
  it("counts each client's frames, skips and latencies, and the jobs, energy and DVFS of the run", () => {
    const r = new FramesReducer();
    const log = [
      ev("FrameSubmitted", 10 * MS, { client: "wl0.a", frame: 1, vsyncNs: 10 * MS }),
      ev("FrameSubmitted", 10 * MS, { client: "wl0.b", frame: 1, vsyncNs: 10 * MS }),
      ev("JobFenceSignalled", 12 * MS, { error: 0 }),
      ev("JobFenceSignalled", 13 * MS, { error: -22 }),
      ev("FrameCompleted", 14 * MS, { client: "wl0.a", frame: 1, latencyNs: 4 * MS }),
      ev("FrameSkipped", 20 * MS, { client: "wl0.b", vsyncNs: 20 * MS }),
      ev("DevfreqTransition", 50 * MS, { from: 1, to: 2, load: 0.5 }),
      ev("FrequencyChanged", 50 * MS, { hz: 2, microvolt: 1 }),
      ev("FrameCompleted", 60 * MS, { client: "wl0.b", frame: 1, latencyNs: 50 * MS }),
      ev("WorkloadFailed", 60 * MS, { client: "wl0.b", step: "GROUP_SUBMIT", ret: -22 }),
      ev("EnergyReported", 70 * MS, { totalJoules: 0.5 }, "gpu0.pwr"),
      ev("EnergyReported", 80 * MS, { totalJoules: 2 }, "gpu0.pwr"),
    ];
    log.forEach((e) => r.add(e));
    const rep = r.report();
    expect(rep.clients.map((c) => [c.client, c.submitted, c.completed, c.skipped, c.failed])).toEqual([["wl0.a", 1, 1, 0, 0], ["wl0.b", 1, 1, 1, 1]]);
    expect(rep.clients[1]!.latencyNs.max).toBe(50 * MS);
    expect([rep.framesSubmitted, rep.framesCompleted, rep.framesSkipped]).toEqual([2, 2, 1]);
    expect(rep.latencyNs.p50).toBe(4 * MS);
    expect(rep.latencyNs.p99).toBe(50 * MS);
    expect(rep.jobsCompleted).toBe(1);
    // one job over the 50 ms from the first vsync to the last completion
    expect(rep.jobsPerSecond).toBeCloseTo(20, 6);
    expect(rep.energyJoules).toBe(2);
    expect(rep.framesPerJoule).toBe(1);
    expect([rep.dvfsTransitions, rep.devfreqTransitions, rep.events, rep.virtualTimeNs]).toEqual([1, 1, log.length, 80 * MS]);
  });

  it("has no frames for a log without frame events", () => {
    const r = new FramesReducer();
    r.add(ev("FrequencyChanged", 1, { hz: 1, microvolt: 1 }));
    expect(r.hasFrames).toBe(false);
  });
});
