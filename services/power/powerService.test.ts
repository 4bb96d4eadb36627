import { describe, expect, it } from "vitest";
import { PowerOffRequested, PowerOnRequested, type PowerDomain } from "./powerEvents.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { powerHarness } from "./powerHarness.ts";

const US = 1_000;

function harness(jitter = 0) {
  const h = powerHarness({ jitter });
  const on = (domain: PowerDomain, mask: number, at: number) => h.send(PowerOnRequested, { domain, mask }, at);
  const off = (domain: PowerDomain, mask: number, at: number) => h.send(PowerOffRequested, { domain, mask }, at);
  const domainFacts = () => h.facts("PowerTransitionStarted", "PowerDomainChanged");
  return { ...h, on, off, domainFacts };
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
    expect(h.domainFacts()).toEqual([
      [0, "PowerTransitionStarted", { domain: "l2", direction: "up", trans: 1, latencyNs: 10 * US }],
      [10 * US, "PowerDomainChanged", { domain: "l2", ready: 1, trans: 0 }],
      [50 * US, "PowerTransitionStarted", { domain: "shader", direction: "up", trans: 0xf, latencyNs: 20 * US }],
      [70 * US, "PowerDomainChanged", { domain: "shader", ready: 0xf, trans: 0 }],
    ]);
    expect(h.snapshot()).toMatchObject({ l2: { state: "on", ready: 1 }, shader: { state: "on", ready: 0xf } });
  });

  it("refuses shader cores before L2 is ready, and L2 power-down while cores are on", () => {
    const h = harness();
    h.on("shader", 0x3, 0);
    h.on("l2", 1, 1 * US);
    h.on("shader", 0x3, 20 * US);
    h.off("l2", 1, 40 * US);
    h.sim.run({ untilNs: 100 * US });
    expect(h.facts("PowerRequestRejected").map(([t, , p]) => [t, p])).toEqual([
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
    const reasons = h.facts("PowerRequestRejected").map(([, , p]) => (p as { reason: string }).reason);
    expect(reasons).toEqual(["busy", "not-present"]);
  });

  it("draws jittered latencies from the seeded PRNG, identically for the same seed", () => {
    const a = harness(0.1);
    const b = harness(0.1);
    for (const h of [a, b]) {
      h.on("l2", 1, 0);
      h.sim.run({ untilNs: 100 * US });
    }
    const latency = (h: ReturnType<typeof harness>) => (h.facts("PowerTransitionStarted")[0]?.[2] as { latencyNs: number }).latencyNs;
    expect(latency(a)).toBe(latency(b));
    expect(latency(a)).not.toBe(10 * US);
    expect(Math.abs(latency(a) - 10 * US)).toBeLessThanOrEqual(1 * US);
  });

  it("leaves every domain off with nothing in transition after a GPU soft reset, mid-transition included", () => {
    // given L2 and the tiler on, and the shader cores half-way through powering up
    const h = harness();
    h.on("l2", 1, 0);
    h.on("tiler", 1, 20 * US);
    h.on("shader", 0xf, 30 * US);
    // when the register file reports a completed soft reset at 40 µs
    h.send(GpuSoftResetCompleted, { kind: "soft" }, 40 * US, h.paths.reset);
    h.sim.run({ untilNs: 200 * US });
    // then every domain reads READY 0, PWRTRANS 0 at 40 µs, and the cores' power-up never completes
    expect(h.facts("PowerDomainChanged").filter(([t]) => (t as number) >= 40 * US)).toEqual([
      [40 * US, "PowerDomainChanged", { domain: "shader", ready: 0, trans: 0 }],
      [40 * US, "PowerDomainChanged", { domain: "tiler", ready: 0, trans: 0 }],
      [40 * US, "PowerDomainChanged", { domain: "l2", ready: 0, trans: 0 }],
    ]);
    expect(h.snapshot()).toMatchObject({ l2: { state: "off", ready: 0, trans: 0 }, tiler: { state: "off" }, shader: { state: "off", ready: 0, trans: 0 } });
  });

  it("completes a power-up asked for after a reset at its own latency, never at the cancelled one", () => {
    // given the shader cores powering up from 20 µs (due at 40 µs) when a soft reset lands at 25 µs
    const h = harness();
    h.on("l2", 1, 0);
    h.on("shader", 0xf, 20 * US);
    h.send(GpuSoftResetCompleted, { kind: "soft" }, 25 * US, h.paths.reset);
    // when L2 and the cores are powered up again, the cores from 37 µs
    h.on("l2", 1, 26 * US);
    h.on("shader", 0xf, 37 * US);
    h.sim.run({ untilNs: 200 * US });
    // then the cores are ready 20 µs after the second request, and not at 40 µs
    expect(h.facts("PowerDomainChanged").filter(([, , p]) => (p as { domain: string }).domain === "shader")).toEqual([
      [25 * US, "PowerDomainChanged", { domain: "shader", ready: 0, trans: 0 }],
      [57 * US, "PowerDomainChanged", { domain: "shader", ready: 0xf, trans: 0 }],
    ]);
  });

  it("ignores a soft reset when every domain is already off", () => {
    const h = harness();
    h.send(GpuSoftResetCompleted, { kind: "soft" }, 5 * US, h.paths.reset);
    h.sim.run({ untilNs: 50 * US });
    expect(h.facts("PowerDomainChanged")).toEqual([]);
  });
});
