import { isCanonicalEnvelope, isCount } from "../../shared/events/envelope.ts";
import { LevelBatchRequestSchema, LevelRequestSchema, type LevelBatchRequest, type LevelRequest } from "./protocol.ts";
import { every, isBatch, isDraft, isLevel, isOrderKey, isRecord, keyCount } from "./wireShapes.ts";

/*
 * A service validates every request at the process boundary, and a run of many small rounds sends
 * it one request per round: through the zod schemas that cost about as much as handling the level
 * itself (a copy of every object). These checks accept exactly what the schemas accept unchanged,
 * at the speed of reading the parsed JSON once; anything else goes through the schema, which
 * strips unknown fields or names what is wrong.
 */

/** One held-back level of `LevelRequest.earlier`: `{ level, events }`. */
function isEarlierLevel(v: unknown): boolean {
  return isRecord(v) && isLevel(v["level"]) && every(v["events"], isCanonicalEnvelope) && keyCount(v, 2);
}

function isLevelRequest(v: unknown): boolean {
  if (!isRecord(v)) return false;
  const partition = v["partition"];
  const earlier = v["earlier"];
  return (
    isCount(v["round"]) &&
    (partition === undefined || isCount(partition)) &&
    isLevel(v["level"]) &&
    every(v["events"], isCanonicalEnvelope) &&
    (v["stopBefore"] === null || isOrderKey(v["stopBefore"])) &&
    (earlier === undefined || every(earlier, isEarlierLevel)) &&
    keyCount(v, 4 + (partition === undefined ? 0 : 1) + (earlier === undefined ? 0 : 1))
  );
}

function isRunAheadRequest(v: unknown): boolean {
  if (!isRecord(v)) return false;
  const maxBytes = v["maxBytes"];
  return (
    isCount(v["round"]) &&
    isCount(v["partition"]) &&
    every(v["events"], isDraft) &&
    (v["before"] === null || isLevel(v["before"])) &&
    typeof v["untilNs"] === "number" &&
    Number.isFinite(v["untilNs"]) &&
    isCount(v["seqBase"]) &&
    (maxBytes === undefined || (isCount(maxBytes) && (maxBytes as number) > 0)) &&
    keyCount(v, maxBytes === undefined ? 6 : 7)
  );
}

/** A `LevelRequest` from the wire (parsed JSON), validated: as it is when it is exactly what the schema describes, else through `LevelRequestSchema` (which throws naming the field). */
export function parseLevelRequest(data: unknown): LevelRequest {
  return isLevelRequest(data) ? (data as LevelRequest) : LevelRequestSchema.parse(data);
}

/** A `LevelBatchRequest` from the wire, validated as `parseLevelRequest` validates one request. */
export function parseLevelBatchRequest(data: unknown): LevelBatchRequest {
  return isBatch(data, "batch", isLevelRequest, isRunAheadRequest) ? (data as LevelBatchRequest) : LevelBatchRequestSchema.parse(data);
}
