import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { LevelReply, LevelRequest } from "./protocol.ts";

/**
 * The service side of one level exchange, independent of the transport: hand the level to the
 * process's actor host and describe what came out. Used over NATS by service processes and
 * directly, in-process, by the coordinator tests.
 */
export function handleLevel(host: ActorHost, req: LevelRequest): LevelReply {
  const drafts = host.runLevel(req.level, req.events, req.stopBefore ?? undefined);
  return { drafts: [...drafts], nextTimer: host.nextTimerKey() ?? null };
}

/**
 * `handleLevel` made idempotent for a transport that may retry: a request for the round already
 * answered gets the same answer again instead of running the level twice.
 */
export function levelHandler(host: ActorHost): (req: LevelRequest) => LevelReply {
  let last: { round: number; reply: LevelReply } | undefined;
  return (req) => {
    if (last !== undefined && last.round === req.round) return last.reply;
    const reply = handleLevel(host, req);
    last = { round: req.round, reply };
    return reply;
  };
}
