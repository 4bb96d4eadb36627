import type { Envelope } from "../events/envelope.ts";
import type { EventDef, PayloadOf } from "../events/registry.ts";
import type { Prng } from "../random/prng.ts";
import type { HrTimer, HrTimerRestart } from "../time/hrtimer.ts";

/** Options of a publication. */
export interface PublishOptions {
  /** Deliver after this much virtual time; 0 (default) means later in the same instant. */
  readonly delayNs?: number;
}

/**
 * Everything an actor may touch: virtual time, its own PRNG stream, publication of typed events
 * and hrtimers. No clock, no sockets, no files — so the same actor code runs embedded, in its own
 * process, and under replay, and always produces the same events.
 */
export interface ActorContext {
  /** The actor's name, also the `source` of what it publishes (e.g. `gpu0.pwr`). */
  readonly name: string;
  /** The run id. */
  readonly run: string;
  /** This actor's stream of the run's seeded PRNG. */
  readonly rng: Prng;
  /** Current virtual time in ns. */
  nowNs(): number;
  /**
   * Publish an event of type `def` on `tyrsim.<run>.<path>`. The cause is the event being handled
   * (or the event that armed the timer whose handler is running). Returns the new event's id.
   */
  publish<D extends EventDef>(def: D, path: string, payload: PayloadOf<D>, opts?: PublishOptions): string;
  /** Create a virtual-time hrtimer owned by this actor; `start` arms it. */
  timer(name: string, handler: (t: HrTimer) => HrTimerRestart): HrTimer;
}

/** The running part of an actor: it handles delivered events and can describe its state. */
export interface ActorBehaviour {
  /** Handle one delivered event (already validated). Must not throw for bad input: publish an errno or error event instead. */
  handle(event: Envelope): void;
  /** The actor's state as plain JSON, for `replay --until`, status and rebuild checks. */
  snapshot(): unknown;
}

/**
 * An actor service as the runtimes see it: its name, the subject paths it listens to (relative to
 * the run, NATS wildcards allowed) and a factory for its behaviour. Embedded, multi-process and
 * replay runtimes all host actors through this one shape.
 */
export interface ActorSpec {
  readonly name: string;
  readonly subscribes: readonly string[];
  create(ctx: ActorContext): ActorBehaviour;
}
