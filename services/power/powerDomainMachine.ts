import { assign, setup } from "xstate";
import type { PowerDomain } from "./powerEvents.ts";

/** Static description of one domain: which cores exist and how long transitions take. */
export interface PowerDomainConfig {
  readonly domain: PowerDomain;
  readonly present: number;
  readonly upNs: number;
  readonly downNs: number;
}

/** Why a request was refused (mirrors `PowerRequestRejected.reason`). */
export type PowerRejection = "busy" | "not-present" | "l2-off" | "cores-on";

/**
 * What the domain machine needs from its actor: the cross-domain rules (it cannot see the other
 * domains), the jittered latency draw (the actor's PRNG), and publication of its facts.
 */
export interface PowerDomainDeps {
  /** May this domain power up now? (cores need L2 ready.) */
  readonly mayPowerUp: () => boolean;
  /** May this domain power down now? (L2 must outlive the cores.) */
  readonly mayPowerDown: () => boolean;
  /** Latency of a transition, drawn by the actor (nominal ± jitter). */
  readonly latencyNs: (nominalNs: number) => number;
  readonly started: (direction: "up" | "down", trans: number, latencyNs: number) => void;
  readonly changed: (ready: number, trans: number) => void;
  readonly rejected: (mask: number, reason: PowerRejection) => void;
}

type PowerEvent = { type: "PWRON"; mask: number } | { type: "PWROFF"; mask: number };

interface PowerContext {
  readonly config: PowerDomainConfig;
  ready: number;
  trans: number;
  latencyNs: number;
}

/**
 * One power domain (L2, tiler or shader cores) with the PWRON/PWROFF → PWRTRANS → READY protocol
 * of the GPU_CONTROL block. States: `off` (no core ready), `on` (some ready), `poweringUp` and
 * `poweringDown` (cores in PWRTRANS). Requests during a transition are refused as `busy`: Panthor
 * waits for PWRTRANS to clear before writing PWRON/PWROFF (`panthor_gpu_block_power_on`), so the
 * overlap is a driver bug the model reports instead of guessing the hardware's answer.
 */
export function createPowerDomainMachine(config: PowerDomainConfig, deps: PowerDomainDeps) {
  return setup({
    types: {} as { context: PowerContext; events: PowerEvent },
    guards: {
      notPresent: ({ event }) => (event.mask & ~config.present) !== 0 || event.mask === 0,
      upForbidden: () => !deps.mayPowerUp(),
      downForbidden: () => !deps.mayPowerDown(),
      anyReady: ({ context }) => context.ready !== 0,
      alreadyUp: ({ context, event }) => (event.mask & ~context.ready) === 0,
      alreadyDown: ({ context, event }) => (event.mask & context.ready) === 0,
    },
    actions: {
      rejectNotPresent: ({ event }) => deps.rejected(event.mask, "not-present"),
      rejectBusy: ({ event }) => deps.rejected(event.mask, "busy"),
      rejectL2Off: ({ event }) => deps.rejected(event.mask, "l2-off"),
      rejectCoresOn: ({ event }) => deps.rejected(event.mask, "cores-on"),
      beginUp: assign(({ context, event }) => {
        const trans = event.mask & ~context.ready;
        const latencyNs = deps.latencyNs(config.upNs);
        deps.started("up", trans, latencyNs);
        return { trans, latencyNs };
      }),
      beginDown: assign(({ context, event }) => {
        const trans = event.mask & context.ready;
        const latencyNs = deps.latencyNs(config.downNs);
        deps.started("down", trans, latencyNs);
        return { trans, latencyNs };
      }),
      completeUp: assign(({ context }) => {
        const ready = context.ready | context.trans;
        deps.changed(ready, 0);
        return { ready, trans: 0 };
      }),
      completeDown: assign(({ context }) => {
        const ready = context.ready & ~context.trans;
        deps.changed(ready, 0);
        return { ready, trans: 0 };
      }),
    },
    delays: {
      TRANSITION: ({ context }) => context.latencyNs / 1_000_000,
    },
  }).createMachine({
    id: `power-${config.domain}`,
    context: { config, ready: 0, trans: 0, latencyNs: 0 },
    initial: "off",
    states: {
      off: {
        on: {
          PWRON: [
            { guard: "notPresent", actions: "rejectNotPresent" },
            { guard: "upForbidden", actions: "rejectL2Off" },
            { target: "poweringUp", actions: "beginUp" },
          ],
          // Powering off what is already off changes nothing, as on the hardware.
          PWROFF: [{ guard: "notPresent", actions: "rejectNotPresent" }, {}],
        },
      },
      on: {
        on: {
          PWRON: [
            { guard: "notPresent", actions: "rejectNotPresent" },
            { guard: "alreadyUp" },
            { guard: "upForbidden", actions: "rejectL2Off" },
            { target: "poweringUp", actions: "beginUp" },
          ],
          PWROFF: [
            { guard: "notPresent", actions: "rejectNotPresent" },
            { guard: "alreadyDown" },
            { guard: "downForbidden", actions: "rejectCoresOn" },
            { target: "poweringDown", actions: "beginDown" },
          ],
        },
      },
      poweringUp: {
        after: { TRANSITION: { target: "settled", actions: "completeUp" } },
        on: { PWRON: { actions: "rejectBusy" }, PWROFF: { actions: "rejectBusy" } },
      },
      poweringDown: {
        after: { TRANSITION: { target: "settled", actions: "completeDown" } },
        on: { PWRON: { actions: "rejectBusy" }, PWROFF: { actions: "rejectBusy" } },
      },
      settled: {
        always: [{ guard: "anyReady", target: "on" }, { target: "off" }],
      },
    },
  });
}
