import type { Envelope } from "../../shared/events/envelope.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import type { Level } from "../../shared/runtime/level.ts";
import type { OrderKey } from "../../shared/time/scheduler.ts";
import type { LevelReply, LevelRequest, ReceivedRunAhead, RunAheadRequest } from "./protocol.ts";

/** A service as the coordinator sees it: what its actors listen to, its next timer, and how to ask it to handle a level. */
export interface RemoteService {
  readonly name: string;
  readonly patterns: readonly string[];
  /**
   * The partition of the run its actors belong to — one GPU's actors, which never see another
   * GPU's events — or undefined when they span partitions (the coordinator then has no lookahead).
   * A process hosting several GPUs is one remote service per GPU, each with its own timers.
   */
  readonly partition?: number;
  /** The actors it hosts (an event nobody listens to belongs to its source's partition). */
  readonly actors?: readonly string[];
  /**
   * The patterns its owned actors listen to, when its shadows listen to others: an event only its
   * shadows see may be held back for its next request (`LevelRequest.earlier`). Undefined: never.
   */
  readonly ownedPatterns?: readonly string[];
  nextTimer: OrderKey | null;
  exchange(req: LevelRequest): Promise<LevelReply>;
  /**
   * Several requests to the same process in one exchange (its partitions' levels of one round),
   * answered in order. The remote services of one process share it; without it, one exchange each.
   */
  exchangeBatch?(reqs: readonly LevelRequest[], ahead?: readonly RunAheadRequest[]): Promise<{ readonly replies: LevelReply[]; readonly ahead: ReceivedRunAhead[] }>;
  /**
   * The service hosts every actor of its partition (a whole GPU) and runs it ahead on its own when
   * asked (`RunAheadRequest`, through `exchangeBatch`).
   */
  readonly runAhead?: boolean;
}

/** One service's share of a round: its level, the round's events it listens to, and the earlier levels held back for its shadows. */
export interface RoundRequest {
  readonly service: RemoteService;
  readonly level: Level;
  readonly events: Envelope[];
  readonly earlier?: NonNullable<LevelRequest["earlier"]>;
}

/** What one exchange of a round brought back. */
export type RoundReply = { readonly kind: "level"; readonly drafts: Draft[] } | { readonly kind: "ahead"; readonly partition: number; readonly reply: ReceivedRunAhead };

/**
 * The exchanges of round `round`: one per process that batches (its partitions' level requests and
 * runs ahead together), one per request otherwise. Each service's next timer is noted as its reply
 * comes; each exchange resolves to what came back: drafts, and the runs ahead per partition.
 */
export function exchangeRound(
  round: number,
  requests: readonly RoundRequest[],
  aheads: readonly { service: RemoteService; req: RunAheadRequest }[],
): Promise<readonly RoundReply[]>[] {
  const toRequest = ({ service, level, events, earlier }: RoundRequest): LevelRequest => ({
    round,
    level,
    events,
    stopBefore: null,
    ...(service.partition !== undefined ? { partition: service.partition } : {}),
    ...(earlier !== undefined ? { earlier } : {}),
  });
  const batches = new Map<string, { service: RemoteService; levels: { service: RemoteService; req: LevelRequest }[]; ahead: RunAheadRequest[] }>();
  const out: Promise<readonly RoundReply[]>[] = [];
  const batchOf = (service: RemoteService) => {
    let b = batches.get(service.name);
    if (b === undefined) batches.set(service.name, (b = { service, levels: [], ahead: [] }));
    return b;
  };
  for (const r of requests) {
    const service = r.service;
    if (service.exchangeBatch === undefined) {
      out.push(
        service.exchange(toRequest(r)).then((reply) => {
          service.nextTimer = reply.nextTimer;
          return [{ kind: "level", drafts: reply.drafts as Draft[] }];
        }),
      );
      continue;
    }
    batchOf(service).levels.push({ service, req: toRequest(r) });
  }
  for (const a of aheads) batchOf(a.service).ahead.push(a.req);
  for (const b of batches.values()) {
    const exchange = b.service.exchangeBatch as NonNullable<RemoteService["exchangeBatch"]>;
    out.push(
      exchange(
        b.levels.map((x) => x.req),
        b.ahead,
      ).then(({ replies, ahead }) => {
        const drafts: Draft[] = [];
        b.levels.forEach((x, i) => {
          const reply = replies[i] as LevelReply;
          x.service.nextTimer = reply.nextTimer;
          for (const d of reply.drafts) drafts.push(d as Draft);
        });
        return [{ kind: "level", drafts }, ...b.ahead.map((req, i): RoundReply => ({ kind: "ahead", partition: req.partition, reply: ahead[i] as ReceivedRunAhead }))];
      }),
    );
  }
  return out;
}

