import { createActor, type AnyStateMachine, type Actor, type EventFrom, type InputFrom } from "xstate";
import type { ActorContext } from "./actor.ts";
import type { HostedMachine } from "./hostedMachine.ts";

const NS_PER_MS = 1_000_000;

/** XState's clock interface (`system.ts`; not exported by the package). */
export interface XStateClock {
  setTimeout(fn: () => void, timeoutMs: number): unknown;
  clearTimeout(id: unknown): void;
}

/**
 * XState's `Clock` on virtual time: every `after` delay and delayed send of a hosted machine becomes
 * an hrtimer of the actor, so machines never touch wall-clock timers and their delays take their
 * canonical place in the run's order. Delays are given in ms (XState's unit) and may be fractional.
 */
export function virtualClock(ctx: ActorContext): XStateClock {
  let timers = 0;
  return {
    setTimeout(fn: () => void, timeoutMs: number) {
      const t = ctx.timer(`xstate-${timers++}`, () => {
        fn();
        return "norestart";
      });
      t.start(Math.round(timeoutMs * NS_PER_MS), "rel");
      return t;
    },
    clearTimeout(id: unknown) {
      (id as { cancel(): boolean }).cancel();
    },
  };
}

/** Options of a hosted machine. */
export interface HostedMachineOptions<M extends AnyStateMachine> {
  /** Explicit id and systemId (XState's default session ids are process-global counters, not deterministic). */
  readonly id: string;
  readonly input?: InputFrom<M>;
}

/** A machine's action threw: the actor is stopped in XState's error state. */
export class MachineFailedError extends Error {
  override readonly name = "MachineFailedError";
  constructor(readonly machineId: string, options?: { cause?: unknown }) {
    super(`machine '${machineId}' failed: ${options?.cause instanceof Error ? options.cause.message : String(options?.cause)}`, options);
  }
}

/**
 * Start an XState v5 machine inside an actor as an XState actor: virtual clock and explicit ids.
 * A machine without child actors runs cheaper as a `HostedMachine` (`hostMachine`, same chart and
 * order of effects, no actor system). Errors from its actions are caught here (XState would
 * otherwise report them asynchronously) and surface through `sendChecked`, which the host turns
 * into an `ActorHandlerFailed` event.
 */
export function startHostedMachine<M extends AnyStateMachine>(ctx: ActorContext, machine: M, opts: HostedMachineOptions<M>): Actor<M> {
  const actor = createActor(machine, {
    id: opts.id,
    systemId: opts.id,
    clock: virtualClock(ctx),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  } as Parameters<typeof createActor<M>>[1]);
  actor.subscribe({ error: () => {} });
  actor.start();
  return actor;
}

/** Send an event to a hosted machine (an XState actor or a `HostedMachine`) and throw `MachineFailedError` if handling it failed. */
export function sendChecked<M extends AnyStateMachine>(actor: Actor<M> | HostedMachine<M>, event: EventFrom<M>): void {
  actor.send(event);
  const snap = actor.getSnapshot() as { status: string; error?: unknown };
  if (snap.status === "error") throw new MachineFailedError(actor.id, { cause: snap.error });
}
