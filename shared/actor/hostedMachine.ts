import type { AnyActorScope, AnyStateMachine, EventFrom, EventObject, ExecutableActionObject, InputFrom, SnapshotFrom } from "xstate";
import type { HrTimer } from "../time/hrtimer.ts";
import type { ActorContext } from "./actor.ts";
import { shortcutsFor, type Miss, type TransitionShortcuts } from "./transitionShortcuts.ts";

const NS_PER_MS = 1_000_000;
const XSTATE_STOP = "xstate.stop";

/** A delayed event (`after`, delayed `raise`) as an hrtimer of the actor, reused each time its id is scheduled again. */
interface Delayed {
  readonly timer: HrTimer;
  event: EventObject;
}

/** The snapshot fields the host reads (every machine snapshot has them). */
interface HostSnapshot {
  readonly status: "active" | "done" | "error" | "stopped";
  readonly error?: unknown;
}

/** Child actors and `sendTo` need an XState actor system: a hosted machine has none. */
function refuseChildren(): never {
  throw new Error("a hosted machine has no XState actor system (no child actors, no sendTo); use startHostedMachine");
}

/**
 * The one actor system every hosted machine's transitions see: only its scheduler is used (the
 * delayed events of `after` and delayed `raise`), and it hands them back to the machine that
 * scheduled them (`source`, the scope's `self`).
 */
const hostSystem = {
  scheduler: {
    schedule: (source: HostedMachine<AnyStateMachine>, _target: unknown, event: EventObject, delay: number, delayId?: string) => source.schedule(event, delay, delayId),
    cancel: (source: HostedMachine<AnyStateMachine>, delayId: string) => source.cancel(delayId),
    cancelAll: (source: HostedMachine<AnyStateMachine>) => source.cancelAll(),
  },
  _sendInspectionEvent: () => {},
  _relay: refuseChildren,
  _bookId: refuseChildren,
  _register: refuseChildren,
  _unregister: () => {},
  _set: refuseChildren,
  get: () => undefined,
  getAll: () => ({}),
  inspect: refuseChildren,
  getSnapshot: () => ({ _scheduledEvents: {} }),
  start: () => {},
  _logger: () => {},
};

/**
 * A hosted machine's actor scope (what XState's transition code is given): methods on the
 * prototype, so a machine costs one small object, not a dozen closures.
 */
class HostScope {
  readonly id: string;
  readonly sessionId: string;
  readonly system = hostSystem;
  /**
   * Custom actions run inside the transition once started; before, they wait for `start` (XState's
   * `_deferred`). A closure, not a method: XState wraps it per microstep and calls it unbound.
   */
  readonly actionExecutor: (action: ExecutableActionObject) => void;
  constructor(readonly self: HostedMachine<AnyStateMachine>) {
    this.id = self.id;
    this.sessionId = self.id;
    this.actionExecutor = (action) => {
      const exec = action.exec;
      if (exec === undefined) return;
      if (self.running) exec(action.info, action.params);
      else self.deferred.push(() => exec(action.info, action.params));
    };
  }
  defer(fn: () => void): void {
    this.self.deferred.push(fn);
  }
  logger(): void {}
  emit(): void {}
  stopChild(): never {
    return refuseChildren();
  }
}

/** Options of a machine hosted with {@link hostMachine}. */
export interface HostMachineOptions<M extends AnyStateMachine> {
  /** The machine's id: in `MachineFailedError`, and the prefix of its timers' names. */
  readonly id: string;
  readonly input?: InputFrom<M>;
}

