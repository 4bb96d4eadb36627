import { makeEnvelope, type Envelope } from "../../shared/events/envelope.ts";
import { RunEnded } from "../../shared/events/systemEvents.ts";
import type { LogSink } from "../../shared/log/logFormat.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { atLevel, levelLess, levelOf, maxLevel, minLevel, type Level } from "../../shared/runtime/level.ts";
import { INPUT_SOURCES, type RunOutcome } from "../../shared/runtime/simulation.ts";
import type { Scenario } from "../../shared/scenario/scenarioSchema.ts";
import { keyLess } from "../../shared/time/scheduler.ts";
import { FaultInjected } from "../../services/faults/faultEvents.ts";
import { GLOBAL, PartitionedQueue } from "./partitionedQueue.ts";
import { PendingLog, type Delivered } from "./pendingLog.ts";
import { exchangeRound, type RemoteService } from "./roundExchanges.ts";
import { LogWriter, type WrittenObserver } from "./logWriter.ts";
import type { ReceivedRunAhead } from "./protocol.ts";
import { RuntimeFaults } from "./runtimeFaults.ts";
import { HeldBackShares } from "./heldBackShares.ts";
import { ServiceRoutes } from "./serviceRoutes.ts";
import { StepFeeder } from "./stepFeeder.ts";
import { aheadRequestsOf, requestsOf } from "./roundRequests.ts";

export type { RemoteService } from "./roundExchanges.ts";

/** Options of a coordinator. */
export interface CoordinatorOptions {
  readonly run: string;
  readonly sink: LogSink;
  readonly services: readonly RemoteService[];
  /**
   * Called with every event written to the log (counting, progress) — after the next round's
   * requests have gone out, so it runs while the services work.
   */
  readonly onDelivered?: (e: Envelope) => void;
  /** Called, before `onDelivered`, with each block of events written to the log and their encoded lines (the NATS mirror). */
  readonly onWritten?: WrittenObserver;
  /**
   * Carry out a `service-died` fault: kill the service's process and resolve once its successor
   * has re-joined with its actors rebuilt. Without it (in-process services) the fault is rejected.
   */
  readonly restartService?: (service: string) => Promise<void>;
  /**
   * Step independent partitions (the GPUs of a fleet) in the same round, each at its own next
   * level (default true; it needs every service to name its partition). Off, every round is one
   * level of the whole run.
   */
  readonly lookahead?: boolean;
  /** Budget of events held back for one process's shadows, in bytes of JSON (default 256 KiB; tests set it small). */
  readonly heldBackBytes?: number;
}

/**
 * Where a (re-)joining service's actors must be brought to before it answers requests: every
 * logged event before `beforeSeq` replayed, then the `pending` events (delivered, not logged
 * yet: partitions run ahead of the log), and its timers fired through level `through` — or,
 * per partition, through `throughByPartition[p]`.
 */
export interface ResumePoint {
  readonly beforeSeq: number;
  readonly through: Level | null;
  readonly pending: Envelope[];
  readonly throughByPartition: Readonly<Record<string, Level | null>>;
}

/** A subject's listeners are in no partition. */
const NOBODY = -2;

