import type { Envelope } from "../../shared/events/envelope.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { atLevel, levelOf, type Level } from "../../shared/runtime/level.ts";
import type { HeldBackShares } from "./heldBackShares.ts";
import type { RunAheadRequest } from "./protocol.ts";
import type { RemoteService, RoundRequest } from "./roundExchanges.ts";
import type { ServiceRoutes } from "./serviceRoutes.ts";

/** What a round delivers and to whom: its events, the level of each partition (or of the whole run), the services and their routes. */
export interface RoundShares {
  readonly events: readonly Envelope[];
  /** Partition → its level this round. */
  readonly levels: ReadonlyMap<number, Level>;
  /** The whole run's level, for a round in sync (every service at that level). */
  readonly whole: Level | undefined;
  readonly services: readonly RemoteService[];
  readonly routes: ServiceRoutes;
  readonly heldBack: HeldBackShares;
}

/**
 * One request per service with events or a timer in the round, at its partition's level. A
 * service whose share is only events for its shadows (a memory replica's writes, seen by every
 * process) gets no request: the share is held back and goes with its next request, as `earlier`
 * levels — shadows publish nothing and arm no timer, so nothing the round brings back changes.
 */
export function requestsOf({ events, levels, whole, services, routes, heldBack }: RoundShares): RoundRequest[] {
  const batches = new Map<RemoteService, Envelope[]>();
  const owning = new Set<RemoteService>();
  for (const envelope of events) {
    for (const s of routes.listeners(envelope.subject)) {
      let b = batches.get(s);
      if (b === undefined) batches.set(s, (b = []));
      b.push(envelope);
    }
    for (const s of routes.owners(envelope.subject)) owning.add(s);
  }
  const levelFor = (s: RemoteService): Level | undefined => whole ?? levels.get(s.partition as number);
  for (const s of services) {
    const level = levelFor(s);
    if (level !== undefined && s.nextTimer !== null && atLevel(levelOf(s.nextTimer), level)) {
      owning.add(s);
      if (!batches.has(s)) batches.set(s, []);
    }
  }
  const out: RoundRequest[] = [];
  for (const [service, shared] of batches) {
    const level = levelFor(service) as Level;
    if (!owning.has(service) && heldBack.hold(service, level, shared)) continue;
    const earlier = heldBack.release(service);
    out.push(earlier === undefined ? { service, level, events: shared } : { service, level, events: shared, earlier });
  }
  return out;
}

/** About how many bytes of events the runs ahead of one process may return in one reply (NATS messages are limited to 1 MiB by default). */
export const RUN_AHEAD_REPLY_BYTES = 256 * 1024;

/**
 * The run-ahead requests of a round: each closed partition (`ahead`: partition → the bound it may
 * run to) gets its queued events below its bound (`take`), and a share of its process's reply
 * budget — one reply per process carries all its partitions' runs.
 */
export function aheadRequestsOf(
  ahead: ReadonlyMap<number, Level | null>,
  byPartition: ReadonlyMap<number, readonly RemoteService[]>,
  take: (partition: number, before: Level | null) => Draft[],
  at: { readonly round: number; readonly untilNs: number; readonly seqBase: number },
): { service: RemoteService; req: RunAheadRequest }[] {
  const serviceOf = (p: number) => (byPartition.get(p) as readonly RemoteService[])[0] as RemoteService;
  const perProcess = new Map<string, number>();
  for (const p of ahead.keys()) perProcess.set(serviceOf(p).name, (perProcess.get(serviceOf(p).name) ?? 0) + 1);
  const out: { service: RemoteService; req: RunAheadRequest }[] = [];
  for (const [p, before] of ahead) {
    const service = serviceOf(p);
    const maxBytes = Math.floor(RUN_AHEAD_REPLY_BYTES / (perProcess.get(service.name) ?? 1));
    out.push({ service, req: { round: at.round, partition: p, events: take(p, before), before, untilNs: at.untilNs, seqBase: at.seqBase, maxBytes } });
  }
  return out;
}
