import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { auditLogFile } from "../runtime/audit/audit.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { FaultInjected } from "../services/faults/faultEvents.ts";
import { neg } from "../services/workload/drmClient.ts";
import { runLogged } from "./support/auditRuns.ts";
import { bindArgs, bootDrmDevice, mapOp, type DrmTestDevice } from "./support/drmDevice.ts";
import { openClient } from "./support/submitWorld.ts";

const PG = 4096;
const DEADLOCK = "scenarios/memory-pressure-deadlock.yaml";
const SAFE = "scenarios/memory-pressure-safe.yaml";

const ofType = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type);
const payloads = <T = Record<string, unknown>>(events: readonly Envelope[], type: string) => ofType(events, type).map((e) => e.payload as T);
const jobsOf = (events: readonly Envelope[], type: string) => payloads<{ job: string }>(events, type).map((p) => p.job).sort();
const ioctlRet = (events: readonly Envelope[], tag: string) => payloads<{ tag: string; ret: number }>(events, "IoctlCompleted").find((p) => p.tag === tag)?.ret;

/** Inject a memory-pressure fault of `bytes` now and run 1 ms. */
function pressure(dev: DrmTestDevice, bytes: number): void {
  const at = dev.sim.scheduler.nowNs + 1;
  dev.sim.input("injector", FaultInjected, INJECT_PATH, { fault: { kind: "memory-pressure", gpu: 0, bytes } }, at);
  dev.sim.runUntil(() => false, at + 1_000_000);
}

describe("the memory-pressure deadlock (fencePolicy unsafe)", () => {
  it("reports the reclaiming allocation in group_sync_upd_work, detects the fence ⇄ allocation cycle, and leaves every fence unsignalled", async () => {
    // given the deadlock scenario: three jobs in flight on VM 1 when memory pressure takes the whole GEM limit
    const { events } = await runLogged({ file: DEADLOCK });
    // then lockdep reports the GFP_KERNEL allocation inside the signalling section, caused by the job IRQ's handling
    const violations = ofType(events, "FenceSignallingViolation");
    const reclaim = violations.filter((e) => (e.payload as { kind: string }).kind === "reclaim-in-signalling-section");
    expect(reclaim.length).toBeGreaterThan(0);
    for (const v of reclaim) {
      const p = v.payload as { section: string; chain: string[]; allocation: { gfp: string } };
      expect(p.section).toBe("group_sync_upd_work");
      expect(p.allocation.gfp).toBe("GFP_KERNEL");
      expect(p.chain[0]).toBe("dma_fence_map");
      expect(p.chain).toContain("fs_reclaim");
      expect(v.cause).not.toBeNull();
    }
    expect(violations.some((e) => (e.payload as { kind: string }).kind === "unbounded-wait-in-signalling-section")).toBe(true);
    // and a deadlock for each group, naming the cycle: the fence the path signals is the one the shrinker waits on
    const deadlocks = payloads<{ job: { job: string; fence: number }; waitsOn: { fence: number; objects: number[] }; stuckFences: number[]; cycle: string[] }>(events, "FenceDeadlockDetected");
    expect(deadlocks.map((d) => d.job.job).sort()).toEqual(["g1.q0.j1", "g2.q0.j1"]);
    for (const d of deadlocks) {
      expect(d.stuckFences).toContain(d.waitsOn.fence);
      expect(d.cycle[0]).toContain(`fence ${d.job.fence}`);
      expect(d.cycle.join(" → ")).toMatch(/GFP_KERNEL.*direct reclaim.*dma_resv_wait_timeout/);
      expect(d.waitsOn.objects).toEqual([1, 2]);
    }
    // and nothing moves again: three jobs submitted, no fence signalled, the syncobj wait times out
    expect(jobsOf(events, "JobSubmitted")).toHaveLength(3);
    expect(ofType(events, "JobFenceSignalled")).toEqual([]);
    expect(ioctlRet(events, "wait")).toBe(neg("ETIME"));
    // while the run itself ends cleanly at its duration
    expect(ofType(events, "ActorHandlerFailed")).toEqual([]);
    expect(ofType(events, "MessageRejected")).toEqual([]);
  });

  it("is named by the audit: the no-alloc invariant broken, the stuck jobs, and the memory-pressure fault as their cause", async () => {
    const { log, events } = await runLogged({ file: DEADLOCK });
    const report = auditLogFile(log);
    const fault = ofType(events, "FaultInjected")[0]!.id;
    const broken = report.invariants.violations.filter((v) => v.invariant === "no-alloc-in-fence-signalling");
    expect(broken).toHaveLength(2);
    expect(broken[0]!.events.map((r) => r.type)).toEqual(["JobSubmitted", "SignallingPathAllocated", "FenceSignallingViolation", "FenceSignallingViolation", "FenceDeadlockDetected"]);
    expect(broken.every((v) => v.cause?.kind === "memory-pressure" && v.cause.fault === fault)).toBe(true);
    const stuck = report.failures.filter((f) => f.kind === "fence-deadlock");
    expect(stuck.map((f) => f.summary)).toEqual([expect.stringContaining("job g2.q0.j1 (file 1 group 2 queue 0)"), expect.stringContaining("job g1.q0.j1 (file 1 group 1 queue 0)")]);
    expect(stuck.every((f) => f.cause?.kind === "memory-pressure" && f.cause.fault === fault)).toBe(true);
    expect(report.verdict.likelyCause?.kind).toBe("memory-pressure");
  });

  it("is flagged by lockdep without pressure too, but then every fence still signals", async () => {
    // given the submit workload with the unsafe policy and no fault
    const text = readFileSync("scenarios/submit.yaml", "utf8").replace(/^duration: 20ms$/m, "duration: 20ms\ndriver: { fencePolicy: unsafe }");
    const { events } = await runLogged({ text });
    // then each completion is reported, none deadlocks, and all three fences signal
    expect(ofType(events, "FenceSignallingViolation").length).toBe(3);
    expect(ofType(events, "FenceDeadlockDetected")).toEqual([]);
    expect(jobsOf(events, "JobFenceSignalled")).toEqual(jobsOf(events, "JobSubmitted"));
  });
});

