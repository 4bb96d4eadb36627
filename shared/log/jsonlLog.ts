import { EnvelopeSchema, isCanonicalEnvelope, type Envelope } from "../events/envelope.ts";
import { FileEventsDigest, LogDigest } from "./digest.ts";
import { LineReader } from "./lineReader.ts";
import { LogHeaderSchema, type LogHeader, type LogSource } from "./logFormat.ts";

/** A log file that cannot be read, with the file, line and reason. */
export class LogFormatError extends Error {
  override readonly name = "LogFormatError";
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** An event read back with its raw line (byte comparisons, digests). */
export interface LoggedEvent {
  readonly event: Envelope;
  readonly line: string;
  readonly lineNumber: number;
}

/** Options of a {@link JsonlLogReader} beyond validation. */
export interface JsonlReadOptions {
  /** Digest the events from the file's bytes as they are read (`eventsDigest`). */
  readonly digest?: boolean;
}

/**
 * A JSON-lines log opened for streaming: the header is read at once, events one at a time.
 * `validate` (default on) checks each line against the envelope schema; the replay and audit fast
 * paths may turn it off for logs this tool wrote itself.
 */
export class JsonlLogReader implements LogSource {
  readonly header: LogHeader;
  private readonly reader: LineReader;
  private readonly bytesDigest: FileEventsDigest | undefined;
  private digestHex: string | undefined;
  /** Was an empty line skipped (then the file's bytes are more than its event lines)? */
  private blankLines = false;
  /** Event lines returned so far (by `nextLogged` or `nextLine`). */
  private eventLines = 0;

  constructor(readonly path: string, private readonly validate = true, opts: JsonlReadOptions = {}) {
    this.bytesDigest = opts.digest === true ? new FileEventsDigest() : undefined;
    this.reader = new LineReader(path, this.bytesDigest?.feed);
    try {
      this.header = this.readHeader();
    } catch (e) {
      this.reader.close();
      throw e;
    }
  }

  private readHeader(): LogHeader {
    const path = this.path;
    const first = this.reader.next();
    if (first === undefined) throw new LogFormatError(path, 1, "empty file: expected a tyrsim log header");
    let value: unknown;
    try {
      value = JSON.parse(first);
    } catch (e) {
      throw new LogFormatError(path, 1, `header is not JSON: ${(e as Error).message}`);
    }
    const h = LogHeaderSchema.safeParse(value);
    if (!h.success) {
      const issue = h.error.issues[0];
      throw new LogFormatError(path, 1, `not a tyrsim log header: field '${issue?.path.join(".") ?? "?"}': ${issue?.message ?? "invalid"}`);
    }
    return h.data;
  }

  /** The next event with its line, or undefined at the end. Throws LogFormatError on a broken line. */
  nextLogged(): LoggedEvent | undefined {
    const line = this.reader.next();
    if (line === undefined) return undefined;
    const lineNumber = this.reader.lineNumber;
    if (line.length === 0) {
      this.blankLines = true;
      return this.nextLogged();
    }
    this.eventLines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new LogFormatError(this.path, lineNumber, `not JSON: ${(e as Error).message}`);
    }
    // A line as tyrsim writes it passes the fast check; only anything else pays for the schema.
    if (!this.validate || isCanonicalEnvelope(value)) return { event: value as Envelope, line, lineNumber };
    const r = EnvelopeSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new LogFormatError(this.path, lineNumber, `field '${issue?.path.join(".") ?? "?"}': ${issue?.message ?? "invalid"}`);
    }
    return { event: r.data, line, lineNumber };
  }

  /**
   * The next event line as written, unparsed, or undefined at the end (replay compares lines byte
   * for byte and needs no object; skipping the parse is what keeps it near the read limit).
   */
  nextLine(): string | undefined {
    for (let line = this.reader.next(); line !== undefined; line = this.reader.next()) {
      if (line.length > 0) {
        this.eventLines++;
        return line;
      }
      this.blankLines = true;
    }
    return undefined;
  }

  /**
   * The digest of every event in the file (`LogDigest`'s), taken from its bytes as read — when the
   * reader was opened with `digest`, has been read to the end, and the file holds nothing but the
   * header and event lines, each ending in a newline. Otherwise undefined: the caller digests the
   * lines it read (`digestOfLogLines`).
   */
  eventsDigest(): string | undefined {
    if (this.bytesDigest === undefined || !this.reader.done || this.reader.unterminated || this.blankLines) return undefined;
    return (this.digestHex ??= this.bytesDigest.hex());
  }

  /**
   * The digest of the event lines returned so far: `eventsDigest` when it covers them (the whole
   * file read), else those lines digested again from the file (`digestOfLogLines`) — a replay
   * stopped by `--until` or a divergence, a file with blank lines.
   */
  digestOfRead(): string {
    return this.eventsDigest() ?? digestOfLogLines(this.path, this.eventLines);
  }

  /** Events one by one, synchronously. */
  *[Symbol.iterator](): Iterator<Envelope> {
    for (let l = this.nextLogged(); l !== undefined; l = this.nextLogged()) yield l.event;
  }

  /** Events as an async iterable (the LogSource contract shared with JetStream). */
  async *events(): AsyncIterable<Envelope> {
    for (const e of this) yield e;
  }

  close(): Promise<void> {
    this.reader.close();
    return Promise.resolve();
  }
}

/**
 * The digest of the first `lines` event lines of a log file (all by default), line by line: for a
 * reader that stopped early or a file `eventsDigest` does not cover (empty lines, no final newline).
 */
export function digestOfLogLines(path: string, lines = Number.POSITIVE_INFINITY): string {
  const reader = new JsonlLogReader(path, false);
  try {
    const digest = new LogDigest();
    for (let n = 0; n < lines; n++) {
      const line = reader.nextLine();
      if (line === undefined) break;
      digest.addLine(line);
    }
    return digest.hex();
  } finally {
    void reader.close();
  }
}
