import { describe, expect, it } from "vitest";
import { createFramePool, freeFrameCount, lowestFreeFrames, releaseFrames, takeFrames } from "./framePool.ts";

describe("GEM frame pool", () => {
  it("hands out the lowest free frames first and merges released frames back into extents", () => {
    let pool = createFramePool(100, 8);
    const a = lowestFreeFrames(pool, 3)!;
    expect(a).toEqual([100, 101, 102]);
    pool = takeFrames(pool, a);
    pool = takeFrames(pool, lowestFreeFrames(pool, 2)!);
    pool = releaseFrames(pool, [101]);
    expect(lowestFreeFrames(pool, 2)).toEqual([101, 105]);
    pool = releaseFrames(pool, [100, 102, 103, 104]);
    expect(pool.free).toEqual([{ start: 100, count: 8 }]);
  });

  it("answers undefined when fewer frames are free than asked", () => {
    const pool = takeFrames(createFramePool(0, 4), [1, 2]);
    expect(freeFrameCount(pool)).toBe(2);
    expect(lowestFreeFrames(pool, 3)).toBeUndefined();
  });

  it("refuses to take a frame twice, release a free frame, or release a frame outside the pool", () => {
    const pool = takeFrames(createFramePool(0, 4), [1]);
    expect(() => takeFrames(pool, [1])).toThrow(RangeError);
    expect(() => releaseFrames(pool, [2])).toThrow(RangeError);
    expect(() => releaseFrames(pool, [9])).toThrow(RangeError);
  });
});
