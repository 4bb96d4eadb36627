import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { LineEncoder, type EncodedLines } from "./encodedLines.ts";
import { MemoryLogSink } from "./jsonlSink.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";
import { TeeSink } from "./teeSink.ts";

const event = makeEnvelope({ id: "gpu0.pwr:0", run: "r1", seq: 0, timeNs: 5, depth: 0, source: "gpu0.pwr", subject: "tyrsim.r1.gpu0.pwr.state", type: "PowerDomainReady", cause: null, payload: { domain: "l2" } });
const header: LogHeader = { format: "tyrsim-log", version: 1, tool: "test", run: "r1", seed: 1, model: "mali-g610", scenario: { file: "t.yaml", text: "" } };

/** A sink that takes lines and records what it was given. */
class LineSink implements LogSink {
  readonly lines: string[] = [];
  writeHeader(): void {}
  append(e: Envelope): void {
    this.lines.push(`append:${eventLine(e)}`);
  }
  appendLine(_e: Envelope, line: string): void {
    this.lines.push(line);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sink that takes encoded lines and records the blocks it was given. */
class EncodedSink extends LineSink {
  readonly blocks: EncodedLines[] = [];
  appendEncoded(_events: readonly Envelope[], lines: EncodedLines): void {
    this.blocks.push(lines);
  }
}

describe("TeeSink", () => {
  it("hands every sink that takes lines the event's one canonical line, and the others the event", () => {
    // given a tee of two line-taking sinks and one that only takes events
    const a = new LineSink();
    const b = new LineSink();
    const memory = new MemoryLogSink();
    const tee = new TeeSink([a, memory, b]);
    tee.writeHeader(header);
    // when an event is appended
    tee.append(event);
    // then the line sinks got the line itself (not a call to append) and the memory sink the event
    expect(a.lines).toEqual([eventLine(event)]);
    expect(b.lines).toEqual([eventLine(event)]);
    expect(memory.events).toEqual([event]);
    expect(memory.header).toEqual(header);
  });

  it("hands encoded lines as they are to sinks that take them, decoded lines to sinks that take lines, and the events to the others", () => {
    // given a tee of a sink taking encoded lines, one taking lines and one taking events
    const encoded = new EncodedSink();
    const lines = new LineSink();
    const memory = new MemoryLogSink();
    const second = makeEnvelope({ ...event, id: "gpu0.pwr:1", seq: 1, payload: { domain: "µs 🦀" } });
    const block = new LineEncoder().encode([event, second]);
    // when a block of two events is appended
    new TeeSink([encoded, lines, memory]).appendEncoded([event, second], block);
    // then each got them in the form it takes
    expect(encoded.blocks).toEqual([block]);
    expect(lines.lines).toEqual([eventLine(event), eventLine(second)]);
    expect(memory.events).toEqual([event, second]);
  });

  it("passes a line it is given through unchanged", () => {
    const a = new LineSink();
    new TeeSink([a]).appendLine(event, eventLine(event));
    expect(a.lines).toEqual([JSON.stringify(event)]);
  });
});
