import type { Envelope } from "../events/envelope.ts";
import { eventLine } from "./logFormat.ts";

/**
 * Consecutive log lines encoded as UTF-8 once, for every consumer: line `i` is `bytes` from
 * `ends[i - 1]` (0 for the first) to `ends[i]`, its "\n" included — exactly the bytes of those
 * lines in a JSON-lines log. A sink copies the whole block, JetStream sends slices of it, the NATS
 * mirror one slice per event: no consumer stringifies or encodes an event again. `bytes` is never
 * written to after it is made, so slices of it may be queued for sending as they are.
 */
export interface EncodedLines {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

/** Line `i` of `lines` without its "\n": the bytes of `eventLine` of event `i`. */
export function lineBytes(lines: EncodedLines, i: number): Uint8Array {
  return lines.bytes.subarray(i === 0 ? 0 : (lines.ends[i - 1] as number), (lines.ends[i] as number) - 1);
}

/** Most UTF-8 bytes one UTF-16 code unit of a JS string can take (a surrogate pair takes 4 for 2 units). */
const MAX_UTF8_PER_UNIT = 3;

/**
 * Encodes events' canonical lines (`eventLine`) into `EncodedLines`: each line is written into one
 * reused scratch buffer as it is made, then the block is copied out at its exact size (the copy is
 * what consumers may keep; the scratch is reused for the next block).
 */
export class LineEncoder {
  private scratch: Buffer = Buffer.allocUnsafe(1 << 20);

  /**
   * The lines of `events`, in order. `known[i]`, when given, is already event `i`'s canonical line
   * (`eventLine`), as a service made it: it is encoded as it is, not made again.
   */
  encode(events: readonly Envelope[], known?: readonly (string | undefined)[]): EncodedLines {
    const ends = new Uint32Array(events.length);
    let used = 0;
    for (let i = 0; i < events.length; i++) {
      const line = known?.[i] ?? eventLine(events[i] as Envelope);
      const room = line.length * MAX_UTF8_PER_UNIT + 1;
      if (used + room > this.scratch.length) this.scratch = grown(this.scratch, used, used + room);
      used += this.scratch.write(line, used, "utf8");
      this.scratch[used++] = 0x0a;
      ends[i] = used;
    }
    return { bytes: new Uint8Array(this.scratch.subarray(0, used)), ends };
  }
}

/** A copy of the first `used` bytes of `buffer` in a buffer of at least `size` bytes (and at least twice as big): for scratch buffers that outgrow themselves. */
export function grown(buffer: Buffer, used: number, size: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(size, 2 * buffer.length));
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}
