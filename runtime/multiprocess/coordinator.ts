import { makeEnvelope, type Envelope } from "../../shared/events/envelope.ts";
import { matchSubject } from "../../shared/events/subjects.ts";
import { RunEnded } from "../../shared/events/systemEvents.ts";
import type { LogSink } from "../../shared/log/logFormat.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { EventQueue } from "../../shared/runtime/eventQueue.ts";
import { atLevel, levelOf, minLevel, type Level } from "../../shared/runtime/level.ts";
import { INPUT_SOURCES, type RunOutcome } from "../../shared/runtime/simulation.ts";
import type { OrderKey } from "../../shared/time/scheduler.ts";
import type { LevelReply, LevelRequest } from "./protocol.ts";
import { RuntimeFaults } from "./runtimeFaults.ts";

/** A service as the coordinator sees it: what its actors listen to, its next timer, and how to ask it to handle a level. */
export interface RemoteService {
  readonly name: string;
  readonly patterns: readonly string[];
  nextTimer: OrderKey | null;
  exchange(req: LevelRequest): Promise<LevelReply>;
}

/** Options of a coordinator. */
export interface CoordinatorOptions {
  readonly run: string;
  readonly sink: LogSink;
  readonly services: readonly RemoteService[];
  /** Called with every delivered event (mirroring on NATS, counting, progress). */
  readonly onDelivered?: (e: Envelope) => void;
  /**
   * Carry out a `service-died` fault: kill the service's process and resolve once its successor
   * has re-joined with its actors rebuilt. Without it (in-process services) the fault is rejected.
   */
  readonly restartService?: (service: string) => Promise<void>;
}

/**
 * Where a (re-)joining service's actors must be brought to before it answers requests: every
 * logged event before `beforeSeq` replayed, and its timers fired through level `through`.
 */
export interface ResumePoint {
  readonly beforeSeq: number;
  readonly through: Level | null;
}

/**
 * The multi-process runtime's owner of virtual time and of the canonical order. It keeps the queue
 * of events, numbers them into the log, and steps the run level by level: each level's events go,
 * in one request per service, to the services whose actors listen to them or whose timers fall in
 * the level; the services answer with what their actors published. Because a level can only
 * cause later levels, every service handles its share in parallel, and the log is the one the
 * embedded runtime writes for the same scenario and seed.
 */
export class Coordinator {
  private readonly queue: EventQueue;
  private readonly routes = new Map<string, RemoteService[]>();
  private seq = 0;
  private now = 0;
  private started = false;
  /** The level being handled: the seq of its first event (or undefined between levels). */
  private openLevelSeq: number | undefined;
  private lastLevel: Level | null = null;
  private readonly faults: RuntimeFaults;
  private readonly watchers = new Set<(e: Envelope) => void>();
  /** Level exchanges done (a measure of coordination cost). */
  rounds = 0;

  constructor(private readonly opts: CoordinatorOptions) {
    this.queue = new EventQueue(opts.run);
    this.faults = new RuntimeFaults(opts.run, opts.restartService !== undefined ? opts.services.map((s) => s.name) : undefined);
  }

  /** Virtual time now. */
  get nowNs(): number {
    return this.now;
  }

  /**
   * Where a service joining now must resume: after every completed level. Events of a level under
   * way are not included — the service gets that level in a (resent) request.
   */
  resumePoint(): ResumePoint {
    return { beforeSeq: this.openLevelSeq ?? this.seq, through: this.lastLevel };
  }

  /** Events delivered so far. */
  get eventCount(): number {
    return this.seq;
  }

  /** Queue an input from a non-actor source (scenario steps, the runtime). */
  inputRaw(source: string, type: string, path: string, payload: unknown, atNs: number): string {
    return this.queue.input(source, type, path, payload, Math.max(atNs, this.now));
  }

  /**
   * Queue an input from outside the run (a fault published on NATS) at the next instant, or at
   * `atNs` if later: never inside an instant already under way, so replay re-feeds it at the
   * same place.
   */
  outsideInput(source: string, type: string, path: string, payload: unknown, atNs = 0): string {
    return this.queue.input(source, type, path, payload, Math.max(atNs, this.started ? this.now + 1 : this.now));
  }

  /** Call `fn` once the event `id` has been delivered. */
  onDelivered(id: string, fn: () => void): void {
    this.queue.onDelivered(id, fn);
  }

