import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { Envelope } from "../events/envelope.ts";
import type { EncodedLines } from "./encodedLines.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";
import { ensureLogStream, KIND_HEADER, LOG_STREAM, logSubjectOf, LogRecordKind, openLogConnection, type LogConnection } from "./jetstreamStream.ts";

/** Publishes awaiting their ack at once; enough to keep the pipe full, few enough to bound memory. */
const DEFAULT_MAX_IN_FLIGHT = 256;
/** Event lines gathered into one message (an `events` record) before it is published... */
const BATCH_BYTES = 64 * 1024;
/** ...or at most this many lines... */
const BATCH_LINES = 512;
/** ...or after this long (wall clock), so the tail of a run that stalls still reaches the stream (a rebuilding service waits for it). */
const BATCH_WAIT_MS = 5;
/** How long a failed publish is retried (same msgID) before it counts as failed: a NATS restart takes seconds. */
const DEFAULT_RETRY_FOR_MS = 60_000;
/** Pause before the first retry of a publish; doubled up to 2 s. */
const FIRST_RETRY_PAUSE_MS = 100;

/** Some log messages were not acknowledged by JetStream; the log of this run is incomplete. */
export class JetStreamLogPublishError extends Error {
  override readonly name = "JetStreamLogPublishError";
  constructor(readonly run: string, readonly failed: number, readonly firstMsgId: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`${failed} log message(s) of run '${run}' were not stored in JetStream (first: ${firstMsgId}: ${why})`, options);
  }
}

/** The sink was used out of order: an event before the header, a second header, or use after close. */
export class JetStreamLogUsageError extends Error {
  override readonly name = "JetStreamLogUsageError";
  constructor(readonly run: string, message: string) {
    super(`JetStream log of run '${run}': ${message}`);
  }
}

/** Counts of a sink's log records (header and events) acknowledged as stored, as `duplicates` already stored (same msgID), or failed; `retries` are publishes made again after failures. */
export interface JetStreamSinkStats {
  readonly stored: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly retries: number;
}

interface Pending {
  readonly msgId: string;
  readonly kind: LogRecordKind;
  /** The record's bytes or text; let go once it is stored (the queue keeps settled records for a while). */
  data: string | Uint8Array | undefined;
  /** Log records in it (the header, one event, or a batch's events). */
  readonly records: number;
  /** Wall-clock ms of the first failure (the I/O shell's clock, never the simulation's). */
  failingSince?: number;
  pauseMs?: number;
}

/**
 * A `LogSink` writing one run to the `TYRSIM_LOG` stream on subject `tyrsimlog.<run>`: the header
 * first (`Tyrsim-Kind: header`, msgID `<run>:header`), then each event's JSON line
 * (`Tyrsim-Kind: event`, msgID `<run>:<seq>`). The msgIDs make a retried run idempotent within the
 * stream's duplicate window. `append` never waits: records are queued and published in order with
 * a bounded number of unacknowledged publishes; `close` waits for every ack. A publish that fails
 * (the server restarting, JetStream not yet back) is retried with the same msgID for up to
 * `retryForMs`, so a NATS restart neither loses nor duplicates a record; a retried record may be
 * stored after later ones, and readers put events back in `seq` order (`jetstreamSource.ts`).
 */
export class JetStreamLogSink implements LogSink {
  private readonly js: JetStreamClient;
  private readonly subject: string;
  private readonly queue: Pending[] = [];
  private head = 0;
  private inFlight = 0;
  private headerWritten = false;
  private closed = false;
  private firstError: { msgId: string; cause: unknown } | undefined;
  private counts = { stored: 0, duplicates: 0, failed: 0, retries: 0 };
  private idle: (() => void) | undefined;
  /** Events not published yet: their lines (from `appendLine`) or encoded parts (from `appendEncoded`), how many, and the `seq` of the first. */
  private batchLines: string[] = [];
  private batchParts: Uint8Array[] = [];
  private batchCount = 0;
  private batchFirst = 0;
  private batchBytes = 0;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;

