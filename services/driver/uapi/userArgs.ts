/**
 * How uAPI structs travel as JSON, and the kernel's generic argument rules (panthor.md §1.2).
 *
 * Conventions (one place, used by every ioctl):
 * - Field names are the header's (`vm_id`, `bo_handle`, `timeline_value` …). A missing field is 0,
 *   as in a struct user space cleared with memset.
 * - `__u32`/`__u16`/`__u8` are JSON integers in range; `__u64` is a JSON integer below 2^53 or a
 *   decimal string for anything up to 2^64 − 1 (parsed to bigint); `__s64` the same, signed.
 * - A user pointer (`__u64 pointer`, `handles`, `array`, `label`) is `0` for NULL, the string
 *   `"bad"` for an address that faults (-EFAULT when the kernel touches it), or the pointed-to
 *   data inline: a number for DEV_QUERY's output buffer, an array for arrays, a string for labels
 *   (so a label cannot be the three letters "bad").
 * - `drm_panthor_obj_array {stride, count, array}`: `count` elements are copied; an `array`
 *   shorter than `count` faults. An element may carry `tail`: the bytes user space declared past
 *   the kernel's struct (`stride` > sizeof); any non-zero byte there is -E2BIG
 *   (`copy_struct_from_user`). `stride` below the minimal (v1) size is -EINVAL; `count == 0`
 *   copies nothing and checks nothing.
 * - A value that does not parse (wrong type, out of range) is -EINVAL: the struct the kernel would
 *   see is not one the header describes.
 */
import { z } from "zod";
import { ERRNO } from "../../../shared/gpu/errno.ts";

/** The marker of a user pointer that faults. */
export const BAD_POINTER = "bad" as const;

/** `__u8`. */
export const U8 = z.number().int().min(0).max(0xff);
/** A `__u32` that must be there: an element of a user array. */
export const U32Value = z.number().int().min(0).max(0xffff_ffff);
/** `__u32`, default 0. */
export const U32 = U32Value.default(0);

const U64_LIMIT = 1n << 64n;
const S64_LIMIT = 1n << 63n;

/** `__u64`, default 0, parsed to bigint. */
export const U64 = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[0-9]{1,20}$/, "a decimal u64")])
  .default(0)
  .transform((v) => BigInt(v))
  .refine((v) => v < U64_LIMIT, "does not fit a u64");

/** `__s64`, default 0, parsed to bigint. */
export const S64 = z
  .union([z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^-?[0-9]{1,19}$/, "a decimal s64")])
  .default(0)
  .transform((v) => BigInt(v))
  .refine((v) => v >= -S64_LIMIT && v < S64_LIMIT, "does not fit an s64");

/** A user pointer to `T`: NULL (0), a faulting address ("bad"), or the data. */
export function userPtr<T extends z.ZodType>(data: T) {
  return z.union([z.literal(0), z.literal(BAD_POINTER), data]).default(0);
}

/** The bigint as a JS number when exact, else `Infinity` (every range check then fails, as it would in u64). */
export function num(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.POSITIVE_INFINITY;
}

/** A u64 for an output field: a number when below 2^53, else a decimal string. */
export function u64Out(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** A user pointer to an array whose elements are parsed when copied (`copyArray`, `copyObjArray`). */
export const UserArrayPtr = userPtr(z.array(z.unknown()));

const ObjArrayFields = z.object({ stride: U32, count: U32, array: UserArrayPtr });
/** `struct drm_panthor_obj_array`, elements unparsed until copied. */
export const ObjArraySchema = ObjArrayFields.default({ stride: 0, count: 0, array: 0 });
/** A parsed obj_array. */
export type ObjArray = z.infer<typeof ObjArraySchema>;

/** A refused argument: the negative errno the ioctl returns. */
export interface ArgError {
  readonly ok: false;
  readonly ret: number;
}

/** Result of copying or parsing user data. */
export type ArgResult<T> = { readonly ok: true; readonly value: T } | ArgError;

/** A negative errno as an {@link ArgError}. */
export const argError = (name: keyof typeof ERRNO): ArgError => ({ ok: false, ret: -ERRNO[name] });

/** What a fast reader returns for anything it does not read itself: the schema decides. */
const ASK_SCHEMA = Symbol("ask the schema");
type FastRead = (raw: unknown) => unknown;

const isU32 = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The field schemas the fast path reads itself, each only in its common form: a JSON integer in
 * range, a missing field (its default), a NULL, "bad" or inline array pointer. Anything else — a
 * decimal string for a `__u64`, a value out of range, a wrong type — is left to the schema, which
 * decides (and refuses) exactly as it always did.
 */
const FAST_FIELDS = new Map<z.ZodType, FastRead>([
  [U32, (v) => (v === undefined ? 0 : isU32(v) ? v : ASK_SCHEMA)],
  [U32Value, (v) => (isU32(v) ? v : ASK_SCHEMA)],
  [U64, (v) => (v === undefined ? 0n : typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : ASK_SCHEMA)],
  [S64, (v) => (v === undefined ? 0n : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : ASK_SCHEMA)],
  [UserArrayPtr, (v) => (v === undefined ? 0 : v === 0 || v === BAD_POINTER ? v : Array.isArray(v) ? v.slice() : ASK_SCHEMA)],
]);
{
  const fields = fastObject(ObjArrayFields) as FastRead;
  FAST_FIELDS.set(ObjArraySchema, (v) => (v === undefined ? { stride: 0, count: 0, array: 0 } : fields(v)));
}

/** A reader of an object schema's common form, when every field is one the fast path reads; else undefined. */
function fastObject(schema: z.ZodType): FastRead | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined;
  const fields: [string, FastRead][] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const read = FAST_FIELDS.get(field);
    if (read === undefined) return undefined;
    fields.push([key, read]);
  }
  return (raw) => {
    if (!isObject(raw)) return ASK_SCHEMA;
    const out: Record<string, unknown> = {};
    for (const [key, read] of fields) {
      const v = read(raw[key]);
      if (v === ASK_SCHEMA) return ASK_SCHEMA;
      out[key] = v;
    }
    return out;
  };
}