  /**
   * Call `fn` with every event delivered from now on (a client's answer, see
   * `runtime/clients/coordinatorClients.ts`); returns the function that stops it.
   */
  watchDelivered(fn: (e: Envelope) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /**
   * Deliver levels until `done()` holds or nothing is left at or before `untilNs`; resolves to
   * `done()`. Never ends the run (no `RunEnded`): the client API plays requests with it, as
   * `Simulation.runUntil` does on the embedded runtime.
   */
  async runUntil(done: () => boolean, untilNs = Number.POSITIVE_INFINITY): Promise<boolean> {
    while (!done() && (await this.step(untilNs)));
    return done();
  }

  /**
   * Run to `untilNs`, then deliver `RunEnded` and what it triggers in that instant. `beforeLevel`,
   * when given, is awaited before each level (not those of `RunEnded`'s instant): remote clients
   * hold virtual time there and play their requests (`runtime/clients/`).
   */
  async run(untilNs: number, beforeLevel?: () => Promise<void>): Promise<RunOutcome> {
    for (;;) {
      if (beforeLevel !== undefined) await beforeLevel();
      if (!(await this.step(untilNs))) break;
    }
    const idle = this.queue.size === 0 && this.opts.services.every((s) => s.nextTimer === null);
    const endTimeNs = Math.max(untilNs, this.now);
    this.now = endTimeNs;
    this.queue.input(INPUT_SOURCES.runtime, RunEnded.type, "sys.run.ended", { reason: idle ? "idle" : "duration", events: this.seq + 1 }, endTimeNs);
    while (await this.step(endTimeNs));
    return { reason: idle ? "idle" : "duration", endTimeNs, events: this.seq };
  }

  private nextLevel(): Level | undefined {
    let level = this.queue.peekLevel();
    for (const s of this.opts.services) if (s.nextTimer !== null) level = minLevel(level, levelOf(s.nextTimer));
    return level;
  }

  private servicesFor(subject: string): RemoteService[] {
    let list = this.routes.get(subject);
    if (list === undefined) {
      list = this.opts.services.filter((s) => s.patterns.some((p) => matchSubject(p, subject)));
      this.routes.set(subject, list);
    }
    return list;
  }

  private async step(untilNs: number): Promise<boolean> {
    const level = this.nextLevel();
    if (level === undefined || level.timeNs > untilNs) return false;
    this.now = level.timeNs;
    this.started = true;
    this.openLevelSeq = this.seq;
    let drafts = this.queue.popLevel(level);
    if (this.faults.active) {
      const routed = this.faults.route(drafts);
      drafts = routed.deliver;
      for (const d of routed.later) this.queue.push(d, this.now);
    }
    const events = drafts.map((d) => this.deliver(d));
    const batches = new Map<RemoteService, Envelope[]>();
    for (const e of events) {
      for (const s of this.servicesFor(e.subject)) {
        let b = batches.get(s);
        if (b === undefined) batches.set(s, (b = []));
        b.push(e);
      }
    }
    for (const s of this.opts.services) if (s.nextTimer !== null && atLevel(s.nextTimer, level) && !batches.has(s)) batches.set(s, []);
    this.rounds++;
    const replies = await Promise.all(
      [...batches].map(async ([s, evs]) => {
        const reply = await s.exchange({ round: this.rounds, level, events: evs, stopBefore: null });
        s.nextTimer = reply.nextTimer;
        return reply.drafts;
      }),
    );
    for (const drafts of replies) for (const d of drafts) this.queue.push(d as Draft, this.now);
    for (const d of this.faults.observe(events)) this.queue.push(d, this.now);
    this.queue.delivered(events);
    this.lastLevel = level;
    this.openLevelSeq = undefined;
    // A service killed by a fault dies now, after its share of this level; time waits for its return.
    for (const death of this.faults.takeDeaths()) {
      await this.opts.restartService?.(death.service);
      this.queue.push(this.faults.restarted(death, level, this.seq), this.now);
    }
    return true;
  }

  private deliver(d: Draft): Envelope {
    const e = makeEnvelope({ ...d, run: this.opts.run, seq: this.seq++ });
    this.opts.sink.append(e);
    this.opts.onDelivered?.(e);
    for (const w of this.watchers) w(e);
    return e;
  }
}
