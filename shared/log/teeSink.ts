import type { Envelope } from "../events/envelope.ts";
import { eventLine, type LogHeader, type LogSink } from "./logFormat.ts";

/**
 * One log written to several sinks (a JSON-lines file and JetStream): same header, same events, same
 * order. Each event is stringified once and its line handed to every sink that takes lines.
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

  /** Close every sink; the first failure is rethrown after all were closed. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
