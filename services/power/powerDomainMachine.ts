import { setup } from "xstate";
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

/**
 * A domain's READY and PWRTRANS bits (`L2_READY_LO`, `SHADER_PWRTRANS_LO`, …): data beside the
 * machine, as the MMU keeps its TLB beside the AS slot machine. The machine's lifecycle state says
 * what the domain is doing; these say which cores. Only the machine's actions write them, each
 * after reporting the change, so whoever reads them (the other domains' rules, the energy
 * account) sees the old bits until the fact is published. Kept out of the machine's context so a
 * transition does not copy its snapshot a second time for them (XState's `assign` does): the
 * power-cycle load runs four of these transitions every 100 µs.
 */
export interface DomainMasks {
  ready: number;
  trans: number;
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
  /**
   * Arm the domain's PWRTRANS timer: `PWRTRANS_DONE` is to come back in `latencyNs`. Re-arming or
   * cancelling drops a pending expiry, so a stale one never reaches the machine.
   */
  readonly armTransition: (latencyNs: number) => void;
  /** Drop the pending PWRTRANS expiry (the domain lost power mid-transition). */
  readonly cancelTransition: () => void;
  readonly changed: (ready: number, trans: number) => void;
  readonly rejected: (mask: number, reason: PowerRejection) => void;
}

/**
 * PWRON/PWROFF writes; PWRTRANS_DONE, the transition's latency elapsed (the timer armed through
 * `armTransition`); and RESET: every core of the domain loses power at once, in any state — a
 * completed GPU soft reset (`GPU_CMD` SOFT_RESET leaves every domain off) or the `mali` rail
 * switched off under it.
 */
export type PowerEvent = { type: "PWRON"; mask: number } | { type: "PWROFF"; mask: number } | { type: "PWRTRANS_DONE" } | { type: "RESET" };

/**
 * One power domain (L2, tiler or shader cores) with the PWRON/PWROFF → PWRTRANS → READY protocol
 * of the GPU_CONTROL block. States: `off` (no core ready), `on` (some ready), `poweringUp` and
 * `poweringDown` (cores in PWRTRANS). Requests during a transition are refused as `busy`: Panthor
 * waits for PWRTRANS to clear before writing PWRON/PWROFF (`panthor_gpu_block_power_on`), so the
 * overlap is a driver bug the model reports instead of guessing the hardware's answer. Power-up
 * also needs the `mali` rail and the `core` clock on (Panthor enables them in probe and resume
 * before `panthor_gpu_l2_power_on()`); without them the request is refused as `unpowered` or
 * `unclocked` rather than left to hang as it would on the hardware. The domain's READY and
 * PWRTRANS bits are `masks`, which the actions keep up to date.
 */
export function createPowerDomainMachine(config: PowerDomainConfig, masks: DomainMasks, deps: PowerDomainDeps) {
  /** Cores `trans` start a transition: report it with its drawn latency, arm the timer, show PWRTRANS. */
  function begin(direction: "up" | "down", trans: number, nominalNs: number): void {
    const latencyNs = deps.latencyNs(nominalNs);
    deps.started(direction, trans, latencyNs);
    deps.armTransition(latencyNs);
    masks.trans = trans;
  }
  /** The transition ended (or power was lost): report the new READY, then show it, PWRTRANS clear. */
  function settle(ready: number): void {
    deps.changed(ready, 0);
    masks.ready = ready;
    masks.trans = 0;
  }
  return setup({
    types: {} as { events: PowerEvent },
    guards: {
      notPresent: ({ event }) => "mask" in event && ((event.mask & ~config.present) !== 0 || event.mask === 0),
      unpowered: () => !deps.isPowered(),
      unclocked: () => !deps.isClocked(),
      quiescentOff: () => masks.ready === 0 && masks.trans === 0,
      upForbidden: () => !deps.mayPowerUp(),
      downForbidden: () => !deps.mayPowerDown(),
      someStayReady: () => (masks.ready & ~masks.trans) !== 0,
      alreadyUp: ({ event }) => (maskOf(event) & ~masks.ready) === 0,
      alreadyDown: ({ event }) => (maskOf(event) & masks.ready) === 0,
    },
    actions: {
      rejectNotPresent: ({ event }) => deps.rejected(maskOf(event), "not-present"),
      rejectUnpowered: ({ event }) => deps.rejected(maskOf(event), "unpowered"),
      rejectUnclocked: ({ event }) => deps.rejected(maskOf(event), "unclocked"),
      rejectBusy: ({ event }) => deps.rejected(maskOf(event), "busy"),
      rejectL2Off: ({ event }) => deps.rejected(maskOf(event), "l2-off"),
      rejectCoresOn: ({ event }) => deps.rejected(maskOf(event), "cores-on"),
      beginUp: ({ event }) => begin("up", maskOf(event) & ~masks.ready, config.upNs),
      beginDown: ({ event }) => begin("down", maskOf(event) & masks.ready, config.downNs),
      completeUp: () => settle(masks.ready | masks.trans),
      completeDown: () => settle(masks.ready & ~masks.trans),
      collapse: () => {
        deps.cancelTransition();
        settle(0);
      },
    },
  }).createMachine({
    id: `power-${config.domain}`,
    initial: "off",
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
      // Power-up always ends with a core ready: the request had at least one core not yet ready.
      poweringUp: {
        on: {
          PWRTRANS_DONE: { target: "on", actions: "completeUp" },
          PWRON: { actions: "rejectBusy" },
          PWROFF: { actions: "rejectBusy" },
        },
      },
      poweringDown: {
        on: {
          PWRTRANS_DONE: [
            { guard: "someStayReady", target: "on", actions: "completeDown" },
            { target: "off", actions: "completeDown" },
          ],
          PWRON: { actions: "rejectBusy" },
          PWROFF: { actions: "rejectBusy" },
        },
      },
    },
  });
}

/** The mask of a PWRON/PWROFF write (RESET carries none). */
function maskOf(event: PowerEvent): number {
  return "mask" in event ? event.mask : 0;
}
