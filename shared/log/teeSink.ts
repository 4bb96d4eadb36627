import type { Envelope } from "../events/envelope.ts";
import type { LogHeader, LogSink } from "./logFormat.ts";

/** One log written to several sinks (a JSON-lines file and JetStream): same header, same events, same order. */
export class TeeSink implements LogSink {
  constructor(private readonly sinks: readonly LogSink[]) {}

  writeHeader(header: LogHeader): void {
    for (const s of this.sinks) s.writeHeader(header);
  }

  append(event: Envelope): void {
    for (const s of this.sinks) s.append(event);
  }

  /** Close every sink; the first failure is rethrown after all were closed. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
