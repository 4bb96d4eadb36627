import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

const CHUNK = 1 << 20;

/**
 * Reads a text file line by line, synchronously, holding one chunk at a time: the streaming
 * primitive under log readers, replay and audit (a 10-million-event log never sits in memory).
 */
export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  private lines: string[] = [];
  private index = 0;
  private eof = false;
  /** 1-based number of the last line returned. */
  lineNumber = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
  }

  /** The next line (without its newline), or undefined at the end of the file. */
  next(): string | undefined {
    while (this.index >= this.lines.length) {
      if (this.eof) return undefined;
      this.fill();
    }
    this.lineNumber++;
    return this.lines[this.index++];
  }

  private fill(): void {
    const n = readSync(this.fd, this.buf, 0, CHUNK, null);
    if (n === 0) {
      this.eof = true;
      const rest = this.pending + this.decoder.end();
      this.lines = rest.length > 0 ? [rest] : [];
      this.pending = "";
      this.index = 0;
      return;
    }
    const text = this.pending + this.decoder.write(this.buf.subarray(0, n));
    const parts = text.split("\n");
    this.pending = parts.pop() ?? "";
    this.lines = parts;
    this.index = 0;
  }

  /** Release the file. */
  close(): void {
    closeSync(this.fd);
  }
}
