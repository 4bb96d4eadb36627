import { advanceEnergyMeter, createEnergyMeter, energyInJoules, powerPerDomain, type DomainActivity, type EnergyModel, type OperatingPoint } from "./energy.ts";
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
  let meter = createEnergyMeter(0);
  const util: Record<PowerDomain, number> = { l2: 0, tiler: 0, shader: 0 };
  const power = () => {
    const activity = {} as Record<PowerDomain, DomainActivity>;
    for (const d of POWER_DOMAINS) activity[d] = { poweredUnits: inputs.poweredUnits(d), utilisation: util[d] };
    return powerPerDomain(model, inputs.operatingPoint(), activity);
  };
  const account: EnergyAccount = {
    advance(nowNs) {
      meter = advanceEnergyMeter(meter, nowNs, power());
    },
    setUtilisation(nowNs, domain, utilisation) {
      account.advance(nowNs);
      util[domain] = utilisation;
    },
    joules: (nowNs) => energyInJoules(advanceEnergyMeter(meter, nowNs, power())),
    utilisation: () => ({ ...util }),
  };
  return account;
}
