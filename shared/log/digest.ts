import { createHash, type Hash } from "node:crypto";
import type { Envelope } from "../events/envelope.ts";
import { eventLine } from "./logFormat.ts";

/**
 * A stable digest of a run: SHA-256 over the canonical line of every event, each followed by a
 * newline — exactly the bytes of the event lines of a JSON-lines log. The header is left out so
 * that a log exported from JetStream and one written by the embedded runtime compare on what
 * happened, not on how the file was made. A log file's digest can so be taken from its bytes as
 * read (`FileEventsDigest`), without encoding a line again.
 */
export class LogDigest {
  private readonly hash: Hash = createHash("sha256");
  private count = 0;

  /** Add an event by its canonical line. */
  addLine(line: string): void {
    this.hash.update(line);
    this.hash.update("\n");
    this.count++;
  }

  /** Add a block of `lines` complete event lines, each already followed by "\n" (same digest as adding them one by one). */
  addBlock(text: string, lines: number): void {
    this.hash.update(text);
    this.count += lines;
  }

  /** `addBlock` for the UTF-8 bytes of such a block, as a sink writes them (no second encoding of the text). */
  addBytes(bytes: Uint8Array, lines: number): void {
    this.hash.update(bytes);
    this.count += lines;
  }

  /** Add an event. */
  add(e: Envelope): void {
    this.addLine(eventLine(e));
  }

  /** Number of events digested. */
  get events(): number {
    return this.count;
  }

  /** The hex digest (call once). */
  hex(): string {
    return this.hash.digest("hex");
  }
}

/**
 * The digest of a JSON-lines log file's events taken from the file's bytes as they are read (a
 * `LineReader` tap): every byte after the header line. It equals `LogDigest` over the event lines
 * when the file holds nothing else — no empty line, and a newline after the last — which the
 * reader checks (`JsonlLogReader.eventsDigest`); one SHA-256 update per chunk read instead of two
 * per line, and no second encoding of the text.
 */
export class FileEventsDigest {
  private readonly hash: Hash = createHash("sha256");
  private inHeader = true;

  /** Feed the next raw bytes of the file (the header line is skipped). */
  readonly feed = (bytes: Uint8Array): void => {
    let from = 0;
    if (this.inHeader) {
      const newline = bytes.indexOf(0x0a);
      if (newline < 0) return;
      this.inHeader = false;
      from = newline + 1;
    }
    if (from < bytes.length) this.hash.update(from === 0 ? bytes : bytes.subarray(from));
  };

  /** The hex digest (call once, after the whole file was fed). */
  hex(): string {
    return this.hash.digest("hex");
  }
}
