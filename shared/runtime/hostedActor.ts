import { Subject, type Observable } from "rxjs";
import type { ActorBehaviour, ActorContext, ActorSpec, PublishOptions } from "../actor/actor.ts";
import type { Envelope } from "../events/envelope.ts";
import type { EventDef, PayloadOf } from "../events/registry.ts";
import type { Prng } from "../random/prng.ts";
import { HrTimer, type HrTimerRestart, type TimerBase } from "../time/hrtimer.ts";
import type { Draft } from "./draft.ts";

/** What a hosted actor needs from whichever runtime hosts it. */
export interface ActorHostServices {
  readonly run: string;
  nowNs(): number;
  /** Queue an event draft for canonical delivery. */
  enqueueEvent(draft: Draft): void;
  /** Queue a timer expiry at its canonical key. */
  enqueueTimer(key: { timeNs: number; depth: number; source: string; n: number }, fire: () => void, live: () => boolean): void;
  /** Full subject for a path inside the run. */
  subject(path: string): string;
  /** Record that the actor threw while handling `cause` (an event id, or the timer's name). */
  reportFailure(actor: string, cause: string, error: string): void;
}

/**
 * One actor inside a runtime: it implements the actor's context (publish, timers, PRNG, time),
 * numbers everything the actor schedules with its own counter, and tracks the event being handled
 * so that publications carry their cause and causal depth.
 */
export class HostedActor implements ActorContext, TimerBase {
  readonly name: string;
  readonly run: string;
  readonly behaviour: ActorBehaviour;
  private counter = 0;
  /** The event being handled (or the event that armed the running timer) and its causal depth. */
  private causeId: string | null = null;
  private causeDepth = -1;
  private lastSeq = -1;
  private readonly states = new Subject<{ readonly timeNs: number; readonly cause: string | null; readonly state: unknown }>();

  constructor(
    readonly spec: ActorSpec,
    readonly rng: Prng,
    private readonly host: ActorHostServices,
  ) {
    this.name = spec.name;
    this.run = host.run;
    this.behaviour = spec.create(this);
  }

  nowNs(): number {
    return this.host.nowNs();
  }

  /**
   * The actor's state after every event it handled and every timer it fired, with the time and the
   * cause — the "watch every state change" stream for tools and tests. Snapshots are taken only
   * while someone is subscribed.
   */
  state$(): Observable<{ readonly timeNs: number; readonly cause: string | null; readonly state: unknown }> {
    return this.states.asObservable();
  }

  private emitState(): void {
    if (this.states.observed) this.states.next({ timeNs: this.host.nowNs(), cause: this.causeId, state: this.behaviour.snapshot() });
  }

  publish<D extends EventDef>(def: D, path: string, payload: PayloadOf<D>, opts?: PublishOptions): string {
    const delay = opts?.delayNs ?? 0;
    const n = this.counter++;
    const id = `${this.name}:${n}`;
    this.host.enqueueEvent({
      id,
      timeNs: this.host.nowNs() + delay,
      depth: delay === 0 ? this.causeDepth + 1 : 0,
      source: this.name,
      n,
      subject: this.host.subject(path),
      type: def.type,
      cause: this.causeId,
      payload,
    });
    return id;
  }

  timer(name: string, handler: (t: HrTimer) => HrTimerRestart): HrTimer {
    return new HrTimer(this, `${this.name}/${name}`, handler);
  }

  /**
   * TimerBase: queue an expiry at this actor's next counter value, remembering the arming cause.
   * An expiry in a later instant opens that instant (depth 0); one due in the current instant is
   * an immediate reaction (cause depth + 1), so the canonical order never steps back to a lower
   * depth within an instant — what lets a coordinator deliver an instant level by level.
   */
  enqueue(timer: HrTimer, expiresNs: number, generation: number): void {
    const armedBy = this.causeId;
    const depth = expiresNs > this.host.nowNs() ? 0 : this.causeDepth + 1;
    this.host.enqueueTimer({ timeNs: expiresNs, depth, source: this.name, n: this.counter++ }, () => this.fire(timer, generation, armedBy, depth), () => timer.isQueued(generation));
  }

  /** Fire a queued expiry with the cause that armed it. */
  private fire(timer: HrTimer, generation: number, armedBy: string | null, depth: number): void {
    const savedId = this.causeId;
    const savedDepth = this.causeDepth;
    this.causeId = armedBy;
    this.causeDepth = depth;
    try {
      try {
        timer.expire(generation);
      } catch (e) {
        this.host.reportFailure(this.name, timer.name, describeError(e));
      }
      this.emitState();
    } finally {
      this.causeId = savedId;
      this.causeDepth = savedDepth;
    }
  }

  /**
   * Deliver one event to the behaviour, once even when several of the actor's patterns match it.
   * Returns the error message when the handler threw (the runtime records it), else undefined.
   */
  deliver(event: Envelope): string | undefined {
    if (event.seq <= this.lastSeq) return undefined;
    this.lastSeq = event.seq;
    let failure: string | undefined;
    // The cause is saved and restored in place (no closure or object per event: the hot path).
    const savedId = this.causeId;
    const savedDepth = this.causeDepth;
    this.causeId = event.id;
    this.causeDepth = event.depth;
    try {
      try {
        this.behaviour.handle(event);
      } catch (e) {
        failure = describeError(e);
      }
      this.emitState();
    } finally {
      this.causeId = savedId;
      this.causeDepth = savedDepth;
    }
    return failure;
  }
}

/** One line naming an error thrown by actor code. */
function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
