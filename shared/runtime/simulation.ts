import { Subject, type Observable, type Subscription } from "rxjs";
import type { ActorSpec } from "../actor/actor.ts";
import { EventBus } from "../bus/eventBus.ts";
import { MemoryTransport } from "../bus/memoryTransport.ts";
import type { Transport } from "../bus/transport.ts";
import { EnvelopeSchema, makeEnvelope, type Envelope } from "../events/envelope.ts";
import { decodeInput } from "../events/input.ts";
import type { EventDef, EventRegistry, PayloadOf } from "../events/registry.ts";
import { subjectOf } from "../events/subjects.ts";
import { ActorHandlerFailed, MessageRejected, RunEnded, SYS_ERROR_PATH } from "../events/systemEvents.ts";
import type { Rejection } from "../events/validate.ts";
import type { LogSink } from "../log/logFormat.ts";
import { createPrng, type Prng } from "../random/prng.ts";
import { Scheduler } from "../time/scheduler.ts";
import type { Draft } from "./draft.ts";
import { HostedActor } from "./hostedActor.ts";

/** Sources that are not actors: the scenario script, outside injectors, the runtime itself. */
export const INPUT_SOURCES = { scenario: "scenario", injector: "injector", runtime: "runtime" } as const;

/** Subject path on which outside clients publish inputs (faults) into a live run. */
export const INJECT_PATH = "fault.inject";

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
 * The embedded runtime's core: one scheduler owning virtual time, actors hosted in-process, every
 * delivered event appended to the log in canonical order and published on the bus. Inputs (the
 * scenario's steps, outside injections) enter through the same queue with their own sources.
 */
export class Simulation {
  readonly scheduler = new Scheduler();
  readonly bus: EventBus;
  private readonly external: EventBus | undefined;
  private readonly prng: Prng;
  private readonly actors = new Map<string, HostedActor>();
  private readonly inputCounters = new Map<string, number>();
  private readonly delivered$ = new Subject<Envelope>();
  private readonly subscriptions: Subscription[] = [];
  private seq = 0;
  private stopped = false;
  private readonly deliveryHooks = new Map<string, () => void>();

  constructor(private readonly opts: SimulationOptions) {
    this.prng = createPrng(opts.seed);
    const busOptions = { run: opts.run, service: INPUT_SOURCES.runtime, trustInProcessObjects: true, publishRejections: false };
    this.bus = new EventBus(new MemoryTransport(), opts.registry, busOptions);
    this.external = opts.external === undefined ? undefined : new EventBus(opts.external, opts.registry, busOptions);
    if (opts.acceptInputs === true) this.listenForInputs(this.external ?? this.bus);
  }

  /** The run id. */
  get runId(): string {
    return this.opts.run;
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
    if (this.actors.has(spec.name)) throw new Error(`actor '${spec.name}' is already hosted in run ${this.runId}`);
    const actor = new HostedActor(spec, this.prng.split(spec.name), {
      run: this.runId,
      nowNs: () => this.scheduler.nowNs,
      enqueueEvent: (d) => this.enqueue(d),
      enqueueTimer: (key, fire) => this.scheduler.schedule({ ...key, fire }),
      subject: (path) => subjectOf(this.runId, path),
      reportFailure: (a, cause, error) => this.reportFailure(a, { id: cause, depth: 0 }, error),
    });
    this.actors.set(spec.name, actor);
    for (const pattern of spec.subscribes) {
      this.subscriptions.push(
        this.bus.transport.subscribe(subjectOf(this.runId, pattern)).subscribe((m) => {
          // Actors receive only what the runtime delivered (envelopes, in canonical order). Raw text
          // on the same subjects is an outside input: the input listener validates and queues it.
          if (!isDelivered(m.data)) return;
          const failure = actor.deliver(m.data);
          if (failure !== undefined) this.reportFailure(spec.name, m.data, failure);
        }),
      );
    }
    return actor;
  }

  /** The hosted actors, by name. */
  hosted(): ReadonlyMap<string, HostedActor> {
    return this.actors;
  }

  /**
   * Queue an input event from a non-actor source at virtual time `atNs` (not before now). Inputs of
   * one source at one instant keep the order they were given in.
   */
  input<D extends EventDef>(source: string, def: D, path: string, payload: PayloadOf<D>, atNs: number, cause: string | null = null): string {
    return this.inputRaw(source, def.type, path, payload, atNs, cause);
  }

  /** `input` for an already-validated type name (scenario steps, injected faults). */
  inputRaw(source: string, type: string, path: string, payload: unknown, atNs: number, cause: string | null = null): string {
    const n = this.inputCounters.get(source) ?? 0;
    this.inputCounters.set(source, n + 1);
    const id = `${source}:${n}`;
    const timeNs = Math.max(atNs, this.scheduler.nowNs);
    this.enqueue({ id, timeNs, depth: 0, source, n, subject: subjectOf(this.runId, path), type, cause, payload });
    return id;
  }

  /**
   * Re-feed an input exactly as a log recorded it (replay): same id, time and depth, so it takes
   * the same place in the canonical order.
   */
  replayInput(e: Envelope): void {
    const i = e.id.lastIndexOf(":");
    const n = Number(e.id.slice(i + 1));
    const source = e.id.slice(0, i);
    this.inputCounters.set(source, Math.max(this.inputCounters.get(source) ?? 0, n + 1));
    this.enqueue({ id: e.id, timeNs: e.timeNs, depth: e.depth, source, n, subject: e.subject, type: e.type, cause: e.cause, payload: e.payload });
  }

  /** Run until the queue is empty or a bound is reached; ends with a `RunEnded` event unless stopped by `untilSeq`. */
  run(bounds: RunBounds = {}): RunOutcome {
    const untilNs = bounds.untilNs ?? Number.POSITIVE_INFINITY;
    const untilSeq = bounds.untilSeq ?? Number.POSITIVE_INFINITY;
    const every = bounds.progressEvery ?? 65536;
    let nextProgress = this.seq + every;
    while (!this.stopped && this.seq <= untilSeq && this.scheduler.step(untilNs)) {
      if (bounds.onProgress !== undefined && this.seq >= nextProgress) {
        bounds.onProgress(this.scheduler.nowNs, this.seq);
        nextProgress = this.seq + every;
      }
    }
    if (this.stopped || this.seq > untilSeq) return { reason: "until", endTimeNs: this.scheduler.nowNs, events: this.seq };
    const reason = this.scheduler.pending === 0 ? "idle" : "duration";
    // A bounded run always ends at its bound, idle or not, so its virtual length is the scenario's.
    if (Number.isFinite(untilNs)) this.scheduler.advanceTo(untilNs);
    const endTimeNs = this.scheduler.nowNs;
    this.inputRaw(INPUT_SOURCES.runtime, RunEnded.type, "sys.run.ended", { reason, events: this.seq + 1 }, endTimeNs);
    // Deliver RunEnded and whatever it triggers within the same instant.
    while (!this.stopped && this.seq <= untilSeq && this.scheduler.step(endTimeNs));
    return { reason, endTimeNs, events: this.seq };
  }

  /** Call `fn` right after the event `id` is delivered (lazy queueing of repeated inputs). */
  onDelivered(id: string, fn: () => void): void {
    this.deliveryHooks.set(id, fn);
  }

  /** Stop the run after the event being delivered (replay uses it at the first divergence). */
  stop(): void {
    this.stopped = true;
  }

  /** Stop listening and close the log. */
  async close(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    await this.opts.sink.close();
  }

  private enqueue(d: Draft): void {
    this.scheduler.schedule({ timeNs: d.timeNs, depth: d.depth, source: d.source, n: d.n, fire: () => this.deliver(d) });
  }

  private deliver(d: Draft): void {
    const e = makeEnvelope({
      id: d.id,
      run: this.runId,
      seq: this.seq++,
      timeNs: d.timeNs,
      depth: d.depth,
      source: d.source,
      subject: d.subject,
      type: d.type,
      cause: d.cause,
      payload: d.payload,
    });
    this.opts.sink.append(e);
    this.delivered$.next(e);
    this.bus.publish(e);
    this.external?.publish(e);
    if (this.deliveryHooks.size > 0) {
      const hook = this.deliveryHooks.get(d.id);
      if (hook !== undefined) {
        this.deliveryHooks.delete(d.id);
        hook();
      }
    }
  }

  /** Record an actor's failure as an immediate reaction to what it was handling (depth + 1). */
  private reportFailure(actor: string, cause: { id: string; depth: number }, error: string): void {
    const source = INPUT_SOURCES.runtime;
    const n = this.inputCounters.get(source) ?? 0;
    this.inputCounters.set(source, n + 1);
    this.enqueue({
      id: `${source}:${n}`,
      timeNs: this.scheduler.nowNs,
      depth: cause.depth + 1,
      source,
      n,
      subject: subjectOf(this.runId, SYS_ERROR_PATH),
      type: ActorHandlerFailed.type,
      cause: cause.id,
      payload: { actor, event: cause.id, error },
    });
  }

  private reportRejection(r: Rejection): void {
    this.inputRaw(INPUT_SOURCES.runtime, MessageRejected.type, SYS_ERROR_PATH, { ...r }, this.scheduler.nowNs);
  }

  private listenForInputs(bus: EventBus): void {
    const subject = subjectOf(this.runId, INJECT_PATH);
    this.subscriptions.push(
      bus.transport.subscribe(subject).subscribe((m) => {
        // Delivered events come back on the same subject as full envelopes: those are echoes, not inputs.
        const value = parseIfText(m.data);
        if (EnvelopeSchema.safeParse(value).success) return;
        const d = decodeInput(value, m.subject, this.opts.registry);
        if (!d.ok) return this.reportRejection(d.rejection);
        this.inputRaw(INPUT_SOURCES.injector, d.input.type, d.input.path ?? INJECT_PATH, d.input.payload, d.input.atNs ?? this.scheduler.nowNs);
      }),
    );
    this.subscriptions.push(bus.rejections$().subscribe((r) => this.reportRejection(r)));
  }
}

const textDecoder = new TextDecoder();

/** JSON-parse text or bytes when they parse; anything else is returned as it is (and fails validation with a named reason). */
function parseIfText(data: unknown): unknown {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) return data;
  try {
    return JSON.parse(typeof data === "string" ? data : textDecoder.decode(data));
  } catch {
    return data;
  }
}

/** An envelope delivered by a runtime (an object on the in-process bus), as opposed to raw outside text. */
function isDelivered(data: unknown): data is Envelope {
  return typeof data === "object" && data !== null && !(data instanceof Uint8Array);
}
