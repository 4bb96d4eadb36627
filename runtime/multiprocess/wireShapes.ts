import { isCount, isName } from "../../shared/events/envelope.ts";

/*
 * Exact shape checks of the protocol's parts, for the checks at the process boundary
 * (`replyCheck.ts`, `requestCheck.ts`): each accepts exactly what its zod schema in `protocol.ts`
 * accepts unchanged — the same fields, nothing else — at the speed of reading the parsed JSON
 * once. Whatever they refuse goes through the schema, which strips unknown fields or names what is
 * wrong.
 */

/** A plain JSON object (not an array, not null). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Has `o` exactly `n` own keys (so, having checked `n` named ones, nothing else)? */
export function keyCount(o: object, n: number): boolean {
  let i = 0;
  for (const _ in o) i++;
  return i === n;
}

/** `LevelSchema` as it stands: `{ timeNs, depth }`. */
export function isLevel(v: unknown): boolean {
  return isRecord(v) && isCount(v["timeNs"]) && isCount(v["depth"]) && keyCount(v, 2);
}

/** `OrderKeySchema`: `{ timeNs, depth, source, n }`. */
export function isOrderKey(v: unknown): boolean {
  return isRecord(v) && isCount(v["timeNs"]) && isCount(v["depth"]) && isName(v["source"]) && isCount(v["n"]) && keyCount(v, 4);
}

/** `DraftSchema`: an order key plus `id`, `subject`, `type`, `cause` and `payload`, in any key order. */
export function isDraft(v: unknown): boolean {
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

/** Is `v` an array whose every element passes `check`? */
export const every = (v: unknown, check: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(check);

/**
 * A batch message exactly: `{ [list]: item[], ahead?: aheadItem[] }` and nothing else — the shape
 * `LevelBatchRequest` (`batch`) and `LevelBatchReply` (`replies`) share.
 */
export function isBatch(v: unknown, list: string, item: (x: unknown) => boolean, aheadItem: (x: unknown) => boolean): boolean {
  if (!isRecord(v) || !every(v[list], item)) return false;
  const ahead = v["ahead"];
  return ahead === undefined ? keyCount(v, 1) : every(ahead, aheadItem) && keyCount(v, 2);
}
