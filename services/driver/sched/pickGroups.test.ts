import { describe, expect, it } from "vitest";
import type { PanthorVm } from "../uapi/driverState.ts";
import { chooseAs } from "./asLru.ts";
import type { PanthorGroup, Scheduler } from "./schedTypes.ts";
import { pickGroups } from "./tick.ts";

/** A group as pickGroups sees it: priority, VM, slot, work, round-robin stamp. */
function group(uid: number, priority: number, vm: object, opts: { csg?: number; work?: boolean; lastBoundTick?: number } = {}): PanthorGroup {
  return {
    uid, priority, vm, csgId: opts.csg, state: opts.csg === undefined ? "created" : "active", destroyed: false, timedout: false, fatalQueues: 0,
    lastBoundTick: opts.lastBoundTick ?? -1, queues: [{ onRing: opts.work === false ? [] : [{}] }],
  } as unknown as PanthorGroup;
}

/** A scheduler with `slots` CSG slots holding the resident groups (idle ones listed in `idle`). */
function sched(slots: number, groups: PanthorGroup[], asSlotCount = 7, idle: number[] = []): Scheduler {
  const s = Array.from({ length: slots }, () => ({ group: undefined as PanthorGroup | undefined, priority: 0, idle: false }));
  for (const g of groups) if (g.csgId !== undefined) s[g.csgId] = { group: g, priority: 15 - g.csgId, idle: idle.includes(g.uid) };
  return { slots: s, groups, asSlotCount } as unknown as Scheduler;
}

const uids = (gs: readonly PanthorGroup[]) => gs.map((g) => g.uid);

describe("picking groups for the CSG slots (tick_work step 2)", () => {
  it("takes higher priorities first and fills the slots, resident groups before waiting ones on an event tick", () => {
    const vm = {};
    const gs = [group(1, 0, vm, { csg: 0 }), group(2, 0, vm, { csg: 1 }), group(3, 0, vm), group(4, 1, vm)];
    expect(uids(pickGroups(sched(2, gs), false))).toEqual([4, 1]);
  });

  it("rotates on a periodic tick: waiting groups of a priority come before the resident ones, oldest first", () => {
    const vm = {};
    const gs = [group(1, 0, vm, { csg: 0 }), group(2, 0, vm, { csg: 1 }), group(3, 0, vm, { lastBoundTick: 5 }), group(4, 0, vm, { lastBoundTick: 2 })];
    expect(uids(pickGroups(sched(3, gs), true))).toEqual([4, 3, 1]);
  });

  it("fills remaining slots with idle resident groups last, and never takes groups with nothing to run", () => {
    const vm = {};
    const gs = [group(1, 1, vm, { csg: 0 }), group(2, 0, vm, { csg: 1 }), group(3, 0, vm, { work: false })];
    expect(uids(pickGroups(sched(3, gs, 7, [1]), false))).toEqual([2, 1]);
  });

  it("stops at the address-space budget: groups of a third VM wait when only two user ASes exist", () => {
    const [a, b, c] = [{}, {}, {}];
    const gs = [group(1, 0, a), group(2, 0, b), group(3, 0, c), group(4, 0, a)];
    expect(uids(pickGroups(sched(4, gs, 2), false))).toEqual([1, 2, 4]);
  });
});

describe("choosing an AS (panthor_vm_active's slot choice)", () => {
  it("takes the lowest free AS above AS0, else evicts the least recently used idle VM, else none (-EBUSY)", () => {
    const vm = (as: number | undefined) => ({ as }) as unknown as PanthorVm;
    const v1 = vm(1);
    const v2 = vm(2);
    expect(chooseAs(0b111, new Map([[1, v1]]), [])).toEqual({ as: 2 });
    expect(chooseAs(0b111, new Map([[1, v1], [2, v2]]), [v2, v1])).toEqual({ as: 2, evict: v2 });
    expect(chooseAs(0b111, new Map([[1, v1], [2, v2]]), [vm(undefined)])).toEqual({ as: undefined });
    expect(chooseAs(0b111, new Map([[1, v1], [2, v2]]), [])).toEqual({ as: undefined });
  });
});
