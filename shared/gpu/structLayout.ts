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

function put(view: DataView, at: number, type: FieldType, v: number, where: string): void {
  const max = type === "u64" ? Number.MAX_SAFE_INTEGER : 2 ** (8 * SIZE[type]) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${where} = ${v} does not fit ${type}`);
  if (type === "u8") view.setUint8(at, v);
  else if (type === "u16") view.setUint16(at, v, true);
  else if (type === "u32") view.setUint32(at, v, true);
  else view.setBigUint64(at, BigInt(v), true);
}

function get(view: DataView, at: number, type: FieldType, where: string): number {
  if (type === "u8") return view.getUint8(at);
  if (type === "u16") return view.getUint16(at, true);
  if (type === "u32") return view.getUint32(at, true);
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${where} = ${v} exceeds 2^53`);
  return Number(v);
}

/** Serialise a struct value to its exact kernel byte layout, little-endian, padding zeroed. */
export function encodeStruct<L extends readonly FieldSpec[]>(layout: StructLayout<L>, value: StructOf<L>): ArrayBuffer {
  const buf = new ArrayBuffer(layout.size);
  const view = new DataView(buf);
  const rec = value as Readonly<Record<string, number | readonly number[]>>;
  for (const f of layout.fields) {
    const at = layout.offsets[f.name as L[number]["name"]];
    const v = rec[f.name];
    const where = `${layout.name}.${f.name}`;
    if (f.count === undefined) {
      if (typeof v !== "number") throw new TypeError(`${where} must be a number`);
      put(view, at, f.type, v, where);
    } else {
      if (!Array.isArray(v) || v.length !== f.count) throw new TypeError(`${where} must have ${f.count} elements`);
      v.forEach((x: number, i: number) => put(view, at + i * SIZE[f.type], f.type, x, `${where}[${i}]`));
    }
  }
  return buf;
}

/** Parse the kernel byte layout back into a struct value (inverse of {@link encodeStruct}). */
export function decodeStruct<L extends readonly FieldSpec[]>(layout: StructLayout<L>, bytes: ArrayBuffer): StructOf<L> {
  if (bytes.byteLength < layout.size) throw new RangeError(`${layout.name} needs ${layout.size} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes);
  const out: Record<string, number | number[]> = {};
  for (const f of layout.fields) {
    const at = layout.offsets[f.name as L[number]["name"]];
    const where = `${layout.name}.${f.name}`;
    out[f.name] =
      f.count === undefined
        ? get(view, at, f.type, where)
        : Array.from({ length: f.count }, (_, i) => get(view, at + i * SIZE[f.type], f.type, `${where}[${i}]`));
  }
  return out as StructOf<L>;
}
