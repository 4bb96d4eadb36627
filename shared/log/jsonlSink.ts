import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Envelope } from "../events/envelope.ts";
import { LogDigest } from "./digest.ts";
import { grown, type EncodedLines } from "./encodedLines.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";

/** Bytes buffered before a write; batching lines is what makes the log cheap (see bench/). */
const BATCH_BYTES = 256 * 1024;

/** Most UTF-8 bytes one UTF-16 code unit of a JS string can take (a surrogate pair takes 4 for 2 units). */
const MAX_UTF8_PER_UNIT = 3;

/**
 * The embedded runtime's log: JSON lines in a file, header first, written in batches and never held
 * in memory whole. `close` writes what is left. Without a path nothing is written; with `tap`, each
 * batch of event lines' bytes goes to it instead of to `digest` (a replay holds its re-run against
 * the log's bytes that way, `runtime/replay.ts`).
 *
 * Each line is encoded as UTF-8 straight into one reused buffer as it is appended, and the batch's
 * bytes are hashed and written from that buffer. Holding line strings until a batch is joined made
 * them outlive the young generation (a copy per event by the GC), then encoded the joined text twice
 * (hash and write); this writes the same bytes with neither.
 */
export class JsonlLogSink implements LogSink {
  /** The file written, or undefined when nothing is written (the lines only digested or tapped). */
  private readonly fd: number | undefined;
  private buffer: Buffer = Buffer.allocUnsafe(2 * BATCH_BYTES);
  /** Bytes of `buffer` in use. */
  private used = 0;
  /** Bytes at the start of `buffer` that are the header (written, not digested). */
  private headerBytes = 0;
  /** Event lines in `buffer`. */
  private lines = 0;
  private closed = false;
  /** Digest of the event lines written, computed as they are written (complete after `close`; left empty with a `tap`). */
  readonly digest = new LogDigest();

  constructor(
    readonly path: string | undefined,
    /** Given each batch of event lines' bytes (header excluded, reused afterwards) in place of `digest`. */
    private readonly tap?: (eventBytes: Uint8Array) => void,
  ) {
    if (path === undefined) {
      this.fd = undefined;
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "w");
  }

  writeHeader(header: LogHeader): void {
    // The header opens the file; events buffered before it (none, by the LogSink contract) go first.
    if (this.lines > 0) this.flush();
    this.put(JSON.stringify(header));
    this.headerBytes = this.used;
  }

  append(event: Envelope): void {
    this.appendLine(event, eventLine(event));
  }

  appendLine(_event: Envelope, line: string): void {
    this.put(line);
    this.lines++;
    if (this.used >= BATCH_BYTES) this.flush();
  }

  appendEncoded(_events: readonly Envelope[], lines: EncodedLines): void {
    const { bytes } = lines;
    if (this.used + bytes.length > this.buffer.length) {
      this.flush();
      if (bytes.length > this.buffer.length) this.buffer = grown(this.buffer, 0, bytes.length);
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
    this.lines += lines.ends.length;
    if (this.used >= BATCH_BYTES) this.flush();
  }

  /** Encode `line` and its newline at the end of the buffer, making room first if it might not fit. */
  private put(line: string): void {
    const room = line.length * MAX_UTF8_PER_UNIT + 1;
    if (this.used + room > this.buffer.length) {
      this.flush();
      if (this.used + room > this.buffer.length) this.buffer = grown(this.buffer, this.used, this.used + room);
    }
    this.used += this.buffer.write(line, this.used, "utf8");
    this.buffer[this.used++] = 0x0a;
  }

  /** Write buffered lines now. */
  flush(): void {
    if (this.used === 0) return;
    // The digest (or the tap) takes event lines only, a block at a time (same bytes, same digest).
    const events = this.buffer.subarray(this.headerBytes, this.used);
    if (this.tap !== undefined) this.tap(events);
    else this.digest.addBytes(events, this.lines);
    if (this.fd !== undefined) writeAll(this.fd, this.buffer, this.used);
    this.used = 0;
    this.headerBytes = 0;
    this.lines = 0;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      if (this.fd !== undefined) closeSync(this.fd);
      this.closed = true;
    }
    return Promise.resolve();
  }
}

/** Write `length` bytes of `buffer` to `fd`, looping over short writes. */
function writeAll(fd: number, buffer: Buffer, length: number): void {
  for (let at = 0; at < length; ) at += writeSync(fd, buffer, at, length - at);
}

/** A sink that keeps nothing (benchmarks of the runtime without the log, replays that only compare). */
export class NullLogSink implements LogSink {
  writeHeader(): void {}
  append(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sink that keeps events in memory: for tests of small runs only. */
export class MemoryLogSink implements LogSink {
  header: LogHeader | undefined;
  readonly events: Envelope[] = [];
  writeHeader(header: LogHeader): void {
    this.header = header;
  }
  append(event: Envelope): void {
    this.events.push(event);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
