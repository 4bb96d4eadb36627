import type { ActorContext } from "../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import { createPowerDomainMachine, type DomainMasks, type PowerDomainConfig, type PowerEvent, type PowerRejection } from "./powerDomainMachine.ts";
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

type DomainActor = HostedMachine<ReturnType<typeof createPowerDomainMachine>>;

/**
 * Start the L2, tiler and shader-core machines with the rules between them: cores power up only
 * with L2 ready and settled, L2 powers down only with no core ready or in transition
 * (`panthor_gpu_l2_power_on()` first in resume, L2 last in suspend).
 */
export function startDomainBank(ctx: ActorContext, domains: Readonly<Record<PowerDomain, PowerDomainConfig>>, deps: DomainBankDeps): DomainBank {
  const machines = new Map<PowerDomain, DomainActor>();
  const masks: Record<PowerDomain, DomainMasks> = { l2: { ready: 0, trans: 0 }, tiler: { ready: 0, trans: 0 }, shader: { ready: 0, trans: 0 } };
  const readyOf = (d: PowerDomain) => masks[d].ready;
  const busyOf = (d: PowerDomain) => masks[d].trans !== 0;
  const send = (d: PowerDomain, event: PowerEvent) => {
    const m = machines.get(d);
    if (m !== undefined) sendChecked(m, event);
  };
  for (const domain of POWER_DOMAINS) {
    // The PWRTRANS latency is this domain's hrtimer rather than an XState `after` delay: same
    // expiry and the same place in the actor's order (armed right after PowerTransitionStarted is
    // published), without XState's scheduled-event bookkeeping on every transition.
    const transition = ctx.timer(`${domain}-pwrtrans`, () => {
      send(domain, { type: "PWRTRANS_DONE" });
      return "norestart";
    });
    const machine = createPowerDomainMachine(domains[domain], masks[domain], {
      isPowered: deps.isPowered,
      isClocked: deps.isClocked,
      mayPowerUp: () => domain === "l2" || (readyOf("l2") !== 0 && !busyOf("l2")),
      mayPowerDown: () => domain !== "l2" || ((readyOf("tiler") | readyOf("shader")) === 0 && !busyOf("tiler") && !busyOf("shader")),
      latencyNs: deps.latencyNs,
      armTransition: (latencyNs) => transition.start(latencyNs, "rel"),
      cancelTransition: () => void transition.cancel(),
      started: (direction, trans, latencyNs) => deps.started(domain, direction, trans, latencyNs),
      changed: (ready, trans) => deps.changed(domain, ready, trans),
      rejected: (mask, reason) => deps.rejected(domain, mask, reason),
    });
    machines.set(domain, hostMachine(ctx, machine, { id: `${ctx.name}.${domain}` }));
  }
  return {
    request: (domain, type, mask) => send(domain, { type, mask }),
    resetAll: () => RESET_ORDER.forEach((d) => send(d, { type: "RESET" })),
    ready: readyOf,
    snapshot() {
      const out = {} as Record<PowerDomain, { state: unknown; ready: number; trans: number }>;
      for (const [d, m] of machines) {
        out[d] = { state: m.getSnapshot().value, ready: masks[d].ready, trans: masks[d].trans };
      }
      return out;
    },
  };
}
