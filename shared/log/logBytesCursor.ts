import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * The bytes of a log file after its header line, read forward and held against bytes made
 * elsewhere — a replay's re-made event lines (`runtime/replay.ts`): `matches` says whether the
 * file's next bytes are exactly the given ones, `atEnd` whether it holds nothing more. Nothing is
 * decoded or split; memory is one chunk of the file.
 */
export class LogBytesCursor {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  /** Next unread byte of `buf`, and the end of what it holds. */
  private start = 0;
  private end = 0;
  private eof = false;
  private inHeader = true;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
  }

  /** Are the file's next bytes (after the header line) exactly `bytes`? They are consumed either way. */
  matches(bytes: Uint8Array): boolean {
    if (!this.pastHeader()) return bytes.length === 0;
    for (let at = 0; at < bytes.length; ) {
      if (this.start === this.end && !this.fill()) return false;
      const n = Math.min(bytes.length - at, this.end - this.start);
      if (this.buf.compare(bytes, at, at + n, this.start, this.start + n) !== 0) return false;
      at += n;
      this.start += n;
    }
    return true;
  }

  /** Does the file hold nothing after what was matched so far? */
  atEnd(): boolean {
    if (!this.pastHeader()) return true;
    return this.start === this.end && !this.fill();
  }

  /** Release the file. */
  close(): void {
    closeSync(this.fd);
  }

  /** Skip the header line; false if the file ends inside it. */
  private pastHeader(): boolean {
    while (this.inHeader) {
      if (this.start === this.end && !this.fill()) return false;
      const newline = this.buf.subarray(this.start, this.end).indexOf(NEWLINE);
      if (newline < 0) {
        this.start = this.end;
        continue;
      }
      this.start += newline + 1;
      this.inHeader = false;
    }
    return true;
  }

  /** Read the next chunk; false at the end of the file. */
  private fill(): boolean {
    if (this.eof) return false;
    const n = readSync(this.fd, this.buf, 0, CHUNK, null);
    this.start = 0;
    this.end = n;
    this.eof = n === 0;
    return n > 0;
  }
}
