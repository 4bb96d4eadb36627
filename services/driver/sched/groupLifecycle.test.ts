import { describe, expect, it } from "vitest";
import { DRM_PANTHOR_GROUP_STATE, groupCanRun, groupEvolve, groupStateFlags, type GroupEvent, type GroupState } from "./groupLifecycle.ts";

describe("the group lifecycle decider (enum panthor_group_state)", () => {
  it("goes created → active → suspended → active → terminated on the slot outcomes the scheduler sees", () => {
    const path: GroupEvent[] = ["bound", "suspended", "bound", "terminated"];
    const states = path.reduce<GroupState[]>((acc, e) => [...acc, groupEvolve(acc.at(-1)!, e)!], ["created"]);
    expect(states).toEqual(["created", "active", "suspended", "active", "terminated"]);
  });

  it("leaves a slot that never acknowledged in UNKNOWN_STATE, from which only termination leads", () => {
    expect(groupEvolve("active", "ackTimedOut")).toBe("unknown");
    expect(groupEvolve("unknown", "bound")).toBeUndefined();
    expect(groupEvolve("unknown", "terminated")).toBe("terminated");
  });

  it("refuses transitions that cannot happen (a scheduler bug): nothing leaves TERMINATED, a group off its slot is not suspended", () => {
    for (const e of ["bound", "suspended", "terminated", "ackTimedOut"] as const) expect(groupEvolve("terminated", e)).toBeUndefined();
    expect(groupEvolve("created", "suspended")).toBeUndefined();
    expect(groupEvolve("suspended", "ackTimedOut")).toBeUndefined();
  });

  it("lets a group run only while alive, not destroyed, without fatal queues and not timed out (group_can_run)", () => {
    const ok = { state: "active" as const, destroyed: false, fatalQueues: 0, timedout: false };
    expect(groupCanRun(ok)).toBe(true);
    expect(groupCanRun({ ...ok, state: "suspended" })).toBe(true);
    expect(groupCanRun({ ...ok, state: "terminated" })).toBe(false);
    expect(groupCanRun({ ...ok, state: "unknown" })).toBe(false);
    expect(groupCanRun({ ...ok, destroyed: true })).toBe(false);
    expect(groupCanRun({ ...ok, fatalQueues: 2 })).toBe(false);
    expect(groupCanRun({ ...ok, timedout: true })).toBe(false);
  });

  it("reports TIMEDOUT, FATAL_FAULT and INNOCENT (the last from driver 1.3 on) in GROUP_GET_STATE", () => {
    const g = { timedout: true, fatalQueues: 1, innocent: true };
    const all = DRM_PANTHOR_GROUP_STATE.TIMEDOUT | DRM_PANTHOR_GROUP_STATE.FATAL_FAULT | DRM_PANTHOR_GROUP_STATE.INNOCENT;
    expect(groupStateFlags(g, 5)).toBe(all);
    expect(groupStateFlags(g, 2)).toBe(all & ~DRM_PANTHOR_GROUP_STATE.INNOCENT);
    expect(groupStateFlags({ timedout: false, fatalQueues: 0, innocent: false }, 5)).toBe(0);
  });
});
