import { describe, expect, it } from "vitest";
import { DomainUtilisationReported, EnergyReportRequested } from "./energyEvents.ts";
import { FrequencyChangeRequested, PowerOffRequested, PowerOnRequested } from "./powerEvents.ts";
import { powerHarness } from "./powerHarness.ts";
import { ClockDisableRequested } from "./supplyEvents.ts";

const US = 1_000;
const MHZ = 1_000_000;

interface Report {
  totalJoules: number;
  perDomain: Record<"l2" | "tiler" | "shader", { staticJoules: number; dynamicJoules: number; joules: number }>;
}
const reports = (h: ReturnType<typeof powerHarness>) => h.facts("EnergyReported").map(([t, , p]) => [t, p as Report] as const);

/** L2 and four shader cores busy for 1 ms at the given OPP (null: the initial 300 MHz one); the report at the run's end. */
function busyMillisecond(hz: number | null): Report {
  const h = powerHarness();
  if (hz !== null) h.send(FrequencyChangeRequested, { hz }, 0);
  h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 100 * US);
  h.send(PowerOnRequested, { domain: "shader", mask: 0xf }, 200 * US);
  h.send(DomainUtilisationReported, { domain: "shader", utilisation: 0.7 }, 200 * US);
  h.send(DomainUtilisationReported, { domain: "l2", utilisation: 0.2 }, 200 * US);
  h.send(PowerOffRequested, { domain: "shader", mask: 0xf }, 1200 * US);
  h.send(PowerOffRequested, { domain: "l2", mask: 1 }, 1300 * US);
  h.sim.run({ untilNs: 2000 * US });
  return reports(h).at(-1)![1];
}

describe("energy accounting of the power controller", () => {
  it("matches a hand-computed case: L2 powered 105 µs at 300 MHz / 675 mV, half busy", () => {
    // given the GPU at its initial OPP with L2 reported half busy
    const h = powerHarness();
    h.send(DomainUtilisationReported, { domain: "l2", utilisation: 0.5 }, 0);
    // when L2 is READY from 10 µs to 115 µs (power-down requested at 110 µs, 5 µs latency)
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.send(PowerOffRequested, { domain: "l2", mask: 1 }, 110 * US);
    h.send(EnergyReportRequested, {}, 200 * US);
    h.sim.run({ untilNs: 300 * US });
    // then static = 20 mW × (0.675/0.75)² = 16.2 mW and dynamic = 400 × 0.675² × 300 × 0.5 / 1000
    // = 27.3375 mW, both over 105 µs; the tiler and cores used nothing
    const [[at, report], [endAt, atEnd]] = reports(h) as [readonly [unknown, Report], readonly [unknown, Report]];
    expect(at).toBe(200 * US);
    expect(report.perDomain.l2.staticJoules).toBeCloseTo(16.2e-3 * 105e-6, 15);
    expect(report.perDomain.l2.dynamicJoules).toBeCloseTo(27.3375e-3 * 105e-6, 15);
    expect(report.perDomain.tiler.joules).toBe(0);
    expect(report.perDomain.shader.joules).toBe(0);
    expect(report.totalJoules).toBeCloseTo((16.2e-3 + 27.3375e-3) * 105e-6, 15);
    // and the run's end reports once more, unchanged since nothing was powered after 115 µs
    expect(endAt).toBe(300 * US);
    expect(atEnd).toEqual(report);
  });

  it("uses more energy for the same activity at a higher OPP", () => {
    const low = busyMillisecond(null);
    const high = busyMillisecond(1000 * MHZ);
    expect(high.totalJoules).toBeGreaterThan(low.totalJoules);
    // dynamic energy scales by V²·f: (0.85² × 1000) / (0.675² × 300)
    expect(high.perDomain.shader.dynamicJoules / low.perDomain.shader.dynamicJoules).toBeCloseTo((0.85 ** 2 * 1000) / (0.675 ** 2 * 300), 9);
  });

  it("uses no dynamic energy when no one reports utilisation, only leakage of powered domains", () => {
    const h = powerHarness();
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.sim.run({ untilNs: 1000 * US });
    const [, end] = reports(h).at(-1)!;
    expect(end.perDomain.l2.dynamicJoules).toBe(0);
    expect(end.perDomain.l2.staticJoules).toBeCloseTo(16.2e-3 * 990e-6, 15);
    expect(end.perDomain.shader).toEqual({ staticJoules: 0, dynamicJoules: 0, joules: 0 });
  });

  it("stops dynamic energy while the core clock is gated", () => {
    const h = powerHarness();
    h.send(DomainUtilisationReported, { domain: "l2", utilisation: 1 }, 0);
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.send(ClockDisableRequested, { clock: "core" }, 110 * US);
    h.sim.run({ untilNs: 1000 * US });
    const [, end] = reports(h).at(-1)!;
    // busy only from READY at 10 µs to the gate at 110 µs: 400 × 0.675² × 300 / 1000 = 54.675 mW
    expect(end.perDomain.l2.dynamicJoules).toBeCloseTo(54.675e-3 * 100e-6, 15);
  });

  it("shows the energy so far in the snapshot, equal to the report at the end of the run", () => {
    const h = powerHarness();
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.sim.run({ untilNs: 500 * US });
    const [, end] = reports(h).at(-1)!;
    expect(h.snapshot().energy).toEqual(end);
  });
});
