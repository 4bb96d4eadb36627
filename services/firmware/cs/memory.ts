import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";

/**
 * The memory a CS sees: GPU virtual addresses of the group's VM. The firmware actor implements
 * it over the MMU (translation, permission and access faults come back as a {@link MemoryFault}
 * carrying the MMU's exception code); tests use {@link SparseMemory}.
 *
 * Addresses are JS numbers (exact to 2^53; Mali VAs are 48-bit).
 */
export interface MemoryFault {
  /** An MMU exception code (TRANSLATION_FAULT_n, PERM_FAULT_n …; panthor.md §2.6). */
  readonly exceptionType: number;
  /** The faulting GPU VA. */
  readonly address: number;
}

/** Result of {@link CsMemory.read}. */
export type MemoryRead = { readonly ok: true; readonly data: Uint8Array } | { readonly ok: false; readonly fault: MemoryFault };
/** Result of {@link CsMemory.write}. */
export type MemoryWrite = { readonly ok: true } | { readonly ok: false; readonly fault: MemoryFault };

/** Byte-addressed GPU memory as seen by one CS. */
export interface CsMemory {
  read(va: number, bytes: number): MemoryRead;
  write(va: number, data: Uint8Array): MemoryWrite;
}

const PAGE = 4096;

/**
 * A sparse, page-granular GPU VA space for tests and stand-alone runs: only pages inside a
 * `map()`ped range exist; any other access faults with TRANSLATION_FAULT_3 (the level-3 miss a
 * 4 KiB-page walk reports), a write to a read-only range with PERM_FAULT_3.
 *
 * Simplified: no page tables, no caches, no attributes beyond read-only.
 */
export class SparseMemory implements CsMemory {
  private readonly pages = new Map<number, Uint8Array>();
  private readonly ranges: { start: number; end: number; writable: boolean }[] = [];
  private lastRange: { start: number; end: number; writable: boolean } | undefined;

  /** Make `[va, va + size)` accessible (rounded out to pages), zero-filled. */
  map(va: number, size: number, opts: { writable?: boolean } = {}): this {
    const start = Math.floor(va / PAGE) * PAGE;
    const end = Math.ceil((va + size) / PAGE) * PAGE;
    this.ranges.push({ start, end, writable: opts.writable ?? true });
    return this;
  }

  read(va: number, bytes: number): MemoryRead {
    const fault = this.check(va, bytes, false);
    if (fault !== undefined) return { ok: false, fault };
    const pfn = Math.floor(va / PAGE);
    if (Math.floor((va + bytes - 1) / PAGE) === pfn) {
      const page = this.pages.get(pfn);
      return { ok: true, data: page === undefined ? new Uint8Array(bytes) : page.slice(va % PAGE, (va % PAGE) + bytes) };
    }
    const out = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) {
      const a = va + i;
      out[i] = this.pages.get(Math.floor(a / PAGE))?.[a % PAGE] ?? 0;
    }
    return { ok: true, data: out };
  }

  write(va: number, data: Uint8Array): MemoryWrite {
    const fault = this.check(va, data.length, true);
    if (fault !== undefined) return { ok: false, fault };
    for (let i = 0; i < data.length; i++) {
      const a = va + i;
      const pfn = Math.floor(a / PAGE);
      let page = this.pages.get(pfn);
      if (page === undefined) this.pages.set(pfn, (page = new Uint8Array(PAGE)));
      page[a % PAGE] = data[i]!;
    }
    return { ok: true };
  }

  /** Host-side (CPU) write that ignores the read-only flag, as the kernel filling a BO would. */
  poke(va: number, data: Uint8Array): void {
    const saved = this.ranges.map((r) => r.writable);
    this.ranges.forEach((r) => (r.writable = true));
    const r = this.write(va, data);
    this.ranges.forEach((x, i) => (x.writable = saved[i]!));
    if (!r.ok) throw new RangeError(`poke at unmapped VA 0x${va.toString(16)}`);
  }

  /** Little-endian u32 at `va` (test convenience; throws when unmapped). */
  peek32(va: number): number {
    const r = this.read(va, 4);
    if (!r.ok) throw new RangeError(`peek at unmapped VA 0x${va.toString(16)}`);
    return new DataView(r.data.buffer).getUint32(0, true);
  }

  /** Little-endian u64 at `va` as bigint (test convenience; throws when unmapped). */
  peek64(va: number): bigint {
    const r = this.read(va, 8);
    if (!r.ok) throw new RangeError(`peek at unmapped VA 0x${va.toString(16)}`);
    return new DataView(r.data.buffer).getBigUint64(0, true);
  }

  private check(va: number, bytes: number, write: boolean): MemoryFault | undefined {
    const last = this.lastRange;
    if (last !== undefined && va >= last.start && va + bytes <= last.end && (!write || last.writable)) return undefined;
    for (let a = va; a < va + Math.max(bytes, 1); a = (Math.floor(a / PAGE) + 1) * PAGE) {
      const range = this.ranges.find((r) => a >= r.start && a < r.end);
      this.lastRange = range;
      if (range === undefined) return { exceptionType: EXCEPTION.TRANSLATION_FAULT_3, address: a };
      if (write && !range.writable) return { exceptionType: EXCEPTION.PERM_FAULT_3, address: a };
    }
    return undefined;
  }
}

/** One write a CS made, as DESIGN.md §5 wants it logged: address and bytes. */
export interface RecordedWrite {
  readonly va: number;
  readonly bytes: Uint8Array;
}

/**
 * Wrap a memory so every successful write is also recorded, in order — the firmware actor turns
 * them into memory-write events (sync-object stores, STORE_MULTIPLE) so replay and the
 * multi-process runtime see the same memory.
 */
export function recordingWrites(mem: CsMemory): { readonly mem: CsMemory; readonly writes: RecordedWrite[] } {
  const writes: RecordedWrite[] = [];
  return {
    writes,
    mem: {
      read: (va, bytes) => mem.read(va, bytes),
      write: (va, data) => {
        const r = mem.write(va, data);
        if (r.ok) writes.push({ va, bytes: data.slice() });
        return r;
      },
    },
  };
}

/** Little-endian bytes of a u32. */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** Little-endian bytes of a u64. */
export function u64Bytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}
