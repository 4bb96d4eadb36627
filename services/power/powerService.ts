import type { Actor } from "xstate";
import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { sendChecked, startHostedMachine } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry, type EventOf } from "../../shared/events/registry.ts";
import { createPowerDomainMachine, type PowerDomainConfig } from "./powerDomainMachine.ts";
import {
  PowerDomainChanged,
  PowerOffRequested,
  PowerOnRequested,
  PowerRequestRejected,
  PowerTransitionStarted,
  type PowerDomain,
} from "./powerEvents.ts";

/** Configuration of a GPU's power controller, taken from its model. */
export interface PowerControllerConfig {
  /** GPU index: the actor is `gpu<N>.pwr` and listens on `gpu<N>.pwr.cmd`. */
  readonly gpu: number;
  readonly domains: Readonly<Record<PowerDomain, PowerDomainConfig>>;
  /** Relative jitter of transition latencies drawn from the run's PRNG (0.1 = ±10 %). */
  readonly jitter: number;
}

/** Subject paths of a GPU's power controller. */
export const powerPaths = (gpu: number) => ({
  cmd: `gpu${gpu}.pwr.cmd`,
  state: `gpu${gpu}.pwr.state`,
  error: `gpu${gpu}.pwr.error`,
});

const DOMAINS: readonly PowerDomain[] = ["l2", "tiler", "shader"];

/**
 * The power controller of one GPU as an actor: three domain machines (L2, tiler, shader cores) and
 * the rules between them — cores power up only with L2 ready, L2 powers down only with no core
 * ready or in transition.
 */
export function powerControllerActor(config: PowerControllerConfig): ActorSpec {
  const paths = powerPaths(config.gpu);
  return {
    name: `gpu${config.gpu}.pwr`,
    subscribes: [paths.cmd],
    create(ctx: ActorContext): ActorBehaviour {
      const machines = new Map<PowerDomain, Actor<ReturnType<typeof createPowerDomainMachine>>>();
      const readyOf = (d: PowerDomain) => machines.get(d)?.getSnapshot().context.ready ?? 0;
      const busyOf = (d: PowerDomain) => (machines.get(d)?.getSnapshot().context.trans ?? 0) !== 0;
      for (const domain of DOMAINS) {
        const cfg = config.domains[domain];
        const machine = createPowerDomainMachine(cfg, {
          mayPowerUp: () => domain === "l2" || (readyOf("l2") !== 0 && !busyOf("l2")),
          mayPowerDown: () => domain !== "l2" || (readyOf("tiler") | readyOf("shader")) === 0 && !busyOf("tiler") && !busyOf("shader"),
          latencyNs: (nominal) => Math.round(nominal * (1 + config.jitter * (2 * ctx.rng.float() - 1))),
          started: (direction, trans, latencyNs) => ctx.publish(PowerTransitionStarted, paths.state, { domain, direction, trans, latencyNs }),
          changed: (ready, trans) => ctx.publish(PowerDomainChanged, paths.state, { domain, ready, trans }),
          rejected: (mask, reason) => ctx.publish(PowerRequestRejected, paths.error, { domain, mask, reason }),
        });
        machines.set(domain, startHostedMachine(ctx, machine, { id: `${ctx.name}.${domain}` }));
      }
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(PowerOnRequested, e) || EventRegistry.is(PowerOffRequested, e)) {
            const p = (e as EventOf<typeof PowerOnRequested>).payload;
            const m = machines.get(p.domain);
            if (m !== undefined) sendChecked(m, { type: e.type === PowerOnRequested.type ? "PWRON" : "PWROFF", mask: p.mask });
          }
        },
        snapshot() {
          const out: Record<string, unknown> = {};
          for (const [d, m] of machines) {
            const s = m.getSnapshot();
            out[d] = { state: s.value, ready: s.context.ready, trans: s.context.trans };
          }
          return out;
        },
      };
    },
  };
}
