import type { Envelope } from "../events/envelope.ts";
import { lineBytes, type EncodedLines } from "./encodedLines.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";

const decoder = new TextDecoder();

/**
 * One log written to several sinks (a JSON-lines file and JetStream): same header, same events, same
 * order. Each event is stringified once and its line handed to every sink that takes lines; lines
 * already encoded go as they are to every sink that takes them (decoded for one that takes only lines).
 */
export class TeeSink implements LogSink {
  /** Does any sink take lines (else there is no line worth making here)? */
  private readonly takesLines: boolean;

  constructor(private readonly sinks: readonly LogSink[]) {
    this.takesLines = sinks.some((s) => s.appendLine !== undefined);
  }

  writeHeader(header: LogHeader): void {
    for (const s of this.sinks) s.writeHeader(header);
  }

  append(event: Envelope): void {
    if (this.takesLines) this.appendLine(event, eventLine(event));
    else for (const s of this.sinks) s.append(event);
  }

  appendLine(event: Envelope, line: string): void {
    for (const s of this.sinks) {
      if (s.appendLine !== undefined) s.appendLine(event, line);
      else s.append(event);
    }
  }

  appendEncoded(events: readonly Envelope[], lines: EncodedLines): void {
    for (const s of this.sinks) {
      if (s.appendEncoded !== undefined) s.appendEncoded(events, lines);
      else if (s.appendLine !== undefined) for (let i = 0; i < events.length; i++) s.appendLine(events[i] as Envelope, decoder.decode(lineBytes(lines, i)));
      else for (const e of events) s.append(e);
    }
  }

  /** Close every sink; the first failure is rethrown after all were closed. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
