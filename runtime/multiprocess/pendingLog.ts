import { makeEnvelope, parseEventId, type Envelope } from "../../shared/events/envelope.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import type { Level } from "../../shared/runtime/level.ts";
import { BinaryHeap } from "../../shared/time/binaryHeap.ts";
import { keyLess } from "../../shared/time/scheduler.ts";

/** An event handed to the services, waiting for its place in the log. */
export interface Delivered {
  readonly draft: Draft;
  /** As delivered: with its provisional `seq`. */
  readonly envelope: Envelope;
}

const levelLess = (a: Level, b: Level): boolean => a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.depth < b.depth);

/**
 * Delivered events waiting for their place in the log: partitions run ahead of each other, so an
 * event is logged only once nothing can still be delivered before it (below the watermark), and
 * then in canonical key order with its final `seq`.
 */
export class PendingLog {
  private readonly heap = new BinaryHeap<Delivered>((a, b) => keyLess(a.draft, b.draft));

  /** Wait for the log: a delivered draft and its envelope. */
  push(d: Delivered): void {
    this.heap.push(d);
  }

  /** Wait for the log: an event a partition run ahead delivered (its draft key from its id). */
  pushEnvelope(e: Envelope): void {
    const { source, n } = parseEventId(e.id);
    this.heap.push({ draft: { id: e.id, timeNs: e.timeNs, depth: e.depth, source, n, subject: e.subject, type: e.type, cause: e.cause, payload: e.payload }, envelope: e });
  }

  /** Take, in canonical order, every event below `watermark` (all without one), numbered from `firstSeq`. */
  take(watermark: Level | undefined, firstSeq: number): Envelope[] {
    const out: Envelope[] = [];
    for (let p = this.heap.peek(); p !== undefined && (watermark === undefined || levelLess(p.draft, watermark)); p = this.heap.peek()) {
      this.heap.pop();
      out.push(makeEnvelope({ ...p.envelope, seq: firstSeq + out.length }));
    }
    return out;
  }

  /** Every waiting event in log order, numbered from `firstSeq`, left waiting (rare: a service re-joining). */
  snapshot(firstSeq: number): Envelope[] {
    const sorted: Delivered[] = [];
    for (let p = this.heap.pop(); p !== undefined; p = this.heap.pop()) sorted.push(p);
    for (const p of sorted) this.heap.push(p);
    return sorted.map((p, i) => makeEnvelope({ ...p.envelope, seq: firstSeq + i }));
  }
}