describe("the same workload with fencePolicy safe", () => {
  it("signals every fence, allocates nothing with reclaim in a section, and lets the shrinker wait on busy objects outside one", async () => {
    const { events } = await runLogged({ file: SAFE });
    expect(jobsOf(events, "JobSubmitted")).toHaveLength(3);
    expect(jobsOf(events, "JobFenceSignalled")).toEqual(jobsOf(events, "JobSubmitted"));
    expect(ofType(events, "FenceSignallingViolation")).toEqual([]);
    expect(ofType(events, "FenceDeadlockDetected")).toEqual([]);
    expect(payloads<{ mayReclaim: boolean }>(events, "SignallingPathAllocated").filter((p) => p.mayReclaim)).toEqual([]);
    // the pressure was honoured: the limit dropped, the idle scratch BO swapped out, the busy ones waited for
    expect(payloads(events, "GemLimitLowered")[0]).toMatchObject({ limitBytes: 0, owedBytes: 2 * PG });
    expect(payloads<{ obj: number }>(events, "GemSwappedOut").map((p) => p.obj)).toEqual([3]);
    const waiting = payloads<{ fences: number[] }>(events, "GemShrinkerWaiting");
    expect(waiting).toHaveLength(1);
    expect(payloads<{ fences: number[] }>(events, "GemShrinkerWaitDone").map((p) => p.fences)).toEqual([waiting[0]!.fences]);
    expect(ioctlRet(events, "wait")).toBe(0);
    const readback = payloads<{ tag: string; data: string }>(events, "BoCpuAccessCompleted").find((p) => p.tag === "readback")!;
    expect([...new Uint32Array(new Uint8Array(Buffer.from(readback.data, "base64")).buffer)]).toEqual([0xdeadbeef, 0xcafe, 0x600d]);
    const report = auditLogFile((await runLogged({ file: SAFE })).log);
    expect(report.invariants.violations).toEqual([]);
  });
});

