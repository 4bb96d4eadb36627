import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { CSG, GLB, encode } from "../services/firmware/index.ts";
import { GLB_INPUT } from "../services/firmware/interfaces.ts";
import { JobFaultInjected } from "../services/shader/shaderEvents.ts";
import { shaderPaths } from "../services/shader/shaderPaths.ts";
import { MS, US } from "./support/firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, queue, startGroup, submitJobs, writeStream, type FwWorld } from "./support/fwBench.ts";
import type { FwHost } from "./support/fwHost.ts";
import type { Steps } from "./support/gpuBringUp.ts";
import { now, publish, sleep, waitFor } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const of = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Record<string, unknown>);

/** Boot, initialise GLB, start the groups of `priorities` (CSG slot i at priority i-th), then `then`. */
function runCsg(priorities: readonly number[], then: (w: FwWorld, h: FwHost) => Steps) {
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = (yield* bootFirmware(w))!;
    for (const [q, p] of priorities.entries()) if (!(yield* startGroup(w, p, q))) throw new Error(`CSG ${q} did not start`);
    yield* then(w, h);
  });
  bench.run();
  return bench;
}

/** A counted loop of `n` iterations storing its count at `va`: 3n + 4 instructions. */
const countedLoop = (n: number, va: number) => [
  encode.move32(0, n), encode.move32(1, 0),
  encode.addImmediate32(0, 0, -1), encode.addImmediate32(1, 1, 1), encode.branch("NEQUAL", 0, -3),
  encode.move48(6, va), encode.storeMultiple(1, 6, 0b1),
];

/** Ask CSG `i` for `state` (plus `toggles`), ring its GLB doorbell_req bit, wait for the ack. */
function* requestCsg(h: FwHost, i: number, state: number, toggles = 0): Steps<boolean> {
  yield* h.csgRequest(i, state, toggles);
  yield* h.ringCsgDoorbells(1 << i);
  return yield* h.csgWait(i);
}