  /** Prefer `openJetStreamLogSink`, which also creates and verifies the stream. */
  constructor(
    private readonly conn: LogConnection,
    readonly run: string,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    /** Writing attempt of this run (see `openJetStreamLogSink`'s `replace`); part of every msgID. */
    private readonly attempt?: string,
    private readonly retryForMs = DEFAULT_RETRY_FOR_MS,
  ) {
    this.js = jetstream(conn.nc);
    this.subject = logSubjectOf(run, "publish");
  }

  writeHeader(header: LogHeader): void {
    if (this.headerWritten) throw new JetStreamLogUsageError(this.run, "writeHeader called twice");
    this.headerWritten = true;
    this.enqueue({ msgId: this.msgId("header"), kind: LogRecordKind.Header, data: JSON.stringify(header), records: 1 });
  }

  append(event: Envelope): void {
    this.appendLine(event, eventLine(event));
  }

  appendLine(event: Envelope, line: string): void {
    this.checkAppend();
    // Lines are batched: one acknowledged publish per batch, not per event. Events come in seq order.
    if (this.batchCount > 0 && (event.seq !== this.batchFirst + this.batchCount || this.batchParts.length > 0)) this.flushBatch();
    if (this.batchCount === 0) this.startBatch(event.seq);
    this.batchLines.push(line);
    this.batchCount++;
    this.batchBytes += line.length + 1;
    if (this.batchBytes >= BATCH_BYTES || this.batchCount >= BATCH_LINES) this.flushBatch();
  }

  /** Batched as `appendLine` batches, the records made of slices of `lines.bytes` (no line is encoded again). */
  appendEncoded(events: readonly Envelope[], lines: EncodedLines): void {
    this.checkAppend();
    const { bytes, ends } = lines;
    // Where the lines of this block not yet in the batch begin.
    let start = 0;
    for (let i = 0; i < events.length; i++) {
      const lineStart = i === 0 ? 0 : (ends[i - 1] as number);
      const end = ends[i] as number;
      if (this.batchCount > 0 && ((events[i] as Envelope).seq !== this.batchFirst + this.batchCount || this.batchLines.length > 0)) {
        if (lineStart > start) this.batchParts.push(bytes.subarray(start, lineStart));
        start = lineStart;
        this.flushBatch();
      }
      if (this.batchCount === 0) this.startBatch((events[i] as Envelope).seq);
      this.batchCount++;
      this.batchBytes += end - lineStart;
      if (this.batchBytes >= BATCH_BYTES || this.batchCount >= BATCH_LINES) {
        this.batchParts.push(bytes.subarray(start, end));
        start = end;
        this.flushBatch();
      }
    }
    const last = ends.length > 0 ? (ends[ends.length - 1] as number) : 0;
    if (last > start) this.batchParts.push(bytes.subarray(start, last));
  }

  private checkAppend(): void {
    if (!this.headerWritten) throw new JetStreamLogUsageError(this.run, "append called before writeHeader");
    if (this.closed) throw new JetStreamLogUsageError(this.run, "used after close");
  }

  private startBatch(seq: number): void {
    this.batchFirst = seq;
    this.batchTimer = setTimeout(() => this.flushBatch(), BATCH_WAIT_MS);
  }

  /**
   * Publish the gathered lines as one `events` record, msgID `<run>:<first seq>+<count>` — the same
   * record on every retry, so a retry is stored once.
   */
  private flushBatch(): void {
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const count = this.batchCount;
    if (count === 0) return;
    let data: string | Uint8Array;
    if (this.batchLines.length > 0) data = this.batchLines.length === 1 ? (this.batchLines[0] as string) : this.batchLines.join("\n");
    else {
      // The lines' bytes, "\n" between them: the parts as they are, without the last "\n".
      const parts = this.batchParts;
      const all = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
      data = all.subarray(0, all.length - 1);
    }
    this.batchLines = [];
    this.batchParts = [];
    this.batchCount = 0;
    this.batchBytes = 0;
    if (count === 1) this.enqueue({ msgId: this.msgId(String(this.batchFirst)), kind: LogRecordKind.Event, data, records: 1 });
    else this.enqueue({ msgId: this.msgId(`${this.batchFirst}+${count}`), kind: LogRecordKind.Events, data, records: count });
  }

