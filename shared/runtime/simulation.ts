import { Subject, type Observable, type Subscription } from "rxjs";
import type { ActorSpec } from "../actor/actor.ts";
import { EventBus } from "../bus/eventBus.ts";
import type { Transport } from "../bus/transport.ts";
import type { Envelope } from "../events/envelope.ts";
import type { EventDef, EventRegistry, PayloadOf } from "../events/registry.ts";
import { MessageRejected, RunEnded, SYS_ERROR_PATH } from "../events/systemEvents.ts";
import type { Rejection } from "../events/validate.ts";
import { eventLine, type LogSink } from "../log/logFormat.ts";
import type { OrderKey } from "../time/scheduler.ts";
import { ActorHost } from "./actorHost.ts";
import type { Draft } from "./draft.ts";
import { EventQueue } from "./eventQueue.ts";
import { INJECT_PATH, watchOutsideInputs } from "./outsideInputs.ts";
import type { HostedActor } from "./hostedActor.ts";
import { minLevel } from "./level.ts";

/** Sources that are not actors: the scenario script, outside injectors, the runtime itself. */
export const INPUT_SOURCES = { scenario: "scenario", injector: "injector", runtime: "runtime" } as const;

/** Subject path of outside inputs (re-exported from `outsideInputs.ts` for the runtime's users). */
export { INJECT_PATH };

/** Options of a simulation. */
export interface SimulationOptions {
  readonly run: string;
  readonly seed: number;
  readonly registry: EventRegistry;
  readonly sink: LogSink;
  /**
   * An outside transport (NATS) the run is visible on: every delivered event is mirrored there for
   * observers (`tyrsim tail --nats`), and with `acceptInputs` outside inputs are taken from it.
   * Hosted actors always receive their events in-process, synchronously, in canonical order.
   */
  readonly external?: Transport;
  /** Listen on `tyrsim.<run>.fault.inject` for outside inputs (live runs); off for replays. */
  readonly acceptInputs?: boolean;
  /** Faults the runtime applies itself (message loss/delay, service deaths): `runtime/multiprocess/runtimeFaults.ts`. */
  readonly routing?: LevelRouting;
}

/** A hook between the queue and delivery: drafts held back or added (`later`), and records for delivered fault inputs. */
export interface LevelRouting {
  readonly active: boolean;
  route(drafts: Draft[]): { readonly deliver: Draft[]; readonly later: readonly Draft[] };
  observe(delivered: readonly Envelope[]): readonly Draft[];
}

/** How a call to `run` ended. */
export interface RunOutcome {
  readonly reason: "duration" | "idle" | "until";
  readonly endTimeNs: number;
  readonly events: number;
}

/** Bounds of a run: a virtual-time limit and/or a last log position. */
export interface RunBounds {
  readonly untilNs?: number;
  readonly untilSeq?: number;
  /** Called every `progressEvery` events with (virtual ns, events so far). */
  readonly onProgress?: (timeNs: number, events: number) => void;
  readonly progressEvery?: number;
}

/**
 * The embedded runtime: every actor in this process, one queue of events in canonical order,
 * every delivered event appended to the log and mirrored on the bus. It steps through the run
 * level by level (one causal depth of one instant at a time, see `level.ts`) exactly as the
 * multi-process coordinator does, so the two produce the same log.
 */
