import { subjectOf } from "../../shared/events/subjects.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { atLevel, levelLess, type Level } from "../../shared/runtime/level.ts";
import { BinaryHeap } from "../../shared/time/binaryHeap.ts";
import { keyLess } from "../../shared/time/scheduler.ts";

/** The partition of events that several partitions (or none in particular) must see: a barrier. */
export const GLOBAL = -1;

/** Where an event belongs: the one partition whose actors can see it, or `GLOBAL`. */
export type Classify = (d: Draft) => number;

/** An event arrived at a partition whose run had already gone past its level: the partitions were not independent. */
export class LookaheadViolationError extends Error {
  override readonly name = "LookaheadViolationError";
  constructor(readonly draft: Draft, readonly partition: number, readonly reached: Level) {
    const where = partition === GLOBAL ? "every partition" : `partition ${partition}`;
    super(
      `event ${draft.id} (${draft.type} on ${draft.subject}) at ${draft.timeNs} ns depth ${draft.depth} reaches ${where}, which the coordinator's lookahead ` +
        `had already run to ${reached.timeNs} ns depth ${reached.depth}: the run's partitions are not independent (run it with --no-lookahead)`,
    );
  }
}


/**
 * The coordinator's queue of events waiting for delivery, split by partition (the GPUs of a fleet,
 * whose actors never see each other's events) plus one `GLOBAL` heap for events several partitions
 * see. Each heap is in canonical order, so the next level of every partition is at hand, which is
 * what lets the coordinator step independent partitions in the same round (lookahead). Inputs are
 * numbered per source in the order they are queued, as `EventQueue` numbers them, or come
 * numbered (`scheduled`: scenario steps numbered by their `StepSchedule`).
 *
 * Each partition remembers the last level delivered to it; an event queued below it would be an
 * event from the past of that partition — the partitions were not independent — and is refused
 * with `LookaheadViolationError` rather than silently reordered.
 */
export class PartitionedQueue {
  private readonly heaps = new Map<number, BinaryHeap<Draft>>();
  private readonly reached = new Map<number, Level>();
  private readonly inputCounters = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly run: string,
    private readonly classify: Classify,
  ) {}

  /** Number of queued events. */
  get size(): number {
    return this.count;
  }

  /** Partitions with something queued (GLOBAL included). */
  partitions(): number[] {
    return [...this.heaps.entries()].filter(([, h]) => h.size > 0).map(([p]) => p);
  }

  /** Queue an event (an actor's draft, a postponed event, a fault record) in its partition. */
  push(d: Draft): void {
    const p = this.classify(d);
    this.check(d, p);
    this.heap(p).push(d);
    this.count++;
  }

  /** Queue an input from a non-actor source at `atNs`; inputs of one source keep their given order. */
  input(source: string, type: string, path: string, payload: unknown, atNs: number, cause: string | null = null): string {
    const n = this.inputCounters.get(source) ?? 0;
    this.inputCounters.set(source, n + 1);
    const id = `${source}:${n}`;
    this.push({ id, timeNs: atNs, depth: 0, source, n, subject: subjectOf(this.run, path), type, cause, payload });
    return id;
  }

  /** Queue an input already numbered (`n`) by its source: a scenario step from its `StepSchedule`. The source's own counter is not used. */
  scheduled(source: string, n: number, type: string, path: string, payload: unknown, atNs: number): void {
    this.push({ id: `${source}:${n}`, timeNs: atNs, depth: 0, source, n, subject: subjectOf(this.run, path), type, cause: null, payload });
  }

  /** The level of the next event queued in `partition`. */
  peekLevel(partition: number): Level | undefined {
    const d = this.heaps.get(partition)?.peek();
    return d === undefined ? undefined : { timeNs: d.timeNs, depth: d.depth };
  }

  /** Remove and return every event of `level` queued in `partition`, in canonical order; the partition has now reached it. */
  popLevel(partition: number, level: Level): Draft[] {
    const out: Draft[] = [];
    const heap = this.heaps.get(partition);
    if (heap !== undefined) for (let d = heap.peek(); d !== undefined && atLevel(d, level); d = heap.peek()) out.push(heap.pop() as Draft);
    this.count -= out.length;
    this.markReached(partition, level);
    return out;
  }

  /** Remove and return, in canonical order, every event queued in `partition` below `before` (if any) and not after `untilNs`. */
  popBelow(partition: number, before: Level | null, untilNs: number): Draft[] {
    const out: Draft[] = [];
    const heap = this.heaps.get(partition);
    if (heap !== undefined) {
      for (let d = heap.peek(); d !== undefined && d.timeNs <= untilNs && (before === null || levelLess(d, before)); d = heap.peek()) out.push(heap.pop() as Draft);
    }
    this.count -= out.length;
    return out;
  }

  /** Note that `partition` has been run through `level` (its timers fired there, say). */
  markReached(partition: number, level: Level): void {
    const r = this.reached.get(partition);
    if (r === undefined || levelLess(r, level)) this.reached.set(partition, level);
  }

  /** The last level run in `partition`. */
  reachedBy(partition: number): Level | undefined {
    return this.reached.get(partition);
  }

  private heap(p: number): BinaryHeap<Draft> {
    let h = this.heaps.get(p);
    if (h === undefined) this.heaps.set(p, (h = new BinaryHeap<Draft>(keyLess)));
    return h;
  }

  /** An event must not land below a level its partition (or, for a global one, any partition) has already run. */
  private check(d: Draft, p: number): void {
    const targets = p === GLOBAL ? [...this.reached.keys()] : [p, GLOBAL];
    for (const t of targets) {
      const r = this.reached.get(t);
      if (r !== undefined && levelLess({ timeNs: d.timeNs, depth: d.depth }, r)) throw new LookaheadViolationError(d, p, r);
    }
  }
}
