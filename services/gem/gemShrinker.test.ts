import { describe, expect, it } from "vitest";
import { decide } from "./gemDecide.ts";
import type { GemEvent } from "./gemEvents.ts";
import { reclaimableBytes, shrink } from "./gemShrinker.ts";
import { evolve, initialState } from "./gemState.ts";

const PG = 4096;

/** given: objects 1..4 of two pages each, resident; 2 is DONTNEED, 3 is pinned, 4 is busy with a job; 1 was used last. */
function given(swapEnabled = true) {
  const events: GemEvent[] = [];
  for (const obj of [1, 2, 3, 4]) {
    events.push({ type: "GemObjectCreated", payload: { obj, file: 1, handle: obj, size: 2 * PG, flags: 0 } });
    events.push({ type: "GemPagesAllocated", payload: { obj, frames: [2 * obj, 2 * obj + 1], restore: false } });
  }
  events.push({ type: "GemMadvised", payload: { obj: 2, madv: "dontneed" } });
  events.push({ type: "GemPinned", payload: { obj: 3 } }, { type: "GemJobRefTaken", payload: { obj: 4 } });
  events.push({ type: "GemJobRefTaken", payload: { obj: 1 } }, { type: "GemJobRefDropped", payload: { obj: 1 } });
  return events.reduce(evolve, initialState(16 * PG, { swapEnabled }));
}

describe("GEM shrinker (drm_gem_lru scan, msm policy)", () => {
  it("counts only idle, unpinned, resident objects, and WILLNEED ones only when swap is available", () => {
    expect(reclaimableBytes(given())).toBe(4 * PG);
    expect(reclaimableBytes(given(false))).toBe(2 * PG);
  });

  it("purges DONTNEED objects first and then swaps out WILLNEED ones, least recently used first, stopping at the target", () => {
    expect(shrink(given(), PG)).toEqual([{ type: "GemPurged", payload: { obj: 2, frames: [4, 5] } }]);
    expect(shrink(given(), 3 * PG)).toEqual([
      { type: "GemPurged", payload: { obj: 2, frames: [4, 5] } },
      { type: "GemSwappedOut", payload: { obj: 1, frames: [2, 3] } },
    ]);
  });

  it("never reclaims pinned or busy objects, however large the target", () => {
    const objs = shrink(given(), 100 * PG).map((e) => (e.payload as { obj: number }).obj);
    expect(objs).toEqual([2, 1]);
  });

  it("runs as a decider command and returns the pages to the pool", () => {
    const state = given();
    const events = decide({ type: "shrink", targetBytes: 4 * PG }, state) as GemEvent[];
    const after = events.reduce(evolve, state);
    expect(after.pool.free).toEqual([{ start: 0, count: 6 }, { start: 10, count: 6 }]);
    expect([after.objects.get(1)?.swapped, after.objects.get(2)?.madv]).toEqual([true, "purged"]);
  });
});
