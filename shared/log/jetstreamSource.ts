import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { z } from "zod";
import { EnvelopeSchema, type Envelope } from "../events/envelope.ts";
import { LogHeaderSchema, type LogHeader, type LogSource } from "./logFormat.ts";
import { isStreamNotFound, KIND_HEADER, LOG_STREAM, LOG_SUBJECT_ROOT, logSubjectOf, LogRecordKind, openLogConnection, type LogConnection } from "./jetstreamStream.ts";

/** Messages the ordered consumer may buffer ahead of the reader. */
const READ_AHEAD = 1024;

/** The stream holds no log for this run. */
export class JetStreamLogNotFoundError extends Error {
  override readonly name = "JetStreamLogNotFoundError";
  constructor(readonly run: string, options?: { cause?: unknown }) {
    super(`no JetStream log for run '${run}' in stream '${LOG_STREAM}' on this server; check the run id and server URL`, options);
  }
}

/** A stored log message is not what the log format promises; names the stream sequence and field. */
export class JetStreamLogCorruptError extends Error {
  override readonly name = "JetStreamLogCorruptError";
  constructor(readonly run: string, readonly streamSeq: number, readonly field: string, readonly reason: string) {
    super(`JetStream log of run '${run}', stream seq ${streamSeq}: ${field}: ${reason}`);
  }
}

function parseRecord<S extends z.ZodType>(run: string, m: JsMsg, kind: LogRecordKind, schema: S): z.infer<S> {
  const actual = m.headers?.get(KIND_HEADER) ?? "";
  if (actual !== kind) throw new JetStreamLogCorruptError(run, m.seq, KIND_HEADER, `expected '${kind}', found '${actual}'`);
  return parseText(run, m.seq, m.string(), schema);
}

/** The events of one record: an `event` (one line) or an `events` batch (lines joined by newlines). */
function eventsOf(run: string, m: JsMsg): Envelope[] {
  const kind = m.headers?.get(KIND_HEADER) ?? "";
  if (kind === LogRecordKind.Event) return [parseText(run, m.seq, m.string(), EnvelopeSchema)];
  if (kind === LogRecordKind.Events) return m.string().split("\n").map((line) => parseText(run, m.seq, line, EnvelopeSchema));
  throw new JetStreamLogCorruptError(run, m.seq, KIND_HEADER, `expected '${LogRecordKind.Event}' or '${LogRecordKind.Events}', found '${kind}'`);
}

