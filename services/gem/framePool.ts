/**
 * The page frames GEM may hand to shmem objects, as an immutable value: a fixed span of physical
 * frames (the system-memory limit) and the free ones as sorted, coalesced extents. Allocation is
 * lowest-free-first and deterministic, like `PhysicalMemory.allocFrames`.
 *
 * This stands in for the page allocator behind `shmem_read_mapping_page`: the driver reserves the
 * span once from `PhysicalMemory` at probe and the GEM decider owns it from then on, so page
 * assignments are recorded in events and replay identically. Page-table pages come from
 * `PhysicalMemory` directly and never collide with it.
 */

/** A free extent: `count` frames from `start`. */
export interface Extent {
  readonly start: number;
  readonly count: number;
}

/** The pool: frames `[firstFrame, firstFrame + frameCount)`, the free ones in `free`. */
export interface FramePool {
  readonly firstFrame: number;
  readonly frameCount: number;
  readonly free: readonly Extent[];
}

/** A pool with every frame free. */
export function createFramePool(firstFrame: number, frameCount: number): FramePool {
  if (!Number.isSafeInteger(firstFrame) || firstFrame < 0 || !Number.isSafeInteger(frameCount) || frameCount < 0) {
    throw new RangeError(`frame pool [${firstFrame}, +${frameCount}) must be non-negative integers`);
  }
  return { firstFrame, frameCount, free: frameCount > 0 ? [{ start: firstFrame, count: frameCount }] : [] };
}

/** Number of free frames. */
export function freeFrameCount(pool: FramePool): number {
  return pool.free.reduce((n, e) => n + e.count, 0);
}

/** The `n` lowest free frames, or undefined when fewer are free. Does not change the pool (see {@link takeFrames}). */
export function lowestFreeFrames(pool: FramePool, n: number): number[] | undefined {
  if (freeFrameCount(pool) < n) return undefined;
  const out: number[] = [];
  for (const e of pool.free) {
    for (let f = e.start; f < e.start + e.count && out.length < n; f++) out.push(f);
    if (out.length === n) break;
  }
  return out;
}

/** The pool without `frames`; throws if one of them is not free (a replay of a foreign event). */
export function takeFrames(pool: FramePool, frames: readonly number[]): FramePool {
  let free = [...pool.free];
  for (const f of frames) {
    const i = free.findIndex((e) => f >= e.start && f < e.start + e.count);
    if (i < 0) throw new RangeError(`frame ${f} is not free in the GEM frame pool`);
    const e = free[i]!;
    const parts: Extent[] = [];
    if (f > e.start) parts.push({ start: e.start, count: f - e.start });
    if (f + 1 < e.start + e.count) parts.push({ start: f + 1, count: e.start + e.count - f - 1 });
    free = [...free.slice(0, i), ...parts, ...free.slice(i + 1)];
  }
  return { ...pool, free };
}

/** The pool with `frames` free again, extents merged; throws on a double free or a foreign frame. */
export function releaseFrames(pool: FramePool, frames: readonly number[]): FramePool {
  const all = [...pool.free.map((e) => ({ ...e }))];
  for (const f of frames) {
    if (f < pool.firstFrame || f >= pool.firstFrame + pool.frameCount || all.some((e) => f >= e.start && f < e.start + e.count)) {
      throw new RangeError(`frame ${f} cannot be released: not an allocated frame of the GEM pool`);
    }
    all.push({ start: f, count: 1 });
  }
  all.sort((a, b) => a.start - b.start);
  const free: Extent[] = [];
  for (const e of all) {
    const last = free[free.length - 1];
    if (last !== undefined && last.start + last.count === e.start) free[free.length - 1] = { start: last.start, count: last.count + e.count };
    else free.push(e);
  }
  return { ...pool, free };
}

/**
 * The `n` highest free frames as extents (highest first), or undefined when fewer are free. Memory
 * given up under pressure comes from the top of the pool, so the lowest-first allocations of
 * {@link lowestFreeFrames} keep their frames.
 */
export function highestFreeExtents(pool: FramePool, n: number): Extent[] | undefined {
  if (freeFrameCount(pool) < n) return undefined;
  const out: Extent[] = [];
  let left = n;
  for (let i = pool.free.length - 1; i >= 0 && left > 0; i--) {
    const e = pool.free[i]!;
    const count = Math.min(left, e.count);
    out.push({ start: e.start + e.count - count, count });
    left -= count;
  }
  return out;
}

/** The pool without the frames of `extents`; throws if one of them is not wholly free. */
export function takeExtents(pool: FramePool, extents: readonly Extent[]): FramePool {
  let free = [...pool.free];
  for (const x of extents) {
    const i = free.findIndex((e) => x.start >= e.start && x.start + x.count <= e.start + e.count);
    if (i < 0) throw new RangeError(`frames [${x.start}, +${x.count}) are not free in the GEM frame pool`);
    const e = free[i]!;
    const parts: Extent[] = [];
    if (x.start > e.start) parts.push({ start: e.start, count: x.start - e.start });
    if (x.start + x.count < e.start + e.count) parts.push({ start: x.start + x.count, count: e.start + e.count - x.start - x.count });
    free = [...free.slice(0, i), ...parts, ...free.slice(i + 1)];
  }
  return { ...pool, free };
}
