import { describe, expect, it } from "vitest";
import { culpritReason } from "./schedReset.ts";

describe("who a reset finds guilty (panthor_sched_pre_reset)", () => {
  const alive = { state: "active" as const, timedout: false, fatalQueues: 0, destroyed: false };

  it("blames a group stuck on its slot, timed out, or with a fatal queue", () => {
    expect(culpritReason({ ...alive, state: "unknown" })).toMatch(/stopped answering/);
    expect(culpritReason({ ...alive, timedout: true })).toMatch(/timed out/);
    expect(culpritReason({ ...alive, state: "suspended", fatalQueues: 2 })).toMatch(/fatal CS error/);
  });

  it("finds healthy groups innocent, and leaves groups already terminated or destroyed out", () => {
    expect(culpritReason(alive)).toBeUndefined();
    expect(culpritReason({ ...alive, state: "suspended" })).toBeUndefined();
    expect(culpritReason({ ...alive, state: "terminated", timedout: true })).toBeUndefined();
    expect(culpritReason({ ...alive, destroyed: true, timedout: true })).toBeUndefined();
  });
});
