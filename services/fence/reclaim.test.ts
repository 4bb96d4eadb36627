/** The memory-pressure deadlock of FENCE-R05, reproduced under the unsafe policy and avoided under the safe one. */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { FenceRegistry, signal } from "./dmaFence.ts";
import { allocate, allocateOnSignallingPath, type MemoryPressure } from "./reclaim.ts";
import { SignallingChecker } from "./signallingSection.ts";

function world() {
  const reg = new FenceRegistry();
  const ctx = reg.contextAlloc(1);
  const jobFence = reg.create({ context: ctx, seqno: 1 });
  const otherFence = reg.create({ context: ctx, seqno: 2 });
  const pressure: MemoryPressure = { freeBytes: 0, idleReclaimableBytes: 0, busy: [{ fence: jobFence, bytes: 1 << 20 }] };
  return { reg, jobFence, otherFence, pressure };
}

describe("allocation on a fence's signalling path under memory pressure", () => {
  it("given the shrinker must wait for the job, when the job's completion path allocates with the unsafe policy, then it deadlocks", () => {
    const { jobFence, pressure } = world();
    const checker = new SignallingChecker();
    const k = checker.beginSignalling("irq");
    const r = allocateOnSignallingPath({ policy: "unsafe", mem: pressure, bytes: 4096, blocks: [jobFence], lockdep: { checker, thread: "irq" } });
    checker.endSignalling("irq", k);
    expect(r.outcome).toMatchObject({ kind: "deadlock", waitsOn: jobFence.id });
    expect(r.violations.map((v) => v.kind)).toEqual(["reclaim-in-signalling-section"]);
  });

  it("given the same pressure, when the safe policy has a reserve, then the allocation comes from it with no report", () => {
    const { jobFence, pressure } = world();
    const checker = new SignallingChecker();
    const k = checker.beginSignalling("irq");
    const r = allocateOnSignallingPath({ policy: "safe", mem: pressure, bytes: 4096, reservedBytes: 8192, blocks: [jobFence], lockdep: { checker, thread: "irq" } });
    checker.endSignalling("irq", k);
    expect(r).toEqual({ outcome: { kind: "from-reserve" }, violations: [] });
  });

  it("given the safe policy without a reserve, then GFP_NOWAIT fails with -ENOMEM instead of reclaiming, and the fence can still signal", () => {
    const { jobFence, pressure } = world();
    const r = allocateOnSignallingPath({ policy: "safe", mem: pressure, bytes: 4096, blocks: [jobFence] });
    expect(r.outcome).toEqual({ kind: "failed", errno: -ERRNO.ENOMEM });
    expect(signal(jobFence, 1)).toBe(0);
  });

  it("without pressure the unsafe allocation succeeds, yet lockdep still reports it", () => {
    const { jobFence } = world();
    const checker = new SignallingChecker();
    const k = checker.beginSignalling("irq");
    const r = allocateOnSignallingPath({ policy: "unsafe", mem: { freeBytes: 1 << 20, idleReclaimableBytes: 0, busy: [] }, bytes: 4096, blocks: [jobFence], lockdep: { checker, thread: "irq" } });
    checker.endSignalling("irq", k);
    expect(r.outcome).toEqual({ kind: "allocated", reclaimedBytes: 0 });
    expect(r.violations).toHaveLength(1);
  });

  it("direct reclaim frees idle memory first, then sleeps on busy objects that do not depend on the caller, and counts signalled ones as free", () => {
    const { jobFence, otherFence } = world();
    expect(allocate({ freeBytes: 100, idleReclaimableBytes: 4000, busy: [] }, { bytes: 4096, gfp: "GFP_KERNEL" })).toEqual({ kind: "allocated", reclaimedBytes: 3996 });
    const mem: MemoryPressure = { freeBytes: 0, idleReclaimableBytes: 0, busy: [{ fence: otherFence, bytes: 8192 }, { fence: jobFence, bytes: 8192 }] };
    expect(allocate(mem, { bytes: 4096, gfp: "GFP_KERNEL", blocks: [jobFence] })).toEqual({ kind: "blocked", waitsOn: [otherFence.id] });
    signal(otherFence, 1);
    expect(allocate(mem, { bytes: 4096, gfp: "GFP_KERNEL", blocks: [jobFence] })).toEqual({ kind: "allocated", reclaimedBytes: 4096 });
    expect(allocate({ freeBytes: 0, idleReclaimableBytes: 0, busy: [] }, { bytes: 1, gfp: "GFP_KERNEL" })).toEqual({ kind: "failed", errno: -ERRNO.ENOMEM });
  });
});
