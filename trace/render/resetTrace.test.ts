import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { ImportedTrace } from "../../test/support/traceImport.ts";
import { traceOf } from "../../test/support/traceRuns.ts";

/** A reset log of `drv0` written by hand, ids `drv0:<seq>`. */
function log(...events: [timeNs: number, type: string, payload: unknown][]): Envelope[] {
  return events.map(([timeNs, type, payload], seq) => ({
    id: `drv0:${seq}`, run: "t-1", seq, timeNs, depth: 0, source: "drv0", subject: "tyrsim.t-1.drv0.reset", type, cause: null, payload,
  }));
}

function trace(events: Envelope[]): ImportedTrace {
  const t = traceOf(events);
  expect(t.errors).toEqual([]);
  return t;
}

const on = (t: ImportedTrace) => t.slices.filter((s) => s.track === "drv0 reset").map((s) => [s.name, s.tsNs, s.durNs, s.depth]);
const scheduled = (queued: boolean) => ({ reason: "fw-ping-timeout", detail: "GLB_PING not acknowledged", queued });

describe("the reset track", () => {
  it("ends a failed reset at DeviceResetFailed with the failing step's errno, and shows a folded request as an instant", () => {
    const t = trace(log(
      [0, "ResetScheduled", scheduled(true)],
      [10, "ResetScheduled", scheduled(false)],
      [100, "ResetStepDone", { step: "sched-pre-reset", errno: 0, detail: "suspended" }],
      [300, "DeviceResetFailed", { reason: "fw-ping-timeout", step: "fw-pre-reset", errno: -110, detail: "MCU did not halt" }],
    ));
    expect(on(t)).toEqual([
      ["reset: fw-ping-timeout", 0, 300, 0], ["sched-pre-reset", 0, 100, 1], ["reset requested: fw-ping-timeout (folded)", 10, 0, 2],
      ["fw-pre-reset", 100, 200, 1], ["reset failed: ETIMEDOUT", 300, 0, 0],
    ]);
    const [reset, , , step] = t.slices.filter((s) => s.track === "drv0 reset");
    expect(reset!.args).toMatchObject({ result: "failed", step: "fw-pre-reset", errnoName: "ETIMEDOUT" });
    expect(step!.args).toMatchObject({ failed: true, errno: -110 });
  });

  it("closes a reset still under way at the end of the log, marked unfinished", () => {
    const t = trace(log([0, "ResetScheduled", scheduled(true)], [40, "ResetStepDone", { step: "sched-pre-reset", errno: 0, detail: "" }], [90, "FwPingTimedOut", { req: 1, ack: 0, waitedNs: 90 }]));
    expect(on(t)).toEqual([["reset: fw-ping-timeout", 0, 90, 0], ["sched-pre-reset", 0, 40, 1], ["fw-pre-reset", 40, 50, 1]]);
    expect(t.slices.filter((s) => s.track === "drv0 reset" && s.name !== "sched-pre-reset").every((s) => s.args.unfinished === true)).toBe(true);
  });
});
