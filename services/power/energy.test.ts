import { describe, expect, it } from "vitest";
import {
  advanceEnergyMeter,
  createEnergyMeter,
  dynamicPowerMw,
  energyInJoules,
  powerPerDomain,
  staticPowerMw,
  type DomainActivity,
  type EnergyModel,
  type OperatingPoint,
} from "./energy.ts";
import type { PowerDomain } from "./powerDomain.ts";

const MS = 1_000_000;

/** The Mali-G610 MC4 coefficients of shared/gpu/models/mali-g610-rk3588.yaml. */
const g610: EnergyModel = {
  nominalMicrovolt: 750_000,
  domains: {
    l2: { staticMw: 20, dynamicUwPerMhzV2: 400 },
    tiler: { staticMw: 8, dynamicUwPerMhzV2: 182 },
    shader: { staticMw: 25, dynamicUwPerMhzV2: 600 },
  },
};

const idle = { poweredUnits: 0, utilisation: 0 };
const activity = (a: Partial<Record<PowerDomain, DomainActivity>>): Record<PowerDomain, DomainActivity> => ({ l2: idle, tiler: idle, shader: idle, ...a });

/** Energy (J) of `ms` milliseconds at one operating point and activity. */
function joulesOver(ms: number, op: OperatingPoint, act: Record<PowerDomain, DomainActivity>) {
  return energyInJoules(advanceEnergyMeter(createEnergyMeter(), ms * MS, powerPerDomain(g610, op, act)));
}

describe("energy model", () => {
  it("gives leakage at the nominal voltage per powered unit, scaled by (V/V_nominal)²", () => {
    expect(staticPowerMw(g610.domains.shader, 4, 750_000, 750_000)).toBe(100);
    expect(staticPowerMw(g610.domains.shader, 4, 375_000, 750_000)).toBe(25);
    expect(staticPowerMw(g610.domains.shader, 0, 850_000, 750_000)).toBe(0);
  });

  it("gives switching power as C × V² × MHz × utilisation", () => {
    // 600 µW/MHz/V² × 0.5² V² × 1000 MHz × 1 = 150 000 µW = 150 mW per core
    expect(dynamicPowerMw(g610.domains.shader, 1, { microvolt: 500_000, hz: 1e9 }, 1)).toBe(150);
    expect(dynamicPowerMw(g610.domains.shader, 2, { microvolt: 500_000, hz: 1e9 }, 0.5)).toBe(150);
  });

  it("matches a hand-computed run: 4 shader cores and L2 at 1 GHz / 850 mV, cores 50 % busy, for 1 ms", () => {
    // given L2 (idle) and four shader cores powered at the top RK3588 OPP
    const op = { microvolt: 850_000, hz: 1e9 };
    // when 1 ms passes with the cores half busy
    const e = joulesOver(1, op, activity({ l2: { poweredUnits: 1, utilisation: 0 }, shader: { poweredUnits: 4, utilisation: 0.5 } }));
    // then shader static = 25 mW × 4 × (0.85/0.75)² = 128.444… mW → 128.444 µJ
    expect(e.perDomain.shader.staticJoules).toBeCloseTo(128.4444444e-6, 12);
    // shader dynamic = 600 × 0.7225 × 1000 × 0.5 / 1000 mW × 4 = 867 mW → 867 µJ
    expect(e.perDomain.shader.dynamicJoules).toBeCloseTo(867e-6, 12);
    // L2 static = 20 × (0.85/0.75)² = 25.689 mW, no dynamic energy when idle; the tiler is off
    expect(e.perDomain.l2.staticJoules).toBeCloseTo(25.6888889e-6, 12);
    expect(e.perDomain.l2.dynamicJoules).toBe(0);
    expect(e.perDomain.tiler.joules).toBe(0);
    expect(e.totalJoules).toBeCloseTo(128.4444444e-6 + 867e-6 + 25.6888889e-6, 12);
  });

  it("uses no dynamic energy at utilisation 0", () => {
    const e = joulesOver(10, { microvolt: 850_000, hz: 1e9 }, activity({ l2: { poweredUnits: 1, utilisation: 0 }, shader: { poweredUnits: 4, utilisation: 0 } }));
    expect(e.perDomain.shader.dynamicJoules).toBe(0);
    expect(e.perDomain.l2.dynamicJoules).toBe(0);
    expect(e.perDomain.shader.staticJoules).toBeGreaterThan(0);
  });

  it("charges static energy only to powered domains", () => {
    const e = joulesOver(1, { microvolt: 750_000, hz: 3e8 }, activity({ l2: { poweredUnits: 1, utilisation: 1 } }));
    expect(e.perDomain.l2.staticJoules).toBeCloseTo(20e-6, 15);
    expect(e.perDomain.tiler).toEqual({ staticJoules: 0, dynamicJoules: 0, joules: 0 });
    expect(e.perDomain.shader).toEqual({ staticJoules: 0, dynamicJoules: 0, joules: 0 });
  });

  it("uses more energy for the same activity at a higher OPP, by V²·f for the dynamic part", () => {
    const act = activity({ l2: { poweredUnits: 1, utilisation: 0.3 }, shader: { poweredUnits: 4, utilisation: 0.8 } });
    const low = joulesOver(1, { microvolt: 675_000, hz: 3e8 }, act);
    const high = joulesOver(1, { microvolt: 850_000, hz: 1e9 }, act);
    expect(high.totalJoules).toBeGreaterThan(low.totalJoules);
    const ratio = high.perDomain.shader.dynamicJoules / low.perDomain.shader.dynamicJoules;
    expect(ratio).toBeCloseTo((0.85 ** 2 * 1000) / (0.675 ** 2 * 300), 9);
  });

  it("integrates piecewise: two advances equal one over the whole interval at constant power", () => {
    const p = powerPerDomain(g610, { microvolt: 800_000, hz: 9e8 }, activity({ shader: { poweredUnits: 2, utilisation: 0.25 } }));
    const once = advanceEnergyMeter(createEnergyMeter(), 3 * MS, p);
    const twice = advanceEnergyMeter(advanceEnergyMeter(createEnergyMeter(), 1 * MS, p), 3 * MS, p);
    expect(energyInJoules(twice).totalJoules).toBeCloseTo(energyInJoules(once).totalJoules, 15);
    expect(advanceEnergyMeter(once, 3 * MS, p)).toBe(once);
    expect(() => advanceEnergyMeter(once, 2 * MS, p)).toThrow(RangeError);
  });

  it("uses nothing with the rail off, and no dynamic energy with the clock gated", () => {
    const act = activity({ shader: { poweredUnits: 4, utilisation: 1 } });
    expect(joulesOver(1, { microvolt: 0, hz: 1e9 }, act).totalJoules).toBe(0);
    const gated = joulesOver(1, { microvolt: 750_000, hz: 0 }, act);
    expect(gated.perDomain.shader.dynamicJoules).toBe(0);
    expect(gated.perDomain.shader.staticJoules).toBeCloseTo(100e-6, 15);
  });
});
