import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { ImportedTrace } from "../../test/support/traceImport.ts";
import { traceOf } from "../../test/support/traceRuns.ts";

/** A driver log written by hand: events of `drv0` in order, ids `drv0:<seq>`. */
function log(...events: [timeNs: number, path: string, type: string, payload: unknown][]): Envelope[] {
  return events.map(([timeNs, path, type, payload], seq) => ({
    id: `drv0:${seq}`, run: "t-1", seq, timeNs, depth: 0, source: path.split(".")[0]!, subject: `tyrsim.t-1.${path}`, type, cause: null, payload,
  }));
}

function trace(events: Envelope[]): ImportedTrace {
  const t = traceOf(events);
  expect(t.errors).toEqual([]);
  return t;
}

const ref = (job: string, seqno: number) => ({ file: 1, group: 2, queue: 0, job, seqno });
const submitted = (job: string, seqno: number) => ({ ...ref(job, seqno), fence: seqno, deps: [], credits: 16, streamAddr: 0x1000, streamSize: 24 });
const ring = (job: string, seqno: number) => ({ ...ref(job, seqno), ringStart: 0, insert: 128, ringSeqno: seqno, resident: true });
const signalled = (job: string, seqno: number, error = 0) => ({ ...ref(job, seqno), fence: seqno, error });
const on = (t: ImportedTrace, track: string) => t.slices.filter((s) => s.track === track).map((s) => [s.name, s.tsNs, s.durNs, s.depth]);
const Q = "drv0 file 1 group 2 queue 0";

describe("the driver queue tracks", () => {
  it("put a job submitted while another is in flight on a second lane of the queue, each slice holding its ring slice", () => {
    // given two jobs of one queue in flight together
    const t = trace(log(
      [0, "drv0.sched.job", "JobSubmitted", submitted("g2.q0.j1", 1)],
      [10, "drv0.sched.job", "JobRingWritten", ring("g2.q0.j1", 1)],
      [50, "drv0.sched.job", "JobSubmitted", submitted("g2.q0.j2", 2)],
      [60, "drv0.sched.job", "JobRingWritten", ring("g2.q0.j2", 2)],
      [100, "drv0.sched.job", "JobFenceSignalled", signalled("g2.q0.j1", 1)],
      [150, "drv0.sched.job", "JobFenceSignalled", signalled("g2.q0.j2", 2, -125)],
    ));
    // then each lane holds one job, its ring slice inside, and its signal after it
    expect(on(t, Q)).toEqual([["job g2.q0.j1", 0, 100, 0], ["on ring", 10, 90, 1], ["job g2.q0.j1 signalled", 100, 0, 0]]);
    expect(on(t, `${Q} (2)`)).toEqual([["job g2.q0.j2", 50, 100, 0], ["on ring", 60, 90, 1], ["job g2.q0.j2 -ECANCELED", 150, 0, 0]]);
    expect(t.flows.map((f) => [f.from.name, f.to.name])).toEqual([["job g2.q0.j1", "job g2.q0.j1 signalled"], ["job g2.q0.j2", "job g2.q0.j2 -ECANCELED"]]);
  });

  it("closes a job still in flight at the end of the log, marked unfinished, and keeps a flow without an end", () => {
    const t = trace(log(
      [0, "drv0.sched.job", "JobSubmitted", submitted("g2.q0.j1", 1)],
      [10, "drv0.sched.job", "JobRingWritten", ring("g2.q0.j1", 1)],
      [500, "drv0.sched.tick", "GpuActivityChanged", { busy: true, inFlight: 1 }],
    ));
    expect(on(t, Q)).toEqual([["job g2.q0.j1", 0, 500, 0], ["on ring", 10, 490, 1]]);
    expect(t.slices.filter((s) => s.track === Q).every((s) => s.args.unfinished === true)).toBe(true);
    expect(t.flows).toEqual([]);
  });

  it("draws a signal of a job it never saw submitted as an instant on the queue's track", () => {
    const t = trace(log([5, "drv0.sched.job", "JobFenceSignalled", signalled("g2.q0.j9", 9, -110)]));
    expect(t.slices.filter((s) => s.track === Q).map((s) => [s.name, s.cat, s.args.errnoName])).toEqual([["job g2.q0.j9 -ETIMEDOUT", "fault", "ETIMEDOUT"]]);
  });
});
