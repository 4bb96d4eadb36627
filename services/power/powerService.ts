import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { pathOf } from "../../shared/events/subjects.ts";
import { RunEnded } from "../../shared/events/systemEvents.ts";
import type { Opp } from "../../shared/gpu/model.ts";
import { popcount } from "../../shared/gpu/model.ts";
import { findOppExact } from "../../shared/gpu/opp.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { startDomainBank } from "./domainBank.ts";
import type { EnergyModel } from "./energy.ts";
import { createEnergyAccount } from "./energyAccount.ts";
import { DomainUtilisationReported, EnergyReported, EnergyReportRequested } from "./energyEvents.ts";
import { createFrequencyMachine } from "./frequencyMachine.ts";
import type { PowerDomainConfig } from "./powerDomainMachine.ts";
import { createPowerFaults } from "./powerFaults.ts";
import type { PowerDomain } from "./powerDomain.ts";
import {
  FrequencyChanged,
  FrequencyChangeRejected,
  FrequencyChangeRequested,
  PowerDomainChanged,
  PowerOffRequested,
  PowerOnRequested,
  PowerRequestRejected,
  PowerTransitionStarted,
} from "./powerEvents.ts";
import { startSupplyBank, type SuppliesConfig } from "./supplyBank.ts";
import { handleSupplyEvent, publishSupplyChange, publishSupplyFailure } from "./supplyWiring.ts";

/** Configuration of a GPU's power controller, taken from its model (`powerConfigFromModel`). */
export interface PowerControllerConfig {
  /** GPU index: the actor is `gpu<N>.pwr` and listens on `gpu<N>.pwr.cmd`. */
  readonly gpu: number;
  readonly domains: Readonly<Record<PowerDomain, PowerDomainConfig>>;
  /** Relative jitter of transition latencies drawn from the run's PRNG (0.1 = ±10 %). */
  readonly jitter: number;
  readonly supplies: SuppliesConfig;
  /** The OPP table (sorted by hz), the OPP the GPU starts at, and the `mali` rail's ramp rate. */
  readonly frequency: { readonly opps: readonly Opp[]; readonly initialOpp: Opp; readonly rampMicrovoltPerUs: number };
  readonly energy: EnergyModel;
}

/**
 * Subject paths of a GPU's power controller: requests in (`cmd`), facts out (`state`), refusals and
 * failures out (`error`), utilisation reports in (`util`, anyone may publish), and the register
 * file's soft-reset completion in (`reset`).
 */
export const powerPaths = (gpu: number) => ({
  cmd: `gpu${gpu}.pwr.cmd`,
  state: `gpu${gpu}.pwr.state`,
  error: `gpu${gpu}.pwr.error`,
  util: `gpu${gpu}.pwr.util`,
  reset: regsPaths(gpu).reset,
});

/** Path of the runtime's `RunEnded` (shared/runtime/simulation.ts publishes it there). */
export const RUN_ENDED_PATH = "sys.run.ended";

/**
 * The power controller of one GPU as an actor: the three domain machines (L2, tiler, shader
 * cores), the clocks and regulators, the operating point (OPP) and the energy account. Power-up
 * needs the `core` clock and the `mali` rail; losing the rail, or a completed soft reset, leaves
 * every domain off. Energy is integrated at every change of power, frequency or utilisation and
 * reported on request and when the run ends. Injected supply failures and a DVFS stuck at the
 * lowest OPP are applied here (`powerFaults.ts`).
 */
