import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { CSG, encode } from "../services/firmware/index.ts";
import { JobFaultInjected } from "../services/shader/shaderEvents.ts";
import { shaderPaths } from "../services/shader/shaderPaths.ts";
import { MS, US } from "./support/firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, startGroup, submitJobs, writeStream } from "./support/fwBench.ts";
import type { FwHost } from "./support/fwHost.ts";
import type { Steps } from "./support/gpuBringUp.ts";
import { publish, waitFor } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");

/** A compute job of 64 × `n` invocations (SPD mapped by the bench). */
const computeJob = (n: number) => [encode.move48(16, VA.spd), encode.move32(33, 63), encode.move32(37, n), encode.move32(38, 1), encode.move32(39, 1), encode.runCompute()];

/** Boot, start CSG 0, dispatch one compute job, then `then` once it is on the cores. */
function runWithJob(n: number, then: (h: FwHost, started: Envelope) => Steps) {
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = (yield* bootFirmware(w))!;
    if (!(yield* startGroup(w))) throw new Error("CSG 0 did not start");
    const size = yield* writeStream(w, VA.streams, computeJob(n));
    yield* submitJobs(w, [{ va: VA.streams, size }]);
    yield* then(h, yield* waitFor((e) => e.type === "JobStarted"));
  });
  bench.run();
  return bench;
}

/** TERMINATE CSG 0 (ringing its doorbell bit); whether it was acknowledged within `timeoutNs`. */
function* terminate(h: FwHost, timeoutNs: number): Steps<boolean> {
  yield* h.csgRequest(0, CSG.STATE_TERMINATE, 0);
  yield* h.ringCsgDoorbells(1);
  return yield* h.waitUntil(() => ((h.csgReq(0) ^ h.csgAck(0)) & CSG.STATE_MASK) === 0, timeoutNs);
}

describe("CSG TERMINATE waits for the group's jobs to leave the shader cores (the firmware side of a hang)", () => {
  it("acknowledges TERMINATE only once the job running on the cores has ended", () => {
    let early = true;
    let late = false;
    const { sink } = runWithJob(400, function* (h) {
      early = yield* terminate(h, 10 * US);
      late = yield* h.waitUntil(() => ((h.csgReq(0) ^ h.csgAck(0)) & CSG.STATE_MASK) === 0, 100 * MS);
    });
    expect([early, late]).toEqual([false, true]);
    const ended = sink.events.find((e) => e.type === "JobCompleted")!;
    const terminated = sink.events.find((e) => e.type === "CsgStateChanged" && (e.payload as { request: string }).request === "TERMINATE")!;
    expect(terminated.timeNs).toBe(ended.timeNs);
  });

  it("never acknowledges TERMINATE while a job hangs on the cores", () => {
    let acked = true;
    const { sink } = runWithJob(4, function* (h) {
      yield* publish(JobFaultInjected, shaderPaths(0).inject, { gpu: 0, job: "csg0.cs0.job1", effect: "hang" });
      acked = yield* terminate(h, 100 * MS);
    });
    expect(acked).toBe(false);
    expect(sink.events.filter((e) => e.type === "CsgStateChanged").map((e) => (e.payload as { request: string }).request)).toEqual(["START"]);
  });
});
