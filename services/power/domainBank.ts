import type { Actor } from "xstate";
import type { ActorContext } from "../../shared/actor/actor.ts";
import { sendChecked, startHostedMachine } from "../../shared/actor/xstateHost.ts";
import { createPowerDomainMachine, type PowerDomainConfig, type PowerRejection } from "./powerDomainMachine.ts";
import { POWER_DOMAINS, type PowerDomain } from "./powerDomain.ts";

/** What the domains need from the rest of the controller, and how they report. */
export interface DomainBankDeps {
  readonly isPowered: () => boolean;
  readonly isClocked: () => boolean;
  readonly latencyNs: (nominalNs: number) => number;
  readonly started: (domain: PowerDomain, direction: "up" | "down", trans: number, latencyNs: number) => void;
  readonly changed: (domain: PowerDomain, ready: number, trans: number) => void;
  readonly rejected: (domain: PowerDomain, mask: number, reason: PowerRejection) => void;
}

/** The three power domains of one GPU as hosted machines. */
export interface DomainBank {
  /** A PWRON/PWROFF write to `domain`. */
  request(domain: PowerDomain, type: "PWRON" | "PWROFF", mask: number): void;
  /** Every domain loses power now (soft reset completed, or the `mali` rail went off). */
  resetAll(): void;
  /** READY mask of a domain. */
  ready(domain: PowerDomain): number;
  /** Each domain's state and masks. */
  snapshot(): Record<PowerDomain, { state: unknown; ready: number; trans: number }>;
}

/** Cores before L2 when everything loses power at once: the log then reads in the usual power-down order. */
const RESET_ORDER: readonly PowerDomain[] = ["shader", "tiler", "l2"];

type DomainActor = Actor<ReturnType<typeof createPowerDomainMachine>>;

/**
 * Start the L2, tiler and shader-core machines with the rules between them: cores power up only
 * with L2 ready and settled, L2 powers down only with no core ready or in transition
 * (`panthor_gpu_l2_power_on()` first in resume, L2 last in suspend).
 */
export function startDomainBank(ctx: ActorContext, domains: Readonly<Record<PowerDomain, PowerDomainConfig>>, deps: DomainBankDeps): DomainBank {
  const machines = new Map<PowerDomain, DomainActor>();
  const readyOf = (d: PowerDomain) => machines.get(d)?.getSnapshot().context.ready ?? 0;
  const busyOf = (d: PowerDomain) => (machines.get(d)?.getSnapshot().context.trans ?? 0) !== 0;
  for (const domain of POWER_DOMAINS) {
    const machine = createPowerDomainMachine(domains[domain], {
      isPowered: deps.isPowered,
      isClocked: deps.isClocked,
      mayPowerUp: () => domain === "l2" || (readyOf("l2") !== 0 && !busyOf("l2")),
      mayPowerDown: () => domain !== "l2" || ((readyOf("tiler") | readyOf("shader")) === 0 && !busyOf("tiler") && !busyOf("shader")),
      latencyNs: deps.latencyNs,
      started: (direction, trans, latencyNs) => deps.started(domain, direction, trans, latencyNs),
      changed: (ready, trans) => deps.changed(domain, ready, trans),
      rejected: (mask, reason) => deps.rejected(domain, mask, reason),
    });
    machines.set(domain, startHostedMachine(ctx, machine, { id: `${ctx.name}.${domain}` }));
  }
  const send = (d: PowerDomain, event: Parameters<DomainActor["send"]>[0]) => {
    const m = machines.get(d);
    if (m !== undefined) sendChecked(m, event);
  };
  return {
    request: (domain, type, mask) => send(domain, { type, mask }),
    resetAll: () => RESET_ORDER.forEach((d) => send(d, { type: "RESET" })),
    ready: readyOf,
    snapshot() {
      const out = {} as Record<PowerDomain, { state: unknown; ready: number; trans: number }>;
      for (const [d, m] of machines) {
        const s = m.getSnapshot();
        out[d] = { state: s.value, ready: s.context.ready, trans: s.context.trans };
      }
      return out;
    },
  };
}
