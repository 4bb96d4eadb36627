import { describe, expect, it } from "vitest";
import { containsSubset, offerToTrigger, triggerMatches, TriggerSchema, type Trigger } from "./trigger.ts";

const dispatched = (job: string, as: number) => ({ type: "JobDispatched", payload: { job, as, kind: "compute", ranges: [{ va: 4096, size: 4096, access: "read" }] } });
const third = TriggerSchema.parse({ on: { eventType: "JobDispatched", count: 3, match: { as: 2 } } });

describe("the trigger matcher", () => {
  it("matches a payload that contains the subset, recursively, and nothing else", () => {
    expect(containsSubset({ as: 2 }, { job: "j", as: 2 })).toBe(true);
    expect(containsSubset({ as: 2 }, { job: "j", as: 3 })).toBe(false);
    expect(containsSubset({ as: 2 }, { job: "j" })).toBe(false);
    expect(containsSubset({ ranges: [{ va: 4096, size: 4096, access: "read" }] }, dispatched("a", 1).payload)).toBe(true);
    expect(containsSubset({ ranges: [] }, dispatched("a", 1).payload)).toBe(false);
    expect(containsSubset({ cost: { cycles: 1 } }, { cost: { cycles: 1, extra: 2 } })).toBe(true);
    expect(containsSubset(null, null)).toBe(true);
    expect(containsSubset({ a: 1 }, "a")).toBe(false);
  });

  it("counts only events of its type whose payload contains the subset", () => {
    expect(triggerMatches(third, dispatched("a", 2))).toBe(true);
    expect(triggerMatches(third, dispatched("a", 1))).toBe(false);
    expect(triggerMatches(third, { type: "JobStarted", payload: { as: 2 } })).toBe(false);
  });

  it("fires on the 3rd JobDispatched with as = 2, not before, and only once", () => {
    // given the trigger "the 3rd JobDispatched with as=2"
    const events = [dispatched("j1", 2), dispatched("j2", 1), dispatched("j3", 2), dispatched("j4", 2), dispatched("j5", 2)];
    // when the events are offered in order
    let seen = 0;
    const fired: string[] = [];
    for (const e of events) {
      const r = offerToTrigger(third, seen, e);
      seen = r.seen;
      if (r.fired) fired.push(e.payload.job);
    }
    // then it fired on j4 (the third with as 2) only
    expect(fired).toEqual(["j4"]);
    expect(seen).toBe(4);
  });

  it("defaults to the first matching event when no count is given", () => {
    const t: Trigger = TriggerSchema.parse({ on: { eventType: "DoorbellRung" } });
    expect(t.on.count).toBe(1);
    expect(offerToTrigger(t, 0, { type: "DoorbellRung", payload: { doorbell: 0 } })).toEqual({ seen: 1, fired: true });
  });

  it("rejects a count of 0 and unknown trigger fields", () => {
    expect(TriggerSchema.safeParse({ on: { eventType: "JobDispatched", count: 0 } }).success).toBe(false);
    expect(TriggerSchema.safeParse({ on: { eventType: "JobDispatched" }, at: 5 }).success).toBe(false);
  });
});
