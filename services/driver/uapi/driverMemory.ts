/**
 * The driver's share of system RAM, fixed at probe (`panthor_mmu_init` and the GEM shmem limit):
 *
 * - a carve-out at the bottom the driver never hands out (firmware image, MCU page tables, the
 *   boot loader's and kernel's own pages — everything tyrsim does not model as driver memory);
 * - the kernel page pool for io-pgtable pages. Panthor pre-reserves page-table pages per VM_BIND
 *   op from a kmem cache (panthor.md §5.2); tyrsim reserves one pool at probe and checks an op's
 *   worst case against it before touching any table (the -ENOMEM of the pre-reservation);
 * - the GEM pool: the system-memory limit of shmem pages (the GEM decider's frame pool).
 *
 * Page tables are built in the driver's own CPU view of the pool ({@link PageTableMemory}) and
 * reach the GPU's RAM only as whole-page `MemoryWritten` events (agent `cpu`), so the log carries
 * every descriptor the MMU will walk.
 */
import { PAGE_SIZE, PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";

const MiB = 1024 * 1024;

/** Byte ranges of RAM the driver reserves. */
export interface DriverMemoryLayout {
  /** Bytes at the bottom of RAM left to firmware and the rest of the kernel. */
  readonly carveOutBytes: number;
  readonly ptPool: { readonly start: number; readonly size: number };
  readonly gemPool: { readonly start: number; readonly size: number };
}

/** Options of {@link driverMemoryLayout}. */
export interface DriverMemoryOptions {
  /** GEM system-memory limit; default half of RAM (what is left after the pools, if less). */
  readonly gemLimitBytes?: number;
}

/**
 * The layout for a RAM size: 64 MiB carve-out, 64 MiB page-table pool, then the GEM pool.
 * All values are assumed (no reference figure): the carve-out only has to keep the driver's
 * frames clear of anything placed at the bottom of RAM.
 */
export function driverMemoryLayout(ramBytes: number, opts: DriverMemoryOptions = {}): DriverMemoryLayout {
  const carveOutBytes = 64 * MiB;
  const ptPool = { start: carveOutBytes, size: 64 * MiB };
  const gemStart = ptPool.start + ptPool.size;
  if (ramBytes <= gemStart) throw new RangeError(`RAM of ${ramBytes} bytes leaves nothing for GEM above ${gemStart}`);
  const wanted = opts.gemLimitBytes ?? Math.floor(ramBytes / 2);
  const size = Math.floor(Math.min(wanted, ramBytes - gemStart) / PAGE_SIZE) * PAGE_SIZE;
  return { carveOutBytes, ptPool, gemPool: { start: gemStart, size } };
}

/**
 * The CPU's view of the page-table pool: a {@link PhysicalMemory} covering RAM up to the pool's
 * end whose frames below the pool are pre-allocated, so io-pgtable's `allocFrames` hands out pool
 * frames only. It records which frames changed since the last {@link takeDirty}: those are the
 * table pages the driver must write to RAM.
 */
export class PageTableMemory extends PhysicalMemory {
  private readonly dirty = new Set<number>();

  constructor(layout: DriverMemoryLayout) {
    super(layout.ptPool.start + layout.ptPool.size);
    super.allocFrames(layout.ptPool.start / PAGE_SIZE);
  }

  override allocFrames(count: number, opts?: Parameters<PhysicalMemory["allocFrames"]>[1]): number[] {
    const frames = super.allocFrames(count, opts);
    for (const f of frames) this.dirty.add(f);
    return frames;
  }

  override freeFrames(frames: readonly number[]): void {
    super.freeFrames(frames);
    for (const f of frames) this.dirty.delete(f);
  }

  override write(pa: number, bytes: Uint8Array): void {
    super.write(pa, bytes);
    const last = Math.floor((pa + Math.max(bytes.length, 1) - 1) / PAGE_SIZE);
    for (let f = Math.floor(pa / PAGE_SIZE); f <= last; f++) this.dirty.add(f);
  }

  /** Physical addresses of the table pages changed since the last call, ascending; clears the record. */
  takeDirty(): number[] {
    const out = [...this.dirty].sort((a, b) => a - b).map((f) => f * PAGE_SIZE);
    this.dirty.clear();
    return out;
  }
}
