/**
 * The dma-fence cases of kernel-tests.md §3.4 and §3.7 not pinned by name elsewhere: FENCE-E05
 * (containers do not invent errors), FENCE-E06 (an enable_signaling hook may only set an error
 * when it signals at once) and FENCE-R07 (the fence map's read hold is dropped around a wait).
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { chainInit } from "./chain.ts";
import { addCallback, fenceCallback, FenceRegistry, getStatus, isSignaled, setError, signal } from "./dmaFence.ts";
import { LOCK_CLASS, SignallingChecker } from "./signallingSection.ts";

describe("error propagation through containers (FENCE-E05, E06)", () => {
  it("FENCE-E05 a chain node signals once its fence does, without inventing or copying an error", () => {
    const r = new FenceRegistry();
    const ok = r.create({ context: r.contextAlloc(1), seqno: 1 });
    const bad = r.create({ context: r.contextAlloc(1), seqno: 1 });
    const c1 = chainInit(r, undefined, ok, 1);
    const c2 = chainInit(r, c1, bad, 2);
    signal(ok, 10);
    signal(bad, 20, -ERRNO.EIO);
    expect([isSignaled(c1, 30), isSignaled(c2, 30)]).toEqual([true, true]);
    expect([getStatus(c1), getStatus(c2)]).toEqual([1, 1]);
    expect(getStatus(bad)).toBe(-ERRNO.EIO);
  });

  it("FENCE-E06 an enable_signaling hook that answers false may set an error: the fence signals with it and refuses the callback", () => {
    const r = new FenceRegistry();
    const f = r.create({ context: r.contextAlloc(1), seqno: 1, ops: { enableSignaling: (fence) => (setError(fence, -ERRNO.ENODATA), false) } });
    let ran = false;
    expect(addCallback(f, fenceCallback(() => (ran = true)), 5)).toBe(-ERRNO.ENOENT);
    expect(ran).toBe(false);
    expect(getStatus(f)).toBe(-ERRNO.ENODATA);
    expect(r.warnings).toEqual([]);
  });
});

describe("the fence map around waits (FENCE-R07)", () => {
  it("drops the section's read hold around each wait, so a section's own waits form no cycle, and restores it after", () => {
    const c = new SignallingChecker();
    const cookie = c.beginSignalling("worker");
    expect(c.waitFence("worker", { bounded: true })).toEqual([]);
    expect(c.waitFence("worker", { bounded: true })).toEqual([]);
    expect(c.held("worker")).toEqual([LOCK_CLASS.DMA_FENCE_MAP]);
    c.endSignalling("worker", cookie);
    expect(c.held("worker")).toEqual([]);
    expect(c.violations).toEqual([]);
  });

  it("write-acquires the fence map on every wait: a lock held across a wait is ordered before the fence map", () => {
    const c = new SignallingChecker({ primed: false });
    c.lock("shrinker", "gem_lru_lock");
    expect(c.waitFence("shrinker")).toEqual([]);
    c.unlock("shrinker", "gem_lru_lock");
    // the inverse order inside a section closes the cycle
    c.beginSignalling("irq");
    const found = c.lock("irq", "gem_lru_lock", "job_done");
    expect(found.map((v) => v.chain)).toEqual([[LOCK_CLASS.DMA_FENCE_MAP, "gem_lru_lock", LOCK_CLASS.DMA_FENCE_MAP]]);
  });
});
