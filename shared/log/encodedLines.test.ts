import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LineEncoder, lineBytes } from "./encodedLines.ts";
import { eventLine, lineWithSeq } from "./logFormat.ts";

function event(seq: number, payload: unknown): Envelope {
  return makeEnvelope({ id: `wl0.game:${seq}`, run: "r1", seq, timeNs: seq, depth: 0, source: "wl0.game", subject: "tyrsim.r1.drv0.ioctl", type: "IoctlIssued", cause: null, payload });
}

describe("LineEncoder", () => {
  it("encodes events as the UTF-8 bytes of their log lines, each ending in a newline, and slices each line back out", () => {
    // given events with ASCII, multi-byte and long payloads
    const events = [event(0, { a: 1 }), event(1, { note: "µs 🦀" }), event(2, { blob: "é".repeat(700_000) }), event(3, null)];
    // when they are encoded (the long one makes the encoder's scratch grow)
    const lines = new LineEncoder().encode(events);
    // then the block is the lines joined, and each slice is one event's line
    const decoder = new TextDecoder();
    expect(decoder.decode(lines.bytes)).toBe(events.map((e) => eventLine(e) + "\n").join(""));
    expect(events.map((_, i) => decoder.decode(lineBytes(lines, i)))).toEqual(events.map(eventLine));
  });

  it("gives every block bytes of its own, so a block kept for sending is not overwritten by the next", () => {
    const encoder = new LineEncoder();
    const first = encoder.encode([event(0, { a: "first" })]);
    const kept = new TextDecoder().decode(first.bytes);
    encoder.encode([event(1, { a: "second, and longer than the first" })]);
    expect(new TextDecoder().decode(first.bytes)).toBe(kept);
  });

  it("encodes no events as an empty block", () => {
    const lines = new LineEncoder().encode([]);
    expect(lines.bytes.length).toBe(0);
    expect(lines.ends.length).toBe(0);
  });

  it("encodes a line it is given as it is, and makes only the others", () => {
    // given three events, the second with a line already known (a service's, marked so it shows)
    const events = [event(0, { a: 1 }), event(1, { a: 2 }), event(2, { a: 3 })];
    const known = [undefined, eventLine(events[1]!).replace('"a":2', '"a":2 '), undefined];
    // when they are encoded with it
    const lines = new LineEncoder().encode(events, known);
    // then the known line went in untouched, the others were made
    expect(new TextDecoder().decode(lines.bytes)).toBe(`${eventLine(events[0]!)}\n${known[1]}\n${eventLine(events[2]!)}\n`);
  });
});

describe("lineWithSeq", () => {
  it("gives the canonical line of the same event under another seq, whatever its id, run and payload hold", () => {
    // given events whose run, id, subject and payload hold quotes, "seq": texts, escapes and non-ASCII text
    const tricky = [
      makeEnvelope({ id: "drv0:7", run: "r1", seq: 3, timeNs: 5, depth: 1, source: "drv0", subject: "tyrsim.r1.drv0.x", type: "T", cause: null, payload: { seq: 99 } }),
      makeEnvelope({ id: 'a"seq":1,:2', run: 'run "seq":5, \\', seq: 12, timeNs: 0, depth: 0, source: "a", subject: "s", type: "T", cause: "x", payload: '"seq":0,' }),
      makeEnvelope({ id: "µ🦀:1", run: "r\n2", seq: 0, timeNs: 2 ** 40, depth: 3, source: "µ🦀", subject: "s", type: "T", cause: null, payload: [1, { "\"seq\":": 4 }] }),
    ];
    for (const e of tricky) {
      for (const seq of [0, 7, 12_345_678_901]) {
        // when its line is renumbered, then it is the line of the renumbered event, byte for byte
        expect(lineWithSeq(eventLine(e), seq)).toBe(eventLine({ ...e, seq }));
      }
    }
  });
});