  private msgId(record: string): string {
    return this.attempt === undefined ? `${this.run}:${record}` : `${this.run}:${this.attempt}:${record}`;
  }

  /** Acknowledged, duplicate and failed publishes so far. */
  stats(): JetStreamSinkStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.flushBatch();
    this.closed = true;
    try {
      if (this.inFlight > 0 || this.head < this.queue.length) await new Promise<void>((resolve) => (this.idle = resolve));
    } finally {
      await this.conn.release();
    }
    if (this.firstError !== undefined) {
      throw new JetStreamLogPublishError(this.run, this.counts.failed, this.firstError.msgId, { cause: this.firstError.cause });
    }
  }

  private enqueue(p: Pending): void {
    if (this.closed) throw new JetStreamLogUsageError(this.run, "used after close");
    this.queue.push(p);
    this.pump();
  }

  /** Start publishes in queue order while fewer than `maxInFlight` await their ack. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.head < this.queue.length) {
      const p = this.queue[this.head++] as Pending;
      this.inFlight++;
      this.publish(p);
    }
    // Drop the published prefix now and then so a long run does not keep every line in memory.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Publish one record; on failure retry it (same msgID, growing pauses) until `retryForMs` has passed. */
  private publish(p: Pending): void {
    const h = headers();
    h.set(KIND_HEADER, p.kind);
    this.js.publish(this.subject, p.data ?? "", { msgID: p.msgId, headers: h }).then(
      (ack) => {
        if (ack.duplicate) this.counts.duplicates += p.records;
        else this.counts.stored += p.records;
        p.data = undefined;
        this.settled();
      },
      (cause: unknown) => {
        const now = Date.now();
        p.failingSince ??= now;
        if (now - p.failingSince < this.retryForMs) {
          this.counts.retries++;
          const pause = (p.pauseMs = Math.min(2000, (p.pauseMs ?? FIRST_RETRY_PAUSE_MS / 2) * 2));
          setTimeout(() => this.publish(p), pause);
          return;
        }
        this.counts.failed += p.records;
        this.firstError ??= { msgId: p.msgId, cause };
        p.data = undefined;
        this.settled();
      },
    );
  }

  private settled(): void {
    this.inFlight--;
    this.pump();
    if (this.inFlight === 0 && this.head >= this.queue.length && this.idle !== undefined) {
      const done = this.idle;
      this.idle = undefined;
      done();
    }
  }
}

/**
 * Open a JetStream log sink for `run`, creating the `TYRSIM_LOG` stream if needed and failing with
 * `JetStreamLogConfigError` if an existing stream does not match. Given a URL it opens (and on
 * close, closes) its own connection; given a connection it leaves it open.
 *
 * @example
 * const sink = await openJetStreamLogSink("nats://127.0.0.1:4222", "r1");
 * sink.writeHeader(header);
 * for (const e of delivered) sink.append(e);
 * await sink.close(); // throws JetStreamLogPublishError if anything was not stored
 */
export async function openJetStreamLogSink(
  target: NatsConnection | string,
  run: string,
  opts: {
    readonly maxInFlight?: number;
    /** How long a failed publish is retried with its msgID (default 60 s). */
    readonly retryForMs?: number;
    /**
     * Replace an earlier record of the same run (a scenario and seed run again): the run's subject
     * is purged first, and msgIDs carry this attempt token so the stream's duplicate window — which
     * survives a purge — does not drop the new records. Retries within one attempt still dedupe.
     */
    readonly replace?: { readonly attempt: string };
  } = {},
): Promise<JetStreamLogSink> {
  const subject = logSubjectOf(run, "publish");
  const conn = await openLogConnection(target, `tyrsim-log-sink-${run}`);
  try {
    await ensureLogStream(conn.jsm);
    if (opts.replace !== undefined) await conn.jsm.streams.purge(LOG_STREAM, { filter: subject });
    return new JetStreamLogSink(conn, run, opts.maxInFlight, opts.replace?.attempt, opts.retryForMs);
  } catch (e) {
    await conn.release();
    throw e;
  }
}
