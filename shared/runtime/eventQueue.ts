import { parseEventId, type Envelope } from "../events/envelope.ts";
import { subjectOf } from "../events/subjects.ts";
import { BinaryHeap } from "../time/binaryHeap.ts";
import { keyLess, TimeTravelError } from "../time/scheduler.ts";
import type { Draft } from "./draft.ts";
import { atLevel, type Level } from "./level.ts";

/**
 * The run's queue of events waiting for delivery, in canonical order, and the numbering of inputs
 * (events whose source is not an actor: the scenario, outside injectors, the runtime). The
 * embedded runtime and the multi-process coordinator both own one; actors' timers live with the
 * actors.
 */
export class EventQueue {
  private readonly heap = new BinaryHeap<Draft>(keyLess);
  private readonly inputCounters = new Map<string, number>();
  private readonly hooks = new Map<string, () => void>();
  /** Sources of the events `hooks` wait for (inputs' sources): any other event is passed over without looking its id up. */
  private readonly hookSources = new Set<string>();
  /**
   * Path → full subject of inputs. Repeated scenario steps queue the same path over and over; one
   * subject string per path saves building it each time, and lets delivery's subject → actors
   * lookup hash a string it has hashed before. `subjectOf` is pure, so the cache changes nothing.
   */
  private readonly subjects = new Map<string, string>();

  constructor(private readonly run: string) {}

  /** Number of queued events. */
  get size(): number {
    return this.heap.size;
  }

  /** Queue an event an actor published (or a logged input re-fed). */
  push(d: Draft, nowNs = 0): void {
    if (d.timeNs < nowNs) throw new TimeTravelError(nowNs, d.timeNs, d.source);
    this.heap.push(d);
  }

  /** Queue an input from a non-actor source at `atNs`; inputs of one source keep their given order. */
  input(source: string, type: string, path: string, payload: unknown, atNs: number, cause: string | null = null): string {
    const n = this.inputCounters.get(source) ?? 0;
    this.inputCounters.set(source, n + 1);
    const id = `${source}:${n}`;
    this.heap.push({ id, timeNs: atNs, depth: 0, source, n, subject: this.subjectFor(path), type, cause, payload });
    return id;
  }

  private subjectFor(path: string): string {
    let subject = this.subjects.get(path);
    if (subject === undefined) {
      subject = subjectOf(this.run, path);
      this.subjects.set(path, subject);
    }
    return subject;
  }

  /** Re-feed an input exactly as a log recorded it (same id, time and depth, hence the same place). */
  replay(e: Envelope): void {
    const { source, n } = parseEventId(e.id);
    this.inputCounters.set(source, Math.max(this.inputCounters.get(source) ?? 0, n + 1));
    this.heap.push({ id: e.id, timeNs: e.timeNs, depth: e.depth, source, n, subject: e.subject, type: e.type, cause: e.cause, payload: e.payload });
  }

  /** The next queued event, left in the queue (its `timeNs` and `depth` are its level). */
  peek(): Draft | undefined {
    return this.heap.peek();
  }

  /** The level of the next queued event. */
  peekLevel(): Level | undefined {
    const d = this.heap.peek();
    return d === undefined ? undefined : { timeNs: d.timeNs, depth: d.depth };
  }

  /** Remove and return every queued event of `level`, in canonical order. */
  popLevel(level: Level): Draft[] {
    const out: Draft[] = [];
    for (let d = this.heap.peek(); d !== undefined && atLevel(d, level); d = this.heap.peek()) out.push(this.heap.pop() as Draft);
    return out;
  }

  /** Call `fn` once the event `id` has been delivered (lazy queueing of repeated inputs). */
  onDelivered(id: string, fn: () => void): void {
    this.hooks.set(id, fn);
    this.hookSources.add(parseEventId(id).source);
  }

  /** Run the hooks of delivered events, in delivery order. */
  delivered(events: readonly { readonly id: string; readonly source: string }[]): void {
    runDeliveredHooks(this.hooks, events, this.hookSources);
  }
}

/**
 * Run (once, and forget) the hooks of the given events, in their order: `onDelivered` of a queue.
 * With `sources`, only events from those sources are looked up (the rest have no hook).
 */
export function runDeliveredHooks(hooks: Map<string, () => void>, events: readonly { readonly id: string; readonly source: string }[], sources?: ReadonlySet<string>): void {
  if (hooks.size === 0) return;
  for (const { id, source } of events) {
    if (sources !== undefined && !sources.has(source)) continue;
    const hook = hooks.get(id);
    if (hook !== undefined) {
      hooks.delete(id);
      hook();
    }
  }
}
