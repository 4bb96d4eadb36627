import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { gpuOf, gpuOfSubject } from "./eventRef.ts";

/** An event on `subject` with `payload`. */
const event = (subject: string, payload: unknown = {}): Envelope => ({
  id: "x:1", run: "t-1", seq: 1, timeNs: 0, depth: 0, source: "x", subject, type: "Something", cause: null, payload,
});

/** The rule `gpuOfSubject` replaces: the first token of the subject's path matched by a regex. */
const byRegex = (subject: string): number | undefined => {
  const m = /^tyrsim\.[^.]*\.(?:gpu|drv)(\d+)(?:\.|$)/.exec(subject);
  return m === null ? undefined : Number(m[1]);
};

describe("the GPU of an event", () => {
  it("reads gpu<N> or drv<N> at the head of the subject's path, and nothing else", () => {
    const subjects = [
      "tyrsim.r1.gpu0.mmu.fault", "tyrsim.r1.drv12.jobqueue.job.done", "tyrsim.r1.gpu3", "tyrsim.r1.gpu007.pwr",
      "tyrsim.r1.gpu.pwr", "tyrsim.r1.gpux.pwr", "tyrsim.r1.gpu1x.pwr", "tyrsim.r1.cpu0.pwr", "tyrsim.r1.fault.inject",
      "tyrsim.r1", "tyrsim.r1.", "other.r1.gpu0.pwr", "tyrsim.r1.xgpu0", "tyrsim.r1.gpu٣.pwr", "",
    ];
    for (const s of subjects) expect([s, gpuOfSubject(s)]).toEqual([s, byRegex(s)]);
  });

  it("falls back on the payload's gpu, then its fault's gpu", () => {
    expect(gpuOf(event("tyrsim.r1.fault.inject", { gpu: 2 }))).toBe(2);
    expect(gpuOf(event("tyrsim.r1.fault.inject", { fault: { gpu: 1 } }))).toBe(1);
    expect(gpuOf(event("tyrsim.r1.runtime.ended", null))).toBeUndefined();
    expect(gpuOf(event("tyrsim.r1.gpu4.pwr", { gpu: 2 }))).toBe(4);
  });

  it("answers the same event the same way when asked again, and the next event afresh", () => {
    const a = event("tyrsim.r1.gpu1.pwr");
    const b = event("tyrsim.r1.fault.inject", { gpu: 5 });
    expect([gpuOf(a), gpuOf(a), gpuOf(b), gpuOf(b), gpuOf(a)]).toEqual([1, 1, 5, 5, 1]);
  });
});
