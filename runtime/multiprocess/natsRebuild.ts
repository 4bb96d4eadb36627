import { openJetStreamLogSource } from "../../shared/log/jetstreamSource.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { matchSubject } from "../../shared/events/subjects.ts";
import { HostRebuild, type HostRebuildDivergence } from "./hostRebuild.ts";
import type { ServicePartitionHost } from "./inProcessServices.ts";
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
 * The rebuild of a service's partitions (one actor host per GPU): each event goes to the
 * partitions whose actors listen to it or published it, so a partition's timers fire between its
 * own events only — partitions may have been run to different levels.
 */
export class PartitionsRebuild {
  private readonly parts: { readonly p: ServicePartitionHost; readonly rebuild: HostRebuild; readonly patterns: readonly string[]; readonly actors: ReadonlySet<string> }[];
  /** Events fed (each counted once). */
  events = 0;

  constructor(partitions: readonly ServicePartitionHost[]) {
    this.parts = partitions.map((p) => ({ p, rebuild: new HostRebuild(p.host, p.owned), patterns: p.host.subscribedPatterns(), actors: new Set(p.host.hosted().keys()) }));
  }

  /** The next event, in log order (logged events first, then the resume point's pending ones). */
  feed(e: Envelope): void {
    this.events++;
    const source = e.source.startsWith("runtime.") ? e.source.slice("runtime.".length) : e.source;
    for (const x of this.parts) if (x.actors.has(source) || x.patterns.some((pat) => matchSubject(pat, e.subject))) x.rebuild.feed(e);
  }

  /** Fire each partition's timers through its level of the resume point; the first divergence, if any. */
  finish(resume: NonNullable<Welcome["resume"]>): { readonly events: number; readonly divergence?: HostRebuildDivergence } {
    let divergence: HostRebuildDivergence | undefined;
    for (const x of this.parts) {
      const through = resume.throughByPartition?.[String(x.p.partition)];
      const r = x.rebuild.finish(through === undefined ? resume.through : through);
      divergence ??= r.divergence;
    }
    return { events: this.events, ...(divergence !== undefined ? { divergence } : {}) };
  }
}

/**
 * Rebuild a restarted service's actors from the run's log in JetStream, up to the coordinator's
 * resume point, then the events the coordinator delivered but has not logged yet (its partitions
 * ran ahead of the log). The coordinator's sink publishes asynchronously, so the last events may
 * not be stored yet: the log is read again from where it stopped until every event before
 * `beforeSeq` has been fed.
 */
export async function rebuildFromJetStream(
  natsUrl: string,
  run: string,
  partitions: readonly ServicePartitionHost[],
  resume: NonNullable<Welcome["resume"]>,
): Promise<{ readonly events: number; readonly divergence?: HostRebuildDivergence }> {
  const rebuild = new PartitionsRebuild(partitions);
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
  for (const e of resume.pending ?? []) rebuild.feed(e);
  return rebuild.finish(resume);
}
