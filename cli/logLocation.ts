import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where a log is: a JSON-lines file, or a run in JetStream written as `nats://host:port/<run>`.
 * Commands that read logs accept both; a JetStream run is copied to a temporary JSON-lines file
 * first (the same bytes), so replay, audit, trace and tail read one format.
 */
export async function materialiseLog(location: string): Promise<string> {
  const m = /^(nats:\/\/[^/]+)\/([^/]+)$/.exec(location);
  if (m === null) return location;
  const [, url, run] = m as unknown as [string, string, string];
  const { exportRunToFile } = await import("../shared/log/jetstreamExport.ts");
  const path = join(mkdtempSync(join(tmpdir(), "tyrsim-js-")), `${run}.jsonl`);
  await exportRunToFile(url, run, path);
  return path;
}
