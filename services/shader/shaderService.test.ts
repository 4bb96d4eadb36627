import { describe, expect, it } from "vitest";
import type { ActorSpec } from "../../shared/actor/actor.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { memoryEvents } from "../memory/memoryEvents.ts";
import { decodeWrite, encodeBytes } from "../memory/memoryWrites.ts";
import { mmuEvents, TranslationCompleted, TranslationRequested } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { FrequencyChanged, PowerDomainChanged, powerEvents, PowerTransitionStarted } from "../power/powerEvents.ts";
import { powerPaths } from "../power/powerService.ts";
import { GpuSoftResetCompleted, regsEvents } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { JobDispatched, JobFaultInjected, shaderEvents, ShaderUtilisationRequested } from "./shaderEvents.ts";
import { shaderPaths } from "./shaderPaths.ts";
import { shaderActor } from "./shaderService.ts";

const US = 1_000;
const GHZ = 1_000_000_000;
/** Stand-in MMU: VA maps to PA + 0x1000_0000; job "bad" faults. */
const PA_OFFSET = 0x1000_0000;

function fakeMmu(): ActorSpec {
  const p = mmuPaths(0);
  return {
    name: "fake.mmu",
    subscribes: [p.translate],
    create: (ctx) => ({
      handle(e) {
        if (!(e.type === TranslationRequested.type)) return;
        const r = e.payload as { requester: string; job: string; as: number; ranges: { va: number; size: number }[] };
        if (r.job === "bad") {
          const fault = { faultStatus: 0x2c3, faultAddress: r.ranges[0]!.va, exceptionType: 0xc3, exceptionName: "TRANSLATION_FAULT_3", accessType: 2, latched: false };
          ctx.publish(TranslationCompleted, p.translated, { requester: r.requester, job: r.job, as: r.as, ok: false, segments: [], fault });
        } else {
          const segments = r.ranges.map((g) => ({ va: g.va, pa: g.va + PA_OFFSET, size: g.size }));
          ctx.publish(TranslationCompleted, p.translated, { requester: r.requester, job: r.job, as: r.as, ok: true, segments });
        }
      },
      snapshot: () => null,
    }),
  };
}

function harness(opts: { ready?: number } = {}) {
  const registry = new EventRegistry().register(...systemEvents, ...memoryEvents, ...regsEvents, ...powerEvents, ...mmuEvents, ...shaderEvents);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: 1, registry, sink });
  sim.addActor(fakeMmu());
  const actor = sim.addActor(shaderActor({ gpu: 0, shaderPresent: 0x50005, initialHz: 300_000_000 }));
  const state = powerPaths(0).state;
  sim.input("pwr", FrequencyChanged, state, { hz: GHZ, microvolt: 850_000 }, 0);
  sim.input("pwr", PowerDomainChanged, state, { domain: "shader", ready: opts.ready ?? 0x50005, trans: 0 }, 0);
  const dispatch = (job: string, at: number, extra: Partial<{ coreMask: number; cycles: number; hang: boolean; writes: { va: number; data: string }[] }> = {}) =>
    sim.input("fw", JobDispatched, shaderPaths(0).dispatch, {
      job, as: 1, kind: "compute", coreMask: extra.coreMask ?? 0x50005, cost: { cycles: extra.cycles ?? 1_000_000 },
      ranges: [{ va: 0x10000, size: 0x1000, access: "read" }], ...(extra.writes ? { writes: extra.writes } : {}), ...(extra.hang ? { hang: true } : {}),
    }, at);
  const shaderFacts = () => sink.events.filter((e) => e.source === "gpu0.shader" && e.type !== "TranslationRequested").map((e) => [e.timeNs, e.type, e.payload]);
  return { sim, sink, actor, dispatch, shaderFacts, state };
}

