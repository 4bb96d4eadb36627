import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFramePool, releaseFrames, takeFrames, type Extent, type FramePool } from "./framePool.ts";

// The frame-by-frame implementations the merge walks replaced, kept as the reference they must match.
function takeFramesReference(pool: FramePool, frames: readonly number[]): FramePool {
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

function releaseFramesReference(pool: FramePool, frames: readonly number[]): FramePool {
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

/** The result of `op`, or the message it threw. */
function outcome(op: () => FramePool): FramePool | string {
  try {
    return op();
  } catch (e) {
    return (e as Error).message;
  }
}

const FIRST = 10;
const COUNT = 24;
// Frames a little outside the pool too, so foreign frames are tried; lists may repeat a frame.
const frameList = fc.array(fc.integer({ min: FIRST - 2, max: FIRST + COUNT + 1 }), { maxLength: 10 });
const steps = fc.array(fc.record({ take: fc.boolean(), frames: frameList }), { maxLength: 25 });

describe("GEM frame pool merge walks", () => {
  it("take and release exactly as the frame-by-frame reference does, errors included", () => {
    fc.assert(
      fc.property(steps, (ops) => {
        let pool = createFramePool(FIRST, COUNT);
        for (const { take, frames } of ops) {
          const got = outcome(() => (take ? takeFrames : releaseFrames)(pool, frames));
          const want = outcome(() => (take ? takeFramesReference : releaseFramesReference)(pool, frames));
          expect(got).toEqual(want);
          if (typeof got !== "string") pool = got;
        }
      }),
      { seed: 9, numRuns: 400 },
    );
  });

  it("releases unsorted frames into sorted, coalesced extents", () => {
    const pool = takeFrames(createFramePool(0, 8), [0, 1, 2, 3, 5, 6]);
    expect(releaseFrames(pool, [6, 1, 3, 2]).free).toEqual([{ start: 1, count: 4 }, { start: 6, count: 2 }]);
  });

  it("names the frame the caller listed first when a release repeats one frame and double-frees another", () => {
    const pool = takeFrames(createFramePool(0, 8), [2, 5]);
    expect(() => releaseFrames(pool, [5, 5, 7])).toThrow("frame 5 cannot be released");
    expect(() => releaseFrames(pool, [7, 5, 5])).toThrow("frame 7 cannot be released");
    expect(() => takeFrames(pool, [1, 1, 2])).toThrow("frame 1 is not free");
  });
});
