import { describe, expect, it } from "vitest";
import { powerPerDomain, type EnergyModel, type OperatingPoint } from "./energy.ts";
import { createEnergyAccount, createPowerCache } from "./energyAccount.ts";
import type { PowerDomain } from "./powerDomain.ts";
import { powerConfigFromModel } from "./powerConfig.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";

/** The energy model of the shipped Mali-G610 model file, as the power controller reads it. */
const g610: EnergyModel = powerConfigFromModel(loadGpuModel("mali-g610-rk3588"), 0, 0).energy;
const opp: OperatingPoint = { microvolt: 750_000, hz: 800_000_000 };
const MS = 1_000_000;

describe("power cache", () => {
  it("gives what powerPerDomain gives, and recomputes as soon as any input changes", () => {
    // given a cache fed the same inputs twice, then each input changed in turn
    const power = createPowerCache(g610);
    const util = { l2: 0.5, tiler: 0.25, shader: 1 };
    const first = power(opp, 1, 1, 4, util);
    // then a repeat hands back the same draw, and every change is seen
    expect(power({ ...opp }, 1, 1, 4, { ...util })).toBe(first);
    const fresh = (o: OperatingPoint, l2: number, tiler: number, shader: number, u: Record<PowerDomain, number>) =>
      powerPerDomain(g610, o, { l2: { poweredUnits: l2, utilisation: u.l2 }, tiler: { poweredUnits: tiler, utilisation: u.tiler }, shader: { poweredUnits: shader, utilisation: u.shader } });
    expect(first).toEqual(fresh(opp, 1, 1, 4, util));
    const cases: [OperatingPoint, number, number, number, Record<PowerDomain, number>][] = [
      [{ ...opp, microvolt: 0 }, 1, 1, 4, util],
      [{ ...opp, hz: 0 }, 1, 1, 4, util],
      [opp, 0, 1, 4, util],
      [opp, 1, 0, 4, util],
      [opp, 1, 1, 2, util],
      [opp, 1, 1, 4, { ...util, l2: 0 }],
      [opp, 1, 1, 4, { ...util, tiler: 0 }],
      [opp, 1, 1, 4, { ...util, shader: 0 }],
    ];
    for (const c of cases) expect(power(...c)).toEqual(fresh(...c));
  });

  it("does not follow a utilisation record changed in place after the call", () => {
    const power = createPowerCache(g610);
    const util = { l2: 0, tiler: 0, shader: 0 };
    power(opp, 1, 1, 4, util);
    util.shader = 1;
    expect(power(opp, 1, 1, 4, util).shader.dynamicMw).toBeGreaterThan(0);
  });
});

describe("energy account", () => {
  it("integrates the power in force before each change, however often it is advanced in one instant", () => {
    // given L2 and four cores powered, the cores idle, then busy from 1 ms
    const units: Record<PowerDomain, number> = { l2: 1, tiler: 0, shader: 4 };
    const account = createEnergyAccount(g610, { operatingPoint: () => opp, poweredUnits: (d) => units[d] });
    account.advance(MS);
    account.advance(MS);
    account.setUtilisation(MS, "shader", 1);
    account.advance(MS);
    // then 2 ms hold 2 ms of leakage and 1 ms of the cores' switching power
    const draw = (u: number) => powerPerDomain(g610, opp, { l2: { poweredUnits: 1, utilisation: 0 }, tiler: { poweredUnits: 0, utilisation: 0 }, shader: { poweredUnits: 4, utilisation: u } });
    const e = account.joules(2 * MS);
    expect(e.perDomain.shader.staticJoules).toBeCloseTo((2 * MS * draw(0).shader.staticMw) / 1e12, 15);
    expect(e.perDomain.shader.dynamicJoules).toBeCloseTo((MS * draw(1).shader.dynamicMw) / 1e12, 15);
    expect(() => account.advance(MS / 2)).toThrow(RangeError);
  });
});