/**
 * An XState v5 machine run inside an actor without an XState actor or actor system: the snapshot
 * is kept here and every event goes through the machine's own `transition(snapshot, event,
 * actorScope)` (XState's `ActorLogic` contract), with one long-lived actor scope. The chart, its
 * guards, actions, `assign`, `raise`, `after` delays and final states keep XState's semantics;
 * what is left out is what a hosted machine never used — the actor system and its registry,
 * inspection, observers, child actors and `sendTo` (refused) — and which cost more than
 * the transitions: `createActor` + `start` cost more than a job machine's whole lifecycle of
 * transitions, and every delay went through the system's bookkeeping and a new timer. (XState's pure `transition()`/`initialTransition()` helpers build an
 * inert actor on every call, so they are slower still.)
 *
 * Plain transitions (one transition between two sibling states, or into a final state that ends
 * the machine; custom actions, `assign`, and the `after` timers' delayed `raise` and `cancel`)
 * take a shortcut once XState has taken them once: XState's own transition selection, then the
 * exit, transition and entry actions, and the snapshot XState made for where they lead
 * (`TransitionShortcuts`) — a fraction of the macrostep's cost; everything else goes through
 * `transition()`. So does a new instance's first snapshot, when entering it runs no action.
 *
 * Kept exactly as XState's `Actor` does it, so the actor's order of publications and timers is
 * unchanged: actions run inside the transition; delayed events are armed and cancelled after it
 * (XState defers them), each as an hrtimer of the actor on virtual time (`ms` → ns, rounded);
 * an event sent while a transition runs waits for it (the mailbox); an action that throws leaves
 * the machine in status `error` and stopped (its delays cancelled), which `sendChecked` reports;
 * reaching a final state or `stop()` cancels the pending delays.
 */
export class HostedMachine<M extends AnyStateMachine> {
  private snapshot: SnapshotFrom<M>;
  private started = false;
  /** @internal Started and not yet done, failed or stopped (XState's `ProcessingStatus.Running`). */
  running = false;
  private processing = false;
  /** Events sent while a transition runs (rare: created when first needed). */
  private mailbox: EventObject[] | undefined;
  /** @internal XState's deferred effects: arming and cancelling delays, and the initial actions before `start`. */
  readonly deferred: (() => void)[] = [];
  /** The machine's delayed events by id (created with the first; a job machine has none). */
  private delayed: Map<string, Delayed> | undefined;
  private anonymousDelays = 0;
  private readonly scope: AnyActorScope;
  /** The machine's plain-transition shortcuts (shared by its instances), or null: XState's own path only. */
  private readonly shortcuts: TransitionShortcuts | null;
  /** A plain transition the shortcuts could not take yet: learnt from XState's result. */
  private readonly miss: Miss = { from: undefined, transition: undefined };

  constructor(
    private readonly ctx: ActorContext,
    readonly machine: M,
    readonly id: string,
    input: InputFrom<M> | undefined,
  ) {
    this.scope = new HostScope(this) as unknown as AnyActorScope;
    const shortcuts = (this.shortcuts = shortcutsFor(machine));
    const first = shortcuts?.initial(this.scope, input) as SnapshotFrom<M> | undefined;
    if (first !== undefined) this.snapshot = first;
    else {
      this.snapshot = machine.getInitialSnapshot(this.scope, input) as SnapshotFrom<M>;
      shortcuts?.learnInitial(this.snapshot as never);
    }
  }

  /** Start: run the initial state's entry actions and arm its delays (as `Actor.start`). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    if (this.status === "error") return this;
    this.running = true;
    // Events the initial actions send wait for them, as in XState (its mailbox starts after them).
    this.processing = true;
    try {
      this.update(this.snapshot);
      this.drain();
    } finally {
      this.processing = false;
    }
    return this;
  }

  /** The current snapshot (state value, context, status). */
  getSnapshot(): SnapshotFrom<M> {
    return this.snapshot;
  }

  /** Send an event; ignored once the machine is done, failed or stopped. Never throws (see `sendChecked`). */
  send(event: EventFrom<M>): void {
    if (!this.running) return;
    this.receive(event);
  }

  /** Stop the machine (no exit actions, as XState's `stop`): pending delays are cancelled, later events ignored. */
  stop(): void {
    if (!this.running) return;
    this.mailbox = undefined;
    this.receive({ type: XSTATE_STOP });
  }

  private get status(): HostSnapshot["status"] {
    return (this.snapshot as unknown as HostSnapshot).status;
  }

  /** XState's mailbox: an event sent from inside a transition is handled after it. */
  private receive(event: EventObject): void {
    if (this.processing) {
      (this.mailbox ??= []).push(event);
      return;
    }
    this.processing = true;
    try {
      this.process(event);
      this.drain();
    } finally {
      this.processing = false;
    }
  }

