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
/** `__u32`, default 0. */
export const U32 = z.number().int().min(0).max(0xffff_ffff).default(0);

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

/** `struct drm_panthor_obj_array`, elements unparsed until copied. */
export const ObjArraySchema = z
  .object({ stride: U32, count: U32, array: userPtr(z.array(z.unknown())) })
  .default({ stride: 0, count: 0, array: 0 });
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

/** Parse a struct with its schema; anything malformed is -EINVAL. */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): ArgResult<z.infer<S>> {
  const r = schema.safeParse(raw ?? {});
  return r.success ? { ok: true, value: r.data } : argError("EINVAL");
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
    const p = elem.safeParse(e ?? {});
    if (!p.success) return argError("EINVAL");
    out.push(p.data);
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
    const p = elem.safeParse(e);
    if (!p.success) return argError("EINVAL");
    out.push(p.data);
  }
  return { ok: true, value: out };
}
