/**
 * System RAM as the GPU and CPU share it on RK3588: no VRAM, just 4 KiB page frames that the
 * kernel hands out (shmem pages for GEM objects, io-pgtable pages for page tables) and that the
 * GPU MMU reads when it walks page tables.
 *
 * Addresses are JS numbers (exact up to 2^53, enough for the 40-bit PA of a Mali-G610); 64-bit
 * words are bigints. Storage is sparse: a frame's bytes exist only once written, and an untouched
 * frame reads as zeros.
 *
 * Simplified: one flat, contiguous RAM starting at PA 0 (no memory map holes, no reserved
 * carve-outs, no NUMA, no caches). The frame allocator is a deterministic lowest-free-first
 * bitmap, not the buddy allocator; like `__GFP_ZERO` it hands out zeroed frames, and like real
 * RAM a freed frame keeps its old bytes until it is allocated again (so a stale GPU mapping of a
 * freed page still reads the old contents).
 */

/** Bytes per page frame (4 KiB, the CPU `PAGE_SIZE` and the GPU MMU granule). */
export const PAGE_SIZE = 4096;
/** log2 of {@link PAGE_SIZE}. */
export const PAGE_SHIFT = 12;

/** An access outside the simulated RAM: the physical-address equivalent of a bus error. */
export class PhysicalAddressError extends Error {
  override readonly name = "PhysicalAddressError";
  constructor(
    readonly pa: number,
    readonly len: number,
    readonly ramSize: number,
  ) {
    super(`physical access [0x${pa.toString(16)}, +0x${len.toString(16)}) is outside RAM of 0x${ramSize.toString(16)} bytes`);
  }
}

/** Not enough free frames (or no free run of the asked shape): the kernel's -ENOMEM. */
export class OutOfFramesError extends Error {
  override readonly name = "OutOfFramesError";
  constructor(
    readonly requested: number,
    readonly free: number,
    readonly contiguous: boolean,
  ) {
    super(`cannot allocate ${requested}${contiguous ? " contiguous" : ""} frame(s): ${free} free`);
  }
}

/** Freeing a frame that is not allocated (double free) or does not exist. */
export class FrameStateError extends Error {
  override readonly name = "FrameStateError";
  constructor(
    readonly frame: number,
    readonly reason: "not-allocated" | "out-of-range" | "still-allocated",
  ) {
    super(`frame 0x${frame.toString(16)}: ${reason}`);
  }
}

/** Options of {@link PhysicalMemory.allocFrames}. */
export interface AllocFramesOptions {
  /** Return one physically contiguous run (needed for 2 MiB block mappings). Default false. */
  readonly contiguous?: boolean;
  /** With `contiguous`, the first frame number is a multiple of this (e.g. 512 for 2 MiB). */
  readonly alignFrames?: number;
}

/** System RAM: sparse byte storage plus a deterministic page-frame allocator. */
export class PhysicalMemory {
  private readonly pages = new Map<number, Uint8Array>();
  private allocated: Uint8Array;
  private used = 0;
  /** No frame below this index is free (a search hint, kept exact on free). */
  private lowestMaybeFree = 0;
  private sizeBytes: number;

  /** @param size RAM size in bytes, a positive multiple of {@link PAGE_SIZE}. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new RangeError(`RAM size must be a positive multiple of ${PAGE_SIZE}, got ${size}`);
    }
    this.sizeBytes = size;
    this.allocated = new Uint8Array(size / PAGE_SIZE);
  }

  /** RAM size in bytes. */
  get size(): number {
    return this.sizeBytes;
  }
  /** Number of page frames. */
  get totalFrames(): number {
    return this.allocated.length;
  }
  /** Number of allocated frames. */
  get usedFrames(): number {
    return this.used;
  }
  /** Number of free frames. */
  get freeFrameCount(): number {
    return this.totalFrames - this.used;
  }
  /** Number of frames whose bytes are materialised (touched by a write); for memory-use checks. */
  get touchedFrames(): number {
    return this.pages.size;
  }

  /** Whether a frame is currently allocated. */
  isAllocated(frame: number): boolean {
    return this.allocated[frame] === 1;
  }

