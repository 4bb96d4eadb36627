import { assign, enqueueActions, setup } from "xstate";
import type { PayloadOf } from "../../shared/events/registry.ts";
import type { AsCommandIssued, MmuFaultSchema, TranslationRequested } from "./mmuEvents.ts";
import type { z } from "zod";

/** An AS command as the register file forwards it. */
export type AsCommand = PayloadOf<typeof AsCommandIssued>;
/** A translation request. */
export type TranslationRequest = PayloadOf<typeof TranslationRequested>;
/** A fault as latched in AS_FAULTSTATUS / AS_FAULTADDRESS. */
export type LatchedFault = z.infer<typeof MmuFaultSchema>;

/** What a translation attempt came to. */
export type TranslateVerdict = { readonly kind: "ok" } | { readonly kind: "stalled" } | { readonly kind: "fault"; readonly fault: LatchedFault };

/**
 * What the slot machine needs from the MMU actor: the data path (TLB, page-table walk) and the
 * publication of its facts. The machine keeps the protocol; the actor keeps the bytes.
 */
export interface AsSlotDeps {
  /** Execute a command on the TLB; returns whether the AS translates and whether a lock region is held afterwards. */
  readonly apply: (cmd: AsCommand) => { readonly configured: boolean; readonly locked: boolean };
  readonly completed: (cmd: AsCommand) => void;
  readonly rejectedBusy: (cmd: AsCommand) => void;
  /** Translate (or fault, or park as stalled) and publish the outcome; `configured` false faults every access. */
  readonly translate: (req: TranslationRequest, configured: boolean) => TranslateVerdict;
  /** Answer a request on a faulted AS with its pending fault. */
  readonly answerFaulted: (req: TranslationRequest, fault: LatchedFault) => void;
  /** Requests parked by a locked region, handed back for another try. */
  readonly takeStalled: () => TranslationRequest[];
  /** Forget the TLB, the configuration and the parked requests (GPU soft reset). */
  readonly reset: () => void;
}

type SlotEvent =
  | { type: "COMMAND"; cmd: AsCommand }
  | { type: "TRANSLATE"; req: TranslationRequest }
  | { type: "LATCH"; fault: LatchedFault }
  | { type: "RESET" }
  | { type: "APPLIED" }
  | { type: "FAULTED" };

/** The slot machine's context. */
export interface SlotContext {
  configured: boolean;
  locked: boolean;
  faulted: boolean;
  fault: LatchedFault | null;
  command: AsCommand | null;
}

const initialContext = (): SlotContext => ({ configured: false, locked: false, faulted: false, fault: null, command: null });

/** The `slot` states in which a TRANSLATE is tried (`faulted` answers with its pending fault; `settling` passes at once). */
export const TRANSLATING_STATES: ReadonlySet<string> = new Set(["unconfigured", "active", "locked"]);

/**
 * A TRANSLATE in a translating state, as a plain function — the data path, kept out of the chart:
 * the pending fault if one is latched, else the translation (or its stall, or its fault), each
 * published by `deps`. Returns the fault the AS must latch, if any. The machine's `translate`
 * action runs it, and so does the MMU actor for a request from outside while the slot is in a
 * translating state (`LATCH` then moves the machine to `faulted`): nearly every translation leaves
 * the AS as it was, and goes through no transition at all.
 */
export function translateIn(context: Pick<SlotContext, "configured" | "faulted" | "fault">, req: TranslationRequest, deps: AsSlotDeps): LatchedFault | undefined {
  if (context.faulted && context.fault !== null) {
    deps.answerFaulted(req, context.fault);
    return undefined;
  }
  const v = deps.translate(req, context.configured);
  return v.kind === "fault" ? v.fault : undefined;
}

