/**
 * The MCU's own writes that are published (`MemoryWritten`, agent `mcu`) but not yet delivered
 * to the memory replica. RAM changes only when a write event is delivered (so every process and
 * every replay agree), but the firmware must read back what it wrote a moment ago — a sync
 * object it just incremented, a value STORE_MULTIPLE put in a BO — exactly as a CPU reads its
 * own store buffer. Entries are dropped when their event is delivered, at which point the
 * replica holds the same bytes.
 */
export class PendingWrites {
  private readonly entries = new Map<string, { readonly pa: number; readonly bytes: Uint8Array }>();

  /** Remember a published write, by its event id. */
  add(id: string, pa: number, bytes: Uint8Array): void {
    this.entries.set(id, { pa, bytes });
  }

  /** The write event `id` was delivered: its bytes are in RAM now. Returns whether it was ours. */
  delivered(id: string): boolean {
    return this.entries.delete(id);
  }

  /** Number of writes in flight. */
  get size(): number {
    return this.entries.size;
  }

  /** Overlay the in-flight writes, oldest first, on `out`, which holds RAM's bytes at `pa`. */
  overlay(pa: number, out: Uint8Array): void {
    if (this.entries.size === 0) return;
    for (const e of this.entries.values()) overlayBytes(pa, out, e.pa, e.bytes);
  }

  /** Forget everything (GPU reset: the writes still land, but nothing reads them back). */
  clear(): void {
    this.entries.clear();
  }
}

/** Copy the part of `bytes` (at physical `srcPa`) that falls inside `out` (at physical `pa`). */
export function overlayBytes(pa: number, out: Uint8Array, srcPa: number, bytes: Uint8Array): void {
  const from = Math.max(pa, srcPa);
  const to = Math.min(pa + out.length, srcPa + bytes.length);
  if (from >= to) return;
  out.set(bytes.subarray(from - srcPa, to - srcPa), from - pa);
}
