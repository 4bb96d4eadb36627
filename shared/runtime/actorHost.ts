import type { ActorSpec } from "../actor/actor.ts";
import { EventBus } from "../bus/eventBus.ts";
import { MemoryTransport } from "../bus/memoryTransport.ts";
import { parseEventId, type Envelope } from "../events/envelope.ts";
import type { EventRegistry } from "../events/registry.ts";
import { matchSubject, subjectOf } from "../events/subjects.ts";
import { ActorHandlerFailed, SYS_ERROR_PATH } from "../events/systemEvents.ts";
import { createPrng, type Prng } from "../random/prng.ts";
import { keyLess, Scheduler, type OrderKey } from "../time/scheduler.ts";
import type { Draft } from "./draft.ts";
import { HostedActor } from "./hostedActor.ts";
import { atLevel, type Level } from "./level.ts";

/** Options of an actor host. */
export interface ActorHostOptions {
  readonly run: string;
  readonly seed: number;
  readonly registry: EventRegistry;
}

/**
 * The actors of one process and their timers. The host is handed the events of one level of the
 * canonical order at a time; it fires its actors' timers of that level in key order between the
 * events, delivers each event to the actors whose subjects match, and returns what they published
 * (drafts, for the caller to order and log). Shadow actors (a memory replica in a process that
 * does not own it) receive events but publish nothing.
 */
export class ActorHost {
  /**
   * The in-process bus of this host: outside inputs arrive on it in the embedded runtime. Actors
   * are not subscribed to it: delivery goes through a subject → actors routing table, which is
   * the same NATS matching without a stream per actor on the hot path.
   */
  readonly bus: EventBus;
  private readonly timers = new Scheduler();
  private readonly prng: Prng;
  private readonly actors = new Map<string, HostedActor>();
  private readonly patterns: string[] = [];
  private readonly entries: { readonly actor: HostedActor; readonly patterns: readonly string[]; readonly shadow: boolean }[] = [];
  /** Subject → the actors (in hosting order) whose patterns match it; the hot path of delivery. */
  private readonly routes = new Map<string, { readonly actor: HostedActor; readonly shadow: boolean }[]>();
  private readonly subjects = new Map<string, string>();
  private closed = false;
  private readonly failureCounters = new Map<string, number>();
  private out: Draft[] = [];
  private clock = 0;
  private depth = 0;

  constructor(private readonly opts: ActorHostOptions) {
    this.prng = createPrng(opts.seed);
    this.bus = new EventBus(new MemoryTransport(), opts.registry, { run: opts.run, service: "runtime", trustInProcessObjects: true, publishRejections: false });
  }

  /** Full subject of a path, built once per path (actors publish on a handful of paths, over and over). */
  private subjectFor(path: string): string {
    let subject = this.subjects.get(path);
    if (subject === undefined) {
      subject = subjectOf(this.opts.run, path);
      this.subjects.set(path, subject);
    }
    return subject;
  }

  /** Current virtual time as the actors see it. */
  get nowNs(): number {
    return this.clock;
  }

  /** Host an actor; a shadow receives its events but what it publishes is dropped. */
  add(spec: ActorSpec, shadow = false): HostedActor {
    if (this.actors.has(spec.name)) throw new Error(`actor '${spec.name}' is already hosted in run ${this.opts.run}`);
    const actor = new HostedActor(spec, this.prng.split(spec.name), {
      run: this.opts.run,
      nowNs: () => this.clock,
      enqueueEvent: (d) => {
        if (!shadow) this.out.push(d);
      },
      enqueueTimer: (key, fire, live) => this.timers.schedule({ timeNs: key.timeNs, depth: key.depth, source: key.source, n: key.n, fire, live }),
      subject: (path) => this.subjectFor(path),
      // A timer handler that threw: a reaction at the level being handled.
      reportFailure: (a, cause, error) => {
        if (!shadow) this.failure(a, cause, this.depth, error);
      },
    });
    this.actors.set(spec.name, actor);
    const patterns = spec.subscribes.map((p) => subjectOf(this.opts.run, p));
    this.patterns.push(...patterns);
    this.entries.push({ actor, patterns, shadow });
    this.routes.clear();
    return actor;
  }

  /** The hosted actors, by name. */
  hosted(): ReadonlyMap<string, HostedActor> {
    return this.actors;
  }

  /** Full subject patterns the actors listen to (what a coordinator must send this host). */
  subscribedPatterns(): readonly string[] {
    return this.patterns;
  }

  /** The key of this host's next timer, or undefined. */
  nextTimerKey(): OrderKey | undefined {
    return this.timers.peekKey();
  }

  /**
   * Handle one level: `events` are the level's events (already in canonical order, seq assigned);
   * the host's timers of the level fire between them in key order. With `stopBefore`, timers from
   * that key on are left for later (a run bounded by `--until` in the middle of a level).
   * Returns the drafts the actors published, in the order they published them.
   */
  runLevel(level: Level, events: readonly Envelope[], stopBefore?: OrderKey): Draft[] {
    this.clock = level.timeNs;
    this.depth = level.depth;
    this.timers.advanceTo(level.timeNs);
    // Whatever was published outside a level is dropped; the array is replaced only when it holds something.
    if (this.out.length > 0) this.out = [];
    for (const e of events) {
      // Interleave this level's timers by key; most levels have none, and skip the key work.
      const t = this.timers.peekKey();
      if (t !== undefined && atLevel(t, level)) {
        const key = parseEventId(e.id);
        this.fireTimersBefore(level, { timeNs: e.timeNs, depth: e.depth, source: key.source, n: key.n });
      }
      this.dispatch(e);
    }
    this.fireTimersBefore(level, stopBefore);
    const produced = this.out;
    this.out = [];
    return produced;
  }

  private fireTimersBefore(level: Level, bound: OrderKey | undefined): void {
    for (let t = this.timers.peekKey(); t !== undefined && atLevel(t, level) && (bound === undefined || keyLess(t, bound)); t = this.timers.peekKey()) {
      this.timers.step();
    }
  }

  /** An actor threw: record it as an immediate reaction to what it was handling (its own source, so partitioning cannot change ids). */
  private failure(actor: string, cause: string, causeDepth: number, error: string): void {
    const source = `runtime.${actor}`;
    const n = this.failureCounters.get(source) ?? 0;
    this.failureCounters.set(source, n + 1);
    this.out.push({
      id: `${source}:${n}`,
      timeNs: this.clock,
      depth: causeDepth + 1,
      source,
      n,
      subject: subjectOf(this.opts.run, SYS_ERROR_PATH),
      type: ActorHandlerFailed.type,
      cause,
      payload: { actor, event: cause, error },
    });
  }

  /** Deliver an event to the actors whose subject patterns match it, in hosting order. */
  private dispatch(e: Envelope): void {
    if (this.closed) return;
    let route = this.routes.get(e.subject);
    if (route === undefined) {
      route = this.entries.filter((x) => x.patterns.some((p) => matchSubject(p, e.subject)));
      this.routes.set(e.subject, route);
    }
    for (const { actor, shadow } of route) {
      const failure = actor.deliver(e);
      if (failure !== undefined && !shadow) this.failure(actor.name, e.id, e.depth, failure);
    }
  }

  /** Stop delivering to the actors. */
  close(): void {
    this.closed = true;
  }
}
