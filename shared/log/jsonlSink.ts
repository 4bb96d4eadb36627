import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Envelope } from "../events/envelope.ts";
import { LogDigest } from "./digest.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";

/** Bytes buffered before a write; batching lines is what makes the log cheap (see bench/). */
const BATCH_CHARS = 256 * 1024;

/**
 * The embedded runtime's log: JSON lines in a file, header first, written in batches and never held
 * in memory whole. `close` writes what is left.
 */
export class JsonlLogSink implements LogSink {
  private readonly fd: number;
  private buffer: string[] = [];
  private chars = 0;
  /** Lines of the buffer that are events (digested), after `headerLines` header lines. */
  private headerLines = 0;
  private closed = false;
  /** Digest of the event lines written, computed as they are written (complete after `close`). */
  readonly digest = new LogDigest();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "w");
  }

  writeHeader(header: LogHeader): void {
    this.push(JSON.stringify(header));
    this.headerLines++;
  }

  append(event: Envelope): void {
    this.push(eventLine(event));
  }

  private push(line: string): void {
    this.buffer.push(line);
    this.chars += line.length + 1;
    if (this.chars >= BATCH_CHARS) this.flush();
  }

  /** Write buffered lines now. */
  flush(): void {
    if (this.buffer.length === 0) return;
    const header = this.buffer.slice(0, this.headerLines);
    const events = this.headerLines === 0 ? this.buffer : this.buffer.slice(this.headerLines);
    // The digest is over event lines only, hashed a block at a time (same bytes, same digest).
    const eventText = events.length > 0 ? events.join("\n") + "\n" : "";
    this.digest.addBlock(eventText, events.length);
    writeSync(this.fd, (header.length > 0 ? header.join("\n") + "\n" : "") + eventText);
    this.buffer = [];
    this.chars = 0;
    this.headerLines = 0;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      closeSync(this.fd);
      this.closed = true;
    }
    return Promise.resolve();
  }
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
