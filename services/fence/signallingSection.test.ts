/** Fence-signalling critical sections and lockdep, kernel-tests.md §3.7 (FENCE-R01..R09). */
import { describe, expect, it } from "vitest";
import { LOCK_CLASS, SignallingChecker } from "./signallingSection.ts";

const IRQ = "job-irq-thread";

describe("signalling-section annotations (FENCE-R02, R03)", () => {
  it("given a section, when it nests or runs in atomic context, then begin is a no-op returning true and end(true) keeps the outer section", () => {
    const c = new SignallingChecker();
    const outer = c.beginSignalling(IRQ);
    expect(outer).toBe(false);
    const inner = c.beginSignalling(IRQ);
    expect(inner).toBe(true);
    c.endSignalling(IRQ, inner);
    expect(c.inSignallingSection(IRQ)).toBe(true);
    c.endSignalling(IRQ, outer);
    expect(c.inSignallingSection(IRQ)).toBe(false);
    expect(c.beginSignalling("hardirq", { atomic: true })).toBe(true);
    expect(c.inSignallingSection("hardirq")).toBe(false);
  });
});

describe("violations inside a signalling section (FENCE-R04..R08)", () => {
  it("FENCE-R08b: a GFP_KERNEL allocation inside a section is reported with the primed circular dependency", () => {
    const c = new SignallingChecker();
    const cookie = c.beginSignalling(IRQ);
    const [v] = c.allocate(IRQ, "GFP_KERNEL", "job_done: kmalloc");
    c.endSignalling(IRQ, cookie);
    expect(v).toMatchObject({ kind: "reclaim-in-signalling-section", thread: IRQ, site: "job_done: kmalloc", lock: LOCK_CLASS.FS_RECLAIM });
    expect(v!.chain).toEqual([LOCK_CLASS.DMA_FENCE_MAP, LOCK_CLASS.FS_RECLAIM, LOCK_CLASS.I_MMAP, LOCK_CLASS.MMU_NOTIFIER, LOCK_CLASS.DMA_FENCE_MAP]);
    expect(c.violations).toEqual([v]);
  });

  it("FENCE-R06: GFP_NOFS and GFP_NOIO are refused too, while GFP_ATOMIC and GFP_NOWAIT are allowed", () => {
    const c = new SignallingChecker();
    const cookie = c.beginSignalling(IRQ);
    expect(c.allocate(IRQ, "GFP_NOFS")).toHaveLength(1);
    expect(c.allocate(IRQ, "GFP_NOIO")).toHaveLength(1);
    expect(c.allocate(IRQ, "GFP_ATOMIC")).toEqual([]);
    expect(c.allocate(IRQ, "GFP_NOWAIT")).toEqual([]);
    c.endSignalling(IRQ, cookie);
  });

  it("takes a lock order it has recorded before again without a report, and still reports its inversion every time", () => {
    const c = new SignallingChecker({ primed: false });
    for (let i = 0; i < 3; i++) {
      c.lock("a", "X");
      expect(c.lock("a", "Y")).toEqual([]);
      c.unlock("a", "Y");
      c.unlock("a", "X");
    }
    for (let i = 0; i < 2; i++) {
      c.lock("b", "Y");
      expect(c.lock("b", "X").map((v) => v.chain)).toEqual([["Y", "X", "Y"]]);
      c.unlock("b", "X");
      c.unlock("b", "Y");
    }
  });

  it("allows a reclaiming allocation outside any section", () => {
    const c = new SignallingChecker();
    expect(c.allocate("ioctl", "GFP_KERNEL")).toEqual([]);
  });

  it("FENCE-R08c: taking dma_resv inside a section is reported", () => {
    const c = new SignallingChecker();
    const cookie = c.beginSignalling(IRQ);
    expect(c.lock(IRQ, LOCK_CLASS.DMA_RESV)[0]?.kind).toBe("dma-resv-in-signalling-section");
    c.unlock(IRQ, LOCK_CLASS.DMA_RESV);
    c.endSignalling(IRQ, cookie);
  });

  it("FENCE-R02: the section may start while dma_resv is still held (installing the fence), without a report", () => {
    const c = new SignallingChecker();
    c.lock("submit", LOCK_CLASS.DMA_RESV);
    const cookie = c.beginSignalling("submit");
    c.unlock("submit", LOCK_CLASS.DMA_RESV);
    c.endSignalling("submit", cookie);
    expect(c.violations).toEqual([]);
  });

  it("FENCE-R08a: lock(X); wait(F) in one thread and begin; lock(X) in another is a circular dependency, found in either order", () => {
    for (const waiterFirst of [true, false]) {
      const c = new SignallingChecker();
      const waiter = () => { c.lock("ioctl", "driver->lock"); const v = c.waitFence("ioctl"); c.unlock("ioctl", "driver->lock"); return v; };
      const signaller = () => { const k = c.beginSignalling(IRQ); const v = c.lock(IRQ, "driver->lock"); c.unlock(IRQ, "driver->lock"); c.endSignalling(IRQ, k); return v; };
      const found = waiterFirst ? [...waiter(), ...signaller()] : [...signaller(), ...waiter()];
      expect(found.map((v) => v.kind), `waiterFirst=${waiterFirst}`).toEqual(["lock-order-inversion"]);
    }
  });

  it("FENCE-R08a: without the annotation, the same wait-vs-signal deadlock goes unseen", () => {
    const c = new SignallingChecker();
    c.lock("ioctl", "driver->lock");
    c.waitFence("ioctl");
    c.unlock("ioctl", "driver->lock");
    c.lock(IRQ, "driver->lock");
    c.unlock(IRQ, "driver->lock");
    expect(c.violations).toEqual([]);
  });

  it("FENCE-R08d: a lock that some thread holds across reclaim, taken inside a section, is the reclaim case", () => {
    const c = new SignallingChecker();
    c.lock("ioctl", "vm->op_lock");
    expect(c.allocate("ioctl", "GFP_KERNEL")).toEqual([]);
    c.unlock("ioctl", "vm->op_lock");
    const k = c.beginSignalling(IRQ);
    const [v] = c.lock(IRQ, "vm->op_lock");
    expect(v?.kind).toBe("reclaim-in-signalling-section");
    expect(v?.chain).toContain(LOCK_CLASS.FS_RECLAIM);
    c.endSignalling(IRQ, k);
  });

  it("FENCE-R09: unprimed, the allocation passes until a shrinker has been seen waiting on a fence; primed, one run suffices", () => {
    const c = new SignallingChecker({ primed: false });
    const signallingPath = () => { const k = c.beginSignalling(IRQ); const v = c.allocate(IRQ, "GFP_KERNEL"); c.endSignalling(IRQ, k); return v; };
    expect(signallingPath()).toEqual([]);
    c.lock("kswapd", LOCK_CLASS.FS_RECLAIM);
    expect(c.waitFence("kswapd").map((v) => v.kind)).toEqual(["lock-order-inversion"]);
    c.unlock("kswapd", LOCK_CLASS.FS_RECLAIM);
  });

  it("an unbounded wait inside a section is reported, a bounded one or a wait outside is not, and the nested wait forms no lockdep cycle by itself", () => {
    const c = new SignallingChecker();
    expect(c.waitFence("ioctl")).toEqual([]);
    const k = c.beginSignalling(IRQ);
    expect(c.waitFence(IRQ, { bounded: true })).toEqual([]);
    const found = c.waitFence(IRQ, { site: "run_job: dma_fence_wait" });
    expect(found.map((v) => v.kind)).toEqual(["unbounded-wait-in-signalling-section"]);
    expect(c.held(IRQ)).toEqual([LOCK_CLASS.DMA_FENCE_MAP]);
    c.endSignalling(IRQ, k);
    expect(c.held(IRQ)).toEqual([]);
  });
});
