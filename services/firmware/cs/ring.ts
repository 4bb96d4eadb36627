import type { CsMemory, MemoryFault } from "./memory.ts";
import type { CsRing } from "./state.ts";

/**
 * Ring-buffer arithmetic of a kernel-mode queue (panthor.md §3.6, cs-isa.md §1.5): CS_INSERT and
 * CS_EXTRACT are monotonically increasing byte offsets; the byte they name sits at
 * `base + offset mod size` (the size is a power of two). The firmware executes from extract up
 * to insert; the kernel copies each job's instructions in at `insert mod size`, wrapping.
 */

/** GPU VA of the ring byte at monotonic offset `offset`. */
export function ringVa(ring: Pick<CsRing, "base" | "size">, offset: number): number {
  return ring.base + (offset % ring.size);
}

/** Bytes queued and not yet consumed (`insert - extract`). */
export function ringPending(ring: CsRing): number {
  return ring.insert - ring.extract;
}

/** Result of {@link ringFetch}: the instruction's halves, or the memory fault. */
export type RingFetch =
  | { readonly ok: true; readonly lo: number; readonly hi: number; readonly va: number }
  | { readonly ok: false; readonly fault: MemoryFault };

/**
 * Fetch the 64-bit instruction at monotonic offset `extract` (8-byte aligned, so it never
 * straddles the wrap point).
 */
export function ringFetch(ring: Pick<CsRing, "base" | "size">, extract: number, mem: CsMemory): RingFetch {
  return fetchWord(ringVa(ring, extract), mem);
}

/** Fetch the instruction at a GPU VA as its low and high 32-bit halves. */
export function fetchWord(va: number, mem: CsMemory): RingFetch {
  const r = mem.read(va, 8);
  if (!r.ok) return r;
  const b = r.data;
  const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return { ok: true, lo, hi, va };
}

/** One contiguous write the kernel performs when placing words in the ring. */
export interface RingWrite {
  readonly va: number;
  readonly bytes: Uint8Array;
}

/**
 * Where `bytes` land when the kernel copies them in at `insert` (Panthor's `queue_run_job`:
 * copy at `insert mod ring_size` with wrap-around, then `insert += count × 8`): one write, or two
 * when the block wraps. Refuses a block that would overwrite unconsumed instructions.
 */
export function ringPlace(ring: CsRing, bytes: Uint8Array): { writes: RingWrite[]; insert: number } {
  if (bytes.length % 8 !== 0) throw new RangeError(`ring writes are whole instructions, got ${bytes.length} bytes`);
  if (ringPending(ring) + bytes.length > ring.size) {
    throw new RangeError(`ring of ${ring.size} bytes has ${ring.size - ringPending(ring)} free, need ${bytes.length}`);
  }
  const at = ring.insert % ring.size;
  const first = Math.min(bytes.length, ring.size - at);
  const writes: RingWrite[] = [{ va: ring.base + at, bytes: bytes.subarray(0, first) }];
  if (first < bytes.length) writes.push({ va: ring.base, bytes: bytes.subarray(first) });
  return { writes, insert: ring.insert + bytes.length };
}
