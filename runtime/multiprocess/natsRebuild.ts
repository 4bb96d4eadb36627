import { openJetStreamLogSource } from "../../shared/log/jetstreamSource.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import { HostRebuild, type HostRebuildDivergence } from "./hostRebuild.ts";
import type { Welcome } from "./protocol.ts";

/** How long a restarted service waits for the log prefix it needs to appear in JetStream. */
const LOG_WAIT_MS = 60_000;
const POLL_MS = 100;

/** The log a restarted service needs is not (yet) in JetStream, or cannot be read. */
export class RebuildLogUnavailableError extends Error {
  override readonly name = "RebuildLogUnavailableError";
  constructor(readonly run: string, readonly needed: number, readonly have: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`cannot rebuild from the JetStream log of run '${run}': ${needed} events needed, ${have} readable after ${LOG_WAIT_MS / 1000} s${why}`, options);
  }
}

/**
 * Rebuild a restarted service's actors from the run's log in JetStream, up to the coordinator's
 * resume point. The coordinator's sink publishes asynchronously, so the last events may not be
 * stored yet: the log is read again from where it stopped until every event before
 * `beforeSeq` has been fed.
 */
export async function rebuildFromJetStream(
  natsUrl: string,
  run: string,
  host: ActorHost,
  owned: readonly string[],
  resume: NonNullable<Welcome["resume"]>,
): Promise<{ readonly events: number; readonly divergence?: HostRebuildDivergence }> {
  const rebuild = new HostRebuild(host, owned);
  const started = Date.now();
  let fed = -1;
  let lastError: unknown;
  while (fed < resume.beforeSeq - 1) {
    try {
      const source = await openJetStreamLogSource(natsUrl, run);
      try {
        for await (const e of source.events()) {
          if (e.seq <= fed) continue;
          if (e.seq >= resume.beforeSeq) break;
          rebuild.feed(e);
          fed = e.seq;
        }
      } finally {
        await source.close();
      }
    } catch (e) {
      // Not there yet, a gap still being filled, or the server restarting: read again shortly.
      lastError = e;
    }
    if (fed >= resume.beforeSeq - 1) break;
    if (Date.now() - started > LOG_WAIT_MS) throw new RebuildLogUnavailableError(run, resume.beforeSeq, fed + 1, { cause: lastError });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return rebuild.finish(resume.through);
}
