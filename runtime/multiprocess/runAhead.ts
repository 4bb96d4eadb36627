import { makeEnvelope, type Envelope } from "../../shared/events/envelope.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { levelOf, minLevel, type Level } from "../../shared/runtime/level.ts";
import { BinaryHeap } from "../../shared/time/binaryHeap.ts";
import { keyLess, type OrderKey } from "../../shared/time/scheduler.ts";

/** Where a draft published inside a partition run ahead goes. */
export type DraftPlace = "local" | "external";

/** What running a partition ahead produced. */
export interface RunAheadResult {
  /** The events delivered, in delivery order (canonical within the partition), with provisional `seq`s from `seqBase`. */
  readonly delivered: Envelope[];
  /** Drafts left for the coordinator: local ones at or past the bound, and every external one. */
  readonly left: Draft[];
  /** The last level run, or null when none was. */
  readonly reached: Level | null;
  readonly nextTimer: OrderKey | null;
}

const levelLess = (a: Level, b: Level): boolean => a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.depth < b.depth);

/**
 * Run one closed partition — every actor that listens to its subjects is in `host` — level by level
 * on its own, as the embedded runtime would, from the `events` given (the partition's queued events
 * below the bound) until its next level reaches `before` (the next barrier: an event several
 * partitions see, a lazily repeated input) or passes `untilNs`. Nothing outside can reach a closed
 * partition before the barrier, so no coordination round is needed per level: this is what lets a
 * process hosting whole GPUs run them at embedded speed. A draft `place` calls external (it may
 * reach another partition, or is an event the coordinator must see first) ends the run after its
 * level, and goes back with the rest. So does everything once the delivered events reach about
 * `maxBytes` of JSON (a message has a size limit): the coordinator asks again in its next round.
 */
export function runAhead(
  host: ActorHost,
  run: string,
  events: readonly Draft[],
  before: Level | null,
  untilNs: number,
  seqBase: number,
  place: (d: Draft) => DraftPlace,
  maxBytes = Number.POSITIVE_INFINITY,
): RunAheadResult {
  const queue = new BinaryHeap<Draft>(keyLess);
  for (const d of events) queue.push(d);
  const delivered: Envelope[] = [];
  const left: Draft[] = [];
  let reached: Level | null = null;
  let seq = seqBase;
  let bytes = 0;
  // The reply travels in one message: stop at a level boundary once it holds about `maxBytes` of events.
  while (bytes < maxBytes) {
    const head = queue.peek();
    const timer = host.nextTimerKey();
    const level = minLevel(head === undefined ? undefined : levelOf(head), timer === undefined ? undefined : levelOf(timer));
    if (level === undefined || level.timeNs > untilNs || (before !== null && !levelLess(level, before))) break;
    const batch: Envelope[] = [];
    for (let d = queue.peek(); d !== undefined && d.timeNs === level.timeNs && d.depth === level.depth; d = queue.peek()) {
      queue.pop();
      batch.push(makeEnvelope({ id: d.id, run, seq: seq++, timeNs: d.timeNs, depth: d.depth, source: d.source, subject: d.subject, type: d.type, cause: d.cause, payload: d.payload }));
    }
    for (const e of batch) {
      delivered.push(e);
      if (Number.isFinite(maxBytes)) bytes += JSON.stringify(e.payload).length + 320;
    }
    let external = false;
    for (const d of host.runLevel(level, batch)) {
      if (place(d) === "local") queue.push(d);
      else {
        left.push(d);
        external = true;
      }
    }
    reached = level;
    if (external) break;
  }
  for (let d = queue.pop(); d !== undefined; d = queue.pop()) left.push(d);
  return { delivered, left, reached, nextTimer: host.nextTimerKey() ?? null };
}
