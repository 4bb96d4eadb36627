import { describe, expect, it } from "vitest";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { powerEvents, PowerOffRequested, PowerOnRequested } from "./powerEvents.ts";
import { powerControllerActor, powerPaths } from "./powerService.ts";

const US = 1_000;

function harness(jitter = 0) {
  const registry = new EventRegistry().register(...systemEvents, ...powerEvents);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: 7, registry, sink });
  const actor = sim.addActor(
    powerControllerActor({
      gpu: 0,
      jitter,
      domains: {
        l2: { domain: "l2", present: 0x1, upNs: 10 * US, downNs: 5 * US },
        tiler: { domain: "tiler", present: 0x1, upNs: 4 * US, downNs: 2 * US },
        shader: { domain: "shader", present: 0xf, upNs: 20 * US, downNs: 8 * US },
      },
    }),
  );
  const paths = powerPaths(0);
  const on = (domain: "l2" | "tiler" | "shader", mask: number, at: number) => sim.input("scenario", PowerOnRequested, paths.cmd, { domain, mask }, at);
  const off = (domain: "l2" | "tiler" | "shader", mask: number, at: number) => sim.input("scenario", PowerOffRequested, paths.cmd, { domain, mask }, at);
  const facts = () => sink.events.filter((e) => e.source === "gpu0.pwr").map((e) => [e.timeNs, e.type, e.payload]);
  return { sim, sink, actor, on, off, facts };
}

describe("power controller", () => {
  it("powers L2 then the shader cores, each after its latency, with PWRTRANS then READY", () => {
    // given a GPU with L2 off
    const h = harness();
    // when the driver powers L2 at 0 and all four shader cores at 50 µs
    h.on("l2", 1, 0);
    h.on("shader", 0xf, 50 * US);
    h.sim.run({ untilNs: 200 * US });
    // then the transitions start at the request and complete after the model's latencies
    expect(h.facts()).toEqual([
      [0, "PowerTransitionStarted", { domain: "l2", direction: "up", trans: 1, latencyNs: 10 * US }],
      [10 * US, "PowerDomainChanged", { domain: "l2", ready: 1, trans: 0 }],
      [50 * US, "PowerTransitionStarted", { domain: "shader", direction: "up", trans: 0xf, latencyNs: 20 * US }],
      [70 * US, "PowerDomainChanged", { domain: "shader", ready: 0xf, trans: 0 }],
    ]);
    expect(h.actor.behaviour.snapshot()).toMatchObject({ l2: { state: "on", ready: 1 }, shader: { state: "on", ready: 0xf } });
  });

  it("refuses shader cores before L2 is ready, and L2 power-down while cores are on", () => {
    const h = harness();
    h.on("shader", 0x3, 0);
    h.on("l2", 1, 1 * US);
    h.on("shader", 0x3, 20 * US);
    h.off("l2", 1, 40 * US);
    h.sim.run({ untilNs: 100 * US });
    const rejected = h.sink.events.filter((e) => e.type === "PowerRequestRejected").map((e) => [e.timeNs, e.payload]);
    expect(rejected).toEqual([
      [0, { domain: "shader", mask: 3, reason: "l2-off" }],
      [40 * US, { domain: "l2", mask: 1, reason: "cores-on" }],
    ]);
  });

  it("refuses a second request while a transition is in flight and cores that are not present", () => {
    const h = harness();
    h.on("l2", 1, 0);
    h.on("l2", 1, 2 * US);
    h.on("tiler", 0x2, 30 * US);
    h.sim.run({ untilNs: 100 * US });
    const reasons = h.sink.events.filter((e) => e.type === "PowerRequestRejected").map((e) => (e.payload as { reason: string }).reason);
    expect(reasons).toEqual(["busy", "not-present"]);
  });

  it("draws jittered latencies from the seeded PRNG, identically for the same seed", () => {
    const a = harness(0.1);
    const b = harness(0.1);
    for (const h of [a, b]) {
      h.on("l2", 1, 0);
      h.sim.run({ untilNs: 100 * US });
    }
    const latency = (h: ReturnType<typeof harness>) => (h.sink.events.find((e) => e.type === "PowerTransitionStarted")?.payload as { latencyNs: number }).latencyNs;
    expect(latency(a)).toBe(latency(b));
    expect(latency(a)).not.toBe(10 * US);
    expect(Math.abs(latency(a) - 10 * US)).toBeLessThanOrEqual(1 * US);
  });
});
