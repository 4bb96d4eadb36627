import { isCanonicalEnvelope } from "../../shared/events/envelope.ts";
import { LevelBatchReplySchema, LevelReplySchema, type LevelBatchReply, type LevelReply } from "./protocol.ts";

/*
 * The coordinator validates every reply at the process boundary, but a run's replies carry every
 * event of the run: checking them with the zod schemas cost about a microsecond per event (a copy
 * of every object). These checks accept exactly what the schemas accept unchanged — the same
 * fields, nothing else — at the speed of reading the parsed JSON once; anything else goes through
 * the schema, which strips unknown fields or names what is wrong.
 */

const isName = (v: unknown): boolean => typeof v === "string" && v.length > 0;
const isCount = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Has `o` exactly `n` own keys (so, having checked `n` named ones, nothing else)? */
function keyCount(o: object, n: number): boolean {
  let i = 0;
  for (const _ in o) i++;
  return i === n;
}

/** `LevelSchema` as it stands: `{ timeNs, depth }`. */
function isLevel(v: unknown): boolean {
  return isRecord(v) && isCount(v["timeNs"]) && isCount(v["depth"]) && keyCount(v, 2);
}

/** `OrderKeySchema`: `{ timeNs, depth, source, n }`. */
function isOrderKey(v: unknown): boolean {
  return isRecord(v) && isCount(v["timeNs"]) && isCount(v["depth"]) && isName(v["source"]) && isCount(v["n"]) && keyCount(v, 4);
}

/** `DraftSchema`: an order key plus `id`, `subject`, `type`, `cause` and `payload`, in any key order. */
function isDraft(v: unknown): boolean {
  return (
    isRecord(v) &&
    isCount(v["timeNs"]) &&
    isCount(v["depth"]) &&
    isName(v["source"]) &&
    isCount(v["n"]) &&
    isName(v["id"]) &&
    isName(v["subject"]) &&
    isName(v["type"]) &&
    (v["cause"] === null || typeof v["cause"] === "string") &&
    "payload" in v &&
    keyCount(v, 9)
  );
}

const every = (v: unknown, check: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(check);

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
  if (isRecord(data) && every(data["replies"], isLevelReply)) {
    const ahead = data["ahead"];
    if (ahead === undefined ? keyCount(data, 1) : every(ahead, isRunAheadReply) && keyCount(data, 2)) return data as LevelBatchReply;
  }
  return LevelBatchReplySchema.parse(data);
}
