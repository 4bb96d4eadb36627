import { describe, expect, it } from "vitest";
import { createFramePool, freeFrameCount, highestFreeExtents, takeExtents, takeFrames } from "./framePool.ts";
import { decide, isGemError } from "./gemDecide.ts";
import type { GemCommand, GemEvent } from "./gemEvents.ts";
import { evolve, initialState, type GemState } from "./gemState.ts";

const PG = 4096;
const FIRST = 1000;

/** Run commands from an empty 8-page pool; the state after each, and every event. */
function run(...commands: GemCommand[]): { state: GemState; events: GemEvent[] } {
  let state = initialState(8 * PG, { firstFrame: FIRST });
  const events: GemEvent[] = [];
  for (const c of commands) {
    const r = decide(c, state);
    if (isGemError(r)) throw new Error(`${c.type}: ${r.errno} ${r.reason}`);
    events.push(...r);
    state = r.reduce(evolve, state);
  }
  return { state, events };
}
const types = (events: readonly GemEvent[]) => events.map((e) => e.type);
const lowered = (events: readonly GemEvent[]) => events.filter((e) => e.type === "GemLimitLowered").map((e) => e.payload);

describe("frames given up under memory pressure", () => {
  it("come from the top of the pool, as extents, leaving the low frames to allocations", () => {
    const pool = takeFrames(createFramePool(100, 8), [106]);
    const top = highestFreeExtents(pool, 3)!;
    expect(top).toEqual([{ start: 107, count: 1 }, { start: 104, count: 2 }]);
    const left = takeExtents(pool, top);
    expect(left.free).toEqual([{ start: 100, count: 4 }]);
    expect(highestFreeExtents(left, 5)).toBeUndefined();
    expect(() => takeExtents(left, [{ start: 103, count: 2 }])).toThrow(RangeError);
  });
});

describe("lowerLimit and repay (memory pressure honoured by GEM)", () => {
  it("gives up free frames first and lowers the limit by the pressure", () => {
    const { state, events } = run({ type: "lowerLimit", bytes: 3 * PG });
    expect(lowered(events)).toEqual([{ limitBytes: 5 * PG, taken: [{ start: FIRST + 5, count: 3 }], owedBytes: 0, reclaimedBytes: 0 }]);
    expect(freeFrameCount(state.pool)).toBe(5);
  });

  it("then reclaims idle objects (DONTNEED purged before WILLNEED swapped), and owes what busy objects hold", () => {
    // given a pinned 2-page object, an idle WILLNEED 2-page object and an idle DONTNEED 1-page object
    const { state, events } = run(
      { type: "create", file: 1, size: 2 * PG, flags: 0 }, { type: "pin", obj: 1 },
      { type: "create", file: 1, size: 2 * PG, flags: 0 }, { type: "pin", obj: 2 }, { type: "unpin", obj: 2 },
      { type: "create", file: 1, size: PG, flags: 0 }, { type: "pin", obj: 3 }, { type: "unpin", obj: 3 }, { type: "madvise", obj: 3, madv: "dontneed" },
      // when pressure takes the whole 8-page limit
      { type: "lowerLimit", bytes: 8 * PG },
    );
    const tail = events.slice(events.findIndex((e) => e.type === "GemPurged"));
    expect(types(tail)).toEqual(["GemPurged", "GemSwappedOut", "GemLimitLowered"]);
    expect(lowered(events)[0]).toMatchObject({ limitBytes: 0, owedBytes: 2 * PG, reclaimedBytes: 3 * PG });
    expect(freeFrameCount(state.pool)).toBe(0);
    expect(state.owedBytes).toBe(2 * PG);
  });

  it("keeps owed frames from allocations, and repays them once the busy object lets go", () => {
    // given a pinned 2-page object and pressure of 7 of the 8 pages: one page is owed
    const busy = run({ type: "create", file: 1, size: 2 * PG, flags: 0 }, { type: "pin", obj: 1 }, { type: "lowerLimit", bytes: 7 * PG });
    expect(busy.state.owedBytes).toBe(PG);
    // when the object is freed, two frames are free again but one of them is owed
    const freed = run(
      { type: "create", file: 1, size: 2 * PG, flags: 0 }, { type: "pin", obj: 1 }, { type: "lowerLimit", bytes: 7 * PG },
      { type: "unpin", obj: 1 }, { type: "close", file: 1, handle: 1 }, { type: "create", file: 1, size: 2 * PG, flags: 0 },
    );
    expect(freeFrameCount(freed.state.pool)).toBe(2);
    // then a new 2-page object cannot have them
    const r = decide({ type: "pin", obj: 2 }, freed.state);
    expect(isGemError(r) && r.errno).toBe("ENOMEM");
    // once the object is unpinned it is idle: repay swaps it out and takes what is owed
    const after = run({ type: "create", file: 1, size: 2 * PG, flags: 0 }, { type: "pin", obj: 1 }, { type: "lowerLimit", bytes: 7 * PG }, { type: "unpin", obj: 1 }, { type: "repay" });
    expect(after.state.owedBytes).toBe(0);
    expect(types(after.events).slice(-2)).toEqual(["GemSwappedOut", "GemLimitLowered"]);
    expect(decide({ type: "repay" }, after.state)).toEqual([]);
  });

  it("allocates without reclaim for a no-reclaim command: -ENOMEM where the shrinker would have swapped", () => {
    const { state } = run(
      { type: "create", file: 1, size: 6 * PG, flags: 0 }, { type: "pin", obj: 1 }, { type: "unpin", obj: 1 },
      { type: "create", file: 1, size: 4 * PG, flags: 0 },
    );
    const nowait = decide({ type: "mapOnGpu", obj: 2, noReclaim: true }, state);
    expect(isGemError(nowait) && nowait.errno).toBe("ENOMEM");
    const kernel = decide({ type: "mapOnGpu", obj: 2 }, state);
    expect(types(kernel as GemEvent[])).toEqual(["GemSwappedOut", "GemPagesAllocated", "GemGpuMapped"]);
  });

  it("refuses a pressure that is not a positive byte count with EINVAL", () => {
    const r = decide({ type: "lowerLimit", bytes: 0 }, initialState(8 * PG));
    expect(isGemError(r) && r.errno).toBe("EINVAL");
  });
});