export function powerControllerActor(config: PowerControllerConfig): ActorSpec {
  const paths = powerPaths(config.gpu);
  return {
    name: `gpu${config.gpu}.pwr`,
    subscribes: [paths.cmd, paths.util, paths.reset, INJECT_PATH, RUN_ENDED_PATH],
    create(ctx: ActorContext): ActorBehaviour {
      // The machines' callbacks run only after start-up, so they may use what is declared below them.
      const frequency = createFrequencyMachine(config.frequency, {
        voltageSet: (microvolt) => {
          touch();
          for (const r of config.supplies.regulators) publishSupplyChange(ctx, paths, "regulator", r, supplies.isEnabled("regulator", r), microvolt);
        },
        clockSet: (opp) => {
          touch();
          ctx.publish(FrequencyChanged, paths.state, { hz: opp.hz, microvolt: opp.microvolt });
        },
      });
      const freq = hostMachine(ctx, frequency, { id: `${ctx.name}.frequency` });
      const rail = () => freq.getSnapshot().context;
      const supplies = startSupplyBank(ctx, config.supplies, {
        changed: (kind, name, enabled) => {
          touch();
          publishSupplyChange(ctx, paths, kind, name, enabled, rail().microvolt);
        },
        failed: (kind, name, errno) => {
          faults.supplyFailed(kind, name);
          publishSupplyFailure(ctx, paths, kind, name, errno);
        },
      });
      const lowestOpp = config.frequency.opps[0] ?? config.frequency.initialOpp;
      const faults = createPowerFaults(ctx, config.gpu, {
        supply: (kind, name, req) => supplies.request(kind, name, req),
        lowestOpp,
        currentHz: () => rail().hz,
        setOpp: (opp) => sendChecked(freq, { type: "SET", opp }),
      });
      // The supplies a model has are fixed at start; the energy account asks on nearly every event.
      const hasMali = supplies.has("regulator", "mali");
      const hasCore = supplies.has("clock", "core");
      const isPowered = () => !hasMali || supplies.isEnabled("regulator", "mali");
      const isClocked = () => !hasCore || supplies.isEnabled("clock", "core");
      const domains = startDomainBank(ctx, config.domains, {
        isPowered,
        isClocked,
        latencyNs: (nominal) => Math.round(nominal * (1 + config.jitter * (2 * ctx.rng.float() - 1))),
        started: (domain, direction, trans, latencyNs) => ctx.publish(PowerTransitionStarted, paths.state, { domain, direction, trans, latencyNs }),
        changed: (domain, ready, trans) => {
          touch();
          ctx.publish(PowerDomainChanged, paths.state, { domain, ready, trans });
        },
        rejected: (domain, mask, reason) => ctx.publish(PowerRequestRejected, paths.error, { domain, mask, reason }),
      });
      const energy = createEnergyAccount(config.energy, {
        operatingPoint: () => ({ microvolt: isPowered() ? rail().microvolt : 0, hz: isClocked() ? rail().hz : 0 }),
        poweredUnits: (d) => popcount(domains.ready(d)),
      });
      const touch = () => energy.advance(ctx.nowNs());
      const reportEnergy = () => ctx.publish(EnergyReported, paths.state, energy.joules(ctx.nowNs()));

      return {
        handle(e: Envelope) {
          touch();
          faults.offer(e);
          if (pathOf(e.subject) === INJECT_PATH) {
            handleSupplyEvent(e, supplies, ctx, paths, config.gpu, true);
          } else if (EventRegistry.is(PowerOnRequested, e) || EventRegistry.is(PowerOffRequested, e)) {
            domains.request(e.payload.domain, e.type === PowerOnRequested.type ? "PWRON" : "PWROFF", e.payload.mask);
          } else if (EventRegistry.is(FrequencyChangeRequested, e)) {
            if (faults.refusesFrequency()) return void ctx.publish(FrequencyChangeRejected, paths.error, { hz: e.payload.hz, reason: "dvfs-stuck" });
            const opp = findOppExact(config.frequency.opps, e.payload.hz);
            if (opp === undefined) ctx.publish(FrequencyChangeRejected, paths.error, { hz: e.payload.hz, reason: "unknown-opp" });
            else sendChecked(freq, { type: "SET", opp });
          } else if (EventRegistry.is(DomainUtilisationReported, e)) {
            energy.setUtilisation(ctx.nowNs(), e.payload.domain, e.payload.utilisation);
          } else if (EventRegistry.is(EnergyReportRequested, e) || EventRegistry.is(RunEnded, e)) {
            reportEnergy();
          } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
            domains.resetAll();
          } else if (handleSupplyEvent(e, supplies, ctx, paths, config.gpu, false) && !isPowered()) {
            // No core stays powered on a dead rail: `mali` off (or never up) means every domain off.
            domains.resetAll();
          }
        },
        snapshot() {
          const c = rail();
          return {
            ...domains.snapshot(),
            ...supplies.snapshot(),
            opp: { state: freq.getSnapshot().value, hz: c.hz, microvolt: c.microvolt },
            utilisation: energy.utilisation(),
            energy: energy.joules(ctx.nowNs()),
            faults: faults.snapshot(),
          };
        },
      };
    },
  };
}
