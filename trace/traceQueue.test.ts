import { describe, expect, it } from "vitest";
import type { TraceEvent } from "./traceEvent.ts";
import { TraceQueue } from "./traceQueue.ts";

const b = (name: string, ts: number, tid = 1): TraceEvent => ({ ph: "B", name, cat: "t", pid: 1, tid, ts: ts / 1000, args: {} });
const i = (name: string, ts: number, tid = 1): TraceEvent => ({ ph: "i", name, cat: "t", pid: 1, tid, ts: ts / 1000, s: "t", args: {} });

function queue(capacity: number) {
  const out: TraceEvent[] = [];
  return { q: new TraceQueue((e) => out.push(e), capacity), out };
}

describe("the trace output window", () => {
  it("writes a slice that ends in the instant it began as one zero-duration X carrying the end's args", () => {
    const { q, out } = queue(8);
    const s = q.push(b("read", 5), 5);
    q.end(s, 5, { value: "0x1" });
    q.flushAll();
    expect(out).toEqual([{ ph: "X", name: "read", cat: "t", pid: 1, tid: 1, ts: 0.005, dur: 0, args: { value: "0x1" } }]);
  });

  it("writes B then E for a slice that spans instants", () => {
    const { q, out } = queue(8);
    const s = q.push(b("job", 5), 5);
    q.advance(10);
    q.end(s, 10, { runNs: 5 });
    q.flushAll();
    expect(out.map((e) => [e.ph, e.name, e.ts])).toEqual([["B", "job", 0.005], ["E", "job", 0.01]]);
  });

  it("holds an open slice of the current instant beyond its capacity, so it can still become an X", () => {
    const { q, out } = queue(1);
    q.advance(5);
    const s = q.push(b("burst", 5), 5);
    q.push(i("a", 5), 5);
    q.push(i("b", 5), 5);
    expect(out).toEqual([]);
    q.end(s, 5);
    q.advance(6);
    q.flushAll();
    expect(out.map((e) => [e.ph, e.name])).toEqual([["X", "burst"], ["i", "a"], ["i", "b"]]);
  });

  it("draws a cause flow from one cause to each of its effects, as an s after the cause and an f after each effect", () => {
    const { q, out } = queue(8);
    const cause = q.push(i("request", 1), 1);
    q.register("scenario:0", cause);
    for (const name of ["started", "done"]) q.link("scenario:0", q.push(b(name, 2, 2), 2));
    q.flushAll();
    expect(out.map((e) => [e.ph, e.name, e.tid, e.id, e.bp])).toEqual([
      ["i", "request", 1, undefined, undefined], ["s", "cause", 1, 1, undefined],
      ["B", "started", 2, undefined, undefined], ["f", "cause", 2, 1, "e"],
      ["B", "done", 2, undefined, undefined], ["f", "cause", 2, 1, "e"],
    ]);
    expect(q.flows).toBe(2);
  });

  it("draws no cause flow once the cause has left the window", () => {
    const { q, out } = queue(2);
    q.register("a:0", q.push(i("cause", 1), 1));
    q.advance(2);
    for (const n of ["x", "y", "z"]) q.push(i(n, 2), 2);
    expect(q.link("a:0", q.push(i("effect", 3), 3))).toBe(false);
    q.flushAll();
    expect(out.filter((e) => e.ph === "s" || e.ph === "f")).toEqual([]);
  });

  it("draws no cause flow back to an event produced before its cause, whose f would precede the s", () => {
    const { q, out } = queue(8);
    const burst = q.push(i("burst", 1), 1);
    q.register("irq:0", q.push(i("irq", 1), 1));
    expect(q.link("irq:0", burst)).toBe(false);
    expect(q.link("irq:0", q.push(i("after", 1), 1))).toBe(true);
    q.flushAll();
    expect(out.map((e) => [e.ph, e.name])).toEqual([["i", "burst"], ["i", "irq"], ["s", "cause"], ["i", "after"], ["f", "cause"]]);
  });
});
