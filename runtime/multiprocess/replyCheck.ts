import { isCanonicalEnvelope } from "../../shared/events/envelope.ts";
import { LevelBatchReplySchema, LevelReplySchema, type LevelBatchReply, type LevelReply, type ReceivedRunAhead } from "./protocol.ts";
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
    (v["canonicalLines"] === undefined || typeof v["canonicalLines"] === "boolean") &&
    every(v["left"], isDraft) &&
    (v["reached"] === null || isLevel(v["reached"])) &&
    (v["nextTimer"] === null || isOrderKey(v["nextTimer"])) &&
    keyCount(v, v["canonicalLines"] === undefined ? 4 : 5)
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

/** A `LevelBatchReply` as received: its runs ahead with the canonical lines of what they delivered, where the service wrote them so. */
export type ReceivedBatchReply = Omit<LevelBatchReply, "ahead"> & { readonly ahead?: ReceivedRunAhead[] };

/** How a canonical line starts: its id comes first. */
const ID_KEY = '{"id":"';
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;

/**
 * A `LevelBatchReply` from its text: parsed and validated (`parseLevelBatchReply`), then, for each
 * run ahead marked `canonicalLines`, its delivered events' lines taken from the text — the text
 * lines in the layout the protocol describes, in the order of the runs — so the coordinator logs
 * them without making them again. A run whose lines do not fit the layout (each one an object,
 * starting with its event's id) gets none: its lines are made from the events, as without the mark.
 */
export function parseLevelBatchReplyText(text: string): ReceivedBatchReply {
  const reply = parseLevelBatchReply(JSON.parse(text));
  const ahead = reply.ahead;
  if (ahead === undefined || !ahead.some((a) => a.canonicalLines === true && a.delivered.length > 0)) return reply;
  const segments = text.split("\n");
  let at = 1;
  const received = ahead.map((a): ReceivedRunAhead => {
    const n = a.delivered.length;
    if (a.canonicalLines !== true || n === 0) return a;
    const lines: string[] = new Array<string>(n);
    let fits = at + n < segments.length;
    for (let i = 0; i < n && fits; i++) {
      const segment = segments[at + i] as string;
      const line = i === n - 1 ? segment : segment.slice(0, -1);
      const id = (a.delivered[i] as { id: string }).id;
      fits = line.startsWith(ID_KEY) && line.startsWith(id, ID_KEY.length) && line.charCodeAt(ID_KEY.length + id.length) === QUOTE && line.charCodeAt(line.length - 1) === CLOSE_BRACE;
      lines[i] = line;
    }
    at += n + 1;
    return fits ? { ...a, lines } : a;
  });
  return { ...reply, ahead: received };
}