  private drain(): void {
    let event: EventObject | undefined;
    while ((event = this.mailbox?.shift()) !== undefined) this.process(event);
  }

  private process(event: EventObject): void {
    let next: SnapshotFrom<M>;
    try {
      const shortcuts = this.shortcuts;
      this.miss.transition = undefined;
      const short = shortcuts === null ? undefined : (shortcuts.transition(this.snapshot as never, event, this.scope, this.miss) as SnapshotFrom<M> | undefined);
      if (short !== undefined) next = short;
      else {
        next = this.machine.transition(this.snapshot, event, this.scope) as SnapshotFrom<M>;
        if (this.miss.transition !== undefined) (shortcuts as TransitionShortcuts).learn(this.miss, next as never);
      }
    } catch (error) {
      this.deferred.length = 0;
      this.snapshot = { ...(this.snapshot as object), status: "error", error } as SnapshotFrom<M>;
      this.halt();
      return;
    }
    this.update(next);
    if (event.type === XSTATE_STOP) this.halt();
  }

  /** Adopt a snapshot: run the deferred effects, then stop if it is final or failed (`Actor.update`). */
  private update(next: SnapshotFrom<M>): void {
    this.snapshot = next;
    let fn: (() => void) | undefined;
    while ((fn = this.deferred.shift()) !== undefined) {
      try {
        fn();
      } catch (error) {
        this.deferred.length = 0;
        this.snapshot = { ...(next as object), status: "error", error } as SnapshotFrom<M>;
      }
    }
    const status = this.status;
    if (status === "done" || status === "error") this.halt();
  }

  /** `Actor._stopProcedure`: cancel the pending delays, drop queued events, accept no more. */
  private halt(): void {
    if (!this.running) return;
    this.cancelAll();
    this.mailbox = undefined;
    this.running = false;
  }

  /** @internal */
  schedule(event: EventObject, delayMs: number, delayId: string | undefined): void {
    const key = delayId ?? `anonymous-${this.anonymousDelays++}`;
    const delayed = (this.delayed ??= new Map());
    let d = delayed.get(key);
    // XState keeps an earlier expiry of the same id running (only the newest stays cancellable).
    if (d === undefined || d.timer.active) {
      const entry: Delayed = {
        event,
        timer: this.ctx.timer(`${this.id}/${key}`, () => {
          if (this.running) this.receive(entry.event);
          return "norestart";
        }),
      };
      delayed.set(key, (d = entry));
    }
    d.event = event;
    d.timer.start(Math.round(delayMs * NS_PER_MS), "rel");
  }

  /** @internal */
  cancel(delayId: string): void {
    const d = this.delayed?.get(delayId);
    if (d?.timer.active === true) d.timer.cancel();
  }

  /** @internal */
  cancelAll(): void {
    if (this.delayed !== undefined) for (const d of this.delayed.values()) if (d.timer.active) d.timer.cancel();
  }
}

/** Machines already checked for child actors. */
const checked = new WeakSet<AnyStateMachine>();

/** The id of the first state node that invokes an actor, if any. */
function findInvoke(node: { id: string; invoke: readonly unknown[]; states: Record<string, unknown> }): string | undefined {
  if (node.invoke.length > 0) return node.id;
  for (const child of Object.values(node.states)) {
    const found = findInvoke(child as typeof node);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Host an XState v5 machine inside an actor as a {@link HostedMachine} (no XState actor), started.
 * For machines without child actors; send to it with `sendChecked`.
 */
export function hostMachine<M extends AnyStateMachine>(ctx: ActorContext, machine: M, opts: HostMachineOptions<M>): HostedMachine<M> {
  if (!checked.has(machine)) {
    const invoking = findInvoke(machine.root);
    if (invoking !== undefined) throw new Error(`machine '${opts.id}': state '${invoking}' invokes a child actor, which a hosted machine cannot run; use startHostedMachine`);
    checked.add(machine);
  }
  return new HostedMachine(ctx, machine, opts.id, opts.input).start();
}
