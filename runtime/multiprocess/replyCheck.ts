import { isCanonicalEnvelope } from "../../shared/events/envelope.ts";
import { LevelBatchReplySchema, LevelReplySchema, type LevelBatchReply, type LevelReply } from "./protocol.ts";
import { every, isBatch, isDraft, isLevel, isOrderKey, isRecord, keyCount } from "./wireShapes.ts";

/*
 * The coordinator validates every reply at the process boundary, but a run's replies carry every
 * event of the run: checking them with the zod schemas cost about a microsecond per event (a copy
 * of every object). These checks accept exactly what the schemas accept unchanged — the same
 * fields, nothing else — at the speed of reading the parsed JSON once; anything else goes through
 * the schema, which strips unknown fields or names what is wrong.
 */

function isLevelReply(v: unknown): boolean {
  return isRecord(v) && every(v["drafts"], isDraft) && (v["nextTimer"] === null || isOrderKey(v["nextTimer"])) && keyCount(v, 2);
}

function isRunAheadReply(v: unknown): boolean {
  return (
    isRecord(v) &&
    every(v["delivered"], isCanonicalEnvelope) &&
    every(v["left"], isDraft) &&
    (v["reached"] === null || isLevel(v["reached"])) &&
    (v["nextTimer"] === null || isOrderKey(v["nextTimer"])) &&
    keyCount(v, 4)
  );
}

/** A `LevelReply` from the wire (parsed JSON), validated: as it is when it is exactly what the schema describes, else through `LevelReplySchema` (which throws naming the field). */
export function parseLevelReply(data: unknown): LevelReply {
  return isLevelReply(data) ? (data as LevelReply) : LevelReplySchema.parse(data);
}

/** A `LevelBatchReply` from the wire, validated as `parseLevelReply` validates one reply. */
export function parseLevelBatchReply(data: unknown): LevelBatchReply {
  return isBatch(data, "replies", isLevelReply, isRunAheadReply) ? (data as LevelBatchReply) : LevelBatchReplySchema.parse(data);
}
