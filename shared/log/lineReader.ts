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
  /** Has the last line of the file been returned (or was the file empty)? */
  done = false;
  /** Did the file end in a line without a newline (known once `done`)? */
  unterminated = false;

  /**
   * @param tap given every chunk's raw bytes as they are read, in order (to be used before the
   *   call returns: the buffer is reused) — e.g. to hash the file without encoding its lines again.
   */
  constructor(
    readonly path: string,
    private readonly tap?: (bytes: Uint8Array) => void,
  ) {
    this.fd = openSync(path, "r");
  }

  /** The next line (without its newline), or undefined at the end of the file. */
  next(): string | undefined {
    while (this.index >= this.lines.length) {
      if (this.eof) {
        this.done = true;
        return undefined;
      }
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
      this.unterminated = rest.length > 0;
      this.lines = rest.length > 0 ? [rest] : [];
      this.pending = "";
      this.index = 0;
      return;
    }
    const bytes = this.buf.subarray(0, n);
    this.tap?.(bytes);
    const text = this.pending + this.decoder.write(bytes);
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

const NEWLINE = 0x0a;

/** Tells, from a line's raw bytes (`bytes[start, end)`), that a matching line is not wanted: it is then never decoded. */
export type RawLineFilter = (bytes: Buffer, start: number, end: number) => boolean;

/**
 * The lines of a file that contain `needle` (compared as UTF-8 bytes), found by searching the raw
 * bytes chunk by chunk: no other line is decoded or split, so a pass over a 10-million-line log to
 * pick out its few outside inputs costs little more than reading it. Lines `skip` refuses by their
 * bytes are not decoded either. A generator: memory is one chunk and the current partial line,
 * however many lines match. `tap`, as `LineReader`'s, is given every byte of the file once, in
 * order, as it is read (one pass both finds the lines and, say, hashes the file).
 */
export function* streamLinesContaining(path: string, needle: string, skip?: RawLineFilter, tap?: (bytes: Uint8Array) => void): Generator<string, void, undefined> {
  const pattern = Buffer.from(needle, "utf8");
  const fd = openSync(path, "r");
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    /** Bytes of the partial last line kept at the start of `buf` (the next read goes after them). */
    let kept = 0;
    for (;;) {
      if (kept === buf.length) buf = Buffer.concat([buf], 2 * buf.length); // a line longer than the buffer
      const n = readSync(fd, buf, kept, buf.length - kept, null);
      if (n > 0) tap?.(buf.subarray(kept, kept + n));
      const eof = n === 0;
      const bytes = buf.subarray(0, kept + n);
      let from = 0;
      for (let hit = bytes.indexOf(pattern, from); hit >= 0; hit = bytes.indexOf(pattern, from)) {
        const start = bytes.lastIndexOf(NEWLINE, hit) + 1;
        const newline = bytes.indexOf(NEWLINE, hit);
        if (newline < 0 && !eof) break;
        const end = newline < 0 ? bytes.length : newline;
        if (skip === undefined || !skip(bytes, start, end)) yield bytes.toString("utf8", start, end);
        from = end + 1;
      }
      if (eof) return;
      // The partial last line moves to the front and the rest of the buffer is read into again:
      // only that line is copied, never the chunk.
      const partial = bytes.lastIndexOf(NEWLINE) + 1;
      kept = bytes.copy(buf, 0, partial);
    }
  } finally {
    closeSync(fd);
  }
}

/** `streamLinesContaining` collected into an array: for tests and small logs. */
export function linesContaining(path: string, needle: string): string[] {
  return [...streamLinesContaining(path, needle)];
}