describe("shader cores", () => {
  it("runs a job for cycles / (powered cores × hz) and stores its output at the translated PA", () => {
    // given four powered cores at 1 GHz
    const h = harness();
    // when a 1 M-cycle job with an 8-byte output is dispatched at 10 µs
    h.dispatch("j1", 10 * US, { writes: [{ va: 0x20000, data: encodeBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])) }] });
    h.sim.run();
    // then it runs 250 µs, writes at VA + offset, and reports utilisation 1 then 0 to the power controller
    expect(h.shaderFacts()).toEqual([
      [10 * US, "JobStarted", { job: "j1", as: 1, kind: "compute", cores: 0x50005, hz: GHZ, durationNs: 250 * US }],
      [10 * US, "DomainUtilisationReported", { domain: "shader", utilisation: 1 }],
      [260 * US, "MemoryWritten", { agent: "shader", pa: 0x20000 + PA_OFFSET, data: "AQIDBAUGBwg=", job: "j1" }],
      [260 * US, "JobCompleted", { job: "j1", as: 1, cores: 0x50005, cycles: 1_000_000, runNs: 250 * US }],
      [260 * US, "DomainUtilisationReported", { domain: "shader", utilisation: 0 }],
    ]);
    const req = h.sink.events.find((e) => e.type === "TranslationRequested")?.payload;
    expect(req).toMatchObject({ requester: "gpu0.shader", ranges: [{ va: 0x10000, size: 0x1000, access: "read" }, { va: 0x20000, size: 8, access: "write" }] });
    expect(decodeWrite(h.sink.events.find((e) => e.type === "MemoryWritten")!.payload as never).bytes).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it("runs on the powered cores of its mask only, and faults when none of them is powered", () => {
    const h = harness({ ready: 0x5 });
    h.dispatch("half", 0, { coreMask: 0x50005 });
    h.dispatch("none", 0, { coreMask: 0x50000 });
    h.sim.run();
    expect(h.shaderFacts().filter(([, t]) => t !== "DomainUtilisationReported")).toEqual([
      [0, "JobStarted", { job: "half", as: 1, kind: "compute", cores: 0x5, hz: GHZ, durationNs: 500 * US }],
      [0, "JobFaulted", { job: "none", as: 1, reason: "no-powered-core" }],
      [500 * US, "JobCompleted", { job: "half", as: 1, cores: 0x5, cycles: 1_000_000, runNs: 500 * US }],
    ]);
  });

  it("re-times the rest of a running job when the clock changes", () => {
    // given a job due to run 250 µs at 1 GHz
    const h = harness();
    h.dispatch("j1", 0);
    // when the clock halves at 100 µs (60 % of the work left)
    h.sim.input("pwr", FrequencyChanged, h.state, { hz: GHZ / 2, microvolt: 675_000 }, 100 * US);
    h.sim.run();
    // then the remaining 150 µs of work takes 300 µs
    expect(h.sink.events.find((e) => e.type === "JobCompleted")).toMatchObject({ timeNs: 400 * US, payload: { runNs: 400 * US } });
  });

  it("reports a job whose cores begin powering down under it, and loses it", () => {
    const h = harness();
    h.dispatch("j1", 0);
    h.sim.input("pwr", PowerTransitionStarted, h.state, { domain: "shader", direction: "down", trans: 0x50000, latencyNs: 5 * US }, 50 * US);
    h.dispatch("j2", 60 * US);
    h.sim.run();
    expect(h.shaderFacts().filter(([, t]) => t !== "DomainUtilisationReported")).toEqual([
      [0, "JobStarted", { job: "j1", as: 1, kind: "compute", cores: 0x50005, hz: GHZ, durationNs: 250 * US }],
      [50 * US, "PowerOffDuringJob", { job: "j1", cores: 0x50000 }],
      [50 * US, "JobFaulted", { job: "j1", as: 1, reason: "power-lost" }],
      [60 * US, "JobStarted", { job: "j2", as: 1, kind: "compute", cores: 0x5, hz: GHZ, durationNs: 500 * US }],
      [560 * US, "JobCompleted", { job: "j2", as: 1, cores: 0x5, cycles: 1_000_000, runNs: 500 * US }],
    ]);
  });

  it("never completes a hanging job, drops it on a soft reset, and obeys injected faults", () => {
    const h = harness();
    h.dispatch("hang", 0, { hang: true });
    h.dispatch("victim", 0);
    h.sim.input("injector", JobFaultInjected, shaderPaths(0).inject, { gpu: 0, job: "victim", effect: "fault" }, 10 * US);
    h.sim.input("regs", GpuSoftResetCompleted, regsPaths(0).reset, { kind: "soft" }, 10 * 1000 * US);
    h.sim.run();
    expect(h.shaderFacts().filter(([, t]) => t === "JobStarted" || t === "JobFaulted" || t === "JobCompleted")).toEqual([
      [0, "JobStarted", { job: "hang", as: 1, kind: "compute", cores: 0x50005, hz: GHZ }],
      [0, "JobStarted", { job: "victim", as: 1, kind: "compute", cores: 0x50005, hz: GHZ, durationNs: 250 * US }],
      [10 * US, "JobFaulted", { job: "victim", as: 1, reason: "injected" }],
      [10_000 * US, "JobFaulted", { job: "hang", as: 1, reason: "reset" }],
    ]);
  });

  it("faults a job whose translation faults, with the MMU's fault", () => {
    const h = harness();
    h.dispatch("bad", 0);
    h.dispatch("bad", 0);
    h.sim.run();
    expect(h.shaderFacts()).toEqual([
      [0, "JobFaulted", { job: "bad", as: 1, reason: "duplicate-job" }],
      [0, "JobFaulted", { job: "bad", as: 1, reason: "mmu-fault", fault: { faultStatus: 0x2c3, faultAddress: 0x10000, exceptionType: 0xc3, exceptionName: "TRANSLATION_FAULT_3", accessType: 2, latched: false } }],
    ]);
  });

  it("reports busy time per core since the previous report", () => {
    const h = harness();
    h.dispatch("a", 0, { coreMask: 0x5 });
    h.sim.input("gov", ShaderUtilisationRequested, shaderPaths(0).utilRequest, {}, 1000 * US);
    h.sim.run();
    const report = h.sink.events.find((e) => e.type === "ShaderUtilisationReported")?.payload;
    expect(report).toEqual({
      windowNs: 1000 * US,
      busyNs: 500 * US,
      cores: [{ core: 0, busyNs: 500 * US }, { core: 2, busyNs: 500 * US }, { core: 16, busyNs: 0 }, { core: 18, busyNs: 0 }],
    });
  });
});
