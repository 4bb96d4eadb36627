import { eventLine } from "../../shared/log/logFormat.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { levelLess, type Level } from "../../shared/runtime/level.ts";
import type { LevelReply, LevelRequest, RunAheadRequest } from "./protocol.ts";
import { runAhead, type DraftPlace, type RunAheadResult } from "./runAhead.ts";

/**
 * The service side of one level exchange, independent of the transport: hand the level to the
 * process's actor host and describe what came out — after the held-back levels it carries, if
 * any (`runEarlier`). Used over NATS by service processes and directly, in-process, by the
 * coordinator tests.
 */
export function handleLevel(host: ActorHost, req: LevelRequest, replayedThrough: Level | null = null): LevelReply {
  if (req.earlier !== undefined) runEarlier(host, req.earlier, replayedThrough);
  // runLevel hands over a fresh array of its own: no copy needed.
  return { drafts: host.runLevel(req.level, req.events, req.stopBefore ?? undefined), nextTimer: host.nextTimerKey() ?? null };
}

/** A held-back delivery changed more than the shadows it was for: the coordinator could not hold it back. */
export class HeldBackDeliveryError extends Error {
  override readonly name = "HeldBackDeliveryError";
  constructor(readonly level: Level, what: string) {
    super(`the events held back for this service's shadows at ${level.timeNs} ns depth ${level.depth} ${what}: only shadows (which publish nothing and arm no timer) may get held-back events`);
  }
}

/**
 * The held-back levels of a request (`LevelRequest.earlier`), each run at its own level before the
 * request's level. Only the service's shadows listen to their events, and what the coordinator
 * counted on is checked: nothing published, the next timer unchanged. Levels at or before
 * `replayedThrough` were replayed by a rebuild from the log (a restarted process) and are skipped.
 */
function runEarlier(host: ActorHost, earlier: NonNullable<LevelRequest["earlier"]>, replayedThrough: Level | null): void {
  for (const { level, events } of earlier) {
    if (replayedThrough !== null && !levelLess(replayedThrough, level)) continue;
    const timer = host.nextTimerKey();
    if (host.runLevel(level, events).length > 0) throw new HeldBackDeliveryError(level, "made an actor publish");
    if (host.nextTimerKey() !== timer) throw new HeldBackDeliveryError(level, "changed the service's next timer");
  }
}


/** A request for a partition this service does not host. */
export class UnknownPartitionError extends Error {
  override readonly name = "UnknownPartitionError";
  constructor(readonly partition: number | undefined, readonly hosted: readonly number[]) {
    super(`level request for partition ${partition ?? "(none)"}, but this service hosts partition(s) ${hosted.join(", ")}`);
  }
}

/**
 * `handleLevel` made idempotent for a transport that may retry, over a service's partitions (one
 * actor host per GPU): a request for the round already answered for its partition gets the same
 * answer again instead of running the level twice. A request naming no partition goes to the
 * service's only one. `replayedThrough` gives, per partition, the level a rebuild from the log
 * brought it to (a restarted process): held-back levels up to there are not run again.
 */
export function levelHandler(hosts: ReadonlyMap<number, ActorHost>, replayedThrough: (partition: number) => Level | null = () => null): (req: LevelRequest) => LevelReply {
  const last = new Map<number, { round: number; reply: LevelReply }>();
  const only = hosts.size === 1 ? ([...hosts.keys()][0] as number) : undefined;
  return (req) => {
    const partition = req.partition ?? only;
    const host = partition === undefined ? undefined : hosts.get(partition);
    if (partition === undefined || host === undefined) throw new UnknownPartitionError(req.partition, [...hosts.keys()]);
    const cached = last.get(partition);
    if (cached !== undefined && cached.round === req.round) return cached.reply;
    const reply = handleLevel(host, req, replayedThrough(partition));
    last.set(partition, { round: req.round, reply });
    return reply;
  };
}

/**
 * The service side of `RunAheadRequest`s over a whole-GPU service's partitions: each runs its
 * partition on its own (`runAhead`), idempotent per round and partition like `levelHandler`. The
 * result is a `RunAheadReply` with its events' lines besides: send it with `batchReplyText`.
 */
export function runAheadHandler(hosts: ReadonlyMap<number, ActorHost>, run: string, placeFor: (partition: number) => (d: Draft) => DraftPlace): (req: RunAheadRequest) => RunAheadResult {
  const last = new Map<number, { round: number; reply: RunAheadResult }>();
  const places = new Map<number, (d: Draft) => DraftPlace>();
  return (req) => {
    const host = hosts.get(req.partition);
    if (host === undefined) throw new UnknownPartitionError(req.partition, [...hosts.keys()]);
    const cached = last.get(req.partition);
    if (cached !== undefined && cached.round === req.round) return cached.reply;
    let place = places.get(req.partition);
    if (place === undefined) places.set(req.partition, (place = placeFor(req.partition)));
    const reply = runAhead(host, run, req.events as Draft[], req.before, req.untilNs, req.seqBase, place, req.maxBytes);
    last.set(req.partition, { round: req.round, reply });
    return reply;
  };
}

/**
 * The JSON text of one run ahead's `RunAheadReply`: its events' canonical lines as `runAhead` made
 * them, one per text line (`canonicalLines`, for the coordinator to log as they are), the rest
 * stringified.
 */
function runAheadReplyText(r: RunAheadResult): string {
  const lines = r.lines ?? r.delivered.map(eventLine);
  const delivered = lines.length === 0 ? `[],` : `[\n${lines.join(",\n")}\n],"canonicalLines":true,`;
  return `{"delivered":${delivered}"left":${JSON.stringify(r.left)},"reached":${JSON.stringify(r.reached)},"nextTimer":${JSON.stringify(r.nextTimer)}}`;
}

/**
 * The JSON text of a `LevelBatchReply` for `{ replies, ahead }`, written with the lines each run
 * ahead already made for its events (to measure its reply), so no delivered event is stringified
 * a second time — here or, thanks to `canonicalLines`, at the coordinator.
 */
export function batchReplyText(replies: readonly LevelReply[], ahead: readonly RunAheadResult[] | undefined): string {
  const aheadText = ahead === undefined ? "" : `,"ahead":[${ahead.map(runAheadReplyText).join(",")}]`;
  return `{"replies":${JSON.stringify(replies)}${aheadText}}`;
}
