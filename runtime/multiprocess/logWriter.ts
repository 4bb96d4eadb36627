import type { Envelope } from "../../shared/events/envelope.ts";
import { LineEncoder, type EncodedLines } from "../../shared/log/encodedLines.ts";
import type { LogSink } from "../../shared/log/logFormat.ts";

/** Called with consecutive events just written to the log and their lines, encoded once (the NATS mirror sends slices of them). */
export type WrittenObserver = (events: readonly Envelope[], lines: EncodedLines) => void;

/**
 * The coordinator's log writing, kept apart from its logging: events take their place in the log
 * (final `seq`, hooks and watchers run) as soon as the watermark passes them, but the costly part —
 * each event's line, made and encoded once for the sink and the observers — waits here until the
 * coordinator has sent the next round's requests, so it is done while the services work on that
 * round instead of while they wait for it. The order and content of what is written do not change.
 */
export class LogWriter {
  private unwritten: { readonly events: Envelope[]; readonly lines: readonly (string | undefined)[] | undefined }[] = [];
  private readonly encoder = new LineEncoder();

  constructor(
    private readonly sink: LogSink,
    private readonly onWritten: WrittenObserver | undefined,
    private readonly onDelivered: ((e: Envelope) => void) | undefined,
  ) {}

  /**
   * Events just logged (numbered, in log order), to be written by the next `write`; `lines[i]`, when
   * given, is event `i`'s canonical line already (made by the service that delivered it).
   */
  add(events: Envelope[], lines?: readonly (string | undefined)[]): void {
    if (events.length > 0) this.unwritten.push({ events, lines });
  }

  /** Is anything logged but not written yet? */
  get pending(): boolean {
    return this.unwritten.length > 0;
  }

  /** Write every event added so far, in order, to the sink, then tell the observers. */
  write(): void {
    const batches = this.unwritten;
    this.unwritten = [];
    const { sink, onWritten, onDelivered } = this;
    for (const { events, lines: known } of batches) {
      if (sink.appendEncoded !== undefined || onWritten !== undefined) {
        const lines = this.encoder.encode(events, known);
        if (sink.appendEncoded !== undefined) sink.appendEncoded(events, lines);
        else for (const e of events) sink.append(e);
        onWritten?.(events, lines);
      } else for (const e of events) sink.append(e);
      if (onDelivered !== undefined) for (const e of events) onDelivered(e);
    }
  }
}
