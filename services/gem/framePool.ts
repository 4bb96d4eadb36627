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
  // One walk over the free extents (sorted, coalesced) and the frames in ascending order, instead
  // of an extent search and an array copy per frame: the same extents, in linear time. A frame the
  // walk cannot place (not free, or given twice) is reported by `firstBadFrame` in the caller's
  // order, so the error names the frame the frame-by-frame loop named.
  const sorted = ascending(frames);
  const free: Extent[] = [];
  let j = 0;
  for (const e of pool.free) {
    const end = e.start + e.count;
    let start = e.start;
    for (; j < sorted.length && sorted[j]! < end; j++) {
      const f = sorted[j]!;
      if (f < start) throw notFreeError(pool, frames);
      if (f > start) free.push({ start, count: f - start });
      start = f + 1;
    }
    if (start < end) free.push(start === e.start ? e : { start, count: end - start });
  }
  if (j < sorted.length) throw notFreeError(pool, frames);
  return { ...pool, free };
}

/** The pool with `frames` free again, extents merged; throws on a double free or a foreign frame. */
export function releaseFrames(pool: FramePool, frames: readonly number[]): FramePool {
  // A sorted merge of the free extents and the released frames, coalescing as it goes: linear in
  // extents + frames (the frames are usually ascending already) where a search of every extent per
  // frame was quadratic. Extents and frames come out in ascending start order, so a double free
  // or a repeated frame shows as an overlap with the run before it.
  const sorted = ascending(frames);
  const last = sorted[sorted.length - 1];
  if (last !== undefined && (sorted[0]! < pool.firstFrame || last >= pool.firstFrame + pool.frameCount)) throw notAllocatedError(pool, frames);
  const free: Extent[] = [];
  let i = 0;
  let j = 0;
  let run: { start: number; end: number } | undefined;
  while (i < pool.free.length || j < sorted.length) {
    const e = pool.free[i];
    const f = sorted[j];
    let start: number;
    let end: number;
    if (e !== undefined && (f === undefined || e.start <= f)) {
      start = e.start;
      end = e.start + e.count;
      i++;
    } else {
      start = f!;
      end = f! + 1;
      j++;
    }
    if (run !== undefined && start < run.end) throw notAllocatedError(pool, frames);
    if (run !== undefined && start === run.end) {
      run.end = end;
      continue;
    }
    if (run !== undefined) free.push({ start: run.start, count: run.end - run.start });
    run = { start, end };
  }
  if (run !== undefined) free.push({ start: run.start, count: run.end - run.start });
  return { ...pool, free };
}

/** `frames` in ascending order: the array itself when it already is (the common case), else a sorted copy. */
function ascending(frames: readonly number[]): readonly number[] {
  for (let k = 1; k < frames.length; k++) if (frames[k]! < frames[k - 1]!) return [...frames].sort((a, b) => a - b);
  return frames;
}

function isFree(pool: FramePool, f: number): boolean {
  return pool.free.some((e) => f >= e.start && f < e.start + e.count);
}

/** The first of `frames`, in the caller's order, that is `bad` or repeats an earlier one (the slow path, for errors only). */
function firstBadFrame(frames: readonly number[], bad: (f: number) => boolean): number | undefined {
  const seen = new Set<number>();
  for (const f of frames) {
    if (seen.has(f) || bad(f)) return f;
    seen.add(f);
  }
  return undefined;
}

function notFreeError(pool: FramePool, frames: readonly number[]): RangeError {
  const f = firstBadFrame(frames, (x) => !isFree(pool, x));
  return new RangeError(`frame ${f} is not free in the GEM frame pool`);
}

function notAllocatedError(pool: FramePool, frames: readonly number[]): RangeError {
  const f = firstBadFrame(frames, (x) => x < pool.firstFrame || x >= pool.firstFrame + pool.frameCount || isFree(pool, x));
  return new RangeError(`frame ${f} cannot be released: not an allocated frame of the GEM pool`);
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
