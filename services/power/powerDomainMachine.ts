import { assign, setup } from "xstate";
import type { z } from "zod";
import type { PowerDomain } from "./powerDomain.ts";
import type { PowerRejectionSchema } from "./powerEvents.ts";

/** Static description of one domain: which cores exist and how long transitions take. */
export interface PowerDomainConfig {
  readonly domain: PowerDomain;
  readonly present: number;
  readonly upNs: number;
  readonly downNs: number;
}

/** Why a request was refused (`PowerRequestRejected.reason`). */
export type PowerRejection = z.infer<typeof PowerRejectionSchema>;

/**
 * What the domain machine needs from its actor: the cross-domain rules (it cannot see the other
 * domains), the jittered latency draw (the actor's PRNG), and publication of its facts.
 */
export interface PowerDomainDeps {
  /** Is the `mali` regulator on? (no core powers up on a dead rail.) */
  readonly isPowered: () => boolean;
  /** Is the `core` clock running? (the PWRON handshake needs GPU_CONTROL clocked.) */
  readonly isClocked: () => boolean;
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

/**
 * PWRON/PWROFF writes, and RESET: every core of the domain loses power at once, in any state —
 * a completed GPU soft reset (`GPU_CMD` SOFT_RESET leaves every domain off) or the `mali` rail
 * switched off under it.
 */
type PowerEvent = { type: "PWRON"; mask: number } | { type: "PWROFF"; mask: number } | { type: "RESET" };

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
 * overlap is a driver bug the model reports instead of guessing the hardware's answer. Power-up
 * also needs the `mali` rail and the `core` clock on (Panthor enables them in probe and resume
 * before `panthor_gpu_l2_power_on()`); without them the request is refused as `unpowered` or
 * `unclocked` rather than left to hang as it would on the hardware.
 */
export function createPowerDomainMachine(config: PowerDomainConfig, deps: PowerDomainDeps) {
  return setup({
    types: {} as { context: PowerContext; events: PowerEvent },
    guards: {
      notPresent: ({ event }) => "mask" in event && ((event.mask & ~config.present) !== 0 || event.mask === 0),
      unpowered: () => !deps.isPowered(),
      unclocked: () => !deps.isClocked(),
      quiescentOff: ({ context }) => context.ready === 0 && context.trans === 0,
      upForbidden: () => !deps.mayPowerUp(),
      downForbidden: () => !deps.mayPowerDown(),
      anyReady: ({ context }) => context.ready !== 0,
      alreadyUp: ({ context, event }) => (maskOf(event) & ~context.ready) === 0,
      alreadyDown: ({ context, event }) => (maskOf(event) & context.ready) === 0,
    },
    actions: {
      rejectNotPresent: ({ event }) => deps.rejected(maskOf(event), "not-present"),
      rejectUnpowered: ({ event }) => deps.rejected(maskOf(event), "unpowered"),
      rejectUnclocked: ({ event }) => deps.rejected(maskOf(event), "unclocked"),
      rejectBusy: ({ event }) => deps.rejected(maskOf(event), "busy"),
      rejectL2Off: ({ event }) => deps.rejected(maskOf(event), "l2-off"),
      rejectCoresOn: ({ event }) => deps.rejected(maskOf(event), "cores-on"),
      beginUp: assign(({ context, event }) => {
        const trans = maskOf(event) & ~context.ready;
        const latencyNs = deps.latencyNs(config.upNs);
        deps.started("up", trans, latencyNs);
        return { trans, latencyNs };
      }),
      beginDown: assign(({ context, event }) => {
        const trans = maskOf(event) & context.ready;
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
      collapse: assign(() => {
        deps.changed(0, 0);
        return { ready: 0, trans: 0 };
      }),
    },
    delays: {
      TRANSITION: ({ context }) => context.latencyNs / 1_000_000,
    },
  }).createMachine({
    id: `power-${config.domain}`,
    context: { config, ready: 0, trans: 0, latencyNs: 0 },
    initial: "off",
    // Leaving poweringUp/poweringDown cancels their pending TRANSITION timer.
    on: { RESET: [{ guard: "quiescentOff" }, { target: ".off", actions: "collapse" }] },
    states: {
      off: {
        on: {
          PWRON: [
            { guard: "notPresent", actions: "rejectNotPresent" },
            { guard: "unpowered", actions: "rejectUnpowered" },
            { guard: "unclocked", actions: "rejectUnclocked" },
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
            { guard: "unpowered", actions: "rejectUnpowered" },
            { guard: "unclocked", actions: "rejectUnclocked" },
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

/** The mask of a PWRON/PWROFF write (RESET carries none). */
function maskOf(event: PowerEvent): number {
  return "mask" in event ? event.mask : 0;
}
