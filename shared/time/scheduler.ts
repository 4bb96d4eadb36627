import { BinaryHeap } from "./binaryHeap.ts";

/**
 * The canonical order key of anything that happens in a run. Two runs that schedule the same keys
 * execute them in the same order, whatever order they were scheduled in: by virtual time, then
 * causal depth within the instant, then source name, then the source's own counter.
 */
export interface OrderKey {
  readonly timeNs: number;
  readonly depth: number;
  readonly source: string;
  readonly n: number;
}

/** A scheduled item: its key and what to do when its turn comes. */
export interface Scheduled extends OrderKey {
  readonly fire: () => void;
  /** False once the item no longer matters (a cancelled or re-armed timer): it is dropped unfired. */
  readonly live?: () => boolean;
}

/** Canonical comparison of two order keys. */
export function keyLess(a: OrderKey, b: OrderKey): boolean {
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs;
  if (a.depth !== b.depth) return a.depth < b.depth;
  if (a.source !== b.source) return a.source < b.source;
  return a.n < b.n;
}

/** Scheduling into the past is a bug in the caller, reported with both times. */
export class TimeTravelError extends Error {
  override readonly name = "TimeTravelError";
  constructor(readonly nowNs: number, readonly requestedNs: number, readonly source: string) {
    super(`${source} scheduled an item at ${requestedNs} ns, before the current virtual time ${nowNs} ns`);
  }
}

/**
 * The discrete-event scheduler that owns virtual time. Nothing in a run reads a clock: `now` moves
 * only when the scheduler pops the next item, and it never goes backwards.
 */
export class Scheduler {
  private current = 0;
  private readonly heap = new BinaryHeap<Scheduled>(keyLess);

  /** Current virtual time in nanoseconds. */
  get nowNs(): number {
    return this.current;
  }

  /** Number of pending items. */
  get pending(): number {
    return this.heap.size;
  }

  /** The next live item, dropping dead ones (cancelled timers) from the top of the queue. */
  private top(): Scheduled | undefined {
    let next = this.heap.peek();
    while (next !== undefined && next.live !== undefined && !next.live()) {
      this.heap.pop();
      next = this.heap.peek();
    }
    return next;
  }

  /** The key of the next pending item, or undefined when idle. */
  peekKey(): OrderKey | undefined {
    return this.top();
  }

  /** Virtual time of the next pending item, or undefined when idle. */
  nextTimeNs(): number | undefined {
    return this.top()?.timeNs;
  }

  /** Queue an item; its time must not be in the past. */
  schedule(item: Scheduled): void {
    if (item.timeNs < this.current) throw new TimeTravelError(this.current, item.timeNs, item.source);
    this.heap.push(item);
  }

  /** Run the next item if it is due at or before `limitNs`; false when there is none. */
  step(limitNs = Number.POSITIVE_INFINITY): boolean {
    const next = this.top();
    if (next === undefined || next.timeNs > limitNs) return false;
    this.heap.pop();
    this.current = next.timeNs;
    next.fire();
    return true;
  }

  /** Run the next item if it comes strictly before `key` in canonical order; false otherwise. */
  stepBefore(key: OrderKey): boolean {
    const next = this.top();
    if (next === undefined || !keyLess(next, key)) return false;
    this.heap.pop();
    this.current = next.timeNs;
    next.fire();
    return true;
  }

  /** Move time forward to `timeNs` with nothing happening (end of a run's duration). */
  advanceTo(timeNs: number): void {
    if (timeNs > this.current) this.current = timeNs;
  }
}
