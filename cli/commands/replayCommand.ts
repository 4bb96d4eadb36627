import { replayLog, type ReplayResult } from "../../runtime/replay.ts";
import { parseScenario } from "../../shared/scenario/loadScenario.ts";
import { JsonlLogReader } from "../../shared/log/jsonlLog.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { createProgress } from "../progress.ts";

/** Options of `tyrsim replay`. */
export interface ReplayCommandOptions {
  readonly until?: number;
  readonly json?: boolean;
}

/**
 * `tyrsim replay <log>`: exit 0 when the replay reproduces the log, 1 with the first divergence
 * when it does not. With `--until SEQ`, print every actor's state after event SEQ.
 */
export async function replayCommand(path: string, opts: ReplayCommandOptions): Promise<number> {
  const durationNs = peekDuration(path);
  let progress = createProgress("replay", durationNs);
  const result = await replayLog(path, {
    ...(opts.until !== undefined ? { untilSeq: opts.until } : {}),
    onProgress: (t, n) => progress.update(t, n),
    // The bytes differ: the run is replayed again, line by line, to find where.
    onComparingLines: () => {
      progress.stop();
      progress = createProgress("replay, finding the first divergence", durationNs);
    },
  });
  progress.stop();
  process.stdout.write(opts.json === true ? JSON.stringify(result, null, 2) + "\n" : formatReplay(result, opts.until));
  return result.match ? 0 : 1;
}

function peekDuration(path: string): number {
  const reader = new JsonlLogReader(path);
  const { text, file } = reader.header.scenario;
  void reader.close();
  return parseScenario(text, file, createCatalogue()).duration;
}

/** The human report of a replay. */
export function formatReplay(r: ReplayResult, until: number | undefined): string {
  const lines = [`replay of run ${r.header.run} (scenario ${r.header.scenario.file}, seed ${r.header.seed})`];
  if (r.divergence !== undefined) {
    const d = r.divergence;
    lines.push(`  DIVERGED at event #${d.seq} after ${r.events} matching events`);
    lines.push(`    expected (log):    ${d.expected ?? "(log ends here)"}`);
    lines.push(`    actual (replay):   ${d.actual ?? "(replay ended here)"}`);
  } else {
    const how = r.comparedBy === "bytes" ? "every replayed line's bytes against the log's" : "compared line by line";
    lines.push(`  match: ${r.events} events identical${until !== undefined ? ` up to #${until}` : ""} (${how})`);
    lines.push(`  digest: ${r.digest}`);
  }
  if (r.states !== undefined) {
    lines.push(`  actor states after event #${until}:`);
    for (const [name, state] of Object.entries(r.states)) lines.push(`    ${name}: ${JSON.stringify(state)}`);
  }
  return lines.join("\n") + "\n";
}
