/**
 * C struct layouts for uAPI structures, so a struct is described once (field names and types in
 * the kernel header's order) and its offsets, size, minimum size and little-endian bytes are
 * derived the way the C compiler lays it out on arm64: every field naturally aligned, the struct
 * padded to its largest alignment. Values are JSON numbers; 64-bit fields must stay below 2^53
 * (masks and sizes do), which keeps event payloads bigint-free.
 */

/** A scalar C field type of the uAPI headers (`__u8` … `__u64`). */
export type FieldType = "u8" | "u16" | "u32" | "u64";

/** One field: its name as in the header, its type, and an array length for `__u32 x[4]`. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly count?: number;
}

/** The plain-data value of a struct described by `L`: numbers, arrays for array fields. */
export type StructOf<L extends readonly FieldSpec[]> = {
  readonly [F in L[number] as F["name"]]: F extends { readonly count: number } ? readonly number[] : number;
};

/** A struct layout with computed offsets and `sizeof`. */
export interface StructLayout<L extends readonly FieldSpec[]> {
  readonly name: string;
  readonly fields: L;
  readonly offsets: Readonly<Record<L[number]["name"], number>>;
  readonly size: number;
}

const SIZE: Readonly<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/**
 * Describe a C struct. Offsets and size follow the arm64 ABI (natural alignment).
 *
 * @example defineStruct("drm_panthor_csif_info", [{ name: "csg_slot_count", type: "u32" }]).size // 4
 */
export function defineStruct<const L extends readonly FieldSpec[]>(name: string, fields: L): StructLayout<L> {
  const offsets: Record<string, number> = {};
  let offset = 0;
  let align = 1;
  for (const f of fields) {
    const s = SIZE[f.type];
    offset = Math.ceil(offset / s) * s;
    offsets[f.name] = offset;
    offset += s * (f.count ?? 1);
    align = Math.max(align, s);
  }
  return { name, fields, offsets: offsets as Record<L[number]["name"], number>, size: Math.ceil(offset / align) * align };
}

/**
 * Byte offset just past `field`: the minimum size the kernel accepts from user space when that
 * field is the last mandatory one (`PANTHOR_UOBJ_MIN_SIZE` via `PANTHOR_UOBJ_DECL()`).
 */
export function fieldEnd<L extends readonly FieldSpec[]>(layout: StructLayout<L>, field: L[number]["name"]): number {
  const f = layout.fields.find((x) => x.name === field);
  if (f === undefined) throw new Error(`${layout.name} has no field '${field}'`);
  return layout.offsets[field as L[number]["name"]] + SIZE[f.type] * (f.count ?? 1);
}

/**
 * One field with everything the encoder and decoders need precomputed: its byte offset, element
 * size and count, the largest value its type holds, and the `struct.field` name errors quote.
 */
export interface PlacedField {
  readonly name: string;
  readonly type: FieldType;
  /** Array length, or undefined for a scalar. */
  readonly count: number | undefined;
  /** Byte offset in the struct. */
  readonly at: number;
  /** Bytes per element. */
  readonly size: number;
  readonly max: number;
  /** `struct.field`, as error messages name it. */
  readonly where: string;
}

const placed = new WeakMap<object, readonly PlacedField[]>();

/**
 * The fields of `layout` with offsets, sizes and names resolved once per layout (cached): the
 * interface blocks are encoded and decoded on every doorbell, so no per-call string building or
 * offset lookup.
 */
export function placedFields<L extends readonly FieldSpec[]>(layout: StructLayout<L>): readonly PlacedField[] {
  let p = placed.get(layout);
  if (p === undefined) {
    const offsets = layout.offsets as Readonly<Record<string, number>>;
    p = layout.fields.map((f) => ({
      name: f.name, type: f.type, count: f.count, at: offsets[f.name]!, size: SIZE[f.type],
      max: f.type === "u64" ? Number.MAX_SAFE_INTEGER : 2 ** (8 * SIZE[f.type]) - 1, where: `${layout.name}.${f.name}`,
    }));
    placed.set(layout, p);
  }
  return p;
}

const TWO_32 = 2 ** 32;

function put(view: DataView, at: number, f: PlacedField, v: number, index?: number): void {
  if (!Number.isInteger(v) || v < 0 || v > f.max) throw new RangeError(`${f.where}${index === undefined ? "" : `[${index}]`} = ${v} does not fit ${f.type}`);
  if (f.type === "u32") view.setUint32(at, v, true);
  else if (f.type === "u64") {
    // Two halves instead of setBigUint64(BigInt(v)): v is a checked integer below 2^53, so the bytes are the same.
    view.setUint32(at, v % TWO_32, true);
    view.setUint32(at + 4, Math.floor(v / TWO_32), true);
  } else if (f.type === "u8") view.setUint8(at, v);
  else view.setUint16(at, v, true);
}

function get(view: DataView, at: number, f: PlacedField, index?: number): number {
  if (f.type === "u32") return view.getUint32(at, true);
  if (f.type === "u64") {
    const hi = view.getUint32(at + 4, true);
    // 2^53 − 1 has 0x1f_ffff in its high word: anything above does not fit a JS number exactly.
    if (hi > 0x1f_ffff) throw new RangeError(`${f.where}${index === undefined ? "" : `[${index}]`} = ${view.getBigUint64(at, true)} exceeds 2^53`);
    return hi * TWO_32 + view.getUint32(at, true);
  }
  if (f.type === "u8") return view.getUint8(at);
  return view.getUint16(at, true);
}

/** Serialise a struct value to its exact kernel byte layout, little-endian, padding zeroed. */
export function encodeStruct<L extends readonly FieldSpec[]>(layout: StructLayout<L>, value: StructOf<L>): ArrayBuffer {
  const buf = new ArrayBuffer(layout.size);
  const view = new DataView(buf);
  const rec = value as Readonly<Record<string, number | readonly number[]>>;
  for (const f of placedFields(layout)) {
    const v = rec[f.name];
    if (f.count === undefined) {
      if (typeof v !== "number") throw new TypeError(`${f.where} must be a number`);
      put(view, f.at, f, v);
    } else {
      if (!Array.isArray(v) || v.length !== f.count) throw new TypeError(`${f.where} must have ${f.count} elements`);
      for (let i = 0; i < f.count; i++) put(view, f.at + i * f.size, f, v[i] as number, i);
    }
  }
  return buf;
}

/** Parse the kernel byte layout back into a struct value (inverse of {@link encodeStruct}). */
export function decodeStruct<L extends readonly FieldSpec[]>(layout: StructLayout<L>, bytes: ArrayBuffer): StructOf<L> {
  if (bytes.byteLength < layout.size) throw new RangeError(`${layout.name} needs ${layout.size} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes);
  const out: Record<string, number | number[]> = {};
  for (const f of placedFields(layout)) {
    if (f.count === undefined) out[f.name] = get(view, f.at, f);
    else {
      const list = new Array<number>(f.count);
      for (let i = 0; i < f.count; i++) list[i] = get(view, f.at + i * f.size, f, i);
      out[f.name] = list;
    }
  }
  return out as StructOf<L>;
}