describe("CSG slots: state requests, toggles and priorities", () => {
  it("walks a slot through START, SUSPEND, RESUME and TERMINATE, keeping the streams' registers across the suspension", () => {
    const acked: boolean[] = [];
    const bo: number[] = [];
    const { sink } = runCsg([15], function* (w, h) {
      // given job 1 sets r10 = 42 in the stream's persistent registers
      const a = yield* writeStream(w, VA.streams, [encode.move32(10, 42)]);
      yield* submitJobs(w, [{ va: VA.streams, size: a }]);
      yield* h.waitUntil(() => w.u64(VA.syncobj) === 1n);
      // when the group is suspended, job 2 (store r10) is queued, and the group resumed 1 ms later
      acked.push(yield* requestCsg(h, 0, CSG.STATE_SUSPEND));
      const b = yield* writeStream(w, VA.streams + 0x1000, [encode.move48(6, VA.bo), encode.storeMultiple(10, 6, 0b1)]);
      yield* submitJobs(w, [{ va: VA.streams + 0x1000, size: b }]);
      yield* sleep(1 * MS);
      bo.push(w.u32(VA.bo));
      acked.push(yield* requestCsg(h, 0, CSG.STATE_RESUME));
      yield* h.waitUntil(() => w.u64(VA.syncobj) === 2n);
      bo.push(w.u32(VA.bo));
      acked.push(yield* requestCsg(h, 0, CSG.STATE_TERMINATE));
    });
    // then every request was acknowledged, job 2 ran only after RESUME and saw r10 = 42
    expect(acked).toEqual([true, true, true]);
    expect(bo).toEqual([0, 42]);
    expect(of(sink.events, "CsgStateChanged").map((p) => [p.state, p.request])).toEqual([
      ["running", "START"], ["suspended", "SUSPEND"], ["running", "RESUME"], ["terminated", "TERMINATE"],
    ]);
    expect(of(sink.events, "CsgRequestsAcked").map((p) => p.requests)).toEqual([
      ["STATE_START", "ENDPOINT_CONFIG"], ["STATE_SUSPEND"], ["STATE_RESUME"], ["STATE_TERMINATE"],
    ]);
  });

  it("acknowledges STATUS_UPDATE and ENDPOINT_CONFIG, including one toggled while the other is still pending", () => {
    let ok = false;
    let t = 0;
    const { sink } = runCsg([15], function* (_w, h) {
      t = yield* now();
      yield* h.csgRequest(0, CSG.STATE_START, CSG.STATUS_UPDATE);
      yield* h.ringCsgDoorbells(1);
      yield* sleep(1 * US);
      yield* h.csgRequest(0, CSG.STATE_START, CSG.ENDPOINT_CONFIG);
      yield* h.ringCsgDoorbells(1);
      ok = yield* h.csgWait(0);
    });
    expect(ok).toBe(true);
    const acks = sink.events.filter((e) => e.type === "CsgRequestsAcked" && e.timeNs > t).map((e) => [e.timeNs - t, (e.payload as { requests: string[] }).requests]);
    expect(acks).toEqual([[2 * US, ["ENDPOINT_CONFIG", "STATUS_UPDATE"]]]);
  });

  it("runs the higher-priority group first when two resident groups both have work", () => {
    const { sink } = runCsg([5, 10], function* (w, h) {
      // given a 20 000-iteration loop queued on each group at the same instant
      for (const q of [0, 1]) {
        const size = yield* writeStream(w, VA.streams + q * 0x1000, countedLoop(20_000, VA.bo + 4 * q));
        yield* submitJobs(w, [{ va: VA.streams + q * 0x1000, size }], q);
      }
      yield* h.waitUntil(() => w.u64(queue(0).syncobj) === 1n && w.u64(queue(1).syncobj) === 1n, 20 * MS);
    });
    // then CSG 1 (priority 10) ran its 60 020 instructions without a break, then CSG 0 (priority 5) its own
    const rung = sink.events.filter((e) => e.type === "DoorbellRung").at(-1)!.timeNs;
    const done = sink.events.filter((e) => e.type === "SyncObjectUpdated").map((e) => [(e.payload as { csg: number }).csg, e.timeNs - rung]);
    expect(done).toEqual([[1, 2 * US + 60_020 * 20], [0, 2 * US + 2 * 60_020 * 20]]);
  });

  it("time-slices groups of equal priority so that both finish within one slice of each other", () => {
    const { sink } = runCsg([10, 10], function* (w, h) {
      for (const q of [0, 1]) {
        const size = yield* writeStream(w, VA.streams + q * 0x1000, countedLoop(20_000, VA.bo + 4 * q));
        yield* submitJobs(w, [{ va: VA.streams + q * 0x1000, size }], q);
      }
      yield* h.waitUntil(() => w.u64(queue(0).syncobj) === 1n && w.u64(queue(1).syncobj) === 1n, 20 * MS);
    });
    const [a, b] = sink.events.filter((e) => e.type === "SyncObjectUpdated").map((e) => e.timeNs);
    expect(Math.abs(b! - a!)).toBeLessThanOrEqual(1_000 * 20);
  });

  it("reports PROGRESS_TIMER_EVENT when a dispatched job makes no progress for the programmed progress timeout", () => {
    let raised = false;
    let started = 0;
    const { sink } = runCsg([15], function* (w, h) {
      // given a progress timeout of 10 × 1024 GPU cycles (34 133 ns at the 300 MHz initial OPP)
      yield* h.map.write32(h.glb.input + GLB_INPUT.offsets.progress_timer, 10);
      yield* h.glbToggle(GLB.CFG_PROGRESS_TIMER);
      // when a compute job is dispatched and made to hang on the cores
      h.ackEvents = false;
      const size = yield* writeStream(w, VA.streams, [encode.move48(16, VA.spd), encode.runCompute()]);
      yield* submitJobs(w, [{ va: VA.streams, size }]);
      started = (yield* waitFor((e) => e.type === "JobStarted")).timeNs;
      yield* publish(JobFaultInjected, shaderPaths(0).inject, { gpu: 0, job: "csg0.cs0.job1", effect: "hang" });
      raised = yield* h.waitUntil(() => ((h.csgReq(0) ^ h.csgAck(0)) & CSG.PROGRESS_TIMER_EVENT) !== 0, 1 * MS);
    });
    // then CSG 0 raised the event (with its interrupt) one progress timeout after the dispatch
    expect(raised).toBe(true);
    const event = sink.events.find((e) => e.type === "CsgEventRaised" && (e.payload as { event: string }).event === "PROGRESS_TIMER_EVENT")!;
    expect(event.timeNs - started).toBe(34_133);
  });
});