describe("the GEM shrinker under injected memory pressure", () => {
  it("reclaims idle objects, keeps swapped contents, and swaps them back in when room is made", () => {
    // given a 16-page GEM limit: BO 1 (2 pages) written and unmapped (idle), BO 2 (4 pages) mapped in the VM
    const dev = bootDrmDevice(undefined, { gemLimitBytes: 16 * PG });
    const c = openClient(dev, "app");
    const idle = c.f.ioctl("BO_CREATE", { size: 2 * PG }).out.handle as number;
    const m = c.f.mmap(idle);
    m.write(PG + 8, [0x53, 0x57, 0x41, 0x50]);
    m.unmap();
    const busy = c.f.ioctl("BO_CREATE", { size: 4 * PG }).out.handle as number;
    expect(c.f.ioctl("VM_BIND", bindArgs(c.vm, [mapOp(busy, 0x10_0000, 4 * PG)])).ret).toBe(0);
    // when pressure takes 12 pages: the 10 free ones and the idle BO's 2
    pressure(dev, 12 * PG);
    const lowered = payloads<{ limitBytes: number; owedBytes: number; taken: { count: number }[] }>(dev.events("GemLimitLowered"), "GemLimitLowered");
    expect(lowered).toHaveLength(1);
    expect(lowered[0]!).toMatchObject({ limitBytes: 4 * PG, owedBytes: 0 });
    expect(lowered[0]!.taken.reduce((n, x) => n + x.count, 0)).toBe(12);
    expect(payloads<{ obj: number }>(dev.events("GemSwappedOut"), "GemSwappedOut")).toHaveLength(1);
    // then no page is left for a new object
    const extra = c.f.ioctl("BO_CREATE", { size: PG }).out.handle as number;
    expect(c.f.cpuAccess("mmap", c.f.ioctl("BO_MMAP_OFFSET", { handle: extra }).out.offset as number, 0, PG).ret).toBe(neg("ENOMEM"));
    // and once the mapped BO is unmapped, the idle BO comes back from swap with its bytes (the other goes out)
    expect(c.f.ioctl("VM_BIND", bindArgs(c.vm, [{ flags: 0x1000_0000, va: 0x10_0000, size: 4 * PG }])).ret).toBe(0);
    expect([...c.f.mmap(idle).read(PG + 8, 4)]).toEqual([0x53, 0x57, 0x41, 0x50]);
    expect(payloads<{ obj: number; restore: boolean }>(dev.events("GemPagesAllocated"), "GemPagesAllocated").at(-1)).toMatchObject({ restore: true });
    expect(dev.events("ActorHandlerFailed")).toEqual([]);
  });

  it("owes what busy objects hold and repays it as soon as they become reclaimable", () => {
    // given a 16-page limit with 4 pages mapped in the VM and nothing idle
    const dev = bootDrmDevice(undefined, { gemLimitBytes: 16 * PG });
    const c = openClient(dev, "app");
    const h = c.f.ioctl("BO_CREATE", { size: 4 * PG }).out.handle as number;
    expect(c.f.ioctl("VM_BIND", bindArgs(c.vm, [mapOp(h, 0x10_0000, 4 * PG)])).ret).toBe(0);
    // when pressure takes all 16 pages: 12 free ones given up, 4 owed
    pressure(dev, 16 * PG);
    expect(payloads(dev.events("GemLimitLowered"), "GemLimitLowered").at(-1)).toMatchObject({ limitBytes: 0, owedBytes: 4 * PG });
    // then unmapping the BO makes it idle, and the shrinker swaps it out to pay the debt
    expect(c.f.ioctl("VM_BIND", bindArgs(c.vm, [{ flags: 0x1000_0000, va: 0x10_0000, size: 4 * PG }])).ret).toBe(0);
    dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 1_000_000);
    expect(payloads(dev.events("GemLimitLowered"), "GemLimitLowered").at(-1)).toMatchObject({ limitBytes: 0, owedBytes: 0 });
    expect(payloads<{ obj: number }>(dev.events("GemSwappedOut"), "GemSwappedOut")).toHaveLength(1);
  });
});

describe("the async VM_BIND job as a fence-signalling section", () => {
  /** An idle 4-page BO, then an async bind of a 6-page BO with 8 pages of limit: pages only if the idle one goes. */
  function bindUnderPressure(policy: "safe" | "unsafe") {
    const dev = bootDrmDevice(undefined, { gemLimitBytes: 8 * PG, fencePolicy: policy });
    const c = openClient(dev, "app");
    const idle = c.f.ioctl("BO_CREATE", { size: 4 * PG }).out.handle as number;
    c.f.mmap(idle).unmap();
    const big = c.f.ioctl("BO_CREATE", { size: 6 * PG }).out.handle as number;
    const out = c.f.syncobjCreate();
    expect(c.f.ioctl("VM_BIND", bindArgs(c.vm, [{ ...mapOp(big, 0x10_0000, 6 * PG), syncs: { stride: 16, count: 1, array: [{ flags: 0x8000_0000, handle: out }] } }], 1)).ret).toBe(0);
    expect(c.f.syncobjWait([out], { timeoutNs: 1_000_000 }).ret).toBe(0);
    return { dev, ret: payloads<{ ret: number }>(dev.events("VmBindJobCompleted"), "VmBindJobCompleted")[0]!.ret };
  }

  it("allocates without reclaim under the safe policy: -ENOMEM instead of the shrinker, and no violation", () => {
    const { dev, ret } = bindUnderPressure("safe");
    expect(ret).toBe(neg("ENOMEM"));
    expect(dev.events("GemSwappedOut")).toEqual([]);
    expect(payloads(dev.events("SignallingPathAllocated"), "SignallingPathAllocated")).toEqual([expect.objectContaining({ section: "panthor_vm_bind_run_job", gfp: "GFP_NOWAIT", mayReclaim: false })]);
    expect(dev.events("FenceSignallingViolation")).toEqual([]);
  });

  it("reclaims inside the section under the unsafe policy, and lockdep reports it", () => {
    const { dev, ret } = bindUnderPressure("unsafe");
    expect(ret).toBe(0);
    expect(dev.events("GemSwappedOut")).toHaveLength(1);
    expect(payloads(dev.events("FenceSignallingViolation"), "FenceSignallingViolation")).toEqual([
      expect.objectContaining({ kind: "reclaim-in-signalling-section", section: "panthor_vm_bind_run_job", allocation: { gfp: "GFP_KERNEL", bytes: 6 * PG } }),
    ]);
  });
});
