import { describe, expect, it } from "vitest";
import type { ActorBehaviour, ActorContext, ActorSpec } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { loadGpuModel } from "../../../shared/gpu/loadModel.ts";
import { PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { MemoryLogSink } from "../../../shared/log/jsonlSink.ts";
import { Simulation } from "../../../shared/runtime/simulation.ts";
import { createCatalogue } from "../../catalogue.ts";
import { ShaderUtilisationReported, ShaderUtilisationRequested } from "../../shader/shaderEvents.ts";
import { shaderPaths } from "../../shader/shaderPaths.ts";
import { gpuHardware } from "../../world.ts";
import { DeviceBindRequested, driverPaths } from "../driverEvents.ts";
import { driverActor } from "../driverService.ts";
import { createPmBench } from "./pmHarness.ts";

const MS = 1_000_000;
const MHZ = 1_000_000;
const G610 = loadGpuModel("mali-g610-rk3588");
const OPP_HZ = new Set(G610.opp_table.map((o) => o.hz));
const pay = <T>(e: Envelope) => e.payload as T;
type Transition = { from: number; to: number; load: number };

/** The shader cores, except that devfreq's polls are answered with scripted busy fractions of each window. */
function withScriptedUtilisation(shader: ActorSpec, busy: readonly number[]): ActorSpec {
  return {
    ...shader,
    create(ctx: ActorContext): ActorBehaviour {
      const inner = shader.create(ctx);
      let last = 0;
      let n = 0;
      return {
        handle(e) {
          if (!EventRegistry.is(ShaderUtilisationRequested, e)) return inner.handle(e);
          const windowNs = ctx.nowNs() - last;
          last = ctx.nowNs();
          const busyNs = Math.round(windowNs * (busy[n++] ?? 0));
          ctx.publish(ShaderUtilisationReported, shaderPaths(0).util, { windowNs, busyNs, cores: [] });
        },
        snapshot: () => inner.snapshot(),
      };
    },
  };
}

describe("devfreq with simple_ondemand", () => {
  it("follows the governor's answers to a scripted load: full → fastest OPP, 30 % → 700 MHz, idle → slowest", () => {
    // given a driver whose shader cores report a scripted load: 100 %, 30 %, 0 %
    const sink = new MemoryLogSink();
    const sim = new Simulation({ run: "devfreq", seed: 1, registry: createCatalogue(), sink });
    const mem = new PhysicalMemory(G610.memory.system_ram_bytes);
    for (const a of gpuHardware(G610, 0, 0, mem)) sim.addActor(a.name === "gpu0.shader" ? withScriptedUtilisation(a, [1, 0.3, 0]) : a);
    sim.addActor(driverActor(0, G610, { mem, power: { runtimePm: false } }));
    sim.input("scenario", DeviceBindRequested, driverPaths(0).bind, {}, 0);
    // when three polling periods pass
    sim.run({ untilNs: 160 * MS });
    // then one transition per poll, at the rail's pace (voltage first when going up)
    const t = sink.events.filter((e) => e.type === "DevfreqTransition");
    expect(t.map((e) => pay<Transition>(e))).toEqual([
      { from: 300 * MHZ, to: 1000 * MHZ, load: 1 },
      { from: 1000 * MHZ, to: 700 * MHZ, load: expect.closeTo(0.3, 6) },
      { from: 700 * MHZ, to: 300 * MHZ, load: 0 },
    ]);
    // polls every 50 ms after registration plus the previous pass's switch time (delayed work re-queued after update_devfreq)
    const polls = sink.events.filter((e) => e.type === "ShaderUtilisationRequested").map((e) => e.timeNs);
    const registered = sink.events.find((e) => e.type === "DrmDeviceRegistered")!.timeNs;
    expect(polls[0]).toBe(registered + 50 * MS);
    expect(polls[1]! - polls[0]!).toBeGreaterThan(50 * MS);
  });

  it("ramps to the fastest OPP under a heavy frame load and back to the slowest when idle", () => {
    // given 30 frames of 30 M cycles at 60 fps (more than a frame period at 300 MHz), then idle; runtime PM off so devfreq keeps polling
    const b = createPmBench({ power: { runtimePm: false }, load: { startNs: 5 * MS, periodNs: 16_666_667, framesPerBurst: 30, bursts: 1, pauseNs: 0, cycles: 30_000_000 } });
    b.sim.run({ untilNs: 1000 * MS });
    const t = b.events("DevfreqTransition").map((e) => ({ at: e.timeNs, ...pay<Transition>(e) }));
    // then the first poll under load goes straight to the top
    expect(t[0]).toMatchObject({ from: 300 * MHZ, to: 1000 * MHZ });
    expect(t[0]!.load).toBeGreaterThan(0.45);
    expect(t[0]!.at).toBeLessThan(105 * MS);
    // and once the frames stop (≈ 505 ms) it comes down to the slowest OPP and stays there
    const down = t.filter((x) => x.at > 505 * MS);
    expect(down.length).toBeGreaterThan(0);
    expect(down.at(-1)!.to).toBe(300 * MHZ);
    expect(b.power().devfreq.curHz).toBe(300 * MHZ);
    // and every switch is between OPPs of the table
    for (const x of t) expect(OPP_HZ.has(x.from) && OPP_HZ.has(x.to)).toBe(true);
    expect(b.submitter!.behaviour.snapshot()).toMatchObject({ completed: 30, faulted: 0 });
  });

  it("stops polling while the GPU is runtime-suspended and starts a fresh window on resume", () => {
    const b = createPmBench({ load: { startNs: 200 * MS, periodNs: 16_666_667, framesPerBurst: 3, bursts: 1, pauseNs: 0, cycles: 1_000_000 } });
    b.sim.run({ untilNs: 400 * MS });
    const suspended = b.events("RuntimePmSuspended").map((e) => e.timeNs);
    const r = b.events("RuntimePmResumed")[0]!;
    const resumed = r.timeNs;
    // panthor_devfreq_resume() runs right after the clocks, early in the resume
    const devfreqResumed = resumed - pay<{ latencyNs: number }>(r).latencyNs;
    const polls = b.events("ShaderUtilisationRequested").map((e) => e.timeNs);
    // then no poll between the first suspend and the resume; the first one after comes a period after devfreq resumed
    expect(polls.filter((t) => t > suspended[0]! && t < resumed)).toEqual([]);
    const after = polls.find((t) => t > resumed)!;
    expect(after - devfreqResumed).toBe(50 * MS);
    // and that poll (the last before the next suspend) measured the 50 ms since the resume, not the
    // 150 ms suspended: 3 frames of 0.83 ms busy → 5 %, not 1.2 %
    expect(polls.filter((t) => t > resumed)).toEqual([after]);
    expect(b.power().devfreq.lastLoad).toBeCloseTo(0.05, 3);
  });

  it("pins the GPU at the fastest OPP and never polls with the governor off", () => {
    const b = createPmBench({ power: { devfreq: false } });
    b.sim.run({ untilNs: 200 * MS });
    expect(b.events("FrequencyChanged").map((e) => pay<{ hz: number }>(e).hz)).toEqual([1000 * MHZ]);
    expect(b.events("ShaderUtilisationRequested")).toEqual([]);
    expect(b.power().devfreq).toMatchObject({ governor: "none", pinnedHz: 1000 * MHZ, curHz: 1000 * MHZ });
  });
});