/**
 * The multi-process runtime's owner of virtual time and of the canonical order. It keeps the queue
 * of events, numbers them into the log, and steps the run in rounds: each round's events go, in
 * one request per service and partition, to the services whose actors listen to them or whose
 * timers fall in the round; the services answer with what their actors published. A level can
 * only cause later levels, so every service handles its share in parallel. A share that only a
 * service's shadows see (the memory replica's writes, which every process hosts) is held back
 * for that service's next request rather than waking it for a round that changes nothing else.
 *
 * Lookahead: the GPUs of a fleet are independent — no actor of one sees another's events — so a
 * round takes the next level of *every* partition at once, not only the run's earliest level, and
 * partitions run ahead of each other. Events seen by several partitions (outside inputs on
 * `fault.inject`, `RunEnded`, any `FaultInjected`) are barriers: every partition is brought to
 * their level first. Scenario steps are queued ahead (`StepFeeder`, numbered as the embedded
 * runtime numbers them), and no partition passes the first step not queued yet. The log is still
 * the canonical order: delivered events wait in a pending heap and are logged, in key order, once no partition
 * can deliver anything before them (the watermark: the earliest next level of any partition).
 * Services see provisional sequence numbers (in delivery order); the log's `seq` is assigned then.
 * Writing the logged events (file, JetStream, NATS mirror: `LogWriter`) waits until the next
 * round's requests are out, so it overlaps the services' work instead of holding them up.
 * Runtime message faults and remote clients step the run in sync (one level at a time), as does a
 * run with lookahead off. The log is the one the embedded runtime writes for the same scenario
 * and seed, whatever the stepping.
 */
export class Coordinator {
  private readonly queue: PartitionedQueue;
  private readonly routes: ServiceRoutes;
  /** Per service, the levels of events for its shadows only, held back for its next request (`requestsOf`, roundRequests.ts). */
  private readonly heldBack: HeldBackShares;
  private readonly listeners = new Map<string, number>();
  private readonly actorPartition = new Map<string, number>();
  private readonly partitions: readonly number[];
  private readonly byPartition = new Map<number, RemoteService[]>();
  private readonly lookahead: boolean;
  /** Partitions whose every actor is in one service that can run them ahead (whole GPUs). */
  private readonly closed = new Set<number>();
  private readonly pending = new PendingLog();
  private readonly writer: LogWriter;
  /** Events delivered in the round under way (not pending yet: a re-joining service gets them in the resent request). */
  private round: Delivered[] = [];
  /** Events logged so far. */
  private seq = 0;
  /** Events delivered to services so far (their provisional sequence numbers). */
  private dseq = 0;
  private now = 0;
  /** The earliest level's time of the round under way (the embedded runtime's "now"): no input is queued before it. */
  private floorNs = 0;
  private started = false;
  /** The last level of each partition whose round is complete (GLOBAL: of a whole-run round). */
  private readonly completed = new Map<number, Level>();
  private readonly faults: RuntimeFaults;
  private readonly watchers = new Set<(e: Envelope) => void>();
  /** Rounds done (a measure of coordination cost). */
  rounds = 0;
  /** The scenario's steps, queued ahead of the log (`queueSteps`). */
  private steps: StepFeeder | undefined;

  constructor(private readonly opts: CoordinatorOptions) {
    const names = [...new Set(opts.services.map((s) => s.name))];
    this.routes = new ServiceRoutes(opts.services);
    this.heldBack = new HeldBackShares(opts.heldBackBytes);
    this.faults = new RuntimeFaults(opts.run, opts.restartService !== undefined ? names : undefined);
    for (const s of opts.services) {
      if (s.partition === undefined) continue;
      for (const a of s.actors ?? []) this.actorPartition.set(a, s.partition);
      this.byPartition.set(s.partition, [...(this.byPartition.get(s.partition) ?? []), s]);
    }
    this.partitions = [...this.byPartition.keys()].sort((a, b) => a - b);
    this.lookahead = opts.lookahead !== false && opts.services.every((s) => s.partition !== undefined) && this.partitions.length > 1;
    for (const [p, services] of this.byPartition) {
      const only = services[0];
      if (this.lookahead && services.length === 1 && only?.runAhead === true && only.exchangeBatch !== undefined) this.closed.add(p);
    }
    this.queue = new PartitionedQueue(opts.run, (d) => this.classify(d));
    this.writer = new LogWriter(opts.sink, opts.onWritten, opts.onDelivered);
  }

  /** Virtual time now: the latest level any partition has reached. */
  get nowNs(): number {
    return this.now;
  }

  /** Does this coordinator step partitions ahead of each other? */
  get steppingAhead(): boolean {
    return this.lookahead;
  }

