import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FaultInjected } from "../../services/faults/faultEvents.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { bootDrmDevice, type DrmTestDevice } from "../support/drmDevice.ts";
import { createGroup, loopWords, mapBo, openClient, storeWords, streamAt, submitJob, type Client } from "../support/submitWorld.ts";

/**
 * Random job streams under random memory pressure, with either fence policy: two groups on one
 * VM get GROUP_SUBMITs (short and long jobs, out-syncobjs, waits on earlier jobs' syncobjs), the
 * client makes idle BOs, and `memory-pressure` faults take pages at random moments. After the
 * sequence the run drains (at most 6 s of virtual time).
 *
 * - safe policy: every job's fence signals, without error; no FenceSignallingViolation, no
 *   deadlock, no reclaiming allocation inside a section;
 * - unsafe policy: every completion is flagged by lockdep; every fence still signals by the end of
 *   the drain, but one that signals with an error (the 5 s job timeout killing a group whose
 *   completion work is deadlocked in reclaim) is only possible with a FenceDeadlockDetected on the
 *   log — no silent hang;
 * - both: no actor failure, and the GEM limit went down by exactly the pressure applied.
 *
 * CI runs 12 sequences; TYRSIM_FUZZ_RUNS sets more, TYRSIM_FUZZ_SEED replays a reported seed.
 */
const RUNS = Number(process.env["TYRSIM_FUZZ_RUNS"] ?? 12);
const SEED = Number(process.env["TYRSIM_FUZZ_SEED"] ?? 20261121);
const PG = 4096;
const LIMIT_PAGES = 16;
const OUT_VA = 0x80_0000;

type Step =
  | { kind: "submit"; group: number; queue: number; long: boolean; wait: boolean }
  | { kind: "idleBo"; pages: number }
  | { kind: "pressure"; pages: number }
  | { kind: "advance"; us: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("submit" as const), group: fc.nat({ max: 1 }), queue: fc.nat({ max: 1 }), long: fc.boolean(), wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("idleBo" as const), pages: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pressure" as const), pages: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), us: fc.integer({ min: 0, max: 1500 }) }) },
);

interface World {
  readonly dev: DrmTestDevice;
  readonly c: Client;
  readonly groups: number[];
  readonly streams: { short: number; long: number };
  readonly outs: number[];
  pressured: number;
}

function setUp(policy: "safe" | "unsafe"): World {
  const dev = bootDrmDevice(undefined, { gemLimitBytes: LIMIT_PAGES * PG, fencePolicy: policy });
  const c = openClient(dev, "app");
  mapBo(c, OUT_VA);
  const short = streamAt(c, 0x10_0000, storeWords(OUT_VA, 1));
  const long = streamAt(c, 0x11_0000, loopWords(20000, OUT_VA + 4, 2));
  return { dev, c, groups: [createGroup(c, {}, 2), createGroup(c, { priority: 1 }, 2)], streams: { short, long }, outs: [], pressured: 0 };
}

function runStep(w: World, s: Step): void {
  const { dev, c } = w;
  switch (s.kind) {
    case "submit": {
      const waits = s.wait && w.outs.length > 0 ? [w.outs[w.outs.length - 1]!] : [];
      const va = s.long ? 0x11_0000 : 0x10_0000;
      w.outs.push(submitJob(c, w.groups[s.group]!, s.queue, va, s.long ? w.streams.long : w.streams.short, waits));
      return;
    }
    case "idleBo": {
      const r = c.f.ioctl("BO_CREATE", { size: s.pages * PG });
      if (r.ret !== 0) return;
      const off = c.f.ioctl("BO_MMAP_OFFSET", { handle: r.out.handle }).out.offset as number;
      if (c.f.cpuAccess("mmap", off, 0, s.pages * PG).ret === 0) {
        c.f.cpuAccess("write", off, 0, Uint8Array.of(1, 2, 3, 4));
        c.f.cpuAccess("munmap", off);
      }
      return;
    }
    case "pressure": {
      const at = dev.sim.scheduler.nowNs + 1;
      dev.sim.input("injector", FaultInjected, INJECT_PATH, { fault: { kind: "memory-pressure", gpu: 0, bytes: s.pages * PG } }, at);
      dev.sim.runUntil(() => false, at);
      w.pressured += s.pages;
      return;
    }
    case "advance":
      dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + s.us * 1000);
  }
}

/** Drain (at most 6 s), then check the properties of the file comment. */
function check(w: World, policy: "safe" | "unsafe"): void {
  const { dev } = w;
  const jobs = (type: string) => dev.events(type).map((e) => e.payload as { job: string; error?: number });
  const settled = () => jobs("JobFenceSignalled").length >= jobs("JobSubmitted").length;
  dev.sim.runUntil(settled, dev.sim.scheduler.nowNs + 6_000_000_000);
  expect(dev.events("ActorHandlerFailed").map((e) => e.payload)).toEqual([]);
  const limits = dev.events("GemLimitLowered").map((e) => (e.payload as { limitBytes: number }).limitBytes);
  expect(limits.at(-1) ?? LIMIT_PAGES * PG).toBe(Math.max(0, LIMIT_PAGES - w.pressured) * PG);
  const submitted = jobs("JobSubmitted").map((j) => j.job).sort();
  const signalled = jobs("JobFenceSignalled");
  if (policy === "safe") {
    expect(signalled.map((j) => j.job).sort()).toEqual(submitted);
    expect(signalled.filter((j) => j.error !== 0)).toEqual([]);
    expect(dev.events("FenceSignallingViolation", "FenceDeadlockDetected").map((e) => e.payload)).toEqual([]);
    expect(dev.events("SignallingPathAllocated").filter((e) => (e.payload as { mayReclaim: boolean }).mayReclaim)).toEqual([]);
  } else {
    expect(signalled.map((j) => j.job).sort()).toEqual(submitted);
    if (signalled.some((j) => j.error !== 0)) expect(dev.events("FenceDeadlockDetected").length).toBeGreaterThan(0);
    const completions = dev.events("SignallingPathAllocated").length;
    expect(dev.events("FenceSignallingViolation").filter((e) => (e.payload as { kind: string }).kind === "reclaim-in-signalling-section")).toHaveLength(completions);
  }
}

describe("fence fuzz: random submissions under random memory pressure (fast-check)", () => {
  it(`every fence signals under the safe policy, and no unsafe hang goes unreported, over ${RUNS} sequences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.constantFrom("safe" as const, "unsafe" as const), fc.array(step, { minLength: 4, maxLength: 16 }), (policy, steps) => {
        const w = setUp(policy);
        for (const s of steps) runStep(w, s);
        check(w, policy);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
  }, 600_000);
});
