import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import type { Envelope } from "../shared/events/envelope.ts";
import { LineReader } from "../shared/log/lineReader.ts";

/**
 * The bare in-process dispatch loop: each event handed to every subscriber function, nothing
 * else. The floor any bus or runtime is compared against ("how much does our machinery cost?").
 */
export function bareDispatch(events: readonly Envelope[], subscribers = 2): number {
  let seen = 0;
  const handlers = Array.from({ length: subscribers }, () => (e: Envelope) => {
    if (e.seq >= 0) seen++;
  });
  for (const e of events) for (const h of handlers) h(e);
  return seen / subscribers;
}

/** The log limit: JSON-lines write of the same events, batched the way a good log writer does. */
export function bareJsonlWrite(events: readonly Envelope[], path: string): number {
  const fd = openSync(path, "w");
  let batch: string[] = [];
  for (const e of events) {
    batch.push(JSON.stringify(e));
    if (batch.length === 2048) {
      writeSync(fd, batch.join("\n") + "\n");
      batch = [];
    }
  }
  if (batch.length > 0) writeSync(fd, batch.join("\n") + "\n");
  closeSync(fd);
  return events.length;
}

/** The replay limit: read a JSON-lines log line by line and parse every line. */
export function bareReadParse(path: string): number {
  const r = new LineReader(path);
  let n = 0;
  for (let l = r.next(); l !== undefined; l = r.next()) if (l.length > 0 && JSON.parse(l) !== null) n++;
  r.close();
  return n - 1;
}

/** Load a log's events into memory (benchmark inputs only; small enough by construction). */
export function loadEvents(path: string, limit = Number.POSITIVE_INFINITY): Envelope[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Envelope[] = [];
  for (let i = 1; i < lines.length && out.length < limit; i++) if ((lines[i] as string).length > 0) out.push(JSON.parse(lines[i] as string) as Envelope);
  return out;
}