function parseText<S extends z.ZodType>(run: string, streamSeq: number, text: string, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new JetStreamLogCorruptError(run, streamSeq, "(json)", `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JetStreamLogCorruptError(run, streamSeq, issue?.path.map(String).join(".") || "(record)", issue?.message ?? "invalid");
  }
  return parsed.data;
}

/**
 * Stop the ordered consumer. `messages.close()` alone would wait for the iterator to drain, which
 * never happens once we stop pulling; returning the iterator runs its clean-up instead.
 */
async function stopReading(messages: ConsumerMessages, iterator: AsyncIterator<JsMsg>): Promise<void> {
  messages.stop();
  await iterator.return?.();
}

/**
 * A `LogSource` over one run in the `TYRSIM_LOG` stream, read with an ordered consumer filtered on
 * `tyrsimlog.<run>` (one filter subject: server 2.9 allows no more). It ends at the run's last
 * message as it was when the source opened, so a run still being written reads as a snapshot.
 */
export class JetStreamLogSource implements LogSource {
  private done = false;

  /** Prefer `openJetStreamLogSource`, which reads the header and finds where the run ends. */
  constructor(
    readonly header: LogHeader,
    readonly run: string,
    private readonly conn: LogConnection,
    private readonly messages: ConsumerMessages,
    private readonly iterator: AsyncIterator<JsMsg>,
    private readonly headerSeq: number,
    private readonly lastSeq: number,
  ) {}

  /**
   * The run's events in log order (a record holds one event or a batch of consecutive ones). A
   * publish retried across a server restart can be stored after
   * later ones, and a retry the server had already stored comes back as a duplicate; events are
   * therefore put back in their log order (`seq`) and duplicates skipped. A gap left at the end is
   * reported as corruption.
   */
  async *events(): AsyncIterable<Envelope> {
    if (this.done) return;
    this.done = true;
    const ahead = new Map<number, Envelope>();
    let expected = 0;
    try {
      for (let seq = this.headerSeq; seq < this.lastSeq; ) {
        const next = await this.iterator.next();
        if (next.done === true) throw new JetStreamLogCorruptError(this.run, seq, "(stream)", `ended before seq ${this.lastSeq}`);
        seq = next.value.seq;
        for (const e of eventsOf(this.run, next.value)) {
          if (e.seq === expected) {
            yield e;
            expected++;
            for (let held = ahead.get(expected); held !== undefined; held = ahead.get(expected)) {
              ahead.delete(expected);
              yield held;
              expected++;
            }
          } else if (e.seq > expected) ahead.set(e.seq, e);
        }
      }
      if (ahead.size > 0) throw new JetStreamLogCorruptError(this.run, this.lastSeq, "seq", `event ${expected} is missing (${ahead.size} later event(s) stored)`);
    } finally {
      await stopReading(this.messages, this.iterator);
    }
  }

  async close(): Promise<void> {
    this.done = true;
    await stopReading(this.messages, this.iterator);
    await this.conn.release();
  }
}

/**
 * Open the log of `run` for reading: reads the header now, streams events on `events()`.
 * Throws `JetStreamLogNotFoundError` when the stream or the run does not exist.
 *
 * @example
 * const log = await openJetStreamLogSource("nats://127.0.0.1:4222", "r1");
 * for await (const e of log.events()) replay(e);
 * await log.close();
 */
export async function openJetStreamLogSource(target: NatsConnection | string, run: string): Promise<JetStreamLogSource> {
  const subject = logSubjectOf(run, "subscribe");
  const conn = await openLogConnection(target, `tyrsim-log-source-${run}`);
  let reading: { messages: ConsumerMessages; iterator: AsyncIterator<JsMsg> } | undefined;
  try {
    const last = await conn.jsm.streams.getMessage(LOG_STREAM, { last_by_subj: subject }).catch((e: unknown) => {
      throw isStreamNotFound(e) ? new JetStreamLogNotFoundError(run, { cause: e }) : e;
    });
    if (last === null) throw new JetStreamLogNotFoundError(run);
    const consumer = await jetstream(conn.nc).consumers.get(LOG_STREAM, { filter_subjects: subject });
    const messages = await consumer.consume({ max_messages: READ_AHEAD });
    const iterator = messages[Symbol.asyncIterator]();
    reading = { messages, iterator };
    const first = await iterator.next();
    if (first.done === true) throw new JetStreamLogNotFoundError(run);
    const header = parseRecord(run, first.value, LogRecordKind.Header, LogHeaderSchema);
    return new JetStreamLogSource(header, run, conn, messages, iterator, first.value.seq, last.seq);
  } catch (e) {
    if (reading !== undefined) await stopReading(reading.messages, reading.iterator);
    await conn.release();
    throw e;
  }
}

/** Runs with a log in the stream, sorted by name (empty when the stream does not exist yet). */
export async function listJetStreamRuns(target: NatsConnection | string): Promise<string[]> {
  const conn = await openLogConnection(target, "tyrsim-log-list");
  try {
    const info = await conn.jsm.streams.info(LOG_STREAM, { subjects_filter: `${LOG_SUBJECT_ROOT}.>` });
    return Object.keys(info.state.subjects ?? {})
      .map((s) => s.slice(LOG_SUBJECT_ROOT.length + 1))
      .sort();
  } catch (e) {
    if (isStreamNotFound(e)) return [];
    throw e;
  } finally {
    await conn.release();
  }
}