/** Fast readers by schema, built on first use (null: the schema has a field the fast path does not read). */
const fastReaders = new WeakMap<z.ZodType, FastRead | null>();

/**
 * Parse user data with `schema`: first the fast reader of its common form (every field an integer
 * in range, a default, a pointer), giving exactly what the schema gives there, then the schema
 * for anything else. A zod parse in the middle of the simulation cost as much as the ioctl it
 * served (zod's generic code, cold between ioctls); the schema still types the value and decides
 * every case the fast reader leaves to it.
 */
function parseUser<S extends z.ZodType>(schema: S, raw: unknown): { ok: true; value: z.infer<S> } | { ok: false } {
  let fast = fastReaders.get(schema);
  if (fast === undefined) {
    fast = FAST_FIELDS.get(schema) ?? fastObject(schema) ?? null;
    fastReaders.set(schema, fast);
  }
  if (fast !== null) {
    const v = fast(raw);
    if (v !== ASK_SCHEMA) return { ok: true, value: v as z.infer<S> };
  }
  const r = schema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

/** Parse a struct with its schema; anything malformed is -EINVAL. */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): ArgResult<z.infer<S>> {
  const r = parseUser(schema, raw ?? {});
  return r.ok ? { ok: true, value: r.value } : argError("EINVAL");
}

/** Sizes of a uAPI struct copied through an obj_array: the kernel's `sizeof` and the minimal v1 size. */
export interface UobjSize {
  readonly size: number;
  readonly minSize: number;
}

const TailSchema = z.object({ tail: z.array(U8).optional() });

/**
 * `PANTHOR_UOBJ_GET_ARRAY` → `panthor_get_uobj_array`: copy `count` elements of `stride` bytes.
 * Errors in the kernel's order: stride too small -EINVAL, unreadable array -EFAULT, non-zero bytes
 * past the kernel struct -E2BIG; then each element is parsed (-EINVAL if malformed).
 */
export function copyObjArray<S extends z.ZodType>(arr: ObjArray, sizes: UobjSize, elem: S): ArgResult<z.infer<S>[]> {
  if (arr.count === 0) return { ok: true, value: [] };
  if (arr.stride < sizes.minSize) return argError("EINVAL");
  if (arr.array === 0 || arr.array === BAD_POINTER || arr.array.length < arr.count) return argError("EFAULT");
  const raw = arr.array.slice(0, arr.count);
  if (arr.stride > sizes.size) {
    for (const e of raw) {
      const t = TailSchema.safeParse(e ?? {});
      if (!t.success) return argError("EINVAL");
      const tail = t.data.tail ?? [];
      if (tail.length > arr.stride - sizes.size) return argError("EINVAL");
      if (tail.some((b) => b !== 0)) return argError("E2BIG");
    }
  }
  const out: z.infer<S>[] = [];
  for (const e of raw) {
    const p = parseUser(elem, e ?? {});
    if (!p.ok) return argError("EINVAL");
    out.push(p.value);
  }
  return { ok: true, value: out };
}

/**
 * `copy_from_user` of a `__u32`/`__u64` array behind a user pointer: `count` values, -EFAULT when
 * the pointer is NULL or bad or the array is shorter, -EINVAL when a value does not parse.
 */
export function copyArray<S extends z.ZodType>(ptr: unknown, count: number, elem: S): ArgResult<z.infer<S>[]> {
  if (count === 0) return { ok: true, value: [] };
  if (!Array.isArray(ptr) || ptr.length < count) return argError("EFAULT");
  const out: z.infer<S>[] = [];
  for (const e of ptr.slice(0, count)) {
    const p = parseUser(elem, e);
    if (!p.ok) return argError("EINVAL");
    out.push(p.value);
  }
  return { ok: true, value: out };
}
