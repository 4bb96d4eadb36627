import { matchSubject, subjectOf } from "../../shared/events/subjects.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { JsonlLogReader } from "../../shared/log/jsonlLog.ts";
import { formatNs } from "../../shared/scenario/duration.ts";

/** Options of `tyrsim tail`. */
export interface TailOptions {
  readonly nats?: string;
  readonly run?: string;
  readonly type?: string[];
  readonly source?: string;
  readonly json?: boolean;
  readonly limit?: number;
}

/** A filter over events: subject pattern (NATS wildcards), event types, source prefix. */
export function eventFilter(subject: string | undefined, opts: TailOptions): (e: Envelope) => boolean {
  const types = opts.type !== undefined && opts.type.length > 0 ? new Set(opts.type) : undefined;
  return (e) =>
    (subject === undefined || matchSubject(subject, e.subject) || matchSubject(subjectOf(e.run, subject), e.subject)) &&
    (types === undefined || types.has(e.type)) &&
    (opts.source === undefined || e.source === opts.source || e.source.startsWith(`${opts.source}.`));
}

/** One readable line per event. */
export function formatEvent(e: Envelope): string {
  return `#${String(e.seq).padStart(6)} ${formatNs(e.timeNs).padStart(14)}  ${e.source.padEnd(14)} ${e.type.padEnd(24)} ${JSON.stringify(e.payload)}`;
}

/**
 * `tyrsim tail <log> [subject]` prints the events of a log that match; `tyrsim tail --nats URL
 * [subject]` follows a live run on NATS until interrupted. Subjects may be full
 * (`tyrsim.boot-1.gpu0.>`) or relative to the run (`gpu0.pwr.>`).
 */
export async function tailCommand(log: string | undefined, subject: string | undefined, opts: TailOptions): Promise<number> {
  const print = (e: Envelope) => process.stdout.write((opts.json === true ? JSON.stringify(e) : formatEvent(e)) + "\n");
  const keep = eventFilter(subject, opts);
  if (opts.nats !== undefined) return tailNats(opts.nats, subject, opts, keep, print);
  if (log === undefined) throw new Error("tail needs a log file, or --nats URL for a live run");
  const reader = new JsonlLogReader(log);
  let shown = 0;
  for (const e of reader) {
    if (!keep(e)) continue;
    print(e);
    if (opts.limit !== undefined && ++shown >= opts.limit) break;
  }
  await reader.close();
  return 0;
}

async function tailNats(url: string, subject: string | undefined, opts: TailOptions, keep: (e: Envelope) => boolean, print: (e: Envelope) => void): Promise<number> {
  const { connectNatsTransport } = await import("../../shared/bus/natsTransport.ts");
  const { EventBus } = await import("../../shared/bus/eventBus.ts");
  const { createCatalogue } = await import("../../services/catalogue.ts");
  const transport = await connectNatsTransport({ servers: url, name: "tyrsim-tail", waitOnFirstConnect: false });
  const run = opts.run ?? "*";
  const pattern = subject === undefined ? `tyrsim.${run}.>` : subject.startsWith("tyrsim.") ? subject : subjectOf(run, subject);
  const bus = new EventBus(transport, createCatalogue(), { run: opts.run ?? "tail", service: "tail" });
  let shown = 0;
  await new Promise<void>((resolve) => {
    const sub = bus.events(pattern).subscribe((e) => {
      if (!keep(e)) return;
      print(e);
      if (opts.limit !== undefined && ++shown >= opts.limit) {
        sub.unsubscribe();
        resolve();
      }
    });
    process.once("SIGINT", () => {
      sub.unsubscribe();
      resolve();
    });
  });
  await transport.close();
  return 0;
}
