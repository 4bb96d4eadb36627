import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { importChromeTrace, type ImportedTrace } from "../test/support/traceImport.ts";
import { createTraceBuilder, type TraceOptions } from "./traceBuilder.ts";
import type { TraceEvent } from "./traceEvent.ts";

/** A log written by hand: events in order, ids `<source>:<seq>`. */
function log(...events: [timeNs: number, source: string, path: string, type: string, payload: unknown, cause?: string][]): Envelope[] {
  return events.map(([timeNs, source, path, type, payload, cause], seq) => ({
    id: `${source}:${seq}`, run: "t-1", seq, timeNs, depth: 0, source, subject: `tyrsim.t-1.${path}`, type, cause: cause ?? null, payload,
  }));
}

function trace(events: Envelope[], opts: TraceOptions = {}): ImportedTrace {
  const out: TraceEvent[] = [];
  const b = createTraceBuilder((e) => out.push(e), opts);
  for (const e of events) b.push(e);
  b.finish();
  const t = importChromeTrace(JSON.stringify({ traceEvents: out, displayTimeUnit: "ns" }));
  expect(t.errors).toEqual([]);
  return t;
}

const started = (job: string, cores: number) => ({ job, as: 1, kind: "compute", cores, hz: 300_000_000, durationNs: 100 });
const done = (job: string, cores: number) => ({ job, as: 1, cores, cycles: 10, runNs: 100 });
const on = (t: ImportedTrace, track: string) => t.slices.filter((s) => s.track === track).map((s) => [s.name, s.tsNs, s.durNs]);

describe("the trace builder", () => {
  it("puts a job that shares a core with a running job on a second lane of that core", () => {
    // given two jobs on core 0 whose runs overlap without nesting
    const t = trace(log(
      [0, "gpu0.shader", "gpu0.shader.job", "JobStarted", started("a", 0x1)],
      [50, "gpu0.shader", "gpu0.shader.job", "JobStarted", started("b", 0x1)],
      [100, "gpu0.shader", "gpu0.shader.job", "JobCompleted", done("a", 0x1)],
      [150, "gpu0.shader", "gpu0.shader.job", "JobCompleted", done("b", 0x1)],
    ));
    // then each lane holds one job, and both are named after the core
    expect(on(t, "core 0")).toEqual([["a", 0, 100]]);
    expect(on(t, "core 0 (2)")).toEqual([["b", 50, 100]]);
    expect(t.counters.get("gpu0/jobs running")?.map((c) => c.value)).toEqual([1, 2, 1, 0]);
  });

  it("draws an event type it does not know as an instant on its actor's track, payload as args", () => {
    const t = trace(log([7, "drv0", "drv0.jobqueue", "QueueThingHappened", { depth: 3 }]));
    expect(t.slices.map((s) => [s.process, s.track, s.name, s.durNs, s.args])).toEqual([
      ["host: driver, userspace, inputs", "drv0", "QueueThingHappened", 0, { depth: 3 }],
    ]);
  });

  it("places facts that name a CSG slot, a command stream, a queue or an address space on those tracks", () => {
    const t = trace(log(
      [1, "gpu0.fw", "gpu0.fw.csg.0.cs.1", "CsIdle", { csg: 0, cs: 1, extract: 64, pendingJobs: 0 }],
      [2, "gpu0.fw", "gpu0.fw.csg.2", "CsgEventRaised", { csg: 2, event: "IDLE" }],
      [3, "drv0", "drv0.jobqueue", "JobQueued", { group: 4, queue: 1 }],
      [4, "gpu0.mmu", "gpu0.mmu.translated", "TranslationStalled", { requester: "gpu0.shader", job: "j", as: 3, va: 0, lockStart: 0, lockSize: 4096 }],
    ));
    expect(t.slices.map((s) => [s.track, s.name])).toEqual([
      ["CSG 0 CS 1", "CsIdle"], ["CSG 2", "CsgEventRaised"], ["group 4 queue 1", "JobQueued"], ["AS3", "TranslationStalled"],
    ]);
  });

  it("keeps slices, counters, faults and inputs in a compact trace, and leaves out register accesses and generic instants", () => {
    const events = log(
      [0, "scenario", "gpu0.pwr.cmd", "PowerOnRequested", { domain: "l2", mask: 1 }],
      [0, "drv0", "gpu0.mmio", "MmioWriteIssued", { offset: 0x30, value: 1 }],
      [0, "drv0", "drv0.misc", "SomethingHappened", {}],
      [0, "gpu0.fw", "gpu0.fw.boot", "FirmwareCrashed", { reason: "injected", haltStatus: 1 }],
      [5, "gpu0.pwr", "gpu0.pwr.util", "DomainUtilisationReported", { domain: "shader", utilisation: 0.5 }],
    );
    const full = trace(events);
    const compact = trace(events, { compact: true });
    expect(full.slices.map((s) => s.name)).toEqual(["PowerOnRequested", "W GPU_CMD", "SomethingHappened", "FirmwareCrashed"]);
    expect(compact.slices.map((s) => s.name)).toEqual(["PowerOnRequested", "FirmwareCrashed"]);
    expect([...compact.counters.keys()]).toEqual(["gpu0/utilisation shader"]);
  });

  it("draws an event whose payload fails its schema generically, flagged with the failing field", () => {
    const t = trace(log([0, "gpu0.pwr", "gpu0.pwr.state", "PowerDomainChanged", { domain: "l3", ready: 1, trans: 0 }]));
    expect(t.slices.map((s) => [s.track, s.name, s.args.invalidPayload])).toEqual([["gpu0.pwr", "PowerDomainChanged", expect.stringMatching(/^domain: /)]]);
  });

  it("closes what is still open at the last event's time, marked unfinished", () => {
    const t = trace(log(
      [10, "gpu0.shader", "gpu0.shader.job", "JobStarted", { ...started("hung", 0x1), durationNs: undefined }],
      [30, "gpu0.pwr", "gpu0.pwr.state", "PowerDomainChanged", { domain: "l2", ready: 1, trans: 0 }],
      [90, "runtime", "sys.run.ended", "RunEnded", { reason: "idle", events: 3 }],
    ));
    expect(t.slices.filter((s) => s.durNs > 0).map((s) => [s.track, s.name, s.tsNs, s.durNs, s.args.unfinished])).toEqual([
      ["core 0", "hung", 10, 80, true],
      ["power l2", "on", 30, 60, true],
    ]);
  });

  it("marks a firmware job's dispatch on its command stream's track and flows it to the job and its end", () => {
    const t = trace(log(
      [0, "gpu0.fw", "gpu0.shader.dispatch", "JobDispatched", { job: "csg0.cs1.job1", as: 1, kind: "compute", coreMask: 1, cost: { cycles: 10 }, ranges: [] }],
      [0, "gpu0.shader", "gpu0.shader.job", "JobStarted", started("csg0.cs1.job1", 0x1)],
      [100, "gpu0.shader", "gpu0.shader.job", "JobCompleted", done("csg0.cs1.job1", 0x1)],
    ));
    expect(t.flows.filter((f) => f.version === 2).map((f) => [f.from.track, f.from.name, f.to.track, f.to.name])).toEqual([
      ["CSG 0 CS 1", "dispatch csg0.cs1.job1", "core 0", "csg0.cs1.job1"],
      ["core 0", "csg0.cs1.job1", "gpu0.shader", "csg0.cs1.job1 completed"],
    ]);
  });
});
