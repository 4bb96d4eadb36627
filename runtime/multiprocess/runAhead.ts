import type { Envelope } from "../../shared/events/envelope.ts";
import { eventLine } from "../../shared/log/logFormat.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { minLevel, type Level } from "../../shared/runtime/level.ts";
import { BinaryHeap } from "../../shared/time/binaryHeap.ts";
import { keyLess, type OrderKey } from "../../shared/time/scheduler.ts";

/** Where a draft published inside a partition run ahead goes. */
export type DraftPlace = "local" | "external";

/** What running a partition ahead produced. */
export interface RunAheadResult {
  /** The events delivered, in delivery order (canonical within the partition), with provisional `seq`s from `seqBase`. */
  readonly delivered: Envelope[];
  /**
   * With a byte budget: each delivered event's JSON text (`eventLine`), in the same order. Made
   * once to measure the reply, and written into it as is (`batchReplyText`), so a process run
   * ahead stringifies each event once, as the embedded runtime does for its log.
   */
  readonly lines?: readonly string[];
  /** Drafts left for the coordinator: local ones at or past the bound, and every external one. */
  readonly left: Draft[];
  /** The last level run, or null when none was. */
  readonly reached: Level | null;
  readonly nextTimer: OrderKey | null;
}

/**
 * Run one closed partition — every actor that listens to its subjects is in `host` — level by level
 * on its own, as the embedded runtime would, from the `events` given (the partition's queued events
 * below the bound) until its next level reaches `before` (the next barrier: an event several
 * partitions see, a lazily repeated input) or passes `untilNs`. Nothing outside can reach a closed
 * partition before the barrier, so no coordination round is needed per level: this is what lets a
 * process hosting whole GPUs run them at embedded speed. A draft `place` calls external (it may
 * reach another partition, or is an event the coordinator must see first) ends the run after its
 * level, and goes back with the rest. So does everything once the delivered events' JSON reaches
 * `maxBytes` (a message has a size limit): the coordinator asks again in its next round.
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
  // Without a budget nothing is measured; with one, every event's line is made once and kept for the reply.
  const lines: string[] | undefined = Number.isFinite(maxBytes) ? [] : undefined;
  const left: Draft[] = [];
  let reachedNs = -1;
  let reachedDepth = -1;
  let seq = seqBase;
  let bytes = 0;
  // The reply travels in one message: stop at a level boundary once it holds `maxBytes` of events.
  while (bytes < maxBytes) {
    // The next draft or timer key serves as the level itself (both carry timeNs and depth), as in
    // the embedded runtime's step: no level object per level.
    const level = minLevel(queue.peek(), host.nextTimerKey());
    if (level === undefined || level.timeNs > untilNs) break;
    const timeNs = level.timeNs;
    const depth = level.depth;
    if (before !== null && (timeNs > before.timeNs || (timeNs === before.timeNs && depth >= before.depth))) break;
    const batch: Envelope[] = [];
    for (let d = queue.peek(); d !== undefined && d.timeNs === timeNs && d.depth === depth; d = queue.peek()) {
      queue.pop();
      // The envelope literal in canonical key order (as `makeEnvelope` builds it), built once.
      const e: Envelope = { id: d.id, run, seq: seq++, timeNs, depth, source: d.source, subject: d.subject, type: d.type, cause: d.cause, payload: d.payload };
      batch.push(e);
      delivered.push(e);
      if (lines !== undefined) {
        const line = eventLine(e);
        lines.push(line);
        // The line and the comma that separates it from the next in the reply's array.
        bytes += line.length + 1;
      }
    }
    let external = false;
    for (const d of host.runLevel(level, batch)) {
      if (place(d) === "local") queue.push(d);
      else {
        left.push(d);
        external = true;
      }
    }
    reachedNs = timeNs;
    reachedDepth = depth;
    if (external) break;
  }
  for (let d = queue.pop(); d !== undefined; d = queue.pop()) left.push(d);
  const reached = reachedNs < 0 ? null : { timeNs: reachedNs, depth: reachedDepth };
  return { delivered, lines, left, reached, nextTimer: host.nextTimerKey() ?? null };
}
