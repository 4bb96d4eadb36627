import { JsonlLogReader } from "./jsonlLog.ts";
import { JsonlLogSink } from "./jsonlSink.ts";
import { openJetStreamLogSink } from "./jetstreamSink.ts";
import { openJetStreamLogSource } from "./jetstreamSource.ts";

/**
 * Copy a run's log out of JetStream into a JSON-lines file — the same bytes the embedded runtime
 * writes for that run — and return its event count and digest.
 */
export async function exportRunToFile(natsUrl: string, run: string, path: string): Promise<{ events: number; digest: string }> {
  const source = await openJetStreamLogSource(natsUrl, run);
  const sink = new JsonlLogSink(path);
  sink.writeHeader(source.header);
  let events = 0;
  for await (const e of source.events()) {
    sink.append(e);
    events++;
  }
  await source.close();
  await sink.close();
  return { events, digest: sink.digest.hex() };
}

/** Copy a JSON-lines log into JetStream as its run, replacing any earlier record of that run. */
export async function importFileToRun(natsUrl: string, path: string, attempt: string): Promise<{ run: string; events: number }> {
  const reader = new JsonlLogReader(path);
  const sink = await openJetStreamLogSink(natsUrl, reader.header.run, { replace: { attempt } });
  sink.writeHeader(reader.header);
  let events = 0;
  for (const e of reader) {
    sink.append(e);
    events++;
  }
  await reader.close();
  await sink.close();
  return { run: reader.header.run, events };
}
