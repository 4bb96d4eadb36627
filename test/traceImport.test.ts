import { describe, expect, it } from "vitest";
import { importChromeTrace } from "./support/traceImport.ts";

const names = [
  { ph: "M", pid: 1, name: "process_name", args: { name: "gpu0" } },
  { ph: "M", pid: 1, tid: 10, name: "thread_name", args: { name: "core 0" } },
];
const check = (...events: object[]) => importChromeTrace(JSON.stringify({ traceEvents: [...names, ...events], displayTimeUnit: "ns" })).errors;

describe("the Chrome trace checker (what Perfetto's JSON importer accepts)", () => {
  it("accepts the minimal GPU example of ecosystem.md E.1 and links its v2 flow", () => {
    const t = importChromeTrace(JSON.stringify({
      displayTimeUnit: "ns",
      traceEvents: [
        { ph: "M", pid: 1, name: "process_name", args: { name: "gpu0" } },
        { ph: "M", pid: 1, tid: 10, name: "thread_name", args: { name: "sched-gfx" } },
        { ph: "M", pid: 2, name: "process_name", args: { name: "app" } },
        { ph: "M", pid: 2, tid: 20, name: "thread_name", args: { name: "app:submit" } },
        { ph: "X", pid: 2, tid: 20, ts: 1.0, dur: 0.2, name: "drm_sched_job_queue", cat: "drm_sched", args: { fence: "5:42" }, bind_id: "0x2a", flow_out: true },
        { ph: "X", pid: 1, tid: 10, ts: 3.5, dur: 250, name: "job", cat: "drm_sched", args: { fence: "5:42" }, bind_id: "0x2a", flow_in: true },
        { ph: "C", pid: 1, ts: 3.5, name: "sched-gfx", args: { hw_job_count: 1, job_count: 0 } },
        { ph: "i", pid: 1, tid: 10, ts: 253.5, s: "t", name: "dma_fence_signaled", args: { context: 5, seqno: 42 } },
      ],
    }));
    expect(t.errors).toEqual([]);
    expect(t.flows.map((f) => [f.from.name, f.to.name])).toEqual([["drm_sched_job_queue", "job"]]);
    expect(t.counters.get("gpu0/sched-gfx hw_job_count")).toEqual([{ tsNs: 3500, value: 1 }]);
  });

  it("reports slices that overlap on one track without nesting", () => {
    expect(check({ ph: "X", pid: 1, tid: 10, ts: 0, dur: 10, name: "a" }, { ph: "X", pid: 1, tid: 10, ts: 5, dur: 10, name: "b" })).toEqual([
      expect.stringContaining("overlaps a [0, 10000] without nesting"),
    ]);
  });

  it("reports an E with no B, a B never closed, and a zero-length B/E pair (the sorter puts its E first)", () => {
    expect(check({ ph: "E", pid: 1, tid: 10, ts: 1 })).toEqual([expect.stringContaining("E with no open B")]);
    expect(check({ ph: "B", pid: 1, tid: 10, ts: 1, name: "job" })).toEqual([expect.stringContaining("never closed")]);
    expect(check({ ph: "B", pid: 1, tid: 10, ts: 2, name: "read" }, { ph: "E", pid: 1, tid: 10, ts: 2 })).toEqual([
      expect.stringContaining("E with no open B"), expect.stringContaining("never closed"),
    ]);
  });

  it("reports missing fields, non-numeric counters and v2 flow fields on a phase that drops them", () => {
    expect(check({ ph: "B", pid: 1, ts: 1, name: "job" })).toEqual([expect.stringContaining("needs a tid")]);
    expect(check({ ph: "C", pid: 1, ts: 1, name: "freq", args: { MHz: "fast" } })).toEqual([expect.stringContaining("counter value MHz must be a finite number")]);
    expect(check({ ph: "i", pid: 1, tid: 10, ts: 1, s: "t", name: "x", bind_id: "0x1", flow_out: true })).toEqual([expect.stringContaining("bind_id is ignored on ph i")]);
    expect(check({ ph: "X", pid: 1, tid: 10, ts: -1, dur: 1, name: "x" })).toEqual([expect.stringContaining("ts must be a number ≥ 0")]);
  });

  it("reports a duration Perfetto's sorter and parser read as different nanoseconds", () => {
    expect(check({ ph: "X", pid: 1, tid: 10, ts: 0, dur: 1.001, name: "x" })).toEqual([expect.stringContaining("dur 1.001 reads as 1001 ns in the sorter but 1000 ns in the parser")]);
  });

  it("reports flows that end before they start, start twice, or have no slice to bind", () => {
    const x = (ts: number, flow: object) => ({ ph: "X", pid: 1, tid: 10, ts, dur: 0, name: `x${ts}`, bind_id: "0x100000001", ...flow });
    expect(check(x(1, { flow_in: true }), x(2, { flow_out: true }))).toEqual([expect.stringContaining("flow_in on bind_id 0x100000001 before its flow_out")]);
    expect(check(x(1, { flow_out: true }), x(2, { flow_out: true }))).toEqual([expect.stringContaining("started twice")]);
    expect(check({ ph: "f", pid: 1, tid: 10, ts: 1, id: 1, bp: "e", name: "cause", cat: "flow" })).toEqual([expect.stringContaining("no enclosing slice")]);
  });

  it("reports a v2 bind_id in the range Perfetto numbers v1 flows in", () => {
    expect(check(
      { ph: "i", pid: 1, tid: 10, ts: 1, s: "t", name: "a" }, { ph: "s", pid: 1, tid: 10, ts: 1, id: 7, name: "cause", cat: "flow" },
      { ph: "X", pid: 1, tid: 10, ts: 2, dur: 0, name: "b", bind_id: "0x0", flow_out: true },
    )).toEqual([expect.stringContaining("bind_id 0 collides")]);
  });

  it("reports a track without a thread_name", () => {
    expect(check({ ph: "i", pid: 1, tid: 11, ts: 1, s: "t", name: "x" })).toEqual([expect.stringContaining("track 1/11 of slice x has no thread_name")]);
  });
});
