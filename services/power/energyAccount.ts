import {
  advanceEnergyMeter,
  createEnergyMeter,
  type DomainEnergy,
  energyInJoules,
  powerPerDomain,
  type DomainActivity,
  type DomainPower,
  type EnergyModel,
  type OperatingPoint,
} from "./energy.ts";
import { POWER_DOMAINS, type PowerDomain } from "./powerDomain.ts";

/** Where the account reads the live state it integrates over. */
export interface EnergyInputs {
  /** Rail and clock now (0 µV with the rail off, 0 Hz with the clock gated). */
  operatingPoint(): OperatingPoint;
  /** READY units of a domain now. */
  poweredUnits(domain: PowerDomain): number;
}

/** The power controller's running energy account (the thin stateful shell over energy.ts). */
export interface EnergyAccount {
  /** Integrate up to `nowNs` with the state in force until now; call before any change of power, frequency or utilisation. */
  advance(nowNs: number): void;
  /** Set a domain's utilisation from `nowNs` on (integrates up to `nowNs` first). */
  setUtilisation(nowNs: number, domain: PowerDomain, utilisation: number): void;
  /** Energy up to `nowNs` in joules, without changing the account (for reports and snapshots). */
  joules(nowNs: number): ReturnType<typeof energyInJoules>;
  /** Current utilisation per domain. */
  utilisation(): Readonly<Record<PowerDomain, number>>;
}

/**
 * An energy account over live inputs: the meter is advanced at every change, with the power drawn
 * before the change, so energy is exact for piecewise-constant power. Domains nobody reports on
 * count as idle (utilisation 0: leakage only).
 */
export function createEnergyAccount(model: EnergyModel, inputs: EnergyInputs): EnergyAccount {
  const meter = createRunningMeter(0);
  const util: Record<PowerDomain, number> = { l2: 0, tiler: 0, shader: 0 };
  const power = createPowerCache(model);
  const draw = () => power(inputs.operatingPoint(), inputs.poweredUnits("l2"), inputs.poweredUnits("tiler"), inputs.poweredUnits("shader"), util);
  const account: EnergyAccount = {
    advance(nowNs) {
      // The controller advances on every event it sees, often several times in one instant; an
      // advance to the meter's own time changes nothing, so the power draw need not even be read.
      if (nowNs !== meter.lastNs) advanceRunningMeter(meter, nowNs, draw());
    },
    setUtilisation(nowNs, domain, utilisation) {
      account.advance(nowNs);
      util[domain] = utilisation;
    },
    joules: (nowNs) => energyInJoules(advanceEnergyMeter(meter, nowNs, draw())),
    utilisation: () => ({ ...util }),
  };
  return account;
}

/** An {@link EnergyMeter} whose fields the account updates in place. */
interface RunningMeter {
  lastNs: number;
  readonly perDomain: Record<PowerDomain, { -readonly [K in keyof DomainEnergy]: DomainEnergy[K] }>;
}

/** A running meter at `startNs` with nothing used yet. */
function createRunningMeter(startNs: number): RunningMeter {
  const { perDomain } = createEnergyMeter(startNs);
  return { lastNs: startNs, perDomain: { l2: { ...perDomain.l2 }, tiler: { ...perDomain.tiler }, shader: { ...perDomain.shader } } };
}

/**
 * `advanceEnergyMeter` in place: the same sums in the same order (so the same joules to the last
 * bit), without the five new objects per advance — the controller advances on nearly every event.
 */
function advanceRunningMeter(meter: RunningMeter, nowNs: number, power: Readonly<Record<PowerDomain, DomainPower>>): void {
  const dt = nowNs - meter.lastNs;
  if (dt < 0) throw new RangeError(`energy meter at ${meter.lastNs} ns cannot go back to ${nowNs} ns`);
  for (const d of POWER_DOMAINS) {
    const e = meter.perDomain[d];
    e.staticPj = e.staticPj + power[d].staticMw * dt;
    e.dynamicPj = e.dynamicPj + power[d].dynamicMw * dt;
  }
  meter.lastNs = nowNs;
}

/**
 * `powerPerDomain` remembered for the last inputs it saw: power changes only when the rail, the
 * clock, a domain's READY units or a utilisation does, and most advances (one per event) see none
 * of those change. Safe because `powerPerDomain` is a pure function of exactly these inputs, so a
 * hit returns the very numbers a fresh call would; the caller must not mutate the result.
 */
export function createPowerCache(model: EnergyModel) {
  let last: { op: OperatingPoint; l2: number; tiler: number; shader: number; util: Record<PowerDomain, number>; power: Record<PowerDomain, DomainPower> } | undefined;
  return (op: OperatingPoint, l2: number, tiler: number, shader: number, util: Readonly<Record<PowerDomain, number>>): Readonly<Record<PowerDomain, DomainPower>> => {
    if (
      last !== undefined &&
      last.op.microvolt === op.microvolt &&
      last.op.hz === op.hz &&
      last.l2 === l2 &&
      last.tiler === tiler &&
      last.shader === shader &&
      last.util.l2 === util.l2 &&
      last.util.tiler === util.tiler &&
      last.util.shader === util.shader
    ) {
      return last.power;
    }
    const units: Record<PowerDomain, number> = { l2, tiler, shader };
    const activity = {} as Record<PowerDomain, DomainActivity>;
    for (const d of POWER_DOMAINS) activity[d] = { poweredUnits: units[d], utilisation: util[d] };
    last = { op, l2, tiler, shader, util: { ...util }, power: powerPerDomain(model, op, activity) };
    return last.power;
  };
}
