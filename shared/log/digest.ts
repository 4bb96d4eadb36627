import { createHash, type Hash } from "node:crypto";
import type { Envelope } from "../events/envelope.ts";
import { eventLine } from "./logFormat.ts";

/**
 * A stable digest of a run: SHA-256 over the canonical line of every event, each followed by a
 * newline — exactly the bytes of the event lines of a JSON-lines log. The header is left out so
 * that a log exported from JetStream and one written by the embedded runtime compare on what
 * happened, not on how the file was made.
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