  /**
   * Allocate `count` zeroed frames, lowest free frame numbers first, and return their frame
   * numbers in ascending order (PA = frame × PAGE_SIZE). Throws {@link OutOfFramesError}.
   */
  allocFrames(count: number, opts: AllocFramesOptions = {}): number[] {
    if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`frame count must be positive, got ${count}`);
    const frames = opts.contiguous ? this.findRun(count, opts.alignFrames ?? 1) : this.findLowest(count);
    if (!frames) throw new OutOfFramesError(count, this.freeFrameCount, opts.contiguous ?? false);
    for (const f of frames) {
      this.allocated[f] = 1;
      this.pages.delete(f); // zero-filled, as __GFP_ZERO
    }
    this.used += frames.length;
    this.advanceHint();
    return frames;
  }

  /** Return frames to the allocator. Their bytes are kept until reallocation. */
  freeFrames(frames: readonly number[]): void {
    const seen = new Set<number>();
    for (const f of frames) {
      if (!Number.isInteger(f) || f < 0 || f >= this.totalFrames) throw new FrameStateError(f, "out-of-range");
      if (this.allocated[f] !== 1 || seen.has(f)) throw new FrameStateError(f, "not-allocated");
      seen.add(f);
    }
    for (const f of frames) {
      this.allocated[f] = 0;
      this.lowestMaybeFree = Math.min(this.lowestMaybeFree, f);
    }
    this.used -= frames.length;
  }

  /** Copy `len` bytes from `pa`; untouched frames read as zeros. */
  read(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(pa, out);
    return out;
  }

  /**
   * Copy `out.length` bytes from `pa` into `out` (untouched frames read as zeros), for readers
   * that already hold the destination buffer: no allocation on this path, which the firmware's
   * instruction fetches and interface reads take on every event.
   */
  readInto(pa: number, out: Uint8Array): void {
    const len = out.length;
    this.check(pa, len);
    for (let done = 0; done < len; ) {
      const addr = pa + done;
      const off = addr % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const page = this.pages.get((addr - off) / PAGE_SIZE);
      if (page === undefined) out.fill(0, done, done + n);
      else if (n <= 16) for (let i = 0; i < n; i++) out[done + i] = page[off + i]!; // an instruction or sync object: no subarray view
      else out.set(n === PAGE_SIZE ? page : page.subarray(off, off + n), done);
      done += n;
    }
  }

  /** Write `bytes` at `pa`, spanning frames as needed. */
  write(pa: number, bytes: Uint8Array): void {
    this.check(pa, bytes.length);
    this.forEachChunk(pa, bytes.length, (page, off, n, done) => {
      page!.set(bytes.subarray(done, done + n), off);
    }, true);
  }

  /** Little-endian u32 at `pa`. */
  readU32(pa: number): number {
    return new DataView(this.read(pa, 4).buffer).getUint32(0, true);
  }
  /** Write a little-endian u32 at `pa`. */
  writeU32(pa: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.write(pa, b);
  }
  /** Little-endian u64 at `pa` (a page-table descriptor, a sync-object seqno). */
  readU64(pa: number): bigint {
    this.check(pa, 8);
    const off = pa % PAGE_SIZE;
    if (off <= PAGE_SIZE - 8) {
      const page = this.pages.get(Math.floor(pa / PAGE_SIZE));
      return page ? new DataView(page.buffer, page.byteOffset).getBigUint64(off, true) : 0n;
    }
    return new DataView(this.read(pa, 8).buffer).getBigUint64(0, true);
  }
  /** Write a little-endian u64 at `pa`; the value is truncated to 64 bits. */
  writeU64(pa: number, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.write(pa, b);
  }

  /**
   * Shrink RAM to `newSize` bytes (e.g. a scenario removing memory). Only free frames may be cut
   * off; throws {@link FrameStateError} naming the first allocated frame in the way.
   */
  shrink(newSize: number): void {
    if (!Number.isSafeInteger(newSize) || newSize <= 0 || newSize % PAGE_SIZE !== 0 || newSize > this.sizeBytes) {
      throw new RangeError(`new RAM size must be a positive multiple of ${PAGE_SIZE} not above ${this.sizeBytes}, got ${newSize}`);
    }
    const frames = newSize / PAGE_SIZE;
    const busy = this.allocated.subarray(frames).indexOf(1);
    if (busy >= 0) throw new FrameStateError(frames + busy, "still-allocated");
    for (const f of [...this.pages.keys()]) if (f >= frames) this.pages.delete(f);
    this.allocated = this.allocated.slice(0, frames);
    this.sizeBytes = newSize;
    this.lowestMaybeFree = Math.min(this.lowestMaybeFree, frames);
  }

  private check(pa: number, len: number): void {
    if (!Number.isSafeInteger(pa) || !Number.isSafeInteger(len) || pa < 0 || len < 0 || pa + len > this.sizeBytes) {
      throw new PhysicalAddressError(pa, len, this.sizeBytes);
    }
  }

  private forEachChunk(
    pa: number,
    len: number,
    fn: (page: Uint8Array | undefined, off: number, n: number, done: number) => void,
    materialise: boolean,
  ): void {
    let done = 0;
    while (done < len) {
      const addr = pa + done;
      const frame = Math.floor(addr / PAGE_SIZE);
      const off = addr % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      let page = this.pages.get(frame);
      if (!page && materialise) {
        page = new Uint8Array(PAGE_SIZE);
        this.pages.set(frame, page);
      }
      fn(page, off, n, done);
      done += n;
    }
  }

  private findLowest(count: number): number[] | undefined {
    if (count > this.freeFrameCount) return undefined;
    const out: number[] = [];
    for (let f = this.lowestMaybeFree; out.length < count; f++) if (this.allocated[f] === 0) out.push(f);
    return out;
  }

  private findRun(count: number, align: number): number[] | undefined {
    if (!Number.isSafeInteger(align) || align <= 0) throw new RangeError(`alignFrames must be positive, got ${align}`);
    let start = Math.ceil(this.lowestMaybeFree / align) * align;
    while (start + count <= this.totalFrames) {
      const busy = this.allocated.subarray(start, start + count).lastIndexOf(1);
      if (busy < 0) return Array.from({ length: count }, (_, i) => start + i);
      start = Math.ceil((start + busy + 1) / align) * align;
    }
    return undefined;
  }

  private advanceHint(): void {
    while (this.lowestMaybeFree < this.totalFrames && this.allocated[this.lowestMaybeFree] === 1) this.lowestMaybeFree++;
  }
}