  /**
   * Where a service joining now must resume. Events of the round under way are not included —
   * the service gets them in a (resent) request. Every logged event is written first: the service
   * rebuilds from the log.
   */
  resumePoint(): ResumePoint {
    this.writer.write();
    const pending = this.pending.snapshot(this.seq);
    const throughByPartition: Record<string, Level | null> = {};
    let through: Level | null = this.completed.get(GLOBAL) ?? null;
    for (const p of this.partitions) {
      const l = maxLevel(this.completed.get(p), this.completed.get(GLOBAL));
      throughByPartition[String(p)] = l ?? null;
      if (l !== undefined && (through === null || levelLess(l, through))) through = l;
    }
    return { beforeSeq: this.seq, through, pending, throughByPartition };
  }

  /** Events logged so far. */
  get eventCount(): number {
    return this.seq;
  }

  /**
   * Queue an input from a non-actor source (scenario steps, the runtime) at `atNs`, not before the
   * run's earliest level — not before `nowNs`, which a partition run ahead may have passed: a
   * repeated step of a GPU that is behind keeps its own time.
   */
  inputRaw(source: string, type: string, path: string, payload: unknown, atNs: number): string {
    return this.queue.input(source, type, path, payload, Math.max(atNs, this.floorNs));
  }

  /**
   * Queue an input from outside the run (a fault published on NATS) at the next instant, or at
   * `atNs` if later: never inside an instant already under way in any partition, so replay
   * re-feeds it at the same place.
   */
  outsideInput(source: string, type: string, path: string, payload: unknown, atNs = 0): string {
    return this.queue.input(source, type, path, payload, Math.max(atNs, this.started ? this.now + 1 : this.now));
  }

