import { type Envelope } from "../../shared/events/envelope.ts";
import { lineWithSeq } from "../../shared/log/logFormat.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import type { Level } from "../../shared/runtime/level.ts";
import { BinaryHeap } from "../../shared/time/binaryHeap.ts";
import { keyLess, type OrderKey } from "../../shared/time/scheduler.ts";

/** An event handed to the services, waiting for its place in the log. */
export interface Delivered {
  readonly draft: Draft;
  /** As delivered: with its provisional `seq`. */
  readonly envelope: Envelope;
}

/** A waiting event: its canonical order key beside the envelope as delivered (one object per event: every event of a run passes here). */
interface Waiting extends OrderKey {
  readonly envelope: Envelope;
  /** The envelope's canonical line under its provisional `seq`, when the service sent it. */
  readonly line: string | undefined;
}

/** Events taken for the log, numbered, and their canonical lines where the services made them. */
export interface LoggedEvents {
  readonly events: Envelope[];
  /** `lines[i]`: event `i`'s canonical line, or undefined to be made; the array is undefined when no line is known. */
  readonly lines: (string | undefined)[] | undefined;
}

/**
 * Delivered events waiting for their place in the log: partitions run ahead of each other, so an
 * event is logged only once nothing can still be delivered before it (below the watermark), and
 * then in canonical key order with its final `seq`.
 */
export class PendingLog {
  private readonly heap = new BinaryHeap<Waiting>(keyLess);

  /** Wait for the log: a delivered draft and its envelope. */
  push(d: Delivered): void {
    this.heap.push({ timeNs: d.draft.timeNs, depth: d.draft.depth, source: d.draft.source, n: d.draft.n, envelope: d.envelope, line: undefined });
  }

  /**
   * Wait for the log: an event a partition run ahead delivered (its order key from its id,
   * `<source>:<n>`), with its canonical line under its provisional `seq` if the service sent it.
   */
  pushEnvelope(e: Envelope, line?: string): void {
    const id = e.id;
    const colon = id.lastIndexOf(":");
    // The id's source is the envelope's (it names the publisher); reuse that string when it is.
    const source = colon === e.source.length && id.startsWith(e.source) ? e.source : id.slice(0, colon);
    this.heap.push({ timeNs: e.timeNs, depth: e.depth, source, n: Number(id.slice(colon + 1)), envelope: e, line });
  }

  /**
   * Take, in canonical order, every event below `watermark` (all without one), numbered from
   * `firstSeq`, with the lines the services sent renumbered (`lineWithSeq`).
   */
  take(watermark: Level | undefined, firstSeq: number): LoggedEvents {
    const events: Envelope[] = [];
    let lines: (string | undefined)[] | undefined;
    for (let p = this.heap.peek(); p !== undefined && (watermark === undefined || below(p, watermark)); p = this.heap.peek()) {
      this.heap.pop();
      const seq = firstSeq + events.length;
      if (p.line !== undefined) (lines ??= new Array<string | undefined>(events.length))[events.length] = lineWithSeq(p.line, seq);
      else if (lines !== undefined) lines.push(undefined);
      events.push(withSeq(p.envelope, seq));
    }
    return { events, lines };
  }

  /** Every waiting event in log order, numbered from `firstSeq`, left waiting (rare: a service re-joining). */
  snapshot(firstSeq: number): Envelope[] {
    const sorted: Waiting[] = [];
    for (let p = this.heap.pop(); p !== undefined; p = this.heap.pop()) sorted.push(p);
    for (const p of sorted) this.heap.push(p);
    return sorted.map((p, i) => withSeq(p.envelope, firstSeq + i));
  }
}

const below = (k: OrderKey, l: Level): boolean => k.timeNs < l.timeNs || (k.timeNs === l.timeNs && k.depth < l.depth);

/** `e` numbered `seq`, its fields in canonical order (`makeEnvelope`'s), in one copy. */
function withSeq(e: Envelope, seq: number): Envelope {
  return { id: e.id, run: e.run, seq, timeNs: e.timeNs, depth: e.depth, source: e.source, subject: e.subject, type: e.type, cause: e.cause, payload: e.payload };
}
