/**
 * The CPU's mapping of a kernel BO (`panthor_kernel_bo_vmap`, `bo->kmap`): the firmware's shared
 * section (`ptdev->fw->shared_section`), a queue's user I/O pages, a group's sync objects. The
 * driver reads what the MCU or the GPU wrote (interface output blocks, CS_EXTRACT, sync-object
 * seqnos) from the RAM replica, and writes what it owns (input blocks, CS_INSERT) as
 * `MemoryWritten` events, agent `cpu`.
 *
 * A CPU sees its own stores at once, but a `MemoryWritten` reaches the RAM replica only when it
 * is delivered; so the bytes the driver wrote are kept in a write-back shadow and read from
 * there. Use the shadow only for bytes the host alone writes (input blocks, CS_INSERT):
 * {@link KernelMap.forget} drops it where the GPU may write too.
 */
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import type { FieldSpec, FieldType, StructLayout } from "../../../shared/gpu/structLayout.ts";
import type { KTask } from "../ktask.ts";
import type { DriverState } from "./driverState.ts";
import { kernelBoRead, kernelBoWrite, type KernelBo } from "./kernelBo.ts";

const SIZE: Readonly<Record<FieldSpec["type"], number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** Where a field of a layout lies: its offset, type and size in bytes (array fields: all elements). */
interface FieldAt {
  readonly name: string;
  readonly offset: number;
  readonly type: FieldType;
  readonly bytes: number;
}

/**
 * Each layout's fields by name, built on first use: the IRQ handler, the tick and the job path
 * read and write interface fields by name several times per event, and a linear search of the
 * layout (and its offsets record) each time showed in profiles. Layouts are immutable constants,
 * so the index never goes stale.
 */
const FIELD_INDEX = new WeakMap<StructLayout<readonly FieldSpec[]>, ReadonlyMap<string, FieldAt>>();

function fieldIndex(layout: StructLayout<readonly FieldSpec[]>): ReadonlyMap<string, FieldAt> {
  let index = FIELD_INDEX.get(layout);
  if (index === undefined) {
    const offsets = layout.offsets as Readonly<Record<string, number>>;
    index = new Map(layout.fields.map((f) => [f.name, { name: f.name, offset: offsets[f.name]!, type: f.type, bytes: SIZE[f.type] * (f.count ?? 1) }]));
    FIELD_INDEX.set(layout, index);
  }
  return index;
}

/** A value for one field of a block write: a number (< 2^53) or a bigint for u64 fields. */
export type FieldValue = number | bigint;

/** A kernel BO as the CPU maps it. */
export class KernelMap {
  /** Bytes the driver stored, by MCU VA (one entry per byte: exact, and small — input blocks only). */
  private readonly shadow = new Map<number, number>();

  constructor(
    private readonly d: DriverState,
    readonly bo: KernelBo,
  ) {}

  /** `len` bytes at MCU VA `va`: RAM, overlaid with the driver's own stores. */
  read(va: number, len: number): Uint8Array {
    const out = kernelBoRead(this.d, this.bo, va - this.bo.va, len);
    if (this.shadow.size === 0) return out;
    for (let i = 0; i < len; i++) {
      const b = this.shadow.get(va + i);
      if (b !== undefined) out[i] = b;
    }
    return out;
  }

  /** A little-endian u32 at `va`. */
  read32(va: number): number {
    const b = this.read(va, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** A little-endian u64 at `va`, as a number (interface values stay below 2^53). */
  read64(va: number): number {
    const b = this.read(va, 8);
    const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
    return hi * 2 ** 32 + lo;
  }

  /**
   * A field of the block at `base` described by `layout`. A u8 or u16 field reads as its first
   * byte (the firmware interface blocks have no field that small).
   */
  field<L extends readonly FieldSpec[]>(base: number, layout: StructLayout<L>, name: L[number]["name"]): number {
    const f = fieldIndex(layout).get(name)!;
    const at = base + f.offset;
    return f.type === "u64" ? this.read64(at) : f.type === "u32" ? this.read32(at) : this.read(at, SIZE[f.type])[0]!;
  }

  /**
   * Store some fields of the block at `base`: the bytes from the first to the last field named
   * become one `MemoryWritten` (the untouched bytes between are written with their current value).
   */
  *write<L extends readonly FieldSpec[]>(base: number, layout: StructLayout<L>, fields: Partial<Record<L[number]["name"], FieldValue>>): KTask<void> {
    const index = fieldIndex(layout);
    const named: FieldAt[] = [];
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const name of Object.keys(fields)) {
      const f = index.get(name);
      if (f === undefined) continue;
      named.push(f);
      lo = Math.min(lo, f.offset);
      hi = Math.max(hi, f.offset + f.bytes);
    }
    if (named.length === 0) return;
    const bytes = this.read(base + lo, hi - lo);
    const view = new DataView(bytes.buffer);
    const values = fields as Readonly<Record<string, FieldValue>>;
    for (const f of named) {
      const v = values[f.name]!;
      const at = f.offset - lo;
      if (f.type === "u64") view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
      else if (f.type === "u32") view.setUint32(at, Number(v) >>> 0, true);
      else if (f.type === "u16") view.setUint16(at, Number(v) & 0xffff, true);
      else view.setUint8(at, Number(v) & 0xff);
    }
    yield* this.store(base + lo, bytes);
  }

  /** Store raw bytes at `va` (kept in the shadow, then written to RAM). */
  *store(va: number, bytes: Uint8Array): KTask<void> {
    for (let i = 0; i < bytes.length; i++) this.shadow.set(va + i, bytes[i]!);
    yield* kernelBoWrite(this.d, this.bo, va - this.bo.va, bytes);
  }

  /** Forget the driver's stores in `[va, va + len)`: later reads see RAM (the GPU may have written since). */
  forget(va: number, len: number): void {
    for (let i = 0; i < len; i++) this.shadow.delete(va + i);
  }

  /** The BO's first physical page (for logs). */
  get pa(): number {
    return this.bo.frames[0]! * PAGE_SIZE;
  }
}