  /**
   * Queue the scenario's steps, repetitions included, as the embedded runtime's `queueSteps` does
   * and under the same numbers — but ahead of the log (`StepFeeder`) rather than one repetition
   * per delivery, so that no repetition is a barrier for the partitions. Call once, before `run`.
   */
  queueSteps(scenario: Scenario): void {
    this.steps = new StepFeeder(this.queue, scenario);
    this.steps.topUp(this.watermark()?.timeNs ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Call `fn` with every event logged from now on (a client's answer, see
   * `runtime/clients/coordinatorClients.ts`); returns the function that stops it.
   */
  watchDelivered(fn: (e: Envelope) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /**
   * Deliver rounds until `done()` holds or nothing is left at or before `untilNs`; resolves to
   * `done()`. Never ends the run (no `RunEnded`): the client API plays requests with it, as
   * `Simulation.runUntil` does on the embedded runtime.
   */
  async runUntil(done: () => boolean, untilNs = Number.POSITIVE_INFINITY): Promise<boolean> {
    while (!done() && (await this.step(untilNs)));
    this.writer.write();
    return done();
  }

  /**
   * Run to `untilNs`, then deliver `RunEnded` and what it triggers in that instant. `beforeLevel`,
   * when given, is awaited before each round (not those of `RunEnded`'s instant): remote clients
   * hold virtual time there and play their requests (`runtime/clients/`).
   */
  async run(untilNs: number, beforeLevel?: () => Promise<void>): Promise<RunOutcome> {
    for (;;) {
      if (beforeLevel !== undefined) {
        // Clients may hold virtual time here for long: what is logged must be out first.
        this.writer.write();
        await beforeLevel();
      }
      if (!(await this.step(untilNs))) break;
    }
    this.flush(undefined);
    const idle = this.queue.size === 0 && this.opts.services.every((s) => s.nextTimer === null);
    const endTimeNs = Math.max(untilNs, this.now);
    this.now = endTimeNs;
    this.floorNs = endTimeNs;
    this.queue.input(INPUT_SOURCES.runtime, RunEnded.type, "sys.run.ended", { reason: idle ? "idle" : "duration", events: this.seq + 1 }, endTimeNs);
    while (await this.step(endTimeNs));
    this.flush(undefined);
    this.writer.write();
    return { reason: idle ? "idle" : "duration", endTimeNs, events: this.seq };
  }

  /** Which partition an event belongs to: its listeners', or (nobody listening) its source's; several partitions: GLOBAL. */
  private classify(d: Draft): number {
    if (!this.lookahead || d.type === FaultInjected.type) return GLOBAL;
    let p = this.listeners.get(d.subject);
    if (p === undefined) {
      const ps = new Set(this.routes.listeners(d.subject).map((s) => s.partition as number));
      p = ps.size === 0 ? NOBODY : ps.size === 1 ? ([...ps][0] as number) : GLOBAL;
      this.listeners.set(d.subject, p);
    }
    if (p !== NOBODY) return p;
    const source = d.source.startsWith("runtime.") ? d.source.slice("runtime.".length) : d.source;
    return this.actorPartition.get(source) ?? GLOBAL;
  }

  /** The next level of partition `p`: its earliest queued event or its services' earliest timer. */
  private nextLevelOf(p: number): Level | undefined {
    let level = this.queue.peekLevel(p);
    for (const s of this.byPartition.get(p) ?? []) if (s.nextTimer !== null) level = minLevel(level, levelOf(s.nextTimer));
    return level;
  }

  /** The earliest level anything can still happen at (the log's watermark), or undefined. */
  private watermark(): Level | undefined {
    let level = this.queue.peekLevel(GLOBAL);
    if (this.lookahead) for (const p of this.partitions) level = minLevel(level, this.nextLevelOf(p));
    else for (const s of this.opts.services) if (s.nextTimer !== null) level = minLevel(level, levelOf(s.nextTimer));
    return level;
  }

  /**
   * Choose the round: a whole-run level (sync: lookahead off, message faults armed, a barrier at
   * the run's earliest level), or the next level of every partition that is below the next
   * barrier — and, for closed partitions (whole GPUs in one service), a run ahead up to their next
   * barrier instead of one level. `levels` maps partition → level (GLOBAL: a whole-run level);
   * `ahead` maps a closed partition to the bound it may run to (null: none but the run's end).
   */
  private chooseRound(untilNs: number): { levels: Map<number, Level>; ahead: Map<number, Level | null> } | undefined {
    this.steps?.topUp(this.watermark()?.timeNs ?? Number.POSITIVE_INFINITY);
    const earliest = this.watermark();
    if (earliest === undefined || earliest.timeNs > untilNs) return undefined;
    if (earliest.timeNs > this.floorNs) this.floorNs = earliest.timeNs;
    // The first scenario step not queued yet (later than `earliest`: `topUp`) bounds every partition, as a barrier does.
    const barrier = minLevel(this.queue.peekLevel(GLOBAL), this.steps?.nextLevel());
    const sync = !this.lookahead || this.faults.active || (barrier !== undefined && atLevel(barrier, earliest));
    const ahead = new Map<number, Level | null>();
    if (sync) return { levels: new Map([[GLOBAL, earliest]]), ahead };
    const levels = new Map<number, Level>();
    for (const p of this.partitions) {
      const l = this.nextLevelOf(p);
      if (l === undefined || l.timeNs > untilNs) continue;
      if (barrier !== undefined && !levelLess(l, barrier)) continue;
      if (this.closed.has(p)) {
        ahead.set(p, barrier ?? null);
        continue;
      }
      levels.set(p, l);
    }
    return { levels, ahead };
  }

  private async step(untilNs: number): Promise<boolean> {
    const chosen = this.chooseRound(untilNs);
    if (chosen === undefined) {
      this.writer.write();
      return false;
    }
    const round = chosen.levels;
    this.started = true;
    const whole = round.get(GLOBAL);
    let drafts: Draft[];
    if (whole !== undefined) {
      // Every partition's events of the level, and the global ones, merged in canonical order.
      drafts = [GLOBAL, ...this.partitions].flatMap((p) => this.queue.popLevel(p, whole)).sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
      for (const p of this.partitions) this.queue.markReached(p, whole);
      if (this.faults.active) {
        const routed = this.faults.route(drafts);
        drafts = routed.deliver;
        for (const d of routed.later) this.queue.push(d);
      }
    } else {
      drafts = [];
      for (const [p, level] of round) for (const d of this.queue.popLevel(p, level)) drafts.push(d);
      drafts.sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
    }
    for (const level of round.values()) if (level.timeNs > this.now) this.now = level.timeNs;
    this.round = drafts.map((d) => ({ draft: d, envelope: makeEnvelope({ ...d, run: this.opts.run, seq: this.dseq++ }) }));
    const events = this.round.map((r) => r.envelope);
    const aheads = aheadRequestsOf(chosen.ahead, this.byPartition, (p, before) => this.queue.popBelow(p, before, untilNs), { round: this.rounds + 1, untilNs, seqBase: this.dseq });
    this.rounds++;
    const requests = requestsOf({ events, levels: round, whole, services: this.opts.services, routes: this.routes, heldBack: this.heldBack });
    const exchanges = Promise.all(exchangeRound(this.rounds, requests, aheads));
    if (this.writer.pending) {
      // The requests are out (once the transport's queued writes run: one turn of the microtask
      // queue); write the last round's log while the services work on this one.
      await Promise.resolve();
      this.writer.write();
    }
    for (const r of (await exchanges).flat()) {
      if (r.kind === "level") for (const d of r.drafts) this.queue.push(d);
      else this.tookAhead(r.partition, r.reply);
    }
    for (const d of this.faults.observe(events)) this.queue.push(d);
    for (const r of this.round) this.pending.push(r);
    this.round = [];
    for (const [p, level] of round) this.completed.set(p, level);
    if (whole !== undefined) for (const p of this.partitions) this.completed.set(p, whole);
    this.flush(this.watermark());
    // A service killed by a fault dies now, after its share of this level; time waits for its return.
    const deaths = this.faults.takeDeaths();
    // Its successor rebuilds from the log: everything logged must be written first.
    if (deaths.length > 0) this.writer.write();
    for (const death of deaths) {
      await this.opts.restartService?.(death.service);
      this.queue.push(this.faults.restarted(death, whole ?? (round.values().next().value as Level), this.seq));
    }
    return true;
  }

  /** A partition run ahead: what it delivered waits for the log, what is left is queued, its reach is noted. */
  private tookAhead(partition: number, reply: ReceivedRunAhead): void {
    const lines = reply.lines;
    for (let i = 0; i < reply.delivered.length; i++) this.pending.pushEnvelope(reply.delivered[i] as Envelope, lines?.[i]);
    // Provisional numbers stay increasing for every actor: past every number this run ahead used.
    this.dseq += reply.delivered.length;
    if (reply.reached !== null) {
      this.queue.markReached(partition, reply.reached);
      this.completed.set(partition, reply.reached);
      if (reply.reached.timeNs > this.now) this.now = reply.reached.timeNs;
    }
    for (const d of reply.left) this.queue.push(d as Draft);
    for (const s of this.byPartition.get(partition) ?? []) s.nextTimer = reply.nextTimer;
  }

  /**
   * Log, in canonical order, every delivered event below `watermark` (all of them without one):
   * number it, tell the watchers, count the scenario steps gone — all of which the next round may depend on. Its
   * writing waits for `writer.write()`.
   */
  private flush(watermark: Level | undefined): void {
    const { events: logged, lines } = this.pending.take(watermark, this.seq);
    if (logged.length === 0) return;
    this.seq += logged.length;
    if (this.watchers.size > 0) for (const e of logged) for (const w of this.watchers) w(e);
    this.steps?.logged(logged);
    this.writer.add(logged, lines);
  }
}
