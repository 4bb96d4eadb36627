import { POWER_DOMAINS, type PowerDomain } from "./powerDomain.ts";

/**
 * The energy model of the power controller, as pure functions over virtual time.
 *
 * Per powered unit of a domain (one shader core, the tiler, the L2), with V the `mali` rail in
 * volts, f the `core` clock in MHz and u the domain's utilisation (0..1):
 *
 *   static  mW = static_mw × (V / V_nominal)²
 *   dynamic mW = dynamic_uw_per_mhz_v2 × V² × f × u / 1000
 *
 * The dynamic term is the kernel's energy-model formula for devfreq cooling
 * (`devfreq_cooling_em_register()` → `dev_pm_opp_of_register_em()`: P = C × V² × f, C the DT
 * `dynamic-power-coefficient` in µW/MHz/V²) scaled by busy time as `devfreq_cooling_get_requested_power()`
 * does. The static term is an assumption: the kernel leaves leakage to a platform callback
 * (`get_static_power`), which RK3588 does not provide; tyrsim scales the model's leakage at the
 * nominal voltage by (V/V_nominal)² and counts it only for powered (READY) units, since power-gated
 * cores do not leak. A gated clock (f = 0) stops dynamic power, a disabled rail (V = 0) both.
 *
 * Energy is integrated exactly (power is constant between events) in picojoules: mW × ns = pJ.
 */

/** Coefficients of one domain, per powered unit (from the model's `energy.domains`). */
export interface DomainEnergyModel {
  readonly staticMw: number;
  readonly dynamicUwPerMhzV2: number;
}

/** The energy model of a GPU: the voltage static power was characterised at, and per-domain coefficients. */
export interface EnergyModel {
  readonly nominalMicrovolt: number;
  readonly domains: Readonly<Record<PowerDomain, DomainEnergyModel>>;
}

/** The rail and clock during an interval: 0 µV when the `mali` regulator is off, 0 Hz when `core` is gated. */
export interface OperatingPoint {
  readonly microvolt: number;
  readonly hz: number;
}

/** What a domain does during an interval: READY units and how busy they are (0..1). */
export interface DomainActivity {
  readonly poweredUnits: number;
  readonly utilisation: number;
}

/** A domain's power draw during an interval, in mW. */
export interface DomainPower {
  readonly staticMw: number;
  readonly dynamicMw: number;
}

/** Leakage of `units` powered units at `microvolt`: static_mw × units × (V/V_nominal)². */
export function staticPowerMw(m: DomainEnergyModel, units: number, microvolt: number, nominalMicrovolt: number): number {
  const r = microvolt / nominalMicrovolt;
  return m.staticMw * units * r * r;
}

/** Switching power of `units` powered units: C × V² × f(MHz) × utilisation / 1000, in mW. */
export function dynamicPowerMw(m: DomainEnergyModel, units: number, op: OperatingPoint, utilisation: number): number {
  const volts = op.microvolt / 1e6;
  const mhz = op.hz / 1e6;
  return (m.dynamicUwPerMhzV2 * volts * volts * mhz * utilisation * units) / 1000;
}

/** Static and dynamic power of every domain at one operating point. */
export function powerPerDomain(
  model: EnergyModel,
  op: OperatingPoint,
  activity: Readonly<Record<PowerDomain, DomainActivity>>,
): Record<PowerDomain, DomainPower> {
  const out = {} as Record<PowerDomain, DomainPower>;
  for (const d of POWER_DOMAINS) {
    const { poweredUnits, utilisation } = activity[d];
    out[d] = {
      staticMw: staticPowerMw(model.domains[d], poweredUnits, op.microvolt, model.nominalMicrovolt),
      dynamicMw: dynamicPowerMw(model.domains[d], poweredUnits, op, utilisation),
    };
  }
  return out;
}

/** Energy of one domain so far, in picojoules. */
export interface DomainEnergy {
  readonly staticPj: number;
  readonly dynamicPj: number;
}

/** The running integral: energy per domain up to `lastNs`. */
export interface EnergyMeter {
  readonly lastNs: number;
  readonly perDomain: Readonly<Record<PowerDomain, DomainEnergy>>;
}

/** A meter at `startNs` with nothing used yet. */
export function createEnergyMeter(startNs = 0): EnergyMeter {
  const perDomain = {} as Record<PowerDomain, DomainEnergy>;
  for (const d of POWER_DOMAINS) perDomain[d] = { staticPj: 0, dynamicPj: 0 };
  return { lastNs: startNs, perDomain };
}

/**
 * The meter advanced to `nowNs` with `power` drawn since its last time (the power in force during
 * that interval, i.e. before whatever change happens at `nowNs`). Time never goes backwards; an
 * advance to the same instant returns the meter unchanged.
 */
export function advanceEnergyMeter(meter: EnergyMeter, nowNs: number, power: Readonly<Record<PowerDomain, DomainPower>>): EnergyMeter {
  const dt = nowNs - meter.lastNs;
  if (dt < 0) throw new RangeError(`energy meter at ${meter.lastNs} ns cannot go back to ${nowNs} ns`);
  if (dt === 0) return meter;
  const perDomain = {} as Record<PowerDomain, DomainEnergy>;
  for (const d of POWER_DOMAINS) {
    const e = meter.perDomain[d];
    perDomain[d] = { staticPj: e.staticPj + power[d].staticMw * dt, dynamicPj: e.dynamicPj + power[d].dynamicMw * dt };
  }
  return { lastNs: nowNs, perDomain };
}

/** Energy of one domain in joules, as `EnergyReported` carries it. */
export interface DomainJoules {
  readonly staticJoules: number;
  readonly dynamicJoules: number;
  readonly joules: number;
}

/** The meter in joules: total and per domain (the payload of `EnergyReported`). */
export function energyInJoules(meter: EnergyMeter): { totalJoules: number; perDomain: Record<PowerDomain, DomainJoules> } {
  const perDomain = {} as Record<PowerDomain, DomainJoules>;
  let totalPj = 0;
  for (const d of POWER_DOMAINS) {
    const { staticPj, dynamicPj } = meter.perDomain[d];
    totalPj += staticPj + dynamicPj;
    perDomain[d] = { staticJoules: staticPj / 1e12, dynamicJoules: dynamicPj / 1e12, joules: (staticPj + dynamicPj) / 1e12 };
  }
  return { totalJoules: totalPj / 1e12, perDomain };
}