export class Simulation {
  readonly host: ActorHost;
  private readonly queue: EventQueue;
  private readonly external: EventBus | undefined;
  private readonly delivered$ = new Subject<Envelope>();
  private readonly subscriptions: Subscription[] = [];
  /** Is each event's line made once and given to both the sink and the external bus (which sends text)? */
  private readonly sharesLines: boolean;
  private seq = 0;
  private now = 0;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: SimulationOptions) {
    this.queue = new EventQueue(opts.run);
    this.host = new ActorHost({ run: opts.run, seed: opts.seed, registry: opts.registry });
    const busOptions = { run: opts.run, service: INPUT_SOURCES.runtime, trustInProcessObjects: true, publishRejections: false };
    this.external = opts.external === undefined ? undefined : new EventBus(opts.external, opts.registry, busOptions);
    this.sharesLines = this.external?.sendsText === true && opts.sink.appendLine !== undefined;
    if (opts.acceptInputs === true) this.listenForInputs(this.external ?? this.host.bus);
  }

  /** The run id. */
  get runId(): string {
    return this.opts.run;
  }

  /** The in-process bus the actors listen on. */
  get bus(): EventBus {
    return this.host.bus;
  }

  /** Virtual time and queue length, for progress displays and tests. */
  get scheduler(): { readonly nowNs: number; readonly pending: number } {
    return { nowNs: this.now, pending: this.queue.size };
  }

  /** Number of events delivered (and logged) so far. */
  get eventCount(): number {
    return this.seq;
  }

  /** Every delivered event, in log order (for tail, progress and tests). */
  delivered(): Observable<Envelope> {
    return this.delivered$.asObservable();
  }

  /** Host an actor: it gets its own PRNG stream and receives events on its subject patterns. */
  addActor(spec: ActorSpec): HostedActor {
    return this.host.add(spec);
  }

  /** The hosted actors, by name. */
  hosted(): ReadonlyMap<string, HostedActor> {
    return this.host.hosted();
  }

  /** Queue an input event from a non-actor source at virtual time `atNs` (not before now). */
  input<D extends EventDef>(source: string, def: D, path: string, payload: PayloadOf<D>, atNs: number, cause: string | null = null): string {
    return this.inputRaw(source, def.type, path, payload, atNs, cause);
  }

  /** `input` for an already-validated type name (scenario steps, injected faults). */
  inputRaw(source: string, type: string, path: string, payload: unknown, atNs: number, cause: string | null = null): string {
    return this.queue.input(source, type, path, payload, Math.max(atNs, this.now), cause);
  }

  /** Re-feed an input exactly as a log recorded it (replay). */
  replayInput(e: Envelope): void {
    this.queue.replay(e);
  }

  /** Call `fn` right after the event `id` is delivered (lazy queueing of repeated inputs). */
  onDelivered(id: string, fn: () => void): void {
    this.queue.onDelivered(id, fn);
  }

  /** Stop the run after the event being delivered (replay uses it at the first divergence). */
  stop(): void {
    this.stopped = true;
  }

  /** Run until nothing is left or a bound is reached; ends with a `RunEnded` event unless stopped early. */
  run(bounds: RunBounds = {}): RunOutcome {
    while (this.advance(bounds, Number.POSITIVE_INFINITY));
    return this.finish(bounds);
  }

  /**
   * Deliver at most `maxLevels` levels within the bounds; true while there is more to do. A live
   * run alternates this with turns of the event loop, so outside inputs (faults published on NATS)
   * reach the queue; `finish` then ends the run.
   */
  advance(bounds: RunBounds, maxLevels: number): boolean {
    const untilNs = bounds.untilNs ?? Number.POSITIVE_INFINITY;
    const untilSeq = bounds.untilSeq ?? Number.POSITIVE_INFINITY;
    const every = bounds.progressEvery ?? 65536;
    for (let n = 0; n < maxLevels; n++) {
      const before = this.seq;
      if (!this.step(untilNs, untilSeq)) return false;
      if (bounds.onProgress !== undefined && Math.floor(this.seq / every) > Math.floor(before / every)) bounds.onProgress(this.now, this.seq);
    }
    return true;
  }

  /** End the run after `advance` returned false: `RunEnded` at the bound, and what it triggers in that instant. */
  finish(bounds: RunBounds = {}): RunOutcome {
    const untilNs = bounds.untilNs ?? Number.POSITIVE_INFINITY;
    const untilSeq = bounds.untilSeq ?? Number.POSITIVE_INFINITY;
    if (this.stopped || this.seq > untilSeq) return { reason: "until", endTimeNs: this.now, events: this.seq };
    const reason = this.queue.size === 0 && this.host.nextTimerKey() === undefined ? "idle" : "duration";
    // A bounded run always ends at its bound, idle or not, so its virtual length is the scenario's.
    const endTimeNs = Number.isFinite(untilNs) ? Math.max(untilNs, this.now) : this.now;
    this.now = endTimeNs;
    this.queue.input(INPUT_SOURCES.runtime, RunEnded.type, "sys.run.ended", { reason, events: this.seq + 1 }, endTimeNs);
    // Deliver RunEnded and whatever it triggers within the same instant.
    while (this.step(endTimeNs, untilSeq));
    return { reason, endTimeNs, events: this.seq };
  }

  /**
   * Deliver levels until `done()` holds or nothing is left at or before `untilNs`; returns
   * `done()`. Unlike `run` it never ends the run (no `RunEnded`): for clients that drive the
   * simulation request by request, such as the DRM client API on the embedded runtime.
   */
  runUntil(done: () => boolean, untilNs = Number.POSITIVE_INFINITY): boolean {
    while (!done() && this.step(untilNs, Number.POSITIVE_INFINITY));
    return done();
  }

  /** Deliver one level; false when there is nothing (more) to do within the bounds. */
  private step(untilNs: number, untilSeq: number): boolean {
    if (this.stopped || this.seq > untilSeq) return false;
    // The next draft and the next timer key serve as levels themselves (both are readonly and carry
    // timeNs and depth), so no level object is built per step.
    const level = minLevel(this.queue.peek(), this.host.nextTimerKey());
    if (level === undefined || level.timeNs > untilNs) return false;
    this.now = level.timeNs;
    this.started = true;
    let drafts = this.queue.popLevel(level);
    if (this.opts.routing?.active === true) {
      const routed = this.opts.routing.route(drafts);
      drafts = routed.deliver;
      for (const d of routed.later) this.queue.push(d, this.now);
    }
    const delivered: Envelope[] = [];
    let stopBefore: OrderKey | undefined;
    for (let i = 0; i < drafts.length; i++) {
      const d = drafts[i] as Draft;
      if (this.stopped || this.seq > untilSeq) {
        stopBefore = d;
        for (const rest of drafts.slice(i)) this.queue.push(rest);
        break;
      }
      delivered.push(this.deliver(d));
    }
    for (const p of this.host.runLevel(level, delivered, stopBefore)) this.queue.push(p, this.now);
    if (this.opts.routing !== undefined) for (const p of this.opts.routing.observe(delivered)) this.queue.push(p, this.now);
    this.queue.delivered(delivered);
    return true;
  }

  /** Stop listening and close the log. */
  async close(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.host.close();
    await this.opts.sink.close();
  }

  private deliver(d: Draft): Envelope {
    // The envelope literal in canonical key order, as `makeEnvelope` builds it, built once rather
    // than built and then copied: same keys, same order, so the same line on the log.
    const e: Envelope = {
      id: d.id,
      run: this.opts.run,
      seq: this.seq++,
      timeNs: d.timeNs,
      depth: d.depth,
      source: d.source,
      subject: d.subject,
      type: d.type,
      cause: d.cause,
      payload: d.payload,
    };
    // A live run mirrored on NATS stringifies each event once, for the log and the mirror alike.
    const line = this.sharesLines ? eventLine(e) : undefined;
    if (line === undefined) this.opts.sink.append(e);
    else this.opts.sink.appendLine?.(e, line);
    if (this.delivered$.observed) this.delivered$.next(e);
    this.external?.publish(e, line);
    return e;
  }

  /** The earliest time an outside input can still take: the next instant once the run has begun. */
  private nextInstant(): number {
    return this.started ? this.now + 1 : this.now;
  }

  /** A malformed outside message, on the log as an input from `injector` too, so replay re-feeds it. */
  private reportRejection(r: Rejection): void {
    this.queue.input(INPUT_SOURCES.injector, MessageRejected.type, SYS_ERROR_PATH, { ...r }, this.nextInstant());
  }

  private listenForInputs(bus: EventBus): void {
    this.subscriptions.push(
      watchOutsideInputs(
        bus.transport,
        this.runId,
        this.opts.registry,
        (input) => this.queue.input(INPUT_SOURCES.injector, input.type, input.path ?? INJECT_PATH, input.payload, Math.max(input.atNs ?? 0, this.nextInstant())),
        (r) => this.reportRejection(r),
      ),
    );
    this.subscriptions.push(bus.rejections$().subscribe((r) => this.reportRejection(r)));
  }
}