/**
 * One MMU address-space slot. Two parallel regions:
 * - `command`: `idle` ⇄ `executing` — AS_STATUS.AS_ACTIVE. A command takes `latencyNs` of virtual
 *   time, then takes effect (UPDATE loads TRANSTAB/MEMATTR/TRANSCFG and drops the TLB; LOCK latches
 *   AS_LOCKADDR; UNLOCK/FLUSH_PT/FLUSH_MEM flush the locked region and release it) and completes.
 *   A command written while one is active is rejected (panthor always waits, `wait_ready()`).
 * - `slot`: `unconfigured` (no translation: every access faults), `active`, `locked` (accesses
 *   inside the lock region stall until it is released), `faulted` (the AS latched a fault; every
 *   access gets the pending fault and no new one is latched). A command issued once the driver
 *   has cleared the AS's MMU_INT bit leaves `faulted` (panthor.md §5.6: clear, then disable the
 *   AS with UPDATE); a command issued with the bit still set leaves the AS faulted.
 *
 * Simplified: every command takes the same time; the faulting access is terminated rather than
 * stalled; the AS does not stop on its own after a fault (panthor disables it, and tyrsim's
 * `faulted` state answers every later access with the pending fault, which has the same effect).
 */
export function createAsSlotMachine(as: number, latencyNs: number, deps: AsSlotDeps) {
  return setup({
    types: {} as { context: SlotContext; events: SlotEvent },
    guards: {
      faulted: ({ context }) => context.faulted,
      unconfigured: ({ context }) => !context.configured,
      locked: ({ context }) => context.locked,
    },
    actions: {
      latchCommand: assign(({ event }) => ({ command: event.type === "COMMAND" ? event.cmd : null })),
      rejectBusy: ({ event }) => {
        if (event.type === "COMMAND") deps.rejectedBusy(event.cmd);
      },
      applyCommand: enqueueActions(({ context, enqueue }) => {
        const cmd = context.command;
        if (cmd === null) return;
        const s = deps.apply(cmd);
        const faulted = context.faulted && cmd.faultPending;
        enqueue.assign({ configured: s.configured, locked: s.locked, faulted, fault: faulted ? context.fault : null, command: null });
        deps.completed(cmd);
        enqueue.raise({ type: "APPLIED" });
      }),
      translate: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== "TRANSLATE") return;
        const fault = translateIn(context, event.req, deps);
        if (fault === undefined) return;
        enqueue.assign({ faulted: true, fault });
        enqueue.raise({ type: "FAULTED" });
      }),
      latch: assign(({ event }) => (event.type === "LATCH" ? { faulted: true, fault: event.fault } : {})),
      answerFaulted: ({ context, event }) => {
        if (event.type === "TRANSLATE" && context.fault !== null) deps.answerFaulted(event.req, context.fault);
      },
      retryStalled: enqueueActions(({ enqueue }) => {
        for (const req of deps.takeStalled()) enqueue.raise({ type: "TRANSLATE", req });
      }),
      reset: assign(() => {
        deps.reset();
        return initialContext();
      }),
    },
    delays: { AS_COMMAND: () => latencyNs / 1_000_000 },
  }).createMachine({
    id: `as${as}`,
    type: "parallel",
    context: initialContext(),
    on: { RESET: { target: [".command.idle", ".slot.unconfigured"], reenter: true, actions: "reset" } },
    states: {
      command: {
        initial: "idle",
        states: {
          idle: { on: { COMMAND: { target: "executing", actions: "latchCommand" } } },
          executing: {
            on: { COMMAND: { actions: "rejectBusy" } },
            after: { AS_COMMAND: { target: "idle", actions: "applyCommand" } },
          },
        },
      },
      slot: {
        initial: "unconfigured",
        on: { APPLIED: ".settling", FAULTED: ".faulted", LATCH: { target: ".faulted", actions: "latch" } },
        states: {
          unconfigured: { on: { TRANSLATE: { actions: "translate" } } },
          active: { on: { TRANSLATE: { actions: "translate" } } },
          locked: { on: { TRANSLATE: { actions: "translate" } } },
          faulted: { on: { TRANSLATE: { actions: "answerFaulted" } } },
          settling: {
            entry: "retryStalled",
            always: [
              { guard: "faulted", target: "faulted" },
              { guard: "unconfigured", target: "unconfigured" },
              { guard: "locked", target: "locked" },
              { target: "active" },
            ],
          },
        },
      },
    },
  });
}
