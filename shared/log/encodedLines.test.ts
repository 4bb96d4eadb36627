import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LineEncoder, lineBytes } from "./encodedLines.ts";
import { eventLine } from "./logFormat.ts";

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
});
